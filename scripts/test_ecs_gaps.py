"""ECS on the emulator keeps what Gantry sets when it creates a service and
rolls deployments out as AWS does, each ending as the test scripts it
(scripts/moto_ecs.py fills moto's gaps).

    .venv/bin/python -m unittest discover -s scripts -p 'test_*.py'
"""

import json
import os
import sys
import time
import unittest
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator_fixture import emulator  # noqa: E402
from tagging_fixture import Fixture  # noqa: E402

BREAKER = {"deploymentCircuitBreaker": {"enable": True, "rollback": True},
           "maximumPercent": 200, "minimumHealthyPercent": 50}


def post(base: str, path: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class EcsCase(unittest.TestCase):
    """A cluster of its own with a two-container task definition (revision 1)
    and a one-container one (revision 2)."""

    def setUp(self):
        self.env = emulator()
        self.f = Fixture(self.env["AWS_ENDPOINT_URL"], f"dep{uuid.uuid4().hex[:8]}")
        self.ecs = self.f.client("ecs")
        self.cluster = self.f.stack
        self.ecs.create_cluster(clusterName=self.cluster)
        self.td1 = self.ecs.register_task_definition(family=self.cluster, containerDefinitions=[
            {"name": "app", "image": "app:1", "memory": 128},
            {"name": "agent", "image": "agent:1", "memory": 64},
        ])["taskDefinition"]["taskDefinitionArn"]
        self.td2 = self.ecs.register_task_definition(family=self.cluster, containerDefinitions=[
            {"name": "app", "image": "app:2", "memory": 128},
        ])["taskDefinition"]["taskDefinitionArn"]

    def service(self, name="web", count=2, conf=BREAKER, **kw):
        args = {"deploymentConfiguration": conf} if conf is not None else {}
        return self.ecs.create_service(cluster=self.cluster, serviceName=name, taskDefinition=self.td1,
                                       desiredCount=count, **args, **kw)["service"]

    def describe(self, name="web"):
        return self.ecs.describe_services(cluster=self.cluster, services=[name])["services"][0]

    def script(self, name="web", base=None, **body):
        code, out = post(base or self.env["AWS_ENDPOINT_URL"], "/moto-api/gantry/ecs-rollout",
                         {"cluster": self.cluster, "service": name, **body})
        self.assertEqual(code, 200, out)

    def deploy(self, name="web", **kw):
        return self.ecs.update_service(cluster=self.cluster, service=name, **kw)["service"]

    def sds(self, name="web", **kw):
        return self.ecs.list_service_deployments(cluster=self.cluster, service=name, **kw)["serviceDeployments"]

    def sd(self, arn):
        return self.ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]

    def messages(self, service):
        return [e["message"] for e in service["events"]]

    def started(self, service):
        """The deployment a test just started: PRIMARY, nothing running yet."""
        primary, old = service["deployments"]
        self.assertEqual((primary["status"], primary["rolloutState"]), ("PRIMARY", "IN_PROGRESS"))
        self.assertEqual((primary["runningCount"], primary["pendingCount"], primary["failedTasks"]),
                         (0, primary["desiredCount"], 0))
        self.assertEqual(primary["rolloutStateReason"], f"ECS deployment {primary['id']} in progress.")
        self.assertEqual(old["status"], "ACTIVE")
        self.assertRegex(service["currentServiceDeployment"],
                         rf"^arn:aws:ecs:{self.f.region}:123456789012:service-deployment/"
                         rf"{self.cluster}/{service['serviceName']}/[\w-]{{21}}$")
        return primary, old


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


