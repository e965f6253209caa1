//! `gantry unlock`: remove a lock left behind by a crashed run.

use gantry_cli::cli::Global;
use gantry_cli::exit;
use gantry_cli::ops::{OpsError, Workspace};

pub fn run(g: &Global) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    match ws.backend.force_unlock().map_err(OpsError::from)? {
        Some(l) => println!(
            "Removed the lock on {} held by {} (pid {}) running `{}` since {}.",
            ws.label(),
            l.who,
            l.pid,
            l.command,
            l.since
        ),
        None => println!("{} is not locked.", ws.label()),
    }
    Ok(exit::OK)
}
