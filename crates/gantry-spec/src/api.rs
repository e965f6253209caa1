//! Validation of `api`: an API Gateway HTTP API in front of one internal
//! load balancer, and the rules the model shares with it: which load
//! balancer the API serves ([`api_lb`]) and how an ALB path pattern becomes
//! an HTTP API route key ([`route_key`]).
//!
//! The API reaches its load balancer through a VPC link over plain HTTP on
//! port 80 (TLS ends at API Gateway), so that load balancer must be
//! internal and without `hosts`; its routes become the API's routes, which
//! is why they must be patterns API Gateway can express.

use crate::diag::{choice_hint, Problems};
use crate::edge::{check_dns_name, default_lb, in_zone};
use crate::types::Spec;

/// Steady requests per second of the `$default` stage.
pub const DEFAULT_RATE_LIMIT: u32 = 100;
/// Burst of the `$default` stage.
pub const DEFAULT_BURST_LIMIT: u32 = 200;
/// API Gateway's default account-level rate (requests per second).
pub const MAX_RATE_LIMIT: u32 = 10_000;
/// API Gateway's default account-level burst.
pub const MAX_BURST_LIMIT: u32 = 5_000;

/// The load balancer the API serves: `api.lb`, else the only internal one.
pub fn api_lb(spec: &Spec) -> Option<&str> {
    let api = spec.api.as_ref()?;
    if let Some(lb) = &api.lb {
        return Some(lb.as_str());
    }
    let mut internal = spec
        .load_balancers
        .iter()
        .filter(|(_, l)| l.public.as_ref().is_some_and(|v| !v.value))
        .map(|(n, _)| n.as_str());
    match (internal.next(), internal.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// The HTTP API route key of an ALB path pattern: `/*` → `$default`,
/// `/orders/*` → `ANY /orders/{proxy+}`, `/health` → `ANY /health`; `None`
/// for patterns API Gateway cannot express (a wildcard anywhere but a whole
/// last segment, `?`, empty segments).
pub fn route_key(path: &str) -> Option<String> {
    if path == "/*" {
        return Some("$default".to_string());
    }
    let (base, proxy) = match path.strip_suffix("/*") {
        Some(b) => (b, true),
        None => (path, false),
    };
    let rest = base.strip_prefix('/')?;
    let ok = !rest.is_empty()
        && rest.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
        });
    ok.then(|| {
        if proxy {
            format!("ANY {base}/{{proxy+}}")
        } else {
            format!("ANY {base}")
        }
    })
}

/// Checks on the spec as written.
pub(crate) fn check_names(spec: &Spec, p: &mut Problems) {
    for (env, o) in &spec.environments {
        if let (Some(a), None) = (&o.api, &spec.api) {
            let pos = a
                .rate_limit
                .as_ref()
                .or(a.burst_limit.as_ref())
                .map_or(env.pos, |v| v.pos);
            p.push(
                pos,
                format!("environment `{}` sets API keys without `api`", env.value),
                "add a top-level `api: {lb: NAME}`".to_string(),
            );
        }
    }
}

