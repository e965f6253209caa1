//! `efs_access_point`: an application's entry into a file system, with a
//! fixed POSIX identity and root directory (created with the given owner and
//! permissions). The id is the access point id; outputs add `arn`. The
//! client token comes from the journal's intent, so a retried create returns
//! the same access point. Only the name (tag) changes in place.

use super::efs_file_system::efs_tags;
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_efs::types::{
    AccessPointDescription, CreationInfo, LifeCycleState, PosixUser, RootDirectory,
};
use gantry_core::kinds::EfsAccessPoint;
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["AccessPointNotFound", "FileSystemNotFound"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(a: &AccessPointDescription) -> Applied {
    let id = a.access_point_id().unwrap_or_default().to_string();
    Applied {
        outputs: outputs([
            ("id", id.clone()),
            ("arn", a.access_point_arn().unwrap_or_default().to_string()),
        ]),
        id,
    }
}

pub(crate) fn live(a: &AccessPointDescription) -> bool {
    !matches!(
        a.life_cycle_state(),
        Some(LifeCycleState::Deleted) | Some(LifeCycleState::Deleting)
    )
}

fn err(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new("InvalidProperties", e.to_string())
}

impl Provider {
    async fn describe(&self, id: &str) -> Result<Option<AccessPointDescription>, ProviderError> {
        match self
            .ctx
            .efs()
            .describe_access_points()
            .access_point_id(id)
            .send()
            .await
        {
            Ok(out) => Ok(out.access_points.unwrap_or_default().into_iter().find(live)),
            Err(e) => none_if_gone(Self::err(e)),
        }
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = EfsAccessPoint;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "elasticfilesystem:access-point", |a| arn::after(a, "elasticfilesystem", "access-point/"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, EfsAccessPoint>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .efs()
            .create_access_point()
            .client_token(client_token(req.token))
            .file_system_id(&p.file_system_id)
            .posix_user(
                PosixUser::builder()
                    .uid(p.posix_uid)
                    .gid(p.posix_gid)
                    .build()
                    .map_err(err)?,
            )
            .root_directory(
                RootDirectory::builder()
                    .path(&p.root_path)
                    .creation_info(
                        CreationInfo::builder()
                            .owner_uid(p.posix_uid)
                            .owner_gid(p.posix_gid)
                            .permissions(&p.root_permissions)
                            .build()
                            .map_err(err)?,
                    )
                    .build(),
            )
            .set_tags(Some(efs_tags(tag_set(
                req.tags,
                req.address,
                Some(&p.name),
            ))))
            .send()
            .await
            .map_err(Self::err)?;
        let id = out.access_point_id().unwrap_or_default().to_string();
        let a = wait_for(
            &format!("access point {id} to be available"),
            STATE_WAIT,
            || async {
                Ok(self
                    .describe(&id)
                    .await?
                    .filter(|a| a.life_cycle_state() == Some(&LifeCycleState::Available)))
            },
        )
        .await?;
        Ok(applied(&a))
    }

    async fn read(&self, items: &[Item<'_, EfsAccessPoint>]) -> Result<Vec<Seen<EfsAccessPoint>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, _rec| async move {
            let Some(a) = self.describe(&id).await? else {
                return Ok(None);
            };
            let mut unread = Vec::new();
            let root = a.root_directory();
            let info = root.and_then(|d| d.creation_info());
            let posix = a.posix_user();
            let props = EfsAccessPoint {
                name: a
                    .tags()
                    .iter()
                    .find(|t| t.key() == "Name")
                    .map(|t| t.value().to_string())
                    .or_else(|| a.name().map(str::to_string))
                    .unwrap_or_default(),
                file_system_id: a.file_system_id().unwrap_or_default().to_string(),
                posix_uid: posix.map(|p| p.uid()).unwrap_or_else(|| {
                    unread.push("posix_uid");
                    0
                }),
                posix_gid: posix.map(|p| p.gid()).unwrap_or_else(|| {
                    unread.push("posix_gid");
                    0
                }),
                root_path: root.and_then(|d| d.path()).unwrap_or("/").to_string(),
                root_permissions: info
                    .map(|i| i.permissions().to_string())
                    .unwrap_or_else(|| {
                        unread.push("root_permissions");
                        String::new()
                    }),
            };
            Ok(Some(Seen { id: id.clone(), props, unread: unread.to_vec(), outputs: applied(&a).outputs }))
        })
        .await
    }

    async fn update(&self, req: Update<'_, EfsAccessPoint>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        self.ctx
            .efs()
            .tag_resource()
            .resource_id(req.id)
            .set_tags(Some(efs_tags(
                [("Name".to_string(), new.name.clone())].into(),
            )))
            .send()
            .await
            .map_err(Self::err)?;
        let a = self
            .describe(req.id)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("access point {} is gone", req.id)))?;
        Ok(applied(&a))
    }

    async fn delete(&self, req: Delete<'_, EfsAccessPoint>) -> Result<(), ProviderError> {
        let r = self
            .ctx
            .efs()
            .delete_access_point()
            .access_point_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err);
        ignore_not_found(r)?;
        wait_for(
            &format!("access point {} to be deleted", req.id),
            STATE_WAIT,
            || async { Ok(self.describe(req.id).await?.is_none().then_some(())) },
        )
        .await
    }

    async fn find(&self, req: Find<'_, EfsAccessPoint>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let r = self
            .ctx
            .efs()
            .describe_access_points()
            .file_system_id(&p.file_system_id)
            .send()
            .await
            .map_err(Self::err);
        let list = match r {
            Err(e) if e.is_not_found() => return Ok(None),
            other => other?.access_points.unwrap_or_default(),
        };
        Ok(list
            .iter()
            .filter(|a| live(a))
            .find(|a| {
                req.ours(a.tags().iter().map(|t| (t.key(), t.value())))
            })
            .map(applied))
    }
}
