//! `vpc`: a VPC and its two DNS attributes.

use super::ec2::*;
use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName};
use futures::future::try_join_all;
use gantry_core::kinds::{self, Vpc};
use gantry_core::*;
use std::collections::HashMap;

const NOT_FOUND: &[&str] = &["InvalidVpcID.NotFound"];

pub struct VpcProvider {
    pub(crate) ctx: AwsContext,
}

impl VpcProvider {
    async fn attr(&self, id: &str, name: VpcAttributeName) -> Result<bool, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(name.clone())
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND))?;
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
                .map_err(|e| aws_error(e, NOT_FOUND))?;
        }
        if let Some(v) = hostnames {
            self.ctx
                .ec2()
                .modify_vpc_attribute()
                .vpc_id(id)
                .enable_dns_hostnames(b(v))
                .send()
                .await
                .map_err(|e| aws_error(e, NOT_FOUND))?;
        }
        Ok(())
    }
}

#[async_trait]
impl Provider for VpcProvider {
    fn kind(&self) -> &'static str {
        kinds::VPC
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: Vpc = parse(kinds::VPC, req.props)?;
        let tags = tag_set(req.tags, req.address, Some(&p.name));
        let out = self
            .ctx
            .ec2()
            .create_vpc()
            .cidr_block(&p.cidr_block)
            .tag_specifications(tag_spec(ResourceType::Vpc, &tags))
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
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

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        let ids: Vec<String> = reqs.iter().map(|r| r.id.to_string()).collect();
        let mut found = HashMap::new();
        for chunk in chunks(&ids, 200) {
            let out = self
                .ctx
                .ec2()
                .describe_vpcs()
                .filters(filter("vpc-id", chunk))
                .send()
                .await
                .map_err(|e| aws_error(e, NOT_FOUND))?;
            let vpcs = out.vpcs.unwrap_or_default();
            // The DNS attributes have no batch form: ask for all at once.
            let attrs = try_join_all(vpcs.iter().map(|v| async move {
                let id = v.vpc_id().unwrap_or_default();
                futures::try_join!(
                    self.attr(id, VpcAttributeName::EnableDnsSupport),
                    self.attr(id, VpcAttributeName::EnableDnsHostnames)
                )
            }))
            .await?;
            for (v, (support, hostnames)) in vpcs.into_iter().zip(attrs) {
                let Some(id) = v.vpc_id.clone() else { continue };
                let props = Vpc {
                    name: name_of(v.tags.as_deref()),
                    cidr_block: v.cidr_block.clone().unwrap_or_default(),
                    enable_dns_support: support,
                    enable_dns_hostnames: hostnames,
                };
                found.insert(
                    id.clone(),
                    Observed {
                        props: to_props(&props),
                        outputs: applied_id(id).outputs,
                    },
                );
            }
        }
        Ok(reqs.iter().map(|r| found.remove(r.id)).collect())
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let old: Vpc = parse(kinds::VPC, req.old)?;
        let new: Vpc = parse(kinds::VPC, req.new)?;
        if old.name != new.name {
            put_tags(
                &self.ctx,
                req.id,
                &tag_set(req.tags, req.address, Some(&new.name)),
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

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let r = retry_codes(&["DependencyViolation"], DEPENDENCY_WAIT, || async {
            self.ctx
                .ec2()
                .delete_vpc()
                .vpc_id(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(e, NOT_FOUND))
        })
        .await;
        ignore_not_found(r)
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_vpcs()
            .set_filters(Some(stack_filters(req.tags, req.address)))
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        Ok(out
            .vpcs
            .unwrap_or_default()
            .into_iter()
            .find(|v| ec2_tags_match(v.tags.as_deref(), req.tags, req.address))
            .and_then(|v| v.vpc_id)
            .map(applied_id))
    }
}
