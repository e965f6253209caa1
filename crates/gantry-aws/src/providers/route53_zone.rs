//! `route53_zone` (a public hosted zone Gantry creates and owns) and
//! `route53_zone_lookup` (an existing zone found by name: create only looks
//! it up, delete does nothing, Gantry never owns it).
//!
//! Both ids are the zone id without the `/hostedzone/` prefix; outputs are
//! `id` and `name`, plus `name_servers` (comma separated) for owned zones.
//! `CreateHostedZone` takes no tags, so the `gantry:*` tags follow in
//! `ChangeTagsForResource`; its `CallerReference` is derived from the
//! journal's intent, so a retried create finds the zone it already made
//! (looked up by caller reference first; `HostedZoneAlreadyExists` → the
//! zone with that caller reference), even when the tags were never written.

use super::route53::{dns_name, fqdn, zone_id, ZONE_NOT_FOUND};
use crate::context::AwsContext;
use crate::error::{aws_error, has_code};
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_route53::types::{HostedZone, HostedZoneConfig, Tag, TagResourceType};
use futures::future::try_join_all;
use gantry_core::kinds::{self, Route53Zone, Route53ZoneLookup};
use gantry_core::*;

fn applied(id: &str, name: &str, name_servers: Option<&[String]>) -> Applied {
    let id = zone_id(id).to_string();
    let mut o = outputs([("id", id.clone()), ("name", dns_name(name))]);
    if let Some(ns) = name_servers {
        o.insert("name_servers".into(), ns.join(",").into());
    }
    Applied { id, outputs: o }
}

/// Zones named `name` (ListHostedZonesByName starts at the name; stops at
/// the first other name).
async fn zones_named(ctx: &AwsContext, name: &str) -> Result<Vec<HostedZone>, ProviderError> {
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
async fn get_zone(
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
        Err(e) if e.not_found => Ok(None),
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

pub struct Route53ZoneProvider {
    pub(crate) ctx: AwsContext,
}

impl Route53ZoneProvider {
    async fn tag(
        &self,
        id: &str,
        req: &CreateRequest<'_>,
        name: &str,
    ) -> Result<(), ProviderError> {
        let tags: Vec<Tag> = tag_set(req.tags, req.address, Some(name))
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        self.ctx
            .route53()
            .change_tags_for_resource()
            .resource_type(TagResourceType::Hostedzone)
            .resource_id(zone_id(id))
            .set_add_tags(Some(tags))
            .send()
            .await
            .map_err(|e| aws_error(e, ZONE_NOT_FOUND))?;
        Ok(())
    }
}

#[async_trait]
impl Provider for Route53ZoneProvider {
    fn kind(&self) -> &'static str {
        kinds::ROUTE53_ZONE
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: Route53Zone = parse(kinds::ROUTE53_ZONE, req.props)?;
        let caller = client_token(req.token);
        // A zone this intent already made (AWS would answer
        // `HostedZoneAlreadyExists` below; the emulator would make another).
        if let Some(z) = zones_named(&self.ctx, &p.name)
            .await?
            .into_iter()
            .find(|z| z.caller_reference() == caller)
        {
            self.tag(z.id(), &req, &p.name).await?;
            let ns = get_zone(&self.ctx, z.id())
                .await?
                .map(|(_, ns)| ns)
                .unwrap_or_default();
            return Ok(applied(z.id(), z.name(), Some(&ns)));
        }
        let config = HostedZoneConfig::builder()
            .comment(&p.comment)
            .private_zone(false)
            .build();
        let made = self
            .ctx
            .route53()
            .create_hosted_zone()
            .name(fqdn(&p.name))
            .caller_reference(&caller)
            .hosted_zone_config(config)
            .send()
            .await
            .map_err(|e| aws_error(e, &[]));
        let (id, ns) = match made {
            Ok(o) => {
                let id = o
                    .hosted_zone()
                    .map(|z| z.id().to_string())
                    .ok_or_else(|| ProviderError::new("MissingId", "CreateHostedZone: no zone"))?;
                let ns = o
                    .delegation_set()
                    .map(|d| d.name_servers().to_vec())
                    .unwrap_or_default();
                (id, ns)
            }
            // The same caller reference: this intent already made the zone.
            Err(e) if has_code(&e, &["HostedZoneAlreadyExists"]) => {
                let z = zones_named(&self.ctx, &p.name)
                    .await?
                    .into_iter()
                    .find(|z| z.caller_reference() == caller)
                    .ok_or(e)?;
                let ns = get_zone(&self.ctx, z.id())
                    .await?
                    .map(|(_, ns)| ns)
                    .unwrap_or_default();
                (z.id().to_string(), ns)
            }
            Err(e) => return Err(e),
        };
        self.tag(&id, &req, &p.name).await?;
        Ok(applied(&id, &p.name, Some(&ns)))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        // Route53 has no batched GetHostedZone; one call per zone, concurrently.
        try_join_all(reqs.iter().map(|r| async move {
            let Some((z, ns)) = get_zone(&self.ctx, r.id).await? else {
                return Ok(None);
            };
            let props = Route53Zone {
                name: dns_name(z.name()),
                comment: z
                    .config()
                    .and_then(|c| c.comment())
                    .unwrap_or_default()
                    .to_string(),
            };
            Ok(Some(Observed {
                props: to_props(&props),
                outputs: applied(z.id(), z.name(), Some(&ns)).outputs,
            }))
        }))
        .await
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let new: Route53Zone = parse(kinds::ROUTE53_ZONE, req.new)?;
        self.ctx
            .route53()
            .update_hosted_zone_comment()
            .id(zone_id(req.id))
            .comment(&new.comment)
            .send()
            .await
            .map_err(|e| aws_error(e, ZONE_NOT_FOUND))?;
        let ns = get_zone(&self.ctx, req.id)
            .await?
            .map(|(_, ns)| ns)
            .unwrap_or_default();
        Ok(applied(req.id, &new.name, Some(&ns)))
    }

    /// Fails with `HostedZoneNotEmpty` while records other than SOA and NS
    /// remain: Gantry deletes its own records first and never deletes
    /// records it did not write.
    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let r = self
            .ctx
            .route53()
            .delete_hosted_zone()
            .id(zone_id(req.id))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(e, ZONE_NOT_FOUND));
        ignore_not_found(r)
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let p: Route53Zone = parse(kinds::ROUTE53_ZONE, req.props)?;
        let caller = client_token(req.token);
        for z in zones_named(&self.ctx, &p.name).await? {
            let ours = z.caller_reference() == caller || {
                let t = zone_tags(&self.ctx, z.id()).await?;
                tags_match(
                    t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    req.tags,
                    req.address,
                )
            };
            if ours {
                let ns = get_zone(&self.ctx, z.id())
                    .await?
                    .map(|(_, ns)| ns)
                    .unwrap_or_default();
                return Ok(Some(applied(z.id(), z.name(), Some(&ns))));
            }
        }
        Ok(None)
    }
}

