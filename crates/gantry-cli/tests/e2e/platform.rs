//! Seed 004's platform services against the emulator, behind AWS's faults
//! (throttling, replies lost after the call took effect): queues with their
//! dead-letter queues, topics fanning out to them, and what the services
//! that use them may do, all checked through the AWS APIs.

use crate::support::{self, Project};
use gantry_aws::aws_sdk_sqs::types::QueueAttributeName as A;
use gantry_aws::AwsContext;
use serde_json::Value;

const MESSAGING: &str = "
queues:
  jobs: {visibility_timeout: 0, dlq: {max_receives: 2}}
topics:
  orders:
    subscribers: [jobs, {email: ops@example.com}]
";

async fn queue_url(ctx: &AwsContext, name: &str) -> String {
    ctx.sqs()
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap()
}

async fn receive(ctx: &AwsContext, url: &str) -> Vec<String> {
    ctx.sqs()
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.body)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn queues_topics_fan_out_dead_letters_and_least_privilege() {
    let spec = std::fs::read_to_string(format!("{}/examples/minimal.yaml", support::ROOT))
        .unwrap()
        .replace("name: minimal", "name: msgs")
        .replacen("\nservices:\n", &format!("{MESSAGING}\nservices:\n"), 1)
        .replacen(
            "    desired_count: 2\n",
            "    desired_count: 2\n    uses: [orders, {name: jobs, access: read}]\n",
            1,
        );
    let p = Project::new(&spec).keyed("msgs");
    support::emulator_env();
    support::faults::profile(p.key(), 21, 0.15, 0.15);
    let ctx = AwsContext::load(Some("us-east-1".into())).await.unwrap();
    p.gantry(&["up", "--yes"]).assert_code(0);
    support::faults::reset(p.key());
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);

    // The queue: encrypted with the stack key, redriving to its DLQ,
    // admitting exactly the topic.
    let key = p.recorded_id("kms_key.main");
    let topic = p.recorded_id("sns_topic.orders");
    let url = queue_url(&ctx, "msgs-dev-jobs").await;
    let attrs = ctx
        .sqs()
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(A::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert!(attrs[&A::KmsMasterKeyId].contains(&key), "{attrs:?}");
    let redrive: Value = serde_json::from_str(&attrs[&A::RedrivePolicy]).unwrap();
    assert_eq!(
        redrive["maxReceiveCount"].to_string().trim_matches('"'),
        "2"
    );
    assert!(redrive["deadLetterTargetArn"]
        .as_str()
        .unwrap()
        .ends_with(":msgs-dev-jobs-dlq"));
    let policy: Value = serde_json::from_str(&attrs[&A::Policy]).unwrap();
    let st = &policy["Statement"][0];
    assert_eq!(st["Principal"]["Service"], "sns.amazonaws.com");
    assert_eq!(
        st["Condition"]["ArnEquals"]["aws:SourceArn"],
        serde_json::json!([topic])
    );

    // The topic: encrypted, one raw queue subscription and one email.
    let t = ctx
        .sns()
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert!(t["KmsMasterKeyId"].contains(&key), "{t:?}");
    let subs = ctx
        .sns()
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap()
        .subscriptions
        .unwrap();
    let mut protocols: Vec<&str> = subs.iter().filter_map(|s| s.protocol()).collect();
    protocols.sort();
    assert_eq!(protocols, ["email", "sqs"]);

    // Fan-out delivers the raw message; after two receives without a
    // delete it lands in the dead-letter queue.
    ctx.sns()
        .publish()
        .topic_arn(&topic)
        .message("order 42 created")
        .send()
        .await
        .unwrap();
    assert_eq!(receive(&ctx, &url).await, ["order 42 created"]);
    assert_eq!(receive(&ctx, &url).await, ["order 42 created"]);
    assert!(receive(&ctx, &url).await.is_empty());
    let dlq = queue_url(&ctx, "msgs-dev-jobs-dlq").await;
    assert_eq!(receive(&ctx, &dlq).await, ["order 42 created"]);

    // The service may publish to the topic and consume the queue, nothing more.
    let role = p.recorded_id("iam_role.web-task");
    let doc = ctx
        .iam()
        .get_role_policy()
        .role_name(&role)
        .policy_name("data")
        .send()
        .await
        .unwrap()
        .policy_document;
    let doc: Value =
        serde_json::from_str(&urlencoding_decode(&doc)).unwrap_or_else(|e| panic!("{e}: {doc}"));
    let queue_arn = p.recorded_id("sqs_queue.jobs");
    for st in doc["Statement"].as_array().unwrap() {
        let res = st["Resource"].to_string();
        assert!(!res.contains("\"*\""), "no `*` resource: {st}");
        match st["Sid"].as_str().unwrap() {
            "TopicOrders" => assert_eq!(st["Resource"], serde_json::json!([topic])),
            "QueueJobs" => {
                assert_eq!(st["Resource"], serde_json::json!([queue_arn]));
                assert!(!st["Action"].to_string().contains("SendMessage"), "{st}");
            }
            "StackKey" => {}
            other => panic!("unexpected statement {other}"),
        }
    }
    let env = p
        .gantry(&["state", "show", "ecs_task_definition.web"])
        .json();
    let env = &env["props"]["containers"][0]["environment"];
    let outputs = p.gantry(&["output", "--json"]).json();
    assert_eq!(
        env["JOBS_QUEUE_URL"], outputs["sqs_queue.jobs.url"],
        "{outputs}"
    );
    assert!(env["JOBS_QUEUE_URL"]
        .as_str()
        .unwrap()
        .ends_with("/msgs-dev-jobs"));

    p.gantry(&["destroy", "--yes"]).assert_code(0);
    let left = ctx
        .sqs()
        .list_queues()
        .queue_name_prefix("msgs-dev")
        .send()
        .await
        .unwrap()
        .queue_urls
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
    let inv = gantry_aws::inventory::stack_resources(&ctx, "msgs", "dev")
        .await
        .unwrap();
    assert!(inv.is_empty(), "left behind: {inv:?}");
}

