"""ECR repositories on the emulator can name a local registry in their URI
(scripts/moto_ecr.py), for the tests that push images to one.

    .venv/bin/python -m unittest discover -s scripts -p 'test_*.py'
"""

import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator_fixture import emulator  # noqa: E402
from tagging_fixture import Fixture  # noqa: E402
from test_ecs_gaps import post  # noqa: E402

PATH = "/moto-api/gantry/ecr-registry"


class RegistryUriTest(unittest.TestCase):
    def test_repositories_under_the_prefix_name_the_registry(self):
        env = emulator()
        f = Fixture(env["AWS_ENDPOINT_URL"], f"ecr{uuid.uuid4().hex[:8]}")
        ecr = f.client("ecr")
        before = ecr.create_repository(repositoryName=f"{f.stack}/web")["repository"]
        self.assertEqual(before["repositoryUri"], f"123456789012.dkr.ecr.{f.region}.amazonaws.com/{f.stack}/web")
        other = f"{f.stack}x-other"  # shares the stack name but not the prefix
        ecr.create_repository(repositoryName=other)

        code, _ = post(env["GANTRY_FAULT_PROXY"], PATH, {"prefix": f"{f.stack}/", "registry": "127.0.0.1:5999"})
        self.assertEqual(code, 200)
        created = ecr.create_repository(repositoryName=f"{f.stack}/api")["repository"]
        self.assertEqual(created["repositoryUri"], f"127.0.0.1:5999/{f.stack}/api")
        uris = {r["repositoryName"]: r["repositoryUri"] for r in ecr.describe_repositories(
            repositoryNames=[f"{f.stack}/web", f"{f.stack}/api", other])["repositories"]}
        self.assertEqual(uris, {
            f"{f.stack}/web": f"127.0.0.1:5999/{f.stack}/web",
            f"{f.stack}/api": f"127.0.0.1:5999/{f.stack}/api",
            other: f"123456789012.dkr.ecr.{f.region}.amazonaws.com/{other}",
        })

        code, _ = post(env["GANTRY_EMULATOR_URL"], PATH, {"prefix": f"{f.stack}/", "registry": None})
        self.assertEqual(code, 200)
        back = ecr.describe_repositories(repositoryNames=[f"{f.stack}/web"])["repositories"][0]
        self.assertEqual(back["repositoryUri"], before["repositoryUri"])
        code, out = post(env["GANTRY_FAULT_PROXY"], PATH, {"prefix": "", "registry": "127.0.0.1:1"})
        self.assertEqual(code, 400)
        self.assertIn("prefix", out["error"])
        for name in (f"{f.stack}/web", f"{f.stack}/api", other):
            ecr.delete_repository(repositoryName=name)


if __name__ == "__main__":
    unittest.main()
