//! One provider per resource kind, one module per kind, each in the shape
//! of [`crate::shape::AwsKind`]. The modules and their registration come
//! from the kinds table (`gantry_core::with_kinds!`): a kind declared there
//! without a module here does not compile, and a module's `Provider` must
//! be for the kind's own property struct.
//!
//! Every provider follows the same conventions: create tags in the create
//! call where the API allows and passes an idempotency token derived from the
//! journal's intent where it has one; read is batched and maps AWS back to the
//! kind's canonical typed struct (leaving out what it cannot observe); delete
//! waits where later deletes depend on it; find adopts by `gantry:*` tags or
//! deterministic name, never through the (lagging) tagging API.

// Helpers shared by the kinds of one service.
mod acm;
mod apigw;
mod appautoscaling;
mod cognito;
mod ec2;
mod ecs_target;
mod elb;
mod memorydb;
mod route53;
mod servicediscovery;
mod sns;
mod wafv2;

use crate::context::AwsContext;
use crate::shape::{Adapter, AwsKind, Lister};
use gantry_core::ProviderSet;
use std::sync::Arc;

macro_rules! providers {
    ($(($konst:ident, $name:ident, $ty:ident, $meta:expr)),* $(,)?) => {
        $(pub(crate) mod $name;)*

        // Each module's provider is for its own kind's property struct.
        $(const _: fn(&<$name::Provider as AwsKind>::Props) -> &gantry_core::kinds::$ty = |p| p;)*

        /// Every provider, sharing `ctx`'s clients, and their listings.
        pub(crate) fn all(ctx: &AwsContext) -> (ProviderSet, Vec<Arc<dyn Lister>>) {
            let mut set = ProviderSet::new();
            let mut listers: Vec<Arc<dyn Lister>> = Vec::new();
            $({
                let a = Arc::new(Adapter::<$name::Provider>::new(ctx.clone()));
                set.insert(a.clone());
                listers.push(a);
            })*
            (set, listers)
        }
    };
}

