//! Remote state on S3: [`S3Objects`] implements `gantry-state`'s
//! [`ObjectStore`] (get, conditional create with `If-None-Match: *`,
//! conditional replace with `If-Match`, batch delete, list), and
//! [`init_bucket`] creates the state bucket with its posture (`gantry
//! init`). The lock, journal and snapshot protocol on top lives in
//! `gantry_state::remote`.
//!
//! The state's client is not the stack's: it has no send gate (the gate
//! asks the lock, which would then ask itself) and no resend guard. The
//! SDK's retry config resends any failed attempt, and that is safe here:
//! a conditional write whose first try landed fails its condition on the
//! second, and the protocol reads the object back to tell ours from
//! another writer's. Every call runs on a small runtime of its own, so
//! the store can be used from synchronous code anywhere (the journal's
//! writer thread, a send-gate check inside an SDK call of the stack).

use crate::retry;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
    BucketVersioningStatus, CreateBucketConfiguration, Delete, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration,
    ObjectIdentifier, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use gantry_state::object::{Guard, Object, ObjectError, ObjectStore};
use std::future::Future;
use std::sync::{Arc, OnceLock};

/// How long S3 keeps a state object's replaced versions (the snapshot's
/// history, old journal segments, old locks) before expiring them.
pub const NONCURRENT_DAYS: i32 = 90;

/// The runtime every state call runs on.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("gantry-state-s3")
            .enable_all()
            .build()
            .expect("the state I/O runtime starts")
    })
}

/// Runs `fut` on the state runtime and waits for it, from any thread
/// (also from inside another runtime: this only blocks, it never enters).
fn block<T: Send + 'static>(fut: impl Future<Output = T> + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    runtime().spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv()
        .expect("the state I/O runtime runs until the process ends")
}

/// Loads the standard AWS configuration (credentials, endpoint) for
/// `region`, synchronously.
pub fn load_config(region: &str) -> SdkConfig {
    let region = region.to_string();
    block(async move {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region))
            .load()
            .await
    })
}

/// An S3 client for state objects in `region`.
fn client(config: &SdkConfig, region: &str) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .region(Region::new(region.to_string()))
            .retry_config(retry::retry_config())
            .retry_partition(retry::partition("s3-state", region))
            .build(),
    )
}

/// One state bucket as an [`ObjectStore`].
#[derive(Clone)]
pub struct S3Objects {
    bucket: String,
    region: String,
    /// Built on first use: commands that never touch the state (`validate`,
    /// `graph`) load no AWS configuration.
    client: Arc<OnceLock<aws_sdk_s3::Client>>,
}

impl S3Objects {
    /// The bucket `bucket` in `region`, with the standard credential chain
    /// (loaded when the first call is made).
    pub fn connect(bucket: &str, region: &str) -> S3Objects {
        S3Objects {
            bucket: bucket.to_string(),
            region: region.to_string(),
            client: Arc::default(),
        }
    }

    pub fn from_config(config: &SdkConfig, bucket: &str, region: &str) -> S3Objects {
        let me = S3Objects::connect(bucket, region);
        let _ = me.client.set(client(config, region));
        me
    }

    fn s3(&self) -> aws_sdk_s3::Client {
        self.client
            .get_or_init(|| client(&load_config(&self.region), &self.region))
            .clone()
    }

    /// The error for a failed call: what S3 said, with a hint when the
    /// bucket is missing.
    fn failed<E>(&self, op: &str, err: SdkError<E, HttpResponse>) -> ObjectError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let e = crate::aws_error(err, &[]);
        if e.code.as_deref() == Some("NoSuchBucket") {
            return ObjectError::failed(format!(
                "the state bucket {} does not exist: run `gantry init` to create it",
                self.bucket
            ));
        }
        ObjectError::failed(format!("S3 {op}: {e}"))
    }

    /// A conditional write's failure: a failed condition (412, 409 for a
    /// concurrent conditional write, 404 for `If-Match` on nothing), or
    /// anything else.
    fn write_failed<E>(&self, op: &str, err: SdkError<E, HttpResponse>) -> ObjectError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        let code = err.code();
        if matches!(status, Some(412 | 409))
            || matches!(
                code,
                Some("PreconditionFailed" | "ConditionalRequestConflict")
            )
            || (status == Some(404) && code != Some("NoSuchBucket"))
        {
            return ObjectError::Precondition;
        }
        self.failed(op, err)
    }
}

fn etag(e: Option<String>) -> String {
    e.unwrap_or_default()
}

/// A guarded write's last check, run by the SDK right before it transmits
/// (after building, signing and picking a connection).
#[derive(Clone)]
struct LastMoment(Guard);

impl std::fmt::Debug for LastMoment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LastMoment")
    }
}

