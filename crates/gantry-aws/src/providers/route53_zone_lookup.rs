//! `route53_zone_lookup`: an existing hosted zone found by name. Create
//! only looks it up, delete does nothing: Gantry never owns it. Its id is
//! the zone id without the `/hostedzone/` prefix; outputs are `id` and
//! `name`.

use super::route53::*;
use crate::context::AwsContext;
use crate::error::has_code;
use async_trait::async_trait;
use gantry_core::kinds::Route53ZoneLookup;
use crate::shape::*;
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
}

impl Provider {
    async fn lookup(&self, p: &Route53ZoneLookup) -> Result<Applied, ProviderError> {
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
        Ok(zone_applied(z.id(), z.name(), None))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = Route53ZoneLookup;
    const NOT_FOUND: &'static [&'static str] = super::route53::ZONE_NOT_FOUND;
    const LISTING: Listing = Listing::NotOwned;

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, Route53ZoneLookup>) -> Result<Applied, ProviderError> {
        self.lookup(&req.props).await
    }

    async fn read(&self, items: &[Item<'_, Route53ZoneLookup>]) -> Result<Vec<Seen<Route53ZoneLookup>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, _rec| async move {
            let Some((z, _)) = get_zone(&self.ctx, &id).await? else {
                return Ok(None);
            };
            let props = Route53ZoneLookup {
                name: dns_name(z.name()),
                private_zone: z.config().is_some_and(|c| c.private_zone()),
            };
            Ok(Some(Seen::new(id.clone(), props, zone_applied(z.id(), z.name(), None).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, Route53ZoneLookup>) -> Result<Applied, ProviderError> {
        self.lookup(&req.new).await
    }

    /// Never owned: nothing to delete.
    async fn delete(&self, _req: Delete<'_, Route53ZoneLookup>) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn find(&self, req: Find<'_, Route53ZoneLookup>) -> Result<Option<Applied>, ProviderError> {
        match self.lookup(&req.props).await {
            Ok(a) => Ok(Some(a)),
            Err(e) if has_code(&e, &["NoSuchHostedZone"]) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
