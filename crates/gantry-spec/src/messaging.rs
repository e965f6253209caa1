//! Queues and topics (seed 004's messaging): the `queues:` and `topics:`
//! keys and their validation.
//!
//! Queue and topic names share the store namespace (`uses: [jobs]` injects
//! `JOBS_QUEUE_URL`), so their name checks run with the stores'
//! ([`crate::stores::check_names`]); this module checks their values and
//! the subscriptions between them.

use crate::diag::{choice_hint, Problems};
use crate::span::Sp;
use crate::types::Spec;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Longest visibility timeout SQS allows (12 hours), in seconds.
pub const MAX_VISIBILITY_TIMEOUT: u32 = 43_200;

/// An SQS queue, encrypted with the stack key, with a dead-letter queue.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    /// A FIFO queue (exactly-once, ordered per message group). Default
    /// false.
    pub fifo: Option<Sp<bool>>,
    /// Seconds a received message stays hidden from other consumers
    /// (0 to 43200). Default 30.
    pub visibility_timeout: Option<Sp<u32>>,
    /// Days a message is kept (1 to 14). Default 4.
    pub retention_days: Option<Sp<u32>>,
    /// The dead-letter queue: `{max_receives: N}` moves a message there
    /// after N receives without a delete (1 to 1000). Default on with 5;
    /// `false` turns it off.
    pub dlq: Option<Sp<Dlq>>,
}

/// A queue's dead-letter queue: on/off, or its settings.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Dlq {
    Enabled(bool),
    Settings {
        /// Receives before a message moves to the dead-letter queue.
        max_receives: Option<u32>,
    },
}

/// An SNS topic, encrypted with the stack key.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Who receives what is published: a queue's name (the raw message is
    /// delivered; the queue's policy admits exactly this topic), or
    /// `{email: ADDRESS}` (the address must confirm SNS's email first).
    #[serde(default)]
    pub subscribers: Vec<Sp<Subscriber>>,
}

/// One subscriber of a topic.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Subscriber {
    Queue(String),
    Email { email: String },
}

fn range(p: &mut Problems, what: &str, v: Option<&Sp<u32>>, lo: u32, hi: u32) {
    if let Some(v) = v {
        if !(lo..=hi).contains(&v.value) {
            p.push(
                v.pos,
                format!("{what} {} is out of range", v.value),
                format!("use {lo} to {hi}"),
            );
        }
    }
}

/// Values of queues and topics, and that every subscriber exists.
pub(crate) fn check_view(spec: &Spec, p: &mut Problems) {
    for q in spec.queues.values().flatten() {
        range(
            p,
            "visibility_timeout",
            q.visibility_timeout.as_ref(),
            0,
            MAX_VISIBILITY_TIMEOUT,
        );
        range(p, "retention_days", q.retention_days.as_ref(), 1, 14);
        if let Some(d) = &q.dlq {
            if let Dlq::Settings {
                max_receives: Some(n),
            } = d.value
            {
                if !(1..=1000).contains(&n) {
                    p.push(
                        d.pos,
                        format!("max_receives {n} is out of range"),
                        "use 1 to 1000".to_string(),
                    );
                }
            }
        }
    }
    let queues: Vec<&str> = spec.queues.keys().map(|k| k.as_str()).collect();
    for (tname, t) in &spec.topics {
        let Some(t) = t else { continue };
        let mut seen: Vec<String> = Vec::new();
        for s in &t.subscribers {
            let key = match &s.value {
                Subscriber::Queue(q) => {
                    match spec.queues.get(q.as_str()) {
                        None => p.push(
                            s.pos,
                            format!("topic `{}` delivers to unknown queue `{q}`", tname.value),
                            if queues.is_empty() {
                                "define it under `queues`, or write `{email: ADDRESS}`".to_string()
                            } else {
                                choice_hint(q, "queues", &queues)
                            },
                        ),
                        Some(Some(queue)) if queue.fifo.as_ref().is_some_and(|f| f.value) => p.push(
                            s.pos,
                            format!("topic `{}` cannot deliver to the FIFO queue `{q}`", tname.value),
                            "a standard SNS topic delivers to standard queues only; make the queue standard or publish to it directly".to_string(),
                        ),
                        _ => {}
                    }
                    format!("queue:{q}")
                }
                Subscriber::Email { email } => {
                    if !is_email(email) {
                        p.push(
                            s.pos,
                            format!("invalid email address `{email}`"),
                            "write an address like `ops@example.com`".to_string(),
                        );
                    }
                    format!("email:{email}")
                }
            };
            if seen.contains(&key) {
                p.push(
                    s.pos,
                    format!("topic `{}` lists the same subscriber twice", tname.value),
                    "list each subscriber once".to_string(),
                );
            }
            seen.push(key);
        }
    }
}

/// A plausible address: one `@`, a dotted domain, no spaces.
pub(crate) fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}
