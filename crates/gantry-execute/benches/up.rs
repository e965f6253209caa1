//! Engine benchmark: synthetic stacks of 2,000 and 10,000 resources (the
//! same layered shape) on the fake cloud with 50 ms per call, `up` / no-op
//! `up` / `destroy` timed against lower bounds, with the read calls the
//! no-op `up` makes under the fake's read cost model (`fake::READ_COSTS`,
//! which follows the AWS providers). Run with `cargo bench -p
//! gantry-execute` (harness-less: it prints tables).
//! `GANTRY_BENCH_LATENCY_MS` overrides the latency, `GANTRY_BENCH_SIZES`
//! the sizes (comma-separated resource counts; default `2000,10000`),
//! `GANTRY_BENCH_DIR` where the state directories go (default: the system
//! temp dir; the header prints that disk's fsync latency, which every
//! operation pays twice on its way through the journal).
//!
//! Bounds, each unbeatable on its own:
//! - a walk: the larger of the critical path (the longest dependency chain,
//!   one call per resource on it) and, per AWS service, the calls of that
//!   service divided by its concurrency limit, rounded up;
//! - a refresh (the no-op `up`, and the start of every `up` and `destroy`):
//!   the larger of, per service, its read calls divided by its limit, the
//!   longest chain of calls one read must make in turn (a listing's pages;
//!   a batched page and then its per-resource calls), and the inventory's
//!   (its pages in turn for a small stack; for a larger one, the first two
//!   and then the longest kind's pages, or all kinds' pages divided by the
//!   tagging limit).
//!
//! `up` and `destroy` are bounded by refresh + walk.

use gantry_core::{kinds::*, reference, Address, DesiredGraph, Resource};
use gantry_execute::fake::{
    inventory_pages, read_cost, test_tags, FakeCloud, FakeOp, INVENTORY_SEQUENTIAL_PAGES,
};
use gantry_execute::{CancellationToken, Engine, Limits, NullReporter, RetryPolicy};
use gantry_state::Store;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The system allocator, counting live bytes and their peak: what the
/// engine holds, apart from the allocator's own overhead in the RSS.
struct Counting;

static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        let p = unsafe { std::alloc::System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), std::sync::atomic::Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, std::sync::atomic::Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), std::sync::atomic::Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The most heap ever live, in MiB.
fn peak_heap_mib() -> f64 {
    PEAK.load(std::sync::atomic::Ordering::Relaxed) as f64 / (1 << 20) as f64
}

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
fn walk_bound(g: &DesiredGraph, limits: &Limits) -> (usize, String) {
    let depth = g.levels().expect("acyclic").len();
    let mut per: BTreeMap<&'static str, usize> = BTreeMap::new();
    for r in g.resources.values() {
        *per.entry(service(&r.kind)).or_default() += 1;
    }
    let (svc, rounds) = per
        .iter()
        .map(|(s, n)| (*s, n.div_ceil(limits.for_service(s))))
        .max_by_key(|(_, r)| *r)
        .expect("non-empty");
    if depth >= rounds {
        (depth, format!("critical path {depth} calls"))
    } else {
        (
            rounds,
            format!("{svc}: {rounds} rounds of {}", limits.for_service(svc)),
        )
    }
}

fn service(kind: &str) -> &'static str {
    gantry_core::kind_meta(kind).expect("known").service
}

/// The refresh bound in rounds of one call, for `counts` resources per
/// kind read back (`read`) and listed by the inventory, and why.
fn refresh_bound(counts: &BTreeMap<String, usize>, read: bool, limits: &Limits) -> (usize, String) {
    let mut best = (0, String::from("nothing to read"));
    let mut consider = |rounds: usize, why: String| {
        if rounds > best.0 {
            best = (rounds, why);
        }
    };
    if read {
        let mut per_service: BTreeMap<&'static str, usize> = BTreeMap::new();
        for (kind, &n) in counts {
            let cost = read_cost(kind);
            *per_service.entry(service(kind)).or_default() += cost.calls(n);
            let chain = match cost.batch {
                Some(b) if !cost.by_id => n.div_ceil(b),
                Some(_) => 1 + usize::from(cost.per_item > 0),
                None => usize::from(n > 0),
            };
            consider(chain, format!("{kind}: {chain} calls in turn"));
        }
        for (svc, calls) in per_service {
            let l = limits.for_service(svc);
            consider(
                calls.div_ceil(l),
                format!("{svc}: {calls} read calls, {l} at a time"),
            );
        }
    }
    // The inventory: its pages in turn for a small stack; for a larger
    // one, the first pages and then every kind's listing, concurrently.
    let whole = inventory_pages(counts.values().sum());
    let first = whole.min(INVENTORY_SEQUENTIAL_PAGES);
    if whole <= INVENTORY_SEQUENTIAL_PAGES {
        consider(whole, format!("inventory: {whole} pages"));
    } else {
        let pages: Vec<usize> = ALL
            .iter()
            .map(|k| inventory_pages(counts.get(*k).copied().unwrap_or(0)))
            .collect();
        let longest = pages.iter().copied().max().unwrap_or(1);
        consider(
            first + longest,
            format!("inventory: {first} pages, then {longest} of one kind"),
        );
        let total: usize = pages.iter().sum();
        let l = limits.for_service("tagging");
        consider(
            first + total.div_ceil(l),
            format!("inventory: {first} pages, then {total}, {l} at a time"),
        );
    }
    best
}

