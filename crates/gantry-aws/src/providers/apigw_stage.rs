//! `apigw_stage`: a stage of an HTTP API (Gantry writes `$default`, which
//! serves the API's root) with automatic deployment, access logs to a log
//! group, and default route throttling. The id is `API_ID/NAME`; outputs
//! add `name`. Tags go in the create call; a stage name is unique within
//! its API, so an interrupted create is adopted by reading the stage by
//! name. Everything but the API and the name changes in place
//! (UpdateStage).

use super::apigw::*;
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_apigatewayv2::types::{AccessLogSettings, RouteSettings};
use gantry_core::kinds::{self, ApigwStage};
use crate::shape::*;
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(p: &ApigwStage) -> Applied {
    let id = format!("{}/{}", p.api_id, p.name);
    Applied {
        outputs: outputs([("id", id.clone()), ("name", p.name.clone())]),
        id,
    }
}

fn logs(p: &ApigwStage) -> AccessLogSettings {
    AccessLogSettings::builder()
        .destination_arn(&p.access_log_destination_arn)
        .format(&p.access_log_format)
        .build()
}

fn throttling(p: &ApigwStage) -> RouteSettings {
    RouteSettings::builder()
        .throttling_rate_limit(p.throttling_rate_limit)
        .throttling_burst_limit(p.throttling_burst_limit)
        .build()
}

impl Provider {
    /// The stage as the canonical struct, `None` when it (or its API) is gone.
    async fn get(&self, api_id: &str, name: &str) -> Result<Option<ApigwStage>, ProviderError> {
        let got = self
            .ctx
            .apigw()
            .get_stage()
            .api_id(api_id)
            .stage_name(name)
            .send()
            .await
            .map_err(Self::err);
        Ok(found(got)?.map(|s| {
            let log = s.access_log_settings();
            let route = s.default_route_settings();
            ApigwStage {
                api_id: api_id.to_string(),
                name: s.stage_name().unwrap_or(name).to_string(),
                auto_deploy: s.auto_deploy().unwrap_or(false),
                access_log_destination_arn: log
                    .and_then(|l| l.destination_arn())
                    .unwrap_or_default()
                    .to_string(),
                access_log_format: log.and_then(|l| l.format()).unwrap_or_default().to_string(),
                throttling_rate_limit: route.and_then(|r| r.throttling_rate_limit()).unwrap_or(0.0),
                throttling_burst_limit: route.and_then(|r| r.throttling_burst_limit()).unwrap_or(0),
            }
        }))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = ApigwStage;
    const NOT_FOUND: &'static [&'static str] = super::apigw::NOT_FOUND;
    const LISTING: Listing = Listing::Inside(kinds::APIGW_API);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, ApigwStage>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        self.ctx
            .apigw()
            .create_stage()
            .api_id(&p.api_id)
            .stage_name(&p.name)
            .auto_deploy(p.auto_deploy)
            .access_log_settings(logs(p))
            .default_route_settings(throttling(p))
            .set_tags(Some(tag_map(req.tag_set(None))))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(applied(p))
    }

    async fn read(&self, items: &[Item<'_, ApigwStage>]) -> Result<Vec<Seen<ApigwStage>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let rec = needs_record::<ApigwStage>(rec)?;
            let Some(s) = self.get(&rec.api_id, &rec.name).await? else {
                return Ok(None);
            };
            let outputs = applied(&s).outputs;
            Ok(Some(Seen::new(id.clone(), s, outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, ApigwStage>) -> Result<Applied, ProviderError> {
        let p = &req.new;
        self.ctx
            .apigw()
            .update_stage()
            .api_id(&p.api_id)
            .stage_name(&p.name)
            .auto_deploy(p.auto_deploy)
            .access_log_settings(logs(p))
            .default_route_settings(throttling(p))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(applied(p))
    }

    async fn delete(&self, req: Delete<'_, ApigwStage>) -> Result<(), ProviderError> {
        let p = &needs_record::<ApigwStage>(req.recorded.clone())?;
        self
            .ctx
            .apigw()
            .delete_stage()
            .api_id(&p.api_id)
            .stage_name(&p.name)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, ApigwStage>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        Ok(self.get(&p.api_id, &p.name).await?.map(|s| applied(&s)))
    }
}
