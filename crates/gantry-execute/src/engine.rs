//! The engine proper: recovery of interrupted operations, batched refresh,
//! and the DAG walk that applies a plan with per-service concurrency.

use crate::events::{Event, Reporter};
use crate::graph::{self, Node, Work};
use gantry_core::{
    resolve, Address, CreateRequest, DeleteRequest, DesiredGraph, FindRequest, Props,
    ProviderError, ProviderSet, ReadRequest, Ref, StackTags, UpdateRequest,
};
use gantry_plan::{plan_destroy_with, plan_with, Plan, PlanError, Refreshed};
use gantry_state::{Intent, MetaLookup, Op, Outcome, State, StateError, Store};
use serde::Serialize;
use serde_json::Value;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Concurrency limits per AWS service (the `service` of each kind's
/// metadata). Throttling is per service and per account, so one global knob
/// is either too slow for EC2 or too fast for IAM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub default: usize,
    pub per_service: BTreeMap<String, usize>,
}

impl Limits {
    /// Limits that stay under AWS's default API rate limits.
    pub fn aws_defaults() -> Self {
        let per_service = [
            ("ec2", 8),
            ("elbv2", 4),
            ("ecs", 4),
            ("iam", 4),
            ("logs", 4),
            ("ecr", 4),
        ]
        .into_iter()
        .map(|(s, n)| (s.to_string(), n))
        .collect();
        Limits {
            default: 4,
            per_service,
        }
    }

    /// The same limit for every service.
    pub fn uniform(n: usize) -> Self {
        Limits {
            default: n,
            per_service: BTreeMap::new(),
        }
    }

    pub fn with(mut self, service: &str, n: usize) -> Self {
        self.per_service.insert(service.to_string(), n);
        self
    }

    pub fn for_service(&self, service: &str) -> usize {
        self.per_service
            .get(service)
            .copied()
            .unwrap_or(self.default)
            .max(1)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::aws_defaults()
    }
}

/// Errors that stop a whole run. A single resource's failure is not one of
/// them: it is reported in the [`Summary`] and only its dependents skip.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("no provider for resource kind `{0}`")]
    NoProvider(String),
    #[error("refreshing {kind} resources failed: {error}")]
    Refresh { kind: String, error: ProviderError },
    #[error("resolving the interrupted {op} of {address} failed: {error}")]
    Recovery {
        address: Address,
        op: Op,
        error: ProviderError,
    },
    #[error("the plan was made for another state (lineage {plan_lineage} serial {plan_serial}, now serial {serial}): plan again")]
    StalePlan {
        plan_lineage: String,
        plan_serial: u64,
        serial: u64,
    },
    #[error("{0} interrupted operation(s) must be resolved first (Engine::recover)")]
    Pending(usize),
    #[error("dependency cycle in the operations through {0}")]
    Cycle(Address),
}

/// One completed operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpReport {
    pub address: Address,
    pub op: Op,
    pub elapsed: Duration,
}

/// One failed operation, with the provider's error code when it had one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpFailure {
    pub address: Address,
    pub op: Op,
    pub code: Option<String>,
    pub message: String,
}

impl std::fmt::Display for OpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: ", self.op, self.address)?;
        if let Some(c) = &self.code {
            write!(f, "{c}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// An operation never attempted: `because` names the failed operation it
/// needed, or is `None` when the run was cancelled first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedOp {
    pub address: Address,
    pub op: Op,
    pub because: Option<Address>,
}

/// What an apply or destroy did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub done: Vec<OpReport>,
    pub failed: Vec<OpFailure>,
    pub skipped: Vec<SkippedOp>,
    pub cancelled: bool,
    pub elapsed: Duration,
}

impl Summary {
    /// Everything planned was done.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && !self.cancelled
    }
}

/// Runs plans against a set of providers.
pub struct Engine {
    providers: ProviderSet,
    tags: StackTags,
    limits: Limits,
    meta: MetaLookup,
    settle: Duration,
}

