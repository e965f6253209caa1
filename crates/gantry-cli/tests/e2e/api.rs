//! End to end on the local AWS emulator for API Gateway as the front door
//! (issue 4 item 6), with examples/saas-platform.yaml (seed 004): the HTTP
//! API with one route per service, each a private integration through the
//! VPC link (in the private subnets) to the internal load balancer's
//! listener, the `$default` stage with access logs and throttling, the
//! custom domain with its mapping and an alias record to its regional
//! target; the internal load balancer admitting only the VPC link; the EFS
//! volume encrypted, with mount targets in every private subnet, an access
//! point with the POSIX ids, mounted at /app/uploads; a second plan with no
//! changes; a destroy that leaves nothing.
//!
//! A second test kills `gantry up` of the same architecture (another stack
//! and zone, so both run side by side) at several moments and checks the
//! rerun adopts what was created: one API, VPC link and domain name, and in
//! the API exactly one route and integration per service (those carry no
//! tags: they are found by route key and description).
//!
//! Emulator gap, handled by the emulator launcher (`scripts/moto_server.py`)
//! rather than here or in the providers: moto's custom domain names lack the
//! regional target (`ApiGatewayDomainName`, `HostedZoneId`) AWS returns.

use crate::support;

use gantry_aws::AwsContext;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::Project;

