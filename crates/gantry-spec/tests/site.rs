//! Diagnostics of `site:`: message and `line:col` are asserted exactly.

use gantry_spec::parse_str;
mod common;
use common::*;

const BASE: &str = "name: astro
region: eu-central-1
domain:
  zone: example.com
load_balancers:
  main:
    hosts: [api.example.com]
  backend:
    public: false
site:
  host: app.example.com
  api:
    paths: [/api/*]
services:
  api:
    containers:
      app:
        image: nginx:1.27
        port: 8080
        routes: [/*, {path: /*, lb: backend}]
environments:
  dev:
    site:
      cache: disabled
";

#[test]
fn base_is_valid() {
    let spec = parse_str("gantry.yaml", BASE).unwrap();
    let site = spec.site.unwrap();
    assert_eq!(site.host.unwrap().value, "app.example.com");
    assert_eq!(site.api.unwrap().paths[0].value, "/api/*");
}

#[test]
fn site_host_outside_the_zone() {
    one(
        &BASE.replace("host: app.example.com", "host: app.example.org"),
        11,
        9,
        "site host `app.example.org` is outside the zone `example.com`",
    );
}

#[test]
fn site_host_without_a_domain() {
    let text = BASE
        .replace("domain:\n  zone: example.com\n", "")
        .replace("  main:\n    hosts: [api.example.com]\n", "  main: {}\n");
    one(
        &text,
        8,
        9,
        "site host `app.example.com` without a `domain`",
    );
}

#[test]
fn site_host_taken_by_a_load_balancer() {
    let p = one(
        &BASE.replace("host: app.example.com", "host: api.example.com"),
        11,
        9,
        "site host `api.example.com` is also a host of load balancer `main`",
    );
    assert!(p.hint.unwrap().contains("site.host"));
}

#[test]
fn default_apex_host_clashes_with_the_implicit_main_load_balancer() {
    let text = BASE
        .replace(
            "load_balancers:\n  main:\n    hosts: [api.example.com]\n  backend:\n    public: false\n",
            "",
        )
        .replace("  host: app.example.com\n", "")
        .replace(", {path: /*, lb: backend}", "");
    one(
        &text,
        4,
        9,
        "site host `example.com` is also a host of load balancer `main`",
    );
}

#[test]
fn api_to_an_internal_load_balancer() {
    one(
        &BASE.replace("  api:\n    paths", "  api:\n    lb: backend\n    paths"),
        13,
        9,
        "site API goes to internal load balancer `backend`",
    );
}

#[test]
fn api_to_an_unknown_load_balancer() {
    one(
        &BASE.replace("  api:\n    paths", "  api:\n    lb: front\n    paths"),
        13,
        9,
        "site API names unknown load balancer `front`",
    );
}

#[test]
fn api_path_must_be_a_pattern_under_the_root() {
    one(
        &BASE.replace("paths: [/api/*]", "paths: [/*]"),
        13,
        13,
        "invalid site API path `/*`",
    );
    one(
        &BASE.replace("paths: [/api/*]", "paths: [api/*]"),
        13,
        13,
        "invalid site API path `api/*`",
    );
}

#[test]
fn an_overlay_cannot_add_a_site() {
    let text = BASE.replace(
        "site:\n  host: app.example.com\n  api:\n    paths: [/api/*]\n",
        "",
    );
    one(
        &text,
        20,
        14,
        "environment `dev` changes a site the spec does not have",
    );
}

#[test]
fn a_bucket_named_site_collides() {
    let text = BASE.replace("services:", "buckets:\n  site: {}\nservices:");
    one(
        &text,
        15,
        3,
        "bucket name `site` is taken by the site's own bucket",
    );
}

#[test]
fn unknown_keys_and_values_are_errors() {
    let ps = problems(&BASE.replace("cache: disabled", "cache: off"));
    assert_eq!(ps.len(), 1, "{ps:#?}");
    let ps = problems(&BASE.replace("  api:\n    paths", "  apis:\n    paths"));
    assert_eq!(ps.len(), 1, "{ps:#?}");
}
