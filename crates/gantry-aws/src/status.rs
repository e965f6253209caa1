//! What `gantry status` shows for ECS services: desired, running and pending
//! counts, the primary deployment's rollout state and task definition.

use crate::context::AwsContext;
use crate::error::aws_error;
use gantry_core::ProviderError;

/// One service as ECS reports it right now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServiceStatus {
    pub name: String,
    pub arn: String,
    pub status: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    /// The primary deployment's rollout state (`IN_PROGRESS`, `COMPLETED`,
    /// `FAILED`), when ECS reports one.
    pub rollout_state: Option<String>,
    /// The task definition the primary deployment runs.
    pub task_definition: String,
}

/// Describes `service_arns` (ARNs or names) in `cluster` in as few calls as
/// the API allows (ten services per DescribeServices); services ECS does not
/// know are left out.
pub async fn services(
    ctx: &AwsContext,
    cluster: &str,
    service_arns: &[String],
) -> Result<Vec<ServiceStatus>, ProviderError> {
    let mut out = Vec::with_capacity(service_arns.len());
    for chunk in service_arns.chunks(10) {
        let r = ctx
            .ecs()
            .describe_services()
            .cluster(cluster)
            .set_services(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| aws_error(e, &["ClusterNotFoundException"]))?;
        for s in r.services() {
            let primary = s
                .deployments()
                .iter()
                .find(|d| d.status() == Some("PRIMARY"))
                .or_else(|| s.deployments().first());
            out.push(ServiceStatus {
                name: s.service_name().unwrap_or_default().to_string(),
                arn: s.service_arn().unwrap_or_default().to_string(),
                status: s.status().unwrap_or_default().to_string(),
                desired: s.desired_count(),
                running: s.running_count(),
                // The emulator computes desired - running, which can go negative.
                pending: s.pending_count().max(0),
                rollout_state: primary
                    .and_then(|d| d.rollout_state())
                    .map(|r| r.as_str().to_string()),
                task_definition: primary
                    .and_then(|d| d.task_definition())
                    .or(s.task_definition())
                    .unwrap_or_default()
                    .to_string(),
            });
        }
    }
    Ok(out)
}
