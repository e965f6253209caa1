//! Engine tests against the fake cloud: ordering under parallelism,
//! concurrency limits, failure isolation (provider panics included),
//! crash-at-every-journal-point recovery for up and destroy (retried creates
//! included), replacement ordering, cancellation, secrets, bounded retries
//! of throttled and lost-reply calls, provider warnings, orphans (adopted,
//! listed, destroyed in dependency order) and the fake's read cost model.

use gantry_core::{
    kinds, reference, Address, DesiredGraph, ErrorKind, KindMeta, ProviderError, Resource,
};
use gantry_execute::fake::{read_cost, test_tags, FakeCloud, FakeOp};
use gantry_execute::{
    CancellationToken, CollectingReporter, Engine, EngineError, Event, Limits, NullReporter,
    RetryPolicy, Summary,
};
use gantry_plan::{plan, Action};
use gantry_state::{CrashPoint, StateError, Store};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

fn a(kind: &str, name: &str) -> Address {
    Address::of(kind, name)
}

fn r(kind: &str, name: &str) -> String {
    reference(&a(kind, name), "id")
}

fn arn(kind: &str, name: &str) -> String {
    reference(&a(kind, name), "arn")
}

fn add(g: &mut DesiredGraph, kind: &str, name: &str, props: Value) {
    g.add(Resource::new(kind, name, &props)).unwrap();
}

/// A small web stack: 16 resources, up to 5 levels deep.
fn stack() -> DesiredGraph {
    use kinds::*;
    let mut g = DesiredGraph::new();
    add(
        &mut g,
        VPC,
        "main",
        json!({"name": "app", "cidr_block": "10.0.0.0/16", "enable_dns_hostnames": true}),
    );
    add(
        &mut g,
        INTERNET_GATEWAY,
        "main",
        json!({"name": "app", "vpc_id": r(VPC, "main")}),
    );
    for (n, cidr) in [("a", "10.0.1.0/24"), ("b", "10.0.2.0/24")] {
        add(
            &mut g,
            SUBNET,
            n,
            json!({"name": n, "vpc_id": r(VPC, "main"), "cidr_block": cidr}),
        );
        add(
            &mut g,
            ROUTE_TABLE_ASSOCIATION,
            n,
            json!({"subnet_id": r(SUBNET, n), "route_table_id": r(ROUTE_TABLE, "public")}),
        );
    }
    add(
        &mut g,
        ROUTE_TABLE,
        "public",
        json!({"name": "public", "vpc_id": r(VPC, "main"), "routes": [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": r(INTERNET_GATEWAY, "main")}]}),
    );
    add(
        &mut g,
        SECURITY_GROUP,
        "web",
        json!({"name": "web", "description": "web", "vpc_id": r(VPC, "main")}),
    );
    add(
        &mut g,
        LB,
        "web",
        json!({"name": "web", "subnet_ids": [r(SUBNET, "a"), r(SUBNET, "b")], "security_group_ids": [r(SECURITY_GROUP, "web")]}),
    );
    add(
        &mut g,
        LB_TARGET_GROUP,
        "web",
        json!({"name": "web", "port": 8080, "vpc_id": r(VPC, "main")}),
    );
    add(
        &mut g,
        LB_LISTENER,
        "http",
        json!({"load_balancer_arn": arn(LB, "web"), "port": 80, "default_action": {"type": "forward", "target_group_arn": arn(LB_TARGET_GROUP, "web")}}),
    );
    add(
        &mut g,
        LOG_GROUP,
        "web",
        json!({"name": "/app/web", "retention_in_days": 30}),
    );
    add(&mut g, IAM_ROLE, "exec", json!({"name": "app-exec"}));
    add(&mut g, ECS_CLUSTER, "main", json!({"name": "app"}));
    add(
        &mut g,
        ECS_TASK_DEFINITION,
        "web",
        json!({"family": "web", "execution_role_arn": arn(IAM_ROLE, "exec"), "containers": [{"name": "app", "image": "app:1", "log_group": reference(&a(LOG_GROUP, "web"), "name")}]}),
    );
    add(
        &mut g,
        ECS_SERVICE,
        "web",
        json!({"name": "web", "cluster_arn": arn(ECS_CLUSTER, "main"), "task_definition_arn": arn(ECS_TASK_DEFINITION, "web"),
               "subnet_ids": [r(SUBNET, "a"), r(SUBNET, "b")], "security_group_ids": [r(SECURITY_GROUP, "web")],
               "load_balancers": [{"target_group_arn": arn(LB_TARGET_GROUP, "web"), "container_name": "app", "container_port": 8080}]}),
    );
    g.get(&a(LB_LISTENER, "http")).unwrap();
    let svc = g.resources.get_mut(&a(ECS_SERVICE, "web")).unwrap();
    svc.depends_on.push(a(LB_LISTENER, "http"));
    g
}

/// How many attempts an operation gets in these tests.
const RETRIES: u32 = 4;

/// The fake cloud is consistent at once: no pause before a second look,
/// and retries without delays.
fn engine(cloud: &Arc<FakeCloud>, limits: Limits) -> Engine {
    Engine::new(cloud.providers(), test_tags(), limits)
        .with_settle(Duration::ZERO)
        .with_retry(RetryPolicy::immediate(RETRIES))
}

fn open(dir: &std::path::Path) -> Arc<Store> {
    Arc::new(Store::open(dir, "app", "test").unwrap())
}

async fn up(e: &Engine, g: &DesiredGraph, store: &Arc<Store>) -> Result<Summary, EngineError> {
    e.up(g, store, Arc::new(NullReporter), &CancellationToken::new())
        .await
        .map(|(_, s)| s)
}

/// After convergence: exactly one object per desired address, state has
/// them all with matching ids, and a refreshed plan is all no-ops.
async fn assert_converged(
    cloud: &Arc<FakeCloud>,
    e: &Engine,
    g: &DesiredGraph,
    store: &Arc<Store>,
) {
    let objects = cloud.by_address();
    assert_eq!(
        objects.len(),
        g.len(),
        "{:?}",
        objects.keys().collect::<Vec<_>>()
    );
    let st = store.state();
    assert_eq!(st.len(), g.len());
    for (addr, rs) in &st.resources {
        // One object per address, plus the previous ones a kind keeps (task
        // definition revisions), each recorded.
        let kept = gantry_core::kind_meta(&rs.kind).map_or(0, |m| m.keep_previous);
        assert!(rs.deposed.len() <= kept, "{addr} keeps {:?}", rs.deposed);
        let mut recorded: Vec<&str> = rs.deposed.iter().map(|d| d.id.as_str()).collect();
        recorded.push(&rs.id);
        recorded.sort();
        let mut live: Vec<&str> = objects[addr].iter().map(|o| o.id.as_str()).collect();
        live.sort();
        assert_eq!(live, recorded, "duplicates or strays of {addr}");
    }
    let refreshed = e.refresh(&st, &NullReporter).await.unwrap();
    let p = plan(g, &st, &refreshed).unwrap();
    assert!(!p.has_changes(), "{}", gantry_plan::render_text(&p, false));
}

#[tokio::test]
async fn up_converges_and_second_plan_is_empty() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    let store = open(d.path());
    let s = up(&e, &g, &store).await.unwrap();
    assert!(s.is_success(), "{s:#?}");
    assert_eq!(s.done.len(), g.len());
    assert_converged(&cloud, &e, &g, &store).await;
    // Reopening from disk gives the same state.
    drop(store);
    let store = open(d.path());
    assert_converged(&cloud, &e, &g, &store).await;
}

#[tokio::test]
async fn dependencies_finish_before_dependents_start() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::with_latency(Duration::from_millis(15));
    let e = engine(&cloud, Limits::uniform(16));
    let g = stack();
    let store = open(d.path());
    assert!(up(&e, &g, &store).await.unwrap().is_success());
    let calls = cloud.calls();
    let created = |x: &Address| {
        calls
            .iter()
            .find(|c| c.op == FakeOp::Create && &c.addresses[0] == x)
            .unwrap()
    };
    let mut overlapped = false;
    for (addr, res) in &g.resources {
        let me = created(addr);
        for dep in res.dependencies() {
            let d = created(&dep);
            assert!(
                d.end <= me.start,
                "{addr} started at {:?} before {dep} ended at {:?}",
                me.start,
                d.end
            );
        }
        overlapped |= calls.iter().any(|c| {
            c.op == FakeOp::Create
                && c.start < me.end
                && me.start < c.end
                && &c.addresses[0] != addr
        });
    }
    assert!(overlapped, "independent resources ran in parallel");
}

#[tokio::test]
async fn per_service_concurrency_limits_hold() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::with_latency(Duration::from_millis(10));
    let e = engine(&cloud, Limits::uniform(50).with("ec2", 3).with("logs", 2));
    let mut g = DesiredGraph::new();
    add(&mut g, kinds::VPC, "main", json!({"name": "v"}));
    for i in 0..20 {
        add(
            &mut g,
            kinds::SUBNET,
            &format!("s{i}"),
            json!({"vpc_id": r(kinds::VPC, "main")}),
        );
        add(
            &mut g,
            kinds::LOG_GROUP,
            &format!("l{i}"),
            json!({"name": format!("/l{i}")}),
        );
    }
    let store = open(d.path());
    assert!(up(&e, &g, &store).await.unwrap().is_success());
    assert_eq!(cloud.peak_in_flight("ec2"), 3);
    assert_eq!(cloud.peak_in_flight("logs"), 2);
}

