//! `appautoscaling_policy`: a target-tracking policy keeping an ECS
//! service's average CPU or memory, or its load balancer requests per
//! target, at a value. The id is `RESOURCE_ID|NAME`; outputs `id`, `arn`.
//! `ALBRequestCountPerTarget` needs a resource label,
//! `app/LB/ID/targetgroup/TG/ID`, derived here from the load balancer and
//! target group ARNs.
//!
//! PutScalingPolicy creates or replaces a policy by name within its target,
//! so a create sent again makes no second one. Reads are one
//! DescribeScalingPolicies per scalable target (50 names a call). Policies
//! carry no tags: they live inside their target and go with it.

use super::appautoscaling::*;
use crate::context::AwsContext;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalingPolicy,
    TargetTrackingScalingPolicyConfiguration,
};
use gantry_core::kinds::AppautoscalingPolicy;
use gantry_core::*;

/// Policy names per DescribeScalingPolicies.
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

fn invalid(message: String) -> ProviderError {
    ProviderError::new("InvalidProperties", message)
}

impl Provider {
    async fn put(&self, p: &AppautoscalingPolicy) -> Result<String, ProviderError> {
        let label = match (&p.load_balancer_arn, &p.target_group_arn) {
            (Some(lb), Some(tg)) => Some(resource_label(lb, tg).ok_or_else(|| {
                invalid(format!("{}: no resource label in {lb} and {tg}", p.name))
            })?),
            _ => None,
        };
        let metric = PredefinedMetricSpecification::builder()
            .predefined_metric_type(MetricType::from(p.metric.as_str()))
            .set_resource_label(label)
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        let config = TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(p.target_value)
            .predefined_metric_specification(metric)
            .scale_in_cooldown(p.scale_in_cooldown)
            .scale_out_cooldown(p.scale_out_cooldown)
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        let out = retry_propagation(|| async {
            self.ctx
                .appautoscaling()
                .put_scaling_policy()
                .policy_name(&p.name)
                .service_namespace(ecs())
                .resource_id(&p.resource_id)
                .scalable_dimension(desired_count())
                .policy_type(PolicyType::TargetTrackingScaling)
                .target_tracking_scaling_policy_configuration(config.clone())
                .send()
                .await
                .map_err(Self::err)
        })
        .await?;
        Ok(out.policy_arn().to_string())
    }

    /// The policies of one target with these names.
    async fn describe(&self, resource_id: &str, names: Vec<String>) -> Result<Vec<ScalingPolicy>, ProviderError> {
        let pages: Vec<_> = self
            .ctx
            .appautoscaling()
            .describe_scaling_policies()
            .service_namespace(ecs())
            .resource_id(resource_id)
            .scalable_dimension(desired_count())
            .set_policy_names(Some(names))
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(Self::err)?;
        Ok(pages
            .into_iter()
            .flat_map(|p| p.scaling_policies.unwrap_or_default())
            .collect())
    }
}

/// The props of a policy as AWS reports it; the recorded ARNs stand when
/// they give the label AWS holds.
fn props_of(s: &ScalingPolicy, rec: Option<&AppautoscalingPolicy>) -> AppautoscalingPolicy {
    let c = s.target_tracking_scaling_policy_configuration();
    let spec = c.and_then(|c| c.predefined_metric_specification());
    let label = spec.and_then(|m| m.resource_label());
    let recorded_label = rec.and_then(|r| match (&r.load_balancer_arn, &r.target_group_arn) {
        (Some(lb), Some(tg)) => resource_label(lb, tg),
        _ => None,
    });
    let (load_balancer_arn, target_group_arn) = match (label, rec) {
        (None, _) => (None, None),
        (Some(l), Some(r)) if recorded_label.as_deref() == Some(l) => {
            (r.load_balancer_arn.clone(), r.target_group_arn.clone())
        }
        // Another label than the recorded ARNs give: shown as drift.
        (Some(l), _) => (Some(format!("label:{l}")), None),
    };
    AppautoscalingPolicy {
        resource_id: s.resource_id().to_string(),
        name: s.policy_name().to_string(),
        metric: spec
            .map(|m| m.predefined_metric_type().as_str().to_string())
            .unwrap_or_default(),
        target_value: c.map(|c| c.target_value()).unwrap_or_default(),
        load_balancer_arn,
        target_group_arn,
        scale_in_cooldown: c.and_then(|c| c.scale_in_cooldown()).unwrap_or_default(),
        scale_out_cooldown: c.and_then(|c| c.scale_out_cooldown()).unwrap_or_default(),
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = AppautoscalingPolicy;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = Listing::Inside(gantry_core::kinds::APPAUTOSCALING_TARGET);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, AppautoscalingPolicy>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let arn = self.put(p).await?;
        Ok(applied(&inside_id(&p.resource_id, &p.name), &arn))
    }

    async fn read(
        &self,
        items: &[Item<'_, AppautoscalingPolicy>],
    ) -> Result<Vec<Seen<AppautoscalingPolicy>>, ProviderError> {
        let found = read_inside(&self.ctx, items.iter().map(|i| i.id), BATCH, |r, names| async move {
            self.describe(&r, names).await
        })
        .await?;
        Ok(found
            .into_iter()
            .map(|s| {
                let id = inside_id(s.resource_id(), s.policy_name());
                let props = props_of(&s, recorded_of(items, &id));
                Seen::new(id.clone(), props, applied(&id, s.policy_arn()).outputs)
            })
            .filter(|s| items.iter().any(|i| i.id == s.id))
            .collect())
    }

    async fn update(&self, req: Update<'_, AppautoscalingPolicy>) -> Result<Applied, ProviderError> {
        let arn = self.put(&req.new).await?;
        Ok(applied(req.id, &arn))
    }

    async fn delete(&self, req: Delete<'_, AppautoscalingPolicy>) -> Result<(), ProviderError> {
        let (resource_id, name) = split_or_invalid(req.id, "scaling policy")?;
        self.ctx
            .appautoscaling()
            .delete_scaling_policy()
            .policy_name(name)
            .service_namespace(ecs())
            .resource_id(resource_id)
            .scalable_dimension(desired_count())
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, AppautoscalingPolicy>) -> Result<Option<Applied>, ProviderError> {
        // A name is unique within its target.
        let p = &req.props;
        Ok(self
            .describe(&p.resource_id, vec![p.name.clone()])
            .await?
            .first()
            .map(|s| applied(&inside_id(&p.resource_id, &p.name), s.policy_arn())))
    }
}
