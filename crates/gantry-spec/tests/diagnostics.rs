//! One test per class of spec problem: the message and the `line:col` it
//! points at are part of the user interface, so they are asserted exactly.

use gantry_spec::{parse_str, SpecError};
mod common;
use common::*;

const BASE: &str = "name: shop
region: us-east-1
services:
  web:
    cpu: 256
    memory: 512
    containers:
      app:
        image: nginx:1.27
        port: 8080
        routes: [\"/*\"]
";

#[test]
fn base_is_valid() {
    let spec = parse_str("gantry.yaml", BASE).unwrap();
    assert_eq!(spec.name.value, "shop");
    assert_eq!(
        spec.services["web"].containers["app"]
            .port
            .as_ref()
            .unwrap()
            .value,
        8080
    );
}

#[test]
fn example_is_valid() {
    let spec = gantry_spec::load_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/minimal.yaml"
    ))
    .unwrap();
    assert_eq!(spec.environment_names(), vec!["dev", "prod"]);
}

#[test]
fn unknown_key_suggests_closest() {
    let text = BASE.replace(
        "    memory: 512\n",
        "    memory: 512\n    desried_count: 2\n",
    );
    let p = one(&text, 7, 5, "unknown key `desried_count`");
    assert!(
        p.hint
            .as_deref()
            .unwrap()
            .starts_with("did you mean `desired_count`?"),
        "{:?}",
        p.hint
    );
}

#[test]
fn unknown_enum_value_suggests_closest() {
    let text = BASE.replace(
        "services:\n",
        "network:\n  egress: nat-per-zone\nservices:\n",
    );
    let p = one(&text, 4, 11, "unknown value `nat-per-zone`");
    assert!(
        p.hint.as_deref().unwrap().contains("`nat-per-az`"),
        "{:?}",
        p.hint
    );
}

#[test]
fn wrong_type() {
    let text = BASE.replace("port: 8080", "port: http");
    one(&text, 10, 15, "wrong type");
}

#[test]
fn missing_required_key() {
    let text = BASE.replace("region: us-east-1\n", "");
    // serde-saphyr notices the missing key at the first key after the gap.
    one(&text, 2, 1, "missing required key `region`");
}

#[test]
fn invalid_cidr() {
    let text = BASE.replace(
        "services:\n",
        "network:\n  cidr: 10.0.0.300/16\nservices:\n",
    );
    one(&text, 4, 9, "invalid CIDR `10.0.0.300/16`");
    let text = BASE.replace("services:\n", "network:\n  cidr: 10.0.1.0/16\nservices:\n");
    let p = one(&text, 4, 9, "host bits are set");
    assert_eq!(p.hint.as_deref(), Some("did you mean `10.0.0.0/16`?"));
}

#[test]
fn overlapping_subnets() {
    let net = "network:\n  azs: 2\n  subnets:\n    public: [10.0.0.0/20, 10.0.16.0/20]\n    private: [10.0.128.0/20, 10.0.0.0/24]\nservices:\n";
    let text = BASE.replace("services:\n", net);
    one(
        &text,
        7,
        30,
        "overlapping subnets: `10.0.0.0/24` overlaps `10.0.0.0/20` (line 6)",
    );
}

#[test]
fn subnet_outside_vpc() {
    let net = "network:\n  subnets:\n    public: [10.0.0.0/20, 10.1.16.0/20]\n    private: [10.0.128.0/20, 10.0.144.0/20]\nservices:\n";
    let text = BASE.replace("services:\n", net);
    one(
        &text,
        5,
        27,
        "subnet `10.1.16.0/20` does not fit in the VPC `10.0.0.0/16`",
    );
}

#[test]
fn subnet_count_must_match_azs() {
    let net = "network:\n  azs: 3\n  subnets:\n    public: [10.0.0.0/20, 10.0.16.0/20]\n    private: [10.0.128.0/20, 10.0.144.0/20, 10.0.160.0/20]\nservices:\n";
    let text = BASE.replace("services:\n", net);
    one(&text, 6, 14, "2 public subnets for 3 availability zones");
}

#[test]
fn duplicate_ports_in_one_task() {
    let text = format!("{BASE}      side:\n        image: busybox\n        port: 8080\n");
    one(&text, 14, 15, "duplicate port 8080 in service `web`");
}

#[test]
fn conflicting_routes() {
    let text = format!(
        "{BASE}      side:\n        image: busybox\n        port: 9000\n        routes: [\"/*\"]\n"
    );
    one(
        &text,
        15,
        18,
        "conflicting routes: `/*` is routed to `web/side` and to `web/app` (line 11)",
    );
}

#[test]
fn routes_need_a_port() {
    let text = BASE.replace("        port: 8080\n", "");
    one(&text, 10, 18, "container `app` has routes but no port");
}

