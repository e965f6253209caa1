"""Starts the local AWS emulator (moto_server) with the gaps Gantry's tests
meet filled in the way AWS behaves, so providers need no emulator special
cases. Each fix names the gap; remove it once moto closes the gap.

- API Gateway v2 custom domain names: moto stores `domainNameConfigurations`
  as sent and never adds what AWS returns for a REGIONAL endpoint: the
  `apiGatewayDomainName` (`d-XXXXXXXXXX.execute-api.REGION.amazonaws.com`)
  and `hostedZoneId` that Route53 alias records point at, and
  `domainNameStatus`. Added here (deterministic per domain name).
- MemoryDB access control lists (CreateACL, DescribeACLs, UpdateACL,
  DeleteACL): moto has none; `moto_memorydb_acl.py` adds them.
- Resource Groups Tagging API (`tagging:GetResources`, which Gantry lists
  a stack with): moto does not list EIPs, VPC endpoints, ELB listeners and
  rules, RDS subnet groups, ECR repositories, Route53 zones, WAFv2 web ACLs
  and IP sets, API Gateway v2 APIs, VPC links and domain names, or any
  MemoryDB resource; names flow logs, log groups and ElastiCache resources
  with the wrong resource type; lists S3 buckets and CloudFront
  distributions in every region; and keeps listing deleted NAT gateways,
  ECS clusters and services, ElastiCache replication groups, keys pending
  deletion and secrets scheduled for deletion.
  `moto_tagging.py` fills each gap (its docstring has the details), and
  adds ElastiCache `DeleteCacheSubnetGroup`, which moto lacks.
- ECS deployments: CreateService drops `deploymentConfiguration` and
  `enableExecuteCommand`, UpdateService starts no deployment, services have
  no events, there is no ListServiceDeployments, DescribeServiceDeployments
  or StopServiceDeployment and no rollout ever fails; `moto_ecs.py` fills
  these, with `POST /moto-api/gantry/ecs-rollout` to script how a service's
  next deployments end (its docstring has the details).
- ECR: repositories name an AWS host in `repositoryUri` and moto serves
  no registry API; `moto_ecr.py` adds `POST /moto-api/gantry/ecr-registry`
  so that a test's repositories name a local registry instead.
- S3 bucket policies: moto evaluates a TLS-only statement (deny when
  `aws:SecureTransport` is false) as denying every request;
  `moto_s3_tls.py` leaves it out, the emulator standing in for AWS's
  HTTPS endpoints.
- SNS: email subscriptions are confirmed at once; on AWS they wait for the
  address to confirm (listed as `PendingConfirmation`). `moto_sns.py`.
- CloudWatch alarms: DescribeAlarms applies one filter only and ignores
  `AlarmTypes`, new alarms start in `OK` (AWS: `INSUFFICIENT_DATA`), a
  PutMetricAlarm of an existing alarm resets its state, and there is no
  `StateTransitionedTimestamp`. `moto_cloudwatch.py`.
- Application Auto Scaling: scalable targets keep no tags (no
  ListTagsForResource, TagResource, UntagResource), deletes of what does not
  exist answer ValidationException (AWS: ObjectNotFoundException), and
  deregistering a target leaves its policies and scheduled actions.
  `moto_autoscaling.py`.
- SES v2 email identities: no DKIM tokens, a second create replacing the
  identity, no custom MAIL FROM (PutEmailIdentityMailFromAttributes is a
  404), identities listed by the tagging API under the wrong ARN and type.
  `moto_sesv2.py`.
- Cognito user pools are not listed by the tagging API, and API Gateway v2
  has no GetAuthorizers. `moto_auth.py`.
- Cloud Map: ECS never registers a service's tasks in its registries, and
  services with instances and namespaces with services are deleted (AWS:
  ResourceInUse). `moto_servicediscovery.py`.
- CloudWatch Logs Insights: moto ignores `filter`, answers `@timestamp` in
  epoch milliseconds and reports no statistics; `moto_logs.py` fills those
  (its docstring names what stays unsupported).
- Scheduler's DeleteScheduleGroup of a missing group fails inside moto,
  and IAM cannot add or remove an OIDC provider's client ids.
  `moto_jobs_ci.py`.

Usage: python moto_server.py [moto_server arguments]
"""

import copy
import hashlib
import sys

import moto.apigatewayv2.models as apigwv2
import moto_auth  # noqa: F401  (patches moto on import)
import moto_autoscaling  # noqa: F401  (patches moto on import)
import moto_cloudwatch  # noqa: F401  (patches moto on import)
import moto_ecr  # noqa: F401  (patches moto on import)
import moto_ecs  # noqa: F401  (patches moto on import)
import moto_jobs_ci  # noqa: F401  (patches moto on import)
import moto_logs  # noqa: F401  (patches moto on import)
import moto_memorydb_acl  # noqa: F401  (patches moto on import)
import moto_s3_tls  # noqa: F401  (patches moto on import)
import moto_servicediscovery  # noqa: F401  (patches moto on import)
import moto_sesv2  # noqa: F401  (patches moto on import)
import moto_sns  # noqa: F401  (patches moto on import)
import moto_tagging  # noqa: F401  (patches moto on import)
from moto.server import main

# API Gateway's regional hosted zone in us-east-1 (the tests' region);
# elsewhere a stand-in that is clearly not AWS's.
_ZONES = {"us-east-1": "Z1UJRXOUMOOFQ8"}
_to_json = apigwv2.DomainName.to_json


def _domain_to_json(self):
    out = copy.deepcopy(_to_json(self))
    region = self.domain_name_arn.split(":")[3]
    digest = hashlib.sha256(self.domain_name.encode()).hexdigest()[:10]
    for c in out.get("domainNameConfigurations") or []:
        if c.get("endpointType", "REGIONAL") != "REGIONAL":
            continue
        c.setdefault("apiGatewayDomainName", f"d-{digest}.execute-api.{region}.amazonaws.com")
        c.setdefault("hostedZoneId", _ZONES.get(region, "ZEMULATORAPIGW"))
        c.setdefault("domainNameStatus", "AVAILABLE")
    return out


apigwv2.DomainName.to_json = _domain_to_json

if __name__ == "__main__":
    sys.exit(main())