#[tokio::test]
async fn failure_skips_only_dependents() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    cloud.fail(
        &a(kinds::SUBNET, "a"),
        FakeOp::Create,
        Some(1),
        "InvalidSubnet.Conflict",
    );
    let store = open(d.path());
    let rep = Arc::new(CollectingReporter::new());
    let (_, s) = e
        .up(&g, &store, rep.clone(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(s.failed.len(), 1);
    assert_eq!(s.failed[0].address, a(kinds::SUBNET, "a"));
    assert_eq!(s.failed[0].code.as_deref(), Some("InvalidSubnet.Conflict"));
    let skipped: Vec<String> = s.skipped.iter().map(|x| x.address.to_string()).collect();
    let mut expect = vec![
        "ecs_service.web",
        "lb.web",
        "lb_listener.http",
        "route_table_association.a",
    ];
    let mut got = skipped.clone();
    got.sort();
    expect.sort();
    assert_eq!(got, expect);
    assert_eq!(s.done.len(), g.len() - 5);
    assert!(rep.events().iter().any(
        |e| matches!(e, Event::Failed { code: Some(c), .. } if c == "InvalidSubnet.Conflict")
    ));
    // The failure was once: the next up finishes the job.
    assert!(up(&e, &g, &store).await.unwrap().is_success());
    assert_converged(&cloud, &e, &g, &store).await;
}

/// How many mutating calls a clean run of `g` makes.
async fn count_ops(g: &DesiredGraph) -> u64 {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    up(&e, g, &open(d.path())).await.unwrap().done.len() as u64
}

fn crash_points(n: u64) -> Vec<CrashPoint> {
    (1..=n)
        .flat_map(|i| [CrashPoint::AfterIntent(i), CrashPoint::BeforeResult(i)])
        .collect()
}

#[tokio::test]
async fn up_crashed_at_every_journal_point_resumes_without_duplicates() {
    let g = stack();
    let n = count_ops(&g).await;
    assert_eq!(n, g.len() as u64);
    for point in crash_points(n) {
        let d = tempfile::tempdir().unwrap();
        let cloud = FakeCloud::with_latency(Duration::from_millis(1));
        let e = engine(&cloud, Limits::aws_defaults());
        let store = open(d.path());
        store.set_crash_point(Some(point));
        let err = up(&e, &g, &store).await.unwrap_err();
        assert!(
            matches!(err, EngineError::State(StateError::Crashed)),
            "{point:?}: {err}"
        );
        drop(store);
        // The "next process": reopen from disk and run up again.
        let store = open(d.path());
        let rep = Arc::new(CollectingReporter::new());
        let (_, s) = e
            .up(&g, &store, rep.clone(), &CancellationToken::new())
            .await
            .unwrap();
        assert!(s.is_success(), "{point:?}: {s:#?}");
        if matches!(point, CrashPoint::BeforeResult(_)) {
            assert!(
                rep.events()
                    .iter()
                    .any(|e| matches!(e, Event::Adopted { .. })),
                "{point:?}: the created-but-unrecorded resource is adopted"
            );
        }
        assert_converged(&cloud, &e, &g, &store).await;
    }
}

#[tokio::test]
async fn destroy_crashed_at_every_journal_point_resumes_to_empty() {
    let g = stack();
    let n = g.len() as u64;
    for point in crash_points(n) {
        let d = tempfile::tempdir().unwrap();
        let cloud = FakeCloud::with_latency(Duration::from_millis(1));
        let e = engine(&cloud, Limits::aws_defaults());
        let store = open(d.path());
        assert!(up(&e, &g, &store).await.unwrap().is_success());
        drop(store);
        let store = open(d.path());
        store.set_crash_point(Some(point));
        let err = e
            .destroy(&store, Arc::new(NullReporter), &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(
            matches!(err, EngineError::State(StateError::Crashed)),
            "{point:?}: {err}"
        );
        drop(store);
        let store = open(d.path());
        let s = e
            .destroy(&store, Arc::new(NullReporter), &CancellationToken::new())
            .await
            .unwrap();
        assert!(s.is_success(), "{point:?}: {s:#?}");
        assert!(
            cloud.objects().is_empty(),
            "{point:?}: left {:#?}",
            cloud.objects()
        );
        assert!(store.state().is_empty());
        assert!(open(d.path()).state().is_empty());
    }
}

#[tokio::test]
async fn destroy_deletes_dependents_first() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::with_latency(Duration::from_millis(5));
    let e = engine(&cloud, Limits::uniform(16));
    let g = stack();
    let store = open(d.path());
    up(&e, &g, &store).await.unwrap();
    let s = e
        .destroy(&store, Arc::new(NullReporter), &CancellationToken::new())
        .await
        .unwrap();
    assert!(s.is_success());
    let calls = cloud.calls();
    let deleted = |x: &Address| {
        calls
            .iter()
            .find(|c| c.op == FakeOp::Delete && &c.addresses[0] == x)
            .unwrap()
    };
    for (addr, res) in &g.resources {
        for dep in res.dependencies() {
            assert!(
                deleted(addr).end <= deleted(&dep).start,
                "{dep} deleted before its user {addr}"
            );
        }
    }
}

fn call_index(cloud: &FakeCloud, op: FakeOp, addr: &Address, nth: usize) -> usize {
    cloud
        .calls()
        .iter()
        .enumerate()
        .filter(|(_, c)| c.op == op && &c.addresses[0] == addr)
        .nth(nth)
        .unwrap_or_else(|| panic!("no {op:?} #{nth} of {addr}"))
        .0
}

#[tokio::test]
async fn task_definition_is_replaced_keeping_the_old_revision() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let mut g = stack();
    let store = open(d.path());
    up(&e, &g, &store).await.unwrap();
    let td = a(kinds::ECS_TASK_DEFINITION, "web");
    let old_id = store.state().get(&td).unwrap().id.clone();
    g.resources.get_mut(&td).unwrap().props["containers"][0]["image"] = json!("app:2");
    let (p, s) = e
        .up(
            &g,
            &store,
            Arc::new(NullReporter),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert!(s.is_success(), "{s:#?}");
    let pa = p.get(&td).unwrap();
    assert_eq!(pa.action, Action::Replace);
    let svc = a(kinds::ECS_SERVICE, "web");
    assert_eq!(p.get(&svc).unwrap().action, Action::Update);
    let created = call_index(&cloud, FakeOp::Create, &td, 1);
    let updated = call_index(&cloud, FakeOp::Update, &svc, 0);
    assert!(created < updated, "{created} {updated}");
    // The revision the service ran stays, for ECS's circuit breaker and
    // `gantry rollback` to return to.
    assert!(!cloud
        .calls()
        .iter()
        .any(|c| c.op == FakeOp::Delete && c.addresses[0] == td));
    let st = store.state();
    let rs = st.get(&td).unwrap();
    assert_eq!(rs.deposed.len(), 1);
    assert_eq!(rs.deposed[0].id, old_id);
    // Three revisions later, the first is deleted: three previous are kept.
    for n in 3..6 {
        g.resources.get_mut(&td).unwrap().props["containers"][0]["image"] =
            json!(format!("app:{n}"));
        up(&e, &g, &store).await.unwrap();
    }
    let st = store.state();
    assert_eq!(st.get(&td).unwrap().deposed.len(), 3);
    let deleted = call_index(&cloud, FakeOp::Delete, &td, 0);
    assert_eq!(cloud.calls()[deleted].id.as_deref(), Some(old_id.as_str()));
    let (p, _) = e
        .up(
            &g,
            &store,
            Arc::new(NullReporter),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert!(!p.has_changes(), "{p:#?}");
    assert_converged(&cloud, &e, &g, &store).await;
}

#[tokio::test]
async fn other_kinds_are_replaced_delete_before_create() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let mut g = stack();
    let store = open(d.path());
    up(&e, &g, &store).await.unwrap();
    let sub = a(kinds::SUBNET, "a");
    let assoc = a(kinds::ROUTE_TABLE_ASSOCIATION, "a");
    g.resources.get_mut(&sub).unwrap().props["cidr_block"] = json!("10.0.9.0/24");
    let (p, s) = e
        .up(
            &g,
            &store,
            Arc::new(NullReporter),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert!(s.is_success(), "{s:#?}");
    assert_eq!(p.get(&sub).unwrap().action, Action::Replace);
    assert_eq!(p.get(&assoc).unwrap().action, Action::Replace);
    let del_assoc = call_index(&cloud, FakeOp::Delete, &assoc, 0);
    let del_sub = call_index(&cloud, FakeOp::Delete, &sub, 0);
    let new_sub = call_index(&cloud, FakeOp::Create, &sub, 1);
    let new_assoc = call_index(&cloud, FakeOp::Create, &assoc, 1);
    assert!(del_assoc < del_sub && del_sub < new_sub && new_sub < new_assoc);
    assert_converged(&cloud, &e, &g, &store).await;
}

#[tokio::test]
async fn cancel_stops_launching_and_saves() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::with_latency(Duration::from_millis(40));
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    let store = open(d.path());
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(60)).await;
        c2.cancel();
    });
    let (_, s) = e
        .up(&g, &store, Arc::new(NullReporter), &cancel)
        .await
        .unwrap();
    assert!(s.cancelled);
    assert!(!s.done.is_empty() && !s.skipped.is_empty());
    assert!(s.failed.is_empty());
    assert!(s.skipped.iter().all(|x| x.because.is_none()));
    // What finished is saved: a new process sees it, with nothing pending.
    drop(store);
    let store = open(d.path());
    assert_eq!(store.state().len(), s.done.len());
    assert!(store.pending().is_empty());
    assert!(up(&e, &g, &store).await.unwrap().is_success());
    assert_converged(&cloud, &e, &g, &store).await;
}

