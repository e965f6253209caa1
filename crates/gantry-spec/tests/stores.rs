//! Diagnostics of the data sections (`postgres`, `redis`, `tables`,
//! `buckets`, `volumes`, `secrets`, `parameters`) and of `uses`/`mounts`,
//! with the exact `line:col` they point at.

use gantry_spec::parse_str;
mod common;
use common::*;

const BASE: &str = "name: shop
region: us-east-1
postgres:
  db: {}
redis:
  cache:
    replicas: 1
tables:
  sessions:
    hash_key: {name: pk, type: S}
buckets:
  pdfs:
volumes:
  uploads: {uid: 1000, gid: 1000}
secrets:
  api_key:
  token: {generate: 32}
parameters:
  mode: fast
services:
  web:
    uses: [db, cache, sessions, {name: pdfs, access: read}, uploads, api_key, mode]
    containers:
      app:
        image: nginx:1.27
        port: 8080
        routes: [\"/*\"]
        mounts: {uploads: /data}
";

#[test]
fn base_is_valid() {
    let spec = parse_str("gantry.yaml", BASE).unwrap();
    assert_eq!(spec.postgres.len(), 1);
    assert_eq!(spec.services["web"].uses.len(), 7);
}

#[test]
fn unknown_store_in_uses() {
    let text = BASE.replace("uses: [db, cache,", "uses: [db, cahce,");
    let p = one(&text, 22, 16, "service `web` uses unknown store `cahce`");
    assert!(
        hint(&p).starts_with("did you mean `cache`?"),
        "{}",
        hint(&p)
    );
}

#[test]
fn mounts_of_an_unused_volume() {
    let text = BASE.replace(", uploads, api_key", ", api_key");
    let p = one(
        &text,
        28,
        18,
        "mounts volume `uploads`, which service `web` does not use",
    );
    assert_eq!(hint(&p), "add `uploads` to the service's `uses`");
}

#[test]
fn mounts_of_an_unknown_volume() {
    let text = BASE.replace("mounts: {uploads: /data}", "mounts: {upload: /data}");
    let p = one(&text, 28, 18, "mounts unknown volume `upload`");
    assert!(hint(&p).contains("did you mean `uploads`?"));
}

#[test]
fn duplicate_store_names_across_kinds() {
    let text = BASE.replace("  mode: fast", "  mode: fast\n  db: x");
    one(
        &text,
        20,
        3,
        "duplicate store name `db`: the PostgreSQL database `db` (line 4)",
    );
    // `-` and `_` inject the same variables, so they collide too.
    let text = BASE.replace(
        "  token: {generate: 32}",
        "  token: {generate: 32}\n  api-key: {}",
    );
    one(&text, 18, 3, "duplicate store name `api-key`");
}

#[test]
fn bad_key_type() {
    let text = BASE.replace("type: S}", "type: string}");
    let p = one(&text, 10, 32, "unknown value `string`");
    assert!(hint(&p).contains("`S`, `N`, `B`"), "{}", hint(&p));
}

#[test]
fn max_storage_below_storage() {
    let text = BASE.replace("  db: {}", "  db:\n    storage: 200\n    max_storage: 100");
    one(
        &text,
        6,
        18,
        "max_storage 100 GiB is below storage 200 GiB in postgres `db`",
    );
}

#[test]
fn out_of_range_values() {
    let text = BASE.replace("  db: {}", "  db: {backup_retention: 40}");
    let p = one(&text, 4, 26, "backup_retention 40 is out of range");
    assert_eq!(hint(&p), "use 1 to 35");
    let text = BASE.replace("replicas: 1", "replicas: 9");
    one(&text, 7, 15, "replicas 9 is out of range");
    let text = BASE.replace("{generate: 32}", "{generate: 4}");
    one(&text, 17, 21, "generated secret length 4 is out of range");
}

#[test]
fn unknown_key_in_a_store() {
    let text = BASE.replace("replicas: 1", "replica: 1");
    let p = one(&text, 7, 5, "unknown key `replica`");
    assert!(hint(&p).contains("did you mean `replicas`?"));
}

#[test]
fn read_access_where_it_does_not_apply() {
    let text = BASE.replace("uses: [db,", "uses: [{name: db, access: read},");
    let p = one(
        &text,
        22,
        12,
        "`access: read` does not apply to the PostgreSQL database `db`",
    );
    assert!(hint(&p).contains("tables, buckets, volumes and queues"));
}

#[test]
fn bad_uses_entry() {
    let text = BASE.replace(
        "{name: pdfs, access: read}",
        "{name: pdfs, access: readonly}",
    );
    let p = one(&text, 22, 33, "invalid `uses` entry");
    assert!(hint(&p).contains("access: read"));
}

#[test]
fn injected_variables_cannot_be_overridden() {
    let text = BASE.replace(
        "        mounts:",
        "        environment: {DB_HOST: localhost}\n        mounts:",
    );
    one(
        &text,
        28,
        23,
        "environment variable `DB_HOST` is set by Gantry from `db`",
    );
}

#[test]
fn overlay_names_unknown_store() {
    let text =
        format!("{BASE}environments:\n  prod:\n    postgres:\n      dbb: {{multi_az: true}}\n");
    let p = one(
        &text,
        32,
        7,
        "environment `prod` names unknown postgres store `dbb`",
    );
    assert!(hint(&p).contains("did you mean `db`?"));
}

#[test]
fn overlay_values_are_checked_where_written() {
    let text = format!("{BASE}environments:\n  prod:\n    redis:\n      cache: {{replicas: 7}}\n");
    one(&text, 32, 25, "replicas 7 is out of range");
}

#[test]
fn bad_names_and_values() {
    let text = BASE
        .replace("  db: {}", "  Db: {}")
        .replace("uses: [db,", "uses: [Db,");
    one(&text, 4, 3, "invalid PostgreSQL database name `Db`");
    let text = BASE.replace("  db: {}", "  db: {username: postgres}");
    one(&text, 4, 18, "invalid username `postgres`");
    let text = BASE.replace(
        "  uploads: {uid: 1000, gid: 1000}",
        "  uploads: {path: data}",
    );
    one(&text, 14, 19, "invalid volume path `data`");
    let text = BASE.replace(
        "  pdfs:\n",
        "  pdfs:\n    cors: [{origins: [\"*\"], methods: [GETT]}]\n",
    );
    let p = one(&text, 13, 39, "invalid CORS method `GETT`");
    assert!(hint(&p).contains("did you mean `GET`?"));
}

#[test]
fn data_subnets_must_be_listed_with_explicit_subnets() {
    let text = BASE.replace(
        "region: us-east-1\n",
        "region: us-east-1\nnetwork:\n  subnets:\n    public: [10.0.0.0/24, 10.0.1.0/24]\n    private: [10.0.2.0/24, 10.0.3.0/24]\n    data: [10.0.4.0/24]\n",
    );
    let p = one(&text, 7, 12, "1 data subnets for 2 availability zones");
    assert!(hint(&p).contains("data subnet"), "{}", hint(&p));
}

#[test]
fn small_vpc_cannot_hold_derived_data_subnets() {
    let text = BASE.replace(
        "region: us-east-1\n",
        "region: us-east-1\nnetwork:\n  cidr: 10.0.0.0/24\n",
    );
    one(
        &text,
        4,
        9,
        "VPC CIDR `10.0.0.0/24` is too small for data subnets",
    );
}

#[test]
fn two_stores_cannot_inject_the_same_variable() {
    let text = BASE
        .replace("  mode: fast", "  mode: fast\n  db_host: x")
        .replace(", mode]", ", mode, db_host]");
    one(
        &text,
        23,
        85,
        "`db_host` and `db` both inject `DB_HOST` into service `web`",
    );
}

#[test]
fn one_az_still_gets_two_data_subnets() {
    let text = BASE.replace(
        "region: us-east-1\n",
        "region: us-east-1\nnetwork:\n  azs: 1\n  subnets:\n    public: [10.0.0.0/24, 10.0.1.0/24]\n    private: [10.0.2.0/24]\n    data: [10.0.4.0/24]\n",
    );
    let p = one(&text, 8, 12, "1 data subnets for 1 availability zones");
    assert!(hint(&p).contains("two data subnets"), "{}", hint(&p));
}

#[test]
fn durable_redis_needs_memorydb_node_types() {
    // `durable: true` is MemoryDB, whose node types are `db.*`.
    let text = BASE.replace(
        "    replicas: 1\n",
        "    replicas: 1\n    durable: true\n    node_type: cache.t4g.micro\n",
    );
    let p = one(&text, 9, 16, "invalid node type `cache.t4g.micro`");
    assert!(hint(&p).contains("`db.t4g.small`"), "{}", hint(&p));
    // And ElastiCache's are `cache.*`: a MemoryDB type names the switch.
    let text = BASE.replace(
        "    replicas: 1\n",
        "    replicas: 1\n    node_type: db.t4g.small\n",
    );
    let p = one(&text, 8, 16, "invalid node type `db.t4g.small`");
    assert!(hint(&p).contains("durable: true"), "{}", hint(&p));
    let ok = BASE.replace(
        "    replicas: 1\n",
        "    replicas: 1\n    durable: true\n    node_type: db.t4g.small\n",
    );
    parse_str("gantry.yaml", &ok).unwrap();
    // An overlay's node type is checked against the base's engine too.
    let text = format!(
        "{ok}environments:\n  prod:\n    redis:\n      cache: {{node_type: cache.t4g.small}}\n"
    );
    one(&text, 34, 26, "invalid node type `cache.t4g.small`");
    // The engine is chosen once: an overlay cannot switch it.
    let text =
        format!("{BASE}environments:\n  prod:\n    redis:\n      cache: {{durable: true}}\n");
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!((p[0].line, p[0].column), (32, 15), "{}", p[0]);
    let text = BASE.replace("    replicas: 1\n", "    replicas: 1\n    durable: maybe\n");
    let p = problems(&text);
    assert_eq!((p[0].line, p[0].column), (8, 14), "{}", p[0]);
}

const MESSAGING: &str = "name: shop
region: us-east-1
queues:
  jobs: {visibility_timeout: 60, dlq: {max_receives: 5}}
  audit: {fifo: true}
topics:
  orders:
    subscribers: [jobs, {email: ops@example.com}]
services:
  web:
    uses: [orders, {name: jobs, access: read}]
    containers:
      app: {image: nginx:1.27}
";

#[test]
fn queues_and_topics_are_valid() {
    let spec = parse_str("gantry.yaml", MESSAGING).unwrap();
    assert_eq!(spec.queues.len(), 2);
    assert_eq!(spec.topics["orders"].as_ref().unwrap().subscribers.len(), 2);
}

#[test]
fn a_topic_names_an_unknown_queue() {
    let text = MESSAGING.replace("subscribers: [jobs,", "subscribers: [jbos,");
    let p = one(
        &text,
        8,
        19,
        "topic `orders` delivers to unknown queue `jbos`",
    );
    assert!(hint(&p).starts_with("did you mean `jobs`?"), "{}", hint(&p));
}

#[test]
fn a_standard_topic_cannot_feed_a_fifo_queue() {
    let text = MESSAGING.replace("subscribers: [jobs,", "subscribers: [audit,");
    let p = one(&text, 8, 19, "cannot deliver to the FIFO queue `audit`");
    assert!(hint(&p).contains("standard queues only"), "{}", hint(&p));
}

#[test]
fn queue_values_are_checked() {
    let text = MESSAGING.replace("visibility_timeout: 60", "visibility_timeout: 50000");
    let p = one(&text, 4, 30, "visibility_timeout 50000 is out of range");
    assert_eq!(hint(&p), "use 0 to 43200");
    let text = MESSAGING.replace("max_receives: 5", "max_receives: 0");
    one(&text, 4, 39, "max_receives 0 is out of range");
    let text = MESSAGING.replace("ops@example.com", "ops-at-example");
    one(&text, 8, 25, "invalid email address `ops-at-example`");
}

#[test]
fn queues_share_the_store_namespace_and_read_means_consume() {
    let text = MESSAGING.replace(
        "  audit: {fifo: true}",
        "  audit: {fifo: true}\n  orders: {}",
    );
    one(
        &text,
        8,
        3,
        "duplicate store name `orders`: the queue `orders` (line 6)",
    );
    let text = MESSAGING.replace("uses: [orders,", "uses: [{name: orders, access: read},");
    let p = one(
        &text,
        11,
        12,
        "`access: read` does not apply to the topic `orders`",
    );
    assert!(hint(&p).contains("tables, buckets, volumes and queues"));
}

const JOBS: &str = "name: shop
region: us-east-1
queues:
  jobs: {}
services:
  web:
    containers:
      app: {image: nginx:1.27}
jobs:
  cleanup:
    schedule: cron(0 3 * * ? *)
    timezone: Europe/Paris
    uses: [jobs]
    containers:
      main: {image: python:3.12}
";

#[test]
fn jobs_are_valid() {
    let spec = parse_str("gantry.yaml", JOBS).unwrap();
    assert_eq!(spec.jobs["cleanup"].uses.len(), 1);
}

#[test]
fn job_problems_point_at_their_keys() {
    let text = JOBS.replace("cron(0 3 * * ? *)", "daily");
    let p = one(&text, 11, 15, "invalid schedule `daily`");
    assert!(hint(&p).contains("rate(1 day)"));
    let text = JOBS.replace("  cleanup:\n", "  web:\n");
    one(&text, 10, 3, "job `web` has the name of a service");
    let text = JOBS.replace("uses: [jobs]", "uses: [jbos]");
    let p = one(&text, 13, 12, "uses unknown store `jbos`");
    assert!(hint(&p).starts_with("did you mean `jobs`?"));
    let text = JOBS.replace(
        "{image: python:3.12}",
        "{image: python:3.12, port: 80, routes: [\"/*\"]}",
    );
    one(
        &text,
        15,
        53,
        "container `main` of job `cleanup` has routes",
    );
    // A job's image may be built (`gantry deploy --build` ships it).
    let text = JOBS.replace("{image: python:3.12}", "{build: ./jobs}");
    gantry_spec::parse_str("gantry.yaml", &text).expect("a built job is valid");
    let text = JOBS.replace("    schedule: cron(0 3 * * ? *)\n", "");
    one(&text, 11, 15, "`timezone` without `schedule`");
}

// ---- services using services (discovery) ----

const PEERS: &str = "name: shop
region: us-east-1
tables:
  sessions:
    hash_key: {name: pk, type: S}
services:
  api:
    uses: [worker, sessions]
    containers:
      app:
        image: nginx:1.27
        port: 8080
        routes: [\"/*\"]
  worker:
    uses: [api]
    containers:
      app:
        image: nginx:1.27
        port: 9000
jobs:
  nightly:
    schedule: rate(1 day)
    uses: [worker]
    containers:
      main:
        image: busybox:1
";

#[test]
fn services_and_jobs_may_use_services_and_each_other() {
    let spec = parse_str("gantry.yaml", PEERS).unwrap();
    assert_eq!(
        spec.store_kind("worker"),
        Some(gantry_spec::StoreKind::Service)
    );
    // A service may use itself (tasks finding their peers).
    let text = PEERS.replace("uses: [api]", "uses: [api, worker]");
    parse_str("gantry.yaml", &text).unwrap();
}

#[test]
fn a_job_cannot_be_used() {
    let text = PEERS.replace("uses: [worker, sessions]", "uses: [nightly, sessions]");
    let p = one(&text, 8, 12, "service `api` uses job `nightly`");
    assert!(hint(&p).contains("gantry run"), "{p}");
}

#[test]
fn a_used_service_needs_a_port() {
    let text = PEERS.replace("        port: 9000\n", "");
    let ps = problems(&text);
    // Both the API and the job use it.
    assert_eq!(ps.len(), 2, "{ps:#?}");
    assert!(ps[0]
        .message
        .contains("uses service `worker`, which has no container `port`"));
    assert_eq!((ps[0].line, ps[0].column), (8, 12));
}

#[test]
fn a_store_keeps_its_name_over_a_service() {
    let text = PEERS.replace("tables:\n  sessions:", "tables:\n  worker:");
    let text = text.replace("uses: [worker, sessions]", "uses: [worker]");
    let spec = parse_str("gantry.yaml", &text).unwrap();
    assert_eq!(
        spec.store_kind("worker"),
        Some(gantry_spec::StoreKind::Table)
    );
}

#[test]
fn service_variables_may_not_be_overridden_nor_collide() {
    let text = PEERS.replace(
        "        port: 8080\n",
        "        port: 8080\n        environment: {WORKER_URL: x}\n",
    );
    one(
        &text,
        13,
        23,
        "environment variable `WORKER_URL` is set by Gantry from `worker`",
    );
    let text = PEERS.replace(
        "tables:\n  sessions:",
        "secrets:\n  worker_host: {generate: 16}\ntables:\n  sessions:",
    );
    let text = text.replace(
        "uses: [worker, sessions]",
        "uses: [worker, worker_host, sessions]",
    );
    let ps = problems(&text);
    assert!(
        ps.iter()
            .any(|p| p.message.contains("both inject `WORKER_HOST`")),
        "{ps:#?}"
    );
}

#[test]
fn unknown_names_suggest_services() {
    let text = PEERS.replace("uses: [worker, sessions]", "uses: [wroker, sessions]");
    let p = one(&text, 8, 12, "uses unknown store `wroker`");
    assert!(hint(&p).contains("worker"), "{p}");
}

// ---- issue 10 items 6-8: tracing, secure parameters, storage options ----

#[test]
fn the_new_options_parse() {
    let text = BASE
        .replace("  pdfs:\n", "  pdfs:\n  assets: {public: true}\n")
        .replace(
            "  uploads: {uid: 1000, gid: 1000}",
            "  uploads: {uid: 1000, gid: 1000, infrequent_access_after: 30}",
        )
        .replace("  mode: fast\n", "  mode: fast\n  key: {secure: true}\n  plain: {value: x}\n")
        .replace("  web:\n", "  web:\n    tracing: xray\n")
        .replace(
            "        mounts: {uploads: /data}\n",
            "        mounts: {uploads: /data}\n        env_files: [{bucket: pdfs, key: app/web.env}]\n",
        );
    let spec = parse_str("gantry.yaml", &text).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(spec.parameters.values().any(|v| v.value.secure()));
    assert!(
        spec.buckets["assets"]
            .as_ref()
            .unwrap()
            .public
            .as_ref()
            .unwrap()
            .value
    );
}

#[test]
fn infrequent_access_after_is_one_of_awss_days() {
    let text = BASE.replace(
        "  uploads: {uid: 1000, gid: 1000}",
        "  uploads: {uid: 1000, gid: 1000, infrequent_access_after: 45}",
    );
    let p = one(&text, 14, 60, "invalid infrequent_access_after 45");
    assert!(
        hint(&p).contains("1, 7, 14, 30, 60, 90, 180, 270, 365"),
        "{p}"
    );
}

#[test]
fn env_files_name_a_bucket_of_the_stack() {
    let text = BASE.replace(
        "        mounts: {uploads: /data}\n",
        "        mounts: {uploads: /data}\n        env_files:\n          - {bucket: pfds, key: app.env}\n",
    );
    let p = one(&text, 30, 22, "unknown bucket `pfds`");
    assert!(hint(&p).contains("pdfs"), "{p}");
}

#[test]
fn env_file_keys_end_in_env_without_wildcards() {
    for key in ["app.txt", "/app.env", "conf/*.env"] {
        let text = BASE.replace(
            "        mounts: {uploads: /data}\n",
            &format!("        mounts: {{uploads: /data}}\n        env_files:\n          - {{bucket: pdfs, key: \"{key}\"}}\n"),
        );
        let p = one(&text, 30, 33, "invalid environment file key");
        assert!(hint(&p).contains(".env"), "{p}");
    }
}

#[test]
fn a_secure_parameters_value_stays_out_of_the_spec() {
    let text = BASE.replace(
        "  mode: fast\n",
        "  mode: fast\n  key: {secure: true, value: hunter2}\n",
    );
    let p = one(&text, 20, 8, "secure parameter's value may not be written");
    assert!(hint(&p).contains("gantry secret set"), "{p}");
    // A mapping without a value is not a plain parameter either.
    let text = BASE.replace("  mode: fast\n", "  mode: fast\n  key: {secure: false}\n");
    one(&text, 20, 8, "parameter without a value");
    let text = BASE.replace("  mode: fast\n", "  mode: fast\n  key: {secret: true}\n");
    let ps = problems(&text);
    assert!(
        ps.iter()
            .any(|p| p.message.contains("expected a value or `{secure: true}`")),
        "{ps:#?}"
    );
}

#[test]
fn tracing_takes_its_share_and_its_name() {
    // 512 MiB: two containers of 240 leave no room for the 64 MiB daemon.
    let text = BASE
        .replace("  web:\n", "  web:\n    tracing: xray\n")
        .replace(
            "        image: nginx:1.27\n",
            "        image: nginx:1.27\n        memory: 480\n",
        );
    let p = one(&text, 21, 3, "container memory exceeds task memory");
    assert!(p.message.contains("544 MiB"), "{p}");
    // Without NAT, ECR Public's daemon cannot be pulled: say so, unless a
    // container of a private ECR image stands for it.
    let endpoints = BASE
        .replace(
            "region: us-east-1\n",
            "region: us-east-1\nnetwork: {egress: endpoints}\n",
        )
        .replace(
            "        image: nginx:1.27\n",
            "        image: 1234567890.dkr.ecr.us-east-1.amazonaws.com/web:1\n",
        )
        .replace("  web:\n", "  web:\n    tracing: xray\n");
    let p = one(
        &endpoints,
        23,
        14,
        "X-Ray daemon's image (ECR Public) cannot be pulled",
    );
    assert!(hint(&p).contains("container named `xray-daemon`"), "{p}");
    let own = endpoints.replace(
        "        mounts: {uploads: /data}\n",
        "        mounts: {uploads: /data}\n      xray-daemon:\n        image: 1234567890.dkr.ecr.us-east-1.amazonaws.com/xray:3.3.14\n        essential: false\n",
    );
    parse_str("gantry.yaml", &own).unwrap_or_else(|e| panic!("{e:?}"));
    let text = BASE
        .replace("  web:\n", "  web:\n    tracing: xray\n")
        .replace("port: 8080", "port: 2000");
    one(&text, 27, 15, "port 2000 is the X-Ray daemon's");
    let text = BASE.replace("  web:\n", "  web:\n    tracing: jaeger\n");
    let ps = problems(&text);
    assert!(
        ps.iter()
            .any(|p| p.message.contains("unknown value `jaeger`")),
        "{ps:#?}"
    );
}
