//! Traffic in: security groups, the load balancers (internet-facing or
//! internal), target groups, listeners and their path/host rules; with a
//! domain also the zone, certificates, HTTPS listeners, HTTP→HTTPS
//! redirects and alias records; and the WAF on internet-facing ALBs.
//!
//! Security groups are chained: the internet (or, for an internal ALB, the
//! VPC) reaches an ALB on 80/443 only, and each ALB reaches a service only on
//! the container ports it routes to. An ALB's egress names the VPC CIDR
//! rather than the service groups because the service groups already name
//! the ALB's: referencing both ways would be a dependency cycle.
//!
//! Addresses of `main` keep their historical names (`lb.main`,
//! `security_group.alb`, `lb_listener.http`, target groups `SVC-CONTAINER`);
//! other load balancers prefix or suffix their name (`security_group.alb-NAME`,
//! `lb_listener.NAME-http`, target groups `SVC-CONTAINER-NAME`).

use crate::common::{sg_name, tcp};
use crate::naming::{fnv1a, host_slug, short_name, slug};
use crate::network::{ids, Net};
use crate::{priority, ArchitectError, Graph, MAX_RULES};
use gantry_core::kinds::{self, *};
use gantry_core::{reference, Address, Resource};
use gantry_model::{Egress, Model, StoreKind};
use std::collections::{BTreeMap, BTreeSet};

/// What the compute builder needs from routing.
pub(crate) struct Routing {
    /// Security group of each service, by service name.
    pub service_sgs: BTreeMap<String, Address>,
    /// Target group of each routed container, by (service, container, load
    /// balancer).
    pub target_groups: BTreeMap<(String, String, String), Address>,
    /// `LB_{NAME}_HOST` for every internal load balancer: its first host
    /// with HTTPS, else its DNS name. Every container gets these, so a
    /// frontend can call a backend inside the VPC (seed 003).
    pub internal_hosts: BTreeMap<String, String>,
    /// The listener and rules a service's target groups hang off: ECS refuses
    /// to attach a target group that no load balancer uses yet.
    pub listener_deps: BTreeMap<String, Vec<Address>>,
    /// The API's VPC link security group and its load balancer's forwarding
    /// listener, with an API.
    pub api_link_sg: Option<Address>,
    pub api_listener: Option<Address>,
    /// Cloud Map services and client groups ([`crate::discovery`]).
    pub discovery: crate::discovery::Discovery,
}

impl Routing {
    /// The security groups of a service's or job's tasks: its own, and its
    /// client group when it uses services.
    pub fn task_sgs(&self, name: &str) -> Vec<String> {
        std::iter::once(&self.service_sgs[name])
            .chain(self.discovery.clients.get(name))
            .map(|a| reference(a, "id"))
            .collect()
    }
}

/// ALB reserves names starting with `internal-`.
fn lb_name(prefix: &str) -> String {
    if prefix.starts_with("internal-") {
        short_name(&format!("gantry-{prefix}"), 32)
    } else {
        short_name(prefix, 32)
    }
}

/// Where a task (a service's or a job's) may connect: everywhere through
/// NAT; without NAT, HTTPS to the endpoints and S3, HTTP to internal load
/// balancers, and the stores it uses.
fn task_egress(m: &Model, s: &gantry_model::Service, has_internal: bool) -> Vec<SgRule> {
    match m.network.egress {
        Egress::Nat | Egress::NatPerAz => vec![SgRule {
            protocol: "-1".into(),
            from_port: 0,
            to_port: 0,
            cidr_ipv4: Some("0.0.0.0/0".into()),
            cidr_ipv6: None,
            source_security_group_id: None,
            description: "all outbound through the NAT gateway: image pulls, AWS APIs and calls made by the app".into(),
        }],
        // Without NAT only the VPC endpoints and the S3 gateway (public
        // S3 addresses) are reachable, all over HTTPS.
        Egress::Endpoints | Egress::None => {
            let mut rules = vec![SgRule {
                cidr_ipv4: Some("0.0.0.0/0".into()),
                ..tcp(443, "HTTPS to AWS APIs via VPC endpoints and to S3 for image layers")
            }];
            if has_internal {
                rules.push(SgRule {
                    cidr_ipv4: Some(m.network.cidr.to_string()),
                    ..tcp(80, "HTTP to internal load balancers in the VPC")
                });
            }
            rules.extend(store_egress(m, s));
            rules
        }
    }
}

