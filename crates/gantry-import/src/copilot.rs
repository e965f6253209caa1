//! A Copilot workspace becomes a spec.
//!
//! Read: `copilot/.workspace` (the application's name), every
//! `copilot/<name>/manifest.yml` (services and jobs),
//! `copilot/environments/<env>/manifest.yml`, and the CloudFormation
//! addons in `copilot/<name>/addons/` and `copilot/environments/addons/`.
//!
//! - Load Balanced Web, Backend, Worker and Request-Driven Web Services
//!   become services: the main container is named after the service,
//!   sidecars are containers beside it, `http.path` becomes routes on the
//!   public load balancer (Backend Services: on an internal one), aliases
//!   become its hosts and the domain's zone, `variables` the environment,
//!   `secrets` Gantry secrets the service uses (values set with `gantry
//!   secret set`), EFS `storage.volumes` volumes with mounts, and each
//!   `environments:` override the environment's overlay.
//! - Scheduled Jobs, Worker subscriptions, autoscaling ranges, imported VPCs
//!   and certificates, CDNs and everything else without an equivalent stay
//!   as `# import:` comments.
//! - Addon resources: RDS/Aurora PostgreSQL → `postgres`, DynamoDB tables →
//!   `tables` (keys, TTL), S3 buckets → `buckets` (versioning, lifecycle,
//!   CORS), ElastiCache Redis/Valkey → `redis`, generated secrets →
//!   `secrets`; the wiring around them (subnet and parameter groups,
//!   security groups, access policies) is what `uses` derives; any other
//!   resource is a comment. A service's addons are in its `uses`.

use crate::compose::{health_check, injected, interpolate, uses_value};
use crate::draft::Draft;
use crate::input::{self, map, text};
use crate::names;
use crate::yaml::{Map, Value};
use crate::{join_path, parent, read, Import, ImportError, Options};
use gantry_spec::StoreKind;
use serde_json::Value as J;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One source file, with its path relative to the workspace root.
struct Source {
    path: String,
    doc: J,
}

/// The files of a Copilot workspace.
struct Workspace {
    app: Option<String>,
    dir_name: String,
    workloads: Vec<(String, Source)>,
    environments: Vec<(String, Source)>,
    /// Addon templates, with the workload they belong to (`None`: the
    /// environments').
    addons: Vec<(Option<String>, Source)>,
    /// Things read but not converted (pipelines, overrides), as
    /// (path, what).
    other: Vec<(String, String)>,
}

/// Converts the Copilot workspace at `dir` (the directory holding
/// `copilot/`, or `copilot/` itself).
pub fn import_dir(dir: &Path, opts: &Options) -> Result<Import, ImportError> {
    let ws = Workspace::read(dir)?;
    Ok(convert(&ws, opts))
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|e| e == "yml" || e == "yaml")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("addons.parameters"))
        })
        .collect();
    files.sort();
    files
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn manifest(dir: &Path) -> Option<PathBuf> {
    ["manifest.yml", "manifest.yaml"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

impl Workspace {
    fn read(dir: &Path) -> Result<Workspace, ImportError> {
        let (root, cp) = if dir.join("copilot").is_dir() {
            (dir.to_path_buf(), dir.join("copilot"))
        } else if dir.file_name().is_some_and(|n| n == "copilot") && dir.is_dir() {
            (
                dir.parent().map_or(PathBuf::from("."), Path::to_path_buf),
                dir.to_path_buf(),
            )
        } else {
            return Err(ImportError::Invalid(format!(
                "{} has no copilot/ directory: give the directory holding it (the workspace root)",
                dir.display()
            )));
        };
        let rel = |p: &Path| {
            p.strip_prefix(&root)
                .unwrap_or(p)
                .to_string_lossy()
                .into_owned()
        };
        let load = |p: &Path, cfn: bool| -> Result<Source, ImportError> {
            let path = rel(p);
            let text = read(p)?;
            let doc = if cfn {
                input::parse_cfn(&path, &text)?
            } else {
                input::parse(&path, &text)?
            };
            Ok(Source { path, doc })
        };
        let app = match std::fs::read_to_string(cp.join(".workspace")) {
            Ok(t) => input::parse("copilot/.workspace", &t)?
                .get("application")
                .and_then(J::as_str)
                .map(str::to_string),
            Err(_) => None,
        };
        let dir_name = std::fs::canonicalize(&root)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "app".to_string());
        let mut ws = Workspace {
            app,
            dir_name,
            workloads: Vec::new(),
            environments: Vec::new(),
            addons: Vec::new(),
            other: Vec::new(),
        };
        for sub in subdirs(&cp) {
            let name = sub
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match name.as_str() {
                "environments" => {
                    for env in subdirs(&sub) {
                        let ename = env
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        if ename == "addons" {
                            for f in yaml_files(&env) {
                                ws.addons.push((None, load(&f, true)?));
                            }
                        } else if let Some(m) = manifest(&env) {
                            ws.environments.push((ename, load(&m, false)?));
                        }
                    }
                }
                "pipelines" => ws.other.push((
                    rel(&sub),
                    "Copilot pipelines (CodePipeline) not converted: run `gantry deploy --build` (or `--image`) from your CI, such as GitHub Actions".to_string(),
                )),
                n if n.starts_with('.') => {}
                _ => {
                    let Some(m) = manifest(&sub) else { continue };
                    ws.workloads.push((name.clone(), load(&m, false)?));
                    for f in yaml_files(&sub.join("addons")) {
                        ws.addons.push((Some(name.clone()), load(&f, true)?));
                    }
                    if sub.join("overrides").is_dir() {
                        ws.other.push((
                            rel(&sub.join("overrides")),
                            "CDK or YAML-patch overrides of Copilot's CloudFormation not converted: express what they changed in the spec, or open an issue for what it cannot say".to_string(),
                        ));
                    }
                }
            }
        }
        for f in ["pipeline.yml", "buildspec.yml"] {
            if cp.join(f).is_file() {
                ws.other.push((
                    rel(&cp.join(f)),
                    "the Copilot pipeline not converted: run `gantry deploy --build` (or `--image`) from your CI, such as GitHub Actions".to_string(),
                ));
            }
        }
        Ok(ws)
    }
}

/// Load balancers a route can go to.
const MAIN: &str = "main";
const INTERNAL: &str = "internal";

/// (load balancer, service, environment) of an alias.
type HostKey = (String, String, Option<String>);

struct Conv<'a> {
    d: Draft,
    opts: &'a Options,
    app: String,
    /// Copilot environment name → Gantry environment name.
    envs: Vec<(String, String)>,
    /// Stores each workload's addons made, with Copilot's output variables.
    addon_uses: BTreeMap<String, Vec<String>>,
    addon_vars: BTreeMap<String, Vec<(String, Vec<String>)>>,
    /// Hosts (with the file naming them) per (load balancer, service,
    /// environment; `None` for the base).
    hosts: BTreeMap<HostKey, Vec<(String, String)>>,
    lbs_used: Vec<String>,
    /// Copilot secret source → Gantry secret name.
    secrets: BTreeMap<String, String>,
    cidrs: Vec<(String, String, String)>,
    certificates: Vec<(String, String)>,
}

fn convert(ws: &Workspace, opts: &Options) -> Import {
    let app = ws.app.clone().unwrap_or_else(|| ws.dir_name.clone());
    let mut d = Draft::default();
    d.name = names::stack(opts.name.as_deref().unwrap_or(&app));
    d.region = opts.region.clone();
    d.header = vec![
        format!("Imported from the Copilot application `{app}` (copilot/) by `gantry import copilot`."),
        format!(
            "Review every `# {}` comment (settings without an equivalent), then run `gantry validate` and `gantry plan`. See docs/spec.md for every key.",
            crate::draft::MARK
        ),
        "Copilot set COPILOT_APPLICATION_NAME, COPILOT_ENVIRONMENT_NAME, COPILOT_SERVICE_NAME and COPILOT_SERVICE_DISCOVERY_ENDPOINT in every container; Gantry does not: set the ones your code reads in `environment`.".to_string(),
    ];
    d.region_comment = vec!["the AWS region to deploy to (`--region`): Copilot kept each environment's region and account outside the manifests, Gantry deploys every environment of this spec to this region".to_string()];
    let mut envs: Vec<(String, String)> = Vec::new();
    let mut add_env = |name: &str| {
        if !envs.iter().any(|(c, _)| c == name) {
            envs.push((name.to_string(), names::label(name, 16, "env")));
        }
    };
    for (name, _) in &ws.environments {
        add_env(name);
    }
    for (_, w) in &ws.workloads {
        for name in map(&w.doc["environments"]).keys() {
            add_env(name);
        }
    }
    let mut c = Conv {
        d,
        opts,
        app,
        envs,
        addon_uses: BTreeMap::new(),
        addon_vars: BTreeMap::new(),
        hosts: BTreeMap::new(),
        lbs_used: Vec::new(),
        secrets: BTreeMap::new(),
        cidrs: Vec::new(),
        certificates: Vec::new(),
    };
    for (_, ge) in c.envs.clone() {
        c.d.environments.map(&ge);
    }
    for (name, src) in &ws.environments {
        c.environment(name, src);
    }
    for (owner, src) in &ws.addons {
        c.addon(owner.as_deref(), src);
    }
    for (name, src) in &ws.workloads {
        c.workload(name, src);
    }
    for (path, what) in &ws.other {
        let note = c.d.note(path, "", what.clone());
        c.d.services.comment(note);
    }
    c.edge();
    c.network();
    c.d.finish()
}