class CreateTest(EcsCase):
    def test_deployment_configuration_round_trips(self):
        created = self.service()
        self.assertEqual(created["deploymentConfiguration"], BREAKER)
        self.assertEqual(self.describe()["deploymentConfiguration"], BREAKER)
        new = {"deploymentCircuitBreaker": {"enable": True, "rollback": False},
               "maximumPercent": 150, "minimumHealthyPercent": 100}
        self.assertEqual(self.deploy(deploymentConfiguration=new)["deploymentConfiguration"], new)
        self.assertEqual(self.describe()["deploymentConfiguration"], new)
        # Not sent: AWS's defaults.
        other = self.service("other", conf=None)
        self.assertEqual(other["deploymentConfiguration"], {
            "deploymentCircuitBreaker": {"enable": False, "rollback": False},
            "maximumPercent": 200, "minimumHealthyPercent": 100})

    def test_the_first_deployment_has_an_aws_id_and_a_service_deployment(self):
        s = self.service()
        [d] = s["deployments"]
        self.assertRegex(d["id"], r"^ecs-svc/\d{19}$")
        self.assertEqual((d["status"], d["rolloutState"]), ("PRIMARY", "COMPLETED"))
        self.assertEqual(d["rolloutStateReason"], f"ECS deployment {d['id']} completed.")
        # Running follows the desired count (moto reported MOTO_ECS_SERVICE_RUNNING).
        self.assertEqual((s["runningCount"], s["pendingCount"]), (2, 0))
        self.assertEqual((d["runningCount"], d["pendingCount"]), (2, 0))
        [brief] = self.sds()
        self.assertEqual(brief["serviceDeploymentArn"], s["currentServiceDeployment"])
        self.assertEqual(brief["status"], "SUCCESSFUL")
        self.assertEqual(brief["targetServiceRevisionArn"],
                         f"arn:aws:ecs:{self.f.region}:123456789012:service-revision/"
                         f"{self.cluster}/web/{d['id'].split('/')[1]}")
        self.assertEqual(self.messages(s)[:2], [
            "(service web) has reached a steady state.",
            f"(service web) (deployment {d['id']}) deployment completed.",
        ])

    def test_a_desired_count_update_makes_no_deployment(self):
        first = self.service()["deployments"][0]
        s = self.deploy(desiredCount=3)
        self.assertEqual([d["id"] for d in s["deployments"]], [first["id"]])
        d = s["deployments"][0]
        self.assertEqual((d["desiredCount"], d["runningCount"], d["pendingCount"]), (3, 3, 0))
        self.assertEqual((s["desiredCount"], s["runningCount"]), (3, 3))
        self.assertEqual(len(self.sds()), 1)
        # Sending the same task definition changes nothing either.
        s = self.deploy(taskDefinition=self.td1)
        self.assertEqual([d["id"] for d in s["deployments"]], [first["id"]])


class CompleteTest(EcsCase):
    def test_a_new_task_definition_rolls_out_and_completes(self):
        first = self.service()["deployments"][0]
        self.script(outcome="complete", seconds=0.2)
        s = self.deploy(taskDefinition=f"{self.cluster}:2")
        primary, old = self.started(s)
        self.assertEqual(s["taskDefinition"], self.td2)
        self.assertEqual(primary["taskDefinition"], self.td2)
        self.assertEqual(old["id"], first["id"])
        self.assertEqual((s["runningCount"], s["pendingCount"]), (2, 2))
        self.assertRegex(self.messages(s)[0], r"^\(service web\) has started 2 tasks: \(task \w{32}\) \(task \w{32}\)\.$")
        sd = self.sd(s["currentServiceDeployment"])
        self.assertEqual(sd["status"], "IN_PROGRESS")
        self.assertEqual(sd["deploymentCircuitBreaker"]["status"], "MONITORING")
        self.assertEqual([r["arn"].split("/")[-1] for r in sd["sourceServiceRevisions"]], [first["id"].split("/")[1]])

        time.sleep(0.3)
        s = self.describe()
        [d] = s["deployments"]
        self.assertEqual((d["id"], d["status"], d["rolloutState"]), (primary["id"], "PRIMARY", "COMPLETED"))
        self.assertEqual(d["rolloutStateReason"], f"ECS deployment {d['id']} completed.")
        self.assertEqual((d["runningCount"], d["pendingCount"]), (2, 0))
        self.assertEqual((s["runningCount"], s["pendingCount"]), (2, 0))
        self.assertEqual(self.messages(s)[:3], [
            "(service web) has reached a steady state.",
            f"(service web) (deployment {d['id']}) deployment completed.",
            self.messages(s)[2],
        ])
        self.assertTrue(self.messages(s)[2].startswith("(service web) has started 2 tasks"))
        times = [e["createdAt"] for e in s["events"]]
        self.assertEqual(times, sorted(set(times), reverse=True))  # strictly newest first
        sd = self.sd(s["currentServiceDeployment"])
        self.assertEqual(sd["status"], "SUCCESSFUL")
        self.assertGreaterEqual((sd["finishedAt"] - sd["createdAt"]).total_seconds(), 0.19)
        self.assertEqual(sd["targetServiceRevision"]["runningTaskCount"], 2)
        self.assertEqual(sd["deploymentCircuitBreaker"], {"status": "MONITORING_COMPLETE", "failureCount": 0,
                                                          "threshold": 3})

    def test_force_new_deployment_completes_after_a_second_by_default(self):
        self.service()
        s = self.deploy(forceNewDeployment=True)
        primary, _ = self.started(s)
        self.assertEqual(primary["taskDefinition"], self.td1)
        time.sleep(0.5)
        self.assertEqual(self.describe()["deployments"][0]["rolloutState"], "IN_PROGRESS")
        time.sleep(0.6)
        self.assertEqual([d["rolloutState"] for d in self.describe()["deployments"]], ["COMPLETED"])

    def test_network_and_exec_changes_start_deployments(self):
        self.service(enableExecuteCommand=False)
        self.script(outcome="stuck")
        self.started(self.deploy(enableExecuteCommand=True))
        self.assertEqual(len(self.sds()), 2)
        s = self.deploy(loadBalancers=[])  # same as before: no deployment
        self.assertEqual(len(s["deployments"]), 2)
        self.assertEqual(len(self.sds()), 2)


