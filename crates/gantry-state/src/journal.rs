//! The write-ahead journal: an intent record is durable before every
//! mutating provider call and a result record after it, so a run killed at
//! any instant can be replayed, and an intent without a result tells the
//! next run exactly which call may or may not have happened.
//!
//! Records are JSON lines. Appends go through one writer thread that drains
//! whatever records are queued and fsyncs once for the whole batch (group
//! commit): many parallel operations cost one fsync per batch, not per record.

use crate::document::{Deposed, ResourceState, State, Status};
use crate::{io_err, StateError};
use gantry_core::{Address, Props};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

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

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Record {
    Intent(Intent),
    Result {
        seq: u64,
        #[serde(flatten)]
        outcome: Outcome,
    },
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

/// Replays the journal at `path` onto `state`. Returns the intents that have
/// no result (operations interrupted by a crash), by sequence number.
pub(crate) fn replay(path: &Path, state: &mut State) -> Result<BTreeMap<u64, Intent>, StateError> {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(io_err(path)(e)),
    };
    let mut open: BTreeMap<u64, Intent> = BTreeMap::new();
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
        match rec {
            Record::Intent(it) => {
                state.next_seq = state.next_seq.max(it.seq + 1);
                open.insert(it.seq, it);
            }
            Record::Result { seq, outcome } => {
                if let Some(it) = open.remove(&seq) {
                    apply(state, &it, &outcome);
                }
            }
        }
    }
    Ok(open)
}

enum Msg {
    Append(Vec<u8>, tokio::sync::oneshot::Sender<std::io::Result<()>>),
    Rewrite(Vec<u8>, std::sync::mpsc::Sender<std::io::Result<()>>),
}

/// The single appender of one journal file.
pub(crate) struct Writer {
    tx: std::sync::mpsc::Sender<Msg>,
    pub(crate) path: PathBuf,
    /// fsyncs of appended batches so far (to observe group commit).
    pub(crate) syncs: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Writer {
    pub(crate) fn open(path: &Path) -> Result<Writer, StateError> {
        let file = open_append(path).map_err(io_err(path))?;
        let (tx, rx) = std::sync::mpsc::channel::<Msg>();
        let p = path.to_path_buf();
        let syncs = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = syncs.clone();
        // A plain thread, not a tokio task: fsync blocks, and the batch is
        // whatever piled up while the previous fsync ran.
        std::thread::Builder::new()
            .name("gantry-journal".into())
            .spawn(move || writer_loop(p, file, rx, &counter))
            .map_err(io_err(path))?;
        Ok(Writer {
            tx,
            path: path.to_path_buf(),
            syncs,
        })
    }

    /// Appends records and returns once they are durable.
    pub(crate) async fn append(&self, recs: &[Record]) -> Result<(), StateError> {
        let mut bytes = Vec::new();
        for r in recs {
            serde_json::to_writer(&mut bytes, r).expect("records serialize");
            bytes.push(b'\n');
        }
        let (ack, done) = tokio::sync::oneshot::channel();
        let closed = || StateError::Io {
            path: self.path.clone(),
            source: std::io::Error::other("journal writer stopped"),
        };
        self.tx
            .send(Msg::Append(bytes, ack))
            .map_err(|_| closed())?;
        done.await
            .map_err(|_| closed())?
            .map_err(io_err(&self.path))
    }

    /// Replaces the journal's whole content (compaction).
    pub(crate) fn rewrite(&self, recs: &[Record]) -> Result<(), StateError> {
        let mut bytes = Vec::new();
        for r in recs {
            serde_json::to_writer(&mut bytes, r).expect("records serialize");
            bytes.push(b'\n');
        }
        let (ack, done) = std::sync::mpsc::channel();
        let closed = || StateError::Io {
            path: self.path.clone(),
            source: std::io::Error::other("journal writer stopped"),
        };
        self.tx
            .send(Msg::Rewrite(bytes, ack))
            .map_err(|_| closed())?;
        done.recv()
            .map_err(|_| closed())?
            .map_err(io_err(&self.path))
    }
}

fn open_append(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

fn writer_loop(
    path: PathBuf,
    mut file: std::fs::File,
    rx: std::sync::mpsc::Receiver<Msg>,
    syncs: &std::sync::atomic::AtomicU64,
) {
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
                Msg::Rewrite(bytes, ack) => {
                    // Flush what came before the rewrite first, so nothing
                    // acknowledged is lost by reordering.
                    let r = flush(&mut file, &buf);
                    buf.clear();
                    for a in acks.drain(..) {
                        let _ = a.send(clone_result(&r));
                    }
                    let r = rewrite(&path, &bytes).map(|f| file = f);
                    let _ = ack.send(r);
                }
            }
        }
        if !acks.is_empty() {
            let r = flush(&mut file, &buf);
            syncs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            for a in acks {
                let _ = a.send(clone_result(&r));
            }
        }
    }
}

fn flush(file: &mut std::fs::File, buf: &[u8]) -> std::io::Result<()> {
    if buf.is_empty() {
        return Ok(());
    }
    file.write_all(buf)?;
    file.sync_data()
}

fn rewrite(path: &Path, bytes: &[u8]) -> std::io::Result<std::fs::File> {
    crate::document::write_atomic(path, bytes).map_err(|e| match e {
        StateError::Io { source, .. } => source,
        other => std::io::Error::other(other.to_string()),
    })?;
    open_append(path)
}

fn clone_result(r: &std::io::Result<()>) -> std::io::Result<()> {
    match r {
        Ok(()) => Ok(()),
        Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
    }
}