/// Without NAT (whose rule allows all egress), a service needs explicit
/// egress to the stores it uses. Rules name the stores' subnets rather than
/// their security groups: those already name the service's, and naming both
/// ways would be a dependency cycle.
fn store_egress(m: &Model, s: &gantry_model::Service) -> Vec<SgRule> {
    let mut rules = Vec::new();
    for u in &s.uses {
        let (port, what, cidrs): (i32, &str, Vec<String>) = match u.kind {
            StoreKind::Postgres => (
                crate::common::POSTGRES_PORT,
                "PostgreSQL",
                m.network.data.iter().map(|d| d.cidr.to_string()).collect(),
            ),
            StoreKind::Redis => (
                crate::common::REDIS_PORT,
                "Redis",
                m.network.data.iter().map(|d| d.cidr.to_string()).collect(),
            ),
            StoreKind::Volume => (
                crate::common::NFS_PORT,
                "NFS to EFS volume",
                m.network
                    .azs
                    .iter()
                    .map(|a| a.private_cidr.to_string())
                    .collect(),
            ),
            // Services used: after the loop, once for them all.
            _ => continue,
        };
        for cidr in cidrs {
            rules.push(SgRule {
                cidr_ipv4: Some(cidr.clone()),
                ..tcp(port, format!("{what} {} in {cidr}", u.name))
            });
        }
    }
    rules.extend(crate::discovery::egress(m, s));
    rules
}

/// The TLS policy of HTTPS listeners: TLS 1.3 and 1.2 only.
pub const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/// The load balancer whose addresses keep their historical names.
const MAIN: &str = gantry_model::MAIN_LB;

/// `NAME` for `main`, else `NAME-LB` / `LB-NAME` (see the module docs).
fn suffixed(name: &str, lb: &str) -> String {
    if lb == MAIN {
        name.to_string()
    } else {
        format!("{name}-{lb}")
    }
}

fn prefixed(lb: &str, name: &str) -> String {
    if lb == MAIN {
        name.to_string()
    } else {
        format!("{lb}-{name}")
    }
}

fn internet_ingress() -> Vec<SgRule> {
    let mut ingress = Vec::new();
    for port in [80, 443] {
        let s = if port == 443 { "S" } else { "" };
        ingress.push(SgRule {
            cidr_ipv4: Some("0.0.0.0/0".into()),
            ..tcp(port, format!("HTTP{s} from the internet (IPv4)"))
        });
        ingress.push(SgRule {
            cidr_ipv6: Some("::/0".into()),
            ..tcp(port, format!("HTTP{s} from the internet (IPv6)"))
        });
    }
    ingress
}

/// A rule of one listener: its host (if any), path and target.
struct RuleSpec {
    host: Option<String>,
    path: String,
    tg: Address,
    svc: String,
}

/// The Route53 zone (created or looked up) when there is a domain and
/// something to name in it.
pub(crate) fn zone(m: &Model, g: &mut Graph) -> Option<Address> {
    if m.load_balancers.is_empty() && m.site.is_none() && m.email.is_none() {
        return None;
    }
    let prefix = m.prefix();
    m.domain.as_ref().map(|d| {
        if d.create_zone {
            g.add(Resource::new(
                kinds::ROUTE53_ZONE,
                "main",
                &Route53Zone {
                    name: d.zone.clone(),
                    comment: format!("Gantry stack {prefix}"),
                },
            ))
        } else {
            g.add(Resource::new(
                kinds::ROUTE53_ZONE_LOOKUP,
                "main",
                &Route53ZoneLookup {
                    name: d.zone.clone(),
                    private_zone: false,
                },
            ))
        }
    })
}

/// A route with its service and container.
type Routed<'a> = (
    &'a str,
    &'a gantry_model::Container,
    &'a gantry_model::Route,
);

