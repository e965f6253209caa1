//! `apigw_api`: an API Gateway HTTP API. The id is the API id; outputs add
//! `arn` (the tagging ARN, `arn:PARTITION:apigateway:REGION::/apis/ID`) and
//! `api_endpoint` (the `execute-api` URL). Tags go in the create call and
//! an interrupted create is adopted by them (GetApis has no server-side
//! filter, so adoption lists the region's APIs). Name, description and
//! the `execute-api` switch change in place.

use super::apigw::*;
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_apigatewayv2::types::ProtocolType;
use gantry_core::kinds::ApigwApi;
use crate::shape::*;
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
}

/// The API's ARN (for tags and IAM), built as API Gateway documents it.
pub(crate) fn api_arn(region: &str, id: &str) -> String {
    let partition = if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    format!("arn:{partition}:apigateway:{region}::/apis/{id}")
}

impl Provider {
    fn applied(&self, id: &str, endpoint: Option<&str>) -> Applied {
        Applied {
            id: id.to_string(),
            outputs: outputs([
                ("id", id.to_string()),
                ("arn", api_arn(self.ctx.region(), id)),
                ("api_endpoint", endpoint.unwrap_or_default().to_string()),
            ]),
        }
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = ApigwApi;
    const NOT_FOUND: &'static [&'static str] = super::apigw::NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "apigateway", |a| arn::after(a, "apigateway", "/apis/").filter(|i| !i.contains('/')));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, ApigwApi>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .apigw()
            .create_api()
            .name(&p.name)
            .protocol_type(ProtocolType::Http)
            .description(&p.description)
            .disable_execute_api_endpoint(p.disable_execute_api_endpoint)
            .set_tags(Some(tag_map(req.tag_set(Some(&p.name)))))
            .send()
            .await
            .map_err(Self::err)?;
        let id = out
            .api_id()
            .ok_or_else(|| ProviderError::new("MissingId", "CreateApi returned no id"))?;
        Ok(self.applied(id, out.api_endpoint()))
    }

    async fn read(&self, items: &[Item<'_, ApigwApi>]) -> Result<Vec<Seen<ApigwApi>>, ProviderError> {
        // GetApi takes one API; concurrently.
        each::<Self, _, _>(&self.ctx, items, |id, _rec| async move {
            let got = self
                .ctx
                .apigw()
                .get_api()
                .api_id(&id)
                .send()
                .await
                .map_err(Self::err);
            let Some(a) = found(got)? else {
                return Ok(None);
            };
            let props = ApigwApi {
                name: a.name().unwrap_or_default().to_string(),
                description: a.description().unwrap_or_default().to_string(),
                disable_execute_api_endpoint: a.disable_execute_api_endpoint().unwrap_or(false),
            };
            Ok(Some(Seen::new(id.clone(), props, self.applied(&id, a.api_endpoint()).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, ApigwApi>) -> Result<Applied, ProviderError> {
        let p = &req.new;
        let out = self
            .ctx
            .apigw()
            .update_api()
            .api_id(req.id)
            .name(&p.name)
            .description(&p.description)
            .disable_execute_api_endpoint(p.disable_execute_api_endpoint)
            .send()
            .await
            .map_err(Self::err)?;
        Ok(self.applied(req.id, out.api_endpoint()))
    }

    async fn delete(&self, req: Delete<'_, ApigwApi>) -> Result<(), ProviderError> {
        // Deleting the API deletes its routes, integrations and stages too.
        self
            .ctx
            .apigw()
            .delete_api()
            .api_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, ApigwApi>) -> Result<Option<Applied>, ProviderError> {
        for a in list_apis(&self.ctx).await? {
            if req.ours(pairs(a.tags())) {
                if let Some(id) = a.api_id() {
                    return Ok(Some(self.applied(id, a.api_endpoint())));
                }
            }
        }
        Ok(None)
    }
}
