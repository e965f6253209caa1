//! Drift: what changed in AWS outside Gantry, field by field, from a
//! refresh compared with the recorded state, without looking at what the
//! spec wants (`gantry drift`; `plan` marks the same fields among its
//! changes). Fields a resource leaves to AWS once created (`keep`, such as
//! an autoscaled service's desired count) are expected to move and are not
//! drift; fields AWS does not report cannot drift here.

use crate::{is_empty, same, Refreshed};
use gantry_core::{Address, DesiredGraph};
use gantry_state::{secret_marker, MetaLookup, State};
use serde::Serialize;
use serde_json::Value;

/// One field AWS has otherwise than the state records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDrift {
    pub field: String,
    /// What the state records (`None` for a secret, or a field unset).
    pub recorded: Option<Value>,
    /// What AWS has now (`None` for a secret, or a field AWS unset).
    pub now: Option<Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

/// A recorded resource that drifted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drifted {
    pub address: Address,
    pub kind: String,
    pub id: String,
    /// Deleted outside Gantry.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub gone: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldDrift>,
}

/// Every recorded resource the refresh found deleted or changed, in address
/// order. Resources the refresh did not read are left out.
pub fn drift(
    desired: &DesiredGraph,
    state: &State,
    refreshed: &Refreshed,
    meta: MetaLookup,
) -> Vec<Drifted> {
    let mut out = Vec::new();
    for (a, rec) in &state.resources {
        let Some(observed) = refreshed.observed.get(a) else {
            continue;
        };
        let mut d = Drifted {
            address: a.clone(),
            kind: rec.kind.clone(),
            id: rec.id.clone(),
            gone: observed.is_none(),
            fields: Vec::new(),
        };
        if let Some(obs) = observed {
            let m = meta(&rec.kind);
            let secret = |f: &str| m.is_some_and(|m| m.secret.contains(&f));
            let unordered = |f: &str| m.is_some_and(|m| m.unordered.contains(&f));
            let kept = |f: &String| desired.get(a).is_some_and(|r| r.keep.contains(f));
            for (f, v) in &obs.props {
                if kept(f) {
                    continue;
                }
                let now = if secret(f) {
                    secret_marker(v)
                } else {
                    v.clone()
                };
                let recorded = rec.props.get(f);
                if same(recorded, Some(&now), unordered(f)) {
                    continue;
                }
                let shown = |v: Option<&Value>| v.filter(|v| !secret(f) && !is_empty(v)).cloned();
                d.fields.push(FieldDrift {
                    field: f.clone(),
                    recorded: shown(recorded),
                    now: shown(Some(&now)),
                    sensitive: secret(f),
                });
            }
        }
        if d.gone || !d.fields.is_empty() {
            out.push(d);
        }
    }
    out
}

/// Drift as text, a resource and its fields at a time.
pub fn render(drifted: &[Drifted]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if drifted.is_empty() {
        out.push_str("No drift: AWS has what the state records.\n");
        return out;
    }
    let show = |v: &Option<Value>, sensitive: bool| match (v, sensitive) {
        (_, true) => "(sensitive)".to_string(),
        (Some(v), _) => serde_json::to_string(v).expect("JSON values serialize"),
        (None, _) => "null".to_string(),
    };
    for d in drifted {
        if d.gone {
            let _ = writeln!(out, "{} ({}): deleted outside Gantry", d.address, d.id);
            continue;
        }
        let _ = writeln!(out, "{} ({}):", d.address, d.id);
        let w = d.fields.iter().map(|f| f.field.len()).max().unwrap_or(0);
        for f in &d.fields {
            let _ = writeln!(
                out,
                "  ~ {:<w$} = {} -> {}",
                f.field,
                show(&f.recorded, f.sensitive),
                show(&f.now, f.sensitive)
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{} resource(s) changed outside Gantry. `gantry up` puts back what the spec says; `gantry plan` shows how.",
        drifted.len()
    );
    out
}
