//! The `gantry` binary without AWS: spec diagnostics, exit codes, schema,
//! graph, and the state lock as a user meets it.

use std::path::Path;
use std::process::{Command, Output};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn gantry(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gantry"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        // Never reach a real endpoint from these tests.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .expect("run gantry")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn project(spec: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("gantry.yaml"), spec).unwrap();
    d
}

fn minimal() -> String {
    std::fs::read_to_string(Path::new(ROOT).join("examples/minimal.yaml")).unwrap()
}

#[test]
fn validate_accepts_the_example_in_every_environment() {
    let d = project(&minimal());
    for env in ["dev", "prod"] {
        let out = gantry(d.path(), &["-e", env, "validate"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains(&format!("minimal/{env}")));
        // No domain: the plan warns that the load balancer speaks plain HTTP.
        assert!(
            text(&out.stderr).contains("serves plain HTTP"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn spec_errors_point_at_file_line_col_with_a_hint() {
    let spec = minimal().replace("  egress: nat", "  egres: nat");
    let d = project(&spec);
    let out = gantry(d.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let line = spec.lines().position(|l| l.contains("egres:")).unwrap() + 1;
    assert!(err.contains(&format!("gantry.yaml:{line}:3")), "{err}");
    assert!(err.contains("did you mean `egress`"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn unknown_environment_lists_the_known_ones() {
    let d = project(&minimal());
    let out = gantry(d.path(), &["-e", "staging", "plan"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("dev, prod"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn usage_errors_have_their_own_exit_code() {
    let d = project(&minimal());
    let out = gantry(d.path(), &["--bogus"]);
    assert_eq!(out.status.code(), Some(64));
    let out = gantry(d.path(), &["--help"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn schema_is_json_schema_for_the_spec() {
    let d = project(&minimal());
    let out = gantry(d.path(), &["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let props = v["properties"].as_object().expect("top-level properties");
    for key in ["name", "region", "network", "services", "environments"] {
        assert!(props.contains_key(key), "schema lacks {key}");
    }
}

#[test]
fn graph_is_mermaid_in_apply_phases() {
    let d = project(&minimal());
    let out = gantry(d.path(), &["graph"]);
    assert_eq!(out.status.code(), Some(0));
    let m = text(&out.stdout);
    assert!(m.starts_with("flowchart TB\n"));
    // The VPC comes before its subnets, which come before the service.
    let phase_of = |addr: &str| {
        let at = m
            .find(&format!("[\"{addr}\"]"))
            .unwrap_or_else(|| panic!("{addr} missing"));
        m[..at].matches("subgraph phase").count()
    };
    assert!(phase_of("vpc.main") < phase_of("subnet.private-a"));
    assert!(phase_of("subnet.private-a") < phase_of("ecs_service.web"));
    assert!(m.contains("vpc_main --> subnet_private_a"));
}

/// A live lock held by this test process (same host, live pid, lease ahead).
fn hold_lock(state: &Path) {
    std::fs::create_dir_all(state).unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let lock = serde_json::json!({
        "id": "test-lock",
        "who": "alice@elsewhere",
        "pid": std::process::id(),
        "host": host.trim(),
        "command": "up",
        "since": "2026-01-01T00:00:00Z",
        "lease_expires": "2999-01-01T00:00:00Z",
    });
    std::fs::write(state.join("lock.json"), lock.to_string()).unwrap();
}

#[test]
fn a_held_lock_stops_a_second_run_and_unlock_clears_it() {
    let d = project(&minimal());
    let state = d.path().join(".gantry/minimal-dev");
    hold_lock(&state);
    let out = gantry(d.path(), &["up", "--yes"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("alice@elsewhere") && err.contains("`up`"),
        "{err}"
    );
    assert!(err.contains("gantry unlock"), "{err}");
    // With --detailed-exitcode every error is 1, so 2 always means changes.
    let out = gantry(d.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(1));

    let out = gantry(d.path(), &["unlock"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("alice@elsewhere"));
    assert!(!state.join("lock.json").exists());
    let out = gantry(d.path(), &["unlock"]);
    assert!(text(&out.stdout).contains("not locked"));
}

/// `gantry cost --all` of every example, from the spec alone: each
/// resource's monthly figure per environment, the totals, what is assumed
/// and, for seed 002's endpoints, the NAT trade-off with its break-even.
#[test]
fn cost_of_every_example_side_by_side() {
    for example in [
        "minimal",
        "fastapi-rds",
        "agent-platform",
        "astro",
        "reviewguide",
        "saas-platform",
    ] {
        let d = tempfile::tempdir().unwrap();
        let spec = Path::new(ROOT).join(format!("examples/{example}.yaml"));
        let out = gantry(d.path(), &["-f", spec.to_str().unwrap(), "cost", "--all"]);
        assert!(out.status.success(), "{example}: {}", text(&out.stderr));
        insta::assert_snapshot!(format!("cost_{example}"), text(&out.stdout));
    }
    // Seed 002 (fastapi-rds, egress: endpoints): the saving claim in figures.
    let spec = Path::new(ROOT).join("examples/fastapi-rds.yaml");
    let d = tempfile::tempdir().unwrap();
    let out = text(&gantry(d.path(), &["-f", spec.to_str().unwrap(), "cost"]).stdout);
    assert!(
        out.contains("4 interface endpoints in 2 AZs cost $58.40/mo before traffic; one NAT gateway with its address $36.50/mo")
            && out.contains("endpoints save money only above 626 GB a month"),
        "{out}"
    );
    // JSON carries the figures; -e and --all together are refused.
    let json = gantry(d.path(), &["-f", spec.to_str().unwrap(), "cost", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(v["environments"]["dev"]["total_usd"].as_f64().unwrap() > 100.0);
    let both = gantry(
        d.path(),
        &["-f", spec.to_str().unwrap(), "-e", "prod", "cost", "--all"],
    );
    assert_eq!(both.status.code(), Some(1));
}

/// The spec's `usage:` figures price what depends on use, overlaid per
/// environment; the text says what each environment assumes; a negative
/// figure is a spec error at its line.
#[test]
fn cost_follows_the_specs_usage() {
    let d = tempfile::tempdir().unwrap();
    let spec = d.path().join("gantry.yaml");
    let base = "name: shop
region: us-east-1
network: {egress: nat}
services:
  web:
    containers:
      app: {image: 'nginx:1.27', port: 8080, routes: ['/*']}
usage:
  nat_gb: 1000
  log_gb: 7
environments:
  dev: {}
  prod:
    usage: {nat_gb: 3000}
";
    std::fs::write(&spec, base).unwrap();
    let f = spec.to_str().unwrap();
    let json = gantry(d.path(), &["-f", f, "cost", "--all", "--json"]);
    assert!(json.status.success(), "{}", text(&json.stderr));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let nat = |env: &str| -> (f64, f64, f64) {
        let lines = v["environments"][env]["lines"].as_array().unwrap();
        let l = lines
            .iter()
            .find(|l| l["item"] == "nat_gateway_gb")
            .unwrap_or_else(|| panic!("{env}: no NAT data line"));
        (
            l["quantity"].as_f64().unwrap(),
            l["unit_usd"].as_f64().unwrap(),
            l["monthly_usd"].as_f64().unwrap(),
        )
    };
    let (dev_gb, unit, dev_usd) = nat("dev");
    let (prod_gb, _, prod_usd) = nat("prod");
    assert_eq!((dev_gb, prod_gb), (1000.0, 3000.0));
    assert!((dev_usd - 1000.0 * unit).abs() < 0.01 && (prod_usd - 3000.0 * unit).abs() < 0.01);
    assert_eq!(v["environments"]["prod"]["usage"]["log_gb"], 7.0);
    let out = text(&gantry(d.path(), &["-f", f, "cost", "--all"]).stdout);
    assert!(
        out.contains("  dev: 1000 GB through each NAT gateway")
            && out.contains("  prod: 3000 GB through each NAT gateway"),
        "{out}"
    );
    // A negative figure points at its line.
    std::fs::write(&spec, base.replace("nat_gb: 3000", "nat_gb: -5")).unwrap();
    let bad = gantry(d.path(), &["-f", f, "cost", "--all"]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stdout));
    let err = text(&bad.stderr);
    assert!(
        err.contains("gantry.yaml:14:21:") && err.contains("invalid usage figure `nat_gb: -5`"),
        "{err}"
    );
}

/// `gantry docs` of every example: the document in a snapshot, every
/// Mermaid block parsed by Mermaid's own parser, and each document drawn
/// once in headless Chromium with one SVG per diagram (`scripts/docs.sh
/// install`, run by `scripts/test.sh`, provides Mermaid and Chromium).
#[test]
fn docs_of_every_example_parse_and_draw() {
    let out_dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for example in [
        "minimal",
        "fastapi-rds",
        "agent-platform",
        "astro",
        "reviewguide",
        "saas-platform",
    ] {
        let spec = Path::new(ROOT).join(format!("examples/{example}.yaml"));
        let file = out_dir.path().join(format!("{example}.md"));
        let out = gantry(
            out_dir.path(),
            &[
                "-f",
                spec.to_str().unwrap(),
                "docs",
                "-o",
                file.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{example}: {}", text(&out.stderr));
        let doc = std::fs::read_to_string(&file).unwrap();
        for section in [
            "## System overview",
            "## Apply phases",
            "## Security groups",
            "## IAM roles",
            "## Availability",
            "## Resource names",
            "## Cost per environment",
            "## Logs Insights queries",
        ] {
            assert!(doc.contains(section), "{example} lacks {section}");
        }
        insta::assert_snapshot!(format!("docs_{example}"), doc);
        files.push(file);
    }
    let node = |script: &str, args: &[&Path]| {
        let script = Path::new(ROOT).join("scripts/docs").join(script);
        assert!(
            Path::new(ROOT)
                .join("scripts/docs/node_modules/mermaid")
                .exists(),
            "scripts/docs.sh install (run by scripts/test.sh) provides Mermaid"
        );
        let out = Command::new("node")
            .arg(&script)
            .args(args)
            .output()
            .expect("run node");
        assert!(
            out.status.success(),
            "{}: {}{}",
            script.display(),
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    };
    let refs: Vec<&Path> = files.iter().map(|f| f.as_path()).collect();
    let parsed = node("parse.mjs", &refs);
    assert!(parsed.contains(" passed, 0 failed"), "{parsed}");
    for f in &refs {
        let drawn = node("render.mjs", &[f]);
        assert!(drawn.contains(", 0 errors"), "{drawn}");
    }
}

/// Completions for every shell, the bash one valid bash; a man page; the
/// version names the commit.
#[test]
fn completions_man_page_and_version() {
    let d = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = gantry(d.path(), &["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("deploy"), "{shell}");
        if shell == "bash" {
            let script = d.path().join("gantry.bash");
            std::fs::write(&script, &out.stdout).unwrap();
            let check = Command::new("bash")
                .arg("-n")
                .arg(&script)
                .output()
                .unwrap();
            assert!(check.status.success(), "{}", text(&check.stderr));
        }
    }
    let man = text(&gantry(d.path(), &["man"]).stdout);
    assert!(
        man.contains(".TH gantry 1") && man.contains("deploy"),
        "{man}"
    );
    let version = text(&gantry(d.path(), &["--version"]).stdout);
    assert!(version.starts_with("gantry 0.1.0 (commit "), "{version}");
}

#[test]
fn import_compose_writes_a_valid_spec_and_never_overwrites_one() {
    let d = tempfile::tempdir().unwrap();
    let fixture =
        Path::new(ROOT).join("crates/gantry-import/tests/fixtures/compose/docker-compose.yml");
    std::fs::copy(&fixture, d.path().join("docker-compose.yml")).unwrap();

    let out = gantry(d.path(), &["import", "compose", "docker-compose.yml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("wrote gantry.yaml"), "{err}");
    assert!(err.contains("needs attention"), "{err}");
    assert!(err.contains("services.api.env_file"), "{err}");
    let spec = std::fs::read_to_string(d.path().join("gantry.yaml")).unwrap();
    assert!(spec.contains("# import:"), "{spec}");

    let out = gantry(d.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("shop/dev"),
        "{}",
        text(&out.stdout)
    );

    // An existing spec is kept unless --force.
    std::fs::write(d.path().join("gantry.yaml"), "# mine\n").unwrap();
    let out = gantry(d.path(), &["import", "compose", "docker-compose.yml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("gantry.yaml")).unwrap(),
        "# mine\n"
    );
    let out = gantry(
        d.path(),
        &[
            "import",
            "compose",
            "docker-compose.yml",
            "--force",
            "--region",
            "eu-west-3",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(std::fs::read_to_string(d.path().join("gantry.yaml"))
        .unwrap()
        .contains("region: eu-west-3"));

    // Written one level down, build contexts still point at the sources.
    std::fs::create_dir(d.path().join("deploy")).unwrap();
    let out = gantry(
        d.path(),
        &[
            "import",
            "compose",
            "docker-compose.yml",
            "-o",
            "deploy/gantry.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let spec = std::fs::read_to_string(d.path().join("deploy/gantry.yaml")).unwrap();
    assert!(spec.contains("build: ../frontend"), "{spec}");
}

/// `gantry export cloudformation --all` of every example: a template per
/// environment, which cfn-lint and checkov (`scripts/scanners.sh install`,
/// run by `scripts/test.sh`) pass with no finding; every check they skip
/// is one the template itself skips on that resource, with its reason
/// (`crates/gantry-export/src/skips.rs`). What the templates cannot say
/// by themselves is printed.
#[test]
fn cloudformation_export_of_every_example_passes_the_scanners() {
    let out_dir = tempfile::tempdir().unwrap();
    let cfn = out_dir.path().join("cfn");
    let mut printed = String::new();
    for example in [
        "minimal",
        "fastapi-rds",
        "agent-platform",
        "astro",
        "reviewguide",
        "saas-platform",
    ] {
        let spec = Path::new(ROOT).join(format!("examples/{example}.yaml"));
        let out = gantry(
            out_dir.path(),
            &[
                "-f",
                spec.to_str().unwrap(),
                "export",
                "cloudformation",
                "--all",
                "-o",
                cfn.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{example}: {}", text(&out.stderr));
        printed.push_str(&text(&out.stdout));
    }
    eprintln!("{printed}");
    let mut templates: Vec<_> = std::fs::read_dir(&cfn)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    templates.sort();
    // Two environments per example.
    assert_eq!(templates.len(), 12, "{templates:?}");
    assert_eq!(printed.matches("Wrote ").count(), 12, "{printed}");
    // astro lives in eu-central-1: CloudFront's certificate and web ACL
    // are passed in from us-east-1; validations fold into certificates.
    assert!(
        printed.contains("acm_certificate.site (parameter)"),
        "{printed}"
    );
    assert!(
        printed.contains("wafv2_web_acl.site (parameter)"),
        "{printed}"
    );
    assert!(
        printed.contains("acm_certificate_validation.main (folded)"),
        "{printed}"
    );
    // How to deploy: roles keep their names, parameters are filled in.
    assert!(
        printed.contains(
            "--capabilities CAPABILITY_NAMED_IAM --parameter-overrides AcmCertificateSite=... Wafv2WebAclSite=..."
        ),
        "{printed}"
    );
    // -e and --all together are refused.
    let spec = Path::new(ROOT).join("examples/minimal.yaml");
    let both = gantry(
        out_dir.path(),
        &[
            "-f",
            spec.to_str().unwrap(),
            "-e",
            "prod",
            "export",
            "cloudformation",
            "--all",
        ],
    );
    assert_eq!(both.status.code(), Some(1));

    let scanners = Path::new(ROOT).join("scripts/scanners.sh");
    assert!(
        Path::new(ROOT).join(".venv-scanners/bin/checkov").exists(),
        "scripts/scanners.sh install (run by scripts/test.sh) provides cfn-lint and checkov"
    );
    // cfn-lint: exit 0 means no error, warning or informational finding.
    let lint = Command::new(&scanners)
        .args(["run", "cfn-lint"])
        .args(&templates)
        .output()
        .expect("run cfn-lint");
    assert_eq!(
        lint.status.code(),
        Some(0),
        "cfn-lint: {}{}",
        text(&lint.stdout),
        text(&lint.stderr)
    );
    let checkov = Command::new(&scanners)
        .args(["run", "checkov", "-d"])
        .arg(&cfn)
        .args(["--framework", "cloudformation", "--compact", "-o", "json"])
        .output()
        .expect("run checkov");
    let report: serde_json::Value = serde_json::from_slice(&checkov.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov printed no JSON ({e}): {}{}",
            text(&checkov.stdout),
            text(&checkov.stderr)
        )
    });
    let summary = &report["summary"];
    let failed: Vec<String> = report["results"]["failed_checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {} {}", f["check_id"], f["file_path"], f["resource"]))
        .collect();
    assert!(failed.is_empty(), "checkov failures: {failed:#?}");
    assert_eq!(summary["failed"], 0, "{summary}");
    assert_eq!(summary["parsing_errors"], 0, "{summary}");
    assert_eq!(checkov.status.code(), Some(0), "{summary}");
    let skipped = report["results"]["skipped_checks"].as_array().unwrap();
    for s in skipped {
        let reason = s["check_result"]["suppress_comment"]
            .as_str()
            .unwrap_or_default();
        assert!(
            reason.len() > 20,
            "{} skipped without a reason: {s}",
            s["check_id"]
        );
    }
    assert!(summary["passed"].as_u64().unwrap() > 500, "{summary}");
    eprintln!(
        "checkov: {} resources, {} passed, {} skipped with reasons, 0 failed",
        summary["resource_count"], summary["passed"], summary["skipped"]
    );
}

/// `gantry` with the usual test environment changed by `env` (`None`
/// removes a variable).
fn gantry_env(dir: &Path, args: &[&str], env: &[(&str, Option<&str>)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gantry"));
    c.current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.output().expect("run gantry")
}

const EXAMPLES: [&str; 6] = [
    "minimal",
    "fastapi-rds",
    "astro",
    "reviewguide",
    "saas-platform",
    "agent-platform",
];

/// `gantry new --from X` for every example writes a commented spec that
/// `gantry validate` accepts in every environment and whose desired graph
/// (what `plan` diffs against) is the example's; the next commands are
/// printed, `.gantry/` is ignored once, and a second `new` refuses.
#[test]
fn new_writes_every_example_as_a_valid_commented_spec_and_never_overwrites() {
    for example in EXAMPLES {
        let d = tempfile::tempdir().unwrap();
        let src = Path::new(ROOT).join(format!("examples/{example}.yaml"));
        let original = std::fs::read_to_string(&src).unwrap();
        let name = original
            .lines()
            .find_map(|l| l.strip_prefix("name: "))
            .unwrap()
            .trim()
            .to_string();
        let out = gantry(
            d.path(),
            &["new", "app", "--from", example, "--name", &name],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{example}: {}",
            text(&out.stderr)
        );
        let said = text(&out.stdout);
        assert!(
            said.contains("\nNext:\n  cd app\n  gantry doctor "),
            "{said}"
        );
        for next in ["\n  gantry plan ", "\n  gantry up "] {
            assert!(said.contains(next), "{said}");
        }
        let spec = std::fs::read_to_string(d.path().join("app/gantry.yaml")).unwrap();
        assert!(spec.contains("# Estimated monthly cost in"), "{spec}");
        assert!(spec.contains("# Services by name"), "{spec}");
        assert!(spec.lines().filter(|l| l.starts_with('#')).count() > 10);

        let app = d.path().join("app");
        let envs: Vec<String> = {
            let doc = text(&gantry(&app, &["cost", "--all", "--json"]).stdout);
            let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
            v["environments"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        assert!(envs.len() >= 2, "{example}: {envs:?}");
        for env in &envs {
            let out = gantry(&app, &["-e", env, "validate"]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{example}/{env}: {}",
                text(&out.stderr)
            );
            let ours = gantry(&app, &["-e", env, "graph"]);
            let theirs = gantry(d.path(), &["-f", src.to_str().unwrap(), "-e", env, "graph"]);
            assert_eq!(ours.status.code(), Some(0));
            assert_eq!(text(&ours.stdout), text(&theirs.stdout), "{example}/{env}");
        }
        let ignore = std::fs::read_to_string(app.join(".gitignore")).unwrap();
        assert_eq!(ignore.matches(".gantry/").count(), 1, "{ignore}");

        // A second `new` in the same directory changes nothing.
        let out = gantry(d.path(), &["new", "app", "--from", "minimal"]);
        assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("already exists"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(app.join("gantry.yaml")).unwrap(),
            spec
        );
        assert_eq!(
            std::fs::read_to_string(app.join(".gitignore")).unwrap(),
            ignore
        );
    }
}

#[test]
fn new_names_the_stack_after_its_directory_and_asks_only_on_a_terminal() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join(".gitignore"), "target/").unwrap();
    let dir = d.path().join("My Shop");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join(".gitignore"), "target/").unwrap();
    let out = gantry(&dir, &["new", "--from", "minimal", "--region", "eu-west-3"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("\n  gantry plan"),
        "{}",
        text(&out.stdout)
    );
    let out = gantry(&dir, &["validate"]);
    assert!(
        text(&out.stdout).contains("my-shop/dev"),
        "{}",
        text(&out.stdout)
    );
    let spec = std::fs::read_to_string(dir.join("gantry.yaml")).unwrap();
    assert!(spec.contains("\nregion: eu-west-3\n"), "{spec}");
    assert_eq!(
        std::fs::read_to_string(dir.join(".gitignore")).unwrap(),
        "target/\n# Gantry's local state (gantry new)\n.gantry/\n"
    );

    // No terminal, no --from: the choices, not a question.
    let out = gantry_env(d.path(), &["new", "other"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    for e in EXAMPLES {
        assert!(err.contains(e), "{err}");
    }
    assert!(err.contains("a web app with a database"), "{err}");
    assert!(!d.path().join("other/gantry.yaml").exists());

    let out = gantry(
        d.path(),
        &["new", "x", "--from", "minimal", "--name", "Bad Name"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--name bad-name"),
        "{}",
        text(&out.stderr)
    );
}

/// A port nothing listens on (bound, then closed).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `doctor` with the endpoint closed: that line fails with its fix, the
/// identity is not tried, and the exit code says not ready; `up` with the
/// endpoint closed fails before any plan, with one error.
#[test]
fn doctor_and_up_name_a_closed_endpoint_once_with_the_fix() {
    let d = project(&minimal());
    let url = format!("http://127.0.0.1:{}", closed_port());
    let out = gantry_env(d.path(), &["doctor"], &[("AWS_ENDPOINT_URL", Some(&url))]);
    assert_eq!(out.status.code(), Some(8), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("✓ spec"), "{said}");
    assert!(
        said.contains("✓ region            us-east-1 (from the spec)"),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "✗ endpoint          the endpoint {url} (AWS_ENDPOINT_URL) does not answer"
        )),
        "{said}"
    );
    assert!(said.contains("unset AWS_ENDPOINT_URL"), "{said}");
    assert!(
        said.contains("✓ credentials       from environment variables"),
        "{said}"
    );
    assert!(said.contains("✗ identity          not checked"), "{said}");
    assert!(said.contains("✓ lock              not held"), "{said}");
    assert!(
        said.contains("Not ready: 2 required checks failed."),
        "{said}"
    );

    for args in [&["up", "--yes"][..], &["plan"], &["destroy", "--yes"]] {
        let out = gantry_env(d.path(), args, &[("AWS_ENDPOINT_URL", Some(&url))]);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(text(&out.stdout), "", "{args:?}: no plan is shown");
        let err = text(&out.stderr);
        assert_eq!(err.matches("does not answer").count(), 1, "{err}");
        assert!(err.contains("unset AWS_ENDPOINT_URL"), "{err}");
        // The lock was given back.
        assert!(!d.path().join(".gantry/minimal-dev/lock.json").exists());
    }
}

/// Without any credential, doctor names the chain it tried.
#[test]
fn doctor_without_credentials_names_the_chain_it_tried() {
    let d = project(&minimal());
    let home = tempfile::tempdir().unwrap();
    // An endpoint that accepts connections, so only the credentials fail.
    let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", open.local_addr().unwrap());
    let missing = home.path().join("none");
    let out = gantry_env(
        d.path(),
        &["doctor"],
        &[
            ("AWS_ENDPOINT_URL", Some(&url)),
            ("AWS_ACCESS_KEY_ID", None),
            ("AWS_SECRET_ACCESS_KEY", None),
            ("AWS_SESSION_TOKEN", None),
            ("AWS_PROFILE", None),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", None),
            ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", None),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", None),
            ("AWS_EC2_METADATA_DISABLED", Some("true")),
            ("HOME", Some(home.path().to_str().unwrap())),
            ("AWS_CONFIG_FILE", Some(missing.to_str().unwrap())),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                Some(missing.to_str().unwrap()),
            ),
        ],
    );
    assert_eq!(out.status.code(), Some(8), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("✓ endpoint"), "{said}");
    assert!(
        said.contains("✗ credentials       no AWS credentials"),
        "{said}"
    );
    assert!(
        said.contains("environment variables (AWS_ACCESS_KEY_ID)"),
        "{said}"
    );
    assert!(said.contains("aws sso login"), "{said}");
    assert!(
        said.contains("Not ready: 2 required checks failed."),
        "{said}"
    );
}

#[test]
fn doctor_without_a_spec_says_how_to_get_one() {
    let d = tempfile::tempdir().unwrap();
    let out = gantry(d.path(), &["doctor"]);
    assert_eq!(out.status.code(), Some(8));
    let said = text(&out.stdout);
    assert!(
        said.contains("✗ spec              gantry.yaml does not exist"),
        "{said}"
    );
    assert!(said.contains("`gantry new`"), "{said}");
    assert!(
        said.contains("region            us-east-1 (from the AWS configuration)"),
        "{said}"
    );

    // An invalid spec and no region anywhere: the credentials are still
    // checked, STS is not.
    std::fs::write(d.path().join("gantry.yaml"), "name: x\nregion: [\n").unwrap();
    let none = d.path().join("none");
    let out = gantry_env(
        d.path(),
        &["doctor"],
        &[
            ("AWS_REGION", None),
            ("AWS_DEFAULT_REGION", None),
            ("AWS_PROFILE", None),
            ("AWS_CONFIG_FILE", Some(none.to_str().unwrap())),
        ],
    );
    assert_eq!(out.status.code(), Some(8));
    let said = text(&out.stdout);
    assert!(
        said.contains("✗ spec              gantry.yaml: invalid spec"),
        "{said}"
    );
    assert!(
        said.contains("`gantry validate` lists every problem"),
        "{said}"
    );
    assert!(said.contains("✗ region            none"), "{said}");
    assert!(
        said.contains("✓ credentials       from environment variables"),
        "{said}"
    );
    assert!(
        said.contains("✗ identity          not checked: sts:GetCallerIdentity needs a region"),
        "{said}"
    );
}

/// On a terminal (a pseudo-terminal from util-linux's `script`), `new`
/// asks which shape fits and takes a number or a name.
#[test]
fn new_asks_which_shape_fits_on_a_terminal() {
    for (answer, example) in [
        ("2", "fastapi-rds"),
        ("saas-platform", "saas-platform"),
        ("", "minimal"),
    ] {
        let d = tempfile::tempdir().unwrap();
        let cmd = format!("{} new app", env!("CARGO_BIN_EXE_gantry"));
        let mut child = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .current_dir(d.path())
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("util-linux `script` runs gantry on a terminal");
        use std::io::Write;
        writeln!(child.stdin.take().unwrap(), "{answer}").unwrap();
        let out = child.wait_with_output().unwrap();
        let said = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{said}");
        assert!(said.contains("Which shape fits your app?"), "{said}");
        assert!(
            said.contains("5. saas-platform   a platform with an API gateway"),
            "{said}"
        );
        assert!(
            said.contains(&format!("from the `{example}` example")),
            "{answer:?}: {said}"
        );
    }
}