pub(crate) fn build(
    m: &Model,
    net: &Net,
    zone: Option<&Address>,
    g: &mut Graph,
) -> Result<Routing, ArchitectError> {
    let prefix = m.prefix();
    // (service, container, route) for every route.
    let routed: Vec<Routed> = m
        .services
        .iter()
        .flat_map(|s| {
            s.routed()
                .flat_map(move |c| c.routes.iter().map(move |r| (s.name.as_str(), c, r)))
        })
        .collect();
    for lb in &m.load_balancers {
        let count = routed
            .iter()
            .filter(|(_, _, r)| r.lb == lb.name && !(r.path == "/*" && r.host.is_none()))
            .count();
        if count > MAX_RULES {
            return Err(ArchitectError::TooManyRoutes { count });
        }
    }
    let has_internal = m.load_balancers.iter().any(|l| !l.public);

    let link_sg = crate::api::link_security_group(m, net, g);
    let discovery = crate::discovery::build(m, net, g);
    // Security groups of the load balancers.
    let mut alb_sgs: BTreeMap<&str, Address> = BTreeMap::new();
    for lb in &m.load_balancers {
        let sg = alb_security_group(m, net, lb, link_sg.as_ref(), &routed, g);
        alb_sgs.insert(lb.name.as_str(), sg);
    }

    let service_sgs = task_security_groups(m, net, &alb_sgs, &discovery, has_internal, g);

    let mut target_groups = BTreeMap::new();
    let mut listener_deps: BTreeMap<String, Vec<Address>> = BTreeMap::new();
    if m.load_balancers.is_empty() {
        return Ok(Routing {
            service_sgs,
            target_groups,
            internal_hosts: BTreeMap::new(),
            listener_deps,
            api_link_sg: link_sg,
            api_listener: None,
            discovery,
        });
    }

    let zone = zone.cloned();

    let waf_ip_sets = waf_ip_sets(m, &prefix, g);
    let mut internal_hosts = BTreeMap::new();
    let mut api_listener = None;
    for lb in &m.load_balancers {
        let lb_addr = g.add(Resource::new(
            kinds::LB,
            &lb.name,
            &Lb {
                name: lb_name(&suffixed(&prefix, &lb.name)),
                internal: !lb.public,
                subnet_ids: ids(if lb.public {
                    &net.public_subnets
                } else {
                    &net.private_subnets
                }),
                security_group_ids: vec![reference(&alb_sgs[lb.name.as_str()], "id")],
                idle_timeout_seconds: lb.idle_timeout as i32,
                drop_invalid_header_fields: true,
                desync_mitigation_mode: "defensive".into(),
            },
        ));

        // The API's load balancer admits the VPC link only: services get no
        // variable for it.
        if !lb.public && !m.is_api_lb(&lb.name) {
            internal_hosts.insert(
                gantry_model::internal_host_var(&lb.name),
                match (m.is_https(lb), lb.hosts.first()) {
                    (true, Some(h)) => h.clone(),
                    _ => reference(&lb_addr, "dns_name"),
                },
            );
        }
        let (default_tg, rules) = lb_target_groups(m, net, lb, &mut target_groups, g);

        let default_action = match &default_tg {
            Some(tg) => ListenerAction::Forward {
                target_group_arn: reference(tg, "arn"),
            },
            None => ListenerAction::FixedResponse {
                status_code: "404".into(),
                content_type: "text/plain".into(),
                message_body: "Not Found".into(),
            },
        };

        let (https, forwarding) = listeners(m, lb, &lb_addr, zone.as_ref(), default_action, g);
        if m.is_api_lb(&lb.name) {
            api_listener = Some(forwarding.clone());
        }
        for s in &m.services {
            if s.routed().any(|c| c.routes.iter().any(|r| r.lb == lb.name)) {
                listener_deps
                    .entry(s.name.clone())
                    .or_default()
                    .push(forwarding.clone());
            }
        }

        listener_rules(lb, &forwarding, rules, &mut listener_deps, g);

        if let (Some(zone), true) = (&zone, https.is_some()) {
            alias_records(lb, zone, &lb_addr, g);
        }
        lb_waf(m, lb, &lb_addr, &waf_ip_sets, g);
    }

    Ok(Routing {
        service_sgs,
        target_groups,
        internal_hosts,
        listener_deps,
        api_link_sg: link_sg,
        api_listener,
        discovery,
    })
}

