//! `lb`: an application load balancer and the attributes Gantry manages
//! (idle timeout, invalid-header dropping, desync mitigation). Its id is the
//! ARN; outputs add `dns_name`, `zone_id` and `arn_suffix` (for metrics).

use super::elb::*;
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    LoadBalancer, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerStateEnum,
    LoadBalancerTypeEnum,
};
use gantry_core::kinds::Lb;
use crate::shape::*;
use gantry_core::*;
use std::collections::HashMap;

const NOT_FOUND: &[&str] = &["LoadBalancerNotFound"];
const IDLE: &str = "idle_timeout.timeout_seconds";
const DROP: &str = "routing.http.drop_invalid_header_fields.enabled";
const DESYNC: &str = "routing.http.desync_mitigation_mode";

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(lb: &LoadBalancer) -> Applied {
    let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
    let suffix = arn
        .split_once(":loadbalancer/")
        .map(|(_, s)| s.to_string())
        .unwrap_or_default();
    Applied {
        outputs: outputs([
            ("id", arn.clone()),
            ("arn", arn.clone()),
            ("dns_name", lb.dns_name().unwrap_or_default().to_string()),
            (
                "zone_id",
                lb.canonical_hosted_zone_id()
                    .unwrap_or_default()
                    .to_string(),
            ),
            (
                "name",
                lb.load_balancer_name().unwrap_or_default().to_string(),
            ),
            ("arn_suffix", suffix),
        ]),
        id: arn,
    }
}

