//! Defaulted jobs (`jobs:`): a task like a service's, and what starts it.
//!
//! Defaults (see `docs/spec.md`): the schedule's time zone is UTC, and a
//! run that could not start is retried twice before it goes to the job's
//! dead-letter queue.

use crate::Service;
use serde::Serialize;

pub const DEFAULT_RETRIES: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    /// The task: containers, size, `uses`, as for a service (desired
    /// count 0: nothing keeps it running).
    pub task: Service,
    /// EventBridge Scheduler expression.
    pub schedule: Option<String>,
    pub timezone: String,
    /// The EventBridge pattern it runs on.
    pub on: Option<EventPattern>,
    pub retries: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventPattern {
    pub source: Vec<String>,
    pub detail_type: Vec<String>,
}

impl Job {
    pub fn name(&self) -> &str {
        &self.task.name
    }
}
