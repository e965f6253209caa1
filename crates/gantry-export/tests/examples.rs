//! Every example in every environment exports to a template that stands on
//! its own: no Gantry reference left, every `Ref`, `Fn::GetAtt`, `Fn::Sub`
//! and `DependsOn` names something in it, no dependency cycle, ids
//! alphanumeric, the `gantry:*` tags on every taggable address, and every
//! address either in the template or named in a note. One example's
//! template is snapshotted.

use gantry_core::{kind_meta, kinds, DesiredGraph};
use gantry_export::{cloudformation, Context, Export, NoteKind};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const EXAMPLES: &[&str] = &[
    "minimal",
    "fastapi-rds",
    "agent-platform",
    "astro",
    "reviewguide",
    "saas-platform",
];

fn export(example: &str, env: &str) -> (DesiredGraph, Export) {
    let path = Path::new(ROOT).join(format!("examples/{example}.yaml"));
    let model = gantry_model::load(&path, env).expect("the example models");
    let graph = gantry_architect::architect(&model).expect("the example architects");
    let ctx = Context {
        stack: model.stack.clone(),
        env: model.env.clone(),
        region: model.region.clone(),
    };
    let e = cloudformation(&graph, &ctx).unwrap_or_else(|e| panic!("{example}/{env}: {e}"));
    (graph, e)
}

fn environments(example: &str) -> Vec<String> {
    let path = Path::new(ROOT).join(format!("examples/{example}.yaml"));
    gantry_spec::load_file(path).unwrap().environment_names()
}

/// Logical ids (and pseudo parameters) a value refers to.
fn targets(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(id)) = m.get("Ref") {
                out.insert(id.clone());
            }
            if let Some(Value::Array(a)) = m.get("Fn::GetAtt") {
                out.insert(a[0].as_str().unwrap().to_string());
            }
            if let Some(sub) = m.get("Fn::Sub") {
                let pattern = match sub {
                    Value::String(s) => s.as_str(),
                    Value::Array(a) => a[0].as_str().unwrap(),
                    _ => panic!("odd Fn::Sub {sub}"),
                };
                for part in pattern.split("${").skip(1) {
                    let name = part.split('}').next().unwrap();
                    out.insert(name.split('.').next().unwrap().to_string());
                }
            }
            m.values().for_each(|x| targets(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| targets(x, out)),
        _ => {}
    }
}

fn check(example: &str, env: &str, graph: &DesiredGraph, e: &Export) {
    let t = &e.template;
    let what = format!("{example}/{env}");
    let text = t.to_string();
    assert!(
        !text.contains("${ref:"),
        "{what}: a Gantry reference is left"
    );
    let resources = t["Resources"].as_object().unwrap();
    let params: BTreeSet<String> = t
        .get("Parameters")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let known =
        |id: &str| resources.contains_key(id) || params.contains(id) || id.starts_with("AWS::");
    let mut edges: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (id, r) in resources {
        assert!(
            id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{what}: id {id}"
        );
        let mut to = BTreeSet::new();
        targets(&r["Properties"], &mut to);
        for d in r["DependsOn"].as_array().into_iter().flatten() {
            to.insert(d.as_str().unwrap().to_string());
        }
        for x in &to {
            assert!(
                known(x),
                "{what}: {id} refers to {x}, which is not in the template"
            );
        }
        edges.insert(
            id,
            to.into_iter()
                .filter(|x| resources.contains_key(x))
                .collect(),
        );
    }
    // No cycle: CloudFormation refuses one.
    let mut done: BTreeSet<&str> = BTreeSet::new();
    while done.len() < edges.len() {
        let ready: Vec<&str> = edges
            .iter()
            .filter(|(id, to)| !done.contains(**id) && to.iter().all(|x| done.contains(x.as_str())))
            .map(|(id, _)| *id)
            .collect();
        assert!(
            !ready.is_empty(),
            "{what}: dependency cycle among {:?}",
            edges
                .keys()
                .filter(|k| !done.contains(**k))
                .collect::<Vec<_>>()
        );
        done.extend(ready);
    }
    // Every address is in the template (tagged when Gantry tags it), a
    // parameter, or folded into another resource with a note.
    for (addr, r) in &graph.resources {
        let id = gantry_export::logical::candidate(addr);
        if let Some(res) = resources.get(&id) {
            if kind_meta(&r.kind).unwrap().taggable {
                let tags = res["Properties"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .find(|(k, _)| {
                        [
                            "Tags",
                            "HostedZoneTags",
                            "FileSystemTags",
                            "AccessPointTags",
                            "UserPoolTags",
                        ]
                        .contains(&k.as_str())
                    })
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_else(|| panic!("{what}: {addr} has no tags"));
                for tag in [
                    "\"gantry:address\"".to_string(),
                    format!("\"{}\"", addr.as_str()),
                    "\"gantry:stack\"".to_string(),
                    "\"gantry:env\"".to_string(),
                    format!("\"{env}\""),
                ] {
                    assert!(tags.contains(&tag), "{what}: {addr} lacks {tag} in {tags}");
                }
            }
        } else if params.contains(&id) {
            assert!(e
                .notes
                .iter()
                .any(|n| &n.address == addr && n.kind == NoteKind::Parameter));
        } else {
            assert!(
                e.notes.iter().any(|n| &n.address == addr
                    && matches!(n.kind, NoteKind::Folded | NoteKind::NotExported)),
                "{what}: {addr} is neither in the template nor noted"
            );
        }
    }
    // The notes are in the template too.
    assert_eq!(
        t["Metadata"]["Gantry"]["Notes"].as_array().unwrap().len(),
        e.notes.len()
    );
}

#[test]
fn every_example_in_every_environment_stands_on_its_own() {
    let mut kinds_seen = BTreeSet::new();
    for example in EXAMPLES {
        for env in environments(example) {
            let (graph, e) = export(example, &env);
            check(example, &env, &graph, &e);
            kinds_seen.extend(graph.resources.values().map(|r| r.kind.clone()));
        }
    }
    // The examples cover most kinds; the rest have unit tests of their own.
    let missing: Vec<_> = kinds::ALL
        .iter()
        .filter(|k| !kinds_seen.contains(**k))
        .collect();
    assert!(
        missing.len() <= 8,
        "kinds no example exercises: {missing:?}"
    );
}

#[test]
fn agent_platform_dev_template() {
    let (_, e) = export("agent-platform", "dev");
    insta::assert_json_snapshot!("agent_platform_dev", e.template);
}

/// The resources of `e` of CloudFormation type `ty`.
fn of_type<'a>(e: &'a Export, ty: &str) -> Vec<(&'a String, &'a Value)> {
    e.template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .collect()
}

