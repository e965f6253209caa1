//! Defaulted data stores, secrets and parameters, and how services use them.
//!
//! Defaults (see `docs/spec.md`): PostgreSQL 16 on `db.t4g.micro` with 20 GiB
//! growing to 100, 7 days of backups, deletion protection in production
//! environments, a final snapshot; Redis 7.1 on `cache.t4g.micro` without
//! replicas (ElastiCache), or with `durable` on `db.t4g.small` with one
//! replica (MemoryDB, whose own default that is); tables with point-in-time recovery; versioned buckets; volumes
//! owned by 1000:1000 under `/NAME` with `0750`.

use crate::{Access, StoreKind};
use gantry_spec::Spec;
use serde::Serialize;

pub const DEFAULT_PG_VERSION: &str = "16";
pub const DEFAULT_DB_CLASS: &str = "db.t4g.micro";
pub const DEFAULT_REDIS_VERSION: &str = "7.1";
pub const DEFAULT_NODE_TYPE: &str = "cache.t4g.micro";
/// MemoryDB's smallest node type.
pub const DEFAULT_MEMORYDB_NODE_TYPE: &str = "db.t4g.small";

/// One entry of a service's `uses`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Use {
    pub name: String,
    #[serde(skip)]
    pub kind: StoreKind,
    pub access: Access,
}

