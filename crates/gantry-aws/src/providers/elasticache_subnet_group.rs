//! `elasticache_subnet_group`: the subnets a Redis replication group may use.
//! The id is the name (AWS stores it in lower case); outputs add `name` and
//! `arn`.

use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_elasticache::types::{CacheSubnetGroup, Tag};
use gantry_core::kinds::ElasticacheSubnetGroup;
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["CacheSubnetGroupNotFoundFault"];

pub(crate) struct Provider {
    ctx: AwsContext,
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

impl Provider {
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
            Err(e) => none_if_gone(Self::err(e)),
        }
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = ElasticacheSubnetGroup;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "elasticache:subnetgroup", |a| arn::after(a, "elasticache", "subnetgroup:"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, ElasticacheSubnetGroup>) -> Result<Applied, ProviderError> {
        let p = &req.props;
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
            .map_err(Self::err)?;
        let g = out
            .cache_subnet_group
            .ok_or_else(|| ProviderError::msg("CreateCacheSubnetGroup returned no group"))?;
        Ok(applied(&g))
    }

    async fn read(&self, items: &[Item<'_, ElasticacheSubnetGroup>]) -> Result<Vec<Seen<ElasticacheSubnetGroup>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some(g) = self.describe(&id).await? else {
                return Ok(None);
            };
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
            Ok(Some(Seen::new(id.clone(), props, applied(&g).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, ElasticacheSubnetGroup>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        let out = self
            .ctx
            .elasticache()
            .modify_cache_subnet_group()
            .cache_subnet_group_name(req.id)
            .cache_subnet_group_description(&new.description)
            .set_subnet_ids(Some(new.subnet_ids.clone()))
            .send()
            .await
            .map_err(Self::err)?;
        let g = out
            .cache_subnet_group
            .ok_or_else(|| ProviderError::msg("ModifyCacheSubnetGroup returned no group"))?;
        Ok(applied(&g))
    }

    async fn delete(&self, req: Delete<'_, ElasticacheSubnetGroup>) -> Result<(), ProviderError> {
        // In use while a replication group in it finishes deleting.
        retry_codes(&["CacheSubnetGroupInUse"], DEPENDENCY_WAIT, || async {
            self.ctx
                .elasticache()
                .delete_cache_subnet_group()
                .cache_subnet_group_name(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await
    }

    async fn find(&self, req: Find<'_, ElasticacheSubnetGroup>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let Some(g) = self.describe(&p.name).await? else {
            return Ok(None);
        };
        let tags = elasticache_tags(&self.ctx, g.arn().unwrap_or_default()).await?;
        let ours = req.ours(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Ok(ours.then(|| applied(&g)))
    }
}
