//! Helpers shared by the Cloud Map providers: waiting for an operation,
//! tags, and whether an object's tags say it is an address's.
//!
//! Namespace creates, updates and deletes, and service updates, are
//! asynchronous in Cloud Map: the call answers with an `OperationId`, and
//! `GetOperation` reports SUBMITTED, PENDING, then SUCCESS or FAIL (with an
//! `ErrorMessage`). [`operation`] waits for the end, as long as AWS's own
//! tools do (five minutes).

use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::{tags_match, wait_for};
use aws_sdk_servicediscovery::types::{OperationStatus, OperationTargetType, Tag};
use gantry_core::{Address, ProviderError, StackTags};
use std::collections::BTreeMap;
use std::time::Duration;

/// Codes meaning the namespace, service or operation does not exist.
pub(crate) const NOT_FOUND: &[&str] = &[
    "NamespaceNotFound",
    "ServiceNotFound",
    "OperationNotFound",
    "ResourceNotFoundException",
];
/// A namespace with services, or a service with instances, cannot go yet.
pub(crate) const IN_USE: &[&str] = &["ResourceInUse"];
/// How long an operation may take.
const OPERATION_WAIT: Duration = Duration::from_secs(300);

/// Waits for the operation `id` to end; returns the namespace or service it
/// targeted (the id a create made), or the operation's error.
pub(crate) async fn operation(
    ctx: &AwsContext,
    id: &str,
    target: OperationTargetType,
) -> Result<Option<String>, ProviderError> {
    wait_for(
        &format!("Cloud Map operation {id}"),
        OPERATION_WAIT,
        || async {
            let op = ctx
                .servicediscovery()
                .get_operation()
                .operation_id(id)
                .send()
                .await
                .map_err(|e| aws_error(e, &[]))?
                .operation
                .ok_or_else(|| {
                    ProviderError::new("MissingField", "GetOperation returned nothing")
                })?;
            match op.status() {
                Some(OperationStatus::Success) => {
                    Ok(Some(op.targets().and_then(|t| t.get(&target)).cloned()))
                }
                Some(OperationStatus::Fail) => Err(ProviderError::new(
                    op.error_code().unwrap_or("OperationFailed"),
                    format!(
                        "Cloud Map operation {id} failed: {}",
                        op.error_message().unwrap_or("no reason given")
                    ),
                )),
                _ => Ok(None),
            }
        },
    )
    .await
}

/// The tags of a create.
pub(crate) fn tags(set: BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    set.into_iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))
        })
        .collect()
}

/// True when the object `arn`'s tags say it is `address`'s in this stack.
pub(crate) async fn ours(
    ctx: &AwsContext,
    arn: &str,
    stack: &StackTags,
    address: &Address,
) -> Result<bool, ProviderError> {
    let t = ctx
        .servicediscovery()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error(e, NOT_FOUND))?
        .tags
        .unwrap_or_default();
    Ok(tags_match(
        t.iter().map(|t| (t.key(), t.value())),
        stack,
        address,
    ))
}
