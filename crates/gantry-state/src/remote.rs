//! Remote state: the snapshot, the journal and the lock of one stack as
//! objects under a prefix of an [`ObjectStore`] (S3), kept safe by
//! conditional writes alone: no lock table, no transaction.
//!
//! Objects under `<prefix>/<stack>-<env>/`:
//!
//! - `lock.json`: the lock ([`LockInfo`] plus `released`). Taken with a
//!   create (`If-None-Match: *`) or, once it exists, a replace (`If-Match`
//!   on the ETag read) of a released or stale lock; renewed and released
//!   by replaces on the holder's own ETag. It is never deleted: a released
//!   lock stays as a marker carrying the last generation issued, so a
//!   generation is never issued twice (what `fence.json` does locally).
//!   Every change of it goes through one ETag chain, so of two runs taking
//!   it at once exactly one succeeds.
//! - `state.json`: the snapshot ([`State`]), plus `journal`, the watermark
//!   of the journal segments it includes, and `pending`, the intents open
//!   when it was written. Replaced only with `If-Match` on the ETag this
//!   run read or wrote last. A run writes it as soon as it opens the store
//!   (its generation is new), so from then on a run that lost the lock
//!   cannot replace it: its `If-Match` names an ETag that is gone, the
//!   write fails, and the run stops with [`StateError::Fenced`].
//! - `journal/<generation>-<n>.jsonl`: the journal, one object per group
//!   commit (the records queued while the previous write ran, JSON lines
//!   as in the local `journal.jsonl`), created with `If-None-Match: *`.
//!   Each is in S3 before the call it announces is sent. Replay reads the
//!   segments after the snapshot's watermark in (generation, n) order;
//!   every segment below it, which includes anything an older generation
//!   writes once a newer one has written the snapshot, is ignored, and
//!   deleted after the next snapshot.
//!
//! **Fencing.** The snapshot is fenced by S3 itself (above). A segment key
//! carries its writer's generation, so no two runs ever write the same key,
//! and a stale run's late segments fall under the new holder's watermark.
//! Before a segment write, and before every AWS call (the CLI's send gate),
//! the holder asks its lease: within half the lease since the last renewal
//! that reached S3, measured on both the monotonic and the wall clock (a
//! laptop's sleep stops the first), it is valid without a call; past that
//! it is renewed first, with `If-Match` on its own ETag, and a failed
//! renewal means the lock was taken over: [`StateError::Fenced`]. A
//! segment write asks the lease once more as the request leaves
//! ([`ObjectStore::create_guarded`]), so a run frozen between its check
//! and its send sends nothing when it wakes.
//!
//! **Lost replies.** A conditional write whose reply is lost and that the
//! SDK sends again fails its condition the second time; a failed condition
//! is therefore checked by reading the object back: if it holds exactly
//! the bytes written, the write was ours.
//!
//! **Call counts.** Per run: lock 2 (get, replace; a first run also reads
//! the snapshot's generation), open 3 (get the snapshot, list the
//! journal, write the snapshot), then one PUT per group commit (at most
//! two per mutating AWS call, intent and result, fewer when operations run
//! in parallel), and at the end one snapshot PUT, one batch delete of the
//! segments, one lock release; plus a renewal every third of the lease.
//! The trade-off against one object appended in place: S3 cannot append,
//! so a single journal object would be rewritten whole at every commit
//! (quadratic bytes); numbered segments cost a PUT each, and a LIST and
//! one GET per leftover segment when a crashed run's journal is replayed.

use crate::document::State;
use crate::fence::Fence;
use crate::journal::{Intent, Record, Replayed, Replayer, Sink};
use crate::lock::{hostname, username, LockInfo};
use crate::object::{Object, ObjectError, ObjectStore};
use crate::StateError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// The lock object's name under a stack's prefix.
pub const LOCK_OBJECT: &str = "lock.json";
/// The snapshot object's name under a stack's prefix.
pub const SNAPSHOT_OBJECT: &str = "state.json";
/// Where the journal segments live under a stack's prefix.
pub const JOURNAL_PREFIX: &str = "journal/";

/// One stack's state in an object store: the store and the key prefix
/// (`<prefix>/<stack>-<env>/`).
#[derive(Clone)]
pub struct Remote {
    objects: Arc<dyn ObjectStore>,
    prefix: String,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url())
    }
}

