//! Static facts about each resource kind that the plan and engine need
//! without talking to AWS.

use crate::kinds;

/// Metadata for one resource kind.
#[derive(Debug)]
pub struct KindMeta {
    pub kind: &'static str,
    /// The AWS service the kind's API belongs to; the engine bounds
    /// concurrency per service.
    pub service: &'static str,
    /// Top-level properties whose change forces replacement.
    pub force_new: &'static [&'static str],
    /// Top-level list properties that are sets: AWS returns them in an order
    /// of its own, so their order never counts as a change.
    pub unordered: &'static [&'static str],
    /// Top-level properties never shown in plans or written to state in
    /// plaintext.
    pub secret: &'static [&'static str],
    /// When replaced, create the new one before deleting the old (possible
    /// when names do not collide, as with task definition revisions).
    pub create_before_destroy: bool,
    /// Holds user data: replacing or deleting it needs an explicit flag.
    pub data: bool,
    /// Carries the `gantry:*` tags.
    pub taggable: bool,
    /// A short human noun for messages ("VPC", "target group").
    pub noun: &'static str,
}

const fn meta(
    kind: &'static str,
    service: &'static str,
    noun: &'static str,
    force_new: &'static [&'static str],
) -> KindMeta {
    KindMeta {
        kind,
        service,
        force_new,
        unordered: &[],
        secret: &[],
        create_before_destroy: false,
        data: false,
        taggable: true,
        noun,
    }
}

