//! The static site (seed 001): private bucket, Origin Access Control,
//! bucket policy scoped to the distribution, CloudFront with SPA fallback
//! and `/api/*` to the load balancer, us-east-1 certificate, alias records
//! and a CLOUDFRONT-scope web ACL.

use gantry_architect::architect;
use gantry_core::{reference, Address, DesiredGraph};
use gantry_model::Model;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const ASTRO: &str = include_str!("../../../examples/astro.yaml");

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

const SITE_KINDS: &[&str] = &[
    "s3_bucket",
    "s3_bucket_policy",
    "cloudfront_origin_access_control",
    "cloudfront_distribution",
    "acm_certificate",
    "acm_certificate_validation",
    "route53_record",
    "wafv2_web_acl",
    "wafv2_ip_set",
];

#[test]
fn snapshot_astro_site_dev() {
    let g = graph(ASTRO, "dev");
    let site: BTreeMap<String, Value> = g
        .resources
        .values()
        .filter(|x| SITE_KINDS.contains(&x.kind.as_str()))
        .filter(|x| x.address.name() == "site" || x.address.name().starts_with("app-"))
        .map(|x| (x.address.to_string(), Value::Object(x.props.clone())))
        .collect();
    insta::assert_json_snapshot!("astro_site_dev", site);
}

#[test]
fn the_bucket_is_private_and_readable_only_by_the_distribution() {
    let g = graph(ASTRO, "dev");
    let bucket = props(&g, "s3_bucket.site");
    // SSE-S3: the OAC reads it without a key policy naming the distribution.
    assert_eq!(bucket["kms_key_arn"], json!(""));
    assert_eq!(bucket["versioning"], json!(true));
    let policy = props(&g, "s3_bucket_policy.site");
    assert_eq!(policy["bucket"], json!(r("s3_bucket.site", "id")));
    assert_eq!(
        policy["cloudfront_distribution_arns"],
        json!([r("cloudfront_distribution.site", "arn")])
    );
    let dist = props(&g, "cloudfront_distribution.site");
    let s3 = &dist["origins"][0];
    assert_eq!(
        s3["domain_name"],
        json!(r("s3_bucket.site", "regional_domain_name"))
    );
    assert_eq!(
        s3["origin_access_control_id"],
        json!(r("cloudfront_origin_access_control.site", "id"))
    );
}

#[test]
fn https_with_a_us_east_1_certificate_and_per_environment_hosts() {
    for (env, host) in [("dev", "app.dev.example.com"), ("prod", "app.example.com")] {
        let g = graph(ASTRO, env);
        let cert = props(&g, "acm_certificate.site");
        assert_eq!(cert["domain_name"], json!(host), "{env}");
        assert_eq!(cert["region"], json!("us-east-1"), "{env}");
        let dist = props(&g, "cloudfront_distribution.site");
        assert_eq!(dist["aliases"], json!([host]), "{env}");
        assert_eq!(
            dist["certificate_arn"],
            json!(r("acm_certificate_validation.site", "certificate_arn"))
        );
        let slug = host.replace('.', "-");
        for t in ["a", "aaaa"] {
            let rec = props(&g, &format!("route53_record.{slug}-{t}"));
            assert_eq!(
                rec["alias"]["zone_id"],
                json!(r("cloudfront_distribution.site", "hosted_zone_id"))
            );
        }
    }
}

#[test]
fn dev_does_not_cache_and_prod_does() {
    let cache = |env| {
        props(&graph(ASTRO, env), "cloudfront_distribution.site")["default_behavior"]
            ["cache_policy_id"]
            .clone()
    };
    assert_eq!(
        cache("dev"),
        json!(gantry_architect::site::CACHING_DISABLED)
    );
    assert_eq!(
        cache("prod"),
        json!(gantry_architect::site::CACHING_OPTIMIZED)
    );
}

#[test]
fn api_paths_go_uncached_to_the_load_balancer_over_https() {
    let g = graph(ASTRO, "dev");
    let dist = props(&g, "cloudfront_distribution.site");
    let api = &dist["origins"][1];
    assert_eq!(api["domain_name"], json!("api.dev.example.com"));
    assert_eq!(api["origin_protocol_policy"], json!("https-only"));
    let b = &dist["ordered_behaviors"][0];
    assert_eq!(b["path_pattern"], json!("/api/*"));
    assert_eq!(b["target_origin_id"], api["id"]);
    assert_eq!(
        b["cache_policy_id"],
        json!(gantry_architect::site::CACHING_DISABLED)
    );
    assert_eq!(b["allowed_methods"].as_array().unwrap().len(), 7);
    // SPA fallback for both answers S3 gives a missing key.
    let codes: Vec<i64> = dist["custom_error_responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["error_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [403, 404]);
}

#[test]
fn the_waf_on_cloudfront_is_a_cloudfront_scope_acl() {
    let g = graph(ASTRO, "dev");
    let acl = props(&g, "wafv2_web_acl.site");
    assert_eq!(acl["scope"], json!("CLOUDFRONT"));
    assert_eq!(
        props(&g, "cloudfront_distribution.site")["web_acl_arn"],
        json!(r("wafv2_web_acl.site", "arn"))
    );
    // The load balancer keeps its own regional ACL.
    assert_eq!(props(&g, "wafv2_web_acl.main")["scope"], json!("REGIONAL"));
    assert!(model(ASTRO, "dev").warnings().is_empty());
}

#[test]
fn load_balancer_alias_records_are_ipv4_only() {
    let g = graph(ASTRO, "dev");
    assert!(has(&g, "route53_record.api-dev-example-com-a"));
    assert!(!has(&g, "route53_record.api-dev-example-com-aaaa"));
}

const BARE: &str = "name: spa
region: us-east-1
site:
  api: {}
waf:
  enabled: false
services:
  api:
    containers:
      app:
        image: nginx:1.27
        port: 8080
        routes: [/*]
";

#[test]
fn without_a_domain_the_site_uses_its_cloudfront_name_and_warns() {
    let g = graph(BARE, "dev");
    assert!(!has(&g, "acm_certificate.site"));
    assert!(!has(&g, "wafv2_web_acl.site"));
    let dist = props(&g, "cloudfront_distribution.site");
    assert_eq!(dist["aliases"], json!([]));
    assert!(dist.get("certificate_arn").is_none());
    assert!(dist.get("web_acl_arn").is_none());
    let api = &dist["origins"][1];
    assert_eq!(api["domain_name"], json!(r("lb.main", "dns_name")));
    assert_eq!(api["origin_protocol_policy"], json!("http-only"));
    let warnings = model(BARE, "dev").warnings().join("\n");
    assert!(warnings.contains("no WAF"), "{warnings}");
    assert!(
        warnings.contains("CloudFront reaches load balancer `main` over plain HTTP"),
        "{warnings}"
    );
}

#[test]
fn without_a_site_nothing_of_it_exists() {
    let g = graph(&BARE.replace("site:\n  api: {}\n", ""), "dev");
    assert!(!g
        .resources
        .values()
        .any(|x| x.kind.starts_with("cloudfront") || x.kind == "s3_bucket_policy"));
}
