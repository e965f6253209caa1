//! `events_rule`: an EventBridge rule on the default bus with its one
//! target, a job's ECS task (Fargate, private subnets, no public IP), with
//! retries and a dead-letter queue (whose policy admits this rule). The id
//! is the rule's name; outputs `id`, `arn`, `name`.
//!
//! PutRule creates or updates (so a create after a lost reply makes no
//! second rule) and takes the tags; PutTargets sets the target under a
//! fixed id and reports per-target failures in a 200, which are errors
//! here. Deleting removes the target first (a rule with targets cannot be
//! deleted). Reads are DescribeRule and ListTargetsByRule per rule.

use crate::context::AwsContext;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_eventbridge::types::{RuleState, Tag, Target};
use gantry_core::kinds::{EcsTaskTarget, EventsRule};
use gantry_core::*;

const NOT_FOUND: &[&str] = &["ResourceNotFoundException"];
/// The id of the rule's one target.
const TARGET_ID: &str = "task";

super::ecs_target::ecs_target!(aws_sdk_eventbridge);

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn built<T>(r: Result<T, aws_smithy_types::error::operation::BuildError>) -> Result<T, ProviderError> {
    r.map_err(|e| ProviderError::new("InvalidProperties", format!("events_rule: {e}")))
}

fn applied(name: &str, arn: &str) -> Applied {
    Applied {
        id: name.to_string(),
        outputs: outputs([
            ("id", name.to_string()),
            ("arn", arn.to_string()),
            ("name", name.to_string()),
        ]),
    }
}

/// The EventBridge target running `t`.
fn target(t: &EcsTaskTarget) -> Result<Target, ProviderError> {
    let ecs = ecs_parameters(t)?;
    let (dead_letter, retry) = delivery(t);
    built(
        Target::builder()
            .id(TARGET_ID)
            .arn(&t.cluster_arn)
            .role_arn(&t.role_arn)
            .ecs_parameters(ecs)
            .dead_letter_config(dead_letter)
            .retry_policy(retry)
            .build(),
    )
}

/// What EventBridge holds as the target, in the kind's terms.
fn target_of(t: &Target) -> EcsTaskTarget {
    let mut out = EcsTaskTarget {
        cluster_arn: t.arn().to_string(),
        role_arn: t.role_arn().unwrap_or_default().to_string(),
        ..Default::default()
    };
    read_ecs(t.ecs_parameters(), &mut out);
    read_delivery(t.dead_letter_config(), t.retry_policy(), &mut out);
    out
}

impl Provider {
    /// Puts the rule (with `tags` on create) and its target; the rule's ARN.
    async fn put(&self, p: &EventsRule, tags: Option<Vec<Tag>>) -> Result<String, ProviderError> {
        let e = self.ctx.events();
        let arn = e
            .put_rule()
            .name(&p.name)
            .description(&p.description)
            .event_pattern(p.event_pattern.to_string())
            .state(RuleState::Enabled)
            .set_tags(tags)
            .send()
            .await
            .map_err(Self::err)?
            .rule_arn
            .unwrap_or_default();
        let out = e
            .put_targets()
            .rule(&p.name)
            .targets(target(&p.target)?)
            .send()
            .await
            .map_err(Self::err)?;
        if let Some(f) = out.failed_entries().first() {
            return Err(ProviderError::new(
                f.error_code().unwrap_or("PutTargetsFailed"),
                format!(
                    "events_rule {}: the target was refused: {}",
                    p.name,
                    f.error_message().unwrap_or_default()
                ),
            ));
        }
        Ok(arn)
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = EventsRule;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "events:rule", |a| {
        arn::after(a, "events", "rule/").filter(|n| !n.contains('/'))
    });

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, EventsRule>) -> Result<Applied, ProviderError> {
        let tags = req
            .tag_set(None)
            .into_iter()
            .map(|(k, v)| built(Tag::builder().key(k).value(v).build()))
            .collect::<Result<Vec<_>, _>>()?;
        let arn = self.put(&req.props, Some(tags)).await?;
        Ok(applied(&req.props.name, &arn))
    }

    async fn read(&self, items: &[Item<'_, EventsRule>]) -> Result<Vec<Seen<EventsRule>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |name, _| async move {
            let e = self.ctx.events();
            let r = e.describe_rule().name(&name).send().await.map_err(Self::err)?;
            let targets = e
                .list_targets_by_rule()
                .rule(&name)
                .send()
                .await
                .map_err(Self::err)?
                .targets
                .unwrap_or_default();
            let arn = r.arn().unwrap_or_default().to_string();
            let seen = Seen::new(
                name.clone(),
                EventsRule {
                    name: name.clone(),
                    description: r.description().unwrap_or_default().to_string(),
                    event_pattern: r
                        .event_pattern()
                        .and_then(|p| serde_json::from_str(p).ok())
                        .unwrap_or_default(),
                    target: targets
                        .iter()
                        .find(|t| t.id() == TARGET_ID)
                        .map(target_of)
                        .unwrap_or_default(),
                },
                applied(&name, &arn).outputs,
            );
            Ok(Some(seen))
        })
        .await
    }

    async fn update(&self, req: Update<'_, EventsRule>) -> Result<Applied, ProviderError> {
        let arn = self.put(&req.new, None).await?;
        Ok(applied(&req.new.name, &arn))
    }

    async fn delete(&self, req: Delete<'_, EventsRule>) -> Result<(), ProviderError> {
        let e = self.ctx.events();
        ignore_not_found(
            e.remove_targets()
                .rule(req.id)
                .ids(TARGET_ID)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err),
        )?;
        // RemoveTargets takes a moment to show to DeleteRule.
        retry_codes(&["ValidationException"], DEPENDENCY_WAIT, || async {
            e.delete_rule()
                .name(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await
    }

    async fn find(&self, req: Find<'_, EventsRule>) -> Result<Option<Applied>, ProviderError> {
        let name = &req.props.name;
        let Some(r) = found(
            self.ctx
                .events()
                .describe_rule()
                .name(name)
                .send()
                .await
                .map_err(Self::err),
        )?
        else {
            return Ok(None);
        };
        let arn = r.arn().unwrap_or_default().to_string();
        let tags = self
            .ctx
            .events()
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .map_err(Self::err)?
            .tags
            .unwrap_or_default();
        Ok(req
            .ours(tags.iter().map(|t| (t.key(), t.value())))
            .then(|| applied(name, &arn)))
    }
}
