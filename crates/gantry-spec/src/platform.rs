//! Validation of seed 004's platform services `email` (SES from a domain of
//! the zone) and `auth` (a Cognito user pool, and the API's sign-in), with
//! the routes that opt out of it (`auth: none`), plus the rules the model
//! shares with it: the defaults and the default callback URL
//! ([`default_callback`]).
//!
//! `uses: [email]` and `uses: [auth]` name the top-level keys: the names
//! share the stores' namespace (a store called `email` is refused while
//! `email:` exists), so their variables (`EMAIL_FROM`, `AUTH_CLIENT_ID`, ...)
//! follow the same stem rule as the stores'.

use crate::api::api_lb;
use crate::diag::Problems;
use crate::edge::{check_dns_name, default_lb, expand_host, in_zone};
use crate::span::Sp;
use crate::types::{Auth, Email, Spec};

/// The `uses` name of the top-level `email:`.
pub const EMAIL: &str = "email";
/// The `uses` name of the top-level `auth:`.
pub const AUTH: &str = "auth";
/// The sender's local part.
pub const DEFAULT_FROM: &str = "no-reply";
/// The MAIL FROM label under the sending domain.
pub const DEFAULT_MAIL_FROM: &str = "bounce";
/// The shortest password a pool accepts by default.
pub const DEFAULT_PASSWORD_LENGTH: u32 = 12;
/// Words Cognito refuses in a hosted UI domain prefix.
const RESERVED_PREFIX_WORDS: &[&str] = &["aws", "amazon", "cognito"];
/// Cognito's limits on a client's callback and logout URLs.
const MAX_URLS: usize = 100;
const MAX_URL_LEN: usize = 1024;

/// For a `uses` name that stands for a top-level key the spec lacks: the
/// key and an example of it.
pub fn missing_key(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        EMAIL => Some((EMAIL, "{domain: mail.example.com}")),
        AUTH => Some((AUTH, "{groups: [admin]}")),
        _ => None,
    }
}

/// The hosted UI prefix when `domain_prefix` is not written.
pub fn default_domain_prefix(stack: &str, env: &str) -> String {
    format!("{stack}-{env}")
}

/// The callback URL when `callback_urls` is empty: `https://HOST/` of the
/// first internet-facing load balancer's first host, else of the site,
/// else of the API (the environment's subdomain applied).
pub fn default_callback(spec: &Spec) -> Option<String> {
    let lb = spec
        .load_balancers
        .values()
        .filter(|l| l.public.as_ref().is_none_or(|v| v.value))
        .find_map(|l| l.hosts.first())
        .map(|h| h.as_str());
    let host = lb
        .or_else(|| crate::edge::site_host(spec))
        .or_else(|| spec.api.as_ref()?.host.as_ref().map(|h| h.as_str()))?;
    let d = spec.domain.as_ref()?;
    let sub = d.subdomain.as_ref().map(|s| s.as_str());
    Some(format!("https://{}/", expand_host(host, &d.zone, sub)))
}

/// Checks on the spec as written.
pub(crate) fn check_names(spec: &Spec, p: &mut Problems) {
    for (env, o) in &spec.environments {
        if let (Some(a), None) = (&o.auth, &spec.auth) {
            p.push(
                a.pos,
                format!("environment `{}` sets auth keys without `auth`", env.value),
                "add a top-level `auth: {}`".to_string(),
            );
        }
    }
}

/// Checks of one (overlay-merged) view of the spec.
pub(crate) fn check_view(spec: &Spec, p: &mut Problems) {
    if let Some(e) = &spec.email {
        check_email(spec, e, p);
    }
    if let Some(a) = &spec.auth {
        check_auth(spec, a, p);
    }
    check_public_routes(spec, p);
}

fn is_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn check_email(spec: &Spec, e: &Sp<Email>, p: &mut Problems) {
    let d = &e.domain;
    if check_dns_name(p, "email domain", d) {
        match &spec.domain {
            None => p.push(
                d.pos,
                format!("email domain `{}` without a `domain`", d.value),
                "add a top-level `domain: {zone: example.com}`: Gantry writes the DKIM, SPF, MAIL FROM and DMARC records into that Route53 zone".to_string(),
            ),
            Some(z) if !in_zone(d, &z.zone) => p.push(
                d.pos,
                format!(
                    "email domain `{}` is outside the zone `{}`",
                    d.value, z.zone.value
                ),
                format!(
                    "use a name ending in `.{}`, like `mail.{}`",
                    z.zone.value, z.zone.value
                ),
            ),
            Some(_) => {}
        }
    }
    if let Some(f) = &e.from {
        let ok = (1..=64).contains(&f.len())
            && !f.starts_with('.')
            && !f.ends_with('.')
            && !f.contains("..")
            && f.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._+-".contains(c));
        if !ok {
            let hint = if f.contains('@') {
                format!(
                    "write the local part only: `{}` sends as `{}@{}`",
                    f.split('@').next().unwrap_or_default(),
                    f.split('@').next().unwrap_or_default(),
                    d.value
                )
            } else {
                "use 1 to 64 lowercase letters, digits and `.`, `_`, `+`, `-`, like `no-reply`"
                    .to_string()
            };
            p.push(f.pos, format!("invalid sender `{}`", f.value), hint);
        }
    }
    if let Some(m) = &e.mail_from {
        if !is_label(m) {
            p.push(
                m.pos,
                format!("invalid MAIL FROM label `{}`", m.value),
                format!(
                    "write one DNS label like `bounce`: the MAIL FROM domain is `bounce.{}`",
                    d.value
                ),
            );
        }
    }
    if let Some(r) = &e.dmarc_reports {
        if !crate::ops::is_email(r) {
            p.push(
                r.pos,
                format!("invalid DMARC report address `{}`", r.value),
                "write an email address like `dmarc@example.com`".to_string(),
            );
        }
    }
}

