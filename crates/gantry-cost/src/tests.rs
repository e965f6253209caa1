//! Hand-computed figures for each priced kind (us-east-1, 730 hours).

use super::*;
use gantry_core::{reference, Resource};
use serde_json::json;

fn graph(resources: &[(&str, &str, Value)]) -> DesiredGraph {
    let mut g = DesiredGraph::new();
    for (kind, name, props) in resources {
        g.add(Resource::new(kind, name, props)).unwrap();
    }
    g
}

fn estimate(g: &DesiredGraph) -> Estimate {
    let prices = Prices::built_in();
    let usage = Usage::default();
    Estimator {
        prices: &prices,
        usage: &usage,
        region: "us-east-1",
        task_counts: BTreeMap::new(),
    }
    .graph(g)
    .unwrap()
}

fn cents(v: f64) -> i64 {
    (v * 100.0).round() as i64
}

fn of(e: &Estimate, kind: &str, name: &str) -> f64 {
    e.by_address()[&Address::of(kind, name)]
}

#[test]
fn networking_nat_ip_endpoints_and_load_balancers() {
    let endpoint = |s: &str| {
        json!({"name": s, "service_name": format!("com.amazonaws.us-east-1.{s}"),
               "vpc_endpoint_type": "Interface", "subnet_ids": ["a", "b"]})
    };
    let g = graph(&[
        (kinds::NAT_GATEWAY, "a", json!({"name": "nat-a"})),
        (kinds::EIP, "a", json!({"name": "nat-a"})),
        (kinds::VPC_ENDPOINT, "ecr-api", endpoint("ecr.api")),
        (kinds::VPC_ENDPOINT, "ecr-dkr", endpoint("ecr.dkr")),
        (kinds::VPC_ENDPOINT, "logs", endpoint("logs")),
        (
            kinds::VPC_ENDPOINT,
            "secretsmanager",
            endpoint("secretsmanager"),
        ),
        (
            kinds::VPC_ENDPOINT,
            "s3",
            json!({"name": "s3", "vpc_endpoint_type": "Gateway", "route_table_ids": ["r"]}),
        ),
        (
            kinds::LB,
            "main",
            json!({"name": "lb", "internal": false, "subnet_ids": ["a", "b"]}),
        ),
        (
            kinds::LB,
            "inner",
            json!({"name": "lb2", "internal": true, "subnet_ids": ["a", "b"]}),
        ),
    ]);
    let e = estimate(&g);
    // $0.045 x 730 = $32.85, plus 50 GB x $0.045 assumed.
    assert_eq!(cents(of(&e, kinds::NAT_GATEWAY, "a")), 3285 + 225);
    assert_eq!(cents(of(&e, kinds::EIP, "a")), 365);
    // Seed 002: four interface endpoints in two AZs are $58.40 before data.
    let endpoints: f64 = e
        .lines
        .iter()
        .filter(|l| l.item == "vpc_endpoint_az_hour")
        .map(|l| l.monthly_usd)
        .sum();
    assert_eq!(cents(endpoints), 5840);
    assert!(!e
        .by_address()
        .contains_key(&Address::of(kinds::VPC_ENDPOINT, "s3")));
    // ALB $16.43 (16.425) + two public IPs $7.30 + 0.5 LCU $2.92 assumed.
    assert_eq!(
        cents(of(&e, kinds::LB, "main")),
        cents(16.425 + 7.30 + 2.92)
    );
    assert_eq!(cents(of(&e, kinds::LB, "inner")), cents(16.425 + 2.92));
    assert!(e.approximate_items().is_empty());
}

fn service(spot: bool, desired: i64) -> DesiredGraph {
    graph(&[
        (
            kinds::ECS_TASK_DEFINITION,
            "web",
            json!({"family": "f", "cpu": 512, "memory": 1024, "cpu_architecture": "X86_64"}),
        ),
        (
            kinds::ECS_SERVICE,
            "web",
            json!({"name": "web", "desired_count": desired,
                   "task_definition_arn": reference(&Address::of(kinds::ECS_TASK_DEFINITION, "web"), "arn"),
                   "capacity_provider": if spot { "FARGATE_SPOT" } else { "FARGATE" },
                   "assign_public_ip": false}),
        ),
    ])
}

#[test]
fn fargate_by_task_size_count_and_spot() {
    // 0.5 vCPU x $0.04048 + 1 GB x $0.004445, 730 h: $18.02 a task.
    let e = estimate(&service(false, 2));
    assert_eq!(cents(of(&e, kinds::ECS_SERVICE, "web")), 3604);
    assert_eq!(e.assumed(), 0.0);
    // Seed 001's "~$6" is this task on Spot at 70 % off: $5.41.
    let e = estimate(&service(true, 1));
    assert_eq!(cents(e.total()), 541);
    // A build: service waits at 0 until deployed; its steady count prices it.
    let prices = Prices::built_in();
    let usage = Usage::default();
    let e = Estimator {
        prices: &prices,
        usage: &usage,
        region: "us-east-1",
        task_counts: BTreeMap::from([("web".to_string(), 3)]),
    }
    .graph(&service(false, 0))
    .unwrap();
    assert_eq!(cents(e.total()), 3 * 1802);
}

