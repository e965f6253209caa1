//! Semantic validation of a parsed spec: everything serde's types cannot say.
//!
//! Runs on the base spec and on the spec merged with each environment
//! overlay, because sizes and AZ counts are only meaningful after merging;
//! [`Problems`] drops the duplicates this produces.

use crate::diag::{choice_hint, Problems};
use crate::fargate;
use crate::span::{Pos, Sp};
use crate::types::{Command, Container, Egress, HealthCheck, Network, Service, Spec};
use gantry_core::reference::looks_like_reference;
use ipnet::Ipv4Net;
use std::collections::BTreeMap;

pub const MAX_STACK_NAME: usize = 20;
pub const MAX_AZS: u32 = 6;
pub const DEFAULT_CIDR: &str = "10.0.0.0/16";

/// Validates the spec and every environment view of it.
pub(crate) fn validate(spec: &Spec, p: &mut Problems) {
    check_stack(spec, p);
    check_overlay_names(spec, p);
    crate::edge::check_names(spec, p);
    crate::api::check_names(spec, p);
    crate::stores::check_names(spec, p);
    crate::platform::check_names(spec, p);
    crate::state::check(spec, p);
    crate::ci::check(spec, p);
    for env in spec.environment_names() {
        if let Some(view) = spec.for_env(&env) {
            check_view(&view, p);
        }
    }
    // The base is what `dev` uses when there is no `dev` overlay; when there
    // is one, still check the base so its own mistakes point at base lines.
    check_view(spec, p);
}

