//! Watching the app (seeds 000 and 002): what to watch for what the stack
//! has, as CloudWatch alarms notifying email subscribers through SNS, and
//! as one dashboard per stack and environment.
//!
//! The watch list comes from the graph already built, so every load
//! balancer, target group, service, database, cache, API and distribution
//! the architecture has is watched, and nothing it lacks:
//!
//! - load balancer: target 5xx and load balancer 5xx (sum over 5 minutes),
//!   target response time (p95 over three 5-minute periods: the average
//!   hides the slow tail users feel);
//! - target group: unhealthy targets (5 minutes running);
//! - service: CPU and memory (average, 15 minutes), and tasks running
//!   below the desired count for 5 minutes: Container Insights'
//!   `DesiredTaskCount - RunningTaskCount` as metric math (the cluster
//!   has Container Insights on; AWS/ECS has no task counts);
//! - PostgreSQL: CPU, free storage, connections;
//! - Redis: memory use and engine CPU per node (ElastiCache node ids
//!   `ID-00N`, MemoryDB `NAME-0001-00N`);
//! - HTTP API: 5xx; site: CloudFront's 5xx error rate.
//!
//! Alarms notify the alerts topic on ALARM and on OK. CloudFront's metrics
//! exist in us-east-1 only, and an alarm notifies topics of its own region
//! only: a stack elsewhere with a site gets a second topic in us-east-1,
//! encrypted with a key of its own there (SNS encrypts with keys of the
//! topic's region), with the same subscribers. Each topic's policy admits
//! CloudWatch for this stack's alarms only; the keys let CloudWatch use
//! them, as AWS documents for encrypted topics.
//!
//! Missing data counts as not breaching for traffic metrics (no requests is
//! no error) and as missing for stores (a store that stops reporting keeps
//! its state rather than clearing an alarm).

use crate::naming::{short_name, slug};
use crate::routing::Routing;
use crate::Graph;
use gantry_core::kinds::{self, *};
use gantry_core::{reference, Address, Resource};
use gantry_model::{Model, Thresholds};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Where CloudFront publishes its metrics.
pub const CLOUDFRONT_METRICS_REGION: &str = "us-east-1";
/// The address name of the alerts topic (and its key in us-east-1 with
/// a `-global` suffix).
pub const TOPIC: &str = "alerts";
const GLOBAL_TOPIC: &str = "alerts-global";

/// One thing watched: a metric (or metric math) with the alarm threshold
/// and the dashboard widget it gets.
struct Watch {
    /// Address name and alarm name suffix (`lb-main-target-5xx`).
    key: String,
    /// What the alarm says (`web: CPU above 80 %`).
    description: String,
    /// Dashboard widget title.
    title: String,
    /// Empty: the stack's region.
    region: &'static str,
    metric: Option<AlarmMetric>,
    queries: Vec<AlarmQuery>,
    op: &'static str,
    threshold: f64,
    periods: i32,
    missing: &'static str,
}

fn metric(ns: &str, name: &str, dims: &[(&str, String)], stat: &str, period: i32) -> AlarmMetric {
    AlarmMetric {
        namespace: ns.to_string(),
        metric_name: name.to_string(),
        dimensions: dims
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        stat: stat.to_string(),
        period,
    }
}

const ABOVE: &str = "GreaterThanOrEqualToThreshold";
const BELOW: &str = "LessThanOrEqualToThreshold";
const FIVE_MIN: i32 = 300;

/// A plain watch on one metric.
#[allow(clippy::too_many_arguments)]
fn watch(
    key: String,
    title: String,
    description: String,
    m: AlarmMetric,
    op: &'static str,
    threshold: f64,
    periods: i32,
    missing: &'static str,
) -> Watch {
    Watch {
        key,
        description,
        title,
        region: "",
        metric: Some(m),
        queries: Vec::new(),
        op,
        threshold,
        periods,
        missing,
    }
}

