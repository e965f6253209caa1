//! `cognito_user_pool`: a user pool where users sign in with their email
//! address (verified by a code, also the recovery channel), with a password
//! policy, TOTP MFA and deletion protection. The id is the pool id;
//! outputs `id`, `arn`, `name`, `issuer`.
//!
//! CreateUserPool takes the tags and everything but MFA: a pool is created
//! with MFA off and SetUserPoolMfaConfig turns on authenticator apps (TOTP)
//! with the wanted `MfaConfiguration` (AWS refuses MFA at create without an
//! SMS setup). UpdateUserPool resets what it is not given, so an update
//! sends every setting again, then the MFA config. Pool names are not
//! unique: an interrupted create is found by listing the pools of that
//! name and reading their tags (DescribeUserPool), never by name alone.
//! Reads are one DescribeUserPool per pool (Cognito has no batch form).
//! Deletion protection makes DeleteUserPool fail, which `destroy` reports;
//! a pool's hosted UI domain is deleted with it.

use super::cognito::{issuer, list_pools, NOT_FOUND};
use crate::context::AwsContext;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::types::{
    AccountRecoverySettingType, DeletionProtectionType, PasswordPolicyType, RecoveryOptionNameType,
    RecoveryOptionType, SoftwareTokenMfaConfigType, UserPoolMfaType, UserPoolPolicyType,
    UserPoolType, UsernameAttributeType, VerifiedAttributeType,
};
use gantry_core::kinds::{CognitoUserPool, PasswordPolicy};
use gantry_core::*;
use std::collections::HashMap;

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(region: &str, id: &str, arn: &str, name: &str) -> Applied {
    Applied {
        id: id.to_string(),
        outputs: outputs([
            ("id", id.to_string()),
            ("arn", arn.to_string()),
            ("name", name.to_string()),
            ("issuer", issuer(region, id)),
        ]),
    }
}

fn policies(p: &CognitoUserPool) -> UserPoolPolicyType {
    let pp = &p.password_policy;
    UserPoolPolicyType::builder()
        .password_policy(
            PasswordPolicyType::builder()
                .minimum_length(pp.minimum_length)
                .require_lowercase(pp.require_lowercase)
                .require_uppercase(pp.require_uppercase)
                .require_numbers(pp.require_numbers)
                .require_symbols(pp.require_symbols)
                .temporary_password_validity_days(pp.temporary_password_validity_days)
                .build(),
        )
        .build()
}

/// Accounts are recovered through the verified address alone (not SMS).
fn recovery() -> Result<AccountRecoverySettingType, ProviderError> {
    let by_email = RecoveryOptionType::builder()
        .name(RecoveryOptionNameType::VerifiedEmail)
        .priority(1)
        .build()
        .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))?;
    Ok(AccountRecoverySettingType::builder()
        .recovery_mechanisms(by_email)
        .build())
}

fn protection(on: bool) -> DeletionProtectionType {
    if on {
        DeletionProtectionType::Active
    } else {
        DeletionProtectionType::Inactive
    }
}

fn verified(p: &CognitoUserPool) -> Vec<VerifiedAttributeType> {
    p.auto_verified_attributes
        .iter()
        .map(|a| VerifiedAttributeType::from(a.as_str()))
        .collect()
}

/// What Cognito holds, in the canonical form.
fn from_pool(u: &UserPoolType, rec: Option<&CognitoUserPool>) -> CognitoUserPool {
    let pp = u.policies().and_then(|p| p.password_policy());
    let strings = |v: Vec<String>, r: Option<&Vec<String>>| order_like(v, r.map_or(&[], |r| r.as_slice()));
    CognitoUserPool {
        name: u.name().unwrap_or_default().to_string(),
        username_attributes: strings(
            u.username_attributes().iter().map(|a| a.as_str().to_string()).collect(),
            rec.map(|r| &r.username_attributes),
        ),
        auto_verified_attributes: strings(
            u.auto_verified_attributes().iter().map(|a| a.as_str().to_string()).collect(),
            rec.map(|r| &r.auto_verified_attributes),
        ),
        password_policy: PasswordPolicy {
            minimum_length: pp.and_then(|p| p.minimum_length()).unwrap_or(8),
            require_lowercase: pp.is_some_and(|p| p.require_lowercase()),
            require_uppercase: pp.is_some_and(|p| p.require_uppercase()),
            require_numbers: pp.is_some_and(|p| p.require_numbers()),
            require_symbols: pp.is_some_and(|p| p.require_symbols()),
            temporary_password_validity_days: pp.map_or(7, |p| p.temporary_password_validity_days()),
        },
        mfa_configuration: u
            .mfa_configuration()
            .map_or("OFF", |m| m.as_str())
            .to_string(),
        deletion_protection: u.deletion_protection() == Some(&DeletionProtectionType::Active),
    }
}

