//! One node of the walk: a create, update or delete, journaled before and
//! after, with the engine's bounded retries.
//!
//! Retries stay inside the operation's single journal intent: every
//! attempt of a create presents the intent's idempotency token and the
//! address's tags, so the one intent truthfully says "this object may
//! exist", and recovery after a crash at any point (between attempts
//! included) finds it with the same token and tags. An intent per attempt
//! would change the token between attempts, which is how a retried create
//! makes a second copy. The only extra intent is the update that finishes
//! a create found half-done: by then the object is recorded.

use crate::events::{Event, Notes, Reporter};
use crate::graph::Work;
use crate::retry::{guard, read_checked, Attempts, RetryPolicy};
use gantry_core::{
    Address, Applied, CreateRequest, DeleteRequest, FindRequest, Props, Provider, ProviderError,
    ProviderSet, ReadRequest, StackTags, UpdateRequest,
};
use gantry_state::{MetaLookup, Op, Outcome, StateError, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) enum NodeError {
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

/// What every node of one walk shares.
pub(crate) struct Ctx {
    pub providers: ProviderSet,
    pub tags: StackTags,
    pub store: Arc<Store>,
    pub reporter: Arc<dyn Reporter>,
    pub meta: MetaLookup,
    pub retry: RetryPolicy,
    pub settle: Duration,
}

/// One operation of the walk.
pub(crate) struct Node<'a> {
    ctx: &'a Ctx,
    p: Arc<dyn Provider>,
    address: Address,
    kind: String,
    op: Op,
}

/// Runs one node: creates, updates or deletes with its `template` (the
/// desired properties resolved at launch, or the references that were not,
/// and its dependencies). Returns how long it took.
pub(crate) async fn run_node(
    ctx: &Ctx,
    address: Address,
    kind: String,
    work: Work,
    template: Option<(Result<Props, String>, Vec<Address>)>,
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
    let node = Node {
        ctx,
        p,
        address,
        kind,
        op,
    };
    let (resolved, deps) = match template {
        Some((Ok(props), deps)) => (props, deps),
        Some((Err(missing), _)) => {
            let e = ProviderError::msg(format!("unresolved references: {missing}"));
            return Err(node.failed(e));
        }
        None => (Props::new(), Vec::new()),
    };
    let mut attempts = Attempts::new(ctx.retry, &*ctx.reporter, &node.kind, Some(&node.address));
    let id = match work {
        Work::Create { forget } => {
            if let Some(old) = forget {
                let it = ctx
                    .store
                    .begin(
                        Op::Delete,
                        &node.address,
                        &node.kind,
                        Some(&old),
                        &Props::new(),
                        &[],
                    )
                    .await?;
                ctx.store.finish(it.seq, Outcome::Gone).await?;
            }
            node.started(None);
            node.create(&resolved, &deps, &mut attempts).await?
        }
        Work::Update { changed } => {
            let recorded = ctx.store.with_state(|s| {
                s.get(&node.address)
                    .map(|r| (r.id.clone(), r.props.clone()))
            });
            let (id, old) = match recorded {
                Some((id, old)) if !id.is_empty() => (id, old),
                _ => {
                    node.started(None);
                    return Err(node.failed(ProviderError::new(
                        "MissingId",
                        format!(
                            "the state records no physical id for {}, so it cannot be updated",
                            node.address
                        ),
                    )));
                }
            };
            node.started(Some(&id));
            node.update(&id, old, &resolved, changed, &deps, &mut attempts)
                .await?
        }
        Work::Delete { id, props } => {
            node.started(Some(&id));
            if id.is_empty() {
                return Err(node.failed(ProviderError::new(
                    "MissingId",
                    format!(
                        "the state records no physical id for {}, so it cannot be deleted",
                        node.address
                    ),
                )));
            }
            node.delete(&id, props, &mut attempts).await?;
            id
        }
    };
    let elapsed = t.elapsed();
    ctx.reporter.event(Event::Finished {
        address: node.address,
        op,
        id: Some(id),
        elapsed,
    });
    Ok(elapsed)
}

/// How a create's attempts ended.
enum Created {
    New(Applied),
    /// A retry's lookup found what an earlier attempt made.
    Found(Applied),
}

