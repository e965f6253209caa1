//! The last check before a request leaves: a run that lost its state lock
//! (it slept past its lease and another run took over) must not change AWS
//! any more than it may write state. A request the SDK had already built
//! when the process was frozen would otherwise go out the moment it
//! resumes, and make a second VPC the new holder never hears of. The CLI
//! installs the lock's fence check as the gate once it holds the lock;
//! every client asks it right before transmitting.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::sync::{Arc, RwLock};

/// Says whether requests may still be sent; `Err` carries why not.
pub type Check = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// The gate every client of one context shares.
#[derive(Clone, Default)]
pub struct SendGate {
    check: Arc<RwLock<Option<Check>>>,
}

impl std::fmt::Debug for SendGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SendGate")
    }
}

impl SendGate {
    pub(crate) fn set(&self, check: Check) {
        *self.check.write().expect("gate lock") = Some(check);
    }
}

/// Why a request was not sent.
#[derive(Debug, thiserror::Error)]
#[error("not sent: {0}")]
pub struct Closed(pub String);

impl Intercept for SendGate {
    fn name(&self) -> &'static str {
        "GantrySendGate"
    }

    fn read_before_transmit(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let check = self.check.read().expect("gate lock").clone();
        match check {
            Some(c) => c().map_err(|why| Box::new(Closed(why)) as BoxError),
            None => Ok(()),
        }
    }
}
