//! The one shape every resource provider has.
//!
//! Providers receive fully resolved properties (no references left) and
//! return the resource's physical id and outputs. The engine never calls AWS
//! itself; it goes through a [`ProviderSet`], which is the AWS providers in
//! production and an in-memory fake in tests.

use crate::resource::{Address, Props};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Tags every taggable resource carries, so an interrupted run can find
/// (and adopt) what it created before it could record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackTags {
    pub stack: String,
    pub env: String,
    /// More tags every resource gets at create (a preview's
    /// `gantry:expires-at`); they never decide whose a resource is.
    pub extra: BTreeMap<String, String>,
}

impl StackTags {
    pub const STACK: &'static str = "gantry:stack";
    pub const ENV: &'static str = "gantry:env";
    pub const ADDRESS: &'static str = "gantry:address";
    /// A preview environment's expiry (RFC 3339), set when each object is
    /// created.
    pub const EXPIRES_AT: &'static str = "gantry:expires-at";

    /// The tags of a stack and environment, with no extra ones.
    pub fn new(stack: impl Into<String>, env: impl Into<String>) -> StackTags {
        StackTags {
            stack: stack.into(),
            env: env.into(),
            extra: BTreeMap::new(),
        }
    }

    /// The tags that say whose a resource is: stack, environment, address.
    pub fn identity(&self, address: &Address) -> BTreeMap<String, String> {
        BTreeMap::from([
            (Self::STACK.to_string(), self.stack.clone()),
            (Self::ENV.to_string(), self.env.clone()),
            (Self::ADDRESS.to_string(), address.to_string()),
        ])
    }

    /// The full tag set for one resource, sorted by key.
    pub fn for_address(&self, address: &Address) -> BTreeMap<String, String> {
        let mut t = self.identity(address);
        for (k, v) in &self.extra {
            t.entry(k.clone()).or_insert_with(|| v.clone());
        }
        t
    }
}

/// What a successful create, update or adoption leaves behind.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Applied {
    /// The physical id (VPC id, ARN, role name: whatever the kind's API uses
    /// to address it).
    pub id: String,
    /// Outputs other resources may reference (`id` is always among them).
    pub outputs: Props,
}

/// What a refresh saw of an existing resource.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observed {
    /// The properties the provider could read back, in the same canonical
    /// form the architect writes. Fields the API does not return are left
    /// out, and the engine keeps their recorded value.
    pub props: Props,
    pub outputs: Props,
}

pub struct CreateRequest<'a> {
    pub address: &'a Address,
    pub props: &'a Props,
    pub tags: &'a StackTags,
    /// Derived from the journal's intent record: the same intent always gives
    /// the same token, so a resumed create cannot make a second copy where the
    /// API supports idempotency tokens.
    pub token: &'a str,
    pub notes: &'a dyn Notify,
}

pub struct ReadRequest<'a> {
    pub address: &'a Address,
    pub id: &'a str,
    /// The properties recorded in state, empty for an object the state does
    /// not record (an orphan found by the inventory). Reads use them to keep
    /// list order and to fill fields AWS does not return; ids alone must be
    /// enough to find the object.
    pub props: &'a Props,
}

pub struct UpdateRequest<'a> {
    pub address: &'a Address,
    pub id: &'a str,
    pub old: &'a Props,
    pub new: &'a Props,
    /// Top-level property names whose value differs.
    pub changed: &'a [String],
    pub tags: &'a StackTags,
    pub notes: &'a dyn Notify,
}

pub struct DeleteRequest<'a> {
    pub address: &'a Address,
    pub id: &'a str,
    pub props: &'a Props,
    pub notes: &'a dyn Notify,
}

pub struct FindRequest<'a> {
    pub address: &'a Address,
    pub props: &'a Props,
    pub tags: &'a StackTags,
    pub token: &'a str,
}

/// What kind of failure a [`ProviderError`] is: what the engine may do
/// about it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A definite failure: the call was refused and nothing changed.
    #[default]
    Failed,
    /// The resource does not exist (any more).
    NotFound,
    /// AWS refused the call for its rate: nothing happened, and sending it
    /// again later is safe (the SDK's retries ran out first).
    Throttled,
    /// A transient failure of a call that had no effect or is safe to send
    /// again (a read, a delete, an idempotent update).
    Transient,
    /// The call may have taken effect without us seeing the reply (a 5xx,
    /// a timeout or a reset after the request was sent): before sending it
    /// again, look the object up.
    OutcomeUnknown,
}

