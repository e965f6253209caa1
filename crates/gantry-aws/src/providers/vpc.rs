//! `vpc`: a VPC and its two DNS attributes.

use super::ec2::*;
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName};
use gantry_core::kinds::Vpc;
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["InvalidVpcID.NotFound"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

impl Provider {
    async fn attr(&self, id: &str, name: VpcAttributeName) -> Result<bool, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(name.clone())
            .send()
            .await
            .map_err(Self::err)?;
        let v = match name {
            VpcAttributeName::EnableDnsHostnames => out.enable_dns_hostnames,
            _ => out.enable_dns_support,
        };
        Ok(v.and_then(|a| a.value).unwrap_or(false))
    }

    /// ModifyVpcAttribute takes one attribute per call.
    async fn set_dns(
        &self,
        id: &str,
        support: Option<bool>,
        hostnames: Option<bool>,
    ) -> Result<(), ProviderError> {
        let b = |v: bool| AttributeBooleanValue::builder().value(v).build();
        if let Some(v) = support {
            self.ctx
                .ec2()
                .modify_vpc_attribute()
                .vpc_id(id)
                .enable_dns_support(b(v))
                .send()
                .await
                .map_err(Self::err)?;
        }
        if let Some(v) = hostnames {
            self.ctx
                .ec2()
                .modify_vpc_attribute()
                .vpc_id(id)
                .enable_dns_hostnames(b(v))
                .send()
                .await
                .map_err(Self::err)?;
        }
        Ok(())
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = Vpc;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "ec2:vpc", |a| arn::after(a, "ec2", "vpc/"));
    const READ_BATCH: Option<usize> = Some(200);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, Vpc>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(Some(&p.name));
        let out = self
            .ctx
            .ec2()
            .create_vpc()
            .cidr_block(&p.cidr_block)
            .tag_specifications(tag_spec(ResourceType::Vpc, &tags))
            .send()
            .await
            .map_err(Self::err)?;
        let id = out
            .vpc
            .and_then(|v| v.vpc_id)
            .ok_or_else(|| missing_id("CreateVpc"))?;
        // New VPCs resolve DNS but give no hostnames; only change what differs.
        self.set_dns(
            &id,
            (!p.enable_dns_support).then_some(false),
            p.enable_dns_hostnames.then_some(true),
        )
        .await?;
        Ok(applied_id(id))
    }

    async fn read(&self, items: &[Item<'_, Vpc>]) -> Result<Vec<Seen<Vpc>>, ProviderError> {
        let mut found = Vec::new();
        for chunk in chunks(&ids(items), 200) {
            let out = self
                .ctx
                .ec2()
                .describe_vpcs()
                .filters(filter("vpc-id", chunk))
                .send()
                .await
                .map_err(Self::err)?;
            // The DNS attributes have no batch form: two calls per VPC.
            let seen = bounded(&self.ctx, "ec2", out.vpcs.unwrap_or_default(), |v| async move {
                let id = required(v.vpc_id.clone(), "DescribeVpcs", "VpcId")?;
                let (support, hostnames) = futures::try_join!(
                    self.attr(&id, VpcAttributeName::EnableDnsSupport),
                    self.attr(&id, VpcAttributeName::EnableDnsHostnames)
                )?;
                let props = Vpc {
                    name: name_of(v.tags.as_deref()),
                    cidr_block: v.cidr_block.clone().unwrap_or_default(),
                    enable_dns_support: support,
                    enable_dns_hostnames: hostnames,
                };
                Ok(Seen::new(id.clone(), props, applied_id(id).outputs))
            })
            .await?;
            found.extend(seen);
        }
        Ok(found)
    }

    async fn update(&self, req: Update<'_, Vpc>) -> Result<Applied, ProviderError> {
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
        self.set_dns(
            req.id,
            (old.enable_dns_support != new.enable_dns_support).then_some(new.enable_dns_support),
            (old.enable_dns_hostnames != new.enable_dns_hostnames)
                .then_some(new.enable_dns_hostnames),
        )
        .await?;
        Ok(applied_id(req.id.to_string()))
    }

    async fn delete(&self, req: Delete<'_, Vpc>) -> Result<(), ProviderError> {
        retry_codes(&["DependencyViolation"], DEPENDENCY_WAIT, || async {
            self.ctx
                .ec2()
                .delete_vpc()
                .vpc_id(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await
    }

    async fn find(&self, req: Find<'_, Vpc>) -> Result<Option<Applied>, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_vpcs()
            .set_filters(Some(stack_filters(req.tags, req.address)))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out
            .vpcs
            .unwrap_or_default()
            .into_iter()
            .find(|v| ec2_tags_match(v.tags.as_deref(), req.tags, req.address))
            .and_then(|v| v.vpc_id)
            .map(applied_id))
    }
}
