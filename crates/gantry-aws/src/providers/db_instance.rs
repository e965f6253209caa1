//! `db_instance`: an RDS instance (PostgreSQL), encrypted with the stack's
//! key, never publicly accessible, with backups and an RDS-managed master
//! password (`ManageMasterUserPassword`, kept in Secrets Manager under
//! `kms_key_id`; Gantry never sees it). The id is the identifier; outputs
//! add `arn`, `address`, `port`, `master_user_secret_arn` and `resource_id`.
//!
//! Class, storage, multi-AZ, backups, security groups, engine version and
//! deletion protection change in place (`ModifyDBInstance` with
//! `ApplyImmediately`, then a bounded wait). Delete takes a final snapshot
//! `{identifier}-final-{unix time}` when `final_snapshot`; with deletion
//! protection on it fails with AWS's own error: Gantry never turns
//! protection off by itself.

use super::db_subnet_group::{rds_tag_list, rds_tags};
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_rds::types::DbInstance as AwsDb;
use gantry_core::kinds::DbInstance;
use crate::shape::*;
use gantry_core::*;
use std::time::{SystemTime, UNIX_EPOCH};

const NOT_FOUND: &[&str] = &["DBInstanceNotFound", "DBInstanceNotFoundFault"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(d: &AwsDb) -> Applied {
    let id = d.db_instance_identifier().unwrap_or_default().to_string();
    let ep = d.endpoint();
    let port = ep
        .and_then(|e| e.port())
        .or(d.db_instance_port())
        .unwrap_or_default();
    Applied {
        outputs: outputs([
            ("id", id.clone()),
            ("arn", d.db_instance_arn().unwrap_or_default().to_string()),
            (
                "address",
                ep.and_then(|e| e.address()).unwrap_or_default().to_string(),
            ),
            ("port", port.to_string()),
            (
                "master_user_secret_arn",
                d.master_user_secret()
                    .and_then(|s| s.secret_arn())
                    .unwrap_or_default()
                    .to_string(),
            ),
            (
                "resource_id",
                d.dbi_resource_id().unwrap_or_default().to_string(),
            ),
        ]),
        id,
    }
}

fn status(d: &AwsDb) -> &str {
    d.db_instance_status().unwrap_or_default()
}

/// The instance as AWS reports it, pending modifications applied (they are
/// what was asked for, and are under way).
fn observe(d: &AwsDb, rec: Option<&DbInstance>) -> (DbInstance, Vec<&'static str>) {
    let pending = d.pending_modified_values();
    let mut unread = vec!["final_snapshot"];
    let engine_version = pending
        .and_then(|p| p.engine_version())
        .or(d.engine_version())
        .unwrap_or_default();
    let sgs: Vec<String> = d
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id.clone())
        .collect();
    let max_storage = d.max_allocated_storage().unwrap_or_else(|| {
        unread.push("max_allocated_storage");
        0
    });
    let p = DbInstance {
        identifier: match rec {
            Some(r)
                if r.identifier
                    .eq_ignore_ascii_case(d.db_instance_identifier().unwrap_or_default()) =>
            {
                r.identifier.clone()
            }
            _ => d.db_instance_identifier().unwrap_or_default().to_string(),
        },
        engine: d.engine().unwrap_or_default().to_string(),
        engine_version: version_like(engine_version, rec.map(|r| r.engine_version.as_str())),
        instance_class: pending
            .and_then(|p| p.db_instance_class())
            .or(d.db_instance_class())
            .unwrap_or_default()
            .to_string(),
        allocated_storage: pending
            .and_then(|p| p.allocated_storage())
            .or(d.allocated_storage())
            .unwrap_or_default(),
        max_allocated_storage: max_storage,
        storage_type: pending
            .and_then(|p| p.storage_type())
            .or(d.storage_type())
            .unwrap_or_default()
            .to_string(),
        kms_key_id: kms_like(
            d.kms_key_id().unwrap_or_default(),
            rec.map(|r| r.kms_key_id.as_str()),
        ),
        db_name: d.db_name().unwrap_or_default().to_string(),
        master_username: d.master_username().unwrap_or_default().to_string(),
        db_subnet_group_name: match (
            d.db_subnet_group().and_then(|g| g.db_subnet_group_name()),
            rec,
        ) {
            (Some(a), Some(r)) if r.db_subnet_group_name.eq_ignore_ascii_case(a) => {
                r.db_subnet_group_name.clone()
            }
            (a, _) => a.unwrap_or_default().to_string(),
        },
        vpc_security_group_ids: order_like(
            sgs,
            rec.map(|r| r.vpc_security_group_ids.as_slice())
                .unwrap_or(&[]),
        ),
        multi_az: pending
            .and_then(|p| p.multi_az())
            .or(d.multi_az())
            .unwrap_or_default(),
        backup_retention_period: pending
            .and_then(|p| p.backup_retention_period())
            .or(d.backup_retention_period())
            .unwrap_or_default(),
        deletion_protection: d.deletion_protection().unwrap_or_default(),
        final_snapshot: false,
        port: d
            .endpoint()
            .and_then(|e| e.port())
            .or(d.db_instance_port())
            .unwrap_or_default(),
    };
    (p, unread)
}

