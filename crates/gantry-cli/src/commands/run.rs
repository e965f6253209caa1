//! `gantry run JOB [-- ARGS...]`: starts one run of a job now
//! (`gantry_cli::jobs`, `gantry_aws::run`), prints each status its task
//! goes through, then its last log lines, and exits with the job's exit
//! code. Reads the state only: takes no lock.

use gantry_cli::cli::{Global, RunArgs};
use gantry_cli::exit;
use gantry_cli::jobs;
use gantry_cli::ops::{self, Workspace};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often the task is described while it runs.
const POLL: Duration = Duration::from_secs(2);

pub async fn run(g: &Global, a: &RunArgs) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    let job = jobs::job(&ws, &a.job)?;
    let state = ws.read_state().map_err(ops::OpsError::from)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let run_id = format!("gantry-run-{}-{}", job.name(), now.as_millis());
    let run = jobs::plan_run(&ws, &state, job, &a.args, &run_id)?;
    let ctx = ops::connect(&ws.model).await?;
    let task = gantry_aws::run::start(&ctx, &run)
        .await
        .map_err(|e| miette::miette!("job `{}`: {e}", job.name()))?;
    let task_id = task.rsplit('/').next().unwrap_or(&task).to_string();
    eprintln!("{}: started task {task_id}", job.name());
    let waited = gantry_aws::run::wait(&ctx, &run.cluster, &task, a.timeout, POLL, |s| {
        eprintln!("{}: {}", job.name(), s.last_status);
    })
    .await;
    let stopped = match waited {
        Ok(s) => s,
        Err(gantry_aws::run::RunError::Timeout { status, waited }) => {
            eprintln!(
                "{}: still {status} after {} s; the task goes on (stop it with `aws ecs stop-task --cluster {} --task {task_id}`)",
                job.name(),
                waited.as_secs(),
                run.cluster
            );
            return Ok(exit::JOB_TIMEOUT);
        }
        Err(e) => return Err(miette::miette!("job `{}`: {e}", job.name())),
    };
    let start_ms = now.as_millis() as i64;
    match jobs::last_lines(&ctx, &ws, job, &task, start_ms, a.lines).await {
        Ok(lines) if !lines.is_empty() => {
            eprintln!("{}: last {} log lines:", job.name(), lines.len());
            for e in lines {
                println!("{} | {}", e.container().unwrap_or("?"), e.message);
            }
        }
        Ok(_) => eprintln!("{}: the task wrote no log lines", job.name()),
        Err(e) => eprintln!("{}: its log lines could not be read: {e}", job.name()),
    }
    for c in &stopped.containers {
        eprintln!(
            "{}: container {} exited {}{}",
            job.name(),
            c.container,
            c.exit_code
                .map_or("without an exit code".to_string(), |n| n.to_string()),
            c.reason
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        );
    }
    match gantry_aws::run::exit_code(&stopped, &jobs::essential(job)) {
        Some(code) => {
            eprintln!("{}: exit code {code}", job.name());
            Ok(u8::try_from(code.rem_euclid(256)).unwrap_or(exit::ERROR))
        }
        None => {
            eprintln!(
                "{}: the task stopped before it ran: {} {}",
                job.name(),
                stopped.stop_code.unwrap_or_default(),
                stopped.stopped_reason.unwrap_or_default()
            );
            Ok(exit::JOB_DID_NOT_RUN)
        }
    }
}
