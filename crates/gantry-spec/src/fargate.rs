//! The CPU/memory combinations Fargate accepts, so a bad size fails at
//! validation time with the valid choices listed instead of at deploy time.

/// Valid task memory sizes (MiB) for a task CPU value, or `None` if the CPU
/// value itself is not a Fargate size.
pub fn memory_choices(cpu: u32) -> Option<Vec<u32>> {
    let (lo, hi, step) = match cpu {
        256 => return Some(vec![512, 1024, 2048]),
        512 => (1024, 4096, 1024),
        1024 => (2048, 8192, 1024),
        2048 => (4096, 16384, 1024),
        4096 => (8192, 30720, 1024),
        8192 => (16384, 61440, 4096),
        16384 => (32768, 122880, 8192),
        _ => return None,
    };
    Some((lo..=hi).step_by(step as usize).collect())
}

/// Every valid task CPU value.
pub const CPUS: &[u32] = &[256, 512, 1024, 2048, 4096, 8192, 16384];

/// Human summary of the memory choices for `cpu`.
pub fn describe(cpu: u32) -> String {
    match memory_choices(cpu) {
        Some(m) if m.len() <= 4 => m.iter().map(u32::to_string).collect::<Vec<_>>().join(", "),
        Some(m) => format!("{} to {} in steps of {}", m[0], m[m.len() - 1], m[1] - m[0]),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_combinations() {
        assert!(memory_choices(256).unwrap().contains(&512));
        assert!(!memory_choices(256).unwrap().contains(&4096));
        assert!(memory_choices(4096).unwrap().contains(&30720));
        assert!(memory_choices(300).is_none());
        assert_eq!(describe(512), "1024, 2048, 3072, 4096");
    }
}
