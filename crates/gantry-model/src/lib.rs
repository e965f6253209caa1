//! The application model: what `gantry.yaml` means for one environment.
//!
//! [`Model::build`] applies an environment overlay to a validated spec and
//! fills in every default, so the architect never has to know what the user
//! left out. Pure and I/O-free; [`load`] is the one convenience that reads a
//! file, for the CLI.

pub use gantry_spec::{
    env_stem, Access, Capacity, Egress, StoreKind, XRAY_DAEMON_CPU, XRAY_DAEMON_IMAGE,
    XRAY_DAEMON_MEMORY, XRAY_DAEMON_NAME,
};
use gantry_spec::{Command, Spec, DEFAULT_CIDR, DEFAULT_ENV};

mod api;
mod ci;
mod edge;
mod jobs;
mod messaging;
mod ops;
mod platform;
mod preview;
mod state;
mod stores;
pub use api::*;
pub use ci::{GithubCi, GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST};
pub use edge::*;
use ipnet::Ipv4Net;
pub use jobs::*;
pub use messaging::*;
use miette::Diagnostic;
pub use ops::*;
pub use platform::{Auth, Email};
pub use preview::{check_preview_name, PreviewError};
use serde::Serialize;
pub use state::StateLocation;
use std::collections::BTreeMap;
use std::path::Path;
pub use stores::*;

/// Default task size: the smallest Fargate task.
pub const DEFAULT_CPU: u32 = 256;
pub const DEFAULT_MEMORY: u32 = 512;
pub const DEFAULT_AZS: u32 = 2;
/// Environment names treated as production (longer log retention, ...).
pub const PROD_ENVS: &[&str] = &["prod", "production"];

/// One environment of one application, with every default filled in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    pub stack: String,
    pub env: String,
    pub region: String,
    /// Where the state is kept (`state:`).
    pub state: StateLocation,
    pub network: Network,
    /// Services sorted by name.
    pub services: Vec<Service>,
    /// Jobs sorted by name.
    pub jobs: Vec<Job>,
    /// Data stores, secrets and parameters, each sorted by name.
    pub postgres: Vec<Postgres>,
    pub redis: Vec<Redis>,
    pub tables: Vec<Table>,
    pub buckets: Vec<Bucket>,
    pub volumes: Vec<Volume>,
    pub secrets: Vec<AppSecret>,
    pub parameters: Vec<Parameter>,
    /// SQS queues and SNS topics, each sorted by name.
    pub queues: Vec<Queue>,
    pub topics: Vec<Topic>,
    /// The Route53 zone; without it every load balancer serves plain HTTP.
    pub domain: Option<Domain>,
    /// Load balancers that some route uses, sorted by name.
    pub load_balancers: Vec<LoadBalancer>,
    /// The WAF settings; `None` when `waf.enabled: false`.
    pub waf: Option<Waf>,
    /// The static site behind CloudFront.
    pub site: Option<Site>,
    /// The API Gateway HTTP API, when the spec has `api`.
    pub api: Option<Api>,
    /// Email alerts and their alarms, when the spec has `alerts` on.
    pub alerts: Option<Alerts>,
    /// A CloudWatch dashboard of the stack's metrics.
    pub dashboard: bool,
    /// SES sending from a domain of the zone (`email:`).
    pub email: Option<Email>,
    /// The app's user sign-in (`auth:`).
    pub auth: Option<Auth>,
    /// GitHub Actions through OIDC, when the spec has `ci.github`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github: Option<GithubCi>,
    /// What the cost estimate assumes a month (`usage:`, else the defaults).
    #[serde(skip_serializing_if = "is_default_usage")]
    pub usage: gantry_spec::UsageProfile,
}

