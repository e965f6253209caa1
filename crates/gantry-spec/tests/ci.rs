//! Diagnostics of `ci.github`: message, hint and `line:col` asserted
//! exactly; an overlay changes the deploy branches and the provider mode.

use gantry_spec::{parse_str, OidcProviderMode};
mod common;
use common::hint;

const BASE: &str = "name: shop
region: eu-west-1
services:
  web:
    containers:
      app: {image: nginx:1.27}
ci:
  github:
    repo: acme/shop
    deploy_branches: [main, release/*]
environments:
  prod:
    ci: {github: {deploy_branches: [main], oidc_provider: existing}}
";

#[track_caller]
fn one(text: &str, line: u32, col: u32, msg: &str, want: &str) {
    let p = common::one(text, line, col, msg);
    assert!(hint(&p).contains(want), "hint {:?} lacks {want:?}", p.hint);
}

#[test]
fn base_is_valid_and_overlays_merge() {
    let spec = parse_str("gantry.yaml", BASE).unwrap();
    let dev = spec.for_env("dev").unwrap();
    let gh = &dev.ci.as_ref().unwrap().github.as_ref().unwrap().value;
    let branches: Vec<&str> = gh
        .deploy_branches
        .iter()
        .flatten()
        .map(|b| b.as_str())
        .collect();
    assert_eq!(branches, ["main", "release/*"]);
    assert!(gh.oidc_provider.is_none());
    let prod = spec.for_env("prod").unwrap();
    let gh = &prod.ci.as_ref().unwrap().github.as_ref().unwrap().value;
    let branches: Vec<&str> = gh
        .deploy_branches
        .iter()
        .flatten()
        .map(|b| b.as_str())
        .collect();
    assert_eq!(branches, ["main"]);
    assert_eq!(gh.repo.as_ref().unwrap().as_str(), "acme/shop");
    assert_eq!(
        gh.oidc_provider.as_ref().unwrap().value,
        OidcProviderMode::Existing
    );
}

#[test]
fn repo_must_be_owner_slash_name() {
    one(
        &BASE.replace("repo: acme/shop", "repo: https://github.com/acme/shop"),
        9,
        11,
        "invalid GitHub repository `https://github.com/acme/shop`",
        "`owner/name`",
    );
    one(
        &BASE.replace("    repo: acme/shop\n", ""),
        9,
        5,
        "`ci.github` needs the repository",
        "repo: OWNER/NAME",
    );
}

#[test]
fn branches_are_required_non_empty_and_git_names() {
    one(
        &BASE.replace("[main, release/*]", "[]"),
        9,
        5,
        "`deploy_branches` is empty",
        "deploy_branches: [main]",
    );
    one(
        &BASE.replace("    deploy_branches: [main, release/*]\n", ""),
        9,
        5,
        "needs the branches it deploys from",
        "deploy_branches: [main]",
    );
    one(
        &BASE.replace("[main, release/*]", "[main, \"bad branch\"]"),
        10,
        29,
        "invalid branch name `bad branch`",
        "without `refs/heads/`",
    );
    one(
        &BASE.replace("[main, release/*]", "[refs/heads/main]"),
        10,
        23,
        "`refs/heads/main` is a ref, not a branch name",
        "write `main`",
    );
    // In an overlay too, at the overlay's line.
    one(
        &BASE.replace("deploy_branches: [main],", "deploy_branches: [\"a..b\"],"),
        13,
        37,
        "invalid branch name `a..b`",
        "`..`",
    );
}

#[test]
fn unknown_keys_and_values_are_named() {
    one(
        &BASE.replace(
            "    repo: acme/shop\n",
            "    repo: acme/shop\n    branches: [main]\n",
        ),
        10,
        5,
        "unknown key `branches`",
        "deploy_branches",
    );
    one(
        &BASE.replace("oidc_provider: existing", "oidc_provider: reuse"),
        13,
        59,
        "unknown value `reuse`",
        "`existing`",
    );
}
