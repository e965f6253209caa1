//! `internet_gateway`: an internet gateway attached to one VPC.

use super::ec2::*;
use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;
use gantry_core::kinds::InternetGateway;
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["InvalidInternetGatewayID.NotFound"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

impl Provider {
    async fn attach(&self, id: &str, vpc_id: &str) -> Result<(), ProviderError> {
        self.ctx
            .ec2()
            .attach_internet_gateway()
            .internet_gateway_id(id)
            .vpc_id(vpc_id)
            .send()
            .await
            .map_err(Self::err)?;
        Ok(())
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = InternetGateway;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "ec2:internet-gateway", |a| arn::after(a, "ec2", "internet-gateway/"));
    const READ_BATCH: Option<usize> = Some(200);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, InternetGateway>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(Some(&p.name));
        let out = self
            .ctx
            .ec2()
            .create_internet_gateway()
            .tag_specifications(tag_spec(ResourceType::InternetGateway, &tags))
            .send()
            .await
            .map_err(Self::err)?;
        let id = out
            .internet_gateway
            .and_then(|g| g.internet_gateway_id)
            .ok_or_else(|| missing_id("CreateInternetGateway"))?;
        self.attach(&id, &p.vpc_id).await?;
        Ok(applied_id(id))
    }

    async fn read(&self, items: &[Item<'_, InternetGateway>]) -> Result<Vec<Seen<InternetGateway>>, ProviderError> {
        let ids = ids(items);
        let mut found = Vec::new();
        for chunk in chunks(&ids, 200) {
            let out = self
                .ctx
                .ec2()
                .describe_internet_gateways()
                .filters(filter("internet-gateway-id", chunk))
                .send()
                .await
                .map_err(Self::err)?;
            for g in out.internet_gateways.unwrap_or_default() {
                let Some(id) = g.internet_gateway_id.clone() else {
                    continue;
                };
                let vpc_id = g
                    .attachments()
                    .iter()
                    .find_map(|a| a.vpc_id.clone())
                    .unwrap_or_default();
                let props = InternetGateway {
                    name: name_of(g.tags.as_deref()),
                    vpc_id,
                };
                found.push(Seen::new(id.clone(), props, applied_id(id).outputs));
            }
        }
        Ok(found)
    }

    async fn update(&self, req: Update<'_, InternetGateway>) -> Result<Applied, ProviderError> {
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
        Ok(applied_id(req.id.to_string()))
    }

    async fn delete(&self, req: Delete<'_, InternetGateway>) -> Result<(), ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_internet_gateways()
            .filters(filter("internet-gateway-id", [req.id.to_string()]))
            .send()
            .await
            .map_err(Self::err)?;
        let Some(gw) = out.internet_gateways.unwrap_or_default().into_iter().next() else {
            return Ok(());
        };
        for a in gw.attachments() {
            let Some(vpc) = a.vpc_id() else { continue };
            // Detaching fails while public addresses in the VPC are still
            // mapped (a NAT gateway's EIP being released, say).
            let r = retry_codes(&["DependencyViolation"], DEPENDENCY_WAIT, || async {
                self.ctx
                    .ec2()
                    .detach_internet_gateway()
                    .internet_gateway_id(req.id)
                    .vpc_id(vpc)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| {
                        aws_error(
                            e,
                            &["InvalidInternetGatewayID.NotFound", "Gateway.NotAttached"],
                        )
                    })
            })
            .await;
            ignore_not_found(r)?;
        }
        retry_codes(&["DependencyViolation"], DEPENDENCY_WAIT, || async {
            self.ctx
                .ec2()
                .delete_internet_gateway()
                .internet_gateway_id(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await
    }

    async fn find(&self, req: Find<'_, InternetGateway>) -> Result<Option<Applied>, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_internet_gateways()
            .set_filters(Some(stack_filters(req.tags, req.address)))
            .send()
            .await
            .map_err(Self::err)?;
        let Some(gw) = out
            .internet_gateways
            .unwrap_or_default()
            .into_iter()
            .find(|g| ec2_tags_match(g.tags.as_deref(), req.tags, req.address))
        else {
            return Ok(None);
        };
        let id = gw
            .internet_gateway_id
            .clone()
            .ok_or_else(|| missing_id("DescribeInternetGateways"))?;
        // The crash may have come between create and attach.
        if gw.attachments().is_empty() {
            self.attach(&id, &req.props.vpc_id).await?;
        }
        Ok(Some(applied_id(id)))
    }
}
