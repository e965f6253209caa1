//! The static site (seed 001): a private, versioned S3 bucket that only the
//! stack's CloudFront distribution can read (Origin Access Control, a bucket
//! policy scoped to the distribution's ARN, TLS-only), the distribution
//! itself (HTTPS only, TLS 1.2+, HTTP/2 and 3, IPv6, compression, SPA
//! fallback, optional API paths forwarded uncached to an internet-facing
//! load balancer), and with a domain a us-east-1 certificate validated in
//! the zone plus A/AAAA alias records. With the WAF on, a CLOUDFRONT-scope
//! web ACL carries the stack's rules.
//!
//! The bucket uses SSE-S3 rather than the stack key: its files are public
//! through CloudFront anyway, and SSE-KMS would need the key policy to name
//! the distribution.

use crate::data::bucket_prefix;
use crate::naming::host_slug;
use crate::routing::{ip_sets, web_acl, WebAclSpec};
use crate::Graph;
use gantry_core::kinds::{self, *};
use gantry_core::{reference, Address, Resource};
use gantry_model::{Model, Site};

/// AWS managed cache policy `Managed-CachingOptimized`.
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// AWS managed cache policy `Managed-CachingDisabled`.
pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// AWS managed origin request policy `Managed-AllViewerExceptHostHeader`:
/// cookies, query strings and headers reach the API, with the origin's own
/// Host so the load balancer's certificate and host rules match.
pub const ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
/// Where CloudFront certificates must live.
pub const CLOUDFRONT_REGION: &str = "us-east-1";
/// Days old versions of published files are kept (rollback window).
pub const NONCURRENT_DAYS: i32 = 30;

const S3_ORIGIN: &str = "site-bucket";

