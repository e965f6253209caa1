//! One provider per resource kind, one module per kind.
//!
//! Every provider follows the same conventions: create tags in the create
//! call where the API allows and passes an idempotency token derived from the
//! journal's intent where it has one; read is batched and maps AWS back to the
//! kind's canonical typed struct (leaving out what it cannot observe); delete
//! treats "already gone" as success and waits where later deletes depend on
//! it; find adopts by `gantry:*` tags or deterministic name.

mod ec2;
mod elb;
mod memorydb;
mod route53;
mod wafv2;
pub(crate) use elb::tags_of as elb_tags_of;
pub(crate) use memorydb::tags_of as memorydb_tags;
pub(crate) use wafv2::{list as wafv2_list, tags_of as wafv2_tags_of};

pub mod acm_certificate;
pub mod cloudfront_distribution;
pub mod cloudfront_origin_access_control;
pub mod db_instance;
pub mod db_subnet_group;
pub mod dynamodb_table;
pub mod ecr_repository;
pub mod ecs_cluster;
pub mod ecs_service;
pub mod ecs_task_definition;
pub mod efs_access_point;
pub mod efs_file_system;
pub mod efs_mount_target;
pub mod eip;
pub mod elasticache_replication_group;
pub mod elasticache_subnet_group;
pub mod iam_role;
pub mod internet_gateway;
pub mod kms_key;
pub mod lb;
pub mod lb_listener;
pub mod lb_listener_rule;
pub mod lb_target_group;
pub mod log_group;
pub mod memorydb_acl;
pub mod memorydb_cluster;
pub mod memorydb_subnet_group;
pub mod memorydb_user;
pub mod nat_gateway;
pub mod route53_record;
pub mod route53_zone;
pub mod route_table;
pub mod route_table_association;
pub mod s3_bucket;
pub mod s3_bucket_policy;
pub mod secret;
pub mod security_group;
pub mod ssm_parameter;
pub mod subnet;
pub mod vpc;
pub mod vpc_endpoint;
pub mod wafv2_ip_set;
pub mod wafv2_web_acl;
pub mod wafv2_web_acl_association;

// API Gateway (HTTP APIs).
mod apigw;
pub mod apigw_api;
pub mod apigw_api_mapping;
pub mod apigw_domain_name;
pub mod apigw_integration;
pub mod apigw_route;
pub mod apigw_stage;
pub mod apigw_vpc_link;
pub(crate) use apigw::{
    list_apis as apigw_list_apis, list_domain_names as apigw_list_domain_names,
    list_vpc_links as apigw_list_vpc_links, pairs as apigw_tag_pairs,
};

use crate::context::AwsContext;
use gantry_core::ProviderSet;
use std::sync::Arc;

/// Every provider, sharing `ctx`'s clients.
pub(crate) fn all(ctx: &AwsContext) -> ProviderSet {
    let ctx = || ctx.clone();
    let mut set = ProviderSet::new();
    set.insert(Arc::new(vpc::VpcProvider { ctx: ctx() }));
    set.insert(Arc::new(subnet::SubnetProvider { ctx: ctx() }));
    set.insert(Arc::new(internet_gateway::InternetGatewayProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(route_table::RouteTableProvider { ctx: ctx() }));
    set.insert(Arc::new(
        route_table_association::RouteTableAssociationProvider { ctx: ctx() },
    ));
    set.insert(Arc::new(eip::EipProvider { ctx: ctx() }));
    set.insert(Arc::new(nat_gateway::NatGatewayProvider { ctx: ctx() }));
    set.insert(Arc::new(vpc_endpoint::VpcEndpointProvider { ctx: ctx() }));
    set.insert(Arc::new(security_group::SecurityGroupProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(lb::LbProvider { ctx: ctx() }));
    set.insert(Arc::new(lb_target_group::LbTargetGroupProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(lb_listener::LbListenerProvider { ctx: ctx() }));
    set.insert(Arc::new(lb_listener_rule::LbListenerRuleProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(ecs_cluster::EcsClusterProvider { ctx: ctx() }));
    set.insert(Arc::new(log_group::LogGroupProvider { ctx: ctx() }));
    set.insert(Arc::new(iam_role::IamRoleProvider { ctx: ctx() }));
    set.insert(Arc::new(ecr_repository::EcrRepositoryProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(ecs_task_definition::EcsTaskDefinitionProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(ecs_service::EcsServiceProvider { ctx: ctx() }));
    set.insert(Arc::new(kms_key::KmsKeyProvider { ctx: ctx() }));
    set.insert(Arc::new(secret::SecretProvider { ctx: ctx() }));
    set.insert(Arc::new(ssm_parameter::SsmParameterProvider { ctx: ctx() }));
    set.insert(Arc::new(db_subnet_group::DbSubnetGroupProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(db_instance::DbInstanceProvider { ctx: ctx() }));
    set.insert(Arc::new(
        elasticache_subnet_group::ElasticacheSubnetGroupProvider { ctx: ctx() },
    ));
    set.insert(Arc::new(
        elasticache_replication_group::ElasticacheReplicationGroupProvider { ctx: ctx() },
    ));
    set.insert(Arc::new(dynamodb_table::DynamodbTableProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(s3_bucket::S3BucketProvider { ctx: ctx() }));
    set.insert(Arc::new(efs_file_system::EfsFileSystemProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(efs_mount_target::EfsMountTargetProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(efs_access_point::EfsAccessPointProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(route53_zone::Route53ZoneLookupProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(route53_zone::Route53ZoneProvider { ctx: ctx() }));
    set.insert(Arc::new(route53_record::Route53RecordProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(acm_certificate::AcmCertificateProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(
        acm_certificate::AcmCertificateValidationProvider { ctx: ctx() },
    ));
    set.insert(Arc::new(wafv2_ip_set::Wafv2IpSetProvider { ctx: ctx() }));
    set.insert(Arc::new(wafv2_web_acl::Wafv2WebAclProvider { ctx: ctx() }));
    set.insert(Arc::new(
        wafv2_web_acl_association::Wafv2WebAclAssociationProvider { ctx: ctx() },
    ));
    set.insert(Arc::new(s3_bucket_policy::S3BucketPolicyProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(
        cloudfront_origin_access_control::CloudfrontOriginAccessControlProvider { ctx: ctx() },
    ));
    set.insert(Arc::new(
        cloudfront_distribution::CloudfrontDistributionProvider { ctx: ctx() },
    ));
    // API Gateway (HTTP APIs).
    set.insert(Arc::new(apigw_api::ApigwApiProvider { ctx: ctx() }));
    set.insert(Arc::new(apigw_vpc_link::ApigwVpcLinkProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(apigw_integration::ApigwIntegrationProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(apigw_route::ApigwRouteProvider { ctx: ctx() }));
    set.insert(Arc::new(apigw_stage::ApigwStageProvider { ctx: ctx() }));
    set.insert(Arc::new(apigw_domain_name::ApigwDomainNameProvider {
        ctx: ctx(),
    }));
    set.insert(Arc::new(apigw_api_mapping::ApigwApiMappingProvider {
        ctx: ctx(),
    }));
    // MemoryDB (durable Redis).
    set.insert(Arc::new(
        memorydb_subnet_group::MemorydbSubnetGroupProvider { ctx: ctx() },
    ));
    set.insert(Arc::new(memorydb_user::MemorydbUserProvider { ctx: ctx() }));
    set.insert(Arc::new(memorydb_acl::MemorydbAclProvider { ctx: ctx() }));
    set.insert(Arc::new(memorydb_cluster::MemorydbClusterProvider {
        ctx: ctx(),
    }));
    set
}
