//! End to end on the local AWS emulator for seed 004's email and auth
//! (issue 10 items 3 and 4), with AWS throttling 20 % of the calls and
//! losing a tenth of the replies to changes from the start: the SES
//! identity of `mail.dev.plat.example` (the environment's subdomain
//! applied) with its three DKIM CNAMEs, the MAIL FROM domain's MX and SPF
//! and the DMARC record in the zone; the Cognito user pool (password
//! policy, TOTP MFA, sign-in by email), its groups, the public web client
//! (no secret, code grant) and the hosted UI domain; the HTTP API's JWT
//! authorizer (the pool's issuer, the client as audience) on every route
//! but the one written `auth: none`; the task role allowed SES on exactly
//! the identity and user administration on exactly the pool, the ids and
//! sender injected; a second plan with no changes; a destroy that leaves
//! nothing.
//!
//! Emulator gaps, filled by the emulator launcher (`scripts/moto_sesv2.py`,
//! `scripts/moto_auth.py`) rather than here or in the providers: moto's SES
//! v2 identities have no DKIM tokens and no MAIL FROM call
//! (PutEmailIdentityMailFromAttributes is a 404), a second create replaces
//! an identity instead of failing, the tagging API lists identities under
//! the wrong ARN and no user pool at all, and API Gateway v2 has no
//! GetAuthorizers.

use crate::support;

use gantry_aws::AwsContext;
use serde_json::Value;
use support::Project;

const SPEC: &str = r#"
name: plat
region: us-east-1
network: { azs: 2, egress: nat }
domain: { zone: plat.example, create_zone: true, subdomain: dev }
load_balancers:
  internal: { public: false }
api: { lb: internal }
email:
  domain: mail.plat.example
  from: hello
  dmarc_reports: dmarc@plat.example
auth:
  mfa: optional
  groups: [admin, test]
  callback_urls: ["https://app.plat.example/callback"]
services:
  users:
    uses: [email, auth]
    containers:
      app:
        image: public.ecr.aws/docker/library/python:3.12-alpine
        command: ["python", "-m", "http.server", "8080"]
        port: 8080
        routes:
          - { path: "/users/*", lb: internal }
          - { path: "/health", lb: internal, auth: none }
        health_path: /health
"#;

const DOMAIN: &str = "mail.dev.plat.example";

