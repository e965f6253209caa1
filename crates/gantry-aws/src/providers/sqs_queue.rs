//! `sqs_queue`: an SQS queue encrypted with a KMS key, with its redrive
//! policy and, when topics deliver to it or rules send it what they could
//! not deliver, a queue policy admitting exactly those (`aws:SourceArn`). The id is the queue's ARN; its URL is
//! derived from it (SQS takes either form of URL, and the ARN is what the
//! tagging API lists); outputs `id`, `arn`, `url`, `name`.
//!
//! CreateQueue takes every attribute and the tags in one call and answers
//! with the existing queue when the name is taken with the same
//! attributes; with other attributes it fails, and the queue of that name
//! is adopted when its tags say it is this address (a reply lost after the
//! create). A name deleted less than a minute ago is refused
//! (`QueueDeletedRecently`) until SQS forgets it: the create waits that out.
//! Reads are one GetQueueAttributes per queue (SQS has no batch form).

use crate::context::AwsContext;
use crate::error::has_code;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_sqs::types::QueueAttributeName as A;
use gantry_core::kinds::{Redrive, SqsQueue};
use gantry_core::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

const NOT_FOUND: &[&str] = &[
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
];
/// The name is taken with other attributes.
const NAME_TAKEN: &[&str] = &["QueueAlreadyExists", "QueueNameExists"];
/// The name was deleted less than 60 seconds ago.
const DELETED_RECENTLY: &[&str] = &[
    "AWS.SimpleQueueService.QueueDeletedRecently",
    "QueueDeletedRecently",
];
/// SQS keeps a deleted name for 60 seconds.
const DELETED_NAME_WAIT: Duration = Duration::from_secs(70);
/// The `Sid`s of the statements admitting the topics and the rules, and
/// the service each admits.
const TOPICS: (&str, &str) = ("TopicsSend", "sns.amazonaws.com");
const RULES: (&str, &str) = ("RulesSend", "events.amazonaws.com");

pub(crate) struct Provider {
    ctx: AwsContext,
}

