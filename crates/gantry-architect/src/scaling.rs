//! Autoscaling of a service's task count (seeds 002, 003, 004): its desired
//! count as an Application Auto Scaling scalable target between min and
//! max, a target-tracking policy per metric the spec names (average CPU,
//! average memory, load balancer requests per target) and a scheduled
//! action per `schedule` entry (a cron in a time zone setting min and/or
//! max: seed 002's off-hours scale-down, with no Lambda).
//!
//! The ECS service keeps the desired count the scaler sets (see
//! `compute`): the spec's `desired_count` is only the first one. A service
//! waiting for its first image (a `build:` never deployed) gets its scaling
//! suspended, min included, so the scaler starts no task that cannot pull;
//! the first `up` after its first deploy resumes it.
//! Target-tracking policies scale out fast (60 s cooldown) and in slowly
//! (300 s), so a burst does not bounce the count.

use crate::routing::Routing;
use crate::Graph;
use gantry_core::kinds::{self, *};
use gantry_core::{reference, Address, Resource};
use gantry_model::{Model, Scaling, Service};

/// Seconds after a scale-out before the next one.
pub const SCALE_OUT_COOLDOWN: i32 = 60;
/// Seconds after a scale-in before the next one.
pub const SCALE_IN_COOLDOWN: i32 = 300;

#[allow(clippy::too_many_arguments)]
pub(crate) fn build(
    m: &Model,
    routing: &Routing,
    s: &Service,
    sc: &Scaling,
    suspended: bool,
    cluster: &Address,
    service: &Address,
    g: &mut Graph,
) {
    let prefix = format!("{}-{}", m.prefix(), s.name);
    let target = g.add(Resource::new(
        kinds::APPAUTOSCALING_TARGET,
        &s.name,
        &AppautoscalingTarget {
            cluster_name: reference(cluster, "name"),
            service_name: reference(service, "name"),
            min_capacity: sc.min as i32,
            max_capacity: sc.max as i32,
            suspended,
        },
    ));
    let resource_id = reference(&target, "resource_id");
    // The one target group of a routed service (validated), for requests.
    let routed = routing
        .target_groups
        .iter()
        .find(|((svc, _, _), _)| *svc == s.name)
        .map(|((_, _, lb), tg)| (Address::of(kinds::LB, lb), tg.clone()));
    let policies = [
        ("cpu", "ECSServiceAverageCPUUtilization", sc.cpu),
        ("memory", "ECSServiceAverageMemoryUtilization", sc.memory),
        (
            "requests",
            "ALBRequestCountPerTarget",
            sc.requests_per_target,
        ),
    ];
    for (what, metric, value) in policies {
        let Some(value) = value else { continue };
        let (lb, tg) = match (what, &routed) {
            ("requests", Some((lb, tg))) => {
                (Some(reference(lb, "arn")), Some(reference(tg, "arn")))
            }
            ("requests", None) => continue,
            _ => (None, None),
        };
        g.add(Resource::new(
            kinds::APPAUTOSCALING_POLICY,
            &format!("{}-{what}", s.name),
            &AppautoscalingPolicy {
                resource_id: resource_id.clone(),
                name: format!("{prefix}-{what}"),
                metric: metric.to_string(),
                target_value: f64::from(value),
                load_balancer_arn: lb,
                target_group_arn: tg,
                scale_in_cooldown: SCALE_IN_COOLDOWN,
                scale_out_cooldown: SCALE_OUT_COOLDOWN,
            },
        ));
    }
    for e in &sc.schedule {
        g.add(Resource::new(
            kinds::APPAUTOSCALING_SCHEDULED_ACTION,
            &format!("{}-{}", s.name, e.name),
            &AppautoscalingScheduledAction {
                resource_id: resource_id.clone(),
                name: format!("{prefix}-{}", e.name),
                schedule: e.cron.clone(),
                timezone: e.timezone.clone(),
                min_capacity: e.min.map(|v| v as i32),
                max_capacity: e.max.map(|v| v as i32),
            },
        ));
    }
}