impl Remote {
    /// The state under `prefix` (slashes around it are ignored; empty is
    /// the store's root).
    pub fn new(objects: Arc<dyn ObjectStore>, prefix: &str) -> Remote {
        let p = prefix.trim_matches('/');
        Remote {
            objects,
            prefix: if p.is_empty() {
                String::new()
            } else {
                format!("{p}/")
            },
        }
    }

    /// `s3://bucket/prefix`, for messages.
    pub fn url(&self) -> String {
        format!(
            "{}/{}",
            self.objects.location(),
            self.prefix.trim_end_matches('/')
        )
    }

    pub fn objects(&self) -> &Arc<dyn ObjectStore> {
        &self.objects
    }

    /// The full key of `name` under this prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// What error paths carry: the URL, as a path.
    pub(crate) fn path(&self) -> PathBuf {
        PathBuf::from(self.url())
    }

    fn err(&self, source: ObjectError) -> StateError {
        StateError::Remote {
            location: self.url(),
            source,
        }
    }

    fn get(&self, name: &str) -> Result<Option<Object>, StateError> {
        self.objects.get(&self.key(name)).map_err(|e| self.err(e))
    }

    /// Writes `bytes` at `name`: created when `etag` is `None`, else
    /// replaced if still at `etag`. A failed condition is checked by
    /// reading back: the bytes may be ours, from a try whose reply was
    /// lost ([`ObjectError::Precondition`] when they are not).
    fn put(&self, name: &str, bytes: &[u8], etag: Option<&str>) -> Result<String, ObjectError> {
        self.put_guarded(name, bytes, etag, None)
    }

    /// [`Remote::put`]; a create with a `guard` is sent only while it holds.
    fn put_guarded(
        &self,
        name: &str,
        bytes: &[u8],
        etag: Option<&str>,
        guard: Option<&crate::object::Guard>,
    ) -> Result<String, ObjectError> {
        let key = self.key(name);
        let r = match (etag, guard) {
            (None, Some(g)) => self.objects.create_guarded(&key, bytes, g),
            (None, None) => self.objects.create(&key, bytes),
            (Some(e), _) => self.objects.replace(&key, bytes, e),
        };
        match r {
            Err(ObjectError::Precondition) => match self.objects.get(&key)? {
                Some(o) if o.bytes == bytes => Ok(o.etag),
                _ => Err(ObjectError::Precondition),
            },
            other => other,
        }
    }
}

/// The content of `lock.json`: the lock, and whether it was released.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LockRecord {
    #[serde(flatten)]
    info: LockInfo,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    released: bool,
}

impl LockRecord {
    fn bytes(info: &LockInfo, released: bool) -> Vec<u8> {
        serde_json::to_vec_pretty(&LockRecord {
            info: info.clone(),
            released,
        })
        .expect("lock serializes")
    }
}

fn read_record(remote: &Remote) -> Result<Option<(LockRecord, String)>, StateError> {
    let Some(o) = remote.get(LOCK_OBJECT)? else {
        return Ok(None);
    };
    let rec = serde_json::from_slice(&o.bytes).map_err(|e| StateError::Corrupt {
        path: PathBuf::from(remote.url()).join(LOCK_OBJECT),
        message: e.to_string(),
    })?;
    Ok(Some((rec, o.etag)))
}

/// The lock held on `remote` now, if any.
pub fn read_lock(remote: &Remote) -> Result<Option<LockInfo>, StateError> {
    Ok(read_record(remote)?
        .filter(|(r, _)| !r.released)
        .map(|(r, _)| r.info))
}

/// Releases whatever lock is held on `remote` (`gantry unlock`) and returns
/// it; its holder, if still running, is refused its next renewal.
pub fn force_unlock(remote: &Remote) -> Result<Option<LockInfo>, StateError> {
    let Some((rec, etag)) = read_record(remote)? else {
        return Ok(None);
    };
    if rec.released {
        return Ok(None);
    }
    match remote.put(
        LOCK_OBJECT,
        &LockRecord::bytes(&rec.info, true),
        Some(&etag),
    ) {
        Ok(_) => Ok(Some(rec.info)),
        Err(ObjectError::Precondition) => Err(StateError::Conflict {
            path: remote.path(),
            message: "the lock changed while it was being removed; look again with `gantry status`"
                .into(),
        }),
        Err(e) => Err(remote.err(e)),
    }
}

