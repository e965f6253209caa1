//! An in-memory cloud for tests and benchmarks: resources per kind with
//! tags, simulated per-call latency, failure injection, call timing and
//! per-service concurrency tracking. It implements `find` by the
//! `gantry:address` tag, so crash-recovery adoption is exercised for real.
//!
//! Crash injection (a simulated `kill -9`) lives in the state store:
//! [`gantry_state::Store::set_crash_point`] stops all writes at the Nth
//! journaled intent or before the Nth result, while calls already made here
//! stay made, which is exactly the window adoption must cover.

use async_trait::async_trait;
use gantry_core::{
    Address, Applied, CreateRequest, DeleteRequest, FindRequest, KindMeta, Observed, Props,
    Provider, ProviderError, ProviderSet, ReadRequest, StackTags, UpdateRequest,
};
use gantry_state::MetaLookup;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Which provider method a call was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FakeOp {
    Create,
    Read,
    Update,
    Delete,
    Find,
}

/// One recorded provider call, with times relative to the cloud's creation.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub op: FakeOp,
    pub kind: String,
    /// For reads: every address in the batch.
    pub addresses: Vec<Address>,
    /// The physical id acted on (update, delete) or produced (create).
    pub id: Option<String>,
    pub start: Duration,
    pub end: Duration,
}

/// One resource living in the fake cloud.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeObject {
    pub id: String,
    pub kind: String,
    pub address: Address,
    pub props: Props,
    pub tags: BTreeMap<String, String>,
    pub outputs: Props,
}

struct Injected {
    address: Address,
    op: FakeOp,
    /// `None` = always.
    remaining: Option<u32>,
    /// Do the work, then report the error (a create whose wait timed out).
    after: bool,
    error: ProviderError,
}

#[derive(Default)]
struct Inner {
    objects: BTreeMap<String, FakeObject>,
    next_id: u64,
    calls: Vec<Call>,
    failures: Vec<Injected>,
    running: HashMap<&'static str, usize>,
    peak: HashMap<&'static str, usize>,
    tokens: HashMap<String, String>,
}

/// The fake cloud. Share it with `Arc`; [`FakeCloud::providers`] gives the
/// engine one provider per kind backed by it.
pub struct FakeCloud {
    inner: Mutex<Inner>,
    latency: Mutex<Duration>,
    honor_tokens: bool,
    meta: MetaLookup,
    epoch: Instant,
}

impl FakeCloud {
    pub fn new() -> Arc<FakeCloud> {
        Self::build(Duration::ZERO, false, gantry_core::kind_meta)
    }

    /// A cloud where every call takes `latency`.
    pub fn with_latency(latency: Duration) -> Arc<FakeCloud> {
        Self::build(latency, false, gantry_core::kind_meta)
    }

    /// Full control: latency, whether creates honour idempotency tokens (a
    /// repeated token returns the first object, like EC2's `ClientToken`),
    /// and the kind metadata (services, secret fields).
    pub fn build(latency: Duration, honor_tokens: bool, meta: MetaLookup) -> Arc<FakeCloud> {
        Arc::new(FakeCloud {
            inner: Mutex::new(Inner::default()),
            latency: Mutex::new(latency),
            honor_tokens,
            meta,
            epoch: Instant::now(),
        })
    }

    pub fn set_latency(&self, d: Duration) {
        *self.latency.lock().expect("latency") = d;
    }

    /// Providers for every kind Gantry knows.
    pub fn providers(self: &Arc<Self>) -> ProviderSet {
        self.providers_for(gantry_core::kinds::ALL)
    }