fn is_default_usage(u: &gantry_spec::UsageProfile) -> bool {
    *u == gantry_spec::UsageProfile::default()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Network {
    pub cidr: Ipv4Net,
    pub egress: Egress,
    /// A flow log of the VPC's traffic to CloudWatch Logs.
    pub flow_logs: bool,
    /// In AZ order (`{region}a`, `{region}b`, ...).
    pub azs: Vec<Az>,
    /// A public subnet in a second AZ for the load balancer alone, when the
    /// app runs in one AZ but has routes: an ALB needs two AZs.
    pub lb_extra_public: Option<PublicOnlyAz>,
    /// Data subnets (PostgreSQL, Redis) with their own route table and no
    /// internet route; empty without such stores. Two at least, even in a
    /// one-AZ network (RDS subnet groups span two AZs).
    pub data: Vec<DataSubnet>,
}

/// One data subnet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataSubnet {
    pub az: String,
    pub suffix: String,
    pub cidr: Ipv4Net,
}

/// An AZ holding only a public subnet (see [`Network::lb_extra_public`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicOnlyAz {
    pub name: String,
    pub suffix: String,
    pub public_cidr: Ipv4Net,
}

/// One availability zone and its subnets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Az {
    /// For example `us-east-1a`.
    pub name: String,
    /// The letter suffix, `a`, `b`, ...; used in resource names.
    pub suffix: String,
    pub public_cidr: Ipv4Net,
    pub private_cidr: Ipv4Net,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Service {
    pub name: String,
    pub cpu: u32,
    pub memory: u32,
    pub desired_count: u32,
    pub capacity: Capacity,
    /// What the service may use, in the order written.
    pub uses: Vec<Use>,
    /// Containers sorted by name.
    pub containers: Vec<Container>,
    /// Statements the spec adds to the task role (`policy:`).
    pub policy: Vec<PolicyStatement>,
    /// Days its log group keeps lines; `None`: the environment's default.
    pub log_retention: Option<u32>,
    /// ECS Exec into its tasks (`gantry exec`).
    pub exec: bool,
    /// Autoscaling of its task count; with it, the running count is the
    /// scaler's and `desired_count` only the first one.
    pub scaling: Option<Scaling>,
    /// X-Ray tracing (`tracing: xray`): Gantry's daemon sidecar, whose cpu
    /// and memory the containers' even shares leave out, unless a container
    /// named `xray-daemon` stands for it.
    pub xray: bool,
}

/// One Allow statement of a task role, from the spec's `policy:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyStatement {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

/// Where a container's image comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Image {
    /// A registry image used as is.
    Registry(String),
    /// A directory built by Gantry and pushed to the stack's ECR repository.
    Build(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Container {
    pub name: String,
    pub image: Image,
    /// Overrides the image's command; empty keeps the image's own.
    pub command: Vec<String>,
    pub port: Option<u16>,
    pub cpu: u32,
    /// Memory reservation in MiB.
    pub memory: u32,
    pub environment: BTreeMap<String, String>,
    pub health_check: Option<HealthCheck>,
    /// Routes from load balancers to this container (empty: not exposed).
    pub routes: Vec<Route>,
    pub health_path: String,
    pub depends_on: Vec<String>,
    pub readonly_root_filesystem: bool,
    pub essential: bool,
    /// Volumes mounted into the container, sorted by volume name.
    pub mounts: Vec<Mount>,
    /// Environment files loaded at start, in the order written.
    pub env_files: Vec<EnvFile>,
}

/// An environment file: an object of one of the stack's buckets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvFile {
    /// The bucket's store name.
    pub bucket: String,
    pub key: String,
}

/// A volume mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount {
    pub volume: String,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthCheck {
    /// ECS form: starts with `CMD` or `CMD-SHELL`.
    pub command: Vec<String>,
    pub interval: u32,
    pub timeout: u32,
    pub retries: u32,
    pub start_period: u32,
}

/// Why a model could not be built.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ModelError {
    #[error("unknown environment `{env}`")]
    #[diagnostic(
        code(gantry::model::unknown_env),
        help("known environments: {}; add `environments: {{ {env}: {{}} }}` to the spec to create it", known.join(", "))
    )]
    UnknownEnv { env: String, known: Vec<String> },
    /// The spec was not validated (built by hand) and holds a bad value.
    #[error("invalid spec: {0}")]
    #[diagnostic(code(gantry::model::invalid))]
    Invalid(String),
}

