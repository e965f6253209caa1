//! Fenced locks: a run whose lock was taken over writes nothing more, lock
//! generations only go up, and replay ignores what an older generation
//! appended after a newer one, pairing intents and results per generation.

use gantry_core::{kinds, Address, Props};
use gantry_state::journal::first_seq;
use gantry_state::{
    force_unlock, read_lock, read_state, Fence, LockInfo, Op, Outcome, StateError, StateLock,
    Store, FENCE_FILE, JOURNAL_FILE, LOCK_FILE, STATE_FILE,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// Every file in `dir` with its bytes: what "unchanged" is compared on.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn lines(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join(JOURNAL_FILE))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn fenced_store(dir: &Path, lock: &Arc<StateLock>) -> Store {
    Store::open_fenced(dir, "app", "dev", lock.clone()).unwrap()
}

/// A lock whose lease lapses at once, as if its holder had slept past it.
fn lapsing_lock(dir: &Path) -> Arc<StateLock> {
    Arc::new(StateLock::acquire(dir, "up", Duration::from_millis(1)).unwrap())
}

#[tokio::test]
async fn a_taken_over_holder_writes_nothing_more() {
    let d = tempfile::tempdir().unwrap();
    let first = lapsing_lock(d.path());
    let old = fenced_store(d.path(), &first);
    let done = old
        .begin(Op::Create, &vpc("a"), kinds::VPC, None, &Props::new(), &[])
        .await
        .unwrap();
    old.finish(done.seq, ok("vpc-a")).await.unwrap();
    // In flight when the laptop went to sleep.
    let in_flight = old
        .begin(Op::Create, &vpc("b"), kinds::VPC, None, &Props::new(), &[])
        .await
        .unwrap();
    std::thread::sleep(Duration::from_millis(5));

    let second = Arc::new(StateLock::acquire(d.path(), "destroy", LONG).unwrap());
    let (was, why) = second.took_over().expect("a takeover");
    assert_eq!(was.id, first.info().id);
    assert!(why.contains("expired"), "{why}");
    assert!(second.generation() > first.generation());
    let new = fenced_store(d.path(), &second);
    // The new holder sees the old one's work, and its interrupted intent.
    assert_eq!(new.state().resources[&vpc("a")].id, "vpc-a");
    let pending = new.pending();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].seq, in_flight.seq);
    assert_eq!(pending[0].generation, first.generation());
    let before = files(d.path());

    // The old holder wakes up: every write is refused, naming the new holder.
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
    let holder = holder.as_ref().expect("names the holder");
    assert_eq!(holder.id, second.info().id);
    assert_eq!(holder.generation, second.generation());
    let msg = err.to_string();
    assert!(
        msg.contains("`destroy`") && msg.contains(&holder.who) && msg.contains("held by"),
        "{msg}"
    );
    assert!(first.is_lost(), "the refusal reports the loss to the run");
    assert!(matches!(
        old.begin(Op::Create, &vpc("c"), kinds::VPC, None, &Props::new(), &[])
            .await,
        Err(StateError::Fenced { .. })
    ));
    assert!(matches!(old.compact(), Err(StateError::Fenced { .. })));
    assert_eq!(files(d.path()), before, "the old holder wrote nothing");

    // The refused result is kept, in memory only, for the run to report.
    let unrecorded = old.unrecorded();
    assert_eq!(unrecorded.len(), 1);
    assert_eq!(unrecorded[0].0.address, vpc("b"));
    assert_eq!(unrecorded[0].1, ok("vpc-b"));

    // The new holder resolves the interrupted create and goes on.
    new.finish(in_flight.seq, ok("vpc-b")).await.unwrap();
    new.compact().unwrap();
    drop(new);
    let second_generation = second.generation();
    Arc::try_unwrap(second).ok().unwrap().release().unwrap();
    // Released now: the old holder is still refused (with its first refusal).
    let again = old.compact().expect_err("still refused");
    assert_eq!(again.to_string(), msg);
    let st = read_state(d.path(), "app", "dev").unwrap();
    assert_eq!(st.resources[&vpc("b")].id, "vpc-b");
    assert!(!st.resources.contains_key(&vpc("c")));
    assert_eq!(st.generation, second_generation);
}