/// IAM returns policy documents URL-encoded.
fn urlencoding_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

const JOBS: &str = "
jobs:
  nightly:
    schedule: cron(0 3 * * ? *)
    timezone: Europe/Paris
    containers:
      main:
        image: public.ecr.aws/docker/library/python:3.12-alpine
        command: [python, -c, \"print('cleaned')\"]
  orders:
    on: {source: [com.shop.orders], detail_type: [Order Created]}
    retries: 4
    containers:
      main:
        image: public.ecr.aws/docker/library/python:3.12-alpine
";

async fn role_policy(ctx: &AwsContext, role: &str, name: &str) -> Value {
    let doc = ctx
        .iam()
        .get_role_policy()
        .role_name(role)
        .policy_name(name)
        .send()
        .await
        .unwrap()
        .policy_document;
    serde_json::from_str(&urlencoding_decode(&doc)).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn jobs_on_a_schedule_and_on_events_and_run_now() {
    let spec = std::fs::read_to_string(format!("{}/examples/minimal.yaml", support::ROOT))
        .unwrap()
        .replace("name: minimal", "name: jobs")
        .replacen("\nenvironments:\n", &format!("{JOBS}\nenvironments:\n"), 1);
    let p = Project::new(&spec).keyed("jobs");
    support::emulator_env();
    support::faults::profile(p.key(), 33, 0.15, 0.15);
    let ctx = AwsContext::load(Some("us-east-1".into())).await.unwrap();
    p.gantry(&["up", "--yes"]).assert_code(0);
    support::faults::reset(p.key());
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);

    // The schedule: in the stack's group, running exactly the job's task
    // definition family (its newest revision: what a deploy registers) in
    // the private subnets, with retries and a DLQ.
    let task_def = p.recorded_id("ecs_task_definition.nightly");
    let family = task_def.rsplit_once(':').unwrap().0.to_string();
    assert!(
        family.ends_with(":task-definition/jobs-dev-nightly"),
        "{family}"
    );
    let s = ctx
        .scheduler()
        .get_schedule()
        .group_name("jobs-dev")
        .name("nightly")
        .send()
        .await
        .unwrap();
    assert_eq!(s.schedule_expression(), Some("cron(0 3 * * ? *)"));
    assert_eq!(s.schedule_expression_timezone(), Some("Europe/Paris"));
    let t = s.target().unwrap();
    let ecs = t.ecs_parameters().unwrap();
    assert_eq!(ecs.task_definition_arn(), family);
    let vpc = ecs
        .network_configuration()
        .unwrap()
        .awsvpc_configuration()
        .unwrap();
    assert_eq!(
        vpc.security_groups(),
        [p.recorded_id("security_group.job-nightly")]
    );
    assert_eq!(vpc.subnets().len(), 2);
    assert_eq!(t.retry_policy().unwrap().maximum_retry_attempts(), Some(2));
    assert!(t
        .dead_letter_config()
        .unwrap()
        .arn()
        .unwrap()
        .ends_with(":jobs-dev-job-nightly-dlq"));
    let role = p.recorded_id("iam_role.nightly-scheduler");
    let doc = role_policy(&ctx, &role, "run").await;
    // Any revision of exactly that family.
    assert_eq!(
        doc["Statement"][0]["Resource"],
        serde_json::json!([format!("{family}:*")])
    );
    assert_eq!(
        doc["Statement"][1]["Resource"],
        serde_json::json!([
            p.gantry(&["output", "iam_role.nightly-execution.arn"])
                .stdout()
                .trim(),
            p.gantry(&["output", "iam_role.nightly-task.arn"])
                .stdout()
                .trim()
        ])
    );
    assert!(!doc.to_string().contains("\"*\""), "{doc}");

    // The rule: its pattern, its task, and its DLQ admits exactly it.
    let rule = ctx
        .events()
        .describe_rule()
        .name("jobs-dev-orders")
        .send()
        .await
        .unwrap();
    let pattern: Value = serde_json::from_str(rule.event_pattern().unwrap()).unwrap();
    assert_eq!(pattern["detail-type"], serde_json::json!(["Order Created"]));
    let targets = ctx
        .events()
        .list_targets_by_rule()
        .rule("jobs-dev-orders")
        .send()
        .await
        .unwrap()
        .targets
        .unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(
        targets[0].retry_policy().unwrap().maximum_retry_attempts(),
        Some(4)
    );
    let dlq = queue_url(&ctx, "jobs-dev-job-orders-dlq").await;
    let attrs = ctx
        .sqs()
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(A::Policy)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    let policy: Value = serde_json::from_str(&attrs[&A::Policy]).unwrap();
    assert_eq!(
        policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"],
        serde_json::json!([rule.arn().unwrap()])
    );

    // `gantry run` starts one now and follows it to its end.
    let run = p.gantry(&["run", "nightly", "--timeout", "2m"]);
    run.assert_code(0);
    let err = run.stderr();
    assert!(
        err.contains("nightly: started task") && err.contains("nightly: STOPPED"),
        "{err}"
    );
    assert!(err.contains("nightly: exit code 0"), "{err}");
    let tasks = ctx
        .ecs()
        .list_tasks()
        .cluster("jobs-dev")
        .started_by("gantry-run")
        .desired_status(gantry_aws::aws_sdk_ecs::types::DesiredStatus::Stopped)
        .send()
        .await
        .unwrap();
    let running = ctx
        .ecs()
        .list_tasks()
        .cluster("jobs-dev")
        .started_by("gantry-run")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tasks.task_arns().len() + running.task_arns().len(),
        1,
        "exactly one run"
    );
    let unknown = p.gantry(&["run", "nope"]);
    unknown.assert_code(1);
    assert!(
        unknown.stderr().contains("its jobs: nightly, orders"),
        "{}",
        unknown.stderr()
    );

    p.gantry(&["destroy", "--yes"]).assert_code(0);
    let inv = gantry_aws::inventory::stack_resources(&ctx, "jobs", "dev")
        .await
        .unwrap();
    assert!(inv.is_empty(), "left behind: {inv:?}");
    assert!(ctx
        .events()
        .describe_rule()
        .name("jobs-dev-orders")
        .send()
        .await
        .is_err());
    assert!(ctx
        .scheduler()
        .get_schedule_group()
        .name("jobs-dev")
        .send()
        .await
        .is_err());
}