impl Model {
    /// The model of environment `env` of a validated spec.
    pub fn build(spec: &Spec, env: &str) -> Result<Model, ModelError> {
        let view = spec.for_env(env).ok_or_else(|| ModelError::UnknownEnv {
            env: env.to_string(),
            known: spec.environment_names(),
        })?;
        Model::from_view(&view, env)
    }

    /// The model of a spec already merged with its overlay, as environment
    /// `env` (a preview is one environment's view under another name).
    pub(crate) fn from_view(view: &Spec, env: &str) -> Result<Model, ModelError> {
        let view = view.clone();
        let prod = PROD_ENVS.contains(&env);
        let alerts = ops::alerts(&view);
        Ok(Model {
            stack: view.name.value.clone(),
            env: env.to_string(),
            region: view.region.value.clone(),
            state: StateLocation::from_spec(view.state.as_ref(), &view.region.value),
            network: network(&view)?,
            services: view
                .services
                .iter()
                .map(|(name, s)| service(&view, name, s))
                .collect(),
            jobs: view
                .jobs
                .iter()
                .map(|(name, j)| Job {
                    task: Service {
                        desired_count: 0,
                        ..service(&view, name, &j.as_service())
                    },
                    schedule: j.schedule.as_ref().map(|s| s.value.clone()),
                    timezone: j
                        .timezone
                        .as_ref()
                        .map_or_else(|| "UTC".to_string(), |t| t.value.clone()),
                    on: j.on.as_ref().map(|o| EventPattern {
                        source: o.source.clone(),
                        detail_type: o.detail_type.clone(),
                    }),
                    retries: j.retries.as_ref().map_or(DEFAULT_RETRIES, |r| r.value),
                })
                .collect(),
            postgres: stores::postgres(&view, prod),
            redis: stores::redis(&view),
            tables: stores::tables(&view),
            buckets: stores::buckets(&view),
            volumes: stores::volumes(&view),
            secrets: stores::secrets(&view),
            parameters: stores::parameters(&view),
            queues: messaging::queues(&view),
            topics: messaging::topics(&view),
            domain: edge::domain(&view),
            load_balancers: edge::load_balancers(&view),
            waf: edge::waf(&view),
            site: edge::site(&view),
            api: api::api(&view),
            dashboard: ops::dashboard(&view, alerts.is_some()),
            alerts,
            email: platform::email(&view),
            auth: platform::auth(&view, env, prod),
            github: ci::github(&view),
            usage: view.usage.clone().unwrap_or_default().profile(),
        })
    }

    /// Production environments keep logs longer.
    pub fn is_prod(&self) -> bool {
        PROD_ENVS.contains(&self.env.as_str())
    }

