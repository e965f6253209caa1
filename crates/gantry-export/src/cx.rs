//! The template under construction: logical ids, references turned into
//! intrinsic functions, tags, parameters, notes, and the ordering
//! CloudFormation needs beyond what references give it.

use crate::attrs::{attribute, Attr};
use crate::logical::LogicalIds;
use crate::{ExportError, Note, NoteKind};
use gantry_core::kinds::{self as k, Kind};
use gantry_core::{kind_meta, Address, DesiredGraph, Ref, Resource, StackTags};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What the template is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub stack: String,
    pub env: String,
    /// The spec's region: availability zones, log configurations and
    /// policies name it, so the template deploys there.
    pub region: String,
}

/// CloudFront's certificates and web ACLs live here.
pub(crate) const GLOBAL_REGION: &str = "us-east-1";

pub(crate) struct Cx<'g> {
    pub graph: &'g DesiredGraph,
    pub ctx: &'g Context,
    /// The address being mapped (for errors and notes).
    pub current: Address,
    ids: LogicalIds,
    resources: Map<String, Value>,
    parameters: Map<String, Value>,
    notes: Vec<Note>,
    /// Logical ids each address became, primary first.
    emitted: BTreeMap<Address, Vec<String>>,
}

impl<'g> Cx<'g> {
    pub fn new(graph: &'g DesiredGraph, ctx: &'g Context) -> Self {
        Cx {
            graph,
            ctx,
            current: Address::new(""),
            ids: LogicalIds::new(graph),
            resources: Map::new(),
            parameters: Map::new(),
            notes: Vec::new(),
            emitted: BTreeMap::new(),
        }
    }

    /// The typed properties of `r`.
    pub fn props<T: Kind>(&self, r: &Resource) -> Result<T, ExportError> {
        serde_json::from_value(Value::Object(r.props.clone())).map_err(|e| ExportError::Props {
            address: r.address.clone(),
            kind: r.kind.clone(),
            message: e.to_string(),
        })
    }

    pub fn id(&mut self, address: &Address) -> String {
        self.ids.primary(address)
    }

    pub fn extra_id(&mut self, address: &Address, suffix: &str) -> String {
        self.ids.extra(address, suffix)
    }

    /// Adds a resource for `r` (`suffix` names an extra one) and returns
    /// its logical id. `None` properties are left out.
    pub fn add(&mut self, r: &Resource, suffix: Option<&str>, ty: &str, props: Value) -> String {
        let id = match suffix {
            Some(s) => self.extra_id(&r.address, s),
            None => self.id(&r.address),
        };
        let ids = self.emitted.entry(r.address.clone()).or_default();
        if suffix.is_none() {
            ids.insert(0, id.clone());
        } else {
            ids.push(id.clone());
        }
        self.resources
            .insert(id.clone(), json!({"Type": ty, "Properties": prune(props)}));
        id
    }

    /// Adds `dep` to the `DependsOn` of resource `id`.
    pub fn depend(&mut self, id: &str, dep: &str) {
        if id == dep {
            return;
        }
        let Some(res) = self.resources.get_mut(id) else {
            return;
        };
        let list = res
            .as_object_mut()
            .expect("resources are objects")
            .entry("DependsOn")
            .or_insert_with(|| json!([]));
        let list = list.as_array_mut().expect("DependsOn is a list");
        if !list.iter().any(|d| d == dep) {
            list.push(json!(dep));
            list.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        }
    }

    /// Declares a template Parameter standing for address `r` (its primary
    /// id), with a note saying what to pass.
    pub fn parameter(&mut self, r: &Resource, param: Value, note: String) {
        let id = self.id(&r.address);
        self.parameters.insert(id, param);
        self.note(&r.address, NoteKind::Parameter, note);
    }

    pub fn note(&mut self, address: &Address, kind: NoteKind, message: impl Into<String>) {
        self.notes.push(Note {
            address: address.clone(),
            kind,
            message: message.into(),
        });
    }

