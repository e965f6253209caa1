//! Auth (seed 004): a Cognito user pool where users sign in with their
//! email address (verified by a code at sign-up, also the way to recover
//! an account), passwords of at least `password_length` characters with
//! all four character classes, TOTP MFA as the spec says, deletion
//! protection in production; its groups; a public web client (no secret,
//! the authorization code grant, which Cognito pairs with PKCE for public
//! clients, `openid email profile`, the callback and logout URLs, SRP and
//! refresh-token sign-in only, no user-existence leaks, revocable tokens);
//! and the hosted UI on a Cognito domain.
//!
//! The API's JWT authorizer (built with the API) trusts the pool's issuer
//! for tokens issued to this client.

use crate::Graph;
use gantry_core::kinds::{self, *};
use gantry_core::{reference, Address, Resource};
use gantry_model::Model;

/// Scopes the web client may ask for.
pub const SCOPES: &[&str] = &["email", "openid", "profile"];
/// Days a password an administrator set stays valid (Cognito's default).
pub const TEMPORARY_PASSWORD_DAYS: i32 = 7;

/// What the API's authorizer and the services that `uses: [auth]` get.
pub(crate) struct AuthBuilt {
    pub pool: Address,
    pub client: Address,
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub(crate) fn build(m: &Model, g: &mut Graph) -> Option<AuthBuilt> {
    let a = m.auth.as_ref()?;
    let prefix = m.prefix();
    let pool = g.add(Resource::new(
        kinds::COGNITO_USER_POOL,
        "main",
        &CognitoUserPool {
            name: prefix.clone(),
            username_attributes: strings(&["email"]),
            auto_verified_attributes: strings(&["email"]),
            password_policy: PasswordPolicy {
                minimum_length: a.password_length as i32,
                require_lowercase: true,
                require_uppercase: true,
                require_numbers: true,
                require_symbols: true,
                temporary_password_validity_days: TEMPORARY_PASSWORD_DAYS,
            },
            mfa_configuration: a.mfa.clone(),
            deletion_protection: a.deletion_protection,
        },
    ));
    for (i, group) in a.groups.iter().enumerate() {
        g.add(Resource::new(
            kinds::COGNITO_USER_GROUP,
            group,
            &CognitoUserGroup {
                user_pool_id: reference(&pool, "id"),
                name: group.clone(),
                description: format!("Group {group} of {prefix}"),
                // The first written wins when a user is in several.
                precedence: i as i32,
            },
        ));
    }
    let client = g.add(Resource::new(
        kinds::COGNITO_USER_POOL_CLIENT,
        "web",
        &CognitoUserPoolClient {
            user_pool_id: reference(&pool, "id"),
            name: format!("{prefix}-web"),
            generate_secret: false,
            allowed_oauth_flows: strings(&["code"]),
            allowed_oauth_scopes: strings(SCOPES),
            callback_urls: a.callback_urls.clone(),
            logout_urls: a.logout_urls.clone(),
            supported_identity_providers: strings(&["COGNITO"]),
            explicit_auth_flows: strings(&["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]),
            prevent_user_existence_errors: true,
            enable_token_revocation: true,
        },
    ));
    g.add(Resource::new(
        kinds::COGNITO_USER_POOL_DOMAIN,
        "main",
        &CognitoUserPoolDomain {
            domain: a.domain_prefix.clone(),
            user_pool_id: reference(&pool, "id"),
        },
    ));
    Some(AuthBuilt { pool, client })
}
