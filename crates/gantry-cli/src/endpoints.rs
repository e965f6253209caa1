//! The app's addresses, from the recorded state: every hostname an alias
//! record gives a load balancer, a CloudFront distribution or an API's
//! custom domain, with the DNS name behind it; and the AWS names of those
//! that no record names. `status` lists them and `up` ends with them.

use gantry_core::{kinds, Address};
use gantry_state::State;
use std::collections::BTreeSet;

/// One way into the app.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Endpoint {
    /// What a user opens (`https://app.example.com`).
    pub url: String,
    /// The AWS DNS name behind it (the alias target, or the URL's own
    /// host when no record names it).
    pub dns_name: String,
    /// The resource that serves it (`lb.main`, `cloudfront_distribution.site`).
    pub via: String,
}

fn text(v: Option<&serde_json::Value>) -> &str {
    v.and_then(|v| v.as_str()).unwrap_or_default()
}

fn host(s: &str) -> String {
    s.trim_end_matches('.').to_ascii_lowercase()
}

/// The addresses of what the state records, sorted by URL. Internal load
/// balancers are left out: no one outside the VPC reaches them.
pub fn endpoints(state: &State) -> Vec<Endpoint> {
    // What serves on which AWS DNS name, and whether over HTTPS.
    let mut targets: Vec<(String, Address, bool)> = Vec::new();
    for (a, r) in &state.resources {
        match r.kind.as_str() {
            kinds::LB if r.props.get("internal").and_then(|v| v.as_bool()) != Some(true) => {
                let https = state.resources.values().any(|l| {
                    l.kind == kinds::LB_LISTENER
                        && text(l.props.get("load_balancer_arn")) == r.id
                        && text(l.props.get("protocol")) == "HTTPS"
                });
                targets.push((host(text(r.outputs.get("dns_name"))), a.clone(), https));
            }
            kinds::CLOUDFRONT_DISTRIBUTION => {
                targets.push((host(text(r.outputs.get("domain_name"))), a.clone(), true));
            }
            kinds::APIGW_DOMAIN_NAME => {
                targets.push((
                    host(text(r.outputs.get("regional_domain_name"))),
                    a.clone(),
                    true,
                ));
            }
            _ => {}
        }
    }
    targets.retain(|(dns, _, _)| !dns.is_empty());
    let mut out = BTreeSet::new();
    let mut named: BTreeSet<Address> = BTreeSet::new();
    for r in state.resources.values() {
        if r.kind != kinds::ROUTE53_RECORD || text(r.props.get("type")) != "A" {
            continue;
        }
        let Some(alias) = r.props.get("alias") else {
            continue;
        };
        let dns = host(text(alias.get("dns_name")));
        let dns = dns.trim_start_matches("dualstack.");
        if let Some((_, via, https)) = targets.iter().find(|(t, _, _)| t == dns) {
            let scheme = if *https { "https" } else { "http" };
            out.insert(Endpoint {
                url: format!("{scheme}://{}", host(text(r.props.get("name")))),
                dns_name: dns.to_string(),
                via: via.to_string(),
            });
            named.insert(via.clone());
        }
    }
    for (dns, via, https) in &targets {
        // A custom domain is only reached through its record.
        if named.contains(via) || via.kind() == kinds::APIGW_DOMAIN_NAME {
            continue;
        }
        let scheme = if *https { "https" } else { "http" };
        out.insert(Endpoint {
            url: format!("{scheme}://{dns}"),
            dns_name: dns.clone(),
            via: via.to_string(),
        });
    }
    // An API without a custom domain: its own endpoint.
    let has_domain = state
        .resources
        .values()
        .any(|r| r.kind == kinds::APIGW_DOMAIN_NAME);
    if !has_domain {
        for (a, r) in &state.resources {
            if r.kind == kinds::APIGW_API {
                let url = text(r.outputs.get("api_endpoint")).to_string();
                if !url.is_empty() {
                    let dns = url.split("://").nth(1).unwrap_or(&url).to_string();
                    out.insert(Endpoint {
                        url,
                        dns_name: dns,
                        via: a.to_string(),
                    });
                }
            }
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_state::{ResourceState, Status};
    use serde_json::json;

    fn add(
        s: &mut State,
        kind: &str,
        name: &str,
        id: &str,
        props: serde_json::Value,
        outputs: serde_json::Value,
    ) {
        let to_props = |v: serde_json::Value| serde_json::from_value(v).unwrap();
        s.resources.insert(
            Address::of(kind, name),
            ResourceState {
                kind: kind.into(),
                id: id.into(),
                props: to_props(props),
                outputs: to_props(outputs),
                dependencies: vec![],
                status: Status::Ok,
                deposed: vec![],
            },
        );
    }

    #[test]
    fn hostnames_name_what_serves_them() {
        let mut s = State::new("app", "dev");
        add(
            &mut s,
            kinds::LB,
            "main",
            "arn:lb/main",
            json!({"internal": false}),
            json!({"dns_name": "main-1.us-east-1.elb.amazonaws.com"}),
        );
        add(
            &mut s,
            kinds::LB_LISTENER,
            "https",
            "arn:l/1",
            json!({"load_balancer_arn": "arn:lb/main", "protocol": "HTTPS"}),
            json!({}),
        );
        add(
            &mut s,
            kinds::LB,
            "internal",
            "arn:lb/int",
            json!({"internal": true}),
            json!({"dns_name": "internal-x.elb.amazonaws.com"}),
        );
        add(
            &mut s,
            kinds::LB,
            "plain",
            "arn:lb/plain",
            json!({"internal": false}),
            json!({"dns_name": "plain-2.elb.amazonaws.com"}),
        );
        add(
            &mut s,
            kinds::CLOUDFRONT_DISTRIBUTION,
            "site",
            "E1",
            json!({}),
            json!({"domain_name": "d111.cloudfront.net"}),
        );
        add(
            &mut s,
            kinds::APIGW_API,
            "main",
            "a1",
            json!({}),
            json!({"api_endpoint": "https://a1.execute-api.us-east-1.amazonaws.com"}),
        );
        add(
            &mut s,
            kinds::APIGW_DOMAIN_NAME,
            "api",
            "api.example.com",
            json!({}),
            json!({"regional_domain_name": "d-abc.execute-api.us-east-1.amazonaws.com"}),
        );
        let record = |name: &str, dns: &str| json!({"zone_id": "Z1", "name": name, "type": "A", "alias": {"dns_name": dns, "zone_id": "Z2", "evaluate_target_health": true}});
        add(
            &mut s,
            kinds::ROUTE53_RECORD,
            "agents",
            "Z1|agents|A",
            record(
                "agents.example.com",
                "dualstack.main-1.us-east-1.elb.amazonaws.com.",
            ),
            json!({}),
        );
        add(
            &mut s,
            kinds::ROUTE53_RECORD,
            "app",
            "Z1|app|A",
            record("app.example.com", "d111.cloudfront.net"),
            json!({}),
        );
        add(
            &mut s,
            kinds::ROUTE53_RECORD,
            "api",
            "Z1|api|A",
            record(
                "api.example.com",
                "d-abc.execute-api.us-east-1.amazonaws.com",
            ),
            json!({}),
        );
        let got: Vec<(String, String, String)> = endpoints(&s)
            .into_iter()
            .map(|e| (e.url, e.dns_name, e.via))
            .collect();
        let e = |u: &str, d: &str, v: &str| (u.to_string(), d.to_string(), v.to_string());
        assert_eq!(
            got,
            vec![
                e(
                    "http://plain-2.elb.amazonaws.com",
                    "plain-2.elb.amazonaws.com",
                    "lb.plain"
                ),
                e(
                    "https://agents.example.com",
                    "main-1.us-east-1.elb.amazonaws.com",
                    "lb.main"
                ),
                e(
                    "https://api.example.com",
                    "d-abc.execute-api.us-east-1.amazonaws.com",
                    "apigw_domain_name.api"
                ),
                e(
                    "https://app.example.com",
                    "d111.cloudfront.net",
                    "cloudfront_distribution.site"
                ),
            ]
        );
    }
}