class FailTest(EcsCase):
    FAILURES = [
        {"stopped_reason": "Essential container in task exited", "stop_code": "EssentialContainerExited",
         "containers": {"app": {"exit_code": 3, "reason": "config missing"}}},
        {"stopped_reason": "Task failed container health checks", "stop_code": "TaskFailedToStart",
         "containers": {"app": {"exit_code": 137}}},
    ]

    def stopped(self, name="web"):
        arns = self.ecs.list_tasks(cluster=self.cluster, serviceName=name, desiredStatus="STOPPED")["taskArns"]
        if not arns:
            return []
        tasks = self.ecs.describe_tasks(cluster=self.cluster, tasks=arns)["tasks"]
        return sorted(tasks, key=lambda t: t["stoppedReason"])

    def test_with_rollback_the_service_goes_back_and_the_tasks_say_why(self):
        first = self.service()["deployments"][0]
        self.service("bystander")
        self.script(outcome="fail", seconds=0.2, failed_tasks=self.FAILURES)
        s = self.deploy(taskDefinition=self.td2)
        failed, _ = self.started(s)
        self.assertEqual(self.stopped(), [])
        time.sleep(0.3)
        s = self.describe()
        [d] = s["deployments"]
        self.assertEqual((d["status"], d["rolloutState"], d["taskDefinition"]), ("PRIMARY", "COMPLETED", self.td1))
        self.assertEqual(d["id"], first["id"])  # AWS names the rollback after its target
        self.assertEqual(s["taskDefinition"], self.td1)
        self.assertEqual((s["runningCount"], s["pendingCount"]), (2, 0))
        tasks = self.stopped()
        self.assertEqual(len(tasks), 2)
        ids = [t["taskArn"].split("/")[-1] for t in tasks]
        msgs = self.messages(s)
        self.assertEqual(msgs[:4], [
            "(service web) has reached a steady state.",
            f"(service web) (deployment {first['id']}) deployment completed.",
            f"(service web) rolling back to deployment {first['id']}.",
            f"(service web) (deployment {failed['id']}) deployment failed: tasks failed to start.",
        ])
        self.assertEqual(sorted(msgs[4:6]), sorted(f"(service web) has stopped 1 running tasks: (task {i})." for i in ids))
        self.assertTrue(msgs[6].startswith("(service web) has started 2 tasks"))

        exited, health = tasks
        self.assertEqual((exited["stoppedReason"], exited["stopCode"]),
                         ("Essential container in task exited", "EssentialContainerExited"))
        self.assertEqual((health["stoppedReason"], health["stopCode"]),
                         ("Task failed container health checks", "TaskFailedToStart"))
        for t in tasks:
            self.assertEqual((t["lastStatus"], t["desiredStatus"]), ("STOPPED", "STOPPED"))
            self.assertEqual((t["startedBy"], t["group"], t["taskDefinitionArn"]), (failed["id"], "service:web", self.td2))
            self.assertIn("stoppedAt", t)
            self.assertEqual([c["name"] for c in t["containers"]], ["app"])
            self.assertEqual(t["containers"][0]["lastStatus"], "STOPPED")
        self.assertEqual((exited["containers"][0]["exitCode"], exited["containers"][0]["reason"]), (3, "config missing"))
        self.assertEqual(health["containers"][0]["exitCode"], 137)
        # moto's task state machine leaves them be; AWS lists RUNNING tasks by default.
        self.assertEqual(self.stopped(), tasks)
        self.assertEqual(self.ecs.list_tasks(cluster=self.cluster, serviceName="web")["taskArns"], [])
        self.assertEqual(self.stopped("bystander"), [])

        sd = self.sd(s["currentServiceDeployment"])
        self.assertEqual((sd["status"], sd["statusReason"]),
                         ("ROLLBACK_SUCCESSFUL", "ECS deployment circuit breaker: tasks failed to start."))
        self.assertEqual(sd["rollback"]["serviceRevisionArn"].split("/")[-1], first["id"].split("/")[1])
        self.assertIn("startedAt", sd["rollback"])
        self.assertEqual(sd["deploymentCircuitBreaker"], {"status": "TRIGGERED", "failureCount": 2, "threshold": 3})
        self.assertEqual(sd["targetServiceRevision"]["arn"].split("/")[-1], failed["id"].split("/")[1])

    def test_without_rollback_the_failed_deployment_stays_primary(self):
        first = self.service(conf={**BREAKER, "deploymentCircuitBreaker": {"enable": True, "rollback": False}})
        self.script(outcome="fail", seconds=0.2)
        failed, _ = self.started(self.deploy(taskDefinition=self.td2))
        time.sleep(0.3)
        s = self.describe()
        primary, old = s["deployments"]
        self.assertEqual((primary["id"], primary["status"], primary["rolloutState"], primary["failedTasks"]),
                         (failed["id"], "PRIMARY", "FAILED", 1))
        self.assertEqual(primary["rolloutStateReason"], "ECS deployment circuit breaker: tasks failed to start.")
        self.assertEqual((old["id"], old["status"], old["runningCount"]), (first["deployments"][0]["id"], "ACTIVE", 2))
        self.assertEqual(s["taskDefinition"], self.td2)
        self.assertEqual(self.messages(s)[0],
                         f"(service web) (deployment {failed['id']}) deployment failed: tasks failed to start.")
        [task] = self.stopped()
        self.assertEqual((task["stoppedReason"], task["stopCode"]),
                         ("Essential container in task exited", "EssentialContainerExited"))
        self.assertEqual(task["containers"][0]["exitCode"], 1)
        # There is no FAILED service-deployment status: it stopped.
        sd = self.sd(s["currentServiceDeployment"])
        self.assertEqual(sd["status"], "STOPPED")
        self.assertIn("stoppedAt", sd)
        self.assertNotIn("rollback", sd)

    def test_without_a_circuit_breaker_tasks_fail_and_the_rollout_goes_on(self):
        self.service(conf=None)
        self.script(outcome="fail", seconds=0.2)
        failed, _ = self.started(self.deploy(taskDefinition=self.td2))
        time.sleep(0.3)
        primary = self.describe()["deployments"][0]
        self.assertEqual((primary["id"], primary["rolloutState"], primary["failedTasks"]),
                         (failed["id"], "IN_PROGRESS", 1))
        self.assertEqual(self.sds(status=["IN_PROGRESS"])[0]["targetServiceRevisionArn"].split("/")[-1],
                         failed["id"].split("/")[1])


