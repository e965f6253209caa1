//! `gantry doctor`'s report: a line per check (✓ or ✗, what, what was
//! found), the fix under each failure, and a closing verdict.

use crate::doctor::Report;
use owo_colors::OwoColorize;
use std::fmt::Write as _;

pub fn report(r: &Report, color: bool) -> String {
    let width = r.checks.iter().map(|c| c.what.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in &r.checks {
        let mark = match (c.pass, color) {
            (true, true) => "✓".green().to_string(),
            (true, false) => "✓".to_string(),
            (false, true) if c.required => "✗".red().bold().to_string(),
            (false, true) => "✗".yellow().to_string(),
            (false, false) => "✗".to_string(),
        };
        let _ = writeln!(out, "{mark} {:width$}  {}", c.what, c.detail);
        if let (false, Some(fix)) = (c.pass, &c.fix) {
            let _ = writeln!(out, "  {:width$}  fix: {fix}", "");
        }
    }
    let failed = r.checks.iter().filter(|c| !c.pass && c.required).count();
    let optional = r.checks.iter().filter(|c| !c.pass && !c.required).count();
    out.push('\n');
    if failed == 0 {
        out.push_str("Ready: every required check passed");
        if optional > 0 {
            let _ = write!(
                out,
                " ({optional} optional one{} did not)",
                if optional == 1 { "" } else { "s" }
            );
        }
        out.push_str(".\n");
    } else {
        let _ = writeln!(
            out,
            "Not ready: {failed} required check{} failed.",
            if failed == 1 { "" } else { "s" }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::{Check, Report};

    fn check(what: &'static str, pass: bool, required: bool) -> Check {
        Check {
            what,
            pass,
            detail: format!("{what} detail"),
            fix: (!pass).then(|| format!("fix {what}")),
            required,
        }
    }

    #[test]
    fn failures_carry_their_fix_and_the_verdict_counts_required_ones() {
        let r = Report {
            checks: vec![
                check("spec", true, true),
                check("credentials", false, true),
                check("exec plugin", false, false),
            ],
        };
        assert!(!r.ready());
        let text = report(&r, false);
        assert!(text.contains("✓ spec         spec detail\n"), "{text}");
        assert!(
            text.contains(
                "✗ credentials  credentials detail\n               fix: fix credentials\n"
            ),
            "{text}"
        );
        assert!(
            text.ends_with("Not ready: 1 required check failed.\n"),
            "{text}"
        );
        let ok = Report {
            checks: vec![
                check("spec", true, true),
                check("exec plugin", false, false),
            ],
        };
        assert!(ok.ready());
        assert!(report(&ok, false)
            .ends_with("Ready: every required check passed (1 optional one did not).\n"));
    }
}