/// The default pause before recovery looks again for an interrupted create.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(5);

enum NodeError {
    /// The operation failed; dependents are skipped, the run goes on.
    Failed(ProviderError),
    /// The state store failed: the run cannot record anything more.
    Fatal(StateError),
}

impl From<StateError> for NodeError {
    fn from(e: StateError) -> Self {
        NodeError::Fatal(e)
    }
}

struct Ctx {
    providers: ProviderSet,
    tags: StackTags,
    store: Arc<Store>,
    reporter: Arc<dyn Reporter>,
}

impl Engine {
    pub fn new(providers: ProviderSet, tags: StackTags, limits: Limits) -> Engine {
        Engine {
            providers,
            tags,
            limits,
            meta: gantry_core::kind_meta,
            settle: DEFAULT_SETTLE,
        }
    }

    /// Uses another source of kind metadata (tests with extra kinds).
    pub fn with_meta(mut self, meta: MetaLookup) -> Engine {
        self.meta = meta;
        self
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// How long recovery waits before a second look for an interrupted
    /// create it did not find (default [`DEFAULT_SETTLE`]; zero skips it).
    pub fn with_settle(mut self, settle: Duration) -> Engine {
        self.settle = settle;
        self
    }

    async fn adopt(
        &self,
        store: &Store,
        reporter: &dyn Reporter,
        it: &Intent,
        applied: gantry_core::Applied,
    ) -> Result<(), EngineError> {
        store
            .finish(
                it.seq,
                Outcome::Ok {
                    id: Some(applied.id.clone()),
                    outputs: applied.outputs,
                },
            )
            .await?;
        reporter.event(Event::Adopted {
            address: it.address.clone(),
            id: applied.id,
        });
        Ok(())
    }

    fn service(&self, kind: &str) -> &'static str {
        (self.meta)(kind).map(|m| m.service).unwrap_or("other")
    }

    /// Resolves the operations a previous run left without a result: a
    /// create is looked up by tags (and adopted if found), an update or
    /// delete is settled by reading the object. Then compacts. Call after
    /// opening the store and before refresh and plan.
    pub async fn recover(&self, store: &Store, reporter: &dyn Reporter) -> Result<(), EngineError> {
        let pending = store.pending();
        if pending.is_empty() {
            return Ok(());
        }
        reporter.event(Event::RecoveryStarted {
            pending: pending.len(),
        });
        let mut not_found = Vec::new();
        for it in pending {
            let p = self
                .providers
                .get(&it.kind)
                .ok_or_else(|| EngineError::NoProvider(it.kind.clone()))?;
            let fail = |error| EngineError::Recovery {
                address: it.address.clone(),
                op: it.op,
                error,
            };
            match it.op {
                Op::Create => {
                    let found =
                        find_new(&**p, store, &it.address, &it.props, &self.tags, &it.token)
                            .await
                            .map_err(fail)?;
                    match found {
                        Some(applied) => self.adopt(store, reporter, &it, applied).await?,
                        None => not_found.push(it),
                    }
                }
                Op::Update | Op::Delete => {
                    let id = it.id.clone().unwrap_or_default();
                    let recorded =
                        store.with_state(|s| s.get(&it.address).map(|r| r.props.clone()));
                    let props = recorded.unwrap_or_else(|| it.props.clone());
                    let read = p
                        .read(&[ReadRequest {
                            address: &it.address,
                            id: &id,
                            props: &props,
                        }])
                        .await
                        .map_err(fail)?;
                    let exists = matches!(read.first(), Some(Some(_)));
                    // An update of unknown outcome keeps the recorded
                    // properties: the refresh and plan that follow compare
                    // against what AWS really has and redo it if needed.
                    let (outcome, text) = if exists {
                        (
                            Outcome::Err {
                                error: "interrupted; settled by a fresh read".into(),
                                code: None,
                                id: None,
                            },
                            if it.op == Op::Delete {
                                "still exists; it will be planned again"
                            } else {
                                "outcome unknown; the next plan compares against AWS"
                            },
                        )
                    } else {
                        (Outcome::Gone, "no longer exists; forgotten")
                    };
                    store.finish(it.seq, outcome).await?;
                    reporter.event(Event::Recovered {
                        address: it.address.clone(),
                        op: it.op,
                        outcome: text.into(),
                    });
                }
            }
        }
        // A create the dead run sent may still be in flight, and AWS lists
        // new objects only after a moment (eventual consistency): look once
        // more after a pause before concluding it never happened, since most
        // create APIs take no idempotency token that would catch a retry.
        if !not_found.is_empty() && !self.settle.is_zero() {
            reporter.event(Event::Warning {
                message: format!(
                    "{} interrupted create(s) not found yet; looking again in {}s",
                    not_found.len(),
                    self.settle.as_secs()
                ),
            });
            tokio::time::sleep(self.settle).await;
        }
        for it in not_found {
            let p = self
                .providers
                .get(&it.kind)
                .ok_or_else(|| EngineError::NoProvider(it.kind.clone()))?;
            let found = if self.settle.is_zero() {
                None
            } else {
                find_new(&**p, store, &it.address, &it.props, &self.tags, &it.token)
                    .await
                    .map_err(|error| EngineError::Recovery {
                        address: it.address.clone(),
                        op: it.op,
                        error,
                    })?
            };
            match found {
                Some(applied) => self.adopt(store, reporter, &it, applied).await?,
                None => {
                    store
                        .finish(
                            it.seq,
                            Outcome::Err {
                                error: "interrupted before the resource was created".into(),
                                code: None,
                                id: None,
                            },
                        )
                        .await?;
                    reporter.event(Event::Recovered {
                        address: it.address.clone(),
                        op: it.op,
                        outcome: "not created; it will be planned again".into(),
                    });
                }
            }
        }
        store.compact()?;
        Ok(())
    }

