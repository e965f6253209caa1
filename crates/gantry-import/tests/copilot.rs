//! `gantry import copilot` on a Copilot workspace with every workload type,
//! two environments and addons.

use gantry_import::{copilot, Options};
use std::path::Path;

fn fixture() -> gantry_import::Import {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/copilot");
    copilot::import_dir(&dir, &Options::default()).expect("imports")
}

#[test]
fn copilot_spec_snapshot() {
    let out = fixture();
    insta::assert_snapshot!("copilot", out.spec);
}

#[test]
fn copilot_spec_validates_in_every_environment() {
    let out = fixture();
    let spec = gantry_spec::parse_str("gantry.yaml", &out.spec)
        .unwrap_or_else(|e| panic!("{e:?}\n{}", out.spec));
    assert_eq!(spec.environment_names(), vec!["dev", "prod", "test"]);
}

/// The note at `key` in a file whose path ends with `file`, if any.
fn note<'a>(out: &'a gantry_import::Import, file: &str, key: &str) -> &'a gantry_import::Note {
    out.notes
        .iter()
        .find(|n| n.file.ends_with(file) && n.key == key)
        .unwrap_or_else(|| {
            let all: Vec<String> = out
                .notes
                .iter()
                .map(|n| format!("{} {}", n.file, n.key))
                .collect();
            panic!("no note {file} {key} among {all:#?}")
        })
}

#[test]
fn settings_without_an_equivalent_are_notes() {
    let out = fixture();
    let fe = "copilot/frontend/manifest.yml";
    assert!(note(&out, fe, "count.range")
        .message
        .contains("no autoscaling yet"));
    assert!(note(&out, fe, "http.stickiness")
        .message
        .contains("not sticky"));
    assert!(note(&out, fe, "platform").message.contains("X86_64"));
    assert!(note(&out, fe, "logging").message.contains("FireLens"));
    assert!(note(&out, fe, "network")
        .message
        .contains("private subnets"));
    assert!(note(&out, fe, "storage.volumes.scratch")
        .message
        .contains("task-local"));
    assert!(note(&out, fe, "environments.prod.count.range.spot_from")
        .message
        .contains("fargate-spot"));
    assert!(note(&out, fe, "secrets.SESSION_SECRET")
        .message
        .contains("gantry -e ENV secret set session-secret"));
    assert!(note(&out, fe, "secrets.STRIPE_KEY")
        .message
        .contains("whole secret"));
    let api = "copilot/api/manifest.yml";
    assert!(note(&out, api, "entrypoint").message.contains("ENTRYPOINT"));
    assert!(note(&out, api, "environments.prod.deployment")
        .message
        .contains("not converted"));
    assert!(note(&out, api, "addons").message.contains("CATALOG_NAME"));
    assert!(
        note(&out, "copilot/orders-worker/manifest.yml", "subscribe")
            .message
            .contains("no queues yet")
    );
    assert!(note(&out, "copilot/report/manifest.yml", "")
        .message
        .contains("Scheduled Job `report`"));
    let prod = "copilot/environments/prod/manifest.yml";
    assert!(note(&out, prod, "network.vpc.id")
        .message
        .contains("builds its own VPC"));
    assert!(note(&out, prod, "http.public.certificates")
        .message
        .contains("its own ACM certificate"));
    assert!(note(&out, prod, "cdn").message.contains("CloudFront"));
    let addons = "copilot/environments/addons/sessions.yml";
    assert!(note(&out, addons, "Resources.eventsQueue")
        .message
        .contains("AWS::SQS::Queue"));
    assert!(note(&out, addons, "sessions").message.contains("`uses`"));
    let catalog = "copilot/api/addons/catalog.yml";
    assert!(note(
        &out,
        catalog,
        "Resources.catalog.Properties.GlobalSecondaryIndexes"
    )
    .message
    .contains("by-author"));
    assert!(note(
        &out,
        "copilot/api/addons/ordersdb.yml",
        "Resources.ordersdbDBCluster"
    )
    .message
    .contains("Aurora"));
    // Every note is a `# import:` comment in the file.
    for n in &out.notes {
        let first_words: String = n
            .message
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        let flat = out.spec.replace("\n", " ").replace("#", "");
        let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&first_words), "{n} is not in the spec");
    }
}

#[test]
fn what_converts() {
    let out = fixture();
    let spec = gantry_spec::parse_str("gantry.yaml", &out.spec).unwrap();
    assert_eq!(spec.name.value, "bookstore");
    let fe = &spec.services["frontend"];
    let names: Vec<&str> = fe.containers.keys().map(|k| k.as_str()).collect();
    assert_eq!(
        names,
        vec!["frontend", "nginx"],
        "main container and sidecar"
    );
    assert_eq!(fe.exec.as_ref().map(|e| e.value), Some(true));
    let uses: Vec<&str> = fe.uses.iter().map(|u| u.name()).collect();
    assert_eq!(uses, vec!["session-secret", "stripe-key", "covers"]);
    assert!(fe.containers["nginx"]
        .routes
        .iter()
        .any(|r| r.path() == "/*"));
    assert_eq!(
        fe.containers["frontend"].mounts["covers"].value,
        "/var/www/covers"
    );
    let api = &spec.services["api"];
    let uses: Vec<&str> = api.uses.iter().map(|u| u.name()).collect();
    assert_eq!(uses, vec!["catalog", "ordersdb", "github-token"]);
    assert!(api.containers["api"]
        .routes
        .iter()
        .all(|r| r.lb() == Some("internal")));
    assert_eq!(spec.tables["catalog"].hash_key.name.value, "isbn");
    assert_eq!(
        spec.postgres["ordersdb"]
            .as_ref()
            .unwrap()
            .database
            .as_ref()
            .unwrap()
            .value,
        "orders"
    );
    assert!(spec.redis.contains_key("sessions"));
    assert!(spec.buckets.contains_key("uploads"));
    assert!(!spec.services.contains_key("report"), "jobs are comments");
    let prod = spec.for_env("prod").unwrap();
    // An overlay replaces the hosts: prod keeps admin's, which it does not override.
    let hosts: Vec<&str> = prod.load_balancers["main"]
        .hosts
        .iter()
        .map(|h| h.as_str())
        .collect();
    assert_eq!(
        hosts,
        vec![
            "admin.example.com",
            "bookstore.example.com",
            "www.bookstore.example.com"
        ]
    );
    assert_eq!(
        prod.services["frontend"]
            .desired_count
            .as_ref()
            .unwrap()
            .value,
        3
    );
    assert_eq!(
        prod.services["frontend"].containers["frontend"].environment["STAGE"].value,
        "prod"
    );
    let test = spec.for_env("test").unwrap();
    assert_eq!(
        test.services["frontend"].containers["frontend"].environment["LOG_LEVEL"].value,
        "debug"
    );
    assert_eq!(spec.network.cidr.as_ref().unwrap().value, "10.1.0.0/16");
}
