//! Storing a secret's value out of band (`gantry secret set NAME`): the value
//! goes straight to Secrets Manager and never into props, plans or state.

use crate::context::AwsContext;
use crate::error::aws_error;
use gantry_core::ProviderError;

/// Stores `value` as the new current version of a secret (by ARN or name)
/// with `PutSecretValue`. The value is never logged; the returned version id
/// names the stored version.
pub async fn put_value(
    ctx: &AwsContext,
    secret_arn_or_name: &str,
    value: &str,
) -> Result<String, ProviderError> {
    let out = ctx
        .secrets()
        .put_secret_value()
        .secret_id(secret_arn_or_name)
        .secret_string(value)
        .send()
        .await
        .map_err(|e| aws_error(e, &["ResourceNotFoundException"]))?;
    Ok(out.version_id.unwrap_or_default())
}
