//! `gantry doctor`: whether this machine can run Gantry on this spec, one
//! check at a time, each passing or failing with the fix. Returns data;
//! `render::doctor` turns it into lines.
//!
//! The checks follow a first run's path: the spec; the region; the endpoint
//! (when `AWS_ENDPOINT_URL` or the profile overrides it); the credentials
//! and which source of the chain gave them; `sts:GetCallerIdentity`; the
//! state backend and its lock; then the tools two commands need, which are
//! optional (a failure there does not fail the doctor): a container engine
//! for `deploy --build` and the Session Manager plugin for `exec`. What a
//! failed check makes impossible is skipped and says why.

use crate::cli::Global;
use crate::ops::{self, Workspace};
use gantry_aws::preflight;
use gantry_state::Backend;
use std::path::PathBuf;

/// The program that carries Session Manager sessions (the AWS CLI's too).
pub const SESSION_MANAGER_PLUGIN: &str = "session-manager-plugin";
/// Where to get it.
pub const PLUGIN_HELP: &str = "install the Session Manager plugin: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html";

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked: `spec`, `region`, `endpoint`, ...
    pub what: &'static str,
    pub pass: bool,
    /// What was found (or why it failed).
    pub detail: String,
    /// How to fix a failure.
    pub fix: Option<String>,
    /// False for what only some commands need.
    pub required: bool,
}

impl Check {
    fn pass(what: &'static str, detail: impl Into<String>) -> Check {
        Check {
            what,
            pass: true,
            detail: detail.into(),
            fix: None,
            required: true,
        }
    }

    fn fail(what: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            what,
            pass: false,
            detail: detail.into(),
            fix: Some(fix.into()),
            required: true,
        }
    }

    fn optional(mut self) -> Check {
        self.required = false;
        self
    }

    /// Not run, because an earlier check failed.
    fn skipped(what: &'static str, because: &str) -> Check {
        Check::fail(
            what,
            format!("not checked: {because}"),
            "fix the check above first",
        )
    }
}

/// Every check, in order.
#[derive(Debug, Clone)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    /// True when every required check passed.
    pub fn ready(&self) -> bool {
        self.checks.iter().all(|c| c.pass || !c.required)
    }
}

/// `name` in a directory of PATH, as a file.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Runs every check for the spec and environment `g` names.
pub async fn run(g: &Global) -> Report {
    let mut checks = Vec::new();
    let ws = match Workspace::load(g) {
        Ok(ws) => {
            checks.push(Check::pass(
                "spec",
                format!(
                    "{} is valid: {} ({} resources)",
                    g.file.display(),
                    ws.label(),
                    ws.graph.len()
                ),
            ));
            Some(ws)
        }
        Err(e) => {
            let missing = !g.file.exists();
            checks.push(Check::fail(
                "spec",
                if missing {
                    format!("{} does not exist", g.file.display())
                } else {
                    e.to_string()
                },
                if missing {
                    "`gantry new` writes a first one; -f FILE (or GANTRY_FILE) points at yours"
                } else {
                    "`gantry validate` lists every problem with file:line:col"
                },
            ));
            None
        }
    };

    // The spec names the region; without one, the chain's.
    let ctx = gantry_aws::AwsContext::load(ws.as_ref().map(|w| w.model.region.clone())).await;
    let ctx = match ctx {
        Ok(ctx) => {
            let chain = std::env::var("AWS_REGION")
                .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                .ok();
            let detail = match (&ws, chain) {
                (Some(_), Some(c)) if c != ctx.region() => format!(
                    "{} (from the spec; AWS_REGION={c} is not used for this stack)",
                    ctx.region()
                ),
                (Some(_), _) => format!("{} (from the spec)", ctx.region()),
                (None, _) => format!("{} (from the AWS configuration)", ctx.region()),
            };
            checks.push(Check::pass("region", detail));
            Some(ctx)
        }
        Err(_) => {
            checks.push(Check::fail(
                "region",
                "none: the spec could not be read, and neither AWS_REGION nor the profile names one",
                "fix the spec (its `region:` is the stack's), or set AWS_REGION",
            ));
            None
        }
    };

    // Without a region, the endpoint and the credentials can still be
    // checked (neither needs one); STS cannot.
    let (ctx, region_ok) = match ctx {
        Some(ctx) => (ctx, true),
        None => match gantry_aws::AwsContext::load(Some("us-east-1".to_string())).await {
            Ok(ctx) => (ctx, false),
            Err(_) => {
                for what in ["endpoint", "credentials", "identity"] {
                    checks.push(Check::skipped(what, "no region"));
                }
                tools(&mut checks);
                return Report { checks };
            }
        },
    };

    let mut aws_ok = true;
    match preflight::check_endpoint(ctx.sdk_config()).await {
        Ok(None) => checks.push(Check::pass(
            "endpoint",
            "AWS's own endpoints (AWS_ENDPOINT_URL is not set)",
        )),
        Ok(Some(ep)) => checks.push(Check::pass(
            "endpoint",
            format!("{} ({}) accepts connections", ep.url, ep.source_name),
        )),
        Err(e) => {
            aws_ok = false;
            checks.push(Check::fail(
                "endpoint",
                e.to_string(),
                ops::preflight_fix(&e),
            ));
        }
    }
    match preflight::check_credentials(ctx.sdk_config()).await {
        Ok(c) => checks.push(Check::pass(
            "credentials",
            format!("from {}, key {}", c.description, c.key),
        )),
        Err(e) => {
            aws_ok = false;
            checks.push(Check::fail(
                "credentials",
                e.to_string(),
                ops::preflight_fix(&e),
            ));
        }
    }
    if !region_ok {
        aws_ok = false;
        checks.push(Check::skipped(
            "identity",
            "sts:GetCallerIdentity needs a region",
        ));
    } else if aws_ok {
        match preflight::check_identity(&ctx).await {
            Ok(id) => checks.push(Check::pass(
                "identity",
                format!("account {}, {}", id.account, id.arn),
            )),
            Err(e) => {
                aws_ok = false;
                checks.push(Check::fail(
                    "identity",
                    e.to_string(),
                    ops::preflight_fix(&e),
                ));
            }
        }
    } else {
        checks.push(Check::skipped(
            "identity",
            "sts:GetCallerIdentity needs the endpoint and credentials",
        ));
    }

    match &ws {
        Some(ws) => state(&mut checks, ws, aws_ok).await,
        None => {
            checks.push(Check::skipped("state", "the spec names where it is kept"));
        }
    }
    tools(&mut checks);
    Report { checks }
}

