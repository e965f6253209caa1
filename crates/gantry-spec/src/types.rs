//! The serde types of `gantry.yaml` (Spec v1), exactly as the user writes it.
//!
//! Every user-written scalar is wrapped in [`Sp`] so validation can point at
//! it; optional keys stay `Option` here and get their defaults in the model
//! layer, so "not written" and "written as the default" remain distinguishable
//! (overlays rely on that). `deny_unknown_fields` everywhere: a typo must be an
//! error, not a silently ignored key.

use crate::span::Sp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A Gantry application: `gantry.yaml`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Stack name: lowercase letters, digits and `-`, at most 20 characters.
    pub name: Sp<String>,
    /// AWS region, for example `us-east-1`.
    pub region: Sp<String>,
    /// Where the state is kept: local files (default) or an S3 bucket.
    pub state: Option<crate::state::StateSpec>,
    /// The VPC and how tasks reach the internet.
    #[serde(default)]
    pub network: Network,
    /// Services by name; each is one Fargate task definition and ECS service.
    pub services: BTreeMap<Sp<String>, Service>,
    /// Jobs by name: tasks run to their end on a schedule, on EventBridge
    /// events, or with `gantry run`.
    #[serde(default)]
    pub jobs: BTreeMap<Sp<String>, crate::jobs::Job>,
    /// RDS PostgreSQL databases by store name.
    #[serde(default)]
    pub postgres: BTreeMap<Sp<String>, Option<Postgres>>,
    /// ElastiCache Redis replication groups by store name.
    #[serde(default)]
    pub redis: BTreeMap<Sp<String>, Option<Redis>>,
    /// DynamoDB tables by store name.
    #[serde(default)]
    pub tables: BTreeMap<Sp<String>, Table>,
    /// S3 buckets by store name.
    #[serde(default)]
    pub buckets: BTreeMap<Sp<String>, Option<Bucket>>,
    /// EFS volumes (a file system and an access point) by store name.
    #[serde(default)]
    pub volumes: BTreeMap<Sp<String>, Option<Volume>>,
    /// Application secrets in Secrets Manager by name. Values are generated,
    /// or set with `gantry secret set NAME` (stdin); never written here.
    #[serde(default)]
    pub secrets: BTreeMap<Sp<String>, Option<SecretSpec>>,
    /// SSM parameters: name → value (a plain `String`), or `{secure:
    /// true}` for a `SecureString` encrypted with the stack key whose value
    /// is set with `gantry secret set NAME` (stdin), never written here.
    #[serde(default)]
    pub parameters: BTreeMap<Sp<String>, Sp<ParameterValue>>,
    /// SQS queues by name: encrypted with the stack key, each with a
    /// dead-letter queue. `uses: [NAME]` injects `NAME_QUEUE_URL`.
    #[serde(default)]
    pub queues: BTreeMap<Sp<String>, Option<crate::messaging::Queue>>,
    /// SNS topics by name, encrypted with the stack key, delivering to
    /// queues and email addresses. `uses: [NAME]` injects `NAME_TOPIC_ARN`.
    #[serde(default)]
    pub topics: BTreeMap<Sp<String>, Option<crate::messaging::Topic>>,
    /// The Route53 zone the load balancers' host names live in. With a
    /// domain every load balancer with hosts serves HTTPS.
    pub domain: Option<Domain>,
    /// Load balancers by name. Default: one internet-facing ALB `main`.
    #[serde(default)]
    pub load_balancers: BTreeMap<Sp<String>, LoadBalancer>,
    /// The WAF web ACL of every internet-facing load balancer (on by default).
    pub waf: Option<Waf>,
    /// A static single-page app: a private S3 bucket served by CloudFront,
    /// published with `gantry site publish DIR`.
    pub site: Option<Site>,
    /// An API Gateway HTTP API in front of an internal load balancer.
    pub api: Option<Sp<Api>>,
    /// Email alerts: an SNS topic (encrypted with the stack key) the
    /// addresses subscribe to, and CloudWatch alarms for what the stack
    /// has, each notifying on ALARM and on OK.
    pub alerts: Option<Sp<Alerts>>,
    /// A CloudWatch dashboard of the stack's metrics (load balancers,
    /// services, databases, caches, API, site). Default: on with `alerts`.
    pub dashboard: Option<Sp<bool>>,
    /// Sending email through SES from a domain in the zone (DKIM, SPF,
    /// DMARC, a custom MAIL FROM); services send with `uses: [email]`.
    pub email: Option<Sp<Email>>,
    /// Sign-in for the app's users: a Cognito user pool, a public web
    /// client and a hosted UI; with `api`, every API route requires a valid
    /// token of that pool. Services administer users with `uses: [auth]`.
    pub auth: Option<Sp<Auth>>,
    /// Deploying from CI: GitHub Actions through OIDC (an IAM OIDC
    /// provider, a plan role and a deploy role).
    pub ci: Option<crate::ci::Ci>,
    /// What the cost estimate assumes a month for charges that depend on
    /// use (data through NAT, requests, storage, log ingestion); each
    /// figure replaces its default.
    pub usage: Option<crate::usage::Usage>,
    /// Per-environment overlays by environment name (`dev`, `prod`, ...).
    #[serde(default)]
    pub environments: BTreeMap<Sp<String>, Overlay>,
}

