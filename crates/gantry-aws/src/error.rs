//! Turning SDK errors into [`ProviderError`]s the engine can act on.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use gantry_core::ProviderError;

/// Maps an SDK error to a [`ProviderError`] carrying the AWS error code and
/// message; `not_found` lists the codes that mean the resource is gone.
pub fn aws_error<E, R>(err: SdkError<E, R>, not_found: &[&str]) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = err.code().map(str::to_string);
    // Transport, credential and timeout failures carry no code: show the
    // chain of causes (their Display only: the Debug dump of the raw
    // response helps no user).
    let message = match err.message() {
        Some(m) if code.is_some() => m.to_string(),
        _ => causes(&err),
    };
    let is_not_found = code.as_deref().is_some_and(|c| not_found.contains(&c));
    ProviderError {
        code,
        message,
        not_found: is_not_found,
    }
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
