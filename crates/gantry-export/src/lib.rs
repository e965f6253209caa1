//! Gantry's desired graph of one environment as a CloudFormation template,
//! for teams that must deploy through CloudFormation or scan templates.
//!
//! [`cloudformation`] is pure: a [`DesiredGraph`] in, a template
//! (`serde_json::Value`) and [`Note`]s out. Every kind maps to its
//! CloudFormation resource type(s) with the properties its Gantry provider
//! sends AWS ([`kinds`]); `${ref:ADDRESS.ATTR}` references become `Ref`,
//! `Fn::GetAtt` or `Fn::Sub` with the attribute that kind's value lives in
//! ([`attrs`]); logical ids come from addresses ([`logical`]); taggable
//! resources carry the `gantry:stack`, `gantry:env` and `gantry:address`
//! tags (and `Name` where the provider sets it).
//!
//! Where CloudFormation differs from Gantry's engine, the exporter keeps
//! the template deployable and says so in a note (printed by the command
//! and kept in the template's `Metadata.Gantry.Notes`), never dropping
//! anything silently:
//! - an existing hosted zone (`route53_zone_lookup`) becomes a template
//!   Parameter of type `AWS::Route53::HostedZone::Id`;
//! - certificate validation folds into its
//!   `AWS::CertificateManager::Certificate` (DNS validation options naming
//!   the zone: CloudFormation writes the records and waits for issuance);
//! - what must live in us-east-1 while the stack does not (a CloudFront
//!   certificate, a CLOUDFRONT-scope web ACL and its IP sets) becomes a
//!   Parameter for its ARN, since a template creates resources in one region;
//! - properties with no CloudFormation counterpart (a secret's recovery
//!   window, `force_destroy` of a bucket) are named.
//!
//! Data stores get `DeletionPolicy` and `UpdateReplacePolicy` `Retain`
//! (`Snapshot` for a database with a final snapshot): Gantry never deletes
//! or replaces them without an explicit flag. Findings of cfn-lint and
//! checkov that Gantry's architecture answers on purpose are skipped per
//! resource in its `Metadata`, each with its reason, from one table
//! ([`skips::SKIPS`]).

pub mod attrs;
mod cx;
pub mod kinds;
pub mod logical;
pub mod skips;

use gantry_core::{Address, DesiredGraph};
use serde::Serialize;
use serde_json::{json, Value};

pub use cx::Context;

/// Why a graph could not be exported. Each is a bug in the exporter or a
/// graph the architect would never build, not a user error.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExportError {
    #[error("{address}: no CloudFormation mapping for kind `{kind}`")]
    UnknownKind { address: Address, kind: String },
    #[error("{address}: attribute `{attr}` of a {kind} has no CloudFormation equivalent")]
    UnknownAttribute {
        address: Address,
        kind: String,
        attr: String,
    },
    #[error("{from} refers to {to}, which is not in the graph")]
    Dangling { from: Address, to: Address },
    #[error("{address}: properties do not match the {kind} shape: {message}")]
    Props {
        address: Address,
        kind: String,
        message: String,
    },
}

/// What a note says about an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteKind {
    /// Exported as a template Parameter the deployer fills in.
    Parameter,
    /// Carried by another CloudFormation resource.
    Folded,
    /// A property or behaviour the template cannot express.
    NotCarried,
    /// Something to do around the deployment.
    Deploy,
    /// A kind the exporter has no mapping for yet: Gantry creates it, the
    /// template does not.
    NotExported,
}

impl NoteKind {
    pub fn label(self) -> &'static str {
        match self {
            NoteKind::Parameter => "parameter",
            NoteKind::Folded => "folded",
            NoteKind::NotCarried => "not carried",
            NoteKind::Deploy => "deploy",
            NoteKind::NotExported => "not exported yet",
        }
    }
}

/// Something a reader of the template must know about one address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Note {
    pub address: Address,
    pub kind: NoteKind,
    pub message: String,
}

/// A template and what it could not say by itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    pub template: Value,
    pub notes: Vec<Note>,
}

impl Export {
    /// The number of CloudFormation resources in the template.
    pub fn resource_count(&self) -> usize {
        self.template["Resources"]
            .as_object()
            .map_or(0, |m| m.len())
    }

