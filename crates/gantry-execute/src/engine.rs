//! The engine proper: recovery of interrupted operations, the adoption of
//! untracked objects a plan wants, and the DAG walk that applies a plan
//! with per-service concurrency. The batched refresh is in `refresh.rs`,
//! one operation of the walk in `ops.rs`.

use crate::events::{Event, Reporter};
use crate::graph::{self, Node};
use crate::ops::{find_new, run_node, Ctx, NodeError};
use crate::retry::{panicked, read_checked, Attempts, RetryPolicy};
use gantry_core::{Address, DesiredGraph, ProviderError, ProviderSet, ReadRequest, StackTags};
use gantry_plan::{plan_destroy_all, plan_with, Action, Plan, PlanError};
use gantry_state::{Intent, MetaLookup, Op, Outcome, StateError, Store};
use serde::Serialize;
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
    #[error("listing the stack's objects failed: {0}")]
    Inventory(ProviderError),
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
    pub(crate) providers: ProviderSet,
    pub(crate) tags: StackTags,
    pub(crate) limits: Limits,
    pub(crate) meta: MetaLookup,
    pub(crate) settle: Duration,
    pub(crate) retry: RetryPolicy,
}

/// The default pause before a second look for a create that may have
/// happened (recovery, and a retry of a failed create).
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(5);

impl Engine {
    pub fn new(providers: ProviderSet, tags: StackTags, limits: Limits) -> Engine {
        Engine {
            providers,
            tags,
            limits,
            meta: gantry_core::kind_meta,
            settle: DEFAULT_SETTLE,
            retry: RetryPolicy::DEFAULT,
        }
    }