/// The inventory pages a refresh of a stack of `n` log groups costs.
async fn inventory_pages_for(n: usize) -> usize {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let mut g = DesiredGraph::new();
    for i in 0..n {
        add(
            &mut g,
            kinds::LOG_GROUP,
            &format!("lg{i}"),
            json!({"name": format!("/app/{i}"), "retention_in_days": 7}),
        );
    }
    let store = open(d.path());
    up(&e, &g, &store).await.unwrap();
    cloud.clear_calls();
    let refreshed = e.refresh(&store.state(), &NullReporter).await.unwrap();
    assert!(refreshed.orphans.is_empty());
    cloud.counts(FakeOp::List).values().sum::<usize>()
}

#[tokio::test]
async fn a_stack_over_one_inventory_page_is_listed_a_kind_at_a_time() {
    // 150 fit the two pages read in turn.
    assert_eq!(inventory_pages_for(150).await, 2);
    // 250 need more, so after those two every kind is listed on its own
    // (log groups on three pages), as the AWS inventory lists a large
    // stack by resource type.
    assert_eq!(inventory_pages_for(250).await, 2 + kinds::ALL.len() + 2);
}

#[tokio::test]
async fn refresh_reads_cost_what_the_providers_pay_and_sees_drift() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    let store = open(d.path());
    up(&e, &g, &store).await.unwrap();
    let st = store.state();
    let sg_id = st.get(&a(kinds::SECURITY_GROUP, "web")).unwrap().id.clone();
    let lg_id = st.get(&a(kinds::LOG_GROUP, "web")).unwrap().id.clone();
    cloud.set_prop(
        &sg_id,
        "ingress",
        json!([{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0"}]),
    );
    cloud.remove_object(&lg_id);
    cloud.clear_calls();
    let refreshed = e.refresh(&st, &NullReporter).await.unwrap();
    let mut per_kind: std::collections::BTreeMap<String, usize> = Default::default();
    for r in g.resources.values() {
        *per_kind.entry(r.kind.clone()).or_default() += 1;
    }
    let expected: std::collections::BTreeMap<String, usize> = per_kind
        .iter()
        .map(|(k, n)| (k.clone(), read_cost(k).calls(*n)))
        .collect();
    assert_eq!(cloud.counts(FakeOp::Read), expected);
    // The VPC's DNS attributes and the load balancer's attributes cost a
    // call each on top of the batched describe.
    assert_eq!(expected["vpc"], 3);
    assert_eq!(expected["lb"], 2);
    assert_eq!(expected["subnet"], 1);
    // One inventory page for the whole stack (far below 100 objects).
    assert_eq!(cloud.counts(FakeOp::List).values().sum::<usize>(), 1);
    assert!(refreshed.orphans.is_empty());
    let p = plan(&g, &st, &refreshed).unwrap();
    assert_eq!(
        p.get(&a(kinds::SECURITY_GROUP, "web")).unwrap().action,
        Action::Update
    );
    assert_eq!(
        p.get(&a(kinds::LOG_GROUP, "web")).unwrap().action,
        Action::Create
    );
    assert!(up(&e, &g, &store).await.unwrap().is_success());
    assert_converged(&cloud, &e, &g, &store).await;
}

static SECRET: KindMeta = KindMeta {
    kind: "secret",
    service: "secretsmanager",
    force_new: &["name"],
    unordered: &[],
    secret: &["value"],
    create_before_destroy: false,
    keep_previous: 0,
    data: false,
    taggable: true,
    noun: "secret",
};

fn meta(k: &str) -> Option<&'static KindMeta> {
    if k == "secret" {
        Some(&SECRET)
    } else {
        gantry_core::kind_meta(k)
    }
}

#[tokio::test]
async fn secrets_reach_the_provider_but_never_the_state_files() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::build(Duration::ZERO, false, meta);
    let e = Engine::new(
        cloud.providers_for(&["secret"]),
        test_tags(),
        Limits::aws_defaults(),
    )
    .with_meta(meta)
    .with_settle(Duration::ZERO);
    let mut g = DesiredGraph::new();
    add(
        &mut g,
        "secret",
        "db",
        json!({"name": "db", "value": "hunter2"}),
    );
    let store = Arc::new(Store::open_with_meta(d.path(), "app", "test", meta).unwrap());
    let (_, s) = e
        .up(
            &g,
            &store,
            Arc::new(NullReporter),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert!(s.is_success());
    assert_eq!(cloud.objects()[0].props["value"], "hunter2");
    for f in std::fs::read_dir(d.path()).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
    }
    // No spurious diff from the marker; a changed secret is an update.
    let st = store.state();
    let refreshed = e.refresh(&st, &NullReporter).await.unwrap();
    assert!(!gantry_plan::plan_with(&g, &st, &refreshed, meta)
        .unwrap()
        .has_changes());
    g.resources.values_mut().next().unwrap().props["value"] = json!("hunter3");
    let (p, s) = e
        .up(
            &g,
            &store,
            Arc::new(NullReporter),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert!(s.is_success());
    assert_eq!(p.actions[0].action, Action::Update);
    assert_eq!(cloud.objects()[0].props["value"], "hunter3");
}

#[tokio::test]
async fn resumed_create_reuses_the_intent_token() {
    let d = tempfile::tempdir().unwrap();
    // This cloud honours tokens (like EC2 ClientToken) and has no tag lookup
    // help: the resumed create must present the same token to avoid a copy.
    let cloud = FakeCloud::build(Duration::ZERO, true, gantry_core::kind_meta);
    let e = engine(&cloud, Limits::aws_defaults());
    let mut g = DesiredGraph::new();
    add(&mut g, kinds::VPC, "main", json!({"name": "v"}));
    let store = open(d.path());
    store.set_crash_point(Some(CrashPoint::BeforeResult(1)));
    assert!(up(&e, &g, &store).await.is_err());
    drop(store);
    let store = open(d.path());
    let token = store.pending()[0].token.clone();
    drop(store);
    let store = open(d.path());
    assert_eq!(
        store.pending()[0].token,
        token,
        "a reopened journal gives the same token"
    );
    assert!(up(&e, &g, &store).await.unwrap().is_success());
    assert_eq!(cloud.objects().len(), 1);
}

/// The stack with an in-place update, a create-before-destroy replacement
/// (task definition, whose service is updated) and a delete-before-create
/// replacement (subnet, whose association is replaced and load balancer
/// updated).
fn changed_stack() -> DesiredGraph {
    let mut g = stack();
    g.resources
        .get_mut(&a(kinds::SECURITY_GROUP, "web"))
        .unwrap()
        .props
        .insert(
            "ingress".into(),
            json!([{"protocol": "tcp", "from_port": 443, "to_port": 443}]),
        );
    g.resources
        .get_mut(&a(kinds::ECS_TASK_DEFINITION, "web"))
        .unwrap()
        .props["containers"][0]["image"] = json!("app:2");
    g.resources.get_mut(&a(kinds::SUBNET, "b")).unwrap().props["cidr_block"] = json!("10.0.3.0/24");
    g
}

#[tokio::test]
async fn change_crashed_at_every_journal_point_resumes_cleanly() {
    let g0 = stack();
    let g1 = changed_stack();
    let n = {
        let d = tempfile::tempdir().unwrap();
        let cloud = FakeCloud::new();
        let e = engine(&cloud, Limits::aws_defaults());
        let store = open(d.path());
        up(&e, &g0, &store).await.unwrap();
        let s = up(&e, &g1, &store).await.unwrap();
        assert!(s.is_success());
        s.done.len() as u64
    };
    assert!(n >= 8, "{n}");
    for point in crash_points(n) {
        let d = tempfile::tempdir().unwrap();
        let cloud = FakeCloud::with_latency(Duration::from_millis(1));
        let e = engine(&cloud, Limits::aws_defaults());
        let store = open(d.path());
        assert!(up(&e, &g0, &store).await.unwrap().is_success());
        drop(store);
        let store = open(d.path());
        store.set_crash_point(Some(point));
        let err = up(&e, &g1, &store).await.unwrap_err();
        assert!(
            matches!(err, EngineError::State(StateError::Crashed)),
            "{point:?}: {err}"
        );
        drop(store);
        let store = open(d.path());
        let s = up(&e, &g1, &store).await.unwrap();
        assert!(s.is_success(), "{point:?}: {s:#?}");
        // The service's revision is the new one (the old one is kept).
        let td_id = store
            .state()
            .get(&a(kinds::ECS_TASK_DEFINITION, "web"))
            .unwrap()
            .id
            .clone();
        let td = cloud.objects().into_iter().find(|o| o.id == td_id).unwrap();
        assert_eq!(td.props["containers"][0]["image"], "app:2", "{point:?}");
        assert_converged(&cloud, &e, &g1, &store).await;
        // The state records what was applied, not only the cloud.
        let sg = a(kinds::SECURITY_GROUP, "web");
        assert_eq!(
            open_state(&d).get(&sg).unwrap().props["ingress"],
            g1.get(&sg).unwrap().props["ingress"],
            "{point:?}"
        );
    }
}

#[tokio::test]
async fn failed_delete_keeps_what_it_depends_on() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    let store = open(d.path());
    up(&e, &g, &store).await.unwrap();
    cloud.fail(
        &a(kinds::SUBNET, "a"),
        FakeOp::Delete,
        None,
        "DependencyViolation",
    );
    let s = e
        .destroy(&store, Arc::new(NullReporter), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(s.failed.len(), 1);
    assert_eq!(s.failed[0].code.as_deref(), Some("DependencyViolation"));
    let skipped: Vec<String> = s.skipped.iter().map(|x| x.address.to_string()).collect();
    assert_eq!(skipped, vec!["vpc.main"]);
    let left: Vec<String> = store
        .state()
        .resources
        .keys()
        .map(|k| k.to_string())
        .collect();
    assert_eq!(left, vec!["subnet.a", "vpc.main"]);
    assert_eq!(cloud.objects().len(), 2);
}

/// The state as on disk (snapshot + journal), without opening a store.
fn open_state(d: &tempfile::TempDir) -> gantry_state::State {
    gantry_state::read_state(d.path(), "app", "test").unwrap()
}

#[tokio::test]
async fn replacing_a_dependency_of_a_cbd_resource_does_not_deadlock() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let mut g = stack();
    let store = open(d.path());
    up(&e, &g, &store).await.unwrap();
    // The role is replaced delete-first (its name is force-new), the task
    // definition that names it create-before-destroy.
    g.resources
        .get_mut(&a(kinds::IAM_ROLE, "exec"))
        .unwrap()
        .props["name"] = json!("app-exec-2");
    let (p, s) = e
        .up(
            &g,
            &store,
            Arc::new(NullReporter),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        p.get(&a(kinds::IAM_ROLE, "exec")).unwrap().action,
        Action::Replace
    );
    assert_eq!(
        p.get(&a(kinds::ECS_TASK_DEFINITION, "web")).unwrap().action,
        Action::Replace
    );
    assert!(s.is_success(), "{s:#?}");
    assert_converged(&cloud, &e, &g, &store).await;
}

