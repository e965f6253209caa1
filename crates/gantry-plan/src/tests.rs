//! Diff-rule tests and rendering snapshots.

use super::*;
use gantry_core::{kinds, reference, KindMeta, Resource};
use gantry_state::ResourceState;
use serde_json::json;

static DB: KindMeta = KindMeta {
    kind: "db_instance",
    service: "rds",
    force_new: &["engine"],
    unordered: &[],
    secret: &["password"],
    create_before_destroy: false,
    keep_previous: 0,
    data: true,
    taggable: true,
    noun: "database",
};

fn meta(k: &str) -> Option<&'static KindMeta> {
    if k == "db_instance" {
        Some(&DB)
    } else {
        gantry_core::kind_meta(k)
    }
}

fn obj(v: Value) -> Props {
    v.as_object().unwrap().clone()
}

fn res(kind: &str, name: &str, props: Value) -> Resource {
    Resource::new(kind, name, &props)
}

fn vpc() -> Address {
    Address::of(kinds::VPC, "main")
}

fn desired() -> DesiredGraph {
    let mut g = DesiredGraph::new();
    g.add(res(
        kinds::VPC,
        "main",
        json!({"name": "app", "cidr_block": "10.0.0.0/16", "tags": {}}),
    ))
    .unwrap();
    g.add(res(
        kinds::SUBNET,
        "a",
        json!({"name": "a", "vpc_id": reference(&vpc(), "id"), "cidr_block": "10.0.1.0/24", "map_public_ip_on_launch": false}),
    ))
    .unwrap();
    g.add(res(
        kinds::SECURITY_GROUP,
        "web",
        json!({"name": "web", "description": "web", "vpc_id": reference(&vpc(), "id"), "ingress": [], "egress": []}),
    ))
    .unwrap();
    g
}

fn empty_state() -> State {
    let mut s = State::new("app", "dev");
    s.lineage = "00000000-0000-0000-0000-000000000000".into();
    s
}

/// The state a successful apply of `g` would leave (ids `<name>-id`).
fn applied(g: &DesiredGraph) -> State {
    let mut s = empty_state();
    for a in g.topo_order().unwrap() {
        let r = &g.resources[&a];
        let (v, missing) = resolve(&Value::Object(r.props.clone()), &|rf: &Ref| {
            s.output(&rf.address, &rf.attr).cloned()
        });
        assert!(missing.0.is_empty());
        let id = format!("{}-id", a.name());
        let props = gantry_state::document::redact(meta, &r.kind, v.as_object().unwrap());
        s.resources.insert(
            a.clone(),
            ResourceState {
                kind: r.kind.clone(),
                id: id.clone(),
                props,
                outputs: obj(json!({"id": id})),
                dependencies: r.dependencies().into_iter().collect(),
                status: Status::Ok,
                deposed: vec![],
            },
        );
    }
    s
}

fn p(g: &DesiredGraph, s: &State) -> Plan {
    plan_with(g, s, &Refreshed::none(), meta).unwrap()
}

#[test]
fn empty_state_creates_everything_with_unknown_references() {
    let g = desired();
    let plan = p(&g, &empty_state());
    assert_eq!(plan.summary.add, 3);
    let sub = plan.get(&Address::of(kinds::SUBNET, "a")).unwrap();
    let vpc_id = sub.changes.iter().find(|c| c.field == "vpc_id").unwrap();
    assert!(vpc_id.unknown && vpc_id.after.is_none());
    // Empty maps are not shown as fields being set.
    let v = plan.get(&vpc()).unwrap();
    assert!(v.changes.iter().all(|c| c.field != "tags"));
}

#[test]
fn applied_state_plans_no_changes() {
    let g = desired();
    let plan = p(&g, &applied(&g));
    assert!(!plan.has_changes(), "{plan:#?}");
    assert_eq!(plan.summary.no_op, 3);
    assert!(render_text(&plan, false).starts_with("No changes."));
}

