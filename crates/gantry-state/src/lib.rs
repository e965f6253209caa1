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
//! - `fence.json`: the last lock ever issued on this state (so a lock
//!   generation is never issued twice, even after a clean release), and the
//!   file whose OS lock makes a holder's "is the lock still mine?" check and
//!   its write one step ([`fence`]).
//!
//! Every lock has a **generation**, higher than any issued before on this
//! state. The snapshot records the generation of the run that wrote it and
//! every journal line the generation of the run that appended it; a run
//! whose lock was taken over is refused every further write
//! ([`StateError::Fenced`]), and replay ignores lines of an older generation
//! found after a newer one ([`journal`]).
//!
//! The same lock, journal and snapshot can live in an object store instead
//! (S3, implemented in `gantry-aws` behind the [`object::ObjectStore`]
//! trait): see [`remote`] for its objects and how conditional writes fence
//! them, and [`Backend`] for choosing one.
//!
//! Secrets (the fields a kind lists in [`gantry_core::KindMeta::secret`]) are
//! never written: both the journal and the snapshot store a
//! `sha256:<hex>` marker instead, so diffs still work.

pub mod backend;
pub mod document;
pub mod fence;
pub mod journal;
pub mod lock;
pub mod object;
pub mod peek;
pub mod preview;
pub mod remote;
pub mod store;

pub use backend::Backend;
pub use document::{
    redact, secret_marker, Deposed, Release, ResourceState, Rollout, State, Status, MAX_RELEASES,
    STATE_VERSION,
};
pub use fence::Fence;
pub use journal::{Edit, Intent, Op, Outcome, Record};
pub use lock::{force_unlock, read_lock, LockInfo, StateLock};
pub use object::{MemoryObjects, Object, ObjectError, ObjectStore};
pub use peek::read_state;
pub use preview::{PreviewRecord, PREVIEW_FILE};
pub use remote::Remote;
pub use store::{CrashPoint, Store};

use gantry_core::KindMeta;

/// How the state layer learns a kind's metadata (which fields are secret).
/// Production code passes [`gantry_core::kind_meta`]; tests may add kinds.
pub type MetaLookup = fn(&str) -> Option<&'static KindMeta>;

/// File names inside a state directory.
pub const STATE_FILE: &str = "state.json";
pub const JOURNAL_FILE: &str = "journal.jsonl";
pub const LOCK_FILE: &str = "lock.json";
pub const FENCE_FILE: &str = "fence.json";

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
    /// A write refused because the lock is no longer this run's: another
    /// run took it over (its lease had lapsed), or it was removed. The store
    /// writes nothing more after this.
    #[error("{}", fenced_message(.path, *.generation, .holder.as_deref(), *.released))]
    Fenced {
        /// The state directory.
        path: std::path::PathBuf,
        /// The generation of the refused writer's lock.
        generation: u64,
        /// Who holds the lock now, or (with `released`) who took it last.
        holder: Option<Box<LockInfo>>,
        /// The lock file is gone: `holder` took the lock over and has since
        /// released it, or (without a holder) it was removed by hand.
        released: bool,
    },
    /// An object store operation failed (network, permissions, a missing
    /// bucket); nothing is known to have been written.
    #[error("{location}: {source}")]
    Remote {
        location: String,
        #[source]
        source: object::ObjectError,
    },
    /// Something changed under a run that holds the lock, or a request
    /// cannot be done as the state stands; nothing was overwritten.
    #[error("{}: {message}", path.display())]
    Conflict {
        path: std::path::PathBuf,
        message: String,
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

fn fenced_message(
    path: &std::path::Path,
    generation: u64,
    holder: Option<&LockInfo>,
    released: bool,
) -> String {
    let ours = format!(
        "this run lost the state lock on {} (its generation {generation})",
        path.display()
    );
    let by = |h: &LockInfo| {
        format!(
            "{} (pid {} on {}) running `{}` since {}, generation {}",
            h.who, h.pid, h.host, h.command, h.since, h.generation
        )
    };
    match (holder, released) {
        (Some(h), false) => format!(
            "{ours}: it is now held by {}; nothing more is written by this run",
            by(h)
        ),
        (Some(h), true) => format!(
            "{ours}: it was taken over by {}, which has since released it; nothing more is written by this run",
            by(h)
        ),
        (None, _) => format!(
            "{ours}: the lock file was removed (`gantry unlock`?); nothing more is written by this run"
        ),
    }
}

impl StateError {
    /// The same error again, for reporting one failure to several waiters
    /// (I/O errors keep their kind and message, not their source chain).
    pub(crate) fn duplicate(&self) -> StateError {
        match self {
            StateError::Io { path, source } => StateError::Io {
                path: path.clone(),
                source: std::io::Error::new(source.kind(), source.to_string()),
            },
            StateError::Fenced {
                path,
                generation,
                holder,
                released,
            } => StateError::Fenced {
                path: path.clone(),
                generation: *generation,
                holder: holder.clone(),
                released: *released,
            },
            StateError::Crashed => StateError::Crashed,
            StateError::Remote { location, source } => StateError::Remote {
                location: location.clone(),
                source: match source {
                    object::ObjectError::Precondition => object::ObjectError::Precondition,
                    object::ObjectError::Refused => object::ObjectError::Refused,
                    other => object::ObjectError::failed(other.to_string()),
                },
            },
            StateError::Conflict { path, message } => StateError::Conflict {
                path: path.clone(),
                message: message.clone(),
            },
            other => StateError::Io {
                path: std::path::PathBuf::new(),
                source: std::io::Error::other(other.to_string()),
            },
        }
    }
}

pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}
