//! Helpers shared by the ACM kinds (`acm_certificate`,
//! `acm_certificate_validation`): the region of a certificate ARN, its
//! description and tags, idempotency tokens.

use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use aws_sdk_acm::types::CertificateDetail;
use gantry_core::ProviderError;

pub(crate) const NOT_FOUND: &[&str] = &["ResourceNotFoundException"];

/// The region in a certificate ARN (`arn:aws:acm:REGION:...`).
pub(crate) fn arn_region(arn: &str) -> &str {
    arn.split(':').nth(3).unwrap_or_default()
}

/// ACM tokens are at most 32 word characters.
pub(crate) fn idempotency_token(token: &str) -> String {
    client_token(token).replace('-', "")
}

/// DescribeCertificate; `None` when the certificate is gone.
pub(crate) async fn describe(
    ctx: &AwsContext,
    arn: &str,
) -> Result<Option<CertificateDetail>, ProviderError> {
    match ctx
        .acm_in(arn_region(arn))
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error(e, NOT_FOUND))
    {
        Ok(o) => Ok(o.certificate),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// [`describe`] for reads: a refresh reads a certificate for its kind and
/// for its validation, and one answer serves both.
pub(crate) async fn describe_shared(
    ctx: &AwsContext,
    arn: &str,
) -> Result<Option<CertificateDetail>, ProviderError> {
    let c = ctx
        .memo()
        .get(&format!("acm:{arn}"), || describe(ctx, arn))
        .await?;
    Ok((*c).clone())
}

/// Forgets the shared answer about a certificate (after changing it).
pub(crate) fn changed(ctx: &AwsContext, arn: &str) {
    ctx.memo().forget(&format!("acm:{arn}"));
}

/// The `gantry:*` tags of a certificate.
pub(crate) async fn cert_tags(
    ctx: &AwsContext,
    arn: &str,
) -> Result<Vec<(String, String)>, ProviderError> {
    let out = ctx
        .acm_in(arn_region(arn))
        .list_tags_for_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error(e, NOT_FOUND))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

/// Every certificate ARN of a region, in any status (paginated).
pub(crate) async fn list_arns(
    client: &aws_sdk_acm::Client,
) -> Result<Vec<(String, String)>, ProviderError> {
    use aws_sdk_acm::types::CertificateStatus as S;
    let mut out = Vec::new();
    let mut pages = client
        .list_certificates()
        .set_certificate_statuses(Some(vec![
            S::PendingValidation,
            S::Issued,
            S::Inactive,
            S::Expired,
            S::ValidationTimedOut,
            S::Revoked,
            S::Failed,
        ]))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for s in page
            .map_err(|e| aws_error(e, &[]))?
            .certificate_summary_list()
        {
            if let Some(arn) = s.certificate_arn() {
                out.push((
                    arn.to_string(),
                    s.domain_name().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    Ok(out)
}