#[tokio::test]
async fn object_left_by_a_failed_create_is_tainted_then_replaced() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    let lg = a(kinds::LOG_GROUP, "web");
    cloud.fail_after(&lg, FakeOp::Create, Some(1), "ResourceNotReady");
    let s = up(&e, &g, &store_for(&d)).await.unwrap();
    assert_eq!(s.failed.len(), 1);
    let store = store_for(&d);
    let st = store.state();
    assert_eq!(st.get(&lg).unwrap().status, gantry_state::Status::Tainted);
    assert_eq!(st.get(&lg).unwrap().id, cloud.by_address()[&lg][0].id);
    let (p, s) = e
        .up(
            &g,
            &store,
            Arc::new(NullReporter),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(p.get(&lg).unwrap().action, Action::Replace);
    assert!(s.is_success(), "{s:#?}");
    assert_converged(&cloud, &e, &g, &store).await;
}

fn store_for(d: &tempfile::TempDir) -> Arc<Store> {
    open(d.path())
}

fn transient(code: &str) -> ProviderError {
    ProviderError::new(code, "service unavailable").with_kind(ErrorKind::Transient)
}

fn creates_of(cloud: &FakeCloud, addr: &Address) -> usize {
    cloud
        .calls()
        .iter()
        .filter(|c| c.op == FakeOp::Create && &c.addresses[0] == addr)
        .count()
}

