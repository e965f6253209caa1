//! The network: VPC, internet gateway (with its attachment), subnets, route
//! tables (a resource per route), NAT gateways and their addresses, VPC
//! endpoints, flow logs, and security groups.
//!
//! Security group rules whose source is another group become their own
//! `SecurityGroupIngress` / `SecurityGroupEgress` resources: groups that
//! name each other inline would be a circular dependency. CloudFormation
//! keeps AWS's allow-all egress rule unless the group lists egress rules
//! itself, so a group whose egress rules all name other groups (or that has
//! none) lists CloudFormation's customary rule that matches no traffic,
//! which leaves exactly the rules Gantry makes (the provider removes the
//! default rule).

use crate::cx::Cx;
use crate::ExportError;
use gantry_core::kinds::*;
use gantry_core::Resource;
use serde_json::{json, Value};

pub fn vpc(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: Vpc = cx.props(r)?;
    let props = json!({
        "CidrBlock": p.cidr_block,
        "EnableDnsSupport": p.enable_dns_support,
        "EnableDnsHostnames": p.enable_dns_hostnames,
        "Tags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::EC2::VPC", props);
    Ok(())
}

pub fn internet_gateway(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: InternetGateway = cx.props(r)?;
    let props = json!({"Tags": cx.tags(r, Some(&p.name))});
    let igw = cx.add(r, None, "AWS::EC2::InternetGateway", props);
    let attach = json!({"VpcId": cx.s(&p.vpc_id)?, "InternetGatewayId": {"Ref": igw}});
    cx.add(
        r,
        Some("Attachment"),
        "AWS::EC2::VPCGatewayAttachment",
        attach,
    );
    Ok(())
}

pub fn subnet(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: Subnet = cx.props(r)?;
    let props = json!({
        "VpcId": cx.s(&p.vpc_id)?,
        "CidrBlock": p.cidr_block,
        "AvailabilityZone": p.availability_zone,
        "MapPublicIpOnLaunch": p.map_public_ip_on_launch,
        "Tags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::EC2::Subnet", props);
    Ok(())
}

pub fn route_table(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: RouteTable = cx.props(r)?;
    let props = json!({"VpcId": cx.s(&p.vpc_id)?, "Tags": cx.tags(r, Some(&p.name))});
    let table = cx.add(r, None, "AWS::EC2::RouteTable", props);
    for (i, route) in p.routes.iter().enumerate() {
        let mut props = json!({
            "RouteTableId": {"Ref": table},
            "DestinationCidrBlock": route.destination_cidr_block,
        });
        let mut attachment = None;
        if let Some(g) = &route.gateway_id {
            props["GatewayId"] = cx.s(g)?;
            // A route through the gateway needs it attached to the VPC.
            if let Some(igw) = gantry_core::Ref::parse(g) {
                attachment = Some(cx.extra_id(&igw.address, "Attachment"));
            }
        }
        if let Some(n) = &route.nat_gateway_id {
            props["NatGatewayId"] = cx.s(n)?;
        }
        let id = cx.add(
            r,
            Some(&format!("Route{}", i + 1)),
            "AWS::EC2::Route",
            props,
        );
        if let Some(a) = attachment {
            cx.depend(&id, &a);
        }
    }
    Ok(())
}

pub fn route_table_association(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: RouteTableAssociation = cx.props(r)?;
    let props = json!({
        "SubnetId": cx.s(&p.subnet_id)?,
        "RouteTableId": cx.s(&p.route_table_id)?,
    });
    cx.add(r, None, "AWS::EC2::SubnetRouteTableAssociation", props);
    Ok(())
}

pub fn eip(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: Eip = cx.props(r)?;
    let props = json!({"Domain": "vpc", "Tags": cx.tags(r, Some(&p.name))});
    cx.add(r, None, "AWS::EC2::EIP", props);
    Ok(())
}

pub fn nat_gateway(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: NatGateway = cx.props(r)?;
    let props = json!({
        "SubnetId": cx.s(&p.subnet_id)?,
        "AllocationId": cx.s(&p.allocation_id)?,
        "Tags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::EC2::NatGateway", props);
    Ok(())
}

pub fn vpc_endpoint(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: VpcEndpoint = cx.props(r)?;
    let mut props = json!({
        "VpcId": cx.s(&p.vpc_id)?,
        "ServiceName": p.service_name,
        "VpcEndpointType": p.vpc_endpoint_type,
        "Tags": cx.tags(r, Some(&p.name)),
    });
    if p.vpc_endpoint_type.eq_ignore_ascii_case("interface") {
        props["SubnetIds"] = cx.list(&p.subnet_ids)?;
        props["SecurityGroupIds"] = cx.list(&p.security_group_ids)?;
        props["PrivateDnsEnabled"] = json!(p.private_dns_enabled);
    } else {
        props["RouteTableIds"] = cx.list(&p.route_table_ids)?;
    }
    cx.add(r, None, "AWS::EC2::VPCEndpoint", props);
    Ok(())
}

pub fn vpc_flow_log(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: VpcFlowLog = cx.props(r)?;
    let props = json!({
        "ResourceId": cx.s(&p.vpc_id)?,
        "ResourceType": "VPC",
        "TrafficType": p.traffic_type,
        "LogDestinationType": "cloud-watch-logs",
        "LogGroupName": cx.s(&p.log_group_name)?,
        "DeliverLogsPermissionArn": cx.s(&p.deliver_logs_permission_arn)?,
        "MaxAggregationInterval": p.max_aggregation_interval,
        "Tags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::EC2::FlowLog", props);
    Ok(())
}

/// CloudFormation's rule for "no egress": it matches no traffic, and its
/// presence stops AWS's allow-all rule being added.
fn no_egress() -> Value {
    json!({
        "IpProtocol": "icmp",
        "FromPort": 252,
        "ToPort": 86,
        "CidrIp": "255.255.255.255/32",
        "Description": "Disallow all traffic",
    })
}

/// The protocol and ports of a rule (ports are meaningless for all traffic).
fn ports(rule: &SgRule) -> Value {
    if rule.protocol == "-1" || rule.protocol.eq_ignore_ascii_case("all") {
        json!({"IpProtocol": "-1"})
    } else {
        json!({"IpProtocol": rule.protocol, "FromPort": rule.from_port, "ToPort": rule.to_port})
    }
}

/// An inline rule (a CIDR source) of a group.
fn inline(rule: &SgRule) -> Value {
    let mut v = ports(rule);
    v["CidrIp"] = json!(rule.cidr_ipv4);
    v["CidrIpv6"] = json!(rule.cidr_ipv6);
    v["Description"] = json!(rule.description);
    v
}

pub fn security_group(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: SecurityGroup = cx.props(r)?;
    let by_group = |rule: &&SgRule| rule.source_security_group_id.is_some();
    let ingress: Vec<Value> = p
        .ingress
        .iter()
        .filter(|x| !by_group(x))
        .map(inline)
        .collect();
    let mut egress: Vec<Value> = p
        .egress
        .iter()
        .filter(|x| !by_group(x))
        .map(inline)
        .collect();
    if egress.is_empty() {
        egress.push(no_egress());
    }
    let props = json!({
        "GroupName": p.name,
        "GroupDescription": p.description,
        "VpcId": cx.s(&p.vpc_id)?,
        "SecurityGroupIngress": if ingress.is_empty() { Value::Null } else { Value::Array(ingress) },
        "SecurityGroupEgress": egress,
        "Tags": cx.tags(r, Some(&p.name)),
    });
    let group = cx.add(r, None, "AWS::EC2::SecurityGroup", props);
    let me = json!({"Fn::GetAtt": [group, "GroupId"]});
    for (i, rule) in p.ingress.iter().filter(by_group).enumerate() {
        let mut v = ports(rule);
        v["GroupId"] = me.clone();
        v["SourceSecurityGroupId"] =
            cx.s(rule.source_security_group_id.as_deref().unwrap_or_default())?;
        v["Description"] = json!(rule.description);
        cx.add(
            r,
            Some(&format!("Ingress{}", i + 1)),
            "AWS::EC2::SecurityGroupIngress",
            v,
        );
    }
    for (i, rule) in p.egress.iter().filter(by_group).enumerate() {
        let mut v = ports(rule);
        v["GroupId"] = me.clone();
        v["DestinationSecurityGroupId"] =
            cx.s(rule.source_security_group_id.as_deref().unwrap_or_default())?;
        v["Description"] = json!(rule.description);
        cx.add(
            r,
            Some(&format!("Egress{}", i + 1)),
            "AWS::EC2::SecurityGroupEgress",
            v,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::kinds::test_support::*;
    use serde_json::json;

    #[test]
    fn vpc_gateway_and_public_route() {
        let g = graph(&[
            (
                "vpc",
                "main",
                json!({"name": "shop-dev", "cidr_block": "10.0.0.0/16", "enable_dns_support": true, "enable_dns_hostnames": true}),
            ),
            (
                "internet_gateway",
                "main",
                json!({"name": "shop-dev", "vpc_id": "${ref:vpc.main.id}"}),
            ),
            (
                "route_table",
                "public",
                json!({"name": "shop-dev-public", "vpc_id": "${ref:vpc.main.id}",
                "routes": [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": "${ref:internet_gateway.main.id}"}]}),
            ),
        ]);
        let e = export(&g);
        let vpc = res(&e, "VpcMain");
        assert_eq!(vpc["Type"], "AWS::EC2::VPC");
        assert_eq!(vpc["Properties"]["EnableDnsHostnames"], true);
        let tags = vpc["Properties"]["Tags"].as_array().unwrap();
        assert!(tags.contains(&json!({"Key": "gantry:address", "Value": "vpc.main"})));
        assert!(tags.contains(&json!({"Key": "gantry:stack", "Value": "shop"})));
        assert!(tags.contains(&json!({"Key": "gantry:env", "Value": "dev"})));
        assert!(tags.contains(&json!({"Key": "Name", "Value": "shop-dev"})));
        let attach = res(&e, "InternetGatewayMainAttachment");
        assert_eq!(attach["Properties"]["VpcId"], json!({"Ref": "VpcMain"}));
        assert_eq!(
            attach["Properties"]["InternetGatewayId"],
            json!({"Ref": "InternetGatewayMain"})
        );
        let route = res(&e, "RouteTablePublicRoute1");
        assert_eq!(route["Type"], "AWS::EC2::Route");
        assert_eq!(
            route["Properties"]["GatewayId"],
            json!({"Ref": "InternetGatewayMain"})
        );
        assert_eq!(route["DependsOn"], json!(["InternetGatewayMainAttachment"]));
    }

    #[test]
    fn nat_gateway_takes_the_address_allocation_id() {
        let g = graph(&[
            ("eip", "nat-a", json!({"name": "n"})),
            (
                "subnet",
                "public-a",
                json!({"name": "s", "vpc_id": "vpc-1", "cidr_block": "10.0.0.0/20", "availability_zone": "eu-west-1a", "map_public_ip_on_launch": false}),
            ),
            (
                "nat_gateway",
                "nat-a",
                json!({"name": "n", "subnet_id": "${ref:subnet.public-a.id}", "allocation_id": "${ref:eip.nat-a.id}"}),
            ),
        ]);
        let e = export(&g);
        let nat = &res(&e, "NatGatewayNatA")["Properties"];
        assert_eq!(
            nat["AllocationId"],
            json!({"Fn::GetAtt": ["EipNatA", "AllocationId"]})
        );
        assert_eq!(nat["SubnetId"], json!({"Ref": "SubnetPublicA"}));
        assert_eq!(res(&e, "EipNatA")["Properties"]["Domain"], "vpc");
    }

    #[test]
    fn group_rules_naming_groups_stand_alone() {
        let rule = |port: i32, src: serde_json::Value| {
            let mut v = json!({"protocol": "tcp", "from_port": port, "to_port": port, "description": format!("port {port}")});
            v.as_object_mut()
                .unwrap()
                .extend(src.as_object().unwrap().clone());
            v
        };
        let g = graph(&[
            (
                "security_group",
                "alb",
                json!({"name": "alb", "description": "lb", "vpc_id": "vpc-1",
                "ingress": [rule(80, json!({"cidr_ipv4": "0.0.0.0/0"})), rule(80, json!({"cidr_ipv6": "::/0"}))],
                "egress": [rule(8080, json!({"source_security_group_id": "${ref:security_group.svc.id}"}))]}),
            ),
            (
                "security_group",
                "svc",
                json!({"name": "svc", "description": "svc", "vpc_id": "vpc-1",
                "ingress": [rule(8080, json!({"source_security_group_id": "${ref:security_group.alb.id}"}))],
                "egress": [{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_ipv4": "0.0.0.0/0", "description": "all"}]}),
            ),
        ]);
        let e = export(&g);
        let alb = &res(&e, "SecurityGroupAlb")["Properties"];
        assert_eq!(alb["SecurityGroupIngress"].as_array().unwrap().len(), 2);
        assert_eq!(alb["SecurityGroupIngress"][1]["CidrIpv6"], "::/0");
        // Only a group-to-group egress rule: the no-traffic rule keeps AWS's
        // allow-all one away.
        assert_eq!(
            alb["SecurityGroupEgress"][0]["CidrIp"],
            "255.255.255.255/32"
        );
        let out = &res(&e, "SecurityGroupAlbEgress1")["Properties"];
        assert_eq!(
            out["DestinationSecurityGroupId"],
            json!({"Fn::GetAtt": ["SecurityGroupSvc", "GroupId"]})
        );
        assert_eq!(
            out["GroupId"],
            json!({"Fn::GetAtt": ["SecurityGroupAlb", "GroupId"]})
        );
        assert_eq!(out["FromPort"], 8080);
        let svc = &res(&e, "SecurityGroupSvc")["Properties"];
        assert!(svc.get("SecurityGroupIngress").is_none());
        assert_eq!(
            svc["SecurityGroupEgress"],
            json!([{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0", "Description": "all"}])
        );
        let inbound = &res(&e, "SecurityGroupSvcIngress1")["Properties"];
        assert_eq!(
            inbound["SourceSecurityGroupId"],
            json!({"Fn::GetAtt": ["SecurityGroupAlb", "GroupId"]})
        );
        assert_eq!(inbound["Description"], "port 8080");
    }

    #[test]
    fn interface_and_gateway_endpoints() {
        let g = graph(&[
            (
                "vpc_endpoint",
                "ecr-api",
                json!({"name": "e", "vpc_id": "vpc-1", "service_name": "com.amazonaws.eu-west-1.ecr.api",
                "vpc_endpoint_type": "Interface", "subnet_ids": ["subnet-1"], "security_group_ids": ["sg-1"], "private_dns_enabled": true}),
            ),
            (
                "vpc_endpoint",
                "s3",
                json!({"name": "e", "vpc_id": "vpc-1", "service_name": "com.amazonaws.eu-west-1.s3",
                "vpc_endpoint_type": "Gateway", "route_table_ids": ["rtb-1"], "private_dns_enabled": false}),
            ),
        ]);
        let e = export(&g);
        let i = &res(&e, "VpcEndpointEcrApi")["Properties"];
        assert_eq!(i["PrivateDnsEnabled"], true);
        assert!(i.get("RouteTableIds").is_none());
        let s3 = &res(&e, "VpcEndpointS3")["Properties"];
        assert_eq!(s3["RouteTableIds"], json!(["rtb-1"]));
        assert!(s3.get("SubnetIds").is_none());
    }

    #[test]
    fn subnets_associations_and_flow_logs() {
        let g = graph(&[
            (
                "subnet",
                "private-a",
                json!({"name": "shop-dev-private-a", "vpc_id": "vpc-1", "cidr_block": "10.0.128.0/20",
                "availability_zone": "eu-west-1a", "map_public_ip_on_launch": false}),
            ),
            (
                "route_table",
                "private-a",
                json!({"name": "shop-dev-private-a", "vpc_id": "vpc-1", "routes": []}),
            ),
            (
                "route_table_association",
                "private-a",
                json!({"subnet_id": "${ref:subnet.private-a.id}", "route_table_id": "${ref:route_table.private-a.id}"}),
            ),
            (
                "log_group",
                "flow",
                json!({"name": "/gantry/shop/dev/vpc-flow-logs", "retention_in_days": 30}),
            ),
            (
                "iam_role",
                "flow",
                json!({"name": "f", "description": "d", "assume_role_service": "vpc-flow-logs.amazonaws.com", "inline_policies": {}}),
            ),
            (
                "vpc_flow_log",
                "main",
                json!({"name": "shop-dev", "vpc_id": "vpc-1", "traffic_type": "ALL",
                "log_group_name": "${ref:log_group.flow.name}", "deliver_logs_permission_arn": "${ref:iam_role.flow.arn}",
                "max_aggregation_interval": 600}),
            ),
        ]);
        let e = export(&g);
        assert_eq!(
            res(&e, "SubnetPrivateA")["Properties"]["AvailabilityZone"],
            "eu-west-1a"
        );
        let a = res(&e, "RouteTableAssociationPrivateA");
        assert_eq!(a["Type"], "AWS::EC2::SubnetRouteTableAssociation");
        assert!(a["Properties"].get("Tags").is_none());
        let f = &res(&e, "VpcFlowLogMain")["Properties"];
        assert_eq!(f["LogGroupName"], json!({"Ref": "LogGroupFlow"}));
        assert_eq!(
            f["DeliverLogsPermissionArn"],
            json!({"Fn::GetAtt": ["IamRoleFlow", "Arn"]})
        );
        assert_eq!(f["MaxAggregationInterval"], 600);
        // A table without routes is only the table.
        assert!(e.template["Resources"]
            .get("RouteTablePrivateARoute1")
            .is_none());
    }
}
