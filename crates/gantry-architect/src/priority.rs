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

/// Priorities for a set of path patterns (duplicates are ignored).
pub fn priorities<'a>(paths: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, i32> {
    let paths: BTreeSet<&str> = paths.into_iter().collect();
    let mut taken: BTreeSet<i32> = BTreeSet::new();
    let mut out = BTreeMap::new();
    for p in paths {
        let band = 99 - specificity(p);
        let mut prio = band * BAND + 1 + (fnv1a(p) % SLOTS) as i32;
        // Callers keep far fewer rules than slots (ALB allows 100 per
        // listener), so this always finds a free one.
        while !taken.insert(prio) {
            prio = if prio >= MAX { 1 } else { prio + 1 };
        }
        out.insert(p.to_string(), prio);
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
