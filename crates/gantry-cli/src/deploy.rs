//! `gantry deploy` and `gantry rollback` as library calls: ship new images
//! (or an earlier release) to services without re-planning the stack,
//! follow each rollout until ECS decides it, and record every release in
//! the state, so `plan` keeps what was shipped (DESIGN rule 4) and `up`
//! never reverts it. Nothing here prints: progress goes to a [`Listener`].
//!
//! A shipment changes two resources per service and nothing else: a new
//! task definition revision (the recorded one with other images), and the
//! service pointed at it. Both go through the engine, journaled like any
//! apply, so a crash, a throttle or a lost reply is handled as in `up`.
//! The release is journaled first, in progress: a run killed at any point
//! leaves a state whose plan finishes the shipment, never one that undoes
//! it. The revision the service ran before stays registered (task
//! definitions keep three previous revisions), so ECS's circuit breaker can
//! return to it, and so can `gantry rollback`; an older release whose
//! revision is gone is registered again from its recorded definition.

use crate::build::{self, BuildError};
use crate::ops::{OpsError, Session, Workspace};
use gantry_aws::rollout::{Baseline, Follower, Observation, Verdict, Watch};
use gantry_aws::AwsContext;
use gantry_core::{kinds, reference, Address, DesiredGraph, Props, Resource};
use gantry_execute::{CancellationToken, Engine, Reporter, Summary};
use gantry_model::{Image, Service};
use gantry_state::{Deposed, Edit, Release, Rollout, State, Status};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Why a release ended rolled back when `gantry rollback` stopped it.
pub const STOPPED_BY_ROLLBACK: &str = "stopped by `gantry rollback`";
/// How long `deploy` and `rollback` follow a rollout unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Polls start this fast (a deploy's first events come within seconds)...
const FIRST_POLL: Duration = Duration::from_secs(1);
/// ...and slow down to this (ECS rollouts take minutes).
const MAX_POLL: Duration = Duration::from_secs(5);
/// Polls in a row that may fail (throttled past the SDK's retries, a
/// network blip) before following gives up.
const POLL_FAILURES: u32 = 10;

/// `--image [SERVICE/]CONTAINER=REF`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageArg {
    pub service: Option<String>,
    pub container: String,
    pub image: String,
}

impl std::fmt::Display for ImageArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(s) = &self.service {
            write!(f, "{s}/")?;
        }
        write!(f, "{}={}", self.container, self.image)
    }
}

impl std::str::FromStr for ImageArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, image) = s
            .split_once('=')
            .filter(|(n, i)| !n.is_empty() && !i.is_empty())
            .ok_or_else(|| format!("`{s}` is not CONTAINER=IMAGE (or SERVICE/CONTAINER=IMAGE)"))?;
        let (service, container) = match name.split_once('/') {
            Some((s, c)) => (Some(s.to_string()), c.to_string()),
            None => (None, name.to_string()),
        };
        Ok(ImageArg {
            service,
            container,
            image: image.to_string(),
        })
    }
}

/// What `gantry deploy` was asked to do.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// The services to ship to; empty: those the images and builds name.
    pub services: Vec<String>,
    pub images: Vec<ImageArg>,
    pub build: bool,
    /// Follow the rollouts (`--no-wait` turns this off).
    pub wait: bool,
    pub timeout: Duration,
}

/// How following ends.
#[derive(Debug, Clone, Copy)]
pub struct Follow {
    pub wait: bool,
    pub timeout: Duration,
}

/// What a deploy or rollback tells as it goes.
#[derive(Debug, Clone)]
pub enum DeployEvent {
    /// An image is being built from `context`.
    Building {
        service: String,
        container: String,
        image: String,
        context: String,
    },
    Pushed {
        service: String,
        container: String,
        image: String,
    },
    /// The service already runs what would be shipped.
    Unchanged {
        service: String,
    },
    /// A release is about to go out.
    Shipping {
        service: String,
        release: Release,
    },
    /// Its revision is registered and the service points at it.
    Updated {
        service: String,
        revision: String,
        desired: i64,
    },
    /// One poll of a followed rollout.
    Observed(Box<Observation>),
    /// A rollout ended (or following it did).
    Ended {
        service: String,
        outcome: Rollout,
        reason: Option<String>,
        elapsed: Duration,
    },
    Warning(String),
}

/// Receives a deploy's events.
pub trait Listener: Send + Sync {
    fn event(&self, e: DeployEvent);
}

