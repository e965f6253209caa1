//! `cloudwatch_dashboard`: a CloudWatch dashboard whose body the architect
//! writes (widgets as JSON; each widget names its region, so one dashboard
//! shows the stack's metrics and CloudFront's from us-east-1). The id is
//! the name. PutDashboard creates or replaces a dashboard by name, so a
//! create sent again makes no second one.
//!
//! Dashboards take no tags: the inventory lists those named
//! `STACK-ENV-NAME` (ListDashboards by that prefix; NAME one word, so
//! another stack whose name starts alike is not taken for this one), the
//! address being `cloudwatch_dashboard.NAME`, and adoption goes by the
//! name, unique in the account. Reads are one GetDashboard each (there is no batch form);
//! the body is compared as JSON, not as text.

use crate::context::AwsContext;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use gantry_core::kinds::{self, CloudwatchDashboard};
use gantry_core::*;

const NOT_FOUND: &[&str] = &["ResourceNotFound", "ResourceNotFoundException"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

impl Provider {
    async fn put(&self, p: &CloudwatchDashboard, warn: impl Fn(String)) -> Result<(), ProviderError> {
        let out = self
            .ctx
            .cloudwatch()
            .put_dashboard()
            .dashboard_name(&p.name)
            .dashboard_body(p.body.to_string())
            .send()
            .await
            .map_err(Self::err)?;
        // The dashboard was saved; these say what CloudWatch could not show.
        for m in out.dashboard_validation_messages() {
            warn(format!(
                "dashboard {}: {} ({})",
                p.name,
                m.message().unwrap_or_default(),
                m.data_path().unwrap_or_default()
            ));
        }
        Ok(())
    }

    async fn body(&self, name: &str) -> Result<Option<serde_json::Value>, ProviderError> {
        let out = found(
            self.ctx
                .cloudwatch()
                .get_dashboard()
                .dashboard_name(name)
                .send()
                .await
                .map_err(Self::err),
        )?;
        Ok(out.map(|o| {
            let text = o.dashboard_body().unwrap_or_default();
            serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
        }))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = CloudwatchDashboard;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = Listing::Own;

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, CloudwatchDashboard>) -> Result<Applied, ProviderError> {
        self.put(&req.props, |m| req.warn(m)).await?;
        Ok(applied_id(&req.props.name))
    }

    async fn read(
        &self,
        items: &[Item<'_, CloudwatchDashboard>],
    ) -> Result<Vec<Seen<CloudwatchDashboard>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |name, _| async move {
            let Some(body) = self.body(&name).await? else {
                return Ok(None);
            };
            let props = CloudwatchDashboard {
                name: name.clone(),
                body,
            };
            Ok(Some(Seen::new(name.clone(), props, applied_id(&name).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, CloudwatchDashboard>) -> Result<Applied, ProviderError> {
        self.put(&req.new, |m| req.warn(m)).await?;
        Ok(applied_id(req.id))
    }

    async fn delete(&self, req: Delete<'_, CloudwatchDashboard>) -> Result<(), ProviderError> {
        self.ctx
            .cloudwatch()
            .delete_dashboards()
            .dashboard_names(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, CloudwatchDashboard>) -> Result<Option<Applied>, ProviderError> {
        let name = &req.props.name;
        Ok(self.body(name).await?.map(|_| applied_id(name)))
    }

    async fn list(&self, tags: &StackTags) -> Result<Vec<Listed>, ProviderError> {
        let prefix = format!("{}-{}-", tags.stack, tags.env);
        let entries: Vec<_> = self
            .ctx
            .cloudwatch()
            .list_dashboards()
            .dashboard_name_prefix(&prefix)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(Self::err)?;
        Ok(entries
            .into_iter()
            .filter_map(|d| {
                let name = d.dashboard_name?;
                // Gantry's dashboard names are one word after the prefix:
                // `app-dev-x-main` is stack `app-dev`, environment `x`, not
                // stack `app`, environment `dev`.
                let short = name.strip_prefix(&prefix)?.to_string();
                if short.is_empty() || short.contains('-') {
                    return None;
                }
                Some(Listed {
                    kind: kinds::CLOUDWATCH_DASHBOARD.to_string(),
                    id: name,
                    address: Some(Address::of(kinds::CLOUDWATCH_DASHBOARD, &short)),
                })
            })
            .collect())
    }
}
