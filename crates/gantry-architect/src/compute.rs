//! Running the containers: ECS cluster, log groups, IAM roles, ECR
//! repositories, task definitions and services.

use crate::common::Task;
use crate::data::ServiceWiring;
use crate::naming::{partition, short_name};
use crate::network::{ids, Net};
use crate::routing::Routing;
use crate::Graph;
use crate::{Deployed, DeployedImages};
use gantry_core::kinds::{self, *};
use gantry_core::{reference, Address, Resource};
use gantry_model::{Capacity, Container, Image, Model, Service};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

pub(crate) fn build(
    m: &Model,
    net: &Net,
    routing: &Routing,
    wiring: &BTreeMap<String, ServiceWiring>,
    deployed: &Deployed,
    g: &mut Graph,
) {
    let prefix = m.prefix();
    let cluster = g.add(Resource::new(
        kinds::ECS_CLUSTER,
        "main",
        &EcsCluster {
            name: prefix.clone(),
            container_insights: true,
        },
    ));
    for s in &m.services {
        let w = &wiring[&s.name];
        let d = deployed.services.get(&s.name);
        service(m, net, routing, w, &cluster, s, d, g);
    }
    for j in &m.jobs {
        // A job's images a deploy put in place are kept, as a service's.
        let d = deployed.services.get(j.name());
        let t = task(m, routing, &wiring[j.name()], &j.task, d, g);
        crate::jobs::build(m, net, routing, j, &cluster, &t, g);
    }
}

fn trust_ecs_tasks(
    name: String,
    description: String,
    inline_policies: BTreeMap<String, serde_json::Value>,
) -> IamRole {
    IamRole {
        name,
        description,
        assume_role_service: "ecs-tasks.amazonaws.com".into(),
        inline_policies,
        trust_policy: None,
    }
}

/// A service's or job's log group, ECR repositories, roles and task
/// definition.
pub(crate) fn task(
    m: &Model,
    routing: &Routing,
    w: &ServiceWiring,
    s: &Service,
    deployed: Option<&DeployedImages>,
    g: &mut Graph,
) -> Task {
    let prefix = m.prefix();
    let log_name = format!("{}{}", crate::common::log_group_prefix(m), s.name);
    let log_group = g.add(Resource::new(
        kinds::LOG_GROUP,
        &s.name,
        &LogGroup {
            name: log_name.clone(),
            retention_in_days: crate::common::retention(m, s.log_retention),
            // Encrypted with the stack's key when there is one (its policy
            // admits CloudWatch Logs for the stack's log groups).
            kms_key_id: crate::common::stack_key_arn(m),
        },
    ));

    let repos = repositories(m, s, g);

    let statements = execution_statements(m, s, w, &log_name, &repos);
    let exec_role = g.add(Resource::new(
        kinds::IAM_ROLE,
        &format!("{}-execution", s.name),
        &trust_ecs_tasks(
            short_name(&format!("{prefix}-{}-exec", s.name), 64),
            format!("ECS agent for service {}: pull images, write logs", s.name),
            BTreeMap::from([(
                "execution".to_string(),
                json!({"Version": "2012-10-17", "Statement": statements}),
            )]),
        ),
    ));
    let task_role = g.add(Resource::new(
        kinds::IAM_ROLE,
        &format!("{}-task", s.name),
        &trust_ecs_tasks(
            short_name(&format!("{prefix}-{}-task", s.name), 64),
            format!("Application code of service {}", s.name),
            task_policies(&w.task_statements, s),
        ),
    ));

    let parts = Parts {
        m,
        routing,
        w,
        s,
        deployed,
        repos: &repos,
        log_group: &log_group,
    };
    let containers = s
        .containers
        .iter()
        .map(|c| parts.container(c))
        .chain(
            (s.xray && s.container(gantry_model::XRAY_DAEMON_NAME).is_none())
                .then(|| xray_daemon(m, &log_group)),
        )
        .collect();
    let task = g.add(Resource::new(
        kinds::ECS_TASK_DEFINITION,
        &s.name,
        &EcsTaskDefinition {
            family: format!("{prefix}-{}", s.name),
            cpu: s.cpu as i32,
            memory: s.memory as i32,
            execution_role_arn: reference(&exec_role, "arn"),
            task_role_arn: reference(&task_role, "arn"),
            cpu_architecture: "X86_64".into(),
            containers,
            // Only volumes some container mounts.
            volumes: w
                .volumes
                .iter()
                .filter(|(name, _)| {
                    s.containers
                        .iter()
                        .any(|c| c.mounts.iter().any(|mt| &mt.volume == *name))
                })
                .map(|(_, (v, _))| v.clone())
                .collect(),
        },
    ));
    // A built image does not exist before the first deploy.
    let unbuilt = s
        .containers
        .iter()
        .filter(|c| {
            matches!(c.image, Image::Build(_))
                && !deployed.is_some_and(|d| d.images.contains_key(&c.name))
        })
        .map(|c| c.name.clone())
        .collect();
    Task {
        task,
        execution_role: exec_role,
        task_role,
        unbuilt,
    }
}

