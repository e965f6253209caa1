//! `ecs_task_definition`: a Fargate task definition revision (awsvpc, Linux).
//! Its id is the revision's ARN; every property forces a new revision, so
//! update has nothing to do and delete deregisters the revision.

use super::ecs_cluster::{ecs_tags, ecs_tags_match};
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use std::collections::{BTreeSet, HashSet};
use aws_sdk_ecs::types::{
    Compatibility, ContainerCondition, ContainerDefinition as AwsContainer,
    ContainerDependency as AwsDependency, CpuArchitecture, EfsAuthorizationConfig,
    EnvironmentFile as AwsEnvironmentFile, EnvironmentFileType,
    EfsAuthorizationConfigIam, EfsTransitEncryption, EfsVolumeConfiguration,
    HealthCheck as AwsHealthCheck, KeyValuePair, LogConfiguration, LogDriver,
    MountPoint as AwsMountPoint, NetworkMode, OsFamily, PortMapping as AwsPortMapping,
    RuntimePlatform, Secret as AwsSecret, TaskDefinition, TaskDefinitionField,
    TaskDefinitionStatus, TransportProtocol, Volume,
};
use gantry_core::kinds::{
    ContainerDefinition, ContainerDependency, ContainerHealthCheck, EcsTaskDefinition,
    EfsVolume, EnvironmentFile, MountPoint, PortMapping, SecretRef,
};
use crate::shape::*;
use gantry_core::*;

