//! One mapping per kind, grouped by AWS service like the providers: each
//! reads the kind's typed properties and adds the CloudFormation
//! resource(s) carrying what its provider sends AWS.

mod api;
mod compute;
mod data;
mod dns;
mod edge;
mod lb;
mod network;
mod ops;
mod platform;

use crate::cx::Cx;
use crate::ExportError;
use gantry_core::kinds as k;
use gantry_core::Resource;

type Mapper = fn(&mut Cx, &Resource) -> Result<(), ExportError>;

/// The mapping of `kind`; `None` for a kind the exporter does not know.
fn mapper(kind: &str) -> Option<Mapper> {
    Some(match kind {
        k::VPC => network::vpc,
        k::INTERNET_GATEWAY => network::internet_gateway,
        k::SUBNET => network::subnet,
        k::ROUTE_TABLE => network::route_table,
        k::ROUTE_TABLE_ASSOCIATION => network::route_table_association,
        k::EIP => network::eip,
        k::NAT_GATEWAY => network::nat_gateway,
        k::VPC_ENDPOINT => network::vpc_endpoint,
        k::VPC_FLOW_LOG => network::vpc_flow_log,
        k::SECURITY_GROUP => network::security_group,
        k::LB => lb::lb,
        k::LB_TARGET_GROUP => lb::target_group,
        k::LB_LISTENER => lb::listener,
        k::LB_LISTENER_RULE => lb::listener_rule,
        k::ECS_CLUSTER => compute::ecs_cluster,
        k::LOG_GROUP => compute::log_group,
        k::IAM_ROLE => compute::iam_role,
        k::ECR_REPOSITORY => compute::ecr_repository,
        k::ECS_TASK_DEFINITION => compute::ecs_task_definition,
        k::ECS_SERVICE => compute::ecs_service,
        k::KMS_KEY => data::kms_key,
        k::SECRET => data::secret,
        k::SSM_PARAMETER => data::ssm_parameter,
        k::DB_SUBNET_GROUP => data::db_subnet_group,
        k::DB_INSTANCE => data::db_instance,
        k::ELASTICACHE_SUBNET_GROUP => data::elasticache_subnet_group,
        k::ELASTICACHE_REPLICATION_GROUP => data::elasticache_replication_group,
        k::DYNAMODB_TABLE => data::dynamodb_table,
        k::S3_BUCKET => data::s3_bucket,
        k::EFS_FILE_SYSTEM => data::efs_file_system,
        k::EFS_MOUNT_TARGET => data::efs_mount_target,
        k::EFS_ACCESS_POINT => data::efs_access_point,
        k::MEMORYDB_SUBNET_GROUP => data::memorydb_subnet_group,
        k::MEMORYDB_USER => data::memorydb_user,
        k::MEMORYDB_ACL => data::memorydb_acl,
        k::MEMORYDB_CLUSTER => data::memorydb_cluster,
        k::ROUTE53_ZONE_LOOKUP => dns::route53_zone_lookup,
        k::ROUTE53_ZONE => dns::route53_zone,
        k::ROUTE53_RECORD => dns::route53_record,
        k::ACM_CERTIFICATE => dns::acm_certificate,
        k::ACM_CERTIFICATE_VALIDATION => dns::acm_certificate_validation,
        k::SERVICEDISCOVERY_PRIVATE_DNS_NAMESPACE => dns::servicediscovery_private_dns_namespace,
        k::SERVICEDISCOVERY_SERVICE => dns::servicediscovery_service,
        k::WAFV2_IP_SET => edge::wafv2_ip_set,
        k::WAFV2_WEB_ACL => edge::wafv2_web_acl,
        k::WAFV2_WEB_ACL_ASSOCIATION => edge::wafv2_web_acl_association,
        k::S3_BUCKET_POLICY => edge::s3_bucket_policy,
        k::CLOUDFRONT_ORIGIN_ACCESS_CONTROL => edge::cloudfront_origin_access_control,
        k::CLOUDFRONT_DISTRIBUTION => edge::cloudfront_distribution,
        k::APIGW_API => api::api,
        k::APIGW_VPC_LINK => api::vpc_link,
        k::APIGW_INTEGRATION => api::integration,
        k::APIGW_ROUTE => api::route,
        k::APIGW_STAGE => api::stage,
        k::APIGW_DOMAIN_NAME => api::domain_name,
        k::APIGW_API_MAPPING => api::api_mapping,
        k::APIGW_AUTHORIZER => platform::apigw_authorizer,
        k::SNS_TOPIC => ops::sns_topic,
        k::SNS_TOPIC_SUBSCRIPTION => ops::sns_topic_subscription,
        k::CLOUDWATCH_METRIC_ALARM => ops::cloudwatch_metric_alarm,
        k::CLOUDWATCH_DASHBOARD => ops::cloudwatch_dashboard,
        k::APPAUTOSCALING_TARGET => ops::appautoscaling_target,
        k::APPAUTOSCALING_POLICY => ops::appautoscaling_policy,
        k::APPAUTOSCALING_SCHEDULED_ACTION => ops::appautoscaling_scheduled_action,
        k::SQS_QUEUE => platform::sqs_queue,
        k::SCHEDULER_SCHEDULE_GROUP => platform::scheduler_schedule_group,
        k::SCHEDULER_SCHEDULE => platform::scheduler_schedule,
        k::EVENTS_RULE => platform::events_rule,
        k::SESV2_EMAIL_IDENTITY => platform::sesv2_email_identity,
        k::COGNITO_USER_POOL => platform::cognito_user_pool,
        k::COGNITO_USER_GROUP => platform::cognito_user_group,
        k::COGNITO_USER_POOL_CLIENT => platform::cognito_user_pool_client,
        k::COGNITO_USER_POOL_DOMAIN => platform::cognito_user_pool_domain,
        k::IAM_OPENID_CONNECT_PROVIDER => platform::iam_openid_connect_provider,
        _ => return None,
    })
}