/// The Route53 hosted zone and how host names vary per environment.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    /// The hosted zone's domain, for example `example.com`.
    pub zone: Sp<String>,
    /// Create (and own) the zone instead of looking up an existing one.
    /// Default false.
    pub create_zone: Option<Sp<bool>>,
    /// A label inserted before the zone in every host name, usually set per
    /// environment: with `subdomain: dev`, `api.example.com` answers as
    /// `api.dev.example.com` and `example.com` as `dev.example.com`.
    pub subdomain: Option<Sp<String>>,
}

/// One application load balancer.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancer {
    /// Internet-facing (public subnets) or internal (private subnets,
    /// reachable from inside the VPC only). Default true.
    pub public: Option<Sp<bool>>,
    /// Host names it answers on, inside `domain.zone`; the first is the
    /// certificate's name, the others its alternative names.
    #[serde(default)]
    pub hosts: Vec<Sp<String>>,
    /// Idle timeout in seconds (1 to 4000). Default 60, or 3600 with an
    /// `sse` route.
    pub idle_timeout: Option<Sp<u32>>,
    /// The stack's WAF on this load balancer. Default true when public.
    pub waf: Option<Sp<bool>>,
}

/// An AWS managed WAF rule group Gantry can turn on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum WafRule {
    /// `AWSManagedRulesCommonRuleSet` (OWASP top 10).
    Common,
    /// `AWSManagedRulesKnownBadInputsRuleSet`.
    KnownBadInputs,
    /// `AWSManagedRulesSQLiRuleSet`.
    SqlInjection,
    /// `AWSManagedRulesAmazonIpReputationList`.
    IpReputation,
    /// `AWSManagedRulesLinuxRuleSet`.
    Linux,
    /// `AWSManagedRulesAnonymousIpList`.
    AnonymousIp,
}

impl WafRule {
    /// The spec name.
    pub fn as_str(self) -> &'static str {
        match self {
            WafRule::Common => "common",
            WafRule::KnownBadInputs => "known-bad-inputs",
            WafRule::SqlInjection => "sql-injection",
            WafRule::IpReputation => "ip-reputation",
            WafRule::Linux => "linux",
            WafRule::AnonymousIp => "anonymous-ip",
        }
    }

    /// The AWS managed rule group's name.
    pub fn aws_name(self) -> &'static str {
        match self {
            WafRule::Common => "AWSManagedRulesCommonRuleSet",
            WafRule::KnownBadInputs => "AWSManagedRulesKnownBadInputsRuleSet",
            WafRule::SqlInjection => "AWSManagedRulesSQLiRuleSet",
            WafRule::IpReputation => "AWSManagedRulesAmazonIpReputationList",
            WafRule::Linux => "AWSManagedRulesLinuxRuleSet",
            WafRule::AnonymousIp => "AWSManagedRulesAnonymousIpList",
        }
    }
}

/// The WAF web ACL settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Waf {
    /// Default true.
    pub enabled: Option<Sp<bool>>,
    /// Managed rule groups, evaluated in this order. Default
    /// `[ip-reputation, common, known-bad-inputs]`.
    pub rules: Option<Vec<Sp<WafRule>>>,
    /// Requests per 5 minutes per client IP before blocking (10 to
    /// 2000000000), or 0 for no limit. Default 2000.
    pub rate_limit: Option<Sp<u32>>,
    /// IPv4 CIDRs always allowed (skip every other rule).
    #[serde(default)]
    pub allow_ips: Vec<Sp<String>>,
    /// IPv4 CIDRs always blocked.
    #[serde(default)]
    pub deny_ips: Vec<Sp<String>>,
}

/// An API Gateway HTTP API: the public front door of one internal load
/// balancer, reached through a VPC link (seed 004).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// The internal load balancer (`public: false`, no `hosts`) whose
    /// routes the API serves. Default: the only internal load balancer.
    pub lb: Option<Sp<String>>,
    /// The API's custom domain, inside `domain.zone` (the environment's
    /// subdomain is applied). Without it the API answers on its
    /// `execute-api` URL.
    pub host: Option<Sp<String>>,
    /// Steady requests per second the `$default` stage allows (1 to
    /// 10000). Default 100.
    pub rate_limit: Option<Sp<u32>>,
    /// Requests allowed in a burst (1 to 5000). Default 200.
    pub burst_limit: Option<Sp<u32>>,
}

/// API keys an environment may change.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiOverlay {
    pub rate_limit: Option<Sp<u32>>,
    pub burst_limit: Option<Sp<u32>>,
}