    /// Providers for the given kinds only.
    pub fn providers_for(self: &Arc<Self>, kinds: &[&'static str]) -> ProviderSet {
        let mut set = ProviderSet::new();
        for k in kinds {
            set.insert(Arc::new(FakeProvider {
                kind: k,
                cloud: self.clone(),
            }));
        }
        set
    }

    /// Makes `op` on `address` fail with AWS-style `code`, `times` times
    /// (`None`: always).
    pub fn fail(&self, address: &Address, op: FakeOp, times: Option<u32>, code: &str) {
        self.inject(address, op, times, code, false);
    }

    /// Like [`FakeCloud::fail`], but the call does its work before failing:
    /// a create leaves an object behind (as when AWS created the resource
    /// and the wait for it to become available timed out).
    pub fn fail_after(&self, address: &Address, op: FakeOp, times: Option<u32>, code: &str) {
        self.inject(address, op, times, code, true);
    }

    fn inject(&self, address: &Address, op: FakeOp, times: Option<u32>, code: &str, after: bool) {
        self.lock().failures.push(Injected {
            address: address.clone(),
            op,
            remaining: times,
            after,
            error: ProviderError::new(code, format!("injected failure of {op:?} on {address}")),
        });
    }

    /// Every object, by id.
    pub fn objects(&self) -> Vec<FakeObject> {
        self.lock().objects.values().cloned().collect()
    }

    /// Objects by address (more than one means a duplicate).
    pub fn by_address(&self) -> BTreeMap<Address, Vec<FakeObject>> {
        let mut m: BTreeMap<Address, Vec<FakeObject>> = BTreeMap::new();
        for o in self.objects() {
            m.entry(o.address.clone()).or_default().push(o);
        }
        m
    }

    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// The most calls of one service that were ever in flight at once.
    pub fn peak_in_flight(&self, service: &str) -> usize {
        self.lock().peak.get(service).copied().unwrap_or(0)
    }

    /// Deletes an object behind Gantry's back (drift tests).
    pub fn remove_object(&self, id: &str) -> Option<FakeObject> {
        self.lock().objects.remove(id)
    }

    /// Changes a property behind Gantry's back (drift tests).
    pub fn set_prop(&self, id: &str, field: &str, v: Value) {
        if let Some(o) = self.lock().objects.get_mut(id) {
            o.props.insert(field.to_string(), v);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("fake cloud")
    }

    fn service(&self, kind: &str) -> &'static str {
        (self.meta)(kind).map(|m| m.service).unwrap_or("other")
    }

    fn secret(&self, kind: &str) -> &'static [&'static str] {
        (self.meta)(kind)
            .map(|m: &KindMeta| m.secret)
            .unwrap_or(&[])
    }

    /// Simulates the call's latency while counting it as in flight.
    async fn call<T>(
        &self,
        kind: &str,
        op: FakeOp,
        addresses: Vec<Address>,
        f: impl FnOnce(&mut Inner) -> Result<(T, Option<String>), ProviderError>,
    ) -> Result<T, ProviderError> {
        let svc = self.service(kind);
        let start = self.epoch.elapsed();
        {
            let mut g = self.lock();
            let r = g.running.entry(svc).or_insert(0);
            *r += 1;
            let now = *r;
            let p = g.peak.entry(svc).or_insert(0);
            *p = (*p).max(now);
        }
        let latency = *self.latency.lock().expect("latency");
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let mut g = self.lock();
        *g.running.get_mut(svc).expect("counted") -= 1;
        let injected = match addresses.first() {
            Some(a) if addresses.len() == 1 => {
                let hit = g
                    .failures
                    .iter_mut()
                    .find(|f| &f.address == a && f.op == op && f.remaining != Some(0));
                hit.map(|f| {
                    if let Some(n) = f.remaining.as_mut() {
                        *n -= 1;
                    }
                    (f.error.clone(), f.after)
                })
            }
            _ => None,
        };
        let result = match injected {
            Some((e, true)) => f(&mut g).and(Err(e)),
            Some((e, false)) => Err(e),
            None => f(&mut g),
        };
        let id = result.as_ref().ok().and_then(|(_, id)| id.clone());
        g.calls.push(Call {
            op,
            kind: kind.to_string(),
            addresses,
            id,
            start,
            end: self.epoch.elapsed(),
        });
        result.map(|(t, _)| t)
    }
}

