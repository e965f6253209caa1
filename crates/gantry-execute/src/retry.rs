//! What the engine does about failures the SDK's own retries did not cure:
//! a small bounded number of further attempts with exponential backoff and
//! jitter ([`RetryPolicy`]), and the guard that turns a provider panic into
//! that call's error so it fails one operation, never the run.

use crate::events::{Event, Reporter};
use gantry_core::{Address, Observed, Provider, ProviderError, ReadRequest};
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::panic::AssertUnwindSafe;
use std::task::Poll;
use std::time::Duration;

/// How often and how patiently the engine tries again a call that failed
/// with a retryable error ([`ProviderError::is_retryable`]). The SDK has
/// already retried throttling with its own budget by then, so this stays
/// small: a busy account gets a few more chances, a broken one fails fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first one.
    pub retries: u32,
    /// The delay before the first retry; each next one doubles it.
    pub base: Duration,
    /// No delay is longer than this.
    pub cap: Duration,
}

impl RetryPolicy {
    /// Four more attempts, 1 s, 2 s, 4 s, 8 s apart (each jittered down to
    /// half of that at random).
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        retries: 4,
        base: Duration::from_secs(1),
        cap: Duration::from_secs(20),
    };

    /// `retries` more attempts without waiting (tests).
    pub const fn immediate(retries: u32) -> RetryPolicy {
        RetryPolicy {
            retries,
            base: Duration::ZERO,
            cap: Duration::ZERO,
        }
    }

    /// No retries at all.
    pub const fn none() -> RetryPolicy {
        Self::immediate(0)
    }

    /// The pause before retry `n` (from 1): `base * 2^(n-1)`, capped, then
    /// "equal jitter": a random point in its upper half, so calls throttled
    /// together do not come back together, yet none retries at once.
    pub fn delay(&self, n: u32) -> Duration {
        let full = self
            .base
            .saturating_mul(1u32 << (n.saturating_sub(1)).min(20))
            .min(self.cap);
        if full.is_zero() {
            return full;
        }
        let half = full / 2;
        let span = (full - half).as_nanos() as u64;
        half + Duration::from_nanos(random() % span.max(1))
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A random number without a dependency: `RandomState` is seeded from the
/// OS once per process and perturbed per instance.
fn random() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish()
}

/// The retry budget of one operation (or one read): every retryable failure
/// of any of its calls spends one retry.
pub(crate) struct Attempts<'a> {
    policy: RetryPolicy,
    used: u32,
    reporter: &'a dyn Reporter,
    kind: &'a str,
    address: Option<&'a Address>,
}

impl<'a> Attempts<'a> {
    pub fn new(
        policy: RetryPolicy,
        reporter: &'a dyn Reporter,
        kind: &'a str,
        address: Option<&'a Address>,
    ) -> Self {
        Attempts {
            policy,
            used: 0,
            reporter,
            kind,
            address,
        }
    }

    /// After `call` failed with `e`: when `e` is retryable and the budget
    /// allows, reports the retry, waits its delay and returns true.
    pub async fn again(&mut self, call: &str, e: &ProviderError) -> bool {
        if !e.is_retryable() || self.used >= self.policy.retries {
            return false;
        }
        self.used += 1;
        let delay = self.policy.delay(self.used);
        self.reporter.event(Event::Retrying {
            kind: self.kind.to_string(),
            address: self.address.cloned(),
            call: call.to_string(),
            attempt: self.used + 1,
            attempts: self.policy.retries + 1,
            code: e.code.clone(),
            message: e.message.clone(),
            delay,
        });
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        true
    }

    /// The error to report once `e` ended the operation: a retryable one
    /// says how many attempts it had.
    pub fn final_error(&self, mut e: ProviderError) -> ProviderError {
        if e.is_retryable() && self.used > 0 {
            e.message = format!("{} (gave up after {} attempts)", e.message, self.used + 1);
        }
        e
    }
}

/// Runs a provider call, turning a panic into its error (code `Panic`, the
/// panic's text in the message), so one broken provider fails one
/// operation and the run goes on.
pub(crate) async fn guard<T>(
    kind: &str,
    call: &str,
    fut: impl Future<Output = Result<T, ProviderError>>,
) -> Result<T, ProviderError> {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(move |cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(p) => p,
            Err(payload) => Poll::Ready(Err(panicked(kind, call, payload))),
        }
    })
    .await
}

/// The error for a panic with `payload` in the `call` of a `kind` provider.
pub(crate) fn panicked(
    kind: &str,
    call: &str,
    payload: Box<dyn std::any::Any + Send>,
) -> ProviderError {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    ProviderError::new(
        "Panic",
        format!("the {kind} provider panicked in {call}: {text}"),
    )
}

/// One provider read with the engine's checks: a panic is the read's error,
/// a result of another length than asked for is an error naming the kind
/// (never silently truncated), and retryable errors are tried again within
/// `attempts`.
pub(crate) async fn read_checked(
    p: &dyn Provider,
    reqs: &[ReadRequest<'_>],
    attempts: &mut Attempts<'_>,
) -> Result<Vec<Option<Observed>>, ProviderError> {
    loop {
        let r = guard(p.kind(), "read", p.read(reqs)).await.and_then(|out| {
            if out.len() == reqs.len() {
                Ok(out)
            } else {
                Err(ProviderError::new(
                    "ShortRead",
                    format!(
                        "the {} provider returned {} results for {} resources",
                        p.kind(),
                        out.len(),
                        reqs.len()
                    ),
                ))
            }
        });
        match r {
            Ok(out) => return Ok(out),
            Err(e) => {
                if !attempts.again("read", &e).await {
                    return Err(attempts.final_error(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_jitter_and_cap() {
        let p = RetryPolicy::DEFAULT;
        for n in 1..=6 {
            let full = (Duration::from_secs(1) * (1 << (n - 1))).min(p.cap);
            let d = p.delay(n);
            assert!(d >= full / 2 && d <= full, "retry {n}: {d:?} of {full:?}");
        }
        assert_eq!(RetryPolicy::immediate(3).delay(2), Duration::ZERO);
        // Jitter: a dozen throttled calls do not all come back at once.
        let spread: std::collections::BTreeSet<Duration> = (0..12).map(|_| p.delay(3)).collect();
        assert!(spread.len() > 1);
    }
}
