//! How every AWS call is retried, and which calls must not be.
//!
//! Throttling is normal on a busy account: the SDK retries it with backoff
//! and jitter, up to [`DEFAULT_MAX_ATTEMPTS`] attempts (Terraform's AWS
//! provider allows 25), with a retry budget sized for many parallel
//! operations; calls in flight are bounded per service (the client-side
//! rate limit). `AWS_MAX_ATTEMPTS` and `AWS_RETRY_MODE` override the
//! defaults.
//!
//! A reply lost after a call took effect is not throttling: a 500, 502 or
//! 504, a timeout or a reset connection leaves the outcome of a create
//! unknown, and sending it again makes a second VPC. [`ResendGuard`] stops
//! the SDK from resending any write after such a failure,
//! and marks the error [`OutcomeUnknown`] so the engine looks the object up
//! before it tries again. Transient failures of reads are retried a few
//! times only ([`TRANSIENT_ATTEMPTS`]): what still fails is reported to the
//! engine, which retries whole operations.

use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    FinalizerInterceptorContextMut, InterceptorContext,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{Metadata, OrchestratorError};
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::RetryConfig;
use std::time::Duration;

/// Attempts per call when `AWS_MAX_ATTEMPTS` is not set.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 25;
/// Attempts for a transient (non-throttling) failure of a call that is safe
/// to resend; the SDK's standard mode uses 3 for everything.
pub const TRANSIENT_ATTEMPTS: u32 = 3;
/// Retry tokens per service: a throttling retry costs 5 and every first-try
/// success returns one, so a few hundred operations in parallel can ride out
/// a burst of throttling without the budget running dry.
const RETRY_TOKENS: usize = 5_000;

/// The retry settings every client uses: standard mode with
/// [`DEFAULT_MAX_ATTEMPTS`], unless `AWS_RETRY_MODE` / `AWS_MAX_ATTEMPTS`
/// say otherwise. Calls are rate-limited on the client side per service by
/// the concurrency limits ([`gantry_core::meta::SERVICE_LIMITS`]), which
/// the engine and the providers' fan-out keep to; `AWS_RETRY_MODE=adaptive`
/// adds the SDK's own rate limiter, which slows a client down after every
/// throttling answer (AWS advises it when clients are pooled per throttled
/// resource).
pub fn retry_config() -> RetryConfig {
    retry_config_from(
        std::env::var("AWS_RETRY_MODE").ok().as_deref(),
        std::env::var("AWS_MAX_ATTEMPTS").ok().as_deref(),
    )
}

fn retry_config_from(mode: Option<&str>, attempts: Option<&str>) -> RetryConfig {
    let base = match mode.map(str::trim) {
        Some(m) if m.eq_ignore_ascii_case("adaptive") => RetryConfig::adaptive(),
        _ => RetryConfig::standard(),
    };
    let attempts = attempts
        .and_then(|a| a.trim().parse::<u32>().ok())
        .filter(|a| *a >= 1)
        .unwrap_or(DEFAULT_MAX_ATTEMPTS);
    base.with_max_attempts(attempts)
        .with_initial_backoff(Duration::from_millis(500))
        .with_max_backoff(Duration::from_secs(20))
}

/// The retry budget of one service in one region, shared by its clients.
pub fn partition(service: &str, region: &str) -> RetryPartition {
    RetryPartition::custom(format!("gantry-{service}-{region}"))
        .token_bucket(TokenBucket::new(RETRY_TOKENS))
        .build()
}

/// Operations whose reply may be lost without consequence: reads. A write
/// whose reply was lost is never resent by the SDK, even one that would
/// set the same state again: its second attempt can fail for having
/// succeeded the first time (a revoked rule is "not found", an attached
/// policy "already attached") or add a second object (Create, Run,
/// Register, Allocate, Associate...). The engine settles it instead: it
/// looks the object up, reads it, and redoes only what is still missing.
fn safe_to_resend(operation: &str) -> bool {
    const READS: &[&str] = &[
        "Describe", "List", "Get", "Head", "BatchGet", "Lookup", "Search", "Query", "Scan",
        "Select",
    ];
    READS.iter().any(|p| {
        operation
            .strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(|c: char| c.is_uppercase()))
    })
}

/// A call whose reply was lost: it may have taken effect.
#[derive(Debug, thiserror::Error)]
#[error("{operation}: no reply ({detail}); it may have taken effect")]
pub struct OutcomeUnknown {
    pub operation: String,
    pub detail: String,
}

/// A call that is safe to resend failed transiently more than
/// [`TRANSIENT_ATTEMPTS`] times.
#[derive(Debug, thiserror::Error)]
#[error("{operation}: {detail} (after {attempts} attempts)")]
pub struct TransientExhausted {
    pub operation: String,
    pub detail: String,
    pub attempts: u32,
}

