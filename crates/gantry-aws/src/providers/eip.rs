//! `eip`: an Elastic IP allocation (for a NAT gateway). Its id is the
//! allocation id; `public_ip` is an output.

use super::ec2::*;
use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, ResourceType};
use gantry_core::kinds::{self, Eip};
use gantry_core::*;
use std::collections::HashMap;

const NOT_FOUND: &[&str] = &["InvalidAllocationID.NotFound"];

pub struct EipProvider {
    pub(crate) ctx: AwsContext,
}

fn applied(id: String, public_ip: Option<String>) -> Applied {
    Applied {
        outputs: outputs([
            ("id", id.clone()),
            ("public_ip", public_ip.unwrap_or_default()),
        ]),
        id,
    }
}

#[async_trait]
impl Provider for EipProvider {
    fn kind(&self) -> &'static str {
        kinds::EIP
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: Eip = parse(kinds::EIP, req.props)?;
        let tags = tag_set(req.tags, req.address, Some(&p.name));
        let out = self
            .ctx
            .ec2()
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tag_spec(ResourceType::ElasticIp, &tags))
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        let id = out
            .allocation_id
            .ok_or_else(|| missing_id("AllocateAddress"))?;
        Ok(applied(id, out.public_ip))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        let ids: Vec<String> = reqs.iter().map(|r| r.id.to_string()).collect();
        let mut found = HashMap::new();
        for chunk in chunks(&ids, 200) {
            let out = self
                .ctx
                .ec2()
                .describe_addresses()
                .filters(filter("allocation-id", chunk))
                .send()
                .await
                .map_err(|e| aws_error(e, NOT_FOUND))?;
            for a in out.addresses.unwrap_or_default() {
                let Some(id) = a.allocation_id.clone() else {
                    continue;
                };
                let props = Eip {
                    name: name_of(a.tags.as_deref()),
                };
                found.insert(
                    id.clone(),
                    Observed {
                        props: to_props(&props),
                        outputs: applied(id, a.public_ip.clone()).outputs,
                    },
                );
            }
        }
        Ok(reqs.iter().map(|r| found.remove(r.id)).collect())
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let new: Eip = parse(kinds::EIP, req.new)?;
        put_tags(
            &self.ctx,
            req.id,
            &tag_set(req.tags, req.address, Some(&new.name)),
        )
        .await?;
        let ip = req
            .old
            .get("public_ip")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let out = self
            .ctx
            .ec2()
            .describe_addresses()
            .filters(filter("allocation-id", [req.id.to_string()]))
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND))?;
        let ip = out
            .addresses
            .unwrap_or_default()
            .into_iter()
            .next()
            .and_then(|a| a.public_ip)
            .or(ip);
        Ok(applied(req.id.to_string(), ip))
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        // The NAT gateway using it may still be releasing its association.
        let r = retry_codes(
            &[
                "InvalidIPAddress.InUse",
                "AuthFailure",
                "DependencyViolation",
            ],
            DEPENDENCY_WAIT,
            || async {
                self.ctx
                    .ec2()
                    .release_address()
                    .allocation_id(req.id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| aws_error(e, NOT_FOUND))
            },
        )
        .await;
        ignore_not_found(r)
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_addresses()
            .set_filters(Some(stack_filters(req.tags, req.address)))
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        Ok(out
            .addresses
            .unwrap_or_default()
            .into_iter()
            .find(|a| ec2_tags_match(a.tags.as_deref(), req.tags, req.address))
            .and_then(|a| Some(applied(a.allocation_id?, a.public_ip))))
    }
}
