//! Operating the app: alerts (an encrypted topic, email subscriptions and a
//! default alarm for each thing the stack has, with overridable
//! thresholds), the dashboard, and autoscaling (scalable target, target
//! tracking, schedules, and a desired count left to the scaler).

use gantry_architect::architect;
use gantry_core::{reference, Address, DesiredGraph};
use gantry_model::Model;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const ASTRO: &str = include_str!("../../../examples/astro.yaml");
const AGENTS: &str = include_str!("../../../examples/agent-platform.yaml");
const SAAS: &str = include_str!("../../../examples/saas-platform.yaml");
const FASTAPI_RDS: &str = include_str!("../../../examples/fastapi-rds.yaml");
const REVIEWGUIDE: &str = include_str!("../../../examples/reviewguide.yaml");

/// Seed 001 outside us-east-1 (a load balancer, a service, PostgreSQL,
/// Redis and a CloudFront site) with alerts and two thresholds of its own.
fn astro_alerts() -> String {
    format!(
        "{ASTRO}\nalerts:\n  email: [ops@example.com, oncall@example.com]\n  thresholds: {{cpu: 70, db_connections: 50}}\n"
    )
}

fn model(text: &str, env: &str) -> Model {
    let spec = gantry_spec::parse_str("gantry.yaml", text).unwrap();
    Model::build(&spec, env).unwrap()
}

fn graph(text: &str, env: &str) -> DesiredGraph {
    let g = architect(&model(text, env)).unwrap();
    g.topo_order().unwrap();
    g
}

fn props(g: &DesiredGraph, addr: &str) -> Value {
    let r = g
        .get(&Address::new(addr))
        .unwrap_or_else(|| panic!("no {addr}"));
    Value::Object(r.props.clone())
}

fn has(g: &DesiredGraph, addr: &str) -> bool {
    g.get(&Address::new(addr)).is_some()
}

fn r(addr: &str, attr: &str) -> String {
    reference(&Address::new(addr), attr)
}

fn of_kinds(g: &DesiredGraph, kinds: &[&str]) -> BTreeMap<String, Value> {
    g.resources
        .values()
        .filter(|x| kinds.contains(&x.kind.as_str()))
        .map(|x| (x.address.to_string(), Value::Object(x.props.clone())))
        .collect()
}

/// The alarms by address name.
fn alarms(g: &DesiredGraph) -> BTreeMap<String, Value> {
    of_kinds(g, &["cloudwatch_metric_alarm"])
        .into_iter()
        .map(|(a, p)| {
            (
                a.trim_start_matches("cloudwatch_metric_alarm.").to_string(),
                p,
            )
        })
        .collect()
}

const OPS_KINDS: &[&str] = &[
    "kms_key",
    "sns_topic",
    "sns_topic_subscription",
    "cloudwatch_metric_alarm",
    "cloudwatch_dashboard",
];

#[test]
fn snapshot_astro_alerts_dev() {
    insta::assert_json_snapshot!(
        "astro_alerts_dev",
        of_kinds(&graph(&astro_alerts(), "dev"), OPS_KINDS)
    );
}

#[test]
fn every_thing_the_stack_has_is_watched_with_its_threshold() {
    let g = graph(&astro_alerts(), "dev");
    let a = alarms(&g);
    let names: Vec<&str> = a.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "cdn-site-5xx-rate",
            "db-db-connections",
            "db-db-cpu",
            "db-db-free-storage",
            "lb-main-elb-5xx",
            "lb-main-response-time",
            "lb-main-target-5xx",
            "redis-cache-001-cpu",
            "redis-cache-001-memory",
            "svc-api-cpu",
            "svc-api-memory",
            "svc-api-running",
            "tg-api-app-unhealthy",
        ]
    );
    let threshold = |k: &str| a[k]["threshold"].as_f64().unwrap();
    // Written in the spec.
    assert_eq!(threshold("svc-api-cpu"), 70.0);
    assert_eq!(threshold("db-db-connections"), 50.0);
    // Defaults.
    assert_eq!(threshold("svc-api-memory"), 80.0);
    assert_eq!(threshold("lb-main-target-5xx"), 10.0);
    assert_eq!(threshold("lb-main-response-time"), 2.0);
    assert_eq!(
        threshold("db-db-free-storage"),
        2.0 * 1024.0 * 1024.0 * 1024.0
    );
    assert_eq!(a["lb-main-response-time"]["metric"]["stat"], "p95");
    assert_eq!(
        a["db-db-free-storage"]["comparison_operator"],
        "LessThanOrEqualToThreshold"
    );
    assert_eq!(
        a["svc-api-running"]["queries"][2]["expression"],
        "desired - running"
    );
    // Names carry the stack's prefix, which the topic policy admits.
    for (k, v) in &a {
        assert_eq!(v["name"], json!(format!("astro-dev-{k}")));
    }
    // CloudFront's alarm lives in us-east-1 and notifies a topic there; the
    // others the stack's topic. ALARM and OK both notify.
    for (k, v) in &a {
        let topic = if k.starts_with("cdn-") {
            assert_eq!(v["region"], "us-east-1");
            r("sns_topic.alerts-global", "arn")
        } else {
            assert!(v.get("region").is_none(), "{k}");
            r("sns_topic.alerts", "arn")
        };
        assert_eq!(v["alarm_actions"], json!([topic]), "{k}");
        assert_eq!(v["ok_actions"], json!([topic]), "{k}");
    }
}

