//! `servicediscovery_service`: a Cloud Map service in a private DNS
//! namespace: `NAME.NAMESPACE` answers with A records of the ECS tasks
//! registered in it (MULTIVALUE routing), each healthy as ECS reports it (a
//! custom health check: Route 53 cannot probe private IPs). The id is the
//! service id; outputs `id`, `arn`, `name`.
//!
//! The create passes the journal's token as `CreatorRequestId`; a name
//! already taken in the namespace (`ServiceAlreadyExists`, a create whose
//! reply was lost) is adopted when its tags say it is this address's.
//! Updates (description, TTL) are Cloud Map operations, waited for; the
//! update always sends the DNS records, since UpdateService drops those it
//! is not sent. A service with registered instances cannot be deleted
//! (`ResourceInUse`): ECS deregisters its tasks' instances as they stop,
//! a little after the ECS service is gone (it is deleted first, as it
//! names this one), so the delete retries that out.

use super::servicediscovery::{operation, ours, tags, IN_USE, NOT_FOUND};
use crate::context::AwsContext;
use crate::error::has_code;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_servicediscovery::types::{
    DnsConfig, DnsConfigChange, DnsRecord, FilterCondition, HealthCheckCustomConfig,
    OperationTargetType, RecordType, RoutingPolicy, Service, ServiceChange, ServiceFilter,
    ServiceFilterName,
};
use gantry_core::kinds::ServicediscoveryService as Svc;
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn build_err(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new("InvalidProperties", format!("servicediscovery_service: {e}"))
}

/// The A record of every registered task, cached `ttl` seconds.
fn records(p: &Svc) -> Result<Vec<DnsRecord>, ProviderError> {
    Ok(vec![DnsRecord::builder()
        .r#type(RecordType::A)
        .ttl(p.dns_ttl)
        .build()
        .map_err(build_err)?])
}

fn applied(s: &Service) -> Applied {
    let id = s.id().unwrap_or_default().to_string();
    Applied {
        outputs: outputs([
            ("id", id.clone()),
            ("arn", s.arn().unwrap_or_default().to_string()),
            ("name", s.name().unwrap_or_default().to_string()),
        ]),
        id,
    }
}

impl Provider {
    async fn get(&self, id: &str) -> Result<Service, ProviderError> {
        self.ctx
            .servicediscovery()
            .get_service()
            .id(id)
            .send()
            .await
            .map_err(Self::err)?
            .service
            .ok_or_else(|| ProviderError::not_found(format!("service {id} is gone")))
    }

    /// The service named `name` in the namespace, when it is `address`'s.
    async fn find_named(
        &self,
        namespace: &str,
        name: &str,
        stack: &StackTags,
        address: &Address,
    ) -> Result<Option<Service>, ProviderError> {
        let filter = ServiceFilter::builder()
            .name(ServiceFilterName::NamespaceId)
            .values(namespace)
            .condition(FilterCondition::Eq)
            .build()
            .map_err(build_err)?;
        let mut pages = self
            .ctx
            .servicediscovery()
            .list_services()
            .filters(filter)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for s in page.map_err(Self::err)?.services.unwrap_or_default() {
                let (Some(id), Some(arn)) = (s.id(), s.arn()) else {
                    continue;
                };
                if s.name() != Some(name) {
                    continue;
                }
                // The filter is the namespace's, but say it twice.
                let full = self.get(id).await?;
                if full.namespace_id() == Some(namespace)
                    && ours(&self.ctx, arn, stack, address).await?
                {
                    return Ok(Some(full));
                }
            }
        }
        Ok(None)
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = Svc;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "servicediscovery:service", |a| {
        arn::after(a, "servicediscovery", "service/")
    });

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, Svc>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let dns = DnsConfig::builder()
            .routing_policy(RoutingPolicy::from(p.routing_policy.as_str()))
            .set_dns_records(Some(records(p)?))
            .build()
            .map_err(build_err)?;
        let out = self
            .ctx
            .servicediscovery()
            .create_service()
            .name(&p.name)
            .namespace_id(&p.namespace_id)
            .description(&p.description)
            .creator_request_id(client_token(req.token))
            .dns_config(dns)
            // ECS reports each task's health; the threshold is fixed at 1.
            .health_check_custom_config(HealthCheckCustomConfig::builder().build())
            .set_tags(Some(tags(req.tag_set(None))?))
            .send()
            .await
            .map_err(Self::err);
        match out {
            Ok(o) => {
                let s = required(o.service, "CreateService", "Service")?;
                Ok(applied(&s))
            }
            Err(e) if has_code(&e, &["ServiceAlreadyExists"]) => {
                match self
                    .find_named(&p.namespace_id, &p.name, req.tags, req.address)
                    .await?
                {
                    Some(s) => Ok(applied(&s)),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn read(&self, items: &[Item<'_, Svc>]) -> Result<Vec<Seen<Svc>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, _rec| async move {
            let s = self.get(&id).await?;
            let dns = s.dns_config();
            let props = Svc {
                name: s.name().unwrap_or_default().to_string(),
                namespace_id: s.namespace_id().unwrap_or_default().to_string(),
                description: s.description().unwrap_or_default().to_string(),
                dns_ttl: dns
                    .and_then(|d| d.dns_records().iter().find(|r| r.r#type() == &RecordType::A))
                    .map_or(0, DnsRecord::ttl),
                routing_policy: dns
                    .and_then(|d| d.routing_policy())
                    .map_or_else(String::new, |r| r.as_str().to_string()),
            };
            Ok(Some(Seen::new(id, props, applied(&s).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, Svc>) -> Result<Applied, ProviderError> {
        let change = ServiceChange::builder()
            .description(&req.new.description)
            .dns_config(
                DnsConfigChange::builder()
                    .set_dns_records(Some(records(&req.new)?))
                    .build()
                    .map_err(build_err)?,
            )
            .build();
        let op = self
            .ctx
            .servicediscovery()
            .update_service()
            .id(req.id)
            .service(change)
            .send()
            .await
            .map_err(Self::err)?;
        let op = required(op.operation_id, "UpdateService", "OperationId")?;
        operation(&self.ctx, &op, OperationTargetType::Service).await?;
        Ok(applied(&self.get(req.id).await?))
    }

    async fn delete(&self, req: Delete<'_, Svc>) -> Result<(), ProviderError> {
        retry_codes(IN_USE, DEPENDENCY_WAIT, || async {
            self.ctx
                .servicediscovery()
                .delete_service()
                .id(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await
    }

    async fn find(&self, req: Find<'_, Svc>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        Ok(self
            .find_named(&p.namespace_id, &p.name, req.tags, req.address)
            .await?
            .as_ref()
            .map(applied))
    }
}