impl Conv<'_> {
    fn gantry_env(&self, copilot: &str) -> String {
        self.envs
            .iter()
            .find(|(c, _)| c == copilot)
            .map_or_else(|| names::label(copilot, 16, "env"), |(_, g)| g.clone())
    }

    /// Copilot's manifest variables substituted for environment `env`
    /// (Gantry's `dev` for the base); other `${VAR}`s are left for a note.
    fn subst(&self, v: &str, service: &str, env: &str) -> String {
        v.replace("${COPILOT_APPLICATION_NAME}", &self.app)
            .replace("${COPILOT_ENVIRONMENT_NAME}", env)
            .replace("${COPILOT_SERVICE_NAME}", service)
    }

    // ---- environments ------------------------------------------------

    fn environment(&mut self, name: &str, src: &Source) {
        let ge = self.gantry_env(name);
        let file = src.path.as_str();
        let mut overlay_net = Map::new();
        let mut comments = Vec::new();
        self.d
            .converted
            .push(format!("environment {ge} (Copilot environment {name})"));
        for (k, v) in map(&src.doc) {
            match k.as_str() {
                "name" | "type" => {}
                "network" => {
                    for (nk, nv) in map(v) {
                        if nk != "vpc" {
                            comments.push(self.d.note(file, &format!("network.{nk}"), format!("{} has no equivalent", input::show(nv))));
                            continue;
                        }
                        for (vk, vv) in map(nv) {
                            match vk.as_str() {
                                "id" => comments.push(self.d.note(file, "network.vpc.id", format!("imported VPC {} (and its subnets): Gantry builds its own VPC (public, private and data subnets, NAT or endpoints); move the data stores over and retire the old VPC after the switch", input::show(vv)))),
                                "cidr" => {
                                    if let Some(cidr) = vv.as_str() {
                                        self.cidrs.push((ge.clone(), cidr.to_string(), file.to_string()));
                                    }
                                }
                                "subnets" => {
                                    let public = vv["public"].as_array().map_or(0, Vec::len);
                                    let private = vv["private"].as_array().map_or(0, Vec::len);
                                    let azs = public.max(private);
                                    let imported = vv["public"].as_array().into_iter().chain(vv["private"].as_array()).flatten().any(|s| s.get("id").is_some());
                                    if !imported && azs > 0 && azs != 2 {
                                        overlay_net.set("azs", (azs as u64).min(6));
                                    }
                                    if !imported && azs > 0 {
                                        comments.push(format!("network.vpc.subnets: {azs} AZs; Gantry derives the subnets' CIDRs from the VPC's"));
                                    }
                                }
                                "flow_logs" => {
                                    if !matches!(vv, J::Bool(false)) {
                                        overlay_net.set("flow_logs", true);
                                        if vv.is_object() {
                                            comments.push(self.d.note(file, "network.vpc.flow_logs", format!("{}: Gantry keeps flow logs as long as the services' logs (30 days, 90 in production)", input::show(vv))));
                                        }
                                    }
                                }
                                other => comments.push(self.d.note(file, &format!("network.vpc.{other}"), format!("{} has no equivalent: Gantry builds the VPC's security groups from what services use", input::show(vv)))),
                            }
                        }
                    }
                }
                "http" => {
                    for (side, sv) in map(v) {
                        for (hk, hv) in map(sv) {
                            let key = format!("http.{side}.{hk}");
                            match hk.as_str() {
                                "certificates" => {
                                    for cert in hv.as_array().into_iter().flatten().filter_map(J::as_str) {
                                        self.certificates.push((ge.clone(), cert.to_string()));
                                    }
                                    comments.push(self.d.note(file, &key, format!("{}: Gantry requests and validates (DNS) its own ACM certificate for the load balancer's hosts, from the services' aliases; the imported certificate is not used", input::show(hv))));
                                }
                                "ssl_policy" => comments.push(self.d.note(file, &key, format!("{}: Gantry's HTTPS listeners use ELBSecurityPolicy-TLS13-1-2-2021-06 (TLS 1.2 and 1.3)", input::show(hv)))),
                                "access_logs" => comments.push(self.d.note(file, &key, format!("{} not converted: Gantry writes no load balancer access logs yet", input::show(hv)))),
                                "ingress" | "security_groups" => comments.push(self.d.note(file, &key, format!("{} not converted: public load balancers take 80/443 from anywhere behind the WAF; `waf: {{allow_ips: [...]}}` always admits listed addresses, `deny_ips` blocks them", input::show(hv)))),
                                _ => comments.push(self.d.note(file, &key, format!("{} has no equivalent", input::show(hv)))),
                            }
                        }
                    }
                }
                "cdn" => comments.push(self.d.note(file, "cdn", format!("{} not converted: Gantry puts CloudFront only in front of a static site (`site:`, which can forward `/api/*` to the load balancer); the load balancer itself has a WAF", input::show(v)))),
                "observability" => {
                    if v["container_insights"].as_bool() == Some(true) {
                        comments.push("observability.container_insights: Gantry turns Container Insights on for every cluster".to_string());
                    }
                }
                other => comments.push(self.d.note(file, other, format!("{} has no equivalent", input::show(v)))),
            }
        }
        let overlay = self.d.environments.map(&ge);
        if !overlay_net.is_empty() {
            overlay.set("network", overlay_net);
        }
        for cm in comments.into_iter().rev() {
            overlay.entries.insert(
                0,
                crate::yaml::Entry {
                    key: String::new(),
                    value: None,
                    comments: vec![cm],
                },
            );
        }
    }

    /// `network.cidr` when every environment that names one agrees.
    fn network(&mut self) {
        let mut distinct: Vec<&str> = self.cidrs.iter().map(|(_, c, _)| c.as_str()).collect();
        distinct.sort();
        distinct.dedup();
        match distinct.as_slice() {
            [] => {}
            [one] => {
                let envs: Vec<&str> = self.cidrs.iter().map(|(e, _, _)| e.as_str()).collect();
                let one = one.to_string();
                self.d
                    .network
                    .set("cidr", one.as_str())
                    .comment(format!("from the Copilot environments {}", envs.join(", ")));
            }
            _ => {
                let list: Vec<String> = self
                    .cidrs
                    .iter()
                    .map(|(e, c, _)| format!("{e} {c}"))
                    .collect();
                let file = self.cidrs[0].2.clone();
                let n = self.d.note(&file, "network.vpc.cidr", format!("the environments had different VPC CIDRs ({}): one spec has one `network.cidr` (here Gantry's default 10.0.0.0/16); use a spec per environment if the ranges matter (peering, VPN)", list.join(", ")));
                self.d.network.comment(n);
            }
        }
    }

    // ---- addons ------------------------------------------------------

    fn addon(&mut self, owner: Option<&str>, src: &Source) {
        let file = src.path.as_str();
        let resources = map(&src.doc["Resources"]).clone();
        let has_db = resources.values().any(|r| {
            r["Type"]
                .as_str()
                .is_some_and(|t| t.starts_with("AWS::RDS::DB"))
        });
        // Template parameters with a default, for `!Ref` to them.
        let params: BTreeMap<String, J> = map(&src.doc["Parameters"])
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.get("Default")?.clone())))
            .collect();
        let mut absorbed = Vec::new();
        let mut made: Vec<(String, StoreKind)> = Vec::new();
        for (lid, r) in &resources {
            let ty = r["Type"].as_str().unwrap_or("");
            let p = &r["Properties"];
            let key = format!("Resources.{lid}");
            let origin = format!("from {file} ({lid}, {ty})");
            match ty {
                "AWS::DynamoDB::Table" => {
                    if let Some(n) = self.table(file, &key, lid, p, &origin) {
                        made.push((n, StoreKind::Table));
                    }
                }
                "AWS::S3::Bucket" => {
                    let n = self.bucket(file, &key, lid, p, &origin);
                    made.push((n, StoreKind::Bucket));
                }
                "AWS::RDS::DBCluster" | "AWS::RDS::DBInstance" => {
                    if ty == "AWS::RDS::DBInstance" && p.get("DBClusterIdentifier").is_some() {
                        absorbed.push(lid.clone());
                        continue;
                    }
                    if let Some(n) = self.database(file, &key, lid, ty, p, &origin, &params) {
                        made.push((n, StoreKind::Postgres));
                    }
                }
                "AWS::ElastiCache::ReplicationGroup"
                | "AWS::ElastiCache::CacheCluster"
                | "AWS::ElastiCache::ServerlessCache" => {
                    if let Some(n) = self.cache(file, &key, lid, ty, p, &origin) {
                        made.push((n, StoreKind::Redis));
                    }
                }
                "AWS::SecretsManager::Secret" if !has_db => {
                    let n = self
                        .d
                        .stores
                        .claim(strip_suffix(lid, &["Secret"]), "secret");
                    let mut s = Map::new();
                    let mut comments = vec![origin.clone()];
                    if let Some(g) = p.get("GenerateSecretString") {
                        let len = g
                            .get("PasswordLength")
                            .and_then(input::uint)
                            .unwrap_or(32)
                            .clamp(8, 4096);
                        s.set("generate", len);
                        if g.get("ExcludePunctuation").and_then(input::boolean) == Some(true) {
                            s.set("no_punctuation", true);
                        }
                    } else {
                        comments.push(self.d.note(
                            file,
                            &key,
                            format!(
                                "set its value with `gantry secret set {n}` in each environment"
                            ),
                        ));
                    }
                    self.d.secrets.set(&n, s).comments = comments;
                    made.push((n, StoreKind::Secret));
                }
                t if is_wiring(t) || t == "AWS::SecretsManager::Secret" => {
                    absorbed.push(lid.clone())
                }
                _ => {
                    let n = self.d.note(file, &key, format!("{ty} not converted: the spec has no equivalent yet; keep it in a CloudFormation stack of its own and give the services access with `policy:`"));
                    self.d.services.comment(n);
                }
            }
        }
        if !absorbed.is_empty() {
            self.d.converted.push(format!("{file}: {} (security groups, subnet and parameter groups, policies, secrets) left to Gantry, which derives them from `uses`", absorbed.join(", ")));
        }
        // Copilot injected the template's outputs as variables.
        let outputs: Vec<String> = map(&src.doc["Outputs"])
            .iter()
            .filter(|(_, o)| {
                // Managed policies were attached to the task role, not injected.
                // Managed policies went to the task role and security
                // groups to the service: neither was a variable.
                let r = o["Value"]["Ref"].as_str().unwrap_or("");
                !resources.get(r).is_some_and(|x| {
                    x["Type"].as_str().is_some_and(|t| {
                        t.starts_with("AWS::IAM::") || t == "AWS::EC2::SecurityGroup"
                    })
                })
            })
            .map(|(k, _)| screaming_snake(k))
            .collect();
        match owner {
            Some(w) => {
                for (n, _) in &made {
                    self.addon_uses
                        .entry(w.to_string())
                        .or_default()
                        .push(n.clone());
                }
                if !outputs.is_empty() {
                    self.addon_vars
                        .entry(w.to_string())
                        .or_default()
                        .push((file.to_string(), outputs));
                }
            }
            None => {
                for (n, kind) in &made {
                    let c = self.d.note(file, n, "an environment addon, shared in Copilot: add it to the `uses` of the services that need it".to_string());
                    let section = self.section(*kind);
                    if let Some(e) = section.entry(n) {
                        e.comment(c);
                    }
                }
            }
        }
    }

    fn section(&mut self, kind: StoreKind) -> &mut Map {
        match kind {
            StoreKind::Postgres => &mut self.d.postgres,
            StoreKind::Redis => &mut self.d.redis,
            StoreKind::Table => &mut self.d.tables,
            StoreKind::Bucket => &mut self.d.buckets,
            StoreKind::Volume => &mut self.d.volumes,
            StoreKind::Secret => &mut self.d.secrets,
            // Addons never make these (email and auth are top-level keys).
            StoreKind::Parameter
            | StoreKind::Queue
            | StoreKind::Topic
            | StoreKind::Email
            | StoreKind::Auth
            | StoreKind::Service => &mut self.d.services,
        }
    }

    fn table(&mut self, file: &str, key: &str, lid: &str, p: &J, origin: &str) -> Option<String> {
        let types: BTreeMap<String, String> = p["AttributeDefinitions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| {
                Some((
                    a["AttributeName"].as_str()?.to_string(),
                    a["AttributeType"].as_str()?.to_string(),
                ))
            })
            .collect();
        let keys: Vec<(String, String)> = p["KeySchema"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| {
                Some((
                    k["KeyType"].as_str()?.to_string(),
                    k["AttributeName"].as_str()?.to_string(),
                ))
            })
            .collect();
        let key_map = |kt: &str| -> Option<Map> {
            let name = &keys.iter().find(|(t, _)| t == kt)?.1;
            let mut m = Map::new();
            m.set("name", name.as_str());
            m.set("type", types.get(name).map_or("S", String::as_str));
            Some(m)
        };
        let Some(hash) = key_map("HASH") else {
            let n = self.d.note(
                file,
                key,
                "a DynamoDB table whose key schema is not literal: add it under `tables:` by hand",
            );
            self.d.services.comment(n);
            return None;
        };
        let name = self
            .d
            .stores
            .claim(strip_suffix(lid, &["Table", "DynamoDBTable"]), "table");
        let mut t = Map::new();
        t.set("hash_key", hash);
        if let Some(r) = key_map("RANGE") {
            t.set("range_key", r);
        }
        let mut comments = vec![format!(
            "{origin}: on demand, encrypted with the stack key, point-in-time recovery on"
        )];
        let ttl = &p["TimeToLiveSpecification"];
        if ttl["Enabled"].as_bool() == Some(true) || ttl["Enabled"].as_str() == Some("true") {
            if let Some(a) = ttl["AttributeName"].as_str() {
                t.set("ttl", a);
            }
        }
        for (k, v) in map(p) {
            let what = match k.as_str() {
                "AttributeDefinitions"
                | "KeySchema"
                | "TimeToLiveSpecification"
                | "TableName"
                | "PointInTimeRecoverySpecification"
                | "SSESpecification"
                | "Tags" => continue,
                "BillingMode" | "ProvisionedThroughput" => {
                    if v.as_str() == Some("PAY_PER_REQUEST") {
                        continue;
                    }
                    "Gantry's tables are on demand".to_string()
                }
                "GlobalSecondaryIndexes" | "LocalSecondaryIndexes" => {
                    let names: Vec<&str> = v
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|i| i["IndexName"].as_str())
                        .collect();
                    format!("indexes {} not converted: the spec has no secondary indexes yet; queries that need them must wait for it or use a table of their own", names.join(", "))
                }
                "StreamSpecification" => {
                    "streams not converted: the spec has no DynamoDB streams yet".to_string()
                }
                _ => format!("{} not converted", input::show(v)),
            };
            comments.push(self.d.note(file, &format!("{key}.Properties.{k}"), what));
        }
        self.d.tables.set(&name, t).comments = comments;
        self.d.converted.push(format!("table {name} ({file})"));
        Some(name)
    }

    fn bucket(&mut self, file: &str, key: &str, lid: &str, p: &J, origin: &str) -> String {
        let name = self
            .d
            .stores
            .claim(strip_suffix(lid, &["Bucket", "S3Bucket"]), "bucket");
        let mut b = Map::new();
        let mut comments = vec![format!("{origin}: public access blocked, encrypted with the stack key; a new, empty bucket (copy the objects over with `aws s3 sync`)")];
        for (k, v) in map(p) {
            match k.as_str() {
                "BucketName"
                | "BucketEncryption"
                | "PublicAccessBlockConfiguration"
                | "OwnershipControls"
                | "Tags" => {}
                "VersioningConfiguration" => {
                    b.set("versioning", v["Status"].as_str() == Some("Enabled"));
                }
                "LifecycleConfiguration" => {
                    let mut rules = Vec::new();
                    for r in v["Rules"].as_array().into_iter().flatten() {
                        let mut m = Map::new();
                        if let Some(pre) = r["Prefix"].as_str().or(r["Filter"]["Prefix"].as_str()) {
                            m.set("prefix", pre);
                        }
                        if let Some(n) = r.get("ExpirationInDays").and_then(input::uint) {
                            m.set("expire_days", n);
                        }
                        let nc = r
                            .get("NoncurrentVersionExpirationInDays")
                            .or(r["NoncurrentVersionExpiration"].get("NoncurrentDays"));
                        if let Some(n) = nc.and_then(input::uint) {
                            m.set("noncurrent_expire_days", n);
                        }
                        let ia = r["Transitions"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .find(|t| t["StorageClass"].as_str() == Some("STANDARD_IA"));
                        if let Some(n) = ia
                            .and_then(|t| t.get("TransitionInDays"))
                            .and_then(input::uint)
                        {
                            m.set("transition_to_ia_days", n.max(30));
                        }
                        if m.keys().any(|k| k != "prefix") {
                            rules.push(Value::Map(m));
                        } else {
                            comments.push(self.d.note(file, &format!("{key}.Properties.LifecycleConfiguration"), format!("rule {} not converted: the spec's lifecycle rules expire objects, old versions, or move them to Standard-IA", input::show(r))));
                        }
                    }
                    if !rules.is_empty() {
                        b.set("lifecycle", Value::List(rules));
                    }
                }
                "CorsConfiguration" => {
                    let mut rules = Vec::new();
                    for r in v["CorsRules"].as_array().into_iter().flatten() {
                        let strings = |k: &str| -> Vec<String> {
                            r[k].as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(text)
                                .collect()
                        };
                        let mut m = Map::new();
                        m.set("origins", strings("AllowedOrigins"));
                        let methods: Vec<String> = strings("AllowedMethods")
                            .into_iter()
                            .filter(|x| {
                                ["GET", "PUT", "POST", "DELETE", "HEAD"].contains(&x.as_str())
                            })
                            .collect();
                        if !methods.is_empty() {
                            m.set("methods", methods);
                        }
                        let headers = strings("AllowedHeaders");
                        if !headers.is_empty() {
                            m.set("headers", headers);
                        }
                        if let Some(n) = r.get("MaxAge").and_then(input::uint) {
                            m.set("max_age", n);
                        }
                        rules.push(Value::Map(m));
                    }
                    if !rules.is_empty() {
                        b.set("cors", Value::List(rules));
                    }
                }
                other => comments.push(self.d.note(
                    file,
                    &format!("{key}.Properties.{other}"),
                    format!("{} not converted", input::show(v)),
                )),
            }
        }
        self.d.buckets.set(&name, b).comments = comments;
        self.d.converted.push(format!("bucket {name} ({file})"));
        name
    }

    #[allow(clippy::too_many_arguments)]
    fn database(
        &mut self,
        file: &str,
        key: &str,
        lid: &str,
        ty: &str,
        p: &J,
        origin: &str,
        params: &BTreeMap<String, J>,
    ) -> Option<String> {
        let engine = p["Engine"].as_str().unwrap_or("");
        if !engine.contains("postgres") {
            let n = self.d.note(file, key, format!("a {ty} with engine `{engine}`: Gantry has PostgreSQL only; keep this database outside the stack and pass its address in `environment` and its password as a secret"));
            self.d.services.comment(n);
            return None;
        }
        let name = self.d.stores.claim(
            strip_suffix(
                lid,
                &["DBCluster", "Cluster", "DBInstance", "Instance", "DB"],
            ),
            "db",
        );
        let mut db = Map::new();
        let mut comments = vec![format!("{origin}: RDS PostgreSQL, private, encrypted, backed up; services that `use` it get {}", injected(StoreKind::Postgres, &name))];
        if let Some(v) = p["EngineVersion"].as_str() {
            let major = v.split('.').next().unwrap_or(v);
            db.set("version", major);
        }
        if ty == "AWS::RDS::DBCluster" {
            comments.push(self.d.note(file, key, "Aurora becomes one RDS PostgreSQL instance (db.t4g.micro; set `instance_class`, and `multi_az` in production); move the data with pg_dump/pg_restore".to_string()));
        }
        for (k, v) in map(p) {
            let resolved = params.get(v["Ref"].as_str().unwrap_or("")).cloned();
            let v = resolved.as_ref().unwrap_or(v);
            match (k.as_str(), v) {
                ("DatabaseName" | "DBName", J::String(s)) => {
                    db.set("database", s.as_str());
                }
                ("MasterUsername", J::String(s))
                    if s.len() <= 16
                        && !["postgres", "rdsadmin", "admin"].contains(&s.as_str()) =>
                {
                    db.set("username", s.as_str());
                }
                ("DBInstanceClass", J::String(s))
                    if s.starts_with("db.") && s != "db.serverless" =>
                {
                    db.set("instance_class", s.as_str());
                }
                ("AllocatedStorage", v) => {
                    if let Some(n) = input::uint(v) {
                        db.set("storage", n.clamp(20, 65536));
                    }
                }
                ("MultiAZ", J::Bool(b)) => {
                    db.set("multi_az", *b);
                }
                ("BackupRetentionPeriod", v) => {
                    if let Some(n) = input::uint(v).filter(|n| (1..=35).contains(n)) {
                        db.set("backup_retention", n);
                    }
                }
                ("DeletionProtection", J::Bool(b)) => {
                    db.set("deletion_protection", *b);
                }
                ("ServerlessV2ScalingConfiguration" | "ScalingConfiguration" | "EngineMode", v) => {
                    comments.push(self.d.note(file, &format!("{key}.Properties.{k}"), format!("{} not converted: RDS PostgreSQL has a fixed instance class; pick one that fits the peak", input::show(v))));
                }
                (
                    "Engine"
                    | "EngineVersion"
                    | "DBSubnetGroupName"
                    | "VpcSecurityGroupIds"
                    | "DBClusterParameterGroupName"
                    | "DBParameterGroupName"
                    | "MasterUsername"
                    | "MasterUserPassword"
                    | "ManageMasterUserPassword"
                    | "MasterUserSecret"
                    | "StorageEncrypted"
                    | "KmsKeyId"
                    | "Port"
                    | "PubliclyAccessible"
                    | "Tags"
                    | "DBClusterIdentifier"
                    | "DBInstanceIdentifier"
                    | "StorageType"
                    | "CopyTagsToSnapshot",
                    _,
                ) => {}
                _ => comments.push(self.d.note(
                    file,
                    &format!("{key}.Properties.{k}"),
                    format!("{} not converted", input::show(v)),
                )),
            }
        }
        self.d.postgres.set(&name, db).comments = comments;
        self.d.converted.push(format!("postgres {name} ({file})"));
        Some(name)
    }

    fn cache(
        &mut self,
        file: &str,
        key: &str,
        lid: &str,
        ty: &str,
        p: &J,
        origin: &str,
    ) -> Option<String> {
        let engine = p["Engine"].as_str().unwrap_or("redis");
        if engine == "memcached" {
            let n = self.d.note(file, key, format!("a memcached {ty}: Gantry has Redis only (`redis:`), which can serve as the cache"));
            self.d.services.comment(n);
            return None;
        }
        let name = self.d.stores.claim(
            strip_suffix(
                lid,
                &[
                    "ReplicationGroup",
                    "CacheCluster",
                    "Cluster",
                    "Cache",
                    "ServerlessCache",
                ],
            ),
            "cache",
        );
        let mut r = Map::new();
        let mut comments = vec![format!(
            "{origin}: ElastiCache Redis with TLS and an AUTH token; services that `use` it get {}",
            injected(StoreKind::Redis, &name)
        )];
        if let Some(nt) = p["CacheNodeType"].as_str() {
            r.set("node_type", nt);
        }
        if let Some(v) = p["EngineVersion"]
            .as_str()
            .or(p["MajorEngineVersion"].as_str())
        {
            let parts: Vec<&str> = v.split('.').take(2).collect();
            if engine == "redis"
                && parts
                    .iter()
                    .all(|x| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit()))
            {
                r.set("version", parts.join("."));
            }
        }
        let replicas = p
            .get("ReplicasPerNodeGroup")
            .and_then(input::uint)
            .or_else(|| {
                p.get("NumCacheClusters")
                    .and_then(input::uint)
                    .map(|n| n.saturating_sub(1))
            });
        if let Some(n) = replicas.filter(|n| *n > 0) {
            r.set("replicas", n.min(5));
        }
        if engine == "valkey" || ty == "AWS::ElastiCache::ServerlessCache" {
            comments.push(self.d.note(file, key, format!("{ty} ({engine}): Gantry runs a Redis OSS replication group (node-based, wire-compatible)")));
        }
        self.d.redis.set(&name, r).comments = comments;
        self.d.converted.push(format!("redis {name} ({file})"));
        Some(name)
    }

    // ---- workloads ---------------------------------------------------

    fn workload(&mut self, name: &str, src: &Source) {
        let m = &src.doc;
        let file = src.path.as_str();
        let ty = m["type"].as_str().unwrap_or("");
        match ty {
            "Load Balanced Web Service"
            | "Backend Service"
            | "Worker Service"
            | "Request-Driven Web Service" => self.service(name, ty, file, m),
            "Scheduled Job" => {
                let image = m["image"]
                    .get("location")
                    .or(m["image"].get("build"))
                    .map_or("-".to_string(), input::show);
                let n = self.d.note(
                    file,
                    "",
                    format!(
                        "the Scheduled Job `{name}` (schedule {}, image {image}{}) not converted: the spec has no jobs yet; until it does, run the image on a schedule with EventBridge Scheduler (ECS RunTask on the stack's cluster and private subnets), or as a service with a loop",
                        m["on"].get("schedule").map_or("-".to_string(), input::show),
                        m.get("command").map_or(String::new(), |c| format!(", command {}", input::show(c))),
                    ),
                );
                self.d.services.comment(n);
            }
            "Static Site" => {
                let n = self.d.note(file, "", format!("the Static Site `{name}` not converted: add `site:` (a private bucket behind CloudFront; `host:` from its alias {}) and publish the files with `gantry site publish DIR`", m["http"].get("alias").map_or("-".to_string(), input::show)));
                self.d.services.comment(n);
            }
            other => {
                let n = self.d.note(
                    file,
                    "type",
                    format!("`{other}` workload `{name}` not converted"),
                );
                self.d.services.comment(n);
            }
        }
    }

    /// The image of a container (`image.build`/`image.location`, or a
    /// sidecar's `image` string), set on `c`.
    fn image(&mut self, file: &str, key: &str, img: &J, c: &mut Map, svc: &str) {
        let build = match img {
            J::String(s) => {
                c.set("image", self.subst(s, svc, "dev"));
                return;
            }
            other => other.get("build"),
        };
        if let Some(b) = build {
            let (context, dockerfile) = match b {
                J::String(df) => (parent(df), Some(df.clone())),
                other => {
                    let df = other["dockerfile"].as_str().map(str::to_string);
                    let ctx = other["context"]
                        .as_str()
                        .map(str::to_string)
                        .or_else(|| df.as_deref().map(parent))
                        .unwrap_or_else(|| ".".to_string());
                    (ctx, df)
                }
            };
            let mut comments = Vec::new();
            if let Some(df) = dockerfile {
                let expected = join_path(&context, "Dockerfile");
                if join_path("", &df) != expected
                    && join_path("", &df) != join_path(&context, "Containerfile")
                {
                    comments.push(self.d.note(file, &format!("{key}.build"), format!("Dockerfile `{df}`: `gantry deploy --build` builds the `Dockerfile` at the root of the context `{context}`; move or link it there")));
                }
            }
            for extra in ["args", "target", "cache_from"] {
                if let Some(v) = b.get(extra) {
                    comments.push(self.d.note(file, &format!("{key}.build.{extra}"), format!("{} not converted: Gantry builds with the context and Dockerfile only; put defaults in the Dockerfile", input::show(v))));
                }
            }
            c.set("build", join_path(&self.opts.base, &context))
                .comments = comments;
        } else if let Some(loc) = img.get("location").and_then(J::as_str) {
            let (v, note) = interpolate(&self.subst(loc, svc, "dev"));
            let e_note = note.map(|n| self.d.note(file, &format!("{key}.location"), n));
            let e = c.set("image", v);
            if let Some(n) = e_note {
                e.comment(n);
            }
        } else {
            let n = self
                .d
                .note(file, key, "neither `build` nor `location`: set the image");
            c.set("image", "REPLACE-ME").comment(n);
        }
        for (k, v) in map(img) {
            match k.as_str() {
                "build" | "location" | "port" | "healthcheck" | "depends_on" => {}
                "credentials" => c.comment(self.d.note(file, &format!("{key}.credentials"), "a private registry's credentials: Gantry pulls public images and ECR images (copy the image into ECR, or use `build:`)")),
                _ => c.comment(self.d.note(file, &format!("{key}.{k}"), format!("{} not converted", input::show(v)))),
            }
        }
    }

    /// Variables of a container: the base values (the `dev` expansion of
    /// Copilot's own variables) and notes.
    fn variables(&mut self, file: &str, key: &str, vars: &J, svc: &str) -> Map {
        let mut env = Map::new();
        for (k, v) in map(vars) {
            if !names::valid_env_name(k) {
                env.comment(self.d.note(
                    file,
                    &format!("{key}.{k}"),
                    "not converted: a variable name is letters, digits and `_`; rename it",
                ));
                continue;
            }
            let Some(raw) = text(v) else {
                env.comment(self.d.note(
                    file,
                    &format!("{key}.{k}"),
                    format!(
                        "{} not converted: Gantry has no CloudFormation imports; write the value",
                        input::show(v)
                    ),
                ));
                continue;
            };
            let (val, note) = interpolate(&self.subst(&raw, svc, "dev"));
            let note = note.map(|n| self.d.note(file, &format!("{key}.{k}"), n));
            let e = env.set(k, val);
            if raw.contains("${COPILOT_ENVIRONMENT_NAME}") {
                e.comment("Copilot substituted the environment's name: `dev` here, each environment's in its overlay".to_string());
            }
            if let Some(n) = note {
                e.comment(n);
            }
        }
        env
    }

    /// Copilot `secrets` → Gantry secrets the service uses.
    fn secrets(&mut self, file: &str, key: &str, secrets: &J, uses: &mut Vec<String>, c: &mut Map) {
        for (var, src) in map(secrets) {
            let (source, what) = match src {
                J::String(s) => (s.clone(), "the SSM parameter"),
                J::Object(o) if o.contains_key("secretsmanager") => (
                    text(&o["secretsmanager"]).unwrap_or_default(),
                    "the Secrets Manager secret",
                ),
                other => {
                    c.comment(self.d.note(file, &format!("{key}.{var}"), format!("{} not converted: make it a secret (`secrets:`) and set its value with `gantry secret set`", input::show(other))));
                    continue;
                }
            };
            let gname = match self.secrets.get(&source) {
                Some(n) => n.clone(),
                None => {
                    let n = self.d.stores.claim(var, "secret");
                    let mut msg = format!("from {what} `{source}` (Copilot secret {var}): set its value in each environment with `gantry -e ENV secret set {n}` (read from stdin)");
                    if what.contains("Secrets Manager")
                        && source.matches(':').count() >= 1
                        && !source.starts_with("arn:")
                    {
                        msg.push_str("; Gantry injects the whole secret, not one JSON key of it");
                    }
                    let note = self.d.note(file, &format!("{key}.{var}"), msg);
                    self.d.secrets.set(&n, Map::new()).comment(note);
                    self.secrets.insert(source.clone(), n.clone());
                    self.d
                        .converted
                        .push(format!("secret {n} ({what} {source})"));
                    n
                }
            };
            let injected_as = names::env_var(&gname);
            if injected_as != *var {
                c.comment(self.d.note(file, &format!("{key}.{var}"), format!("Gantry injects the secret `{gname}` as {injected_as}, not {var}: read that name, or set `{var}` from it at start-up")));
            }
            push_unique(uses, &gname);
        }
    }

    fn service(&mut self, name: &str, ty: &str, file: &str, m: &J) {
        let sname = names::label(name, 32, "svc");
        let cname = sname.clone();
        let mut s = Map::new();
        let mut c = Map::new();
        let mut svc_comments = vec![format!("Copilot {ty} `{name}`")];
        let mut uses: Vec<String> = self.addon_uses.get(name).cloned().unwrap_or_default();
        for (addon, vars) in self.addon_vars.get(name).cloned().unwrap_or_default() {
            let n = self.d.note(file, "addons", format!("Copilot injected {} from {addon}; Gantry injects the variables listed at each store instead: read those", vars.join(", ")));
            svc_comments.push(n);
        }

        // The main container.
        let img = m.get("image").cloned().unwrap_or(J::Null);
        self.image(file, "image", &img, &mut c, name);
        if let Some(cmd) = m.get("command").and_then(input::words) {
            c.set("command", cmd);
        }
        if let Some(ep) = m.get("entrypoint") {
            c.comment(self.d.note(file, "entrypoint", format!("`{}` not converted: Gantry cannot override the image's entrypoint; set ENTRYPOINT in the Dockerfile", input::show(ep))));
        }
        let port = img.get("port").and_then(port_number);
        if let Some(p) = port {
            c.set("port", p);
        }
        if let Some(hc) = img.get("healthcheck") {
            let (h, _, comments) =
                health_check(&mut self.d, file, "image.healthcheck", hc, "command");
            if let Some(h) = h {
                c.set("health_check", h).comments = comments;
            }
        }
        let deps = self.depends_on(file, "image.depends_on", &img["depends_on"], &mut c);
        if !deps.is_empty() {
            c.set("depends_on", deps);
        }
        let env = self.variables(file, "variables", &m["variables"], name);
        let mut secret_comments = Map::new();
        self.secrets(
            file,
            "secrets",
            &m["secrets"],
            &mut uses,
            &mut secret_comments,
        );
        if let Some(ef) = m.get("env_file") {
            c.comment(self.d.note(
                file,
                "env_file",
                format!(
                    "{} not converted: copy its variables into `environment`",
                    input::show(ef)
                ),
            ));
        }
        let mut env = env;
        env.entries.extend(secret_comments.entries);
        if !env.entries.is_empty() {
            c.set("environment", env);
        }

        // Storage: EFS volumes (mounted on the main container), the root
        // filesystem, ephemeral storage.
        let mut volume_names: BTreeMap<String, String> = BTreeMap::new();
        let mut mounts = Map::new();
        let storage = m.get("storage").cloned().unwrap_or(J::Null);
        for (vname, vol) in map(&storage["volumes"]) {
            let key = format!("storage.volumes.{vname}");
            let path = vol["path"].as_str().unwrap_or("/data");
            let read_only = vol
                .get("read_only")
                .and_then(input::boolean)
                .unwrap_or(true);
            let efs = vol.get("efs");
            if efs.is_none() || matches!(efs, Some(J::Bool(false))) {
                mounts.comment(self.d.note(file, &key, format!("a task-local volume at {path}: Gantry has no volumes shared only inside a task; use the container's own filesystem, or an EFS volume")));
                continue;
            }
            let gname = self.d.stores.claim(vname, "data");
            let mut v = Map::new();
            let mut comments = vec![format!("from {file} storage.volumes.{vname}: an EFS file system (encrypted) with an access point")];
            let efs = efs.expect("checked");
            if let (Some(uid), Some(gid)) = (
                efs.get("uid").and_then(input::uint),
                efs.get("gid").and_then(input::uint),
            ) {
                v.set("uid", uid);
                v.set("gid", gid);
            }
            if let Some(id) = efs.get("id") {
                comments.push(self.d.note(file, &format!("{key}.efs.id"), format!("the existing file system {}: Gantry creates a new one; copy the files over (AWS DataSync, or a task mounting both)", input::show(id))));
            }
            self.d.volumes.set(&gname, v).comments = comments;
            self.d
                .converted
                .push(format!("volume {gname} (service {name})"));
            mounts.set(&gname, path);
            volume_names.insert(vname.clone(), gname.clone());
            if read_only {
                push_unique(&mut uses, &format!("\u{0}{gname}"));
            } else {
                uses.retain(|u| u != &format!("\u{0}{gname}"));
                push_unique(&mut uses, &gname);
            }
        }
        if storage.get("readonly_fs").and_then(input::boolean) == Some(true) {
            c.set("readonly_root_filesystem", true);
        }
        if let Some(e) = storage.get("ephemeral") {
            svc_comments.push(self.d.note(
                file,
                "storage.ephemeral",
                format!(
                    "{} GiB not converted: Gantry tasks get Fargate's default 20 GiB",
                    input::show(e)
                ),
            ));
        }
        if !mounts.entries.is_empty() {
            c.set("mounts", mounts);
        }

        // Sidecars.
        let mut containers = Map::new();
        let mut sidecars: Vec<(String, Map)> = Vec::new();
        for (sc_name, sc) in map(&m["sidecars"]) {
            let cn = sidecar_name(sc_name, &cname);
            let key = format!("sidecars.{sc_name}");
            let mut sm = Map::new();
            match sc.get("image") {
                Some(i) => self.image(file, &format!("{key}.image"), i, &mut sm, name),
                None => {
                    let n = self.d.note(file, &key, "no image: set it");
                    sm.set("image", "REPLACE-ME").comment(n);
                }
            }
            if let Some(cmd) = sc.get("command").and_then(input::words) {
                sm.set("command", cmd);
            }
            if let Some(p) = sc.get("port").and_then(port_number) {
                sm.set("port", p);
            }
            if let Some(hc) = sc.get("healthcheck") {
                let (h, _, comments) = health_check(
                    &mut self.d,
                    file,
                    &format!("{key}.healthcheck"),
                    hc,
                    "command",
                );
                if let Some(h) = h {
                    sm.set("health_check", h).comments = comments;
                }
            }
            let deps = self.depends_on(
                file,
                &format!("{key}.depends_on"),
                &sc["depends_on"],
                &mut sm,
            );
            if !deps.is_empty() {
                sm.set("depends_on", deps);
            }
            let mut env = self.variables(file, &format!("{key}.variables"), &sc["variables"], name);
            let mut sc_comments = Map::new();
            self.secrets(
                file,
                &format!("{key}.secrets"),
                &sc["secrets"],
                &mut uses,
                &mut sc_comments,
            );
            env.entries.extend(sc_comments.entries);
            if !env.entries.is_empty() {
                sm.set("environment", env);
            }
            if let Some(false) = sc.get("essential").and_then(input::boolean) {
                sm.set("essential", false);
            }
            let mut smounts = Map::new();
            for mp in sc["mount_points"].as_array().into_iter().flatten() {
                let src_vol = mp["source_volume"].as_str().unwrap_or("");
                match (volume_names.get(src_vol), mp["path"].as_str()) {
                    (Some(g), Some(path)) => {
                        smounts.set(g, path);
                        if mp.get("read_only").and_then(input::boolean) == Some(false) {
                            uses.retain(|u| u != &format!("\u{0}{g}"));
                            push_unique(&mut uses, g);
                        }
                    }
                    _ => smounts.comment(self.d.note(
                        file,
                        &format!("{key}.mount_points"),
                        format!(
                            "{} not converted: only EFS volumes are shared",
                            input::show(mp)
                        ),
                    )),
                }
            }
            if !smounts.entries.is_empty() {
                sm.set("mounts", smounts);
            }
            for (k, v) in map(sc) {
                if ![
                    "image",
                    "command",
                    "port",
                    "healthcheck",
                    "depends_on",
                    "variables",
                    "secrets",
                    "essential",
                    "mount_points",
                ]
                .contains(&k.as_str())
                {
                    sm.comment(self.d.note(
                        file,
                        &format!("{key}.{k}"),
                        format!("{} not converted", input::show(v)),
                    ));
                }
            }
            sidecars.push((cn, sm));
        }

        // Traffic: routes, health path, hosts.
        self.http(
            name,
            ty,
            file,
            m,
            &cname,
            &mut c,
            &mut sidecars,
            &mut svc_comments,
        );

        // Size and count.
        let cpu = m.get("cpu").and_then(input::uint);
        let mem = m.get("memory").and_then(input::uint);
        if cpu.is_some() || mem.is_some() {
            let (c2, m2) = match (cpu, mem) {
                (Some(c), Some(mm)) if names::valid_size(c, mm) => (c as u32, mm as u32),
                _ => names::fargate_size(cpu, mem),
            };
            let e = s.set("cpu", c2);
            if cpu != Some(c2.into()) || mem.is_some_and(|x| x != u64::from(m2)) {
                e.comment(format!(
                    "cpu {} / memory {} rounded up to a Fargate size",
                    cpu.map_or("-".into(), |x| x.to_string()),
                    mem.map_or("-".into(), |x| x.to_string())
                ));
            }
            s.set("memory", m2);
        }
        self.count(file, "count", m.get("count"), &mut s, &mut svc_comments);
        if m.get("exec").and_then(input::boolean) == Some(true) || m["exec"].is_object() {
            s.set("exec", true);
        }
        if let Some(p) = m.get("platform") {
            let shown = input::show(p);
            if shown.contains("arm") || shown.contains("windows") {
                svc_comments.push(self.d.note(file, "platform", format!("{shown}: Gantry runs Linux tasks on X86_64; publish an amd64 (or multi-arch) image")));
            }
        }
        if !uses.is_empty() {
            s.set("uses", uses_value(&uses));
        }

        // Everything else.
        for (k, v) in map(m) {
            let what = match k.as_str() {
                "name" | "type" | "image" | "command" | "entrypoint" | "variables" | "secrets" | "env_file" | "storage" | "sidecars" | "http" | "cpu" | "memory" | "count" | "exec" | "platform" | "environments" | "nlb" => continue,
                "network" => {
                    let mut parts = Vec::new();
                    if v["vpc"]["placement"].as_str() == Some("public") {
                        parts.push("placement public: Gantry runs tasks in private subnets only, without public IPs");
                    }
                    if v["vpc"].get("security_groups").is_some() {
                        parts.push("security_groups: Gantry derives the service's security group from its routes and `uses`");
                    }
                    if v.get("connect").is_some_and(|x| !matches!(x, J::Bool(false))) {
                        parts.push("connect (Service Connect): services call each other through an internal load balancer (`load_balancers: {internal: {public: false}}`, routes with `lb: internal`, LB_INTERNAL_HOST)");
                    }
                    if parts.is_empty() {
                        continue;
                    }
                    svc_comments.push(self.d.note(file, "network", parts.join("; ")));
                    continue;
                }
                "logging" => "a FireLens log router: Gantry sends every container's output to CloudWatch Logs (`gantry logs`); run the router as a sidecar if you need it".to_string(),
                "observability" => "X-Ray tracing: add the ADOT collector as a container and `policy:` for xray:PutTraceSegments".to_string(),
                "taskdef_overrides" => "task definition overrides: express the change in the spec, or open an issue for what it cannot say".to_string(),
                "publish" => "SNS topics: the spec has no topics or queues yet; keep them in a CloudFormation stack of their own and give the service access with `policy:`".to_string(),
                "subscribe" => "the Worker's SNS subscriptions and SQS queue: the spec has no queues yet; keep the queue in a CloudFormation stack of its own, pass its URL in `environment` and allow sqs:ReceiveMessage/DeleteMessage with `policy:`".to_string(),
                "deployment" => "Gantry deploys rolling (100 % / 200 %) with the circuit breaker and rollback; `gantry deploy` follows the rollout".to_string(),
                "tasks" => continue,
                _ => "no equivalent".to_string(),
            };
            svc_comments.push(self.d.note(
                file,
                k,
                format!("{} not converted: {what}", input::show(v)),
            ));
        }

        containers.set(&cname, c);
        for (cn, sm) in sidecars {
            containers.set(&cn, sm);
        }
        s.set("containers", containers);
        self.d.services.set(&sname, s).comments = svc_comments;
        self.d
            .converted
            .push(format!("service {sname} (Copilot {ty} {name})"));

        self.overrides(name, &sname, &cname, file, m);
    }

    /// `depends_on: {container: condition}` as the spec's list.
    fn depends_on(&mut self, file: &str, key: &str, deps: &J, c: &mut Map) -> Vec<String> {
        let mut out = Vec::new();
        for (dep, cond) in map(deps) {
            out.push(names::label(dep, 32, "sidecar"));
            let cond = cond.as_str().unwrap_or("start");
            if cond == "complete" || cond == "success" {
                c.comment(self.d.note(file, &format!("{key}.{dep}"), format!("condition `{cond}`: Gantry waits for the container to start (or be healthy, with a health check), not to exit")));
            }
        }
        out
    }

    /// `count`: a number, Spot, or an autoscaling range.
    fn count(
        &mut self,
        file: &str,
        key: &str,
        count: Option<&J>,
        s: &mut Map,
        comments: &mut Vec<String>,
    ) {
        let Some(count) = count else { return };
        if let Some(n) = input::uint(count) {
            s.set("desired_count", n.min(1000));
            return;
        }
        if let Some(n) = count.get("spot").and_then(input::uint) {
            s.set("capacity", "fargate-spot");
            s.set("desired_count", n);
        }
        if let Some(range) = count.get("range") {
            let (min, max, spot_from) = match range {
                J::String(r) => {
                    let mut it = r.split('-').map(|x| x.trim().parse::<u64>().ok());
                    (it.next().flatten(), it.next().flatten(), None)
                }
                other => (
                    other.get("min").and_then(input::uint),
                    other.get("max").and_then(input::uint),
                    other.get("spot_from").and_then(input::uint),
                ),
            };
            let metrics: Vec<&str> = [
                "cpu_percentage",
                "memory_percentage",
                "requests",
                "response_time",
                "queue_delay",
            ]
            .into_iter()
            .filter(|k| count.get(*k).is_some())
            .collect();
            let n = min.unwrap_or(1);
            let c = self.d.note(
                file,
                &format!("{key}.range"),
                format!(
                    "autoscaling {}-{} on {}: the spec has no autoscaling yet (`scaling:` is planned); desired_count is the range's minimum: raise it to what your steady load needs",
                    min.map_or("?".into(), |x| x.to_string()),
                    max.map_or("?".into(), |x| x.to_string()),
                    if metrics.is_empty() { "no metric".to_string() } else { metrics.join(", ") }
                ),
            );
            s.set("desired_count", n).comment(c);
            if let Some(sf) = spot_from {
                comments.push(self.d.note(file, &format!("{key}.range.spot_from"), format!("{sf}: a Gantry service runs on one capacity provider; `capacity: fargate-spot` puts every task on Spot")));
            }
        }
    }

    /// Routes and hosts of a service (`http`, `nlb`), on the main
    /// container or `http.target_container`.
    #[allow(clippy::too_many_arguments)]
    fn http(
        &mut self,
        name: &str,
        ty: &str,
        file: &str,
        m: &J,
        cname: &str,
        c: &mut Map,
        sidecars: &mut [(String, Map)],
        comments: &mut Vec<String>,
    ) {
        if let Some(nlb) = m.get("nlb") {
            comments.push(self.d.note(
                file,
                "nlb",
                format!(
                    "{} not converted: Gantry has Application Load Balancers only (HTTP/HTTPS)",
                    input::show(nlb)
                ),
            ));
        }
        let http = m.get("http").cloned().unwrap_or(J::Null);
        let backend = ty == "Backend Service";
        let port = m["image"].get("port").and_then(port_number);
        if matches!(http, J::Bool(false))
            || (http.is_null()
                && ty != "Load Balanced Web Service"
                && ty != "Request-Driven Web Service")
        {
            if backend && port.is_some() {
                comments.push(self.d.note(file, "http", format!("Copilot reached this Backend Service by service discovery ({name}:{}); Gantry has none: to call it, route it on an internal load balancer (`routes: [{{path: \"/*\", lb: internal}}]`, `load_balancers: {{internal: {{public: false}}}}`) and use LB_INTERNAL_HOST", port.unwrap_or(0))));
            }
            return;
        }
        let lb = if backend { INTERNAL } else { MAIN };
        let target = http["target_container"]
            .as_str()
            .map(|t| names::label(t, 32, "sidecar"));
        let path = http["path"].as_str().unwrap_or("/");
        let mut routes = route_patterns(path, lb);
        for (i, rule) in http["additional_rules"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(p) = rule["path"].as_str() {
                routes.extend(route_patterns(p, lb));
            }
            if rule.get("alias").is_some() || rule.get("target_container").is_some() {
                comments.push(self.d.note(file, &format!("http.additional_rules[{i}]"), "its alias or target container not converted: the rule's path goes to the main route's container"));
            }
        }
        let mut route_comments = Vec::new();
        let mut health_path = None;
        match http.get("healthcheck") {
            Some(J::String(p)) => health_path = Some(p.clone()),
            Some(J::Object(h)) => {
                health_path = h.get("path").and_then(J::as_str).map(str::to_string);
                let rest: Vec<String> = h.keys().filter(|k| *k != "path").cloned().collect();
                if !rest.is_empty() {
                    route_comments.push(self.d.note(file, "http.healthcheck", format!("{} not converted: Gantry's target groups check `health_path` on the traffic port and accept HTTP 200-399", rest.join(", "))));
                }
            }
            _ => {}
        }
        for (k, v) in map(&http) {
            let what = match k.as_str() {
                "path" | "healthcheck" | "alias" | "target_container" | "additional_rules" | "hosted_zone" => continue,
                "target_port" => "the load balancer sends to the container's `port`",
                "deregistration_delay" => "Gantry's target groups drain for 30 s",
                "stickiness" => "Gantry's target groups are not sticky; keep session state in `redis:` or a table",
                "allowed_source_ips" => "public load balancers take traffic from anywhere behind the WAF; `waf: {deny_ips: [...]}` blocks addresses, or use an internal load balancer",
                "redirect_to_https" => {
                    if v.as_bool() != Some(false) {
                        continue;
                    }
                    "with a domain, Gantry always redirects HTTP to HTTPS"
                }
                "version" => {
                    if v.as_str() == Some("http1") {
                        continue;
                    }
                    "Gantry's target groups speak HTTP/1.1"
                }
                _ => "no equivalent",
            };
            route_comments.push(self.d.note(
                file,
                &format!("http.{k}"),
                format!("{} not converted: {what}", input::show(v)),
            ));
        }
        // Aliases: hosts of the load balancer, base and per environment.
        let base_aliases = aliases(&http["alias"]);
        if !base_aliases.is_empty() {
            if backend {
                route_comments.push(self.d.note(file, "http.alias", format!("{} not converted: Gantry's internal load balancers serve HTTP inside the VPC, without hosts", base_aliases.join(", "))));
            } else {
                let e = self
                    .hosts
                    .entry((lb.to_string(), name.to_string(), None))
                    .or_default();
                for a in base_aliases {
                    e.push((a, file.to_string()));
                }
            }
        }
        for (env, ov) in map(&m["environments"]) {
            let env_aliases = aliases(&ov["http"]["alias"]);
            if !env_aliases.is_empty() && !backend {
                let ge = self.gantry_env(env);
                let e = self
                    .hosts
                    .entry((lb.to_string(), name.to_string(), Some(ge)))
                    .or_default();
                for a in env_aliases {
                    e.push((a, file.to_string()));
                }
            }
        }
        // Which container takes the traffic.
        let target_map: &mut Map = match &target {
            Some(t) if t != cname => match sidecars.iter_mut().find(|(n, _)| n == t) {
                Some((_, sm)) => sm,
                None => {
                    comments.push(self.d.note(file, "http.target_container", format!("`{t}` is not a sidecar of this service: the main container takes the traffic")));
                    c
                }
            },
            _ => c,
        };
        if !target_map.contains("port") {
            route_comments.push(self.d.note(
                file,
                "image.port",
                "no port: the load balancer needs the container's port; set `port` and the routes",
            ));
            for rc in route_comments {
                target_map.comment(rc);
            }
            return;
        }
        if !self.lbs_used.iter().any(|l| l == lb) {
            self.lbs_used.push(lb.to_string());
        }
        let e = target_map.set("routes", Value::List(routes));
        e.comments = route_comments;
        if backend {
            e.comment("a Backend Service: routed on the internal load balancer, reachable from the VPC only (services get LB_INTERNAL_HOST)".to_string());
        }
        if let Some(hp) = health_path {
            target_map.set("health_path", hp);
        }
    }

    /// The `environments:` overrides of a service, as overlays.
    fn overrides(&mut self, name: &str, sname: &str, cname: &str, file: &str, m: &J) {
        let base_vars = map(&m["variables"]).clone();
        for (ge_copilot, _) in self.envs.clone() {
            let ov = &m["environments"][&ge_copilot];
            let ge = self.gantry_env(&ge_copilot);
            let mut so = Map::new();
            let mut co = Map::new();
            let mut env = Map::new();
            // Copilot's own variables, expanded for this environment.
            for (k, v) in &base_vars {
                if let Some(raw) = text(v).filter(|r| r.contains("${COPILOT_ENVIRONMENT_NAME}")) {
                    let (val, _) = interpolate(&self.subst(&raw, name, &ge_copilot));
                    env.set(k, val);
                }
            }
            let mut comments = Vec::new();
            for (k, v) in map(ov) {
                let key = format!("environments.{ge_copilot}.{k}");
                match k.as_str() {
                    "count" => {
                        let mut cm = Vec::new();
                        self.count(file, &key, Some(v), &mut so, &mut cm);
                        if so.contains("capacity") {
                            so.entries.retain(|e| e.key != "capacity");
                            cm.push(self.d.note(file, &key, "Spot in one environment only: `capacity` cannot be set per environment; set it on the service"));
                        }
                        comments.extend(cm);
                    }
                    "cpu" | "memory" => {
                        if let Some(n) = input::uint(v) {
                            so.set(k, n);
                        }
                    }
                    "variables" => {
                        for (vk, vv) in map(v) {
                            match text(vv) {
                                Some(raw) => {
                                    let (val, note) = interpolate(&self.subst(&raw, name, &ge_copilot));
                                    let note = note.map(|n| self.d.note(file, &format!("{key}.{vk}"), n));
                                    let e = env.set(vk, val);
                                    if let Some(n) = note {
                                        e.comment(n);
                                    }
                                }
                                None => env.comment(self.d.note(file, &format!("{key}.{vk}"), format!("{} not converted: write the value", input::show(vv)))),
                            }
                        }
                    }
                    "image" => {
                        if let Some(loc) = v.get("location").and_then(J::as_str) {
                            co.set("image", self.subst(loc, name, &ge_copilot));
                        }
                        for ik in map(v).keys().filter(|k| *k != "location") {
                            comments.push(self.d.note(file, &format!("{key}.{ik}"), format!("{} not converted: only the image itself can change per environment", input::show(&v[ik]))));
                        }
                    }
                    "http" => {
                        for hk in map(v).keys().filter(|k| *k != "alias") {
                            comments.push(self.d.note(file, &format!("{key}.{hk}"), format!("{} not converted: routes are the same in every environment", input::show(&v[hk]))));
                        }
                    }
                    "exec" => {}
                    _ => comments.push(self.d.note(file, &key, format!("{} not converted: an environment can change the count, size, image and variables", input::show(v)))),
                }
            }
            if !env.entries.is_empty() {
                co.set("environment", env);
            }
            let mut cs = Map::new();
            if !co.entries.is_empty() {
                cs.set(cname, co);
            }
            for (sc_name, sc) in map(&m["sidecars"]) {
                let mut senv = Map::new();
                for (k, v) in map(&sc["variables"]) {
                    if let Some(raw) = text(v).filter(|r| r.contains("${COPILOT_ENVIRONMENT_NAME}"))
                    {
                        let (val, _) = interpolate(&self.subst(&raw, name, &ge_copilot));
                        senv.set(k, val);
                    }
                }
                if !senv.entries.is_empty() {
                    cs.map(&sidecar_name(sc_name, cname))
                        .set("environment", senv);
                }
            }
            if !cs.entries.is_empty() {
                so.set("containers", cs);
            }
            if so.entries.is_empty() && comments.is_empty() {
                continue;
            }
            let overlay = self.d.environments.map(&ge);
            let services = overlay.map("services");
            let e = services.set(sname, so);
            e.comments = comments;
        }
    }

    /// `domain:` and `load_balancers:` from the aliases and the routes.
    fn edge(&mut self) {
        let all: Vec<(String, String)> = self.hosts.values().flatten().cloned().collect();
        let mut zone = None;
        if !all.is_empty() {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for (h, _) in &all {
                *counts.entry(zone_of(h)).or_default() += 1;
            }
            let z = counts
                .iter()
                .max_by_key(|(z, n)| (**n, std::cmp::Reverse((*z).clone())))
                .map(|(z, _)| z.clone())
                .expect("hosts");
            self.d.domain.set("zone", z.as_str()).comment(format!("derived from the services' aliases: the Route53 public hosted zone of {} (it must exist; `create_zone: true` makes Gantry create it). Gantry requests and validates the certificates", z));
            zone = Some(z);
        }
        let in_zone = |h: &str, z: &str| h == z || h.ends_with(&format!(".{z}"));
        let mut lbs = Map::new();
        let need_section = self.lbs_used.iter().any(|l| l == INTERNAL) || zone.is_some();
        if need_section {
            for lb in [MAIN, INTERNAL] {
                let used = self.lbs_used.iter().any(|l| l == lb);
                let base_hosts: Vec<(String, String)> = self
                    .hosts
                    .iter()
                    .filter(|((l, _, e), _)| l == lb && e.is_none())
                    .flat_map(|(_, v)| v.clone())
                    .collect();
                let has_env_hosts = self.hosts.keys().any(|(l, _, e)| l == lb && e.is_some());
                if !used && base_hosts.is_empty() && !has_env_hosts {
                    continue;
                }
                let mut m = Map::new();
                if lb == INTERNAL {
                    m.set("public", false);
                }
                let mut hosts = Vec::new();
                for (h, file) in base_hosts {
                    let z = zone.as_deref().unwrap_or("");
                    if !in_zone(&h, z) {
                        let n = self.d.note(&file, "http.alias", format!("`{h}` is outside the zone {z}: one spec has one zone; give it its own stack or move the name"));
                        m.comment(n);
                    } else if !hosts.contains(&h) {
                        hosts.push(h);
                    }
                }
                if !hosts.is_empty() {
                    m.set("hosts", hosts);
                }
                lbs.set(lb, m);
            }
        }
        // Environment hosts: an overlay replaces the list, so it names
        // every service's hosts (its own override, or the base ones).
        let mut env_hosts: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
        for (lb, _, env) in self.hosts.keys() {
            let Some(env) = env else { continue };
            if env_hosts.contains_key(&(lb.clone(), env.clone())) {
                continue;
            }
            let services: Vec<&String> = self
                .hosts
                .keys()
                .filter(|(l, _, _)| l == lb)
                .map(|(_, s, _)| s)
                .collect();
            let mut hs = Vec::new();
            for svc in services {
                let own = self
                    .hosts
                    .get(&(lb.clone(), svc.clone(), Some(env.clone())));
                let base = self.hosts.get(&(lb.clone(), svc.clone(), None));
                for h in own.or(base).into_iter().flatten() {
                    if !hs.contains(h) {
                        hs.push(h.clone());
                    }
                }
            }
            env_hosts.insert((lb.clone(), env.clone()), hs);
        }
        for ((lb, env), hs) in env_hosts {
            let z = zone.clone().unwrap_or_default();
            let mut hosts = Vec::new();
            let mut comments = Vec::new();
            for (h, file) in hs {
                if !in_zone(&h, &z) {
                    comments.push(self.d.note(&file, &format!("environments.{env}.http.alias"), format!("`{h}` is outside the zone {z}: one spec has one zone; give it its own stack or move the name")));
                } else if !hosts.contains(&h) {
                    hosts.push(h);
                }
            }
            let overlay = self.d.environments.map(&env);
            let lbm = overlay.map("load_balancers").map(&lb);
            lbm.set("hosts", hosts).comments = comments;
        }
        if !self.certificates.is_empty() && zone.is_none() {
            let envs: Vec<String> = self.certificates.iter().map(|(e, _)| e.clone()).collect();
            let n = self.d.note("copilot/environments", "http.public.certificates", format!("certificates imported in {} but no service has an alias: add `domain: {{zone: ...}}` and the load balancer's `hosts` to serve HTTPS", envs.join(", ")));
            self.d.services.comment(n);
        }
        if !lbs.entries.is_empty() {
            self.d.load_balancers = lbs;
        }
    }
}