#[test]
fn service_discovery_is_a_hosted_zone_and_each_registered_task() {
    let mut g = service(false, 2);
    let svc = Address::of(kinds::ECS_SERVICE, "web");
    g.resources.get_mut(&svc).unwrap().props.insert(
        "service_registries".into(),
        json!([reference(
            &Address::of(kinds::SERVICEDISCOVERY_SERVICE, "web"),
            "arn"
        )]),
    );
    for (kind, name) in [
        (kinds::SERVICEDISCOVERY_PRIVATE_DNS_NAMESPACE, "main"),
        (kinds::SERVICEDISCOVERY_SERVICE, "web"),
    ] {
        g.add(Resource::new(kind, name, &json!({"name": name})))
            .unwrap();
    }
    let e = estimate(&g);
    // Two tasks at $18.02, plus two registered instances at $0.10.
    assert_eq!(cents(of(&e, kinds::ECS_SERVICE, "web")), 3604 + 20);
    assert_eq!(
        cents(of(
            &e,
            kinds::SERVICEDISCOVERY_PRIVATE_DNS_NAMESPACE,
            "main"
        )),
        50
    );
    assert!(e
        .by_address()
        .get(&Address::of(kinds::SERVICEDISCOVERY_SERVICE, "web"))
        .is_none_or(|v| *v == 0.0));
}

#[test]
fn databases_caches_and_tables() {
    let g = graph(&[
        (
            kinds::DB_INSTANCE,
            "dev",
            json!({"instance_class": "db.t4g.micro", "allocated_storage": 20, "multi_az": false}),
        ),
        (
            kinds::DB_INSTANCE,
            "prod",
            json!({"instance_class": "db.t4g.small", "allocated_storage": 20, "multi_az": true}),
        ),
        (
            kinds::ELASTICACHE_REPLICATION_GROUP,
            "cache",
            json!({"node_type": "cache.t3.micro", "num_cache_clusters": 1}),
        ),
        (
            kinds::MEMORYDB_CLUSTER,
            "durable",
            json!({"node_type": "db.t4g.small", "num_shards": 1, "num_replicas_per_shard": 1}),
        ),
        (
            kinds::DYNAMODB_TABLE,
            "t",
            json!({"point_in_time_recovery": true}),
        ),
    ]);
    let e = estimate(&g);
    // Seed 001's "RDS ~$13": $11.68 + 20 GB gp3 $2.30 = $13.98.
    assert_eq!(cents(of(&e, kinds::DB_INSTANCE, "dev")), 1398);
    // Multi-AZ doubles instance and storage: $46.72 + $4.60.
    assert_eq!(cents(of(&e, kinds::DB_INSTANCE, "prod")), 4672 + 460);
    // Seed 001's "ElastiCache ~$12": one cache.t3.micro, $12.41.
    assert_eq!(
        cents(of(&e, kinds::ELASTICACHE_REPLICATION_GROUP, "cache")),
        1241
    );
    // MemoryDB bills every node: 2 x 730 x $0.068.
    assert_eq!(cents(of(&e, kinds::MEMORYDB_CLUSTER, "durable")), 9928);
    // 1M reads $0.125 + 0.5M writes $0.3125 + 1 GB $0.25 + PITR $0.20, assumed.
    assert_eq!(cents(of(&e, kinds::DYNAMODB_TABLE, "t")), 89);
    assert!(e
        .lines
        .iter()
        .filter(|l| l.address.kind() == kinds::DYNAMODB_TABLE)
        .all(|l| l.assumed));
}

#[test]
fn edge_secrets_keys_logs_and_the_rest() {
    let g = graph(&[
        (
            kinds::WAFV2_WEB_ACL,
            "main",
            json!({"managed_rule_groups": [{}, {}, {}], "rate_limit": 2000}),
        ),
        (kinds::ROUTE53_ZONE, "z", json!({"name": "example.com"})),
        (kinds::SECRET, "s", json!({"name": "s"})),
        (kinds::KMS_KEY, "k", json!({})),
        (kinds::LOG_GROUP, "web", json!({"name": "/l"})),
        (kinds::VPC, "main", json!({"name": "v"})),
        (kinds::SECURITY_GROUP, "sg", json!({"name": "sg"})),
    ]);
    let e = estimate(&g);
    // $5 + 4 rules x $1, then 1M requests x $0.60 assumed.
    assert_eq!(cents(of(&e, kinds::WAFV2_WEB_ACL, "main")), 900 + 60);
    assert_eq!(cents(of(&e, kinds::ROUTE53_ZONE, "z")), 50 + 40);
    assert_eq!(cents(of(&e, kinds::SECRET, "s")), 40 + 5);
    assert_eq!(cents(of(&e, kinds::KMS_KEY, "k")), 100 + 3);
    // 2 GB ingested at $0.50 and stored at $0.03.
    assert_eq!(cents(of(&e, kinds::LOG_GROUP, "web")), 106);
    assert_eq!(cents(e.fixed()), 900 + 50 + 40 + 100);
    assert!(!e
        .by_address()
        .contains_key(&Address::of(kinds::VPC, "main")));
}

