//! Queues and topics (a part of [`crate::data`]): an SQS queue per
//! `queues` entry with its dead-letter queue, an SNS topic per `topics`
//! entry, and the topics' subscriptions.
//!
//! Everything is encrypted with the stack key. A queue admits exactly the
//! topics that deliver to it (its policy names their ARNs), and the key
//! admits SNS for this account only, which SNS needs to write to an
//! encrypted queue. Queue subscriptions deliver the raw message, so a
//! consumer reads what the publisher sent.

use super::{Built, Stores};
use crate::naming::{fnv1a, short_name, slug};
use crate::Graph;
use gantry_core::kinds::{self, Redrive, SnsTopic, SnsTopicSubscription, SqsQueue};
use gantry_core::{reference, Resource};
use gantry_model::MAX_RETENTION_DAYS;

/// SQS queue names: at most 80 characters, `.fifo` included.
const MAX_QUEUE_NAME: usize = 80;
const DAY: u32 = 86_400;

/// The queue name for `stem`, with `.fifo` for a FIFO queue.
fn queue_name(stem: &str, fifo: bool) -> String {
    if fifo {
        format!("{}.fifo", short_name(stem, MAX_QUEUE_NAME - 5))
    } else {
        short_name(stem, MAX_QUEUE_NAME)
    }
}

impl Stores<'_> {
    /// The topics first (the queues' policies name them), then each queue
    /// with its dead-letter queue, then the subscriptions.
    pub(super) fn messaging(&self, b: &mut Built, g: &mut Graph) {
        let m = self.m;
        let Some(key) = b.key.as_ref().map(|k| reference(k, "arn")) else {
            return;
        };
        for t in &m.topics {
            let addr = g.add(Resource::new(
                kinds::SNS_TOPIC,
                &t.name,
                &SnsTopic {
                    name: short_name(&format!("{}-{}", self.prefix, t.name), 256),
                    region: String::new(),
                    kms_key_id: key.clone(),
                    alarm_name_prefix: None,
                },
            ));
            b.topics.insert(t.name.clone(), addr);
        }
        for q in &m.queues {
            let stem = format!("{}-{}", self.prefix, q.name);
            let redrive = q.max_receives.map(|n| {
                let dlq = g.add(Resource::new(
                    kinds::SQS_QUEUE,
                    &format!("{}-dlq", q.name),
                    &SqsQueue {
                        name: queue_name(&format!("{stem}-dlq"), q.fifo),
                        fifo: q.fifo,
                        visibility_timeout_seconds: q.visibility_timeout as i32,
                        // The longest SQS allows: time to look at what failed.
                        message_retention_seconds: (MAX_RETENTION_DAYS * DAY) as i32,
                        kms_key_id: key.clone(),
                        redrive: None,
                        sender_topic_arns: Vec::new(),
                        sender_rule_names: Vec::new(),
                    },
                ));
                Redrive {
                    dead_letter_target_arn: reference(&dlq, "arn"),
                    max_receive_count: n as i32,
                }
            });
            let senders = m
                .topics
                .iter()
                .filter(|t| t.queues.contains(&q.name))
                .map(|t| reference(&b.topics[&t.name], "arn"))
                .collect();
            let addr = g.add(Resource::new(
                kinds::SQS_QUEUE,
                &q.name,
                &SqsQueue {
                    name: queue_name(&stem, q.fifo),
                    fifo: q.fifo,
                    visibility_timeout_seconds: q.visibility_timeout as i32,
                    message_retention_seconds: (q.retention_days * DAY) as i32,
                    kms_key_id: key.clone(),
                    redrive,
                    sender_topic_arns: senders,
                    sender_rule_names: Vec::new(),
                },
            ));
            b.queues.insert(q.name.clone(), addr);
        }
        for t in &m.topics {
            let topic = &b.topics[&t.name];
            for q in &t.queues {
                g.add(Resource::new(
                    kinds::SNS_TOPIC_SUBSCRIPTION,
                    &format!("{}-{q}", t.name),
                    &SnsTopicSubscription {
                        topic_arn: reference(topic, "arn"),
                        protocol: "sqs".into(),
                        endpoint: reference(&b.queues[q], "arn"),
                        raw_message_delivery: true,
                    },
                ));
            }
            let mut names = std::collections::BTreeSet::new();
            for email in &t.emails {
                // Two addresses may slug alike (`a.b@x`, `a-b@x`): the second gets a hash.
                let mut name = format!("{}-{}", t.name, slug(email));
                if !names.insert(name.clone()) {
                    name = format!("{name}-{:04x}", fnv1a(email) & 0xffff);
                }
                g.add(
                    Resource::new(
                        kinds::SNS_TOPIC_SUBSCRIPTION,
                        &name,
                        &SnsTopicSubscription {
                            topic_arn: reference(topic, "arn"),
                            protocol: "email".into(),
                            endpoint: email.clone(),
                            raw_message_delivery: false,
                        },
                    )
                    .with_note(format!(
                        "{email} receives topic {} only after confirming the email SNS sends it",
                        t.name
                    )),
                );
            }
        }
    }
}
