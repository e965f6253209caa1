//! Route53 and ACM. An existing hosted zone is a template Parameter (Gantry
//! only looks it up); a certificate's DNS validation folds into the
//! certificate (`DomainValidationOptions` naming the zone: CloudFormation
//! writes the records and waits for issuance, as the validation resource
//! does for Gantry); a certificate requested in another region than the
//! stack's (CloudFront's, in us-east-1) is a Parameter for its ARN.
//! Cloud Map's private DNS namespace and services (service discovery) are
//! here too: a namespace is a private hosted zone Cloud Map keeps.

use crate::cx::{parameter_attrs, Cx};
use crate::{ExportError, NoteKind};
use gantry_core::kinds::{self as k, *};
use gantry_core::{Ref, Resource};
use serde_json::{json, Value};

/// The domain with a trailing dot, as Route53 writes names.
fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

pub fn route53_zone_lookup(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: Route53ZoneLookup = cx.props(r)?;
    let private = if p.private_zone { "private" } else { "public" };
    cx.parameter(
        r,
        json!({
            "Type": "AWS::Route53::HostedZone::Id",
            "Description": format!("The id of the existing {private} hosted zone {} (Gantry looks it up by name)", p.name),
        }),
        format!("the existing hosted zone {}: pass its id", p.name),
    );
    Ok(())
}

pub fn route53_zone(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: Route53Zone = cx.props(r)?;
    let props = json!({
        "Name": p.name,
        "HostedZoneConfig": {"Comment": p.comment},
        "HostedZoneTags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::Route53::HostedZone", props);
    cx.note(
        &r.address,
        NoteKind::Deploy,
        format!(
            "a new hosted zone: delegate {} to its name servers (the template's Outputs) so its records resolve and certificates validate",
            p.name
        ),
    );
    Ok(())
}

pub fn route53_record(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: Route53Record = cx.props(r)?;
    // A name another resource gives (SES's DKIM names) is passed as is:
    // Route 53 takes it with or without the final dot.
    let name = if gantry_core::Ref::parse(&p.name).is_some() {
        cx.s(&p.name)?
    } else {
        json!(fqdn(&p.name))
    };
    let mut props = json!({
        "HostedZoneId": cx.s(&p.zone_id)?,
        "Name": name,
        "Type": p.record_type,
    });
    match &p.alias {
        Some(a) => {
            props["AliasTarget"] = json!({
                "DNSName": cx.s(&a.dns_name)?,
                "HostedZoneId": cx.s(&a.zone_id)?,
                "EvaluateTargetHealth": a.evaluate_target_health,
            });
        }
        None => {
            props["ResourceRecords"] = cx.list(&p.records)?;
            props["TTL"] = json!(p.ttl.unwrap_or(300).to_string());
        }
    }
    cx.add(r, None, "AWS::Route53::RecordSet", props);
    Ok(())
}

/// The validation resource of a certificate, if the graph has one.
fn validation_of<'g>(cx: &Cx<'g>, cert: &Resource) -> Option<&'g Resource> {
    cx.graph.resources.values().find(|v| {
        v.kind == k::ACM_CERTIFICATE_VALIDATION
            && v.props
                .get("certificate_arn")
                .and_then(Value::as_str)
                .and_then(Ref::parse)
                .is_some_and(|x| x.address == cert.address)
    })
}

