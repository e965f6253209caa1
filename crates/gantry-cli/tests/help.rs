//! The help a user reads, snapshotted: `gantry --help` (the commands
//! grouped by what one is doing) and every command's and subcommand's
//! `--help`, each with an example; `gantry help COMMAND` and `gantry help
//! spec KEY`. Runs the binary only: this test links no AWS SDK crate.

use std::path::Path;
use std::process::{Command, Output};

fn gantry(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gantry"))
        .current_dir(std::env::temp_dir())
        .args(args)
        .env("NO_COLOR", "1")
        // `[env: GANTRY_FILE=...]` would show a value set around the test.
        .env_remove("GANTRY_FILE")
        .env_remove("GANTRY_ENV")
        .env_remove("GANTRY_STATE")
        .env_remove("GANTRY_STATE_DIR")
        .env_remove("GANTRY_PRICES")
        .output()
        .expect("run gantry")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The commands a help text lists: lines `  NAME  about` under any heading
/// but the options', arguments' and examples'.
fn commands_in(help: &str) -> Vec<String> {
    let mut heading = "";
    let mut out = Vec::new();
    for line in help.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            heading = line;
            continue;
        }
        if matches!(heading, "Options:" | "Arguments:" | "Examples:" | "") {
            continue;
        }
        let Some(rest) = line.strip_prefix("  ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '-')
            .collect();
        if !name.is_empty() && rest[name.len()..].starts_with("  ") {
            out.push(name);
        }
    }
    out
}

/// Every command path, depth first (clap's own `help` subcommands of
/// command groups left out).
fn all_commands(path: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let help = text(&gantry(&args).stdout);
    for c in commands_in(&help) {
        if c == "help" && !path.is_empty() {
            continue;
        }
        let mut p = path.clone();
        p.push(c);
        out.push(p.clone());
        all_commands(p, out);
    }
}

#[test]
fn top_level_help_groups_the_commands() {
    let out = gantry(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    // What Gantry does, in one line, first.
    assert!(help.starts_with(
        "One spec in, a production AWS architecture out: plan it with its cost, apply it, deploy to it, watch it.\n"
    ), "{help}");
    for heading in ["Build:", "Ship:", "Run:", "Team:", "Insight:"] {
        assert!(help.contains(&format!("\n{heading}\n")), "{help}");
    }
    let build = help.split("Build:\n").nth(1).unwrap();
    let build = build.split("\n\n").next().unwrap();
    for c in ["new", "validate", "plan", "up", "destroy"] {
        assert!(build.contains(&format!("  {c} ")), "{build}");
    }
    insta::assert_snapshot!("gantry", help);
}

#[test]
fn every_command_has_help_with_an_example() {
    let mut paths = Vec::new();
    all_commands(Vec::new(), &mut paths);
    assert!(paths.len() > 35, "{paths:?}");
    for p in &paths {
        let mut args: Vec<&str> = p.iter().map(String::as_str).collect();
        args.push("--help");
        let out = gantry(&args);
        assert_eq!(out.status.code(), Some(0), "{p:?}");
        let help = text(&out.stdout);
        assert!(
            help.contains("\nExamples:\n") || help.contains("\nExample:\n"),
            "`gantry {}` has no example:\n{help}",
            p.join(" ")
        );
        insta::assert_snapshot!(format!("gantry_{}", p.join("_")), help);
    }
}

#[test]
fn help_command_prints_what_dash_dash_help_prints() {
    for p in [&["up"][..], &["state", "migrate"], &["new"]] {
        let mut args = vec!["help"];
        args.extend(p);
        let via_help = gantry(&args);
        let mut args = p.to_vec();
        args.push("--help");
        let via_flag = gantry(&args);
        assert_eq!(via_help.status.code(), Some(0));
        assert_eq!(text(&via_help.stdout), text(&via_flag.stdout), "{p:?}");
    }
    assert_eq!(
        text(&gantry(&["help"]).stdout),
        text(&gantry(&["--help"]).stdout)
    );
    let out = gantry(&["help", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no command `nope`"));
}

#[test]
fn help_spec_prints_one_key_from_the_schema_and_docs() {
    let out = gantry(&["help", "spec", "services.containers"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(
        t.starts_with("services.*.containers: map of name → mapping, required\n"),
        "{t}"
    );
    assert!(t.contains("Keys of each entry:"), "{t}");
    insta::assert_snapshot!("spec_services_containers", t);

    let t = text(&gantry(&["help", "spec", "network.egress"]).stdout);
    assert!(t.contains("default: `nat`"), "{t}");
    insta::assert_snapshot!("spec_network_egress", t);

    // Every top-level key of the schema has an answer.
    let schema: serde_json::Value = serde_json::from_slice(&gantry(&["schema"]).stdout).unwrap();
    for key in schema["properties"].as_object().unwrap().keys() {
        let out = gantry(&["help", "spec", key]);
        assert_eq!(out.status.code(), Some(0), "{key}");
        assert!(text(&out.stdout).starts_with(&format!("{key}: ")));
    }

    let out = gantry(&["help", "spec", "services.*.containrs"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("no key `services.*.containrs`"), "{err}");
    assert!(err.contains("containers"), "{err}");
}

#[test]
fn the_readme_lists_every_command() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    for c in commands_in(&text(&gantry(&["--help"]).stdout)) {
        assert!(
            readme.contains(&format!("| `{c}")),
            "README's command table has no row for `{c}`"
        );
    }
}
