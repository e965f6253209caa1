//! The batched refresh: every recorded resource read back, kind by kind in
//! reads as big as each provider's batched call ([`Provider::read_batch`]),
//! all within the per-service limits, and, when the providers have an
//! inventory, the stack's listing at the same time, whose unrecorded
//! objects are confirmed by a read and returned as orphans.

use crate::engine::{Engine, EngineError};
use crate::events::{Event, Reporter};
use crate::retry::{guard, read_checked, Attempts};
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use gantry_core::{Address, Listed, Observed, Props, Provider, ProviderError, ReadRequest};
use gantry_plan::{Orphan, Refreshed};
use gantry_state::{ResourceState, State, Store};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

/// Where a refresh finds the recorded resources.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// A state the caller holds: read as is, every observation returned.
    State(&'a State),
    /// The store's state, copied one read at a time, each observation
    /// folded into the store as it arrives: a refresh of a big state then
    /// holds the reads in flight, not a second copy of everything.
    Store(&'a Store),
}

impl<'a> Source<'a> {
    fn with<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        match self {
            Source::State(s) => f(s),
            Source::Store(st) => st.with_state(f),
        }
    }

    /// The id and recorded properties of each address, borrowed or copied.
    #[allow(clippy::type_complexity)]
    fn load(&self, addresses: &[Address]) -> Vec<(Address, Cow<'a, str>, Cow<'a, Props>)> {
        match self {
            Source::State(s) => addresses
                .iter()
                .filter_map(|a| {
                    let rs: &'a ResourceState = s.get(a)?;
                    Some((
                        a.clone(),
                        Cow::Borrowed(rs.id.as_str()),
                        Cow::Borrowed(&rs.props),
                    ))
                })
                .collect(),
            Source::Store(st) => st.with_state(|s| {
                addresses
                    .iter()
                    .filter_map(|a| {
                        let rs = s.get(a)?;
                        Some((
                            a.clone(),
                            Cow::Owned(rs.id.clone()),
                            Cow::Owned(rs.props.clone()),
                        ))
                    })
                    .collect()
            }),
        }
    }
}

/// What a refresh reads.
#[derive(Clone, Copy)]
enum Scope<'a> {
    /// Every recorded resource, and the stack's inventory.
    All,
    /// The inventory alone (its unrecorded objects confirmed by a read).
    Orphans,
    /// These recorded resources, and no inventory.
    Only(&'a [Address]),
}

/// What one piece of a refresh produced.
enum Done<'a> {
    Read {
        kind: &'a str,
        addresses: Vec<Address>,
        result: Result<Vec<Option<Observed>>, ProviderError>,
    },
    Listed(Result<Vec<Listed>, ProviderError>),
    Confirmed {
        kind: String,
        listed: Vec<Listed>,
        result: Result<Vec<Option<Observed>>, ProviderError>,
    },
}

/// One kind's reads still running, for its `RefreshedKind` event.
struct KindProgress {
    reads: usize,
    resources: usize,
    gone: usize,
}

impl Engine {
    /// Reads every recorded resource back, in one batched `read` per kind
    /// (or reads of the provider's batch size, run concurrently), all within
    /// the per-service limits. With an inventory, also lists the stack at
    /// the same time and returns its objects the state does not record, each
    /// confirmed by a read ([`Refreshed::orphans`]). Provider panics and
    /// reads that answer for more or fewer resources than asked fail the
    /// refresh, naming the kind; retryable errors are retried first.
    pub async fn refresh(
        &self,
        state: &State,
        reporter: &dyn Reporter,
    ) -> Result<Refreshed, EngineError> {
        self.refresh_with(Source::State(state), reporter, Scope::All)
            .await
    }

    /// [`Engine::refresh`] of the store's state that folds what was
    /// observed into it as each read arrives (persisted by the apply's final
    /// compaction), the way Terraform's apply saves the refreshed state. The
    /// result holds only what was found gone, and the orphans: plan it
    /// against the store's state, which now has the rest. Use before
    /// planning an apply; plain `refresh` suits read-only commands.
    pub async fn refresh_store(
        &self,
        store: &Store,
        reporter: &dyn Reporter,
    ) -> Result<Refreshed, EngineError> {
        self.refresh_with(Source::Store(store), reporter, Scope::All)
            .await
    }

    /// [`Engine::refresh_store`] of `addresses` alone, without listing the
    /// stack: what `deploy` reads of the services it ships to (the rest of
    /// the stack is not its business). Returns the addresses found gone.
    pub async fn refresh_addresses(
        &self,
        store: &Store,
        addresses: &[Address],
        reporter: &dyn Reporter,
    ) -> Result<Refreshed, EngineError> {
        self.refresh_with(Source::Store(store), reporter, Scope::Only(addresses))
            .await
    }

