//! Names made valid for the spec (stack, services, containers, stores,
//! environments), and task sizes rounded to what Fargate accepts.

use gantry_spec::fargate;
use std::collections::BTreeSet;

/// Lowercase words of `raw`: camelCase and any separator split words.
fn words(raw: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            cur.push(c.to_ascii_lowercase());
        } else {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// A DNS label of at most `max` characters: lowercase letters, digits and
/// `-`, starting with a letter (`prefix` is put first otherwise).
pub fn label(raw: &str, max: usize, prefix: &str) -> String {
    let mut s = words(raw).join("-");
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        s = if s.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}-{s}")
        };
    }
    s.truncate(max);
    s.trim_end_matches('-').to_string()
}

/// The stack name: a DNS label of at most 20 characters.
pub fn stack(raw: &str) -> String {
    label(raw, gantry_spec::MAX_STACK_NAME, "app")
}

/// Store names: unique across every store section, where `-` and `_`
/// count as the same.
#[derive(Debug, Default)]
pub struct Stores {
    taken: BTreeSet<String>,
}

impl Stores {
    /// A new store name from `raw` (`ordersTable` → `orders-table`), with a
    /// number added when taken.
    pub fn claim(&mut self, raw: &str, fallback: &str) -> String {
        let base = label(raw, 32, fallback);
        let mut name = base.clone();
        let mut n = 2;
        while self.taken.contains(&name.replace('_', "-")) {
            let suffix = format!("-{n}");
            let mut b = base.clone();
            b.truncate(32 - suffix.len());
            name = format!("{}{suffix}", b.trim_end_matches('-'));
            n += 1;
        }
        self.taken.insert(name.replace('_', "-"));
        name
    }
}

/// The smallest Fargate task size with at least `cpu` units and `memory`
/// MiB (either may be unknown).
pub fn fargate_size(cpu: Option<u64>, memory: Option<u64>) -> (u32, u32) {
    let want_cpu = cpu.unwrap_or(256);
    let want_mem = memory.unwrap_or(0);
    for &c in fargate::CPUS {
        if u64::from(c) < want_cpu {
            continue;
        }
        let choices = fargate::memory_choices(c).expect("known cpu");
        if let Some(&m) = choices.iter().find(|&&m| u64::from(m) >= want_mem) {
            return (c, m);
        }
    }
    let top = *fargate::CPUS.last().expect("cpus");
    let mem = *fargate::memory_choices(top)
        .expect("known cpu")
        .last()
        .expect("choices");
    (top, mem)
}

/// True when `(cpu, memory)` is a size Fargate accepts.
pub fn valid_size(cpu: u64, memory: u64) -> bool {
    u32::try_from(cpu)
        .ok()
        .and_then(fargate::memory_choices)
        .is_some_and(|m| m.iter().any(|&x| u64::from(x) == memory))
}

/// True for a variable name the spec accepts: letters, digits and `_`,
/// not starting with a digit.
pub fn valid_env_name(k: &str) -> bool {
    k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The variable name Gantry injects for a secret or parameter `name`.
pub fn env_var(name: &str) -> String {
    gantry_spec::env_stem(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(label("My_App", 20, "app"), "my-app");
        assert_eq!(label("ordersTable", 32, "t"), "orders-table");
        assert_eq!(label("9lives", 32, "app"), "app-9lives");
        assert_eq!(
            stack("a-very-long-application-name"),
            "a-very-long-applicat"
        );
        assert_eq!(stack("--"), "app");
    }

    #[test]
    fn stores_are_unique() {
        let mut s = Stores::default();
        assert_eq!(s.claim("data", "v"), "data");
        assert_eq!(s.claim("data", "v"), "data-2");
    }

    #[test]
    fn nearest_fargate_size() {
        assert_eq!(fargate_size(Some(512), Some(512)), (512, 1024));
        assert_eq!(fargate_size(Some(100), Some(3000)), (512, 3072));
        assert_eq!(fargate_size(None, Some(9000)), (2048, 9216));
        assert_eq!(fargate_size(Some(1536), None), (2048, 4096));
        assert!(valid_size(1024, 2048));
        assert!(!valid_size(256, 4096));
    }
}
