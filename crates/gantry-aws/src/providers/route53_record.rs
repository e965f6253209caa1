//! `route53_record`: one record set, simple routing. The id is
//! `ZONE_ID|name|type`; outputs `id` and `fqdn`. Create and update are one
//! `UPSERT` (an alias target, or values with a TTL), delete is a `DELETE`
//! carrying the values Route53 holds at that moment; both wait for
//! `INSYNC`. Records carry no tags: find adopts the record at the
//! deterministic name and type when it exists (an UPSERT would write it
//! anyway). Reads list each zone once for all its records.

use super::route53::{change, dns_name, fqdn, record_set, zone_id, zone_records};
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_route53::types::{
    AliasTarget as R53Alias, ChangeAction, ResourceRecord, ResourceRecordSet, RrType,
};
use gantry_core::kinds::{self, AliasTarget, Route53Record};
use crate::shape::*;
use gantry_core::*;
use std::collections::HashMap;

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn record_id(p: &Route53Record) -> String {
    format!(
        "{}|{}|{}",
        zone_id(&p.zone_id),
        dns_name(&p.name),
        p.record_type
    )
}

fn applied(p: &Route53Record) -> Applied {
    let id = record_id(p);
    Applied {
        outputs: outputs([("id", id.clone()), ("fqdn", dns_name(&p.name))]),
        id,
    }
}

/// `ZONE_ID|name|type` back into its parts.
fn split_id(id: &str) -> Result<(&str, &str, &str), ProviderError> {
    let mut it = id.splitn(3, '|');
    match (it.next(), it.next(), it.next()) {
        (Some(z), Some(n), Some(t)) => Ok((z, n, t)),
        _ => Err(ProviderError::new(
            "InvalidId",
            format!("route53_record id {id:?} is not ZONE_ID|name|type"),
        )),
    }
}

/// The record set to write for `p`.
pub(crate) fn to_record_set(p: &Route53Record) -> Result<ResourceRecordSet, ProviderError> {
    let b = ResourceRecordSet::builder()
        .name(fqdn(&p.name))
        .r#type(RrType::from(p.record_type.as_str()));
    let b = match &p.alias {
        Some(a) => b.alias_target(
            R53Alias::builder()
                .dns_name(fqdn(&a.dns_name))
                .hosted_zone_id(&a.zone_id)
                .evaluate_target_health(a.evaluate_target_health)
                .build()
                .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))?,
        ),
        None => {
            let records = p
                .records
                .iter()
                .map(|v| ResourceRecord::builder().value(v).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))?;
            b.ttl(p.ttl.unwrap_or(300))
                .set_resource_records(Some(records))
        }
    };
    b.build()
        .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))
}

/// True when two alias target names denote the same target: Route53 may
/// report a load balancer's name lower-cased, with a trailing dot and with
/// the `dualstack.` prefix it adds (Terraform normalizes the same way).
fn same_alias_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        let s = dns_name(s);
        s.strip_prefix("dualstack.")
            .map(str::to_string)
            .unwrap_or(s)
    };
    norm(a) == norm(b)
}

