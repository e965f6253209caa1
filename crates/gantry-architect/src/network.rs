//! The VPC: subnets per AZ and tier, gateways, route tables, and for
//! `egress: endpoints` the VPC endpoints that replace the NAT gateway.

use crate::Graph;
use gantry_core::kinds::{self, *};
use gantry_core::{reference, Address, Resource};
use gantry_model::{Egress, Model};
use std::collections::BTreeMap;

/// What later builders need from the network.
pub(crate) struct Net {
    pub vpc: Address,
    pub public_subnets: Vec<Address>,
    pub private_subnets: Vec<Address>,
    pub private_route_tables: Vec<Address>,
    /// Data subnets (PostgreSQL, Redis), by AZ; empty without such stores.
    pub data_subnets: Vec<Address>,
}

impl Net {
    pub fn vpc_id(&self) -> String {
        reference(&self.vpc, "id")
    }
}

pub(crate) fn ids(addrs: &[Address]) -> Vec<String> {
    addrs.iter().map(|a| reference(a, "id")).collect()
}

pub(crate) fn build(m: &Model, g: &mut Graph) -> Net {
    let prefix = m.prefix();
    let vpc = g.add(Resource::new(
        kinds::VPC,
        "main",
        &Vpc {
            name: prefix.clone(),
            cidr_block: m.network.cidr.to_string(),
            // Both are needed for interface endpoints' private DNS and for
            // ECS tasks to resolve AWS service names inside the VPC.
            enable_dns_support: true,
            enable_dns_hostnames: true,
        },
    ));
    let tier = Tier {
        prefix: &prefix,
        vpc_id: reference(&vpc, "id"),
    };
    let igw = g.add(Resource::new(
        kinds::INTERNET_GATEWAY,
        "main",
        &InternetGateway {
            name: prefix.clone(),
            vpc_id: tier.vpc_id.clone(),
        },
    ));
    let public_rt = tier.route_table(
        "public",
        vec![Route {
            destination_cidr_block: "0.0.0.0/0".into(),
            gateway_id: Some(reference(&igw, "id")),
            nat_gateway_id: None,
        }],
        g,
    );

    let mut public_subnets = Vec::new();
    let mut private_subnets = Vec::new();
    for az in &m.network.azs {
        let public = tier.subnet(
            &format!("public-{}", az.suffix),
            az.public_cidr,
            &az.name,
            g,
        );
        private_subnets.push(tier.subnet(
            &format!("private-{}", az.suffix),
            az.private_cidr,
            &az.name,
            g,
        ));
        associate(&format!("public-{}", az.suffix), &public, &public_rt, g);
        public_subnets.push(public);
    }
    if let Some(extra) = &m.network.lb_extra_public {
        let name = format!("public-{}", extra.suffix);
        let subnet = tier.subnet(&name, extra.public_cidr, &extra.name, g);
        associate(&name, &subnet, &public_rt, g);
        public_subnets.push(subnet);
    }
    let nats = nat_gateways(m, &prefix, &igw, &public_subnets, g);
    let private_route_tables = private_routes(m, &tier, &private_subnets, &nats, g);
    let data_subnets = data_tier(m, &tier, g);
    Net {
        vpc,
        public_subnets,
        private_subnets,
        private_route_tables,
        data_subnets,
    }
}

/// What every subnet and route table of the VPC shares.
struct Tier<'a> {
    prefix: &'a str,
    vpc_id: String,
}

impl Tier<'_> {
    /// Subnet `name` (`public-a`, `private-a`, `data-a`).
    fn subnet(&self, name: &str, cidr: impl ToString, az: &str, g: &mut Graph) -> Address {
        g.add(Resource::new(
            kinds::SUBNET,
            name,
            &Subnet {
                name: format!("{}-{name}", self.prefix),
                vpc_id: self.vpc_id.clone(),
                cidr_block: cidr.to_string(),
                availability_zone: az.to_string(),
                // Only the ALB and NAT gateways live in public subnets and
                // neither needs auto-assigned public IPs.
                map_public_ip_on_launch: false,
            },
        ))
    }

    fn route_table(&self, name: &str, routes: Vec<Route>, g: &mut Graph) -> Address {
        g.add(Resource::new(
            kinds::ROUTE_TABLE,
            name,
            &RouteTable {
                name: format!("{}-{name}", self.prefix),
                vpc_id: self.vpc_id.clone(),
                routes,
            },
        ))
    }
}

fn associate(name: &str, subnet: &Address, route_table: &Address, g: &mut Graph) {
    g.add(Resource::new(
        kinds::ROUTE_TABLE_ASSOCIATION,
        name,
        &RouteTableAssociation {
            subnet_id: reference(subnet, "id"),
            route_table_id: reference(route_table, "id"),
        },
    ));
}