#[test]
fn missing_empty_and_null_are_the_same() {
    let g = desired();
    let mut s = applied(&g);
    let sg = s
        .resources
        .get_mut(&Address::of(kinds::SECURITY_GROUP, "web"))
        .unwrap();
    sg.props.remove("ingress");
    sg.props.insert("egress".into(), Value::Null);
    sg.props.insert("extra".into(), json!({"a": [], "b": null}));
    assert!(!p(&g, &s).has_changes());
    assert_eq!(
        normalize(&json!({"a": {"b": []}, "c": [1, {}]})),
        json!({"c": [1, {}]})
    );
}

#[test]
fn changed_plain_field_updates_in_place() {
    let mut g = desired();
    let s = applied(&g);
    let sub = Address::of(kinds::SUBNET, "a");
    g.resources.get_mut(&sub).unwrap().props["map_public_ip_on_launch"] = json!(true);
    let plan = p(&g, &s);
    let a = plan.get(&sub).unwrap();
    assert_eq!(a.action, Action::Update);
    assert_eq!(a.changes.len(), 1);
    assert_eq!(a.changes[0].before, Some(json!(false)));
    assert_eq!(a.changes[0].after, Some(json!(true)));
    assert_eq!(plan.summary.change, 1);
}

#[test]
fn force_new_change_replaces_and_propagates_unknowns() {
    let mut g = desired();
    let s = applied(&g);
    g.resources.get_mut(&vpc()).unwrap().props["cidr_block"] = json!("10.1.0.0/16");
    let plan = p(&g, &s);
    let v = plan.get(&vpc()).unwrap();
    assert_eq!(v.action, Action::Replace);
    assert_eq!(v.replace_fields, vec!["cidr_block"]);
    // subnet.vpc_id is force-new and now unknown: the subnet is replaced too.
    let sub = plan.get(&Address::of(kinds::SUBNET, "a")).unwrap();
    assert_eq!(sub.action, Action::Replace);
    assert_eq!(sub.replace_fields, vec!["vpc_id"]);
    assert!(sub.changes[0].unknown);
    assert_eq!(plan.summary.replace, 3);
}

#[test]
fn unknown_reference_in_plain_field_is_an_update() {
    let mut g = desired();
    g.add(res(
        kinds::ECS_SERVICE,
        "web",
        json!({"name": "web", "cluster_arn": "c", "security_group_ids": [reference(&Address::of(kinds::SECURITY_GROUP, "web"), "id")]}),
    ))
    .unwrap();
    let s = applied(&g);
    g.resources
        .get_mut(&Address::of(kinds::SECURITY_GROUP, "web"))
        .unwrap()
        .props["description"] = json!("changed");
    let plan = p(&g, &s);
    let svc = plan.get(&Address::of(kinds::ECS_SERVICE, "web")).unwrap();
    assert_eq!(svc.action, Action::Update);
    assert!(svc.changes[0].unknown && !svc.changes[0].forces_replacement);
}

#[test]
fn undesired_resources_are_deleted_with_recorded_dependencies() {
    let g = desired();
    let s = applied(&g);
    let mut smaller = g.clone();
    smaller.resources.remove(&Address::of(kinds::SUBNET, "a"));
    let plan = p(&smaller, &s);
    let d = plan.get(&Address::of(kinds::SUBNET, "a")).unwrap();
    assert_eq!(d.action, Action::Delete);
    assert_eq!(d.dependencies, vec![vpc()]);
    assert_eq!(plan.summary.destroy, 1);
    let all = plan_destroy_with(&s, meta);
    assert_eq!(all.summary.destroy, 3);
    assert!(all.destroy);
}

