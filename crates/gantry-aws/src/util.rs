//! Small helpers shared by the providers: typed props, outputs, idempotency
//! tokens, tag sets, and the bounded waits AWS's eventual consistency needs.

use crate::error::has_code;
use gantry_core::{Address, Props, ProviderError, StackTags};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::{Duration, Instant};

/// How long a delete keeps retrying `DependencyViolation` and friends while
/// AWS catches up with the deletion of dependents (Terraform waits as long).
pub(crate) const DEPENDENCY_WAIT: Duration = Duration::from_secs(300);
/// How long to wait for something AWS creates or deletes asynchronously
/// (NAT gateways, load balancers, ECS services draining).
pub(crate) const STATE_WAIT: Duration = Duration::from_secs(900);

/// Serializes a typed struct into the canonical property map.
pub(crate) fn to_props<T: Serialize>(t: &T) -> Props {
    match serde_json::to_value(t) {
        Ok(Value::Object(m)) => m,
        _ => Props::new(),
    }
}

/// Builds an output map; `id` should always be among the pairs.
pub(crate) fn outputs<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Props {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(v)))
        .collect()
}

/// Derives a UUID-shaped idempotency token from the journal's intent token:
/// fits both EC2's `ClientToken` (64 ASCII) and ECS's `clientToken` (36).
pub(crate) fn client_token(token: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(token.as_bytes());
    let h = |r: std::ops::Range<usize>| hex::encode(&d[r]);
    format!(
        "{}-{}-{}-{}-{}",
        h(0..4),
        h(4..6),
        h(6..8),
        h(8..10),
        h(10..16)
    )
}

/// Returns `actual` in the order of `recorded` when both hold the same set,
/// sorted otherwise: AWS returns these lists in arbitrary order, and an
/// order-only difference must not show as drift.
pub(crate) fn order_like(mut actual: Vec<String>, recorded: &[String]) -> Vec<String> {
    let a: BTreeSet<&String> = actual.iter().collect();
    let r: BTreeSet<&String> = recorded.iter().collect();
    if a == r && actual.len() == recorded.len() {
        return recorded.to_vec();
    }
    actual.sort();
    actual.dedup();
    actual
}

/// The full tag set of a resource: the stack tags plus `Name` when the kind
/// has a name.
pub(crate) fn tag_set(
    tags: &StackTags,
    address: &Address,
    name: Option<&str>,
) -> BTreeMap<String, String> {
    let mut t = tags.for_address(address);
    if let Some(n) = name {
        t.insert("Name".to_string(), n.to_string());
    }
    t
}

/// True when a resource's tags say it was made for this address of this stack.
pub(crate) fn tags_match<'a>(
    found: impl IntoIterator<Item = (&'a str, &'a str)>,
    tags: &StackTags,
    address: &Address,
) -> bool {
    // Extra tags (a preview's expiry) may differ between runs.
    let want = tags.identity(address);
    let have: BTreeMap<&str, &str> = found.into_iter().collect();
    want.iter()
        .all(|(k, v)| have.get(k.as_str()) == Some(&v.as_str()))
}

/// Retries `f` while it fails with one of `codes`, backing off up to `limit`.
/// For eventual consistency only (a dependent whose deletion AWS has not
/// finished propagating); throttling is left to the SDK's retry policy.
pub(crate) async fn retry_codes<T, F, Fut>(
    codes: &[&str],
    limit: Duration,
    mut f: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let start = Instant::now();
    let mut delay = Duration::from_millis(500);
    loop {
        match f().await {
            Err(e) if has_code(&e, codes) && start.elapsed() + delay < limit => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(15));
            }
            other => return other,
        }
    }
}

