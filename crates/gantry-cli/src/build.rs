//! Building and pushing images for `gantry deploy --build` with the local
//! container engine (Podman or Docker, whose `build` is BuildKit's), tagged
//! with the git commit of the spec's directory.
//!
//! The engine is logged in to the registry with ECR's token, passed on
//! standard input, so no credential helper is needed and the password never
//! shows in a process list. Images are built for `linux/amd64`, the
//! platform of the task definitions, also on an ARM laptop.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The variable that picks the engine (`podman`, `docker`, or a path).
pub const ENGINE_ENV: &str = "GANTRY_CONTAINER_ENGINE";

/// What can go wrong building or pushing.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum BuildError {
    #[error("no container engine found: `deploy --build` needs Podman or Docker on PATH")]
    #[diagnostic(
        code(gantry::build::no_engine),
        help("install Podman (https://podman.io) or Docker, set {ENGINE_ENV} to the one to use, or build elsewhere and pass --image CONTAINER=REF")
    )]
    NoEngine,
    #[error("{ENGINE_ENV}={0:?} is not a command that runs")]
    #[diagnostic(code(gantry::build::no_engine))]
    BadEngine(String),
    #[error("{what} failed (exit {code}):\n{output}")]
    #[diagnostic(code(gantry::build::failed))]
    Failed {
        what: String,
        code: String,
        output: String,
    },
    #[error("running {what}: {source}")]
    #[diagnostic(code(gantry::build::io))]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the build context {0} does not exist")]
    #[diagnostic(
        code(gantry::build::context),
        help("`build:` is a directory relative to the spec file, holding a Dockerfile or Containerfile")
    )]
    NoContext(PathBuf),
}

/// The container engine to build with.
#[derive(Debug, Clone)]
pub struct Engine {
    pub program: String,
}

impl Engine {
    /// The engine `GANTRY_CONTAINER_ENGINE` names, else Podman, else Docker,
    /// whichever answers `--version` first.
    pub fn detect() -> Result<Engine, BuildError> {
        if let Ok(p) = std::env::var(ENGINE_ENV) {
            return if answers(&p) {
                Ok(Engine { program: p })
            } else {
                Err(BuildError::BadEngine(p))
            };
        }
        ["podman", "docker"]
            .into_iter()
            .find(|p| answers(p))
            .map(|p| Engine {
                program: p.to_string(),
            })
            .ok_or(BuildError::NoEngine)
    }

    /// Logs in to `registry` with `user`, the password on standard input.
    pub fn login(&self, registry: &str, user: &str, password: &str) -> Result<(), BuildError> {
        let what = format!("{} login {registry}", self.program);
        let mut child = Command::new(&self.program)
            .args(["login", "--username", user, "--password-stdin", registry])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| BuildError::Io {
                what: what.clone(),
                source,
            })?;
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(password.as_bytes())
            .map_err(|source| BuildError::Io {
                what: what.clone(),
                source,
            })?;
        let out = child.wait_with_output().map_err(|source| BuildError::Io {
            what: what.clone(),
            source,
        })?;
        checked(what, out)
    }

    /// Builds `context` as `image` for linux/amd64.
    pub fn build(&self, context: &Path, image: &str) -> Result<(), BuildError> {
        if !context.is_dir() {
            return Err(BuildError::NoContext(context.to_path_buf()));
        }
        let mut cmd = Command::new(&self.program);
        cmd.args(["build", "--platform", "linux/amd64", "--tag", image])
            .arg(context);
        run(cmd, format!("{} build {}", self.program, context.display()))
    }

    pub fn push(&self, image: &str) -> Result<(), BuildError> {
        let mut cmd = Command::new(&self.program);
        cmd.args(["push", image]);
        run(cmd, format!("{} push {image}", self.program))
    }
}

fn answers(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run(mut cmd: Command, what: String) -> Result<(), BuildError> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|source| BuildError::Io {
            what: what.clone(),
            source,
        })?;
    checked(what, out)
}

fn checked(what: String, out: std::process::Output) -> Result<(), BuildError> {
    if out.status.success() {
        return Ok(());
    }
    let mut output = String::from_utf8_lossy(&out.stderr).into_owned();
    if output.trim().is_empty() {
        output = String::from_utf8_lossy(&out.stdout).into_owned();
    }
    // The end of a build log says what broke.
    let lines: Vec<&str> = output.lines().collect();
    let tail = lines[lines.len().saturating_sub(30)..].join("\n");
    Err(BuildError::Failed {
        what,
        code: out
            .status
            .code()
            .map_or_else(|| "signal".to_string(), |c| c.to_string()),
        output: tail,
    })
}

/// The tag for images built from `dir`: its git commit (12 hex digits),
/// with `-dirty-<UTC time>` when `dir` (the build context; changes
/// elsewhere in the repository are not in the image) has uncommitted or
/// untracked files (ECR tags are immutable, and two builds of a dirty tree
/// differ); `build-<UTC time>` outside a git repository.
pub fn tag(dir: &Path, now: time::OffsetDateTime) -> String {
    let stamp = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(commit) if !commit.is_empty() => {
            let dirty = git(&["status", "--porcelain", "--", "."]).is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{commit}-dirty-{stamp}")
            } else {
                commit
            }
        }
        _ => format!("build-{stamp}"),
    }
}

/// The registry host of an image reference (`HOST/repo:tag`).
pub fn registry_of(image: &str) -> &str {
    image.split('/').next().unwrap_or(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn tags_name_the_commit_and_a_dirty_build_context() {
        let d = tempfile::tempdir().unwrap();
        let app = d.path().join("app");
        std::fs::create_dir(&app).unwrap();
        let now = time::OffsetDateTime::from_unix_timestamp(1_796_638_272).unwrap();
        assert_eq!(tag(&app, now), "build-20261207101112");
        git(d.path(), &["init", "-q"]);
        std::fs::write(app.join("Dockerfile"), "FROM scratch\n").unwrap();
        git(d.path(), &["add", "."]);
        git(d.path(), &["commit", "-qm", "one"]);
        let clean = tag(&app, now);
        assert_eq!(clean.len(), 12);
        assert!(clean.bytes().all(|b| b.is_ascii_hexdigit()));
        // Outside the build context (the spec, the state): not in the image.
        std::fs::write(d.path().join("gantry.yaml"), "name: x\n").unwrap();
        assert_eq!(tag(&app, now), clean);
        std::fs::write(app.join("Dockerfile"), "FROM scratch\nCOPY . /\n").unwrap();
        assert_eq!(tag(&app, now), format!("{clean}-dirty-20261207101112"));
    }

    #[test]
    fn a_missing_engine_is_named() {
        std::env::set_var(ENGINE_ENV, "/nonexistent/podman");
        let e = Engine::detect().unwrap_err();
        std::env::remove_var(ENGINE_ENV);
        assert!(e.to_string().contains("/nonexistent/podman"));
        assert_eq!(registry_of("127.0.0.1:5000/app/web:abc"), "127.0.0.1:5000");
    }
}
