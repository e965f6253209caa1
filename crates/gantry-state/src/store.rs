//! The state store of one run: the in-memory state, kept in step with the
//! journal, and the compaction that folds the journal into the snapshot.
//!
//! A store opened with [`Store::open_fenced`] writes under its lock's
//! generation: the snapshot and every journal line carry it, each journal
//! batch and each compaction is written only while the lock is still the
//! run's ([`Fence`]), an intent is handed to the caller (who then calls
//! AWS) only if the lock was still the run's once the intent was durable,
//! and after the first refusal ([`StateError::Fenced`]) the store writes
//! nothing more. [`Store::open`] writes without a fence, for tests and
//! tools that hold no lock.

use crate::document::{redact, State};
use crate::fence::Fence;
use crate::journal::{self, first_seq, Edit, Intent, Op, Outcome, Record, Writer};
use crate::{io_err, Backend, MetaLookup, StateError, JOURNAL_FILE, STATE_FILE};
use gantry_core::{Address, Props};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where a simulated `kill -9` strikes (tests only): the run stops writing
/// right after the Nth intent is durable (the provider call never happens),
/// or right before the Nth result would be written (the call happened but
/// was never recorded). Counts start at 1 and are per store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    AfterIntent(u64),
    BeforeResult(u64),
}

struct Inner {
    state: State,
    /// Intents without a result: the interrupted operations found at open,
    /// then the operations in flight; by (generation, seq).
    open: BTreeMap<(u64, u64), Intent>,
    /// The state as last written to `state.json`, to skip no-op snapshots.
    written: Option<State>,
    intents: u64,
    results: u64,
    crash: Option<CrashPoint>,
    dead: bool,
    /// The fence's refusal, once a write was refused: nothing is written
    /// after it and every write fails with it.
    refused: Option<StateError>,
    /// Results refused by the fence of calls that changed something in AWS.
    unrecorded: Vec<(Intent, Outcome)>,
}

impl Inner {
    /// Why this store no longer writes, if it does not.
    fn stopped(&self) -> Result<(), StateError> {
        if self.dead {
            return Err(StateError::Crashed);
        }
        match &self.refused {
            Some(e) => Err(e.duplicate()),
            None => Ok(()),
        }
    }

    /// The open intent with sequence number `seq`: this run's own first,
    /// else an interrupted one (sequence numbers of different generations
    /// do not collide, but journals written before generations may).
    fn key_of(&self, seq: u64, own: u64) -> Option<(u64, u64)> {
        if self.open.contains_key(&(own, seq)) {
            return Some((own, seq));
        }
        self.open.keys().find(|(_, s)| *s == seq).copied()
    }

    /// Keeps a refused result if its call changed something in AWS.
    fn keep_unrecorded(&mut self, key: (u64, u64), outcome: &Outcome) {
        let changed = match outcome {
            Outcome::Ok { .. } => true,
            Outcome::Err { id, .. } => id.is_some(),
            Outcome::Gone => false,
        };
        if let (true, Some(intent)) = (changed, self.open.get(&key)) {
            let intent = intent.clone();
            self.unrecorded.push((intent, outcome.clone()));
        }
    }

    /// Records a refusal so that nothing more is written; passes `e` on.
    fn note(&mut self, e: StateError) -> StateError {
        if matches!(e, StateError::Fenced { .. }) && self.refused.is_none() {
            self.refused = Some(e.duplicate());
        }
        e
    }
}

/// Opened state for one stack + environment. Cheap to share behind an
/// `Arc`; every method takes `&self`.
pub struct Store {
    backend: Backend,
    /// The directory, or the remote URL as a path (for messages).
    dir: PathBuf,
    meta: MetaLookup,
    writer: Writer,
    /// The lock this store writes under, if any.
    fence: Option<Arc<dyn Fence>>,
    /// The generation written into every record and the snapshot.
    generation: u64,
    inner: Mutex<Inner>,
}