/// DescribeTaskDefinition says `ClientException` for an unknown revision.
const NOT_FOUND: &[&str] = &["ClientException"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn build_err(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new("InvalidProperties", format!("ecs_task_definition: {e}"))
}

fn container(c: &ContainerDefinition) -> Result<AwsContainer, ProviderError> {
    let health = match &c.health_check {
        Some(h) => Some(
            AwsHealthCheck::builder()
                .set_command(Some(h.command.clone()))
                .interval(h.interval_seconds)
                .timeout(h.timeout_seconds)
                .retries(h.retries)
                .start_period(h.start_period_seconds)
                .build()
                .map_err(build_err)?,
        ),
        None => None,
    };
    let logs = LogConfiguration::builder()
        .log_driver(LogDriver::Awslogs)
        .options("awslogs-group", &c.log_group)
        .options("awslogs-region", &c.log_region)
        .options("awslogs-stream-prefix", &c.log_stream_prefix)
        .build()
        .map_err(build_err)?;
    let depends_on = c
        .depends_on
        .iter()
        .map(|d| {
            AwsDependency::builder()
                .container_name(&d.container_name)
                .condition(ContainerCondition::from(d.condition.as_str()))
                .build()
                .map_err(build_err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AwsContainer::builder()
        .name(&c.name)
        .set_command((!c.command.is_empty()).then(|| c.command.clone()))
        .image(&c.image)
        .essential(c.essential)
        .cpu(c.cpu)
        // Fargate does not need it, but the emulator fails tasks without it.
        .memory_reservation(c.memory_reservation)
        .set_port_mappings(Some(
            c.port_mappings
                .iter()
                .map(|p| {
                    AwsPortMapping::builder()
                        .container_port(p.container_port)
                        .protocol(TransportProtocol::from(p.protocol.as_str()))
                        .build()
                })
                .collect(),
        ))
        .set_environment(Some(
            c.environment
                .iter()
                .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
                .collect(),
        ))
        .set_secrets(
            (!c.secrets.is_empty())
                .then(|| {
                    c.secrets
                        .iter()
                        .map(|(name, r)| {
                            AwsSecret::builder()
                                .name(name)
                                .value_from(r.value_from())
                                .build()
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()
                .map_err(build_err)?,
        )
        .set_mount_points((!c.mount_points.is_empty()).then(|| {
            c.mount_points
                .iter()
                .map(|m| {
                    AwsMountPoint::builder()
                        .source_volume(&m.source_volume)
                        .container_path(&m.container_path)
                        .read_only(m.read_only)
                        .build()
                })
                .collect()
        }))
        .set_health_check(health)
        .readonly_root_filesystem(c.readonly_root_filesystem)
        .log_configuration(logs)
        .set_depends_on((!depends_on.is_empty()).then_some(depends_on))
        .set_environment_files(
            (!c.environment_files.is_empty())
                .then(|| {
                    c.environment_files
                        .iter()
                        .map(|f| {
                            AwsEnvironmentFile::builder()
                                .value(f.arn())
                                .r#type(EnvironmentFileType::S3)
                                .build()
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()
                .map_err(build_err)?,
        )
        .build())
}

/// An environment file's object ARN (`arn:aws:s3:::BUCKET/KEY`) as the
/// bucket's ARN and the key.
fn env_file_of(arn: &str) -> EnvironmentFile {
    let (bucket_arn, key) = match arn.split_once(":::") {
        Some((head, rest)) => match rest.split_once('/') {
            Some((bucket, key)) => (format!("{head}:::{bucket}"), key.to_string()),
            None => (arn.to_string(), String::new()),
        },
        None => (arn.to_string(), String::new()),
    };
    EnvironmentFile { bucket_arn, key }
}

/// Splits an ECS `valueFrom` back into the ARN and the JSON key: a Secrets
/// Manager ARN has seven `:`-separated parts, then `key:stage:version`.
fn secret_ref_of(value_from: &str) -> SecretRef {
    let parts: Vec<&str> = value_from.split(':').collect();
    if parts.len() > 7 && parts.get(2) == Some(&"secretsmanager") {
        SecretRef {
            arn: parts[..7].join(":"),
            json_key: Some(parts[7]).filter(|k| !k.is_empty()).map(str::to_string),
        }
    } else {
        SecretRef {
            arn: value_from.to_string(),
            json_key: None,
        }
    }
}

fn volume(v: &EfsVolume) -> Result<Volume, ProviderError> {
    Ok(Volume::builder()
        .name(&v.name)
        .efs_volume_configuration(
            EfsVolumeConfiguration::builder()
                .file_system_id(&v.file_system_id)
                .transit_encryption(EfsTransitEncryption::Enabled)
                .authorization_config(
                    EfsAuthorizationConfig::builder()
                        .access_point_id(&v.access_point_id)
                        .iam(EfsAuthorizationConfigIam::Enabled)
                        .build(),
                )
                .build()
                .map_err(build_err)?,
        )
        .build())
}

fn volume_of(v: &Volume) -> Option<EfsVolume> {
    let efs = v.efs_volume_configuration()?;
    Some(EfsVolume {
        name: v.name()?.to_string(),
        file_system_id: efs.file_system_id().to_string(),
        access_point_id: efs
            .authorization_config()
            .and_then(|a| a.access_point_id())
            .unwrap_or_default()
            .to_string(),
    })
}

fn container_of(c: &AwsContainer) -> ContainerDefinition {
    let opt = |k: &str| {
        c.log_configuration()
            .and_then(|l| l.options())
            .and_then(|o| o.get(k))
            .cloned()
            .unwrap_or_default()
    };
    ContainerDefinition {
        name: c.name().unwrap_or_default().to_string(),
        image: c.image().unwrap_or_default().to_string(),
        command: c.command().to_vec(),
        essential: c.essential().unwrap_or(true),
        cpu: c.cpu(),
        memory_reservation: c.memory_reservation().unwrap_or_default(),
        port_mappings: c
            .port_mappings()
            .iter()
            .map(|p| PortMapping {
                container_port: p.container_port().unwrap_or_default(),
                protocol: p
                    .protocol()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "tcp".into()),
            })
            .collect(),
        environment: c
            .environment()
            .iter()
            .filter_map(|kv| {
                Some((
                    kv.name()?.to_string(),
                    kv.value().unwrap_or_default().to_string(),
                ))
            })
            .collect(),
        secrets: c
            .secrets()
            .iter()
            .map(|x| (x.name().to_string(), secret_ref_of(x.value_from())))
            .collect(),
        mount_points: c
            .mount_points()
            .iter()
            .map(|m| MountPoint {
                source_volume: m.source_volume().unwrap_or_default().to_string(),
                container_path: m.container_path().unwrap_or_default().to_string(),
                read_only: m.read_only().unwrap_or(false),
            })
            .collect(),
        health_check: c.health_check().map(|h| ContainerHealthCheck {
            command: h.command().to_vec(),
            interval_seconds: h.interval().unwrap_or(30),
            timeout_seconds: h.timeout().unwrap_or(5),
            retries: h.retries().unwrap_or(3),
            start_period_seconds: h.start_period().unwrap_or(0),
        }),
        readonly_root_filesystem: c.readonly_root_filesystem().unwrap_or(false),
        log_group: opt("awslogs-group"),
        log_region: opt("awslogs-region"),
        log_stream_prefix: opt("awslogs-stream-prefix"),
        depends_on: c
            .depends_on()
            .iter()
            .map(|d| ContainerDependency {
                container_name: d.container_name().to_string(),
                condition: d.condition().as_str().to_string(),
            })
            .collect(),
        environment_files: c
            .environment_files()
            .iter()
            .map(|f| env_file_of(f.value()))
            .collect(),
    }
}

/// The canonical props of a revision; `fallback` fills what the API did not
/// report (the emulator may omit the runtime platform).
fn props_of(
    td: &TaskDefinition,
    fallback: Option<&EcsTaskDefinition>,
) -> (EcsTaskDefinition, Vec<&'static str>) {
    let mut unread = Vec::new();
    let arch = match td.runtime_platform().and_then(|r| r.cpu_architecture()) {
        Some(a) => a.as_str().to_string(),
        None => {
            unread.push("cpu_architecture");
            fallback
                .map(|f| f.cpu_architecture.clone())
                .unwrap_or_default()
        }
    };
    let p = EcsTaskDefinition {
        family: td.family().unwrap_or_default().to_string(),
        cpu: td.cpu().and_then(|c| c.parse().ok()).unwrap_or_default(),
        memory: td.memory().and_then(|m| m.parse().ok()).unwrap_or_default(),
        execution_role_arn: td.execution_role_arn().unwrap_or_default().to_string(),
        task_role_arn: td.task_role_arn().unwrap_or_default().to_string(),
        cpu_architecture: arch,
        containers: td
            .container_definitions()
            .iter()
            .map(container_of)
            .collect(),
        volumes: td.volumes().iter().filter_map(volume_of).collect(),
    };
    (p, unread)
}

fn applied(td: &TaskDefinition) -> Applied {
    revision_outputs(
        td.task_definition_arn().unwrap_or_default(),
        td.family().unwrap_or_default().to_string(),
        td.revision().to_string(),
    )
}

/// A revision's outputs: its ARN, family and number, and the family's ARN
/// (without the revision: what a job's schedule or rule runs, the newest
/// active revision, so a deploy of new images needs no change to them) and
/// the pattern matching any of its revisions (what their role may run).
fn revision_outputs(arn: &str, family: String, revision: String) -> Applied {
    let family_arn = arn.rsplit_once(':').map_or(arn, |(f, _)| f).to_string();
    Applied {
        outputs: outputs([
            ("id", arn.to_string()),
            ("arn", arn.to_string()),
            ("family", family),
            ("revision", revision),
            ("any_revision_arn", format!("{family_arn}:*")),
            ("family_arn", family_arn),
        ]),
        id: arn.to_string(),
    }
}

/// Pages of the account's newest active revisions read before the
/// remaining families are listed one by one.
const NEWEST_PAGES: usize = 3;

/// The family in a task definition ARN (`...:task-definition/FAMILY:REV`).
fn family_of(arn: &str) -> Option<String> {
    let rest = arn.split_once(":task-definition/")?.1;
    Some(rest.rsplit_once(':').map(|(f, _)| f).unwrap_or(rest).to_string())
}


/// Outputs from the ARN alone (family and revision are in it).
fn applied_arn(arn: &str) -> Applied {
    let (family, revision) = arn
        .split_once(":task-definition/")
        .and_then(|(_, r)| r.rsplit_once(':'))
        .map(|(f, r)| (f.to_string(), r.to_string()))
        .unwrap_or_default();
    revision_outputs(arn, family, revision)
}

impl Provider {
    /// Which of `wanted` (revision ARNs) are ACTIVE. The account's active
    /// revisions, newest first, answer for a whole stack in one call on a
    /// typical account (Gantry's revisions are recent); after
    /// [`NEWEST_PAGES`] pages, the families still unanswered are listed one
    /// by one (`familyPrefix` takes a whole family name, not a prefix).
    async fn active_among(&self, wanted: &HashSet<String>) -> Result<HashSet<String>, ProviderError> {
        let mut found = HashSet::new();
        let mut token: Option<String> = None;
        for _ in 0..NEWEST_PAGES {
            let out = self
                .ctx
                .ecs()
                .list_task_definitions()
                .status(TaskDefinitionStatus::Active)
                .sort(aws_sdk_ecs::types::SortOrder::Desc)
                .max_results(100)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(Self::err)?;
            found.extend(
                out.task_definition_arns()
                    .iter()
                    .filter(|a| wanted.contains(*a))
                    .cloned(),
            );
            match out.next_token() {
                // The whole listing is read: what it lacks is not active.
                None => return Ok(found),
                Some(_) if found.len() == wanted.len() => return Ok(found),
                Some(t) => token = Some(t.to_string()),
            }
        }
        let families: BTreeSet<String> = wanted
            .iter()
            .filter(|a| !found.contains(*a))
            .filter_map(|a| family_of(a))
            .collect();
        for family in families {
            let arns: Vec<String> = self
                .ctx
                .ecs()
                .list_task_definitions()
                .family_prefix(&family)
                .status(TaskDefinitionStatus::Active)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(Self::err)?;
            found.extend(arns.into_iter().filter(|a| wanted.contains(a)));
        }
        Ok(found)
    }

    /// The revision if it exists and is still ACTIVE (a deregistered revision
    /// is gone as far as Gantry is concerned), with its tags.
    async fn describe(
        &self,
        arn: &str,
    ) -> Result<Option<(TaskDefinition, Vec<aws_sdk_ecs::types::Tag>)>, ProviderError> {
        let out = self
            .ctx
            .ecs()
            .describe_task_definition()
            .task_definition(arn)
            .include(TaskDefinitionField::Tags)
            .send()
            .await
            .map_err(Self::err);
        let out = match out {
            Err(e) if e.is_not_found() => return Ok(None),
            other => other?,
        };
        let tags = out.tags.unwrap_or_default();
        Ok(out
            .task_definition
            .filter(|td| td.status() != Some(&TaskDefinitionStatus::Inactive))
            .map(|td| (td, tags)))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = EcsTaskDefinition;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "ecs:task-definition", |a| arn::whole(a, "ecs", "task-definition/"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, EcsTaskDefinition>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(None);
        let containers = p
            .containers
            .iter()
            .map(container)
            .collect::<Result<Vec<_>, _>>()?;
        let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let out = self
            .ctx
            .ecs()
            .register_task_definition()
            .family(&p.family)
            .cpu(p.cpu.to_string())
            .memory(p.memory.to_string())
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .set_execution_role_arn(nonempty(&p.execution_role_arn))
            .set_task_role_arn(nonempty(&p.task_role_arn))
            .runtime_platform(
                RuntimePlatform::builder()
                    .cpu_architecture(CpuArchitecture::from(p.cpu_architecture.as_str()))
                    .operating_system_family(OsFamily::Linux)
                    .build(),
            )
            .set_container_definitions(Some(containers))
            .set_volumes(
                (!p.volumes.is_empty())
                    .then(|| p.volumes.iter().map(volume).collect::<Result<Vec<_>, _>>())
                    .transpose()?,
            )
            .set_tags(Some(ecs_tags(&tags)))
            .send()
            .await
            .map_err(Self::err)?;
        let td = out.task_definition.ok_or_else(|| {
            ProviderError::new("MissingId", "RegisterTaskDefinition returned nothing")
        })?;
        Ok(applied(&td))
    }

    async fn read(
        &self,
        items: &[Item<'_, EcsTaskDefinition>],
    ) -> Result<Vec<Seen<EcsTaskDefinition>>, ProviderError> {
        // A registered revision never changes: what was recorded is what
        // AWS has for as long as the revision is ACTIVE. A listing of active
        // revisions answers for all of them (there is no batch describe);
        // only a revision the state does not record is described.
        let wanted: HashSet<String> = items.iter().map(|i| i.id.to_string()).collect();
        let active = self.active_among(&wanted).await?;
        let unknown: Vec<String> = items
            .iter()
            .filter(|i| i.recorded.is_none() && active.contains(i.id))
            .map(|i| i.id.to_string())
            .collect();
        let mut out: Vec<Seen<EcsTaskDefinition>> = items
            .iter()
            .filter(|i| active.contains(i.id))
            .filter_map(|i| {
                let props = i.recorded.clone()?;
                Some(Seen::new(i.id, props, applied_arn(i.id).outputs))
            })
            .collect();
        out.extend(
            bounded(&self.ctx, "ecs", unknown, |id| async move {
                Ok(self.describe(&id).await?.map(|(td, _)| {
                    let (props, unread) = props_of(&td, None);
                    Seen {
                        id,
                        props,
                        unread,
                        outputs: applied(&td).outputs,
                    }
                }))
            })
            .await?
            .into_iter()
            .flatten(),
        );
        Ok(out)
    }

    async fn update(&self, req: Update<'_, EcsTaskDefinition>) -> Result<Applied, ProviderError> {
        let (td, _) = self.describe(req.id).await?.ok_or_else(|| {
            ProviderError::not_found(format!("task definition {} is gone", req.id))
        })?;
        Ok(applied(&td))
    }

    async fn delete(&self, req: Delete<'_, EcsTaskDefinition>) -> Result<(), ProviderError> {
        let r = self
            .ctx
            .ecs()
            .deregister_task_definition()
            .task_definition(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err);
        ignore_not_found(r)?;
        // Deregistered revisions linger as INACTIVE; deleting them is tidier
        // but not essential (and not every partition offers it).
        if let Err(e) = self
            .ctx
            .ecs()
            .delete_task_definitions()
            .task_definitions(req.id)
            .send()
            .await
        {
            req.warn(format!(
                "deregistered, but the INACTIVE revision could not be deleted: {}",
                Self::err(e)
            ));
        }
        Ok(())
    }

    async fn find(&self, req: Find<'_, EcsTaskDefinition>) -> Result<Option<Applied>, ProviderError> {
        let want = &req.props;
        let out = self
            .ctx
            .ecs()
            .list_task_definitions()
            .family_prefix(&want.family)
            .status(TaskDefinitionStatus::Active)
            .sort(aws_sdk_ecs::types::SortOrder::Desc)
            .send()
            .await
            .map_err(Self::err)?;
        // Newest first; only a revision with exactly the wanted content counts
        // (an older one tagged for the same address is being replaced).
        for arn in out.task_definition_arns().iter().take(20) {
            let Some((td, tags)) = self.describe(arn).await? else {
                continue;
            };
            if td.family() != Some(want.family.as_str())
                || !ecs_tags_match(&tags, req.tags, req.address)
            {
                continue;
            }
            if props_of(&td, Some(want)).0 == *want {
                return Ok(Some(applied(&td)));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_value_from_round_trips() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf";
        let with_key = SecretRef {
            arn: arn.into(),
            json_key: Some("password".into()),
        };
        assert_eq!(with_key.value_from(), format!("{arn}:password::"));
        assert_eq!(secret_ref_of(&with_key.value_from()), with_key);
        let whole = SecretRef {
            arn: arn.into(),
            json_key: None,
        };
        assert_eq!(secret_ref_of(&whole.value_from()), whole);
        let ssm = "arn:aws:ssm:us-east-1:123456789012:parameter/gantry/app/dev/x";
        assert_eq!(
            secret_ref_of(ssm),
            SecretRef {
                arn: ssm.into(),
                json_key: None
            }
        );
    }

    #[test]
    fn containers_round_trip() {
        // Through JSON, as gantry-core may add fields with serde defaults.
        let c: ContainerDefinition = serde_json::from_value(serde_json::json!({
            "name": "app",
            "image": "123.dkr.ecr.us-east-1.amazonaws.com/app:1",
            "command": ["serve", "--port", "8080"],
            "essential": true,
            "cpu": 256,
            "memory_reservation": 512,
            "port_mappings": [{"container_port": 8080, "protocol": "tcp"}],
            "environment": {"PORT": "8080"},
            "health_check": {
                "command": ["CMD-SHELL", "true"],
                "interval_seconds": 10,
                "timeout_seconds": 2,
                "retries": 5,
                "start_period_seconds": 30
            },
            "readonly_root_filesystem": true,
            "log_group": "/gantry/app",
            "log_region": "eu-west-1",
            "log_stream_prefix": "app",
            "depends_on": [{"container_name": "agent", "condition": "HEALTHY"}],
            "environment_files": [
                {"bucket_arn": "arn:aws:s3:::app-dev-config-0123456789ab", "key": "web/app.env"}
            ]
        }))
        .unwrap();
        assert_eq!(container_of(&container(&c).unwrap()), c);
    }
}