    /// `{stack}-{env}`: the prefix of every physical name.
    pub fn prefix(&self) -> String {
        format!("{}-{}", self.stack, self.env)
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// Whether anything needs the stack's KMS key.
    pub fn needs_key(&self) -> bool {
        !(self.postgres.is_empty()
            && self.redis.is_empty()
            && self.tables.is_empty()
            && self.buckets.is_empty()
            && self.volumes.is_empty()
            && self.secrets.is_empty()
            && !self.parameters.iter().any(|p| p.secure)
            && self.queues.is_empty()
            && self.topics.is_empty()
            && !self
                .jobs
                .iter()
                .any(|j| j.schedule.is_some() || j.on.is_some())
            && self.alerts.is_none())
    }

    /// Whether a load balancer serves HTTPS: there is a domain and it has
    /// host names.
    pub fn is_https(&self, lb: &LoadBalancer) -> bool {
        self.domain.is_some() && !lb.hosts.is_empty()
    }

    /// Whether `lb` is the API's load balancer (reachable only through the
    /// API's VPC link).
    pub fn is_api_lb(&self, lb: &str) -> bool {
        self.api.as_ref().is_some_and(|a| a.lb == lb)
    }

    pub fn load_balancer(&self, name: &str) -> Option<&LoadBalancer> {
        self.load_balancers.iter().find(|l| l.name == name)
    }

    /// What the user should hear about this environment's architecture
    /// although it is valid: plain HTTP on the internet, WAF turned off.
    /// The CLI prints these with `plan` and `up`.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for lb in self.load_balancers.iter().filter(|l| l.public) {
            if self.domain.is_none() {
                out.push(format!(
                    "load balancer `{}` serves plain HTTP: add `domain: {{zone: example.com}}` for HTTPS with a certificate",
                    lb.name
                ));
            } else if lb.hosts.is_empty() {
                out.push(format!(
                    "load balancer `{}` serves plain HTTP: give it `hosts:` in the zone for HTTPS",
                    lb.name
                ));
            }
            if !lb.waf {
                out.push(format!(
                    "internet-facing load balancer `{}` has no WAF (turned off in the spec)",
                    lb.name
                ));
            }
        }
        if let Some(site) = &self.site {
            if !site.waf {
                out.push(
                    "the site's CloudFront distribution has no WAF (turned off in the spec)"
                        .to_string(),
                );
            }
            if let Some(api) = &site.api {
                let https = self
                    .load_balancers
                    .iter()
                    .find(|l| l.name == api.lb)
                    .is_some_and(|l| self.is_https(l));
                if !https {
                    out.push(format!(
                        "CloudFront reaches load balancer `{}` over plain HTTP: give it `hosts:` in the domain for HTTPS to the origin",
                        api.lb
                    ));
                }
            }
        }
        for svc in &self.services {
            for st in &svc.policy {
                if st.resources.iter().any(|r| r == "*") {
                    out.push(format!(
                        "service `{}` may call {} on every resource (`*`): these actions have no resource-level permissions",
                        svc.name,
                        st.actions.join(", ")
                    ));
                }
            }
        }
        for b in self.buckets.iter().filter(|b| b.public) {
            out.push(format!(
                "bucket `{}` is public: anyone on the internet may read (s3:GetObject) every object in it",
                b.name
            ));
        }
        // Only worth saying when the user wants a WAF at all.
        if let (Some(api), Some(_)) = (&self.api, &self.waf) {
            out.push(format!(
                "the HTTP API has no WAF (API Gateway HTTP APIs cannot have one): only its throttling ({} requests/s, bursts of {}) limits it",
                api.rate_limit, api.burst_limit
            ));
        }
        out
    }

    /// Services, then jobs' tasks, that use `store`, each sorted by name,
    /// with how.
    pub fn users_of<'a>(&'a self, store: &'a str) -> impl Iterator<Item = (&'a Service, &'a Use)> {
        self.tasks()
            .filter_map(move |s| s.uses.iter().find(|u| u.name == store).map(|u| (s, u)))
    }

    /// Every task definition's service: the services, then the jobs' tasks.
    pub fn tasks(&self) -> impl Iterator<Item = &Service> {
        self.services
            .iter()
            .chain(self.jobs.iter().map(|j| &j.task))
    }

    pub fn job(&self, name: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.name() == name)
    }

    /// The services some service or job uses (`uses: [worker]`), sorted by
    /// name: these are registered for discovery.
    pub fn discovered(&self) -> impl Iterator<Item = &Service> {
        self.services
            .iter()
            .filter(|s| self.tasks().any(|t| t.uses_service(&s.name)))
    }

    /// The private DNS domain services are found in: `STACK-ENV.internal`.
    /// `.internal` is reserved for private use (ICANN, 2024), so it never
    /// resolves on the internet; the stack and environment make it unique
    /// to this VPC's stack, which finds it again by name after a crash.
    pub fn discovery_domain(&self) -> String {
        format!("{}.internal", self.prefix())
    }
}

