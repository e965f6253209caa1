//! `gantry doctor`: every check of `gantry_cli::doctor`, a line each, and
//! exit [`exit::NOT_READY`] when a required one failed.

use gantry_cli::cli::Global;
use gantry_cli::exit;

pub async fn run(g: &Global, color: bool) -> miette::Result<u8> {
    let report = gantry_cli::doctor::run(g).await;
    print!("{}", gantry_cli::render::doctor::report(&report, color));
    Ok(if report.ready() {
        exit::OK
    } else {
        exit::NOT_READY
    })
}
