//! The state lock: one `lock.json` created with O_EXCL, holding who runs
//! what since when and until when the lease lasts. The holder renews the
//! lease while it works; a lock whose lease expired, or whose process is
//! dead on this same host, is stale and is taken over, so a crashed run never
//! leaves a stack locked for good.

use crate::document::write_atomic;
use crate::{io_err, StateError, LOCK_FILE};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

/// The content of `lock.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub id: String,
    /// `user@host`.
    pub who: String,
    pub pid: u32,
    pub host: String,
    /// The command holding the lock (`up`, `destroy`, ...).
    pub command: String,
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub lease_expires: OffsetDateTime,
}

impl LockInfo {
    /// Why this lock may be taken over, if it may.
    pub fn stale_reason(&self, now: OffsetDateTime) -> Option<String> {
        if self.lease_expires <= now {
            return Some(format!("its lease expired at {}", self.lease_expires));
        }
        if self.host == hostname() && !pid_alive(self.pid) {
            return Some(format!("process {} on {} is gone", self.pid, self.host));
        }
        None
    }
}

/// A held lock. Release it with [`StateLock::release`]; dropping it also
/// releases it (best effort).
pub struct StateLock {
    path: PathBuf,
    lease: Duration,
    info: Mutex<LockInfo>,
    /// The lock this one replaced and why, for the CLI's warning.
    took_over: Option<(LockInfo, String)>,
    heartbeat: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Set when a renewal found the lock taken by someone else.
    lost: Arc<tokio::sync::watch::Sender<bool>>,
}

impl StateLock {
    /// Takes the lock in `dir` for `command`, with a lease of `lease` that
    /// [`StateLock::renew`] extends. Fails with [`StateError::Locked`] naming
    /// the holder when someone else holds a live lock.
    pub fn acquire(dir: &Path, command: &str, lease: Duration) -> Result<StateLock, StateError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let path = dir.join(LOCK_FILE);
        let now = OffsetDateTime::now_utc();
        let host = hostname();
        let info = LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            who: format!("{}@{}", username(), host),
            pid: std::process::id(),
            host,
            command: command.to_string(),
            since: now,
            lease_expires: now + lease,
        };
        let mut took_over = None;
        // Two attempts: the second follows the takeover of a stale lock.
        for _ in 0..2 {
            match create_exclusive(&path, &info) {
                Ok(()) => {
                    return Ok(StateLock {
                        path,
                        lease,
                        info: Mutex::new(info),
                        took_over,
                        heartbeat: Mutex::new(None),
                        lost: Arc::new(tokio::sync::watch::channel(false).0),
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(&path)(e)),
            }
            let Some(holder) = read_lock(dir)? else {
                continue; // released meanwhile
            };
            let Some(reason) = holder.stale_reason(OffsetDateTime::now_utc()) else {
                return Err(StateError::Locked(Box::new(holder)));
            };
            // Move the stale lock aside rather than deleting it, then check
            // that what was moved is the lock judged stale: another process
            // may have taken it over between our read and the move.
            let aside = dir.join(format!(".lock.{}.stale", uuid::Uuid::new_v4().simple()));
            match std::fs::rename(&path, &aside) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(&path)(e)),
            }
            let moved: Option<LockInfo> = std::fs::read(&aside)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            if moved.as_ref().map(|m| &m.id) != Some(&holder.id) {
                let _ = std::fs::rename(&aside, &path);
                if let Some(m) = moved {
                    return Err(StateError::Locked(Box::new(m)));
                }
                continue;
            }
            let _ = std::fs::remove_file(&aside);
            took_over = Some((holder, reason));
        }
        match read_lock(dir)? {
            Some(h) => Err(StateError::Locked(Box::new(h))),
            None => Err(io_err(&path)(std::io::Error::other(
                "could not take the lock",
            ))),
        }
    }

    pub fn info(&self) -> LockInfo {
        self.info.lock().expect("lock info").clone()
    }

    /// The stale lock this one replaced, and why it was stale.
    pub fn took_over(&self) -> Option<&(LockInfo, String)> {
        self.took_over.as_ref()
    }

    /// Extends the lease. Fails with [`StateError::LockLost`] if the lock
    /// file no longer holds our lock (someone judged it stale and took it).
    pub fn renew(&self) -> Result<(), StateError> {
        let r = renew(&self.path, &self.info, self.lease);
        if matches!(r, Err(StateError::LockLost { .. })) {
            self.lost.send_replace(true);
        }
        r
    }

    /// True once a renewal found that another process took the lock over.
    pub fn is_lost(&self) -> bool {
        *self.lost.borrow()
    }

    /// Resolves when the lock is found lost: the CLI cancels the run then,
    /// since another process now believes it owns the state.
    pub fn lost(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.lost.subscribe();
        async move {
            let _ = rx.wait_for(|lost| *lost).await;
        }
    }

    /// Renews the lease every third of its length in a background task
    /// until the lock is released.
    pub fn spawn_heartbeat(self: &Arc<Self>) {
        let me = Arc::downgrade(self);
        let every = self.lease / 3;
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(lock) = me.upgrade() else { return };
                // Blocking file I/O off the async workers.
                let r = tokio::task::spawn_blocking(move || lock.renew()).await;
                if !matches!(r, Ok(Ok(()))) {
                    return;
                }
            }
        });
        *self.heartbeat.lock().expect("heartbeat") = Some(task);
    }

    /// Removes the lock file if it is still ours.
    pub fn release(self) -> Result<(), StateError> {
        self.release_inner()
    }

    fn release_inner(&self) -> Result<(), StateError> {
        if let Some(t) = self.heartbeat.lock().expect("heartbeat").take() {
            t.abort();
        }
        let dir = self.path.parent().expect("lock in a dir");
        let ours = self.info.lock().expect("lock info").id.clone();
        match read_lock(dir)? {
            Some(cur) if cur.id == ours => {
                std::fs::remove_file(&self.path).map_err(io_err(&self.path))
            }
            _ => Ok(()),
        }
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        let _ = self.release_inner();
    }
}

