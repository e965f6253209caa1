//! Preview environments' records: `preview.json` beside a preview's state
//! (`<stack>-<env>/preview.json`, a file or an object under the same
//! prefix), written by `gantry up --from` before it applies anything (so a
//! preview that failed half-way is still found and collected) and removed
//! by the `destroy` that empties it. `gantry preview list` and `gc` find
//! them by listing the stack's siblings: one record per preview means two
//! pull requests never write the same object.

use crate::backend::Backend;
use crate::document::write_atomic;
use crate::remote::Remote;
use crate::StateError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The record's file (or object) name in a preview's state location.
pub const PREVIEW_FILE: &str = "preview.json";

/// One preview environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRecord {
    /// Its environment name (`pr-42`).
    pub env: String,
    /// The environment it was built from (`dev`).
    pub from: String,
    /// When it was first created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When `gantry preview gc` may destroy it: the last `up`'s time plus
    /// its `--ttl`.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl PreviewRecord {
    pub fn expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at <= now
    }
}

fn parse(path: &str, bytes: &[u8]) -> Result<PreviewRecord, StateError> {
    serde_json::from_slice(bytes).map_err(|e| StateError::Corrupt {
        path: path.into(),
        message: e.to_string(),
    })
}

fn remote_err(r: &Remote, source: crate::ObjectError) -> StateError {
    StateError::Remote {
        location: r.url(),
        source,
    }
}

impl Backend {
    /// This environment's preview record, if it is a preview.
    pub fn read_preview(&self) -> Result<Option<PreviewRecord>, StateError> {
        match self {
            Backend::Local(d) => {
                let path = d.join(PREVIEW_FILE);
                match std::fs::read(&path) {
                    Ok(b) => parse(&path.display().to_string(), &b).map(Some),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => Err(StateError::Io { path, source }),
                }
            }
            Backend::Remote(r) => {
                let key = r.key(PREVIEW_FILE);
                match r.objects().get(&key).map_err(|e| remote_err(r, e))? {
                    Some(o) => parse(&key, &o.bytes).map(Some),
                    None => Ok(None),
                }
            }
        }
    }

    /// Writes (or replaces) this environment's preview record.
    pub fn write_preview(&self, record: &PreviewRecord) -> Result<(), StateError> {
        let bytes = serde_json::to_vec_pretty(record).expect("records serialize");
        match self {
            Backend::Local(d) => {
                std::fs::create_dir_all(d).map_err(|source| StateError::Io {
                    path: d.clone(),
                    source,
                })?;
                write_atomic(&d.join(PREVIEW_FILE), &bytes)
            }
            Backend::Remote(r) => {
                let key = r.key(PREVIEW_FILE);
                let objects = r.objects();
                match objects.get(&key).map_err(|e| remote_err(r, e))? {
                    Some(o) => objects.replace(&key, &bytes, &o.etag),
                    None => objects.create(&key, &bytes),
                }
                .map(|_| ())
                .map_err(|e| remote_err(r, e))
            }
        }
    }

