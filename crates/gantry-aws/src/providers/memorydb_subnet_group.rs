//! `memorydb_subnet_group`: the subnets a MemoryDB cluster may use. The id is
//! the name; outputs add `name` and `arn`. Deleting retries
//! `SubnetGroupInUseFault` while a cluster in it finishes deleting.

use super::memorydb::{tag_list, tags_of};
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_memorydb::types::SubnetGroup;
use gantry_core::kinds::MemorydbSubnetGroup;
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["SubnetGroupNotFoundFault"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(g: &SubnetGroup) -> Applied {
    let name = g.name().unwrap_or_default().to_string();
    Applied {
        outputs: outputs([
            ("id", name.clone()),
            ("name", name.clone()),
            ("arn", g.arn().unwrap_or_default().to_string()),
        ]),
        id: name,
    }
}

impl Provider {
    async fn describe(&self, name: &str) -> Result<Option<SubnetGroup>, ProviderError> {
        match self
            .ctx
            .memorydb()
            .describe_subnet_groups()
            .subnet_group_name(name)
            .send()
            .await
        {
            Ok(out) => Ok(out.subnet_groups.unwrap_or_default().into_iter().next()),
            Err(e) => none_if_gone(Self::err(e)),
        }
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = MemorydbSubnetGroup;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "memorydb:subnetgroup", |a| arn::after(a, "memorydb", "subnetgroup/"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, MemorydbSubnetGroup>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        // No idempotency token: the name is unique, and `find` adopts it.
        let out = self
            .ctx
            .memorydb()
            .create_subnet_group()
            .subnet_group_name(&p.name)
            .description(&p.description)
            .set_subnet_ids(Some(p.subnet_ids.clone()))
            .set_tags(Some(tag_list(req.tag_set(None))))
            .send()
            .await
            .map_err(Self::err)?;
        let g = out
            .subnet_group
            .ok_or_else(|| ProviderError::msg("CreateSubnetGroup returned no group"))?;
        Ok(applied(&g))
    }

    async fn read(&self, items: &[Item<'_, MemorydbSubnetGroup>]) -> Result<Vec<Seen<MemorydbSubnetGroup>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some(g) = self.describe(&id).await? else {
                return Ok(None);
            };
            let ids: Vec<String> = g
                .subnets()
                .iter()
                .filter_map(|s| s.identifier().map(str::to_string))
                .collect();
            let props = MemorydbSubnetGroup {
                name: g.name().unwrap_or_default().to_string(),
                description: g.description().unwrap_or_default().to_string(),
                subnet_ids: order_like(
                    ids,
                    rec.as_ref().map(|x| x.subnet_ids.as_slice()).unwrap_or(&[]),
                ),
            };
            Ok(Some(Seen::new(id.clone(), props, applied(&g).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, MemorydbSubnetGroup>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        let out = self
            .ctx
            .memorydb()
            .update_subnet_group()
            .subnet_group_name(req.id)
            .description(&new.description)
            .set_subnet_ids(Some(new.subnet_ids.clone()))
            .send()
            .await
            .map_err(Self::err)?;
        let g = out
            .subnet_group
            .ok_or_else(|| ProviderError::msg("UpdateSubnetGroup returned no group"))?;
        Ok(applied(&g))
    }

    async fn delete(&self, req: Delete<'_, MemorydbSubnetGroup>) -> Result<(), ProviderError> {
        retry_codes(&["SubnetGroupInUseFault"], DEPENDENCY_WAIT, || async {
            self.ctx
                .memorydb()
                .delete_subnet_group()
                .subnet_group_name(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await
    }

    async fn find(&self, req: Find<'_, MemorydbSubnetGroup>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let Some(g) = self.describe(&p.name).await? else {
            return Ok(None);
        };
        let tags = tags_of(&self.ctx, g.arn().unwrap_or_default()).await?;
        let ours = req.ours(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Ok(ours.then(|| applied(&g)))
    }
}
