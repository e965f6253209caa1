"""ECS on the emulator keeps what Gantry sets when it creates a service
(scripts/moto_server.py fills moto's gap): `enableExecuteCommand`.

    .venv/bin/python -m unittest discover -s scripts -p 'test_*.py'
"""

import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator_fixture import emulator  # noqa: E402
from tagging_fixture import Fixture  # noqa: E402


class EcsExecTest(unittest.TestCase):
    def test_a_service_created_with_exec_describes_with_it(self):
        f = Fixture(emulator()["AWS_ENDPOINT_URL"], f"exec{uuid.uuid4().hex[:6]}")
        ecs = f.client("ecs")
        ecs.create_cluster(clusterName=f.stack)
        td = ecs.register_task_definition(
            family=f.stack, containerDefinitions=[{"name": "a", "image": "x", "memory": 128}],
        )["taskDefinition"]["taskDefinitionArn"]
        created = ecs.create_service(cluster=f.stack, serviceName="s", taskDefinition=td,
                                     desiredCount=0, enableExecuteCommand=True)["service"]
        self.assertTrue(created["enableExecuteCommand"])
        described = ecs.describe_services(cluster=f.stack, services=["s"])["services"][0]
        self.assertTrue(described["enableExecuteCommand"])
        ecs.update_service(cluster=f.stack, service="s", enableExecuteCommand=False)
        described = ecs.describe_services(cluster=f.stack, services=["s"])["services"][0]
        self.assertFalse(described["enableExecuteCommand"])
        ecs.delete_service(cluster=f.stack, service="s")
        ecs.delete_cluster(cluster=f.stack)