/// One Redis node: its store's name, its node id, the part of the node id
/// that names its alarms, and its CloudWatch namespace and dimensions.
struct RedisNode {
    store: String,
    node: String,
    key: String,
    namespace: &'static str,
    dims: Vec<(&'static str, String)>,
}

/// Everything the stack has that is worth watching, in a stable order.
fn watches(m: &Model, routing: &Routing, t: &Thresholds, g: &Graph) -> Vec<Watch> {
    let mut out = load_balancers(t, g);
    out.extend(target_groups(routing, t));
    out.extend(services(m, t));
    out.extend(databases(t, g));
    out.extend(redis_nodes(t, g));
    out.extend(apis(t, g));
    out.extend(distributions(t, g));
    out
}

/// Each load balancer: its targets' 5xx, its own 5xx, p95 response time.
fn load_balancers(t: &Thresholds, g: &Graph) -> Vec<Watch> {
    let mut out = Vec::new();
    let lbs: Vec<(Address, Lb)> = g.of_kind();
    for (addr, _) in &lbs {
        let name = addr.name();
        let lb = reference(addr, "arn_suffix");
        let elb = |metric_name: &str, stat: &str| {
            metric(
                "AWS/ApplicationELB",
                metric_name,
                &[("LoadBalancer", lb.clone())],
                stat,
                FIVE_MIN,
            )
        };
        out.push(watch(
            format!("lb-{name}-target-5xx"),
            format!("Load balancer {name}: target 5xx"),
            format!(
                "Load balancer {name}: {} or more 5xx answers from its targets in 5 minutes",
                t.http_5xx
            ),
            elb("HTTPCode_Target_5XX_Count", "Sum"),
            ABOVE,
            f64::from(t.http_5xx),
            1,
            "notBreaching",
        ));
        out.push(watch(
            format!("lb-{name}-elb-5xx"),
            format!("Load balancer {name}: its own 5xx"),
            format!("Load balancer {name}: {} or more 5xx answers of its own (no healthy target, timeouts) in 5 minutes", t.http_5xx),
            elb("HTTPCode_ELB_5XX_Count", "Sum"),
            ABOVE,
            f64::from(t.http_5xx),
            1,
            "notBreaching",
        ));
        out.push(watch(
            format!("lb-{name}-response-time"),
            format!("Load balancer {name}: p95 response time (s)"),
            format!(
                "Load balancer {name}: p95 target response time at {} s or more for 15 minutes",
                t.response_time
            ),
            elb("TargetResponseTime", "p95"),
            ABOVE,
            t.response_time,
            3,
            "notBreaching",
        ));
    }
    out
}

/// Each target group: unhealthy targets.
fn target_groups(routing: &Routing, t: &Thresholds) -> Vec<Watch> {
    let mut out = Vec::new();
    for ((svc, container, lb), tg) in &routing.target_groups {
        let dims = [
            ("TargetGroup", reference(tg, "arn_suffix")),
            (
                "LoadBalancer",
                reference(&Address::of(kinds::LB, lb), "arn_suffix"),
            ),
        ];
        out.push(watch(
            format!("tg-{}-unhealthy", tg.name()),
            format!("{svc}/{container} via {lb}: unhealthy targets"),
            format!("Target group of {svc}/{container} on load balancer {lb}: {} or more unhealthy targets for 5 minutes", t.unhealthy_targets),
            metric("AWS/ApplicationELB", "UnHealthyHostCount", &dims, "Maximum", 60),
            ABOVE,
            f64::from(t.unhealthy_targets),
            5,
            "notBreaching",
        ));
    }
    out
}

/// Each service: CPU, memory, and tasks missing (desired - running).
fn services(m: &Model, t: &Thresholds) -> Vec<Watch> {
    let mut out = Vec::new();
    let cluster = m.prefix();
    for s in &m.services {
        let dims = [
            ("ClusterName", cluster.clone()),
            ("ServiceName", s.name.clone()),
        ];
        for (what, metric_name, threshold) in [
            ("cpu", "CPUUtilization", t.cpu),
            ("memory", "MemoryUtilization", t.memory),
        ] {
            out.push(watch(
                format!("svc-{}-{what}", s.name),
                format!("Service {}: {what} (%)", s.name),
                format!(
                    "Service {}: average {what} at {threshold} % or more for 15 minutes",
                    s.name
                ),
                metric("AWS/ECS", metric_name, &dims, "Average", FIVE_MIN),
                ABOVE,
                threshold,
                3,
                "notBreaching",
            ));
        }
        let insights = |id: &str, metric_name: &str| AlarmQuery {
            id: id.to_string(),
            metric: Some(metric(
                "ECS/ContainerInsights",
                metric_name,
                &dims,
                "Average",
                60,
            )),
            expression: None,
            label: Some(metric_name.to_string()),
            return_data: false,
        };
        out.push(Watch {
            key: format!("svc-{}-running", s.name),
            description: format!(
                "Service {}: fewer tasks running than desired for 5 minutes",
                s.name
            ),
            title: format!("Service {}: desired and running tasks", s.name),
            region: "",
            metric: None,
            queries: vec![
                insights("desired", "DesiredTaskCount"),
                insights("running", "RunningTaskCount"),
                AlarmQuery {
                    id: "missing".into(),
                    metric: None,
                    expression: Some("desired - running".into()),
                    label: Some("Tasks missing".into()),
                    return_data: true,
                },
            ],
            op: ABOVE,
            threshold: 1.0,
            periods: 5,
            missing: "notBreaching",
        });
    }
    out
}

/// Each PostgreSQL database: CPU, free storage, connections.
fn databases(t: &Thresholds, g: &Graph) -> Vec<Watch> {
    let mut out = Vec::new();
    for (addr, db) in g.of_kind::<DbInstance>() {
        let name = addr.name();
        let dims = [("DBInstanceIdentifier", db.identifier.clone())];
        let rds =
            |metric_name: &str, stat: &str| metric("AWS/RDS", metric_name, &dims, stat, FIVE_MIN);
        let gib = t.db_free_storage_gib;
        let conns = t.db_connections_for(&db.instance_class);
        out.push(watch(
            format!("db-{name}-cpu"),
            format!("Database {name}: CPU (%)"),
            format!(
                "PostgreSQL {name}: CPU at {} % or more for 15 minutes",
                t.db_cpu
            ),
            rds("CPUUtilization", "Average"),
            ABOVE,
            t.db_cpu,
            3,
            "missing",
        ));
        out.push(watch(
            format!("db-{name}-free-storage"),
            format!("Database {name}: free storage (bytes)"),
            format!("PostgreSQL {name}: {gib} GiB of storage or less free"),
            rds("FreeStorageSpace", "Minimum"),
            BELOW,
            f64::from(gib) * 1024.0 * 1024.0 * 1024.0,
            1,
            "missing",
        ));
        out.push(watch(
            format!("db-{name}-connections"),
            format!("Database {name}: connections"),
            format!("PostgreSQL {name}: {conns} connections or more for 15 minutes"),
            rds("DatabaseConnections", "Maximum"),
            ABOVE,
            f64::from(conns),
            3,
            "missing",
        ));
    }
    out
}

/// Each Redis node (ElastiCache or MemoryDB): memory and engine CPU.
fn redis_nodes(t: &Thresholds, g: &Graph) -> Vec<Watch> {
    let mut out = Vec::new();
    let mut nodes: Vec<RedisNode> = Vec::new();
    for (addr, rg) in g.of_kind::<ElasticacheReplicationGroup>() {
        for n in 1..=rg.num_cache_clusters.max(1) {
            let node = format!("{}-{n:03}", rg.id);
            nodes.push(RedisNode {
                store: addr.name().to_string(),
                key: format!("{n:03}"),
                namespace: "AWS/ElastiCache",
                dims: vec![("CacheClusterId", node.clone())],
                node,
            });
        }
    }
    for (addr, c) in g.of_kind::<MemorydbCluster>() {
        for shard in 1..=c.num_shards.max(1) {
            for n in 1..=(1 + c.num_replicas_per_shard) {
                let node = format!("{}-{shard:04}-{n:03}", c.name);
                nodes.push(RedisNode {
                    store: addr.name().to_string(),
                    key: format!("{shard:04}-{n:03}"),
                    namespace: "AWS/MemoryDB",
                    dims: vec![("ClusterName", c.name.clone()), ("NodeName", node.clone())],
                    node,
                });
            }
        }
    }
    for RedisNode {
        store,
        node,
        key,
        namespace: ns,
        dims,
    } in nodes
    {
        for (what, metric_name, threshold) in [
            ("memory", "DatabaseMemoryUsagePercentage", t.redis_memory),
            ("cpu", "EngineCPUUtilization", t.redis_cpu),
        ] {
            out.push(watch(
                format!("redis-{store}-{key}-{what}"),
                format!("Redis {store} node {node}: {what} (%)"),
                format!(
                    "Redis {store}, node {node}: {what} at {threshold} % or more for 15 minutes"
                ),
                metric(ns, metric_name, &dims, "Average", FIVE_MIN),
                ABOVE,
                threshold,
                3,
                "missing",
            ));
        }
    }
    out
}

/// Each HTTP API: 5xx answers.
fn apis(t: &Thresholds, g: &Graph) -> Vec<Watch> {
    let mut out = Vec::new();
    for (addr, _) in g.of_kind::<ApigwApi>() {
        let name = addr.name();
        out.push(watch(
            format!("api-{name}-5xx"),
            format!("HTTP API {name}: 5xx"),
            format!(
                "HTTP API {name}: {} or more 5xx answers in 5 minutes",
                t.api_5xx
            ),
            metric(
                "AWS/ApiGateway",
                "5xx",
                &[("ApiId", reference(&addr, "id"))],
                "Sum",
                FIVE_MIN,
            ),
            ABOVE,
            f64::from(t.api_5xx),
            1,
            "notBreaching",
        ));
    }
    out
}

/// Each CloudFront distribution: 5xx error rate (its metrics live in
/// us-east-1).
fn distributions(t: &Thresholds, g: &Graph) -> Vec<Watch> {
    let mut out = Vec::new();
    for (addr, _) in g.of_kind::<CloudfrontDistribution>() {
        let name = addr.name();
        let dims = [
            ("DistributionId", reference(&addr, "id")),
            ("Region", "Global".to_string()),
        ];
        let mut w = watch(
            format!("cdn-{name}-5xx-rate"),
            format!("CloudFront {name}: 5xx error rate (%)"),
            format!(
                "CloudFront distribution {name}: 5xx error rate at {} % or more for 10 minutes",
                t.site_5xx_rate
            ),
            metric("AWS/CloudFront", "5xxErrorRate", &dims, "Average", FIVE_MIN),
            ABOVE,
            t.site_5xx_rate,
            2,
            "notBreaching",
        );
        w.region = CLOUDFRONT_METRICS_REGION;
        out.push(w);
    }
    out
}

/// The alarm name prefix of the stack (`STACK-ENV-`): topic policies admit
/// alarms named so, and `gantry status` lists those in ALARM.
pub fn alarm_prefix(m: &Model) -> String {
    format!("{}-", m.prefix())
}

pub(crate) fn build(m: &Model, routing: &Routing, g: &mut Graph) {
    let Some(alerts) = &m.alerts else {
        if m.dashboard {
            let w = watches(m, routing, &default_thresholds(), g);
            dashboard(m, &w, false, g);
        }
        return;
    };
    let w = watches(m, routing, &alerts.thresholds, g);
    let prefix = m.prefix();
    let key = crate::common::stack_key(m).expect("alerts need the stack key");
    let topic = alerts_topic(m, TOPIC, "", reference(&key, "arn"), g);
    let global = (m.region != CLOUDFRONT_METRICS_REGION
        && w.iter().any(|w| w.region == CLOUDFRONT_METRICS_REGION))
    .then(|| {
        let key = g.add(Resource::new(
            kinds::KMS_KEY,
            GLOBAL_TOPIC,
            &KmsKey {
                alias: format!("alias/gantry/{prefix}-alerts"),
                description: format!(
                    "Gantry {} ({}): CloudFront alerts topic in {CLOUDFRONT_METRICS_REGION}",
                    m.stack, m.env
                ),
                enable_key_rotation: true,
                policy: Value::Null,
                logs_log_group_prefix: None,
                deletion_window_in_days: if m.is_prod() { 30 } else { 7 },
                cloudwatch_alarms: true,
                region: CLOUDFRONT_METRICS_REGION.to_string(),
                service_principals: Vec::new(),
            },
        ));
        alerts_topic(
            m,
            GLOBAL_TOPIC,
            CLOUDFRONT_METRICS_REGION,
            reference(&key, "arn"),
            g,
        )
    });
    let mut slugs: BTreeMap<String, usize> = BTreeMap::new();
    for email in &alerts.emails {
        let base = slug(email);
        let n = slugs.entry(base.clone()).or_default();
        *n += 1;
        // Two addresses may slug alike (`a.b@x` and `a-b@x`): the second gets a hash.
        let s = if *n == 1 {
            base
        } else {
            format!("{base}-{:04x}", crate::naming::fnv1a(email) & 0xffff)
        };
        for (topic_name, topic_addr) in
            std::iter::once((TOPIC, &topic)).chain(global.as_ref().map(|t| (GLOBAL_TOPIC, t)))
        {
            g.add(
                Resource::new(
                    kinds::SNS_TOPIC_SUBSCRIPTION,
                    &format!("{topic_name}-{s}"),
                    &SnsTopicSubscription {
                        topic_arn: reference(topic_addr, "arn"),
                        protocol: "email".into(),
                        endpoint: email.clone(),
                        raw_message_delivery: false,
                    },
                )
                .with_note(format!(
                    "{email} must confirm the subscription email SNS sends before alerts reach it"
                )),
            );
        }
    }
    for w in &w {
        let topic = match (w.region, &global) {
            (CLOUDFRONT_METRICS_REGION, Some(t)) => t,
            _ => &topic,
        };
        let actions = vec![reference(topic, "arn")];
        g.add(Resource::new(
            kinds::CLOUDWATCH_METRIC_ALARM,
            &w.key,
            &CloudwatchMetricAlarm {
                name: short_name(&format!("{prefix}-{}", w.key), 255),
                description: w.description.clone(),
                region: if w.region == m.region {
                    String::new()
                } else {
                    w.region.to_string()
                },
                metric: w.metric.clone(),
                queries: w.queries.clone(),
                comparison_operator: w.op.to_string(),
                threshold: w.threshold,
                evaluation_periods: w.periods,
                datapoints_to_alarm: w.periods,
                treat_missing_data: w.missing.to_string(),
                alarm_actions: actions.clone(),
                ok_actions: actions,
            },
        ));
    }
    if m.dashboard {
        dashboard(m, &w, true, g);
    }
}

/// The thresholds the dashboard draws without alerts (none: no lines).
fn default_thresholds() -> Thresholds {
    Thresholds {
        cpu: gantry_model::DEFAULT_CPU_ALARM,
        memory: gantry_model::DEFAULT_MEMORY_ALARM,
        http_5xx: gantry_model::DEFAULT_HTTP_5XX,
        response_time: gantry_model::DEFAULT_RESPONSE_TIME,
        unhealthy_targets: gantry_model::DEFAULT_UNHEALTHY_TARGETS,
        db_cpu: gantry_model::DEFAULT_CPU_ALARM,
        db_free_storage_gib: gantry_model::DEFAULT_DB_FREE_STORAGE_GIB,
        db_connections: None,
        redis_memory: gantry_model::DEFAULT_MEMORY_ALARM,
        redis_cpu: gantry_model::DEFAULT_CPU_ALARM,
        api_5xx: gantry_model::DEFAULT_HTTP_5XX,
        site_5xx_rate: gantry_model::DEFAULT_SITE_5XX_RATE,
    }
}

/// An alerts topic in `region` (empty: the stack's) encrypted with `key`.
fn alerts_topic(m: &Model, name: &str, region: &str, key: String, g: &mut Graph) -> Address {
    g.add(Resource::new(
        kinds::SNS_TOPIC,
        name,
        &SnsTopic {
            name: format!("{}-{name}", m.prefix()),
            region: region.to_string(),
            kms_key_id: key,
            alarm_name_prefix: Some(alarm_prefix(m)),
        },
    ))
}

/// A dashboard line: `[namespace, metric, dim, value, ..., {options}]`.
fn line(mt: &AlarmMetric, options: Value) -> Value {
    let mut v = vec![json!(mt.namespace), json!(mt.metric_name)];
    for (k, d) in &mt.dimensions {
        v.push(json!(k));
        v.push(json!(d));
    }
    v.push(options);
    Value::Array(v)
}

/// One dashboard, `STACK-ENV-main`: a graph per watch, three a row, with
/// the alarm threshold drawn when there are alarms.
fn dashboard(m: &Model, watches: &[Watch], thresholds: bool, g: &mut Graph) {
    let widgets: Vec<Value> = watches
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let lines: Vec<Value> = match &w.metric {
                Some(mt) => vec![line(mt, json!({"stat": mt.stat, "period": mt.period}))],
                None => w
                    .queries
                    .iter()
                    .filter_map(|q| {
                        let mt = q.metric.as_ref()?;
                        Some(line(
                            mt,
                            json!({"stat": mt.stat, "period": mt.period, "label": q.label}),
                        ))
                    })
                    .collect(),
            };
            let region = if w.region.is_empty() {
                m.region.as_str()
            } else {
                w.region
            };
            let mut props = json!({
                "title": w.title,
                "view": "timeSeries",
                "region": region,
                "metrics": lines,
            });
            if thresholds {
                props["annotations"] =
                    json!({"horizontal": [{"label": "alarm", "value": w.threshold}]});
            }
            json!({
                "type": "metric",
                "x": (i % 3) * 8,
                "y": (i / 3) * 6,
                "width": 8,
                "height": 6,
                "properties": props,
            })
        })
        .collect();
    g.add(Resource::new(
        kinds::CLOUDWATCH_DASHBOARD,
        "main",
        &CloudwatchDashboard {
            name: format!("{}-main", m.prefix()),
            body: json!({"widgets": widgets}),
        },
    ));
}
