//! Storing a secret's value out of band (`gantry secret set NAME`): the value
//! goes straight to Secrets Manager (or to a SecureString SSM parameter)
//! and never into props, plans or state.

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

/// Stores `value` as a SecureString parameter's new value (`PutParameter`
/// with `Overwrite`), encrypted with `key_id`, passed again so the
/// parameter never falls back to the account's default key. The value is
/// never logged; the returned version numbers the stored value.
pub async fn put_parameter_value(
    ctx: &AwsContext,
    name: &str,
    key_id: &str,
    value: &str,
) -> Result<i64, ProviderError> {
    let out = ctx
        .ssm()
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .key_id(key_id)
        .overwrite(true)
        .send()
        .await
        .map_err(|e| aws_error(e, &["ParameterNotFound"]))?;
    Ok(out.version)
}
