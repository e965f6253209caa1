//! Shared by the MemoryDB providers (`memorydb_*`): tags by ARN, and reading
//! a password from Secrets Manager straight into a MemoryDB call.

use crate::context::AwsContext;
use crate::error::aws_error;
use aws_sdk_memorydb::types::Tag;
use gantry_core::ProviderError;
use std::collections::BTreeMap;

/// Every MemoryDB "not found" code: `ListTags` answers with the one of the
/// resource type the ARN names.
pub(crate) const ANY_NOT_FOUND: &[&str] = &[
    "ClusterNotFoundFault",
    "SubnetGroupNotFoundFault",
    "UserNotFoundFault",
    "ACLNotFoundFault",
];

/// Tags of a MemoryDB resource by ARN.
pub(crate) async fn tags_of(
    ctx: &AwsContext,
    arn: &str,
) -> Result<Vec<(String, String)>, ProviderError> {
    let out = ctx
        .memorydb()
        .list_tags()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error(e, ANY_NOT_FOUND))?;
    Ok(out
        .tag_list()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

pub(crate) fn tag_list(tags: BTreeMap<String, String>) -> Vec<Tag> {
    tags.into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The value of a secret, for a call that needs it as a password (it goes
/// into that call and nowhere else).
pub(crate) async fn password(ctx: &AwsContext, secret_arn: &str) -> Result<String, ProviderError> {
    ctx.secrets()
        .get_secret_value()
        .secret_id(secret_arn)
        .send()
        .await
        .map_err(|e| aws_error(e, &["ResourceNotFoundException"]))?
        .secret_string
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ProviderError::new(
                "PasswordMissing",
                format!("secret {secret_arn} holds no value to use as the MemoryDB password"),
            )
        })
}
