//! GitHub Actions through OIDC (`ci.github`): the OIDC provider, the plan
//! and deploy roles, their trust conditions and policies; and stacks
//! without `ci:` getting none of it.

use gantry_architect::architect;
use gantry_architect::ci::{star_violations, DEPLOY_ROLE, PLAN_ROLE, PROVIDER};
use gantry_core::{kinds, reference, Address, DesiredGraph};
use gantry_model::Model;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const FASTAPI_RDS: &str = include_str!("../../../examples/fastapi-rds.yaml");
const MINIMAL: &str = include_str!("../../../examples/minimal.yaml");

/// Seed 002 with remote state and GitHub Actions deploying dev from
/// `main` and `release/*`, prod from `main` with the account's existing
/// OIDC provider.
fn spec() -> String {
    let base = FASTAPI_RDS.replace("environments:\n", "");
    let (base, envs) = FASTAPI_RDS
        .split_once("\nenvironments:\n")
        .map(|(b, e)| (b.to_string(), e.to_string()))
        .unwrap_or((base, String::new()));
    format!(
        "{base}
state: {{backend: s3, bucket: acme-gantry-state, prefix: teams}}
ci:
  github:
    repo: acme/fastapi-rds
    deploy_branches: [main, release/*]
environments:
{envs}
  prod-ci:
    ci: {{github: {{deploy_branches: [main], oidc_provider: existing}}}}
"
    )
}

fn graph(text: &str, env: &str) -> DesiredGraph {
    let spec = gantry_spec::parse_str("gantry.yaml", text).unwrap();
    let g = architect(&Model::build(&spec, env).unwrap()).unwrap();
    g.topo_order().unwrap();
    g
}

fn props(g: &DesiredGraph, addr: &str) -> Value {
    let r = g
        .get(&Address::new(addr))
        .unwrap_or_else(|| panic!("no {addr}"));
    Value::Object(r.props.clone())
}

fn ci_resources(g: &DesiredGraph) -> BTreeMap<String, Value> {
    g.resources
        .values()
        .filter(|r| {
            r.kind == kinds::IAM_OPENID_CONNECT_PROVIDER
                || (r.kind == kinds::IAM_ROLE && r.address.name().starts_with("ci-"))
        })
        .map(|r| (r.address.to_string(), Value::Object(r.props.clone())))
        .collect()
}

#[test]
fn ci_resources_snapshot() {
    insta::assert_json_snapshot!("fastapi_rds_ci_dev", ci_resources(&graph(&spec(), "dev")));
}

#[test]
fn trust_conditions_name_the_repository_and_branches() {
    let g = graph(&spec(), "dev");
    let provider = format!("{}.{PROVIDER}", kinds::IAM_OPENID_CONNECT_PROVIDER);
    assert_eq!(
        props(&g, &provider),
        json!({"url": "https://token.actions.githubusercontent.com", "client_ids": ["sts.amazonaws.com"]})
    );
    let plan = props(&g, &format!("iam_role.{PLAN_ROLE}"));
    let st = &plan["trust_policy"]["Statement"][0];
    assert_eq!(st["Action"], "sts:AssumeRoleWithWebIdentity");
    assert_eq!(
        st["Principal"]["Federated"],
        reference(&Address::new(&provider), "arn")
    );
    assert_eq!(
        st["Condition"],
        json!({"StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:acme/fastapi-rds:pull_request",
        }})
    );
    let deploy = props(&g, &format!("iam_role.{DEPLOY_ROLE}"));
    assert_eq!(
        deploy["trust_policy"]["Statement"][0]["Condition"],
        json!({
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {"token.actions.githubusercontent.com:sub": [
                "repo:acme/fastapi-rds:ref:refs/heads/main",
                "repo:acme/fastapi-rds:ref:refs/heads/release/*",
            ]},
        })
    );
    assert_eq!(deploy["name"], "fastapi-rds-dev-ci-deploy");
    assert_eq!(deploy["assume_role_service"], "");
}

#[test]
fn an_overlay_changes_branches_and_uses_the_existing_provider() {
    let g = graph(&spec(), "prod-ci");
    let provider = props(&g, "iam_openid_connect_provider.github");
    assert_eq!(provider["existing"], true);
    let deploy = props(&g, "iam_role.ci-deploy");
    assert_eq!(
        deploy["trust_policy"]["Statement"][0]["Condition"]["StringEquals"]
            ["token.actions.githubusercontent.com:sub"],
        "repo:acme/fastapi-rds:ref:refs/heads/main"
    );
    assert_eq!(deploy["name"], "fastapi-rds-prod-ci-ci-deploy");
}

#[test]
fn no_star_resource_but_where_the_action_requires_it() {
    for env in ["dev", "prod-ci"] {
        let g = graph(&spec(), env);
        for role in [PLAN_ROLE, DEPLOY_ROLE] {
            let p = props(&g, &format!("iam_role.{role}"));
            for (name, doc) in p["inline_policies"].as_object().unwrap() {
                assert_eq!(
                    star_violations(doc),
                    Vec::<String>::new(),
                    "{env} {role} policy {name}"
                );
            }
        }
    }
    // And the check does catch one.
    let bad = json!({"Statement": [{"Effect": "Allow", "Action": ["ecs:UpdateService"], "Resource": "*"}]});
    assert_eq!(star_violations(&bad), vec!["ecs:UpdateService".to_string()]);
}

#[test]
fn deploy_role_is_scoped_to_the_stack() {
    let g = graph(&spec(), "dev");
    let deploy = props(&g, "iam_role.ci-deploy");
    let doc = &deploy["inline_policies"]["deploy"];
    let by_sid = |sid: &str| -> Value {
        doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .cloned()
            .unwrap_or_else(|| panic!("no {sid}"))
    };
    assert_eq!(
        by_sid("PushImages")["Resource"],
        json!([reference(&Address::new("ecr_repository.api-app"), "arn")])
    );
    assert_eq!(
        by_sid("UpdateServices")["Resource"],
        json!([reference(&Address::new("ecs_service.api"), "arn")])
    );
    assert_eq!(
        by_sid("PassServiceRoles")["Resource"],
        json!([
            reference(&Address::new("iam_role.api-execution"), "arn"),
            reference(&Address::new("iam_role.api-task"), "arn"),
        ])
    );
    assert_eq!(
        by_sid("PassServiceRoles")["Condition"],
        json!({"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}})
    );
    assert_eq!(
        by_sid("StateObjects")["Resource"],
        json!(["arn:aws:s3:::acme-gantry-state/teams/fastapi-rds-dev/*"])
    );
    // No action that creates, deletes or changes infrastructure.
    let all: Vec<String> = doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap().clone())
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    for a in &all {
        assert!(
            !a.contains("Create")
                && !a.starts_with("ec2:")
                && !a.starts_with("rds:")
                && a != "iam:PutRolePolicy",
            "{a}"
        );
    }
    let plan = props(&g, "iam_role.ci-plan");
    let plan_actions = plan["inline_policies"]["plan"].to_string();
    for a in [
        "rds:DescribeDBInstances",
        "ec2:DescribeVpcs",
        "tag:GetResources",
        "iam:GetOpenIDConnectProvider",
    ] {
        assert!(plan_actions.contains(a), "{a}");
    }
    for not in [
        "s3:GetObject\",\"s3:PutObject\",\"s3:DeleteObject\",\"ec2:",
        "secretsmanager:GetSecretValue",
        "dynamodb:GetItem",
    ] {
        assert!(!plan_actions.contains(not), "{not}");
    }
}

#[test]
fn stacks_without_ci_get_none_of_it() {
    for text in [MINIMAL, FASTAPI_RDS] {
        let g = graph(text, "dev");
        assert!(ci_resources(&g).is_empty());
    }
}
