//! Diagnostics of `api` (an API Gateway HTTP API in front of an internal
//! load balancer): message, hint and `line:col` are asserted exactly.

use gantry_spec::parse_str;
mod common;
use common::*;

const BASE: &str = "name: saas
region: us-east-1
domain:
  zone: example.com
load_balancers:
  main:
    hosts: [example.com]
  internal:
    public: false
api:
  lb: internal
  host: api.example.com
  rate_limit: 100
services:
  web:
    containers:
      app:
        image: nginx:1.27
        port: 8080
        routes: [/*]
  orders:
    containers:
      app:
        image: python:3.12
        port: 8080
        routes:
          - {path: /orders/*, lb: internal}
          - {path: /health, lb: internal}
environments:
  prod:
    api: {rate_limit: 500, burst_limit: 1000}
";

#[test]
fn base_is_valid_and_overlays_merge() {
    let spec = parse_str("gantry.yaml", BASE).unwrap();
    assert_eq!(gantry_spec::api::api_lb(&spec), Some("internal"));
    let prod = spec.for_env("prod").unwrap();
    let api = prod.api.as_ref().unwrap();
    assert_eq!(api.rate_limit.as_ref().unwrap().value, 500);
    assert_eq!(api.burst_limit.as_ref().unwrap().value, 1000);
    assert_eq!(api.host.as_ref().unwrap().value, "api.example.com");
}

#[test]
fn the_only_internal_load_balancer_is_the_default() {
    let spec = parse_str("gantry.yaml", &BASE.replace("  lb: internal\n", "")).unwrap();
    assert_eq!(gantry_spec::api::api_lb(&spec), Some("internal"));
}

#[test]
fn unknown_load_balancer() {
    let p = one(
        &BASE.replace("lb: internal\n  host", "lb: internl\n  host"),
        11,
        7,
        "`api.lb` names unknown load balancer `internl`",
    );
    assert!(hint(&p).contains("did you mean `internal`?"), "{p}");
}

#[test]
fn public_load_balancer_is_refused() {
    let text = BASE.replace("lb: internal\n  host", "lb: main\n  host");
    let p = problems(&text)
        .into_iter()
        .find(|p| p.message.contains("internet-facing"))
        .expect("a problem about the public load balancer");
    assert_eq!((p.line, p.column), (11, 7));
    assert!(hint(&p).contains("public: false"), "{p}");
}

#[test]
fn load_balancer_with_hosts_is_refused() {
    let text = BASE.replace(
        "  internal:\n    public: false\n",
        "  internal:\n    public: false\n    hosts: [inside.example.com]\n",
    );
    let p = one(
        &text,
        10,
        13,
        "the API's load balancer `internal` has hosts",
    );
    assert!(hint(&p).contains("remove `hosts`"), "{p}");
}

#[test]
fn routes_api_gateway_cannot_express() {
    let text = BASE.replace(
        "{path: /health, lb: internal}",
        "{path: /hooks*, lb: internal}",
    );
    let p = one(
        &text,
        28,
        13,
        "route `/hooks*` cannot be an API Gateway route",
    );
    assert!(hint(&p).contains("`/orders/*`"), "{p}");
}

#[test]
fn routes_with_hosts_are_refused() {
    let text = BASE.replace(
        "{path: /health, lb: internal}",
        "{path: /health, lb: internal, host: api.example.com}",
    );
    let ps = problems(&text);
    let p = ps
        .iter()
        .find(|p| p.message.contains("names a host"))
        .unwrap_or_else(|| panic!("{ps:#?}"));
    assert_eq!((p.line, p.column), (28, 13));
}

#[test]
fn host_must_be_in_the_zone_and_not_a_load_balancer_host() {
    let p = one(
        &BASE.replace("host: api.example.com", "host: api.example.org"),
        12,
        9,
        "API host `api.example.org` is outside the zone `example.com`",
    );
    assert!(hint(&p).contains(".example.com"), "{p}");
    one(
        &BASE.replace("host: api.example.com", "host: example.com"),
        12,
        9,
        "API host `example.com` is also a host of load balancer `main`",
    );
}

#[test]
fn limits_out_of_range() {
    let p = one(
        &BASE.replace("rate_limit: 100", "rate_limit: 0"),
        13,
        15,
        "API rate limit 0 is out of range",
    );
    assert_eq!(hint(&p), "use 1 to 10000 requests per second");
    // An overlay's value is reported at the overlay's line.
    one(
        &BASE.replace("burst_limit: 1000", "burst_limit: 9000"),
        31,
        41,
        "API burst limit 9000 is out of range",
    );
}

#[test]
fn no_route_uses_the_load_balancer() {
    let text = BASE
        .replace("          - {path: /orders/*, lb: internal}\n", "")
        .replace(
            "          - {path: /health, lb: internal}\n",
            "          - /orders/*\n",
        );
    let p = one(
        &text,
        11,
        7,
        "no route uses the API's load balancer `internal`",
    );
    assert!(hint(&p).contains("lb: internal"), "{p}");
}

#[test]
fn overlay_without_api() {
    let text = BASE.replace(
        "api:\n  lb: internal\n  host: api.example.com\n  rate_limit: 100\n",
        "",
    );
    one(
        &text,
        27,
        23,
        "environment `prod` sets API keys without `api`",
    );
}

#[test]
fn schema_has_the_api_keys() {
    let s = gantry_spec::json_schema();
    assert!(s["properties"].as_object().unwrap().contains_key("api"));
}
