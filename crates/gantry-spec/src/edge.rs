//! Validation of the edge: `domain`, `load_balancers`, `waf` and the
//! load-balancer side of container `routes`.
//!
//! Also the two rules the model shares with validation: which load balancer
//! a route without `lb` uses ([`default_lb`]) and how a written host name
//! becomes the environment's ([`expand_host`]).

use crate::diag::{choice_hint, Problems};
use crate::span::{Pos, Sp};
use crate::types::{Route, Spec};
use ipnet::Ipv4Net;
use std::collections::BTreeMap;

/// The load balancer every spec has when it lists none.
pub const DEFAULT_LB: &str = "main";
/// Idle timeout of a load balancer without streaming routes.
pub const DEFAULT_IDLE_TIMEOUT: u32 = 60;
/// Idle timeout a load balancer gets from an `sse: true` route.
pub const SSE_IDLE_TIMEOUT: u32 = 3600;
/// ALB's largest idle timeout.
pub const MAX_IDLE_TIMEOUT: u32 = 4000;
/// Requests per 5 minutes per IP before the WAF blocks.
pub const DEFAULT_RATE_LIMIT: u32 = 2000;

/// The load balancer that routes without `lb` use: `main` when there is
/// one (or no `load_balancers` at all), else the only one; `None` when
/// several exist and none is `main`.
pub fn default_lb(spec: &Spec) -> Option<&str> {
    if spec.load_balancers.is_empty() || spec.load_balancers.contains_key(DEFAULT_LB) {
        Some(DEFAULT_LB)
    } else if spec.load_balancers.len() == 1 {
        spec.load_balancers.keys().next().map(|k| k.as_str())
    } else {
        None
    }
}

/// The host name an environment answers on: `subdomain` is inserted before
/// the zone (`api.example.com` → `api.dev.example.com`, `example.com` →
/// `dev.example.com`). Hosts outside the zone are returned unchanged.
pub fn expand_host(host: &str, zone: &str, subdomain: Option<&str>) -> String {
    let Some(sub) = subdomain.filter(|s| !s.is_empty()) else {
        return host.to_string();
    };
    if host == zone {
        format!("{sub}.{zone}")
    } else if let Some(head) = host.strip_suffix(&format!(".{zone}")) {
        format!("{head}.{sub}.{zone}")
    } else {
        host.to_string()
    }
}

/// Whether `host` is `zone` or inside it.
pub fn in_zone(host: &str, zone: &str) -> bool {
    host == zone || host.ends_with(&format!(".{zone}"))
}

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A lowercase DNS name of two labels or more, without a trailing dot.
fn is_dns_name(s: &str) -> bool {
    s.len() <= 253 && s.split('.').count() >= 2 && s.split('.').all(is_label)
}

pub(crate) fn check_dns_name(p: &mut Problems, what: &str, s: &Sp<String>) -> bool {
    if is_dns_name(s) {
        return true;
    }
    let hint = if s.ends_with('.') {
        format!("drop the trailing dot: `{}`", s.trim_end_matches('.'))
    } else if s.chars().any(|c| c.is_ascii_uppercase()) {
        format!("write it in lowercase: `{}`", s.to_ascii_lowercase())
    } else if s.contains("://") || s.contains('/') {
        "write the bare host name, without scheme or path, like `app.example.com`".to_string()
    } else {
        "write a DNS name like `app.example.com`: lowercase letters, digits and `-`, labels separated by `.`".to_string()
    };
    p.push(s.pos, format!("invalid {what} `{}`", s.value), hint);
    false
}

