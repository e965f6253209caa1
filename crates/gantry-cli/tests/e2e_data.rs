//! End to end on the local AWS emulator for the data examples (issue 3):
//! stores created encrypted, private and backed up, wired to exactly the
//! services that use them, secrets injected as ECS secrets, a replacement of
//! a database refused without --allow-data-loss, `gantry secret set`, and a
//! destroy that leaves nothing (RDS-managed secrets included) — with a scan
//! proving no secret value reached any output, plan or state file.

mod support;

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
    let p = Project::from_example("reviewguide.yaml");
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

    // Redis: encrypted at rest and in transit, with an AUTH token.
    let groups = ctx
        .elasticache()
        .describe_replication_groups()
        .send()
        .await
        .unwrap();
    let rg = groups
        .replication_groups()
        .iter()
        .find(|g| {
            g.replication_group_id()
                .unwrap_or("")
                .starts_with("reviewguide-dev")
        })
        .expect("the cache");
    assert_eq!(rg.at_rest_encryption_enabled(), Some(true));
    assert_eq!(rg.transit_encryption_enabled(), Some(true));
    assert_eq!(rg.auth_token_enabled(), Some(true));

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
    ] {
        assert!(env.contains(k), "backend lacks {k}: {env:?}");
    }
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
    let db_sg = by_name("reviewguide-dev-db-db").expect("db security group");
    let backend_sg = by_name("reviewguide-dev-backend").expect("backend security group");
    let sources: BTreeSet<String> = db_sg
        .ip_permissions()
        .iter()
        .flat_map(|p| {
            p.user_id_group_pairs()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_string))
        })
        .collect();
    assert_eq!(
        sources,
        BTreeSet::from([backend_sg.group_id().unwrap().to_string()])
    );
    assert!(
        db_sg
            .ip_permissions()
            .iter()
            .all(|p| p.ip_ranges().is_empty()),
        "no CIDR ingress to the database"
    );

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
            && destroy
                .stderr()
                .contains("elasticache_replication_group.cache")
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

#[tokio::test(flavor = "multi_thread")]
async fn fastapi_rds_endpoints_no_nat() {
    let p = Project::from_example("fastapi-rds.yaml");
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
