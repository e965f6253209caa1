//! Loading AWS configuration once and sharing the service clients.

use crate::error::aws_error;
use aws_config::{BehaviorVersion, Region};
use gantry_core::{ProviderError, ProviderSet};
use std::sync::Arc;
use tokio::sync::OnceCell;

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
    pub account: OnceCell<String>,
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
}

impl AwsContext {
    /// Loads credentials, region, endpoint (`AWS_ENDPOINT_URL`) and retry
    /// settings (standard mode, `AWS_MAX_ATTEMPTS`) from the standard chain.
    /// `region` overrides the chain's region.
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
        Ok(AwsContext {
            inner: Arc::new(Inner {
                region,
                account: OnceCell::new(),
                ec2: aws_sdk_ec2::Client::new(&config),
                ecs: aws_sdk_ecs::Client::new(&config),
                elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
                iam: aws_sdk_iam::Client::new(&config),
                logs: aws_sdk_cloudwatchlogs::Client::new(&config),
                ecr: aws_sdk_ecr::Client::new(&config),
                sts: aws_sdk_sts::Client::new(&config),
                kms: aws_sdk_kms::Client::new(&config),
                secrets: aws_sdk_secretsmanager::Client::new(&config),
                ssm: aws_sdk_ssm::Client::new(&config),
                rds: aws_sdk_rds::Client::new(&config),
                elasticache: aws_sdk_elasticache::Client::new(&config),
                dynamodb: aws_sdk_dynamodb::Client::new(&config),
                s3: aws_sdk_s3::Client::new(&config),
                efs: aws_sdk_efs::Client::new(&config),
                route53: aws_sdk_route53::Client::new(&config),
                acm: aws_sdk_acm::Client::new(&config),
                wafv2: aws_sdk_wafv2::Client::new(&config),
                cloudfront: aws_sdk_cloudfront::Client::from_conf(
                    aws_sdk_cloudfront::config::Builder::from(&config)
                        .region(Region::new(GLOBAL_REGION))
                        .build(),
                ),
                apigw: aws_sdk_apigatewayv2::Client::new(&config),
                memorydb: aws_sdk_memorydb::Client::new(&config),
                config,
            }),
        })
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
        self.inner
            .account
            .get_or_try_init(|| async {
                let out = self
                    .inner
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| aws_error(e, &[]))?;
                out.account
                    .ok_or_else(|| ProviderError::msg("GetCallerIdentity returned no account"))
            })
            .await
            .cloned()
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
        let conf = aws_sdk_acm::config::Builder::from(&self.inner.config)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_acm::Client::from_conf(conf)
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
        let conf = aws_sdk_wafv2::config::Builder::from(&self.inner.config)
            .region(Region::new(GLOBAL_REGION))
            .build();
        aws_sdk_wafv2::Client::from_conf(conf)
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

    /// One provider per kind in [`gantry_core::kinds::ALL`].
    pub fn providers(&self) -> ProviderSet {
        crate::providers::all(self)
    }
}
