//! `db_subnet_group`: the subnets an RDS instance may be placed in. The id
//! is the name (AWS stores it in lower case); outputs add `name` and `arn`.

use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_rds::types::{DbSubnetGroup as AwsGroup, Tag};
use gantry_core::kinds::DbSubnetGroup;
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["DBSubnetGroupNotFoundFault"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(g: &AwsGroup) -> Applied {
    let name = g.db_subnet_group_name().unwrap_or_default().to_string();
    Applied {
        outputs: outputs([
            ("id", name.clone()),
            ("name", name.clone()),
            (
                "arn",
                g.db_subnet_group_arn().unwrap_or_default().to_string(),
            ),
        ]),
        id: name,
    }
}

/// The recorded name when AWS reports it in another case.
fn name_like(actual: &str, recorded: Option<&str>) -> String {
    match recorded {
        Some(r) if r.eq_ignore_ascii_case(actual) => r.to_string(),
        _ => actual.to_string(),
    }
}

impl Provider {
    async fn describe(&self, name: &str) -> Result<Option<AwsGroup>, ProviderError> {
        match self
            .ctx
            .rds()
            .describe_db_subnet_groups()
            .db_subnet_group_name(name)
            .send()
            .await
        {
            Ok(out) => Ok(out.db_subnet_groups.unwrap_or_default().into_iter().next()),
            Err(e) => none_if_gone(Self::err(e)),
        }
    }
}

/// Tags of an RDS resource by ARN.
pub(crate) async fn rds_tags(
    ctx: &AwsContext,
    arn: &str,
) -> Result<Vec<(String, String)>, ProviderError> {
    let out = ctx
        .rds()
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(|e| aws_error(e, &["DBInstanceNotFound", "DBSubnetGroupNotFoundFault"]))?;
    Ok(out
        .tag_list()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

pub(crate) fn rds_tag_list(tags: std::collections::BTreeMap<String, String>) -> Vec<Tag> {
    tags.into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

#[async_trait]
impl AwsKind for Provider {
    type Props = DbSubnetGroup;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "rds:subgrp", |a| arn::after(a, "rds", "subgrp:"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, DbSubnetGroup>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .rds()
            .create_db_subnet_group()
            .db_subnet_group_name(&p.name)
            .db_subnet_group_description(&p.description)
            .set_subnet_ids(Some(p.subnet_ids.clone()))
            .set_tags(Some(rds_tag_list(tag_set(
                req.tags,
                req.address,
                Some(&p.name),
            ))))
            .send()
            .await
            .map_err(Self::err)?;
        let g = out
            .db_subnet_group
            .ok_or_else(|| ProviderError::msg("CreateDBSubnetGroup returned no group"))?;
        Ok(applied(&g))
    }

    async fn read(&self, items: &[Item<'_, DbSubnetGroup>]) -> Result<Vec<Seen<DbSubnetGroup>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some(g) = self.describe(&id).await? else {
                return Ok(None);
            };
            let subnets: Vec<String> = g
                .subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier.clone())
                .collect();
            let props = DbSubnetGroup {
                name: name_like(
                    g.db_subnet_group_name().unwrap_or_default(),
                    rec.as_ref().map(|x| x.name.as_str()),
                ),
                description: g
                    .db_subnet_group_description()
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

    async fn update(&self, req: Update<'_, DbSubnetGroup>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        let out = self
            .ctx
            .rds()
            .modify_db_subnet_group()
            .db_subnet_group_name(req.id)
            .db_subnet_group_description(&new.description)
            .set_subnet_ids(Some(new.subnet_ids.clone()))
            .send()
            .await
            .map_err(Self::err)?;
        let g = out
            .db_subnet_group
            .ok_or_else(|| ProviderError::msg("ModifyDBSubnetGroup returned no group"))?;
        Ok(applied(&g))
    }

    async fn delete(&self, req: Delete<'_, DbSubnetGroup>) -> Result<(), ProviderError> {
        // Still in use while an instance in it finishes deleting.
        retry_codes(
            &["InvalidDBSubnetGroupStateFault"],
            DEPENDENCY_WAIT,
            || async {
                self.ctx
                    .rds()
                    .delete_db_subnet_group()
                    .db_subnet_group_name(req.id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(Self::err)
            },
        )
        .await
    }

    async fn find(&self, req: Find<'_, DbSubnetGroup>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let Some(g) = self.describe(&p.name).await? else {
            return Ok(None);
        };
        let tags = rds_tags(&self.ctx, g.db_subnet_group_arn().unwrap_or_default()).await?;
        let ours = req.ours(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Ok(ours.then(|| applied(&g)))
    }
}