/// NAT gateways: one in the first AZ for `nat`, one per AZ for `nat-per-az`.
fn nat_gateways(
    m: &Model,
    prefix: &str,
    igw: &Address,
    public_subnets: &[Address],
    g: &mut Graph,
) -> Vec<Address> {
    let nat_azs = match m.network.egress {
        Egress::Nat => 1,
        Egress::NatPerAz => m.network.azs.len(),
        Egress::Endpoints | Egress::None => 0,
    };
    let mut nats = Vec::new();
    for (az, public) in m.network.azs.iter().zip(public_subnets).take(nat_azs) {
        let name = format!("nat-{}", az.suffix);
        let eip = g.add(Resource::new(
            kinds::EIP,
            &name,
            &Eip {
                name: format!("{prefix}-{name}"),
            },
        ));
        let nat = g.add(
            Resource::new(
                kinds::NAT_GATEWAY,
                &name,
                &NatGateway {
                    name: format!("{prefix}-{name}"),
                    subnet_id: reference(public, "id"),
                    allocation_id: reference(&eip, "id"),
                },
            )
            // A NAT gateway in a VPC without an attached internet gateway
            // fails to become available.
            .with_depends_on([igw.clone()]),
        );
        nats.push(nat);
    }
    nats
}

/// One private route table per AZ whatever the egress mode: tables are
/// free, and switching `nat` ↔ `nat-per-az` then only edits routes instead
/// of replacing tables and their associations.
fn private_routes(
    m: &Model,
    tier: &Tier,
    private_subnets: &[Address],
    nats: &[Address],
    g: &mut Graph,
) -> Vec<Address> {
    let mut tables = Vec::new();
    for (i, (az, subnet)) in m.network.azs.iter().zip(private_subnets).enumerate() {
        let routes = match nats.get(i).or(nats.first()) {
            Some(nat) => vec![Route {
                destination_cidr_block: "0.0.0.0/0".into(),
                gateway_id: None,
                nat_gateway_id: Some(reference(nat, "id")),
            }],
            None => Vec::new(),
        };
        let name = format!("private-{}", az.suffix);
        let rt = tier.route_table(&name, routes, g);
        associate(&name, subnet, &rt, g);
        tables.push(rt);
    }
    tables
}

/// Data subnets: one route table with no route out at all, so a database
/// or cache cannot reach (or be reached from) the internet whatever
/// happens to the other tiers' routes.
fn data_tier(m: &Model, tier: &Tier, g: &mut Graph) -> Vec<Address> {
    if m.network.data.is_empty() {
        return Vec::new();
    }
    let rt = tier.route_table("data", Vec::new(), g);
    m.network
        .data
        .iter()
        .map(|d| {
            let name = format!("data-{}", d.suffix);
            let subnet = tier.subnet(&name, d.cidr, &d.az, g);
            associate(&name, &subnet, &rt, g);
            subnet
        })
        .collect()
}

/// Interface endpoints a Fargate task needs to start without a NAT gateway:
/// pulling from ECR (api + dkr), shipping logs, and reading secrets. SSM is
/// added when the spec has parameters (ECS reads them at task start), and
/// SSM messages when a service allows `exec`.
const INTERFACE_ENDPOINTS: &[(&str, &str)] = &[
    ("ecr-api", "ecr.api"),
    ("ecr-dkr", "ecr.dkr"),
    ("logs", "logs"),
    ("secretsmanager", "secretsmanager"),
];

