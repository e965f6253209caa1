//! The `usage:` key: what the cost estimate assumes a month for charges
//! that depend on use (data through NAT, requests, storage, log ingestion).
//!
//! One table ([`usage_fields!`]) declares every figure once, with its
//! default and its meaning, and gives both the spec's section (each figure
//! optional, with its position for diagnostics) and the resolved
//! [`Profile`] the cost estimate reads. An environment's `usage:` overlays
//! the base one figure by figure: production's traffic is not dev's.

use crate::diag::Problems;
use crate::span::Sp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! usage_fields {
    ($($(#[doc = $doc:literal])* $field:ident: $default:expr,)*) => {
        /// Assumed use a month, per resource: each figure replaces the
        /// documented default (`gantry cost --detail` shows each charge it
        /// prices). Set per environment under `environments.ENV.usage`.
        #[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct Usage {
            $($(#[doc = $doc])* pub $field: Option<Sp<f64>>,)*
        }

        /// The figures the estimate uses: the spec's where set, else the
        /// defaults.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct Profile {
            $($(#[doc = $doc])* pub $field: f64,)*
        }

        impl Default for Profile {
            fn default() -> Profile {
                Profile { $($field: $default,)* }
            }
        }

        impl Usage {
            /// `self` with each figure `o` sets replacing it.
            pub fn overlaid(&self, o: &Usage) -> Usage {
                Usage { $($field: o.$field.clone().or_else(|| self.$field.clone()),)* }
            }

            /// The set figures by key.
            pub fn figures(&self) -> Vec<(&'static str, &Sp<f64>)> {
                let mut out = Vec::new();
                $(if let Some(v) = &self.$field { out.push((stringify!($field), v)); })*
                out
            }

            /// The defaults with the set figures replacing them.
            pub fn profile(&self) -> Profile {
                let d = Profile::default();
                Profile { $($field: self.$field.as_ref().map_or(d.$field, |v| v.value),)* }
            }
        }
    };
}

usage_fields! {
    /// GB through each NAT gateway. Default 50.
    nat_gb: 50.0,
    /// GB through each interface endpoint. Default 10.
    endpoint_gb: 10.0,
    /// Average load balancer capacity units each load balancer uses.
    /// Default 0.5.
    lb_lcu: 0.5,
    /// GB of logs each log group ingests (and keeps stored). Default 2.
    log_gb: 2.0,
    /// GB stored in each bucket. Default 10.
    bucket_gb: 10.0,
    /// Thousands of GET requests to each bucket. Default 100.
    bucket_get_thousands: 100.0,
    /// Thousands of PUT requests to each bucket. Default 10.
    bucket_put_thousands: 10.0,
    /// Millions of reads from each table. Default 1.
    table_read_millions: 1.0,
    /// Millions of writes to each table. Default 0.5.
    table_write_millions: 0.5,
    /// GB each table holds. Default 1.
    table_gb: 1.0,
    /// GB of images in each repository. Default 1.
    image_gb: 1.0,
    /// GB in each file system. Default 5.
    file_gb: 5.0,
    /// GB each CloudFront distribution serves. Default 50.
    cdn_gb: 50.0,
    /// Tens of thousands of requests to each distribution. Default 100.
    cdn_requests_10k: 100.0,
    /// Millions of requests to each HTTP API. Default 1.
    api_millions: 1.0,
    /// Millions of requests (sends, receives, deletes, empty polls) to each
    /// queue. Default 1.
    queue_millions: 1.0,
    /// Millions of publishes to each topic. Default 1.
    topic_millions: 1.0,
    /// Millions of requests each web ACL inspects. Default 1.
    waf_millions: 1.0,
    /// Tens of thousands of calls to each secret. Default 1.
    secret_calls_10k: 1.0,
    /// Tens of thousands of requests to each KMS key. Default 1.
    key_requests_10k: 1.0,
    /// Millions of DNS queries to each hosted zone. Default 1.
    dns_millions: 1.0,
    /// Thousands of recipients of each email identity's mail. Default 10.
    email_thousands: 10.0,
    /// Monthly active users of each user pool. Default 1000.
    auth_mau: 1000.0,
    /// Millions of traces each task with `tracing: xray` records. Default 1.
    xray_traces_millions: 1.0,
}

/// Every figure is a finite, non-negative quantity.
pub(crate) fn check(usage: Option<&Usage>, p: &mut Problems) {
    for (key, v) in usage.map(Usage::figures).unwrap_or_default() {
        if !v.value.is_finite() || v.value < 0.0 {
            p.push(
                v.pos,
                format!("invalid usage figure `{key}: {}`", v.value),
                "use a quantity of 0 or more (a month's use per resource)".to_string(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_replace_defaults_and_overlays_replace_figures() {
        let base = Usage {
            nat_gb: Some(Sp::new(500.0)),
            log_gb: Some(Sp::new(20.0)),
            ..Usage::default()
        };
        let prod = Usage {
            nat_gb: Some(Sp::new(2000.0)),
            ..Usage::default()
        };
        let p = base.overlaid(&prod).profile();
        assert_eq!(p.nat_gb, 2000.0);
        assert_eq!(p.log_gb, 20.0);
        assert_eq!(p.endpoint_gb, Profile::default().endpoint_gb);
        assert_eq!(Usage::default().profile(), Profile::default());
    }
}
