//! One answer for the reads of one moment: a refresh reads a certificate
//! for its kind and again for its validation, and walks a zone for its
//! records and again for the validation records in it; the inventory lists
//! IAM roles while the refresh reads them. A [`Memo`] lets such reads share
//! one call: the first caller makes it, callers arriving meanwhile wait for
//! it, and the answer serves for [`FRESH`], long enough for the reads a
//! refresh starts together and short enough that another process's change
//! is not missed. Writes through the providers forget what they change, so
//! a read after a write in this process is never stale.

use gantry_core::ProviderError;
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// How long one answer serves.
pub(crate) const FRESH: Duration = Duration::from_millis(500);

type Answer = (Instant, Arc<dyn Any + Send + Sync>);

/// Single-flight reads by key, shared by every provider of a context.
#[derive(Default)]
pub(crate) struct Memo {
    cells: Mutex<HashMap<String, Arc<OnceCell<Answer>>>>,
}

impl Memo {
    /// The answer of `read` for `key`, made at most once per [`FRESH`].
    pub async fn get<T, F, Fut>(&self, key: &str, read: F) -> Result<Arc<T>, ProviderError>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let cell = {
            let mut cells = self.cells.lock().expect("memo");
            let stale = cells
                .get(key)
                .and_then(|c| c.get())
                .is_some_and(|(at, _)| at.elapsed() >= FRESH);
            if stale {
                cells.remove(key);
            }
            cells.entry(key.to_string()).or_default().clone()
        };
        let (_, any) = cell
            .get_or_try_init(|| async {
                let v = read().await?;
                Ok::<Answer, ProviderError>((Instant::now(), Arc::new(v)))
            })
            .await?;
        Ok(any
            .clone()
            .downcast::<T>()
            .expect("a memo key always holds one type"))
    }

    /// Forgets the answers whose key starts with `prefix`.
    pub fn forget(&self, prefix: &str) {
        self.cells
            .lock()
            .expect("memo")
            .retain(|k, _| !k.starts_with(prefix));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn concurrent_reads_share_one_call_until_forgotten() {
        let memo = Memo::default();
        let calls = AtomicU32::new(0);
        let read = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok::<_, ProviderError>(7u32)
        };
        let (a, b) = tokio::join!(memo.get("k", read), memo.get("k", read));
        assert_eq!((*a.unwrap(), *b.unwrap()), (7, 7));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        memo.forget("k");
        assert_eq!(*memo.get("k", read).await.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // Another key is another call.
        memo.get("other", read).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_failed_read_is_not_remembered() {
        let memo = Memo::default();
        let r: Result<Arc<u32>, _> = memo
            .get("k", || async { Err(ProviderError::msg("throttled")) })
            .await;
        assert!(r.is_err());
        let ok = memo
            .get("k", || async { Ok::<_, ProviderError>(1u32) })
            .await;
        assert_eq!(*ok.unwrap(), 1);
    }
}