fn skipped(s: &Summary) -> Vec<String> {
    let mut v: Vec<String> = s.skipped.iter().map(|x| x.address.to_string()).collect();
    v.sort();
    v
}

/// Everything downstream of `subnet.a` in `stack()`.
const SUBNET_A_USERS: [&str; 4] = [
    "ecs_service.web",
    "lb.web",
    "lb_listener.http",
    "route_table_association.a",
];

#[tokio::test]
async fn big_refreshes_are_split_into_concurrent_batches_but_listings_are_not() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::with_latency(Duration::from_millis(40));
    let e = engine(&cloud, Limits::uniform(64));
    cloud.set_read_limits(Limits::uniform(64));
    let mut g = DesiredGraph::new();
    add(&mut g, kinds::VPC, "main", json!({"name": "v"}));
    for i in 0..450 {
        add(
            &mut g,
            kinds::SUBNET,
            &format!("s{i}"),
            json!({"vpc_id": r(kinds::VPC, "main")}),
        );
    }
    for i in 0..1500 {
        add(
            &mut g,
            kinds::IAM_ROLE,
            &format!("r{i}"),
            json!({"name": format!("r{i}")}),
        );
    }
    let store = open(d.path());
    assert!(up(&e, &g, &store).await.unwrap().is_success());
    cloud.clear_calls();
    e.refresh(&store.state(), &NullReporter).await.unwrap();
    let reads = |kind: &str| -> Vec<gantry_execute::fake::Call> {
        let mut v: Vec<_> = cloud
            .calls()
            .into_iter()
            .filter(|c| c.op == FakeOp::Read && c.kind == kind)
            .collect();
        v.sort_by_key(|c| c.start);
        v
    };
    // 450 subnets: three DescribeSubnets of at most 200 ids, in parallel.
    let subnets = reads(kinds::SUBNET);
    assert_eq!(subnets.len(), 3);
    assert_eq!(
        subnets.iter().map(|c| c.addresses.len()).sum::<usize>(),
        450
    );
    assert!(subnets.iter().all(|c| c.addresses.len() <= 200));
    assert!(subnets[2].start < subnets[0].end, "{subnets:#?}");
    // 1,500 roles: two pages of one account listing, one after the other.
    let roles = reads(kinds::IAM_ROLE);
    assert_eq!(roles.len(), 2);
    assert!(roles[0].end <= roles[1].start);
}

#[tokio::test]
async fn a_panicking_provider_fails_only_its_operation() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    cloud.panic_on(
        &a(kinds::SUBNET, "a"),
        FakeOp::Create,
        "index out of bounds",
    );
    let store = open(d.path());
    let rep = Arc::new(CollectingReporter::new());
    let (_, s) = e
        .up(&g, &store, rep.clone(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(s.failed.len(), 1, "{s:#?}");
    let f = &s.failed[0];
    assert_eq!(f.address, a(kinds::SUBNET, "a"));
    assert_eq!(f.code.as_deref(), Some("Panic"));
    assert!(
        f.message.contains("subnet") && f.message.contains("index out of bounds"),
        "{}",
        f.message
    );
    assert_eq!(skipped(&s), SUBNET_A_USERS);
    assert_eq!(s.done.len(), g.len() - 5);
    assert!(rep.events().iter().any(
        |e| matches!(e, Event::Failed { code: Some(c), address, .. } if c == "Panic" && address.as_str() == "subnet.a")
    ));
    // The journal is settled (nothing pending) and the next up finishes.
    assert!(store.pending().is_empty());
    assert!(up(&e, &g, &store).await.unwrap().is_success());
    assert_converged(&cloud, &e, &g, &store).await;
}

#[tokio::test]
async fn a_panicking_or_short_read_fails_the_refresh_naming_the_kind() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    let store = open(d.path());
    up(&e, &g, &store).await.unwrap();
    cloud.panic_on_read(kinds::SUBNET, "unwrap on None");
    let err = e.refresh(&store.state(), &NullReporter).await.unwrap_err();
    match &err {
        EngineError::Refresh { kind, error } => {
            assert_eq!(kind, "subnet");
            assert_eq!(error.code.as_deref(), Some("Panic"));
            assert!(error.message.contains("unwrap on None"), "{error}");
        }
        other => panic!("{other}"),
    }
    // Two subnets asked for, one answered: an error, not a truncation.
    cloud.short_reads(kinds::SUBNET);
    let err = e.refresh(&store.state(), &NullReporter).await.unwrap_err();
    match &err {
        EngineError::Refresh { kind, error } => {
            assert_eq!(kind, "subnet");
            assert_eq!(error.code.as_deref(), Some("ShortRead"));
            assert!(error.message.contains("1 results for 2"), "{error}");
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("subnet"), "{err}");
}

#[tokio::test]
async fn provider_warnings_arrive_as_events() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    let lb = a(kinds::LB, "web");
    cloud.warn_on(&lb, FakeOp::Create, "idle timeout rounded to 60 s");
    let rep = Arc::new(CollectingReporter::new());
    let (_, s) = e
        .up(&g, &open(d.path()), rep.clone(), &CancellationToken::new())
        .await
        .unwrap();
    assert!(s.is_success());
    let warnings: Vec<Event> = rep
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::ProviderWarning { .. }))
        .collect();
    assert_eq!(
        warnings,
        vec![Event::ProviderWarning {
            address: lb,
            message: "idle timeout rounded to 60 s".into()
        }]
    );
}

