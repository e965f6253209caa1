//! GitHub Actions through OIDC (`ci.github`): IAM's OIDC provider for
//! GitHub's token issuer and two roles its workflows assume, with no
//! long-lived keys.
//!
//! - `iam_role.ci-plan`, trusted by the repository's pull requests
//!   (`sub` = `repo:OWNER/NAME:pull_request`): the read-only calls a
//!   `gantry plan` refresh makes for the kinds this stack has, and the
//!   state objects (a plan takes the state's lease, so it writes the lock
//!   and snapshot too).
//! - `iam_role.ci-deploy`, trusted only by pushes to the deploy branches
//!   (`sub` = `repo:OWNER/NAME:ref:refs/heads/BRANCH`): exactly what
//!   `gantry deploy --build` does: push to the stack's ECR repositories,
//!   register the services' and jobs' task definitions, update and follow the
//!   stack's services, pass exactly their task and execution roles, and
//!   read and write the state.
//!
//! Both require `aud` = `sts.amazonaws.com`. `gantry up` from CI creates
//! and changes anything the spec describes (VPCs, databases, IAM roles):
//! no role scoped to one stack can do that, so the deploy role does not
//! pretend to; the workflow runs `up` with an apply role the team names
//! (`gantry ci github --apply-role ARN`), see the README.
//!
//! `Resource: "*"` appears only for actions IAM offers no resource-level
//! permission for ([`STAR_ONLY`], checked by a test).

