//! ECS (cluster, task definitions, services), the IAM roles they run as,
//! their log groups and image repositories.

use crate::cx::Cx;
use crate::{ExportError, NoteKind};
use gantry_core::kinds::*;
use gantry_core::Resource;
use serde_json::{json, Value};

pub fn ecs_cluster(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: EcsCluster = cx.props(r)?;
    let props = json!({
        "ClusterName": p.name,
        "ClusterSettings": [{
            "Name": "containerInsights",
            "Value": if p.container_insights { "enabled" } else { "disabled" },
        }],
        // Services choose one of these in their capacity provider strategy.
        "CapacityProviders": ["FARGATE", "FARGATE_SPOT"],
        "Tags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::ECS::Cluster", props);
    Ok(())
}

pub fn log_group(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: LogGroup = cx.props(r)?;
    let key = match &p.kms_key_id {
        Some(k) => cx.s(k)?,
        None => Value::Null,
    };
    let props = json!({
        "LogGroupName": p.name,
        "RetentionInDays": (p.retention_in_days > 0).then_some(p.retention_in_days),
        "KmsKeyId": key,
        "Tags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::Logs::LogGroup", props);
    Ok(())
}

pub fn iam_role(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: IamRole = cx.props(r)?;
    let mut policies = Vec::new();
    for (name, doc) in &p.inline_policies {
        policies.push(json!({"PolicyName": name, "PolicyDocument": cx.json(doc)?}));
    }
    let props = json!({
        "RoleName": p.name,
        "Description": p.description,
        // The CI roles trust GitHub's OIDC provider; the others a service.
        "AssumeRolePolicyDocument": match &p.trust_policy {
            Some(doc) => cx.json(doc)?,
            None => json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Service": p.assume_role_service},
                    "Action": "sts:AssumeRole",
                }],
            }),
        },
        "Policies": if policies.is_empty() { Value::Null } else { Value::Array(policies) },
        "Tags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::IAM::Role", props);
    Ok(())
}

