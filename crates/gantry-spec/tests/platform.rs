//! Diagnostics of `email`, `auth`, `auth: none` routes and `uses: [email]`
//! / `uses: [auth]`: message, hint and `line:col` asserted; the default
//! callback URL and overlays.

use gantry_spec::{parse_str, platform::default_callback};
mod common;
use common::*;

const BASE: &str = "name: shop
region: eu-west-1
domain: {zone: example.com, subdomain: dev}
load_balancers:
  main: {hosts: [app.example.com]}
  internal: {public: false}
api: {lb: internal}
email:
  domain: mail.example.com
  from: hello
  dmarc: reject
  dmarc_reports: dmarc@example.com
auth:
  mfa: on
  groups: [admin, test]
services:
  web:
    uses: [email, auth]
    containers:
      app:
        image: nginx:1.27
        port: 8080
        routes:
          - /*
          - {path: /api/*, lb: internal}
          - {path: /health, lb: internal, auth: none}
environments:
  prod:
    auth: {mfa: optional, callback_urls: [https://app.example.com/cb]}
";

/// Asserts exactly one problem at `line:col` whose message contains `msg`.
#[track_caller]
#[test]
fn base_is_valid_and_the_default_callback_is_the_first_host() {
    let spec = parse_str("gantry.yaml", BASE).unwrap();
    assert_eq!(
        default_callback(&spec).as_deref(),
        Some("https://app.dev.example.com/")
    );
    let prod = spec.for_env("prod").unwrap();
    let auth = prod.auth.as_ref().unwrap();
    assert_eq!(auth.callback_urls[0].value, "https://app.example.com/cb");
    assert_eq!(auth.mfa.as_ref().unwrap().value, gantry_spec::Mfa::Optional);
}

#[test]
fn email_domain_must_be_in_the_zone() {
    let p = one(
        &BASE.replace("domain: mail.example.com", "domain: mail.example.org"),
        9,
        11,
        "email domain `mail.example.org` is outside the zone `example.com`",
    );
    assert!(hint(&p).contains("ending in `.example.com`"), "{p}");
    let no_zone = BASE
        .replace("domain: {zone: example.com, subdomain: dev}\n", "")
        .replace("  main: {hosts: [app.example.com]}\n", "  main: {}\n");
    let ps = problems(&no_zone);
    assert!(
        ps.iter()
            .any(|p| p.message.contains("without a `domain`") && p.line == 8),
        "{ps:#?}"
    );
}

#[test]
fn sender_mail_from_and_reports_are_checked() {
    let p = one(
        &BASE.replace("from: hello", "from: hello@example.com"),
        10,
        9,
        "invalid sender",
    );
    assert!(hint(&p).contains("local part only"), "{p}");
    one(
        &BASE.replace("from: hello", "from: hello\n  mail_from: Bounce"),
        11,
        14,
        "invalid MAIL FROM label `Bounce`",
    );
    one(
        &BASE.replace("dmarc_reports: dmarc@example.com", "dmarc_reports: nobody"),
        12,
        18,
        "invalid DMARC report address",
    );
    let ps = problems(&BASE.replace("dmarc: reject", "dmarc: strict"));
    assert!(ps[0].message.contains("unknown value `strict`"), "{ps:#?}");
}

#[test]
fn uses_of_email_and_auth_need_the_keys() {
    let no_email = BASE.replace(
        "email:\n  domain: mail.example.com\n  from: hello\n  dmarc: reject\n  dmarc_reports: dmarc@example.com\n",
        "",
    );
    let p = one(
        &no_email,
        13,
        12,
        "service `web` uses `email`, but the spec has no `email:`",
    );
    assert!(
        hint(&p).contains("email: {domain: mail.example.com}"),
        "{p}"
    );
    let ps = problems(&BASE.replace(
        "uses: [email, auth]",
        "uses: [email, {name: auth, access: read}]",
    ));
    assert!(
        ps[0]
            .message
            .contains("`access: read` does not apply to the user pool"),
        "{ps:#?}"
    );
}

#[test]
fn a_store_named_like_a_platform_key_collides() {
    let text = BASE.replace("services:\n", "secrets:\n  email: {}\nservices:\n");
    let ps = problems(&text);
    assert!(
        ps.iter()
            .any(|p| p.message == "store name `email` is taken by the top-level `email:`"),
        "{ps:#?}"
    );
}

#[test]
fn auth_values_are_checked() {
    one(
        &BASE.replace("groups: [admin, test]", "groups: [admin, Admins]"),
        15,
        19,
        "invalid group name `Admins`",
    );
    one(
        &BASE.replace("groups: [admin, test]", "groups: [admin, admin]"),
        15,
        19,
        "group `admin` is listed twice",
    );
    one(
        &BASE.replace(
            "groups: [admin, test]",
            "groups: [admin]\n  callback_urls: [http://app.example.com/]",
        ),
        16,
        19,
        "invalid callback URL",
    );
    one(
        &BASE.replace(
            "groups: [admin, test]",
            "groups: [admin]\n  domain_prefix: my-cognito",
        ),
        16,
        18,
        "domain prefix `my-cognito` contains `cognito`",
    );
    one(
        &BASE.replace(
            "groups: [admin, test]",
            "groups: [admin]\n  password_length: 6",
        ),
        16,
        20,
        "password_length 6 is out of range",
    );
    // localhost is fine for development.
    parse_str(
        "gantry.yaml",
        &BASE.replace(
            "groups: [admin, test]",
            "callback_urls: [\"http://localhost:3000/cb\"]",
        ),
    )
    .unwrap();
}

#[test]
fn auth_needs_a_callback_url() {
    let text = BASE
        .replace("  main: {hosts: [app.example.com]}\n", "")
        .replace("          - /*\n", "");
    let p = one(&text, 13, 3, "`auth` has no callback URL");
    assert!(hint(&p).contains("callback_urls"), "{p}");
}

#[test]
fn auth_none_needs_auth_api_and_the_api_load_balancer() {
    let no_auth = BASE
        .replace("auth:\n  mfa: on\n  groups: [admin, test]\n", "")
        .replace("uses: [email, auth]", "uses: [email]")
        .replace(
            "    auth: {mfa: optional, callback_urls: [https://app.example.com/cb]}\n",
            "    services: {web: {desired_count: 2}}\n",
        );
    let p = one(
        &no_auth,
        23,
        13,
        "route `/health` says `auth: none` without `auth`",
    );
    assert!(hint(&p).contains("every route is open"), "{p}");
    let off_api = BASE.replace(
        "{path: /health, lb: internal, auth: none}",
        "{path: /health, auth: none}",
    );
    one(
        &off_api,
        26,
        13,
        "route `/health` says `auth: none`, but it is not on the API's load balancer `internal`",
    );
}

#[test]
fn environment_auth_without_auth_is_reported() {
    let text = BASE
        .replace("auth:\n  mfa: on\n  groups: [admin, test]\n", "")
        .replace("uses: [email, auth]", "uses: [email]")
        .replace(
            "          - {path: /health, lb: internal, auth: none}\n",
            "",
        );
    one(
        &text,
        25,
        11,
        "environment `prod` sets auth keys without `auth`",
    );
}
