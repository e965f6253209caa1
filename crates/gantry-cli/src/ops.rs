//! What each command does, as library calls that return data: load the
//! workspace, connect to AWS, lock and open the state, recover, refresh and
//! plan. Nothing here prints; commands render the results.

use crate::cli::Global;
use gantry_architect::{Deployed, DeployedImages};
use gantry_aws::AwsContext;
use gantry_core::{Address, DesiredGraph, StackTags};
use gantry_execute::{Engine, Limits, Reporter};
use gantry_model::{Model, StateLocation};
use gantry_plan::Plan;
use gantry_state::{Backend, StateError, StateLock, Store};
use miette::Diagnostic;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long a lock stays valid without renewal, unless
/// `GANTRY_LOCK_LEASE_SECS` says otherwise. The holder renews it every third
/// of this, so only a dead (or stopped) holder's lock ever expires.
pub const LOCK_LEASE: Duration = Duration::from_secs(60);

/// The environment variable that sets the lease, in whole seconds (tests
/// use a short one to exercise takeovers).
pub const LOCK_LEASE_ENV: &str = "GANTRY_LOCK_LEASE_SECS";

/// The lease for locks this process takes: `GANTRY_LOCK_LEASE_SECS`, or
/// [`LOCK_LEASE`].
pub fn lock_lease() -> Result<Duration, OpsError> {
    match std::env::var(LOCK_LEASE_ENV) {
        Err(_) => Ok(LOCK_LEASE),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n >= 1 => Ok(Duration::from_secs(n)),
            _ => Err(OpsError::LeaseEnv(v)),
        },
    }
}

/// Errors of the operations, as user-facing diagnostics.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum OpsError {
    #[error("{0}")]
    #[diagnostic(
        code(gantry::locked),
        help("wait for that run to finish; if it crashed, it is taken over once its lease expires, or run `gantry unlock`")
    )]
    Locked(String),
    /// The run's lock was taken over (or removed) while it ran: it stopped
    /// writing. Exit code [`crate::exit::LOCK_LOST`].
    #[error("{0}")]
    #[diagnostic(
        code(gantry::lock_lost),
        help("another run owns the state now, and this one wrote nothing after losing it; once that run is done, `gantry plan` shows where the stack stands")
    )]
    LockLost(String),
    #[error("{LOCK_LEASE_ENV}={0:?} is not a whole number of seconds (at least 1)")]
    #[diagnostic(code(gantry::config))]
    LeaseEnv(String),
    #[error(transparent)]
    #[diagnostic(code(gantry::state))]
    State(StateError),
    #[error("could not connect to AWS: {0}")]
    #[diagnostic(
        code(gantry::aws),
        help("credentials and region come from the standard AWS chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...); AWS_ENDPOINT_URL selects another endpoint")
    )]
    Connect(String),
    #[error(transparent)]
    #[diagnostic(code(gantry::engine))]
    Engine(gantry_execute::EngineError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Deploy(Box<crate::deploy::DeployError>),
    #[error("the architecture could not be generated: {0}")]
    #[diagnostic(code(gantry::architect))]
    Architect(String),
    #[error(transparent)]
    #[diagnostic(code(gantry::import))]
    Import(gantry_execute::ImportError),
    /// The endpoint, the credentials or STS failed the checks a run makes
    /// before its first AWS call ([`preflight`]).
    #[error("{message}")]
    #[diagnostic(code(gantry::preflight), help("{help}"))]
    Preflight { message: String, help: String },
    #[error("{0}")]
    #[diagnostic(
        code(gantry::state_location),
        help("`--state` takes `local` or `s3://BUCKET[/PREFIX]`; the spec's `state:` is described in docs/spec.md")
    )]
    StateLocation(String),
}

impl From<gantry_execute::ImportError> for OpsError {
    fn from(e: gantry_execute::ImportError) -> Self {
        match e {
            gantry_execute::ImportError::Engine(e) => OpsError::from(e),
            other => OpsError::Import(other),
        }
    }
}

impl From<StateError> for OpsError {
    fn from(e: StateError) -> Self {
        match e {
            StateError::Locked(_) => OpsError::Locked(e.to_string()),
            StateError::Fenced { .. } | StateError::LockLost { .. } => {
                OpsError::LockLost(e.to_string())
            }
            other => OpsError::State(other),
        }
    }
}

