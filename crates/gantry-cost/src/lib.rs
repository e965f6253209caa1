//! Monthly cost estimates of what Gantry builds: each resource's charges
//! from a sourced price table ([`prices`]) and, for charges that depend on
//! use (NAT and endpoint data, requests, storage, log ingestion), a
//! documented usage profile ([`Usage`]) whose figures are shown apart as
//! assumed. A month is 730 hours. Free tiers and Savings Plans are not
//! applied; the Fargate Spot discount is (at the most AWS gives, 70 %).
//!
//! The estimate reads the resources' properties as the architect writes
//! them (and the state records them), so the same code prices the desired
//! graph and what exists, and a plan's change is the difference.

pub mod prices;

use gantry_core::{find_refs, kinds, Address, DesiredGraph, Props};
pub use prices::{PriceError, Prices};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Hours in a month, as AWS's pricing pages count them.
pub const HOURS: f64 = 730.0;

/// What use the usage-based charges assume, per resource a month: the
/// spec's `usage:` figures over the documented defaults (declared once, in
/// `gantry-spec`'s usage table, with the spec's reference).
pub use gantry_spec::UsageProfile as Usage;

/// One charge of one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub address: Address,
    /// What is charged (`NAT gateway hours`).
    pub what: String,
    /// The price table's item.
    pub item: String,
    pub quantity: f64,
    pub unit: String,
    pub unit_usd: f64,
    pub monthly_usd: f64,
    /// Depends on use: the quantity comes from the usage profile.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub assumed: bool,
    /// The region has no price of its own for it: the us-east-1 one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
}

/// The charges of a set of resources in one region.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Estimate {
    pub region: String,
    pub lines: Vec<Line>,
    /// Charges the price table has no item for (a new instance class):
    /// resource and item, left out of the totals.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unpriced: Vec<(Address, String)>,
}

impl Estimate {
    /// Charges that do not depend on use.
    pub fn fixed(&self) -> f64 {
        self.lines
            .iter()
            .filter(|l| !l.assumed)
            .map(|l| l.monthly_usd)
            .sum()
    }

    /// Charges whose quantity the usage profile assumes.
    pub fn assumed(&self) -> f64 {
        self.lines
            .iter()
            .filter(|l| l.assumed)
            .map(|l| l.monthly_usd)
            .sum()
    }

    pub fn total(&self) -> f64 {
        self.fixed() + self.assumed()
    }

    /// Each resource's monthly total.
    pub fn by_address(&self) -> BTreeMap<Address, f64> {
        let mut out = BTreeMap::new();
        for l in &self.lines {
            *out.entry(l.address.clone()).or_insert(0.0) += l.monthly_usd;
        }
        out
    }

    /// Items priced at another region's rate.
    pub fn approximate_items(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .lines
            .iter()
            .filter(|l| l.approximate)
            .map(|l| l.item.as_str())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// A resource to price: its kind and properties.
pub struct Priced<'a> {
    pub address: &'a Address,
    pub kind: &'a str,
    pub props: &'a Props,
}

/// Prices resources, looking others up by address (a service's task
/// definition) among the same set.
pub struct Estimator<'a> {
    pub prices: &'a Prices,
    pub usage: &'a Usage,
    pub region: &'a str,
    /// Tasks each service runs, by service name, where the resource's
    /// desired count is not what runs in steady state (a `build:` service
    /// created at 0 until its first deploy).
    pub task_counts: BTreeMap<String, i64>,
}

/// Whether a task definition runs the X-Ray daemon (`tracing: xray`).
fn has_xray_daemon(p: &Props) -> bool {
    p.get("containers")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("image")
                    .and_then(Value::as_str)
                    .is_some_and(|i| i.starts_with("public.ecr.aws/xray/aws-xray-daemon:"))
            })
        })
}

/// The first address `v` refers to.
fn referenced(v: Option<&Value>) -> Option<Address> {
    v.and_then(|v| find_refs(v).into_iter().next().map(|r| r.address))
}

fn num(p: &Props, k: &str) -> Option<f64> {
    p.get(k).and_then(Value::as_f64)
}

fn text<'p>(p: &'p Props, k: &str) -> Option<&'p str> {
    p.get(k).and_then(Value::as_str)
}

fn count(p: &Props, k: &str) -> f64 {
    p.get(k)
        .and_then(Value::as_array)
        .map_or(0.0, |a| a.len() as f64)
}

