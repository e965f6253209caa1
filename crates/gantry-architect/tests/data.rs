//! Data stores, secrets and their wiring: snapshots of both data examples,
//! and exact assertions on the derived security-group rules and IAM
//! statements, on what a service without `uses` gets (nothing), and on
//! secret values never appearing in properties.

use gantry_architect::architect;
use gantry_core::{kinds, reference, Address, DesiredGraph};
use gantry_model::Model;
use serde_json::{json, Value};

const FASTAPI_RDS: &str = include_str!("../../../examples/fastapi-rds.yaml");
const REVIEWGUIDE: &str = include_str!("../../../examples/reviewguide.yaml");

/// Tables, buckets and volumes, read-write and read-only, without NAT.
const FILES: &str = "name: files
region: eu-west-1
network:
  egress: endpoints
tables:
  sessions:
    hash_key: {name: pk, type: S}
    range_key: {name: sk, type: N}
    ttl: expires_at
buckets:
  pdfs:
    lifecycle:
      - {prefix: tmp/, expire_days: 7}
    cors:
      - {origins: [\"https://example.com\"], methods: [GET, PUT]}
volumes:
  uploads: {uid: 1001, gid: 1001}
parameters:
  feature_flags: \"a,b\"
services:
  web:
    uses: [sessions, pdfs, uploads, feature_flags]
    containers:
      app:
        build: ./app
        port: 8080
        routes: [\"/*\"]
        mounts: {uploads: /data/uploads}
  reader:
    uses:
      - {name: pdfs, access: read}
      - {name: uploads, access: read}
      - {name: sessions, access: read}
    containers:
      main:
        build: ./reader
        mounts: {uploads: /uploads}
environments:
  prod: {}
";

/// ElastiCache Redis (not durable) and a bucket, used by one service.
const CACHE: &str = "name: cache
region: us-east-1
redis:
  sessions: {}
buckets:
  uploads: {}
services:
  api:
    uses: [sessions, uploads]
    containers:
      app: {image: nginx, port: 8080, routes: [\"/*\"]}
environments:
  prod:
    redis:
      sessions: {replicas: 1}
";

fn graph(text: &str, env: &str) -> DesiredGraph {
    let spec = gantry_spec::parse_str("gantry.yaml", text).unwrap();
    let model = Model::build(&spec, env).unwrap();
    architect(&model).unwrap()
}

fn props(g: &DesiredGraph, addr: &str) -> Value {
    let r = g
        .get(&Address::new(addr))
        .unwrap_or_else(|| panic!("no {addr}"));
    Value::Object(r.props.clone())
}

fn r(addr: &str, attr: &str) -> String {
    reference(&Address::new(addr), attr)
}

fn statements(g: &DesiredGraph, role: &str, policy: &str) -> Vec<Value> {
    let p = props(g, &format!("iam_role.{role}"));
    p["inline_policies"][policy]["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn snapshot_fastapi_rds_dev() {
    insta::assert_json_snapshot!("fastapi_rds_dev", graph(FASTAPI_RDS, "dev"));
}

#[test]
fn snapshot_reviewguide_dev() {
    insta::assert_json_snapshot!("reviewguide_dev", graph(REVIEWGUIDE, "dev"));
}

#[test]
fn snapshot_files_dev() {
    insta::assert_json_snapshot!("files_dev", graph(FILES, "dev"));
}

#[test]
fn examples_architect_in_dev_and_prod() {
    for text in [FASTAPI_RDS, REVIEWGUIDE, FILES, CACHE] {
        for env in ["dev", "prod"] {
            let spec = gantry_spec::parse_str("gantry.yaml", text).unwrap();
            if !spec.environment_names().contains(&env.to_string()) {
                continue;
            }
            let g = graph(text, env);
            g.topo_order().unwrap();
        }
    }
}

#[test]
fn snapshot_cache_dev() {
    insta::assert_json_snapshot!("cache_dev", graph(CACHE, "dev"));
}

#[test]
fn stack_key_rotates_and_uses_the_default_policy() {
    let dev = props(&graph(FASTAPI_RDS, "dev"), "kms_key.main");
    assert_eq!(
        dev,
        json!({
            "alias": "alias/gantry/fastapi-rds-dev",
            "description": "Gantry fastapi-rds (dev): data, secrets and logs",
            "enable_key_rotation": true,
            "policy": null,
            "logs_log_group_prefix": "/gantry/fastapi-rds/dev/",
            "deletion_window_in_days": 7,
            // The example has alerts: its topic is encrypted with this key.
            "cloudwatch_alarms": true,
        })
    );
    // Every log group is encrypted with it, and named with that prefix.
    let g = graph(FASTAPI_RDS, "dev");
    let lg = props(&g, "log_group.api");
    assert_eq!(lg["name"], "/gantry/fastapi-rds/dev/api");
    assert_eq!(lg["kms_key_id"], r("kms_key.main", "arn"));
    let prod = props(&graph(FASTAPI_RDS, "prod"), "kms_key.main");
    assert_eq!(prod["deletion_window_in_days"], 30);
}

#[test]
fn no_key_without_stores() {
    let g = graph(
        "name: plain\nregion: us-east-1\nparameters: {a: b}\nservices:\n  web:\n    containers:\n      app: {image: nginx}\n",
        "dev",
    );
    assert!(g.resources.values().all(|r| r.kind != kinds::KMS_KEY));
    // Without a key, log groups use CloudWatch Logs' own encryption.
    assert!(props(&g, "log_group.web").get("kms_key_id").is_none());
    assert!(g
        .resources
        .values()
        .all(|r| r.kind != kinds::SUBNET || !r.address.name().starts_with("data-")));
}

#[test]
fn data_subnets_have_no_route_out() {
    let g = graph(FASTAPI_RDS, "dev");
    assert_eq!(props(&g, "route_table.data")["routes"], json!([]));
    assert_eq!(props(&g, "subnet.data-a")["cidr_block"], "10.20.224.0/22");
    assert_eq!(props(&g, "subnet.data-b")["cidr_block"], "10.20.228.0/22");
    assert_eq!(
        props(&g, "route_table_association.data-b")["route_table_id"],
        r("route_table.data", "id")
    );
    assert_eq!(
        props(&g, "db_subnet_group.db")["subnet_ids"],
        json!([r("subnet.data-a", "id"), r("subnet.data-b", "id")])
    );
    // One AZ: PostgreSQL still gets a subnet group across two AZs.
    let one = FASTAPI_RDS.replace("azs: 2", "azs: 1");
    let g = graph(&one, "dev");
    assert!(g.get(&Address::new("subnet.data-b")).is_some());
    assert!(g.get(&Address::new("subnet.private-b")).is_none());
}

#[test]
fn database_is_private_encrypted_backed_up() {
    let dev = props(&graph(FASTAPI_RDS, "dev"), "db_instance.db");
    assert_eq!(
        dev,
        json!({
            "identifier": "fastapi-rds-dev-db",
            "engine": "postgres",
            "engine_version": "16",
            "instance_class": "db.t4g.micro",
            "allocated_storage": 20,
            "max_allocated_storage": 100,
            "storage_type": "gp3",
            "kms_key_id": r("kms_key.main", "arn"),
            "db_name": "app",
            "master_username": "app",
            "db_subnet_group_name": r("db_subnet_group.db", "name"),
            "vpc_security_group_ids": [r("security_group.db-db", "id")],
            "multi_az": false,
            "backup_retention_period": 7,
            "deletion_protection": false,
            "final_snapshot": true,
            "port": 5432,
        })
    );
    let prod = props(&graph(FASTAPI_RDS, "prod"), "db_instance.db");
    assert_eq!(prod["multi_az"], true);
    assert_eq!(prod["deletion_protection"], true);
    assert_eq!(prod["instance_class"], "db.t4g.small");
}

#[test]
fn store_security_groups_admit_only_their_users() {
    let g = graph(REVIEWGUIDE, "dev");
    let db = props(&g, "security_group.db-db");
    assert_eq!(
        db["ingress"],
        json!([{
            "protocol": "tcp",
            "from_port": 5432,
            "to_port": 5432,
            "source_security_group_id": r("security_group.svc-backend", "id"),
            "description": "PostgreSQL from service backend",
        }])
    );
    assert_eq!(db["egress"], json!([]));
    let cache = props(&g, "security_group.redis-cache");
    assert_eq!(
        cache["ingress"],
        json!([{
            "protocol": "tcp",
            "from_port": 6379,
            "to_port": 6379,
            "source_security_group_id": r("security_group.svc-backend", "id"),
            "description": "Redis from service backend",
        }])
    );
    let files = graph(FILES, "dev");
    let efs = props(&files, "security_group.efs-uploads");
    let sources: Vec<&Value> = efs["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| &x["source_security_group_id"])
        .collect();
    assert_eq!(
        sources,
        [
            &json!(r("security_group.svc-reader", "id")),
            &json!(r("security_group.svc-web", "id"))
        ]
    );
    assert!(efs["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["from_port"] == 2049));
}

#[test]
fn without_nat_services_reach_only_the_stores_they_use() {
    let g = graph(FASTAPI_RDS, "dev");
    let egress = props(&g, "security_group.svc-api")["egress"].clone();
    let ports: Vec<(i64, String)> = egress
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["from_port"].as_i64().unwrap(),
                x["cidr_ipv4"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        ports,
        [
            (443, "0.0.0.0/0".to_string()),
            (5432, "10.20.224.0/22".to_string()),
            (5432, "10.20.228.0/22".to_string()),
        ]
    );
}

#[test]
fn backend_policies_name_exactly_what_it_uses() {
    let g = graph(REVIEWGUIDE, "dev");
    // The task role gets no data statements: PostgreSQL and Redis are
    // reached over the network, secrets are injected by ECS.
    assert_eq!(
        props(&g, "iam_role.backend-task")["inline_policies"],
        json!({})
    );
    let exec = statements(&g, "backend-execution", "execution");
    assert_eq!(
        exec[1..],
        [
            json!({
                "Sid": "ReadSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [
                    r("db_instance.db", "master_user_secret_arn"),
                    r("secret.cache-auth", "arn"),
                    r("secret.secret_key", "arn"),
                    r("secret.openai_api_key", "arn"),
                ],
            }),
            json!({
                "Sid": "ReadParameters",
                "Effect": "Allow",
                "Action": ["ssm:GetParameters"],
                "Resource": [r("ssm_parameter.frontend_origin", "arn")],
            }),
            json!({
                "Sid": "DecryptSecrets",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [r("kms_key.main", "arn")],
            }),
        ]
    );
}

#[test]
fn backend_containers_get_connection_facts_and_secrets() {
    let g = graph(REVIEWGUIDE, "dev");
    let td = props(&g, "ecs_task_definition.backend");
    let c = &td["containers"][0];
    assert_eq!(
        c["environment"],
        json!({
            "APP_PORT": "8000",
            "CACHE_HOST": r("memorydb_cluster.cache", "endpoint_address"),
            "CACHE_PORT": "6379",
            "CACHE_TLS": "true",
            "CACHE_USER": "reviewguide-dev-cache",
            "DB_DATABASE": "reviewguide",
            "DB_HOST": r("db_instance.db", "address"),
            "DB_PORT": "5432",
            "DB_USER": "app",
            "LB_BACKEND_HOST": r("lb.backend", "dns_name"),
        })
    );
    assert_eq!(
        c["secrets"],
        json!({
            "CACHE_AUTH_TOKEN": {"arn": r("secret.cache-auth", "arn")},
            "DB_PASSWORD": {"arn": r("db_instance.db", "master_user_secret_arn"), "json_key": "password"},
            "FRONTEND_ORIGIN": {"arn": r("ssm_parameter.frontend_origin", "arn")},
            "OPENAI_API_KEY": {"arn": r("secret.openai_api_key", "arn")},
            "SECRET_KEY": {"arn": r("secret.secret_key", "arn")},
        })
    );
}

#[test]
fn redis_is_encrypted_with_a_generated_token() {
    let g = graph(CACHE, "dev");
    let auth = props(&g, "secret.sessions-auth");
    assert_eq!(auth["generate_length"], 32);
    assert_eq!(auth["exclude_punctuation"], true);
    assert_eq!(auth["name"], "gantry/cache/dev/sessions-auth");
    assert_eq!(auth["recovery_window_in_days"], 0);
    let rg = props(&g, "elasticache_replication_group.sessions");
    assert_eq!(rg["num_cache_clusters"], 1);
    assert_eq!(rg["automatic_failover"], false);
    assert_eq!(
        rg["auth_token_secret_arn"],
        r("secret.sessions-auth", "arn")
    );
    assert_eq!(rg["kms_key_id"], r("kms_key.main", "arn"));
    let env = &props(&g, "ecs_task_definition.api")["containers"][0]["environment"];
    assert_eq!(
        env["SESSIONS_HOST"],
        r(
            "elasticache_replication_group.sessions",
            "primary_endpoint_address"
        )
    );
    // An AUTH token authenticates as Redis's default user.
    assert_eq!(env["SESSIONS_USER"], "default");
    assert!(g
        .resources
        .values()
        .all(|x| !x.kind.starts_with("memorydb_")));
    let prod = graph(CACHE, "prod");
    let rg = props(&prod, "elasticache_replication_group.sessions");
    assert_eq!(rg["num_cache_clusters"], 2);
    assert_eq!(rg["automatic_failover"], true);
    assert_eq!(rg["multi_az"], true);
    assert_eq!(
        props(&prod, "secret.sessions-auth")["recovery_window_in_days"],
        7
    );
    let g = graph(REVIEWGUIDE, "dev");
    // Set with `gantry secret set`: nothing generated.
    assert!(props(&g, "secret.openai_api_key")
        .get("generate_length")
        .is_none());
    assert_eq!(
        props(&g, "ssm_parameter.frontend_origin")["name"],
        "/gantry/reviewguide/dev/frontend_origin"
    );
}

#[test]
fn durable_redis_is_memorydb_with_tls_key_and_its_own_user() {
    let g = graph(REVIEWGUIDE, "dev");
    assert!(g
        .resources
        .values()
        .all(|x| !x.kind.starts_with("elasticache_")));
    assert_eq!(
        props(&g, "memorydb_subnet_group.cache"),
        json!({
            "name": "reviewguide-dev-cache",
            "description": "MemoryDB cache in the data subnets",
            "subnet_ids": [r("subnet.data-a", "id"), r("subnet.data-b", "id")],
        })
    );
    // A password user (the generated secret) and an ACL of just that user:
    // never `open-access`.
    assert_eq!(
        props(&g, "memorydb_user.cache"),
        json!({
            "name": "reviewguide-dev-cache",
            "access_string": "on ~* &* +@all",
            "password_secret_arn": r("secret.cache-auth", "arn"),
        })
    );
    assert_eq!(
        props(&g, "memorydb_acl.cache"),
        json!({
            "name": "reviewguide-dev-cache",
            "user_names": [r("memorydb_user.cache", "name")],
        })
    );
    assert_eq!(
        props(&g, "memorydb_cluster.cache"),
        json!({
            "name": "reviewguide-dev-cache",
            "description": "Redis cache of reviewguide-dev (MemoryDB)",
            "engine_version": "7.1",
            "node_type": "db.t4g.small",
            "num_shards": 1,
            "num_replicas_per_shard": 1,
            "tls_enabled": true,
            "kms_key_id": r("kms_key.main", "arn"),
            "acl_name": r("memorydb_acl.cache", "name"),
            "subnet_group_name": r("memorydb_subnet_group.cache", "name"),
            "security_group_ids": [r("security_group.redis-cache", "id")],
            "port": 6379,
            "snapshot_retention_limit": 1,
        })
    );
    let prod = graph(REVIEWGUIDE, "prod");
    let c = props(&prod, "memorydb_cluster.cache");
    assert_eq!(c["node_type"], "db.t4g.medium");
    assert_eq!(c["num_replicas_per_shard"], 1);
    // A data store: replacing or deleting it needs --allow-data-loss.
    assert!(
        gantry_core::kind_meta(kinds::MEMORYDB_CLUSTER)
            .unwrap()
            .data
    );
}

#[test]
fn a_service_without_uses_gets_no_store_access() {
    let g = graph(REVIEWGUIDE, "dev");
    let frontend_sg = r("security_group.svc-frontend", "id");
    for res in g.resources.values() {
        if res.kind == kinds::SECURITY_GROUP {
            let text = serde_json::to_string(&res.props["ingress"]).unwrap();
            if res.address.name() != "endpoints" {
                assert!(
                    !text.contains(&frontend_sg),
                    "{} admits the frontend",
                    res.address
                );
            }
        }
    }
    assert_eq!(
        props(&g, "iam_role.frontend-task")["inline_policies"],
        json!({})
    );
    let exec = statements(&g, "frontend-execution", "execution");
    assert_eq!(exec.len(), 1, "{exec:#?}");
    assert_eq!(exec[0]["Sid"], "WriteLogs");
    let td = props(&g, "ecs_task_definition.frontend");
    let c = &td["containers"][0];
    assert!(c.get("secrets").is_none());
    // Only the internal load balancer's address: no store facts.
    assert_eq!(
        c["environment"],
        json!({"LB_BACKEND_HOST": r("lb.backend", "dns_name")})
    );
    assert!(td.get("volumes").is_none());
}

#[test]
fn table_bucket_and_volume_statements_follow_access() {
    let g = graph(FILES, "dev");
    let web = statements(&g, "web-task", "data");
    let table_arn = r("dynamodb_table.sessions", "arn");
    let index = "arn:aws:dynamodb:eu-west-1:*:table/files-dev-sessions/index/*";
    assert_eq!(
        web,
        [
            json!({"Sid": "TableSessions", "Effect": "Allow", "Action": [
                "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
                "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem",
                "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"],
                "Resource": [table_arn, index]}),
            json!({"Sid": "BucketPdfsList", "Effect": "Allow", "Action": ["s3:ListBucket"],
                "Resource": [r("s3_bucket.pdfs", "arn")]}),
            json!({"Sid": "BucketPdfsObjects", "Effect": "Allow",
                "Action": ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                "Resource": [r("s3_bucket.pdfs", "objects_arn")]}),
            json!({"Sid": "VolumeUploads", "Effect": "Allow",
                "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                "Resource": [r("efs_file_system.uploads", "arn")],
                "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": r("efs_access_point.uploads", "arn")}}}),
            json!({"Sid": "StackKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": [r("kms_key.main", "arn")]}),
        ]
    );
    let reader = statements(&g, "reader-task", "data");
    let actions: Vec<(String, Value)> = reader
        .iter()
        .map(|s| (s["Sid"].as_str().unwrap().to_string(), s["Action"].clone()))
        .collect();
    assert_eq!(
        actions,
        [
            ("BucketPdfsList".to_string(), json!(["s3:ListBucket"])),
            ("BucketPdfsObjects".to_string(), json!(["s3:GetObject"])),
            (
                "VolumeUploads".to_string(),
                json!(["elasticfilesystem:ClientMount"])
            ),
            (
                "TableSessions".to_string(),
                json!([
                    "dynamodb:BatchGetItem",
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:DescribeTable",
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:Scan"
                ])
            ),
            ("StackKey".to_string(), json!(["kms:Decrypt"])),
        ]
    );
    // The parameter is read by the agent, not the app.
    let exec = statements(&g, "web-execution", "execution");
    assert!(exec.iter().any(|s| s["Sid"] == "ReadParameters"
        && s["Resource"] == json!([r("ssm_parameter.feature_flags", "arn")])));
}

#[test]
fn volumes_are_mounted_through_access_points() {
    let g = graph(FILES, "dev");
    let reader = props(&g, "ecs_task_definition.reader");
    assert_eq!(
        reader["volumes"],
        json!([{
            "name": "uploads",
            "file_system_id": r("efs_file_system.uploads", "id"),
            "access_point_id": r("efs_access_point.uploads", "id"),
        }])
    );
    assert_eq!(
        reader["containers"][0]["mount_points"],
        json!([{"source_volume": "uploads", "container_path": "/uploads", "read_only": true}])
    );
    let web = props(&g, "ecs_task_definition.web");
    assert_eq!(web["containers"][0]["mount_points"][0]["read_only"], false);
    // One mount target per private subnet; services wait for them.
    for az in ["a", "b"] {
        let mt = props(&g, &format!("efs_mount_target.uploads-{az}"));
        assert_eq!(mt["subnet_id"], r(&format!("subnet.private-{az}"), "id"));
        let svc = g.get(&Address::new("ecs_service.web")).unwrap();
        assert!(svc
            .depends_on
            .contains(&Address::new(format!("efs_mount_target.uploads-{az}"))));
    }
    let ap = props(&g, "efs_access_point.uploads");
    assert_eq!(ap["posix_uid"], 1001);
    assert_eq!(ap["root_path"], "/uploads");
    assert_eq!(ap["root_permissions"], "0750");
    // Without NAT: NFS egress to the private subnets, DynamoDB and SSM endpoints.
    let egress = props(&g, "security_group.svc-web")["egress"].clone();
    assert!(egress
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["from_port"] == 2049));
    assert!(g.get(&Address::new("vpc_endpoint.dynamodb")).is_some());
    assert!(g.get(&Address::new("vpc_endpoint.ssm")).is_some());
}

#[test]
fn buckets_and_tables_are_named_and_protected() {
    let g = graph(FILES, "dev");
    let b = props(&g, "s3_bucket.pdfs");
    assert_eq!(b["bucket_prefix"], "files-dev-pdfs");
    assert_eq!(b["versioning"], true);
    assert_eq!(b["force_destroy"], false);
    assert_eq!(b["lifecycle_rules"][0]["expiration_days"], 7);
    assert_eq!(b["cors_rules"][0]["allowed_methods"], json!(["GET", "PUT"]));
    let t = props(&g, "dynamodb_table.sessions");
    assert_eq!(t["name"], "files-dev-sessions");
    assert_eq!(t["ttl_attribute"], "expires_at");
    assert_eq!(t["point_in_time_recovery"], true);
    assert_eq!(t["deletion_protection"], false);
    let prod = graph(FILES, "prod");
    assert_eq!(
        props(&prod, "dynamodb_table.sessions")["deletion_protection"],
        true
    );
    // Long names fit the provider's suffix within S3's 63 characters.
    let long = FILES
        .replace("name: files", "name: a-long-stack-name-xy")
        .replace("pdfs", "quarterly-reports-archive");
    let g = graph(&long, "dev");
    let prefix = props(&g, "s3_bucket.quarterly-reports-archive")["bucket_prefix"].clone();
    assert!(prefix.as_str().unwrap().len() <= 37, "{prefix}");
}

/// Walks every property; strings under keys that name a password, token or
/// secret must be references (or `json_key` names), never values.
fn no_literal_secrets(path: &str, key: &str, v: &Value, found: &mut Vec<String>) {
    let sensitive = ["password", "token", "secret"]
        .iter()
        .any(|w| key.to_ascii_lowercase().contains(w));
    match v {
        Value::String(s) => {
            let label = path.ends_with(".json_key") || key == "description" || key == "name";
            if sensitive && !label && !s.starts_with("${ref:") {
                found.push(format!("{path}: {s}"));
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|x| no_literal_secrets(path, key, x, found)),
        Value::Object(map) => {
            for (k, x) in map {
                // Inside a sensitive map, every value stays sensitive.
                let k2 = if sensitive { key } else { k.as_str() };
                no_literal_secrets(&format!("{path}.{k}"), k2, x, found);
            }
        }
        _ => {}
    }
}

#[test]
fn secret_values_never_appear_in_properties() {
    for text in [FASTAPI_RDS, REVIEWGUIDE, FILES, CACHE] {
        for env in ["dev", "prod"] {
            let g = graph(text, env);
            let mut found = Vec::new();
            for res in g.resources.values() {
                for (k, v) in &res.props {
                    no_literal_secrets(&format!("{}.{k}", res.address), k, v, &mut found);
                }
                // No credentials among plain environment variables.
                if res.kind == kinds::ECS_TASK_DEFINITION {
                    for c in res.props["containers"].as_array().unwrap() {
                        for name in c["environment"].as_object().unwrap().keys() {
                            assert!(
                                !["PASSWORD", "TOKEN", "SECRET", "KEY"]
                                    .iter()
                                    .any(|w| name.contains(w)),
                                "{} puts {name} in plain environment",
                                res.address
                            );
                        }
                    }
                }
            }
            assert!(found.is_empty(), "{found:#?}");
        }
    }
}

/// A topic fanning out to a queue and an address; a producer and a consumer.
const MESSAGING: &str = "name: shop
region: eu-west-1
network:
  egress: endpoints
queues:
  jobs: {visibility_timeout: 60, dlq: {max_receives: 3}}
  audit: {fifo: true, dlq: false}
topics:
  orders:
    subscribers: [jobs, {email: ops@example.com}]
services:
  api:
    uses: [orders, audit]
    containers:
      app: {build: ./api, port: 8080, routes: [\"/*\"]}
  worker:
    uses: [{name: jobs, access: read}]
    containers:
      main: {build: ./worker}
";

#[test]
fn snapshot_messaging_dev() {
    insta::assert_json_snapshot!(graph(MESSAGING, "dev"));
}

#[test]
fn queues_are_encrypted_with_a_dead_letter_queue_and_admit_only_their_topics() {
    let g = graph(MESSAGING, "dev");
    let jobs = props(&g, "sqs_queue.jobs");
    let key = r("kms_key.main", "arn");
    assert_eq!(jobs["name"], "shop-dev-jobs");
    assert_eq!(jobs["kms_key_id"], key.as_str());
    assert_eq!(jobs["visibility_timeout_seconds"], 60);
    assert_eq!(
        jobs["redrive"],
        json!({"dead_letter_target_arn": r("sqs_queue.jobs-dlq", "arn"), "max_receive_count": 3})
    );
    assert_eq!(
        jobs["sender_topic_arns"],
        json!([r("sns_topic.orders", "arn")])
    );
    let dlq = props(&g, "sqs_queue.jobs-dlq");
    assert_eq!(dlq["message_retention_seconds"], 14 * 86_400);
    assert_eq!(dlq["kms_key_id"], key.as_str());
    // FIFO keeps its suffix; `dlq: false` has none; no topic sends to it.
    let audit = props(&g, "sqs_queue.audit");
    assert_eq!(audit["name"], "shop-dev-audit.fifo");
    assert!(audit.get("redrive").is_none() && audit.get("sender_topic_arns").is_none());
    assert!(g.get(&Address::new("sqs_queue.audit-dlq")).is_none());
    // SNS may use the key for this account only (the provider adds the
    // account condition), to write to the encrypted queue.
    assert_eq!(
        props(&g, "kms_key.main")["service_principals"],
        json!(["sns.amazonaws.com"])
    );
    let sub = props(&g, "sns_topic_subscription.orders-jobs");
    assert_eq!(sub["protocol"], "sqs");
    assert_eq!(sub["endpoint"], r("sqs_queue.jobs", "arn").as_str());
    assert_eq!(sub["raw_message_delivery"], true);
    let mail = props(&g, "sns_topic_subscription.orders-ops-example-com");
    assert_eq!(mail["protocol"], "email");
    // Without NAT, tasks reach SQS and SNS through their endpoints.
    for ep in ["vpc_endpoint.sqs", "vpc_endpoint.sns"] {
        assert!(g.get(&Address::new(ep)).is_some(), "{ep}");
    }
}

#[test]
fn producers_and_consumers_get_exactly_their_queue_and_topic() {
    let g = graph(MESSAGING, "dev");
    let api = statements(&g, "api-task", "data");
    assert_eq!(
        api,
        vec![
            json!({"Sid": "TopicOrders", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": [r("sns_topic.orders", "arn")]}),
            json!({"Sid": "QueueAudit", "Effect": "Allow", "Action": [
                "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage"],
                "Resource": [r("sqs_queue.audit", "arn")]}),
            json!({"Sid": "StackKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": [r("kms_key.main", "arn")]}),
        ]
    );
    // `access: read` consumes and never sends.
    let worker = statements(&g, "worker-task", "data");
    assert_eq!(
        worker[0]["Action"],
        json!([
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:ReceiveMessage"
        ])
    );
    assert_eq!(worker[1]["Action"], json!(["kms:Decrypt"]));
    let env = &props(&g, "ecs_task_definition.worker")["containers"][0]["environment"];
    assert_eq!(env["JOBS_QUEUE_URL"], r("sqs_queue.jobs", "url").as_str());
    assert_eq!(env["JOBS_QUEUE_ARN"], r("sqs_queue.jobs", "arn").as_str());
    let env = &props(&g, "ecs_task_definition.api")["containers"][0]["environment"];
    assert_eq!(
        env["ORDERS_TOPIC_ARN"],
        r("sns_topic.orders", "arn").as_str()
    );
}

/// A nightly job and an event-driven one, using the queue and the database.
const JOBS: &str = "name: shop
region: eu-west-1
postgres:
  db: {}
queues:
  jobs: {}
services:
  web:
    containers:
      app: {image: nginx, port: 8080, routes: [\"/*\"]}
jobs:
  cleanup:
    schedule: cron(0 3 * * ? *)
    timezone: Europe/Paris
    uses: [db]
    containers:
      main: {image: public.ecr.aws/docker/library/python:3.12-alpine, command: [python, cleanup.py]}
  orders:
    on: {source: [com.shop.orders], detail_type: [Order Created]}
    retries: 5
    uses: [{name: jobs, access: read}]
    containers:
      main: {image: public.ecr.aws/docker/library/python:3.12-alpine}
  adhoc:
    containers:
      main: {image: public.ecr.aws/docker/library/python:3.12-alpine}
";

#[test]
fn snapshot_jobs_dev() {
    insta::assert_json_snapshot!(graph(JOBS, "dev"));
}

#[test]
fn jobs_run_exactly_their_task_with_retries_and_a_dead_letter_queue() {
    let g = graph(JOBS, "dev");
    let s = props(&g, "scheduler_schedule.cleanup");
    assert_eq!(s["schedule_expression"], "cron(0 3 * * ? *)");
    assert_eq!(s["timezone"], "Europe/Paris");
    assert_eq!(
        s["group_name"],
        r("scheduler_schedule_group.main", "name").as_str()
    );
    let t = &s["target"];
    assert_eq!(
        t["task_definition_arn"],
        // The family: ECS runs its newest revision, which a deploy registers.
        r("ecs_task_definition.cleanup", "family_arn").as_str()
    );
    assert_eq!(t["cluster_arn"], r("ecs_cluster.main", "arn").as_str());
    assert_eq!(
        t["dead_letter_arn"],
        r("sqs_queue.job-cleanup-dlq", "arn").as_str()
    );
    assert_eq!(t["maximum_retry_attempts"], 2);
    assert_eq!(
        t["security_group_ids"],
        json!([r("security_group.job-cleanup", "id")])
    );
    // The scheduler's role runs that task definition on that cluster, passes
    // exactly its two roles, and writes to its dead-letter queue.
    let st = statements(&g, "cleanup-scheduler", "run");
    assert_eq!(
        st[0]["Resource"],
        json!([r("ecs_task_definition.cleanup", "any_revision_arn")])
    );
    assert_eq!(
        st[0]["Condition"]["ArnEquals"]["ecs:cluster"],
        r("ecs_cluster.main", "arn").as_str()
    );
    assert_eq!(
        st[1]["Resource"],
        json!([
            r("iam_role.cleanup-execution", "arn"),
            r("iam_role.cleanup-task", "arn")
        ])
    );
    assert_eq!(
        st[2]["Resource"],
        json!([r("sqs_queue.job-cleanup-dlq", "arn")])
    );
    assert!(st
        .iter()
        .all(|s| !s["Resource"].to_string().contains("\"*\"")));
    // The event-driven job: its pattern, and its DLQ admits exactly its rule.
    let rule = props(&g, "events_rule.orders");
    assert_eq!(
        rule["event_pattern"],
        json!({"source": ["com.shop.orders"], "detail-type": ["Order Created"]})
    );
    assert_eq!(rule["target"]["maximum_retry_attempts"], 5);
    assert_eq!(
        props(&g, "sqs_queue.job-orders-dlq")["sender_rule_names"],
        json!(["shop-dev-orders"])
    );
    assert_eq!(
        props(&g, "kms_key.main")["service_principals"],
        json!(["events.amazonaws.com"])
    );
    // The database admits the job that uses it; the job takes no traffic.
    let db = props(&g, "security_group.db-db");
    assert!(db["ingress"]
        .to_string()
        .contains(&r("security_group.job-cleanup", "id")));
    assert_eq!(
        props(&g, "security_group.job-cleanup")["ingress"],
        json!([])
    );
    // No ECS service for a job, and an untriggered job has only its task.
    assert!(g.get(&Address::new("ecs_service.cleanup")).is_none());
    assert!(g.get(&Address::new("ecs_task_definition.adhoc")).is_some());
    assert!(g.get(&Address::new("sqs_queue.job-adhoc-dlq")).is_none());
}

// ---- issue 10 items 6-8 on seed 004's example: X-Ray, a SecureString,
// a public bucket, EFS Infrequent Access and environment files ----

const SAAS: &str = include_str!("../../../examples/saas-platform.yaml");

/// What the options touch in seed 004's example.
fn options_kinds(g: &DesiredGraph) -> std::collections::BTreeMap<String, Value> {
    let wanted = [
        "ecs_task_definition.orders",
        "ecs_task_definition.users",
        "iam_role.orders-task",
        "iam_role.orders-execution",
        "iam_role.users-task",
        "ssm_parameter.push_server_key",
        "s3_bucket.assets",
        "s3_bucket.config",
        "s3_bucket_policy.assets",
        "efs_file_system.uploads",
    ];
    wanted
        .iter()
        .map(|a| (a.to_string(), props(g, a)))
        .collect()
}

#[test]
fn snapshot_saas_platform_options_dev() {
    insta::assert_json_snapshot!(
        "saas_platform_options_dev",
        options_kinds(&graph(SAAS, "dev"))
    );
}

fn container<'a>(td: &'a Value, name: &str) -> &'a Value {
    td["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container {name} in {td}"))
}

#[test]
fn xray_adds_a_sidecar_its_permissions_and_the_daemon_address() {
    let g = graph(SAAS, "dev");
    let td = props(&g, "ecs_task_definition.orders");
    let d = container(&td, "xray-daemon");
    let image = d["image"].as_str().unwrap();
    assert!(
        image.starts_with("public.ecr.aws/xray/aws-xray-daemon:3."),
        "pinned to a version tag: {image}"
    );
    assert_eq!(d["essential"], false);
    assert_eq!(
        d["port_mappings"],
        json!([{"container_port": 2000, "protocol": "udp"}])
    );
    assert_eq!(d["log_stream_prefix"], "xray-daemon");
    assert_eq!(d["log_group"], r("log_group.orders", "name"));
    // Reserved out of the task's 512 units / 1024 MiB, not added to it.
    let app = container(&td, "app");
    assert_eq!(td["cpu"], 512);
    assert_eq!(
        app["cpu"].as_i64().unwrap() + d["cpu"].as_i64().unwrap(),
        512
    );
    assert_eq!(
        app["memory_reservation"].as_i64().unwrap() + d["memory_reservation"].as_i64().unwrap(),
        1024
    );
    assert_eq!(
        app["environment"]["AWS_XRAY_DAEMON_ADDRESS"],
        "127.0.0.1:2000"
    );
    let tracing = statements(&g, "orders-task", "tracing");
    assert_eq!(
        tracing,
        vec![json!({
            "Sid": "XRayDaemon",
            "Effect": "Allow",
            "Action": [
                "xray:GetSamplingRules",
                "xray:GetSamplingStatisticSummaries",
                "xray:GetSamplingTargets",
                "xray:PutTelemetryRecords",
                "xray:PutTraceSegments",
            ],
            "Resource": ["*"],
        })]
    );
    // The web service is not traced: no sidecar, no policy, no variable.
    let web = props(&g, "ecs_task_definition.web");
    assert_eq!(web["containers"].as_array().unwrap().len(), 1);
    assert!(statements(&g, "web-task", "tracing").is_empty());
    assert!(web["containers"][0]["environment"]
        .get("AWS_XRAY_DAEMON_ADDRESS")
        .is_none());
}

/// Tracing without NAT: the daemon copied into private ECR stands for the
/// sidecar; a job traced with Gantry's own sidecar needs NAT.
const TRACED: &str = "name: traced
region: us-east-1
network:
  egress: endpoints
services:
  api:
    tracing: xray
    containers:
      app:
        image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1
        port: 8080
        routes: [\"/*\"]
      xray-daemon:
        image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/aws-xray-daemon:3.3.14
        essential: false
jobs:
  nightly:
    schedule: cron(0 3 * * ? *)
    tracing: xray
    containers:
      main:
        image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1
      xray-daemon:
        image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/aws-xray-daemon:3.3.14
        essential: false
";

#[test]
fn xray_without_nat_gets_its_endpoint_and_jobs_can_trace() {
    let g = graph(TRACED, "dev");
    let ep = props(&g, "vpc_endpoint.xray");
    assert_eq!(ep["service_name"], "com.amazonaws.us-east-1.xray");
    assert_eq!(ep["vpc_endpoint_type"], "Interface");
    // The spec's own daemon stands for Gantry's: one daemon, the spec's
    // image, and no reservation taken out for a second one.
    let td = props(&g, "ecs_task_definition.api");
    let names: Vec<&str> = td["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app", "xray-daemon"]);
    assert!(container(&td, "xray-daemon")["image"]
        .as_str()
        .unwrap()
        .starts_with("123456789012.dkr.ecr."));
    assert_eq!(container(&td, "app")["cpu"], 128);
    assert_eq!(
        container(&td, "app")["environment"]["AWS_XRAY_DAEMON_ADDRESS"],
        "127.0.0.1:2000"
    );
    assert!(!statements(&g, "api-task", "tracing").is_empty());
    let job = props(&g, "ecs_task_definition.nightly");
    container(&job, "xray-daemon");
    assert!(!statements(&g, "nightly-task", "tracing").is_empty());
    // With NAT there is no endpoint to pay for.
    assert!(graph(SAAS, "dev")
        .get(&Address::new("vpc_endpoint.xray"))
        .is_none());
}

#[test]
fn a_secure_parameter_is_a_securestring_read_only_by_its_users() {
    let g = graph(SAAS, "dev");
    let p = props(&g, "ssm_parameter.push_server_key");
    assert_eq!(p["secure"], true);
    assert_eq!(p["key_id"], r("kms_key.main", "arn"));
    assert_eq!(p["value"], "", "the value never passes through props");
    let app = container(&props(&g, "ecs_task_definition.orders"), "app").clone();
    assert_eq!(
        app["secrets"]["PUSH_SERVER_KEY"],
        json!({"arn": r("ssm_parameter.push_server_key", "arn")})
    );
    assert!(app["environment"].get("PUSH_SERVER_KEY").is_none());
    let exec = statements(&g, "orders-execution", "execution");
    let read = exec.iter().find(|s| s["Sid"] == "ReadParameters").unwrap();
    assert_eq!(read["Action"], json!(["ssm:GetParameters"]));
    assert_eq!(
        read["Resource"],
        json!([r("ssm_parameter.push_server_key", "arn")])
    );
    let decrypt = exec.iter().find(|s| s["Sid"] == "DecryptSecrets").unwrap();
    assert_eq!(decrypt["Resource"], json!([r("kms_key.main", "arn")]));
    // `users` does not use it: no read of it.
    assert!(!statements(&g, "users-execution", "execution")
        .iter()
        .any(|s| s["Sid"] == "ReadParameters"));
}

#[test]
fn a_public_bucket_is_readable_by_anyone_and_warned_about() {
    let g = graph(SAAS, "dev");
    let b = props(&g, "s3_bucket.assets");
    assert_eq!(b["public_policy"], true);
    assert_eq!(
        b["kms_key_arn"], "",
        "SSE-S3: anonymous readers have no key"
    );
    let policy = props(&g, "s3_bucket_policy.assets");
    assert_eq!(policy["public_read"], true);
    assert_eq!(policy["bucket_arn"], r("s3_bucket.assets", "arn"));
    assert_eq!(policy["cloudfront_distribution_arns"], json!([]));
    // The other buckets stay private, with the stack key and no policy.
    let docs = props(&g, "s3_bucket.documents");
    assert!(docs.get("public_policy").is_none());
    assert_eq!(docs["kms_key_arn"], r("kms_key.main", "arn"));
    assert!(g.get(&Address::new("s3_bucket_policy.documents")).is_none());
    let spec = gantry_spec::parse_str("gantry.yaml", SAAS).unwrap();
    let warnings = Model::build(&spec, "dev").unwrap().warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("bucket `assets` is public")),
        "{warnings:?}"
    );
}

#[test]
fn efs_moves_cold_files_to_infrequent_access_and_back() {
    let g = graph(SAAS, "dev");
    let fs = props(&g, "efs_file_system.uploads");
    assert_eq!(fs["transition_to_ia"], "AFTER_30_DAYS");
    assert_eq!(fs["transition_to_primary_storage_class"], "AFTER_1_ACCESS");
    let plain = graph(FILES, "dev");
    let fs = props(&plain, "efs_file_system.uploads");
    assert!(fs.get("transition_to_ia").is_none());
}

#[test]
fn env_files_are_loaded_by_the_execution_role_only() {
    let g = graph(SAAS, "dev");
    let app = container(&props(&g, "ecs_task_definition.orders"), "app").clone();
    assert_eq!(
        app["environment_files"],
        json!([{"bucket_arn": r("s3_bucket.config", "arn"), "key": "config/orders.env"}])
    );
    let exec = statements(&g, "orders-execution", "execution");
    let objects = exec.iter().find(|s| s["Sid"] == "ReadEnvFiles").unwrap();
    assert_eq!(objects["Action"], json!(["s3:GetObject"]));
    // Exactly that key of the bucket named `saas-dev-config-` + 12 characters.
    assert_eq!(
        objects["Resource"],
        json!(["arn:aws:s3:::saas-dev-config-????????????/config/orders.env"])
    );
    let located = exec
        .iter()
        .find(|s| s["Sid"] == "LocateEnvFileBuckets")
        .unwrap();
    assert_eq!(located["Action"], json!(["s3:GetBucketLocation"]));
    assert_eq!(located["Resource"], json!([r("s3_bucket.config", "arn")]));
    // The config bucket is encrypted with the stack key: the agent decrypts.
    assert!(exec.iter().any(|s| s["Sid"] == "DecryptSecrets"));
    // The application itself gets nothing of the config bucket.
    let task = props(&g, "iam_role.orders-task").to_string();
    assert!(!task.contains("s3_bucket.config"), "{task}");
}
