//! `state:`: where Gantry keeps the stack's state. Local files beside the
//! spec by default; an S3 bucket for teams (`gantry init` creates it). The
//! command line's `--state s3://bucket/prefix` (or `--state local`)
//! overrides it.

use crate::diag::Problems;
use crate::span::Sp;
use crate::types::Spec;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where the state is kept.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateSpec {
    /// `local` (default: `.gantry/` beside the spec) or `s3`.
    pub backend: Sp<StateBackend>,
    /// The S3 bucket (`s3` only). `gantry init` creates it if missing.
    pub bucket: Option<Sp<String>>,
    /// A key prefix inside the bucket; the state of each stack and
    /// environment goes under `<prefix>/<stack>-<env>/`. Default: none.
    pub prefix: Option<Sp<String>>,
    /// The bucket's region. Default: the stack's `region`.
    pub region: Option<Sp<String>>,
}

/// The kinds of state backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StateBackend {
    Local,
    S3,
}

/// True for a name S3 accepts for a new general purpose bucket: 3 to 63
/// lowercase letters, digits, `.` and `-`, starting and ending with a
/// letter or digit, no `..`, not shaped like an IP address.
pub fn is_bucket_name(s: &str) -> bool {
    let ok_chars = s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ip_like = s.split('.').count() == 4 && s.split('.').all(|p| p.parse::<u8>().is_ok());
    (3..=63).contains(&s.len())
        && ok_chars
        && edge(s.chars().next())
        && edge(s.chars().last())
        && !s.contains("..")
        && !ip_like
}

pub(crate) fn check(spec: &Spec, p: &mut Problems) {
    let Some(st) = &spec.state else {
        return;
    };
    match st.backend.value {
        StateBackend::Local => {
            for (key, v) in [
                ("bucket", &st.bucket),
                ("prefix", &st.prefix),
                ("region", &st.region),
            ] {
                if let Some(v) = v {
                    p.push(
                        v.pos,
                        format!("`{key}` applies to the s3 backend only"),
                        "remove it, or set `backend: s3`".to_string(),
                    );
                }
            }
        }
        StateBackend::S3 => match &st.bucket {
            None => p.push(
                st.backend.pos,
                "the s3 state backend needs a bucket",
                "add `bucket: NAME` (`gantry init` creates it)".to_string(),
            ),
            Some(b) if !is_bucket_name(b) => p.push(
                b.pos,
                format!("invalid bucket name `{}`", b.value),
                "use 3 to 63 lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit".to_string(),
            ),
            Some(_) => {}
        },
    }
    if let Some(prefix) = &st.prefix {
        if prefix.contains("//") || prefix.chars().any(|c| c.is_control()) {
            p.push(
                prefix.pos,
                format!("invalid state prefix `{}`", prefix.value),
                "use a key prefix such as `team/gantry`".to_string(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["abc", "my-state.bucket", "a1-2b"] {
            assert!(is_bucket_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            "Abc",
            "-abc",
            "abc-",
            "a..b",
            "192.168.1.1",
            "a_b",
            &"a".repeat(64),
        ] {
            assert!(!is_bucket_name(bad), "{bad}");
        }
    }
}
