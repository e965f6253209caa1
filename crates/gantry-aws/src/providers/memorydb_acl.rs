//! `memorydb_acl`: a MemoryDB access control list naming the users a
//! cluster admits (Gantry never uses `open-access`). The id is the ACL name;
//! outputs add `name` and `arn`. Users change in place with `UpdateACL`;
//! create and update wait until the ACL is `active`; delete waits until it
//! is gone, retrying `InvalidACLStateFault` while a cluster using it is
//! still being deleted.
//!
//! moto 5 has no ACL API; the tests' emulator adds it
//! (`scripts/moto_memorydb_acl.py`). Nothing here depends on that.

use super::memorydb::{tag_list, tags_of};
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_memorydb::types::Acl;
use gantry_core::kinds::MemorydbAcl;
use crate::shape::*;
use gantry_core::*;
use std::collections::BTreeSet;

const NOT_FOUND: &[&str] = &["ACLNotFoundFault"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(a: &Acl) -> Applied {
    let name = a.name().unwrap_or_default().to_string();
    Applied {
        outputs: outputs([
            ("id", name.clone()),
            ("name", name.clone()),
            ("arn", a.arn().unwrap_or_default().to_string()),
        ]),
        id: name,
    }
}

impl Provider {
    async fn describe(&self, name: &str) -> Result<Option<Acl>, ProviderError> {
        match self
            .ctx
            .memorydb()
            .describe_acls()
            .acl_name(name)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .acls
                .unwrap_or_default()
                .into_iter()
                .find(|a| a.status() != Some("deleting"))),
            Err(e) => none_if_gone(Self::err(e)),
        }
    }

    async fn wait_active(&self, name: &str) -> Result<Acl, ProviderError> {
        wait_for(
            &format!("MemoryDB ACL {name} to be active"),
            STATE_WAIT,
            || async {
                match self.describe(name).await? {
                    None => Err(ProviderError::not_found(format!(
                        "MemoryDB ACL {name} is gone"
                    ))),
                    Some(a) if a.status() == Some("active") => Ok(Some(a)),
                    Some(_) => Ok(None),
                }
            },
        )
        .await
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = MemorydbAcl;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "memorydb:acl", |a| arn::after(a, "memorydb", "acl/"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, MemorydbAcl>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        // No idempotency token: the name is unique, and `find` adopts it.
        self.ctx
            .memorydb()
            .create_acl()
            .acl_name(&p.name)
            .set_user_names(Some(p.user_names.clone()))
            .set_tags(Some(tag_list(req.tag_set(None))))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(applied(&self.wait_active(&p.name).await?))
    }

    async fn read(&self, items: &[Item<'_, MemorydbAcl>]) -> Result<Vec<Seen<MemorydbAcl>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some(a) = self.describe(&id).await? else {
                return Ok(None);
            };
            let props = MemorydbAcl {
                name: a.name().unwrap_or_default().to_string(),
                user_names: order_like(
                    a.user_names().to_vec(),
                    rec.as_ref().map(|x| x.user_names.as_slice()).unwrap_or(&[]),
                ),
            };
            Ok(Some(Seen::new(id.clone(), props, applied(&a).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, MemorydbAcl>) -> Result<Applied, ProviderError> {
        let old = &req.old;
        let new = &req.new;
        let (o, n): (BTreeSet<&String>, BTreeSet<&String>) = (
            old.user_names.iter().collect(),
            new.user_names.iter().collect(),
        );
        let add: Vec<String> = n.difference(&o).map(|s| s.to_string()).collect();
        let remove: Vec<String> = o.difference(&n).map(|s| s.to_string()).collect();
        if !add.is_empty() || !remove.is_empty() {
            self.ctx
                .memorydb()
                .update_acl()
                .acl_name(req.id)
                .set_user_names_to_add((!add.is_empty()).then_some(add))
                .set_user_names_to_remove((!remove.is_empty()).then_some(remove))
                .send()
                .await
                .map_err(Self::err)?;
        }
        Ok(applied(&self.wait_active(req.id).await?))
    }

    async fn delete(&self, req: Delete<'_, MemorydbAcl>) -> Result<(), ProviderError> {
        let r = retry_codes(&["InvalidACLStateFault"], DEPENDENCY_WAIT, || async {
            self.ctx
                .memorydb()
                .delete_acl()
                .acl_name(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await;
        ignore_not_found(r)?;
        wait_for(
            &format!("MemoryDB ACL {} to be deleted", req.id),
            STATE_WAIT,
            || async { Ok(self.describe(req.id).await?.is_none().then_some(())) },
        )
        .await
    }

    async fn find(&self, req: Find<'_, MemorydbAcl>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let Some(a) = self.describe(&p.name).await? else {
            return Ok(None);
        };
        let tags = tags_of(&self.ctx, a.arn().unwrap_or_default()).await?;
        let ours = req.ours(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Ok(ours.then(|| applied(&a)))
    }
}
