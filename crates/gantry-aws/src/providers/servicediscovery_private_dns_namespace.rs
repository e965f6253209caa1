//! `servicediscovery_private_dns_namespace`: a Cloud Map private DNS
//! namespace, which Cloud Map backs with a Route 53 private hosted zone of
//! the VPC (the VPC needs DNS support and DNS hostnames, which the `vpc`
//! kind always turns on). The id is the namespace id; outputs `id`, `arn`,
//! `name`, `hosted_zone_id`.
//!
//! Creates, description updates and deletes are operations Cloud Map runs
//! asynchronously: each waits for its operation ([`super::servicediscovery::operation`]).
//! The create passes the journal's token as `CreatorRequestId`, so a
//! resent create answers with the first one's operation; a create whose
//! reply was lost is found by name, type and tags (and a create refused
//! because the name is taken adopts the namespace when its tags say so). A namespace that still
//! has services is refused (`ResourceInUse`) until their deletes are
//! through. GetNamespace does not say which VPC a namespace is in: that
//! field keeps its recorded value.

use super::servicediscovery::{operation, ours, tags, IN_USE, NOT_FOUND};
use crate::context::AwsContext;
use crate::error::has_code;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_servicediscovery::types::{
    Namespace, NamespaceFilter, NamespaceFilterName, NamespaceType, OperationTargetType,
    PrivateDnsNamespaceChange,
};
use gantry_core::kinds::ServicediscoveryPrivateDnsNamespace as Ns;
use gantry_core::*;

/// A namespace of that name exists (in the VPC).
const TAKEN: &[&str] = &["NamespaceAlreadyExists", "ConflictingDomainExists"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(n: &Namespace) -> Applied {
    let id = n.id().unwrap_or_default().to_string();
    let zone = n
        .properties()
        .and_then(|p| p.dns_properties())
        .and_then(|d| d.hosted_zone_id())
        .unwrap_or_default();
    Applied {
        outputs: outputs([
            ("id", id.clone()),
            ("arn", n.arn().unwrap_or_default().to_string()),
            ("name", n.name().unwrap_or_default().to_string()),
            ("hosted_zone_id", zone.to_string()),
        ]),
        id,
    }
}

impl Provider {
    async fn get(&self, id: &str) -> Result<Namespace, ProviderError> {
        self.ctx
            .servicediscovery()
            .get_namespace()
            .id(id)
            .send()
            .await
            .map_err(Self::err)?
            .namespace
            .ok_or_else(|| ProviderError::not_found(format!("namespace {id} is gone")))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = Ns;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "servicediscovery:namespace", |a| {
        arn::after(a, "servicediscovery", "namespace/")
    });

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, Ns>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let op = match self
            .ctx
            .servicediscovery()
            .create_private_dns_namespace()
            .name(&p.name)
            .vpc(&p.vpc_id)
            .description(&p.description)
            .creator_request_id(client_token(req.token))
            .set_tags(Some(tags(req.tag_set(None))?))
            .send()
            .await
            .map_err(Self::err)
        {
            // The name is taken in the VPC: ours when its tags say so (a
            // create whose reply was lost).
            Err(e) if has_code(&e, TAKEN) => {
                let find = Find {
                    address: req.address,
                    props: p.clone(),
                    tags: req.tags,
                    token: req.token,
                };
                return match self.find(find).await? {
                    Some(a) => Ok(a),
                    None => Err(e),
                };
            }
            other => other?,
        };
        let op = required(op.operation_id, "CreatePrivateDnsNamespace", "OperationId")?;
        let id = operation(&self.ctx, &op, OperationTargetType::Namespace)
            .await?
            .ok_or_else(|| {
                ProviderError::new("MissingId", format!("operation {op} named no namespace"))
            })?;
        Ok(applied(&self.get(&id).await?))
    }

    async fn read(&self, items: &[Item<'_, Ns>]) -> Result<Vec<Seen<Ns>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let n = self.get(&id).await?;
            let props = Ns {
                name: n.name().unwrap_or_default().to_string(),
                vpc_id: rec.map(|r| r.vpc_id).unwrap_or_default(),
                description: n.description().unwrap_or_default().to_string(),
            };
            Ok(Some(Seen::new(id, props, applied(&n).outputs).without("vpc_id")))
        })
        .await
    }

    async fn update(&self, req: Update<'_, Ns>) -> Result<Applied, ProviderError> {
        if req.old.description != req.new.description {
            let op = self
                .ctx
                .servicediscovery()
                .update_private_dns_namespace()
                .id(req.id)
                .namespace(
                    PrivateDnsNamespaceChange::builder()
                        .description(&req.new.description)
                        .build(),
                )
                .send()
                .await
                .map_err(Self::err)?;
            let op = required(op.operation_id, "UpdatePrivateDnsNamespace", "OperationId")?;
            operation(&self.ctx, &op, OperationTargetType::Namespace).await?;
        }
        Ok(applied(&self.get(req.id).await?))
    }

    async fn delete(&self, req: Delete<'_, Ns>) -> Result<(), ProviderError> {
        // Services deleted just before may still be counted for a moment.
        let op = retry_codes(IN_USE, DEPENDENCY_WAIT, || async {
            self.ctx
                .servicediscovery()
                .delete_namespace()
                .id(req.id)
                .send()
                .await
                .map_err(Self::err)
        })
        .await?;
        if let Some(op) = op.operation_id {
            operation(&self.ctx, &op, OperationTargetType::Namespace).await?;
        }
        Ok(())
    }

    async fn find(&self, req: Find<'_, Ns>) -> Result<Option<Applied>, ProviderError> {
        let filter = |name: NamespaceFilterName, value: &str| {
            NamespaceFilter::builder()
                .name(name)
                .values(value)
                .build()
                .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))
        };
        let mut pages = self
            .ctx
            .servicediscovery()
            .list_namespaces()
            .filters(filter(NamespaceFilterName::Type, "DNS_PRIVATE")?)
            .filters(filter(NamespaceFilterName::Name, &req.props.name)?)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for n in page.map_err(Self::err)?.namespaces.unwrap_or_default() {
                if n.name() != Some(req.props.name.as_str())
                    || n.r#type() != Some(&NamespaceType::DnsPrivate)
                {
                    continue;
                }
                let (Some(id), Some(arn)) = (n.id(), n.arn()) else {
                    continue;
                };
                if ours(&self.ctx, arn, req.tags, req.address).await? {
                    return Ok(Some(applied(&self.get(id).await?)));
                }
            }
        }
        Ok(None)
    }
}
