//! Fencing: how a store makes sure that only the current lock holder
//! writes. A holder that lost its lock (its lease lapsed while the laptop
//! slept, and another run took the lock over) must write nothing more, so
//! every journal batch and every snapshot or journal replacement asks the
//! [`Fence`] first and is refused with [`StateError::Fenced`] once the lock
//! on the backend is no longer the writer's.
//!
//! The local backend ([`crate::StateLock`]) runs the check and the write
//! under an OS file lock on `fence.json`, which every lock change (acquire,
//! takeover, renewal, release, `gantry unlock`) also takes, so on one host a
//! takeover cannot slip in between the check and the write. A remote
//! backend ([`crate::remote`]) implements the same trait with a lease
//! renewed by conditional writes (an S3 `PUT` with `If-Match` on the lock
//! object's ETag), and fences its snapshot with `If-Match` on its own. Where neither is available,
//! replay still ignores records an older generation appended after a newer
//! one (see [`crate::journal`]).

use crate::StateError;

/// The writer's side of a lock: its generation, and whether the lock on the
/// backend is still its own.
pub trait Fence: Send + Sync {
    /// The generation of the lock this writer holds. Generations only go up
    /// on a given state, so a higher one always means a newer holder.
    fn generation(&self) -> u64;

    /// `Ok` while the lock on the backend is still this writer's (same lock
    /// id and generation); [`StateError::Fenced`], naming the new holder,
    /// once it is not (taken over, or removed).
    fn check(&self) -> Result<(), StateError>;

    /// Like [`Fence::check`], but asking the backend now rather than
    /// trusting a lease still fresh: what a writer calls when a
    /// conditional write was refused, to learn whether the lock moved.
    fn confirm(&self) -> Result<(), StateError> {
        self.check()
    }

    /// Whether the lock is still this writer's as far as it knows without
    /// asking the backend (no I/O): for a last-moment check right before a
    /// write leaves. Local locks answer true (their writes are fenced by
    /// the OS lock); a remote one, while its lease is fresh.
    fn still_fresh(&self) -> bool {
        true
    }

    /// Runs `write` only if the lock is still this writer's. Backends that
    /// can make the check and the write one step (a file lock, a
    /// conditional write) override this; the default checks, then writes.
    /// Keep `write` short: it runs while other holders wait.
    fn write_fenced(
        &self,
        write: &mut dyn FnMut() -> Result<(), StateError>,
    ) -> Result<(), StateError> {
        self.check()?;
        write()
    }
}

/// Runs `write` through `fence` when there is one, directly otherwise
/// (stores opened without a lock, for tests and tools).
pub(crate) fn fenced(
    fence: Option<&dyn Fence>,
    mut write: impl FnMut() -> Result<(), StateError>,
) -> Result<(), StateError> {
    match fence {
        Some(f) => f.write_fenced(&mut write),
        None => write(),
    }
}
