//! Where a stack's state lives: a local directory (the default, see the
//! crate docs) or objects in a store such as S3 ([`crate::remote`]). The
//! CLI picks one from the spec's `state:` (or `--state`) and hands it to
//! [`crate::StateLock::acquire_at`] and [`crate::Store::open_fenced_at`];
//! the read-only helpers here serve the commands that only look.

use crate::remote::{self, Remote};
use crate::{LockInfo, State, StateError};
use std::path::PathBuf;

/// One stack's state location.
#[derive(Clone, Debug)]
pub enum Backend {
    /// `state.json`, `journal.jsonl`, `lock.json`, `fence.json` in a
    /// directory.
    Local(PathBuf),
    /// Objects under a prefix of an object store.
    Remote(Remote),
}

impl Backend {
    /// The directory, or the `s3://` URL, for messages.
    pub fn describe(&self) -> String {
        match self {
            Backend::Local(d) => d.display().to_string(),
            Backend::Remote(r) => r.url(),
        }
    }

    /// What error messages name as the state's path.
    pub fn path(&self) -> PathBuf {
        match self {
            Backend::Local(d) => d.clone(),
            Backend::Remote(r) => r.path(),
        }
    }

    /// The current state (snapshot plus journal), read without the lock
    /// and without writing anything; empty if nothing was ever written.
    pub fn read_state(&self, stack: &str, env: &str) -> Result<State, StateError> {
        match self {
            Backend::Local(d) => crate::read_state(d, stack, env),
            Backend::Remote(r) => remote::read_state(r, stack, env),
        }
    }

    /// Who holds the lock now, if anyone.
    pub fn read_lock(&self) -> Result<Option<LockInfo>, StateError> {
        match self {
            Backend::Local(d) => crate::read_lock(d),
            Backend::Remote(r) => remote::read_lock(r),
        }
    }

    /// Removes whatever lock is held (`gantry unlock`) and returns it.
    pub fn force_unlock(&self) -> Result<Option<LockInfo>, StateError> {
        match self {
            Backend::Local(d) => crate::force_unlock(d),
            Backend::Remote(r) => remote::force_unlock(r),
        }
    }

    /// The same place: same directory, or same store and prefix.
    pub fn same_as(&self, other: &Backend) -> bool {
        self.describe() == other.describe()
    }
}