/// Checks on the spec as written (names that overlays must match).
pub(crate) fn check_names(spec: &Spec, p: &mut Problems) {
    let lbs: Vec<&str> = spec.load_balancers.keys().map(|k| k.as_str()).collect();
    for name in spec.load_balancers.keys() {
        crate::validate::check_name_pub(p, "load balancer name", name, 16);
    }
    for (env, o) in &spec.environments {
        for name in o.load_balancers.keys() {
            let known = spec.load_balancers.contains_key(&name.value)
                || (spec.load_balancers.is_empty() && name.value == DEFAULT_LB);
            if !known {
                let known: Vec<&str> = if lbs.is_empty() {
                    vec![DEFAULT_LB]
                } else {
                    lbs.clone()
                };
                p.push(
                    name.pos,
                    format!(
                        "environment `{}` names unknown load balancer `{}`",
                        env.value, name.value
                    ),
                    choice_hint(name, "load balancers", &known),
                );
            }
        }
        if let (Some(so), None) = (&o.site, &spec.site) {
            let pos = so
                .host
                .as_ref()
                .map(|v| v.pos)
                .or(so.cache.as_ref().map(|v| v.pos))
                .or(so.price_class.as_ref().map(|v| v.pos))
                .unwrap_or(env.pos);
            p.push(
                pos,
                format!(
                    "environment `{}` changes a site the spec does not have",
                    env.value
                ),
                "add a top-level `site:` section".to_string(),
            );
        }
        if let (Some(d), None) = (&o.domain, &spec.domain) {
            if let Some(s) = &d.subdomain {
                p.push(
                    s.pos,
                    format!(
                        "environment `{}` sets a subdomain without `domain`",
                        env.value
                    ),
                    "add a top-level `domain: {zone: example.com}`".to_string(),
                );
            }
        }
    }
    // Route uniqueness: one (load balancer, host, path) goes to one container.
    let mut seen: BTreeMap<(String, String, String), (String, Pos)> = BTreeMap::new();
    let default = default_lb(spec).unwrap_or("");
    for (sname, svc) in &spec.services {
        for (cname, c) in &svc.containers {
            for r in &c.routes {
                let owner = format!("{}/{}", sname.value, cname.value);
                let key = (
                    r.lb().unwrap_or(default).to_string(),
                    r.host().unwrap_or("").to_string(),
                    r.path().to_string(),
                );
                match seen.get(&key) {
                    Some((other, at)) => p.push(
                        r.pos,
                        format!(
                            "conflicting routes: `{}` is routed to `{owner}` and to `{other}` (line {})",
                            r.path(),
                            at.line
                        ),
                        "route each path pattern (per load balancer and host) to exactly one container"
                            .to_string(),
                    ),
                    None => {
                        seen.insert(key, (owner, r.pos));
                    }
                }
            }
        }
    }
}

/// Checks of one (overlay-merged) view of the spec.
pub(crate) fn check_view(spec: &Spec, p: &mut Problems) {
    let zone = spec
        .domain
        .as_ref()
        .and_then(|d| check_dns_name(p, "domain zone", &d.zone).then_some(d.zone.as_str()));
    if let Some(d) = &spec.domain {
        if let Some(s) = &d.subdomain {
            if !s.split('.').all(is_label) {
                p.push(
                    s.pos,
                    format!("invalid subdomain `{}`", s.value),
                    "use lowercase letters, digits and `-`, like `dev` or `eu.staging`".to_string(),
                );
            }
        }
    }
    let mut hosts_seen: BTreeMap<&str, (&str, Pos)> = BTreeMap::new();
    for (name, lb) in &spec.load_balancers {
        let public = lb.public.as_ref().is_none_or(|v| v.value);
        for h in &lb.hosts {
            if !check_dns_name(p, "host name", h) {
                continue;
            }
            match zone {
                None if spec.domain.is_none() => p.push(
                    h.pos,
                    format!("host `{}` without a `domain`", h.value),
                    format!(
                        "add a top-level `domain: {{zone: {}}}` naming the Route53 zone the host lives in",
                        h.split_once('.').map_or(h.as_str(), |(_, z)| z)
                    ),
                ),
                Some(z) if !in_zone(h, z) => p.push(
                    h.pos,
                    format!("host `{}` is outside the zone `{z}`", h.value),
                    format!("use `{z}` or a name ending in `.{z}`, or change `domain.zone`"),
                ),
                _ => {}
            }
            match hosts_seen.get(h.as_str()) {
                Some((other, at)) => p.push(
                    h.pos,
                    format!(
                        "host `{}` is listed twice: by load balancer `{}` and `{other}` (line {})",
                        h.value, name.value, at.line
                    ),
                    "a host name points at one load balancer; list it once".to_string(),
                ),
                None => {
                    hosts_seen.insert(h.as_str(), (name.as_str(), h.pos));
                }
            }
        }
        if let Some(t) = &lb.idle_timeout {
            check_idle(p, t.value, t.pos);
        }
        let azs = spec.network.azs.as_ref().map_or(2, |a| a.value);
        if !public && azs < 2 {
            p.push(
                name.pos,
                format!("internal load balancer `{}` needs two availability zones", name.value),
                "an ALB spans two AZs and an internal one lives in the private subnets: set `network.azs: 2`".to_string(),
            );
        }
        if let (Some(w), false) = (&lb.waf, public) {
            if w.value {
                p.push(
                    w.pos,
                    format!("WAF on internal load balancer `{}`", name.value),
                    "WAF protects internet-facing load balancers; remove `waf` or set `public: true`"
                        .to_string(),
                );
            }
        }
    }
    if let Some(w) = &spec.waf {
        let mut rules_seen = Vec::new();
        for r in w.rules.iter().flatten() {
            if rules_seen.contains(&r.value) {
                p.push(
                    r.pos,
                    format!("WAF rule group `{}` is listed twice", r.value.as_str()),
                    "list each rule group once".to_string(),
                );
            }
            rules_seen.push(r.value);
        }
        if let Some(l) = &w.rate_limit {
            if l.value != 0 && !(10..=2_000_000_000).contains(&l.value) {
                p.push(
                    l.pos,
                    format!("WAF rate limit {} is out of range", l.value),
                    "use 10 to 2000000000 requests per 5 minutes per IP, or 0 for no limit"
                        .to_string(),
                );
            }
        }
        for c in w.allow_ips.iter().chain(&w.deny_ips) {
            match c.parse::<Ipv4Net>() {
                Ok(net) if net.trunc() == net => {}
                Ok(net) => p.push(
                    c.pos,
                    format!("invalid CIDR `{}`: host bits are set", c.value),
                    format!("did you mean `{}`?", net.trunc()),
                ),
                Err(_) => p.push(
                    c.pos,
                    format!("invalid CIDR `{}`", c.value),
                    "write an IPv4 network like `203.0.113.0/24` (a single address is `203.0.113.7/32`)"
                        .to_string(),
                ),
            }
        }
    }
    check_routes(spec, p);
    check_site(spec, zone, &hosts_seen, p);
    // `LB_{NAME}_HOST` of internal load balancers is Gantry's to set.
    for (name, lb) in &spec.load_balancers {
        if lb.public.as_ref().is_none_or(|v| v.value) {
            continue;
        }
        let var = internal_host_var(name);
        for c in spec.services.values().flat_map(|s| s.containers.values()) {
            if let Some((k, _)) = c.environment.get_key_value(var.as_str()) {
                p.push(
                    k.pos,
                    format!(
                        "environment variable `{var}` is set by Gantry from internal load balancer `{}`",
                        name.value
                    ),
                    "remove it from `environment`".to_string(),
                );
            }
        }
    }
}

