//! Typed property structs, one per resource kind.
//!
//! The architect fills these in (reference fields hold `${ref:...}`
//! placeholders made by [`crate::reference`]); providers deserialize the
//! resolved properties back into the same struct. Field names are the
//! property names users see in plans and state, so keep them stable.
//! `name` fields become the AWS `Name` tag (EC2) or the resource's own name.

use crate::meta::{meta, KindMeta};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The declaration of every resource kind, in one table: a row gives the
/// kind's constant, its name (which is also its provider's module in
/// `gantry-aws`), its property struct (below) and its metadata
/// ([`crate::meta`]). `with_kinds!(m)` calls the macro `m` with the rows as
/// `(CONST, name, Struct, meta)` tuples; this crate derives the constants,
/// [`ALL`], the metadata table and the [`Kind`] impls from it, and the AWS
/// provider crate derives its modules and provider registration. Adding a
/// kind is one row here plus its struct and its provider file.
#[macro_export]
macro_rules! with_kinds {
    ($m:ident) => {
        $m! {
            (VPC, vpc, Vpc, meta("ec2", "VPC").force_new(&["cidr_block"])),
            (INTERNET_GATEWAY, internet_gateway, InternetGateway, meta("ec2", "internet gateway").force_new(&["vpc_id"])),
            (SUBNET, subnet, Subnet, meta("ec2", "subnet").force_new(&["vpc_id", "cidr_block", "availability_zone"])),
            (ROUTE_TABLE, route_table, RouteTable, meta("ec2", "route table").force_new(&["vpc_id"]).unordered(&["routes"])),
            (ROUTE_TABLE_ASSOCIATION, route_table_association, RouteTableAssociation, meta("ec2", "route table association").force_new(&["subnet_id", "route_table_id"]).untagged()),
            (EIP, eip, Eip, meta("ec2", "Elastic IP")),
            (NAT_GATEWAY, nat_gateway, NatGateway, meta("ec2", "NAT gateway").force_new(&["subnet_id", "allocation_id"])),
            (VPC_ENDPOINT, vpc_endpoint, VpcEndpoint, meta("ec2", "VPC endpoint").force_new(&["vpc_id", "service_name", "vpc_endpoint_type"]).unordered(&["subnet_ids", "security_group_ids", "route_table_ids"])),
            (VPC_FLOW_LOG, vpc_flow_log, VpcFlowLog, meta("ec2", "VPC flow log").force_new(&["vpc_id", "traffic_type", "log_group_name", "deliver_logs_permission_arn", "max_aggregation_interval"])),
            (SECURITY_GROUP, security_group, SecurityGroup, meta("ec2", "security group").force_new(&["name", "description", "vpc_id"]).unordered(&["ingress", "egress"])),
            (LB, lb, Lb, meta("elbv2", "load balancer").force_new(&["name", "internal"]).unordered(&["subnet_ids", "security_group_ids"])),
            (LB_TARGET_GROUP, lb_target_group, LbTargetGroup, meta("elbv2", "target group").force_new(&["name", "port", "protocol", "target_type", "vpc_id"])),
            (LB_LISTENER, lb_listener, LbListener, meta("elbv2", "listener").force_new(&["load_balancer_arn", "port"])),
            (LB_LISTENER_RULE, lb_listener_rule, LbListenerRule, meta("elbv2", "listener rule").force_new(&["listener_arn"]).unordered(&["path_patterns", "host_headers"])),
            (ECS_CLUSTER, ecs_cluster, EcsCluster, meta("ecs", "ECS cluster").force_new(&["name"])),
            (LOG_GROUP, log_group, LogGroup, meta("logs", "log group").force_new(&["name"])),
            (IAM_ROLE, iam_role, IamRole, meta("iam", "IAM role").force_new(&["name"])),
            // One per issuer URL in an account: `existing` uses the account's own.
            (IAM_OPENID_CONNECT_PROVIDER, iam_openid_connect_provider, IamOpenidConnectProvider, meta("iam", "IAM OIDC provider").force_new(&["url", "existing"]).unordered(&["client_ids", "thumbprints"])),
            (ECR_REPOSITORY, ecr_repository, EcrRepository, meta("ecr", "ECR repository").force_new(&["name"])),
            // The revisions a service ran before stay registered: ECS's circuit
            // breaker rolls back to the last one, `gantry rollback` to any kept.
            (ECS_TASK_DEFINITION, ecs_task_definition, EcsTaskDefinition, meta("ecs", "task definition").force_new(&["family", "cpu", "memory", "execution_role_arn", "task_role_arn", "cpu_architecture", "containers", "volumes"]).keep_previous(3)),
            (ECS_SERVICE, ecs_service, EcsService, meta("ecs", "ECS service").force_new(&["name", "cluster_arn"]).unordered(&["subnet_ids", "security_group_ids", "load_balancers", "service_registries"])),
            // A key lives in its region: another region is another key.
            (KMS_KEY, kms_key, KmsKey, meta("kms", "KMS key").force_new(&["region"])),
            (SECRET, secret, Secret, meta("secretsmanager", "secret").force_new(&["name", "generate_length", "exclude_punctuation"])),
            // A SecureString's value is never read: switching type starts it afresh.
            (SSM_PARAMETER, ssm_parameter, SsmParameter, meta("ssm", "SSM parameter").force_new(&["name", "secure"])),
            (DB_SUBNET_GROUP, db_subnet_group, DbSubnetGroup, meta("rds", "DB subnet group").force_new(&["name"]).unordered(&["subnet_ids"])),
            (DB_INSTANCE, db_instance, DbInstance, meta("rds", "PostgreSQL database").force_new(&["identifier", "engine", "kms_key_id", "db_name", "master_username", "db_subnet_group_name", "port"]).data().unordered(&["vpc_security_group_ids"])),
            (ELASTICACHE_SUBNET_GROUP, elasticache_subnet_group, ElasticacheSubnetGroup, meta("elasticache", "cache subnet group").force_new(&["name"]).unordered(&["subnet_ids"])),
            (ELASTICACHE_REPLICATION_GROUP, elasticache_replication_group, ElasticacheReplicationGroup, meta("elasticache", "Redis cache").force_new(&["id", "engine", "kms_key_id", "subnet_group_name", "port", "auth_token_secret_arn"]).data().unordered(&["security_group_ids"])),
            (DYNAMODB_TABLE, dynamodb_table, DynamodbTable, meta("dynamodb", "DynamoDB table").force_new(&["name", "hash_key", "range_key"]).data()),
            (S3_BUCKET, s3_bucket, S3Bucket, meta("s3", "S3 bucket").force_new(&["bucket_prefix"]).data()),
            (EFS_FILE_SYSTEM, efs_file_system, EfsFileSystem, meta("efs", "EFS file system").force_new(&["kms_key_id", "performance_mode"]).data()),
            (EFS_MOUNT_TARGET, efs_mount_target, EfsMountTarget, meta("efs", "EFS mount target").force_new(&["file_system_id", "subnet_id"]).untagged().unordered(&["security_group_ids"])),
            (EFS_ACCESS_POINT, efs_access_point, EfsAccessPoint, meta("efs", "EFS access point").force_new(&["file_system_id", "posix_uid", "posix_gid", "root_path", "root_permissions"])),
            (ROUTE53_ZONE_LOOKUP, route53_zone_lookup, Route53ZoneLookup, meta("route53", "hosted zone (existing)").force_new(&["name", "private_zone"]).untagged()),
            (ROUTE53_ZONE, route53_zone, Route53Zone, meta("route53", "hosted zone").force_new(&["name"])),
            (ROUTE53_RECORD, route53_record, Route53Record, meta("route53", "DNS record").force_new(&["zone_id", "name", "type"]).untagged().unordered(&["records"])),
            // A listener uses the certificate until it moves to the new one, and
            // certificates have no names to collide: create the new one first.
            (ACM_CERTIFICATE, acm_certificate, AcmCertificate, meta("acm", "certificate").force_new(&["domain_name", "subject_alternative_names", "region"]).unordered(&["subject_alternative_names"]).create_before_destroy()),
            (ACM_CERTIFICATE_VALIDATION, acm_certificate_validation, AcmCertificateValidation, meta("acm", "certificate validation").force_new(&["certificate_arn", "zone_id"]).untagged()),
            (WAFV2_IP_SET, wafv2_ip_set, Wafv2IpSet, meta("wafv2", "WAF IP set").force_new(&["name", "scope", "ip_address_version"]).unordered(&["addresses"])),
            (WAFV2_WEB_ACL, wafv2_web_acl, Wafv2WebAcl, meta("wafv2", "web ACL").force_new(&["name", "scope"])),
            (WAFV2_WEB_ACL_ASSOCIATION, wafv2_web_acl_association, Wafv2WebAclAssociation, meta("wafv2", "web ACL association").force_new(&["resource_arn"]).untagged()),
            // Static sites.
            (S3_BUCKET_POLICY, s3_bucket_policy, S3BucketPolicy, meta("s3", "bucket policy").force_new(&["bucket"]).untagged().unordered(&["cloudfront_distribution_arns"])),
            (CLOUDFRONT_ORIGIN_ACCESS_CONTROL, cloudfront_origin_access_control, CloudfrontOriginAccessControl, meta("cloudfront", "origin access control").force_new(&["name"]).untagged()),
            (CLOUDFRONT_DISTRIBUTION, cloudfront_distribution, CloudfrontDistribution, meta("cloudfront", "CloudFront distribution").unordered(&["aliases", "origins", "custom_error_responses"])),
            // ---- API Gateway (HTTP APIs) ----
            (APIGW_API, apigw_api, ApigwApi, meta("apigateway", "HTTP API")),
            // UpdateVpcLink changes only the name.
            (APIGW_VPC_LINK, apigw_vpc_link, ApigwVpcLink, meta("apigateway", "VPC link").force_new(&["subnet_ids", "security_group_ids"]).unordered(&["subnet_ids", "security_group_ids"])),
            (APIGW_INTEGRATION, apigw_integration, ApigwIntegration, meta("apigateway", "API integration").force_new(&["api_id", "integration_type", "connection_type"]).untagged()),
            (APIGW_ROUTE, apigw_route, ApigwRoute, meta("apigateway", "API route").force_new(&["api_id"]).untagged()),
            (APIGW_STAGE, apigw_stage, ApigwStage, meta("apigateway", "API stage").force_new(&["api_id", "name"])),
            (APIGW_DOMAIN_NAME, apigw_domain_name, ApigwDomainName, meta("apigateway", "API domain name").force_new(&["domain_name", "endpoint_type"])),
            (APIGW_API_MAPPING, apigw_api_mapping, ApigwApiMapping, meta("apigateway", "API mapping").force_new(&["domain_name"]).untagged()),
            // MemoryDB (durable Redis).
            (MEMORYDB_SUBNET_GROUP, memorydb_subnet_group, MemorydbSubnetGroup, meta("memorydb", "MemoryDB subnet group").force_new(&["name"]).unordered(&["subnet_ids"])),
            // The password is only read from its secret at create.
            (MEMORYDB_USER, memorydb_user, MemorydbUser, meta("memorydb", "MemoryDB user").force_new(&["name", "password_secret_arn"])),
            (MEMORYDB_ACL, memorydb_acl, MemorydbAcl, meta("memorydb", "MemoryDB ACL").force_new(&["name"]).unordered(&["user_names"])),
            (MEMORYDB_CLUSTER, memorydb_cluster, MemorydbCluster, meta("memorydb", "MemoryDB cluster").force_new(&["name", "tls_enabled", "kms_key_id", "subnet_group_name", "port"]).data().unordered(&["security_group_ids"])),
            // ---- Alerts: SNS and CloudWatch ----
            // CreateTopic takes the key and policy, SetTopicAttributes changes them.
            (SNS_TOPIC, sns_topic, SnsTopic, meta("sns", "SNS topic").force_new(&["name", "region"])),
            // Subscriptions cannot change: a new address is a new subscription.
            (SNS_TOPIC_SUBSCRIPTION, sns_topic_subscription, SnsTopicSubscription, meta("sns", "SNS subscription").force_new(&["topic_arn", "protocol", "endpoint", "raw_message_delivery"]).untagged()),
            // ---- Messaging: SQS ----
            // Every attribute changes in place but FIFO-ness (and the name).
            (SQS_QUEUE, sqs_queue, SqsQueue, meta("sqs", "SQS queue").force_new(&["name", "fifo"]).data().unordered(&["sender_topic_arns", "sender_rule_names"])),
            // PutMetricAlarm replaces an alarm whole, so everything but its name updates in place.
            (CLOUDWATCH_METRIC_ALARM, cloudwatch_metric_alarm, CloudwatchMetricAlarm, meta("cloudwatch", "alarm").force_new(&["name", "region"]).unordered(&["alarm_actions", "ok_actions"])),
            (CLOUDWATCH_DASHBOARD, cloudwatch_dashboard, CloudwatchDashboard, meta("cloudwatch", "dashboard").force_new(&["name"]).untagged()),
            // ---- Jobs: EventBridge Scheduler and rules running ECS tasks ----
            (SCHEDULER_SCHEDULE_GROUP, scheduler_schedule_group, SchedulerScheduleGroup, meta("scheduler", "schedule group").force_new(&["name"])),
            // UpdateSchedule replaces a schedule whole; it lives in its group.
            (SCHEDULER_SCHEDULE, scheduler_schedule, SchedulerSchedule, meta("scheduler", "schedule").force_new(&["name", "group_name"]).untagged()),
            // PutRule and PutTargets change a rule and its target in place.
            (EVENTS_RULE, events_rule, EventsRule, meta("events", "EventBridge rule").force_new(&["name"])),
            // ---- Application Auto Scaling (ECS services) ----
            (APPAUTOSCALING_TARGET, appautoscaling_target, AppautoscalingTarget, meta("application-autoscaling", "scalable target").force_new(&["cluster_name", "service_name"])),
            // Policies and scheduled actions carry no tags: they live inside their target.
            (APPAUTOSCALING_POLICY, appautoscaling_policy, AppautoscalingPolicy, meta("application-autoscaling", "scaling policy").force_new(&["resource_id", "name"]).untagged()),
            (APPAUTOSCALING_SCHEDULED_ACTION, appautoscaling_scheduled_action, AppautoscalingScheduledAction, meta("application-autoscaling", "scheduled action").force_new(&["resource_id", "name"]).untagged()),
            // ---- Email (SES v2) and auth (Cognito, the API's JWT authorizer) ----
            (SESV2_EMAIL_IDENTITY, sesv2_email_identity, Sesv2EmailIdentity, meta("ses", "email identity").force_new(&["identity"])),
            (COGNITO_USER_POOL, cognito_user_pool, CognitoUserPool, meta("cognito-idp", "user pool").force_new(&["name", "username_attributes"]).unordered(&["username_attributes", "auto_verified_attributes"]).data()),
            (COGNITO_USER_GROUP, cognito_user_group, CognitoUserGroup, meta("cognito-idp", "user group").force_new(&["user_pool_id", "name"]).untagged()),
            (COGNITO_USER_POOL_CLIENT, cognito_user_pool_client, CognitoUserPoolClient, meta("cognito-idp", "user pool client").force_new(&["user_pool_id", "generate_secret"]).untagged().unordered(&["allowed_oauth_flows", "allowed_oauth_scopes", "callback_urls", "logout_urls", "supported_identity_providers", "explicit_auth_flows"])),
            (COGNITO_USER_POOL_DOMAIN, cognito_user_pool_domain, CognitoUserPoolDomain, meta("cognito-idp", "hosted UI domain").force_new(&["domain", "user_pool_id"]).untagged()),
            (APIGW_AUTHORIZER, apigw_authorizer, ApigwAuthorizer, meta("apigateway", "API authorizer").force_new(&["api_id", "authorizer_type"]).untagged().unordered(&["identity_source", "audience"])),
            // ---- Service discovery (Cloud Map) ----
            // UpdatePrivateDnsNamespace changes the description only.
            (SERVICEDISCOVERY_PRIVATE_DNS_NAMESPACE, servicediscovery_private_dns_namespace, ServicediscoveryPrivateDnsNamespace, meta("servicediscovery", "Cloud Map namespace").force_new(&["name", "vpc_id"])),
            // UpdateService changes the description and the records' TTL, not the routing policy.
            (SERVICEDISCOVERY_SERVICE, servicediscovery_service, ServicediscoveryService, meta("servicediscovery", "Cloud Map service").force_new(&["name", "namespace_id", "routing_policy"])),
        }
    };
}

