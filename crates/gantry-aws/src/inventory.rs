//! Everything in the account that carries a stack's `gantry:*` tags: the
//! union of every kind's stack listing ([`crate::shape::Listing`]), run
//! concurrently. Tagged kinds are listed together through the Resource
//! Groups Tagging API (`GetResources` in the stack's region, and in
//! us-east-1 when the stack has global resources): a small stack costs one
//! call however busy the account is, a large one is listed a resource type
//! at a time, concurrently; kinds the tagging API does not cover list
//! themselves. `plan` and
//! `status` name what the state does not record, `up` adopts what it
//! wants and `destroy` removes the rest: after `destroy`,
//! [`stack_resources`] must be empty.
//!
//! The tagging API is eventually consistent and may still list objects
//! just deleted: [`stack_resources`] confirms every listed object with its
//! kind's read (the engine does the same for orphans), so only live
//! objects count.

use crate::context::{AwsContext, GLOBAL_REGION};
use crate::error::aws_error;
use crate::shape::{ArnId, Lister, Listing, Region};
use async_trait::async_trait;
use aws_sdk_resourcegroupstagging::types::TagFilter;
use futures::future::try_join_all;
use gantry_core::{Address, Inventory, Listed, ProviderError, ReadRequest, StackTags};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One live resource that belongs to the stack.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct InventoryItem {
    /// The Gantry kind (`vpc`, `lb`, ...).
    pub kind: String,
    /// The physical id (as the kind's provider uses it).
    pub id: String,
    /// The `gantry:address` tag (empty when it has none).
    pub address: String,
}

/// How many pages of the whole stack's listing are read in turn before
/// it is listed a resource type at a time instead.
pub const SEQUENTIAL_PAGES: usize = 2;

/// The stack inventory over every kind's listing.
pub struct AwsInventory {
    ctx: AwsContext,
    listers: Vec<Arc<dyn Lister>>,
}

impl AwsInventory {
    pub(crate) fn new(ctx: AwsContext, listers: Vec<Arc<dyn Lister>>) -> Self {
        AwsInventory { ctx, listers }
    }

    /// The kinds the tagging API lists in `global` (us-east-1) or the
    /// stack's region, with their resource types and ARN-to-id mappers.
    fn tagged(&self, global: bool) -> Vec<(&'static str, &'static str, ArnId)> {
        self.listers
            .iter()
            .filter_map(|l| match l.listing() {
                Listing::Tagged { region, types, id } => {
                    // A stack in us-east-1 finds its global objects in its
                    // own region's listing.
                    let here = self.ctx.region() == GLOBAL_REGION;
                    let wanted = match region {
                        Region::Stack => !global,
                        Region::Global => global || here,
                        Region::Both => true,
                    };
                    wanted.then_some((l.kind(), types, id))
                }
                _ => None,
            })
            .collect()
    }

