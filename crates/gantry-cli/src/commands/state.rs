//! `gantry state list|show|rm|import|pull`: the recorded state as
//! Terraform's `state` commands show and edit it. Reading takes no lock;
//! `rm` and `import` change the record under the lock, journaled like any
//! apply, and never change anything in AWS.

use super::apply::{lock_lost, warn_takeover};
use gantry_cli::cli::{Global, StateCommand};
use gantry_cli::exit;
use gantry_cli::ops::{self, OpsError, Session, Workspace};
use gantry_cli::progress::Progress;
use gantry_core::Address;
use gantry_state::Edit;

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
    let read = || {
        gantry_state::read_state(&ws.state_dir, &ws.model.stack, &ws.model.env)
            .map_err(OpsError::from)
    };
    match c {
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
