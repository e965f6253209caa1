//! Snapshots of the architecture for the example and an `endpoints`
//! variant, plus the invariants every architecture must keep.

use gantry_architect::architect;
use gantry_core::kinds;
use gantry_core::{Address, DesiredGraph};
use gantry_model::Model;

const EXAMPLE: &str = include_str!("../../../examples/minimal.yaml");

/// Seed 000's shape with seed 002's egress: three containers, a Mercure
/// route, built images, VPC endpoints instead of NAT.
const AGENTS: &str = "name: agents
region: eu-west-1
network:
  egress: endpoints
services:
  web:
    cpu: 1024
    memory: 2048
    capacity: fargate-spot
    containers:
      app:
        build: ./app
        port: 8080
        routes: [\"/*\"]
        health_path: /healthz
        depends_on: [agent]
      agent:
        build: ./agent
        port: 8000
        memory: 1024
        readonly_root_filesystem: true
        health_check:
          command: [curl, -f, http://localhost:8000/health]
      mercure:
        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/mercure:v0.16
        port: 3701
        routes: [\"/.well-known/mercure*\"]
  worker:
    containers:
      main:
        build: ./worker
";

fn graph(text: &str, env: &str) -> DesiredGraph {
    let spec = gantry_spec::parse_str("gantry.yaml", text).unwrap();
    let model = Model::build(&spec, env).unwrap();
    architect(&model).unwrap()
}

fn addrs(g: &DesiredGraph, kind: &str) -> Vec<String> {
    g.resources
        .values()
        .filter(|r| r.kind == kind)
        .map(|r| r.address.to_string())
        .collect()
}

#[test]
fn snapshot_minimal_dev() {
    insta::assert_json_snapshot!("minimal_dev", graph(EXAMPLE, "dev"));
}

#[test]
fn snapshot_minimal_prod() {
    insta::assert_json_snapshot!("minimal_prod", graph(EXAMPLE, "prod"));
}

#[test]
fn snapshot_endpoints() {
    insta::assert_json_snapshot!("agents_endpoints", graph(AGENTS, "dev"));
}

#[test]
fn nat_modes() {
    let dev = graph(EXAMPLE, "dev");
    assert_eq!(addrs(&dev, kinds::NAT_GATEWAY), ["nat_gateway.nat-a"]);
    assert_eq!(
        addrs(&dev, kinds::ROUTE_TABLE),
        [
            "route_table.private-a",
            "route_table.private-b",
            "route_table.public"
        ]
    );
    // Both private tables route through the one NAT gateway.
    for rt in ["route_table.private-a", "route_table.private-b"] {
        assert_eq!(
            dev.resources[&Address::new(rt)].props["routes"][0]["nat_gateway_id"],
            "${ref:nat_gateway.nat-a.id}"
        );
    }
    let prod = graph(EXAMPLE, "prod");
    assert_eq!(
        addrs(&prod, kinds::NAT_GATEWAY),
        [
            "nat_gateway.nat-a",
            "nat_gateway.nat-b",
            "nat_gateway.nat-c"
        ]
    );
    assert_eq!(
        prod.resources[&Address::new("route_table.private-c")].props["routes"][0]["nat_gateway_id"],
        "${ref:nat_gateway.nat-c.id}"
    );
    assert_eq!(
        prod.resources[&Address::new("log_group.web")].props["retention_in_days"],
        90
    );
    assert_eq!(
        dev.resources[&Address::new("log_group.web")].props["retention_in_days"],
        30
    );
    let ep = graph(AGENTS, "dev");
    assert!(addrs(&ep, kinds::NAT_GATEWAY).is_empty());
    assert!(addrs(&ep, kinds::EIP).is_empty());
    assert_eq!(addrs(&ep, kinds::VPC_ENDPOINT).len(), 5);
}

#[test]
fn secure_defaults_hold() {
    for g in [
        graph(EXAMPLE, "dev"),
        graph(EXAMPLE, "prod"),
        graph(AGENTS, "dev"),
    ] {
        g.topo_order().unwrap();
        g.check_kinds().unwrap();
        for r in g.resources.values() {
            let p = &r.props;
            assert!(p.get("tags").is_none(), "{} carries tags", r.address);
            match r.kind.as_str() {
                kinds::SUBNET => assert_eq!(p["map_public_ip_on_launch"], false),
                kinds::ECS_SERVICE => {
                    assert_eq!(p["assign_public_ip"], false);
                    assert_eq!(p["circuit_breaker_rollback"], true);
                    for s in p["subnet_ids"].as_array().unwrap() {
                        assert!(s.as_str().unwrap().contains("subnet.private-"), "{s}");
                    }
                }
                kinds::SECURITY_GROUP => {
                    assert!(
                        sg_text_ok(p["description"].as_str().unwrap()),
                        "{}",
                        p["description"]
                    );
                    for rule in p["ingress"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .chain(p["egress"].as_array().unwrap())
                    {
                        let d = rule["description"].as_str().unwrap();
                        assert!(!d.is_empty() && sg_text_ok(d), "{d:?}");
                    }
                }
                kinds::LB | kinds::LB_TARGET_GROUP => {
                    assert!(p["name"].as_str().unwrap().len() <= 32)
                }
                kinds::IAM_ROLE => assert!(p["name"].as_str().unwrap().len() <= 64),
                kinds::ECS_TASK_DEFINITION => {
                    for c in p["containers"].as_array().unwrap() {
                        assert!(c["memory_reservation"].as_i64().unwrap() >= 6);
                    }
                }
                _ => {}
            }
        }
    }
}

#[test]
fn service_security_group_only_admits_the_alb_on_routed_ports() {
    let g = graph(AGENTS, "dev");
    let sg = &g.resources[&Address::new("security_group.svc-web")].props;
    let ports: Vec<i64> = sg["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["from_port"].as_i64().unwrap())
        .collect();
    // agent:8000 is reached over localhost only, never from the ALB.
    assert_eq!(ports, [3701, 8080]);
    for r in sg["ingress"].as_array().unwrap() {
        assert_eq!(
            r["source_security_group_id"],
            "${ref:security_group.alb.id}"
        );
    }
    let worker = &g.resources[&Address::new("security_group.svc-worker")].props;
    assert!(worker["ingress"].as_array().unwrap().is_empty());
}

#[test]
fn execution_role_pulls_only_its_own_repositories() {
    let g = graph(AGENTS, "dev");
    let role = &g.resources[&Address::new("iam_role.web-execution")].props;
    let stmts = role["inline_policies"]["execution"]["Statement"]
        .as_array()
        .unwrap();
    let pull = stmts.iter().find(|s| s["Sid"] == "PullOwnImages").unwrap();
    assert_eq!(
        pull["Resource"],
        serde_json::json!([
            "${ref:ecr_repository.web-agent.arn}",
            "${ref:ecr_repository.web-app.arn}"
        ])
    );
    let worker = &g.resources[&Address::new("iam_role.worker-execution")].props;
    let stmts = worker["inline_policies"]["execution"]["Statement"]
        .as_array()
        .unwrap();
    let pull = stmts.iter().find(|s| s["Sid"] == "PullOwnImages").unwrap();
    assert_eq!(
        pull["Resource"],
        serde_json::json!(["${ref:ecr_repository.worker-main.arn}"])
    );
    // Registry images need no ECR rights at all.
    let g = graph(EXAMPLE, "dev");
    let web = &g.resources[&Address::new("iam_role.web-execution")].props;
    assert_eq!(
        web["inline_policies"]["execution"]["Statement"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn no_routes_means_no_load_balancer() {
    let text = "name: batch\nregion: us-west-2\nservices:\n  worker:\n    containers:\n      main:\n        image: busybox\n";
    let g = graph(text, "dev");
    assert!(addrs(&g, kinds::LB).is_empty());
    assert!(addrs(&g, kinds::LB_LISTENER).is_empty());
    let svc = &g.resources[&Address::new("ecs_service.worker")].props;
    assert_eq!(svc["health_check_grace_period_seconds"], 0);
}

#[test]
fn default_action_is_404_without_a_catch_all_route() {
    let text = EXAMPLE.replace("routes: [\"/*\"]", "routes: [\"/app/*\"]");
    let g = graph(&text, "dev");
    let l = &g.resources[&Address::new("lb_listener.http")].props;
    assert_eq!(l["default_action"]["type"], "fixed-response");
    assert_eq!(l["default_action"]["status_code"], "404");
    assert_eq!(addrs(&g, kinds::LB_LISTENER_RULE).len(), 1);
}

fn rule_priorities(g: &DesiredGraph) -> Vec<(String, i64)> {
    g.resources
        .values()
        .filter(|r| r.kind == kinds::LB_LISTENER_RULE)
        .map(|r| (r.address.to_string(), r.props["priority"].as_i64().unwrap()))
        .collect()
}

#[test]
fn rule_priorities_survive_an_unrelated_new_route() {
    let before = graph(AGENTS, "dev");
    let text = AGENTS.replace(
        "routes: [\"/*\"]",
        "routes: [\"/*\", \"/api/*\", \"/static/*\"]",
    );
    let after = graph(&text, "dev");
    let after: std::collections::BTreeMap<_, _> = rule_priorities(&after).into_iter().collect();
    assert_eq!(after.len(), 3);
    for (addr, prio) in rule_priorities(&before) {
        assert_eq!(after[&addr], prio, "{addr} was renumbered");
    }
}

/// EC2 accepts only these characters in security group and rule descriptions.
fn sg_text_ok(s: &str) -> bool {
    s.len() <= 255
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c))
}

#[test]
fn single_az_alb_still_spans_two_subnets() {
    let text = EXAMPLE.replace("  azs: 2\n", "  azs: 1\n");
    let g = graph(&text, "dev");
    let lb = &g.resources[&Address::new("lb.main")].props;
    assert_eq!(
        lb["subnet_ids"],
        serde_json::json!(["${ref:subnet.public-a.id}", "${ref:subnet.public-b.id}"])
    );
    let svc = &g.resources[&Address::new("ecs_service.web")].props;
    assert_eq!(
        svc["subnet_ids"],
        serde_json::json!(["${ref:subnet.private-a.id}"])
    );
    assert_eq!(addrs(&g, kinds::SUBNET).len(), 3);
}
