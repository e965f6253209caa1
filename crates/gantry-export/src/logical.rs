//! Logical ids from addresses: `security_group.svc-web` becomes
//! `SecurityGroupSvcWeb`, an extra resource of it `SecurityGroupSvcWebIngress1`.
//! Ids are alphanumeric (CloudFormation's rule), stable (the same graph gives
//! the same ids) and unique: when two keys would get the same id, the later
//! one (in address order) gets a suffix from a hash of its key.

use gantry_core::{Address, DesiredGraph};
use std::collections::BTreeMap;

/// CloudFormation's limit on a logical id.
const MAX_LEN: usize = 255;

/// `private-a` → `PrivateA`, `openai_api_key` → `OpenaiApiKey`: words split
/// at anything not ASCII alphanumeric, each capitalised.
pub fn pascal(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            let first = cs.next().expect("non-empty").to_ascii_uppercase();
            std::iter::once(first).chain(cs).collect::<String>()
        })
        .collect()
}

/// The id an address asks for, before uniqueness.
pub fn candidate(address: &Address) -> String {
    let id = format!("{}{}", pascal(address.kind()), pascal(address.name()));
    // Logical ids start with a letter; kinds always do.
    id.chars().take(MAX_LEN - 9).collect()
}

/// 32-bit FNV-1a of `s`, as 8 hex digits.
fn hash(s: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

/// Logical ids handed out so far, by key (an address, or an address and a
/// suffix for the extra resources one address maps to).
#[derive(Debug, Default)]
pub struct LogicalIds {
    by_key: BTreeMap<String, String>,
    owner: BTreeMap<String, String>,
}

impl LogicalIds {
    /// Gives every address of the graph its id first, so that an address's
    /// id never depends on which extra resources were named before it.
    pub fn new(graph: &DesiredGraph) -> Self {
        let mut ids = LogicalIds::default();
        for a in graph.resources.keys() {
            ids.claim(a.as_str().to_string(), candidate(a));
        }
        ids
    }

    fn claim(&mut self, key: String, want: String) -> String {
        if let Some(id) = self.by_key.get(&key) {
            return id.clone();
        }
        let id = if self.owner.contains_key(&want) {
            let mut base = want.clone();
            base.truncate(MAX_LEN - 8);
            format!("{base}{}", hash(&key))
        } else {
            want
        };
        debug_assert!(!self.owner.contains_key(&id), "hash collision on {id}");
        self.owner.insert(id.clone(), key.clone());
        self.by_key.insert(key, id.clone());
        id
    }

    /// The id of an address.
    pub fn primary(&mut self, address: &Address) -> String {
        self.claim(address.as_str().to_string(), candidate(address))
    }

    /// The id of an extra resource of an address (`Attachment`, `Route1`).
    pub fn extra(&mut self, address: &Address, suffix: &str) -> String {
        let want = format!("{}{}", candidate(address), pascal(suffix));
        self.claim(format!("{address}#{suffix}"), want)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::Resource;
    use serde_json::json;

    #[test]
    fn ids_are_pascal_case_alphanumeric() {
        assert_eq!(
            candidate(&Address::new("security_group.svc-web")),
            "SecurityGroupSvcWeb"
        );
        assert_eq!(
            candidate(&Address::new("secret.openai_api_key")),
            "SecretOpenaiApiKey"
        );
        assert_eq!(
            candidate(&Address::new("subnet.private-a")),
            "SubnetPrivateA"
        );
    }

    #[test]
    fn clashes_get_a_stable_hash_suffix() {
        let mut g = DesiredGraph::new();
        g.add(Resource::new("subnet", "a-b", &json!({}))).unwrap();
        g.add(Resource::new("subnet", "a_b", &json!({}))).unwrap();
        let mut ids = LogicalIds::new(&g);
        let a = ids.primary(&Address::new("subnet.a-b"));
        let b = ids.primary(&Address::new("subnet.a_b"));
        assert_eq!(a, "SubnetAB");
        assert!(b.starts_with("SubnetAB") && b.len() == 16, "{b}");
        assert!(b.chars().all(|c| c.is_ascii_alphanumeric()));
        // Same graph, same ids; an extra that would clash is suffixed too.
        let mut again = LogicalIds::new(&g);
        assert_eq!(again.primary(&Address::new("subnet.a_b")), b);
        let extra = again.extra(&Address::new("subnet.a"), "b");
        assert_ne!(extra, a);
        assert_eq!(again.extra(&Address::new("subnet.a"), "b"), extra);
    }
}
