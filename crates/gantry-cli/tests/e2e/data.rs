//! End to end on the local AWS emulator for the data examples (issue 3):
//! stores created encrypted, private and backed up (reviewguide's Redis is
//! MemoryDB, checked through the MemoryDB API; ElastiCache and a bucket get a
//! small spec of their own), log groups encrypted with the stack key, wired
//! to exactly the services that use them, secrets injected as ECS secrets, a replacement of
//! a database refused without --allow-data-loss, `gantry secret set`, and a
//! destroy that leaves nothing (RDS-managed secrets included) — with a scan
//! proving no secret value reached any output, plan or state file.

use crate::support;

use gantry_aws::AwsContext;
use serde_json::Value;
use std::collections::BTreeSet;
use support::Project;

async fn aws(region: &str) -> AwsContext {
    support::emulator_env();
    AwsContext::load(Some(region.into()))
        .await
        .expect("AWS config")
}

/// The task definition an ECS service of the stack runs.
async fn task_def(
    ctx: &AwsContext,
    cluster: &str,
    service: &str,
) -> gantry_aws::aws_sdk_ecs::types::TaskDefinition {
    let s = ctx
        .ecs()
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .unwrap();
    let td = s.services()[0].task_definition().unwrap().to_string();
    ctx.ecs()
        .describe_task_definition()
        .task_definition(td)
        .send()
        .await
        .unwrap()
        .task_definition
        .unwrap()
}