impl From<gantry_execute::EngineError> for OpsError {
    /// State errors keep their own kind (a lost lock is not an engine
    /// failure: it has its own message and exit code).
    fn from(e: gantry_execute::EngineError) -> Self {
        match e {
            gantry_execute::EngineError::State(s) => OpsError::from(s),
            other => OpsError::Engine(other),
        }
    }
}

/// A loaded spec: the model for one environment, its desired resources and
/// where its state lives.
pub struct Workspace {
    pub spec_path: PathBuf,
    pub model: Model,
    /// The desired graph, keeping the images `deploy` put in place.
    pub graph: DesiredGraph,
    /// Where the state is kept: `--state`, else the spec's `state:`.
    pub location: StateLocation,
    /// The state of this stack and environment there.
    pub backend: Backend,
    /// The images of each service's current release, as the graph keeps them.
    pub deployed: Deployed,
    /// For a preview environment: the environment it is built from.
    pub preview_from: Option<String>,
    /// A preview's expiry, tagged on what this run creates
    /// (`gantry:expires-at`).
    pub expires_at: Option<time::OffsetDateTime>,
}

impl Workspace {
    /// Parses, validates and models the spec, then generates the desired
    /// resource graph with the images the recorded releases put in place
    /// (read without the lock; [`Session::open`] reads them again under
    /// it). Spec errors come back as rendered diagnostics with
    /// `file:line:col`.
    pub fn load(global: &Global) -> miette::Result<Workspace> {
        Workspace::load_as(global, None)
    }

    /// [`Workspace::load`], with `from`: environment `-e` as a preview of
    /// environment `from` (`gantry up -e pr-42 --from dev`). Without it, an
    /// environment the spec lacks is looked up among the recorded previews.
    pub fn load_as(global: &Global, from: Option<&str>) -> miette::Result<Workspace> {
        let spec = gantry_spec::load_file(&global.file)?;
        let env = global.env.as_deref().unwrap_or(gantry_model::default_env());
        let (mut model, preview_from) = match from {
            Some(f) => (Model::build_preview(&spec, env, f)?, Some(f.to_string())),
            None if spec.environment_names().iter().any(|e| e == env) => {
                (Model::build(&spec, env)?, None)
            }
            None => {
                let rec = recorded_preview(global, &spec, env)?;
                (Model::build_preview(&spec, env, &rec.from)?, Some(rec.from))
            }
        };
        let location = match &global.state {
            Some(s) => StateLocation::parse(s, &model.region).map_err(OpsError::StateLocation)?,
            None => model.state.clone(),
        };
        // The architecture follows where the state really is (the CI roles
        // may read and write exactly that).
        model.state = location.clone();
        let backend = backend(&location, &global.file, &model, global.state_dir.as_deref());
        // A state that cannot be read fails the commands that need it, later.
        // A remote one is not read here: `validate` and `graph` stay off
        // the network, and `Session::open` reads it under the lock.
        let deployed = match &backend {
            Backend::Local(_) => backend
                .read_state(&model.stack, &model.env)
                .map(|s| deployed(&s))
                .unwrap_or_default(),
            Backend::Remote(_) => Deployed::default(),
        };
        let graph = architect(&model, &deployed)?;
        Ok(Workspace {
            spec_path: global.file.clone(),
            model,
            graph,
            location,
            backend,
            deployed,
            preview_from,
            expires_at: None,
        })
    }

    /// The current state (snapshot plus journal), read without the lock.
    pub fn read_state(&self) -> Result<gantry_state::State, StateError> {
        self.backend.read_state(&self.model.stack, &self.model.env)
    }

    /// Makes the graph keep the releases `state` records, when they are not
    /// the ones it was made with.
    pub fn sync(&mut self, state: &gantry_state::State) -> Result<(), OpsError> {
        let now = deployed(state);
        if now != self.deployed {
            self.graph = architect(&self.model, &now)?;
            self.deployed = now;
        }
        Ok(())
    }

    pub fn tags(&self) -> StackTags {
        let mut t = StackTags::new(&self.model.stack, &self.model.env);
        if let Some(at) = self.expires_at {
            t.extra
                .insert(StackTags::EXPIRES_AT.to_string(), rfc3339(at));
        }
        t
    }

    /// `stack/env`, for messages.
    pub fn label(&self) -> String {
        format!("{}/{}", self.model.stack, self.model.env)
    }
}

