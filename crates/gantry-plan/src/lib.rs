//! The planner: compares the desired resource graph with what the state
//! recorded (overlaid with what a refresh observed) and decides, per
//! resource, create / update in place / replace / delete / no-op, with the
//! changed fields and the values not known until apply.
//!
//! Rules (see the tests for each):
//! - References resolve against recorded outputs, except those of resources
//!   being created or replaced: such a field is "known after apply", counts
//!   as changed, and forces replacement if it is a force-new field.
//! - Observed fields win over recorded ones; fields a provider did not return
//!   keep their recorded value (so write-only fields do not show as drift).
//! - `null`, missing, `[]` and `{}` compare equal at any depth, because
//!   providers and serializers disagree on which of them means "none".
//! - Secret fields are compared by marker ([`gantry_state::secret_marker`])
//!   and never carried in the plan.
//! - Objects the stack's inventory lists but the state does not record
//!   ([`Orphan`]s) are adopted when their address is desired and not
//!   recorded (action `adopt`, or `replace` when what AWS has cannot be
//!   updated in place), never created a second time; the others are listed
//!   as [`Untracked`], left alone by `up` and deleted by `destroy`
//!   ([`plan_destroy_all`]), ordered by dependencies inferred from what
//!   their read observed ([`orphans`]).

pub mod drift;
pub mod orphans;
pub mod render;

pub use drift::{drift, Drifted, FieldDrift};
pub use orphans::{Found, ObjectRef, Orphan, Untracked};
pub use render::render_text;

use gantry_core::{
    find_refs, resolve, Address, DesiredGraph, GraphError, KindMeta, Observed, Props, Ref, Resource,
};
use gantry_state::{secret_marker, MetaLookup, ResourceState, State, Status};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// The version of the plan JSON format.
pub const PLAN_FORMAT: &str = "1";

/// What a refresh observed, per address: `Some` = read back, `None` = gone.
/// Addresses absent from the map were not refreshed (recorded values stand).
#[derive(Debug, Clone, Default)]
pub struct Refreshed {
    pub observed: BTreeMap<Address, Option<Observed>>,
    /// Objects the stack's inventory listed that the state does not record,
    /// each confirmed by a read (empty without an inventory).
    pub orphans: Vec<Orphan>,
}

impl Refreshed {
    /// No refresh at all: plan against the recorded state only.
    pub fn none() -> Self {
        Self::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
    NoOp,
    /// Record an object the state does not know (found by the inventory,
    /// tagged for this address), then update it in place if `changes` is not
    /// empty.
    Adopt,
}

/// One top-level field that changes. Values are `None` when absent, unknown
/// or sensitive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// The new value is known only after apply (it references a resource
    /// being created or replaced).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unknown: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub forces_replacement: bool,
    /// AWS's value is not what the state recorded: it was changed outside
    /// Gantry, and this change puts it back (or on to the spec's).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drift: bool,
}

/// What will happen to one address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedAction {
    pub address: Address,
    pub kind: String,
    pub action: Action,
    /// The current physical id, when the resource exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Set on the deletion of an object left over by an interrupted
    /// create-before-destroy replacement: the id of that object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// Why a replace or delete happens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The fields that force a replacement.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replace_fields: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
    /// A replace that keeps the old object (its kind keeps previous ones,
    /// [`gantry_core::KindMeta::keep_previous`]): it is recorded as
    /// replaced and deleted by a later plan once newer ones push it out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keeps_old: bool,
    /// Why the architect chose what it did, when a reader would not guess.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The kind holds user data (database, bucket...): replacing or deleting
    /// it loses data, and the CLI should refuse without an explicit flag.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub data: bool,
    /// Desired dependencies (create, update, replace) or recorded ones
    /// (delete): what the engine orders this action after (or before).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Address>,
    /// Deletes only: objects (recorded or untracked) this one uses, by kind
    /// and id, inferred from its properties because the state has no
    /// dependency record for them; they are deleted after it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on_objects: Vec<ObjectRef>,
    /// Set when the action starts from an object the state does not record:
    /// what its read observed. An `adopt` (or a `replace` of an adopted
    /// object) records it first; a `delete` deletes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<Found>,
}

impl PlannedAction {
    /// True when applying this action destroys user data.
    pub fn destroys_data(&self) -> bool {
        self.data && matches!(self.action, Action::Replace | Action::Delete)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub add: usize,
    pub change: usize,
    pub replace: usize,
    pub destroy: usize,
    pub no_op: usize,
    #[serde(default)]
    pub adopt: usize,
}

impl PlanSummary {
    fn of(actions: &[PlannedAction]) -> PlanSummary {
        let mut s = PlanSummary::default();
        for a in actions {
            match a.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Replace => s.replace += 1,
                Action::Delete => s.destroy += 1,
                Action::NoOp => s.no_op += 1,
                Action::Adopt => s.adopt += 1,
            }
        }
        s
    }
}

