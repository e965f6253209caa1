//! The write-ahead journal: an intent record is durable before every
//! mutating provider call and a result record after it, so a run killed at
//! any instant can be replayed, and an intent without a result tells the
//! next run exactly which call may or may not have happened.
//!
//! Records are JSON lines. Appends go through one writer thread that drains
//! whatever records are queued and fsyncs once for the whole batch (group
//! commit): many parallel operations cost one fsync per batch, not per record.
//!
//! **Generations.** Every line carries `gen`, the lock generation of the run
//! that wrote it, and every intent the generation that issued it (with its
//! `seq`, the intent's identity; a result names the intent it resolves by
//! both). A fenced writer checks its lock before each batch and before each
//! rewrite ([`crate::Fence`]), but a holder paused between the check and the
//! write could still append after a newer holder started; so replay starts
//! from the snapshot's generation and ignores every line whose `gen` is
//! lower than the highest seen so far, and pairs results with intents by
//! (generation, seq), so two writers' colliding sequence numbers can never
//! pair one's intent with the other's result. Sequence numbers do not
//! collide across generations anyway: a fenced run issues `seq` from
//! `generation × 2³² + 1` on (see [`first_seq`]).

use crate::document::{Deposed, Release, ResourceState, State, Status};
use crate::fence::{fenced, Fence};
use crate::{io_err, StateError};
use gantry_core::{Address, Props};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Create,
    Update,
    Delete,
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
        })
    }
}

/// Written before a mutating provider call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    pub seq: u64,
    /// The lock generation of the run that issued this intent: with `seq`,
    /// its identity (0 for intents written without generations).
    #[serde(default)]
    pub generation: u64,
    pub op: Op,
    pub address: Address,
    pub kind: String,
    /// The idempotency token passed to the provider; a resumed run reuses it.
    pub token: String,
    /// The physical id acted on (update, delete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The resolved properties being applied (create, update), secrets as
    /// markers.
    #[serde(default)]
    pub props: Props,
    #[serde(default)]
    pub dependencies: Vec<Address>,
}

/// How a journaled operation ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    /// The call succeeded. `id`/`outputs` are set for create and update.
    Ok {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default)]
        outputs: Props,
    },
    /// The call failed; nothing changed, unless `id` is set (the object
    /// exists but is not usable: it is recorded as tainted).
    Err {
        error: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    /// Recovery found the object gone: forget it.
    Gone,
}

/// A change to the record that no AWS call goes with: what a deploy learns
/// of a rollout (the revision a service ended on) and its release history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "edit", rename_all = "lowercase")]
pub enum Edit {
    /// Records `resource` at `address` (forgets the address with `None`).
    Resource {
        address: Address,
        #[serde(default)]
        resource: Option<ResourceState>,
    },
    /// Adds a release of `service` or replaces the one with its number.
    Release { service: String, release: Release },
    /// Forgets the release history of `service` (its service and task
    /// definitions are gone: destroyed, or dropped from the spec).
    Retire { service: String },
}

impl Edit {
    /// Applies the edit to `state` (what replay and the store do).
    pub fn apply_to(&self, state: &mut State) {
        match self {
            Edit::Resource {
                address,
                resource: Some(r),
            } => {
                state.resources.insert(address.clone(), r.clone());
            }
            Edit::Resource {
                address,
                resource: None,
            } => {
                state.resources.remove(address);
            }
            Edit::Release { service, release } => state.put_release(service, release.clone()),
            Edit::Retire { service } => {
                state.releases.remove(service);
            }
        }
    }
}

/// One journal line. `gen` is the lock generation of the run that wrote
/// the line (the fencing token; 0 for lines written before generations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Record {
    Intent {
        #[serde(default)]
        gen: u64,
        #[serde(flatten)]
        intent: Intent,
    },
    Result {
        #[serde(default)]
        gen: u64,
        /// The generation of the intent this resolves (with `seq`, the
        /// intent's identity): a newer run resolving an interrupted intent
        /// writes its own `gen` and the intent's `generation`.
        #[serde(default)]
        generation: u64,
        seq: u64,
        #[serde(flatten)]
        outcome: Outcome,
    },
    /// An [`Edit`], complete in itself.
    Edit {
        #[serde(default)]
        gen: u64,
        #[serde(flatten)]
        edit: Edit,
    },
}