/// A remote lock as its holder keeps it: the ETag of its last write (its
/// mutex also serializes renewals) and when that write was sent.
pub(crate) struct Held {
    pub(crate) remote: Remote,
    etag: Mutex<String>,
    renewed: Mutex<(Instant, OffsetDateTime)>,
    /// Set once released: nothing is renewed or written after it.
    released: std::sync::atomic::AtomicBool,
}

/// What [`acquire`] hands to the lock.
pub(crate) struct Acquired {
    pub(crate) info: LockInfo,
    pub(crate) took_over: Option<(LockInfo, String)>,
    pub(crate) held: Held,
}

/// Takes the lock on `remote`: creates `lock.json`, or replaces a released
/// or stale one, conditionally on what was read. Fails with
/// [`StateError::Locked`] naming the holder when a live lock is there.
pub(crate) fn acquire(
    remote: &Remote,
    command: &str,
    lease: Duration,
) -> Result<Acquired, StateError> {
    let host = hostname();
    // Two attempts: the second follows a run that moved the lock between
    // our read and our write (it then holds it, or already let it go).
    for _ in 0..2 {
        let cur = read_record(remote)?;
        let (last, etag, took_over) = match cur {
            None => (snapshot_generation(remote)?, None, None),
            Some((rec, etag)) => {
                let mut took_over = None;
                if !rec.released {
                    match rec.info.stale_reason(OffsetDateTime::now_utc()) {
                        None => return Err(StateError::Locked(Box::new(rec.info))),
                        Some(reason) => took_over = Some((rec.info.clone(), reason)),
                    }
                }
                (rec.info.generation, Some(etag), took_over)
            }
        };
        let sent = (Instant::now(), OffsetDateTime::now_utc());
        let info = LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            generation: last + 1,
            who: format!("{}@{}", username(), host),
            pid: std::process::id(),
            host: host.clone(),
            command: command.to_string(),
            since: sent.1,
            lease_expires: sent.1 + lease,
        };
        match remote.put(
            LOCK_OBJECT,
            &LockRecord::bytes(&info, false),
            etag.as_deref(),
        ) {
            Ok(etag) => {
                return Ok(Acquired {
                    info,
                    took_over,
                    held: Held {
                        remote: remote.clone(),
                        etag: Mutex::new(etag),
                        renewed: Mutex::new(sent),
                        released: Default::default(),
                    },
                })
            }
            Err(ObjectError::Precondition) => continue,
            Err(e) => return Err(remote.err(e)),
        }
    }
    match read_lock(remote)? {
        Some(h) => Err(StateError::Locked(Box::new(h))),
        None => Err(StateError::Conflict {
            path: remote.path(),
            message: "other runs kept taking and releasing the lock; run again".into(),
        }),
    }
}

/// The generation the snapshot was written with (0 if none).
fn snapshot_generation(remote: &Remote) -> Result<u64, StateError> {
    Ok(remote
        .get(SNAPSHOT_OBJECT)?
        .and_then(|o| serde_json::from_slice::<Value>(&o.bytes).ok())
        .and_then(|v| v.get("generation").and_then(Value::as_u64))
        .unwrap_or(0))
}

impl Held {
    /// The lease is valid without asking S3: less than half of it has
    /// passed since the last renewal was sent, on both clocks.
    fn fresh(&self, lease: Duration) -> bool {
        let (mono, wall) = *self.renewed.lock().expect("renewed");
        mono.elapsed() < lease / 2 && OffsetDateTime::now_utc() < wall + lease / 2
    }

    /// `Ok` while the lease is fresh; otherwise renews it first (see
    /// [`Held::renew`]).
    pub(crate) fn check(
        &self,
        info: &Mutex<LockInfo>,
        generation: u64,
        lease: Duration,
        lost: &tokio::sync::watch::Sender<bool>,
    ) -> Result<(), StateError> {
        if !*lost.borrow() && !self.is_released() && self.fresh(lease) {
            return Ok(());
        }
        self.renew(info, generation, lease, lost, false)
    }

    /// Fresh and not released (see [`Held::check`]), without I/O.
    pub(crate) fn is_fresh(&self, lease: Duration) -> bool {
        !self.is_released() && self.fresh(lease)
    }

