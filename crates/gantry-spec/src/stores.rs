//! Validation of data stores, secrets and parameters, and of how services
//! use them (`uses`, `mounts`).
//!
//! Store names share one namespace across kinds because each becomes the
//! stem of injected environment variables ([`env_stem`]): `db` gives
//! `DB_HOST`, `api_key` gives `API_KEY`. Two names that differ only in `-`
//! versus `_` would inject the same variables, so they collide too.

use crate::diag::{choice_hint, Problems};
use crate::span::{Pos, Sp};
use crate::types::{Access, Spec, Use};
use gantry_core::reference::looks_like_reference;
use std::collections::BTreeMap;

/// Longest store, secret or parameter name.
pub const MAX_STORE_NAME: usize = 32;

/// What kind of thing a name in `uses` refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StoreKind {
    Postgres,
    Redis,
    Table,
    Bucket,
    Volume,
    Secret,
    Parameter,
    Queue,
    Topic,
    /// The top-level `email:` (used as `email`).
    Email,
    /// The top-level `auth:` (used as `auth`).
    Auth,
    /// Another service, reached through service discovery (Cloud Map).
    Service,
}

impl StoreKind {
    pub fn noun(self) -> &'static str {
        match self {
            StoreKind::Postgres => "PostgreSQL database",
            StoreKind::Redis => "Redis cache",
            StoreKind::Table => "table",
            StoreKind::Bucket => "bucket",
            StoreKind::Volume => "volume",
            StoreKind::Secret => "secret",
            StoreKind::Parameter => "parameter",
            StoreKind::Queue => "queue",
            StoreKind::Topic => "topic",
            StoreKind::Email => "email domain",
            StoreKind::Auth => "user pool",
            StoreKind::Service => "service",
        }
    }

    /// Whether `access: read` means something for this kind (for a
    /// queue: consume only, never send).
    pub fn has_read_only(self) -> bool {
        matches!(
            self,
            StoreKind::Table | StoreKind::Bucket | StoreKind::Volume | StoreKind::Queue
        )
    }
}

/// The upper-snake stem of the variables injected for a store: `my-db` → `MY_DB`.
pub fn env_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Environment variable names injected for a store of `kind` named `name`.
pub fn injected_vars(kind: StoreKind, name: &str) -> Vec<String> {
    let n = env_stem(name);
    let suffixes: &[&str] = match kind {
        StoreKind::Postgres => &["_HOST", "_PORT", "_DATABASE", "_USER", "_PASSWORD"],
        StoreKind::Redis => &["_HOST", "_PORT", "_TLS", "_USER", "_AUTH_TOKEN"],
        StoreKind::Table => &["_TABLE"],
        StoreKind::Bucket => &["_BUCKET"],
        StoreKind::Volume => &[],
        StoreKind::Secret | StoreKind::Parameter => &[""],
        StoreKind::Queue => &["_QUEUE_URL", "_QUEUE_ARN"],
        StoreKind::Topic => &["_TOPIC_ARN"],
        StoreKind::Email => &["_FROM"],
        StoreKind::Auth => &["_USER_POOL_ID", "_CLIENT_ID", "_ISSUER"],
        StoreKind::Service => &["_HOST", "_PORT", "_URL"],
    };
    suffixes.iter().map(|s| format!("{n}{s}")).collect()
}

impl Spec {
    /// Every store, secret and parameter name with its kind and position.
    pub fn store_names(&self) -> Vec<(&Sp<String>, StoreKind)> {
        let mut out: Vec<(&Sp<String>, StoreKind)> = Vec::new();
        out.extend(self.postgres.keys().map(|k| (k, StoreKind::Postgres)));
        out.extend(self.redis.keys().map(|k| (k, StoreKind::Redis)));
        out.extend(self.tables.keys().map(|k| (k, StoreKind::Table)));
        out.extend(self.buckets.keys().map(|k| (k, StoreKind::Bucket)));
        out.extend(self.volumes.keys().map(|k| (k, StoreKind::Volume)));
        out.extend(self.secrets.keys().map(|k| (k, StoreKind::Secret)));
        out.extend(self.parameters.keys().map(|k| (k, StoreKind::Parameter)));
        out.extend(self.queues.keys().map(|k| (k, StoreKind::Queue)));
        out.extend(self.topics.keys().map(|k| (k, StoreKind::Topic)));
        out
    }

