//! `dynamodb_table`: an on-demand DynamoDB table encrypted with the stack's
//! key (SSE-KMS), with point-in-time recovery, an optional TTL attribute and
//! deletion protection. The id is the name; outputs add `arn` and `name`.
//! TTL, PITR, the key and deletion protection change in place; keys force a
//! new table (see the kind's metadata).

use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, PointInTimeRecoverySpecification,
    ScalarAttributeType, SseSpecification, SseType, TableDescription, TableStatus, Tag,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use gantry_core::kinds::{DynamodbTable, TableKey};
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["ResourceNotFoundException"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(t: &TableDescription) -> Applied {
    let name = t.table_name().unwrap_or_default().to_string();
    Applied {
        outputs: outputs([
            ("id", name.clone()),
            ("arn", t.table_arn().unwrap_or_default().to_string()),
            ("name", name.clone()),
        ]),
        id: name,
    }
}

fn build_err(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new("InvalidProperties", e.to_string())
}

fn key_elem(
    k: &TableKey,
    kt: KeyType,
) -> Result<(KeySchemaElement, AttributeDefinition), ProviderError> {
    Ok((
        KeySchemaElement::builder()
            .attribute_name(&k.name)
            .key_type(kt)
            .build()
            .map_err(build_err)?,
        AttributeDefinition::builder()
            .attribute_name(&k.name)
            .attribute_type(ScalarAttributeType::from(k.attr_type.as_str()))
            .build()
            .map_err(build_err)?,
    ))
}

fn sse(kms_key_arn: &str) -> SseSpecification {
    SseSpecification::builder()
        .enabled(true)
        .sse_type(SseType::Kms)
        .kms_master_key_id(kms_key_arn)
        .build()
}

impl Provider {
    async fn describe(&self, name: &str) -> Result<Option<TableDescription>, ProviderError> {
        match self
            .ctx
            .dynamodb()
            .describe_table()
            .table_name(name)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .table
                .filter(|t| t.table_status() != Some(&TableStatus::Deleting))),
            Err(e) => none_if_gone(Self::err(e)),
        }
    }

    async fn wait_active(&self, name: &str) -> Result<TableDescription, ProviderError> {
        wait_for(
            &format!("table {name} to be active"),
            STATE_WAIT,
            || async {
                match self.describe(name).await? {
                    None => Err(ProviderError::not_found(format!("table {name} is gone"))),
                    Some(t) if t.table_status() == Some(&TableStatus::Active) => Ok(Some(t)),
                    Some(_) => Ok(None),
                }
            },
        )
        .await
    }

    async fn set_pitr(&self, name: &str, on: bool) -> Result<(), ProviderError> {
        self.ctx
            .dynamodb()
            .update_continuous_backups()
            .table_name(name)
            .point_in_time_recovery_specification(
                PointInTimeRecoverySpecification::builder()
                    .point_in_time_recovery_enabled(on)
                    .build()
                    .map_err(build_err)?,
            )
            .send()
            .await
            .map_err(Self::err)?;
        Ok(())
    }

    async fn set_ttl(&self, name: &str, attr: &str, on: bool) -> Result<(), ProviderError> {
        self.ctx
            .dynamodb()
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(attr)
                    .enabled(on)
                    .build()
                    .map_err(build_err)?,
            )
            .send()
            .await
            .map_err(Self::err)?;
        Ok(())
    }

    async fn tags(&self, arn: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let out = self
            .ctx
            .dynamodb()
            .list_tags_of_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect())
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = DynamodbTable;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "dynamodb:table", |a| arn::after(a, "dynamodb", "table/").filter(|n| !n.contains('/')));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, DynamodbTable>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let mut schema = vec![key_elem(&p.hash_key, KeyType::Hash)?];
        if let Some(r) = &p.range_key {
            schema.push(key_elem(r, KeyType::Range)?);
        }
        let tags: Vec<Tag> = req.tag_set(None)
            .into_iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        // No idempotency token: table names are unique, so a resumed create
        // finds the table by its name (`find`).
        self.ctx
            .dynamodb()
            .create_table()
            .table_name(&p.name)
            .set_key_schema(Some(schema.iter().map(|(k, _)| k.clone()).collect()))
            .set_attribute_definitions(Some(schema.iter().map(|(_, a)| a.clone()).collect()))
            .billing_mode(BillingMode::PayPerRequest)
            .sse_specification(sse(&p.kms_key_arn))
            .deletion_protection_enabled(p.deletion_protection)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(Self::err)?;
        let t = self.wait_active(&p.name).await?;
        if p.point_in_time_recovery {
            self.set_pitr(&p.name, true).await?;
        }
        if let Some(attr) = &p.ttl_attribute {
            self.set_ttl(&p.name, attr, true).await?;
        }
        Ok(applied(&t))
    }

    async fn read(&self, items: &[Item<'_, DynamodbTable>]) -> Result<Vec<Seen<DynamodbTable>>, ProviderError> {
        // DynamoDB has no batch describe; the calls run concurrently.
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some(t) = self.describe(&id).await? else {
                return Ok(None);
            };
            let db = self.ctx.dynamodb();
            let (pitr, ttl) = futures::try_join!(
                async {
                    db.describe_continuous_backups()
                        .table_name(&id)
                        .send()
                        .await
                        .map_err(Self::err)
                },
                async {
                    db.describe_time_to_live()
                        .table_name(&id)
                        .send()
                        .await
                        .map_err(Self::err)
                }
            )?;
            let attr_type = |name: &str| {
                t.attribute_definitions()
                    .iter()
                    .find(|a| a.attribute_name() == name)
                    .map(|a| a.attribute_type().as_str().to_string())
                    .unwrap_or_default()
            };
            let key = |kt: KeyType| {
                t.key_schema()
                    .iter()
                    .find(|k| k.key_type() == &kt)
                    .map(|k| TableKey {
                        name: k.attribute_name().to_string(),
                        attr_type: attr_type(k.attribute_name()),
                    })
            };
            let mut unread = Vec::new();
            let pitr_on = pitr
                .continuous_backups_description()
                .and_then(|c| c.point_in_time_recovery_description())
                .and_then(|p| p.point_in_time_recovery_status())
                .map(|s| s.as_str() == "ENABLED")
                .unwrap_or(false);
            let ttl_attr = ttl.time_to_live_description().and_then(|d| {
                matches!(
                    d.time_to_live_status(),
                    Some(TimeToLiveStatus::Enabled) | Some(TimeToLiveStatus::Enabling)
                )
                .then(|| d.attribute_name().map(str::to_string))
                .flatten()
            });
            let kms_key_arn = match t.sse_description().and_then(|s| s.kms_master_key_arn()) {
                Some(k) => kms_like(k, rec.as_ref().map(|x| x.kms_key_arn.as_str())),
                None => {
                    unread.push("kms_key_arn");
                    String::new()
                }
            };
            let deletion_protection = t.deletion_protection_enabled().unwrap_or_else(|| {
                unread.push("deletion_protection");
                false
            });
            let props = DynamodbTable {
                name: t.table_name().unwrap_or_default().to_string(),
                hash_key: key(KeyType::Hash).unwrap_or_else(|| TableKey {
                    name: String::new(),
                    attr_type: String::new(),
                }),
                range_key: key(KeyType::Range),
                ttl_attribute: ttl_attr,
                point_in_time_recovery: pitr_on,
                kms_key_arn,
                deletion_protection,
            };
            Ok(Some(Seen { id: id.clone(), props, unread: unread.to_vec(), outputs: applied(&t).outputs }))
        })
        .await
    }

    async fn update(&self, req: Update<'_, DynamodbTable>) -> Result<Applied, ProviderError> {
        let old = &req.old;
        let new = &req.new;
        if old.kms_key_arn != new.kms_key_arn || old.deletion_protection != new.deletion_protection
        {
            let mut call = self.ctx.dynamodb().update_table().table_name(req.id);
            if old.kms_key_arn != new.kms_key_arn {
                call = call.sse_specification(sse(&new.kms_key_arn));
            }
            if old.deletion_protection != new.deletion_protection {
                call = call.deletion_protection_enabled(new.deletion_protection);
            }
            call.send().await.map_err(Self::err)?;
            self.wait_active(req.id).await?;
        }
        if old.point_in_time_recovery != new.point_in_time_recovery {
            self.set_pitr(req.id, new.point_in_time_recovery).await?;
        }
        if old.ttl_attribute != new.ttl_attribute {
            // One TTL attribute per table: turn the old one off first.
            if let Some(a) = &old.ttl_attribute {
                self.set_ttl(req.id, a, false).await?;
            }
            if let Some(a) = &new.ttl_attribute {
                self.set_ttl(req.id, a, true).await?;
            }
        }
        let t = self.wait_active(req.id).await?;
        Ok(applied(&t))
    }

    async fn delete(&self, req: Delete<'_, DynamodbTable>) -> Result<(), ProviderError> {
        // A table being updated refuses deletion for a while; deletion
        // protection fails at once, with AWS's message.
        let r = retry_codes(&["ResourceInUseException"], STATE_WAIT, || async {
            self.ctx
                .dynamodb()
                .delete_table()
                .table_name(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await;
        ignore_not_found(r)?;
        wait_for(
            &format!("table {} to be deleted", req.id),
            STATE_WAIT,
            || async {
                let gone = match self
                    .ctx
                    .dynamodb()
                    .describe_table()
                    .table_name(req.id)
                    .send()
                    .await
                {
                    Ok(_) => false,
                    Err(e) => {
                        let e = Self::err(e);
                        if !e.is_not_found() {
                            return Err(e);
                        }
                        true
                    }
                };
                Ok(gone.then_some(()))
            },
        )
        .await
    }

    async fn find(&self, req: Find<'_, DynamodbTable>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let Some(t) = self.describe(&p.name).await? else {
            return Ok(None);
        };
        let tags = self.tags(t.table_arn().unwrap_or_default()).await?;
        let ours = req.ours(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Ok(ours.then(|| applied(&t)))
    }
}