macro_rules! declare_kinds {
    ($(($konst:ident, $name:ident, $ty:ident, $meta:expr)),* $(,)?) => {
        $(pub const $konst: &str = stringify!($name);)*
        /// Every kind this crate knows.
        pub const ALL: &[&str] = &[$(stringify!($name)),*];
        /// The metadata of every kind, in declaration order.
        pub(crate) static META: &[KindMeta] = &[$($meta.named(stringify!($name))),*];
        $(impl Kind for $ty {
            const KIND: &'static str = stringify!($name);
        })*
    };
}

with_kinds!(declare_kinds);

/// A kind's property struct: what the architect builds and providers parse.
pub trait Kind: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync + 'static {
    /// The kind's name (`vpc`).
    const KIND: &'static str;

    /// The kind's metadata.
    fn meta() -> &'static KindMeta {
        crate::meta::kind_meta(Self::KIND).expect("every kind is declared with its metadata")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vpc {
    pub name: String,
    pub cidr_block: String,
    pub enable_dns_support: bool,
    pub enable_dns_hostnames: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InternetGateway {
    pub name: String,
    /// The VPC it is attached to.
    pub vpc_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subnet {
    pub name: String,
    pub vpc_id: String,
    pub cidr_block: String,
    pub availability_zone: String,
    pub map_public_ip_on_launch: bool,
}

/// One route. Exactly one target field is set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Route {
    pub destination_cidr_block: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_gateway_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteTable {
    pub name: String,
    pub vpc_id: String,
    /// Routes besides the implicit `local` one, sorted by destination.
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteTableAssociation {
    pub subnet_id: String,
    pub route_table_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Eip {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NatGateway {
    pub name: String,
    /// A public subnet.
    pub subnet_id: String,
    /// The Elastic IP allocation id.
    pub allocation_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VpcEndpoint {
    pub name: String,
    pub vpc_id: String,
    /// For example `com.amazonaws.us-east-1.ecr.api`.
    pub service_name: String,
    /// `Interface` or `Gateway`.
    pub vpc_endpoint_type: String,
    /// Interface endpoints: the subnets to place them in.
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    /// Interface endpoints: their security groups.
    #[serde(default)]
    pub security_group_ids: Vec<String>,
    /// Gateway endpoints: the route tables that get a route to the service.
    #[serde(default)]
    pub route_table_ids: Vec<String>,
    pub private_dns_enabled: bool,
}

/// A VPC flow log delivering to a CloudWatch Logs group, through a role
/// the `vpc-flow-logs.amazonaws.com` service assumes. Flow logs cannot be
/// changed, only replaced; the name is the `Name` tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VpcFlowLog {
    pub name: String,
    pub vpc_id: String,
    /// `ALL`, `ACCEPT` or `REJECT`.
    pub traffic_type: String,
    pub log_group_name: String,
    /// The role the service assumes to write to the group.
    pub deliver_logs_permission_arn: String,
    /// Seconds over which a record aggregates packets: 60 or 600.
    pub max_aggregation_interval: i32,
}

/// One security group rule. Exactly one source is set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SgRule {
    /// `tcp`, `udp` or `-1` for all.
    pub protocol: String,
    pub from_port: i32,
    pub to_port: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ipv4: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ipv6: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_security_group_id: Option<String>,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroup {
    /// The group name (also the `Name` tag).
    pub name: String,
    pub description: String,
    pub vpc_id: String,
    pub ingress: Vec<SgRule>,
    pub egress: Vec<SgRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lb {
    /// At most 32 characters.
    pub name: String,
    pub internal: bool,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub idle_timeout_seconds: i32,
    pub drop_invalid_header_fields: bool,
    /// `monitor`, `defensive` or `strictest`.
    pub desync_mitigation_mode: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub path: String,
    /// HTTP codes that count as healthy, for example `200-399`.
    pub matcher: String,
    pub interval_seconds: i32,
    pub timeout_seconds: i32,
    pub healthy_threshold: i32,
    pub unhealthy_threshold: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LbTargetGroup {
    /// At most 32 characters.
    pub name: String,
    pub port: i32,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    /// Always `ip` for Fargate.
    pub target_type: String,
    pub vpc_id: String,
    pub health_check: HealthCheck,
    pub deregistration_delay_seconds: i32,
}

/// A listener's default action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ListenerAction {
    Forward {
        target_group_arn: String,
    },
    Redirect {
        protocol: String,
        port: String,
        status_code: String,
    },
    FixedResponse {
        status_code: String,
        content_type: String,
        message_body: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LbListener {
    pub load_balancer_arn: String,
    pub port: i32,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    pub default_action: ListenerAction,
    /// HTTPS: the ACM certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    /// HTTPS: the TLS policy, for example `ELBSecurityPolicy-TLS13-1-2-2021-06`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_policy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LbListenerRule {
    pub listener_arn: String,
    pub priority: i32,
    /// Path patterns (`/api/*`); empty means any path.
    #[serde(default)]
    pub path_patterns: Vec<String>,
    /// Host headers; empty means any host.
    #[serde(default)]
    pub host_headers: Vec<String>,
    pub target_group_arn: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcsCluster {
    pub name: String,
    pub container_insights: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogGroup {
    pub name: String,
    pub retention_in_days: i32,
    /// The KMS key (ARN) CloudWatch Logs encrypts the events with; its key
    /// policy must admit the Logs service for this group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamRole {
    pub name: String,
    pub description: String,
    /// The service principal allowed to assume it (`ecs-tasks.amazonaws.com`).
    pub assume_role_service: String,
    /// Inline policies by name; each value is an IAM policy document.
    pub inline_policies: BTreeMap<String, serde_json::Value>,
    /// A whole trust policy, for principals other than one service (a
    /// federated OIDC provider with conditions on its token's claims);
    /// `assume_role_service` is then empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_policy: Option<serde_json::Value>,
}

/// IAM's record of an OpenID Connect identity provider (GitHub Actions'
/// token issuer), which roles name as their federated principal. Its id is
/// its ARN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamOpenidConnectProvider {
    /// The issuer, `https://token.actions.githubusercontent.com`.
    pub url: String,
    /// The audiences tokens must carry (`sts.amazonaws.com`).
    pub client_ids: Vec<String>,
    /// Server certificate thumbprints. Empty: none is sent, and IAM keeps
    /// what it fetches itself (for GitHub it no longer checks one, trusting
    /// the issuer's CA instead), which is then not diffed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thumbprints: Vec<String>,
    /// The account's provider for `url`, used as it is: looked up, never
    /// created, changed or deleted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub existing: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcrRepository {
    pub name: String,
    /// `IMMUTABLE` or `MUTABLE`.
    pub image_tag_mutability: String,
    pub scan_on_push: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PortMapping {
    pub container_port: i32,
    /// `tcp`.
    pub protocol: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerHealthCheck {
    /// For example `["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"]`.
    pub command: Vec<String>,
    pub interval_seconds: i32,
    pub timeout_seconds: i32,
    pub retries: i32,
    pub start_period_seconds: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerDefinition {
    pub name: String,
    pub image: String,
    /// Overrides the image's command; empty keeps the image's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    pub essential: bool,
    /// CPU units (1024 = one vCPU) reserved for this container.
    pub cpu: i32,
    /// Soft memory limit in MiB (ECS `memoryReservation`).
    pub memory_reservation: i32,
    pub port_mappings: Vec<PortMapping>,
    /// Plain environment variables, sorted by name.
    pub environment: BTreeMap<String, String>,
    /// Variables ECS fills from Secrets Manager or SSM at start (ECS
    /// `secrets`), by variable name. Never plain `environment`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, SecretRef>,
    /// EFS volumes of the task mounted into this container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mount_points: Vec<MountPoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<ContainerHealthCheck>,
    pub readonly_root_filesystem: bool,
    /// awslogs configuration.
    pub log_group: String,
    pub log_region: String,
    pub log_stream_prefix: String,
    /// Names of containers that must be healthy/started first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ContainerDependency>,
    /// S3 objects of `KEY=value` lines ECS loads into the environment at
    /// start (ECS `environmentFiles`, type `s3`), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment_files: Vec<EnvironmentFile>,
}

/// An environment file: the object `key` of a bucket. Kept as the bucket's
/// ARN (usually a reference) and the key because a reference must be a
/// whole string; the provider joins them into the object's ARN.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EnvironmentFile {
    pub bucket_arn: String,
    pub key: String,
}

impl EnvironmentFile {
    /// The object's ARN, ECS's `value`.
    pub fn arn(&self) -> String {
        format!("{}/{}", self.bucket_arn, self.key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerDependency {
    pub container_name: String,
    /// `START`, `HEALTHY`, `COMPLETE` or `SUCCESS`.
    pub condition: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcsTaskDefinition {
    pub family: String,
    /// Task CPU units, for example 512.
    pub cpu: i32,
    /// Task memory in MiB, for example 1024.
    pub memory: i32,
    pub execution_role_arn: String,
    pub task_role_arn: String,
    /// `X86_64` or `ARM64`.
    pub cpu_architecture: String,
    pub containers: Vec<ContainerDefinition>,
    /// EFS volumes the containers may mount.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<EfsVolume>,
}

/// Where an ECS secret comes from: a Secrets Manager secret (optionally one
/// JSON key of it) or an SSM parameter, by ARN.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SecretRef {
    /// The secret's or parameter's ARN (usually a reference).
    pub arn: String,
    /// For a JSON secret, the key to extract (`password`); ECS `valueFrom`
    /// becomes `ARN:KEY::`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_key: Option<String>,
}

impl SecretRef {
    /// The ECS `valueFrom` string.
    pub fn value_from(&self) -> String {
        match &self.json_key {
            Some(k) => format!("{}:{k}::", self.arn),
            None => self.arn.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MountPoint {
    /// The task volume's name.
    pub source_volume: String,
    pub container_path: String,
    pub read_only: bool,
}

/// An EFS volume of a task (always with transit encryption and IAM auth).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EfsVolume {
    pub name: String,
    pub file_system_id: String,
    pub access_point_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ServiceLoadBalancer {
    pub target_group_arn: String,
    pub container_name: String,
    pub container_port: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcsService {
    pub name: String,
    pub cluster_arn: String,
    pub task_definition_arn: String,
    pub desired_count: i32,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub assign_public_ip: bool,
    pub load_balancers: Vec<ServiceLoadBalancer>,
    pub circuit_breaker_enable: bool,
    pub circuit_breaker_rollback: bool,
    pub minimum_healthy_percent: i32,
    pub maximum_percent: i32,
    pub health_check_grace_period_seconds: i32,
    /// `FARGATE` or `FARGATE_SPOT` capacity provider.
    pub capacity_provider: String,
    /// ECS Exec (`gantry exec`) into its tasks.
    #[serde(default)]
    pub enable_execute_command: bool,
    /// Cloud Map services (ARNs) its tasks are registered in: A records of
    /// the tasks' own IPs (awsvpc), so no port. ECS registers a task once it
    /// runs and deregisters it as it stops.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_registries: Vec<String>,
}

/// A customer-managed KMS key with rotation on, plus its alias.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KmsKey {
    /// The alias, `alias/...`.
    pub alias: String,
    pub description: String,
    pub enable_key_rotation: bool,
    /// The key policy document; `null` for the account-root statement of
    /// AWS's default policy.
    pub policy: serde_json::Value,
    /// When set, the policy also lets CloudWatch Logs of the stack's region
    /// use the key for log groups whose names start with this prefix (an
    /// `ArnLike` condition on `kms:EncryptionContext:aws:logs:arn`). The
    /// provider renders that statement because the account id in the ARN is
    /// only known at apply time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs_log_group_prefix: Option<String>,
    /// Days between scheduling deletion and deletion (7 to 30).
    pub deletion_window_in_days: i32,
    /// When true, the policy also lets CloudWatch (`cloudwatch.amazonaws.com`)
    /// use the key (`kms:Decrypt`, `kms:GenerateDataKey*`), as AWS documents
    /// for alarms that notify a topic encrypted with it. Rendered by the
    /// provider beside the Logs statement.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cloudwatch_alarms: bool,
    /// Where the key lives; empty means the stack's region (an alerts topic
    /// for CloudFront's alarms lives in us-east-1, and SNS encrypts only
    /// with a key of its own region).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
    /// AWS services (`sns.amazonaws.com`) the policy lets use the key
    /// (`kms:Decrypt`, `kms:GenerateDataKey*`) on this account's behalf
    /// only (`aws:SourceAccount`): SNS delivering to a queue encrypted with
    /// it. Rendered by the provider, which knows the account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_principals: Vec<String>,
}

/// A Secrets Manager secret. Its value never passes through Gantry's props
/// or state: it is generated by AWS (`GetRandomPassword`) at create, or set
/// out of band with `gantry secret set`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Secret {
    pub name: String,
    pub description: String,
    pub kms_key_id: String,
    /// Generate a random value of this length at create; `None` leaves the
    /// secret empty until `gantry secret set` stores a value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate_length: Option<i32>,
    /// Leave punctuation out of generated values (for tokens that go in URLs).
    pub exclude_punctuation: bool,
    /// Days the secret can be restored after destroy (0 deletes at once).
    pub recovery_window_in_days: i32,
}

/// An SSM parameter: a plain `String`, or a `SecureString` encrypted with
/// `key_id` whose value never passes through props, plans or state (a
/// random placeholder at create, then `gantry secret set`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsmParameter {
    /// The full name, `/gantry/{stack}/{env}/NAME`.
    pub name: String,
    pub description: String,
    /// The plain value; empty for a SecureString.
    pub value: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secure: bool,
    /// The KMS key (ARN) of a SecureString.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbSubnetGroup {
    pub name: String,
    pub description: String,
    pub subnet_ids: Vec<String>,
}

/// An RDS instance. The master password is managed by RDS in Secrets
/// Manager (`ManageMasterUserPassword`), so Gantry never sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbInstance {
    pub identifier: String,
    /// `postgres`.
    pub engine: String,
    /// For example `16.4` or `16`.
    pub engine_version: String,
    pub instance_class: String,
    /// GiB.
    pub allocated_storage: i32,
    /// Storage autoscaling limit, GiB.
    pub max_allocated_storage: i32,
    /// `gp3`.
    pub storage_type: String,
    pub kms_key_id: String,
    pub db_name: String,
    pub master_username: String,
    pub db_subnet_group_name: String,
    pub vpc_security_group_ids: Vec<String>,
    pub multi_az: bool,
    pub backup_retention_period: i32,
    pub deletion_protection: bool,
    /// Take a final snapshot on delete (`{identifier}-final-{time}`).
    pub final_snapshot: bool,
    pub port: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElasticacheSubnetGroup {
    pub name: String,
    pub description: String,
    pub subnet_ids: Vec<String>,
}

/// A Redis (OSS) replication group, encrypted at rest and in transit, with an
/// AUTH token read from a Secrets Manager secret at create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElasticacheReplicationGroup {
    pub id: String,
    pub description: String,
    /// `redis` or `valkey`.
    pub engine: String,
    pub engine_version: String,
    pub node_type: String,
    /// Primary plus replicas.
    pub num_cache_clusters: i32,
    pub automatic_failover: bool,
    pub multi_az: bool,
    pub kms_key_id: String,
    /// The secret whose value is the AUTH token.
    pub auth_token_secret_arn: String,
    pub subnet_group_name: String,
    pub security_group_ids: Vec<String>,
    pub port: i32,
    pub snapshot_retention_limit: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TableKey {
    pub name: String,
    /// `S`, `N` or `B`.
    #[serde(rename = "type")]
    pub attr_type: String,
}

/// A DynamoDB table, on-demand, encrypted with the stack's key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DynamodbTable {
    pub name: String,
    pub hash_key: TableKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_key: Option<TableKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_attribute: Option<String>,
    pub point_in_time_recovery: bool,
    pub kms_key_arn: String,
    pub deletion_protection: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LifecycleRule {
    pub id: String,
    /// Key prefix the rule applies to; empty for the whole bucket.
    pub prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_days: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noncurrent_expiration_days: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition_to_ia_days: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CorsRule {
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub max_age_seconds: i32,
}

/// An S3 bucket: public access blocked, SSE-KMS with a bucket key (SSE-S3
/// when `kms_key_arn` is empty, as for a static site CloudFront reads),
/// versioned.
/// Bucket names are global, so the provider appends a random suffix to
/// `bucket_prefix` at create; the id is the full name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct S3Bucket {
    pub bucket_prefix: String,
    pub kms_key_arn: String,
    pub versioning: bool,
    #[serde(default)]
    pub lifecycle_rules: Vec<LifecycleRule>,
    #[serde(default)]
    pub cors_rules: Vec<CorsRule>,
    /// Delete objects on destroy; otherwise a bucket with objects is kept
    /// and the destroy reports it.
    pub force_destroy: bool,
    /// Block Public Access lets a public bucket policy through
    /// (`BlockPublicPolicy` and `RestrictPublicBuckets` off); ACLs stay
    /// blocked, and the account-level setting is never touched.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub public_policy: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EfsFileSystem {
    pub name: String,
    pub kms_key_id: String,
    /// `generalPurpose`.
    pub performance_mode: String,
    /// `elastic`.
    pub throughput_mode: String,
    /// Lifecycle `TransitionToIA` (`AFTER_30_DAYS`); none keeps every file
    /// in Standard storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition_to_ia: Option<String>,
    /// Lifecycle `TransitionToPrimaryStorageClass` (`AFTER_1_ACCESS`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition_to_primary_storage_class: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EfsMountTarget {
    pub file_system_id: String,
    pub subnet_id: String,
    pub security_group_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EfsAccessPoint {
    pub name: String,
    pub file_system_id: String,
    pub posix_uid: i64,
    pub posix_gid: i64,
    pub root_path: String,
    /// Octal permissions of the root directory when EFS creates it (`0750`).
    pub root_permissions: String,
}

/// An existing Route53 hosted zone, looked up by name. Creating it only
/// looks it up and deleting it does nothing: Gantry never owns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route53ZoneLookup {
    /// The zone's domain, without the trailing dot (`example.com`).
    pub name: String,
    pub private_zone: bool,
}

/// A public hosted zone Gantry creates and owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route53Zone {
    pub name: String,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AliasTarget {
    pub dns_name: String,
    /// The target's own hosted zone id (the load balancer's `zone_id`).
    pub zone_id: String,
    pub evaluate_target_health: bool,
}

/// One record set. The id is `ZONE_ID|name|type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route53Record {
    pub zone_id: String,
    /// Fully qualified, without the trailing dot.
    pub name: String,
    /// `A`, `AAAA`, `CNAME`, `TXT`, ...
    #[serde(rename = "type")]
    pub record_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<AliasTarget>,
    /// Values of a non-alias record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
}

/// An ACM certificate requested with DNS validation (its idempotency token
/// comes from the journal).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcmCertificate {
    pub domain_name: String,
    #[serde(default)]
    pub subject_alternative_names: Vec<String>,
    /// Where to request it; CloudFront certificates live in us-east-1.
    /// Empty means the stack's region.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
}

/// Writes a certificate's DNS validation records into a zone (UPSERT) and
/// waits until ACM reports the certificate ISSUED. Deleting it removes the
/// records. Outputs `certificate_arn` once issued, so listeners that
/// reference it wait for issuance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcmCertificateValidation {
    pub certificate_arn: String,
    pub zone_id: String,
}

/// A WAFv2 IP set (for allow and deny lists).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wafv2IpSet {
    pub name: String,
    /// `REGIONAL` or `CLOUDFRONT`.
    pub scope: String,
    /// `IPV4` or `IPV6`.
    pub ip_address_version: String,
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ManagedRuleGroup {
    /// `AWS`.
    pub vendor: String,
    /// For example `AWSManagedRulesCommonRuleSet`.
    pub name: String,
    pub priority: i32,
}

/// A web ACL: AWS managed rule groups, a per-IP rate limit and optional
/// IP allow/deny sets, with metrics and sampled requests on. Updates use
/// WAF's lock token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wafv2WebAcl {
    pub name: String,
    pub description: String,
    pub scope: String,
    pub managed_rule_groups: Vec<ManagedRuleGroup>,
    /// Requests per 5 minutes per IP before blocking; `None` for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<i64>,
    /// IP set ARN whose addresses are always allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_ip_set_arn: Option<String>,
    /// IP set ARN whose addresses are always blocked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_ip_set_arn: Option<String>,
    /// The CloudWatch metric name prefix.
    pub metric_name: String,
}

/// Attaches a web ACL to a load balancer (id = the resource ARN).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wafv2WebAclAssociation {
    pub web_acl_arn: String,
    pub resource_arn: String,
}

/// A bucket's policy: read access for the named CloudFront distributions
/// (Origin Access Control, scoped by `AWS:SourceArn`), or for everyone
/// (`public_read`), and a deny of any request not made over TLS. The id is
/// the bucket name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct S3BucketPolicy {
    pub bucket: String,
    pub bucket_arn: String,
    /// Distributions allowed to `s3:GetObject`.
    pub cloudfront_distribution_arns: Vec<String>,
    /// Deny every request not made over TLS.
    pub deny_insecure_transport: bool,
    /// Anyone (`*`) may `s3:GetObject` the bucket's objects (a public
    /// bucket of static assets); never list or write.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub public_read: bool,
}

/// A CloudFront Origin Access Control for S3 origins (SigV4, always sign).
/// It has no tags; the name (unique per account) identifies it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudfrontOriginAccessControl {
    pub name: String,
    pub description: String,
}

/// One origin of a distribution: an S3 bucket reached through an Origin
/// Access Control, or a custom (HTTP) origin such as a load balancer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CloudfrontOrigin {
    pub id: String,
    pub domain_name: String,
    /// Set for S3 origins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_access_control_id: Option<String>,
    /// Set for custom origins: `https-only` or `http-only`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_protocol_policy: Option<String>,
}

/// A cache behavior; the default one has an empty `path_pattern`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CloudfrontBehavior {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path_pattern: String,
    pub target_origin_id: String,
    /// A managed cache policy id.
    pub cache_policy_id: String,
    /// A managed origin request policy id (what reaches the origin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_request_policy_id: Option<String>,
    /// `GET,HEAD` or all methods (`DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT`).
    pub allowed_methods: Vec<String>,
}

/// Answers an origin error with another page (SPA fallback: 403/404 →
/// `/index.html` with 200).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CloudfrontErrorResponse {
    pub error_code: i32,
    pub response_code: i32,
    pub response_page_path: String,
    /// Seconds CloudFront caches the error answer.
    pub min_ttl: i64,
}

/// A CloudFront distribution. Viewers are redirected to HTTPS, compression
/// and IPv6 are on, TLS is at least 1.2 with a custom certificate. Outputs
/// `id`, `arn`, `domain_name` and `hosted_zone_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudfrontDistribution {
    pub comment: String,
    pub enabled: bool,
    /// Alternate domain names (need `certificate_arn`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// An ACM certificate in us-east-1; none means the `*.cloudfront.net` one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    pub default_root_object: String,
    /// `PriceClass_100`, `PriceClass_200` or `PriceClass_All`.
    pub price_class: String,
    /// A web ACL of scope CLOUDFRONT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_acl_arn: Option<String>,
    pub origins: Vec<CloudfrontOrigin>,
    pub default_behavior: CloudfrontBehavior,
    #[serde(default)]
    pub ordered_behaviors: Vec<CloudfrontBehavior>,
    #[serde(default)]
    pub custom_error_responses: Vec<CloudfrontErrorResponse>,
}

// ---- API Gateway (HTTP APIs) ----

/// An API Gateway HTTP API (protocol `HTTP`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApigwApi {
    pub name: String,
    pub description: String,
    /// Turn off the `execute-api` endpoint so clients must come through the
    /// custom domain.
    pub disable_execute_api_endpoint: bool,
}

/// A VPC link (V2) into private subnets, for private integrations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApigwVpcLink {
    pub name: String,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
}

/// A private integration: HTTP_PROXY through a VPC link to a load
/// balancer listener.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApigwIntegration {
    pub api_id: String,
    /// Also what finds the integration again after a crash (integrations
    /// carry no tags): it names the address.
    pub description: String,
    /// `HTTP_PROXY`.
    pub integration_type: String,
    /// `ANY`, `GET`, ...
    pub integration_method: String,
    /// `VPC_LINK`.
    pub connection_type: String,
    /// The VPC link id.
    pub connection_id: String,
    /// The listener ARN.
    pub integration_uri: String,
    /// `1.0` (the only one HTTP_PROXY integrations take).
    pub payload_format_version: String,
    /// 50 to 30000.
    pub timeout_in_millis: i32,
}

/// A route of an HTTP API (`ANY /orders/{proxy+}`, `$default`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApigwRoute {
    pub api_id: String,
    pub route_key: String,
    /// The integration id (the route's target is `integrations/ID`).
    pub integration_id: String,
    /// The JWT authorizer that must accept a caller's token (authorization
    /// type `JWT`); `None`: open to anyone (`NONE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorizer_id: Option<String>,
}