/// A load balancer's security group: in from the internet (public), from
/// the API's VPC link (the API's), or from inside the VPC (internal); out
/// to exactly its targets' ports inside the VPC.
fn alb_security_group(
    m: &Model,
    net: &Net,
    lb: &gantry_model::LoadBalancer,
    link_sg: Option<&Address>,
    routed: &[Routed],
    g: &mut Graph,
) -> Address {
    let prefix = m.prefix();
    let api_link = link_sg.filter(|_| m.is_api_lb(&lb.name));
    let ingress = if lb.public {
        internet_ingress()
    } else if let Some(link) = api_link {
        vec![crate::api::lb_ingress(link)]
    } else {
        let cidr = m.network.cidr.to_string();
        [80, 443]
            .into_iter()
            .map(|port| SgRule {
                cidr_ipv4: Some(cidr.clone()),
                ..tcp(
                    port,
                    format!(
                        "HTTP{} from inside the VPC",
                        if port == 443 { "S" } else { "" }
                    ),
                )
            })
            .collect()
    };
    let ports: BTreeSet<i32> = routed
        .iter()
        .filter(|(_, _, r)| r.lb == lb.name)
        .filter_map(|(_, c, _)| c.port)
        .map(i32::from)
        .collect();
    let egress = ports
        .iter()
        .map(|p| SgRule {
            cidr_ipv4: Some(m.network.cidr.to_string()),
            ..tcp(
                *p,
                format!("to service containers on port {p} inside the VPC"),
            )
        })
        .collect();
    g.add(Resource::new(
        kinds::SECURITY_GROUP,
        &prefixed_alb(&lb.name),
        &SecurityGroup {
            name: sg_name(&format!("{prefix}-{}", prefixed_alb(&lb.name))),
            description: if lb.name == MAIN && lb.public {
                "Load balancer: HTTP/HTTPS from the internet".into()
            } else if lb.public {
                format!("Load balancer {}: HTTP/HTTPS from the internet", lb.name)
            } else if api_link.is_some() {
                format!(
                    "Internal load balancer {}: HTTP from the API Gateway VPC link",
                    lb.name
                )
            } else {
                format!(
                    "Internal load balancer {}: HTTP/HTTPS from inside the VPC",
                    lb.name
                )
            },
            vpc_id: net.vpc_id(),
            ingress,
            egress,
        },
    ))
}

/// Each service's security group (in from its load balancers on exactly
/// its routed ports, and from the services that use it), and each job's
/// (no inbound traffic); out as `task_egress` allows.
fn task_security_groups(
    m: &Model,
    net: &Net,
    alb_sgs: &BTreeMap<&str, Address>,
    discovery: &crate::discovery::Discovery,
    has_internal: bool,
    g: &mut Graph,
) -> BTreeMap<String, Address> {
    let prefix = m.prefix();
    let mut service_sgs = BTreeMap::new();
    for s in &m.services {
        let mut ingress = Vec::new();
        for lb in &m.load_balancers {
            let ports: BTreeSet<u16> = s
                .routed()
                .filter(|c| c.routes.iter().any(|r| r.lb == lb.name))
                .filter_map(|c| c.port)
                .collect();
            for p in ports {
                let from = if lb.name == MAIN {
                    "the load balancer".to_string()
                } else {
                    format!("load balancer {}", lb.name)
                };
                ingress.push(SgRule {
                    source_security_group_id: Some(reference(&alb_sgs[lb.name.as_str()], "id")),
                    ..tcp(i32::from(p), format!("from {from} to port {p}"))
                });
            }
        }
        ingress.extend(crate::discovery::ingress(m, discovery, s));
        let egress = task_egress(m, s, has_internal);
        let sg = g.add(Resource::new(
            kinds::SECURITY_GROUP,
            &format!("svc-{}", s.name),
            &SecurityGroup {
                name: sg_name(&format!("{prefix}-{}", s.name)),
                description: format!("Service {}: traffic from the load balancer only", s.name),
                vpc_id: net.vpc_id(),
                ingress,
                egress,
            },
        ));
        service_sgs.insert(s.name.clone(), sg);
    }
    // A job takes no traffic: egress only.
    for j in &m.jobs {
        let sg = g.add(Resource::new(
            kinds::SECURITY_GROUP,
            &format!("job-{}", j.name()),
            &SecurityGroup {
                name: sg_name(&format!("{prefix}-job-{}", j.name())),
                description: format!("Job {}: no inbound traffic", j.name()),
                vpc_id: net.vpc_id(),
                ingress: Vec::new(),
                egress: task_egress(m, &j.task, has_internal),
            },
        ));
        service_sgs.insert(j.name().to_string(), sg);
    }
    service_sgs
}

