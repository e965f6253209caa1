//! Application load balancers, target groups, listeners and listener
//! rules, with the attributes Gantry's providers set (idle timeout, invalid
//! header dropping, desync mitigation, deregistration delay).

use crate::cx::Cx;
use crate::ExportError;
use gantry_core::kinds::*;
use gantry_core::Resource;
use serde_json::{json, Value};

pub fn lb(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: Lb = cx.props(r)?;
    let attr = |k: &str, v: String| json!({"Key": k, "Value": v});
    let props = json!({
        "Name": p.name,
        "Type": "application",
        "Scheme": if p.internal { "internal" } else { "internet-facing" },
        "Subnets": cx.list(&p.subnet_ids)?,
        "SecurityGroups": cx.list(&p.security_group_ids)?,
        "LoadBalancerAttributes": [
            attr("idle_timeout.timeout_seconds", p.idle_timeout_seconds.to_string()),
            attr("routing.http.drop_invalid_header_fields.enabled", p.drop_invalid_header_fields.to_string()),
            attr("routing.http.desync_mitigation_mode", p.desync_mitigation_mode.clone()),
        ],
        "Tags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::ElasticLoadBalancingV2::LoadBalancer", props);
    Ok(())
}

pub fn target_group(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: LbTargetGroup = cx.props(r)?;
    let hc = &p.health_check;
    let props = json!({
        "Name": p.name,
        "Port": p.port,
        "Protocol": p.protocol,
        "TargetType": p.target_type,
        "VpcId": cx.s(&p.vpc_id)?,
        "HealthCheckEnabled": true,
        "HealthCheckPath": hc.path,
        "HealthCheckIntervalSeconds": hc.interval_seconds,
        "HealthCheckTimeoutSeconds": hc.timeout_seconds,
        "HealthyThresholdCount": hc.healthy_threshold,
        "UnhealthyThresholdCount": hc.unhealthy_threshold,
        "Matcher": {"HttpCode": hc.matcher},
        "TargetGroupAttributes": [{
            "Key": "deregistration_delay.timeout_seconds",
            "Value": p.deregistration_delay_seconds.to_string(),
        }],
        "Tags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::ElasticLoadBalancingV2::TargetGroup", props);
    Ok(())
}

fn action(cx: &mut Cx, a: &ListenerAction) -> Result<Value, ExportError> {
    Ok(match a {
        ListenerAction::Forward { target_group_arn } => {
            json!({"Type": "forward", "TargetGroupArn": cx.s(target_group_arn)?})
        }
        ListenerAction::Redirect {
            protocol,
            port,
            status_code,
        } => json!({
            "Type": "redirect",
            "RedirectConfig": {"Protocol": protocol, "Port": port, "StatusCode": status_code},
        }),
        ListenerAction::FixedResponse {
            status_code,
            content_type,
            message_body,
        } => json!({
            "Type": "fixed-response",
            "FixedResponseConfig": {
                "StatusCode": status_code,
                "ContentType": content_type,
                "MessageBody": message_body,
            },
        }),
    })
}

pub fn listener(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: LbListener = cx.props(r)?;
    let certificates = match &p.certificate_arn {
        Some(arn) => json!([{"CertificateArn": cx.s(arn)?}]),
        None => Value::Null,
    };
    let props = json!({
        "LoadBalancerArn": cx.s(&p.load_balancer_arn)?,
        "Port": p.port,
        "Protocol": p.protocol,
        "DefaultActions": [action(cx, &p.default_action)?],
        "Certificates": certificates,
        "SslPolicy": p.ssl_policy,
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::ElasticLoadBalancingV2::Listener", props);
    Ok(())
}

pub fn listener_rule(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: LbListenerRule = cx.props(r)?;
    let mut conditions = Vec::new();
    if !p.path_patterns.is_empty() {
        conditions.push(
            json!({"Field": "path-pattern", "PathPatternConfig": {"Values": p.path_patterns}}),
        );
    }
    if !p.host_headers.is_empty() {
        conditions
            .push(json!({"Field": "host-header", "HostHeaderConfig": {"Values": p.host_headers}}));
    }
    let props = json!({
        "ListenerArn": cx.s(&p.listener_arn)?,
        "Priority": p.priority,
        "Conditions": conditions,
        "Actions": [{"Type": "forward", "TargetGroupArn": cx.s(&p.target_group_arn)?}],
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::ElasticLoadBalancingV2::ListenerRule", props);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::kinds::test_support::*;
    use serde_json::json;

    fn lb_graph() -> gantry_core::DesiredGraph {
        graph(&[
            (
                "lb",
                "main",
                json!({"name": "shop-dev", "internal": false, "subnet_ids": ["subnet-1", "subnet-2"],
                "security_group_ids": ["sg-1"], "idle_timeout_seconds": 60, "drop_invalid_header_fields": true,
                "desync_mitigation_mode": "defensive"}),
            ),
            (
                "lb_target_group",
                "web",
                json!({"name": "shop-dev-web", "port": 8080, "protocol": "HTTP", "target_type": "ip",
                "vpc_id": "vpc-1", "health_check": {"path": "/", "matcher": "200-399", "interval_seconds": 15,
                "timeout_seconds": 5, "healthy_threshold": 2, "unhealthy_threshold": 3}, "deregistration_delay_seconds": 30}),
            ),
            (
                "lb_listener",
                "http",
                json!({"load_balancer_arn": "${ref:lb.main.arn}", "port": 80, "protocol": "HTTP",
                "default_action": {"type": "redirect", "protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}),
            ),
            (
                "lb_listener",
                "https",
                json!({"load_balancer_arn": "${ref:lb.main.arn}", "port": 443, "protocol": "HTTPS",
                "default_action": {"type": "fixed-response", "status_code": "404", "content_type": "text/plain", "message_body": "not found"},
                "certificate_arn": "arn:aws:acm:eu-west-1:1:certificate/x", "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}),
            ),
            (
                "lb_listener_rule",
                "web",
                json!({"listener_arn": "${ref:lb_listener.https.arn}", "priority": 10,
                "path_patterns": ["/api/*"], "host_headers": ["shop.example.com"], "target_group_arn": "${ref:lb_target_group.web.arn}"}),
            ),
        ])
    }

    #[test]
    fn load_balancer_with_gantrys_attributes() {
        let e = export(&lb_graph());
        let lb = &res(&e, "LbMain")["Properties"];
        assert_eq!(lb["Scheme"], "internet-facing");
        assert!(lb["LoadBalancerAttributes"].as_array().unwrap().contains(
            &json!({"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"})
        ));
        let tg = &res(&e, "LbTargetGroupWeb")["Properties"];
        assert_eq!(tg["Matcher"], json!({"HttpCode": "200-399"}));
        assert_eq!(tg["TargetGroupAttributes"][0]["Value"], "30");
    }

    #[test]
    fn listeners_redirect_serve_tls_and_route() {
        let e = export(&lb_graph());
        let http = &res(&e, "LbListenerHttp")["Properties"];
        assert_eq!(http["LoadBalancerArn"], json!({"Ref": "LbMain"}));
        assert_eq!(
            http["DefaultActions"][0]["RedirectConfig"]["StatusCode"],
            "HTTP_301"
        );
        assert!(http.get("Certificates").is_none());
        let https = &res(&e, "LbListenerHttps")["Properties"];
        assert_eq!(https["SslPolicy"], "ELBSecurityPolicy-TLS13-1-2-2021-06");
        assert_eq!(
            https["DefaultActions"][0]["FixedResponseConfig"]["StatusCode"],
            "404"
        );
        let rule = &res(&e, "LbListenerRuleWeb")["Properties"];
        assert_eq!(rule["ListenerArn"], json!({"Ref": "LbListenerHttps"}));
        assert_eq!(
            rule["Actions"][0]["TargetGroupArn"],
            json!({"Ref": "LbTargetGroupWeb"})
        );
        assert_eq!(
            rule["Conditions"][1]["HostHeaderConfig"]["Values"],
            json!(["shop.example.com"])
        );
    }
}