/// A stage of an HTTP API with access logs and default route throttling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApigwStage {
    pub api_id: String,
    /// `$default`.
    pub name: String,
    pub auto_deploy: bool,
    /// The log group ARN access logs go to.
    pub access_log_destination_arn: String,
    /// The access log line (`$context` variables).
    pub access_log_format: String,
    /// Steady-state requests per second across the stage's routes.
    pub throttling_rate_limit: f64,
    /// Requests allowed in a burst.
    pub throttling_burst_limit: i32,
}

/// A regional custom domain name for HTTP APIs. Outputs
/// `regional_domain_name` and `regional_hosted_zone_id`, the alias target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApigwDomainName {
    pub domain_name: String,
    pub certificate_arn: String,
    /// `REGIONAL`.
    pub endpoint_type: String,
    /// `TLS_1_2`.
    pub security_policy: String,
}

/// Maps a stage of an API onto a custom domain name (id = the mapping id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApigwApiMapping {
    pub api_id: String,
    pub domain_name: String,
    pub stage: String,
    /// The base path; empty maps the domain's root.
    pub api_mapping_key: String,
}

// ---------------------------------------------------------------------------
// MemoryDB (durable Redis).

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemorydbSubnetGroup {
    pub name: String,
    pub description: String,
    pub subnet_ids: Vec<String>,
}

