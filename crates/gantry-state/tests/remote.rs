//! Remote state over an object store that behaves no better than S3
//! ([`MemoryObjects`]: conditional writes per key, content ETags, no
//! multi-object atomicity, injectable faults): the lock taken by
//! conditional writes, a taken-over holder fenced off by S3's own
//! conditions, the journal durable before every call and replayed after a
//! crash, lost replies resolved, and a state moved between backends intact.

use gantry_core::{kinds, Address, Props};
use gantry_state::object::{Fault, OpKind};
use gantry_state::remote::{JOURNAL_PREFIX, LOCK_OBJECT, SNAPSHOT_OBJECT};
use gantry_state::{
    Backend, Fence, MemoryObjects, ObjectStore, Op, Outcome, Remote, StateError, StateLock, Store,
};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

fn ok(id: &str) -> Outcome {
    Outcome::Ok {
        id: Some(id.into()),
        outputs: json!({ "id": id }).as_object().unwrap().clone(),
    }
}

fn vpc(name: &str) -> Address {
    Address::of(kinds::VPC, name)
}

fn remote() -> (Arc<MemoryObjects>, Backend) {
    let m = MemoryObjects::new();
    let objects: Arc<dyn ObjectStore> = m.clone();
    (m, Backend::Remote(Remote::new(objects, "team/app-dev")))
}

fn lock(b: &Backend, lease: Duration) -> Arc<StateLock> {
    Arc::new(StateLock::acquire_at(b, "up", lease).unwrap())
}

fn store(b: &Backend, l: &Arc<StateLock>) -> Store {
    Store::open_fenced_at(b, "app", "dev", l.clone()).unwrap()
}

fn segments(m: &MemoryObjects) -> Vec<String> {
    m.list(&format!("team/app-dev/{JOURNAL_PREFIX}")).unwrap()
}

fn object(m: &MemoryObjects, name: &str) -> Value {
    let o = m.get(&format!("team/app-dev/{name}")).unwrap().unwrap();
    serde_json::from_slice(&o.bytes).unwrap()
}

#[tokio::test]
async fn a_run_records_compacts_and_releases() {
    let (m, b) = remote();
    let l = lock(&b, LONG);
    let s = store(&b, &l);
    let i = s
        .begin(Op::Create, &vpc("a"), kinds::VPC, None, &Props::new(), &[])
        .await
        .unwrap();
    s.finish(i.seq, ok("vpc-a")).await.unwrap();
    assert_eq!(segments(&m).len(), 2, "intent and result, each durable");
    s.compact().unwrap();
    assert!(
        segments(&m).is_empty(),
        "compaction deletes what it includes"
    );
    let snap = object(&m, SNAPSHOT_OBJECT);
    assert_eq!(snap["serial"], 1);
    assert_eq!(snap["generation"], l.generation());
    assert_eq!(snap["resources"]["vpc.a"]["id"], "vpc-a");
    drop(s);
    Arc::try_unwrap(l).ok().unwrap().release().unwrap();

    // The released lock stays as a marker with its generation.
    let rec = object(&m, LOCK_OBJECT);
    assert_eq!(rec["released"], true);
    assert!(b.read_lock().unwrap().is_none());
    let l2 = lock(&b, LONG);
    assert_eq!(l2.generation(), rec["generation"].as_u64().unwrap() + 1);
    let st = b.read_state("app", "dev").unwrap();
    assert_eq!(st.resources[&vpc("a")].id, "vpc-a");
}

#[test]
fn a_second_run_is_refused_naming_the_holder() {
    let (_m, b) = remote();
    let l = lock(&b, LONG);
    let err = StateLock::acquire_at(&b, "destroy", LONG).err().unwrap();
    let StateError::Locked(h) = &err else {
        panic!("{err}")
    };
    assert_eq!(h.id, l.info().id);
    assert_eq!(h.command, "up");
    assert!(err.to_string().contains("running `up`"), "{err}");
    assert_eq!(b.read_lock().unwrap().unwrap().id, l.info().id);
}

