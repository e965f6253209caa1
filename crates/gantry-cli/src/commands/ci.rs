//! `gantry ci github`: writes the GitHub Actions workflow from the stack's
//! recorded CI roles (read without the lock: it only looks).

use gantry_cli::ci::{github_workflow, write_workflow, CiError, Previews, Workflow};
use gantry_cli::cli::{CiGithubArgs, Global};
use gantry_cli::exit;
use gantry_cli::ops::{OpsError, Workspace};
use gantry_model::StateLocation;
use std::path::Path;

pub fn github(g: &Global, a: &CiGithubArgs) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    let gh = ws.model.github.clone().ok_or(CiError::NoGithub)?;
    if ws.location == StateLocation::Local {
        return Err(CiError::LocalState { label: ws.label() }.into());
    }
    let state = ws.read_state().map_err(OpsError::from)?;
    let arn = |name: &str| -> Result<String, CiError> {
        let address = format!("iam_role.{name}");
        state
            .resources
            .iter()
            .find(|(addr, _)| addr.as_str() == address)
            .and_then(|(_, r)| r.outputs.get("arn"))
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or(CiError::NotUp {
                label: ws.label(),
                address,
            })
    };
    let workflow = Workflow {
        stack: ws.model.stack.clone(),
        env: ws.model.env.clone(),
        region: ws.model.region.clone(),
        spec_file: spec_in_repo(&ws.spec_path, &a.output),
        deploy_branches: gh.deploy_branches.clone(),
        plan_role_arn: arn(gantry_architect::ci::PLAN_ROLE)?,
        deploy_role_arn: arn(gantry_architect::ci::DEPLOY_ROLE)?,
        apply_role_arn: a.apply_role.clone(),
        install: a.install.clone(),
        previews: a.previews.then(|| Previews {
            from: ws.model.env.clone(),
            ttl: a.preview_ttl.clone(),
        }),
    };
    if workflow.previews.is_some() && workflow.apply_role_arn.is_none() {
        return Err(CiError::PreviewsNeedApplyRole.into());
    }
    write_workflow(&a.output, &github_workflow(&workflow), a.force)?;
    eprintln!(
        "wrote {} (plan role {}, deploy role {})",
        a.output.display(),
        workflow.plan_role_arn,
        workflow.deploy_role_arn
    );
    Ok(exit::OK)
}

/// The spec's path as the workflow's steps see it: relative to the
/// repository the workflow is written into (the directory holding
/// `.github/`), else its file name.
fn spec_in_repo(spec: &Path, workflow: &Path) -> String {
    let abs = |p: &Path| std::fs::canonicalize(p).ok();
    let root = workflow
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(|r| {
            if r.as_os_str().is_empty() {
                Path::new(".")
            } else {
                r
            }
        });
    let relative = root
        .and_then(abs)
        .zip(abs(spec))
        .and_then(|(r, s)| s.strip_prefix(&r).ok().map(Path::to_path_buf));
    relative
        .or_else(|| spec.file_name().map(std::path::PathBuf::from))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "gantry.yaml".to_string())
}