/// A MemoryDB user authenticating with a password read from a Secrets
/// Manager secret at create (the value never enters props or state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemorydbUser {
    pub name: String,
    /// Redis ACL rules, for example `on ~* &* +@all`.
    pub access_string: String,
    /// The secret whose value is the password.
    pub password_secret_arn: String,
}

/// A MemoryDB access control list: the users a cluster admits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemorydbAcl {
    pub name: String,
    pub user_names: Vec<String>,
}

/// A MemoryDB cluster (Redis with a multi-AZ transaction log), TLS on,
/// encrypted at rest with the stack's key, admitting the users of its ACL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemorydbCluster {
    pub name: String,
    pub description: String,
    pub engine_version: String,
    /// For example `db.t4g.small`.
    pub node_type: String,
    pub num_shards: i32,
    pub num_replicas_per_shard: i32,
    pub tls_enabled: bool,
    pub kms_key_id: String,
    pub acl_name: String,
    pub subnet_group_name: String,
    pub security_group_ids: Vec<String>,
    pub port: i32,
    pub snapshot_retention_limit: i32,
}

// ---------------------------------------------------------------------------
// Alerts: SNS and CloudWatch.

/// A standard SNS topic encrypted at rest with a KMS key. The id is the
/// topic ARN; outputs `id`, `arn`, `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnsTopic {
    pub name: String,
    /// Where the topic lives; empty means the stack's region. An alarm
    /// notifies topics of its own region only, so CloudFront's alarms (in
    /// us-east-1) have a topic there.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
    /// The KMS key (ARN) of the topic's region that SNS encrypts with.
    pub kms_key_id: String,
    /// When set, the topic policy lets CloudWatch publish, and only for
    /// this account's alarms whose names start with this prefix
    /// (`aws:SourceAccount`, `aws:SourceArn`); the provider renders it, the
    /// account being known only at apply time. `None` leaves SNS's default
    /// policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_name_prefix: Option<String>,
}