fn vm_hwm_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Row {
    name: String,
    wall: Duration,
    bound: Duration,
    why: String,
}

/// What the no-op `up` spent, phase by phase, and the calls it made.
#[derive(serde::Serialize, serde::Deserialize)]
struct NoOp {
    label: String,
    recover: Duration,
    refresh: Duration,
    plan: Duration,
    apply: Duration,
    reads: usize,
    lists: usize,
    by_service: BTreeMap<String, usize>,
}

/// What one scenario's process reports to the parent.
#[derive(serde::Serialize, serde::Deserialize)]
struct Report {
    rows: Vec<Row>,
    noop: NoOp,
    vm_hwm_mib: Option<f64>,
    peak_heap_mib: f64,
}

async fn scenario(g: &DesiredGraph, latency: Duration, limits: Limits, label: &str) -> Report {
    let mut rows = Vec::new();
    let dir = state_dir();
    let cloud = FakeCloud::with_latency(latency);
    cloud.set_read_limits(limits.clone());
    let engine = Engine::new(cloud.providers(), test_tags(), limits.clone())
        .with_settle(Duration::ZERO)
        .with_retry(RetryPolicy::none());
    let store = Arc::new(Store::open(dir.path(), "bench", "test").expect("store"));
    let (walk, walk_why) = walk_bound(g, &limits);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in g.resources.values() {
        *counts.entry(r.kind.clone()).or_default() += 1;
    }
    let (empty_refresh, _) = refresh_bound(&BTreeMap::new(), false, &limits);
    let (listing, _) = refresh_bound(&counts, false, &limits);
    let (noop_rounds, noop_why) = refresh_bound(&counts, true, &limits);
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
        bound: latency * (empty_refresh + walk) as u32,
        why: format!("{walk_why}, + {empty_refresh} listing"),
    });

    // The no-op up, timed whole, then phase by phase with its calls.
    cloud.clear_calls();
    let t = Instant::now();
    let (p, s) = engine
        .up(g, &store, Arc::new(NullReporter), &cancel)
        .await
        .expect("no-op up");
    let wall = t.elapsed();
    assert!(!p.has_changes() && s.done.is_empty());
    drop((p, s));
    let calls = cloud.calls();
    let reads = calls.iter().filter(|c| c.op == FakeOp::Read).count();
    let lists = calls.iter().filter(|c| c.op == FakeOp::List).count();
    let mut by_service: BTreeMap<String, usize> = BTreeMap::new();
    for c in calls.iter().filter(|c| c.op == FakeOp::Read) {
        *by_service.entry(service(&c.kind).to_string()).or_default() += 1;
    }
    rows.push(Row {
        name: format!("no-op up (recover + refresh + plan), {label}"),
        wall,
        bound: latency * noop_rounds as u32,
        why: noop_why,
    });
    let t = Instant::now();
    engine
        .recover(&store, &NullReporter)
        .await
        .expect("recover");
    let recover = t.elapsed();
    let t = Instant::now();
    let refreshed = engine
        .refresh_store(&store, &NullReporter)
        .await
        .expect("refresh");
    let refresh = t.elapsed();
    let t = Instant::now();
    let p = store
        .with_state(|s| gantry_plan::plan(g, s, &refreshed))
        .expect("plan");
    let plan = t.elapsed();
    let t = Instant::now();
    engine
        .apply(&p, g, &store, Arc::new(NullReporter), &cancel)
        .await
        .expect("apply");
    let apply = t.elapsed();
    drop((p, refreshed, calls));
    let noop = NoOp {
        label: label.to_string(),
        recover,
        refresh,
        plan,
        apply,
        reads,
        lists,
        by_service,
    };

    let t = Instant::now();
    let s = engine
        .destroy(&store, Arc::new(NullReporter), &cancel)
        .await
        .expect("destroy");
    assert!(s.is_success() && cloud.objects().is_empty());
    rows.push(Row {
        name: format!("destroy, {label}"),
        wall: t.elapsed(),
        bound: latency * (listing + walk) as u32,
        why: format!("{walk_why}, + {listing} listing"),
    });
    Report {
        rows,
        noop,
        vm_hwm_mib: vm_hwm_kib().map(|k| k as f64 / 1024.0),
        peak_heap_mib: peak_heap_mib(),
    }
}

