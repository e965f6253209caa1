//! `efs_file_system`: an encrypted EFS file system (the stack's key). The id
//! is the file system id; outputs add `arn`. The creation token comes from
//! the journal's intent, so a retried create returns the same file system.
//! The name (tag) and throughput mode change in place (`UpdateFileSystem`,
//! not implemented by the emulator), and so does the lifecycle (moving
//! files to Infrequent Access and back), which read gets back from
//! `DescribeLifecycleConfiguration`.

use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_efs::types::{
    FileSystemDescription, LifeCycleState, LifecyclePolicy, PerformanceMode, Tag,
    ThroughputMode, TransitionToIaRules, TransitionToPrimaryStorageClassRules,
};
use gantry_core::kinds::EfsFileSystem;
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["FileSystemNotFound"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(f: &FileSystemDescription) -> Applied {
    let id = f.file_system_id().to_string();
    Applied {
        outputs: outputs([
            ("id", id.clone()),
            ("arn", f.file_system_arn().unwrap_or_default().to_string()),
        ]),
        id,
    }
}

fn live(f: &FileSystemDescription) -> bool {
    !matches!(
        f.life_cycle_state(),
        LifeCycleState::Deleted | LifeCycleState::Deleting
    )
}

pub(crate) fn efs_tags(tags: std::collections::BTreeMap<String, String>) -> Vec<Tag> {
    tags.into_iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

impl Provider {
    async fn describe(&self, id: &str) -> Result<Option<FileSystemDescription>, ProviderError> {
        match self
            .ctx
            .efs()
            .describe_file_systems()
            .file_system_id(id)
            .send()
            .await
        {
            Ok(out) => Ok(out.file_systems.unwrap_or_default().into_iter().find(live)),
            Err(e) => none_if_gone(Self::err(e)),
        }
    }

    async fn wait_available(&self, id: &str) -> Result<FileSystemDescription, ProviderError> {
        wait_for(
            &format!("file system {id} to be available"),
            STATE_WAIT,
            || async {
                match self.describe(id).await? {
                    None => Err(ProviderError::not_found(format!(
                        "file system {id} is gone"
                    ))),
                    Some(f) if f.life_cycle_state() == &LifeCycleState::Available => Ok(Some(f)),
                    Some(f) if f.life_cycle_state() == &LifeCycleState::Error => Err(
                        ProviderError::new("FileSystemFailed", format!("file system {id} failed")),
                    ),
                    Some(_) => Ok(None),
                }
            },
        )
        .await
    }

    /// Sets the lifecycle policies (none clears them): each transition is a
    /// policy of its own, as the API requires.
    async fn put_lifecycle(&self, id: &str, p: &EfsFileSystem) -> Result<(), ProviderError> {
        let mut policies = Vec::new();
        if let Some(ia) = &p.transition_to_ia {
            policies.push(
                LifecyclePolicy::builder()
                    .transition_to_ia(TransitionToIaRules::from(ia.as_str()))
                    .build(),
            );
        }
        if let Some(back) = &p.transition_to_primary_storage_class {
            policies.push(
                LifecyclePolicy::builder()
                    .transition_to_primary_storage_class(
                        TransitionToPrimaryStorageClassRules::from(back.as_str()),
                    )
                    .build(),
            );
        }
        self.ctx
            .efs()
            .put_lifecycle_configuration()
            .file_system_id(id)
            .set_lifecycle_policies(Some(policies))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(())
    }

    /// The transitions to IA and back, as set.
    async fn lifecycle(&self, id: &str) -> Result<(Option<String>, Option<String>), ProviderError> {
        let out = self
            .ctx
            .efs()
            .describe_lifecycle_configuration()
            .file_system_id(id)
            .send()
            .await
            .map_err(Self::err)?;
        let policies = out.lifecycle_policies();
        Ok((
            policies
                .iter()
                .find_map(|p| p.transition_to_ia())
                .map(|r| r.as_str().to_string()),
            policies
                .iter()
                .find_map(|p| p.transition_to_primary_storage_class())
                .map(|r| r.as_str().to_string()),
        ))
    }

    /// Every live file system with its tags (for `find` and the inventory).
    pub(crate) async fn all(ctx: &AwsContext) -> Result<Vec<FileSystemDescription>, ProviderError> {
        let mut out = Vec::new();
        let mut pages = ctx.efs().describe_file_systems().into_paginator().send();
        while let Some(page) = pages.next().await {
            out.extend(
                page.map_err(Self::err)?
                    .file_systems
                    .unwrap_or_default()
                    .into_iter()
                    .filter(live),
            );
        }
        Ok(out)
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = EfsFileSystem;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "elasticfilesystem:file-system", |a| arn::after(a, "elasticfilesystem", "file-system/"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, EfsFileSystem>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let token = client_token(req.token);
        let r = self
            .ctx
            .efs()
            .create_file_system()
            .creation_token(&token)
            .performance_mode(PerformanceMode::from(p.performance_mode.as_str()))
            .throughput_mode(ThroughputMode::from(p.throughput_mode.as_str()))
            .encrypted(true)
            .kms_key_id(&p.kms_key_id)
            .set_tags(Some(efs_tags(tag_set(
                req.tags,
                req.address,
                Some(&p.name),
            ))))
            .send()
            .await;
        let id = match r {
            Ok(f) => f.file_system_id,
            Err(e) => {
                let e = Self::err(e);
                if e.code.as_deref() != Some("FileSystemAlreadyExists") {
                    return Err(e);
                }
                // The same intent, retried: the creation token names it.
                self.ctx
                    .efs()
                    .describe_file_systems()
                    .creation_token(&token)
                    .send()
                    .await
                    .map_err(Self::err)?
                    .file_systems
                    .unwrap_or_default()
                    .into_iter()
                    .next()
                    .map(|f| f.file_system_id)
                    .ok_or(e)?
            }
        };
        let f = self.wait_available(&id).await?;
        if p.transition_to_ia.is_some() || p.transition_to_primary_storage_class.is_some() {
            self.put_lifecycle(&id, p).await?;
        }
        Ok(applied(&f))
    }

    async fn read(&self, items: &[Item<'_, EfsFileSystem>]) -> Result<Vec<Seen<EfsFileSystem>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some(f) = self.describe(&id).await? else {
                return Ok(None);
            };
            let mut unread = Vec::new();
            // The Name tag is what Gantry sets; `Name` mirrors it on AWS.
            let name = f
                .tags()
                .iter()
                .find(|t| t.key() == "Name")
                .map(|t| t.value().to_string())
                .or_else(|| f.name().map(str::to_string))
                .unwrap_or_default();
            let kms_key_id = match f.kms_key_id() {
                Some(k) => kms_like(k, rec.as_ref().map(|x| x.kms_key_id.as_str())),
                None => {
                    unread.push("kms_key_id");
                    String::new()
                }
            };
            let throughput_mode = match f.throughput_mode() {
                Some(m) => m.as_str().to_string(),
                None => {
                    unread.push("throughput_mode");
                    String::new()
                }
            };
            let (transition_to_ia, transition_to_primary_storage_class) =
                self.lifecycle(&id).await?;
            let props = EfsFileSystem {
                name,
                kms_key_id,
                performance_mode: f.performance_mode().as_str().to_string(),
                throughput_mode,
                transition_to_ia,
                transition_to_primary_storage_class,
            };
            Ok(Some(Seen { id: id.clone(), props, unread: unread.to_vec(), outputs: applied(&f).outputs }))
        })
        .await
    }

    async fn update(&self, req: Update<'_, EfsFileSystem>) -> Result<Applied, ProviderError> {
        let old = &req.old;
        let new = &req.new;
        let efs = self.ctx.efs();
        if old.name != new.name {
            efs.tag_resource()
                .resource_id(req.id)
                .set_tags(Some(efs_tags(
                    [("Name".to_string(), new.name.clone())].into(),
                )))
                .send()
                .await
                .map_err(Self::err)?;
        }
        if old.throughput_mode != new.throughput_mode {
            efs.update_file_system()
                .file_system_id(req.id)
                .throughput_mode(ThroughputMode::from(new.throughput_mode.as_str()))
                .send()
                .await
                .map_err(Self::err)?;
            self.wait_available(req.id).await?;
        }
        if old.transition_to_ia != new.transition_to_ia
            || old.transition_to_primary_storage_class != new.transition_to_primary_storage_class
        {
            self.put_lifecycle(req.id, new).await?;
        }
        let f = self
            .describe(req.id)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("file system {} is gone", req.id)))?;
        Ok(applied(&f))
    }

    async fn delete(&self, req: Delete<'_, EfsFileSystem>) -> Result<(), ProviderError> {
        // In use while its mount targets finish deleting.
        let r = retry_codes(&["FileSystemInUse"], DEPENDENCY_WAIT, || async {
            self.ctx
                .efs()
                .delete_file_system()
                .file_system_id(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await;
        ignore_not_found(r)?;
        wait_for(
            &format!("file system {} to be deleted", req.id),
            STATE_WAIT,
            || async { Ok(self.describe(req.id).await?.is_none().then_some(())) },
        )
        .await
    }

    async fn find(&self, req: Find<'_, EfsFileSystem>) -> Result<Option<Applied>, ProviderError> {
        let all = Self::all(&self.ctx).await?;
        Ok(all
            .iter()
            .find(|f| {
                req.ours(f.tags().iter().map(|t| (t.key(), t.value())))
            })
            .map(applied))
    }
}