/// The state backend, and who holds its lock.
async fn state(checks: &mut Vec<Check>, ws: &Workspace, aws_ok: bool) {
    let backend = ws.backend.clone();
    // A remote lock that could not be read was reported with the bucket.
    let lock = match &backend {
        Backend::Local(dir) => {
            let detail = if dir.join(gantry_state::STATE_FILE).exists() {
                format!("local, in {}", dir.display())
            } else {
                format!("local, in {} (made by the first run)", dir.display())
            };
            checks.push(Check::pass("state", detail));
            backend.read_lock().map_err(|e| e.to_string())
        }
        Backend::Remote(_) if !aws_ok => {
            checks.push(Check::skipped(
                "state",
                &format!("{} is reached through AWS", backend.describe()),
            ));
            return;
        }
        Backend::Remote(_) => {
            // The remote store blocks on a runtime of its own.
            let b = backend.clone();
            let read = match tokio::task::spawn_blocking(move || b.read_lock()).await {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match &read {
                Ok(_) => checks.push(Check::pass(
                    "state",
                    format!("{} answers", backend.describe()),
                )),
                Err(e) => {
                    checks.push(Check::fail(
                    "state",
                    format!("{}: {e}", backend.describe()),
                    "`gantry init` creates the state bucket; the credentials need s3:GetObject, PutObject, DeleteObject and ListBucket on it",
                    ));
                    return;
                }
            }
            read
        }
    };
    let now = time::OffsetDateTime::now_utc();
    match lock {
        Ok(None) => checks.push(Check::pass("lock", "not held")),
        Ok(Some(l)) => match l.stale_reason(now) {
            Some(why) => checks.push(Check::pass(
                "lock",
                format!(
                    "left by {} running `{}` since {}: {why}; the next run takes it over",
                    l.who, l.command, l.since
                ),
            )),
            None => checks.push(
                Check::fail(
                    "lock",
                    format!(
                        "held by {} (pid {}) running `{}` since {}, lease until {}",
                        l.who, l.pid, l.command, l.since, l.lease_expires
                    ),
                    "wait for that run to end; if it is gone, `gantry unlock` (or wait for its lease to expire)",
                )
                .optional(),
            ),
        },
        // A local lock file that cannot be read: the next run says why.
        Err(e) => checks.push(Check::fail(
            "lock",
            e,
            "remove the unreadable lock file with `gantry unlock` once no run is going",
        )),
    }
}

/// What `deploy --build` and `exec` need, which other commands do not.
fn tools(checks: &mut Vec<Check>) {
    checks.push(match crate::build::Engine::detect() {
        Ok(e) => Check::pass(
            "container engine",
            format!("{} (for `deploy --build`)", e.program),
        ),
        Err(e) => Check::fail(
            "container engine",
            format!("{e} (only `deploy --build` needs one)"),
            format!(
                "install Podman (https://podman.io) or Docker, or set {} to the one to use",
                crate::build::ENGINE_ENV
            ),
        )
        .optional(),
    });
    checks.push(match on_path(SESSION_MANAGER_PLUGIN) {
        Some(p) => Check::pass("exec plugin", format!("{} (for `exec`)", p.display())),
        None => Check::fail(
            "exec plugin",
            format!("{SESSION_MANAGER_PLUGIN} is not on PATH (only `exec` needs it)"),
            PLUGIN_HELP,
        )
        .optional(),
    });
}
