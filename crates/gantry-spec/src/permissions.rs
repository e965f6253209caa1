//! Checks of what a service asks for beyond `uses`: its `policy:`
//! statements (least privilege: named actions on named resources) and its
//! `log_retention` (a value CloudWatch Logs accepts).

use crate::diag::Problems;
use crate::span::Sp;
use crate::types::Service;

/// Actions IAM grants on `*` only (they have no resource-level
/// permissions, per the Service Authorization Reference): a `*` resource is
/// accepted for these alone.
pub const NO_RESOURCE_ACTIONS: &[&str] = &[
    "bedrock:ListFoundationModels",
    "bedrock:ListInferenceProfiles",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:GetMetricData",
    "cloudwatch:ListMetrics",
    "cloudwatch:PutMetricData",
    "dynamodb:ListTables",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInstances",
    "ec2:DescribeRegions",
    "ecr:GetAuthorizationToken",
    "kms:ListAliases",
    "kms:ListKeys",
    "logs:DescribeLogGroups",
    "rekognition:DetectFaces",
    "rekognition:DetectLabels",
    "rekognition:DetectText",
    "route53:ListHostedZones",
    "s3:ListAllMyBuckets",
    "secretsmanager:GetRandomPassword",
    "secretsmanager:ListSecrets",
    "ses:GetAccount",
    "ses:GetSendQuota",
    "sns:ListTopics",
    "sqs:ListQueues",
    "ssm:DescribeParameters",
    "sts:GetCallerIdentity",
    "textract:AnalyzeDocument",
    "textract:DetectDocumentText",
    "translate:TranslateText",
    "xray:GetSamplingRules",
    "xray:GetSamplingStatisticSummaries",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
];

/// The retention periods CloudWatch Logs accepts (PutRetentionPolicy).
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Whether `action` may be granted on `*`: it has no resource-level
/// permissions. A wildcard never does: `s3:List*` matches
/// `s3:ListAllMyBuckets` but also `s3:ListBucket`, which names a bucket.
pub fn needs_star(action: &str) -> bool {
    !action.contains('*')
        && NO_RESOURCE_ACTIONS
            .iter()
            .any(|a| a.eq_ignore_ascii_case(action))
}

/// `service:Action`: a service prefix of lower-case letters, digits and
/// dashes, then letters, digits and `*`.
fn well_formed(action: &str) -> bool {
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '*')
}

pub(crate) fn check_service(sname: &Sp<String>, svc: &Service, p: &mut Problems) {
    if let Some(r) = &svc.log_retention {
        if !LOG_RETENTION_DAYS.contains(&r.value) {
            p.push(
                r.pos,
                format!(
                    "log_retention {} for service `{}` is not a period CloudWatch Logs keeps",
                    r.value, sname.value
                ),
                format!(
                    "use one of {}",
                    LOG_RETENTION_DAYS
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    for st in &svc.policy {
        if st.actions.is_empty() {
            p.push(
                st.pos,
                "a policy statement without actions".to_string(),
                "list the IAM actions the app calls, like `bedrock:InvokeModel`".to_string(),
            );
        }
        if st.resources.is_empty() {
            p.push(
                st.pos,
                "a policy statement without resources".to_string(),
                "list the ARNs the actions apply to".to_string(),
            );
        }
        for a in &st.actions {
            let name = a.split_once(':').map_or("", |(_, n)| n);
            if a.value == "*" || name == "*" {
                p.push(
                    a.pos,
                    format!("action `{}` grants every action", a.value),
                    "name the actions the app calls (wildcards inside a name, like `s3:Get*`, are fine)".to_string(),
                );
            } else if !well_formed(a) {
                p.push(
                    a.pos,
                    format!("invalid IAM action `{}`", a.value),
                    "write `service:Action`, like `bedrock:InvokeModel`".to_string(),
                );
            }
        }
        for r in &st.resources {
            if r.value == "*" {
                let scoped: Vec<&str> = st
                    .actions
                    .iter()
                    .filter(|a| !needs_star(a))
                    .map(|a| a.as_str())
                    .collect();
                if !scoped.is_empty() {
                    p.push(
                        r.pos,
                        format!(
                            "resource `*` for {}, which can be limited to named resources",
                            scoped.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                        ),
                        "list the ARNs instead; `*` is only for actions without resource-level permissions (put those in a statement of their own)".to_string(),
                    );
                }
            } else if !r.starts_with("arn:") {
                p.push(
                    r.pos,
                    format!("resource `{}` is not an ARN", r.value),
                    "write the full ARN, like `arn:aws:bedrock:us-east-1::foundation-model/anthropic.*`".to_string(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_actions_without_resource_permissions_need_star() {
        assert!(needs_star("xray:PutTraceSegments"));
        assert!(needs_star("XRay:puttracesegments"));
        assert!(!needs_star("xray:PutTrace*"));
        assert!(!needs_star("s3:List*"));
        assert!(!needs_star("bedrock:InvokeModel"));
        assert!(!needs_star("bedrock:InvokeModel*"));
        assert!(!needs_star("s3:*"));
        assert!(!needs_star("xray:*"));
        assert!(well_formed("bedrock:InvokeModel*"));
        assert!(!well_formed("bedrock"));
        assert!(!well_formed("Bedrock:Invoke Model"));
    }
}
