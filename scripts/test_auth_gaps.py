"""Cognito user pools behave on the emulator as on AWS
(scripts/moto_auth.py): UpdateUserPool changes what it is given and keeps
what it cannot change (sign-in by email, tags); DeleteUserPool refuses a
pool with deletion protection on.

    .venv/bin/python -m unittest discover -s scripts -p 'test_*.py'
"""

import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator_fixture import emulator  # noqa: E402
from tagging_fixture import Fixture  # noqa: E402


class UpdateUserPoolTest(unittest.TestCase):
    def test_update_keeps_username_attributes_and_tags(self):
        f = Fixture(emulator()["AWS_ENDPOINT_URL"], f"cog{uuid.uuid4().hex[:8]}")
        idp = f.client("cognito-idp")
        pool = idp.create_user_pool(
            PoolName=f.stack,
            UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
            UserPoolTags={"gantry:stack": f.stack},
        )["UserPool"]["Id"]
        idp.update_user_pool(
            UserPoolId=pool,
            AutoVerifiedAttributes=["email"],
            Policies={"PasswordPolicy": {"MinimumLength": 14}},
        )
        got = idp.describe_user_pool(UserPoolId=pool)["UserPool"]
        self.assertEqual(got["UsernameAttributes"], ["email"])
        self.assertEqual(got["UserPoolTags"], {"gantry:stack": f.stack})
        self.assertEqual(got["Policies"]["PasswordPolicy"]["MinimumLength"], 14)
        idp.delete_user_pool(UserPoolId=pool)

    def test_a_protected_pool_is_not_deleted(self):
        f = Fixture(emulator()["AWS_ENDPOINT_URL"], f"cog{uuid.uuid4().hex[:8]}")
        idp = f.client("cognito-idp")
        pool = idp.create_user_pool(PoolName=f.stack, DeletionProtection="ACTIVE")["UserPool"]["Id"]
        with self.assertRaises(idp.exceptions.InvalidParameterException) as e:
            idp.delete_user_pool(UserPoolId=pool)
        self.assertIn("deletion protection is activated", str(e.exception))
        idp.describe_user_pool(UserPoolId=pool)
        idp.update_user_pool(UserPoolId=pool, DeletionProtection="INACTIVE")
        idp.delete_user_pool(UserPoolId=pool)
        with self.assertRaises(idp.exceptions.ResourceNotFoundException):
            idp.describe_user_pool(UserPoolId=pool)


if __name__ == "__main__":
    unittest.main()