    fn is_released(&self) -> bool {
        self.released.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Extends the lease with a replace on our own ETag (skipped when not
    /// `force`d and another thread just did it). A failed condition means
    /// the lock is no longer ours: `lost` is set and the error is
    /// [`StateError::Fenced`], naming who holds it now.
    pub(crate) fn renew(
        &self,
        info: &Mutex<LockInfo>,
        generation: u64,
        lease: Duration,
        lost: &tokio::sync::watch::Sender<bool>,
        force: bool,
    ) -> Result<(), StateError> {
        let mut etag = self.etag.lock().expect("etag");
        if *lost.borrow() || self.is_released() {
            return Err(self.fenced(generation));
        }
        if !force && self.fresh(lease) {
            return Ok(());
        }
        let sent = (Instant::now(), OffsetDateTime::now_utc());
        let mut next = info.lock().expect("lock info").clone();
        next.lease_expires = sent.1 + lease;
        match self
            .remote
            .put(LOCK_OBJECT, &LockRecord::bytes(&next, false), Some(&etag))
        {
            Ok(e) => {
                *etag = e;
                *info.lock().expect("lock info") = next;
                *self.renewed.lock().expect("renewed") = sent;
                Ok(())
            }
            Err(ObjectError::Precondition) => {
                lost.send_replace(true);
                Err(self.fenced(generation))
            }
            Err(e) => Err(self.remote.err(e)),
        }
    }

    /// The refusal for a holder of `generation` that lost the lock, naming
    /// who holds it now (or took it last).
    pub(crate) fn fenced(&self, generation: u64) -> StateError {
        let (holder, released) = match read_record(&self.remote) {
            Ok(Some((rec, _))) if !rec.released => (Some(rec.info), false),
            Ok(Some((rec, _))) => (Some(rec.info).filter(|h| h.generation > generation), true),
            _ => (None, true),
        };
        StateError::Fenced {
            path: self.remote.path(),
            generation,
            holder: holder.map(Box::new),
            released,
        }
    }

    /// Marks the lock released, if it is still ours. Nothing is written
    /// through it afterwards.
    pub(crate) fn release(&self, info: &Mutex<LockInfo>) -> Result<(), StateError> {
        let etag = self.etag.lock().expect("etag");
        if self
            .released
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return Ok(());
        }
        let mut last = info.lock().expect("lock info").clone();
        last.lease_expires = OffsetDateTime::now_utc();
        match self
            .remote
            .put(LOCK_OBJECT, &LockRecord::bytes(&last, true), Some(&etag))
        {
            // Not ours any more: someone took it over; nothing to release.
            Ok(_) | Err(ObjectError::Precondition) => Ok(()),
            Err(e) => Err(self.remote.err(e)),
        }
    }
}

/// Which journal segments a snapshot includes: every segment of an older
/// generation, and those of its own below `next`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Watermark {
    pub(crate) generation: u64,
    pub(crate) next: u64,
}

/// The key of segment `n` of `generation`: zero-padded, so the store's
/// byte order is (generation, n) order.
fn segment_name(generation: u64, n: u64) -> String {
    format!("{JOURNAL_PREFIX}{generation:020}-{n:010}.jsonl")
}

fn parse_segment(name: &str) -> Option<Watermark> {
    let (g, n) = name
        .strip_prefix(JOURNAL_PREFIX)?
        .strip_suffix(".jsonl")?
        .split_once('-')?;
    Some(Watermark {
        generation: g.parse().ok()?,
        next: n.parse().ok()?,
    })
}

/// The snapshot as stored: the state, its watermark, the open intents.
fn snapshot_bytes(state: &State, watermark: Watermark, pending: &[Intent]) -> Vec<u8> {
    let mut v = serde_json::to_value(state).expect("state serializes");
    let obj = v.as_object_mut().expect("state is an object");
    obj.insert(
        "journal".into(),
        serde_json::to_value(watermark).expect("watermark serializes"),
    );
    if !pending.is_empty() {
        obj.insert(
            "pending".into(),
            serde_json::to_value(pending).expect("intents serialize"),
        );
    }
    serde_json::to_vec_pretty(&v).expect("state serializes")
}

/// What loading a remote state found.
pub(crate) struct Loaded {
    /// The snapshot as stored (`None`: never written).
    pub(crate) snapshot: Option<State>,
    /// The state with the journal replayed onto it.
    pub(crate) state: State,
    pub(crate) replayed: Replayed,
    /// The snapshot's ETag, for the next conditional replace.
    pub(crate) etag: Option<String>,
    /// Journal segments the snapshot already includes, or that it makes
    /// obsolete (a stale writer's): deleted after the next snapshot.
    pub(crate) covered: Vec<String>,
    /// Segments replayed: deleted after the next snapshot too.
    pub(crate) segments: Vec<String>,
}