/// A target group per routed container of load balancer `lb` (into
/// `target_groups`): the one `/*` without a host forwards to by default,
/// and the rules of the other routes.
fn lb_target_groups(
    m: &Model,
    net: &Net,
    lb: &gantry_model::LoadBalancer,
    target_groups: &mut BTreeMap<(String, String, String), Address>,
    g: &mut Graph,
) -> (Option<Address>, Vec<RuleSpec>) {
    let prefix = m.prefix();
    let mut default_tg = None;
    let mut rules = Vec::new();
    for (svc, c) in m
        .services
        .iter()
        .flat_map(|s| s.routed().map(move |c| (s.name.as_str(), c)))
        .filter(|(_, c)| c.routes.iter().any(|r| r.lb == lb.name))
    {
        let port = i32::from(c.port.unwrap_or(80));
        let name = suffixed(&format!("{svc}-{}", c.name), &lb.name);
        let tg = g.add(Resource::new(
            kinds::LB_TARGET_GROUP,
            &name,
            &LbTargetGroup {
                name: short_name(&format!("{prefix}-{name}"), 32),
                port,
                protocol: "HTTP".into(),
                target_type: "ip".into(),
                vpc_id: net.vpc_id(),
                health_check: HealthCheck {
                    path: c.health_path.clone(),
                    matcher: "200-399".into(),
                    interval_seconds: 15,
                    timeout_seconds: 5,
                    healthy_threshold: 2,
                    unhealthy_threshold: 3,
                },
                // Long enough to finish ordinary requests, short enough that
                // rolling deploys do not wait the 300 s default.
                deregistration_delay_seconds: 30,
            },
        ));
        for r in c.routes.iter().filter(|r| r.lb == lb.name) {
            if r.path == "/*" && r.host.is_none() {
                default_tg = Some(tg.clone());
            } else {
                rules.push(RuleSpec {
                    host: r.host.clone(),
                    path: r.path.clone(),
                    tg: tg.clone(),
                    svc: svc.to_string(),
                });
            }
        }
        target_groups.insert((svc.to_string(), c.name.clone(), lb.name.clone()), tg);
    }
    (default_tg, rules)
}

/// The listeners of load balancer `lb`: with a domain and hosts, a
/// certificate, HTTPS carrying the routes and HTTP redirecting to it;
/// otherwise HTTP carrying the routes. The certificate's validation (with
/// HTTPS) and the listener that forwards.
fn listeners(
    m: &Model,
    lb: &gantry_model::LoadBalancer,
    lb_addr: &Address,
    zone: Option<&Address>,
    default_action: ListenerAction,
    g: &mut Graph,
) -> (Option<Address>, Address) {
    let https = match (zone, m.is_https(lb)) {
        (Some(zone), true) => Some(certificate(lb, zone, g)),
        _ => None,
    };
    let forwarding = match &https {
        Some(validation) => {
            g.add(Resource::new(
                kinds::LB_LISTENER,
                &prefixed(&lb.name, "http"),
                &LbListener {
                    load_balancer_arn: reference(lb_addr, "arn"),
                    port: 80,
                    protocol: "HTTP".into(),
                    default_action: ListenerAction::Redirect {
                        protocol: "HTTPS".into(),
                        port: "443".into(),
                        status_code: "HTTP_301".into(),
                    },
                    certificate_arn: None,
                    ssl_policy: None,
                },
            ));
            g.add(Resource::new(
                kinds::LB_LISTENER,
                &prefixed(&lb.name, "https"),
                &LbListener {
                    load_balancer_arn: reference(lb_addr, "arn"),
                    port: 443,
                    protocol: "HTTPS".into(),
                    default_action,
                    // The validation's output: known once ISSUED, so the
                    // listener waits for issuance.
                    certificate_arn: Some(reference(validation, "certificate_arn")),
                    ssl_policy: Some(SSL_POLICY.into()),
                },
            ))
        }
        None => g.add(Resource::new(
            kinds::LB_LISTENER,
            &prefixed(&lb.name, "http"),
            &LbListener {
                load_balancer_arn: reference(lb_addr, "arn"),
                port: 80,
                protocol: "HTTP".into(),
                default_action,
                certificate_arn: None,
                ssl_policy: None,
            },
        )),
    };
    (https, forwarding)
}

