//! Turning SDK errors into [`ProviderError`]s the engine can act on.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
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
    // Transport and timeout failures carry no code; the full context chain is
    // the only useful thing to show then.
    let message = match err.message() {
        Some(m) if code.is_some() => m.to_string(),
        _ => DisplayErrorContext(&err).to_string(),
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
