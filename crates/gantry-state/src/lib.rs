//! Gantry's record of what exists: the state document, the write-ahead
//! journal that makes every mutating provider call crash-safe, and the
//! lease-based lock that keeps two runs off the same stack.
//!
//! Layout of a state directory (the CLI uses `<spec dir>/.gantry/<stack>-<env>/`):
//!
//! - `state.json`: the snapshot ([`State`]), replaced atomically.
//! - `journal.jsonl`: intent and result records appended since the last
//!   snapshot ([`Record`]); replayed onto the snapshot and compacted at the
//!   start and end of every run.
//! - `lock.json`: the lock ([`LockInfo`]), present only while a run holds it.
//!
//! Secrets (the fields a kind lists in [`gantry_core::KindMeta::secret`]) are
//! never written: both the journal and the snapshot store a
//! `sha256:<hex>` marker instead, so diffs still work.

pub mod document;
pub mod journal;
pub mod lock;
pub mod peek;
pub mod store;

pub use document::{redact, secret_marker, Deposed, ResourceState, State, Status, STATE_VERSION};
pub use journal::{Intent, Op, Outcome, Record};
pub use lock::{force_unlock, read_lock, LockInfo, StateLock};
pub use peek::read_state;
pub use store::{CrashPoint, Store};

use gantry_core::KindMeta;

/// How the state layer learns a kind's metadata (which fields are secret).
/// Production code passes [`gantry_core::kind_meta`]; tests may add kinds.
pub type MetaLookup = fn(&str) -> Option<&'static KindMeta>;

/// File names inside a state directory.
pub const STATE_FILE: &str = "state.json";
pub const JOURNAL_FILE: &str = "journal.jsonl";
pub const LOCK_FILE: &str = "lock.json";

/// Everything that can go wrong reading or writing state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid Gantry state file: {message}")]
    Corrupt {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("{path} holds state for {found}, not {expected}")]
    WrongStack {
        path: std::path::PathBuf,
        found: String,
        expected: String,
    },
    #[error("{path} was written by a newer Gantry (state version {found}, this one reads up to {supported})")]
    TooNew {
        path: std::path::PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{}", locked_message(.0))]
    Locked(Box<LockInfo>),
    #[error("the lock at {path} is no longer ours (taken over by {who} running `{command}`)")]
    LockLost {
        path: std::path::PathBuf,
        who: String,
        command: String,
    },
    /// The simulated process death of [`CrashPoint`]: nothing more is written.
    #[error("simulated crash: the state store stopped writing")]
    Crashed,
    #[error("journal record {0} has no open intent")]
    UnknownSeq(u64),
}

fn locked_message(l: &LockInfo) -> String {
    format!(
        "the state is locked by {} (pid {} on {}), running `{}` since {}; its lease expires at {}. \
         If that run is gone, wait for the lease to expire or run `gantry unlock`.",
        l.who, l.pid, l.host, l.command, l.since, l.lease_expires
    )
}

pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}
