//! `apigw_vpc_link`: a VPC link (V2) for HTTP API private integrations,
//! with network interfaces in the given subnets and security groups. The
//! id is the link id; outputs add `arn`. Create waits (bounded) until the
//! link is AVAILABLE, since integrations through a PENDING link fail;
//! delete waits until GetVpcLink no longer finds it, since its network
//! interfaces hold the security group and subnets until then. Tags go in the create call and
//! an interrupted create is adopted by them. Only the name changes in place.

use super::apigw::*;
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_apigatewayv2::types::VpcLinkStatus;
use gantry_core::kinds::ApigwVpcLink;
use crate::shape::*;
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
}

/// What GetVpcLink reports: status, message, name, subnets, groups.
struct Link {
    status: Option<VpcLinkStatus>,
    message: String,
    props: ApigwVpcLink,
}

impl Provider {
    fn applied(&self, id: &str) -> Applied {
        let region = self.ctx.region();
        let arn = super::apigw_api::api_arn(region, id).replace("/apis/", "/vpclinks/");
        Applied {
            id: id.to_string(),
            outputs: outputs([("id", id.to_string()), ("arn", arn)]),
        }
    }

    async fn get(&self, id: &str) -> Result<Option<Link>, ProviderError> {
        let got = self
            .ctx
            .apigw()
            .get_vpc_link()
            .vpc_link_id(id)
            .send()
            .await
            .map_err(Self::err);
        Ok(found(got)?.map(|l| Link {
            status: l.vpc_link_status().cloned(),
            message: l.vpc_link_status_message().unwrap_or_default().to_string(),
            props: ApigwVpcLink {
                name: l.name().unwrap_or_default().to_string(),
                subnet_ids: l.subnet_ids().to_vec(),
                security_group_ids: l.security_group_ids().to_vec(),
            },
        }))
    }

    /// Waits until the link is AVAILABLE; FAILED is an error with AWS's reason.
    async fn wait_available(&self, id: &str) -> Result<(), ProviderError> {
        wait_for(
            &format!("VPC link {id} to be available"),
            STATE_WAIT,
            || async {
                let Some(l) = self.get(id).await? else {
                    return Err(ProviderError::not_found(format!("VPC link {id} vanished")));
                };
                match l.status {
                    // INACTIVE is a link unused for 60 days: it exists, and
                    // waiting would not change it.
                    Some(VpcLinkStatus::Available | VpcLinkStatus::Inactive) => Ok(Some(())),
                    Some(VpcLinkStatus::Failed) => Err(ProviderError::new(
                        "VpcLinkFailed",
                        format!("VPC link {id} failed: {}", l.message),
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
    type Props = ApigwVpcLink;
    const NOT_FOUND: &'static [&'static str] = super::apigw::NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "apigateway", |a| arn::after(a, "apigateway", "/vpclinks/").filter(|i| !i.contains('/')));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, ApigwVpcLink>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .apigw()
            .create_vpc_link()
            .name(&p.name)
            .set_subnet_ids(Some(p.subnet_ids.clone()))
            .set_security_group_ids(Some(p.security_group_ids.clone()))
            .set_tags(Some(tag_map(req.tag_set(Some(&p.name)))))
            .send()
            .await
            .map_err(Self::err)?;
        let id = out
            .vpc_link_id()
            .ok_or_else(|| ProviderError::new("MissingId", "CreateVpcLink returned no id"))?
            .to_string();
        self.wait_available(&id).await?;
        Ok(self.applied(&id))
    }

    async fn read(&self, items: &[Item<'_, ApigwVpcLink>]) -> Result<Vec<Seen<ApigwVpcLink>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some(l) = self.get(&id).await? else {
                return Ok(None);
            };
            let mut props = l.props;
            if let Some(rec) = &rec {
                props.subnet_ids = order_like(props.subnet_ids, &rec.subnet_ids);
                props.security_group_ids =
                    order_like(props.security_group_ids, &rec.security_group_ids);
            }
            Ok(Some(Seen::new(id.clone(), props, self.applied(&id).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, ApigwVpcLink>) -> Result<Applied, ProviderError> {
        let p = &req.new;
        self.ctx
            .apigw()
            .update_vpc_link()
            .vpc_link_id(req.id)
            .name(&p.name)
            .send()
            .await
            .map_err(Self::err)?;
        Ok(self.applied(req.id))
    }

    async fn delete(&self, req: Delete<'_, ApigwVpcLink>) -> Result<(), ProviderError> {
        let r = self
            .ctx
            .apigw()
            .delete_vpc_link()
            .vpc_link_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err);
        ignore_not_found(r)?;
        wait_for(
            &format!("VPC link {} to be deleted", req.id),
            STATE_WAIT,
            || async { Ok(self.get(req.id).await?.is_none().then_some(())) },
        )
        .await
    }

    async fn find(&self, req: Find<'_, ApigwVpcLink>) -> Result<Option<Applied>, ProviderError> {
        for l in list_vpc_links(&self.ctx).await? {
            let live = !matches!(
                l.vpc_link_status(),
                Some(VpcLinkStatus::Deleting | VpcLinkStatus::Failed)
            );
            if live && req.ours(pairs(l.tags())) {
                if let Some(id) = l.vpc_link_id() {
                    self.wait_available(id).await?;
                    return Ok(Some(self.applied(id)));
                }
            }
        }
        Ok(None)
    }
}
