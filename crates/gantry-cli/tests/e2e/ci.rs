//! GitHub Actions through OIDC against the emulator: after `up` with
//! `ci:`, the OIDC provider and both roles read back through IAM (trust
//! conditions on `sub` and `aud`, the policies, no `*` resource but where
//! the action requires it); a second stack wanting the account's only
//! provider for GitHub fails naming it, and with `oidc_provider: existing`
//! uses it without owning it; `gantry ci github` writes a workflow with
//! the recorded role ARNs that actionlint passes, and refuses to overwrite
//! it; `destroy` deletes the provider only with the stack that made it.
//!
//! IAM's OIDC provider is one per account and the tests share one
//! emulator account, so this is the one test that makes GitHub's.

use crate::support;

use gantry_aws::AwsContext;
use serde_json::Value;
use support::Project;

const BUCKET: &str = "e2e-ci-state";
const GITHUB: &str = "token.actions.githubusercontent.com";

fn spec(stack: &str, oidc: &str) -> String {
    format!(
        "name: {stack}
region: us-east-1
network: {{ cidr: 10.0.0.0/16, azs: 1, egress: none }}
state: {{ backend: s3, bucket: {BUCKET}, prefix: ci }}
services:
  web:
    containers:
      app:
        build: ./app
        port: 8080
        routes: [\"/*\"]
ci:
  github:
    repo: acme/{stack}
    deploy_branches: [main, release/*]
    oidc_provider: {oidc}
"
    )
}

async fn context() -> AwsContext {
    support::emulator_env();
    AwsContext::load(Some("us-east-1".into())).await.unwrap()
}

fn decode(doc: &str) -> Value {
    let text = percent_encoding::percent_decode_str(doc)
        .decode_utf8()
        .unwrap()
        .to_string();
    serde_json::from_str(&text).unwrap()
}

async fn github_providers(ctx: &AwsContext) -> Vec<String> {
    ctx.iam()
        .list_open_id_connect_providers()
        .send()
        .await
        .unwrap()
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn().map(str::to_string))
        .filter(|a| a.ends_with(&format!("oidc-provider/{GITHUB}")))
        .collect()
}

/// The role's trust policy and its inline policies, through IAM.
async fn role(ctx: &AwsContext, name: &str) -> (Value, Vec<(String, Value)>) {
    let iam = ctx.iam();
    let r = iam.get_role().role_name(name).send().await.unwrap();
    let trust = decode(r.role().unwrap().assume_role_policy_document().unwrap());
    let names = iam
        .list_role_policies()
        .role_name(name)
        .send()
        .await
        .unwrap()
        .policy_names
        .clone();
    let mut policies = Vec::new();
    for n in names {
        let p = iam
            .get_role_policy()
            .role_name(name)
            .policy_name(&n)
            .send()
            .await
            .unwrap();
        policies.push((n, decode(&p.policy_document)));
    }
    (trust, policies)
}

fn statements(doc: &Value) -> Vec<Value> {
    doc["Statement"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn github_oidc_provider_and_roles_through_iam() {
    let ctx = context().await;
    let p = Project::new(&spec("cione", "create")).keyed("cione");
    p.gantry(&["init"]).assert_code(0);
    p.gantry(&["up", "--yes"]).assert_code(0);

    // The provider, with GitHub's audience.
    let arns = github_providers(&ctx).await;
    assert_eq!(arns.len(), 1, "{arns:?}");
    let provider = ctx
        .iam()
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&arns[0])
        .send()
        .await
        .unwrap();
    assert_eq!(provider.client_id_list(), ["sts.amazonaws.com"]);
    assert!(provider
        .tags()
        .iter()
        .any(|t| t.key() == "gantry:stack" && t.value() == "cione"));

    // Plan role: pull requests of the repository, tokens for STS.
    let (trust, policies) = role(&ctx, "cione-dev-ci-plan").await;
    let st = &statements(&trust)[0];
    assert_eq!(st["Principal"]["Federated"], arns[0].as_str());
    assert_eq!(st["Action"], "sts:AssumeRoleWithWebIdentity");
    assert_eq!(
        st["Condition"]["StringEquals"][format!("{GITHUB}:aud")],
        "sts.amazonaws.com"
    );
    assert_eq!(
        st["Condition"]["StringEquals"][format!("{GITHUB}:sub")],
        "repo:acme/cione:pull_request"
    );
    let plan = &policies.iter().find(|(n, _)| n == "plan").unwrap().1;
    let plan_text = plan.to_string();
    for a in [
        "ec2:DescribeVpcs",
        "ecs:DescribeServices",
        "iam:GetAccountAuthorizationDetails",
        "tag:GetResources",
    ] {
        assert!(plan_text.contains(a), "plan role lacks {a}");
    }
    let state_objects = statements(plan)
        .into_iter()
        .find(|s| s["Sid"] == "StateObjects")
        .expect("the plan role uses the state");
    assert_eq!(
        state_objects["Resource"],
        serde_json::json!([format!("arn:aws:s3:::{BUCKET}/ci/cione-dev/*")])
    );

    // Deploy role: the deploy branches only (a pattern: StringLike).
    let (trust, policies) = role(&ctx, "cione-dev-ci-deploy").await;
    let cond = &statements(&trust)[0]["Condition"];
    assert_eq!(
        cond["StringEquals"][format!("{GITHUB}:aud")],
        "sts.amazonaws.com"
    );
    assert_eq!(
        cond["StringLike"][format!("{GITHUB}:sub")],
        serde_json::json!([
            "repo:acme/cione:ref:refs/heads/main",
            "repo:acme/cione:ref:refs/heads/release/*"
        ])
    );
    let deploy = &policies.iter().find(|(n, _)| n == "deploy").unwrap().1;
    let by_sid = |sid: &str| {
        statements(deploy)
            .into_iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no {sid}"))
    };
    // References resolved to the stack's own objects.
    let repo_arn = ctx
        .ecr()
        .describe_repositories()
        .repository_names("cione/dev/web-app")
        .send()
        .await
        .unwrap()
        .repositories()[0]
        .repository_arn()
        .unwrap()
        .to_string();
    assert_eq!(
        by_sid("PushImages")["Resource"],
        serde_json::json!([repo_arn])
    );
    let services = by_sid("UpdateServices")["Resource"].clone();
    let service = services[0].as_str().unwrap();
    assert!(
        service.contains(":service/") && service.ends_with("/web"),
        "{services}"
    );
    let pass = by_sid("PassServiceRoles");
    assert_eq!(
        pass["Resource"],
        serde_json::json!([
            "arn:aws:iam::123456789012:role/cione-dev-web-exec",
            "arn:aws:iam::123456789012:role/cione-dev-web-task"
        ])
    );
    for (name, doc) in policies
        .iter()
        .chain(&role(&ctx, "cione-dev-ci-plan").await.1)
    {
        assert_eq!(
            gantry_architect::ci::star_violations(doc),
            Vec::<String>::new(),
            "policy {name}"
        );
    }

    // A second plan is empty (trust documents and the provider read back
    // as written).
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);

    // The workflow, with the recorded ARNs, passing actionlint.
    let path = p.dir.path().join(".github/workflows/gantry.yml");
    let out = path.to_str().unwrap();
    p.gantry(&["ci", "github", "-o", out]).assert_code(0);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("GANTRY_FILE: \"gantry.yaml\""), "{text}");
    assert!(text.contains("role-to-assume: arn:aws:iam::123456789012:role/cione-dev-ci-plan"));
    assert!(text.contains("role-to-assume: arn:aws:iam::123456789012:role/cione-dev-ci-deploy"));
    let lint = std::process::Command::new(format!("{}/scripts/actionlint.sh", support::ROOT))
        .args(["run", "-no-color"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        lint.status.success(),
        "actionlint: {}",
        String::from_utf8_lossy(&lint.stdout)
    );
    let again = p.gantry(&["ci", "github", "-o", out]);
    again.assert_code(1);
    assert!(again.stderr().contains("--force"), "{}", again.stderr());
    p.gantry(&["ci", "github", "-o", out, "--force"])
        .assert_code(0);

    // A second stack cannot take the account's provider over...
    let q = Project::new(&spec("citwo", "create")).keyed("citwo");
    let refused = q.gantry(&["up", "--yes"]);
    refused.assert_code(1);
    let err = format!("{}{}", refused.stdout(), refused.stderr());
    assert!(err.contains("EntityAlreadyExists"), "{err}");
    assert!(err.contains("Gantry stack cione, environment dev"), "{err}");
    assert!(err.contains("oidc_provider: existing"), "{err}");
    // ... but uses it as it is with `existing`, and leaves it on destroy.
    q.edit(|s| s.replace("oidc_provider: create", "oidc_provider: existing"));
    q.gantry(&["up", "--yes"]).assert_code(0);
    let (trust, _) = role(&ctx, "citwo-dev-ci-plan").await;
    assert_eq!(
        statements(&trust)[0]["Principal"]["Federated"],
        arns[0].as_str()
    );
    q.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    q.gantry(&["destroy", "--yes"]).assert_code(0);
    assert_eq!(github_providers(&ctx).await, arns);

    // The stack that made it deletes it.
    p.gantry(&["destroy", "--yes"]).assert_code(0);
    assert!(github_providers(&ctx).await.is_empty());
    assert!(ctx
        .iam()
        .get_role()
        .role_name("cione-dev-ci-deploy")
        .send()
        .await
        .is_err());
}