/// Loads the snapshot and replays the journal segments after its
/// watermark onto it.
pub(crate) fn load(remote: &Remote, stack: &str, env: &str) -> Result<Loaded, StateError> {
    let path = remote.path().join(SNAPSHOT_OBJECT);
    let (snapshot, watermark, pending, etag) = match remote.get(SNAPSHOT_OBJECT)? {
        None => (None, Watermark::default(), Vec::new(), None),
        Some(o) => {
            let corrupt = |e: serde_json::Error| StateError::Corrupt {
                path: path.clone(),
                message: e.to_string(),
            };
            let mut v: Value = serde_json::from_slice(&o.bytes).map_err(corrupt)?;
            let obj = v.as_object_mut().ok_or_else(|| StateError::Corrupt {
                path: path.clone(),
                message: "not a JSON object".into(),
            })?;
            let watermark = match obj.remove("journal") {
                Some(w) => serde_json::from_value(w).map_err(corrupt)?,
                None => Watermark::default(),
            };
            let pending: Vec<Intent> = match obj.remove("pending") {
                Some(p) => serde_json::from_value(p).map_err(corrupt)?,
                None => Vec::new(),
            };
            let state = State::from_value(v, &path, stack, env)?;
            (Some(state), watermark, pending, Some(o.etag))
        }
    };
    let mut state = snapshot.clone().unwrap_or_else(|| State::new(stack, env));
    let mut r = Replayer::new(&state);
    r.reopen(pending);
    let (mut covered, mut segments) = (Vec::new(), Vec::new());
    let names = remote
        .objects
        .list(&remote.key(JOURNAL_PREFIX))
        .map_err(|e| remote.err(e))?;
    for key in names {
        let name = &key[remote.prefix.len()..];
        let Some(at) = parse_segment(name) else {
            continue;
        };
        if at < watermark {
            covered.push(key);
            continue;
        }
        // Gone since the listing: a compaction that included it.
        let Some(o) = remote.objects.get(&key).map_err(|e| remote.err(e))? else {
            continue;
        };
        let text = String::from_utf8_lossy(&o.bytes);
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            // A segment is written whole or not at all: no torn lines.
            let rec: Record = serde_json::from_str(line).map_err(|e| StateError::Corrupt {
                path: remote.path().join(name),
                message: format!("line {}: {e}", i + 1),
            })?;
            r.feed(&mut state, rec);
        }
        segments.push(key);
    }
    let replayed = r.finish(&mut state);
    Ok(Loaded {
        snapshot,
        state,
        replayed,
        etag,
        covered,
        segments,
    })
}

/// The current state on `remote`, read without the lock: the snapshot with
/// the journal replayed, in memory.
pub fn read_state(remote: &Remote, stack: &str, env: &str) -> Result<State, StateError> {
    Ok(load(remote, stack, env)?.state)
}

/// The remote journal's writer side (see the module docs).
pub(crate) struct RemoteSink {
    remote: Remote,
    fence: Option<Arc<dyn Fence>>,
    generation: u64,
    /// The next segment number of this generation.
    next: u64,
    /// The snapshot's ETag (`None`: there is none yet).
    etag: Option<String>,
    /// Segments the snapshot does not include yet (this run's) and those
    /// it does but that are not deleted yet.
    unsnapshotted: Vec<String>,
    obsolete: Vec<String>,
}

impl RemoteSink {
    pub(crate) fn new(
        remote: Remote,
        fence: Option<Arc<dyn Fence>>,
        generation: u64,
        loaded: &mut Loaded,
    ) -> RemoteSink {
        let mut unsnapshotted = std::mem::take(&mut loaded.segments);
        unsnapshotted.sort();
        RemoteSink {
            remote,
            fence,
            generation,
            next: 0,
            etag: loaded.etag.take(),
            unsnapshotted,
            obsolete: std::mem::take(&mut loaded.covered),
        }
    }

