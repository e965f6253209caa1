//! `route53_zone`: a public hosted zone Gantry creates and owns. Its id is
//! the zone id without the `/hostedzone/` prefix; outputs are `id`, `name`
//! and `name_servers` (comma separated). `CreateHostedZone` takes no tags,
//! so the `gantry:*` tags follow in `ChangeTagsForResource`; its
//! `CallerReference` is derived from the journal's intent, so a retried
//! create finds the zone it already made (looked up by caller reference
//! first; `HostedZoneAlreadyExists` → the zone with that caller reference),
//! even when the tags were never written.

use super::route53::*;
use crate::context::AwsContext;
use crate::error::{aws_error, has_code};
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_route53::types::{HostedZoneConfig, Tag, TagResourceType};
use gantry_core::kinds::Route53Zone;
use crate::shape::*;
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
}

impl Provider {
    async fn tag(
        &self,
        id: &str,
        req: &Create<'_, Route53Zone>,
        name: &str,
    ) -> Result<(), ProviderError> {
        let tags: Vec<Tag> = req.tag_set(Some(name))
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
impl AwsKind for Provider {
    type Props = Route53Zone;
    const NOT_FOUND: &'static [&'static str] = super::route53::ZONE_NOT_FOUND;
    const LISTING: Listing = tagged(Region::Global, "route53:hostedzone", |a| arn::after(a, "route53", "hostedzone/"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, Route53Zone>) -> Result<Applied, ProviderError> {
        let p = &req.props;
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
            return Ok(zone_applied(z.id(), z.name(), Some(&ns)));
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
            .map_err(Self::err);
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
        Ok(zone_applied(&id, &p.name, Some(&ns)))
    }

    async fn read(&self, items: &[Item<'_, Route53Zone>]) -> Result<Vec<Seen<Route53Zone>>, ProviderError> {
        // Route53 has no batched GetHostedZone; one call per zone, concurrently.
        each::<Self, _, _>(&self.ctx, items, |id, _rec| async move {
            let Some((z, ns)) = get_zone(&self.ctx, &id).await? else {
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
            Ok(Some(Seen::new(id.clone(), props, zone_applied(z.id(), z.name(), Some(&ns)).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, Route53Zone>) -> Result<Applied, ProviderError> {
        let new = &req.new;
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
        Ok(zone_applied(req.id, &new.name, Some(&ns)))
    }

    /// Fails with `HostedZoneNotEmpty` while records other than SOA and NS
    /// remain: Gantry deletes its own records first and never deletes
    /// records it did not write.
    async fn delete(&self, req: Delete<'_, Route53Zone>) -> Result<(), ProviderError> {
        self
            .ctx
            .route53()
            .delete_hosted_zone()
            .id(zone_id(req.id))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(e, ZONE_NOT_FOUND))
    }

    async fn find(&self, req: Find<'_, Route53Zone>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let caller = client_token(req.token);
        for z in zones_named(&self.ctx, &p.name).await? {
            let ours = z.caller_reference() == caller || {
                let t = zone_tags(&self.ctx, z.id()).await?;
                req.ours(t.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            };
            if ours {
                let ns = get_zone(&self.ctx, z.id())
                    .await?
                    .map(|(_, ns)| ns)
                    .unwrap_or_default();
                return Ok(Some(zone_applied(z.id(), z.name(), Some(&ns))));
            }
        }
        Ok(None)
    }
}