fn architect(model: &Model, deployed: &Deployed) -> Result<DesiredGraph, OpsError> {
    gantry_architect::architect_with(model, deployed)
        .map_err(|e| OpsError::Architect(e.to_string()))
}

/// The images each service's current release (the newest that did not
/// fail) put in place.
pub fn deployed(state: &gantry_state::State) -> Deployed {
    let mut out = Deployed::default();
    for service in state.releases.keys() {
        if let Some(r) = state.current_release(service) {
            out.services.insert(
                service.clone(),
                DeployedImages {
                    images: r.images.clone(),
                    overrides: r.overrides.clone(),
                },
            );
        }
    }
    out
}

/// Parses, validates and models the spec for the selected environment.
/// A time as RFC 3339 (UTC, whole seconds).
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The record of preview `env`, or why `env` is neither an environment of
/// the spec nor a recorded preview.
fn recorded_preview(
    global: &Global,
    spec: &gantry_spec::Spec,
    env: &str,
) -> miette::Result<gantry_state::PreviewRecord> {
    let unknown = || {
        miette::miette!(
            code = "gantry::model::unknown_env",
            help = format!(
                "known environments: {}; a preview environment is made with `gantry up -e {env} --from {}`",
                spec.environment_names().join(", "),
                gantry_model::default_env()
            ),
            "unknown environment `{env}` (not in the spec, and no preview of that name is recorded)"
        )
    };
    if gantry_model::check_preview_name(spec, env).is_err() {
        return Err(unknown());
    }
    // Where its state would be: the default environment's model, renamed.
    let mut probe = Model::build(spec, gantry_model::default_env())?;
    probe.env = env.to_string();
    let location = match &global.state {
        Some(s) => StateLocation::parse(s, &probe.region).map_err(OpsError::StateLocation)?,
        None => probe.state.clone(),
    };
    let b = backend(&location, &global.file, &probe, global.state_dir.as_deref());
    b.read_preview()
        .map_err(OpsError::from)?
        .ok_or_else(unknown)
}

pub fn load_model(global: &Global) -> miette::Result<Model> {
    let env = global.env.as_deref().unwrap_or(gantry_model::default_env());
    gantry_model::load(&global.file, env)
}

/// The state of `model`'s stack and environment at `location`: local in
/// [`state_dir`], or under `<prefix>/<stack>-<env>/` in the bucket.
pub fn backend(
    location: &StateLocation,
    spec: &Path,
    model: &Model,
    state_dir_over: Option<&Path>,
) -> Backend {
    match location {
        StateLocation::Local => Backend::Local(state_dir(spec, model, state_dir_over)),
        StateLocation::S3 {
            bucket,
            prefix,
            region,
        } => {
            let objects = Arc::new(gantry_aws::state_s3::S3Objects::connect(bucket, region));
            let stack = format!("{}-{}", model.stack, model.env);
            let key = if prefix.is_empty() {
                stack
            } else {
                format!("{prefix}/{stack}")
            };
            Backend::Remote(gantry_state::Remote::new(objects, &key))
        }
    }
}

/// `<dir of spec>/.gantry/<stack>-<env>`, or `<override>/<stack>-<env>`.
pub fn state_dir(spec: &Path, model: &Model, over: Option<&Path>) -> PathBuf {
    let base = match over {
        Some(d) => d.to_path_buf(),
        None => {
            let parent = spec
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            parent.join(".gantry")
        }
    };
    base.join(format!("{}-{}", model.stack, model.env))
}

/// Connects to AWS in the spec's region: the spec names where the stack
/// lives, so an exported AWS_REGION cannot send it elsewhere by accident.
pub async fn connect(model: &Model) -> Result<AwsContext, OpsError> {
    AwsContext::load(Some(model.region.clone()))
        .await
        .map_err(|e| OpsError::Connect(e.to_string()))
}

/// The fix for a failed pre-flight check, as `gantry doctor` gives it.
pub fn preflight_fix(e: &gantry_aws::preflight::PreflightError) -> String {
    use gantry_aws::preflight::PreflightError as P;
    match e {
        P::Endpoint { source_name, .. } | P::BadEndpoint { source_name, .. } => format!(
            "start the service that should answer there (for the local emulator: `eval \"$(scripts/emulator.sh start)\"`), or unset {source_name} to use AWS's own endpoints"
        ),
        P::NoCredentials { .. } => format!(
            "Gantry looked in {}. Export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run `aws configure`, or `aws sso login --profile NAME` and set AWS_PROFILE=NAME",
            gantry_aws::preflight::CHAIN
        ),
        P::Identity { .. } => "the credentials resolved but AWS refused or did not answer: check that they are current (`aws sso login`, new keys), that the clock is right, and that the network reaches STS; `gantry doctor` checks each step".to_string(),
    }
}

