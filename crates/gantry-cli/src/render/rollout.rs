//! `deploy` and `rollback` as lines of text, one per thing that happened:
//! builds and pushes, the release shipped, ECS's service events, each task
//! that stopped with its reason and exit codes, the task and target counts
//! when they change, and how each rollout ended. Plain lines (no redraws),
//! so a CI log reads the same as a terminal.

use crate::deploy::DeployEvent;
use gantry_aws::rollout::{Observation, StoppedTask, TargetHealth};
use gantry_state::Rollout;
use std::collections::HashMap;
use std::time::Duration;

/// Turns deploy events into lines, remembering the last counts shown.
#[derive(Default)]
pub struct Printer {
    shown: HashMap<String, String>,
}

/// `family:revision` of a task definition ARN.
pub fn revision(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// `1m02s`, `42s`, `1h00m`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// `HH:MM:SS` (UTC) of epoch milliseconds.
pub fn clock(ms: i64) -> String {
    let t = crate::logs::timestamp(ms);
    t.get(11..19).unwrap_or(&t).to_string()
}

/// `container=image, ...`.
pub fn images(m: &std::collections::BTreeMap<String, String>) -> String {
    m.iter()
        .map(|(c, i)| format!("{c}={i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Tasks and targets as they stand: `1/2 running, 1 pending · app-web: 1
/// healthy, 1 initial`.
pub fn waiting_for(o: &Observation) -> String {
    let ours = o
        .deployments
        .iter()
        .find(|d| d.task_definition == o.task_definition && d.status == "PRIMARY");
    let (running, desired, pending, failed) = match ours {
        Some(d) => (d.running, d.desired, d.pending, d.failed),
        None => (o.running, o.desired, o.pending, 0),
    };
    let mut out = format!("{running}/{desired} tasks running, {pending} pending");
    if failed > 0 {
        out.push_str(&format!(", {failed} failed"));
    }
    for t in &o.targets {
        out.push_str(&format!("; {}", targets(t)));
    }
    out
}

/// `target group NAME: 1 healthy, 1 unhealthy (why)`.
pub fn targets(t: &TargetHealth) -> String {
    let states = if t.states.is_empty() {
        "no targets registered".to_string()
    } else {
        t.states
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!("target group {}: {states}", t.name());
    if !t.reasons.is_empty() {
        out.push_str(&format!(" ({})", t.reasons.join("; ")));
    }
    out
}

/// `task ID (family:rev) stopped [CODE]: reason; app exited 1 (why)`.
pub fn stopped(t: &StoppedTask) -> String {
    let id = t.id();
    let mut out = format!(
        "task {} ({}) stopped",
        &id[..id.len().min(12)],
        revision(&t.task_definition)
    );
    if let Some(c) = &t.stop_code {
        out.push_str(&format!(" [{c}]"));
    }
    if let Some(r) = &t.reason {
        out.push_str(&format!(": {r}"));
    }
    let exits: Vec<String> = t
        .containers
        .iter()
        .filter(|c| c.exit_code.is_some() || c.reason.is_some())
        .map(|c| {
            let mut s = c.name.clone();
            if let Some(code) = c.exit_code {
                s.push_str(&format!(" exited {code}"));
            }
            if let Some(r) = &c.reason {
                s.push_str(&format!(" ({r})"));
            }
            s
        })
        .collect();
    if !exits.is_empty() {
        out.push_str(&format!("; {}", exits.join(", ")));
    }
    out
}

impl Printer {
    pub fn new() -> Printer {
        Printer::default()
    }

    /// The lines `e` prints.
    pub fn lines(&mut self, e: &DeployEvent) -> Vec<String> {
        match e {
            DeployEvent::Building {
                service,
                container,
                image,
                context,
            } => vec![format!(
                "{service}/{container}: building {context} as {image}"
            )],
            DeployEvent::Pushed {
                service,
                container,
                image,
            } => vec![format!("{service}/{container}: pushed {image}")],
            DeployEvent::Unchanged { service } => {
                vec![format!(
                    "{service}: already runs these images; nothing to ship"
                )]
            }
            DeployEvent::Shipping { service, release } => vec![match release.rollback_of {
                Some(n) => format!(
                    "{service}: rolling back to release {n}, as release {} ({})",
                    release.number,
                    images(&release.images)
                ),
                None => format!(
                    "{service}: shipping release {} ({})",
                    release.number,
                    images(&release.images)
                ),
            }],
            DeployEvent::Updated {
                service,
                revision: rev,
                desired,
            } => vec![format!(
                "{service}: revision {} in place, desired count {desired}",
                revision(rev)
            )],
            DeployEvent::Observed(o) => {
                let mut out = Vec::new();
                for ev in &o.events {
                    out.push(format!("{}: {} {}", o.name, clock(ev.at_ms), ev.message));
                }
                for t in &o.stopped {
                    out.push(format!("{}: {}", o.name, stopped(t)));
                }
                let now = waiting_for(o);
                if self.shown.get(&o.name) != Some(&now) {
                    out.push(format!("{}: {now}", o.name));
                    self.shown.insert(o.name.clone(), now);
                }
                out
            }
            DeployEvent::Ended {
                service,
                outcome,
                reason,
                elapsed,
            } => {
                let why = reason.as_deref().unwrap_or("");
                let t = duration(*elapsed);
                vec![match outcome {
                    Rollout::Completed => format!("{service}: rollout completed in {t}"),
                    Rollout::RolledBack if why == crate::deploy::STOPPED_BY_ROLLBACK => {
                        format!("{service}: rolled back in {t}: the rollout was {why}")
                    }
                    Rollout::RolledBack => format!(
                        "{service}: rollout FAILED after {t} and ECS rolled the service back: {why}"
                    ),
                    Rollout::Failed => format!("{service}: rollout FAILED after {t}: {why}"),
                    Rollout::TimedOut => format!("{service}: gave up waiting after {t}: {why}"),
                    Rollout::NotFollowed => format!(
                        "{service}: not followed (--no-wait); `gantry status` shows how it goes"
                    ),
                    Rollout::Registered => {
                        format!("{service}: registered; the job's next run uses it")
                    }
                    Rollout::InProgress => format!("{service}: {why}"),
                }]
            }
            DeployEvent::Warning(w) => vec![format!("warning: {w}")],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_aws::rollout::{ContainerExit, Deployment, Event, TargetHealth, Verdict};
    use gantry_state::Release;
    use std::collections::BTreeMap;

    const TD2: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-dev-web:2";
    const TD1: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-dev-web:1";
    const T0: i64 = 1_796_638_272_000;

    fn release(number: u64, image: &str, rollback_of: Option<u64>) -> Release {
        Release {
            number,
            revision: String::new(),
            images: BTreeMap::from([("app".to_string(), image.to_string())]),
            overrides: BTreeMap::new(),
            task_definition: Default::default(),
            desired_count: 2,
            at: "2026-12-07T10:11:12Z".into(),
            by: "dev@laptop".into(),
            rollback_of,
            outcome: Rollout::InProgress,
            reason: None,
        }
    }

    /// `counts` is running, pending, failed.
    fn obs(
        [running, pending, failed]: [i32; 3],
        service_td: &str,
        healthy: usize,
        events: Vec<Event>,
        stopped: Vec<StoppedTask>,
        verdict: Verdict,
    ) -> DeployEvent {
        let mut states = BTreeMap::new();
        if healthy > 0 {
            states.insert("healthy".to_string(), healthy);
        }
        if (running as usize) > healthy {
            states.insert("initial".to_string(), running as usize - healthy);
        }
        DeployEvent::Observed(Box::new(Observation {
            service: "arn:aws:ecs:us-east-1:123456789012:service/shop-dev/web".into(),
            name: "web".into(),
            desired: 2,
            running,
            pending,
            task_definition: service_td.into(),
            deployments: vec![Deployment {
                id: "ecs-svc/1".into(),
                status: "PRIMARY".into(),
                task_definition: service_td.into(),
                desired: 2,
                running,
                pending,
                failed,
                rollout_state: Some("IN_PROGRESS".into()),
                reason: None,
                created_ms: T0,
            }],
            events,
            stopped,
            targets: vec![TargetHealth {
                target_group: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-dev-web-app/0f".into(),
                states,
                reasons: vec![],
            }],
            verdict,
        }))
    }

    fn event(n: i64, message: &str) -> Event {
        Event {
            id: format!("e{n}"),
            at_ms: T0 + n * 1000,
            message: message.into(),
        }
    }

    fn print(events: &[DeployEvent]) -> String {
        let mut p = Printer::new();
        events
            .iter()
            .flat_map(|e| p.lines(e))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_completed_deploy() {
        let out = print(&[
            DeployEvent::Building {
                service: "web".into(),
                container: "app".into(),
                image: "1.dkr.ecr.us-east-1.amazonaws.com/shop/dev/web-app:3f2a9c1d0b7e".into(),
                context: "./app".into(),
            },
            DeployEvent::Pushed {
                service: "web".into(),
                container: "app".into(),
                image: "1.dkr.ecr.us-east-1.amazonaws.com/shop/dev/web-app:3f2a9c1d0b7e".into(),
            },
            DeployEvent::Shipping {
                service: "web".into(),
                release: release(
                    2,
                    "1.dkr.ecr.us-east-1.amazonaws.com/shop/dev/web-app:3f2a9c1d0b7e",
                    None,
                ),
            },
            DeployEvent::Updated {
                service: "web".into(),
                revision: TD2.into(),
                desired: 2,
            },
            obs(
                [0, 2, 0],
                TD2,
                0,
                vec![event(
                    1,
                    "(service web) has started 2 tasks: (task 9a8b7c6d5e4f) (task 1a2b3c4d5e6f).",
                )],
                vec![],
                Verdict::InProgress,
            ),
            // Nothing new: no line.
            obs([0, 2, 0], TD2, 0, vec![], vec![], Verdict::InProgress),
            obs([2, 0, 0], TD2, 1, vec![], vec![], Verdict::InProgress),
            obs(
                [2, 0, 0],
                TD2,
                2,
                vec![
                    event(
                        40,
                        "(service web) (deployment ecs-svc/1) deployment completed.",
                    ),
                    event(41, "(service web) has reached a steady state."),
                ],
                vec![],
                Verdict::Completed,
            ),
            DeployEvent::Ended {
                service: "web".into(),
                outcome: Rollout::Completed,
                reason: None,
                elapsed: Duration::from_secs(42),
            },
        ]);
        insta::assert_snapshot!(out);
    }

    #[test]
    fn a_deploy_the_circuit_breaker_rolls_back() {
        let crash = StoppedTask {
            arn: "arn:aws:ecs:us-east-1:123456789012:task/shop-dev/5f4e3d2c1b0a99887766".into(),
            task_definition: TD2.into(),
            stop_code: Some("EssentialContainerExited".into()),
            reason: Some("Essential container in task exited".into()),
            stopped_ms: T0 + 20_000,
            containers: vec![
                ContainerExit {
                    name: "app".into(),
                    exit_code: Some(1),
                    reason: Some("ModuleNotFoundError: No module named 'fastapi'".into()),
                },
                ContainerExit {
                    name: "agent".into(),
                    exit_code: None,
                    reason: None,
                },
            ],
        };
        let out = print(&[
            DeployEvent::Shipping {
                service: "web".into(),
                release: release(3, "repo/web-app:bad", None),
            },
            DeployEvent::Updated {
                service: "web".into(),
                revision: TD2.into(),
                desired: 2,
            },
            obs([0, 2, 1], TD2, 0, vec![event(20, "(service web) has stopped 1 running tasks: (task 5f4e3d2c1b0a99887766).")], vec![crash], Verdict::InProgress),
            obs([2, 0, 0], TD1, 2, vec![event(30, "(service web) (deployment ecs-svc/2) deployment failed: tasks failed to start."), event(31, "(service web) rolling back to deployment ecs-svc/1.")], vec![], Verdict::RolledBack { to: TD1.into(), reason: "ECS deployment circuit breaker: tasks failed to start.".into() }),
            DeployEvent::Ended {
                service: "web".into(),
                outcome: Rollout::RolledBack,
                reason: Some("ECS deployment circuit breaker: tasks failed to start.".into()),
                elapsed: Duration::from_secs(75),
            },
        ]);
        insta::assert_snapshot!(out);
    }

    #[test]
    fn a_rollout_stuck_until_the_timeout_and_a_rollback() {
        let out = print(&[
            DeployEvent::Shipping {
                service: "web".into(),
                release: release(5, "repo/web-app:v1", Some(2)),
            },
            obs([0, 2, 0], TD2, 0, vec![], vec![], Verdict::InProgress),
            DeployEvent::Ended {
                service: "web".into(),
                outcome: Rollout::TimedOut,
                reason: Some("still waiting for 0/2 tasks running, 2 pending; target group shop-dev-web-app: no targets registered".into()),
                elapsed: Duration::from_secs(900),
            },
        ]);
        insta::assert_snapshot!(out);
    }
}
