//! `wafv2_web_acl`: a WAFv2 web ACL whose default action is Allow. The id is
//! WAF's own id (used with the recorded name and scope); outputs `id`,
//! `arn`, `name`.
//!
//! Rules Gantry writes, by WAF priority:
//! - 0 `gantry-allow-ips`: IP set reference, Allow (when `allow_ip_set_arn`);
//! - 1 `gantry-deny-ips`: IP set reference, Block (when `deny_ip_set_arn`);
//! - 2 `gantry-rate-limit`: rate-based, aggregate key IP, Block (when
//!   `rate_limit`);
//! - each managed rule group at its own `priority` (so those must be 3 or
//!   more; create and update refuse otherwise), named `VENDOR-NAME`,
//!   override action None.
//!
//! Every rule and the ACL have CloudWatch metrics and sampled requests on;
//! rule metric names are `{metric_name}-{rule name}`. Read maps the rules
//! back (a rule of another shape is ignored; managed groups in the recorded
//! order when the same set). Updates send the whole definition with the
//! lock token from `GetWebACL`, retrying once on
//! `WAFOptimisticLockException`. Delete retries `WAFAssociatedItemException`
//! while an association is being removed. Names are unique per scope: a
//! retried create meeting `WAFDuplicateItemException` adopts the ACL of
//! that name when its tags say it is ours.

use super::wafv2::*;
use crate::context::AwsContext;
use crate::error::has_code;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_wafv2::types::{
    AllowAction, BlockAction, DefaultAction, IpSetReferenceStatement, ManagedRuleGroupStatement,
    NoneAction, OverrideAction, RateBasedStatement, RateBasedStatementAggregateKeyType, Rule,
    RuleAction, Statement, VisibilityConfig, WebAcl,
};
use gantry_core::kinds::{ManagedRuleGroup, Wafv2WebAcl};
use crate::shape::*;
use gantry_core::*;

const ALLOW_RULE: &str = "gantry-allow-ips";
const DENY_RULE: &str = "gantry-deny-ips";
const RATE_RULE: &str = "gantry-rate-limit";
/// Priorities below this belong to Gantry's own rules.
const FIRST_MANAGED_PRIORITY: i32 = 3;

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(id: &str, arn: &str, name: &str) -> Applied {
    Applied {
        id: id.to_string(),
        outputs: outputs([
            ("id", id.to_string()),
            ("arn", arn.to_string()),
            ("name", name.to_string()),
        ]),
    }
}

fn invalid(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new("InvalidProperties", e.to_string())
}

fn visibility(metric: &str) -> Result<VisibilityConfig, ProviderError> {
    VisibilityConfig::builder()
        .sampled_requests_enabled(true)
        .cloud_watch_metrics_enabled(true)
        .metric_name(metric)
        .build()
        .map_err(invalid)
}

fn managed_rule_name(g: &ManagedRuleGroup) -> String {
    format!("{}-{}", g.vendor, g.name)
}

/// The rules of `p`, in priority order.
pub(crate) fn rules(p: &Wafv2WebAcl) -> Result<Vec<Rule>, ProviderError> {
    let metric = |rule: &str| visibility(&format!("{}-{rule}", p.metric_name));
    let mut out = Vec::new();
    let ip_rule = |name: &str, priority: i32, arn: &str, action: RuleAction| {
        Rule::builder()
            .name(name)
            .priority(priority)
            .statement(
                Statement::builder()
                    .ip_set_reference_statement(
                        IpSetReferenceStatement::builder()
                            .arn(arn)
                            .build()
                            .map_err(invalid)?,
                    )
                    .build(),
            )
            .action(action)
            .visibility_config(metric(name)?)
            .build()
            .map_err(invalid)
    };
    if let Some(arn) = &p.allow_ip_set_arn {
        let allow = RuleAction::builder()
            .allow(AllowAction::builder().build())
            .build();
        out.push(ip_rule(ALLOW_RULE, 0, arn, allow)?);
    }
    if let Some(arn) = &p.deny_ip_set_arn {
        let block = RuleAction::builder()
            .block(BlockAction::builder().build())
            .build();
        out.push(ip_rule(DENY_RULE, 1, arn, block)?);
    }
    if let Some(limit) = p.rate_limit {
        out.push(
            Rule::builder()
                .name(RATE_RULE)
                .priority(2)
                .statement(
                    Statement::builder()
                        .rate_based_statement(
                            RateBasedStatement::builder()
                                .limit(limit)
                                .aggregate_key_type(RateBasedStatementAggregateKeyType::Ip)
                                .build()
                                .map_err(invalid)?,
                        )
                        .build(),
                )
                .action(
                    RuleAction::builder()
                        .block(BlockAction::builder().build())
                        .build(),
                )
                .visibility_config(metric(RATE_RULE)?)
                .build()
                .map_err(invalid)?,
        );
    }
    for g in &p.managed_rule_groups {
        if g.priority < FIRST_MANAGED_PRIORITY {
            return Err(invalid(format!(
                "managed rule group {} has priority {}: priorities 0-2 belong to Gantry's allow, deny and rate-limit rules",
                g.name, g.priority
            )));
        }
        let name = managed_rule_name(g);
        out.push(
            Rule::builder()
                .name(&name)
                .priority(g.priority)
                .statement(
                    Statement::builder()
                        .managed_rule_group_statement(
                            ManagedRuleGroupStatement::builder()
                                .vendor_name(&g.vendor)
                                .name(&g.name)
                                .build()
                                .map_err(invalid)?,
                        )
                        .build(),
                )
                .override_action(
                    OverrideAction::builder()
                        .none(NoneAction::builder().build())
                        .build(),
                )
                .visibility_config(metric(&name)?)
                .build()
                .map_err(invalid)?,
        );
    }
    out.sort_by_key(|r| r.priority());
    Ok(out)
}