/// The variable every container gets for internal load balancer `name`.
pub fn internal_host_var(name: &str) -> String {
    format!("LB_{}_HOST", name.to_ascii_uppercase().replace('-', "_"))
}

/// The host a site answers on as written (before the environment's
/// subdomain): `site.host`, else the zone apex with a domain.
pub fn site_host(spec: &Spec) -> Option<&str> {
    let site = spec.site.as_ref()?;
    match (&site.host, &spec.domain) {
        (Some(h), _) => Some(h.as_str()),
        (None, Some(d)) => Some(d.zone.as_str()),
        (None, None) => None,
    }
}

fn check_site(
    spec: &Spec,
    zone: Option<&str>,
    lb_hosts: &BTreeMap<&str, (&str, Pos)>,
    p: &mut Problems,
) {
    let Some(site) = &spec.site else { return };
    if let Some((k, _)) = spec.buckets.get_key_value("site") {
        p.push(
            k.pos,
            "bucket name `site` is taken by the site's own bucket".to_string(),
            "rename the bucket".to_string(),
        );
    }
    if let Some(h) = &site.host {
        if check_dns_name(p, "site host", h) {
            match zone {
                None if spec.domain.is_none() => p.push(
                    h.pos,
                    format!("site host `{}` without a `domain`", h.value),
                    "add a top-level `domain: {zone: ...}` naming the Route53 zone, or drop `host` to use the distribution's cloudfront.net name".to_string(),
                ),
                Some(z) if !in_zone(h, z) => p.push(
                    h.pos,
                    format!("site host `{}` is outside the zone `{z}`", h.value),
                    format!("use `{z}` or a name ending in `.{z}`"),
                ),
                _ => {}
            }
        }
    }
    if let Some(host) = site_host(spec) {
        // Without `load_balancers`, `main` answers on the zone apex.
        let apex_lb = spec.load_balancers.is_empty()
            && spec.domain.as_ref().is_some_and(|d| d.zone.value == host)
            && spec
                .services
                .values()
                .flat_map(|s| s.containers.values())
                .any(|c| !c.routes.is_empty());
        let clash = lb_hosts
            .get(host)
            .map(|(lb, _)| lb.to_string())
            .or_else(|| apex_lb.then(|| DEFAULT_LB.to_string()));
        if let Some(lb) = clash {
            let pos = site.host.as_ref().map_or_else(
                || spec.domain.as_ref().map_or(Pos::default(), |d| d.zone.pos),
                |h| h.pos,
            );
            p.push(
                pos,
                format!("site host `{host}` is also a host of load balancer `{lb}`"),
                "give the site its own host (`site.host: app.example.com`) or the load balancer other `hosts`".to_string(),
            );
        }
    }
    if let Some(api) = &site.api {
        let lbs: Vec<&str> = if spec.load_balancers.is_empty() {
            vec![DEFAULT_LB]
        } else {
            spec.load_balancers.keys().map(|k| k.as_str()).collect()
        };
        let name = api.lb.as_ref().map(|l| l.as_str()).or(default_lb(spec));
        match (name, &api.lb) {
            (Some(n), Some(l)) if !lbs.contains(&n) => p.push(
                l.pos,
                format!("site API names unknown load balancer `{n}`"),
                choice_hint(l, "load balancers", &lbs),
            ),
            (Some(n), l) => {
                let public = spec
                    .load_balancers
                    .get(n)
                    .and_then(|x| x.public.as_ref())
                    .is_none_or(|v| v.value);
                if !public {
                    let pos = l.as_ref().map_or(Pos::default(), |l| l.pos);
                    p.push(
                        pos,
                        format!("site API goes to internal load balancer `{n}`"),
                        "CloudFront reaches origins over the internet: name an internet-facing load balancer".to_string(),
                    );
                }
            }
            (None, _) => {}
        }
        for path in &api.paths {
            let ok = path.starts_with('/')
                && path.value != "/*"
                && path.len() <= 255
                && path
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/-_.*$&+~".contains(c));
            if !ok {
                p.push(
                    path.pos,
                    format!("invalid site API path `{}`", path.value),
                    "write a CloudFront path pattern like `/api/*` (not `/*`, which is the site itself)".to_string(),
                );
            }
        }
    }
}