pub struct Route53ZoneLookupProvider {
    pub(crate) ctx: AwsContext,
}

impl Route53ZoneLookupProvider {
    async fn lookup(&self, props: &Props) -> Result<Applied, ProviderError> {
        let p: Route53ZoneLookup = parse(kinds::ROUTE53_ZONE_LOOKUP, props)?;
        let z = zones_named(&self.ctx, &p.name)
            .await?
            .into_iter()
            .find(|z| z.config().is_some_and(|c| c.private_zone()) == p.private_zone)
            .ok_or_else(|| {
                ProviderError::new(
                    "NoSuchHostedZone",
                    format!(
                        "no {} hosted zone named {} in this account",
                        if p.private_zone { "private" } else { "public" },
                        p.name
                    ),
                )
            })?;
        Ok(applied(z.id(), z.name(), None))
    }
}

#[async_trait]
impl Provider for Route53ZoneLookupProvider {
    fn kind(&self) -> &'static str {
        kinds::ROUTE53_ZONE_LOOKUP
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        self.lookup(req.props).await
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        try_join_all(reqs.iter().map(|r| async move {
            let Some((z, _)) = get_zone(&self.ctx, r.id).await? else {
                return Ok(None);
            };
            let props = Route53ZoneLookup {
                name: dns_name(z.name()),
                private_zone: z.config().is_some_and(|c| c.private_zone()),
            };
            Ok(Some(Observed {
                props: to_props(&props),
                outputs: applied(z.id(), z.name(), None).outputs,
            }))
        }))
        .await
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        self.lookup(req.new).await
    }

    /// Never owned: nothing to delete.
    async fn delete(&self, _req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        match self.lookup(req.props).await {
            Ok(a) => Ok(Some(a)),
            Err(e) if has_code(&e, &["NoSuchHostedZone"]) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
