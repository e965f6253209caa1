//! The scanner findings Gantry's architecture answers on purpose, in one
//! table: each row names a check of checkov or cfn-lint, the resources it
//! is skipped on (a CloudFormation type and a condition on the resource),
//! and why. [`apply`] writes them into the template, per resource:
//! checkov's as `Metadata.checkov.skip` entries with the reason as
//! `comment` (checkov reports them SKIPPED with it), cfn-lint's as
//! `Metadata.cfn-lint.config.ignore_checks`. A finding a template can fix
//! the way Gantry builds it is fixed in the mapping instead; a finding that
//! asks for something Gantry does not build says so.

use serde_json::{json, Map, Value};

/// Which scanner a check belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Checkov,
    CfnLint,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Checkov => "checkov",
            Tool::CfnLint => "cfn-lint",
        }
    }
}

/// One skipped check.
pub struct Skip {
    pub tool: Tool,
    pub check: &'static str,
    /// The CloudFormation type it applies to.
    pub resource_type: &'static str,
    /// Which resources of that type: given the logical id, the resource
    /// (`Type`, `Properties`, ...) and every resource of the template.
    pub when: fn(&str, &Value, &Map<String, Value>) -> bool,
    pub reason: &'static str,
}

fn always(_: &str, _: &Value, _: &Map<String, Value>) -> bool {
    true
}

/// The resource a `{"Ref": ID}` names.
fn by_ref<'a>(v: &Value, all: &'a Map<String, Value>) -> Option<&'a Value> {
    all.get(v.get("Ref")?.as_str()?)
}

fn is_internal(lb: &Value) -> bool {
    lb["Properties"]["Scheme"] == "internal"
}

/// A listener speaking plain HTTP to its targets (not one that redirects).
fn serves_http(l: &Value) -> bool {
    l["Properties"]["Protocol"] == "HTTP"
        && l["Properties"]["DefaultActions"][0]["Type"] != "redirect"
}

fn http_on_internal_lb(_: &str, l: &Value, all: &Map<String, Value>) -> bool {
    serves_http(l) && by_ref(&l["Properties"]["LoadBalancerArn"], all).is_some_and(is_internal)
}

fn http_on_public_lb(_: &str, l: &Value, all: &Map<String, Value>) -> bool {
    serves_http(l)
        && by_ref(&l["Properties"]["LoadBalancerArn"], all).is_some_and(|lb| !is_internal(lb))
}

/// The port-80 listeners of the internet-facing load balancers that use
/// security group `id`, when the group admits port 80 from anywhere.
fn public_port_80<'a>(id: &str, sg: &Value, all: &'a Map<String, Value>) -> Vec<&'a Value> {
    let open = sg["Properties"]["SecurityGroupIngress"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|r| r["FromPort"] == 80 && (r["CidrIp"] == "0.0.0.0/0" || r["CidrIpv6"] == "::/0"));
    if !open {
        return Vec::new();
    }
    let group = json!({"Fn::GetAtt": [id, "GroupId"]});
    let lbs: Vec<&String> = all
        .iter()
        .filter(|(_, r)| {
            r["Type"] == "AWS::ElasticLoadBalancingV2::LoadBalancer" && !is_internal(r)
        })
        .filter(|(_, r)| {
            r["Properties"]["SecurityGroups"]
                .as_array()
                .is_some_and(|g| g.contains(&group))
        })
        .map(|(lb, _)| lb)
        .collect();
    all.values()
        .filter(|r| {
            r["Type"] == "AWS::ElasticLoadBalancingV2::Listener" && r["Properties"]["Port"] == 80
        })
        .filter(|r| {
            lbs.iter()
                .any(|lb| r["Properties"]["LoadBalancerArn"] == json!({"Ref": lb}))
        })
        .collect()
}

fn port_80_redirects(id: &str, sg: &Value, all: &Map<String, Value>) -> bool {
    let ls = public_port_80(id, sg, all);
    !ls.is_empty() && ls.iter().all(|l| !serves_http(l))
}

fn port_80_serves(id: &str, sg: &Value, all: &Map<String, Value>) -> bool {
    public_port_80(id, sg, all).iter().any(|l| serves_http(l))
}

fn single_az(_: &str, db: &Value, _: &Map<String, Value>) -> bool {
    db["Properties"]["MultiAZ"] == false
}

fn no_key(_: &str, g: &Value, _: &Map<String, Value>) -> bool {
    g["Properties"].get("KmsKeyId").is_none()
}

fn major_version(_: &str, db: &Value, _: &Map<String, Value>) -> bool {
    db["Properties"]["EngineVersion"]
        .as_str()
        .is_some_and(|v| !v.contains('.'))
}

const NO_DOMAIN: &str = "The spec has no domain, so there is no certificate: Gantry serves this internet-facing load balancer over plain HTTP (gantry validate warns about it). A domain makes port 80 a redirect to HTTPS.";
const INTERNAL_HTTP: &str = "An internal load balancer, reachable only inside the VPC (from the API's VPC link or other services): Gantry does not issue certificates for internal load balancers yet, so traffic inside the VPC is plain HTTP.";

