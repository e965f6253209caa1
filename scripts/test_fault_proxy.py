"""Tests of scripts/fault_proxy.py: moto and the proxy started through
scripts/emulator.sh, driven with botocore clients (one attempt each).

    .venv/bin/python -m unittest discover -s scripts -p 'test_*.py'
"""

import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
import uuid
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.parsers import RpcV2CBORParser
from botocore.retries import standard

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault_proxy  # noqa: E402
from emulator_fixture import emulator, start_emulator  # noqa: E402

REGION = "us-east-1"


def new_key() -> str:
    return "AKIA" + uuid.uuid4().hex[:16].upper()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class _Status:
    def __init__(self, status_code):
        self.status_code = status_code


def retry_context(e: ClientError) -> standard.RetryContext:
    return standard.RetryContext(
        attempt_number=1,
        parsed_response=e.response,
        http_response=_Status(e.response["ResponseMetadata"]["HTTPStatusCode"]),
    )


class ProxyCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = emulator()
        cls.proxy = cls.env["GANTRY_FAULT_PROXY"]

    # One session for every client: it caches the service models it loads.
    session = boto3.session.Session()

    def client(self, service, key, region=REGION, endpoint=None):
        # One attempt: botocore's `max_attempts` counts retries in its legacy
        # mode, so a throttled call would be sent twice.
        return self.session.client(
            service, endpoint_url=endpoint or self.proxy, region_name=region,
            aws_access_key_id=key, aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}),
        )

    def control(self, method, path, body=None):
        req = urllib.request.Request(
            self.proxy + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def profile(self, key, **kw):
        status, doc = self.control("POST", "/_faults/profile", {"access_key": key, **kw})
        self.assertEqual(status, 200, doc)
        return doc

    def stats(self, key):
        status, doc = self.control("GET", f"/_faults/stats?access_key={key}")
        self.assertEqual(status, 200, doc)
        return doc

    def reset(self, key):
        status, doc = self.control("POST", f"/_faults/reset?access_key={key}")
        self.assertEqual(status, 200, doc)


class StartupTest(ProxyCase):
    def test_endpoint_is_the_proxy_and_moto_is_behind_it(self):
        self.assertEqual(self.env["AWS_ENDPOINT_URL"], self.proxy)
        self.assertNotEqual(self.env["GANTRY_EMULATOR_URL"], self.proxy)
        for pid in (self.env["GANTRY_EMULATOR_PID"], self.env["GANTRY_FAULT_PROXY_PID"]):
            os.kill(int(pid), 0)  # both running
        status, doc = self.control("GET", "/_faults/health")
        self.assertEqual((status, doc), (200, {"ok": True}))

    def test_owner_exit_stops_moto_and_proxy(self):
        owner = subprocess.Popen(["sleep", "60"])
        try:
            exports = start_emulator(tempfile.mkdtemp(prefix="gantry-owner-test-"), owner.pid)
            pids = [int(exports["GANTRY_EMULATOR_PID"]), int(exports["GANTRY_FAULT_PROXY_PID"])]
            with urllib.request.urlopen(exports["GANTRY_FAULT_PROXY"] + "/moto-api/", timeout=10) as r:
                self.assertEqual(r.status, 200)
        finally:
            owner.kill()
            owner.wait()
        deadline = time.time() + 10
        alive = pids
        while alive and time.time() < deadline:
            time.sleep(0.2)
            alive = [p for p in pids if _alive(p)]
        self.assertEqual(alive, [], "moto or the proxy outlived the owner process")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


class CountingTest(ProxyCase):
    def test_counts_per_key_are_exact_and_isolated(self):
        a, b = new_key(), new_key()
        ec2, iam, logs = self.client("ec2", a), self.client("iam", a), self.client("logs", a)
        for _ in range(3):
            ec2.describe_vpcs()
        ec2.create_vpc(CidrBlock="10.9.0.0/16")
        iam.list_roles()
        logs.describe_log_groups()
        logs.describe_log_groups()
        self.client("s3", b).list_buckets()
        sa = self.stats(a)
        self.assertEqual(sa["calls"], {
            "ec2:DescribeVpcs": 3, "ec2:CreateVpc": 1, "iam:ListRoles": 1, "logs:DescribeLogGroups": 2,
        })
        self.assertEqual(sa["by_service"], {"ec2": 4, "iam": 1, "logs": 2})
        self.assertEqual((sa["total"], sa["forwarded"], sa["throttled"], sa["lost"]), (7, 7, 0, 0))
        sb = self.stats(b)
        self.assertEqual(sb["calls"], {"s3:ListBuckets": 1})
        self.assertEqual(sb["total"], 1)
        self.reset(a)
        self.assertEqual(self.stats(a)["total"], 0)
        self.assertEqual(self.stats(b)["total"], 1)

    def test_parallel_clients_each_count_their_own(self):
        keys = [new_key() for _ in range(6)]
        errors = []

        def run(c):
            try:
                for _ in range(8):
                    c.get_caller_identity()
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        # (clients are made here: making them is not thread-safe)
        threads = [threading.Thread(target=run, args=(self.client("sts", k),)) for k in keys]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        for k in keys:
            self.assertEqual(self.stats(k)["calls"], {"sts:GetCallerIdentity": 8})

    def test_moto_api_passes_through_uncounted(self):
        key = new_key()
        u = urlsplit(self.proxy)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        conn.request("GET", "/moto-api/", headers={
            "Authorization": f"AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/ec2/aws4_request, "
                             "SignedHeaders=host, Signature=0"})
        r = conn.getresponse()
        r.read()
        conn.close()
        self.assertEqual(r.status, 200)
        self.assertEqual(self.stats(key)["total"], 0)

    def test_rest_operations_are_named_from_the_service_model(self):
        key = new_key()
        s3 = self.client("s3", key)
        bucket = unique("names")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="a/b.txt", Body=b"x")
        s3.copy_object(Bucket=bucket, Key="c.txt", CopySource={"Bucket": bucket, "Key": "a/b.txt"})
        s3.get_object(Bucket=bucket, Key="a/b.txt")["Body"].read()
        s3.list_objects_v2(Bucket=bucket)
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        self.client("route53", key).list_hosted_zones()
        self.client("apigatewayv2", key).get_apis()
        self.client("efs", key).describe_file_systems()
        self.client("cloudfront", key).list_distributions()
        self.assertEqual(self.stats(key)["calls"], {
            "s3:CreateBucket": 1, "s3:PutObject": 1, "s3:CopyObject": 1, "s3:GetObject": 1,
            "s3:ListObjectsV2": 1, "s3:PutBucketTagging": 1, "route53:ListHostedZones": 1,
            "apigateway:GetApis": 1, "elasticfilesystem:DescribeFileSystems": 1,
            "cloudfront:ListDistributions": 1,
        })


