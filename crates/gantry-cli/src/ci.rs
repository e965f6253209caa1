//! `gantry ci github`: the GitHub Actions workflow that plans pull requests
//! and deploys the deploy branches, assuming the stack's CI roles through
//! GitHub's OIDC tokens (no long-lived keys).
//!
//! The workflow is text made here from the stack's recorded role ARNs (it
//! needs them before it can read any state, so they are written into it,
//! not looked up at run time). Actions are pinned by full commit SHA, with
//! the release as a comment ([`CHECKOUT`], [`CONFIGURE_AWS`]); the plan is
//! posted with the `gh` CLI the runners carry, so no third action is
//! needed. The tests run actionlint on it.
//!
//! `gantry up` needs rights no role scoped to one stack can hold (it
//! creates VPCs, databases and IAM roles), so the deploy role cannot run
//! it: with `--apply-role ARN` (a role the team keeps for infrastructure,
//! trusting the deploy branches) the push job runs `gantry up` under that
//! role first, then `gantry deploy --build` under the deploy role; without
//! it, the push job deploys images only and says so.

use std::fmt::Write as _;

/// `actions/checkout` v6.0.3, by commit.
pub const CHECKOUT: (&str, &str) = (
    "actions/checkout@df4cb1c069e1874edd31b4311f1884172cec0e10",
    "v6.0.3",
);
/// `aws-actions/configure-aws-credentials` v6.2.3, by commit.
pub const CONFIGURE_AWS: (&str, &str) = (
    "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c",
    "v6.2.3",
);

/// Where the workflow is written, from the repository root.
pub const WORKFLOW_PATH: &str = ".github/workflows/gantry.yml";

/// What the workflow is made from.
#[derive(Debug, Clone)]
pub struct Workflow {
    pub stack: String,
    pub env: String,
    pub region: String,
    /// The spec file, relative to the repository root.
    pub spec_file: String,
    pub deploy_branches: Vec<String>,
    pub plan_role_arn: String,
    pub deploy_role_arn: String,
    /// A role allowed to run `gantry up` (and previews), if the team has one.
    pub apply_role_arn: Option<String>,
    /// The shell command that puts `gantry` on the runner's PATH.
    pub install: String,
    /// Preview environments per pull request, from this environment's
    /// overlay (needs `apply_role_arn`).
    pub previews: Option<Previews>,
}

/// Preview environments: `pr-N` from `from`, expiring after `ttl`.
#[derive(Debug, Clone)]
pub struct Previews {
    pub from: String,
    pub ttl: String,
}

fn yaml_str(s: &str) -> String {
    // JSON strings are valid YAML double-quoted scalars.
    serde_json::to_string(s).expect("strings serialize")
}

fn uses(w: &mut String, indent: &str, (action, version): (&str, &str)) {
    let _ = writeln!(w, "{indent}- uses: {action} # {version}");
}

fn credentials(w: &mut String, name: &str, role: &str, region: &str) {
    let _ = writeln!(w, "      - name: {name}");
    let _ = writeln!(w, "        uses: {} # {}", CONFIGURE_AWS.0, CONFIGURE_AWS.1);
    let _ = writeln!(w, "        with:");
    let _ = writeln!(w, "          role-to-assume: {role}");
    let _ = writeln!(w, "          aws-region: {region}");
    let _ = writeln!(
        w,
        "          role-session-name: gantry-${{{{ github.run_id }}}}"
    );
}

fn checkout_and_install(w: &mut String, install: &str) {
    w.push_str("    steps:\n");
    uses(w, "      ", CHECKOUT);
    w.push_str("        with:\n          persist-credentials: false\n");
    let _ = writeln!(
        w,
        "      - name: Install gantry\n        run: {}",
        yaml_str(install)
    );
}

