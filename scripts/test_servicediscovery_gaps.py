"""Cloud Map behaves on the emulator as on AWS
(scripts/moto_servicediscovery.py): an ECS service with a registry has its
tasks registered there (and deregistered as it scales down, changes
registry or goes), and Cloud Map refuses to delete a service with
instances or a namespace with services (ResourceInUse), or to create a
service of a name its namespace has (ServiceAlreadyExists).

    .venv/bin/python -m unittest discover -s scripts -p 'test_*.py'
"""

import os
import sys
import unittest
import uuid

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator_fixture import emulator  # noqa: E402
from tagging_fixture import Fixture  # noqa: E402


class ServiceDiscoveryTest(unittest.TestCase):
    def setUp(self):
        self.f = Fixture(emulator()["AWS_ENDPOINT_URL"], f"sd{uuid.uuid4().hex[:8]}")
        ec2 = self.f.client("ec2")
        self.vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        self.subnet = ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
        self.sd = self.f.client("servicediscovery")
        op = self.sd.create_private_dns_namespace(Name=f"{self.f.stack}.internal", Vpc=self.vpc)["OperationId"]
        self.ns = self.sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
        self.registry = [self.new_registry("worker"), self.new_registry("other")]
        self.ecs = self.f.client("ecs")
        self.ecs.create_cluster(clusterName=self.f.stack)
        td = self.ecs.register_task_definition(
            family=f"{self.f.stack}-worker", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
            cpu="256", memory="512", containerDefinitions=[{"name": "app", "image": "x", "portMappings": [{"containerPort": 8080}]}],
        )["taskDefinition"]["taskDefinitionArn"]
        self.service = self.ecs.create_service(
            cluster=self.f.stack, serviceName="worker", taskDefinition=td, desiredCount=2, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": [self.subnet], "securityGroups": []}},
            serviceRegistries=[{"registryArn": self.registry[0][1]}],
        )["service"]["serviceArn"]

    def new_registry(self, name):
        s = self.sd.create_service(
            Name=name, NamespaceId=self.ns,
            DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]},
            HealthCheckCustomConfig={},
        )["Service"]
        return s["Id"], s["Arn"]

    def instances(self, i=0):
        return self.sd.list_instances(ServiceId=self.registry[i][0])["Instances"]

    def test_tasks_are_registered_with_ips_in_the_subnet(self):
        got = self.instances()
        self.assertEqual(len(got), 2)
        for inst in got:
            self.assertTrue(inst["Attributes"]["AWS_INSTANCE_IPV4"].startswith("10.7.1."))
            self.assertEqual(inst["Attributes"]["ECS_SERVICE_NAME"], "worker")
        self.assertEqual(self.ecs.describe_services(cluster=self.f.stack, services=["worker"])["services"][0]
                         ["serviceRegistries"], [{"registryArn": self.registry[0][1]}])

    def test_scaling_and_moving_registries_follow_the_tasks(self):
        self.ecs.update_service(cluster=self.f.stack, service="worker", desiredCount=1)
        self.assertEqual(len(self.instances()), 1)
        primary = self.ecs.describe_services(cluster=self.f.stack, services=["worker"])["services"][0]["deployments"][0]["id"]
        self.ecs.update_service(cluster=self.f.stack, service="worker",
                                serviceRegistries=[{"registryArn": self.registry[1][1]}])
        # New tasks with the new registries: a deployment, as on AWS.
        got = self.ecs.describe_services(cluster=self.f.stack, services=["worker"])["services"][0]
        self.assertNotEqual(got["deployments"][0]["id"], primary)
        self.assertEqual(len(self.instances(0)), 0)
        self.assertEqual(len(self.instances(1)), 1)

    def test_a_name_is_created_once_per_namespace(self):
        again = dict(Name="third", NamespaceId=self.ns, CreatorRequestId="req-1",
                     DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]})
        first = self.sd.create_service(**again)["Service"]["Id"]
        # The same request again (a retry) answers with the same service.
        self.assertEqual(self.sd.create_service(**again)["Service"]["Id"], first)
        with self.assertRaises(ClientError) as e:
            self.sd.create_service(**dict(again, CreatorRequestId="req-2"))
        err = e.exception.response
        self.assertEqual(err["Error"]["Code"], "ServiceAlreadyExists")
        self.assertEqual(err.get("ServiceId"), first)
        self.sd.delete_service(Id=first)

    def test_deletes_wait_for_instances_and_services(self):
        with self.assertRaises(ClientError) as e:
            self.sd.delete_service(Id=self.registry[0][0])
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceInUse")
        self.ecs.delete_service(cluster=self.f.stack, service="worker", force=True)
        self.assertEqual(self.instances(), [])
        with self.assertRaises(ClientError) as e:
            self.sd.delete_namespace(Id=self.ns)
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceInUse")
        for sid, _ in self.registry:
            self.sd.delete_service(Id=sid)
        self.sd.delete_namespace(Id=self.ns)


if __name__ == "__main__":
    unittest.main()
