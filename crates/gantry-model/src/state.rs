//! Where the stack's state is kept, with its defaults filled in: the
//! spec's `state:` or the command line's `--state`.

use gantry_spec::{StateBackend, StateSpec};
use serde::Serialize;

/// The state's location for one stack and environment (the CLI adds the
/// `<stack>-<env>` part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum StateLocation {
    /// `.gantry/` beside the spec (or `--state-dir`).
    Local,
    /// Objects under `prefix` in an S3 bucket.
    S3 {
        bucket: String,
        /// Without surrounding slashes; empty for the bucket's root.
        prefix: String,
        region: String,
    },
}

impl StateLocation {
    /// The spec's `state:`; the bucket's region defaults to `region`.
    pub fn from_spec(spec: Option<&StateSpec>, region: &str) -> StateLocation {
        match spec {
            Some(s) if s.backend.value == StateBackend::S3 => StateLocation::S3 {
                bucket: s
                    .bucket
                    .as_ref()
                    .map(|b| b.value.clone())
                    .unwrap_or_default(),
                prefix: s
                    .prefix
                    .as_ref()
                    .map(|p| p.trim_matches('/').to_string())
                    .unwrap_or_default(),
                region: s
                    .region
                    .as_ref()
                    .map_or_else(|| region.to_string(), |r| r.value.clone()),
            },
            _ => StateLocation::Local,
        }
    }

    /// Parses `--state`: `local`, or `s3://bucket[/prefix]` (the bucket in
    /// `region`).
    pub fn parse(s: &str, region: &str) -> Result<StateLocation, String> {
        if s == "local" {
            return Ok(StateLocation::Local);
        }
        let Some(rest) = s.strip_prefix("s3://") else {
            return Err(format!(
                "`{s}` is not a state location: use `local` or `s3://BUCKET[/PREFIX]`"
            ));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if !gantry_spec::state::is_bucket_name(bucket) {
            return Err(format!("`{bucket}` in `{s}` is not a valid S3 bucket name"));
        }
        Ok(StateLocation::S3 {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            region: region.to_string(),
        })
    }

    /// `local`, or `s3://bucket/prefix`.
    pub fn url(&self) -> String {
        match self {
            StateLocation::Local => "local".into(),
            StateLocation::S3 { bucket, prefix, .. } if prefix.is_empty() => {
                format!("s3://{bucket}")
            }
            StateLocation::S3 { bucket, prefix, .. } => format!("s3://{bucket}/{prefix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_print() {
        let l = StateLocation::parse("s3://team-state/gantry/", "eu-west-1").unwrap();
        assert_eq!(
            l,
            StateLocation::S3 {
                bucket: "team-state".into(),
                prefix: "gantry".into(),
                region: "eu-west-1".into()
            }
        );
        assert_eq!(l.url(), "s3://team-state/gantry");
        let root = StateLocation::parse("s3://team-state", "us-east-1").unwrap();
        assert_eq!(root.url(), "s3://team-state");
        assert_eq!(
            StateLocation::parse("local", "x").unwrap(),
            StateLocation::Local
        );
        assert!(StateLocation::parse("gs://b/p", "x").is_err());
        assert!(StateLocation::parse("s3://B_ad/p", "x").is_err());
    }
}
