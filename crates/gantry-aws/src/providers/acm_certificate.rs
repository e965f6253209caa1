//! `acm_certificate`: an ACM certificate requested with DNS validation.
//!
//! A certificate's id is its ARN (outputs `id`, `arn`). It is requested in
//! its `region` (empty = the stack's; CloudFront needs us-east-1) with tags
//! and an `IdempotencyToken` derived from the journal's intent, so a retried
//! request returns the same certificate; every later call uses the region in
//! the ARN. Every field forces replacement, so update changes nothing.
//! Delete retries `ResourceInUseException` (up to 20 minutes) while a
//! listener or distribution that used the certificate is still going away.

use super::acm::*;
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_acm::types::{
    Tag, ValidationMethod,
};
use gantry_core::kinds::AcmCertificate;
use crate::shape::*;
use gantry_core::*;
use std::time::Duration;

/// How long a certificate may stay "in use" after the listener or
/// distribution that used it was deleted (ACM learns of it late).
const IN_USE_WAIT: Duration = Duration::from_secs(20 * 60);

fn cert_applied(arn: &str) -> Applied {
    Applied {
        id: arn.to_string(),
        outputs: outputs([("id", arn.to_string()), ("arn", arn.to_string())]),
    }
}

pub(crate) struct Provider {
    ctx: AwsContext,
}

#[async_trait]
impl AwsKind for Provider {
    type Props = AcmCertificate;
    const NOT_FOUND: &'static [&'static str] = super::acm::NOT_FOUND;
    const LISTING: Listing = tagged(Region::Both, "acm:certificate", |a| arn::whole(a, "acm", "certificate/"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, AcmCertificate>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(Some(&p.domain_name))
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
            .map_err(Self::err)?;
        let arn = out
            .certificate_arn()
            .ok_or_else(|| ProviderError::new("MissingId", "RequestCertificate returned no ARN"))?;
        Ok(cert_applied(arn))
    }

    async fn read(&self, items: &[Item<'_, AcmCertificate>]) -> Result<Vec<Seen<AcmCertificate>>, ProviderError> {
        // No batched describe in ACM; one call per certificate, concurrently.
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some(c) = describe_shared(&self.ctx, &id).await? else {
                return Ok(None);
            };
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
            let region = arn_region(&id);
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
            Ok(Some(Seen::new(id.clone(), props, cert_applied(&id).outputs)))
        })
        .await
    }

    /// Every field forces replacement.
    async fn update(&self, req: Update<'_, AcmCertificate>) -> Result<Applied, ProviderError> {
        Ok(cert_applied(req.id))
    }

    async fn delete(&self, req: Delete<'_, AcmCertificate>) -> Result<(), ProviderError> {
        changed(&self.ctx, req.id);
        let acm = self.ctx.acm_in(arn_region(req.id));
        retry_codes(&["ResourceInUseException"], IN_USE_WAIT, || async {
            acm.delete_certificate()
                .certificate_arn(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await
    }

    async fn find(&self, req: Find<'_, AcmCertificate>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let client = self.ctx.acm_in(&p.region);
        for (arn, domain) in list_arns(&client).await? {
            if domain != p.domain_name {
                continue;
            }
            let tags = match cert_tags(&self.ctx, &arn).await {
                Ok(t) => t,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e),
            };
            if req.ours(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
                return Ok(Some(cert_applied(&arn)));
            }
        }
        Ok(None)
    }
}

