//! What operates the app, defaulted: email alerts with every alarm
//! threshold filled in, the dashboard switch, and each service's scaling.

use gantry_spec::ops::schedule_name;
use gantry_spec::Spec;
use serde::Serialize;

/// Email alerts (present only when enabled).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alerts {
    /// Addresses subscribed to the alerts topic, in the order written.
    pub emails: Vec<String>,
    pub thresholds: Thresholds,
}

/// Alarm thresholds, every one filled in (see `docs/spec.md`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    /// Percent.
    pub cpu: f64,
    /// Percent.
    pub memory: f64,
    /// 5xx answers in 5 minutes.
    pub http_5xx: u32,
    /// Seconds (p95).
    pub response_time: f64,
    pub unhealthy_targets: u32,
    /// Percent.
    pub db_cpu: f64,
    pub db_free_storage_gib: u32,
    /// `None`: 80 % of each database's `max_connections`
    /// ([`default_db_connections`]).
    pub db_connections: Option<u32>,
    /// Percent.
    pub redis_memory: f64,
    /// Percent.
    pub redis_cpu: f64,
    pub api_5xx: u32,
    /// Percent.
    pub site_5xx_rate: f64,
}

pub const DEFAULT_CPU_ALARM: f64 = 80.0;
pub const DEFAULT_MEMORY_ALARM: f64 = 80.0;
pub const DEFAULT_HTTP_5XX: u32 = 10;
pub const DEFAULT_RESPONSE_TIME: f64 = 2.0;
pub const DEFAULT_UNHEALTHY_TARGETS: u32 = 1;
pub const DEFAULT_DB_FREE_STORAGE_GIB: u32 = 2;
pub const DEFAULT_SITE_5XX_RATE: f64 = 5.0;

impl Thresholds {
    /// The connections threshold of a database of `instance_class`.
    pub fn db_connections_for(&self, instance_class: &str) -> u32 {
        self.db_connections
            .unwrap_or_else(|| default_db_connections(instance_class))
    }
}

/// 80 % of PostgreSQL's default `max_connections` on RDS,
/// `LEAST(DBInstanceClassMemory / 9531392, 5000)`, from the class's memory
/// (burstable and general purpose classes by size, memory optimized ones
/// twice that); 80 for a class Gantry does not know.
pub fn default_db_connections(instance_class: &str) -> u32 {
    let mut parts = instance_class.split('.');
    let (_, family, size) = (
        parts.next(),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let gib: f64 = match size {
        "micro" => 1.0,
        "small" => 2.0,
        "medium" => 4.0,
        "large" => 8.0,
        "xlarge" => 16.0,
        s => match s.strip_suffix("xlarge").and_then(|n| n.parse::<f64>().ok()) {
            Some(n) => 16.0 * n,
            None => return 80,
        },
    };
    let gib = if family.starts_with('r') || family.starts_with('x') {
        gib * 2.0
    } else {
        gib
    };
    let max = ((gib * 1024.0 * 1024.0 * 1024.0) / 9_531_392.0)
        .floor()
        .min(5000.0);
    ((max * 0.8).floor() as u32).max(1)
}

/// Autoscaling of a service's task count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scaling {
    pub min: u32,
    pub max: u32,
    /// Target average CPU, percent.
    pub cpu: Option<u32>,
    /// Target average memory, percent.
    pub memory: Option<u32>,
    /// Target requests per task per minute (a routed service).
    pub requests_per_target: Option<u32>,
    pub schedule: Vec<Schedule>,
}

/// A scheduled change of min and/or max.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    pub name: String,
    /// `cron(...)`.
    pub cron: String,
    /// IANA name; `UTC` by default.
    pub timezone: String,
    pub min: Option<u32>,
    pub max: Option<u32>,
}

pub(crate) fn alerts(spec: &Spec) -> Option<Alerts> {
    let a = spec.alerts.as_ref()?;
    if a.enabled.as_ref().is_some_and(|e| !e.value) {
        return None;
    }
    let t = &a.thresholds;
    let pct = |v: &Option<gantry_spec::Sp<f64>>, d: f64| v.as_ref().map_or(d, |v| v.value);
    let n = |v: &Option<gantry_spec::Sp<u32>>, d: u32| v.as_ref().map_or(d, |v| v.value);
    Some(Alerts {
        emails: a.email.iter().map(|e| e.value.clone()).collect(),
        thresholds: Thresholds {
            cpu: pct(&t.cpu, DEFAULT_CPU_ALARM),
            memory: pct(&t.memory, DEFAULT_MEMORY_ALARM),
            http_5xx: n(&t.http_5xx, DEFAULT_HTTP_5XX),
            response_time: pct(&t.response_time, DEFAULT_RESPONSE_TIME),
            unhealthy_targets: n(&t.unhealthy_targets, DEFAULT_UNHEALTHY_TARGETS),
            db_cpu: pct(&t.db_cpu, DEFAULT_CPU_ALARM),
            db_free_storage_gib: n(&t.db_free_storage_gib, DEFAULT_DB_FREE_STORAGE_GIB),
            db_connections: t.db_connections.as_ref().map(|v| v.value),
            redis_memory: pct(&t.redis_memory, DEFAULT_MEMORY_ALARM),
            redis_cpu: pct(&t.redis_cpu, DEFAULT_CPU_ALARM),
            api_5xx: n(&t.api_5xx, DEFAULT_HTTP_5XX),
            site_5xx_rate: pct(&t.site_5xx_rate, DEFAULT_SITE_5XX_RATE),
        },
    })
}

/// The dashboard: as written, else on with alerts.
pub(crate) fn dashboard(spec: &Spec, alerts: bool) -> bool {
    spec.dashboard.as_ref().map_or(alerts, |d| d.value)
}

pub(crate) fn scaling(s: &gantry_spec::Service) -> Option<Scaling> {
    let sc = s.scaling.as_ref()?;
    let min = sc.min.as_ref().map_or(1, |v| v.value);
    Some(Scaling {
        min,
        max: sc.max.as_ref().map_or(min.max(1), |v| v.value),
        cpu: sc.cpu.as_ref().map(|v| v.value),
        memory: sc.memory.as_ref().map(|v| v.value),
        requests_per_target: sc.requests_per_target.as_ref().map(|v| v.value),
        schedule: sc
            .schedule
            .iter()
            .enumerate()
            .map(|(i, e)| Schedule {
                name: schedule_name(e, i),
                cron: e.cron.value.clone(),
                timezone: e
                    .timezone
                    .as_ref()
                    .map_or_else(|| "UTC".to_string(), |t| t.value.clone()),
                min: e.min.as_ref().map(|v| v.value),
                max: e.max.as_ref().map(|v| v.value),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_follow_the_instance_memory() {
        // 1 GiB: max_connections 112, alarm at 89.
        assert_eq!(default_db_connections("db.t4g.micro"), 89);
        assert_eq!(default_db_connections("db.t4g.small"), 180);
        assert_eq!(default_db_connections("db.m7g.large"), 720);
        assert_eq!(default_db_connections("db.r6g.large"), 1441);
        // Capped at 5000 connections.
        assert_eq!(default_db_connections("db.m7g.16xlarge"), 4000);
        assert_eq!(default_db_connections("db.serverless"), 80);
    }
}
