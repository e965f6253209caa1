//! Helpers shared by the EC2 providers: tags, filters and id lookups.

use crate::context::AwsContext;
use crate::error::aws_error;
use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use gantry_core::{Address, ProviderError, StackTags};
use std::collections::BTreeMap;

pub(crate) fn ec2_tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Tags applied in the create call itself, so there is no untagged window in
/// which a crash would leave an unfindable resource.
pub(crate) fn tag_spec(rt: ResourceType, map: &BTreeMap<String, String>) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(rt)
        .set_tags(Some(ec2_tags(map)))
        .build()
}

pub(crate) fn filter(name: &str, values: impl IntoIterator<Item = String>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().collect()))
        .build()
}

/// Server-side filters selecting what was made for `address` of this stack.
pub(crate) fn stack_filters(tags: &StackTags, address: &Address) -> Vec<Filter> {
    tags.for_address(address)
        .into_iter()
        .map(|(k, v)| filter(&format!("tag:{k}"), [v]))
        .collect()
}

pub(crate) fn tag_value(tags: Option<&[Tag]>, key: &str) -> Option<String> {
    tags.unwrap_or_default()
        .iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value().map(str::to_string))
}

/// The `Name` tag, or empty when there is none.
pub(crate) fn name_of(tags: Option<&[Tag]>) -> String {
    tag_value(tags, "Name").unwrap_or_default()
}

/// Client-side check of a resource's tags (some emulator describes ignore tag
/// filters, and it costs nothing to double-check).
pub(crate) fn ec2_tags_match(found: Option<&[Tag]>, tags: &StackTags, address: &Address) -> bool {
    crate::util::tags_match(
        found
            .unwrap_or_default()
            .iter()
            .filter_map(|t| Some((t.key()?, t.value()?))),
        tags,
        address,
    )
}

/// Re-applies the full tag set (used when the `name` changes).
pub(crate) async fn put_tags(
    ctx: &AwsContext,
    id: &str,
    map: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    ctx.ec2()
        .create_tags()
        .resources(id)
        .set_tags(Some(ec2_tags(map)))
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    Ok(())
}

pub(crate) use crate::util::applied_id;

pub(crate) fn missing_id(op: &str) -> ProviderError {
    ProviderError::new("MissingId", format!("{op} returned no id"))
}