/// A failed provider call. `code` is the AWS error code when there is one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{message}", code.as_ref().map(|c| format!("{c}: ")).unwrap_or_default())]
pub struct ProviderError {
    pub code: Option<String>,
    pub message: String,
    pub kind: ErrorKind,
}

impl ProviderError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ProviderError {
            code: Some(code.into()),
            message: message.into(),
            kind: ErrorKind::Failed,
        }
    }
    pub fn msg(message: impl Into<String>) -> Self {
        ProviderError {
            code: None,
            message: message.into(),
            kind: ErrorKind::Failed,
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        ProviderError {
            code: Some("NotFound".into()),
            message: message.into(),
            kind: ErrorKind::NotFound,
        }
    }
    /// The same error, classified as `kind`.
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }
    /// The resource does not exist (any more).
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }
    /// Trying the operation again later may succeed (throttled, transient,
    /// or of unknown outcome: the engine looks before it resends a create).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Throttled | ErrorKind::Transient | ErrorKind::OutcomeUnknown
        )
    }
}

/// Where providers send what a user should know but that is not a failure
/// (validation records left in a zone, a setting AWS ignored). The engine
/// turns each into an event; providers never print or log.
pub trait Notify: Send + Sync {
    fn warn(&self, address: &Address, message: String);
}

/// Drops every note (tools and tests that do not report).
pub struct NoNotes;

impl Notify for NoNotes {
    fn warn(&self, _address: &Address, _message: String) {}
}

/// One AWS object that carries a stack's `gantry:stack` and `gantry:env`
/// tags (or, for the few kinds AWS cannot tag, a name that marks it as the
/// stack's), whatever the state records.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Listed {
    pub kind: String,
    /// The physical id, as the kind's provider uses it.
    pub id: String,
    /// The `gantry:address` tag (or the address the name implies).
    pub address: Option<Address>,
}

/// Lists every object of a stack and environment across all kinds: the
/// union of every provider's stack listing. `plan` and `status` name what
/// the state does not record, `up` adopts what it wants, `destroy` removes
/// the rest.
#[async_trait]
pub trait Inventory: Send + Sync {
    async fn stack_objects(&self, tags: &StackTags) -> Result<Vec<Listed>, ProviderError>;
}

/// Create, read, update, delete and find one kind of resource.
#[async_trait]
pub trait Provider: Send + Sync {
    fn kind(&self) -> &'static str;

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError>;

    /// Reads many resources of this kind at once (one batched `Describe*`
    /// where the API allows). Returns exactly one entry per request, in
    /// order, `None` for a resource that no longer exists.
    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError>;

    /// The most resources one batched read call covers, when that call
    /// takes a list of ids (EC2's 200, ELBv2's 20, ECS services' 10): the
    /// engine splits a bigger refresh of the kind into reads of this size
    /// and runs them concurrently within the service's limit, instead of
    /// waiting for one page after the other. `None` (the default) reads
    /// every resource of the kind in one call of `read`: right for listings,
    /// which a split would only repeat.
    fn read_batch(&self) -> Option<usize> {
        None
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError>;

    /// Deletes and waits until it is gone. Deleting something already gone
    /// succeeds.
    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError>;

    /// Finds a resource created for this address by an earlier, interrupted
    /// run (by its `gantry:*` tags, its deterministic name or the token).
    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError>;
}

/// Providers by kind, and the inventory that lists a stack across them.
#[derive(Clone, Default)]
pub struct ProviderSet {
    providers: BTreeMap<&'static str, Arc<dyn Provider>>,
    inventory: Option<Arc<dyn Inventory>>,
}

impl ProviderSet {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn insert(&mut self, p: Arc<dyn Provider>) {
        self.providers.insert(p.kind(), p);
    }
    pub fn get(&self, kind: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(kind)
    }
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.providers.keys().copied()
    }
    pub fn set_inventory(&mut self, inventory: Arc<dyn Inventory>) {
        self.inventory = Some(inventory);
    }
    /// The stack inventory, when the providers have one.
    pub fn inventory(&self) -> Option<&Arc<dyn Inventory>> {
        self.inventory.as_ref()
    }
}
