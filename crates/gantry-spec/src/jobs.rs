//! Jobs (seed 004's scheduled and event-driven tasks): the `jobs:` key and
//! its validation.
//!
//! A job is a task like a service's (containers, size, `uses`, `policy`)
//! that runs to its end instead of being kept running: on a schedule, on
//! matching EventBridge events, or on `gantry run`. Its task is checked
//! with the services' own checks ([`Job::as_service`]); this module checks
//! what only jobs have.

use crate::diag::Problems;
use crate::span::Sp;
use crate::types::{Capacity, Container, PolicyStatement, Service, Spec, Use};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most retries EventBridge Scheduler and rules allow.
pub const MAX_RETRIES: u32 = 185;

/// One job: a Fargate task run to its end.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// Task CPU units, as for a service. Default 256.
    pub cpu: Option<Sp<u32>>,
    /// Task memory in MiB, as for a service. Default 512.
    pub memory: Option<Sp<u32>>,
    /// `fargate` (default) or `fargate-spot`.
    pub capacity: Option<Sp<Capacity>>,
    /// Stores, secrets, parameters, queues, topics and services the job
    /// may use, as for a service.
    #[serde(default)]
    pub uses: Vec<Sp<Use>>,
    /// Containers by name (at least one); no `routes`.
    pub containers: BTreeMap<Sp<String>, Container>,
    /// Statements added to the job's task role, as for a service.
    #[serde(default)]
    pub policy: Vec<Sp<PolicyStatement>>,
    /// Days its log group keeps lines, as for a service.
    pub log_retention: Option<Sp<u32>>,
    /// When it runs (EventBridge Scheduler): `cron(0 3 * * ? *)`,
    /// `rate(1 day)` or `at(2027-01-01T00:00:00)`. Without `schedule` or
    /// `on` it runs only with `gantry run`.
    pub schedule: Option<Sp<String>>,
    /// The IANA time zone of `schedule`, like `Europe/Paris`. Default `UTC`.
    pub timezone: Option<Sp<String>>,
    /// Runs on each EventBridge event (default bus) matching this pattern.
    pub on: Option<Sp<EventPattern>>,
    /// Times a run that could not start is retried (0 to 185). Default 2;
    /// what still fails goes to the job's dead-letter queue.
    pub retries: Option<Sp<u32>>,
    /// `xray`: the X-Ray daemon sidecar, as for a service.
    pub tracing: Option<Sp<crate::types::Tracing>>,
}

/// The events a job runs on: every listed field must match.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventPattern {
    /// Event sources, like `com.myapp.orders` (at least one).
    pub source: Vec<String>,
    /// Detail types, like `Order Created`; empty: any.
    #[serde(default)]
    pub detail_type: Vec<String>,
}

impl Job {
    /// The job's task as a service, for the checks and defaults they share.
    pub fn as_service(&self) -> Service {
        Service {
            cpu: self.cpu.clone(),
            memory: self.memory.clone(),
            desired_count: None,
            capacity: self.capacity.clone(),
            uses: self.uses.clone(),
            containers: self.containers.clone(),
            policy: self.policy.clone(),
            exec: None,
            log_retention: self.log_retention.clone(),
            scaling: None,
            tracing: self.tracing.clone(),
        }
    }
}

/// A schedule expression EventBridge Scheduler accepts, roughly:
/// `cron(` six fields `)`, `rate(N unit)` or `at(yyyy-mm-ddThh:mm:ss)`.
fn schedule_ok(s: &str) -> bool {
    if let Some(body) = s.strip_prefix("cron(").and_then(|b| b.strip_suffix(')')) {
        return body.split_whitespace().count() == 6;
    }
    if let Some(body) = s.strip_prefix("rate(").and_then(|b| b.strip_suffix(')')) {
        let mut parts = body.split_whitespace();
        let n = parts.next().and_then(|n| n.parse::<u32>().ok());
        let unit = parts.next();
        let units = ["minute", "minutes", "hour", "hours", "day", "days"];
        return matches!(n, Some(n) if n > 0)
            && unit.is_some_and(|u| units.contains(&u))
            && parts.next().is_none();
    }
    if let Some(body) = s.strip_prefix("at(").and_then(|b| b.strip_suffix(')')) {
        return body.len() == 19 && body.as_bytes()[10] == b'T';
    }
    false
}

/// What only jobs have: a name apart from the services', a valid trigger,
/// no routes.
pub(crate) fn check_view(spec: &Spec, p: &mut Problems) {
    for (name, job) in &spec.jobs {
        crate::validate::check_name_pub(p, "job name", name, 32);
        if spec.services.contains_key(&name.value) {
            p.push(
                name.pos,
                format!("job `{}` has the name of a service", name.value),
                "jobs and services share names (roles, log groups, task families): rename one"
                    .to_string(),
            );
        }
        if let Some(s) = &job.schedule {
            if !schedule_ok(s) {
                p.push(
                    s.pos,
                    format!("invalid schedule `{}`", s.value),
                    "write `cron(MIN HOUR DAY MONTH WEEKDAY YEAR)` with one day field `?`, `rate(1 day)` or `at(2027-01-01T00:00:00)`".to_string(),
                );
            }
        }
        if let Some(tz) = &job.timezone {
            let ok =
                tz.as_str() == "UTC" || (tz.contains('/') && !tz.contains(char::is_whitespace));
            if job.schedule.is_none() {
                p.push(
                    tz.pos,
                    "`timezone` without `schedule`",
                    "the time zone applies to `schedule`; add one or remove it".to_string(),
                );
            } else if !ok {
                p.push(
                    tz.pos,
                    format!("invalid time zone `{}`", tz.value),
                    "write an IANA time zone like `Europe/Paris`, or `UTC`".to_string(),
                );
            }
        }
        if let Some(on) = &job.on {
            if on.source.is_empty() || on.source.iter().any(|s| s.trim().is_empty()) {
                p.push(
                    on.pos,
                    "`on.source` needs at least one event source",
                    "write the sources your app puts events with, like `[com.myapp.orders]`"
                        .to_string(),
                );
            }
        }
        if let Some(r) = &job.retries {
            if r.value > MAX_RETRIES {
                p.push(
                    r.pos,
                    format!("retries {} is out of range", r.value),
                    format!("use 0 to {MAX_RETRIES}"),
                );
            }
        }
        for (cname, c) in &job.containers {
            if let Some(r) = c.routes.first() {
                p.push(
                    r.pos,
                    format!(
                        "container `{}` of job `{}` has routes",
                        cname.value, name.value
                    ),
                    "a job runs to its end and takes no traffic: move the route to a service"
                        .to_string(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::schedule_ok;

    #[test]
    fn schedule_expressions() {
        for ok in [
            "cron(0 3 * * ? *)",
            "rate(1 day)",
            "rate(15 minutes)",
            "at(2027-01-01T00:00:00)",
        ] {
            assert!(schedule_ok(ok), "{ok}");
        }
        for bad in [
            "cron(0 3 * * ?)",
            "rate(0 days)",
            "rate(1 week)",
            "daily",
            "at(2027-01-01)",
        ] {
            assert!(!schedule_ok(bad), "{bad}");
        }
    }
}
