//! `efs_mount_target`: a file system's network endpoint in one subnet. Mount
//! targets take no tags; one file system has at most one per subnet's AZ,
//! so `find` adopts by file system and subnet. The id is the mount target
//! id; outputs add `ip_address`. Security groups change in place.

use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_efs::types::{LifeCycleState, MountTargetDescription};
use gantry_core::kinds::{self, EfsMountTarget};
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["MountTargetNotFound", "FileSystemNotFound"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(m: &MountTargetDescription) -> Applied {
    let id = m.mount_target_id().to_string();
    Applied {
        outputs: outputs([
            ("id", id.clone()),
            ("ip_address", m.ip_address().unwrap_or_default().to_string()),
        ]),
        id,
    }
}

fn live(m: &MountTargetDescription) -> bool {
    !matches!(
        m.life_cycle_state(),
        LifeCycleState::Deleted | LifeCycleState::Deleting
    )
}

impl Provider {
    async fn describe(&self, id: &str) -> Result<Option<MountTargetDescription>, ProviderError> {
        match self
            .ctx
            .efs()
            .describe_mount_targets()
            .mount_target_id(id)
            .send()
            .await
        {
            Ok(out) => Ok(out.mount_targets.unwrap_or_default().into_iter().find(live)),
            Err(e) => none_if_gone(Self::err(e)),
        }
    }

    async fn security_groups(&self, id: &str) -> Result<Vec<String>, ProviderError> {
        Ok(self
            .ctx
            .efs()
            .describe_mount_target_security_groups()
            .mount_target_id(id)
            .send()
            .await
            .map_err(Self::err)?
            .security_groups)
    }

    async fn wait_available(&self, id: &str) -> Result<MountTargetDescription, ProviderError> {
        wait_for(
            &format!("mount target {id} to be available"),
            STATE_WAIT,
            || async {
                match self.describe(id).await? {
                    None => Err(ProviderError::not_found(format!(
                        "mount target {id} is gone"
                    ))),
                    Some(m) if m.life_cycle_state() == &LifeCycleState::Available => Ok(Some(m)),
                    Some(_) => Ok(None),
                }
            },
        )
        .await
    }

    async fn in_subnet(
        &self,
        fs: &str,
        subnet: &str,
    ) -> Result<Option<MountTargetDescription>, ProviderError> {
        match self
            .ctx
            .efs()
            .describe_mount_targets()
            .file_system_id(fs)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .mount_targets
                .unwrap_or_default()
                .into_iter()
                .filter(live)
                .find(|m| m.subnet_id() == subnet)),
            Err(e) => none_if_gone(Self::err(e)),
        }
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = EfsMountTarget;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = Listing::Inside(kinds::EFS_FILE_SYSTEM);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, EfsMountTarget>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let r = self
            .ctx
            .efs()
            .create_mount_target()
            .file_system_id(&p.file_system_id)
            .subnet_id(&p.subnet_id)
            .set_security_groups(Some(p.security_group_ids.clone()))
            .send()
            .await;
        let id = match r {
            Ok(m) => m.mount_target_id,
            Err(e) => {
                let e = Self::err(e);
                if e.code.as_deref() != Some("MountTargetConflict") {
                    return Err(e);
                }
                // A resumed create: the one in this subnet is ours.
                match self.in_subnet(&p.file_system_id, &p.subnet_id).await? {
                    Some(m) => m.mount_target_id,
                    None => return Err(e),
                }
            }
        };
        let m = self.wait_available(&id).await?;
        Ok(applied(&m))
    }

    async fn read(&self, items: &[Item<'_, EfsMountTarget>]) -> Result<Vec<Seen<EfsMountTarget>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some(m) = self.describe(&id).await? else {
                return Ok(None);
            };
            let sgs = match self.security_groups(&id).await {
                Err(e) if e.is_not_found() => return Ok(None),
                other => other?,
            };
            let props = EfsMountTarget {
                file_system_id: m.file_system_id().to_string(),
                subnet_id: m.subnet_id().to_string(),
                security_group_ids: order_like(
                    sgs,
                    rec.as_ref()
                        .map(|x| x.security_group_ids.as_slice())
                        .unwrap_or(&[]),
                ),
            };
            Ok(Some(Seen::new(id.clone(), props, applied(&m).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, EfsMountTarget>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        self.ctx
            .efs()
            .modify_mount_target_security_groups()
            .mount_target_id(req.id)
            .set_security_groups(Some(new.security_group_ids.clone()))
            .send()
            .await
            .map_err(Self::err)?;
        let m = self
            .describe(req.id)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("mount target {} is gone", req.id)))?;
        Ok(applied(&m))
    }

    async fn delete(&self, req: Delete<'_, EfsMountTarget>) -> Result<(), ProviderError> {
        let r = self
            .ctx
            .efs()
            .delete_mount_target()
            .mount_target_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err);
        ignore_not_found(r)?;
        wait_for(
            &format!("mount target {} to be deleted", req.id),
            STATE_WAIT,
            || async { Ok(self.describe(req.id).await?.is_none().then_some(())) },
        )
        .await
    }

    async fn find(&self, req: Find<'_, EfsMountTarget>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        Ok(self
            .in_subnet(&p.file_system_id, &p.subnet_id)
            .await?
            .map(|m| applied(&m)))
    }
}
