//! `elasticache_replication_group`: a Redis (or Valkey) replication group,
//! cluster mode off, encrypted at rest with the stack's key and in transit,
//! with an AUTH token read from a Secrets Manager secret at create (it goes
//! from `GetSecretValue` straight into `CreateReplicationGroup`, never into
//! props, state or logs). The id is the group id; outputs add `arn`,
//! `primary_endpoint_address`, `reader_endpoint_address` and `port`.
//!
//! Description, node type, engine version, failover, multi-AZ, security
//! groups and snapshot retention change with `ModifyReplicationGroup`; the
//! node count with `IncreaseReplicaCount`/`DecreaseReplicaCount` (not
//! implemented by the emulator: such an update fails there with its
//! error). A group in `deleting` counts as gone.

use super::elasticache_subnet_group::{elasticache_tag_list, elasticache_tags};
use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_elasticache::types::{CacheCluster, ReplicationGroup};
use gantry_core::kinds::ElasticacheReplicationGroup;
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["ReplicationGroupNotFoundFault"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn endpoint_port(g: &ReplicationGroup) -> i32 {
    g.node_groups()
        .first()
        .and_then(|n| n.primary_endpoint())
        .and_then(|e| e.port())
        .unwrap_or_default()
}

fn applied(g: &ReplicationGroup) -> Applied {
    let id = g.replication_group_id().unwrap_or_default().to_string();
    let ng = g.node_groups().first();
    Applied {
        outputs: outputs([
            ("id", id.clone()),
            ("arn", g.arn().unwrap_or_default().to_string()),
            (
                "primary_endpoint_address",
                ng.and_then(|n| n.primary_endpoint())
                    .and_then(|e| e.address())
                    .unwrap_or_default()
                    .to_string(),
            ),
            (
                "reader_endpoint_address",
                // Not reported by the emulator: the primary serves reads too.
                ng.and_then(|n| n.reader_endpoint())
                    .and_then(|e| e.address())
                    .or_else(|| {
                        ng.and_then(|n| n.primary_endpoint())
                            .and_then(|e| e.address())
                    })
                    .unwrap_or_default()
                    .to_string(),
            ),
            ("port", endpoint_port(g).to_string()),
        ]),
        id,
    }
}

fn status(g: &ReplicationGroup) -> &str {
    g.status().unwrap_or_default()
}

fn enabled(s: Option<&str>) -> bool {
    matches!(s, Some("enabled") | Some("enabling"))
}

impl Provider {
    async fn describe(&self, id: &str) -> Result<Option<ReplicationGroup>, ProviderError> {
        match self
            .ctx
            .elasticache()
            .describe_replication_groups()
            .replication_group_id(id)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .replication_groups
                .unwrap_or_default()
                .into_iter()
                .next()),
            Err(e) => none_if_gone(Self::err(e)),
        }
    }

    /// A member cluster (engine version, subnet group and security groups
    /// live there); `None` when it does not exist (the emulator keeps no
    /// cluster records for replication group members).
    async fn cluster(&self, id: &str) -> Result<Option<CacheCluster>, ProviderError> {
        match self
            .ctx
            .elasticache()
            .describe_cache_clusters()
            .cache_cluster_id(id)
            .send()
            .await
        {
            Ok(out) => Ok(out.cache_clusters.unwrap_or_default().into_iter().next()),
            Err(e) => {
                let e = aws_error(e, &["CacheClusterNotFound", "CacheClusterNotFoundFault"]);
                if e.is_not_found() {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn wait_available(&self, id: &str) -> Result<ReplicationGroup, ProviderError> {
        wait_for(
            &format!("Redis {id} to be available"),
            DATA_STORE_WAIT,
            || async {
                match self.describe(id).await? {
                    None => Err(ProviderError::not_found(format!("Redis {id} is gone"))),
                    Some(g) if status(&g) == "available" => Ok(Some(g)),
                    Some(g) if status(&g) == "create-failed" || status(&g) == "deleting" => {
                        Err(ProviderError::new(
                            "ReplicationGroupFailed",
                            format!("Redis {id} is {}", status(&g)),
                        ))
                    }
                    Some(_) => Ok(None),
                }
            },
        )
        .await
    }

    /// Gone, or deleting with every member cluster already gone.
    async fn gone(&self, id: &str) -> Result<bool, ProviderError> {
        let Some(g) = self.describe(id).await? else {
            return Ok(true);
        };
        if status(&g) != "deleting" {
            return Ok(false);
        }
        for m in g.member_clusters() {
            if self.cluster(m).await?.is_some() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn auth_token(&self, secret_arn: &str) -> Result<String, ProviderError> {
        self.ctx
            .secrets()
            .get_secret_value()
            .secret_id(secret_arn)
            .send()
            .await
            .map_err(|e| aws_error(e, &["ResourceNotFoundException"]))?
            .secret_string
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ProviderError::new(
                    "AuthTokenMissing",
                    format!("secret {secret_arn} holds no value to use as the Redis AUTH token"),
                )
            })
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = ElasticacheReplicationGroup;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "elasticache:replicationgroup", |a| arn::after(a, "elasticache", "replicationgroup:"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, ElasticacheReplicationGroup>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let token = self.auth_token(&p.auth_token_secret_arn).await?;
        // No idempotency token: the group id is unique, so a resumed create
        // finds the group by it (`find`).
        self.ctx
            .elasticache()
            .create_replication_group()
            .replication_group_id(&p.id)
            .replication_group_description(&p.description)
            .engine(&p.engine)
            .engine_version(&p.engine_version)
            .cache_node_type(&p.node_type)
            .num_cache_clusters(p.num_cache_clusters)
            .automatic_failover_enabled(p.automatic_failover)
            .multi_az_enabled(p.multi_az)
            .at_rest_encryption_enabled(true)
            .kms_key_id(&p.kms_key_id)
            .transit_encryption_enabled(true)
            .auth_token(token)
            .cache_subnet_group_name(&p.subnet_group_name)
            .set_security_group_ids(Some(p.security_group_ids.clone()))
            .port(p.port)
            .snapshot_retention_limit(p.snapshot_retention_limit)
            .set_tags(Some(elasticache_tag_list(tag_set(
                req.tags,
                req.address,
                None,
            ))))
            .send()
            .await
            .map_err(Self::err)?;
        let g = self.wait_available(&p.id).await?;
        Ok(applied(&g))
    }

    async fn read(&self, items: &[Item<'_, ElasticacheReplicationGroup>]) -> Result<Vec<Seen<ElasticacheReplicationGroup>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some(g) = self.describe(&id).await? else {
                return Ok(None);
            };
            if status(&g) == "deleting" {
                return Ok(None);
            }
            let member = match g.member_clusters().first() {
                Some(m) => self.cluster(m).await?,
                None => None,
            };
            // Never readable: the token's source.
            let mut unread = vec!["auth_token_secret_arn"];
            let (engine_version, subnet_group_name, security_group_ids) = match &member {
                Some(c) => {
                    let sgs: Vec<String> = c
                        .security_groups()
                        .iter()
                        .filter_map(|s| s.security_group_id.clone())
                        .collect();
                    (
                        version_like(
                            c.engine_version().unwrap_or_default(),
                            rec.as_ref().map(|x| x.engine_version.as_str()),
                        ),
                        c.cache_subnet_group_name().unwrap_or_default().to_string(),
                        order_like(
                            sgs,
                            rec.as_ref()
                                .map(|x| x.security_group_ids.as_slice())
                                .unwrap_or(&[]),
                        ),
                    )
                }
                None => {
                    unread.extend(["engine_version", "subnet_group_name", "security_group_ids"]);
                    (String::new(), String::new(), Vec::new())
                }
            };
            let engine = match (g.engine(), member.as_ref().and_then(|c| c.engine())) {
                (Some(e), _) | (None, Some(e)) => e.to_string(),
                (None, None) => {
                    unread.push("engine");
                    String::new()
                }
            };
            let kms_key_id = match g.kms_key_id() {
                Some(k) => kms_like(k, rec.as_ref().map(|x| x.kms_key_id.as_str())),
                None => {
                    unread.push("kms_key_id");
                    String::new()
                }
            };
            let props = ElasticacheReplicationGroup {
                id: g.replication_group_id().unwrap_or_default().to_string(),
                description: g.description().unwrap_or_default().to_string(),
                engine,
                engine_version,
                node_type: g.cache_node_type().unwrap_or_default().to_string(),
                num_cache_clusters: g.member_clusters().len() as i32,
                automatic_failover: enabled(g.automatic_failover().map(|s| s.as_str())),
                multi_az: enabled(g.multi_az().map(|s| s.as_str())),
                kms_key_id,
                auth_token_secret_arn: String::new(),
                subnet_group_name,
                security_group_ids,
                port: endpoint_port(&g),
                snapshot_retention_limit: g.snapshot_retention_limit().unwrap_or_default(),
            };
            Ok(Some(Seen { id: id.clone(), props, unread: unread.to_vec(), outputs: applied(&g).outputs }))
        })
        .await
    }

    async fn update(&self, req: Update<'_, ElasticacheReplicationGroup>) -> Result<Applied, ProviderError> {
        let old = &req.old;
        let new = &req.new;
        let ec = self.ctx.elasticache();
        let modify = || async {
            let mut call = ec
                .modify_replication_group()
                .replication_group_id(req.id)
                .apply_immediately(true);
            let mut any = false;
            if old.description != new.description {
                call = call.replication_group_description(&new.description);
                any = true;
            }
            if old.node_type != new.node_type {
                call = call.cache_node_type(&new.node_type);
                any = true;
            }
            if old.engine_version != new.engine_version {
                call = call.engine_version(&new.engine_version);
                any = true;
            }
            if old.automatic_failover != new.automatic_failover {
                call = call.automatic_failover_enabled(new.automatic_failover);
                any = true;
            }
            if old.multi_az != new.multi_az {
                call = call.multi_az_enabled(new.multi_az);
                any = true;
            }
            if old.security_group_ids != new.security_group_ids {
                call = call.set_security_group_ids(Some(new.security_group_ids.clone()));
                any = true;
            }
            if old.snapshot_retention_limit != new.snapshot_retention_limit {
                call = call.snapshot_retention_limit(new.snapshot_retention_limit);
                any = true;
            }
            if any {
                call.send().await.map_err(Self::err)?;
                self.wait_available(req.id).await?;
            }
            Ok::<_, ProviderError>(())
        };
        let resize = || async {
            if old.num_cache_clusters == new.num_cache_clusters {
                return Ok::<_, ProviderError>(());
            }
            let replicas = new.num_cache_clusters - 1;
            if new.num_cache_clusters > old.num_cache_clusters {
                ec.increase_replica_count()
                    .replication_group_id(req.id)
                    .new_replica_count(replicas)
                    .apply_immediately(true)
                    .send()
                    .await
                    .map_err(Self::err)?;
            } else {
                ec.decrease_replica_count()
                    .replication_group_id(req.id)
                    .new_replica_count(replicas)
                    .apply_immediately(true)
                    .send()
                    .await
                    .map_err(Self::err)?;
            }
            self.wait_available(req.id).await?;
            Ok(())
        };
        // Failover needs two nodes: add nodes before turning it on, turn it
        // off before removing them.
        if new.automatic_failover && !old.automatic_failover {
            resize().await?;
            modify().await?;
        } else {
            modify().await?;
            resize().await?;
        }
        let g = self.wait_available(req.id).await?;
        Ok(applied(&g))
    }

    async fn delete(&self, req: Delete<'_, ElasticacheReplicationGroup>) -> Result<(), ProviderError> {
        match self.describe(req.id).await? {
            None => return Ok(()),
            Some(g) if status(&g) == "deleting" => {}
            Some(_) => {
                // A group being modified refuses deletion for a while.
                let r = retry_codes(
                    &["InvalidReplicationGroupState"],
                    DATA_STORE_WAIT,
                    || async {
                        self.ctx
                            .elasticache()
                            .delete_replication_group()
                            .replication_group_id(req.id)
                            .retain_primary_cluster(false)
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(Self::err)
                    },
                )
                .await;
                ignore_not_found(r)?;
            }
        }
        wait_for(
            &format!("Redis {} to be deleted", req.id),
            DATA_STORE_WAIT,
            || async { Ok(self.gone(req.id).await?.then_some(())) },
        )
        .await
    }

    async fn find(&self, req: Find<'_, ElasticacheReplicationGroup>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let Some(g) = self.describe(&p.id).await? else {
            return Ok(None);
        };
        if status(&g) == "deleting" {
            return Ok(None);
        }
        let tags = elasticache_tags(&self.ctx, g.arn().unwrap_or_default()).await?;
        let ours = req.ours(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Ok(ours.then(|| applied(&g)))
    }
}
