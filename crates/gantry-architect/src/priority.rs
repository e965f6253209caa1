//! Listener rule priorities that stay put.
//!
//! ALB evaluates rules by ascending priority and the first match wins, so
//! more specific patterns need lower numbers. Renumbering on every change
//! would rewrite unrelated rules (and ALB rejects two rules with the same
//! priority mid-update), so each rule's priority depends on its own path as
//! far as possible:
//!
//! - the pattern's *specificity* picks a band of 500 priorities: score =
//!   2 × (characters before the first `*` or `?`) + 1 if it has no wildcard,
//!   capped at 99; band = 99 − score, so longer literal prefixes come first
//!   (`/api/admin/*` before `/api/*`, `/ab` before `/ab*`);
//! - a hash of the path picks a slot inside the band (1..=499);
//! - only if two paths land on the same slot does the later one (in path
//!   order) probe to the next free priority, the one case where another
//!   route can move a rule.
//!
//! - a rule with a host header counts as [`HOST_BONUS`] more specific than
//!   its path alone (a host is worth about 15 literal path characters) and
//!   hashes `host path` for its slot; rules without a host keep exactly the
//!   priorities they had before hosts existed.
//!
//! Priorities therefore range from 1 to 49 999 (ALB allows 1 to 50 000).

use crate::naming::fnv1a;
use std::collections::{BTreeMap, BTreeSet};

const BAND: i32 = 500;
const SLOTS: u32 = 499;
const MAX: i32 = 49_999;

/// How specific a path pattern is: higher is more specific.
pub fn specificity(path: &str) -> i32 {
    let literal = path.find(['*', '?']).unwrap_or(path.len());
    let exact = i32::from(!path.contains(['*', '?']));
    (2 * literal as i32 + exact).min(99)
}

/// How much more specific a host header makes a rule.
pub const HOST_BONUS: i32 = 30;

/// The key of a rule in [`rule_priorities`]: the path, or `host path`.
pub fn rule_key(host: Option<&str>, path: &str) -> String {
    match host {
        Some(h) => format!("{h} {path}"),
        None => path.to_string(),
    }
}

/// Priorities for a set of path patterns (duplicates are ignored).
pub fn priorities<'a>(paths: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, i32> {
    rule_priorities(paths.into_iter().map(|p| (None, p)))
}

/// Priorities for rules of (optional host, path), keyed by [`rule_key`].
/// Path-only rules are placed first (in path order), then host rules, so a
/// host rule never pushes a path-only rule off its slot.
pub fn rule_priorities<'a>(
    rules: impl IntoIterator<Item = (Option<&'a str>, &'a str)>,
) -> BTreeMap<String, i32> {
    let rules: BTreeSet<(Option<&str>, &str)> = rules.into_iter().collect();
    let mut taken: BTreeSet<i32> = BTreeSet::new();
    let mut out = BTreeMap::new();
    for (host, p) in rules {
        let key = rule_key(host, p);
        let score = (specificity(p) + if host.is_some() { HOST_BONUS } else { 0 }).min(99);
        let band = 99 - score;
        let mut prio = band * BAND + 1 + (fnv1a(&key) % SLOTS) as i32;
        // Callers keep far fewer rules than slots (ALB allows 100 per
        // listener), so this always finds a free one.
        while !taken.insert(prio) {
            prio = if prio >= MAX { 1 } else { prio + 1 };
        }
        out.insert(key, prio);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specific_patterns_come_first() {
        let p = priorities([
            "/api/*",
            "/api/admin/*",
            "/.well-known/mercure*",
            "/healthz",
        ]);
        assert!(p["/api/admin/*"] < p["/api/*"]);
        assert!(p.values().all(|v| (1..=50_000).contains(v)));
        let exact = priorities(["/ab", "/ab*"]);
        assert!(exact["/ab"] < exact["/ab*"]);
    }

    #[test]
    fn adding_a_route_keeps_other_priorities() {
        let before = priorities(["/api/*", "/.well-known/mercure*"]);
        let after = priorities(["/api/*", "/.well-known/mercure*", "/admin/*", "/static/*"]);
        for (k, v) in &before {
            assert_eq!(after[k], *v, "{k} moved");
        }
    }

    #[test]
    fn collisions_probe_to_a_free_slot() {
        let many: Vec<String> = (0..600).map(|i| format!("/p{i:03}/*")).collect();
        let p = priorities(many.iter().map(String::as_str));
        let unique: BTreeSet<_> = p.values().collect();
        assert_eq!(unique.len(), 600);
    }
}