/// The execution role's statements: its log group, pulling its images
/// (its own repositories, and private ECR images named in `image:`), and
/// what its stores add (secrets to read at start).
fn execution_statements(
    m: &Model,
    s: &Service,
    w: &ServiceWiring,
    log_name: &str,
    repos: &BTreeMap<&str, Address>,
) -> Vec<serde_json::Value> {
    // The log group ARN is written out rather than referenced because ARNs
    // of log groups differ in whether they end in `:*`; the account is a
    // wildcard since the role can only be used in its own account anyway.
    let mut statements = vec![json!({
        "Sid": "WriteLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [format!("arn:{}:logs:{}:*:log-group:{log_name}:*", partition(&m.region), m.region)],
    })];
    // Private ECR images named in `image:` (this account's or another's)
    // are pulled with the execution role too: exactly those repositories.
    let named: BTreeSet<String> = s
        .containers
        .iter()
        .filter_map(|c| match &c.image {
            Image::Registry(i) => ecr_repository_arn(i),
            Image::Build(_) => None,
        })
        .collect();
    if !repos.is_empty() || !named.is_empty() {
        statements.push(json!({
            "Sid": "EcrAuth",
            "Effect": "Allow",
            "Action": ["ecr:GetAuthorizationToken"],
            "Resource": ["*"],
        }));
    }
    if !repos.is_empty() {
        statements.push(json!({
            "Sid": "PullOwnImages",
            "Effect": "Allow",
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
            "Resource": repos.values().map(|r| reference(r, "arn")).collect::<Vec<_>>(),
        }));
    }
    if !named.is_empty() {
        statements.push(json!({
            "Sid": "PullNamedImages",
            "Effect": "Allow",
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
            "Resource": named.into_iter().collect::<Vec<_>>(),
        }));
    }
    statements.extend(w.exec_statements.iter().cloned());
    statements
}

/// The ECR repository of each `build:` container. Repositories are
/// namespaced by environment: dev and prod are separate stacks, and
/// destroying one must not delete the other's images.
fn repositories<'s>(m: &Model, s: &'s Service, g: &mut Graph) -> BTreeMap<&'s str, Address> {
    let mut repos = BTreeMap::new();
    for c in &s.containers {
        if let Image::Build(_) = c.image {
            let repo = g.add(Resource::new(
                kinds::ECR_REPOSITORY,
                &format!("{}-{}", s.name, c.name),
                &EcrRepository {
                    name: format!("{}/{}/{}-{}", m.stack, m.env, s.name, c.name),
                    image_tag_mutability: "IMMUTABLE".into(),
                    scan_on_push: true,
                },
            ));
            repos.insert(c.name.as_str(), repo);
        }
    }
    repos
}

/// What each of a task's container definitions is made from.
struct Parts<'a> {
    m: &'a Model,
    routing: &'a Routing,
    w: &'a ServiceWiring,
    s: &'a Service,
    deployed: Option<&'a DeployedImages>,
    repos: &'a BTreeMap<&'a str, Address>,
    log_group: &'a Address,
}

