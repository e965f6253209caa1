//! `gantry import compose` on a realistic compose file: the spec it writes
//! (snapshot), that it validates in every environment, and the notes.

use gantry_import::{compose, Options};
use std::path::Path;

fn fixture() -> gantry_import::Import {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose/docker-compose.yml");
    compose::import_file(&path, &Options::default()).expect("imports")
}

#[test]
fn compose_spec_snapshot() {
    let out = fixture();
    insta::assert_snapshot!("compose", out.spec);
}

#[test]
fn compose_spec_validates() {
    let out = fixture();
    let spec = gantry_spec::parse_str("gantry.yaml", &out.spec)
        .unwrap_or_else(|e| panic!("{e:?}\n{}", out.spec));
    assert_eq!(spec.environment_names(), vec!["dev"]);
}

fn note<'a>(out: &'a gantry_import::Import, key: &str) -> &'a gantry_import::Note {
    out.notes.iter().find(|n| n.key == key).unwrap_or_else(|| {
        let all: Vec<&str> = out.notes.iter().map(|n| n.key.as_str()).collect();
        panic!("no note {key} among {all:#?}")
    })
}

#[test]
fn settings_without_an_equivalent_are_notes() {
    let out = fixture();
    assert!(out.notes.iter().all(|n| n.file == "docker-compose.yml"));
    assert!(note(&out, "services.api.env_file")
        .message
        .contains("not converted"));
    assert!(note(&out, "services.api.volumes")
        .message
        .contains("bind mount"));
    assert!(note(&out, "services.web.build.args")
        .message
        .contains("NEXT_PUBLIC_API"));
    assert!(note(&out, "services.api.ports")
        .message
        .contains("only the first published service"));
    assert!(note(&out, "services.api.environment.DATABASE_URL")
        .message
        .contains("DB_PASSWORD"));
    assert!(note(&out, "services.api.environment.REDIS_URL")
        .message
        .contains("CACHE_AUTH_TOKEN"));
    assert!(note(&out, "services.api.environment.SENTRY_DSN")
        .message
        .contains("shell"));
    assert!(note(&out, "services.api.healthcheck.interval")
        .message
        .contains("5-300"));
    assert!(note(&out, "services.web.environment.API_URL")
        .message
        .contains("internal load balancer"));
    assert!(note(&out, "services.worker.environment.DB_PASSWORD")
        .message
        .contains("DB_PASSWORD"));
    assert!(note(&out, "services.worker.platform")
        .message
        .contains("X86_64"));
    assert!(note(&out, "services.analytics")
        .message
        .contains("no mongodb store"));
    assert!(note(&out, "secrets.stripe_key")
        .message
        .contains("gantry secret set stripe-key"));
    // Credentials never reach the spec.
    assert!(!out.spec.contains("s3cret-pw"));
}

#[test]
fn what_converts() {
    let out = fixture();
    let spec = gantry_spec::parse_str("gantry.yaml", &out.spec).unwrap();
    assert_eq!(spec.name.value, "shop");
    let db = spec.postgres["db"].as_ref().unwrap();
    assert_eq!(db.version.as_ref().unwrap().value, "16");
    assert_eq!(db.database.as_ref().unwrap().value, "shop");
    assert_eq!(
        spec.redis["cache"]
            .as_ref()
            .unwrap()
            .version
            .as_ref()
            .unwrap()
            .value,
        "7.1"
    );
    assert!(spec.volumes.contains_key("uploads"));
    assert!(
        !spec.volumes.contains_key("pgdata"),
        "database volumes stay with the database"
    );
    let web = &spec.services["web"];
    assert_eq!(
        (
            web.cpu.as_ref().unwrap().value,
            web.memory.as_ref().unwrap().value
        ),
        (512, 1024)
    );
    assert_eq!(web.desired_count.as_ref().unwrap().value, 2);
    let app = &web.containers["app"];
    assert_eq!(app.build.as_ref().unwrap().value, "frontend");
    assert_eq!(app.port.as_ref().unwrap().value, 3000);
    assert_eq!(app.routes[0].path(), "/*");
    assert_eq!(app.health_path.as_ref().unwrap().value, "/healthz");
    let api = &spec.services["api"];
    let uses: Vec<&str> = api.uses.iter().map(|u| u.name()).collect();
    assert_eq!(uses, vec!["db", "cache", "uploads", "stripe-key"]);
    assert!(api.containers["app"].routes.is_empty(), "one public route");
    assert!(api.containers["app"].health_check.is_some());
    let worker = &spec.services["worker"];
    let read: Vec<(&str, gantry_spec::Access)> =
        worker.uses.iter().map(|u| (u.name(), u.access())).collect();
    assert!(read.contains(&("uploads", gantry_spec::Access::Read)));
    assert_eq!(
        worker.containers["app"].image.as_ref().unwrap().value,
        "ghcr.io/acme/shop-api:1.4.2"
    );
    assert!(!spec.services.contains_key("db") && !spec.services.contains_key("analytics"));
}

#[test]
fn the_stack_name_comes_from_the_directory_without_a_name() {
    let text = "services:\n  app:\n    image: nginx\n";
    let out =
        compose::import_str("compose.yaml", text, "My Project!", &Options::default()).unwrap();
    assert!(out.spec.contains("name: my-project\n"), "{}", out.spec);
    assert!(
        out.notes.iter().any(|n| n.key == "services"),
        "nothing routed is a note"
    );
    gantry_spec::parse_str("gantry.yaml", &out.spec).unwrap();
}
