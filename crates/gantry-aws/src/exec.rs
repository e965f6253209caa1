//! ECS Exec for `gantry exec`: pick a running task of a service whose ECS
//! Exec agent is up, and open a session in one of its containers
//! (`ExecuteCommand`, interactive). The session itself is carried by the
//! Session Manager plugin, which the CLI runs with what [`Session`] holds,
//! as the AWS CLI does.

use crate::context::AwsContext;
use crate::error::aws_error;
use aws_sdk_ecs::types::DesiredStatus;
use gantry_core::ProviderError;

/// An opened ECS Exec session, in the form the Session Manager plugin takes.
#[derive(Debug, Clone)]
pub struct Session {
    /// `{"SessionId", "StreamUrl", "TokenValue"}`.
    pub session_json: String,
    /// `{"Target": "ecs:CLUSTER_TASK_RUNTIME"}`.
    pub target_json: String,
    pub region: String,
    /// The Systems Manager endpoint the plugin talks to.
    pub endpoint: String,
    /// The task id the session runs in.
    pub task: String,
    pub container: String,
}

/// Why no session could be opened.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("service `{0}` has no running task")]
    NoTask(String),
    #[error("no task of service `{service}` has a container `{container}` with ECS Exec running (tasks started before exec was turned on keep it off until they are replaced)")]
    NoAgent { service: String, container: String },
    #[error(transparent)]
    Aws(#[from] ProviderError),
}

/// Opens a session running `command` in `container` (the task's first
/// container when `None`) of a running task of `service` in `cluster`.
pub async fn start(
    ctx: &AwsContext,
    cluster: &str,
    service: &str,
    container: Option<&str>,
    command: &str,
) -> Result<Session, ExecError> {
    let ecs = ctx.ecs();
    let listed = ecs
        .list_tasks()
        .cluster(cluster)
        .service_name(service)
        .desired_status(DesiredStatus::Running)
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let arns: Vec<String> = listed.task_arns().iter().take(100).cloned().collect();
    if arns.is_empty() {
        return Err(ExecError::NoTask(service.to_string()));
    }
    let described = ecs
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns))
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let mut chosen = None;
    for t in described.tasks() {
        if t.last_status() != Some("RUNNING") || !t.enable_execute_command() {
            continue;
        }
        let c = match container {
            Some(name) => t.containers().iter().find(|c| c.name() == Some(name)),
            None => t.containers().first(),
        };
        let Some(c) = c else { continue };
        let agent_up = c.managed_agents().iter().any(|a| {
            a.name().map(|n| n.as_str()) == Some("ExecuteCommandAgent")
                && a.last_status() == Some("RUNNING")
        });
        if agent_up {
            chosen = Some((t.clone(), c.clone()));
            break;
        }
    }
    let Some((task, c)) = chosen else {
        return Err(ExecError::NoAgent {
            service: service.to_string(),
            container: container.unwrap_or("(first)").to_string(),
        });
    };
    let task_arn = task.task_arn().unwrap_or_default().to_string();
    let container_name = c.name().unwrap_or_default().to_string();
    let out = ecs
        .execute_command()
        .cluster(cluster)
        .task(&task_arn)
        .container(&container_name)
        .command(command)
        .interactive(true)
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let s = out.session().ok_or_else(|| {
        ProviderError::new("MissingSession", "ExecuteCommand returned no session")
    })?;
    let task_id = task_arn.rsplit('/').next().unwrap_or_default().to_string();
    let cluster_name = cluster.rsplit('/').next().unwrap_or(cluster);
    let region = ctx.region().to_string();
    Ok(Session {
        session_json: serde_json::json!({
            "SessionId": s.session_id(),
            "StreamUrl": s.stream_url(),
            "TokenValue": s.token_value(),
        })
        .to_string(),
        target_json: serde_json::json!({
            "Target": format!("ecs:{cluster_name}_{task_id}_{}", c.runtime_id().unwrap_or_default()),
        })
        .to_string(),
        endpoint: format!("https://ssm.{region}.amazonaws.com"),
        region,
        task: task_id,
        container: container_name,
    })
}