impl Record {
    /// The generation of the run that wrote this line.
    pub fn gen(&self) -> u64 {
        match self {
            Record::Intent { gen, .. } | Record::Result { gen, .. } | Record::Edit { gen, .. } => {
                *gen
            }
        }
    }
}

/// The first sequence number a run of lock generation `generation` issues:
/// each generation has its own range of 2³² numbers, so a paused holder
/// that keeps counting can never reuse a number (or the idempotency token
/// derived from it) of the run that took its lock over.
pub fn first_seq(generation: u64) -> u64 {
    generation.saturating_mul(1 << 32).saturating_add(1)
}

/// Applies a finished operation to the state. Replaying the same pair twice
/// leaves the same state, which matters because a crash between writing the
/// snapshot and truncating the journal replays records already in it.
pub(crate) fn apply(state: &mut State, intent: &Intent, outcome: &Outcome) {
    let addr = &intent.address;
    match (intent.op, outcome) {
        (Op::Create | Op::Update, Outcome::Ok { id, outputs }) => {
            let id = id.clone().or_else(|| intent.id.clone()).unwrap_or_default();
            let fresh = ResourceState {
                kind: intent.kind.clone(),
                id: id.clone(),
                props: intent.props.clone(),
                outputs: outputs.clone(),
                dependencies: intent.dependencies.clone(),
                status: Status::Ok,
                deposed: Vec::new(),
            };
            match state.resources.get_mut(addr) {
                Some(cur) if cur.id != id && intent.op == Op::Create => {
                    // A create-before-destroy replacement: the old object
                    // stays recorded until its delete succeeds.
                    let old = std::mem::replace(cur, fresh);
                    cur.deposed = old.deposed;
                    cur.deposed.push(Deposed {
                        id: old.id,
                        props: old.props,
                        outputs: old.outputs,
                        dependencies: old.dependencies,
                    });
                }
                Some(cur) => {
                    let deposed = std::mem::take(&mut cur.deposed);
                    *cur = fresh;
                    cur.deposed = deposed;
                }
                None => {
                    state.resources.insert(addr.clone(), fresh);
                }
            }
        }
        (Op::Create, Outcome::Err { id: Some(id), .. }) => {
            let tainted = ResourceState {
                kind: intent.kind.clone(),
                id: id.clone(),
                props: intent.props.clone(),
                outputs: Props::new(),
                dependencies: intent.dependencies.clone(),
                status: Status::Tainted,
                deposed: Vec::new(),
            };
            match state.resources.get_mut(addr) {
                Some(cur) if cur.id != *id => {
                    let old = std::mem::replace(cur, tainted);
                    cur.deposed = old.deposed;
                    cur.deposed.push(Deposed {
                        id: old.id,
                        props: old.props,
                        outputs: old.outputs,
                        dependencies: old.dependencies,
                    });
                }
                _ => {
                    state.resources.insert(addr.clone(), tainted);
                }
            }
        }
        (Op::Delete, Outcome::Ok { .. }) | (_, Outcome::Gone) => {
            forget(state, addr, intent.id.as_deref())
        }
        (_, Outcome::Err { .. }) => {}
    }
}

/// Removes the object `id` at `addr` (the current one or a deposed one).
fn forget(state: &mut State, addr: &Address, id: Option<&str>) {
    let Some(cur) = state.resources.get_mut(addr) else {
        return;
    };
    match id {
        Some(id) if cur.id != id => cur.deposed.retain(|d| d.id != id),
        _ => {
            if cur.deposed.is_empty() {
                state.resources.remove(addr);
            } else {
                // The current object is gone but older ones remain: promote
                // one so it is still tracked (and deleted by the next plan).
                let d = cur.deposed.remove(0);
                cur.id = d.id;
                cur.props = d.props;
                cur.outputs = d.outputs;
                cur.dependencies = d.dependencies;
                cur.status = Status::Tainted;
            }
        }
    }
}