/// What Route53 holds, in the canonical form (recorded list order and
/// alias name spelling kept when they denote the same thing).
fn from_record_set(
    zone: &str,
    r: &ResourceRecordSet,
    rec: Option<&Route53Record>,
) -> Route53Record {
    let alias = r.alias_target().map(|a| {
        let dns = dns_name(a.dns_name());
        AliasTarget {
            dns_name: match rec.and_then(|x| x.alias.as_ref()) {
                Some(ra) if same_alias_name(&ra.dns_name, &dns) => ra.dns_name.clone(),
                _ => dns,
            },
            zone_id: a.hosted_zone_id().to_string(),
            evaluate_target_health: a.evaluate_target_health(),
        }
    });
    let values: Vec<String> = r
        .resource_records()
        .iter()
        .map(|v| v.value().to_string())
        .collect();
    Route53Record {
        zone_id: rec
            .filter(|x| zone_id(&x.zone_id) == zone)
            .map(|x| x.zone_id.clone())
            .unwrap_or_else(|| zone.to_string()),
        name: match rec {
            Some(x) if dns_name(&x.name) == dns_name(r.name()) => x.name.clone(),
            _ => dns_name(r.name()),
        },
        record_type: r.r#type().as_str().to_string(),
        records: if alias.is_some() {
            Vec::new()
        } else {
            order_like(values, rec.map(|x| x.records.as_slice()).unwrap_or(&[]))
        },
        ttl: if alias.is_some() { None } else { r.ttl() },
        alias,
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = Route53Record;
    const NOT_FOUND: &'static [&'static str] = super::route53::ZONE_NOT_FOUND;
    const LISTING: Listing = Listing::Inside(kinds::ROUTE53_ZONE);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, Route53Record>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let rs = to_record_set(p)?;
        change(
            &self.ctx,
            &p.zone_id,
            vec![(ChangeAction::Upsert, rs)],
            &format!("gantry {}", req.address),
        )
        .await?;
        Ok(applied(p))
    }

    async fn read(&self, items: &[Item<'_, Route53Record>]) -> Result<Vec<Seen<Route53Record>>, ProviderError> {
        // One listing per zone covers every record of it.
        let mut zones: HashMap<String, Option<std::sync::Arc<Vec<ResourceRecordSet>>>> =
            HashMap::new();
        for r in items {
            let (z, _, _) = split_id(r.id)?;
            if zones.contains_key(z) {
                continue;
            }
            let sets = match zone_records(&self.ctx, z).await {
                Ok(s) => Some(s),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e),
            };
            zones.insert(z.to_string(), sets);
        }
        let mut out = Vec::new();
        for r in items {
            {
                let (z, name, rtype) = split_id(r.id)?;
                let Some(Some(sets)) = zones.get(z) else {
                    continue;
                };
                let Some(rs) = sets
                    .iter()
                    .find(|s| dns_name(s.name()) == dns_name(name) && s.r#type().as_str() == rtype)
                else {
                    continue;
                };
                let props = from_record_set(z, rs, r.recorded.as_ref());
                let outputs = applied(&props).outputs;
                out.push(Seen::new(r.id, props, outputs));
            }
        }
        Ok(out)
    }

    async fn update(&self, req: Update<'_, Route53Record>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        change(
            &self.ctx,
            &new.zone_id,
            vec![(ChangeAction::Upsert, to_record_set(new)?)],
            &format!("gantry {}", req.address),
        )
        .await?;
        Ok(applied(new))
    }

    async fn delete(&self, req: Delete<'_, Route53Record>) -> Result<(), ProviderError> {
        let (z, name, rtype) = split_id(req.id)?;
        // DELETE must carry the exact current values.
        let current = match record_set(&self.ctx, z, name, rtype).await {
            Ok(c) => c,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        let Some(rs) = current else { return Ok(()) };
        let r = change(
            &self.ctx,
            z,
            vec![(ChangeAction::Delete, rs)],
            &format!("gantry {}", req.address),
        )
        .await;
        match r {
            // Deleted meanwhile: the batch names a record that is not there.
            Err(e) if e.code.as_deref() == Some("InvalidChangeBatch") => {
                match record_set(&self.ctx, z, name, rtype).await? {
                    None => Ok(()),
                    Some(_) => Err(e),
                }
            }
            other => ignore_not_found(other),
        }
    }

    async fn find(&self, req: Find<'_, Route53Record>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        match record_set(&self.ctx, &p.zone_id, &p.name, &p.record_type).await {
            Ok(Some(_)) => Ok(Some(applied(p))),
            Ok(None) => Ok(None),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_sets_round_trip() {
        let alias = Route53Record {
            zone_id: "Z1".into(),
            name: "app.example.com".into(),
            record_type: "A".into(),
            alias: Some(AliasTarget {
                dns_name: "lb-1.us-east-1.elb.amazonaws.com".into(),
                zone_id: "Z35SXDOTRQ7X7K".into(),
                evaluate_target_health: true,
            }),
            records: vec![],
            ttl: None,
        };
        let plain = Route53Record {
            zone_id: "Z1".into(),
            name: "_x.example.com".into(),
            record_type: "CNAME".into(),
            alias: None,
            records: vec!["_y.acm-validations.aws.".into()],
            ttl: Some(300),
        };
        for p in [alias, plain] {
            let rs = to_record_set(&p).unwrap();
            assert_eq!(from_record_set("Z1", &rs, Some(&p)), p);
            assert_eq!(from_record_set("Z1", &rs, None), p);
            assert_eq!(split_id(&record_id(&p)).unwrap().0, "Z1");
        }
        assert!(same_alias_name(
            "My-LB-1.us-east-1.elb.amazonaws.com",
            "dualstack.my-lb-1.us-east-1.elb.amazonaws.com."
        ));
        assert!(!same_alias_name("a.example.com", "b.example.com"));
    }
}
