//! The API Gateway front door (seed 004, `examples/saas-platform.yaml`):
//! the HTTP API, its VPC link, private integrations to the internal load
//! balancer's listener, routes, the `$default` stage, the custom domain
//! with its certificate, mapping and alias record, and the security groups
//! that make the API the only way to the internal load balancer.

use gantry_architect::architect;
use gantry_core::{reference, Address, DesiredGraph};
use gantry_model::Model;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const SAAS: &str = include_str!("../../../examples/saas-platform.yaml");

fn model(text: &str, env: &str) -> Model {
    let spec = gantry_spec::parse_str("gantry.yaml", text).unwrap();
    Model::build(&spec, env).unwrap()
}

fn graph(text: &str, env: &str) -> DesiredGraph {
    architect(&model(text, env)).unwrap()
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

fn api_kinds(g: &DesiredGraph) -> BTreeMap<String, Value> {
    let mut out = of_kinds(
        g,
        &[
            "apigw_api",
            "apigw_vpc_link",
            "apigw_integration",
            "apigw_route",
            "apigw_stage",
            "apigw_domain_name",
            "apigw_api_mapping",
        ],
    );
    for a in [
        "security_group.apigw-link",
        "security_group.alb-internal",
        "lb.internal",
        "lb_listener.internal-http",
        "log_group.api_access",
        "acm_certificate.api_domain",
        "acm_certificate_validation.api_domain",
        "route53_record.api-dev-example-com-a",
    ] {
        if has(g, a) {
            out.insert(a.to_string(), props(g, a));
        }
    }
    out
}

#[test]
fn snapshot_saas_platform_api_dev() {
    insta::assert_json_snapshot!("saas_platform_api_dev", api_kinds(&graph(SAAS, "dev")));
}

#[test]
fn saas_platform_architects_in_dev_and_prod() {
    for env in ["dev", "prod"] {
        let g = graph(SAAS, env);
        g.topo_order().unwrap();
        assert!(has(&g, "db_instance.db") && has(&g, "s3_bucket.documents"));
        assert!(has(&g, "efs_file_system.uploads"));
    }
    let host = |env| props(&graph(SAAS, env), "apigw_domain_name.main")["domain_name"].clone();
    assert_eq!(host("dev"), json!("api.dev.example.com"));
    assert_eq!(host("prod"), json!("api.example.com"));
    let web = |env| props(&graph(SAAS, env), "acm_certificate.main")["domain_name"].clone();
    assert_eq!(web("dev"), json!("dev.example.com"));
    assert_eq!(web("prod"), json!("example.com"));
    let stage = props(&graph(SAAS, "prod"), "apigw_stage.default");
    assert_eq!(stage["throttling_rate_limit"], json!(500.0));
    assert_eq!(stage["throttling_burst_limit"], json!(1000));
    // HTTP APIs cannot have a WAF: the plan says so.
    let w = model(SAAS, "dev").warnings();
    assert!(w.iter().any(|w| w.contains("HTTP API has no WAF")), "{w:?}");
    let off = SAAS.replace(
        "api:\n  lb: internal",
        "waf: {enabled: false}\napi:\n  lb: internal",
    );
    let w = model(&off, "dev").warnings();
    assert!(!w.iter().any(|w| w.contains("HTTP API")), "{w:?}");
}

#[test]
fn one_private_integration_and_route_per_service() {
    let g = graph(SAAS, "dev");
    let routes = of_kinds(&g, &["apigw_route"]);
    let keys: Vec<&str> = routes
        .values()
        .map(|r| r["route_key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 2, "{routes:#?}");
    assert!(keys.contains(&"ANY /orders/{proxy+}") && keys.contains(&"ANY /users/{proxy+}"));
    for svc in ["orders", "users"] {
        let i = props(&g, &format!("apigw_integration.{svc}"));
        assert_eq!(i["integration_type"], json!("HTTP_PROXY"));
        assert_eq!(i["connection_type"], json!("VPC_LINK"));
        assert_eq!(i["connection_id"], json!(r("apigw_vpc_link.main", "id")));
        assert_eq!(
            i["integration_uri"],
            json!(r("lb_listener.internal-http", "arn"))
        );
        assert!(routes
            .values()
            .any(|x| x["integration_id"] == json!(r(&format!("apigw_integration.{svc}"), "id"))));
    }
    // The web frontend is on the public load balancer, not the API.
    assert!(!has(&g, "apigw_integration.web"));
    let lb = props(&g, "lb.internal");
    assert_eq!(lb["internal"], json!(true));
    let link = props(&g, "apigw_vpc_link.main");
    assert_eq!(
        link["subnet_ids"],
        json!([r("subnet.private-a", "id"), r("subnet.private-b", "id")])
    );
    assert_eq!(
        link["security_group_ids"],
        json!([r("security_group.apigw-link", "id")])
    );
}

#[test]
fn the_internal_load_balancer_admits_only_the_vpc_link() {
    let g = graph(SAAS, "dev");
    let sg = props(&g, "security_group.alb-internal");
    assert_eq!(
        sg["ingress"],
        json!([{
            "protocol": "tcp", "from_port": 80, "to_port": 80,
            "source_security_group_id": r("security_group.apigw-link", "id"),
            "description": "HTTP from the API Gateway VPC link only",
        }])
    );
    // Services get no LB_INTERNAL_HOST: they cannot reach it.
    let td = props(&g, "ecs_task_definition.web");
    assert!(td["containers"][0]["environment"]
        .get("LB_INTERNAL_HOST")
        .is_none());
    // The services admit the internal load balancer on their port.
    let orders = props(&g, "security_group.svc-orders");
    assert_eq!(
        orders["ingress"][0]["source_security_group_id"],
        json!(r("security_group.alb-internal", "id"))
    );
}

#[test]
fn stage_logs_and_throttles_and_the_domain_is_aliased() {
    let g = graph(SAAS, "dev");
    let stage = props(&g, "apigw_stage.default");
    assert_eq!(stage["name"], json!("$default"));
    assert_eq!(stage["auto_deploy"], json!(true));
    assert_eq!(
        stage["access_log_destination_arn"],
        json!(r("log_group.api_access", "arn"))
    );
    assert_eq!(stage["throttling_rate_limit"], json!(100.0));
    assert_eq!(stage["throttling_burst_limit"], json!(200));
    assert_eq!(
        props(&g, "log_group.api_access")["name"],
        json!("/gantry/saas/dev/api-gateway/access")
    );
    let d = props(&g, "apigw_domain_name.main");
    assert_eq!(d["endpoint_type"], json!("REGIONAL"));
    assert_eq!(d["security_policy"], json!("TLS_1_2"));
    assert_eq!(
        d["certificate_arn"],
        json!(r(
            "acm_certificate_validation.api_domain",
            "certificate_arn"
        ))
    );
    let cert = props(&g, "acm_certificate.api_domain");
    assert_eq!(cert["domain_name"], json!("api.dev.example.com"));
    let m = props(&g, "apigw_api_mapping.main");
    assert_eq!(m["stage"], json!(r("apigw_stage.default", "name")));
    assert_eq!(
        m["domain_name"],
        json!(r("apigw_domain_name.main", "domain_name"))
    );
    let rec = props(&g, "route53_record.api-dev-example-com-a");
    assert_eq!(
        rec["alias"],
        json!({
            "dns_name": r("apigw_domain_name.main", "regional_domain_name"),
            "zone_id": r("apigw_domain_name.main", "regional_hosted_zone_id"),
            "evaluate_target_health": false,
        })
    );
    assert!(!has(&g, "route53_record.api-dev-example-com-aaaa"));
    // With a custom domain, it is the only way in.
    assert_eq!(
        props(&g, "apigw_api.main")["disable_execute_api_endpoint"],
        json!(true)
    );
}

#[test]
fn without_a_host_the_api_answers_on_execute_api() {
    let text = SAAS.replace("  host: api.example.com\n", "");
    let g = graph(&text, "dev");
    assert!(!has(&g, "apigw_domain_name.main") && !has(&g, "acm_certificate.api_domain"));
    assert_eq!(
        props(&g, "apigw_api.main")["disable_execute_api_endpoint"],
        json!(false)
    );
    assert!(has(&g, "apigw_stage.default"));
}

#[test]
fn efs_volume_is_mounted_in_orders() {
    let g = graph(SAAS, "dev");
    let td = props(&g, "ecs_task_definition.orders");
    assert_eq!(
        td["containers"][0]["mount_points"],
        json!([{"source_volume": "uploads", "container_path": "/app/uploads", "read_only": false}])
    );
    for az in ["a", "b"] {
        assert!(has(&g, &format!("efs_mount_target.uploads-{az}")));
    }
    let ap = props(&g, "efs_access_point.uploads");
    assert_eq!(
        (ap["posix_uid"].clone(), ap["posix_gid"].clone()),
        (json!(1000), json!(1000))
    );
    assert_eq!(ap["root_path"], json!("/uploads"));
}
