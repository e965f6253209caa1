//! `eip`: an Elastic IP allocation (for a NAT gateway). Its id is the
//! allocation id; `public_ip` is an output.

use super::ec2::*;
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, ResourceType};
use gantry_core::kinds::Eip;
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["InvalidAllocationID.NotFound"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(id: String, public_ip: Option<String>) -> Applied {
    Applied {
        outputs: outputs([
            ("id", id.clone()),
            ("public_ip", public_ip.unwrap_or_default()),
        ]),
        id,
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = Eip;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "ec2:elastic-ip", |a| arn::after(a, "ec2", "elastic-ip/"));
    const READ_BATCH: Option<usize> = Some(200);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, Eip>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(Some(&p.name));
        let out = self
            .ctx
            .ec2()
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tag_spec(ResourceType::ElasticIp, &tags))
            .send()
            .await
            .map_err(Self::err)?;
        let id = out
            .allocation_id
            .ok_or_else(|| missing_id("AllocateAddress"))?;
        Ok(applied(id, out.public_ip))
    }

    async fn read(&self, items: &[Item<'_, Eip>]) -> Result<Vec<Seen<Eip>>, ProviderError> {
        let ids = ids(items);
        let mut found = Vec::new();
        for chunk in chunks(&ids, 200) {
            let out = self
                .ctx
                .ec2()
                .describe_addresses()
                .filters(filter("allocation-id", chunk))
                .send()
                .await
                .map_err(Self::err)?;
            for a in out.addresses.unwrap_or_default() {
                let Some(id) = a.allocation_id.clone() else {
                    continue;
                };
                let props = Eip {
                    name: name_of(a.tags.as_deref()),
                };
                found.push(Seen::new(id.clone(), props, applied(id, a.public_ip.clone()).outputs));
            }
        }
        Ok(found)
    }

    async fn update(&self, req: Update<'_, Eip>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        put_tags(
            &self.ctx,
            req.id,
            &req.tag_set(Some(&new.name)),
        )
        .await?;
        let out = self
            .ctx
            .ec2()
            .describe_addresses()
            .filters(filter("allocation-id", [req.id.to_string()]))
            .send()
            .await
            .map_err(Self::err)?;
        let ip = out
            .addresses
            .unwrap_or_default()
            .into_iter()
            .next()
            .and_then(|a| a.public_ip);
        Ok(applied(req.id.to_string(), ip))
    }

    async fn delete(&self, req: Delete<'_, Eip>) -> Result<(), ProviderError> {
        // The NAT gateway using it may still be releasing its association.
        retry_codes(
            &[
                "InvalidIPAddress.InUse",
                "AuthFailure",
                "DependencyViolation",
            ],
            DEPENDENCY_WAIT,
            || async {
                self.ctx
                    .ec2()
                    .release_address()
                    .allocation_id(req.id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(Self::err)
            },
        )
        .await
    }

    async fn find(&self, req: Find<'_, Eip>) -> Result<Option<Applied>, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_addresses()
            .set_filters(Some(stack_filters(req.tags, req.address)))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out
            .addresses
            .unwrap_or_default()
            .into_iter()
            .find(|a| ec2_tags_match(a.tags.as_deref(), req.tags, req.address))
            .and_then(|a| Some(applied(a.allocation_id?, a.public_ip))))
    }
}
