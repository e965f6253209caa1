//! Helpers shared by the Route53 providers (and ACM validation): zone ids
//! without their `/hostedzone/` prefix, names without the trailing dot,
//! record-set lookups and change batches that wait until `INSYNC`.

use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::outputs;
use crate::util::wait_for;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecordSet, RrType,
};
use aws_sdk_route53::types::{HostedZone, TagResourceType};
use gantry_core::{Applied, ProviderError};
use std::sync::Arc;
use std::time::Duration;

/// Codes meaning the zone is gone.
pub(crate) const ZONE_NOT_FOUND: &[&str] = &["NoSuchHostedZone"];

/// How long a change may take to reach every Route53 name server (AWS
/// documents about 60 seconds).
const CHANGE_WAIT: Duration = Duration::from_secs(300);

/// `/hostedzone/Z123` and `Z123` both give `Z123`.
pub(crate) fn zone_id(id: &str) -> &str {
    id.trim_start_matches("/hostedzone/")
}

/// A DNS name as Gantry writes it: lower case, no trailing dot, `*` where
/// Route53 reports the escape `\052`.
pub(crate) fn dns_name(name: &str) -> String {
    name.trim_end_matches('.')
        .replace("\\052", "*")
        .to_ascii_lowercase()
}

/// The fully qualified form Route53 compares against.
pub(crate) fn fqdn(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

/// The record set `name`/`type` of a zone as Route53 holds it now, if any.
/// (`ListResourceRecordSets` starting at that name and type; at most one
/// answer, since Gantry does not write routing-policy record sets.)
pub(crate) async fn record_set(
    ctx: &AwsContext,
    zone: &str,
    name: &str,
    rtype: &str,
) -> Result<Option<ResourceRecordSet>, ProviderError> {
    let out = ctx
        .route53()
        .list_resource_record_sets()
        .hosted_zone_id(zone_id(zone))
        .start_record_name(fqdn(name))
        .start_record_type(RrType::from(rtype))
        .max_items(1)
        .send()
        .await
        .map_err(|e| aws_error(e, ZONE_NOT_FOUND))?;
    Ok(out
        .resource_record_sets()
        .iter()
        .find(|r| dns_name(r.name()) == dns_name(name) && r.r#type().as_str() == rtype)
        .cloned())
}

/// Every record set of a zone (paginated), for batched reads.
pub(crate) async fn all_record_sets(
    ctx: &AwsContext,
    zone: &str,
) -> Result<Vec<ResourceRecordSet>, ProviderError> {
    let mut out = Vec::new();
    let mut start: Option<(String, RrType, Option<String>)> = None;
    loop {
        let mut call = ctx
            .route53()
            .list_resource_record_sets()
            .hosted_zone_id(zone_id(zone));
        if let Some((n, t, i)) = start.take() {
            call = call
                .start_record_name(n)
                .start_record_type(t)
                .set_start_record_identifier(i);
        }
        let page = call
            .send()
            .await
            .map_err(|e| aws_error(e, ZONE_NOT_FOUND))?;
        out.extend(page.resource_record_sets().iter().cloned());
        match (
            page.is_truncated(),
            page.next_record_name(),
            page.next_record_type(),
        ) {
            (true, Some(n), Some(t)) => {
                start = Some((
                    n.to_string(),
                    t.clone(),
                    page.next_record_identifier().map(str::to_string),
                ))
            }
            _ => return Ok(out),
        }
    }
}

/// [`all_record_sets`] for reads: a refresh walks a zone for its records
/// and for the certificate validation records in it, and one walk serves
/// both. A change through [`change`] forgets it.
pub(crate) async fn zone_records(
    ctx: &AwsContext,
    zone: &str,
) -> Result<Arc<Vec<ResourceRecordSet>>, ProviderError> {
    ctx.memo()
        .get(&format!("route53:{}", zone_id(zone)), || {
            all_record_sets(ctx, zone)
        })
        .await
}

/// The record set `name`/`type` among `sets` (a zone's walk).
pub(crate) fn find_set<'a>(
    sets: &'a [ResourceRecordSet],
    name: &str,
    rtype: &str,
) -> Option<&'a ResourceRecordSet> {
    sets.iter()
        .find(|r| dns_name(r.name()) == dns_name(name) && r.r#type().as_str() == rtype)
}

/// Applies one change batch and waits until Route53 reports it `INSYNC`.
pub(crate) async fn change(
    ctx: &AwsContext,
    zone: &str,
    changes: Vec<(ChangeAction, ResourceRecordSet)>,
    comment: &str,
) -> Result<(), ProviderError> {
    if changes.is_empty() {
        return Ok(());
    }
    ctx.memo().forget(&format!("route53:{}", zone_id(zone)));
    let changes = changes
        .into_iter()
        .map(|(a, r)| Change::builder().action(a).resource_record_set(r).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))?;
    let batch = ChangeBatch::builder()
        .comment(comment)
        .set_changes(Some(changes))
        .build()
        .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))?;
    let out = ctx
        .route53()
        .change_resource_record_sets()
        .hosted_zone_id(zone_id(zone))
        .change_batch(batch)
        .send()
        .await
        .map_err(|e| aws_error(e, ZONE_NOT_FOUND))?;
    let Some(info) = out.change_info() else {
        return Ok(());
    };
    if info.status() == &ChangeStatus::Insync {
        return Ok(());
    }
    let id = info.id().to_string();
    wait_for("the Route53 change to be INSYNC", CHANGE_WAIT, || {
        let id = id.clone();
        async move {
            let c = ctx
                .route53()
                .get_change()
                .id(id)
                .send()
                .await
                .map_err(|e| aws_error(e, &[]))?;
            Ok(c.change_info()
                .is_some_and(|i| i.status() == &ChangeStatus::Insync)
                .then_some(()))
        }
    })
    .await
}

