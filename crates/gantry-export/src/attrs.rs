//! Where each output Gantry's providers record lives in CloudFormation:
//! `${ref:security_group.alb.id}` is `Fn::GetAtt [X, GroupId]`,
//! `${ref:iam_role.task.arn}` `Fn::GetAtt [X, Arn]`, `${ref:lb.main.arn}`
//! `Ref X` (what `Ref` returns differs per type; these follow
//! CloudFormation's reference of return values). An output with no
//! attribute of its own is built with `Fn::Sub` from one that exists.

use gantry_core::kinds as k;

/// How to read one output of a kind in a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    /// `{"Ref": X}`.
    Ref,
    /// `{"Fn::GetAtt": [X, NAME]}`.
    GetAtt(&'static str),
    /// `{"Fn::Sub": PATTERN}` where `{X}` in the pattern is the logical id.
    Sub(&'static str),
    /// A value fixed by AWS.
    Const(&'static str),
}

/// The CloudFormation form of output `attr` of `kind`; `None` when the
/// exporter does not know it (an error, never a silent guess).
pub fn attribute(kind: &str, attr: &str) -> Option<Attr> {
    use Attr::*;
    Some(match (kind, attr) {
        (k::VPC, "id") => Ref,
        (k::INTERNET_GATEWAY, "id") => Ref,
        (k::SUBNET, "id") => Ref,
        (k::ROUTE_TABLE, "id") => Ref,
        (k::ROUTE_TABLE_ASSOCIATION, "id") => Ref,
        (k::EIP, "id") => GetAtt("AllocationId"),
        (k::EIP, "public_ip") => Ref,
        (k::NAT_GATEWAY, "id") => Ref,
        (k::VPC_ENDPOINT, "id") => Ref,
        (k::VPC_FLOW_LOG, "id") => Ref,
        (k::SECURITY_GROUP, "id") => GetAtt("GroupId"),
        (k::LB, "arn" | "id") => Ref,
        (k::LB, "dns_name") => GetAtt("DNSName"),
        (k::LB, "zone_id") => GetAtt("CanonicalHostedZoneID"),
        (k::LB, "name") => GetAtt("LoadBalancerName"),
        (k::LB, "arn_suffix") => GetAtt("LoadBalancerFullName"),
        (k::LB_TARGET_GROUP, "arn" | "id") => Ref,
        (k::LB_TARGET_GROUP, "name") => GetAtt("TargetGroupName"),
        (k::LB_TARGET_GROUP, "arn_suffix") => GetAtt("TargetGroupFullName"),
        (k::LB_LISTENER, "arn" | "id") => Ref,
        (k::LB_LISTENER_RULE, "arn" | "id") => Ref,
        (k::ECS_CLUSTER, "arn" | "id") => GetAtt("Arn"),
        (k::ECS_CLUSTER, "name") => Ref,
        (k::LOG_GROUP, "name" | "id") => Ref,
        (k::LOG_GROUP, "arn") => GetAtt("Arn"),
        (k::IAM_ROLE, "arn") => GetAtt("Arn"),
        (k::IAM_ROLE, "name" | "id") => Ref,
        (k::ECR_REPOSITORY, "arn") => GetAtt("Arn"),
        (k::ECR_REPOSITORY, "repository_url") => GetAtt("RepositoryUri"),
        (k::ECR_REPOSITORY, "name" | "id") => Ref,
        (k::ECS_TASK_DEFINITION, "arn" | "id") => Ref,
        (k::ECS_SERVICE, "arn" | "id") => Ref,
        (k::ECS_SERVICE, "name") => GetAtt("Name"),
        (k::KMS_KEY, "arn") => GetAtt("Arn"),
        (k::KMS_KEY, "id") => Ref,
        (k::SECRET, "arn" | "id") => Ref,
        (k::SSM_PARAMETER, "name" | "id") => Ref,
        // `Ref` is the name, which starts with `/`.
        (k::SSM_PARAMETER, "arn") => {
            Sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${{X}}")
        }
        (k::DB_SUBNET_GROUP, "name" | "id") => Ref,
        (k::DB_INSTANCE, "id") => Ref,
        (k::DB_INSTANCE, "arn") => GetAtt("DBInstanceArn"),
        (k::DB_INSTANCE, "address") => GetAtt("Endpoint.Address"),
        (k::DB_INSTANCE, "port") => GetAtt("Endpoint.Port"),
        (k::DB_INSTANCE, "master_user_secret_arn") => GetAtt("MasterUserSecret.SecretArn"),
        (k::ELASTICACHE_SUBNET_GROUP, "name" | "id") => Ref,
        (k::ELASTICACHE_REPLICATION_GROUP, "id") => Ref,
        (k::ELASTICACHE_REPLICATION_GROUP, "primary_endpoint_address") => {
            GetAtt("PrimaryEndPoint.Address")
        }
        (k::ELASTICACHE_REPLICATION_GROUP, "port") => GetAtt("PrimaryEndPoint.Port"),
        (k::DYNAMODB_TABLE, "name" | "id") => Ref,
        (k::DYNAMODB_TABLE, "arn") => GetAtt("Arn"),
        (k::S3_BUCKET, "name" | "id") => Ref,
        (k::S3_BUCKET, "arn") => GetAtt("Arn"),
        (k::S3_BUCKET, "objects_arn") => Sub("${{X}.Arn}/*"),
        (k::S3_BUCKET, "regional_domain_name") => GetAtt("RegionalDomainName"),
        (k::EFS_FILE_SYSTEM, "id") => Ref,
        (k::EFS_FILE_SYSTEM, "arn") => GetAtt("Arn"),
        (k::EFS_MOUNT_TARGET, "id") => Ref,
        (k::EFS_ACCESS_POINT, "id") => Ref,
        (k::EFS_ACCESS_POINT, "arn") => GetAtt("Arn"),
        (k::ROUTE53_ZONE, "id") => Ref,
        (k::SERVICEDISCOVERY_PRIVATE_DNS_NAMESPACE, "id") => GetAtt("Id"),
        (k::SERVICEDISCOVERY_PRIVATE_DNS_NAMESPACE, "arn") => GetAtt("Arn"),
        (k::SERVICEDISCOVERY_PRIVATE_DNS_NAMESPACE, "hosted_zone_id") => GetAtt("HostedZoneId"),
        (k::SERVICEDISCOVERY_SERVICE, "id") => GetAtt("Id"),
        (k::SERVICEDISCOVERY_SERVICE, "arn") => GetAtt("Arn"),
        (k::SERVICEDISCOVERY_SERVICE, "name") => GetAtt("Name"),
        (k::ACM_CERTIFICATE, "arn" | "id") => Ref,
        (k::WAFV2_IP_SET, "arn") => GetAtt("Arn"),
        (k::WAFV2_WEB_ACL, "arn") => GetAtt("Arn"),
        (k::WAFV2_WEB_ACL, "id") => GetAtt("Id"),
        (k::CLOUDFRONT_ORIGIN_ACCESS_CONTROL, "id") => GetAtt("Id"),
        (k::CLOUDFRONT_DISTRIBUTION, "id") => Ref,
        (k::CLOUDFRONT_DISTRIBUTION, "domain_name") => GetAtt("DomainName"),
        (k::CLOUDFRONT_DISTRIBUTION, "arn") => {
            Sub("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${{X}}")
        }
        // The zone every distribution's alias records point into.
        (k::CLOUDFRONT_DISTRIBUTION, "hosted_zone_id") => Const("Z2FDTNDATAQYW2"),
        (k::APIGW_API, "id") => Ref,
        (k::APIGW_API, "api_endpoint") => GetAtt("ApiEndpoint"),
        (k::APIGW_VPC_LINK, "id") => Ref,
        (k::APIGW_INTEGRATION, "id") => Ref,
        (k::APIGW_ROUTE, "id") => Ref,
        (k::APIGW_STAGE, "name" | "id") => Ref,
        (k::APIGW_DOMAIN_NAME, "domain_name" | "id") => Ref,
        (k::APIGW_DOMAIN_NAME, "regional_domain_name") => GetAtt("RegionalDomainName"),
        (k::APIGW_DOMAIN_NAME, "regional_hosted_zone_id") => GetAtt("RegionalHostedZoneId"),
        (k::APIGW_API_MAPPING, "id") => Ref,
        (k::SNS_TOPIC, "arn" | "id") => Ref,
        (k::SNS_TOPIC, "name") => GetAtt("TopicName"),
        (k::SNS_TOPIC_SUBSCRIPTION, "arn" | "id") => Ref,
        (k::CLOUDWATCH_METRIC_ALARM, "name" | "id") => Ref,
        (k::CLOUDWATCH_METRIC_ALARM, "arn") => GetAtt("Arn"),
        (k::CLOUDWATCH_DASHBOARD, "name" | "id") => Ref,
        (k::APPAUTOSCALING_TARGET, "id") => Ref,
        (k::APPAUTOSCALING_POLICY, "arn" | "id") => Ref,
        // `Ref` is the queue's URL.
        (k::SQS_QUEUE, "url") => Ref,
        (k::SQS_QUEUE, "arn" | "id") => GetAtt("Arn"),
        (k::SQS_QUEUE, "name") => GetAtt("QueueName"),
        (k::SCHEDULER_SCHEDULE_GROUP, "name" | "id") => Ref,
        (k::SCHEDULER_SCHEDULE_GROUP, "arn") => GetAtt("Arn"),
        (k::SCHEDULER_SCHEDULE, "name" | "id") => Ref,
        (k::SCHEDULER_SCHEDULE, "arn") => GetAtt("Arn"),
        (k::EVENTS_RULE, "name" | "id") => Ref,
        (k::EVENTS_RULE, "arn") => GetAtt("Arn"),
        (k::SESV2_EMAIL_IDENTITY, "id") => Ref,
        (k::SESV2_EMAIL_IDENTITY, "arn") => {
            Sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${{X}}")
        }
        (k::SESV2_EMAIL_IDENTITY, "dkim_name_1") => GetAtt("DkimDNSTokenName1"),
        (k::SESV2_EMAIL_IDENTITY, "dkim_name_2") => GetAtt("DkimDNSTokenName2"),
        (k::SESV2_EMAIL_IDENTITY, "dkim_name_3") => GetAtt("DkimDNSTokenName3"),
        (k::SESV2_EMAIL_IDENTITY, "dkim_value_1") => GetAtt("DkimDNSTokenValue1"),
        (k::SESV2_EMAIL_IDENTITY, "dkim_value_2") => GetAtt("DkimDNSTokenValue2"),
        (k::SESV2_EMAIL_IDENTITY, "dkim_value_3") => GetAtt("DkimDNSTokenValue3"),
        (k::COGNITO_USER_POOL, "id") => Ref,
        (k::COGNITO_USER_POOL, "arn") => GetAtt("Arn"),
        // The issuer of the pool's tokens, as the provider records it.
        (k::COGNITO_USER_POOL, "issuer") => {
            Sub("https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/${{X}}")
        }
        (k::COGNITO_USER_GROUP, "name" | "id") => Ref,
        (k::COGNITO_USER_POOL_CLIENT, "client_id" | "id") => Ref,
        (k::COGNITO_USER_POOL_DOMAIN, "id") => Ref,
        (k::APIGW_AUTHORIZER, "id") => Ref,
        (k::IAM_OPENID_CONNECT_PROVIDER, "arn" | "id") => Ref,
        (k::MEMORYDB_SUBNET_GROUP, "name" | "id") => Ref,
        (k::MEMORYDB_USER, "name" | "id") => Ref,
        (k::MEMORYDB_USER, "arn") => GetAtt("Arn"),
        (k::MEMORYDB_ACL, "name" | "id") => Ref,
        (k::MEMORYDB_ACL, "arn") => GetAtt("Arn"),
        (k::MEMORYDB_CLUSTER, "name" | "id") => Ref,
        (k::MEMORYDB_CLUSTER, "arn") => GetAtt("ARN"),
        (k::MEMORYDB_CLUSTER, "endpoint_address") => GetAtt("ClusterEndpoint.Address"),
        (k::MEMORYDB_CLUSTER, "port") => GetAtt("ClusterEndpoint.Port"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_examples_in_the_brief() {
        assert_eq!(
            attribute(k::SECURITY_GROUP, "id"),
            Some(Attr::GetAtt("GroupId"))
        );
        assert_eq!(attribute(k::IAM_ROLE, "arn"), Some(Attr::GetAtt("Arn")));
        assert_eq!(attribute(k::LB, "arn"), Some(Attr::Ref));
        assert_eq!(attribute(k::EIP, "id"), Some(Attr::GetAtt("AllocationId")));
        assert_eq!(attribute(k::VPC, "nonsense"), None);
    }

    #[test]
    fn sub_patterns_name_the_resource() {
        for (kind, attr) in [
            (k::SSM_PARAMETER, "arn"),
            (k::S3_BUCKET, "objects_arn"),
            (k::CLOUDFRONT_DISTRIBUTION, "arn"),
        ] {
            let Some(Attr::Sub(p)) = attribute(kind, attr) else {
                panic!("{kind}.{attr} is a Sub")
            };
            assert!(p.contains("{X}"), "{p}");
        }
    }
}
