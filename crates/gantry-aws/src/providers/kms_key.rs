//! `kms_key`: a customer-managed symmetric KMS key with its alias. The id is
//! the key id; outputs add `arn`. A `null` policy means the AWS default key
//! policy (the account root may do everything). With
//! `logs_log_group_prefix`, the provider appends a statement letting
//! CloudWatch Logs (`logs.REGION.amazonaws.com`) encrypt and decrypt with the
//! key for log groups `arn:PARTITION:logs:REGION:ACCOUNT:log-group:PREFIX*`
//! only: the account id comes from STS at apply time, which is why the
//! architect cannot write it. Reads split that statement back off, so the
//! plan compares the same two fields the architect wrote. With
//! `cloudwatch_alarms`, a statement `CloudWatchAlarms` lets
//! `cloudwatch.amazonaws.com` use the key (`kms:Decrypt`,
//! `kms:GenerateDataKey*`), as AWS documents for alarms notifying a topic
//! encrypted with it; it is split off the same way, as is the statement
//! `AwsServicesForAccount` admitting `service_principals` (SNS delivering
//! to an encrypted queue) for the account only. A key with a `region`
//! lives there (a topic for CloudFront's alarms is in us-east-1, and SNS
//! encrypts with keys of its own region); its id is still the key id, so
//! reads of a key the state does not record look in the stack's region,
//! then in us-east-1. Deleting removes the alias
//! and schedules the key's deletion after `deletion_window_in_days`, which is
//! deletion in KMS terms: a key pending deletion counts as gone everywhere.

use crate::context::{AwsContext, GLOBAL_REGION};
use crate::error::has_code;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_kms::types::{KeyMetadata, KeyState, Tag};
use futures::stream::{self, StreamExt, TryStreamExt};
use gantry_core::kinds::KmsKey;
use crate::shape::*;
use gantry_core::*;
use serde_json::{json, Value};

const NOT_FOUND: &[&str] = &["NotFoundException"];
/// The `Sid` of the CloudWatch Logs statement Gantry writes.
const LOGS_SID: &str = "CloudWatchLogs";
/// The `Sid` of the CloudWatch alarms statement Gantry writes.
const ALARMS_SID: &str = "CloudWatchAlarms";

/// The statement letting CloudWatch alarms use the key for an encrypted
/// topic they notify, as AWS documents it (SNS asks KMS on the alarm's
/// behalf; the topic's own policy limits who may publish).
fn alarms_statement() -> Value {
    json!({
        "Sid": ALARMS_SID,
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*"
    })
}

/// The `Sid` of the statement admitting AWS services for the account.
const SERVICES_SID: &str = "AwsServicesForAccount";

/// The statement letting AWS services use the key on behalf of `account`
/// only: SNS delivering to a queue encrypted with it needs to.
fn services_statement(services: &[String], account: &str) -> Value {
    json!({
        "Sid": SERVICES_SID,
        "Effect": "Allow",
        "Principal": {"Service": services},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}}
    })
}

/// Removes Gantry's services statement from a policy document and returns
/// its services; one that is not exactly as Gantry writes it stays.
fn split_services(doc: &mut Value, account: &str) -> Vec<String> {
    let Some(stmts) = doc.get_mut("Statement").and_then(Value::as_array_mut) else {
        return Vec::new();
    };
    let Some(i) = stmts.iter().position(|st| st["Sid"] == SERVICES_SID) else {
        return Vec::new();
    };
    let services: Vec<String> = match &stmts[i]["Principal"]["Service"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => return Vec::new(),
    };
    if stmts[i] != services_statement(&services, account) {
        return Vec::new();
    }
    stmts.remove(i);
    services
}

/// Removes Gantry's alarms statement from a policy document; true when it
/// was there exactly as Gantry writes it.
fn split_alarms(doc: &mut Value) -> bool {
    let Some(stmts) = doc.get_mut("Statement").and_then(Value::as_array_mut) else {
        return false;
    };
    match stmts.iter().position(|st| *st == alarms_statement()) {
        Some(i) => {
            stmts.remove(i);
            true
        }
        None => false,
    }
}