/// The credential and endpoint checks a run makes once before its first
/// AWS call, so a closed endpoint or missing credentials is one error
/// with its fix instead of one per resource. One STS call, remembered by
/// `ctx` for the providers that need the account id.
pub async fn preflight(ctx: &AwsContext) -> Result<gantry_aws::preflight::Checked, OpsError> {
    gantry_aws::preflight::check(ctx)
        .await
        .map_err(|e| OpsError::Preflight {
            message: e.to_string(),
            help: preflight_fix(&e),
        })
}

/// Connects, runs the [`preflight`] and opens the session, in the order
/// that makes the first AWS call the pre-flight's: a local state's lock is
/// taken first (a held lock is the more useful answer, and costs no call),
/// a remote state's lock after the pre-flight (taking it is a call to S3).
pub async fn start(ws: &mut Workspace, command: &str) -> Result<(AwsContext, Session), OpsError> {
    let ctx = connect(&ws.model).await?;
    let session = match ws.backend {
        Backend::Local(_) => {
            let session = Session::open(ws, &ctx, command)?;
            if let Err(e) = preflight(&ctx).await {
                // The pre-flight's error is the one to report.
                let _ = session.close();
                return Err(e);
            }
            session
        }
        Backend::Remote(_) => {
            preflight(&ctx).await?;
            Session::open(ws, &ctx, command)?
        }
    };
    Ok((ctx, session))
}

/// An engine over the AWS providers; `parallelism` caps every service.
pub fn engine(ctx: &AwsContext, tags: StackTags, parallelism: Option<usize>) -> Engine {
    let limits = match parallelism {
        Some(n) => {
            let mut l = Limits::aws_defaults();
            l.default = l.default.min(n);
            for v in l.per_service.values_mut() {
                *v = (*v).min(n);
            }
            l
        }
        None => Limits::aws_defaults(),
    };
    Engine::new(ctx.providers(), tags, limits)
}

/// The state of one stack and environment, locked for one command. The
/// store writes under the lock's generation and is fenced by it: once
/// another run takes the lock over, every write fails with
/// [`StateError::Fenced`] and the lock's `lost()` fires, which stops an
/// apply ([`OpsError::LockLost`], exit code 4).
pub struct Session {
    pub lock: Arc<StateLock>,
    pub store: Arc<Store>,
    ctx: AwsContext,
    tags: StackTags,
}

impl Session {
    /// Takes the lock (renewed in the background while held) and opens the
    /// state under it, replaying any journal a crashed run left; the
    /// workspace's graph then keeps the releases that state records.
    ///
    /// From then on `ctx` sends nothing more once the lock is lost: its
    /// send gate asks the lock's fence before every request, so a call the
    /// SDK built before a pause cannot reach AWS after another run took
    /// over.
    pub fn open(ws: &mut Workspace, ctx: &AwsContext, command: &str) -> Result<Session, OpsError> {
        let lease = lock_lease()?;
        let lock = Arc::new(StateLock::acquire_at(&ws.backend, command, lease)?);
        lock.spawn_heartbeat();
        let fence = lock.clone();
        ctx.set_send_gate(Arc::new(move || {
            gantry_state::Fence::check(&*fence).map_err(|e| e.to_string())
        }));
        let store = Arc::new(Store::open_fenced_at(
            &ws.backend,
            &ws.model.stack,
            &ws.model.env,
            lock.clone(),
        )?);
        store.with_state(|s| ws.sync(s))?;
        Ok(Session {
            lock,
            store,
            ctx: ctx.clone(),
            tags: ws.tags(),
        })
    }

