//! `route_table_association`: puts a subnet on a route table. Not taggable;
//! found again by (route table, subnet), which is unique.

use super::ec2::*;
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use gantry_core::kinds::{self, RouteTableAssociation};
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["InvalidAssociationID.NotFound"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

#[async_trait]
impl AwsKind for Provider {
    type Props = RouteTableAssociation;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = Listing::Inside(kinds::ROUTE_TABLE);
    const READ_BATCH: Option<usize> = Some(200);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, RouteTableAssociation>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .ec2()
            .associate_route_table()
            .route_table_id(&p.route_table_id)
            .subnet_id(&p.subnet_id)
            .send()
            .await
            .map_err(Self::err)?;
        let id = out
            .association_id
            .ok_or_else(|| missing_id("AssociateRouteTable"))?;
        Ok(applied_id(id))
    }

    async fn read(&self, items: &[Item<'_, RouteTableAssociation>]) -> Result<Vec<Seen<RouteTableAssociation>>, ProviderError> {
        let ids = ids(items);
        let mut found = Vec::new();
        for chunk in chunks(&ids, 200) {
            let out = self
                .ctx
                .ec2()
                .describe_route_tables()
                .filters(filter("association.route-table-association-id", chunk.clone()))
                .send()
                .await
                .map_err(Self::err)?;
            for rt in out.route_tables.unwrap_or_default() {
                // A route table lists all its associations; keep the asked ones.
                for a in rt.associations() {
                    let (Some(id), Some(subnet)) = (a.route_table_association_id(), a.subnet_id())
                    else {
                        continue;
                    };
                    if !chunk.iter().any(|c| c == id) {
                        continue;
                    }
                    let props = RouteTableAssociation {
                        subnet_id: subnet.to_string(),
                        route_table_id: rt.route_table_id().unwrap_or_default().to_string(),
                    };
                    found.push(Seen::new(id.to_string(), props, applied_id(id.to_string()).outputs));
                }
            }
        }
        Ok(found)
    }

    async fn update(&self, req: Update<'_, RouteTableAssociation>) -> Result<Applied, ProviderError> {
        // Both fields force replacement: nothing can change in place.
        Ok(applied_id(req.id.to_string()))
    }

    async fn delete(&self, req: Delete<'_, RouteTableAssociation>) -> Result<(), ProviderError> {
        self
            .ctx
            .ec2()
            .disassociate_route_table()
            .association_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, RouteTableAssociation>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .ec2()
            .describe_route_tables()
            .filters(filter("route-table-id", [p.route_table_id.clone()]))
            .send()
            .await
            .map_err(Self::err)?;
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
