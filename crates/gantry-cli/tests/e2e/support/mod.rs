//! Shared harness for the end-to-end tests: one emulator per test binary,
//! started through `scripts/emulator.sh` and stopped when the binary exits,
//! and a way to run the real `gantry` binary against it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// The emulator's environment (AWS_ENDPOINT_URL, dummy credentials, ...).
pub fn emulator_env() -> &'static Vec<(String, String)> {
    static ENV: OnceLock<Vec<(String, String)>> = OnceLock::new();
    ENV.get_or_init(|| {
        let out = Command::new("bash")
            .arg("scripts/emulator.sh")
            .arg("start")
            .current_dir(ROOT)
            .env(
                "GANTRY_EMULATOR_DIR",
                format!("{ROOT}/target/emulator-cli-{}", std::process::id()),
            )
            .env("GANTRY_EMULATOR_OWNER_PID", std::process::id().to_string())
            .output()
            .expect("run scripts/emulator.sh");
        assert!(
            out.status.success(),
            "emulator failed to start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let vars: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // The SDK clients these tests build to check AWS read the same settings.
        for (k, v) in &vars {
            std::env::set_var(k, v);
        }
        vars
    })
}

/// A spec file in a fresh directory (state goes to `.gantry/` beside it).
pub struct Project {
    pub dir: tempfile::TempDir,
    /// Everything every command printed, for the secret-leak scan.
    pub transcript: std::sync::Mutex<String>,
    /// Environment of its own for every command, over the emulator's (an
    /// access key of its own: the fault proxy scopes faults and call
    /// counts by access key).
    pub env: Vec<(String, String)>,
}

impl Project {
    pub fn new(spec: &str) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("gantry.yaml"), spec).expect("write spec");
        Project {
            dir,
            transcript: std::sync::Mutex::new(String::new()),
            env: Vec::new(),
        }
    }

    /// The same project, its commands signed with access key `key`.
    pub fn keyed(mut self, key: &str) -> Project {
        self.env.push(("AWS_ACCESS_KEY_ID".into(), key.into()));
        self
    }

    /// The same project with one more environment variable.
    pub fn with_env(mut self, k: &str, v: &str) -> Project {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn from_example(name: &str) -> Project {
        let text = std::fs::read_to_string(Path::new(ROOT).join("examples").join(name))
            .expect("read example");
        Project::new(&text)
    }

    /// An example whose `example.com` names are in `zone` instead: the
    /// tests share one emulator, and Route 53 zones and certificates are
    /// account-wide, so each test's names are its own.
    pub fn from_example_in(name: &str, zone: &str) -> Project {
        let text = std::fs::read_to_string(Path::new(ROOT).join("examples").join(name))
            .expect("read example");
        Project::new(&text.replace("example.com", zone))
    }

    pub fn spec_path(&self) -> PathBuf {
        self.dir.path().join("gantry.yaml")
    }

    /// Runs `gantry ARGS` with `input` on standard input.
    pub fn gantry_with_stdin(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write;
        let mut cmd = self.command(args);
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("run gantry");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let run = Run {
            out: child.wait_with_output().expect("gantry finished"),
        };
        {
            let mut t = self.transcript.lock().unwrap();
            t.push_str(&run.stdout());
            t.push_str(&run.stderr());
        }
        run
    }

    /// The text of every file under the state directory (state, journal).
    pub fn state_text(&self) -> String {
        let mut out = String::new();
        let root = self.dir.path().join(".gantry");
        let mut stack = vec![root];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
                }
            }
        }
        out
    }

    pub fn edit(&self, f: impl FnOnce(&str) -> String) {
        let text = std::fs::read_to_string(self.spec_path()).expect("read spec");
        let new = f(&text);
        assert_ne!(new, text, "the edit changed nothing");
        std::fs::write(self.spec_path(), new).expect("write spec");
    }

    /// `gantry -f <spec> ARGS` against the emulator, to spawn.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gantry"));
        cmd.arg("-f")
            .arg(self.spec_path())
            .args(args)
            .env("NO_COLOR", "1");
        for (k, v) in emulator_env().iter().chain(&self.env) {
            cmd.env(k, v);
        }
        cmd
    }

    /// The physical id the stack records for `address`.
    pub fn recorded_id(&self, address: &str) -> String {
        let status = self.gantry(&["status", "--json"]).json();
        status["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == address)
            .and_then(|r| r["id"].as_str())
            .unwrap_or_else(|| panic!("{address} is not recorded"))
            .to_string()
    }

    /// Runs `gantry -f <spec> ARGS` against the emulator.
    pub fn gantry(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().expect("run gantry");
        let run = Run { out };
        {
            let mut t = self.transcript.lock().unwrap();
            t.push_str(&run.stdout());
            t.push_str(&run.stderr());
        }
        eprintln!(
            "$ gantry {}\n--- exit {:?}\n{}\n--- stderr\n{}",
            args.join(" "),
            run.out.status.code(),
            run.stdout(),
            run.stderr()
        );
        run
    }
}

