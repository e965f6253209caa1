//! The one provider shape: every resource kind is a typed provider
//! ([`AwsKind`], one file in [`crate::providers`]) behind one generic
//! adapter ([`Adapter`]) that does what every provider would otherwise
//! repeat: parsing the properties into the kind's struct, mapping the
//! kind's "not found" codes (a read of a gone object is `None`, a delete
//! of one succeeds), lining batched read results up with the requests (and
//! refusing results nobody asked for), bounding per-resource read fan-out
//! by the service's limit, and passing warnings to the engine.
//!
//! A kind also says how the stack's objects of its kind are listed
//! ([`Listing`]): the inventory ([`crate::inventory`]) is the union of
//! those listings, and a unit test fails if any kind lacks one.

use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::{tag_set, tags_match, to_props};
use async_trait::async_trait;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures::stream::{self, StreamExt, TryStreamExt};
use gantry_core::{
    Address, Applied, CreateRequest, DeleteRequest, ErrorKind, FindRequest, Kind, Listed, Notify,
    Observed, Props, Provider, ProviderError, ReadRequest, StackTags, UpdateRequest,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;

/// Where the Resource Groups Tagging API sees a kind's objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Region {
    /// The stack's region.
    Stack,
    /// us-east-1, where global resources live (CloudFront and what it uses).
    Global,
    /// Either (a certificate or web ACL in the stack's region or, for
    /// CloudFront, in us-east-1).
    Both,
}

/// Says whether an ARN is one of a kind's and gives its id.
pub(crate) type ArnId = fn(&str) -> Option<String>;

/// How the stack's objects of a kind are listed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Listing {
    /// Tagged at create; the Resource Groups Tagging API lists them.
    /// `types` is its `ResourceTypeFilters` entry (`service[:type]`, the
    /// ARN's service and resource type), for listing a large stack a type
    /// at a time.
    Tagged {
        region: Region,
        types: &'static str,
        id: ArnId,
    },
    /// Listed by the provider itself ([`AwsKind::list`]): services the
    /// tagging API does not cover (IAM), or objects that mark themselves
    /// as the stack's by name.
    Own,
    /// Carries no tags of its own: it lives inside an object of the named
    /// kind, which is listed, and goes when that object goes.
    Inside(#[allow(dead_code)] &'static str), // checked by the providers' unit test
    /// Looked up, never created: Gantry owns nothing to list.
    NotOwned,
}

/// A [`Listing::Tagged`] (a `const fn`, for the kinds' `LISTING`).
pub(crate) const fn tagged(region: Region, types: &'static str, id: ArnId) -> Listing {
    Listing::Tagged { region, types, id }
}

/// One object to read: its address, its id and what the state recorded
/// (`None` for an object the state does not know, such as an orphan the
/// inventory found; the id alone must then be enough).
pub(crate) struct Item<'a, T> {
    pub id: &'a str,
    pub recorded: Option<T>,
}

/// What a read saw of one object.
pub(crate) struct Seen<T> {
    /// The id it was asked for under.
    pub id: String,
    pub props: T,
    /// Fields AWS did not return: the engine keeps their recorded value.
    pub unread: Vec<&'static str>,
    pub outputs: Props,
}

impl<T: Serialize> Seen<T> {
    pub fn new(id: impl Into<String>, props: T, outputs: Props) -> Self {
        Seen {
            id: id.into(),
            props,
            unread: Vec::new(),
            outputs,
        }
    }

    /// Marks `field` as not observed.
    pub fn without(mut self, field: &'static str) -> Self {
        self.unread.push(field);
        self
    }

    fn observed(self) -> Observed {
        let mut props = to_props(&self.props);
        for f in &self.unread {
            props.remove(*f);
        }
        Observed {
            props,
            outputs: self.outputs,
        }
    }
}

/// A create: the kind's properties, the stack's tags for it and the
/// journal's idempotency token.
pub(crate) struct Create<'a, T> {
    pub address: &'a Address,
    pub props: T,
    pub tags: &'a StackTags,
    pub token: &'a str,
    notes: &'a dyn Notify,
}

/// An update from the recorded properties to the desired ones.
pub(crate) struct Update<'a, T> {
    pub address: &'a Address,
    pub id: &'a str,
    pub old: T,
    pub new: T,
    pub tags: &'a StackTags,
    notes: &'a dyn Notify,
}

/// A delete; `recorded` is `None` for an object the state does not know.
pub(crate) struct Delete<'a, T> {
    pub address: &'a Address,
    pub id: &'a str,
    pub recorded: Option<T>,
    notes: &'a dyn Notify,
}

