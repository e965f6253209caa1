//! `gantry status`: recorded resources plus live ECS service state, once or
//! (`--watch`) again every interval until Ctrl-C.

use gantry_cli::cli::{Global, StatusArgs};
use gantry_cli::exit;
use gantry_cli::ops::{self, StatusReport, Workspace};
use std::io::IsTerminal;

fn print(report: &StatusReport, json: bool, watch: bool) {
    if json {
        let text = if watch {
            serde_json::to_string(report)
        } else {
            serde_json::to_string_pretty(report)
        };
        println!("{}", text.expect("status serializes"));
    } else {
        print!("{}", gantry_cli::render::status::render(report));
    }
}

pub async fn run(g: &Global, a: &StatusArgs) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    let ctx = ops::connect(&ws.model).await?;
    let report = ops::status(&ws, &ctx, true).await?;
    if !a.watch {
        print(&report, a.json, false);
        return Ok(exit::OK);
    }
    // A terminal is redrawn in place; a pipe gets each reading in turn.
    let redraw = !a.json && std::io::stdout().is_terminal();
    let untracked = report.untracked.clone();
    let mut report = report;
    loop {
        if redraw {
            print!("\x1b[2J\x1b[H");
        }
        print(&report, a.json, true);
        if !a.json && !redraw {
            println!();
        }
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(exit::OK),
            _ = tokio::time::sleep(a.interval) => {}
        }
        // One failed reading (throttled past the SDK's retries, a network
        // blip) does not end the watch: the last one stays up.
        match ops::status(&ws, &ctx, false).await {
            Ok(r) => {
                report = r;
                report.untracked = untracked.clone();
            }
            Err(e) => eprintln!("warning: reading the status failed: {e}"),
        }
    }
}