/// Kinds Gantry builds that the exporter does not map yet: each is listed
/// in the template's notes, never silently left out, and what the
/// template's resources need of it is passed in as a Parameter. Every kind
/// is mapped today; a new kind may start here.
pub(crate) const NOT_YET: &[&str] = &[];

/// Adds what `r` becomes to the template.
pub(crate) fn map(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    if NOT_YET.contains(&r.kind.as_str()) {
        cx.note(
            &r.address,
            crate::NoteKind::NotExported,
            format!(
                "the {} is not in the template yet: Gantry creates it, an export does not (deploy it with `gantry up`, or add it by hand)",
                r.kind
            ),
        );
        return Ok(());
    }
    let f = mapper(&r.kind).ok_or_else(|| ExportError::UnknownKind {
        address: r.address.clone(),
        kind: r.kind.clone(),
    })?;
    f(cx, r)
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Maps single resources in a graph of a few, for per-kind tests.
    use crate::{cloudformation, Context, Export};
    use gantry_core::{DesiredGraph, Resource};
    use serde::Serialize;
    use serde_json::Value;

    pub fn ctx() -> Context {
        Context {
            stack: "shop".into(),
            env: "dev".into(),
            region: "eu-west-1".into(),
        }
    }

    /// A graph of `(kind, name, props)`.
    pub fn graph<T: Serialize>(items: &[(&str, &str, T)]) -> DesiredGraph {
        let mut g = DesiredGraph::new();
        for (kind, name, props) in items {
            g.add(Resource::new(kind, name, props)).unwrap();
        }
        g
    }

    pub fn export(g: &DesiredGraph) -> Export {
        cloudformation(g, &ctx()).expect("exports")
    }

    /// One resource of the template by logical id.
    pub fn res<'a>(e: &'a Export, id: &str) -> &'a Value {
        e.template["Resources"]
            .get(id)
            .unwrap_or_else(|| panic!("no {id} in {:#}", e.template["Resources"]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_mapping() {
        for kind in k::ALL {
            assert!(
                mapper(kind).is_some() || NOT_YET.contains(kind),
                "{kind} has no CloudFormation mapping"
            );
        }
    }
}