#[tokio::test]
async fn a_released_lock_names_who_took_it_over() {
    let d = tempfile::tempdir().unwrap();
    let first = lapsing_lock(d.path());
    let old = fenced_store(d.path(), &first);
    std::thread::sleep(Duration::from_millis(5));
    let second = StateLock::acquire(d.path(), "up", LONG).unwrap();
    let second_id = second.info().id;
    drop(Store::open_fenced(d.path(), "app", "dev", Arc::new(second)).unwrap());
    assert!(read_lock(d.path()).unwrap().is_none(), "released on drop");
    let before = files(d.path());
    let err = old
        .begin(Op::Create, &vpc("a"), kinds::VPC, None, &Props::new(), &[])
        .await
        .expect_err("refused");
    let StateError::Fenced {
        holder, released, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert!(released);
    assert_eq!(holder.as_ref().unwrap().id, second_id);
    assert!(err.to_string().contains("since released"), "{err}");
    assert_eq!(files(d.path()), before);
}

#[tokio::test]
async fn unlock_fences_the_holder() {
    let d = tempfile::tempdir().unwrap();
    let lock = Arc::new(StateLock::acquire(d.path(), "up", LONG).unwrap());
    let s = fenced_store(d.path(), &lock);
    force_unlock(d.path()).unwrap().unwrap();
    let before = files(d.path());
    let err = s
        .begin(Op::Create, &vpc("a"), kinds::VPC, None, &Props::new(), &[])
        .await
        .expect_err("refused");
    let StateError::Fenced {
        holder, released, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert!(holder.is_none() && *released);
    assert!(err.to_string().contains("removed"), "{err}");
    assert_eq!(files(d.path()), before);
}

#[test]
fn generations_rise_across_release_and_takeover() {
    let d = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let l = StateLock::acquire(d.path(), "plan", LONG).unwrap();
        assert_eq!(
            read_lock(d.path()).unwrap().unwrap().generation,
            l.generation()
        );
        seen.push(l.generation());
        l.release().unwrap();
    }
    // Taking over a stale lock goes above it, even if it came from elsewhere.
    let now = time::OffsetDateTime::now_utc();
    let stale = LockInfo {
        id: "planted".into(),
        generation: 41,
        who: "ci@elsewhere".into(),
        pid: 1,
        host: "elsewhere".into(),
        command: "up".into(),
        since: now - Duration::from_secs(3600),
        lease_expires: now - Duration::from_secs(1),
    };
    std::fs::write(
        d.path().join(LOCK_FILE),
        serde_json::to_vec(&stale).unwrap(),
    )
    .unwrap();
    let l = StateLock::acquire(d.path(), "up", LONG).unwrap();
    assert_eq!(l.took_over().unwrap().0.id, "planted");
    seen.push(l.generation());
    // The snapshot records its writer's generation ...
    let l = Arc::new(l);
    drop(Store::open_fenced(d.path(), "app", "dev", l.clone()).unwrap());
    let snap: Value =
        serde_json::from_slice(&std::fs::read(d.path().join(STATE_FILE)).unwrap()).unwrap();
    assert_eq!(snap["generation"], l.generation());
    Arc::try_unwrap(l).ok().unwrap().release().unwrap();
    // ... so that losing fence.json does not bring generations back down.
    std::fs::remove_file(d.path().join(FENCE_FILE)).unwrap();
    let l = StateLock::acquire(d.path(), "up", LONG).unwrap();
    seen.push(l.generation());
    assert_eq!(seen[..3], [1, 2, 3]);
    assert_eq!(seen[3], 42);
    assert_eq!(seen[4], 43);
}

#[tokio::test]
async fn every_record_and_the_snapshot_carry_the_generation() {
    let d = tempfile::tempdir().unwrap();
    // An earlier run, and one left interrupted.
    drop(StateLock::acquire(d.path(), "up", LONG).unwrap());
    let first = Arc::new(StateLock::acquire(d.path(), "up", LONG).unwrap());
    let s = fenced_store(d.path(), &first);
    let it = s
        .begin(Op::Create, &vpc("a"), kinds::VPC, None, &Props::new(), &[])
        .await
        .unwrap();
    assert_eq!(it.generation, first.generation());
    assert_eq!(it.seq, first_seq(first.generation()));
    drop(s);
    drop(first); // released without resolving: the intent stays open
    let second = Arc::new(StateLock::acquire(d.path(), "up", LONG).unwrap());
    let s = fenced_store(d.path(), &second);
    let g2 = second.generation();
    // Compaction rewrote the open intent as a line of this run, keeping its
    // own identity (generation 2, seq).
    let l = lines(d.path());
    assert_eq!(l.len(), 1);
    assert_eq!(l[0]["gen"], g2);
    assert_eq!(l[0]["generation"], it.generation);
    assert_eq!(l[0]["seq"], it.seq);
    s.finish(it.seq, ok("vpc-a")).await.unwrap();
    let b = s
        .begin(Op::Create, &vpc("b"), kinds::VPC, None, &Props::new(), &[])
        .await
        .unwrap();
    assert!(b.seq >= first_seq(g2), "each generation its own numbers");
    let l = lines(d.path());
    assert_eq!(l[1]["type"], "result");
    assert_eq!(
        (l[1]["gen"].as_u64(), l[1]["generation"].as_u64()),
        (Some(g2), Some(it.generation))
    );
    assert_eq!(
        (l[2]["gen"].as_u64(), l[2]["generation"].as_u64()),
        (Some(g2), Some(g2))
    );
    let snap: Value =
        serde_json::from_slice(&std::fs::read(d.path().join(STATE_FILE)).unwrap()).unwrap();
    assert_eq!(snap["generation"], g2);
    assert_eq!(s.generation(), g2);
}

/// A journal line by hand: `gen` wrote it, `(generation, seq)` names the intent.
fn intent_line(gen: u64, generation: u64, seq: u64, name: &str) -> Value {
    json!({
        "type": "intent", "gen": gen, "generation": generation, "seq": seq,
        "op": "create", "address": format!("vpc.{name}"), "kind": kinds::VPC,
        "token": format!("t-{gen}-{seq}"), "props": {}, "dependencies": [],
    })
}

fn result_line(gen: u64, generation: u64, seq: u64, id: &str) -> Value {
    json!({
        "type": "result", "gen": gen, "generation": generation, "seq": seq,
        "outcome": "ok", "id": id, "outputs": { "id": id },
    })
}

fn write_journal(dir: &Path, recs: &[Value]) {
    let text: String = recs.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(dir.join(JOURNAL_FILE), text).unwrap();
}

#[test]
fn replay_ignores_an_older_generation_appended_after_a_newer_one() {
    let d = tempfile::tempdir().unwrap();
    let (s1, s2) = (first_seq(1), first_seq(2));
    write_journal(
        d.path(),
        &[
            intent_line(1, 1, s1, "a"),
            result_line(1, 1, s1, "vpc-a"),
            intent_line(1, 1, s1 + 1, "b"), // interrupted: generation 2 resolves it
            intent_line(2, 2, s2, "c"),
            // The paused holder wakes up and appends after generation 2 began.
            result_line(1, 1, s1 + 1, "vpc-b-late"),
            intent_line(1, 1, s1 + 2, "stale"),
            result_line(1, 1, s1 + 2, "vpc-stale"),
            result_line(2, 1, s1 + 1, "vpc-b"),
            result_line(2, 2, s2, "vpc-c"),
        ],
    );
    let st = read_state(d.path(), "app", "dev").unwrap();
    let ids: BTreeMap<String, String> = st
        .resources
        .iter()
        .map(|(a, r)| (a.to_string(), r.id.clone()))
        .collect();
    assert_eq!(
        ids,
        BTreeMap::from([
            ("vpc.a".to_string(), "vpc-a".to_string()),
            ("vpc.b".to_string(), "vpc-b".to_string()),
            ("vpc.c".to_string(), "vpc-c".to_string()),
        ])
    );
    assert_eq!(st.generation, 2);
    // Compaction keeps what generation 2 did and drops the stale lines.
    let s = Store::open(d.path(), "app", "dev").unwrap();
    assert!(s.pending().is_empty());
    assert_eq!(s.state().resources.len(), 3);
    assert!(lines(d.path()).is_empty());
    drop(s);
    let st = read_state(d.path(), "app", "dev").unwrap();
    assert_eq!(st.resources.len(), 3);
    assert!(st.next_seq > s1 + 2, "no number seen on disk is reused");
}

#[test]
fn lines_older_than_the_snapshot_are_ignored() {
    let d = tempfile::tempdir().unwrap();
    // A run compacted (snapshot at its generation, journal emptied); then
    // the holder of the generation before appends to the new journal.
    let lock = Arc::new(StateLock::acquire(d.path(), "up", LONG).unwrap());
    drop(fenced_store(d.path(), &lock));
    let g = lock.generation();
    write_journal(
        d.path(),
        &[
            intent_line(g - 1, g - 1, 7, "late"),
            result_line(g - 1, g - 1, 7, "vpc-late"),
        ],
    );
    assert!(read_state(d.path(), "app", "dev").unwrap().is_empty());
    assert!(fenced_store(d.path(), &lock).pending().is_empty());
}

#[test]
fn same_seq_in_two_generations_never_pairs() {
    let d = tempfile::tempdir().unwrap();
    write_journal(
        d.path(),
        &[
            intent_line(1, 1, 5, "one"),
            intent_line(2, 2, 5, "two"),
            // Resolves generation 2's intent 5 only.
            result_line(2, 2, 5, "vpc-two"),
            // Names an intent that does not exist: pairs with nothing.
            result_line(2, 3, 5, "vpc-nobody"),
        ],
    );
    let s = Store::open(d.path(), "app", "dev").unwrap();
    let st = s.state();
    assert_eq!(st.resources.len(), 1);
    assert_eq!(st.resources[&vpc("two")].id, "vpc-two");
    let pending = s.pending();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (
            pending[0].generation,
            pending[0].seq,
            pending[0].address.to_string()
        ),
        (1, 5, "vpc.one".to_string())
    );
}

