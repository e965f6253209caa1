//! One file per subcommand, each a thin wrapper over `gantry_cli::ops`.

mod apply;
mod ci;
mod cost;
mod deploy;
mod destroy;
mod docs;
mod doctor;
mod drift;
mod exec;
mod export;
mod graph;
mod help;
mod import;
mod init;
mod logs;
mod new;
mod output;
mod plan;
mod preview;
mod run;
mod schema;
mod secret;
mod site;
mod state;
mod status;
mod unlock;
mod up;
mod validate;

use gantry_cli::cli::{Cli, Command, SecretCommand, SiteCommand};

/// Runs the command; returns the exit code for a run that did not error.
pub async fn run(cli: Cli, color: bool) -> miette::Result<u8> {
    let g = &cli.global;
    match &cli.command {
        Command::New(a) => new::run(a),
        Command::Doctor => doctor::run(g, color).await,
        Command::Help { topic } => help::run(topic),
        Command::Init => init::run(g).await,
        Command::Validate => validate::run(g),
        Command::Plan(a) => plan::run(g, a, color).await,
        Command::Drift(a) => drift::run(g, a, color).await,
        Command::Cost(a) => cost::run(g, a),
        Command::Completions { shell } => {
            let mut cmd = gantry_cli::cli::command();
            clap_complete::generate(*shell, &mut cmd, "gantry", &mut std::io::stdout());
            Ok(gantry_cli::exit::OK)
        }
        Command::Man => {
            let cmd = gantry_cli::cli::command();
            match clap_mangen::Man::new(cmd).render(&mut std::io::stdout()) {
                // `gantry man | head` closing the pipe early is not an error.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(miette::miette!("writing the man page: {e}"))
                }
                _ => Ok(gantry_cli::exit::OK),
            }
        }
        Command::Docs(a) => docs::run(g, a),
        Command::Export(c) => export::run(g, c),
        Command::Up(a) => up::run(g, a, color).await,
        Command::Destroy(a) => destroy::run(g, a, color).await,
        Command::Deploy(a) => deploy::deploy(g, a).await,
        Command::Rollback(a) => deploy::rollback(g, a).await,
        Command::Deployments(a) => deploy::deployments(g, a),
        Command::Status(a) => status::run(g, a).await,
        Command::Output(a) => output::run(g, a),
        Command::State(c) => state::run(g, c).await,
        Command::Logs(a) => logs::run(g, a).await,
        Command::Exec(a) => exec::run(g, a).await,
        Command::Run(a) => run::run(g, a).await,
        Command::Graph => graph::run(g),
        Command::Schema => schema::run(),
        Command::Unlock => unlock::run(g),
        Command::Secret(SecretCommand::Set { name }) => secret::set(g, name).await,
        Command::Site(SiteCommand::Publish { dir }) => site::publish_dir(g, dir).await,
        Command::Import(c) => import::run(c),
        Command::Ci(gantry_cli::cli::CiCommand::Github(a)) => ci::github(g, a),
        Command::Preview(c) => preview::run(g, c, color).await,
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

/// The plan's cost; a price table that cannot be read is a warning, never
/// a reason not to plan.
fn plan_cost(
    g: &gantry_cli::cli::Global,
    ws: &gantry_cli::ops::Workspace,
    state: &gantry_state::State,
    plan: &gantry_plan::Plan,
) -> Option<gantry_cli::cost::PlanCost> {
    let prices = match gantry_cli::cost::prices(g.prices.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("warning: no cost estimate: {e}");
            return None;
        }
    };
    match gantry_cli::cost::plan_cost(&ws.model, &ws.graph, state, plan, &prices) {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("warning: no cost estimate: {e}");
            None
        }
    }
}
