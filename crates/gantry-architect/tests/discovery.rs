//! Service discovery (seed 004, `examples/saas-platform.yaml`, where the
//! `orders` API uses the `worker`): the Cloud Map namespace and services,
//! the ECS services' registries, the client security groups and the rules
//! admitting them on exactly the used ports, the injected variables, and
//! an acyclic graph when services use each other.

use gantry_architect::architect;
use gantry_core::{reference, Address, DesiredGraph};
use gantry_model::Model;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const SAAS: &str = include_str!("../../../examples/saas-platform.yaml");

fn graph(text: &str, env: &str) -> DesiredGraph {
    let spec = gantry_spec::parse_str("gantry.yaml", text).unwrap();
    architect(&Model::build(&spec, env).unwrap()).unwrap()
}

fn props(g: &DesiredGraph, addr: &str) -> Value {
    let r = g
        .get(&Address::new(addr))
        .unwrap_or_else(|| panic!("no {addr}"));
    Value::Object(r.props.clone())
}

fn r(addr: &str, attr: &str) -> String {
    reference(&Address::new(addr), attr)
}

fn env_of(g: &DesiredGraph, task: &str) -> Value {
    props(g, &format!("ecs_task_definition.{task}"))["containers"][0]["environment"].clone()
}

fn discovery_kinds(g: &DesiredGraph) -> BTreeMap<String, Value> {
    let mut out: BTreeMap<String, Value> = g
        .resources
        .values()
        .filter(|x| x.kind.starts_with("servicediscovery_"))
        .map(|x| (x.address.to_string(), Value::Object(x.props.clone())))
        .collect();
    for a in [
        "security_group.client-orders",
        "security_group.svc-worker",
        "ecs_service.worker",
        "ecs_service.orders",
    ] {
        out.insert(a.to_string(), props(g, a));
    }
    out
}

#[test]
fn snapshot_saas_platform_discovery_dev() {
    insta::assert_json_snapshot!(
        "saas_platform_discovery_dev",
        discovery_kinds(&graph(SAAS, "dev"))
    );
}

#[test]
fn the_api_finds_the_worker_by_name() {
    let g = graph(SAAS, "dev");
    let env = env_of(&g, "orders");
    assert_eq!(env["WORKER_HOST"], "worker.saas-dev.internal");
    assert_eq!(env["WORKER_PORT"], "8080");
    assert_eq!(env["WORKER_URL"], "http://worker.saas-dev.internal:8080");
    // Services that do not use it get nothing.
    assert!(env_of(&g, "users").get("WORKER_HOST").is_none());
    let ns = props(&g, "servicediscovery_private_dns_namespace.main");
    assert_eq!(ns["name"], "saas-dev.internal");
    assert_eq!(ns["vpc_id"], r("vpc.main", "id"));
    let sd = props(&g, "servicediscovery_service.worker");
    assert_eq!(
        sd["namespace_id"],
        r("servicediscovery_private_dns_namespace.main", "id")
    );
    assert_eq!(sd["routing_policy"], "MULTIVALUE");
    // Only the used service is registered.
    assert_eq!(
        props(&g, "ecs_service.worker")["service_registries"],
        json!([r("servicediscovery_service.worker", "arn")])
    );
    assert!(props(&g, "ecs_service.orders")
        .get("service_registries")
        .is_none());
    assert!(g
        .get(&Address::new("servicediscovery_service.orders"))
        .is_none());
}

#[test]
fn the_worker_admits_its_users_client_group_on_its_port_only() {
    let g = graph(SAAS, "dev");
    let client = r("security_group.client-orders", "id");
    assert_eq!(
        props(&g, "ecs_service.orders")["security_group_ids"],
        json!([r("security_group.svc-orders", "id"), client])
    );
    let worker = props(&g, "security_group.svc-worker");
    let from_client: Vec<&Value> = worker["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|rule| rule["source_security_group_id"] == json!(client))
        .collect();
    assert_eq!(from_client.len(), 1, "{worker:#}");
    assert_eq!(
        (
            from_client[0]["from_port"].clone(),
            from_client[0]["to_port"].clone()
        ),
        (json!(8080), json!(8080))
    );
    // The worker's group admits nothing else: it has no route.
    assert_eq!(worker["ingress"].as_array().unwrap().len(), 1);
    let c = props(&g, "security_group.client-orders");
    assert_eq!(
        (c["ingress"].clone(), c["egress"].clone()),
        (json!([]), json!([]))
    );
}

/// Two services using each other, one itself, and a job using one, with
/// no NAT (explicit egress).
const PEERS: &str = "name: mesh
region: us-east-1
network: {egress: endpoints}
services:
  a:
    uses: [b]
    containers:
      app: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1, port: 8080}
  b:
    uses: [a, b]
    containers:
      app: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1, port: 9000}
      admin: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1, port: 9100}
jobs:
  sweep:
    uses: [b]
    containers:
      main: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/job:1}
";

#[test]
fn mutual_and_self_use_make_no_cycle() {
    // `architect` checks the graph has a topological order.
    let g = graph(PEERS, "dev");
    let b = props(&g, "security_group.svc-b");
    let sources: Vec<(String, i64)> = b["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["source_security_group_id"].as_str().unwrap().to_string(),
                x["from_port"].as_i64().unwrap(),
            )
        })
        .collect();
    let c = |t: &str| r(&format!("security_group.client-{t}"), "id");
    // Every user, on every container port of `b`.
    for t in ["a", "b", "sweep"] {
        for p in [9000, 9100] {
            assert!(sources.contains(&(c(t), p)), "{t}:{p} in {sources:?}");
        }
    }
    assert_eq!(sources.len(), 6);
    // `b`'s first container by name is `admin`.
    assert_eq!(env_of(&g, "a")["B_PORT"], "9100");
    // A scheduled job's tasks carry its client group.
    let text = PEERS.replace("  sweep:\n", "  sweep:\n    schedule: rate(1 hour)\n");
    assert_eq!(
        props(&graph(&text, "dev"), "scheduler_schedule.sweep")["target"]["security_group_ids"],
        json!([r("security_group.job-sweep", "id"), c("sweep")])
    );
    // Without NAT, `a` may reach `b`'s ports in the private subnets.
    let egress = props(&g, "security_group.svc-a")["egress"].clone();
    let to_b: Vec<&Value> = egress
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["description"].as_str().unwrap().contains("to service b"))
        .collect();
    assert_eq!(to_b.len(), 2 * 2, "two ports, two AZs: {egress:#}");
}

#[test]
fn nothing_is_built_when_no_service_is_used() {
    let text = PEERS
        .replace("uses: [b]", "uses: []")
        .replace("uses: [a, b]", "uses: []");
    let g = graph(&text, "dev");
    assert!(!g
        .resources
        .values()
        .any(|x| x.kind.starts_with("servicediscovery_")
            || x.address.to_string().contains("client-")));
}
