//! `vpc_flow_log`: the VPC's flow log, delivered to a CloudWatch Logs group
//! through a role. Its id is the flow log id (`fl-...`); outputs are `id`.
//!
//! `CreateFlowLogs` takes the journal's idempotency token and the tags, and
//! answers 200 with an `Unsuccessful` list for a flow log it could not
//! create: that is a failure. While a new role is not yet visible to the
//! service, AWS refuses with "Unable to assume given IAM role"; that is
//! retried for two minutes, as IAM propagation takes. Flow logs cannot be
//! modified: every field but the name forces replacement.

use super::ec2::*;
use crate::context::AwsContext;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    FlowLog, FlowLogsResourceType, LogDestinationType, ResourceType, TrafficType,
    UnsuccessfulItem,
};
use gantry_core::kinds::VpcFlowLog;
use gantry_core::*;
use std::time::{Duration, Instant};

/// How long a new role may stay unknown to the flow logs service.
const ROLE_WAIT: Duration = Duration::from_secs(120);

pub(crate) struct Provider {
    ctx: AwsContext,
}

/// The first failure of a call that answers 200 with an `Unsuccessful` list.
fn unsuccessful(op: &str, items: &[UnsuccessfulItem]) -> Option<ProviderError> {
    let e = items.first()?.error()?;
    Some(ProviderError::new(
        e.code().unwrap_or("Unsuccessful"),
        format!("{op}: {}", e.message().unwrap_or_default()),
    ))
}

fn props_of(f: &FlowLog) -> VpcFlowLog {
    VpcFlowLog {
        name: name_of(f.tags.as_deref()),
        vpc_id: f.resource_id().unwrap_or_default().to_string(),
        traffic_type: f
            .traffic_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        log_group_name: f.log_group_name().unwrap_or_default().to_string(),
        deliver_logs_permission_arn: f
            .deliver_logs_permission_arn()
            .unwrap_or_default()
            .to_string(),
        max_aggregation_interval: f.max_aggregation_interval().unwrap_or(600),
    }
}

impl Provider {
    async fn describe(&self, filters: Vec<aws_sdk_ec2::types::Filter>) -> Result<Vec<FlowLog>, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_flow_logs()
            .set_filter(Some(filters))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out.flow_logs.unwrap_or_default())
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = VpcFlowLog;
    const NOT_FOUND: &'static [&'static str] = &["InvalidFlowLogId.NotFound"];
    const LISTING: Listing = tagged(Region::Stack, "ec2:vpc-flow-log", |a| arn::after(a, "ec2", "vpc-flow-log/"));
    const READ_BATCH: Option<usize> = Some(200);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, VpcFlowLog>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(Some(&p.name));
        let start = Instant::now();
        loop {
            let out = self
                .ctx
                .ec2()
                .create_flow_logs()
                .resource_ids(&p.vpc_id)
                .resource_type(FlowLogsResourceType::Vpc)
                .traffic_type(TrafficType::from(p.traffic_type.as_str()))
                .log_destination_type(LogDestinationType::CloudWatchLogs)
                .log_group_name(&p.log_group_name)
                .deliver_logs_permission_arn(&p.deliver_logs_permission_arn)
                .max_aggregation_interval(p.max_aggregation_interval)
                .client_token(client_token(req.token))
                .tag_specifications(tag_spec(ResourceType::VpcFlowLog, &tags))
                .send()
                .await
                .map_err(Self::err);
            let out = match out {
                Err(e)
                    if e.message.contains("Unable to assume given IAM role")
                        && start.elapsed() < ROLE_WAIT =>
                {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
                other => other?,
            };
            if let Some(e) = unsuccessful("CreateFlowLogs", out.unsuccessful()) {
                return Err(e);
            }
            let id = required(
                out.flow_log_ids().first().cloned(),
                "CreateFlowLogs",
                "FlowLogIds",
            )?;
            return Ok(applied_id(id));
        }
    }

    async fn read(&self, items: &[Item<'_, VpcFlowLog>]) -> Result<Vec<Seen<VpcFlowLog>>, ProviderError> {
        let mut out = Vec::new();
        for chunk in chunks(&ids(items), 200) {
            for f in self.describe(vec![filter("flow-log-id", chunk)]).await? {
                let id = required(f.flow_log_id.clone(), "DescribeFlowLogs", "FlowLogId")?;
                out.push(Seen::new(id.clone(), props_of(&f), applied_id(id).outputs));
            }
        }
        Ok(out)
    }

    /// Only the name can change (every other field forces replacement).
    async fn update(&self, req: Update<'_, VpcFlowLog>) -> Result<Applied, ProviderError> {
        put_tags(&self.ctx, req.id, &req.tag_set(Some(&req.new.name))).await?;
        Ok(applied_id(req.id.to_string()))
    }

    async fn delete(&self, req: Delete<'_, VpcFlowLog>) -> Result<(), ProviderError> {
        let out = self
            .ctx
            .ec2()
            .delete_flow_logs()
            .flow_log_ids(req.id)
            .send()
            .await
            .map_err(Self::err)?;
        match unsuccessful("DeleteFlowLogs", out.unsuccessful()) {
            Some(e) if Self::NOT_FOUND.contains(&e.code.as_deref().unwrap_or_default()) => Ok(()),
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    async fn find(&self, req: Find<'_, VpcFlowLog>) -> Result<Option<Applied>, ProviderError> {
        Ok(self
            .describe(stack_filters(req.tags, req.address))
            .await?
            .into_iter()
            .find(|f| ec2_tags_match(f.tags.as_deref(), req.tags, req.address))
            .and_then(|f| f.flow_log_id)
            .map(applied_id))
    }
}
