//! Live progress for `up` and `destroy`: turns engine events into an
//! overall bar plus one spinner per in-flight resource on a terminal, or
//! into one plain line per event when output is not a terminal (CI logs).

use gantry_core::Address;
use gantry_execute::{Event, Reporter};
use gantry_state::Op;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use owo_colors::OwoColorize;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

/// Prints engine events to stderr.
pub struct Progress {
    color: bool,
    live: Option<Live>,
}

struct Live {
    multi: MultiProgress,
    overall: ProgressBar,
    spinners: Mutex<HashMap<(Address, String), ProgressBar>>,
}

fn verb(op: &Op) -> &'static str {
    match op {
        Op::Create => "creating",
        Op::Update => "updating",
        Op::Delete => "deleting",
    }
}

fn past(op: &Op) -> &'static str {
    match op {
        Op::Create => "created",
        Op::Update => "updated",
        Op::Delete => "deleted",
    }
}

impl Progress {
    /// One line per event, never live bars: for commands with a handful of
    /// operations among other output (`deploy`).
    pub fn plain(color: bool) -> Progress {
        Progress { color, live: None }
    }

    /// `total` is the number of operations the plan holds.
    pub fn new(total: usize, color: bool) -> Progress {
        let live = std::io::stderr().is_terminal().then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let overall = multi.add(ProgressBar::new(total as u64));
            overall.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} operations  {elapsed}  {msg}")
                    .expect("valid template"),
            );
            overall.enable_steady_tick(Duration::from_millis(200));
            Live {
                multi,
                overall,
                spinners: Mutex::new(HashMap::new()),
            }
        });
        Progress { color, live }
    }

    fn line(&self, s: String) {
        match &self.live {
            Some(l) => {
                let _ = l.multi.println(s);
            }
            None => eprintln!("{s}"),
        }
    }

    fn ok(&self, s: &str) -> String {
        if self.color {
            s.green().to_string()
        } else {
            s.to_string()
        }
    }

    fn bad(&self, s: &str) -> String {
        if self.color {
            s.red().bold().to_string()
        } else {
            s.to_string()
        }
    }

    fn dim(&self, s: &str) -> String {
        if self.color {
            s.dimmed().to_string()
        } else {
            s.to_string()
        }
    }

    fn stop_spinner(&self, address: &Address, op: &Op) {
        if let Some(l) = &self.live {
            if let Some(sp) = l
                .spinners
                .lock()
                .expect("spinners")
                .remove(&(address.clone(), op.to_string()))
            {
                sp.finish_and_clear();
                l.multi.remove(&sp);
            }
            l.overall.inc(1);
        }
    }

    /// Clears the bars; call before printing the summary.
    pub fn finish(&self) {
        if let Some(l) = &self.live {
            for (_, sp) in l.spinners.lock().expect("spinners").drain() {
                sp.finish_and_clear();
            }
            l.overall.finish_and_clear();
            let _ = l.multi.clear();
        }
    }
}

impl Reporter for Progress {
    fn event(&self, e: Event) {
        match e {
            Event::RecoveryStarted { pending } => self.line(format!(
                "{} a previous run was interrupted; resolving {pending} unfinished operation(s)",
                self.bad("!")
            )),
            Event::Adopted { address, id } => {
                self.line(format!("{} {address}: found {id} by its tags and adopted it", self.ok("↺")))
            }
            Event::Recovered { address, op, outcome } => {
                self.line(format!("{} {address}: interrupted {op} {outcome}", self.dim("↺")))
            }
            Event::RefreshStarted { kinds, resources } => {
                if resources > 0 {
                    self.line(self.dim(&format!("refreshing {resources} resources ({kinds} kinds)...")))
                }
            }
            Event::RefreshedKind { .. } => {}
            Event::Started { address, op, .. } => match &self.live {
                Some(l) => {
                    let sp = l.multi.insert_from_back(1, ProgressBar::new_spinner());
                    sp.set_style(ProgressStyle::with_template("  {spinner} {msg} {elapsed:.dim}").expect("valid template"));
                    sp.set_message(format!("{} {address}", verb(&op)));
                    sp.enable_steady_tick(Duration::from_millis(120));
                    l.spinners.lock().expect("spinners").insert((address, op.to_string()), sp);
                }
                None => eprintln!("  {} {address}...", verb(&op)),
            },
            Event::Finished { address, op, id, elapsed } => {
                self.stop_spinner(&address, &op);
                let id = id.map(|i| format!(" [{i}]")).unwrap_or_default();
                self.line(format!(
                    "{} {address}: {}{}{}",
                    self.ok("✓"),
                    past(&op),
                    self.dim(&id),
                    self.dim(&format!(" ({:.1}s)", elapsed.as_secs_f64()))
                ));
            }
            Event::Failed { address, op, code, message } => {
                self.stop_spinner(&address, &op);
                let code = code.map(|c| format!("{c}: ")).unwrap_or_default();
                self.line(format!("{} {address}: {op} failed: {code}{message}", self.bad("✗")));
            }
            Event::Skipped { address, op, because } => {
                if let Some(l) = &self.live {
                    l.overall.inc(1);
                }
                let why = match because {
                    Some(b) => format!("it needs {b}, which failed"),
                    None => "the run was interrupted".to_string(),
                };
                self.line(format!("{} {address}: {op} skipped: {why}", self.dim("-")));
            }
            Event::Cancelling { in_flight } => self.line(format!(
                "{} interrupted: starting nothing new, waiting for {in_flight} call(s) in flight, then saving state",
                self.bad("!")
            )),
            Event::Warning { message } => self.line(format!("{} {message}", self.bad("warning:"))),
            Event::ProviderWarning { address, message } => {
                self.line(format!("{} {address}: {message}", self.bad("warning:")))
            }
            Event::Retrying {
                kind,
                address,
                call,
                attempt,
                attempts,
                code,
                message,
                delay,
            } => {
                let what = address.map(|a| a.to_string()).unwrap_or(kind);
                let code = code.map(|c| format!("{c}: ")).unwrap_or_default();
                self.line(self.dim(&format!(
                    "  {what}: {call} failed ({code}{message}); attempt {attempt} of {attempts} in {:.1}s",
                    delay.as_secs_f64()
                )))
            }
            Event::InventoryListed { untracked, .. } => {
                if untracked > 0 {
                    self.line(format!(
                        "{} {untracked} object(s) tagged with this stack are not in the state",
                        self.bad("!")
                    ))
                }
            }
        }
    }
}