    /// `e`; for a lost lock, followed by what this run still changed in
    /// AWS after losing it (calls already under way when the lock was taken
    /// over), each checked against the state the other run keeps, so that
    /// an object nobody records is named rather than silently orphaned.
    pub fn explain(&self, e: OpsError) -> OpsError {
        let OpsError::LockLost(msg) = e else {
            return e;
        };
        let done = self.store.unrecorded();
        if done.is_empty() {
            return OpsError::LockLost(msg);
        }
        let (stack, env) = self.store.with_state(|s| (s.stack.clone(), s.env.clone()));
        let now = self.store.backend().read_state(&stack, &env).ok();
        let recorded = |a: &gantry_core::Address, id: &str| {
            now.as_ref()
                .and_then(|s| s.get(a))
                .is_some_and(|r| r.id == id || r.deposed.iter().any(|d| d.id == id))
        };
        let lines: Vec<String> = done
            .iter()
            .map(|(it, outcome)| {
                let id = match outcome {
                    gantry_state::Outcome::Ok { id, .. } | gantry_state::Outcome::Err { id, .. } => {
                        id.clone().or_else(|| it.id.clone()).unwrap_or_default()
                    }
                    gantry_state::Outcome::Gone => it.id.clone().unwrap_or_default(),
                };
                let what = match (it.op, recorded(&it.address, &id)) {
                    (gantry_state::Op::Delete, true) => {
                        "deleted; the state still records it, and the next `gantry up` finds it gone"
                    }
                    (gantry_state::Op::Delete, false) => "deleted; the state does not record it",
                    (_, true) => "the state records it",
                    (_, false) => {
                        "NOT in the state: tagged with its address, listed as untracked by `gantry plan` and removed by `gantry destroy`"
                    }
                };
                format!("  - {} {} ({id}): {what}", it.op, it.address)
            })
            .collect();
        OpsError::LockLost(format!(
            "{msg}\n\n{} AWS call(s) already under way completed after the lock was lost:\n{}",
            lines.len(),
            lines.join("\n")
        ))
    }

    /// After losing the lock, removes what this run created once the lock
    /// was gone and nobody records: a create the SDK had already sent when
    /// the process froze reaches AWS when it resumes, after the new holder
    /// looked for it and made its own. Done only under the lock, taken
    /// afresh: when another run holds it, the objects are left (named in
    /// the message, listed as untracked by `plan` and `status`, removed by
    /// `destroy`). Returns one line per object found.
    pub async fn undo_strays(&self) -> Vec<String> {
        let creates: Vec<gantry_state::Intent> = self
            .store
            .unrecorded()
            .into_iter()
            .map(|(it, _)| it)
            .filter(|it| it.op == gantry_state::Op::Create)
            .collect();
        if creates.is_empty() {
            return Vec::new();
        }
        let backend = self.store.backend().clone();
        let lock = match lock_lease().and_then(|lease| {
            StateLock::acquire_at(&backend, "cleanup", lease).map_err(OpsError::from)
        }) {
            Ok(l) => Arc::new(l),
            Err(e) => return vec![format!("not cleaned up: {e}")],
        };
        let fence = lock.clone();
        self.ctx.set_send_gate(Arc::new(move || {
            gantry_state::Fence::check(&*fence).map_err(|e| e.to_string())
        }));
        let mut lines = Vec::new();
        let recorded = backend.read_state(&self.tags.stack, &self.tags.env).ok();
        let is_recorded = |a: &gantry_core::Address, id: &str| {
            recorded
                .as_ref()
                .and_then(|s| s.get(a))
                .is_some_and(|r| r.id == id || r.deposed.iter().any(|d| d.id == id))
        };
        let providers = self.ctx.providers();
        // What the run created may take a moment to be listed.
        tokio::time::sleep(gantry_execute::DEFAULT_SETTLE).await;
        let listed = match providers.inventory() {
            Some(inv) => inv.stack_objects(&self.tags).await,
            None => Ok(Vec::new()),
        };
        match listed {
            Err(e) => lines.push(format!("not cleaned up: listing the stack failed: {e}")),
            Ok(listed) => {
                for it in &creates {
                    for l in listed.iter().filter(|l| {
                        l.kind == it.kind
                            && l.address.as_ref() == Some(&it.address)
                            && !is_recorded(&it.address, &l.id)
                    }) {
                        let Some(p) = providers.get(&l.kind) else {
                            continue;
                        };
                        let r = p
                            .delete(gantry_core::DeleteRequest {
                                address: &it.address,
                                id: &l.id,
                                props: &it.props,
                                notes: &gantry_core::NoNotes,
                            })
                            .await;
                        lines.push(match r {
                            Ok(()) => format!(
                                "  - deleted {} {} ({}): made after the lock was lost, recorded by no one",
                                l.kind, l.id, it.address
                            ),
                            Err(e) => format!(
                                "  - could not delete {} {} ({}): {e}; `gantry destroy` removes it",
                                l.kind, l.id, it.address
                            ),
                        });
                    }
                }
            }
        }
        let _ = lock.release_now();
        lines
    }

