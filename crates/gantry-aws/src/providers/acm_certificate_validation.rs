//! `acm_certificate_validation`: a certificate's DNS validation records
//! written into a Route53 zone, then a bounded wait until ACM reports it
//! `ISSUED`.
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

use super::acm::*;
use super::route53::{change, dns_name, find_set, fqdn, record_set, zone_records};
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_acm::types::{
    CertificateDetail, CertificateStatus, ResourceRecord as AcmRecord,
};
use aws_sdk_route53::types::{ChangeAction, ResourceRecord, ResourceRecordSet, RrType};
use gantry_core::kinds::{self, AcmCertificateValidation};
use crate::shape::*;
use gantry_core::*;
use std::time::Duration;

/// How long ACM may take to issue a DNS-validated certificate once the
/// records are in place (usually minutes; AWS gives up after 72 hours).
const ISSUE_WAIT: Duration = Duration::from_secs(45 * 60);
/// How long ACM may take to publish the validation records of a new request.
const RECORDS_WAIT: Duration = Duration::from_secs(120);
/// TTL of the validation CNAMEs.
const VALIDATION_TTL: i64 = 300;

pub(crate) struct Provider {
    ctx: AwsContext,
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

impl Provider {
    /// True when the certificate is issued and every validation record is
    /// in the zone.
    async fn in_place(&self, arn: &str, zone: &str) -> Result<bool, ProviderError> {
        let Some(c) = describe_shared(&self.ctx, arn).await? else {
            return Ok(false);
        };
        if c.status() != Some(&CertificateStatus::Issued) {
            return Ok(false);
        }
        let Some(records) = validation_records(&c) else {
            return Ok(false);
        };
        // One walk of the zone, shared with the zone's records' own read.
        let sets = match zone_records(&self.ctx, zone).await {
            Ok(s) => s,
            Err(e) if e.is_not_found() => return Ok(false),
            Err(e) => return Err(e),
        };
        Ok(records
            .iter()
            .all(|r| find_set(&sets, r.name(), r.r#type().as_str()).is_some()))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = AcmCertificateValidation;
    const NOT_FOUND: &'static [&'static str] = super::acm::NOT_FOUND;
    const LISTING: Listing = Listing::Inside(kinds::ACM_CERTIFICATE);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, AcmCertificateValidation>) -> Result<Applied, ProviderError> {
        changed(&self.ctx, &req.props.certificate_arn);
        let p = &req.props;
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

    async fn read(&self, items: &[Item<'_, AcmCertificateValidation>]) -> Result<Vec<Seen<AcmCertificateValidation>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let rec = needs_record::<AcmCertificateValidation>(rec)?;
            if !self.in_place(&id, &rec.zone_id).await? {
                return Ok(None);
            }
            let props = AcmCertificateValidation {
                certificate_arn: id.clone(),
                zone_id: rec.zone_id,
            };
            Ok(Some(Seen::new(id.clone(), props, validation_applied(&id).outputs)))
        })
        .await
    }

    /// Every field forces replacement.
    async fn update(&self, req: Update<'_, AcmCertificateValidation>) -> Result<Applied, ProviderError> {
        Ok(validation_applied(req.id))
    }

    async fn delete(&self, req: Delete<'_, AcmCertificateValidation>) -> Result<(), ProviderError> {
        changed(&self.ctx, req.id);
        let p = &needs_record::<AcmCertificateValidation>(req.recorded.clone())?;
        let Some(c) = describe(&self.ctx, req.id).await? else {
            req.warn(format!(
                "certificate {} is already gone: its validation records cannot be known and stay in zone {}",
                req.id, p.zone_id
            ));
            return Ok(());
        };
        let mut changes = Vec::new();
        for r in validation_records(&c).unwrap_or_default() {
            match record_set(&self.ctx, &p.zone_id, r.name(), r.r#type().as_str()).await {
                Ok(Some(rs)) => changes.push((ChangeAction::Delete, rs)),
                Ok(None) => {}
                Err(e) if e.is_not_found() => return Ok(()),
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

    async fn find(&self, req: Find<'_, AcmCertificateValidation>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
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
