//! What the engine tells the outside world while it works. The engine never
//! prints: the CLI implements [`Reporter`] (progress bars, logs, JSON lines)
//! and tests collect events to assert on them.

use gantry_core::{Address, Notify};
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
    /// A provider's note about one resource: not a failure, but something
    /// the user should know (a setting AWS ignored, records left behind).
    ProviderWarning {
        address: Address,
        message: String,
    },
    /// A call failed in a way that may pass (throttled, transient, outcome
    /// unknown) after the SDK's own retries: attempt `attempt` of at most
    /// `attempts` follows after `delay`. `call` is `create`, `update`,
    /// `delete`, `read`, `find` or `list`; `address` is unset for a batched
    /// read of several resources and for the stack listing.
    Retrying {
        kind: String,
        address: Option<Address>,
        call: String,
        attempt: u32,
        attempts: u32,
        code: Option<String>,
        message: String,
        delay: Duration,
    },
    /// The stack inventory listed `objects`; `untracked` of them are not in
    /// the state and were confirmed by a read.
    InventoryListed {
        objects: usize,
        untracked: usize,
        elapsed: Duration,
    },
}

/// Turns provider notes into [`Event::ProviderWarning`]s: the engine passes
/// one as the `notes` of every request.
pub struct Notes<'a>(pub &'a dyn Reporter);

impl Notify for Notes<'_> {
    fn warn(&self, address: &Address, message: String) {
        self.0.event(Event::ProviderWarning {
            address: address.clone(),
            message,
        });
    }
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
