//! An in-memory cloud for tests and benchmarks: resources per kind with
//! tags, simulated per-call latency, failure injection (errors of every
//! [`ErrorKind`], lost replies, half-done creates, panics, short reads,
//! warnings), call timing and per-service concurrency tracking. It
//! implements `find` by the `gantry:address` tag, so crash-recovery adoption
//! is exercised for real, and [`Inventory`] over the objects carrying a
//! stack's tags, including objects planted behind Gantry's back.
//!
//! Reads cost what the AWS providers pay, never less: each kind's read is
//! charged by the table [`READ_COSTS`] (batched pages one after the other,
//! per-resource calls concurrently within the service's limit), so call
//! counts and refresh times describe the providers, not the fake.
//!
//! Crash injection (a simulated `kill -9`) lives in the state store:
//! [`gantry_state::Store::set_crash_point`] stops all writes at the Nth
//! journaled intent or before the Nth result, while calls already made here
//! stay made, which is exactly the window adoption must cover.

use crate::engine::Limits;
use async_trait::async_trait;
use gantry_core::{
    Address, Applied, CreateRequest, DeleteRequest, ErrorKind, FindRequest, Inventory, KindMeta,
    Listed, Notify, Observed, Props, Provider, ProviderError, ProviderSet, ReadRequest, StackTags,
    UpdateRequest,
};
use gantry_state::MetaLookup;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How the AWS provider of a kind reads `n` resources: `batch` resources
/// per call (the API's page or id-list size; `None` when there is no
/// batched call), plus `per_item` calls for each resource (attributes the
/// batched call does not return). Batched calls go one after the other;
/// per-resource calls run concurrently within the service's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadCost {
    pub batch: Option<usize>,
    pub per_item: usize,
    /// The batched call takes a list of ids, so a big refresh can be split
    /// into concurrent reads of `batch` resources each. Listings (pages of
    /// everything, filtered on our side) cannot be split without listing
    /// everything again.
    pub by_id: bool,
    /// The listing is per parent object, named by this property: Route53
    /// records per hosted zone (`zone_id`), SNS subscriptions per topic
    /// (`topic_arn`), scaling policies and scheduled actions per scalable
    /// target (`resource_id`).
    pub group_by: Option<&'static str>,
}

impl ReadCost {
    const fn ids(batch: usize) -> ReadCost {
        ReadCost {
            batch: Some(batch),
            per_item: 0,
            by_id: true,
            group_by: None,
        }
    }
    const fn listing(batch: usize) -> ReadCost {
        ReadCost {
            batch: Some(batch),
            per_item: 0,
            by_id: false,
            group_by: None,
        }
    }
    const fn each(per_item: usize) -> ReadCost {
        ReadCost {
            batch: None,
            per_item,
            by_id: true,
            group_by: None,
        }
    }
    const fn plus(mut self, per_item: usize) -> ReadCost {
        self.per_item = per_item;
        self
    }
    const fn per(mut self, parent: &'static str) -> ReadCost {
        self.group_by = Some(parent);
        self
    }

    /// The calls a read of `n` resources makes (with one parent: see
    /// `group_by`).
    pub fn calls(&self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        self.batch.map_or(0, |b| n.div_ceil(b)) + self.per_item * n
    }
}