#[test]
fn depends_on_unknown_container() {
    let text = format!("{BASE}        depends_on: [agnet]\n      agent:\n        image: busybox\n");
    let p = one(&text, 12, 22, "unknown container `agnet` in depends_on");
    assert!(p
        .hint
        .as_deref()
        .unwrap()
        .starts_with("did you mean `agent`?"));
}

#[test]
fn overlay_names_unknown_service() {
    let text = format!(
        "{BASE}environments:\n  prod:\n    services:\n      wbe:\n        desired_count: 3\n"
    );
    let p = one(
        &text,
        15,
        7,
        "environment `prod` names unknown service `wbe`",
    );
    assert!(p
        .hint
        .as_deref()
        .unwrap()
        .starts_with("did you mean `web`?"));
}

#[test]
fn invalid_fargate_size() {
    let text = BASE.replace("memory: 512", "memory: 4096");
    let p = one(
        &text,
        6,
        13,
        "invalid Fargate cpu/memory combination for service `web`: cpu 256 with memory 4096",
    );
    assert_eq!(
        p.hint.as_deref(),
        Some("with cpu 256, memory must be 512, 1024, 2048")
    );
    let text = BASE.replace("cpu: 256", "cpu: 300");
    one(&text, 5, 10, "invalid Fargate cpu 300");
}

#[test]
fn invalid_fargate_size_from_overlay_points_at_overlay() {
    let text =
        format!("{BASE}environments:\n  prod:\n    services:\n      web:\n        memory: 8192\n");
    one(&text, 16, 17, "invalid Fargate cpu/memory combination");
}

#[test]
fn container_memory_exceeds_task() {
    let text = format!(
        "{BASE}        memory: 400\n      side:\n        image: busybox\n        memory: 200\n"
    );
    one(&text, 6, 13, "container memory exceeds task memory in service `web`: containers reserve 600 MiB, the task has 512 MiB");
}

#[test]
fn reserved_reference_syntax() {
    let text = format!("{BASE}        environment:\n          DB: \"${{ref:vpc.main.id}}\"\n");
    one(&text, 13, 15, "`${ref:` is reserved");
}

#[test]
fn invalid_names() {
    let text = BASE.replace("name: shop", "name: My_Shop");
    one(&text, 1, 7, "invalid stack name `My_Shop`");
    let text = BASE.replace("name: shop", "name: a-very-long-stack-name-indeed");
    one(&text, 1, 7, "invalid stack name");
    let text = BASE.replace("region: us-east-1", "region: useast1");
    one(&text, 2, 9, "invalid region `useast1`");
}

#[test]
fn image_xor_build() {
    let text = BASE.replace(
        "        image: nginx:1.27\n",
        "        image: nginx:1.27\n        build: ./app\n",
    );
    one(&text, 10, 16, "both `image` and `build`");
}

#[test]
fn collects_several_problems() {
    let text = BASE
        .replace("cpu: 256", "cpu: 300")
        .replace("region: us-east-1", "region: nowhere");
    let ps = problems(&text);
    assert_eq!(ps.len(), 2, "{ps:#?}");
    let lines: Vec<u32> = ps.iter().map(|p| p.line).collect();
    assert!(lines.contains(&2) && lines.contains(&5));
}

#[test]
fn invalid_yaml_is_a_diagnostic_not_a_panic() {
    let ps = problems("name: [unclosed\n");
    assert_eq!(ps.len(), 1);
    assert!(ps[0].line >= 1);
}

#[test]
fn renders_with_source_snippet() {
    let text = BASE.replace("port: 8080", "port: http");
    let err = parse_str("gantry.yaml", &text).unwrap_err();
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, &err as &dyn miette::Diagnostic)
        .unwrap();
    assert!(out.contains("gantry.yaml:10:15"), "{out}");
    assert!(out.contains("port: http"), "{out}");
}

#[test]
fn io_error_names_the_path() {
    let err = gantry_spec::load_file("/nonexistent/gantry.yaml").unwrap_err();
    assert!(matches!(err, SpecError::Io { .. }));
    assert!(err.to_string().contains("/nonexistent/gantry.yaml"));
}

#[test]
fn schema_describes_top_level_keys() {
    let s = gantry_spec::json_schema();
    let props = s["properties"].as_object().expect("properties");
    for k in ["name", "region", "network", "services", "environments"] {
        assert!(props.contains_key(k), "{k} missing from {s}");
    }
}

#[test]
fn public_images_need_a_nat_gateway() {
    let text = BASE.replace("services:\n", "network:\n  egress: endpoints\nservices:\n");
    let p = one(
        &text,
        11,
        16,
        "image `nginx:1.27` cannot be pulled with `egress: endpoints` (line 4)",
    );
    assert!(p.hint.as_deref().unwrap().contains("build:"));
    let ok = text.replace(
        "nginx:1.27",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/nginx:1.27",
    );
    parse_str("gantry.yaml", &ok).unwrap();
}

