"""Scheduler groups and IAM OIDC providers behave on the emulator as on AWS
(scripts/moto_jobs_ci.py): deleting a missing schedule group is
ResourceNotFoundException; an OIDC provider's client ids are added and
removed in place.

    .venv/bin/python -m unittest discover -s scripts -p 'test_*.py'
"""

import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator_fixture import emulator  # noqa: E402
from tagging_fixture import Fixture  # noqa: E402


class ScheduleGroupTest(unittest.TestCase):
    def test_deleting_a_missing_group_is_not_found(self):
        f = Fixture(emulator()["AWS_ENDPOINT_URL"], f"sch{uuid.uuid4().hex[:8]}")
        s = f.client("scheduler")
        s.create_schedule_group(Name=f.stack)
        s.delete_schedule_group(Name=f.stack)
        with self.assertRaises(s.exceptions.ResourceNotFoundException):
            s.delete_schedule_group(Name=f.stack)


class OidcClientIdTest(unittest.TestCase):
    def test_client_ids_are_added_once_and_removed(self):
        f = Fixture(emulator()["AWS_ENDPOINT_URL"], f"oidc{uuid.uuid4().hex[:8]}")
        iam = f.client("iam")
        arn = iam.create_open_id_connect_provider(
            Url=f"https://{f.stack}.example.com", ClientIDList=["sts.amazonaws.com"]
        )["OpenIDConnectProviderArn"]
        try:
            for _ in range(2):
                iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="sigstore")
            got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
            self.assertEqual(got["ClientIDList"], ["sts.amazonaws.com", "sigstore"])
            iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="sts.amazonaws.com")
            iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="absent")
            got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
            self.assertEqual(got["ClientIDList"], ["sigstore"])
        finally:
            iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        with self.assertRaises(iam.exceptions.NoSuchEntityException):
            iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="x")


if __name__ == "__main__":
    unittest.main()
