//! `cognito_user_pool_domain`: the hosted UI's Cognito prefix domain,
//! `https://PREFIX.auth.REGION.amazoncognito.com`. The id is the prefix;
//! outputs `id`, `url`. A prefix is unique in the region, so an interrupted
//! create is found by describing it (DescribeUserPoolDomain answers an
//! empty description for a free prefix) and is ours when it belongs to the
//! pool. Create waits until the domain is `ACTIVE`. Nothing updates in
//! place; reads are one describe per domain.

use super::cognito::NOT_FOUND;
use crate::context::AwsContext;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::types::{DomainDescriptionType, DomainStatusType};
use gantry_core::kinds::{self, CognitoUserPoolDomain};
use gantry_core::*;
use std::time::Duration;

/// How long a new domain may take to become `ACTIVE`.
const ACTIVE_WAIT: Duration = Duration::from_secs(600);

pub(crate) struct Provider {
    ctx: AwsContext,
}

impl Provider {
    fn applied(&self, prefix: &str) -> Applied {
        Applied {
            id: prefix.to_string(),
            outputs: outputs([
                ("id", prefix.to_string()),
                (
                    "url",
                    format!("https://{prefix}.auth.{}.amazoncognito.com", self.ctx.region()),
                ),
            ]),
        }
    }

    /// The domain's description; `None` when the prefix is free.
    async fn describe(&self, prefix: &str) -> Result<Option<DomainDescriptionType>, ProviderError> {
        let r = self
            .ctx
            .cognito()
            .describe_user_pool_domain()
            .domain(prefix)
            .send()
            .await
            .map_err(Self::err);
        Ok(found(r)?
            .and_then(|o| o.domain_description)
            .filter(|d| d.user_pool_id().is_some_and(|p| !p.is_empty())))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = CognitoUserPoolDomain;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = Listing::Inside(kinds::COGNITO_USER_POOL);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, CognitoUserPoolDomain>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        self.ctx
            .cognito()
            .create_user_pool_domain()
            .domain(&p.domain)
            .user_pool_id(&p.user_pool_id)
            .send()
            .await
            .map_err(Self::err)?;
        wait_for("the hosted UI domain to be ACTIVE", ACTIVE_WAIT, || async {
            let d = self.describe(&p.domain).await?;
            Ok(d.filter(|d| d.status() == Some(&DomainStatusType::Active)).map(|_| ()))
        })
        .await?;
        Ok(self.applied(&p.domain))
    }

    async fn read(
        &self,
        items: &[Item<'_, CognitoUserPoolDomain>],
    ) -> Result<Vec<Seen<CognitoUserPoolDomain>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |prefix, _| async move {
            let Some(d) = self.describe(&prefix).await? else {
                return Ok(None);
            };
            let props = CognitoUserPoolDomain {
                domain: prefix.clone(),
                user_pool_id: d.user_pool_id().unwrap_or_default().to_string(),
            };
            Ok(Some(Seen::new(prefix.clone(), props, self.applied(&prefix).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, CognitoUserPoolDomain>) -> Result<Applied, ProviderError> {
        // Every field forces replacement.
        Ok(self.applied(req.id))
    }

    async fn delete(&self, req: Delete<'_, CognitoUserPoolDomain>) -> Result<(), ProviderError> {
        // The pool comes from Cognito: an orphan has no record.
        let Some(d) = self.describe(req.id).await? else {
            return Ok(());
        };
        self.ctx
            .cognito()
            .delete_user_pool_domain()
            .domain(req.id)
            .user_pool_id(d.user_pool_id().unwrap_or_default())
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, CognitoUserPoolDomain>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        Ok(self
            .describe(&p.domain)
            .await?
            .filter(|d| d.user_pool_id() == Some(p.user_pool_id.as_str()))
            .map(|_| self.applied(&p.domain)))
    }
}
