//! Seed 004's platform services and CI: SQS queues (with the policy
//! admitting the topics and rules that send to them), EventBridge
//! Scheduler groups and schedules, EventBridge rules (each running its job
//! on ECS), the SES identity, Cognito (pool, groups, client, hosted UI
//! domain), the API's JWT authorizer, and IAM's OIDC provider for GitHub.

use crate::cx::Cx;
use crate::{ExportError, NoteKind};
use gantry_core::kinds::*;
use gantry_core::Resource;
use serde_json::{json, Value};

pub fn sqs_queue(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: SqsQueue = cx.props(r)?;
    let redrive = match &p.redrive {
        Some(d) => json!({
            "deadLetterTargetArn": cx.s(&d.dead_letter_target_arn)?,
            "maxReceiveCount": d.max_receive_count,
        }),
        None => Value::Null,
    };
    let props = json!({
        "QueueName": p.name,
        "FifoQueue": p.fifo.then_some(true),
        "VisibilityTimeout": p.visibility_timeout_seconds,
        "MessageRetentionPeriod": p.message_retention_seconds,
        "KmsMasterKeyId": cx.s(&p.kms_key_id)?,
        "RedrivePolicy": redrive,
        "Tags": cx.tags(r, None),
    });
    let queue = cx.add(r, None, "AWS::SQS::Queue", props);
    // The statements the provider writes: SNS and EventBridge may send,
    // each for exactly the topics and rules named (`aws:SourceArn`).
    let arn = json!({"Fn::GetAtt": [queue, "Arn"]});
    let mut statements = Vec::new();
    if !p.sender_topic_arns.is_empty() {
        statements.push(json!({
            "Sid": "TopicsSend",
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": cx.list(&p.sender_topic_arns)?}},
        }));
    }
    if !p.sender_rule_names.is_empty() {
        let rules: Vec<Value> = p
            .sender_rule_names
            .iter()
            .map(|n| json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:rule/{n}")}))
            .collect();
        statements.push(json!({
            "Sid": "RulesSend",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rules}},
        }));
    }
    if !statements.is_empty() {
        let policy = json!({
            "Queues": [{"Ref": queue}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
        });
        cx.add(r, Some("Policy"), "AWS::SQS::QueuePolicy", policy);
    }
    Ok(())
}

pub fn scheduler_schedule_group(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: SchedulerScheduleGroup = cx.props(r)?;
    let props = json!({"Name": p.name, "Tags": cx.tags(r, None)});
    cx.add(r, None, "AWS::Scheduler::ScheduleGroup", props);
    Ok(())
}

/// The ECS parameters of a job's trigger, as the providers send them: one
/// task on the cluster's capacity provider, in the private subnets, with
/// no public address. `vpc_key` is how each service spells the network
/// configuration (`AwsVpcConfiguration` for EventBridge rules,
/// `AwsvpcConfiguration` for Scheduler).
fn ecs_parameters(cx: &mut Cx, t: &EcsTaskTarget, vpc_key: &str) -> Result<Value, ExportError> {
    Ok(json!({
        "TaskDefinitionArn": cx.s(&t.task_definition_arn)?,
        "TaskCount": 1,
        "CapacityProviderStrategy": [{"CapacityProvider": t.capacity_provider, "Weight": 1}],
        "NetworkConfiguration": {vpc_key: {
            "Subnets": cx.list(&t.subnet_ids)?,
            "SecurityGroups": cx.list(&t.security_group_ids)?,
            "AssignPublicIp": "DISABLED",
        }},
    }))
}

pub fn scheduler_schedule(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: SchedulerSchedule = cx.props(r)?;
    let t = &p.target;
    let props = json!({
        "Name": p.name,
        "GroupName": cx.s(&p.group_name)?,
        "Description": p.description,
        "ScheduleExpression": p.schedule_expression,
        "ScheduleExpressionTimezone": p.timezone,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "ENABLED",
        "Target": {
            "Arn": cx.s(&t.cluster_arn)?,
            "RoleArn": cx.s(&t.role_arn)?,
            "EcsParameters": ecs_parameters(cx, t, "AwsvpcConfiguration")?,
            "DeadLetterConfig": {"Arn": cx.s(&t.dead_letter_arn)?},
            "RetryPolicy": {"MaximumRetryAttempts": t.maximum_retry_attempts},
        },
    });
    cx.add(r, None, "AWS::Scheduler::Schedule", props);
    Ok(())
}

