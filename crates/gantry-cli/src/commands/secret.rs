//! `gantry secret set NAME`: store a secret's value, read from stdin, in the
//! Secrets Manager secret Gantry created for it (or in a secure parameter,
//! `parameters: {NAME: {secure: true}}`, a SecureString). The value never touches the
//! spec, the command line, the plan or the state.

use gantry_cli::cli::Global;
use gantry_cli::exit;
use gantry_cli::ops::{self, Workspace};
use std::io::{IsTerminal, Read};

pub async fn set(g: &Global, name: &str) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    let state = ws.read_state().map_err(ops::OpsError::from)?;
    let mut address = gantry_core::Address::of(gantry_core::kinds::SECRET, name);
    if ws.graph.get(&address).is_none() {
        // Names are shared across stores: a secure parameter may be meant.
        let param = gantry_core::Address::of(gantry_core::kinds::SSM_PARAMETER, name);
        let secure = ws
            .graph
            .get(&param)
            .is_some_and(|r| r.props.get("secure").and_then(|v| v.as_bool()) == Some(true));
        if !secure {
            return Err(miette::miette!(
                help = "declare it under `secrets:`, or as `parameters: {name}: {{secure: true}}`, in the spec",
                "the spec has no secret or secure parameter `{name}`"
            ));
        }
        address = param;
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
    if address.kind() == gantry_core::kinds::SSM_PARAMETER {
        // Encrypted with the key the parameter was created with.
        let key_id = recorded
            .props
            .get("key_id")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        if value.len() > 4096 {
            return Err(miette::miette!(
                "a parameter's value is at most 4096 characters; `{name}` has {}",
                value.len()
            ));
        }
        gantry_aws::secrets::put_parameter_value(&ctx, &recorded.id, key_id, value)
            .await
            .map_err(|e| miette::miette!("{address}: {e}"))?;
    } else {
        gantry_aws::secrets::put_value(&ctx, &recorded.id, value)
            .await
            .map_err(|e| miette::miette!("{address}: {e}"))?;
    }
    eprintln!(
        "Stored a new value for `{name}` ({} bytes). Running tasks see it after their next start.",
        value.len()
    );
    Ok(exit::OK)
}
