//! `apigw_authorizer`: an authorizer of an HTTP API; Gantry makes `JWT`
//! ones (a Cognito user pool's issuer, its web client as audience). The id
//! is the authorizer id (within `api_id`). Authorizers carry no tags, but a
//! name is unique within its API, so an interrupted create is adopted by
//! listing the API's authorizers for the name. Everything but the API and
//! type changes in place. Reads list each API's authorizers once.

use super::apigw::{all_pages, read_inside};
use crate::context::AwsContext;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_apigatewayv2::types::{Authorizer, AuthorizerType, JwtConfiguration};
use gantry_core::kinds::{self, ApigwAuthorizer};
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn jwt(p: &ApigwAuthorizer) -> JwtConfiguration {
    JwtConfiguration::builder()
        .issuer(&p.issuer)
        .set_audience(Some(p.audience.clone()))
        .build()
}

#[async_trait]
impl AwsKind for Provider {
    type Props = ApigwAuthorizer;
    const NOT_FOUND: &'static [&'static str] = super::apigw::NOT_FOUND;
    const LISTING: Listing = Listing::Inside(kinds::APIGW_API);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, ApigwAuthorizer>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .apigw()
            .create_authorizer()
            .api_id(&p.api_id)
            .name(&p.name)
            .authorizer_type(AuthorizerType::from(p.authorizer_type.as_str()))
            .set_identity_source(Some(p.identity_source.clone()))
            .jwt_configuration(jwt(p))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(applied_id(required(out.authorizer_id(), "CreateAuthorizer", "id")?))
    }

    async fn read(&self, items: &[Item<'_, ApigwAuthorizer>]) -> Result<Vec<Seen<ApigwAuthorizer>>, ProviderError> {
        read_inside(
            items,
            |a: &ApigwAuthorizer| a.api_id.clone(),
            |api| async move { self.authorizers(&api).await },
            |a: &Authorizer| a.authorizer_id(),
            |api, a, item| {
                let j = a.jwt_configuration();
                let rec = item.recorded.as_ref();
                let props = ApigwAuthorizer {
                    api_id: api.to_string(),
                    name: a.name().unwrap_or_default().to_string(),
                    authorizer_type: a.authorizer_type().map_or("", |t| t.as_str()).to_string(),
                    identity_source: order_like(
                        a.identity_source().to_vec(),
                        rec.map_or(&[], |r| r.identity_source.as_slice()),
                    ),
                    issuer: j.and_then(|j| j.issuer()).unwrap_or_default().to_string(),
                    audience: order_like(
                        j.map(|j| j.audience().to_vec()).unwrap_or_default(),
                        rec.map_or(&[], |r| r.audience.as_slice()),
                    ),
                };
                Seen::new(item.id, props, applied_id(item.id).outputs)
            },
        )
        .await
    }

    async fn update(&self, req: Update<'_, ApigwAuthorizer>) -> Result<Applied, ProviderError> {
        let p = &req.new;
        self.ctx
            .apigw()
            .update_authorizer()
            .api_id(&p.api_id)
            .authorizer_id(req.id)
            .name(&p.name)
            .set_identity_source(Some(p.identity_source.clone()))
            .jwt_configuration(jwt(p))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(applied_id(req.id))
    }

    async fn delete(&self, req: Delete<'_, ApigwAuthorizer>) -> Result<(), ProviderError> {
        let p = needs_record::<ApigwAuthorizer>(req.recorded.clone())?;
        self.ctx
            .apigw()
            .delete_authorizer()
            .api_id(&p.api_id)
            .authorizer_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, ApigwAuthorizer>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        Ok(self
            .authorizers(&p.api_id)
            .await?
            .iter()
            .find(|a| a.name() == Some(p.name.as_str()))
            .and_then(|a| a.authorizer_id())
            .map(applied_id))
    }
}

impl Provider {
    /// Every authorizer of an API (GetAuthorizers, all pages; a gone API has none).
    async fn authorizers(&self, api_id: &str) -> Result<Vec<Authorizer>, ProviderError> {
        all_pages(|token| async move {
            let r = self
                .ctx
                .apigw()
                .get_authorizers()
                .api_id(api_id)
                .set_next_token(token)
                .send()
                .await;
            Ok(found(r.map_err(Self::err))?
                .map_or((Vec::new(), None), |r| (r.items.unwrap_or_default(), r.next_token)))
        })
        .await
    }
}
