//! End-to-end tests of the `gantry` binary against the local AWS emulator,
//! one test binary for all of them (each binary that links the AWS SDK costs
//! build time) sharing one emulator (started once, through
//! `scripts/emulator.sh`, behind the fault-injecting proxy). Every test uses
//! stacks of its own; tests that count calls or inject faults also sign
//! with access keys of their own, which the proxy keeps apart.

mod support;

mod api;
mod ci;
mod crash;
mod data;
mod deploy;
mod doctor;
mod edge;
mod identity;
mod minimal;
mod operate;
mod platform;
mod preview;
mod remote;
mod site;
mod state;
