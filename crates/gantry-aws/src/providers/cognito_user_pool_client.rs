//! `cognito_user_pool_client`: an app client of a user pool. The id is
//! `POOL_ID/CLIENT_ID`; outputs `id`, `client_id`. Clients carry no tags:
//! an interrupted create is adopted by the client's name, which Gantry
//! derives from the stack (ListUserPoolClients). UpdateUserPoolClient
//! replaces every setting, so an update sends them all; a secret cannot be
//! added or removed (replacement). Reads are one DescribeUserPoolClient per
//! client (the listing has names only).

use super::cognito::{inside_id, split_id, NOT_FOUND, PAGE};
use crate::context::AwsContext;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::types::{
    ExplicitAuthFlowsType, OAuthFlowType, PreventUserExistenceErrorTypes, UserPoolClientType,
};
use gantry_core::kinds::{self, CognitoUserPoolClient};
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(pool: &str, client: &str) -> Applied {
    let id = inside_id(pool, client);
    Applied {
        outputs: outputs([("id", id.clone()), ("client_id", client.to_string())]),
        id,
    }
}

fn prevent(on: bool) -> PreventUserExistenceErrorTypes {
    if on {
        PreventUserExistenceErrorTypes::Enabled
    } else {
        PreventUserExistenceErrorTypes::Legacy
    }
}

/// The settings both CreateUserPoolClient and UpdateUserPoolClient take,
/// applied to either builder (they share the setter names).
macro_rules! settings {
    ($b:expr, $p:expr) => {{
        let p = $p;
        $b.client_name(&p.name)
            .set_allowed_o_auth_flows(Some(
                p.allowed_oauth_flows.iter().map(|f| OAuthFlowType::from(f.as_str())).collect(),
            ))
            .set_allowed_o_auth_scopes(Some(p.allowed_oauth_scopes.clone()))
            .allowed_o_auth_flows_user_pool_client(!p.allowed_oauth_flows.is_empty())
            .set_callback_urls(Some(p.callback_urls.clone()))
            .set_logout_urls(Some(p.logout_urls.clone()))
            .set_supported_identity_providers(Some(p.supported_identity_providers.clone()))
            .set_explicit_auth_flows(Some(
                p.explicit_auth_flows.iter().map(|f| ExplicitAuthFlowsType::from(f.as_str())).collect(),
            ))
            .prevent_user_existence_errors(prevent(p.prevent_user_existence_errors))
            .enable_token_revocation(p.enable_token_revocation)
    }};
}

/// What Cognito holds, in the canonical form (list order as recorded).
fn from_client(c: &UserPoolClientType, rec: Option<&CognitoUserPoolClient>) -> CognitoUserPoolClient {
    let like = |v: Vec<String>, r: Option<&Vec<String>>| order_like(v, r.map_or(&[], |r| r.as_slice()));
    let strs = |v: &[String]| v.to_vec();
    CognitoUserPoolClient {
        user_pool_id: c.user_pool_id().unwrap_or_default().to_string(),
        name: c.client_name().unwrap_or_default().to_string(),
        generate_secret: c.client_secret().is_some(),
        allowed_oauth_flows: like(
            c.allowed_o_auth_flows().iter().map(|f| f.as_str().to_string()).collect(),
            rec.map(|r| &r.allowed_oauth_flows),
        ),
        allowed_oauth_scopes: like(strs(c.allowed_o_auth_scopes()), rec.map(|r| &r.allowed_oauth_scopes)),
        callback_urls: like(strs(c.callback_urls()), rec.map(|r| &r.callback_urls)),
        logout_urls: like(strs(c.logout_urls()), rec.map(|r| &r.logout_urls)),
        supported_identity_providers: like(
            strs(c.supported_identity_providers()),
            rec.map(|r| &r.supported_identity_providers),
        ),
        explicit_auth_flows: like(
            c.explicit_auth_flows().iter().map(|f| f.as_str().to_string()).collect(),
            rec.map(|r| &r.explicit_auth_flows),
        ),
        prevent_user_existence_errors: c.prevent_user_existence_errors()
            == Some(&PreventUserExistenceErrorTypes::Enabled),
        enable_token_revocation: c.enable_token_revocation().unwrap_or(false),
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = CognitoUserPoolClient;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = Listing::Inside(kinds::COGNITO_USER_POOL);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, CognitoUserPoolClient>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let b = self
            .ctx
            .cognito()
            .create_user_pool_client()
            .user_pool_id(&p.user_pool_id)
            .generate_secret(p.generate_secret);
        let out = settings!(b, p).send().await.map_err(Self::err)?;
        let c = required(out.user_pool_client, "CreateUserPoolClient", "client")?;
        let id = required(c.client_id(), "CreateUserPoolClient", "client id")?;
        Ok(applied(&p.user_pool_id, id))
    }

    async fn read(
        &self,
        items: &[Item<'_, CognitoUserPoolClient>],
    ) -> Result<Vec<Seen<CognitoUserPoolClient>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let (pool, client) = split_id(&id)?;
            let r = self
                .ctx
                .cognito()
                .describe_user_pool_client()
                .user_pool_id(pool)
                .client_id(client)
                .send()
                .await
                .map_err(Self::err)?;
            let Some(c) = r.user_pool_client else {
                return Ok(None);
            };
            let outputs = applied(pool, client).outputs;
            Ok(Some(Seen::new(id.clone(), from_client(&c, rec.as_ref()), outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, CognitoUserPoolClient>) -> Result<Applied, ProviderError> {
        let (pool, client) = split_id(req.id)?;
        let b = self
            .ctx
            .cognito()
            .update_user_pool_client()
            .user_pool_id(pool)
            .client_id(client);
        settings!(b, &req.new).send().await.map_err(Self::err)?;
        Ok(applied(pool, client))
    }

    async fn delete(&self, req: Delete<'_, CognitoUserPoolClient>) -> Result<(), ProviderError> {
        let (pool, client) = split_id(req.id)?;
        self.ctx
            .cognito()
            .delete_user_pool_client()
            .user_pool_id(pool)
            .client_id(client)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, CognitoUserPoolClient>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let clients = super::apigw::all_pages(|token| async move {
            let r = self
                .ctx
                .cognito()
                .list_user_pool_clients()
                .user_pool_id(&p.user_pool_id)
                .max_results(PAGE)
                .set_next_token(token)
                .send()
                .await
                .map_err(Self::err);
            Ok(found(r)?.map_or((Vec::new(), None), |r| {
                (r.user_pool_clients.unwrap_or_default(), r.next_token)
            }))
        })
        .await?;
        Ok(clients
            .iter()
            .find(|c| c.client_name() == Some(p.name.as_str()))
            .and_then(|c| c.client_id())
            .map(|id| applied(&p.user_pool_id, id)))
    }
}