/// Every secret value in the emulator (JSON secrets contribute each string
/// field too), for the leak scan.
async fn secret_values(ctx: &AwsContext) -> Vec<String> {
    let mut out = Vec::new();
    let list = ctx.secrets().list_secrets().send().await.unwrap();
    for s in list.secret_list() {
        let Ok(v) = ctx
            .secrets()
            .get_secret_value()
            .secret_id(s.arn().unwrap())
            .send()
            .await
        else {
            continue;
        };
        let Some(text) = v.secret_string() else {
            continue;
        };
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => {
                for (k, v) in m {
                    if k != "username" {
                        if let Some(s) = v.as_str() {
                            out.push(s.to_string());
                        }
                    }
                }
            }
            _ => out.push(text.to_string()),
        }
    }
    out.retain(|v| v.len() >= 8);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn reviewguide_stores_wiring_secrets_and_destroy() {
    let p = Project::from_example("reviewguide.yaml").keyed("AKIACALLSREVIEWGUIDE");
    let ctx = aws("ca-central-1").await;
    p.gantry(&["up", "--yes"]).assert_code(0);

    // PostgreSQL: private, encrypted with the stack key, backed up, managed secret.
    let dbs = ctx.rds().describe_db_instances().send().await.unwrap();
    let db = dbs
        .db_instances()
        .iter()
        .find(|d| {
            d.db_instance_identifier()
                .unwrap_or("")
                .starts_with("reviewguide-dev")
        })
        .expect("the database");
    assert_eq!(db.publicly_accessible(), Some(false));
    assert_eq!(db.storage_encrypted(), Some(true));
    assert!(
        db.kms_key_id().is_some(),
        "encrypted with a customer-managed key"
    );
    assert_eq!(db.backup_retention_period(), Some(7));
    assert_eq!(db.engine(), Some("postgres"));
    let master_secret = db
        .master_user_secret()
        .and_then(|s| s.secret_arn())
        .expect("RDS-managed master secret")
        .to_string();

    // The stack's key, by its alias.
    let aliases = ctx.kms().list_aliases().send().await.unwrap();
    let key_id = aliases
        .aliases()
        .iter()
        .find(|a| a.alias_name() == Some("alias/gantry/reviewguide-dev"))
        .and_then(|a| a.target_key_id())
        .expect("the stack key's alias")
        .to_string();
    let key_arn = ctx
        .kms()
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();

    // Redis is MemoryDB (seed 003): TLS, the stack key, the data subnets, an
    // ACL of its own password user (not open-access).
    let mdb = ctx.memorydb();
    let mdb_cluster = mdb
        .describe_clusters()
        .cluster_name("reviewguide-dev-cache")
        .show_shard_details(true)
        .send()
        .await
        .unwrap()
        .clusters()[0]
        .clone();
    assert_eq!(mdb_cluster.tls_enabled(), Some(true));
    assert_eq!(mdb_cluster.kms_key_id(), Some(key_arn.as_str()));
    assert_eq!(mdb_cluster.acl_name(), Some("reviewguide-dev-cache"));
    assert_eq!(
        mdb_cluster.shards()[0].number_of_nodes(),
        Some(2),
        "a replica"
    );
    let acl = mdb
        .describe_acls()
        .acl_name("reviewguide-dev-cache")
        .send()
        .await
        .unwrap()
        .acls()[0]
        .clone();
    assert_eq!(acl.user_names(), ["reviewguide-dev-cache"]);
    let user = mdb
        .describe_users()
        .user_name("reviewguide-dev-cache")
        .send()
        .await
        .unwrap()
        .users()[0]
        .clone();
    assert_eq!(
        user.authentication()
            .and_then(|a| a.r#type())
            .map(|t| t.as_str()),
        Some("password")
    );
    let group = mdb
        .describe_subnet_groups()
        .subnet_group_name(mdb_cluster.subnet_group_name().unwrap())
        .send()
        .await
        .unwrap()
        .subnet_groups()[0]
        .clone();
    let group_subnets: BTreeSet<String> = group
        .subnets()
        .iter()
        .filter_map(|s| s.identifier().map(str::to_string))
        .collect();
    let data_subnets: BTreeSet<String> = ctx
        .ec2()
        .describe_subnets()
        .filters(
            gantry_aws::aws_sdk_ec2::types::Filter::builder()
                .name("tag:gantry:stack")
                .values("reviewguide")
                .build(),
        )
        .send()
        .await
        .unwrap()
        .subnets()
        .iter()
        .filter(|s| {
            s.tags().iter().any(|t| {
                t.key() == Some("gantry:address")
                    && t.value().unwrap_or("").starts_with("subnet.data-")
            })
        })
        .filter_map(|s| s.subnet_id().map(str::to_string))
        .collect();
    assert_eq!(group_subnets, data_subnets, "MemoryDB in the data subnets");
    assert_eq!(data_subnets.len(), 2);
    let cluster_sgs: Vec<String> = mdb_cluster
        .security_groups()
        .iter()
        .filter_map(|g| g.security_group_id().map(str::to_string))
        .collect();
    assert_eq!(cluster_sgs.len(), 1);

    // Log groups are encrypted with the stack key.
    let groups = ctx
        .logs()
        .describe_log_groups()
        .log_group_name_prefix("/gantry/reviewguide/dev/")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups().len(), 2);
    for g in groups.log_groups() {
        assert_eq!(
            g.kms_key_id(),
            Some(key_arn.as_str()),
            "{:?}",
            g.log_group_name()
        );
    }

    // The backend gets connection facts as environment and credentials as secrets.
    let clusters = ctx.ecs().list_clusters().send().await.unwrap();
    let cluster = clusters
        .cluster_arns()
        .iter()
        .find(|a| a.ends_with("/reviewguide-dev"))
        .unwrap()
        .clone();
    let backend = task_def(&ctx, &cluster, "backend").await;
    let api = &backend.container_definitions()[0];
    let env: BTreeSet<&str> = api
        .environment()
        .iter()
        .filter_map(|kv| kv.name())
        .collect();
    for k in [
        "DB_HOST",
        "DB_PORT",
        "DB_DATABASE",
        "DB_USER",
        "CACHE_HOST",
        "CACHE_PORT",
        "CACHE_USER",
    ] {
        assert!(env.contains(k), "backend lacks {k}: {env:?}");
    }
    let env_value = |k: &str| {
        api.environment()
            .iter()
            .find(|kv| kv.name() == Some(k))
            .and_then(|kv| kv.value())
            .map(str::to_string)
    };
    assert_eq!(
        env_value("CACHE_HOST").as_deref(),
        mdb_cluster.cluster_endpoint().and_then(|e| e.address())
    );
    assert_eq!(
        env_value("CACHE_USER").as_deref(),
        Some("reviewguide-dev-cache")
    );
    let secrets: Vec<(&str, &str)> = api
        .secrets()
        .iter()
        .map(|s| (s.name(), s.value_from()))
        .collect();
    let secret_names: BTreeSet<&str> = secrets.iter().map(|(n, _)| *n).collect();
    for k in [
        "DB_PASSWORD",
        "CACHE_AUTH_TOKEN",
        "SECRET_KEY",
        "OPENAI_API_KEY",
        "FRONTEND_ORIGIN",
    ] {
        assert!(
            secret_names.contains(k),
            "backend lacks secret {k}: {secret_names:?}"
        );
        assert!(!env.contains(k), "{k} must not be plain environment");
    }
    let db_pw = secrets.iter().find(|(n, _)| *n == "DB_PASSWORD").unwrap().1;
    assert_eq!(db_pw, format!("{master_secret}:password::"));

    // The frontend names no store: no store variables, no secrets.
    let frontend = task_def(&ctx, &cluster, "frontend").await;
    let web = &frontend.container_definitions()[0];
    assert!(web.secrets().is_empty());
    assert!(web
        .environment()
        .iter()
        .all(|kv| !kv.name().unwrap_or("").starts_with("DB_")));

    // Two load balancers (seed 003): the frontend's faces the internet, the
    // backend's is internal and its address is handed to the frontend.
    let lbs = ctx.elb().describe_load_balancers().send().await.unwrap();
    let lb = |n: &str| {
        lbs.load_balancers()
            .iter()
            .find(|l| l.load_balancer_name() == Some(n))
            .cloned()
            .unwrap_or_else(|| panic!("load balancer {n}"))
    };
    let (front_lb, back_lb) = (
        lb("reviewguide-dev-frontend"),
        lb("reviewguide-dev-backend"),
    );
    assert_eq!(
        front_lb.scheme().map(|s| s.as_str()),
        Some("internet-facing")
    );
    assert_eq!(back_lb.scheme().map(|s| s.as_str()), Some("internal"));
    let backend_host = web
        .environment()
        .iter()
        .find(|kv| kv.name() == Some("LB_BACKEND_HOST"))
        .and_then(|kv| kv.value())
        .expect("the frontend knows the backend's address");
    assert_eq!(Some(backend_host), back_lb.dns_name());

    // IAM: only the backend's execution role may read secrets, and only its own.
    let roles = ctx.iam().list_roles().send().await.unwrap();
    let mut exec_policies = std::collections::BTreeMap::new();
    for r in roles
        .roles()
        .iter()
        .filter(|r| r.role_name().starts_with("reviewguide-dev"))
    {
        let names = ctx
            .iam()
            .list_role_policies()
            .role_name(r.role_name())
            .send()
            .await
            .unwrap();
        let mut text = String::new();
        for n in names.policy_names() {
            let doc = ctx
                .iam()
                .get_role_policy()
                .role_name(r.role_name())
                .policy_name(n)
                .send()
                .await
                .unwrap();
            text.push_str(&urlencoding_decode(doc.policy_document()));
        }
        exec_policies.insert(r.role_name().to_string(), text);
    }
    let backend_exec = exec_policies
        .iter()
        .find(|(n, _)| n.contains("backend") && n.ends_with("exec"))
        .unwrap()
        .1;
    let frontend_exec = exec_policies
        .iter()
        .find(|(n, _)| n.contains("frontend") && n.ends_with("exec"))
        .unwrap()
        .1;
    assert!(
        backend_exec.contains(&master_secret),
        "backend may read the DB secret"
    );
    assert!(
        !frontend_exec.contains("secretsmanager"),
        "frontend reads no secrets: {frontend_exec}"
    );

    // The database's security group admits only the backend's group.
    let sgs = ctx.ec2().describe_security_groups().send().await.unwrap();
    let by_name = |n: &str| {
        sgs.security_groups()
            .iter()
            .find(|g| g.group_name() == Some(n))
            .cloned()
    };
    let backend_sg = by_name("reviewguide-dev-backend").expect("backend security group");
    // The database's and MemoryDB's groups admit only the backend's, on
    // their port, and no CIDR at all.
    for (name, port, id) in [
        ("reviewguide-dev-db-db", 5432, None),
        ("reviewguide-dev-cache-redis", 6379, Some(&cluster_sgs[0])),
    ] {
        let sg = by_name(name).unwrap_or_else(|| panic!("security group {name}"));
        if let Some(id) = id {
            assert_eq!(sg.group_id(), Some(id.as_str()), "the cluster's group");
        }
        let sources: BTreeSet<(String, Option<i32>)> = sg
            .ip_permissions()
            .iter()
            .flat_map(|p| {
                p.user_id_group_pairs()
                    .iter()
                    .filter_map(move |g| Some((g.group_id()?.to_string(), p.from_port())))
            })
            .collect();
        assert_eq!(
            sources,
            BTreeSet::from([(backend_sg.group_id().unwrap().to_string(), Some(port))]),
            "{name}"
        );
        assert!(
            sg.ip_permissions().iter().all(|p| p.ip_ranges().is_empty()),
            "no CIDR ingress to {name}"
        );
    }

    // A secret set from stdin reaches Secrets Manager and nothing else.
    let key = "sk-test-0123456789abcdef";
    p.gantry_with_stdin(&["secret", "set", "openai_api_key"], &format!("{key}\n"))
        .assert_code(0);
    let secret_list = ctx.secrets().list_secrets().send().await.unwrap();
    let openai = secret_list
        .secret_list()
        .iter()
        .find(|s| s.name().unwrap_or("").ends_with("/openai_api_key"))
        .expect("the openai secret");
    let stored = ctx
        .secrets()
        .get_secret_value()
        .secret_id(openai.arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(stored.secret_string(), Some(key));

    // Nothing to do on a second plan.
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    support::assert_refresh_cost(&p.plan_calls());
    let plan = p.gantry(&["plan", "--json"]);
    plan.assert_code(0);

    // A change that replaces the database is refused without the flag.
    p.edit(|t| t.replacen("    database: reviewguide", "    database: reviewguide2", 1));
    let refused = p.gantry(&["up", "--yes"]);
    refused.assert_code(1);
    assert!(
        refused.stderr().contains("db_instance.db"),
        "the refusal names the database"
    );
    assert!(refused.stderr().contains("--allow-data-loss"));
    let replan = p.gantry(&["plan", "--json"]).json();
    let db_action = replan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["address"] == "db_instance.db")
        .unwrap()
        .clone();
    assert_eq!(db_action["action"], "replace");
    p.edit(|t| t.replacen("    database: reviewguide2", "    database: reviewguide", 1));
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);

    let values = secret_values(&ctx).await;
    assert!(values.iter().any(|v| v == key), "the scan sees the secrets");

    // Destroy names the data stores and leaves nothing.
    let destroy = p.gantry(&["destroy", "--yes"]);
    destroy.assert_code(0);
    assert!(
        destroy.stderr().contains("db_instance.db")
            && destroy.stderr().contains("memorydb_cluster.cache"),
        "destroy names the data stores"
    );
    let left = gantry_aws::inventory::stack_resources(&ctx, "reviewguide", "dev")
        .await
        .unwrap();
    assert!(left.is_empty(), "left behind: {left:?}");
    let remaining = ctx.secrets().list_secrets().send().await.unwrap();
    assert!(
        remaining
            .secret_list()
            .iter()
            .all(|s| s.arn() != Some(master_secret.as_str()) || s.deleted_date().is_some()),
        "the RDS-managed secret is gone"
    );

    // No secret value anywhere Gantry wrote or printed.
    let transcript = p.transcript.lock().unwrap().clone();
    let files = p.state_text();
    for v in &values {
        assert!(
            !transcript.contains(v.as_str()),
            "a secret value was printed"
        );
        assert!(
            !files.contains(v.as_str()),
            "a secret value is in the state or journal"
        );
    }
}