#[tokio::test]
async fn every_intent_is_in_the_store_before_begin_returns() {
    let (m, b) = remote();
    let l = lock(&b, LONG);
    let s = store(&b, &l);
    let i = s
        .begin(Op::Create, &vpc("a"), kinds::VPC, None, &Props::new(), &[])
        .await
        .unwrap();
    let segs = segments(&m);
    assert_eq!(segs.len(), 1);
    let text = String::from_utf8(m.get(&segs[0]).unwrap().unwrap().bytes).unwrap();
    assert!(text.contains(&i.token), "{text}");

    // A segment that cannot be written: the intent is not handed out.
    m.inject(OpKind::Create, Some(JOURNAL_PREFIX), Fault::Fail);
    let err = s
        .begin(Op::Create, &vpc("b"), kinds::VPC, None, &Props::new(), &[])
        .await
        .expect_err("not durable, not handed out");
    assert!(matches!(err, StateError::Remote { .. }), "{err}");
}

#[tokio::test]
async fn a_crashed_run_is_replayed_and_its_intent_is_pending() {
    let (m, b) = remote();
    let token;
    {
        let l = lock(&b, Duration::from_millis(50));
        let s = store(&b, &l);
        let i = s
            .begin(Op::Create, &vpc("a"), kinds::VPC, None, &Props::new(), &[])
            .await
            .unwrap();
        s.finish(i.seq, ok("vpc-a")).await.unwrap();
        token = s
            .begin(Op::Create, &vpc("b"), kinds::VPC, None, &Props::new(), &[])
            .await
            .unwrap()
            .token;
        // kill -9: nothing compacted, nothing released.
        std::mem::forget(s);
        std::mem::forget(l);
    }
    std::thread::sleep(Duration::from_millis(60));
    let l = lock(&b, LONG);
    let (was, why) = l.took_over().expect("a takeover");
    assert!(why.contains("expired") || why.contains("gone"), "{why}");
    assert!(l.generation() > was.generation);
    let s = store(&b, &l);
    assert_eq!(s.state().resources[&vpc("a")].id, "vpc-a");
    let p = s.pending();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].token, token);
    // The pending intent survives compaction, in the snapshot now.
    assert!(segments(&m).is_empty());
    assert_eq!(object(&m, SNAPSHOT_OBJECT)["pending"][0]["token"], token);
    drop(s);
    let s = store(&b, &l);
    assert_eq!(s.pending().len(), 1);
    let seq = s.pending()[0].seq;
    s.finish(seq, ok("vpc-b")).await.unwrap();
    s.compact().unwrap();
    assert!(object(&m, SNAPSHOT_OBJECT).get("pending").is_none());
    assert_eq!(s.state().resources[&vpc("b")].id, "vpc-b");
}