impl Node<'_> {
    fn started(&self, id: Option<&str>) {
        self.ctx.reporter.event(Event::Started {
            address: self.address.clone(),
            op: self.op,
            id: id.map(str::to_string),
        });
    }

    fn failed(&self, e: ProviderError) -> NodeError {
        self.ctx.reporter.event(Event::Failed {
            address: self.address.clone(),
            op: self.op,
            code: e.code.clone(),
            message: e.message.clone(),
        });
        NodeError::Failed(e)
    }

    fn kind_meta(&self) -> Option<&'static gantry_core::KindMeta> {
        (self.ctx.meta)(&self.kind)
    }

    /// Creates the object. A retryable failure is never simply sent again:
    /// the object is looked up first (an earlier attempt, or an earlier call
    /// of this one, may have made it), adopted if found, and finished from
    /// what AWS has.
    async fn create(
        &self,
        resolved: &Props,
        deps: &[Address],
        attempts: &mut Attempts<'_>,
    ) -> Result<String, NodeError> {
        let ctx = self.ctx;
        let intent = ctx
            .store
            .begin(Op::Create, &self.address, &self.kind, None, resolved, deps)
            .await?;
        let notes = Notes(&*ctx.reporter);
        let result = loop {
            let sent = guard(
                &self.kind,
                "create",
                self.p.create(CreateRequest {
                    address: &self.address,
                    props: resolved,
                    tags: &ctx.tags,
                    token: &intent.token,
                    notes: &notes,
                }),
            )
            .await;
            let e = match sent {
                Ok(a) => break Ok(Created::New(a)),
                Err(e) => e,
            };
            if !attempts.again("create", &e).await {
                break Err(e);
            }
            match self.lookup(resolved, &intent.token, attempts).await {
                Ok(Some(found)) => break Ok(Created::Found(found)),
                Ok(None) => continue,
                // Whether the object exists is unknown: never resend.
                Err(lookup) => break Err(unconfirmed(e, lookup)),
            }
        };
        match result {
            Ok(Created::New(a)) => {
                ctx.store
                    .finish(
                        intent.seq,
                        Outcome::Ok {
                            id: Some(a.id.clone()),
                            outputs: a.outputs,
                        },
                    )
                    .await?;
                Ok(a.id)
            }
            Ok(Created::Found(found)) => {
                self.converge_found(intent.seq, found, resolved, deps, attempts)
                    .await
            }
            Err(e) => {
                let e = attempts.final_error(e);
                // A create can fail after AWS made the object (a wait that
                // timed out, a later call of a create that makes several):
                // record such an object as tainted, so the next plan replaces
                // it instead of creating a second one.
                let leftover = if e.is_retryable() {
                    let mut last =
                        Attempts::new(RetryPolicy::none(), &*ctx.reporter, &self.kind, None);
                    self.lookup(resolved, &intent.token, &mut last).await
                } else {
                    Ok(find_new(
                        &*self.p,
                        &ctx.store,
                        &self.address,
                        resolved,
                        &ctx.tags,
                        &intent.token,
                        &mut Attempts::new(RetryPolicy::none(), &*ctx.reporter, &self.kind, None),
                    )
                    .await
                    .ok()
                    .flatten())
                };
                let leftover = match leftover {
                    Ok(l) => l,
                    Err(_) if e.is_retryable() => {
                        // Leave the intent open: the next run's recovery
                        // looks for the object (token, tags) before anything
                        // creates it again.
                        let mut e = e;
                        e.message.push_str(
                            "; whether it was created is unknown, and the next run looks for it before creating it again",
                        );
                        return Err(self.failed(e));
                    }
                    Err(_) => None,
                };
                ctx.store
                    .finish(
                        intent.seq,
                        Outcome::Err {
                            error: e.message.clone(),
                            code: e.code.clone(),
                            id: leftover.map(|a| a.id),
                        },
                    )
                    .await?;
                Err(self.failed(e))
            }
        }
    }

    /// Looks for the object an attempt with `token` made, and once more
    /// after the settle pause when it is not there yet (AWS lists new
    /// objects after a moment).
    async fn lookup(
        &self,
        props: &Props,
        token: &str,
        attempts: &mut Attempts<'_>,
    ) -> Result<Option<Applied>, ProviderError> {
        let ctx = self.ctx;
        for look in 0..2 {
            if look == 1 {
                if ctx.settle.is_zero() {
                    break;
                }
                tokio::time::sleep(ctx.settle).await;
            }
            let found = find_new(
                &*self.p,
                &ctx.store,
                &self.address,
                props,
                &ctx.tags,
                token,
                attempts,
            )
            .await?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// Records the object an earlier attempt made (as recovery's adoption
    /// does), then brings it to the desired properties: in place when it
    /// can, tainted (replaced by the next plan) when a force-new field
    /// differs.
    async fn converge_found(
        &self,
        seq: u64,
        found: Applied,
        resolved: &Props,
        deps: &[Address],
        attempts: &mut Attempts<'_>,
    ) -> Result<String, NodeError> {
        let ctx = self.ctx;
        let read = read_checked(
            &*self.p,
            &[ReadRequest {
                address: &self.address,
                id: &found.id,
                props: resolved,
            }],
            attempts,
        )
        .await;
        let taint = |error: String, code: Option<String>| Outcome::Err {
            error,
            code,
            id: Some(found.id.clone()),
        };
        let observed = match read.map(|mut v| v.pop().flatten()) {
            Ok(Some(o)) => o,
            Ok(None) => {
                let e = ProviderError::not_found(format!(
                    "{} {} was found after a failed create, then read as gone",
                    self.address, found.id
                ));
                ctx.store
                    .finish(
                        seq,
                        Outcome::Err {
                            error: e.message.clone(),
                            code: e.code.clone(),
                            id: None,
                        },
                    )
                    .await?;
                return Err(self.failed(e));
            }
            Err(e) => {
                // It exists but is unchecked: tainted, replaced next time.
                ctx.store
                    .finish(seq, taint(e.message.clone(), e.code.clone()))
                    .await?;
                return Err(self.failed(e));
            }
        };
        let mut current = resolved.clone();
        current.extend(observed.props);
        let meta = self.kind_meta();
        let changed = meta
            .map(|m| gantry_plan::changed_fields(m, &current, resolved))
            .unwrap_or_default();
        let forced: Vec<&String> = changed
            .iter()
            .filter(|f| meta.is_some_and(|m| m.force_new.contains(&f.as_str())))
            .collect();
        if !forced.is_empty() {
            let e = ProviderError::new(
                "Diverged",
                format!(
                    "the object an interrupted attempt made ({}) differs from the spec in {}, which cannot be updated in place; it is recorded as tainted and the next plan replaces it",
                    found.id,
                    forced.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ),
            );
            ctx.store
                .finish(seq, taint(e.message.clone(), e.code.clone()))
                .await?;
            return Err(self.failed(e));
        }
        let mut outputs = found.outputs;
        outputs.extend(observed.outputs);
        ctx.store
            .finish(
                seq,
                Outcome::Ok {
                    id: Some(found.id.clone()),
                    outputs,
                },
            )
            .await?;
        ctx.reporter.event(Event::Adopted {
            address: self.address.clone(),
            id: found.id.clone(),
        });
        if changed.is_empty() {
            return Ok(found.id);
        }
        // Finish what the interrupted attempt left undone.
        self.update(&found.id, current, resolved, changed, deps, attempts)
            .await
    }

    /// Updates `changed` fields from `old` to `new`. After a retryable
    /// failure the object is read again and the update continues from what
    /// AWS has now (the changed fields recomputed), so a half-applied update
    /// is finished rather than replayed blindly.
    async fn update(
        &self,
        id: &str,
        mut old: Props,
        new: &Props,
        mut changed: Vec<String>,
        deps: &[Address],
        attempts: &mut Attempts<'_>,
    ) -> Result<String, NodeError> {
        let ctx = self.ctx;
        let intent = ctx
            .store
            .begin(Op::Update, &self.address, &self.kind, Some(id), new, deps)
            .await?;
        let notes = Notes(&*ctx.reporter);
        let result = loop {
            let sent = guard(
                &self.kind,
                "update",
                self.p.update(UpdateRequest {
                    address: &self.address,
                    id,
                    old: &old,
                    new,
                    changed: &changed,
                    tags: &ctx.tags,
                    notes: &notes,
                }),
            )
            .await;
            let e = match sent {
                Ok(a) => break Ok(a),
                Err(e) => e,
            };
            if !attempts.again("update", &e).await {
                break Err(attempts.final_error(e));
            }
            let read = read_checked(
                &*self.p,
                &[ReadRequest {
                    address: &self.address,
                    id,
                    props: &old,
                }],
                attempts,
            )
            .await;
            match read.map(|mut v| v.pop().flatten()) {
                Err(e) => break Err(e),
                Ok(None) => {
                    break Err(ProviderError::not_found(format!(
                        "{} {id} no longer exists; the next plan creates it again",
                        self.address
                    )))
                }
                Ok(Some(observed)) => {
                    old.extend(observed.props);
                    changed = self
                        .kind_meta()
                        .map(|m| gantry_plan::changed_fields(m, &old, new))
                        .unwrap_or(changed);
                    if changed.is_empty() {
                        // The failed attempt had done it all.
                        let mut outputs = ctx
                            .store
                            .with_state(|s| s.get(&self.address).map(|r| r.outputs.clone()))
                            .unwrap_or_default();
                        outputs.extend(observed.outputs);
                        break Ok(Applied {
                            id: id.to_string(),
                            outputs,
                        });
                    }
                }
            }
        };
        match result {
            Ok(a) => {
                ctx.store
                    .finish(
                        intent.seq,
                        Outcome::Ok {
                            id: Some(a.id.clone()),
                            outputs: a.outputs,
                        },
                    )
                    .await?;
                Ok(a.id)
            }
            Err(e) => {
                ctx.store
                    .finish(
                        intent.seq,
                        Outcome::Err {
                            error: e.message.clone(),
                            code: e.code.clone(),
                            id: None,
                        },
                    )
                    .await?;
                Err(self.failed(e))
            }
        }
    }

    /// Deletes object `id`; "already gone" is success, so a retry simply
    /// sends it again.
    async fn delete(
        &self,
        id: &str,
        props: Option<Props>,
        attempts: &mut Attempts<'_>,
    ) -> Result<(), NodeError> {
        let ctx = self.ctx;
        let old = props.unwrap_or_else(|| {
            ctx.store.with_state(|s| {
                s.get(&self.address)
                    .and_then(|r| {
                        if r.id == id {
                            Some(r.props.clone())
                        } else {
                            r.deposed
                                .iter()
                                .find(|d| d.id == id)
                                .map(|d| d.props.clone())
                        }
                    })
                    .unwrap_or_default()
            })
        });
        let intent = ctx
            .store
            .begin(
                Op::Delete,
                &self.address,
                &self.kind,
                Some(id),
                &Props::new(),
                &[],
            )
            .await?;
        let notes = Notes(&*ctx.reporter);
        let result = loop {
            let sent = guard(
                &self.kind,
                "delete",
                self.p.delete(DeleteRequest {
                    address: &self.address,
                    id,
                    props: &old,
                    notes: &notes,
                }),
            )
            .await;
            match sent {
                Ok(()) => break Ok(()),
                Err(e) if e.is_not_found() => break Ok(()),
                Err(e) => {
                    if !attempts.again("delete", &e).await {
                        break Err(attempts.final_error(e));
                    }
                }
            }
        };
        match result {
            Ok(()) => {
                ctx.store
                    .finish(
                        intent.seq,
                        Outcome::Ok {
                            id: None,
                            outputs: Props::new(),
                        },
                    )
                    .await?;
                Ok(())
            }
            Err(e) => {
                ctx.store
                    .finish(
                        intent.seq,
                        Outcome::Err {
                            error: e.message.clone(),
                            code: e.code.clone(),
                            id: None,
                        },
                    )
                    .await?;
                Err(self.failed(e))
            }
        }
    }
}

/// The create's error, when looking for what it may have made failed too.
fn unconfirmed(create: ProviderError, lookup: ProviderError) -> ProviderError {
    ProviderError {
        message: format!(
            "{}; looking for what it may have made failed too ({lookup})",
            create.message
        ),
        ..create
    }
}

/// Looks for an object created for `address` by the intent with `token`,
/// retrying within `attempts`. A create always makes a new object, so one
/// the state already records at this address (the old object of a
/// create-before-destroy replacement) does not count.
pub(crate) async fn find_new(
    p: &dyn Provider,
    store: &Store,
    address: &Address,
    props: &Props,
    tags: &StackTags,
    token: &str,
    attempts: &mut Attempts<'_>,
) -> Result<Option<Applied>, ProviderError> {
    let found = loop {
        let r = guard(
            p.kind(),
            "find",
            p.find(FindRequest {
                address,
                props,
                tags,
                token,
            }),
        )
        .await;
        match r {
            Ok(f) => break f,
            Err(e) => {
                if !attempts.again("find", &e).await {
                    return Err(attempts.final_error(e));
                }
            }
        }
    };
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