impl Estimator<'_> {
    /// The charges of every resource of `graph`.
    pub fn graph(&self, graph: &DesiredGraph) -> Result<Estimate, PriceError> {
        let all: Vec<Priced> = graph
            .resources
            .values()
            .map(|r| Priced {
                address: &r.address,
                kind: &r.kind,
                props: &r.props,
            })
            .collect();
        self.resources(&all)
    }

    /// The charges of `all`.
    pub fn resources(&self, all: &[Priced]) -> Result<Estimate, PriceError> {
        let by_addr: BTreeMap<&Address, &Priced> = all.iter().map(|p| (p.address, p)).collect();
        let mut out = Estimate {
            region: self.region.to_string(),
            lines: Vec::new(),
            unpriced: Vec::new(),
        };
        for r in all {
            self.resource(r, &by_addr, &mut out)?;
        }
        Ok(out)
    }

    fn resource(
        &self,
        r: &Priced,
        all: &BTreeMap<&Address, &Priced>,
        out: &mut Estimate,
    ) -> Result<(), PriceError> {
        let u = self.usage;
        let p = r.props;
        let mut line = |what: &str, item: &str, quantity: f64, assumed: bool| {
            let price = match self.prices.get(item, self.region) {
                Ok(p) => p,
                Err(PriceError::Missing(_)) => {
                    out.unpriced.push((r.address.clone(), item.to_string()));
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            let unit = self.prices.items[item].unit.clone();
            if quantity > 0.0 {
                out.lines.push(Line {
                    address: r.address.clone(),
                    what: what.to_string(),
                    item: item.to_string(),
                    quantity,
                    unit,
                    unit_usd: price.usd,
                    monthly_usd: quantity * price.usd,
                    assumed,
                    approximate: price.approximate,
                });
            }
            Ok::<(), PriceError>(())
        };
        match r.kind {
            kinds::NAT_GATEWAY => {
                line("NAT gateway hours", "nat_gateway_hour", HOURS, false)?;
                line("NAT data processed", "nat_gateway_gb", u.nat_gb, true)?;
            }
            kinds::EIP => line("public IPv4 address", "public_ipv4_hour", HOURS, false)?,
            kinds::VPC_ENDPOINT if text(p, "vpc_endpoint_type") == Some("Interface") => {
                let azs = count(p, "subnet_ids").max(1.0);
                line(
                    "interface endpoint hours, per AZ",
                    "vpc_endpoint_az_hour",
                    HOURS * azs,
                    false,
                )?;
                line(
                    "endpoint data processed",
                    "vpc_endpoint_gb",
                    u.endpoint_gb,
                    true,
                )?;
            }
            kinds::LB => {
                line("load balancer hours", "alb_hour", HOURS, false)?;
                line(
                    "load balancer capacity units",
                    "alb_lcu_hour",
                    HOURS * u.lb_lcu,
                    true,
                )?;
                if p.get("internal").and_then(Value::as_bool) != Some(true) {
                    // An internet-facing ALB holds a public address per AZ.
                    let azs = count(p, "subnet_ids").max(2.0);
                    line(
                        "public IPv4 addresses, one per AZ",
                        "public_ipv4_hour",
                        HOURS * azs,
                        false,
                    )?;
                }
            }
            kinds::ECS_SERVICE => {
                // The desired graph refers to it; a recorded service holds
                // its ARN, and its task definition has the service's name.
                let td = referenced(p.get("task_definition_arn"))
                    .unwrap_or_else(|| Address::of(kinds::ECS_TASK_DEFINITION, r.address.name()));
                let td = all.get(&td).copied();
                let Some(td) = td else { return Ok(()) };
                let tasks = self
                    .task_counts
                    .get(r.address.name())
                    .copied()
                    .map(|n| n as f64)
                    .or_else(|| num(p, "desired_count"))
                    .unwrap_or(0.0);
                let vcpu = num(td.props, "cpu").unwrap_or(256.0) / 1024.0;
                let gb = num(td.props, "memory").unwrap_or(512.0) / 1024.0;
                let arm = text(td.props, "cpu_architecture") == Some("ARM64");
                let (cpu_item, mem_item) = if arm {
                    ("fargate_arm_vcpu_hour", "fargate_arm_gb_hour")
                } else {
                    ("fargate_x86_vcpu_hour", "fargate_x86_gb_hour")
                };
                let spot = text(p, "capacity_provider") == Some("FARGATE_SPOT");
                let off = if spot {
                    1.0 - self.prices.get("fargate_spot_discount", self.region)?.usd
                } else {
                    1.0
                };
                let what = |w: &str| {
                    format!(
                        "{w}, {tasks} task(s){}",
                        if spot { " on Spot (70 % off)" } else { "" }
                    )
                };
                line(
                    &what("Fargate vCPU"),
                    cpu_item,
                    HOURS * tasks * vcpu * off,
                    false,
                )?;
                line(
                    &what("Fargate memory"),
                    mem_item,
                    HOURS * tasks * gb * off,
                    false,
                )?;
                // Cloud Map bills each registered task (instance) a month.
                let registries = count(p, "service_registries");
                if registries > 0.0 {
                    line(
                        &format!("Cloud Map registration, {tasks} task(s)"),
                        "cloudmap_resource_month",
                        tasks * registries,
                        false,
                    )?;
                }
                if p.get("assign_public_ip").and_then(Value::as_bool) == Some(true) {
                    line(
                        "public IPv4 address per task",
                        "public_ipv4_hour",
                        HOURS * tasks,
                        false,
                    )?;
                }
            }
            kinds::DB_INSTANCE => {
                let class = text(p, "instance_class").unwrap_or("db.t4g.micro");
                let multi = if p.get("multi_az").and_then(Value::as_bool) == Some(true) {
                    2.0
                } else {
                    1.0
                };
                let az = if multi > 1.0 { " (Multi-AZ)" } else { "" };
                line(
                    &format!("{class} instance hours{az}"),
                    &format!("rds_postgres_hour.{class}"),
                    HOURS * multi,
                    false,
                )?;
                line(
                    &format!("gp3 storage{az}"),
                    "rds_gp3_gb_month",
                    num(p, "allocated_storage").unwrap_or(20.0) * multi,
                    false,
                )?;
            }
            kinds::ELASTICACHE_REPLICATION_GROUP => {
                let node = text(p, "node_type").unwrap_or("cache.t4g.micro");
                let nodes = num(p, "num_cache_clusters").unwrap_or(1.0);
                line(
                    &format!("{node} node hours, {nodes} node(s)"),
                    &format!("elasticache_hour.{node}"),
                    HOURS * nodes,
                    false,
                )?;
            }
            kinds::MEMORYDB_CLUSTER => {
                let node = text(p, "node_type").unwrap_or("db.t4g.small");
                let nodes = num(p, "num_shards").unwrap_or(1.0)
                    * (num(p, "num_replicas_per_shard").unwrap_or(1.0) + 1.0);
                line(
                    &format!("{node} node hours, {nodes} node(s)"),
                    &format!("memorydb_hour.{node}"),
                    HOURS * nodes,
                    false,
                )?;
            }
            kinds::DYNAMODB_TABLE => {
                line(
                    "reads",
                    "dynamodb_read_million",
                    u.table_read_millions,
                    true,
                )?;
                line(
                    "writes",
                    "dynamodb_write_million",
                    u.table_write_millions,
                    true,
                )?;
                line("storage", "dynamodb_gb_month", u.table_gb, true)?;
                if p.get("point_in_time_recovery").and_then(Value::as_bool) == Some(true) {
                    line(
                        "point-in-time recovery",
                        "dynamodb_pitr_gb_month",
                        u.table_gb,
                        true,
                    )?;
                }
            }
            kinds::S3_BUCKET => {
                line("storage", "s3_gb_month", u.bucket_gb, true)?;
                line(
                    "GET requests",
                    "s3_get_thousand",
                    u.bucket_get_thousands,
                    true,
                )?;
                line(
                    "PUT requests",
                    "s3_put_thousand",
                    u.bucket_put_thousands,
                    true,
                )?;
            }
            kinds::CLOUDFRONT_DISTRIBUTION => {
                line("data out", "cloudfront_gb", u.cdn_gb, true)?;
                line(
                    "HTTPS requests",
                    "cloudfront_https_10k",
                    u.cdn_requests_10k,
                    true,
                )?;
            }
            kinds::WAFV2_WEB_ACL => {
                line("web ACL", "waf_web_acl_month", 1.0, false)?;
                let rules = count(p, "managed_rule_groups")
                    + if p.get("rate_limit").is_some_and(|v| !v.is_null()) {
                        1.0
                    } else {
                        0.0
                    };
                line("rules and rule groups", "waf_rule_month", rules, false)?;
                line(
                    "requests inspected",
                    "waf_requests_million",
                    u.waf_millions,
                    true,
                )?;
            }
            kinds::ROUTE53_ZONE => {
                line("hosted zone", "route53_zone_month", 1.0, false)?;
                line(
                    "DNS queries",
                    "route53_queries_million",
                    u.dns_millions,
                    true,
                )?;
            }
            // Cloud Map keeps a namespace's records in a private hosted zone.
            kinds::SERVICEDISCOVERY_PRIVATE_DNS_NAMESPACE => {
                line("private hosted zone", "route53_zone_month", 1.0, false)?
            }
            kinds::SECRET => {
                line("secret", "secret_month", 1.0, false)?;
                line("API calls", "secret_api_10k", u.secret_calls_10k, true)?;
            }
            kinds::KMS_KEY => {
                line("customer managed key", "kms_key_month", 1.0, false)?;
                line("requests", "kms_requests_10k", u.key_requests_10k, true)?;
            }
            kinds::LOG_GROUP => {
                line("log ingestion", "logs_ingest_gb", u.log_gb, true)?;
                line("log storage", "logs_storage_gb_month", u.log_gb, true)?;
            }
            kinds::ECR_REPOSITORY => line("image storage", "ecr_gb_month", u.image_gb, true)?,
            kinds::EFS_FILE_SYSTEM => {
                line("Standard storage", "efs_standard_gb_month", u.file_gb, true)?
            }
            kinds::APIGW_API => line("requests", "apigw_http_million", u.api_millions, true)?,
            kinds::SQS_QUEUE => {
                let item = if p.get("fifo").and_then(|v| v.as_bool()) == Some(true) {
                    "sqs_fifo_million"
                } else {
                    "sqs_standard_million"
                };
                line("requests", item, u.queue_millions, true)?
            }
            kinds::SNS_TOPIC if p.get("alarm_name_prefix").is_none() => {
                line("publishes", "sns_publish_million", u.topic_millions, true)?
            }
            kinds::SESV2_EMAIL_IDENTITY => line(
                "emails sent",
                "ses_thousand_emails",
                u.email_thousands,
                true,
            )?,
            kinds::COGNITO_USER_POOL => line("active users", "cognito_mau", u.auth_mau, true)?,
            // A task with the X-Ray daemon sidecar records traces.
            kinds::ECS_TASK_DEFINITION if has_xray_daemon(p) => line(
                "X-Ray traces recorded",
                "xray_traces_million",
                u.xray_traces_millions,
                true,
            )?,
            kinds::CLOUDWATCH_METRIC_ALARM => {
                // Priced per metric the alarm reads: a metric-math alarm
                // pays for each metric in its expression, not for the
                // expression (CloudWatch pricing, "alarm metric-month").
                let metrics = p.get("queries").and_then(Value::as_array).map_or(0, |q| {
                    q.iter().filter(|q| q.get("metric").is_some()).count()
                });
                line("alarm metrics", "alarm_month", metrics.max(1) as f64, false)?
            }
            "cloudwatch_dashboard" => line("dashboard", "dashboard_month", 1.0, false)?,
            // Everything else Gantry makes has no charge of its own (VPCs,
            // subnets, security groups, roles, IAM's OIDC provider for CI,
            // target groups, listeners, gateway endpoints, public
            // certificates, Cloud Map services: their registered tasks are
            // priced on the ECS service...).
            _ => {}
        }
        Ok(())
    }
}

/// `$1,234.56`.
pub fn usd(v: f64) -> String {
    let cents = (v * 100.0).round() as i64;
    let (sign, cents) = if cents < 0 {
        ("-", -cents)
    } else {
        ("", cents)
    };
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{:02}", cents % 100)
}

/// `+$32.85` / `-$3.65` / `$0.00`: a change.
pub fn usd_delta(v: f64) -> String {
    if (v * 100.0).round() == 0.0 {
        usd(0.0)
    } else if v > 0.0 {
        format!("+{}", usd(v))
    } else {
        usd(v)
    }
}

#[cfg(test)]
mod tests;
