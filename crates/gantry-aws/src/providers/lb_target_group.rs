//! `lb_target_group`: a target group (IP targets for Fargate) with its health
//! check and deregistration delay. Its id is the ARN.

use super::elb::*;
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, TargetGroup, TargetGroupAttribute, TargetTypeEnum,
};
use gantry_core::kinds::{HealthCheck, LbTargetGroup};
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["TargetGroupNotFound"];
const DEREG: &str = "deregistration_delay.timeout_seconds";

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(arn: &str, name: &str) -> Applied {
    let suffix = arn
        .split_once(":targetgroup/")
        .map(|(_, s)| format!("targetgroup/{s}"))
        .unwrap_or_default();
    Applied {
        id: arn.to_string(),
        outputs: outputs([
            ("id", arn.to_string()),
            ("arn", arn.to_string()),
            ("name", name.to_string()),
            ("arn_suffix", suffix),
        ]),
    }
}

impl Provider {
    async fn describe(&self, arns: Vec<String>) -> Result<Vec<TargetGroup>, ProviderError> {
        let out = self
            .ctx
            .elb()
            .describe_target_groups()
            .set_target_group_arns(Some(arns))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out.target_groups.unwrap_or_default())
    }

    async fn set_dereg(&self, arn: &str, secs: i32) -> Result<(), ProviderError> {
        self.ctx
            .elb()
            .modify_target_group_attributes()
            .target_group_arn(arn)
            .attributes(
                TargetGroupAttribute::builder()
                    .key(DEREG)
                    .value(secs.to_string())
                    .build(),
            )
            .send()
            .await
            .map_err(Self::err)?;
        Ok(())
    }

    async fn dereg(&self, arn: &str) -> Result<Option<i32>, ProviderError> {
        let out = self
            .ctx
            .elb()
            .describe_target_group_attributes()
            .target_group_arn(arn)
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out
            .attributes()
            .iter()
            .find(|a| a.key() == Some(DEREG))
            .and_then(|a| a.value()?.parse().ok()))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = LbTargetGroup;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "elasticloadbalancing:targetgroup", |a| arn::whole(a, "elasticloadbalancing", "targetgroup/"));
    const READ_BATCH: Option<usize> = Some(20);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, LbTargetGroup>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(Some(&p.name));
        let hc = &p.health_check;
        let out = self
            .ctx
            .elb()
            .create_target_group()
            .name(&p.name)
            .port(p.port)
            .protocol(ProtocolEnum::from(p.protocol.as_str()))
            .target_type(TargetTypeEnum::from(p.target_type.as_str()))
            .vpc_id(&p.vpc_id)
            .health_check_enabled(true)
            .health_check_path(&hc.path)
            .health_check_interval_seconds(hc.interval_seconds)
            .health_check_timeout_seconds(hc.timeout_seconds)
            .healthy_threshold_count(hc.healthy_threshold)
            .unhealthy_threshold_count(hc.unhealthy_threshold)
            .matcher(Matcher::builder().http_code(&hc.matcher).build())
            .set_tags(Some(elb_tags(&tags)))
            .send()
            .await
            .map_err(Self::err)?;
        let arn = out
            .target_groups()
            .first()
            .and_then(|t| t.target_group_arn())
            .ok_or_else(|| ProviderError::new("MissingId", "CreateTargetGroup returned no ARN"))?
            .to_string();
        self.set_dereg(&arn, p.deregistration_delay_seconds).await?;
        Ok(applied(&arn, &p.name))
    }

    async fn read(
        &self,
        items: &[Item<'_, LbTargetGroup>],
    ) -> Result<Vec<Seen<LbTargetGroup>>, ProviderError> {
        let mut tgs = Vec::new();
        for chunk in chunks(&ids(items), 20) {
            tgs.extend(batch_or_each(&chunk, |ids| self.describe(ids)).await?);
        }
        // Attributes have no batch form: one call per target group.
        let seen = bounded(&self.ctx, "elbv2", tgs, |tg| async move {
            let arn = required(tg.target_group_arn.clone(), "DescribeTargetGroups", "TargetGroupArn")?;
            let dereg = match self.dereg(&arn).await {
                Err(e) if e.is_not_found() => return Ok(None),
                other => other?,
            };
            let name = tg.target_group_name().unwrap_or_default().to_string();
            let props = LbTargetGroup {
                name: name.clone(),
                port: tg.port().unwrap_or_default(),
                protocol: tg
                    .protocol()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
                target_type: tg
                    .target_type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                vpc_id: tg.vpc_id().unwrap_or_default().to_string(),
                health_check: HealthCheck {
                    path: tg.health_check_path().unwrap_or_default().to_string(),
                    matcher: tg
                        .matcher()
                        .and_then(|m| m.http_code())
                        .unwrap_or_default()
                        .to_string(),
                    interval_seconds: tg.health_check_interval_seconds().unwrap_or_default(),
                    timeout_seconds: tg.health_check_timeout_seconds().unwrap_or_default(),
                    healthy_threshold: tg.healthy_threshold_count().unwrap_or_default(),
                    unhealthy_threshold: tg.unhealthy_threshold_count().unwrap_or_default(),
                },
                deregistration_delay_seconds: dereg.unwrap_or_default(),
            };
            let outputs = applied(&arn, &name).outputs;
            let seen = Seen::new(arn, props, outputs);
            Ok(Some(if dereg.is_none() {
                seen.without("deregistration_delay_seconds")
            } else {
                seen
            }))
        })
        .await?;
        Ok(seen.into_iter().flatten().collect())
    }

    async fn update(&self, req: Update<'_, LbTargetGroup>) -> Result<Applied, ProviderError> {
        let old = &req.old;
        let new = &req.new;
        if old.health_check != new.health_check {
            let hc = &new.health_check;
            self.ctx
                .elb()
                .modify_target_group()
                .target_group_arn(req.id)
                .health_check_path(&hc.path)
                .health_check_interval_seconds(hc.interval_seconds)
                .health_check_timeout_seconds(hc.timeout_seconds)
                .healthy_threshold_count(hc.healthy_threshold)
                .unhealthy_threshold_count(hc.unhealthy_threshold)
                .matcher(Matcher::builder().http_code(&hc.matcher).build())
                .send()
                .await
                .map_err(Self::err)?;
        }
        if old.deregistration_delay_seconds != new.deregistration_delay_seconds {
            self.set_dereg(req.id, new.deregistration_delay_seconds)
                .await?;
        }
        Ok(applied(req.id, &new.name))
    }

    async fn delete(&self, req: Delete<'_, LbTargetGroup>) -> Result<(), ProviderError> {
        // A just-deleted listener or rule may still hold it for a moment.
        retry_codes(&["ResourceInUse"], DEPENDENCY_WAIT, || async {
            self.ctx
                .elb()
                .delete_target_group()
                .target_group_arn(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await
    }

    async fn find(&self, req: Find<'_, LbTargetGroup>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .elb()
            .describe_target_groups()
            .names(&p.name)
            .send()
            .await
            .map_err(Self::err);
        let tgs = match out {
            Err(e) if e.is_not_found() => return Ok(None),
            other => other?.target_groups.unwrap_or_default(),
        };
        let arns: Vec<String> = tgs
            .iter()
            .filter_map(|t| t.target_group_arn.clone())
            .collect();
        Ok(first_tagged(&self.ctx, &arns, req.tags, req.address)
            .await?
            .map(|arn| applied(&arn, &p.name)))
    }
}
