//! `gantry status`: recorded resources plus live ECS service state.

use gantry_cli::cli::{Global, StatusArgs};
use gantry_cli::exit;
use gantry_cli::ops::{self, Workspace};

pub async fn run(g: &Global, a: &StatusArgs) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    let ctx = ops::connect(&ws.model).await?;
    let report = ops::status(&ws, &ctx).await?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("status serializes")
        );
    } else {
        print!("{}", gantry_cli::render::status::render(&report));
    }
    Ok(exit::OK)
}
