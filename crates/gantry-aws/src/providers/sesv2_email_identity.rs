//! `sesv2_email_identity`: an SES domain identity signing with Easy DKIM
//! (2048-bit keys, rotated by AWS) and its custom MAIL FROM domain. The id
//! is the domain; outputs `id`, `arn` and the three DKIM records to
//! publish (`dkim_name_N` → `dkim_value_N`), from the tokens SES chose.
//!
//! CreateEmailIdentity takes the tags; PutEmailIdentityMailFromAttributes
//! sets the MAIL FROM domain (also on update). A domain is one identity per
//! account and region: a create answered `AlreadyExistsException` adopts the
//! identity when its tags say it is this address (a lost reply), and fails
//! otherwise (someone else's). Reads are one GetEmailIdentity per identity
//! (SES has no batch form); SES does not return DKIM tokens until the
//! identity exists, so the records depend on it.

use crate::context::AwsContext;
use crate::error::has_code;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_sesv2::operation::get_email_identity::GetEmailIdentityOutput;
use aws_sdk_sesv2::types::{BehaviorOnMxFailure, DkimSigningAttributes, DkimSigningKeyLength, Tag};
use gantry_core::kinds::Sesv2EmailIdentity;
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
}

/// The identity's ARN, the one IAM policies name.
async fn arn(ctx: &AwsContext, domain: &str) -> Result<String, ProviderError> {
    let region = ctx.region();
    let account = ctx.account_id().await?;
    Ok(format!(
        "arn:{}:ses:{region}:{account}:identity/{domain}",
        partition_of(region)
    ))
}

/// The outputs of an identity whose DKIM tokens SES reported.
async fn applied(
    ctx: &AwsContext,
    domain: &str,
    out: &GetEmailIdentityOutput,
) -> Result<Applied, ProviderError> {
    let tokens = out
        .dkim_attributes()
        .map(|d| d.tokens().to_vec())
        .unwrap_or_default();
    if tokens.len() != 3 {
        return Err(ProviderError::new(
            "MissingField",
            format!(
                "GetEmailIdentity returned {} DKIM tokens for {domain}, not 3",
                tokens.len()
            ),
        ));
    }
    let mut pairs = vec![
        ("id", domain.to_string()),
        ("arn", arn(ctx, domain).await?),
    ];
    const NAMES: [&str; 3] = ["dkim_name_1", "dkim_name_2", "dkim_name_3"];
    const VALUES: [&str; 3] = ["dkim_value_1", "dkim_value_2", "dkim_value_3"];
    for (i, t) in tokens.iter().enumerate() {
        pairs.push((NAMES[i], format!("{t}._domainkey.{domain}")));
        pairs.push((VALUES[i], format!("{t}.dkim.amazonses.com")));
    }
    Ok(Applied {
        id: domain.to_string(),
        outputs: outputs(pairs),
    })
}

impl Provider {
    async fn get(&self, domain: &str) -> Result<Option<GetEmailIdentityOutput>, ProviderError> {
        found(
            self.ctx
                .sesv2()
                .get_email_identity()
                .email_identity(domain)
                .send()
                .await
                .map_err(Self::err),
        )
    }

    /// Sets (or, with an empty domain, removes) the custom MAIL FROM domain.
    async fn put_mail_from(&self, p: &Sesv2EmailIdentity) -> Result<(), ProviderError> {
        self.ctx
            .sesv2()
            .put_email_identity_mail_from_attributes()
            .email_identity(&p.identity)
            .set_mail_from_domain((!p.mail_from_domain.is_empty()).then(|| p.mail_from_domain.clone()))
            .behavior_on_mx_failure(BehaviorOnMxFailure::from(p.behavior_on_mx_failure.as_str()))
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    /// The identity's settings and outputs once it is as `p` says.
    async fn settled(&self, p: &Sesv2EmailIdentity) -> Result<Applied, ProviderError> {
        let out = required(self.get(&p.identity).await?, "GetEmailIdentity", "identity")?;
        applied(&self.ctx, &p.identity, &out).await
    }

    /// The identity `p` names, when its tags make it this address's.
    async fn ours(
        &self,
        p: &Sesv2EmailIdentity,
        tags: &StackTags,
        address: &Address,
    ) -> Result<Option<GetEmailIdentityOutput>, ProviderError> {
        let Some(out) = self.get(&p.identity).await? else {
            return Ok(None);
        };
        let t = out.tags().iter().map(|t| (t.key(), t.value()));
        Ok(tags_match(t, tags, address).then_some(out))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = Sesv2EmailIdentity;
    const NOT_FOUND: &'static [&'static str] = &["NotFoundException"];
    const LISTING: Listing = tagged(Region::Stack, "ses:identity", |a| {
        arn::after(a, "ses", "identity/")
    });

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, Sesv2EmailIdentity>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req
            .tag_set(None)
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))?;
        let r = self
            .ctx
            .sesv2()
            .create_email_identity()
            .email_identity(&p.identity)
            .dkim_signing_attributes(
                DkimSigningAttributes::builder()
                    .next_signing_key_length(DkimSigningKeyLength::Rsa2048Bit)
                    .build(),
            )
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(Self::err);
        match r {
            Ok(_) => {}
            // Ours from a create whose reply was lost: go on from there.
            Err(e) if has_code(&e, &["AlreadyExistsException"]) => {
                if self.ours(p, req.tags, req.address).await?.is_none() {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
        self.put_mail_from(p).await?;
        self.settled(p).await
    }

    async fn read(
        &self,
        items: &[Item<'_, Sesv2EmailIdentity>],
    ) -> Result<Vec<Seen<Sesv2EmailIdentity>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |domain, _| async move {
            let Some(out) = self.get(&domain).await? else {
                return Ok(None);
            };
            let mail_from = out.mail_from_attributes();
            let props = Sesv2EmailIdentity {
                identity: domain.clone(),
                mail_from_domain: mail_from
                    .map(|m| m.mail_from_domain().to_string())
                    .unwrap_or_default(),
                behavior_on_mx_failure: mail_from
                    .map(|m| m.behavior_on_mx_failure().as_str().to_string())
                    .unwrap_or_else(|| "USE_DEFAULT_VALUE".into()),
            };
            let applied = applied(&self.ctx, &domain, &out).await?;
            Ok(Some(Seen::new(domain, props, applied.outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, Sesv2EmailIdentity>) -> Result<Applied, ProviderError> {
        self.put_mail_from(&req.new).await?;
        self.settled(&req.new).await
    }

    async fn delete(&self, req: Delete<'_, Sesv2EmailIdentity>) -> Result<(), ProviderError> {
        self.ctx
            .sesv2()
            .delete_email_identity()
            .email_identity(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, Sesv2EmailIdentity>) -> Result<Option<Applied>, ProviderError> {
        match self.ours(&req.props, req.tags, req.address).await? {
            Some(out) => Ok(Some(applied(&self.ctx, &req.props.identity, &out).await?)),
            None => Ok(None),
        }
    }
}
