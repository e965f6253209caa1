//! What the spec tests share: the problems a text has, the one problem it
//! must have (at a line and column, with part of its message), and a
//! problem's hint. Each test file is its own crate and uses some of these.
#![allow(dead_code)]

use gantry_spec::{parse_str, Problem};

/// The problems of `text`, which must have some.
pub fn problems(text: &str) -> Vec<Problem> {
    match parse_str("gantry.yaml", text) {
        Ok(_) => panic!("expected problems in:\n{text}"),
        Err(e) => e.problems().to_vec(),
    }
}

/// The one problem of `text`: at `line`:`col`, its message containing
/// `msg`, and printed as `gantry.yaml:LINE:COL: ...`.
pub fn one(text: &str, line: u32, col: u32, msg: &str) -> Problem {
    let ps = problems(text);
    assert_eq!(ps.len(), 1, "expected one problem, got {ps:#?}");
    let p = ps.into_iter().next().unwrap();
    assert!(
        p.message.contains(msg),
        "message {:?} lacks {msg:?}",
        p.message
    );
    assert_eq!((p.line, p.column), (line, col), "{p}");
    assert_eq!(p.location, format!("gantry.yaml:{line}:{col}"));
    assert!(
        p.to_string()
            .starts_with(&format!("gantry.yaml:{line}:{col}: ")),
        "{p}"
    );
    p
}

pub fn hint(p: &Problem) -> &str {
    p.hint.as_deref().unwrap_or("")
}