use crate::naming::{partition, short_name};
use crate::Graph;
use gantry_core::kinds::{self, *};
use gantry_core::{reference, Address, Resource};
use gantry_model::{Model, StateLocation, GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The address name of the OIDC provider and the roles.
pub const PROVIDER: &str = "github";
pub const PLAN_ROLE: &str = "ci-plan";
pub const DEPLOY_ROLE: &str = "ci-deploy";

/// Actions that take no resource ARN (IAM's Service Authorization
/// Reference lists no resource type for them), so `Resource: "*"` is the
/// only way to allow them. A test checks that every `*` statement holds
/// only these.
pub const STAR_ONLY: &[&str] = &[
    "ecr:GetAuthorizationToken",
    "ecs:RegisterTaskDefinition",
    "ecs:DeregisterTaskDefinition",
    "ecs:DescribeTaskDefinition",
    "ecs:ListTaskDefinitions",
    "ecs:ListTasks",
    "elasticloadbalancing:DescribeTargetHealth",
];

/// The read-only calls a refresh makes, by the kinds' AWS service (the
/// service of `gantry_core::meta`), as IAM actions. Every one is a
/// `Describe`, `List` or `Get` of configuration: no object, item, secret
/// value or log event is readable with them. They take no resource ARN
/// (or, for some, one per object of a listing), so they are allowed on
/// `*`; the SSM parameter values are the one read scoped to the stack.
pub fn read_actions(service: &str) -> Option<&'static [&'static str]> {
    Some(match service {
        "ec2" => &[
            "ec2:DescribeAddresses",
            "ec2:DescribeFlowLogs",
            "ec2:DescribeInternetGateways",
            "ec2:DescribeNatGateways",
            "ec2:DescribeRouteTables",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets",
            "ec2:DescribeVpcAttribute",
            "ec2:DescribeVpcEndpoints",
            "ec2:DescribeVpcs",
        ],
        "elbv2" => &[
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTargetGroups",
        ],
        "ecs" => &[
            "ecs:DescribeClusters",
            "ecs:DescribeServices",
            "ecs:DescribeTaskDefinition",
            "ecs:ListTaskDefinitions",
        ],
        "logs" => &["logs:DescribeLogGroups", "logs:ListTagsForResource"],
        "iam" => &[
            "iam:GetAccountAuthorizationDetails",
            "iam:GetOpenIDConnectProvider",
            "iam:GetRole",
            "iam:ListOpenIDConnectProviders",
            "iam:ListRoleTags",
        ],
        "ecr" => &["ecr:DescribeRepositories", "ecr:ListTagsForResource"],
        "kms" => &[
            "kms:DescribeKey",
            "kms:GetKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:ListAliases",
            "kms:ListKeys",
            "kms:ListResourceTags",
        ],
        "secretsmanager" => &[
            "secretsmanager:DescribeSecret",
            "secretsmanager:ListSecrets",
        ],
        "ssm" => &["ssm:DescribeParameters", "ssm:ListTagsForResource"],
        "rds" => &[
            "rds:DescribeDBInstances",
            "rds:DescribeDBSubnetGroups",
            "rds:ListTagsForResource",
        ],
        "elasticache" => &[
            "elasticache:DescribeCacheClusters",
            "elasticache:DescribeCacheSubnetGroups",
            "elasticache:DescribeReplicationGroups",
            "elasticache:ListTagsForResource",
        ],
        "memorydb" => &[
            "memorydb:DescribeACLs",
            "memorydb:DescribeClusters",
            "memorydb:DescribeSubnetGroups",
            "memorydb:DescribeUsers",
            "memorydb:ListTags",
        ],
        "dynamodb" => &[
            "dynamodb:DescribeContinuousBackups",
            "dynamodb:DescribeTable",
            "dynamodb:DescribeTimeToLive",
            "dynamodb:ListTagsOfResource",
        ],
        "s3" => &[
            "s3:GetBucketCORS",
            "s3:GetBucketPolicy",
            "s3:GetBucketPublicAccessBlock",
            "s3:GetBucketTagging",
            "s3:GetBucketVersioning",
            "s3:GetEncryptionConfiguration",
            "s3:GetLifecycleConfiguration",
            "s3:ListAllMyBuckets",
        ],
        "efs" => &[
            "elasticfilesystem:DescribeAccessPoints",
            "elasticfilesystem:DescribeFileSystems",
            "elasticfilesystem:DescribeLifecycleConfiguration",
            "elasticfilesystem:DescribeMountTargetSecurityGroups",
            "elasticfilesystem:DescribeMountTargets",
        ],
        "route53" => &[
            "route53:GetChange",
            "route53:GetHostedZone",
            "route53:ListHostedZonesByName",
            "route53:ListResourceRecordSets",
            "route53:ListTagsForResource",
        ],
        "acm" => &[
            "acm:DescribeCertificate",
            "acm:ListCertificates",
            "acm:ListTagsForCertificate",
        ],
        "wafv2" => &[
            "wafv2:GetIPSet",
            "wafv2:GetWebACL",
            "wafv2:GetWebACLForResource",
            "wafv2:ListIPSets",
            "wafv2:ListTagsForResource",
            "wafv2:ListWebACLs",
        ],
        "cloudfront" => &[
            "cloudfront:GetDistribution",
            "cloudfront:GetOriginAccessControl",
            "cloudfront:ListDistributions",
            "cloudfront:ListOriginAccessControls",
            "cloudfront:ListTagsForResource",
        ],
        "apigateway" => &["apigateway:GET"],
        "sns" => &[
            "sns:GetSubscriptionAttributes",
            "sns:GetTopicAttributes",
            "sns:ListSubscriptionsByTopic",
            "sns:ListTagsForResource",
        ],
        "sqs" => &[
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:ListQueueTags",
        ],
        "scheduler" => &[
            "scheduler:GetSchedule",
            "scheduler:GetScheduleGroup",
            "scheduler:ListTagsForResource",
        ],
        "events" => &[
            "events:DescribeRule",
            "events:ListTagsForResource",
            "events:ListTargetsByRule",
        ],
        "ses" => &["ses:GetEmailIdentity"],
        "cognito-idp" => &[
            "cognito-idp:DescribeUserPool",
            "cognito-idp:DescribeUserPoolClient",
            "cognito-idp:DescribeUserPoolDomain",
            "cognito-idp:GetGroup",
            "cognito-idp:ListGroups",
            "cognito-idp:ListUserPoolClients",
            "cognito-idp:ListUserPools",
        ],
        // Cloud Map: what the refresh and adoption read (GetOperation only
        // follows Gantry's own writes, which the plan role never makes).
        "servicediscovery" => &[
            "servicediscovery:GetNamespace",
            "servicediscovery:GetService",
            "servicediscovery:ListNamespaces",
            "servicediscovery:ListServices",
            "servicediscovery:ListTagsForResource",
        ],
        "cloudwatch" => &[
            "cloudwatch:DescribeAlarms",
            "cloudwatch:GetDashboard",
            "cloudwatch:ListDashboards",
            "cloudwatch:ListTagsForResource",
        ],
        "application-autoscaling" => &[
            "application-autoscaling:DescribeScalableTargets",
            "application-autoscaling:DescribeScalingPolicies",
            "application-autoscaling:DescribeScheduledActions",
            "application-autoscaling:ListTagsForResource",
        ],
        _ => return None,
    })
}