/// A worker the web service uses, found by name through Cloud Map.
const WORKER: &str = "  worker:
    containers:
      app:
        image: public.ecr.aws/docker/library/python:3.12-alpine
        command: [\"python\", \"-m\", \"http.server\", \"9000\"]
        port: 9000
";

/// Seed 004's service discovery, behind faults, checked through the AWS
/// APIs: the private DNS namespace of the stack's VPC, the worker's Cloud
/// Map service with its tasks registered by ECS, the security group rule
/// admitting the web service's client group on the worker's port only, and
/// the variables the web service gets; then a spec that no longer uses the
/// worker removes it all (the ECS service leaves its registry first), and
/// `destroy` leaves nothing.
#[tokio::test(flavor = "multi_thread")]
async fn services_find_the_services_they_use_through_cloud_map() {
    let base = std::fs::read_to_string(format!("{}/examples/minimal.yaml", support::ROOT))
        .unwrap()
        .replace("name: minimal", "name: disc")
        .replacen(
            "\nenvironments:\n",
            &format!("{WORKER}\nenvironments:\n"),
            1,
        );
    let spec = base.replacen(
        "    desired_count: 2\n",
        "    desired_count: 2\n    uses: [worker]\n",
        1,
    );
    let p = Project::new(&spec).keyed("disc");
    support::emulator_env();
    support::faults::profile(p.key(), 31, 0.15, 0.15);
    let ctx = AwsContext::load(Some("us-east-1".into())).await.unwrap();
    p.gantry(&["up", "--yes"]).assert_code(0);
    support::faults::reset(p.key());
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    let sd = ctx.servicediscovery();

    // The namespace: private DNS, named for the stack and environment.
    let ns_id = p.recorded_id("servicediscovery_private_dns_namespace.main");
    let ns = sd
        .get_namespace()
        .id(&ns_id)
        .send()
        .await
        .unwrap()
        .namespace
        .unwrap();
    assert_eq!(ns.name(), Some("disc-dev.internal"));
    assert_eq!(ns.r#type().map(|t| t.as_str()), Some("DNS_PRIVATE"));

    // The worker's Cloud Map service: A records, MULTIVALUE, 10 s, ECS health.
    let listed = sd.list_services().send().await.unwrap().services.unwrap();
    let ours: Vec<_> = listed
        .iter()
        .filter(|s| s.name() == Some("worker"))
        .filter(|s| s.id() == Some(p.recorded_id("servicediscovery_service.worker").as_str()))
        .collect();
    assert_eq!(ours.len(), 1, "{listed:?}");
    let svc = sd
        .get_service()
        .id(ours[0].id().unwrap())
        .send()
        .await
        .unwrap()
        .service
        .unwrap();
    assert_eq!(svc.namespace_id(), Some(ns_id.as_str()));
    let dns = svc.dns_config().unwrap();
    assert_eq!(dns.routing_policy().map(|r| r.as_str()), Some("MULTIVALUE"));
    assert_eq!(dns.dns_records()[0].r#type().as_str(), "A");
    assert_eq!(dns.dns_records()[0].ttl(), 10);
    assert!(svc.health_check_custom_config().is_some());

    // ECS registers the worker's task there, with an IP of a private subnet.
    let cluster = p.recorded_id("ecs_cluster.main");
    let describe = |name: &'static str| {
        let ecs = ctx.ecs().clone();
        let cluster = cluster.clone();
        async move {
            ecs.describe_services()
                .cluster(cluster)
                .services(name)
                .send()
                .await
                .unwrap()
                .services
                .unwrap()
                .remove(0)
        }
    };
    let worker = describe("worker").await;
    let registries: Vec<&str> = worker
        .service_registries()
        .iter()
        .filter_map(|r| r.registry_arn())
        .collect();
    assert_eq!(registries, [svc.arn().unwrap()]);
    assert!(describe("web").await.service_registries().is_empty());
    let instances = sd
        .list_instances()
        .service_id(svc.id().unwrap())
        .send()
        .await
        .unwrap()
        .instances
        .unwrap();
    assert_eq!(
        instances.len(),
        1,
        "dev runs one worker task: {instances:?}"
    );
    let ip = &instances[0].attributes().unwrap()["AWS_INSTANCE_IPV4"];
    assert!(ip.starts_with("10.0."), "{ip}");

    // The worker admits the web service's client group on 9000 only.
    let client = p.recorded_id("security_group.client-web");
    let web_sgs = describe("web")
        .await
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .map(|v| v.security_groups().to_vec())
        .unwrap();
    assert!(web_sgs.contains(&client), "{web_sgs:?}");
    let worker_sg = ctx
        .ec2()
        .describe_security_groups()
        .group_ids(p.recorded_id("security_group.svc-worker"))
        .send()
        .await
        .unwrap()
        .security_groups
        .unwrap()
        .remove(0);
    let rules: Vec<(i32, i32, Vec<&str>)> = worker_sg
        .ip_permissions()
        .iter()
        .map(|r| {
            (
                r.from_port().unwrap_or_default(),
                r.to_port().unwrap_or_default(),
                r.user_id_group_pairs()
                    .iter()
                    .filter_map(|g| g.group_id())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(rules, [(9000, 9000, vec![client.as_str()])]);

    // What the web service's containers get.
    let td = p
        .gantry(&["state", "show", "ecs_task_definition.web"])
        .json();
    let env = &td["props"]["containers"][0]["environment"];
    assert_eq!(env["WORKER_HOST"], "worker.disc-dev.internal");
    assert_eq!(env["WORKER_PORT"], "9000");
    assert_eq!(env["WORKER_URL"], "http://worker.disc-dev.internal:9000");

    // No longer used: the worker leaves its registry, which goes, and the
    // namespace with it.
    p.edit(|_| base.clone());
    p.gantry(&["up", "--yes"]).assert_code(0);
    assert!(describe("worker").await.service_registries().is_empty());
    let left = sd
        .list_namespaces()
        .send()
        .await
        .unwrap()
        .namespaces
        .unwrap();
    assert!(
        !left.iter().any(|n| n.id() == Some(ns_id.as_str())),
        "{left:?}"
    );

    // Used again, then destroyed: nothing is left.
    p.edit(|_| spec.clone());
    p.gantry(&["up", "--yes"]).assert_code(0);
    p.gantry(&["destroy", "--yes"]).assert_code(0);
    let inv = gantry_aws::inventory::stack_resources(&ctx, "disc", "dev")
        .await
        .unwrap();
    assert!(inv.is_empty(), "left behind: {inv:?}");
    let left = sd
        .list_namespaces()
        .send()
        .await
        .unwrap()
        .namespaces
        .unwrap();
    assert!(
        !left.iter().any(|n| n.name() == Some("disc-dev.internal")),
        "{left:?}"
    );
}
