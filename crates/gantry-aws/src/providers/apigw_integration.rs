//! `apigw_integration`: an HTTP API integration; Gantry writes private
//! integrations (`HTTP_PROXY` through a `VPC_LINK` to a load balancer
//! listener). The id is the integration id (within `api_id`). Integrations
//! carry no tags, so the description names the address and an
//! interrupted create is adopted by listing the API's integrations for it.
//! Everything but the API and the integration and connection types changes
//! in place (UpdateIntegration).

use super::apigw::{all_pages, read_inside};
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_apigatewayv2::types::{ConnectionType, Integration, IntegrationType};
use gantry_core::kinds::{self, ApigwIntegration};
use crate::shape::*;
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
}


#[async_trait]
impl AwsKind for Provider {
    type Props = ApigwIntegration;
    const NOT_FOUND: &'static [&'static str] = super::apigw::NOT_FOUND;
    const LISTING: Listing = Listing::Inside(kinds::APIGW_API);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, ApigwIntegration>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .apigw()
            .create_integration()
            .api_id(&p.api_id)
            .description(&p.description)
            .integration_type(IntegrationType::from(p.integration_type.as_str()))
            .integration_method(&p.integration_method)
            .connection_type(ConnectionType::from(p.connection_type.as_str()))
            .connection_id(&p.connection_id)
            .integration_uri(&p.integration_uri)
            .payload_format_version(&p.payload_format_version)
            .timeout_in_millis(p.timeout_in_millis)
            .send()
            .await
            .map_err(Self::err)?;
        let id = out
            .integration_id()
            .ok_or_else(|| ProviderError::new("MissingId", "CreateIntegration returned no id"))?;
        Ok(applied_id(id))
    }

    /// One GetIntegrations listing per API answers for all its
    /// integrations.
    async fn read(
        &self,
        items: &[Item<'_, ApigwIntegration>],
    ) -> Result<Vec<Seen<ApigwIntegration>>, ProviderError> {
        read_inside(
            items,
            |r: &ApigwIntegration| r.api_id.clone(),
            |api| async move { self.integrations(&api).await },
            |i: &Integration| i.integration_id(),
            |api, i, item| {
                let recorded_timeout = item.recorded.as_ref().map(|r| r.timeout_in_millis);
                let props = ApigwIntegration {
                    api_id: api.to_string(),
                    description: i.description().unwrap_or_default().to_string(),
                    integration_type: i
                        .integration_type()
                        .map_or_else(String::new, |t| t.as_str().to_string()),
                    integration_method: i.integration_method().unwrap_or_default().to_string(),
                    connection_type: i
                        .connection_type()
                        .map_or_else(String::new, |t| t.as_str().to_string()),
                    connection_id: i.connection_id().unwrap_or_default().to_string(),
                    integration_uri: i.integration_uri().unwrap_or_default().to_string(),
                    payload_format_version: i.payload_format_version().unwrap_or_default().to_string(),
                    timeout_in_millis: i
                        .timeout_in_millis()
                        .or(recorded_timeout)
                        .unwrap_or_default(),
                };
                Seen::new(item.id, props, applied_id(item.id).outputs)
            },
        )
        .await
    }

    async fn update(&self, req: Update<'_, ApigwIntegration>) -> Result<Applied, ProviderError> {
        let p = &req.new;
        self.ctx
            .apigw()
            .update_integration()
            .api_id(&p.api_id)
            .integration_id(req.id)
            .description(&p.description)
            .integration_method(&p.integration_method)
            .connection_id(&p.connection_id)
            .integration_uri(&p.integration_uri)
            .payload_format_version(&p.payload_format_version)
            .timeout_in_millis(p.timeout_in_millis)
            .send()
            .await
            .map_err(Self::err)?;
        Ok(applied_id(req.id))
    }

    async fn delete(&self, req: Delete<'_, ApigwIntegration>) -> Result<(), ProviderError> {
        let p = &needs_record::<ApigwIntegration>(req.recorded.clone())?;
        self
            .ctx
            .apigw()
            .delete_integration()
            .api_id(&p.api_id)
            .integration_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, ApigwIntegration>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let integrations = self.integrations(&p.api_id).await?;
        Ok(integrations
            .iter()
            .find(|i| i.description() == Some(p.description.as_str()))
            .and_then(|i| i.integration_id())
            .map(applied_id))
    }
}

impl Provider {
    /// Every integration of an API (GetIntegrations, all pages; a gone API
    /// has none).
    async fn integrations(&self, api_id: &str) -> Result<Vec<Integration>, ProviderError> {
        all_pages(|token| async move {
            let r = self.ctx.apigw().get_integrations().api_id(api_id).set_next_token(token).send().await;
            Ok(found(r.map_err(Self::err))?
                .map_or((Vec::new(), None), |r| (r.items.unwrap_or_default(), r.next_token)))
        })
        .await
    }
}
