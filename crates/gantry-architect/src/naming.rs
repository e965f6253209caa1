//! Deterministic physical names and stable hashes.
//!
//! AWS caps many names (32 characters for load balancers and target groups,
//! 64 for IAM roles). Names must be reproducible from the spec alone so a
//! crashed run can find what it created, so shortening appends a hash of the
//! full name rather than anything random.

/// FNV-1a, 32 bits: tiny, stable across platforms and Rust versions (unlike
/// `std`'s hasher), which matters because results end up in AWS names.
pub fn fnv1a(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// `full` when it fits in `max` characters. Otherwise its start and its
/// end around four hex digits of its hash (`start-hash-end`), so the part
/// that tells two names apart in the console (a role's `-exec` or `-task`, a
/// target group's service and container) survives the cut. The end takes up
/// to half the room, from a `-` when one is there; the hash keeps names
/// unique when two long names differ only in the middle. Names are ASCII
/// (the spec admits only lowercase letters, digits and `-`).
pub fn short_name(full: &str, max: usize) -> String {
    if full.len() <= max {
        return full.to_string();
    }
    let hash = format!("{:04x}", fnv1a(full) & 0xffff);
    // Room for the start and the end: less the hash and its two dashes.
    let room = max.saturating_sub(hash.len() + 2);
    let end = tail(full, room / 2);
    let start = full[..room - end.len()].trim_end_matches('-');
    if end.is_empty() {
        format!("{start}-{hash}")
    } else {
        format!("{start}-{hash}-{end}")
    }
}

/// The end of `s` in at most `max` characters: its last whole `-`-separated
/// parts when they fit, else the last `max` characters.
fn tail(s: &str, max: usize) -> &str {
    let from = s.len() - max.min(s.len());
    let window = &s[from..];
    let at_boundary = from == 0 || s.as_bytes()[from - 1] == b'-';
    let end = match window.find('-') {
        Some(i) if !at_boundary && i + 1 < window.len() => &window[i + 1..],
        _ => window,
    };
    end.trim_start_matches('-')
}

/// A readable address fragment for a URL path pattern: `/api/*` → `api`,
/// `/.well-known/mercure*` → `well-known-mercure`, `/*` → `root`.
pub fn slug(path: &str) -> String {
    let mut out = String::new();
    for c in path.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let s = out.trim_matches('-');
    let s = if s.is_empty() { "root" } else { s };
    s.chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

/// An address fragment for a host name: `api.example.com` → `api-example-com`.
pub fn host_slug(host: &str) -> String {
    let s: String = host
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    short_name(&s, 60)
}

/// The AWS partition of a region, for hand-built ARNs.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_deterministically() {
        assert_eq!(short_name("minimal-dev", 32), "minimal-dev");
        let long = "a-very-long-stack-name-staging-web-app";
        let s = short_name(long, 32);
        assert_eq!(s.len(), 32);
        assert_eq!(s, short_name(long, 32));
        assert_ne!(s, short_name("a-very-long-stack-name-staging-web-api", 32));
    }

    #[test]
    fn keeps_the_distinguishing_end() {
        let exec = short_name("agent-platform-production-conversation-service-exec", 40);
        let task = short_name("agent-platform-production-conversation-service-task", 40);
        assert_eq!(exec.len(), 40);
        assert!(exec.starts_with("agent-platform-produc"), "{exec}");
        assert!(exec.ends_with("-service-exec"), "{exec}");
        assert!(task.ends_with("-service-task"), "{task}");
        // A last part longer than half the room keeps its own end.
        let tg = short_name("stack-dev-abcdefghijklmnopqrstuvwxyz", 24);
        assert!(tg.ends_with("-rstuvwxyz"), "{tg}");
        assert!(tg.len() <= 24, "{tg}");
    }

    #[test]
    fn shortened_names_stay_unique_and_well_formed() {
        // Names that differ only in the middle, at every length around the cut.
        let mut seen = std::collections::HashSet::new();
        for max in [24, 32, 40, 63, 64] {
            seen.clear();
            for i in 0..200 {
                let full = format!(
                    "stack-{}-{i}-service-with-a-long-name-exec",
                    "x".repeat(max)
                );
                let s = short_name(&full, max);
                assert!(s.len() <= max, "{s}");
                assert!(
                    !s.contains("--") && !s.ends_with('-') && !s.starts_with('-'),
                    "{s}"
                );
                assert!(s.ends_with("-exec"), "{s}");
                assert!(seen.insert(s.clone()), "{s} repeats at {max}");
            }
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("/api/*"), "api");
        assert_eq!(slug("/.well-known/mercure*"), "well-known-mercure");
        assert_eq!(slug("/*"), "root");
    }
}