#[tokio::test(flavor = "multi_thread")]
async fn saas_platform_api_gateway_efs_and_destroy() {
    let p = Project::from_example("saas-platform.yaml").keyed("AKIACALLSSAAS");
    support::emulator_env();
    let ctx = AwsContext::load(Some("us-east-1".into())).await.unwrap();
    let up = p.gantry(&["up", "--yes"]);
    up.assert_code(0);
    assert!(
        up.stderr().contains("HTTP API has no WAF"),
        "the plan says HTTP APIs have no WAF"
    );

    // The VPC and its private subnets.
    let ec2 = ctx.ec2();
    let vpcs = ec2.describe_vpcs().send().await.unwrap();
    let vpc_id = vpcs
        .vpcs()
        .iter()
        .find(|v| {
            v.tags()
                .iter()
                .any(|t| t.key() == Some("gantry:stack") && t.value() == Some("saas"))
        })
        .and_then(|v| v.vpc_id())
        .expect("the stack's VPC")
        .to_string();
    let subnets = ec2
        .describe_subnets()
        .filters(
            gantry_aws::aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(&vpc_id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut private: Vec<String> = subnets
        .subnets()
        .iter()
        .filter(|s| {
            s.tags().iter().any(|t| {
                t.key() == Some("gantry:address")
                    && t.value().is_some_and(|v| v.starts_with("subnet.private-"))
            })
        })
        .filter_map(|s| s.subnet_id().map(str::to_string))
        .collect();
    private.sort();
    assert_eq!(private.len(), 2, "two private subnets");

    // The internal load balancer and its HTTP listener.
    let lbs = ctx.elb().describe_load_balancers().send().await.unwrap();
    let lb = lbs
        .load_balancers()
        .iter()
        .find(|l| l.load_balancer_name() == Some("saas-dev-internal"))
        .expect("the internal load balancer")
        .clone();
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internal"));
    let listeners = ctx
        .elb()
        .describe_listeners()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .send()
        .await
        .unwrap();
    let listener_arn = listeners
        .listeners()
        .iter()
        .find(|l| l.port() == Some(80))
        .and_then(|l| l.listener_arn())
        .expect("an HTTP listener")
        .to_string();

    // The HTTP API, one route per service, each a private integration.
    let gw = ctx.apigw();
    let apis = gw.get_apis().send().await.unwrap();
    let api = apis
        .items()
        .iter()
        .find(|a| a.name() == Some("saas-dev"))
        .expect("the HTTP API")
        .clone();
    assert_eq!(api.protocol_type().map(|p| p.as_str()), Some("HTTP"));
    assert_eq!(api.disable_execute_api_endpoint(), Some(true));
    let api_id = api.api_id().unwrap().to_string();
    let routes = gw.get_routes().api_id(&api_id).send().await.unwrap();
    let mut keys: Vec<&str> = routes
        .items()
        .iter()
        .filter_map(|r| r.route_key())
        .collect();
    keys.sort();
    assert_eq!(keys, vec!["ANY /orders/{proxy+}", "ANY /users/{proxy+}"]);
    let integrations = gw.get_integrations().api_id(&api_id).send().await.unwrap();
    assert_eq!(integrations.items().len(), 2, "one integration per service");
    let link_id = integrations.items()[0].connection_id().unwrap().to_string();
    for i in integrations.items() {
        assert_eq!(i.integration_type().map(|t| t.as_str()), Some("HTTP_PROXY"));
        assert_eq!(i.connection_type().map(|t| t.as_str()), Some("VPC_LINK"));
        assert_eq!(i.connection_id(), Some(link_id.as_str()));
        assert_eq!(i.integration_uri(), Some(listener_arn.as_str()));
        let target = format!("integrations/{}", i.integration_id().unwrap());
        assert!(
            routes
                .items()
                .iter()
                .any(|r| r.target() == Some(target.as_str())),
            "a route targets {target}"
        );
    }

    // The VPC link sits in the private subnets with its own group, which
    // is the only thing the internal load balancer admits.
    let link = gw
        .get_vpc_link()
        .vpc_link_id(&link_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        link.vpc_link_status().map(|s| s.as_str()),
        Some("AVAILABLE")
    );
    let mut link_subnets = link.subnet_ids().to_vec();
    link_subnets.sort();
    assert_eq!(link_subnets, private);
    let link_sg = link.security_group_ids()[0].clone();
    let lb_sgs = ec2
        .describe_security_groups()
        .set_group_ids(Some(lb.security_groups().to_vec()))
        .send()
        .await
        .unwrap();
    let ingress = lb_sgs.security_groups()[0].ip_permissions();
    assert_eq!(ingress.len(), 1, "{ingress:?}");
    assert_eq!(
        (ingress[0].from_port(), ingress[0].to_port()),
        (Some(80), Some(80))
    );
    assert!(ingress[0].ip_ranges().is_empty() && ingress[0].ipv6_ranges().is_empty());
    let sources: Vec<&str> = ingress[0]
        .user_id_group_pairs()
        .iter()
        .filter_map(|g| g.group_id())
        .collect();
    assert_eq!(sources, vec![link_sg.as_str()]);

    // The $default stage: auto-deploy, access logs, throttling.
    let stage = gw
        .get_stage()
        .api_id(&api_id)
        .stage_name("$default")
        .send()
        .await
        .unwrap();
    assert_eq!(stage.auto_deploy(), Some(true));
    let dest = stage
        .access_log_settings()
        .and_then(|l| l.destination_arn())
        .expect("access logs")
        .to_string();
    assert!(
        dest.ends_with(":log-group:/gantry/saas/dev/api-gateway/access"),
        "{dest}"
    );
    let throttle = stage.default_route_settings().expect("route settings");
    assert_eq!(throttle.throttling_rate_limit(), Some(100.0));
    assert_eq!(throttle.throttling_burst_limit(), Some(200));

    // The custom domain on the dev subdomain, mapped to the stage, and an
    // alias record to its regional target.
    let host = "api.dev.example.com";
    let dom = gw.get_domain_name().domain_name(host).send().await.unwrap();
    let conf = &dom.domain_name_configurations()[0];
    assert_eq!(conf.endpoint_type().map(|t| t.as_str()), Some("REGIONAL"));
    assert_eq!(conf.security_policy().map(|t| t.as_str()), Some("TLS_1_2"));
    let cert_arn = conf.certificate_arn().unwrap().to_string();
    let cert = ctx
        .acm()
        .describe_certificate()
        .certificate_arn(&cert_arn)
        .send()
        .await
        .unwrap()
        .certificate
        .unwrap();
    assert_eq!(cert.domain_name(), Some(host));
    assert_eq!(cert.status().map(|s| s.as_str()), Some("ISSUED"));
    let mappings = gw
        .get_api_mappings()
        .domain_name(host)
        .send()
        .await
        .unwrap();
    assert_eq!(mappings.items().len(), 1);
    assert_eq!(mappings.items()[0].api_id(), Some(api_id.as_str()));
    assert_eq!(mappings.items()[0].stage(), Some("$default"));
    let records = support::zone_records(&ctx, "example.com.").await;
    let a = records
        .iter()
        .find(|r| r.name() == "api.dev.example.com." && r.r#type().as_str() == "A")
        .expect("an A record for the API host")
        .alias_target()
        .expect("an alias")
        .clone();
    assert_eq!(
        a.dns_name().trim_end_matches('.'),
        conf.api_gateway_domain_name().unwrap()
    );
    assert_eq!(a.hosted_zone_id(), conf.hosted_zone_id().unwrap());
    // The web frontend keeps its own HTTPS load balancer on the apex.
    assert!(records
        .iter()
        .any(|r| r.name() == "dev.example.com." && r.r#type().as_str() == "A"));

    // The EFS volume: encrypted, a mount target in every private subnet, an
    // access point with the POSIX ids, mounted at /app/uploads.
    let efs = ctx.efs();
    let fss = efs.describe_file_systems().send().await.unwrap();
    let fs = fss
        .file_systems()
        .iter()
        .find(|f| f.name() == Some("saas-dev-uploads"))
        .expect("the uploads file system")
        .clone();
    assert_eq!(fs.encrypted(), Some(true));
    let fs_id = fs.file_system_id().to_string();
    let targets = efs
        .describe_mount_targets()
        .file_system_id(&fs_id)
        .send()
        .await
        .unwrap();
    let mut target_subnets: Vec<String> = targets
        .mount_targets()
        .iter()
        .map(|t| t.subnet_id().to_string())
        .collect();
    target_subnets.sort();
    assert_eq!(target_subnets, private);
    let aps = efs
        .describe_access_points()
        .file_system_id(&fs_id)
        .send()
        .await
        .unwrap();
    assert_eq!(aps.access_points().len(), 1);
    let ap = &aps.access_points()[0];
    let posix = ap.posix_user().expect("a POSIX user");
    assert_eq!((posix.uid(), posix.gid()), (1000, 1000));
    assert_eq!(ap.root_directory().and_then(|r| r.path()), Some("/uploads"));
    let ap_id = ap.access_point_id().unwrap().to_string();
    let svc = ctx
        .ecs()
        .describe_services()
        .cluster("saas-dev")
        .services("orders")
        .send()
        .await
        .unwrap();
    let td = ctx
        .ecs()
        .describe_task_definition()
        .task_definition(svc.services()[0].task_definition().unwrap())
        .send()
        .await
        .unwrap()
        .task_definition
        .unwrap();
    let vol = td
        .volumes()
        .iter()
        .find(|v| v.name() == Some("uploads"))
        .expect("the uploads volume");
    let efs_conf = vol.efs_volume_configuration().expect("an EFS volume");
    assert_eq!(efs_conf.file_system_id(), fs_id);
    assert_eq!(
        efs_conf
            .authorization_config()
            .and_then(|a| a.access_point_id()),
        Some(ap_id.as_str())
    );
    let mount = td.container_definitions()[0]
        .mount_points()
        .iter()
        .find(|m| m.source_volume() == Some("uploads"))
        .expect("mounted");
    assert_eq!(mount.container_path(), Some("/app/uploads"));

    // Issue 10 items 6-8, read back through the AWS APIs.
    options_are_applied(&ctx, &p, &up, &fs_id, &td).await;

    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    support::assert_refresh_cost(&p.plan_calls());

    p.gantry(&["destroy", "--yes"]).assert_code(0);
    let left = gantry_aws::inventory::stack_resources(&ctx, "saas", "dev")
        .await
        .unwrap();
    assert!(left.is_empty(), "left behind: {left:?}");
    let apis = gw.get_apis().send().await.unwrap();
    assert!(apis
        .items()
        .iter()
        .all(|a| a.api_id() != Some(api_id.as_str())));
    assert!(
        gw.get_vpc_link()
            .vpc_link_id(&link_id)
            .send()
            .await
            .is_err(),
        "the VPC link is gone"
    );
    assert!(gw.get_domain_name().domain_name(host).send().await.is_err());
}

/// X-Ray on `orders`, its SecureString, the public `assets` bucket, EFS
/// Infrequent Access and the environment file, as AWS reports them.
async fn options_are_applied(
    ctx: &AwsContext,
    p: &Project,
    up: &support::Run,
    fs_id: &str,
    td: &gantry_aws::aws_sdk_ecs::types::TaskDefinition,
) {
    assert!(
        up.stderr().contains("bucket `assets` is public"),
        "the plan warns about the public bucket: {}",
        up.stderr()
    );

    // The X-Ray daemon sidecar and what the app containers get.
    let daemon = td
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some("xray-daemon"))
        .expect("the X-Ray sidecar");
    assert!(daemon
        .image()
        .unwrap()
        .starts_with("public.ecr.aws/xray/aws-xray-daemon:3."));
    assert_eq!(daemon.essential(), Some(false));
    let port = &daemon.port_mappings()[0];
    assert_eq!(port.container_port(), Some(2000));
    assert_eq!(port.protocol().map(|p| p.as_str()), Some("udp"));
    let app = td
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some("app"))
        .unwrap();
    assert!(app.environment().iter().any(|kv| {
        kv.name() == Some("AWS_XRAY_DAEMON_ADDRESS") && kv.value() == Some("127.0.0.1:2000")
    }));

    // The SecureString: encrypted with the stack key, injected as a secret.
    let name = "/gantry/saas/dev/push_server_key";
    let got = ctx
        .ssm()
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!(got.r#type().map(|t| t.as_str()), Some("SecureString"));
    let placeholder = got.value().unwrap().to_string();
    let meta = ctx
        .ssm()
        .describe_parameters()
        .parameter_filters(
            gantry_aws::aws_sdk_ssm::types::ParameterStringFilter::builder()
                .key("Name")
                .values(name)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let key_id = meta.parameters()[0].key_id().unwrap().to_string();
    let keys = ctx.kms().list_aliases().send().await.unwrap();
    let stack_key = keys
        .aliases()
        .iter()
        .find(|a| a.alias_name() == Some("alias/gantry/saas-dev"))
        .and_then(|a| a.target_key_id())
        .expect("the stack key");
    assert!(
        key_id.ends_with(stack_key),
        "{key_id} is the stack key {stack_key}"
    );
    let secret = app
        .secrets()
        .iter()
        .find(|s| s.name() == "PUSH_SERVER_KEY")
        .expect("injected as an ECS secret");
    assert_eq!(secret.value_from(), got.arn().unwrap());
    assert!(app
        .environment()
        .iter()
        .all(|kv| kv.name() != Some("PUSH_SERVER_KEY")));
    // Set from stdin; neither the value nor the placeholder reaches the
    // state or the plan.
    p.gantry_with_stdin(&["secret", "set", "push_server_key"], "fcm-0123456789\n")
        .assert_code(0);
    let set = ctx
        .ssm()
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        set.parameter().and_then(|x| x.value()),
        Some("fcm-0123456789")
    );
    let state = p.state_text();
    assert!(!state.contains("fcm-0123456789") && !state.contains(&placeholder));
    let plan = p.gantry(&["plan", "--json"]);
    plan.assert_code(0);
    assert!(!plan.stdout().contains("fcm-0123456789"));

    // The public bucket: read of its objects for everyone, ACLs blocked.
    let s3 = ctx.s3();
    let buckets = s3.list_buckets().send().await.unwrap();
    let bucket_of = |prefix: &str| {
        buckets
            .buckets()
            .iter()
            .filter_map(|b| b.name())
            .find(|n| n.starts_with(prefix))
            .unwrap_or_else(|| panic!("no bucket {prefix}*"))
            .to_string()
    };
    let assets = bucket_of("saas-dev-assets-");
    let policy: serde_json::Value = serde_json::from_str(
        s3.get_bucket_policy()
            .bucket(&assets)
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    let allows: Vec<&serde_json::Value> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|st| st["Effect"] == "Allow")
        .collect();
    assert_eq!(allows.len(), 1, "{policy}");
    assert_eq!(allows[0]["Principal"], "*");
    assert_eq!(allows[0]["Action"], "s3:GetObject");
    assert_eq!(allows[0]["Resource"], format!("arn:aws:s3:::{assets}/*"));
    let pab = s3
        .get_public_access_block()
        .bucket(&assets)
        .send()
        .await
        .unwrap();
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            pab.block_public_acls(),
            pab.ignore_public_acls(),
            pab.block_public_policy(),
            pab.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(false), Some(false))
    );
    // The private bucket keeps every block.
    let docs = bucket_of("saas-dev-documents-");
    let pab = s3
        .get_public_access_block()
        .bucket(&docs)
        .send()
        .await
        .unwrap();
    assert_eq!(
        pab.public_access_block_configuration()
            .unwrap()
            .block_public_policy(),
        Some(true)
    );

    // EFS: Infrequent Access after 30 days, back on the first access.
    let lc = ctx
        .efs()
        .describe_lifecycle_configuration()
        .file_system_id(fs_id)
        .send()
        .await
        .unwrap();
    let rules: Vec<(Option<&str>, Option<&str>)> = lc
        .lifecycle_policies()
        .iter()
        .map(|x| {
            (
                x.transition_to_ia().map(|t| t.as_str()),
                x.transition_to_primary_storage_class().map(|t| t.as_str()),
            )
        })
        .collect();
    assert_eq!(
        rules,
        vec![
            (Some("AFTER_30_DAYS"), None),
            (None, Some("AFTER_1_ACCESS"))
        ]
    );

    // The environment file, from the stack's config bucket.
    let config = bucket_of("saas-dev-config-");
    let files = app.environment_files();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].r#type().as_str(), "s3");
    assert_eq!(
        files[0].value(),
        format!("arn:aws:s3:::{config}/config/orders.env")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_up_adopts_api_gateway_objects() {
    let spec = std::fs::read_to_string(format!("{}/examples/saas-platform.yaml", support::ROOT))
        .unwrap()
        .replace("name: saas", "name: saascrash")
        .replace("example.com", "example.net");
    let p = Project::new(&spec);
    support::emulator_env();
    let ctx = AwsContext::load(Some("us-east-1".into())).await.unwrap();

    // A fresh run reaches the API Gateway objects after about 2-3.5 s; a
    // rerun first recovers (waiting 5 s when an interrupted create is not
    // found yet), so the later kills come later.
    for delay_ms in [2300u64, 3300, 6000, 8600] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gantry"));
        cmd.arg("-f")
            .arg(p.spec_path())
            .args(["up", "--yes"])
            .env("NO_COLOR", "1");
        for (k, v) in support::emulator_env() {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no cleanup, no lock release.
        let _ = child.wait();
    }
    p.gantry(&["up", "--yes"]).assert_code(0);
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);

    // One AWS object per tagged address.
    let items = gantry_aws::inventory::stack_resources(&ctx, "saascrash", "dev")
        .await
        .unwrap();
    let mut per_address: BTreeMap<String, usize> = BTreeMap::new();
    for i in &items {
        *per_address.entry(i.address.clone()).or_default() += 1;
    }
    let dupes: Vec<_> = per_address.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dupes.is_empty(), "duplicated after crashes: {dupes:?}");
    for a in [
        "apigw_api.main",
        "apigw_vpc_link.main",
        "apigw_domain_name.main",
    ] {
        assert_eq!(per_address.get(a), Some(&1), "{a}: {items:?}");
    }
    // Inside the API, untagged objects were not duplicated either.
    let gw = ctx.apigw();
    let apis = gw.get_apis().send().await.unwrap();
    let ours: Vec<_> = apis
        .items()
        .iter()
        .filter(|a| a.name() == Some("saascrash-dev"))
        .collect();
    assert_eq!(ours.len(), 1, "one HTTP API");
    let api_id = ours[0].api_id().unwrap();
    let routes = gw.get_routes().api_id(api_id).send().await.unwrap();
    assert_eq!(routes.items().len(), 2, "{:?}", routes.items());
    let ints = gw.get_integrations().api_id(api_id).send().await.unwrap();
    assert_eq!(ints.items().len(), 2, "{:?}", ints.items());
    let maps = gw
        .get_api_mappings()
        .domain_name("api.dev.example.net")
        .send()
        .await
        .unwrap();
    assert_eq!(maps.items().len(), 1);

    p.gantry(&["destroy", "--yes"]).assert_code(0);
    let left = gantry_aws::inventory::stack_resources(&ctx, "saascrash", "dev")
        .await
        .unwrap();
    assert!(left.is_empty(), "left behind: {left:?}");
}