pub(crate) fn build(m: &Model, g: &mut Graph) {
    let Some(gh) = &m.github else {
        return;
    };
    let provider = g.add(Resource::new(
        kinds::IAM_OPENID_CONNECT_PROVIDER,
        PROVIDER,
        &IamOpenidConnectProvider {
            url: format!("https://{GITHUB_OIDC_HOST}"),
            client_ids: vec![GITHUB_OIDC_AUDIENCE.into()],
            thumbprints: Vec::new(),
            existing: !gh.create_provider,
        },
    ));
    let prefix = m.prefix();
    let plan = plan_policies(m, g);
    g.add(Resource::new(
        kinds::IAM_ROLE,
        PLAN_ROLE,
        &IamRole {
            name: short_name(&format!("{prefix}-ci-plan"), 64),
            description: format!(
                "GitHub Actions: gantry plan for pull requests of {}",
                gh.repo
            ),
            assume_role_service: String::new(),
            inline_policies: plan,
            trust_policy: Some(trust(
                &provider,
                &[format!("repo:{}:pull_request", gh.repo)],
            )),
        },
    ));
    let deploy = deploy_policies(m, g);
    let subjects: Vec<String> = gh
        .deploy_branches
        .iter()
        .map(|b| format!("repo:{}:ref:refs/heads/{b}", gh.repo))
        .collect();
    g.add(Resource::new(
        kinds::IAM_ROLE,
        DEPLOY_ROLE,
        &IamRole {
            name: short_name(&format!("{prefix}-ci-deploy"), 64),
            description: format!(
                "GitHub Actions: gantry deploy from {} ({})",
                gh.repo,
                gh.deploy_branches.join(", ")
            ),
            assume_role_service: String::new(),
            inline_policies: deploy,
            trust_policy: Some(trust(&provider, &subjects)),
        },
    ));
}

/// The trust policy: GitHub's OIDC provider, tokens for STS, with exactly
/// these subjects (`StringLike` only when a branch pattern has a `*`).
pub fn trust(provider: &Address, subjects: &[String]) -> Value {
    let aud = format!("{GITHUB_OIDC_HOST}:aud");
    let sub = format!("{GITHUB_OIDC_HOST}:sub");
    let subs = one_or_many(subjects);
    let condition = if subjects.iter().any(|s| s.contains('*')) {
        json!({"StringEquals": {aud: GITHUB_OIDC_AUDIENCE}, "StringLike": {sub: subs}})
    } else {
        json!({"StringEquals": {aud: GITHUB_OIDC_AUDIENCE, sub: subs}})
    };
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": reference(provider, "arn")},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition,
        }]
    })
}

fn one_or_many(v: &[String]) -> Value {
    match v {
        [one] => json!(one),
        many => json!(many),
    }
}