/// A lookup of what an interrupted create may have made.
pub(crate) struct Find<'a, T> {
    pub address: &'a Address,
    pub props: T,
    pub tags: &'a StackTags,
    pub token: &'a str,
}

macro_rules! notes {
    ($($t:ident),*) => {$(
        #[allow(dead_code)] // not every kind has something to say at every step
        impl<T> $t<'_, T> {
            /// Tells the user something that is not a failure.
            pub fn warn(&self, message: impl Into<String>) {
                self.notes.warn(self.address, message.into());
            }
        }
    )*};
}
notes!(Create, Update, Delete);

impl<T> Create<'_, T> {
    /// The full tag set (stack tags plus `Name` when the kind has a name).
    pub fn tag_set(&self, name: Option<&str>) -> BTreeMap<String, String> {
        tag_set(self.tags, self.address, name)
    }
}

impl<T> Update<'_, T> {
    pub fn tag_set(&self, name: Option<&str>) -> BTreeMap<String, String> {
        tag_set(self.tags, self.address, name)
    }
}

impl<T> Find<'_, T> {
    /// True when `found` are this address's tags in this stack.
    pub fn ours<'t>(&self, found: impl IntoIterator<Item = (&'t str, &'t str)>) -> bool {
        tags_match(found, self.tags, self.address)
    }
}