#[tokio::test]
async fn a_lost_reply_create_is_adopted_not_sent_again() {
    let d = tempfile::tempdir().unwrap();
    // No idempotency tokens: a second CreateVpc would make a second VPC.
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    let vpc = a(kinds::VPC, "main");
    cloud.lose_reply(&vpc, FakeOp::Create, Some(1));
    let store = open(d.path());
    let rep = Arc::new(CollectingReporter::new());
    let (_, s) = e
        .up(&g, &store, rep.clone(), &CancellationToken::new())
        .await
        .unwrap();
    assert!(s.is_success(), "{s:#?}");
    assert_eq!(creates_of(&cloud, &vpc), 1, "the create was never resent");
    let events = rep.events();
    assert!(events.iter().any(|e| matches!(e, Event::Retrying { call, code: Some(c), attempt: 2, .. } if call == "create" && c == "RequestTimeout")));
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Adopted { address, .. } if address == &vpc)));
    assert_converged(&cloud, &e, &g, &store).await;
}

#[tokio::test]
async fn a_half_created_object_is_finished_by_an_update() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    let vpc = a(kinds::VPC, "main");
    // CreateVpc worked, ModifyVpcAttribute did not.
    cloud.half_create(&vpc, &["enable_dns_hostnames"]);
    let store = open(d.path());
    let s = up(&e, &g, &store).await.unwrap();
    assert!(s.is_success(), "{s:#?}");
    assert_eq!(creates_of(&cloud, &vpc), 1);
    let updates: Vec<Vec<String>> = cloud
        .calls()
        .iter()
        .filter(|c| c.op == FakeOp::Update && c.addresses[0] == vpc)
        .map(|c| c.fields.clone())
        .collect();
    assert_eq!(updates, vec![vec!["enable_dns_hostnames".to_string()]]);
    assert_eq!(
        cloud.by_address()[&vpc][0].props["enable_dns_hostnames"],
        true
    );
    assert_converged(&cloud, &e, &g, &store).await;
}

#[tokio::test]
async fn a_half_created_object_differing_in_a_force_new_field_is_tainted_then_replaced() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    let sub = a(kinds::SUBNET, "a");
    cloud.half_create(&sub, &["cidr_block"]);
    let store = open(d.path());
    let s = up(&e, &g, &store).await.unwrap();
    assert_eq!(s.failed.len(), 1);
    assert_eq!(s.failed[0].code.as_deref(), Some("Diverged"));
    assert!(
        s.failed[0].message.contains("cidr_block"),
        "{}",
        s.failed[0].message
    );
    assert_eq!(
        store.state().get(&sub).unwrap().status,
        gantry_state::Status::Tainted
    );
    assert_eq!(creates_of(&cloud, &sub), 1, "no second subnet this run");
    let (p, s) = e
        .up(
            &g,
            &store,
            Arc::new(NullReporter),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(p.get(&sub).unwrap().action, Action::Replace);
    assert!(s.is_success(), "{s:#?}");
    assert_converged(&cloud, &e, &g, &store).await;
}

#[tokio::test]
async fn a_retried_update_continues_from_what_aws_has() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let mut g = stack();
    let store = open(d.path());
    up(&e, &g, &store).await.unwrap();
    let lg = a(kinds::LOG_GROUP, "web");
    let props = &mut g.resources.get_mut(&lg).unwrap().props;
    props.insert("retention_in_days".into(), json!(90));
    props.insert("kms_key_id".into(), json!("key-1"));
    // PutRetentionPolicy went through, AssociateKmsKey did not.
    cloud.half_update(&lg, &["kms_key_id"]);
    let s = up(&e, &g, &store).await.unwrap();
    assert!(s.is_success(), "{s:#?}");
    let updates: Vec<Vec<String>> = cloud
        .calls()
        .iter()
        .filter(|c| c.op == FakeOp::Update && c.addresses[0] == lg)
        .map(|c| c.fields.clone())
        .collect();
    assert_eq!(
        updates,
        vec![
            vec!["kms_key_id".to_string(), "retention_in_days".to_string()],
            vec!["kms_key_id".to_string()],
        ]
    );
    assert_converged(&cloud, &e, &g, &store).await;
}

#[tokio::test]
async fn throttled_creates_updates_and_deletes_are_retried() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let mut g = stack();
    let sg = a(kinds::SECURITY_GROUP, "web");
    cloud.throttle(&sg, FakeOp::Create, Some(2));
    let store = open(d.path());
    let rep = Arc::new(CollectingReporter::new());
    let (_, s) = e
        .up(&g, &store, rep.clone(), &CancellationToken::new())
        .await
        .unwrap();
    assert!(s.is_success(), "{s:#?}");
    assert_eq!(creates_of(&cloud, &sg), 3);
    let retries = rep
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Retrying { code: Some(c), .. } if c == "Throttling"))
        .count();
    assert_eq!(retries, 2);
    assert_converged(&cloud, &e, &g, &store).await;

    g.resources.get_mut(&sg).unwrap().props.insert(
        "ingress".into(),
        json!([{"protocol": "tcp", "from_port": 443, "to_port": 443}]),
    );
    cloud.throttle(&sg, FakeOp::Update, Some(2));
    assert!(up(&e, &g, &store).await.unwrap().is_success());
    assert_converged(&cloud, &e, &g, &store).await;

    cloud.throttle(&sg, FakeOp::Delete, Some(2));
    let s = e
        .destroy(&store, Arc::new(NullReporter), &CancellationToken::new())
        .await
        .unwrap();
    assert!(s.is_success(), "{s:#?}");
    assert!(cloud.objects().is_empty());
}

#[tokio::test]
async fn retries_are_bounded_and_reported_with_the_code() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    let sub = a(kinds::SUBNET, "a");
    cloud.throttle(&sub, FakeOp::Create, None);
    let store = open(d.path());
    let s = up(&e, &g, &store).await.unwrap();
    assert_eq!(s.failed.len(), 1);
    let f = &s.failed[0];
    assert_eq!(f.address, sub);
    assert_eq!(f.code.as_deref(), Some("Throttling"));
    assert!(
        f.message.contains("gave up after 5 attempts"),
        "{}",
        f.message
    );
    assert_eq!(creates_of(&cloud, &sub), 1 + RETRIES as usize);
    assert_eq!(skipped(&s), SUBNET_A_USERS);
    assert!(store.pending().is_empty(), "nothing was made: settled");
    assert!(!cloud.by_address().contains_key(&sub));
}

#[tokio::test]
async fn a_lost_reply_that_cannot_be_looked_up_is_left_for_recovery() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    let vpc = a(kinds::VPC, "main");
    cloud.lose_reply(&vpc, FakeOp::Create, Some(1));
    // Every lookup of this run fails: the retry budget, then the last look.
    cloud.fail_with(
        &vpc,
        FakeOp::Find,
        Some(RETRIES + 1),
        transient("ServiceUnavailable"),
    );
    let store = open(d.path());
    let s = up(&e, &g, &store).await.unwrap();
    assert_eq!(s.failed.len(), 1);
    assert!(
        s.failed[0]
            .message
            .contains("looks for it before creating it again"),
        "{}",
        s.failed[0].message
    );
    assert_eq!(creates_of(&cloud, &vpc), 1, "never resent unseen");
    assert_eq!(store.pending().len(), 1, "the intent stays open");
    drop(store);
    let store = open(d.path());
    let rep = Arc::new(CollectingReporter::new());
    let (_, s) = e
        .up(&g, &store, rep.clone(), &CancellationToken::new())
        .await
        .unwrap();
    assert!(s.is_success(), "{s:#?}");
    assert!(rep
        .events()
        .iter()
        .any(|e| matches!(e, Event::Adopted { address, .. } if address == &vpc)));
    assert_eq!(creates_of(&cloud, &vpc), 1);
    assert_converged(&cloud, &e, &g, &store).await;
}