/// What a failed attempt was, from what came back.
enum Failure {
    /// The service refused it (4xx, or 503: throttled or unavailable):
    /// nothing happened.
    Refused,
    /// It may or may not have been processed.
    Ambiguous(String),
}

fn failure<E: std::fmt::Debug>(status: Option<u16>, err: &OrchestratorError<E>) -> Failure {
    match status {
        Some(s @ (500 | 502 | 504)) => Failure::Ambiguous(format!("HTTP {s}")),
        Some(_) => Failure::Refused,
        None if err.is_timeout_error() => Failure::Ambiguous("timed out".into()),
        None if err.is_connector_error() || err.is_response_error() => Failure::Ambiguous(
            format!("connection failed: {err:?}")
                .chars()
                .take(200)
                .collect(),
        ),
        None => Failure::Refused,
    }
}

/// Interceptor and retry classifier in one: see the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResendGuard;

impl Intercept for ResendGuard {
    fn name(&self) -> &'static str {
        "GantryResendGuard"
    }

    fn modify_before_attempt_completion(
        &self,
        ctx: &mut FinalizerInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(op) = cfg.load::<Metadata>().map(|m| m.name().to_string()) else {
            return Ok(());
        };
        let attempts = cfg
            .load::<RequestAttempts>()
            .map(|a| a.attempts())
            .unwrap_or(1);
        let status = ctx.response().map(|r| r.status().as_u16());
        let Some(Err(err)) = ctx.output_or_error() else {
            return Ok(());
        };
        let Failure::Ambiguous(detail) = failure(status, err) else {
            return Ok(());
        };
        let replacement: BoxError = if !safe_to_resend(&op) {
            Box::new(OutcomeUnknown {
                operation: op,
                detail,
            })
        } else if attempts >= TRANSIENT_ATTEMPTS {
            Box::new(TransientExhausted {
                operation: op,
                detail,
                attempts,
            })
        } else {
            return Ok(());
        };
        if let Some(slot) = ctx.output_or_error_mut() {
            *slot = Err(OrchestratorError::other(replacement));
        }
        Ok(())
    }
}

impl ClassifyRetry for ResendGuard {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.output_or_error() {
            Some(Err(e)) if marked(e) => RetryAction::RetryForbidden,
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "GantryResendGuard"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

fn marked(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(x) = cur {
        if x.is::<OutcomeUnknown>() || x.is::<TransientExhausted>() {
            return true;
        }
        cur = x.source();
    }
    false
}

/// Finds the guard's marker in an error's chain of causes.
pub(crate) fn outcome_of(e: &(dyn std::error::Error + 'static)) -> Option<Marker> {
    let mut cur = Some(e);
    while let Some(x) = cur {
        if x.is::<OutcomeUnknown>() {
            return Some(Marker::OutcomeUnknown);
        }
        if x.is::<TransientExhausted>() {
            return Some(Marker::Transient);
        }
        cur = x.source();
    }
    None
}

/// Which of the guard's markers an error carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    OutcomeUnknown,
    Transient,
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::retry::RetryMode;

    #[test]
    fn only_state_setting_calls_are_resent() {
        for op in [
            "DescribeVpcs",
            "ListTagsForResource",
            "GetRole",
            "Get",
            "HeadBucket",
        ] {
            assert!(safe_to_resend(op), "{op}");
        }
        for op in [
            "PutRetentionPolicy",
            "ModifyVpcAttribute",
            "DeleteVpc",
            "RevokeSecurityGroupEgress",
            "UpdateService",
            "TagResource",
            "CreateVpc",
            "RunTask",
            "RegisterTaskDefinition",
            "AllocateAddress",
            "AssociateRouteTable",
            "AuthorizeSecurityGroupIngress",
            "RequestCertificate",
            "ChangeResourceRecordSets",
            // A prefix must end at a word boundary.
            "Settle",
            "Putative",
        ] {
            assert!(!safe_to_resend(op), "{op}");
        }
    }

    #[test]
    fn environment_overrides_the_defaults() {
        let d = retry_config_from(None, None);
        assert_eq!(d.max_attempts(), DEFAULT_MAX_ATTEMPTS);
        assert_eq!(d.mode(), RetryMode::Standard);
        let s = retry_config_from(Some("adaptive"), Some("4"));
        assert_eq!(s.max_attempts(), 4);
        assert_eq!(s.mode(), RetryMode::Adaptive);
        assert_eq!(
            retry_config_from(Some("adaptive"), Some("x")).max_attempts(),
            DEFAULT_MAX_ATTEMPTS
        );
    }
}
