//! `gantry state list|show|rm|import|pull|migrate`: the recorded state as
//! Terraform's `state` commands show and edit it. Reading takes no lock;
//! `rm` and `import` change the record under the lock, journaled like any
//! apply, and never change anything in AWS; `migrate` moves the state to
//! another backend (resources, release history, serial and lineage) under
//! the locks of both places.

use super::apply::{lock_lost, warn_takeover};
use gantry_cli::cli::{Global, StateCommand};
use gantry_cli::exit;
use gantry_cli::ops::{self, OpsError, Session, Workspace};
use gantry_cli::progress::Progress;
use gantry_core::Address;
use gantry_model::StateLocation;
use gantry_state::{Edit, StateLock, Store};
use std::sync::Arc;

fn parse(address: &str) -> miette::Result<Address> {
    match address.split_once('.') {
        Some((k, n)) if !k.is_empty() && !n.is_empty() => Ok(Address::of(k, n)),
        _ => Err(miette::miette!(
            help = "addresses are KIND.NAME, as `gantry state list` prints them",
            "`{address}` is not an address"
        )),
    }
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(v).expect("state serializes")
}

pub async fn run(g: &Global, c: &StateCommand) -> miette::Result<u8> {
    let mut ws = Workspace::load(g)?;
    let read = || ws.read_state().map_err(OpsError::from);
    match c {
        StateCommand::Migrate { to } => migrate(g, to),
        StateCommand::List { json: as_json } => {
            let state = read()?;
            let rows: Vec<serde_json::Value> = state
                .resources
                .iter()
                .map(|(a, r)| {
                    serde_json::json!({
                        "address": a.to_string(),
                        "kind": r.kind,
                        "id": r.id,
                        "deposed": r.deposed.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
                    })
                })
                .collect();
            if *as_json {
                println!("{}", json(&rows));
            } else {
                let w = state
                    .resources
                    .keys()
                    .map(|a| a.to_string().len())
                    .max()
                    .unwrap_or(0);
                for (a, r) in &state.resources {
                    println!("{:w$}  {}", a.to_string(), r.id);
                    for d in &r.deposed {
                        println!("{:w$}  {} (kept earlier object)", "", d.id);
                    }
                }
            }
            Ok(exit::OK)
        }
        StateCommand::Show { address } => {
            let a = parse(address)?;
            let state = read()?;
            let r = state.get(&a).ok_or_else(|| {
                miette::miette!(
                    help = "`gantry state list` shows what is",
                    "{a} is not recorded"
                )
            })?;
            println!("{}", json(r));
            Ok(exit::OK)
        }
        StateCommand::Pull => {
            println!("{}", json(&read()?));
            Ok(exit::OK)
        }
        StateCommand::Rm { addresses } => {
            let addrs = addresses
                .iter()
                .map(|a| parse(a))
                .collect::<miette::Result<Vec<_>>>()?;
            let ctx = ops::connect(&ws.model).await?;
            let session = Session::open(&mut ws, &ctx, "state rm")?;
            warn_takeover(&session);
            let state = session.store.state();
            let mut edits = Vec::new();
            for a in &addrs {
                let Some(r) = state.get(a) else {
                    session.close()?;
                    return Err(miette::miette!(
                        help = "`gantry state list` shows what is",
                        "{a} is not recorded; nothing was forgotten"
                    ));
                };
                edits.push((a.clone(), r.id.clone(), r.deposed.len()));
            }
            let result = session
                .store
                .edit(
                    edits
                        .iter()
                        .map(|(a, _, _)| Edit::Resource {
                            address: a.clone(),
                            resource: None,
                        })
                        .collect(),
                )
                .await
                .and_then(|()| session.store.compact());
            if let Err(e) = result {
                let e = lock_lost(&session, e.into()).await;
                let _ = session.close();
                return Err(e.into());
            }
            session.close()?;
            for (a, id, deposed) in edits {
                let also = if deposed > 0 {
                    format!(" and {deposed} earlier object(s) kept there")
                } else {
                    String::new()
                };
                println!("Forgot {a} ({id}{also}); it is still in AWS.");
            }
            println!(
                "They keep their gantry:* tags: `gantry up` adopts an object again while the spec wants its address; otherwise `plan` lists it as untracked and `gantry destroy` would delete it."
            );
            Ok(exit::OK)
        }
        StateCommand::Import { address, id } => {
            let a = parse(address)?;
            let ctx = ops::connect(&ws.model).await?;
            let engine = ops::engine(&ctx, ws.tags(), None);
            let session = Session::open(&mut ws, &ctx, "state import")?;
            warn_takeover(&session);
            let progress = Progress::plain(gantry_cli::term::use_color(g.no_color));
            let result = async {
                engine.recover(&session.store, &progress).await?;
                engine
                    .import(&session.store, &ws.graph, &a, id, &progress)
                    .await
                    .map_err(OpsError::from)
            }
            .await;
            match result {
                Ok(()) => {
                    session.close()?;
                    println!(
                        "Imported {id} at {a}. `gantry plan` shows what differs from the spec."
                    );
                    Ok(exit::OK)
                }
                Err(e) => {
                    let e = lock_lost(&session, e).await;
                    let _ = session.close();
                    Err(e.into())
                }
            }
        }
    }
}

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
