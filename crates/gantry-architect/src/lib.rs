//! The architect: application model → desired AWS resource graph.
//!
//! [`architect`] is a pure function; this is where the seeds' architecture
//! and Gantry's secure defaults live (tasks in private subnets without public
//! IPs, security groups chained ALB → service port, least-privilege roles,
//! log retention, immutable scanned ECR repositories, circuit breakers,
//! encrypted private data stores reachable only by the services that use
//! them, HTTPS with DNS-validated certificates and an HTTP redirect whenever
//! there is a domain, WAF on every internet-facing load balancer, an
//! internal load balancer behind an API Gateway HTTP API reachable only
//! through the API's VPC link, email from a domain with DKIM, SPF and
//! DMARC, Cognito sign-in guarding the API's routes).
//! Valid but weaker setups (plain HTTP, WAF off) are reported by
//! `Model::warnings()`, which the CLI prints alongside the plan.
//! Addresses and physical names are listed in `docs/spec.md`.
//!
//! Resources carry no tags: providers add the `gantry:*` tags.

mod api;
mod auth;
pub mod ci;
pub mod common;
mod compute;
pub mod data;
pub mod discovery;
mod email;
mod jobs;
pub mod monitoring;
pub mod naming;
mod network;
pub mod priority;
mod routing;
mod scaling;
pub mod site;

use gantry_core::{DesiredGraph, GraphError, Resource};
use gantry_model::Model;
use miette::Diagnostic;

/// ALB's default quota of rules per listener.
pub const MAX_RULES: usize = 100;

/// Why the architecture could not be produced.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ArchitectError {
    /// A bug in the architect: the graph it built is inconsistent.
    #[error("internal error: the architecture graph is invalid: {0}")]
    #[diagnostic(
        code(gantry::architect::graph),
        help("please report this with your gantry.yaml")
    )]
    Graph(#[from] GraphError),
    #[error("{count} routes need {count} listener rules; an ALB listener allows {MAX_RULES}")]
    #[diagnostic(
        code(gantry::architect::too_many_routes),
        help("merge routes with wildcards, like `/api/*`")
    )]
    TooManyRoutes { count: usize },
}

/// What `gantry deploy` put in place, which the architecture keeps (DESIGN
/// rule 4: deploys don't fight the plan). Read from the state's releases by
/// the caller; the architect stays free of I/O.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deployed {
    /// By service name.
    pub services: std::collections::BTreeMap<String, DeployedImages>,
}

/// The images of a service's current release.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeployedImages {
    /// Container → image reference.
    pub images: std::collections::BTreeMap<String, String>,
    /// Container → the spec's `image:` that the deployed one replaced; the
    /// deployed image holds only while the spec still says that.
    pub overrides: std::collections::BTreeMap<String, String>,
}

/// The desired resources for one environment of an application, before
/// anything was deployed.
pub fn architect(model: &Model) -> Result<DesiredGraph, ArchitectError> {
    architect_with(model, &Deployed::default())
}

/// The desired resources for one environment of an application, keeping
/// the images `deploy` put in place.
pub fn architect_with(model: &Model, deployed: &Deployed) -> Result<DesiredGraph, ArchitectError> {
    let mut g = Graph::default();
    let net = network::build(model, &mut g);
    network::flow_logs(model, &net, &mut g);
    let zone = routing::zone(model, &mut g);
    let routing = routing::build(model, &net, zone.as_ref(), &mut g)?;
    let platform = data::Platform {
        email: email::build(model, zone.as_ref(), &mut g),
        auth: auth::build(model, &mut g),
    };
    if let (Some(link_sg), Some(listener)) = (&routing.api_link_sg, &routing.api_listener) {
        let inputs = api::ApiInputs {
            link_sg,
            listener,
            zone: zone.as_ref(),
            auth: platform.auth.as_ref(),
        };
        api::build(model, &net, &inputs, &mut g);
    }
    network::endpoints(model, &net, &routing.service_sgs, &mut g);
    let wiring = data::build(model, &net, &routing, &platform, &mut g);
    compute::build(model, &net, &routing, &wiring, deployed, &mut g);
    site::build(model, zone.as_ref(), &mut g);
    // Last: alarms and the dashboard watch what the others built.
    monitoring::build(model, &routing, &mut g);
    // After everything: the CI roles name the repositories, services and
    // roles built above, and may read every kind the stack has.
    ci::build(model, &mut g);
    let graph = g.finish()?;
    graph.topo_order()?;
    graph.check_kinds()?;
    Ok(graph)
}

/// Collects resources, deferring duplicate-address errors to the end so the
/// builders stay straight-line code.
#[derive(Default)]
pub(crate) struct Graph {
    graph: DesiredGraph,
    error: Option<GraphError>,
}

impl Graph {
    pub fn add(&mut self, r: Resource) -> gantry_core::Address {
        let addr = r.address.clone();
        if let Err(e) = self.graph.add(r) {
            self.error.get_or_insert(e);
        }
        addr
    }

    /// The resources of `kind` added so far, with their properties (what
    /// later builders watch or scale).
    pub fn of_kind<T: gantry_core::Kind>(&self) -> Vec<(gantry_core::Address, T)> {
        self.graph
            .resources
            .values()
            .filter(|r| r.kind == T::KIND)
            .map(|r| {
                // Built from a `T` a moment ago: a failure is an architect
                // bug, never to be skipped silently (it would go unwatched).
                let props = serde_json::from_value(serde_json::Value::Object(r.props.clone()))
                    .unwrap_or_else(|e| {
                        panic!("{} does not read back as {}: {e}", r.address, T::KIND)
                    });
                (r.address.clone(), props)
            })
            .collect()
    }

    /// The kinds of the resources added so far.
    pub fn kinds(&self) -> std::collections::BTreeSet<String> {
        self.graph
            .resources
            .values()
            .map(|r| r.kind.clone())
            .collect()
    }

    /// The addresses of the resources of `kind` added so far.
    pub fn addresses_of(&self, kind: &str) -> Vec<gantry_core::Address> {
        self.graph
            .resources
            .values()
            .filter(|r| r.kind == kind)
            .map(|r| r.address.clone())
            .collect()
    }

    fn finish(self) -> Result<DesiredGraph, GraphError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.graph),
        }
    }
}
