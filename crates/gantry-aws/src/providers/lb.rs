//! `lb`: an application load balancer and the attributes Gantry manages
//! (idle timeout, invalid-header dropping, desync mitigation). Its id is the
//! ARN; outputs add `dns_name`, `zone_id` and `arn_suffix` (for metrics).

use super::elb::*;
use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    LoadBalancer, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerStateEnum,
    LoadBalancerTypeEnum,
};
use futures::future::try_join_all;
use gantry_core::kinds::{self, Lb};
use gantry_core::*;
use std::collections::HashMap;

const NOT_FOUND: &[&str] = &["LoadBalancerNotFound"];
const IDLE: &str = "idle_timeout.timeout_seconds";
const DROP: &str = "routing.http.drop_invalid_header_fields.enabled";
const DESYNC: &str = "routing.http.desync_mitigation_mode";

pub struct LbProvider {
    pub(crate) ctx: AwsContext,
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

impl LbProvider {
    async fn describe(&self, arns: Vec<String>) -> Result<Vec<LoadBalancer>, ProviderError> {
        let out = self
            .ctx
            .elb()
            .describe_load_balancers()
            .set_load_balancer_arns(Some(arns))
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND))?;
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
            .map_err(|e| aws_error(e, NOT_FOUND))?;
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
            .map_err(|e| aws_error(e, NOT_FOUND))?;
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
impl Provider for LbProvider {
    fn kind(&self) -> &'static str {
        kinds::LB
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: Lb = parse(kinds::LB, req.props)?;
        let tags = tag_set(req.tags, req.address, Some(&p.name));
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
            .map_err(|e| aws_error(e, &[]))?;
        let arn = out
            .load_balancers()
            .first()
            .and_then(|l| l.load_balancer_arn())
            .ok_or_else(|| ProviderError::new("MissingId", "CreateLoadBalancer returned no ARN"))?
            .to_string();
        self.set_attributes(&arn, all_attributes(&p)).await?;
        let lb = self.wait_active(&arn).await?;
        Ok(applied(&lb))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        let ids: Vec<String> = reqs.iter().map(|r| r.id.to_string()).collect();
        let mut found = HashMap::new();
        for chunk in chunks(&ids, 20) {
            for lb in batch_or_each(&chunk, |ids| self.describe(ids)).await? {
                if let Some(arn) = lb.load_balancer_arn.clone() {
                    found.insert(arn, lb);
                }
            }
        }
        // Attributes have no batch form: fetch them all concurrently first.
        let fetched = try_join_all(reqs.iter().map(|r| async {
            if !found.contains_key(r.id) {
                return Ok(None);
            }
            match self.attributes(r.id).await {
                Err(e) if e.not_found => Ok(None),
                other => other.map(Some),
            }
        }))
        .await?;
        let mut out = Vec::with_capacity(reqs.len());
        for (r, fetched) in reqs.iter().zip(fetched) {
            let Some(lb) = found.get(r.id) else {
                out.push(None);
                continue;
            };
            let Some(attrs) = fetched else {
                out.push(None);
                continue;
            };
            let rec: Option<Lb> = recorded(r.props);
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
                subnet_ids: order_like(
                    subnets,
                    rec.as_ref().map(|p| &p.subnet_ids[..]).unwrap_or_default(),
                ),
                security_group_ids: order_like(
                    sgs,
                    rec.as_ref()
                        .map(|p| &p.security_group_ids[..])
                        .unwrap_or_default(),
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
            out.push(Some(Observed {
                props: to_props_without(&props, &unread),
                outputs: applied(lb).outputs,
            }));
        }
        Ok(out)
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let old: Lb = parse(kinds::LB, req.old)?;
        let new: Lb = parse(kinds::LB, req.new)?;
        let elb = self.ctx.elb();
        if order_like(old.subnet_ids.clone(), &[]) != order_like(new.subnet_ids.clone(), &[]) {
            elb.set_subnets()
                .load_balancer_arn(req.id)
                .set_subnets(Some(new.subnet_ids.clone()))
                .send()
                .await
                .map_err(|e| aws_error(e, NOT_FOUND))?;
        }
        if order_like(old.security_group_ids.clone(), &[])
            != order_like(new.security_group_ids.clone(), &[])
        {
            elb.set_security_groups()
                .load_balancer_arn(req.id)
                .set_security_groups(Some(new.security_group_ids.clone()))
                .send()
                .await
                .map_err(|e| aws_error(e, NOT_FOUND))?;
        }
        let changed: Vec<_> = all_attributes(&new)
            .into_iter()
            .zip(all_attributes(&old))
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

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let r = self
            .ctx
            .elb()
            .delete_load_balancer()
            .load_balancer_arn(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(e, NOT_FOUND));
        ignore_not_found(r)?;
        wait_for(
            &format!("load balancer {} to be deleted", req.id),
            STATE_WAIT,
            || async {
                match self.describe(vec![req.id.to_string()]).await {
                    Err(e) if e.not_found => Ok(Some(())),
                    Err(e) => Err(e),
                    Ok(v) => Ok(v.is_empty().then_some(())),
                }
            },
        )
        .await
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let p: Lb = parse(kinds::LB, req.props)?;
        let out = self
            .ctx
            .elb()
            .describe_load_balancers()
            .names(&p.name)
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND));
        let lbs = match out {
            Err(e) if e.not_found => return Ok(None),
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