    /// Reads every recorded resource back: one batched `read` per kind, the
    /// kinds in parallel within the per-service limits.
    pub async fn refresh(
        &self,
        state: &State,
        reporter: &dyn Reporter,
    ) -> Result<Refreshed, EngineError> {
        let mut by_kind: BTreeMap<&str, Vec<(&Address, &gantry_state::ResourceState)>> =
            BTreeMap::new();
        for (a, rs) in &state.resources {
            by_kind.entry(rs.kind.as_str()).or_default().push((a, rs));
        }
        reporter.event(Event::RefreshStarted {
            kinds: by_kind.len(),
            resources: state.resources.len(),
        });
        let mut sems: HashMap<&'static str, Arc<tokio::sync::Semaphore>> = HashMap::new();
        let mut set = JoinSet::new();
        for (kind, items) in by_kind {
            let p = self
                .providers
                .get(kind)
                .cloned()
                .ok_or_else(|| EngineError::NoProvider(kind.to_string()))?;
            let svc = self.service(kind);
            let sem = sems
                .entry(svc)
                .or_insert_with(|| {
                    Arc::new(tokio::sync::Semaphore::new(self.limits.for_service(svc)))
                })
                .clone();
            let owned: Vec<(Address, String, Props)> = items
                .into_iter()
                .map(|(a, rs)| (a.clone(), rs.id.clone(), rs.props.clone()))
                .collect();
            let kind = kind.to_string();
            set.spawn(async move {
                let _permit = sem.acquire_owned().await.expect("semaphore never closes");
                let t = Instant::now();
                let reqs: Vec<ReadRequest<'_>> = owned
                    .iter()
                    .map(|(a, id, props)| ReadRequest {
                        address: a,
                        id,
                        props,
                    })
                    .collect();
                let r = p.read(&reqs).await;
                let addrs: Vec<Address> = owned.iter().map(|(a, _, _)| a.clone()).collect();
                (kind, addrs, r, t.elapsed())
            });
        }
        let mut out = Refreshed::none();
        while let Some(joined) = set.join_next().await {
            let (kind, addrs, r, elapsed) = joined.expect("refresh tasks do not panic");
            let observed = r.map_err(|error| EngineError::Refresh {
                kind: kind.clone(),
                error,
            })?;
            let gone = observed.iter().filter(|o| o.is_none()).count();
            reporter.event(Event::RefreshedKind {
                kind,
                resources: addrs.len(),
                gone,
                elapsed,
            });
            out.observed.extend(addrs.into_iter().zip(observed));
        }
        Ok(out)
    }

