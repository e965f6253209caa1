//! `gantry graph`: the resource graph as Mermaid, grouped by apply phase.

use gantry_cli::cli::Global;
use gantry_cli::exit;
use gantry_cli::ops::Workspace;
use miette::IntoDiagnostic;

pub fn run(g: &Global) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    let text = gantry_cli::render::mermaid::render(&ws.graph).into_diagnostic()?;
    print!("{text}");
    Ok(exit::OK)
}
