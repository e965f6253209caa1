//! Gantry's engine: recovers interrupted operations, refreshes state with
//! batched reads per kind (and lists the stack's untracked objects when the
//! providers have an inventory), and applies a plan (or destroys a stack)
//! as a DAG of provider calls with per-service concurrency limits. Every
//! mutating call is journaled before and after (see `gantry-state`), a
//! failure (a provider panic included) skips only what depends on it,
//! retryable failures are retried a few times first ([`RetryPolicy`]; a
//! create is looked up before it is sent again), provider warnings arrive
//! as [`Event::ProviderWarning`], and cancellation lets in-flight calls
//! finish.
//!
//! Typical `up` (take the lock before opening the store: opening compacts):
//!
//! ```text
//! let lock = StateLock::acquire(&dir, "up", LEASE)?;       // gantry-state
//! let store = Arc::new(Store::open(&dir, stack, env)?);
//! engine.recover(&store, &*reporter).await?;               // adopt or drop pending ops
//! let refreshed = engine.refresh_store(&store, &*reporter).await?; // `refresh` for read-only commands
//! let plan = gantry_plan::plan(&desired, &store.state(), &refreshed)?; // adopts wanted orphans
//! print!("{}", gantry_plan::render_text(&plan, color));   // lists the untracked ones
//! let summary = engine.apply(&plan, &desired, &store, reporter, &cancel).await?;
//! ```
//!
//! [`Engine::up`] does the middle four steps in one call. `destroy` is
//! [`Engine::plan_destroy`] (recorded objects and every orphan, to list
//! before asking) then `apply` with an empty desired graph, or
//! [`Engine::destroy`] for both.

pub mod engine;
pub mod events;
pub mod fake;
mod graph;
mod import;
mod ops;
mod refresh;
pub mod retry;

pub use engine::{
    Engine, EngineError, Limits, OpFailure, OpReport, SkippedOp, Summary, DEFAULT_SETTLE,
};
pub use events::{CollectingReporter, Event, Notes, NullReporter, Reporter};
pub use import::ImportError;
pub use retry::RetryPolicy;
pub use tokio_util::sync::CancellationToken;