/// What a read costs per kind. **This table must follow `gantry-aws`**:
/// when a provider's read changes (a batched call, an extra attribute call
/// per resource), change its row here, or the benchmark and the call-count
/// tests describe a cloud faster than AWS. Kinds not listed are read with
/// one call per resource ([`DEFAULT_READ_COST`]).
pub const READ_COSTS: &[(&str, ReadCost)] = &[
    // EC2: Describe* with up to 200 ids per call.
    ("vpc", ReadCost::ids(200).plus(2)), // + DescribeVpcAttribute x2 (DNS)
    ("internet_gateway", ReadCost::ids(200)),
    ("subnet", ReadCost::ids(200)),
    ("route_table", ReadCost::ids(200)),
    // Associations come with the route tables' description.
    ("route_table_association", ReadCost::listing(1000)),
    ("eip", ReadCost::ids(200)),
    ("nat_gateway", ReadCost::ids(200)),
    ("vpc_endpoint", ReadCost::ids(200)),
    ("security_group", ReadCost::ids(200)),
    // ELBv2: 20 ARNs per Describe*, attributes one call each.
    ("lb", ReadCost::ids(20).plus(1)),
    ("lb_target_group", ReadCost::ids(20).plus(1)),
    ("lb_listener", ReadCost::ids(20)),
    ("lb_listener_rule", ReadCost::ids(20)),
    ("ecs_cluster", ReadCost::ids(100)),
    ("ecs_service", ReadCost::ids(10)),
    // A listing of the families' active revisions.
    ("ecs_task_definition", ReadCost::listing(100)),
    // One GetAccountAuthorizationDetails page.
    ("iam_role", ReadCost::listing(1000)),
    ("log_group", ReadCost::ids(50)),
    ("ecr_repository", ReadCost::ids(100)),
    ("kms_key", ReadCost::each(3)), // DescribeKey, rotation, policy
    ("secret", ReadCost::ids(100)),
    ("ssm_parameter", ReadCost::ids(10)),
    ("db_instance", ReadCost::ids(100)),
    ("dynamodb_table", ReadCost::each(3)),
    ("s3_bucket", ReadCost::each(7)),
    ("efs_file_system", ReadCost::listing(100)),
    ("route53_record", ReadCost::listing(300).per("zone_id")),
    // One GetTopicAttributes per topic; one ListSubscriptionsByTopic page
    // (100) per topic for its subscriptions.
    ("sns_topic", ReadCost::each(1)),
    (
        "sns_topic_subscription",
        ReadCost::listing(100).per("topic_arn"),
    ),
    // One GetQueueAttributes per queue.
    ("sqs_queue", ReadCost::each(1)),
    // GetScheduleGroup; GetSchedule; DescribeRule and ListTargetsByRule.
    ("scheduler_schedule_group", ReadCost::each(1)),
    ("scheduler_schedule", ReadCost::each(1)),
    ("events_rule", ReadCost::each(2)),
    // DescribeAlarms by 100 names (a region at a time); GetDashboard each.
    ("cloudwatch_metric_alarm", ReadCost::ids(100)),
    ("cloudwatch_dashboard", ReadCost::each(1)),
    // DescribeScalableTargets by 50 resource ids; policies and scheduled
    // actions one Describe* (50 names) per scalable target.
    ("appautoscaling_target", ReadCost::ids(50)),
    (
        "appautoscaling_policy",
        ReadCost::listing(50).per("resource_id"),
    ),
    (
        "appautoscaling_scheduled_action",
        ReadCost::listing(50).per("resource_id"),
    ),
];

/// One call per resource: kinds without a batched read.
pub const DEFAULT_READ_COST: ReadCost = ReadCost::ids(1);

/// The inventory's page size (the Resource Groups Tagging API's).
pub const INVENTORY_PAGE: usize = 100;

/// The pages of the whole stack's listing read in turn before it is
/// listed a kind at a time (`gantry-aws`'s `inventory::SEQUENTIAL_PAGES`).
pub const INVENTORY_SEQUENTIAL_PAGES: usize = 2;

/// The pages of one listing of `n` objects (at least one).
pub fn inventory_pages(n: usize) -> usize {
    n.div_ceil(INVENTORY_PAGE).max(1)
}

/// The read cost of `kind`.
pub fn read_cost(kind: &str) -> ReadCost {
    READ_COSTS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, c)| *c)
        .unwrap_or(DEFAULT_READ_COST)
}

/// Which call a [`Call`] was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FakeOp {
    Create,
    /// One read API call: a batched page or a per-resource call.
    Read,
    Update,
    Delete,
    Find,
    /// One page of the stack inventory (`kind` is the kind listed).
    List,
}