    /// [`Engine::refresh`] of the store's state that also folds what was
    /// observed into it (persisted by the apply's final compaction), the way
    /// Terraform's apply saves the refreshed state. Use before planning an
    /// apply; plain `refresh` suits read-only commands.
    pub async fn refresh_store(
        &self,
        store: &Store,
        reporter: &dyn Reporter,
    ) -> Result<Refreshed, EngineError> {
        let refreshed = self.refresh(&store.state(), reporter).await?;
        store.absorb_observed(
            refreshed
                .observed
                .iter()
                .filter_map(|(a, o)| o.as_ref().map(|o| (a, o))),
        );
        Ok(refreshed)
    }

    /// Recovery, refresh, plan and apply in one call (what `up --yes` does).
    pub async fn up(
        &self,
        desired: &DesiredGraph,
        store: &Arc<Store>,
        reporter: Arc<dyn Reporter>,
        cancel: &CancellationToken,
    ) -> Result<(Plan, Summary), EngineError> {
        self.recover(store, &*reporter).await?;
        let refreshed = self.refresh_store(store, &*reporter).await?;
        let plan = plan_with(desired, &store.state(), &refreshed, self.meta)?;
        let summary = self.apply(&plan, desired, store, reporter, cancel).await?;
        Ok((plan, summary))
    }

    /// Deletes everything the state records (after recovering interrupted
    /// operations), dependents first.
    pub async fn destroy(
        &self,
        store: &Arc<Store>,
        reporter: Arc<dyn Reporter>,
        cancel: &CancellationToken,
    ) -> Result<Summary, EngineError> {
        self.recover(store, &*reporter).await?;
        let plan = plan_destroy_with(&store.state(), self.meta);
        self.apply(&plan, &DesiredGraph::new(), store, reporter, cancel)
            .await
    }

    /// Applies `plan` (made from `desired` against the store's current
    /// state). Returns once nothing more can run; the state is compacted at
    /// the end. Only state-store failures are errors: resource failures are
    /// in the summary.
    pub async fn apply(
        &self,
        plan: &Plan,
        desired: &DesiredGraph,
        store: &Arc<Store>,
        reporter: Arc<dyn Reporter>,
        cancel: &CancellationToken,
    ) -> Result<Summary, EngineError> {
        let started = Instant::now();
        let state = store.state();
        if plan.lineage != state.lineage || plan.serial != state.serial {
            return Err(EngineError::StalePlan {
                plan_lineage: plan.lineage.clone(),
                plan_serial: plan.serial,
                serial: state.serial,
            });
        }
        let pending = store.pending().len();
        if pending > 0 {
            return Err(EngineError::Pending(pending));
        }
        let nodes = graph::build(plan, &state).map_err(EngineError::Cycle)?;
        drop(state);
        for n in &nodes {
            if self.providers.get(&n.kind).is_none() {
                return Err(EngineError::NoProvider(n.kind.clone()));
            }
        }
        let ctx = Arc::new(Ctx {
            providers: self.providers.clone(),
            tags: self.tags.clone(),
            store: store.clone(),
            reporter: reporter.clone(),
        });
        let mut summary = Summary::default();
        let fatal = self.walk(&nodes, desired, &ctx, cancel, &mut summary).await;
        summary.elapsed = started.elapsed();
        if let Some(e) = fatal {
            return Err(e.into());
        }
        store.compact()?;
        Ok(summary)
    }