    /// The objects the stack's inventory lists that `state` does not record
    /// (neither current nor deposed), confirmed by a read: what `destroy`
    /// deletes besides the state and `status` reports. Empty without an
    /// inventory.
    pub async fn orphans(
        &self,
        state: &State,
        reporter: &dyn Reporter,
    ) -> Result<Vec<Orphan>, EngineError> {
        Ok(self
            .refresh_with(Source::State(state), reporter, Scope::Orphans)
            .await?
            .orphans)
    }

    /// [`Engine::orphans`] of the store's state, without copying it.
    pub(crate) async fn orphans_of(
        &self,
        store: &Store,
        reporter: &dyn Reporter,
    ) -> Result<Vec<Orphan>, EngineError> {
        Ok(self
            .refresh_with(Source::Store(store), reporter, Scope::Orphans)
            .await?
            .orphans)
    }

    async fn refresh_with(
        &self,
        source: Source<'_>,
        reporter: &dyn Reporter,
        scope: Scope<'_>,
    ) -> Result<Refreshed, EngineError> {
        let started = Instant::now();
        let by_kind: BTreeMap<String, Vec<Address>> = if !matches!(scope, Scope::Orphans) {
            let (by_kind, n) = source.with(|s| {
                let mut m: BTreeMap<String, Vec<Address>> = BTreeMap::new();
                let mut n = 0;
                for (a, rs) in &s.resources {
                    if let Scope::Only(only) = scope {
                        if !only.contains(a) {
                            continue;
                        }
                    }
                    m.entry(rs.kind.clone()).or_default().push(a.clone());
                    n += 1;
                }
                (m, n)
            });
            reporter.event(Event::RefreshStarted {
                kinds: by_kind.len(),
                resources: n,
            });
            by_kind
        } else {
            BTreeMap::new()
        };
        let empty = Props::new();
        let mut sems: HashMap<&'static str, Arc<Semaphore>> = HashMap::new();
        let mut slots = |kind: &str| {
            let svc = self.service(kind);
            sems.entry(svc)
                .or_insert_with(|| Arc::new(Semaphore::new(self.limits.for_service(svc))))
                .clone()
        };
        let mut pending: FuturesUnordered<BoxFuture<'_, Done<'_>>> = FuturesUnordered::new();
        let mut progress: HashMap<&str, KindProgress> = HashMap::new();
        for (kind, items) in &by_kind {
            let kind = kind.as_str();
            let p = self.provider(kind)?;
            let size = p.read_batch().filter(|&b| b > 0).unwrap_or(usize::MAX);
            let chunks: Vec<&[Address]> = items.chunks(size).collect();
            progress.insert(
                kind,
                KindProgress {
                    reads: chunks.len(),
                    resources: items.len(),
                    gone: 0,
                },
            );
            for chunk in chunks {
                let (p, sem) = (p.clone(), slots(kind));
                pending.push(Box::pin(async move {
                    let _slot = sem.acquire_owned().await.expect("never closed");
                    let data = source.load(chunk);
                    let reqs: Vec<ReadRequest<'_>> = data
                        .iter()
                        .map(|(a, id, props)| ReadRequest {
                            address: a,
                            id,
                            props,
                        })
                        .collect();
                    let mut attempts = Attempts::new(self.retry, reporter, kind, None);
                    let result = read_checked(&*p, &reqs, &mut attempts).await;
                    drop(reqs);
                    Done::Read {
                        kind,
                        addresses: data.into_iter().map(|(a, _, _)| a).collect(),
                        result,
                    }
                }));
            }
        }
        let inventory = match scope {
            Scope::Only(_) => None,
            _ => self.providers.inventory(),
        };
        if let Some(inv) = inventory {
            let inv = inv.clone();
            pending.push(Box::pin(async move {
                let mut attempts = Attempts::new(self.retry, reporter, "inventory", None);
                loop {
                    match guard("inventory", "list", inv.stack_objects(&self.tags)).await {
                        Ok(l) => break Done::Listed(Ok(l)),
                        Err(e) => {
                            if !attempts.again("list", &e).await {
                                break Done::Listed(Err(attempts.final_error(e)));
                            }
                        }
                    }
                }
            }));
        }
        let mut out = Refreshed::none();
        let mut listed_count = 0;
        let mut listing_done = false;
        let mut confirming = 0usize;
        let mut orphans: Vec<Orphan> = Vec::new();
        while let Some(done) = pending.next().await {
            match done {
                Done::Read {
                    kind,
                    addresses,
                    result,
                } => {
                    let observed = result.map_err(|error| EngineError::Refresh {
                        kind: kind.to_string(),
                        error,
                    })?;
                    let pr = progress.get_mut(kind).expect("started");
                    pr.gone += observed.iter().filter(|o| o.is_none()).count();
                    pr.reads -= 1;
                    if pr.reads == 0 {
                        reporter.event(Event::RefreshedKind {
                            kind: kind.to_string(),
                            resources: pr.resources,
                            gone: pr.gone,
                            elapsed: started.elapsed(),
                        });
                    }
                    match source {
                        Source::State(_) => {
                            out.observed.extend(addresses.into_iter().zip(observed))
                        }
                        Source::Store(st) => {
                            st.absorb_observed(
                                addresses
                                    .iter()
                                    .zip(&observed)
                                    .filter_map(|(a, o)| o.as_ref().map(|o| (a, o))),
                            );
                            out.observed.extend(
                                addresses
                                    .into_iter()
                                    .zip(observed)
                                    .filter(|(_, o)| o.is_none()),
                            );
                        }
                    }
                }
                Done::Listed(result) => {
                    let listed = result.map_err(EngineError::Inventory)?;
                    listed_count = listed.len();
                    let unknown: BTreeMap<String, Vec<Listed>> = source.with(|s| {
                        let mut known: HashSet<(&str, &str)> = HashSet::new();
                        for rs in s.resources.values() {
                            known.insert((&rs.kind, &rs.id));
                            for d in &rs.deposed {
                                known.insert((&rs.kind, &d.id));
                            }
                        }
                        let mut unknown: BTreeMap<String, Vec<Listed>> = BTreeMap::new();
                        for l in listed {
                            if !known.contains(&(l.kind.as_str(), l.id.as_str())) {
                                unknown.entry(l.kind.clone()).or_default().push(l);
                            }
                        }
                        unknown
                    });
                    listing_done = true;
                    for (kind, items) in unknown {
                        let Some(p) = self.providers.get(&kind).cloned() else {
                            reporter.event(Event::Warning {
                                message: format!(
                                    "the stack's inventory lists {} object(s) of kind {kind}, which no provider handles; left alone",
                                    items.len()
                                ),
                            });
                            continue;
                        };
                        let size = p.read_batch().filter(|&b| b > 0).unwrap_or(usize::MAX);
                        let mut items = items;
                        while !items.is_empty() {
                            let rest = items.split_off(size.min(items.len()));
                            let chunk = std::mem::replace(&mut items, rest);
                            confirming += 1;
                            pending.push(confirm(
                                self,
                                reporter,
                                p.clone(),
                                slots(&kind),
                                kind.clone(),
                                chunk,
                                &empty,
                            ));
                        }
                    }
                }
                Done::Confirmed {
                    kind,
                    listed,
                    result,
                } => {
                    let observed = result.map_err(|error| EngineError::Refresh { kind, error })?;
                    confirming -= 1;
                    // Listings lag behind deletes: what reads as gone is.
                    orphans.extend(listed.into_iter().zip(observed).filter_map(|(l, o)| {
                        o.map(|observed| Orphan {
                            kind: l.kind,
                            id: l.id,
                            address: l.address,
                            observed,
                        })
                    }));
                }
            }
            if listing_done && confirming == 0 {
                listing_done = false;
                reporter.event(Event::InventoryListed {
                    objects: listed_count,
                    untracked: orphans.len(),
                    elapsed: started.elapsed(),
                });
            }
        }
        orphans.sort_by(|a, b| (&a.kind, &a.id).cmp(&(&b.kind, &b.id)));
        out.orphans = orphans;
        Ok(out)
    }

