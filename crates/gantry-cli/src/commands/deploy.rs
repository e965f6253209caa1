//! `gantry deploy`, `gantry rollback` and `gantry deployments`: thin
//! wrappers over `gantry_cli::deploy`, printing its events as lines.

use super::apply::{lock_lost, warn_takeover, Stop};
use gantry_cli::cli::{DeployArgs, DeploymentsArgs, Global, RollbackArgs};
use gantry_cli::deploy::{self, DeployEvent, DeployOptions, Follow, Listener};
use gantry_cli::exit;
use gantry_cli::ops::{self, OpsError, Session, Workspace};
use gantry_cli::progress::Progress;
use gantry_cli::render::rollout::Printer;
use gantry_state::{Release, Rollout};
use std::sync::{Arc, Mutex};

/// Prints each event's lines on standard output.
struct Lines(Mutex<Printer>);

impl Listener for Lines {
    fn event(&self, e: DeployEvent) {
        for l in self.0.lock().expect("printer").lines(&e) {
            println!("{l}");
        }
    }
}

/// The exit code for how the releases ended. `rolled_back_on_request`: a
/// rollout that `rollback` stopped, for which ECS rolling it back is the
/// success asked for.
fn code(releases: &[Release], rolled_back_on_request: bool, interrupted: bool) -> u8 {
    let failed = |r: &&Release| match r.outcome {
        Rollout::RolledBack => !rolled_back_on_request,
        o => o.failed(),
    };
    if releases.iter().any(|r| failed(&r)) {
        exit::ROLLOUT_FAILED
    } else if releases.iter().any(|r| r.outcome == Rollout::TimedOut) {
        exit::ROLLOUT_TIMEOUT
    } else if interrupted {
        exit::INTERRUPTED
    } else {
        exit::OK
    }
}

/// Runs `f` under the lock, with Ctrl-C and a lost lock stopping it.
async fn locked<F, Fut>(g: &Global, command: &str, f: F) -> miette::Result<u8>
where
    F: FnOnce(gantry_aws::AwsContext, Workspace, Arc<Session>, Stop) -> Fut,
    Fut: std::future::Future<Output = (Workspace, Result<(Vec<Release>, bool), OpsError>, Stop)>,
{
    let mut ws = Workspace::load(g)?;
    let ctx = ops::connect(&ws.model).await?;
    let session = Arc::new(Session::open(&mut ws, &ctx, command)?);
    warn_takeover(&session);
    let stop = Stop::new(&session);
    let (_ws, result, stop) = f(ctx, ws, session.clone(), stop).await;
    let interrupted = stop.token.is_cancelled();
    drop(stop);
    let session = Arc::into_inner(session).expect("the command holds the only session");
    match result {
        Ok((releases, on_request)) => {
            session.close()?;
            if releases.is_empty() {
                println!("Nothing shipped.");
            }
            Ok(code(&releases, on_request, interrupted))
        }
        Err(e) => {
            let e = lock_lost(&session, e).await;
            let _ = session.close();
            Err(e.into())
        }
    }
}

pub async fn deploy(g: &Global, a: &DeployArgs) -> miette::Result<u8> {
    let opts = DeployOptions {
        services: a.services.clone(),
        images: a.images.clone(),
        build: a.build,
        wait: !a.no_wait,
        timeout: a.timeout,
    };
    let color = gantry_cli::term::use_color(g.no_color);
    locked(g, "deploy", |ctx, mut ws, session, stop| async move {
        let engine = ops::engine(&ctx, ws.tags(), None);
        let lines = Lines(Mutex::new(Printer::new()));
        let r = deploy::deploy(
            &ctx,
            &mut ws,
            &session,
            &engine,
            &opts,
            &lines,
            Arc::new(Progress::plain(color)),
            &stop.token,
        )
        .await
        .map(|r| (r, false));
        (ws, r, stop)
    })
    .await
}

pub async fn rollback(g: &Global, a: &RollbackArgs) -> miette::Result<u8> {
    let follow = Follow {
        wait: !a.no_wait,
        timeout: a.timeout,
    };
    let color = gantry_cli::term::use_color(g.no_color);
    locked(g, "rollback", |ctx, mut ws, session, stop| async move {
        let engine = ops::engine(&ctx, ws.tags(), None);
        let lines = Lines(Mutex::new(Printer::new()));
        let r = deploy::rollback(
            &ctx,
            &mut ws,
            &session,
            &engine,
            &a.service,
            a.to,
            follow,
            &lines,
            Arc::new(Progress::plain(color)),
            &stop.token,
        )
        .await
        .map(|r| match r {
            deploy::Rollback::Stopped(v) => (v, true),
            deploy::Rollback::Shipped(v) => (v, false),
        });
        (ws, r, stop)
    })
    .await
}

/// Reads the state without the lock: it only looks.
pub fn deployments(g: &Global, a: &DeploymentsArgs) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    if ws.model.service(&a.service).is_none() && ws.model.job(&a.service).is_none() {
        let known: Vec<&str> = ws.model.tasks().map(|s| s.name.as_str()).collect();
        return Err(miette::miette!(
            help = format!("its services and jobs: {}", known.join(", ")),
            "the spec has no service or job `{}`",
            a.service
        ));
    }
    let state = ws.read_state().map_err(OpsError::from)?;
    let releases = state.releases.get(&a.service).cloned().unwrap_or_default();
    let current = state.current_release(&a.service).map(|r| r.number);
    if a.json {
        let list: Vec<serde_json::Value> = releases
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(r).expect("releases serialize");
                if let Some(o) = v.as_object_mut() {
                    // The definition is in the state; a listing needs none of it.
                    o.remove("task_definition");
                    o.insert("current".into(), (Some(r.number) == current).into());
                }
                v
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).expect("JSON serializes")
        );
    } else {
        print!(
            "{}",
            gantry_cli::render::status::releases(&a.service, &releases, current)
        );
    }
    Ok(exit::OK)
}
