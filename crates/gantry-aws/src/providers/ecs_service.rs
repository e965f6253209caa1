//! `ecs_service`: a Fargate service in private subnets behind target groups.
//! Its id is the service ARN. Create does not wait for the service to become
//! stable (deploys report rollout state separately, and the emulator never
//! stabilises); delete scales to zero, force-deletes and waits until the
//! service is INACTIVE so the cluster can go next.

use super::ecs_cluster::{ecs_tags, ecs_tags_match};
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, DeploymentCircuitBreaker,
    DeploymentConfiguration, LoadBalancer, NetworkConfiguration, PropagateTags, Service,
    ServiceField, ServiceRegistry,
};
use gantry_core::kinds::{EcsService, ServiceLoadBalancer};
use crate::shape::*;
use gantry_core::*;
use std::collections::BTreeMap;

const NOT_FOUND: &[&str] = &[
    "ServiceNotFoundException",
    "ServiceNotActiveException",
    "ClusterNotFoundException",
];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn build_err(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new("InvalidProperties", format!("ecs_service: {e}"))
}

fn network(p: &EcsService) -> Result<NetworkConfiguration, ProviderError> {
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(p.subnet_ids.clone()))
        // The emulator fails without security groups; Gantry always has one.
        .set_security_groups(Some(p.security_group_ids.clone()))
        .assign_public_ip(if p.assign_public_ip {
            AssignPublicIp::Enabled
        } else {
            AssignPublicIp::Disabled
        })
        .build()
        .map_err(build_err)?;
    Ok(NetworkConfiguration::builder()
        .awsvpc_configuration(vpc)
        .build())
}

fn load_balancers(p: &EcsService) -> Vec<LoadBalancer> {
    p.load_balancers
        .iter()
        .map(|l| {
            LoadBalancer::builder()
                .target_group_arn(&l.target_group_arn)
                .container_name(&l.container_name)
                .container_port(l.container_port)
                .build()
        })
        .collect()
}

/// Cloud Map registries by ARN; awsvpc tasks register A records of their
/// own IPs, so no port or container is named.
fn registries(p: &EcsService) -> Vec<ServiceRegistry> {
    p.service_registries
        .iter()
        .map(|arn| ServiceRegistry::builder().registry_arn(arn).build())
        .collect()
}

fn deployment(p: &EcsService) -> DeploymentConfiguration {
    DeploymentConfiguration::builder()
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(p.circuit_breaker_enable)
                .rollback(p.circuit_breaker_rollback)
                .build(),
        )
        .minimum_healthy_percent(p.minimum_healthy_percent)
        .maximum_percent(p.maximum_percent)
        .build()
}

fn strategy(p: &EcsService) -> Result<CapacityProviderStrategyItem, ProviderError> {
    CapacityProviderStrategyItem::builder()
        .capacity_provider(&p.capacity_provider)
        .weight(1)
        .build()
        .map_err(build_err)
}

fn applied(s: &Service) -> Applied {
    let arn = s.service_arn().unwrap_or_default().to_string();
    Applied {
        outputs: outputs([
            ("id", arn.clone()),
            ("arn", arn.clone()),
            ("name", s.service_name().unwrap_or_default().to_string()),
            (
                "cluster_arn",
                s.cluster_arn().unwrap_or_default().to_string(),
            ),
        ]),
        id: arn,
    }
}

fn active(s: &Service) -> bool {
    s.status() == Some("ACTIVE")
}

/// The cluster a service ARN belongs to (new-format ARNs:
/// `...:service/CLUSTER/NAME`), for reads without a recorded cluster.
fn cluster_of(arn: &str) -> Option<String> {
    let rest = arn.split_once(":service/")?.1;
    rest.split_once('/').map(|(c, _)| c.to_string())
}