static KINDS: &[KindMeta] = &[
    meta(kinds::VPC, "ec2", "VPC", &["cidr_block"]),
    meta(
        kinds::INTERNET_GATEWAY,
        "ec2",
        "internet gateway",
        &["vpc_id"],
    ),
    meta(
        kinds::SUBNET,
        "ec2",
        "subnet",
        &["vpc_id", "cidr_block", "availability_zone"],
    ),
    KindMeta {
        unordered: &["routes"],
        ..meta(kinds::ROUTE_TABLE, "ec2", "route table", &["vpc_id"])
    },
    KindMeta {
        taggable: false,
        ..meta(
            kinds::ROUTE_TABLE_ASSOCIATION,
            "ec2",
            "route table association",
            &["subnet_id", "route_table_id"],
        )
    },
    meta(kinds::EIP, "ec2", "Elastic IP", &[]),
    meta(
        kinds::NAT_GATEWAY,
        "ec2",
        "NAT gateway",
        &["subnet_id", "allocation_id"],
    ),
    KindMeta {
        unordered: &["subnet_ids", "security_group_ids", "route_table_ids"],
        ..meta(
            kinds::VPC_ENDPOINT,
            "ec2",
            "VPC endpoint",
            &["vpc_id", "service_name", "vpc_endpoint_type"],
        )
    },
    KindMeta {
        unordered: &["ingress", "egress"],
        ..meta(
            kinds::SECURITY_GROUP,
            "ec2",
            "security group",
            &["name", "description", "vpc_id"],
        )
    },
    KindMeta {
        unordered: &["subnet_ids", "security_group_ids"],
        ..meta(kinds::LB, "elbv2", "load balancer", &["name", "internal"])
    },
    meta(
        kinds::LB_TARGET_GROUP,
        "elbv2",
        "target group",
        &["name", "port", "protocol", "target_type", "vpc_id"],
    ),
    meta(
        kinds::LB_LISTENER,
        "elbv2",
        "listener",
        &["load_balancer_arn", "port"],
    ),
    KindMeta {
        unordered: &["path_patterns", "host_headers"],
        ..meta(
            kinds::LB_LISTENER_RULE,
            "elbv2",
            "listener rule",
            &["listener_arn"],
        )
    },
    meta(kinds::ECS_CLUSTER, "ecs", "ECS cluster", &["name"]),
    meta(kinds::LOG_GROUP, "logs", "log group", &["name"]),
    meta(kinds::IAM_ROLE, "iam", "IAM role", &["name"]),
    meta(kinds::ECR_REPOSITORY, "ecr", "ECR repository", &["name"]),
    KindMeta {
        create_before_destroy: true,
        ..meta(
            kinds::ECS_TASK_DEFINITION,
            "ecs",
            "task definition",
            &[
                "family",
                "cpu",
                "memory",
                "execution_role_arn",
                "task_role_arn",
                "cpu_architecture",
                "containers",
            ],
        )
    },
    KindMeta {
        unordered: &["subnet_ids", "security_group_ids", "load_balancers"],
        ..meta(
            kinds::ECS_SERVICE,
            "ecs",
            "ECS service",
            &["name", "cluster_arn"],
        )
    },
    meta(kinds::KMS_KEY, "kms", "KMS key", &[]),
    meta(
        kinds::SECRET,
        "secretsmanager",
        "secret",
        &["name", "generate_length", "exclude_punctuation"],
    ),
    meta(kinds::SSM_PARAMETER, "ssm", "SSM parameter", &["name"]),
    KindMeta {
        unordered: &["subnet_ids"],
        ..meta(kinds::DB_SUBNET_GROUP, "rds", "DB subnet group", &["name"])
    },
    KindMeta {
        data: true,
        unordered: &["vpc_security_group_ids"],
        ..meta(
            kinds::DB_INSTANCE,
            "rds",
            "PostgreSQL database",
            &[
                "identifier",
                "engine",
                "kms_key_id",
                "db_name",
                "master_username",
                "db_subnet_group_name",
                "port",
            ],
        )
    },
    KindMeta {
        unordered: &["subnet_ids"],
        ..meta(
            kinds::ELASTICACHE_SUBNET_GROUP,
            "elasticache",
            "cache subnet group",
            &["name"],
        )
    },
    KindMeta {
        data: true,
        unordered: &["security_group_ids"],
        ..meta(
            kinds::ELASTICACHE_REPLICATION_GROUP,
            "elasticache",
            "Redis cache",
            &[
                "id",
                "engine",
                "kms_key_id",
                "subnet_group_name",
                "port",
                "auth_token_secret_arn",
            ],
        )
    },
    KindMeta {
        data: true,
        ..meta(
            kinds::DYNAMODB_TABLE,
            "dynamodb",
            "DynamoDB table",
            &["name", "hash_key", "range_key"],
        )
    },
    KindMeta {
        data: true,
        ..meta(kinds::S3_BUCKET, "s3", "S3 bucket", &["bucket_prefix"])
    },
    KindMeta {
        data: true,
        ..meta(
            kinds::EFS_FILE_SYSTEM,
            "efs",
            "EFS file system",
            &["kms_key_id", "performance_mode"],
        )
    },
    KindMeta {
        taggable: false,
        unordered: &["security_group_ids"],
        ..meta(
            kinds::EFS_MOUNT_TARGET,
            "efs",
            "EFS mount target",
            &["file_system_id", "subnet_id"],
        )
    },
    meta(
        kinds::EFS_ACCESS_POINT,
        "efs",
        "EFS access point",
        &[
            "file_system_id",
            "posix_uid",
            "posix_gid",
            "root_path",
            "root_permissions",
        ],
    ),
    KindMeta {
        taggable: false,
        ..meta(
            kinds::ROUTE53_ZONE_LOOKUP,
            "route53",
            "hosted zone (existing)",
            &["name", "private_zone"],
        )
    },
    meta(kinds::ROUTE53_ZONE, "route53", "hosted zone", &["name"]),
    KindMeta {
        taggable: false,
        unordered: &["records"],
        ..meta(
            kinds::ROUTE53_RECORD,
            "route53",
            "DNS record",
            &["zone_id", "name", "type"],
        )
    },
    // A listener uses the certificate until it moves to the new one, and
    // certificates have no names to collide: create the new one first.
    KindMeta {
        unordered: &["subject_alternative_names"],
        create_before_destroy: true,
        ..meta(
            kinds::ACM_CERTIFICATE,
            "acm",
            "certificate",
            &["domain_name", "subject_alternative_names", "region"],
        )
    },
    KindMeta {
        taggable: false,
        ..meta(
            kinds::ACM_CERTIFICATE_VALIDATION,
            "acm",
            "certificate validation",
            &["certificate_arn", "zone_id"],
        )
    },
    KindMeta {
        unordered: &["addresses"],
        ..meta(
            kinds::WAFV2_IP_SET,
            "wafv2",
            "WAF IP set",
            &["name", "scope", "ip_address_version"],
        )
    },
    meta(kinds::WAFV2_WEB_ACL, "wafv2", "web ACL", &["name", "scope"]),
    KindMeta {
        taggable: false,
        ..meta(
            kinds::WAFV2_WEB_ACL_ASSOCIATION,
            "wafv2",
            "web ACL association",
            &["resource_arn"],
        )
    },
    // Static sites.
    KindMeta {
        taggable: false,
        unordered: &["cloudfront_distribution_arns"],
        ..meta(kinds::S3_BUCKET_POLICY, "s3", "bucket policy", &["bucket"])
    },
    KindMeta {
        taggable: false,
        ..meta(
            kinds::CLOUDFRONT_ORIGIN_ACCESS_CONTROL,
            "cloudfront",
            "origin access control",
            &["name"],
        )
    },
    KindMeta {
        unordered: &["aliases", "origins", "custom_error_responses"],
        ..meta(
            kinds::CLOUDFRONT_DISTRIBUTION,
            "cloudfront",
            "CloudFront distribution",
            &[],
        )
    },
    // ---- API Gateway (HTTP APIs) ----
    meta(kinds::APIGW_API, "apigateway", "HTTP API", &[]),
    // UpdateVpcLink changes only the name.
    KindMeta {
        unordered: &["subnet_ids", "security_group_ids"],
        ..meta(
            kinds::APIGW_VPC_LINK,
            "apigateway",
            "VPC link",
            &["subnet_ids", "security_group_ids"],
        )
    },
    KindMeta {
        taggable: false,
        ..meta(
            kinds::APIGW_INTEGRATION,
            "apigateway",
            "API integration",
            &["api_id", "integration_type", "connection_type"],
        )
    },
    KindMeta {
        taggable: false,
        ..meta(kinds::APIGW_ROUTE, "apigateway", "API route", &["api_id"])
    },
    meta(
        kinds::APIGW_STAGE,
        "apigateway",
        "API stage",
        &["api_id", "name"],
    ),
    meta(
        kinds::APIGW_DOMAIN_NAME,
        "apigateway",
        "API domain name",
        &["domain_name", "endpoint_type"],
    ),
    KindMeta {
        taggable: false,
        ..meta(
            kinds::APIGW_API_MAPPING,
            "apigateway",
            "API mapping",
            &["domain_name"],
        )
    },
    // MemoryDB (durable Redis).
    KindMeta {
        unordered: &["subnet_ids"],
        ..meta(
            kinds::MEMORYDB_SUBNET_GROUP,
            "memorydb",
            "MemoryDB subnet group",
            &["name"],
        )
    },
    // The password is only read from its secret at create.
    meta(
        kinds::MEMORYDB_USER,
        "memorydb",
        "MemoryDB user",
        &["name", "password_secret_arn"],
    ),
    KindMeta {
        unordered: &["user_names"],
        ..meta(kinds::MEMORYDB_ACL, "memorydb", "MemoryDB ACL", &["name"])
    },
    KindMeta {
        data: true,
        unordered: &["security_group_ids"],
        ..meta(
            kinds::MEMORYDB_CLUSTER,
            "memorydb",
            "MemoryDB cluster",
            &[
                "name",
                "tls_enabled",
                "kms_key_id",
                "subnet_group_name",
                "port",
            ],
        )
    },
];

/// Metadata for `kind`, if Gantry knows it.
pub fn kind_meta(kind: &str) -> Option<&'static KindMeta> {
    KINDS.iter().find(|m| m.kind == kind)
}

/// Metadata of every known kind.
pub fn all() -> &'static [KindMeta] {
    KINDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_metadata() {
        for k in kinds::ALL {
            assert!(kind_meta(k).is_some(), "{k} has no metadata");
        }
        assert_eq!(all().len(), kinds::ALL.len());
    }
}
