//! End to end on the local AWS emulator for the edge (issue 4), with
//! examples/agent-platform.yaml (seed 000): a certificate issued through DNS
//! validation in a Gantry-created zone and attached to an HTTPS listener,
//! port 80 redirecting to 443, the WAF ACL associated with the load
//! balancer, alias records to it, the Mercure SSE rule forwarding to the
//! hub's port; a second plan with no changes; a destroy that leaves nothing.

use crate::support;

use gantry_aws::AwsContext;
use support::Project;

#[tokio::test(flavor = "multi_thread")]
async fn agent_platform_https_waf_dns_and_destroy() {
    let p = Project::from_example_in("agent-platform.yaml", "example.org")
        .keyed("AKIACALLSAGENTPLATFORM");
    support::emulator_env();
    let ctx = AwsContext::load(Some("us-east-1".into())).await.unwrap();
    let up = p.gantry(&["up", "--yes"]);
    up.assert_code(0);
    assert!(
        !up.stderr().contains("serves plain HTTP"),
        "HTTPS with a domain: no warning"
    );

    // The certificate for the dev host is issued.
    let certs = ctx.acm().list_certificates().send().await.unwrap();
    let cert = certs
        .certificate_summary_list()
        .iter()
        .find(|c| c.domain_name() == Some("agents.dev.example.org"))
        .expect("a certificate for agents.dev.example.org");
    let cert_arn = cert.certificate_arn().unwrap().to_string();
    let described = ctx
        .acm()
        .describe_certificate()
        .certificate_arn(&cert_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described
            .certificate()
            .and_then(|c| c.status())
            .map(|s| s.as_str()),
        Some("ISSUED")
    );

    // HTTPS listener with that certificate and a TLS 1.2+ policy; 80 redirects.
    let lbs = ctx.elb().describe_load_balancers().send().await.unwrap();
    let lb = lbs
        .load_balancers()
        .iter()
        .find(|l| {
            l.load_balancer_name()
                .unwrap_or("")
                .starts_with("agents-dev")
        })
        .expect("the load balancer")
        .clone();
    let lb_arn = lb.load_balancer_arn().unwrap().to_string();
    let listeners = ctx
        .elb()
        .describe_listeners()
        .load_balancer_arn(&lb_arn)
        .send()
        .await
        .unwrap();
    let https = listeners
        .listeners()
        .iter()
        .find(|l| l.port() == Some(443))
        .expect("a 443 listener");
    assert_eq!(https.protocol().map(|p| p.as_str()), Some("HTTPS"));
    assert_eq!(
        https
            .certificates()
            .first()
            .and_then(|c| c.certificate_arn()),
        Some(cert_arn.as_str())
    );
    let policy = https.ssl_policy().unwrap_or("");
    assert!(
        policy.contains("TLS13") || policy.contains("TLS-1-2"),
        "TLS 1.2+ policy, got {policy}"
    );
    let http = listeners
        .listeners()
        .iter()
        .find(|l| l.port() == Some(80))
        .expect("an 80 listener");
    let redirect = http.default_actions()[0]
        .redirect_config()
        .expect("port 80 redirects");
    assert_eq!(redirect.protocol(), Some("HTTPS"));
    assert_eq!(redirect.port(), Some("443"));

    // The Mercure rule sends /.well-known/mercure* to the hub's port.
    let rules = ctx
        .elb()
        .describe_rules()
        .listener_arn(https.listener_arn().unwrap())
        .send()
        .await
        .unwrap();
    let mercure = rules
        .rules()
        .iter()
        .find(|r| {
            r.conditions().iter().any(|c| {
                c.values().iter().any(|v| v == "/.well-known/mercure*")
                    || c.path_pattern_config()
                        .is_some_and(|p| p.values().iter().any(|v| v == "/.well-known/mercure*"))
            })
        })
        .expect("the Mercure rule");
    let tg_arn = mercure.actions()[0]
        .target_group_arn()
        .expect("forwards to a target group")
        .to_string();
    let tgs = ctx
        .elb()
        .describe_target_groups()
        .target_group_arns(&tg_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tgs.target_groups()[0].port(), Some(3701));

    // The WAF ACL is associated with the load balancer.
    let acl = ctx
        .wafv2()
        .get_web_acl_for_resource()
        .resource_arn(&lb_arn)
        .send()
        .await
        .unwrap();
    let acl = acl.web_acl().expect("a web ACL on the load balancer");
    let rule_text = format!("{:?}", acl.rules());
    assert!(
        rule_text.contains("AWSManagedRulesCommonRuleSet"),
        "OWASP common rules"
    );
    assert!(rule_text.contains("AWSManagedRulesKnownBadInputsRuleSet"));
    assert!(
        acl.rules().iter().any(|r| r
            .statement()
            .and_then(|s| s.rate_based_statement())
            .is_some()),
        "a rate limit"
    );

    // Alias records resolve to the load balancer.
    let records = support::zone_records(&ctx, "example.org.").await;
    let a = records
        .iter()
        .find(|r| r.name() == "agents.dev.example.org." && r.r#type().as_str() == "A")
        .expect("an A record for the host");
    let target = a
        .alias_target()
        .expect("an alias")
        .dns_name()
        .trim_end_matches('.')
        .to_lowercase();
    assert!(
        target.ends_with(&lb.dns_name().unwrap().to_lowercase()),
        "alias {target} points at the ALB {:?}",
        lb.dns_name()
    );

    // The task role may call Bedrock's models (`policy:`) in a policy of
    // its own; the service's logs are kept 14 days (`log_retention`).
    let app = ctx
        .iam()
        .get_role_policy()
        .role_name("agents-dev-web-task")
        .policy_name("app")
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(
        &percent_encoding::percent_decode_str(app.policy_document())
            .decode_utf8()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        doc["Statement"][0]["Action"],
        serde_json::json!([
            "bedrock:InvokeModel",
            "bedrock:InvokeModelWithResponseStream"
        ])
    );
    assert_eq!(
        doc["Statement"][0]["Resource"],
        serde_json::json!(["arn:aws:bedrock:us-east-1::foundation-model/anthropic.*"])
    );
    let groups = ctx
        .logs()
        .describe_log_groups()
        .log_group_name_prefix("/gantry/agents/dev/web")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups()[0].retention_in_days(), Some(14));

    // `up` ends with the app's address, and `status` names it with the
    // load balancer's DNS name behind it.
    let lb_dns = lb.dns_name().unwrap().to_lowercase();
    let line = format!("https://agents.dev.example.org  -> {lb_dns}  (lb.main)");
    assert!(up.stdout().contains(&line), "{}", up.stdout());
    let status = p.gantry(&["status"]);
    assert!(
        status.stdout().contains(&format!("Addresses:\n  {line}")),
        "{}",
        status.stdout()
    );
    let endpoints = &p.gantry(&["status", "--json"]).json()["endpoints"];
    assert_eq!(
        endpoints,
        &serde_json::json!([{"url": "https://agents.dev.example.org", "dns_name": lb_dns, "via": "lb.main"}])
    );

    // The agent is built (`build: ./agent`): the service waits at 0 tasks
    // for its first image, and the plan said why.
    assert!(
        up.stdout()
            .contains("desired_count 0 until the first `gantry deploy --build`"),
        "{}",
        up.stdout()
    );
    assert_eq!(web(&ctx, &p).await.1, 0);
    // What CI built, deployed: the service comes to its count with that
    // image for the agent and the others unchanged; the next plan is empty.
    let built = "public.ecr.aws/docker/library/python:3.12-alpine";
    p.gantry(&["deploy", "--image", &format!("agent={built}"), "--no-wait"])
        .assert_code(0);
    let (td, desired) = web(&ctx, &p).await;
    assert_eq!(desired, 1);
    let described = ctx
        .ecs()
        .describe_task_definition()
        .task_definition(&td)
        .send()
        .await
        .unwrap();
    let images: std::collections::BTreeMap<&str, &str> = described
        .task_definition()
        .unwrap()
        .container_definitions()
        .iter()
        .map(|c| (c.name().unwrap(), c.image().unwrap()))
        .collect();
    assert_eq!(images["agent"], built);
    assert_eq!(
        images["app"],
        "docker.io/nginxinc/nginx-unprivileged:1.27-alpine"
    );

    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    support::assert_refresh_cost(&p.plan_calls());

    p.gantry(&["destroy", "--yes"]).assert_code(0);
    let left = gantry_aws::inventory::stack_resources(&ctx, "agents", "dev")
        .await
        .unwrap();
    assert!(left.is_empty(), "left behind: {left:?}");
    let certs = ctx.acm().list_certificates().send().await.unwrap();
    assert!(certs
        .certificate_summary_list()
        .iter()
        .all(|c| c.certificate_arn() != Some(cert_arn.as_str())));
    let zones = ctx.route53().list_hosted_zones().send().await.unwrap();
    assert!(
        zones
            .hosted_zones()
            .iter()
            .all(|z| z.name() != "example.org."),
        "the zone Gantry created is gone"
    );
    let acls = ctx
        .wafv2()
        .list_web_acls()
        .scope(gantry_aws::aws_sdk_wafv2::types::Scope::Regional)
        .send()
        .await
        .unwrap();
    assert!(acls
        .web_acls()
        .iter()
        .all(|a| !a.name().unwrap_or("").starts_with("agents-dev")));
}

/// The web service's task definition ARN and desired count, as ECS has them.
async fn web(ctx: &AwsContext, p: &Project) -> (String, i32) {
    let out = ctx
        .ecs()
        .describe_services()
        .cluster(p.recorded_id("ecs_cluster.main"))
        .services(p.recorded_id("ecs_service.web"))
        .send()
        .await
        .unwrap();
    let s = &out.services()[0];
    (s.task_definition().unwrap().to_string(), s.desired_count())
}