fn doc(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The state's objects for this stack and environment: `lock.json`,
/// `state.json` and `journal/` under `PREFIX/STACK-ENV/`. A plan takes the
/// lease and writes the snapshot as it opens, so both roles write them.
fn state_statements(m: &Model) -> Vec<Value> {
    let StateLocation::S3 { bucket, prefix, .. } = &m.state else {
        return Vec::new();
    };
    let part = partition(&m.region);
    let dir = match prefix.as_str() {
        "" => m.prefix(),
        p => format!("{p}/{}", m.prefix()),
    };
    vec![
        json!({
            "Sid": "StateObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": [format!("arn:{part}:s3:::{bucket}/{dir}/*")],
        }),
        json!({
            "Sid": "StateListing",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [format!("arn:{part}:s3:::{bucket}")],
            "Condition": {"StringLike": {"s3:prefix": [format!("{dir}/*")]}},
        }),
    ]
}

fn plan_policies(m: &Model, g: &Graph) -> BTreeMap<String, Value> {
    // The kinds this stack has, plus the OIDC provider and roles this very
    // module adds, plus the inventory's one tagging API call.
    let mut services: BTreeSet<&str> = g
        .kinds()
        .into_iter()
        .filter_map(|k| gantry_core::meta::kind_meta(&k).map(|m| m.service))
        .collect();
    services.insert("iam");
    let mut actions: BTreeSet<&str> = services
        .iter()
        .filter_map(|s| read_actions(s))
        .flatten()
        .copied()
        .collect();
    actions.insert("tag:GetResources");
    let mut statements = vec![json!({
        "Sid": "Refresh",
        "Effect": "Allow",
        "Action": actions.into_iter().collect::<Vec<_>>(),
        "Resource": ["*"],
    })];
    if !m.parameters.is_empty() {
        statements.push(json!({
            "Sid": "ReadParameters",
            "Effect": "Allow",
            "Action": ["ssm:GetParameters"],
            "Resource": [format!(
                "arn:{}:ssm:{}:*:parameter/gantry/{}/{}/*",
                partition(&m.region),
                m.region,
                m.stack,
                m.env
            )],
        }));
    }
    statements.extend(state_statements(m));
    BTreeMap::from([("plan".to_string(), doc(statements))])
}

fn deploy_policies(m: &Model, g: &Graph) -> BTreeMap<String, Value> {
    let part = partition(&m.region);
    let region = &m.region;
    let prefix = m.prefix();
    let refs = |kind: &str| -> Vec<String> {
        g.addresses_of(kind)
            .iter()
            .map(|a| reference(a, "arn"))
            .collect()
    };
    let repos = refs(kinds::ECR_REPOSITORY);
    let services = refs(kinds::ECS_SERVICE);
    // Exactly the services' and jobs' task and execution roles (a deploy
    // ships jobs' images too).
    let roles: Vec<String> = m
        .tasks()
        .flat_map(|s| [format!("{}-execution", s.name), format!("{}-task", s.name)])
        .map(|n| reference(&Address::of(kinds::IAM_ROLE, &n), "arn"))
        .collect();
    let families: Vec<String> = m
        .tasks()
        .map(|s| {
            format!(
                "arn:{part}:ecs:{region}:*:task-definition/{prefix}-{}:*",
                s.name
            )
        })
        .collect();
    let mut statements = Vec::new();
    if !repos.is_empty() {
        statements.push(json!({
            "Sid": "EcrLogin",
            "Effect": "Allow",
            "Action": ["ecr:GetAuthorizationToken"],
            "Resource": ["*"],
        }));
        statements.push(json!({
            "Sid": "PushImages",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:GetDownloadUrlForLayer",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:UploadLayerPart",
            ],
            "Resource": repos,
        }));
    }
    statements.push(json!({
        "Sid": "TaskDefinitions",
        "Effect": "Allow",
        "Action": [
            "ecs:DeregisterTaskDefinition",
            "ecs:DescribeTaskDefinition",
            "ecs:ListTaskDefinitions",
            "ecs:RegisterTaskDefinition",
        ],
        "Resource": ["*"],
    }));
    statements.push(json!({
        "Sid": "TagAndDeleteRevisions",
        "Effect": "Allow",
        "Action": ["ecs:DeleteTaskDefinitions", "ecs:TagResource"],
        "Resource": families,
    }));
    if !services.is_empty() {
        statements.push(json!({
            "Sid": "UpdateServices",
            "Effect": "Allow",
            "Action": ["ecs:DescribeServices", "ecs:UpdateService"],
            "Resource": services,
        }));
    }
    statements.push(json!({
        "Sid": "FollowRollouts",
        "Effect": "Allow",
        "Action": [
            "ecs:DescribeServiceDeployments",
            "ecs:DescribeTasks",
            "ecs:StopServiceDeployment",
        ],
        "Resource": [
            format!("arn:{part}:ecs:{region}:*:service-deployment/{prefix}/*"),
            format!("arn:{part}:ecs:{region}:*:task/{prefix}/*"),
        ],
    }));
    statements.push(json!({
        "Sid": "ListTasks",
        "Effect": "Allow",
        "Action": ["ecs:ListTasks"],
        "Resource": ["*"],
        "Condition": {"ArnEquals": {"ecs:cluster": reference(&Address::of(kinds::ECS_CLUSTER, "main"), "arn")}},
    }));
    if !m.load_balancers.is_empty() {
        statements.push(json!({
            "Sid": "TargetHealth",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:DescribeTargetHealth"],
            "Resource": ["*"],
        }));
    }
    statements.push(json!({
        "Sid": "PassServiceRoles",
        "Effect": "Allow",
        "Action": ["iam:PassRole"],
        "Resource": roles,
        "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
    }));
    statements.extend(state_statements(m));
    BTreeMap::from([("deploy".to_string(), doc(statements))])
}