    /// Forgets the preview record (after its environment was destroyed).
    pub fn remove_preview(&self) -> Result<(), StateError> {
        match self {
            Backend::Local(d) => match std::fs::remove_file(d.join(PREVIEW_FILE)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StateError::Io {
                    path: d.join(PREVIEW_FILE),
                    source: e,
                }),
                _ => Ok(()),
            },
            Backend::Remote(r) => r
                .objects()
                .delete(&[r.key(PREVIEW_FILE)])
                .map_err(|e| remote_err(r, e)),
        }
    }

    /// Every preview recorded beside this state (the same directory or
    /// prefix, `<stack>-*/preview.json`), oldest first.
    pub fn list_previews(&self, stack: &str) -> Result<Vec<PreviewRecord>, StateError> {
        let mut out = Vec::new();
        let dir_prefix = format!("{stack}-");
        match self {
            Backend::Local(d) => {
                let Some(parent) = d.parent() else {
                    return Ok(out);
                };
                let entries = match std::fs::read_dir(parent) {
                    Ok(e) => e,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
                    Err(source) => {
                        return Err(StateError::Io {
                            path: parent.to_path_buf(),
                            source,
                        })
                    }
                };
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().to_string();
                    if !name.starts_with(&dir_prefix) {
                        continue;
                    }
                    if let Some(r) = Backend::Local(e.path()).read_preview()? {
                        if name == format!("{stack}-{}", r.env) {
                            out.push(r);
                        }
                    }
                }
            }
            Backend::Remote(r) => {
                // This state's own key prefix is `[P/]<stack>-<env>/`: its
                // siblings are under `[P/]`.
                let own = r.key("");
                let parent = own
                    .trim_end_matches('/')
                    .rsplit_once('/')
                    .map_or(String::new(), |(p, _)| format!("{p}/"));
                let listed = r
                    .objects()
                    .list(&format!("{parent}{dir_prefix}"))
                    .map_err(|e| remote_err(r, e))?;
                for key in listed
                    .iter()
                    .filter(|k| k.ends_with(&format!("/{PREVIEW_FILE}")))
                {
                    let dir = key[parent.len()..key.len() - PREVIEW_FILE.len() - 1].to_string();
                    if dir.contains('/') {
                        continue;
                    }
                    if let Some(o) = r.objects().get(key).map_err(|e| remote_err(r, e))? {
                        let rec = parse(key, &o.bytes)?;
                        if dir == format!("{stack}-{}", rec.env) {
                            out.push(rec);
                        }
                    }
                }
            }
        }
        out.sort_by(|a, b| (a.created_at, &a.env).cmp(&(b.created_at, &b.env)));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemoryObjects, ObjectStore};
    use std::sync::Arc;

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).unwrap()
    }

    fn rec(env: &str, created: OffsetDateTime, expires: OffsetDateTime) -> PreviewRecord {
        PreviewRecord {
            env: env.into(),
            from: "dev".into(),
            created_at: created,
            expires_at: expires,
        }
    }

    fn round_trip(dev: Backend, pr1: Backend, pr2: Backend, other: Backend) {
        let t0 = at(1_796_000_000);
        let t1 = at(1_796_604_800);
        assert_eq!(pr1.read_preview().unwrap(), None);
        pr2.write_preview(&rec("pr-2", t1, t1)).unwrap();
        pr1.write_preview(&rec("pr-1", t0, t0)).unwrap();
        // Replaced in place, as a later `up` extends it.
        pr1.write_preview(&rec("pr-1", t0, t1)).unwrap();
        other.write_preview(&rec("pr-9", t0, t0)).unwrap();
        assert_eq!(pr1.read_preview().unwrap(), Some(rec("pr-1", t0, t1)));
        let all = dev.list_previews("shop").unwrap();
        let names: Vec<&str> = all.iter().map(|r| r.env.as_str()).collect();
        assert_eq!(
            names,
            ["pr-1", "pr-2"],
            "another stack's preview is not listed"
        );
        assert!(all[0].expired(t1) && !all[0].expired(t0));
        pr1.remove_preview().unwrap();
        pr1.remove_preview().unwrap();
        assert_eq!(dev.list_previews("shop").unwrap().len(), 1);
    }

    #[test]
    fn local_records() {
        let dir = tempfile::tempdir().unwrap();
        let b = |n: &str| Backend::Local(dir.path().join(n));
        round_trip(
            b("shop-dev"),
            b("shop-pr-1"),
            b("shop-pr-2"),
            b("shopx-pr-9"),
        );
    }

    #[test]
    fn remote_records() {
        let objects: Arc<dyn ObjectStore> = MemoryObjects::new();
        let b = |n: &str| Backend::Remote(Remote::new(objects.clone(), &format!("team/{n}")));
        round_trip(
            b("shop-dev"),
            b("shop-pr-1"),
            b("shop-pr-2"),
            b("shopx-pr-9"),
        );
    }
}
