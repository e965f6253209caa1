//! `gantry new`: a first `gantry.yaml` from one of the examples (each one of
//! the seed architectures), with the stack's name and region put in, a
//! comment over every block saying what it makes (the schema's description
//! of the key, so the comment and `gantry help spec` say the same) and what
//! drives its cost, and the monthly estimate of every environment with the
//! NAT-versus-endpoints trade-off in figures. Nothing here writes a file:
//! [`render`] returns the text and the command writes it.

use crate::cost;
use gantry_cost::usd;
use std::fmt::Write as _;

/// One example `gantry new --from` can start from.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// The `--from` value (the file name under `examples/`).
    pub id: &'static str,
    /// The shape of app it fits, as the prompt asks.
    pub shape: &'static str,
    /// The example's text, embedded at build time.
    pub text: &'static str,
}

/// The examples, in the order the prompt lists them (simplest first).
pub const EXAMPLES: &[Example] = &[
    Example {
        id: "minimal",
        shape: "a web service (one service behind a load balancer)",
        text: include_str!("../../../examples/minimal.yaml"),
    },
    Example {
        id: "fastapi-rds",
        shape: "a web app with a database (PostgreSQL, no NAT gateway)",
        text: include_str!("../../../examples/fastapi-rds.yaml"),
    },
    Example {
        id: "astro",
        shape: "a SPA with an API (CloudFront site, API, PostgreSQL, Redis)",
        text: include_str!("../../../examples/astro.yaml"),
    },
    Example {
        id: "reviewguide",
        shape: "two services (frontend and backend, PostgreSQL, Redis)",
        text: include_str!("../../../examples/reviewguide.yaml"),
    },
    Example {
        id: "saas-platform",
        shape: "a platform with an API gateway (several services, EFS, S3)",
        text: include_str!("../../../examples/saas-platform.yaml"),
    },
    Example {
        id: "agent-platform",
        shape: "an AI agent platform (three containers in one task, SSE, WAF, HTTPS)",
        text: include_str!("../../../examples/agent-platform.yaml"),
    },
];

/// The example called `id`.
pub fn example(id: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.id == id)
}

/// The `--from` values, comma-separated, for messages.
pub fn ids() -> String {
    EXAMPLES.iter().map(|e| e.id).collect::<Vec<_>>().join(", ")
}

/// What can stop `gantry new` before it writes anything.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum NewError {
    /// Exit code [`crate::exit::SPEC_EXISTS`].
    #[error("{0} already exists; `gantry new` never overwrites a spec")]
    #[diagnostic(
        code(gantry::new::exists),
        help("pick another directory (`gantry new DIR`), or move the file away first")
    )]
    Exists(String),
    #[error("`{0}` is not a valid stack name")]
    #[diagnostic(
        code(gantry::new::name),
        help("lowercase letters, digits and `-`, starting with a letter, at most {max} characters: try `--name {1}`", max = gantry_spec::MAX_STACK_NAME)
    )]
    Name(String, String),
    #[error("the spec written from `{0}` does not validate:\n{1}")]
    #[diagnostic(
        code(gantry::new::invalid),
        help("check --name and --region; the example itself validates with the defaults")
    )]
    Invalid(String, String),
}

/// What to put in the example.
#[derive(Debug, Clone)]
pub struct Choices {
    pub name: String,
    pub region: Option<String>,
}

/// True for a name the spec accepts as a stack name.
pub fn valid_name(name: &str) -> bool {
    name.len() <= gantry_spec::MAX_STACK_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

/// A stack name made from a directory name (`My Shop` → `my-shop`).
pub fn name_from(raw: &str) -> String {
    gantry_import::stack_name(raw)
}

/// The commented spec for `example` with `choices` put in. It is checked
/// the way `gantry validate` checks a file (every environment, and the
/// architecture each produces) before it is returned.
pub fn render(example: &Example, choices: &Choices) -> Result<String, NewError> {
    if !valid_name(&choices.name) {
        return Err(NewError::Name(
            choices.name.clone(),
            name_from(&choices.name),
        ));
    }
    let text = substitute(example.text, "name", &choices.name);
    let text = match &choices.region {
        Some(r) => substitute(&text, "region", r),
        None => text,
    };
    let spec = check(example.id, &text)?;
    let prices = gantry_cost::Prices::built_in();
    let (envs, model) = cost::environments(&spec, &spec.environment_names(), &prices)
        .map_err(|e| NewError::Invalid(example.id.to_string(), format!("{e:?}")))?;
    let tradeoff = model
        .as_ref()
        .and_then(|m| cost::egress_tradeoff(m, &prices));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# gantry.yaml, written by `gantry new --from {}` (Gantry {}).",
        example.id,
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        out,
        "# Reference of every key: `gantry help spec KEY` (e.g. `gantry help spec services`) or docs/spec.md."
    );
    let totals: Vec<String> = envs
        .iter()
        .map(|e| format!("{} {}", e.env, usd(e.estimate.total())))
        .collect();
    let region = model.as_ref().map_or("", |m| m.region.as_str());
    let _ = writeln!(
        out,
        "# Estimated monthly cost in {region} (USD, on demand, some use assumed): {}.\n# `gantry cost --all --detail` shows each charge.\n#",
        totals.join(", ")
    );
    out.push_str(&annotate(&text, tradeoff.as_ref()));
    // What was checked is what is written: the comments must not change it.
    check(example.id, &out)?;
    Ok(out)
}

