//! Email and auth (seed 004): the SES identity and its DKIM, MAIL FROM, SPF
//! and DMARC records; the user pool, groups, web client and hosted UI
//! domain; the API's JWT authorizer on every route but `auth: none`; and
//! what `uses: [email, auth]` gives a service (exact ARNs, the sender and
//! the pool's ids).

use gantry_architect::architect;
use gantry_core::{reference, Address, DesiredGraph};
use gantry_model::Model;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const SPEC: &str = "name: plat
region: us-east-1
domain: {zone: plat.example, create_zone: true, subdomain: dev}
load_balancers:
  main: {hosts: [app.plat.example]}
  internal: {public: false}
api: {lb: internal}
email:
  domain: mail.plat.example
auth:
  groups: [admin, test]
services:
  web:
    containers:
      app: {image: nginx:1.27, port: 8080, routes: [/*]}
  users:
    uses: [email, auth]
    containers:
      app:
        image: nginx:1.27
        port: 8080
        routes:
          - {path: /users/*, lb: internal}
          - {path: /health, lb: internal, auth: none}
environments:
  dev: {}
  prod: {domain: {subdomain: www}}
";

fn graph(env: &str) -> DesiredGraph {
    let spec = gantry_spec::parse_str("gantry.yaml", SPEC).unwrap();
    architect(&Model::build(&spec, env).unwrap()).unwrap()
}

fn props(g: &DesiredGraph, addr: &str) -> Value {
    let r = g
        .get(&Address::new(addr))
        .unwrap_or_else(|| panic!("no {addr}"));
    Value::Object(r.props.clone())
}

fn r(addr: &str, attr: &str) -> String {
    reference(&Address::new(addr), attr)
}

/// The email and auth resources, the authorizer and the routes.
fn platform_kinds(g: &DesiredGraph) -> BTreeMap<String, Value> {
    g.resources
        .values()
        .filter(|x| {
            x.kind.starts_with("cognito_")
                || x.kind.starts_with("sesv2_")
                || ["apigw_authorizer", "apigw_route"].contains(&x.kind.as_str())
                || x.address.to_string().starts_with("route53_record.email_")
        })
        .map(|x| (x.address.to_string(), Value::Object(x.props.clone())))
        .collect()
}

#[test]
fn snapshot_platform_dev() {
    insta::assert_json_snapshot!("platform_dev", platform_kinds(&graph("dev")));
}

#[test]
fn email_records_are_the_identitys() {
    let g = graph("dev");
    let id = props(&g, "sesv2_email_identity.main");
    assert_eq!(id["identity"], "mail.dev.plat.example");
    assert_eq!(id["mail_from_domain"], "bounce.mail.dev.plat.example");
    for n in 1..=3 {
        let rec = props(&g, &format!("route53_record.email_dkim_{n}"));
        assert_eq!(
            rec["name"],
            r("sesv2_email_identity.main", &format!("dkim_name_{n}"))
        );
        assert_eq!(
            rec["records"],
            json!([r("sesv2_email_identity.main", &format!("dkim_value_{n}"))])
        );
        assert_eq!(rec["type"], "CNAME");
    }
    let mx = props(&g, "route53_record.email_mail_from_mx");
    assert_eq!(
        mx["records"],
        json!(["10 feedback-smtp.us-east-1.amazonses.com"])
    );
    let dmarc = props(&g, "route53_record.email_dmarc");
    assert_eq!(dmarc["name"], "_dmarc.mail.dev.plat.example");
    assert!(dmarc["records"][0]
        .as_str()
        .unwrap()
        .starts_with("\"v=DMARC1; p=quarantine;"));
    // Production: its own subdomain, and the pool keeps its users.
    let prod = graph("prod");
    assert_eq!(
        props(&prod, "sesv2_email_identity.main")["identity"],
        "mail.www.plat.example"
    );
    assert_eq!(
        props(&prod, "cognito_user_pool.main")["deletion_protection"],
        true
    );
    assert_eq!(
        props(&g, "cognito_user_pool.main")["deletion_protection"],
        false
    );
}

#[test]
fn routes_carry_the_authorizer_unless_opened() {
    let g = graph("dev");
    let auth = props(&g, "apigw_authorizer.cognito");
    assert_eq!(auth["issuer"], r("cognito_user_pool.main", "issuer"));
    assert_eq!(
        auth["audience"],
        json!([r("cognito_user_pool_client.web", "client_id")])
    );
    let routes: Vec<Value> = g
        .resources
        .values()
        .filter(|x| x.kind == "apigw_route")
        .map(|x| Value::Object(x.props.clone()))
        .collect();
    assert_eq!(routes.len(), 2);
    for route in routes {
        let guarded = route.get("authorizer_id").is_some();
        assert_eq!(guarded, route["route_key"] != "ANY /health", "{route}");
    }
    // The default callback: the first load balancer host of the environment.
    let client = props(&g, "cognito_user_pool_client.web");
    assert_eq!(
        client["callback_urls"],
        json!(["https://app.dev.plat.example/"])
    );
    assert_eq!(client["generate_secret"], false);
    assert_eq!(
        props(&g, "cognito_user_pool_domain.main")["domain"],
        "plat-dev"
    );
}

#[test]
fn uses_grant_exact_arns_and_inject_ids() {
    let g = graph("dev");
    let policy = props(&g, "iam_role.users-task");
    let text = policy.to_string();
    assert!(
        text.contains(&r("sesv2_email_identity.main", "arn")),
        "{text}"
    );
    assert!(text.contains(&r("cognito_user_pool.main", "arn")), "{text}");
    assert!(text.contains("ses:FromAddress"), "{text}");
    assert!(!text.contains("\"*\""), "no `*`: {text}");
    let td = props(&g, "ecs_task_definition.users").to_string();
    for var in [
        "EMAIL_FROM",
        "AUTH_USER_POOL_ID",
        "AUTH_CLIENT_ID",
        "AUTH_ISSUER",
    ] {
        assert!(td.contains(var), "{var}: {td}");
    }
    assert!(td.contains("no-reply@mail.dev.plat.example"), "{td}");
    // A service that uses neither gets none of it.
    let web = props(&g, "ecs_task_definition.web").to_string();
    assert!(
        !web.contains("EMAIL_FROM") && !web.contains("AUTH_CLIENT_ID"),
        "{web}"
    );
}
