//! `gantry validate`: check the spec (every environment) and the
//! architecture it produces, without touching AWS.

use gantry_cli::cli::Global;
use gantry_cli::exit;
use gantry_cli::ops::Workspace;

pub fn run(g: &Global) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    super::print_warnings(&ws, false);
    println!(
        "{} is valid: {} ({} resources, {} service(s))",
        g.file.display(),
        ws.label(),
        ws.graph.len(),
        ws.model.services.len()
    );
    Ok(exit::OK)
}