#[test]
fn journals_without_generations_still_replay() {
    let d = tempfile::tempdir().unwrap();
    let strip = |mut v: Value| {
        let o = v.as_object_mut().unwrap();
        o.remove("gen");
        o.remove("generation");
        v
    };
    write_journal(
        d.path(),
        &[
            strip(intent_line(0, 0, 1, "a")),
            strip(result_line(0, 0, 1, "vpc-a")),
            strip(intent_line(0, 0, 2, "b")),
        ],
    );
    let lock = Arc::new(StateLock::acquire(d.path(), "up", LONG).unwrap());
    let s = fenced_store(d.path(), &lock);
    assert_eq!(s.state().resources[&vpc("a")].id, "vpc-a");
    assert_eq!(s.pending()[0].seq, 2);
}

/// Another backend's fence (an S3 lock object with conditional writes would
/// look like this from the store's side).
struct Switch {
    generation: u64,
    lost: AtomicBool,
}

impl Fence for Switch {
    fn generation(&self) -> u64 {
        self.generation
    }

    fn check(&self) -> Result<(), StateError> {
        if self.lost.load(Ordering::SeqCst) {
            Err(StateError::Fenced {
                path: "s3://bucket/app-dev".into(),
                generation: self.generation,
                holder: None,
                released: true,
            })
        } else {
            Ok(())
        }
    }
}