/// A bucket whose Block Public Access lets a public policy through
/// (`buckets.NAME.public`).
fn public_bucket(_: &str, b: &Value, _: &Map<String, Value>) -> bool {
    b["Properties"]["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] == false
}

/// A bucket policy with Gantry's public read statement.
fn public_read_policy(_: &str, p: &Value, _: &Map<String, Value>) -> bool {
    p["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .is_some_and(|st| st.iter().any(|s| s["Sid"] == "PublicRead"))
}

const PUBLIC_BUCKET: &str = "The spec makes this bucket public (`public: true`, static assets): its policy lets anyone read its objects (s3:GetObject only, never list or write), so its Block Public Access lets policies through; ACLs stay blocked, and gantry plan warns.";

/// Every skip, with its reason.
pub const SKIPS: &[Skip] = &[
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_54",
        resource_type: "AWS::S3::Bucket",
        when: public_bucket,
        reason: PUBLIC_BUCKET,
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_56",
        resource_type: "AWS::S3::Bucket",
        when: public_bucket,
        reason: PUBLIC_BUCKET,
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_70",
        resource_type: "AWS::S3::BucketPolicy",
        when: public_read_policy,
        reason: PUBLIC_BUCKET,
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_260",
        resource_type: "AWS::EC2::SecurityGroup",
        when: port_80_redirects,
        reason: "Port 80 is open to the world only for the listener that redirects HTTP to HTTPS on this public load balancer.",
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_260",
        resource_type: "AWS::EC2::SecurityGroup",
        when: port_80_serves,
        reason: NO_DOMAIN,
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_2",
        resource_type: "AWS::ElasticLoadBalancingV2::Listener",
        when: http_on_public_lb,
        reason: NO_DOMAIN,
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_103",
        resource_type: "AWS::ElasticLoadBalancingV2::Listener",
        when: http_on_public_lb,
        reason: NO_DOMAIN,
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_2",
        resource_type: "AWS::ElasticLoadBalancingV2::Listener",
        when: http_on_internal_lb,
        reason: INTERNAL_HTTP,
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_103",
        resource_type: "AWS::ElasticLoadBalancingV2::Listener",
        when: http_on_internal_lb,
        reason: INTERNAL_HTTP,
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_91",
        resource_type: "AWS::ElasticLoadBalancingV2::LoadBalancer",
        when: always,
        reason: "Gantry does not build load balancer access logs yet (they need a log bucket Gantry does not make).",
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_118",
        resource_type: "AWS::RDS::DBInstance",
        when: always,
        reason: "Gantry does not turn on RDS enhanced monitoring yet (it needs a monitoring role Gantry does not make).",
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_161",
        resource_type: "AWS::RDS::DBInstance",
        when: always,
        reason: "Services sign in with the password RDS keeps in Secrets Manager, injected as an ECS secret; Gantry does not build IAM database authentication.",
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_157",
        resource_type: "AWS::RDS::DBInstance",
        when: single_az,
        reason: "The spec keeps this environment's database in one availability zone (multi_az is false, the default; prod overlays usually turn it on).",
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_136",
        resource_type: "AWS::ECR::Repository",
        when: always,
        reason: "Gantry's repositories use ECR's default AES-256 encryption; KMS-encrypted repositories are not built yet.",
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_158",
        resource_type: "AWS::Logs::LogGroup",
        when: no_key,
        reason: "The spec has no data stores or secrets, so Gantry makes no KMS key for the stack; the group keeps CloudWatch Logs' own encryption.",
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_18",
        resource_type: "AWS::S3::Bucket",
        when: always,
        reason: "Gantry does not build S3 server access logging yet (it needs a log bucket Gantry does not make).",
    },
    Skip {
        tool: Tool::Checkov,
        check: "CKV_AWS_86",
        resource_type: "AWS::CloudFront::Distribution",
        when: always,
        reason: "Gantry does not build CloudFront access logging yet (it needs a log bucket Gantry does not make).",
    },
    Skip {
        tool: Tool::CfnLint,
        check: "W3010",
        resource_type: "AWS::EC2::Subnet",
        when: always,
        reason: "Gantry places subnets in the zones of the spec's region by name (a, b, c), as its plan shows; the template keeps those zones rather than Fn::GetAZs.",
    },
    Skip {
        tool: Tool::CfnLint,
        check: "W3691",
        resource_type: "AWS::RDS::DBInstance",
        when: major_version,
        reason: "Gantry asks RDS for the spec's major version and RDS picks its current minor one; cfn-lint's list counts bare major versions (17 too) as deprecated.",
    },
];

/// Writes the skips that apply into each resource's `Metadata`.
pub fn apply(resources: &mut Map<String, Value>) {
    let all = resources.clone();
    for (id, res) in resources.iter_mut() {
        let ty = res["Type"].as_str().unwrap_or_default();
        let original = &all[id];
        let applies: Vec<&Skip> = SKIPS
            .iter()
            .filter(|s| s.resource_type == ty && (s.when)(id, original, &all))
            .collect();
        for s in applies {
            let meta = res
                .as_object_mut()
                .expect("resources are objects")
                .entry("Metadata")
                .or_insert_with(|| json!({}));
            match s.tool {
                Tool::Checkov => {
                    let list = meta
                        .as_object_mut()
                        .expect("object")
                        .entry("checkov")
                        .or_insert_with(|| json!({"skip": []}))["skip"]
                        .as_array_mut()
                        .expect("list");
                    list.push(json!({"id": s.check, "comment": s.reason}));
                }
                Tool::CfnLint => {
                    let cfg = meta
                        .as_object_mut()
                        .expect("object")
                        .entry("cfn-lint")
                        .or_insert_with(|| json!({"config": {"ignore_checks": []}}));
                    cfg["config"]["ignore_checks"]
                        .as_array_mut()
                        .expect("list")
                        .push(json!(s.check));
                    // cfn-lint has no place for a reason: keep it beside.
                    let reasons = cfg
                        .as_object_mut()
                        .expect("object")
                        .entry("reasons")
                        .or_insert_with(|| json!({}));
                    reasons[s.check] = json!(s.reason);
                }
            }
        }
    }
}

/// The skips in a template, as `(tool, check, logical id)`.
pub fn written(template: &Value) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    let Some(resources) = template["Resources"].as_object() else {
        return out;
    };
    for (id, res) in resources {
        let meta = &res["Metadata"];
        for s in meta["checkov"]["skip"].as_array().into_iter().flatten() {
            out.push((
                "checkov",
                s["id"].as_str().unwrap_or_default().to_string(),
                id.clone(),
            ));
        }
        for c in meta["cfn-lint"]["config"]["ignore_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            out.push((
                "cfn-lint",
                c.as_str().unwrap_or_default().to_string(),
                id.clone(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::test_support::*;

    fn public_lb(port_80: serde_json::Value) -> gantry_core::DesiredGraph {
        let rule = |port: i32| json!({"protocol": "tcp", "from_port": port, "to_port": port, "cidr_ipv4": "0.0.0.0/0", "description": "in"});
        graph(&[
            (
                "security_group",
                "alb",
                json!({"name": "alb", "description": "d", "vpc_id": "vpc-1", "ingress": [rule(80), rule(443)], "egress": []}),
            ),
            (
                "lb",
                "main",
                json!({"name": "n", "internal": false, "subnet_ids": [], "security_group_ids": ["${ref:security_group.alb.id}"],
                "idle_timeout_seconds": 60, "drop_invalid_header_fields": true, "desync_mitigation_mode": "defensive"}),
            ),
            (
                "lb_listener",
                "http",
                json!({"load_balancer_arn": "${ref:lb.main.arn}", "port": 80, "protocol": "HTTP", "default_action": port_80}),
            ),
        ])
    }

    fn skipped(e: &crate::Export, id: &str) -> Vec<(String, String)> {
        e.template["Resources"][id]["Metadata"]["checkov"]["skip"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                (
                    s["id"].as_str().unwrap().to_string(),
                    s["comment"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn port_80_for_the_redirect_is_skipped_with_that_reason() {
        let e = export(&public_lb(
            json!({"type": "redirect", "protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}),
        ));
        let sg = skipped(&e, "SecurityGroupAlb");
        assert_eq!(sg.len(), 1);
        assert_eq!(sg[0].0, "CKV_AWS_260");
        assert!(sg[0].1.contains("redirects HTTP to HTTPS"));
        // A redirecting listener needs no skip; access logs do.
        assert!(skipped(&e, "LbListenerHttp").is_empty());
        assert_eq!(skipped(&e, "LbMain")[0].0, "CKV_AWS_91");
    }

    #[test]
    fn plain_http_without_a_domain_says_so() {
        let e = export(&public_lb(
            json!({"type": "forward", "target_group_arn": "arn:tg"}),
        ));
        let sg = skipped(&e, "SecurityGroupAlb");
        assert!(sg[0].1.starts_with("The spec has no domain"));
        let l: Vec<String> = skipped(&e, "LbListenerHttp")
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(l, ["CKV_AWS_2", "CKV_AWS_103"]);
        assert_eq!(e.skips().len(), 4);
    }

    #[test]
    fn cfn_lint_ignores_carry_their_reasons() {
        let e = export(&graph(&[(
            "subnet",
            "a",
            json!({"name": "s", "vpc_id": "vpc-1", "cidr_block": "10.0.0.0/20",
            "availability_zone": "eu-west-1a", "map_public_ip_on_launch": false}),
        )]));
        let meta = &e.template["Resources"]["SubnetA"]["Metadata"]["cfn-lint"];
        assert_eq!(meta["config"]["ignore_checks"], json!(["W3010"]));
        assert!(meta["reasons"]["W3010"].as_str().unwrap().contains("zones"));
    }

    #[test]
    fn every_skip_says_why() {
        for s in SKIPS {
            assert!(
                s.reason.len() > 40 && s.reason.ends_with('.'),
                "{}: {}",
                s.check,
                s.reason
            );
        }
    }
}
