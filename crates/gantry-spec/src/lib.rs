//! Gantry's spec file, `gantry.yaml` (Spec v1).
//!
//! [`parse_str`] and [`load_file`] parse with serde-saphyr, keeping the source
//! position of every value ([`Sp`]), then validate strictly and return every
//! problem found as a miette diagnostic pointing at `file:line:col`.
//! [`json_schema`] exports the JSON Schema for editors (`gantry schema`).
//! Defaults are applied by `gantry-model`, not here; see `docs/spec.md`.

pub mod api;
pub mod ci;
pub mod diag;
pub mod edge;
pub mod fargate;
pub mod jobs;
pub mod messaging;
pub mod ops;
pub mod overlay;
pub mod permissions;
pub mod platform;
pub mod span;
pub mod state;
pub mod stores;
pub mod types;
pub mod usage;
mod validate;

pub use ci::{Ci, GithubCi, OidcProviderMode};
pub use diag::{Problem, Source, SpecError};
pub use jobs::{EventPattern, Job};
pub use messaging::{Dlq, Queue, Subscriber, Topic};
pub use overlay::DEFAULT_ENV;
pub use span::{Pos, Sp};
pub use state::{StateBackend, StateSpec};
pub use stores::{env_stem, injected_vars, StoreKind};
pub use types::*;
pub use usage::{Profile as UsageProfile, Usage};
pub use validate::{data_subnets_needed, DEFAULT_CIDR, MAX_AZS, MAX_STACK_NAME};

use diag::{choice_hint, Problems};
use std::path::Path;

/// Reads, parses and validates a spec file.
pub fn load_file(path: impl AsRef<Path>) -> Result<Spec, SpecError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_str(&path.display().to_string(), &text)
}

/// Parses and validates spec text; `name` is the file name used in messages.
pub fn parse_str(name: &str, text: &str) -> Result<Spec, SpecError> {
    let src = Source::new(name, text);
    let mut problems = Problems::new(&src);
    let spec = match serde_saphyr::from_str::<Spec>(text) {
        Ok(spec) => {
            validate::validate(&spec, &mut problems);
            Some(spec)
        }
        Err(e) => {
            syntax_problem(&e, &mut problems);
            None
        }
    };
    if let (Some(spec), true) = (spec, problems.list.is_empty()) {
        return Ok(spec);
    }
    let mut list = problems.list;
    list.sort_by_key(|p| (p.line, p.column));
    Err(SpecError::Invalid {
        file: name.to_string(),
        problems: list,
    })
}

/// Turns a serde-saphyr error into a problem with a readable message; the
/// raw error text is kept only for error kinds we do not recognise.
fn syntax_problem(e: &serde_saphyr::Error, p: &mut Problems) {
    use serde_saphyr::Error as E;
    let pos = e
        .location()
        .map_or(Pos::UNKNOWN, |l| Pos::from_location(&l));
    let (message, hint) = match e.without_snippet() {
        E::SerdeUnknownField {
            field, expected, ..
        } => (
            format!("unknown key `{field}`"),
            Some(choice_hint(field, "keys here", expected)),
        ),
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => (
            format!("unknown value `{variant}`"),
            Some(choice_hint(variant, "values", expected)),
        ),
        E::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => (
            format!("wrong type: expected {expected}, found {unexpected}"),
            None,
        ),
        E::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => (
            format!("invalid value: expected {expected}, found {unexpected}"),
            None,
        ),
        E::SerdeMissingField { field, .. } => (
            format!("missing required key `{field}`"),
            Some(format!("add `{field}:` here; see docs/spec.md")),
        ),
        E::InvalidScalar { ty, .. } => (format!("wrong type: expected {}", type_noun(ty)), None),
        E::DuplicateMappingKey { key, .. } => (
            format!("duplicate key `{}`", key.as_deref().unwrap_or("?")),
            Some("each key may appear once in a mapping".to_string()),
        ),
        other => {
            let text = other.to_string();
            let text = match text.rfind(" at line ") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            if text.contains("did not match any variant of untagged enum Command") {
                (
                    "wrong type: expected a string or a list of strings".to_string(),
                    Some("write `command: curl -f http://localhost:8080/` or `command: [curl, -f, http://localhost:8080/]`".to_string()),
                )
            } else if text.contains("did not match any variant of untagged enum Route") {
                (
                    "invalid route: expected a path pattern or `{path: PATTERN, lb: NAME, host: HOST, sse: true}`".to_string(),
                    Some("write `- /api/*` or `- {path: \"/api/*\", lb: backend, host: api.example.com}`; keys: path, lb, host, sse, idle_timeout, auth".to_string()),
                )
            } else if text.contains("did not match any variant of untagged enum Use") {
                (
                    "invalid `uses` entry: expected a name or `{name: NAME, access: read}`".to_string(),
                    Some("write `- db` or `- {name: pdfs, access: read}`; `access` is `read` or `read-write`".to_string()),
                )
            } else if text.contains("did not match any variant of untagged enum ParameterValue") {
                (
                    "invalid parameter: expected a value or `{secure: true}`".to_string(),
                    Some("write `NAME: value` for a plain parameter, or `NAME: {secure: true}` for a SecureString set with `gantry secret set NAME`".to_string()),
                )
            } else if text.contains("expected mapping") {
                (
                    "wrong type: expected a mapping of `key: value` entries".to_string(),
                    None,
                )
            } else if text.contains("expected sequence") {
                ("wrong type: expected a list".to_string(), None)
            } else if text.starts_with("expected ") {
                (format!("wrong type: {text}"), None)
            } else if p.src.text.trim().is_empty() {
                (
                    "the spec file is empty".to_string(),
                    Some(
                        "start with `name:`, `region:` and `services:`; see docs/spec.md"
                            .to_string(),
                    ),
                )
            } else {
                (format!("invalid YAML: {text}"), None)
            }
        }
    };
    p.push(pos, message, hint);
}

fn type_noun(ty: &str) -> String {
    match ty {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a non-negative whole number".to_string(),
        "i32" | "i64" => "a whole number".to_string(),
        "bool" => "`true` or `false`".to_string(),
        other => format!("a {other}"),
    }
}

/// JSON Schema of Spec v1, for editors and `gantry schema`.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Spec)).expect("schemas serialize")
}