/// Email sent through SES from a domain of the zone.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Email {
    /// The sending domain, inside `domain.zone` (the environment's
    /// subdomain is applied), like `mail.example.com`.
    pub domain: Sp<String>,
    /// The sender's local part: `no-reply` sends as
    /// `no-reply@mail.example.com`. Default `no-reply`.
    pub from: Option<Sp<String>>,
    /// The label of the custom MAIL FROM (bounce) domain under `domain`.
    /// Default `bounce`.
    pub mail_from: Option<Sp<String>>,
    /// The DMARC policy for mail failing DKIM and SPF alignment: `none`,
    /// `quarantine` or `reject`. Default `quarantine`.
    pub dmarc: Option<Sp<DmarcPolicy>>,
    /// An address that receives DMARC aggregate reports (`rua`).
    pub dmarc_reports: Option<Sp<String>>,
}

/// What receivers do with mail that fails DMARC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DmarcPolicy {
    None,
    Quarantine,
    Reject,
}

impl DmarcPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            DmarcPolicy::None => "none",
            DmarcPolicy::Quarantine => "quarantine",
            DmarcPolicy::Reject => "reject",
        }
    }
}

/// The app's user sign-in (Cognito).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// Multi-factor authentication with an authenticator app (TOTP):
    /// `off`, `optional` (each user chooses) or `on` (required). Default
    /// `optional`.
    pub mfa: Option<Sp<Mfa>>,
    /// User groups, like `[admin, test]`.
    #[serde(default)]
    pub groups: Vec<Sp<String>>,
    /// Where the hosted UI may send users back after sign-in: `https://`
    /// URLs (`http://localhost` too). Default: `https://HOST/` of the
    /// first load balancer host, else the site's host, else the API's.
    #[serde(default)]
    pub callback_urls: Vec<Sp<String>>,
    /// Where it may send them after sign-out. Default: the callback URLs.
    #[serde(default)]
    pub logout_urls: Vec<Sp<String>>,
    /// The hosted UI's prefix: `https://PREFIX.auth.REGION.amazoncognito.com`.
    /// Default `{stack}-{env}`.
    pub domain_prefix: Option<Sp<String>>,
    /// The shortest password (8 to 99); passwords also need a lowercase
    /// and an uppercase letter, a digit and a symbol. Default 12.
    pub password_length: Option<Sp<u32>>,
}

/// Multi-factor authentication of a user pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Mfa {
    Off,
    Optional,
    On,
}

impl Mfa {
    /// Cognito's `MfaConfiguration`.
    pub fn aws_name(self) -> &'static str {
        match self {
            Mfa::Off => "OFF",
            Mfa::Optional => "OPTIONAL",
            Mfa::On => "ON",
        }
    }
}

/// Auth keys an environment may change (each list replaces the base's).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthOverlay {
    pub mfa: Option<Sp<Mfa>>,
    pub callback_urls: Option<Vec<Sp<String>>>,
    pub logout_urls: Option<Vec<Sp<String>>>,
}

/// A route's sign-in requirement behind the API: `none` opens it to
/// anyone (the API's JWT authorizer is not asked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RouteAuth {
    None,
}

/// One entry of a container's `routes`: a path pattern for the default load
/// balancer, or `{path, lb, host, sse, idle_timeout, auth}`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Route {
    Path(String),
    Detailed {
        path: String,
        /// The load balancer's name; default the default one.
        lb: Option<String>,
        /// Only requests for this host (one of the load balancer's hosts).
        host: Option<String>,
        /// Serves server-sent events: raises the idle timeout to 3600 s.
        sse: Option<bool>,
        /// The idle timeout (seconds) this route needs at least.
        idle_timeout: Option<u32>,
        /// `none`: an API route anyone may call, without `auth`'s token.
        auth: Option<RouteAuth>,
    },
}

impl Route {
    pub fn path(&self) -> &str {
        match self {
            Route::Path(p) | Route::Detailed { path: p, .. } => p,
        }
    }
    pub fn lb(&self) -> Option<&str> {
        match self {
            Route::Detailed { lb: Some(l), .. } => Some(l),
            _ => None,
        }
    }
    pub fn host(&self) -> Option<&str> {
        match self {
            Route::Detailed { host: Some(h), .. } => Some(h),
            _ => None,
        }
    }
    pub fn sse(&self) -> bool {
        matches!(
            self,
            Route::Detailed {
                sse: Some(true),
                ..
            }
        )
    }
    pub fn idle_timeout(&self) -> Option<u32> {
        match self {
            Route::Detailed { idle_timeout, .. } => *idle_timeout,
            _ => None,
        }
    }
    /// Whether the route opts out of the API's sign-in (`auth: none`).
    pub fn public(&self) -> bool {
        matches!(
            self,
            Route::Detailed {
                auth: Some(RouteAuth::None),
                ..
            }
        )
    }
}

