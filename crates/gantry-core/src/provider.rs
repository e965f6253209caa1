//! The one shape every resource provider has.
//!
//! Providers receive fully resolved properties (no references left) and
//! return the resource's physical id and outputs. The engine never calls AWS
//! itself; it goes through a [`ProviderSet`], which is the AWS providers in
//! production and an in-memory fake in tests.

use crate::resource::{Address, Props};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Tags every taggable resource carries, so an interrupted run can find
/// (and adopt) what it created before it could record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackTags {
    pub stack: String,
    pub env: String,
}

impl StackTags {
    pub const STACK: &'static str = "gantry:stack";
    pub const ENV: &'static str = "gantry:env";
    pub const ADDRESS: &'static str = "gantry:address";

    /// The full tag set for one resource, sorted by key.
    pub fn for_address(&self, address: &Address) -> BTreeMap<String, String> {
        BTreeMap::from([
            (Self::STACK.to_string(), self.stack.clone()),
            (Self::ENV.to_string(), self.env.clone()),
            (Self::ADDRESS.to_string(), address.to_string()),
        ])
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
}

pub struct ReadRequest<'a> {
    pub address: &'a Address,
    pub id: &'a str,
    /// The properties recorded in state (some reads need a parent id).
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
}

pub struct DeleteRequest<'a> {
    pub address: &'a Address,
    pub id: &'a str,
    pub props: &'a Props,
}

pub struct FindRequest<'a> {
    pub address: &'a Address,
    pub props: &'a Props,
    pub tags: &'a StackTags,
    pub token: &'a str,
}

/// A failed provider call. `code` is the AWS error code when there is one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{message}", code.as_ref().map(|c| format!("{c}: ")).unwrap_or_default())]
pub struct ProviderError {
    pub code: Option<String>,
    pub message: String,
    /// The resource does not exist (any more).
    pub not_found: bool,
}

impl ProviderError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ProviderError {
            code: Some(code.into()),
            message: message.into(),
            not_found: false,
        }
    }
    pub fn msg(message: impl Into<String>) -> Self {
        ProviderError {
            code: None,
            message: message.into(),
            not_found: false,
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        ProviderError {
            code: Some("NotFound".into()),
            message: message.into(),
            not_found: true,
        }
    }
}

/// Create, read, update, delete and find one kind of resource.
#[async_trait]
pub trait Provider: Send + Sync {
    fn kind(&self) -> &'static str;

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError>;

    /// Reads many resources of this kind at once (one batched `Describe*`
    /// where the API allows). Returns one entry per request, `None` for a
    /// resource that no longer exists.
    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError>;

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError>;

    /// Deletes and waits until it is gone. Deleting something already gone
    /// succeeds.
    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError>;

    /// Finds a resource created for this address by an earlier, interrupted
    /// run (by its `gantry:*` tags, its deterministic name or the token).
    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError>;
}

/// Providers by kind.
#[derive(Clone, Default)]
pub struct ProviderSet {
    providers: BTreeMap<&'static str, Arc<dyn Provider>>,
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
}
