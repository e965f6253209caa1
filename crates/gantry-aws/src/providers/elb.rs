//! Helpers shared by the ELBv2 providers: tags and tag lookups.

use crate::context::AwsContext;
use crate::error::aws_error;
use aws_sdk_elasticloadbalancingv2::types::Tag;
use gantry_core::{Address, ProviderError, StackTags};
use std::collections::{BTreeMap, HashMap};

pub(crate) fn elb_tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Tags of many ELBv2 resources (DescribeTags takes at most 20 ARNs a call).
pub(crate) async fn tags_of(
    ctx: &AwsContext,
    arns: &[String],
) -> Result<HashMap<String, Vec<(String, String)>>, ProviderError> {
    let mut out = HashMap::new();
    for chunk in arns.chunks(20) {
        let r = ctx
            .elb()
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        for d in r.tag_descriptions() {
            let Some(arn) = d.resource_arn() else {
                continue;
            };
            let tags = d
                .tags()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_string(),
                        t.value().unwrap_or_default().to_string(),
                    ))
                })
                .collect();
            out.insert(arn.to_string(), tags);
        }
    }
    Ok(out)
}

/// The first of `arns` whose tags say it belongs to `address` of this stack.
pub(crate) async fn first_tagged(
    ctx: &AwsContext,
    arns: &[String],
    tags: &StackTags,
    address: &Address,
) -> Result<Option<String>, ProviderError> {
    if arns.is_empty() {
        return Ok(None);
    }
    let all = tags_of(ctx, arns).await?;
    Ok(arns
        .iter()
        .find(|a| {
            all.get(*a).is_some_and(|t| {
                crate::util::tags_match(
                    t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    tags,
                    address,
                )
            })
        })
        .cloned())
}

/// Attribute value parsers; the API speaks strings only.
pub(crate) fn attr_i32(attrs: &HashMap<String, String>, key: &str) -> Option<i32> {
    attrs.get(key).and_then(|v| v.parse().ok())
}

pub(crate) fn attr_bool(attrs: &HashMap<String, String>, key: &str) -> Option<bool> {
    attrs.get(key).and_then(|v| v.parse().ok())
}

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, RedirectActionConfig,
    RedirectActionStatusCodeEnum,
};
use gantry_core::kinds::ListenerAction;

pub(crate) fn forward(target_group_arn: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(target_group_arn)
        .build()
}

pub(crate) fn to_action(a: &ListenerAction) -> Action {
    match a {
        ListenerAction::Forward { target_group_arn } => forward(target_group_arn),
        ListenerAction::Redirect {
            protocol,
            port,
            status_code,
        } => Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .protocol(protocol)
                    .port(port)
                    .status_code(RedirectActionStatusCodeEnum::from(status_code.as_str()))
                    .build(),
            )
            .build(),
        ListenerAction::FixedResponse {
            status_code,
            content_type,
            message_body,
        } => Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code(status_code)
                    .content_type(content_type)
                    .message_body(message_body)
                    .build(),
            )
            .build(),
    }
}

/// The single target group of a forward action (AWS reports it both flat and
/// inside `ForwardConfig`).
pub(crate) fn forward_target(a: &Action) -> Option<String> {
    a.target_group_arn()
        .or_else(|| {
            a.forward_config()?
                .target_groups()
                .first()?
                .target_group_arn()
        })
        .map(str::to_string)
}

pub(crate) fn from_action(a: &Action) -> Option<ListenerAction> {
    Some(match a.r#type()? {
        ActionTypeEnum::Forward => ListenerAction::Forward {
            target_group_arn: forward_target(a)?,
        },
        ActionTypeEnum::Redirect => {
            let c = a.redirect_config()?;
            ListenerAction::Redirect {
                protocol: c.protocol().unwrap_or("#{protocol}").to_string(),
                port: c.port().unwrap_or("#{port}").to_string(),
                status_code: c
                    .status_code()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            }
        }
        ActionTypeEnum::FixedResponse => {
            let c = a.fixed_response_config()?;
            ListenerAction::FixedResponse {
                status_code: c.status_code().unwrap_or_default().to_string(),
                content_type: c.content_type().unwrap_or_default().to_string(),
                message_body: c.message_body().unwrap_or_default().to_string(),
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip() {
        for a in [
            ListenerAction::Forward {
                target_group_arn: "arn:tg".into(),
            },
            ListenerAction::Redirect {
                protocol: "HTTPS".into(),
                port: "443".into(),
                status_code: "HTTP_301".into(),
            },
            ListenerAction::FixedResponse {
                status_code: "404".into(),
                content_type: "text/plain".into(),
                message_body: "nothing here".into(),
            },
        ] {
            assert_eq!(from_action(&to_action(&a)), Some(a));
        }
    }
}
