//! `gantry import`: a Copilot workspace ([`copilot`]) or a docker-compose
//! file ([`compose`]) becomes the text of a `gantry.yaml`.
//!
//! Pure apart from reading the source files: no AWS call, nothing written.
//! Every setting is converted, dropped because Gantry does it on its own
//! (private subnets, Container Insights, credentials it generates), or kept
//! as a `# import:` comment at the place it would have gone saying what it
//! was and what to do instead; each such comment is also a [`Note`], so the
//! command can list what needs attention. The output validates with
//! `gantry_spec::parse_str` in every environment (the tests hold it to
//! that).

pub mod compose;
pub mod copilot;
mod draft;
mod input;
mod names;
pub mod yaml;

/// A valid stack name made from any text (`My Shop` → `my-shop`), as
/// imports name stacks; `gantry new` names one after its directory.
pub use names::stack as stack_name;

use std::path::PathBuf;

/// What the caller decides about the output.
#[derive(Debug, Clone)]
pub struct Options {
    /// The stack name (default: the Copilot application's or the compose
    /// project's name), made valid for the spec.
    pub name: Option<String>,
    /// The region written into the spec.
    pub region: String,
    /// Where the source directory is, seen from the directory the spec
    /// will be written to: build contexts are written relative to the
    /// spec, so `../app` when the spec goes one level below. Empty when
    /// the spec goes beside the sources.
    pub base: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            name: None,
            region: "us-east-1".to_string(),
            base: String::new(),
        }
    }
}

/// A setting without an equivalent, as written in the spec's comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The source file, relative to what was imported.
    pub file: String,
    /// Where in it: a dotted key path (`http.stickiness`,
    /// `services.web.env_file`, `Resources.jobs`).
    pub key: String,
    /// What it was and what to do instead.
    pub message: String,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.file, self.key, self.message)
    }
}

/// The result of an import.
#[derive(Debug, Clone)]
pub struct Import {
    /// The `gantry.yaml` text.
    pub spec: String,
    /// What was converted, one line per service, store or environment.
    pub converted: Vec<String>,
    /// Settings that need attention, in the order they appear in the spec.
    pub notes: Vec<Note>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file} is not valid YAML: {message}")]
    Yaml { file: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

pub(crate) fn read(path: &std::path::Path) -> Result<String, ImportError> {
    std::fs::read_to_string(path).map_err(|source| ImportError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// `base` joined with the relative path `p`, normalized (`./` dropped,
/// `a/..` folded); absolute paths are kept.
pub(crate) fn join_path(base: &str, p: &str) -> String {
    if p.starts_with('/') {
        return p.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in base.split('/').chain(p.split('/')) {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// The directory part of a relative path (`.` when there is none).
pub(crate) fn parent(p: &str) -> String {
    match PathBuf::from(p).parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_string_lossy().into_owned(),
        _ => ".".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(join_path("", "./app"), "app");
        assert_eq!(join_path("..", "app"), "../app");
        assert_eq!(join_path("", "."), ".");
        assert_eq!(join_path("x", "../y"), "y");
        assert_eq!(parent("frontend/Dockerfile"), "frontend");
        assert_eq!(parent("Dockerfile"), ".");
    }
}