class StuckTest(EcsCase):
    def test_stuck_then_rolled_back_by_hand(self):
        first = self.service(conf=None)["deployments"][0]
        self.script(outcome="stuck", seconds=0)
        self.started(self.deploy(taskDefinition=self.td2))
        time.sleep(0.2)
        s = self.describe()
        primary, _ = self.started(s)
        arn = s["currentServiceDeployment"]
        self.assertEqual(self.sd(arn)["status"], "IN_PROGRESS")
        self.assertEqual(self.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
                         ["serviceDeploymentArn"], arn)
        s = self.describe()
        [d] = s["deployments"]
        self.assertEqual((d["id"], d["rolloutState"], d["taskDefinition"]), (first["id"], "COMPLETED", self.td1))
        self.assertEqual(s["taskDefinition"], self.td1)
        self.assertIn(f"(service web) rolling back to deployment {first['id']}.", self.messages(s))
        sd = self.sd(arn)
        self.assertEqual(sd["status"], "ROLLBACK_SUCCESSFUL")
        self.assertEqual(sd["rollback"]["serviceRevisionArn"].split("/")[-1], first["id"].split("/")[1])
        self.assertEqual(self.stopped_arns(), [])
        with self.assertRaises(ClientError) as e:
            self.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
        self.assertEqual(e.exception.response["Error"]["Code"], "ConflictException")

    def stopped_arns(self):
        return self.ecs.list_tasks(cluster=self.cluster, serviceName="web", desiredStatus="STOPPED")["taskArns"]

    def test_abort_leaves_it_stopped(self):
        self.service()
        self.script(outcome="stuck")
        arn = self.deploy(taskDefinition=self.td2)["currentServiceDeployment"]
        self.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ABORT")
        sd = self.sd(arn)
        self.assertEqual(sd["status"], "STOPPED")
        self.assertIn("stoppedAt", sd)
        self.assertEqual(self.describe()["taskDefinition"], self.td2)

    def test_unknown_service_deployments(self):
        self.service()
        arn = f"arn:aws:ecs:{self.f.region}:123456789012:service-deployment/{self.cluster}/web/nope"
        with self.assertRaises(ClientError) as e:
            self.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
        self.assertEqual(e.exception.response["Error"]["Code"], "ServiceDeploymentNotFoundException")
        got = self.ecs.describe_service_deployments(serviceDeploymentArns=[arn])
        self.assertEqual((got["serviceDeployments"], got["failures"]), ([], [{"arn": arn, "reason": "MISSING"}]))
        with self.assertRaises(ClientError) as e:
            self.sds("nothing")
        self.assertEqual(e.exception.response["Error"]["Code"], "ServiceNotFoundException")