    /// The ready-queue scheduler: a node is queued under its service once
    /// everything it waits for is done, and launched when that service has a
    /// free slot. Returns the store error that stopped the run, if any.
    async fn walk(
        &self,
        nodes: &[Node],
        desired: &DesiredGraph,
        ctx: &Arc<Ctx>,
        cancel: &CancellationToken,
        summary: &mut Summary,
    ) -> Option<StateError> {
        #[derive(Clone, Copy, PartialEq)]
        enum St {
            Waiting,
            Running,
            Done,
            Failed,
            Skipped,
        }
        let n = nodes.len();
        let mut waiting: Vec<usize> = nodes.iter().map(|x| x.after.len()).collect();
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, node) in nodes.iter().enumerate() {
            for &j in &node.after {
                users[j].push(i);
            }
        }
        let services: Vec<&'static str> = nodes.iter().map(|x| self.service(&x.kind)).collect();
        let mut status = vec![St::Waiting; n];
        // Within a service, launch the node with the longest chain of work
        // still behind it first (critical-path-first list scheduling): a
        // FIFO queue lets a slot go to a leaf while a long chain waits.
        let rank = ranks(n, &users);
        let mut queues: BTreeMap<&'static str, BinaryHeap<(usize, Reverse<usize>)>> =
            BTreeMap::new();
        for i in (0..n).filter(|&i| waiting[i] == 0) {
            queues
                .entry(services[i])
                .or_default()
                .push((rank[i], Reverse(i)));
        }
        let mut running: HashMap<&'static str, usize> = HashMap::new();
        let mut set: JoinSet<(usize, Result<Duration, NodeError>)> = JoinSet::new();
        let mut stopping = false;
        let mut fatal = None;
        loop {
            if !stopping && cancel.is_cancelled() {
                stopping = true;
                summary.cancelled = true;
                ctx.reporter.event(Event::Cancelling {
                    in_flight: set.len(),
                });
            }
            if !stopping {
                for (svc, q) in queues.iter_mut() {
                    let limit = self.limits.for_service(svc);
                    let r = running.entry(svc).or_insert(0);
                    while *r < limit {
                        let Some((_, Reverse(i))) = q.pop() else {
                            break;
                        };
                        *r += 1;
                        status[i] = St::Running;
                        let node = &nodes[i];
                        let template = desired
                            .get(&node.address)
                            .map(|r| (r.props.clone(), r.dependencies()));
                        let ctx = ctx.clone();
                        let (address, kind, work) =
                            (node.address.clone(), node.kind.clone(), node.work.clone());
                        set.spawn(async move {
                            (i, run_node(&ctx, address, kind, work, template).await)
                        });
                    }
                }
            }
            if set.is_empty() {
                break;
            }
            let joined = tokio::select! {
                j = set.join_next() => j,
                _ = cancel.cancelled(), if !stopping => continue,
            };
            let (i, result) = joined
                .expect("set is not empty")
                .expect("operation tasks do not panic");
            *running.get_mut(services[i]).expect("was running") -= 1;
            let node = &nodes[i];
            match result {
                Ok(elapsed) => {
                    status[i] = St::Done;
                    summary.done.push(OpReport {
                        address: node.address.clone(),
                        op: node.op(),
                        elapsed,
                    });
                    for &u in &users[i] {
                        waiting[u] -= 1;
                        if waiting[u] == 0 && status[u] == St::Waiting {
                            queues
                                .entry(services[u])
                                .or_default()
                                .push((rank[u], Reverse(u)));
                        }
                    }
                }
                Err(NodeError::Failed(e)) => {
                    status[i] = St::Failed;
                    summary.failed.push(OpFailure {
                        address: node.address.clone(),
                        op: node.op(),
                        code: e.code.clone(),
                        message: e.message.clone(),
                    });
                    // Skip everything downstream, transitively.
                    let mut stack: Vec<usize> = users[i].clone();
                    while let Some(u) = stack.pop() {
                        if status[u] != St::Waiting {
                            continue;
                        }
                        status[u] = St::Skipped;
                        let because = Some(node.address.clone());
                        ctx.reporter.event(Event::Skipped {
                            address: nodes[u].address.clone(),
                            op: nodes[u].op(),
                            because: because.clone(),
                        });
                        summary.skipped.push(SkippedOp {
                            address: nodes[u].address.clone(),
                            op: nodes[u].op(),
                            because,
                        });
                        stack.extend(users[u].iter().copied());
                    }
                }
                Err(NodeError::Fatal(e)) => {
                    status[i] = St::Failed;
                    if fatal.is_none() {
                        fatal = Some(e);
                    }
                    stopping = true;
                }
            }
        }
        for (i, s) in status.iter().enumerate() {
            if *s == St::Waiting {
                let node = &nodes[i];
                ctx.reporter.event(Event::Skipped {
                    address: node.address.clone(),
                    op: node.op(),
                    because: None,
                });
                summary.skipped.push(SkippedOp {
                    address: node.address.clone(),
                    op: node.op(),
                    because: None,
                });
            }
        }
        fatal
    }
}

