//! The storage abstraction under remote state: a flat store of objects with
//! the conditional writes S3 offers, and nothing more. The remote backend
//! ([`crate::remote`]) builds the lock, the journal and the snapshot on
//! these few operations; `gantry-aws` implements them on S3, and
//! [`MemoryObjects`] in memory for tests.
//!
//! What an implementation must guarantee, and all the protocol assumes:
//! each operation on one key is atomic (a reader sees the old object or the
//! new one, whole); a conditional write either happens or fails with
//! [`ObjectError::Precondition`]; a successful write is durable; reads and
//! lists see every write that returned (S3 is strongly consistent since
//! December 2020). Nothing spans two keys: there is no transaction, and a
//! batch delete may stop half way.
//!
//! Calls block the calling thread (the state store's writer is a plain
//! thread, and the lock's fence is asked from synchronous code):
//! implementations must not need the caller's async runtime.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// An object's bytes and its entity tag, the version a conditional write
/// names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub bytes: Vec<u8>,
    pub etag: String,
}

/// Why an object operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The write's condition did not hold: the key exists (create), or
    /// holds another version or nothing (replace). S3 answers 412, or 409
    /// `ConditionalRequestConflict` while another conditional write to the
    /// key is in flight; both mean another writer got there first.
    #[error("the object changed (a conditional write's precondition failed)")]
    Precondition,
    /// A guarded write not sent: its guard said no at the last moment.
    #[error("not sent: the writer's lease had lapsed")]
    Refused,
    /// Anything else (network, permissions, a missing bucket): nothing is
    /// known to have happened.
    #[error("{0}")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ObjectError {
    pub fn failed(message: impl Into<String>) -> ObjectError {
        ObjectError::Failed(message.into().into())
    }
}

/// A flat key space with conditional writes (S3's subset).
pub trait ObjectStore: Send + Sync {
    /// Where the objects live, for messages (`s3://bucket`).
    fn location(&self) -> String;

    /// The object at `key`, or `None`.
    fn get(&self, key: &str) -> Result<Option<Object>, ObjectError>;

    /// Writes `bytes` at `key` only if no object is there (S3
    /// `If-None-Match: *`); returns the new entity tag.
    fn create(&self, key: &str, bytes: &[u8]) -> Result<String, ObjectError>;

    /// [`ObjectStore::create`], sent only if `guard` still says yes at the
    /// last moment before the request leaves ([`ObjectError::Refused`]
    /// otherwise). The journal passes its lease's freshness: a run frozen
    /// between checking its lease and sending then sends nothing. The
    /// default asks the guard just before calling `create`.
    fn create_guarded(
        &self,
        key: &str,
        bytes: &[u8],
        guard: &Guard,
    ) -> Result<String, ObjectError> {
        if !guard() {
            return Err(ObjectError::Refused);
        }
        self.create(key, bytes)
    }

    /// Replaces the object at `key` only if its entity tag is still `etag`
    /// (S3 `If-Match`); returns the new entity tag.
    fn replace(&self, key: &str, bytes: &[u8], etag: &str) -> Result<String, ObjectError>;

    /// Deletes `keys` (missing ones are no error). Not atomic: on error,
    /// any of them may be gone.
    fn delete(&self, keys: &[String]) -> Result<(), ObjectError>;

    /// Every key starting with `prefix`, in ascending byte order.
    fn list(&self, prefix: &str) -> Result<Vec<String>, ObjectError>;
}

/// Whether a guarded write may still leave (no I/O: called at the last
/// moment before sending).
pub type Guard = Arc<dyn Fn() -> bool + Send + Sync>;

/// Which operation a [`MemoryObjects`] fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Get,
    Create,
    Replace,
    Delete,
    List,
}

/// A fault [`MemoryObjects`] injects into the next matching operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The operation fails without taking effect.
    Fail,
    /// The write takes effect, then its reply is lost and the client sends
    /// it again (what the SDK does after a 500): the second try's
    /// condition fails, so the caller sees [`ObjectError::Precondition`].
    LostReplyResent,
}

/// An in-memory [`ObjectStore`] that behaves no better than S3: entity
/// tags derive from the content (as S3's MD5 ETags do without KMS, so
/// writing the same bytes again keeps the tag), conditional writes are
/// checked per key only, nothing spans two keys, and faults can be
/// injected. Counts calls per operation, for the call-count checks.
#[derive(Default)]
pub struct MemoryObjects {
    objects: Mutex<BTreeMap<String, Object>>,
    faults: Mutex<Vec<(OpKind, Option<String>, Fault)>>,
    calls: [AtomicU64; 5],
}

impl MemoryObjects {
    pub fn new() -> Arc<MemoryObjects> {
        Arc::new(MemoryObjects::default())
    }

    /// Makes the next `op` on a key containing `key_part` (any key with
    /// `None`) fail with `fault`.
    pub fn inject(&self, op: OpKind, key_part: Option<&str>, fault: Fault) {
        self.faults
            .lock()
            .expect("faults")
            .push((op, key_part.map(str::to_string), fault));
    }

    /// How many calls of `op` were made.
    pub fn calls(&self, op: OpKind) -> u64 {
        self.calls[op as usize].load(Ordering::Relaxed)
    }

