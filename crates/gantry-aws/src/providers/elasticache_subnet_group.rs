//! `elasticache_subnet_group`: the subnets a Redis replication group may use.
//! The id is the name (AWS stores it in lower case); outputs add `name` and
//! `arn`.
//!
//! The emulator (moto 5) does not implement `DeleteCacheSubnetGroup`. Delete
//! recognises that specific answer, removes the group's `gantry:*` tags so
//! it no longer belongs to the stack (the inventory stops listing it), logs
//! a warning and succeeds; the group itself stays in the emulator. On AWS
//! the call exists and this path is never taken.

use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_elasticache::types::{CacheSubnetGroup, Tag};
use futures::future::try_join_all;
use gantry_core::kinds::{self, ElasticacheSubnetGroup};
use gantry_core::*;

const NOT_FOUND: &[&str] = &["CacheSubnetGroupNotFoundFault"];

pub struct ElasticacheSubnetGroupProvider {
    pub(crate) ctx: AwsContext,
}

fn applied(g: &CacheSubnetGroup) -> Applied {
    let name = g.cache_subnet_group_name().unwrap_or_default().to_string();
    Applied {
        outputs: outputs([
            ("id", name.clone()),
            ("name", name.clone()),
            ("arn", g.arn().unwrap_or_default().to_string()),
        ]),
        id: name,
    }
}

/// Tags of an ElastiCache resource by ARN.
pub(crate) async fn elasticache_tags(
    ctx: &AwsContext,
    arn: &str,
) -> Result<Vec<(String, String)>, ProviderError> {
    let out = ctx
        .elasticache()
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(|e| {
            aws_error(
                e,
                &[
                    "CacheSubnetGroupNotFoundFault",
                    "ReplicationGroupNotFoundFault",
                    "CacheClusterNotFound",
                ],
            )
        })?;
    Ok(out
        .tag_list()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

pub(crate) fn elasticache_tag_list(tags: std::collections::BTreeMap<String, String>) -> Vec<Tag> {
    tags.into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

impl ElasticacheSubnetGroupProvider {
    async fn describe(&self, name: &str) -> Result<Option<CacheSubnetGroup>, ProviderError> {
        match self
            .ctx
            .elasticache()
            .describe_cache_subnet_groups()
            .cache_subnet_group_name(name)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .cache_subnet_groups
                .unwrap_or_default()
                .into_iter()
                .next()),
            Err(e) => {
                let e = aws_error(e, NOT_FOUND);
                if e.not_found {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// The emulator cannot delete the group: take it out of the stack by
    /// removing its `gantry:*` tags instead.
    async fn disown(&self, name: &str) -> Result<(), ProviderError> {
        let Some(g) = self.describe(name).await? else {
            return Ok(());
        };
        let arn = g.arn().unwrap_or_default();
        let keys: Vec<String> = elasticache_tags(&self.ctx, arn)
            .await?
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| k.starts_with("gantry:"))
            .collect();
        if !keys.is_empty() {
            self.ctx
                .elasticache()
                .remove_tags_from_resource()
                .resource_name(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map_err(|e| aws_error(e, NOT_FOUND))?;
        }
        Ok(())
    }
}

#[async_trait]
impl Provider for ElasticacheSubnetGroupProvider {
    fn kind(&self) -> &'static str {
        kinds::ELASTICACHE_SUBNET_GROUP
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: ElasticacheSubnetGroup = parse(kinds::ELASTICACHE_SUBNET_GROUP, req.props)?;
        let out = self
            .ctx
            .elasticache()
            .create_cache_subnet_group()
            .cache_subnet_group_name(&p.name)
            .cache_subnet_group_description(&p.description)
            .set_subnet_ids(Some(p.subnet_ids.clone()))
            .set_tags(Some(elasticache_tag_list(tag_set(
                req.tags,
                req.address,
                Some(&p.name),
            ))))
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        let g = out
            .cache_subnet_group
            .ok_or_else(|| ProviderError::msg("CreateCacheSubnetGroup returned no group"))?;
        Ok(applied(&g))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        try_join_all(reqs.iter().map(|r| async move {
            let Some(g) = self.describe(r.id).await? else {
                return Ok(None);
            };
            let rec: Option<ElasticacheSubnetGroup> = recorded(r.props);
            let subnets: Vec<String> = g
                .subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier.clone())
                .collect();
            let actual = g.cache_subnet_group_name().unwrap_or_default();
            let props = ElasticacheSubnetGroup {
                name: match &rec {
                    Some(x) if x.name.eq_ignore_ascii_case(actual) => x.name.clone(),
                    _ => actual.to_string(),
                },
                description: g
                    .cache_subnet_group_description()
                    .unwrap_or_default()
                    .to_string(),
                subnet_ids: order_like(
                    subnets,
                    rec.as_ref().map(|x| x.subnet_ids.as_slice()).unwrap_or(&[]),
                ),
            };
            Ok(Some(Observed {
                props: to_props(&props),
                outputs: applied(&g).outputs,
            }))
        }))
        .await
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let new: ElasticacheSubnetGroup = parse(kinds::ELASTICACHE_SUBNET_GROUP, req.new)?;
        let out = self
            .ctx
            .elasticache()
            .modify_cache_subnet_group()
            .cache_subnet_group_name(req.id)
            .cache_subnet_group_description(&new.description)
            .set_subnet_ids(Some(new.subnet_ids.clone()))
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND))?;
        let g = out
            .cache_subnet_group
            .ok_or_else(|| ProviderError::msg("ModifyCacheSubnetGroup returned no group"))?;
        Ok(applied(&g))
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        // In use while a replication group in it finishes deleting.
        let r = retry_codes(&["CacheSubnetGroupInUse"], DEPENDENCY_WAIT, || async {
            match self
                .ctx
                .elasticache()
                .delete_cache_subnet_group()
                .cache_subnet_group_name(req.id)
                .send()
                .await
            {
                Ok(_) => Ok(Ok(())),
                Err(e) if emulator_lacks_operation(&e) => Ok(Err(())),
                Err(e) => Err(aws_error(e, NOT_FOUND)),
            }
        })
        .await;
        match r {
            Ok(Err(())) => {
                tracing::warn!(
                    group = req.id,
                    "the endpoint does not implement DeleteCacheSubnetGroup (a local emulator): \
                     removed the group's gantry tags instead; the group itself remains"
                );
                self.disown(req.id).await
            }
            Ok(Ok(())) => Ok(()),
            Err(e) => ignore_not_found(Err(e)),
        }
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let p: ElasticacheSubnetGroup = parse(kinds::ELASTICACHE_SUBNET_GROUP, req.props)?;
        let Some(g) = self.describe(&p.name).await? else {
            return Ok(None);
        };
        let tags = elasticache_tags(&self.ctx, g.arn().unwrap_or_default()).await?;
        let ours = tags_match(
            tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            req.tags,
            req.address,
        );
        Ok(ours.then(|| applied(&g)))
    }
}