    /// A string property: itself, or the intrinsic its reference becomes.
    pub fn s(&mut self, s: &str) -> Result<Value, ExportError> {
        match Ref::parse(s) {
            Some(r) => self.reference(&r),
            None => Ok(Value::String(s.to_string())),
        }
    }

    pub fn list(&mut self, items: &[String]) -> Result<Value, ExportError> {
        items
            .iter()
            .map(|s| self.s(s))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array)
    }

    /// Any JSON (a policy document), references inside it resolved.
    pub fn json(&mut self, v: &Value) -> Result<Value, ExportError> {
        Ok(match v {
            Value::String(s) => self.s(s)?,
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|x| self.json(x))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(key, x)| Ok((key.clone(), self.json(x)?)))
                    .collect::<Result<_, ExportError>>()?,
            ),
            other => other.clone(),
        })
    }

    /// `v` (with references) as a JSON string: plain when it has none,
    /// else an `Fn::Join` of its text around each reference's intrinsic.
    pub fn json_string(&mut self, v: &Value) -> Result<Value, ExportError> {
        // Each reference becomes a marker no JSON text contains, then the
        // serialized text is split at the markers.
        fn mark(v: &Value, refs: &mut Vec<String>) -> Value {
            match v {
                Value::String(s) if Ref::parse(s).is_some() => {
                    refs.push(s.clone());
                    Value::String(format!("\u{1}{}\u{1}", refs.len() - 1))
                }
                Value::Array(a) => Value::Array(a.iter().map(|x| mark(x, refs)).collect()),
                Value::Object(m) => {
                    Value::Object(m.iter().map(|(k, x)| (k.clone(), mark(x, refs))).collect())
                }
                other => other.clone(),
            }
        }
        let mut refs = Vec::new();
        let text = mark(v, &mut refs).to_string();
        let mut parts = Vec::new();
        // serde_json escapes the control character as `\u0001`.
        for (i, piece) in text.split("\\u0001").enumerate() {
            if i % 2 == 0 {
                parts.push(Value::String(piece.to_string()));
            } else {
                let n: usize = piece.parse().expect("a marker's index");
                parts.push(self.s(&refs[n])?);
            }
        }
        Ok(self.concat(parts))
    }

    /// `parts` joined: a plain string when none is an intrinsic.
    pub fn concat(&self, parts: Vec<Value>) -> Value {
        if parts.iter().all(Value::is_string) {
            return Value::String(parts.iter().filter_map(Value::as_str).collect());
        }
        json!({"Fn::Join": ["", parts]})
    }

    /// The intrinsic for one reference.
    pub fn reference(&mut self, r: &Ref) -> Result<Value, ExportError> {
        let target = self
            .graph
            .get(&r.address)
            .ok_or_else(|| ExportError::Dangling {
                from: self.current.clone(),
                to: r.address.clone(),
            })?;
        let unknown = || ExportError::UnknownAttribute {
            address: r.address.clone(),
            kind: target.kind.clone(),
            attr: r.attr.clone(),
        };
        // Folded into the certificate: its ARN is the certificate's.
        if target.kind == k::ACM_CERTIFICATE_VALIDATION {
            return match r.attr.as_str() {
                "certificate_arn" | "id" => {
                    let arn = target.props.get("certificate_arn").and_then(Value::as_str);
                    self.s(arn.ok_or_else(unknown)?)
                }
                _ => Err(unknown()),
            };
        }
        // A task definition's family ARN (what a job's triggers run: its
        // newest revision) has no attribute of its own: the revision's ARN
        // (`Ref`) without its `:N`, so the trigger still follows the
        // registration.
        if target.kind == k::ECS_TASK_DEFINITION
            && matches!(r.attr.as_str(), "family_arn" | "any_revision_arn")
        {
            let id = self.id(&r.address);
            let mut parts: Vec<Value> = (0..6)
                .map(|i| json!({"Fn::Select": [i, {"Fn::Split": [":", {"Ref": id}]}]}))
                .collect();
            if r.attr == "any_revision_arn" {
                parts.push(json!("*"));
            }
            return Ok(json!({"Fn::Join": [":", parts]}));
        }
        // A kind the exporter does not map yet is not in the template: what
        // the template's resources need of it is passed in.
        if crate::kinds::NOT_YET.contains(&target.kind.as_str()) {
            let attr: String = r
                .attr
                .split('_')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect();
            let id = format!("{}{attr}", self.id(&r.address));
            if !self.parameters.contains_key(&id) {
                self.parameters.insert(
                    id.clone(),
                    json!({
                        "Type": "String",
                        "Description": format!("The {} of {}, which this template does not create", r.attr, r.address),
                    }),
                );
                let (address, attr) = (r.address.clone(), r.attr.clone());
                self.note(
                    &address,
                    NoteKind::Parameter,
                    format!("parameter {id}: the {attr} of {address}, which `gantry up` creates and this template does not yet"),
                );
            }
            return Ok(json!({"Ref": id}));
        }
        if let Some(attrs) = parameter_attrs(target, self.ctx) {
            if !attrs.contains(&r.attr.as_str()) {
                return Err(unknown());
            }
            return Ok(json!({"Ref": self.id(&r.address)}));
        }
        let id = self.id(&r.address);
        Ok(
            match attribute(&target.kind, &r.attr).ok_or_else(unknown)? {
                Attr::Ref => json!({"Ref": id}),
                Attr::GetAtt(a) => json!({"Fn::GetAtt": [id, a]}),
                Attr::Sub(p) => json!({"Fn::Sub": p.replace("{X}", &id)}),
                Attr::Const(c) => json!(c),
            },
        )
    }

    /// The `gantry:*` tags of `r` (with `Name` when given) as a list of
    /// `Key`/`Value` pairs; `None` for kinds Gantry does not tag.
    pub fn tags(&self, r: &Resource, name: Option<&str>) -> Option<Value> {
        let map = self.tag_set(r, name)?;
        Some(Value::Array(
            map.into_iter()
                .map(|(key, v)| json!({"Key": key, "Value": v}))
                .collect(),
        ))
    }

    /// The same tags as a JSON object (API Gateway, SSM).
    pub fn tag_map(&self, r: &Resource, name: Option<&str>) -> Option<Value> {
        let map = self.tag_set(r, name)?;
        Some(Value::Object(
            map.into_iter().map(|(key, v)| (key, json!(v))).collect(),
        ))
    }

    fn tag_set(&self, r: &Resource, name: Option<&str>) -> Option<BTreeMap<String, String>> {
        if !kind_meta(&r.kind).is_some_and(|m| m.taggable) {
            return None;
        }
        let mut t = StackTags {
            stack: self.ctx.stack.clone(),
            env: self.ctx.env.clone(),
            extra: Default::default(),
        }
        .for_address(&r.address);
        if let Some(n) = name {
            t.insert("Name".to_string(), n.to_string());
        }
        Some(t)
    }

    /// `DependsOn` for what references do not order: each address's
    /// `depends_on` (every resource it became); an ECS service after the
    /// listeners and rules that forward to its target groups (ECS refuses a
    /// target group no listener uses yet); an internet-facing load balancer
    /// and a route through the internet gateway after the gateway is
    /// attached.
    pub fn order(&mut self) {
        let graph = self.graph;
        for r in graph.resources.values() {
            let Some(me) = self
                .emitted
                .get(&r.address)
                .and_then(|v| v.first())
                .cloned()
            else {
                continue;
            };
            let mut deps: BTreeSet<String> = BTreeSet::new();
            for d in &r.depends_on {
                deps.extend(self.emitted_for(d));
            }
            match r.kind.as_str() {
                k::ECS_SERVICE => {
                    let groups: BTreeSet<&Address> =
                        gantry_core::find_refs(&Value::Object(r.props.clone()))
                            .into_iter()
                            .filter(|x| x.address.kind() == k::LB_TARGET_GROUP)
                            .map(|x| graph.resources.get_key_value(&x.address).map(|(a, _)| a))
                            .collect::<Option<_>>()
                            .unwrap_or_default();
                    for other in graph.resources.values() {
                        let forwards =
                            matches!(other.kind.as_str(), k::LB_LISTENER | k::LB_LISTENER_RULE)
                                && gantry_core::find_refs(&Value::Object(other.props.clone()))
                                    .iter()
                                    .any(|x| groups.contains(&x.address));
                        if forwards {
                            deps.extend(self.emitted_for(&other.address));
                        }
                    }
                }
                k::LB if r.props.get("internal") == Some(&Value::Bool(false)) => {
                    for igw in graph
                        .resources
                        .values()
                        .filter(|x| x.kind == k::INTERNET_GATEWAY)
                    {
                        deps.insert(self.extra_id(&igw.address, "Attachment"));
                    }
                }
                _ => {}
            }
            for d in deps {
                self.depend(&me, &d);
            }
        }
    }

    /// The logical ids an address became; a validation's are its
    /// certificate's, a parameter's none.
    fn emitted_for(&self, a: &Address) -> Vec<String> {
        let folded = self
            .graph
            .get(a)
            .filter(|r| r.kind == k::ACM_CERTIFICATE_VALIDATION)
            .and_then(|r| r.props.get("certificate_arn")?.as_str())
            .and_then(Ref::parse);
        match folded {
            Some(cert) => self.emitted_for(&cert.address),
            None => self.emitted.get(a).cloned().unwrap_or_default(),
        }
    }

    /// `Retain` (or `Snapshot`) on data stores, for deletion and replacement.
    pub fn protect_data(&mut self) {
        for r in self.graph.resources.values() {
            if !kind_meta(&r.kind).is_some_and(|m| m.data) {
                continue;
            }
            let Some(id) = self.emitted.get(&r.address).and_then(|v| v.first()) else {
                continue;
            };
            let snapshot = match r.kind.as_str() {
                k::DB_INSTANCE => r.props.get("final_snapshot") == Some(&Value::Bool(true)),
                k::ELASTICACHE_REPLICATION_GROUP => true,
                _ => false,
            };
            let policy = if snapshot { "Snapshot" } else { "Retain" };
            let res = self.resources[id].as_object_mut().expect("object");
            res.insert("DeletionPolicy".into(), json!(policy));
            res.insert("UpdateReplacePolicy".into(), json!(policy));
        }
    }

    pub fn finish(self) -> (Map<String, Value>, Map<String, Value>, Vec<Note>) {
        (self.resources, self.parameters, self.notes)
    }
}