    /// Releases the lock (if it is still ours).
    pub fn close(self) -> Result<(), OpsError> {
        drop(self.store);
        self.lock.release_now()?;
        Ok(())
    }
}

/// Resolves interrupted operations, refreshes from AWS with one batched read
/// per kind, and diffs against the desired graph. With `record`, what the
/// refresh saw is written to state first (as `up` needs before applying);
/// `plan` alone leaves the state as it was.
pub async fn plan(
    engine: &Engine,
    ws: &Workspace,
    session: &Session,
    reporter: &dyn Reporter,
    record: bool,
) -> Result<Plan, OpsError> {
    engine.recover(&session.store, reporter).await?;
    let refreshed = if record {
        engine.refresh_store(&session.store, reporter).await?
    } else {
        engine.refresh(&session.store.state(), reporter).await?
    };
    Ok(
        gantry_plan::plan(&ws.graph, &session.store.state(), &refreshed)
            .map_err(gantry_execute::EngineError::from)?,
    )
}

/// What changed in AWS outside Gantry since the state recorded it: a
/// refresh compared with the record (nothing written), after recovery.
pub async fn drift(
    engine: &Engine,
    ws: &Workspace,
    session: &Session,
    reporter: &dyn Reporter,
) -> Result<Vec<gantry_plan::Drifted>, OpsError> {
    engine.recover(&session.store, reporter).await?;
    let state = session.store.state();
    let refreshed = engine.refresh(&state, reporter).await?;
    Ok(gantry_plan::drift(
        &ws.graph,
        &state,
        &refreshed,
        gantry_core::kind_meta,
    ))
}

/// The plan for `destroy`: every recorded resource and every object tagged
/// with the stack that the state does not record, after recovery.
pub async fn plan_destroy(
    engine: &Engine,
    session: &Session,
    reporter: &dyn Reporter,
) -> Result<Plan, OpsError> {
    Ok(engine.plan_destroy(&session.store, reporter).await?)
}

/// Each recorded service as ECS has it now.
async fn service_lines(
    ctx: &AwsContext,
    state: &gantry_state::State,
    cluster: &str,
    svc: &[(&Address, &gantry_state::ResourceState)],
) -> Result<Vec<ServiceLine>, gantry_core::ProviderError> {
    use gantry_aws::rollout::{Follower, Watch};
    let arns: Vec<String> = svc.iter().map(|(_, r)| r.id.clone()).collect();
    let found = gantry_aws::status::services(ctx, cluster, &arns).await?;
    // One poll of a follower reads deployments, stopped tasks and targets.
    let watches = found
        .iter()
        .map(|s| Watch {
            cluster: cluster.to_string(),
            service: s.arn.clone(),
            revision: s.task_definition.clone(),
            target_groups: svc
                .iter()
                .find(|(_, r)| r.id == s.arn || r.id == s.name)
                .and_then(|(_, r)| r.props.get("load_balancers"))
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|l| l.get("target_group_arn")?.as_str().map(str::to_string))
                .collect(),
            since_ms: 0,
        })
        .collect();
    let observed = Follower::new(watches).poll(ctx).await?;
    let mut out = Vec::new();
    for s in found {
        let Some((address, _)) = svc.iter().find(|(_, r)| r.id == s.arn || r.id == s.name) else {
            continue;
        };
        let o = observed.iter().find(|o| o.service == s.arn);
        let images = if s.task_definition.is_empty() {
            BTreeMap::new()
        } else {
            gantry_aws::rollout::images(ctx, &s.task_definition).await?
        };
        let release = state
            .releases
            .get(address.name())
            .and_then(|l| l.iter().rev().find(|r| r.revision == s.task_definition))
            .map(|r| r.number);
        let mut stopped = o.map(|o| o.stopped.clone()).unwrap_or_default();
        stopped.reverse();
        stopped.truncate(STOPPED_SHOWN);
        out.push(ServiceLine {
            address: address.to_string(),
            release,
            images,
            deployments: o.map(|o| o.deployments.clone()).unwrap_or_default(),
            targets: o.map(|o| o.targets.clone()).unwrap_or_default(),
            stopped,
            ecs: s,
        });
    }
    Ok(out)
}