#[tokio::test]
async fn a_taken_over_holder_writes_nothing_more() {
    let (m, b) = remote();
    let first = lock(&b, Duration::from_millis(40));
    let old = store(&b, &first);
    let done = old
        .begin(Op::Create, &vpc("a"), kinds::VPC, None, &Props::new(), &[])
        .await
        .unwrap();
    old.finish(done.seq, ok("vpc-a")).await.unwrap();
    let in_flight = old
        .begin(Op::Create, &vpc("b"), kinds::VPC, None, &Props::new(), &[])
        .await
        .unwrap();
    // The laptop sleeps past the lease; another run takes over.
    std::thread::sleep(Duration::from_millis(50));
    let second = Arc::new(StateLock::acquire_at(&b, "destroy", LONG).unwrap());
    let (was, why) = second.took_over().expect("a takeover");
    assert_eq!(was.id, first.info().id);
    assert!(why.contains("expired"), "{why}");
    let new = store(&b, &second);
    assert_eq!(new.state().resources[&vpc("a")].id, "vpc-a");
    assert_eq!(new.pending()[0].seq, in_flight.seq);
    let before = m.snapshot();

    // The old holder wakes up: its lease is past, its renewal's condition
    // fails, and every write is refused, naming the new holder.
    let err = old
        .finish(in_flight.seq, ok("vpc-b"))
        .await
        .expect_err("result refused");
    let StateError::Fenced {
        generation,
        holder,
        released,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(*generation, first.generation());
    assert!(!released);
    assert_eq!(holder.as_ref().unwrap().id, second.info().id);
    assert!(err.to_string().contains("`destroy`"), "{err}");
    assert!(first.is_lost());
    assert!(matches!(first.check(), Err(StateError::Fenced { .. })));
    assert!(matches!(old.compact(), Err(StateError::Fenced { .. })));
    assert_eq!(m.snapshot(), before, "the old holder wrote nothing");
    assert_eq!(old.unrecorded().len(), 1);

    new.finish(in_flight.seq, ok("vpc-b")).await.unwrap();
    new.compact().unwrap();
    assert_eq!(new.state().len(), 2);
}

#[tokio::test]
async fn a_stale_snapshot_write_fails_its_condition() {
    let (m, b) = remote();
    let first = lock(&b, Duration::from_secs(3600));
    let old = store(&b, &first);
    let i = old
        .begin(Op::Create, &vpc("a"), kinds::VPC, None, &Props::new(), &[])
        .await
        .unwrap();
    old.finish(i.seq, ok("vpc-a")).await.unwrap();
    // `gantry unlock`, then another run: the old holder's lease still
    // looks fresh to it, but S3 refuses its snapshot.
    assert_eq!(b.force_unlock().unwrap().unwrap().id, first.info().id);
    let second = lock(&b, LONG);
    let new = store(&b, &second);
    let before = m.snapshot();
    let err = old.compact().expect_err("refused by S3's condition");
    assert!(matches!(err, StateError::Fenced { .. }), "{err}");
    assert!(first.is_lost());
    assert_eq!(m.snapshot(), before);
    assert_eq!(new.state().resources[&vpc("a")].id, "vpc-a");
}

#[tokio::test]
async fn segments_a_stale_run_writes_late_are_ignored() {
    let (m, b) = remote();
    let first = lock(&b, Duration::from_millis(20));
    let old = store(&b, &first);
    std::thread::sleep(Duration::from_millis(30));
    let second = lock(&b, LONG);
    let new = store(&b, &second);
    // The old holder passed its check before sleeping, and its write lands
    // now: under the new holder's watermark.
    let late = json!({"type": "edit", "gen": first.generation(), "edit": "resource",
        "address": "vpc.ghost", "resource": {"kind": "vpc", "id": "vpc-ghost", "props": {},
        "outputs": {}, "dependencies": [], "status": "ok"}});
    m.put_raw(
        &format!(
            "team/app-dev/{JOURNAL_PREFIX}{:020}-{:010}.jsonl",
            first.generation(),
            7
        ),
        Some(format!("{late}\n").as_bytes()),
    );
    assert!(b.read_state("app", "dev").unwrap().resources.is_empty());
    new.compact().unwrap();
    drop(new);
    drop(old);
    let again = store(&b, &second);
    assert!(again.state().resources.is_empty());
    again.compact().unwrap();
    assert!(segments(&m).is_empty(), "the stray is deleted once covered");
}

#[tokio::test]
async fn lost_replies_are_resolved_by_reading_back() {
    let (m, b) = remote();
    m.inject(OpKind::Create, Some(LOCK_OBJECT), Fault::LostReplyResent);
    let l = lock(&b, LONG);
    m.inject(
        OpKind::Create,
        Some(SNAPSHOT_OBJECT),
        Fault::LostReplyResent,
    );
    let s = store(&b, &l);
    m.inject(OpKind::Create, Some(JOURNAL_PREFIX), Fault::LostReplyResent);
    let i = s
        .begin(Op::Create, &vpc("a"), kinds::VPC, None, &Props::new(), &[])
        .await
        .unwrap();
    s.finish(i.seq, ok("vpc-a")).await.unwrap();
    m.inject(
        OpKind::Replace,
        Some(SNAPSHOT_OBJECT),
        Fault::LostReplyResent,
    );
    s.compact().unwrap();
    m.inject(OpKind::Replace, Some(LOCK_OBJECT), Fault::LostReplyResent);
    l.renew().unwrap();
    assert!(!l.is_lost());
    s.compact().unwrap();
    assert_eq!(
        b.read_state("app", "dev").unwrap().resources[&vpc("a")].id,
        "vpc-a"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_operations_share_segment_writes() {
    let (m, b) = remote();
    let l = lock(&b, LONG);
    let s = Arc::new(store(&b, &l));
    let before = m.total_calls();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let a = Address::of(kinds::LOG_GROUP, &format!("l{i}"));
                let it = s
                    .begin(Op::Create, &a, kinds::LOG_GROUP, None, &Props::new(), &[])
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
                s.finish(it.seq, ok(&format!("lg-{i}"))).await.unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let puts = m.calls(OpKind::Create);
    s.compact().unwrap();
    let calls = m.total_calls() - before;
    eprintln!(
        "100 operations: {puts} segment writes, {calls} calls in all ({} deletes, {} replaces)",
        m.calls(OpKind::Delete),
        m.calls(OpKind::Replace)
    );
    assert!(puts < 200, "{puts} segment writes for 200 records");
    drop(s);
    assert_eq!(
        Store::open_fenced_at(&b, "app", "dev", l.clone())
            .unwrap()
            .state()
            .len(),
        100
    );
}

#[tokio::test]
async fn state_moves_between_backends_with_serial_and_history() {
    let d = tempfile::tempdir().unwrap();
    let local = Backend::Local(d.path().to_path_buf());
    let (_m, remote) = remote();
    let source = {
        let l = lock(&local, LONG);
        let s = store(&local, &l);
        for n in ["a", "b"] {
            let i = s
                .begin(Op::Create, &vpc(n), kinds::VPC, None, &Props::new(), &[])
                .await
                .unwrap();
            s.finish(i.seq, ok(&format!("vpc-{n}"))).await.unwrap();
            s.compact().unwrap();
        }
        s.state()
    };
    assert_eq!(source.serial, 2);

    let l = lock(&remote, LONG);
    store(&remote, &l).adopt(&source).unwrap();
    let there = remote.read_state("app", "dev").unwrap();
    assert_eq!(there.resources, source.resources);
    assert_eq!((there.serial, &there.lineage), (2, &source.lineage));
    assert_eq!(there.generation, l.generation());
    drop(l);

    // Back again, over the old copy of the same lineage.
    let l = lock(&local, LONG);
    let s = store(&local, &l);
    s.adopt(&there).unwrap();
    let back = local.read_state("app", "dev").unwrap();
    assert_eq!((back.serial, back.resources.len()), (2, 2));
    assert!(back.generation >= l.generation());

    // Another stack history is never overwritten.
    let mut other = gantry_state::State::new("app", "dev");
    other.serial = 9;
    let err = s.adopt(&other).expect_err("another lineage");
    assert!(matches!(err, StateError::Conflict { .. }), "{err}");
}

#[test]
fn a_released_lock_fences_its_old_holder() {
    let (_m, b) = remote();
    let l = lock(&b, LONG);
    b.force_unlock().unwrap();
    let err = l.renew().expect_err("no longer ours");
    assert!(matches!(err, StateError::Fenced { .. }), "{err}");
    assert!(l.is_lost());
}

/// A fence whose check passed, but whose lease lapsed before the write
/// left (the process froze in between).
struct LapsedAtTheLastMoment {
    inner: Arc<StateLock>,
}

impl Fence for LapsedAtTheLastMoment {
    fn generation(&self) -> u64 {
        self.inner.generation()
    }
    fn check(&self) -> Result<(), StateError> {
        Ok(())
    }
    fn still_fresh(&self) -> bool {
        false
    }
    fn confirm(&self) -> Result<(), StateError> {
        Err(StateError::Fenced {
            path: "x".into(),
            generation: self.inner.generation(),
            holder: None,
            released: true,
        })
    }
}

#[tokio::test]
async fn a_segment_is_not_sent_once_the_lease_lapsed_after_the_check() {
    let (m, b) = remote();
    let l = lock(&b, LONG);
    let fence: Arc<dyn Fence> = Arc::new(LapsedAtTheLastMoment { inner: l.clone() });
    let s = Store::open_fenced_at(&b, "app", "dev", fence).unwrap();
    let before = m.snapshot();
    let err = s
        .begin(Op::Create, &vpc("a"), kinds::VPC, None, &Props::new(), &[])
        .await
        .expect_err("not sent");
    assert!(matches!(err, StateError::Fenced { .. }), "{err}");
    assert_eq!(m.snapshot(), before, "nothing written");
    assert!(segments(&m).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_heartbeat_outlasts_a_failed_renewal_and_notices_a_takeover() {
    let (m, b) = remote();
    let l = lock(&b, Duration::from_millis(300));
    l.spawn_heartbeat();
    m.inject(OpKind::Replace, Some(LOCK_OBJECT), Fault::Fail);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!l.is_lost());
    let held = b.read_lock().unwrap().unwrap();
    assert!(
        held.lease_expires > time::OffsetDateTime::now_utc(),
        "renewed after the failure"
    );
    assert!(m.calls(OpKind::Replace) >= 3);

    // Released by hand and taken by another run: the next beat sees it.
    b.force_unlock().unwrap();
    let _other = lock(&b, LONG);
    tokio::time::timeout(Duration::from_secs(2), l.lost())
        .await
        .expect("loss noticed");
}