/// One simulated AWS call, with times relative to the cloud's creation.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub op: FakeOp,
    pub kind: String,
    /// The resources the call covered (a read page: all of its batch).
    pub addresses: Vec<Address>,
    /// The physical id acted on (update, delete) or produced (create).
    pub id: Option<String>,
    /// For updates: the fields the engine asked to change.
    pub fields: Vec<String>,
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

/// How the fake keeps an object: its properties as JSON text, its tags and
/// outputs derived, so that a benchmark's cloud of 10,000 objects does not
/// weigh more than the engine it measures.
struct Stored {
    id: String,
    kind: String,
    address: Address,
    props: Box<str>,
    stack: Arc<str>,
    env: Arc<str>,
}

impl Stored {
    fn new(id: &str, kind: &str, address: &Address, props: &Props, tags: &StackTags) -> Stored {
        Stored {
            id: id.to_string(),
            kind: kind.to_string(),
            address: address.clone(),
            props: json_text(props),
            stack: tags.stack.as_str().into(),
            env: tags.env.as_str().into(),
        }
    }
    fn props(&self) -> Props {
        serde_json::from_str(&self.props).expect("stored as JSON")
    }
    fn set_props(&mut self, props: &Props) {
        self.props = json_text(props);
    }
    fn outputs(&self) -> Props {
        outputs_of(&self.id, &self.kind, &self.props())
    }
    fn applied(&self) -> Applied {
        Applied {
            id: self.id.clone(),
            outputs: self.outputs(),
        }
    }
    fn in_stack(&self, tags: &StackTags) -> bool {
        *self.stack == *tags.stack && *self.env == *tags.env
    }
    fn view(&self) -> FakeObject {
        let props = self.props();
        FakeObject {
            id: self.id.clone(),
            kind: self.kind.clone(),
            address: self.address.clone(),
            outputs: outputs_of(&self.id, &self.kind, &props),
            props,
            tags: StackTags {
                stack: self.stack.to_string(),
                env: self.env.to_string(),
                extra: Default::default(),
            }
            .for_address(&self.address),
        }
    }
}

fn json_text(props: &Props) -> Box<str> {
    serde_json::to_string(props)
        .expect("JSON values serialize")
        .into_boxed_str()
}

#[derive(Clone)]
enum Target {
    Address(Address),
    Kind(String),
    Inventory,
}

#[derive(Clone)]
enum Effect {
    /// `after`: do the work first (leaving out the `omit` fields), then fail.
    Fail {
        error: ProviderError,
        after: bool,
        omit: Vec<String>,
    },
    Panic(String),
    Warn(String),
    /// A read returns one result fewer than asked.
    Short,
}

struct Injected {
    target: Target,
    op: FakeOp,
    /// `None` = always.
    remaining: Option<u32>,
    effect: Effect,
}

#[derive(Default)]
struct Inner {
    objects: BTreeMap<String, Stored>,
    /// Listed by the inventory although gone (eventual consistency).
    ghosts: Vec<Listed>,
    next_id: u64,
    calls: Vec<Call>,
    failures: Vec<Injected>,
    running: HashMap<&'static str, usize>,
    peak: HashMap<&'static str, usize>,
    tokens: HashMap<String, String>,
}

