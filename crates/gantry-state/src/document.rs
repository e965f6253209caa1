//! The state snapshot: what Gantry last applied for one stack and
//! environment, and the atomic write that replaces it on disk.

use crate::fence::{fenced, Fence};
use crate::{io_err, MetaLookup, StateError};
use gantry_core::{Address, Props};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// The snapshot format version this crate writes and reads.
pub const STATE_VERSION: u32 = 1;

/// The state of one stack + environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// Goes up each time a changed snapshot is written; only comparable
    /// within one lineage.
    pub serial: u64,
    /// Fixed when the state is first created, so a snapshot from another
    /// stack (or a re-created one) is never mistaken for this one.
    pub lineage: String,
    pub stack: String,
    pub env: String,
    /// The lock generation of the run that wrote this snapshot (0 before
    /// locks had generations, or when written without a lock). Replay
    /// ignores journal lines of an older generation than this.
    #[serde(default)]
    pub generation: u64,
    /// The next journal sequence number. Kept in the snapshot so sequence
    /// numbers, and the idempotency tokens derived from them, are never
    /// reused within a lineage.
    #[serde(default)]
    pub next_seq: u64,
    pub resources: BTreeMap<Address, ResourceState>,
    /// Each service's deploys and rollbacks, oldest first (the last
    /// [`MAX_RELEASES`] of each), by service name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub releases: BTreeMap<String, Vec<Release>>,
}

/// How many releases of a service the state keeps.
pub const MAX_RELEASES: usize = 20;

/// One deploy (or rollback) of a service: the task definition revision it
/// put in place, the images in it, and how its rollout ended. The images of
/// the newest release that did not fail are what `up` keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Release {
    /// Numbered per service from 1.
    pub number: u64,
    /// The task definition revision's ARN.
    pub revision: String,
    /// Each container's image.
    pub images: BTreeMap<String, String>,
    /// Containers whose image was given at deploy time over the spec's
    /// `image:`, with what the spec said then: a later change of the spec's
    /// image wins over the deployed one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub overrides: BTreeMap<String, String>,
    /// The revision's properties as registered, so a rollback can register
    /// it again once it has been deregistered.
    pub task_definition: Props,
    /// The service's desired count it asked for (a first deploy brings a
    /// service that waited for its image to its count).
    pub desired_count: i64,
    /// When it started (RFC 3339) and who ran it (`user@host`).
    pub at: String,
    pub by: String,
    /// A rollback names the release it went back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_of: Option<u64>,
    pub outcome: Rollout,
    /// What the rollout said when it ended (ECS's reason, a timeout...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// How a release's rollout ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rollout {
    /// Started; nobody has seen it end (a run that stopped following it).
    InProgress,
    /// Every task of the new revision is running and healthy.
    Completed,
    /// Failed; the circuit breaker returned the service to what ran before.
    RolledBack,
    /// Failed and left as it was.
    Failed,
    /// Still going when `deploy` stopped waiting.
    TimedOut,
    /// `deploy --no-wait`: not followed.
    NotFollowed,
    /// A job's revision is registered: its next run uses it (a job has no
    /// rollout to follow).
    Registered,
}

impl Rollout {
    /// The release's images are not (or no longer) what the service runs.
    pub fn failed(self) -> bool {
        matches!(self, Rollout::RolledBack | Rollout::Failed)
    }
}

impl std::fmt::Display for Rollout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Rollout::InProgress => "in progress",
            Rollout::Completed => "completed",
            Rollout::RolledBack => "rolled back",
            Rollout::Failed => "failed",
            Rollout::TimedOut => "timed out",
            Rollout::NotFollowed => "not followed",
            Rollout::Registered => "registered",
        })
    }
}

/// One resource as last applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    pub kind: String,
    /// The physical id.
    pub id: String,
    /// The resolved properties last applied (secrets as markers).
    pub props: Props,
    pub outputs: Props,
    /// What this resource depended on when it was applied, so deletes can be
    /// ordered after its configuration is gone.
    pub dependencies: Vec<Address>,
    pub status: Status,
    /// Older objects at this address still to be deleted: what a
    /// create-before-destroy replacement leaves until the old one is gone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<Deposed>,
}

/// An object replaced at an address but not yet deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deposed {
    pub id: String,
    pub props: Props,
    pub outputs: Props,
    pub dependencies: Vec<Address>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Created but not known to be healthy: the next plan replaces it.
    Tainted,
}

impl State {
    pub fn new(stack: &str, env: &str) -> State {
        State {
            version: STATE_VERSION,
            serial: 0,
            lineage: uuid::Uuid::new_v4().to_string(),
            stack: stack.to_string(),
            env: env.to_string(),
            generation: 0,
            next_seq: 1,
            resources: BTreeMap::new(),
            releases: BTreeMap::new(),
        }
    }