/// An RDS PostgreSQL database.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Postgres {
    /// Engine version, `16` or `16.4`. Default `16`.
    pub version: Option<Sp<String>>,
    /// Default `db.t4g.micro`.
    pub instance_class: Option<Sp<String>>,
    /// Allocated storage in GiB (20 to 65536). Default 20.
    pub storage: Option<Sp<u32>>,
    /// Storage autoscaling limit in GiB, at least `storage`. Default 100.
    pub max_storage: Option<Sp<u32>>,
    /// A standby in a second AZ. Default false.
    pub multi_az: Option<Sp<bool>>,
    /// Days of automated backups (point-in-time recovery), 1 to 35. Default 7.
    pub backup_retention: Option<Sp<u32>>,
    /// Default true in `prod`/`production`, false elsewhere.
    pub deletion_protection: Option<Sp<bool>>,
    /// Take a final snapshot on destroy. Default true.
    pub final_snapshot: Option<Sp<bool>>,
    /// Database name. Default: the store name with `-` as `_`.
    pub database: Option<Sp<String>>,
    /// Master user name. Default `app`.
    pub username: Option<Sp<String>>,
}

/// An ElastiCache Redis replication group, or a MemoryDB cluster with
/// `durable: true`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Redis {
    /// MemoryDB instead of ElastiCache: every write is kept in a multi-AZ
    /// transaction log, so the data survives node failures. Default false.
    pub durable: Option<Sp<bool>>,
    /// Engine version. Default `7.1`.
    pub version: Option<Sp<String>>,
    /// Default `cache.t4g.micro` (ElastiCache) or `db.t4g.small` (MemoryDB).
    pub node_type: Option<Sp<String>>,
    /// Replicas, 0 to 5; one or more turns on failover and multi-AZ. Default
    /// 0 (ElastiCache) or 1 (MemoryDB, AWS's own default).
    pub replicas: Option<Sp<u32>>,
    /// Days of snapshots, 0 to 35. Default 1.
    pub snapshot_retention: Option<Sp<u32>>,
}

/// A DynamoDB attribute type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum KeyType {
    S,
    N,
    B,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::S => "S",
            KeyType::N => "N",
            KeyType::B => "B",
        }
    }
}

/// A DynamoDB key attribute.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableKey {
    pub name: Sp<String>,
    /// `S` (string), `N` (number) or `B` (binary).
    #[serde(rename = "type")]
    pub key_type: Sp<KeyType>,
}

/// A DynamoDB table (on demand, encrypted with the stack's key).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub hash_key: TableKey,
    pub range_key: Option<TableKey>,
    /// Attribute holding an expiry time (epoch seconds).
    pub ttl: Option<Sp<String>>,
    /// Default true.
    pub point_in_time_recovery: Option<Sp<bool>>,
}

/// An S3 bucket (public access blocked, encrypted with the stack's key).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    /// Default true.
    pub versioning: Option<Sp<bool>>,
    /// Anyone may read its objects (static assets): a bucket policy
    /// allowing `s3:GetObject` on its objects to everyone (never list or
    /// write), and the bucket's Block Public Access relaxed for policies
    /// only. Encrypted with S3's own key (anonymous readers cannot use a
    /// KMS key). Default false; `plan` warns.
    pub public: Option<Sp<bool>>,
    #[serde(default)]
    pub lifecycle: Vec<Lifecycle>,
    #[serde(default)]
    pub cors: Vec<Cors>,
    /// Delete the objects on destroy. Default false.
    pub force_destroy: Option<Sp<bool>>,
}

/// One lifecycle rule of a bucket.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Key prefix; default the whole bucket.
    pub prefix: Option<Sp<String>>,
    pub expire_days: Option<Sp<u32>>,
    pub noncurrent_expire_days: Option<Sp<u32>>,
    pub transition_to_ia_days: Option<Sp<u32>>,
}

/// One CORS rule of a bucket.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cors {
    pub origins: Vec<Sp<String>>,
    /// Default `[GET]`.
    #[serde(default)]
    pub methods: Vec<Sp<String>>,
    #[serde(default)]
    pub headers: Vec<Sp<String>>,
    /// Seconds. Default 3000.
    pub max_age: Option<Sp<u32>>,
}

/// An EFS volume: a file system and one access point.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// POSIX user id of every file access. Default 1000.
    pub uid: Option<Sp<u32>>,
    /// POSIX group id. Default 1000.
    pub gid: Option<Sp<u32>>,
    /// The access point's root directory. Default `/NAME`.
    pub path: Option<Sp<String>>,
    /// Octal permissions of that directory when created. Default `0750`.
    pub permissions: Option<Sp<String>>,
    /// Days without access after which a file moves to Infrequent Access
    /// storage (1, 7, 14, 30, 60, 90, 180, 270 or 365); its first access
    /// moves it back. Default: never.
    pub infrequent_access_after: Option<Sp<u32>>,
}

/// An SSM parameter's value: a plain string, or `{secure: true}`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ParameterValue {
    Plain(String),
    Detailed(ParameterSpec),
}

/// An SSM parameter written as a mapping.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParameterSpec {
    /// A `SecureString` encrypted with the stack key, injected as an ECS
    /// secret. Its value is never in the spec: set it with `gantry secret
    /// set NAME` (stdin); until then it holds a random placeholder.
    pub secure: Option<bool>,
    /// The value of a plain (`secure: false`) parameter.
    pub value: Option<String>,
}

