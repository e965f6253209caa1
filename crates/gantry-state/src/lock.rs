//! The state lock: one `lock.json` created with O_EXCL, holding who runs
//! what since when and until when the lease lasts. The holder renews the
//! lease while it works; a lock whose lease expired, or whose process is
//! dead on this same host, is stale and is taken over, so a crashed run never
//! leaves a stack locked for good.
//!
//! **Generations and fencing.** Every lock taken (fresh or by takeover) gets
//! a generation one higher than the highest of: the last lock issued on this
//! state (recorded in `fence.json`, which release and `gantry unlock` leave
//! in place), the lock being taken over, and the generation the snapshot was
//! written with (should `fence.json` be lost). A held lock is the run's
//! [`Fence`]: it checks that `lock.json` still holds its id and generation.
//!
//! Every change of `lock.json` (acquire, takeover, renewal, release,
//! unlock) and every fenced write runs under an exclusive OS file lock on
//! `fence.json` (`flock` on Unix), so a takeover cannot fall between a
//! holder's check and its write, nor between a renewal's read and its
//! rewrite. For a write that lock is held for a few syscalls (the check, a
//! `write` or a `rename`), never across the journal's fsync; a process
//! killed while holding it releases it with its descriptors, and one
//! stopped (SIGSTOP) inside that window blocks the others until it resumes,
//! or fails them after [`FENCE_WAIT`]. A check that writes nothing (before
//! an AWS call) reads `lock.json` without it: the file is only ever
//! replaced whole (hard link, rename).

use crate::document::write_atomic;
use crate::fence::Fence;
use crate::{io_err, StateError, FENCE_FILE, LOCK_FILE, STATE_FILE};
use serde::{Deserialize, Serialize};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// How long a lock change or a fenced write waits for another process's
/// hold on `fence.json` (normally a few microseconds) before giving up.
pub const FENCE_WAIT: Duration = Duration::from_secs(30);

/// The content of `lock.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub id: String,
    /// Higher than that of every lock taken before on this state; what the
    /// snapshot and the journal record for fencing (0 in locks written
    /// before generations existed).
    #[serde(default)]
    pub generation: u64,
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

/// An exclusive hold of the OS lock on `fence.json`, released on drop.
/// Each hold opens its own descriptor, so holds exclude each other between
/// threads of one process as well as between processes.
struct FenceHold {
    path: PathBuf,
    file: std::fs::File,
}

