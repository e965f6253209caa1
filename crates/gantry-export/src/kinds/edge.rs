//! The edge: WAF (IP sets, web ACLs with Gantry's rules, associations),
//! CloudFront (origin access control, distributions) and the policy of a
//! bucket CloudFront reads. A CLOUDFRONT-scope web ACL and its IP sets
//! must be created in us-east-1; in a stack elsewhere they are Parameters
//! (their ARNs), like CloudFront's certificate.

use crate::cx::{parameter_attrs, Cx};
use crate::{ExportError, NoteKind};
use gantry_core::kinds::*;
use gantry_core::Resource;
use serde_json::{json, Value};

/// Passes the web ACL or IP set `r` in by ARN when it cannot be created
/// here; true when it did.
fn passed_in(cx: &mut Cx, r: &Resource, what: &str, name: &str) -> bool {
    if parameter_attrs(r, cx.ctx).is_none() {
        return false;
    }
    cx.parameter(
        r,
        json!({
            "Type": "String",
            "AllowedPattern": "arn:aws[a-z-]*:wafv2:us-east-1:.+",
            "Description": format!("The ARN of the CLOUDFRONT-scope {what} {name}, created in us-east-1"),
        }),
        format!("the CLOUDFRONT-scope {what} {name} lives in us-east-1: create it there and pass its ARN"),
    );
    true
}