/// A subscription of an endpoint to a topic. Email subscriptions stay
/// pending until the address confirms. The id is the subscription ARN
/// (asked for with `ReturnSubscriptionArn`, so a pending one has its own);
/// outputs `pending` (`true` until confirmed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnsTopicSubscription {
    pub topic_arn: String,
    /// `email` or `sqs`.
    pub protocol: String,
    /// The address, or the queue's ARN.
    pub endpoint: String,
    /// Deliver the message as published, without SNS's JSON envelope
    /// (queues).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub raw_message_delivery: bool,
}

/// An SQS queue encrypted with a KMS key. The id is the queue's ARN (the
/// URL is derived from it); outputs `id`, `arn`, `url`, `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SqsQueue {
    /// Ends in `.fifo` for a FIFO queue.
    pub name: String,
    pub fifo: bool,
    /// Seconds (0 to 43200).
    pub visibility_timeout_seconds: i32,
    /// Seconds (60 to 1209600).
    pub message_retention_seconds: i32,
    /// The KMS key (ARN) SQS encrypts with.
    pub kms_key_id: String,
    /// Where a message goes after `max_receive_count` receives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redrive: Option<Redrive>,
    /// SNS topics (ARNs) the queue policy lets send to it (`aws:SourceArn`);
    /// empty leaves the queue to its account's IAM policies. Rendered by
    /// the provider, which knows the queue's ARN.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sender_topic_arns: Vec<String>,
    /// EventBridge rules (names, on the default bus) the queue policy lets
    /// send to it: rules whose dead-letter queue it is. Names, because the
    /// rule's target names this queue; the provider renders their ARNs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sender_rule_names: Vec<String>,
}

