//! What starts a job's task: an EventBridge Scheduler schedule (in the
//! stack's schedule group) for `schedule`, an EventBridge rule for `on`,
//! each with a role allowed to run exactly that task definition on the
//! stack's cluster and pass exactly its two roles, retries, and a
//! dead-letter queue (encrypted with the stack key) for runs that could
//! not start. A job with neither runs only with `gantry run`.

use crate::common::{stack_key_arn, Task};
use crate::naming::short_name;
use crate::network::{ids, Net};
use crate::routing::Routing;
use crate::Graph;
use gantry_core::kinds::{self, *};
use gantry_core::{reference, Address, Resource};
use gantry_model::{Capacity, Job, Model, MAX_RETENTION_DAYS};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The schedule group of the stack's schedules.
pub const GROUP: &str = "main";

fn role(name: String, description: String, service: &str, statements: Vec<Value>) -> IamRole {
    IamRole {
        name,
        description,
        assume_role_service: service.into(),
        trust_policy: None,
        inline_policies: BTreeMap::from([(
            "run".to_string(),
            json!({"Version": "2012-10-17", "Statement": statements}),
        )]),
    }
}

/// The statements both triggers need: run exactly this task definition's
/// family on this cluster (its newest revision, which a deploy of new
/// images registers), and pass exactly its roles to ECS tasks.
fn run_statements(cluster: &Address, t: &Task) -> Vec<Value> {
    vec![
        json!({
            "Sid": "RunTask",
            "Effect": "Allow",
            "Action": ["ecs:RunTask"],
            "Resource": [reference(&t.task, "any_revision_arn")],
            "Condition": {"ArnEquals": {"ecs:cluster": reference(cluster, "arn")}},
        }),
        json!({
            "Sid": "PassRoles",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": [reference(&t.execution_role, "arn"), reference(&t.task_role, "arn")],
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        }),
    ]
}

pub(crate) fn build(
    m: &Model,
    net: &Net,
    routing: &Routing,
    j: &Job,
    cluster: &Address,
    t: &Task,
    g: &mut Graph,
) {
    if j.schedule.is_none() && j.on.is_none() {
        return;
    }
    let prefix = m.prefix();
    let name = j.name();
    let key = stack_key_arn(m).expect("a triggered job needs the stack key");
    let rule_name = short_name(&format!("{prefix}-{name}"), 64);
    let dlq = g.add(Resource::new(
        kinds::SQS_QUEUE,
        &format!("job-{name}-dlq"),
        &SqsQueue {
            name: short_name(&format!("{prefix}-job-{name}-dlq"), 80),
            fifo: false,
            visibility_timeout_seconds: 30,
            message_retention_seconds: (MAX_RETENTION_DAYS * 86_400) as i32,
            kms_key_id: key.clone(),
            redrive: None,
            sender_topic_arns: Vec::new(),
            sender_rule_names: if j.on.is_some() {
                vec![rule_name.clone()]
            } else {
                Vec::new()
            },
        },
    ));
    let target = |role: &Address| EcsTaskTarget {
        cluster_arn: reference(cluster, "arn"),
        // The family: ECS runs its newest active revision, so `gantry
        // deploy` of new images changes neither the schedule nor the rule.
        task_definition_arn: reference(&t.task, "family_arn"),
        role_arn: reference(role, "arn"),
        subnet_ids: ids(&net.private_subnets),
        security_group_ids: routing.task_sgs(name),
        capacity_provider: match j.task.capacity {
            Capacity::Fargate => "FARGATE".into(),
            Capacity::FargateSpot => "FARGATE_SPOT".into(),
        },
        dead_letter_arn: reference(&dlq, "arn"),
        maximum_retry_attempts: j.retries as i32,
    };
    // Runs of an image not built yet fail: say so on the trigger.
    let unbuilt_note = (!t.unbuilt.is_empty()).then(|| {
        format!(
            "its runs fail (to the dead-letter queue) until the first `gantry deploy --build` pushes an image for {}",
            t.unbuilt.join(", ")
        )
    });
    let noted = |r: Resource| match &unbuilt_note {
        Some(n) => r.with_note(n.clone()),
        None => r,
    };
    if let Some(expr) = &j.schedule {
        // Scheduler sends what it could not start with the role itself.
        let mut statements = run_statements(cluster, t);
        statements.push(json!({
            "Sid": "DeadLetters",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": [reference(&dlq, "arn")],
        }));
        statements.push(json!({
            "Sid": "StackKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": [key.clone()],
        }));
        let r = g.add(Resource::new(
            kinds::IAM_ROLE,
            &format!("{name}-scheduler"),
            &role(
                short_name(&format!("{prefix}-{name}-scheduler"), 64),
                format!("EventBridge Scheduler: run job {name}"),
                "scheduler.amazonaws.com",
                statements,
            ),
        ));
        let group = g.add(Resource::new(
            kinds::SCHEDULER_SCHEDULE_GROUP,
            GROUP,
            &SchedulerScheduleGroup {
                name: short_name(&prefix, 64),
            },
        ));
        g.add(noted(Resource::new(
            kinds::SCHEDULER_SCHEDULE,
            name,
            &SchedulerSchedule {
                name: name.to_string(),
                group_name: reference(&group, "name"),
                description: format!("Gantry {} ({}): job {name}", m.stack, m.env),
                schedule_expression: expr.clone(),
                timezone: j.timezone.clone(),
                target: target(&r),
            },
        )));
    }
    if let Some(on) = &j.on {
        let r = g.add(Resource::new(
            kinds::IAM_ROLE,
            &format!("{name}-events"),
            &role(
                short_name(&format!("{prefix}-{name}-events"), 64),
                format!("EventBridge rule: run job {name}"),
                "events.amazonaws.com",
                run_statements(cluster, t),
            ),
        ));
        let mut pattern = json!({ "source": on.source });
        if !on.detail_type.is_empty() {
            pattern["detail-type"] = json!(on.detail_type);
        }
        g.add(noted(Resource::new(
            kinds::EVENTS_RULE,
            name,
            &EventsRule {
                name: rule_name,
                description: format!("Gantry {} ({}): job {name}", m.stack, m.env),
                event_pattern: pattern,
                target: target(&r),
            },
        )));
    }
}
