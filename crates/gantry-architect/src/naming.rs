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

/// `full` when it fits in `max` characters, else a prefix of it, `-`, and
/// four hex digits of its hash. Never ends with `-` before the hash.
pub fn short_name(full: &str, max: usize) -> String {
    if full.len() <= max {
        return full.to_string();
    }
    let hash = format!("{:04x}", fnv1a(full) & 0xffff);
    let keep = max - hash.len() - 1;
    let prefix = full[..keep].trim_end_matches('-');
    format!("{prefix}-{hash}")
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
    fn slugs() {
        assert_eq!(slug("/api/*"), "api");
        assert_eq!(slug("/.well-known/mercure*"), "well-known-mercure");
        assert_eq!(slug("/*"), "root");
    }
}