/// Operating resources: scheduled actions ride on their target, a
/// metric-math alarm carries its queries, the dashboard's body joins in the
/// load balancer's full name.
#[test]
fn alarms_dashboard_and_scaling_are_exported() {
    let (graph, e) = export("fastapi-rds", "dev");
    let targets = of_type(&e, "AWS::ApplicationAutoScaling::ScalableTarget");
    assert_eq!(targets.len(), 1);
    let props = &targets[0].1["Properties"];
    let scheduled = graph
        .resources
        .values()
        .filter(|r| r.kind == kinds::APPAUTOSCALING_SCHEDULED_ACTION)
        .count();
    assert!(scheduled > 0);
    assert_eq!(
        props["ScheduledActions"].as_array().unwrap().len(),
        scheduled
    );
    assert_eq!(props["ResourceId"]["Fn::Join"][1][0], "service/");
    let policy = &of_type(&e, "AWS::ApplicationAutoScaling::ScalingPolicy")[0].1["Properties"];
    assert_eq!(
        policy["ScalingTargetId"],
        serde_json::json!({"Ref": targets[0].0})
    );
    let math = of_type(&e, "AWS::CloudWatch::Alarm")
        .into_iter()
        .find(|(_, a)| a["Properties"]["Metrics"].is_array())
        .expect("a metric-math alarm");
    let queries = math.1["Properties"]["Metrics"].as_array().unwrap();
    assert!(queries
        .iter()
        .any(|q| q["Expression"] == "desired - running"));
    assert!(math.1["Properties"]["MetricName"].is_null());
    let dash = &of_type(&e, "AWS::CloudWatch::Dashboard")[0].1["Properties"]["DashboardBody"];
    let parts = dash["Fn::Join"][1]
        .as_array()
        .expect("joined with references");
    assert!(parts
        .iter()
        .any(|p| p["Fn::GetAtt"][1] == "LoadBalancerFullName"));
    let text: String = parts.iter().filter_map(Value::as_str).collect();
    assert!(
        text.starts_with("{\"") && text.contains("\"widgets\""),
        "{text}"
    );
}

/// Seed 004's platform: the queue admits exactly its topic, the jobs run on
/// ECS from their schedule and rule, routes require the Cognito token but
/// the one opened with `auth: none`, the identity's DKIM names feed the
/// records.
#[test]
fn platform_services_are_exported() {
    let (_, e) = export("saas-platform", "dev");
    let policies = of_type(&e, "AWS::SQS::QueuePolicy");
    let policy = policies
        .iter()
        .map(|(_, p)| &p["Properties"]["PolicyDocument"])
        .find(|d| d["Statement"][0]["Sid"] == "TopicsSend")
        .expect("the jobs queue admits its topic");
    let topic = of_type(&e, "AWS::SNS::Topic")
        .into_iter()
        .find(|(id, _)| id.contains("Orders"))
        .unwrap()
        .0;
    assert_eq!(
        policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"],
        serde_json::json!([{"Ref": topic}])
    );
    let schedule = &of_type(&e, "AWS::Scheduler::Schedule")[0].1["Properties"];
    assert_eq!(schedule["ScheduleExpressionTimezone"], "Europe/Paris");
    assert_eq!(
        schedule["Target"]["EcsParameters"]["NetworkConfiguration"]["AwsvpcConfiguration"]
            ["AssignPublicIp"],
        "DISABLED"
    );
    let rule = &of_type(&e, "AWS::Events::Rule")[0].1["Properties"];
    assert_eq!(
        rule["EventPattern"]["source"],
        serde_json::json!(["com.saas.orders"])
    );
    assert!(rule["Targets"][0]["DeadLetterConfig"]["Arn"].is_object());
    let routes = of_type(&e, "AWS::ApiGatewayV2::Route");
    assert!(!routes.is_empty());
    for (id, r) in routes {
        assert_eq!(r["Properties"]["AuthorizationType"], "JWT", "{id}");
        assert!(r["Properties"]["AuthorizerId"]["Ref"].is_string(), "{id}");
    }
    let auth = &of_type(&e, "AWS::ApiGatewayV2::Authorizer")[0].1["Properties"];
    assert!(auth["JwtConfiguration"]["Issuer"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .starts_with("https://cognito-idp."));
    let records = of_type(&e, "AWS::Route53::RecordSet");
    assert!(records
        .iter()
        .any(|(_, r)| r["Properties"]["Name"]["Fn::GetAtt"][1] == "DkimDNSTokenName1"));
    assert!(!e.template.to_string().contains("not exported yet"));
}