#[tokio::test]
async fn throttled_refresh_reads_and_listings_are_retried() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    let store = open(d.path());
    up(&e, &g, &store).await.unwrap();
    let throttled =
        || ProviderError::new("Throttling", "Rate exceeded").with_kind(ErrorKind::Throttled);
    cloud.fail_reads(kinds::SUBNET, Some(2), throttled());
    cloud.fail_inventory(Some(1), throttled());
    e.refresh(&store.state(), &NullReporter).await.unwrap();
    // Beyond the budget the refresh fails, naming the kind.
    cloud.fail_reads(kinds::SUBNET, None, throttled());
    match e.refresh(&store.state(), &NullReporter).await.unwrap_err() {
        EngineError::Refresh { kind, error } => {
            assert_eq!(kind, "subnet");
            assert!(
                error.message.contains("gave up after 5 attempts"),
                "{error}"
            );
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn an_update_without_a_recorded_id_fails_that_operation() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let mut g = DesiredGraph::new();
    add(
        &mut g,
        kinds::LOG_GROUP,
        "a",
        json!({"name": "/a", "retention_in_days": 30}),
    );
    let lg = a(kinds::LOG_GROUP, "a");
    let store = open(d.path());
    // A record without an id (a provider that returned none).
    let it = store
        .begin(
            gantry_state::Op::Create,
            &lg,
            kinds::LOG_GROUP,
            None,
            json!({"name": "/a", "retention_in_days": 7})
                .as_object()
                .unwrap(),
            &[],
        )
        .await
        .unwrap();
    store
        .finish(
            it.seq,
            gantry_state::Outcome::Ok {
                id: None,
                outputs: Default::default(),
            },
        )
        .await
        .unwrap();
    let p = plan(&g, &store.state(), &gantry_plan::Refreshed::none()).unwrap();
    assert_eq!(p.get(&lg).unwrap().action, Action::Update);
    let s = e
        .apply(
            &p,
            &g,
            &store,
            Arc::new(NullReporter),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(s.failed.len(), 1);
    assert_eq!(s.failed[0].code.as_deref(), Some("MissingId"));
    assert!(cloud.calls().iter().all(|c| c.op != FakeOp::Update));
}

/// The stack applied into a fresh state directory whose cloud already has
/// every object (what losing `state.json` leaves), plus objects the spec
/// does not want.
#[tokio::test]
async fn plan_names_orphans_and_up_adopts_only_the_wanted_ones() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    let first = tempfile::tempdir().unwrap();
    assert!(up(&e, &g, &open(first.path())).await.unwrap().is_success());
    let tags = test_tags();
    let extra = cloud.plant(&tags, &a(kinds::SUBNET, "extra"), serde_json::Map::new());
    let twin = cloud.plant(
        &tags,
        &a(kinds::LOG_GROUP, "web"),
        json!({"name": "/app/web-old"}).as_object().unwrap().clone(),
    );
    // Another stack's object is not this stack's orphan.
    let other = gantry_core::StackTags {
        stack: "other".into(),
        env: "test".into(),
        extra: Default::default(),
    };
    cloud.plant(&other, &a(kinds::SUBNET, "theirs"), serde_json::Map::new());
    let objects_before = cloud.objects().len();

    let d = tempfile::tempdir().unwrap();
    let store = open(d.path());
    let refreshed = e.refresh(&store.state(), &NullReporter).await.unwrap();
    assert_eq!(refreshed.orphans.len(), g.len() + 2);
    let p = plan(&g, &store.state(), &refreshed).unwrap();
    assert_eq!(
        p.summary.adopt,
        g.len(),
        "{}",
        gantry_plan::render_text(&p, false)
    );
    assert_eq!(p.summary.add, 0);
    let mut untracked: Vec<&str> = p.untracked.iter().map(|u| u.id.as_str()).collect();
    untracked.sort();
    let mut want = vec![extra.as_str(), twin.as_str()];
    want.sort();
    assert_eq!(untracked, want);
    let text = gantry_plan::render_text(&p, false);
    assert!(text.contains("`gantry destroy` removes them"), "{text}");

    let rep = Arc::new(CollectingReporter::new());
    let (_, s) = e
        .up(&g, &store, rep.clone(), &CancellationToken::new())
        .await
        .unwrap();
    assert!(s.is_success(), "{s:#?}");
    assert!(
        cloud
            .calls()
            .iter()
            .filter(|c| c.op == FakeOp::Create)
            .count()
            == g.len()
    );
    let adopted = rep
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Adopted { .. }))
        .count();
    assert_eq!(adopted, g.len());
    assert_eq!(
        cloud.objects().len(),
        objects_before,
        "up leaves the untracked alone"
    );
    let st = store.state();
    assert_eq!(st.len(), g.len());
    let refreshed = e.refresh(&st, &NullReporter).await.unwrap();
    let p = plan(&g, &st, &refreshed).unwrap();
    assert!(!p.has_changes(), "{}", gantry_plan::render_text(&p, false));
    assert_eq!(p.untracked.len(), 2);
}

#[tokio::test]
async fn an_orphan_that_differs_is_updated_or_replaced_when_adopted() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let mut g = DesiredGraph::new();
    add(
        &mut g,
        kinds::VPC,
        "main",
        json!({"name": "v", "cidr_block": "10.0.0.0/16"}),
    );
    add(
        &mut g,
        kinds::LOG_GROUP,
        "a",
        json!({"name": "/a", "retention_in_days": 30}),
    );
    let tags = test_tags();
    let vpc = cloud.plant(
        &tags,
        &a(kinds::VPC, "main"),
        json!({"name": "v", "cidr_block": "10.9.0.0/16"})
            .as_object()
            .unwrap()
            .clone(),
    );
    let lg = cloud.plant(
        &tags,
        &a(kinds::LOG_GROUP, "a"),
        json!({"name": "/a", "retention_in_days": 7})
            .as_object()
            .unwrap()
            .clone(),
    );
    let d = tempfile::tempdir().unwrap();
    let store = open(d.path());
    let (p, s) = e
        .up(
            &g,
            &store,
            Arc::new(NullReporter),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert!(s.is_success(), "{s:#?}");
    assert_eq!(
        p.get(&a(kinds::VPC, "main")).unwrap().action,
        Action::Replace
    );
    assert_eq!(
        p.get(&a(kinds::LOG_GROUP, "a")).unwrap().action,
        Action::Adopt
    );
    // The VPC with the wrong CIDR block was replaced, the log group kept.
    assert!(cloud.objects().iter().all(|o| o.id != vpc));
    assert_eq!(store.state().get(&a(kinds::LOG_GROUP, "a")).unwrap().id, lg);
    assert_converged(&cloud, &e, &g, &store).await;
}

