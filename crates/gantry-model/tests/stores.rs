//! Defaults and environment overlays of data stores, secrets and `uses`.

use gantry_model::{Access, Model, StoreKind};

const SPEC: &str = "name: shop
region: us-east-1
postgres:
  main-db: {}
redis:
  cache:
tables:
  sessions:
    hash_key: {name: pk, type: S}
buckets:
  pdfs:
volumes:
  uploads:
secrets:
  manual:
  generated: {generate: 40, no_punctuation: true}
parameters:
  mode: fast
services:
  web:
    uses: [main-db, {name: pdfs, access: read}, uploads]
    containers:
      app:
        image: nginx
        mounts: {uploads: /data}
environments:
  staging:
    postgres:
      main-db: {instance_class: db.t4g.small}
  prod:
    postgres:
      main-db: {multi_az: true}
    redis:
      cache: {replicas: 2, node_type: cache.t4g.small}
";

fn model(env: &str) -> Model {
    let spec = gantry_spec::parse_str("gantry.yaml", SPEC).unwrap();
    Model::build(&spec, env).unwrap()
}

#[test]
fn store_defaults() {
    let m = model("dev");
    let db = &m.postgres[0];
    assert_eq!(
        (
            db.version.as_str(),
            db.instance_class.as_str(),
            db.storage,
            db.max_storage
        ),
        ("16", "db.t4g.micro", 20, 100)
    );
    assert!(!db.multi_az && !db.deletion_protection && db.final_snapshot);
    assert_eq!(db.backup_retention, 7);
    assert_eq!(db.database, "main_db");
    assert_eq!(db.username, "app");
    let r = &m.redis[0];
    assert_eq!(
        (
            r.version.as_str(),
            r.node_type.as_str(),
            r.replicas,
            r.snapshot_retention
        ),
        ("7.1", "cache.t4g.micro", 0, 1)
    );
    assert!(m.tables[0].point_in_time_recovery);
    assert_eq!(m.tables[0].hash_key.key_type, "S");
    assert!(m.buckets[0].versioning && !m.buckets[0].force_destroy);
    let v = &m.volumes[0];
    assert_eq!(
        (v.uid, v.gid, v.path.as_str(), v.permissions.as_str()),
        (1000, 1000, "/uploads", "0750")
    );
    assert_eq!(m.secrets[0].name, "generated");
    assert_eq!(m.secrets[0].generate, Some(40));
    assert!(m.secrets[0].no_punctuation);
    assert_eq!(m.secrets[1].generate, None);
    assert_eq!(m.parameters[0].value, "fast");
    assert!(m.needs_key());
}

#[test]
fn uses_and_mounts() {
    let m = model("dev");
    let web = &m.services[0];
    let uses: Vec<(&str, StoreKind, Access)> = web
        .uses
        .iter()
        .map(|u| (u.name.as_str(), u.kind, u.access))
        .collect();
    assert_eq!(
        uses,
        [
            ("main-db", StoreKind::Postgres, Access::ReadWrite),
            ("pdfs", StoreKind::Bucket, Access::Read),
            ("uploads", StoreKind::Volume, Access::ReadWrite),
        ]
    );
    assert_eq!(web.containers[0].mounts[0].path, "/data");
    assert_eq!(m.users_of("pdfs").count(), 1);
    assert_eq!(m.users_of("cache").count(), 0);
}

#[test]
fn overlays_and_prod_defaults() {
    let prod = model("prod");
    assert!(prod.postgres[0].multi_az);
    assert!(
        prod.postgres[0].deletion_protection,
        "on by default in prod"
    );
    assert_eq!(prod.postgres[0].instance_class, "db.t4g.micro");
    assert_eq!(prod.redis[0].replicas, 2);
    assert_eq!(prod.redis[0].node_type, "cache.t4g.small");
    let staging = model("staging");
    assert_eq!(staging.postgres[0].instance_class, "db.t4g.small");
    assert!(!staging.postgres[0].deletion_protection);
    assert_eq!(staging.redis[0].replicas, 0);
}

#[test]
fn data_subnets_are_derived_from_the_reserved_blocks() {
    let m = model("dev");
    let cidrs: Vec<String> = m.network.data.iter().map(|d| d.cidr.to_string()).collect();
    assert_eq!(cidrs, ["10.0.224.0/22", "10.0.228.0/22"]);
    assert_eq!(m.network.data[1].az, "us-east-1b");
    // They never overlap the public and private tiers, even with six AZs.
    let six = gantry_model::derive_data_subnets("10.0.0.0/16".parse().unwrap(), 6).unwrap();
    let (public, private) =
        gantry_model::derive_subnets("10.0.0.0/16".parse().unwrap(), 6).unwrap();
    for d in &six {
        for o in public.iter().chain(&private) {
            assert!(!o.contains(d) && !d.contains(o), "{d} overlaps {o}");
        }
    }
    // Without postgres or redis there are none.
    let plain = gantry_spec::parse_str(
        "gantry.yaml",
        "name: a\nregion: us-east-1\nservices:\n  w:\n    containers:\n      c: {image: nginx}\n",
    )
    .unwrap();
    let m = Model::build(&plain, "dev").unwrap();
    assert!(m.network.data.is_empty());
    assert!(!m.needs_key());
}

#[test]
fn durable_redis_defaults_to_memorydb_sizes() {
    let text = "name: shop
region: us-east-1
redis:
  cache: {durable: true}
services:
  web:
    uses: [cache]
    containers:
      app: {image: nginx}
environments:
  prod: {}
  dev:
    redis:
      cache: {replicas: 0, node_type: db.t4g.medium}
";
    let spec = gantry_spec::parse_str("gantry.yaml", text).unwrap();
    let prod = Model::build(&spec, "prod").unwrap();
    let r = &prod.redis[0];
    assert!(r.durable);
    // MemoryDB's smallest node, and one replica (AWS's own default).
    assert_eq!((r.node_type.as_str(), r.replicas), ("db.t4g.small", 1));
    let dev = Model::build(&spec, "dev").unwrap();
    let r = &dev.redis[0];
    assert!(r.durable, "the overlay keeps the engine");
    assert_eq!((r.node_type.as_str(), r.replicas), ("db.t4g.medium", 0));
    // Not durable: ElastiCache's defaults, unchanged.
    assert!(!model("dev").redis[0].durable);
}