pub fn wafv2_ip_set(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: Wafv2IpSet = cx.props(r)?;
    if passed_in(cx, r, "IP set", &p.name) {
        return Ok(());
    }
    let props = json!({
        "Name": p.name,
        "Scope": p.scope,
        "IPAddressVersion": p.ip_address_version,
        "Addresses": p.addresses,
        "Tags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::WAFv2::IPSet", props);
    Ok(())
}

fn visibility(metric: &str) -> Value {
    json!({"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": metric})
}

pub fn wafv2_web_acl(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: Wafv2WebAcl = cx.props(r)?;
    if passed_in(cx, r, "web ACL", &p.name) {
        return Ok(());
    }
    // The rules and priorities the provider writes: allow list 0, deny
    // list 1, rate limit 2, then the managed groups at theirs.
    let metric = |rule: &str| visibility(&format!("{}-{rule}", p.metric_name));
    let mut rules = Vec::new();
    let ip_rule = |cx: &mut Cx, name: &str, priority: i32, arn: &str, action: &str| {
        Ok::<_, ExportError>(json!({
            "Name": name,
            "Priority": priority,
            "Statement": {"IPSetReferenceStatement": {"Arn": cx.s(arn)?}},
            "Action": {action: {}},
            "VisibilityConfig": metric(name),
        }))
    };
    if let Some(arn) = &p.allow_ip_set_arn {
        rules.push(ip_rule(cx, "gantry-allow-ips", 0, arn, "Allow")?);
    }
    if let Some(arn) = &p.deny_ip_set_arn {
        rules.push(ip_rule(cx, "gantry-deny-ips", 1, arn, "Block")?);
    }
    if let Some(limit) = p.rate_limit {
        rules.push(json!({
            "Name": "gantry-rate-limit",
            "Priority": 2,
            "Statement": {"RateBasedStatement": {"Limit": limit, "AggregateKeyType": "IP"}},
            "Action": {"Block": {}},
            "VisibilityConfig": metric("gantry-rate-limit"),
        }));
    }
    for g in &p.managed_rule_groups {
        let name = format!("{}-{}", g.vendor, g.name);
        rules.push(json!({
            "Name": name,
            "Priority": g.priority,
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": g.vendor, "Name": g.name}},
            "OverrideAction": {"None": {}},
            "VisibilityConfig": metric(&name),
        }));
    }
    rules.sort_by_key(|r| r["Priority"].as_i64());
    let props = json!({
        "Name": p.name,
        "Scope": p.scope,
        "Description": (!p.description.is_empty()).then_some(&p.description),
        "DefaultAction": {"Allow": {}},
        "Rules": rules,
        "VisibilityConfig": visibility(&p.metric_name),
        "Tags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::WAFv2::WebACL", props);
    Ok(())
}

pub fn wafv2_web_acl_association(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: Wafv2WebAclAssociation = cx.props(r)?;
    let props = json!({
        "WebACLArn": cx.s(&p.web_acl_arn)?,
        "ResourceArn": cx.s(&p.resource_arn)?,
    });
    cx.add(r, None, "AWS::WAFv2::WebACLAssociation", props);
    Ok(())
}

pub fn s3_bucket_policy(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: S3BucketPolicy = cx.props(r)?;
    let bucket_arn = cx.s(&p.bucket_arn)?;
    let objects = cx.concat(vec![bucket_arn.clone(), json!("/*")]);
    let mut arns = p.cloudfront_distribution_arns.clone();
    arns.sort();
    let mut statements = Vec::new();
    if !arns.is_empty() {
        statements.push(json!({
            "Sid": "AllowCloudFrontServicePrincipal",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": objects,
            "Condition": {"StringEquals": {"AWS:SourceArn": cx.list(&arns)?}},
        }));
    }
    if p.public_read {
        statements.push(json!({
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": objects,
        }));
    }
    if p.deny_insecure_transport {
        statements.push(json!({
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }));
    }
    let props = json!({
        "Bucket": cx.s(&p.bucket)?,
        "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
    });
    cx.add(r, None, "AWS::S3::BucketPolicy", props);
    Ok(())
}

pub fn cloudfront_origin_access_control(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: CloudfrontOriginAccessControl = cx.props(r)?;
    let props = json!({"OriginAccessControlConfig": {
        "Name": p.name,
        "Description": p.description,
        "SigningProtocol": "sigv4",
        "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3",
    }});
    cx.add(r, None, "AWS::CloudFront::OriginAccessControl", props);
    Ok(())
}

fn behavior(b: &CloudfrontBehavior) -> Value {
    json!({
        "PathPattern": (!b.path_pattern.is_empty()).then_some(&b.path_pattern),
        "TargetOriginId": b.target_origin_id,
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": b.allowed_methods,
        "CachedMethods": ["GET", "HEAD"],
        "Compress": true,
        "CachePolicyId": b.cache_policy_id,
        "OriginRequestPolicyId": b.origin_request_policy_id,
    })
}

pub fn cloudfront_distribution(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: CloudfrontDistribution = cx.props(r)?;
    let mut origins = Vec::new();
    for o in &p.origins {
        let mut v = json!({"Id": o.id, "DomainName": cx.s(&o.domain_name)?});
        match &o.origin_protocol_policy {
            Some(policy) => {
                v["CustomOriginConfig"] = json!({
                    "HTTPPort": 80,
                    "HTTPSPort": 443,
                    "OriginProtocolPolicy": policy,
                    "OriginSSLProtocols": ["TLSv1.2"],
                    "OriginReadTimeout": 60,
                    "OriginKeepaliveTimeout": 5,
                });
            }
            None => {
                let oac = match &o.origin_access_control_id {
                    Some(id) => cx.s(id)?,
                    None => json!(""),
                };
                v["OriginAccessControlId"] = oac;
                // With an OAC the legacy origin access identity stays empty.
                v["S3OriginConfig"] = json!({"OriginAccessIdentity": ""});
            }
        }
        origins.push(v);
    }
    let viewer = match &p.certificate_arn {
        Some(arn) => json!({
            "AcmCertificateArn": cx.s(arn)?,
            "SslSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        }),
        None => json!({"CloudFrontDefaultCertificate": true}),
    };
    let web_acl = match &p.web_acl_arn {
        Some(a) => cx.s(a)?,
        None => Value::Null,
    };
    let ordered: Vec<Value> = p.ordered_behaviors.iter().map(behavior).collect();
    let config = json!({
        "Comment": p.comment,
        "Enabled": p.enabled,
        "Aliases": (!p.aliases.is_empty()).then_some(&p.aliases),
        "DefaultRootObject": p.default_root_object,
        "PriceClass": p.price_class,
        "WebACLId": web_acl,
        "HttpVersion": "http2and3",
        "IPV6Enabled": true,
        "Origins": origins,
        "DefaultCacheBehavior": behavior(&p.default_behavior),
        "CacheBehaviors": (!ordered.is_empty()).then_some(ordered),
        "CustomErrorResponses": (!p.custom_error_responses.is_empty()).then(|| p.custom_error_responses.iter().map(|e| json!({
            "ErrorCode": e.error_code,
            "ResponseCode": e.response_code,
            "ResponsePagePath": e.response_page_path,
            "ErrorCachingMinTTL": e.min_ttl,
        })).collect::<Vec<_>>()),
        "ViewerCertificate": viewer,
    });
    let props = json!({"DistributionConfig": config, "Tags": cx.tags(r, None)});
    cx.add(r, None, "AWS::CloudFront::Distribution", props);
    if p.web_acl_arn.is_none() {
        cx.note(
            &r.address,
            NoteKind::Deploy,
            "no web ACL: the spec turned WAF off",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::kinds::test_support::*;
    use serde_json::json;

    fn acl(scope: &str) -> (&'static str, &'static str, serde_json::Value) {
        (
            "wafv2_web_acl",
            "main",
            json!({"name": "shop-dev-main", "description": "d", "scope": scope,
            "managed_rule_groups": [{"vendor": "AWS", "name": "AWSManagedRulesCommonRuleSet", "priority": 20},
                                    {"vendor": "AWS", "name": "AWSManagedRulesKnownBadInputsRuleSet", "priority": 30}],
            "rate_limit": 2000, "deny_ip_set_arn": "${ref:wafv2_ip_set.deny.arn}", "metric_name": "shop-dev-main"}),
        )
    }

    fn deny(scope: &str) -> (&'static str, &'static str, serde_json::Value) {
        (
            "wafv2_ip_set",
            "deny",
            json!({"name": "shop-dev-deny", "scope": scope, "ip_address_version": "IPV4", "addresses": ["192.0.2.0/24"]}),
        )
    }

    #[test]
    fn web_acl_rules_in_the_providers_order() {
        let g = graph(&[
            acl("REGIONAL"),
            deny("REGIONAL"),
            (
                "lb",
                "main",
                json!({"name": "n", "internal": false, "subnet_ids": [], "security_group_ids": [], "idle_timeout_seconds": 60,
                "drop_invalid_header_fields": true, "desync_mitigation_mode": "defensive"}),
            ),
            (
                "wafv2_web_acl_association",
                "main",
                json!({"web_acl_arn": "${ref:wafv2_web_acl.main.arn}", "resource_arn": "${ref:lb.main.arn}"}),
            ),
        ]);
        let e = export(&g);
        let a = &res(&e, "Wafv2WebAclMain")["Properties"];
        let names: Vec<_> = a["Rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "gantry-deny-ips",
                "gantry-rate-limit",
                "AWS-AWSManagedRulesCommonRuleSet",
                "AWS-AWSManagedRulesKnownBadInputsRuleSet"
            ]
        );
        assert_eq!(
            a["Rules"][0]["Statement"]["IPSetReferenceStatement"]["Arn"],
            json!({"Fn::GetAtt": ["Wafv2IpSetDeny", "Arn"]})
        );
        assert_eq!(
            a["Rules"][1]["Statement"]["RateBasedStatement"]["Limit"],
            2000
        );
        assert_eq!(a["Rules"][2]["OverrideAction"], json!({"None": {}}));
        assert_eq!(a["DefaultAction"], json!({"Allow": {}}));
        let assoc = &res(&e, "Wafv2WebAclAssociationMain")["Properties"];
        assert_eq!(assoc["ResourceArn"], json!({"Ref": "LbMain"}));
    }

    #[test]
    fn cloudfront_scope_outside_us_east_1_is_passed_in() {
        let e = export(&graph(&[acl("CLOUDFRONT"), deny("CLOUDFRONT")]));
        assert!(e.template["Resources"].as_object().unwrap().is_empty());
        let params = e.template["Parameters"].as_object().unwrap();
        assert!(params.contains_key("Wafv2WebAclMain") && params.contains_key("Wafv2IpSetDeny"));
    }

    #[test]
    fn distribution_with_private_bucket_and_load_balancer_origins() {
        let g = graph(&[
            (
                "s3_bucket",
                "site",
                json!({"bucket_prefix": "shop-dev-site", "kms_key_arn": "", "versioning": true, "force_destroy": false}),
            ),
            (
                "cloudfront_origin_access_control",
                "site",
                json!({"name": "shop-dev-site", "description": "d"}),
            ),
            (
                "cloudfront_distribution",
                "site",
                json!({
                    "comment": "c", "enabled": true, "aliases": ["example.com"], "certificate_arn": "arn:aws:acm:us-east-1:1:certificate/x",
                    "default_root_object": "index.html", "price_class": "PriceClass_100",
                    "origins": [
                        {"id": "site", "domain_name": "${ref:s3_bucket.site.regional_domain_name}", "origin_access_control_id": "${ref:cloudfront_origin_access_control.site.id}"},
                        {"id": "api", "domain_name": "lb.example.com", "origin_protocol_policy": "https-only"}
                    ],
                    "default_behavior": {"target_origin_id": "site", "cache_policy_id": "658327ea-f89d-4fab-a63d-7e88639e58f6", "allowed_methods": ["GET", "HEAD"]},
                    "ordered_behaviors": [{"path_pattern": "/api/*", "target_origin_id": "api", "cache_policy_id": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                        "origin_request_policy_id": "b689b0a8-53d0-40ab-baf2-68738e2966ac", "allowed_methods": ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]}],
                    "custom_error_responses": [{"error_code": 403, "response_code": 200, "response_page_path": "/index.html", "min_ttl": 10}]
                }),
            ),
            (
                "s3_bucket_policy",
                "site",
                json!({"bucket": "${ref:s3_bucket.site.name}", "bucket_arn": "${ref:s3_bucket.site.arn}",
                "cloudfront_distribution_arns": ["${ref:cloudfront_distribution.site.arn}"], "deny_insecure_transport": true}),
            ),
        ]);
        let e = export(&g);
        let d = &res(&e, "CloudfrontDistributionSite")["Properties"]["DistributionConfig"];
        assert_eq!(
            d["Origins"][0]["DomainName"],
            json!({"Fn::GetAtt": ["S3BucketSite", "RegionalDomainName"]})
        );
        assert_eq!(
            d["Origins"][0]["OriginAccessControlId"],
            json!({"Fn::GetAtt": ["CloudfrontOriginAccessControlSite", "Id"]})
        );
        assert_eq!(
            d["Origins"][1]["CustomOriginConfig"]["OriginProtocolPolicy"],
            "https-only"
        );
        assert_eq!(
            d["ViewerCertificate"]["MinimumProtocolVersion"],
            "TLSv1.2_2021"
        );
        assert_eq!(d["CacheBehaviors"][0]["PathPattern"], "/api/*");
        assert!(d["DefaultCacheBehavior"].get("PathPattern").is_none());
        assert_eq!(
            d["CustomErrorResponses"][0]["ResponsePagePath"],
            "/index.html"
        );
        let pol = &res(&e, "S3BucketPolicySite")["Properties"];
        assert_eq!(pol["Bucket"], json!({"Ref": "S3BucketSite"}));
        let st = &pol["PolicyDocument"]["Statement"];
        assert_eq!(
            st[0]["Condition"]["StringEquals"]["AWS:SourceArn"][0]["Fn::Sub"],
            "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${CloudfrontDistributionSite}"
        );
        assert_eq!(
            st[0]["Resource"],
            json!({"Fn::Join": ["", [{"Fn::GetAtt": ["S3BucketSite", "Arn"]}, "/*"]]})
        );
        assert_eq!(st[1]["Effect"], "Deny");
    }
}
