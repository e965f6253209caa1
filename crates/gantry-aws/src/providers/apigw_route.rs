//! `apigw_route`: a route of an HTTP API (`ANY /orders/{proxy+}`,
//! `$default`) whose target is an integration (`integrations/ID`). The id
//! is the route id (within `api_id`). Routes carry no tags, but a route key
//! is unique within its API, so an interrupted create is adopted by
//! listing the API's routes for the key. Key and target change in place.

use super::apigw::*;
use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use futures::future::try_join_all;
use gantry_core::kinds::{self, ApigwRoute};
use gantry_core::*;

pub struct ApigwRouteProvider {
    pub(crate) ctx: AwsContext,
}

fn applied(id: &str) -> Applied {
    Applied {
        id: id.to_string(),
        outputs: outputs([("id", id.to_string())]),
    }
}

fn target(integration_id: &str) -> String {
    format!("integrations/{integration_id}")
}

#[async_trait]
impl Provider for ApigwRouteProvider {
    fn kind(&self) -> &'static str {
        kinds::APIGW_ROUTE
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: ApigwRoute = parse(kinds::APIGW_ROUTE, req.props)?;
        let out = self
            .ctx
            .apigw()
            .create_route()
            .api_id(&p.api_id)
            .route_key(&p.route_key)
            .target(target(&p.integration_id))
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        let id = out
            .route_id()
            .ok_or_else(|| ProviderError::new("MissingId", "CreateRoute returned no id"))?;
        Ok(applied(id))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        try_join_all(reqs.iter().map(|r| async move {
            let rec: ApigwRoute = parse(kinds::APIGW_ROUTE, r.props)?;
            let got = self
                .ctx
                .apigw()
                .get_route()
                .api_id(&rec.api_id)
                .route_id(r.id)
                .send()
                .await
                .map_err(|e| aws_error(e, NOT_FOUND));
            let Some(route) = found(got)? else {
                return Ok(None);
            };
            let t = route.target().unwrap_or_default();
            let props = ApigwRoute {
                api_id: rec.api_id.clone(),
                route_key: route.route_key().unwrap_or_default().to_string(),
                integration_id: t.strip_prefix("integrations/").unwrap_or(t).to_string(),
            };
            Ok(Some(Observed {
                props: to_props(&props),
                outputs: applied(r.id).outputs,
            }))
        }))
        .await
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: ApigwRoute = parse(kinds::APIGW_ROUTE, req.new)?;
        self.ctx
            .apigw()
            .update_route()
            .api_id(&p.api_id)
            .route_id(req.id)
            .route_key(&p.route_key)
            .target(target(&p.integration_id))
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND))?;
        Ok(applied(req.id))
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let p: ApigwRoute = parse(kinds::APIGW_ROUTE, req.props)?;
        let r = self
            .ctx
            .apigw()
            .delete_route()
            .api_id(&p.api_id)
            .route_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(e, NOT_FOUND));
        ignore_not_found(r)
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let p: ApigwRoute = parse(kinds::APIGW_ROUTE, req.props)?;
        let mut token = None;
        loop {
            let got = self
                .ctx
                .apigw()
                .get_routes()
                .api_id(&p.api_id)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| aws_error(e, NOT_FOUND));
            let Some(page) = found(got)? else {
                return Ok(None);
            };
            if let Some(r) = page
                .items()
                .iter()
                .find(|r| r.route_key() == Some(p.route_key.as_str()))
            {
                return Ok(r.route_id().map(applied));
            }
            token = page.next_token;
            if token.is_none() {
                return Ok(None);
            }
        }
    }
}