# (client, call, kwargs, expected code, expected HTTP status)
THROTTLED_READS = [
    ("ec2", "describe_vpcs", {}, "RequestLimitExceeded", 503),
    ("iam", "list_roles", {}, "Throttling", 400),
    ("elbv2", "describe_load_balancers", {}, "Throttling", 400),
    ("sts", "get_caller_identity", {}, "Throttling", 400),
    ("logs", "describe_log_groups", {}, "ThrottlingException", 400),
    ("ecs", "list_clusters", {}, "ThrottlingException", 400),
    ("dynamodb", "list_tables", {}, "ThrottlingException", 400),
    ("s3", "list_buckets", {}, "SlowDown", 503),
    ("route53", "list_hosted_zones", {}, "Throttling", 400),
    ("cloudfront", "list_distributions", {}, "Throttling", 400),
    ("apigatewayv2", "get_apis", {}, "TooManyRequestsException", 429),
    ("efs", "describe_file_systems", {}, "ThrottlingException", 429),
]


class ThrottleTest(ProxyCase):
    def test_every_protocol_family_throttles_as_aws_does(self):
        key = new_key()
        self.profile(key, seed=1, throttle=1.0)
        for service, op, kwargs, code, status in THROTTLED_READS:
            with self.subTest(service=service):
                with self.assertRaises(ClientError) as cm:
                    getattr(self.client(service, key), op)(**kwargs)
                err = cm.exception.response
                self.assertEqual(err["Error"]["Code"], code)
                self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status)
                self.assertTrue(standard.ThrottledRetryableChecker().is_retryable(retry_context(cm.exception)),
                                f"botocore does not classify {code} as throttling")
        s = self.stats(key)
        self.assertEqual((s["total"], s["throttled"], s["forwarded"]), (len(THROTTLED_READS),) * 2 + (0,))

    def test_modeled_throttling_errors_map_to_the_service_exceptions(self):
        key = new_key()
        self.profile(key, throttle=1.0)
        efs = self.client("efs", key)
        with self.assertRaises(efs.exceptions.ThrottlingException):
            efs.describe_file_systems()
        apigw = self.client("apigatewayv2", key)
        with self.assertRaises(apigw.exceptions.TooManyRequestsException):
            apigw.get_apis()
        logs = self.client("logs", key)
        with self.assertRaises(logs.exceptions.ThrottlingException):
            logs.describe_log_groups()

    def test_a_throttled_upload_is_not_forwarded(self):
        key, clean = new_key(), new_key()
        bucket = unique("throttled")
        self.client("s3", clean).create_bucket(Bucket=bucket)
        self.profile(key, throttle=1.0)
        with self.assertRaises(ClientError) as cm:
            self.client("s3", key).put_object(Bucket=bucket, Key="big", Body=b"z" * (3 << 20))
        self.assertEqual(cm.exception.response["Error"]["Code"], "SlowDown")
        self.assertEqual(self.client("s3", clean).list_objects_v2(Bucket=bucket)["KeyCount"], 0)

    def test_a_profile_for_one_key_never_touches_another(self):
        noisy, quiet = new_key(), new_key()
        self.profile(noisy, throttle=1.0, lose_mutating=1.0)
        for _ in range(5):
            self.client("ec2", quiet).describe_vpcs()
            self.client("ec2", quiet).create_vpc(CidrBlock="10.8.0.0/16")
        s = self.stats(quiet)
        self.assertEqual((s["total"], s["throttled"], s["lost"], s["faults"]), (10, 0, 0, []))
        self.assertIsNone(s["profile"])