    /// The kind of the store, secret or parameter called `name`; `email`
    /// and `auth` name the top-level keys when the spec has them, and a
    /// name no store has may be a service's (a store keeps its name: specs
    /// written before services could be used name a topic like a service).
    pub fn store_kind(&self, name: &str) -> Option<StoreKind> {
        match name {
            crate::platform::EMAIL if self.email.is_some() => return Some(StoreKind::Email),
            crate::platform::AUTH if self.auth.is_some() => return Some(StoreKind::Auth),
            _ => {}
        }
        self.store_names()
            .into_iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, k)| k)
            .or_else(|| {
                self.services
                    .contains_key(name)
                    .then_some(StoreKind::Service)
            })
    }
}

fn is_store_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with(['-', '_'])
        && s.len() <= MAX_STORE_NAME
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn range(p: &mut Problems, what: &str, v: &Option<Sp<u32>>, lo: u32, hi: u32) {
    if let Some(v) = v {
        if !(lo..=hi).contains(&v.value) {
            p.push(
                v.pos,
                format!("{what} {} is out of range", v.value),
                format!("use {lo} to {hi}"),
            );
        }
    }
}

fn reserved(p: &mut Problems, s: &Sp<String>) -> bool {
    if looks_like_reference(s) {
        p.push(
            s.pos,
            format!("`${{ref:` is reserved: `{}`", s.value),
            "Gantry uses `${ref:...}` internally for references between resources; remove it"
                .to_string(),
        );
        return true;
    }
    false
}

/// A PostgreSQL/RDS identifier: a letter, then letters, digits and `_`.
fn is_sql_ident(s: &str, max: usize) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.len() <= max
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Names only: run once on the base spec.
pub(crate) fn check_names(spec: &Spec, p: &mut Problems) {
    let mut seen: BTreeMap<String, (&Sp<String>, StoreKind)> = BTreeMap::new();
    // In file order, so the later of two clashing names is the one reported.
    let mut names = spec.store_names();
    names.sort_by_key(|(n, _)| (n.pos.line, n.pos.column));
    for (name, kind) in names {
        if !is_store_name(name) {
            p.push(
                name.pos,
                format!("invalid {} name `{}`", kind.noun(), name.value),
                format!("use 1 to {MAX_STORE_NAME} lowercase letters, digits, `-` and `_`, starting with a letter"),
            );
            continue;
        }
        let stem = env_stem(name);
        match seen.get(&stem) {
            Some((other, okind)) => p.push(
                name.pos,
                format!(
                    "duplicate store name `{}`: the {} `{}` (line {}) has the same name",
                    name.value,
                    okind.noun(),
                    other.value,
                    other.pos.line
                ),
                "names are shared by postgres, redis, tables, buckets, volumes, secrets, parameters, queues and topics (and `-` counts as `_`); rename one".to_string(),
            ),
            None => {
                seen.insert(stem, (name, kind));
            }
        }
    }
    // `email` and `auth` in `uses` name the top-level keys when present.
    for (name, _) in spec.store_names() {
        let taken = match name.as_str() {
            crate::platform::EMAIL => spec.email.is_some(),
            crate::platform::AUTH => spec.auth.is_some(),
            _ => false,
        };
        if taken {
            p.push(
                name.pos,
                format!(
                    "store name `{}` is taken by the top-level `{}:`",
                    name.value, name.value
                ),
                "`uses` names it for the top-level key; rename the store".to_string(),
            );
        }
    }
    // Each Redis store owns a generated `NAME-auth` secret.
    for r in spec.redis.keys() {
        let auth = format!("{}-auth", r.value);
        if let Some((s, _)) = spec.secrets.get_key_value(auth.as_str()) {
            p.push(
                s.pos,
                format!(
                    "secret name `{}` is taken by the AUTH token of Redis `{}`",
                    s.value, r.value
                ),
                "rename the secret".to_string(),
            );
        }
    }
    let pg: Vec<&str> = spec.postgres.keys().map(|k| k.as_str()).collect();
    let rd: Vec<&str> = spec.redis.keys().map(|k| k.as_str()).collect();
    for (env, o) in &spec.environments {
        for name in o.postgres.keys() {
            if !spec.postgres.contains_key(&name.value) {
                p.push(
                    name.pos,
                    format!(
                        "environment `{}` names unknown postgres store `{}`",
                        env.value, name.value
                    ),
                    choice_hint(name, "postgres stores", &pg),
                );
            }
        }
        for name in o.redis.keys() {
            if !spec.redis.contains_key(&name.value) {
                p.push(
                    name.pos,
                    format!(
                        "environment `{}` names unknown redis store `{}`",
                        env.value, name.value
                    ),
                    choice_hint(name, "redis stores", &rd),
                );
            }
        }
    }
}

