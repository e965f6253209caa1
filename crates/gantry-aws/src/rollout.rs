//! Following ECS rollouts until ECS decides them, for `gantry deploy` and
//! `gantry rollback`: what each poll reads (one `DescribeServices` per ten
//! services of a cluster; per service the tasks stopped since the last
//! poll, and the health of its targets in each target group), and the pure
//! rule that turns what ECS reports into a verdict ([`verdict`]).
//!
//! A deploy's deployment is the one running its task definition revision.
//! ECS reports it in the service's `deployments` while it rolls out; when
//! the circuit breaker rolls it back, ECS drops it from that list and starts
//! a deployment of the revision that ran before, so the service deployment
//! API (`DescribeServiceDeployments`) is asked for its end.

use crate::context::AwsContext;
use crate::error::aws_error;
use aws_sdk_ecs::types::{DesiredStatus, ServiceDeploymentStatus, StopServiceDeploymentStopType};
use gantry_core::ProviderError;
use std::collections::{BTreeMap, HashSet};

const NOT_FOUND: &[&str] = &[
    "ClusterNotFoundException",
    "ServiceNotFoundException",
    "ServiceDeploymentNotFoundException",
];

fn err<E>(
    e: aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> ProviderError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
{
    aws_error(e, NOT_FOUND)
}

fn millis(t: Option<&aws_smithy_types::DateTime>) -> i64 {
    t.and_then(|t| t.to_millis().ok()).unwrap_or(0)
}

/// One service whose rollout is followed.
#[derive(Debug, Clone)]
pub struct Watch {
    pub cluster: String,
    /// The service's ARN.
    pub service: String,
    /// The task definition revision (ARN) being rolled out.
    pub revision: String,
    /// The target groups its tasks register with.
    pub target_groups: Vec<String>,
    /// When the deploy began (epoch milliseconds): older events and stopped
    /// tasks are not this rollout's.
    pub since_ms: i64,
}

/// One deployment of a service as ECS reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Deployment {
    pub id: String,
    /// `PRIMARY`, `ACTIVE` or `INACTIVE`.
    pub status: String,
    pub task_definition: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    pub failed: i32,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED`.
    pub rollout_state: Option<String>,
    pub reason: Option<String>,
    pub created_ms: i64,
}

/// A service event (ECS's own log of what it does).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    pub id: String,
    pub at_ms: i64,
    pub message: String,
}

/// A task that stopped, with why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoppedTask {
    pub arn: String,
    pub task_definition: String,
    pub stop_code: Option<String>,
    pub reason: Option<String>,
    pub stopped_ms: i64,
    /// Each container's exit code and reason, when it has one.
    pub containers: Vec<ContainerExit>,
}

impl StoppedTask {
    /// The task id (the last part of its ARN).
    pub fn id(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or(&self.arn)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContainerExit {
    pub name: String,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
}

/// Targets of one target group by health state, and why the unhealthy are.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TargetHealth {
    pub target_group: String,
    /// `healthy`, `initial`, `unhealthy`, `draining`, `unused`, ... → count.
    pub states: BTreeMap<String, usize>,
    /// Distinct reasons given for targets that are not healthy.
    pub reasons: Vec<String>,
}

impl TargetHealth {
    /// The target group's name (from its ARN).
    pub fn name(&self) -> &str {
        self.target_group
            .split(":targetgroup/")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or(&self.target_group)
    }
}

/// How a rollout stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Verdict {
    /// ECS is still rolling it out.
    InProgress,
    /// Every task of the revision is running (and healthy, with targets).
    Completed,
    /// It failed and ECS returned the service to `to` (a revision ARN).
    RolledBack { to: String, reason: String },
    /// It failed, or was stopped, and the service stays where it is.
    Failed { reason: String },
}

impl Verdict {
    pub fn is_final(&self) -> bool {
        !matches!(self, Verdict::InProgress)
    }
}

/// What one poll saw of one followed service.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Observation {
    pub service: String,
    pub name: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    /// The revision the service is set to now.
    pub task_definition: String,
    pub deployments: Vec<Deployment>,
    /// Events since the deploy began that earlier polls did not return,
    /// oldest first.
    pub events: Vec<Event>,
    /// Tasks stopped since the deploy began that earlier polls did not
    /// return, oldest first.
    pub stopped: Vec<StoppedTask>,
    pub targets: Vec<TargetHealth>,
    pub verdict: Verdict,
}

/// The verdict on the rollout of `revision`, from the service's deployments
/// and revision now, and (when ECS no longer lists the deployment) how the
/// service deployment API says it ended.
pub fn verdict(
    revision: &str,
    deployments: &[Deployment],
    service_revision: &str,
    ended: Option<(&str, Option<&str>)>,
) -> Verdict {
    let ours = deployments
        .iter()
        .filter(|d| d.task_definition == revision)
        .max_by_key(|d| d.created_ms);
    let primary = deployments.iter().find(|d| d.status == "PRIMARY");
    if let Some(d) = ours {
        let reason = || d.reason.clone().unwrap_or_default();
        return match d.rollout_state.as_deref() {
            Some("COMPLETED") => Verdict::Completed,
            Some("FAILED") => match primary.filter(|p| p.task_definition != revision) {
                Some(p) => Verdict::RolledBack {
                    to: p.task_definition.clone(),
                    reason: reason(),
                },
                None => Verdict::Failed { reason: reason() },
            },
            // Without a rollout state (no circuit breaker), running all
            // of it as the only deployment is done.
            None if d.status == "PRIMARY"
                && deployments.len() == 1
                && d.running >= d.desired
                && d.pending == 0 =>
            {
                Verdict::Completed
            }
            _ => Verdict::InProgress,
        };
    }
    // ECS dropped it: the service deployment API says how it ended.
    match ended {
        Some(("SUCCESSFUL", _)) if service_revision == revision => Verdict::Completed,
        Some(("ROLLBACK_SUCCESSFUL" | "ROLLBACK_IN_PROGRESS" | "ROLLBACK_REQUESTED", reason)) => {
            Verdict::RolledBack {
                to: service_revision.to_string(),
                reason: reason.unwrap_or("the deployment failed").to_string(),
            }
        }
        Some((status, reason)) if status != "IN_PROGRESS" && status != "PENDING" => {
            Verdict::Failed {
                reason: reason
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("ECS ended the deployment as {status}")),
            }
        }
        _ if service_revision != revision => Verdict::RolledBack {
            to: service_revision.to_string(),
            reason: "ECS returned the service to the revision it ran before".into(),
        },
        _ => Verdict::InProgress,
    }
}

/// Follows rollouts, remembering across polls what it already reported and
/// the service deployment each rollout is.
pub struct Follower {
    watches: Vec<Watch>,
    seen_events: HashSet<String>,
    seen_tasks: HashSet<String>,
    /// Service ARN → its deployment of the revision, by the service
    /// deployment ARN ECS named while it was the current one.
    deployment_arns: BTreeMap<String, String>,
}

/// The service events and stopped tasks that were there before a deploy
/// changed anything: a follower reports none of them. (A time cut-off
/// alone cannot tell them apart: ECS's clock and ours differ, and the
/// previous rollout's last events may be a second old.)
#[derive(Debug, Default, Clone)]
pub struct Baseline {
    events: HashSet<String>,
    tasks: HashSet<String>,
}

impl Baseline {
    /// Reads what services (`(cluster, service ARN)`) already show.
    pub async fn read(
        ctx: &AwsContext,
        services: &[(String, String)],
    ) -> Result<Baseline, ProviderError> {
        let mut out = Baseline::default();
        for (cluster, service) in services {
            let described = ctx
                .ecs()
                .describe_services()
                .cluster(cluster)
                .services(service)
                .send()
                .await
                .map_err(err)?;
            for s in described.services() {
                out.events
                    .extend(s.events().iter().filter_map(|e| e.id()).map(str::to_string));
                let stopped = ctx
                    .ecs()
                    .list_tasks()
                    .cluster(cluster)
                    .service_name(s.service_name().unwrap_or_default())
                    .desired_status(DesiredStatus::Stopped)
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<Vec<_>>()
                    .await
                    .into_iter()
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(err)?;
                out.tasks.extend(stopped);
            }
        }
        Ok(out)
    }
}

impl Follower {
    pub fn new(watches: Vec<Watch>) -> Follower {
        Follower::after(watches, Baseline::default())
    }

    /// A follower that reports nothing `baseline` saw.
    pub fn after(watches: Vec<Watch>, baseline: Baseline) -> Follower {
        Follower {
            watches,
            seen_events: baseline.events,
            seen_tasks: baseline.tasks,
            deployment_arns: BTreeMap::new(),
        }
    }

    pub fn watches(&self) -> &[Watch] {
        &self.watches
    }

    /// Stops following the services `keep` says no to.
    pub fn retain(&mut self, keep: impl Fn(&Watch) -> bool) {
        self.watches.retain(keep);
    }

    /// One poll of every followed service: its counts and deployments, new
    /// events and stopped tasks, target health and the verdict. Calls: one
    /// DescribeServices per ten services of a cluster, per service a
    /// ListTasks of stopped tasks (and a DescribeTasks when there are new
    /// ones), one DescribeTargetHealth per target group, and a
    /// DescribeServiceDeployments once ECS stops listing a deployment.
    pub async fn poll(&mut self, ctx: &AwsContext) -> Result<Vec<Observation>, ProviderError> {
        let mut by_cluster: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for w in &self.watches {
            by_cluster.entry(&w.cluster).or_default().push(&w.service);
        }
        let mut services = Vec::new();
        for (cluster, arns) in by_cluster {
            for chunk in arns.chunks(10) {
                let out = ctx
                    .ecs()
                    .describe_services()
                    .cluster(cluster)
                    .set_services(Some(chunk.iter().map(|s| s.to_string()).collect()))
                    .send()
                    .await
                    .map_err(err)?;
                services.extend(out.services.unwrap_or_default());
            }
        }
        let mut out = Vec::with_capacity(self.watches.len());
        for w in self.watches.clone() {
            let Some(s) = services.iter().find(|s| {
                s.service_arn() == Some(w.service.as_str())
                    || s.service_name() == w.service.rsplit('/').next()
            }) else {
                return Err(ProviderError::not_found(format!(
                    "ECS no longer knows service {}",
                    w.service
                )));
            };
            let deployments: Vec<Deployment> = s
                .deployments()
                .iter()
                .map(|d| Deployment {
                    id: d.id().unwrap_or_default().to_string(),
                    status: d.status().unwrap_or_default().to_string(),
                    task_definition: d.task_definition().unwrap_or_default().to_string(),
                    desired: d.desired_count(),
                    running: d.running_count(),
                    pending: d.pending_count().max(0),
                    failed: d.failed_tasks(),
                    rollout_state: d.rollout_state().map(|r| r.as_str().to_string()),
                    reason: d.rollout_state_reason().map(str::to_string),
                    created_ms: millis(d.created_at()),
                })
                .collect();
            let service_revision = s.task_definition().unwrap_or_default().to_string();
            // While the revision is the service's, ECS names its deployment.
            if service_revision == w.revision {
                if let Some(arn) = s.current_service_deployment() {
                    self.deployment_arns
                        .insert(w.service.clone(), arn.to_string());
                }
            }
            let mut events: Vec<Event> = s
                .events()
                .iter()
                .filter(|e| millis(e.created_at()) >= w.since_ms)
                .filter(|e| {
                    self.seen_events
                        .insert(e.id().unwrap_or_default().to_string())
                })
                .map(|e| Event {
                    id: e.id().unwrap_or_default().to_string(),
                    at_ms: millis(e.created_at()),
                    message: e.message().unwrap_or_default().to_string(),
                })
                .collect();
            events.sort_by_key(|e| e.at_ms);
            let stopped = self
                .stopped_tasks(ctx, &w, s.service_name().unwrap_or_default())
                .await?;
            let targets = target_health(ctx, &w.target_groups).await?;
            let listed = deployments.iter().any(|d| d.task_definition == w.revision);
            let ended = match (listed, self.deployment_arns.get(&w.service)) {
                (false, Some(arn)) => service_deployment(ctx, arn).await?,
                _ => None,
            };
            let verdict = verdict(
                &w.revision,
                &deployments,
                &service_revision,
                ended.as_ref().map(|(s, r)| (s.as_str(), r.as_deref())),
            );
            out.push(Observation {
                service: w.service.clone(),
                name: s.service_name().unwrap_or_default().to_string(),
                desired: s.desired_count(),
                running: s.running_count(),
                pending: s.pending_count().max(0),
                task_definition: service_revision,
                deployments,
                events,
                stopped,
                targets,
                verdict,
            });
        }
        Ok(out)
    }

    /// Tasks of the service stopped since the deploy began and not yet
    /// reported, oldest first.
    async fn stopped_tasks(
        &mut self,
        ctx: &AwsContext,
        w: &Watch,
        name: &str,
    ) -> Result<Vec<StoppedTask>, ProviderError> {
        let arns: Vec<String> = ctx
            .ecs()
            .list_tasks()
            .cluster(&w.cluster)
            .service_name(name)
            .desired_status(DesiredStatus::Stopped)
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let new: Vec<String> = arns
            .into_iter()
            .filter(|a| !self.seen_tasks.contains(a))
            .collect();
        let mut out = Vec::new();
        for chunk in new.chunks(100) {
            let tasks = ctx
                .ecs()
                .describe_tasks()
                .cluster(&w.cluster)
                .set_tasks(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(err)?;
            for t in tasks.tasks() {
                let arn = t.task_arn().unwrap_or_default().to_string();
                // Tasks still stopping are looked at again next time.
                if t.last_status() != Some("STOPPED") {
                    continue;
                }
                self.seen_tasks.insert(arn.clone());
                let stopped_ms = millis(t.stopped_at().or(t.stopping_at()));
                if stopped_ms != 0 && stopped_ms < w.since_ms {
                    continue;
                }
                out.push(StoppedTask {
                    arn,
                    task_definition: t.task_definition_arn().unwrap_or_default().to_string(),
                    stop_code: t.stop_code().map(|c| c.as_str().to_string()),
                    reason: t
                        .stopped_reason()
                        .filter(|r| !r.is_empty())
                        .map(str::to_string),
                    stopped_ms,
                    containers: t
                        .containers()
                        .iter()
                        .map(|c| ContainerExit {
                            name: c.name().unwrap_or_default().to_string(),
                            exit_code: c.exit_code(),
                            reason: c.reason().filter(|r| !r.is_empty()).map(str::to_string),
                        })
                        .collect(),
                });
            }
        }
        out.sort_by_key(|t| t.stopped_ms);
        Ok(out)
    }
}

/// Each target group's targets by health state.
pub async fn target_health(
    ctx: &AwsContext,
    target_groups: &[String],
) -> Result<Vec<TargetHealth>, ProviderError> {
    let mut out = Vec::with_capacity(target_groups.len());
    for tg in target_groups {
        let r = ctx
            .elb()
            .describe_target_health()
            .target_group_arn(tg)
            .send()
            .await
            .map_err(|e| aws_error(e, &["TargetGroupNotFound"]))?;
        let mut h = TargetHealth {
            target_group: tg.clone(),
            ..Default::default()
        };
        for d in r.target_health_descriptions() {
            let th = d.target_health();
            let state = th
                .and_then(|t| t.state())
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "unknown".into());
            *h.states.entry(state.clone()).or_default() += 1;
            if state != "healthy" {
                if let Some(why) =
                    th.and_then(|t| t.description().or(t.reason().map(|r| r.as_str())))
                {
                    if !h.reasons.iter().any(|r| r == why) {
                        h.reasons.push(why.to_string());
                    }
                }
            }
        }
        out.push(h);
    }
    Ok(out)
}

/// Each container's image in a task definition revision, as ECS has it.
pub async fn images(
    ctx: &AwsContext,
    task_definition: &str,
) -> Result<BTreeMap<String, String>, ProviderError> {
    let r = ctx
        .ecs()
        .describe_task_definition()
        .task_definition(task_definition)
        .send()
        .await
        .map_err(err)?;
    Ok(r.task_definition()
        .map(|td| {
            td.container_definitions()
                .iter()
                .filter_map(|c| Some((c.name()?.to_string(), c.image()?.to_string())))
                .collect()
        })
        .unwrap_or_default())
}

/// How a service deployment ended (its status and reason), if ECS knows it.
async fn service_deployment(
    ctx: &AwsContext,
    arn: &str,
) -> Result<Option<(String, Option<String>)>, ProviderError> {
    let out = ctx
        .ecs()
        .describe_service_deployments()
        .service_deployment_arns(arn)
        .send()
        .await
        .map_err(err)?;
    Ok(out.service_deployments().first().map(|d| {
        let reason = d
            .rollback()
            .and_then(|r| r.reason())
            .or(d.status_reason())
            .map(str::to_string);
        (
            d.status()
                .map(ServiceDeploymentStatus::as_str)
                .unwrap_or_default()
                .to_string(),
            reason,
        )
    }))
}

/// Stops the service's deployment in progress, if it has one, and has ECS
/// roll it back to the last completed one (`StopServiceDeployment` with
/// ROLLBACK). Returns the stopped service deployment's ARN.
pub async fn stop_in_flight(
    ctx: &AwsContext,
    cluster: &str,
    service: &str,
) -> Result<Option<String>, ProviderError> {
    let out = ctx
        .ecs()
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .map_err(err)?;
    let Some(s) = out.services().first() else {
        return Ok(None);
    };
    let rolling = s.deployments().iter().any(|d| {
        d.status() == Some("PRIMARY")
            && d.rollout_state().map(|r| r.as_str()) == Some("IN_PROGRESS")
    });
    let Some(arn) = s.current_service_deployment().filter(|_| rolling) else {
        return Ok(None);
    };
    ctx.ecs()
        .stop_service_deployment()
        .service_deployment_arn(arn)
        .stop_type(StopServiceDeploymentStopType::Rollback)
        .send()
        .await
        .map_err(err)?;
    Ok(Some(arn.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(status: &str, td: &str, rollout: Option<&str>, created: i64) -> Deployment {
        Deployment {
            id: format!("ecs-svc/{created}"),
            status: status.into(),
            task_definition: td.into(),
            desired: 2,
            running: if rollout == Some("COMPLETED") { 2 } else { 0 },
            pending: if rollout == Some("COMPLETED") { 0 } else { 2 },
            failed: 0,
            rollout_state: rollout.map(str::to_string),
            reason: rollout.map(|r| format!("reason {r}")),
            created_ms: created,
        }
    }

    #[test]
    fn a_rollout_is_decided_by_its_revisions_deployment() {
        let old = dep("ACTIVE", "td:1", Some("COMPLETED"), 1);
        let going = dep("PRIMARY", "td:2", Some("IN_PROGRESS"), 2);
        assert_eq!(
            verdict("td:2", &[going.clone(), old.clone()], "td:2", None),
            Verdict::InProgress
        );
        let done = dep("PRIMARY", "td:2", Some("COMPLETED"), 2);
        assert_eq!(verdict("td:2", &[done], "td:2", None), Verdict::Completed);
        // Failed, and the circuit breaker started the old revision again.
        let failed = dep("ACTIVE", "td:2", Some("FAILED"), 2);
        let back = dep("PRIMARY", "td:1", Some("IN_PROGRESS"), 3);
        assert_eq!(
            verdict("td:2", &[back, failed.clone()], "td:1", None),
            Verdict::RolledBack {
                to: "td:1".into(),
                reason: "reason FAILED".into()
            }
        );
        // Failed without a rollback.
        let alone = Deployment {
            status: "PRIMARY".into(),
            ..failed
        };
        assert_eq!(
            verdict("td:2", &[alone], "td:2", None),
            Verdict::Failed {
                reason: "reason FAILED".into()
            }
        );
    }

    #[test]
    fn a_deployment_ecs_no_longer_lists_ends_as_its_service_deployment_says() {
        let back = dep("PRIMARY", "td:1", Some("COMPLETED"), 3);
        assert_eq!(
            verdict(
                "td:2",
                std::slice::from_ref(&back),
                "td:1",
                Some(("ROLLBACK_SUCCESSFUL", Some("tasks failed to start")))
            ),
            Verdict::RolledBack {
                to: "td:1".into(),
                reason: "tasks failed to start".into()
            }
        );
        assert_eq!(
            verdict(
                "td:2",
                std::slice::from_ref(&back),
                "td:1",
                Some(("STOPPED", None))
            ),
            Verdict::Failed {
                reason: "ECS ended the deployment as STOPPED".into()
            }
        );
        // Never named: the service went back without us seeing the failure.
        assert!(matches!(
            verdict("td:2", std::slice::from_ref(&back), "td:1", None),
            Verdict::RolledBack { .. }
        ));
        // Not listed yet (ECS has not started it): still waiting.
        assert_eq!(verdict("td:2", &[back], "td:2", None), Verdict::InProgress);
    }

    #[test]
    fn target_group_names_come_from_their_arn() {
        let h = TargetHealth {
            target_group: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-web/abc".into(),
            ..Default::default()
        };
        assert_eq!(h.name(), "app-web");
    }
}