impl FenceHold {
    fn take(dir: &Path) -> Result<FenceHold, StateError> {
        let path = dir.join(FENCE_FILE);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err(&path))?;
        let deadline = Instant::now() + FENCE_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(1))
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(io_err(&path)(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!(
                            "another gantry process has held this lock for over {}s (is it stopped?)",
                            FENCE_WAIT.as_secs()
                        ),
                    )))
                }
                // A file system without locks: the checks still run, and
                // replay still ignores a stale writer's late records.
                Err(std::fs::TryLockError::Error(e))
                    if e.kind() == std::io::ErrorKind::Unsupported =>
                {
                    break
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&path)(e)),
            }
        }
        Ok(FenceHold { path, file })
    }

    /// The last lock issued on this state, if recorded (and readable).
    fn last(&mut self) -> Option<LockInfo> {
        let mut text = String::new();
        self.file.rewind().ok()?;
        self.file.read_to_string(&mut text).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Records `info` as the last lock issued. Written in place (renaming
    /// would replace the file others lock); a torn write is read as
    /// missing, and the snapshot's generation then keeps generations rising.
    fn record(&mut self, info: &LockInfo) -> Result<(), StateError> {
        let bytes = serde_json::to_vec_pretty(info).expect("lock serializes");
        (|| {
            self.file.rewind()?;
            self.file.write_all(&bytes)?;
            self.file.set_len(bytes.len() as u64)?;
            self.file.sync_data()
        })()
        .map_err(io_err(&self.path))
    }
}

/// The generation the snapshot in `dir` was written with (0 if none).
fn snapshot_generation(dir: &Path) -> u64 {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        generation: u64,
    }
    std::fs::read(dir.join(STATE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<Probe>(&b).ok())
        .map_or(0, |p| p.generation)
}

/// A held lock, local ([`StateLock::acquire`]) or remote
/// ([`StateLock::acquire_at`], see [`crate::remote`]). Release it with
/// [`StateLock::release`]; dropping it also releases it (best effort).
pub struct StateLock {
    site: Site,
    /// This lock's generation (fixed for its lifetime).
    generation: u64,
    lease: Duration,
    info: Mutex<LockInfo>,
    /// The lock this one replaced and why, for the CLI's warning.
    took_over: Option<(LockInfo, String)>,
    heartbeat: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Set when a renewal found the lock taken by someone else.
    lost: Arc<tokio::sync::watch::Sender<bool>>,
}

/// Where a lock is held.
enum Site {
    /// `lock.json` in this directory (`path`), fenced by `fence.json`.
    Local { path: PathBuf, dir: PathBuf },
    /// A lock object, fenced by conditional writes.
    Remote(crate::remote::Held),
}

impl StateLock {
    /// Takes the lock of the state at `backend` (see [`StateLock::acquire`]
    /// for a local one, [`crate::remote`] for a remote one).
    pub fn acquire_at(
        backend: &crate::Backend,
        command: &str,
        lease: Duration,
    ) -> Result<StateLock, StateError> {
        match backend {
            crate::Backend::Local(dir) => StateLock::acquire(dir, command, lease),
            crate::Backend::Remote(remote) => {
                let a = crate::remote::acquire(remote, command, lease)?;
                Ok(StateLock {
                    site: Site::Remote(a.held),
                    generation: a.info.generation,
                    lease,
                    info: Mutex::new(a.info),
                    took_over: a.took_over,
                    heartbeat: Mutex::new(None),
                    lost: Arc::new(tokio::sync::watch::channel(false).0),
                })
            }
        }
    }

    /// Takes the lock in `dir` for `command`, with a lease of `lease` that
    /// [`StateLock::renew`] extends. Fails with [`StateError::Locked`] naming
    /// the holder when someone else holds a live lock.
    pub fn acquire(dir: &Path, command: &str, lease: Duration) -> Result<StateLock, StateError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let path = dir.join(LOCK_FILE);
        let mut hold = FenceHold::take(dir)?;
        let now = OffsetDateTime::now_utc();
        let host = hostname();
        let mut info = LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            generation: 0,
            who: format!("{}@{}", username(), host),
            pid: std::process::id(),
            host,
            command: command.to_string(),
            since: now,
            lease_expires: now + lease,
        };
        let mut took_over: Option<(LockInfo, String)> = None;
        // Two attempts: the second follows a lock created meanwhile by a
        // Gantry that does not take the fence (an older version).
        for _ in 0..2 {
            if let Some(holder) = read_lock(dir)? {
                let Some(reason) = holder.stale_reason(OffsetDateTime::now_utc()) else {
                    return Err(StateError::Locked(Box::new(holder)));
                };
                // Move the stale lock aside rather than deleting it, then
                // check that what was moved is the lock judged stale (an
                // older Gantry, which takes no fence, may have replaced it).
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
            let newest = [
                hold.last().map_or(0, |l| l.generation),
                took_over.as_ref().map_or(0, |(h, _)| h.generation),
                snapshot_generation(dir),
            ]
            .into_iter()
            .max()
            .unwrap_or(0);
            info.generation = newest + 1;
            // Recorded before the lock is published: a generation is never
            // issued twice, even if this process dies right here.
            hold.record(&info)?;
            match create_exclusive(&path, &info) {
                Ok(()) => {
                    return Ok(StateLock {
                        site: Site::Local {
                            path,
                            dir: dir.to_path_buf(),
                        },
                        generation: info.generation,
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
        }
        match read_lock(dir)? {
            Some(h) => Err(StateError::Locked(Box::new(h))),
            None => Err(io_err(&path)(std::io::Error::other(
                "could not take the lock",
            ))),
        }
    }

    /// This lock's generation: higher than that of every lock taken before
    /// on this state.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn info(&self) -> LockInfo {
        self.info.lock().expect("lock info").clone()
    }

    /// The stale lock this one replaced, and why it was stale.
    pub fn took_over(&self) -> Option<&(LockInfo, String)> {
        self.took_over.as_ref()
    }

    /// Extends the lease. Fails with [`StateError::LockLost`] (local) or
    /// [`StateError::Fenced`] (remote) if the lock is no longer ours
    /// (someone judged it stale and took it).
    pub fn renew(&self) -> Result<(), StateError> {
        let (path, dir) = match &self.site {
            Site::Local { path, dir } => (path, dir),
            Site::Remote(held) => {
                return held.renew(&self.info, self.generation, self.lease, &self.lost, true)
            }
        };
        let r = FenceHold::take(dir)
            .and_then(|_hold| renew(path, &self.info, self.generation, self.lease));
        if matches!(r, Err(StateError::LockLost { .. })) {
            self.lost.send_replace(true);
        }
        r
    }

    /// True once a renewal or a fenced write found that another process
    /// took the lock over.
    pub fn is_lost(&self) -> bool {
        *self.lost.borrow()
    }

    /// Resolves when the lock is found lost (by a renewal, or by a write the
    /// fence refused): the CLI cancels the run then,
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
                let remote = matches!(lock.site, Site::Remote(_));
                // Blocking I/O off the async workers.
                let r = tokio::task::spawn_blocking(move || lock.renew()).await;
                match r {
                    Ok(Ok(())) => {}
                    // A remote renewal that failed for want of an answer
                    // (the network, S3 throttling past the SDK's retries)
                    // says nothing about the lock: try again next beat.
                    Ok(Err(StateError::Remote { .. })) if remote => {}
                    _ => return,
                }
            }
        });
        *self.heartbeat.lock().expect("heartbeat") = Some(task);
    }

    /// Removes the lock file if it is still ours.
    pub fn release(self) -> Result<(), StateError> {
        self.release_inner()
    }

    /// [`StateLock::release`] through a shared reference, for a lock behind
    /// an `Arc` that something may still hold (the heartbeat, a store being
    /// torn down): the lock file goes now, and any further fenced write
    /// through this lock is refused.
    pub fn release_now(&self) -> Result<(), StateError> {
        self.release_inner()
    }

    fn release_inner(&self) -> Result<(), StateError> {
        if let Some(t) = self.heartbeat.lock().expect("heartbeat").take() {
            t.abort();
        }
        let (path, dir) = match &self.site {
            Site::Local { path, dir } => (path, dir),
            Site::Remote(held) => return held.release(&self.info),
        };
        let _hold = FenceHold::take(dir)?;
        if self.is_mine(read_lock(dir)?.as_ref()) {
            std::fs::remove_file(path).map_err(io_err(path))?;
        }
        Ok(())
    }

    fn is_mine(&self, cur: Option<&LockInfo>) -> bool {
        let id = self.info.lock().expect("lock info").id.clone();
        cur.is_some_and(|c| c.id == id && c.generation == self.generation)
    }

    /// The fence check proper, under `hold`, of a local lock in `dir`.
    fn verify(&self, dir: &Path, hold: &mut FenceHold) -> Result<(), StateError> {
        let cur = read_lock(dir)?;
        if self.is_mine(cur.as_ref()) {
            return Ok(());
        }
        self.lost.send_replace(true);
        let (holder, released) = match cur {
            Some(c) => (Some(c), false),
            None => (hold.last().filter(|l| l.generation > self.generation), true),
        };
        Err(StateError::Fenced {
            path: dir.to_path_buf(),
            generation: self.generation,
            holder: holder.map(Box::new),
            released,
        })
    }
}

