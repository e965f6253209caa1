//! Everything in the account and region that carries a stack's `gantry:*`
//! tags, across every service Gantry creates resources in. `destroy` is
//! checked against this: after it, the list must be empty.

use crate::context::AwsContext;
use crate::error::aws_error;
use aws_sdk_ec2::types::{Filter, Tag as Ec2Tag};
use futures::stream::{self, StreamExt, TryStreamExt};
use gantry_core::kinds;
use gantry_core::{ProviderError, StackTags};
use std::collections::HashMap;

/// One resource that belongs to the stack.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct InventoryItem {
    /// The Gantry kind (`vpc`, `lb`, ...).
    pub kind: String,
    /// The physical id (as the kind's provider uses it).
    pub id: String,
    /// The `gantry:address` tag.
    pub address: String,
}

/// Concurrency for the per-resource tag lookups some services need.
const TAG_LOOKUPS: usize = 8;

struct Scope<'a> {
    stack: &'a str,
    env: &'a str,
}

impl Scope<'_> {
    /// The address when `tags` put the resource in this stack and env.
    fn address<'t>(&self, tags: impl IntoIterator<Item = (&'t str, &'t str)>) -> Option<String> {
        let t: HashMap<&str, &str> = tags.into_iter().collect();
        (t.get(StackTags::STACK) == Some(&self.stack) && t.get(StackTags::ENV) == Some(&self.env))
            .then(|| t.get(StackTags::ADDRESS).unwrap_or(&"").to_string())
    }

    fn ec2(&self, tags: Option<&[Ec2Tag]>) -> Option<String> {
        self.address(
            tags.unwrap_or_default()
                .iter()
                .filter_map(|t| Some((t.key()?, t.value()?))),
        )
    }

    fn ec2_filters(&self) -> Vec<Filter> {
        vec![
            Filter::builder()
                .name(format!("tag:{}", StackTags::STACK))
                .values(self.stack)
                .build(),
            Filter::builder()
                .name(format!("tag:{}", StackTags::ENV))
                .values(self.env)
                .build(),
        ]
    }
}

fn item(kind: &str, id: impl Into<String>, address: String) -> InventoryItem {
    InventoryItem {
        kind: kind.to_string(),
        id: id.into(),
        address,
    }
}

/// Lists every resource tagged `gantry:stack=stack` and `gantry:env=env`,
/// sorted by kind and id. Deleted-but-still-listed resources (NAT gateways
/// and endpoints in state `deleted`, INACTIVE ECS resources, KMS keys pending
/// deletion, secrets scheduled for deletion, databases, caches, tables and
/// file systems in `deleting`) are not counted. EFS mount targets carry no
/// tags and cannot outlive their file system, so they are not listed; nor
/// are Route53 records, certificate validations and web ACL associations
/// (no tags; they live inside a zone, a certificate or a load balancer that
/// is listed), nor API Gateway routes, integrations, stages and API
/// mappings (they live inside the listed API or domain name). Certificates are listed in the stack's region and in
/// us-east-1 (CloudFront's); hosted zones Gantry created carry tags, zones it
/// only looked up do not. CloudFront origin access controls have no tags:
/// they are listed by the stack's name prefix (`STACK-ENV-`), with the
/// address their name implies.
pub async fn stack_resources(
    ctx: &AwsContext,
    stack: &str,
    env: &str,
) -> Result<Vec<InventoryItem>, ProviderError> {
    let scope = Scope { stack, env };
    let mut out = Vec::new();
    out.extend(ec2(ctx, &scope).await?);
    out.extend(elb(ctx, &scope).await?);
    out.extend(ecs(ctx, &scope).await?);
    out.extend(iam(ctx, &scope).await?);
    out.extend(logs(ctx, &scope).await?);
    out.extend(ecr(ctx, &scope).await?);
    out.extend(kms(ctx, &scope).await?);
    out.extend(secrets(ctx, &scope).await?);
    out.extend(ssm(ctx, &scope).await?);
    out.extend(rds(ctx, &scope).await?);
    out.extend(elasticache(ctx, &scope).await?);
    out.extend(dynamodb(ctx, &scope).await?);
    out.extend(s3(ctx, &scope).await?);
    out.extend(efs(ctx, &scope).await?);
    out.extend(acm(ctx, &scope).await?);
    out.extend(route53(ctx, &scope).await?);
    out.extend(wafv2(ctx, &scope).await?);
    out.extend(cloudfront(ctx, &scope).await?);
    out.extend(apigateway(ctx, &scope).await?);
    out.extend(memorydb(ctx, &scope).await?);
    out.sort();
    Ok(out)
}