    /// A refused conditional write: the lock's refusal if it is no longer
    /// ours, else the snapshot changed under a run that holds the lock.
    fn refused(&self, what: &str) -> StateError {
        if let Some(f) = &self.fence {
            if let Err(e) = f.confirm() {
                return e;
            }
        }
        StateError::Conflict {
            path: self.remote.path(),
            message: format!(
                "{what} changed under this run while it held the lock (written by hand, or by \
                 a run that had lost the lock before this one opened the state); nothing was \
                 overwritten, run again"
            ),
        }
    }
}

impl Sink for RemoteSink {
    fn append(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let name = segment_name(self.generation, self.next);
        let remote = &self.remote;
        // The lease is asked again as the request leaves: a run frozen
        // between the fence's check and the send sends nothing on waking.
        let guard: Option<crate::object::Guard> = self.fence.clone().map(|f| {
            let g: crate::object::Guard = Arc::new(move || f.still_fresh());
            g
        });
        let fence = self.fence.clone();
        let write = || match remote.put_guarded(&name, bytes, None, guard.as_ref()) {
            Ok(_) => Ok(()),
            Err(ObjectError::Refused) => Err(match fence.as_ref().map(|f| f.confirm()) {
                Some(Err(e)) => e,
                _ => remote.err(ObjectError::Refused),
            }),
            Err(ObjectError::Precondition) => Err(StateError::Conflict {
                path: remote.path().join(&name),
                message: "a journal segment of this run's generation exists already".into(),
            }),
            Err(e) => Err(remote.err(e)),
        };
        crate::fence::fenced(self.fence.as_deref(), write)?;
        self.next += 1;
        self.unsnapshotted.push(self.remote.key(&name));
        Ok(())
    }

    fn write_snapshot(&mut self, state: &State, keep: &[Record]) -> Result<(), StateError> {
        let pending: Vec<Intent> = keep
            .iter()
            .filter_map(|r| match r {
                Record::Intent { intent, .. } => Some(intent.clone()),
                _ => None,
            })
            .collect();
        let mark = Watermark {
            generation: self.generation,
            next: self.next,
        };
        let bytes = snapshot_bytes(state, mark, &pending);
        // Conditional on our last ETag: it is its own fence.
        match self
            .remote
            .put(SNAPSHOT_OBJECT, &bytes, self.etag.as_deref())
        {
            Ok(etag) => {
                self.etag = Some(etag);
                self.obsolete.append(&mut self.unsnapshotted);
                Ok(())
            }
            Err(ObjectError::Precondition) => Err(self.refused("the snapshot")),
            Err(e) => Err(self.remote.err(e)),
        }
    }

    /// Deletes the segments the snapshot includes. Best effort: one that
    /// stays is below the watermark, ignored by replay, deleted next time.
    fn truncate(&mut self, _keep: &[Record]) -> Result<(), StateError> {
        if self.obsolete.is_empty() {
            return Ok(());
        }
        if self.remote.objects.delete(&self.obsolete).is_ok() {
            self.obsolete.clear();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_sort_by_generation_then_number() {
        let mut names = [
            segment_name(10, 2),
            segment_name(9, 11),
            segment_name(10, 10),
        ];
        names.sort();
        let parsed: Vec<Watermark> = names.iter().filter_map(|n| parse_segment(n)).collect();
        assert_eq!(
            parsed,
            vec![
                Watermark {
                    generation: 9,
                    next: 11
                },
                Watermark {
                    generation: 10,
                    next: 2
                },
                Watermark {
                    generation: 10,
                    next: 10
                },
            ]
        );
        assert!(parse_segment("journal/x-1.jsonl").is_none());
        assert!(parse_segment("state.json").is_none());
    }

    #[test]
    fn watermark_covers_older_generations_and_earlier_segments() {
        let w = Watermark {
            generation: 5,
            next: 3,
        };
        let at = |generation, next| Watermark { generation, next };
        assert!(at(4, 99) < w);
        assert!(at(5, 2) < w);
        assert!(at(5, 3) >= w);
        assert!(at(6, 0) >= w);
    }

    #[test]
    fn prefixes_are_normalized() {
        let m: Arc<dyn ObjectStore> = crate::object::MemoryObjects::new();
        let r = Remote::new(m.clone(), "/team/app-dev/");
        assert_eq!(r.key(LOCK_OBJECT), "team/app-dev/lock.json");
        assert_eq!(r.url(), "mem://objects/team/app-dev");
        assert_eq!(Remote::new(m, "").key(LOCK_OBJECT), "lock.json");
    }
}