/// What replaying a journal found.
#[derive(Debug, Default)]
pub(crate) struct Replayed {
    /// Intents without a result (operations interrupted by a crash), by
    /// (generation, seq).
    pub(crate) open: BTreeMap<(u64, u64), Intent>,
    /// Lines ignored because an older generation wrote them after a newer
    /// one had started: what a holder that lost its lock appended.
    pub(crate) stale: usize,
}

/// Replays the journal at `path` onto `state`: lines of a generation older
/// than the snapshot's, or than a line before them, are ignored; results
/// apply to the intent of the same (generation, seq). Raises
/// `state.generation` to the highest generation replayed.
pub(crate) fn replay(path: &Path, state: &mut State) -> Result<Replayed, StateError> {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Replayed::default()),
        Err(e) => return Err(io_err(path)(e)),
    };
    let mut r = Replayer::new(state);
    let lines: Vec<String> = std::io::BufReader::new(f)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(io_err(path))?;
    let n = lines.len();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let rec: Record = match serde_json::from_str(line) {
            Ok(r) => r,
            // A torn final line is what a crash mid-append leaves: the record
            // was never acknowledged, so the operation it described never
            // started (intent) or is resolved like a pending one (result).
            Err(_) if i + 1 == n => break,
            Err(e) => {
                return Err(StateError::Corrupt {
                    path: path.to_path_buf(),
                    message: format!("line {}: {e}", i + 1),
                })
            }
        };
        r.feed(state, rec);
    }
    Ok(r.finish(state))
}

/// Replay, one record at a time, in the order they were written (shared
/// by the journal file and the remote journal's segments).
pub(crate) struct Replayer {
    newest: u64,
    out: Replayed,
}

impl Replayer {
    pub(crate) fn new(state: &State) -> Replayer {
        Replayer {
            newest: state.generation,
            out: Replayed::default(),
        }
    }

    /// Starts from intents left open by an earlier compaction.
    pub(crate) fn reopen(&mut self, intents: impl IntoIterator<Item = Intent>) {
        for it in intents {
            self.out.open.insert((it.generation, it.seq), it);
        }
    }

    pub(crate) fn feed(&mut self, state: &mut State, rec: Record) {
        if let Record::Intent { intent, .. } = &rec {
            // Never reuse a number seen on disk, even a stale writer's.
            state.next_seq = state.next_seq.max(intent.seq + 1);
        }
        if rec.gen() < self.newest {
            self.out.stale += 1;
            return;
        }
        self.newest = rec.gen();
        match rec {
            Record::Intent { intent, .. } => {
                self.out
                    .open
                    .insert((intent.generation, intent.seq), intent);
            }
            Record::Result {
                generation,
                seq,
                outcome,
                ..
            } => {
                if let Some(it) = self.out.open.remove(&(generation, seq)) {
                    apply(state, &it, &outcome);
                }
            }
            Record::Edit { edit, .. } => edit.apply_to(state),
        }
    }

    pub(crate) fn finish(self, state: &mut State) -> Replayed {
        state.generation = self.newest;
        self.out
    }
}

type Ack = Result<(), StateError>;

/// Where a journal's records go: a file (local state) or numbered objects
/// (remote state, [`crate::remote`]). Called from the writer thread only.
pub(crate) trait Sink: Send {
    /// Makes whole JSON lines durable, only while the fence allows.
    fn append(&mut self, bytes: &[u8]) -> Result<(), StateError>;

    /// Compaction, first step: writes the snapshot, fenced. `keep` are the
    /// intents still open (a remote snapshot carries them).
    fn write_snapshot(&mut self, snapshot: &State, keep: &[Record]) -> Result<(), StateError>;

