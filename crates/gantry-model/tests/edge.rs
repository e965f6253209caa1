//! Defaults and overlays of the edge: load balancers, hosts per
//! environment, idle timeouts, the WAF.

use gantry_model::{Model, WafRule, DEFAULT_WAF_RULES};
use gantry_spec::edge::expand_host;

const SPEC: &str = "name: shop
region: us-east-1
domain: {zone: example.com}
load_balancers:
  main:
    hosts: [example.com, api.example.com]
  backend:
    public: false
    idle_timeout: 120
services:
  web:
    containers:
      app:
        image: nginx
        port: 8080
        routes:
          - /*
          - {path: /events, sse: true}
          - {path: /internal/*, lb: backend}
environments:
  dev:
    domain: {subdomain: dev}
  prod:
    waf: {rate_limit: 0, rules: [sql-injection]}
    load_balancers:
      main:
        hosts: [shop.example.com]
";

fn model(text: &str, env: &str) -> Model {
    Model::build(&gantry_spec::parse_str("gantry.yaml", text).unwrap(), env).unwrap()
}

#[test]
fn hosts_follow_the_environment() {
    let dev = model(SPEC, "dev");
    let main = dev.load_balancer("main").unwrap();
    assert_eq!(main.hosts, ["dev.example.com", "api.dev.example.com"]);
    assert!(dev.is_https(main));
    let prod = model(SPEC, "prod");
    assert_eq!(
        prod.load_balancer("main").unwrap().hosts,
        ["shop.example.com"]
    );
    assert_eq!(
        expand_host("example.com", "example.com", Some("dev")),
        "dev.example.com"
    );
    assert_eq!(
        expand_host("a.b.example.com", "example.com", Some("x")),
        "a.b.x.example.com"
    );
    assert_eq!(
        expand_host("a.example.com", "example.com", None),
        "a.example.com"
    );
}

#[test]
fn load_balancer_defaults_and_idle_timeouts() {
    let dev = model(SPEC, "dev");
    let main = dev.load_balancer("main").unwrap();
    assert!(main.public && main.waf);
    assert_eq!(main.idle_timeout, 3600, "raised by the sse route");
    let backend = dev.load_balancer("backend").unwrap();
    assert!(!backend.public && !backend.waf);
    assert_eq!(backend.idle_timeout, 120);
    assert!(backend.hosts.is_empty());
    let routes = &dev.services[0].containers[0].routes;
    assert_eq!(routes[0].lb, "main");
    assert_eq!(routes[2].lb, "backend");
    assert!(routes[1].sse);
}

#[test]
fn waf_defaults_and_overlay() {
    let dev = model(SPEC, "dev");
    let waf = dev.waf.as_ref().unwrap();
    assert_eq!(waf.rules, DEFAULT_WAF_RULES);
    assert_eq!(waf.rate_limit, Some(2000));
    let prod = model(SPEC, "prod");
    let waf = prod.waf.as_ref().unwrap();
    assert_eq!(waf.rules, [WafRule::SqlInjection]);
    assert_eq!(waf.rate_limit, None);
    assert_eq!(
        WafRule::SqlInjection.aws_name(),
        "AWSManagedRulesSQLiRuleSet"
    );
}

#[test]
fn without_load_balancers_one_public_main() {
    let text = "name: shop
region: us-east-1
services:
  web:
    containers:
      app: {image: nginx, port: 8080, routes: [/*]}
";
    let m = model(text, "dev");
    assert_eq!(m.load_balancers.len(), 1);
    let main = &m.load_balancers[0];
    assert_eq!(
        (main.name.as_str(), main.public, main.idle_timeout),
        ("main", true, 60)
    );
    assert!(main.hosts.is_empty() && m.domain.is_none());
    assert_eq!(m.warnings().len(), 1);
    // No routes, no load balancer, nothing to warn about.
    let m = model(&text.replace(", routes: [/*]", ""), "dev");
    assert!(m.load_balancers.is_empty() && m.warnings().is_empty());
}
