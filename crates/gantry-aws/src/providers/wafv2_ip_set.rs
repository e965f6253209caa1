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
use crate::error::{aws_error, has_code};
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_wafv2::types::{IpAddressVersion, IpSet};
use futures::future::try_join_all;
use gantry_core::kinds::{self, Wafv2IpSet};
use gantry_core::*;

pub struct Wafv2IpSetProvider {
    pub(crate) ctx: AwsContext,
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

impl Wafv2IpSetProvider {
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
            .map_err(|e| aws_error(e, NOT_FOUND))
        {
            Ok(o) => Ok(o.ip_set.map(|s| (s, o.lock_token.unwrap_or_default()))),
            Err(e) if e.not_found => Ok(None),
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
impl Provider for Wafv2IpSetProvider {
    fn kind(&self) -> &'static str {
        kinds::WAFV2_IP_SET
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: Wafv2IpSet = parse(kinds::WAFV2_IP_SET, req.props)?;
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
            .map_err(|e| aws_error(e, &[]));
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
                self.find_named(&p, req.tags, req.address).await?.ok_or(e)
            }
            Err(e) => Err(e),
        }
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        // GetIPSet takes one set; concurrently.
        try_join_all(reqs.iter().map(|r| async move {
            let rec: Wafv2IpSet = parse(kinds::WAFV2_IP_SET, r.props)?;
            let Some((s, _)) = self.get(&rec.name, &rec.scope, r.id).await? else {
                return Ok(None);
            };
            let props = Wafv2IpSet {
                name: s.name().to_string(),
                scope: rec.scope.clone(),
                ip_address_version: s.ip_address_version().as_str().to_string(),
                addresses: order_like(s.addresses().to_vec(), &rec.addresses),
            };
            Ok(Some(Observed {
                props: to_props(&props),
                outputs: applied(s.id(), s.arn(), s.name()).outputs,
            }))
        }))
        .await
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let new: Wafv2IpSet = parse(kinds::WAFV2_IP_SET, req.new)?;
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
                .map_err(|e| aws_error(e, NOT_FOUND))
        })
        .await?;
        let (s, _) = self
            .get(&new.name, &new.scope, req.id)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("IP set {} is gone", req.id)))?;
        Ok(applied(s.id(), s.arn(), s.name()))
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let p: Wafv2IpSet = parse(kinds::WAFV2_IP_SET, req.props)?;
        let r = retry_codes(&["WAFAssociatedItemException"], DEPENDENCY_WAIT, || {
            with_lock(|| async {
                let Some((_, token)) = self.get(&p.name, &p.scope, req.id).await? else {
                    return Ok(());
                };
                self.ctx
                    .wafv2_scope(&p.scope)
                    .delete_ip_set()
                    .name(&p.name)
                    .scope(scope(&p.scope))
                    .id(req.id)
                    .lock_token(token)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| aws_error(e, NOT_FOUND))
            })
        })
        .await;
        ignore_not_found(r)
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let p: Wafv2IpSet = parse(kinds::WAFV2_IP_SET, req.props)?;
        self.find_named(&p, req.tags, req.address).await
    }
}
