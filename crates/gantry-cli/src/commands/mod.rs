//! One file per subcommand, each a thin wrapper over `gantry_cli::ops`.

mod apply;
mod deploy;
mod destroy;
mod exec;
mod graph;
mod init;
mod logs;
mod plan;
mod schema;
mod secret;
mod site;
mod state;
mod status;
mod unlock;
mod up;
mod validate;

use gantry_cli::cli::{Cli, Command, SecretCommand, SiteCommand, StateCommand};

/// Runs the command; returns the exit code for a run that did not error.
pub async fn run(cli: Cli, color: bool) -> miette::Result<u8> {
    let g = &cli.global;
    match &cli.command {
        Command::Init => init::run(g).await,
        Command::Validate => validate::run(g),
        Command::Plan(a) => plan::run(g, a, color).await,
        Command::Up(a) => up::run(g, a, color).await,
        Command::Destroy(a) => destroy::run(g, a, color).await,
        Command::Deploy(a) => deploy::deploy(g, a).await,
        Command::Rollback(a) => deploy::rollback(g, a).await,
        Command::Deployments(a) => deploy::deployments(g, a),
        Command::Status(a) => status::run(g, a).await,
        Command::Logs(a) => logs::run(g, a).await,
        Command::Exec(a) => exec::run(g, a).await,
        Command::Graph => graph::run(g),
        Command::Schema => schema::run(),
        Command::Unlock => unlock::run(g),
        Command::State(StateCommand::Migrate { to }) => state::migrate(g, to),
        Command::Secret(SecretCommand::Set { name }) => secret::set(g, name).await,
        Command::Site(SiteCommand::Publish { dir }) => site::publish_dir(g, dir).await,
    }
}

/// The model's warnings (plain HTTP on the internet, WAF off, ...) on
/// stderr, so they show with every plan without polluting `--json` output.
fn print_warnings(ws: &gantry_cli::ops::Workspace, color: bool) {
    use owo_colors::OwoColorize;
    for w in ws.model.warnings() {
        if color {
            eprintln!("{} {w}", "warning:".yellow().bold());
        } else {
            eprintln!("warning: {w}");
        }
    }
}