impl Parts<'_> {
    /// Container `c` as ECS runs it: its image (as deployed), environment
    /// (its own, the internal hosts, what its stores inject, the X-Ray
    /// daemon's address), secrets, mounts, health check, logs and order.
    fn container(&self, c: &Container) -> ContainerDefinition {
        ContainerDefinition {
            name: c.name.clone(),
            image: image(c, self.repos, self.deployed),
            command: c.command.clone(),
            essential: c.essential,
            cpu: c.cpu as i32,
            memory_reservation: c.memory as i32,
            port_mappings: c
                .port
                .map(|p| PortMapping {
                    container_port: i32::from(p),
                    protocol: "tcp".into(),
                })
                .into_iter()
                .collect(),
            environment: c
                .environment
                .clone()
                .into_iter()
                .chain(self.routing.internal_hosts.clone())
                .chain(self.w.environment.clone())
                .chain(self.s.xray.then(|| {
                    (
                        "AWS_XRAY_DAEMON_ADDRESS".to_string(),
                        format!("127.0.0.1:{XRAY_DAEMON_PORT}"),
                    )
                }))
                .collect(),
            secrets: self.w.secrets.clone(),
            mount_points: c
                .mounts
                .iter()
                .map(|mt| MountPoint {
                    source_volume: mt.volume.clone(),
                    container_path: mt.path.clone(),
                    read_only: self.w.volumes.get(&mt.volume).is_some_and(|(_, ro)| *ro),
                })
                .collect(),
            health_check: c.health_check.as_ref().map(|h| ContainerHealthCheck {
                command: h.command.clone(),
                interval_seconds: h.interval as i32,
                timeout_seconds: h.timeout as i32,
                retries: h.retries as i32,
                start_period_seconds: h.start_period as i32,
            }),
            readonly_root_filesystem: c.readonly_root_filesystem,
            log_group: reference(self.log_group, "name"),
            log_region: self.m.region.clone(),
            log_stream_prefix: c.name.clone(),
            depends_on: c
                .depends_on
                .iter()
                .map(|d| ContainerDependency {
                    container_name: d.clone(),
                    // Wait for health when the dependency can report it.
                    condition: match self.s.container(d).and_then(|x| x.health_check.as_ref()) {
                        Some(_) => "HEALTHY".into(),
                        None => "START".into(),
                    },
                })
                .collect(),
            environment_files: c
                .env_files
                .iter()
                .map(|f| EnvironmentFile {
                    bucket_arn: self.w.env_file_buckets[&f.bucket].clone(),
                    key: f.key.clone(),
                })
                .collect(),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn service(
    m: &Model,
    net: &Net,
    routing: &Routing,
    w: &ServiceWiring,
    cluster: &Address,
    s: &Service,
    deployed: Option<&DeployedImages>,
    g: &mut Graph,
) {
    let Task { task, unbuilt, .. } = task(m, routing, w, s, deployed, g);
    let mut load_balancers: Vec<ServiceLoadBalancer> = routing
        .target_groups
        .iter()
        .filter(|((svc, _, _), _)| *svc == s.name)
        .filter_map(|((_, cname, _), tg)| {
            let c = s.container(cname)?;
            Some(ServiceLoadBalancer {
                target_group_arn: reference(tg, "arn"),
                container_name: c.name.clone(),
                container_port: i32::from(c.port.unwrap_or(80)),
            })
        })
        .collect();
    load_balancers.sort();
    let has_lb = !load_balancers.is_empty();
    // Tasks of an image not built yet could not start: the service waits
    // at zero until `deploy` brings it up.
    let desired_count = if unbuilt.is_empty() {
        s.desired_count as i32
    } else {
        0
    };
    let mut svc = Resource::new(
        kinds::ECS_SERVICE,
        &s.name,
        &EcsService {
            name: s.name.clone(),
            cluster_arn: reference(cluster, "arn"),
            task_definition_arn: reference(&task, "arn"),
            desired_count,
            subnet_ids: ids(&net.private_subnets),
            security_group_ids: routing.task_sgs(&s.name),
            assign_public_ip: false,
            load_balancers,
            circuit_breaker_enable: true,
            circuit_breaker_rollback: true,
            minimum_healthy_percent: 100,
            maximum_percent: 200,
            health_check_grace_period_seconds: if has_lb { 60 } else { 0 },
            capacity_provider: match s.capacity {
                Capacity::Fargate => "FARGATE".into(),
                Capacity::FargateSpot => "FARGATE_SPOT".into(),
            },
            enable_execute_command: s.exec,
            service_registries: routing
                .discovery
                .registries
                .get(&s.name)
                .map(|r| vec![reference(r, "arn")])
                .unwrap_or_default(),
        },
    )
    .with_depends_on(
        routing
            .listener_deps
            .get(&s.name)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            // Tasks cannot mount EFS before its mount targets exist.
            .chain(w.depends_on.iter().cloned()),
    );
    if !unbuilt.is_empty() {
        let scaled = if s.scaling.is_some() {
            "; its autoscaling stays suspended until the `gantry up` after that deploy"
        } else {
            ""
        };
        svc = svc.with_note(format!(
            "desired_count 0 until the first `gantry deploy --build` pushes an image for {}; that deploy brings it to {}{scaled}",
            unbuilt.join(", "),
            s.desired_count
        ));
    }
    // Under autoscaling the count is the scaler's once the service exists:
    // plan and up never set it back.
    if let Some(sc) = &s.scaling {
        svc = svc.keeping(&["desired_count"]);
        if unbuilt.is_empty() {
            svc = svc.with_note(format!(
                "desired_count {} at create only: Application Auto Scaling sets it from then on ({} to {} tasks), and plan leaves it",
                s.desired_count, sc.min, sc.max
            ));
        }
    }
    let svc = g.add(svc);
    // A service waiting for its first image keeps its scaler suspended: it
    // would start tasks that cannot pull.
    if let Some(sc) = &s.scaling {
        crate::scaling::build(m, routing, s, sc, !unbuilt.is_empty(), cluster, &svc, g);
    }
}

pub use gantry_model::XRAY_DAEMON_IMAGE;
/// Where the daemon listens for segments (UDP) and sampling calls (TCP).
pub const XRAY_DAEMON_PORT: i32 = 2000;

/// The X-Ray daemon sidecar of `tracing: xray` (unless the spec has a
/// container `xray-daemon` of its own): non-essential (the app keeps
/// running if it stops), a small reservation the model leaves out of the
/// containers' shares, UDP 2000 on the task's localhost, and its own log
/// stream.
fn xray_daemon(m: &Model, log_group: &Address) -> ContainerDefinition {
    ContainerDefinition {
        name: gantry_model::XRAY_DAEMON_NAME.to_string(),
        image: XRAY_DAEMON_IMAGE.to_string(),
        command: Vec::new(),
        essential: false,
        cpu: gantry_model::XRAY_DAEMON_CPU as i32,
        memory_reservation: gantry_model::XRAY_DAEMON_MEMORY as i32,
        port_mappings: vec![PortMapping {
            container_port: XRAY_DAEMON_PORT,
            protocol: "udp".into(),
        }],
        // The daemon finds its region here (Fargate has no EC2 metadata).
        environment: BTreeMap::from([("AWS_REGION".to_string(), m.region.clone())]),
        secrets: BTreeMap::new(),
        mount_points: Vec::new(),
        health_check: None,
        readonly_root_filesystem: true,
        log_group: reference(log_group, "name"),
        log_region: m.region.clone(),
        log_stream_prefix: gantry_model::XRAY_DAEMON_NAME.to_string(),
        depends_on: Vec::new(),
        environment_files: Vec::new(),
    }
}

/// A container's image: a registry image as the spec names it (or the one
/// deployed over it while the spec still names the same), a built one as
/// deployed, or, before the first deploy, its repository's URL (no tag).
fn image(
    c: &Container,
    repos: &BTreeMap<&str, Address>,
    deployed: Option<&DeployedImages>,
) -> String {
    let shipped = deployed.and_then(|d| d.images.get(&c.name));
    match &c.image {
        Image::Registry(i) => match (shipped, deployed.and_then(|d| d.overrides.get(&c.name))) {
            (Some(img), Some(over)) if over == i => img.clone(),
            _ => i.clone(),
        },
        Image::Build(_) => match shipped {
            Some(img) => img.clone(),
            None => reference(&repos[c.name.as_str()], "repository_url"),
        },
    }
}

/// The task role's inline policies: `data` for what `uses` grants, `app`
/// for the spec's own `policy:` statements, `exec` for ECS Exec (kept apart
/// so each reads on its own in IAM).
fn task_policies(uses: &[serde_json::Value], s: &Service) -> BTreeMap<String, serde_json::Value> {
    let mut out = BTreeMap::new();
    if !uses.is_empty() {
        out.insert(
            "data".to_string(),
            json!({"Version": "2012-10-17", "Statement": uses}),
        );
    }
    if !s.policy.is_empty() {
        let statements: Vec<serde_json::Value> = s
            .policy
            .iter()
            .enumerate()
            .map(|(i, st)| {
                json!({
                    "Sid": format!("App{i}"),
                    "Effect": "Allow",
                    "Action": st.actions,
                    "Resource": st.resources,
                })
            })
            .collect();
        out.insert(
            "app".to_string(),
            json!({"Version": "2012-10-17", "Statement": statements}),
        );
    }
    if s.xray {
        // What the AWS managed `AWSXRayDaemonWriteAccess` allows the
        // daemon. X-Ray has no resource-level permissions for these
        // actions, so the resource can only be `*`.
        out.insert(
            "tracing".to_string(),
            json!({"Version": "2012-10-17", "Statement": [{
                "Sid": "XRayDaemon",
                "Effect": "Allow",
                "Action": [
                    "xray:GetSamplingRules",
                    "xray:GetSamplingStatisticSummaries",
                    "xray:GetSamplingTargets",
                    "xray:PutTelemetryRecords",
                    "xray:PutTraceSegments",
                ],
                "Resource": ["*"],
            }]}),
        );
    }
    if s.exec {
        // The ECS agent opens these channels for the session; they have no
        // resource-level permissions.
        out.insert(
            "exec".to_string(),
            json!({"Version": "2012-10-17", "Statement": [{
                "Sid": "EcsExec",
                "Effect": "Allow",
                "Action": [
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                "Resource": ["*"],
            }]}),
        );
    }
    out
}

/// The repository ARN of a private ECR image reference
/// (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO[:TAG|@DIGEST]`); `None` for
/// other registries.
pub(crate) fn ecr_repository_arn(image: &str) -> Option<String> {
    let (host, path) = image.split_once('/')?;
    let mut parts = host.split('.');
    let (account, dkr, ecr, region) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let rest: Vec<&str> = parts.collect();
    let aws = rest == ["amazonaws", "com"] || rest == ["amazonaws", "com", "cn"];
    if dkr != "dkr"
        || ecr != "ecr"
        || !aws
        || account.len() != 12
        || !account.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let repo = path.split('@').next()?;
    // A tag follows the last `:`; a repository name has none.
    let repo = repo.rsplit_once(':').map_or(repo, |(r, _)| r);
    Some(format!(
        "arn:{}:ecr:{region}:{account}:repository/{repo}",
        partition(region)
    ))
}

#[cfg(test)]
mod tests {
    use super::ecr_repository_arn;

    #[test]
    fn private_ecr_images_name_their_repository() {
        assert_eq!(
            ecr_repository_arn("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:1.4.2")
                .as_deref(),
            Some("arn:aws:ecr:eu-west-1:123456789012:repository/team/api")
        );
        assert_eq!(
            ecr_repository_arn("123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:abc")
                .as_deref(),
            Some("arn:aws:ecr:us-east-1:123456789012:repository/api")
        );
        assert_eq!(
            ecr_repository_arn("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/api").as_deref(),
            Some("arn:aws-cn:ecr:cn-north-1:123456789012:repository/api")
        );
        assert_eq!(ecr_repository_arn("public.ecr.aws/nginx/nginx:1.27"), None);
        assert_eq!(ecr_repository_arn("nginx:1.27"), None);
        assert_eq!(ecr_repository_arn("ghcr.io/org/app:1"), None);
    }
}
