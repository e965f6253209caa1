//! `route_table_association`: puts a subnet on a route table. Not taggable;
//! found again by (route table, subnet), which is unique.

use super::ec2::*;
use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use gantry_core::kinds::{self, RouteTableAssociation};
use gantry_core::*;
use std::collections::HashMap;

const NOT_FOUND: &[&str] = &["InvalidAssociationID.NotFound"];

pub struct RouteTableAssociationProvider {
    pub(crate) ctx: AwsContext,
}

#[async_trait]
impl Provider for RouteTableAssociationProvider {
    fn kind(&self) -> &'static str {
        kinds::ROUTE_TABLE_ASSOCIATION
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: RouteTableAssociation = parse(kinds::ROUTE_TABLE_ASSOCIATION, req.props)?;
        let out = self
            .ctx
            .ec2()
            .associate_route_table()
            .route_table_id(&p.route_table_id)
            .subnet_id(&p.subnet_id)
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        let id = out
            .association_id
            .ok_or_else(|| missing_id("AssociateRouteTable"))?;
        Ok(applied_id(id))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        let ids: Vec<String> = reqs.iter().map(|r| r.id.to_string()).collect();
        let mut found = HashMap::new();
        for chunk in chunks(&ids, 200) {
            let out = self
                .ctx
                .ec2()
                .describe_route_tables()
                .filters(filter("association.route-table-association-id", chunk))
                .send()
                .await
                .map_err(|e| aws_error(e, &[]))?;
            for rt in out.route_tables.unwrap_or_default() {
                for a in rt.associations() {
                    let (Some(id), Some(subnet)) = (a.route_table_association_id(), a.subnet_id())
                    else {
                        continue;
                    };
                    let props = RouteTableAssociation {
                        subnet_id: subnet.to_string(),
                        route_table_id: rt.route_table_id().unwrap_or_default().to_string(),
                    };
                    found.insert(
                        id.to_string(),
                        Observed {
                            props: to_props(&props),
                            outputs: applied_id(id.to_string()).outputs,
                        },
                    );
                }
            }
        }
        Ok(reqs.iter().map(|r| found.remove(r.id)).collect())
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        // Both fields force replacement: nothing can change in place.
        Ok(applied_id(req.id.to_string()))
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let r = self
            .ctx
            .ec2()
            .disassociate_route_table()
            .association_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(e, NOT_FOUND));
        ignore_not_found(r)
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let p: RouteTableAssociation = parse(kinds::ROUTE_TABLE_ASSOCIATION, req.props)?;
        let out = self
            .ctx
            .ec2()
            .describe_route_tables()
            .filters(filter("route-table-id", [p.route_table_id.clone()]))
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        Ok(out
            .route_tables
            .unwrap_or_default()
            .iter()
            .flat_map(|rt| rt.associations())
            .find(|a| a.subnet_id() == Some(p.subnet_id.as_str()))
            .and_then(|a| a.route_table_association_id())
            .map(|id| applied_id(id.to_string())))
    }
}