/// Every statement of `policy` whose resources include `*` holds only
/// actions of [`STAR_ONLY`] or read actions of [`read_actions`]; returns
/// the offending actions.
pub fn star_violations(policy: &Value) -> Vec<String> {
    let allowed: BTreeSet<&str> = STAR_ONLY
        .iter()
        .copied()
        .chain(
            gantry_core::meta::all()
                .iter()
                .filter_map(|m| read_actions(m.service))
                .flatten()
                .copied(),
        )
        .chain(["tag:GetResources"])
        .collect();
    let mut bad = Vec::new();
    for st in policy["Statement"].as_array().into_iter().flatten() {
        let star = match &st["Resource"] {
            Value::String(s) => s == "*",
            Value::Array(a) => a.iter().any(|r| r == "*"),
            _ => false,
        };
        if !star {
            continue;
        }
        let actions: Vec<&str> = match &st["Action"] {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        bad.extend(
            actions
                .into_iter()
                .filter(|a| !allowed.contains(a))
                .map(str::to_string),
        );
    }
    bad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_refresh_actions() {
        for m in gantry_core::meta::all() {
            assert!(
                read_actions(m.service).is_some(),
                "kind {} (service {}) has no read actions for the CI plan role: add its service to ci::read_actions",
                m.kind,
                m.service
            );
        }
    }

    #[test]
    fn read_actions_only_read() {
        for m in gantry_core::meta::all() {
            for a in read_actions(m.service).unwrap_or_default() {
                let verb = a.split_once(':').map(|(_, v)| v).unwrap_or(a);
                assert!(
                    ["Describe", "List", "Get", "GET"]
                        .iter()
                        .any(|p| verb.starts_with(p)),
                    "{a} is not a read"
                );
                assert_ne!(*a, "ssm:GetParameters", "parameter values are scoped");
            }
        }
    }

    #[test]
    fn wildcard_branches_use_string_like() {
        let p = Address::of(kinds::IAM_OPENID_CONNECT_PROVIDER, PROVIDER);
        let exact = trust(&p, &["repo:a/b:ref:refs/heads/main".into()]);
        let cond = &exact["Statement"][0]["Condition"];
        assert_eq!(
            cond["StringEquals"]["token.actions.githubusercontent.com:sub"],
            "repo:a/b:ref:refs/heads/main"
        );
        assert!(cond.get("StringLike").is_none());
        let like = trust(
            &p,
            &[
                "repo:a/b:ref:refs/heads/main".into(),
                "repo:a/b:ref:refs/heads/release/*".into(),
            ],
        );
        let cond = &like["Statement"][0]["Condition"];
        assert_eq!(
            cond["StringEquals"]["token.actions.githubusercontent.com:aud"],
            "sts.amazonaws.com"
        );
        assert_eq!(
            cond["StringLike"]["token.actions.githubusercontent.com:sub"][1],
            "repo:a/b:ref:refs/heads/release/*"
        );
        assert!(cond["StringEquals"]
            .get("token.actions.githubusercontent.com:sub")
            .is_none());
    }
}