#[test]
fn topics_are_encrypted_and_admit_only_the_stacks_alarms() {
    let g = graph(&astro_alerts(), "dev");
    let t = props(&g, "sns_topic.alerts");
    assert_eq!(
        t,
        json!({"name": "astro-dev-alerts", "kms_key_id": r("kms_key.main", "arn"), "alarm_name_prefix": "astro-dev-"})
    );
    assert_eq!(props(&g, "kms_key.main")["cloudwatch_alarms"], true);
    // SNS encrypts with keys of the topic's region: the us-east-1 topic has
    // a key of its own there.
    let t = props(&g, "sns_topic.alerts-global");
    assert_eq!(t["region"], "us-east-1");
    assert_eq!(t["kms_key_id"], json!(r("kms_key.alerts-global", "arn")));
    let k = props(&g, "kms_key.alerts-global");
    assert_eq!(
        (k["region"].as_str(), k["cloudwatch_alarms"].as_bool()),
        (Some("us-east-1"), Some(true))
    );
    // Each address subscribes to both, and must confirm.
    let subs = of_kinds(&g, &["sns_topic_subscription"]);
    assert_eq!(subs.len(), 4, "{subs:#?}");
    let s = g
        .get(&Address::new(
            "sns_topic_subscription.alerts-ops-example-com",
        ))
        .unwrap();
    assert_eq!(
        Value::Object(s.props.clone()),
        json!({"topic_arn": r("sns_topic.alerts", "arn"), "protocol": "email", "endpoint": "ops@example.com"})
    );
    assert!(s.note.as_deref().unwrap().contains("must confirm"));
    assert!(has(
        &g,
        "sns_topic_subscription.alerts-global-oncall-example-com"
    ));
}

#[test]
fn a_stack_in_us_east_1_has_one_topic() {
    let g = graph(AGENTS, "dev");
    assert!(has(&g, "sns_topic.alerts"));
    assert!(!has(&g, "sns_topic.alerts-global") && !has(&g, "kms_key.alerts-global"));
    let a = alarms(&g);
    assert!(a.contains_key("svc-web-running"), "{:?}", a.keys());
    assert!(
        a.keys()
            .all(|k| !k.starts_with("db-") && !k.starts_with("cdn-")),
        "{:?}",
        a.keys()
    );
}

#[test]
fn the_http_api_is_watched() {
    let g = graph(
        &format!("{SAAS}\nalerts:\n  email: [ops@example.com]\n  thresholds: {{api_5xx: 25}}\n"),
        "dev",
    );
    let a = alarms(&g);
    let api = &a["api-main-5xx"];
    assert_eq!(
        api["metric"]["dimensions"],
        json!({"ApiId": r("apigw_api.main", "id")})
    );
    assert_eq!(api["threshold"], 25.0);
}

