//! `sns_topic_subscription`: an endpoint (an email address, or a queue
//! taking raw messages) subscribed to a topic. Subscribe asks for `ReturnSubscriptionArn`, so a subscription still
//! waiting for its address to confirm has an ARN of its own, which is the
//! id; outputs `id`, `arn`, `pending` (`true` until the address confirms:
//! SNS delivers nothing to it before).
//!
//! Subscribing the same endpoint again answers with the same subscription,
//! so a create after a lost reply makes no second one. Reads list each
//! topic's subscriptions once (ListSubscriptionsByTopic, 100 a page); SNS
//! lists a pending subscription as `PendingConfirmation`, without its ARN,
//! so it is matched by protocol and endpoint; a queue's raw delivery is read
//! from its subscription's attributes. Subscriptions carry no tags:
//! they live inside their topic and go when it goes. SNS refuses to
//! unsubscribe a pending one: a delete then succeeds with a warning, the
//! subscription expiring on its own (three days) or going with its topic.

use super::sns::*;
use crate::context::AwsContext;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_sns::types::Subscription;
use gantry_core::kinds::SnsTopicSubscription;
use gantry_core::*;
use std::collections::BTreeMap;

pub(crate) struct Provider {
    ctx: AwsContext,
}

/// What SNS lists instead of the ARN of a subscription not yet confirmed.
fn is_pending(arn: &str) -> bool {
    arn.eq_ignore_ascii_case("PendingConfirmation") || arn.eq_ignore_ascii_case("pending confirmation")
}

/// Whether SNS refused an Unsubscribe because the subscription still
/// waits for its address to confirm (`InvalidParameter`, "Cannot
/// unsubscribe a subscription that is pending confirmation").
fn refused_as_pending(e: &ProviderError) -> bool {
    e.code.as_deref() == Some("InvalidParameter")
        && e.message.to_ascii_lowercase().contains("pending confirmation")
}

fn applied(arn: &str, pending: bool) -> Applied {
    Applied {
        id: arn.to_string(),
        outputs: outputs([
            ("id", arn.to_string()),
            ("arn", arn.to_string()),
            ("pending", pending.to_string()),
        ]),
    }
}

impl Provider {
    /// Every subscription of a topic; empty when the topic is gone.
    async fn of_topic(&self, topic: &str) -> Result<Vec<Subscription>, ProviderError> {
        let r: Result<Vec<Subscription>, _> = client_for(&self.ctx, topic)
            .list_subscriptions_by_topic()
            .topic_arn(topic)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        Ok(found(r.map_err(Self::err))?.unwrap_or_default())
    }

