"""The Resource Groups Tagging API on the emulator lists what Gantry tags the
way AWS does (scripts/moto_tagging.py fills moto's gaps): every resource kind
a stack has, with the ARN and resource type AWS uses, in the region AWS
lists it in (global ones in us-east-1), and nothing once deleted.

    .venv/bin/python -m unittest discover -s scripts -p 'test_*.py'
"""

import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator_fixture import emulator  # noqa: E402
from tagging_fixture import GLOBAL, REGION, Fixture, resource_type  # noqa: E402

# Every kind Gantry lists a stack with; the fixture makes one of each.
KINDS = {
    "ec2:vpc", "ec2:subnet", "ec2:internet-gateway", "ec2:route-table", "ec2:elastic-ip",
    "ec2:natgateway", "ec2:vpc-endpoint", "ec2:security-group", "ec2:vpc-flow-log",
    "elasticloadbalancing:loadbalancer", "elasticloadbalancing:targetgroup",
    "elasticloadbalancing:listener", "elasticloadbalancing:listener-rule",
    "ecs:cluster", "ecs:service", "ecs:task-definition", "logs:log-group", "ecr:repository",
    "kms:key", "secretsmanager:secret", "ssm:parameter", "rds:db", "rds:subgrp",
    "elasticache:replicationgroup", "elasticache:subnetgroup", "dynamodb:table", "s3:bucket",
    "elasticfilesystem:file-system", "elasticfilesystem:access-point", "route53:hostedzone",
    "acm:certificate", "wafv2:regional/webacl", "wafv2:regional/ipset", "wafv2:global/webacl",
    "wafv2:global/ipset", "cloudfront:distribution", "apigateway:apis", "apigateway:vpclinks",
    "apigateway:domainnames", "memorydb:cluster", "memorydb:user", "memorydb:acl",
    "memorydb:subnetgroup", "sns", "cloudwatch:alarm", "servicediscovery:namespace",
    "servicediscovery:service",
}


class TaggingGapsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = emulator()
        cls.stack = f"tag{uuid.uuid4().hex[:8]}"
        cls.f = Fixture(env["AWS_ENDPOINT_URL"], cls.stack).create()
        cls.listed = {r: cls.f.listed(r) for r in (REGION, GLOBAL)}
        cls.by_type = {}
        for label, (region, _) in cls.f.expected.items():
            kind = resource_type(label)
            if (region, kind) not in cls.by_type:
                cls.by_type[region, kind] = cls.f.listed(region, ResourceTypeFilters=[kind])
        cls.f.delete()
        cls.after_delete = {r: cls.f.listed(r) for r in (REGION, GLOBAL)}

    def test_the_fixture_covers_every_kind(self):
        self.assertEqual({resource_type(label) for label in self.f.expected}, KINDS)

    def test_each_resource_is_listed_with_its_arn_and_tags_in_its_region(self):
        for label, (region, arn) in sorted(self.f.expected.items()):
            with self.subTest(label):
                self.assertTrue(arn in self.listed[region], f"{arn} is not listed in {region}")
                self.assertEqual(self.listed[region][arn], {"gantry:stack": self.stack, "gantry:env": "test"})
                other = GLOBAL if region == REGION else REGION
                self.assertFalse(arn in self.listed[other], f"{arn} is also listed in {other}")

    def test_nothing_else_is_listed(self):
        expected = {arn for _, arn in self.f.expected.values()}
        for region in (REGION, GLOBAL):
            self.assertEqual(set(self.listed[region]) - expected, set(), region)

    def test_resource_type_filters_select_each_kind(self):
        for label, (region, arn) in sorted(self.f.expected.items()):
            kind = resource_type(label)
            with self.subTest(label):
                got = self.by_type[region, kind]
                self.assertTrue(arn in got, f"ResourceTypeFilters=[{kind!r}] does not list {arn}")
                others = {a for lbl, (r, a) in self.f.expected.items()
                          if r == region and resource_type(lbl) != kind}
                self.assertEqual(set(got) & others, set(), f"{kind} filter lets other kinds through")

    def test_deleted_resources_are_not_listed(self):
        self.assertEqual(self.f.delete_errors, [])
        for region in (REGION, GLOBAL):
            self.assertEqual(sorted(self.after_delete[region]), [], region)


class TagResourcesTest(unittest.TestCase):
    """TagResources and UntagResources reach the kinds moto did not list."""

    def test_tag_and_untag_through_the_tagging_api(self):
        env = emulator()
        f = Fixture(env["AWS_ENDPOINT_URL"], f"retag{uuid.uuid4().hex[:8]}")
        s = f.stack
        arns = {
            REGION: [
                f.client("ecr").create_repository(repositoryName=f"{s}/r")["repository"]["repositoryArn"],
                "arn:aws:apigateway:%s::/apis/%s" % (REGION, f.client("apigatewayv2").create_api(
                    Name=s, ProtocolType="HTTP")["ApiId"]),
                f.client("memorydb").create_user(
                    UserName=f"{s}-u", AccessString="on ~* +@all",
                    AuthenticationMode={"Type": "password", "Passwords": ["a-long-password-1234"]},
                )["User"]["ARN"],
                f.client("wafv2").create_ip_set(
                    Name=s, Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[])["Summary"]["ARN"],
            ],
            GLOBAL: [
                "arn:aws:route53:::hostedzone/" + f.client("route53", GLOBAL).create_hosted_zone(
                    Name=f"{s}.example.com", CallerReference=s)["HostedZone"]["Id"].split("/")[-1],
            ],
        }
        for region, region_arns in arns.items():
            tagging = f.client("resourcegroupstaggingapi", region)
            got = tagging.tag_resources(ResourceARNList=region_arns, Tags=f.tag_map())
            self.assertEqual(got["FailedResourcesMap"], {})
            self.assertEqual(sorted(f.listed(region)), sorted(region_arns))
            got = tagging.untag_resources(ResourceARNList=region_arns, TagKeys=["gantry:stack"])
            self.assertEqual(got["FailedResourcesMap"], {})
            self.assertEqual(f.listed(region), {})


if __name__ == "__main__":
    unittest.main()


class PagesTest(unittest.TestCase):
    def test_a_page_holds_the_resources_asked_for(self):
        # AWS bounds a page given ResourcesPerPage by resources only.
        env = emulator()
        f = Fixture(env["AWS_ENDPOINT_URL"], f"page{uuid.uuid4().hex[:8]}")
        logs = f.client("logs")
        names = [f"/{f.stack}/{i}" for i in range(120)]
        tags = {**f.tag_map(), "gantry:address": "log_group.x", "gantry:managed-by": "gantry"}
        for n in names:
            logs.create_log_group(logGroupName=n, tags=tags)
        tagging = f.client("resourcegroupstaggingapi")
        filters = [{"Key": "gantry:stack", "Values": [f.stack]}]
        first = tagging.get_resources(TagFilters=filters, ResourcesPerPage=100)
        self.assertEqual(len(first["ResourceTagMappingList"]), 100)
        rest = tagging.get_resources(TagFilters=filters, ResourcesPerPage=100,
                                     PaginationToken=first["PaginationToken"])
        self.assertEqual(len(rest["ResourceTagMappingList"]), 20)
        self.assertFalse(rest.get("PaginationToken"))
        for n in names:
            logs.delete_log_group(logGroupName=n)
