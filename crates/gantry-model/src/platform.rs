//! Seed 004's platform services in the model: `email` (the sending domain
//! with the environment's subdomain, the sender, the MAIL FROM domain and
//! the DMARC record) and `auth` (the pool's settings, its groups, the web
//! client's URLs and the hosted UI prefix).
//!
//! Defaults (see `docs/spec.md`): sender `no-reply@DOMAIN`, MAIL FROM
//! `bounce.DOMAIN`, DMARC `quarantine`; TOTP MFA optional, passwords of 12
//! characters or more with all four character classes, callback URL
//! `https://HOST/` of the app's first host, logout URLs the callback URLs,
//! prefix `{stack}-{env}`, deletion protection in production.

use gantry_spec::edge::expand_host;
use gantry_spec::platform::{
    default_callback, default_domain_prefix, DEFAULT_FROM, DEFAULT_MAIL_FROM,
    DEFAULT_PASSWORD_LENGTH,
};
use gantry_spec::{DmarcPolicy, Mfa, Spec};
use serde::Serialize;

/// SES sending from a domain of the zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Email {
    /// The sending domain, subdomain applied: `mail.dev.example.com`.
    pub domain: String,
    /// The sender address: `no-reply@mail.dev.example.com`.
    pub from: String,
    /// The custom MAIL FROM domain: `bounce.mail.dev.example.com`.
    pub mail_from_domain: String,
    /// The DMARC record's value (`v=DMARC1; p=quarantine; ...`).
    pub dmarc: String,
}

/// The app's user sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Auth {
    /// Cognito's `MfaConfiguration`: `OFF`, `OPTIONAL` or `ON` (TOTP).
    pub mfa: String,
    /// Group names, as written.
    pub groups: Vec<String>,
    pub callback_urls: Vec<String>,
    pub logout_urls: Vec<String>,
    /// The hosted UI prefix.
    pub domain_prefix: String,
    pub password_length: u32,
    /// Refuse to delete the pool (and its users): in production.
    pub deletion_protection: bool,
}

pub(crate) fn email(spec: &Spec) -> Option<Email> {
    let e = spec.email.as_ref()?;
    let domain = match &spec.domain {
        Some(d) => expand_host(&e.domain, &d.zone, d.subdomain.as_ref().map(|s| s.as_str())),
        None => e.domain.value.clone(),
    };
    let local = e.from.as_ref().map_or(DEFAULT_FROM, |f| f.as_str());
    let label = e
        .mail_from
        .as_ref()
        .map_or(DEFAULT_MAIL_FROM, |m| m.as_str());
    let policy = e
        .dmarc
        .as_ref()
        .map_or(DmarcPolicy::Quarantine, |d| d.value);
    // Relaxed alignment (AWS's own DKIM signs as the domain, MAIL FROM is a
    // subdomain of it); `fo=1` asks for a report when either check fails.
    let mut dmarc = format!("v=DMARC1; p={}; adkim=r; aspf=r; fo=1", policy.as_str());
    if let Some(r) = &e.dmarc_reports {
        dmarc.push_str(&format!("; rua=mailto:{}", r.value));
    }
    Some(Email {
        from: format!("{local}@{domain}"),
        mail_from_domain: format!("{label}.{domain}"),
        dmarc,
        domain,
    })
}

pub(crate) fn auth(spec: &Spec, env: &str, prod: bool) -> Option<Auth> {
    let a = spec.auth.as_ref()?;
    let callback_urls: Vec<String> = if a.callback_urls.is_empty() {
        default_callback(spec).into_iter().collect()
    } else {
        a.callback_urls.iter().map(|u| u.value.clone()).collect()
    };
    Some(Auth {
        mfa: a
            .mfa
            .as_ref()
            .map_or(Mfa::Optional, |m| m.value)
            .aws_name()
            .to_string(),
        groups: a.groups.iter().map(|g| g.value.clone()).collect(),
        logout_urls: if a.logout_urls.is_empty() {
            callback_urls.clone()
        } else {
            a.logout_urls.iter().map(|u| u.value.clone()).collect()
        },
        callback_urls,
        domain_prefix: a.domain_prefix.as_ref().map_or_else(
            || default_domain_prefix(&spec.name, env),
            |d| d.value.clone(),
        ),
        password_length: a
            .password_length
            .as_ref()
            .map_or(DEFAULT_PASSWORD_LENGTH, |n| n.value),
        deletion_protection: prod,
    })
}