impl ParameterValue {
    /// Whether it is a `SecureString`.
    pub fn secure(&self) -> bool {
        matches!(
            self,
            ParameterValue::Detailed(ParameterSpec {
                secure: Some(true),
                ..
            })
        )
    }
    /// The plain value written in the spec, if any.
    pub fn value(&self) -> Option<&str> {
        match self {
            ParameterValue::Plain(v) => Some(v),
            ParameterValue::Detailed(d) => d.value.as_deref(),
        }
    }
}

/// An application secret.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretSpec {
    /// Generate a random value of this length (8 to 4096). Without it the
    /// value is set with `gantry secret set NAME` from stdin.
    pub generate: Option<Sp<u32>>,
    /// Leave punctuation out of the generated value. Default false.
    pub no_punctuation: Option<Sp<bool>>,
}

/// Read-write (default) or read-only use of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    Read,
    ReadWrite,
}

/// One entry of a service's `uses`: a name, or `{name, access}`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Use {
    Name(String),
    Detailed {
        name: String,
        access: Option<Access>,
    },
}

impl Use {
    pub fn name(&self) -> &str {
        match self {
            Use::Name(n) | Use::Detailed { name: n, .. } => n,
        }
    }
    pub fn access(&self) -> Access {
        match self {
            Use::Detailed {
                access: Some(a), ..
            } => *a,
            _ => Access::ReadWrite,
        }
    }
}

/// How tasks in private subnets reach the internet and AWS APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Egress {
    /// One NAT gateway shared by every AZ (cheap; one AZ failure cuts egress).
    Nat,
    /// One NAT gateway per AZ (highly available).
    NatPerAz,
    /// No NAT: VPC interface endpoints for ECR, Logs, Secrets Manager and an
    /// S3 gateway endpoint. Tasks cannot reach the rest of the internet.
    Endpoints,
    /// No egress at all from private subnets.
    None,
}

impl Egress {
    pub fn as_str(self) -> &'static str {
        match self {
            Egress::Nat => "nat",
            Egress::NatPerAz => "nat-per-az",
            Egress::Endpoints => "endpoints",
            Egress::None => "none",
        }
    }
}

/// Network settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// VPC CIDR, `/16` to `/24`. Default `10.0.0.0/16`.
    pub cidr: Option<Sp<String>>,
    /// Number of availability zones, 1 to 6. Default 2.
    pub azs: Option<Sp<u32>>,
    /// `nat` (default), `nat-per-az`, `endpoints` or `none`.
    pub egress: Option<Sp<Egress>>,
    /// Explicit subnet CIDRs, one per AZ per tier. Derived when omitted.
    pub subnets: Option<Subnets>,
    /// Record the VPC's traffic (accepted and rejected) in a CloudWatch Logs
    /// group with retention, encrypted with the stack key when there is
    /// one. Default false.
    pub flow_logs: Option<Sp<bool>>,
}

/// Explicit subnet CIDRs per tier, in AZ order.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subnets {
    pub public: Vec<Sp<String>>,
    pub private: Vec<Sp<String>>,
    /// Data subnets (PostgreSQL, Redis), one per AZ (at least two with
    /// `postgres`). Derived when omitted.
    #[serde(default)]
    pub data: Vec<Sp<String>>,
}

/// Fargate capacity provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Capacity {
    Fargate,
    FargateSpot,
}

/// One service: a Fargate task (one or more containers sharing localhost).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384). Default 256.
    pub cpu: Option<Sp<u32>>,
    /// Task memory in MiB; must be a valid Fargate combination. Default 512.
    pub memory: Option<Sp<u32>>,
    /// Number of tasks. Default 1.
    pub desired_count: Option<Sp<u32>>,
    /// `fargate` (default) or `fargate-spot`.
    pub capacity: Option<Sp<Capacity>>,
    /// Stores, secrets and parameters this service may use, and other
    /// services it calls (found by name through Cloud Map, with
    /// `NAME_HOST`, `NAME_PORT`, `NAME_URL`): a name, or
    /// `{name: pdfs, access: read}` (tables, buckets, volumes and queues).
    #[serde(default)]
    pub uses: Vec<Sp<Use>>,
    /// Containers by name (at least one).
    pub containers: BTreeMap<Sp<String>, Container>,
    /// Statements added to the service's task role, for AWS APIs the app
    /// calls that `uses` does not cover: `{actions: [bedrock:InvokeModel],
    /// resources: [arn:aws:bedrock:...]}`. No `*` action; a `*` resource
    /// only for actions that have no resource-level permissions.
    #[serde(default)]
    pub policy: Vec<Sp<PolicyStatement>>,
    /// Allow `gantry exec` into its tasks (ECS Exec through Session
    /// Manager): turns on `enableExecuteCommand` and gives the task role the
    /// Session Manager channels it needs. Default false.
    pub exec: Option<Sp<bool>>,
    /// Days the service's log group keeps lines: 1, 3, 5, 7, 14, 30, 60,
    /// 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    /// 2922, 3288 or 3653. Default 30 (90 in production-like environments).
    pub log_retention: Option<Sp<u32>>,
    /// Application Auto Scaling of the task count: target tracking on CPU,
    /// memory or requests per target, and schedules. With it, the running
    /// count is the scaler's (`desired_count` is only the first one).
    pub scaling: Option<Sp<Scaling>>,
    /// `xray`: an X-Ray daemon sidecar in the task (its cpu and memory
    /// taken from the task's; a container named `xray-daemon` stands for
    /// it), the task role allowed to send traces, and
    /// `AWS_XRAY_DAEMON_ADDRESS` in every container. Default: none.
    pub tracing: Option<Sp<Tracing>>,
}