/// A schedule group: the stack's schedules live in it (schedules take no
/// tags; the group does, and deleting it deletes them). The id is its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchedulerScheduleGroup {
    pub name: String,
}

/// An ECS task a schedule or rule runs: on Fargate in the private subnets,
/// no public IP, with the role that may run exactly it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EcsTaskTarget {
    pub cluster_arn: String,
    pub task_definition_arn: String,
    /// The role EventBridge assumes to run the task.
    pub role_arn: String,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    /// `FARGATE` or `FARGATE_SPOT`.
    pub capacity_provider: String,
    /// The SQS queue (ARN) a run that could not start goes to.
    pub dead_letter_arn: String,
    pub maximum_retry_attempts: i32,
}

/// An EventBridge Scheduler schedule running an ECS task. The id is
/// `GROUP/NAME`; outputs `id`, `arn`, `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchedulerSchedule {
    pub name: String,
    pub group_name: String,
    pub description: String,
    /// `cron(...)`, `rate(...)` or `at(...)`.
    pub schedule_expression: String,
    pub timezone: String,
    pub target: EcsTaskTarget,
}

/// An EventBridge rule on the default bus with its one target, an ECS
/// task. The id is the rule's name; outputs `id`, `arn`, `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventsRule {
    pub name: String,
    pub description: String,
    pub event_pattern: serde_json::Value,
    pub target: EcsTaskTarget,
}