pub fn ecr_repository(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: EcrRepository = cx.props(r)?;
    let props = json!({
        "RepositoryName": p.name,
        "ImageTagMutability": p.image_tag_mutability,
        "ImageScanningConfiguration": {"ScanOnPush": p.scan_on_push},
        "Tags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::ECR::Repository", props);
    Ok(())
}

fn container(cx: &mut Cx, c: &ContainerDefinition) -> Result<Value, ExportError> {
    let mut env = Vec::new();
    for (name, value) in &c.environment {
        env.push(json!({"Name": name, "Value": cx.s(value)?}));
    }
    let mut secrets = Vec::new();
    for (name, s) in &c.secrets {
        // ECS `valueFrom`: the ARN, or `ARN:KEY::` for one key of a JSON secret.
        let arn = cx.s(&s.arn)?;
        let from = match &s.json_key {
            Some(key) => cx.concat(vec![arn, json!(format!(":{key}::"))]),
            None => arn,
        };
        secrets.push(json!({"Name": name, "ValueFrom": from}));
    }
    let mut env_files = Vec::new();
    for f in &c.environment_files {
        let bucket = cx.s(&f.bucket_arn)?;
        let value = cx.concat(vec![bucket, json!(format!("/{}", f.key))]);
        env_files.push(json!({"Type": "s3", "Value": value}));
    }
    let health = c.health_check.as_ref().map(|h| {
        json!({
            "Command": h.command,
            "Interval": h.interval_seconds,
            "Timeout": h.timeout_seconds,
            "Retries": h.retries,
            "StartPeriod": h.start_period_seconds,
        })
    });
    Ok(json!({
        "Name": c.name,
        "Image": cx.s(&c.image)?,
        "Command": (!c.command.is_empty()).then_some(&c.command),
        "Essential": c.essential,
        "Cpu": c.cpu,
        "MemoryReservation": c.memory_reservation,
        "PortMappings": c.port_mappings.iter().map(|p| json!({
            "ContainerPort": p.container_port,
            "Protocol": p.protocol,
        })).collect::<Vec<_>>(),
        "Environment": env,
        "Secrets": (!secrets.is_empty()).then_some(secrets),
        "EnvironmentFiles": (!env_files.is_empty()).then_some(env_files),
        "MountPoints": (!c.mount_points.is_empty()).then(|| c.mount_points.iter().map(|m| json!({
            "SourceVolume": m.source_volume,
            "ContainerPath": m.container_path,
            "ReadOnly": m.read_only,
        })).collect::<Vec<_>>()),
        "HealthCheck": health,
        "ReadonlyRootFilesystem": c.readonly_root_filesystem,
        "LogConfiguration": {
            "LogDriver": "awslogs",
            "Options": {
                "awslogs-group": cx.s(&c.log_group)?,
                "awslogs-region": cx.s(&c.log_region)?,
                "awslogs-stream-prefix": c.log_stream_prefix,
            },
        },
        "DependsOn": (!c.depends_on.is_empty()).then(|| c.depends_on.iter().map(|d| json!({
            "ContainerName": d.container_name,
            "Condition": d.condition,
        })).collect::<Vec<_>>()),
    }))
}

pub fn ecs_task_definition(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: EcsTaskDefinition = cx.props(r)?;
    let containers = p
        .containers
        .iter()
        .map(|c| container(cx, c))
        .collect::<Result<Vec<_>, _>>()?;
    let mut volumes = Vec::new();
    for v in &p.volumes {
        volumes.push(json!({
            "Name": v.name,
            "EFSVolumeConfiguration": {
                "FilesystemId": cx.s(&v.file_system_id)?,
                "TransitEncryption": "ENABLED",
                "AuthorizationConfig": {"AccessPointId": cx.s(&v.access_point_id)?, "IAM": "ENABLED"},
            },
        }));
    }
    let role = |cx: &mut Cx, arn: &str| -> Result<Value, ExportError> {
        if arn.is_empty() {
            Ok(Value::Null)
        } else {
            cx.s(arn)
        }
    };
    let props = json!({
        "Family": p.family,
        "Cpu": p.cpu.to_string(),
        "Memory": p.memory.to_string(),
        "NetworkMode": "awsvpc",
        "RequiresCompatibilities": ["FARGATE"],
        "ExecutionRoleArn": role(cx, &p.execution_role_arn)?,
        "TaskRoleArn": role(cx, &p.task_role_arn)?,
        "RuntimePlatform": {"CpuArchitecture": p.cpu_architecture, "OperatingSystemFamily": "LINUX"},
        "ContainerDefinitions": containers,
        "Volumes": (!volumes.is_empty()).then_some(volumes),
        "Tags": cx.tags(r, None),
    });
    cx.add(r, None, "AWS::ECS::TaskDefinition", props);
    Ok(())
}

pub fn ecs_service(cx: &mut Cx, r: &Resource) -> Result<(), ExportError> {
    let p: EcsService = cx.props(r)?;
    let mut lbs = Vec::new();
    for l in &p.load_balancers {
        lbs.push(json!({
            "TargetGroupArn": cx.s(&l.target_group_arn)?,
            "ContainerName": l.container_name,
            "ContainerPort": l.container_port,
        }));
    }
    let grace = (!lbs.is_empty()).then_some(p.health_check_grace_period_seconds);
    let props = json!({
        "ServiceName": p.name,
        "Cluster": cx.s(&p.cluster_arn)?,
        "TaskDefinition": cx.s(&p.task_definition_arn)?,
        "DesiredCount": p.desired_count,
        "CapacityProviderStrategy": [{"CapacityProvider": p.capacity_provider, "Weight": 1}],
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {
                "Subnets": cx.list(&p.subnet_ids)?,
                "SecurityGroups": cx.list(&p.security_group_ids)?,
                "AssignPublicIp": if p.assign_public_ip { "ENABLED" } else { "DISABLED" },
            },
        },
        "LoadBalancers": (!lbs.is_empty()).then_some(lbs),
        "ServiceRegistries": if p.service_registries.is_empty() {
            None
        } else {
            Some(
                p.service_registries
                    .iter()
                    .map(|arn| Ok(json!({"RegistryArn": cx.s(arn)?})))
                    .collect::<Result<Vec<Value>, ExportError>>()?,
            )
        },
        "HealthCheckGracePeriodSeconds": grace,
        "DeploymentConfiguration": {
            "DeploymentCircuitBreaker": {
                "Enable": p.circuit_breaker_enable,
                "Rollback": p.circuit_breaker_rollback,
            },
            "MinimumHealthyPercent": p.minimum_healthy_percent,
            "MaximumPercent": p.maximum_percent,
        },
        "EnableExecuteCommand": p.enable_execute_command,
        "PropagateTags": "SERVICE",
        "EnableECSManagedTags": true,
        "Tags": cx.tags(r, Some(&p.name)),
    });
    cx.add(r, None, "AWS::ECS::Service", props);
    if r.note.is_some() {
        // Gantry's own note speaks of `gantry deploy --build`.
        cx.note(
            &r.address,
            NoteKind::Deploy,
            format!(
                "desired count {}: its `build:` containers have no image yet; push one to their ECR repository, then update the stack with the image tag and the count",
                p.desired_count
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::kinds::test_support::*;
    use serde_json::json;

    #[test]
    fn task_definition_containers_secrets_and_volumes() {
        let g = graph(&[
            (
                "iam_role",
                "web-exec",
                json!({"name": "x", "description": "d", "assume_role_service": "ecs-tasks.amazonaws.com", "inline_policies": {}}),
            ),
            (
                "secret",
                "db",
                json!({"name": "s", "description": "d", "kms_key_id": "", "exclude_punctuation": false, "recovery_window_in_days": 0}),
            ),
            (
                "log_group",
                "web",
                json!({"name": "/gantry/shop/dev/web", "retention_in_days": 30}),
            ),
            (
                "ecr_repository",
                "web-app",
                json!({"name": "shop-dev/web-app", "image_tag_mutability": "IMMUTABLE", "scan_on_push": true}),
            ),
            (
                "ecs_task_definition",
                "web",
                json!({
                    "family": "shop-dev-web", "cpu": 512, "memory": 1024,
                    "execution_role_arn": "${ref:iam_role.web-exec.arn}", "task_role_arn": "",
                    "cpu_architecture": "ARM64",
                    "containers": [{
                        "name": "app", "image": "${ref:ecr_repository.web-app.repository_url}", "essential": true,
                        "cpu": 512, "memory_reservation": 1024,
                        "port_mappings": [{"container_port": 8080, "protocol": "tcp"}],
                        "environment": {"MODE": "prod"},
                        "secrets": {"DB_PASSWORD": {"arn": "${ref:secret.db.arn}", "json_key": "password"}, "TOKEN": {"arn": "${ref:secret.db.arn}"}},
                        "mount_points": [{"source_volume": "files", "container_path": "/data", "read_only": false}],
                        "readonly_root_filesystem": true,
                        "log_group": "${ref:log_group.web.name}", "log_region": "eu-west-1", "log_stream_prefix": "app"
                    }],
                    "volumes": [{"name": "files", "file_system_id": "fs-1", "access_point_id": "fsap-1"}]
                }),
            ),
        ]);
        let e = export(&g);
        let td = &res(&e, "EcsTaskDefinitionWeb")["Properties"];
        assert_eq!(td["Cpu"], "512");
        assert_eq!(
            td["ExecutionRoleArn"],
            json!({"Fn::GetAtt": ["IamRoleWebExec", "Arn"]})
        );
        assert!(td.get("TaskRoleArn").is_none());
        let c = &td["ContainerDefinitions"][0];
        assert_eq!(
            c["Image"],
            json!({"Fn::GetAtt": ["EcrRepositoryWebApp", "RepositoryUri"]})
        );
        assert_eq!(
            c["Secrets"][0]["ValueFrom"],
            json!({"Fn::Join": ["", [{"Ref": "SecretDb"}, ":password::"]]})
        );
        assert_eq!(c["Secrets"][1]["ValueFrom"], json!({"Ref": "SecretDb"}));
        assert_eq!(
            c["LogConfiguration"]["Options"]["awslogs-group"],
            json!({"Ref": "LogGroupWeb"})
        );
        assert_eq!(
            td["Volumes"][0]["EFSVolumeConfiguration"]["AuthorizationConfig"]["IAM"],
            "ENABLED"
        );
        assert!(c.get("Command").is_none());
    }

    #[test]
    fn service_after_the_listener_that_forwards_to_it() {
        let mut g = graph(&[
            (
                "ecs_cluster",
                "main",
                json!({"name": "shop-dev", "container_insights": true}),
            ),
            (
                "lb_target_group",
                "web",
                json!({"name": "t", "port": 8080, "protocol": "HTTP", "target_type": "ip", "vpc_id": "vpc-1",
                "health_check": {"path": "/", "matcher": "200", "interval_seconds": 15, "timeout_seconds": 5, "healthy_threshold": 2, "unhealthy_threshold": 3},
                "deregistration_delay_seconds": 30}),
            ),
            (
                "lb_listener_rule",
                "web",
                json!({"listener_arn": "arn:l", "priority": 1, "path_patterns": ["/*"], "target_group_arn": "${ref:lb_target_group.web.arn}"}),
            ),
            (
                "ecs_service",
                "web",
                json!({
                    "name": "web", "cluster_arn": "${ref:ecs_cluster.main.arn}", "task_definition_arn": "arn:td",
                    "desired_count": 2, "subnet_ids": ["subnet-1"], "security_group_ids": ["sg-1"], "assign_public_ip": false,
                    "load_balancers": [{"target_group_arn": "${ref:lb_target_group.web.arn}", "container_name": "app", "container_port": 8080}],
                    "circuit_breaker_enable": true, "circuit_breaker_rollback": true, "minimum_healthy_percent": 100,
                    "maximum_percent": 200, "health_check_grace_period_seconds": 60, "capacity_provider": "FARGATE_SPOT"
                }),
            ),
        ]);
        let svc = g
            .resources
            .values_mut()
            .find(|r| r.kind == "ecs_service")
            .unwrap();
        svc.note = Some("desired_count 0 until the first `gantry deploy --build`".into());
        let e = export(&g);
        assert!(e
            .notes
            .iter()
            .any(|n| n.message.contains("push one to their ECR repository")));
        let svc = res(&e, "EcsServiceWeb");
        assert_eq!(svc["DependsOn"], json!(["LbListenerRuleWeb"]));
        let p = &svc["Properties"];
        assert_eq!(
            p["Cluster"],
            json!({"Fn::GetAtt": ["EcsClusterMain", "Arn"]})
        );
        assert_eq!(
            p["CapacityProviderStrategy"][0]["CapacityProvider"],
            "FARGATE_SPOT"
        );
        assert_eq!(
            p["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"],
            "DISABLED"
        );
        assert_eq!(
            p["DeploymentConfiguration"]["DeploymentCircuitBreaker"]["Rollback"],
            true
        );
        assert_eq!(p["HealthCheckGracePeriodSeconds"], 60);
        let cluster = &res(&e, "EcsClusterMain")["Properties"];
        assert_eq!(
            cluster["CapacityProviders"],
            json!(["FARGATE", "FARGATE_SPOT"])
        );
    }

    #[test]
    fn role_trust_and_inline_policies() {
        let g = graph(&[
            (
                "dynamodb_table",
                "sessions",
                json!({"name": "t", "hash_key": {"name": "id", "type": "S"}, "point_in_time_recovery": true, "kms_key_arn": "k", "deletion_protection": false}),
            ),
            (
                "iam_role",
                "web-task",
                json!({"name": "shop-dev-web-task", "description": "d", "assume_role_service": "ecs-tasks.amazonaws.com",
                "inline_policies": {"data": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": ["${ref:dynamodb_table.sessions.arn}"]}]}}}),
            ),
        ]);
        let e = export(&g);
        let role = &res(&e, "IamRoleWebTask")["Properties"];
        assert_eq!(
            role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
            "ecs-tasks.amazonaws.com"
        );
        assert_eq!(role["Policies"][0]["PolicyName"], "data");
        assert_eq!(
            role["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"][0],
            json!({"Fn::GetAtt": ["DynamodbTableSessions", "Arn"]})
        );
    }
}
