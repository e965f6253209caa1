//! The API Gateway front door of the model: which internal load balancer
//! the HTTP API serves, its custom host (expanded for the environment), its
//! throttling, and its routes (the load balancer's routes as route keys).

use gantry_spec::api::{api_lb, route_key, DEFAULT_BURST_LIMIT, DEFAULT_RATE_LIMIT};
use gantry_spec::edge::{default_lb, expand_host};
use gantry_spec::Spec;
use serde::Serialize;

/// An API Gateway HTTP API in front of an internal load balancer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Api {
    /// The internal load balancer it reaches through a VPC link.
    pub lb: String,
    /// The custom domain (subdomain applied); `None`: the `execute-api` URL.
    pub host: Option<String>,
    /// Steady requests per second of the `$default` stage.
    pub rate_limit: u32,
    pub burst_limit: u32,
    /// One per route of the load balancer, sorted by route key.
    pub routes: Vec<ApiRoute>,
}

/// One API route and the service behind it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ApiRoute {
    /// `$default`, `ANY /orders/{proxy+}`, `ANY /health`.
    pub route_key: String,
    /// The ALB path pattern it came from.
    pub path: String,
    pub service: String,
    /// Open to anyone (`auth: none`) although the API signs in (`auth`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub public: bool,
}

pub(crate) fn api(spec: &Spec) -> Option<Api> {
    let a = spec.api.as_ref()?;
    let lb = api_lb(spec)?.to_string();
    let default = default_lb(spec);
    let mut routes: Vec<ApiRoute> = spec
        .services
        .iter()
        .flat_map(|(name, s)| {
            s.containers
                .values()
                .flat_map(|c| c.routes.iter())
                .map(move |r| (name, r))
        })
        .filter(|(_, r)| r.lb().or(default) == Some(lb.as_str()))
        .filter_map(|(name, r)| {
            Some(ApiRoute {
                route_key: route_key(r.path())?,
                path: r.path().to_string(),
                service: name.value.clone(),
                public: r.public(),
            })
        })
        .collect();
    routes.sort();
    routes.dedup();
    Some(Api {
        lb,
        host: a.host.as_ref().map(|h| match &spec.domain {
            Some(d) => expand_host(h, &d.zone, d.subdomain.as_ref().map(|s| s.value.as_str())),
            None => h.value.clone(),
        }),
        rate_limit: a
            .rate_limit
            .as_ref()
            .map_or(DEFAULT_RATE_LIMIT, |v| v.value),
        burst_limit: a
            .burst_limit
            .as_ref()
            .map_or(DEFAULT_BURST_LIMIT, |v| v.value),
        routes,
    })
}
