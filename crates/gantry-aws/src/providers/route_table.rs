//! `route_table`: a route table and its routes (besides the implicit `local`
//! one and those that gateway VPC endpoints add, which are not ours).

use super::ec2::*;
use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;
use gantry_core::kinds::{Route, RouteTable};
use crate::shape::*;
use gantry_core::*;
use std::collections::BTreeMap;

const NOT_FOUND: &[&str] = &["InvalidRouteTableID.NotFound"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn routes_of(rt: &aws_sdk_ec2::types::RouteTable) -> Vec<Route> {
    let mut routes: Vec<Route> = rt
        .routes()
        .iter()
        // `local` and the routes gateway endpoints add belong to AWS.
        .filter(|r| r.gateway_id() != Some("local"))
        .filter(|r| !r.gateway_id().is_some_and(|g| g.starts_with("vpce-")))
        .filter_map(|r| {
            Some(Route {
                destination_cidr_block: r.destination_cidr_block()?.to_string(),
                gateway_id: r.gateway_id().map(str::to_string),
                nat_gateway_id: r.nat_gateway_id().map(str::to_string),
            })
        })
        .filter(|r| r.gateway_id.is_some() || r.nat_gateway_id.is_some())
        .collect();
    routes.sort();
    routes
}

impl Provider {
    /// Brings the table's routes from `have` to `want`, keyed by destination.
    async fn sync_routes(
        &self,
        id: &str,
        have: &[Route],
        want: &[Route],
    ) -> Result<(), ProviderError> {
        let have: BTreeMap<&str, &Route> = have
            .iter()
            .map(|r| (r.destination_cidr_block.as_str(), r))
            .collect();
        let want: BTreeMap<&str, &Route> = want
            .iter()
            .map(|r| (r.destination_cidr_block.as_str(), r))
            .collect();
        for (dest, r) in &want {
            match have.get(dest) {
                Some(h) if h == r => {}
                Some(_) => {
                    self.ctx
                        .ec2()
                        .replace_route()
                        .route_table_id(id)
                        .destination_cidr_block(*dest)
                        .set_gateway_id(r.gateway_id.clone())
                        .set_nat_gateway_id(r.nat_gateway_id.clone())
                        .send()
                        .await
                        .map_err(Self::err)?;
                }
                None => {
                    self.ctx
                        .ec2()
                        .create_route()
                        .route_table_id(id)
                        .destination_cidr_block(*dest)
                        .set_gateway_id(r.gateway_id.clone())
                        .set_nat_gateway_id(r.nat_gateway_id.clone())
                        .send()
                        .await
                        .map_err(Self::err)?;
                }
            }
        }
        for dest in have.keys().filter(|d| !want.contains_key(*d)) {
            let r = self
                .ctx
                .ec2()
                .delete_route()
                .route_table_id(id)
                .destination_cidr_block(*dest)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(e, &["InvalidRoute.NotFound"]));
            ignore_not_found(r)?;
        }
        Ok(())
    }

    async fn describe(
        &self,
        id: &str,
    ) -> Result<Option<aws_sdk_ec2::types::RouteTable>, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_route_tables()
            .filters(filter("route-table-id", [id.to_string()]))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out.route_tables.unwrap_or_default().into_iter().next())
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = RouteTable;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "ec2:route-table", |a| arn::after(a, "ec2", "route-table/"));
    const READ_BATCH: Option<usize> = Some(200);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, RouteTable>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(Some(&p.name));
        let out = self
            .ctx
            .ec2()
            .create_route_table()
            .vpc_id(&p.vpc_id)
            .client_token(client_token(req.token))
            .tag_specifications(tag_spec(ResourceType::RouteTable, &tags))
            .send()
            .await
            .map_err(Self::err)?;
        let rt = out
            .route_table
            .ok_or_else(|| missing_id("CreateRouteTable"))?;
        let id = rt
            .route_table_id
            .clone()
            .ok_or_else(|| missing_id("CreateRouteTable"))?;
        // A token replay returns the existing table, which may have routes.
        self.sync_routes(&id, &routes_of(&rt), &p.routes).await?;
        Ok(applied_id(id))
    }

    async fn read(&self, items: &[Item<'_, RouteTable>]) -> Result<Vec<Seen<RouteTable>>, ProviderError> {
        let ids = ids(items);
        let mut found = Vec::new();
        for chunk in chunks(&ids, 200) {
            let out = self
                .ctx
                .ec2()
                .describe_route_tables()
                .filters(filter("route-table-id", chunk))
                .send()
                .await
                .map_err(Self::err)?;
            for rt in out.route_tables.unwrap_or_default() {
                let Some(id) = rt.route_table_id.clone() else {
                    continue;
                };
                let props = RouteTable {
                    name: name_of(rt.tags.as_deref()),
                    vpc_id: rt.vpc_id.clone().unwrap_or_default(),
                    routes: routes_of(&rt),
                };
                found.push(Seen::new(id.clone(), props, applied_id(id).outputs));
            }
        }
        Ok(found)
    }

    async fn update(&self, req: Update<'_, RouteTable>) -> Result<Applied, ProviderError> {
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
        // Diff against what AWS has, not the record, so drift is repaired too.
        let rt = self
            .describe(req.id)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("route table {} is gone", req.id)))?;
        self.sync_routes(req.id, &routes_of(&rt), &new.routes)
            .await?;
        Ok(applied_id(req.id.to_string()))
    }

    async fn delete(&self, req: Delete<'_, RouteTable>) -> Result<(), ProviderError> {
        retry_codes(&["DependencyViolation"], DEPENDENCY_WAIT, || async {
            self.ctx
                .ec2()
                .delete_route_table()
                .route_table_id(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await
    }

    async fn find(&self, req: Find<'_, RouteTable>) -> Result<Option<Applied>, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_route_tables()
            .set_filters(Some(stack_filters(req.tags, req.address)))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out
            .route_tables
            .unwrap_or_default()
            .into_iter()
            .find(|t| ec2_tags_match(t.tags.as_deref(), req.tags, req.address))
            .and_then(|t| t.route_table_id)
            .map(applied_id))
    }
}
