//! `apigw_integration`: an HTTP API integration; Gantry writes private
//! integrations (`HTTP_PROXY` through a `VPC_LINK` to a load balancer
//! listener). The id is the integration id (within `api_id`). Integrations
//! carry no tags, so the description names the address and an
//! interrupted create is adopted by listing the API's integrations for it.
//! Everything but the API and the integration and connection types changes
//! in place (UpdateIntegration).

use super::apigw::*;
use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_apigatewayv2::types::{ConnectionType, IntegrationType};
use futures::future::try_join_all;
use gantry_core::kinds::{self, ApigwIntegration};
use gantry_core::*;

pub struct ApigwIntegrationProvider {
    pub(crate) ctx: AwsContext,
}

fn applied(id: &str) -> Applied {
    Applied {
        id: id.to_string(),
        outputs: outputs([("id", id.to_string())]),
    }
}

#[async_trait]
impl Provider for ApigwIntegrationProvider {
    fn kind(&self) -> &'static str {
        kinds::APIGW_INTEGRATION
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: ApigwIntegration = parse(kinds::APIGW_INTEGRATION, req.props)?;
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
            .map_err(|e| aws_error(e, &[]))?;
        let id = out
            .integration_id()
            .ok_or_else(|| ProviderError::new("MissingId", "CreateIntegration returned no id"))?;
        Ok(applied(id))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        try_join_all(reqs.iter().map(|r| async move {
            let rec: ApigwIntegration = parse(kinds::APIGW_INTEGRATION, r.props)?;
            let got = self
                .ctx
                .apigw()
                .get_integration()
                .api_id(&rec.api_id)
                .integration_id(r.id)
                .send()
                .await
                .map_err(|e| aws_error(e, NOT_FOUND));
            let Some(i) = found(got)? else {
                return Ok(None);
            };
            let props = ApigwIntegration {
                api_id: rec.api_id.clone(),
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
                timeout_in_millis: i.timeout_in_millis().unwrap_or(rec.timeout_in_millis),
            };
            Ok(Some(Observed {
                props: to_props(&props),
                outputs: applied(r.id).outputs,
            }))
        }))
        .await
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: ApigwIntegration = parse(kinds::APIGW_INTEGRATION, req.new)?;
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
            .map_err(|e| aws_error(e, NOT_FOUND))?;
        Ok(applied(req.id))
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let p: ApigwIntegration = parse(kinds::APIGW_INTEGRATION, req.props)?;
        let r = self
            .ctx
            .apigw()
            .delete_integration()
            .api_id(&p.api_id)
            .integration_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(e, NOT_FOUND));
        ignore_not_found(r)
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let p: ApigwIntegration = parse(kinds::APIGW_INTEGRATION, req.props)?;
        let mut token = None;
        loop {
            let got = self
                .ctx
                .apigw()
                .get_integrations()
                .api_id(&p.api_id)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| aws_error(e, NOT_FOUND));
            let Some(page) = found(got)? else {
                return Ok(None);
            };
            if let Some(i) = page
                .items()
                .iter()
                .find(|i| i.description() == Some(p.description.as_str()))
            {
                return Ok(i.integration_id().map(applied));
            }
            token = page.next_token;
            if token.is_none() {
                return Ok(None);
            }
        }
    }
}
