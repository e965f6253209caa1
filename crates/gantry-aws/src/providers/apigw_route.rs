//! `apigw_route`: a route of an HTTP API (`ANY /orders/{proxy+}`,
//! `$default`) whose target is an integration (`integrations/ID`). The id
//! is the route id (within `api_id`). Routes carry no tags, but a route key
//! is unique within its API, so an interrupted create is adopted by
//! listing the API's routes for the key. Key and target change in place.

use super::apigw::{all_pages, by_parent};
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use gantry_core::kinds::{self, ApigwRoute};
use crate::shape::*;
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
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
            .send()
            .await
            .map_err(Self::err)?;
        let id = out
            .route_id()
            .ok_or_else(|| ProviderError::new("MissingId", "CreateRoute returned no id"))?;
        Ok(applied(id))
    }

    /// One GetRoutes listing per API answers for all its routes.
    async fn read(&self, items: &[Item<'_, ApigwRoute>]) -> Result<Vec<Seen<ApigwRoute>>, ProviderError> {
        let mut out = Vec::new();
        for (api_id, wanted) in by_parent(items, |r: &ApigwRoute| r.api_id.clone())? {
            let listed = all_pages(|token| async {
                let r = self
                    .ctx
                    .apigw()
                    .get_routes()
                    .api_id(&api_id)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(Self::err);
                match found(r)? {
                    Some(r) => Ok((r.items.unwrap_or_default(), r.next_token)),
                    None => Ok((Vec::new(), None)),
                }
            })
            .await?;
            for route in listed {
                let Some(item) = wanted.iter().find(|i| route.route_id() == Some(i.id)) else {
                    continue;
                };
                let t = route.target().unwrap_or_default();
                let props = ApigwRoute {
                    api_id: api_id.clone(),
                    route_key: route.route_key().unwrap_or_default().to_string(),
                    integration_id: t.strip_prefix("integrations/").unwrap_or(t).to_string(),
                };
                out.push(Seen::new(item.id, props, applied(item.id).outputs));
            }
        }
        Ok(out)
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
            .send()
            .await
            .map_err(Self::err)?;
        Ok(applied(req.id))
    }

    async fn delete(&self, req: Delete<'_, ApigwRoute>) -> Result<(), ProviderError> {
        let p = &needs_record::<ApigwRoute>(req.recorded.clone())?;
        let r = self
            .ctx
            .apigw()
            .delete_route()
            .api_id(&p.api_id)
            .route_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err);
        ignore_not_found(r)
    }

    async fn find(&self, req: Find<'_, ApigwRoute>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
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
                .map_err(Self::err);
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