/// Why a deploy or rollback could not start.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum DeployError {
    #[error("no service or job `{0}` in the spec")]
    #[diagnostic(code(gantry::deploy::unknown_service), help("services and jobs: {1}"))]
    UnknownService(String, String),
    #[error("job `{0}` has no rollout to roll back")]
    #[diagnostic(
        code(gantry::deploy::job_rollback),
        help("a job runs its newest revision: `gantry deploy {0} --image CONTAINER=REF` ships the image to go back to")
    )]
    JobRollback(String),
    #[error("service {service} has no container `{container}`")]
    #[diagnostic(
        code(gantry::deploy::unknown_container),
        help("its containers: {known}")
    )]
    UnknownContainer {
        service: String,
        container: String,
        known: String,
    },
    #[error("container `{0}` is in more than one service: {1}")]
    #[diagnostic(
        code(gantry::deploy::ambiguous),
        help("name the service too: --image SERVICE/CONTAINER=IMAGE")
    )]
    Ambiguous(String, String),
    #[error("nothing to deploy")]
    #[diagnostic(
        code(gantry::deploy::nothing),
        help("pass --build to build and push the `build:` containers, or --image CONTAINER=IMAGE for an image built elsewhere")
    )]
    Nothing,
    #[error("service {0} is not up yet")]
    #[diagnostic(
        code(gantry::deploy::not_up),
        help("run `gantry up` first: deploy ships images to services that exist")
    )]
    NotUp(String),
    #[error("container {service}/{container} has no image yet")]
    #[diagnostic(
        code(gantry::deploy::no_image),
        help(
            "it is built from its `build:` directory: pass --build, or --image {container}=IMAGE"
        )
    )]
    NoImage { service: String, container: String },
    #[error("service {0} has no release to roll back to")]
    #[diagnostic(
        code(gantry::rollback::nothing),
        help("`gantry deployments {0}` lists its releases; rollback returns to one shipped by `gantry deploy`")
    )]
    NoEarlier(String),
    #[error("service {service} has no release {number}")]
    #[diagnostic(code(gantry::rollback::unknown), help("its releases: {known}"))]
    UnknownRelease {
        service: String,
        number: u64,
        known: String,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Build(#[from] BuildError),
    #[error("{0}")]
    #[diagnostic(code(gantry::deploy::aws))]
    Aws(String),
}

impl From<DeployError> for OpsError {
    fn from(e: DeployError) -> Self {
        OpsError::Deploy(Box::new(e))
    }
}

/// One service's shipment: the release and how its revision comes about.
struct Shipment {
    service: String,
    td: Address,
    /// The ECS service; `None` for a job, which has none.
    svc: Option<Address>,
    release: Release,
    /// A registered revision to point the service at (a rollback to one
    /// still kept); otherwise these properties are registered.
    existing: Option<String>,
    desired: i64,
}

fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn millis(t: SystemTime) -> i64 {
    crate::logs::millis(t)
}

/// The containers' images in a task definition's recorded properties.
fn images_of(td: &Props) -> BTreeMap<String, String> {
    td.get("containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some((
                c.get("name")?.as_str()?.to_string(),
                c.get("image")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// `td` with each container's image from `images`.
fn with_images(td: &Props, images: &BTreeMap<String, String>) -> Props {
    let mut out = td.clone();
    if let Some(Value::Array(cs)) = out.get_mut("containers") {
        for c in cs {
            let name = c.get("name").and_then(Value::as_str).map(str::to_string);
            if let (Some(name), Some(obj)) = (name, c.as_object_mut()) {
                if let Some(img) = images.get(&name) {
                    obj.insert("image".into(), Value::String(img.clone()));
                }
            }
        }
    }
    out
}

/// The containers whose image `images` sets over the spec's registry
/// image (built containers have no spec image to override).
fn overrides_of(s: &Service, images: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    s.containers
        .iter()
        .filter_map(|c| match &c.image {
            Image::Registry(spec) if images.get(&c.name) != Some(spec) => {
                Some((c.name.clone(), spec.clone()))
            }
            _ => None,
        })
        .collect()
}

/// Records as a release each task definition revision an apply put in place
/// (a new service, or a spec change that made a revision), so `deployments`
/// lists it and `rollback` can return to it. `before` is the state the
/// apply started from. A `build:` service nothing was deployed to gets
/// none: its image is only a placeholder until its first deploy. A service
/// whose task definition is gone (destroyed, or dropped from the spec)
/// loses its history: none of its revisions is registered any more.
pub async fn record_applied(
    ws: &Workspace,
    session: &Session,
    before: &State,
) -> Result<(), OpsError> {
    let state = session.store.state();
    let by = session.lock.info().who;
    let mut edits = Vec::new();
    // Services and jobs alike: a job's release history is its revisions.
    for s in ws.model.tasks() {
        let (td, svc) = addresses(&s.name);
        let Some(now) = state.get(&td).filter(|r| r.status == Status::Ok) else {
            continue;
        };
        if before.get(&td).is_some_and(|b| b.id == now.id) {
            continue;
        }
        let placeholder = s
            .containers
            .iter()
            .any(|c| matches!(c.image, Image::Build(_)))
            && !ws.deployed.services.contains_key(&s.name);
        if placeholder {
            continue;
        }
        let images = images_of(&now.props);
        let desired = state
            .get(&svc)
            .and_then(|r| r.props.get("desired_count"))
            .and_then(Value::as_i64)
            .unwrap_or(i64::from(s.desired_count));
        edits.push(Edit::Release {
            service: s.name.clone(),
            release: Release {
                number: next_number(&state, &s.name),
                revision: now.id.clone(),
                overrides: overrides_of(s, &images),
                images,
                task_definition: now.props.clone(),
                desired_count: desired,
                at: now_rfc3339(),
                by: by.clone(),
                rollback_of: None,
                outcome: Rollout::NotFollowed,
                reason: Some("put in place by `gantry up`".into()),
            },
        });
    }
    for service in state.releases.keys() {
        if state.get(&addresses(service).0).is_none() {
            edits.push(Edit::Retire {
                service: service.clone(),
            });
        }
    }
    if !edits.is_empty() {
        session.store.edit(edits).await?;
    }
    Ok(())
}

fn next_number(state: &State, service: &str) -> u64 {
    state
        .releases
        .get(service)
        .and_then(|l| l.last())
        .map_or(1, |r| r.number + 1)
}

fn addresses(service: &str) -> (Address, Address) {
    (
        Address::of(kinds::ECS_TASK_DEFINITION, service),
        Address::of(kinds::ECS_SERVICE, service),
    )
}

/// The desired count a shipment asks for: what the service has under
/// autoscaling (the scaler's), else the spec's.
fn desired_count(ws: &Workspace, state: &State, s: &Service) -> i64 {
    let (_, svc) = addresses(&s.name);
    let scaled = ws
        .graph
        .get(&svc)
        .is_some_and(|r| r.keep.iter().any(|k| k == "desired_count"));
    let recorded = state
        .get(&svc)
        .and_then(|r| r.props.get("desired_count"))
        .and_then(Value::as_i64);
    match (scaled, recorded) {
        (true, Some(n)) => n,
        _ => i64::from(s.desired_count),
    }
}

/// Ships new images: builds and pushes what `--build` asks, registers a
/// revision of each service's task definition that differs in its images
/// only, points the service at it, and follows the rollouts in parallel.
/// Returns each service's release as it ended.
#[allow(clippy::too_many_arguments)]
pub async fn deploy(
    ctx: &AwsContext,
    ws: &mut Workspace,
    session: &Session,
    engine: &Engine,
    opts: &DeployOptions,
    listener: &dyn Listener,
    reporter: Arc<dyn Reporter>,
    cancel: &CancellationToken,
) -> Result<Vec<Release>, OpsError> {
    let started = SystemTime::now();
    engine.recover(&session.store, &*reporter).await?;
    let selected = select(ws, opts)?;
    // Jobs have a task definition and no ECS service.
    let jobs: BTreeSet<String> = ws.model.jobs.iter().map(|j| j.name().to_string()).collect();
    let is_job = |name: &str| jobs.contains(name);
    let addrs: Vec<Address> = selected
        .iter()
        .flat_map(|s| {
            let (a, b) = addresses(&s.name);
            if is_job(&s.name) {
                vec![a]
            } else {
                vec![a, b]
            }
        })
        .collect();
    let refreshed = engine
        .refresh_addresses(&session.store, &addrs, &*reporter)
        .await?;
    let state = session.store.state();
    ws.sync(&state)?;
    for s in &selected {
        let (td, svc) = addresses(&s.name);
        let gone = |a: &Address| matches!(refreshed.observed.get(a), Some(None));
        let svc_missing = !is_job(&s.name) && (state.get(&svc).is_none() || gone(&svc));
        if state.get(&td).is_none() || gone(&td) || svc_missing {
            return Err(DeployError::NotUp(s.name.clone()).into());
        }
    }
    let by = session.lock.info().who;
    let mut builder: Option<(build::Engine, BTreeSet<String>)> = None;
    let mut shipments = Vec::new();
    for s in &selected {
        let (td, svc) = addresses(&s.name);
        // What the plan wants now (releases kept, the spec's registry
        // images), then what this deploy changes.
        let mut images = ws
            .graph
            .get(&td)
            .map(|r| images_of(&r.props))
            .unwrap_or_default();
        for a in opts
            .images
            .iter()
            .filter(|a| owner(ws, a).ok() == Some(s.name.as_str()))
        {
            images.insert(a.container.clone(), a.image.clone());
        }
        if opts.build {
            for c in &s.containers {
                let Image::Build(dir) = &c.image else {
                    continue;
                };
                if opts
                    .images
                    .iter()
                    .any(|a| a.container == c.name && owner(ws, a).ok() == Some(s.name.as_str()))
                {
                    continue;
                }
                let image =
                    built_image(ctx, ws, &state, s, &c.name, dir, &mut builder, listener).await?;
                images.insert(c.name.clone(), image);
            }
        }
        for c in &s.containers {
            let unbuilt =
                |i: &String| !gantry_core::find_refs(&Value::String(i.clone())).is_empty();
            if images.get(&c.name).is_none_or(unbuilt) {
                return Err(DeployError::NoImage {
                    service: s.name.clone(),
                    container: c.name.clone(),
                }
                .into());
            }
        }
        let recorded = state.get(&td).expect("checked above");
        if images_of(&recorded.props) == images {
            listener.event(DeployEvent::Unchanged {
                service: s.name.clone(),
            });
            continue;
        }
        let overrides = overrides_of(s, &images);
        let job = is_job(&s.name);
        let desired = if job { 0 } else { desired_count(ws, &state, s) };
        shipments.push(Shipment {
            service: s.name.clone(),
            td,
            svc: (!job).then_some(svc),
            release: Release {
                number: next_number(&state, &s.name),
                revision: String::new(),
                task_definition: with_images(&recorded.props, &images),
                images,
                overrides,
                desired_count: desired,
                at: now_rfc3339(),
                by: by.clone(),
                rollback_of: None,
                outcome: Rollout::InProgress,
                reason: None,
            },
            existing: None,
            desired,
        });
    }
    let follow = Follow {
        wait: opts.wait,
        timeout: opts.timeout,
    };
    ship(
        ctx, session, engine, shipments, follow, started, listener, reporter, cancel,
    )
    .await
}

/// The services and jobs a deploy ships to: those named, or those its
/// images and builds name.
fn select(ws: &Workspace, opts: &DeployOptions) -> Result<Vec<Service>, OpsError> {
    let known = || {
        ws.model
            .tasks()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for n in &opts.services {
        if ws.model.tasks().all(|s| &s.name != n) {
            return Err(DeployError::UnknownService(n.clone(), known()).into());
        }
        names.insert(n);
    }
    let mut named_by_images: BTreeSet<&str> = BTreeSet::new();
    for a in &opts.images {
        named_by_images.insert(owner(ws, a)?);
    }
    if opts.services.is_empty() {
        names.extend(&named_by_images);
        if opts.build {
            names.extend(
                ws.model
                    .tasks()
                    .filter(|s| {
                        s.containers
                            .iter()
                            .any(|c| matches!(c.image, Image::Build(_)))
                    })
                    .map(|s| s.name.as_str()),
            );
        }
    } else if let Some(extra) = named_by_images.iter().find(|n| !names.contains(*n)) {
        return Err(DeployError::Aws(format!(
            "--image names a container of service {extra}, which is not among the services to deploy"
        ))
        .into());
    }
    if names.is_empty() {
        return Err(DeployError::Nothing.into());
    }
    Ok(ws
        .model
        .tasks()
        .filter(|s| names.contains(s.name.as_str()))
        .cloned()
        .collect())
}

/// The service an `--image` is for.
fn owner<'w>(ws: &'w Workspace, a: &ImageArg) -> Result<&'w str, DeployError> {
    let has = |s: &Service| s.containers.iter().any(|c| c.name == a.container);
    match &a.service {
        Some(name) => {
            let s = ws.model.tasks().find(|s| &s.name == name).ok_or_else(|| {
                DeployError::UnknownService(
                    name.clone(),
                    ws.model
                        .tasks()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })?;
            if !has(s) {
                return Err(DeployError::UnknownContainer {
                    service: name.clone(),
                    container: a.container.clone(),
                    known: s
                        .containers
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            Ok(&s.name)
        }
        None => {
            let owners: Vec<&Service> = ws.model.tasks().filter(|s| has(s)).collect();
            match owners.as_slice() {
                [s] => Ok(&s.name),
                [] => Err(DeployError::UnknownContainer {
                    service: "(any)".into(),
                    container: a.container.clone(),
                    known: ws
                        .model
                        .tasks()
                        .flat_map(|s| {
                            s.containers
                                .iter()
                                .map(move |c| format!("{}/{}", s.name, c.name))
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                }),
                many => Err(DeployError::Ambiguous(
                    a.container.clone(),
                    many.iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                )),
            }
        }
    }
}

/// Builds container `container` of `s` from `dir` and pushes it to its
/// repository, tagged with the git commit; an image already shipped under
/// that tag is not built again.
#[allow(clippy::too_many_arguments)]
async fn built_image(
    ctx: &AwsContext,
    ws: &Workspace,
    state: &State,
    s: &Service,
    container: &str,
    dir: &str,
    builder: &mut Option<(build::Engine, BTreeSet<String>)>,
    listener: &dyn Listener,
) -> Result<String, OpsError> {
    let repo = Address::of(kinds::ECR_REPOSITORY, &format!("{}-{container}", s.name));
    let url = state
        .output(&repo, "repository_url")
        .and_then(Value::as_str)
        .ok_or_else(|| DeployError::NotUp(s.name.clone()))?
        .to_string();
    let base = ws
        .spec_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    // `a/./app` reads as `a/app` in what deploy prints.
    let context: std::path::PathBuf = base
        .join(dir)
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    let image = format!(
        "{url}:{}",
        build::tag(&context, time::OffsetDateTime::now_utc())
    );
    let current = state
        .current_release(&s.name)
        .and_then(|r| r.images.get(container));
    if current == Some(&image) {
        return Ok(image);
    }
    if builder.is_none() {
        *builder = Some((
            build::Engine::detect().map_err(DeployError::from)?,
            BTreeSet::new(),
        ));
    }
    let (engine, logged_in) = builder.as_mut().expect("set above");
    let registry = build::registry_of(&url).to_string();
    if !logged_in.contains(&registry) {
        let login = gantry_aws::ecr::login(ctx)
            .await
            .map_err(|e| DeployError::Aws(format!("ECR GetAuthorizationToken: {e}")))?;
        let (e, r) = (engine.clone(), registry.clone());
        tokio::task::spawn_blocking(move || e.login(&r, &login.user, &login.password))
            .await
            .expect("login does not panic")
            .map_err(DeployError::from)?;
        logged_in.insert(registry);
    }
    listener.event(DeployEvent::Building {
        service: s.name.clone(),
        container: container.to_string(),
        image: image.clone(),
        context: context.display().to_string(),
    });
    let (e, img) = (engine.clone(), image.clone());
    tokio::task::spawn_blocking(move || {
        e.build(&context, &img)?;
        e.push(&img)
    })
    .await
    .expect("build does not panic")
    .map_err(DeployError::from)?;
    listener.event(DeployEvent::Pushed {
        service: s.name.clone(),
        container: container.to_string(),
        image: image.clone(),
    });
    Ok(image)
}

/// How a rollback went about it.
#[derive(Debug)]
pub enum Rollback {
    /// A rollout was in flight and ECS was told to roll it back: the
    /// release it was rolling out, ended rolled back when that worked.
    Stopped(Vec<Release>),
    /// An earlier release shipped again, as a new release.
    Shipped(Vec<Release>),
}

/// Returns a service to an earlier release: with no `to`, a rollout in
/// progress is stopped and rolled back by ECS (`StopServiceDeployment`),
/// or else the release before the current one goes out again. The
/// release's revision is used as it is while it is still registered, and
/// registered again from its recorded definition otherwise.
#[allow(clippy::too_many_arguments)]
pub async fn rollback(
    ctx: &AwsContext,
    ws: &mut Workspace,
    session: &Session,
    engine: &Engine,
    service: &str,
    to: Option<u64>,
    follow: Follow,
    listener: &dyn Listener,
    reporter: Arc<dyn Reporter>,
    cancel: &CancellationToken,
) -> Result<Rollback, OpsError> {
    let started = SystemTime::now();
    if ws.model.job(service).is_some() {
        return Err(DeployError::JobRollback(service.to_string()).into());
    }
    engine.recover(&session.store, &*reporter).await?;
    let s = ws
        .model
        .services
        .iter()
        .find(|s| s.name == service)
        .cloned()
        .ok_or_else(|| {
            DeployError::UnknownService(
                service.to_string(),
                ws.model
                    .services
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })?;
    let (td, svc) = addresses(service);
    engine
        .refresh_addresses(&session.store, &[td.clone(), svc.clone()], &*reporter)
        .await?;
    let state = session.store.state();
    ws.sync(&state)?;
    let (Some(td_rs), Some(svc_rs)) = (state.get(&td), state.get(&svc)) else {
        return Err(DeployError::NotUp(service.to_string()).into());
    };
    let cluster = svc_rs
        .props
        .get("cluster_arn")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if to.is_none() {
        let stopped = gantry_aws::rollout::stop_in_flight(ctx, &cluster, &svc_rs.id)
            .await
            .map_err(|e| DeployError::Aws(format!("{svc}: {e}")))?;
        if stopped.is_some() {
            // ECS returns the service to its last completed deployment.
            // The release being rolled out, when `deploy` shipped it (an
            // `up` may have started the rollout instead).
            let current = state
                .releases
                .get(service)
                .and_then(|l| l.last())
                .filter(|r| r.revision == td_rs.id)
                .cloned();
            let release = current.unwrap_or_else(|| Release {
                number: next_number(&state, service),
                revision: td_rs.id.clone(),
                images: images_of(&td_rs.props),
                overrides: BTreeMap::new(),
                task_definition: td_rs.props.clone(),
                desired_count: desired_count(ws, &state, &s),
                at: now_rfc3339(),
                by: session.lock.info().who,
                rollback_of: None,
                outcome: Rollout::InProgress,
                reason: None,
            });
            let watch = watch_of(&state, &svc, &td_rs.id, started);
            return follow_and_record(
                ctx,
                session,
                vec![(shipment_of(&s.name, release), watch)],
                Baseline::default(),
                Follow {
                    wait: true,
                    ..follow
                },
                listener,
                cancel,
                Some(STOPPED_BY_ROLLBACK),
            )
            .await
            .map(Rollback::Stopped);
        }
    }
    let history = state.releases.get(service).cloned().unwrap_or_default();
    let current = state.current_release(service).map(|r| r.number);
    let target = match to {
        Some(n) => history
            .iter()
            .find(|r| r.number == n)
            .cloned()
            .ok_or_else(|| DeployError::UnknownRelease {
                service: service.to_string(),
                number: n,
                known: history
                    .iter()
                    .map(|r| r.number.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?,
        None => history
            .iter()
            .rev()
            .filter(|r| Some(r.number) < current && !r.outcome.failed() && !r.revision.is_empty())
            .find(|r| {
                r.images
                    != state
                        .current_release(service)
                        .map(|c| c.images.clone())
                        .unwrap_or_default()
            })
            .cloned()
            .ok_or_else(|| DeployError::NoEarlier(service.to_string()))?,
    };
    let kept = td_rs.id == target.revision || td_rs.deposed.iter().any(|d| d.id == target.revision);
    let desired = desired_count(ws, &state, &s);
    let shipment = Shipment {
        service: service.to_string(),
        td,
        svc: Some(svc),
        release: Release {
            number: next_number(&state, service),
            revision: String::new(),
            images: target.images.clone(),
            overrides: target.overrides.clone(),
            task_definition: target.task_definition.clone(),
            desired_count: desired,
            at: now_rfc3339(),
            by: session.lock.info().who,
            rollback_of: Some(target.number),
            outcome: Rollout::InProgress,
            reason: None,
        },
        existing: kept.then(|| target.revision.clone()),
        desired,
    };
    ship(
        ctx,
        session,
        engine,
        vec![shipment],
        follow,
        started,
        listener,
        reporter,
        cancel,
    )
    .await
    .map(Rollback::Shipped)
}

fn shipment_of(service: &str, release: Release) -> Shipment {
    let (td, svc) = addresses(service);
    Shipment {
        service: service.to_string(),
        td,
        svc: Some(svc),
        desired: release.desired_count,
        release,
        existing: None,
    }
}

/// What to follow for a service rolling out `revision`.
fn watch_of(state: &State, svc: &Address, revision: &str, started: SystemTime) -> Watch {
    let rs = state.get(svc);
    let prop = |k: &str| {
        rs.and_then(|r| r.props.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Watch {
        cluster: prop("cluster_arn"),
        service: rs.map(|r| r.id.clone()).unwrap_or_default(),
        revision: revision.to_string(),
        target_groups: rs
            .and_then(|r| r.props.get("load_balancers"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|l| l.get("target_group_arn")?.as_str().map(str::to_string))
            .collect(),
        // AWS's clock and ours may differ by a little.
        since_ms: millis(started) - 2_000,
    }
}

/// Records the releases in progress, applies their revisions and service
/// updates through the engine, then follows and records how each ended.
#[allow(clippy::too_many_arguments)]
async fn ship(
    ctx: &AwsContext,
    session: &Session,
    engine: &Engine,
    shipments: Vec<Shipment>,
    follow: Follow,
    started: SystemTime,
    listener: &dyn Listener,
    reporter: Arc<dyn Reporter>,
    cancel: &CancellationToken,
) -> Result<Vec<Release>, OpsError> {
    if shipments.is_empty() {
        return Ok(Vec::new());
    }
    let store = &session.store;
    // The intent: a run that dies from here on leaves a plan that finishes it.
    let mut edits: Vec<Edit> = shipments
        .iter()
        .map(|sh| Edit::Release {
            service: sh.service.clone(),
            release: sh.release.clone(),
        })
        .collect();
    // A revision still registered is made the current one again.
    let state = store.state();
    for sh in shipments.iter().filter(|s| s.existing.is_some()) {
        edits.extend(settle_edits(
            &state,
            &sh.td,
            None,
            sh.existing.as_deref().unwrap_or_default(),
        ));
    }
    store.edit(edits).await?;
    let services: Vec<(String, String)> = shipments
        .iter()
        .filter_map(|sh| {
            let rs = state.get(sh.svc.as_ref()?)?;
            let cluster = rs.props.get("cluster_arn")?.as_str()?;
            Some((cluster.to_string(), rs.id.clone()))
        })
        .collect();
    let baseline = match Baseline::read(ctx, &services).await {
        Ok(b) => b,
        Err(e) => {
            listener.event(DeployEvent::Warning(format!(
                "reading the services before the deploy failed ({e}); \
                 events and stopped tasks of the seconds before it may show"
            )));
            Baseline::default()
        }
    };
    for sh in &shipments {
        listener.event(DeployEvent::Shipping {
            service: sh.service.clone(),
            release: sh.release.clone(),
        });
    }
    let state = store.state();
    let mut mini = DesiredGraph::new();
    let mut targets = BTreeSet::new();
    for sh in &shipments {
        // The new revision, unless the shipment reuses one still registered.
        if sh.existing.is_none() {
            let td = Resource::new(
                kinds::ECS_TASK_DEFINITION,
                &sh.service,
                &Value::Object(sh.release.task_definition.clone()),
            );
            add(&mut mini, td)?;
            targets.insert(sh.td.clone());
        }
        // A job: its new revision is all there is to ship.
        let Some(svc) = &sh.svc else {
            continue;
        };
        let svc_rs = state
            .get(svc)
            .ok_or_else(|| DeployError::NotUp(sh.service.clone()))?;
        let mut props = svc_rs.props.clone();
        let revision = match &sh.existing {
            Some(rev) => rev.clone(),
            None => reference(&sh.td, "arn"),
        };
        props.insert("task_definition_arn".into(), Value::String(revision));
        props.insert("desired_count".into(), Value::from(sh.desired));
        add(
            &mut mini,
            Resource::new(kinds::ECS_SERVICE, &sh.service, &Value::Object(props)),
        )?;
        targets.insert(svc.clone());
    }
    let plan = store
        .with_state(|s| gantry_plan::plan(&mini, s, &gantry_plan::Refreshed::none()))
        .map_err(gantry_execute::EngineError::from)?
        .only(&targets);
    let summary = engine.apply(&plan, &mini, store, reporter, cancel).await?;
    let state = store.state();
    let mut following = Vec::new();
    let mut ended = Vec::new();
    let mut edits = Vec::new();
    for mut sh in shipments {
        let failed = failure_of(&summary, &sh);
        let revision = state.get(&sh.td).map(|r| r.id.clone()).unwrap_or_default();
        if let Some(reason) = failed {
            // Whatever was registered, the service runs what its record says.
            let runs = sh
                .svc
                .as_ref()
                .and_then(|a| state.get(a))
                .and_then(|r| r.props.get("task_definition_arn"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            edits.extend(settle_edits(&state, &sh.td, None, &runs));
            sh.release.outcome = Rollout::Failed;
            sh.release.reason = Some(reason);
            edits.push(Edit::Release {
                service: sh.service.clone(),
                release: sh.release.clone(),
            });
            ended.push(sh.release);
            continue;
        }
        sh.release.revision = revision.clone();
        let Some(svc) = sh.svc.clone() else {
            // A job: registered is done; its next run starts the revision.
            sh.release.outcome = Rollout::Registered;
            edits.push(Edit::Release {
                service: sh.service.clone(),
                release: sh.release.clone(),
            });
            listener.event(DeployEvent::Updated {
                service: sh.service.clone(),
                revision: revision.clone(),
                desired: 0,
            });
            listener.event(DeployEvent::Ended {
                service: sh.service.clone(),
                outcome: Rollout::Registered,
                reason: None,
                elapsed: started.elapsed().unwrap_or_default(),
            });
            ended.push(sh.release);
            continue;
        };
        edits.push(Edit::Release {
            service: sh.service.clone(),
            release: sh.release.clone(),
        });
        listener.event(DeployEvent::Updated {
            service: sh.service.clone(),
            revision: revision.clone(),
            desired: sh.desired,
        });
        let watch = watch_of(&state, &svc, &revision, started);
        following.push((sh, watch));
    }
    store.edit(edits).await?;
    if summary.cancelled {
        for (sh, _) in following {
            ended.push(sh.release);
        }
        store.compact()?;
        return Ok(ended);
    }
    let mut rest = follow_and_record(
        ctx, session, following, baseline, follow, listener, cancel, None,
    )
    .await?;
    ended.append(&mut rest);
    Ok(ended)
}

fn add(g: &mut DesiredGraph, r: Resource) -> Result<(), OpsError> {
    g.add(r)
        .map(|_| ())
        .map_err(|e| OpsError::Architect(e.to_string()))
}

/// Why a shipment's operations failed (or did not run), if they did.
fn failure_of(summary: &Summary, sh: &Shipment) -> Option<String> {
    let ours = |a: &Address| *a == sh.td || Some(a) == sh.svc.as_ref();
    if let Some(f) = summary.failed.iter().find(|f| ours(&f.address)) {
        return Some(f.to_string());
    }
    summary
        .skipped
        .iter()
        .find(|s| ours(&s.address))
        .map(|s| match &s.because {
            Some(a) => format!("{} {} not attempted: {a} failed", s.op, s.address),
            None => format!("{} {} not attempted: interrupted", s.op, s.address),
        })
}

/// Makes `revision` the task definition recorded as current at `td` when
/// it is one of the kept revisions (the one it replaces joins them), and,
/// with `svc`, the revision the service's record points at.
fn settle_edits(state: &State, td: &Address, svc: Option<&Address>, revision: &str) -> Vec<Edit> {
    let mut out = Vec::new();
    if revision.is_empty() {
        return out;
    }
    if let Some(rs) = state.get(td).filter(|r| r.id != revision) {
        if let Some(i) = rs.deposed.iter().position(|d| d.id == revision) {
            let mut now = rs.clone();
            let back = now.deposed.remove(i);
            let replaced = Deposed {
                id: std::mem::replace(&mut now.id, back.id),
                props: std::mem::replace(&mut now.props, back.props),
                outputs: std::mem::replace(&mut now.outputs, back.outputs),
                dependencies: std::mem::replace(&mut now.dependencies, back.dependencies),
            };
            now.status = Status::Ok;
            now.deposed.push(replaced);
            out.push(Edit::Resource {
                address: td.clone(),
                resource: Some(now),
            });
        }
    }
    if let Some(rs) = svc.and_then(|a| state.get(a)) {
        if rs.props.get("task_definition_arn").and_then(Value::as_str) != Some(revision) {
            let mut now = rs.clone();
            now.props.insert(
                "task_definition_arn".into(),
                Value::String(revision.to_string()),
            );
            out.push(Edit::Resource {
                address: svc.expect("some").clone(),
                resource: Some(now),
            });
        }
    }
    out
}

/// Follows the rollouts until each is decided, the time is up or Ctrl-C,
/// recording each release's outcome as it ends. `stopped` is the reason
/// given to a rollout that ECS rolled back because it was asked to.
#[allow(clippy::too_many_arguments)]
async fn follow_and_record(
    ctx: &AwsContext,
    session: &Session,
    shipments: Vec<(Shipment, Watch)>,
    baseline: Baseline,
    follow: Follow,
    listener: &dyn Listener,
    cancel: &CancellationToken,
    stopped: Option<&str>,
) -> Result<Vec<Release>, OpsError> {
    let store = &session.store;
    let mut out = Vec::new();
    if !follow.wait {
        let mut edits = Vec::new();
        for (mut sh, _) in shipments {
            sh.release.outcome = Rollout::NotFollowed;
            edits.push(Edit::Release {
                service: sh.service.clone(),
                release: sh.release.clone(),
            });
            out.push(sh.release);
        }
        store.edit(edits).await?;
        store.compact()?;
        return Ok(out);
    }
    let began = Instant::now();
    let mut pending: BTreeMap<String, Shipment> = BTreeMap::new();
    let mut watches = Vec::new();
    for (sh, w) in shipments {
        pending.insert(w.service.clone(), sh);
        watches.push(w);
    }
    let mut follower = Follower::after(watches, baseline);
    let mut delay = FIRST_POLL;
    let mut failures = 0;
    let mut last: BTreeMap<String, Observation> = BTreeMap::new();
    while !pending.is_empty() {
        if began.elapsed() >= follow.timeout {
            break;
        }
        let polled = tokio::select! {
            _ = cancel.cancelled() => break,
            r = follower.poll(ctx) => r,
        };
        let observations = match polled {
            Ok(o) => {
                failures = 0;
                o
            }
            Err(e) => {
                failures += 1;
                listener.event(DeployEvent::Warning(format!(
                    "reading the rollout failed: {e}"
                )));
                if failures >= POLL_FAILURES {
                    break;
                }
                Vec::new()
            }
        };
        let mut edits = Vec::new();
        let state = store.state();
        for o in observations {
            listener.event(DeployEvent::Observed(Box::new(o.clone())));
            let done = match &o.verdict {
                Verdict::InProgress => None,
                Verdict::Completed => Some((Rollout::Completed, None, None)),
                Verdict::RolledBack { to, reason } => Some((
                    Rollout::RolledBack,
                    Some(stopped.map_or_else(|| reason.clone(), str::to_string)),
                    Some(to.clone()),
                )),
                Verdict::Failed { reason } => Some((Rollout::Failed, Some(reason.clone()), None)),
            };
            let service = o.service.clone();
            last.insert(service.clone(), o);
            let Some((outcome, reason, back_to)) = done else {
                continue;
            };
            let Some(mut sh) = pending.remove(&service) else {
                continue;
            };
            if let Some(to) = back_to {
                edits.extend(settle_edits(&state, &sh.td, sh.svc.as_ref(), &to));
            }
            sh.release.outcome = outcome;
            sh.release.reason = reason.clone();
            edits.push(Edit::Release {
                service: sh.service.clone(),
                release: sh.release.clone(),
            });
            listener.event(DeployEvent::Ended {
                service: sh.service.clone(),
                outcome,
                reason,
                elapsed: began.elapsed(),
            });
            out.push(sh.release);
        }
        if !edits.is_empty() {
            store.edit(edits).await?;
        }
        follower.retain(|w| pending.contains_key(&w.service));
        if pending.is_empty() {
            break;
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 3 / 2).min(MAX_POLL);
    }
    // What is left was still rolling out when following stopped.
    let mut edits = Vec::new();
    for (service, mut sh) in pending {
        let interrupted = cancel.is_cancelled();
        let waiting = last.get(&service).map(crate::render::rollout::waiting_for);
        sh.release.outcome = if interrupted {
            Rollout::InProgress
        } else {
            Rollout::TimedOut
        };
        sh.release.reason = Some(match (interrupted, waiting) {
            (true, _) => "stopped following (interrupted); ECS goes on rolling it out".to_string(),
            (false, Some(w)) => format!("still waiting for {w}"),
            (false, None) => "ECS did not report on it".to_string(),
        });
        listener.event(DeployEvent::Ended {
            service: sh.service.clone(),
            outcome: sh.release.outcome,
            reason: sh.release.reason.clone(),
            elapsed: began.elapsed(),
        });
        edits.push(Edit::Release {
            service: sh.service.clone(),
            release: sh.release.clone(),
        });
        out.push(sh.release);
    }
    if !edits.is_empty() {
        store.edit(edits).await?;
    }
    store.compact()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn image_args_name_a_container_and_maybe_its_service() {
        assert_eq!(
            "app=repo/app:1".parse::<ImageArg>().unwrap(),
            ImageArg {
                service: None,
                container: "app".into(),
                image: "repo/app:1".into()
            }
        );
        let a: ImageArg = "web/app=1.dkr.ecr.us-east-1.amazonaws.com/x@sha256:ab=cd"
            .parse()
            .unwrap();
        assert_eq!(a.service.as_deref(), Some("web"));
        assert_eq!(a.image, "1.dkr.ecr.us-east-1.amazonaws.com/x@sha256:ab=cd");
        assert!("app".parse::<ImageArg>().is_err());
        assert!("=x".parse::<ImageArg>().is_err());
    }

    #[test]
    fn a_new_revision_differs_in_its_images_only() {
        let td = json!({"family": "f", "cpu": 256, "containers": [
            {"name": "app", "image": "a:1", "environment": {"X": "1"}},
            {"name": "agent", "image": "b:1"}
        ]});
        let td = td.as_object().unwrap().clone();
        let images = BTreeMap::from([("app".to_string(), "a:2".to_string())]);
        let new = with_images(&td, &images);
        assert_eq!(images_of(&new)["app"], "a:2");
        assert_eq!(images_of(&new)["agent"], "b:1");
        let mut back = new.clone();
        back["containers"][0]["image"] = json!("a:1");
        assert_eq!(back, td);
    }

    #[test]
    fn settling_on_a_kept_revision_swaps_it_with_the_current_one() {
        let mut s = State::new("app", "dev");
        let (td, svc) = addresses("web");
        let rs = |id: &str| gantry_state::ResourceState {
            kind: kinds::ECS_TASK_DEFINITION.into(),
            id: id.into(),
            props: json!({"containers": [{"name": "app", "image": id}]})
                .as_object()
                .unwrap()
                .clone(),
            outputs: json!({"arn": id}).as_object().unwrap().clone(),
            dependencies: vec![],
            status: Status::Ok,
            deposed: vec![],
        };
        let mut current = rs("td:3");
        for id in ["td:1", "td:2"] {
            let d = rs(id);
            current.deposed.push(Deposed {
                id: d.id,
                props: d.props,
                outputs: d.outputs,
                dependencies: d.dependencies,
            });
        }
        s.resources.insert(td.clone(), current);
        let mut service = rs("svc");
        service.kind = kinds::ECS_SERVICE.into();
        service
            .props
            .insert("task_definition_arn".into(), json!("td:3"));
        s.resources.insert(svc.clone(), service);
        for e in settle_edits(&s, &td, Some(&svc), "td:2") {
            e.apply_to(&mut s);
        }
        let t = s.get(&td).unwrap();
        assert_eq!(t.id, "td:2");
        assert_eq!(t.outputs["arn"], "td:2");
        let kept: Vec<&str> = t.deposed.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(
            kept,
            ["td:1", "td:3"],
            "the replaced one is the newest kept"
        );
        assert_eq!(s.get(&svc).unwrap().props["task_definition_arn"], "td:2");
        // Already there, or not kept: nothing to record.
        assert!(settle_edits(&s, &td, Some(&svc), "td:2").is_empty());
        assert!(settle_edits(&s, &td, None, "td:9").is_empty());
    }
}
