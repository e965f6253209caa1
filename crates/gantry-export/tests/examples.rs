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