#[tokio::test]
async fn any_fence_stops_the_store() {
    let d = tempfile::tempdir().unwrap();
    let fence = Arc::new(Switch {
        generation: 9,
        lost: AtomicBool::new(false),
    });
    let s = Store::open_fenced(d.path(), "app", "dev", fence.clone()).unwrap();
    let it = s
        .begin(Op::Create, &vpc("a"), kinds::VPC, None, &Props::new(), &[])
        .await
        .unwrap();
    fence.lost.store(true, Ordering::SeqCst);
    let before = files(d.path());
    assert!(matches!(
        s.finish(it.seq, ok("vpc-a")).await,
        Err(StateError::Fenced { .. })
    ));
    // Sticky: even with the fence back, this store writes nothing more.
    fence.lost.store(false, Ordering::SeqCst);
    assert!(matches!(s.compact(), Err(StateError::Fenced { .. })));
    assert!(matches!(
        s.begin(Op::Create, &vpc("b"), kinds::VPC, None, &Props::new(), &[])
            .await,
        Err(StateError::Fenced { .. })
    ));
    assert_eq!(files(d.path()), before);
}

#[tokio::test]
async fn an_intent_made_durable_as_the_lock_goes_is_not_handed_out() {
    // The intent is written while the lock is ours; if the lock is gone by
    // the time it is durable, the caller must not go on to call AWS.
    struct AfterOne {
        checks: std::sync::atomic::AtomicU32,
    }
    impl Fence for AfterOne {
        fn generation(&self) -> u64 {
            4
        }
        fn check(&self) -> Result<(), StateError> {
            // Open, compaction (snapshot + journal), the intent's write: then lost.
            if self.checks.fetch_add(1, Ordering::SeqCst) >= 4 {
                return Err(StateError::Fenced {
                    path: "x".into(),
                    generation: 4,
                    holder: None,
                    released: true,
                });
            }
            Ok(())
        }
    }
    let d = tempfile::tempdir().unwrap();
    let fence = Arc::new(AfterOne {
        checks: Default::default(),
    });
    let s = Store::open_fenced(d.path(), "app", "dev", fence).unwrap();
    assert!(matches!(
        s.begin(Op::Create, &vpc("a"), kinds::VPC, None, &Props::new(), &[])
            .await,
        Err(StateError::Fenced { .. })
    ));
    // It is on disk, for the next holder to resolve.
    assert_eq!(lines(d.path()).len(), 1);
    assert_eq!(read_state(d.path(), "app", "dev").unwrap().generation, 4);
}
