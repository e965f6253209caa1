"""Creates one tagged resource of every kind Gantry lists through the
Resource Groups Tagging API, and deletes them again (used by
test_tagging_gaps.py; `python tagging_fixture.py ENDPOINT` prints what an
emulator lists, to survey an unpatched moto_server).

Every resource carries `gantry:stack=<stack>`. `expected` maps a label
(the AWS resource type string, `ec2:vpc`, `wafv2:global/webacl`, ...,
with `@region` or `#n` to tell apart two of a kind) to (the region the
tagging API lists it in, the ARN AWS documents for it).
"""

import json
import sys
import time

import boto3
from botocore.config import Config

ACCOUNT = "123456789012"
REGION = "eu-west-1"  # the stack's region; global resources live in us-east-1
GLOBAL = "us-east-1"


class Fixture:
    def __init__(self, endpoint: str, stack: str, region: str = REGION, key: str = "testing"):
        self.endpoint = endpoint
        self.stack = stack
        self.region = region
        self.key = key
        self.expected: dict[str, tuple[str, str]] = {}
        self.ids: dict[str, str] = {}
        # Deletes that failed (moto 5.2.5 has no DeleteCacheSubnetGroup).
        self.delete_errors: list[str] = []

    # One session for every client: it caches the service models it loads.
    session = boto3.session.Session()

    def client(self, service: str, region: str | None = None):
        return self.session.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region or self.region,
            aws_access_key_id=self.key,
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}),
        )

    def tags(self, key="Key", value="Value"):
        return [
            {key: "gantry:stack", value: self.stack},
            {key: "gantry:env", value: "test"},
        ]

    def tag_map(self):
        return {"gantry:stack": self.stack, "gantry:env": "test"}

    def tag_spec(self, resource_type):
        return [{"ResourceType": resource_type, "Tags": self.tags()}]

    def expect(self, label, arn, region=None):
        self.expected[label] = (region or self.region, arn)

    # ---------------------------------------------------------------- create

    def create(self):
        r, a, s = self.region, ACCOUNT, self.stack
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=self.tag_spec("vpc"))["Vpc"]
        vpc_id = self.ids["vpc"] = vpc["VpcId"]
        self.expect("ec2:vpc", f"arn:aws:ec2:{r}:{a}:vpc/{vpc_id}")
        subnet = ec2.create_subnet(
            VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{r}a",
            TagSpecifications=self.tag_spec("subnet"),
        )["Subnet"]["SubnetId"]
        subnet2 = ec2.create_subnet(
            VpcId=vpc_id, CidrBlock="10.0.2.0/24", AvailabilityZone=f"{r}b",
            TagSpecifications=self.tag_spec("subnet"),
        )["Subnet"]["SubnetId"]
        self.ids["subnet"], self.ids["subnet2"] = subnet, subnet2
        self.expect("ec2:subnet", f"arn:aws:ec2:{r}:{a}:subnet/{subnet}")
        self.expect("ec2:subnet#2", f"arn:aws:ec2:{r}:{a}:subnet/{subnet2}")
        igw = ec2.create_internet_gateway(TagSpecifications=self.tag_spec("internet-gateway"))
        igw = self.ids["igw"] = igw["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
        self.expect("ec2:internet-gateway", f"arn:aws:ec2:{r}:{a}:internet-gateway/{igw}")
        rt = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=self.tag_spec("route-table"))
        rt = self.ids["rt"] = rt["RouteTable"]["RouteTableId"]
        self.expect("ec2:route-table", f"arn:aws:ec2:{r}:{a}:route-table/{rt}")
        eip = ec2.allocate_address(Domain="vpc", TagSpecifications=self.tag_spec("elastic-ip"))
        eip = self.ids["eip"] = eip["AllocationId"]
        self.expect("ec2:elastic-ip", f"arn:aws:ec2:{r}:{a}:elastic-ip/{eip}")
        nat = ec2.create_nat_gateway(
            SubnetId=subnet, AllocationId=eip, TagSpecifications=self.tag_spec("natgateway")
        )["NatGateway"]["NatGatewayId"]
        self.ids["nat"] = nat
        self.expect("ec2:natgateway", f"arn:aws:ec2:{r}:{a}:natgateway/{nat}")
        vpce = ec2.create_vpc_endpoint(
            VpcId=vpc_id, ServiceName=f"com.amazonaws.{r}.s3", VpcEndpointType="Gateway",
            RouteTableIds=[rt], TagSpecifications=self.tag_spec("vpc-endpoint"),
        )["VpcEndpoint"]["VpcEndpointId"]
        self.ids["vpce"] = vpce
        self.expect("ec2:vpc-endpoint", f"arn:aws:ec2:{r}:{a}:vpc-endpoint/{vpce}")
        sg = ec2.create_security_group(
            GroupName=f"{s}-sg", Description="gantry test", VpcId=vpc_id,
            TagSpecifications=self.tag_spec("security-group"),
        )["GroupId"]
        self.ids["sg"] = sg
        self.expect("ec2:security-group", f"arn:aws:ec2:{r}:{a}:security-group/{sg}")

        logs = self.client("logs")
        group = f"/gantry/{s}/app"
        logs.create_log_group(logGroupName=group, tags=self.tag_map())
        self.ids["log_group"] = group
        self.expect("logs:log-group", f"arn:aws:logs:{r}:{a}:log-group:{group}")
        flow = ec2.create_flow_logs(
            ResourceIds=[vpc_id], ResourceType="VPC", TrafficType="ALL",
            LogDestinationType="cloud-watch-logs", LogGroupName=group,
            DeliverLogsPermissionArn=f"arn:aws:iam::{a}:role/flow-logs",
            TagSpecifications=self.tag_spec("vpc-flow-log"),
        )["FlowLogIds"][0]
        self.ids["flow"] = flow
        self.expect("ec2:vpc-flow-log", f"arn:aws:ec2:{r}:{a}:vpc-flow-log/{flow}")

        elb = self.client("elbv2")
        lb = elb.create_load_balancer(
            Name=f"{s}-alb", Subnets=[subnet, subnet2], SecurityGroups=[sg], Tags=self.tags()
        )["LoadBalancers"][0]["LoadBalancerArn"]
        self.ids["lb"] = lb
        self.expect("elasticloadbalancing:loadbalancer", lb)
        tg = elb.create_target_group(
            Name=f"{s}-tg", Protocol="HTTP", Port=8080, VpcId=vpc_id, TargetType="ip",
            Tags=self.tags(),
        )["TargetGroups"][0]["TargetGroupArn"]
        self.ids["tg"] = tg
        self.expect("elasticloadbalancing:targetgroup", tg)
        listener = elb.create_listener(
            LoadBalancerArn=lb, Protocol="HTTP", Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}], Tags=self.tags(),
        )["Listeners"][0]["ListenerArn"]
        self.ids["listener"] = listener
        self.expect("elasticloadbalancing:listener", listener)
        rule = elb.create_rule(
            ListenerArn=listener, Priority=10,
            Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
            Actions=[{"Type": "forward", "TargetGroupArn": tg}], Tags=self.tags(),
        )["Rules"][0]["RuleArn"]
        self.ids["rule"] = rule
        self.expect("elasticloadbalancing:listener-rule", rule)
        for arn, kind in [(lb, "loadbalancer"), (tg, "targetgroup"), (listener, "listener"),
                          (rule, "listener-rule")]:
            assert arn.startswith(f"arn:aws:elasticloadbalancing:{r}:{a}:{kind}/"), arn

        ecs = self.client("ecs")
        cluster = ecs.create_cluster(clusterName=f"{s}-cluster", tags=self.tags("key", "value"))
        cluster = self.ids["cluster"] = cluster["cluster"]["clusterArn"]
        self.expect("ecs:cluster", f"arn:aws:ecs:{r}:{a}:cluster/{s}-cluster")
        td = ecs.register_task_definition(
            family=f"{s}-web", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
            cpu="256", memory="512",
            containerDefinitions=[{"name": "app", "image": "nginx", "memoryReservation": 128}],
            tags=self.tags("key", "value"),
        )["taskDefinition"]["taskDefinitionArn"]
        self.ids["td"] = td
        self.expect("ecs:task-definition", f"arn:aws:ecs:{r}:{a}:task-definition/{s}-web:1")
        svc = ecs.create_service(
            cluster=cluster, serviceName=f"{s}-web", taskDefinition=td, desiredCount=0,
            tags=self.tags("key", "value"),
        )["service"]["serviceArn"]
        self.ids["service"] = svc
        self.expect("ecs:service", f"arn:aws:ecs:{r}:{a}:service/{s}-cluster/{s}-web")

        repo = self.client("ecr").create_repository(repositoryName=f"{s}/web", tags=self.tags())
        self.ids["repo"] = f"{s}/web"
        assert repo["repository"]["repositoryArn"] == f"arn:aws:ecr:{r}:{a}:repository/{s}/web"
        self.expect("ecr:repository", f"arn:aws:ecr:{r}:{a}:repository/{s}/web")

        key = self.client("kms").create_key(Tags=self.tags("TagKey", "TagValue"))["KeyMetadata"]
        self.ids["key"] = key["KeyId"]
        self.expect("kms:key", f"arn:aws:kms:{r}:{a}:key/{key['KeyId']}")

        secret = self.client("secretsmanager").create_secret(
            Name=f"{s}/db", SecretString="x", Tags=self.tags()
        )["ARN"]
        self.ids["secret"] = secret
        assert secret.startswith(f"arn:aws:secretsmanager:{r}:{a}:secret:{s}/db-"), secret
        self.expect("secretsmanager:secret", secret)

        self.client("ssm").put_parameter(
            Name=f"/gantry/{s}/param", Value="v", Type="String", Tags=self.tags()
        )
        self.ids["param"] = f"/gantry/{s}/param"
        self.expect("ssm:parameter", f"arn:aws:ssm:{r}:{a}:parameter/gantry/{s}/param")

        rds = self.client("rds")
        rds.create_db_subnet_group(
            DBSubnetGroupName=f"{s}-db", DBSubnetGroupDescription="gantry",
            SubnetIds=[subnet, subnet2], Tags=self.tags(),
        )
        self.expect("rds:subgrp", f"arn:aws:rds:{r}:{a}:subgrp:{s}-db")
        rds.create_db_instance(
            DBInstanceIdentifier=f"{s}-db", DBInstanceClass="db.t4g.micro", Engine="postgres",
            MasterUsername="app", MasterUserPassword="password123", AllocatedStorage=20,
            DBSubnetGroupName=f"{s}-db", Tags=self.tags(),
        )
        self.expect("rds:db", f"arn:aws:rds:{r}:{a}:db:{s}-db")

        ec = self.client("elasticache")
        ec.create_cache_subnet_group(
            CacheSubnetGroupName=f"{s}-cache", CacheSubnetGroupDescription="gantry",
            SubnetIds=[subnet, subnet2], Tags=self.tags(),
        )
        self.expect("elasticache:subnetgroup", f"arn:aws:elasticache:{r}:{a}:subnetgroup:{s}-cache")
        ec.create_replication_group(
            ReplicationGroupId=f"{s}-redis", ReplicationGroupDescription="gantry",
            Engine="redis", CacheNodeType="cache.t4g.micro", CacheSubnetGroupName=f"{s}-cache",
            Tags=self.tags(),
        )
        self.expect(
            "elasticache:replicationgroup", f"arn:aws:elasticache:{r}:{a}:replicationgroup:{s}-redis"
        )

        self.client("dynamodb").create_table(
            TableName=f"{s}-sessions", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], Tags=self.tags(),
        )
        self.expect("dynamodb:table", f"arn:aws:dynamodb:{r}:{a}:table/{s}-sessions")

        s3 = self.client("s3")
        bucket = f"{s}-assets"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": r})
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": self.tags()})
        self.ids["bucket"] = bucket
        self.expect("s3:bucket", f"arn:aws:s3:::{bucket}")

        efs = self.client("efs")
        fs = efs.create_file_system(CreationToken=f"{s}-fs", Tags=self.tags())["FileSystemId"]
        self.ids["fs"] = fs
        self.expect("elasticfilesystem:file-system", f"arn:aws:elasticfilesystem:{r}:{a}:file-system/{fs}")
        ap = efs.create_access_point(ClientToken=f"{s}-ap", FileSystemId=fs, Tags=self.tags())
        ap = self.ids["ap"] = ap["AccessPointId"]
        self.expect("elasticfilesystem:access-point", f"arn:aws:elasticfilesystem:{r}:{a}:access-point/{ap}")

        route53 = self.client("route53", GLOBAL)
        zone = route53.create_hosted_zone(Name=f"{s}.example.com", CallerReference=f"{s}-zone")
        zone = self.ids["zone"] = zone["HostedZone"]["Id"].split("/")[-1]
        route53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone, AddTags=self.tags())
        self.expect("route53:hostedzone", f"arn:aws:route53:::hostedzone/{zone}", GLOBAL)

        for region, label in [(r, "acm:certificate"), (GLOBAL, "acm:certificate@us-east-1")]:
            cert = self.client("acm", region).request_certificate(
                DomainName=f"{s}.example.com", ValidationMethod="DNS", Tags=self.tags()
            )["CertificateArn"]
            self.ids[label] = cert
            assert cert.startswith(f"arn:aws:acm:{region}:{a}:certificate/"), cert
            self.expect(label, cert, region)

        visibility = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
        for scope, region, kind in [("REGIONAL", r, "regional"), ("CLOUDFRONT", GLOBAL, "global")]:
            waf = self.client("wafv2", region)
            acl = waf.create_web_acl(
                Name=f"{s}-acl", Scope=scope, DefaultAction={"Allow": {}},
                VisibilityConfig=visibility, Tags=self.tags(),
            )["Summary"]
            self.ids[f"acl-{kind}"] = acl["ARN"]
            self.expect(f"wafv2:{kind}/webacl",
                        f"arn:aws:wafv2:{region}:{a}:{kind}/webacl/{s}-acl/{acl['Id']}", region)
            ipset = waf.create_ip_set(
                Name=f"{s}-ips", Scope=scope, IPAddressVersion="IPV4", Addresses=["10.0.0.0/8"],
                Tags=self.tags(),
            )["Summary"]
            self.ids[f"ipset-{kind}"] = ipset["ARN"]
            self.expect(f"wafv2:{kind}/ipset",
                        f"arn:aws:wafv2:{region}:{a}:{kind}/ipset/{s}-ips/{ipset['Id']}", region)

        cf = self.client("cloudfront", GLOBAL)
        dist = cf.create_distribution_with_tags(DistributionConfigWithTags={
            "DistributionConfig": {
                "CallerReference": f"{s}-cdn", "Comment": "gantry", "Enabled": True,
                "Origins": {"Quantity": 1, "Items": [{
                    "Id": "site", "DomainName": f"{bucket}.s3.{r}.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }]},
                "DefaultCacheBehavior": {
                    "TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
                    "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
                },
            },
            "Tags": {"Items": self.tags()},
        })["Distribution"]
        self.ids["dist"] = dist["Id"]
        self.expect("cloudfront:distribution", f"arn:aws:cloudfront::{a}:distribution/{dist['Id']}", GLOBAL)

        apigw = self.client("apigatewayv2")
        api = apigw.create_api(Name=f"{s}-api", ProtocolType="HTTP", Tags=self.tag_map())["ApiId"]
        self.ids["api"] = api
        self.expect("apigateway:apis", f"arn:aws:apigateway:{r}::/apis/{api}")
        link = apigw.create_vpc_link(
            Name=f"{s}-link", SubnetIds=[subnet, subnet2], SecurityGroupIds=[sg], Tags=self.tag_map()
        )["VpcLinkId"]
        self.ids["link"] = link
        self.expect("apigateway:vpclinks", f"arn:aws:apigateway:{r}::/vpclinks/{link}")
        domain = f"api.{s}.example.com"
        apigw.create_domain_name(
            DomainName=domain, Tags=self.tag_map(),
            DomainNameConfigurations=[{"CertificateArn": self.ids["acm:certificate"],
                                       "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}],
        )
        self.ids["domain"] = domain
        self.expect("apigateway:domainnames", f"arn:aws:apigateway:{r}::/domainnames/{domain}")

        mdb = self.client("memorydb")
        mdb.create_subnet_group(SubnetGroupName=f"{s}-mdb", SubnetIds=[subnet, subnet2], Tags=self.tags())
        self.expect("memorydb:subnetgroup", f"arn:aws:memorydb:{r}:{a}:subnetgroup/{s}-mdb")
        mdb.create_user(
            UserName=f"{s}-app", AccessString="on ~* +@all",
            AuthenticationMode={"Type": "password", "Passwords": ["a-long-password-1234"]},
            Tags=self.tags(),
        )
        self.expect("memorydb:user", f"arn:aws:memorydb:{r}:{a}:user/{s}-app")
        mdb.create_acl(ACLName=f"{s}-acl", UserNames=[f"{s}-app"], Tags=self.tags())
        self.expect("memorydb:acl", f"arn:aws:memorydb:{r}:{a}:acl/{s}-acl")
        mdb.create_cluster(
            ClusterName=f"{s}-redis", NodeType="db.t4g.small", ACLName=f"{s}-acl",
            SubnetGroupName=f"{s}-mdb", Tags=self.tags(),
        )
        self.expect("memorydb:cluster", f"arn:aws:memorydb:{r}:{a}:cluster/{s}-redis")

        sd = self.client("servicediscovery")
        op = sd.create_private_dns_namespace(Name=f"{s}.internal", Vpc=self.ids["vpc"], Tags=self.tags())
        ns = sd.get_operation(OperationId=op["OperationId"])["Operation"]["Targets"]["NAMESPACE"]
        self.ids["namespace"] = ns
        self.expect("servicediscovery:namespace", f"arn:aws:servicediscovery:{r}:{a}:namespace/{ns}")
        sds = sd.create_service(
            Name="worker", NamespaceId=ns, Tags=self.tags(),
            DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]},
        )["Service"]["Id"]
        self.ids["sd_service"] = sds
        self.expect("servicediscovery:service", f"arn:aws:servicediscovery:{r}:{a}:service/{sds}")

        # Alerts: a topic and an alarm in the stack's region, and for a
        # site's CloudFront alarms a key, topic and alarm in us-east-1.
        gkey = self.client("kms", GLOBAL).create_key(Tags=self.tags("TagKey", "TagValue"))["KeyMetadata"]
        self.ids["gkey"] = gkey["KeyId"]
        self.expect("kms:key@us-east-1", f"arn:aws:kms:{GLOBAL}:{a}:key/{gkey['KeyId']}", GLOBAL)
        for region, suffix in [(r, ""), (GLOBAL, "@us-east-1")]:
            topic = self.client("sns", region).create_topic(Name=f"{s}-alerts", Tags=self.tags())["TopicArn"]
            self.ids[f"topic{suffix}"] = topic
            self.expect(f"sns{suffix}", f"arn:aws:sns:{region}:{a}:{s}-alerts", region)
            self.client("cloudwatch", region).put_metric_alarm(
                AlarmName=f"{s}-5xx", Namespace="AWS/ApplicationELB", MetricName="HTTPCode_ELB_5XX_Count",
                Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=10.0,
                ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[topic], Tags=self.tags(),
            )
            self.expect(f"cloudwatch:alarm{suffix}", f"arn:aws:cloudwatch:{region}:{a}:alarm:{s}-5xx", region)
        return self

    # ---------------------------------------------------------------- delete

    def delete(self):
        """Deletes everything `create` made, in dependency order, the way
        Gantry's destroy does (KMS keys and secrets are scheduled for
        deletion: on AWS they are gone from the stack at that point)."""
        s, ids = self.stack, self.ids
        for region, suffix in [(self.region, ""), (GLOBAL, "@us-east-1")]:
            self.client("cloudwatch", region).delete_alarms(AlarmNames=[f"{s}-5xx"])
            self.client("sns", region).delete_topic(TopicArn=ids[f"topic{suffix}"])
        self.client("kms", GLOBAL).schedule_key_deletion(KeyId=ids["gkey"], PendingWindowInDays=7)
        sd = self.client("servicediscovery")
        sd.delete_service(Id=ids["sd_service"])
        sd.delete_namespace(Id=ids["namespace"])
        mdb = self.client("memorydb")
        mdb.delete_cluster(ClusterName=f"{s}-redis")
        mdb.delete_acl(ACLName=f"{s}-acl")
        mdb.delete_user(UserName=f"{s}-app")
        mdb.delete_subnet_group(SubnetGroupName=f"{s}-mdb")

        apigw = self.client("apigatewayv2")
        apigw.delete_domain_name(DomainName=ids["domain"])
        apigw.delete_vpc_link(VpcLinkId=ids["link"])
        apigw.delete_api(ApiId=ids["api"])

        cf = self.client("cloudfront", GLOBAL)
        got = cf.get_distribution_config(Id=ids["dist"])
        config = got["DistributionConfig"]
        config["Enabled"] = False
        etag = cf.update_distribution(Id=ids["dist"], IfMatch=got["ETag"], DistributionConfig=config)["ETag"]
        cf.delete_distribution(Id=ids["dist"], IfMatch=etag)

        for scope, region, kind in [("REGIONAL", self.region, "regional"), ("CLOUDFRONT", GLOBAL, "global")]:
            waf = self.client("wafv2", region)
            for what, name in [("web_acl", f"{s}-acl"), ("ip_set", f"{s}-ips")]:
                arn = ids[f"acl-{kind}" if what == "web_acl" else f"ipset-{kind}"]
                rid = arn.rsplit("/", 1)[-1]
                got = getattr(waf, f"get_{what}")(Name=name, Scope=scope, Id=rid)
                getattr(waf, f"delete_{what}")(Name=name, Scope=scope, Id=rid, LockToken=got["LockToken"])

        for region, label in [(self.region, "acm:certificate"), (GLOBAL, "acm:certificate@us-east-1")]:
            self.client("acm", region).delete_certificate(CertificateArn=ids[label])

        route53 = self.client("route53", GLOBAL)
        route53.delete_hosted_zone(Id=ids["zone"])

        efs = self.client("efs")
        efs.delete_access_point(AccessPointId=ids["ap"])
        efs.delete_file_system(FileSystemId=ids["fs"])

        s3 = self.client("s3")
        s3.delete_bucket(Bucket=ids["bucket"])
        self.client("dynamodb").delete_table(TableName=f"{s}-sessions")

        ec = self.client("elasticache")
        ec.delete_replication_group(ReplicationGroupId=f"{s}-redis")
        self._try(lambda: ec.delete_cache_subnet_group(CacheSubnetGroupName=f"{s}-cache"))

        rds = self.client("rds")
        rds.delete_db_instance(DBInstanceIdentifier=f"{s}-db", SkipFinalSnapshot=True)
        rds.delete_db_subnet_group(DBSubnetGroupName=f"{s}-db")

        self.client("ssm").delete_parameter(Name=ids["param"])
        self.client("secretsmanager").delete_secret(SecretId=ids["secret"], RecoveryWindowInDays=7)
        self.client("kms").schedule_key_deletion(KeyId=ids["key"], PendingWindowInDays=7)
        self.client("ecr").delete_repository(repositoryName=ids["repo"])

        ecs = self.client("ecs")
        ecs.delete_service(cluster=ids["cluster"], service=ids["service"], force=True)
        ecs.deregister_task_definition(taskDefinition=ids["td"])
        self._try(lambda: ecs.delete_task_definitions(taskDefinitions=[ids["td"]]))
        ecs.delete_cluster(cluster=ids["cluster"])

        elb = self.client("elbv2")
        elb.delete_rule(RuleArn=ids["rule"])
        elb.delete_listener(ListenerArn=ids["listener"])
        elb.delete_load_balancer(LoadBalancerArn=ids["lb"])
        elb.delete_target_group(TargetGroupArn=ids["tg"])

        ec2 = self.client("ec2")
        ec2.delete_flow_logs(FlowLogIds=[ids["flow"]])
        self.client("logs").delete_log_group(logGroupName=ids["log_group"])
        ec2.delete_vpc_endpoints(VpcEndpointIds=[ids["vpce"]])
        ec2.delete_nat_gateway(NatGatewayId=ids["nat"])
        ec2.release_address(AllocationId=ids["eip"])
        ec2.delete_security_group(GroupId=ids["sg"])
        ec2.delete_route_table(RouteTableId=ids["rt"])
        ec2.detach_internet_gateway(InternetGatewayId=ids["igw"], VpcId=ids["vpc"])
        ec2.delete_internet_gateway(InternetGatewayId=ids["igw"])
        ec2.delete_subnet(SubnetId=ids["subnet"])
        ec2.delete_subnet(SubnetId=ids["subnet2"])
        ec2.delete_vpc(VpcId=ids["vpc"])

    def _try(self, call):
        try:
            call()
        except Exception as e:  # noqa: BLE001  (reported by the survey)
            self.delete_errors.append(repr(e))

    # ---------------------------------------------------------------- list

    def listed(self, region, **kwargs):
        """ARN -> tags of everything tagged with this stack in `region`."""
        client = self.client("resourcegroupstaggingapi", region)
        out = {}
        for page in client.get_paginator("get_resources").paginate(
            TagFilters=[{"Key": "gantry:stack", "Values": [self.stack]}], **kwargs
        ):
            for m in page["ResourceTagMappingList"]:
                out[m["ResourceARN"]] = {t["Key"]: t["Value"] for t in m["Tags"]}
        return out


def resource_type(label: str) -> str:
    return label.split("@")[0].split("#")[0]


def survey(endpoint):
    f = Fixture(endpoint, f"survey{int(time.time()) % 100000}")
    f.create()
    report = {}
    listed = {reg: f.listed(reg) for reg in (REGION, GLOBAL)}
    for label, (region, arn) in sorted(f.expected.items()):
        kind = resource_type(label)
        in_region = arn in listed[region]
        typed = bool(in_region) and arn in f.listed(region, ResourceTypeFilters=[kind])
        other = GLOBAL if region == REGION else REGION
        report[label] = {
            "listed": in_region, "type_filter": typed, "also_in": other if arn in listed[other] else None,
        }
    expected_arns = {arn for _, arn in f.expected.values()}
    report["_unexpected"] = {reg: sorted(set(v) - expected_arns) for reg, v in listed.items()}
    f.delete()
    report["_after_delete"] = {reg: sorted(f.listed(reg)) for reg in (REGION, GLOBAL)}
    report["_delete_errors"] = f.delete_errors
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    survey(sys.argv[1])
