//! A docker-compose file becomes a spec.
//!
//! Each compose service is a Gantry service with one container `app`,
//! except the well-known databases: `postgres` (and `postgis`) images
//! become a `postgres:` store whose version comes from the tag, `redis`
//! and `valkey` a `redis:` store, and the services that depend on them or
//! name them in their environment `use` them. Gantry generates and injects
//! the credentials, so the database settings an app was given in compose
//! (hosts, URLs, passwords) are dropped with a comment naming the variables
//! it gets instead. MySQL, MariaDB and MongoDB have no equivalent and stay
//! comments. The first service that publishes an HTTP-looking port is
//! routed at `/*` on the public load balancer; named volumes become EFS
//! volumes; `deploy.resources.limits` rounds up to the nearest Fargate size.

use crate::draft::Draft;
use crate::input::{self, map, text};
use crate::names;
use crate::yaml::{Map, Value};
use crate::{read, Import, ImportError, Options};
use serde_json::Value as J;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Converts the compose file at `path`; the project name defaults to its
/// directory's name.
pub fn import_file(path: &Path, opts: &Options) -> Result<Import, ImportError> {
    let text = read(path)?;
    let dir = std::fs::canonicalize(path)
        .ok()
        .and_then(|p| {
            p.parent()
                .and_then(|d| d.file_name())
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "app".to_string());
    let file = path
        .file_name()
        .map_or("docker-compose.yml".to_string(), |n| {
            n.to_string_lossy().into_owned()
        });
    import_str(&file, &text, &dir, opts)
}

/// What a compose service is to Gantry.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    App,
    Postgres {
        store: String,
    },
    Redis {
        store: String,
    },
    /// A database Gantry has no store for (MySQL, MongoDB...).
    Unsupported {
        engine: &'static str,
    },
}

/// Database images, by the image's last path component.
fn database(image: &str) -> Option<(&'static str, Option<String>)> {
    let image = image.split('@').next().unwrap_or(image);
    let (name, tag) = match image.rfind(':') {
        Some(i) if !image[i..].contains('/') => (&image[..i], Some(image[i + 1..].to_string())),
        _ => (image, None),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    let engine = match last {
        "postgres" | "postgresql" | "postgis" => "postgres",
        "redis" | "valkey" => "redis",
        "mysql" | "mariadb" => "mysql",
        "mongo" | "mongodb" => "mongodb",
        _ => return None,
    };
    Some((engine, tag))
}

/// The leading `major[.minor]` of an image tag (`16-alpine` → `16`).
fn tag_version(tag: &str) -> Option<String> {
    let v: String = tag
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let v = v.trim_end_matches('.');
    let parts: Vec<&str> = v.split('.').filter(|p| !p.is_empty()).collect();
    (!parts.is_empty()).then(|| parts[..parts.len().min(2)].join("."))
}

/// Ports that are not HTTP, so a service publishing them gets no route.
const NOT_HTTP: &[u64] = &[22, 25, 53, 1883, 3306, 5432, 5672, 6379, 9092, 11211, 27017];

/// Keys Gantry covers on its own (the container restarts, one network,
/// its own names): dropped without a comment.
const SILENT: &[&str] = &[
    "container_name",
    "hostname",
    "domainname",
    "restart",
    "networks",
    "labels",
    "stdin_open",
    "tty",
    "pull_policy",
];

/// Converts compose text; `file` names it in notes, `project` is the stack
/// name when the file has no top-level `name`.
pub fn import_str(
    file: &str,
    text_in: &str,
    project: &str,
    opts: &Options,
) -> Result<Import, ImportError> {
    let doc = input::parse(file, text_in)?;
    let services = map(&doc.get("services").cloned().unwrap_or(J::Null)).clone();
    if services.is_empty() {
        return Err(ImportError::Invalid(format!("{file} has no `services`")));
    }
    let mut d = Draft::default();
    let raw_name = doc
        .get("name")
        .and_then(J::as_str)
        .map_or(project.to_string(), str::to_string);
    d.name = names::stack(opts.name.as_deref().unwrap_or(&raw_name));
    d.region = opts.region.clone();
    d.header = vec![
        format!("Imported from {file} by `gantry import compose`."),
        format!(
            "Review every `# {}` comment (settings without an equivalent), then run `gantry validate` and `gantry plan`. See docs/spec.md for every key.",
            crate::draft::MARK
        ),
    ];
    d.region_comment =
        vec!["the AWS region to deploy to (`--region`); compose had none".to_string()];
    for key in map(&doc).keys() {
        match key.as_str() {
            "services" | "volumes" | "secrets" | "name" | "version" | "networks" => {}
            k if k.starts_with("x-") => {}
            other => {
                let c = d.note(
                    file,
                    other,
                    format!("top-level `{other}` has no equivalent and was not converted"),
                );
                d.services.comment(c);
            }
        }
    }

    // First pass: what each service is.
    let mut kinds: BTreeMap<String, Kind> = BTreeMap::new();
    let mut gantry_name: BTreeMap<String, String> = BTreeMap::new();
    let mut taken = BTreeSet::new();
    for (name, svc) in &services {
        let image = svc.get("image").and_then(J::as_str).unwrap_or("");
        let kind = match database(image) {
            Some(("postgres", _)) => Kind::Postgres {
                store: d.stores.claim(name, "db"),
            },
            Some(("redis", _)) => Kind::Redis {
                store: d.stores.claim(name, "cache"),
            },
            Some((engine, _)) => Kind::Unsupported { engine },
            None => {
                let mut n = names::label(name, 32, "svc");
                let mut i = 2;
                while !taken.insert(n.clone()) {
                    n = format!("{}-{i}", names::label(name, 29, "svc"));
                    i += 1;
                }
                gantry_name.insert(name.clone(), n);
                Kind::App
            }
        };
        kinds.insert(name.clone(), kind);
    }

    let mut ctx = Ctx {
        file,
        opts,
        doc: &doc,
        kinds: &kinds,
        gantry_name: &gantry_name,
        routed: false,
        volumes_declared: BTreeMap::new(),
        secrets_declared: BTreeMap::new(),
    };
    for (name, svc) in &services {
        match kinds[name].clone() {
            Kind::Postgres { store } => ctx.postgres(&mut d, name, svc, &store),
            Kind::Redis { store } => ctx.redis(&mut d, name, svc, &store),
            Kind::Unsupported { engine } => {
                let c = d.note(
                    file,
                    &format!("services.{name}"),
                    format!(
                        "a {engine} database (image {}): Gantry has no {engine} store; run it as a managed service ({}) outside this stack, pass its address in `environment` and its password as a secret (`secrets:`, `uses`)",
                        input::show(&svc["image"]),
                        if engine == "mysql" { "Amazon RDS for MySQL or Aurora MySQL" } else { "Amazon DocumentDB or MongoDB Atlas" }
                    ),
                );
                d.services.comment(c);
            }
            Kind::App => ctx.app(&mut d, name, svc),
        }
    }
    if !ctx.routed {
        let c = d.note(
            file,
            "services",
            "no service publishes an HTTP port, so nothing is routed from the internet; add `routes: [\"/*\"]` and a `port` to the container that should be reachable",
        );
        d.services.entries.insert(
            0,
            crate::yaml::Entry {
                key: String::new(),
                value: None,
                comments: vec![c],
            },
        );
    }
    Ok(d.finish())
}

struct Ctx<'a> {
    file: &'a str,
    opts: &'a Options,
    doc: &'a J,
    kinds: &'a BTreeMap<String, Kind>,
    gantry_name: &'a BTreeMap<String, String>,
    routed: bool,
    /// Compose volume name → Gantry volume name.
    volumes_declared: BTreeMap<String, String>,
    /// Compose secret name → Gantry secret name.
    secrets_declared: BTreeMap<String, String>,
}

