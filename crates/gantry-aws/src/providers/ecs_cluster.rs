//! `ecs_cluster`: an ECS cluster with the Fargate capacity providers attached
//! (services pick FARGATE or FARGATE_SPOT through a capacity provider
//! strategy, which needs them on the cluster). Its id is the ARN.

use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ecs::types::{Cluster, ClusterField, ClusterSetting, ClusterSettingName, Tag};
use gantry_core::kinds::EcsCluster;
use crate::shape::*;
use gantry_core::*;
use std::collections::HashMap;

const NOT_FOUND: &[&str] = &["ClusterNotFoundException"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

pub(crate) fn ecs_tags(map: &std::collections::BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub(crate) fn ecs_tags_match(found: &[Tag], tags: &StackTags, address: &Address) -> bool {
    tags_match(
        found.iter().filter_map(|t| Some((t.key()?, t.value()?))),
        tags,
        address,
    )
}

fn applied(c: &Cluster) -> Applied {
    let arn = c.cluster_arn().unwrap_or_default().to_string();
    Applied {
        outputs: outputs([
            ("id", arn.clone()),
            ("arn", arn.clone()),
            ("name", c.cluster_name().unwrap_or_default().to_string()),
        ]),
        id: arn,
    }
}

fn insights(enabled: bool) -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(if enabled { "enabled" } else { "disabled" })
        .build()
}

fn active(c: &Cluster) -> bool {
    c.status() != Some("INACTIVE")
}

impl Provider {
    async fn describe(
        &self,
        ids: Vec<String>,
        with_tags: bool,
    ) -> Result<Vec<Cluster>, ProviderError> {
        let mut q = self
            .ctx
            .ecs()
            .describe_clusters()
            .set_clusters(Some(ids))
            .include(ClusterField::Settings);
        if with_tags {
            q = q.include(ClusterField::Tags);
        }
        let out = q.send().await.map_err(Self::err)?;
        Ok(out
            .clusters
            .unwrap_or_default()
            .into_iter()
            .filter(active)
            .collect())
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = EcsCluster;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "ecs:cluster", |a| arn::whole(a, "ecs", "cluster/"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, EcsCluster>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(Some(&p.name));
        let out = self
            .ctx
            .ecs()
            .create_cluster()
            .cluster_name(&p.name)
            .settings(insights(p.container_insights))
            .capacity_providers("FARGATE")
            .capacity_providers("FARGATE_SPOT")
            .set_tags(Some(ecs_tags(&tags)))
            .send()
            .await
            .map_err(Self::err)?;
        let c = out
            .cluster
            .ok_or_else(|| ProviderError::new("MissingId", "CreateCluster returned no cluster"))?;
        Ok(applied(&c))
    }

    async fn read(&self, items: &[Item<'_, EcsCluster>]) -> Result<Vec<Seen<EcsCluster>>, ProviderError> {
        let ids = ids(items);
        let mut found = HashMap::new();
        for chunk in chunks(&ids, 100) {
            // Missing clusters come back as `failures`, not as an error.
            for c in self.describe(chunk, false).await? {
                if let Some(arn) = c.cluster_arn.clone() {
                    found.insert(arn, c);
                }
            }
        }
        Ok(items
            .iter()
            .filter_map(|r| {
                let c = found.get(r.id)?;
                let setting = c
                    .settings()
                    .iter()
                    .find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights))
                    .and_then(|s| s.value());
                let props = EcsCluster {
                    name: c.cluster_name().unwrap_or_default().to_string(),
                    container_insights: matches!(setting, Some("enabled") | Some("enhanced")),
                };
                let unread: &[&str] = if setting.is_none() {
                    &["container_insights"]
                } else {
                    &[]
                };
                Some(Seen { id: r.id.to_string(), props, unread: unread.to_vec(), outputs: applied(c).outputs })
            })
            .collect())
    }

    async fn update(&self, req: Update<'_, EcsCluster>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        let out = self
            .ctx
            .ecs()
            // UpdateCluster takes settings too, and unlike UpdateClusterSettings
            // the emulator implements it.
            .update_cluster()
            .cluster(req.id)
            .settings(insights(new.container_insights))
            .send()
            .await
            .map_err(Self::err)?;
        let c = out
            .cluster
            .ok_or_else(|| ProviderError::not_found(format!("cluster {} is gone", req.id)))?;
        Ok(applied(&c))
    }

    async fn delete(&self, req: Delete<'_, EcsCluster>) -> Result<(), ProviderError> {
        // Deleted services and their tasks take a while to drain out.
        retry_codes(
            &[
                "ClusterContainsServicesException",
                "ClusterContainsTasksException",
                "UpdateInProgressException",
            ],
            DEPENDENCY_WAIT,
            || async {
                self.ctx
                    .ecs()
                    .delete_cluster()
                    .cluster(req.id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(Self::err)
            },
        )
        .await
    }

    async fn find(&self, req: Find<'_, EcsCluster>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let found = self.describe(vec![p.name.clone()], true).await?;
        Ok(found
            .iter()
            .find(|c| ecs_tags_match(c.tags(), req.tags, req.address))
            .map(applied))
    }
}