/// Polls `f` until it returns `Some`, backing off up to `limit`.
pub(crate) async fn wait_for<T, F, Fut>(
    what: &str,
    limit: Duration,
    mut f: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, ProviderError>>,
{
    let start = Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        if let Some(v) = f().await? {
            return Ok(v);
        }
        if start.elapsed() + delay >= limit {
            return Err(ProviderError::new(
                "WaitTimeout",
                format!("timed out after {}s waiting for {what}", limit.as_secs()),
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

/// `None` for a not-found error, the value otherwise (reads of something
/// that may be gone).
pub(crate) fn found<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Treats "not found" as success, for idempotent deletes.
/// What a create or find made, known by its id alone (`id` is its only
/// output).
pub(crate) fn applied_id(id: impl Into<String>) -> gantry_core::Applied {
    let id = id.into();
    gantry_core::Applied {
        outputs: outputs([("id", id.clone())]),
        id,
    }
}

/// `Ok(None)` when `e` says the resource is not there, else `e`: a
/// describe by id of something deleted answers "gone", not an error.
pub(crate) fn none_if_gone<T>(e: ProviderError) -> Result<Option<T>, ProviderError> {
    if e.is_not_found() {
        Ok(None)
    } else {
        Err(e)
    }
}

pub(crate) fn ignore_not_found(r: Result<(), ProviderError>) -> Result<(), ProviderError> {
    match r {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

/// Runs a batched describe; when the batch fails because one id is gone (the
/// APIs that reject the whole request for one missing id), falls back to one
/// call per id and drops the missing ones.
pub(crate) async fn batch_or_each<T, F, Fut>(ids: &[String], f: F) -> Result<Vec<T>, ProviderError>
where
    F: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ProviderError>>,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    match f(ids.to_vec()).await {
        Err(e) if e.is_not_found() && ids.len() > 1 => {
            let mut out = Vec::new();
            for id in ids {
                match f(vec![id.clone()]).await {
                    Ok(v) => out.extend(v),
                    Err(e) if e.is_not_found() => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(out)
        }
        Err(e) if e.is_not_found() => Ok(Vec::new()),
        other => other,
    }
}

/// Splits ids into chunks of `n` (the per-call limits of describe APIs).
pub(crate) fn chunks(ids: &[String], n: usize) -> impl Iterator<Item = Vec<String>> + '_ {
    ids.chunks(n).map(|c| c.to_vec())
}

/// Decodes an IAM policy document: AWS returns them URL-encoded; the
/// emulator sometimes returns the plain JSON.
pub(crate) fn decode_policy(doc: &str) -> serde_json::Value {
    let plain = if doc.trim_start().starts_with('{') {
        doc.to_string()
    } else {
        // URL-encoded as a form value (`+` for spaces): decode it as one.
        form_urlencoded::parse(format!("x={doc}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    serde_json::from_str(&plain).unwrap_or(serde_json::Value::String(plain))
}

/// The ARN partition of a region.
pub(crate) fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The region a resource lives in: `region` when set, else the stack's.
pub(crate) fn region_or<'a>(region: &'a str, stack: &'a str) -> &'a str {
    if region.is_empty() {
        stack
    } else {
        region
    }
}

/// How long data stores (RDS, ElastiCache) may take to become available or
/// to go away: creating or deleting a multi-AZ database takes tens of minutes.
pub(crate) const DATA_STORE_WAIT: Duration = Duration::from_secs(40 * 60);

/// The key id in a KMS key reference: `arn:...:key/ID` and `ID` both give
/// `ID`; anything else (an alias) is returned whole.
pub(crate) fn kms_key_id_of(s: &str) -> &str {
    s.rsplit_once(":key/").map(|(_, id)| id).unwrap_or(s)
}

/// The recorded KMS key reference when AWS reports the same key in another
/// form (an ARN where an id was given, or the reverse); what AWS reports
/// otherwise.
pub(crate) fn kms_like(actual: &str, recorded: Option<&str>) -> String {
    match recorded {
        Some(r) if kms_key_id_of(r) == kms_key_id_of(actual) => r.to_string(),
        _ => actual.to_string(),
    }
}

/// The recorded engine version when AWS reports a more precise one of it
/// (`16` recorded, `16.4` running); what AWS reports otherwise.
pub(crate) fn version_like(actual: &str, recorded: Option<&str>) -> String {
    match recorded {
        Some(r) if actual == r || actual.starts_with(&format!("{r}.")) => r.to_string(),
        _ => actual.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stable_and_uuid_shaped() {
        let t = client_token("intent-42");
        assert_eq!(t, client_token("intent-42"));
        assert_ne!(t, client_token("intent-43"));
        assert_eq!(t.len(), 36);
    }

    #[test]
    fn order_follows_record_when_sets_match() {
        let rec = vec!["b".to_string(), "a".to_string()];
        assert_eq!(order_like(vec!["a".into(), "b".into()], &rec), rec);
        assert_eq!(
            order_like(vec!["c".into(), "a".into()], &rec),
            vec!["a".to_string(), "c".to_string()]
        );
    }

    #[test]
    fn kms_references_compare_by_key_id() {
        let arn = "arn:aws:kms:us-east-1:123456789012:key/abcd";
        assert_eq!(kms_key_id_of(arn), "abcd");
        assert_eq!(kms_like(arn, Some("abcd")), "abcd");
        assert_eq!(kms_like("abcd", Some(arn)), arn);
        assert_eq!(kms_like(arn, Some("other")), arn);
        assert_eq!(version_like("16.4", Some("16")), "16");
        assert_eq!(version_like("16.4", Some("16.3")), "16.4");
        assert_eq!(version_like("7.1", Some("7.1")), "7.1");
    }

    #[test]
    fn policies_decode_either_way() {
        let v = serde_json::json!({"Version": "2012-10-17", "Statement": []});
        assert_eq!(decode_policy(&v.to_string()), v);
        let enc = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(decode_policy(enc), v);
    }
}