    /// Compaction, second step: leaves the journal holding only what the
    /// last snapshot does not (`keep`, for a journal file).
    fn truncate(&mut self, keep: &[Record]) -> Result<(), StateError>;
}

/// How a compaction went: whether its snapshot was written, and its result.
pub(crate) type Compacted = (bool, Ack);

enum Msg {
    Append(Vec<u8>, tokio::sync::oneshot::Sender<Ack>),
    Compact(
        Option<Box<State>>,
        Vec<Record>,
        std::sync::mpsc::Sender<Compacted>,
    ),
}

/// The single appender of one journal.
pub(crate) struct Writer {
    tx: Option<std::sync::mpsc::Sender<Msg>>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub(crate) path: PathBuf,
    /// Durable writes of appended batches so far (fsyncs, or object PUTs),
    /// to observe group commit.
    pub(crate) syncs: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Writer {
    /// Opens the appender of the journal file at `path`, whose snapshot is
    /// `snapshot`; with a `fence`, every batch and every compaction is
    /// written only while the fence says the lock is still ours, and after
    /// the first refusal nothing more is written at all.
    pub(crate) fn open(
        path: &Path,
        snapshot: &Path,
        fence: Option<Arc<dyn Fence>>,
    ) -> Result<Writer, StateError> {
        let file = open_append(path).map_err(io_err(path))?;
        let sink = FileSink {
            path: path.to_path_buf(),
            snapshot: snapshot.to_path_buf(),
            file,
            fence,
        };
        Writer::start(Box::new(sink), path)
    }

    /// Starts the writer thread over `sink`; `label` names it in errors.
    pub(crate) fn start(sink: Box<dyn Sink>, label: &Path) -> Result<Writer, StateError> {
        let (tx, rx) = std::sync::mpsc::channel::<Msg>();
        let syncs = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = syncs.clone();
        // A plain thread, not a tokio task: fsyncs and object writes block,
        // and the batch is whatever piled up while the previous one ran.
        let thread = std::thread::Builder::new()
            .name("gantry-journal".into())
            .spawn(move || {
                let mut w = Appender {
                    sink,
                    refused: None,
                };
                w.run(rx, &counter)
            })
            .map_err(io_err(label))?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
            path: label.to_path_buf(),
            syncs,
        })
    }

    fn send(&self, m: Msg) -> Result<(), StateError> {
        self.tx
            .as_ref()
            .expect("sender lives until drop")
            .send(m)
            .map_err(|_| self.closed())
    }

    fn closed(&self) -> StateError {
        StateError::Io {
            path: self.path.clone(),
            source: std::io::Error::other("journal writer stopped"),
        }
    }

    /// Appends records and returns once they are durable.
    pub(crate) async fn append(&self, recs: &[Record]) -> Result<(), StateError> {
        let (ack, done) = tokio::sync::oneshot::channel();
        self.send(Msg::Append(lines(recs), ack))?;
        done.await.map_err(|_| self.closed())?
    }

    /// Writes the snapshot (if given) and truncates the journal to `recs`,
    /// the intents still open (compaction). Says whether the snapshot was
    /// written, also on error.
    pub(crate) fn compact(&self, snapshot: Option<State>, recs: &[Record]) -> Compacted {
        let (ack, done) = std::sync::mpsc::channel();
        if let Err(e) = self.send(Msg::Compact(snapshot.map(Box::new), recs.to_vec(), ack)) {
            return (false, Err(e));
        }
        done.recv().unwrap_or_else(|_| (false, Err(self.closed())))
    }
}

