//! `gantry help spec KEY`: the reference of one key of `gantry.yaml`.
//!
//! What a key is and its type come from the spec's JSON Schema (the doc
//! comments of `gantry-spec`'s types, the source `gantry schema` and
//! editors read); its default and notes come from the row of
//! `docs/spec.md`'s tables that names it, embedded at build time, so the
//! command, the schema and the document cannot tell different stories
//! (the tests check that every top-level key has both).
//!
//! A key is a dotted path: `services.*.containers.*.image`, where `*` (or
//! any name, `services.web.containers`) stands for a map entry or a list
//! item; entries may be skipped when the next part can only be a key
//! inside them (`services.containers.image`).

use serde_json::Value;
use std::fmt::Write as _;

/// The reference document whose tables give defaults and notes.
const SPEC_MD: &str = include_str!("../../../docs/spec.md");

/// A key the schema does not have.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("the spec has no key `{path}`")]
#[diagnostic(code(gantry::help::spec), help("{hint}"))]
pub struct UnknownKey {
    pub path: String,
    pub hint: String,
}

/// One step into the schema: the node, the `$defs` name it came from (for
/// finding its section in docs/spec.md), and whether it is required.
#[derive(Clone)]
struct Step<'a> {
    node: &'a Value,
    def: Option<String>,
    required: bool,
}

/// The reference of `key` (all top-level keys for an empty key).
pub fn lookup(key: &str) -> Result<String, UnknownKey> {
    let schema = gantry_spec::json_schema();
    lookup_in(&schema, key)
}

fn lookup_in(root: &Value, key: &str) -> Result<String, UnknownKey> {
    let mut cur = Step {
        node: root,
        def: Some("Spec".to_string()),
        required: true,
    };
    // The key a step was reached by, and the step it was reached from.
    let mut path: Vec<String> = Vec::new();
    let mut parent: Option<(Step, String)> = None;
    for seg in key.split('.').filter(|s| !s.is_empty()) {
        let (here, def) = resolve(root, cur.node);
        let def = def.or(cur.def.clone());
        if let Some(p) = property(here, seg) {
            parent = Some((
                Step {
                    node: here,
                    def: def.clone(),
                    required: cur.required,
                },
                seg.to_string(),
            ));
            cur = Step {
                node: p,
                def: None,
                required: is_required(here, seg),
            };
            path.push(seg.to_string());
            continue;
        }
        let Some(entry) = entry_of(here) else {
            return Err(unknown(root, here, &path, seg));
        };
        let (inner, inner_def) = resolve(root, entry);
        path.push("*".to_string());
        if seg != "*" {
            if let Some(p) = property(inner, seg) {
                // `services.containers`: the entry level, skipped.
                parent = Some((
                    Step {
                        node: inner,
                        def: inner_def.clone(),
                        required: true,
                    },
                    seg.to_string(),
                ));
                cur = Step {
                    node: p,
                    def: None,
                    required: is_required(inner, seg),
                };
                path.push(seg.to_string());
                continue;
            }
        }
        cur = Step {
            node: entry,
            def: inner_def,
            required: true,
        };
    }
    Ok(render(root, &path, &cur, parent.as_ref()))
}

/// `v` with `$ref`s followed and `null` alternatives dropped, and the name
/// of the last definition followed.
fn resolve<'a>(root: &'a Value, mut v: &'a Value) -> (&'a Value, Option<String>) {
    let mut def = None;
    for _ in 0..8 {
        if let Some(r) = v.get("$ref").and_then(Value::as_str) {
            let name = r.trim_start_matches("#/$defs/");
            def = Some(name.to_string());
            match root.get("$defs").and_then(|d| d.get(name)) {
                Some(d) => v = d,
                None => break,
            }
            continue;
        }
        let alts = v.get("anyOf").or_else(|| v.get("oneOf"));
        if let Some(a) = alts.and_then(Value::as_array) {
            let real: Vec<&Value> = a.iter().filter(|x| !is_null(x)).collect();
            if real.len() == 1 {
                v = real[0];
                continue;
            }
        }
        break;
    }
    (v, def)
}

