//! Preview environments: `gantry up -e pr-42 --from dev` builds environment
//! `pr-42` from `dev`'s view of the spec, made small and disposable:
//!
//! - its own subdomain: `pr-42.` before `dev`'s (`pr-42.dev.example.com`,
//!   or `pr-42.example.com` when `dev` has none);
//! - small: one AZ (a load balancer still gets the second public subnet it
//!   needs), one NAT gateway at most, one task per service and no
//!   autoscaling, single-AZ `db.t4g.micro` PostgreSQL, Redis without
//!   replicas;
//! - disposable: no deletion protection, no final snapshot, buckets
//!   emptied on destroy, no alerts or dashboard.
//!
//! Its resources are named with its own environment name (`{stack}-pr-42`),
//! so nothing collides with `dev`'s. Pure: the CLI records when it expires.

use crate::{Model, ModelError};
use gantry_spec::{Egress, Sp, Spec};
use miette::Diagnostic;

/// The smallest PostgreSQL class.
pub const PREVIEW_DB_CLASS: &str = "db.t4g.micro";
/// Environment names are at most this long (as in the spec).
pub const MAX_ENV_NAME: usize = 16;

/// Why a preview cannot be built.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum PreviewError {
    #[error("invalid preview name `{0}`")]
    #[diagnostic(
        code(gantry::preview::name),
        help("use 1 to 16 lowercase letters, digits and `-`, starting with a letter (`pr-42`)")
    )]
    Name(String),
    #[error("`{0}` is an environment of the spec, not a preview")]
    #[diagnostic(
        code(gantry::preview::is_env),
        help("name the preview something else (`pr-42`), or drop --from to apply the environment")
    )]
    IsEnvironment(String),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Model(#[from] ModelError),
}

/// A preview's name is an environment name the spec does not have.
pub fn check_preview_name(spec: &Spec, name: &str) -> Result<(), PreviewError> {
    let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name.len() <= MAX_ENV_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        return Err(PreviewError::Name(name.to_string()));
    }
    if spec.environment_names().iter().any(|e| e == name) {
        return Err(PreviewError::IsEnvironment(name.to_string()));
    }
    Ok(())
}

impl Model {
    /// Preview environment `name` built from environment `from`.
    pub fn build_preview(spec: &Spec, name: &str, from: &str) -> Result<Model, PreviewError> {
        check_preview_name(spec, name)?;
        let mut view = spec.for_env(from).ok_or_else(|| ModelError::UnknownEnv {
            env: from.to_string(),
            known: spec.environment_names(),
        })?;
        shrink(&mut view, name);
        Ok(Model::from_view(&view, name)?)
    }
}

fn shrink(v: &mut Spec, name: &str) {
    v.network.azs = Some(Sp::new(1));
    if v.network.egress.as_ref().map(|e| e.value) == Some(Egress::NatPerAz) {
        v.network.egress = Some(Sp::new(Egress::Nat));
    }
    for s in v.services.values_mut() {
        s.desired_count = Some(Sp::new(1));
        s.scaling = None;
    }
    for db in v.postgres.values_mut() {
        let db = db.get_or_insert_with(Default::default);
        db.multi_az = Some(Sp::new(false));
        db.instance_class = Some(Sp::new(PREVIEW_DB_CLASS.to_string()));
        db.deletion_protection = Some(Sp::new(false));
        db.final_snapshot = Some(Sp::new(false));
    }
    for r in v.redis.values_mut() {
        r.get_or_insert_with(Default::default).replicas = Some(Sp::new(0));
    }
    for b in v.buckets.values_mut() {
        b.get_or_insert_with(Default::default).force_destroy = Some(Sp::new(true));
    }
    // Nobody is paged for a pull request.
    v.alerts = None;
    v.dashboard = Some(Sp::new(false));
    if let Some(d) = &mut v.domain {
        let sub = match &d.subdomain {
            Some(s) if !s.value.is_empty() => format!("{name}.{}", s.value),
            _ => name.to_string(),
        };
        d.subdomain = Some(Sp::new(sub));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "name: shop
region: eu-west-1
network: {azs: 2, egress: nat-per-az}
domain: {zone: example.com}
services:
  web:
    desired_count: 3
    scaling: {min: 2, max: 6, cpu: 60}
    containers:
      app: {image: nginx:1.27, port: 8080, routes: [/*]}
load_balancers:
  main: {hosts: [shop.example.com]}
postgres:
  db: {multi_az: true, deletion_protection: true}
alerts: {email: [ops@example.com]}
environments:
  dev: {domain: {subdomain: dev}}
  prod: {}
";

    fn spec() -> Spec {
        gantry_spec::parse_str("gantry.yaml", SPEC).unwrap()
    }

    #[test]
    fn a_preview_is_dev_made_small_on_its_own_subdomain() {
        let m = Model::build_preview(&spec(), "pr-42", "dev").unwrap();
        assert_eq!(m.env, "pr-42");
        assert_eq!(m.prefix(), "shop-pr-42");
        assert_eq!(m.network.azs.len(), 1);
        assert_eq!(m.network.egress, Egress::Nat);
        let web = m.service("web").unwrap();
        assert_eq!(web.desired_count, 1);
        assert!(web.scaling.is_none());
        let db = &m.postgres[0];
        assert!(!db.multi_az && !db.deletion_protection && !db.final_snapshot);
        assert_eq!(db.instance_class, PREVIEW_DB_CLASS);
        assert!(m.alerts.is_none());
        assert_eq!(m.load_balancers[0].hosts, ["shop.pr-42.dev.example.com"]);
        let dev = Model::build(&spec(), "dev").unwrap();
        assert_eq!(dev.load_balancers[0].hosts, ["shop.dev.example.com"]);
        // From prod (no subdomain): directly under the zone.
        let p = Model::build_preview(&spec(), "pr-7", "prod").unwrap();
        assert_eq!(p.load_balancers[0].hosts, ["shop.pr-7.example.com"]);
    }

    #[test]
    fn names_are_checked() {
        for bad in ["PR-1", "pr_1", "1pr", "pr-", "a-very-long-preview-name"] {
            assert!(matches!(
                Model::build_preview(&spec(), bad, "dev"),
                Err(PreviewError::Name(_))
            ));
        }
        assert!(matches!(
            Model::build_preview(&spec(), "prod", "dev"),
            Err(PreviewError::IsEnvironment(_))
        ));
        assert!(matches!(
            Model::build_preview(&spec(), "pr-1", "staging"),
            Err(PreviewError::Model(ModelError::UnknownEnv { .. }))
        ));
    }
}
