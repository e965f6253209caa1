//! `acm_certificate` (an ACM certificate requested with DNS validation) and
//! `acm_certificate_validation` (its DNS validation records written into a
//! Route53 zone, then a bounded wait until ACM reports it `ISSUED`).
//!
//! A certificate's id is its ARN (outputs `id`, `arn`). It is requested in
//! its `region` (empty = the stack's; CloudFront needs us-east-1) with tags
//! and an `IdempotencyToken` derived from the journal's intent, so a retried
//! request returns the same certificate; every later call uses the region in
//! the ARN. Every field forces replacement, so update changes nothing.
//! Delete retries `ResourceInUseException` (up to 20 minutes) while a
//! listener or distribution that used the certificate is still going away.
//!
//! A validation's id is the certificate ARN (outputs `id`,
//! `certificate_arn`). Create waits (bounded) for ACM to publish the
//! `ResourceRecord` of every domain, UPSERTs each distinct CNAME into the
//! zone in one change batch, and waits up to 45 minutes for `ISSUED`
//! (`FAILED`, `VALIDATION_TIMED_OUT` and `REVOKED` fail at once). Read says
//! it is gone when the certificate is gone, not issued, or a validation
//! CNAME is missing from the zone, so the next apply writes them again.
//! Delete removes those CNAMEs (with the values Route53 holds); when the
//! certificate is already gone its records cannot be known and are left.

use super::route53::{change, dns_name, fqdn, record_set};
use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_acm::types::{
    CertificateDetail, CertificateStatus, ResourceRecord as AcmRecord, Tag, ValidationMethod,
};
use aws_sdk_route53::types::{ChangeAction, ResourceRecord, ResourceRecordSet, RrType};
use futures::future::try_join_all;
use gantry_core::kinds::{self, AcmCertificate, AcmCertificateValidation};
use gantry_core::*;
use std::time::Duration;

const NOT_FOUND: &[&str] = &["ResourceNotFoundException"];

/// How long ACM may take to issue a DNS-validated certificate once the
/// records are in place (usually minutes; AWS gives up after 72 hours).
const ISSUE_WAIT: Duration = Duration::from_secs(45 * 60);
/// How long ACM may take to publish the validation records of a new request.
const RECORDS_WAIT: Duration = Duration::from_secs(120);
/// How long a certificate may stay "in use" after the listener or
/// distribution that used it was deleted (ACM learns of it late).
const IN_USE_WAIT: Duration = Duration::from_secs(20 * 60);
/// TTL of the validation CNAMEs.
const VALIDATION_TTL: i64 = 300;

/// The region in a certificate ARN (`arn:aws:acm:REGION:...`).
fn arn_region(arn: &str) -> &str {
    arn.split(':').nth(3).unwrap_or_default()
}

/// ACM tokens are at most 32 word characters.
fn idempotency_token(token: &str) -> String {
    client_token(token).replace('-', "")
}

/// DescribeCertificate; `None` when the certificate is gone.
async fn describe(ctx: &AwsContext, arn: &str) -> Result<Option<CertificateDetail>, ProviderError> {
    match ctx
        .acm_in(arn_region(arn))
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error(e, NOT_FOUND))
    {
        Ok(o) => Ok(o.certificate),
        Err(e) if e.not_found => Ok(None),
        Err(e) => Err(e),
    }
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

fn cert_applied(arn: &str) -> Applied {
    Applied {
        id: arn.to_string(),
        outputs: outputs([("id", arn.to_string()), ("arn", arn.to_string())]),
    }
}

pub struct AcmCertificateProvider {
    pub(crate) ctx: AwsContext,
}