/// The fake cloud. Share it with `Arc`; [`FakeCloud::providers`] gives the
/// engine one provider per kind backed by it, and its inventory.
pub struct FakeCloud {
    inner: Mutex<Inner>,
    latency: Mutex<Duration>,
    honor_tokens: bool,
    meta: MetaLookup,
    epoch: Instant,
    /// How many read calls of a service may be in flight at once, whoever
    /// makes them: a provider's own concurrency and the engine's together
    /// never exceed the service's limit.
    limits: Mutex<(Limits, HashMap<String, Arc<Semaphore>>)>,
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
            limits: Mutex::new((Limits::aws_defaults(), HashMap::new())),
        })
    }

    pub fn set_latency(&self, d: Duration) {
        *self.latency.lock().expect("latency") = d;
    }

    /// The per-service limits on read calls in flight (default
    /// [`Limits::aws_defaults`]; give it the engine's limits).
    pub fn set_read_limits(&self, limits: Limits) {
        *self.limits.lock().expect("limits") = (limits, HashMap::new());
    }

    /// Providers for every kind Gantry knows, and the stack inventory.
    pub fn providers(self: &Arc<Self>) -> ProviderSet {
        let mut set = self.providers_for(gantry_core::kinds::ALL);
        set.set_inventory(Arc::new(FakeInventory {
            cloud: self.clone(),
        }));
        set
    }

    /// Providers for the given kinds only, without an inventory.
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
        self.fail_with(address, op, times, injected_error(code, op, address));
    }

    /// Makes `op` on `address` fail with `error` (any [`ErrorKind`]).
    pub fn fail_with(
        &self,
        address: &Address,
        op: FakeOp,
        times: Option<u32>,
        error: ProviderError,
    ) {
        self.inject(
            Target::Address(address.clone()),
            op,
            times,
            Effect::Fail {
                error,
                after: false,
                omit: Vec::new(),
            },
        );
    }

    /// Like [`FakeCloud::fail`], but the call does its work before failing:
    /// a create leaves an object behind (as when AWS created the resource
    /// and the wait for it to become available timed out).
    pub fn fail_after(&self, address: &Address, op: FakeOp, times: Option<u32>, code: &str) {
        self.inject(
            Target::Address(address.clone()),
            op,
            times,
            Effect::Fail {
                error: injected_error(code, op, address),
                after: true,
                omit: Vec::new(),
            },
        );
    }

    /// AWS refuses `op` on `address` for its rate, `times` times.
    pub fn throttle(&self, address: &Address, op: FakeOp, times: Option<u32>) {
        let e = injected_error("Throttling", op, address).with_kind(ErrorKind::Throttled);
        self.fail_with(address, op, times, e);
    }

    /// `op` on `address` does its work, then its reply is lost: the caller
    /// sees an `OutcomeUnknown` error (a timeout after the request was sent).
    pub fn lose_reply(&self, address: &Address, op: FakeOp, times: Option<u32>) {
        self.half_create_with(address, op, times, &[], ErrorKind::OutcomeUnknown);
    }

    /// The next create of `address` makes the object without the `omit`
    /// fields (the first of its calls succeeded, a later one did not), then
    /// fails with a transient error.
    pub fn half_create(&self, address: &Address, omit: &[&str]) {
        self.half_create_with(address, FakeOp::Create, Some(1), omit, ErrorKind::Transient);
    }

    fn half_create_with(
        &self,
        address: &Address,
        op: FakeOp,
        times: Option<u32>,
        omit: &[&str],
        kind: ErrorKind,
    ) {
        let code = match kind {
            ErrorKind::OutcomeUnknown => "RequestTimeout",
            _ => "InternalError",
        };
        self.inject(
            Target::Address(address.clone()),
            op,
            times,
            Effect::Fail {
                error: injected_error(code, op, address).with_kind(kind),
                after: true,
                omit: omit.iter().map(|s| s.to_string()).collect(),
            },
        );
    }

    /// The next update of `address` changes the fields it is asked to
    /// except `omit`, then fails with a transient error (a multi-call update
    /// cut short).
    pub fn half_update(&self, address: &Address, omit: &[&str]) {
        self.half_create_with(address, FakeOp::Update, Some(1), omit, ErrorKind::Transient);
    }

    /// Makes reads of `kind` fail with `error`, `times` times.
    pub fn fail_reads(&self, kind: &str, times: Option<u32>, error: ProviderError) {
        self.inject(
            Target::Kind(kind.to_string()),
            FakeOp::Read,
            times,
            Effect::Fail {
                error,
                after: false,
                omit: Vec::new(),
            },
        );
    }

    /// Makes the stack inventory fail with `error`, `times` times.
    pub fn fail_inventory(&self, times: Option<u32>, error: ProviderError) {
        self.inject(
            Target::Inventory,
            FakeOp::List,
            times,
            Effect::Fail {
                error,
                after: false,
                omit: Vec::new(),
            },
        );
    }

    /// The provider panics with `message` on `op` of `address` (once).
    pub fn panic_on(&self, address: &Address, op: FakeOp, message: &str) {
        self.inject(
            Target::Address(address.clone()),
            op,
            Some(1),
            Effect::Panic(message.to_string()),
        );
    }

    /// The provider of `kind` panics with `message` on its next read.
    pub fn panic_on_read(&self, kind: &str, message: &str) {
        self.inject(
            Target::Kind(kind.to_string()),
            FakeOp::Read,
            Some(1),
            Effect::Panic(message.to_string()),
        );
    }

    /// `op` on `address` succeeds and sends the user a warning (once).
    pub fn warn_on(&self, address: &Address, op: FakeOp, message: &str) {
        self.inject(
            Target::Address(address.clone()),
            op,
            Some(1),
            Effect::Warn(message.to_string()),
        );
    }

    /// Every read of `kind` returns one result fewer than it was asked for.
    pub fn short_reads(&self, kind: &str) {
        self.inject(
            Target::Kind(kind.to_string()),
            FakeOp::Read,
            None,
            Effect::Short,
        );
    }

    fn inject(&self, target: Target, op: FakeOp, times: Option<u32>, effect: Effect) {
        self.lock().failures.push(Injected {
            target,
            op,
            remaining: times,
            effect,
        });
    }

    /// Creates an object behind Gantry's back, tagged for `address` in the
    /// stack of `tags` (what a run that lost its state, or its reply,
    /// leaves). Returns its id.
    pub fn plant(&self, tags: &StackTags, address: &Address, props: Props) -> String {
        let kind = address.kind().to_string();
        let mut g = self.lock();
        let id = new_id(&mut g, &kind);
        g.objects
            .insert(id.clone(), Stored::new(&id, &kind, address, &props, tags));
        id
    }

    /// Makes the inventory list an object that no longer exists (AWS's
    /// listings lag behind deletes).
    pub fn ghost(&self, kind: &str, id: &str, address: &Address) {
        self.lock().ghosts.push(Listed {
            kind: kind.to_string(),
            id: id.to_string(),
            address: Some(address.clone()),
        });
    }

    /// Every object, by id.
    pub fn objects(&self) -> Vec<FakeObject> {
        self.lock().objects.values().map(Stored::view).collect()
    }

    /// Objects by address (more than one means a duplicate).
    pub fn by_address(&self) -> BTreeMap<Address, Vec<FakeObject>> {
        let mut m: BTreeMap<Address, Vec<FakeObject>> = BTreeMap::new();
        for o in self.objects() {
            m.entry(o.address.clone()).or_default().push(o);
        }
        m
    }

    /// Every simulated AWS call so far, in the order they ended.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// How many calls of `op` were made, per kind.
    pub fn counts(&self, op: FakeOp) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for c in self.lock().calls.iter().filter(|c| c.op == op) {
            *m.entry(c.kind.clone()).or_insert(0) += 1;
        }
        m
    }

    /// Forgets the calls made so far (to count one phase of a test).
    pub fn clear_calls(&self) {
        self.lock().calls.clear();
    }

    /// The most calls of one service that were ever in flight at once.
    pub fn peak_in_flight(&self, service: &str) -> usize {
        self.lock().peak.get(service).copied().unwrap_or(0)
    }

    /// Deletes an object behind Gantry's back (drift tests).
    pub fn remove_object(&self, id: &str) -> Option<FakeObject> {
        self.lock().objects.remove(id).map(|o| o.view())
    }

    /// Changes a property behind Gantry's back (drift tests).
    pub fn set_prop(&self, id: &str, field: &str, v: Value) {
        if let Some(o) = self.lock().objects.get_mut(id) {
            let mut props = o.props();
            props.insert(field.to_string(), v);
            o.set_props(&props);
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

    fn latency(&self) -> Duration {
        *self.latency.lock().expect("latency")
    }

    fn read_slots(&self, service: &str) -> Arc<Semaphore> {
        let mut g = self.limits.lock().expect("limits");
        let (limits, sems) = &mut *g;
        let n = limits.for_service(service);
        sems.entry(service.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(n)))
            .clone()
    }

    /// Takes the first injection matching the call, counting it down.
    fn injected(
        &self,
        g: &mut Inner,
        kind: &str,
        op: FakeOp,
        addresses: &[Address],
    ) -> Option<Effect> {
        let hit = g.failures.iter_mut().find(|f| {
            f.op == op
                && f.remaining != Some(0)
                && match &f.target {
                    Target::Address(a) => addresses.contains(a),
                    Target::Kind(k) => k == kind,
                    Target::Inventory => op == FakeOp::List,
                }
        })?;
        if let Some(n) = hit.remaining.as_mut() {
            *n -= 1;
        }
        Some(hit.effect.clone())
    }

    fn record(
        &self,
        g: &mut Inner,
        op: FakeOp,
        kind: &str,
        addresses: Vec<Address>,
        id: Option<String>,
        start: Duration,
    ) {
        g.calls.push(Call {
            op,
            kind: kind.to_string(),
            addresses,
            id,
            fields: Vec::new(),
            start,
            end: self.epoch.elapsed(),
        });
    }

    /// One mutating or find call: simulates its latency while counting it
    /// as in flight, then applies the injections and does the work (`f` gets
    /// the fields to leave out of a half-done create).
    async fn call<T>(
        &self,
        kind: &str,
        op: FakeOp,
        address: &Address,
        notes: Option<&dyn Notify>,
        f: impl FnOnce(&mut Inner, &[String]) -> Result<(T, Option<String>), ProviderError>,
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
        let latency = self.latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let mut g = self.lock();
        *g.running.get_mut(svc).expect("counted") -= 1;
        let addresses = vec![address.clone()];
        let result = match self.injected(&mut g, kind, op, &addresses) {
            Some(Effect::Panic(msg)) => {
                self.record(&mut g, op, kind, addresses, None, start);
                // Never panic holding the lock: a poisoned fake would fail
                // every later call, which is not what a provider panic does.
                drop(g);
                panic!("{msg}");
            }
            Some(Effect::Warn(msg)) => {
                if let Some(n) = notes {
                    n.warn(address, msg);
                }
                f(&mut g, &[])
            }
            Some(Effect::Fail { error, after, omit }) if after => f(&mut g, &omit).and(Err(error)),
            Some(Effect::Fail { error, .. }) => Err(error),
            Some(Effect::Short) | None => f(&mut g, &[]),
        };
        let id = result.as_ref().ok().and_then(|(_, id)| id.clone());
        self.record(&mut g, op, kind, addresses, id, start);
        result.map(|(t, _)| t)
    }

    /// One read API call covering `addresses`: waits for a read slot of the
    /// service, then the latency.
    async fn read_call(&self, kind: &str, addresses: Vec<Address>) {
        let slots = self.read_slots(self.service(kind));
        let _slot = slots.acquire_owned().await.expect("never closed");
        let start = self.epoch.elapsed();
        let latency = self.latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let mut g = self.lock();
        self.record(&mut g, FakeOp::Read, kind, addresses, None, start);
    }

    /// Charges a read of `reqs` by the kind's [`ReadCost`]: the batched
    /// pages in turn, then the per-resource calls concurrently.
    async fn charge_read(self: &Arc<Self>, kind: &'static str, reqs: &[ReadRequest<'_>]) {
        let cost = read_cost(kind);
        let addrs: Vec<Address> = reqs.iter().map(|r| r.address.clone()).collect();
        if let Some(b) = cost.batch {
            let groups: Vec<Vec<Address>> = if let Some(field) = cost.group_by {
                let mut zones: BTreeMap<String, Vec<Address>> = BTreeMap::new();
                {
                    let g = self.lock();
                    for r in reqs {
                        let stored = g.objects.get(r.id).map(Stored::props);
                        let zone = stored
                            .as_ref()
                            .and_then(|p| p.get(field))
                            .or_else(|| r.props.get(field))
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string();
                        zones.entry(zone).or_default().push(r.address.clone());
                    }
                }
                zones.into_values().collect()
            } else {
                vec![addrs.clone()]
            };
            for group in groups {
                for page in group.chunks(b) {
                    self.read_call(kind, page.to_vec()).await;
                }
            }
        }
        if cost.per_item > 0 {
            let mut set = tokio::task::JoinSet::new();
            for a in &addrs {
                for _ in 0..cost.per_item {
                    let cloud = self.clone();
                    let a = a.clone();
                    set.spawn(async move { cloud.read_call(kind, vec![a]).await });
                }
            }
            while set.join_next().await.is_some() {}
        }
    }
}

