//! `ci:`: continuous delivery from GitHub Actions through OIDC, with no
//! long-lived keys. The architect turns it into IAM's OIDC provider for
//! GitHub's token issuer and two roles (plan, deploy); `gantry ci github`
//! writes the workflow that assumes them.

use crate::diag::Problems;
use crate::span::Sp;
use crate::types::Spec;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// CI systems that deploy the stack.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ci {
    /// GitHub Actions through OIDC.
    pub github: Option<Sp<GithubCi>>,
}

/// GitHub Actions: who may assume the plan and deploy roles.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GithubCi {
    /// The repository, `owner/name`. Its pull requests may assume the
    /// plan role, its deploy branches the deploy role.
    pub repo: Option<Sp<String>>,
    /// Branches whose pushes may assume the deploy role (`main`,
    /// `release/*`). At least one.
    pub deploy_branches: Option<Vec<Sp<String>>>,
    /// `create` (default): the stack creates IAM's OIDC provider for
    /// `token.actions.githubusercontent.com` and fails, naming it, when the
    /// account already has one made elsewhere (IAM allows one per issuer).
    /// `existing`: use the account's provider as it is, never changing or
    /// deleting it (for a second stack or environment in the account).
    pub oidc_provider: Option<Sp<OidcProviderMode>>,
}

/// Whether the stack owns GitHub's OIDC provider in its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OidcProviderMode {
    #[default]
    Create,
    Existing,
}

/// Environment overlay of `ci:` (another environment deploys from other
/// branches, or uses the provider a first environment created).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CiOverlay {
    pub github: Option<GithubCiOverlay>,
}

/// The `ci.github` keys an environment may change.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GithubCiOverlay {
    pub deploy_branches: Option<Vec<Sp<String>>>,
    pub oidc_provider: Option<Sp<OidcProviderMode>>,
}

impl Ci {
    /// Applies an environment's overlay.
    pub(crate) fn merge(&mut self, o: &CiOverlay) {
        let (Some(gh), Some(go)) = (&mut self.github, &o.github) else {
            return;
        };
        if go.deploy_branches.is_some() {
            gh.value.deploy_branches = go.deploy_branches.clone();
        }
        if go.oidc_provider.is_some() {
            gh.value.oidc_provider = go.oidc_provider.clone();
        }
    }
}

/// True for `owner/name` as GitHub allows them: an owner of 1 to 39
/// letters, digits and single hyphens (not at either end), a name of 1 to
/// 100 letters, digits, `.`, `_` and `-` other than `.` and `..`.
pub fn is_github_repo(s: &str) -> bool {
    let Some((owner, name)) = s.split_once('/') else {
        return false;
    };
    let owner_ok = (1..=39).contains(&owner.len())
        && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !owner.starts_with('-')
        && !owner.ends_with('-')
        && !owner.contains("--");
    let name_ok = (1..=100).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && name != "."
        && name != "..";
    owner_ok && name_ok
}

/// True for a branch name git accepts (`git check-ref-format --branch`),
/// with `*` allowed as a wildcard (the trust condition then matches with
/// `StringLike`).
pub fn is_branch_pattern(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && !s.starts_with(['-', '/', '.'])
        && !s.ends_with(['/', '.'])
        && !s.ends_with(".lock")
        && !s.contains("..")
        && !s.contains("//")
        && !s.contains("@{")
        && !s.chars().any(|c| {
            c.is_ascii_control()
                || c.is_whitespace()
                || matches!(c, '~' | '^' | ':' | '?' | '[' | '\\')
        })
}

pub(crate) fn check(spec: &Spec, p: &mut Problems) {
    let Some(gh) = spec.ci.as_ref().and_then(|c| c.github.as_ref()) else {
        return;
    };
    match &gh.repo {
        None => p.push(
            gh.pos,
            "`ci.github` needs the repository",
            "add `repo: OWNER/NAME`, the repository whose workflows assume the roles".to_string(),
        ),
        Some(r) if !is_github_repo(r) => p.push(
            r.pos,
            format!("invalid GitHub repository `{}`", r.value),
            "write it as `owner/name`, for example `acme/shop` (the part after github.com/)"
                .to_string(),
        ),
        Some(_) => {}
    }
    match &gh.deploy_branches {
        None => p.push(
            gh.pos,
            "`ci.github` needs the branches it deploys from",
            "add `deploy_branches: [main]`; only pushes to these branches may assume the deploy role"
                .to_string(),
        ),
        Some(list) => check_branches(list, gh.pos, p),
    }
    for (env, o) in &spec.environments {
        let Some(go) = o.ci.as_ref().and_then(|c| c.github.as_ref()) else {
            continue;
        };
        if let Some(list) = &go.deploy_branches {
            check_branches(list, env.pos, p);
        }
    }
}

fn check_branches(list: &[Sp<String>], at: crate::Pos, p: &mut Problems) {
    if list.is_empty() {
        p.push(
            at,
            "`deploy_branches` is empty: no branch could deploy",
            "name at least one branch, for example `deploy_branches: [main]`".to_string(),
        );
    }
    for b in list {
        if !is_branch_pattern(b) {
            p.push(
                b.pos,
                format!("invalid branch name `{}`", b.value),
                "write a branch as git names it (`main`, `release/*`), without `refs/heads/`, spaces, `..`, `~^:?[\\`".to_string(),
            );
        } else if b.starts_with("refs/") {
            p.push(
                b.pos,
                format!("`{}` is a ref, not a branch name", b.value),
                format!(
                    "write `{}`; Gantry adds `refs/heads/`",
                    b.trim_start_matches("refs/heads/")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repos() {
        for ok in ["acme/shop", "a/b", "Acme-Corp/my.repo_2", "x1/.github"] {
            assert!(is_github_repo(ok), "{ok}");
        }
        for bad in [
            "acme",
            "acme/",
            "/shop",
            "-acme/shop",
            "acme-/shop",
            "ac--me/shop",
            "acme/sh op",
            "acme/..",
            "acme/shop/extra",
            "https://github.com/acme/shop",
        ] {
            assert!(!is_github_repo(bad), "{bad}");
        }
    }

    #[test]
    fn branches() {
        for ok in ["main", "release/*", "feature/x-1", "v1.2"] {
            assert!(is_branch_pattern(ok), "{ok}");
        }
        for bad in ["", "a b", "a..b", "-x", "x/", "x.lock", "a:b", "a~1", "/x"] {
            assert!(!is_branch_pattern(bad), "{bad}");
        }
    }
}