/// ElastiCache Redis (the examples' Redis is MemoryDB) and a bucket, used
/// by one service.
const CACHE_AND_BUCKET: &str = r#"name: cachebk
region: eu-west-1
redis:
  sessions: {}
buckets:
  uploads: {}
services:
  api:
    uses: [sessions, uploads]
    containers:
      app:
        image: public.ecr.aws/docker/library/python:3.12-alpine
        command: ["python", "-m", "http.server", "8000"]
        port: 8000
        routes: ["/*"]
"#;

#[tokio::test(flavor = "multi_thread")]
async fn elasticache_and_bucket_wiring() {
    let p = Project::new(CACHE_AND_BUCKET);
    let ctx = aws("eu-west-1").await;
    p.gantry(&["up", "--yes"]).assert_code(0);

    // ElastiCache: encrypted at rest and in transit, with an AUTH token.
    let groups = ctx
        .elasticache()
        .describe_replication_groups()
        .replication_group_id("cachebk-dev-sessions")
        .send()
        .await
        .unwrap();
    let rg = &groups.replication_groups()[0];
    assert_eq!(rg.at_rest_encryption_enabled(), Some(true));
    assert_eq!(rg.transit_encryption_enabled(), Some(true));
    assert_eq!(rg.auth_token_enabled(), Some(true));

    let clusters = ctx.ecs().list_clusters().send().await.unwrap();
    let cluster = clusters
        .cluster_arns()
        .iter()
        .find(|a| a.ends_with("/cachebk-dev"))
        .unwrap()
        .clone();
    let td = task_def(&ctx, &cluster, "api").await;
    let app = &td.container_definitions()[0];
    let env = |k: &str| {
        app.environment()
            .iter()
            .find(|kv| kv.name() == Some(k))
            .and_then(|kv| kv.value())
            .map(str::to_string)
    };
    assert_eq!(env("SESSIONS_USER").as_deref(), Some("default"));
    assert_eq!(env("SESSIONS_TLS").as_deref(), Some("true"));
    let bucket = env("UPLOADS_BUCKET").expect("the bucket's name");
    assert!(bucket.starts_with("cachebk-dev-uploads-"), "{bucket}");
    assert!(app
        .secrets()
        .iter()
        .any(|s| s.name() == "SESSIONS_AUTH_TOKEN"));

    // The task role names exactly this bucket and exactly its objects.
    let doc = ctx
        .iam()
        .get_role_policy()
        .role_name("cachebk-dev-api-task")
        .policy_name("data")
        .send()
        .await
        .unwrap();
    let doc: Value = serde_json::from_str(&urlencoding_decode(doc.policy_document())).unwrap();
    let resources = |sid: &str| -> Value {
        doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no statement {sid}: {doc}"))["Resource"]
            .clone()
    };
    assert_eq!(
        resources("BucketUploadsList"),
        serde_json::json!([format!("arn:aws:s3:::{bucket}")])
    );
    assert_eq!(
        resources("BucketUploadsObjects"),
        serde_json::json!([format!("arn:aws:s3:::{bucket}/*")])
    );

    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    let destroy = p.gantry(&["destroy", "--yes"]);
    destroy.assert_code(0);
    assert!(destroy
        .stderr()
        .contains("elasticache_replication_group.sessions"));
    let left = gantry_aws::inventory::stack_resources(&ctx, "cachebk", "dev")
        .await
        .unwrap();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn fastapi_rds_endpoints_no_nat() {
    let p = Project::from_example("fastapi-rds.yaml").keyed("AKIACALLSFASTAPIRDS");
    let (name, region) = name_and_region(&p.spec_path());
    let ctx = aws(&region).await;
    p.gantry(&["up", "--yes"]).assert_code(0);

    let stack = gantry_aws::aws_sdk_ec2::types::Filter::builder()
        .name("tag:gantry:stack")
        .values(&name)
        .build();
    let nats = ctx.ec2().describe_nat_gateways().send().await.unwrap();
    let vpcs = ctx
        .ec2()
        .describe_vpcs()
        .filters(stack.clone())
        .send()
        .await
        .unwrap();
    let vpc_id = vpcs.vpcs()[0].vpc_id().unwrap().to_string();
    assert!(
        nats.nat_gateways()
            .iter()
            .all(|n| n.vpc_id() != Some(vpc_id.as_str())
                || n.state().map(|s| s.as_str()) == Some("deleted")),
        "no NAT gateway"
    );
    let endpoints = ctx.ec2().describe_vpc_endpoints().send().await.unwrap();
    let services: BTreeSet<String> = endpoints
        .vpc_endpoints()
        .iter()
        .filter(|e| e.vpc_id() == Some(vpc_id.as_str()))
        .filter_map(|e| {
            e.service_name()
                .map(|s| s.rsplit('.').take(2).collect::<Vec<_>>().join("."))
        })
        .collect();
    for s in ["api.ecr", "dkr.ecr", "logs", "secretsmanager", "s3"] {
        assert!(
            services.iter().any(|x| x.starts_with(s) || x.contains(s)),
            "endpoint {s} missing: {services:?}"
        );
    }
    let subnets = ctx
        .ec2()
        .describe_subnets()
        .filters(stack)
        .send()
        .await
        .unwrap();
    let tiers: BTreeSet<String> = subnets
        .subnets()
        .iter()
        .flat_map(|s| s.tags().iter())
        .filter(|t| t.key() == Some("gantry:address"))
        .filter_map(|t| {
            t.value()?
                .strip_prefix("subnet.")
                .map(|n| n.split('-').next().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        tiers,
        BTreeSet::from([
            "data".to_string(),
            "private".to_string(),
            "public".to_string()
        ])
    );

    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    support::assert_refresh_cost(&p.plan_calls());
    let values = secret_values(&ctx).await;
    p.gantry(&["destroy", "--yes"]).assert_code(0);
    let left = gantry_aws::inventory::stack_resources(&ctx, &name, "dev")
        .await
        .unwrap();
    assert!(left.is_empty(), "left behind: {left:?}");
    let transcript = p.transcript.lock().unwrap().clone();
    let files = p.state_text();
    for v in &values {
        assert!(
            !transcript.contains(v.as_str()) && !files.contains(v.as_str()),
            "a secret value leaked"
        );
    }
}

/// IAM returns policy documents URL-encoded.
fn urlencoding_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The stack name and region of a spec, through the spec crate.
fn name_and_region(path: &std::path::Path) -> (String, String) {
    let spec = gantry_spec::load_file(path).expect("valid example");
    (spec.name.value.clone(), spec.region.value.clone())
}
