//! What `gantry status` shows: for ECS services, desired, running and
//! pending counts, the primary deployment's rollout state and task
//! definition; and the stack's CloudWatch alarms now in ALARM.

use crate::context::AwsContext;
use crate::error::aws_error;
use gantry_core::ProviderError;

/// One service as ECS reports it right now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServiceStatus {
    pub name: String,
    pub arn: String,
    pub status: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    /// The primary deployment's rollout state (`IN_PROGRESS`, `COMPLETED`,
    /// `FAILED`), when ECS reports one.
    pub rollout_state: Option<String>,
    /// The task definition the primary deployment runs.
    pub task_definition: String,
}

/// Describes `service_arns` (ARNs or names) in `cluster` in as few calls as
/// the API allows (ten services per DescribeServices); services ECS does not
/// know are left out.
pub async fn services(
    ctx: &AwsContext,
    cluster: &str,
    service_arns: &[String],
) -> Result<Vec<ServiceStatus>, ProviderError> {
    let mut out = Vec::with_capacity(service_arns.len());
    for chunk in service_arns.chunks(10) {
        let r = ctx
            .ecs()
            .describe_services()
            .cluster(cluster)
            .set_services(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| aws_error(e, &["ClusterNotFoundException"]))?;
        for s in r.services() {
            let primary = s
                .deployments()
                .iter()
                .find(|d| d.status() == Some("PRIMARY"))
                .or_else(|| s.deployments().first());
            out.push(ServiceStatus {
                name: s.service_name().unwrap_or_default().to_string(),
                arn: s.service_arn().unwrap_or_default().to_string(),
                status: s.status().unwrap_or_default().to_string(),
                desired: s.desired_count(),
                running: s.running_count(),
                // The emulator computes desired - running, which can go negative.
                pending: s.pending_count().max(0),
                rollout_state: primary
                    .and_then(|d| d.rollout_state())
                    .map(|r| r.as_str().to_string()),
                task_definition: primary
                    .and_then(|d| d.task_definition())
                    .or(s.task_definition())
                    .unwrap_or_default()
                    .to_string(),
            });
        }
    }
    Ok(out)
}

/// One alarm of the stack in ALARM, for `gantry status`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlarmStatus {
    pub name: String,
    /// The region it lives in (CloudFront's are in us-east-1).
    pub region: String,
    /// What it watches: `NAMESPACE METRIC (STAT)` (`AWS/ECS
    /// CPUUtilization (Average)`), the returned expression of metric math
    /// (`Tasks missing = desired - running`), or a composite's rule.
    pub metric: String,
    /// What Gantry wrote it is for (`Service web: average cpu at 80 % or
    /// more for 15 minutes`).
    pub description: String,
    /// CloudWatch's reason for the state (`Threshold Crossed: ...`).
    pub reason: String,
    /// When it went into ALARM (RFC 3339, UTC), when CloudWatch says.
    pub since: Option<String>,
}

/// The stack's alarms now in ALARM, oldest first: DescribeAlarms
/// (paginated, metric and composite alarms) by the stack's alarm name
/// `prefix` (`STACK-ENV-`, see `gantry_architect::monitoring::alarm_prefix`)
/// in the stack's region and, for a stack elsewhere, in us-east-1, where a
/// site's CloudFront alarms live.
pub async fn alarms(ctx: &AwsContext, prefix: &str) -> Result<Vec<AlarmStatus>, ProviderError> {
    use aws_sdk_cloudwatch::types::{AlarmType, StateValue};
    let mut regions = vec![ctx.region().to_string()];
    if ctx.region() != crate::context::GLOBAL_REGION {
        regions.push(crate::context::GLOBAL_REGION.to_string());
    }
    let mut out = Vec::new();
    for region in regions {
        let pages: Vec<_> = ctx
            .cloudwatch_in(&region)
            .describe_alarms()
            .alarm_name_prefix(prefix)
            .state_value(StateValue::Alarm)
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        for p in pages {
            for a in p.metric_alarms() {
                out.push(AlarmStatus {
                    name: a.alarm_name().unwrap_or_default().to_string(),
                    region: region.clone(),
                    metric: metric_of(a),
                    description: a.alarm_description().unwrap_or_default().to_string(),
                    reason: a.state_reason().unwrap_or_default().to_string(),
                    since: rfc3339(
                        a.state_transitioned_timestamp()
                            .or(a.state_updated_timestamp()),
                    ),
                });
            }
            for a in p.composite_alarms() {
                out.push(AlarmStatus {
                    name: a.alarm_name().unwrap_or_default().to_string(),
                    region: region.clone(),
                    metric: format!("composite: {}", a.alarm_rule().unwrap_or_default()),
                    description: a.alarm_description().unwrap_or_default().to_string(),
                    reason: a.state_reason().unwrap_or_default().to_string(),
                    since: rfc3339(
                        a.state_transitioned_timestamp()
                            .or(a.state_updated_timestamp()),
                    ),
                });
            }
        }
    }
    Ok(sorted(out))
}