/// The outputs a resource exported as a template Parameter answers, or
/// `None` when it is a resource of the template. An existing zone is
/// looked up by its id; what CloudFront needs in us-east-1 is passed by ARN
/// when the stack lives elsewhere.
pub(crate) fn parameter_attrs(r: &Resource, ctx: &Context) -> Option<&'static [&'static str]> {
    let elsewhere = ctx.region != GLOBAL_REGION;
    let s = |f: &str| r.props.get(f).and_then(Value::as_str).unwrap_or_default();
    match r.kind.as_str() {
        k::ROUTE53_ZONE_LOOKUP => Some(&["id"]),
        k::IAM_OPENID_CONNECT_PROVIDER if r.props.get("existing") == Some(&Value::Bool(true)) => {
            Some(&["arn", "id"])
        }
        k::ACM_CERTIFICATE if !s("region").is_empty() && s("region") != ctx.region => {
            Some(&["arn", "id"])
        }
        k::WAFV2_WEB_ACL | k::WAFV2_IP_SET if s("scope") == "CLOUDFRONT" && elsewhere => {
            Some(&["arn"])
        }
        // CloudFormation cannot create a SecureString.
        k::SSM_PARAMETER if r.props.get("secure").and_then(Value::as_bool) == Some(true) => {
            Some(&["arn"])
        }
        _ => None,
    }
}

/// Drops `null` members of objects, recursively (optional properties).
pub(crate) fn prune(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(key, x)| (key, prune(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(prune).collect()),
        other => other,
    }
}