/// Distributed tracing of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Tracing {
    /// AWS X-Ray, through the X-Ray daemon as a sidecar.
    Xray,
}

/// CPU units the X-Ray daemon sidecar reserves out of the task's.
pub const XRAY_DAEMON_CPU: u32 = 32;
/// MiB the X-Ray daemon sidecar reserves out of the task's.
pub const XRAY_DAEMON_MEMORY: u32 = 64;
/// The sidecar's container name. A traced task's container of that name
/// (an image copied into private ECR, for `egress: endpoints`) stands for
/// Gantry's sidecar.
pub const XRAY_DAEMON_NAME: &str = "xray-daemon";
/// The X-Ray daemon's image, pinned (a moving tag would change the task
/// under a running service).
pub const XRAY_DAEMON_IMAGE: &str = "public.ecr.aws/xray/aws-xray-daemon:3.3.14";

/// Autoscaling of a service's task count.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scaling {
    /// Fewest tasks (0 to 1000). Default 1.
    pub min: Option<Sp<u32>>,
    /// Most tasks (1 to 1000). Required.
    pub max: Option<Sp<u32>>,
    /// Keep the service's average CPU at this percent (1 to 100).
    pub cpu: Option<Sp<u32>>,
    /// Keep the service's average memory at this percent (1 to 100).
    pub memory: Option<Sp<u32>>,
    /// Keep the load balancer's requests per task per minute at this
    /// (1 to 1000000); for a service routed from one load balancer.
    pub requests_per_target: Option<Sp<u32>>,
    /// Times at which min and/or max change, such as an off-hours
    /// scale-down to 0 and back.
    #[serde(default)]
    pub schedule: Vec<ScheduleEntry>,
}

/// One scheduled change of a service's min and/or max task count.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleEntry {
    /// A name, unique in the service (lowercase letters, digits, `-`).
    /// Default `schedule-N` (N from 1, in the order written).
    pub name: Option<Sp<String>>,
    /// `cron(MINUTES HOURS DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR)`, one of
    /// the day fields `?`: `cron(0 20 ? * MON-FRI *)` is 20:00 on weekdays.
    pub cron: Sp<String>,
    /// The IANA time zone of the cron, like `Europe/Paris`. Default `UTC`.
    pub timezone: Option<Sp<String>>,
    /// The min task count from then on.
    pub min: Option<Sp<u32>>,
    /// The max task count from then on.
    pub max: Option<Sp<u32>>,
}

/// Email alerts and the alarms' thresholds.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alerts {
    /// Default true; `false` in an environment turns alerts off there.
    pub enabled: Option<Sp<bool>>,
    /// Addresses notified on ALARM and on OK. Each must confirm the
    /// subscription email SNS sends before it receives anything.
    #[serde(default)]
    pub email: Vec<Sp<String>>,
    /// Alarm thresholds; each key has a default.
    #[serde(default)]
    pub thresholds: Thresholds,
}

/// Alarm thresholds. Percentages are 1 to 100.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// A service's average CPU, percent, over 15 minutes. Default 80.
    pub cpu: Option<Sp<f64>>,
    /// A service's average memory, percent, over 15 minutes. Default 80.
    pub memory: Option<Sp<f64>>,
    /// 5xx answers in 5 minutes, from the targets and from the load
    /// balancer itself (one alarm each). Default 10.
    pub http_5xx: Option<Sp<u32>>,
    /// The targets' p95 response time, seconds, over 15 minutes. Default 2.
    pub response_time: Option<Sp<f64>>,
    /// Unhealthy targets of a target group for 5 minutes. Default 1.
    pub unhealthy_targets: Option<Sp<u32>>,
    /// A database's CPU, percent, over 15 minutes. Default 80.
    pub db_cpu: Option<Sp<f64>>,
    /// A database's free storage, GiB, at its lowest. Default 2.
    pub db_free_storage_gib: Option<Sp<u32>>,
    /// A database's connections, at most, over 15 minutes. Default 80 % of
    /// PostgreSQL's `max_connections` for the instance class.
    pub db_connections: Option<Sp<u32>>,
    /// A Redis node's memory use, percent, over 15 minutes. Default 80.
    pub redis_memory: Option<Sp<f64>>,
    /// A Redis node's engine CPU, percent, over 15 minutes. Default 80.
    pub redis_cpu: Option<Sp<f64>>,
    /// The HTTP API's 5xx answers in 5 minutes. Default 10.
    pub api_5xx: Option<Sp<u32>>,
    /// The site's CloudFront 5xx error rate, percent, over 10 minutes.
    /// Default 5.
    pub site_5xx_rate: Option<Sp<f64>>,
}

