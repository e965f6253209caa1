//! Defaulted queues and topics (`queues:`, `topics:`).
//!
//! Defaults (see `docs/spec.md`): standard queues, a 30-second visibility
//! timeout, four days of retention, and a dead-letter queue that takes a
//! message after five receives without a delete and keeps it the longest
//! SQS allows (14 days), so nothing a consumer keeps failing on is lost.

use gantry_spec::{Dlq, Spec, Subscriber};
use serde::Serialize;

/// Receives before a message moves to the dead-letter queue.
pub const DEFAULT_MAX_RECEIVES: u32 = 5;
/// The longest SQS keeps a message: what a dead-letter queue keeps.
pub const MAX_RETENTION_DAYS: u32 = 14;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Queue {
    pub name: String,
    pub fifo: bool,
    /// Seconds.
    pub visibility_timeout: u32,
    pub retention_days: u32,
    /// Receives before a message moves to the dead-letter queue; `None`:
    /// no dead-letter queue.
    pub max_receives: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Topic {
    pub name: String,
    /// Queues it delivers to, by name, in the order written.
    pub queues: Vec<String>,
    /// Addresses it emails, in the order written.
    pub emails: Vec<String>,
}

pub(crate) fn queues(spec: &Spec) -> Vec<Queue> {
    spec.queues
        .iter()
        .map(|(name, q)| {
            let q = q.clone().unwrap_or_default();
            Queue {
                name: name.value.clone(),
                fifo: q.fifo.is_some_and(|f| f.value),
                visibility_timeout: q.visibility_timeout.map_or(30, |v| v.value),
                retention_days: q.retention_days.map_or(4, |v| v.value),
                max_receives: match q.dlq.map(|d| d.value) {
                    Some(Dlq::Enabled(false)) => None,
                    Some(Dlq::Settings {
                        max_receives: Some(n),
                    }) => Some(n),
                    _ => Some(DEFAULT_MAX_RECEIVES),
                },
            }
        })
        .collect()
}

pub(crate) fn topics(spec: &Spec) -> Vec<Topic> {
    spec.topics
        .iter()
        .map(|(name, t)| {
            let subs = t.as_ref().map(|t| t.subscribers.as_slice()).unwrap_or(&[]);
            Topic {
                name: name.value.clone(),
                queues: subs
                    .iter()
                    .filter_map(|s| match &s.value {
                        Subscriber::Queue(q) => Some(q.clone()),
                        Subscriber::Email { .. } => None,
                    })
                    .collect(),
                emails: subs
                    .iter()
                    .filter_map(|s| match &s.value {
                        Subscriber::Email { email } => Some(email.clone()),
                        Subscriber::Queue(_) => None,
                    })
                    .collect(),
            }
        })
        .collect()
}
