//! Loading AWS configuration once and sharing the service clients, each
//! built with Gantry's retry policy ([`crate::retry`]), and the per-service
//! limits on concurrent calls.

use crate::error::aws_error;
use crate::gate::{Check, SendGate};
use crate::retry::{self, ResendGuard};
use aws_config::{BehaviorVersion, Region};
use gantry_core::{ProviderError, ProviderSet};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::OnceCell;
use tokio::sync::Semaphore;

/// Where global services (CloudFront, its certificates and WAF) are managed.
pub const GLOBAL_REGION: &str = "us-east-1";

/// Why the AWS configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("no AWS region configured: set AWS_REGION, a profile region, or pass --region")]
    NoRegion,
}

/// Shared, cheaply clonable handle on AWS: the loaded configuration and one
/// client per service (clients are internally reference counted).
#[derive(Clone)]
pub struct AwsContext {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub config: aws_config::SdkConfig,
    pub region: String,
    /// Whose the credentials are (STS GetCallerIdentity, asked once).
    pub identity: OnceCell<crate::preflight::Identity>,
    /// Concurrent calls per service (see [`AwsContext::permit`]).
    pub limits: HashMap<&'static str, Arc<Semaphore>>,
    pub default_limit: Arc<Semaphore>,
    /// Asked before every request is sent (see [`crate::gate`]).
    pub gate: SendGate,
    /// Reads of one moment shared by the providers (see [`crate::memo`]).
    pub memo: crate::memo::Memo,
    pub ec2: aws_sdk_ec2::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub sts: aws_sdk_sts::Client,
    pub kms: aws_sdk_kms::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub rds: aws_sdk_rds::Client,
    pub elasticache: aws_sdk_elasticache::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub efs: aws_sdk_efs::Client,
    pub route53: aws_sdk_route53::Client,
    pub acm: aws_sdk_acm::Client,
    pub wafv2: aws_sdk_wafv2::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    pub apigw: aws_sdk_apigatewayv2::Client,
    pub memorydb: aws_sdk_memorydb::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub scheduler: aws_sdk_scheduler::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub appautoscaling: aws_sdk_applicationautoscaling::Client,
    pub sesv2: aws_sdk_sesv2::Client,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    pub servicediscovery: aws_sdk_servicediscovery::Client,
    /// The Resource Groups Tagging API in the stack's region and in
    /// us-east-1 (global resources: CloudFront and what it uses).
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    pub tagging_global: aws_sdk_resourcegroupstagging::Client,
}

/// Builds one service's client with Gantry's retry policy: the shared
/// settings of `$config`, the region `$region`, the retry budget of that
/// service in that region, and the [`ResendGuard`].
macro_rules! client {
    ($krate:ident, $config:expr, $gate:expr, $service:expr, $region:expr) => {{
        let region: String = $region;
        $krate::Client::from_conf(
            $krate::config::Builder::from($config)
                .region(Region::new(region.clone()))
                .retry_config(retry::retry_config())
                .retry_partition(retry::partition($service, &region))
                .interceptor(ResendGuard)
                .retry_classifier(ResendGuard)
                .interceptor($gate.clone())
                .build(),
        )
    }};
}

