//! Turns a plan into the DAG of provider calls the engine walks: which calls
//! there are (a replace is two) and which must finish before which.

use gantry_core::{Address, Props};
use gantry_plan::{Action, ObjectRef, Plan};
use gantry_state::{Op, State};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone)]
pub(crate) enum Work {
    /// `forget`: the id of a recorded object that refresh found gone; it is
    /// dropped from state before the new one is created, so the new object
    /// is not mistaken for a replacement of it.
    Create {
        forget: Option<String>,
    },
    Update {
        changed: Vec<String>,
    },
    /// Deletes object `id` at the address (the current or a deposed one,
    /// or one the state does not record: then `props` are what its read
    /// observed).
    Delete {
        id: String,
        props: Option<Props>,
    },
}

#[derive(Debug)]
pub(crate) struct Node {
    pub address: Address,
    pub kind: String,
    pub work: Work,
    /// Indices of nodes that must finish first.
    pub after: BTreeSet<usize>,
}

impl Node {
    pub fn op(&self) -> Op {
        match self.work {
            Work::Create { .. } => Op::Create,
            Work::Update { .. } => Op::Update,
            Work::Delete { .. } => Op::Delete,
        }
    }
}

/// The call DAG. Edge rules:
/// - a create/update runs after the create/update of every desired
///   dependency (no-ops are already satisfied);
/// - a replace deletes first and then creates, unless its kind is
///   create-before-destroy, in which case the old object is deleted only
///   after the new one exists and every desired dependent has been created
///   or updated to point at it, or keeps previous objects, in which case
///   it is not deleted at all (a later plan deletes the oldest);
/// - a delete runs after the delete of every object that recorded a
///   dependency on it, and after the update of such an object that stays;
///   untracked objects (no records) are ordered by the dependencies the
///   plan inferred for them (`depends_on_objects`);
/// - an adoption is recorded before the walk: it is a node only when it
///   updates the adopted object.
///   The one exception is an object replaced create-before-destroy whose new
///   version still depends on this one: waiting for its old version's delete
///   would be a cycle (Terraform forces CBD onto the dependency instead;
///   names make that impossible for most AWS kinds), so the old dependency
///   is deleted first. AWS accepts that for the kinds that are CBD (task
///   definitions keep working after a role they name is replaced).
pub(crate) fn build(plan: &Plan, state: &State) -> Result<Vec<Node>, Address> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut create: BTreeMap<&Address, usize> = BTreeMap::new();
    let mut update: BTreeMap<&Address, usize> = BTreeMap::new();
    // Delete nodes of objects, with the addresses that object depended on.
    let mut deletes: Vec<(usize, &Address, Vec<Address>, bool)> = Vec::new();
    let mut main_delete: BTreeMap<&Address, usize> = BTreeMap::new();
    // Every delete by object, and the inferred dependencies of some.
    let mut by_object: BTreeMap<ObjectRef, usize> = BTreeMap::new();
    let mut inferred: Vec<(usize, &Vec<ObjectRef>)> = Vec::new();
    let object = |kind: &str, id: String| ObjectRef {
        kind: kind.to_string(),
        id,
    };
    let push = |nodes: &mut Vec<Node>, a: &Address, kind: &str, work: Work| {
        nodes.push(Node {
            address: a.clone(),
            kind: kind.to_string(),
            work,
            after: BTreeSet::new(),
        });
        nodes.len() - 1
    };
    for a in &plan.actions {
        let recorded_deps = |deposed: Option<&str>| -> Vec<Address> {
            let Some(rs) = state.get(&a.address) else {
                return a.dependencies.clone();
            };
            match deposed {
                Some(id) => rs
                    .deposed
                    .iter()
                    .find(|d| d.id == id)
                    .map(|d| d.dependencies.clone())
                    .unwrap_or_default(),
                None => rs.dependencies.clone(),
            }
        };
        match a.action {
            Action::NoOp => {}
            Action::Create => {
                let forget = state.get(&a.address).map(|r| r.id.clone());
                let i = push(&mut nodes, &a.address, &a.kind, Work::Create { forget });
                create.insert(&a.address, i);
            }
            Action::Adopt if a.changes.is_empty() => {}
            Action::Update | Action::Adopt => {
                let changed = a.changes.iter().map(|c| c.field.clone()).collect();
                let i = push(&mut nodes, &a.address, &a.kind, Work::Update { changed });
                update.insert(&a.address, i);
            }
            Action::Replace if a.keeps_old => {
                // The old object is kept (recorded as replaced once the new
                // one exists): nothing to delete now.
                let c = push(
                    &mut nodes,
                    &a.address,
                    &a.kind,
                    Work::Create { forget: None },
                );
                create.insert(&a.address, c);
            }
            Action::Replace => {
                let id = a.id.clone().unwrap_or_default();
                let c = push(
                    &mut nodes,
                    &a.address,
                    &a.kind,
                    Work::Create { forget: None },
                );
                let d = push(
                    &mut nodes,
                    &a.address,
                    &a.kind,
                    Work::Delete {
                        id: id.clone(),
                        props: None,
                    },
                );
                by_object.insert(object(&a.kind, id), d);
                if a.create_before_destroy {
                    nodes[d].after.insert(c);
                } else {
                    nodes[c].after.insert(d);
                }
                create.insert(&a.address, c);
                main_delete.insert(&a.address, d);
                deletes.push((d, &a.address, recorded_deps(None), a.create_before_destroy));
            }
            Action::Delete => {
                let id = a.id.clone().unwrap_or_default();
                let props = a.found.as_ref().map(|f| f.props.clone());
                let d = push(
                    &mut nodes,
                    &a.address,
                    &a.kind,
                    Work::Delete {
                        id: id.clone(),
                        props,
                    },
                );
                by_object.insert(object(&a.kind, id), d);
                if !a.depends_on_objects.is_empty() {
                    inferred.push((d, &a.depends_on_objects));
                }
                if a.found.is_some() {
                    // Not what the state records at its address, if anything.
                    continue;
                }
                if a.deposed.is_none() {
                    main_delete.insert(&a.address, d);
                }
                deletes.push((d, &a.address, recorded_deps(a.deposed.as_deref()), false));
            }
        }
    }
    let desired_deps: BTreeMap<&Address, &Vec<Address>> = plan
        .actions
        .iter()
        .filter(|a| a.action != Action::Delete)
        .map(|a| (&a.address, &a.dependencies))
        .collect();
    // Creates and updates wait for what they reference.
    for (addr, deps) in &desired_deps {
        for i in create.get(addr).into_iter().chain(update.get(addr)) {
            for d in deps.iter() {
                for j in create.get(d).into_iter().chain(update.get(d)) {
                    nodes[*i].after.insert(*j);
                }
            }
        }
    }
    // CBD: the old object goes once every dependent moved to the new one.
    for a in plan
        .actions
        .iter()
        .filter(|a| a.action == Action::Replace && a.create_before_destroy && !a.keeps_old)
    {
        let d = main_delete[&a.address];
        for (user, deps) in &desired_deps {
            if deps.contains(&a.address) {
                for j in create.get(user).into_iter().chain(update.get(user)) {
                    nodes[d].after.insert(*j);
                }
            }
        }
    }
    // Deletes wait for the objects that depended on what they delete.
    for (user_delete, user, user_deps, user_cbd) in &deletes {
        for dep in user_deps {
            let Some(&target) = main_delete.get(dep) else {
                continue;
            };
            if *user_cbd && desired_deps.get(user).is_some_and(|d| d.contains(dep)) {
                continue;
            }
            nodes[target].after.insert(*user_delete);
        }
    }
    // Inferred: an untracked object goes before what it uses.
    for (user_delete, objects) in &inferred {
        for o in objects.iter() {
            if let Some(&target) = by_object.get(o) {
                if target != *user_delete {
                    nodes[target].after.insert(*user_delete);
                }
            }
        }
    }
    // ...and for the update of a dependent that stays but lets go of them.
    // (One that still depends on it waits for its re-creation instead.)
    for (user, deps) in &desired_deps {
        let Some(&u) = update.get(user) else { continue };
        let Some(rs) = state.get(user) else { continue };
        for dep in rs.dependencies.iter().filter(|d| !deps.contains(d)) {
            if let Some(&target) = main_delete.get(dep) {
                nodes[target].after.insert(u);
            }
        }
    }
    check_acyclic(&nodes)?;
    Ok(nodes)
}

fn check_acyclic(nodes: &[Node]) -> Result<(), Address> {
    let mut indeg: Vec<usize> = nodes.iter().map(|n| n.after.len()).collect();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        for &j in &n.after {
            users[j].push(i);
        }
    }
    let mut ready: Vec<usize> = (0..nodes.len()).filter(|&i| indeg[i] == 0).collect();
    let mut seen = 0;
    while let Some(i) = ready.pop() {
        seen += 1;
        for &u in &users[i] {
            indeg[u] -= 1;
            if indeg[u] == 0 {
                ready.push(u);
            }
        }
    }
    if seen == nodes.len() {
        Ok(())
    } else {
        let stuck = indeg.iter().position(|&d| d > 0).expect("a stuck node");
        Err(nodes[stuck].address.clone())
    }
}