fn injected_error(code: &str, op: FakeOp, address: &Address) -> ProviderError {
    ProviderError::new(code, format!("injected failure of {op:?} on {address}"))
}

fn new_id(g: &mut Inner, kind: &str) -> String {
    g.next_id += 1;
    format!("{}-{:06}", kind.replace('_', "-"), g.next_id)
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
        self.cloud
            .call(
                kind,
                FakeOp::Create,
                req.address,
                Some(req.notes),
                |g, omit| {
                    if honor {
                        if let Some(o) = g.tokens.get(req.token).and_then(|id| g.objects.get(id)) {
                            return Ok((o.applied(), Some(o.id.clone())));
                        }
                    }
                    let id = new_id(g, kind);
                    // A half-done create leaves fields unset (AWS reads
                    // them back as their defaults).
                    let props: Props = req
                        .props
                        .iter()
                        .map(|(k, v)| {
                            let v = if omit.contains(k) {
                                Value::Null
                            } else {
                                v.clone()
                            };
                            (k.clone(), v)
                        })
                        .collect();
                    let outputs = outputs_of(&id, kind, &props);
                    g.objects.insert(
                        id.clone(),
                        Stored::new(&id, kind, req.address, &props, req.tags),
                    );
                    g.tokens.insert(req.token.to_string(), id.clone());
                    Ok((
                        Applied {
                            id: id.clone(),
                            outputs,
                        },
                        Some(id),
                    ))
                },
            )
            .await
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        let kind = self.kind;
        let secret = self.cloud.secret(kind);
        let addrs: Vec<Address> = reqs.iter().map(|r| r.address.clone()).collect();
        let effect = {
            let mut g = self.cloud.lock();
            self.cloud.injected(&mut g, kind, FakeOp::Read, &addrs)
        };
        match effect {
            Some(Effect::Panic(msg)) => panic!("{msg}"),
            Some(Effect::Fail { error, .. }) => {
                // The refused call still took its time.
                self.cloud.read_call(kind, addrs).await;
                return Err(error);
            }
            _ => {}
        }
        self.cloud.charge_read(kind, reqs).await;
        let g = self.cloud.lock();
        let mut out: Vec<Option<Observed>> = reqs
            .iter()
            .map(|r| {
                g.objects.get(r.id).map(|o| {
                    let mut props = o.props();
                    let outputs = outputs_of(&o.id, kind, &props);
                    // Like AWS, secrets are write-only.
                    props.retain(|k, _| !secret.contains(&k.as_str()));
                    Observed { props, outputs }
                })
            })
            .collect();
        if matches!(effect, Some(Effect::Short)) {
            out.pop();
        }
        Ok(out)
    }

    fn read_batch(&self) -> Option<usize> {
        let cost = read_cost(self.kind);
        cost.batch.filter(|_| cost.by_id)
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let kind = self.kind;
        let r = self
            .cloud
            .call(
                kind,
                FakeOp::Update,
                req.address,
                Some(req.notes),
                |g, omit| {
                    let o = g.objects.get_mut(req.id).ok_or_else(|| {
                        ProviderError::not_found(format!("{} {} does not exist", kind, req.id))
                    })?;
                    // A half-applied update changes only some fields.
                    let mut props = o.props();
                    for f in req.changed {
                        if omit.contains(f) {
                            continue;
                        }
                        match req.new.get(f) {
                            Some(v) => props.insert(f.clone(), v.clone()),
                            None => props.remove(f),
                        };
                    }
                    o.set_props(&props);
                    Ok((o.applied(), Some(o.id.clone())))
                },
            )
            .await;
        let mut g = self.cloud.lock();
        if let Some(c) = g
            .calls
            .iter_mut()
            .rev()
            .find(|c| c.op == FakeOp::Update && c.addresses.first() == Some(req.address))
        {
            c.fields = req.changed.to_vec();
        }
        r
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        self.cloud
            .call(
                self.kind,
                FakeOp::Delete,
                req.address,
                Some(req.notes),
                |g, _| {
                    g.objects.remove(req.id);
                    Ok(((), Some(req.id.to_string())))
                },
            )
            .await
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let kind = self.kind;
        self.cloud
            .call(kind, FakeOp::Find, req.address, None, |g, _| {
                // The newest match, as a find by name or tag on AWS returns
                // the latest revision or most recent object.
                let found = g
                    .objects
                    .values()
                    .rev()
                    .find(|o| o.kind == kind && o.in_stack(req.tags) && &o.address == req.address)
                    .map(Stored::applied);
                Ok((found, None))
            })
            .await
    }
}