impl AwsContext {
    /// Loads credentials, region and endpoint (`AWS_ENDPOINT_URL`) from the
    /// standard chain; retries follow [`crate::retry`] (`AWS_MAX_ATTEMPTS`,
    /// `AWS_RETRY_MODE`). `region` overrides the chain's region.
    pub async fn load(region: Option<String>) -> Result<AwsContext, ContextError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(r) = region {
            loader = loader.region(Region::new(r));
        }
        let config = loader.load().await;
        Self::from_config(config)
    }

    /// Builds the clients from an already loaded configuration.
    pub fn from_config(config: aws_config::SdkConfig) -> Result<AwsContext, ContextError> {
        let region = config.region().ok_or(ContextError::NoRegion)?.to_string();
        let r = || region.clone();
        let gate = &SendGate::default();
        Ok(AwsContext {
            inner: Arc::new(Inner {
                identity: OnceCell::new(),
                limits: gantry_core::meta::SERVICE_LIMITS
                    .iter()
                    .map(|(s, n)| (*s, Arc::new(Semaphore::new(*n))))
                    .collect(),
                default_limit: Arc::new(Semaphore::new(gantry_core::meta::DEFAULT_SERVICE_LIMIT)),
                ec2: client!(aws_sdk_ec2, &config, gate, "ec2", r()),
                ecs: client!(aws_sdk_ecs, &config, gate, "ecs", r()),
                elb: client!(aws_sdk_elasticloadbalancingv2, &config, gate, "elbv2", r()),
                iam: client!(aws_sdk_iam, &config, gate, "iam", r()),
                logs: client!(aws_sdk_cloudwatchlogs, &config, gate, "logs", r()),
                ecr: client!(aws_sdk_ecr, &config, gate, "ecr", r()),
                sts: client!(aws_sdk_sts, &config, gate, "sts", r()),
                kms: client!(aws_sdk_kms, &config, gate, "kms", r()),
                secrets: client!(aws_sdk_secretsmanager, &config, gate, "secretsmanager", r()),
                ssm: client!(aws_sdk_ssm, &config, gate, "ssm", r()),
                rds: client!(aws_sdk_rds, &config, gate, "rds", r()),
                elasticache: client!(aws_sdk_elasticache, &config, gate, "elasticache", r()),
                dynamodb: client!(aws_sdk_dynamodb, &config, gate, "dynamodb", r()),
                s3: client!(aws_sdk_s3, &config, gate, "s3", r()),
                efs: client!(aws_sdk_efs, &config, gate, "efs", r()),
                route53: client!(aws_sdk_route53, &config, gate, "route53", r()),
                acm: client!(aws_sdk_acm, &config, gate, "acm", r()),
                wafv2: client!(aws_sdk_wafv2, &config, gate, "wafv2", r()),
                cloudfront: client!(
                    aws_sdk_cloudfront,
                    &config,
                    gate,
                    "cloudfront",
                    GLOBAL_REGION.to_string()
                ),
                apigw: client!(aws_sdk_apigatewayv2, &config, gate, "apigateway", r()),
                memorydb: client!(aws_sdk_memorydb, &config, gate, "memorydb", r()),
                sns: client!(aws_sdk_sns, &config, gate, "sns", r()),
                sqs: client!(aws_sdk_sqs, &config, gate, "sqs", r()),
                scheduler: client!(aws_sdk_scheduler, &config, gate, "scheduler", r()),
                events: client!(aws_sdk_eventbridge, &config, gate, "events", r()),
                cloudwatch: client!(aws_sdk_cloudwatch, &config, gate, "cloudwatch", r()),
                appautoscaling: client!(
                    aws_sdk_applicationautoscaling,
                    &config,
                    gate,
                    "application-autoscaling",
                    r()
                ),
                sesv2: client!(aws_sdk_sesv2, &config, gate, "ses", r()),
                cognito: client!(
                    aws_sdk_cognitoidentityprovider,
                    &config,
                    gate,
                    "cognito-idp",
                    r()
                ),
                servicediscovery: client!(
                    aws_sdk_servicediscovery,
                    &config,
                    gate,
                    "servicediscovery",
                    r()
                ),
                tagging: client!(aws_sdk_resourcegroupstagging, &config, gate, "tagging", r()),
                tagging_global: client!(
                    aws_sdk_resourcegroupstagging,
                    &config,
                    gate,
                    "tagging",
                    GLOBAL_REGION.to_string()
                ),
                region,
                gate: gate.clone(),
                memo: Default::default(),
                config,
            }),
        })
    }

    /// From now on, every request of this context's clients is sent only
    /// while `check` allows it (the CLI passes its state lock's fence).
    pub fn set_send_gate(&self, check: Check) {
        self.inner.gate.set(check);
    }

    /// Reads shared by the providers for a moment (single flight).
    pub(crate) fn memo(&self) -> &crate::memo::Memo {
        &self.inner.memo
    }

    /// A permit for one more concurrent call to `service` (the kind
    /// metadata's service name): reads that fan out per resource hold one
    /// per call, so a stack's IAM reads stay under IAM's limit.
    pub(crate) async fn permit(&self, service: &str) -> tokio::sync::SemaphorePermit<'_> {
        let sem = self
            .inner
            .limits
            .get(service)
            .unwrap_or(&self.inner.default_limit);
        sem.acquire().await.expect("semaphores are never closed")
    }

    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The loaded SDK configuration (for building further clients).
    pub fn sdk_config(&self) -> &aws_config::SdkConfig {
        &self.inner.config
    }

    /// The account the credentials belong to (STS GetCallerIdentity, asked once).
    pub async fn account_id(&self) -> Result<String, ProviderError> {
        Ok(self.caller_identity().await?.account)
    }

    /// Whose the credentials are: account and ARN (STS GetCallerIdentity,
    /// asked once per context, so a run's pre-flight answers the providers
    /// that need the account id too).
    pub async fn caller_identity(&self) -> Result<crate::preflight::Identity, ProviderError> {
        self.inner
            .identity
            .get_or_try_init(|| async {
                let out = self
                    .inner
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| aws_error(e, &[]))?;
                let account = out
                    .account
                    .ok_or_else(|| ProviderError::msg("GetCallerIdentity returned no account"))?;
                Ok(crate::preflight::Identity {
                    account,
                    arn: out.arn.unwrap_or_default(),
                })
            })
            .await
            .cloned()
    }

    pub fn sesv2(&self) -> &aws_sdk_sesv2::Client {
        &self.inner.sesv2
    }
    pub fn cognito(&self) -> &aws_sdk_cognitoidentityprovider::Client {
        &self.inner.cognito
    }
    pub fn servicediscovery(&self) -> &aws_sdk_servicediscovery::Client {
        &self.inner.servicediscovery
    }
    pub fn ec2(&self) -> &aws_sdk_ec2::Client {
        &self.inner.ec2
    }
    pub fn ecs(&self) -> &aws_sdk_ecs::Client {
        &self.inner.ecs
    }
    pub fn elb(&self) -> &aws_sdk_elasticloadbalancingv2::Client {
        &self.inner.elb
    }
    pub fn iam(&self) -> &aws_sdk_iam::Client {
        &self.inner.iam
    }
    pub fn logs(&self) -> &aws_sdk_cloudwatchlogs::Client {
        &self.inner.logs
    }
    pub fn ecr(&self) -> &aws_sdk_ecr::Client {
        &self.inner.ecr
    }
    pub fn sts(&self) -> &aws_sdk_sts::Client {
        &self.inner.sts
    }
    pub fn kms(&self) -> &aws_sdk_kms::Client {
        &self.inner.kms
    }
    pub fn secrets(&self) -> &aws_sdk_secretsmanager::Client {
        &self.inner.secrets
    }
    pub fn ssm(&self) -> &aws_sdk_ssm::Client {
        &self.inner.ssm
    }
    pub fn rds(&self) -> &aws_sdk_rds::Client {
        &self.inner.rds
    }
    pub fn elasticache(&self) -> &aws_sdk_elasticache::Client {
        &self.inner.elasticache
    }
    pub fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        &self.inner.dynamodb
    }
    pub fn s3(&self) -> &aws_sdk_s3::Client {
        &self.inner.s3
    }
    pub fn efs(&self) -> &aws_sdk_efs::Client {
        &self.inner.efs
    }
    /// Route53 is global; the client signs for the configured region and
    /// the SDK routes it to the global endpoint.
    pub fn route53(&self) -> &aws_sdk_route53::Client {
        &self.inner.route53
    }
    /// ACM in the stack's region.
    pub fn acm(&self) -> &aws_sdk_acm::Client {
        &self.inner.acm
    }
    /// ACM in `region` (CloudFront certificates live in us-east-1); the
    /// stack's client when `region` is empty or the stack's own. Same
    /// credentials, endpoint and retry settings.
    pub fn acm_in(&self, region: &str) -> aws_sdk_acm::Client {
        if region.is_empty() || region == self.region() {
            return self.inner.acm.clone();
        }
        client!(
            aws_sdk_acm,
            &self.inner.config,
            &self.inner.gate,
            "acm",
            region.to_string()
        )
    }
    pub fn wafv2(&self) -> &aws_sdk_wafv2::Client {
        &self.inner.wafv2
    }
    /// WAFv2 for a scope: `CLOUDFRONT` web ACLs and IP sets are managed in
    /// us-east-1 whatever the stack's region.
    pub fn wafv2_scope(&self, scope: &str) -> aws_sdk_wafv2::Client {
        if scope != "CLOUDFRONT" || self.region() == GLOBAL_REGION {
            return self.inner.wafv2.clone();
        }
        client!(
            aws_sdk_wafv2,
            &self.inner.config,
            &self.inner.gate,
            "wafv2",
            GLOBAL_REGION.to_string()
        )
    }
    /// WAFv2 for a resource ARN (`...:global/...` is CLOUDFRONT scope).
    pub fn wafv2_arn(&self, arn: &str) -> aws_sdk_wafv2::Client {
        self.wafv2_scope(if arn.contains(":global/") {
            "CLOUDFRONT"
        } else {
            "REGIONAL"
        })
    }
    /// CloudFront (global; its API is signed for us-east-1).
    pub fn cloudfront(&self) -> &aws_sdk_cloudfront::Client {
        &self.inner.cloudfront
    }
    /// API Gateway v2 (HTTP APIs, VPC links, custom domain names).
    pub fn apigw(&self) -> &aws_sdk_apigatewayv2::Client {
        &self.inner.apigw
    }
    pub fn memorydb(&self) -> &aws_sdk_memorydb::Client {
        &self.inner.memorydb
    }
    /// KMS in `region`; the stack's client when `region` is empty or the
    /// stack's own (a key for a topic in us-east-1 lives there).
    pub fn kms_in(&self, region: &str) -> aws_sdk_kms::Client {
        if region.is_empty() || region == self.region() {
            return self.inner.kms.clone();
        }
        client!(
            aws_sdk_kms,
            &self.inner.config,
            &self.inner.gate,
            "kms",
            region.to_string()
        )
    }
    /// SNS in the stack's region.
    pub fn sns(&self) -> &aws_sdk_sns::Client {
        &self.inner.sns
    }
    /// SNS in `region` (empty: the stack's).
    pub fn sns_in(&self, region: &str) -> aws_sdk_sns::Client {
        if region.is_empty() || region == self.region() {
            return self.inner.sns.clone();
        }
        client!(
            aws_sdk_sns,
            &self.inner.config,
            &self.inner.gate,
            "sns",
            region.to_string()
        )
    }
    /// SQS in the stack's region.
    pub fn sqs(&self) -> &aws_sdk_sqs::Client {
        &self.inner.sqs
    }
    /// EventBridge Scheduler in the stack's region.
    pub fn scheduler(&self) -> &aws_sdk_scheduler::Client {
        &self.inner.scheduler
    }
    /// EventBridge (rules on the default bus) in the stack's region.
    pub fn events(&self) -> &aws_sdk_eventbridge::Client {
        &self.inner.events
    }
    /// CloudWatch (metrics, alarms, dashboards) in the stack's region.
    pub fn cloudwatch(&self) -> &aws_sdk_cloudwatch::Client {
        &self.inner.cloudwatch
    }
    /// CloudWatch in `region` (empty: the stack's): CloudFront's metrics,
    /// and so its alarms, are in us-east-1.
    pub fn cloudwatch_in(&self, region: &str) -> aws_sdk_cloudwatch::Client {
        if region.is_empty() || region == self.region() {
            return self.inner.cloudwatch.clone();
        }
        client!(
            aws_sdk_cloudwatch,
            &self.inner.config,
            &self.inner.gate,
            "cloudwatch",
            region.to_string()
        )
    }
    /// Application Auto Scaling (scalable targets, policies, schedules).
    pub fn appautoscaling(&self) -> &aws_sdk_applicationautoscaling::Client {
        &self.inner.appautoscaling
    }
    /// The Resource Groups Tagging API in the stack's region, or in
    /// us-east-1 with `global`.
    pub fn tagging(&self, global: bool) -> &aws_sdk_resourcegroupstagging::Client {
        if global {
            &self.inner.tagging_global
        } else {
            &self.inner.tagging
        }
    }

    /// One provider per kind in [`gantry_core::kinds::ALL`], with the
    /// stack inventory over their listings.
    pub fn providers(&self) -> ProviderSet {
        let (mut set, listers) = crate::providers::all(self);
        set.set_inventory(Arc::new(crate::inventory::AwsInventory::new(
            self.clone(),
            listers,
        )));
        set
    }
}
