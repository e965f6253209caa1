//! What the engine tells the outside world while it works. The engine never
//! prints: the CLI implements [`Reporter`] (progress bars, logs, JSON lines)
//! and tests collect events to assert on them.

use gantry_core::Address;
use gantry_state::Op;
use serde::Serialize;
use std::sync::Mutex;
use std::time::Duration;

/// One thing that happened during recovery, refresh, apply or destroy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A previous run was interrupted; `pending` operations are resolved.
    RecoveryStarted {
        pending: usize,
    },
    /// A resource created by an interrupted run was found and recorded.
    Adopted {
        address: Address,
        id: String,
    },
    /// An interrupted operation was resolved without adoption.
    Recovered {
        address: Address,
        op: Op,
        outcome: String,
    },
    RefreshStarted {
        kinds: usize,
        resources: usize,
    },
    /// One batched read of a kind finished.
    RefreshedKind {
        kind: String,
        resources: usize,
        gone: usize,
        elapsed: Duration,
    },
    Started {
        address: Address,
        op: Op,
        /// The physical id acted on (update, delete).
        id: Option<String>,
    },
    Finished {
        address: Address,
        op: Op,
        id: Option<String>,
        elapsed: Duration,
    },
    Failed {
        address: Address,
        op: Op,
        code: Option<String>,
        message: String,
    },
    /// Not attempted because something it needs failed (`because` is that
    /// address) or the run was cancelled (`because` is `None`).
    Skipped {
        address: Address,
        op: Op,
        because: Option<Address>,
    },
    /// Cancellation seen: nothing new starts, `in_flight` calls finish.
    Cancelling {
        in_flight: usize,
    },
    Warning {
        message: String,
    },
}

/// Receives the engine's events. Called from many tasks at once: keep it
/// quick and non-blocking.
pub trait Reporter: Send + Sync {
    fn event(&self, e: Event);
}

/// Discards every event.
pub struct NullReporter;

impl Reporter for NullReporter {
    fn event(&self, _e: Event) {}
}

/// Keeps every event in memory (tests, `--json` summaries).
#[derive(Default)]
pub struct CollectingReporter {
    events: Mutex<Vec<Event>>,
}

impl CollectingReporter {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().expect("events").clone()
    }
}

impl Reporter for CollectingReporter {
    fn event(&self, e: Event) {
        self.events.lock().expect("events").push(e);
    }
}