/// The marker a refused guarded write fails with.
#[derive(Debug, thiserror::Error)]
#[error("not sent: the writer's lease had lapsed")]
struct NotSent;

impl aws_smithy_runtime_api::client::interceptors::Intercept for LastMoment {
    fn name(&self) -> &'static str {
        "GantryStateLastMoment"
    }

    fn read_before_transmit(
        &self,
        _ctx: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _rc: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        if (self.0)() {
            Ok(())
        } else {
            Err(Box::new(NotSent))
        }
    }
}

fn not_sent(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(x) = cur {
        if x.is::<NotSent>() {
            return true;
        }
        cur = x.source();
    }
    false
}

impl ObjectStore for S3Objects {
    fn location(&self) -> String {
        format!("s3://{}", self.bucket)
    }

    fn get(&self, key: &str) -> Result<Option<Object>, ObjectError> {
        let (me, s3) = (self.clone(), self.s3());
        let key = key.to_string();
        block(async move {
            match s3.get_object().bucket(&me.bucket).key(&key).send().await {
                Ok(out) => {
                    let tag = etag(out.e_tag);
                    let bytes = out
                        .body
                        .collect()
                        .await
                        .map_err(|e| ObjectError::failed(format!("S3 GetObject {key}: {e}")))?
                        .into_bytes()
                        .to_vec();
                    Ok(Some(Object { bytes, etag: tag }))
                }
                Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
                Err(e) => Err(me.failed("GetObject", e)),
            }
        })
    }

    fn create(&self, key: &str, bytes: &[u8]) -> Result<String, ObjectError> {
        let (me, s3) = (self.clone(), self.s3());
        let (key, body) = (key.to_string(), bytes.to_vec());
        block(async move {
            s3.put_object()
                .bucket(&me.bucket)
                .key(&key)
                .if_none_match("*")
                .content_type("application/json")
                .body(ByteStream::from(body))
                .send()
                .await
                .map(|o| etag(o.e_tag))
                .map_err(|e| me.write_failed("PutObject", e))
        })
    }

    fn create_guarded(
        &self,
        key: &str,
        bytes: &[u8],
        guard: &Guard,
    ) -> Result<String, ObjectError> {
        let (me, s3) = (self.clone(), self.s3());
        let (key, body, guard) = (key.to_string(), bytes.to_vec(), guard.clone());
        block(async move {
            s3.put_object()
                .bucket(&me.bucket)
                .key(&key)
                .if_none_match("*")
                .content_type("application/json")
                .body(ByteStream::from(body))
                .customize()
                .interceptor(LastMoment(guard))
                .send()
                .await
                .map(|o| etag(o.e_tag))
                .map_err(|e| {
                    if not_sent(&e) {
                        ObjectError::Refused
                    } else {
                        me.write_failed("PutObject", e)
                    }
                })
        })
    }

    fn replace(&self, key: &str, bytes: &[u8], tag: &str) -> Result<String, ObjectError> {
        let (me, s3) = (self.clone(), self.s3());
        let (key, body, tag) = (key.to_string(), bytes.to_vec(), tag.to_string());
        block(async move {
            s3.put_object()
                .bucket(&me.bucket)
                .key(&key)
                .if_match(tag)
                .content_type("application/json")
                .body(ByteStream::from(body))
                .send()
                .await
                .map(|o| etag(o.e_tag))
                .map_err(|e| me.write_failed("PutObject", e))
        })
    }

    fn delete(&self, keys: &[String]) -> Result<(), ObjectError> {
        let (me, s3) = (self.clone(), self.s3());
        let keys = keys.to_vec();
        block(async move {
            // DeleteObjects takes at most 1,000 keys a call.
            for chunk in keys.chunks(1000) {
                let objects = chunk
                    .iter()
                    .map(|k| ObjectIdentifier::builder().key(k).build())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| ObjectError::failed(e.to_string()))?;
                let delete = Delete::builder()
                    .set_objects(Some(objects))
                    .quiet(true)
                    .build()
                    .map_err(|e| ObjectError::failed(e.to_string()))?;
                let out = s3
                    .delete_objects()
                    .bucket(&me.bucket)
                    .delete(delete)
                    .send()
                    .await
                    .map_err(|e| me.failed("DeleteObjects", e))?;
                if let Some(first) = out.errors().first() {
                    return Err(ObjectError::failed(format!(
                        "S3 DeleteObjects: {} of {} keys not deleted ({}: {})",
                        out.errors().len(),
                        chunk.len(),
                        first.key().unwrap_or_default(),
                        first.message().unwrap_or_default()
                    )));
                }
            }
            Ok(())
        })
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, ObjectError> {
        let (me, s3) = (self.clone(), self.s3());
        let prefix = prefix.to_string();
        block(async move {
            let mut keys = Vec::new();
            let mut pages = s3
                .list_objects_v2()
                .bucket(&me.bucket)
                .prefix(&prefix)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| me.failed("ListObjectsV2", e))?;
                keys.extend(
                    page.contents()
                        .iter()
                        .filter_map(|o| o.key().map(str::to_string)),
                );
            }
            Ok(keys)
        })
    }
}

