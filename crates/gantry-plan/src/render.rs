//! Terraform-style text rendering of a [`Plan`]. Pure: returns a string, so
//! the CLI decides where it goes and tests can snapshot it.

use crate::{Action, FieldChange, Plan, PlannedAction};
use serde_json::Value;
use std::fmt::Write;

struct Palette {
    green: &'static str,
    yellow: &'static str,
    red: &'static str,
    bold: &'static str,
    dim: &'static str,
    reset: &'static str,
}

const COLOR: Palette = Palette {
    green: "\x1b[32m",
    yellow: "\x1b[33m",
    red: "\x1b[31m",
    bold: "\x1b[1m",
    dim: "\x1b[2m",
    reset: "\x1b[0m",
};

const PLAIN: Palette = Palette {
    green: "",
    yellow: "",
    red: "",
    bold: "",
    dim: "",
    reset: "",
};

/// Renders the plan as text, with ANSI colors when `color` is set.
pub fn render_text(plan: &Plan, color: bool) -> String {
    let p = if color { &COLOR } else { &PLAIN };
    let mut out = String::new();
    let changing: Vec<&PlannedAction> = plan
        .actions
        .iter()
        .filter(|a| a.action != Action::NoOp)
        .collect();
    if changing.is_empty() {
        let _ = writeln!(
            out,
            "{}No changes.{} The infrastructure matches the spec.",
            p.bold, p.reset
        );
        render_untracked(&mut out, plan, p);
        return out;
    }
    let _ = writeln!(out, "Gantry will perform the following actions:\n");
    for a in changing {
        render_action(&mut out, a, p);
        out.push('\n');
    }
    let s = &plan.summary;
    let adopt = if s.adopt > 0 {
        format!("{} to adopt, ", s.adopt)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{}Plan:{} {adopt}{} to add, {} to change, {} to replace, {} to destroy.",
        p.bold, p.reset, s.add, s.change, s.replace, s.destroy
    );
    let data: Vec<String> = plan
        .data_loss()
        .iter()
        .map(|a| a.address.to_string())
        .collect();
    if !data.is_empty() {
        let _ = writeln!(
            out,
            "\n{}Warning:{} this plan destroys data held by {}.",
            p.red,
            p.reset,
            data.join(", ")
        );
    }
    render_untracked(&mut out, plan, p);
    out
}

/// The objects `up` leaves alone, with what removes them.
fn render_untracked(out: &mut String, plan: &crate::Plan, p: &Palette) {
    if plan.untracked.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{}Untracked objects:{} {} tagged for this stack but not in its state. \
         `up` leaves them alone; `gantry destroy` removes them.",
        p.yellow,
        p.reset,
        match plan.untracked.len() {
            1 => "1 object is".to_string(),
            n => format!("{n} objects are"),
        }
    );
    for u in &plan.untracked {
        let at = u
            .address
            .as_ref()
            .map(|a| format!(" ({a})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  ? {} {}{at}{}: {}{}",
            u.kind, u.id, p.dim, u.reason, p.reset
        );
    }
}