class ListTest(EcsCase):
    def test_filters_and_pages_newest_first(self):
        self.service()
        self.script(outcome="stuck")
        cut = None
        for i in range(3):
            if i == 2:
                time.sleep(0.05)
                cut = datetime.now(timezone.utc)
                time.sleep(0.05)
            self.deploy(forceNewDeployment=True)
        everything = self.sds()
        self.assertEqual([b["status"] for b in everything], ["IN_PROGRESS", "STOPPED", "STOPPED", "SUCCESSFUL"])
        created = [b["createdAt"] for b in everything]
        self.assertEqual(created, sorted(created, reverse=True))
        self.assertEqual(self.sds(status=["SUCCESSFUL"]), everything[3:])
        self.assertEqual(self.sds(createdAt={"after": cut}), everything[:1])
        page = self.ecs.list_service_deployments(cluster=self.cluster, service="web", maxResults=3)
        rest = self.ecs.list_service_deployments(cluster=self.cluster, service="web", maxResults=3,
                                                 nextToken=page["nextToken"])
        self.assertEqual(page["serviceDeployments"] + rest["serviceDeployments"], everything)
        self.assertNotIn("nextToken", rest)
        full = self.ecs.describe_service_deployments(
            serviceDeploymentArns=[b["serviceDeploymentArn"] for b in everything])["serviceDeployments"]
        self.assertEqual([d["status"] for d in full], [b["status"] for b in everything])


class ControlTest(EcsCase):
    def test_the_control_endpoint_answers_through_the_fault_proxy(self):
        proxy = self.env["GANTRY_FAULT_PROXY"]
        self.assertEqual(proxy, self.env["AWS_ENDPOINT_URL"])
        self.service()
        self.script(base=proxy, outcome="stuck")
        self.deploy(forceNewDeployment=True)
        time.sleep(0.2)
        self.assertEqual(self.describe()["deployments"][0]["rolloutState"], "IN_PROGRESS")
        # A later script applies to later deployments only.
        self.script(base=self.env["GANTRY_EMULATOR_URL"], outcome="complete", seconds=0)
        self.assertEqual(self.describe()["deployments"][0]["rolloutState"], "IN_PROGRESS")
        self.deploy(forceNewDeployment=True)
        self.assertEqual([d["rolloutState"] for d in self.describe()["deployments"]], ["COMPLETED"])
        code, out = post(proxy, "/moto-api/gantry/ecs-rollout", {"service": "web", "outcome": "explode"})
        self.assertEqual(code, 400)
        self.assertIn("outcome", out["error"])


if __name__ == "__main__":
    unittest.main()
