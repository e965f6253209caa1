//! The API Gateway front door (seed 004): an HTTP API whose routes are the
//! routes of one internal load balancer, reaching it through a VPC link in
//! the private subnets (private integrations: `HTTP_PROXY`, `VPC_LINK`,
//! integration URI = the load balancer's HTTP listener), a `$default` stage
//! that deploys automatically, logs every request to its own log group and
//! throttles every route, and with a `host` a regional custom domain (TLS
//! 1.2, a DNS-validated certificate in the stack's region), its API mapping
//! and an alias record.
//!
//! The VPC link has its own security group; the load balancer admits HTTP
//! from that group alone, so the API is the only way in. The link's egress
//! names the VPC CIDR rather than the load balancer's group, which already
//! names the link's: referencing both ways would be a dependency cycle.
//!
//! With `auth`, a JWT authorizer (issuer the user pool, audience its web
//! client) on every route but those written `auth: none`.
//!
//! One integration per service (all to the same listener: the load balancer
//! routes by path) and one route per route path of the load balancer.
//! Addresses of shared kinds use `_` (`acm_certificate.api_domain`,
//! `log_group.api_access`), which load balancer and service names cannot
//! contain, so they never collide with theirs.

use crate::common::{retention, sg_name, stack_key_arn, tcp};
use crate::naming::host_slug;
use crate::naming::{fnv1a, slug};
use crate::network::{ids, Net};
use crate::Graph;
use gantry_core::kinds::{self, *};
use gantry_core::{reference, Address, Resource};
use gantry_model::{Api, Model};
use std::collections::BTreeMap;

/// The address name of the VPC link's security group.
pub(crate) const LINK_SG: &str = "apigw-link";
/// The listener port the integrations reach (plain HTTP inside the VPC).
pub(crate) const LB_PORT: i32 = 80;
/// API Gateway's maximum integration timeout for HTTP APIs.
pub const INTEGRATION_TIMEOUT_MS: i32 = 30_000;
/// One JSON line per request in the access log.
pub const ACCESS_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","path":"$context.path","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","integrationLatency":"$context.integrationLatency","integrationError":"$context.integrationErrorMessage"}"#;

/// The VPC link's security group (routing needs it before the load
/// balancer's group, which admits it). `None` without an API.
pub(crate) fn link_security_group(m: &Model, net: &Net, g: &mut Graph) -> Option<Address> {
    let api = m.api.as_ref()?;
    Some(g.add(Resource::new(
        kinds::SECURITY_GROUP,
        LINK_SG,
        &SecurityGroup {
            name: sg_name(&format!("{}-{LINK_SG}", m.prefix())),
            description: format!(
                "API Gateway VPC link: HTTP to internal load balancer {}",
                api.lb
            ),
            vpc_id: net.vpc_id(),
            ingress: Vec::new(),
            egress: vec![SgRule {
                cidr_ipv4: Some(m.network.cidr.to_string()),
                ..tcp(
                    LB_PORT,
                    format!("HTTP to load balancer {} inside the VPC", api.lb),
                )
            }],
        },
    )))
}

/// The rule the API's load balancer gets instead of VPC-wide ingress.
pub(crate) fn lb_ingress(link_sg: &Address) -> SgRule {
    SgRule {
        source_security_group_id: Some(reference(link_sg, "id")),
        ..tcp(LB_PORT, "HTTP from the API Gateway VPC link only")
    }
}

/// What the API needs from the rest of the graph.
pub(crate) struct ApiInputs<'a> {
    pub link_sg: &'a Address,
    /// The API's load balancer's HTTP listener.
    pub listener: &'a Address,
    /// The Route53 zone (lookup or owned), with a domain.
    pub zone: Option<&'a Address>,
    /// The user pool whose tokens the routes require, with `auth`.
    pub auth: Option<&'a crate::auth::AuthBuilt>,
}

pub(crate) fn build(m: &Model, net: &Net, inputs: &ApiInputs, g: &mut Graph) {
    let Some(api) = &m.api else { return };
    let prefix = m.prefix();
    let host = api.host.as_ref().filter(|_| inputs.zone.is_some());
    let api_addr = g.add(Resource::new(
        kinds::APIGW_API,
        "main",
        &ApigwApi {
            name: prefix.clone(),
            description: format!("Gantry {prefix}: routes of load balancer {}", api.lb),
            // With a custom domain, the domain is the one way in.
            disable_execute_api_endpoint: host.is_some(),
        },
    ));
    let link = g.add(Resource::new(
        kinds::APIGW_VPC_LINK,
        "main",
        &ApigwVpcLink {
            name: prefix.clone(),
            subnet_ids: ids(&net.private_subnets),
            security_group_ids: vec![reference(inputs.link_sg, "id")],
        },
    ));
    // With `auth`, a JWT authorizer trusting the pool's tokens for the web
    // client guards every route but those written `auth: none`.
    let authorizer = inputs.auth.map(|a| {
        g.add(Resource::new(
            kinds::APIGW_AUTHORIZER,
            "cognito",
            &ApigwAuthorizer {
                api_id: reference(&api_addr, "id"),
                name: "cognito".into(),
                authorizer_type: "JWT".into(),
                identity_source: vec!["$request.header.Authorization".into()],
                issuer: reference(&a.pool, "issuer"),
                audience: vec![reference(&a.client, "client_id")],
            },
        ))
    });
    routes(
        api,
        &api_addr,
        &link,
        inputs.listener,
        authorizer.as_ref(),
        g,
    );
    let logs = g.add(Resource::new(
        kinds::LOG_GROUP,
        "api_access",
        &LogGroup {
            name: format!("/gantry/{}/{}/api-gateway/access", m.stack, m.env),
            retention_in_days: retention(m, None),
            // Inside the prefix the stack key admits CloudWatch Logs for.
            kms_key_id: stack_key_arn(m),
        },
    ));
    let stage = g.add(Resource::new(
        kinds::APIGW_STAGE,
        "default",
        &ApigwStage {
            api_id: reference(&api_addr, "id"),
            name: "$default".into(),
            auto_deploy: true,
            access_log_destination_arn: reference(&logs, "arn"),
            access_log_format: ACCESS_LOG_FORMAT.into(),
            throttling_rate_limit: f64::from(api.rate_limit),
            throttling_burst_limit: api.burst_limit as i32,
        },
    ));

    if let (Some(host), Some(zone)) = (host, inputs.zone) {
        custom_domain(host, zone, &api_addr, &stage, g);
    }
}