fn is_null(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

fn property<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get("properties").and_then(|p| p.get(key))
}

fn is_required(v: &Value, key: &str) -> bool {
    v.get("required")
        .and_then(Value::as_array)
        .is_some_and(|r| r.iter().any(|k| k.as_str() == Some(key)))
}

/// The schema of a map's values or a list's items.
fn entry_of(v: &Value) -> Option<&Value> {
    v.get("additionalProperties")
        .filter(|a| a.is_object())
        .or_else(|| v.get("items").filter(|i| i.is_object()))
}

fn keys(v: &Value) -> Vec<&str> {
    v.get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn unknown(root: &Value, here: &Value, path: &[String], seg: &str) -> UnknownKey {
    let mut full = path.to_vec();
    full.push(seg.to_string());
    let mut choices = keys(here);
    if choices.is_empty() {
        if let Some(e) = entry_of(here) {
            choices = keys(resolve(root, e).0);
        }
    }
    let at = if path.is_empty() {
        "the top level".to_string()
    } else {
        format!("`{}`", path.join("."))
    };
    let hint = if choices.is_empty() {
        format!(
            "{at} has no keys inside; `gantry help spec {}` describes it",
            path.join(".")
        )
    } else {
        format!("keys at {at}: {}", choices.join(", "))
    };
    UnknownKey {
        path: full.join("."),
        hint,
    }
}

/// A short name of `v`'s type: `string`, `list of string`, `map of name →
/// mapping`, `` `nat` | `endpoints` ``...
fn type_of(root: &Value, v: &Value) -> String {
    let (v, _) = resolve(root, v);
    if let Some(values) = enum_values(v) {
        return values
            .iter()
            .map(|(s, _)| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(" | ");
    }
    if let Some(a) = v.get("anyOf").and_then(Value::as_array) {
        let parts: Vec<String> = a
            .iter()
            .filter(|x| !is_null(x))
            .map(|x| type_of(root, x))
            .collect();
        return parts.join(" or ");
    }
    let types: Vec<&str> = match v.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let t = types.into_iter().find(|t| *t != "null").unwrap_or("");
    match t {
        "string" => "string".to_string(),
        "integer" => "integer".to_string(),
        "number" => "number".to_string(),
        "boolean" => "bool".to_string(),
        "array" => match v.get("items") {
            Some(i) => format!("list of {}", type_of(root, i)),
            None => "list".to_string(),
        },
        _ if v.get("properties").is_some() => "mapping".to_string(),
        _ => match entry_of(v) {
            Some(e) => format!("map of name → {}", type_of(root, e)),
            None if t == "object" => "mapping".to_string(),
            None => "value".to_string(),
        },
    }
}

/// The values of a string enum, with each one's description.
fn enum_values(v: &Value) -> Option<Vec<(String, String)>> {
    if let Some(e) = v.get("enum").and_then(Value::as_array) {
        return Some(
            e.iter()
                .filter_map(Value::as_str)
                .map(|s| (s.to_string(), String::new()))
                .collect(),
        );
    }
    let alts = v.get("oneOf").and_then(Value::as_array)?;
    let mut out = Vec::new();
    for a in alts {
        let c = a
            .get("const")
            .or_else(|| a.get("enum").and_then(|e| e.get(0)))?
            .as_str()?;
        let d = a.get("description").and_then(Value::as_str).unwrap_or("");
        out.push((c.to_string(), d.to_string()));
    }
    Some(out)
}

fn description(root: &Value, v: &Value) -> String {
    v.get("description")
        .or_else(|| resolve(root, v).0.get("description"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// The first sentence of `text`, on one line.
fn first_sentence(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.find(". ") {
        Some(i) => flat[..=i].to_string(),
        None => flat,
    }
}

fn wrap(out: &mut String, indent: &str, text: &str) {
    for para in text.split("\n\n") {
        let mut line = String::new();
        for w in para.split_whitespace() {
            if !line.is_empty() && indent.len() + line.len() + 1 + w.len() > 78 {
                let _ = writeln!(out, "{indent}{line}");
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(w);
        }
        if !line.is_empty() {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
}

fn render(root: &Value, path: &[String], cur: &Step, parent: Option<&(Step, String)>) -> String {
    let mut out = String::new();
    let (here, def) = resolve(root, cur.node);
    let def = def.or(cur.def.clone());
    let name = if path.is_empty() {
        "gantry.yaml".to_string()
    } else {
        path.join(".")
    };
    let _ = writeln!(
        out,
        "{name}: {}{}",
        type_of(root, cur.node),
        if cur.required && !path.is_empty() {
            ", required"
        } else {
            ""
        }
    );
    out.push('\n');
    wrap(&mut out, "", &description(root, cur.node));
    if let Some((from, key)) = parent {
        if let Some((heading, row)) = doc_row(from.def.as_deref(), path, key) {
            out.push('\n');
            for (col, val) in row {
                wrap(&mut out, "", &format!("{col}: {val}"));
            }
            let _ = writeln!(out, "(docs/spec.md, {heading})");
        }
    }
    if let Some(values) = enum_values(here).filter(|v| v.iter().any(|(_, d)| !d.is_empty())) {
        let _ = writeln!(out, "\nValues:");
        for (v, d) in values {
            let _ = writeln!(out, "  {v:20} {}", first_sentence(&d));
        }
    }
    let (listed, entry) = if here.get("properties").is_some() {
        (Some(here), false)
    } else {
        let inner = entry_of(here).map(|e| resolve(root, e).0);
        (inner.filter(|i| i.get("properties").is_some()), true)
    };
    if let Some(obj) = listed {
        let _ = writeln!(
            out,
            "\n{}",
            if entry {
                "Keys of each entry:"
            } else {
                "Keys:"
            }
        );
        let props = obj["properties"].as_object().expect("checked");
        let width = props.keys().map(String::len).max().unwrap_or(0);
        for (k, v) in props {
            let req = if is_required(obj, k) {
                " (required)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {k:width$}  {}{req}",
                first_sentence(&description(root, v))
            );
        }
        let more = if path.is_empty() {
            "KEY".to_string()
        } else if entry {
            format!("{}.*.KEY", path.join("."))
        } else {
            format!("{}.KEY", path.join("."))
        };
        let _ = writeln!(out, "\nMore on one: gantry help spec {more}");
    }
    if let Some(d) = def.as_deref().and_then(doc_heading) {
        if parent
            .is_none_or(|(from, _)| from.def.as_deref().and_then(doc_heading) != Some(d.clone()))
        {
            let _ = writeln!(out, "\nSee docs/spec.md, {d}.");
        }
    }
    out
}

/// The heading of docs/spec.md that documents the keys of definition `def`
/// (or of the top-level key of the same name).
fn doc_heading(def: &str) -> Option<String> {
    let wanted: Vec<String> = match def {
        "Spec" => vec!["Top level".into()],
        "Service" => vec!["Service".into()],
        "Container" => vec!["Container".into()],
        "Overlay" => vec!["Environment overlays".into()],
        // Sections are named after the key: `tables` documents `Table`.
        other => vec![
            format!("`{}`", snake(other)),
            format!("`{}s`", snake(other)),
        ],
    };
    SPEC_MD
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim())
        .find(|h| wanted.iter().any(|w| h == w))
        .map(str::to_string)
}

/// `StateSpec` → `state`, `LoadBalancer` → `load_balancer`.
fn snake(def: &str) -> String {
    let base = def.strip_suffix("Spec").unwrap_or(def);
    let mut s = String::new();
    for (i, c) in base.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                s.push('_');
            }
            s.push(c.to_ascii_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}

/// The row naming `key` in the tables of the section documenting the
/// parent (its definition's section, else the section named after the
/// parent key), as (column, value) pairs after the key column.
fn doc_row(
    parent_def: Option<&str>,
    path: &[String],
    key: &str,
) -> Option<(String, Vec<(String, String)>)> {
    let mut headings: Vec<String> = parent_def.and_then(doc_heading).into_iter().collect();
    // `network.egress`: the parent key's own section.
    if let Some(p) = path.iter().rev().skip(1).find(|s| *s != "*") {
        headings.push(format!("`{p}`"));
    }
    for h in headings {
        if let Some(row) = row_in_section(&h, key) {
            return Some((h, row));
        }
    }
    None
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    // `\|` inside a cell is a literal bar.
    inner
        .replace("\\|", "\u{1}")
        .split('|')
        .map(|c| c.trim().replace('\u{1}', "|"))
        .collect()
}

fn row_in_section(heading: &str, key: &str) -> Option<Vec<(String, String)>> {
    let mut lines = SPEC_MD
        .lines()
        .skip_while(|l| !(l.starts_with('#') && l.trim_start_matches('#').trim() == heading));
    let first = lines.next()?;
    let level = first.chars().take_while(|c| *c == '#').count();
    let mut header: Vec<String> = Vec::new();
    for l in lines {
        if l.starts_with('#') && l.chars().take_while(|c| *c == '#').count() <= level {
            break;
        }
        if !l.starts_with('|') {
            header.clear();
            continue;
        }
        let c = cells(l);
        if header.is_empty() {
            header = c;
            continue;
        }
        if c.iter().all(|x| x.chars().all(|ch| ch == '-' || ch == ':')) {
            continue;
        }
        let names_key = c.first().is_some_and(|k| {
            k.split(" / ").any(|part| {
                let part = part.trim().trim_matches('`');
                part == key || part.starts_with(&format!("{key}."))
            })
        });
        if names_key {
            return Some(
                header
                    .iter()
                    .skip(1)
                    .cloned()
                    .zip(c.into_iter().skip(1))
                    .filter(|(_, v)| !v.is_empty())
                    .collect(),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_top_level_key_has_a_reference_with_its_docs_row() {
        let schema = gantry_spec::json_schema();
        let keys: Vec<&str> = keys(&schema);
        assert!(keys.len() > 10, "{keys:?}");
        for k in keys {
            let text = lookup(k).unwrap_or_else(|e| panic!("{k}: {e:?}"));
            assert!(text.starts_with(&format!("{k}: ")), "{text}");
            // The schema's description and docs/spec.md's row, both.
            assert!(
                text.contains("(docs/spec.md, Top level)"),
                "docs/spec.md's top-level table has no row for `{k}`:\n{text}"
            );
        }
    }

    #[test]
    fn map_entries_may_be_written_as_star_a_name_or_left_out() {
        let star = lookup("services.*.containers").unwrap();
        assert_eq!(lookup("services.web.containers").unwrap(), star);
        assert_eq!(lookup("services.containers").unwrap(), star);
        assert!(
            star.starts_with("services.*.containers: map of name → mapping, required"),
            "{star}"
        );
        assert!(star.contains("Keys of each entry:"), "{star}");
        assert!(star.contains("  image "), "{star}");
    }

    #[test]
    fn a_leaf_shows_its_type_description_and_default() {
        let t = lookup("network.egress").unwrap();
        assert!(t.contains("`nat`") && t.contains("`endpoints`"), "{t}");
        assert!(t.contains("default: `nat`"), "{t}");
        let t = lookup("services.containers.image").unwrap();
        assert!(
            t.starts_with("services.*.containers.*.image: string"),
            "{t}"
        );
        assert!(t.contains("(docs/spec.md, Container)"), "{t}");
    }

    #[test]
    fn an_unknown_key_lists_the_keys_there() {
        let e = lookup("network.egres").unwrap_err();
        assert_eq!(e.path, "network.egres");
        assert!(e.hint.contains("egress"), "{}", e.hint);
        let e = lookup("nope").unwrap_err();
        assert!(e.hint.contains("services"), "{}", e.hint);
    }

    #[test]
    fn no_key_lists_the_top_level() {
        let t = lookup("").unwrap();
        assert!(t.starts_with("gantry.yaml: mapping"), "{t}");
        assert!(t.contains("  services "), "{t}");
        assert!(t.contains("gantry help spec KEY"), "{t}");
    }
}