/// A queue's redrive policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Redrive {
    pub dead_letter_target_arn: String,
    pub max_receive_count: i32,
}

/// One CloudWatch metric with its statistic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmMetric {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: BTreeMap<String, String>,
    /// `Sum`, `Average`, `Minimum`, `Maximum`, `SampleCount`, or a
    /// percentile such as `p95` (an extended statistic).
    pub stat: String,
    /// Seconds.
    pub period: i32,
}

/// One query of a metric math alarm: a metric or an expression over the
/// others' ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmQuery {
    /// Lower-case letters, digits and `_`, starting with a letter.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<AlarmMetric>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The query the alarm watches (exactly one returns data).
    pub return_data: bool,
}

/// A CloudWatch metric alarm on one metric or on metric math. The id is
/// the alarm ARN; outputs `id`, `arn`, `name`. Alarms are tagged at create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudwatchMetricAlarm {
    pub name: String,
    pub description: String,
    /// Where the alarm lives; empty means the stack's region (CloudFront
    /// metrics exist in us-east-1 only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
    /// The metric watched, or `None` with `queries`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<AlarmMetric>,
    /// Metric math, or empty with `metric`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queries: Vec<AlarmQuery>,
    /// `GreaterThanOrEqualToThreshold`, `LessThanOrEqualToThreshold`, ...
    pub comparison_operator: String,
    pub threshold: f64,
    pub evaluation_periods: i32,
    pub datapoints_to_alarm: i32,
    /// `missing`, `notBreaching`, `breaching` or `ignore`.
    pub treat_missing_data: String,
    /// Topics notified on ALARM.
    pub alarm_actions: Vec<String>,
    /// Topics notified on the return to OK.
    pub ok_actions: Vec<String>,
}

/// A CloudWatch dashboard (no tags: the inventory finds it by its name,
/// `STACK-ENV-NAME`). The id is the name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudwatchDashboard {
    pub name: String,
    /// The dashboard body (widgets), as CloudWatch's JSON document.
    pub body: serde_json::Value,
}

