//! `cloudwatch_metric_alarm`: a CloudWatch metric alarm on one metric or on
//! metric math, notifying topics on ALARM and on OK. The id is the alarm
//! ARN (`arn:PARTITION:cloudwatch:REGION:ACCOUNT:alarm:NAME`), which names
//! its region: CloudFront's alarms live in us-east-1. Outputs `id`, `arn`,
//! `name`.
//!
//! PutMetricAlarm creates or replaces an alarm by name with its tags, so a
//! create sent again after a lost reply makes no second alarm and every
//! change is one call. Reads are one DescribeAlarms per region and 100
//! names; a percentile (`p95`) is CloudWatch's extended statistic.

use crate::context::AwsContext;
use crate::error::aws_error;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat,
    Statistic, Tag,
};
use gantry_core::kinds::{AlarmMetric, AlarmQuery, CloudwatchMetricAlarm};
use gantry_core::*;
use std::collections::BTreeMap;

pub(crate) const NOT_FOUND: &[&str] = &["ResourceNotFound", "ResourceNotFoundException"];
/// Names per DescribeAlarms.
const BATCH: usize = 100;

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(arn: &str) -> Applied {
    Applied {
        id: arn.to_string(),
        outputs: outputs([
            ("id", arn.to_string()),
            ("arn", arn.to_string()),
            ("name", name_of(arn).to_string()),
        ]),
    }
}

/// The alarm name in an alarm ARN.
fn name_of(arn: &str) -> &str {
    arn.split_once(":alarm:").map_or(arn, |(_, n)| n)
}

/// The region in an alarm ARN.
fn region_of(arn: &str) -> &str {
    arn.split(':').nth(3).unwrap_or_default()
}

fn dimensions(d: &BTreeMap<String, String>) -> Vec<Dimension> {
    d.iter()
        .map(|(k, v)| Dimension::builder().name(k).value(v).build())
        .collect()
}

fn dimension_map(d: &[Dimension]) -> BTreeMap<String, String> {
    d.iter()
        .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
        .collect()
}

/// A percentile (`p95`, `tm99`...) is an extended statistic; the five
/// plain ones are statistics.
fn is_plain(stat: &str) -> bool {
    matches!(stat, "Sum" | "Average" | "Minimum" | "Maximum" | "SampleCount")
}

fn query(q: &AlarmQuery) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(&q.id)
        .set_expression(q.expression.clone())
        .set_label(q.label.clone())
        .return_data(q.return_data)
        .set_metric_stat(q.metric.as_ref().map(|m| {
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace(&m.namespace)
                        .metric_name(&m.metric_name)
                        .set_dimensions(Some(dimensions(&m.dimensions)))
                        .build(),
                )
                .period(m.period)
                .stat(&m.stat)
                .build()
        }))
        .build()
}

/// The props an alarm as CloudWatch reports it has; `rec` keeps what it
/// may leave out (a query's `ReturnData`, the action lists' order).
fn props_of(a: &MetricAlarm, region: String, rec: Option<&CloudwatchMetricAlarm>) -> CloudwatchMetricAlarm {
    let metric = a.metric_name().map(|name| AlarmMetric {
        namespace: a.namespace().unwrap_or_default().to_string(),
        metric_name: name.to_string(),
        dimensions: dimension_map(a.dimensions()),
        stat: match (a.statistic(), a.extended_statistic()) {
            (Some(s), _) => s.as_str().to_string(),
            (None, Some(e)) => e.to_string(),
            (None, None) => String::new(),
        },
        period: a.period().unwrap_or_default(),
    });
    let queries = a
        .metrics()
        .iter()
        .map(|q| {
            let id = q.id().unwrap_or_default().to_string();
            let recorded = rec
                .and_then(|r| r.queries.iter().find(|x| x.id == id))
                .map(|x| x.return_data);
            AlarmQuery {
                metric: q.metric_stat().map(|s| AlarmMetric {
                    namespace: s.metric().and_then(|m| m.namespace()).unwrap_or_default().to_string(),
                    metric_name: s.metric().and_then(|m| m.metric_name()).unwrap_or_default().to_string(),
                    dimensions: dimension_map(s.metric().map(|m| m.dimensions()).unwrap_or_default()),
                    stat: s.stat().unwrap_or_default().to_string(),
                    period: s.period().unwrap_or_default(),
                }),
                expression: q.expression().map(str::to_string),
                label: q.label().map(str::to_string),
                // CloudWatch may leave the default (true) out.
                return_data: q.return_data().or(recorded).unwrap_or(true),
                id,
            }
        })
        .collect();
    let evaluation_periods = a.evaluation_periods().unwrap_or_default();
    let recorded_order = |v: &[String], r: Option<&Vec<String>>| order_like(v.to_vec(), r.map(Vec::as_slice).unwrap_or_default());
    CloudwatchMetricAlarm {
        name: a.alarm_name().unwrap_or_default().to_string(),
        description: a.alarm_description().unwrap_or_default().to_string(),
        region,
        metric,
        queries,
        comparison_operator: a
            .comparison_operator()
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        threshold: a.threshold().unwrap_or_default(),
        evaluation_periods,
        datapoints_to_alarm: a.datapoints_to_alarm().unwrap_or(evaluation_periods),
        treat_missing_data: a.treat_missing_data().unwrap_or("missing").to_string(),
        alarm_actions: recorded_order(a.alarm_actions(), rec.map(|r| &r.alarm_actions)),
        ok_actions: recorded_order(a.ok_actions(), rec.map(|r| &r.ok_actions)),
    }
}