async fn ec2(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    let ec2 = ctx.ec2();
    let f = || Some(s.ec2_filters());
    let err = |e| aws_error(e, &[]);
    let mut out = Vec::new();
    // Filters narrow on AWS; the client-side tag check covers emulator
    // describes that ignore them.
    let r = ec2
        .describe_vpcs()
        .set_filters(f())
        .send()
        .await
        .map_err(err)?;
    for v in r.vpcs() {
        if let (Some(a), Some(id)) = (s.ec2(v.tags.as_deref()), v.vpc_id()) {
            out.push(item(kinds::VPC, id, a));
        }
    }
    let r = ec2
        .describe_subnets()
        .set_filters(f())
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    for v in r.subnets() {
        if let (Some(a), Some(id)) = (s.ec2(v.tags.as_deref()), v.subnet_id()) {
            out.push(item(kinds::SUBNET, id, a));
        }
    }
    let r = ec2
        .describe_internet_gateways()
        .set_filters(f())
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    for v in r.internet_gateways() {
        if let (Some(a), Some(id)) = (s.ec2(v.tags.as_deref()), v.internet_gateway_id()) {
            out.push(item(kinds::INTERNET_GATEWAY, id, a));
        }
    }
    let r = ec2
        .describe_route_tables()
        .set_filters(f())
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    for v in r.route_tables() {
        if let (Some(a), Some(id)) = (s.ec2(v.tags.as_deref()), v.route_table_id()) {
            out.push(item(kinds::ROUTE_TABLE, id, a));
        }
    }
    let r = ec2
        .describe_addresses()
        .set_filters(f())
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    for v in r.addresses() {
        if let (Some(a), Some(id)) = (s.ec2(v.tags.as_deref()), v.allocation_id()) {
            out.push(item(kinds::EIP, id, a));
        }
    }
    // Paginated, and the tags checked client-side: the emulator ignores
    // filters here.
    let nats: Vec<_> = ec2
        .describe_nat_gateways()
        .set_filter(f())
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    for v in &nats {
        let state = v
            .state()
            .map(|s| s.as_str().to_ascii_lowercase())
            .unwrap_or_default();
        if state == "deleted" {
            continue;
        }
        if let (Some(a), Some(id)) = (s.ec2(v.tags.as_deref()), v.nat_gateway_id()) {
            out.push(item(kinds::NAT_GATEWAY, id, a));
        }
    }
    let r = ec2
        .describe_vpc_endpoints()
        .set_filters(f())
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    for v in r.vpc_endpoints() {
        let state = v
            .state()
            .map(|s| s.as_str().to_ascii_lowercase())
            .unwrap_or_default();
        if state == "deleted" {
            continue;
        }
        if let (Some(a), Some(id)) = (s.ec2(v.tags.as_deref()), v.vpc_endpoint_id()) {
            out.push(item(kinds::VPC_ENDPOINT, id, a));
        }
    }
    let r = ec2
        .describe_security_groups()
        .set_filters(f())
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    for v in r.security_groups() {
        if let (Some(a), Some(id)) = (s.ec2(v.tags.as_deref()), v.group_id()) {
            out.push(item(kinds::SECURITY_GROUP, id, a));
        }
    }
    Ok(out)
}