class LostReplyTest(ProxyCase):
    """lose_mutating=1.0: creates answer 500, yet the object exists (seen
    with another key); reads are never lost."""

    def setUp(self):
        self.key, self.clean = new_key(), new_key()
        self.profile(self.key, seed=3, lose_mutating=1.0)

    def lost(self, service, op, code, **kwargs):
        with self.assertRaises(ClientError) as cm:
            getattr(self.client(service, self.key), op)(**kwargs)
        err = cm.exception.response
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 500)
        self.assertEqual(err["Error"]["Code"], code)
        self.assertTrue(standard.TransientRetryableChecker().is_retryable(retry_context(cm.exception)))
        self.assertFalse(standard.ThrottledRetryableChecker().is_retryable(retry_context(cm.exception)))

    def test_ec2(self):
        name = unique("lost-vpc")
        self.lost("ec2", "create_vpc", "InternalError", CidrBlock="10.7.0.0/16",
                  TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}])
        vpcs = self.client("ec2", self.clean).describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])
        self.assertEqual(len(vpcs["Vpcs"]), 1)

    def test_iam(self):
        name = unique("lost-role")
        self.lost("iam", "create_role", "InternalFailure", RoleName=name, AssumeRolePolicyDocument="{}")
        self.assertEqual(self.client("iam", self.clean).get_role(RoleName=name)["Role"]["RoleName"], name)

    def test_elbv2(self):
        name = unique("lost-tg")[:32]
        vpc = self.client("ec2", self.clean).create_vpc(CidrBlock="10.6.0.0/16")["Vpc"]["VpcId"]
        self.lost("elbv2", "create_target_group", "InternalFailure", Name=name, Protocol="HTTP",
                  Port=80, VpcId=vpc)
        got = self.client("elbv2", self.clean).describe_target_groups(Names=[name])
        self.assertEqual(len(got["TargetGroups"]), 1)

    def test_logs_json(self):
        name = unique("/lost/group")
        self.lost("logs", "create_log_group", "InternalServerException", logGroupName=name)
        got = self.client("logs", self.clean).describe_log_groups(logGroupNamePrefix=name)
        self.assertEqual([g["logGroupName"] for g in got["logGroups"]], [name])

    def test_ecs_json(self):
        name = unique("lost-cluster")
        self.lost("ecs", "create_cluster", "ServerException", clusterName=name)
        got = self.client("ecs", self.clean).describe_clusters(clusters=[name])
        self.assertEqual([c["status"] for c in got["clusters"]], ["ACTIVE"])

    def test_s3(self):
        bucket = unique("lost-bucket")
        self.lost("s3", "create_bucket", "InternalError", Bucket=bucket)
        self.client("s3", self.clean).head_bucket(Bucket=bucket)

    def test_route53(self):
        name = unique("lost") + ".example.com"
        self.lost("route53", "create_hosted_zone", "InternalFailure", Name=name, CallerReference=name)
        zones = self.client("route53", self.clean).list_hosted_zones_by_name(DNSName=name)["HostedZones"]
        self.assertEqual(zones[0]["Name"], name + ".")

    def test_apigatewayv2_rest_json(self):
        name = unique("lost-api")
        self.lost("apigatewayv2", "create_api", "InternalFailure", Name=name, ProtocolType="HTTP")
        apis = self.client("apigatewayv2", self.clean).get_apis()["Items"]
        self.assertIn(name, [a["Name"] for a in apis])

    def test_efs_rest_json(self):
        token = unique("lost-fs")
        self.lost("efs", "create_file_system", "InternalServerError", CreationToken=token)
        fss = self.client("efs", self.clean).describe_file_systems(CreationToken=token)["FileSystems"]
        self.assertEqual(len(fss), 1)

    def test_reads_are_never_lost(self):
        bucket = unique("reads")
        self.client("s3", self.clean).create_bucket(Bucket=bucket)
        self.client("s3", self.clean).put_object(Bucket=bucket, Key="k", Body=b"v")
        k = self.key
        self.client("ec2", k).describe_vpcs()
        self.client("iam", k).list_roles()
        self.client("iam", k).get_account_summary()
        self.client("logs", k).describe_log_groups()
        self.client("dynamodb", k).list_tables()
        self.client("s3", k).list_buckets()
        self.client("s3", k).head_bucket(Bucket=bucket)
        self.assertEqual(self.client("s3", k).get_object(Bucket=bucket, Key="k")["Body"].read(), b"v")
        self.client("route53", k).list_hosted_zones()
        self.client("apigatewayv2", k).get_apis()
        self.client("efs", k).describe_file_systems()
        self.client("sts", k).get_caller_identity()
        s = self.stats(k)
        self.assertEqual((s["total"], s["lost"], s["faults"]), (12, 0, []))


