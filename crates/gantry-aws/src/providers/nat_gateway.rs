//! `nat_gateway`: a public NAT gateway. Create waits until it is available
//! (routes to it need that) and delete until it is gone (its EIP and subnet
//! cannot be released before).

use super::ec2::*;
use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{NatGateway as AwsNat, NatGatewayState, ResourceType};
use gantry_core::kinds::{self, NatGateway};
use gantry_core::*;
use std::collections::HashMap;

const NOT_FOUND: &[&str] = &["NatGatewayNotFound", "InvalidNatGatewayID.NotFound"];

pub struct NatGatewayProvider {
    pub(crate) ctx: AwsContext,
}

fn gone(n: &AwsNat) -> bool {
    matches!(
        n.state(),
        Some(NatGatewayState::Deleted) | Some(NatGatewayState::Deleting)
    )
}

impl NatGatewayProvider {
    async fn describe(&self, ids: Vec<String>) -> Result<Vec<AwsNat>, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_nat_gateways()
            .filter(filter("nat-gateway-id", ids))
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND))?;
        Ok(out.nat_gateways.unwrap_or_default())
    }

    async fn wait_available(&self, id: &str) -> Result<(), ProviderError> {
        wait_for(
            &format!("NAT gateway {id} to become available"),
            STATE_WAIT,
            || async {
                let n = self.describe(vec![id.to_string()]).await?;
                match n.first().and_then(|n| n.state().cloned()) {
                    Some(NatGatewayState::Available) => Ok(Some(())),
                    Some(NatGatewayState::Failed) => Err(ProviderError::new(
                        n[0].failure_code().unwrap_or("NatGatewayFailed"),
                        n[0].failure_message()
                            .unwrap_or("NAT gateway failed")
                            .to_string(),
                    )),
                    _ => Ok(None),
                }
            },
        )
        .await
    }
}

#[async_trait]
impl Provider for NatGatewayProvider {
    fn kind(&self) -> &'static str {
        kinds::NAT_GATEWAY
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: NatGateway = parse(kinds::NAT_GATEWAY, req.props)?;
        let tags = tag_set(req.tags, req.address, Some(&p.name));
        let out = self
            .ctx
            .ec2()
            .create_nat_gateway()
            .subnet_id(&p.subnet_id)
            .allocation_id(&p.allocation_id)
            .client_token(client_token(req.token))
            .tag_specifications(tag_spec(ResourceType::Natgateway, &tags))
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        let id = out
            .nat_gateway
            .and_then(|n| n.nat_gateway_id)
            .ok_or_else(|| missing_id("CreateNatGateway"))?;
        self.wait_available(&id).await?;
        Ok(applied_id(id))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        let ids: Vec<String> = reqs.iter().map(|r| r.id.to_string()).collect();
        let mut found = HashMap::new();
        for chunk in chunks(&ids, 200) {
            for n in self.describe(chunk).await? {
                let Some(id) = n.nat_gateway_id.clone() else {
                    continue;
                };
                if gone(&n) {
                    continue;
                }
                let props = NatGateway {
                    name: name_of(n.tags.as_deref()),
                    subnet_id: n.subnet_id.clone().unwrap_or_default(),
                    allocation_id: n
                        .nat_gateway_addresses()
                        .iter()
                        .find_map(|a| a.allocation_id.clone())
                        .unwrap_or_default(),
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
        let new: NatGateway = parse(kinds::NAT_GATEWAY, req.new)?;
        put_tags(
            &self.ctx,
            req.id,
            &tag_set(req.tags, req.address, Some(&new.name)),
        )
        .await?;
        Ok(applied_id(req.id.to_string()))
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let r = self
            .ctx
            .ec2()
            .delete_nat_gateway()
            .nat_gateway_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(e, NOT_FOUND));
        ignore_not_found(r)?;
        wait_for(
            &format!("NAT gateway {} to be deleted", req.id),
            STATE_WAIT,
            || async {
                let n = self.describe(vec![req.id.to_string()]).await;
                let n = match n {
                    Err(e) if e.not_found => return Ok(Some(())),
                    other => other?,
                };
                Ok(n.first()
                    .is_none_or(|n| n.state() == Some(&NatGatewayState::Deleted))
                    .then_some(()))
            },
        )
        .await
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        // The emulator ignores tag filters here, so narrow by subnet and check
        // the tags ourselves.
        let mut q = self.ctx.ec2().describe_nat_gateways();
        if let Ok(p) = parse::<NatGateway>(kinds::NAT_GATEWAY, req.props) {
            q = q.filter(filter("subnet-id", [p.subnet_id]));
        }
        let out = q.send().await.map_err(|e| aws_error(e, &[]))?;
        let Some(n) = out
            .nat_gateways
            .unwrap_or_default()
            .into_iter()
            .find(|n| !gone(n) && ec2_tags_match(n.tags.as_deref(), req.tags, req.address))
        else {
            return Ok(None);
        };
        let id = n
            .nat_gateway_id
            .ok_or_else(|| missing_id("DescribeNatGateways"))?;
        self.wait_available(&id).await?;
        Ok(Some(applied_id(id)))
    }
}