/// The ARN partition of a region.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The statement admitting CloudWatch Logs of `region` for the log groups
/// named `prefix*` of `account`, as AWS documents it for encrypted log groups.
fn logs_statement(region: &str, account: &str, prefix: &str) -> Value {
    let part = partition(region);
    let suffix = if part == "aws-cn" {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    json!({
        "Sid": LOGS_SID,
        "Effect": "Allow",
        "Principal": {"Service": format!("logs.{region}.{suffix}")},
        "Action": [
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:Describe*"
        ],
        "Resource": "*",
        "Condition": {"ArnLike": {
            "kms:EncryptionContext:aws:logs:arn":
                format!("arn:{part}:logs:{region}:{account}:log-group:{prefix}*")
        }}
    })
}

/// Splits Gantry's Logs statement off a policy document: the rest of the
/// document and the log group prefix. A statement with that `Sid` that is
/// not exactly what Gantry writes stays in the document (and shows as drift).
fn split_logs(mut doc: Value, region: &str, account: &str) -> (Value, Option<String>) {
    let Some(stmts) = doc.get_mut("Statement").and_then(Value::as_array_mut) else {
        return (doc, None);
    };
    let found = stmts.iter().position(|st| {
        st.get("Sid").and_then(Value::as_str) == Some(LOGS_SID)
            && logs_prefix_of(st).is_some_and(|p| *st == logs_statement(region, account, &p))
    });
    match found {
        Some(i) => {
            let st = stmts.remove(i);
            (doc, logs_prefix_of(&st))
        }
        None => (doc, None),
    }
}

/// The log group prefix in a Logs statement's condition.
fn logs_prefix_of(st: &Value) -> Option<String> {
    let arn = st
        .pointer("/Condition/ArnLike/kms:EncryptionContext:aws:logs:arn")?
        .as_str()?;
    let (_, rest) = arn.split_once(":log-group:")?;
    Some(rest.strip_suffix('*')?.to_string())
}

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(m: &KeyMetadata) -> Applied {
    let id = m.key_id().to_string();
    Applied {
        outputs: outputs([
            ("id", id.clone()),
            ("arn", m.arn().unwrap_or_default().to_string()),
        ]),
        id,
    }
}

/// Pending deletion (or deleted) keys are gone for Gantry's purposes.
pub(crate) fn is_live(m: &KeyMetadata) -> bool {
    !matches!(
        m.key_state(),
        Some(KeyState::PendingDeletion) | Some(KeyState::PendingReplicaDeletion)
    )
}

impl Provider {
    /// The key's region: its own, else the stack's.
    fn region_of<'a>(&'a self, p: &'a KmsKey) -> &'a str {
        region_or(&p.region, self.ctx.region())
    }

    async fn describe(&self, region: &str, id: &str) -> Result<Option<KeyMetadata>, ProviderError> {
        match self.ctx.kms_in(region).describe_key().key_id(id).send().await {
            Ok(out) => Ok(out.key_metadata.filter(is_live)),
            Err(e) => none_if_gone(Self::err(e)),
        }
    }

    /// The key's first customer alias (`alias/...`, not `alias/aws/...`).
    async fn alias_of(&self, region: &str, key_id: &str) -> Result<Option<String>, ProviderError> {
        let aliases: Vec<_> = self
            .ctx
            .kms_in(region)
            .list_aliases()
            .key_id(key_id)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(Self::err)?;
        // The emulator ignores the key filter: check the target too.
        Ok(aliases
            .into_iter()
            .filter(|a| a.target_key_id() == Some(key_id))
            .filter_map(|a| a.alias_name)
            .find(|n| !n.starts_with("alias/aws/")))
    }

    /// AWS's default key policy: the account may do everything, and IAM
    /// policies decide the rest.
    async fn default_policy(&self, region: &str) -> Result<Value, ProviderError> {
        let account = self.ctx.account_id().await?;
        let part = partition(region);
        Ok(json!({
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [{
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:{part}:iam::{account}:root")},
                "Action": "kms:*",
                "Resource": "*"
            }]
        }))
    }

    /// The policy document to set: `None` leaves AWS's default (only when
    /// neither a policy nor the Logs statement is asked for).
    async fn rendered(&self, p: &KmsKey) -> Result<Option<Value>, ProviderError> {
        if p.logs_log_group_prefix.is_none() && !p.cloudwatch_alarms && p.service_principals.is_empty() {
            return Ok((!p.policy.is_null()).then(|| p.policy.clone()));
        }
        let region = self.region_of(p);
        let mut doc = if p.policy.is_null() {
            self.default_policy(region).await?
        } else {
            p.policy.clone()
        };
        let account = self.ctx.account_id().await?;
        let mut add = Vec::new();
        if let Some(prefix) = &p.logs_log_group_prefix {
            add.push(logs_statement(region, &account, prefix));
        }
        if p.cloudwatch_alarms {
            add.push(alarms_statement());
        }
        if !p.service_principals.is_empty() {
            add.push(services_statement(&p.service_principals, &account));
        }
        match doc.get_mut("Statement").and_then(Value::as_array_mut) {
            Some(stmts) => stmts.extend(add),
            None => return Err(ProviderError::new(
                "InvalidProperties",
                "kms_key: the policy has no Statement list to add the CloudWatch statements to",
            )),
        }
        Ok(Some(doc))
    }

    async fn set_rotation(&self, region: &str, id: &str, on: bool) -> Result<(), ProviderError> {
        let kms = self.ctx.kms_in(region);
        if on {
            kms.enable_key_rotation()
                .key_id(id)
                .send()
                .await
                .map_err(Self::err)?;
        } else {
            kms.disable_key_rotation()
                .key_id(id)
                .send()
                .await
                .map_err(Self::err)?;
        }
        Ok(())
    }

    async fn create_alias(&self, region: &str, alias: &str, key_id: &str) -> Result<(), ProviderError> {
        let r = self
            .ctx
            .kms_in(region)
            .create_alias()
            .alias_name(alias)
            .target_key_id(key_id)
            .send()
            .await
            .map_err(Self::err);
        match r {
            // A resumed create: point the alias at this key.
            Err(e) if has_code(&e, &["AlreadyExistsException"]) => {
                self.ctx
                    .kms_in(region)
                    .update_alias()
                    .alias_name(alias)
                    .target_key_id(key_id)
                    .send()
                    .await
                    .map_err(Self::err)?;
                Ok(())
            }
            other => other.map(|_| ()),
        }
    }

    async fn delete_alias(&self, region: &str, alias: &str) -> Result<(), ProviderError> {
        self
            .ctx
            .kms_in(region)
            .delete_alias()
            .alias_name(alias)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    /// Every live key in the account carrying this stack's tags, with its
    /// tags (for `find` and the inventory).
    pub(crate) async fn tagged_keys(
        ctx: &AwsContext,
        region: &str,
    ) -> Result<Vec<(KeyMetadata, Vec<(String, String)>)>, ProviderError> {
        let kms = &ctx.kms_in(region);
        let keys: Vec<_> = kms
            .list_keys()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(Self::err)?;
        let found: Vec<_> = stream::iter(keys.into_iter().filter_map(|k| k.key_id))
            .map(|id| async move {
                let m = match kms.describe_key().key_id(&id).send().await {
                    Ok(o) => o.key_metadata,
                    Err(e) => {
                        let e = Self::err(e);
                        if e.is_not_found() {
                            return Ok(None);
                        }
                        return Err(e);
                    }
                };
                let Some(m) = m.filter(is_live) else {
                    return Ok(None);
                };
                if m.key_manager().map(|x| x.as_str()) == Some("AWS") {
                    return Ok(None);
                }
                let tags: Vec<_> = kms
                    .list_resource_tags()
                    .key_id(&id)
                    .send()
                    .await
                    .map_err(Self::err)?
                    .tags
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| (t.tag_key, t.tag_value))
                    .collect();
                Ok::<_, ProviderError>(Some((m, tags)))
            })
            .buffer_unordered(8)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }
}

impl Provider {
    /// Where the key `id` is: the recorded region, else (a key the state
    /// does not record) the stack's region or us-east-1, whichever knows it.
    async fn locate(&self, id: &str, rec: Option<&KmsKey>) -> Result<Option<(String, KeyMetadata)>, ProviderError> {
        if let Some(k) = rec {
            let region = self.region_of(k).to_string();
            return Ok(self.describe(&region, id).await?.map(|m| (region, m)));
        }
        let mut regions = vec![self.ctx.region().to_string()];
        if self.ctx.region() != GLOBAL_REGION {
            regions.push(GLOBAL_REGION.to_string());
        }
        for region in regions {
            if let Some(m) = self.describe(&region, id).await? {
                return Ok(Some((region, m)));
            }
        }
        Ok(None)
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = KmsKey;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Both, "kms:key", |a| arn::after(a, "kms", "key/"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, KmsKey>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let region = self.region_of(p);
        let tags: Vec<Tag> = req.tag_set(None)
            .into_iter()
            .filter_map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().ok())
            .collect();
        let policy = self.rendered(p).await?.map(|d| d.to_string());
        // KMS has no idempotency token: a create interrupted before it was
        // recorded is found again by its tags (see `find`).
        let out = self
            .ctx
            .kms_in(region)
            .create_key()
            .description(&p.description)
            .set_policy(policy)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(Self::err)?;
        let m = out
            .key_metadata
            .ok_or_else(|| ProviderError::msg("CreateKey returned no key"))?;
        if p.enable_key_rotation {
            self.set_rotation(region, m.key_id(), true).await?;
        }
        self.create_alias(region, &p.alias, m.key_id()).await?;
        Ok(applied(&m))
    }

    async fn read(&self, items: &[Item<'_, KmsKey>]) -> Result<Vec<Seen<KmsKey>>, ProviderError> {
        // KMS has no batch describe; the calls run concurrently.
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some((region, m)) = self.locate(&id, rec.as_ref()).await? else {
                return Ok(None);
            };
            let kms = self.ctx.kms_in(&region);
            let rotation = kms
                .get_key_rotation_status()
                .key_id(&id)
                .send()
                .await
                .map_err(Self::err)?
                .key_rotation_enabled;
            let alias = self.alias_of(&region, &id).await?.unwrap_or_default();
            let mut unread = vec!["deletion_window_in_days"];
            // A null policy without Gantry's statements asks for AWS's
            // default; what AWS holds then is that default, so the recorded
            // null stands. Otherwise the document is read and split into the
            // fields the architect writes.
            let (policy, logs_log_group_prefix, cloudwatch_alarms, service_principals) = match rec.as_ref() {
                Some(k)
                    if !k.policy.is_null()
                        || k.logs_log_group_prefix.is_some()
                        || k.cloudwatch_alarms
                        || !k.service_principals.is_empty() =>
                {
                    let doc = kms
                        .get_key_policy()
                        .key_id(&id)
                        .policy_name("default")
                        .send()
                        .await
                        .map_err(Self::err)?
                        .policy
                        .unwrap_or_default();
                    let account = self.ctx.account_id().await?;
                    let (mut rest, prefix) = split_logs(decode_policy(&doc), &region, &account);
                    let alarms = split_alarms(&mut rest);
                    let services = split_services(&mut rest, &account);
                    // Null stands for the default document it was rendered from.
                    let base = if k.policy.is_null() && rest == self.default_policy(&region).await? {
                        Value::Null
                    } else {
                        rest
                    };
                    (base, prefix, alarms, services)
                }
                _ => {
                    unread.extend(["policy", "logs_log_group_prefix", "cloudwatch_alarms", "service_principals"]);
                    (Value::Null, None, false, Vec::new())
                }
            };
            let props = KmsKey {
                alias,
                description: m.description().unwrap_or_default().to_string(),
                enable_key_rotation: rotation,
                policy,
                logs_log_group_prefix,
                deletion_window_in_days: rec.as_ref().map(|k| k.deletion_window_in_days).unwrap_or(30),
                cloudwatch_alarms,
                service_principals,
                region: match rec.as_ref() {
                    Some(k) => k.region.clone(),
                    None if region == self.ctx.region() => String::new(),
                    None => region.clone(),
                },
            };
            Ok(Some(Seen { id: id.clone(), props, unread: unread.to_vec(), outputs: applied(&m).outputs }))
        })
        .await
    }

    async fn update(&self, req: Update<'_, KmsKey>) -> Result<Applied, ProviderError> {
        let old = &req.old;
        let new = &req.new;
        let region = self.region_of(new);
        let kms = self.ctx.kms_in(region);
        if old.description != new.description {
            kms.update_key_description()
                .key_id(req.id)
                .description(&new.description)
                .send()
                .await
                .map_err(Self::err)?;
        }
        if old.enable_key_rotation != new.enable_key_rotation {
            self.set_rotation(region, req.id, new.enable_key_rotation).await?;
        }
        if old.policy != new.policy
            || old.logs_log_group_prefix != new.logs_log_group_prefix
            || old.cloudwatch_alarms != new.cloudwatch_alarms
            || old.service_principals != new.service_principals
        {
            let doc = match self.rendered(new).await? {
                Some(d) => d,
                None => self.default_policy(region).await?,
            };
            kms.put_key_policy()
                .key_id(req.id)
                .policy_name("default")
                .policy(doc.to_string())
                .send()
                .await
                .map_err(Self::err)?;
        }
        // The alias as AWS holds it (a resumed run may have lost it).
        let have = self.alias_of(region, req.id).await?;
        if have.as_deref() != Some(new.alias.as_str()) {
            self.create_alias(region, &new.alias, req.id).await?;
            if let Some(a) = have {
                self.delete_alias(region, &a).await?;
            }
        }
        let m = self
            .describe(region, req.id)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("KMS key {} is gone", req.id)))?;
        Ok(applied(&m))
    }

    async fn delete(&self, req: Delete<'_, KmsKey>) -> Result<(), ProviderError> {
        let p = req.recorded.as_ref();
        let Some((region, _)) = self.locate(req.id, p).await? else {
            return Ok(());
        };
        if let Some(a) = self.alias_of(&region, req.id).await? {
            self.delete_alias(&region, &a).await?;
        }
        let window = p
            .map(|k| k.deletion_window_in_days)
            .unwrap_or(30)
            .clamp(7, 30);
        let r = self
            .ctx
            .kms_in(&region)
            .schedule_key_deletion()
            .key_id(req.id)
            .pending_window_in_days(window)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err);
        match r {
            // Already pending deletion.
            Err(e) if has_code(&e, &["KMSInvalidStateException"]) => {
                match self.describe(&region, req.id).await? {
                    None => Ok(()),
                    Some(_) => Err(e),
                }
            }
            other => ignore_not_found(other),
        }
    }

    async fn find(&self, req: Find<'_, KmsKey>) -> Result<Option<Applied>, ProviderError> {
        // The key may exist without its alias (interrupted after CreateKey),
        // so look by tags.
        let keys = Self::tagged_keys(&self.ctx, self.region_of(&req.props)).await?;
        Ok(keys
            .into_iter()
            .find(|(_, tags)| {
                req.ours(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            })
            .map(|(m, _)| applied(&m)))
    }
}