/// Canonical props of a service; fields the API (or the emulator) does not
/// report are left out so the engine keeps their recorded value.
fn props_of(s: &Service, rec: Option<&EcsService>) -> (EcsService, Vec<&'static str>) {
    let mut unread: Vec<&'static str> = Vec::new();
    let vpc = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    let rec_lbs = rec.map(|r| r.load_balancers.clone()).unwrap_or_default();
    let mut lbs: Vec<ServiceLoadBalancer> = s
        .load_balancers()
        .iter()
        .map(|l| ServiceLoadBalancer {
            target_group_arn: l.target_group_arn().unwrap_or_default().to_string(),
            container_name: l.container_name().unwrap_or_default().to_string(),
            container_port: l.container_port().unwrap_or_default(),
        })
        .collect();
    let mut sorted_rec = rec_lbs.clone();
    lbs.sort();
    sorted_rec.sort();
    if lbs == sorted_rec {
        lbs = rec_lbs;
    }
    let dc = s.deployment_configuration();
    let cb = dc.and_then(|d| d.deployment_circuit_breaker());
    if cb.is_none() {
        unread.extend(["circuit_breaker_enable", "circuit_breaker_rollback"]);
    }
    let min = dc.and_then(|d| d.minimum_healthy_percent());
    let max = dc.and_then(|d| d.maximum_percent());
    if min.is_none() {
        unread.push("minimum_healthy_percent");
    }
    if max.is_none() {
        unread.push("maximum_percent");
    }
    // AWS only keeps a grace period for services with load balancers.
    let grace = s
        .health_check_grace_period_seconds()
        .filter(|_| !lbs.is_empty());
    if grace.is_none() {
        unread.push("health_check_grace_period_seconds");
    }
    let cp = s
        .capacity_provider_strategy()
        .first()
        .map(|c| c.capacity_provider().to_string());
    if cp.is_none() {
        unread.push("capacity_provider");
    }
    let p = EcsService {
        name: s.service_name().unwrap_or_default().to_string(),
        cluster_arn: s.cluster_arn().unwrap_or_default().to_string(),
        task_definition_arn: s.task_definition().unwrap_or_default().to_string(),
        desired_count: s.desired_count(),
        subnet_ids: order_like(
            vpc.map(|v| v.subnets().to_vec()).unwrap_or_default(),
            rec.map(|r| &r.subnet_ids[..]).unwrap_or_default(),
        ),
        security_group_ids: order_like(
            vpc.map(|v| v.security_groups().to_vec())
                .unwrap_or_default(),
            rec.map(|r| &r.security_group_ids[..]).unwrap_or_default(),
        ),
        assign_public_ip: vpc.and_then(|v| v.assign_public_ip()) == Some(&AssignPublicIp::Enabled),
        load_balancers: lbs,
        circuit_breaker_enable: cb.map(|c| c.enable()).unwrap_or_default(),
        circuit_breaker_rollback: cb.map(|c| c.rollback()).unwrap_or_default(),
        minimum_healthy_percent: min.unwrap_or_default(),
        maximum_percent: max.unwrap_or_default(),
        health_check_grace_period_seconds: grace.unwrap_or_default(),
        capacity_provider: cp.unwrap_or_default(),
        enable_execute_command: s.enable_execute_command(),
        service_registries: order_like(
            s.service_registries()
                .iter()
                .filter_map(|r| r.registry_arn().map(str::to_string))
                .collect(),
            rec.map(|r| &r.service_registries[..]).unwrap_or_default(),
        ),
    };
    (p, unread)
}

impl Provider {
    async fn describe(
        &self,
        cluster: &str,
        services: Vec<String>,
        tags: bool,
    ) -> Result<Vec<Service>, ProviderError> {
        let mut q = self
            .ctx
            .ecs()
            .describe_services()
            .cluster(cluster)
            .set_services(Some(services));
        if tags {
            q = q.include(ServiceField::Tags);
        }
        let out = q.send().await.map_err(Self::err)?;
        Ok(out.services.unwrap_or_default())
    }

