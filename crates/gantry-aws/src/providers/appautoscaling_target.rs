//! `appautoscaling_target`: an ECS service's desired count registered with
//! Application Auto Scaling between a min and a max. The id is the resource
//! id, `service/CLUSTER/SERVICE`; outputs `id`, `arn` (the scalable target
//! ARN) and `resource_id`, which policies and scheduled actions reference.
//!
//! RegisterScalableTarget creates or updates by resource id and takes the
//! tags, so a create sent again makes no second target. Reads are one
//! DescribeScalableTargets per 50 resource ids. The Resource Groups Tagging
//! API is not documented to list scalable targets, so the target lists
//! itself: the ECS targets of the stack's cluster (`STACK-ENV`), each
//! confirmed by its own tags. `suspended` suspends dynamic and scheduled
//! scaling alike (SuspendedState is always sent, since AWS keeps the
//! previous state when it is left out). A target disappears with its service, and
//! deregistering it deletes its policies and scheduled actions.

use super::appautoscaling::*;
use crate::context::AwsContext;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{ScalableTarget, SuspendedState};
use gantry_core::kinds::{self, AppautoscalingTarget};
use gantry_core::*;

/// Resource ids per DescribeScalableTargets.
const BATCH: usize = 50;

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(t: &ScalableTarget) -> Applied {
    let id = t.resource_id().to_string();
    Applied {
        outputs: outputs([
            ("id", id.clone()),
            ("arn", t.scalable_target_arn().unwrap_or_default().to_string()),
            ("resource_id", id.clone()),
        ]),
        id,
    }
}

impl Provider {
    async fn describe(&self, ids: Option<Vec<String>>) -> Result<Vec<ScalableTarget>, ProviderError> {
        let pages: Vec<_> = self
            .ctx
            .appautoscaling()
            .describe_scalable_targets()
            .service_namespace(ecs())
            .scalable_dimension(desired_count())
            .set_resource_ids(ids)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(Self::err)?;
        Ok(pages
            .into_iter()
            .flat_map(|p| p.scalable_targets.unwrap_or_default())
            .collect())
    }

    async fn register(
        &self,
        p: &AppautoscalingTarget,
        tags: Option<std::collections::HashMap<String, String>>,
    ) -> Result<ScalableTarget, ProviderError> {
        let id = service_resource_id(&p.cluster_name, &p.service_name);
        retry_propagation(|| async {
            self.ctx
                .appautoscaling()
                .register_scalable_target()
                .service_namespace(ecs())
                .resource_id(&id)
                .scalable_dimension(desired_count())
                .min_capacity(p.min_capacity)
                .max_capacity(p.max_capacity)
                // Always given: left out, AWS keeps the previous state.
                .suspended_state(
                    SuspendedState::builder()
                        .dynamic_scaling_in_suspended(p.suspended)
                        .dynamic_scaling_out_suspended(p.suspended)
                        .scheduled_scaling_suspended(p.suspended)
                        .build(),
                )
                .set_tags(tags.clone())
                .send()
                .await
                .map_err(Self::err)
        })
        .await?;
        self.describe(Some(vec![id.clone()]))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ProviderError::not_found(format!("scalable target {id} vanished after register")))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = AppautoscalingTarget;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = Listing::Own;
    const READ_BATCH: Option<usize> = Some(BATCH);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, AppautoscalingTarget>) -> Result<Applied, ProviderError> {
        let tags = req.tag_set(None).into_iter().collect();
        Ok(applied(&self.register(&req.props, Some(tags)).await?))
    }

    async fn read(
        &self,
        items: &[Item<'_, AppautoscalingTarget>],
    ) -> Result<Vec<Seen<AppautoscalingTarget>>, ProviderError> {
        let mut out = Vec::new();
        for chunk in chunks(&ids(items), BATCH) {
            for t in self.describe(Some(chunk)).await? {
                let Some((cluster, service)) = service_of(t.resource_id()) else {
                    continue;
                };
                let props = AppautoscalingTarget {
                    cluster_name: cluster.to_string(),
                    service_name: service.to_string(),
                    min_capacity: t.min_capacity(),
                    max_capacity: t.max_capacity(),
                    suspended: t.suspended_state().is_some_and(|s| {
                        s.dynamic_scaling_in_suspended() == Some(true)
                            && s.dynamic_scaling_out_suspended() == Some(true)
                            && s.scheduled_scaling_suspended() == Some(true)
                    }),
                };
                out.push(Seen::new(t.resource_id(), props, applied(&t).outputs));
            }
        }
        Ok(out)
    }

    async fn update(&self, req: Update<'_, AppautoscalingTarget>) -> Result<Applied, ProviderError> {
        // Registering again changes min and max and keeps the tags.
        Ok(applied(&self.register(&req.new, None).await?))
    }

    async fn delete(&self, req: Delete<'_, AppautoscalingTarget>) -> Result<(), ProviderError> {
        self.ctx
            .appautoscaling()
            .deregister_scalable_target()
            .service_namespace(ecs())
            .resource_id(req.id)
            .scalable_dimension(desired_count())
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, AppautoscalingTarget>) -> Result<Option<Applied>, ProviderError> {
        let id = service_resource_id(&req.props.cluster_name, &req.props.service_name);
        let Some(t) = self.describe(Some(vec![id])).await?.into_iter().next() else {
            return Ok(None);
        };
        let tags = tags_of(&self.ctx, t.scalable_target_arn().unwrap_or_default()).await?;
        let ours = req.ours(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Ok(ours.then(|| applied(&t)))
    }

    async fn list(&self, tags: &StackTags) -> Result<Vec<Listed>, ProviderError> {
        // The stack's services run in its cluster, `STACK-ENV`.
        let prefix = service_resource_id(&format!("{}-{}", tags.stack, tags.env), "");
        let mine: Vec<ScalableTarget> = self
            .describe(None)
            .await?
            .into_iter()
            .filter(|t| t.resource_id().starts_with(&prefix))
            .collect();
        let tagged = bounded(&self.ctx, "application-autoscaling", mine, |t| async move {
            let found = found(tags_of(&self.ctx, t.scalable_target_arn().unwrap_or_default()).await)?;
            Ok((t, found.unwrap_or_default()))
        })
        .await?;
        Ok(tagged
            .into_iter()
            .filter_map(|(t, found)| {
                let address = listed_address(found.iter().map(|(k, v)| (k.as_str(), v.as_str())), tags)?;
                Some(Listed {
                    kind: kinds::APPAUTOSCALING_TARGET.to_string(),
                    id: t.resource_id().to_string(),
                    address,
                })
            })
            .collect())
    }
}