/// Alerts keys an environment may change: `email` replaces the list,
/// `thresholds` are merged key by key.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertsOverlay {
    pub enabled: Option<Sp<bool>>,
    pub email: Option<Vec<Sp<String>>>,
    pub thresholds: Option<Thresholds>,
}

/// Scaling keys an environment may change: each key replaces the base's,
/// `schedule` the whole list (`schedule: []` removes it).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalingOverlay {
    pub min: Option<Sp<u32>>,
    pub max: Option<Sp<u32>>,
    pub cpu: Option<Sp<u32>>,
    pub memory: Option<Sp<u32>>,
    pub requests_per_target: Option<Sp<u32>>,
    pub schedule: Option<Vec<ScheduleEntry>>,
}

/// One Allow statement of a service's task role.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyStatement {
    /// IAM actions, `service:Action` (wildcards inside a name allowed, as
    /// in `bedrock:InvokeModel*`).
    pub actions: Vec<Sp<String>>,
    /// The ARNs they apply to (wildcards allowed), or `*` for actions with
    /// no resource-level permissions.
    pub resources: Vec<Sp<String>>,
}

/// A container health check command: a shell string, or an exec list.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Command {
    Shell(String),
    Exec(Vec<String>),
}

/// Container health check (ECS `healthCheck`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// A string runs in a shell (`CMD-SHELL`); a list runs directly.
    pub command: Sp<Command>,
    /// Seconds between checks (5-300). Default 30.
    pub interval: Option<Sp<u32>>,
    /// Seconds before a check fails (2-60). Default 5.
    pub timeout: Option<Sp<u32>>,
    /// Failures before unhealthy (1-10). Default 3.
    pub retries: Option<Sp<u32>>,
    /// Grace seconds after start (0-300). Default 0.
    pub start_period: Option<Sp<u32>>,
}

/// One container of a task.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Container {
    /// A registry image, for example `public.ecr.aws/nginx/nginx:1.27-alpine`.
    pub image: Option<Sp<String>>,
    /// A directory to build an image from; Gantry creates an ECR repository.
    pub build: Option<Sp<String>>,
    /// Overrides the image's command (ECS `command`): the program and its
    /// arguments, as a list.
    #[serde(default)]
    pub command: Vec<Sp<String>>,
    /// The port the container listens on.
    pub port: Option<Sp<u32>>,
    /// CPU units reserved for this container. Default: an even share.
    pub cpu: Option<Sp<u32>>,
    /// Memory reservation in MiB. Default: an even share of what is left.
    pub memory: Option<Sp<u32>>,
    /// Plain environment variables.
    #[serde(default)]
    pub environment: BTreeMap<Sp<String>, Sp<String>>,
    pub health_check: Option<HealthCheck>,
    /// URL path patterns the load balancer sends to this container's port:
    /// `/api/*`, or `{path: /api/*, lb: backend, host: api.example.com,
    /// sse: true}`.
    #[serde(default)]
    pub routes: Vec<Sp<Route>>,
    /// Load balancer health check path. Default `/`.
    pub health_path: Option<Sp<String>>,
    /// Containers of the same task that must start (or be healthy) first.
    #[serde(default)]
    pub depends_on: Vec<Sp<String>>,
    /// Mount the root filesystem read-only. Default false.
    pub readonly_root_filesystem: Option<Sp<bool>>,
    /// Stop the task when this container stops. Default true.
    pub essential: Option<Sp<bool>>,
    /// Volumes mounted into this container: volume name → absolute path.
    /// The volume must be in the service's `uses`.
    #[serde(default)]
    pub mounts: BTreeMap<Sp<String>, Sp<String>>,
    /// Files of variables (`KEY=value` lines, `.env`) in one of the
    /// stack's buckets, loaded at start (ECS `environmentFiles`): `{bucket:
    /// NAME, key: config/app.env}`. The execution role may read exactly
    /// these objects.
    #[serde(default)]
    pub env_files: Vec<EnvFile>,
}

/// An environment file: an S3 object of one of the stack's buckets.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvFile {
    /// A bucket under `buckets:`.
    pub bucket: Sp<String>,
    /// The object's key, ending in `.env`.
    pub key: Sp<String>,
}