impl Service {
    /// Whether it uses the service `name` (through discovery).
    pub fn uses_service(&self, name: &str) -> bool {
        self.uses
            .iter()
            .any(|u| u.kind == StoreKind::Service && u.name == name)
    }

    /// Its container ports, sorted: what a service using it may reach.
    pub fn ports(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self.containers.iter().filter_map(|c| c.port).collect();
        ports.sort_unstable();
        ports.dedup();
        ports
    }

    /// The port `NAME_PORT` gives its users: the first container's (by
    /// name) that has one.
    pub fn discovery_port(&self) -> Option<u16> {
        self.containers.iter().find_map(|c| c.port)
    }

    pub fn container(&self, name: &str) -> Option<&Container> {
        self.containers.iter().find(|c| c.name == name)
    }

    /// Containers the load balancer sends traffic to.
    pub fn routed(&self) -> impl Iterator<Item = &Container> {
        self.containers.iter().filter(|c| !c.routes.is_empty())
    }

    /// Whether any container is built by Gantry (needs ECR pull rights).
    pub fn has_builds(&self) -> bool {
        self.containers
            .iter()
            .any(|c| matches!(c.image, Image::Build(_)))
    }
}

/// Reads, validates and models `path` for `env`, as one rendered diagnostic.
pub fn load(path: impl AsRef<Path>, env: &str) -> Result<Model, miette::Report> {
    let spec = gantry_spec::load_file(path)?;
    Ok(Model::build(&spec, env)?)
}

/// The environment to use when the user names none.
pub fn default_env() -> &'static str {
    DEFAULT_ENV
}

fn network(spec: &Spec) -> Result<Network, ModelError> {
    let n = &spec.network;
    let cidr_text = n.cidr.as_ref().map_or(DEFAULT_CIDR, |c| c.value.as_str());
    let cidr: Ipv4Net = cidr_text
        .parse()
        .map_err(|_| ModelError::Invalid(format!("VPC CIDR `{cidr_text}`")))?;
    let count = n.azs.as_ref().map_or(DEFAULT_AZS, |a| a.value) as usize;
    if !(1..=6).contains(&count) {
        return Err(ModelError::Invalid(format!("{count} availability zones")));
    }
    let has_routes = spec
        .services
        .values()
        .flat_map(|s| s.containers.values())
        .any(|c| !c.routes.is_empty());
    let data_count = gantry_spec::data_subnets_needed(spec);
    let data_cidrs = match &n.subnets {
        Some(s) => parse_all(&s.data)?,
        None if data_count > 0 => derive_data_subnets(cidr, data_count)?,
        None => Vec::new(),
    };
    if data_cidrs.len() < data_count {
        return Err(ModelError::Invalid(format!(
            "fewer data subnets than the {data_count} needed"
        )));
    }
    let (public, private) = match &n.subnets {
        Some(s) => (parse_all(&s.public)?, parse_all(&s.private)?),
        None => {
            let (mut public, private) = derive_subnets(cidr, count)?;
            if has_routes && count == 1 {
                // Slot 1 is where AZ b's public subnet would go anyway.
                public.push(derive_subnets(cidr, 2)?.0[1]);
            }
            (public, private)
        }
    };
    if public.len() < count || private.len() < count {
        return Err(ModelError::Invalid(format!(
            "fewer subnets than {count} AZs"
        )));
    }
    let suffix_of = |i: usize| ((b'a' + i as u8) as char).to_string();
    let lb_extra_public = (has_routes && count == 1)
        .then(|| public.get(1))
        .flatten()
        .map(|cidr| PublicOnlyAz {
            name: format!("{}{}", spec.region.value, suffix_of(1)),
            suffix: suffix_of(1),
            public_cidr: *cidr,
        });
    let azs = (0..count)
        .map(|i| {
            let suffix = suffix_of(i);
            Az {
                name: format!("{}{suffix}", spec.region.value),
                suffix,
                public_cidr: public[i],
                private_cidr: private[i],
            }
        })
        .collect();
    let data = data_cidrs
        .iter()
        .take(data_count)
        .enumerate()
        .map(|(i, cidr)| DataSubnet {
            az: format!("{}{}", spec.region.value, suffix_of(i)),
            suffix: suffix_of(i),
            cidr: *cidr,
        })
        .collect();
    Ok(Network {
        cidr,
        egress: n.egress.as_ref().map_or(Egress::Nat, |e| e.value),
        flow_logs: n.flow_logs.as_ref().is_some_and(|f| f.value),
        azs,
        lb_extra_public,
        data,
    })
}