/// A listener rule per route other than the default, in priority order
/// (more specific first); each service waits for its rules.
fn listener_rules(
    lb: &gantry_model::LoadBalancer,
    forwarding: &Address,
    rules: Vec<RuleSpec>,
    listener_deps: &mut BTreeMap<String, Vec<Address>>,
    g: &mut Graph,
) {
    let prios =
        priority::rule_priorities(rules.iter().map(|r| (r.host.as_deref(), r.path.as_str())));
    for r in rules {
        let key = priority::rule_key(r.host.as_deref(), &r.path);
        // (host, path) is unique per load balancer, so it names the rule;
        // the hash keeps two paths with the same slug apart.
        let mut name = format!("{}-{:04x}", slug(&r.path), fnv1a(&key) & 0xffff);
        if let Some(h) = &r.host {
            name = format!("{}-{name}", host_slug(h));
        }
        let rule = g.add(Resource::new(
            kinds::LB_LISTENER_RULE,
            &prefixed(&lb.name, &name),
            &LbListenerRule {
                listener_arn: reference(forwarding, "arn"),
                priority: prios[&key],
                path_patterns: vec![r.path.clone()],
                host_headers: r.host.iter().cloned().collect(),
                target_group_arn: reference(&r.tg, "arn"),
            },
        ));
        listener_deps.entry(r.svc).or_default().push(rule);
    }
}

/// A records of `lb`'s hosts, aliases of it. A only: Gantry's load
/// balancers are IPv4 (an AAAA alias to them would answer NODATA).
fn alias_records(
    lb: &gantry_model::LoadBalancer,
    zone: &Address,
    lb_addr: &Address,
    g: &mut Graph,
) {
    for host in &lb.hosts {
        g.add(Resource::new(
            kinds::ROUTE53_RECORD,
            &format!("{}-a", host_slug(host)),
            &Route53Record {
                zone_id: reference(zone, "id"),
                name: host.clone(),
                record_type: "A".into(),
                alias: Some(AliasTarget {
                    dns_name: reference(lb_addr, "dns_name"),
                    zone_id: reference(lb_addr, "zone_id"),
                    evaluate_target_health: true,
                }),
                records: Vec::new(),
                ttl: None,
            },
        ));
    }
}

/// The stack's web ACL on a public load balancer that has the WAF on.
fn lb_waf(
    m: &Model,
    lb: &gantry_model::LoadBalancer,
    lb_addr: &Address,
    waf_ip_sets: &(Option<Address>, Option<Address>),
    g: &mut Graph,
) {
    let (Some(waf), true) = (&m.waf, lb.waf && lb.public) else {
        return;
    };
    let prefix = m.prefix();
    let acl = web_acl(
        WebAclSpec {
            key: &lb.name,
            name: format!("{prefix}-{}", lb.name),
            description: format!("Gantry {prefix}: load balancer {}", lb.name),
            scope: "REGIONAL",
        },
        waf,
        waf_ip_sets,
        g,
    );
    g.add(Resource::new(
        kinds::WAFV2_WEB_ACL_ASSOCIATION,
        &lb.name,
        &Wafv2WebAclAssociation {
            web_acl_arn: reference(&acl, "arn"),
            resource_arn: reference(lb_addr, "arn"),
        },
    ));
}