fn renew(path: &Path, info: &Mutex<LockInfo>, lease: Duration) -> Result<(), StateError> {
    let dir = path.parent().expect("lock in a dir");
    let mut mine = info.lock().expect("lock info");
    match read_lock(dir)? {
        Some(cur) if cur.id == mine.id => {}
        Some(cur) => {
            return Err(StateError::LockLost {
                path: path.to_path_buf(),
                who: cur.who,
                command: cur.command,
            })
        }
        None => {
            return Err(StateError::LockLost {
                path: path.to_path_buf(),
                who: "nobody (the lock file was removed)".into(),
                command: "gantry unlock".into(),
            })
        }
    }
    mine.lease_expires = OffsetDateTime::now_utc() + lease;
    write_atomic(
        path,
        &serde_json::to_vec_pretty(&*mine).expect("lock serializes"),
    )
}

fn create_exclusive(path: &Path, info: &LockInfo) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(&serde_json::to_vec_pretty(info).expect("lock serializes"))?;
    f.sync_all()?;
    crate::document::sync_dir(path.parent().expect("lock in a dir"))
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// The current lock in `dir`, if any.
pub fn read_lock(dir: &Path) -> Result<Option<LockInfo>, StateError> {
    let path = dir.join(LOCK_FILE);
    match std::fs::read(&path) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| StateError::Corrupt {
                path,
                message: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&path)(e)),
    }
}

/// Removes whatever lock is in `dir` (`gantry unlock`) and returns it.
pub fn force_unlock(dir: &Path) -> Result<Option<LockInfo>, StateError> {
    let path = dir.join(LOCK_FILE);
    let held = read_lock(dir).unwrap_or(None);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(held),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&path)(e)),
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

fn username() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

