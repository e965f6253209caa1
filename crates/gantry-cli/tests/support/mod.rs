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
}

impl Project {
    pub fn new(spec: &str) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("gantry.yaml"), spec).expect("write spec");
        Project { dir }
    }

    pub fn from_example(name: &str) -> Project {
        let text = std::fs::read_to_string(Path::new(ROOT).join("examples").join(name))
            .expect("read example");
        Project::new(&text)
    }

    pub fn spec_path(&self) -> PathBuf {
        self.dir.path().join("gantry.yaml")
    }

    pub fn edit(&self, f: impl FnOnce(&str) -> String) {
        let text = std::fs::read_to_string(self.spec_path()).expect("read spec");
        let new = f(&text);
        assert_ne!(new, text, "the edit changed nothing");
        std::fs::write(self.spec_path(), new).expect("write spec");
    }

    /// Runs `gantry -f <spec> ARGS` against the emulator.
    pub fn gantry(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gantry"));
        cmd.arg("-f")
            .arg(self.spec_path())
            .args(args)
            .env("NO_COLOR", "1");
        for (k, v) in emulator_env() {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run gantry");
        let run = Run { out };
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
