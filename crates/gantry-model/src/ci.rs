//! `ci:` with its defaults: the GitHub repository whose workflows may
//! assume the stack's CI roles, and from which branches.

use gantry_spec::{OidcProviderMode, Spec};
use serde::Serialize;

/// GitHub's OIDC token issuer, as IAM names its provider (without scheme).
pub const GITHUB_OIDC_HOST: &str = "token.actions.githubusercontent.com";
/// The audience `aws-actions/configure-aws-credentials` asks tokens for.
pub const GITHUB_OIDC_AUDIENCE: &str = "sts.amazonaws.com";

/// GitHub Actions through OIDC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GithubCi {
    /// `owner/name`.
    pub repo: String,
    /// Branch names or `*` patterns, in the order written.
    pub deploy_branches: Vec<String>,
    /// Whether this stack creates (and owns) the account's OIDC provider
    /// for GitHub, or uses one that exists.
    pub create_provider: bool,
}

pub(crate) fn github(view: &Spec) -> Option<GithubCi> {
    let gh = &view.ci.as_ref()?.github.as_ref()?.value;
    Some(GithubCi {
        repo: gh.repo.as_ref()?.value.clone(),
        deploy_branches: gh
            .deploy_branches
            .iter()
            .flatten()
            .map(|b| b.value.clone())
            .collect(),
        create_provider: gh
            .oidc_provider
            .as_ref()
            .map(|m| m.value)
            .unwrap_or_default()
            == OidcProviderMode::Create,
    })
}
