//! `nat_gateway`: a public NAT gateway. Create waits until it is available
//! (routes to it need that) and delete until it is gone (its EIP and subnet
//! cannot be released before).

use super::ec2::*;
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{NatGateway as AwsNat, NatGatewayState, ResourceType};
use gantry_core::kinds::NatGateway;
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["NatGatewayNotFound", "InvalidNatGatewayID.NotFound"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn gone(n: &AwsNat) -> bool {
    matches!(
        n.state(),
        Some(NatGatewayState::Deleted) | Some(NatGatewayState::Deleting)
    )
}

impl Provider {
    async fn describe(&self, ids: Vec<String>) -> Result<Vec<AwsNat>, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_nat_gateways()
            .filter(filter("nat-gateway-id", ids))
            .send()
            .await
            .map_err(Self::err)?;
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
impl AwsKind for Provider {
    type Props = NatGateway;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "ec2:natgateway", |a| arn::after(a, "ec2", "natgateway/"));
    const READ_BATCH: Option<usize> = Some(200);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, NatGateway>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(Some(&p.name));
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
            .map_err(Self::err)?;
        let id = out
            .nat_gateway
            .and_then(|n| n.nat_gateway_id)
            .ok_or_else(|| missing_id("CreateNatGateway"))?;
        self.wait_available(&id).await?;
        Ok(applied_id(id))
    }

    async fn read(&self, items: &[Item<'_, NatGateway>]) -> Result<Vec<Seen<NatGateway>>, ProviderError> {
        let ids = ids(items);
        let mut found = Vec::new();
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
                found.push(Seen::new(id.clone(), props, applied_id(id).outputs));
            }
        }
        Ok(found)
    }

    async fn update(&self, req: Update<'_, NatGateway>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        put_tags(
            &self.ctx,
            req.id,
            &req.tag_set(Some(&new.name)),
        )
        .await?;
        Ok(applied_id(req.id.to_string()))
    }

    async fn delete(&self, req: Delete<'_, NatGateway>) -> Result<(), ProviderError> {
        let r = self
            .ctx
            .ec2()
            .delete_nat_gateway()
            .nat_gateway_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err);
        ignore_not_found(r)?;
        wait_for(
            &format!("NAT gateway {} to be deleted", req.id),
            STATE_WAIT,
            || async {
                let n = self.describe(vec![req.id.to_string()]).await;
                let n = match n {
                    Err(e) if e.is_not_found() => return Ok(Some(())),
                    other => other?,
                };
                Ok(n.first()
                    .is_none_or(|n| n.state() == Some(&NatGatewayState::Deleted))
                    .then_some(()))
            },
        )
        .await
    }

    async fn find(&self, req: Find<'_, NatGateway>) -> Result<Option<Applied>, ProviderError> {
        // The emulator ignores tag filters here, so narrow by subnet and check
        // the tags ourselves.
        let out = self
            .ctx
            .ec2()
            .describe_nat_gateways()
            .filter(filter("subnet-id", [req.props.subnet_id.clone()]))
            .send()
            .await
            .map_err(Self::err)?;
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
