//! End to end on the local AWS emulator: `up` of examples/minimal.yaml, the
//! result checked through the AWS API (not through Gantry's state), a second
//! plan with no changes, an edit that plans and applies exactly its updates,
//! `status`, and a `destroy` that leaves nothing behind.

use crate::support;

use gantry_aws::aws_sdk_ec2::types::Filter;
use gantry_aws::AwsContext;
use serde_json::Value;
use std::collections::BTreeSet;
use support::Project;

fn tag(k: &str, v: &str) -> Filter {
    Filter::builder().name(format!("tag:{k}")).values(v).build()
}

async fn aws() -> AwsContext {
    support::emulator_env();
    AwsContext::load(Some("us-east-1".into()))
        .await
        .expect("AWS config")
}

/// The (address, action) pairs of a plan's changes.
fn changes(plan: &Value) -> BTreeSet<(String, String)> {
    plan["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter(|a| a["action"] != "no-op")
        .map(|a| {
            (
                a["address"].as_str().unwrap().to_string(),
                a["action"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn minimal_up_verify_edit_destroy() {
    let p = Project::from_example("minimal.yaml").keyed("AKIACALLSMINIMAL");
    let ctx = aws().await;
    let stack = tag("gantry:stack", "minimal");

    // Validate, then up.
    p.gantry(&["validate"]).assert_code(0);
    let up = p.gantry(&["up", "--yes"]);
    up.assert_code(0);
    assert!(up.stderr().contains("Apply complete"), "summary missing");

    // The network, through the EC2 API.
    let ec2 = ctx.ec2();
    let vpcs = ec2
        .describe_vpcs()
        .filters(stack.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1, "exactly one VPC");
    let vpc_id = vpcs.vpcs()[0].vpc_id().unwrap().to_string();
    let hostnames = ec2
        .describe_vpc_attribute()
        .vpc_id(&vpc_id)
        .attribute(gantry_aws::aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .unwrap();
    assert_eq!(
        hostnames.enable_dns_hostnames().and_then(|a| a.value()),
        Some(true)
    );
    let subnets = ec2
        .describe_subnets()
        .filters(stack.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(subnets.subnets().len(), 4, "2 public + 2 private subnets");
    assert!(subnets
        .subnets()
        .iter()
        .all(|s| s.map_public_ip_on_launch() != Some(true)));
    let azs: BTreeSet<_> = subnets
        .subnets()
        .iter()
        .filter_map(|s| s.availability_zone())
        .collect();
    assert_eq!(azs.len(), 2, "two AZs");
    let nats = ec2
        .describe_nat_gateways()
        .filter(Filter::builder().name("vpc-id").values(&vpc_id).build())
        .send()
        .await
        .unwrap();
    let live_nats = nats
        .nat_gateways()
        .iter()
        .filter(|n| n.state().map(|s| s.as_str()) == Some("available"))
        .count();
    assert_eq!(live_nats, 1, "one NAT gateway in dev");
    for s in subnets.subnets() {
        for t in s.tags() {
            if t.key() == Some("gantry:env") {
                assert_eq!(t.value(), Some("dev"));
            }
        }
        assert!(
            s.tags().iter().any(|t| t.key() == Some("gantry:address")),
            "subnet lacks gantry:address"
        );
    }

    // Load balancer, listener and target group.
    let elb = ctx.elb();
    let lbs = elb.describe_load_balancers().send().await.unwrap();
    let lb = lbs
        .load_balancers()
        .iter()
        .find(|l| l.vpc_id() == Some(vpc_id.as_str()))
        .expect("an ALB in the VPC");
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internet-facing"));
    let attrs = elb
        .describe_load_balancer_attributes()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .send()
        .await
        .unwrap();
    let drop = attrs
        .attributes()
        .iter()
        .find(|a| a.key() == Some("routing.http.drop_invalid_header_fields.enabled"))
        .and_then(|a| a.value());
    assert_eq!(drop, Some("true"), "ALB drops invalid headers");
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(listeners.listeners().len(), 1);
    assert_eq!(listeners.listeners()[0].port(), Some(80));
    let tgs = elb
        .describe_target_groups()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(tgs.target_groups().len(), 1, "one routed container");
    assert_eq!(tgs.target_groups()[0].port(), Some(8080));
    assert_eq!(
        tgs.target_groups()[0].target_type().map(|t| t.as_str()),
        Some("ip")
    );

    // ECS: cluster, task definition with two containers, service placement.
    let ecs = ctx.ecs();
    let clusters = ecs.list_clusters().send().await.unwrap();
    let cluster = clusters
        .cluster_arns()
        .iter()
        .find(|a| a.ends_with("/minimal-dev"))
        .expect("cluster minimal-dev")
        .clone();
    let services = ecs.list_services().cluster(&cluster).send().await.unwrap();
    assert_eq!(services.service_arns().len(), 1);
    let svc = ecs
        .describe_services()
        .cluster(&cluster)
        .services(&services.service_arns()[0])
        .send()
        .await
        .unwrap();
    let svc = &svc.services()[0];
    assert_eq!(svc.desired_count(), 1, "dev overlay sets desired_count 1");
    let net = svc
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .expect("awsvpc");
    assert_eq!(net.assign_public_ip().map(|a| a.as_str()), Some("DISABLED"));
    let private: BTreeSet<String> = subnets
        .subnets()
        .iter()
        .filter(|s| {
            s.tags().iter().any(|t| {
                t.key() == Some("gantry:address")
                    && t.value().unwrap_or("").starts_with("subnet.private")
            })
        })
        .map(|s| s.subnet_id().unwrap().to_string())
        .collect();
    let used: BTreeSet<String> = net.subnets().iter().cloned().collect();
    assert_eq!(used, private, "tasks run in the private subnets only");
    let td = ecs
        .describe_task_definition()
        .task_definition(svc.task_definition().unwrap())
        .send()
        .await
        .unwrap();
    let td = td.task_definition().unwrap();
    assert_eq!(td.container_definitions().len(), 2);
    assert_ne!(
        td.execution_role_arn(),
        td.task_role_arn(),
        "separate execution and task roles"
    );
    let agent = td
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some("agent"))
        .expect("agent");
    assert_eq!(agent.command(), ["python", "-m", "http.server", "8000"]);
    let app = td
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some("app"))
        .expect("app");
    assert!(app
        .environment()
        .iter()
        .any(|kv| kv.name() == Some("AGENT_URL") && kv.value() == Some("http://localhost:8000")));
    for c in td.container_definitions() {
        assert!(c.memory_reservation().is_some());
        assert_eq!(
            c.log_configuration().map(|l| l.log_driver().as_str()),
            Some("awslogs")
        );
    }

    // A second plan: nothing to do.
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    support::assert_refresh_cost(&p.plan_calls());

    // Status shows the service.
    let status = p.gantry(&["status", "--json"]);
    status.assert_code(0);
    let status = status.json();
    assert_eq!(status["services"][0]["desired"], 1);
    assert!(status["resources"].as_array().unwrap().len() > 20);

    // Edit: more tasks, and a new route to the agent container.
    p.edit(|t| {
        t.replacen("        desired_count: 1", "        desired_count: 2", 1)
            .replacen(
                "        port: 8000\n",
                "        port: 8000\n        routes: [\"/agent/*\"]\n",
                1,
            )
    });
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(2);
    // Unattended (stdin is not a terminal) and without --yes: refuse, change nothing.
    let refused = p.gantry(&["up"]);
    refused.assert_code(1);
    assert!(
        refused.stderr().contains("--yes"),
        "the refusal names --yes"
    );
    let plan = p.gantry(&["plan", "--json"]);
    plan.assert_code(0);
    let got = changes(&plan.json());
    let created: BTreeSet<&str> = got
        .iter()
        .filter(|(_, a)| a == "create")
        .map(|(x, _)| x.as_str())
        .collect();
    let updated: BTreeSet<&str> = got
        .iter()
        .filter(|(_, a)| a == "update")
        .map(|(x, _)| x.as_str())
        .collect();
    assert!(
        got.iter().all(|(_, a)| a == "create" || a == "update"),
        "only creates and updates: {got:?}"
    );
    assert!(created.contains("lb_target_group.web-agent"), "{got:?}");
    assert!(
        created.iter().any(|a| a.starts_with("lb_listener_rule.")),
        "{got:?}"
    );
    assert!(updated.contains("ecs_service.web"), "{got:?}");
    let unexpected: Vec<_> = got
        .iter()
        .filter(|(a, _)| {
            !(a.starts_with("lb_target_group.web-agent")
                || a.starts_with("lb_listener_rule.")
                || a == "ecs_service.web"
                || a.starts_with("security_group."))
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "changes beyond the edit: {unexpected:?}"
    );
    let svc_change = plan.json()["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["address"] == "ecs_service.web")
        .cloned()
        .unwrap();
    let fields: BTreeSet<&str> = svc_change["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains("desired_count") && fields.contains("load_balancers"),
        "{fields:?}"
    );

    p.gantry(&["up", "--yes"]).assert_code(0);
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    let svc = ecs
        .describe_services()
        .cluster(&cluster)
        .services(&services.service_arns()[0])
        .send()
        .await
        .unwrap();
    assert_eq!(svc.services()[0].desired_count(), 2);
    let tgs = elb
        .describe_target_groups()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        tgs.target_groups().len(),
        2,
        "the new route's target group is attached"
    );
    let rules = elb
        .describe_rules()
        .listener_arn(listeners.listeners()[0].listener_arn().unwrap())
        .send()
        .await
        .unwrap();
    let agent_rule = rules.rules().iter().any(|r| {
        r.conditions().iter().any(|c| {
            c.values()
                .iter()
                .chain(
                    c.path_pattern_config()
                        .map(|p| p.values())
                        .unwrap_or(&[])
                        .iter(),
                )
                .any(|v| v == "/agent/*")
        })
    });
    assert!(agent_rule, "a listener rule for /agent/*");

    // Destroy leaves nothing.
    p.gantry(&["destroy", "--yes"]).assert_code(0);
    let left = gantry_aws::inventory::stack_resources(&ctx, "minimal", "dev")
        .await
        .unwrap();
    assert!(left.is_empty(), "left behind: {left:?}");
    let vpcs = ec2
        .describe_vpcs()
        .filters(stack.clone())
        .send()
        .await
        .unwrap();
    assert!(vpcs.vpcs().is_empty());
    let lbs = elb.describe_load_balancers().send().await.unwrap();
    assert!(lbs
        .load_balancers()
        .iter()
        .all(|l| l.vpc_id() != Some(vpc_id.as_str())));
    let roles = ctx.iam().list_roles().send().await.unwrap();
    assert!(
        roles
            .roles()
            .iter()
            .all(|r| !r.role_name().starts_with("minimal-dev")),
        "IAM roles left"
    );
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(2);
}

/// A stack of `n` identical services (each a container behind its own
/// route: target group, listener rule, task definition, service, two roles,
/// log group and security group).
fn services_spec(stack: &str, n: usize) -> String {
    let mut s = format!(
        "name: {stack}\nregion: us-east-1\nnetwork: {{ azs: 2, egress: nat }}\nservices:\n"
    );
    for i in 0..n {
        s.push_str(&format!(
            "  s{i}:\n    containers:\n      app:\n        image: public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine\n        port: 8080\n        routes: [\"/s{i}/*\"]\n"
        ));
    }
    s
}

/// Refresh calls grow with the kinds in a stack, not with its resources:
/// each service added to a stack adds at most two AWS calls to a no-op
/// plan.
#[tokio::test(flavor = "multi_thread")]
async fn a_no_op_plan_costs_at_most_two_calls_more_per_added_service() {
    let one = Project::new(&services_spec("calls-one", 1)).keyed("AKIACALLSONE");
    let many = Project::new(&services_spec("calls-many", 16)).keyed("AKIACALLSMANY");
    support::emulator_env();
    let ctx = AwsContext::load(Some("us-east-1".into())).await.unwrap();
    one.gantry(&["up", "--yes"]).assert_code(0);
    many.gantry(&["up", "--yes"]).assert_code(0);
    let c1 = one.plan_calls();
    let c16 = many.plan_calls();
    let per_service = (c16.calls as f64 - c1.calls as f64) / 15.0;
    eprintln!(
        "1 service: {} calls for {} resources; 16 services: {} calls for {} resources; {per_service:.2} calls per added service",
        c1.calls, c1.resources, c16.calls, c16.resources
    );
    assert!(
        per_service <= 2.0,
        "{per_service:.2} calls per added service\n1: {c1}\n16: {c16}"
    );
    for (p, stack) in [(&one, "calls-one"), (&many, "calls-many")] {
        p.gantry(&["destroy", "--yes"]).assert_code(0);
        let left = gantry_aws::inventory::stack_resources(&ctx, stack, "dev")
            .await
            .unwrap();
        assert!(left.is_empty(), "{stack}: left behind: {left:?}");
    }
}