#[test]
fn the_dashboard_graphs_every_watched_metric() {
    let g = graph(&astro_alerts(), "dev");
    let d = props(&g, "cloudwatch_dashboard.main");
    assert_eq!(d["name"], "astro-dev-main");
    let widgets = d["body"]["widgets"].as_array().unwrap();
    assert_eq!(widgets.len(), alarms(&g).len());
    let regions: Vec<&str> = widgets
        .iter()
        .map(|w| w["properties"]["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions.iter().filter(|r| **r == "us-east-1").count(), 1);
    assert!(regions
        .iter()
        .all(|r| *r == "us-east-1" || *r == "eu-central-1"));
    // With alerts, each graph draws its alarm's threshold.
    assert!(widgets
        .iter()
        .all(|w| w["properties"]["annotations"]["horizontal"][0]["label"] == "alarm"));
}

#[test]
fn alerts_and_the_dashboard_follow_the_environment() {
    let text = format!(
        "{}\nalerts:\n  email: [ops@example.com]\n",
        ASTRO.replace(
            "  dev:\n",
            "  dev:\n    alerts: {enabled: false}\n    dashboard: true\n"
        )
    );
    // Off in dev: no topic, no alarm, the key without CloudWatch's
    // statement; the dashboard asked for anyway, without threshold lines.
    let dev = graph(&text, "dev");
    assert!(of_kinds(
        &dev,
        &[
            "sns_topic",
            "sns_topic_subscription",
            "cloudwatch_metric_alarm"
        ]
    )
    .is_empty());
    assert!(props(&dev, "kms_key.main")
        .get("cloudwatch_alarms")
        .is_none());
    let widgets = props(&dev, "cloudwatch_dashboard.main")["body"]["widgets"].clone();
    assert!(widgets
        .as_array()
        .unwrap()
        .iter()
        .all(|w| w["properties"].get("annotations").is_none()));
    // On in prod, with the dashboard by default.
    let prod = graph(&text, "prod");
    assert!(has(&prod, "sns_topic.alerts") && has(&prod, "cloudwatch_dashboard.main"));
    // No alerts, no dashboard unless asked.
    assert!(of_kinds(&graph(ASTRO, "dev"), OPS_KINDS)
        .keys()
        .all(|k| k.starts_with("kms_key.")));
}

#[test]
fn scaling_leaves_the_desired_count_to_the_scaler() {
    let g = graph(REVIEWGUIDE, "dev");
    let svc = g.get(&Address::new("ecs_service.frontend")).unwrap();
    assert_eq!(svc.keep, ["desired_count"]);
    let note = svc.note.as_deref().unwrap();
    assert!(
        note.contains("Application Auto Scaling sets it") && note.contains("1 to 3 tasks"),
        "{note}"
    );
    assert_eq!(
        props(&g, "appautoscaling_target.frontend"),
        json!({
            "cluster_name": r("ecs_cluster.main", "name"),
            "service_name": r("ecs_service.frontend", "name"),
            "min_capacity": 1,
            "max_capacity": 3,
        })
    );
    // Requests per target count the service's own target group.
    let p = props(&g, "appautoscaling_policy.backend-requests");
    assert_eq!(p["metric"], "ALBRequestCountPerTarget");
    assert_eq!(p["target_value"], 300.0);
    assert_eq!(p["load_balancer_arn"], json!(r("lb.backend", "arn")));
    assert_eq!(
        p["target_group_arn"],
        json!(r("lb_target_group.backend-api-backend", "arn"))
    );
    // Production's bounds from the overlay.
    let prod = graph(REVIEWGUIDE, "prod");
    let t = props(&prod, "appautoscaling_target.backend");
    assert_eq!(
        (t["min_capacity"].as_i64(), t["max_capacity"].as_i64()),
        (Some(2), Some(8))
    );
    assert_eq!(props(&prod, "ecs_service.backend")["desired_count"], 2);
    // A service without scaling keeps the spec's count.
    let agents = graph(AGENTS, "dev");
    assert!(agents
        .get(&Address::new("ecs_service.web"))
        .unwrap()
        .keep
        .is_empty());
}

#[test]
fn off_hours_schedule_and_a_suspended_scaler_before_the_first_image() {
    let g = graph(FASTAPI_RDS, "dev");
    // The API is built and not yet deployed: scaling waits, suspended.
    assert_eq!(props(&g, "appautoscaling_target.api")["suspended"], true);
    let svc = g.get(&Address::new("ecs_service.api")).unwrap();
    assert_eq!(svc.keep, ["desired_count"]);
    assert!(
        svc.note
            .as_deref()
            .unwrap()
            .contains("autoscaling stays suspended"),
        "{:?}",
        svc.note
    );
    assert_eq!(
        props(&g, "appautoscaling_scheduled_action.api-evening"),
        json!({
            "resource_id": r("appautoscaling_target.api", "resource_id"),
            "name": "fastapi-rds-dev-api-evening",
            "schedule": "cron(0 20 ? * MON-FRI *)",
            "timezone": "Europe/Paris",
            "min_capacity": 0,
            "max_capacity": 0,
        })
    );
    assert_eq!(
        props(&g, "appautoscaling_scheduled_action.api-morning")["max_capacity"],
        4
    );
    // Production runs around the clock: no schedule.
    let prod = graph(FASTAPI_RDS, "prod");
    assert!(of_kinds(&prod, &["appautoscaling_scheduled_action"]).is_empty());
    assert_eq!(props(&prod, "appautoscaling_target.api")["min_capacity"], 2);
}
