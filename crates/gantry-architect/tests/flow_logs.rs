//! VPC flow logs (`network.flow_logs`, seed 001): the flow log, its log
//! group and its role, scoped to each other.

use gantry_architect::architect;
use gantry_core::{DesiredGraph, Props};
use gantry_model::Model;
use serde_json::{json, Value};

const ASTRO: &str = include_str!("../../../examples/astro.yaml");
const MINIMAL: &str = include_str!("../../../examples/minimal.yaml");

fn graph(text: &str, env: &str) -> DesiredGraph {
    let spec = gantry_spec::parse_str("gantry.yaml", text).unwrap();
    architect(&Model::build(&spec, env).unwrap()).unwrap()
}

fn props(g: &DesiredGraph, addr: &str) -> Props {
    g.resources
        .values()
        .find(|r| r.address.as_str() == addr)
        .unwrap_or_else(|| panic!("no {addr}"))
        .props
        .clone()
}

fn r(addr: &str, attr: &str) -> Value {
    json!(format!("${{ref:{addr}.{attr}}}"))
}

#[test]
fn flow_log_writes_through_its_own_role_to_its_own_group() {
    let g = graph(ASTRO, "dev");
    let fl = props(&g, "vpc_flow_log.main");
    assert_eq!(fl["vpc_id"], r("vpc.main", "id"));
    assert_eq!(fl["traffic_type"], json!("ALL"));
    assert_eq!(fl["log_group_name"], r("log_group.vpc-flow-logs", "name"));
    assert_eq!(
        fl["deliver_logs_permission_arn"],
        r("iam_role.vpc-flow-logs", "arn")
    );
    let group = props(&g, "log_group.vpc-flow-logs");
    assert_eq!(group["name"], json!("/gantry/astro/dev/vpc-flow-logs"));
    assert_eq!(group["retention_in_days"], json!(30));
    // The stack has data stores, so a key: the flow logs are encrypted too.
    assert_eq!(group["kms_key_id"], r("kms_key.main", "arn"));
    let role = props(&g, "iam_role.vpc-flow-logs");
    assert_eq!(
        role["assume_role_service"],
        json!("vpc-flow-logs.amazonaws.com")
    );
    let stmts = role["inline_policies"]["flow-logs"]["Statement"]
        .as_array()
        .unwrap();
    assert_eq!(stmts.len(), 1);
    assert_eq!(
        stmts[0]["Resource"],
        json!(["arn:aws:logs:eu-central-1:*:log-group:/gantry/astro/dev/vpc-flow-logs:*"])
    );
    assert_eq!(
        stmts[0]["Action"],
        json!([
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:DescribeLogStreams"
        ])
    );
}

#[test]
fn flow_logs_are_off_unless_asked_and_an_overlay_can_turn_them_on() {
    let g = graph(MINIMAL, "dev");
    assert!(g
        .resources
        .keys()
        .all(|a| !a.as_str().contains("flow-log") && a.kind() != "vpc_flow_log"));
    let with_prod = MINIMAL.replace(
        "      egress: nat-per-az\n",
        "      egress: nat-per-az\n      flow_logs: true\n",
    );
    assert_ne!(with_prod, MINIMAL);
    assert!(graph(&with_prod, "dev")
        .resources
        .keys()
        .all(|a| a.kind() != "vpc_flow_log"));
    let prod = graph(&with_prod, "prod");
    let group = props(&prod, "log_group.vpc-flow-logs");
    assert_eq!(group["retention_in_days"], json!(90));
    // No data stores, no key: the group is not encrypted with one.
    assert!(group.get("kms_key_id").is_none());
    assert!(props(&prod, "vpc_flow_log.main")["vpc_id"] == r("vpc.main", "id"));
}
