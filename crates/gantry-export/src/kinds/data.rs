//! Keys, secrets, parameters and data stores: KMS (key and alias), Secrets
//! Manager, SSM, RDS, ElastiCache, DynamoDB, S3, EFS and MemoryDB.
//!
//! Passwords Gantry's providers read from a secret at create (Redis AUTH
//! tokens, MemoryDB users) become `{{resolve:secretsmanager:ARN}}` dynamic
//! references, so the value never appears in the template either. A bucket
//! is named `bucket_prefix` + `-` + the first eight hex digits of the stack
//! id: unique per stack, as Gantry's suffix is per create.

use crate::cx::Cx;
use crate::{ExportError, NoteKind};
use gantry_core::kinds::*;
use gantry_core::Resource;
use serde_json::{json, Value};

pub fn kms_key(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    if super::ops::elsewhere(cx, r) {
        return Ok(());
    }
    let p: KmsKey = cx.props(r)?;
    let mut policy = if p.policy.is_null() {
        // AWS's default key policy: the account decides through IAM.
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "EnableIAMPolicies",
                "Effect": "Allow",
                "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                "Action": "kms:*",
                "Resource": "*",
            }],
        })
    } else {
        cx.json(&p.policy)?
    };
    if let Some(prefix) = &p.logs_log_group_prefix {
        // The statement the provider adds once it knows the account.
        let stmt = json!({
            "Sid": "CloudWatchLogs",
            "Effect": "Allow",
            "Principal": {"Service": {"Fn::Sub": "logs.${AWS::Region}.${AWS::URLSuffix}"}},
            "Action": [
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            "Resource": "*",
            "Condition": {"ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": {"Fn::Sub": format!(
                    "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{prefix}*"
                )},
            }},
        });
        if let Some(list) = policy.get_mut("Statement").and_then(Value::as_array_mut) {
            list.push(stmt);
        }
    }
    // The statements the provider adds for alarms notifying an encrypted
    // topic, and for AWS services (SNS to an encrypted queue, EventBridge)
    // acting for this account only.
    let mut more = Vec::new();
    if p.cloudwatch_alarms {
        more.push(json!({
            "Sid": "CloudWatchAlarms",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        }));
    }
    if !p.service_principals.is_empty() {
        more.push(json!({
            "Sid": "AwsServicesForAccount",
            "Effect": "Allow",
            "Principal": {"Service": p.service_principals},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }));
    }
    if let Some(list) = policy.get_mut("Statement").and_then(Value::as_array_mut) {
        list.extend(more);
    }
    let props = json!({
        "Description": p.description,
        "EnableKeyRotation": p.enable_key_rotation,
        "PendingWindowInDays": p.deletion_window_in_days,
        "KeyPolicy": policy,
        "Tags": cx.tags(r, None),
    });
    let key = cx.add(r, None, "AWS::KMS::Key", props);
    let alias = json!({"AliasName": p.alias, "TargetKeyId": {"Ref": key}});
    cx.add(r, Some("Alias"), "AWS::KMS::Alias", alias);
    Ok(())
}