/// A state bucket's posture, as S3 reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Posture {
    pub versioning: bool,
    /// Default encryption is SSE-KMS.
    pub kms: bool,
    /// All four public access blocks are on.
    pub public_access_blocked: bool,
    /// The bucket policy denies requests without TLS.
    pub tls_only: bool,
    /// Days after which replaced versions expire, if a rule says so.
    pub noncurrent_days: Option<i32>,
}

impl Posture {
    /// What is missing, in words; empty when the posture is complete.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if !self.versioning {
            out.push("versioning is off");
        }
        if !self.kms {
            out.push("default encryption is not SSE-KMS");
        }
        if !self.public_access_blocked {
            out.push("public access is not fully blocked");
        }
        if !self.tls_only {
            out.push("the bucket policy does not deny requests without TLS");
        }
        if self.noncurrent_days.is_none() {
            out.push("no lifecycle rule expires replaced versions");
        }
        out
    }
}

/// What `gantry init` did with the state bucket.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InitReport {
    /// The bucket was created now (else it existed and was left as is).
    pub created: bool,
    pub posture: Posture,
}

/// Why the state bucket could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("state bucket {bucket}: {message}")]
pub struct InitError {
    pub bucket: String,
    pub message: String,
}

/// Creates the state bucket `bucket` in `region` if it is missing:
/// versioned, SSE-KMS by default (the account's `aws/s3` key, with bucket
/// keys), public access blocked, a policy denying requests without TLS,
/// and replaced versions expiring after [`NONCURRENT_DAYS`]. An existing
/// bucket is left unchanged; its posture is reported either way.
pub async fn init_bucket(
    config: &SdkConfig,
    bucket: &str,
    region: &str,
) -> Result<InitReport, InitError> {
    let s3 = client(config, region);
    let fail = |what: &str, e: gantry_core::ProviderError| InitError {
        bucket: bucket.to_string(),
        message: format!("{what}: {e}"),
    };
    let exists = match s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => true,
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => false,
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => {
            return Err(InitError {
                bucket: bucket.to_string(),
                message: "it exists but these credentials may not use it (another account's bucket names are taken too: pick another name)".into(),
            })
        }
        Err(e) => return Err(fail("HeadBucket", crate::aws_error(e, &[]))),
    };
    if !exists {
        let mut create = s3.create_bucket().bucket(bucket);
        // us-east-1 takes no location constraint.
        if region != "us-east-1" {
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        match create.send().await {
            Ok(_) => {}
            Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") => {}
            Err(e) => return Err(fail("CreateBucket", crate::aws_error(e, &[]))),
        }
        apply_posture(&s3, bucket, region)
            .await
            .map_err(|(what, e)| fail(what, e))?;
    }
    let posture = posture(&s3, bucket)
        .await
        .map_err(|(what, e)| fail(what, e))?;
    Ok(InitReport {
        created: !exists,
        posture,
    })
}

type StepError = (&'static str, gantry_core::ProviderError);

fn step<E>(what: &'static str) -> impl FnOnce(SdkError<E, HttpResponse>) -> StepError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    move |e| (what, crate::aws_error(e, &[]))
}

/// The policy that refuses every request made without TLS.
pub fn tls_only_policy(bucket: &str, region: &str) -> String {
    let partition = if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [
                format!("arn:{partition}:s3:::{bucket}"),
                format!("arn:{partition}:s3:::{bucket}/*"),
            ],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    })
    .to_string()
}

async fn apply_posture(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    region: &str,
) -> Result<(), StepError> {
    let built = |e: aws_smithy_types::error::operation::BuildError| {
        (
            "building the request",
            gantry_core::ProviderError::msg(e.to_string()),
        )
    };
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .map_err(step("PutPublicAccessBlock"))?;
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .map_err(step("PutBucketVersioning"))?;
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::AwsKms)
                                .build()
                                .map_err(built)?,
                        )
                        .bucket_key_enabled(true)
                        .build(),
                )
                .build()
                .map_err(built)?,
        )
        .send()
        .await
        .map_err(step("PutBucketEncryption"))?;
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(tls_only_policy(bucket, region))
        .send()
        .await
        .map_err(step("PutBucketPolicy"))?;
    let rule = LifecycleRule::builder()
        .id("gantry-state-history")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(NONCURRENT_DAYS)
                .build(),
        )
        // Deleted journal segments leave delete markers; drop them once
        // their versions have expired.
        .expiration(
            LifecycleExpiration::builder()
                .expired_object_delete_marker(true)
                .build(),
        )
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(7)
                .build(),
        )
        .build()
        .map_err(built)?;
    s3.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(rule)
                .build()
                .map_err(built)?,
        )
        .send()
        .await
        .map_err(step("PutBucketLifecycleConfiguration"))?;
    Ok(())
}

