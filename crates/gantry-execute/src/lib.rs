//! Gantry's engine: recovers interrupted operations, refreshes state with
//! one batched read per kind, and applies a plan (or destroys a stack) as a
//! DAG of provider calls with per-service concurrency limits. Every mutating
//! call is journaled before and after (see `gantry-state`), a failure skips
//! only what depends on it, and cancellation lets in-flight calls finish.
//!
//! Typical `up` (take the lock before opening the store: opening compacts):
//!
//! ```text
//! let lock = StateLock::acquire(&dir, "up", LEASE)?;       // gantry-state
//! let store = Arc::new(Store::open(&dir, stack, env)?);
//! engine.recover(&store, &*reporter).await?;               // adopt or drop pending ops
//! let refreshed = engine.refresh_store(&store, &*reporter).await?; // `refresh` for read-only commands
//! let plan = gantry_plan::plan(&desired, &store.state(), &refreshed)?;
//! print!("{}", gantry_plan::render_text(&plan, color));
//! let summary = engine.apply(&plan, &desired, &store, reporter, &cancel).await?;
//! ```
//!
//! [`Engine::up`] does the middle four steps in one call.

pub mod engine;
pub mod events;
pub mod fake;
mod graph;

pub use engine::{
    Engine, EngineError, Limits, OpFailure, OpReport, SkippedOp, Summary, DEFAULT_SETTLE,
};
pub use events::{CollectingReporter, Event, NullReporter, Reporter};
pub use tokio_util::sync::CancellationToken;