/// One kind of AWS resource, typed. Implemented once per kind, in its own
/// file, and registered by the kinds table (`gantry_core::with_kinds!`).
#[async_trait]
pub(crate) trait AwsKind: Send + Sync + Sized + 'static {
    /// The kind's property struct.
    type Props: Kind;
    /// AWS error codes that mean the object does not exist.
    const NOT_FOUND: &'static [&'static str];
    /// How the stack's objects of this kind are listed.
    const LISTING: Listing;
    /// The id-list size of one batched describe, for kinds read by id
    /// lists: the engine splits a bigger refresh into reads of this size
    /// and runs them concurrently. `None` for reads that list (one call
    /// covers every object, whatever their number) or go one by one.
    const READ_BATCH: Option<usize> = None;

    fn new(ctx: AwsContext) -> Self;

    async fn create(&self, req: Create<'_, Self::Props>) -> Result<Applied, ProviderError>;

    /// Reads the objects, in as few calls as the API allows; returns what
    /// exists (in any order, each under the id it was asked for). Objects
    /// not returned are gone.
    async fn read(
        &self,
        items: &[Item<'_, Self::Props>],
    ) -> Result<Vec<Seen<Self::Props>>, ProviderError>;

    async fn update(&self, req: Update<'_, Self::Props>) -> Result<Applied, ProviderError>;

    /// Deletes and waits until it is gone ("not found" counts as done).
    async fn delete(&self, req: Delete<'_, Self::Props>) -> Result<(), ProviderError>;

    /// Finds what an interrupted create made for this address: by the
    /// stack's tags, a deterministic name or the token. Must not rely on
    /// the tagging API, which lags behind creates.
    async fn find(&self, req: Find<'_, Self::Props>) -> Result<Option<Applied>, ProviderError>;

    /// The stack's objects of this kind, for [`Listing::Own`] kinds.
    async fn list(&self, _tags: &StackTags) -> Result<Vec<Listed>, ProviderError> {
        Ok(Vec::new())
    }

    /// An SDK error of this kind's API, with its not-found codes.
    fn err<E>(e: SdkError<E, HttpResponse>) -> ProviderError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        aws_error(e, Self::NOT_FOUND)
    }
}

/// The engine-facing side of an [`AwsKind`].
pub(crate) struct Adapter<K> {
    kind: K,
}

impl<K: AwsKind> Adapter<K> {
    pub fn new(ctx: AwsContext) -> Self {
        Adapter { kind: K::new(ctx) }
    }
}

/// The kinds' listings, for the inventory (object safe).
#[async_trait]
pub(crate) trait Lister: Send + Sync {
    fn kind(&self) -> &'static str;
    fn listing(&self) -> Listing;
    async fn list(&self, tags: &StackTags) -> Result<Vec<Listed>, ProviderError>;
}

#[async_trait]
impl<K: AwsKind> Lister for Adapter<K> {
    fn kind(&self) -> &'static str {
        K::Props::KIND
    }
    fn listing(&self) -> Listing {
        K::LISTING
    }
    async fn list(&self, tags: &StackTags) -> Result<Vec<Listed>, ProviderError> {
        self.kind.list(tags).await.map_err(classify::<K>)
    }
}

/// Marks errors carrying one of the kind's not-found codes as such, and
/// names the kind in property errors.
fn classify<K: AwsKind>(mut e: ProviderError) -> ProviderError {
    if e.kind == ErrorKind::Failed && e.code.as_deref().is_some_and(|c| K::NOT_FOUND.contains(&c)) {
        e.kind = ErrorKind::NotFound;
    }
    e
}

/// Parses resolved properties into a kind's struct.
pub(crate) fn parse_props<T: Kind>(props: &Props) -> Result<T, ProviderError> {
    serde_json::from_value(Value::Object(props.clone()))
        .map_err(|e| ProviderError::new("InvalidProperties", format!("{}: {e}", T::KIND)))
}

fn recorded<T: DeserializeOwned>(props: &Props) -> Option<T> {
    if props.is_empty() {
        return None;
    }
    serde_json::from_value(Value::Object(props.clone())).ok()
}

#[async_trait]
impl<K: AwsKind> Provider for Adapter<K> {
    fn kind(&self) -> &'static str {
        K::Props::KIND
    }

    fn read_batch(&self) -> Option<usize> {
        K::READ_BATCH
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let props = parse_props::<K::Props>(req.props)?;
        self.kind
            .create(Create {
                address: req.address,
                props,
                tags: req.tags,
                token: req.token,
                notes: req.notes,
            })
            .await
            .map_err(classify::<K>)
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        if reqs.is_empty() {
            return Ok(Vec::new());
        }
        let items: Vec<Item<'_, K::Props>> = reqs
            .iter()
            .map(|r| Item {
                id: r.id,
                recorded: recorded(r.props),
            })
            .collect();
        let seen = self.kind.read(&items).await.map_err(classify::<K>)?;
        let asked: HashSet<&str> = reqs.iter().map(|r| r.id).collect();
        let mut by_id: HashMap<String, Seen<K::Props>> = HashMap::with_capacity(seen.len());
        for s in seen {
            if !asked.contains(s.id.as_str()) {
                return Err(ProviderError::new(
                    "UnexpectedResult",
                    format!(
                        "{} read returned {}, which was not asked for",
                        K::Props::KIND,
                        s.id
                    ),
                ));
            }
            let id = s.id.clone();
            if by_id.insert(id.clone(), s).is_some() {
                return Err(ProviderError::new(
                    "UnexpectedResult",
                    format!("{} read returned {id} twice", K::Props::KIND),
                ));
            }
        }
        Ok(reqs
            .iter()
            .map(|r| by_id.remove(r.id).map(Seen::observed))
            .collect())
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let old = parse_props::<K::Props>(req.old)?;
        let new = parse_props::<K::Props>(req.new)?;
        self.kind
            .update(Update {
                address: req.address,
                id: req.id,
                old,
                new,
                tags: req.tags,
                notes: req.notes,
            })
            .await
            .map_err(classify::<K>)
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let r = self
            .kind
            .delete(Delete {
                address: req.address,
                id: req.id,
                recorded: recorded(req.props),
                notes: req.notes,
            })
            .await
            .map_err(classify::<K>);
        match r {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        }
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let props = parse_props::<K::Props>(req.props)?;
        let r = self
            .kind
            .find(Find {
                address: req.address,
                props,
                tags: req.tags,
                token: req.token,
            })
            .await
            .map_err(classify::<K>);
        match r {
            Err(e) if e.is_not_found() => Ok(None),
            other => other,
        }
    }
}

/// Runs `f` over `inputs` concurrently, at most `service`'s limit at once
/// (each call holds one of the service's permits): for reads that need a
/// call per object, where the API has no batch form.
pub(crate) async fn bounded<I, R, F, Fut>(
    ctx: &AwsContext,
    service: &'static str,
    inputs: impl IntoIterator<Item = I>,
    f: F,
) -> Result<Vec<R>, ProviderError>
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = Result<R, ProviderError>>,
{
    let limit = gantry_core::meta::SERVICE_LIMITS
        .iter()
        .find(|(s, _)| *s == service)
        .map(|(_, n)| *n)
        .unwrap_or(gantry_core::meta::DEFAULT_SERVICE_LIMIT);
    let f = &f;
    stream::iter(inputs)
        .map(|i| async move {
            let _permit = ctx.permit(service).await;
            f(i).await
        })
        .buffer_unordered(limit)
        .try_collect()
        .await
}

/// Reads items one call (or a few) each, for APIs with no batch form,
/// [`bounded`] by the service's limit: `f` gets each item's id and
/// recorded props; an item whose read fails with a not-found code of `K`
/// is gone.
pub(crate) async fn each<K, F, Fut>(
    ctx: &AwsContext,
    items: &[Item<'_, K::Props>],
    f: F,
) -> Result<Vec<Seen<K::Props>>, ProviderError>
where
    K: AwsKind,
    F: Fn(String, Option<K::Props>) -> Fut,
    Fut: Future<Output = Result<Option<Seen<K::Props>>, ProviderError>>,
{
    let f = &f;
    let owned: Vec<(String, Option<K::Props>)> = items
        .iter()
        .map(|i| (i.id.to_string(), i.recorded.clone()))
        .collect();
    let found = bounded(
        ctx,
        K::Props::meta().service,
        owned,
        |(id, rec)| async move {
            match f(id, rec).await.map_err(classify::<K>) {
                Err(e) if e.is_not_found() => Ok(None),
                other => other,
            }
        },
    )
    .await?;
    Ok(found.into_iter().flatten().collect())
}

/// The recorded props a read cannot do without (kinds that live inside
/// another object and are addressed through it); such kinds are never
/// listed by the inventory, so only recorded objects are read.
pub(crate) fn needs_record<T: Kind>(rec: Option<T>) -> Result<T, ProviderError> {
    rec.ok_or_else(|| {
        ProviderError::new(
            "MissingRecord",
            format!(
                "a {} can only be read with its recorded properties",
                T::KIND
            ),
        )
    })
}

/// The ids of the items, for batched describes.
pub(crate) fn ids<T>(items: &[Item<'_, T>]) -> Vec<String> {
    items.iter().map(|i| i.id.to_string()).collect()
}

/// The recorded props of the item with `id`, if any.
pub(crate) fn recorded_of<'a, T>(items: &'a [Item<'_, T>], id: &str) -> Option<&'a T> {
    items
        .iter()
        .find(|i| i.id == id)
        .and_then(|i| i.recorded.as_ref())
}

/// The value of a field AWS must return, or an error naming the call.
pub(crate) fn required<T>(v: Option<T>, call: &str, field: &str) -> Result<T, ProviderError> {
    v.ok_or_else(|| ProviderError::new("MissingField", format!("{call} returned no {field}")))
}

/// The address a resource's tags give it, when they put it in this stack
/// and environment.
pub(crate) fn listed_address<'a>(
    found: impl IntoIterator<Item = (&'a str, &'a str)>,
    tags: &StackTags,
) -> Option<Option<Address>> {
    let have: BTreeMap<&str, &str> = found.into_iter().collect();
    let ours = have.get(StackTags::STACK) == Some(&tags.stack.as_str())
        && have.get(StackTags::ENV) == Some(&tags.env.as_str());
    ours.then(|| have.get(StackTags::ADDRESS).map(|a| Address::new(*a)))
}

/// [`Listing::Tagged`] id mappers for the common ARN shapes.
pub(crate) mod arn {
    /// The ARN itself is the id, for ARNs whose resource part starts with
    /// `prefix` (`loadbalancer/app/`).
    pub fn whole(arn: &str, service: &str, prefix: &str) -> Option<String> {
        resource(arn, service)
            .filter(|r| r.starts_with(prefix))
            .map(|_| arn.to_string())
    }

    /// The resource part after `prefix` is the id (`vpc/` → `vpc-123`).
    pub fn after(arn: &str, service: &str, prefix: &str) -> Option<String> {
        resource(arn, service)
            .and_then(|r| r.strip_prefix(prefix))
            .filter(|r| !r.is_empty())
            .map(str::to_string)
    }

    /// The resource part of an ARN of `service` (after the account).
    pub fn resource<'a>(arn: &'a str, service: &str) -> Option<&'a str> {
        let mut parts = arn.splitn(6, ':');
        let (_, _, svc, _, _, res) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        (svc == service).then_some(res)
    }
}

#[cfg(test)]
mod tests {
    use super::arn;

    #[test]
    fn arn_shapes() {
        let vpc = "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1";
        assert_eq!(arn::after(vpc, "ec2", "vpc/").as_deref(), Some("vpc-1"));
        assert_eq!(arn::after(vpc, "ec2", "subnet/"), None);
        assert_eq!(arn::after(vpc, "ecs", "vpc/"), None);
        let lg = "arn:aws:logs:us-east-1:123456789012:log-group:/gantry/x/dev/web";
        assert_eq!(
            arn::after(lg, "logs", "log-group:").as_deref(),
            Some("/gantry/x/dev/web")
        );
        let lb = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/1";
        assert_eq!(
            arn::whole(lb, "elasticloadbalancing", "loadbalancer/app/").as_deref(),
            Some(lb)
        );
        assert_eq!(arn::resource("arn:aws:s3:::bucket", "s3"), Some("bucket"));
    }
}