/// The workflow's text.
pub fn github_workflow(f: &Workflow) -> String {
    let mut w = String::new();
    let _ = writeln!(
        w,
        "# Written by `gantry ci github` for stack {} (environment {}).\n# Regenerate with `gantry ci github --force` after changing `ci:`.\n# Actions are pinned by commit SHA; the comment names the release.",
        f.stack, f.env
    );
    w.push_str("name: gantry\n\non:\n  pull_request:\n");
    if f.previews.is_some() {
        w.push_str("    types: [opened, synchronize, reopened, closed]\n");
    }
    w.push_str("  push:\n    branches:\n");
    for b in &f.deploy_branches {
        let _ = writeln!(w, "      - {}", yaml_str(b));
    }
    w.push_str("\npermissions:\n  id-token: write\n  contents: read\n  pull-requests: write\n\n");
    // One run at a time per environment: the state's lock would refuse a
    // second anyway, and queueing beats failing.
    let _ = writeln!(
        w,
        "env:\n  GANTRY_FILE: {}\n  GANTRY_ENV: {}\n  NO_COLOR: \"1\"\n",
        yaml_str(&f.spec_file),
        yaml_str(&f.env)
    );
    w.push_str("jobs:\n");

    // Plan on pull requests, posted as a comment (updated on each push).
    w.push_str("  plan:\n    if: github.event_name == 'pull_request' && github.event.action != 'closed'\n    runs-on: ubuntu-latest\n");
    let _ = writeln!(w, "    concurrency:\n      group: gantry-plan-${{{{ github.event.pull_request.number }}}}\n      cancel-in-progress: true");
    checkout_and_install(&mut w, &f.install);
    credentials(
        &mut w,
        "AWS credentials (plan role)",
        &f.plan_role_arn,
        &f.region,
    );
    w.push_str(
        "      - name: gantry plan
        id: plan
        run: |
          set -o pipefail
          gantry plan --detailed-exitcode 2>&1 | tee plan.txt || test \"$?\" -eq 2
      - name: Post the plan on the pull request
        if: always() && steps.plan.outcome != 'skipped'
        env:
          GH_TOKEN: ${{ github.token }}
          GH_REPO: ${{ github.repository }}
          PR: ${{ github.event.pull_request.number }}
          OUTCOME: ${{ steps.plan.outcome }}
        run: |
          {
            echo \"### gantry plan: \\`$GANTRY_ENV\\` ($OUTCOME)\"
            echo
            echo '```'
            tail -c 60000 plan.txt
            echo '```'
          } > comment.md
          gh pr comment \"$PR\" --edit-last --body-file comment.md || gh pr comment \"$PR\" --body-file comment.md
",
    );

    // Deploy on pushes to the deploy branches.
    w.push_str("\n  deploy:\n    if: github.event_name == 'push'\n    runs-on: ubuntu-latest\n");
    let _ = writeln!(
        w,
        "    concurrency:\n      group: gantry-{}\n      cancel-in-progress: false",
        f.env
    );
    checkout_and_install(&mut w, &f.install);
    match &f.apply_role_arn {
        Some(apply) => {
            credentials(&mut w, "AWS credentials (apply role)", apply, &f.region);
            w.push_str("      - name: gantry up\n        run: gantry up --yes\n");
        }
        None => w.push_str(
            "      # No `gantry up` here: it creates and changes infrastructure, which the\n      # stack's deploy role may not. Regenerate with `--apply-role ARN` to run it.\n",
        ),
    }
    credentials(
        &mut w,
        "AWS credentials (deploy role)",
        &f.deploy_role_arn,
        &f.region,
    );
    w.push_str("      - name: gantry deploy\n        run: gantry deploy --build\n");

    if let (Some(p), Some(apply)) = (&f.previews, &f.apply_role_arn) {
        let _ = writeln!(
            w,
            "\n  preview:\n    if: github.event_name == 'pull_request' && github.event.action != 'closed'\n    runs-on: ubuntu-latest\n    concurrency:\n      group: gantry-pr-${{{{ github.event.pull_request.number }}}}\n      cancel-in-progress: false"
        );
        checkout_and_install(&mut w, &f.install);
        credentials(&mut w, "AWS credentials (apply role)", apply, &f.region);
        let _ = writeln!(
            w,
            "      - name: gantry up (preview)\n        env:\n          PREVIEW: pr-${{{{ github.event.pull_request.number }}}}\n        run: gantry -e \"$PREVIEW\" up --from {} --ttl {} --yes",
            p.from, p.ttl
        );
        let _ = writeln!(
            w,
            "\n  preview-destroy:\n    if: github.event_name == 'pull_request' && github.event.action == 'closed'\n    runs-on: ubuntu-latest\n    concurrency:\n      group: gantry-pr-${{{{ github.event.pull_request.number }}}}\n      cancel-in-progress: false"
        );
        checkout_and_install(&mut w, &f.install);
        credentials(&mut w, "AWS credentials (apply role)", apply, &f.region);
        let _ = writeln!(
            w,
            "      - name: gantry destroy (preview)\n        env:\n          PREVIEW: pr-${{{{ github.event.pull_request.number }}}}\n        run: gantry -e \"$PREVIEW\" destroy --yes"
        );
    }
    w
}

