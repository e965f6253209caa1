//! `memorydb_cluster`: a MemoryDB cluster (Redis with a multi-AZ
//! transaction log), TLS on, encrypted at rest with the given key, admitting
//! the users of its ACL. The id is the cluster name; outputs add `arn`,
//! `endpoint_address` (the cluster configuration endpoint) and `port`.
//!
//! Description, security groups, snapshot retention and the ACL change with
//! one `UpdateCluster`; node type, engine version, replicas and shards each
//! with their own (AWS runs one scaling change at a time), waiting for
//! `available` after each. Create and updates wait up to 40 minutes; delete
//! waits until the cluster is gone.

use super::memorydb::{tag_list, tags_of};
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_memorydb::operation::update_cluster::builders::UpdateClusterFluentBuilder;
use aws_sdk_memorydb::types::{Cluster, ReplicaConfigurationRequest, ShardConfigurationRequest};
use gantry_core::kinds::MemorydbCluster;
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["ClusterNotFoundFault"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(c: &Cluster) -> Applied {
    let name = c.name().unwrap_or_default().to_string();
    let ep = c.cluster_endpoint();
    Applied {
        outputs: outputs([
            ("id", name.clone()),
            ("arn", c.arn().unwrap_or_default().to_string()),
            (
                "endpoint_address",
                ep.and_then(|e| e.address()).unwrap_or_default().to_string(),
            ),
            ("port", ep.map(|e| e.port()).unwrap_or_default().to_string()),
        ]),
        id: name,
    }
}

fn status(c: &Cluster) -> &str {
    c.status().unwrap_or_default()
}

impl Provider {
    async fn describe(&self, name: &str) -> Result<Option<Cluster>, ProviderError> {
        match self
            .ctx
            .memorydb()
            .describe_clusters()
            .cluster_name(name)
            .show_shard_details(true)
            .send()
            .await
        {
            Ok(out) => Ok(out.clusters.unwrap_or_default().into_iter().next()),
            Err(e) => none_if_gone(Self::err(e)),
        }
    }

    async fn wait_available(&self, name: &str) -> Result<Cluster, ProviderError> {
        wait_for(
            &format!("MemoryDB cluster {name} to be available"),
            DATA_STORE_WAIT,
            || async {
                match self.describe(name).await? {
                    None => Err(ProviderError::not_found(format!(
                        "MemoryDB cluster {name} is gone"
                    ))),
                    Some(c) if status(&c) == "available" => Ok(Some(c)),
                    Some(c) if matches!(status(&c), "create-failed" | "deleting") => {
                        Err(ProviderError::new(
                            "ClusterFailed",
                            format!("MemoryDB cluster {name} is {}", status(&c)),
                        ))
                    }
                    Some(_) => Ok(None),
                }
            },
        )
        .await
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = MemorydbCluster;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "memorydb:cluster", |a| arn::after(a, "memorydb", "cluster/"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, MemorydbCluster>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        // No idempotency token: the name is unique, and `find` adopts it.
        self.ctx
            .memorydb()
            .create_cluster()
            .cluster_name(&p.name)
            .description(&p.description)
            .engine_version(&p.engine_version)
            .node_type(&p.node_type)
            .num_shards(p.num_shards)
            .num_replicas_per_shard(p.num_replicas_per_shard)
            .tls_enabled(p.tls_enabled)
            .kms_key_id(&p.kms_key_id)
            .acl_name(&p.acl_name)
            .subnet_group_name(&p.subnet_group_name)
            .set_security_group_ids(Some(p.security_group_ids.clone()))
            .port(p.port)
            .snapshot_retention_limit(p.snapshot_retention_limit)
            .set_tags(Some(tag_list(req.tag_set(None))))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(applied(&self.wait_available(&p.name).await?))
    }

    async fn read(&self, items: &[Item<'_, MemorydbCluster>]) -> Result<Vec<Seen<MemorydbCluster>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some(c) = self.describe(&id).await? else {
                return Ok(None);
            };
            if status(&c) == "deleting" {
                return Ok(None);
            }
            let mut unread = Vec::new();
            // Replicas per shard: the nodes of a shard minus its primary.
            let replicas = match c.shards().first().and_then(|s| s.number_of_nodes()) {
                Some(n) => n - 1,
                None => {
                    unread.push("num_replicas_per_shard");
                    0
                }
            };
            let sgs: Vec<String> = c
                .security_groups()
                .iter()
                .filter_map(|g| g.security_group_id().map(str::to_string))
                .collect();
            let kms_key_id = match c.kms_key_id() {
                Some(k) => kms_like(k, rec.as_ref().map(|x| x.kms_key_id.as_str())),
                None => {
                    unread.push("kms_key_id");
                    String::new()
                }
            };
            let props = MemorydbCluster {
                name: c.name().unwrap_or_default().to_string(),
                description: c.description().unwrap_or_default().to_string(),
                engine_version: version_like(
                    c.engine_version().unwrap_or_default(),
                    rec.as_ref().map(|x| x.engine_version.as_str()),
                ),
                node_type: c.node_type().unwrap_or_default().to_string(),
                num_shards: c.number_of_shards().unwrap_or_default(),
                num_replicas_per_shard: replicas,
                tls_enabled: c.tls_enabled().unwrap_or_default(),
                kms_key_id,
                acl_name: c.acl_name().unwrap_or_default().to_string(),
                subnet_group_name: c.subnet_group_name().unwrap_or_default().to_string(),
                security_group_ids: order_like(
                    sgs,
                    rec.as_ref()
                        .map(|x| x.security_group_ids.as_slice())
                        .unwrap_or(&[]),
                ),
                port: c.cluster_endpoint().map(|e| e.port()).unwrap_or_default(),
                snapshot_retention_limit: c.snapshot_retention_limit().unwrap_or_default(),
            };
            Ok(Some(Seen { id: id.clone(), props, unread: unread.to_vec(), outputs: applied(&c).outputs }))
        })
        .await
    }

    async fn update(&self, req: Update<'_, MemorydbCluster>) -> Result<Applied, ProviderError> {
        let old = &req.old;
        let new = &req.new;
        let db = self.ctx.memorydb();
        let call = || db.update_cluster().cluster_name(req.id);
        let send = |c: UpdateClusterFluentBuilder| async move {
            c.send().await.map_err(Self::err)?;
            self.wait_available(req.id).await
        };
        let mut settings = call();
        let mut any = false;
        if old.description != new.description {
            settings = settings.description(&new.description);
            any = true;
        }
        if old.security_group_ids != new.security_group_ids {
            settings = settings.set_security_group_ids(Some(new.security_group_ids.clone()));
            any = true;
        }
        if old.snapshot_retention_limit != new.snapshot_retention_limit {
            settings = settings.snapshot_retention_limit(new.snapshot_retention_limit);
            any = true;
        }
        if old.acl_name != new.acl_name {
            settings = settings.acl_name(&new.acl_name);
            any = true;
        }
        if any {
            send(settings).await?;
        }
        if old.engine_version != new.engine_version {
            send(call().engine_version(&new.engine_version)).await?;
        }
        if old.node_type != new.node_type {
            send(call().node_type(&new.node_type)).await?;
        }
        if old.num_replicas_per_shard != new.num_replicas_per_shard {
            send(
                call().replica_configuration(
                    ReplicaConfigurationRequest::builder()
                        .replica_count(new.num_replicas_per_shard)
                        .build(),
                ),
            )
            .await?;
        }
        if old.num_shards != new.num_shards {
            send(
                call().shard_configuration(
                    ShardConfigurationRequest::builder()
                        .shard_count(new.num_shards)
                        .build(),
                ),
            )
            .await?;
        }
        Ok(applied(&self.wait_available(req.id).await?))
    }

    async fn delete(&self, req: Delete<'_, MemorydbCluster>) -> Result<(), ProviderError> {
        match self.describe(req.id).await? {
            None => return Ok(()),
            Some(c) if status(&c) == "deleting" => {}
            Some(_) => {
                // A cluster being modified refuses deletion for a while.
                let r = retry_codes(&["InvalidClusterStateFault"], DATA_STORE_WAIT, || async {
                    self.ctx
                        .memorydb()
                        .delete_cluster()
                        .cluster_name(req.id)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(Self::err)
                })
                .await;
                ignore_not_found(r)?;
            }
        }
        wait_for(
            &format!("MemoryDB cluster {} to be deleted", req.id),
            DATA_STORE_WAIT,
            || async { Ok(self.describe(req.id).await?.is_none().then_some(())) },
        )
        .await
    }

    async fn find(&self, req: Find<'_, MemorydbCluster>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let Some(c) = self.describe(&p.name).await? else {
            return Ok(None);
        };
        if status(&c) == "deleting" {
            return Ok(None);
        }
        let tags = tags_of(&self.ctx, c.arn().unwrap_or_default()).await?;
        let ours = req.ours(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Ok(ours.then(|| applied(&c)))
    }
}