#[test]
fn refresh_overlays_observed_fields_and_detects_gone() {
    let g = desired();
    let s = applied(&g);
    let sub = Address::of(kinds::SUBNET, "a");
    let mut r = Refreshed::none();
    // Drift in one field; `name` not returned keeps its recorded value.
    r.observed.insert(
        sub.clone(),
        Some(Observed {
            props: obj(json!({"map_public_ip_on_launch": true, "cidr_block": "10.0.1.0/24"})),
            outputs: Props::new(),
        }),
    );
    r.observed
        .insert(Address::of(kinds::SECURITY_GROUP, "web"), None);
    let plan = plan_with(&g, &s, &r, meta).unwrap();
    let a = plan.get(&sub).unwrap();
    assert_eq!(a.action, Action::Update);
    assert_eq!(a.changes.len(), 1);
    assert_eq!(a.changes[0].field, "map_public_ip_on_launch");
    assert!(a.changes[0].drift, "AWS changed it, not the spec");
    assert!(render_text(&plan, false)
        .contains("~ map_public_ip_on_launch = true -> false # changed outside Gantry"));
    let sg = plan
        .get(&Address::of(kinds::SECURITY_GROUP, "web"))
        .unwrap();
    assert_eq!(sg.action, Action::Create);

    // `gantry drift`: the same, without the spec: field by field, and gone.
    let d = crate::drift(&g, &s, &r, meta);
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].address, Address::of(kinds::SECURITY_GROUP, "web"));
    assert!(d[0].gone);
    assert_eq!(d[1].address, sub);
    assert_eq!(
        d[1].fields,
        [crate::FieldDrift {
            field: "map_public_ip_on_launch".into(),
            recorded: Some(json!(false)),
            now: Some(json!(true)),
            sensitive: false,
        }]
    );
    let text = crate::drift::render(&d);
    assert!(
        text.contains("  ~ map_public_ip_on_launch = false -> true"),
        "{text}"
    );
    // A spec change alone is no drift.
    let mut g2 = g.clone();
    g2.resources.get_mut(&sub).unwrap().props["cidr_block"] = json!("10.0.9.0/24");
    let plan = plan_with(&g2, &s, &Refreshed::none(), meta).unwrap();
    assert!(plan.get(&sub).unwrap().changes.iter().all(|c| !c.drift));
    // A field left to AWS (keep) moving is not drift either.
    let mut g3 = g.clone();
    g3.resources.get_mut(&sub).unwrap().keep = vec!["map_public_ip_on_launch".into()];
    assert_eq!(crate::drift(&g3, &s, &r, meta).len(), 1);
}

#[test]
fn secrets_are_compared_by_marker_and_never_shown() {
    let mut g = DesiredGraph::new();
    g.add(res(
        "db_instance",
        "main",
        json!({"engine": "postgres", "password": "hunter2"}),
    ))
    .unwrap();
    let create = p(&g, &empty_state());
    let json = serde_json::to_string(&create).unwrap();
    assert!(!json.contains("hunter2"));
    assert!(render_text(&create, false).contains("password = (sensitive)"));
    let s = applied(&g);
    assert!(!serde_json::to_string(&s).unwrap().contains("hunter2"));
    assert!(!p(&g, &s).has_changes());
    g.resources.values_mut().next().unwrap().props["password"] = json!("hunter3");
    let plan = p(&g, &s);
    let a = &plan.actions[0];
    assert_eq!(a.action, Action::Update);
    assert!(
        a.changes[0].sensitive && a.changes[0].before.is_none() && a.changes[0].after.is_none()
    );
    assert!(!render_text(&plan, false).contains("sha256"));
}

#[test]
fn data_kinds_are_flagged_when_replaced() {
    let mut g = DesiredGraph::new();
    g.add(res(
        "db_instance",
        "main",
        json!({"engine": "postgres", "password": "x"}),
    ))
    .unwrap();
    let s = applied(&g);
    g.resources.values_mut().next().unwrap().props["engine"] = json!("mysql");
    let plan = p(&g, &s);
    assert!(plan.actions[0].destroys_data());
    assert_eq!(plan.data_loss().len(), 1);
    assert!(render_text(&plan, false).contains("destroys data held by db_instance.main"));
}

#[test]
fn tainted_is_replaced_and_deposed_objects_are_deleted() {
    let g = desired();
    let mut s = applied(&g);
    let sub = Address::of(kinds::SUBNET, "a");
    s.resources.get_mut(&sub).unwrap().status = Status::Tainted;
    s.resources
        .get_mut(&vpc())
        .unwrap()
        .deposed
        .push(gantry_state::Deposed {
            id: "old-vpc".into(),
            props: Props::new(),
            outputs: Props::new(),
            dependencies: vec![],
        });
    let plan = p(&g, &s);
    assert_eq!(plan.get(&sub).unwrap().action, Action::Replace);
    let dep = plan.actions.iter().find(|a| a.deposed.is_some()).unwrap();
    assert_eq!(dep.action, Action::Delete);
    assert_eq!(dep.id.as_deref(), Some("old-vpc"));
}