/// For `egress: endpoints`: interface endpoints in the private subnets,
/// reachable on 443 from the service security groups only, and an S3
/// gateway endpoint (ECR stores image layers in S3) on the private route
/// tables.
pub(crate) fn endpoints(
    m: &Model,
    net: &Net,
    service_sgs: &BTreeMap<String, Address>,
    g: &mut Graph,
) {
    if m.network.egress != Egress::Endpoints {
        return;
    }
    let prefix = m.prefix();
    let ingress = if service_sgs.is_empty() {
        vec![SgRule {
            protocol: "tcp".into(),
            from_port: 443,
            to_port: 443,
            cidr_ipv4: Some(m.network.cidr.to_string()),
            cidr_ipv6: None,
            source_security_group_id: None,
            description: "HTTPS to AWS APIs from inside the VPC".into(),
        }]
    } else {
        service_sgs
            .iter()
            .map(|(svc, sg)| SgRule {
                protocol: "tcp".into(),
                from_port: 443,
                to_port: 443,
                cidr_ipv4: None,
                cidr_ipv6: None,
                source_security_group_id: Some(reference(sg, "id")),
                description: format!("HTTPS to AWS APIs from service {svc}"),
            })
            .collect()
    };
    let sg = g.add(Resource::new(
        kinds::SECURITY_GROUP,
        "endpoints",
        &SecurityGroup {
            name: crate::common::sg_name(&format!("{prefix}-endpoints")),
            description: "VPC interface endpoints: HTTPS from Gantry services".into(),
            vpc_id: net.vpc_id(),
            ingress,
            // Endpoints answer; they never open connections.
            egress: Vec::new(),
        },
    ));
    let ssm = (!m.parameters.is_empty()).then_some(("ssm", "ssm"));
    // ECS Exec's sessions run over Session Manager's message channels.
    let exec = m
        .services
        .iter()
        .any(|s| s.exec)
        .then_some(("ssmmessages", "ssmmessages"));
    // Tasks reach the queues and topics they use through their endpoints.
    let sqs = (!m.queues.is_empty()).then_some(("sqs", "sqs"));
    let sns = (!m.topics.is_empty()).then_some(("sns", "sns"));
    // The X-Ray daemon sidecars send traces to X-Ray's API.
    let xray = m.tasks().any(|s| s.xray).then_some(("xray", "xray"));
    for (name, service) in INTERFACE_ENDPOINTS
        .iter()
        .copied()
        .chain(ssm)
        .chain(exec)
        .chain(sqs)
        .chain(sns)
        .chain(xray)
    {
        g.add(Resource::new(
            kinds::VPC_ENDPOINT,
            name,
            &VpcEndpoint {
                name: format!("{prefix}-{name}"),
                vpc_id: net.vpc_id(),
                service_name: format!("com.amazonaws.{}.{service}", m.region),
                vpc_endpoint_type: "Interface".into(),
                subnet_ids: ids(&net.private_subnets),
                security_group_ids: vec![reference(&sg, "id")],
                route_table_ids: Vec::new(),
                private_dns_enabled: true,
            },
        ));
    }
    g.add(Resource::new(
        kinds::VPC_ENDPOINT,
        "s3",
        &VpcEndpoint {
            name: format!("{prefix}-s3"),
            vpc_id: net.vpc_id(),
            service_name: format!("com.amazonaws.{}.s3", m.region),
            vpc_endpoint_type: "Gateway".into(),
            subnet_ids: Vec::new(),
            security_group_ids: Vec::new(),
            route_table_ids: ids(&net.private_route_tables),
            private_dns_enabled: false,
        },
    ));
    // Tables are reached over the DynamoDB gateway endpoint (free).
    if !m.tables.is_empty() {
        g.add(Resource::new(
            kinds::VPC_ENDPOINT,
            "dynamodb",
            &VpcEndpoint {
                name: format!("{prefix}-dynamodb"),
                vpc_id: net.vpc_id(),
                service_name: format!("com.amazonaws.{}.dynamodb", m.region),
                vpc_endpoint_type: "Gateway".into(),
                subnet_ids: Vec::new(),
                security_group_ids: Vec::new(),
                route_table_ids: ids(&net.private_route_tables),
                private_dns_enabled: false,
            },
        ));
    }
}

/// With `network.flow_logs`: a flow log of the VPC's traffic (accepted and
/// rejected, aggregated over 10 minutes) into a log group of the stack
/// (retention as for the services' logs, encrypted with the stack key when
/// there is one), written through a role the flow logs service assumes
/// that may write to that group alone.
pub(crate) fn flow_logs(m: &Model, net: &Net, g: &mut Graph) {
    if !m.network.flow_logs {
        return;
    }
    let name = format!("{}vpc-flow-logs", crate::common::log_group_prefix(m));
    let group = g.add(Resource::new(
        kinds::LOG_GROUP,
        "vpc-flow-logs",
        &LogGroup {
            name: name.clone(),
            retention_in_days: crate::common::retention(m, None),
            kms_key_id: crate::common::stack_key_arn(m),
        },
    ));
    let role = g.add(Resource::new(
        kinds::IAM_ROLE,
        "vpc-flow-logs",
        &IamRole {
            name: crate::naming::short_name(&format!("{}-flow-logs", m.prefix()), 64),
            description: "VPC flow logs: write the VPC's traffic records".into(),
            assume_role_service: "vpc-flow-logs.amazonaws.com".into(),
            trust_policy: None,
            inline_policies: BTreeMap::from([(
                "flow-logs".to_string(),
                serde_json::json!({
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "WriteFlowLogs",
                        "Effect": "Allow",
                        "Action": [
                            "logs:CreateLogStream",
                            "logs:PutLogEvents",
                            "logs:DescribeLogStreams"
                        ],
                        "Resource": [format!(
                            "arn:{}:logs:{}:*:log-group:{name}:*",
                            crate::naming::partition(&m.region),
                            m.region
                        )]
                    }]
                }),
            )]),
        },
    ));
    g.add(Resource::new(
        kinds::VPC_FLOW_LOG,
        "main",
        &VpcFlowLog {
            name: m.prefix(),
            vpc_id: net.vpc_id(),
            traffic_type: "ALL".into(),
            log_group_name: reference(&group, "name"),
            deliver_logs_permission_arn: reference(&role, "arn"),
            max_aggregation_interval: 600,
        },
    ));
}