#[tokio::test]
async fn destroy_removes_orphans_too_in_dependency_order() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::with_latency(Duration::from_millis(5));
    let e = engine(&cloud, Limits::uniform(16));
    cloud.set_read_limits(Limits::uniform(16));
    let g = stack();
    let store = open(d.path());
    assert!(up(&e, &g, &store).await.unwrap().is_success());
    let tags = test_tags();
    // An old VPC with a subnet in it and a security group naming the
    // recorded VPC, none of them recorded; and a deleted VPC still listed.
    let old_vpc = a(kinds::VPC, "old");
    let old_vpc_id = cloud.plant(
        &tags,
        &old_vpc,
        json!({"cidr_block": "10.8.0.0/16"})
            .as_object()
            .unwrap()
            .clone(),
    );
    let old_sub = a(kinds::SUBNET, "old");
    let old_sub_id = cloud.plant(
        &tags,
        &old_sub,
        json!({"vpc_id": old_vpc_id}).as_object().unwrap().clone(),
    );
    let vpc_id = store
        .state()
        .get(&a(kinds::VPC, "main"))
        .unwrap()
        .id
        .clone();
    let sg = a(kinds::SECURITY_GROUP, "old");
    cloud.plant(
        &tags,
        &sg,
        json!({"vpc_id": vpc_id}).as_object().unwrap().clone(),
    );
    cloud.ghost(kinds::VPC, "vpc-gone", &a(kinds::VPC, "gone"));

    let p = e.plan_destroy(&store, &NullReporter).await.unwrap();
    let untracked: Vec<&str> = p
        .deletions()
        .filter(|a| a.found.is_some())
        .map(|a| a.address.as_str())
        .collect();
    assert_eq!(untracked.len(), 3, "{untracked:?}");
    assert!(
        !untracked.contains(&"vpc.gone"),
        "gone objects are not listed"
    );
    assert_eq!(p.deletions().count(), g.len() + 3);

    let s = e
        .apply(
            &p,
            &DesiredGraph::new(),
            &store,
            Arc::new(NullReporter),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert!(s.is_success(), "{s:#?}");
    assert!(cloud.objects().is_empty(), "{:#?}", cloud.objects());
    let calls = cloud.calls();
    let deleted = |id: &str| {
        calls
            .iter()
            .find(|c| c.op == FakeOp::Delete && c.id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("{id} not deleted"))
    };
    assert!(deleted(&old_sub_id).end <= deleted(&old_vpc_id).start);
    let sg_call = calls
        .iter()
        .find(|c| c.op == FakeOp::Delete && c.addresses[0] == sg)
        .unwrap();
    assert!(sg_call.end <= deleted(&vpc_id).start);
    assert!(calls.iter().all(|c| c.id.as_deref() != Some("vpc-gone")));
}

#[tokio::test]
async fn retried_and_adopting_up_crashed_at_every_journal_point_converges() {
    let g = stack();
    let vpc = a(kinds::VPC, "main");
    let sub = a(kinds::SUBNET, "a");
    let sg = a(kinds::SECURITY_GROUP, "web");
    let lg = a(kinds::LOG_GROUP, "web");
    // A lost reply, a half-done create, throttling, and an orphan to adopt.
    let troubled = |cloud: &Arc<FakeCloud>| {
        cloud.lose_reply(&vpc, FakeOp::Create, Some(1));
        cloud.half_create(&sub, &["name"]);
        cloud.throttle(&sg, FakeOp::Create, Some(1));
        cloud.plant(
            &test_tags(),
            &lg,
            json!({"name": "/app/web", "retention_in_days": 7})
                .as_object()
                .unwrap()
                .clone(),
        );
    };
    let intents = {
        let d = tempfile::tempdir().unwrap();
        let cloud = FakeCloud::new();
        troubled(&cloud);
        let e = engine(&cloud, Limits::aws_defaults());
        let store = open(d.path());
        assert!(up(&e, &g, &store).await.unwrap().is_success());
        store.state().next_seq - 1
    };
    // One per operation, the subnet's finishing update and the adoption.
    assert_eq!(intents, g.len() as u64 + 2);
    {
        let g = &g;
        for point in crash_points(intents) {
            let d = tempfile::tempdir().unwrap();
            let cloud = FakeCloud::with_latency(Duration::from_millis(1));
            troubled(&cloud);
            let e = engine(&cloud, Limits::aws_defaults());
            let store = open(d.path());
            store.set_crash_point(Some(point));
            let err = up(&e, g, &store).await.unwrap_err();
            assert!(
                matches!(err, EngineError::State(StateError::Crashed)),
                "{point:?}: {err}"
            );
            drop(store);
            let store = open(d.path());
            let s = up(&e, g, &store).await.unwrap();
            assert!(s.is_success(), "{point:?}: {s:#?}");
            assert_converged(&cloud, &e, g, &store).await;
            assert_eq!(creates_of(&cloud, &vpc), 1, "{point:?}: one CreateVpc");
            assert_eq!(creates_of(&cloud, &lg), 0, "{point:?}: the orphan adopted");
        }
    }
}

#[test]
fn the_cost_model_counts_batches_and_per_resource_calls() {
    assert_eq!(read_cost(kinds::SUBNET).calls(450), 3);
    assert_eq!(read_cost(kinds::VPC).calls(60), 1 + 120);
    assert_eq!(read_cost(kinds::LB_TARGET_GROUP).calls(600), 30 + 600);
    assert_eq!(read_cost(kinds::ECS_SERVICE).calls(1200), 120);
    assert_eq!(read_cost(kinds::S3_BUCKET).calls(3), 21);
    assert_eq!(read_cost(kinds::KMS_KEY).calls(2), 6);
    // Kinds without a batched read: one call per resource.
    assert_eq!(read_cost(kinds::EFS_ACCESS_POINT).calls(5), 5);
    assert_eq!(read_cost(kinds::VPC).calls(0), 0);
}

/// `state import`: an object made outside the stack is read by id and
/// recorded at the address, after which the plan has nothing to do for it;
/// an address the spec lacks, an id AWS lacks and an address already
/// recorded are refused, each saying so.
#[tokio::test]
async fn import_records_an_object_made_elsewhere() {
    use gantry_execute::ImportError;
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let mut g = DesiredGraph::new();
    let props = json!({"name": "/app/web", "retention_in_days": 30});
    add(&mut g, kinds::LOG_GROUP, "web", props.clone());
    let elsewhere = gantry_core::StackTags {
        stack: "console".into(),
        env: "made-by-hand".into(),
        extra: Default::default(),
    };
    let addr = a(kinds::LOG_GROUP, "web");
    let id = cloud.plant(&elsewhere, &addr, props.as_object().unwrap().clone());
    let d = tempfile::tempdir().unwrap();
    let store = open(d.path());
    let err = |r: Result<(), ImportError>| r.unwrap_err();
    assert!(matches!(
        err(e
            .import(&store, &g, &a(kinds::LOG_GROUP, "api"), &id, &NullReporter)
            .await),
        ImportError::NotInSpec(_)
    ));
    assert!(matches!(
        err(e
            .import(&store, &g, &addr, "no-such-id", &NullReporter)
            .await),
        ImportError::NotFound { .. }
    ));
    e.import(&store, &g, &addr, &id, &NullReporter)
        .await
        .unwrap();
    assert!(matches!(
        err(e.import(&store, &g, &addr, &id, &NullReporter).await),
        ImportError::Recorded { .. }
    ));
    drop(store);
    let store = open(d.path());
    assert_eq!(store.state().get(&addr).unwrap().id, id);
    let refreshed = e.refresh(&store.state(), &NullReporter).await.unwrap();
    let p = plan(&g, &store.state(), &refreshed).unwrap();
    assert!(!p.has_changes(), "{}", gantry_plan::render_text(&p, false));
    assert!(cloud.calls().iter().all(|c| c.op != FakeOp::Create));
}