/// A plan with one of every action, for the rendering snapshots.
fn mixed_plan() -> Plan {
    let mut g = desired();
    g.add(res(
        kinds::ECS_TASK_DEFINITION,
        "web",
        json!({"family": "web", "cpu": 256, "memory": 512, "containers": [{"name": "app", "image": "app:1"}]}),
    ))
    .unwrap();
    g.add(res(
        "db_instance",
        "main",
        json!({"engine": "postgres", "password": "x"}),
    ))
    .unwrap();
    let s = applied(&g);
    g.add(res(
        kinds::LOG_GROUP,
        "web",
        json!({"name": "/app/web", "retention_in_days": 30}),
    ))
    .unwrap();
    g.resources
        .get_mut(&Address::of(kinds::SUBNET, "a"))
        .unwrap()
        .props["map_public_ip_on_launch"] = json!(true);
    g.resources
        .get_mut(&Address::of(kinds::ECS_TASK_DEFINITION, "web"))
        .unwrap()
        .props["containers"] = json!([{"name": "app", "image": "app:2"}, {"name": "sidecar", "image": "envoy:1.30", "essential": false}]);
    g.resources
        .get_mut(&Address::of(kinds::SECURITY_GROUP, "web"))
        .unwrap()
        .props["name"] = json!("web2");
    g.resources.remove(&Address::of("db_instance", "main"));
    p(&g, &s)
}

#[test]
fn renders_mixed_plan() {
    insta::assert_snapshot!(render_text(&mixed_plan(), false));
}

#[test]
fn renders_color() {
    let out = render_text(&mixed_plan(), true);
    assert!(out.contains("\x1b[32m  +"));
    assert!(out.contains("\x1b[0m"));
}

#[test]
fn plan_json_shape() {
    insta::assert_json_snapshot!(mixed_plan());
}

#[test]
fn renders_no_changes() {
    let g = desired();
    insta::assert_snapshot!(render_text(&p(&g, &applied(&g)), false));
}

#[test]
fn set_fields_ignore_the_order_aws_returns() {
    let mut g = DesiredGraph::new();
    let rule = |port: i32| json!({"protocol": "tcp", "from_port": port, "to_port": port, "cidr_ipv4": "0.0.0.0/0", "description": "d"});
    g.add(res(
        kinds::SECURITY_GROUP,
        "alb",
        json!({"name": "alb", "description": "alb", "vpc_id": "vpc-1", "ingress": [rule(80), rule(443)], "egress": []}),
    ))
    .unwrap();
    let s = applied(&g);
    let alb = Address::of(kinds::SECURITY_GROUP, "alb");
    let mut r = Refreshed::none();
    let observed = |rules: Vec<Value>| Observed {
        props: obj(json!({"ingress": rules})),
        outputs: Props::new(),
    };
    // The same rules in another order: no change.
    r.observed
        .insert(alb.clone(), Some(observed(vec![rule(443), rule(80)])));
    assert!(!plan_with(&g, &s, &r, meta).unwrap().has_changes());
    // A rule gone: a change, even though the remaining one is first in both.
    r.observed
        .insert(alb.clone(), Some(observed(vec![rule(80)])));
    let plan = plan_with(&g, &s, &r, meta).unwrap();
    assert_eq!(plan.get(&alb).unwrap().changes[0].field, "ingress");
    // Order still counts for lists that are not sets (containers, in order).
    assert!(kind_meta_unordered("security_group").contains(&"ingress"));
    assert!(!kind_meta_unordered("ecs_task_definition").contains(&"containers"));
}

fn kind_meta_unordered(kind: &str) -> &'static [&'static str] {
    gantry_core::kind_meta(kind).unwrap().unordered
}

fn orphan(kind: &str, id: &str, address: Option<&str>, props: Value) -> Orphan {
    Orphan {
        kind: kind.into(),
        id: id.into(),
        address: address.map(Address::new),
        observed: Observed {
            props: obj(props),
            outputs: obj(json!({"id": id, "arn": format!("arn:{kind}:{id}")})),
        },
    }
}

