//! Email (seed 004): an SES email identity for the sending domain, signing
//! with Easy DKIM, with a custom MAIL FROM domain, and the records that make
//! receivers trust it, all in the stack's zone: the three DKIM CNAMEs the
//! identity names (`TOKEN._domainkey.DOMAIN` → `TOKEN.dkim.amazonses.com`),
//! the MAIL FROM domain's MX (SES's feedback endpoint of the region) and
//! SPF TXT (`v=spf1 include:amazonses.com ~all`), and DMARC TXT on
//! `_dmarc.DOMAIN`.
//!
//! The DKIM record names and values are the identity's outputs: SES picks
//! the tokens when it creates the identity, so the plan shows them as known
//! after apply. Addresses use `_` (`route53_record.email_dkim_1`), which
//! host slugs cannot contain.

use crate::Graph;
use gantry_core::kinds::{self, *};
use gantry_core::{reference, Address, Resource};
use gantry_model::Model;

/// TTL of the email records: DKIM and policy records rarely change.
pub const EMAIL_TTL: i64 = 1800;
/// The SPF policy of the MAIL FROM domain: SES's senders, soft fail else.
pub const SPF: &str = "v=spf1 include:amazonses.com ~all";

/// What services that `uses: [email]` get: the identity, and the sender.
pub(crate) struct EmailBuilt {
    pub identity: Address,
    pub from: String,
}

/// A TXT record's value: quoted, as Route53 wants it.
fn txt(value: &str) -> String {
    format!("\"{value}\"")
}

pub(crate) fn build(m: &Model, zone: Option<&Address>, g: &mut Graph) -> Option<EmailBuilt> {
    let e = m.email.as_ref()?;
    let identity = g.add(Resource::new(
        kinds::SESV2_EMAIL_IDENTITY,
        "main",
        &Sesv2EmailIdentity {
            identity: e.domain.clone(),
            mail_from_domain: e.mail_from_domain.clone(),
            // Without its MX, SES sends from its own domain rather than
            // bouncing: mail keeps flowing while DNS catches up.
            behavior_on_mx_failure: "USE_DEFAULT_VALUE".into(),
        },
    ));
    // Validated: an email domain needs a domain, which gives the zone.
    if let Some(zone) = zone {
        let mut record = |name: &str, rname: String, rtype: &str, value: String| {
            g.add(Resource::new(
                kinds::ROUTE53_RECORD,
                name,
                &Route53Record {
                    zone_id: reference(zone, "id"),
                    name: rname,
                    record_type: rtype.into(),
                    alias: None,
                    records: vec![value],
                    ttl: Some(EMAIL_TTL),
                },
            ));
        };
        for n in 1..=3 {
            record(
                &format!("email_dkim_{n}"),
                reference(&identity, &format!("dkim_name_{n}")),
                "CNAME",
                reference(&identity, &format!("dkim_value_{n}")),
            );
        }
        record(
            "email_mail_from_mx",
            e.mail_from_domain.clone(),
            "MX",
            format!("10 feedback-smtp.{}.amazonses.com", m.region),
        );
        record(
            "email_mail_from_spf",
            e.mail_from_domain.clone(),
            "TXT",
            txt(SPF),
        );
        record(
            "email_dmarc",
            format!("_dmarc.{}", e.domain),
            "TXT",
            txt(&e.dmarc),
        );
    }
    Some(EmailBuilt {
        identity,
        from: e.from.clone(),
    })
}
