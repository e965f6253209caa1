//! Turning SDK errors into [`ProviderError`]s the engine can act on.

use crate::retry::{self, Marker};
use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use gantry_core::{ErrorKind, ProviderError};

/// Maps an SDK error to a [`ProviderError`] carrying the AWS error code and
/// message, classified for the engine: `not_found` lists the codes that
/// mean the resource is gone; throttling and transient codes, 5xx answers
/// and transport failures are retryable, and a write whose reply was lost
/// (marked by [`crate::retry::ResendGuard`]) is of unknown outcome.
pub fn aws_error<E>(err: SdkError<E, HttpResponse>, not_found: &[&str]) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let Some(closed) = closed_gate(&err) {
        // Not sent at all: the run lost its lock (see crate::gate).
        return ProviderError::new("LockLost", closed);
    }
    let code = err.code().map(str::to_string);
    // Transport, credential and timeout failures carry no code: show the
    // chain of causes (their Display only: the Debug dump of the raw
    // response helps no user).
    let message = match err.message() {
        Some(m) if code.is_some() => m.to_string(),
        _ => causes(&err),
    };
    let kind = classify(&err, code.as_deref(), not_found);
    ProviderError {
        code,
        message,
        kind,
    }
}

fn closed_gate(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur = Some(e);
    while let Some(x) = cur {
        if let Some(c) = x.downcast_ref::<crate::gate::Closed>() {
            return Some(c.to_string());
        }
        cur = x.source();
    }
    None
}

fn classify<E>(err: &SdkError<E, HttpResponse>, code: Option<&str>, not_found: &[&str]) -> ErrorKind
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let Some(marker) = retry::outcome_of(err) {
        return match marker {
            Marker::OutcomeUnknown => ErrorKind::OutcomeUnknown,
            Marker::Transient => ErrorKind::Transient,
        };
    }
    match code {
        Some(c) if not_found.contains(&c) => return ErrorKind::NotFound,
        Some(c) if THROTTLING_ERRORS.contains(&c) => return ErrorKind::Throttled,
        Some(c) if TRANSIENT_ERRORS.contains(&c) => return ErrorKind::Transient,
        _ => {}
    }
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ErrorKind::Transient
        }
        SdkError::ServiceError(_) if status(err).is_some_and(|s| s >= 500) => ErrorKind::Transient,
        _ => ErrorKind::Failed,
    }
}

fn status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

/// True when the error carries one of `codes`.
pub(crate) fn has_code(e: &ProviderError, codes: &[&str]) -> bool {
    e.code.as_deref().is_some_and(|c| codes.contains(&c))
}

/// `outer: inner: innermost`, skipping causes already said by the one before.
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::causes;

    #[derive(Debug, thiserror::Error)]
    #[error("dispatch failure")]
    struct Outer(#[source] Inner);
    #[derive(Debug, thiserror::Error)]
    #[error("failed to load credentials")]
    struct Inner(#[source] std::io::Error);

    #[test]
    fn causes_read_as_one_line_without_debug_dumps() {
        let e = Outer(Inner(std::io::Error::other("connection refused")));
        assert_eq!(
            causes(&e),
            "dispatch failure: failed to load credentials: connection refused"
        );
    }
}