/// The state of `desired()` without its VPC, and the VPC found by the
/// inventory instead (as a lost reply leaves it), plus three objects that
/// are not adoptable.
fn orphaned() -> (DesiredGraph, State, Refreshed) {
    let g = desired();
    let mut s = applied(&g);
    s.resources.remove(&vpc());
    for rs in s.resources.values_mut() {
        rs.props.insert("vpc_id".into(), json!("vpc-lost"));
    }
    let mut r = Refreshed::none();
    r.orphans = vec![
        orphan(
            kinds::VPC,
            "vpc-lost",
            Some("vpc.main"),
            json!({"name": "app", "cidr_block": "10.0.0.0/16"}),
        ),
        orphan(
            kinds::VPC,
            "vpc-twin",
            Some("vpc.main"),
            json!({"name": "app", "cidr_block": "10.0.0.0/16"}),
        ),
        orphan(
            kinds::SUBNET,
            "subnet-old",
            Some("subnet.old"),
            json!({"vpc_id": "vpc-lost"}),
        ),
        orphan(
            kinds::SUBNET,
            "subnet-dup",
            Some("subnet.a"),
            json!({"vpc_id": "vpc-lost"}),
        ),
    ];
    (g, s, r)
}

#[test]
fn a_desired_unrecorded_orphan_is_adopted_not_created() {
    let (g, s, r) = orphaned();
    let plan = plan_with(&g, &s, &r, meta).unwrap();
    let v = plan.get(&vpc()).unwrap();
    assert_eq!(v.action, Action::Adopt);
    assert_eq!(v.id.as_deref(), Some("vpc-lost"));
    assert!(v.changes.is_empty(), "{:?}", v.changes);
    assert_eq!(v.found.as_ref().unwrap().outputs["id"], "vpc-lost");
    assert_eq!(plan.summary.adopt, 1);
    assert_eq!(plan.summary.add, 0);
    assert!(plan.has_changes());
    // Its dependents resolve against the adopted object: nothing unknown.
    let sub = plan.get(&Address::of(kinds::SUBNET, "a")).unwrap();
    assert!(sub.changes.iter().all(|c| !c.unknown), "{:?}", sub.changes);
    let untracked: Vec<(&str, &str)> = plan
        .untracked
        .iter()
        .map(|u| (u.id.as_str(), u.reason.as_str()))
        .collect();
    assert_eq!(
        untracked,
        vec![
            (
                "subnet-dup",
                "a second subnet for subnet.a, which the state records as a-id"
            ),
            ("subnet-old", "subnet.old is not in the spec"),
            (
                "vpc-twin",
                "a second VPC for vpc.main, which adopts vpc-lost"
            ),
        ]
    );
}

#[test]
fn an_adopted_orphan_that_differs_is_updated_or_replaced() {
    let (g, s, mut r) = orphaned();
    r.orphans[0]
        .observed
        .props
        .insert("name".into(), json!("half"));
    let plan = plan_with(&g, &s, &r, meta).unwrap();
    let v = plan.get(&vpc()).unwrap();
    assert_eq!(v.action, Action::Adopt);
    assert_eq!(v.changes.len(), 1);
    assert_eq!(v.changes[0].field, "name");
    assert_eq!(v.changes[0].before, Some(json!("half")));
    assert_eq!(v.changes[0].after, Some(json!("app")));
    assert_eq!(
        plan.get(&Address::of(kinds::SUBNET, "a")).unwrap().action,
        Action::NoOp
    );
    r.orphans[0].observed.props["cidr_block"] = json!("10.9.0.0/16");
    let plan = plan_with(&g, &s, &r, meta).unwrap();
    let v = plan.get(&vpc()).unwrap();
    assert_eq!(v.action, Action::Replace);
    assert_eq!(v.replace_fields, vec!["cidr_block"]);
    assert!(v.found.is_some());
    assert!(v.reason.as_ref().unwrap().contains("untracked object"));
    // A replaced VPC's id is unknown to its dependents again.
    let sub = plan.get(&Address::of(kinds::SUBNET, "a")).unwrap();
    assert_eq!(sub.action, Action::Replace);
}

