//! The edge of the model: the domain, load balancers (with host names
//! already expanded for the environment), the WAF, and container routes.

use gantry_spec::edge::{
    default_lb, expand_host, site_host, DEFAULT_IDLE_TIMEOUT, DEFAULT_LB, DEFAULT_RATE_LIMIT,
    SSE_IDLE_TIMEOUT,
};
pub use gantry_spec::edge::{internal_host_var, DEFAULT_LB as MAIN_LB};
use gantry_spec::Spec;
pub use gantry_spec::WafRule;
use serde::Serialize;

/// The Route53 zone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Domain {
    pub zone: String,
    /// Gantry creates and owns the zone (else it looks an existing one up).
    pub create_zone: bool,
}

/// One application load balancer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadBalancer {
    pub name: String,
    /// Internet-facing in the public subnets, or internal in the private ones.
    pub public: bool,
    /// Host names for this environment (subdomain applied); the first one
    /// names the certificate.
    pub hosts: Vec<String>,
    /// Seconds: the written value, else 60 raised by `sse`/`idle_timeout`
    /// routes.
    pub idle_timeout: u32,
    /// The stack's WAF protects it (public load balancers only).
    pub waf: bool,
}

/// The WAF web ACL settings (present only when the WAF is enabled).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waf {
    /// Managed rule groups in evaluation order.
    pub rules: Vec<WafRule>,
    /// Requests per 5 minutes per IP; `None` for no limit.
    pub rate_limit: Option<u32>,
    pub allow_ips: Vec<String>,
    pub deny_ips: Vec<String>,
}

/// A static single-page app: a private bucket behind CloudFront.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Site {
    /// The host name for this environment (subdomain applied); `None`
    /// without a domain (the distribution's own name).
    pub host: Option<String>,
    /// Paths forwarded to a load balancer.
    pub api: Option<SiteApi>,
    /// CachingOptimized (else CachingDisabled).
    pub cache: bool,
    /// `PriceClass_100`, ...
    pub price_class: String,
    /// 403/404 answer with `/index.html`.
    pub spa: bool,
    /// The stack's WAF rules on the distribution.
    pub waf: bool,
}

/// Where the site's API paths go.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteApi {
    pub lb: String,
    pub paths: Vec<String>,
}

/// The site's API paths when none are written.
pub const DEFAULT_SITE_API_PATHS: &[&str] = &["/api/*"];

/// One route to a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    pub path: String,
    /// The load balancer's name.
    pub lb: String,
    /// Only this host (already expanded for the environment).
    pub host: Option<String>,
    pub sse: bool,
}

/// The default managed rule groups.
pub const DEFAULT_WAF_RULES: &[WafRule] = &[
    WafRule::IpReputation,
    WafRule::Common,
    WafRule::KnownBadInputs,
];

pub(crate) fn domain(spec: &Spec) -> Option<Domain> {
    spec.domain.as_ref().map(|d| Domain {
        zone: d.zone.value.clone(),
        create_zone: d.create_zone.as_ref().is_some_and(|v| v.value),
    })
}

fn host(spec: &Spec, h: &str) -> String {
    match &spec.domain {
        Some(d) => expand_host(h, &d.zone, d.subdomain.as_ref().map(|s| s.value.as_str())),
        None => h.to_string(),
    }
}

pub(crate) fn routes(spec: &Spec, c: &gantry_spec::Container) -> Vec<Route> {
    let default = default_lb(spec).unwrap_or(DEFAULT_LB);
    c.routes
        .iter()
        .map(|r| Route {
            path: r.path().to_string(),
            lb: r.lb().unwrap_or(default).to_string(),
            host: r.host().map(|h| host(spec, h)),
            sse: r.sse(),
        })
        .collect()
}

