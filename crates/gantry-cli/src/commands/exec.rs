//! `gantry exec SERVICE [-- CMD...]`: a session in a running task through
//! ECS Exec (`gantry_aws::exec`), carried by the Session Manager plugin,
//! whose exit code becomes ours. Reads only: takes no lock.

use gantry_cli::cli::{ExecArgs, Global};
use gantry_cli::ops::{self, Workspace};
use gantry_core::{kinds, Address};

use gantry_cli::doctor::{on_path, PLUGIN_HELP, SESSION_MANAGER_PLUGIN as PLUGIN};

pub async fn run(g: &Global, a: &ExecArgs) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    let Some(svc) = ws.model.service(&a.service) else {
        let known: Vec<&str> = ws.model.services.iter().map(|s| s.name.as_str()).collect();
        return Err(miette::miette!(
            help = format!("its services: {}", known.join(", ")),
            "the spec has no service `{}`",
            a.service
        ));
    };
    if !svc.exec {
        return Err(miette::miette!(
            help = "set `exec: true` under the service and run `gantry up` (running tasks are replaced to turn it on)",
            "exec is off for service `{}`",
            a.service
        ));
    }
    if let Some(c) = &a.container {
        if !svc.containers.iter().any(|x| &x.name == c) {
            return Err(miette::miette!(
                "the service `{}` has no container `{c}`",
                a.service
            ));
        }
    }
    // Before any AWS call: without the plugin no session can be carried.
    let plugin = on_path(PLUGIN)
        .ok_or_else(|| miette::miette!(help = PLUGIN_HELP, "`{PLUGIN}` is not on PATH"))?;
    let state = ws.read_state().map_err(ops::OpsError::from)?;
    let service = state
        .get(&Address::of(kinds::ECS_SERVICE, &a.service))
        .ok_or_else(|| {
            miette::miette!(
                help = "run `gantry up` first",
                "service `{}` does not exist yet in {}",
                a.service,
                ws.label()
            )
        })?;
    let cluster = service
        .props
        .get("cluster_arn")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let command = if a.command.is_empty() {
        "/bin/sh".to_string()
    } else {
        shell_words(&a.command)
    };
    let ctx = ops::connect(&ws.model).await?;
    let name = service
        .props
        .get("name")
        .and_then(|v| v.as_str())
        .unwrap_or(&a.service);
    let session = gantry_aws::exec::start(&ctx, &cluster, name, a.container.as_deref(), &command)
        .await
        .map_err(|e| miette::miette!("{e}"))?;
    eprintln!(
        "Opening a session in task {} container {} ...",
        session.task, session.container
    );
    let status = std::process::Command::new(plugin)
        .arg(&session.session_json)
        .arg(&session.region)
        .arg("StartSession")
        .arg("")
        .arg(&session.target_json)
        .arg(&session.endpoint)
        .status()
        .map_err(|e| miette::miette!("could not run {PLUGIN}: {e}"))?;
    Ok(status.code().map_or(gantry_cli::exit::ERROR, |c| c as u8))
}

/// The arguments as one command line, each quoted for a POSIX shell when
/// it needs it (ECS Exec takes the command as one string).
fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn arguments_are_quoted_for_a_shell() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            super::shell_words(&args(&["ls", "-la", "/app"])),
            "ls -la /app"
        );
        assert_eq!(
            super::shell_words(&args(&["python", "-c", "print('hi there')"])),
            r#"python -c 'print('\''hi there'\'')'"#
        );
    }
}