    /// Calls of every kind.
    pub fn total_calls(&self) -> u64 {
        self.calls.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// A copy of every object (for "nothing changed" checks).
    pub fn snapshot(&self) -> BTreeMap<String, Object> {
        self.objects.lock().expect("objects").clone()
    }

    /// Writes (or with `None` removes) an object unconditionally, as a
    /// person with the console would.
    pub fn put_raw(&self, key: &str, bytes: Option<&[u8]>) {
        let mut g = self.objects.lock().expect("objects");
        match bytes {
            Some(b) => {
                g.insert(key.to_string(), object(b));
            }
            None => {
                g.remove(key);
            }
        }
    }

    fn fault(&self, op: OpKind, key: &str) -> Option<Fault> {
        self.calls[op as usize].fetch_add(1, Ordering::Relaxed);
        let mut f = self.faults.lock().expect("faults");
        let i = f
            .iter()
            .position(|(o, part, _)| *o == op && part.as_deref().is_none_or(|p| key.contains(p)))?;
        Some(f.remove(i).2)
    }

    fn write(
        &self,
        op: OpKind,
        key: &str,
        bytes: &[u8],
        ok: impl Fn(Option<&Object>) -> bool,
    ) -> Result<String, ObjectError> {
        let fault = self.fault(op, key);
        if fault == Some(Fault::Fail) {
            return Err(ObjectError::failed("injected failure"));
        }
        let mut g = self.objects.lock().expect("objects");
        if !ok(g.get(key)) {
            return Err(ObjectError::Precondition);
        }
        let o = object(bytes);
        let etag = o.etag.clone();
        g.insert(key.to_string(), o);
        match fault {
            Some(Fault::LostReplyResent) => Err(ObjectError::Precondition),
            _ => Ok(etag),
        }
    }
}

fn object(bytes: &[u8]) -> Object {
    Object {
        bytes: bytes.to_vec(),
        etag: format!("\"{}\"", hex::encode(&Sha256::digest(bytes)[..16])),
    }
}

impl ObjectStore for MemoryObjects {
    fn location(&self) -> String {
        "mem://objects".into()
    }

    fn get(&self, key: &str) -> Result<Option<Object>, ObjectError> {
        if self.fault(OpKind::Get, key).is_some() {
            return Err(ObjectError::failed("injected failure"));
        }
        Ok(self.objects.lock().expect("objects").get(key).cloned())
    }

    fn create(&self, key: &str, bytes: &[u8]) -> Result<String, ObjectError> {
        self.write(OpKind::Create, key, bytes, |cur| cur.is_none())
    }

    fn replace(&self, key: &str, bytes: &[u8], etag: &str) -> Result<String, ObjectError> {
        self.write(OpKind::Replace, key, bytes, |cur| {
            cur.is_some_and(|c| c.etag == etag)
        })
    }

    fn delete(&self, keys: &[String]) -> Result<(), ObjectError> {
        let first = keys.first().map(String::as_str).unwrap_or("");
        if self.fault(OpKind::Delete, first).is_some() {
            // Half done, as a batch delete may be.
            let mut g = self.objects.lock().expect("objects");
            for k in keys.iter().take(keys.len() / 2) {
                g.remove(k);
            }
            return Err(ObjectError::failed("injected failure"));
        }
        let mut g = self.objects.lock().expect("objects");
        for k in keys {
            g.remove(k);
        }
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, ObjectError> {
        if self.fault(OpKind::List, prefix).is_some() {
            return Err(ObjectError::failed("injected failure"));
        }
        Ok(self
            .objects
            .lock()
            .expect("objects")
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditional_writes_behave_like_s3() {
        let m = MemoryObjects::default();
        let e1 = m.create("k", b"one").unwrap();
        assert!(matches!(
            m.create("k", b"two"),
            Err(ObjectError::Precondition)
        ));
        let e2 = m.replace("k", b"two", &e1).unwrap();
        assert!(matches!(
            m.replace("k", b"three", &e1),
            Err(ObjectError::Precondition)
        ));
        assert!(matches!(
            m.replace("missing", b"x", &e1),
            Err(ObjectError::Precondition)
        ));
        // Same bytes, same tag: an ABA on content is possible, as on S3.
        let e3 = m.replace("k", b"one", &e2).unwrap();
        assert_eq!(e3, e1);
        assert_eq!(m.get("k").unwrap().unwrap().bytes, b"one");
        m.delete(&["k".into(), "nope".into()]).unwrap();
        assert!(m.get("k").unwrap().is_none());
    }

    #[test]
    fn a_lost_reply_leaves_the_write_done() {
        let m = MemoryObjects::default();
        m.inject(OpKind::Create, Some("k"), Fault::LostReplyResent);
        assert!(matches!(
            m.create("k", b"x"),
            Err(ObjectError::Precondition)
        ));
        assert_eq!(m.get("k").unwrap().unwrap().bytes, b"x");
        m.inject(OpKind::Create, None, Fault::Fail);
        assert!(matches!(m.create("j", b"x"), Err(ObjectError::Failed(_))));
        assert!(m.get("j").unwrap().is_none());
        assert_eq!(m.list("").unwrap(), vec!["k".to_string()]);
    }
}
