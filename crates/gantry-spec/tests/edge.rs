//! Diagnostics of the edge keys (`domain`, `load_balancers`, `waf`, detailed
//! routes): message, hint and `line:col` are asserted exactly.

use gantry_spec::parse_str;
mod common;
use common::*;

const BASE: &str = "name: shop
region: us-east-1
domain:
  zone: example.com
load_balancers:
  main:
    hosts: [app.example.com]
  backend:
    public: false
waf:
  rules: [common, sql-injection]
  allow_ips: [203.0.113.0/24]
services:
  web:
    containers:
      app:
        image: nginx:1.27
        port: 8080
        routes:
          - /*
          - {path: /api/*, lb: backend}
          - {path: /admin/*, host: app.example.com, sse: true}
";

#[test]
fn base_is_valid() {
    let spec = parse_str("gantry.yaml", BASE).unwrap();
    let routes = &spec.services["web"].containers["app"].routes;
    assert_eq!(routes[1].lb(), Some("backend"));
    assert_eq!(routes[2].host(), Some("app.example.com"));
    assert!(routes[2].sse());
}

#[test]
fn host_outside_the_zone() {
    let p = one(
        &BASE
            .replace("[app.example.com]", "[app.example.org]")
            .replace(", host: app.example.com", ""),
        7,
        13,
        "host `app.example.org` is outside the zone `example.com`",
    );
    assert!(hint(&p).contains("`.example.com`"), "{p:?}");
}

#[test]
fn host_without_a_domain() {
    let text = BASE.replace("domain:\n  zone: example.com\n", "");
    let p = one(&text, 5, 13, "host `app.example.com` without a `domain`");
    assert!(hint(&p).contains("domain: {zone: example.com}"), "{p:?}");
}

#[test]
fn invalid_host_names() {
    let p = one(
        &BASE
            .replace("[app.example.com]", "[\"https://app.example.com\"]")
            .replace(", host: app.example.com", ""),
        7,
        13,
        "invalid host name",
    );
    assert!(hint(&p).contains("without scheme"), "{p:?}");
    let p = one(
        &BASE.replace("zone: example.com", "zone: example.com."),
        4,
        9,
        "invalid domain zone `example.com.`",
    );
    assert!(hint(&p).contains("trailing dot"), "{p:?}");
}

#[test]
fn unknown_load_balancer_in_a_route() {
    let p = one(
        &BASE.replace("lb: backend", "lb: bakend"),
        21,
        13,
        "route `/api/*` names unknown load balancer `bakend`",
    );
    assert!(hint(&p).starts_with("did you mean `backend`?"), "{p:?}");
}

#[test]
fn route_host_the_load_balancer_does_not_serve() {
    let p = one(
        &BASE.replace("host: app.example.com", "host: api.example.com"),
        22,
        13,
        "names host `api.example.com`, which load balancer `main` does not serve",
    );
    assert!(hint(&p).contains("`app.example.com`"), "{p:?}");
}

#[test]
fn unknown_waf_rule_group_suggests_the_closest() {
    let p = one(
        &BASE.replace("sql-injection", "sql-injections"),
        11,
        19,
        "unknown value `sql-injections`",
    );
    assert!(
        hint(&p).starts_with("did you mean `sql-injection`?"),
        "{p:?}"
    );
    assert!(hint(&p).contains("`known-bad-inputs`"), "{p:?}");
}

#[test]
fn bad_cidr_in_allow_ips() {
    let p = one(
        &BASE.replace("203.0.113.0/24", "203.0.113.0/33"),
        12,
        15,
        "invalid CIDR `203.0.113.0/33`",
    );
    assert!(hint(&p).contains("/32"), "{p:?}");
    let p = one(
        &BASE.replace("203.0.113.0/24", "203.0.113.9/24"),
        12,
        15,
        "host bits are set",
    );
    assert!(hint(&p).contains("`203.0.113.0/24`"), "{p:?}");
}

#[test]
fn rate_limit_and_idle_timeout_ranges() {
    one(
        &BASE.replace("  allow_ips:", "  rate_limit: 5\n  allow_ips:"),
        12,
        15,
        "WAF rate limit 5 is out of range",
    );
    one(
        &BASE.replace(
            "    public: false\n",
            "    public: false\n    idle_timeout: 5000\n",
        ),
        10,
        19,
        "idle timeout 5000 is out of range",
    );
}

#[test]
fn waf_on_an_internal_load_balancer() {
    let p = one(
        &BASE.replace("    public: false\n", "    public: false\n    waf: true\n"),
        10,
        10,
        "WAF on internal load balancer `backend`",
    );
    assert!(hint(&p).contains("public: true"), "{p:?}");
}

#[test]
fn several_load_balancers_without_main_need_lb_on_routes() {
    let text = BASE
        .replace(
            "  main:\n    hosts: [app.example.com]\n",
            "  front:\n    hosts: [app.example.com]\n",
        )
        .replace(
            "          - {path: /admin/*, host: app.example.com, sse: true}\n",
            "",
        );
    let p = one(
        &text,
        20,
        13,
        "route `/*` does not say which load balancer serves it",
    );
    assert!(hint(&p).contains("lb: NAME"), "{p:?}");
}

#[test]
fn conflicting_routes_per_load_balancer_and_host() {
    // The same path on another load balancer or host is fine...
    let ok = BASE.replace("{path: /api/*, lb: backend}", "{path: /*, lb: backend}");
    parse_str("gantry.yaml", &ok).unwrap();
    // ...but not twice on one.
    let text = BASE.replace("{path: /api/*, lb: backend}", "{path: /*, lb: main}");
    one(&text, 21, 13, "conflicting routes: `/*`");
}

#[test]
fn overlay_names_an_unknown_load_balancer() {
    let text = format!(
        "{BASE}environments:\n  prod:\n    load_balancers:\n      mian:\n        hosts: [shop.example.com]\n"
    );
    let p = one(
        &text,
        26,
        7,
        "environment `prod` names unknown load balancer `mian`",
    );
    assert!(hint(&p).starts_with("did you mean `main`?"), "{p:?}");
}

#[test]
fn subdomain_overlay_and_route_shape() {
    let text = format!("{BASE}environments:\n  dev:\n    domain: {{subdomain: Dev}}\n");
    one(&text, 25, 25, "invalid subdomain `Dev`");
    let p = one(
        &BASE.replace("{path: /api/*, lb: backend}", "{paths: /api/*}"),
        21,
        13,
        "invalid route",
    );
    assert!(hint(&p).contains("lb: backend"), "{p:?}");
}

#[test]
fn internal_load_balancer_host_variable_is_reserved() {
    let text = BASE.replace(
        "        port: 8080\n",
        "        port: 8080\n        environment: {LB_BACKEND_HOST: x}\n",
    );
    let p = one(&text, 19, 23, "`LB_BACKEND_HOST` is set by Gantry");
    assert!(hint(&p).contains("remove it"), "{p:?}");
}

#[test]
fn schema_has_the_edge_keys() {
    let s = gantry_spec::json_schema();
    let props = s["properties"].as_object().unwrap();
    for k in ["domain", "load_balancers", "waf"] {
        assert!(props.contains_key(k), "schema lacks {k}");
    }
}