/// The container name of a sidecar (never the main container's).
fn sidecar_name(sidecar: &str, main: &str) -> String {
    let cn = names::label(sidecar, 32, "sidecar");
    if cn == main {
        format!("{}-sidecar", names::label(sidecar, 24, "sidecar"))
    } else {
        cn
    }
}

/// ALB path patterns for a Copilot `http.path` (`/` → `/*`; `api` → `/api`
/// and `/api/*`), as routes on `lb`.
fn route_patterns(path: &str, lb: &str) -> Vec<Value> {
    let p = path.trim_matches('/');
    let patterns = if p.is_empty() || p == "*" {
        vec!["/*".to_string()]
    } else {
        vec![format!("/{p}"), format!("/{p}/*")]
    };
    patterns
        .into_iter()
        .map(|pat| {
            if lb == MAIN {
                Value::Str(pat)
            } else {
                let mut m = Map::new();
                m.set("path", pat);
                m.set("lb", lb);
                Value::Map(m)
            }
        })
        .collect()
}

/// The names in an `alias` (a string, a list of strings or of `{name}`).
fn aliases(v: &J) -> Vec<String> {
    match v {
        J::String(s) => vec![s.to_ascii_lowercase()],
        J::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().or(x["name"].as_str()))
            .map(str::to_ascii_lowercase)
            .collect(),
        _ => Vec::new(),
    }
}