    /// Every ARN tagged with the stack and environment in one region, with
    /// its tags. One listing pages one page after the other, so a stack
    /// larger than [`SEQUENTIAL_PAGES`] is listed again a resource type at
    /// a time, the types concurrently (within the tagging API's limit): a
    /// stack of a few hundred objects costs a call or two, a large one a
    /// call per type more than its pages, but takes no longer than its
    /// largest type takes to page.
    async fn tagged_arns(
        &self,
        global: bool,
        tags: &StackTags,
        types: &[&'static str],
    ) -> Result<Vec<(String, BTreeMap<String, String>)>, ProviderError> {
        let (mut out, more) = self.pages(global, tags, None, SEQUENTIAL_PAGES).await?;
        if more {
            let per_type = try_join_all(types.iter().map(|t| async move {
                Ok(self.pages(global, tags, Some(t), usize::MAX).await?.0)
            }))
            .await?;
            out.extend(per_type.into_iter().flatten());
            out.sort_by(|a, b| a.0.cmp(&b.0));
            out.dedup_by(|a, b| a.0 == b.0);
        }
        Ok(out)
    }

    /// Up to `max` pages of one `GetResources` listing (of one resource
    /// type, or of all), and whether more follow.
    async fn pages(
        &self,
        global: bool,
        tags: &StackTags,
        types: Option<&str>,
        max: usize,
    ) -> Result<(Vec<(String, BTreeMap<String, String>)>, bool), ProviderError> {
        let filter = |k: &str, v: &str| TagFilter::builder().key(k).values(v).build();
        let mut token: Option<String> = None;
        let mut out = Vec::new();
        for n in 1.. {
            let page = {
                let _permit = self.ctx.permit("tagging").await;
                self.ctx
                    .tagging(global)
                    .get_resources()
                    .tag_filters(filter(StackTags::STACK, &tags.stack))
                    .tag_filters(filter(StackTags::ENV, &tags.env))
                    .set_resource_type_filters(types.map(|t| vec![t.to_string()]))
                    // The most a page holds (GetResources takes a limit on
                    // resources or on tags, not both).
                    .resources_per_page(100)
                    .set_pagination_token(token.take())
                    .send()
                    .await
                    .map_err(|e| aws_error(e, &[]))?
            };
            for m in page.resource_tag_mapping_list() {
                let Some(arn) = m.resource_arn() else {
                    continue;
                };
                let t = m
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect();
                out.push((arn.to_string(), t));
            }
            token = page
                .pagination_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if token.is_none() || n >= max {
                break;
            }
        }
        Ok((out, token.is_some()))
    }

    async fn region_objects(
        &self,
        global: bool,
        tags: &StackTags,
    ) -> Result<Vec<Listed>, ProviderError> {
        let kinds = self.tagged(global);
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let mut types: Vec<&'static str> = kinds.iter().map(|(_, t, _)| *t).collect();
        types.sort_unstable();
        types.dedup();
        let mut out = Vec::new();
        for (arn, t) in self.tagged_arns(global, tags, &types).await? {
            // The server filtered on the tags; check again, it costs nothing.
            if t.get(StackTags::STACK) != Some(&tags.stack)
                || t.get(StackTags::ENV) != Some(&tags.env)
            {
                continue;
            }
            if let Some((kind, id)) = kinds
                .iter()
                .find_map(|(k, _, f)| f(&arn).map(|id| (*k, id)))
            {
                out.push(Listed {
                    kind: kind.to_string(),
                    id,
                    address: t.get(StackTags::ADDRESS).map(Address::new),
                });
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl Inventory for AwsInventory {
    async fn stack_objects(&self, tags: &StackTags) -> Result<Vec<Listed>, ProviderError> {
        let regional = self.region_objects(false, tags);
        let global = async {
            if self.ctx.region() == GLOBAL_REGION {
                // One call covers both: the stack's region is us-east-1.
                Ok(Vec::new())
            } else {
                self.region_objects(true, tags).await
            }
        };
        let own = try_join_all(
            self.listers
                .iter()
                .filter(|l| matches!(l.listing(), Listing::Own))
                .map(|l| l.list(tags)),
        );
        let (regional, global, own) = futures::try_join!(regional, global, own)?;
        let mut out: Vec<Listed> = regional
            .into_iter()
            .chain(global)
            .chain(own.into_iter().flatten())
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// Lists every live resource tagged `gantry:stack=stack` and
/// `gantry:env=env`, sorted by kind and id: the inventory, each object
/// confirmed by a read of its kind (objects AWS still lists after deleting
/// them are left out). Reads fresh: an answer this context remembers from
/// a moment ago may predate another process's changes.
pub async fn stack_resources(
    ctx: &AwsContext,
    stack: &str,
    env: &str,
) -> Result<Vec<InventoryItem>, ProviderError> {
    let tags = StackTags {
        stack: stack.to_string(),
        env: env.to_string(),
        extra: Default::default(),
    };
    ctx.memo().forget("");
    let providers = ctx.providers();
    let inventory = providers
        .inventory()
        .ok_or_else(|| ProviderError::msg("the AWS providers have no inventory"))?;
    let listed = inventory.stack_objects(&tags).await?;
    let mut by_kind: BTreeMap<String, Vec<Listed>> = BTreeMap::new();
    for l in listed {
        by_kind.entry(l.kind.clone()).or_default().push(l);
    }
    let empty = gantry_core::Props::new();
    let unknown = Address::new("");
    let confirmed = try_join_all(by_kind.into_iter().map(|(kind, items)| {
        let p = providers.get(&kind).cloned();
        let empty = &empty;
        let unknown = &unknown;
        async move {
            let p = p.ok_or_else(|| ProviderError::msg(format!("no provider for {kind}")))?;
            let reqs: Vec<ReadRequest<'_>> = items
                .iter()
                .map(|l| ReadRequest {
                    address: l.address.as_ref().unwrap_or(unknown),
                    id: &l.id,
                    props: empty,
                })
                .collect();
            let seen = p.read(&reqs).await?;
            Ok::<_, ProviderError>(
                items
                    .into_iter()
                    .zip(seen)
                    .filter(|(_, s)| s.is_some())
                    .map(|(l, _)| InventoryItem {
                        kind: l.kind,
                        id: l.id,
                        address: l.address.map(|a| a.to_string()).unwrap_or_default(),
                    })
                    .collect::<Vec<_>>(),
            )
        }
    }))
    .await?;
    let mut out: Vec<InventoryItem> = confirmed.into_iter().flatten().collect();
    out.sort();
    Ok(out)
}