class SeedTest(ProxyCase):
    def run_sequence(self, key, seed):
        """24 calls, alternating a create and a read; each outcome."""
        self.reset(key)
        self.profile(key, seed=seed, throttle=0.3, lose_mutating=0.5)
        logs = self.client("logs", key)
        outcomes = []
        for i in range(24):
            try:
                if i % 2 == 0:
                    logs.create_log_group(logGroupName=unique("/seed"))
                else:
                    logs.describe_log_groups(limit=1)
                outcomes.append("ok")
            except ClientError as e:
                code = e.response["Error"]["Code"]
                outcomes.append({"ThrottlingException": "throttle", "InternalServerException": "lost"}[code])
        return outcomes, self.stats(key)

    def test_a_seed_reproduces_the_fault_sequence(self):
        key = new_key()
        first, s1 = self.run_sequence(key, 7)
        again, s2 = self.run_sequence(key, 7)
        other, _ = self.run_sequence(key, 8)
        self.assertEqual(first, again)
        self.assertEqual(s1["faults"], s2["faults"])
        self.assertNotEqual(first, other)
        # And the sequence is the documented one: two draws per call.
        rng, expected = random.Random(7), []
        for i in range(24):
            t, lose = rng.random(), rng.random()
            expected.append("throttle" if t < 0.3 else "lost" if i % 2 == 0 and lose < 0.5 else "ok")
        self.assertEqual(first, expected)
        self.assertEqual(s1["throttled"], expected.count("throttle"))
        self.assertEqual(s1["lost"], expected.count("lost"))
        self.assertEqual(s1["total"], 24)

    def test_match_limits_faults_to_some_calls(self):
        key = new_key()
        self.profile(key, throttle=1.0, match=["ec2:Create*"])
        self.client("ec2", key).describe_vpcs()
        with self.assertRaises(ClientError):
            self.client("ec2", key).create_vpc(CidrBlock="10.5.0.0/16")
        self.assertEqual(self.stats(key)["faults"], [{"index": 2, "call": "ec2:CreateVpc", "fault": "throttle"}])