fn is_dns_label(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

pub(crate) fn check_name_pub(p: &mut Problems, what: &str, name: &Sp<String>, max: usize) {
    check_name(p, what, name, max);
}

fn check_name(p: &mut Problems, what: &str, name: &Sp<String>, max: usize) {
    if !is_dns_label(name) || name.len() > max {
        p.push(
            name.pos,
            format!("invalid {what} `{}`", name.value),
            format!(
                "use 1 to {max} lowercase letters, digits and `-`, starting with a letter and not ending with `-`"
            ),
        );
    }
}

fn check_stack(spec: &Spec, p: &mut Problems) {
    check_name(p, "stack name", &spec.name, MAX_STACK_NAME);
    let r = &spec.region;
    let parts: Vec<&str> = r.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts.iter().all(|s| !s.is_empty())
        && parts[..parts.len() - 1]
            .iter()
            .all(|s| s.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit());
    if !ok {
        p.push(
            r.pos,
            format!("invalid region `{}`", r.value),
            "use an AWS region code such as `us-east-1` or `eu-west-3`".to_string(),
        );
    }
    for env in spec.environments.keys() {
        check_name(p, "environment name", env, 16);
    }
    if spec.services.is_empty() {
        p.push(
            spec.name.pos,
            "the spec defines no services",
            "add a `services:` map with at least one service".to_string(),
        );
    }
    for (name, svc) in &spec.services {
        check_name(p, "service name", name, 32);
        if svc.containers.is_empty() {
            p.push(
                name.pos,
                format!("service `{}` has no containers", name.value),
                "add a `containers:` map with at least one container".to_string(),
            );
        }
        for (cname, c) in &svc.containers {
            check_name(p, "container name", cname, 32);
            check_depends_on(svc, cname, c, p);
        }
    }
}

fn check_depends_on(svc: &Service, cname: &Sp<String>, c: &Container, p: &mut Problems) {
    let names: Vec<&str> = svc.containers.keys().map(|k| k.as_str()).collect();
    for d in &c.depends_on {
        if d.value == cname.value {
            p.push(
                d.pos,
                format!("container `{}` depends on itself", cname.value),
                "remove it from `depends_on`".to_string(),
            );
        } else if !svc.containers.contains_key(&d.value) {
            p.push(
                d.pos,
                format!("unknown container `{}` in depends_on", d.value),
                choice_hint(d, "containers of this service", &names),
            );
        }
    }
}

fn check_overlay_names(spec: &Spec, p: &mut Problems) {
    let services: Vec<&str> = spec.services.keys().map(|k| k.as_str()).collect();
    for (env, o) in &spec.environments {
        for (sname, so) in &o.services {
            let Some(svc) = spec.services.get(&sname.value) else {
                p.push(
                    sname.pos,
                    format!(
                        "environment `{}` names unknown service `{}`",
                        env.value, sname.value
                    ),
                    choice_hint(sname, "services", &services),
                );
                continue;
            };
            let containers: Vec<&str> = svc.containers.keys().map(|k| k.as_str()).collect();
            for cname in so.containers.keys() {
                if !svc.containers.contains_key(&cname.value) {
                    p.push(
                        cname.pos,
                        format!(
                            "environment `{}` names unknown container `{}` of service `{}`",
                            env.value, cname.value, sname.value
                        ),
                        choice_hint(cname, "containers", &containers),
                    );
                }
            }
        }
    }
}

/// Checks of one (possibly overlay-merged) view of the spec.
fn check_view(spec: &Spec, p: &mut Problems) {
    let has_routes = spec
        .services
        .values()
        .flat_map(|s| s.containers.values())
        .any(|c| !c.routes.is_empty());
    check_network(&spec.network, has_routes, data_subnets_needed(spec), p);
    for (sname, svc) in &spec.services {
        check_service(sname, svc, p);
        crate::permissions::check_service(sname, svc, p);
        check_pullable(spec, svc, p);
    }
    for (jname, job) in &spec.jobs {
        let svc = job.as_service();
        check_service(jname, &svc, p);
        crate::permissions::check_service(jname, &svc, p);
        check_pullable(spec, &svc, p);
    }
    crate::jobs::check_view(spec, p);
    crate::stores::check_view(spec, p);
    crate::edge::check_view(spec, p);
    crate::api::check_view(spec, p);
    crate::ops::check_view(spec, p);
    crate::platform::check_view(spec, p);
    crate::usage::check(spec.usage.as_ref(), p);
}

/// How many data subnets the stores need: one per AZ and two at least (RDS
/// subnet groups must span two AZs, and a Redis replica needs a second AZ),
/// or none without PostgreSQL and Redis.
pub fn data_subnets_needed(spec: &Spec) -> usize {
    let azs = spec.network.azs.as_ref().map_or(2, |a| a.value) as usize;
    if spec.postgres.is_empty() && spec.redis.is_empty() {
        0
    } else {
        azs.max(2)
    }
}

fn check_network(n: &Network, has_routes: bool, data: usize, p: &mut Problems) {
    let azs = n.azs.as_ref().map_or(2, |a| a.value);
    if let Some(a) = &n.azs {
        if !(1..=MAX_AZS).contains(&a.value) {
            p.push(
                a.pos,
                format!("invalid number of availability zones: {}", a.value),
                format!("use 1 to {MAX_AZS}"),
            );
        }
    }
    let vpc = match &n.cidr {
        None => DEFAULT_CIDR.parse::<Ipv4Net>().ok(),
        Some(c) => match c.parse::<Ipv4Net>() {
            Err(_) => {
                p.push(
                    c.pos,
                    format!("invalid CIDR `{}`", c.value),
                    "write an IPv4 network like `10.0.0.0/16`".to_string(),
                );
                None
            }
            Ok(net) if net.trunc() != net => {
                p.push(
                    c.pos,
                    format!("invalid CIDR `{}`: host bits are set", c.value),
                    format!("did you mean `{}`?", net.trunc()),
                );
                None
            }
            Ok(net) if !(16..=24).contains(&net.prefix_len()) => {
                p.push(
                    c.pos,
                    format!("invalid VPC CIDR `{}`: prefix must be /16 to /24", c.value),
                    "AWS VPCs are /16 to /28; Gantry needs room for subnets".to_string(),
                );
                None
            }
            Ok(net) => Some(net),
        },
    };
    let Some(subnets) = &n.subnets else {
        // Derived data subnets are split from blocks 14-15: six of them need
        // a VPC of /22 or larger.
        if let (Some(v), Some(c)) = (vpc, &n.cidr) {
            if data > 0 && v.prefix_len() > 22 {
                p.push(
                    c.pos,
                    format!("VPC CIDR `{}` is too small for data subnets", c.value),
                    "use a /22 or larger VPC, or list `subnets` explicitly (with `data`)"
                        .to_string(),
                );
            }
        }
        return;
    };
    let mut all: Vec<(Ipv4Net, Pos, &str)> = Vec::new();
    for (tier, list) in [
        ("public", &subnets.public),
        ("private", &subnets.private),
        ("data", &subnets.data),
    ] {
        // An ALB needs subnets in two AZs, so a single-AZ app with routes
        // has a second public subnet that only the load balancer uses.
        let want = if tier == "public" && has_routes && azs == 1 {
            2
        } else if tier == "data" {
            data
        } else {
            azs as usize
        };
        if tier == "data" && data == 0 && !list.is_empty() {
            p.push(
                list[0].pos,
                "data subnets without `postgres` or `redis`",
                "remove `subnets.data`; data subnets hold databases and caches only".to_string(),
            );
            continue;
        }
        if list.len() != want {
            let pos = list.first().map_or(Pos::UNKNOWN, |s| s.pos);
            let hint = if tier == "data" && want != azs as usize {
                "databases and caches span two AZs: list two data subnets".to_string()
            } else if want != azs as usize {
                "the load balancer needs public subnets in two AZs: list a second public subnet"
                    .to_string()
            } else {
                format!(
                    "list exactly one {tier} subnet CIDR per AZ, or omit `subnets` to derive them"
                )
            };
            p.push(
                pos,
                format!("{} {tier} subnets for {azs} availability zones", list.len()),
                hint,
            );
        }
        for s in list {
            match s.parse::<Ipv4Net>() {
                Ok(net) if net.trunc() == net => {
                    if let Some(v) = vpc {
                        if !v.contains(&net) {
                            p.push(
                                s.pos,
                                format!("subnet `{}` does not fit in the VPC `{v}`", s.value),
                                "choose a subnet inside the VPC CIDR".to_string(),
                            );
                        }
                    }
                    if !(16..=28).contains(&net.prefix_len()) {
                        p.push(
                            s.pos,
                            format!(
                                "invalid subnet CIDR `{}`: prefix must be /16 to /28",
                                s.value
                            ),
                            None,
                        );
                    }
                    for (other, at, _) in &all {
                        if other.contains(&net) || net.contains(other) {
                            p.push(
                                s.pos,
                                format!(
                                    "overlapping subnets: `{}` overlaps `{other}` (line {})",
                                    s.value, at.line
                                ),
                                "subnets must not share addresses".to_string(),
                            );
                        }
                    }
                    all.push((net, s.pos, tier));
                }
                _ => p.push(
                    s.pos,
                    format!("invalid CIDR `{}`", s.value),
                    "write an IPv4 network like `10.0.0.0/20`".to_string(),
                ),
            }
        }
    }
}

/// Without a NAT gateway the only registry a task can reach is private ECR
/// (through the `ecr.api`/`ecr.dkr` endpoints); other images would fail at
/// deploy time with an opaque pull timeout, so say it now.
fn check_pullable(spec: &Spec, svc: &Service, p: &mut Problems) {
    let Some(egress) = &spec.network.egress else {
        return;
    };
    if !matches!(egress.value, Egress::Endpoints | Egress::None) {
        return;
    }
    for c in svc.containers.values() {
        let Some(image) = &c.image else {
            continue;
        };
        let host = image.split('/').next().unwrap_or("");
        let private_ecr = image.contains('/')
            && host.contains(".dkr.ecr.")
            && (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn"));
        if !private_ecr {
            p.push(
                image.pos,
                format!("image `{}` cannot be pulled with `egress: {}` (line {})", image.value, egress.value.as_str(), egress.pos.line),
                "without a NAT gateway tasks reach only private ECR: use `build:`, copy the image into ECR, or use `egress: nat`".to_string(),
            );
        }
    }
    if let Some(t) = &svc.tracing {
        if !svc.containers.contains_key(crate::types::XRAY_DAEMON_NAME) {
            p.push(
                t.pos,
                format!("the X-Ray daemon's image (ECR Public) cannot be pulled with `egress: {}` (line {})", egress.value.as_str(), egress.pos.line),
                format!("copy `{}` into this account's ECR and add it as a container named `{}` (it then stands for Gantry's sidecar), or use `egress: nat`", crate::types::XRAY_DAEMON_IMAGE, crate::types::XRAY_DAEMON_NAME),
            );
        }
    }
}

fn check_reserved(p: &mut Problems, s: &Sp<String>) {
    if looks_like_reference(s) {
        p.push(
            s.pos,
            format!("`${{ref:` is reserved: `{}`", s.value),
            "Gantry uses `${ref:...}` internally for references between resources; remove it"
                .to_string(),
        );
    }
}

fn check_service(sname: &Sp<String>, svc: &Service, p: &mut Problems) {
    let cpu = svc.cpu.as_ref().map_or(256, |c| c.value);
    let memory = svc.memory.as_ref().map_or(512, |m| m.value);
    let cpu_pos = svc.cpu.as_ref().map_or(sname.pos, |c| c.pos);
    let mem_pos = svc.memory.as_ref().map_or(sname.pos, |m| m.pos);
    match fargate::memory_choices(cpu) {
        None => p.push(
            cpu_pos,
            format!("invalid Fargate cpu {cpu} for service `{}`", sname.value),
            format!("use one of {}", fargate::CPUS.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")),
        ),
        Some(choices) if !choices.contains(&memory) => p.push(
            mem_pos,
            format!("invalid Fargate cpu/memory combination for service `{}`: cpu {cpu} with memory {memory}", sname.value),
            format!("with cpu {cpu}, memory must be {}", fargate::describe(cpu)),
        ),
        _ => {}
    }
    if let Some(d) = &svc.desired_count {
        if d.value > 1000 {
            p.push(
                d.pos,
                format!("desired_count {} is too large", d.value),
                "use 0 to 1000".to_string(),
            );
        }
    }

    let mut ports: BTreeMap<u32, &str> = BTreeMap::new();
    let (mut mem_sum, mut mem_unset, mut cpu_sum) = (0u64, 0u64, 0u64);
    // Gantry's X-Ray sidecar reserves its share out of the task's (a
    // container of the spec named `xray-daemon` stands in for it).
    if svc.tracing.is_some() && !svc.containers.contains_key(crate::types::XRAY_DAEMON_NAME) {
        mem_sum += u64::from(crate::types::XRAY_DAEMON_MEMORY);
        cpu_sum += u64::from(crate::types::XRAY_DAEMON_CPU);
    }
    for (cname, c) in &svc.containers {
        check_container(cname, c, p);
        if svc.tracing.is_some()
            && cname.value != crate::types::XRAY_DAEMON_NAME
            && c.port.as_ref().is_some_and(|p| p.value == 2000)
        {
            p.push(
                c.port.as_ref().map_or(cname.pos, |p| p.pos),
                "port 2000 is the X-Ray daemon's with `tracing: xray`",
                "use another port".to_string(),
            );
        }
        if let Some(port) = &c.port {
            match ports.get(&port.value) {
                Some(other) => p.push(
                    port.pos,
                    format!("duplicate port {} in service `{}`: containers `{other}` and `{}` share one network namespace", port.value, sname.value, cname.value),
                    "give each container of a task its own port".to_string(),
                ),
                None => {
                    ports.insert(port.value, cname.as_str());
                }
            }
        }
        match &c.memory {
            Some(m) => mem_sum += u64::from(m.value),
            None => mem_unset += 1,
        }
        cpu_sum += c.cpu.as_ref().map_or(0, |c| u64::from(c.value));
    }
    if mem_sum > u64::from(memory) {
        p.push(
            mem_pos,
            format!("container memory exceeds task memory in service `{}`: containers reserve {mem_sum} MiB, the task has {memory} MiB", sname.value),
            "raise the service's `memory` or lower the containers' `memory`".to_string(),
        );
    } else if mem_unset > 0 && (u64::from(memory) - mem_sum) / mem_unset < 6 {
        p.push(
            mem_pos,
            format!(
                "no memory left in service `{}` for containers without `memory`",
                sname.value
            ),
            "each container needs at least 6 MiB; raise the task memory or set container memory"
                .to_string(),
        );
    }
    if cpu_sum > u64::from(cpu) {
        p.push(
            cpu_pos,
            format!("container cpu exceeds task cpu in service `{}`: containers reserve {cpu_sum} units, the task has {cpu}", sname.value),
            "raise the service's `cpu` or lower the containers' `cpu`".to_string(),
        );
    }
}

fn check_container(cname: &Sp<String>, c: &Container, p: &mut Problems) {
    match (&c.image, &c.build) {
        (Some(_), Some(b)) => p.push(
            b.pos,
            format!("container `{}` has both `image` and `build`", cname.value),
            "use `image` for a registry image or `build` for a local directory, not both"
                .to_string(),
        ),
        (None, None) => p.push(
            cname.pos,
            format!(
                "container `{}` has neither `image` nor `build`",
                cname.value
            ),
            "add `image: REGISTRY/IMAGE:TAG` or `build: ./path`".to_string(),
        ),
        _ => {}
    }
    if let Some(i) = &c.image {
        check_reserved(p, i);
        if i.is_empty() || i.chars().any(char::is_whitespace) {
            p.push(
                i.pos,
                format!("invalid image `{}`", i.value),
                "write an image reference like `public.ecr.aws/nginx/nginx:1.27-alpine`"
                    .to_string(),
            );
        }
    }
    if let Some(b) = &c.build {
        check_reserved(p, b);
        if b.trim().is_empty() {
            p.push(
                b.pos,
                "empty `build` path",
                "give the directory holding the Dockerfile, for example `./app`".to_string(),
            );
        }
    }
    if let Some(port) = &c.port {
        if !(1..=65535).contains(&port.value) {
            p.push(
                port.pos,
                format!("invalid port {}", port.value),
                "use 1 to 65535".to_string(),
            );
        }
    }
    if let Some(m) = &c.memory {
        if m.value < 6 {
            p.push(
                m.pos,
                format!("container memory {} MiB is too small", m.value),
                "ECS needs at least 6 MiB".to_string(),
            );
        }
    }
    for a in &c.command {
        check_reserved(p, a);
    }
    for (k, v) in &c.environment {
        check_reserved(p, k);
        check_reserved(p, v);
        let ok = k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            p.push(
                k.pos,
                format!("invalid environment variable name `{}`", k.value),
                "use letters, digits and `_`, not starting with a digit".to_string(),
            );
        }
    }
    if !c.routes.is_empty() && c.port.is_none() {
        p.push(
            c.routes[0].pos,
            format!("container `{}` has routes but no port", cname.value),
            "add `port:` so the load balancer knows where to send traffic".to_string(),
        );
    }
    for r in &c.routes {
        let path = r.path();
        if looks_like_reference(path) {
            p.push(
                r.pos,
                format!("`${{ref:` is reserved: `{path}`"),
                "Gantry uses `${ref:...}` internally for references between resources; remove it"
                    .to_string(),
            );
        }
        // The characters ALB accepts in path patterns.
        let alb_ok = |c: char| c.is_ascii_alphanumeric() || "_-.$/~\"'@:+&*?".contains(c);
        if !path.starts_with('/') || path.len() > 128 || !path.chars().all(alb_ok) {
            p.push(r.pos, format!("invalid route `{path}`"), "write a URL path pattern starting with `/`, at most 128 characters, like `/*` or `/api/*`".to_string());
        }
    }
    if let Some(h) = &c.health_path {
        check_reserved(p, h);
        if !h.starts_with('/') || h.len() > 1024 {
            p.push(
                h.pos,
                format!("invalid health_path `{}`", h.value),
                "write a path starting with `/`, like `/healthz`".to_string(),
            );
        }
    }
    if let Some(hc) = &c.health_check {
        check_health(hc, p);
    }
}

fn check_health(hc: &HealthCheck, p: &mut Problems) {
    let empty = match &hc.command.value {
        Command::Shell(s) => s.trim().is_empty(),
        Command::Exec(v) => v.is_empty(),
    };
    if empty {
        p.push(
            hc.command.pos,
            "empty health check command",
            "give a command, like `curl -f http://localhost:8080/ || exit 1`".to_string(),
        );
    }
    let strings: Vec<&String> = match &hc.command.value {
        Command::Shell(s) => vec![s],
        Command::Exec(v) => v.iter().collect(),
    };
    if strings.iter().any(|s| looks_like_reference(s)) {
        p.push(
            hc.command.pos,
            "`${ref:` is reserved in the health check command",
            "Gantry uses `${ref:...}` internally; remove it".to_string(),
        );
    }
    for (what, v, lo, hi) in [
        ("interval", &hc.interval, 5, 300),
        ("timeout", &hc.timeout, 2, 60),
        ("retries", &hc.retries, 1, 10),
        ("start_period", &hc.start_period, 0, 300),
    ] {
        if let Some(v) = v {
            if !(lo..=hi).contains(&v.value) {
                p.push(
                    v.pos,
                    format!("health check {what} {} is out of range", v.value),
                    format!("use {lo} to {hi}"),
                );
            }
        }
    }
}