fn render_action(out: &mut String, a: &PlannedAction, p: &Palette) {
    let (sym, color, what) = match a.action {
        Action::Create => ("  +", p.green, "will be created".to_string()),
        Action::Adopt if a.changes.is_empty() => (
            "  <",
            p.green,
            "will be adopted (found in AWS, tagged for it, not recorded)".to_string(),
        ),
        Action::Adopt => (
            "  <",
            p.yellow,
            "will be adopted (found in AWS, tagged for it, not recorded) and updated in place"
                .to_string(),
        ),
        Action::Update => ("  ~", p.yellow, "will be updated in place".to_string()),
        Action::Replace if a.keeps_old => (
            "+/-",
            p.yellow,
            "must be replaced (a new one is created; the old one is kept to go back to)"
                .to_string(),
        ),
        Action::Replace if a.create_before_destroy => (
            "+/-",
            p.yellow,
            "must be replaced (new one created before the old is destroyed)".to_string(),
        ),
        Action::Replace if a.found.is_some() => (
            "-/+",
            p.red,
            "(an untracked object found for it) must be replaced".to_string(),
        ),
        Action::Replace => ("-/+", p.red, "must be replaced".to_string()),
        Action::Delete => match (&a.deposed, &a.found) {
            (Some(id), _) => (
                "  -",
                p.red,
                format!("(replaced object {id}) will be destroyed"),
            ),
            (None, Some(_)) => (
                "  -",
                p.red,
                "(untracked object) will be destroyed".to_string(),
            ),
            (None, None) => ("  -", p.red, "will be destroyed".to_string()),
        },
        Action::NoOp => return,
    };
    let _ = writeln!(out, "  {}# {} {}{}", p.bold, a.address, what, p.reset);
    if a.destroys_data() {
        let _ = writeln!(
            out,
            "  {}# this destroys the data it holds{}",
            p.red, p.reset
        );
    }
    let mut head = format!("{color}{sym}{} {}{}", p.reset, p.bold, a.address);
    if let Some(id) = &a.id {
        let _ = write!(head, "{} {}(id {id}){}", p.reset, p.dim, p.reset);
    } else {
        head.push_str(p.reset);
    }
    match (a.action, &a.reason) {
        (Action::Replace, _) if !a.replace_fields.is_empty() => {
            let _ = write!(
                head,
                " {}(because: {}){}",
                p.red,
                a.replace_fields.join(", "),
                p.reset
            );
        }
        (Action::Replace | Action::Delete, Some(r)) | (Action::Create, Some(r)) => {
            let _ = write!(head, " {}(because {r}){}", p.dim, p.reset);
        }
        _ => {}
    }
    let _ = writeln!(out, "{head}");
    if let Some(n) = &a.note {
        let _ = writeln!(out, "      {}# {n}{}", p.dim, p.reset);
    }
    let width = a.changes.iter().map(|c| c.field.len()).max().unwrap_or(0);
    for c in &a.changes {
        render_field(out, a.action, c, width, p);
    }
}

fn render_field(out: &mut String, action: Action, c: &FieldChange, width: usize, p: &Palette) {
    let (sym, color) = match action {
        Action::Create => ("+", p.green),
        _ if c.before.is_none() && !c.sensitive && (c.after.is_some() || c.unknown) => {
            ("+", p.green)
        }
        _ if c.after.is_none() && !c.sensitive && !c.unknown => ("-", p.red),
        _ => ("~", p.yellow),
    };
    let indent = 6 + 2 + width + 3;
    let after = if c.unknown {
        format!("{}(known after apply){}", p.dim, p.reset)
    } else if c.sensitive {
        format!("{}(sensitive){}", p.dim, p.reset)
    } else {
        c.after
            .as_ref()
            .map(|v| value(v, indent))
            .unwrap_or_else(|| "null".into())
    };
    let rhs = match (action, sym) {
        (Action::Create, _) | (_, "+") => after,
        (_, "-") => format!(
            "{} -> null",
            value(c.before.as_ref().unwrap_or(&Value::Null), indent)
        ),
        _ => {
            let before = if c.sensitive {
                format!("{}(sensitive){}", p.dim, p.reset)
            } else {
                c.before
                    .as_ref()
                    .map(|v| value(v, indent))
                    .unwrap_or_else(|| "null".into())
            };
            format!("{before} -> {after}")
        }
    };
    let mut forces = if c.forces_replacement {
        format!(" {}# forces replacement{}", p.red, p.reset)
    } else {
        String::new()
    };
    if c.drift {
        forces.push_str(&format!(" {}# changed outside Gantry{}", p.yellow, p.reset));
    }
    let _ = writeln!(
        out,
        "      {color}{sym}{} {:<width$} = {rhs}{forces}",
        p.reset, c.field
    );
}

/// Scalars and short values on one line; longer ones as indented JSON.
fn value(v: &Value, indent: usize) -> String {
    let compact = serde_json::to_string(v).expect("JSON values serialize");
    if compact.len() <= 60 {
        return compact;
    }
    let pretty = serde_json::to_string_pretty(v).expect("JSON values serialize");
    let pad = " ".repeat(indent);
    pretty.lines().collect::<Vec<_>>().join(&format!("\n{pad}"))
}
