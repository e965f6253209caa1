//! What `up` and `destroy` share: asking before changing anything, running
//! a plan with live progress and Ctrl-C handling, and the closing summary.

use gantry_cli::exit;
use gantry_cli::ops::{OpsError, Session};
use gantry_cli::progress::Progress;
use gantry_cli::term;
use gantry_core::DesiredGraph;
use gantry_execute::{CancellationToken, Engine, Summary};
use gantry_plan::Plan;
use gantry_state::Op;
use std::sync::Arc;

/// True to go ahead. Without `--yes` this asks on a terminal and refuses
/// elsewhere: a script must say `--yes` to change infrastructure.
pub fn confirm_or_refuse(yes: bool, question: &str) -> miette::Result<bool> {
    if yes {
        return Ok(true);
    }
    if !term::interactive() {
        return Err(miette::miette!(
            help = "pass --yes to apply without a prompt",
            "not asking for confirmation: standard input is not a terminal"
        ));
    }
    term::confirm(question).map_err(|e| miette::miette!("reading the answer: {e}"))
}

/// The error for a plan that would replace or delete data stores without
/// `--allow-data-loss`: each store with the reason.
pub fn data_loss_refusal(loss: &[&gantry_plan::PlannedAction]) -> miette::Report {
    let list = data_store_lines(loss);
    miette::miette!(
        help = "change the spec back, or pass --allow-data-loss if losing this data is intended",
        "refusing to apply: this plan would destroy data\n{list}"
    )
}

/// One line per data store that the plan replaces or deletes.
pub fn data_store_lines(loss: &[&gantry_plan::PlannedAction]) -> String {
    loss.iter()
        .map(|a| {
            let noun = gantry_core::kind_meta(&a.kind)
                .map(|m| m.noun)
                .unwrap_or("data store");
            let what = match a.action {
                gantry_plan::Action::Replace => "replaced",
                _ => "deleted",
            };
            let why = match (&a.reason, a.replace_fields.is_empty()) {
                (Some(r), _) => format!(" ({r})"),
                (None, false) => format!(" (because {} changed)", a.replace_fields.join(", ")),
                _ => String::new(),
            };
            format!("  - {noun} {} would be {what}{why}", a.address)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn warn_takeover(session: &Session) {
    if let Some((old, why)) = session.lock.took_over() {
        eprintln!(
            "warning: took over a stale lock held by {} running `{}` since {} ({why})",
            old.who, old.command, old.since
        );
    }
}

/// What stops a run that changes AWS: the first Ctrl-C (start nothing
/// new, let calls in flight finish, save), a second one (exit at once: the
/// journal holds every completed call), or the state lock taken over by
/// another run (our lease lapsed): then the store refuses every further
/// write (`StateError::Fenced`), so the run ends with that error, naming
/// the new holder, and exit code LOCK_LOST.
pub struct Stop {
    pub token: CancellationToken,
    tasks: [tokio::task::JoinHandle<()>; 2],
}

impl Stop {
    pub fn new(session: &Session) -> Stop {
        let token = CancellationToken::new();
        let lost = {
            let cancel = token.clone();
            let lost = session.lock.lost();
            tokio::spawn(async move {
                lost.await;
                eprintln!(
                    "the state lock was taken over by another run: starting nothing more, writing nothing more"
                );
                cancel.cancel();
            })
        };
        let watcher = {
            let cancel = token.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    cancel.cancel();
                    if tokio::signal::ctrl_c().await.is_ok() {
                        eprintln!(
                            "interrupted again: exiting now; the next run resumes from the journal"
                        );
                        std::process::exit(exit::INTERRUPTED as i32);
                    }
                }
            })
        };
        Stop {
            token,
            tasks: [lost, watcher],
        }
    }
}

impl Drop for Stop {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// `e` as the run reports it: for a lost lock, what this run still changed
/// afterwards, and what it cleaned up once it could take the lock again.
pub async fn lock_lost(session: &Session, e: OpsError) -> OpsError {
    let e = session.explain(e);
    let OpsError::LockLost(msg) = e else {
        return e;
    };
    let undone = session.undo_strays().await;
    let msg = if undone.is_empty() {
        msg
    } else {
        format!(
            "{msg}\n\nCleaned up under the lock, taken again once free:\n{}",
            undone.join("\n")
        )
    };
    OpsError::LockLost(msg)
}

/// Applies `plan` with progress on stderr; the first Ctrl-C stops launching
/// new operations and lets in-flight ones finish, a second one exits at once
/// (the journal still records every completed call).
pub async fn apply_plan(
    engine: &Engine,
    desired: &DesiredGraph,
    plan: &Plan,
    session: &Session,
    color: bool,
    what: &str,
) -> miette::Result<u8> {
    let total = plan
        .actions
        .iter()
        .filter(|a| a.action != gantry_plan::Action::NoOp)
        .count();
    let progress = Arc::new(Progress::new(total, color));
    let stop = Stop::new(session);
    let result = engine
        .apply(plan, desired, &session.store, progress.clone(), &stop.token)
        .await;
    drop(stop);
    progress.finish();
    let summary = match result {
        Ok(s) => s,
        Err(e) => return Err(lock_lost(session, OpsError::from(e)).await.into()),
    };
    eprint!("{}", summarize(&summary, what));
    Ok(if summary.is_success() {
        exit::OK
    } else if summary.cancelled {
        exit::INTERRUPTED
    } else {
        exit::ERROR
    })
}

/// The closing lines: counts, then every failure with its address and AWS
/// error code, then what was skipped because of it.
pub fn summarize(s: &Summary, what: &str) -> String {
    let count = |op: Op| s.done.iter().filter(|d| d.op == op).count();
    let mut out = String::new();
    let verdict = if s.is_success() {
        "complete"
    } else if s.cancelled {
        "interrupted"
    } else {
        "failed"
    };
    out.push_str(&format!(
        "\n{what} {verdict}: {} created, {} updated, {} deleted in {:.1}s.\n",
        count(Op::Create),
        count(Op::Update),
        count(Op::Delete),
        s.elapsed.as_secs_f64()
    ));
    if !s.failed.is_empty() {
        out.push_str(&format!("\n{} operation(s) failed:\n", s.failed.len()));
        for f in &s.failed {
            out.push_str(&format!("  {f}\n"));
        }
    }
    if !s.skipped.is_empty() {
        out.push_str(&format!(
            "{} operation(s) not attempted; run the command again after fixing the cause.\n",
            s.skipped.len()
        ));
    }
    out
}
