//! `lb_listener_rule`: a listener rule forwarding matching paths and hosts to
//! a target group. Its id is the ARN.

use super::elb::*;
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    HostHeaderConditionConfig, PathPatternConditionConfig, Rule, RuleCondition, RulePriorityPair,
};
use gantry_core::kinds::LbListenerRule;
use crate::shape::*;
use gantry_core::*;
use std::collections::HashMap;

const NOT_FOUND: &[&str] = &["RuleNotFound", "ListenerNotFound"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(arn: &str) -> Applied {
    Applied {
        id: arn.to_string(),
        outputs: outputs([("id", arn.to_string()), ("arn", arn.to_string())]),
    }
}

fn conditions(p: &LbListenerRule) -> Vec<RuleCondition> {
    let mut out = Vec::new();
    if !p.path_patterns.is_empty() {
        out.push(
            RuleCondition::builder()
                .field("path-pattern")
                .path_pattern_config(
                    PathPatternConditionConfig::builder()
                        .set_values(Some(p.path_patterns.clone()))
                        .build(),
                )
                .build(),
        );
    }
    if !p.host_headers.is_empty() {
        out.push(
            RuleCondition::builder()
                .field("host-header")
                .host_header_config(
                    HostHeaderConditionConfig::builder()
                        .set_values(Some(p.host_headers.clone()))
                        .build(),
                )
                .build(),
        );
    }
    out
}

/// Values of the condition on `field`, from the typed config or the legacy
/// flat `Values` list, whichever AWS filled in.
fn condition_values(rule: &Rule, field: &str) -> Vec<String> {
    rule.conditions()
        .iter()
        .filter(|c| c.field() == Some(field))
        .flat_map(|c| {
            let typed = match field {
                "path-pattern" => c.path_pattern_config().map(|x| x.values().to_vec()),
                _ => c.host_header_config().map(|x| x.values().to_vec()),
            };
            match typed {
                Some(v) if !v.is_empty() => v,
                _ => c.values().to_vec(),
            }
        })
        .collect()
}

impl Provider {
    async fn describe(&self, arns: Vec<String>) -> Result<Vec<Rule>, ProviderError> {
        let out = self
            .ctx
            .elb()
            .describe_rules()
            .set_rule_arns(Some(arns))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out.rules.unwrap_or_default())
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = LbListenerRule;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "elasticloadbalancing:listener-rule", |a| arn::whole(a, "elasticloadbalancing", "listener-rule/app/"));
    const READ_BATCH: Option<usize> = Some(20);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, LbListenerRule>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(None);
        let out = self
            .ctx
            .elb()
            .create_rule()
            .listener_arn(&p.listener_arn)
            .priority(p.priority)
            .set_conditions(Some(conditions(p)))
            .actions(forward(&p.target_group_arn))
            .set_tags(Some(elb_tags(&tags)))
            .send()
            .await
            .map_err(Self::err)?;
        let arn = out
            .rules()
            .first()
            .and_then(|r| r.rule_arn())
            .ok_or_else(|| ProviderError::new("MissingId", "CreateRule returned no ARN"))?;
        Ok(applied(arn))
    }

    async fn read(&self, items: &[Item<'_, LbListenerRule>]) -> Result<Vec<Seen<LbListenerRule>>, ProviderError> {
        let ids = ids(items);
        let mut found = HashMap::new();
        for chunk in chunks(&ids, 20) {
            for rule in batch_or_each(&chunk, |ids| self.describe(ids)).await? {
                if let Some(arn) = rule.rule_arn.clone() {
                    found.insert(arn, rule);
                }
            }
        }
        Ok(items
            .iter()
            .filter_map(|r| {
                let rule = found.get(r.id)?;
                let rec: Option<LbListenerRule> = r.recorded.clone();
                // DescribeRules does not name the listener; it is in the ARN
                // (listener-rule/app/lb/x/listener-id/rule-id) and the record.
                let listener_arn =
                    rec.as_ref()
                        .map(|p| p.listener_arn.clone())
                        .unwrap_or_else(|| {
                            r.id.replace(":listener-rule/", ":listener/")
                                .rsplit_once('/')
                                .map(|(l, _)| l.to_string())
                                .unwrap_or_default()
                        });
                let props = LbListenerRule {
                    listener_arn,
                    priority: rule
                        .priority()
                        .and_then(|p| p.parse().ok())
                        .unwrap_or_default(),
                    path_patterns: order_like(
                        condition_values(rule, "path-pattern"),
                        rec.as_ref()
                            .map(|p| &p.path_patterns[..])
                            .unwrap_or_default(),
                    ),
                    host_headers: order_like(
                        condition_values(rule, "host-header"),
                        rec.as_ref()
                            .map(|p| &p.host_headers[..])
                            .unwrap_or_default(),
                    ),
                    target_group_arn: rule
                        .actions()
                        .iter()
                        .find_map(forward_target)
                        .unwrap_or_default(),
                };
                Some(Seen::new(r.id, props, applied(r.id).outputs))
            })
            .collect())
    }

    async fn update(&self, req: Update<'_, LbListenerRule>) -> Result<Applied, ProviderError> {
        let old = &req.old;
        let new = &req.new;
        if old.priority != new.priority {
            self.ctx
                .elb()
                .set_rule_priorities()
                .rule_priorities(
                    RulePriorityPair::builder()
                        .rule_arn(req.id)
                        .priority(new.priority)
                        .build(),
                )
                .send()
                .await
                .map_err(Self::err)?;
        }
        if old.path_patterns != new.path_patterns
            || old.host_headers != new.host_headers
            || old.target_group_arn != new.target_group_arn
        {
            self.ctx
                .elb()
                .modify_rule()
                .rule_arn(req.id)
                .set_conditions(Some(conditions(new)))
                .actions(forward(&new.target_group_arn))
                .send()
                .await
                .map_err(Self::err)?;
        }
        Ok(applied(req.id))
    }

    async fn delete(&self, req: Delete<'_, LbListenerRule>) -> Result<(), ProviderError> {
        self
            .ctx
            .elb()
            .delete_rule()
            .rule_arn(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, LbListenerRule>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .elb()
            .describe_rules()
            .listener_arn(&p.listener_arn)
            .send()
            .await
            .map_err(Self::err);
        let rules = match out {
            Err(e) if e.is_not_found() => return Ok(None),
            other => other?.rules.unwrap_or_default(),
        };
        let arns: Vec<String> = rules
            .iter()
            .filter(|r| r.is_default() != Some(true))
            .filter_map(|r| r.rule_arn.clone())
            .collect();
        Ok(first_tagged(&self.ctx, &arns, req.tags, req.address)
            .await?
            .map(|arn| applied(&arn)))
    }
}
