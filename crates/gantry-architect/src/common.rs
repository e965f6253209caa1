//! What the feature modules share: security-group names and rules, the
//! stack's KMS key, log group names and retention. Feature modules import
//! these from here rather than from one another, so the crate's modules
//! depend in one direction: features on `common` (and `naming`), the
//! crate root on the features.

use crate::Model;
use gantry_core::kinds::{self, SgRule};
use gantry_core::{reference, Address};

/// The ports stores listen on: their security groups admit their users
/// there, and `routing` opens tasks' egress to them without NAT.
pub const POSTGRES_PORT: i32 = 5432;
pub const REDIS_PORT: i32 = 6379;
pub const NFS_PORT: i32 = 2049;

/// Log retention in days: production keeps three months, the rest a month.
pub const RETENTION_DAYS: i32 = 30;
pub const PROD_RETENTION_DAYS: i32 = 90;

/// The environment's default log retention, or the spec's for a service.
pub fn retention(m: &Model, explicit: Option<u32>) -> i32 {
    match explicit {
        // Validated against CloudWatch's periods, all below i32::MAX.
        Some(d) => d as i32,
        None if m.is_prod() => PROD_RETENTION_DAYS,
        None => RETENTION_DAYS,
    }
}

/// Security group names may not start with `sg-`.
pub(crate) fn sg_name(name: &str) -> String {
    if name.starts_with("sg-") {
        format!("gantry-{name}")
    } else {
        name.to_string()
    }
}

/// A TCP rule on one port (peer set by the caller).
pub(crate) fn tcp(port: i32, description: impl Into<String>) -> SgRule {
    SgRule {
        protocol: "tcp".into(),
        from_port: port,
        to_port: port,
        cidr_ipv4: None,
        cidr_ipv6: None,
        source_security_group_id: None,
        description: description.into(),
    }
}

/// The address of the stack's KMS key, when the stack has one (some store
/// or secret exists).
pub(crate) fn stack_key(m: &Model) -> Option<Address> {
    m.needs_key().then(|| Address::of(kinds::KMS_KEY, "main"))
}

/// A reference to the stack key's ARN, for what it encrypts.
pub(crate) fn stack_key_arn(m: &Model) -> Option<String> {
    stack_key(m).map(|k| reference(&k, "arn"))
}

/// Every log group of the stack is named with this prefix (the service name
/// follows); the key policy admits CloudWatch Logs for exactly these.
pub fn log_group_prefix(m: &Model) -> String {
    format!("/gantry/{}/{}/", m.stack, m.env)
}

/// What running a task needs, built once per service and per job: its
/// task definition and the two roles ECS passes to it.
pub(crate) struct Task {
    pub task: Address,
    pub execution_role: Address,
    pub task_role: Address,
    /// Its `build:` containers no deploy has shipped an image for yet:
    /// their tasks cannot start.
    pub unbuilt: Vec<String>,
}