impl Drop for Writer {
    /// Stops the writer thread and waits for it, so that whatever it holds
    /// (the fence, hence the lock) is released when the store is dropped.
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub(crate) fn lines(recs: &[Record]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for r in recs {
        serde_json::to_writer(&mut bytes, r).expect("records serialize");
        bytes.push(b'\n');
    }
    bytes
}

fn open_append(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

/// The writer thread's side: batching, and the refusal that stops it.
struct Appender {
    sink: Box<dyn Sink>,
    /// The refusal that stopped this writer: every later write gets it too.
    refused: Option<StateError>,
}

impl Appender {
    fn run(&mut self, rx: std::sync::mpsc::Receiver<Msg>, syncs: &std::sync::atomic::AtomicU64) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            while let Ok(m) = rx.try_recv() {
                batch.push(m);
            }
            let mut acks = Vec::new();
            let mut buf = Vec::new();
            for m in batch {
                match m {
                    Msg::Append(bytes, ack) => {
                        buf.extend_from_slice(&bytes);
                        acks.push(ack);
                    }
                    Msg::Compact(snapshot, keep, ack) => {
                        // Flush what came before the compaction first, so
                        // nothing acknowledged is lost by reordering.
                        let r = self.flush(&buf);
                        buf.clear();
                        for a in acks.drain(..) {
                            let _ = a.send(dup(&r));
                        }
                        let r = self.compact(snapshot.as_deref(), &keep);
                        let _ = ack.send(r);
                    }
                }
            }
            if !acks.is_empty() {
                let r = self.flush(&buf);
                syncs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                for a in acks {
                    let _ = a.send(dup(&r));
                }
            }
        }
    }

    /// Fails with the earlier refusal, if there was one.
    fn stopped(&self) -> Result<(), StateError> {
        match &self.refused {
            Some(e) => Err(e.duplicate()),
            None => Ok(()),
        }
    }

    /// Remembers a refusal: nothing is written after it.
    fn note(&mut self, r: Result<(), StateError>) -> Result<(), StateError> {
        if let Err(e @ StateError::Fenced { .. }) = &r {
            self.refused = Some(e.duplicate());
        }
        r
    }

    fn flush(&mut self, buf: &[u8]) -> Result<(), StateError> {
        if buf.is_empty() {
            return Ok(());
        }
        self.stopped()?;
        let r = self.sink.append(buf);
        self.note(r)
    }

    fn compact(&mut self, snapshot: Option<&State>, keep: &[Record]) -> Compacted {
        if let Err(e) = self.stopped() {
            return (false, Err(e));
        }
        if let Some(s) = snapshot {
            let r = self.sink.write_snapshot(s, keep);
            if let Err(e) = self.note(r) {
                return (false, Err(e));
            }
        }
        let r = self.sink.truncate(keep);
        (snapshot.is_some(), self.note(r))
    }
}

/// The local journal: one file of JSON lines beside the snapshot.
struct FileSink {
    path: PathBuf,
    snapshot: PathBuf,
    file: std::fs::File,
    fence: Option<Arc<dyn Fence>>,
}

impl Sink for FileSink {
    /// Only the check and the write are fenced; the fsync follows outside,
    /// so other holders wait for a syscall, not for the disk.
    fn append(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let (path, file) = (&self.path, &mut self.file);
        fenced(self.fence.as_deref(), || {
            file.write_all(bytes).map_err(io_err(path))
        })?;
        self.file.sync_data().map_err(io_err(&self.path))
    }

    /// Replaced atomically, the rename fenced.
    fn write_snapshot(&mut self, snapshot: &State, _keep: &[Record]) -> Result<(), StateError> {
        let bytes = serde_json::to_vec_pretty(snapshot).expect("state serializes");
        crate::document::write_atomic_fenced(&self.snapshot, &bytes, self.fence.as_deref())
    }

    /// The journal replaced atomically (the rename fenced) and reopened.
    fn truncate(&mut self, keep: &[Record]) -> Result<(), StateError> {
        crate::document::write_atomic_fenced(&self.path, &lines(keep), self.fence.as_deref())?;
        self.file = open_append(&self.path).map_err(io_err(&self.path))?;
        Ok(())
    }
}

fn dup(r: &Result<(), StateError>) -> Result<(), StateError> {
    match r {
        Ok(()) => Ok(()),
        Err(e) => Err(e.duplicate()),
    }
}