struct FakeProvider {
    kind: &'static str,
    cloud: Arc<FakeCloud>,
}

fn outputs_of(id: &str, kind: &str, props: &Props) -> Props {
    let mut o = Props::new();
    o.insert("id".into(), Value::String(id.to_string()));
    o.insert("arn".into(), Value::String(format!("arn:fake:{kind}:{id}")));
    if let Some(n) = props.get("name") {
        o.insert("name".into(), n.clone());
    }
    o
}

#[async_trait]
impl Provider for FakeProvider {
    fn kind(&self) -> &'static str {
        self.kind
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let kind = self.kind;
        let honor = self.cloud.honor_tokens;
        let tags = req.tags.for_address(req.address);
        self.cloud
            .call(kind, FakeOp::Create, vec![req.address.clone()], |g| {
                if honor {
                    if let Some(o) = g.tokens.get(req.token).and_then(|id| g.objects.get(id)) {
                        return Ok((
                            Applied {
                                id: o.id.clone(),
                                outputs: o.outputs.clone(),
                            },
                            Some(o.id.clone()),
                        ));
                    }
                }
                g.next_id += 1;
                let id = format!("{}-{:06}", kind.replace('_', "-"), g.next_id);
                let outputs = outputs_of(&id, kind, req.props);
                g.objects.insert(
                    id.clone(),
                    FakeObject {
                        id: id.clone(),
                        kind: kind.to_string(),
                        address: req.address.clone(),
                        props: req.props.clone(),
                        tags,
                        outputs: outputs.clone(),
                    },
                );
                g.tokens.insert(req.token.to_string(), id.clone());
                Ok((
                    Applied {
                        id: id.clone(),
                        outputs,
                    },
                    Some(id),
                ))
            })
            .await
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        let secret = self.cloud.secret(self.kind);
        let addrs = reqs.iter().map(|r| r.address.clone()).collect();
        self.cloud
            .call(self.kind, FakeOp::Read, addrs, |g| {
                let out = reqs
                    .iter()
                    .map(|r| {
                        g.objects.get(r.id).map(|o| Observed {
                            // Like AWS, secrets are write-only.
                            props: o
                                .props
                                .iter()
                                .filter(|(k, _)| !secret.contains(&k.as_str()))
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect(),
                            outputs: o.outputs.clone(),
                        })
                    })
                    .collect();
                Ok((out, None))
            })
            .await
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let kind = self.kind;
        self.cloud
            .call(kind, FakeOp::Update, vec![req.address.clone()], |g| {
                let o = g.objects.get_mut(req.id).ok_or_else(|| {
                    ProviderError::not_found(format!("{} {} does not exist", kind, req.id))
                })?;
                o.props = req.new.clone();
                o.outputs = outputs_of(&o.id, kind, req.new);
                Ok((
                    Applied {
                        id: o.id.clone(),
                        outputs: o.outputs.clone(),
                    },
                    Some(o.id.clone()),
                ))
            })
            .await
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        self.cloud
            .call(self.kind, FakeOp::Delete, vec![req.address.clone()], |g| {
                g.objects.remove(req.id);
                Ok(((), Some(req.id.to_string())))
            })
            .await
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let want: BTreeMap<String, String> = req.tags.for_address(req.address);
        let kind = self.kind;
        self.cloud
            .call(kind, FakeOp::Find, vec![req.address.clone()], |g| {
                // The newest match, as a find by name or tag on AWS returns
                // the latest revision or most recent object.
                let found = g
                    .objects
                    .values()
                    .rev()
                    .find(|o| o.kind == kind && want.iter().all(|(k, v)| o.tags.get(k) == Some(v)))
                    .map(|o| Applied {
                        id: o.id.clone(),
                        outputs: o.outputs.clone(),
                    });
                Ok((found, None))
            })
            .await
    }
}

/// Tags for tests: stack `app`, env `test`.
pub fn test_tags() -> StackTags {
    StackTags {
        stack: "app".into(),
        env: "test".into(),
    }
}