/// Looks for an object created for `address` by the intent with `token`.
/// A create always makes a new object, so one the state already records
/// at this address (the old object of a create-before-destroy replacement)
/// does not count.
async fn find_new(
    p: &dyn gantry_core::Provider,
    store: &Store,
    address: &Address,
    props: &Props,
    tags: &StackTags,
    token: &str,
) -> Result<Option<gantry_core::Applied>, ProviderError> {
    let found = p
        .find(FindRequest {
            address,
            props,
            tags,
            token,
        })
        .await?;
    let known = store.with_state(|s| {
        s.get(address)
            .map(|r| {
                let mut ids = vec![r.id.clone()];
                ids.extend(r.deposed.iter().map(|d| d.id.clone()));
                ids
            })
            .unwrap_or_default()
    });
    Ok(found.filter(|a| !known.contains(&a.id)))
}

/// For each node, the number of nodes on the longest path from it to a sink.
fn ranks(n: usize, users: &[Vec<usize>]) -> Vec<usize> {
    let mut rank = vec![0usize; n];
    let mut done = vec![false; n];
    for start in 0..n {
        // Iterative post-order DFS: graphs can be thousands deep.
        let mut stack = vec![(start, 0usize)];
        while let Some((i, next)) = stack.pop() {
            if done[i] {
                continue;
            }
            if let Some(&u) = users[i].get(next) {
                stack.push((i, next + 1));
                if !done[u] {
                    stack.push((u, 0));
                }
            } else {
                rank[i] = 1 + users[i].iter().map(|&u| rank[u]).max().unwrap_or(0);
                done[i] = true;
            }
        }
    }
    rank
}