#[tokio::test(flavor = "multi_thread")]
async fn email_and_auth_through_faults_and_destroy() {
    let p = Project::new(SPEC).keyed("AKIAPLATFORMAUTH");
    support::emulator_env();
    support::faults::profile(p.key(), 31, 0.2, 0.1);
    let ctx = AwsContext::load(Some("us-east-1".into())).await.unwrap();
    p.gantry(&["up", "--yes"]).assert_code(0);
    let account = ctx
        .sts()
        .get_caller_identity()
        .send()
        .await
        .unwrap()
        .account
        .unwrap();

    // The identity, its DKIM tokens and MAIL FROM domain.
    let id = ctx
        .sesv2()
        .get_email_identity()
        .email_identity(DOMAIN)
        .send()
        .await
        .unwrap();
    let tokens = id.dkim_attributes().unwrap().tokens().to_vec();
    assert_eq!(tokens.len(), 3, "Easy DKIM gives three tokens");
    let mail_from = id.mail_from_attributes().expect("a MAIL FROM domain");
    assert_eq!(mail_from.mail_from_domain(), format!("bounce.{DOMAIN}"));
    assert!(id
        .tags()
        .iter()
        .any(|t| t.key() == "gantry:address" && t.value() == "sesv2_email_identity.main"));

    // Its records in the zone.
    let records = support::zone_records(&ctx, "plat.example.").await;
    let values = |name: &str, rtype: &str| -> Vec<String> {
        records
            .iter()
            .find(|r| r.name() == name && r.r#type().as_str() == rtype)
            .unwrap_or_else(|| panic!("no {rtype} record {name}"))
            .resource_records()
            .iter()
            .map(|v| v.value().to_string())
            .collect()
    };
    for t in &tokens {
        assert_eq!(
            values(&format!("{t}._domainkey.{DOMAIN}."), "CNAME"),
            vec![format!("{t}.dkim.amazonses.com")]
        );
    }
    let bounce = format!("bounce.{DOMAIN}.");
    assert_eq!(
        values(&bounce, "MX"),
        vec!["10 feedback-smtp.us-east-1.amazonses.com"]
    );
    assert_eq!(
        values(&bounce, "TXT"),
        vec!["\"v=spf1 include:amazonses.com ~all\""]
    );
    let dmarc = values(&format!("_dmarc.{DOMAIN}."), "TXT").join("");
    assert!(
        dmarc.starts_with("\"v=DMARC1; p=quarantine;")
            && dmarc.contains("rua=mailto:dmarc@plat.example"),
        "{dmarc}"
    );

    // The user pool: sign-in by email, the password policy, TOTP MFA.
    let cognito = ctx.cognito();
    let pools = cognito
        .list_user_pools()
        .max_results(60)
        .send()
        .await
        .unwrap();
    let pool_id = pools
        .user_pools()
        .iter()
        .find(|u| u.name() == Some("plat-dev"))
        .and_then(|u| u.id())
        .expect("the user pool")
        .to_string();
    let pool = cognito
        .describe_user_pool()
        .user_pool_id(&pool_id)
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap();
    let pw = pool.policies().and_then(|p| p.password_policy()).unwrap();
    assert_eq!(pw.minimum_length(), Some(12));
    assert!(pw.require_lowercase() && pw.require_uppercase());
    assert!(pw.require_numbers() && pw.require_symbols());
    assert_eq!(
        pool.mfa_configuration().map(|m| m.as_str()),
        Some("OPTIONAL")
    );
    let mfa = cognito
        .get_user_pool_mfa_config()
        .user_pool_id(&pool_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        mfa.software_token_mfa_configuration().map(|t| t.enabled()),
        Some(true),
        "authenticator apps (TOTP)"
    );
    assert_eq!(
        pool.username_attributes()
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        vec!["email"]
    );
    let pool_arn = pool.arn().unwrap().to_string();
    let issuer = format!("https://cognito-idp.us-east-1.amazonaws.com/{pool_id}");

    let mut groups: Vec<String> = cognito
        .list_groups()
        .user_pool_id(&pool_id)
        .send()
        .await
        .unwrap()
        .groups()
        .iter()
        .filter_map(|g| g.group_name().map(str::to_string))
        .collect();
    groups.sort();
    assert_eq!(groups, ["admin", "test"]);

    // The web client: public (no secret), authorization code grant.
    let clients = cognito
        .list_user_pool_clients()
        .user_pool_id(&pool_id)
        .send()
        .await
        .unwrap();
    assert_eq!(clients.user_pool_clients().len(), 1, "one client");
    let client_id = clients.user_pool_clients()[0]
        .client_id()
        .unwrap()
        .to_string();
    let client = cognito
        .describe_user_pool_client()
        .user_pool_id(&pool_id)
        .client_id(&client_id)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    assert!(
        client.client_secret().is_none(),
        "a public client has no secret"
    );
    assert_eq!(
        client
            .allowed_o_auth_flows()
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>(),
        vec!["code"]
    );
    assert_eq!(client.allowed_o_auth_flows_user_pool_client(), Some(true));
    let mut scopes = client.allowed_o_auth_scopes().to_vec();
    scopes.sort();
    assert_eq!(scopes, ["email", "openid", "profile"]);
    assert_eq!(
        client.callback_urls(),
        ["https://app.plat.example/callback"]
    );
    let domain = cognito
        .describe_user_pool_domain()
        .domain("plat-dev")
        .send()
        .await
        .unwrap()
        .domain_description
        .unwrap();
    assert_eq!(domain.user_pool_id(), Some(pool_id.as_str()));
    assert_eq!(domain.status().map(|s| s.as_str()), Some("ACTIVE"));

    // The API's JWT authorizer, on every route but `auth: none`.
    let gw = ctx.apigw();
    let api_id = gw
        .get_apis()
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .find(|a| a.name() == Some("plat-dev"))
        .and_then(|a| a.api_id())
        .expect("the API")
        .to_string();
    let auths = gw.get_authorizers().api_id(&api_id).send().await.unwrap();
    assert_eq!(auths.items().len(), 1, "one authorizer");
    let a = &auths.items()[0];
    assert_eq!(a.authorizer_type().map(|t| t.as_str()), Some("JWT"));
    let jwt = a.jwt_configuration().unwrap();
    assert_eq!(jwt.issuer(), Some(issuer.as_str()));
    assert_eq!(jwt.audience(), std::slice::from_ref(&client_id));
    let routes = gw.get_routes().api_id(&api_id).send().await.unwrap();
    let route = |key: &str| {
        routes
            .items()
            .iter()
            .find(|r| r.route_key() == Some(key))
            .unwrap_or_else(|| panic!("no route {key}"))
            .clone()
    };
    let users = route("ANY /users/{proxy+}");
    assert_eq!(users.authorization_type().map(|t| t.as_str()), Some("JWT"));
    assert_eq!(users.authorizer_id(), a.authorizer_id());
    let health = route("ANY /health");
    assert_ne!(health.authorization_type().map(|t| t.as_str()), Some("JWT"));

    // The task role: SES on the identity, user administration on the pool.
    let doc = ctx
        .iam()
        .get_role_policy()
        .role_name("plat-dev-users-task")
        .policy_name("data")
        .send()
        .await
        .unwrap();
    let doc: Value = serde_json::from_str(
        &percent_encoding::percent_decode_str(doc.policy_document()).decode_utf8_lossy(),
    )
    .unwrap();
    let statement = |sid: &str| -> Value {
        doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no statement {sid}: {doc}"))
            .clone()
    };
    let send = statement("SendEmail");
    assert_eq!(
        send["Resource"],
        serde_json::json!([format!("arn:aws:ses:us-east-1:{account}:identity/{DOMAIN}")])
    );
    assert_eq!(
        send["Condition"]["StringEquals"]["ses:FromAddress"],
        format!("hello@{DOMAIN}")
    );
    let admin = statement("AdministerUsers");
    assert_eq!(admin["Resource"], serde_json::json!([pool_arn]));
    assert!(admin["Action"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "cognito-idp:AdminCreateUser"));
    assert!(
        !doc.to_string().contains("\"*\""),
        "no `*` resource or action: {doc}"
    );

    // The ids and the sender in the task definition.
    let td_arn = p.recorded_id("ecs_task_definition.users");
    let td = ctx
        .ecs()
        .describe_task_definition()
        .task_definition(&td_arn)
        .send()
        .await
        .unwrap()
        .task_definition
        .unwrap();
    let env: std::collections::BTreeMap<&str, &str> = td.container_definitions()[0]
        .environment()
        .iter()
        .filter_map(|kv| Some((kv.name()?, kv.value()?)))
        .collect();
    assert_eq!(
        env.get("EMAIL_FROM"),
        Some(&format!("hello@{DOMAIN}").as_str())
    );
    assert_eq!(env.get("AUTH_USER_POOL_ID"), Some(&pool_id.as_str()));
    assert_eq!(env.get("AUTH_CLIENT_ID"), Some(&client_id.as_str()));
    assert_eq!(env.get("AUTH_ISSUER"), Some(&issuer.as_str()));

    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);

    p.gantry(&["destroy", "--yes"]).assert_code(0);
    let left = gantry_aws::inventory::stack_resources(&ctx, "plat", "dev")
        .await
        .unwrap();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(
        ctx.sesv2()
            .get_email_identity()
            .email_identity(DOMAIN)
            .send()
            .await
            .is_err(),
        "the identity is gone"
    );
    assert!(
        cognito
            .describe_user_pool()
            .user_pool_id(&pool_id)
            .send()
            .await
            .is_err(),
        "the pool is gone"
    );
}