impl Provider {
    async fn describe(&self, id: &str) -> Result<Option<AwsDb>, ProviderError> {
        match self
            .ctx
            .rds()
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
        {
            Ok(out) => Ok(out.db_instances.unwrap_or_default().into_iter().next()),
            Err(e) => none_if_gone(Self::err(e)),
        }
    }

    /// Waits until the instance is `available` with nothing pending.
    async fn wait_available(&self, id: &str) -> Result<AwsDb, ProviderError> {
        wait_for(
            &format!("DB instance {id} to be available"),
            DATA_STORE_WAIT,
            || async {
                match self.describe(id).await? {
                    None => Err(ProviderError::not_found(format!(
                        "DB instance {id} is gone"
                    ))),
                    Some(d) if status(&d) == "available" => Ok(Some(d)),
                    Some(d) if status(&d).starts_with("incompatible") || status(&d) == "failed" => {
                        Err(ProviderError::new(
                            "DBInstanceFailed",
                            format!("DB instance {id} is {}", status(&d)),
                        ))
                    }
                    Some(_) => Ok(None),
                }
            },
        )
        .await
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = DbInstance;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "rds:db", |a| arn::after(a, "rds", "db:"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, DbInstance>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        // No idempotency token: the identifier is unique per account and
        // region, so a resumed create finds the instance by it (`find`).
        self.ctx
            .rds()
            .create_db_instance()
            .db_instance_identifier(&p.identifier)
            .engine(&p.engine)
            .engine_version(&p.engine_version)
            .db_instance_class(&p.instance_class)
            .allocated_storage(p.allocated_storage)
            .max_allocated_storage(p.max_allocated_storage)
            .storage_type(&p.storage_type)
            .storage_encrypted(true)
            .kms_key_id(&p.kms_key_id)
            .db_name(&p.db_name)
            .master_username(&p.master_username)
            .manage_master_user_password(true)
            .master_user_secret_kms_key_id(&p.kms_key_id)
            .db_subnet_group_name(&p.db_subnet_group_name)
            .set_vpc_security_group_ids(Some(p.vpc_security_group_ids.clone()))
            .multi_az(p.multi_az)
            .backup_retention_period(p.backup_retention_period)
            .deletion_protection(p.deletion_protection)
            .port(p.port)
            .publicly_accessible(false)
            .copy_tags_to_snapshot(true)
            .auto_minor_version_upgrade(true)
            .set_tags(Some(rds_tag_list(req.tag_set(None))))
            .send()
            .await
            .map_err(Self::err)?;
        let d = self.wait_available(&p.identifier).await?;
        Ok(applied(&d))
    }

    async fn read(&self, items: &[Item<'_, DbInstance>]) -> Result<Vec<Seen<DbInstance>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some(d) = self.describe(&id).await? else {
                return Ok(None);
            };
            if status(&d) == "deleting" {
                return Ok(None);
            }
            let (props, unread) = observe(&d, rec.as_ref());
            Ok(Some(Seen {
                id,
                props,
                unread,
                outputs: applied(&d).outputs,
            }))
        })
        .await
    }

    async fn update(&self, req: Update<'_, DbInstance>) -> Result<Applied, ProviderError> {
        let old = &req.old;
        let new = &req.new;
        let mut call = self
            .ctx
            .rds()
            .modify_db_instance()
            .db_instance_identifier(req.id)
            .apply_immediately(true);
        let mut any = false;
        if old.instance_class != new.instance_class {
            call = call.db_instance_class(&new.instance_class);
            any = true;
        }
        if old.allocated_storage != new.allocated_storage {
            call = call.allocated_storage(new.allocated_storage);
            any = true;
        }
        if old.max_allocated_storage != new.max_allocated_storage {
            call = call.max_allocated_storage(new.max_allocated_storage);
            any = true;
        }
        if old.storage_type != new.storage_type {
            call = call.storage_type(&new.storage_type);
            any = true;
        }
        if old.engine_version != new.engine_version {
            let major = |v: &str| v.split('.').next().unwrap_or_default().to_string();
            call = call
                .engine_version(&new.engine_version)
                .allow_major_version_upgrade(
                    major(&old.engine_version) != major(&new.engine_version),
                );
            any = true;
        }
        if old.vpc_security_group_ids != new.vpc_security_group_ids {
            call = call.set_vpc_security_group_ids(Some(new.vpc_security_group_ids.clone()));
            any = true;
        }
        if old.multi_az != new.multi_az {
            call = call.multi_az(new.multi_az);
            any = true;
        }
        if old.backup_retention_period != new.backup_retention_period {
            call = call.backup_retention_period(new.backup_retention_period);
            any = true;
        }
        if old.deletion_protection != new.deletion_protection {
            call = call.deletion_protection(new.deletion_protection);
            any = true;
        }
        // `final_snapshot` only matters at delete.
        if any {
            call.send().await.map_err(Self::err)?;
        }
        let d = self.wait_available(req.id).await?;
        Ok(applied(&d))
    }

    async fn delete(&self, req: Delete<'_, DbInstance>) -> Result<(), ProviderError> {
        let final_snapshot = req
            .recorded
            .as_ref()
            .map(|p| p.final_snapshot)
            .unwrap_or(true);
        match self.describe(req.id).await? {
            None => return Ok(()),
            Some(d) if status(&d) == "deleting" => {}
            Some(_) => {
                let stamp = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or_default();
                // Busy instances (modifying, backing up) refuse deletion for
                // a while; deletion protection fails at once, with AWS's
                // message.
                let r = retry_codes(
                    &["InvalidDBInstanceState", "InvalidDBInstanceStateFault"],
                    DATA_STORE_WAIT,
                    || async {
                        let call = self
                            .ctx
                            .rds()
                            .delete_db_instance()
                            .db_instance_identifier(req.id);
                        let call = if final_snapshot {
                            call.final_db_snapshot_identifier(format!("{}-final-{stamp}", req.id))
                        } else {
                            call.skip_final_snapshot(true)
                        };
                        call.send()
                            .await
                            .map(|_| ())
                            .map_err(Self::err)
                    },
                )
                .await;
                ignore_not_found(r)?;
            }
        }
        wait_for(
            &format!("DB instance {} to be deleted", req.id),
            DATA_STORE_WAIT,
            || async { Ok(self.describe(req.id).await?.is_none().then_some(())) },
        )
        .await
    }

    async fn find(&self, req: Find<'_, DbInstance>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let Some(d) = self.describe(&p.identifier).await? else {
            return Ok(None);
        };
        if status(&d) == "deleting" {
            return Ok(None);
        }
        let mut tags: Vec<(String, String)> = d
            .tag_list()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect();
        if tags.is_empty() {
            tags = rds_tags(&self.ctx, d.db_instance_arn().unwrap_or_default()).await?;
        }
        let ours = req.ours(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Ok(ours.then(|| applied(&d)))
    }
}
