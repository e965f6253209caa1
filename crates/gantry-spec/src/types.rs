//! The serde types of `gantry.yaml` (Spec v1), exactly as the user writes it.
//!
//! Every user-written scalar is wrapped in [`Sp`] so validation can point at
//! it; optional keys stay `Option` here and get their defaults in the model
//! layer, so "not written" and "written as the default" remain distinguishable
//! (overlays rely on that). `deny_unknown_fields` everywhere: a typo must be an
//! error, not a silently ignored key.

use crate::span::Sp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A Gantry application: `gantry.yaml`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Stack name: lowercase letters, digits and `-`, at most 20 characters.
    pub name: Sp<String>,
    /// AWS region, for example `us-east-1`.
    pub region: Sp<String>,
    /// The VPC and how tasks reach the internet.
    #[serde(default)]
    pub network: Network,
    /// Services by name; each is one Fargate task definition and ECS service.
    pub services: BTreeMap<Sp<String>, Service>,
    /// Per-environment overlays by environment name (`dev`, `prod`, ...).
    #[serde(default)]
    pub environments: BTreeMap<Sp<String>, Overlay>,
}

/// How tasks in private subnets reach the internet and AWS APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Egress {
    /// One NAT gateway shared by every AZ (cheap; one AZ failure cuts egress).
    Nat,
    /// One NAT gateway per AZ (highly available).
    NatPerAz,
    /// No NAT: VPC interface endpoints for ECR, Logs, Secrets Manager and an
    /// S3 gateway endpoint. Tasks cannot reach the rest of the internet.
    Endpoints,
    /// No egress at all from private subnets.
    None,
}

impl Egress {
    pub fn as_str(self) -> &'static str {
        match self {
            Egress::Nat => "nat",
            Egress::NatPerAz => "nat-per-az",
            Egress::Endpoints => "endpoints",
            Egress::None => "none",
        }
    }
}

/// Network settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// VPC CIDR, `/16` to `/24`. Default `10.0.0.0/16`.
    pub cidr: Option<Sp<String>>,
    /// Number of availability zones, 1 to 6. Default 2.
    pub azs: Option<Sp<u32>>,
    /// `nat` (default), `nat-per-az`, `endpoints` or `none`.
    pub egress: Option<Sp<Egress>>,
    /// Explicit subnet CIDRs, one per AZ per tier. Derived when omitted.
    pub subnets: Option<Subnets>,
}

/// Explicit subnet CIDRs per tier, in AZ order.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subnets {
    pub public: Vec<Sp<String>>,
    pub private: Vec<Sp<String>>,
}

/// Fargate capacity provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Capacity {
    Fargate,
    FargateSpot,
}

/// One service: a Fargate task (one or more containers sharing localhost).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384). Default 256.
    pub cpu: Option<Sp<u32>>,
    /// Task memory in MiB; must be a valid Fargate combination. Default 512.
    pub memory: Option<Sp<u32>>,
    /// Number of tasks. Default 1.
    pub desired_count: Option<Sp<u32>>,
    /// `fargate` (default) or `fargate-spot`.
    pub capacity: Option<Sp<Capacity>>,
    /// Containers by name (at least one).
    pub containers: BTreeMap<Sp<String>, Container>,
}

/// A container health check command: a shell string, or an exec list.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Command {
    Shell(String),
    Exec(Vec<String>),
}

/// Container health check (ECS `healthCheck`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// A string runs in a shell (`CMD-SHELL`); a list runs directly.
    pub command: Sp<Command>,
    /// Seconds between checks (5-300). Default 30.
    pub interval: Option<Sp<u32>>,
    /// Seconds before a check fails (2-60). Default 5.
    pub timeout: Option<Sp<u32>>,
    /// Failures before unhealthy (1-10). Default 3.
    pub retries: Option<Sp<u32>>,
    /// Grace seconds after start (0-300). Default 0.
    pub start_period: Option<Sp<u32>>,
}

/// One container of a task.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Container {
    /// A registry image, for example `public.ecr.aws/nginx/nginx:1.27-alpine`.
    pub image: Option<Sp<String>>,
    /// A directory to build an image from; Gantry creates an ECR repository.
    pub build: Option<Sp<String>>,
    /// Overrides the image's command (ECS `command`): the program and its
    /// arguments, as a list.
    #[serde(default)]
    pub command: Vec<Sp<String>>,
    /// The port the container listens on.
    pub port: Option<Sp<u32>>,
    /// CPU units reserved for this container. Default: an even share.
    pub cpu: Option<Sp<u32>>,
    /// Memory reservation in MiB. Default: an even share of what is left.
    pub memory: Option<Sp<u32>>,
    /// Plain environment variables.
    #[serde(default)]
    pub environment: BTreeMap<Sp<String>, Sp<String>>,
    pub health_check: Option<HealthCheck>,
    /// URL path patterns the load balancer sends to this container's port.
    #[serde(default)]
    pub routes: Vec<Sp<String>>,
    /// Load balancer health check path. Default `/`.
    pub health_path: Option<Sp<String>>,
    /// Containers of the same task that must start (or be healthy) first.
    #[serde(default)]
    pub depends_on: Vec<Sp<String>>,
    /// Mount the root filesystem read-only. Default false.
    pub readonly_root_filesystem: Option<Sp<bool>>,
    /// Stop the task when this container stops. Default true.
    pub essential: Option<Sp<bool>>,
}

/// What an environment changes.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    pub network: Option<NetworkOverlay>,
    #[serde(default)]
    pub services: BTreeMap<Sp<String>, ServiceOverlay>,
}

/// Network keys an environment may change.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkOverlay {
    pub azs: Option<Sp<u32>>,
    pub egress: Option<Sp<Egress>>,
}

/// Service keys an environment may change.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceOverlay {
    pub desired_count: Option<Sp<u32>>,
    pub cpu: Option<Sp<u32>>,
    pub memory: Option<Sp<u32>>,
    #[serde(default)]
    pub containers: BTreeMap<Sp<String>, ContainerOverlay>,
}

/// Container keys an environment may change. `environment` entries are
/// merged over the base ones.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainerOverlay {
    pub cpu: Option<Sp<u32>>,
    pub memory: Option<Sp<u32>>,
    pub image: Option<Sp<String>>,
    #[serde(default)]
    pub environment: BTreeMap<Sp<String>, Sp<String>>,
}