pub struct Run {
    pub out: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.out.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout()))
    }
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// The fault-injecting proxy in front of the emulator (`scripts/fault_proxy.py`):
/// throttling and lost replies per access key, and call counts.
pub mod faults {
    use std::process::Command;

    fn url(path: &str) -> String {
        super::emulator_env();
        let base =
            std::env::var("GANTRY_FAULT_PROXY").expect("the emulator runs behind the fault proxy");
        format!("{base}{path}")
    }

    fn curl(args: &[&str]) -> String {
        let out = Command::new("curl")
            .args(["-fsS"])
            .args(args)
            .output()
            .expect("run curl");
        assert!(
            out.status.success(),
            "proxy control call failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// From now on, calls signed with `key` are throttled with probability
    /// `throttle` and mutating calls lose their reply with probability
    /// `lose`, in an order fixed by `seed`.
    pub fn profile(key: &str, seed: u64, throttle: f64, lose: f64) {
        let body = serde_json::json!({
            "access_key": key, "seed": seed, "throttle": throttle, "lose_mutating": lose,
        })
        .to_string();
        curl(&[
            "-X",
            "POST",
            "-H",
            "content-type: application/json",
            "-d",
            &body,
            &url("/_faults/profile"),
        ]);
    }

    /// Counts (and faults) of calls signed with `key` since the last reset.
    pub fn stats(key: &str) -> serde_json::Value {
        serde_json::from_str(&curl(&[&url(&format!("/_faults/stats?access_key={key}"))]))
            .expect("stats are JSON")
    }

    /// Forgets `key`'s counts and profile.
    pub fn reset(key: &str) {
        curl(&[
            "-X",
            "POST",
            &url(&format!("/_faults/reset?access_key={key}")),
        ]);
    }
}

/// What one no-op `gantry plan` cost in AWS calls, counted by the fault
/// proxy for the project's access key.
pub struct PlanCalls {
    pub calls: u64,
    pub resources: usize,
    /// Calls per `service:Operation`.
    pub by_call: serde_json::Value,
}

impl PlanCalls {
    pub fn per_resource(&self) -> f64 {
        self.calls as f64 / self.resources as f64
    }
}

impl std::fmt::Display for PlanCalls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} calls for {} resources ({:.2} a resource): {}",
            self.calls,
            self.resources,
            self.per_resource(),
            self.by_call
        )
    }
}

impl Project {
    /// The access key the project's commands sign with.
    pub fn key(&self) -> &str {
        self.env
            .iter()
            .find(|(k, _)| k == "AWS_ACCESS_KEY_ID")
            .map(|(_, v)| v.as_str())
            .expect("a keyed project (Project::keyed)")
    }

    /// Runs a `gantry plan` that must find nothing to change and counts
    /// its AWS calls.
    pub fn plan_calls(&self) -> PlanCalls {
        let resources = self.gantry(&["status", "--json"]).json()["resources"]
            .as_array()
            .expect("resources")
            .len();
        faults::reset(self.key());
        self.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
        let stats = faults::stats(self.key());
        let counted = PlanCalls {
            calls: stats["total"].as_u64().expect("total"),
            resources,
            by_call: stats["calls"].clone(),
        };
        eprintln!("no-op plan: {counted}");
        counted
    }
}

/// The most AWS calls a no-op plan may make per resource of a stack: the
/// highest measured over the examples (agent-platform, 38 calls for 38
/// resources), so any read added per resource fails here. Small stacks
/// pay a fixed cost per kind (attributes AWS serves one call each, such
/// as a VPC's two DNS settings or a key's policy and rotation), which is
/// why the 0.6 holds only from a few services up (see README).
pub const CALLS_PER_RESOURCE: f64 = 1.0;

/// Checks a no-op plan's calls against [`CALLS_PER_RESOURCE`].
#[track_caller]
pub fn assert_refresh_cost(c: &PlanCalls) {
    assert!(c.per_resource() <= CALLS_PER_RESOURCE, "no-op plan: {c}");
}

/// The record sets of the hosted zone named `zone` (`example.com.`),
/// through the Route 53 API.
pub async fn zone_records(
    ctx: &gantry_aws::AwsContext,
    zone: &str,
) -> Vec<gantry_aws::aws_sdk_route53::types::ResourceRecordSet> {
    let zones = ctx.route53().list_hosted_zones().send().await.unwrap();
    let zone = zones
        .hosted_zones()
        .iter()
        .find(|z| z.name() == zone)
        .unwrap_or_else(|| panic!("no zone {zone}"));
    ctx.route53()
        .list_resource_record_sets()
        .hosted_zone_id(zone.id())
        .send()
        .await
        .unwrap()
        .resource_record_sets
}