#[test]
fn renders_adoption_and_untracked_objects() {
    let (g, s, mut r) = orphaned();
    r.orphans[0]
        .observed
        .props
        .insert("name".into(), json!("half"));
    let plan = plan_with(&g, &s, &r, meta).unwrap();
    insta::assert_snapshot!(render_text(&plan, false));
    insta::assert_json_snapshot!(plan);
}

#[test]
fn untracked_objects_are_listed_even_without_changes() {
    let g = desired();
    let s = applied(&g);
    let mut r = Refreshed::none();
    r.orphans = vec![orphan(kinds::SUBNET, "subnet-9", None, json!({}))];
    let plan = plan_with(&g, &s, &r, meta).unwrap();
    assert!(!plan.has_changes());
    let text = render_text(&plan, false);
    assert!(text.starts_with("No changes."), "{text}");
    assert!(
        text.contains("`gantry destroy` removes them") && text.contains("  ? subnet subnet-9: "),
        "{text}"
    );
}

#[test]
fn destroy_deletes_orphans_after_what_uses_them() {
    let (_, s, mut r) = orphaned();
    // A recorded security group whose rule names the untracked twin VPC,
    // and two untracked groups that name each other (a cycle).
    r.orphans.push(orphan(
        kinds::SECURITY_GROUP,
        "sg-x",
        None,
        json!({"ingress": [{"source_security_group_id": "sg-y"}], "vpc_id": "vpc-twin"}),
    ));
    r.orphans.push(orphan(
        kinds::SECURITY_GROUP,
        "sg-y",
        None,
        json!({"ingress": [{"source_security_group_id": "sg-x"}]}),
    ));
    let mut s = s;
    s.resources
        .get_mut(&Address::of(kinds::SECURITY_GROUP, "web"))
        .unwrap()
        .props
        .insert("egress".into(), json!([{"vpc_ref": "arn:vpc:vpc-twin"}]));
    let plan = plan_destroy_all(&s, &r.orphans, meta);
    assert!(plan.destroy);
    assert_eq!(plan.summary.destroy, s.len() + r.orphans.len());
    let by_id = |id: &str| {
        plan.actions
            .iter()
            .find(|a| a.id.as_deref() == Some(id))
            .unwrap()
    };
    let deps = |id: &str| -> Vec<String> {
        by_id(id)
            .depends_on_objects
            .iter()
            .map(|o| o.id.clone())
            .collect()
    };
    assert_eq!(deps("subnet-old"), vec!["vpc-lost"]);
    assert_eq!(deps("subnet-dup"), vec!["vpc-lost"]);
    assert_eq!(deps("web-id"), vec!["vpc-lost", "vpc-twin"]);
    // The cycle is broken, the edge out of it kept.
    assert_eq!(deps("sg-x"), vec!["vpc-twin"]);
    assert!(deps("sg-y").is_empty());
    let sub = by_id("subnet-old");
    assert!(sub.found.is_some() && sub.action == Action::Delete);
    let placeholder = by_id("sg-x");
    assert_eq!(
        placeholder.address.as_str(),
        "security_group.untracked-sg-x"
    );
    insta::assert_snapshot!(render_text(&plan, false));
}

#[test]
fn dangling_references_and_cycles_are_refused() {
    let mut g = desired();
    g.add(res(
        kinds::SUBNET,
        "b",
        json!({"vpc_id": reference(&Address::of(kinds::VPC, "other"), "id")}),
    ))
    .unwrap();
    assert!(matches!(
        p_err(&g),
        PlanError::Graph(GraphError::Dangling { to, .. }) if to.as_str() == "vpc.other"
    ));
    let mut g = desired();
    g.resources.get_mut(&vpc()).unwrap().props.insert(
        "sg".into(),
        json!(reference(&Address::of(kinds::SECURITY_GROUP, "web"), "id")),
    );
    assert!(matches!(p_err(&g), PlanError::Graph(GraphError::Cycle(_))));
    // The order is the graph's own: dependencies first, ties by address.
    let g = desired();
    let plan = p(&g, &empty_state());
    let order: Vec<Address> = plan.actions.iter().map(|a| a.address.clone()).collect();
    assert_eq!(order, g.topo_order().unwrap());
}

fn p_err(g: &DesiredGraph) -> PlanError {
    plan_with(g, &empty_state(), &Refreshed::none(), meta).unwrap_err()
}

