//! `subnet`: a subnet in one availability zone.

use super::ec2::*;
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};
use gantry_core::kinds::Subnet;
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["InvalidSubnetID.NotFound"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

impl Provider {
    async fn set_public_ip(&self, id: &str, v: bool) -> Result<(), ProviderError> {
        self.ctx
            .ec2()
            .modify_subnet_attribute()
            .subnet_id(id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(v).build())
            .send()
            .await
            .map_err(Self::err)?;
        Ok(())
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = Subnet;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "ec2:subnet", |a| arn::after(a, "ec2", "subnet/"));
    const READ_BATCH: Option<usize> = Some(200);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, Subnet>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(Some(&p.name));
        let out = self
            .ctx
            .ec2()
            .create_subnet()
            .vpc_id(&p.vpc_id)
            .cidr_block(&p.cidr_block)
            .availability_zone(&p.availability_zone)
            .tag_specifications(tag_spec(ResourceType::Subnet, &tags))
            .send()
            .await
            .map_err(Self::err)?;
        let id = out
            .subnet
            .and_then(|s| s.subnet_id)
            .ok_or_else(|| missing_id("CreateSubnet"))?;
        if p.map_public_ip_on_launch {
            self.set_public_ip(&id, true).await?;
        }
        Ok(applied_id(id))
    }

    async fn read(&self, items: &[Item<'_, Subnet>]) -> Result<Vec<Seen<Subnet>>, ProviderError> {
        let ids = ids(items);
        let mut found = Vec::new();
        for chunk in chunks(&ids, 200) {
            let out = self
                .ctx
                .ec2()
                .describe_subnets()
                .filters(filter("subnet-id", chunk))
                .send()
                .await
                .map_err(Self::err)?;
            for s in out.subnets.unwrap_or_default() {
                let Some(id) = s.subnet_id.clone() else {
                    continue;
                };
                let props = Subnet {
                    name: name_of(s.tags.as_deref()),
                    vpc_id: s.vpc_id.clone().unwrap_or_default(),
                    cidr_block: s.cidr_block.clone().unwrap_or_default(),
                    availability_zone: s.availability_zone.clone().unwrap_or_default(),
                    map_public_ip_on_launch: s.map_public_ip_on_launch.unwrap_or(false),
                };
                found.push(Seen::new(id.clone(), props, applied_id(id).outputs));
            }
        }
        Ok(found)
    }

    async fn update(&self, req: Update<'_, Subnet>) -> Result<Applied, ProviderError> {
        let old = &req.old;
        let new = &req.new;
        if old.name != new.name {
            put_tags(
                &self.ctx,
                req.id,
                &req.tag_set(Some(&new.name)),
            )
            .await?;
        }
        if old.map_public_ip_on_launch != new.map_public_ip_on_launch {
            self.set_public_ip(req.id, new.map_public_ip_on_launch)
                .await?;
        }
        Ok(applied_id(req.id.to_string()))
    }

    async fn delete(&self, req: Delete<'_, Subnet>) -> Result<(), ProviderError> {
        // ENIs of deleted load balancers, NAT gateways and tasks linger a while.
        retry_codes(&["DependencyViolation"], DEPENDENCY_WAIT, || async {
            self.ctx
                .ec2()
                .delete_subnet()
                .subnet_id(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await
    }

    async fn find(&self, req: Find<'_, Subnet>) -> Result<Option<Applied>, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_subnets()
            .set_filters(Some(stack_filters(req.tags, req.address)))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out
            .subnets
            .unwrap_or_default()
            .into_iter()
            .find(|s| ec2_tags_match(s.tags.as_deref(), req.tags, req.address))
            .and_then(|s| s.subnet_id)
            .map(applied_id))
    }
}