fn check_auth(spec: &Spec, a: &Sp<Auth>, p: &mut Problems) {
    let mut seen: Vec<&str> = Vec::new();
    for g in &a.groups {
        let ok = (1..=128).contains(&g.len())
            && g.starts_with(|c: char| c.is_ascii_lowercase())
            && g.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !ok {
            p.push(
                g.pos,
                format!("invalid group name `{}`", g.value),
                "use 1 to 128 lowercase letters, digits, `-` and `_`, starting with a letter"
                    .to_string(),
            );
        } else if seen.contains(&g.as_str()) {
            p.push(
                g.pos,
                format!("group `{}` is listed twice", g.value),
                "list each group once".to_string(),
            );
        }
        seen.push(g.as_str());
    }
    for (what, urls) in [("callback", &a.callback_urls), ("logout", &a.logout_urls)] {
        for u in urls.iter() {
            check_url(p, what, u);
        }
        if urls.len() > MAX_URLS {
            p.push(
                urls[MAX_URLS].pos,
                format!("more than {MAX_URLS} {what} URLs"),
                format!("Cognito allows at most {MAX_URLS} per client"),
            );
        }
    }
    if a.callback_urls.is_empty() && default_callback(spec).is_none() {
        p.push(
            a.pos,
            "`auth` has no callback URL",
            "add `callback_urls: [https://app.example.com/]`, or give a load balancer `hosts` (its first host is the default)".to_string(),
        );
    }
    if let Some(d) = &a.domain_prefix {
        let reserved = RESERVED_PREFIX_WORDS.iter().find(|w| d.contains(*w));
        if !is_label(d) {
            p.push(
                d.pos,
                format!("invalid domain prefix `{}`", d.value),
                "use 1 to 63 lowercase letters, digits and `-`, not starting or ending with `-`"
                    .to_string(),
            );
        } else if let Some(w) = reserved {
            p.push(
                d.pos,
                format!("domain prefix `{}` contains `{w}`", d.value),
                "Cognito refuses prefixes containing `aws`, `amazon` or `cognito`; choose another"
                    .to_string(),
            );
        }
    } else if let Some(w) = RESERVED_PREFIX_WORDS
        .iter()
        .find(|w| spec.name.contains(*w))
    {
        p.push(
            a.pos,
            format!(
                "the hosted UI prefix would be `{}-ENV`, which contains `{w}`",
                spec.name.value
            ),
            "Cognito refuses prefixes containing `aws`, `amazon` or `cognito`: set `domain_prefix`"
                .to_string(),
        );
    }
    if let Some(n) = &a.password_length {
        if !(8..=99).contains(&n.value) {
            p.push(
                n.pos,
                format!("password_length {} is out of range", n.value),
                "use 8 to 99".to_string(),
            );
        }
    }
}

fn check_url(p: &mut Problems, what: &str, u: &Sp<String>) {
    let local = ["http://localhost", "http://127.0.0.1"].iter().any(|l| {
        u.strip_prefix(l)
            .is_some_and(|r| r.is_empty() || r.starts_with([':', '/']))
    });
    let host = u
        .strip_prefix("https://")
        .map(|r| r.split(['/', ':', '?']).next().unwrap_or(""));
    let ok = (local || host.is_some_and(|h| h.contains('.')))
        && u.len() <= MAX_URL_LEN
        && !u.contains('#')
        && !u.contains(char::is_whitespace);
    if !ok {
        p.push(
            u.pos,
            format!("invalid {what} URL `{}`", u.value),
            "write an `https://` URL without a `#` fragment, like `https://app.example.com/callback` (`http://localhost` is allowed for development)".to_string(),
        );
    }
}

/// `auth: none` needs `auth` and a route the API serves.
fn check_public_routes(spec: &Spec, p: &mut Problems) {
    let api = api_lb(spec);
    let default = default_lb(spec);
    for c in spec.services.values().flat_map(|s| s.containers.values()) {
        for r in c.routes.iter().filter(|r| r.public()) {
            if spec.auth.is_none() {
                p.push(
                    r.pos,
                    format!("route `{}` says `auth: none` without `auth`", r.path()),
                    "without a top-level `auth:` every route is open: remove `auth: none`"
                        .to_string(),
                );
            } else if spec.api.is_none() {
                p.push(
                    r.pos,
                    format!("route `{}` says `auth: none`, but there is no `api`", r.path()),
                    "`auth` signs in the API's routes only: remove `auth: none`, or add `api: {lb: NAME}`".to_string(),
                );
            } else if let Some(lb) = api.filter(|lb| r.lb().or(default) != Some(*lb)) {
                p.push(
                    r.pos,
                    format!(
                        "route `{}` says `auth: none`, but it is not on the API's load balancer `{lb}`",
                        r.path()
                    ),
                    "only API routes are signed in: remove `auth: none`".to_string(),
                );
            }
        }
    }
}