fn methods(all: bool) -> Vec<String> {
    let m: &[&str] = if all {
        &["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    } else {
        &["GET", "HEAD"]
    };
    m.iter().map(|s| s.to_string()).collect()
}

pub(crate) fn build(m: &Model, zone: Option<&Address>, g: &mut Graph) {
    let Some(site) = &m.site else { return };
    let prefix = m.prefix();

    let bucket = g.add(Resource::new(
        kinds::S3_BUCKET,
        "site",
        &S3Bucket {
            bucket_prefix: bucket_prefix(m, "site"),
            kms_key_arn: String::new(),
            versioning: true,
            lifecycle_rules: vec![LifecycleRule {
                id: "old-versions".into(),
                prefix: String::new(),
                expiration_days: None,
                noncurrent_expiration_days: Some(NONCURRENT_DAYS),
                transition_to_ia_days: None,
            }],
            cors_rules: Vec::new(),
            // A build artifact: `gantry site publish` recreates it.
            force_destroy: true,
            public_policy: false,
        },
    ));
    let oac = g.add(Resource::new(
        kinds::CLOUDFRONT_ORIGIN_ACCESS_CONTROL,
        "site",
        &CloudfrontOriginAccessControl {
            name: format!("{prefix}-site"),
            description: format!("Gantry {prefix}: CloudFront reads the site bucket"),
        },
    ));

    let cert = certificate(zone, site.host.as_deref(), g);

    let acl = match (&m.waf, site.waf) {
        (Some(waf), true) => {
            let sets = ip_sets(m, &prefix, "site", "CLOUDFRONT", g);
            Some(web_acl(
                WebAclSpec {
                    key: "site",
                    name: format!("{prefix}-site"),
                    description: format!("Gantry {prefix}: CloudFront site"),
                    scope: "CLOUDFRONT",
                },
                waf,
                &sets,
                g,
            ))
        }
        _ => None,
    };

    let mut origins = vec![CloudfrontOrigin {
        id: S3_ORIGIN.into(),
        domain_name: reference(&bucket, "regional_domain_name"),
        origin_access_control_id: Some(reference(&oac, "id")),
        origin_protocol_policy: None,
    }];
    let (api_origin, ordered_behaviors) = api_origin(m, site);
    origins.extend(api_origin);

    let dist = g.add(Resource::new(
        kinds::CLOUDFRONT_DISTRIBUTION,
        "site",
        &CloudfrontDistribution {
            comment: format!("Gantry {prefix} site"),
            enabled: true,
            aliases: match (&cert, &site.host) {
                (Some(_), Some(h)) => vec![h.clone()],
                _ => Vec::new(),
            },
            certificate_arn: cert.as_ref().map(|c| reference(c, "certificate_arn")),
            default_root_object: "index.html".into(),
            price_class: site.price_class.clone(),
            web_acl_arn: acl.as_ref().map(|a| reference(a, "arn")),
            origins,
            default_behavior: CloudfrontBehavior {
                path_pattern: String::new(),
                target_origin_id: S3_ORIGIN.into(),
                cache_policy_id: if site.cache {
                    CACHING_OPTIMIZED
                } else {
                    CACHING_DISABLED
                }
                .into(),
                origin_request_policy_id: None,
                allowed_methods: methods(false),
            },
            ordered_behaviors,
            // S3 answers 403 for a missing key CloudFront may not list.
            custom_error_responses: if site.spa {
                [403, 404]
                    .into_iter()
                    .map(|code| CloudfrontErrorResponse {
                        error_code: code,
                        response_code: 200,
                        response_page_path: "/index.html".into(),
                        min_ttl: 10,
                    })
                    .collect()
            } else {
                Vec::new()
            },
        },
    ));

    g.add(Resource::new(
        kinds::S3_BUCKET_POLICY,
        "site",
        &S3BucketPolicy {
            bucket: reference(&bucket, "id"),
            bucket_arn: reference(&bucket, "arn"),
            cloudfront_distribution_arns: vec![reference(&dist, "arn")],
            deny_insecure_transport: true,
            public_read: false,
        },
    ));

    if let (Some(zone), Some(_), Some(host)) = (zone, &cert, &site.host) {
        alias_records(zone, host, &dist, g);
    }
}

/// The site's certificate (in us-east-1, as CloudFront requires), validated
/// through the zone, when it has a host there.
fn certificate(zone: Option<&Address>, host: Option<&str>, g: &mut Graph) -> Option<Address> {
    let (zone, host) = (zone?, host?);
    let cert = g.add(Resource::new(
        kinds::ACM_CERTIFICATE,
        "site",
        &AcmCertificate {
            domain_name: host.to_string(),
            subject_alternative_names: Vec::new(),
            region: CLOUDFRONT_REGION.into(),
        },
    ));
    Some(g.add(Resource::new(
        kinds::ACM_CERTIFICATE_VALIDATION,
        "site",
        &AcmCertificateValidation {
            certificate_arn: reference(&cert, "arn"),
            zone_id: reference(zone, "id"),
        },
    )))
}

/// With `site.api`: the load balancer as a second origin (HTTPS when it
/// serves it) and a behaviour per API path, uncached, forwarding what the
/// viewer sent but its Host.
fn api_origin(m: &Model, site: &Site) -> (Option<CloudfrontOrigin>, Vec<CloudfrontBehavior>) {
    let Some(api) = &site.api else {
        return (None, Vec::new());
    };
    let lb = m.load_balancers.iter().find(|l| l.name == api.lb);
    let lb_addr = Address::of(kinds::LB, &api.lb);
    // HTTPS to the load balancer needs a name its certificate covers.
    let (domain_name, policy) = match lb.filter(|l| m.is_https(l)) {
        Some(l) => (l.hosts[0].clone(), "https-only"),
        None => (reference(&lb_addr, "dns_name"), "http-only"),
    };
    let id = format!("lb-{}", api.lb);
    let behaviors = api
        .paths
        .iter()
        .map(|path| CloudfrontBehavior {
            path_pattern: path.clone(),
            target_origin_id: id.clone(),
            cache_policy_id: CACHING_DISABLED.into(),
            origin_request_policy_id: Some(ALL_VIEWER_EXCEPT_HOST.into()),
            allowed_methods: methods(true),
        })
        .collect();
    let origin = CloudfrontOrigin {
        id,
        domain_name,
        origin_access_control_id: None,
        origin_protocol_policy: Some(policy.into()),
    };
    (Some(origin), behaviors)
}

/// A and AAAA alias records of the site's host to the distribution.
fn alias_records(zone: &Address, host: &str, dist: &Address, g: &mut Graph) {
    for record_type in ["A", "AAAA"] {
        g.add(Resource::new(
            kinds::ROUTE53_RECORD,
            &format!("{}-{}", host_slug(host), record_type.to_ascii_lowercase()),
            &Route53Record {
                zone_id: reference(zone, "id"),
                name: host.to_string(),
                record_type: record_type.into(),
                alias: Some(AliasTarget {
                    dns_name: reference(dist, "domain_name"),
                    zone_id: reference(dist, "hosted_zone_id"),
                    // CloudFront alias targets do not support health evaluation.
                    evaluate_target_health: false,
                }),
                records: Vec::new(),
                ttl: None,
            },
        ));
    }
}
