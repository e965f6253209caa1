"""scripts/registry.sh gives a registry that plain `podman build`, `podman
login` and `podman push` reach with only its exports set, the way Gantry
pushes an image to a repository the emulator's ECR names (moto_ecr.py).
Skipped where podman and docker-registry cannot be installed.

    .venv/bin/python -m unittest discover -s scripts -p 'test_*.py'
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator_fixture import SCRIPTS, emulator  # noqa: E402
from tagging_fixture import Fixture  # noqa: E402
from test_ecs_gaps import post  # noqa: E402

REGISTRY_SH = os.path.join(SCRIPTS, "registry.sh")


class PushTest(unittest.TestCase):
    def setUp(self):
        installed = subprocess.run(["bash", REGISTRY_SH, "install"], capture_output=True, text=True, timeout=600)
        if installed.returncode != 0:
            self.skipTest(f"podman / docker-registry not installable here: {installed.stderr[-300:]}")
        run_dir = tempfile.mkdtemp(prefix="gantry-registry-pytests-")
        self.addCleanup(shutil.rmtree, run_dir, True)
        env = dict(os.environ, GANTRY_REGISTRY_DIR=run_dir, GANTRY_REGISTRY_OWNER_PID=str(os.getpid()))
        started = subprocess.run(["bash", REGISTRY_SH, "start"], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(started.returncode, 0, started.stderr)
        self.addCleanup(subprocess.run, ["bash", REGISTRY_SH, "stop"], env=env, timeout=30)
        self.exports = dict(line[len("export "):].split("=", 1) for line in started.stdout.splitlines()
                            if line.startswith("export "))
        self.podman_env = {**os.environ, **self.exports}

    def podman(self, *args, stdin=None):
        out = subprocess.run(["podman", *args], env=self.podman_env, input=stdin,
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, f"podman {' '.join(args)}: {out.stderr}")
        return out.stdout

    def test_build_log_in_and_push_to_the_repository_ecr_names(self):
        registry = self.exports["GANTRY_TEST_REGISTRY"]
        env = emulator()
        f = Fixture(env["AWS_ENDPOINT_URL"], f"reg{uuid.uuid4().hex[:8]}")
        code, _ = post(env["AWS_ENDPOINT_URL"], "/moto-api/gantry/ecr-registry",
                       {"prefix": f"{f.stack}/", "registry": registry})
        self.assertEqual(code, 200)
        ecr = f.client("ecr")
        uri = ecr.create_repository(repositoryName=f"{f.stack}/web")["repository"]["repositoryUri"]
        self.assertEqual(uri, f"{registry}/{f.stack}/web")

        ctx = tempfile.mkdtemp(prefix="gantry-build-")
        self.addCleanup(shutil.rmtree, ctx, True)
        with open(os.path.join(ctx, "hello.txt"), "w") as fh:
            fh.write("hello\n")
        with open(os.path.join(ctx, "Containerfile"), "w") as fh:
            fh.write("FROM scratch\nCOPY hello.txt /hello.txt\n")
        self.podman("build", "-t", f"{uri}:v1", ctx)
        token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
        user, password = base64.b64decode(token).decode().split(":", 1)
        self.podman("login", "-u", user, "--password-stdin", registry, stdin=password)
        self.podman("push", f"{uri}:v1")
        with urllib.request.urlopen(f"http://{registry}/v2/{f.stack}/web/tags/list", timeout=10) as r:
            self.assertEqual(json.loads(r.read())["tags"], ["v1"])
        self.podman("rmi", f"{uri}:v1")
        ecr.delete_repository(repositoryName=f"{f.stack}/web", force=True)


if __name__ == "__main__":
    unittest.main()
