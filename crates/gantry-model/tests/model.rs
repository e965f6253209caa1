//! Defaults and environment overlays of the application model.

use gantry_model::{Image, Model, ModelError};
use gantry_spec::{parse_str, Capacity, Egress};

fn example() -> gantry_spec::Spec {
    gantry_spec::load_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/minimal.yaml"
    ))
    .unwrap()
}

const SMALL: &str = "name: tiny
region: eu-west-3
services:
  api:
    containers:
      main:
        build: ./api
        port: 3000
        routes: [/api/*]
        health_check:
          command: [curl, -f, http://localhost:3000/]
      sidecar:
        image: busybox
        memory: 100
";

#[test]
fn defaults_fill_everything() {
    let m = Model::build(&parse_str("g.yaml", SMALL).unwrap(), "dev").unwrap();
    assert_eq!(
        (m.stack.as_str(), m.env.as_str(), m.region.as_str()),
        ("tiny", "dev", "eu-west-3")
    );
    assert_eq!(m.network.cidr.to_string(), "10.0.0.0/16");
    assert_eq!(m.network.egress, Egress::Nat);
    let azs: Vec<_> = m
        .network
        .azs
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.public_cidr.to_string(),
                a.private_cidr.to_string(),
            )
        })
        .collect();
    assert_eq!(
        azs,
        vec![
            (
                "eu-west-3a",
                "10.0.0.0/20".to_string(),
                "10.0.128.0/20".to_string()
            ),
            (
                "eu-west-3b",
                "10.0.16.0/20".to_string(),
                "10.0.144.0/20".to_string()
            ),
        ]
    );
    let s = &m.services[0];
    assert_eq!(
        (s.cpu, s.memory, s.desired_count, s.capacity),
        (256, 512, 1, Capacity::Fargate)
    );
    let main = s.container("main").unwrap();
    assert_eq!(main.image, Image::Build("./api".into()));
    // 512 MiB minus the sidecar's explicit 100 goes to the one unsized container.
    assert_eq!(main.memory, 412);
    assert_eq!(main.cpu, 128);
    assert_eq!(main.health_path, "/");
    assert!(main.essential);
    assert!(!main.readonly_root_filesystem);
    let hc = main.health_check.as_ref().unwrap();
    assert_eq!(
        hc.command,
        vec!["CMD", "curl", "-f", "http://localhost:3000/"]
    );
    assert_eq!(
        (hc.interval, hc.timeout, hc.retries, hc.start_period),
        (30, 5, 3, 0)
    );
    assert!(s.has_builds());
    assert_eq!(s.routed().count(), 1);
    assert!(!m.is_prod());
}

#[test]
fn shell_health_check_uses_cmd_shell() {
    let m = Model::build(&example(), "dev").unwrap();
    let agent = m.services[0].container("agent").unwrap();
    assert_eq!(agent.health_check.as_ref().unwrap().command[0], "CMD-SHELL");
    assert_eq!(agent.health_check.as_ref().unwrap().start_period, 10);
}

#[test]
fn dev_overlay_applies() {
    let m = Model::build(&example(), "dev").unwrap();
    assert_eq!(m.services[0].desired_count, 1);
    assert_eq!(m.network.azs.len(), 2);
    assert_eq!(m.network.egress, Egress::Nat);
}

#[test]
fn prod_overlay_applies() {
    let m = Model::build(&example(), "prod").unwrap();
    assert!(m.is_prod());
    assert_eq!(m.services[0].desired_count, 3);
    assert_eq!(m.network.egress, Egress::NatPerAz);
    let names: Vec<_> = m.network.azs.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["us-east-1a", "us-east-1b", "us-east-1c"]);
    // Adding an AZ must not move the existing subnets.
    let dev = Model::build(&example(), "dev").unwrap();
    assert_eq!(dev.network.azs[..], m.network.azs[..2]);
}

#[test]
fn overlay_merges_container_settings() {
    let text = format!(
        "{SMALL}environments:\n  staging:\n    services:\n      api:\n        cpu: 512\n        memory: 1024\n        containers:\n          main:\n            image: registry.example.com/api:1.2\n            environment:\n              MODE: staging\n"
    );
    let spec = parse_str("g.yaml", &text).unwrap();
    let m = Model::build(&spec, "staging").unwrap();
    let s = &m.services[0];
    assert_eq!((s.cpu, s.memory), (512, 1024));
    let main = s.container("main").unwrap();
    assert_eq!(
        main.image,
        Image::Registry("registry.example.com/api:1.2".into())
    );
    assert_eq!(main.environment["MODE"], "staging");
    assert_eq!(main.memory, 924);
    // `dev` is always available, and is the base spec when it has no overlay.
    let dev = Model::build(&spec, "dev").unwrap();
    assert_eq!(dev.services[0].cpu, 256);
}

#[test]
fn unknown_env_lists_known_ones() {
    let err = Model::build(&example(), "qa").unwrap_err();
    match &err {
        ModelError::UnknownEnv { env, known } => {
            assert_eq!(env, "qa");
            assert_eq!(known, &["dev", "prod"]);
        }
        other => panic!("{other:?}"),
    }
    let help = miette::Diagnostic::help(&err).unwrap().to_string();
    assert!(help.contains("dev, prod"), "{help}");
}

#[test]
fn explicit_subnets_are_used() {
    let text = SMALL.replace(
        "services:\n",
        "network:\n  cidr: 10.20.0.0/16\n  azs: 1\n  egress: endpoints\n  subnets:\n    public: [10.20.0.0/24, 10.20.1.0/24]\n    private: [10.20.10.0/24]\nservices:\n",
    );
    // Without NAT only private ECR is reachable.
    let text = text.replace("image: busybox", "build: ./sidecar");
    let m = Model::build(&parse_str("g.yaml", &text).unwrap(), "dev").unwrap();
    assert_eq!(m.network.egress, Egress::Endpoints);
    assert_eq!(m.network.azs.len(), 1);
    assert_eq!(m.network.azs[0].private_cidr.to_string(), "10.20.10.0/24");
    assert_eq!(
        m.network
            .lb_extra_public
            .as_ref()
            .unwrap()
            .public_cidr
            .to_string(),
        "10.20.1.0/24"
    );
}

#[test]
fn load_reports_spec_errors_as_diagnostics() {
    let err = gantry_model::load("/nonexistent/gantry.yaml", "dev").unwrap_err();
    assert!(err.to_string().contains("/nonexistent/gantry.yaml"));
    let m = gantry_model::load(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/minimal.yaml"),
        "prod",
    )
    .unwrap();
    assert_eq!(m.prefix(), "minimal-prod");
}

#[test]
fn single_az_with_routes_gets_a_second_public_subnet_for_the_alb() {
    let text = SMALL.replace("services:\n", "network:\n  azs: 1\nservices:\n");
    let m = Model::build(&parse_str("g.yaml", &text).unwrap(), "dev").unwrap();
    assert_eq!(m.network.azs.len(), 1);
    let extra = m.network.lb_extra_public.as_ref().unwrap();
    assert_eq!(
        (extra.name.as_str(), extra.public_cidr.to_string()),
        ("eu-west-3b", "10.0.16.0/20".to_string())
    );
    // Without routes there is no load balancer, so no extra subnet.
    let text = text.replace("        routes: [/api/*]\n", "");
    let m = Model::build(&parse_str("g.yaml", &text).unwrap(), "dev").unwrap();
    assert!(m.network.lb_extra_public.is_none());
}
