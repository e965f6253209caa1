//! `wafv2_ip_set`: a WAFv2 IP set (allow and deny lists). The id is WAF's
//! own id (reads and updates use it with the recorded name and scope);
//! outputs `id`, `arn`, `name`. WAF has no idempotency token, but names are
//! unique per scope: a retried create that meets `WAFDuplicateItemException`
//! adopts the set of that name when its tags say it is ours. Updates and
//! deletes go through the lock token (one retry when it went stale);
//! delete retries `WAFAssociatedItemException` while a web ACL that
//! referenced the set is still being updated or deleted.

use super::wafv2::*;
use crate::context::AwsContext;
use crate::error::has_code;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_wafv2::types::{IpAddressVersion, IpSet};
use gantry_core::kinds::Wafv2IpSet;
use crate::shape::*;
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(id: &str, arn: &str, name: &str) -> Applied {
    Applied {
        id: id.to_string(),
        outputs: outputs([
            ("id", id.to_string()),
            ("arn", arn.to_string()),
            ("name", name.to_string()),
        ]),
    }
}

impl Provider {
    /// GetIPSet: the set and its lock token; `None` when gone.
    async fn get(
        &self,
        name: &str,
        scope_name: &str,
        id: &str,
    ) -> Result<Option<(IpSet, String)>, ProviderError> {
        match self
            .ctx
            .wafv2_scope(scope_name)
            .get_ip_set()
            .name(name)
            .scope(scope(scope_name))
            .id(id)
            .send()
            .await
            .map_err(Self::err)
        {
            Ok(o) => Ok(o.ip_set.map(|s| (s, o.lock_token.unwrap_or_default()))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn find_named(
        &self,
        p: &Wafv2IpSet,
        tags: &StackTags,
        address: &Address,
    ) -> Result<Option<Applied>, ProviderError> {
        for (name, id, arn) in list(&self.ctx, &p.scope, false).await? {
            if name != p.name {
                continue;
            }
            let t = tags_of(&self.ctx, &arn).await?;
            if tags_match(
                t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                tags,
                address,
            ) {
                return Ok(Some(applied(&id, &arn, &name)));
            }
        }
        Ok(None)
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = Wafv2IpSet;
    const NOT_FOUND: &'static [&'static str] = super::wafv2::NOT_FOUND;
    const LISTING: Listing = tagged(Region::Both, "wafv2", |a| arn_id(a, "ipset"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, Wafv2IpSet>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .wafv2_scope(&p.scope)
            .create_ip_set()
            .name(&p.name)
            .scope(scope(&p.scope))
            .ip_address_version(IpAddressVersion::from(p.ip_address_version.as_str()))
            .set_addresses(Some(p.addresses.clone()))
            .set_tags(Some(waf_tags(tag_set(
                req.tags,
                req.address,
                Some(&p.name),
            ))?))
            .send()
            .await
            .map_err(Self::err);
        match out {
            Ok(o) => {
                let s = o
                    .summary()
                    .ok_or_else(|| ProviderError::new("MissingId", "CreateIPSet: no summary"))?;
                Ok(applied(
                    s.id().unwrap_or_default(),
                    s.arn().unwrap_or_default(),
                    &p.name,
                ))
            }
            Err(e) if has_code(&e, &["WAFDuplicateItemException"]) => {
                self.find_named(p, req.tags, req.address).await?.ok_or(e)
            }
            Err(e) => Err(e),
        }
    }

    async fn read(&self, items: &[Item<'_, Wafv2IpSet>]) -> Result<Vec<Seen<Wafv2IpSet>>, ProviderError> {
        // GetIPSet takes one set; concurrently.
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let (name, scope_name) = match &rec {
                Some(r) => (r.name.clone(), r.scope.clone()),
                None => match locate(&self.ctx, &id, false).await? {
                    Some(x) => x,
                    None => return Ok(None),
                },
            };
            let Some((s, _)) = self.get(&name, &scope_name, &id).await? else {
                return Ok(None);
            };
            let recorded = rec.as_ref().map(|r| &r.addresses[..]).unwrap_or_default();
            let props = Wafv2IpSet {
                name: s.name().to_string(),
                scope: scope_name,
                ip_address_version: s.ip_address_version().as_str().to_string(),
                addresses: order_like(s.addresses().to_vec(), recorded),
            };
            Ok(Some(Seen::new(id.clone(), props, applied(s.id(), s.arn(), s.name()).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, Wafv2IpSet>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        with_lock(|| async {
            let (_, token) = self
                .get(&new.name, &new.scope, req.id)
                .await?
                .ok_or_else(|| ProviderError::not_found(format!("IP set {} is gone", req.id)))?;
            self.ctx
                .wafv2_scope(&new.scope)
                .update_ip_set()
                .name(&new.name)
                .scope(scope(&new.scope))
                .id(req.id)
                .set_addresses(Some(new.addresses.clone()))
                .lock_token(token)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await?;
        let (s, _) = self
            .get(&new.name, &new.scope, req.id)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("IP set {} is gone", req.id)))?;
        Ok(applied(s.id(), s.arn(), s.name()))
    }

    async fn delete(&self, req: Delete<'_, Wafv2IpSet>) -> Result<(), ProviderError> {
        let (name, scope_name) = match &req.recorded {
            Some(r) => (r.name.clone(), r.scope.clone()),
            None => match locate(&self.ctx, req.id, false).await? {
                Some(x) => x,
                None => return Ok(()),
            },
        };
        retry_codes(&["WAFAssociatedItemException"], DEPENDENCY_WAIT, || {
            with_lock(|| async {
                let Some((_, token)) = self.get(&name, &scope_name, req.id).await? else {
                    return Ok(());
                };
                self.ctx
                    .wafv2_scope(&scope_name)
                    .delete_ip_set()
                    .name(&name)
                    .scope(scope(&scope_name))
                    .id(req.id)
                    .lock_token(token)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(Self::err)
            })
        })
        .await
    }

    async fn find(&self, req: Find<'_, Wafv2IpSet>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        self.find_named(p, req.tags, req.address).await
    }
}