/// Parses and models `text` for every environment and builds each one's
/// architecture, as `gantry validate` does.
fn check(id: &str, text: &str) -> Result<gantry_spec::Spec, NewError> {
    // Rendered as miette renders it for `gantry validate`: file:line:col.
    let invalid = |r: miette::Report| NewError::Invalid(id.to_string(), format!("{r:?}"));
    let spec = gantry_spec::parse_str("gantry.yaml", text).map_err(|e| invalid(e.into()))?;
    for env in spec.environment_names() {
        let model = gantry_model::Model::build(&spec, &env).map_err(|e| invalid(e.into()))?;
        gantry_architect::architect(&model).map_err(|e| invalid(e.into()))?;
    }
    Ok(spec)
}

/// `text` with the top-level `key:` line's value replaced by `value`.
fn substitute(text: &str, key: &str, value: &str) -> String {
    let prefix = format!("{key}:");
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.starts_with(&prefix) {
            let _ = writeln!(out, "{prefix} {value}");
        } else {
            out.push_str(line);
        }
    }
    out
}

/// What drives the cost of a top-level block, where something does.
fn cost_note(key: &str) -> Option<&'static str> {
    Some(match key {
        "network" => "Cost: `egress` is the largest fixed cost of a small stack (figures at `egress:` below); more `azs` means more NAT gateways or endpoints.",
        "services" => "Cost: Fargate bills cpu and memory per task-hour, so cpu, memory and desired_count set the bill; `capacity: fargate-spot` is cheaper for work that may be interrupted.",
        "postgres" => "Cost: billed per instance-hour and GB stored: instance_class and storage, and `multi_az` (a standby, twice the instance) where it is on.",
        "redis" => "Cost: billed per node-hour: the node type and the number of replicas.",
        "load_balancers" => "Cost: each load balancer bills per hour plus use; services share one unless they name another.",
        "waf" => "Cost: a web ACL bills per month, per rule group and per million requests.",
        "alerts" => "Cost: each CloudWatch alarm bills per month.",
        "dashboard" => "Cost: dashboards beyond the account's free three bill per month.",
        "site" => "Cost: CloudFront bills per request and per GB served; the bucket per GB stored.",
        "api" => "Cost: the HTTP API bills per million requests.",
        "volumes" => "Cost: EFS bills per GB stored.",
        "tables" | "buckets" => "Cost: billed by use (requests and GB stored).",
        "secrets" => "Cost: each secret bills per month.",
        _ => return None,
    })
}

/// The schema's description of each top-level key.
fn descriptions() -> serde_json::Map<String, serde_json::Value> {
    let schema = gantry_spec::json_schema();
    schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default()
}

/// `text` with a comment block over each top-level key (what it makes,
/// from the schema, and what drives its cost), and the egress trade-off
/// over `egress:`.
fn annotate(text: &str, tradeoff: Option<&cost::Tradeoff>) -> String {
    let props = descriptions();
    let mut out = String::with_capacity(text.len() * 2);
    for line in text.split_inclusive('\n') {
        let key = line
            .split_once(':')
            .map(|(k, _)| k)
            .filter(|k| !k.is_empty() && !k.starts_with([' ', '#', '-']));
        if let Some(key) = key {
            let what = props
                .get(key)
                .and_then(|p| p.get("description"))
                .and_then(|d| d.as_str());
            if let Some(what) = what {
                if !out.is_empty() && !out.ends_with("\n\n") && !out.ends_with("#\n") {
                    out.push('\n');
                }
                comment(&mut out, "", what);
                if let Some(note) = cost_note(key) {
                    comment(&mut out, "", note);
                }
            }
        }
        if let (Some(t), Some(rest)) = (tradeoff, line.strip_prefix("  egress:")) {
            let chosen = rest.split('#').next().unwrap_or("").trim();
            comment(&mut out, "  ", &egress_note(chosen, t));
        }
        out.push_str(line);
    }
    out
}

