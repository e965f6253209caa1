"""SNS email subscriptions, CloudWatch alarms and Application Auto Scaling
behave on the emulator as on AWS (scripts/moto_sns.py,
scripts/moto_cloudwatch.py, scripts/moto_autoscaling.py): email
subscriptions wait for confirmation and cannot be unsubscribed meanwhile;
DescribeAlarms applies all its filters, alarms start in INSUFFICIENT_DATA,
keep their state when put again and say when it last changed; scalable
targets keep their tags, deletes of what is gone say
`ObjectNotFoundException`, and deregistering a target takes its policies
and scheduled actions with it.

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

DIMENSION = "ecs:service:DesiredCount"


class EmailSubscriptionTest(unittest.TestCase):
    def test_email_waits_for_confirmation_and_sqs_does_not(self):
        f = Fixture(emulator()["AWS_ENDPOINT_URL"], f"sns{uuid.uuid4().hex[:8]}")
        sns = f.client("sns")
        topic = sns.create_topic(Name=f.stack)["TopicArn"]
        plain = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="a@example.com")
        self.assertEqual(plain["SubscriptionArn"], "pending confirmation")
        arn = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="a@example.com",
                            ReturnSubscriptionArn=True)["SubscriptionArn"]
        self.assertTrue(arn.startswith(topic + ":"), arn)
        again = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="a@example.com",
                              ReturnSubscriptionArn=True)["SubscriptionArn"]
        self.assertEqual(again, arn)
        attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        self.assertEqual(attrs["PendingConfirmation"], "true")
        queue = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:{f.region}:123456789012:q",
                              ReturnSubscriptionArn=True)["SubscriptionArn"]
        listed = {s["Endpoint"]: s["SubscriptionArn"]
                  for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]}
        self.assertEqual(listed, {"a@example.com": "PendingConfirmation",
                                  f"arn:aws:sqs:{f.region}:123456789012:q": queue})
        # A pending subscription cannot be unsubscribed; a confirmed one can,
        # and deleting the topic takes the pending one with it.
        with self.assertRaises(ClientError) as e:
            sns.unsubscribe(SubscriptionArn=arn)
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidParameter")
        self.assertIn("pending confirmation", e.exception.response["Error"]["Message"])
        sns.unsubscribe(SubscriptionArn=queue)
        sns.delete_topic(TopicArn=topic)
        left = [s for s in sns.list_subscriptions()["Subscriptions"] if s["TopicArn"] == topic]
        self.assertEqual(left, [])
        with self.assertRaises(ClientError):
            sns.get_subscription_attributes(SubscriptionArn=arn)


class AlarmStateTest(unittest.TestCase):
    def put(self, cw, name, threshold=10.0):
        cw.put_metric_alarm(AlarmName=name, Namespace="AWS/ECS", MetricName="CPUUtilization",
                            Dimensions=[{"Name": "ClusterName", "Value": "c"}], Statistic="Average",
                            Period=300, EvaluationPeriods=3, Threshold=threshold,
                            ComparisonOperator="GreaterThanOrEqualToThreshold")

    def test_filters_combine_and_states_are_kept(self):
        f = Fixture(emulator()["AWS_ENDPOINT_URL"], f"cw{uuid.uuid4().hex[:8]}")
        cw = f.client("cloudwatch")
        for n in ("a", "b"):
            self.put(cw, f"{f.stack}-{n}")
        self.put(cw, f"other{f.stack}-a")
        a = cw.describe_alarms(AlarmNames=[f"{f.stack}-a"])["MetricAlarms"][0]
        self.assertEqual(a["StateValue"], "INSUFFICIENT_DATA")
        created = a["StateTransitionedTimestamp"]

        cw.set_alarm_state(AlarmName=f"{f.stack}-a", StateValue="ALARM", StateReason="Threshold Crossed")
        firing = cw.describe_alarms(AlarmNamePrefix=f"{f.stack}-", StateValue="ALARM")
        self.assertEqual([x["AlarmName"] for x in firing["MetricAlarms"]], [f"{f.stack}-a"])
        a = firing["MetricAlarms"][0]
        self.assertGreaterEqual(a["StateTransitionedTimestamp"], created)
        transitioned = a["StateTransitionedTimestamp"]
        # The prefix alone: both of the stack's, not the other one's.
        names = {x["AlarmName"] for x in cw.describe_alarms(AlarmNamePrefix=f"{f.stack}-")["MetricAlarms"]}
        self.assertEqual(names, {f"{f.stack}-a", f"{f.stack}-b"})
        self.assertEqual(cw.describe_alarms(AlarmNamePrefix=f"{f.stack}-", StateValue="OK")["MetricAlarms"], [])

        # Put again with another threshold: the state stays, so does the
        # time it last changed; a new reason alone does not move it either.
        self.put(cw, f"{f.stack}-a", threshold=20.0)
        cw.set_alarm_state(AlarmName=f"{f.stack}-a", StateValue="ALARM", StateReason="Still crossed")
        a = cw.describe_alarms(AlarmNames=[f"{f.stack}-a"])["MetricAlarms"][0]
        self.assertEqual((a["Threshold"], a["StateValue"], a["StateReason"]), (20.0, "ALARM", "Still crossed"))
        self.assertEqual(a["StateTransitionedTimestamp"], transitioned)
        cw.delete_alarms(AlarmNames=[f"{f.stack}-a", f"{f.stack}-b", f"other{f.stack}-a"])


class ScalableTargetTest(unittest.TestCase):
    def setUp(self):
        self.f = Fixture(emulator()["AWS_ENDPOINT_URL"], f"aas{uuid.uuid4().hex[:8]}")
        ecs = self.f.client("ecs")
        ecs.create_cluster(clusterName=self.f.stack)
        ecs.register_task_definition(family=self.f.stack,
                                     containerDefinitions=[{"name": "a", "image": "x", "memoryReservation": 64}])
        ecs.create_service(cluster=self.f.stack, serviceName="web", taskDefinition=self.f.stack, desiredCount=1)
        self.aas = self.f.client("application-autoscaling")
        self.rid = f"service/{self.f.stack}/web"

    def key(self, **kw):
        return dict(ServiceNamespace="ecs", ResourceId=self.rid, ScalableDimension=DIMENSION, **kw)

    def code(self, call, **kw):
        with self.assertRaises(ClientError) as e:
            call(**kw)
        return e.exception.response["Error"]["Code"]

    def test_tags_not_found_and_deregister_cascade(self):
        arn = self.aas.register_scalable_target(**self.key(MinCapacity=1, MaxCapacity=4),
                                                Tags={"gantry:stack": self.f.stack})["ScalableTargetARN"]
        self.assertEqual(self.aas.list_tags_for_resource(ResourceARN=arn)["Tags"], {"gantry:stack": self.f.stack})
        self.aas.tag_resource(ResourceARN=arn, Tags={"k": "v"})
        self.aas.untag_resource(ResourceARN=arn, TagKeys=["gantry:stack"])
        self.assertEqual(self.aas.list_tags_for_resource(ResourceARN=arn)["Tags"], {"k": "v"})
        # Registering again updates and keeps the tags.
        self.aas.register_scalable_target(**self.key(MinCapacity=2, MaxCapacity=4))
        self.assertEqual(self.aas.list_tags_for_resource(ResourceARN=arn)["Tags"], {"k": "v"})

        self.aas.put_scaling_policy(**self.key(PolicyName="cpu", PolicyType="TargetTrackingScaling",
                                               TargetTrackingScalingPolicyConfiguration={
                                                   "TargetValue": 60.0,
                                                   "PredefinedMetricSpecification": {
                                                       "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}))
        self.aas.put_scheduled_action(**self.key(ScheduledActionName="night", Schedule="cron(0 20 ? * MON-FRI *)",
                                                 ScalableTargetAction={"MinCapacity": 0, "MaxCapacity": 0}))
        self.assertEqual(self.code(self.aas.delete_scaling_policy, **self.key(PolicyName="nope")),
                         "ObjectNotFoundException")
        self.assertEqual(self.code(self.aas.delete_scheduled_action, **self.key(ScheduledActionName="nope")),
                         "ObjectNotFoundException")

        self.aas.deregister_scalable_target(**self.key())
        self.assertEqual(self.aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=self.rid)
                         ["ScalingPolicies"], [])
        self.assertEqual(self.aas.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId=self.rid)
                         ["ScheduledActions"], [])
        self.assertEqual(self.code(self.aas.deregister_scalable_target, **self.key()), "ObjectNotFoundException")
        self.assertEqual(self.code(self.aas.list_tags_for_resource, ResourceARN=arn), "ResourceNotFoundException")


if __name__ == "__main__":
    unittest.main()