#[test]
fn other_regions_use_their_figures_or_say_they_do_not() {
    let prices = Prices::built_in();
    let usage = Usage::default();
    let g = graph(&[
        (kinds::NAT_GATEWAY, "a", json!({})),
        (kinds::SECRET, "s", json!({})),
    ]);
    let e = Estimator {
        prices: &prices,
        usage: &usage,
        region: "eu-west-1",
        task_counts: BTreeMap::new(),
    }
    .graph(&g)
    .unwrap();
    assert_eq!(cents(730.0 * 0.048), cents(e.lines[0].monthly_usd));
    assert_eq!(e.approximate_items(), ["secret_api_10k", "secret_month"]);
}

#[test]
fn money_reads_as_money() {
    assert_eq!(usd(1234.5), "$1,234.50");
    assert_eq!(usd(32.849), "$32.85");
    assert_eq!(usd(0.0), "$0.00");
    assert_eq!(usd_delta(32.85), "+$32.85");
    assert_eq!(usd_delta(-3.65), "-$3.65");
    assert_eq!(usd_delta(0.001), "$0.00");
    assert_eq!(usd(1_000_000.0), "$1,000,000.00");
}

#[test]
fn a_recorded_service_finds_its_task_definition_by_name() {
    let td = Address::of(kinds::ECS_TASK_DEFINITION, "web");
    let svc = Address::of(kinds::ECS_SERVICE, "web");
    let td_props = json!({"cpu": 512, "memory": 1024})
        .as_object()
        .unwrap()
        .clone();
    let svc_props = json!({"desired_count": 1, "task_definition_arn": "arn:aws:ecs:us-east-1:1:task-definition/f:3"})
        .as_object()
        .unwrap()
        .clone();
    let prices = Prices::built_in();
    let usage = Usage::default();
    let e = Estimator {
        prices: &prices,
        usage: &usage,
        region: "us-east-1",
        task_counts: BTreeMap::new(),
    }
    .resources(&[
        Priced {
            address: &td,
            kind: kinds::ECS_TASK_DEFINITION,
            props: &td_props,
        },
        Priced {
            address: &svc,
            kind: kinds::ECS_SERVICE,
            props: &svc_props,
        },
    ])
    .unwrap();
    assert_eq!(cents(e.total()), 1802);
}

#[test]
fn a_charge_without_a_price_is_named_not_fatal() {
    let g = graph(&[
        (
            kinds::MEMORYDB_CLUSTER,
            "c",
            json!({"node_type": "db.r7g.xlarge", "num_shards": 1}),
        ),
        (kinds::KMS_KEY, "k", json!({})),
    ]);
    let e = estimate(&g);
    assert_eq!(
        e.unpriced,
        [(
            Address::of(kinds::MEMORYDB_CLUSTER, "c"),
            "memorydb_hour.db.r7g.xlarge".to_string()
        )]
    );
    assert_eq!(cents(e.total()), 103);
}

#[test]
fn ci_roles_and_the_oidc_provider_are_free() {
    let g = graph(&[
        (
            kinds::IAM_OPENID_CONNECT_PROVIDER,
            "github",
            json!({"url": "https://token.actions.githubusercontent.com", "client_ids": ["sts.amazonaws.com"]}),
        ),
        (
            kinds::IAM_ROLE,
            "ci-plan",
            json!({"name": "x-dev-ci-plan", "description": "d", "assume_role_service": "", "inline_policies": {}}),
        ),
    ]);
    let e = estimate(&g);
    assert_eq!(cents(e.total()), 0);
    assert!(e.lines.is_empty());
    assert!(e.unpriced.is_empty());
}

#[test]
fn alarms_pay_per_metric_they_read() {
    let metric = json!({"namespace": "ECS/ContainerInsights", "metric_name": "RunningTaskCount",
        "dimensions": {}, "stat": "Average", "period": 60});
    let g = graph(&[
        (
            kinds::CLOUDWATCH_METRIC_ALARM,
            "cpu",
            json!({"metric": metric}),
        ),
        (
            kinds::CLOUDWATCH_METRIC_ALARM,
            "missing",
            json!({"queries": [
                {"id": "desired", "metric": metric, "return_data": false},
                {"id": "running", "metric": metric, "return_data": false},
                {"id": "missing", "expression": "desired - running", "return_data": true},
            ]}),
        ),
        (kinds::CLOUDWATCH_DASHBOARD, "main", json!({"name": "d"})),
    ]);
    let e = estimate(&g);
    // $0.10 per alarm metric-month: one metric, then two behind the math.
    assert_eq!(cents(of(&e, kinds::CLOUDWATCH_METRIC_ALARM, "cpu")), 10);
    assert_eq!(cents(of(&e, kinds::CLOUDWATCH_METRIC_ALARM, "missing")), 20);
    assert_eq!(cents(of(&e, kinds::CLOUDWATCH_DASHBOARD, "main")), 300);
}