/// What `gantry status` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StatusReport {
    pub stack: String,
    pub env: String,
    pub region: String,
    /// The state's serial (how many times it has been written).
    pub serial: u64,
    pub resources: Vec<ResourceLine>,
    pub services: Vec<ServiceLine>,
    /// Objects tagged with the stack and environment that the state does
    /// not record (a run crashed before recording them, or lost its lock):
    /// `up` adopts those at an address it wants, `destroy` removes all.
    pub untracked: Vec<UntrackedLine>,
    /// The app's addresses: each hostname and the AWS DNS name behind it.
    pub endpoints: Vec<crate::endpoints::Endpoint>,
    /// Who holds the state lock right now, if anyone.
    pub lock: Option<gantry_state::LockInfo>,
    /// The stack's alarms in ALARM now, oldest first.
    pub alarms: Vec<gantry_aws::status::AlarmStatus>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct UntrackedLine {
    pub kind: String,
    pub id: String,
    /// Its `gantry:address` tag, if it has one.
    pub address: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ResourceLine {
    pub address: String,
    pub kind: String,
    pub id: String,
    pub status: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ServiceLine {
    pub address: String,
    #[serde(flatten)]
    pub ecs: gantry_aws::status::ServiceStatus,
    /// The recorded release whose revision the service runs, if any.
    pub release: Option<u64>,
    /// Each container's image in the revision the service runs.
    pub images: BTreeMap<String, String>,
    /// Every deployment ECS lists (the primary, and any it replaces).
    pub deployments: Vec<gantry_aws::rollout::Deployment>,
    /// Target health in each target group the service registers with.
    pub targets: Vec<gantry_aws::rollout::TargetHealth>,
    /// The most recently stopped tasks (at most [`STOPPED_SHOWN`]), newest
    /// first, with their reasons and exit codes.
    pub stopped: Vec<gantry_aws::rollout::StoppedTask>,
}

/// How many stopped tasks `status` shows per service.
pub const STOPPED_SHOWN: usize = 3;

/// Reads the recorded state (without locking: status never writes), asks
/// ECS for every service's counts and deployments, target health and
/// recently stopped tasks, and (with `untracked`) lists the stack's objects
/// the state does not record.
pub async fn status(
    ws: &Workspace,
    ctx: &AwsContext,
    untracked: bool,
) -> Result<StatusReport, OpsError> {
    let state = ws.read_state()?;
    let untracked = if untracked {
        engine(ctx, ws.tags(), None)
            .orphans(&state, &gantry_execute::NullReporter)
            .await?
            .into_iter()
            .map(|o| UntrackedLine {
                kind: o.kind,
                id: o.id,
                address: o.address.map(|a| a.to_string()),
            })
            .collect()
    } else {
        Vec::new()
    };
    let resources = state
        .resources
        .iter()
        .map(|(a, r)| ResourceLine {
            address: a.to_string(),
            kind: r.kind.clone(),
            id: r.id.clone(),
            status: format!("{:?}", r.status).to_lowercase(),
        })
        .collect();
    let cluster = state
        .resources
        .iter()
        .find(|(_, r)| r.kind == gantry_core::kinds::ECS_CLUSTER)
        .map(|(_, r)| r.id.clone());
    let svc: Vec<(&Address, &gantry_state::ResourceState)> = state
        .resources
        .iter()
        .filter(|(_, r)| r.kind == gantry_core::kinds::ECS_SERVICE)
        .collect();
    let services = match cluster {
        Some(cluster) if !svc.is_empty() => service_lines(ctx, &state, &cluster, &svc)
            .await
            .map_err(|e| OpsError::Connect(e.to_string()))?,
        _ => Vec::new(),
    };
    // Only a stack with alarms is asked about them.
    let has_alarms = state
        .resources
        .values()
        .any(|r| r.kind == gantry_core::kinds::CLOUDWATCH_METRIC_ALARM);
    let alarms = if has_alarms {
        gantry_aws::status::alarms(ctx, &gantry_architect::monitoring::alarm_prefix(&ws.model))
            .await
            .map_err(|e| OpsError::Connect(e.to_string()))?
    } else {
        Vec::new()
    };
    Ok(StatusReport {
        stack: ws.model.stack.clone(),
        env: ws.model.env.clone(),
        region: ctx.region().to_string(),
        serial: state.serial,
        resources,
        services,
        untracked,
        endpoints: crate::endpoints::endpoints(&state),
        lock: ws.backend.read_lock()?,
        alarms,
    })
}