/// The egress choice and its alternative, priced.
fn egress_note(chosen: &str, t: &cost::Tradeoff) -> String {
    let mut s = format!(
        "egress: `{chosen}`. `nat` is one NAT gateway with its address, {}/mo plus ${}/GB (`nat-per-az`: one per AZ, for prod); `endpoints` is no NAT, {} interface endpoints in {} AZs instead, {}/mo plus ${}/GB, and tasks then reach only AWS services, not the internet.",
        usd(t.nat_usd),
        t.nat_gb_usd,
        t.endpoints,
        t.azs,
        usd(t.endpoints_usd),
        t.endpoint_gb_usd,
    );
    match t.break_even_gb {
        Some(gb) => {
            let _ = write!(
                s,
                " Endpoints cost less only above {:.0} GB a month.",
                gb.ceil()
            );
        }
        None => s.push_str(" Endpoints cost less at any traffic."),
    }
    s
}

/// `text` as `# ` lines of at most 78 columns, indented by `indent`.
fn comment(out: &mut String, indent: &str, text: &str) {
    let width = 78 - indent.len() - 2;
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            let _ = writeln!(out, "{indent}# {line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}# {line}");
    }
}

/// `.gitignore` text with a `.gantry/` line: `None` when `existing` already
/// ignores it, else the whole new content (appended once).
pub fn gitignore(existing: Option<&str>) -> Option<String> {
    match existing {
        None => Some(".gantry/\n".to_string()),
        Some(t)
            if t.lines()
                .any(|l| matches!(l.trim(), ".gantry" | ".gantry/" | "/.gantry" | "/.gantry/")) =>
        {
            None
        }
        Some(t) => {
            let sep = if t.is_empty() || t.ends_with('\n') {
                ""
            } else {
                "\n"
            };
            Some(format!(
                "{t}{sep}# Gantry's local state (gantry new)\n.gantry/\n"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_renders_a_valid_spec_with_its_own_name_kept() {
        for e in EXAMPLES {
            let original = gantry_spec::parse_str(e.id, e.text).unwrap();
            let text = render(
                e,
                &Choices {
                    name: original.name.value.clone(),
                    region: None,
                },
            )
            .unwrap_or_else(|err| panic!("{}: {err:?}", e.id));
            let spec = gantry_spec::parse_str(e.id, &text).unwrap();
            assert_eq!(spec.name.value, original.name.value);
            assert_eq!(spec.region.value, original.region.value);
            // A comment over `services:` says what a service is.
            assert!(text.contains("# Services by name"), "{}", e.id);
            assert!(text.contains("# Estimated monthly cost in"), "{}", e.id);
        }
    }

    #[test]
    fn name_and_region_are_put_in() {
        let e = example("fastapi-rds").unwrap();
        let text = render(
            e,
            &Choices {
                name: "shop".into(),
                region: Some("eu-west-3".into()),
            },
        )
        .unwrap();
        let spec = gantry_spec::parse_str("x", &text).unwrap();
        assert_eq!(spec.name.value, "shop");
        assert_eq!(spec.region.value, "eu-west-3");
        // Endpoints were chosen: the comment prices them against NAT.
        assert!(
            text.contains("#   egress: `endpoints`") || text.contains("# egress: `endpoints`"),
            "{text}"
        );
        assert!(text.contains("interface endpoints"), "{text}");
    }

    #[test]
    fn a_bad_name_or_region_is_refused_before_anything_is_written() {
        let e = example("minimal").unwrap();
        let err = render(
            e,
            &Choices {
                name: "My Shop".into(),
                region: None,
            },
        )
        .unwrap_err();
        assert!(
            matches!(&err, NewError::Name(_, s) if s == "my-shop"),
            "{err:?}"
        );
        let err = render(
            e,
            &Choices {
                name: "shop".into(),
                region: Some("mars-1".into()),
            },
        )
        .unwrap_err();
        assert!(format!("{err:?}").contains("invalid region"), "{err:?}");
    }

    #[test]
    fn gitignore_gets_one_line_once() {
        assert_eq!(gitignore(None).as_deref(), Some(".gantry/\n"));
        assert_eq!(gitignore(Some("target/\n.gantry/\n")), None);
        let t = gitignore(Some("target/")).unwrap();
        assert!(
            t.starts_with("target/\n") && t.ends_with(".gantry/\n"),
            "{t}"
        );
        assert_eq!(gitignore(Some(&t)), None);
    }
}