    /// Whether the subscription `arn`'s attribute `name` is `true` (asked
    /// of the subscription itself, which knows its ARN even when pending).
    async fn flag(&self, arn: &str, name: &str) -> Result<bool, ProviderError> {
        let out = client_for(&self.ctx, arn)
            .get_subscription_attributes()
            .subscription_arn(arn)
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out
            .attributes()
            .and_then(|a| a.get(name))
            .is_some_and(|v| v == "true"))
    }

    /// Whether the subscription `arn` waits for confirmation.
    async fn pending(&self, arn: &str) -> Result<bool, ProviderError> {
        self.flag(arn, "PendingConfirmation").await
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = SnsTopicSubscription;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = Listing::Inside(gantry_core::kinds::SNS_TOPIC);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, SnsTopicSubscription>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let out = client_for(&self.ctx, &p.topic_arn)
            .subscribe()
            .topic_arn(&p.topic_arn)
            .protocol(&p.protocol)
            .endpoint(&p.endpoint)
            .set_attributes(
                p.raw_message_delivery
                    .then(|| [("RawMessageDelivery".to_string(), "true".to_string())].into()),
            )
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(Self::err)?;
        let arn = required(out.subscription_arn, "Subscribe", "SubscriptionArn")?;
        let pending = self.pending(&arn).await?;
        if pending {
            req.warn(format!(
                "{} must confirm the subscription (SNS sent it an email); alarms reach it only after that",
                p.endpoint
            ));
        }
        Ok(applied(&arn, pending))
    }

    async fn read(
        &self,
        items: &[Item<'_, SnsTopicSubscription>],
    ) -> Result<Vec<Seen<SnsTopicSubscription>>, ProviderError> {
        // One listing per topic, the topics concurrently.
        let mut by_topic: BTreeMap<String, Vec<&Item<'_, SnsTopicSubscription>>> = BTreeMap::new();
        for i in items {
            let topic = match (&i.recorded, topic_of(i.id)) {
                (Some(r), _) => r.topic_arn.clone(),
                (None, Some(t)) => t.to_string(),
                (None, None) => continue,
            };
            by_topic.entry(topic).or_default().push(i);
        }
        let listed = bounded(&self.ctx, "sns", by_topic.keys().cloned(), |topic| async move {
            let subs = self.of_topic(&topic).await?;
            Ok((topic, subs))
        })
        .await?;
        let mut out = Vec::new();
        for (topic, subs) in listed {
            for item in &by_topic[&topic] {
                let rec = item.recorded.as_ref();
                let hit = subs.iter().find(|s| s.subscription_arn() == Some(item.id)).or_else(|| {
                    // A pending subscription is listed without its ARN.
                    let r = rec?;
                    subs.iter().find(|s| {
                        s.subscription_arn().is_some_and(is_pending)
                            && s.protocol() == Some(r.protocol.as_str())
                            && s.endpoint() == Some(r.endpoint.as_str())
                    })
                });
                let Some(s) = hit else {
                    continue;
                };
                let pending = s.subscription_arn().is_some_and(is_pending);
                let protocol = s.protocol().unwrap_or_default().to_string();
                // Email has no raw form; only the others are asked.
                let raw = protocol != "email" && !pending && self.flag(item.id, "RawMessageDelivery").await?;
                let props = SnsTopicSubscription {
                    topic_arn: topic.clone(),
                    protocol,
                    endpoint: s.endpoint().unwrap_or_default().to_string(),
                    raw_message_delivery: raw,
                };
                out.push(Seen::new(item.id, props, applied(item.id, pending).outputs));
            }
        }
        Ok(out)
    }

    async fn update(&self, req: Update<'_, SnsTopicSubscription>) -> Result<Applied, ProviderError> {
        // Every field forces a new subscription: nothing changes in place.
        Ok(applied(req.id, self.pending(req.id).await?))
    }

    async fn delete(&self, req: Delete<'_, SnsTopicSubscription>) -> Result<(), ProviderError> {
        let r = client_for(&self.ctx, req.id)
            .unsubscribe()
            .subscription_arn(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err);
        match r {
            // SNS refuses to unsubscribe an address that never confirmed; it
            // drops the subscription itself after three days, or with its
            // topic, and delivers nothing to it meanwhile (CloudFormation
            // skips it the same way).
            Err(e) if refused_as_pending(&e) => {
                let who = req
                    .recorded
                    .as_ref()
                    .map_or_else(|| req.id.to_string(), |p| p.endpoint.clone());
                req.warn(format!(
                    "{who} never confirmed its subscription: SNS keeps it pending (it receives nothing) until it expires after three days or its topic is deleted"
                ));
                Ok(())
            }
            other => other,
        }
    }

    async fn find(&self, req: Find<'_, SnsTopicSubscription>) -> Result<Option<Applied>, ProviderError> {
        // A confirmed one is adopted; a pending one is listed without its
        // ARN, and subscribing again (the create) answers with it.
        let p = &req.props;
        Ok(self
            .of_topic(&p.topic_arn)
            .await?
            .iter()
            .find(|s| s.protocol() == Some(p.protocol.as_str()) && s.endpoint() == Some(p.endpoint.as_str()))
            .and_then(|s| s.subscription_arn())
            .filter(|a| !is_pending(a))
            .map(|a| applied(a, false)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_subscriptions_are_told_apart() {
        assert!(is_pending("PendingConfirmation") && is_pending("pending confirmation"));
        assert!(!is_pending("arn:aws:sns:eu-west-1:1:t:0b1c"));
        let refused = ProviderError::new(
            "InvalidParameter",
            "Invalid parameter: SubscriptionArn Reason: Cannot unsubscribe a subscription that is pending confirmation",
        );
        assert!(refused_as_pending(&refused));
        let other = ProviderError::new("InvalidParameter", "Invalid parameter: SubscriptionArn");
        assert!(!refused_as_pending(&other));
    }
}
