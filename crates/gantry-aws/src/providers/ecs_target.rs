//! The ECS task a job's schedule (`scheduler_schedule`) or rule
//! (`events_rule`) runs: Fargate or Fargate Spot, one task, in the given
//! subnets and security groups without a public IP. Scheduler and
//! EventBridge model it with types of the same names and builders in two
//! SDK crates; [`ecs_target!`] writes the conversion both ways once, for
//! the crate it is given, with the delivery settings both share: the
//! job's dead-letter queue, its retries, and a day (the most both allow)
//! for a run to start before it counts as failed.

/// Defines `ecs_parameters(&EcsTaskTarget)` and `delivery(&EcsTaskTarget)`
/// (what to send), and `read_ecs(Option<&EcsParameters>, &mut
/// EcsTaskTarget)` and `read_delivery(...)` (what AWS holds), for the SDK
/// crate `$sdk`.
macro_rules! ecs_target {
    ($sdk:ident) => {
        /// How long a run may wait to start before it counts as failed: a
        /// day, the most EventBridge and Scheduler allow.
        const MAX_EVENT_AGE: i32 = 86_400;

        /// The dead-letter queue and retry policy of a job's trigger.
        fn delivery(
            t: &gantry_core::kinds::EcsTaskTarget,
        ) -> ($sdk::types::DeadLetterConfig, $sdk::types::RetryPolicy) {
            (
                $sdk::types::DeadLetterConfig::builder()
                    .arn(&t.dead_letter_arn)
                    .build(),
                $sdk::types::RetryPolicy::builder()
                    .maximum_retry_attempts(t.maximum_retry_attempts)
                    .maximum_event_age_in_seconds(MAX_EVENT_AGE)
                    .build(),
            )
        }

        /// The dead-letter queue and retries AWS holds, into `t`.
        fn read_delivery(
            dead_letter: Option<&$sdk::types::DeadLetterConfig>,
            retry: Option<&$sdk::types::RetryPolicy>,
            t: &mut gantry_core::kinds::EcsTaskTarget,
        ) {
            t.dead_letter_arn = dead_letter
                .and_then(|d| d.arn())
                .unwrap_or_default()
                .to_string();
            t.maximum_retry_attempts = retry
                .and_then(|r| r.maximum_retry_attempts())
                .unwrap_or_default();
        }

        /// The ECS parameters that run `t`.
        fn ecs_parameters(
            t: &gantry_core::kinds::EcsTaskTarget,
        ) -> Result<$sdk::types::EcsParameters, gantry_core::ProviderError> {
            use $sdk::types::{
                AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, EcsParameters,
                NetworkConfiguration,
            };
            let built = |e: aws_smithy_types::error::operation::BuildError| {
                gantry_core::ProviderError::new("InvalidProperties", e.to_string())
            };
            let vpc = AwsVpcConfiguration::builder()
                .set_subnets(Some(t.subnet_ids.clone()))
                .set_security_groups(Some(t.security_group_ids.clone()))
                .assign_public_ip(AssignPublicIp::Disabled)
                .build()
                .map_err(built)?;
            let capacity = CapacityProviderStrategyItem::builder()
                .capacity_provider(&t.capacity_provider)
                .weight(1)
                .build()
                .map_err(built)?;
            EcsParameters::builder()
                .task_definition_arn(&t.task_definition_arn)
                .task_count(1)
                .network_configuration(
                    NetworkConfiguration::builder()
                        .awsvpc_configuration(vpc)
                        .build(),
                )
                .capacity_provider_strategy(capacity)
                .build()
                .map_err(built)
        }

        /// What AWS holds of the task to run, into `t`.
        fn read_ecs(
            ecs: Option<&$sdk::types::EcsParameters>,
            t: &mut gantry_core::kinds::EcsTaskTarget,
        ) {
            let vpc = ecs
                .and_then(|e| e.network_configuration())
                .and_then(|n| n.awsvpc_configuration());
            t.task_definition_arn = ecs
                .map(|e| e.task_definition_arn().to_string())
                .unwrap_or_default();
            t.subnet_ids = vpc.map(|v| v.subnets().to_vec()).unwrap_or_default();
            t.security_group_ids = vpc
                .map(|v| v.security_groups().to_vec())
                .unwrap_or_default();
            t.capacity_provider = ecs
                .and_then(|e| e.capacity_provider_strategy().first())
                .map(|c| c.capacity_provider().to_string())
                .unwrap_or_default();
        }
    };
}

pub(crate) use ecs_target;