/// Values and wiring of one (possibly overlay-merged) view.
pub(crate) fn check_view(spec: &Spec, p: &mut Problems) {
    for (name, db) in &spec.postgres {
        let Some(db) = db else { continue };
        if let Some(v) = &db.version {
            let ok = !v.is_empty()
                && v.split('.').count() <= 2
                && v.split('.')
                    .all(|x| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit()));
            if !ok {
                p.push(
                    v.pos,
                    format!("invalid PostgreSQL version `{}`", v.value),
                    "write a major version like `16`, or `16.4`".to_string(),
                );
            }
        }
        if let Some(c) = &db.instance_class {
            if !c.starts_with("db.") || c.contains(char::is_whitespace) {
                p.push(
                    c.pos,
                    format!("invalid instance class `{}`", c.value),
                    "write an RDS instance class like `db.t4g.micro`".to_string(),
                );
            }
        }
        range(p, "storage", &db.storage, 20, 65536);
        range(p, "max_storage", &db.max_storage, 20, 65536);
        let storage = db.storage.as_ref().map_or(20, |s| s.value);
        let max = db.max_storage.as_ref().map_or(100, |s| s.value);
        if max < storage {
            let pos = db
                .max_storage
                .as_ref()
                .or(db.storage.as_ref())
                .map_or(name.pos, |s| s.pos);
            p.push(
                pos,
                format!(
                    "max_storage {max} GiB is below storage {storage} GiB in postgres `{}`",
                    name.value
                ),
                "max_storage is the autoscaling limit: make it at least `storage`".to_string(),
            );
        }
        range(p, "backup_retention", &db.backup_retention, 1, 35);
        if let Some(d) = &db.database {
            if !is_sql_ident(d, 63) {
                p.push(
                    d.pos,
                    format!("invalid database name `{}`", d.value),
                    "use 1 to 63 letters, digits and `_`, starting with a letter".to_string(),
                );
            }
        }
        if let Some(u) = &db.username {
            if !is_sql_ident(u, 16) || ["rdsadmin", "postgres", "admin"].contains(&u.as_str()) {
                p.push(u.pos, format!("invalid username `{}`", u.value), "use 1 to 16 letters, digits and `_`, starting with a letter; `rdsadmin`, `postgres` and `admin` are reserved".to_string());
            }
        }
    }
    for r in spec.redis.values().flatten() {
        if let Some(v) = &r.version {
            let ok = !v.is_empty()
                && v.split('.')
                    .all(|x| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit()));
            if !ok {
                p.push(
                    v.pos,
                    format!("invalid Redis version `{}`", v.value),
                    "write a version like `7.1`".to_string(),
                );
            }
        }
        let durable = r.durable.as_ref().is_some_and(|d| d.value);
        if let Some(n) = &r.node_type {
            let (prefix, hint) = if durable {
                (
                    "db.",
                    "`durable: true` is MemoryDB: write a MemoryDB node type like `db.t4g.small`",
                )
            } else {
                (
                    "cache.",
                    "write an ElastiCache node type like `cache.t4g.micro` (MemoryDB's `db.*` types need `durable: true`)",
                )
            };
            if !n.starts_with(prefix) || n.contains(char::is_whitespace) {
                p.push(
                    n.pos,
                    format!("invalid node type `{}`", n.value),
                    hint.to_string(),
                );
            }
        }
        range(p, "replicas", &r.replicas, 0, 5);
        range(p, "snapshot_retention", &r.snapshot_retention, 0, 35);
    }
    for t in spec.tables.values() {
        for k in [Some(&t.hash_key), t.range_key.as_ref()]
            .into_iter()
            .flatten()
        {
            if !reserved(p, &k.name) && (k.name.is_empty() || k.name.len() > 255) {
                p.push(
                    k.name.pos,
                    "invalid key attribute name",
                    "use 1 to 255 characters".to_string(),
                );
            }
        }
        if let (Some(r), h) = (&t.range_key, &t.hash_key) {
            if r.name.value == h.name.value {
                p.push(
                    r.name.pos,
                    format!("range key `{}` is also the hash key", r.name.value),
                    "use a different attribute for the range key".to_string(),
                );
            }
        }
        if let Some(ttl) = &t.ttl {
            if !reserved(p, ttl) && (ttl.is_empty() || ttl.len() > 255) {
                p.push(
                    ttl.pos,
                    "invalid ttl attribute name",
                    "use 1 to 255 characters".to_string(),
                );
            }
        }
    }
    check_buckets(spec, p);
    for v in spec.volumes.values().flatten() {
        if let Some(path) = &v.path {
            if !reserved(p, path)
                && (!path.starts_with('/')
                    || path.len() > 100
                    || path.contains(char::is_whitespace))
            {
                p.push(
                    path.pos,
                    format!("invalid volume path `{}`", path.value),
                    "write an absolute path like `/uploads`, at most 100 characters".to_string(),
                );
            }
        }
        if let Some(perm) = &v.permissions {
            let ok =
                (3..=4).contains(&perm.len()) && perm.chars().all(|c| ('0'..='7').contains(&c));
            if !ok {
                p.push(
                    perm.pos,
                    format!("invalid permissions `{}`", perm.value),
                    "write octal permissions like `0750`".to_string(),
                );
            }
        }
    }
    for v in spec.volumes.values().flatten() {
        if let Some(d) = &v.infrequent_access_after {
            if !EFS_IA_DAYS.contains(&d.value) {
                p.push(
                    d.pos,
                    format!("invalid infrequent_access_after {}", d.value),
                    format!(
                        "EFS moves files to Infrequent Access after one of {} days",
                        EFS_IA_DAYS
                            .iter()
                            .map(u32::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
    }
    for s in spec.secrets.values().flatten() {
        range(p, "generated secret length", &s.generate, 8, 4096);
    }
    for v in spec.parameters.values() {
        check_parameter(v, p);
    }
    crate::messaging::check_view(spec, p);
    check_uses(spec, p);
}

/// A parameter's value: a plain one of 1 to 4096 characters, or a
/// SecureString whose value stays out of the spec.
fn check_parameter(v: &Sp<crate::types::ParameterValue>, p: &mut Problems) {
    let secure = v.value.secure();
    match (secure, v.value.value()) {
        (true, Some(_)) => p.push(
            v.pos,
            "a secure parameter's value may not be written in the spec",
            "remove `value` and set it with `gantry secret set NAME` (reads stdin) after `gantry up`"
                .to_string(),
        ),
        (false, None) => p.push(
            v.pos,
            "parameter without a value",
            "write `NAME: value`, or `NAME: {secure: true}` for a SecureString set with `gantry secret set NAME`"
                .to_string(),
        ),
        (false, Some(val)) => {
            if looks_like_reference(val) {
                p.push(
                    v.pos,
                    format!("`${{ref:` is reserved: `{val}`"),
                    "Gantry uses `${ref:...}` internally for references between resources; remove it"
                        .to_string(),
                );
            } else if val.is_empty() || val.len() > 4096 {
                p.push(
                    v.pos,
                    "invalid parameter value",
                    "SSM parameter values are 1 to 4096 characters; secret values go in `{secure: true}` parameters or `secrets:`"
                        .to_string(),
                );
            }
        }
        (true, None) => {}
    }
}

/// The days after which EFS may move a file to Infrequent Access (AWS's
/// `TransitionToIA` enumeration).
pub const EFS_IA_DAYS: &[u32] = &[1, 7, 14, 30, 60, 90, 180, 270, 365];

fn check_buckets(spec: &Spec, p: &mut Problems) {
    for b in spec.buckets.values().flatten() {
        for rule in &b.lifecycle {
            if let Some(prefix) = &rule.prefix {
                reserved(p, prefix);
            }
            for (what, v) in [
                ("expire_days", &rule.expire_days),
                ("noncurrent_expire_days", &rule.noncurrent_expire_days),
                ("transition_to_ia_days", &rule.transition_to_ia_days),
            ] {
                range(p, what, v, 1, 36500);
            }
            if let Some(t) = &rule.transition_to_ia_days {
                if t.value < 30 {
                    p.push(
                        t.pos,
                        format!("transition_to_ia_days {} is below 30", t.value),
                        "S3 moves objects to Standard-IA after 30 days at the earliest".to_string(),
                    );
                }
            }
            if rule.expire_days.is_none()
                && rule.noncurrent_expire_days.is_none()
                && rule.transition_to_ia_days.is_none()
            {
                let pos = rule.prefix.as_ref().map_or(Pos::UNKNOWN, |s| s.pos);
                p.push(
                    pos,
                    "lifecycle rule does nothing",
                    "give `expire_days`, `noncurrent_expire_days` or `transition_to_ia_days`"
                        .to_string(),
                );
            }
        }
        for c in &b.cors {
            for o in &c.origins {
                reserved(p, o);
            }
            for h in &c.headers {
                reserved(p, h);
            }
            for m in &c.methods {
                if !["GET", "PUT", "POST", "DELETE", "HEAD"].contains(&m.as_str()) {
                    p.push(
                        m.pos,
                        format!("invalid CORS method `{}`", m.value),
                        choice_hint(m, "methods", &["GET", "PUT", "POST", "DELETE", "HEAD"]),
                    );
                }
            }
        }
    }
}

/// A used service must have something to reach: a container port (the
/// tasks are registered by IP, so the port comes from the spec).
fn check_peer(spec: &Spec, user: &Sp<String>, name: &str, pos: Pos, p: &mut Problems) {
    let Some(svc) = spec.services.get(name) else {
        return;
    };
    if !svc.containers.values().any(|c| c.port.is_some()) {
        p.push(
            pos,
            format!(
                "`{}` uses service `{name}`, which has no container `port`",
                user.value
            ),
            format!("give a container of `{name}` the `port` it listens on"),
        );
    }
}

fn check_uses(spec: &Spec, p: &mut Problems) {
    let all: Vec<&str> = spec.store_names().iter().map(|(n, _)| n.as_str()).collect();
    let jobs: Vec<(&Sp<String>, crate::types::Service)> =
        spec.jobs.iter().map(|(n, j)| (n, j.as_service())).collect();
    let tasks = spec
        .services
        .iter()
        .chain(jobs.iter().map(|(n, s)| (*n, s)));
    for (sname, svc) in tasks {
        let mut used: BTreeMap<&str, Pos> = BTreeMap::new();
        for u in &svc.uses {
            let name = u.value.name();
            let Some(kind) = spec.store_kind(name) else {
                if spec.jobs.contains_key(name) {
                    p.push(
                        u.pos,
                        format!(
                            "service `{}` uses job `{name}`, which has no endpoint to reach",
                            sname.value
                        ),
                        "a job runs to its end and is not registered for discovery; use a service, or start the job with `gantry run` or an event".to_string(),
                    );
                    continue;
                }
                if let Some((key, example)) = crate::platform::missing_key(name) {
                    p.push(
                        u.pos,
                        format!(
                            "service `{}` uses `{name}`, but the spec has no `{key}:`",
                            sname.value
                        ),
                        format!("add a top-level `{key}: {example}`"),
                    );
                    continue;
                }
                let hint = if all.is_empty() && spec.services.len() < 2 {
                    "define it under `postgres`, `redis`, `tables`, `buckets`, `volumes`, `secrets`, `parameters`, `queues` or `topics`".to_string()
                } else {
                    let mut names = all.clone();
                    names.extend(spec.services.keys().map(|k| k.as_str()));
                    choice_hint(name, "names", &names)
                };
                p.push(
                    u.pos,
                    format!("service `{}` uses unknown store `{name}`", sname.value),
                    hint,
                );
                continue;
            };
            if let Some(first) = used.get(name) {
                p.push(
                    u.pos,
                    format!(
                        "service `{}` uses `{name}` twice (line {})",
                        sname.value, first.line
                    ),
                    "list each name once".to_string(),
                );
            }
            used.insert(name, u.pos);
            if kind == StoreKind::Service {
                check_peer(spec, sname, name, u.pos, p);
            }
            if u.value.access() == Access::Read && !kind.has_read_only() {
                p.push(
                    u.pos,
                    format!(
                        "`access: read` does not apply to the {} `{name}`",
                        kind.noun()
                    ),
                    "read-only access exists for tables, buckets, volumes and queues; remove `access`"
                        .to_string(),
                );
            }
            if let Use::Detailed { name, .. } = &u.value {
                if name.is_empty() {
                    p.push(u.pos, "empty name in `uses`", None);
                }
            }
        }
        // Two used stores must not inject the same variable (`db` gives
        // `DB_HOST`, and so would a secret named `db_host`).
        let mut vars: BTreeMap<String, &str> = BTreeMap::new();
        for u in &svc.uses {
            let Some(kind) = spec.store_kind(u.value.name()) else {
                continue;
            };
            for var in injected_vars(kind, u.value.name()) {
                match vars.get(&var) {
                    Some(other) if *other != u.value.name() => p.push(
                        u.pos,
                        format!(
                            "`{}` and `{other}` both inject `{var}` into service `{}`",
                            u.value.name(),
                            sname.value
                        ),
                        "rename one of them".to_string(),
                    ),
                    _ => {
                        vars.insert(var, u.value.name());
                    }
                }
            }
        }
        for (cname, c) in &svc.containers {
            check_env_files(spec, cname, c, p);
            let mut paths: BTreeMap<&str, Pos> = BTreeMap::new();
            for (vol, path) in &c.mounts {
                if !spec.volumes.contains_key(&vol.value) {
                    let vols: Vec<&str> = spec.volumes.keys().map(|k| k.as_str()).collect();
                    p.push(
                        vol.pos,
                        format!(
                            "container `{}` mounts unknown volume `{}`",
                            cname.value, vol.value
                        ),
                        choice_hint(vol, "volumes", &vols),
                    );
                } else if !used.contains_key(vol.as_str()) {
                    p.push(
                        vol.pos,
                        format!(
                            "container `{}` mounts volume `{}`, which service `{}` does not use",
                            cname.value, vol.value, sname.value
                        ),
                        format!("add `{}` to the service's `uses`", vol.value),
                    );
                }
                if !reserved(p, path)
                    && (!path.starts_with('/')
                        || path.contains(char::is_whitespace)
                        || path.as_str() == "/")
                {
                    p.push(
                        path.pos,
                        format!("invalid mount path `{}`", path.value),
                        "write an absolute container path like `/data`".to_string(),
                    );
                } else if let Some(first) = paths.get(path.as_str()) {
                    p.push(
                        path.pos,
                        format!(
                            "two volumes mounted at `{}` (line {})",
                            path.value, first.line
                        ),
                        "mount each volume at its own path".to_string(),
                    );
                }
                paths.insert(path.as_str(), path.pos);
            }
            // Injected variables must not be silently overridden.
            for u in &svc.uses {
                let Some(kind) = spec.store_kind(u.value.name()) else {
                    continue;
                };
                for var in injected_vars(kind, u.value.name()) {
                    if let Some((k, _)) = c.environment.get_key_value(var.as_str()) {
                        p.push(
                            k.pos,
                            format!(
                                "environment variable `{var}` is set by Gantry from `{}`",
                                u.value.name()
                            ),
                            "remove it from `environment`, or rename the store".to_string(),
                        );
                    }
                }
            }
        }
    }
}

/// A container's environment files: objects of the stack's own buckets,
/// with the `.env` name ECS requires and no IAM wildcard in the key (the
/// execution role is allowed exactly these objects).
fn check_env_files(spec: &Spec, cname: &Sp<String>, c: &crate::types::Container, p: &mut Problems) {
    for f in &c.env_files {
        if !spec.buckets.contains_key(&f.bucket.value) {
            let names: Vec<&str> = spec.buckets.keys().map(|k| k.as_str()).collect();
            p.push(
                f.bucket.pos,
                format!(
                    "container `{}` reads an environment file from unknown bucket `{}`",
                    cname.value, f.bucket.value
                ),
                choice_hint(&f.bucket, "buckets", &names),
            );
        }
        let key = &f.key;
        if reserved(p, key) {
            continue;
        }
        if !key.ends_with(".env")
            || key.starts_with('/')
            || key.len() > 1024
            || key.contains(['*', '?', '$'])
        {
            p.push(
                key.pos,
                format!("invalid environment file key `{}`", key.value),
                "write the object's key without a leading `/` or wildcards, ending in `.env` (ECS requires it), like `config/app.env`"
                    .to_string(),
            );
        }
    }
}