/// Load balancers that something routes to, sorted by name. With a domain
/// and no `load_balancers`, `main` answers on the zone (or subdomain) apex.
pub(crate) fn load_balancers(spec: &Spec) -> Vec<LoadBalancer> {
    let default = default_lb(spec).unwrap_or(DEFAULT_LB);
    let mut names: Vec<String> = spec
        .services
        .values()
        .flat_map(|s| s.containers.values())
        .flat_map(|c| c.routes.iter())
        .map(|r| r.lb().unwrap_or(default).to_string())
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let lb = spec.load_balancers.get(name.as_str());
            let public = lb.and_then(|l| l.public.as_ref()).is_none_or(|v| v.value);
            let hosts: Vec<String> = match (lb, &spec.domain) {
                (Some(l), _) => l.hosts.iter().map(|h| host(spec, h)).collect(),
                (None, Some(d)) if spec.load_balancers.is_empty() => vec![host(spec, &d.zone)],
                (None, _) => Vec::new(),
            };
            let needed = spec
                .services
                .values()
                .flat_map(|s| s.containers.values())
                .flat_map(|c| c.routes.iter())
                .filter(|r| r.lb().unwrap_or(default) == name)
                .map(|r| {
                    r.idle_timeout()
                        .unwrap_or(0)
                        .max(if r.sse() { SSE_IDLE_TIMEOUT } else { 0 })
                })
                .max()
                .unwrap_or(0);
            let idle_timeout = match lb.and_then(|l| l.idle_timeout.as_ref()) {
                Some(t) => t.value,
                None => DEFAULT_IDLE_TIMEOUT.max(needed),
            };
            let waf_on = spec
                .waf
                .as_ref()
                .and_then(|w| w.enabled.as_ref())
                .is_none_or(|v| v.value);
            let waf = public && waf_on && lb.and_then(|l| l.waf.as_ref()).is_none_or(|v| v.value);
            LoadBalancer {
                name,
                public,
                hosts,
                idle_timeout,
                waf,
            }
        })
        .collect()
}

pub(crate) fn waf(spec: &Spec) -> Option<Waf> {
    let w = spec.waf.clone().unwrap_or_default();
    if w.enabled.as_ref().is_some_and(|v| !v.value) {
        return None;
    }
    Some(Waf {
        rules: match &w.rules {
            Some(r) => r.iter().map(|r| r.value).collect(),
            None => DEFAULT_WAF_RULES.to_vec(),
        },
        rate_limit: match w
            .rate_limit
            .as_ref()
            .map_or(DEFAULT_RATE_LIMIT, |v| v.value)
        {
            0 => None,
            n => Some(n),
        },
        allow_ips: w.allow_ips.iter().map(|c| c.value.clone()).collect(),
        deny_ips: w.deny_ips.iter().map(|c| c.value.clone()).collect(),
    })
}

pub(crate) fn site(spec: &Spec) -> Option<Site> {
    let s = spec.site.as_ref()?;
    let waf_on = spec
        .waf
        .as_ref()
        .and_then(|w| w.enabled.as_ref())
        .is_none_or(|v| v.value);
    Some(Site {
        host: spec
            .domain
            .as_ref()
            .and(site_host(spec))
            .map(|h| host(spec, h)),
        api: s.api.as_ref().map(|a| SiteApi {
            lb: a
                .lb
                .as_ref()
                .map(|l| l.value.clone())
                .or_else(|| default_lb(spec).map(str::to_string))
                .unwrap_or_else(|| DEFAULT_LB.to_string()),
            paths: if a.paths.is_empty() {
                DEFAULT_SITE_API_PATHS
                    .iter()
                    .map(|p| p.to_string())
                    .collect()
            } else {
                a.paths.iter().map(|p| p.value.clone()).collect()
            },
        }),
        cache: s
            .cache
            .as_ref()
            .is_none_or(|c| c.value == gantry_spec::SiteCache::Optimized),
        price_class: s
            .price_class
            .as_ref()
            .map_or(gantry_spec::PriceClass::P100, |p| p.value)
            .aws_name()
            .to_string(),
        spa: s.spa.as_ref().is_none_or(|v| v.value),
        waf: waf_on && s.waf.as_ref().is_none_or(|v| v.value),
    })
}
