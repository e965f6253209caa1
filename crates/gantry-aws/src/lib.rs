//! AWS providers for Gantry: the only crate of the workspace that talks to AWS.
//!
//! [`AwsContext`] loads credentials, region, endpoint and retry settings from
//! the standard AWS chain (so `AWS_ENDPOINT_URL` points every client at a
//! local emulator and `AWS_MAX_ATTEMPTS` tunes the SDK's one retry budget),
//! and [`AwsContext::providers`] hands the engine one [`gantry_core::Provider`]
//! per resource kind (see [`providers`]). [`status`] and [`inventory`] serve
//! the CLI's `status` command and the end-to-end checks that `destroy` leaves
//! nothing behind; [`secrets::put_value`] serves `gantry secret set`,
//! [`site::publish`] serves `gantry site publish` and [`logs`] serves
//! `gantry logs`, [`preflight`] the checks `up`, `plan`, `destroy` and
//! `gantry doctor` make before anything else. [`state_s3`] keeps remote state on S3 (the object store
//! under `gantry_state::remote`) and creates its bucket for `gantry init`.
//!
//! The SDK crates are re-exported so end-to-end tests elsewhere can inspect
//! AWS without listing them in their own manifests (they are slow to build,
//! and one copy in one crate keeps it that way).

mod context;
pub mod ecr;
mod error;
pub mod exec;
pub mod gate;
pub mod inventory;
pub mod logs;
mod memo;
pub mod preflight;
pub mod providers;
pub mod retry;
pub mod rollout;
pub mod run;
pub mod secrets;
mod shape;
pub mod site;
pub mod state_s3;
pub mod status;
mod util;

pub use context::{AwsContext, ContextError};
pub use error::aws_error;

pub use aws_config;
pub use aws_sdk_acm;
pub use aws_sdk_apigatewayv2;
pub use aws_sdk_applicationautoscaling;
pub use aws_sdk_cloudfront;
pub use aws_sdk_cloudwatch;
pub use aws_sdk_cloudwatchlogs;
pub use aws_sdk_cognitoidentityprovider;
pub use aws_sdk_dynamodb;
pub use aws_sdk_ec2;
pub use aws_sdk_ecr;
pub use aws_sdk_ecs;
pub use aws_sdk_efs;
pub use aws_sdk_elasticache;
pub use aws_sdk_elasticloadbalancingv2;
pub use aws_sdk_eventbridge;
pub use aws_sdk_iam;
pub use aws_sdk_kms;
pub use aws_sdk_memorydb;
pub use aws_sdk_rds;
pub use aws_sdk_resourcegroupstagging;
pub use aws_sdk_route53;
pub use aws_sdk_s3;
pub use aws_sdk_scheduler;
pub use aws_sdk_secretsmanager;
pub use aws_sdk_servicediscovery;
pub use aws_sdk_sesv2;
pub use aws_sdk_sns;
pub use aws_sdk_sqs;
pub use aws_sdk_ssm;
pub use aws_sdk_sts;
pub use aws_sdk_wafv2;
