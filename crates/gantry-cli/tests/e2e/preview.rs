//! Preview environments against the emulator: `up -e pr-42 --from dev`
//! brings a small copy of `dev` up beside it on its own subdomain, its
//! objects tagged with their expiry and its names its own; `preview list`
//! shows it with its age, expiry and cost; `preview gc` leaves it while it
//! is live and destroys it (and only it) once expired, `dev` untouched,
//! all checked through the AWS APIs.

use crate::support;

use gantry_aws::AwsContext;
use support::Project;

const ZONE: &str = "previews.test";

fn spec() -> String {
    format!(
        "name: prev
region: us-east-1
network: {{ cidr: 10.0.0.0/16, azs: 2, egress: nat }}
domain: {{ zone: {ZONE} }}
services:
  web:
    desired_count: 2
    containers:
      app:
        image: public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine
        port: 8080
        routes: [\"/*\"]
load_balancers:
  main: {{ hosts: [app.{ZONE}] }}
environments:
  dev: {{ domain: {{ subdomain: dev }} }}
"
    )
}

async fn context() -> AwsContext {
    support::emulator_env();
    AwsContext::load(Some("us-east-1".into())).await.unwrap()
}

async fn names(ctx: &AwsContext) -> Vec<String> {
    support::zone_records(ctx, &format!("{ZONE}."))
        .await
        .iter()
        .map(|r| r.name().to_string())
        .collect()
}

/// The VPC of environment `env`, with its tags.
async fn vpc_tags(ctx: &AwsContext, env: &str) -> Option<Vec<(String, String)>> {
    let out = ctx
        .ec2()
        .describe_vpcs()
        .filters(
            gantry_aws::aws_sdk_ec2::types::Filter::builder()
                .name("tag:gantry:stack")
                .values("prev")
                .build(),
        )
        .filters(
            gantry_aws::aws_sdk_ec2::types::Filter::builder()
                .name("tag:gantry:env")
                .values(env)
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.vpcs().first().map(|v| {
        v.tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect()
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_preview_comes_up_beside_dev_and_gc_destroys_it_once_expired() {
    let ctx = context().await;
    ctx.route53()
        .create_hosted_zone()
        .name(ZONE)
        .caller_reference("e2e-previews")
        .send()
        .await
        .unwrap();
    let p = Project::new(&spec()).keyed("prev");
    p.gantry(&["up", "--yes"]).assert_code(0);

    // Not an environment of the spec, and no preview yet.
    let unknown = p.gantry(&["-e", "pr-42", "plan"]);
    unknown.assert_code(1);
    assert!(
        unknown.stderr().contains("--from dev"),
        "{}",
        unknown.stderr()
    );

    let up = p.gantry(&["-e", "pr-42", "up", "--from", "dev", "--ttl", "1h", "--yes"]);
    up.assert_code(0);
    assert!(up.stderr().contains("expires at"), "{}", up.stderr());

    // Its own subdomain, beside dev's, in the same zone.
    let records = names(&ctx).await;
    for want in [format!("app.dev.{ZONE}."), format!("app.pr-42.dev.{ZONE}.")] {
        assert!(records.contains(&want), "{want} not in {records:?}");
    }
    // Its own names and an expiry tag; dev's carry none.
    let tags = vpc_tags(&ctx, "pr-42").await.expect("the preview's VPC");
    assert!(
        tags.contains(&("Name".into(), "prev-pr-42".into())),
        "{tags:?}"
    );
    let expires = tags
        .iter()
        .find(|(k, _)| k == "gantry:expires-at")
        .expect("an expiry tag")
        .1
        .clone();
    assert!(expires.ends_with('Z'), "{expires}");
    let dev_tags = vpc_tags(&ctx, "dev").await.expect("dev's VPC");
    assert!(!dev_tags.iter().any(|(k, _)| k == "gantry:expires-at"));
    // Small: one task.
    let svc = ctx
        .ecs()
        .describe_services()
        .cluster("prev-pr-42")
        .services("web")
        .send()
        .await
        .unwrap();
    assert_eq!(svc.services()[0].desired_count(), 1);
    // A second plan of the preview (found by its record) is empty.
    p.gantry(&["-e", "pr-42", "plan", "--detailed-exitcode"])
        .assert_code(0);

    let list = p.gantry(&["preview", "list", "--json"]);
    list.assert_code(0);
    let rows = list.json();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["env"], "pr-42");
    assert_eq!(rows[0]["from"], "dev");
    assert_eq!(rows[0]["expired"], false);
    assert!(rows[0]["monthly_usd"].as_f64().unwrap() > 0.0, "{rows}");
    assert!(p.gantry(&["preview", "list"]).stdout().contains("pr-42"));

    // Live: gc leaves it.
    let gc = p.gantry(&["preview", "gc", "--yes"]);
    gc.assert_code(0);
    assert!(
        gc.stderr().contains("No expired preview"),
        "{}",
        gc.stderr()
    );
    assert!(vpc_tags(&ctx, "pr-42").await.is_some());

    // The next push makes it expire in a second; once it has, gc destroys it.
    p.gantry(&["-e", "pr-42", "up", "--from", "dev", "--ttl", "1s", "--yes"])
        .assert_code(0);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let gc = p.gantry(&["preview", "gc", "--yes"]);
    gc.assert_code(0);
    assert!(
        gc.stderr().contains("Preview pr-42 (from dev) expired"),
        "{}",
        gc.stderr()
    );
    let left = gantry_aws::inventory::stack_resources(&ctx, "prev", "pr-42")
        .await
        .unwrap();
    assert!(left.is_empty(), "the preview left {left:?}");
    assert!(vpc_tags(&ctx, "pr-42").await.is_none());
    let records = names(&ctx).await;
    assert!(
        !records.contains(&format!("app.pr-42.dev.{ZONE}.")),
        "{records:?}"
    );
    let rows = p.gantry(&["preview", "list", "--json"]).json();
    assert_eq!(rows.as_array().unwrap().len(), 0);

    // Dev untouched.
    assert!(records.contains(&format!("app.dev.{ZONE}.")), "{records:?}");
    assert!(vpc_tags(&ctx, "dev").await.is_some());
    let dev = gantry_aws::inventory::stack_resources(&ctx, "prev", "dev")
        .await
        .unwrap();
    assert!(!dev.is_empty());
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);

    p.gantry(&["destroy", "--yes"]).assert_code(0);
}