/// The result of planning; serializable for `plan --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: String,
    pub stack: String,
    pub env: String,
    /// The state this plan was made against: a saved plan is stale once the
    /// state's lineage or serial differs.
    pub lineage: String,
    pub serial: u64,
    /// Made for `destroy`.
    #[serde(default)]
    pub destroy: bool,
    /// Desired resources in dependency order, then deletions.
    pub actions: Vec<PlannedAction>,
    pub summary: PlanSummary,
    /// Objects tagged for this stack that the state does not record and the
    /// plan does not adopt: `up` leaves them alone, `destroy` deletes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub untracked: Vec<Untracked>,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.actions.iter().any(|a| a.action != Action::NoOp)
    }

    /// Actions that would destroy user data.
    pub fn data_loss(&self) -> Vec<&PlannedAction> {
        self.actions.iter().filter(|a| a.destroys_data()).collect()
    }

    pub fn get(&self, address: &Address) -> Option<&PlannedAction> {
        self.actions
            .iter()
            .find(|a| &a.address == address && a.deposed.is_none())
    }

    /// What the plan deletes: recorded objects, replaced ones and, for
    /// `destroy`, untracked ones (`found` set). The CLI lists these before
    /// asking.
    pub fn deletions(&self) -> impl Iterator<Item = &PlannedAction> {
        self.actions
            .iter()
            .filter(|a| matches!(a.action, Action::Delete | Action::Replace))
    }

    /// This plan cut down to the actions at `addresses` (their replaced
    /// objects' deletions included), untracked objects left out: what a
    /// command that changes a few resources of a stack applies (`deploy`
    /// changes a service's task definition and service, nothing else).
    pub fn only(mut self, addresses: &BTreeSet<Address>) -> Plan {
        self.actions.retain(|a| addresses.contains(&a.address));
        self.untracked.clear();
        self.summary = PlanSummary::of(&self.actions);
        self
    }

    fn new(
        state: &State,
        destroy: bool,
        actions: Vec<PlannedAction>,
        untracked: Vec<Untracked>,
    ) -> Plan {
        let s = PlanSummary::of(&actions);
        Plan {
            format_version: PLAN_FORMAT.into(),
            stack: state.stack.clone(),
            env: state.env.clone(),
            lineage: state.lineage.clone(),
            serial: state.serial,
            destroy,
            actions,
            summary: s,
            untracked,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// Plans `desired` against `state` as refreshed, with Gantry's kind metadata.
pub fn plan(
    desired: &DesiredGraph,
    state: &State,
    refreshed: &Refreshed,
) -> Result<Plan, PlanError> {
    plan_with(desired, state, refreshed, gantry_core::kind_meta)
}

/// [`plan`] with another source of kind metadata (tests add kinds).
pub fn plan_with(
    desired: &DesiredGraph,
    state: &State,
    refreshed: &Refreshed,
    meta: MetaLookup,
) -> Result<Plan, PlanError> {
    let deps_of: BTreeMap<&Address, Vec<Address>> = desired
        .resources
        .iter()
        .map(|(a, r)| (a, dependencies(r)))
        .collect();
    let order = topo_order(desired, &deps_of)?;
    for r in desired.resources.values() {
        if meta(&r.kind).is_none() {
            return Err(GraphError::UnknownKind {
                address: r.address.clone(),
                kind: r.kind.clone(),
            }
            .into());
        }
    }
    let gone = |a: &Address| matches!(refreshed.observed.get(a), Some(None));
    let (adopted, untracked) = orphans::sort(desired, state, &refreshed.orphans, &gone, meta);
    // Outputs as they stand now: recorded, overlaid with observed; adopted
    // objects' as read.
    let mut outputs: BTreeMap<&Address, Cow<Props>> = BTreeMap::new();
    for (a, rs) in &state.resources {
        let mut o = Cow::Borrowed(&rs.outputs);
        if let Some(Some(obs)) = refreshed.observed.get(a) {
            o.to_mut().extend(obs.outputs.clone());
        }
        outputs.insert(a, o);
    }
    for (a, o) in &adopted {
        outputs.insert(a, Cow::Borrowed(&o.observed.outputs));
    }
    // Resources whose identity changes: references to them are unknown.
    let mut changing: BTreeSet<Address> = BTreeSet::new();
    let mut actions = Vec::new();
    for addr in &order {
        let r = &desired.resources[addr];
        let m = meta(&r.kind).expect("checked above");
        let lookup = |rf: &Ref| -> Option<Value> {
            if changing.contains(&rf.address) {
                return None;
            }
            outputs.get(&rf.address)?.get(&rf.attr).cloned()
        };
        let mut resolved: Props = r
            .props
            .iter()
            .map(|(k, v)| (k.clone(), resolve(v, &lookup).0))
            .collect();
        let unknown: BTreeSet<String> = resolved
            .iter()
            .filter(|(_, v)| !find_refs(v).is_empty())
            .map(|(k, _)| k.clone())
            .collect();
        let secret = |f: &str| m.secret.contains(&f);
        let deps = deps_of[addr].clone();
        let mut pa = PlannedAction {
            address: addr.clone(),
            kind: r.kind.clone(),
            action: Action::NoOp,
            id: None,
            deposed: None,
            changes: Vec::new(),
            reason: None,
            replace_fields: Vec::new(),
            create_before_destroy: m.create_before_destroy,
            keeps_old: false,
            note: r.note.clone(),
            data: m.data,
            dependencies: deps,
            depends_on_objects: Vec::new(),
            found: None,
        };
        let is_gone = gone(addr);
        // An adopted object stands in for the record the state lacks: it is
        // diffed like a recorded one whose properties are what AWS has.
        let adoption = adopted.get(addr).map(|o| {
            let found = Found {
                props: gantry_state::redact(meta, &r.kind, &o.observed.props),
                outputs: gantry_state::redact(meta, &r.kind, &o.observed.outputs),
            };
            let rec = ResourceState {
                kind: r.kind.clone(),
                id: o.id.clone(),
                props: found.props.clone(),
                outputs: found.outputs.clone(),
                dependencies: pa.dependencies.clone(),
                status: Status::Ok,
                deposed: Vec::new(),
            };
            (rec, found)
        });
        let recorded = match &adoption {
            Some((rec, _)) => Some(rec),
            None => state.resources.get(addr).filter(|_| !is_gone),
        };
        let Some(rec) = recorded else {
            pa.action = Action::Create;
            if is_gone {
                pa.reason = Some("it no longer exists".into());
            }
            pa.changes = resolved
                .iter()
                .filter(|(k, v)| unknown.contains(*k) || !is_empty(v))
                .map(|(k, v)| FieldChange {
                    field: k.clone(),
                    before: None,
                    after: shown(v, unknown.contains(k), secret(k)),
                    unknown: unknown.contains(k),
                    sensitive: secret(k),
                    forces_replacement: false,
                    drift: false,
                })
                .collect();
            changing.insert(addr.clone());
            actions.push(pa);
            continue;
        };
        pa.id = Some(rec.id.clone());
        // Borrowed unless a refresh observed something to overlay.
        let mut current = Cow::Borrowed(&rec.props);
        if adoption.is_none() {
            if let Some(Some(obs)) = refreshed.observed.get(addr) {
                let current = current.to_mut();
                for (k, v) in &obs.props {
                    let v = if secret(k) {
                        secret_marker(v)
                    } else {
                        v.clone()
                    };
                    current.insert(k.clone(), v);
                }
            }
        }
        // Fields left to AWS once the object exists: what it has is desired.
        for f in &r.keep {
            if let Some(v) = current.get(f) {
                resolved.insert(f.clone(), v.clone());
            }
        }
        let unknown: BTreeSet<String> = unknown
            .into_iter()
            .filter(|f| !r.keep.contains(f) || !current.contains_key(f))
            .collect();
        let fields: BTreeSet<&String> = resolved.keys().chain(current.keys()).collect();
        for f in fields {
            let is_unknown = unknown.contains(f);
            let after = resolved.get(f).map(|v| {
                if secret(f) {
                    Cow::Owned(secret_marker(v))
                } else {
                    Cow::Borrowed(v)
                }
            });
            let before = current.get(f);
            if !is_unknown && same(before, after.as_deref(), m.unordered.contains(&f.as_str())) {
                continue;
            }
            let forces = m.force_new.contains(&f.as_str());
            let unordered = m.unordered.contains(&f.as_str());
            let drift = adoption.is_none() && !same(rec.props.get(f), before, unordered);
            pa.changes.push(FieldChange {
                field: f.clone(),
                before: before.filter(|v| !secret(f) && !is_empty(v)).cloned(),
                after: after
                    .as_deref()
                    .and_then(|v| shown(v, is_unknown, secret(f)))
                    .filter(|v| !is_empty(v)),
                unknown: is_unknown,
                sensitive: secret(f),
                forces_replacement: forces,
                drift,
            });
            if forces {
                pa.replace_fields.push(f.clone());
            }
        }
        if rec.status == Status::Tainted {
            pa.action = Action::Replace;
            pa.reason = Some("it is tainted (its creation did not complete)".into());
        } else if !pa.replace_fields.is_empty() {
            pa.action = Action::Replace;
            pa.reason = Some(format!(
                "cannot update in place: {}",
                pa.replace_fields.join(", ")
            ));
        } else if !pa.changes.is_empty() {
            pa.action = Action::Update;
        }
        if let Some((_, found)) = adoption {
            if pa.action == Action::Replace {
                pa.reason = Some(format!(
                    "the untracked object found for it cannot be updated in place: {}",
                    pa.replace_fields.join(", ")
                ));
            } else {
                pa.action = Action::Adopt;
            }
            pa.found = Some(found);
        }
        if pa.action == Action::Replace {
            pa.keeps_old = m.keep_previous > 0 && pa.found.is_none();
            changing.insert(addr.clone());
        }
        actions.push(pa);
    }
    for (addr, rs) in &state.resources {
        if !desired.resources.contains_key(addr) {
            actions.push(delete_action(
                meta,
                addr,
                &rs.kind,
                &rs.id,
                None,
                &rs.dependencies,
                "not in the spec",
            ));
        }
    }
    push_deposed(meta, state, &mut actions, true);
    Ok(Plan::new(state, false, actions, untracked))
}

/// A plan that deletes everything recorded in `state` (`gantry destroy`).
pub fn plan_destroy(state: &State) -> Plan {
    plan_destroy_with(state, gantry_core::kind_meta)
}

pub fn plan_destroy_with(state: &State, meta: MetaLookup) -> Plan {
    let mut actions: Vec<PlannedAction> = state
        .resources
        .iter()
        .map(|(a, rs)| delete_action(meta, a, &rs.kind, &rs.id, None, &rs.dependencies, "destroy"))
        .collect();
    push_deposed(meta, state, &mut actions, false);
    Plan::new(state, true, actions, Vec::new())
}

/// What `gantry destroy` deletes: everything `state` records and every
/// orphan (wanted or not), dependents first. Orphans have no dependency
/// records: a string property equal to another known object's id or ARN
/// makes it depend on that object ([`orphans::infer_dependencies`]).
pub fn plan_destroy_all(state: &State, orphans: &[Orphan], meta: MetaLookup) -> Plan {
    let mut plan = plan_destroy_with(state, meta);
    for o in orphans {
        let mut a = delete_action(
            meta,
            &o.address_or_placeholder(),
            &o.kind,
            &o.id,
            None,
            &[],
            "it is tagged for this stack but not recorded in its state",
        );
        a.found = Some(Found {
            props: gantry_state::redact(meta, &o.kind, &o.observed.props),
            outputs: gantry_state::redact(meta, &o.kind, &o.observed.outputs),
        });
        plan.actions.push(a);
    }
    orphans::infer_dependencies(state, &mut plan.actions);
    plan.summary.destroy = plan.actions.len();
    plan
}

/// Deletes the replaced objects the state still records. With `keep`, the
/// newest ones a kind keeps ([`gantry_core::KindMeta::keep_previous`]) stay,
/// one fewer when this plan replaces the current object (it joins them),
/// none when the address itself goes.
fn push_deposed(meta: MetaLookup, state: &State, actions: &mut Vec<PlannedAction>, keep: bool) {
    for (addr, rs) in &state.resources {
        let planned = actions
            .iter()
            .find(|a| &a.address == addr && a.deposed.is_none())
            .map(|a| (a.action, a.keeps_old));
        let kept = match planned {
            _ if !keep => 0,
            Some((Action::Delete, _)) | None => 0,
            Some((_, true)) => meta(&rs.kind).map_or(0, |m| m.keep_previous.saturating_sub(1)),
            Some(_) => meta(&rs.kind).map_or(0, |m| m.keep_previous),
        };
        let n = rs.deposed.len().saturating_sub(kept);
        for d in &rs.deposed[..n] {
            actions.push(delete_action(
                meta,
                addr,
                &rs.kind,
                &d.id,
                Some(&d.id),
                &d.dependencies,
                "replaced by a newer object",
            ));
        }
    }
}

fn delete_action(
    meta: MetaLookup,
    addr: &Address,
    kind: &str,
    id: &str,
    deposed: Option<&str>,
    deps: &[Address],
    reason: &str,
) -> PlannedAction {
    PlannedAction {
        address: addr.clone(),
        kind: kind.to_string(),
        action: Action::Delete,
        id: Some(id.to_string()),
        deposed: deposed.map(str::to_string),
        changes: Vec::new(),
        reason: Some(reason.to_string()),
        replace_fields: Vec::new(),
        create_before_destroy: false,
        keeps_old: false,
        note: None,
        data: meta(kind).is_some_and(|m| m.data),
        dependencies: deps.to_vec(),
        depends_on_objects: Vec::new(),
        found: None,
    }
}

/// The top-level fields of `desired` (resolved) that `current` does not
/// match, by the plan's rules: normalized, sets in any order, secrets by
/// marker. The engine uses it to finish a half-applied create or update
/// from what AWS has.
pub fn changed_fields(m: &KindMeta, current: &Props, desired: &Props) -> Vec<String> {
    let secret = |f: &str| m.secret.contains(&f);
    let marked = |f: &str, v: &Value| {
        if secret(f) {
            secret_marker(v)
        } else {
            v.clone()
        }
    };
    let fields: BTreeSet<&String> = desired.keys().chain(current.keys()).collect();
    fields
        .into_iter()
        .filter(|f| {
            let a = current.get(*f).map(|v| marked(f, v));
            let b = desired.get(*f).map(|v| marked(f, v));
            !same(a.as_ref(), b.as_ref(), m.unordered.contains(&f.as_str()))
        })
        .cloned()
        .collect()
}

fn shown(v: &Value, unknown: bool, sensitive: bool) -> Option<Value> {
    if unknown || sensitive {
        None
    } else {
        Some(v.clone())
    }
}

/// Drops `null`, empty arrays and empty objects inside objects, at any
/// depth, so that "absent" has one spelling.
pub fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), normalize(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

pub(crate) fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.values().all(is_empty),
        _ => false,
    }
}