/// Checks of one (overlay-merged) view of the spec.
pub(crate) fn check_view(spec: &Spec, p: &mut Problems) {
    let Some(api) = &spec.api else { return };
    let internal: Vec<&str> = spec
        .load_balancers
        .iter()
        .filter(|(_, l)| l.public.as_ref().is_some_and(|v| !v.value))
        .map(|(n, _)| n.as_str())
        .collect();
    let lb = match (&api.lb, api_lb(spec)) {
        (Some(l), _) => match spec.load_balancers.get(l.as_str()) {
            None => {
                let all: Vec<&str> = spec.load_balancers.keys().map(|k| k.as_str()).collect();
                p.push(
                    l.pos,
                    format!("`api.lb` names unknown load balancer `{}`", l.value),
                    if all.is_empty() {
                        "declare it: `load_balancers: {NAME: {public: false}}`".to_string()
                    } else {
                        choice_hint(l, "load balancers", &all)
                    },
                );
                return;
            }
            Some(found) if found.public.as_ref().is_none_or(|v| v.value) => {
                p.push(
                    l.pos,
                    format!("the API's load balancer `{}` is internet-facing", l.value),
                    format!(
                        "the API reaches it through a VPC link: set `load_balancers.{}.public: false`",
                        l.value
                    ),
                );
                return;
            }
            Some(_) => l.value.clone(),
        },
        (None, Some(l)) => l.to_string(),
        (None, None) => {
            p.push(
                api.pos,
                "`api` does not say which load balancer it serves",
                if internal.is_empty() {
                    "declare an internal load balancer (`load_balancers: {backend: {public: false}}`) and route services to it".to_string()
                } else {
                    format!(
                        "add `lb: NAME` to `api`; internal load balancers: {}",
                        internal.join(", ")
                    )
                },
            );
            return;
        }
    };
    if let Some(found) = spec.load_balancers.get(lb.as_str()) {
        if let Some(h) = found.hosts.first() {
            p.push(
                h.pos,
                format!("the API's load balancer `{lb}` has hosts"),
                "API Gateway reaches it over plain HTTP inside the VPC and terminates TLS itself: remove `hosts` (give the API a `host` instead)".to_string(),
            );
        }
    }
    // Its routes become the API's routes.
    let default = default_lb(spec);
    let mut any = false;
    for c in spec.services.values().flat_map(|s| s.containers.values()) {
        for r in &c.routes {
            if r.lb().or(default) != Some(lb.as_str()) {
                continue;
            }
            any = true;
            if r.host().is_some() {
                p.push(
                    r.pos,
                    format!(
                        "route `{}` on the API's load balancer `{lb}` names a host",
                        r.path()
                    ),
                    "the API forwards by path only: remove `host`".to_string(),
                );
            }
            if route_key(r.path()).is_none() {
                p.push(
                    r.pos,
                    format!(
                        "route `{}` cannot be an API Gateway route",
                        r.path()
                    ),
                    "on the API's load balancer use `/*`, a prefix ending in `/*` like `/orders/*`, or an exact path like `/health` (letters, digits, `-._~`)".to_string(),
                );
            }
        }
    }
    if !any {
        let pos = api.lb.as_ref().map_or(api.pos, |l| l.pos);
        p.push(
            pos,
            format!("no route uses the API's load balancer `{lb}`"),
            format!("route services to it, like `routes: [{{path: \"/orders/*\", lb: {lb}}}]`"),
        );
    }
    if let Some(h) = &api.host {
        if check_dns_name(p, "API host", h) {
            match &spec.domain {
                None => p.push(
                    h.pos,
                    format!("API host `{}` without a `domain`", h.value),
                    "add a top-level `domain: {zone: example.com}` naming the Route53 zone"
                        .to_string(),
                ),
                Some(d) if !in_zone(h, &d.zone) => p.push(
                    h.pos,
                    format!(
                        "API host `{}` is outside the zone `{}`",
                        h.value, d.zone.value
                    ),
                    format!("use a name ending in `.{}`", d.zone.value),
                ),
                Some(_) => {}
            }
            for (name, l) in &spec.load_balancers {
                if l.hosts.iter().any(|x| x.value == h.value) {
                    p.push(
                        h.pos,
                        format!(
                            "API host `{}` is also a host of load balancer `{}`",
                            h.value, name.value
                        ),
                        "a host name points at one front door; use another name for the API"
                            .to_string(),
                    );
                }
            }
        }
    }
    if let Some(r) = &api.rate_limit {
        if !(1..=MAX_RATE_LIMIT).contains(&r.value) {
            p.push(
                r.pos,
                format!("API rate limit {} is out of range", r.value),
                format!("use 1 to {MAX_RATE_LIMIT} requests per second"),
            );
        }
    }
    if let Some(b) = &api.burst_limit {
        if !(1..=MAX_BURST_LIMIT).contains(&b.value) {
            p.push(
                b.pos,
                format!("API burst limit {} is out of range", b.value),
                format!("use 1 to {MAX_BURST_LIMIT} requests"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::route_key;

    #[test]
    fn route_keys() {
        assert_eq!(route_key("/*").as_deref(), Some("$default"));
        assert_eq!(
            route_key("/orders/*").as_deref(),
            Some("ANY /orders/{proxy+}")
        );
        assert_eq!(
            route_key("/v1/users/*").as_deref(),
            Some("ANY /v1/users/{proxy+}")
        );
        assert_eq!(route_key("/health").as_deref(), Some("ANY /health"));
        for bad in [
            "/api*",
            "/.well-known/mercure*",
            "/a/*/b",
            "/a?",
            "//*",
            "api/*",
            "/",
        ] {
            assert_eq!(route_key(bad), None, "{bad}");
        }
    }
}