impl Provider {
    async fn describe(&self, id: &str) -> Result<Option<UserPoolType>, ProviderError> {
        let r = self
            .ctx
            .cognito()
            .describe_user_pool()
            .user_pool_id(id)
            .send()
            .await
            .map_err(Self::err);
        Ok(found(r)?.and_then(|o| o.user_pool))
    }

    async fn set_mfa(&self, id: &str, p: &CognitoUserPool) -> Result<(), ProviderError> {
        self.ctx
            .cognito()
            .set_user_pool_mfa_config()
            .user_pool_id(id)
            .software_token_mfa_configuration(
                SoftwareTokenMfaConfigType::builder()
                    .enabled(p.mfa_configuration != "OFF")
                    .build(),
            )
            .mfa_configuration(UserPoolMfaType::from(p.mfa_configuration.as_str()))
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    fn applied_of(&self, u: &UserPoolType) -> Applied {
        applied(
            self.ctx.region(),
            u.id().unwrap_or_default(),
            u.arn().unwrap_or_default(),
            u.name().unwrap_or_default(),
        )
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = CognitoUserPool;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "cognito-idp:userpool", |a| {
        arn::after(a, "cognito-idp", "userpool/")
    });

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, CognitoUserPool>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags: HashMap<String, String> = req.tag_set(None).into_iter().collect();
        let out = self
            .ctx
            .cognito()
            .create_user_pool()
            .pool_name(&p.name)
            .set_username_attributes(Some(
                p.username_attributes
                    .iter()
                    .map(|a| UsernameAttributeType::from(a.as_str()))
                    .collect(),
            ))
            .set_auto_verified_attributes(Some(verified(p)))
            .policies(policies(p))
            .account_recovery_setting(recovery()?)
            .mfa_configuration(UserPoolMfaType::Off)
            .deletion_protection(protection(p.deletion_protection))
            .set_user_pool_tags(Some(tags))
            .send()
            .await
            .map_err(Self::err)?;
        let pool = required(out.user_pool, "CreateUserPool", "user pool")?;
        let id = required(pool.id(), "CreateUserPool", "pool id")?;
        self.set_mfa(id, p).await?;
        Ok(self.applied_of(&pool))
    }

    async fn read(&self, items: &[Item<'_, CognitoUserPool>]) -> Result<Vec<Seen<CognitoUserPool>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some(u) = self.describe(&id).await? else {
                return Ok(None);
            };
            let outputs = self.applied_of(&u).outputs;
            Ok(Some(Seen::new(id, from_pool(&u, rec.as_ref()), outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, CognitoUserPool>) -> Result<Applied, ProviderError> {
        let p = &req.new;
        let tags: HashMap<String, String> = req.tag_set(None).into_iter().collect();
        self.ctx
            .cognito()
            .update_user_pool()
            .user_pool_id(req.id)
            .set_auto_verified_attributes(Some(verified(p)))
            .policies(policies(p))
            .account_recovery_setting(recovery()?)
            .mfa_configuration(UserPoolMfaType::from(p.mfa_configuration.as_str()))
            .deletion_protection(protection(p.deletion_protection))
            .set_user_pool_tags(Some(tags))
            .send()
            .await
            .map_err(Self::err)?;
        self.set_mfa(req.id, p).await?;
        let u = required(self.describe(req.id).await?, "DescribeUserPool", "user pool")?;
        Ok(self.applied_of(&u))
    }

    async fn delete(&self, req: Delete<'_, CognitoUserPool>) -> Result<(), ProviderError> {
        // Cognito refuses to delete a pool with a domain: an orphan pool's
        // domain (recorded ones are deleted first) goes with it.
        if let Some(domain) = self.describe(req.id).await?.and_then(|u| u.domain) {
            let r = self
                .ctx
                .cognito()
                .delete_user_pool_domain()
                .domain(domain)
                .user_pool_id(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err);
            ignore_not_found(r)?;
        }
        self.ctx
            .cognito()
            .delete_user_pool()
            .user_pool_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, CognitoUserPool>) -> Result<Option<Applied>, ProviderError> {
        for (id, name) in list_pools(&self.ctx).await? {
            if name != req.props.name {
                continue;
            }
            let Some(u) = self.describe(&id).await? else { continue };
            let t = u.user_pool_tags().map(|t| {
                t.iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>()
            });
            if req.ours(t.unwrap_or_default()) {
                return Ok(Some(self.applied_of(&u)));
            }
        }
        Ok(None)
    }
}