impl Provider {
    /// The ARN of the alarm `p` (the account from STS).
    async fn arn_for(&self, p: &CloudwatchMetricAlarm) -> Result<String, ProviderError> {
        let region = region_or(&p.region, self.ctx.region());
        let account = self.ctx.account_id().await?;
        Ok(format!(
            "arn:{}:cloudwatch:{region}:{account}:alarm:{}",
            partition_of(region),
            p.name
        ))
    }

    async fn put(&self, p: &CloudwatchMetricAlarm, tags: BTreeMap<String, String>) -> Result<(), ProviderError> {
        let mut q = self
            .ctx
            .cloudwatch_in(&p.region)
            .put_metric_alarm()
            .alarm_name(&p.name)
            .alarm_description(&p.description)
            .actions_enabled(true)
            .set_alarm_actions(Some(p.alarm_actions.clone()))
            .set_ok_actions(Some(p.ok_actions.clone()))
            .comparison_operator(ComparisonOperator::from(p.comparison_operator.as_str()))
            .threshold(p.threshold)
            .evaluation_periods(p.evaluation_periods)
            .datapoints_to_alarm(p.datapoints_to_alarm)
            .treat_missing_data(&p.treat_missing_data)
            .set_tags(Some(
                tags.into_iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ));
        if let Some(m) = &p.metric {
            q = q
                .namespace(&m.namespace)
                .metric_name(&m.metric_name)
                .set_dimensions(Some(dimensions(&m.dimensions)))
                .period(m.period);
            q = if is_plain(&m.stat) {
                q.statistic(Statistic::from(m.stat.as_str()))
            } else {
                q.extended_statistic(&m.stat)
            };
        }
        if !p.queries.is_empty() {
            q = q.set_metrics(Some(p.queries.iter().map(query).collect()));
        }
        q.send().await.map(|_| ()).map_err(Self::err)
    }

    /// The alarms of one region with these names.
    async fn describe(&self, region: &str, names: Vec<String>) -> Result<Vec<MetricAlarm>, ProviderError> {
        let out: Vec<_> = self
            .ctx
            .cloudwatch_in(region)
            .describe_alarms()
            .set_alarm_names(Some(names))
            .alarm_types(AlarmType::MetricAlarm)
            .max_records(BATCH as i32)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(Self::err)?;
        Ok(out
            .into_iter()
            .flat_map(|o| o.metric_alarms.unwrap_or_default())
            .collect())
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = CloudwatchMetricAlarm;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Both, "cloudwatch:alarm", |a| {
        arn::whole(a, "cloudwatch", "alarm:")
    });
    const READ_BATCH: Option<usize> = Some(BATCH);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, CloudwatchMetricAlarm>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        self.put(p, req.tag_set(None)).await?;
        Ok(applied(&self.arn_for(p).await?))
    }

    async fn read(
        &self,
        items: &[Item<'_, CloudwatchMetricAlarm>],
    ) -> Result<Vec<Seen<CloudwatchMetricAlarm>>, ProviderError> {
        let mut by_region: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for i in items {
            by_region.entry(region_of(i.id)).or_default().push(i.id);
        }
        let mut out = Vec::new();
        for (region, arns) in by_region {
            for chunk in arns.chunks(BATCH) {
                let names = chunk.iter().map(|a| name_of(a).to_string()).collect();
                for a in self.describe(region, names).await? {
                    let Some(arn) = chunk.iter().find(|x| Some(name_of(x)) == a.alarm_name()) else {
                        continue;
                    };
                    let rec = recorded_of(items, arn);
                    let r = match rec {
                        Some(r) if region_or(&r.region, self.ctx.region()) == region => r.region.clone(),
                        _ if region == self.ctx.region() => String::new(),
                        _ => region.to_string(),
                    };
                    out.push(Seen::new(*arn, props_of(&a, r, rec), applied(arn).outputs));
                }
            }
        }
        Ok(out)
    }

    async fn update(&self, req: Update<'_, CloudwatchMetricAlarm>) -> Result<Applied, ProviderError> {
        // PutMetricAlarm replaces the alarm whole (tags are kept).
        self.put(&req.new, req.tag_set(None)).await?;
        Ok(applied(req.id))
    }

    async fn delete(&self, req: Delete<'_, CloudwatchMetricAlarm>) -> Result<(), ProviderError> {
        self.ctx
            .cloudwatch_in(region_of(req.id))
            .delete_alarms()
            .alarm_names(name_of(req.id))
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, CloudwatchMetricAlarm>) -> Result<Option<Applied>, ProviderError> {
        let arn = self.arn_for(&req.props).await?;
        if self
            .describe(region_of(&arn), vec![req.props.name.clone()])
            .await?
            .is_empty()
        {
            return Ok(None);
        }
        let tags = self
            .ctx
            .cloudwatch_in(region_of(&arn))
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND))?;
        let ours = req.ours(
            tags.tags()
                .iter()
                .filter_map(|t| Some((t.key()?, t.value()?))),
        );
        Ok(ours.then(|| applied(&arn)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_arns_name_region_and_alarm() {
        let a = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:app-dev-site-5xx";
        assert_eq!(name_of(a), "app-dev-site-5xx");
        assert_eq!(region_of(a), "us-east-1");
        assert!(is_plain("Average") && !is_plain("p95"));
    }
}
