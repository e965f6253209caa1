//! `gantry output`: the values other tools need from a stack (repository
//! URLs for CI, role ARNs, the load balancer's DNS name, a bucket's name, a
//! database's host), read from the recorded state. Every recorded resource
//! gives its physical id and each output it records, named
//! `ADDRESS.ATTRIBUTE` (addresses as in the plan and `docs/spec.md`), and
//! every way into the app gives `endpoint.VIA` (its URL). Secret fields are
//! never there: the state holds only markers for them.

use gantry_state::State;
use serde_json::Value;
use std::collections::BTreeMap;

/// Every output, by name.
pub fn outputs(state: &State) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (a, r) in &state.resources {
        let secret = gantry_core::kind_meta(&r.kind).map_or(&[][..], |m| m.secret);
        out.insert(format!("{a}.id"), Value::String(r.id.clone()));
        for (k, v) in &r.outputs {
            if secret.contains(&k.as_str()) || v.is_null() {
                continue;
            }
            out.insert(format!("{a}.{k}"), v.clone());
        }
    }
    for e in crate::endpoints::endpoints(state) {
        out.entry(format!("endpoint.{}", e.via))
            .or_insert(Value::String(e.url));
    }
    out
}

/// What `gantry output NAME` selects: the output named exactly, else those
/// under it (`NAME.…`), else nothing.
pub fn select<'a>(all: &'a BTreeMap<String, Value>, name: &str) -> Vec<(&'a String, &'a Value)> {
    if let Some((k, v)) = all.get_key_value(name) {
        return vec![(k, v)];
    }
    let under = format!("{name}.");
    all.iter().filter(|(k, _)| k.starts_with(&under)).collect()
}

/// A value as a shell reads it: strings bare, the rest as JSON.
pub fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::{Address, Props};
    use gantry_state::{ResourceState, Status};
    use serde_json::json;

    fn resource(kind: &str, id: &str, outputs: Value) -> ResourceState {
        ResourceState {
            kind: kind.into(),
            id: id.into(),
            props: Props::new(),
            outputs: outputs.as_object().cloned().unwrap_or_default(),
            dependencies: vec![],
            status: Status::Ok,
            deposed: vec![],
        }
    }

    #[test]
    fn outputs_name_address_and_attribute_and_leave_secrets_out() {
        let mut st = State::new("shop", "dev");
        st.resources.insert(
            Address::of("ecr_repository", "web-app"),
            resource(
                "ecr_repository",
                "shop/dev/web-app",
                json!({"repository_url": "1.dkr.ecr.us-east-1.amazonaws.com/shop/dev/web-app"}),
            ),
        );
        st.resources.insert(
            Address::of("iam_role", "web-task"),
            resource(
                "iam_role",
                "shop-dev-web-task",
                json!({"arn": "arn:aws:iam::1:role/shop-dev-web-task"}),
            ),
        );
        let all = outputs(&st);
        assert_eq!(
            all["ecr_repository.web-app.repository_url"],
            "1.dkr.ecr.us-east-1.amazonaws.com/shop/dev/web-app"
        );
        assert_eq!(all["iam_role.web-task.id"], "shop-dev-web-task");
        assert_eq!(
            select(&all, "iam_role.web-task")
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>(),
            ["iam_role.web-task.arn", "iam_role.web-task.id"]
        );
        assert_eq!(select(&all, "iam_role.web").len(), 0, "names, not prefixes");
        assert_eq!(plain(&json!("a")), "a");
        assert_eq!(plain(&json!(5432)), "5432");
        for meta in gantry_core::meta::all() {
            let kind = meta.kind;
            for field in meta.secret {
                let mut st = State::new("s", "e");
                st.resources.insert(
                    Address::of(kind, "x"),
                    resource(kind, "x", json!({ *field: "sha256:00" })),
                );
                assert!(!outputs(&st).contains_key(&format!("{kind}.x.{field}")));
            }
        }
    }
}