/// One provider call, journaled before and after.
async fn run_node(
    ctx: &Ctx,
    address: Address,
    kind: String,
    work: Work,
    template: Option<(Props, std::collections::BTreeSet<Address>)>,
) -> Result<Duration, NodeError> {
    let t = Instant::now();
    let p = ctx
        .providers
        .get(&kind)
        .expect("checked before the walk")
        .clone();
    let op = match work {
        Work::Create { .. } => Op::Create,
        Work::Update { .. } => Op::Update,
        Work::Delete { .. } => Op::Delete,
    };
    let report_failure = |e: &ProviderError| {
        ctx.reporter.event(Event::Failed {
            address: address.clone(),
            op,
            code: e.code.clone(),
            message: e.message.clone(),
        })
    };
    // Resolve against the outputs recorded so far: every dependency has
    // finished, so its outputs are in the store.
    let resolved = match &template {
        Some((props, _)) if op != Op::Delete => {
            let (v, missing) = ctx.store.with_state(|s| {
                resolve(&Value::Object(props.clone()), &|r: &Ref| {
                    s.output(&r.address, &r.attr).cloned()
                })
            });
            if !missing.0.is_empty() {
                let names: Vec<String> = missing.0.iter().map(|r| r.to_string()).collect();
                let e = ProviderError::msg(format!("unresolved references: {}", names.join(", ")));
                report_failure(&e);
                return Err(NodeError::Failed(e));
            }
            match v {
                Value::Object(m) => m,
                _ => unreachable!("objects resolve to objects"),
            }
        }
        _ => Props::new(),
    };
    let deps: Vec<Address> = template
        .map(|(_, d)| d.into_iter().collect())
        .unwrap_or_default();
    let id = match &work {
        Work::Delete { id } => Some(id.clone()),
        Work::Update { .. } => ctx
            .store
            .with_state(|s| s.get(&address).map(|r| r.id.clone())),
        Work::Create { forget } => {
            if let Some(old) = forget {
                let it = ctx
                    .store
                    .begin(Op::Delete, &address, &kind, Some(old), &Props::new(), &[])
                    .await?;
                ctx.store.finish(it.seq, Outcome::Gone).await?;
            }
            None
        }
    };
    ctx.reporter.event(Event::Started {
        address: address.clone(),
        op,
        id: id.clone(),
    });
    let intent = ctx
        .store
        .begin(op, &address, &kind, id.as_deref(), &resolved, &deps)
        .await?;
    let result: Result<Option<gantry_core::Applied>, ProviderError> = match &work {
        Work::Create { .. } => p
            .create(CreateRequest {
                address: &address,
                props: &resolved,
                tags: &ctx.tags,
                token: &intent.token,
                notes: &gantry_core::NoNotes,
            })
            .await
            .map(Some),
        Work::Update { changed } => {
            let old = ctx
                .store
                .with_state(|s| s.get(&address).map(|r| r.props.clone()))
                .unwrap_or_default();
            p.update(UpdateRequest {
                address: &address,
                id: id.as_deref().unwrap_or_default(),
                old: &old,
                new: &resolved,
                changed,
                tags: &ctx.tags,
                notes: &gantry_core::NoNotes,
            })
            .await
            .map(Some)
        }
        Work::Delete { id } => {
            let old = ctx.store.with_state(|s| {
                s.get(&address)
                    .map(|r| {
                        if &r.id == id {
                            r.props.clone()
                        } else {
                            r.deposed
                                .iter()
                                .find(|d| &d.id == id)
                                .map(|d| d.props.clone())
                                .unwrap_or_default()
                        }
                    })
                    .unwrap_or_default()
            });
            match p
                .delete(DeleteRequest {
                    address: &address,
                    id,
                    props: &old,
                    notes: &gantry_core::NoNotes,
                })
                .await
            {
                Err(e) if e.is_not_found() => Ok(None),
                other => other.map(|()| None),
            }
        }
    };
    match result {
        Ok(applied) => {
            let (new_id, outputs) = match applied {
                Some(a) => (Some(a.id), a.outputs),
                None => (None, Props::new()),
            };
            ctx.store
                .finish(
                    intent.seq,
                    Outcome::Ok {
                        id: new_id.clone(),
                        outputs,
                    },
                )
                .await?;
            let elapsed = t.elapsed();
            ctx.reporter.event(Event::Finished {
                address,
                op,
                id: new_id.or(id),
                elapsed,
            });
            Ok(elapsed)
        }
        Err(e) => {
            // A create can fail after AWS made the object (a wait that timed
            // out): record such an object as tainted, so the next plan
            // replaces it instead of creating a second one.
            let leftover = match &work {
                Work::Create { .. } => find_new(
                    &*p,
                    &ctx.store,
                    &address,
                    &resolved,
                    &ctx.tags,
                    &intent.token,
                )
                .await
                .ok()
                .flatten()
                .map(|a| a.id),
                _ => None,
            };
            ctx.store
                .finish(
                    intent.seq,
                    Outcome::Err {
                        error: e.message.clone(),
                        code: e.code.clone(),
                        id: leftover,
                    },
                )
                .await?;
            report_failure(&e);
            Err(NodeError::Failed(e))
        }
    }
}
