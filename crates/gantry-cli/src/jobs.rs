//! `gantry run JOB`: what a run of a job needs, read from the recorded
//! state (its task definition, the cluster, the private subnets and the
//! job's security group, exactly as its schedule starts it), and the log
//! lines the run wrote. The command follows the task and prints.

use crate::ops::Workspace;
use gantry_aws::logs::{self, Event, Filter};
use gantry_aws::run::Run;
use gantry_core::{kinds, Address};
use gantry_model::{Capacity, Job};
use gantry_state::State;

/// Why a job cannot be run.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum JobError {
    #[error("the spec has no job `{name}`")]
    #[diagnostic(help("its jobs: {}", known.join(", ")))]
    Unknown { name: String, known: Vec<String> },
    #[error("job `{0}` does not exist yet in {1}")]
    #[diagnostic(help("run `gantry up` first"))]
    NotCreated(String, String),
}

/// The job called `name`.
pub fn job<'a>(ws: &'a Workspace, name: &str) -> Result<&'a Job, JobError> {
    ws.model.job(name).ok_or_else(|| JobError::Unknown {
        name: name.to_string(),
        known: ws.model.jobs.iter().map(|j| j.name().to_string()).collect(),
    })
}

fn id(state: &State, addr: &Address) -> Option<String> {
    state.get(addr).map(|r| r.id.clone())
}

fn output(state: &State, addr: &Address, key: &str) -> Option<String> {
    state
        .get(addr)
        .and_then(|r| r.outputs.get(key))
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

/// The RunTask of one run of `job`; `args` replace the command of its
/// first essential container. `run_id` names the run (its client token).
pub fn plan_run(
    ws: &Workspace,
    state: &State,
    job: &Job,
    args: &[String],
    run_id: &str,
) -> Result<Run, JobError> {
    let missing = || JobError::NotCreated(job.name().to_string(), ws.label());
    let task_definition =
        id(state, &Address::of(kinds::ECS_TASK_DEFINITION, job.name())).ok_or_else(missing)?;
    let cluster =
        output(state, &Address::of(kinds::ECS_CLUSTER, "main"), "arn").ok_or_else(missing)?;
    let sg = id(
        state,
        &Address::of(kinds::SECURITY_GROUP, &format!("job-{}", job.name())),
    )
    .ok_or_else(missing)?;
    // A job that uses services also carries its client group, which they admit.
    let client = id(
        state,
        &Address::of(kinds::SECURITY_GROUP, &format!("client-{}", job.name())),
    );
    let subnets: Vec<String> = state
        .resources
        .iter()
        .filter(|(a, r)| r.kind == kinds::SUBNET && a.name().starts_with("private-"))
        .map(|(_, r)| r.id.clone())
        .collect();
    let essential = job
        .task
        .containers
        .iter()
        .find(|c| c.essential)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    Ok(Run {
        cluster,
        task_definition,
        subnets,
        security_groups: std::iter::once(sg).chain(client).collect(),
        capacity_provider: match job.task.capacity {
            Capacity::Fargate => "FARGATE".into(),
            Capacity::FargateSpot => "FARGATE_SPOT".into(),
        },
        command: (!args.is_empty()).then(|| (essential, args.to_vec())),
        started_by: "gantry-run".into(),
        client_token: run_id.chars().take(64).collect(),
    })
}

/// The essential containers' names (their exit codes make the job's).
pub fn essential(job: &Job) -> Vec<String> {
    job.task
        .containers
        .iter()
        .filter(|c| c.essential)
        .map(|c| c.name.clone())
        .collect()
}

/// The last `n` lines the task `task_arn` wrote, since `start` (ms).
pub async fn last_lines(
    ctx: &gantry_aws::AwsContext,
    ws: &Workspace,
    job: &Job,
    task_arn: &str,
    start: i64,
    n: usize,
) -> Result<Vec<Event>, gantry_core::ProviderError> {
    let task_id = task_arn.rsplit('/').next().unwrap_or(task_arn);
    let group = format!(
        "{}{}",
        gantry_architect::common::log_group_prefix(&ws.model),
        job.name()
    );
    let filter = Filter {
        groups: vec![group],
        stream_prefix: None,
        pattern: None,
    };
    let mut events: Vec<Event> = logs::events(ctx, &filter, start, None)
        .await?
        .into_iter()
        .filter(|e| e.task() == Some(task_id))
        .collect();
    let skip = events.len().saturating_sub(n);
    Ok(events.split_off(skip))
}