fn pid_alive(pid: u32) -> bool {
    // Without /proc (not Linux) liveness is unknown: rely on the lease.
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_with_details() {
        let d = tempfile::tempdir().unwrap();
        let l = StateLock::acquire(d.path(), "up", Duration::from_secs(60)).unwrap();
        let err = StateLock::acquire(d.path(), "destroy", Duration::from_secs(60))
            .err()
            .unwrap();
        let StateError::Locked(h) = &err else {
            panic!("{err}")
        };
        assert_eq!(h.command, "up");
        assert_eq!(h.pid, std::process::id());
        let msg = err.to_string();
        assert!(
            msg.contains(&h.who) && msg.contains("`up`") && msg.contains("since"),
            "{msg}"
        );
        l.release().unwrap();
        StateLock::acquire(d.path(), "destroy", Duration::from_secs(60)).unwrap();
    }

    fn plant(dir: &Path, pid: u32, host: String, expires: OffsetDateTime) {
        let info = LockInfo {
            id: "old".into(),
            who: "ci@elsewhere".into(),
            pid,
            host,
            command: "up".into(),
            since: OffsetDateTime::now_utc() - Duration::from_secs(3600),
            lease_expires: expires,
        };
        std::fs::write(dir.join(LOCK_FILE), serde_json::to_vec(&info).unwrap()).unwrap();
    }

    #[test]
    fn expired_lease_is_taken_over() {
        let d = tempfile::tempdir().unwrap();
        plant(
            d.path(),
            1,
            "other-host".into(),
            OffsetDateTime::now_utc() - Duration::from_secs(1),
        );
        let l = StateLock::acquire(d.path(), "up", Duration::from_secs(60)).unwrap();
        let (old, why) = l.took_over().unwrap();
        assert_eq!(old.id, "old");
        assert!(why.contains("expired"), "{why}");
        assert_eq!(read_lock(d.path()).unwrap().unwrap().id, l.info().id);
    }

    #[test]
    fn dead_pid_on_this_host_is_taken_over_live_one_is_not() {
        let d = tempfile::tempdir().unwrap();
        let later = OffsetDateTime::now_utc() + Duration::from_secs(600);
        plant(d.path(), u32::MAX - 1, hostname(), later);
        let l = StateLock::acquire(d.path(), "up", Duration::from_secs(60)).unwrap();
        assert!(l.took_over().unwrap().1.contains("gone"));
        drop(l);
        // Same pid on another host: cannot be checked, the lease rules.
        plant(d.path(), u32::MAX - 1, "other-host".into(), later);
        assert!(matches!(
            StateLock::acquire(d.path(), "up", Duration::from_secs(60)),
            Err(StateError::Locked(_))
        ));
        assert_eq!(force_unlock(d.path()).unwrap().unwrap().id, "old");
        StateLock::acquire(d.path(), "up", Duration::from_secs(60)).unwrap();
    }

    #[test]
    fn renew_extends_and_detects_loss() {
        let d = tempfile::tempdir().unwrap();
        let l = StateLock::acquire(d.path(), "up", Duration::from_secs(60)).unwrap();
        let before = read_lock(d.path()).unwrap().unwrap().lease_expires;
        std::thread::sleep(Duration::from_millis(20));
        l.renew().unwrap();
        assert!(read_lock(d.path()).unwrap().unwrap().lease_expires > before);
        force_unlock(d.path()).unwrap();
        assert!(!l.is_lost());
        assert!(matches!(l.renew(), Err(StateError::LockLost { .. })));
        assert!(l.is_lost());
    }

    #[tokio::test]
    async fn heartbeat_reports_a_lost_lock() {
        let d = tempfile::tempdir().unwrap();
        let l = Arc::new(StateLock::acquire(d.path(), "up", Duration::from_millis(150)).unwrap());
        l.spawn_heartbeat();
        let lost = l.lost();
        force_unlock(d.path()).unwrap();
        StateLock::acquire(d.path(), "other", Duration::from_secs(60))
            .map(std::mem::forget)
            .unwrap();
        tokio::time::timeout(Duration::from_secs(2), lost)
            .await
            .expect("loss noticed");
        assert!(l.is_lost());
    }

    #[tokio::test]
    async fn heartbeat_keeps_lease_alive() {
        let d = tempfile::tempdir().unwrap();
        let l = Arc::new(StateLock::acquire(d.path(), "up", Duration::from_millis(300)).unwrap());
        l.spawn_heartbeat();
        tokio::time::sleep(Duration::from_millis(700)).await;
        let cur = read_lock(d.path()).unwrap().unwrap();
        assert!(cur.lease_expires > OffsetDateTime::now_utc());
        assert!(matches!(
            StateLock::acquire(d.path(), "up", Duration::from_secs(1)),
            Err(StateError::Locked(_))
        ));
    }
}
