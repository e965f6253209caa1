//! What a service asks for beyond `uses`: `policy:` statements on its task
//! role (seed 000's Bedrock calls), pull rights on private ECR images named
//! in `image:`, and `log_retention`.

use gantry_architect::architect;
use gantry_core::{DesiredGraph, Props};
use gantry_model::Model;
use serde_json::json;

const AGENTS: &str = include_str!("../../../examples/agent-platform.yaml");
const FASTAPI: &str = include_str!("../../../examples/fastapi-rds.yaml");

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

#[test]
fn the_agent_may_invoke_bedrock_models_and_nothing_more() {
    let g = graph(AGENTS, "dev");
    let role = props(&g, "iam_role.web-task");
    assert_eq!(
        role["inline_policies"]["app"],
        json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "App0",
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": ["arn:aws:bedrock:us-east-1::foundation-model/anthropic.*"],
        }]})
    );
    // What `uses` grants stays in its own policy.
    assert!(role["inline_policies"]["data"].is_object());
    assert_eq!(props(&g, "log_group.web")["retention_in_days"], json!(14));
}

#[test]
fn a_private_ecr_image_is_pullable_by_exactly_its_repository() {
    let text = AGENTS.replace(
        "image: docker.io/nginxinc/nginx-unprivileged:1.27-alpine",
        "image: 210987654321.dkr.ecr.eu-west-1.amazonaws.com/shared/app:2.1",
    );
    let g = graph(&text, "dev");
    let exec = props(&g, "iam_role.web-execution");
    let stmts = exec["inline_policies"]["execution"]["Statement"]
        .as_array()
        .unwrap()
        .clone();
    let by_sid = |sid: &str| stmts.iter().find(|s| s["Sid"] == sid).cloned();
    assert_eq!(
        by_sid("PullNamedImages").unwrap()["Resource"],
        json!(["arn:aws:ecr:eu-west-1:210987654321:repository/shared/app"])
    );
    assert_eq!(by_sid("EcrAuth").unwrap()["Resource"], json!(["*"]));
    // Public images need no rights; the built agent pulls from exactly
    // its own repository.
    let g = graph(AGENTS, "dev");
    let exec = props(&g, "iam_role.web-execution");
    let text = exec["inline_policies"].to_string();
    assert!(!text.contains("PullNamedImages"), "{text}");
    let own = exec["inline_policies"]["execution"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "PullOwnImages")
        .cloned()
        .unwrap();
    assert_eq!(
        own["Resource"],
        json!(["${ref:ecr_repository.web-agent.arn}"])
    );
}

#[test]
fn a_star_resource_is_said_out_loud() {
    let bedrock =
        "        resources: [\"arn:aws:bedrock:us-east-1::foundation-model/anthropic.*\"]\n";
    assert!(AGENTS.contains(bedrock));
    let text = AGENTS.replace(
        bedrock,
        &format!("{bedrock}      - actions: [xray:PutTraceSegments]\n        resources: [\"*\"]\n"),
    );
    let spec = gantry_spec::parse_str("gantry.yaml", &text).unwrap();
    let m = Model::build(&spec, "dev").unwrap();
    assert!(
        m.warnings().iter().any(|w| w
            == "service `web` may call xray:PutTraceSegments on every resource (`*`): these actions have no resource-level permissions"),
        "{:?}",
        m.warnings()
    );
}

#[test]
fn exec_turns_on_ecs_exec_and_its_channels_only_where_asked() {
    let text = AGENTS.replace(
        "    log_retention: 14\n",
        "    log_retention: 14\n    exec: true\n",
    );
    let g = graph(&text, "dev");
    assert_eq!(
        props(&g, "ecs_service.web")["enable_execute_command"],
        json!(true)
    );
    let role = props(&g, "iam_role.web-task");
    assert_eq!(
        role["inline_policies"]["exec"]["Statement"][0]["Action"],
        json!([
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel"
        ])
    );
    // Without a NAT gateway the channels go through an endpoint of their own.
    let with_exec = FASTAPI.replace("    memory: 1024\n", "    memory: 1024\n    exec: true\n");
    assert_ne!(with_exec, FASTAPI);
    let g = graph(&with_exec, "dev");
    assert_eq!(
        props(&g, "vpc_endpoint.ssmmessages")["service_name"],
        json!("com.amazonaws.us-east-1.ssmmessages")
    );
    // Off by default.
    let g = graph(AGENTS, "dev");
    assert_eq!(
        props(&g, "ecs_service.web")["enable_execute_command"],
        json!(false)
    );
    assert!(props(&g, "iam_role.web-task")["inline_policies"]["exec"].is_null());
    let g = graph(FASTAPI, "dev");
    assert!(g
        .resources
        .values()
        .all(|r| r.address.as_str() != "vpc_endpoint.ssmmessages"));
}
