//! API Gateway HTTP APIs: the API, its VPC link, private integrations to a
//! load balancer listener, routes, the stage (access logs, throttling), and
//! a custom domain with its mapping.

use crate::cx::Cx;
use crate::ExportError;
use gantry_core::kinds::*;
use gantry_core::Resource;
use serde_json::{json, Value};

pub fn api(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: ApigwApi = cx.props(r)?;
    let props = json!({
        "Name": p.name,
        "ProtocolType": "HTTP",
        "Description": p.description,
        "DisableExecuteApiEndpoint": p.disable_execute_api_endpoint,
        "Tags": cx.tag_map(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::ApiGatewayV2::Api", props);
    Ok(())
}

pub fn vpc_link(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: ApigwVpcLink = cx.props(r)?;
    let props = json!({
        "Name": p.name,
        "SubnetIds": cx.list(&p.subnet_ids)?,
        "SecurityGroupIds": cx.list(&p.security_group_ids)?,
        "Tags": cx.tag_map(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::ApiGatewayV2::VpcLink", props);
    Ok(())
}

pub fn integration(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: ApigwIntegration = cx.props(r)?;
    let props = json!({
        "ApiId": cx.s(&p.api_id)?,
        "Description": p.description,
        "IntegrationType": p.integration_type,
        "IntegrationMethod": p.integration_method,
        "ConnectionType": p.connection_type,
        "ConnectionId": cx.s(&p.connection_id)?,
        "IntegrationUri": cx.s(&p.integration_uri)?,
        "PayloadFormatVersion": p.payload_format_version,
        "TimeoutInMillis": p.timeout_in_millis,
    });
    cx.add(r, None, "AWS::ApiGatewayV2::Integration", props);
    Ok(())
}

pub fn route(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: ApigwRoute = cx.props(r)?;
    let integration = cx.s(&p.integration_id)?;
    let authorizer = match &p.authorizer_id {
        Some(a) => cx.s(a)?,
        None => Value::Null,
    };
    let props = json!({
        "ApiId": cx.s(&p.api_id)?,
        "RouteKey": p.route_key,
        "Target": cx.concat(vec![json!("integrations/"), integration]),
        "AuthorizationType": if authorizer.is_null() { "NONE" } else { "JWT" },
        "AuthorizerId": authorizer,
    });
    cx.add(r, None, "AWS::ApiGatewayV2::Route", props);
    Ok(())
}

pub fn stage(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: ApigwStage = cx.props(r)?;
    let props = json!({
        "ApiId": cx.s(&p.api_id)?,
        "StageName": p.name,
        "AutoDeploy": p.auto_deploy,
        "AccessLogSettings": {
            "DestinationArn": cx.s(&p.access_log_destination_arn)?,
            "Format": p.access_log_format,
        },
        "DefaultRouteSettings": {
            "ThrottlingRateLimit": p.throttling_rate_limit,
            "ThrottlingBurstLimit": p.throttling_burst_limit,
        },
        "Tags": cx.tag_map(r, None),
    });
    cx.add(r, None, "AWS::ApiGatewayV2::Stage", props);
    Ok(())
}

pub fn domain_name(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: ApigwDomainName = cx.props(r)?;
    let props = json!({
        "DomainName": p.domain_name,
        "DomainNameConfigurations": [{
            "CertificateArn": cx.s(&p.certificate_arn)?,
            "EndpointType": p.endpoint_type,
            "SecurityPolicy": p.security_policy,
        }],
        "Tags": cx.tag_map(r, None),
    });
    cx.add(r, None, "AWS::ApiGatewayV2::DomainName", props);
    Ok(())
}

pub fn api_mapping(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: ApigwApiMapping = cx.props(r)?;
    let props = json!({
        "ApiId": cx.s(&p.api_id)?,
        "DomainName": cx.s(&p.domain_name)?,
        "Stage": cx.s(&p.stage)?,
        "ApiMappingKey": (!p.api_mapping_key.is_empty()).then_some(&p.api_mapping_key),
    });
    cx.add(r, None, "AWS::ApiGatewayV2::ApiMapping", props);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::kinds::test_support::*;
    use serde_json::json;

    #[test]
    fn private_integration_route_stage_and_domain() {
        let g = graph(&[
            (
                "apigw_api",
                "main",
                json!({"name": "shop-dev", "description": "d", "disable_execute_api_endpoint": true}),
            ),
            (
                "apigw_vpc_link",
                "main",
                json!({"name": "shop-dev", "subnet_ids": ["subnet-1"], "security_group_ids": ["sg-1"]}),
            ),
            (
                "log_group",
                "api",
                json!({"name": "/gantry/shop/dev/api", "retention_in_days": 30}),
            ),
            (
                "apigw_integration",
                "orders",
                json!({"api_id": "${ref:apigw_api.main.id}", "description": "apigw_integration.orders",
                "integration_type": "HTTP_PROXY", "integration_method": "ANY", "connection_type": "VPC_LINK",
                "connection_id": "${ref:apigw_vpc_link.main.id}", "integration_uri": "arn:listener",
                "payload_format_version": "1.0", "timeout_in_millis": 30000}),
            ),
            (
                "apigw_route",
                "orders",
                json!({"api_id": "${ref:apigw_api.main.id}", "route_key": "ANY /orders/{proxy+}",
                "integration_id": "${ref:apigw_integration.orders.id}"}),
            ),
            (
                "apigw_stage",
                "default",
                json!({"api_id": "${ref:apigw_api.main.id}", "name": "$default", "auto_deploy": true,
                "access_log_destination_arn": "${ref:log_group.api.arn}", "access_log_format": "$context.requestId",
                "throttling_rate_limit": 100.0, "throttling_burst_limit": 200}),
            ),
            (
                "apigw_domain_name",
                "main",
                json!({"domain_name": "api.example.com", "certificate_arn": "arn:cert",
                "endpoint_type": "REGIONAL", "security_policy": "TLS_1_2"}),
            ),
            (
                "apigw_api_mapping",
                "main",
                json!({"api_id": "${ref:apigw_api.main.id}", "domain_name": "${ref:apigw_domain_name.main.domain_name}",
                "stage": "${ref:apigw_stage.default.name}", "api_mapping_key": ""}),
            ),
        ]);
        let e = export(&g);
        let api = &res(&e, "ApigwApiMain")["Properties"];
        assert_eq!(api["Tags"]["gantry:address"], "apigw_api.main");
        let i = &res(&e, "ApigwIntegrationOrders")["Properties"];
        assert_eq!(i["ConnectionId"], json!({"Ref": "ApigwVpcLinkMain"}));
        let route = &res(&e, "ApigwRouteOrders")["Properties"];
        assert_eq!(
            route["Target"],
            json!({"Fn::Join": ["", ["integrations/", {"Ref": "ApigwIntegrationOrders"}]]})
        );
        let stage = &res(&e, "ApigwStageDefault")["Properties"];
        assert_eq!(
            stage["AccessLogSettings"]["DestinationArn"],
            json!({"Fn::GetAtt": ["LogGroupApi", "Arn"]})
        );
        let m = &res(&e, "ApigwApiMappingMain")["Properties"];
        assert_eq!(m["Stage"], json!({"Ref": "ApigwStageDefault"}));
        assert!(m.get("ApiMappingKey").is_none());
    }
}