pub(crate) fn zone_applied(id: &str, name: &str, name_servers: Option<&[String]>) -> Applied {
    let id = zone_id(id).to_string();
    let mut o = outputs([("id", id.clone()), ("name", dns_name(name))]);
    if let Some(ns) = name_servers {
        o.insert("name_servers".into(), ns.join(",").into());
    }
    Applied { id, outputs: o }
}

/// Zones named `name` (ListHostedZonesByName starts at the name; stops at
/// the first other name).
pub(crate) async fn zones_named(
    ctx: &AwsContext,
    name: &str,
) -> Result<Vec<HostedZone>, ProviderError> {
    let out = ctx
        .route53()
        .list_hosted_zones_by_name()
        .dns_name(fqdn(name))
        .max_items(100)
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    Ok(out
        .hosted_zones()
        .iter()
        .filter(|z| dns_name(z.name()) == dns_name(name))
        .cloned()
        .collect())
}

/// GetHostedZone: the zone and its name servers; `None` when gone.
pub(crate) async fn get_zone(
    ctx: &AwsContext,
    id: &str,
) -> Result<Option<(HostedZone, Vec<String>)>, ProviderError> {
    match ctx
        .route53()
        .get_hosted_zone()
        .id(zone_id(id))
        .send()
        .await
        .map_err(|e| aws_error(e, ZONE_NOT_FOUND))
    {
        Ok(o) => {
            let ns = o
                .delegation_set()
                .map(|d| d.name_servers().to_vec())
                .unwrap_or_default();
            Ok(o.hosted_zone.map(|z| (z, ns)))
        }
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The `gantry:*` tags of a zone.
pub(crate) async fn zone_tags(
    ctx: &AwsContext,
    id: &str,
) -> Result<Vec<(String, String)>, ProviderError> {
    let out = ctx
        .route53()
        .list_tags_for_resource()
        .resource_type(TagResourceType::Hostedzone)
        .resource_id(zone_id(id))
        .send()
        .await
        .map_err(|e| aws_error(e, ZONE_NOT_FOUND))?;
    Ok(out
        .resource_tag_set()
        .map(|s| {
            s.tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect()
        })
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_normalize() {
        assert_eq!(zone_id("/hostedzone/Z1"), "Z1");
        assert_eq!(zone_id("Z1"), "Z1");
        assert_eq!(dns_name("\\052.Example.com."), "*.example.com");
        assert_eq!(fqdn("example.com"), "example.com.");
        assert_eq!(fqdn("example.com."), "example.com.");
    }
}
