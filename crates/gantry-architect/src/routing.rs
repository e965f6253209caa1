//! Traffic in: security groups, the internet-facing ALB, target groups, the
//! HTTP listener and its path rules.
//!
//! Security groups are chained: the internet reaches the ALB on 80/443 only,
//! the ALB reaches each service only on its routed container ports. The ALB's
//! egress names the VPC CIDR rather than the service groups because the
//! service groups already name the ALB's: referencing both ways would be a
//! dependency cycle.

use crate::naming::{short_name, slug};
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
    /// Target group of each routed container, by (service, container).
    pub target_groups: BTreeMap<(String, String), Address>,
    /// The listener and rules a service's target groups hang off: ECS refuses
    /// to attach a target group that no load balancer uses yet.
    pub listener_deps: BTreeMap<String, Vec<Address>>,
}

/// Security group names may not start with `sg-`.
pub(crate) fn sg_name(name: &str) -> String {
    if name.starts_with("sg-") {
        format!("gantry-{name}")
    } else {
        name.to_string()
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

fn tcp(port: i32, description: String) -> SgRule {
    SgRule {
        protocol: "tcp".into(),
        from_port: port,
        to_port: port,
        cidr_ipv4: None,
        cidr_ipv6: None,
        source_security_group_id: None,
        description,
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
                crate::data::POSTGRES_PORT,
                "PostgreSQL",
                m.network.data.iter().map(|d| d.cidr.to_string()).collect(),
            ),
            StoreKind::Redis => (
                crate::data::REDIS_PORT,
                "Redis",
                m.network.data.iter().map(|d| d.cidr.to_string()).collect(),
            ),
            StoreKind::Volume => (
                crate::data::NFS_PORT,
                "NFS to EFS volume",
                m.network
                    .azs
                    .iter()
                    .map(|a| a.private_cidr.to_string())
                    .collect(),
            ),
            _ => continue,
        };
        for cidr in cidrs {
            rules.push(SgRule {
                cidr_ipv4: Some(cidr.clone()),
                ..tcp(port, format!("{what} {} in {cidr}", u.name))
            });
        }
    }
    rules
}

pub(crate) fn build(m: &Model, net: &Net, g: &mut Graph) -> Result<Routing, ArchitectError> {
    let prefix = m.prefix();
    let routed: Vec<(&str, &gantry_model::Container)> = m
        .services
        .iter()
        .flat_map(|s| s.routed().map(move |c| (s.name.as_str(), c)))
        .collect();
    let rule_paths: Vec<&str> = routed
        .iter()
        .flat_map(|(_, c)| c.routes.iter().map(String::as_str))
        .filter(|p| *p != "/*")
        .collect();
    if rule_paths.len() > MAX_RULES {
        return Err(ArchitectError::TooManyRoutes {
            count: rule_paths.len(),
        });
    }

    let alb_sg = (!routed.is_empty()).then(|| {
        let mut ingress = Vec::new();
        for port in [80, 443] {
            ingress.push(SgRule {
                cidr_ipv4: Some("0.0.0.0/0".into()),
                ..tcp(
                    port,
                    format!(
                        "HTTP{} from the internet (IPv4)",
                        if port == 443 { "S" } else { "" }
                    ),
                )
            });
            ingress.push(SgRule {
                cidr_ipv6: Some("::/0".into()),
                ..tcp(
                    port,
                    format!(
                        "HTTP{} from the internet (IPv6)",
                        if port == 443 { "S" } else { "" }
                    ),
                )
            });
        }
        let ports: BTreeSet<i32> = routed
            .iter()
            .filter_map(|(_, c)| c.port)
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
            "alb",
            &SecurityGroup {
                name: sg_name(&format!("{prefix}-alb")),
                description: "Load balancer: HTTP/HTTPS from the internet".into(),
                vpc_id: net.vpc_id(),
                ingress,
                egress,
            },
        ))
    });

    let mut service_sgs = BTreeMap::new();
    for s in &m.services {
        let ingress = match &alb_sg {
            Some(alb) => {
                let ports: BTreeSet<u16> = s.routed().filter_map(|c| c.port).collect();
                ports
                    .iter()
                    .map(|p| SgRule {
                        source_security_group_id: Some(reference(alb, "id")),
                        ..tcp(i32::from(*p), format!("from the load balancer to port {p}"))
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let egress = match m.network.egress {
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
                    ..tcp(443, "HTTPS to AWS APIs via VPC endpoints and to S3 for image layers".into())
                }];
                rules.extend(store_egress(m, s));
                rules
            }
        };
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

    let mut target_groups = BTreeMap::new();
    let mut listener_deps: BTreeMap<String, Vec<Address>> = BTreeMap::new();
    let Some(alb_sg) = alb_sg else {
        return Ok(Routing {
            service_sgs,
            target_groups,
            listener_deps,
        });
    };

    let lb = g.add(Resource::new(
        kinds::LB,
        "main",
        &Lb {
            name: lb_name(&prefix),
            internal: false,
            subnet_ids: ids(&net.public_subnets),
            security_group_ids: vec![reference(&alb_sg, "id")],
            idle_timeout_seconds: 60,
            drop_invalid_header_fields: true,
            desync_mitigation_mode: "defensive".into(),
        },
    ));

    let mut default_tg = None;
    let mut rules = Vec::new();
    for (svc, c) in &routed {
        let port = i32::from(c.port.unwrap_or(80));
        let name = format!("{svc}-{}", c.name);
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
        for r in &c.routes {
            if r == "/*" {
                default_tg = Some(tg.clone());
            } else {
                rules.push((r.as_str(), tg.clone(), svc.to_string()));
            }
        }
        target_groups.insert((svc.to_string(), c.name.clone()), tg);
    }

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
    let listener = g.add(Resource::new(
        kinds::LB_LISTENER,
        "http",
        &LbListener {
            load_balancer_arn: reference(&lb, "arn"),
            port: 80,
            protocol: "HTTP".into(),
            default_action,
            certificate_arn: None,
            ssl_policy: None,
        },
    ));
    for s in &m.services {
        if s.routed().next().is_some() {
            listener_deps
                .entry(s.name.clone())
                .or_default()
                .push(listener.clone());
        }
    }

    let prios = priority::priorities(rules.iter().map(|(p, _, _)| *p));
    for (path, tg, svc) in rules {
        // Routes are unique across the spec, so the path alone names the rule;
        // the hash keeps two paths with the same slug apart.
        let name = format!("{}-{:04x}", slug(path), crate::naming::fnv1a(path) & 0xffff);
        let rule = g.add(Resource::new(
            kinds::LB_LISTENER_RULE,
            &name,
            &LbListenerRule {
                listener_arn: reference(&listener, "arn"),
                priority: prios[path],
                path_patterns: vec![path.to_string()],
                host_headers: Vec::new(),
                target_group_arn: reference(&tg, "arn"),
            },
        ));
        listener_deps.entry(svc).or_default().push(rule);
    }

    Ok(Routing {
        service_sgs,
        target_groups,
        listener_deps,
    })
}