impl Use {
    pub fn read_only(&self) -> bool {
        self.access == Access::Read
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Postgres {
    pub name: String,
    pub version: String,
    pub instance_class: String,
    pub storage: u32,
    pub max_storage: u32,
    pub multi_az: bool,
    pub backup_retention: u32,
    pub deletion_protection: bool,
    pub final_snapshot: bool,
    pub database: String,
    pub username: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Redis {
    pub name: String,
    /// MemoryDB (a multi-AZ transaction log) instead of ElastiCache.
    pub durable: bool,
    pub version: String,
    pub node_type: String,
    pub replicas: u32,
    pub snapshot_retention: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableKey {
    pub name: String,
    /// `S`, `N` or `B`.
    pub key_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub name: String,
    pub hash_key: TableKey,
    pub range_key: Option<TableKey>,
    pub ttl: Option<String>,
    pub point_in_time_recovery: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lifecycle {
    pub prefix: String,
    pub expire_days: Option<u32>,
    pub noncurrent_expire_days: Option<u32>,
    pub transition_to_ia_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cors {
    pub origins: Vec<String>,
    pub methods: Vec<String>,
    pub headers: Vec<String>,
    pub max_age: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    pub name: String,
    pub versioning: bool,
    /// Anyone may read its objects (`s3:GetObject` to `*`).
    pub public: bool,
    pub lifecycle: Vec<Lifecycle>,
    pub cors: Vec<Cors>,
    pub force_destroy: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Volume {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub path: String,
    pub permissions: String,
    /// Days without access before a file moves to Infrequent Access.
    pub infrequent_access_after: Option<u32>,
}

/// An application secret; its value is never part of the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppSecret {
    pub name: String,
    /// Generated at create with this length; `None`: set with `gantry secret set`.
    pub generate: Option<u32>,
    pub no_punctuation: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parameter {
    pub name: String,
    /// The plain value; empty for a SecureString, whose value is never
    /// part of the model.
    pub value: String,
    /// A SecureString encrypted with the stack key.
    pub secure: bool,
}

fn or<T: Clone>(v: &Option<gantry_spec::Sp<T>>, d: T) -> T {
    v.as_ref().map_or(d, |s| s.value.clone())
}

/// The default database name: the store name with anything but letters,
/// digits and `_` as `_`.
pub fn default_database(store: &str) -> String {
    store
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

pub(crate) fn postgres(spec: &Spec, prod: bool) -> Vec<Postgres> {
    spec.postgres
        .iter()
        .map(|(name, db)| {
            let db = db.clone().unwrap_or_default();
            Postgres {
                name: name.value.clone(),
                version: or(&db.version, DEFAULT_PG_VERSION.to_string()),
                instance_class: or(&db.instance_class, DEFAULT_DB_CLASS.to_string()),
                storage: or(&db.storage, 20),
                max_storage: or(&db.max_storage, 100),
                multi_az: or(&db.multi_az, false),
                backup_retention: or(&db.backup_retention, 7),
                deletion_protection: or(&db.deletion_protection, prod),
                final_snapshot: or(&db.final_snapshot, true),
                database: or(&db.database, default_database(name)),
                username: or(&db.username, "app".to_string()),
            }
        })
        .collect()
}

pub(crate) fn redis(spec: &Spec) -> Vec<Redis> {
    spec.redis
        .iter()
        .map(|(name, r)| {
            let r = r.clone().unwrap_or_default();
            let durable = or(&r.durable, false);
            Redis {
                name: name.value.clone(),
                durable,
                version: or(&r.version, DEFAULT_REDIS_VERSION.to_string()),
                node_type: or(
                    &r.node_type,
                    if durable {
                        DEFAULT_MEMORYDB_NODE_TYPE
                    } else {
                        DEFAULT_NODE_TYPE
                    }
                    .to_string(),
                ),
                // A MemoryDB replica takes over at once on failure instead
                // of the node being rebuilt from the transaction log.
                replicas: or(&r.replicas, u32::from(durable)),
                snapshot_retention: or(&r.snapshot_retention, 1),
            }
        })
        .collect()
}

pub(crate) fn tables(spec: &Spec) -> Vec<Table> {
    let key = |k: &gantry_spec::TableKey| TableKey {
        name: k.name.value.clone(),
        key_type: k.key_type.value.as_str().to_string(),
    };
    spec.tables
        .iter()
        .map(|(name, t)| Table {
            name: name.value.clone(),
            hash_key: key(&t.hash_key),
            range_key: t.range_key.as_ref().map(key),
            ttl: t.ttl.as_ref().map(|v| v.value.clone()),
            point_in_time_recovery: or(&t.point_in_time_recovery, true),
        })
        .collect()
}

pub(crate) fn buckets(spec: &Spec) -> Vec<Bucket> {
    spec.buckets
        .iter()
        .map(|(name, b)| {
            let b = b.clone().unwrap_or_default();
            Bucket {
                name: name.value.clone(),
                versioning: or(&b.versioning, true),
                public: or(&b.public, false),
                lifecycle: b
                    .lifecycle
                    .iter()
                    .map(|l| Lifecycle {
                        prefix: or(&l.prefix, String::new()),
                        expire_days: l.expire_days.as_ref().map(|v| v.value),
                        noncurrent_expire_days: l.noncurrent_expire_days.as_ref().map(|v| v.value),
                        transition_to_ia_days: l.transition_to_ia_days.as_ref().map(|v| v.value),
                    })
                    .collect(),
                cors: b
                    .cors
                    .iter()
                    .map(|c| Cors {
                        origins: c.origins.iter().map(|v| v.value.clone()).collect(),
                        methods: if c.methods.is_empty() {
                            vec!["GET".to_string()]
                        } else {
                            c.methods.iter().map(|v| v.value.clone()).collect()
                        },
                        headers: c.headers.iter().map(|v| v.value.clone()).collect(),
                        max_age: or(&c.max_age, 3000),
                    })
                    .collect(),
                force_destroy: or(&b.force_destroy, false),
            }
        })
        .collect()
}

pub(crate) fn volumes(spec: &Spec) -> Vec<Volume> {
    spec.volumes
        .iter()
        .map(|(name, v)| {
            let v = v.clone().unwrap_or_default();
            Volume {
                name: name.value.clone(),
                uid: or(&v.uid, 1000),
                gid: or(&v.gid, 1000),
                path: or(&v.path, format!("/{}", name.value)),
                permissions: or(&v.permissions, "0750".to_string()),
                infrequent_access_after: v.infrequent_access_after.as_ref().map(|d| d.value),
            }
        })
        .collect()
}

pub(crate) fn secrets(spec: &Spec) -> Vec<AppSecret> {
    spec.secrets
        .iter()
        .map(|(name, s)| {
            let s = s.clone().unwrap_or_default();
            AppSecret {
                name: name.value.clone(),
                generate: s.generate.as_ref().map(|v| v.value),
                no_punctuation: or(&s.no_punctuation, false),
            }
        })
        .collect()
}

pub(crate) fn parameters(spec: &Spec) -> Vec<Parameter> {
    spec.parameters
        .iter()
        .map(|(name, v)| Parameter {
            name: name.value.clone(),
            value: v.value.value().unwrap_or_default().to_string(),
            secure: v.value.secure(),
        })
        .collect()
}