/// A static single-page app behind CloudFront.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// The host name it answers on, inside `domain.zone` (the environment's
    /// subdomain applies). Default: the zone apex when there is a domain;
    /// without a domain, the distribution's own `*.cloudfront.net` name.
    pub host: Option<Sp<String>>,
    /// Paths CloudFront forwards, uncached, to a load balancer (seed 001:
    /// `/api/*` to the ALB).
    pub api: Option<SiteApi>,
    /// `optimized` (CachingOptimized) or `disabled` (every request reaches
    /// S3, handy in development). Default `optimized`.
    pub cache: Option<Sp<SiteCache>>,
    /// Edge locations: `100` (North America and Europe), `200` or `all`.
    /// Default `100`.
    pub price_class: Option<Sp<PriceClass>>,
    /// Answer unknown paths (S3 403/404) with `/index.html` and status 200,
    /// so client-side routes work. Default true.
    pub spa: Option<Sp<bool>>,
    /// The stack's WAF rules on the distribution (a CLOUDFRONT-scope web
    /// ACL in us-east-1). Default: on when `waf` is.
    pub waf: Option<Sp<bool>>,
}

/// Where a site sends its API paths.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteApi {
    /// The internet-facing load balancer. Default: the one routes use by
    /// default (`main`).
    pub lb: Option<Sp<String>>,
    /// Path patterns, like `/api/*`. Default `[/api/*]`.
    #[serde(default)]
    pub paths: Vec<Sp<String>>,
}

/// How CloudFront caches the site's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SiteCache {
    Optimized,
    Disabled,
}

/// CloudFront price class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum PriceClass {
    #[serde(rename = "100")]
    P100,
    #[serde(rename = "200")]
    P200,
    #[serde(rename = "all")]
    All,
}

impl PriceClass {
    /// The API's name.
    pub fn aws_name(self) -> &'static str {
        match self {
            PriceClass::P100 => "PriceClass_100",
            PriceClass::P200 => "PriceClass_200",
            PriceClass::All => "PriceClass_All",
        }
    }
}

/// What an environment changes.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    pub network: Option<NetworkOverlay>,
    #[serde(default)]
    pub services: BTreeMap<Sp<String>, ServiceOverlay>,
    #[serde(default)]
    pub postgres: BTreeMap<Sp<String>, PostgresOverlay>,
    #[serde(default)]
    pub redis: BTreeMap<Sp<String>, RedisOverlay>,
    /// Domain keys this environment changes (`subdomain`).
    pub domain: Option<DomainOverlay>,
    /// Load balancer keys this environment changes.
    #[serde(default)]
    pub load_balancers: BTreeMap<Sp<String>, LoadBalancerOverlay>,
    /// WAF keys this environment changes.
    pub waf: Option<Waf>,
    /// Site keys this environment changes.
    pub site: Option<SiteOverlay>,
    /// API keys this environment changes (throttling).
    pub api: Option<ApiOverlay>,
    /// Alerts keys this environment changes (or alerts of its own).
    pub alerts: Option<Sp<AlertsOverlay>>,
    pub dashboard: Option<Sp<bool>>,
    /// Auth keys this environment changes (MFA, callback and logout URLs).
    pub auth: Option<Sp<AuthOverlay>>,
    /// CI keys this environment changes (deploy branches, OIDC provider).
    pub ci: Option<crate::ci::CiOverlay>,
    /// Usage figures this environment assumes instead of the base's.
    pub usage: Option<crate::usage::Usage>,
}

/// Site keys an environment may change.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteOverlay {
    pub host: Option<Sp<String>>,
    pub cache: Option<Sp<SiteCache>>,
    pub price_class: Option<Sp<PriceClass>>,
}

/// Domain keys an environment may change.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainOverlay {
    pub subdomain: Option<Sp<String>>,
}

/// Load balancer keys an environment may change; `hosts` replaces the list.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerOverlay {
    pub hosts: Option<Vec<Sp<String>>>,
    pub idle_timeout: Option<Sp<u32>>,
    pub waf: Option<Sp<bool>>,
}

/// PostgreSQL keys an environment may change.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresOverlay {
    pub multi_az: Option<Sp<bool>>,
    pub instance_class: Option<Sp<String>>,
    pub deletion_protection: Option<Sp<bool>>,
}

/// Redis keys an environment may change.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedisOverlay {
    pub replicas: Option<Sp<u32>>,
    pub node_type: Option<Sp<String>>,
}

/// Network keys an environment may change.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkOverlay {
    pub azs: Option<Sp<u32>>,
    pub egress: Option<Sp<Egress>>,
    pub flow_logs: Option<Sp<bool>>,
}

/// Service keys an environment may change.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceOverlay {
    pub desired_count: Option<Sp<u32>>,
    pub cpu: Option<Sp<u32>>,
    pub memory: Option<Sp<u32>>,
    pub log_retention: Option<Sp<u32>>,
    pub scaling: Option<Sp<ScalingOverlay>>,
    #[serde(default)]
    pub containers: BTreeMap<Sp<String>, ContainerOverlay>,
}

/// Container keys an environment may change. `environment` entries are
/// merged over the base ones.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainerOverlay {
    pub cpu: Option<Sp<u32>>,
    pub memory: Option<Sp<u32>>,
    pub image: Option<Sp<String>>,
    #[serde(default)]
    pub environment: BTreeMap<Sp<String>, Sp<String>>,
}