// ---------------------------------------------------------------------------
// Application Auto Scaling (ECS services).

/// The desired count of an ECS service as an Application Auto Scaling
/// scalable target, between `min_capacity` and `max_capacity`. The id is
/// the resource id, `service/CLUSTER/SERVICE`; outputs `id`, `arn`,
/// `resource_id`. Tagged at create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppautoscalingTarget {
    pub cluster_name: String,
    pub service_name: String,
    pub min_capacity: i32,
    pub max_capacity: i32,
    /// Scaling suspended (dynamic in and out, and scheduled): nothing
    /// changes the count, the min included (a service waiting for its
    /// first image).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspended: bool,
}

/// A target-tracking policy of a scalable target. The id is
/// `RESOURCE_ID|NAME`; outputs `id`, `arn`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppautoscalingPolicy {
    /// The scalable target's resource id.
    pub resource_id: String,
    pub name: String,
    /// `ECSServiceAverageCPUUtilization`,
    /// `ECSServiceAverageMemoryUtilization` or `ALBRequestCountPerTarget`.
    pub metric: String,
    /// Percent, or requests per target per minute.
    pub target_value: f64,
    /// `ALBRequestCountPerTarget`: the load balancer and target group whose
    /// ARNs give the resource label (`app/NAME/ID/targetgroup/NAME/ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<String>,
    /// Seconds after a scale-in before another.
    pub scale_in_cooldown: i32,
    /// Seconds after a scale-out before another.
    pub scale_out_cooldown: i32,
}

/// A scheduled action of a scalable target: at each time of `schedule`
/// (in `timezone`), the target's min and/or max capacity are set. The id
/// is `RESOURCE_ID|NAME`; outputs `id`, `arn`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppautoscalingScheduledAction {
    /// The scalable target's resource id.
    pub resource_id: String,
    pub name: String,
    /// `cron(MIN HOUR DAY MONTH WEEKDAY YEAR)`.
    pub schedule: String,
    /// An IANA time zone (`Europe/Paris`), `UTC` by default.
    pub timezone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_capacity: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_capacity: Option<i32>,
}

/// An SES (v2) email identity for a domain, signing with Easy DKIM (2048-bit
/// keys AWS rotates), and its custom MAIL FROM domain. The id is the
/// domain; outputs `id`, `arn` (`arn:aws:ses:REGION:ACCOUNT:identity/DOMAIN`)
/// and the three DKIM records to publish, `dkim_name_N`
/// (`TOKEN._domainkey.DOMAIN`) and `dkim_value_N`
/// (`TOKEN.dkim.amazonses.com`), N = 1, 2, 3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sesv2EmailIdentity {
    /// The domain.
    pub identity: String,
    /// The MAIL FROM domain (a subdomain of the identity, its MX and SPF
    /// records published by Gantry); empty: SES's own `amazonses.com`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mail_from_domain: String,
    /// When the MAIL FROM domain's MX record is missing:
    /// `USE_DEFAULT_VALUE` (send from `amazonses.com`) or `REJECT_MESSAGE`.
    pub behavior_on_mx_failure: String,
}

/// A Cognito user pool's password rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub minimum_length: i32,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    /// Days a password an administrator set stays usable unchanged.
    pub temporary_password_validity_days: i32,
}

/// A Cognito user pool: sign-in by email address, verified by a code Cognito
/// mails, account recovery by that address, TOTP MFA as `mfa_configuration`
/// says. The id is the pool id; outputs `id`, `arn`, `name` and `issuer`
/// (`https://cognito-idp.REGION.amazonaws.com/POOL_ID`, what JWT
/// authorizers trust).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CognitoUserPool {
    pub name: String,
    /// `[email]`: users sign in with their address.
    pub username_attributes: Vec<String>,
    /// `[email]`: verified by a code at sign-up.
    pub auto_verified_attributes: Vec<String>,
    pub password_policy: PasswordPolicy,
    /// `OFF`, `OPTIONAL` or `ON`; with MFA, authenticator apps (TOTP) only.
    pub mfa_configuration: String,
    /// Refuse DeleteUserPool (and so `destroy`) while on.
    pub deletion_protection: bool,
}

/// A group of a user pool. The id is `POOL_ID/NAME`; outputs `id`, `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CognitoUserGroup {
    pub user_pool_id: String,
    pub name: String,
    pub description: String,
    /// Lower wins when a user's groups give different roles.
    pub precedence: i32,
}

/// An app client of a user pool. The id is `POOL_ID/CLIENT_ID`; outputs
/// `id` and `client_id` (a JWT's audience).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CognitoUserPoolClient {
    pub user_pool_id: String,
    /// Also what finds the client again after a crash (clients carry no tags).
    pub name: String,
    /// A public client (a browser or mobile app) has no secret.
    pub generate_secret: bool,
    /// `[code]`: the authorization code grant (with PKCE for public clients).
    pub allowed_oauth_flows: Vec<String>,
    pub allowed_oauth_scopes: Vec<String>,
    pub callback_urls: Vec<String>,
    pub logout_urls: Vec<String>,
    /// `[COGNITO]`: the pool's own users.
    pub supported_identity_providers: Vec<String>,
    pub explicit_auth_flows: Vec<String>,
    /// Sign-in failures never say whether the user exists.
    pub prevent_user_existence_errors: bool,
    pub enable_token_revocation: bool,
}

/// The hosted UI's Cognito domain, `https://DOMAIN.auth.REGION.amazoncognito.com`.
/// The id is the prefix; outputs `id`, `url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CognitoUserPoolDomain {
    /// The prefix.
    pub domain: String,
    pub user_pool_id: String,
}

/// An authorizer of an HTTP API: a `JWT` authorizer accepts the tokens of
/// `issuer` whose audience (or `client_id`) is one of `audience`. The id is
/// the authorizer id (within `api_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApigwAuthorizer {
    pub api_id: String,
    /// Unique within the API: what finds it again after a crash.
    pub name: String,
    /// `JWT`.
    pub authorizer_type: String,
    /// `[$request.header.Authorization]`.
    pub identity_source: Vec<String>,
    pub issuer: String,
    pub audience: Vec<String>,
}

/// A Cloud Map private DNS namespace: a Route 53 private hosted zone of the
/// VPC that Cloud Map keeps records in. The id is the namespace id
/// (`ns-...`); outputs `id`, `arn`, `name`, `hosted_zone_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServicediscoveryPrivateDnsNamespace {
    /// The DNS domain, `STACK-ENV.internal`.
    pub name: String,
    pub vpc_id: String,
    pub description: String,
}

/// A Cloud Map service: the DNS name `NAME.NAMESPACE` whose A records are
/// the IPs of the ECS tasks registered in it, each healthy as ECS reports
/// (a custom health check). The id is the service id (`srv-...`); outputs
/// `id`, `arn`, `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServicediscoveryService {
    pub name: String,
    pub namespace_id: String,
    pub description: String,
    /// Seconds resolvers may cache an answer.
    pub dns_ttl: i64,
    /// `MULTIVALUE`: up to eight healthy records per answer.
    pub routing_policy: String,
}