/// The registrable domain of a host (`api.example.com` → `example.com`;
/// `shop.example.co.uk` → `example.co.uk`).
fn zone_of(host: &str) -> String {
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    let n = labels.len();
    if n <= 2 {
        return host.to_string();
    }
    let second = labels[n - 2];
    let take = if labels[n - 1].len() == 2
        && ["co", "com", "net", "org", "gov", "ac", "edu"].contains(&second)
    {
        3
    } else {
        2
    };
    labels[n - take.min(n)..].join(".")
}

/// A port written as `8080` or `"8080/tcp"`.
fn port_number(v: &J) -> Option<u64> {
    input::uint(v).or_else(|| v.as_str()?.split('/').next()?.trim().parse().ok())
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// A logical id without a type-like suffix (`ordersTable` → `orders`);
/// the id itself when nothing would be left.
fn strip_suffix<'a>(lid: &'a str, suffixes: &[&str]) -> &'a str {
    for s in suffixes {
        if let Some(rest) = lid.strip_suffix(s) {
            if !rest.is_empty() {
                return rest;
            }
        }
    }
    lid
}

/// `myTableName` → `MY_TABLE_NAME` (how Copilot named output variables).
fn screaming_snake(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// Resource types that are wiring `uses` derives (network access,
/// policies, subnet and parameter groups).
fn is_wiring(t: &str) -> bool {
    t.starts_with("AWS::IAM::")
        || t.starts_with("AWS::EC2::SecurityGroup")
        || matches!(
            t,
            "AWS::RDS::DBSubnetGroup"
                | "AWS::RDS::DBClusterParameterGroup"
                | "AWS::RDS::DBParameterGroup"
                | "AWS::SecretsManager::SecretTargetAttachment"
                | "AWS::S3::BucketPolicy"
                | "AWS::ElastiCache::SubnetGroup"
                | "AWS::ElastiCache::ParameterGroup"
                | "AWS::ElastiCache::User"
                | "AWS::ElastiCache::UserGroup"
                | "AWS::KMS::Key"
                | "AWS::KMS::Alias"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(zone_of("api.example.com"), "example.com");
        assert_eq!(zone_of("example.com"), "example.com");
        assert_eq!(zone_of("shop.example.co.uk"), "example.co.uk");
        assert_eq!(screaming_snake("itemsTableName"), "ITEMS_TABLE_NAME");
        assert_eq!(strip_suffix("ordersTable", &["Table"]), "orders");
        assert_eq!(strip_suffix("Table", &["Table"]), "Table");
        assert_eq!(route_patterns("/", MAIN), vec![Value::Str("/*".into())]);
        assert_eq!(route_patterns("api", MAIN).len(), 2);
        assert_eq!(port_number(&serde_json::json!("80/tcp")), Some(80));
    }
}