/// Reads a bucket's posture. A setting S3 has no record of reads as off.
pub async fn posture(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Posture, StepError> {
    let absent = |e: &Option<&str>| {
        matches!(
            e,
            Some(
                "ServerSideEncryptionConfigurationNotFoundError"
                    | "NoSuchPublicAccessBlockConfiguration"
                    | "NoSuchBucketPolicy"
                    | "NoSuchLifecycleConfiguration"
            )
        )
    };
    let versioning = s3
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .map_err(step("GetBucketVersioning"))?
        .status
        == Some(BucketVersioningStatus::Enabled);
    let kms = match s3.get_bucket_encryption().bucket(bucket).send().await {
        Ok(o) => o
            .server_side_encryption_configuration()
            .map(|c| {
                c.rules().iter().any(|r| {
                    r.apply_server_side_encryption_by_default()
                        .is_some_and(|d| d.sse_algorithm() == &ServerSideEncryption::AwsKms)
                })
            })
            .unwrap_or(false),
        Err(e) if absent(&e.code()) => false,
        Err(e) => return Err(step("GetBucketEncryption")(e)),
    };
    let public_access_blocked = match s3.get_public_access_block().bucket(bucket).send().await {
        Ok(o) => o.public_access_block_configuration().is_some_and(|c| {
            c.block_public_acls() == Some(true)
                && c.ignore_public_acls() == Some(true)
                && c.block_public_policy() == Some(true)
                && c.restrict_public_buckets() == Some(true)
        }),
        Err(e) if absent(&e.code()) => false,
        Err(e) => return Err(step("GetPublicAccessBlock")(e)),
    };
    let tls_only = match s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(o) => o.policy().is_some_and(denies_plain_http),
        Err(e) if absent(&e.code()) => false,
        Err(e) => return Err(step("GetBucketPolicy")(e)),
    };
    let noncurrent_days = match s3
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(o) => o
            .rules()
            .iter()
            .filter(|r| r.status() == &ExpirationStatus::Enabled)
            .filter_map(|r| r.noncurrent_version_expiration()?.noncurrent_days())
            .min(),
        Err(e) if absent(&e.code()) => None,
        Err(e) => return Err(step("GetBucketLifecycleConfiguration")(e)),
    };
    Ok(Posture {
        versioning,
        kms,
        public_access_blocked,
        tls_only,
        noncurrent_days,
    })
}

/// True when `policy` denies every request whose `aws:SecureTransport` is
/// false.
fn denies_plain_http(policy: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(policy) else {
        return false;
    };
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(a) => a.clone(),
        s @ serde_json::Value::Object(_) => vec![s.clone()],
        _ => return false,
    };
    statements.iter().any(|s| {
        s["Effect"] == "Deny"
            && matches!(&s["Action"], serde_json::Value::String(a) if a == "s3:*")
            && s["Condition"]["Bool"]["aws:SecureTransport"]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case("false"))
    })
}

/// The posture of `bucket` in `region`, read with a client of its own
/// (for `gantry init` and the end-to-end checks).
pub async fn read_posture(
    config: &SdkConfig,
    bucket: &str,
    region: &str,
) -> Result<Posture, InitError> {
    posture(&client(config, region), bucket)
        .await
        .map_err(|(what, e)| InitError {
            bucket: bucket.to_string(),
            message: format!("{what}: {e}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls_policy_denies_plain_http_on_bucket_and_objects() {
        let p = tls_only_policy("b", "eu-west-1");
        assert!(denies_plain_http(&p));
        let v: serde_json::Value = serde_json::from_str(&p).unwrap();
        assert_eq!(v["Statement"][0]["Resource"][1], "arn:aws:s3:::b/*");
        assert!(tls_only_policy("b", "cn-north-1").contains("arn:aws-cn:s3:::b"));
        assert!(!denies_plain_http(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#
        ));
    }

    #[test]
    fn missing_posture_is_named() {
        let all = Posture {
            versioning: true,
            kms: true,
            public_access_blocked: true,
            tls_only: true,
            noncurrent_days: Some(90),
        };
        assert!(all.missing().is_empty());
        assert_eq!(Posture::default().missing().len(), 5);
    }
}
