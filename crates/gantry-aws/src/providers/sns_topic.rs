//! `sns_topic`: a standard SNS topic encrypted with a KMS key of its region,
//! with Gantry's policy for CloudWatch alarms when `alarm_name_prefix` is
//! set (see [`super::sns::alarms_policy`]). The id is the topic ARN, which
//! names the region (a topic for CloudFront's alarms lives in us-east-1);
//! outputs `id`, `arn`, `name`.
//!
//! CreateTopic takes the key, the policy and the tags in one call and
//! answers with the existing topic's ARN when the name is taken with the
//! same settings; with other settings it fails, and the topic of that name
//! is adopted when its tags say it is this address (a lost reply). Reads are
//! one GetTopicAttributes per topic (SNS has no batch form).

use super::sns::*;
use crate::context::AwsContext;
use crate::error::has_code;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use gantry_core::kinds::SnsTopic;
use gantry_core::*;
use std::collections::HashMap;

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(arn: &str) -> Applied {
    let name = arn.rsplit(':').next().unwrap_or_default().to_string();
    Applied {
        id: arn.to_string(),
        outputs: outputs([
            ("id", arn.to_string()),
            ("arn", arn.to_string()),
            ("name", name),
        ]),
    }
}

impl Provider {
    /// The ARN a topic of these props has (the account from STS).
    async fn arn_for(&self, p: &SnsTopic) -> Result<String, ProviderError> {
        let region = region_or(&p.region, self.ctx.region());
        let account = self.ctx.account_id().await?;
        Ok(format!(
            "arn:{}:sns:{region}:{account}:{}",
            partition_of(region),
            p.name
        ))
    }

    /// The policy document to set for `p` on the topic `arn`.
    fn policy(p: &SnsTopic, arn: &str) -> serde_json::Value {
        match &p.alarm_name_prefix {
            Some(prefix) => alarms_policy(arn, prefix),
            None => default_policy(arn),
        }
    }

    /// The topic's attributes; `None` when it is gone.
    async fn attributes(&self, arn: &str) -> Result<Option<HashMap<String, String>>, ProviderError> {
        found(
            client_for(&self.ctx, arn)
                .get_topic_attributes()
                .topic_arn(arn)
                .send()
                .await
                .map(|o| o.attributes.unwrap_or_default())
                .map_err(Self::err),
        )
    }

    async fn set(&self, arn: &str, name: &str, value: String) -> Result<(), ProviderError> {
        client_for(&self.ctx, arn)
            .set_topic_attributes()
            .topic_arn(arn)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find_arn(
        &self,
        p: &SnsTopic,
        tags: &StackTags,
        address: &Address,
    ) -> Result<Option<String>, ProviderError> {
        let arn = self.arn_for(p).await?;
        if self.attributes(&arn).await?.is_none() {
            return Ok(None);
        }
        let t = found(tags_of(&self.ctx, &arn).await)?.unwrap_or_default();
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
    type Props = SnsTopic;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Both, "sns", |a| {
        // A topic's resource part is its name; subscriptions add `:ID`.
        arn::resource(a, "sns")
            .filter(|r| !r.is_empty() && !r.contains(':'))
            .map(|_| a.to_string())
    });

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, SnsTopic>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let arn = self.arn_for(p).await?;
        let out = client_for(&self.ctx, &arn)
            .create_topic()
            .name(&p.name)
            .attributes("KmsMasterKeyId", &p.kms_key_id)
            .attributes("Policy", Self::policy(p, &arn).to_string())
            .set_tags(Some(sns_tags(req.tag_set(None))?))
            .send()
            .await
            .map_err(Self::err);
        match out {
            Ok(o) => Ok(applied(o.topic_arn().unwrap_or(&arn))),
            // The name is taken with other settings: ours when its tags say
            // so (a create whose reply was lost), then brought to these.
            Err(e) if has_code(&e, &["InvalidParameter"]) => {
                let Some(arn) = self.find_arn(p, req.tags, req.address).await? else {
                    return Err(e);
                };
                self.set(&arn, "KmsMasterKeyId", p.kms_key_id.clone()).await?;
                self.set(&arn, "Policy", Self::policy(p, &arn).to_string())
                    .await?;
                Ok(applied(&arn))
            }
            Err(e) => Err(e),
        }
    }

    async fn read(&self, items: &[Item<'_, SnsTopic>]) -> Result<Vec<Seen<SnsTopic>>, ProviderError> {
        let stack_region = self.ctx.region().to_string();
        each::<Self, _, _>(&self.ctx, items, |arn, rec| {
            let stack_region = stack_region.clone();
            async move {
                let Some(attrs) = self.attributes(&arn).await? else {
                    return Ok(None);
                };
                let region = arn_parts(&arn).map(|(_, r, _)| r).unwrap_or_default();
                let policy = attrs
                    .get("Policy")
                    .map(|d| decode_policy(d))
                    .unwrap_or_default();
                let key = attrs.get("KmsMasterKeyId").cloned().unwrap_or_default();
                let props = SnsTopic {
                    name: arn.rsplit(':').next().unwrap_or_default().to_string(),
                    region: match &rec {
                        Some(r) if region_or(&r.region, &stack_region) == region => r.region.clone(),
                        _ if region == stack_region => String::new(),
                        _ => region.to_string(),
                    },
                    kms_key_id: kms_like(&key, rec.as_ref().map(|r| r.kms_key_id.as_str())),
                    alarm_name_prefix: prefix_of(&policy, &arn),
                };
                Ok(Some(Seen::new(arn.clone(), props, applied(&arn).outputs)))
            }
        })
        .await
    }

    async fn update(&self, req: Update<'_, SnsTopic>) -> Result<Applied, ProviderError> {
        let (old, new) = (&req.old, &req.new);
        if old.kms_key_id != new.kms_key_id {
            self.set(req.id, "KmsMasterKeyId", new.kms_key_id.clone())
                .await?;
        }
        if old.alarm_name_prefix != new.alarm_name_prefix {
            self.set(req.id, "Policy", Self::policy(new, req.id).to_string())
                .await?;
        }
        Ok(applied(req.id))
    }

    async fn delete(&self, req: Delete<'_, SnsTopic>) -> Result<(), ProviderError> {
        // Deleting the topic deletes its subscriptions, pending ones too.
        client_for(&self.ctx, req.id)
            .delete_topic()
            .topic_arn(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, SnsTopic>) -> Result<Option<Applied>, ProviderError> {
        Ok(self
            .find_arn(&req.props, req.tags, req.address)
            .await?
            .map(|arn| applied(&arn)))
    }
}