fn state_dir() -> tempfile::TempDir {
    match std::env::var_os("GANTRY_BENCH_DIR").filter(|d| !d.is_empty()) {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("tempdir")
}

/// The median time of a small append + fdatasync where the state goes.
fn fsync_latency() -> Duration {
    use std::io::Write;
    let dir = state_dir();
    let mut f = std::fs::File::create(dir.path().join("probe")).expect("probe file");
    let mut times: Vec<Duration> = (0..50)
        .map(|_| {
            let t = Instant::now();
            f.write_all(&[b'x'; 200]).expect("write");
            f.sync_data().expect("fsync");
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// The graph of `size` resources: 161 per VPC plus shared repositories,
/// in the same proportion at every size (12 VPCs and 68 repositories make
/// 2,000; 60 and 340 make 10,000).
fn graph(size: usize) -> DesiredGraph {
    let vpcs = (size * 3 / 500).max(1);
    synthetic(vpcs, size.saturating_sub(vpcs * 161))
}

const CHILD: &str = "GANTRY_BENCH_CHILD";

fn limits_for(label: &str) -> Limits {
    match label {
        "AWS limits" => Limits::aws_defaults(),
        _ => Limits::uniform(100_000),
    }
}

/// Each scenario runs in a process of its own (this binary again), so its
/// peak RSS is what one `gantry` process would reach, not what an earlier
/// scenario left in the allocator.
fn main() {
    let latency = Duration::from_millis(
        std::env::var("GANTRY_BENCH_LATENCY_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(50),
    );
    if let Ok(job) = std::env::var(CHILD) {
        let (size, label) = job.split_once(',').expect("size,label");
        let g = graph(size.parse().expect("a size"));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let report = rt.block_on(scenario(&g, latency, limits_for(label), label));
        println!("{}", serde_json::to_string(&report).expect("serializes"));
        return;
    }
    let sizes: Vec<usize> = std::env::var("GANTRY_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![2000, 10_000]);
    let me = std::env::current_exe().expect("own path");
    for size in sizes {
        let g = graph(size);
        let mut reports = Vec::new();
        for label in ["AWS limits", "unbounded"] {
            let out = std::process::Command::new(&me)
                .args(std::env::args().skip(1))
                .env(CHILD, format!("{size},{label}"))
                .output()
                .expect("scenario process");
            assert!(
                out.status.success(),
                "{label}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = String::from_utf8_lossy(&out.stdout);
            let report: Report =
                serde_json::from_str(line.lines().last().expect("a report")).expect("a report");
            reports.push(report);
        }
        println!(
            "gantry-execute bench: {} resources, critical path {} resources, {} ms per call, {} cores, fsync {:.2} ms, load {}",
            g.len(),
            g.levels().expect("acyclic").len(),
            latency.as_millis(),
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            fsync_latency().as_secs_f64() * 1000.0,
            std::fs::read_to_string("/proc/loadavg")
                .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_default()
        );
        println!();
        println!("| scenario | wall | lower bound | ratio | bound from |");
        println!("|---|---:|---:|---:|---|");
        for r in reports.iter().flat_map(|r| &r.rows) {
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
        println!("| no-op up | recover | refresh | plan | apply (compaction) | read calls | inventory pages | reads per service |");
        println!("|---|---:|---:|---:|---:|---:|---:|---|");
        for n in reports.iter().map(|r| &r.noop) {
            let svc: Vec<String> = n
                .by_service
                .iter()
                .map(|(s, c)| format!("{s} {c}"))
                .collect();
            println!(
                "| {} | {:.3} s | {:.3} s | {:.3} s | {:.3} s | {} | {} | {} |",
                n.label,
                n.recover.as_secs_f64(),
                n.refresh.as_secs_f64(),
                n.plan.as_secs_f64(),
                n.apply.as_secs_f64(),
                n.reads,
                n.lists,
                svc.join(", ")
            );
        }
        println!();
        for r in &reports {
            println!(
                "{}: peak RSS (VmHWM) {}, peak live heap {:.1} MiB (up, no-op up and destroy in one process)",
                r.noop.label,
                r.vm_hwm_mib
                    .map(|m| format!("{m:.1} MiB"))
                    .unwrap_or_else(|| "unavailable".into()),
                r.peak_heap_mib
            );
        }
        println!();
    }
}
