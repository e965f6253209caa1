//! Physical names at the longest names the spec allows: every name AWS
//! limits stays within its limit, unique among its kind, and keeps the end
//! that tells it apart (a role's `-exec` or `-task`, a target group's
//! container), because the console shows nothing else.

use gantry_architect::architect;
use gantry_core::DesiredGraph;
use gantry_model::Model;
use std::collections::BTreeMap;

/// `stem`, padded with `x` to `len` characters, then `end`.
fn long(stem: &str, len: usize, end: &str) -> String {
    format!("{stem}{}{end}", "x".repeat(len - stem.len() - end.len()))
}

/// Every name at the spec's maximum (20 characters for the stack, 16 for the
/// environment and load balancers, 32 for services, containers, jobs and
/// stores), and siblings that differ only in their last character.
fn spec() -> String {
    let stack = long("stack-", 20, "s");
    let lb = long("internal-", 16, "b");
    let [db1, db2] = ["1", "2"].map(|e| long("database-", 32, e));
    let [cache1, cache2] = ["1", "2"].map(|e| long("cache-", 32, e));
    let [bucket1, bucket2] = ["1", "2"].map(|e| long("bucket-", 32, e));
    let [queue1, queue2] = ["1", "2"].map(|e| long("queue-", 32, e));
    let topic = long("topic-", 32, "1");
    let [svc1, svc2] = ["1", "2"].map(|e| long("service-", 32, e));
    let [c1, c2] = ["1", "2"].map(|e| long("container-", 32, e));
    let [job1, job2] = ["1", "2"].map(|e| long("job-", 32, e));
    let sched = long("evening-", 32, "1");
    let env = long("environment-", 16, "e");
    format!(
        "name: {stack}
region: us-east-1
network: {{egress: nat}}
domain: {{zone: example.com, create_zone: true}}
load_balancers:
  main: {{hosts: [example.com]}}
  {lb}: {{public: false}}
api: {{lb: {lb}}}
postgres: {{{db1}: {{}}, {db2}: {{}}}}
redis: {{{cache1}: {{}}, {cache2}: {{}}}}
buckets: {{{bucket1}: {{}}, {bucket2}: {{}}}}
queues: {{{queue1}: {{}}, {queue2}: {{fifo: true}}}}
topics: {{{topic}: {{subscribers: [{queue1}]}}}}
services:
  {svc1}:
    uses: [{db1}, {cache1}, {bucket1}]
    scaling: {{min: 1, max: 3, schedule: [{{name: {sched}, cron: 'cron(0 20 ? * MON-FRI *)', min: 0, max: 0}}]}}
    containers:
      {c1}: {{image: 'nginx:1.27', port: 8080, routes: ['/a/*', {{path: '/x/*', lb: {lb}}}]}}
      {c2}: {{image: 'nginx:1.27', port: 8081, routes: ['/b/*']}}
  {svc2}:
    uses: [{db2}, {cache2}, {bucket2}, {queue2}]
    containers:
      {c1}: {{image: 'nginx:1.27', port: 8080, routes: ['/c/*']}}
jobs:
  {job1}:
    schedule: cron(0 3 * * ? *)
    containers: {{main: {{image: 'nginx:1.27'}}}}
  {job2}:
    on: {{source: [com.example.orders]}}
    containers: {{main: {{image: 'nginx:1.27'}}}}
environments:
  {env}: {{}}
"
    )
}

fn graph() -> DesiredGraph {
    let spec = gantry_spec::parse_str("gantry.yaml", &spec()).unwrap_or_else(|e| panic!("{e:?}"));
    architect(&Model::build(&spec, &long("environment-", 16, "e")).unwrap()).unwrap()
}

/// The names AWS limits, with their limits: (kind, property, longest).
const LIMITED: &[(&str, &str, usize)] = &[
    ("iam_role", "name", 64),
    ("lb", "name", 32),
    ("lb_target_group", "name", 32),
    ("db_instance", "identifier", 63),
    ("elasticache_replication_group", "id", 40),
    ("s3_bucket", "bucket_prefix", 37),
    ("sqs_queue", "name", 80),
    ("events_rule", "name", 64),
    ("scheduler_schedule", "name", 64),
    ("scheduler_schedule_group", "name", 64),
    ("ecs_cluster", "name", 255),
    ("ecs_service", "name", 255),
    ("ecs_task_definition", "family", 255),
    ("security_group", "name", 255),
    ("sns_topic", "name", 256),
    ("db_subnet_group", "name", 255),
    ("elasticache_subnet_group", "name", 255),
    ("log_group", "name", 512),
];

/// Every limited name in the graph: kind → (address, name).
fn names(g: &DesiredGraph) -> BTreeMap<&'static str, Vec<(String, String)>> {
    let mut out: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    for r in g.resources.values() {
        for (kind, field, _) in LIMITED.iter().filter(|(k, ..)| *k == r.kind) {
            let name = r.props[*field].as_str().unwrap().to_string();
            out.entry(kind)
                .or_default()
                .push((r.address.to_string(), name));
        }
    }
    out
}

#[test]
fn names_fit_their_limits_and_stay_unique() {
    let g = graph();
    let names = names(&g);
    for (kind, _, max) in LIMITED {
        let of_kind = names
            .get(kind)
            .unwrap_or_else(|| panic!("the spec makes no {kind}"));
        let mut seen = std::collections::BTreeSet::new();
        for (addr, name) in of_kind {
            assert!(name.len() <= *max, "{addr}: `{name}` is over {max}");
            assert!(
                !name.contains("--") && !name.ends_with('-'),
                "{addr}: `{name}`"
            );
            assert!(seen.insert(name), "{addr}: `{name}` is taken");
        }
    }
}

#[test]
fn shortened_names_keep_their_distinguishing_end() {
    let g = graph();
    let mut shortened = 0;
    for (kind, of_kind) in names(&g) {
        for (addr, name) in of_kind {
            // A cut name has four hex digits of hash between its two ends.
            let parts: Vec<&str> = name.split('-').collect();
            let Some(h) = parts.iter().rposition(|p| {
                p.len() == 4
                    && p.chars().all(|c| c.is_ascii_hexdigit())
                    && p.chars().any(|c| c.is_ascii_digit())
            }) else {
                continue;
            };
            shortened += 1;
            let end = parts[h + 1..].join("-");
            let expected = match kind {
                // A role says what it is for; the execution role says `exec`.
                "iam_role" => addr.replace("-execution", "-exec"),
                // The load balancer is named for the environment alone.
                "lb" if addr == "lb.main" => long("environment-", 16, "e"),
                _ => addr.clone(),
            };
            assert!(
                !end.is_empty() && expected.ends_with(&end),
                "{addr}: `{name}` lost its end"
            );
            if kind == "iam_role" {
                assert_eq!(
                    end.rsplit('-').next(),
                    expected.rsplit('-').next(),
                    "{addr}: `{name}`"
                );
            }
        }
    }
    // Most of these names are cut: the test looks at cut names.
    assert!(shortened >= 15, "only {shortened} names were cut");
}