class TransportTest(ProxyCase):
    def test_large_bodies_both_ways(self):
        key = new_key()
        s3 = self.client("s3", key)
        bucket = unique("large")
        s3.create_bucket(Bucket=bucket)
        blob = os.urandom(9 << 20)  # above the proxy's buffer limit: streamed
        s3.put_object(Bucket=bucket, Key="blob", Body=blob)
        self.assertEqual(s3.get_object(Bucket=bucket, Key="blob")["Body"].read(), blob)
        self.assertEqual(s3.head_object(Bucket=bucket, Key="blob")["ContentLength"], len(blob))

    def test_keep_alive_and_chunked_requests(self):
        key = new_key()
        bucket = unique("chunked")
        self.client("s3", key).create_bucket(Bucket=bucket)
        auth = (f"AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/s3/aws4_request, "
                "SignedHeaders=host, Signature=0")
        u = urlsplit(self.proxy)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        conn.connect()
        sock = conn.sock
        parts = [b"hello ", b"chunked ", b"world"]
        conn.request("PUT", f"/{bucket}/greeting", body=iter(parts), encode_chunked=True,
                     headers={"Authorization": auth, "Transfer-Encoding": "chunked"})
        r = conn.getresponse()
        r.read()
        self.assertEqual(r.status, 200)
        self.assertFalse(r.will_close)
        for _ in range(3):
            conn.request("GET", f"/{bucket}/greeting", headers={"Authorization": auth})
            r = conn.getresponse()
            self.assertEqual((r.status, r.read()), (200, b"hello chunked world"))
        self.assertIs(conn.sock, sock, "the proxy closed a keep-alive connection")
        conn.close()
        self.assertEqual(self.stats(key)["calls"], {"s3:CreateBucket": 1, "s3:PutObject": 1, "s3:GetObject": 3})

    def test_overhead_is_small(self):
        key = new_key()
        ec2 = self.client("ec2", key)
        direct = self.client("ec2", key, endpoint=self.env["GANTRY_EMULATOR_URL"])
        ec2.describe_vpcs()
        direct.describe_vpcs()

        def timed(c):
            t0 = time.perf_counter()
            for _ in range(20):
                c.describe_availability_zones()
            return (time.perf_counter() - t0) / 20

        via, straight = min(timed(ec2) for _ in range(2)), min(timed(direct) for _ in range(2))
        self.assertLess(via - straight, 0.010, f"proxy adds {1000 * (via - straight):.1f} ms a call")


