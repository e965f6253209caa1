//! `gantry status` as text: the stack's resources, then each service's
//! desired/running/pending tasks and deployment state.

use crate::ops::StatusReport;
use std::fmt::Write;

pub fn render(r: &StatusReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Stack {}/{} in {} (state serial {})",
        r.stack, r.env, r.region, r.serial
    );
    if let Some(l) = &r.lock {
        let _ = writeln!(
            out,
            "Locked by {} running `{}` since {}",
            l.who, l.command, l.since
        );
    }
    if r.resources.is_empty() && r.untracked.is_empty() {
        out.push_str("\nNo resources: the stack has not been created (run `gantry up`).\n");
        return out;
    }
    let _ = writeln!(out, "\nResources ({}):", r.resources.len());
    let w = r
        .resources
        .iter()
        .map(|x| x.address.len())
        .max()
        .unwrap_or(0);
    for x in &r.resources {
        let flag = if x.status == "ok" {
            String::new()
        } else {
            format!("  ({})", x.status)
        };
        let _ = writeln!(out, "  {:w$}  {}{flag}", x.address, x.id);
    }
    if !r.services.is_empty() {
        out.push_str("\nServices:\n");
        let _ = writeln!(
            out,
            "  {:<24} {:>7} {:>7} {:>7}  {:<12} task definition",
            "service", "desired", "running", "pending", "deployment"
        );
        for s in &r.services {
            let _ = writeln!(
                out,
                "  {:<24} {:>7} {:>7} {:>7}  {:<12} {}",
                s.ecs.name,
                s.ecs.desired,
                s.ecs.running,
                s.ecs.pending,
                s.ecs.rollout_state.as_deref().unwrap_or("-"),
                s.ecs
                    .task_definition
                    .rsplit('/')
                    .next()
                    .unwrap_or(&s.ecs.task_definition),
            );
        }
    }
    out.push_str(&endpoints(&r.endpoints));
    if !r.untracked.is_empty() {
        let _ = writeln!(
            out,
            "\nUntracked ({}): tagged with this stack, not in the state; `gantry up` adopts those at an address it wants, `gantry destroy` removes them all:",
            r.untracked.len()
        );
        for u in &r.untracked {
            let _ = writeln!(
                out,
                "  {} {}  {}",
                u.kind,
                u.id,
                u.address.as_deref().unwrap_or("(no address tag)")
            );
        }
    }
    out
}

/// The app's addresses, a line each (nothing when there are none).
pub fn endpoints(e: &[crate::endpoints::Endpoint]) -> String {
    let mut out = String::new();
    if e.is_empty() {
        return out;
    }
    out.push_str("\nAddresses:\n");
    let w = e.iter().map(|x| x.url.len()).max().unwrap_or(0);
    for x in e {
        let behind = if x.url.ends_with(&x.dns_name) {
            String::new()
        } else {
            format!("  -> {}", x.dns_name)
        };
        let _ = writeln!(out, "  {:w$}{behind}  ({})", x.url, x.via);
    }
    out
}

/// A service's releases as a table, oldest first, the current one marked.
pub fn releases(service: &str, list: &[gantry_state::Release], current: Option<u64>) -> String {
    let mut out = String::new();
    if list.is_empty() {
        let _ = writeln!(
            out,
            "No releases of {service} yet: `gantry deploy` ships and records them."
        );
        return out;
    }
    let _ = writeln!(
        out,
        "Releases of {service} (oldest first; * marks the one in place):"
    );
    let rev = |r: &gantry_state::Release| {
        if r.revision.is_empty() {
            "-".to_string()
        } else {
            crate::render::rollout::revision(&r.revision).to_string()
        }
    };
    let wr = list.iter().map(|r| rev(r).len()).max().unwrap_or(0).max(8);
    let wb = list.iter().map(|r| r.by.len()).max().unwrap_or(0).max(2);
    let _ = writeln!(
        out,
        "    {:>3}  {:wr$}  {:20}  {:wb$}  {:12}  images",
        "#", "revision", "when", "by", "outcome"
    );
    for r in list {
        let mark = if Some(r.number) == current { "*" } else { " " };
        let images: Vec<String> = r.images.iter().map(|(c, i)| format!("{c}={i}")).collect();
        let _ = writeln!(
            out,
            "  {mark} {:>3}  {:wr$}  {:20}  {:wb$}  {:12}  {}",
            r.number,
            rev(r),
            r.at,
            r.by,
            r.outcome.to_string(),
            images.join(", ")
        );
        let mut notes = Vec::new();
        if let Some(n) = r.rollback_of {
            notes.push(format!("rollback to release {n}"));
        }
        if let Some(why) = &r.reason {
            notes.push(why.clone());
        }
        if !notes.is_empty() {
            let _ = writeln!(out, "        {}", notes.join("; "));
        }
    }
    out
}
