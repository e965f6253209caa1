//! Operating the stack: the alerts topic and its subscriptions, CloudWatch
//! alarms (a metric, or metric math), the dashboard, and Application Auto
//! Scaling (targets, target-tracking policies, scheduled actions).
//!
//! CloudFormation has no scheduled action resource: each is carried by its
//! target's `ScheduledActions`. What lives in another region than the
//! stack's (the topic and alarms for CloudFront's metrics, in us-east-1) is
//! left out with a note, since a template creates resources in one region.

use crate::cx::Cx;
use crate::{ExportError, NoteKind};
use gantry_core::kinds::*;
use gantry_core::{Address, Ref, Resource};
use serde_json::{json, Value};

/// True (with a note) when `r` lives in another region than the template.
pub(crate) fn elsewhere(cx: &mut Cx, r: &Resource) -> bool {
    let region = r.props.get("region").and_then(Value::as_str).unwrap_or("");
    if region.is_empty() || region == cx.ctx.region {
        return false;
    }
    cx.note(
        &r.address,
        NoteKind::NotExported,
        format!(
            "the {} lives in {region} (CloudFront's metrics are there), and a template creates resources in its own region only: deploy it with `gantry up`, or with a second template in {region}",
            r.kind
        ),
    );
    true
}

pub fn sns_topic(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    if elsewhere(cx, r) {
        return Ok(());
    }
    let p: SnsTopic = cx.props(r)?;
    let props = json!({
        "TopicName": p.name,
        "KmsMasterKeyId": cx.s(&p.kms_key_id)?,
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::SNS::Topic", props);
    Ok(())
}

pub fn sns_topic_subscription(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: SnsTopicSubscription = cx.props(r)?;
    let topic = Ref::parse(&p.topic_arn).and_then(|t| cx.graph.get(&t.address));
    if let Some(t) = topic {
        if elsewhere(cx, &t.clone()) {
            cx.note(
                &r.address,
                NoteKind::NotExported,
                format!(
                    "it subscribes to {}, which is not in the template",
                    t.address
                ),
            );
            return Ok(());
        }
    }
    let props = json!({
        "TopicArn": cx.s(&p.topic_arn)?,
        "Protocol": p.protocol,
        "Endpoint": cx.s(&p.endpoint)?,
        "RawMessageDelivery": p.raw_message_delivery.then_some(true),
    });
    cx.add(r, None, "AWS::SNS::Subscription", props);
    if p.protocol == "email" {
        cx.note(
            &r.address,
            NoteKind::Deploy,
            format!(
                "{} must confirm the subscription from SNS's email before alerts reach it",
                p.endpoint
            ),
        );
    }
    Ok(())
}

fn dimensions(
    d: &std::collections::BTreeMap<String, String>,
    cx: &mut Cx,
) -> Result<Value, ExportError> {
    let mut out = Vec::new();
    for (name, v) in d {
        out.push(json!({"Name": name, "Value": cx.s(v)?}));
    }
    Ok(Value::Array(out))
}

/// Standard statistics go in `Statistic`; percentiles (`p99`) in
/// `ExtendedStatistic`, as the provider sends them.
fn is_plain(stat: &str) -> bool {
    matches!(
        stat,
        "Sum" | "Average" | "Minimum" | "Maximum" | "SampleCount"
    )
}

pub fn cloudwatch_metric_alarm(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    if elsewhere(cx, r) {
        return Ok(());
    }
    let p: CloudwatchMetricAlarm = cx.props(r)?;
    let mut props = json!({
        "AlarmName": p.name,
        "AlarmDescription": p.description,
        "ComparisonOperator": p.comparison_operator,
        "Threshold": p.threshold,
        "EvaluationPeriods": p.evaluation_periods,
        "DatapointsToAlarm": p.datapoints_to_alarm,
        "TreatMissingData": p.treat_missing_data,
        "AlarmActions": cx.list(&p.alarm_actions)?,
        "OKActions": cx.list(&p.ok_actions)?,
        "Tags": cx.tags(r, None),
    });
    let o = props.as_object_mut().expect("object");
    if let Some(m) = &p.metric {
        o.insert("Namespace".into(), json!(m.namespace));
        o.insert("MetricName".into(), json!(m.metric_name));
        o.insert("Dimensions".into(), dimensions(&m.dimensions, cx)?);
        o.insert("Period".into(), json!(m.period));
        let key = if is_plain(&m.stat) {
            "Statistic"
        } else {
            "ExtendedStatistic"
        };
        o.insert(key.into(), json!(m.stat));
    }
    if !p.queries.is_empty() {
        let mut metrics = Vec::new();
        for q in &p.queries {
            let stat = match &q.metric {
                Some(m) => json!({
                    "Metric": {
                        "Namespace": m.namespace,
                        "MetricName": m.metric_name,
                        "Dimensions": dimensions(&m.dimensions, cx)?,
                    },
                    "Period": m.period,
                    "Stat": m.stat,
                }),
                None => Value::Null,
            };
            metrics.push(json!({
                "Id": q.id,
                "MetricStat": stat,
                "Expression": q.expression,
                "Label": q.label,
                "ReturnData": q.return_data,
            }));
        }
        o.insert("Metrics".into(), Value::Array(metrics));
    }
    cx.add(r, None, "AWS::CloudWatch::Alarm", props);
    Ok(())
}

pub fn cloudwatch_dashboard(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: CloudwatchDashboard = cx.props(r)?;
    // The body is a JSON string; references inside it (a load balancer's
    // ARN suffix) are joined into it.
    let body = cx.json_string(&p.body)?;
    let props = json!({"DashboardName": p.name, "DashboardBody": body, "Tags": cx.tags(r, None)});
    cx.add(r, None, "AWS::CloudWatch::Dashboard", props);
    Ok(())
}

/// ECS's scalable dimension; the only one Gantry scales.
const ECS_DIMENSION: &str = "ecs:service:DesiredCount";

pub fn appautoscaling_target(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: AppautoscalingTarget = cx.props(r)?;
    let (cluster, service) = (cx.s(&p.cluster_name)?, cx.s(&p.service_name)?);
    let resource_id = cx.concat(vec![json!("service/"), cluster, json!("/"), service]);
    // Scheduled actions are a property of the target in CloudFormation.
    let mut actions = Vec::new();
    let graph = cx.graph;
    for a in graph
        .resources
        .values()
        .filter(|a| a.kind == APPAUTOSCALING_SCHEDULED_ACTION)
    {
        let s: AppautoscalingScheduledAction = cx.props(a)?;
        if Ref::parse(&s.resource_id).map(|x| x.address) != Some(r.address.clone()) {
            continue;
        }
        actions.push(json!({
            "ScheduledActionName": s.name,
            "Schedule": s.schedule,
            "Timezone": s.timezone,
            "ScalableTargetAction": {"MinCapacity": s.min_capacity, "MaxCapacity": s.max_capacity},
        }));
        cx.note(
            &a.address,
            NoteKind::Folded,
            format!("carried by {}'s ScheduledActions", r.address),
        );
    }
    let props = json!({
        "ServiceNamespace": "ecs",
        "ScalableDimension": ECS_DIMENSION,
        "ResourceId": resource_id,
        "MinCapacity": p.min_capacity,
        "MaxCapacity": p.max_capacity,
        "SuspendedState": {
            "DynamicScalingInSuspended": p.suspended,
            "DynamicScalingOutSuspended": p.suspended,
            "ScheduledScalingSuspended": p.suspended,
        },
        "ScheduledActions": if actions.is_empty() { Value::Null } else { Value::Array(actions) },
        "Tags": cx.tags(r, None),
    });
    cx.add(
        r,
        None,
        "AWS::ApplicationAutoScaling::ScalableTarget",
        props,
    );
    Ok(())
}

/// The target a policy or scheduled action scales.
fn target_of(cx: &Cx, resource_id: &str, r: &Resource) -> Result<Address, ExportError> {
    Ref::parse(resource_id)
        .map(|x| x.address)
        .ok_or_else(|| ExportError::Props {
            address: r.address.clone(),
            kind: r.kind.clone(),
            message: format!("resource_id `{resource_id}` is not a scalable target's"),
        })
        .and_then(|a| {
            cx.graph
                .get(&a)
                .map(|_| a.clone())
                .ok_or(ExportError::Dangling {
                    from: r.address.clone(),
                    to: a,
                })
        })
}

pub fn appautoscaling_policy(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: AppautoscalingPolicy = cx.props(r)?;
    let target = target_of(cx, &p.resource_id, r)?;
    let target_id = cx.id(&target);
    // Request counts per target name the load balancer and target group by
    // their ARN suffixes (`app/NAME/ID/targetgroup/NAME/ID`).
    let label = match (&p.load_balancer_arn, &p.target_group_arn) {
        (Some(lb), Some(tg)) => {
            let full = |cx: &mut Cx, s: &str| -> Result<Value, ExportError> {
                match Ref::parse(s) {
                    Some(x) => cx.reference(&Ref {
                        address: x.address,
                        attr: "arn_suffix".into(),
                    }),
                    None => Ok(json!(s)),
                }
            };
            let (lb, tg) = (full(cx, lb)?, full(cx, tg)?);
            cx.concat(vec![lb, json!("/"), tg])
        }
        _ => Value::Null,
    };
    let props = json!({
        "PolicyName": p.name,
        "PolicyType": "TargetTrackingScaling",
        "ScalingTargetId": {"Ref": target_id},
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": p.target_value,
            "ScaleInCooldown": p.scale_in_cooldown,
            "ScaleOutCooldown": p.scale_out_cooldown,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": p.metric,
                "ResourceLabel": label,
            },
        },
    });
    cx.add(r, None, "AWS::ApplicationAutoScaling::ScalingPolicy", props);
    Ok(())
}

pub fn appautoscaling_scheduled_action(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    // Carried by its target (see `appautoscaling_target`); checked here so
    // an action whose target is missing is an error, not a silent drop.
    let p: AppautoscalingScheduledAction = cx.props(r)?;
    target_of(cx, &p.resource_id, r).map(|_| ())
}
