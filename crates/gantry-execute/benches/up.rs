//! Engine benchmark: a synthetic 2,000-resource stack on the fake cloud with
//! 50 ms per call, `up` / no-op `up` / `destroy` timed against the graph's
//! lower bound. Run with `cargo bench -p gantry-execute` (harness-less: it
//! prints a table). `GANTRY_BENCH_LATENCY_MS` overrides the latency.
//!
//! The lower bound of a run is the larger of two bounds, each unbeatable on
//! its own: the critical path (the longest dependency chain, one call per
//! resource on it) and, per AWS service, the calls of that service divided
//! by its concurrency limit, rounded up.

use gantry_core::{kinds::*, reference, Address, DesiredGraph, Resource};
use gantry_execute::fake::{test_tags, FakeCloud};
use gantry_execute::{CancellationToken, Engine, Limits, NullReporter};
use gantry_state::Store;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn id(kind: &str, name: &str) -> String {
    reference(&Address::of(kind, name), "id")
}

fn arn(kind: &str, name: &str) -> String {
    reference(&Address::of(kind, name), "arn")
}

fn add(g: &mut DesiredGraph, kind: &str, name: &str, props: Value) {
    g.add(Resource::new(kind, name, &props))
        .expect("unique names");
}

/// Per VPC: networking (subnets, route tables), a 15-long chain of security
/// groups (each allows the previous one), a load balancer with a listener and
/// a 10-long chain of ordered listener rules, and 20 services, each with its
/// own role, log group and task definition. Plus shared ECR repositories.
fn synthetic(vpcs: usize, repos: usize) -> DesiredGraph {
    let mut g = DesiredGraph::new();
    for v in 0..vpcs {
        let vpc = format!("v{v}");
        add(
            &mut g,
            VPC,
            &vpc,
            json!({"name": vpc, "cidr_block": format!("10.{v}.0.0/16")}),
        );
        add(
            &mut g,
            INTERNET_GATEWAY,
            &vpc,
            json!({"vpc_id": id(VPC, &vpc)}),
        );
        add(
            &mut g,
            ROUTE_TABLE,
            &vpc,
            json!({"vpc_id": id(VPC, &vpc), "routes": [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": id(INTERNET_GATEWAY, &vpc)}]}),
        );
        for s in 0..20 {
            let n = format!("{vpc}-s{s}");
            add(
                &mut g,
                SUBNET,
                &n,
                json!({"vpc_id": id(VPC, &vpc), "cidr_block": format!("10.{v}.{s}.0/24")}),
            );
            add(
                &mut g,
                ROUTE_TABLE_ASSOCIATION,
                &n,
                json!({"subnet_id": id(SUBNET, &n), "route_table_id": id(ROUTE_TABLE, &vpc)}),
            );
        }
        for k in 0..15 {
            let n = format!("{vpc}-sg{k}");
            let source = if k == 0 {
                Value::Null
            } else {
                json!(id(SECURITY_GROUP, &format!("{vpc}-sg{}", k - 1)))
            };
            add(
                &mut g,
                SECURITY_GROUP,
                &n,
                json!({"name": n, "vpc_id": id(VPC, &vpc), "ingress": [{"protocol": "tcp", "from_port": 443, "to_port": 443, "source_security_group_id": source}]}),
            );
        }
        let edge_sg = id(SECURITY_GROUP, &format!("{vpc}-sg14"));
        add(
            &mut g,
            LB,
            &vpc,
            json!({"name": vpc, "subnet_ids": [id(SUBNET, &format!("{vpc}-s0")), id(SUBNET, &format!("{vpc}-s1"))], "security_group_ids": [edge_sg]}),
        );
        add(
            &mut g,
            LB_LISTENER,
            &vpc,
            json!({"load_balancer_arn": arn(LB, &vpc), "port": 443}),
        );
        for t in 0..10 {
            let n = format!("{vpc}-t{t}");
            add(
                &mut g,
                LB_TARGET_GROUP,
                &n,
                json!({"name": n, "vpc_id": id(VPC, &vpc)}),
            );
            let mut rule = Resource::new(
                LB_LISTENER_RULE,
                &n,
                &json!({"listener_arn": arn(LB_LISTENER, &vpc), "priority": t + 1, "target_group_arn": arn(LB_TARGET_GROUP, &n)}),
            );
            // Rules are created in priority order.
            if t > 0 {
                rule.depends_on
                    .push(Address::of(LB_LISTENER_RULE, &format!("{vpc}-t{}", t - 1)));
            }
            g.add(rule).expect("unique");
        }
        add(&mut g, ECS_CLUSTER, &vpc, json!({"name": vpc}));
        for s in 0..20 {
            let n = format!("{vpc}-app{s}");
            add(&mut g, IAM_ROLE, &n, json!({"name": n}));
            add(&mut g, LOG_GROUP, &n, json!({"name": format!("/{n}")}));
            add(
                &mut g,
                ECS_TASK_DEFINITION,
                &n,
                json!({"family": n, "task_role_arn": arn(IAM_ROLE, &n), "containers": [{"name": "app", "log_group": reference(&Address::of(LOG_GROUP, &n), "name")}]}),
            );
            let t = format!("{vpc}-t{}", s % 10);
            let mut svc = Resource::new(
                ECS_SERVICE,
                &n,
                &json!({"name": n, "cluster_arn": arn(ECS_CLUSTER, &vpc), "task_definition_arn": arn(ECS_TASK_DEFINITION, &n),
                        "subnet_ids": [id(SUBNET, &format!("{vpc}-s{}", s % 20))], "security_group_ids": [edge_sg],
                        "load_balancers": [{"target_group_arn": arn(LB_TARGET_GROUP, &t), "container_name": "app", "container_port": 8080}]}),
            );
            svc.depends_on.push(Address::of(LB_LISTENER_RULE, &t));
            g.add(svc).expect("unique");
        }
    }
    for r in 0..repos {
        add(
            &mut g,
            ECR_REPOSITORY,
            &format!("repo{r}"),
            json!({"name": format!("repo{r}")}),
        );
    }
    g
}

/// max(critical path, per-service work / limit) in calls.
fn lower_bound(g: &DesiredGraph, limits: &Limits) -> (usize, usize, &'static str) {
    let depth = g.levels().expect("acyclic").len();
    let mut per: BTreeMap<&'static str, usize> = BTreeMap::new();
    for r in g.resources.values() {
        *per.entry(gantry_core::kind_meta(&r.kind).expect("known").service)
            .or_default() += 1;
    }
    let (svc, rounds) = per
        .iter()
        .map(|(s, n)| (*s, n.div_ceil(limits.for_service(s))))
        .max_by_key(|(_, r)| *r)
        .expect("non-empty");
    (depth, rounds, svc)
}

fn vm_hwm_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Row {
    name: String,
    wall: Duration,
    bound: Duration,
    why: String,
}

async fn scenario(
    g: &DesiredGraph,
    latency: Duration,
    limits: Limits,
    label: &str,
    rows: &mut Vec<Row>,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cloud = FakeCloud::with_latency(latency);
    let engine =
        Engine::new(cloud.providers(), test_tags(), limits.clone()).with_settle(Duration::ZERO);
    let store = Arc::new(Store::open(dir.path(), "bench", "test").expect("store"));
    let (depth, rounds, svc) = lower_bound(g, &limits);
    let bound_calls = depth.max(rounds);
    let why = if depth >= rounds {
        format!("critical path {depth} calls")
    } else {
        format!("{svc}: {rounds} rounds of {}", limits.for_service(svc))
    };
    let cancel = CancellationToken::new();

    let t = Instant::now();
    let (_, s) = engine
        .up(g, &store, Arc::new(NullReporter), &cancel)
        .await
        .expect("up");
    assert!(
        s.is_success() && s.done.len() == g.len(),
        "up failed: {:?}",
        s.failed.first()
    );
    rows.push(Row {
        name: format!("up, {label}"),
        wall: t.elapsed(),
        bound: latency * bound_calls as u32,
        why: why.clone(),
    });

    let t = Instant::now();
    let (p, s) = engine
        .up(g, &store, Arc::new(NullReporter), &cancel)
        .await
        .expect("no-op up");
    assert!(!p.has_changes() && s.done.is_empty());
    let kinds = store
        .state()
        .resources
        .values()
        .map(|r| r.kind.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    rows.push(Row {
        name: format!("no-op up (refresh + plan), {label}"),
        wall: t.elapsed(),
        bound: latency,
        why: format!("one batched read per kind ({kinds} kinds)"),
    });

    let t = Instant::now();
    let s = engine
        .destroy(&store, Arc::new(NullReporter), &cancel)
        .await
        .expect("destroy");
    assert!(s.is_success() && cloud.objects().is_empty());
    rows.push(Row {
        name: format!("destroy, {label}"),
        wall: t.elapsed(),
        bound: latency * bound_calls as u32,
        why,
    });
}

fn main() {
    let latency = Duration::from_millis(
        std::env::var("GANTRY_BENCH_LATENCY_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(50),
    );
    let g = synthetic(12, 68);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut rows = Vec::new();
    rt.block_on(async {
        scenario(&g, latency, Limits::aws_defaults(), "AWS limits", &mut rows).await;
        scenario(
            &g,
            latency,
            Limits::uniform(100_000),
            "unbounded",
            &mut rows,
        )
        .await;
    });
    let depth = g.levels().expect("acyclic").len();
    println!(
        "gantry-execute bench: {} resources, critical path {} resources, {} ms per call, {} cores",
        g.len(),
        depth,
        latency.as_millis(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!();
    println!("| scenario | wall | lower bound | ratio | bound from |");
    println!("|---|---:|---:|---:|---|");
    for r in &rows {
        println!(
            "| {} | {:.2} s | {:.2} s | {:.2} | {} |",
            r.name,
            r.wall.as_secs_f64(),
            r.bound.as_secs_f64(),
            r.wall.as_secs_f64() / r.bound.as_secs_f64(),
            r.why
        );
    }
    println!();
    match vm_hwm_kib() {
        Some(k) => println!("peak memory (VmHWM): {:.1} MiB", k as f64 / 1024.0),
        None => println!("peak memory: unavailable (no /proc/self/status)"),
    }
}