/// `DesiredGraph::topo_order` over dependencies computed once: the same
/// checks and the same order (ties broken by address), without copying
/// every resource's properties to find its references.
fn topo_order(
    desired: &DesiredGraph,
    deps_of: &BTreeMap<&Address, Vec<Address>>,
) -> Result<Vec<Address>, GraphError> {
    let mut indeg: BTreeMap<&Address, usize> = BTreeMap::new();
    let mut users: BTreeMap<&Address, Vec<&Address>> = BTreeMap::new();
    for (a, deps) in deps_of {
        indeg.entry(a).or_insert(0);
        for d in deps {
            let Some((dk, _)) = desired.resources.get_key_value(d) else {
                return Err(GraphError::Dangling {
                    from: (*a).clone(),
                    to: d.clone(),
                });
            };
            *indeg.entry(a).or_insert(0) += 1;
            users.entry(dk).or_default().push(a);
        }
    }
    let mut ready: BTreeSet<&Address> = indeg
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(a, _)| *a)
        .collect();
    let mut out = Vec::with_capacity(deps_of.len());
    while let Some(a) = ready.pop_first() {
        out.push(a.clone());
        for u in users.get(a).into_iter().flatten() {
            let n = indeg.get_mut(u).expect("known");
            *n -= 1;
            if *n == 0 {
                ready.insert(u);
            }
        }
    }
    if out.len() != deps_of.len() {
        let stuck = indeg
            .iter()
            .find(|(_, n)| **n > 0)
            .map(|(a, _)| (*a).clone())
            .expect("some node stuck");
        return Err(GraphError::Cycle(stuck));
    }
    Ok(out)
}

/// What `r` references and `depends_on`, sorted (without copying its
/// properties, as `Resource::dependencies` does).
fn dependencies(r: &Resource) -> Vec<Address> {
    let mut deps: BTreeSet<Address> = r
        .props
        .values()
        .flat_map(find_refs)
        .map(|rf| rf.address)
        .collect();
    deps.extend(r.depends_on.iter().cloned());
    deps.into_iter().collect()
}

/// Equal after normalization; for `unordered` fields (sets that AWS returns
/// in its own order) the top-level list order does not count.
pub(crate) fn same(a: Option<&Value>, b: Option<&Value>, unordered: bool) -> bool {
    // Most fields are plainly equal: skip the normalizing copies.
    if a == b {
        return true;
    }
    let norm = |v: Option<&Value>| {
        v.map(normalize).filter(|v| !is_empty(v)).map(|v| match v {
            Value::Array(mut items) if unordered => {
                items.sort_by_cached_key(|i| i.to_string());
                Value::Array(items)
            }
            other => other,
        })
    };
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests;
