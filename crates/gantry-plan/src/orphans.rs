//! Objects the stack's inventory lists but the state does not record: which
//! ones a plan adopts, which it lists as untracked, and the dependencies
//! `destroy` infers for them (they have no dependency records).

use crate::{Action, PlannedAction};
use gantry_core::{Address, DesiredGraph, Observed, Props};
use gantry_state::{MetaLookup, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// An object tagged for the stack that the state does not record (neither
/// as current nor as deposed), confirmed by a read.
#[derive(Debug, Clone, PartialEq)]
pub struct Orphan {
    pub kind: String,
    pub id: String,
    /// Its `gantry:address` tag, if it has one.
    pub address: Option<Address>,
    /// What the read saw (it was made with no recorded properties).
    pub observed: Observed,
}

impl Orphan {
    /// The address its operations are journaled under: its tag, or
    /// `KIND.untracked-ID` when it has none.
    pub fn address_or_placeholder(&self) -> Address {
        self.address
            .clone()
            .unwrap_or_else(|| Address::of(&self.kind, &format!("untracked-{}", self.id)))
    }
}

/// What the read of an untracked object observed (secrets as markers).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Found {
    pub props: Props,
    pub outputs: Props,
}

/// One object by kind and physical id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    pub kind: String,
    pub id: String,
}

/// An object tagged for the stack that the plan neither records nor
/// deletes: `up` leaves it alone, `destroy` deletes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Untracked {
    pub kind: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Why it is not adopted.
    pub reason: String,
}

/// Splits orphans into those a plan adopts (at most one per desired address
/// of the same kind that the state does not record, or records as gone: the
/// first by id) and the untracked rest.
pub(crate) fn sort<'o>(
    desired: &DesiredGraph,
    state: &State,
    orphans: &'o [Orphan],
    gone: &dyn Fn(&Address) -> bool,
    meta: MetaLookup,
) -> (BTreeMap<Address, &'o Orphan>, Vec<Untracked>) {
    let noun = |k: &str| meta(k).map(|m| m.noun).unwrap_or("object").to_string();
    let mut sorted: Vec<&Orphan> = orphans.iter().collect();
    sorted.sort_by(|a, b| (&a.kind, &a.id).cmp(&(&b.kind, &b.id)));
    let mut adopted: BTreeMap<Address, &Orphan> = BTreeMap::new();
    let mut untracked = Vec::new();
    for o in sorted {
        let reason = match &o.address {
            None => "it carries the stack's tags but no gantry:address tag".to_string(),
            Some(a) => {
                let recorded = state.resources.get(a).filter(|_| !gone(a));
                match (recorded, desired.get(a)) {
                    (Some(rs), _) => format!(
                        "a second {} for {a}, which the state records as {}",
                        noun(&o.kind),
                        rs.id
                    ),
                    (None, Some(r)) if r.kind != o.kind => {
                        format!("tagged for {a}, which is a {}", noun(&r.kind))
                    }
                    (None, Some(_)) => match adopted.get(a) {
                        Some(first) => format!(
                            "a second {} for {a}, which adopts {}",
                            noun(&o.kind),
                            first.id
                        ),
                        None => {
                            adopted.insert(a.clone(), o);
                            continue;
                        }
                    },
                    (None, None) => format!("{a} is not in the spec"),
                }
            }
        };
        untracked.push(Untracked {
            kind: o.kind.clone(),
            id: o.id.clone(),
            address: o.address.clone(),
            reason,
        });
    }
    (adopted, untracked)
}