impl Store {
    /// Opens (creating if needed) the state in `dir`: loads the snapshot,
    /// replays the journal onto it and compacts. Interrupted operations are
    /// then listed by [`Store::pending`] until resolved.
    pub fn open(dir: &Path, stack: &str, env: &str) -> Result<Store, StateError> {
        Self::open_with_meta(dir, stack, env, gantry_core::kind_meta)
    }

    pub fn open_with_meta(
        dir: &Path,
        stack: &str,
        env: &str,
        meta: MetaLookup,
    ) -> Result<Store, StateError> {
        Self::open_inner(&Backend::Local(dir.to_path_buf()), stack, env, meta, None)
    }

    /// Opens the state like [`Store::open`], writing under `fence` (the
    /// run's lock, taken before): the store takes the fence's generation,
    /// which must be newer than any the state was written with, and refuses
    /// every write once the lock is no longer the run's.
    pub fn open_fenced(
        dir: &Path,
        stack: &str,
        env: &str,
        fence: Arc<dyn Fence>,
    ) -> Result<Store, StateError> {
        Self::open_fenced_at(&Backend::Local(dir.to_path_buf()), stack, env, fence)
    }

    /// [`Store::open_fenced`] on the state at `backend`, local or remote.
    pub fn open_fenced_at(
        backend: &Backend,
        stack: &str,
        env: &str,
        fence: Arc<dyn Fence>,
    ) -> Result<Store, StateError> {
        Self::open_inner(backend, stack, env, gantry_core::kind_meta, Some(fence))
    }

    /// [`Store::open_fenced_at`] with another kind-metadata lookup.
    pub fn open_fenced_at_with_meta(
        backend: &Backend,
        stack: &str,
        env: &str,
        meta: MetaLookup,
        fence: Arc<dyn Fence>,
    ) -> Result<Store, StateError> {
        Self::open_inner(backend, stack, env, meta, Some(fence))
    }

    /// [`Store::open_fenced`] with another kind-metadata lookup.
    pub fn open_fenced_with_meta(
        dir: &Path,
        stack: &str,
        env: &str,
        meta: MetaLookup,
        fence: Arc<dyn Fence>,
    ) -> Result<Store, StateError> {
        Self::open_fenced_at_with_meta(&Backend::Local(dir.to_path_buf()), stack, env, meta, fence)
    }

