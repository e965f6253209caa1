//! References between resources, encoded inside property strings.
//!
//! A reference is the whole string `${ref:ADDRESS.ATTR}`, where ADDRESS is
//! `kind.name` and ATTR is an output of that resource (`id`, `arn`, ...).
//! Keeping references as strings lets typed property structs keep plain
//! `String` fields: the architect writes placeholders, providers receive
//! resolved values, and the engine finds edges by scanning the JSON.

use crate::resource::Address;
use serde_json::Value;

const PREFIX: &str = "${ref:";

/// A parsed reference to an output of another resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ref {
    pub address: Address,
    pub attr: String,
}

impl Ref {
    /// Parses `${ref:kind.name.attr}`; any other string is not a reference.
    pub fn parse(s: &str) -> Option<Ref> {
        let inner = s.strip_prefix(PREFIX)?.strip_suffix('}')?;
        let (address, attr) = inner.rsplit_once('.')?;
        if !address.contains('.') || attr.is_empty() {
            return None;
        }
        Some(Ref {
            address: Address::new(address),
            attr: attr.to_string(),
        })
    }
}

impl std::fmt::Display for Ref {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.address, self.attr)
    }
}

/// The placeholder string for output `attr` of the resource at `address`.
pub fn reference(address: &Address, attr: &str) -> String {
    format!("{PREFIX}{address}.{attr}}}")
}

/// Every reference inside a JSON value, in document order (with repeats).
pub fn find_refs(value: &Value) -> Vec<Ref> {
    let mut out = Vec::new();
    walk(value, &mut |s| {
        if let Some(r) = Ref::parse(s) {
            out.push(r);
        }
    });
    out
}

fn walk(value: &Value, f: &mut impl FnMut(&str)) {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|v| walk(v, f)),
        Value::Object(map) => map.values().for_each(|v| walk(v, f)),
        _ => {}
    }
}

/// References that could not be resolved because their value is not known
/// yet (the target has not been created, or is being replaced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved(pub Vec<Ref>);

/// Replaces every reference by the value `lookup` returns for it. When some
/// lookups return `None`, the value is returned with those placeholders left
/// in place, together with the list of what was missing.
pub fn resolve(value: &Value, lookup: &dyn Fn(&Ref) -> Option<Value>) -> (Value, Unresolved) {
    let mut missing = Vec::new();
    let out = resolve_inner(value, lookup, &mut missing);
    (out, Unresolved(missing))
}

fn resolve_inner(
    value: &Value,
    lookup: &dyn Fn(&Ref) -> Option<Value>,
    missing: &mut Vec<Ref>,
) -> Value {
    match value {
        Value::String(s) => match Ref::parse(s) {
            Some(r) => match lookup(&r) {
                Some(v) => v,
                None => {
                    missing.push(r);
                    value.clone()
                }
            },
            None => value.clone(),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| resolve_inner(v, lookup, missing))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve_inner(v, lookup, missing)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// True when the string contains something that looks like a reference.
/// The spec layer rejects user strings for which this holds, so user data can
/// never be mistaken for a reference.
pub fn looks_like_reference(s: &str) -> bool {
    s.contains(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_and_resolves() {
        let a = Address::new("vpc.main");
        let r = reference(&a, "id");
        assert_eq!(r, "${ref:vpc.main.id}");
        let parsed = Ref::parse(&r).unwrap();
        assert_eq!(parsed.address, a);
        assert_eq!(parsed.attr, "id");
        let v = json!({"vpc_id": r, "list": ["${ref:subnet.a.id}", "plain"]});
        assert_eq!(find_refs(&v).len(), 2);
        let (out, missing) = resolve(&v, &|r| {
            (r.address.as_str() == "vpc.main").then(|| json!("vpc-123"))
        });
        assert_eq!(out["vpc_id"], "vpc-123");
        assert_eq!(missing.0.len(), 1);
        assert_eq!(missing.0[0].address.as_str(), "subnet.a");
    }

    #[test]
    fn ordinary_strings_are_not_references() {
        assert!(Ref::parse("${HOME}").is_none());
        assert!(Ref::parse("${ref:noattr}").is_none());
        assert!(Ref::parse("x${ref:vpc.main.id}").is_none());
    }
}