impl Provider {
    async fn describe(&self, arns: Vec<String>) -> Result<Vec<LoadBalancer>, ProviderError> {
        let out = self
            .ctx
            .elb()
            .describe_load_balancers()
            .set_load_balancer_arns(Some(arns))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out.load_balancers.unwrap_or_default())
    }

    async fn attributes(&self, arn: &str) -> Result<HashMap<String, String>, ProviderError> {
        let out = self
            .ctx
            .elb()
            .describe_load_balancer_attributes()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out
            .attributes()
            .iter()
            .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
            .collect())
    }

    async fn set_attributes(
        &self,
        arn: &str,
        attrs: Vec<(&str, String)>,
    ) -> Result<(), ProviderError> {
        if attrs.is_empty() {
            return Ok(());
        }
        self.ctx
            .elb()
            .modify_load_balancer_attributes()
            .load_balancer_arn(arn)
            .set_attributes(Some(
                attrs
                    .into_iter()
                    .map(|(k, v)| LoadBalancerAttribute::builder().key(k).value(v).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(())
    }

    async fn wait_active(&self, arn: &str) -> Result<LoadBalancer, ProviderError> {
        wait_for(
            &format!("load balancer {arn} to become active"),
            STATE_WAIT,
            || async {
                let lb = self
                    .describe(vec![arn.to_string()])
                    .await?
                    .into_iter()
                    .next();
                let Some(lb) = lb else { return Ok(None) };
                match lb.state().and_then(|s| s.code()) {
                    Some(LoadBalancerStateEnum::Active) => Ok(Some(lb)),
                    Some(LoadBalancerStateEnum::Failed) => Err(ProviderError::new(
                        "LoadBalancerFailed",
                        lb.state()
                            .and_then(|s| s.reason())
                            .unwrap_or("load balancer failed")
                            .to_string(),
                    )),
                    _ => Ok(None),
                }
            },
        )
        .await
    }
}

fn all_attributes(p: &Lb) -> Vec<(&'static str, String)> {
    vec![
        (IDLE, p.idle_timeout_seconds.to_string()),
        (DROP, p.drop_invalid_header_fields.to_string()),
        (DESYNC, p.desync_mitigation_mode.clone()),
    ]
}

#[async_trait]
impl AwsKind for Provider {
    type Props = Lb;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "elasticloadbalancing:loadbalancer", |a| arn::whole(a, "elasticloadbalancing", "loadbalancer/app/"));
    const READ_BATCH: Option<usize> = Some(20);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, Lb>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(Some(&p.name));
        let scheme = if p.internal {
            LoadBalancerSchemeEnum::Internal
        } else {
            LoadBalancerSchemeEnum::InternetFacing
        };
        let out = self
            .ctx
            .elb()
            .create_load_balancer()
            .name(&p.name)
            .r#type(LoadBalancerTypeEnum::Application)
            .scheme(scheme)
            .set_subnets(Some(p.subnet_ids.clone()))
            .set_security_groups(Some(p.security_group_ids.clone()))
            .set_tags(Some(elb_tags(&tags)))
            .send()
            .await
            .map_err(Self::err)?;
        let arn = out
            .load_balancers()
            .first()
            .and_then(|l| l.load_balancer_arn())
            .ok_or_else(|| ProviderError::new("MissingId", "CreateLoadBalancer returned no ARN"))?
            .to_string();
        self.set_attributes(&arn, all_attributes(p)).await?;
        let lb = self.wait_active(&arn).await?;
        Ok(applied(&lb))
    }

    async fn read(&self, items: &[Item<'_, Lb>]) -> Result<Vec<Seen<Lb>>, ProviderError> {
        let mut lbs = Vec::new();
        for chunk in chunks(&ids(items), 20) {
            lbs.extend(batch_or_each(&chunk, |ids| self.describe(ids)).await?);
        }
        // Attributes have no batch form: one call per load balancer.
        let seen = bounded(&self.ctx, "elbv2", lbs, |lb| async move {
            let arn = required(lb.load_balancer_arn.clone(), "DescribeLoadBalancers", "LoadBalancerArn")?;
            let attrs = match self.attributes(&arn).await {
                Err(e) if e.is_not_found() => return Ok(None),
                other => other?,
            };
            let rec = recorded_of(items, &arn);
            let subnets = lb
                .availability_zones()
                .iter()
                .filter_map(|z| z.subnet_id.clone())
                .collect();
            let sgs = lb.security_groups().to_vec();
            let mut unread = Vec::new();
            let props = Lb {
                name: lb.load_balancer_name().unwrap_or_default().to_string(),
                internal: lb.scheme() == Some(&LoadBalancerSchemeEnum::Internal),
                subnet_ids: order_like(subnets, rec.map(|p| &p.subnet_ids[..]).unwrap_or_default()),
                security_group_ids: order_like(
                    sgs,
                    rec.map(|p| &p.security_group_ids[..]).unwrap_or_default(),
                ),
                idle_timeout_seconds: attr_i32(&attrs, IDLE).unwrap_or_else(|| {
                    unread.push("idle_timeout_seconds");
                    0
                }),
                drop_invalid_header_fields: attr_bool(&attrs, DROP).unwrap_or_else(|| {
                    unread.push("drop_invalid_header_fields");
                    false
                }),
                desync_mitigation_mode: attrs.get(DESYNC).cloned().unwrap_or_else(|| {
                    unread.push("desync_mitigation_mode");
                    String::new()
                }),
            };
            Ok(Some(Seen {
                id: arn,
                props,
                unread,
                outputs: applied(&lb).outputs,
            }))
        })
        .await?;
        Ok(seen.into_iter().flatten().collect())
    }

    async fn update(&self, req: Update<'_, Lb>) -> Result<Applied, ProviderError> {
        let old = &req.old;
        let new = &req.new;
        let elb = self.ctx.elb();
        if order_like(old.subnet_ids.clone(), &[]) != order_like(new.subnet_ids.clone(), &[]) {
            elb.set_subnets()
                .load_balancer_arn(req.id)
                .set_subnets(Some(new.subnet_ids.clone()))
                .send()
                .await
                .map_err(Self::err)?;
        }
        if order_like(old.security_group_ids.clone(), &[])
            != order_like(new.security_group_ids.clone(), &[])
        {
            elb.set_security_groups()
                .load_balancer_arn(req.id)
                .set_security_groups(Some(new.security_group_ids.clone()))
                .send()
                .await
                .map_err(Self::err)?;
        }
        let changed: Vec<_> = all_attributes(new)
            .into_iter()
            .zip(all_attributes(old))
            .filter(|(n, o)| n != o)
            .map(|(n, _)| n)
            .collect();
        self.set_attributes(req.id, changed).await?;
        let lb = self
            .describe(vec![req.id.to_string()])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ProviderError::not_found(format!("load balancer {} is gone", req.id)))?;
        Ok(applied(&lb))
    }

    async fn delete(&self, req: Delete<'_, Lb>) -> Result<(), ProviderError> {
        let r = self
            .ctx
            .elb()
            .delete_load_balancer()
            .load_balancer_arn(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err);
        ignore_not_found(r)?;
        wait_for(
            &format!("load balancer {} to be deleted", req.id),
            STATE_WAIT,
            || async {
                match self.describe(vec![req.id.to_string()]).await {
                    Err(e) if e.is_not_found() => Ok(Some(())),
                    Err(e) => Err(e),
                    Ok(v) => Ok(v.is_empty().then_some(())),
                }
            },
        )
        .await
    }

    async fn find(&self, req: Find<'_, Lb>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .elb()
            .describe_load_balancers()
            .names(&p.name)
            .send()
            .await
            .map_err(Self::err);
        let lbs = match out {
            Err(e) if e.is_not_found() => return Ok(None),
            other => other?.load_balancers.unwrap_or_default(),
        };
        let arns: Vec<String> = lbs
            .iter()
            .filter_map(|l| l.load_balancer_arn.clone())
            .collect();
        let Some(arn) = first_tagged(&self.ctx, &arns, req.tags, req.address).await? else {
            return Ok(None);
        };
        let lb = self.wait_active(&arn).await?;
        Ok(Some(applied(&lb)))
    }
}
