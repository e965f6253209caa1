//! `gantry state migrate`: move a stack's state to another backend, its
//! resources, release history, serial and lineage kept, under the locks
//! of both places.

use gantry_cli::cli::Global;
use gantry_cli::exit;
use gantry_cli::ops::{self, OpsError, Workspace};
use gantry_model::StateLocation;
use gantry_state::{StateLock, Store};
use std::sync::Arc;

pub fn migrate(g: &Global, to: &str) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    // A bucket the spec names keeps the spec's region for it.
    let region = match &ws.model.state {
        StateLocation::S3 { region, .. } => region.clone(),
        StateLocation::Local => ws.model.region.clone(),
    };
    let target = StateLocation::parse(to, &region).map_err(OpsError::StateLocation)?;
    let dest = ops::backend(&target, &g.file, &ws.model, g.state_dir.as_deref());
    if dest.same_as(&ws.backend) {
        return Err(OpsError::StateLocation(format!(
            "the state of {} is already in {}",
            ws.label(),
            dest.describe()
        ))
        .into());
    }
    let (stack, env) = (&ws.model.stack, &ws.model.env);
    let lease = ops::lock_lease()?;
    let from_lock = Arc::new(
        StateLock::acquire_at(&ws.backend, "state migrate", lease).map_err(OpsError::from)?,
    );
    let from = Store::open_fenced_at(&ws.backend, stack, env, from_lock.clone())
        .map_err(OpsError::from)?;
    let state = from.state();
    if !from.pending().is_empty() {
        return Err(miette::miette!(
            help = "run `gantry up` first: it settles them",
            "{} operation(s) of an interrupted run are still open in {}",
            from.pending().len(),
            ws.backend.describe()
        ));
    }
    if state.serial == 0 && state.resources.is_empty() && state.releases.is_empty() {
        return Err(miette::miette!(
            "there is no state of {} in {} to move",
            ws.label(),
            ws.backend.describe()
        ));
    }
    let to_lock =
        Arc::new(StateLock::acquire_at(&dest, "state migrate", lease).map_err(OpsError::from)?);
    let to_store =
        Store::open_fenced_at(&dest, stack, env, to_lock.clone()).map_err(OpsError::from)?;
    to_store.adopt(&state).map_err(OpsError::from)?;
    drop(to_store);
    to_lock.release_now().map_err(OpsError::from)?;
    drop(from);
    from_lock.release_now().map_err(OpsError::from)?;
    let releases: usize = state.releases.values().map(Vec::len).sum();
    println!(
        "Moved the state of {} from {} to {}: {} resources, {releases} releases, serial {}.",
        ws.label(),
        ws.backend.describe(),
        dest.describe(),
        state.resources.len(),
        state.serial
    );
    let point = match &target {
        StateLocation::Local => "remove `state:` from the spec (or pass `--state local`)".to_string(),
        StateLocation::S3 { bucket, prefix, .. } if prefix.is_empty() => {
            format!("set `state: {{backend: s3, bucket: {bucket}}}` in the spec (or pass `--state {}`)", target.url())
        }
        StateLocation::S3 { bucket, prefix, .. } => format!(
            "set `state: {{backend: s3, bucket: {bucket}, prefix: {prefix}}}` in the spec (or pass `--state {}`)",
            target.url()
        ),
    };
    println!(
        "The copy in {} is left as it was, as a backup. Next: {point}.",
        ws.backend.describe()
    );
    Ok(exit::OK)
}
