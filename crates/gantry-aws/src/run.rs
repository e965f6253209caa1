//! One run of a job for `gantry run`: RunTask on the stack's cluster with
//! the job's task definition, network and capacity (as its schedule would
//! start it), optionally with other arguments for its essential container,
//! then DescribeTasks until the task has stopped, and what it stopped with.
//!
//! A RunTask reply lost after the task started would start a second run if
//! sent again: the call carries a client token derived from the caller's
//! run id, which ECS uses to answer a resend with the same task.

use crate::context::AwsContext;
use crate::error::aws_error;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, ContainerOverride,
    NetworkConfiguration, TaskOverride,
};
use gantry_core::ProviderError;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct Run {
    pub cluster: String,
    /// The task definition's ARN (a revision).
    pub task_definition: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    /// `FARGATE` or `FARGATE_SPOT`.
    pub capacity_provider: String,
    /// Replaces the command of `container` when `Some`.
    pub command: Option<(String, Vec<String>)>,
    /// Who started it (`startedBy`, at most 36 characters).
    pub started_by: String,
    /// Makes a resent RunTask answer with the same task (at most 64).
    pub client_token: String,
}

/// One container of a stopped task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    pub container: String,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
}

/// A task's status as it moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub task_arn: String,
    /// `PROVISIONING`, `PENDING`, `RUNNING`, ..., `STOPPED`.
    pub last_status: String,
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    pub containers: Vec<Exit>,
}

/// Why a run failed to start or to be followed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("ECS did not start the task: {0}")]
    NotStarted(String),
    #[error("the task was still {status} after {} s", .waited.as_secs())]
    Timeout { status: String, waited: Duration },
    #[error(transparent)]
    Aws(#[from] ProviderError),
}

/// Starts the task; its ARN.
pub async fn start(ctx: &AwsContext, r: &Run) -> Result<String, RunError> {
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(r.subnets.clone()))
        .set_security_groups(Some(r.security_groups.clone()))
        .assign_public_ip(AssignPublicIp::Disabled)
        .build()
        .map_err(|e| RunError::NotStarted(e.to_string()))?;
    let capacity = CapacityProviderStrategyItem::builder()
        .capacity_provider(&r.capacity_provider)
        .weight(1)
        .build()
        .map_err(|e| RunError::NotStarted(e.to_string()))?;
    let overrides = r.command.as_ref().map(|(container, command)| {
        TaskOverride::builder()
            .container_overrides(
                ContainerOverride::builder()
                    .name(container)
                    .set_command(Some(command.clone()))
                    .build(),
            )
            .build()
    });
    let out = ctx
        .ecs()
        .run_task()
        .cluster(&r.cluster)
        .task_definition(&r.task_definition)
        .count(1)
        .capacity_provider_strategy(capacity)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(vpc)
                .build(),
        )
        .set_overrides(overrides)
        .started_by(&r.started_by)
        .client_token(&r.client_token)
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    if let Some(f) = out.failures().first() {
        return Err(RunError::NotStarted(format!(
            "{}{}",
            f.reason().unwrap_or("unknown reason"),
            f.detail().map(|d| format!(": {d}")).unwrap_or_default()
        )));
    }
    out.tasks()
        .first()
        .and_then(|t| t.task_arn())
        .map(str::to_string)
        .ok_or_else(|| RunError::NotStarted("RunTask returned no task".into()))
}

/// The task's status now.
pub async fn status(ctx: &AwsContext, cluster: &str, task: &str) -> Result<Status, RunError> {
    let out = ctx
        .ecs()
        .describe_tasks()
        .cluster(cluster)
        .tasks(task)
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let t = out
        .tasks()
        .first()
        .ok_or_else(|| RunError::NotStarted(format!("ECS does not know the task {task}")))?;
    Ok(Status {
        task_arn: task.to_string(),
        last_status: t.last_status().unwrap_or_default().to_string(),
        stop_code: t.stop_code().map(|c| c.as_str().to_string()),
        stopped_reason: t.stopped_reason().map(str::to_string),
        containers: t
            .containers()
            .iter()
            .map(|c| Exit {
                container: c.name().unwrap_or_default().to_string(),
                exit_code: c.exit_code(),
                reason: c.reason().map(str::to_string),
            })
            .collect(),
    })
}

/// Polls until the task has stopped (calling `seen` on each new status),
/// or `timeout` passes.
pub async fn wait(
    ctx: &AwsContext,
    cluster: &str,
    task: &str,
    timeout: Duration,
    poll: Duration,
    mut seen: impl FnMut(&Status),
) -> Result<Status, RunError> {
    let start = Instant::now();
    let mut last = String::new();
    loop {
        let s = status(ctx, cluster, task).await?;
        if s.last_status != last {
            last = s.last_status.clone();
            seen(&s);
        }
        if s.last_status == "STOPPED" {
            return Ok(s);
        }
        if start.elapsed() >= timeout {
            return Err(RunError::Timeout {
                status: s.last_status,
                waited: start.elapsed(),
            });
        }
        tokio::time::sleep(poll).await;
    }
}

/// The job's exit code: the first non-zero exit among `essential`
/// containers, else 0; `None` when an essential container has no exit
/// code (the task stopped before it ran).
pub fn exit_code(s: &Status, essential: &[String]) -> Option<i32> {
    let mut code = 0;
    for c in s
        .containers
        .iter()
        .filter(|c| essential.contains(&c.container))
    {
        match c.exit_code {
            None => return None,
            Some(0) => {}
            Some(n) if code == 0 => code = n,
            Some(_) => {}
        }
    }
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stopped(codes: &[(&str, Option<i32>)]) -> Status {
        Status {
            task_arn: "t".into(),
            last_status: "STOPPED".into(),
            stop_code: Some("EssentialContainerExited".into()),
            stopped_reason: None,
            containers: codes
                .iter()
                .map(|(c, e)| Exit {
                    container: c.to_string(),
                    exit_code: *e,
                    reason: None,
                })
                .collect(),
        }
    }

    #[test]
    fn the_job_exits_with_its_essential_containers_first_failure() {
        let ess = vec!["main".to_string()];
        assert_eq!(
            exit_code(&stopped(&[("main", Some(0)), ("side", Some(3))]), &ess),
            Some(0)
        );
        assert_eq!(exit_code(&stopped(&[("main", Some(2))]), &ess), Some(2));
        assert_eq!(exit_code(&stopped(&[("main", None)]), &ess), None);
    }
}
