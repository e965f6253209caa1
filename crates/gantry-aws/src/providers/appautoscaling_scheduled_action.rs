//! `appautoscaling_scheduled_action`: at each time of a cron schedule, in a
//! time zone, sets an ECS service's scalable min and/or max capacity (seed
//! 002's off-hours scale-down is one to 0 in the evening and one back in
//! the morning). The id is `RESOURCE_ID|NAME`; outputs `id`, `arn`.
//!
//! PutScheduledAction creates or replaces an action by name within its
//! target, so a create sent again makes no second one. Reads are one
//! DescribeScheduledActions per scalable target (50 names a call). Actions
//! carry no tags: they live inside their target and go with it.

use super::appautoscaling::*;
use crate::context::AwsContext;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{ScalableTargetAction, ScheduledAction};
use gantry_core::kinds::AppautoscalingScheduledAction;
use gantry_core::*;

/// Action names per DescribeScheduledActions.
const BATCH: usize = 50;

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(id: &str, arn: &str) -> Applied {
    Applied {
        id: id.to_string(),
        outputs: outputs([("id", id.to_string()), ("arn", arn.to_string())]),
    }
}

impl Provider {
    async fn put(&self, p: &AppautoscalingScheduledAction) -> Result<(), ProviderError> {
        let action = ScalableTargetAction::builder()
            .set_min_capacity(p.min_capacity)
            .set_max_capacity(p.max_capacity)
            .build();
        retry_propagation(|| async {
            self.ctx
                .appautoscaling()
                .put_scheduled_action()
                .service_namespace(ecs())
                .scheduled_action_name(&p.name)
                .resource_id(&p.resource_id)
                .scalable_dimension(desired_count())
                .schedule(&p.schedule)
                .timezone(&p.timezone)
                .scalable_target_action(action.clone())
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await
    }

    /// The actions of one target with these names.
    async fn describe(&self, resource_id: &str, names: Vec<String>) -> Result<Vec<ScheduledAction>, ProviderError> {
        let pages: Vec<_> = self
            .ctx
            .appautoscaling()
            .describe_scheduled_actions()
            .service_namespace(ecs())
            .resource_id(resource_id)
            .scalable_dimension(desired_count())
            .set_scheduled_action_names(Some(names))
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(Self::err)?;
        Ok(pages
            .into_iter()
            .flat_map(|p| p.scheduled_actions.unwrap_or_default())
            .collect())
    }

    /// The action's ARN, read back (PutScheduledAction answers with none).
    async fn arn(&self, p: &AppautoscalingScheduledAction) -> Result<String, ProviderError> {
        Ok(self
            .describe(&p.resource_id, vec![p.name.clone()])
            .await?
            .first()
            .map(|a| a.scheduled_action_arn().to_string())
            .unwrap_or_default())
    }
}

fn props_of(a: &ScheduledAction) -> AppautoscalingScheduledAction {
    let t = a.scalable_target_action();
    AppautoscalingScheduledAction {
        resource_id: a.resource_id().to_string(),
        name: a.scheduled_action_name().to_string(),
        schedule: a.schedule().to_string(),
        // AWS's default when none was given.
        timezone: a.timezone().unwrap_or("UTC").to_string(),
        min_capacity: t.and_then(|t| t.min_capacity()),
        max_capacity: t.and_then(|t| t.max_capacity()),
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = AppautoscalingScheduledAction;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = Listing::Inside(gantry_core::kinds::APPAUTOSCALING_TARGET);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, AppautoscalingScheduledAction>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        self.put(p).await?;
        Ok(applied(&inside_id(&p.resource_id, &p.name), &self.arn(p).await?))
    }

    async fn read(
        &self,
        items: &[Item<'_, AppautoscalingScheduledAction>],
    ) -> Result<Vec<Seen<AppautoscalingScheduledAction>>, ProviderError> {
        let found = read_inside(&self.ctx, items.iter().map(|i| i.id), BATCH, |r, names| async move {
            self.describe(&r, names).await
        })
        .await?;
        Ok(found
            .into_iter()
            .map(|a| {
                let id = inside_id(a.resource_id(), a.scheduled_action_name());
                Seen::new(id.clone(), props_of(&a), applied(&id, a.scheduled_action_arn()).outputs)
            })
            .filter(|s| items.iter().any(|i| i.id == s.id))
            .collect())
    }

    async fn update(&self, req: Update<'_, AppautoscalingScheduledAction>) -> Result<Applied, ProviderError> {
        self.put(&req.new).await?;
        Ok(applied(req.id, &self.arn(&req.new).await?))
    }

    async fn delete(&self, req: Delete<'_, AppautoscalingScheduledAction>) -> Result<(), ProviderError> {
        let (resource_id, name) = split_or_invalid(req.id, "scheduled action")?;
        self.ctx
            .appautoscaling()
            .delete_scheduled_action()
            .service_namespace(ecs())
            .scheduled_action_name(name)
            .resource_id(resource_id)
            .scalable_dimension(desired_count())
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, AppautoscalingScheduledAction>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        Ok(self
            .describe(&p.resource_id, vec![p.name.clone()])
            .await?
            .first()
            .map(|a| applied(&inside_id(&p.resource_id, &p.name), a.scheduled_action_arn())))
    }
}