/// Why `gantry ci github` cannot write the workflow.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CiError {
    #[error("the spec has no `ci.github`")]
    #[diagnostic(
        code(gantry::ci::no_github),
        help("add `ci: {{github: {{repo: OWNER/NAME, deploy_branches: [main]}}}}` and run `gantry up`; see docs/spec.md")
    )]
    NoGithub,
    #[error("{label} keeps its state on this machine: a workflow could not read it")]
    #[diagnostic(
        code(gantry::ci::local_state),
        help("keep the state in S3 (`state: {{backend: s3, bucket: ...}}`, then `gantry init` and `gantry state migrate --to s3://...`)")
    )]
    LocalState { label: String },
    #[error("{label} records no {address} yet")]
    #[diagnostic(
        code(gantry::ci::not_up),
        help("run `gantry up` first: it creates the OIDC provider and the CI roles whose ARNs the workflow names")
    )]
    NotUp { label: String, address: String },
    #[error("{path} exists")]
    #[diagnostic(
        code(gantry::ci::exists),
        help("pass --force to overwrite it (or -o to write elsewhere)")
    )]
    Exists { path: String },
    #[error("previews need --apply-role: creating an environment takes more than the deploy role may do")]
    #[diagnostic(code(gantry::ci::previews_need_apply_role))]
    PreviewsNeedApplyRole,
    #[error("cannot write {path}: {source}")]
    #[diagnostic(code(gantry::ci::io))]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Writes `text` at `path`, refusing to replace a file unless `force`.
pub fn write_workflow(path: &std::path::Path, text: &str, force: bool) -> Result<(), CiError> {
    let shown = path.display().to_string();
    if path.exists() && !force {
        return Err(CiError::Exists { path: shown });
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| CiError::Io {
            path: dir.display().to_string(),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| CiError::Io {
        path: shown,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(apply: bool, previews: bool) -> Workflow {
        Workflow {
            stack: "shop".into(),
            env: "dev".into(),
            region: "eu-west-1".into(),
            spec_file: "gantry.yaml".into(),
            deploy_branches: vec!["main".into(), "release/*".into()],
            plan_role_arn: "arn:aws:iam::123456789012:role/shop-dev-ci-plan".into(),
            deploy_role_arn: "arn:aws:iam::123456789012:role/shop-dev-ci-deploy".into(),
            apply_role_arn: apply.then(|| "arn:aws:iam::123456789012:role/infra-admin".into()),
            install: "cargo install --locked gantry-cli".into(),
            previews: previews.then(|| Previews {
                from: "dev".into(),
                ttl: "7d".into(),
            }),
        }
    }

    #[test]
    fn workflow_snapshot() {
        insta::assert_snapshot!(
            "workflow_deploy_only",
            github_workflow(&sample(false, false))
        );
        insta::assert_snapshot!(
            "workflow_apply_and_previews",
            github_workflow(&sample(true, true))
        );
    }

    #[test]
    fn actions_are_pinned_by_full_sha() {
        let text = github_workflow(&sample(true, true));
        for line in text.lines().filter(|l| l.contains("uses:")) {
            let r = line.split('@').nth(1).unwrap();
            let sha = r.split_whitespace().next().unwrap();
            assert_eq!(sha.len(), 40, "{line}");
            assert!(sha.chars().all(|c| c.is_ascii_hexdigit()), "{line}");
            assert!(line.contains(" # v"), "{line}");
        }
        for p in ["id-token: write", "contents: read", "pull-requests: write"] {
            assert!(text.contains(p), "{p}");
        }
    }

    /// actionlint (`scripts/actionlint.sh install`, run by scripts/test.sh)
    /// finds nothing in any variant of the workflow.
    #[test]
    fn workflows_pass_actionlint() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let venv = std::env::var_os("GANTRY_VENV")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| root.join(".venv"));
        assert!(
            venv.join("bin/actionlint").exists(),
            "scripts/actionlint.sh install (run by scripts/test.sh) provides actionlint"
        );
        for (apply, previews) in [(false, false), (true, false), (true, true)] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(WORKFLOW_PATH);
            write_workflow(&path, &github_workflow(&sample(apply, previews)), false).unwrap();
            let out = std::process::Command::new(root.join("scripts/actionlint.sh"))
                .args(["run", "-no-color"])
                .arg(&path)
                .output()
                .expect("run actionlint");
            assert!(
                out.status.success(),
                "actionlint ({apply}, {previews}): {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    #[test]
    fn refuses_to_overwrite_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(WORKFLOW_PATH);
        write_workflow(&path, "a", false).unwrap();
        assert!(matches!(
            write_workflow(&path, "b", false),
            Err(CiError::Exists { .. })
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a");
        write_workflow(&path, "b", true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b");
    }
}