impl Fence for StateLock {
    fn generation(&self) -> u64 {
        self.generation
    }

    /// Local: lock-free while the lock is ours: `lock.json` is only ever
    /// replaced whole (hard link, rename), so one read answers. Only a
    /// refusal takes the OS lock, to name the new holder consistently.
    /// Remote: free while the lease is fresh, else a renewal first.
    fn check(&self) -> Result<(), StateError> {
        let dir = match &self.site {
            Site::Local { dir, .. } => dir,
            Site::Remote(held) => {
                return held.check(&self.info, self.generation, self.lease, &self.lost)
            }
        };
        if self.is_mine(read_lock(dir)?.as_ref()) {
            return Ok(());
        }
        let mut hold = FenceHold::take(dir)?;
        self.verify(dir, &mut hold)
    }

    /// Local: checks and writes under the OS lock on `fence.json`: no
    /// takeover can happen in between. Remote: checks, then writes (the
    /// writes that replace something are conditional themselves).
    fn write_fenced(
        &self,
        write: &mut dyn FnMut() -> Result<(), StateError>,
    ) -> Result<(), StateError> {
        let dir = match &self.site {
            Site::Local { dir, .. } => dir,
            Site::Remote(_) => {
                self.check()?;
                return write();
            }
        };
        let mut hold = FenceHold::take(dir)?;
        self.verify(dir, &mut hold)?;
        write()
    }

