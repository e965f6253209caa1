//! The edge: domains, certificates, HTTPS listeners, redirects, alias
//! records, WAF, several load balancers and stable rule priorities.

use gantry_architect::architect;
use gantry_core::{reference, Address, DesiredGraph};
use gantry_model::Model;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const AGENTS: &str = include_str!("../../../examples/agent-platform.yaml");

/// Seed 003 with two load balancers: a public frontend and an internal
/// backend the frontend calls from inside the VPC; the backend also answers
/// on a public host of the frontend's load balancer for `/api/*`.
const TWO_LBS: &str = "name: review
region: ca-central-1
domain:
  zone: example.com
load_balancers:
  main:
    hosts: [example.com, api.example.com]
  backend:
    public: false
services:
  frontend:
    containers:
      web:
        image: node:22-alpine
        port: 3000
        routes: [\"/*\"]
  backend:
    containers:
      api:
        image: python:3.12-alpine
        port: 8000
        routes:
          - {path: \"/*\", lb: backend}
          - {path: \"/*\", host: api.example.com}
          - {path: \"/stream/*\", host: api.example.com, sse: true}
environments:
  dev:
    domain: {subdomain: dev}
  prod: {}
";

fn graph(text: &str, env: &str) -> DesiredGraph {
    architect(&model(text, env)).unwrap()
}

fn model(text: &str, env: &str) -> Model {
    let spec = gantry_spec::parse_str("gantry.yaml", text).unwrap();
    Model::build(&spec, env).unwrap()
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

const EDGE_KINDS: &[&str] = &[
    "lb",
    "lb_listener",
    "lb_listener_rule",
    "lb_target_group",
    "route53_zone",
    "route53_zone_lookup",
    "route53_record",
    "acm_certificate",
    "acm_certificate_validation",
    "wafv2_ip_set",
    "wafv2_web_acl",
    "wafv2_web_acl_association",
];

#[test]
fn snapshot_agent_platform_edge_dev() {
    insta::assert_json_snapshot!(
        "agent_platform_edge_dev",
        of_kinds(&graph(AGENTS, "dev"), EDGE_KINDS)
    );
}

#[test]
fn agent_platform_architects_in_dev_and_prod() {
    for env in ["dev", "prod"] {
        let g = graph(AGENTS, env);
        g.topo_order().unwrap();
        assert!(has(&g, "dynamodb_table.sessions"));
        assert!(model(AGENTS, env).warnings().is_empty(), "{env}");
    }
    let host = |env| props(&graph(AGENTS, env), "acm_certificate.main")["domain_name"].clone();
    assert_eq!(host("dev"), json!("agents.dev.example.com"));
    assert_eq!(host("prod"), json!("agents.example.com"));
}

#[test]
fn https_with_redirect_and_issued_certificate() {
    let g = graph(AGENTS, "dev");
    assert!(has(&g, "route53_zone.main"));
    assert!(!has(&g, "route53_zone_lookup.main"));
    let http = props(&g, "lb_listener.http");
    assert_eq!(
        http["default_action"],
        json!({"type": "redirect", "protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"})
    );
    let https = props(&g, "lb_listener.https");
    assert_eq!(https["port"], json!(443));
    assert_eq!(https["protocol"], json!("HTTPS"));
    assert_eq!(
        https["ssl_policy"],
        json!("ELBSecurityPolicy-TLS13-1-2-2021-06")
    );
    // The validation's output, not the certificate's: it waits for ISSUED.
    assert_eq!(
        https["certificate_arn"],
        json!(r("acm_certificate_validation.main", "certificate_arn"))
    );
    assert_eq!(
        https["default_action"]["target_group_arn"],
        json!(r("lb_target_group.web-app", "arn"))
    );
    let v = props(&g, "acm_certificate_validation.main");
    assert_eq!(v["zone_id"], json!(r("route53_zone.main", "id")));
    let rec = props(&g, "route53_record.agents-dev-example-com-a");
    assert_eq!(rec["name"], json!("agents.dev.example.com"));
    assert_eq!(rec["alias"]["dns_name"], json!(r("lb.main", "dns_name")));
    assert_eq!(rec["alias"]["zone_id"], json!(r("lb.main", "zone_id")));
    assert_eq!(rec["alias"]["evaluate_target_health"], json!(true));
    // The load balancer is IPv4-only: an AAAA alias would answer NODATA.
    assert!(!has(&g, "route53_record.agents-dev-example-com-aaaa"));
    // The load balancer still admits 80 (to redirect) and 443.
    let sg = props(&g, "security_group.alb");
    let ports: Vec<i64> = sg["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["from_port"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, vec![80, 80, 443, 443]);
}

#[test]
fn mercure_rule_forwards_to_the_hub_port_and_streams() {
    let g = graph(AGENTS, "dev");
    let rules = of_kinds(&g, &["lb_listener_rule"]);
    assert_eq!(rules.len(), 1, "{rules:#?}");
    let rule = rules.values().next().unwrap();
    assert_eq!(rule["path_patterns"], json!(["/.well-known/mercure*"]));
    assert_eq!(rule["listener_arn"], json!(r("lb_listener.https", "arn")));
    assert_eq!(
        rule["target_group_arn"],
        json!(r("lb_target_group.web-mercure", "arn"))
    );
    assert_eq!(
        props(&g, "lb_target_group.web-mercure")["port"],
        json!(3701)
    );
    assert_eq!(props(&g, "lb.main")["idle_timeout_seconds"], json!(3600));
    // The ECS service registers both routed containers.
    let svc = props(&g, "ecs_service.web");
    let ports: Vec<i64> = svc["load_balancers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["container_port"].as_i64().unwrap())
        .collect();
    let mut ports = ports;
    ports.sort();
    assert_eq!(ports, vec![3701, 8080]);
}

#[test]
fn waf_acl_with_chosen_rules_and_rate_limit() {
    let g = graph(AGENTS, "dev");
    let acl = props(&g, "wafv2_web_acl.main");
    assert_eq!(acl["scope"], json!("REGIONAL"));
    let names: Vec<&str> = acl["managed_rule_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "AWSManagedRulesCommonRuleSet",
            "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesAmazonIpReputationList"
        ]
    );
    assert_eq!(acl["rate_limit"], json!(2000));
    let assoc = props(&g, "wafv2_web_acl_association.main");
    assert_eq!(assoc["web_acl_arn"], json!(r("wafv2_web_acl.main", "arn")));
    assert_eq!(assoc["resource_arn"], json!(r("lb.main", "arn")));
}

#[test]
fn waf_ip_sets_and_turning_it_off() {
    let text = AGENTS.replace(
        "  rate_limit: 2000\n",
        "  rate_limit: 0\n  allow_ips: [203.0.113.0/24]\n  deny_ips: [198.51.100.7/32]\n",
    );
    let g = graph(&text, "dev");
    let acl = props(&g, "wafv2_web_acl.main");
    assert!(acl.get("rate_limit").is_none());
    assert_eq!(
        acl["allow_ip_set_arn"],
        json!(r("wafv2_ip_set.allow", "arn"))
    );
    assert_eq!(acl["deny_ip_set_arn"], json!(r("wafv2_ip_set.deny", "arn")));
    assert_eq!(
        props(&g, "wafv2_ip_set.deny")["addresses"],
        json!(["198.51.100.7/32"])
    );

    let off = AGENTS.replace("waf:\n", "waf:\n  enabled: false\n");
    let g = graph(&off, "dev");
    assert!(of_kinds(&g, &["wafv2_web_acl", "wafv2_web_acl_association"]).is_empty());
    let w = model(&off, "dev").warnings();
    assert!(w.iter().any(|x| x.contains("no WAF")), "{w:?}");
}

#[test]
fn without_a_domain_plain_http_and_a_warning() {
    let text = AGENTS
        .replace("domain:\n  zone: example.com\n  create_zone: true\n", "")
        .replace(
            "load_balancers:\n  main:\n    hosts: [agents.example.com]\n",
            "",
        )
        .replace("    domain:\n      subdomain: dev\n", "    {}\n");
    let g = graph(&text, "dev");
    assert!(!has(&g, "lb_listener.https"));
    assert!(of_kinds(&g, &["acm_certificate", "route53_record", "route53_zone"]).is_empty());
    let http = props(&g, "lb_listener.http");
    assert_eq!(http["port"], json!(80));
    assert_eq!(http["default_action"]["type"], json!("forward"));
    let w = model(&text, "dev").warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("plain HTTP"), "{w:?}");
    // The WAF stays on without a domain.
    assert!(has(&g, "wafv2_web_acl.main"));
}

#[test]
fn a_domain_alone_serves_the_apex_of_the_zone() {
    let text = "name: shop
region: us-east-1
domain: {zone: example.com}
services:
  web:
    containers:
      app: {image: nginx, port: 8080, routes: [\"/*\"]}
";
    let g = graph(text, "dev");
    assert!(has(&g, "route53_zone_lookup.main"));
    assert_eq!(
        props(&g, "acm_certificate.main")["domain_name"],
        json!("example.com")
    );
    assert!(has(&g, "route53_record.example-com-a"));
}

#[test]
fn two_load_balancers_chain_security_groups() {
    let g = graph(TWO_LBS, "dev");
    let backend = props(&g, "lb.backend");
    assert_eq!(backend["internal"], json!(true));
    let private: Vec<String> = ["a", "b"]
        .iter()
        .map(|s| r(&format!("subnet.private-{s}"), "id"))
        .collect();
    assert_eq!(backend["subnet_ids"], json!(private));
    assert_eq!(
        backend["security_group_ids"],
        json!([r("security_group.alb-backend", "id")])
    );
    // The internal ALB admits the VPC only, and has no WAF nor HTTPS.
    let sg = props(&g, "security_group.alb-backend");
    for rule in sg["ingress"].as_array().unwrap() {
        assert_eq!(rule["cidr_ipv4"], json!("10.0.0.0/16"));
    }
    assert!(!has(&g, "wafv2_web_acl.backend"));
    assert!(has(&g, "wafv2_web_acl.main"));
    assert!(!has(&g, "lb_listener.backend-https"));
    assert!(has(&g, "lb_listener.backend-http"));
    // The backend admits both load balancers; the frontend only the public one.
    let sources = |addr: &str| -> Vec<String> {
        props(&g, addr)["ingress"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["source_security_group_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        sources("security_group.svc-backend"),
        vec![
            r("security_group.alb-backend", "id"),
            r("security_group.alb", "id")
        ]
    );
    assert_eq!(
        sources("security_group.svc-frontend"),
        vec![r("security_group.alb", "id")]
    );
    // One target group per (service, container, load balancer).
    assert!(has(&g, "lb_target_group.backend-api"));
    assert!(has(&g, "lb_target_group.backend-api-backend"));
    assert_eq!(
        props(&g, "lb_listener.backend-http")["default_action"]["target_group_arn"],
        json!(r("lb_target_group.backend-api-backend", "arn"))
    );
    // The host rule carries the environment's host name.
    let rules = of_kinds(&g, &["lb_listener_rule"]);
    let hosts: Vec<&Value> = rules.values().map(|x| &x["host_headers"]).collect();
    assert!(
        hosts.iter().all(|h| *h == &json!(["api.dev.example.com"])),
        "{hosts:?}"
    );
    let cert = props(&g, "acm_certificate.main");
    assert_eq!(cert["domain_name"], json!("dev.example.com"));
    assert_eq!(
        cert["subject_alternative_names"],
        json!(["api.dev.example.com"])
    );
    // The SSE route only raises the public load balancer's idle timeout.
    assert_eq!(props(&g, "lb.main")["idle_timeout_seconds"], json!(3600));
    assert_eq!(props(&g, "lb.backend")["idle_timeout_seconds"], json!(60));
    // Every container learns the internal load balancer's host name.
    let td = props(&g, "ecs_task_definition.frontend");
    assert_eq!(
        td["containers"][0]["environment"]["LB_BACKEND_HOST"],
        json!(r("lb.backend", "dns_name"))
    );
    g.topo_order().unwrap();
    assert!(graph(TWO_LBS, "prod")
        .get(&Address::new("route53_record.api-example-com-a"))
        .is_some());
}

fn priorities(g: &DesiredGraph) -> BTreeMap<String, i64> {
    of_kinds(g, &["lb_listener_rule"])
        .into_iter()
        .map(|(k, v)| (k, v["priority"].as_i64().unwrap()))
        .collect()
}

#[test]
fn rule_priorities_stay_when_routes_are_added_elsewhere() {
    let before = priorities(&graph(TWO_LBS, "dev"));
    assert_eq!(before.len(), 2, "{before:?}");
    let more = TWO_LBS.replace(
        "        routes: [\"/*\"]\n",
        "        routes:\n          - \"/*\"\n          - \"/static/*\"\n          - {path: \"/admin/*\", host: api.example.com}\n          - {path: \"/docs/*\", host: example.com}\n",
    );
    let after = priorities(&graph(&more, "dev"));
    assert_eq!(after.len(), 5, "{after:?}");
    for (addr, p) in &before {
        assert_eq!(after.get(addr), Some(p), "{addr} moved");
    }
    let unique: std::collections::BTreeSet<_> = after.values().collect();
    assert_eq!(unique.len(), after.len());
    // A host rule outranks a path-only rule of similar specificity.
    let of = |slug: &str| {
        after
            .iter()
            .find(|(k, _)| k.contains(slug))
            .map(|(_, v)| *v)
            .unwrap()
    };
    assert!(of("api-dev-example-com-admin") < of("lb_listener_rule.static"));
}