fn check_idle(p: &mut Problems, v: u32, pos: Pos) {
    if !(1..=MAX_IDLE_TIMEOUT).contains(&v) {
        p.push(
            pos,
            format!("idle timeout {v} is out of range"),
            format!("use 1 to {MAX_IDLE_TIMEOUT} seconds"),
        );
    }
}

fn check_routes(spec: &Spec, p: &mut Problems) {
    let lbs: Vec<&str> = if spec.load_balancers.is_empty() {
        vec![DEFAULT_LB]
    } else {
        spec.load_balancers.keys().map(|k| k.as_str()).collect()
    };
    let default = default_lb(spec);
    for svc in spec.services.values() {
        for c in svc.containers.values() {
            for r in &c.routes {
                let lb_name = match r.lb() {
                    Some(l) if !lbs.contains(&l) => {
                        p.push(
                            r.pos,
                            format!("route `{}` names unknown load balancer `{l}`", r.path()),
                            choice_hint(l, "load balancers", &lbs),
                        );
                        continue;
                    }
                    Some(l) => l,
                    None => match default {
                        Some(d) => d,
                        None => {
                            p.push(
                                r.pos,
                                format!("route `{}` does not say which load balancer serves it", r.path()),
                                format!(
                                    "write `{{path: \"{}\", lb: NAME}}`, or name one load balancer `main`; load balancers: {}",
                                    r.path(),
                                    lbs.join(", ")
                                ),
                            );
                            continue;
                        }
                    },
                };
                if let Route::Detailed {
                    idle_timeout: Some(t),
                    ..
                } = &r.value
                {
                    check_idle(p, *t, r.pos);
                }
                let Some(host) = r.host() else { continue };
                let hosts: Vec<&str> = spec
                    .load_balancers
                    .get(lb_name)
                    .map(|l| l.hosts.iter().map(|h| h.as_str()).collect())
                    .unwrap_or_default();
                if !hosts.contains(&host) {
                    let hint = if hosts.is_empty() {
                        format!("add `hosts: [{host}]` to load balancer `{lb_name}`")
                    } else {
                        choice_hint(host, &format!("hosts of load balancer `{lb_name}`"), &hosts)
                    };
                    p.push(
                        r.pos,
                        format!(
                            "route `{}` names host `{host}`, which load balancer `{lb_name}` does not serve",
                            r.path()
                        ),
                        hint,
                    );
                }
            }
        }
    }
}