/// The stack listing over the fake's objects: every object carrying the
/// stack's `gantry:stack` and `gantry:env` tags, plus ghosts.
///
/// Cost: what `gantry-aws`'s inventory pays with the Resource Groups
/// Tagging API's `GetResources` over the stack's tags: a page per
/// [`INVENTORY_PAGE`] objects (at least one), one after the other, up to
/// [`INVENTORY_SEQUENTIAL_PAGES`]. A stack larger than that costs those
/// pages, then a listing per kind (every kind Gantry knows, each at least
/// one page, its pages one after the other; the kinds concurrently within
/// the `tagging` limit), as the AWS inventory lists it a resource type at
/// a time; the fake counts a type per kind, never fewer calls than AWS.
struct FakeInventory {
    cloud: Arc<FakeCloud>,
}

#[async_trait]
impl Inventory for FakeInventory {
    async fn stack_objects(&self, tags: &StackTags) -> Result<Vec<Listed>, ProviderError> {
        let cloud = &self.cloud;
        let (listed, effect) = {
            let mut g = cloud.lock();
            let mut listed: Vec<Listed> = g
                .objects
                .values()
                .filter(|o| o.in_stack(tags))
                .map(|o| Listed {
                    kind: o.kind.clone(),
                    id: o.id.clone(),
                    address: Some(o.address.clone()),
                })
                .collect();
            listed.extend(g.ghosts.iter().cloned());
            let effect = cloud.injected(&mut g, "inventory", FakeOp::List, &[]);
            (listed, effect)
        };
        let slots = cloud.read_slots("tagging");
        let page = || async {
            let _slot = slots.clone().acquire_owned().await.expect("never closed");
            let start = cloud.epoch.elapsed();
            let latency = cloud.latency();
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            let mut g = cloud.lock();
            cloud.record(&mut g, FakeOp::List, "inventory", Vec::new(), None, start);
        };
        let whole = inventory_pages(listed.len());
        for _ in 0..whole.min(INVENTORY_SEQUENTIAL_PAGES) {
            page().await;
        }
        if whole > INVENTORY_SEQUENTIAL_PAGES {
            let mut per_kind: HashMap<&str, usize> = HashMap::new();
            for l in &listed {
                *per_kind.entry(l.kind.as_str()).or_default() += 1;
            }
            futures::future::join_all(gantry_core::kinds::ALL.iter().map(|k| {
                let pages = inventory_pages(per_kind.get(k).copied().unwrap_or(0));
                async move {
                    for _ in 0..pages {
                        page().await;
                    }
                }
            }))
            .await;
        }
        match effect {
            Some(Effect::Fail { error, .. }) => Err(error),
            Some(Effect::Panic(msg)) => panic!("{msg}"),
            _ => {
                let mut listed = listed;
                listed.sort();
                Ok(listed)
            }
        }
    }
}

/// Tags for tests: stack `app`, env `test`.
pub fn test_tags() -> StackTags {
    StackTags {
        stack: "app".into(),
        env: "test".into(),
        extra: Default::default(),
    }
}