/// What the ACL holds, in the canonical form.
fn from_web_acl(acl: &WebAcl, rec: Option<&Wafv2WebAcl>) -> Wafv2WebAcl {
    let mut managed = Vec::new();
    let (mut allow, mut deny, mut rate) = (None, None, None);
    for r in acl.rules() {
        let Some(s) = r.statement() else { continue };
        if let Some(m) = s.managed_rule_group_statement() {
            managed.push(ManagedRuleGroup {
                vendor: m.vendor_name().to_string(),
                name: m.name().to_string(),
                priority: r.priority(),
            });
        } else if let Some(b) = s.rate_based_statement() {
            rate = Some(b.limit());
        } else if let Some(ip) = s.ip_set_reference_statement() {
            let action = r.action();
            if action.is_some_and(|a| a.allow().is_some()) {
                allow = Some(ip.arn().to_string());
            } else if action.is_some_and(|a| a.block().is_some()) {
                deny = Some(ip.arn().to_string());
            }
        }
    }
    // Managed groups in the recorded order when they are the same set.
    let rec_groups = rec
        .map(|r| r.managed_rule_groups.clone())
        .unwrap_or_default();
    let mut sorted = managed.clone();
    sorted.sort();
    let mut rec_sorted = rec_groups.clone();
    rec_sorted.sort();
    let managed_rule_groups = if sorted == rec_sorted {
        rec_groups
    } else {
        managed.sort_by_key(|g| g.priority);
        managed
    };
    Wafv2WebAcl {
        name: acl.name().to_string(),
        description: acl.description().unwrap_or_default().to_string(),
        scope: rec.map(|r| r.scope.clone()).unwrap_or_else(|| {
            if acl.arn().contains(":global/") {
                "CLOUDFRONT".into()
            } else {
                "REGIONAL".into()
            }
        }),
        managed_rule_groups,
        rate_limit: rate,
        allow_ip_set_arn: allow,
        deny_ip_set_arn: deny,
        metric_name: acl
            .visibility_config()
            .map(|v| v.metric_name().to_string())
            .unwrap_or_default(),
    }
}