#[test]
fn wrong_shapes_have_plain_messages() {
    let text = format!("{BASE}        health_check:\n          command: 5\n");
    one(
        &text,
        13,
        20,
        "wrong type: expected a string or a list of strings",
    );
    one(
        "name: a\nregion: us-east-1\nservices: 3\n",
        3,
        11,
        "wrong type: expected a mapping",
    );
    let text = BASE.replace("cpu: 256", "cpu: -1");
    one(
        &text,
        5,
        10,
        "wrong type: expected a non-negative whole number",
    );
    let p = one("", 1, 1, "the spec file is empty");
    assert!(p.hint.is_some());
}

#[test]
fn invalid_route_pattern() {
    let text = BASE.replace("routes: [\"/*\"]", "routes: [\"api/*\", \"/a b\"]");
    let ps = problems(&text);
    assert_eq!(ps.len(), 2, "{ps:#?}");
    assert!(ps[0].message.contains("invalid route `api/*`"));
    assert_eq!((ps[0].line, ps[0].column), (11, 18));
}

#[test]
fn health_check_ranges() {
    let text = format!(
        "{BASE}        health_check:\n          command: [\"true\"]\n          timeout: 90\n"
    );
    one(&text, 14, 20, "health check timeout 90 is out of range");
}

#[test]
fn single_az_alb_needs_two_public_subnets() {
    let net = "network:\n  azs: 1\n  subnets:\n    public: [10.0.0.0/20]\n    private: [10.0.128.0/20]\nservices:\n";
    let text = BASE.replace("services:\n", net);
    let p = one(&text, 6, 14, "1 public subnets for 1 availability zones");
    assert!(p.hint.as_deref().unwrap().contains("two AZs"));
    let ok = text.replace("[10.0.0.0/20]", "[10.0.0.0/20, 10.0.16.0/20]");
    parse_str("gantry.yaml", &ok).unwrap();
}

#[test]
fn a_policy_action_may_not_be_everything() {
    let text = format!("{BASE}    policy:\n      - actions: [\"s3:GetObject\", \"*\"]\n        resources: [\"arn:aws:s3:::b/*\"]\n");
    let p = one(&text, 13, 35, "action `*` grants every action");
    assert!(p.hint.as_deref().unwrap().contains("name the actions"));
    let text = format!("{BASE}    policy:\n      - actions: [\"s3:*\"]\n        resources: [\"arn:aws:s3:::b/*\"]\n");
    one(&text, 13, 19, "action `s3:*` grants every action");
    let text = format!("{BASE}    policy:\n      - actions: [bedrock]\n        resources: [\"arn:aws:s3:::b/*\"]\n");
    one(&text, 13, 19, "invalid IAM action `bedrock`");
}

#[test]
fn a_star_resource_only_for_actions_without_resource_permissions() {
    let text = format!("{BASE}    policy:\n      - actions: [xray:PutTraceSegments, \"bedrock:InvokeModel*\"]\n        resources: [\"*\"]\n");
    one(
        &text,
        14,
        21,
        "resource `*` for `bedrock:InvokeModel*`, which can be limited to named resources",
    );
    let text = format!("{BASE}    policy:\n      - actions: [bedrock:InvokeModel]\n        resources: [foundation-model/x]\n");
    one(&text, 14, 21, "resource `foundation-model/x` is not an ARN");
    // Actions that have no resource-level permissions take `*`.
    let ok = format!("{BASE}    policy:\n      - actions: [xray:PutTraceSegments, xray:PutTelemetryRecords]\n        resources: [\"*\"]\n");
    parse_str("gantry.yaml", &ok).unwrap();
}

#[test]
fn log_retention_is_a_period_cloudwatch_keeps() {
    let text = format!("{BASE}    log_retention: 10\n");
    let p = one(
        &text,
        12,
        20,
        "log_retention 10 for service `web` is not a period CloudWatch Logs keeps",
    );
    assert!(p.hint.as_deref().unwrap().contains("7, 14, 30"));
    parse_str("gantry.yaml", &format!("{BASE}    log_retention: 7\n")).unwrap();
}

#[test]
fn state_backend_keys_are_checked() {
    let ok = format!("{BASE}state:\n  backend: s3\n  bucket: acme-state\n  prefix: team/gantry\n");
    parse_str("gantry.yaml", &ok).expect("a valid s3 state");
    one(
        &format!("{BASE}state:\n  backend: s3\n"),
        13,
        12,
        "the s3 state backend needs a bucket",
    );
    one(
        &format!("{BASE}state:\n  backend: s3\n  bucket: Acme_State\n"),
        14,
        11,
        "invalid bucket name `Acme_State`",
    );
    one(
        &format!("{BASE}state:\n  backend: local\n  bucket: acme-state\n"),
        14,
        11,
        "`bucket` applies to the s3 backend only",
    );
}