#[async_trait]
impl Provider for AcmCertificateProvider {
    fn kind(&self) -> &'static str {
        kinds::ACM_CERTIFICATE
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: AcmCertificate = parse(kinds::ACM_CERTIFICATE, req.props)?;
        let tags = tag_set(req.tags, req.address, Some(&p.domain_name))
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))?;
        let out = self
            .ctx
            .acm_in(&p.region)
            .request_certificate()
            .domain_name(&p.domain_name)
            .set_subject_alternative_names(
                (!p.subject_alternative_names.is_empty())
                    .then(|| p.subject_alternative_names.clone()),
            )
            .validation_method(ValidationMethod::Dns)
            .idempotency_token(idempotency_token(req.token))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        let arn = out
            .certificate_arn()
            .ok_or_else(|| ProviderError::new("MissingId", "RequestCertificate returned no ARN"))?;
        Ok(cert_applied(arn))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        // No batched describe in ACM; one call per certificate, concurrently.
        try_join_all(reqs.iter().map(|r| async move {
            let Some(c) = describe(&self.ctx, r.id).await? else {
                return Ok(None);
            };
            let rec: Option<AcmCertificate> = recorded(r.props);
            let domain = c.domain_name().unwrap_or_default().to_string();
            let rec_sans = rec
                .as_ref()
                .map(|x| x.subject_alternative_names.clone())
                .unwrap_or_default();
            // ACM lists the domain name itself among the SANs.
            let sans: Vec<String> = c
                .subject_alternative_names()
                .iter()
                .filter(|s| **s != domain || rec_sans.contains(s))
                .cloned()
                .collect();
            let region = arn_region(r.id);
            let region = match rec.as_ref().map(|x| x.region.as_str()) {
                Some(rr) if rr == region => rr.to_string(),
                Some("") | None if region == self.ctx.region() => String::new(),
                _ => region.to_string(),
            };
            let props = AcmCertificate {
                domain_name: domain,
                subject_alternative_names: order_like(sans, &rec_sans),
                region,
            };
            Ok(Some(Observed {
                props: to_props(&props),
                outputs: cert_applied(r.id).outputs,
            }))
        }))
        .await
    }

    /// Every field forces replacement.
    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        Ok(cert_applied(req.id))
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let acm = self.ctx.acm_in(arn_region(req.id));
        let r = retry_codes(&["ResourceInUseException"], IN_USE_WAIT, || async {
            acm.delete_certificate()
                .certificate_arn(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(e, NOT_FOUND))
        })
        .await;
        ignore_not_found(r)
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let p: AcmCertificate = parse(kinds::ACM_CERTIFICATE, req.props)?;
        let client = self.ctx.acm_in(&p.region);
        for (arn, domain) in list_arns(&client).await? {
            if domain != p.domain_name {
                continue;
            }
            let tags = match cert_tags(&self.ctx, &arn).await {
                Ok(t) => t,
                Err(e) if e.not_found => continue,
                Err(e) => return Err(e),
            };
            if tags_match(
                tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                req.tags,
                req.address,
            ) {
                return Ok(Some(cert_applied(&arn)));
            }
        }
        Ok(None)
    }
}

pub struct AcmCertificateValidationProvider {
    pub(crate) ctx: AwsContext,
}

fn validation_applied(arn: &str) -> Applied {
    Applied {
        id: arn.to_string(),
        outputs: outputs([
            ("id", arn.to_string()),
            ("certificate_arn", arn.to_string()),
        ]),
    }
}

/// The distinct validation records of a certificate (apex and wildcard
/// share one); `None` while ACM has not published all of them yet.
fn validation_records(c: &CertificateDetail) -> Option<Vec<AcmRecord>> {
    let opts = c.domain_validation_options();
    if opts.is_empty() {
        return None;
    }
    let mut out: Vec<AcmRecord> = Vec::new();
    for o in opts {
        let r = o.resource_record()?;
        if !out
            .iter()
            .any(|x| dns_name(x.name()) == dns_name(r.name()) && x.r#type() == r.r#type())
        {
            out.push(r.clone());
        }
    }
    Some(out)
}

fn cname(r: &AcmRecord) -> Result<ResourceRecordSet, ProviderError> {
    ResourceRecordSet::builder()
        .name(fqdn(r.name()))
        .r#type(RrType::from(r.r#type().as_str()))
        .ttl(VALIDATION_TTL)
        .resource_records(
            ResourceRecord::builder()
                .value(r.value())
                .build()
                .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))?,
        )
        .build()
        .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))
}