#[test]
fn kept_fields_are_set_at_create_and_then_left_to_aws() {
    let mut g = DesiredGraph::new();
    g.add(
        res(
            kinds::ECS_SERVICE,
            "web",
            json!({"name": "web", "cluster_arn": "c", "desired_count": 2}),
        )
        .keeping(&["desired_count"]),
    )
    .unwrap();
    let create = p(&g, &empty_state());
    let svc = Address::of(kinds::ECS_SERVICE, "web");
    let c = create.get(&svc).unwrap();
    assert!(c
        .changes
        .iter()
        .any(|f| f.field == "desired_count" && f.after == Some(json!(2))));
    // The scaler moved it to 7: not a change the spec asks for.
    let mut s = applied(&g);
    s.resources.get_mut(&svc).unwrap().props["desired_count"] = json!(7);
    assert!(!p(&g, &s).has_changes());
    // Other fields still count.
    g.resources.get_mut(&svc).unwrap().props["cluster_arn"] = json!("d");
    let a = p(&g, &s);
    assert_eq!(a.get(&svc).unwrap().changes.len(), 1);
}

/// A task definition at `td.web` recorded with `deposed` older revisions.
fn task_definition_state(g: &DesiredGraph, deposed: usize) -> State {
    let mut s = applied(g);
    let td = Address::of(kinds::ECS_TASK_DEFINITION, "web");
    let rs = s.resources.get_mut(&td).unwrap();
    for i in 0..deposed {
        rs.deposed.push(gantry_state::Deposed {
            id: format!("td:{i}"),
            props: rs.props.clone(),
            outputs: Props::new(),
            dependencies: vec![],
        });
    }
    s
}

#[test]
fn replaced_task_definitions_are_kept_three_deep() {
    let td = Address::of(kinds::ECS_TASK_DEFINITION, "web");
    let mut g = DesiredGraph::new();
    g.add(res(
        kinds::ECS_TASK_DEFINITION,
        "web",
        json!({"family": "app-web", "containers": [{"name": "app", "image": "a:1"}]}),
    ))
    .unwrap();
    let deleted = |plan: &Plan| -> Vec<String> {
        plan.actions
            .iter()
            .filter_map(|a| a.deposed.clone())
            .collect()
    };
    // Three kept, none more: nothing to do.
    let s = task_definition_state(&g, 3);
    assert!(!p(&g, &s).has_changes());
    // A fourth (a crash left it) goes, the oldest first.
    let s = task_definition_state(&g, 4);
    assert_eq!(deleted(&p(&g, &s)), vec!["td:0"]);
    // A new revision: the current one joins the kept ones, the oldest goes,
    // and nothing else is deleted, so the next plan is empty again.
    let s = task_definition_state(&g, 3);
    let mut g2 = g.clone();
    g2.resources.get_mut(&td).unwrap().props["containers"] =
        json!([{"name": "app", "image": "a:2"}]);
    let plan = p(&g2, &s);
    let a = plan.get(&td).unwrap();
    assert_eq!(a.action, Action::Replace);
    assert!(a.keeps_old);
    assert_eq!(deleted(&plan), vec!["td:0"]);
    assert!(render_text(&plan, false).contains("the old one is kept to go back to"));
    // Gone from the spec, or destroyed: every revision goes.
    assert_eq!(deleted(&p(&DesiredGraph::new(), &s)).len(), 3);
    assert_eq!(deleted(&plan_destroy_with(&s, meta)).len(), 3);
}

#[test]
fn notes_are_shown_with_the_action() {
    let mut g = DesiredGraph::new();
    g.add(
        res(
            kinds::ECS_SERVICE,
            "web",
            json!({"name": "web", "desired_count": 0}),
        )
        .with_note("desired_count 0 until the first deploy"),
    )
    .unwrap();
    let plan = p(&g, &empty_state());
    assert_eq!(
        plan.get(&Address::of(kinds::ECS_SERVICE, "web"))
            .unwrap()
            .note
            .as_deref(),
        Some("desired_count 0 until the first deploy")
    );
    assert!(render_text(&plan, false).contains("# desired_count 0 until the first deploy"));
}