fn parse_all(list: &[gantry_spec::Sp<String>]) -> Result<Vec<Ipv4Net>, ModelError> {
    list.iter()
        .map(|s| {
            s.parse()
                .map_err(|_| ModelError::Invalid(format!("subnet CIDR `{}`", s.value)))
        })
        .collect()
}

/// Splits the VPC into 16 equal blocks (a /16 gives /20s of 4096 addresses):
/// public subnets take blocks 0..6, private ones 8..14, by AZ index. Fixed
/// slots mean adding an AZ never moves an existing subnet (which would force
/// its replacement), and blocks 6-7 and 14-15 stay free for later tiers.
pub fn derive_subnets(
    cidr: Ipv4Net,
    azs: usize,
) -> Result<(Vec<Ipv4Net>, Vec<Ipv4Net>), ModelError> {
    let blocks: Vec<Ipv4Net> = cidr
        .subnets(cidr.prefix_len() + 4)
        .map_err(|_| ModelError::Invalid(format!("VPC CIDR {cidr} is too small to split")))?
        .collect();
    if blocks.len() < 16 || azs > 6 {
        return Err(ModelError::Invalid(format!(
            "cannot fit {azs} AZs in {cidr}"
        )));
    }
    Ok((blocks[..azs].to_vec(), blocks[8..8 + azs].to_vec()))
}

/// Data subnets: blocks 14-15 of [`derive_subnets`] split eight ways (a
/// /16 gives /22s of 1024 addresses), taken by AZ index. Databases need few
/// addresses, and block 6-7 stay free for a later public-side tier.
pub fn derive_data_subnets(cidr: Ipv4Net, count: usize) -> Result<Vec<Ipv4Net>, ModelError> {
    let too_small =
        || ModelError::Invalid(format!("VPC CIDR {cidr} is too small for data subnets"));
    if count > 6 || cidr.prefix_len() > 22 {
        return Err(too_small());
    }
    let pair = cidr
        .subnets(cidr.prefix_len() + 3)
        .map_err(|_| too_small())?
        .nth(7)
        .ok_or_else(too_small)?;
    Ok(pair
        .subnets(pair.prefix_len() + 3)
        .map_err(|_| too_small())?
        .take(count)
        .collect())
}

