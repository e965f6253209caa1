//! Resources as data and the desired resource graph.

use crate::reference::find_refs;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A resource's properties: a JSON object, possibly holding references.
pub type Props = serde_json::Map<String, Value>;

/// A resource address, `kind.name` (for example `subnet.private-a`). Names
/// never contain dots, so the kind is everything before the first dot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Address(String);

impl Address {
    pub fn new(s: impl Into<String>) -> Self {
        Address(s.into())
    }
    pub fn of(kind: &str, name: &str) -> Self {
        Address(format!("{kind}.{name}"))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn kind(&self) -> &str {
        self.0.split_once('.').map(|(k, _)| k).unwrap_or(&self.0)
    }
    pub fn name(&self) -> &str {
        self.0.split_once('.').map(|(_, n)| n).unwrap_or("")
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One desired resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub address: Address,
    pub kind: String,
    pub props: Props,
    /// Ordering-only dependencies that no property references (for example
    /// a NAT gateway needs the internet gateway attached first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Address>,
    /// Top-level properties set at create and then left to AWS: once the
    /// object exists, the plan takes their current value as desired
    /// (Terraform's `ignore_changes`). A service's desired count under
    /// autoscaling is the scaler's, not the spec's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keep: Vec<String>,
    /// Why the architect chose something a reader of the plan would not
    /// guess (shown beside the resource's action).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Resource {
    /// Builds a resource from a typed property struct.
    pub fn new<T: Serialize>(kind: &str, name: &str, props: &T) -> Self {
        let props = match serde_json::to_value(props).expect("property structs serialize") {
            Value::Object(m) => m,
            other => panic!("properties of {kind}.{name} must be an object, got {other}"),
        };
        Resource {
            address: Address::of(kind, name),
            kind: kind.to_string(),
            props,
            depends_on: Vec::new(),
            keep: Vec::new(),
            note: None,
        }
    }

    /// Leaves `fields` to AWS once the object exists (see [`Resource::keep`]).
    pub fn keeping(mut self, fields: &[&str]) -> Self {
        self.keep.extend(fields.iter().map(|f| f.to_string()));
        self
    }

    /// Explains a choice to the plan's reader (see [`Resource::note`]).
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    pub fn with_depends_on(mut self, deps: impl IntoIterator<Item = Address>) -> Self {
        self.depends_on.extend(deps);
        self
    }

    /// Every resource this one depends on: referenced ones plus `depends_on`.
    pub fn dependencies(&self) -> BTreeSet<Address> {
        let mut deps: BTreeSet<Address> = find_refs(&Value::Object(self.props.clone()))
            .into_iter()
            .map(|r| r.address)
            .collect();
        deps.extend(self.depends_on.iter().cloned());
        deps
    }
}

/// Problems with a graph's shape.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GraphError {
    #[error("duplicate resource address {0}")]
    Duplicate(Address),
    #[error("{from} refers to {to}, which does not exist")]
    Dangling { from: Address, to: Address },
    #[error("dependency cycle through {0}")]
    Cycle(Address),
    #[error("unknown resource kind `{kind}` at {address}")]
    UnknownKind { address: Address, kind: String },
}

/// The desired resources of a stack, keyed by address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DesiredGraph {
    pub resources: BTreeMap<Address, Resource>,
}

impl DesiredGraph {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, r: Resource) -> Result<&Address, GraphError> {
        if self.resources.contains_key(&r.address) {
            return Err(GraphError::Duplicate(r.address));
        }
        let addr = r.address.clone();
        self.resources.insert(addr.clone(), r);
        Ok(self.resources.get_key_value(&addr).expect("inserted").0)
    }

    pub fn get(&self, a: &Address) -> Option<&Resource> {
        self.resources.get(a)
    }

    pub fn len(&self) -> usize {
        self.resources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// Checks that every reference points inside the graph and that there is
    /// no cycle; returns the addresses in a dependency-respecting order
    /// (ties broken by address so the order is stable).
    pub fn topo_order(&self) -> Result<Vec<Address>, GraphError> {
        let mut indeg: BTreeMap<&Address, usize> = BTreeMap::new();
        let mut users: BTreeMap<&Address, Vec<&Address>> = BTreeMap::new();
        for (a, r) in &self.resources {
            indeg.entry(a).or_insert(0);
            for d in r.dependencies() {
                let Some((dk, _)) = self.resources.get_key_value(&d) else {
                    return Err(GraphError::Dangling {
                        from: a.clone(),
                        to: d,
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
        let mut out = Vec::with_capacity(self.resources.len());
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
        if out.len() != self.resources.len() {
            let stuck = indeg
                .iter()
                .find(|(_, n)| **n > 0)
                .map(|(a, _)| (*a).clone())
                .expect("some node stuck");
            return Err(GraphError::Cycle(stuck));
        }
        Ok(out)
    }

    /// Groups addresses into levels: level 0 has no dependencies, level n
    /// depends only on levels below n. This is the order `up` can apply in.
    pub fn levels(&self) -> Result<Vec<Vec<Address>>, GraphError> {
        let order = self.topo_order()?;
        let mut level: BTreeMap<Address, usize> = BTreeMap::new();
        for a in &order {
            let r = &self.resources[a];
            let l = r
                .dependencies()
                .iter()
                .map(|d| level[d] + 1)
                .max()
                .unwrap_or(0);
            level.insert(a.clone(), l);
        }
        let depth = level.values().copied().max().map(|m| m + 1).unwrap_or(0);
        let mut out = vec![Vec::new(); depth];
        for (a, l) in level {
            out[l].push(a);
        }
        Ok(out)
    }

    /// Checks that every kind has metadata.
    pub fn check_kinds(&self) -> Result<(), GraphError> {
        for r in self.resources.values() {
            if crate::meta::kind_meta(&r.kind).is_none() {
                return Err(GraphError::UnknownKind {
                    address: r.address.clone(),
                    kind: r.kind.clone(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::reference;
    use serde_json::json;

    fn res(kind: &str, name: &str, props: Value) -> Resource {
        Resource::new(kind, name, &props)
    }

    #[test]
    fn orders_and_levels() {
        let mut g = DesiredGraph::new();
        let vpc = Address::of("vpc", "main");
        g.add(res("vpc", "main", json!({"cidr_block": "10.0.0.0/16"})))
            .unwrap();
        g.add(res("subnet", "a", json!({"vpc_id": reference(&vpc, "id")})))
            .unwrap();
        g.add(res("subnet", "b", json!({"vpc_id": reference(&vpc, "id")})))
            .unwrap();
        let levels = g.levels().unwrap();
        assert_eq!(levels.len(), 2);
        assert_eq!(levels[0], vec![vpc]);
        assert_eq!(levels[1].len(), 2);
    }

    #[test]
    fn rejects_dangling_and_cycles() {
        let mut g = DesiredGraph::new();
        g.add(res("a", "x", json!({"r": "${ref:b.y.id}"}))).unwrap();
        assert!(matches!(g.topo_order(), Err(GraphError::Dangling { .. })));
        g.add(res("b", "y", json!({"r": "${ref:a.x.id}"}))).unwrap();
        assert!(matches!(g.topo_order(), Err(GraphError::Cycle(_))));
        assert!(matches!(
            g.add(res("a", "x", json!({}))),
            Err(GraphError::Duplicate(_))
        ));
    }
}
