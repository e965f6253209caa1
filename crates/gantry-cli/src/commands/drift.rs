//! `gantry drift`: refresh from AWS and show what changed outside Gantry
//! since the state recorded it, without planning the spec's changes.

use gantry_cli::cli::{DriftArgs, Global};
use gantry_cli::exit;
use gantry_cli::ops::{self, Session, Workspace};
use gantry_cli::progress::Progress;

pub async fn run(g: &Global, a: &DriftArgs, color: bool) -> miette::Result<u8> {
    let mut ws = Workspace::load(g)?;
    let ctx = ops::connect(&ws.model).await?;
    let engine = ops::engine(&ctx, ws.tags(), None);
    let session = Session::open(&mut ws, &ctx, "drift")?;
    let reporter = Progress::new(0, color && !a.json);
    let drifted = ops::drift(&engine, &ws, &session, &reporter).await;
    reporter.finish();
    let drifted = drifted.map_err(|e| session.explain(e));
    session.close()?;
    let drifted = drifted?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&drifted).expect("drift serializes")
        );
    } else {
        print!("{}", gantry_plan::drift::render(&drifted));
    }
    Ok(if a.detailed_exitcode && !drifted.is_empty() {
        exit::CHANGES
    } else {
        exit::OK
    })
}