/// `arn:PART:sqs:REGION:ACCOUNT:NAME` → its queue URL.
fn url_of(arn: &str) -> Result<String, ProviderError> {
    match arn.split(':').collect::<Vec<_>>().as_slice() {
        [_, part, "sqs", region, account, name] if !name.is_empty() => {
            let domain = if *part == "aws-cn" {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            Ok(format!("https://sqs.{region}.{domain}/{account}/{name}"))
        }
        _ => Err(ProviderError::new(
            "InvalidId",
            format!("sqs_queue: `{arn}` is not an SQS queue ARN"),
        )),
    }
}

fn applied(arn: &str) -> Result<Applied, ProviderError> {
    let url = url_of(arn)?;
    let name = arn.rsplit(':').next().unwrap_or_default().to_string();
    Ok(Applied {
        id: arn.to_string(),
        outputs: outputs([
            ("id", arn.to_string()),
            ("arn", arn.to_string()),
            ("url", url),
            ("name", name),
        ]),
    })
}

/// The queue policy admitting exactly the topics and rules (by
/// `aws:SourceArn`) to send to the queue `arn`; `None` when none does.
fn policy(arn: &str, topics: &[String], rules: &[String]) -> Option<Value> {
    let statements: Vec<Value> = [(TOPICS, topics), (RULES, rules)]
        .into_iter()
        .filter(|(_, arns)| !arns.is_empty())
        .map(|((sid, service), arns)| {
            json!({
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sqs:SendMessage",
                "Resource": arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": arns}},
            })
        })
        .collect();
    (!statements.is_empty()).then(|| json!({"Version": "2012-10-17", "Statement": statements}))
}

/// The topics and rules a queue policy admits, as Gantry writes them. A
/// statement Gantry did not write comes back as its `Sid` in brackets
/// among the topics, so it shows in the plan as drift rather than
/// disappearing.
fn senders_of(doc: &str) -> (Vec<String>, Vec<String>) {
    let doc = decode_policy(doc);
    let (mut topics, mut rules) = (Vec::new(), Vec::new());
    for st in doc["Statement"].as_array().into_iter().flatten() {
        let arns = &st["Condition"]["ArnEquals"]["aws:SourceArn"];
        let is = |(sid, service): (&str, &str)| {
            st["Sid"] == sid
                && st["Effect"] == "Allow"
                && st["Principal"]["Service"] == service
                && st["Action"] == "sqs:SendMessage"
        };
        let list: Vec<String> = match arns {
            Value::String(a) => vec![a.clone()],
            Value::Array(l) => l.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => Vec::new(),
        };
        if is(TOPICS) && !list.is_empty() {
            topics.extend(list);
        } else if is(RULES) && !list.is_empty() {
            rules.extend(list);
        } else {
            topics.push(format!(
                "[statement {}]",
                st["Sid"].as_str().unwrap_or("without Sid")
            ));
        }
    }
    (topics, rules)
}

/// `arn:PART:events:REGION:ACCOUNT:rule/`, for the rules of the queue
/// `arn`'s account and region (the default bus).
fn rule_prefix(queue_arn: &str) -> String {
    let parts: Vec<&str> = queue_arn.split(':').collect();
    match parts.as_slice() {
        [_, part, _, region, account, _] => format!("arn:{part}:events:{region}:{account}:rule/"),
        _ => String::new(),
    }
}

/// The attributes to set for `p` on the queue `arn` (its policy needs the
/// ARN). Unset ones are written empty so an update removes them.
fn attributes(p: &SqsQueue, arn: &str) -> HashMap<A, String> {
    let mut a = HashMap::from([
        (A::VisibilityTimeout, p.visibility_timeout_seconds.to_string()),
        (A::MessageRetentionPeriod, p.message_retention_seconds.to_string()),
        (A::KmsMasterKeyId, p.kms_key_id.clone()),
        (
            A::RedrivePolicy,
            p.redrive
                .as_ref()
                .map(|r| {
                    json!({
                        "deadLetterTargetArn": r.dead_letter_target_arn,
                        "maxReceiveCount": r.max_receive_count,
                    })
                    .to_string()
                })
                .unwrap_or_default(),
        ),
        (
            A::Policy,
            policy(
                arn,
                &p.sender_topic_arns,
                &p.sender_rule_names
                    .iter()
                    .map(|n| format!("{}{n}", rule_prefix(arn)))
                    .collect::<Vec<_>>(),
            )
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
    ]);
    if p.fifo {
        a.insert(A::FifoQueue, "true".into());
    }
    a
}

/// The redrive policy SQS holds (`maxReceiveCount` comes back as a number
/// or a string).
fn redrive_of(doc: &str) -> Option<Redrive> {
    let v: Value = serde_json::from_str(doc).ok()?;
    let count = match &v["maxReceiveCount"] {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    Some(Redrive {
        dead_letter_target_arn: v["deadLetterTargetArn"].as_str()?.to_string(),
        max_receive_count: i32::try_from(count).ok()?,
    })
}

impl Provider {
    /// The ARN a queue of this name has (the account from STS).
    async fn arn_for(&self, name: &str) -> Result<String, ProviderError> {
        let region = self.ctx.region();
        let account = self.ctx.account_id().await?;
        Ok(format!(
            "arn:{}:sqs:{region}:{account}:{name}",
            partition_of(region)
        ))
    }

    async fn attributes(&self, arn: &str) -> Result<HashMap<A, String>, ProviderError> {
        self.ctx
            .sqs()
            .get_queue_attributes()
            .queue_url(url_of(arn)?)
            .attribute_names(A::All)
            .send()
            .await
            .map(|o| o.attributes.unwrap_or_default())
            .map_err(Self::err)
    }

    async fn set(&self, arn: &str, attrs: HashMap<A, String>) -> Result<(), ProviderError> {
        self.ctx
            .sqs()
            .set_queue_attributes()
            .queue_url(url_of(arn)?)
            .set_attributes(Some(attrs))
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    /// The queue of this name when its tags say it is `address`'s.
    async fn find_arn(
        &self,
        name: &str,
        tags: &StackTags,
        address: &Address,
    ) -> Result<Option<String>, ProviderError> {
        let arn = self.arn_for(name).await?;
        let url = url_of(&arn)?;
        let Some(t) = found(
            self.ctx
                .sqs()
                .list_queue_tags()
                .queue_url(&url)
                .send()
                .await
                .map(|o| o.tags.unwrap_or_default())
                .map_err(Self::err),
        )?
        else {
            return Ok(None);
        };
        let ours = tags_match(
            t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            tags,
            address,
        );
        Ok(ours.then_some(arn))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = SqsQueue;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "sqs", |a| {
        arn::resource(a, "sqs")
            .filter(|r| !r.is_empty() && !r.contains(['/', ':']))
            .map(|_| a.to_string())
    });

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, SqsQueue>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let arn = self.arn_for(&p.name).await?;
        let mut attrs = attributes(p, &arn);
        // Empty attributes are for updates; a create leaves them out.
        attrs.retain(|_, v| !v.is_empty());
        let tags: HashMap<String, String> = req.tag_set(None).into_iter().collect();
        let out = retry_codes(DELETED_RECENTLY, DELETED_NAME_WAIT, || async {
            self.ctx
                .sqs()
                .create_queue()
                .queue_name(&p.name)
                .set_attributes(Some(attrs.clone()))
                .set_tags(Some(tags.clone()))
                .send()
                .await
                .map_err(Self::err)
        })
        .await;
        match out {
            Ok(_) => applied(&arn),
            // The name is taken with other attributes: ours when its tags
            // say so (a create whose reply was lost), then brought to these.
            Err(e) if has_code(&e, NAME_TAKEN) => {
                let Some(arn) = self.find_arn(&p.name, req.tags, req.address).await? else {
                    return Err(e);
                };
                self.set(&arn, attributes(p, &arn)).await?;
                applied(&arn)
            }
            Err(e) => Err(e),
        }
    }

    async fn read(&self, items: &[Item<'_, SqsQueue>]) -> Result<Vec<Seen<SqsQueue>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |arn, rec| async move {
            let attrs = self.attributes(&arn).await?;
            let get = |k: A| attrs.get(&k).cloned().unwrap_or_default();
            let num = |k: A| get(k).parse::<i32>().unwrap_or_default();
            let (topics, rules) = senders_of(&get(A::Policy));
            let props = SqsQueue {
                name: arn.rsplit(':').next().unwrap_or_default().to_string(),
                fifo: get(A::FifoQueue) == "true",
                visibility_timeout_seconds: num(A::VisibilityTimeout),
                message_retention_seconds: num(A::MessageRetentionPeriod),
                kms_key_id: kms_like(
                    &get(A::KmsMasterKeyId),
                    rec.as_ref().map(|r| r.kms_key_id.as_str()),
                ),
                redrive: redrive_of(&get(A::RedrivePolicy)),
                sender_topic_arns: order_like(
                    topics,
                    rec.as_ref().map_or(&[], |r| r.sender_topic_arns.as_slice()),
                ),
                sender_rule_names: order_like(
                    rules
                        .into_iter()
                        .map(|a| a.strip_prefix(&rule_prefix(&arn)).map_or(a.clone(), str::to_string))
                        .collect(),
                    rec.as_ref().map_or(&[], |r| r.sender_rule_names.as_slice()),
                ),
            };
            Ok(Some(Seen::new(arn.clone(), props, applied(&arn)?.outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, SqsQueue>) -> Result<Applied, ProviderError> {
        // SetQueueAttributes takes them all at once; unchanged ones are no-ops.
        self.set(req.id, attributes(&req.new, req.id)).await?;
        applied(req.id)
    }

    async fn delete(&self, req: Delete<'_, SqsQueue>) -> Result<(), ProviderError> {
        // The messages go with it (the plan asked for the data flag).
        self.ctx
            .sqs()
            .delete_queue()
            .queue_url(url_of(req.id)?)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, SqsQueue>) -> Result<Option<Applied>, ProviderError> {
        match self
            .find_arn(&req.props.name, req.tags, req.address)
            .await?
        {
            Some(arn) => applied(&arn).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_come_from_arns() {
        assert_eq!(
            url_of("arn:aws:sqs:eu-west-1:123456789012:app-dev-jobs").unwrap(),
            "https://sqs.eu-west-1.amazonaws.com/123456789012/app-dev-jobs"
        );
        assert_eq!(
            url_of("arn:aws-cn:sqs:cn-north-1:123456789012:q.fifo").unwrap(),
            "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q.fifo"
        );
        assert!(url_of("arn:aws:sns:us-east-1:123456789012:t").is_err());
    }

    #[test]
    fn the_policy_reads_back_as_its_senders_and_foreign_statements_show() {
        let arn = "arn:aws:sqs:us-east-1:1:q";
        let topics = vec!["arn:aws:sns:us-east-1:1:a".to_string()];
        let rules = vec!["arn:aws:events:us-east-1:1:rule/r".to_string()];
        let doc = policy(arn, &topics, &rules).unwrap().to_string();
        assert_eq!(senders_of(&doc), (topics.clone(), rules));
        let doc = policy(arn, &topics, &[]).unwrap().to_string();
        assert_eq!(senders_of(&doc), (topics, vec![]));
        assert!(policy(arn, &[], &[]).is_none());
        let foreign = json!({"Statement": [{"Sid": "Other", "Effect": "Allow"}]}).to_string();
        assert_eq!(senders_of(&foreign).0, vec!["[statement Other]".to_string()]);
        assert_eq!(senders_of(""), (vec![], vec![]));
    }

    #[test]
    fn rules_are_named_in_the_queues_account_and_region() {
        assert_eq!(
            rule_prefix("arn:aws:sqs:eu-west-1:123:q"),
            "arn:aws:events:eu-west-1:123:rule/"
        );
    }

    #[test]
    fn redrive_counts_read_as_numbers_or_strings() {
        for doc in [
            r#"{"deadLetterTargetArn":"arn:d","maxReceiveCount":5}"#,
            r#"{"deadLetterTargetArn":"arn:d","maxReceiveCount":"5"}"#,
        ] {
            assert_eq!(
                redrive_of(doc),
                Some(Redrive {
                    dead_letter_target_arn: "arn:d".into(),
                    max_receive_count: 5
                })
            );
        }
        assert_eq!(redrive_of(""), None);
    }
}
