//! The library behind the `gantry` command: loading a workspace (spec,
//! model, desired graph, state directory), the operations each command runs
//! ([`ops`]), and everything that turns engine events and results into text
//! for a terminal ([`progress`], [`render`]). The binary's command files are
//! thin wrappers over this.

pub mod build;
pub mod ci;
pub mod cli;
pub mod cost;
pub mod deploy;
pub mod docs;
pub mod doctor;
pub mod endpoints;
pub mod exit;
pub mod jobs;
pub mod logs;
pub mod ops;
pub mod outputs;
pub mod preview;
pub mod progress;
pub mod render;
pub mod scaffold;
pub mod spec_help;
pub mod term;
