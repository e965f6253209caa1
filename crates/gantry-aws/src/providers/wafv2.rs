//! Helpers shared by the WAFv2 providers: scopes, tags, and the lock-token
//! protocol (read the token, write with it, and on
//! `WAFOptimisticLockException` read it again and retry once).

use crate::context::AwsContext;
use crate::error::{aws_error, has_code};
use aws_sdk_wafv2::types::{Scope, Tag};
use gantry_core::ProviderError;
use std::collections::BTreeMap;
use std::future::Future;

/// Codes meaning the WAF resource is gone.
pub(crate) const NOT_FOUND: &[&str] = &["WAFNonexistentItemException"];
/// Someone changed the resource since its lock token was read.
pub(crate) const STALE_LOCK: &[&str] = &["WAFOptimisticLockException"];

pub(crate) fn scope(s: &str) -> Scope {
    Scope::from(s)
}

pub(crate) fn waf_tags(map: BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    map.into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))
}

/// The tags of a WAF resource by ARN.
pub(crate) async fn tags_of(
    ctx: &AwsContext,
    arn: &str,
) -> Result<Vec<(String, String)>, ProviderError> {
    let out = ctx
        .wafv2_arn(arn)
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error(e, NOT_FOUND))?;
    Ok(out
        .tag_info_for_resource()
        .map(|t| {
            t.tag_list()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        })
        .unwrap_or_default())
}

/// Runs `f` (which reads a fresh lock token and writes with it), once more
/// when the token went stale in between.
pub(crate) async fn with_lock<F, Fut>(mut f: F) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), ProviderError>>,
{
    match f().await {
        Err(e) if has_code(&e, STALE_LOCK) => f().await,
        other => other,
    }
}

/// `(name, id, arn)` of every IP set or web ACL of a scope (paginated by
/// `NextMarker`); `web_acls` chooses which.
pub(crate) async fn list(
    ctx: &AwsContext,
    scope_name: &str,
    web_acls: bool,
) -> Result<Vec<(String, String, String)>, ProviderError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let (items, next) = if web_acls {
            let o = ctx
                .wafv2_scope(scope_name)
                .list_web_acls()
                .scope(scope(scope_name))
                .limit(100)
                .set_next_marker(marker.clone())
                .send()
                .await
                .map_err(|e| aws_error(e, &[]))?;
            let items: Vec<_> = o
                .web_acls()
                .iter()
                .filter_map(|s| Some((s.name()?.into(), s.id()?.into(), s.arn()?.into())))
                .collect();
            (items, o.next_marker().map(str::to_string))
        } else {
            let o = ctx
                .wafv2_scope(scope_name)
                .list_ip_sets()
                .scope(scope(scope_name))
                .limit(100)
                .set_next_marker(marker.clone())
                .send()
                .await
                .map_err(|e| aws_error(e, &[]))?;
            let items: Vec<_> = o
                .ip_sets()
                .iter()
                .filter_map(|s| Some((s.name()?.into(), s.id()?.into(), s.arn()?.into())))
                .collect();
            (items, o.next_marker().map(str::to_string))
        };
        let done = items.is_empty() || next.is_none() || next == marker;
        out.extend(items);
        if done {
            return Ok(out);
        }
        marker = next;
    }
}

/// The WAF id in a web ACL or IP set ARN
/// (`arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID`, `global/...`);
/// `what` is `webacl` or `ipset`.
pub(crate) fn arn_id(arn: &str, what: &str) -> Option<String> {
    let res = crate::shape::arn::resource(arn, "wafv2")?;
    let mut parts = res.split('/');
    let (scope, kind, _name, id) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    ((scope == "regional" || scope == "global") && kind == what && parts.next().is_none())
        .then(|| id.to_string())
}

/// The name and scope of the web ACL (or IP set) with `id`, from the
/// listings of both scopes: for objects the state does not record, whose
/// reads and deletes need them.
pub(crate) async fn locate(
    ctx: &AwsContext,
    id: &str,
    web_acls: bool,
) -> Result<Option<(String, String)>, ProviderError> {
    for s in ["REGIONAL", "CLOUDFRONT"] {
        if let Some((name, _, _)) = list(ctx, s, web_acls)
            .await?
            .into_iter()
            .find(|(_, i, _)| i == id)
        {
            return Ok(Some((name, s.to_string())));
        }
    }
    Ok(None)
}