impl Provider {
    /// GetWebACL: the ACL and its lock token; `None` when gone.
    async fn get(
        &self,
        name: &str,
        scope_name: &str,
        id: &str,
    ) -> Result<Option<(WebAcl, String)>, ProviderError> {
        match self
            .ctx
            .wafv2_scope(scope_name)
            .get_web_acl()
            .name(name)
            .scope(scope(scope_name))
            .id(id)
            .send()
            .await
            .map_err(Self::err)
        {
            Ok(o) => Ok(o.web_acl.map(|a| (a, o.lock_token.unwrap_or_default()))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn find_named(
        &self,
        p: &Wafv2WebAcl,
        tags: &StackTags,
        address: &Address,
    ) -> Result<Option<Applied>, ProviderError> {
        for (name, id, arn) in list(&self.ctx, &p.scope, true).await? {
            if name != p.name {
                continue;
            }
            let t = tags_of(&self.ctx, &arn).await?;
            if tags_match(
                t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                tags,
                address,
            ) {
                return Ok(Some(applied(&id, &arn, &name)));
            }
        }
        Ok(None)
    }
}

fn allow_default() -> DefaultAction {
    DefaultAction::builder()
        .allow(AllowAction::builder().build())
        .build()
}

#[async_trait]
impl AwsKind for Provider {
    type Props = Wafv2WebAcl;
    const NOT_FOUND: &'static [&'static str] = super::wafv2::NOT_FOUND;
    const LISTING: Listing = tagged(Region::Both, "wafv2", |a| arn_id(a, "webacl"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, Wafv2WebAcl>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .wafv2_scope(&p.scope)
            .create_web_acl()
            .name(&p.name)
            .scope(scope(&p.scope))
            .set_description((!p.description.is_empty()).then(|| p.description.clone()))
            .default_action(allow_default())
            .set_rules(Some(rules(p)?))
            .visibility_config(visibility(&p.metric_name)?)
            .set_tags(Some(waf_tags(tag_set(
                req.tags,
                req.address,
                Some(&p.name),
            ))?))
            .send()
            .await
            .map_err(Self::err);
        match out {
            Ok(o) => {
                let s = o
                    .summary()
                    .ok_or_else(|| ProviderError::new("MissingId", "CreateWebACL: no summary"))?;
                Ok(applied(
                    s.id().unwrap_or_default(),
                    s.arn().unwrap_or_default(),
                    &p.name,
                ))
            }
            Err(e) if has_code(&e, &["WAFDuplicateItemException"]) => {
                self.find_named(p, req.tags, req.address).await?.ok_or(e)
            }
            Err(e) => Err(e),
        }
    }

    async fn read(&self, items: &[Item<'_, Wafv2WebAcl>]) -> Result<Vec<Seen<Wafv2WebAcl>>, ProviderError> {
        // GetWebACL takes one ACL; concurrently.
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let (name, scope_name) = match &rec {
                Some(r) => (r.name.clone(), r.scope.clone()),
                None => match locate(&self.ctx, &id, true).await? {
                    Some(x) => x,
                    None => return Ok(None),
                },
            };
            let Some((acl, _)) = self.get(&name, &scope_name, &id).await? else {
                return Ok(None);
            };
            let props = from_web_acl(&acl, rec.as_ref());
            Ok(Some(Seen::new(id.clone(), props, applied(acl.id(), acl.arn(), acl.name()).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, Wafv2WebAcl>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        let new_rules = rules(new)?;
        with_lock(|| async {
            let (_, token) = self
                .get(&new.name, &new.scope, req.id)
                .await?
                .ok_or_else(|| ProviderError::not_found(format!("web ACL {} is gone", req.id)))?;
            self.ctx
                .wafv2_scope(&new.scope)
                .update_web_acl()
                .name(&new.name)
                .scope(scope(&new.scope))
                .id(req.id)
                .set_description((!new.description.is_empty()).then(|| new.description.clone()))
                .default_action(allow_default())
                .set_rules(Some(new_rules.clone()))
                .visibility_config(visibility(&new.metric_name)?)
                .lock_token(token)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await?;
        let (acl, _) = self
            .get(&new.name, &new.scope, req.id)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("web ACL {} is gone", req.id)))?;
        Ok(applied(acl.id(), acl.arn(), acl.name()))
    }

    async fn delete(&self, req: Delete<'_, Wafv2WebAcl>) -> Result<(), ProviderError> {
        let (name, scope_name) = match &req.recorded {
            Some(r) => (r.name.clone(), r.scope.clone()),
            None => match locate(&self.ctx, req.id, true).await? {
                Some(x) => x,
                None => return Ok(()),
            },
        };
        retry_codes(&["WAFAssociatedItemException"], DEPENDENCY_WAIT, || {
            with_lock(|| async {
                let Some((_, token)) = self.get(&name, &scope_name, req.id).await? else {
                    return Ok(());
                };
                self.ctx
                    .wafv2_scope(&scope_name)
                    .delete_web_acl()
                    .name(&name)
                    .scope(scope(&scope_name))
                    .id(req.id)
                    .lock_token(token)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(Self::err)
            })
        })
        .await
    }

    async fn find(&self, req: Find<'_, Wafv2WebAcl>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        self.find_named(p, req.tags, req.address).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl() -> Wafv2WebAcl {
        Wafv2WebAcl {
            name: "web".into(),
            description: "edge".into(),
            scope: "REGIONAL".into(),
            managed_rule_groups: vec![
                ManagedRuleGroup {
                    vendor: "AWS".into(),
                    name: "AWSManagedRulesKnownBadInputsRuleSet".into(),
                    priority: 20,
                },
                ManagedRuleGroup {
                    vendor: "AWS".into(),
                    name: "AWSManagedRulesCommonRuleSet".into(),
                    priority: 10,
                },
            ],
            rate_limit: Some(2000),
            allow_ip_set_arn: Some("arn:allow".into()),
            deny_ip_set_arn: Some("arn:deny".into()),
            metric_name: "web".into(),
        }
    }

    #[test]
    fn rules_round_trip() {
        let p = acl();
        let rs = rules(&p).unwrap();
        assert_eq!(
            rs.iter().map(|r| r.priority()).collect::<Vec<_>>(),
            vec![0, 1, 2, 10, 20]
        );
        let w = WebAcl::builder()
            .name("web")
            .id("id")
            .arn("arn:aws:wafv2:us-east-1:1:regional/webacl/web/id")
            .description("edge")
            .default_action(allow_default())
            .set_rules(Some(rs))
            .visibility_config(visibility("web").unwrap())
            .build()
            .unwrap();
        assert_eq!(from_web_acl(&w, Some(&p)), p);
        let fresh = from_web_acl(&w, None);
        assert_eq!(fresh.managed_rule_groups[0].priority, 10);
        assert_eq!(fresh.scope, "REGIONAL");
    }

    #[test]
    fn low_managed_priorities_are_refused() {
        let mut p = acl();
        p.managed_rule_groups[0].priority = 1;
        assert!(rules(&p).is_err());
    }
}