    fn provider(&self, kind: &str) -> Result<Arc<dyn Provider>, EngineError> {
        self.providers
            .get(kind)
            .cloned()
            .ok_or_else(|| EngineError::NoProvider(kind.to_string()))
    }
}

/// Reads listed objects the state does not record, with no recorded
/// properties (ids alone must find them).
fn confirm<'a>(
    engine: &'a Engine,
    reporter: &'a dyn Reporter,
    p: Arc<dyn Provider>,
    sem: Arc<Semaphore>,
    kind: String,
    listed: Vec<Listed>,
    empty: &'a Props,
) -> BoxFuture<'a, Done<'a>> {
    Box::pin(async move {
        let _slot = sem.acquire_owned().await.expect("never closed");
        let addresses: Vec<Address> = listed
            .iter()
            .map(|l| {
                l.address
                    .clone()
                    .unwrap_or_else(|| Address::of(&l.kind, &format!("untracked-{}", l.id)))
            })
            .collect();
        let reqs: Vec<ReadRequest<'_>> = listed
            .iter()
            .zip(&addresses)
            .map(|(l, a)| ReadRequest {
                address: a,
                id: &l.id,
                props: empty,
            })
            .collect();
        let mut attempts = Attempts::new(engine.retry, reporter, &kind, None);
        let result = read_checked(&*p, &reqs, &mut attempts).await;
        drop(reqs);
        Done::Confirmed {
            kind,
            listed,
            result,
        }
    })
}