    /// The number of template Parameters.
    pub fn parameter_count(&self) -> usize {
        self.template
            .get("Parameters")
            .and_then(Value::as_object)
            .map_or(0, |m| m.len())
    }

    /// The capabilities CloudFormation must be granted to deploy it: roles
    /// keep Gantry's names, which takes `CAPABILITY_NAMED_IAM`.
    pub fn capabilities(&self) -> Vec<&'static str> {
        let named_roles = self.template["Resources"]
            .as_object()
            .is_some_and(|m| m.values().any(|r| r["Type"] == "AWS::IAM::Role"));
        if named_roles {
            vec!["CAPABILITY_NAMED_IAM"]
        } else {
            Vec::new()
        }
    }

    /// The template Parameters' names.
    pub fn parameters(&self) -> Vec<&str> {
        self.template
            .get("Parameters")
            .and_then(Value::as_object)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Per-resource scanner skips written into the template, as
    /// `(tool, check id, logical id)`.
    pub fn skips(&self) -> Vec<(&'static str, String, String)> {
        skips::written(&self.template)
    }
}

/// The template of `graph` (one environment of one stack).
pub fn cloudformation(graph: &DesiredGraph, ctx: &Context) -> Result<Export, ExportError> {
    let mut cx = cx::Cx::new(graph, ctx);
    for r in graph.resources.values() {
        cx.current = r.address.clone();
        kinds::map(&mut cx, r)?;
    }
    cx.order();
    cx.protect_data();
    let (mut resources, parameters, mut notes) = cx.finish();
    skips::apply(&mut resources);
    notes.sort();
    notes.dedup();
    let mut template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!(
            "Gantry stack {}, environment {}, in {}: exported by `gantry export cloudformation`",
            ctx.stack, ctx.env, ctx.region
        ),
        "Metadata": {
            "Gantry": {
                "Stack": ctx.stack,
                "Environment": ctx.env,
                "Region": ctx.region,
                "Notes": notes.iter().map(|n| json!({
                    "Address": n.address.as_str(),
                    "Kind": n.kind.label(),
                    "Note": n.message,
                })).collect::<Vec<_>>(),
                "ScannerSkips": "per resource in Metadata.checkov.skip and Metadata.cfn-lint, from crates/gantry-export/src/skips.rs",
            }
        },
    });
    if !parameters.is_empty() {
        template["Parameters"] = Value::Object(parameters);
    }
    let outputs = outputs(&resources);
    template["Resources"] = Value::Object(std::mem::take(&mut resources));
    if !outputs.is_empty() {
        template["Outputs"] = Value::Object(outputs);
    }
    let mut export = Export { template, notes };
    let capabilities = export.capabilities();
    export.template["Metadata"]["Gantry"]["Capabilities"] = json!(capabilities);
    Ok(export)
}

/// What users reach or delegate to: load balancer and distribution DNS
/// names, a new zone's name servers, repository URIs to push images to.
fn outputs(resources: &serde_json::Map<String, Value>) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    for (id, r) in resources {
        let (suffix, what, value) = match r["Type"].as_str().unwrap_or_default() {
            "AWS::ElasticLoadBalancingV2::LoadBalancer" => (
                "DnsName",
                "the load balancer's DNS name",
                json!({"Fn::GetAtt": [id, "DNSName"]}),
            ),
            "AWS::CloudFront::Distribution" => (
                "DomainName",
                "the distribution's domain name",
                json!({"Fn::GetAtt": [id, "DomainName"]}),
            ),
            "AWS::Route53::HostedZone" => (
                "NameServers",
                "the name servers to delegate the zone to",
                json!({"Fn::Join": [",", {"Fn::GetAtt": [id, "NameServers"]}]}),
            ),
            "AWS::ECR::Repository" => (
                "Uri",
                "the repository to push images to",
                json!({"Fn::GetAtt": [id, "RepositoryUri"]}),
            ),
            _ => continue,
        };
        out.insert(
            format!("{id}{suffix}"),
            json!({"Description": format!("{id}: {what}"), "Value": value}),
        );
    }
    out
}