fn service(spec: &Spec, name: &gantry_spec::Sp<String>, s: &gantry_spec::Service) -> Service {
    let xray = s.tracing.is_some();
    // Gantry's X-Ray sidecar's reservation is not the containers' to share
    // (unless a container of the spec stands for it).
    let (side_cpu, side_mem) = if xray && !s.containers.contains_key(gantry_spec::XRAY_DAEMON_NAME)
    {
        (
            gantry_spec::XRAY_DAEMON_CPU,
            gantry_spec::XRAY_DAEMON_MEMORY,
        )
    } else {
        (0, 0)
    };
    let cpu = s.cpu.as_ref().map_or(DEFAULT_CPU, |c| c.value);
    let memory = s.memory.as_ref().map_or(DEFAULT_MEMORY, |m| m.value);
    // Containers without an explicit size share what the others leave, so
    // every container has a memory reservation (ECS and the emulator need one).
    let share = |total: u32, explicit: Vec<Option<u32>>| -> u32 {
        let set: u32 = explicit.iter().flatten().sum();
        let unset = explicit.iter().filter(|v| v.is_none()).count() as u32;
        total.saturating_sub(set).checked_div(unset).unwrap_or(0)
    };
    let cpu_share = share(
        cpu.saturating_sub(side_cpu),
        s.containers
            .values()
            .map(|c| c.cpu.as_ref().map(|v| v.value))
            .collect(),
    );
    let mem_share = share(
        memory.saturating_sub(side_mem),
        s.containers
            .values()
            .map(|c| c.memory.as_ref().map(|v| v.value))
            .collect(),
    );
    let scaling = ops::scaling(s);
    Service {
        name: name.value.clone(),
        cpu,
        memory,
        // Under scaling, an unwritten first count is the nearest to 1 the
        // range allows.
        desired_count: s.desired_count.as_ref().map_or_else(
            || {
                scaling
                    .as_ref()
                    .map_or(1, |sc| 1.clamp(sc.min, sc.max.max(sc.min)))
            },
            |d| d.value,
        ),
        scaling,
        capacity: s.capacity.as_ref().map_or(Capacity::Fargate, |c| c.value),
        policy: s
            .policy
            .iter()
            .map(|st| PolicyStatement {
                actions: st.actions.iter().map(|a| a.value.clone()).collect(),
                resources: st.resources.iter().map(|r| r.value.clone()).collect(),
            })
            .collect(),
        log_retention: s.log_retention.as_ref().map(|r| r.value),
        exec: s.exec.as_ref().is_some_and(|e| e.value),
        xray,
        uses: s
            .uses
            .iter()
            .filter_map(|u| {
                Some(Use {
                    name: u.value.name().to_string(),
                    kind: spec.store_kind(u.value.name())?,
                    access: u.value.access(),
                })
            })
            .collect(),
        containers: s
            .containers
            .iter()
            .map(|(cname, c)| Container {
                name: cname.value.clone(),
                image: match (&c.image, &c.build) {
                    (Some(i), _) => Image::Registry(i.value.clone()),
                    (None, Some(b)) => Image::Build(b.value.clone()),
                    (None, None) => Image::Registry(String::new()),
                },
                command: c.command.iter().map(|a| a.value.clone()).collect(),
                port: c.port.as_ref().map(|p| p.value as u16),
                cpu: c.cpu.as_ref().map_or(cpu_share, |v| v.value),
                memory: c.memory.as_ref().map_or(mem_share, |v| v.value),
                environment: c
                    .environment
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.value.clone()))
                    .collect(),
                health_check: c.health_check.as_ref().map(|h| HealthCheck {
                    command: match &h.command.value {
                        Command::Shell(s) => vec!["CMD-SHELL".to_string(), s.clone()],
                        Command::Exec(v)
                            if matches!(
                                v.first().map(String::as_str),
                                Some("CMD" | "CMD-SHELL")
                            ) =>
                        {
                            v.clone()
                        }
                        Command::Exec(v) => std::iter::once("CMD".to_string())
                            .chain(v.iter().cloned())
                            .collect(),
                    },
                    interval: h.interval.as_ref().map_or(30, |v| v.value),
                    timeout: h.timeout.as_ref().map_or(5, |v| v.value),
                    retries: h.retries.as_ref().map_or(3, |v| v.value),
                    start_period: h.start_period.as_ref().map_or(0, |v| v.value),
                }),
                routes: edge::routes(spec, c),
                health_path: c
                    .health_path
                    .as_ref()
                    .map_or_else(|| "/".to_string(), |h| h.value.clone()),
                depends_on: c.depends_on.iter().map(|d| d.value.clone()).collect(),
                readonly_root_filesystem: c
                    .readonly_root_filesystem
                    .as_ref()
                    .is_some_and(|v| v.value),
                essential: c.essential.as_ref().is_none_or(|v| v.value),
                mounts: c
                    .mounts
                    .iter()
                    .map(|(v, p)| Mount {
                        volume: v.value.clone(),
                        path: p.value.clone(),
                    })
                    .collect(),
                env_files: c
                    .env_files
                    .iter()
                    .map(|f| EnvFile {
                        bucket: f.bucket.value.clone(),
                        key: f.key.value.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}
