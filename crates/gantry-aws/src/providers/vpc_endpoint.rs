//! `vpc_endpoint`: an interface or gateway VPC endpoint (the no-NAT egress
//! option: ECR, Logs, Secrets Manager, S3).

use super::ec2::*;
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, VpcEndpoint as AwsEndpoint, VpcEndpointType};
use gantry_core::kinds::VpcEndpoint;
use crate::shape::*;
use gantry_core::*;
use std::collections::{BTreeSet, HashMap};

const NOT_FOUND: &[&str] = &[
    "InvalidVpcEndpointId.NotFound",
    "InvalidVpcEndpoint.NotFound",
];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn gone(e: &AwsEndpoint) -> bool {
    let s = e
        .state()
        .map(|s| s.as_str().to_ascii_lowercase())
        .unwrap_or_default();
    s == "deleted" || s == "deleting"
}

fn props_of(e: &AwsEndpoint, rec: Option<&VpcEndpoint>) -> VpcEndpoint {
    let keep = |actual: Vec<String>, f: fn(&VpcEndpoint) -> &Vec<String>| match rec {
        Some(r) => order_like(actual, f(r)),
        None => order_like(actual, &[]),
    };
    VpcEndpoint {
        name: name_of(e.tags.as_deref()),
        vpc_id: e.vpc_id().unwrap_or_default().to_string(),
        service_name: e.service_name().unwrap_or_default().to_string(),
        vpc_endpoint_type: e
            .vpc_endpoint_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        subnet_ids: keep(e.subnet_ids().to_vec(), |r| &r.subnet_ids),
        security_group_ids: keep(
            e.groups()
                .iter()
                .filter_map(|g| g.group_id.clone())
                .collect(),
            |r| &r.security_group_ids,
        ),
        route_table_ids: keep(e.route_table_ids().to_vec(), |r| &r.route_table_ids),
        private_dns_enabled: e.private_dns_enabled().unwrap_or(false),
    }
}

fn diff(old: &[String], new: &[String]) -> (Vec<String>, Vec<String>) {
    let o: BTreeSet<&String> = old.iter().collect();
    let n: BTreeSet<&String> = new.iter().collect();
    (
        n.difference(&o).map(|s| s.to_string()).collect(),
        o.difference(&n).map(|s| s.to_string()).collect(),
    )
}