/// Which of `arns` (with their kinds) are ours, by ELBv2 tags.
async fn elb_ours(
    ctx: &AwsContext,
    s: &Scope<'_>,
    arns: Vec<(String, &'static str)>,
) -> Result<Vec<InventoryItem>, ProviderError> {
    let kinds_by_arn: HashMap<String, &str> = arns.iter().cloned().collect();
    let list: Vec<String> = arns.into_iter().map(|(a, _)| a).collect();
    let tags = crate::providers::elb_tags_of(ctx, &list).await?;
    Ok(list
        .iter()
        .filter_map(|arn| {
            let t = tags.get(arn)?;
            let a = s.address(t.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
            Some(item(kinds_by_arn[arn], arn.clone(), a))
        })
        .collect())
}

async fn elb(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    let elb = ctx.elb();
    let lbs: Vec<String> = elb
        .describe_load_balancers()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?
        .into_iter()
        .filter_map(|l| l.load_balancer_arn)
        .collect();
    let tgs: Vec<String> = elb
        .describe_target_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?
        .into_iter()
        .filter_map(|t| t.target_group_arn)
        .collect();
    let mut out = elb_ours(
        ctx,
        s,
        lbs.into_iter()
            .map(|a| (a, kinds::LB))
            .chain(tgs.into_iter().map(|a| (a, kinds::LB_TARGET_GROUP)))
            .collect(),
    )
    .await?;
    // Listeners and rules cannot outlive their load balancer, so only ours
    // need looking into.
    let our_lbs: Vec<String> = out
        .iter()
        .filter(|i| i.kind == kinds::LB)
        .map(|i| i.id.clone())
        .collect();
    let mut listeners = Vec::new();
    for lb in &our_lbs {
        let r = elb
            .describe_listeners()
            .load_balancer_arn(lb)
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        listeners.extend(r.listeners().iter().filter_map(|l| l.listener_arn.clone()));
    }
    let mut rules = Vec::new();
    for l in &listeners {
        let r = elb
            .describe_rules()
            .listener_arn(l)
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        rules.extend(
            r.rules()
                .iter()
                .filter(|r| r.is_default() != Some(true))
                .filter_map(|r| r.rule_arn.clone()),
        );
    }
    out.extend(
        elb_ours(
            ctx,
            s,
            listeners
                .into_iter()
                .map(|a| (a, kinds::LB_LISTENER))
                .chain(rules.into_iter().map(|a| (a, kinds::LB_LISTENER_RULE)))
                .collect(),
        )
        .await?,
    );
    Ok(out)
}

fn ecs_address(s: &Scope<'_>, tags: &[aws_sdk_ecs::types::Tag]) -> Option<String> {
    s.address(tags.iter().filter_map(|t| Some((t.key()?, t.value()?))))
}

async fn ecs(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    use aws_sdk_ecs::types::{
        ClusterField, ServiceField, TaskDefinitionField, TaskDefinitionStatus,
    };
    let ecs = ctx.ecs();
    let mut out = Vec::new();
    let clusters: Vec<String> = ecs
        .list_clusters()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let mut active = Vec::new();
    for chunk in clusters.chunks(100) {
        let r = ecs
            .describe_clusters()
            .set_clusters(Some(chunk.to_vec()))
            .include(ClusterField::Tags)
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        for c in r.clusters() {
            if c.status() == Some("INACTIVE") {
                continue;
            }
            let arn = c.cluster_arn().unwrap_or_default().to_string();
            if let Some(a) = ecs_address(s, c.tags()) {
                out.push(item(kinds::ECS_CLUSTER, arn.clone(), a));
            }
            active.push(arn);
        }
    }
    // A service could in principle sit in someone else's cluster; look in all.
    for cluster in &active {
        let services: Vec<String> = ecs
            .list_services()
            .cluster(cluster)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        for chunk in services.chunks(10) {
            let r = ecs
                .describe_services()
                .cluster(cluster)
                .set_services(Some(chunk.to_vec()))
                .include(ServiceField::Tags)
                .send()
                .await
                .map_err(|e| aws_error(e, &[]))?;
            for svc in r.services() {
                if svc.status() == Some("INACTIVE") {
                    continue;
                }
                if let (Some(a), Some(arn)) = (ecs_address(s, svc.tags()), svc.service_arn()) {
                    out.push(item(kinds::ECS_SERVICE, arn, a));
                }
            }
        }
    }
    let tds: Vec<String> = ecs
        .list_task_definitions()
        .status(TaskDefinitionStatus::Active)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let found: Vec<Option<InventoryItem>> = stream::iter(tds)
        .map(|arn| async move {
            let r = ecs
                .describe_task_definition()
                .task_definition(&arn)
                .include(TaskDefinitionField::Tags)
                .send()
                .await
                .map_err(|e| aws_error(e, &["ClientException"]));
            match r {
                Err(e) if e.not_found => Ok(None),
                Err(e) => Err(e),
                Ok(r) => {
                    Ok(ecs_address(s, r.tags()).map(|a| item(kinds::ECS_TASK_DEFINITION, arn, a)))
                }
            }
        })
        .buffer_unordered(TAG_LOOKUPS)
        .try_collect()
        .await?;
    out.extend(found.into_iter().flatten());
    Ok(out)
}

async fn iam(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    let iam = ctx.iam();
    let roles: Vec<String> = iam
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?
        .into_iter()
        .map(|r| r.role_name)
        .collect();
    // ListRoles does not return tags; one ListRoleTags per role.
    let found: Vec<Option<InventoryItem>> = stream::iter(roles)
        .map(|name| async move {
            let r = iam
                .list_role_tags()
                .role_name(&name)
                .send()
                .await
                .map_err(|e| aws_error(e, &["NoSuchEntity"]));
            match r {
                Err(e) if e.not_found => Ok(None),
                Err(e) => Err(e),
                Ok(r) => Ok(s
                    .address(r.tags().iter().map(|t| (t.key(), t.value())))
                    .map(|a| item(kinds::IAM_ROLE, name, a))),
            }
        })
        .buffer_unordered(TAG_LOOKUPS)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

async fn logs(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    let logs = ctx.logs();
    let groups: Vec<(String, String)> = logs
        .describe_log_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?
        .into_iter()
        .filter_map(|g| {
            let arn = g.arn()?;
            Some((
                g.log_group_name()?.to_string(),
                arn.strip_suffix(":*").unwrap_or(arn).to_string(),
            ))
        })
        .collect();
    let found: Vec<Option<InventoryItem>> = stream::iter(groups)
        .map(|(name, arn)| async move {
            let r = logs
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map_err(|e| aws_error(e, &["ResourceNotFoundException"]));
            match r {
                Err(e) if e.not_found => Ok(None),
                Err(e) => Err(e),
                Ok(r) => Ok(s
                    .address(
                        r.tags()
                            .into_iter()
                            .flatten()
                            .map(|(k, v)| (k.as_str(), v.as_str())),
                    )
                    .map(|a| item(kinds::LOG_GROUP, name, a))),
            }
        })
        .buffer_unordered(TAG_LOOKUPS)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

async fn ecr(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    let ecr = ctx.ecr();
    let repos: Vec<(String, String)> = ecr
        .describe_repositories()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?
        .into_iter()
        .filter_map(|r| Some((r.repository_name?, r.repository_arn?)))
        .collect();
    let found: Vec<Option<InventoryItem>> = stream::iter(repos)
        .map(|(name, arn)| async move {
            let r = ecr
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map_err(|e| aws_error(e, &["RepositoryNotFoundException"]));
            match r {
                Err(e) if e.not_found => Ok(None),
                Err(e) => Err(e),
                Ok(r) => Ok(s
                    .address(r.tags().iter().map(|t| (t.key(), t.value())))
                    .map(|a| item(kinds::ECR_REPOSITORY, name, a))),
            }
        })
        .buffer_unordered(TAG_LOOKUPS)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// Keeps the items whose tags put them in the stack, looking tags up
/// concurrently (`tags` returns `None` for a resource gone meanwhile).
async fn tagged<T, F, Fut>(
    s: &Scope<'_>,
    kind: &'static str,
    ids: Vec<(String, T)>,
    tags: F,
) -> Result<Vec<InventoryItem>, ProviderError>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = Result<Option<Vec<(String, String)>>, ProviderError>>,
{
    let tags = &tags;
    let found: Vec<Option<InventoryItem>> = stream::iter(ids)
        .map(|(id, key)| async move {
            Ok::<_, ProviderError>(tags(key).await?.and_then(|t| {
                s.address(t.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .map(|a| item(kind, id, a))
            }))
        })
        .buffer_unordered(TAG_LOOKUPS)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

use crate::util::found as missing_ok;

async fn kms(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    let keys = crate::providers::kms_key::KmsKeyProvider::tagged_keys(ctx).await?;
    Ok(keys
        .into_iter()
        .filter_map(|(m, tags)| {
            let a = s.address(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
            Some(item(kinds::KMS_KEY, m.key_id(), a))
        })
        .collect())
}

async fn secrets(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    // ListSecrets leaves out secrets scheduled for deletion by default.
    let mut list = Vec::new();
    let mut pages = ctx
        .secrets()
        .list_secrets()
        .include_planned_deletion(false)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        list.extend(
            page.map_err(|e| aws_error(e, &[]))?
                .secret_list
                .unwrap_or_default(),
        );
    }
    Ok(list
        .iter()
        .filter(|x| x.deleted_date().is_none())
        .filter_map(|x| {
            let a = s.address(x.tags().iter().filter_map(|t| Some((t.key()?, t.value()?))))?;
            Some(item(kinds::SECRET, x.arn()?, a))
        })
        .collect())
}

async fn ssm(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    use aws_sdk_ssm::types::{ParameterStringFilter, ResourceTypeForTagging};
    let filter = ParameterStringFilter::builder()
        .key(format!("tag:{}", StackTags::STACK))
        .set_values(Some(vec![s.stack.to_string()]))
        .build()
        .map_err(|e| ProviderError::msg(e.to_string()))?;
    let mut params = Vec::new();
    let mut pages = ctx
        .ssm()
        .describe_parameters()
        .parameter_filters(filter)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        params.extend(
            page.map_err(|e| aws_error(e, &[]))?
                .parameters
                .unwrap_or_default(),
        );
    }
    let names: Vec<(String, String)> = params
        .into_iter()
        .filter_map(|p| p.name)
        .map(|n| (n.clone(), n))
        .collect();
    tagged(s, kinds::SSM_PARAMETER, names, |name| async move {
        let r = ctx
            .ssm()
            .list_tags_for_resource()
            .resource_type(ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .send()
            .await
            .map_err(|e| aws_error(e, &["InvalidResourceId", "ParameterNotFound"]));
        Ok(missing_ok(r)?.map(|o| {
            o.tag_list()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        }))
    })
    .await
}

async fn rds(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    let rds = ctx.rds();
    let dbs: Vec<_> = rds
        .describe_db_instances()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let mut out = Vec::new();
    for d in &dbs {
        if d.db_instance_status() == Some("deleting") {
            continue;
        }
        let tags = d
            .tag_list()
            .iter()
            .filter_map(|t| Some((t.key()?, t.value()?)));
        if let (Some(a), Some(id)) = (s.address(tags), d.db_instance_identifier()) {
            out.push(item(kinds::DB_INSTANCE, id, a));
        }
    }
    let groups: Vec<_> = rds
        .describe_db_subnet_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let groups: Vec<(String, String)> = groups
        .into_iter()
        .filter_map(|g| Some((g.db_subnet_group_name?, g.db_subnet_group_arn?)))
        .collect();
    out.extend(
        tagged(s, kinds::DB_SUBNET_GROUP, groups, |arn| async move {
            missing_ok(crate::providers::db_subnet_group::rds_tags(ctx, &arn).await)
        })
        .await?,
    );
    Ok(out)
}

async fn elasticache(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    use crate::providers::elasticache_subnet_group::elasticache_tags;
    let ec = ctx.elasticache();
    let groups: Vec<_> = ec
        .describe_replication_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let groups: Vec<(String, String)> = groups
        .into_iter()
        .filter(|g| g.status() != Some("deleting"))
        .filter_map(|g| Some((g.replication_group_id?, g.arn?)))
        .collect();
    let mut out = tagged(
        s,
        kinds::ELASTICACHE_REPLICATION_GROUP,
        groups,
        |arn| async move { missing_ok(elasticache_tags(ctx, &arn).await) },
    )
    .await?;
    let subnet_groups: Vec<_> = ec
        .describe_cache_subnet_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let subnet_groups: Vec<(String, String)> = subnet_groups
        .into_iter()
        .filter_map(|g| Some((g.cache_subnet_group_name?, g.arn?)))
        .collect();
    out.extend(
        tagged(
            s,
            kinds::ELASTICACHE_SUBNET_GROUP,
            subnet_groups,
            |arn| async move { missing_ok(elasticache_tags(ctx, &arn).await) },
        )
        .await?,
    );
    Ok(out)
}

async fn dynamodb(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    let db = ctx.dynamodb();
    let names: Vec<String> = db
        .list_tables()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let names: Vec<(String, String)> = names.into_iter().map(|n| (n.clone(), n)).collect();
    tagged(s, kinds::DYNAMODB_TABLE, names, |name| async move {
        let nf = &["ResourceNotFoundException"];
        let t = match missing_ok(
            db.describe_table()
                .table_name(&name)
                .send()
                .await
                .map_err(|e| aws_error(e, nf)),
        )? {
            Some(o) => o.table,
            None => None,
        };
        let Some(t) = t else { return Ok(None) };
        if t.table_status().map(|x| x.as_str()) == Some("DELETING") {
            return Ok(None);
        }
        let r = db
            .list_tags_of_resource()
            .resource_arn(t.table_arn().unwrap_or_default())
            .send()
            .await
            .map_err(|e| aws_error(e, nf));
        Ok(missing_ok(r)?.map(|o| {
            o.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        }))
    })
    .await
}

async fn s3(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    use crate::providers::s3_bucket::{bucket_tags, list_buckets};
    let names: Vec<(String, String)> = list_buckets(ctx, None)
        .await?
        .into_iter()
        .map(|n| (n.clone(), n))
        .collect();
    tagged(s, kinds::S3_BUCKET, names, |name| async move {
        bucket_tags(ctx, &name).await.map(Some)
    })
    .await
}

async fn efs(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    let mut out = Vec::new();
    let fss = crate::providers::efs_file_system::EfsFileSystemProvider::all(ctx).await?;
    for f in &fss {
        if let Some(a) = s.address(f.tags().iter().map(|t| (t.key(), t.value()))) {
            out.push(item(kinds::EFS_FILE_SYSTEM, f.file_system_id(), a));
        }
        // Access points cannot outlive their file system.
        let mut pages = ctx
            .efs()
            .describe_access_points()
            .file_system_id(f.file_system_id())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = match missing_ok(page.map_err(|e| aws_error(e, &["FileSystemNotFound"])))? {
                Some(p) => p,
                None => break,
            };
            for ap in page.access_points() {
                if !crate::providers::efs_access_point::live(ap) {
                    continue;
                }
                if let (Some(a), Some(id)) = (
                    s.address(ap.tags().iter().map(|t| (t.key(), t.value()))),
                    ap.access_point_id(),
                ) {
                    out.push(item(kinds::EFS_ACCESS_POINT, id, a));
                }
            }
        }
    }
    Ok(out)
}

async fn acm(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    use crate::providers::acm_certificate::{cert_tags, list_arns};
    let mut regions = vec![ctx.region().to_string()];
    if ctx.region() != "us-east-1" {
        regions.push("us-east-1".to_string());
    }
    let mut arns = Vec::new();
    for r in &regions {
        for (arn, _) in list_arns(&ctx.acm_in(r)).await? {
            arns.push((arn.clone(), arn));
        }
    }
    tagged(s, kinds::ACM_CERTIFICATE, arns, |arn| async move {
        missing_ok(cert_tags(ctx, &arn).await)
    })
    .await
}

async fn route53(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    use aws_sdk_route53::types::TagResourceType;
    let zones: Vec<_> = ctx
        .route53()
        .list_hosted_zones()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let ids: Vec<String> = zones
        .iter()
        .map(|z| z.id().trim_start_matches("/hostedzone/").to_string())
        .collect();
    // Route53 allows 5 calls a second per account: tags of ten zones a call.
    let mut out = Vec::new();
    for chunk in ids.chunks(10) {
        let r = ctx
            .route53()
            .list_tags_for_resources()
            .resource_type(TagResourceType::Hostedzone)
            .set_resource_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        for set in r.resource_tag_sets() {
            let Some(id) = set.resource_id() else {
                continue;
            };
            let tags = set
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?, t.value()?)));
            if let Some(a) = s.address(tags) {
                out.push(item(kinds::ROUTE53_ZONE, id, a));
            }
        }
    }
    Ok(out)
}

async fn wafv2(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    use crate::providers::wafv2_list;
    // CLOUDFRONT-scope resources live in us-east-1 (the scoped client goes
    // there whatever the stack's region).
    let mut out = Vec::new();
    for scope in ["REGIONAL", "CLOUDFRONT"] {
        for (web_acls, kind) in [(true, kinds::WAFV2_WEB_ACL), (false, kinds::WAFV2_IP_SET)] {
            let found: Vec<(String, String)> = wafv2_list(ctx, scope, web_acls)
                .await?
                .into_iter()
                .map(|(_, id, arn)| (id, arn))
                .collect();
            out.extend(
                tagged(s, kind, found, |arn| async move {
                    missing_ok(crate::providers::wafv2_tags_of(ctx, &arn).await)
                })
                .await?,
            );
        }
    }
    Ok(out)
}

async fn cloudfront(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    use crate::providers::cloudfront_distribution::stack_distributions;
    let mut out: Vec<InventoryItem> = Vec::new();
    for (id, address) in stack_distributions(ctx, s.stack, s.env).await? {
        out.push(item(kinds::CLOUDFRONT_DISTRIBUTION, id, address));
    }
    let prefix = format!("{}-{}-", s.stack, s.env);
    let mut marker: Option<String> = None;
    loop {
        let page = ctx
            .cloudfront()
            .list_origin_access_controls()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        let Some(list) = page.origin_access_control_list else {
            break;
        };
        for oac in list.items() {
            if let Some(name) = oac.name().strip_prefix(&prefix) {
                out.push(item(
                    kinds::CLOUDFRONT_ORIGIN_ACCESS_CONTROL,
                    oac.id(),
                    format!("{}.{name}", kinds::CLOUDFRONT_ORIGIN_ACCESS_CONTROL),
                ));
            }
        }
        match list
            .next_marker
            .filter(|m| !m.is_empty() && list.is_truncated)
        {
            Some(m) => marker = Some(m),
            None => break,
        }
    }
    Ok(out)
}

/// HTTP APIs, VPC links and custom domain names; each listing returns the
/// tags, so one paginated call per kind.
async fn apigateway(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    use crate::providers::{
        apigw_list_apis, apigw_list_domain_names, apigw_list_vpc_links, apigw_tag_pairs,
    };
    let mut out = Vec::new();
    for a in apigw_list_apis(ctx).await? {
        if let (Some(addr), Some(id)) = (s.address(apigw_tag_pairs(a.tags())), a.api_id()) {
            out.push(item(kinds::APIGW_API, id, addr));
        }
    }
    for l in apigw_list_vpc_links(ctx).await? {
        // A link being deleted is on its way out, like the other kinds'
        // `deleting` resources.
        let gone = matches!(
            l.vpc_link_status(),
            Some(aws_sdk_apigatewayv2::types::VpcLinkStatus::Deleting)
        );
        if let (Some(addr), Some(id), false) =
            (s.address(apigw_tag_pairs(l.tags())), l.vpc_link_id(), gone)
        {
            out.push(item(kinds::APIGW_VPC_LINK, id, addr));
        }
    }
    for d in apigw_list_domain_names(ctx).await? {
        if let (Some(addr), Some(id)) = (s.address(apigw_tag_pairs(d.tags())), d.domain_name()) {
            out.push(item(kinds::APIGW_DOMAIN_NAME, id, addr));
        }
    }
    Ok(out)
}

/// MemoryDB clusters (not `deleting`), subnet groups, users and ACLs, each
/// kind one describe walk plus a `ListTags` per resource.
async fn memorydb(ctx: &AwsContext, s: &Scope<'_>) -> Result<Vec<InventoryItem>, ProviderError> {
    use crate::providers::memorydb_tags;
    let db = ctx.memorydb();
    let tags = |arn: String| async move { missing_ok(memorydb_tags(ctx, &arn).await) };
    let clusters: Vec<_> = db
        .describe_clusters()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let clusters: Vec<(String, String)> = clusters
        .into_iter()
        .filter(|c| c.status() != Some("deleting"))
        .filter_map(|c| Some((c.name?, c.arn?)))
        .collect();
    let mut out = tagged(s, kinds::MEMORYDB_CLUSTER, clusters, tags).await?;
    let groups: Vec<_> = db
        .describe_subnet_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let groups: Vec<(String, String)> = groups
        .into_iter()
        .filter_map(|g| Some((g.name?, g.arn?)))
        .collect();
    out.extend(tagged(s, kinds::MEMORYDB_SUBNET_GROUP, groups, tags).await?);
    let users: Vec<_> = db
        .describe_users()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let users: Vec<(String, String)> = users
        .into_iter()
        .filter(|u| u.status() != Some("deleting"))
        .filter_map(|u| Some((u.name?, u.arn?)))
        .collect();
    out.extend(tagged(s, kinds::MEMORYDB_USER, users, tags).await?);
    let acls: Vec<_> = db
        .describe_acls()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let acls: Vec<(String, String)> = acls
        .into_iter()
        .filter(|a| a.status() != Some("deleting"))
        .filter_map(|a| Some((a.name?, a.arn?)))
        .collect();
    out.extend(tagged(s, kinds::MEMORYDB_ACL, acls, tags).await?);
    Ok(out)
}