impl Ctx<'_> {
    /// The environment of a compose service as ordered pairs (`None` for a
    /// variable passed through from the host).
    fn environment(v: &J) -> Vec<(String, Option<String>)> {
        match v {
            J::Object(m) => m.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
            J::Array(items) => items
                .iter()
                .filter_map(J::as_str)
                .map(|s| match s.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (s.to_string(), None),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn postgres(&mut self, d: &mut Draft, name: &str, svc: &J, store: &str) {
        let key = format!("services.{name}");
        let image = svc["image"].as_str().unwrap_or("");
        let mut db = Map::new();
        let mut comments = vec![format!(
            "from compose service `{name}` ({image}): RDS PostgreSQL, private, encrypted, backed up; services that `use` it get {}",
            injected(gantry_spec::StoreKind::Postgres, store)
        )];
        match database(image).and_then(|(_, t)| t).as_deref().and_then(tag_version) {
            Some(v) => {
                db.set("version", v.split('.').next().unwrap_or(&v));
            }
            None => comments.push(d.note(
                self.file,
                &format!("{key}.image"),
                format!("{image} names no version: Gantry's default (16) is used; set `version` to the major version your data is on"),
            )),
        }
        if image.contains("postgis") {
            comments.push(d.note(self.file, &format!("{key}.image"), "PostGIS: RDS PostgreSQL has the extension; run `CREATE EXTENSION postgis;` once in the database"));
        }
        for (k, v) in Self::environment(&svc["environment"]) {
            match (k.as_str(), v) {
                ("POSTGRES_DB", Some(v)) => {
                    let ident = sql_ident(&v);
                    db.set("database", ident.as_str());
                }
                ("POSTGRES_USER", Some(v)) => {
                    let ident = sql_ident(&v);
                    if ident.len() <= 16 && !["postgres", "rdsadmin", "admin"].contains(&ident.as_str()) {
                        db.set("username", ident.as_str());
                    } else {
                        comments.push(d.note(self.file, &format!("{key}.environment.POSTGRES_USER"), format!("user `{v}` is reserved on RDS (or too long): the app connects as `app`, given to it in the injected _USER variable")));
                    }
                }
                ("POSTGRES_PASSWORD" | "POSTGRES_PASSWORD_FILE", _) => {
                    comments.push("POSTGRES_PASSWORD dropped: RDS generates the password and keeps it in Secrets Manager; services get it as a secret".to_string());
                }
                (other, _) => comments.push(d.note(
                    self.file,
                    &format!("{key}.environment.{other}"),
                    "a setting of the postgres image with no equivalent on RDS; set server parameters in an RDS parameter group",
                )),
            }
        }
        self.database_leftovers(d, &key, svc, &mut comments, &["image", "environment"]);
        d.postgres.set(store, db).comments = comments;
        d.converted
            .push(format!("postgres {store} (compose service {name})"));
    }

    fn redis(&mut self, d: &mut Draft, name: &str, svc: &J, store: &str) {
        let key = format!("services.{name}");
        let image = svc["image"].as_str().unwrap_or("");
        let mut r = Map::new();
        let mut comments = vec![format!(
            "from compose service `{name}` ({image}): ElastiCache Redis with TLS and an AUTH token; services that `use` it get {}",
            injected(gantry_spec::StoreKind::Redis, store)
        )];
        let version = database(image)
            .and_then(|(_, t)| t)
            .as_deref()
            .and_then(tag_version);
        if image.contains("valkey") {
            comments.push(d.note(self.file, &format!("{key}.image"), format!("{image}: Gantry runs the Redis engine of ElastiCache (Redis 7.1, wire-compatible with Valkey)")));
        } else {
            match version.as_deref().and_then(|v| v.split('.').next()) {
                Some("7") => {
                    r.set("version", "7.1");
                }
                Some("6") => {
                    r.set("version", "6.2");
                }
                _ => comments.push(d.note(
                    self.file,
                    &format!("{key}.image"),
                    format!("{image}: Gantry's default Redis version (7.1) is used"),
                )),
            }
        }
        if let Some(c) = svc.get("command") {
            comments.push(d.note(self.file, &format!("{key}.command"), format!("`{}` not converted: ElastiCache manages the server's configuration (persistence, password); change settings in a parameter group", input::show(c))));
        }
        self.database_leftovers(d, &key, svc, &mut comments, &["image", "command"]);
        d.redis.set(store, r).comments = comments;
        d.converted
            .push(format!("redis {store} (compose service {name})"));
    }

    /// Ports, volumes, health checks of a database container: AWS runs the
    /// database, so they go; anything unusual gets a note.
    fn database_leftovers(
        &self,
        d: &mut Draft,
        key: &str,
        svc: &J,
        comments: &mut Vec<String>,
        handled: &[&str],
    ) {
        let mut dropped = Vec::new();
        for k in map(svc).keys() {
            if handled.contains(&k.as_str()) || SILENT.contains(&k.as_str()) {
                continue;
            }
            match k.as_str() {
                "ports" | "expose" | "healthcheck" | "volumes" | "deploy" | "environment" => {
                    dropped.push(k.as_str())
                }
                other => comments.push(d.note(
                    self.file,
                    &format!("{key}.{other}"),
                    format!(
                        "{} has no equivalent for a managed database",
                        input::show(&svc[other])
                    ),
                )),
            }
        }
        if !dropped.is_empty() {
            comments.push(d.note(
                self.file,
                key,
                format!(
                    "the container's {} dropped: AWS runs the database (private endpoint, its own storage and health); move existing data over (pg_dump/pg_restore, redis-cli --rdb) after `gantry up`",
                    dropped.join(", ")
                ),
            ));
        }
    }

    /// Store (and its kind) that a compose service name stands for.
    fn store_of(&self, service: &str) -> Option<(gantry_spec::StoreKind, String)> {
        match self.kinds.get(service)? {
            Kind::Postgres { store } => Some((gantry_spec::StoreKind::Postgres, store.clone())),
            Kind::Redis { store } => Some((gantry_spec::StoreKind::Redis, store.clone())),
            _ => None,
        }
    }

    /// Credentials given to the database containers (their passwords and
    /// users), so an app's copy of them can be recognised and dropped.
    fn database_credentials(&self) -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        for (name, svc) in map(&self.doc["services"]) {
            if !matches!(self.kinds.get(name), Some(Kind::App) | None) {
                let store = self.store_of(name).map(|(_, s)| s);
                for (k, v) in Self::environment(&svc["environment"]) {
                    if k.contains("PASSWORD") {
                        if let Some(v) = v.filter(|v| v.len() >= 4) {
                            out.push((v, store.clone()));
                        }
                    }
                }
            }
        }
        out
    }

    fn app(&mut self, d: &mut Draft, name: &str, svc: &J) {
        let sname = self.gantry_name[name].clone();
        let key = format!("services.{name}");
        let file = self.file;
        let mut s = Map::new();
        let mut c = Map::new();
        let mut svc_comments: Vec<String> = Vec::new();
        if sname != name {
            svc_comments.push(format!("compose service `{name}`"));
        }
        let m = map(svc);

        // Image or build.
        let build = m.get("build");
        match (m.get("image").and_then(J::as_str), build) {
            (_, Some(b)) => {
                let (context, dockerfile) = match b {
                    J::String(s) => (s.clone(), None),
                    other => (
                        other
                            .get("context")
                            .and_then(J::as_str)
                            .unwrap_or(".")
                            .to_string(),
                        other
                            .get("dockerfile")
                            .and_then(J::as_str)
                            .map(str::to_string),
                    ),
                };
                let e = c.set("build", crate::join_path(&self.opts.base, &context));
                if let Some(df) = dockerfile.filter(|f| {
                    !["Dockerfile", "./Dockerfile", "Containerfile"].contains(&f.as_str())
                }) {
                    e.comment(d.note(file, &format!("{key}.build.dockerfile"), format!("`{df}`: `gantry deploy --build` builds the `Dockerfile` (or `Containerfile`) at the root of the context; move or link it there")));
                }
                for extra in [
                    "args",
                    "target",
                    "secrets",
                    "ssh",
                    "cache_from",
                    "platforms",
                ] {
                    if let Some(v) = b.get(extra) {
                        e.comment(d.note(file, &format!("{key}.build.{extra}"), format!("{} not converted: Gantry builds with the context and Dockerfile only; put defaults in the Dockerfile (ARG ... =value)", input::show(v))));
                    }
                }
                if let Some(img) = m.get("image") {
                    e.comment(format!("`image: {}` was the tag compose gave the build; Gantry tags builds with the git commit in the stack's own ECR repository", input::show(img)));
                }
            }
            (Some(img), None) => {
                let (img, comment) = interpolate(img);
                let e = c.set("image", img.as_str());
                if let Some(cm) = comment {
                    e.comment(d.note(file, &format!("{key}.image"), cm));
                }
            }
            (None, None) => {
                c.set("image", "REPLACE-ME");
                svc_comments.push(d.note(file, &key, "neither `image` nor `build`: set the image"));
            }
        }

        // Command and entrypoint.
        if let Some(cmd) = m.get("command") {
            if let Some(w) = input::words(cmd) {
                c.set("command", w);
            }
        }
        if let Some(ep) = m.get("entrypoint") {
            c.comment(d.note(file, &format!("{key}.entrypoint"), format!("`{}` not converted: Gantry cannot override the image's entrypoint; set ENTRYPOINT in the Dockerfile, or put the whole command line in `command` over an image without one", input::show(ep))));
        }

        // Ports.
        let mut published = None;
        let mut ports: Vec<(u64, bool)> = Vec::new();
        for p in m.get("ports").and_then(J::as_array).into_iter().flatten() {
            if let Some((target, is_published)) = port(p) {
                ports.push((target, is_published));
            }
        }
        for p in m.get("expose").and_then(J::as_array).into_iter().flatten() {
            if let Some(t) = text(p).and_then(|s| s.split('/').next().and_then(|x| x.parse().ok()))
            {
                ports.push((t, false));
            }
        }
        if let Some(&(first, pubd)) = ports.first() {
            c.set("port", first);
            if pubd {
                published = Some(first);
            }
            if ports.len() > 1 {
                let rest: Vec<String> = ports[1..].iter().map(|(p, _)| p.to_string()).collect();
                c.comment(d.note(file, &format!("{key}.ports"), format!("other ports {} not converted: a Gantry container has one port; split the service, or serve them on one port", rest.join(", "))));
            }
        }

        // Health check (and the health path the load balancer checks).
        let mut health_path = None;
        if let Some(hc) = m.get("healthcheck") {
            let (h, path, comments) =
                health_check(d, file, &format!("{key}.healthcheck"), hc, "test");
            health_path = path;
            if let Some(h) = h {
                c.set("health_check", h).comments = comments;
            } else {
                for cm in comments {
                    c.comment(cm);
                }
            }
        }

        // Route: the first service publishing an HTTP-looking port.
        if let Some(p) = published.filter(|p| !NOT_HTTP.contains(p)) {
            if self.routed {
                c.comment(d.note(file, &format!("{key}.ports"), format!("published on port {p} in compose, but only the first published service is routed at `/*`; give this container its own route (`routes: [\"/api/*\"]`, or a `host`) to reach it from the internet, or route it on an internal load balancer")));
            } else {
                self.routed = true;
                let e = c.set("routes", Value::List(vec!["/*".into()]));
                e.comment("the first service that published an HTTP port: the public load balancer sends every path here".to_string());
                match health_path {
                    Some(hp) => {
                        c.set("health_path", hp);
                    }
                    None => {
                        c.comment(d.note(file, &format!("{key}.healthcheck"), "the load balancer checks `/` (HTTP 200-399): set `health_path` if the app answers elsewhere"));
                    }
                }
            }
        }

        // depends_on / links: stores become `uses`; other services a note.
        let mut uses: Vec<String> = Vec::new();
        let deps: Vec<String> = match m.get("depends_on") {
            Some(J::Array(a)) => a.iter().filter_map(text).collect(),
            Some(J::Object(o)) => o.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let links: Vec<String> = m
            .get("links")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .filter_map(J::as_str)
            .map(|l| l.split(':').next().unwrap_or(l).to_string())
            .collect();
        let mut app_deps = Vec::new();
        for dep in deps.iter().chain(&links) {
            match self.kinds.get(dep) {
                Some(Kind::Postgres { store } | Kind::Redis { store }) => {
                    push_unique(&mut uses, store)
                }
                Some(Kind::App) => push_unique(&mut app_deps, dep),
                _ => {}
            }
        }
        if !app_deps.is_empty() {
            svc_comments.push(d.note(file, &format!("{key}.depends_on"), format!("{} not converted: separate Gantry services start independently; make the app retry until they answer", app_deps.join(", "))));
        }

        // Environment: database wiring is dropped (Gantry injects it),
        // other services' host names get a note.
        let credentials = self.database_credentials();
        let mut env = Map::new();
        for (k, v) in Self::environment(m.get("environment").unwrap_or(&J::Null)) {
            if !names::valid_env_name(&k) {
                env.comment(d.note(file, &format!("{key}.environment.{k}"), "not converted: a variable name is letters, digits and `_`; rename it (many frameworks read an upper-case form too)"));
                continue;
            }
            let Some(v) = v else {
                env.comment(d.note(file, &format!("{key}.environment.{k}"), "passed through from the host's environment in compose: give it a value here, or make it a secret (`secrets:` and `uses`)"));
                continue;
            };
            let mut named_stores = Vec::new();
            let mut named_apps = Vec::new();
            let mut named_other = Vec::new();
            for other in map(&self.doc["services"]).keys() {
                if other != name && mentions_host(&v, other) {
                    match self.store_of(other) {
                        Some((_, store)) => named_stores.push(store),
                        None if matches!(self.kinds.get(other), Some(Kind::App)) => {
                            named_apps.push(other.clone())
                        }
                        None => named_other.push(other.clone()),
                    }
                }
            }
            let copied: Vec<Option<String>> = credentials
                .iter()
                .filter(|(cr, _)| v.contains(cr.as_str()))
                .map(|(_, st)| st.clone())
                .collect();
            if !named_stores.is_empty() || !copied.is_empty() {
                for st in copied.iter().flatten() {
                    push_unique(&mut named_stores, st);
                }
                for st in &named_stores {
                    push_unique(&mut uses, st);
                }
                let stores = named_stores.clone();
                let vars = if stores.is_empty() {
                    "the database's address and password to the services that `use` it".to_string()
                } else {
                    stores
                        .iter()
                        .map(|s| self.injected_for(s))
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                env.comment(d.note(
                    file,
                    &format!("{key}.environment.{k}"),
                    format!("dropped (a database address or credentials): Gantry injects {vars}; build the value from those at start-up"),
                ));
                continue;
            }
            let (v, cm) = interpolate(&v);
            let e = env.set(&k, v.as_str());
            if let Some(cm) = cm {
                e.comment(d.note(file, &format!("{key}.environment.{k}"), cm));
            }
            if !named_apps.is_empty() {
                e.comment(d.note(file, &format!("{key}.environment.{k}"), format!("names the compose service {}, which does not resolve on AWS: route that service on an internal load balancer (`load_balancers: {{internal: {{public: false}}}}`, `routes: [{{path: \"/*\", lb: internal}}]`) and use the injected LB_INTERNAL_HOST", named_apps.join(", "))));
            }
            if !named_other.is_empty() {
                e.comment(d.note(
                    file,
                    &format!("{key}.environment.{k}"),
                    format!(
                        "names {}, which is not converted (see its comment)",
                        named_other.join(", ")
                    ),
                ));
            }
        }
        // A variable Gantry would inject for a used store may not be set.
        let injected: BTreeSet<String> = uses
            .iter()
            .flat_map(|u| {
                self.store_of_name(u)
                    .map(|k| gantry_spec::injected_vars(k, u))
                    .unwrap_or_default()
            })
            .collect();
        let clashing: Vec<String> = env
            .keys()
            .filter(|k| injected.contains(*k))
            .map(str::to_string)
            .collect();
        for k in clashing {
            let c = d.note(
                file,
                &format!("{key}.environment.{k}"),
                "dropped: Gantry injects this variable for a store the service uses",
            );
            if let Some(e) = env.entry(&k) {
                e.value = None;
                e.comments = vec![c];
            }
        }
        if let Some(ef) = m.get("env_file") {
            env.comment(d.note(file, &format!("{key}.env_file"), format!("{} not converted: copy its plain variables here and turn its secrets into `secrets:` (values set with `gantry secret set NAME`)", input::show(ef))));
        }
        if !env.entries.is_empty() {
            c.set("environment", env);
        }

        // Volumes and secrets.
        let mut mounts = Map::new();
        for v in m.get("volumes").and_then(J::as_array).into_iter().flatten() {
            self.volume(d, &key, v, &mut mounts, &mut uses);
        }
        if let Some(J::Array(secrets)) = m.get("secrets") {
            for sec in secrets {
                let src = match sec {
                    J::String(s) => s.clone(),
                    other => other
                        .get("source")
                        .and_then(J::as_str)
                        .unwrap_or("")
                        .to_string(),
                };
                if src.is_empty() {
                    continue;
                }
                let gname = match self.secrets_declared.get(&src) {
                    Some(n) => n.clone(),
                    None => {
                        let n = d.stores.claim(&src, "secret");
                        let cm = d.note(file, &format!("secrets.{src}"), format!("from the compose secret `{src}`: set its value with `gantry secret set {n} < FILE`; Gantry injects it as the variable {} instead of the file /run/secrets/{src}", names::env_var(&n)));
                        d.secrets.set(&n, Map::new()).comment(cm);
                        self.secrets_declared.insert(src.clone(), n.clone());
                        n
                    }
                };
                push_unique(&mut uses, &gname);
            }
        }
        if !mounts.is_empty() {
            c.set("mounts", mounts);
        } else if !mounts.entries.is_empty() {
            for e in mounts.entries {
                for cm in e.comments {
                    c.comment(cm);
                }
            }
        }

        // Everything else on the service.
        let mut size_comment = None;
        let (mut cpu, mut mem, mut count) = (None, None, None);
        if let Some(dep) = m.get("deploy") {
            count = dep.get("replicas").and_then(input::uint);
            let limits = &dep["resources"]["limits"];
            let want_cpu = limits
                .get("cpus")
                .and_then(|v| text(v)?.parse::<f64>().ok())
                .map(|c| (c * 1024.0).ceil() as u64);
            let want_mem = limits.get("memory").and_then(input::mebibytes);
            if want_cpu.is_some() || want_mem.is_some() {
                let (c2, m2) = names::fargate_size(want_cpu, want_mem);
                cpu = Some(c2);
                mem = Some(m2);
                if want_cpu != Some(c2.into()) || want_mem != Some(m2.into()) {
                    size_comment = Some(format!(
                        "deploy.resources.limits (cpus {}, memory {}) rounded up to the nearest Fargate size",
                        limits.get("cpus").map_or("-".to_string(), input::show),
                        limits.get("memory").map_or("-".to_string(), input::show)
                    ));
                }
            }
            for k in map(dep).keys() {
                if ![
                    "replicas",
                    "resources",
                    "restart_policy",
                    "update_config",
                    "rollback_config",
                ]
                .contains(&k.as_str())
                {
                    svc_comments.push(d.note(
                        file,
                        &format!("{key}.deploy.{k}"),
                        format!("{} has no equivalent", input::show(&dep[k])),
                    ));
                }
            }
            if dep["resources"].get("reservations").is_some() {
                svc_comments.push(
                    "deploy.resources.reservations dropped: a Fargate task gets exactly its size"
                        .to_string(),
                );
            }
        }
        if let Some(ro) = m.get("read_only").and_then(input::boolean) {
            c.set("readonly_root_filesystem", ro);
        }
        if let Some(p) = m.get("platform").and_then(J::as_str) {
            if p.contains("arm") {
                svc_comments.push(d.note(file, &format!("{key}.platform"), format!("`{p}`: Gantry runs tasks on X86_64; publish an amd64 (or multi-arch) image")));
            }
        }
        for (k, v) in m {
            let handled = [
                "image",
                "build",
                "command",
                "entrypoint",
                "ports",
                "expose",
                "healthcheck",
                "depends_on",
                "links",
                "environment",
                "env_file",
                "volumes",
                "secrets",
                "deploy",
                "read_only",
                "platform",
            ];
            if handled.contains(&k.as_str()) || SILENT.contains(&k.as_str()) || k.starts_with("x-")
            {
                continue;
            }
            let what = match k.as_str() {
                "logging" => {
                    "Gantry sends every container's output to CloudWatch Logs (`gantry logs`)"
                }
                "profiles" => "every service is deployed; remove the ones only used locally",
                "user" | "working_dir" => "set it in the Dockerfile (USER, WORKDIR)",
                "extra_hosts" | "dns" | "dns_search" => {
                    "the VPC's DNS resolves names; use Route53 private records for your own"
                }
                "tmpfs" => "write to a path in the container's own filesystem, or mount a volume",
                "cap_add" | "cap_drop" | "privileged" | "security_opt" => {
                    "Fargate allows few Linux capabilities; remove the need for it"
                }
                "stop_grace_period" | "stop_signal" => {
                    "ECS sends SIGTERM and waits 30 s before SIGKILL"
                }
                "scale" => "use `desired_count`",
                "init" => "add an init (tini) to the image",
                _ => "no equivalent",
            };
            svc_comments.push(d.note(
                file,
                &format!("{key}.{k}"),
                format!("{} not converted: {what}", input::show(v)),
            ));
        }

        // Assemble in the spec's usual order.
        if let (Some(cpu), Some(mem)) = (cpu, mem) {
            let e = s.set("cpu", cpu);
            if let Some(sc) = size_comment {
                e.comment(sc);
            }
            s.set("memory", mem);
        }
        if let Some(n) = count {
            s.set("desired_count", n);
        }
        if !uses.is_empty() {
            s.set("uses", uses_value(&uses));
        }
        let mut containers = Map::new();
        containers.set("app", c);
        s.set("containers", containers);
        d.services.set(&sname, s).comments = svc_comments;
        d.converted
            .push(format!("service {sname} (compose service {name})"));
    }

    fn store_of_name(&self, store: &str) -> Option<gantry_spec::StoreKind> {
        self.kinds.values().find_map(|k| match k {
            Kind::Postgres { store: s } if s == store => Some(gantry_spec::StoreKind::Postgres),
            Kind::Redis { store: s } if s == store => Some(gantry_spec::StoreKind::Redis),
            _ => None,
        })
    }

    fn injected_for(&self, store: &str) -> String {
        match self.store_of_name(store) {
            Some(k) => injected(k, store),
            None => store.to_string(),
        }
    }

    /// One `volumes:` entry of an app service.
    fn volume(
        &mut self,
        d: &mut Draft,
        key: &str,
        v: &J,
        mounts: &mut Map,
        uses: &mut Vec<String>,
    ) {
        let (kind, source, target, read_only) = match v {
            J::String(s) => {
                let parts: Vec<&str> = s.split(':').collect();
                match parts.as_slice() {
                    [target] => ("volume", String::new(), target.to_string(), false),
                    [src, target] => (vol_kind(src), src.to_string(), target.to_string(), false),
                    [src, target, mode, ..] => (
                        vol_kind(src),
                        src.to_string(),
                        target.to_string(),
                        mode.split(',').any(|m| m == "ro"),
                    ),
                    [] => return,
                }
            }
            other => (
                match other.get("type").and_then(J::as_str) {
                    Some("bind") => "bind",
                    Some("tmpfs") => "tmpfs",
                    Some("volume") | None => "volume",
                    Some(_) => "other",
                },
                other
                    .get("source")
                    .and_then(J::as_str)
                    .unwrap_or("")
                    .to_string(),
                other
                    .get("target")
                    .and_then(J::as_str)
                    .unwrap_or("")
                    .to_string(),
                other
                    .get("read_only")
                    .and_then(input::boolean)
                    .unwrap_or(false),
            ),
        };
        if kind != "volume" || source.is_empty() {
            let why = if source.is_empty() && kind == "volume" {
                "an anonymous volume: the container's own storage is used (lost when the task stops); name it to keep the data on EFS"
            } else if kind == "bind" {
                "a bind mount of a host path: there is no host on Fargate; copy the files into the image, or keep them on a named volume (EFS)"
            } else {
                "not converted: use the container's own filesystem"
            };
            mounts.comment(d.note(
                self.file,
                &format!("{key}.volumes"),
                format!("`{}`: {why}", input::show(v)),
            ));
            return;
        }
        let top = &self.doc["volumes"][&source];
        let gname = match self.volumes_declared.get(&source) {
            Some(n) => n.clone(),
            None => {
                let n = d.stores.claim(&source, "data");
                let mut comments = vec![format!("from the compose volume `{source}`: an EFS file system (encrypted) with an access point (uid/gid 1000, the directory /{n})")];
                if top.get("external").is_some()
                    || top.get("driver").is_some()
                    || top.get("driver_opts").is_some()
                {
                    comments.push(d.note(
                        self.file,
                        &format!("volumes.{source}"),
                        format!(
                            "{} not converted: Gantry creates the file system",
                            input::show(top)
                        ),
                    ));
                }
                d.volumes.set(&n, Map::new()).comments = comments;
                self.volumes_declared.insert(source.clone(), n.clone());
                d.converted
                    .push(format!("volume {n} (compose volume {source})"));
                n
            }
        };
        mounts.set(&gname, target.as_str());
        if read_only {
            if !uses.contains(&gname) {
                uses.push(format!("\u{0}{gname}"));
            }
        } else {
            uses.retain(|u| u != &format!("\u{0}{gname}"));
            push_unique(uses, &gname);
        }
    }
}

/// Read-only `uses` entries are kept as `\0name` until written.
fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

fn vol_kind(src: &str) -> &'static str {
    if src.starts_with(['.', '/', '~', '$']) {
        "bind"
    } else {
        "volume"
    }
}

/// The container port of a `ports:` entry and whether it is published.
fn port(p: &J) -> Option<(u64, bool)> {
    match p {
        J::Number(n) => n.as_u64().map(|n| (n, true)),
        J::String(s) => {
            let s = s.split('/').next().unwrap_or(s);
            let last = s.rsplit(':').next()?;
            let first = last.split('-').next()?;
            Some((first.parse().ok()?, true))
        }
        J::Object(o) => {
            let t = o.get("target").and_then(input::uint)?;
            Some((t, o.get("published").is_some()))
        }
        _ => None,
    }
}

/// True when `host` appears in `value` as a host name: alone, after `//`
/// or `@`, before `:` or `/`.
fn mentions_host(value: &str, host: &str) -> bool {
    let bytes = value.as_bytes();
    let mut start = 0;
    while let Some(i) = value[start..].find(host) {
        let at = start + i;
        let end = at + host.len();
        let before_ok = at == 0 || matches!(bytes[at - 1], b'/' | b'@' | b'=' | b',');
        let after_ok = end == value.len() || matches!(bytes[end], b':' | b'/' | b',' | b'?');
        if before_ok && after_ok {
            return true;
        }
        start = at + 1;
    }
    false
}

/// Compose's `${VAR:-default}` interpolation: the default is used (with a
/// note); `${VAR}` without one is kept as `$VAR`, with a note.
pub(crate) fn interpolate(v: &str) -> (String, Option<String>) {
    let mut out = String::new();
    let mut rest = v;
    let mut unresolved = Vec::new();
    let mut defaulted = false;
    while let Some(i) = rest.find("${") {
        let Some(j) = rest[i..].find('}') else {
            break;
        };
        out.push_str(&rest[..i]);
        let inner = &rest[i + 2..i + j];
        let default = inner
            .find(":-")
            .map(|k| (&inner[..k], &inner[k + 2..]))
            .or_else(|| inner.find('-').map(|k| (&inner[..k], &inner[k + 1..])));
        match default {
            Some((_, def)) => {
                defaulted = true;
                out.push_str(def);
            }
            None => {
                let var = inner.split([':', '?', '+']).next().unwrap_or(inner);
                unresolved.push(var.to_string());
                out.push('$');
                out.push_str(var);
            }
        }
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    if !unresolved.is_empty() {
        let what = format!(
            "`{v}` came from the shell's {} at deploy time: write the value here (a secret belongs in `secrets:`)",
            unresolved.join(", ")
        );
        (out, Some(what))
    } else if defaulted {
        (
            out,
            Some(format!(
                "`{v}`: the default is used; write the value you deploy with"
            )),
        )
    } else {
        (out, None)
    }
}

/// A compose `healthcheck` as the spec's `health_check`, the path of an
/// HTTP probe in it (for the load balancer), and comments.
pub(crate) fn health_check(
    d: &mut Draft,
    file: &str,
    key: &str,
    hc: &J,
    cmd_key: &str,
) -> (Option<Map>, Option<String>, Vec<String>) {
    let mut comments = Vec::new();
    if hc.get("disable").and_then(input::boolean) == Some(true) {
        return (None, None, comments);
    }
    let command: Option<Value> = match hc.get(cmd_key) {
        Some(J::String(s)) => Some(s.as_str().into()),
        Some(J::Array(a)) => {
            let words: Vec<String> = a.iter().filter_map(text).collect();
            match words.first().map(String::as_str) {
                Some("NONE") | None => None,
                Some("CMD-SHELL") => Some(words[1..].join(" ").into()),
                Some("CMD") => Some(Value::from(words[1..].to_vec())),
                Some(_) => Some(Value::from(words)),
            }
        }
        _ => None,
    };
    let Some(command) = command else {
        return (None, None, comments);
    };
    let shown = match &command {
        Value::Str(s) => s.clone(),
        Value::List(l) => l
            .iter()
            .filter_map(|v| {
                if let Value::Str(s) = v {
                    Some(s.as_str())
                } else {
                    None
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    };
    let path = shown
        .split_whitespace()
        .find_map(|w| {
            let w = w.trim_matches(['"', '\'']);
            let rest = w
                .strip_prefix("http://localhost")
                .or_else(|| w.strip_prefix("http://127.0.0.1"))?;
            let rest = rest.trim_start_matches(|c: char| c == ':' || c.is_ascii_digit());
            Some(if rest.is_empty() {
                "/".to_string()
            } else {
                rest.to_string()
            })
        })
        .filter(|p| p.starts_with('/'));
    let mut h = Map::new();
    h.set("command", command);
    for (k, lo, hi) in [
        ("interval", 5, 300),
        ("timeout", 2, 60),
        ("retries", 1, 10),
        ("start_period", 0, 300),
    ] {
        let Some(v) = hc.get(k) else { continue };
        let n = if k == "retries" {
            input::uint(v)
        } else {
            input::seconds(v)
        };
        let Some(n) = n else { continue };
        let clamped = n.clamp(lo, hi);
        if clamped != n {
            comments.push(d.note(
                file,
                &format!("{key}.{k}"),
                format!(
                    "{} is outside ECS's range {lo}-{hi}: {clamped} is used",
                    input::show(v)
                ),
            ));
        }
        h.set(k, clamped);
    }
    (Some(h), path, comments)
}

/// A database name as an SQL identifier.
fn sql_ident(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out = format!("db_{out}");
    }
    out.truncate(63);
    out
}

/// The variables a service using `store` gets, for comments.
pub(crate) fn injected(kind: gantry_spec::StoreKind, store: &str) -> String {
    let vars = gantry_spec::injected_vars(kind, store);
    match kind {
        gantry_spec::StoreKind::Postgres | gantry_spec::StoreKind::Redis => {
            let (secret, plain) = vars.split_last().expect("several");
            format!("{} and the secret {secret}", plain.join(", "))
        }
        _ => vars.join(", "),
    }
}

/// The `uses` list as written: read-only volumes as `{name, access: read}`.
pub(crate) fn uses_value(uses: &[String]) -> Value {
    Value::List(
        uses.iter()
            .map(|u| match u.strip_prefix('\u{0}') {
                Some(n) => {
                    let mut m = Map::new();
                    m.set("name", n);
                    m.set("access", "read");
                    Value::Map(m)
                }
                None => Value::Str(u.clone()),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_images() {
        assert_eq!(
            database("postgres:16-alpine"),
            Some(("postgres", Some("16-alpine".into())))
        );
        assert_eq!(database("docker.io/library/redis"), Some(("redis", None)));
        assert_eq!(
            database("registry:5000/team/mysql:8"),
            Some(("mysql", Some("8".into())))
        );
        assert_eq!(database("nginx:1.27"), None);
        assert_eq!(tag_version("16.2-bookworm").as_deref(), Some("16.2"));
        assert_eq!(tag_version("latest"), None);
    }

    #[test]
    fn hosts_in_values() {
        assert!(mentions_host("postgres://app:pw@db:5432/app", "db"));
        assert!(mentions_host("redis://cache:6379/0", "cache"));
        assert!(mentions_host("db", "db"));
        assert!(!mentions_host("mydb", "db"));
        assert!(!mentions_host("debug", "db"));
        assert!(mentions_host("http://api:8000/v1", "api"));
    }

    #[test]
    fn interpolation() {
        assert_eq!(interpolate("${TAG:-1.2}").0, "1.2");
        assert_eq!(interpolate("plain").1, None);
        assert_eq!(interpolate("${TOKEN}").0, "$TOKEN");
        assert!(interpolate("${TOKEN}").1.is_some());
    }

    #[test]
    fn ports() {
        assert_eq!(
            port(&J::String("127.0.0.1:8080:80/tcp".into())),
            Some((80, true))
        );
        assert_eq!(port(&J::String("3000".into())), Some((3000, true)));
        assert_eq!(
            port(&serde_json::json!({"target": 8000})),
            Some((8000, false))
        );
    }
}