class ControlApiTest(ProxyCase):
    def test_bad_requests(self):
        self.assertEqual(self.control("POST", "/_faults/profile", {"throttle": 0.5})[0], 400)
        self.assertEqual(self.control("POST", "/_faults/profile", {"access_key": "K", "throttle": 2})[0], 400)
        self.assertEqual(self.control("POST", "/_faults/profile", {"access_key": "K", "typo": 1})[0], 400)
        self.assertEqual(self.control("POST", "/_faults/reset")[0], 400)
        self.assertEqual(self.control("GET", "/_faults/nothing")[0], 404)

    def test_profile_defaults_and_stats_without_key(self):
        key = new_key()
        doc = self.profile(key)
        self.assertEqual(doc["profile"], {"seed": 0, "throttle": 0.0, "lose_mutating": 0.0})
        status, everything = self.control("GET", "/_faults/stats")
        self.assertEqual(status, 200)
        self.assertIn(key, everything["keys"])


class ErrorBodyTest(unittest.TestCase):
    """The exact bodies, for the families botocore's parsers hide."""

    models = fault_proxy.Models(fault_proxy._botocore_data())

    def body(self, method, path, headers, form=None):
        h = {"Authorization": headers.pop("auth")}
        h.update(headers)
        call = fault_proxy.identify(method, path, h, form, self.models)
        return call, fault_proxy.fault_response(call, "throttle", self.models), \
            fault_proxy.fault_response(call, "internal", self.models)

    @staticmethod
    def auth(service, key="AKIDEXAMPLE"):
        return f"AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host"

    def test_ec2(self):
        _, (st, _, b), (si, _, bi) = self.body(
            "POST", "/", {"auth": self.auth("ec2"), "Content-Type": "application/x-www-form-urlencoded"},
            b"Action=CreateVpc&Version=2016-11-15")
        self.assertEqual(st, 503)
        self.assertIn(b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit "
                      b"exceeded.</Message></Error></Errors><RequestID>", b)
        self.assertEqual(si, 500)
        self.assertIn(b"<Code>InternalError</Code>", bi)

    def test_query_namespaces(self):
        for service, form, ns in [
            ("iam", b"Action=ListRoles&Version=2010-05-08", "https://iam.amazonaws.com/doc/2010-05-08/"),
            ("elasticloadbalancing", b"Action=DescribeLoadBalancers&Version=2015-12-01",
             "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"),
            ("rds", b"Action=DescribeDBInstances&Version=2014-10-31", "http://rds.amazonaws.com/doc/2014-10-31/"),
        ]:
            with self.subTest(service=service):
                _, (st, _, b), (si, _, bi) = self.body(
                    "POST", "/", {"auth": self.auth(service), "Content-Type": "application/x-www-form-urlencoded"},
                    form)
                self.assertEqual(st, 400)
                self.assertIn(f'<ErrorResponse xmlns="{ns}"><Error><Type>Sender</Type><Code>Throttling</Code>'
                              "<Message>Rate exceeded</Message></Error><RequestId>".encode(), b)
                self.assertEqual(si, 500)
                self.assertIn(b"<Type>Receiver</Type><Code>InternalFailure</Code>", bi)

    def test_rest_xml(self):
        for service, path, ns in [
            ("route53", "/2013-04-01/hostedzone", "https://route53.amazonaws.com/doc/2013-04-01/"),
            ("cloudfront", "/2020-05-31/distribution", "http://cloudfront.amazonaws.com/doc/2020-05-31/"),
        ]:
            with self.subTest(service=service):
                call, (st, _, b), (si, _, bi) = self.body("POST", path, {"auth": self.auth(service)})
                self.assertTrue(call.mutating)
                self.assertEqual(st, 400)
                self.assertIn(f'<ErrorResponse xmlns="{ns}"><Error><Type>Sender</Type><Code>Throttling</Code>'
                              .encode(), b)
                self.assertEqual(si, 500)

    def test_s3(self):
        call, (st, h, b), (si, _, bi) = self.body("PUT", "/bucket/key?x-id=PutObject", {"auth": self.auth("s3")})
        self.assertEqual((call.operation, st, si), ("PutObject", 503, 500))
        self.assertIn(b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>", b)
        self.assertIn(b"<Error><Code>InternalError</Code>", bi)
        self.assertIn("x-amz-request-id", dict(h))

    def test_json_versions(self):
        for target, ctype, expected in [
            ("Logs_20140328.CreateLogGroup", "application/x-amz-json-1.1", "ThrottlingException"),
            ("DynamoDB_20120810.PutItem", "application/x-amz-json-1.0",
             "com.amazonaws.dynamodb.v20120810#ThrottlingException"),
        ]:
            service = "logs" if target.startswith("Logs") else "dynamodb"
            call, (st, h, b), (si, hi, bi) = self.body(
                "POST", "/", {"auth": self.auth(service), "X-Amz-Target": target, "Content-Type": ctype})
            self.assertEqual((st, dict(h)["Content-Type"]), (400, ctype))
            self.assertEqual(json.loads(b), {"__type": expected, "message": "Rate exceeded"})
            self.assertEqual(si, 500)
        self.assertEqual(json.loads(bi)["__type"], "InternalServerError")  # DynamoDB declares it

    def test_rest_json(self):
        _, (st, h, b), (si, hi, bi) = self.body("GET", "/v2/apis", {"auth": self.auth("apigateway")})
        self.assertEqual((st, dict(h)["x-amzn-ErrorType"], json.loads(b)), (429, "TooManyRequestsException",
                                                                            {"message": "Too Many Requests"}))
        self.assertEqual((si, dict(hi)["x-amzn-ErrorType"]), (500, "InternalFailure"))
        _, (st, h, b), (si, hi, bi) = self.body("POST", "/2015-02-01/file-systems", {"auth": self.auth("elasticfilesystem")})
        self.assertEqual((st, dict(h)["x-amzn-ErrorType"]), (429, "ThrottlingException"))
        self.assertEqual(json.loads(b)["ErrorCode"], "ThrottlingException")
        self.assertEqual((si, dict(hi)["x-amzn-ErrorType"]), (500, "InternalServerError"))

    def test_cbor(self):
        call, (st, h, b), (si, hi, bi) = self.body(
            "POST", "/service/GraniteServiceVersion20100801/operation/PutMetricAlarm",
            {"auth": self.auth("monitoring"), "smithy-protocol": "rpc-v2-cbor"})
        self.assertEqual((call.name, call.mutating), ("monitoring:PutMetricAlarm", True))
        parsed = RpcV2CBORParser().parse({"status_code": st, "headers": dict(h), "body": b}, None)
        self.assertEqual((st, parsed["Error"]["Code"]), (400, "ThrottlingException"))
        parsed = RpcV2CBORParser().parse({"status_code": si, "headers": dict(hi), "body": bi}, None)
        self.assertEqual((si, parsed["Error"]["Code"]), (500, "InternalServiceError"))

    def test_presigned_url_and_fallback_names(self):
        call = fault_proxy.identify(
            "GET", "/b/k?X-Amz-Credential=AKIDPRESIGNED%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=0",
            {}, None, self.models)
        self.assertEqual((call.key, call.name), ("AKIDPRESIGNED", "s3:GetObject"))
        call = fault_proxy.identify(
            "DELETE", "/2099-01-01/widgets/w-12345678", {"Authorization": self.auth("widgets")}, None, fault_proxy.Models(None))
        self.assertEqual((call.name, call.mutating), ("widgets:DELETE /2099-01-01/widgets/{id}", True))


if __name__ == "__main__":
    unittest.main()
