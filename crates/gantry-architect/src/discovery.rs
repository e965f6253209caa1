//! Service discovery (seed 004): a service another service or job `uses`
//! (`uses: [worker]`) is registered in Cloud Map and reached by name, as
//! `worker.STACK-ENV.internal` (see [`gantry_model::Model::discovery_domain`]).
//!
//! One private DNS namespace per stack and environment, in its VPC, and a
//! Cloud Map service per used service: A records of its tasks' IPs
//! (awsvpc), MULTIVALUE routing (up to eight healthy IPs an answer, so
//! callers spread over the tasks), a TTL of 10 s (a replaced task is
//! forgotten quickly) and ECS reporting each task's health. Nothing is
//! made when no service is used.
//!
//! The network: each task that uses a service gets a second security
//! group of its own, with no rules (`client-NAME`); a used service admits
//! that group on exactly its container ports. Naming the users' own
//! groups instead would make a dependency cycle as soon as two services
//! use each other (or one itself): each group would name the other. The
//! user's `NAME_HOST`, `NAME_PORT` and `NAME_URL` variables are plain
//! values, known from the names alone.

use crate::common::{sg_name, tcp};
use crate::network::Net;
use crate::Graph;
use gantry_core::kinds::{
    self, SecurityGroup, ServicediscoveryPrivateDnsNamespace, ServicediscoveryService, SgRule,
};
use gantry_core::{reference, Address, Resource};
use gantry_model::{Model, Service};
use std::collections::BTreeMap;

/// Seconds resolvers keep an answer.
pub const DNS_TTL: i64 = 10;

/// What the rest of the architecture needs from discovery.
#[derive(Default)]
pub(crate) struct Discovery {
    /// The Cloud Map service of each used service, by service name.
    pub registries: BTreeMap<String, Address>,
    /// The client security group of each task (service or job) that uses
    /// a service, by task name.
    pub clients: BTreeMap<String, Address>,
}

/// `worker.STACK-ENV.internal`.
pub fn host(m: &Model, service: &str) -> String {
    format!("{service}.{}", m.discovery_domain())
}

/// The namespace, the used services' Cloud Map services and the users'
/// client groups.
pub(crate) fn build(m: &Model, net: &Net, g: &mut Graph) -> Discovery {
    let mut d = Discovery::default();
    let used: Vec<&Service> = m.discovered().collect();
    if used.is_empty() {
        return d;
    }
    let prefix = m.prefix();
    let ns = g.add(Resource::new(
        kinds::SERVICEDISCOVERY_PRIVATE_DNS_NAMESPACE,
        "main",
        &ServicediscoveryPrivateDnsNamespace {
            name: m.discovery_domain(),
            vpc_id: net.vpc_id(),
            description: format!("Gantry stack {prefix}: services found by name"),
        },
    ));
    for s in used {
        let addr = g.add(Resource::new(
            kinds::SERVICEDISCOVERY_SERVICE,
            &s.name,
            &ServicediscoveryService {
                name: s.name.clone(),
                namespace_id: reference(&ns, "id"),
                description: format!(
                    "Service {} of {prefix}: the IPs of its running tasks",
                    s.name
                ),
                dns_ttl: DNS_TTL,
                routing_policy: "MULTIVALUE".into(),
            },
        ));
        d.registries.insert(s.name.clone(), addr);
    }
    for t in m.tasks() {
        let calls: Vec<&str> = t
            .uses
            .iter()
            .filter(|u| u.kind == gantry_model::StoreKind::Service)
            .map(|u| u.name.as_str())
            .collect();
        if calls.is_empty() {
            continue;
        }
        let addr = g.add(Resource::new(
            kinds::SECURITY_GROUP,
            &format!("client-{}", t.name),
            &SecurityGroup {
                name: sg_name(&format!("{prefix}-client-{}", t.name)),
                description: format!(
                    "Tasks of {}: admitted by the services they use ({}); no rules of its own",
                    t.name,
                    calls.join(", ")
                ),
                vpc_id: net.vpc_id(),
                ingress: Vec::new(),
                egress: Vec::new(),
            },
        ));
        d.clients.insert(t.name.clone(), addr);
    }
    d
}

/// The ingress of the used service `s`: from each user's client group, on
/// each of its container ports.
pub(crate) fn ingress(m: &Model, d: &Discovery, s: &Service) -> Vec<SgRule> {
    let mut rules = Vec::new();
    for t in m.tasks().filter(|t| t.uses_service(&s.name)) {
        let Some(client) = d.clients.get(&t.name) else {
            continue;
        };
        for p in s.ports() {
            rules.push(SgRule {
                source_security_group_id: Some(reference(client, "id")),
                ..tcp(
                    i32::from(p),
                    format!("from {} (uses {}) to port {p}", t.name, s.name),
                )
            });
        }
    }
    rules
}

/// Without NAT, the egress a task needs to the services it uses: their
/// ports in the private subnets (their groups already name the client
/// group, so naming theirs here would be a cycle).
pub(crate) fn egress(m: &Model, t: &Service) -> Vec<SgRule> {
    // One rule per port and subnet, however many used services share it.
    let mut by_port: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    for used in m.services.iter().filter(|s| t.uses_service(&s.name)) {
        for p in used.ports() {
            by_port.entry(p).or_default().push(&used.name);
        }
    }
    let mut rules = Vec::new();
    for (p, names) in by_port {
        for az in &m.network.azs {
            let cidr = az.private_cidr.to_string();
            rules.push(SgRule {
                cidr_ipv4: Some(cidr.clone()),
                ..tcp(
                    i32::from(p),
                    format!("to service {} on port {p} in {cidr}", names.join(", ")),
                )
            });
        }
    }
    rules
}