/// What a metric alarm watches, in a line (see [`AlarmStatus::metric`]).
fn metric_of(a: &aws_sdk_cloudwatch::types::MetricAlarm) -> String {
    if let Some(name) = a.metric_name() {
        let stat = a
            .statistic()
            .map(|s| s.as_str().to_string())
            .or_else(|| a.extended_statistic().map(str::to_string));
        let ns = a.namespace().unwrap_or_default();
        return match stat {
            Some(stat) => format!("{ns} {name} ({stat})"),
            None => format!("{ns} {name}"),
        };
    }
    // Metric math: the query whose data the alarm watches.
    let returned = a
        .metrics()
        .iter()
        .find(|q| q.return_data() != Some(false) && q.expression().is_some())
        .or_else(|| a.metrics().iter().find(|q| q.return_data() != Some(false)));
    match returned {
        Some(q) => match (q.label(), q.expression()) {
            (Some(l), Some(e)) => format!("{l} = {e}"),
            (None, Some(e)) => e.to_string(),
            _ => q
                .metric_stat()
                .and_then(|s| s.metric())
                .map(|m| {
                    format!(
                        "{} {}",
                        m.namespace().unwrap_or_default(),
                        m.metric_name().unwrap_or_default()
                    )
                })
                .unwrap_or_default(),
        },
        None => String::new(),
    }
}

fn rfc3339(t: Option<&aws_smithy_types::DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
}

/// Oldest in ALARM first (RFC 3339 times in UTC sort as text), those
/// without a time last, then by name.
fn sorted(mut v: Vec<AlarmStatus>) -> Vec<AlarmStatus> {
    v.sort_by(|a, b| {
        (a.since.is_none(), &a.since, &a.name).cmp(&(b.since.is_none(), &b.since, &b.name))
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatch::types::{Metric, MetricAlarm, MetricDataQuery, MetricStat, Statistic};

    fn status(name: &str, since: Option<i64>) -> AlarmStatus {
        AlarmStatus {
            name: name.into(),
            region: "eu-west-1".into(),
            metric: String::new(),
            description: String::new(),
            reason: String::new(),
            since: rfc3339(since.map(aws_smithy_types::DateTime::from_secs).as_ref()),
        }
    }

    #[test]
    fn alarms_read_oldest_first_with_their_times() {
        let a = status("app-dev-svc-web-cpu", Some(1_800_000_100));
        assert_eq!(a.since.as_deref(), Some("2027-01-15T08:01:40Z"));
        let b = status("app-dev-cdn-site-5xx-rate", Some(1_800_000_000));
        let c = status("app-dev-db-main-cpu", None);
        let names: Vec<String> = sorted(vec![c, a, b]).into_iter().map(|x| x.name).collect();
        assert_eq!(
            names,
            [
                "app-dev-cdn-site-5xx-rate",
                "app-dev-svc-web-cpu",
                "app-dev-db-main-cpu"
            ]
        );
    }

    #[test]
    fn the_metric_is_named_with_its_statistic_or_its_expression() {
        let plain = MetricAlarm::builder()
            .namespace("AWS/ECS")
            .metric_name("CPUUtilization")
            .statistic(Statistic::Average)
            .build();
        assert_eq!(metric_of(&plain), "AWS/ECS CPUUtilization (Average)");
        let p95 = MetricAlarm::builder()
            .namespace("AWS/ApplicationELB")
            .metric_name("TargetResponseTime")
            .extended_statistic("p95")
            .build();
        assert_eq!(
            metric_of(&p95),
            "AWS/ApplicationELB TargetResponseTime (p95)"
        );
        let insights = |id: &str, name: &str| {
            MetricDataQuery::builder()
                .id(id)
                .return_data(false)
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace("ECS/ContainerInsights")
                                .metric_name(name)
                                .build(),
                        )
                        .period(60)
                        .stat("Average")
                        .build(),
                )
                .build()
        };
        let math = MetricAlarm::builder()
            .metrics(insights("desired", "DesiredTaskCount"))
            .metrics(insights("running", "RunningTaskCount"))
            .metrics(
                MetricDataQuery::builder()
                    .id("missing")
                    .expression("desired - running")
                    .label("Tasks missing")
                    .return_data(true)
                    .build(),
            )
            .build();
        assert_eq!(metric_of(&math), "Tasks missing = desired - running");
    }
}
