//! Gantry's shared vocabulary, used by every layer of the pipeline.
//!
//! Resources are handled as data: a [`Resource`] is an address, a kind and a
//! JSON property map. References between resources are strings of the form
//! `${ref:ADDRESS.ATTR}` (see [`reference`]); the engine derives graph edges
//! from them and substitutes real values once the referenced resource exists.
//! Each kind has a typed property struct in [`kinds`] (the architect builds
//! them, providers read them back) and static metadata in [`meta`] (which
//! fields force replacement, which are secret, which AWS service it uses).

pub mod kinds;
pub mod meta;
pub mod provider;
pub mod reference;
pub mod resource;

pub use kinds::Kind;
pub use meta::{kind_meta, KindMeta};
pub use provider::{
    Applied, CreateRequest, DeleteRequest, ErrorKind, FindRequest, Inventory, Listed, NoNotes,
    Notify, Observed, Provider, ProviderError, ProviderSet, ReadRequest, StackTags, UpdateRequest,
};
pub use reference::{find_refs, reference, resolve, Ref, Unresolved};
pub use resource::{Address, DesiredGraph, GraphError, Props, Resource};
