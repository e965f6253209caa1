//! `apigw_route`: a route of an HTTP API (`ANY /orders/{proxy+}`,
//! `$default`) whose target is an integration (`integrations/ID`). The id
//! is the route id (within `api_id`). With an `authorizer_id` the route
//! requires that (JWT) authorizer's approval, without it none. Routes
//! carry no tags, but a route key
//! is unique within its API, so an interrupted create is adopted by
//! listing the API's routes for the key. Key and target change in place.

use super::apigw::{all_pages, read_inside};
use aws_sdk_apigatewayv2::types::{AuthorizationType, Route};
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use gantry_core::kinds::{self, ApigwRoute};
use crate::shape::*;
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
}


fn target(integration_id: &str) -> String {
    format!("integrations/{integration_id}")
}

/// `JWT` with an authorizer, `NONE` without.
fn authorization(p: &ApigwRoute) -> AuthorizationType {
    match p.authorizer_id {
        Some(_) => AuthorizationType::Jwt,
        None => AuthorizationType::None,
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = ApigwRoute;
    const NOT_FOUND: &'static [&'static str] = super::apigw::NOT_FOUND;
    const LISTING: Listing = Listing::Inside(kinds::APIGW_API);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, ApigwRoute>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .apigw()
            .create_route()
            .api_id(&p.api_id)
            .route_key(&p.route_key)
            .target(target(&p.integration_id))
            .authorization_type(authorization(p))
            .set_authorizer_id(p.authorizer_id.clone())
            .send()
            .await
            .map_err(Self::err)?;
        let id = out
            .route_id()
            .ok_or_else(|| ProviderError::new("MissingId", "CreateRoute returned no id"))?;
        Ok(applied_id(id))
    }

    /// One GetRoutes listing per API answers for all its routes.
    async fn read(&self, items: &[Item<'_, ApigwRoute>]) -> Result<Vec<Seen<ApigwRoute>>, ProviderError> {
        read_inside(
            items,
            |r: &ApigwRoute| r.api_id.clone(),
            |api| async move { self.routes(&api).await },
            |r: &Route| r.route_id(),
            |api, route, item| {
                let t = route.target().unwrap_or_default();
                let props = ApigwRoute {
                    api_id: api.to_string(),
                    route_key: route.route_key().unwrap_or_default().to_string(),
                    integration_id: t.strip_prefix("integrations/").unwrap_or(t).to_string(),
                    authorizer_id: route
                        .authorizer_id()
                        .filter(|a| !a.is_empty())
                        .filter(|_| route.authorization_type() == Some(&AuthorizationType::Jwt))
                        .map(str::to_string),
                };
                Seen::new(item.id, props, applied_id(item.id).outputs)
            },
        )
        .await
    }

    async fn update(&self, req: Update<'_, ApigwRoute>) -> Result<Applied, ProviderError> {
        let p = &req.new;
        self.ctx
            .apigw()
            .update_route()
            .api_id(&p.api_id)
            .route_id(req.id)
            .route_key(&p.route_key)
            .target(target(&p.integration_id))
            .authorization_type(authorization(p))
            // An empty id detaches the authorizer of a route opened up.
            .authorizer_id(p.authorizer_id.clone().unwrap_or_default())
            .send()
            .await
            .map_err(Self::err)?;
        Ok(applied_id(req.id))
    }

    async fn delete(&self, req: Delete<'_, ApigwRoute>) -> Result<(), ProviderError> {
        let p = &needs_record::<ApigwRoute>(req.recorded.clone())?;
        self
            .ctx
            .apigw()
            .delete_route()
            .api_id(&p.api_id)
            .route_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, ApigwRoute>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let routes = self.routes(&p.api_id).await?;
        Ok(routes
            .iter()
            .find(|r| r.route_key() == Some(p.route_key.as_str()))
            .and_then(|r| r.route_id())
            .map(applied_id))
    }
}

impl Provider {
    /// Every route of an API (GetRoutes, all pages; a gone API has none).
    async fn routes(&self, api_id: &str) -> Result<Vec<Route>, ProviderError> {
        all_pages(|token| async move {
            let r = self.ctx.apigw().get_routes().api_id(api_id).set_next_token(token).send().await;
            Ok(found(r.map_err(Self::err))?
                .map_or((Vec::new(), None), |r| (r.items.unwrap_or_default(), r.next_token)))
        })
        .await
    }
}