pub fn acm_certificate(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: AcmCertificate = cx.props(r)?;
    if parameter_attrs(r, cx.ctx).is_some() {
        cx.parameter(
            r,
            json!({
                "Type": "String",
                "AllowedPattern": "arn:aws[a-z-]*:acm:.+",
                "Description": format!(
                    "The ARN of an issued certificate for {} in {} (CloudFormation creates resources in the stack's region only)",
                    p.domain_name, p.region
                ),
            }),
            format!(
                "the certificate for {} lives in {}: request it there (DNS validation) and pass its ARN",
                p.domain_name, p.region
            ),
        );
        return Ok(());
    }
    let mut names = vec![p.domain_name.clone()];
    names.extend(p.subject_alternative_names.iter().cloned());
    let validation = match validation_of(cx, r) {
        Some(v) => {
            let zone = v
                .props
                .get("zone_id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let zone = cx.s(zone)?;
            let options: Vec<Value> = names
                .iter()
                // `*.example.com` shares the record of `example.com`.
                .filter(|n| {
                    !n.strip_prefix("*.")
                        .is_some_and(|base| names.iter().any(|m| m == base))
                })
                .map(|n| json!({"DomainName": n, "HostedZoneId": zone}))
                .collect();
            Value::Array(options)
        }
        None => {
            cx.note(
                &r.address,
                NoteKind::Deploy,
                "no validation in the graph: CloudFormation waits until its DNS records are written by hand",
            );
            Value::Null
        }
    };
    let props = json!({
        "DomainName": p.domain_name,
        "SubjectAlternativeNames": (!p.subject_alternative_names.is_empty()).then_some(&p.subject_alternative_names),
        "ValidationMethod": "DNS",
        "DomainValidationOptions": validation,
        "Tags": cx.tags(r, Some(&p.domain_name)),
    });
    cx.add(r, None, "AWS::CertificateManager::Certificate", props);
    Ok(())
}

pub fn acm_certificate_validation(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: AcmCertificateValidation = cx.props(r)?;
    let cert = Ref::parse(&p.certificate_arn).and_then(|x| cx.graph.get(&x.address));
    let message = match cert {
        Some(c) if parameter_attrs(c, cx.ctx).is_some() => format!(
            "with {}, which is passed in: validate it (DNS records in this zone) where it is requested",
            c.address
        ),
        Some(c) => format!(
            "into {}: its DomainValidationOptions name the zone, and CloudFormation writes the records and waits for issuance",
            c.address
        ),
        None => format!("into the certificate {}", p.certificate_arn),
    };
    cx.note(&r.address, NoteKind::Folded, message);
    Ok(())
}

pub fn servicediscovery_private_dns_namespace(
    cx: &mut Cx,
    r: &Resource,
) -> Result<(), ExportError> {
    let p: ServicediscoveryPrivateDnsNamespace = cx.props(r)?;
    let props = json!({
        "Name": p.name,
        "Vpc": cx.s(&p.vpc_id)?,
        "Description": p.description,
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::ServiceDiscovery::PrivateDnsNamespace", props);
    Ok(())
}

pub fn servicediscovery_service(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: ServicediscoveryService = cx.props(r)?;
    let props = json!({
        "Name": p.name,
        "NamespaceId": cx.s(&p.namespace_id)?,
        "Description": p.description,
        "DnsConfig": {
            "RoutingPolicy": p.routing_policy,
            "DnsRecords": [{"Type": "A", "TTL": p.dns_ttl}],
        },
        // ECS reports each task's health (`FailureThreshold` is deprecated:
        // Cloud Map always acts on the first report).
        "HealthCheckCustomConfig": {},
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::ServiceDiscovery::Service", props);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::kinds::test_support::*;
    use crate::NoteKind;
    use serde_json::json;

    fn site(cert_region: &str) -> gantry_core::DesiredGraph {
        graph(&[
            (
                "route53_zone_lookup",
                "main",
                json!({"name": "example.com", "private_zone": false}),
            ),
            (
                "acm_certificate",
                "main",
                json!({"domain_name": "example.com", "subject_alternative_names": ["*.example.com", "api.example.org"], "region": cert_region}),
            ),
            (
                "acm_certificate_validation",
                "main",
                json!({"certificate_arn": "${ref:acm_certificate.main.arn}", "zone_id": "${ref:route53_zone_lookup.main.id}"}),
            ),
            (
                "lb_listener",
                "https",
                json!({"load_balancer_arn": "arn:lb", "port": 443, "protocol": "HTTPS",
                "default_action": {"type": "forward", "target_group_arn": "arn:tg"},
                "certificate_arn": "${ref:acm_certificate_validation.main.certificate_arn}"}),
            ),
            (
                "route53_record",
                "apex",
                json!({"zone_id": "${ref:route53_zone_lookup.main.id}", "name": "example.com", "type": "TXT", "records": ["\"v=spf1 -all\""]}),
            ),
        ])
    }

    #[test]
    fn existing_zone_is_a_parameter_and_validation_folds_into_the_certificate() {
        let e = export(&site(""));
        assert_eq!(
            e.template["Parameters"]["Route53ZoneLookupMain"]["Type"],
            "AWS::Route53::HostedZone::Id"
        );
        let cert = &res(&e, "AcmCertificateMain")["Properties"];
        assert_eq!(cert["ValidationMethod"], "DNS");
        assert_eq!(
            cert["DomainValidationOptions"],
            json!([
                {"DomainName": "example.com", "HostedZoneId": {"Ref": "Route53ZoneLookupMain"}},
                {"DomainName": "api.example.org", "HostedZoneId": {"Ref": "Route53ZoneLookupMain"}},
            ])
        );
        assert!(e.template["Resources"]
            .get("AcmCertificateValidationMain")
            .is_none());
        // The listener uses the certificate itself: it exists once issued.
        let l = &res(&e, "LbListenerHttps")["Properties"];
        assert_eq!(
            l["Certificates"][0]["CertificateArn"],
            json!({"Ref": "AcmCertificateMain"})
        );
        assert!(e.notes.iter().any(|n| n.kind == NoteKind::Folded
            && n.address.as_str() == "acm_certificate_validation.main"));
        let txt = &res(&e, "Route53RecordApex")["Properties"];
        assert_eq!(txt["Name"], "example.com.");
        assert_eq!(txt["TTL"], "300");
    }

    #[test]
    fn a_certificate_in_another_region_is_passed_in() {
        let e = export(&site("us-east-1"));
        assert!(e.template["Resources"].get("AcmCertificateMain").is_none());
        assert_eq!(
            e.template["Parameters"]["AcmCertificateMain"]["Type"],
            "String"
        );
        let l = &res(&e, "LbListenerHttps")["Properties"];
        assert_eq!(
            l["Certificates"][0]["CertificateArn"],
            json!({"Ref": "AcmCertificateMain"})
        );
        assert!(e
            .notes
            .iter()
            .any(|n| n.kind == NoteKind::Parameter && n.message.contains("us-east-1")));
    }

    #[test]
    fn a_new_zone_asks_for_delegation_and_outputs_its_name_servers() {
        let e = export(&graph(&[(
            "route53_zone",
            "main",
            json!({"name": "example.com", "comment": "c"}),
        )]));
        let z = &res(&e, "Route53ZoneMain")["Properties"];
        assert_eq!(z["HostedZoneConfig"]["Comment"], "c");
        assert_eq!(z["HostedZoneTags"].as_array().unwrap().len(), 4);
        assert!(e
            .notes
            .iter()
            .any(|n| n.kind == NoteKind::Deploy && n.message.contains("delegate example.com")));
        assert_eq!(
            e.template["Outputs"]["Route53ZoneMainNameServers"]["Value"],
            json!({"Fn::Join": [",", {"Fn::GetAtt": ["Route53ZoneMain", "NameServers"]}]})
        );
    }

    #[test]
    fn a_namespace_and_its_service_reference_each_other_by_id() {
        let e = export(&graph(&[
            (
                "vpc",
                "main",
                json!({"name": "v", "cidr_block": "10.0.0.0/16", "enable_dns_support": true, "enable_dns_hostnames": true}),
            ),
            (
                "servicediscovery_private_dns_namespace",
                "main",
                json!({"name": "shop-dev.internal", "vpc_id": "${ref:vpc.main.id}", "description": "d"}),
            ),
            (
                "servicediscovery_service",
                "worker",
                json!({"name": "worker", "namespace_id": "${ref:servicediscovery_private_dns_namespace.main.id}",
                       "description": "d", "dns_ttl": 10, "routing_policy": "MULTIVALUE"}),
            ),
        ]));
        let ns = res(&e, "ServicediscoveryPrivateDnsNamespaceMain");
        assert_eq!(ns["Type"], "AWS::ServiceDiscovery::PrivateDnsNamespace");
        assert_eq!(ns["Properties"]["Name"], "shop-dev.internal");
        assert_eq!(ns["Properties"]["Vpc"], json!({"Ref": "VpcMain"}));
        let svc = &res(&e, "ServicediscoveryServiceWorker")["Properties"];
        assert_eq!(
            svc["NamespaceId"],
            json!({"Fn::GetAtt": ["ServicediscoveryPrivateDnsNamespaceMain", "Id"]})
        );
        assert_eq!(
            svc["DnsConfig"],
            json!({"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]})
        );
        assert_eq!(svc["HealthCheckCustomConfig"], json!({}));
    }
}