    fn open_inner(
        backend: &Backend,
        stack: &str,
        env: &str,
        meta: MetaLookup,
        fence: Option<Arc<dyn Fence>>,
    ) -> Result<Store, StateError> {
        if let Backend::Local(dir) = backend {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        if let Some(f) = &fence {
            f.check()?;
        }
        let dir = backend.path();
        let (written, mut state, replayed, mut remote) = match backend {
            Backend::Local(dir) => {
                let loaded = State::load(&dir.join(STATE_FILE), stack, env)?;
                let written = loaded.clone();
                let mut state = loaded.unwrap_or_else(|| State::new(stack, env));
                let replayed = journal::replay(&dir.join(JOURNAL_FILE), &mut state)?;
                (written, state, replayed, None)
            }
            Backend::Remote(r) => {
                let mut l = crate::remote::load(r, stack, env)?;
                let (written, state) = (
                    l.snapshot.take(),
                    std::mem::replace(&mut l.state, State::new(stack, env)),
                );
                let replayed = std::mem::take(&mut l.replayed);
                (written, state, replayed, Some((r.clone(), l)))
            }
        };
        let generation = match &fence {
            None => state.generation,
            Some(f) => {
                let ours = f.generation();
                if state.generation > ours {
                    return Err(StateError::Corrupt {
                        path: dir.to_path_buf(),
                        message: format!(
                            "the state was written under lock generation {}, newer than this run's {ours}",
                            state.generation
                        ),
                    });
                }
                state.generation = ours;
                state.next_seq = state.next_seq.max(first_seq(ours));
                ours
            }
        };
        let writer = match (backend, remote.as_mut()) {
            (_, Some((r, loaded))) => Writer::start(
                Box::new(crate::remote::RemoteSink::new(
                    r.clone(),
                    fence.clone(),
                    generation,
                    loaded,
                )),
                &dir,
            )?,
            (Backend::Local(d), None) => {
                Writer::open(&d.join(JOURNAL_FILE), &d.join(STATE_FILE), fence.clone())?
            }
            (Backend::Remote(_), None) => unreachable!("a remote state is loaded remotely"),
        };
        let store = Store {
            backend: backend.clone(),
            dir,
            meta,
            writer,
            fence,
            generation,
            inner: Mutex::new(Inner {
                state,
                open: replayed.open,
                written,
                intents: 0,
                results: 0,
                crash: None,
                dead: false,
                refused: None,
                unrecorded: Vec::new(),
            }),
        };
        store.compact()?;
        Ok(store)
    }

    /// The lock generation this store writes under (for an unfenced store,
    /// the newest one found on disk).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The state's directory (for a remote state, its URL as a path).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where this state lives.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// A copy of the current state.
    pub fn state(&self) -> State {
        self.inner.lock().expect("state lock").state.clone()
    }

    /// Runs `f` on the current state without copying it.
    pub fn with_state<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.inner.lock().expect("state lock").state)
    }

    /// Operations whose intent was journaled but whose result never was: a
    /// previous run died during them. Resolve each with [`Store::finish`].
    pub fn pending(&self) -> Vec<Intent> {
        self.inner
            .lock()
            .expect("state lock")
            .open
            .values()
            .cloned()
            .collect()
    }

    /// How many fsyncs journal appends have cost so far: with group commit,
    /// fewer than the records appended when operations run in parallel.
    pub fn journal_syncs(&self) -> u64 {
        self.writer.syncs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Arms a simulated crash (tests and the benchmark's crash mode).
    pub fn set_crash_point(&self, p: Option<CrashPoint>) {
        self.inner.lock().expect("state lock").crash = p;
    }

    /// The deterministic idempotency token of an intent.
    pub fn token_for(lineage: &str, address: &Address, seq: u64) -> String {
        let d = Sha256::digest(format!("{lineage}/{address}/{seq}").as_bytes());
        format!("gantry-{}", &hex::encode(d)[..32])
    }

    /// Journals the intent of a mutating call and returns it (with its seq
    /// and token) once it is durable. Call the provider only after this.
    pub async fn begin(
        &self,
        op: Op,
        address: &Address,
        kind: &str,
        id: Option<&str>,
        props: &Props,
        dependencies: &[Address],
    ) -> Result<Intent, StateError> {
        let intent = {
            let mut g = self.inner.lock().expect("state lock");
            g.stopped()?;
            let seq = g.state.next_seq;
            g.state.next_seq += 1;
            let intent = Intent {
                seq,
                generation: self.generation,
                op,
                address: address.clone(),
                kind: kind.to_string(),
                token: Self::token_for(&g.state.lineage, address, seq),
                id: id.map(str::to_string),
                props: redact(self.meta, kind, props),
                dependencies: dependencies.to_vec(),
            };
            g.open.insert((self.generation, seq), intent.clone());
            intent
        };
        let appended = self
            .writer
            .append(&[Record::Intent {
                gen: self.generation,
                intent: intent.clone(),
            }])
            .await;
        if let Err(e) = appended {
            let mut g = self.inner.lock().expect("state lock");
            if matches!(e, StateError::Fenced { .. }) {
                // Refused before anything was written.
                g.open.remove(&(self.generation, intent.seq));
            }
            return Err(g.note(e));
        }
        // The caller calls AWS next: only while the lock is still ours. A
        // run that lost it leaves the intent for the new holder to resolve.
        if let Some(f) = &self.fence {
            if let Err(e) = f.check() {
                return Err(self.inner.lock().expect("state lock").note(e));
            }
        }
        let mut g = self.inner.lock().expect("state lock");
        g.stopped()?;
        g.intents += 1;
        if g.crash == Some(CrashPoint::AfterIntent(g.intents)) {
            g.dead = true;
            return Err(StateError::Crashed);
        }
        Ok(intent)
    }

    /// Journals how the operation `seq` ended and applies it to the state.
    pub async fn finish(&self, seq: u64, outcome: Outcome) -> Result<(), StateError> {
        let (key, kind, outcome) = {
            let mut g = self.inner.lock().expect("state lock");
            if g.dead {
                return Err(StateError::Crashed);
            }
            let key = g
                .key_of(seq, self.generation)
                .ok_or(StateError::UnknownSeq(seq))?;
            if let Some(e) = g.refused.as_ref().map(StateError::duplicate) {
                g.keep_unrecorded(key, &outcome);
                return Err(e);
            }
            let kind = g.open[&key].kind.clone();
            let n = g.results + 1;
            if g.crash == Some(CrashPoint::BeforeResult(n)) {
                g.dead = true;
                return Err(StateError::Crashed);
            }
            g.results = n;
            (key, kind, outcome)
        };
        let outcome = match outcome {
            Outcome::Ok { id, outputs } => Outcome::Ok {
                id,
                outputs: redact(self.meta, &kind, &outputs),
            },
            other => other,
        };
        let appended = self
            .writer
            .append(&[Record::Result {
                gen: self.generation,
                generation: key.0,
                seq,
                outcome: outcome.clone(),
            }])
            .await;
        let mut g = self.inner.lock().expect("state lock");
        if let Err(e) = appended {
            if matches!(e, StateError::Fenced { .. }) {
                g.keep_unrecorded(key, &outcome);
            }
            return Err(g.note(e));
        }
        g.stopped()?;
        if let Some(intent) = g.open.remove(&key) {
            journal::apply(&mut g.state, &intent, &outcome);
        }
        Ok(())
    }

    /// Journals `edits` (one batch, one fsync) and applies them: changes of
    /// record that no AWS call goes with. Secret fields of recorded
    /// resources are stored as markers, as everywhere else.
    pub async fn edit(&self, edits: Vec<Edit>) -> Result<(), StateError> {
        let edits: Vec<Edit> = edits
            .into_iter()
            .map(|e| match e {
                Edit::Resource {
                    address,
                    resource: Some(mut r),
                } => {
                    r.props = redact(self.meta, &r.kind, &r.props);
                    r.outputs = redact(self.meta, &r.kind, &r.outputs);
                    Edit::Resource {
                        address,
                        resource: Some(r),
                    }
                }
                other => other,
            })
            .collect();
        {
            let g = self.inner.lock().expect("state lock");
            if g.dead {
                return Err(StateError::Crashed);
            }
            g.stopped()?;
        }
        let recs: Vec<Record> = edits
            .iter()
            .map(|edit| Record::Edit {
                gen: self.generation,
                edit: edit.clone(),
            })
            .collect();
        let appended = self.writer.append(&recs).await;
        let mut g = self.inner.lock().expect("state lock");
        if let Err(e) = appended {
            return Err(g.note(e));
        }
        g.stopped()?;
        for e in &edits {
            e.apply_to(&mut g.state);
        }
        Ok(())
    }

    /// Operations whose provider call returned but whose result the fence
    /// refused to record: what this run changed in AWS after it lost its
    /// lock (a call already under way when the lock was taken over), which
    /// the state does not know. Empty unless a write was refused.
    pub fn unrecorded(&self) -> Vec<(Intent, Outcome)> {
        self.inner.lock().expect("state lock").unrecorded.clone()
    }

    /// Folds what a refresh read back into the recorded state (observed
    /// fields win, unreturned fields keep their value), so the next snapshot
    /// records reality even for resources the plan leaves alone. In memory
    /// only until the next compaction: a refresh can always be redone.
    pub fn absorb_observed<'a>(
        &self,
        observed: impl IntoIterator<Item = (&'a Address, &'a gantry_core::Observed)>,
    ) {
        let mut g = self.inner.lock().expect("state lock");
        for (a, o) in observed {
            let meta = self.meta;
            if let Some(rs) = g.state.resources.get_mut(a) {
                let props = redact(meta, &rs.kind, &o.props);
                let outputs = redact(meta, &rs.kind, &o.outputs);
                rs.props.extend(props);
                rs.outputs.extend(outputs);
            }
        }
    }

    /// Writes the snapshot (when it changed) and truncates the journal to the
    /// intents still open. Runs at open and at the end of every run.
    pub fn compact(&self) -> Result<(), StateError> {
        let mut g = self.inner.lock().expect("state lock");
        g.stopped()?;
        let changed = match &g.written {
            Some(w) => {
                w.resources != g.state.resources
                    || w.releases != g.state.releases
                    || w.next_seq != g.state.next_seq
                    || w.generation != g.state.generation
            }
            None => true,
        };
        let bumped = changed
            && g.written.as_ref().is_some_and(|w| {
                w.resources != g.state.resources || w.releases != g.state.releases
            });
        if bumped {
            g.state.serial += 1;
        }
        // Open intents must survive compaction: they are how the next run
        // learns an operation may have happened. They keep the generation
        // that issued them; the lines are this run's.
        let keep: Vec<Record> = g
            .open
            .values()
            .cloned()
            .map(|intent| Record::Intent {
                gen: self.generation,
                intent,
            })
            .collect();
        let (snapshot_written, r) = self.writer.compact(changed.then(|| g.state.clone()), &keep);
        if snapshot_written {
            g.written = Some(g.state.clone());
        } else if bumped {
            g.state.serial -= 1;
        }
        r.map_err(|e| g.note(e))
    }

    /// Makes `state` this store's whole state, its serial, lineage and
    /// release history kept (`gantry state migrate`): the snapshot is
    /// written as given, under this store's generation, and the journal
    /// emptied. Refused when this state holds another stack history
    /// (another lineage with resources) or a newer one (a higher serial of
    /// the same lineage), or has interrupted operations.
    pub fn adopt(&self, state: &State) -> Result<(), StateError> {
        let mut g = self.inner.lock().expect("state lock");
        g.stopped()?;
        let refuse = |message: String| StateError::Conflict {
            path: self.dir.clone(),
            message,
        };
        let here = &g.state;
        if !g.open.is_empty() {
            return Err(refuse(format!(
                "{} interrupted operation(s) are recorded here; run `gantry up` on this state first",
                g.open.len()
            )));
        }
        if here.lineage != state.lineage && !(here.resources.is_empty() && here.releases.is_empty())
        {
            return Err(refuse(format!(
                "it holds another state ({} resources, lineage {}); remove it first",
                here.resources.len(),
                here.lineage
            )));
        }
        if here.lineage == state.lineage && here.serial > state.serial {
            return Err(refuse(format!(
                "it holds a newer copy of this state (serial {} > {})",
                here.serial, state.serial
            )));
        }
        let mut next = state.clone();
        next.generation = self.generation;
        next.next_seq = next
            .next_seq
            .max(here.next_seq)
            .max(first_seq(self.generation));
        let (written, r) = self.writer.compact(Some(next.clone()), &[]);
        if written {
            g.state = next.clone();
            g.written = Some(next);
        }
        r.map_err(|e| g.note(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::{kinds, KindMeta};
    use serde_json::json;

    static SECRET: KindMeta = KindMeta {
        kind: "secret_thing",
        service: "secretsmanager",
        force_new: &[],
        unordered: &[],
        secret: &["value"],
        create_before_destroy: false,
        keep_previous: 0,
        data: false,
        taggable: true,
        noun: "secret",
    };

    fn meta(k: &str) -> Option<&'static KindMeta> {
        if k == "secret_thing" {
            Some(&SECRET)
        } else {
            gantry_core::kind_meta(k)
        }
    }

    fn props(v: serde_json::Value) -> Props {
        v.as_object().unwrap().clone()
    }

    fn ok(id: &str) -> Outcome {
        Outcome::Ok {
            id: Some(id.into()),
            outputs: props(json!({"id": id})),
        }
    }

    #[tokio::test]
    async fn journal_replays_into_snapshot() {
        let d = tempfile::tempdir().unwrap();
        let a = Address::of(kinds::VPC, "main");
        let lineage;
        {
            let s = Store::open(d.path(), "app", "dev").unwrap();
            lineage = s.state().lineage;
            let i = s
                .begin(
                    Op::Create,
                    &a,
                    kinds::VPC,
                    None,
                    &props(json!({"cidr_block": "10.0.0.0/16"})),
                    &[],
                )
                .await
                .unwrap();
            s.finish(i.seq, ok("vpc-1")).await.unwrap();
            // No compaction: the record lives only in the journal.
        }
        let s = Store::open(d.path(), "app", "dev").unwrap();
        let st = s.state();
        assert_eq!(st.lineage, lineage);
        assert_eq!(st.resources[&a].id, "vpc-1");
        assert_eq!(st.serial, 1);
        assert!(s.pending().is_empty());
        let j = std::fs::read_to_string(d.path().join(JOURNAL_FILE)).unwrap();
        assert!(j.is_empty(), "compaction truncates the journal: {j}");
    }

    #[tokio::test]
    async fn open_intent_is_pending_and_survives_compaction() {
        let d = tempfile::tempdir().unwrap();
        let a = Address::of(kinds::VPC, "main");
        let token;
        {
            let s = Store::open(d.path(), "app", "dev").unwrap();
            token = s
                .begin(Op::Create, &a, kinds::VPC, None, &Props::new(), &[])
                .await
                .unwrap()
                .token;
        }
        for _ in 0..2 {
            let s = Store::open(d.path(), "app", "dev").unwrap();
            let p = s.pending();
            assert_eq!(p.len(), 1);
            assert_eq!(p[0].token, token);
        }
        let s = Store::open(d.path(), "app", "dev").unwrap();
        let seq = s.pending()[0].seq;
        s.finish(seq, Outcome::Gone).await.unwrap();
        s.compact().unwrap();
        let s = Store::open(d.path(), "app", "dev").unwrap();
        assert!(s.pending().is_empty());
        // A new intent never reuses the old sequence number (or token).
        let i = s
            .begin(Op::Create, &a, kinds::VPC, None, &Props::new(), &[])
            .await
            .unwrap();
        assert!(i.seq > seq);
        assert_ne!(i.token, token);
    }

    #[tokio::test]
    async fn secrets_never_reach_disk() {
        let d = tempfile::tempdir().unwrap();
        let a = Address::of("secret_thing", "db");
        let s = Store::open_with_meta(d.path(), "app", "dev", meta).unwrap();
        let i = s
            .begin(
                Op::Create,
                &a,
                "secret_thing",
                None,
                &props(json!({"value": "hunter2", "name": "db"})),
                &[],
            )
            .await
            .unwrap();
        let j = std::fs::read_to_string(d.path().join(JOURNAL_FILE)).unwrap();
        assert!(!j.contains("hunter2"));
        s.finish(
            i.seq,
            Outcome::Ok {
                id: Some("s-1".into()),
                outputs: props(json!({"id": "s-1", "value": "hunter2"})),
            },
        )
        .await
        .unwrap();
        s.compact().unwrap();
        let snap = std::fs::read_to_string(d.path().join(STATE_FILE)).unwrap();
        assert!(!snap.contains("hunter2"), "{snap}");
        assert!(snap.contains("sha256:"));
        assert_eq!(s.state().resources[&a].props["name"], "db");
    }

    #[tokio::test]
    async fn create_over_existing_deposes_old_until_deleted() {
        let d = tempfile::tempdir().unwrap();
        let a = Address::of(kinds::ECS_TASK_DEFINITION, "web");
        let s = Store::open(d.path(), "app", "dev").unwrap();
        let k = kinds::ECS_TASK_DEFINITION;
        let i = s
            .begin(Op::Create, &a, k, None, &Props::new(), &[])
            .await
            .unwrap();
        s.finish(i.seq, ok("td:1")).await.unwrap();
        let i = s
            .begin(Op::Create, &a, k, None, &Props::new(), &[])
            .await
            .unwrap();
        s.finish(i.seq, ok("td:2")).await.unwrap();
        let st = s.state();
        assert_eq!(st.resources[&a].id, "td:2");
        assert_eq!(st.resources[&a].deposed[0].id, "td:1");
        let i = s
            .begin(Op::Delete, &a, k, Some("td:1"), &Props::new(), &[])
            .await
            .unwrap();
        s.finish(
            i.seq,
            Outcome::Ok {
                id: None,
                outputs: Props::new(),
            },
        )
        .await
        .unwrap();
        let st = s.state();
        assert_eq!(st.resources[&a].id, "td:2");
        assert!(st.resources[&a].deposed.is_empty());
    }

    #[tokio::test]
    async fn crash_point_stops_all_writes() {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(d.path(), "app", "dev").unwrap();
        s.set_crash_point(Some(CrashPoint::BeforeResult(1)));
        let a = Address::of(kinds::VPC, "main");
        let i = s
            .begin(Op::Create, &a, kinds::VPC, None, &Props::new(), &[])
            .await
            .unwrap();
        assert!(matches!(
            s.finish(i.seq, ok("vpc-1")).await,
            Err(StateError::Crashed)
        ));
        assert!(matches!(s.compact(), Err(StateError::Crashed)));
        drop(s);
        let s = Store::open(d.path(), "app", "dev").unwrap();
        assert_eq!(s.pending().len(), 1);
        assert!(s.state().is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn parallel_appends_share_fsyncs() {
        let d = tempfile::tempdir().unwrap();
        let s = std::sync::Arc::new(Store::open(d.path(), "app", "dev").unwrap());
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    let a = Address::of(kinds::LOG_GROUP, &format!("l{i}"));
                    let it = s
                        .begin(Op::Create, &a, kinds::LOG_GROUP, None, &Props::new(), &[])
                        .await
                        .unwrap();
                    s.finish(it.seq, ok(&format!("lg-{i}"))).await.unwrap();
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert!(
            s.journal_syncs() < 400,
            "{} fsyncs for 400 records",
            s.journal_syncs()
        );
        drop(s);
        assert_eq!(
            Store::open(d.path(), "app", "dev").unwrap().state().len(),
            200
        );
    }

    #[tokio::test]
    async fn torn_last_line_is_ignored() {
        let d = tempfile::tempdir().unwrap();
        let a = Address::of(kinds::VPC, "main");
        {
            let s = Store::open(d.path(), "app", "dev").unwrap();
            let it = s
                .begin(Op::Create, &a, kinds::VPC, None, &Props::new(), &[])
                .await
                .unwrap();
            s.finish(it.seq, ok("vpc-1")).await.unwrap();
        }
        let j = d.path().join(JOURNAL_FILE);
        let mut text = std::fs::read_to_string(&j).unwrap();
        text.push_str("{\"type\":\"intent\",\"seq\":9");
        std::fs::write(&j, text).unwrap();
        let s = Store::open(d.path(), "app", "dev").unwrap();
        assert_eq!(s.state().resources[&a].id, "vpc-1");
        assert!(s.pending().is_empty());
    }

    #[test]
    fn refuses_other_stack() {
        let d = tempfile::tempdir().unwrap();
        Store::open(d.path(), "app", "dev").unwrap();
        assert!(matches!(
            Store::open(d.path(), "app", "prod"),
            Err(StateError::WrongStack { .. })
        ));
    }

    fn release(number: u64, outcome: crate::Rollout) -> crate::Release {
        crate::Release {
            number,
            revision: format!("arn:td:{number}"),
            images: BTreeMap::from([("app".to_string(), format!("repo:v{number}"))]),
            overrides: BTreeMap::new(),
            task_definition: Props::new(),
            desired_count: 2,
            at: "2026-12-07T00:00:00Z".into(),
            by: "me@here".into(),
            rollback_of: None,
            outcome,
            reason: None,
        }
    }

    #[tokio::test]
    async fn edits_are_journaled_replayed_and_compacted() {
        use crate::{Rollout, Status};
        let d = tempfile::tempdir().unwrap();
        let a = Address::of("secret_thing", "x");
        {
            let s = Store::open_with_meta(d.path(), "app", "dev", meta).unwrap();
            s.edit(vec![
                Edit::Resource {
                    address: a.clone(),
                    resource: Some(crate::ResourceState {
                        kind: "secret_thing".into(),
                        id: "s-1".into(),
                        props: props(json!({"value": "hunter2"})),
                        outputs: Props::new(),
                        dependencies: vec![],
                        status: Status::Ok,
                        deposed: vec![],
                    }),
                },
                Edit::Release {
                    service: "web".into(),
                    release: release(1, Rollout::InProgress),
                },
            ])
            .await
            .unwrap();
            // The rollout ends: the release is replaced by its number.
            s.edit(vec![Edit::Release {
                service: "web".into(),
                release: release(1, Rollout::Completed),
            }])
            .await
            .unwrap();
            let j = std::fs::read_to_string(d.path().join(JOURNAL_FILE)).unwrap();
            assert!(
                !j.contains("hunter2"),
                "secrets are markers in edits too: {j}"
            );
            // No compaction: only the journal has them.
        }
        let s = Store::open_with_meta(d.path(), "app", "dev", meta).unwrap();
        let st = s.state();
        assert_eq!(st.resources[&a].id, "s-1");
        assert_eq!(st.releases["web"].len(), 1);
        assert_eq!(st.releases["web"][0].outcome, Rollout::Completed);
        assert_eq!(st.serial, 1, "a changed snapshot gets a new serial");
        let snap = std::fs::read_to_string(d.path().join(STATE_FILE)).unwrap();
        assert!(!snap.contains("hunter2"));
        assert!(snap.contains("\"releases\""));
        s.edit(vec![Edit::Resource {
            address: a.clone(),
            resource: None,
        }])
        .await
        .unwrap();
        assert!(s.state().resources.is_empty());
        // A retired service's history goes, after a replay too.
        s.edit(vec![Edit::Retire {
            service: "web".into(),
        }])
        .await
        .unwrap();
        assert!(s.state().releases.is_empty());
        drop(s);
        let s = Store::open_with_meta(d.path(), "app", "dev", meta).unwrap();
        assert!(s.state().releases.is_empty());
    }

    #[test]
    fn releases_keep_the_newest_and_the_current_one_is_the_last_that_held() {
        use crate::{Rollout, MAX_RELEASES};
        let mut st = State::new("app", "dev");
        for n in 1..=(MAX_RELEASES as u64 + 5) {
            st.put_release("web", release(n, Rollout::Completed));
        }
        let list = &st.releases["web"];
        assert_eq!(list.len(), MAX_RELEASES);
        assert_eq!(list[0].number, 6);
        st.put_release("web", release(26, Rollout::RolledBack));
        st.put_release("web", release(27, Rollout::Failed));
        assert_eq!(st.current_release("web").unwrap().number, 25);
        st.put_release("web", release(28, Rollout::TimedOut));
        assert_eq!(st.current_release("web").unwrap().number, 28);
        assert!(st.current_release("api").is_none());
    }
}
