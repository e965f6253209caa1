//! The API front door in the model: the load balancer it serves (named or
//! the only internal one), its host per environment, throttling defaults
//! and overlays, and its routes as HTTP API route keys.

use gantry_model::{ApiRoute, Model};

const SPEC: &str = "name: saas
region: us-east-1
domain:
  zone: example.com
load_balancers:
  internal:
    public: false
api:
  host: api.example.com
services:
  orders:
    containers:
      app:
        image: python:3.12
        port: 8080
        routes:
          - {path: /orders/*, lb: internal}
          - {path: /*, lb: internal}
  users:
    containers:
      app:
        image: python:3.12
        port: 8080
        routes: [{path: /users/health, lb: internal}]
environments:
  dev:
    domain: {subdomain: dev}
  prod:
    api: {rate_limit: 900}
";

fn model(env: &str) -> Model {
    let spec = gantry_spec::parse_str("gantry.yaml", SPEC).unwrap();
    Model::build(&spec, env).unwrap()
}

fn route(key: &str, path: &str, service: &str) -> ApiRoute {
    ApiRoute {
        route_key: key.into(),
        path: path.into(),
        service: service.into(),
        public: false,
    }
}

#[test]
fn api_serves_the_only_internal_load_balancer() {
    let m = model("dev");
    let api = m.api.as_ref().unwrap();
    assert_eq!(api.lb, "internal");
    assert!(m.is_api_lb("internal") && !m.is_api_lb("main"));
    assert_eq!(api.host.as_deref(), Some("api.dev.example.com"));
    assert_eq!((api.rate_limit, api.burst_limit), (100, 200));
    assert_eq!(
        api.routes,
        vec![
            route("$default", "/*", "orders"),
            route("ANY /orders/{proxy+}", "/orders/*", "orders"),
            route("ANY /users/health", "/users/health", "users"),
        ]
    );
}

#[test]
fn prod_has_its_own_host_and_throttling() {
    let m = model("prod");
    let api = m.api.as_ref().unwrap();
    assert_eq!(api.host.as_deref(), Some("api.example.com"));
    assert_eq!((api.rate_limit, api.burst_limit), (900, 200));
}

#[test]
fn no_api_without_the_key() {
    let text = SPEC
        .replace("api:\n  host: api.example.com\n", "")
        .replace("  prod:\n    api: {rate_limit: 900}\n", "  prod: {}\n");
    let spec = gantry_spec::parse_str("gantry.yaml", &text).unwrap();
    let m = Model::build(&spec, "dev").unwrap();
    assert!(m.api.is_none() && !m.is_api_lb("internal"));
}
