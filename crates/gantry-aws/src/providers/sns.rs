//! Helpers shared by the SNS providers: the region of a topic or
//! subscription ARN, the topic policy Gantry writes for CloudWatch alarms,
//! and tags.

use crate::context::AwsContext;
use crate::error::aws_error;
use aws_sdk_sns::types::Tag;
use gantry_core::ProviderError;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Codes meaning the topic or subscription is gone.
pub(crate) const NOT_FOUND: &[&str] = &["NotFound", "NotFoundException", "ResourceNotFound"];

/// The `Sid` of the statement letting CloudWatch alarms publish.
pub(crate) const ALARMS_SID: &str = "CloudWatchAlarms";
/// The `Sid` of the statement refusing publishes without TLS.
pub(crate) const TLS_SID: &str = "DenyInsecureTransport";

/// `(partition, region, account)` of an SNS ARN
/// (`arn:PARTITION:sns:REGION:ACCOUNT:TOPIC[:SUBSCRIPTION]`).
pub(crate) fn arn_parts(arn: &str) -> Option<(&str, &str, &str)> {
    let mut p = arn.split(':');
    let (_, partition, service, region, account) =
        (p.next()?, p.next()?, p.next()?, p.next()?, p.next()?);
    (service == "sns").then_some((partition, region, account))
}

/// The SNS client of the region an ARN names.
pub(crate) fn client_for(ctx: &AwsContext, arn: &str) -> aws_sdk_sns::Client {
    ctx.sns_in(arn_parts(arn).map(|(_, r, _)| r).unwrap_or(""))
}

/// The topic of a subscription ARN (`TOPIC_ARN:ID`).
pub(crate) fn topic_of(subscription_arn: &str) -> Option<&str> {
    let (topic, id) = subscription_arn.rsplit_once(':')?;
    (arn_parts(topic).is_some() && !id.is_empty() && topic.matches(':').count() == 5)
        .then_some(topic)
}

/// The topic policy: CloudWatch may publish, for this account's alarms
/// named `prefix*` only, and nobody may publish without TLS. The account's
/// own principals keep what their IAM policies give them (the topic is in
/// their account), so no owner statement is needed.
pub(crate) fn alarms_policy(topic_arn: &str, prefix: &str) -> Value {
    let (partition, region, account) = arn_parts(topic_arn).unwrap_or(("aws", "", ""));
    json!({
        "Version": "2012-10-17",
        "Id": "gantry-alarms",
        "Statement": [
            {
                "Sid": ALARMS_SID,
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": format!("arn:{partition}:cloudwatch:{region}:{account}:alarm:{prefix}*")}
                }
            },
            {
                "Sid": TLS_SID,
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}
            }
        ]
    })
}

/// SNS's default topic policy (what a topic created without one has): the
/// owning account may manage and publish.
pub(crate) fn default_policy(topic_arn: &str) -> Value {
    let (_, _, account) = arn_parts(topic_arn).unwrap_or(("aws", "", ""));
    json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic", "SNS:Publish"
            ],
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account}}
        }]
    })
}

/// The alarm name prefix of a policy document when it is exactly the one
/// Gantry writes for that prefix; `None` otherwise (another document shows
/// as drift, and the update puts Gantry's back).
pub(crate) fn prefix_of(policy: &Value, topic_arn: &str) -> Option<String> {
    let st = policy
        .get("Statement")?
        .as_array()?
        .iter()
        .find(|s| s.get("Sid").and_then(Value::as_str) == Some(ALARMS_SID))?;
    let source = st.pointer("/Condition/ArnLike/aws:SourceArn")?.as_str()?;
    let prefix = source.split_once(":alarm:")?.1.strip_suffix('*')?;
    (*policy == alarms_policy(topic_arn, prefix)).then(|| prefix.to_string())
}

pub(crate) fn sns_tags(map: BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    map.into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))
}

/// The tags of a topic.
pub(crate) async fn tags_of(
    ctx: &AwsContext,
    arn: &str,
) -> Result<Vec<(String, String)>, ProviderError> {
    let out = client_for(ctx, arn)
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error(e, NOT_FOUND))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_their_region_and_topic() {
        let t = "arn:aws:sns:eu-west-1:123456789012:app-dev-alerts";
        assert_eq!(arn_parts(t), Some(("aws", "eu-west-1", "123456789012")));
        assert_eq!(topic_of(&format!("{t}:0b1c-2d")), Some(t));
        assert_eq!(topic_of(t), None);
        assert_eq!(arn_parts("arn:aws:sqs:eu-west-1:1:q"), None);
    }

    #[test]
    fn the_alarms_policy_reads_back_as_its_prefix() {
        let t = "arn:aws:sns:eu-west-1:123456789012:app-dev-alerts";
        let p = alarms_policy(t, "app-dev-");
        assert_eq!(
            p.pointer("/Statement/0/Condition/ArnLike/aws:SourceArn"),
            Some(&json!(
                "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:app-dev-*"
            ))
        );
        assert_eq!(
            p.pointer("/Statement/0/Condition/StringEquals/aws:SourceAccount"),
            Some(&json!("123456789012"))
        );
        assert_eq!(prefix_of(&p, t).as_deref(), Some("app-dev-"));
        // Anything else is not Gantry's document.
        let mut edited = p.clone();
        edited["Statement"][1]["Effect"] = json!("Allow");
        assert_eq!(prefix_of(&edited, t), None);
        assert_eq!(prefix_of(&default_policy(t), t), None);
    }
}