    pub fn get(&self, a: &Address) -> Option<&ResourceState> {
        self.resources.get(a)
    }

    /// Output `attr` of the resource at `a`, if recorded.
    pub fn output(&self, a: &Address, attr: &str) -> Option<&Value> {
        self.resources.get(a)?.outputs.get(attr)
    }

    /// The release of `service` whose images are in place: the newest that
    /// did not fail.
    pub fn current_release(&self, service: &str) -> Option<&Release> {
        self.releases
            .get(service)?
            .iter()
            .rev()
            .find(|r| !r.outcome.failed())
    }

    /// Adds `release` to its service's history, or replaces the one with
    /// its number, keeping the newest [`MAX_RELEASES`].
    pub fn put_release(&mut self, service: &str, release: Release) {
        let list = self.releases.entry(service.to_string()).or_default();
        match list.iter_mut().find(|r| r.number == release.number) {
            Some(r) => *r = release,
            None => {
                list.push(release);
                list.sort_by_key(|r| r.number);
            }
        }
        let extra = list.len().saturating_sub(MAX_RELEASES);
        list.drain(..extra);
    }

    pub fn len(&self) -> usize {
        self.resources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    pub(crate) fn load(path: &Path, stack: &str, env: &str) -> Result<Option<State>, StateError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(path)(e)),
        };
        let probe: Value = serde_json::from_slice(&bytes).map_err(|e| StateError::Corrupt {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        State::from_value(probe, path, stack, env).map(Some)
    }

    /// The state in `probe` (read from `path`), checked to be of a version
    /// this crate reads and for `stack`/`env`.
    pub(crate) fn from_value(
        probe: Value,
        path: &Path,
        stack: &str,
        env: &str,
    ) -> Result<State, StateError> {
        // Read the version first so a newer format gets a clear error instead
        // of a confusing field mismatch.
        let version = probe.get("version").and_then(Value::as_u64).unwrap_or(0) as u32;
        if version > STATE_VERSION {
            return Err(StateError::TooNew {
                path: path.to_path_buf(),
                found: version,
                supported: STATE_VERSION,
            });
        }
        let state: State = serde_json::from_value(probe).map_err(|e| StateError::Corrupt {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        if state.stack != stack || state.env != env {
            return Err(StateError::WrongStack {
                path: path.to_path_buf(),
                found: format!("{}/{}", state.stack, state.env),
                expected: format!("{stack}/{env}"),
            });
        }
        Ok(state)
    }
}

/// The marker stored in place of a secret value. Deterministic, so a plan
/// can tell whether the secret changed without ever storing it.
pub fn secret_marker(v: &Value) -> Value {
    if let Value::String(s) = v {
        if s.starts_with("sha256:") {
            return v.clone();
        }
    }
    let canonical = serde_json::to_string(v).expect("JSON values serialize");
    let digest = Sha256::digest(canonical.as_bytes());
    Value::String(format!("sha256:{}", hex::encode(digest)))
}

/// Replaces the secret fields of `kind` in `props` by their markers.
pub fn redact(meta: MetaLookup, kind: &str, props: &Props) -> Props {
    let Some(m) = meta(kind) else {
        return props.clone();
    };
    if m.secret.is_empty() {
        return props.clone();
    }
    props
        .iter()
        .map(|(k, v)| {
            let v = if m.secret.contains(&k.as_str()) && !v.is_null() {
                secret_marker(v)
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect()
}

/// Writes `bytes` to `path` so that a reader sees either the old file or the
/// new one, never a torn one, even across power loss: temp file in the same
/// directory, fsync, rename, fsync the directory.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    write_atomic_fenced(path, bytes, None)
}

/// [`write_atomic`] whose rename happens only through `fence` (when given):
/// the temp file is written and synced first, so the fenced step is just
/// the check and the rename.
pub(crate) fn write_atomic_fenced(
    path: &Path,
    bytes: &[u8],
    fence: Option<&dyn Fence>,
) -> Result<(), StateError> {
    let dir = path.parent().expect("state files live in a directory");
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("state"),
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(bytes).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        drop(f);
        fenced(fence, || std::fs::rename(&tmp, path).map_err(io_err(path)))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), StateError> {
    // Directory fsync makes the rename itself durable; only Unix supports it.
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn markers_are_stable_and_idempotent() {
        let a = secret_marker(&json!("hunter2"));
        assert_eq!(a, secret_marker(&json!("hunter2")));
        assert_ne!(a, secret_marker(&json!("hunter3")));
        assert_eq!(secret_marker(&a), a);
        assert!(!a.as_str().unwrap().contains("hunter2"));
    }

    #[test]
    fn atomic_write_replaces() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }
}