/// Fills `depends_on_objects` of the delete actions: an untracked object
/// depends on every known object (recorded or untracked) whose id, `id`
/// output or `arn` output one of its string properties equals, and a
/// recorded object on the untracked ones its recorded properties name.
/// Edges that would close a cycle (security groups that name each other)
/// are dropped: the recorded dependencies alone are acyclic, and an order
/// that fails one delete beats no order at all.
pub(crate) fn infer_dependencies(state: &State, actions: &mut [PlannedAction]) {
    let deletes: Vec<usize> = (0..actions.len())
        .filter(|&i| actions[i].action == Action::Delete)
        .collect();
    if !deletes.iter().any(|&i| actions[i].found.is_some()) {
        return;
    }
    let object = |a: &PlannedAction| ObjectRef {
        kind: a.kind.clone(),
        id: a.id.clone().unwrap_or_default(),
    };
    // Every value that names a known object.
    let mut known: HashMap<String, ObjectRef> = HashMap::new();
    let mut name = |v: Option<&Value>, o: &ObjectRef| {
        if let Some(Value::String(s)) = v {
            if !s.is_empty() {
                known.entry(s.clone()).or_insert_with(|| o.clone());
            }
        }
    };
    for &i in &deletes {
        let a = &actions[i];
        let o = object(a);
        name(Some(&Value::String(o.id.clone())), &o);
        let outputs = match &a.found {
            Some(f) => Some(&f.outputs),
            None => state.get(&a.address).and_then(|rs| {
                if Some(&rs.id) == a.id.as_ref() {
                    Some(&rs.outputs)
                } else {
                    rs.deposed
                        .iter()
                        .find(|d| Some(&d.id) == a.id.as_ref())
                        .map(|d| &d.outputs)
                }
            }),
        };
        if let Some(out) = outputs {
            name(out.get("id"), &o);
            name(out.get("arn"), &o);
        }
    }
    let untracked: BTreeSet<ObjectRef> = deletes
        .iter()
        .filter(|&&i| actions[i].found.is_some())
        .map(|&i| object(&actions[i]))
        .collect();
    let mut inferred: Vec<BTreeSet<ObjectRef>> = vec![BTreeSet::new(); actions.len()];
    for &i in &deletes {
        let a = &actions[i];
        let me = object(a);
        let props = match &a.found {
            Some(f) => Some(&f.props),
            None if a.deposed.is_none() => state.get(&a.address).map(|rs| &rs.props),
            None => None,
        };
        let Some(props) = props else { continue };
        let mut strings = Vec::new();
        for v in props.values() {
            collect_strings(v, &mut strings);
        }
        for s in strings {
            let Some(target) = known.get(s) else { continue };
            // Recorded objects already carry their recorded dependencies.
            if *target != me && (a.found.is_some() || untracked.contains(target)) {
                inferred[i].insert(target.clone());
            }
        }
    }
    drop_cycles(actions, &deletes, &mut inferred);
    for &i in &deletes {
        actions[i].depends_on_objects = std::mem::take(&mut inferred[i]).into_iter().collect();
    }
}

fn collect_strings<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| collect_strings(i, out)),
        Value::Object(m) => m.values().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

/// Removes the inferred edges that lie inside a cycle of the whole delete
/// graph (recorded plus inferred edges). A cycle of what remains would lie
/// inside one strongly connected component of the whole graph, where only
/// recorded edges are left, and those are acyclic.
fn drop_cycles(actions: &[PlannedAction], deletes: &[usize], inferred: &mut [BTreeSet<ObjectRef>]) {
    let mut index: HashMap<ObjectRef, usize> = HashMap::new();
    let mut main: HashMap<&Address, usize> = HashMap::new();
    for &i in deletes {
        let a = &actions[i];
        index.insert(
            ObjectRef {
                kind: a.kind.clone(),
                id: a.id.clone().unwrap_or_default(),
            },
            i,
        );
        if a.deposed.is_none() && a.found.is_none() {
            main.insert(&a.address, i);
        }
    }
    let n = actions.len();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &i in deletes {
        for d in &actions[i].dependencies {
            if let Some(&j) = main.get(d) {
                edges[i].push(j);
            }
        }
        for o in &inferred[i] {
            if let Some(&j) = index.get(o) {
                edges[i].push(j);
            }
        }
    }
    let comp = components(n, &edges);
    for &i in deletes {
        inferred[i].retain(|o| index.get(o).is_some_and(|&j| comp[j] != comp[i]));
    }
}

/// Strongly connected components (Kosaraju, iterative: graphs can be deep).
fn components(n: usize, edges: &[Vec<usize>]) -> Vec<usize> {
    let mut order = Vec::with_capacity(n);
    let mut seen = vec![false; n];
    for s in 0..n {
        if seen[s] {
            continue;
        }
        seen[s] = true;
        let mut stack = vec![(s, 0usize)];
        while let Some((v, k)) = stack.pop() {
            if let Some(&u) = edges[v].get(k) {
                stack.push((v, k + 1));
                if !seen[u] {
                    seen[u] = true;
                    stack.push((u, 0));
                }
            } else {
                order.push(v);
            }
        }
    }
    let mut rev: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (v, us) in edges.iter().enumerate() {
        for &u in us {
            rev[u].push(v);
        }
    }
    let mut comp = vec![usize::MAX; n];
    let mut c = 0;
    for &s in order.iter().rev() {
        if comp[s] != usize::MAX {
            continue;
        }
        comp[s] = c;
        let mut stack = vec![s];
        while let Some(v) = stack.pop() {
            for &u in &rev[v] {
                if comp[u] == usize::MAX {
                    comp[u] = c;
                    stack.push(u);
                }
            }
        }
        c += 1;
    }
    comp
}