pub fn secret(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: Secret = cx.props(r)?;
    let key = if p.kms_key_id.is_empty() {
        Value::Null
    } else {
        cx.s(&p.kms_key_id)?
    };
    let generate = p
        .generate_length
        .map(|len| json!({"PasswordLength": len, "ExcludePunctuation": p.exclude_punctuation}));
    if generate.is_none() {
        cx.note(
            &r.address,
            NoteKind::Deploy,
            format!(
                "created empty: store its value (`aws secretsmanager put-secret-value --secret-id {}`) before the services that read it start",
                p.name
            ),
        );
    }
    if p.recovery_window_in_days > 0 {
        cx.note(
            &r.address,
            NoteKind::NotCarried,
            format!(
                "the recovery window of {} days after deletion: CloudFormation has no property for it",
                p.recovery_window_in_days
            ),
        );
    }
    let props = json!({
        "Name": p.name,
        "Description": p.description,
        "KmsKeyId": key,
        "GenerateSecretString": generate,
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::SecretsManager::Secret", props);
    Ok(())
}

pub fn ssm_parameter(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: SsmParameter = cx.props(r)?;
    if p.secure {
        // CloudFormation cannot create a SecureString (and its value must
        // stay out of the template): it is made beside the stack.
        cx.parameter(
            r,
            json!({
                "Type": "String",
                "AllowedPattern": "arn:aws[a-z-]*:ssm:.+:parameter/.+",
                "Description": format!("The ARN of the SecureString parameter {} (CloudFormation cannot create SecureStrings)", p.name),
            }),
            format!(
                "CloudFormation cannot create the SecureString {}: create it with `aws ssm put-parameter --type SecureString --key-id KEY --name {} --value ...` and pass its ARN",
                p.name, p.name
            ),
        );
        return Ok(());
    }
    let props = json!({
        "Name": p.name,
        "Description": p.description,
        "Type": "String",
        "Value": cx.s(&p.value)?,
        "Tags": cx.tag_map(r, None),
    });
    cx.add(r, None, "AWS::SSM::Parameter", props);
    Ok(())
}

pub fn db_subnet_group(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: DbSubnetGroup = cx.props(r)?;
    let props = json!({
        "DBSubnetGroupName": p.name,
        "DBSubnetGroupDescription": p.description,
        "SubnetIds": cx.list(&p.subnet_ids)?,
        "Tags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::RDS::DBSubnetGroup", props);
    Ok(())
}

pub fn db_instance(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: DbInstance = cx.props(r)?;
    let key = cx.s(&p.kms_key_id)?;
    let props = json!({
        "DBInstanceIdentifier": p.identifier,
        "Engine": p.engine,
        "EngineVersion": p.engine_version,
        "DBInstanceClass": p.instance_class,
        "AllocatedStorage": p.allocated_storage.to_string(),
        "MaxAllocatedStorage": p.max_allocated_storage,
        "StorageType": p.storage_type,
        "StorageEncrypted": true,
        "KmsKeyId": key,
        "DBName": p.db_name,
        "MasterUsername": p.master_username,
        // RDS keeps the password in Secrets Manager: nobody sees it.
        "ManageMasterUserPassword": true,
        "MasterUserSecret": {"KmsKeyId": key},
        "DBSubnetGroupName": cx.s(&p.db_subnet_group_name)?,
        "VPCSecurityGroups": cx.list(&p.vpc_security_group_ids)?,
        "MultiAZ": p.multi_az,
        "BackupRetentionPeriod": p.backup_retention_period,
        "DeletionProtection": p.deletion_protection,
        "Port": p.port.to_string(),
        "PubliclyAccessible": false,
        "CopyTagsToSnapshot": true,
        "AutoMinorVersionUpgrade": true,
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::RDS::DBInstance", props);
    Ok(())
}

pub fn elasticache_subnet_group(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: ElasticacheSubnetGroup = cx.props(r)?;
    let props = json!({
        "CacheSubnetGroupName": p.name,
        "Description": p.description,
        "SubnetIds": cx.list(&p.subnet_ids)?,
        "Tags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::ElastiCache::SubnetGroup", props);
    Ok(())
}

/// `{{resolve:secretsmanager:ARN}}` for the secret `arn` names.
fn resolve_secret(cx: &mut Cx, arn: &str) -> Result<Value, ExportError> {
    let arn = cx.s(arn)?;
    Ok(cx.concat(vec![json!("{{resolve:secretsmanager:"), arn, json!("}}")]))
}

pub fn elasticache_replication_group(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: ElasticacheReplicationGroup = cx.props(r)?;
    let props = json!({
        "ReplicationGroupId": p.id,
        "ReplicationGroupDescription": p.description,
        "Engine": p.engine,
        "EngineVersion": p.engine_version,
        "CacheNodeType": p.node_type,
        "NumCacheClusters": p.num_cache_clusters,
        "AutomaticFailoverEnabled": p.automatic_failover,
        "MultiAZEnabled": p.multi_az,
        "AtRestEncryptionEnabled": true,
        "KmsKeyId": cx.s(&p.kms_key_id)?,
        "TransitEncryptionEnabled": true,
        "AuthToken": resolve_secret(cx, &p.auth_token_secret_arn)?,
        "CacheSubnetGroupName": cx.s(&p.subnet_group_name)?,
        "SecurityGroupIds": cx.list(&p.security_group_ids)?,
        "Port": p.port,
        "SnapshotRetentionLimit": p.snapshot_retention_limit,
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::ElastiCache::ReplicationGroup", props);
    Ok(())
}

pub fn dynamodb_table(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: DynamodbTable = cx.props(r)?;
    let mut keys = vec![(&p.hash_key, "HASH")];
    if let Some(range) = &p.range_key {
        keys.push((range, "RANGE"));
    }
    let props = json!({
        "TableName": p.name,
        "KeySchema": keys.iter().map(|(k, t)| json!({"AttributeName": k.name, "KeyType": t})).collect::<Vec<_>>(),
        "AttributeDefinitions": keys.iter().map(|(k, _)| json!({"AttributeName": k.name, "AttributeType": k.attr_type})).collect::<Vec<_>>(),
        "BillingMode": "PAY_PER_REQUEST",
        "SSESpecification": {"SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": cx.s(&p.kms_key_arn)?},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": p.point_in_time_recovery},
        "TimeToLiveSpecification": p.ttl_attribute.as_ref().map(|a| json!({"AttributeName": a, "Enabled": true})),
        "DeletionProtectionEnabled": p.deletion_protection,
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::DynamoDB::Table", props);
    Ok(())
}

pub fn s3_bucket(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: S3Bucket = cx.props(r)?;
    let encryption = if p.kms_key_arn.is_empty() {
        json!({"SSEAlgorithm": "AES256"})
    } else {
        json!({"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": cx.s(&p.kms_key_arn)?})
    };
    let lifecycle = (!p.lifecycle_rules.is_empty()).then(|| {
        json!({"Rules": p.lifecycle_rules.iter().map(|l| json!({
            "Id": l.id,
            "Prefix": (!l.prefix.is_empty()).then_some(&l.prefix),
            "Status": "Enabled",
            "ExpirationInDays": l.expiration_days,
            "NoncurrentVersionExpiration": l.noncurrent_expiration_days.map(|d| json!({"NoncurrentDays": d})),
            "Transitions": l.transition_to_ia_days.map(|d| json!([{"TransitionInDays": d, "StorageClass": "STANDARD_IA"}])),
        })).collect::<Vec<_>>()})
    });
    let cors = (!p.cors_rules.is_empty()).then(|| {
        json!({"CorsRules": p.cors_rules.iter().map(|c| json!({
            "AllowedOrigins": c.allowed_origins,
            "AllowedMethods": c.allowed_methods,
            "AllowedHeaders": c.allowed_headers,
            "MaxAge": c.max_age_seconds,
        })).collect::<Vec<_>>()})
    });
    if p.force_destroy {
        cx.note(
            &r.address,
            NoteKind::NotCarried,
            "force_destroy: CloudFormation never empties a bucket; the stack keeps it (DeletionPolicy Retain)",
        );
    }
    let stack_suffix = json!({"Fn::Select": [0, {"Fn::Split": ["-", {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}]}]});
    let props = json!({
        "BucketName": {"Fn::Join": ["-", [p.bucket_prefix, stack_suffix]]},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": true,
            "IgnorePublicAcls": true,
            "BlockPublicPolicy": !p.public_policy,
            "RestrictPublicBuckets": !p.public_policy,
        },
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
            "ServerSideEncryptionByDefault": encryption,
            "BucketKeyEnabled": !p.kms_key_arn.is_empty(),
        }]},
        "VersioningConfiguration": p.versioning.then(|| json!({"Status": "Enabled"})),
        "LifecycleConfiguration": lifecycle,
        "CorsConfiguration": cors,
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::S3::Bucket", props);
    Ok(())
}

pub fn efs_file_system(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: EfsFileSystem = cx.props(r)?;
    // One transition per policy, as EFS requires.
    let lifecycle: Vec<Value> = p
        .transition_to_ia
        .iter()
        .map(|t| json!({"TransitionToIA": t}))
        .chain(
            p.transition_to_primary_storage_class
                .iter()
                .map(|t| json!({"TransitionToPrimaryStorageClass": t})),
        )
        .collect();
    let lifecycle = (!lifecycle.is_empty()).then_some(lifecycle);
    let props = json!({
        "Encrypted": true,
        "KmsKeyId": cx.s(&p.kms_key_id)?,
        "PerformanceMode": p.performance_mode,
        "ThroughputMode": p.throughput_mode,
        "LifecyclePolicies": lifecycle,
        "FileSystemTags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::EFS::FileSystem", props);
    Ok(())
}

pub fn efs_mount_target(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: EfsMountTarget = cx.props(r)?;
    let props = json!({
        "FileSystemId": cx.s(&p.file_system_id)?,
        "SubnetId": cx.s(&p.subnet_id)?,
        "SecurityGroups": cx.list(&p.security_group_ids)?,
    });
    cx.add(r, None, "AWS::EFS::MountTarget", props);
    Ok(())
}

pub fn efs_access_point(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: EfsAccessPoint = cx.props(r)?;
    let (uid, gid) = (p.posix_uid.to_string(), p.posix_gid.to_string());
    let props = json!({
        "FileSystemId": cx.s(&p.file_system_id)?,
        "PosixUser": {"Uid": uid, "Gid": gid},
        "RootDirectory": {
            "Path": p.root_path,
            "CreationInfo": {"OwnerUid": uid, "OwnerGid": gid, "Permissions": p.root_permissions},
        },
        "AccessPointTags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::EFS::AccessPoint", props);
    Ok(())
}

pub fn memorydb_subnet_group(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: MemorydbSubnetGroup = cx.props(r)?;
    let props = json!({
        "SubnetGroupName": p.name,
        "Description": p.description,
        "SubnetIds": cx.list(&p.subnet_ids)?,
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::MemoryDB::SubnetGroup", props);
    Ok(())
}

pub fn memorydb_user(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: MemorydbUser = cx.props(r)?;
    let props = json!({
        "UserName": p.name,
        "AccessString": p.access_string,
        "AuthenticationMode": {
            "Type": "password",
            "Passwords": [resolve_secret(cx, &p.password_secret_arn)?],
        },
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::MemoryDB::User", props);
    Ok(())
}

pub fn memorydb_acl(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: MemorydbAcl = cx.props(r)?;
    let props = json!({
        "ACLName": p.name,
        "UserNames": cx.list(&p.user_names)?,
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::MemoryDB::ACL", props);
    Ok(())
}

pub fn memorydb_cluster(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: MemorydbCluster = cx.props(r)?;
    let props = json!({
        "ClusterName": p.name,
        "Description": p.description,
        "EngineVersion": p.engine_version,
        "NodeType": p.node_type,
        "NumShards": p.num_shards,
        "NumReplicasPerShard": p.num_replicas_per_shard,
        "TLSEnabled": p.tls_enabled,
        "KmsKeyId": cx.s(&p.kms_key_id)?,
        "ACLName": cx.s(&p.acl_name)?,
        "SubnetGroupName": cx.s(&p.subnet_group_name)?,
        "SecurityGroupIds": cx.list(&p.security_group_ids)?,
        "Port": p.port,
        "SnapshotRetentionLimit": p.snapshot_retention_limit,
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::MemoryDB::Cluster", props);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::kinds::test_support::*;
    use serde_json::json;

    fn key() -> (&'static str, &'static str, serde_json::Value) {
        (
            "kms_key",
            "main",
            json!({"alias": "alias/gantry/shop-dev", "description": "d", "enable_key_rotation": true,
            "policy": null, "logs_log_group_prefix": "/gantry/shop/dev/", "deletion_window_in_days": 7}),
        )
    }

    #[test]
    fn key_policy_admits_the_account_and_logs_for_the_stack_groups() {
        let e = export(&graph(&[key()]));
        let k = &res(&e, "KmsKeyMain")["Properties"];
        assert_eq!(k["PendingWindowInDays"], 7);
        let stmts = k["KeyPolicy"]["Statement"].as_array().unwrap();
        assert_eq!(stmts.len(), 2);
        assert_eq!(
            stmts[1]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]["Fn::Sub"],
            "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/gantry/shop/dev/*"
        );
        let alias = &res(&e, "KmsKeyMainAlias")["Properties"];
        assert_eq!(alias["TargetKeyId"], json!({"Ref": "KmsKeyMain"}));
    }

    #[test]
    fn generated_secrets_generate_and_empty_ones_are_noted() {
        let g = graph(&[
            key(),
            (
                "secret",
                "token",
                json!({"name": "gantry/shop/dev/token", "description": "d", "kms_key_id": "${ref:kms_key.main.arn}",
                "generate_length": 32, "exclude_punctuation": true, "recovery_window_in_days": 0}),
            ),
            (
                "secret",
                "api_key",
                json!({"name": "gantry/shop/dev/api_key", "description": "d", "kms_key_id": "${ref:kms_key.main.arn}",
                "exclude_punctuation": false, "recovery_window_in_days": 7}),
            ),
        ]);
        let e = export(&g);
        let t = &res(&e, "SecretToken")["Properties"];
        assert_eq!(
            t["GenerateSecretString"],
            json!({"PasswordLength": 32, "ExcludePunctuation": true})
        );
        assert_eq!(t["KmsKeyId"], json!({"Fn::GetAtt": ["KmsKeyMain", "Arn"]}));
        assert!(t.get("SecretString").is_none());
        let a = &res(&e, "SecretApiKey")["Properties"];
        assert!(a.get("GenerateSecretString").is_none());
        let about_api_key: Vec<_> = e
            .notes
            .iter()
            .filter(|n| n.address.as_str() == "secret.api_key")
            .collect();
        assert_eq!(about_api_key.len(), 2, "{about_api_key:?}");
    }

    #[test]
    fn database_keeps_its_password_in_secrets_manager_and_is_snapshotted() {
        let g = graph(&[
            key(),
            (
                "db_instance",
                "main",
                json!({"identifier": "shop-dev", "engine": "postgres", "engine_version": "16",
                "instance_class": "db.t4g.micro", "allocated_storage": 20, "max_allocated_storage": 100, "storage_type": "gp3",
                "kms_key_id": "${ref:kms_key.main.arn}", "db_name": "app", "master_username": "app", "db_subnet_group_name": "g",
                "vpc_security_group_ids": ["sg-1"], "multi_az": false, "backup_retention_period": 7, "deletion_protection": true,
                "final_snapshot": true, "port": 5432}),
            ),
            (
                "secret",
                "x",
                json!({"name": "n", "description": "d", "kms_key_id": "", "generate_length": 8, "exclude_punctuation": true, "recovery_window_in_days": 0}),
            ),
        ]);
        let e = export(&g);
        let db = res(&e, "DbInstanceMain");
        assert_eq!(db["DeletionPolicy"], "Snapshot");
        assert_eq!(db["UpdateReplacePolicy"], "Snapshot");
        assert_eq!(db["Properties"]["ManageMasterUserPassword"], true);
        assert!(db["Properties"].get("MasterUserPassword").is_none());
        assert_eq!(db["Properties"]["AllocatedStorage"], "20");
    }

    #[test]
    fn cache_tokens_resolve_from_their_secret() {
        let g = graph(&[
            (
                "secret",
                "auth",
                json!({"name": "n", "description": "d", "kms_key_id": "", "generate_length": 32, "exclude_punctuation": true, "recovery_window_in_days": 0}),
            ),
            (
                "elasticache_replication_group",
                "main",
                json!({"id": "shop-dev", "description": "d", "engine": "redis", "engine_version": "7.1",
                "node_type": "cache.t4g.micro", "num_cache_clusters": 1, "automatic_failover": false, "multi_az": false, "kms_key_id": "k",
                "auth_token_secret_arn": "${ref:secret.auth.arn}", "subnet_group_name": "g", "security_group_ids": ["sg-1"], "port": 6379,
                "snapshot_retention_limit": 1}),
            ),
        ]);
        let e = export(&g);
        let rg = res(&e, "ElasticacheReplicationGroupMain");
        assert_eq!(
            rg["Properties"]["AuthToken"],
            json!({"Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": "SecretAuth"}, "}}"]]})
        );
        assert_eq!(rg["DeletionPolicy"], "Snapshot");
    }

    #[test]
    fn bucket_is_private_encrypted_versioned_and_kept() {
        let g = graph(&[
            key(),
            (
                "s3_bucket",
                "files",
                json!({"bucket_prefix": "shop-dev-files", "kms_key_arn": "${ref:kms_key.main.arn}", "versioning": true,
                "lifecycle_rules": [{"id": "old", "prefix": "", "noncurrent_expiration_days": 30}], "force_destroy": true}),
            ),
        ]);
        let e = export(&g);
        let b = res(&e, "S3BucketFiles");
        assert_eq!(b["DeletionPolicy"], "Retain");
        let p = &b["Properties"];
        assert_eq!(p["BucketName"]["Fn::Join"][1][0], "shop-dev-files");
        assert_eq!(
            p["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"],
            true
        );
        let sse = &p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0];
        assert_eq!(
            sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"],
            "aws:kms"
        );
        assert_eq!(sse["BucketKeyEnabled"], true);
        assert_eq!(
            p["LifecycleConfiguration"]["Rules"][0]["NoncurrentVersionExpiration"]
                ["NoncurrentDays"],
            30
        );
        assert!(p["LifecycleConfiguration"]["Rules"][0]
            .get("ExpirationInDays")
            .is_none());
        assert!(e
            .notes
            .iter()
            .any(|n| n.message.starts_with("force_destroy")));
    }

    #[test]
    fn table_is_on_demand_with_the_stack_key() {
        let g = graph(&[
            key(),
            (
                "dynamodb_table",
                "sessions",
                json!({"name": "shop-dev-sessions", "hash_key": {"name": "pk", "type": "S"},
                "range_key": {"name": "sk", "type": "N"}, "ttl_attribute": "expires", "point_in_time_recovery": true,
                "kms_key_arn": "${ref:kms_key.main.arn}", "deletion_protection": false}),
            ),
        ]);
        let e = export(&g);
        let p = &res(&e, "DynamodbTableSessions")["Properties"];
        assert_eq!(
            p["KeySchema"][1],
            json!({"AttributeName": "sk", "KeyType": "RANGE"})
        );
        assert_eq!(
            p["AttributeDefinitions"][1],
            json!({"AttributeName": "sk", "AttributeType": "N"})
        );
        assert_eq!(p["TimeToLiveSpecification"]["AttributeName"], "expires");
        assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
    }

    #[test]
    fn file_system_mount_target_and_access_point() {
        let g = graph(&[
            key(),
            (
                "efs_file_system",
                "files",
                json!({"name": "shop-dev-files", "kms_key_id": "${ref:kms_key.main.arn}",
                "performance_mode": "generalPurpose", "throughput_mode": "elastic"}),
            ),
            (
                "efs_mount_target",
                "files-a",
                json!({"file_system_id": "${ref:efs_file_system.files.id}", "subnet_id": "subnet-1", "security_group_ids": ["sg-1"]}),
            ),
            (
                "efs_access_point",
                "files",
                json!({"name": "shop-dev-files", "file_system_id": "${ref:efs_file_system.files.id}",
                "posix_uid": 1000, "posix_gid": 1000, "root_path": "/uploads", "root_permissions": "0750"}),
            ),
        ]);
        let e = export(&g);
        let fs = res(&e, "EfsFileSystemFiles");
        assert_eq!(fs["DeletionPolicy"], "Retain");
        assert_eq!(fs["Properties"]["Encrypted"], true);
        assert!(fs["Properties"]["FileSystemTags"].as_array().unwrap().len() == 4);
        let mt = &res(&e, "EfsMountTargetFilesA")["Properties"];
        assert_eq!(mt["FileSystemId"], json!({"Ref": "EfsFileSystemFiles"}));
        let ap = &res(&e, "EfsAccessPointFiles")["Properties"];
        assert_eq!(ap["PosixUser"], json!({"Uid": "1000", "Gid": "1000"}));
        assert_eq!(ap["RootDirectory"]["CreationInfo"]["Permissions"], "0750");
    }

    #[test]
    fn memorydb_user_acl_cluster_and_plain_parameters() {
        let g = graph(&[
            (
                "secret",
                "auth",
                json!({"name": "n", "description": "d", "kms_key_id": "", "generate_length": 32, "exclude_punctuation": true, "recovery_window_in_days": 0}),
            ),
            (
                "memorydb_subnet_group",
                "cache",
                json!({"name": "shop-dev-cache", "description": "d", "subnet_ids": ["subnet-1"]}),
            ),
            (
                "memorydb_user",
                "cache",
                json!({"name": "shop-dev-app", "access_string": "on ~* &* +@all", "password_secret_arn": "${ref:secret.auth.arn}"}),
            ),
            (
                "memorydb_acl",
                "cache",
                json!({"name": "shop-dev-cache", "user_names": ["${ref:memorydb_user.cache.name}"]}),
            ),
            (
                "memorydb_cluster",
                "cache",
                json!({"name": "shop-dev-cache", "description": "d", "engine_version": "7.1", "node_type": "db.t4g.small",
                "num_shards": 1, "num_replicas_per_shard": 1, "tls_enabled": true, "kms_key_id": "k", "acl_name": "${ref:memorydb_acl.cache.name}",
                "subnet_group_name": "${ref:memorydb_subnet_group.cache.name}", "security_group_ids": ["sg-1"], "port": 6379, "snapshot_retention_limit": 7}),
            ),
            (
                "ssm_parameter",
                "mode",
                json!({"name": "/gantry/shop/dev/MODE", "description": "d", "value": "prod"}),
            ),
        ]);
        let e = export(&g);
        let user = &res(&e, "MemorydbUserCache")["Properties"];
        assert_eq!(
            user["AuthenticationMode"]["Passwords"][0]["Fn::Join"][1][1],
            json!({"Ref": "SecretAuth"})
        );
        assert_eq!(
            res(&e, "MemorydbAclCache")["Properties"]["UserNames"],
            json!([{"Ref": "MemorydbUserCache"}])
        );
        let c = res(&e, "MemorydbClusterCache");
        assert_eq!(c["DeletionPolicy"], "Retain");
        assert_eq!(
            c["Properties"]["ACLName"],
            json!({"Ref": "MemorydbAclCache"})
        );
        let p = &res(&e, "SsmParameterMode")["Properties"];
        assert_eq!(p["Type"], "String");
        assert_eq!(p["Tags"]["gantry:address"], "ssm_parameter.mode");
    }
}