gantry_core::with_kinds!(providers);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{Listing, Region};
    use gantry_core::kinds;
    use std::collections::BTreeMap;

    fn ctx() -> AwsContext {
        let config = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("eu-central-1"))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        AwsContext::from_config(config).expect("a region is set")
    }

    fn listings() -> BTreeMap<&'static str, Listing> {
        let (_, listers) = all(&ctx());
        listers.iter().map(|l| (l.kind(), l.listing())).collect()
    }

    #[test]
    fn every_kind_has_a_provider_and_a_listing() {
        let (set, listers) = all(&ctx());
        let mut want: Vec<&str> = kinds::ALL.to_vec();
        want.sort();
        assert_eq!(set.kinds().collect::<Vec<_>>(), want);
        assert_eq!(listers.len(), kinds::ALL.len());
        let l = listings();
        for (kind, listing) in &l {
            if let Listing::Inside(parent) = listing {
                // The parent is a kind that is itself listed, so the
                // inventory reaches what lives inside it.
                let p = l
                    .get(parent)
                    .unwrap_or_else(|| panic!("{kind}: no kind {parent}"));
                assert!(
                    matches!(p, Listing::Tagged { .. } | Listing::Own),
                    "{kind} lives inside {parent}, which is not listed"
                );
            }
        }
    }

    /// One ARN of each tagged kind, as the tagging API returns them, and
    /// the id the kind's provider uses for it.
    const ARNS: &[(&str, &str, &str)] = &[
        (kinds::VPC, "arn:aws:ec2:eu-central-1:1:vpc/vpc-1", "vpc-1"),
        (
            kinds::SUBNET,
            "arn:aws:ec2:eu-central-1:1:subnet/subnet-1",
            "subnet-1",
        ),
        (
            kinds::INTERNET_GATEWAY,
            "arn:aws:ec2:eu-central-1:1:internet-gateway/igw-1",
            "igw-1",
        ),
        (
            kinds::ROUTE_TABLE,
            "arn:aws:ec2:eu-central-1:1:route-table/rtb-1",
            "rtb-1",
        ),
        (
            kinds::EIP,
            "arn:aws:ec2:eu-central-1:1:elastic-ip/eipalloc-1",
            "eipalloc-1",
        ),
        (
            kinds::NAT_GATEWAY,
            "arn:aws:ec2:eu-central-1:1:natgateway/nat-1",
            "nat-1",
        ),
        (
            kinds::VPC_ENDPOINT,
            "arn:aws:ec2:eu-central-1:1:vpc-endpoint/vpce-1",
            "vpce-1",
        ),
        (
            kinds::SECURITY_GROUP,
            "arn:aws:ec2:eu-central-1:1:security-group/sg-1",
            "sg-1",
        ),
        (
            kinds::VPC_FLOW_LOG,
            "arn:aws:ec2:eu-central-1:1:vpc-flow-log/fl-1",
            "fl-1",
        ),
        (
            kinds::LB,
            "arn:aws:elasticloadbalancing:eu-central-1:1:loadbalancer/app/x/1",
            "arn:aws:elasticloadbalancing:eu-central-1:1:loadbalancer/app/x/1",
        ),
        (
            kinds::LB_TARGET_GROUP,
            "arn:aws:elasticloadbalancing:eu-central-1:1:targetgroup/x/1",
            "arn:aws:elasticloadbalancing:eu-central-1:1:targetgroup/x/1",
        ),
        (
            kinds::LB_LISTENER,
            "arn:aws:elasticloadbalancing:eu-central-1:1:listener/app/x/1/2",
            "arn:aws:elasticloadbalancing:eu-central-1:1:listener/app/x/1/2",
        ),
        (
            kinds::LB_LISTENER_RULE,
            "arn:aws:elasticloadbalancing:eu-central-1:1:listener-rule/app/x/1/2/3",
            "arn:aws:elasticloadbalancing:eu-central-1:1:listener-rule/app/x/1/2/3",
        ),
        (
            kinds::ECS_CLUSTER,
            "arn:aws:ecs:eu-central-1:1:cluster/c",
            "arn:aws:ecs:eu-central-1:1:cluster/c",
        ),
        (
            kinds::ECS_SERVICE,
            "arn:aws:ecs:eu-central-1:1:service/c/s",
            "arn:aws:ecs:eu-central-1:1:service/c/s",
        ),
        (
            kinds::ECS_TASK_DEFINITION,
            "arn:aws:ecs:eu-central-1:1:task-definition/f:3",
            "arn:aws:ecs:eu-central-1:1:task-definition/f:3",
        ),
        (
            kinds::LOG_GROUP,
            "arn:aws:logs:eu-central-1:1:log-group:/gantry/s/dev/web",
            "/gantry/s/dev/web",
        ),
        (
            kinds::ECR_REPOSITORY,
            "arn:aws:ecr:eu-central-1:1:repository/s-dev/web",
            "s-dev/web",
        ),
        (kinds::KMS_KEY, "arn:aws:kms:eu-central-1:1:key/k-1", "k-1"),
        (
            kinds::SECRET,
            "arn:aws:secretsmanager:eu-central-1:1:secret:s/dev/x-AbCdEf",
            "arn:aws:secretsmanager:eu-central-1:1:secret:s/dev/x-AbCdEf",
        ),
        (
            kinds::SSM_PARAMETER,
            "arn:aws:ssm:eu-central-1:1:parameter/gantry/s/dev/x",
            "/gantry/s/dev/x",
        ),
        (
            kinds::DB_SUBNET_GROUP,
            "arn:aws:rds:eu-central-1:1:subgrp:s-dev-db",
            "s-dev-db",
        ),
        (
            kinds::DB_INSTANCE,
            "arn:aws:rds:eu-central-1:1:db:s-dev-db",
            "s-dev-db",
        ),
        (
            kinds::ELASTICACHE_SUBNET_GROUP,
            "arn:aws:elasticache:eu-central-1:1:subnetgroup:s-dev",
            "s-dev",
        ),
        (
            kinds::ELASTICACHE_REPLICATION_GROUP,
            "arn:aws:elasticache:eu-central-1:1:replicationgroup:s-dev",
            "s-dev",
        ),
        (
            kinds::DYNAMODB_TABLE,
            "arn:aws:dynamodb:eu-central-1:1:table/t",
            "t",
        ),
        (
            kinds::S3_BUCKET,
            "arn:aws:s3:::s-dev-assets-1",
            "s-dev-assets-1",
        ),
        (
            kinds::EFS_FILE_SYSTEM,
            "arn:aws:elasticfilesystem:eu-central-1:1:file-system/fs-1",
            "fs-1",
        ),
        (
            kinds::EFS_ACCESS_POINT,
            "arn:aws:elasticfilesystem:eu-central-1:1:access-point/fsap-1",
            "fsap-1",
        ),
        (kinds::ROUTE53_ZONE, "arn:aws:route53:::hostedzone/Z1", "Z1"),
        (
            kinds::ACM_CERTIFICATE,
            "arn:aws:acm:us-east-1:1:certificate/c-1",
            "arn:aws:acm:us-east-1:1:certificate/c-1",
        ),
        (
            kinds::WAFV2_IP_SET,
            "arn:aws:wafv2:eu-central-1:1:regional/ipset/n/i-1",
            "i-1",
        ),
        (
            kinds::WAFV2_WEB_ACL,
            "arn:aws:wafv2:us-east-1:1:global/webacl/n/a-1",
            "a-1",
        ),
        (
            kinds::CLOUDFRONT_DISTRIBUTION,
            "arn:aws:cloudfront::1:distribution/E1",
            "E1",
        ),
        (
            kinds::APIGW_API,
            "arn:aws:apigateway:eu-central-1::/apis/a1",
            "a1",
        ),
        (
            kinds::APIGW_VPC_LINK,
            "arn:aws:apigateway:eu-central-1::/vpclinks/v1",
            "v1",
        ),
        (
            kinds::APIGW_DOMAIN_NAME,
            "arn:aws:apigateway:eu-central-1::/domainnames/api.example.com",
            "api.example.com",
        ),
        (
            kinds::MEMORYDB_SUBNET_GROUP,
            "arn:aws:memorydb:eu-central-1:1:subnetgroup/s-dev",
            "s-dev",
        ),
        (
            kinds::MEMORYDB_USER,
            "arn:aws:memorydb:eu-central-1:1:user/s-dev-app",
            "s-dev-app",
        ),
        (
            kinds::MEMORYDB_ACL,
            "arn:aws:memorydb:eu-central-1:1:acl/s-dev",
            "s-dev",
        ),
        (
            kinds::MEMORYDB_CLUSTER,
            "arn:aws:memorydb:eu-central-1:1:cluster/s-dev",
            "s-dev",
        ),
        (
            kinds::SNS_TOPIC,
            "arn:aws:sns:eu-central-1:1:s-dev-alerts",
            "arn:aws:sns:eu-central-1:1:s-dev-alerts",
        ),
        (
            kinds::SCHEDULER_SCHEDULE_GROUP,
            "arn:aws:scheduler:eu-central-1:1:schedule-group/s-dev",
            "s-dev",
        ),
        (
            kinds::EVENTS_RULE,
            "arn:aws:events:eu-central-1:1:rule/s-dev-cleanup",
            "s-dev-cleanup",
        ),
        (
            kinds::SQS_QUEUE,
            "arn:aws:sqs:eu-central-1:1:s-dev-jobs.fifo",
            "arn:aws:sqs:eu-central-1:1:s-dev-jobs.fifo",
        ),
        (
            kinds::CLOUDWATCH_METRIC_ALARM,
            "arn:aws:cloudwatch:us-east-1:1:alarm:s-dev-cdn-site-5xx-rate",
            "arn:aws:cloudwatch:us-east-1:1:alarm:s-dev-cdn-site-5xx-rate",
        ),
        (
            kinds::SESV2_EMAIL_IDENTITY,
            "arn:aws:ses:eu-central-1:1:identity/mail.example.com",
            "mail.example.com",
        ),
        (
            kinds::COGNITO_USER_POOL,
            "arn:aws:cognito-idp:eu-central-1:1:userpool/eu-central-1_AbC123",
            "eu-central-1_AbC123",
        ),
        (
            kinds::SERVICEDISCOVERY_PRIVATE_DNS_NAMESPACE,
            "arn:aws:servicediscovery:eu-central-1:1:namespace/ns-abcdefghijklmnop",
            "ns-abcdefghijklmnop",
        ),
        (
            kinds::SERVICEDISCOVERY_SERVICE,
            "arn:aws:servicediscovery:eu-central-1:1:service/srv-abcdefgh",
            "srv-abcdefgh",
        ),
    ];

    #[test]
    fn each_tagged_kind_claims_exactly_its_own_arns() {
        let l = listings();
        let tagged: Vec<(&str, crate::shape::ArnId)> = l
            .iter()
            .filter_map(|(k, l)| match l {
                Listing::Tagged { id, .. } => Some((*k, *id)),
                _ => None,
            })
            .collect();
        // Every tagged kind has a sample here.
        for (k, _) in &tagged {
            assert!(ARNS.iter().any(|(x, _, _)| x == k), "no sample ARN for {k}");
        }
        for (kind, arn, id) in ARNS {
            let claims: Vec<(&str, String)> = tagged
                .iter()
                .filter_map(|(k, f)| f(arn).map(|i| (*k, i)))
                .collect();
            assert_eq!(claims, vec![(*kind, id.to_string())], "{arn}");
        }
        // What lives inside an API or a domain name is not an API, and a
        // subscription (`TOPIC:ID`) is not its topic.
        for inside in [
            "arn:aws:apigateway:eu-central-1::/apis/a1/stages/$default",
            "arn:aws:sns:eu-central-1:1:s-dev-alerts:0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
        ] {
            assert!(tagged.iter().all(|(_, f)| f(inside).is_none()), "{inside}");
        }
    }

    #[test]
    fn each_tagged_kind_names_the_resource_type_of_its_arns() {
        // `ResourceTypeFilters` entries are `service[:type]`, the type being
        // the first segment of the ARN's resource part.
        let l = listings();
        for (kind, arn, _) in ARNS {
            let Listing::Tagged { types, .. } = l[kind] else {
                continue;
            };
            let (service, ty) = types.split_once(':').unwrap_or((types, ""));
            let res = crate::shape::arn::resource(arn, service)
                .unwrap_or_else(|| panic!("{kind}: {types} is not the service of {arn}"));
            if !ty.is_empty() {
                assert_eq!(
                    res.split(['/', ':']).next(),
                    Some(ty),
                    "{kind}: {types} vs {arn}"
                );
            }
        }
    }

    #[test]
    fn global_kinds_are_listed_in_us_east_1() {
        let l = listings();
        for k in [kinds::CLOUDFRONT_DISTRIBUTION, kinds::ROUTE53_ZONE] {
            assert!(
                matches!(
                    l[k],
                    Listing::Tagged {
                        region: Region::Global,
                        ..
                    }
                ),
                "{k}"
            );
        }
        // Also in us-east-1 for a site elsewhere: CloudFront's alarms, the
        // topic they notify and its key.
        for k in [
            kinds::ACM_CERTIFICATE,
            kinds::WAFV2_WEB_ACL,
            kinds::WAFV2_IP_SET,
            kinds::KMS_KEY,
            kinds::SNS_TOPIC,
            kinds::CLOUDWATCH_METRIC_ALARM,
        ] {
            assert!(
                matches!(
                    l[k],
                    Listing::Tagged {
                        region: Region::Both,
                        ..
                    }
                ),
                "{k}"
            );
        }
    }
}
