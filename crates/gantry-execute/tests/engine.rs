//! Engine tests against the fake cloud: ordering under parallelism,
//! concurrency limits, failure isolation, crash-at-every-journal-point
//! recovery for up and destroy, replacement ordering, cancellation, secrets.

use gantry_core::{kinds, reference, Address, DesiredGraph, KindMeta, Resource};
use gantry_execute::fake::{test_tags, FakeCloud, FakeOp};
use gantry_execute::{
    CancellationToken, CollectingReporter, Engine, EngineError, Event, Limits, NullReporter,
    Summary,
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
        json!({"name": "app", "cidr_block": "10.0.0.0/16"}),
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

/// The fake cloud is consistent at once: no pause before a second look.
fn engine(cloud: &Arc<FakeCloud>, limits: Limits) -> Engine {
    Engine::new(cloud.providers(), test_tags(), limits).with_settle(Duration::ZERO)
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
    for (addr, objs) in &objects {
        assert_eq!(objs.len(), 1, "duplicates of {addr}: {objs:#?}");
    }
    assert_eq!(
        objects.len(),
        g.len(),
        "{:?}",
        objects.keys().collect::<Vec<_>>()
    );
    let st = store.state();
    assert_eq!(st.len(), g.len());
    for (addr, rs) in &st.resources {
        assert_eq!(objects[addr][0].id, rs.id, "{addr}");
        assert!(rs.deposed.is_empty());
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
async fn task_definition_is_replaced_create_before_destroy() {
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
    let deleted = call_index(&cloud, FakeOp::Delete, &td, 0);
    assert!(
        created < updated && updated < deleted,
        "{created} {updated} {deleted}"
    );
    assert_eq!(cloud.calls()[deleted].id.as_deref(), Some(old_id.as_str()));
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

#[tokio::test]
async fn refresh_is_one_batched_read_per_kind_and_sees_drift() {
    let d = tempfile::tempdir().unwrap();
    let cloud = FakeCloud::new();
    let e = engine(&cloud, Limits::aws_defaults());
    let g = stack();
    let store = open(d.path());
    up(&e, &g, &store).await.unwrap();
    let before = cloud.calls().len();
    let st = store.state();
    let sg_id = st.get(&a(kinds::SECURITY_GROUP, "web")).unwrap().id.clone();
    let lg_id = st.get(&a(kinds::LOG_GROUP, "web")).unwrap().id.clone();
    cloud.set_prop(
        &sg_id,
        "ingress",
        json!([{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0"}]),
    );
    cloud.remove_object(&lg_id);
    let refreshed = e.refresh(&st, &NullReporter).await.unwrap();
    let reads = &cloud.calls()[before..];
    let kinds: std::collections::BTreeSet<&str> =
        g.resources.values().map(|r| r.kind.as_str()).collect();
    assert_eq!(reads.len(), kinds.len());
    assert!(reads.iter().all(|c| c.op == FakeOp::Read));
    assert_eq!(
        reads.iter().map(|c| c.addresses.len()).sum::<usize>(),
        g.len()
    );
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
        assert_converged(&cloud, &e, &g1, &store).await;
        // The state records what was applied, not only the cloud.
        let sg = a(kinds::SECURITY_GROUP, "web");
        assert_eq!(
            open_state(&d).get(&sg).unwrap().props["ingress"],
            g1.get(&sg).unwrap().props["ingress"],
            "{point:?}"
        );
        let td = &cloud.by_address()[&a(kinds::ECS_TASK_DEFINITION, "web")][0];
        assert_eq!(td.props["containers"][0]["image"], "app:2", "{point:?}");
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