    /// How the engine retries calls that failed with a retryable error
    /// after the SDK's own retries (default [`RetryPolicy::DEFAULT`]).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Engine {
        self.retry = retry;
        self
    }

    /// Uses another source of kind metadata (tests with extra kinds).
    pub fn with_meta(mut self, meta: MetaLookup) -> Engine {
        self.meta = meta;
        self
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// How long recovery, and a create's retry, wait before a second look
    /// for an object a create may have made (default [`DEFAULT_SETTLE`];
    /// zero skips the second look).
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

    pub(crate) fn service(&self, kind: &str) -> &'static str {
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
            let mut attempts = Attempts::new(self.retry, reporter, &it.kind, Some(&it.address));
            match it.op {
                Op::Create => {
                    let found = find_new(
                        &**p,
                        store,
                        &it.address,
                        &it.props,
                        &self.tags,
                        &it.token,
                        &mut attempts,
                    )
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
                    let read = read_checked(
                        &**p,
                        &[ReadRequest {
                            address: &it.address,
                            id: &id,
                            props: &props,
                        }],
                        &mut attempts,
                    )
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
                let mut attempts = Attempts::new(self.retry, reporter, &it.kind, Some(&it.address));
                find_new(
                    &**p,
                    store,
                    &it.address,
                    &it.props,
                    &self.tags,
                    &it.token,
                    &mut attempts,
                )
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
        // Planned in place: a copy of a big state costs more than the plan.
        let plan = store.with_state(|s| plan_with(desired, s, &refreshed, self.meta))?;
        let summary = self.apply(&plan, desired, store, reporter, cancel).await?;
        Ok((plan, summary))
    }

    /// What `destroy` deletes, for the CLI to list before it asks: after
    /// recovering interrupted operations, everything the state records and
    /// every object the stack's inventory lists that it does not (wanted or
    /// not), with the dependencies inferred for those. Apply it with
    /// [`Engine::apply`] and an empty desired graph.
    pub async fn plan_destroy(
        &self,
        store: &Store,
        reporter: &dyn Reporter,
    ) -> Result<Plan, EngineError> {
        self.recover(store, reporter).await?;
        let orphans = self.orphans_of(store, reporter).await?;
        Ok(store.with_state(|s| plan_destroy_all(s, &orphans, self.meta)))
    }

    /// Deletes everything [`Engine::plan_destroy`] lists, dependents first.
    pub async fn destroy(
        &self,
        store: &Arc<Store>,
        reporter: Arc<dyn Reporter>,
        cancel: &CancellationToken,
    ) -> Result<Summary, EngineError> {
        let plan = self.plan_destroy(store, &*reporter).await?;
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
        let (lineage, serial) = store.with_state(|s| (s.lineage.clone(), s.serial));
        if plan.lineage != lineage || plan.serial != serial {
            return Err(EngineError::StalePlan {
                plan_lineage: plan.lineage.clone(),
                plan_serial: plan.serial,
                serial,
            });
        }
        let pending = store.pending().len();
        if pending > 0 {
            return Err(EngineError::Pending(pending));
        }
        self.record_adoptions(plan, store, &*reporter).await?;
        let nodes = store
            .with_state(|s| graph::build(plan, s))
            .map_err(EngineError::Cycle)?;
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
            meta: self.meta,
            retry: self.retry,
            settle: self.settle,
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

    /// Writes the untracked objects the plan adopts into the state, each a
    /// journaled create whose result is the object found (what recovery's
    /// adoption records), so the walk updates or replaces them like any
    /// recorded resource. A recorded object the refresh found gone is
    /// forgotten first, as a create over it would. The writes go out
    /// together, sharing the journal's fsyncs.
    async fn record_adoptions(
        &self,
        plan: &Plan,
        store: &Store,
        reporter: &dyn Reporter,
    ) -> Result<(), EngineError> {
        let adopt = |a: &&gantry_plan::PlannedAction| {
            a.found.is_some() && matches!(a.action, Action::Adopt | Action::Replace)
        };
        let writes = plan.actions.iter().filter(adopt).map(|a| async move {
            let found = a.found.as_ref().expect("filtered");
            let id = a.id.clone().unwrap_or_default();
            let gone = store.with_state(|s| s.get(&a.address).map(|r| r.id.clone()));
            if let Some(old) = gone {
                let it = store
                    .begin(
                        Op::Delete,
                        &a.address,
                        &a.kind,
                        Some(&old),
                        &Default::default(),
                        &[],
                    )
                    .await?;
                store.finish(it.seq, Outcome::Gone).await?;
            }
            let it = store
                .begin(
                    Op::Create,
                    &a.address,
                    &a.kind,
                    None,
                    &found.props,
                    &a.dependencies,
                )
                .await?;
            store
                .finish(
                    it.seq,
                    Outcome::Ok {
                        id: Some(id.clone()),
                        outputs: found.outputs.clone(),
                    },
                )
                .await?;
            reporter.event(Event::Adopted {
                address: a.address.clone(),
                id,
            });
            Ok::<(), StateError>(())
        });
        for r in futures::future::join_all(writes).await {
            r?;
        }
        Ok(())
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
        let mut set: JoinSet<Result<Duration, NodeError>> = JoinSet::new();
        let mut task_node: HashMap<tokio::task::Id, usize> = HashMap::new();
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
                        // Resolved at launch, straight from the desired
                        // graph: everything it references is recorded now.
                        let template = desired
                            .get(&node.address)
                            .filter(|_| node.op() != Op::Delete)
                            .map(|r| ctx.store.with_state(|s| resolve_template(r, s)));
                        let ctx = ctx.clone();
                        let (address, kind, work) =
                            (node.address.clone(), node.kind.clone(), node.work.clone());
                        let task = set.spawn(async move {
                            run_node(&ctx, address, kind, work, template).await
                        });
                        task_node.insert(task.id(), i);
                    }
                }
            }
            if set.is_empty() {
                break;
            }
            let joined = tokio::select! {
                j = set.join_next_with_id() => j,
                _ = cancel.cancelled(), if !stopping => continue,
            };
            // Provider panics are caught around each call; one that escapes
            // anyway (an engine bug) still fails only its operation.
            let (i, result) = match joined.expect("set is not empty") {
                Ok((task, r)) => (task_node.remove(&task).expect("spawned"), r),
                Err(e) => {
                    let i = task_node.remove(&e.id()).expect("spawned");
                    let error = if e.is_panic() {
                        panicked(&nodes[i].kind, "the engine", e.into_panic())
                    } else {
                        ProviderError::msg("the operation's task was cancelled")
                    };
                    ctx.reporter.event(Event::Failed {
                        address: nodes[i].address.clone(),
                        op: nodes[i].op(),
                        code: error.code.clone(),
                        message: error.message.clone(),
                    });
                    (i, Err(NodeError::Failed(error)))
                }
            };
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

/// The resource's properties with every reference replaced by the recorded
/// output (or the references not recorded, as the error), and its
/// dependencies; without copying the desired properties first.
fn resolve_template(
    r: &gantry_core::Resource,
    s: &gantry_state::State,
) -> (Result<gantry_core::Props, String>, Vec<Address>) {
    let lookup = |rf: &gantry_core::Ref| s.output(&rf.address, &rf.attr).cloned();
    let mut missing = Vec::new();
    let mut deps = std::collections::BTreeSet::new();
    let recorded = s.get(&r.address);
    let props = r
        .props
        .iter()
        .map(|(k, v)| {
            deps.extend(gantry_core::find_refs(v).into_iter().map(|rf| rf.address));
            // Left to AWS once it exists: the plan counted on what it has.
            if r.keep.contains(k) {
                if let Some(v) = recorded.and_then(|rs| rs.props.get(k)) {
                    return (k.clone(), v.clone());
                }
            }
            let (v, m) = gantry_core::resolve(v, &lookup);
            missing.extend(m.0.iter().map(|rf| rf.to_string()));
            (k.clone(), v)
        })
        .collect();
    deps.extend(r.depends_on.iter().cloned());
    let props = if missing.is_empty() {
        Ok(props)
    } else {
        Err(missing.join(", "))
    };
    (props, deps.into_iter().collect())
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