/// An integration per service (HTTP_PROXY over the VPC link to the load
/// balancer's listener) and a route per path, each behind the authorizer
/// unless `auth: none`.
fn routes(
    api: &Api,
    api_addr: &Address,
    link: &Address,
    listener: &Address,
    authorizer: Option<&Address>,
    g: &mut Graph,
) {
    let mut integrations: BTreeMap<&str, Address> = BTreeMap::new();
    for r in &api.routes {
        let svc = r.service.as_str();
        let integ = integrations.entry(svc).or_insert_with(|| {
            let address = Address::of(kinds::APIGW_INTEGRATION, svc);
            g.add(Resource::new(
                kinds::APIGW_INTEGRATION,
                svc,
                &ApigwIntegration {
                    api_id: reference(api_addr, "id"),
                    description: format!(
                        "gantry {address}: service {svc} via load balancer {}",
                        api.lb
                    ),
                    integration_type: "HTTP_PROXY".into(),
                    integration_method: "ANY".into(),
                    connection_type: "VPC_LINK".into(),
                    connection_id: reference(link, "id"),
                    integration_uri: reference(listener, "arn"),
                    payload_format_version: "1.0".into(),
                    timeout_in_millis: INTEGRATION_TIMEOUT_MS,
                },
            ))
        });
        let name = if r.route_key == "$default" {
            "default".to_string()
        } else {
            format!("{}-{:04x}", slug(&r.path), fnv1a(&r.route_key) & 0xffff)
        };
        g.add(Resource::new(
            kinds::APIGW_ROUTE,
            &name,
            &ApigwRoute {
                api_id: reference(api_addr, "id"),
                route_key: r.route_key.clone(),
                integration_id: reference(integ, "id"),
                authorizer_id: authorizer.filter(|_| !r.public).map(|a| reference(a, "id")),
            },
        ));
    }
}

/// The API's own host name: a regional certificate validated in the zone,
/// the custom domain mapped to the stage, and an alias record to it.
fn custom_domain(host: &str, zone: &Address, api_addr: &Address, stage: &Address, g: &mut Graph) {
    let cert = g.add(Resource::new(
        kinds::ACM_CERTIFICATE,
        "api_domain",
        &AcmCertificate {
            domain_name: host.to_string(),
            subject_alternative_names: Vec::new(),
            // Regional custom domains take a certificate of their region.
            region: String::new(),
        },
    ));
    let validation = g.add(Resource::new(
        kinds::ACM_CERTIFICATE_VALIDATION,
        "api_domain",
        &AcmCertificateValidation {
            certificate_arn: reference(&cert, "arn"),
            zone_id: reference(zone, "id"),
        },
    ));
    let domain = g.add(Resource::new(
        kinds::APIGW_DOMAIN_NAME,
        "main",
        &ApigwDomainName {
            domain_name: host.to_string(),
            // The validation's output: known once ISSUED.
            certificate_arn: reference(&validation, "certificate_arn"),
            endpoint_type: "REGIONAL".into(),
            security_policy: "TLS_1_2".into(),
        },
    ));
    g.add(Resource::new(
        kinds::APIGW_API_MAPPING,
        "main",
        &ApigwApiMapping {
            api_id: reference(api_addr, "id"),
            domain_name: reference(&domain, "domain_name"),
            stage: reference(stage, "name"),
            api_mapping_key: String::new(),
        },
    ));
    g.add(Resource::new(
        kinds::ROUTE53_RECORD,
        &format!("{}-a", host_slug(host)),
        &Route53Record {
            zone_id: reference(zone, "id"),
            name: host.to_string(),
            record_type: "A".into(),
            alias: Some(AliasTarget {
                dns_name: reference(&domain, "regional_domain_name"),
                zone_id: reference(&domain, "regional_hosted_zone_id"),
                evaluate_target_health: false,
            }),
            records: Vec::new(),
            ttl: None,
        },
    ));
}
