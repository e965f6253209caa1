//! `gantry secret set NAME`: store a secret's value, read from stdin, in the
//! Secrets Manager secret Gantry created for it. The value never touches the
//! spec, the command line, the plan or the state.

use gantry_cli::cli::Global;
use gantry_cli::exit;
use gantry_cli::ops::{self, Workspace};
use std::io::{IsTerminal, Read};

pub async fn set(g: &Global, name: &str) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    let state = ws.read_state().map_err(ops::OpsError::from)?;
    let address = gantry_core::Address::of(gantry_core::kinds::SECRET, name);
    if ws.graph.get(&address).is_none() {
        return Err(miette::miette!(
            help = "declare it under `secrets:` in the spec",
            "the spec has no secret `{name}`"
        ));
    }
    let Some(recorded) = state.get(&address) else {
        return Err(miette::miette!(
            help = "run `gantry up` first: the secret is created with the stack",
            "secret `{name}` does not exist yet in {}",
            ws.label()
        ));
    };
    if std::io::stdin().is_terminal() {
        eprintln!("Reading the value of `{name}` from standard input; end with Ctrl-D.");
    }
    let mut value = String::new();
    std::io::stdin()
        .read_to_string(&mut value)
        .map_err(|e| miette::miette!("reading standard input: {e}"))?;
    // One trailing newline comes from `echo` or the terminal, not the value.
    let value = value
        .strip_suffix('\n')
        .map(|v| v.strip_suffix('\r').unwrap_or(v))
        .unwrap_or(&value);
    if value.is_empty() {
        return Err(miette::miette!(
            "refusing to store an empty value for `{name}`"
        ));
    }
    let ctx = ops::connect(&ws.model).await?;
    gantry_aws::secrets::put_value(&ctx, &recorded.id, value)
        .await
        .map_err(|e| miette::miette!("{address}: {e}"))?;
    eprintln!(
        "Stored a new value for `{name}` ({} bytes). Running tasks see it after their next start.",
        value.len()
    );
    Ok(exit::OK)
}