impl AcmCertificateValidationProvider {
    /// True when the certificate is issued and every validation record is
    /// in the zone.
    async fn in_place(&self, arn: &str, zone: &str) -> Result<bool, ProviderError> {
        let Some(c) = describe(&self.ctx, arn).await? else {
            return Ok(false);
        };
        if c.status() != Some(&CertificateStatus::Issued) {
            return Ok(false);
        }
        let Some(records) = validation_records(&c) else {
            return Ok(false);
        };
        for r in &records {
            match record_set(&self.ctx, zone, r.name(), r.r#type().as_str()).await {
                Ok(Some(_)) => {}
                Ok(None) => return Ok(false),
                Err(e) if e.not_found => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}

#[async_trait]
impl Provider for AcmCertificateValidationProvider {
    fn kind(&self) -> &'static str {
        kinds::ACM_CERTIFICATE_VALIDATION
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: AcmCertificateValidation = parse(kinds::ACM_CERTIFICATE_VALIDATION, req.props)?;
        let arn = p.certificate_arn.as_str();
        let records = wait_for(
            "ACM to publish the DNS validation records",
            RECORDS_WAIT,
            || async {
                let c = describe(&self.ctx, arn).await?.ok_or_else(|| {
                    ProviderError::not_found(format!("certificate {arn} is gone"))
                })?;
                Ok(validation_records(&c))
            },
        )
        .await?;
        let changes = records
            .iter()
            .map(|r| Ok((ChangeAction::Upsert, cname(r)?)))
            .collect::<Result<Vec<_>, ProviderError>>()?;
        change(
            &self.ctx,
            &p.zone_id,
            changes,
            &format!("gantry {}", req.address),
        )
        .await?;
        tracing::info!(
            certificate = arn,
            "waiting for ACM to issue the certificate"
        );
        wait_for("the certificate to be ISSUED", ISSUE_WAIT, || async {
            let c = describe(&self.ctx, arn)
                .await?
                .ok_or_else(|| ProviderError::not_found(format!("certificate {arn} is gone")))?;
            match c.status() {
                Some(CertificateStatus::Issued) => Ok(Some(())),
                Some(
                    s @ (CertificateStatus::Failed
                    | CertificateStatus::ValidationTimedOut
                    | CertificateStatus::Revoked),
                ) => Err(ProviderError::new(
                    "CertificateNotIssued",
                    format!(
                        "certificate {arn} is {}{}",
                        s.as_str(),
                        c.failure_reason()
                            .map(|r| format!(" ({})", r.as_str()))
                            .unwrap_or_default()
                    ),
                )),
                _ => Ok(None),
            }
        })
        .await?;
        Ok(validation_applied(arn))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        try_join_all(reqs.iter().map(|r| async move {
            let Some(rec) = recorded::<AcmCertificateValidation>(r.props) else {
                return Ok(None);
            };
            if !self.in_place(r.id, &rec.zone_id).await? {
                return Ok(None);
            }
            let props = AcmCertificateValidation {
                certificate_arn: r.id.to_string(),
                zone_id: rec.zone_id,
            };
            Ok(Some(Observed {
                props: to_props(&props),
                outputs: validation_applied(r.id).outputs,
            }))
        }))
        .await
    }

    /// Every field forces replacement.
    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        Ok(validation_applied(req.id))
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let p: AcmCertificateValidation = parse(kinds::ACM_CERTIFICATE_VALIDATION, req.props)?;
        let Some(c) = describe(&self.ctx, req.id).await? else {
            tracing::warn!(
                certificate = req.id,
                "certificate already gone: its validation records cannot be known and stay in the zone"
            );
            return Ok(());
        };
        let mut changes = Vec::new();
        for r in validation_records(&c).unwrap_or_default() {
            match record_set(&self.ctx, &p.zone_id, r.name(), r.r#type().as_str()).await {
                Ok(Some(rs)) => changes.push((ChangeAction::Delete, rs)),
                Ok(None) => {}
                Err(e) if e.not_found => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        ignore_not_found(
            change(
                &self.ctx,
                &p.zone_id,
                changes,
                &format!("gantry {}", req.address),
            )
            .await,
        )
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let p: AcmCertificateValidation = parse(kinds::ACM_CERTIFICATE_VALIDATION, req.props)?;
        Ok(self
            .in_place(&p.certificate_arn, &p.zone_id)
            .await?
            .then(|| validation_applied(&p.certificate_arn)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_tokens() {
        assert_eq!(
            arn_region("arn:aws:acm:eu-west-1:123456789012:certificate/abc"),
            "eu-west-1"
        );
        let t = idempotency_token("intent-1");
        assert_eq!(t.len(), 32);
        assert!(t.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
