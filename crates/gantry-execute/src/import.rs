//! `gantry state import`: adopting an object made outside Gantry at an
//! address the spec wants. The provider reads it by id (as refresh does),
//! and a journaled create whose result is that object records it, exactly
//! as `up` records an untracked object it adopts; the next plan then
//! updates whatever differs from the spec.

use crate::engine::{Engine, EngineError};
use crate::events::{Event, Reporter};
use crate::retry::{read_checked, Attempts};
use gantry_core::{find_refs, Address, DesiredGraph, ProviderError, ReadRequest};
use gantry_state::{Op, Outcome, Store};

/// Why an import was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the spec has no resource at {0}")]
    NotInSpec(Address),
    #[error("{address} already records {id}: `gantry state rm {address}` forgets it first")]
    Recorded { address: Address, id: String },
    #[error("{address}: AWS has no {kind} with id {id}")]
    NotFound {
        address: Address,
        kind: String,
        id: String,
    },
    #[error("{address}: reading {id} failed: {error}")]
    Read {
        address: Address,
        id: String,
        error: ProviderError,
    },
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl Engine {
    /// Records the object `id` at `address`. Fields AWS does not report
    /// (a secret's value, a field only set at create) are taken from the
    /// spec where it gives them literally, as a refresh keeps their
    /// recorded value.
    pub async fn import(
        &self,
        store: &Store,
        desired: &DesiredGraph,
        address: &Address,
        id: &str,
        reporter: &dyn Reporter,
    ) -> Result<(), ImportError> {
        let want = desired
            .get(address)
            .ok_or_else(|| ImportError::NotInSpec(address.clone()))?;
        if let Some(r) = store.with_state(|s| s.get(address).cloned()) {
            return Err(ImportError::Recorded {
                address: address.clone(),
                id: r.id,
            });
        }
        let provider = self
            .providers
            .get(&want.kind)
            .ok_or_else(|| EngineError::NoProvider(want.kind.clone()))?;
        let empty = Default::default();
        let reqs = [ReadRequest {
            address,
            id,
            props: &empty,
        }];
        // Throttling and transient failures are retried as in a refresh.
        let mut attempts = Attempts::new(self.retry, reporter, &want.kind, Some(address));
        let read = read_checked(&**provider, &reqs, &mut attempts).await;
        let found = match read {
            Ok(mut v) => v.pop().flatten(),
            Err(e) if e.is_not_found() => None,
            Err(error) => {
                return Err(ImportError::Read {
                    address: address.clone(),
                    id: id.to_string(),
                    error,
                })
            }
        };
        let Some(found) = found else {
            return Err(ImportError::NotFound {
                address: address.clone(),
                kind: want.kind.clone(),
                id: id.to_string(),
            });
        };
        let mut props = found.props;
        for (k, v) in &want.props {
            if !props.contains_key(k) && find_refs(v).is_empty() {
                props.insert(k.clone(), v.clone());
            }
        }
        let deps: Vec<Address> = want.dependencies().into_iter().collect();
        let it = store
            .begin(Op::Create, address, &want.kind, None, &props, &deps)
            .await
            .map_err(EngineError::from)?;
        store
            .finish(
                it.seq,
                Outcome::Ok {
                    id: Some(id.to_string()),
                    outputs: found.outputs,
                },
            )
            .await
            .map_err(EngineError::from)?;
        store.compact().map_err(EngineError::from)?;
        reporter.event(Event::Adopted {
            address: address.clone(),
            id: id.to_string(),
        });
        Ok(())
    }
}