/// What differs between the stack's web ACLs.
pub(crate) struct WebAclSpec<'a> {
    /// The address name.
    pub key: &'a str,
    pub name: String,
    pub description: String,
    /// `REGIONAL` (load balancers) or `CLOUDFRONT`.
    pub scope: &'a str,
}

/// A web ACL with the stack's WAF rules.
pub(crate) fn web_acl(
    spec: WebAclSpec<'_>,
    waf: &gantry_model::Waf,
    ip_sets: &(Option<Address>, Option<Address>),
    g: &mut Graph,
) -> Address {
    g.add(Resource::new(
        kinds::WAFV2_WEB_ACL,
        spec.key,
        &Wafv2WebAcl {
            name: spec.name.clone(),
            description: spec.description,
            scope: spec.scope.into(),
            managed_rule_groups: waf
                .rules
                .iter()
                .enumerate()
                .map(|(i, r)| ManagedRuleGroup {
                    vendor: "AWS".into(),
                    name: r.aws_name().into(),
                    priority: WAF_MANAGED_PRIORITY * (i as i32 + 1),
                })
                .collect(),
            rate_limit: waf.rate_limit.map(i64::from),
            allow_ip_set_arn: ip_sets.0.as_ref().map(|a| reference(a, "arn")),
            deny_ip_set_arn: ip_sets.1.as_ref().map(|a| reference(a, "arn")),
            metric_name: spec.name,
        },
    ))
}

/// Managed rule groups take priorities 10, 20, 30, ... in the order
/// written, leaving 0-9 for the IP deny/allow and rate-limit rules.
pub const WAF_MANAGED_PRIORITY: i32 = 10;

/// `alb` for `main`, `alb-NAME` for the others.
fn prefixed_alb(lb: &str) -> String {
    if lb == MAIN {
        "alb".into()
    } else {
        format!("alb-{lb}")
    }
}

/// The allow and deny IP sets shared by every web ACL of the stack.
fn waf_ip_sets(m: &Model, prefix: &str, g: &mut Graph) -> (Option<Address>, Option<Address>) {
    if !m.load_balancers.iter().any(|l| l.waf && l.public) {
        return (None, None);
    }
    ip_sets(m, prefix, "", "REGIONAL", g)
}

/// The allow and deny IP sets of one WAF scope; `tag` suffixes the names
/// of all but the regional ones (`allow-site`).
pub(crate) fn ip_sets(
    m: &Model,
    prefix: &str,
    tag: &str,
    scope: &str,
    g: &mut Graph,
) -> (Option<Address>, Option<Address>) {
    let Some(waf) = &m.waf else {
        return (None, None);
    };
    let mut set = |name: &str, addresses: &[String]| {
        let name = if tag.is_empty() {
            name.to_string()
        } else {
            format!("{name}-{tag}")
        };
        (!addresses.is_empty()).then(|| {
            g.add(Resource::new(
                kinds::WAFV2_IP_SET,
                &name,
                &Wafv2IpSet {
                    name: format!("{prefix}-{name}"),
                    scope: scope.into(),
                    ip_address_version: "IPV4".into(),
                    addresses: addresses.to_vec(),
                },
            ))
        })
    };
    (set("allow", &waf.allow_ips), set("deny", &waf.deny_ips))
}

/// The certificate of a load balancer's hosts and its DNS validation.
/// Returns the validation, whose `certificate_arn` listeners reference.
fn certificate(lb: &gantry_model::LoadBalancer, zone: &Address, g: &mut Graph) -> Address {
    let cert = g.add(Resource::new(
        kinds::ACM_CERTIFICATE,
        &lb.name,
        &AcmCertificate {
            domain_name: lb.hosts[0].clone(),
            subject_alternative_names: lb.hosts[1..].to_vec(),
            region: String::new(),
        },
    ));
    g.add(Resource::new(
        kinds::ACM_CERTIFICATE_VALIDATION,
        &lb.name,
        &AcmCertificateValidation {
            certificate_arn: reference(&cert, "arn"),
            zone_id: reference(zone, "id"),
        },
    ))
}
