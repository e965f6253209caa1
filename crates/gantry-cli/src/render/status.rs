//! `gantry status` as text: the stack's resources, then each service's
//! running/desired/pending tasks, deployment state, revision and release,
//! images, target health and latest stopped tasks, then the addresses.

use crate::ops::StatusReport;
use std::fmt::Write;

pub fn render(r: &StatusReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Stack {}/{} in {} (state serial {})",
        r.stack, r.env, r.region, r.serial
    );
    if let Some(l) = &r.lock {
        let _ = writeln!(
            out,
            "Locked by {} running `{}` since {}",
            l.who, l.command, l.since
        );
    }
    if r.resources.is_empty() && r.untracked.is_empty() {
        out.push_str("\nNo resources: the stack has not been created (run `gantry up`).\n");
        return out;
    }
    let _ = writeln!(out, "\nResources ({}):", r.resources.len());
    let w = r
        .resources
        .iter()
        .map(|x| x.address.len())
        .max()
        .unwrap_or(0);
    for x in &r.resources {
        let flag = if x.status == "ok" {
            String::new()
        } else {
            format!("  ({})", x.status)
        };
        let _ = writeln!(out, "  {:w$}  {}{flag}", x.address, x.id);
    }
    if !r.services.is_empty() {
        out.push_str("\nServices:\n");
        for s in &r.services {
            service(&mut out, s);
        }
    }
    if !r.alarms.is_empty() {
        let _ = writeln!(out, "\nAlarms in ALARM ({}):", r.alarms.len());
        for a in &r.alarms {
            let since = a
                .since
                .as_deref()
                .map(|s| format!(" since {s}"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {}{since}: {}", a.name, a.description);
            let _ = writeln!(out, "    {} ({})", a.reason, a.metric);
        }
    }
    out.push_str(&endpoints(&r.endpoints));
    if !r.untracked.is_empty() {
        let _ = writeln!(
            out,
            "\nUntracked ({}): tagged with this stack, not in the state; `gantry up` adopts those at an address it wants, `gantry destroy` removes them all:",
            r.untracked.len()
        );
        for u in &r.untracked {
            let _ = writeln!(
                out,
                "  {} {}  {}",
                u.kind,
                u.id,
                u.address.as_deref().unwrap_or("(no address tag)")
            );
        }
    }
    out
}

/// One service: counts and rollout, then what runs, its targets, its
/// deployments while more than one runs, and its latest stopped tasks.
fn service(out: &mut String, s: &crate::ops::ServiceLine) {
    use crate::render::rollout::{clock, images, revision, stopped, targets};
    let e = &s.ecs;
    let release = s
        .release
        .map(|n| format!(", release {n}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {}: {}/{} running, {} pending; deployment {}; {}{release}",
        e.name,
        e.running,
        e.desired,
        e.pending,
        e.rollout_state.as_deref().unwrap_or("-"),
        revision(&e.task_definition),
    );
    if !s.images.is_empty() {
        let _ = writeln!(out, "    images: {}", images(&s.images));
    }
    for t in &s.targets {
        let _ = writeln!(out, "    {}", targets(t));
    }
    if s.deployments.len() > 1 {
        for d in &s.deployments {
            let _ = writeln!(
                out,
                "    {} {} {}: {}/{} running, {} pending, {} failed{}",
                d.status.to_lowercase(),
                revision(&d.task_definition),
                d.rollout_state.as_deref().unwrap_or("-"),
                d.running,
                d.desired,
                d.pending,
                d.failed,
                d.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            );
        }
    }
    for t in &s.stopped {
        let _ = writeln!(out, "    {} {}", clock(t.stopped_ms), stopped(t));
    }
}

/// The app's addresses, a line each (nothing when there are none).
pub fn endpoints(e: &[crate::endpoints::Endpoint]) -> String {
    let mut out = String::new();
    if e.is_empty() {
        return out;
    }
    out.push_str("\nAddresses:\n");
    let w = e.iter().map(|x| x.url.len()).max().unwrap_or(0);
    for x in e {
        let behind = if x.url.ends_with(&x.dns_name) {
            String::new()
        } else {
            format!("  -> {}", x.dns_name)
        };
        let _ = writeln!(out, "  {:w$}{behind}  ({})", x.url, x.via);
    }
    out
}

/// A service's releases as a table, oldest first, the current one marked.
pub fn releases(service: &str, list: &[gantry_state::Release], current: Option<u64>) -> String {
    let mut out = String::new();
    if list.is_empty() {
        let _ = writeln!(
            out,
            "No releases of {service} yet: `gantry up` and `gantry deploy` record them."
        );
        return out;
    }
    let _ = writeln!(
        out,
        "Releases of {service} (oldest first; * marks the one in place):"
    );
    let rev = |r: &gantry_state::Release| {
        if r.revision.is_empty() {
            "-".to_string()
        } else {
            crate::render::rollout::revision(&r.revision).to_string()
        }
    };
    let wr = list.iter().map(|r| rev(r).len()).max().unwrap_or(0).max(8);
    let wb = list.iter().map(|r| r.by.len()).max().unwrap_or(0).max(2);
    let _ = writeln!(
        out,
        "    {:>3}  {:wr$}  {:20}  {:wb$}  {:12}  images",
        "#", "revision", "when", "by", "outcome"
    );
    for r in list {
        let mark = if Some(r.number) == current { "*" } else { " " };
        let images: Vec<String> = r.images.iter().map(|(c, i)| format!("{c}={i}")).collect();
        let _ = writeln!(
            out,
            "  {mark} {:>3}  {:wr$}  {:20}  {:wb$}  {:12}  {}",
            r.number,
            rev(r),
            r.at,
            r.by,
            r.outcome.to_string(),
            images.join(", ")
        );
        let mut notes = Vec::new();
        if let Some(n) = r.rollback_of {
            notes.push(format!("rollback to release {n}"));
        }
        if let Some(why) = &r.reason {
            notes.push(why.clone());
        }
        if !notes.is_empty() {
            let _ = writeln!(out, "        {}", notes.join("; "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::Endpoint;
    use crate::ops::{ResourceLine, ServiceLine, StatusReport};
    use gantry_aws::rollout::{ContainerExit, Deployment, StoppedTask, TargetHealth};
    use gantry_aws::status::ServiceStatus;
    use std::collections::BTreeMap;

    const TD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-dev-web";
    const TG: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-dev-web-app/0a1b2c";

    fn deployment(status: &str, rev: u32, state: &str, counts: [i32; 4]) -> Deployment {
        Deployment {
            id: format!("ecs-svc/{rev}"),
            status: status.into(),
            task_definition: format!("{TD}:{rev}"),
            desired: counts[0],
            running: counts[1],
            pending: counts[2],
            failed: counts[3],
            rollout_state: Some(state.into()),
            reason: None,
            created_ms: 0,
        }
    }

    #[test]
    fn a_service_mid_rollout_with_a_crashing_task() {
        let report = StatusReport {
            stack: "shop".into(),
            env: "dev".into(),
            region: "us-east-1".into(),
            serial: 12,
            resources: vec![ResourceLine {
                address: "ecs_service.web".into(),
                kind: "ecs_service".into(),
                id: "arn:aws:ecs:us-east-1:123456789012:service/shop-dev/web".into(),
                status: "ok".into(),
            }],
            services: vec![ServiceLine {
                address: "ecs_service.web".into(),
                ecs: ServiceStatus {
                    name: "web".into(),
                    arn: "arn:aws:ecs:us-east-1:123456789012:service/shop-dev/web".into(),
                    status: "ACTIVE".into(),
                    desired: 2,
                    running: 3,
                    pending: 1,
                    rollout_state: Some("IN_PROGRESS".into()),
                    task_definition: format!("{TD}:5"),
                },
                release: Some(4),
                images: BTreeMap::from([(
                    "app".to_string(),
                    "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/dev/web-app:3f2a9c1d0b7e"
                        .to_string(),
                )]),
                deployments: vec![
                    deployment("PRIMARY", 5, "IN_PROGRESS", [2, 1, 1, 1]),
                    deployment("ACTIVE", 4, "COMPLETED", [2, 2, 0, 0]),
                ],
                targets: vec![TargetHealth {
                    target_group: TG.into(),
                    states: BTreeMap::from([("healthy".into(), 2), ("unhealthy".into(), 1)]),
                    reasons: vec!["Health checks failed with these codes: [502]".into()],
                }],
                stopped: vec![StoppedTask {
                    arn: "arn:aws:ecs:us-east-1:123456789012:task/shop-dev/5f4e3d2c1b0a99887766"
                        .into(),
                    task_definition: format!("{TD}:5"),
                    stop_code: Some("EssentialContainerExited".into()),
                    reason: Some("Essential container in task exited".into()),
                    stopped_ms: 1_796_638_272_000,
                    containers: vec![ContainerExit {
                        name: "app".into(),
                        exit_code: Some(1),
                        reason: None,
                    }],
                }],
            }],
            untracked: vec![],
            endpoints: vec![Endpoint {
                url: "https://shop.example.com".into(),
                dns_name: "shop-dev-1.us-east-1.elb.amazonaws.com".into(),
                via: "lb.main".into(),
            }],
            lock: None,
            alarms: vec![gantry_aws::status::AlarmStatus {
                name: "shop-dev-svc-web-cpu".into(),
                region: "us-east-1".into(),
                metric: "AWS/ECS CPUUtilization (Average)".into(),
                description: "Service web: average CPU at 80 % or more for 15 minutes".into(),
                reason: "Threshold Crossed: 3 datapoints [91.2, 88.0, 86.5] were greater than or equal to the threshold (80.0).".into(),
                since: Some("2026-12-07T10:02:00Z".into()),
            }],
        };
        insta::assert_snapshot!(render(&report));
    }
}