impl Provider {
    async fn describe(&self, ids: Vec<String>) -> Result<Vec<AwsEndpoint>, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_vpc_endpoints()
            .set_vpc_endpoint_ids(Some(ids))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out.vpc_endpoints.unwrap_or_default())
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = VpcEndpoint;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "ec2:vpc-endpoint", |a| arn::after(a, "ec2", "vpc-endpoint/"));
    const READ_BATCH: Option<usize> = Some(200);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, VpcEndpoint>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(Some(&p.name));
        let interface = p.vpc_endpoint_type.eq_ignore_ascii_case("interface");
        let mut q = self
            .ctx
            .ec2()
            .create_vpc_endpoint()
            .vpc_id(&p.vpc_id)
            .service_name(&p.service_name)
            .vpc_endpoint_type(VpcEndpointType::from(p.vpc_endpoint_type.as_str()))
            .client_token(client_token(req.token))
            .tag_specifications(tag_spec(ResourceType::VpcEndpoint, &tags));
        if interface {
            q = q
                .set_subnet_ids(Some(p.subnet_ids.clone()))
                .set_security_group_ids(Some(p.security_group_ids.clone()))
                .private_dns_enabled(p.private_dns_enabled);
        } else {
            q = q.set_route_table_ids(Some(p.route_table_ids.clone()));
        }
        let out = q.send().await.map_err(Self::err)?;
        let id = out
            .vpc_endpoint
            .and_then(|e| e.vpc_endpoint_id)
            .ok_or_else(|| missing_id("CreateVpcEndpoint"))?;
        Ok(applied_id(id))
    }

    async fn read(&self, items: &[Item<'_, VpcEndpoint>]) -> Result<Vec<Seen<VpcEndpoint>>, ProviderError> {
        let ids = ids(items);
        let mut found = HashMap::new();
        for chunk in chunks(&ids, 200) {
            // One missing id fails the whole call here, hence the fallback.
            for e in batch_or_each(&chunk, |ids| self.describe(ids)).await? {
                if gone(&e) {
                    continue;
                }
                if let Some(id) = e.vpc_endpoint_id.clone() {
                    found.insert(id, e);
                }
            }
        }
        Ok(items
            .iter()
            .filter_map(|r| {
                let e = found.get(r.id)?;
                let rec: Option<VpcEndpoint> = r.recorded.clone();
                let props = props_of(e, rec.as_ref());
                // Private DNS means nothing for gateway endpoints (the emulator
                // reports true, AWS false); leave it to the record.
                let unread: &[&str] = if props.vpc_endpoint_type.eq_ignore_ascii_case("gateway") {
                    &["private_dns_enabled"]
                } else {
                    &[]
                };
                Some(Seen { id: r.id.to_string(), props, unread: unread.to_vec(), outputs: applied_id(r.id.to_string()).outputs })
            })
            .collect())
    }

    async fn update(&self, req: Update<'_, VpcEndpoint>) -> Result<Applied, ProviderError> {
        let old = &req.old;
        let new = &req.new;
        if old.name != new.name {
            put_tags(
                &self.ctx,
                req.id,
                &req.tag_set(Some(&new.name)),
            )
            .await?;
        }
        let (add_s, rm_s) = diff(&old.subnet_ids, &new.subnet_ids);
        let (add_g, rm_g) = diff(&old.security_group_ids, &new.security_group_ids);
        let (add_r, rm_r) = diff(&old.route_table_ids, &new.route_table_ids);
        let dns = old.private_dns_enabled != new.private_dns_enabled;
        let nonempty = |v: Vec<String>| (!v.is_empty()).then_some(v);
        if [&add_s, &rm_s, &add_g, &rm_g, &add_r, &rm_r]
            .iter()
            .any(|v| !v.is_empty())
            || dns
        {
            let mut q = self
                .ctx
                .ec2()
                .modify_vpc_endpoint()
                .vpc_endpoint_id(req.id)
                .set_add_subnet_ids(nonempty(add_s))
                .set_remove_subnet_ids(nonempty(rm_s))
                .set_add_security_group_ids(nonempty(add_g))
                .set_remove_security_group_ids(nonempty(rm_g))
                .set_add_route_table_ids(nonempty(add_r))
                .set_remove_route_table_ids(nonempty(rm_r));
            if dns {
                q = q.private_dns_enabled(new.private_dns_enabled);
            }
            q.send().await.map_err(Self::err)?;
        }
        Ok(applied_id(req.id.to_string()))
    }

    async fn delete(&self, req: Delete<'_, VpcEndpoint>) -> Result<(), ProviderError> {
        let existing = match self.describe(vec![req.id.to_string()]).await {
            Err(e) if e.is_not_found() => return Ok(()),
            other => other?,
        };
        let Some(e) = existing.into_iter().find(|e| !gone(e)) else {
            return Ok(());
        };
        // Detach a gateway endpoint from its route tables first: on AWS that
        // is what the delete does anyway, and the emulator's own delete fails
        // to find the routes it added.
        if !e.route_table_ids().is_empty() {
            self.ctx
                .ec2()
                .modify_vpc_endpoint()
                .vpc_endpoint_id(req.id)
                .set_remove_route_table_ids(Some(e.route_table_ids().to_vec()))
                .send()
                .await
                .map_err(Self::err)?;
        }
        let out = self
            .ctx
            .ec2()
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(req.id)
            .send()
            .await
            .map_err(Self::err);
        let out = match out {
            Err(e) if e.is_not_found() => return Ok(()),
            other => other?,
        };
        if let Some(err) = out.unsuccessful().iter().find_map(|u| u.error()) {
            let code = err.code().unwrap_or("VpcEndpointDeleteFailed");
            if !NOT_FOUND.contains(&code) {
                return Err(ProviderError::new(code, err.message().unwrap_or_default()));
            }
        }
        wait_for(
            &format!("VPC endpoint {} to be deleted", req.id),
            STATE_WAIT,
            || async {
                match self.describe(vec![req.id.to_string()]).await {
                    Err(e) if e.is_not_found() => Ok(Some(())),
                    Err(e) => Err(e),
                    Ok(v) => Ok(v
                        .first()
                        .is_none_or(|e| {
                            e.state()
                                .map(|s| s.as_str().eq_ignore_ascii_case("deleted"))
                                .unwrap_or(true)
                        })
                        .then_some(())),
                }
            },
        )
        .await
    }

    async fn find(&self, req: Find<'_, VpcEndpoint>) -> Result<Option<Applied>, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_vpc_endpoints()
            .set_filters(Some(stack_filters(req.tags, req.address)))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out
            .vpc_endpoints
            .unwrap_or_default()
            .into_iter()
            .find(|e| !gone(e) && ec2_tags_match(e.tags.as_deref(), req.tags, req.address))
            .and_then(|e| e.vpc_endpoint_id)
            .map(applied_id))
    }
}