    fn still_fresh(&self) -> bool {
        match &self.site {
            Site::Local { .. } => true,
            Site::Remote(held) => !self.is_lost() && held.is_fresh(self.lease),
        }
    }

    /// Remote: renews now, so a refused conditional write learns whether
    /// the lock is still ours.
    fn confirm(&self) -> Result<(), StateError> {
        match &self.site {
            Site::Local { .. } => self.check(),
            Site::Remote(held) => {
                held.renew(&self.info, self.generation, self.lease, &self.lost, true)
            }
        }
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        let _ = self.release_inner();
    }
}

/// Extends the lease of `info` (generation `generation`) in `path`, if the
/// lock there is still it. Call with the fence held.
fn renew(
    path: &Path,
    info: &Mutex<LockInfo>,
    generation: u64,
    lease: Duration,
) -> Result<(), StateError> {
    let dir = path.parent().expect("lock in a dir");
    let mut mine = info.lock().expect("lock info");
    match read_lock(dir)? {
        Some(cur) if cur.id == mine.id && cur.generation == generation => {}
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

/// Publishes `info` as `path` unless that exists, atomically: readers (the
/// lock-free [`Fence::check`], `status`) see no lock or the whole lock,
/// never a half-written one. A temp file, synced, hard-linked into place.
fn create_exclusive(path: &Path, info: &LockInfo) -> std::io::Result<()> {
    let dir = path.parent().expect("lock in a dir");
    let tmp = dir.join(format!(".lock.{}.new", uuid::Uuid::new_v4().simple()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&serde_json::to_vec_pretty(info).expect("lock serializes"))?;
        f.sync_all()
    })();
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {}
        // No hard links on this file system: exclusive create, then write
        // (a reader may then see it half-written and report it corrupt).
        Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)?;
            f.write_all(&serde_json::to_vec_pretty(info).expect("lock serializes"))?;
            f.sync_all()?;
        }
        Err(e) => return Err(e),
    }
    crate::document::sync_dir(dir).map_err(|e| std::io::Error::other(e.to_string()))
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

/// Removes whatever lock is in `dir` (`gantry unlock`) and returns it. Its
/// holder, if still running, is fenced off: its next write is refused.
pub fn force_unlock(dir: &Path) -> Result<Option<LockInfo>, StateError> {
    let path = dir.join(LOCK_FILE);
    if !dir.exists() {
        return Ok(None);
    }
    let _hold = FenceHold::take(dir)?;
    let held = read_lock(dir).unwrap_or(None);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(held),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&path)(e)),
    }
}

pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

pub(crate) fn username() -> String {
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
            generation: 7,
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

    #[test]
    fn a_takeover_waits_for_a_fenced_write_in_progress() {
        let d = tempfile::tempdir().unwrap();
        let old = StateLock::acquire(d.path(), "up", Duration::from_millis(1)).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        let dir = d.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        old.write_fenced(&mut || {
            // The lease has lapsed, but the lock is still ours on disk: the
            // write goes ahead, and a takeover must wait until it is done.
            let (dir, tx) = (dir.clone(), tx.clone());
            std::thread::spawn(move || {
                let l = StateLock::acquire(&dir, "up", Duration::from_secs(60)).unwrap();
                tx.send(l.generation()).unwrap();
                std::mem::forget(l);
            });
            assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
            Ok(())
        })
        .unwrap();
        let taken = rx.recv_timeout(Duration::from_secs(5)).expect("took over");
        assert!(taken > old.generation());
        let err = old.check().unwrap_err();
        assert!(
            matches!(
                err,
                StateError::Fenced {
                    released: false,
                    ..
                }
            ),
            "{err}"
        );
        assert!(old.is_lost());
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