pub fn events_rule(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: EventsRule = cx.props(r)?;
    let t = &p.target;
    let props = json!({
        "Name": p.name,
        "Description": p.description,
        "EventPattern": p.event_pattern,
        "State": "ENABLED",
        "Targets": [{
            "Id": "job",
            "Arn": cx.s(&t.cluster_arn)?,
            "RoleArn": cx.s(&t.role_arn)?,
            "EcsParameters": ecs_parameters(cx, t, "AwsVpcConfiguration")?,
            "DeadLetterConfig": {"Arn": cx.s(&t.dead_letter_arn)?},
            "RetryPolicy": {"MaximumRetryAttempts": t.maximum_retry_attempts},
        }],
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::Events::Rule", props);
    Ok(())
}

pub fn sesv2_email_identity(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: Sesv2EmailIdentity = cx.props(r)?;
    let mail_from = (!p.mail_from_domain.is_empty()).then(|| {
        json!({"MailFromDomain": p.mail_from_domain, "BehaviorOnMxFailure": p.behavior_on_mx_failure})
    });
    let props = json!({
        "EmailIdentity": p.identity,
        "DkimSigningAttributes": {"NextSigningKeyLength": "RSA_2048_BIT"},
        "MailFromAttributes": mail_from,
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::SES::EmailIdentity", props);
    cx.note(
        &r.address,
        NoteKind::Deploy,
        "SES sends from a new account's identities only to verified addresses until AWS grants production access (the sandbox)",
    );
    Ok(())
}

pub fn cognito_user_pool(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: CognitoUserPool = cx.props(r)?;
    let pw = &p.password_policy;
    let props = json!({
        "UserPoolName": p.name,
        "UsernameAttributes": p.username_attributes,
        "AutoVerifiedAttributes": p.auto_verified_attributes,
        "Policies": {"PasswordPolicy": {
            "MinimumLength": pw.minimum_length,
            "RequireLowercase": pw.require_lowercase,
            "RequireUppercase": pw.require_uppercase,
            "RequireNumbers": pw.require_numbers,
            "RequireSymbols": pw.require_symbols,
            "TemporaryPasswordValidityDays": pw.temporary_password_validity_days,
        }},
        // Email is the recovery channel (the provider's setting).
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
        "MfaConfiguration": p.mfa_configuration,
        // TOTP apps, the one second factor that needs no SMS set-up.
        "EnabledMfas": (p.mfa_configuration != "OFF").then(|| json!(["SOFTWARE_TOKEN_MFA"])),
        "DeletionProtection": if p.deletion_protection { "ACTIVE" } else { "INACTIVE" },
        "UserPoolTags": cx.tag_map(r, None),
    });
    cx.add(r, None, "AWS::Cognito::UserPool", props);
    Ok(())
}

pub fn cognito_user_group(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: CognitoUserGroup = cx.props(r)?;
    let props = json!({
        "GroupName": p.name,
        "UserPoolId": cx.s(&p.user_pool_id)?,
        "Description": p.description,
        "Precedence": p.precedence,
    });
    cx.add(r, None, "AWS::Cognito::UserPoolGroup", props);
    Ok(())
}

pub fn cognito_user_pool_client(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: CognitoUserPoolClient = cx.props(r)?;
    let some = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    let props = json!({
        "ClientName": p.name,
        "UserPoolId": cx.s(&p.user_pool_id)?,
        "GenerateSecret": p.generate_secret,
        "AllowedOAuthFlowsUserPoolClient": !p.allowed_oauth_flows.is_empty(),
        "AllowedOAuthFlows": some(&p.allowed_oauth_flows),
        "AllowedOAuthScopes": some(&p.allowed_oauth_scopes),
        "CallbackURLs": some(&p.callback_urls),
        "LogoutURLs": some(&p.logout_urls),
        "SupportedIdentityProviders": some(&p.supported_identity_providers),
        "ExplicitAuthFlows": some(&p.explicit_auth_flows),
        "PreventUserExistenceErrors": if p.prevent_user_existence_errors { "ENABLED" } else { "LEGACY" },
        "EnableTokenRevocation": p.enable_token_revocation,
    });
    cx.add(r, None, "AWS::Cognito::UserPoolClient", props);
    Ok(())
}

pub fn cognito_user_pool_domain(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: CognitoUserPoolDomain = cx.props(r)?;
    let props = json!({"Domain": p.domain, "UserPoolId": cx.s(&p.user_pool_id)?});
    cx.add(r, None, "AWS::Cognito::UserPoolDomain", props);
    Ok(())
}

pub fn apigw_authorizer(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: ApigwAuthorizer = cx.props(r)?;
    let props = json!({
        "ApiId": cx.s(&p.api_id)?,
        "Name": p.name,
        "AuthorizerType": p.authorizer_type,
        "IdentitySource": p.identity_source,
        "JwtConfiguration": {"Issuer": cx.s(&p.issuer)?, "Audience": cx.list(&p.audience)?},
    });
    cx.add(r, None, "AWS::ApiGatewayV2::Authorizer", props);
    Ok(())
}

pub fn iam_openid_connect_provider(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: IamOpenidConnectProvider = cx.props(r)?;
    // `existing` is the account's provider: passed in (`parameter_attrs`).
    if p.existing {
        cx.parameter(
            r,
            json!({"Type": "String", "Description": format!("The ARN of the account's IAM OIDC provider for {}", p.url)}),
            format!("the ARN of the account's OIDC provider for {} (`oidc_provider: existing`)", p.url),
        );
        return Ok(());
    }
    let props = json!({
        "Url": p.url,
        "ClientIdList": p.client_ids,
        "ThumbprintList": (!p.thumbprints.is_empty()).then(|| p.thumbprints.clone()),
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::IAM::OIDCProvider", props);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::kinds::test_support::*;
    use serde_json::json;

    fn ci(existing: bool) -> crate::Export {
        export(&graph(&[
            (
                "iam_openid_connect_provider",
                "github",
                json!({"url": "https://token.actions.githubusercontent.com", "client_ids": ["sts.amazonaws.com"], "existing": existing}),
            ),
            (
                "iam_role",
                "ci-plan",
                json!({"name": "shop-dev-ci-plan", "description": "d", "assume_role_service": "",
                "trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Principal": {"Federated": "${ref:iam_openid_connect_provider.github.arn}"},
                    "Action": "sts:AssumeRoleWithWebIdentity"}]},
                "inline_policies": {}}),
            ),
        ]))
    }

    #[test]
    fn the_ci_roles_trust_the_oidc_provider_made_or_passed_in() {
        let made = ci(false);
        assert_eq!(
            res(&made, "IamOpenidConnectProviderGithub")["Properties"]["ClientIdList"],
            json!(["sts.amazonaws.com"])
        );
        let trust = &res(&made, "IamRoleCiPlan")["Properties"]["AssumeRolePolicyDocument"];
        assert_eq!(
            trust["Statement"][0]["Principal"]["Federated"],
            json!({"Ref": "IamOpenidConnectProviderGithub"})
        );
        // The account's own provider is a Parameter, never a resource.
        let passed = ci(true);
        assert!(passed.template["Resources"]
            .get("IamOpenidConnectProviderGithub")
            .is_none());
        assert!(passed.template["Parameters"]["IamOpenidConnectProviderGithub"].is_object());
        let trust = &res(&passed, "IamRoleCiPlan")["Properties"]["AssumeRolePolicyDocument"];
        assert_eq!(
            trust["Statement"][0]["Principal"]["Federated"],
            json!({"Ref": "IamOpenidConnectProviderGithub"})
        );
    }
}
