//! `gantry preview list` and `gantry preview gc`: the stack's preview
//! environments (recorded beside its state), and destroying the expired.

use gantry_cli::cli::{DestroyArgs, Global, PreviewCommand};
use gantry_cli::exit;
use gantry_cli::ops::{rfc3339, OpsError, Workspace};
use gantry_cli::preview::{render, Row};
use gantry_model::Model;
use gantry_state::PreviewRecord;
use time::OffsetDateTime;

pub async fn run(g: &Global, c: &PreviewCommand, color: bool) -> miette::Result<u8> {
    match c {
        PreviewCommand::List { json } => list(g, *json),
        PreviewCommand::Gc { yes } => gc(g, *yes, color).await,
    }
}

/// The stack's previews, seen from its default environment's state
/// location (they are recorded beside it).
fn records(g: &Global) -> miette::Result<(Workspace, Vec<PreviewRecord>)> {
    let mut base = g.clone();
    base.env = Some(gantry_model::default_env().to_string());
    let ws = Workspace::load(&base)?;
    let recs = ws
        .backend
        .list_previews(&ws.model.stack)
        .map_err(OpsError::from)?;
    Ok((ws, recs))
}

fn list(g: &Global, json: bool) -> miette::Result<u8> {
    let (ws, recs) = records(g)?;
    let spec = gantry_spec::load_file(&ws.spec_path)?;
    let prices = gantry_cli::cost::prices(g.prices.as_deref())?;
    let now = OffsetDateTime::now_utc();
    let rows: Vec<Row> = recs
        .iter()
        .map(|r| {
            // What it would cost as the spec stands (a preview follows
            // the spec of the environment it comes from).
            let monthly_usd = Model::build_preview(&spec, &r.env, &r.from)
                .ok()
                .and_then(|m| {
                    let graph = gantry_architect::architect(&m).ok()?;
                    gantry_cli::cost::of_graph(&m, &graph, &prices).ok()
                })
                .map(|e| e.total());
            Row {
                env: r.env.clone(),
                from: r.from.clone(),
                created_at: rfc3339(r.created_at),
                expires_at: rfc3339(r.expires_at),
                age_secs: (now - r.created_at).whole_seconds(),
                expired: r.expired(now),
                monthly_usd,
            }
        })
        .collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("rows serialize")
        );
    } else {
        print!("{}", render(&rows, now));
    }
    Ok(exit::OK)
}

async fn gc(g: &Global, yes: bool, color: bool) -> miette::Result<u8> {
    let (_, recs) = records(g)?;
    let now = OffsetDateTime::now_utc();
    let expired: Vec<&PreviewRecord> = recs.iter().filter(|r| r.expired(now)).collect();
    if expired.is_empty() {
        eprintln!("No expired preview environments ({} live).", recs.len());
        return Ok(exit::OK);
    }
    let mut worst = exit::OK;
    for r in expired {
        eprintln!(
            "Preview {} (from {}) expired at {}: destroying it.",
            r.env,
            r.from,
            rfc3339(r.expires_at)
        );
        let mut one = g.clone();
        one.env = Some(r.env.clone());
        match super::destroy::run(&one, &DestroyArgs { yes }, color).await {
            Ok(exit::OK) => {}
            Ok(code) => worst = code,
            Err(e) => {
                // One preview that cannot be destroyed does not keep the
                // others alive.
                eprintln!("{e:?}");
                worst = exit::ERROR;
            }
        }
    }
    Ok(worst)
}