    async fn describe_one(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<Service>, ProviderError> {
        match self
            .describe(cluster, vec![service.to_string()], false)
            .await
        {
            Err(e) if e.is_not_found() => Ok(None),
            other => Ok(other?.into_iter().next()),
        }
    }
}


#[async_trait]
impl AwsKind for Provider {
    type Props = EcsService;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "ecs:service", |a| arn::whole(a, "ecs", "service/"));
    const READ_BATCH: Option<usize> = Some(10);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, EcsService>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(Some(&p.name));
        let lbs = load_balancers(p);
        let grace = (!lbs.is_empty()).then_some(p.health_check_grace_period_seconds);
        let create = || async {
            self.ctx
                .ecs()
                .create_service()
                .cluster(&p.cluster_arn)
                .service_name(&p.name)
                .task_definition(&p.task_definition_arn)
                .desired_count(p.desired_count)
                .capacity_provider_strategy(strategy(p)?)
                .network_configuration(network(p)?)
                .set_load_balancers((!lbs.is_empty()).then(|| lbs.clone()))
                .set_service_registries(
                    (!p.service_registries.is_empty()).then(|| registries(p)),
                )
                .deployment_configuration(deployment(p))
                .set_health_check_grace_period_seconds(grace)
                .enable_execute_command(p.enable_execute_command)
                .client_token(client_token(req.token))
                .propagate_tags(PropagateTags::Service)
                .enable_ecs_managed_tags(true)
                .set_tags(Some(ecs_tags(&tags)))
                .send()
                .await
                .map_err(Self::err)
        };
        // A target group only counts as attached once its listener or rule
        // exists, which may be created in parallel with the service; ECS says
        // so with a generic InvalidParameterException.
        let start = std::time::Instant::now();
        let out = loop {
            match create().await {
                Err(e)
                    if e.message
                        .contains("does not have an associated load balancer")
                        && start.elapsed() < DEPENDENCY_WAIT =>
                {
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                }
                other => break other?,
            }
        };
        let s = out
            .service
            .ok_or_else(|| ProviderError::new("MissingId", "CreateService returned no service"))?;
        Ok(applied(&s))
    }

    async fn read(
        &self,
        items: &[Item<'_, EcsService>],
    ) -> Result<Vec<Seen<EcsService>>, ProviderError> {
        let mut by_cluster: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in items {
            let cluster = r
                .recorded
                .as_ref()
                .map(|p| p.cluster_arn.clone())
                .or_else(|| cluster_of(r.id))
                .unwrap_or_default();
            by_cluster.entry(cluster).or_default().push(r.id.to_string());
        }
        let mut out = Vec::new();
        for (cluster, ids) in by_cluster {
            // DescribeServices takes ten services a call; missing ones come
            // back as failures, a missing cluster as an error.
            for chunk in chunks(&ids, 10) {
                let services = match self.describe(&cluster, chunk, false).await {
                    Err(e) if e.is_not_found() => continue,
                    other => other?,
                };
                for s in services.into_iter().filter(active) {
                    let arn = required(s.service_arn.clone(), "DescribeServices", "serviceArn")?;
                    // Asked by ARN (either format) or by name; answered under
                    // the id it was asked for.
                    let name = s.service_name().unwrap_or_default();
                    let Some(item) = items
                        .iter()
                        .find(|i| i.id == arn || i.id.rsplit('/').next() == Some(name))
                    else {
                        continue;
                    };
                    let (props, unread) = props_of(&s, item.recorded.as_ref());
                    out.push(Seen {
                        id: item.id.to_string(),
                        props,
                        unread,
                        outputs: applied(&s).outputs,
                    });
                }
            }
        }
        Ok(out)
    }

    async fn update(&self, req: Update<'_, EcsService>) -> Result<Applied, ProviderError> {
        let old = &req.old;
        let new = &req.new;
        let mut q = self
            .ctx
            .ecs()
            .update_service()
            .cluster(&new.cluster_arn)
            .service(req.id);
        if old.desired_count != new.desired_count {
            q = q.desired_count(new.desired_count);
        }
        if old.task_definition_arn != new.task_definition_arn {
            q = q.task_definition(&new.task_definition_arn);
        }
        if order_like(old.subnet_ids.clone(), &[]) != order_like(new.subnet_ids.clone(), &[])
            || order_like(old.security_group_ids.clone(), &[])
                != order_like(new.security_group_ids.clone(), &[])
            || old.assign_public_ip != new.assign_public_ip
        {
            q = q.network_configuration(network(new)?);
        }
        if old.load_balancers != new.load_balancers {
            q = q.set_load_balancers(Some(load_balancers(new)));
        }
        // UpdateService takes registries since late 2023; an empty list
        // removes them. The change rolls the tasks (ECS registers new ones).
        if order_like(old.service_registries.clone(), &[])
            != order_like(new.service_registries.clone(), &[])
        {
            q = q.set_service_registries(Some(registries(new)));
        }
        if (
            old.circuit_breaker_enable,
            old.circuit_breaker_rollback,
            old.minimum_healthy_percent,
            old.maximum_percent,
        ) != (
            new.circuit_breaker_enable,
            new.circuit_breaker_rollback,
            new.minimum_healthy_percent,
            new.maximum_percent,
        ) {
            q = q.deployment_configuration(deployment(new));
        }
        if old.health_check_grace_period_seconds != new.health_check_grace_period_seconds
            && !new.load_balancers.is_empty()
        {
            q = q.health_check_grace_period_seconds(new.health_check_grace_period_seconds);
        }
        if old.enable_execute_command != new.enable_execute_command {
            // Running tasks keep their setting: new ones get it, so roll them.
            q = q
                .enable_execute_command(new.enable_execute_command)
                .force_new_deployment(true);
        }
        if old.capacity_provider != new.capacity_provider {
            // Changing the strategy only takes effect with a new deployment.
            q = q
                .capacity_provider_strategy(strategy(new)?)
                .force_new_deployment(true);
        }
        let out = q.send().await.map_err(Self::err)?;
        let s = out
            .service
            .ok_or_else(|| ProviderError::not_found(format!("service {} is gone", req.id)))?;
        Ok(applied(&s))
    }

    async fn delete(&self, req: Delete<'_, EcsService>) -> Result<(), ProviderError> {
        let cluster = req
            .recorded
            .as_ref()
            .map(|p| p.cluster_arn.clone())
            .or_else(|| cluster_of(req.id))
            .unwrap_or_default();
        match self.describe_one(&cluster, req.id).await? {
            Some(s) if active(&s) => {}
            _ => return Ok(()),
        }
        let ecs = self.ctx.ecs();
        // Scaling to zero first lets tasks drain instead of being killed mid-request.
        let r = ecs
            .update_service()
            .cluster(&cluster)
            .service(req.id)
            .desired_count(0)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err);
        ignore_not_found(r)?;
        let r = ecs
            .delete_service()
            .cluster(&cluster)
            .service(req.id)
            .force(true)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err);
        ignore_not_found(r)?;
        wait_for(
            &format!("ECS service {} to drain", req.id),
            STATE_WAIT,
            || async {
                Ok(match self.describe_one(&cluster, req.id).await? {
                    Some(s) if s.status() != Some("INACTIVE") => None,
                    _ => Some(()),
                })
            },
        )
        .await
    }

    async fn find(&self, req: Find<'_, EcsService>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let services = match self
            .describe(&p.cluster_arn, vec![p.name.clone()], true)
            .await
        {
            Err(e) if e.is_not_found() => return Ok(None),
            other => other?,
        };
        Ok(services
            .iter()
            .find(|s| active(s) && ecs_tags_match(s.tags(), req.tags, req.address))
            .map(applied))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_from_service_arn() {
        assert_eq!(
            cluster_of("arn:aws:ecs:us-east-1:123456789012:service/app-prod/web").as_deref(),
            Some("app-prod")
        );
        assert_eq!(
            cluster_of("arn:aws:ecs:us-east-1:123456789012:service/web"),
            None
        );
    }
}
