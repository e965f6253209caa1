//! The `gantry` binary: parses arguments and dispatches to one thin command
//! file per subcommand; exit codes are the constants in `gantry_cli::exit`.

mod commands;

use gantry_cli::exit;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match gantry_cli::cli::parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let color = gantry_cli::term::use_color(cli.global.no_color);
    miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .build(),
        )
    }))
    .ok();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    // With --detailed-exitcode, every error is 1 so that 2 always means "changes".
    let detailed = matches!(&cli.command, gantry_cli::cli::Command::Plan(p) if p.detailed_exitcode);
    match runtime.block_on(commands::run(cli, color)) {
        Ok(code) => ExitCode::from(code),
        Err(report) => {
            use gantry_cli::ops::OpsError;
            let code = match report.downcast_ref::<OpsError>() {
                _ if detailed => exit::ERROR,
                Some(OpsError::Locked(_)) => exit::LOCKED,
                Some(OpsError::LockLost(_)) => exit::LOCK_LOST,
                _ if matches!(
                    report.downcast_ref::<gantry_cli::scaffold::NewError>(),
                    Some(gantry_cli::scaffold::NewError::Exists(_))
                ) =>
                {
                    exit::SPEC_EXISTS
                }
                _ => exit::ERROR,
            };
            eprintln!("{report:?}");
            ExitCode::from(code)
        }
    }
}
