//! Diagnostics: every spec problem as a miette diagnostic pointing at
//! `file:line:col`, with a labelled source snippet and a hint.
//!
//! Problems are collected rather than returned one at a time, so a user fixes
//! a whole file in one pass; [`SpecError`] carries them as `related`
//! diagnostics so miette renders each with its own snippet.

use crate::span::Pos;
use miette::{Diagnostic, NamedSource, SourceSpan};
use std::sync::Arc;

/// The spec file's text and name, shared by every problem found in it.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: Arc<String>,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Source {
            name: name.into(),
            text: Arc::new(text.into()),
        }
    }

    fn named(&self) -> NamedSource<String> {
        NamedSource::new(self.name.clone(), self.text.as_ref().clone())
    }

    /// Byte span for a position; falls back to computing the offset from
    /// line and column when the parser did not provide one.
    fn span(&self, pos: &Pos) -> SourceSpan {
        if !pos.is_known() {
            return SourceSpan::new(0.into(), 0);
        }
        let offset = pos.offset.unwrap_or_else(|| {
            let mut off = 0;
            for (i, line) in self.text.split_inclusive('\n').enumerate() {
                if i + 1 == pos.line as usize {
                    let col: usize = line
                        .chars()
                        .take(pos.column.saturating_sub(1) as usize)
                        .map(char::len_utf8)
                        .sum();
                    return off + col;
                }
                off += line.len();
            }
            0
        });
        let offset = offset.min(self.text.len());
        let len = pos.len.min(self.text.len() - offset);
        SourceSpan::new(offset.into(), len)
    }
}

/// One problem in the spec file.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("{location}: {message}")]
#[diagnostic(code(gantry::spec))]
pub struct Problem {
    /// `file:line:col` (just `file` when no position is known).
    pub location: String,
    pub line: u32,
    pub column: u32,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    #[help]
    pub hint: Option<String>,
    #[source_code]
    src: NamedSource<String>,
    #[label("{label}")]
    span: SourceSpan,
    label: String,
}

impl Problem {
    pub(crate) fn new(
        src: &Source,
        pos: Pos,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Self {
        let message = message.into();
        let location = if pos.is_known() {
            format!("{}:{}:{}", src.name, pos.line, pos.column)
        } else {
            src.name.clone()
        };
        Problem {
            location,
            line: pos.line,
            column: pos.column,
            label: short_label(&message),
            message,
            hint,
            src: src.named(),
            span: src.span(&pos),
        }
    }
}

/// Labels sit under the code, right below the message; keep them to its
/// gist (the part before the first name or colon) so they do not repeat it.
fn short_label(message: &str) -> String {
    let cut = message.find(['`', ':']).unwrap_or(message.len());
    let head = message[..cut].trim();
    if head.len() < 8 {
        message.to_string()
    } else {
        head.to_string()
    }
}

/// Why a spec could not be loaded.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum SpecError {
    #[error("cannot read {path}: {source}")]
    #[diagnostic(
        code(gantry::spec::io),
        help("check the path, or pass the spec file with --file")
    )]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", summary(file, problems))]
    #[diagnostic(code(gantry::spec::invalid))]
    Invalid {
        file: String,
        #[related]
        problems: Vec<Problem>,
    },
}

fn summary(file: &str, problems: &[Problem]) -> String {
    match problems.len() {
        1 => format!("{file}: invalid spec (1 problem)"),
        n => format!("{file}: invalid spec ({n} problems)"),
    }
}

impl SpecError {
    /// The individual problems (empty for I/O errors).
    pub fn problems(&self) -> &[Problem] {
        match self {
            SpecError::Invalid { problems, .. } => problems,
            SpecError::Io { .. } => &[],
        }
    }
}

/// Collects problems while validating.
pub(crate) struct Problems<'a> {
    pub src: &'a Source,
    pub list: Vec<Problem>,
}

impl<'a> Problems<'a> {
    pub fn new(src: &'a Source) -> Self {
        Problems {
            src,
            list: Vec::new(),
        }
    }

    pub fn push(&mut self, pos: Pos, message: impl Into<String>, hint: impl Into<Option<String>>) {
        let p = Problem::new(self.src, pos, message, hint.into());
        // The same base value is checked once per environment; report it once.
        if !self
            .list
            .iter()
            .any(|q| q.line == p.line && q.column == p.column && q.message == p.message)
        {
            self.list.push(p);
        }
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a
/// plausible typo.
pub fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|c| (levenshtein(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1) + usize::from(c.len() > 6))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance counting an adjacent transposition as one edit (optimal
/// string alignment), since swapped letters are the commonest typo.
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// A hint listing the valid choices, leading with the likely intended one.
pub(crate) fn choice_hint(word: &str, what: &str, valid: &[&str]) -> String {
    let list = valid
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match closest(word, valid.iter().copied()) {
        Some(c) => format!("did you mean `{c}`? valid {what}: {list}"),
        None => format!("valid {what}: {list}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(
            closest("desried_count", ["cpu", "desired_count"]),
            Some("desired_count")
        );
        assert_eq!(closest("imag", ["image", "build"]), Some("image"));
        assert_eq!(closest("zzzz", ["image", "build"]), None);
        assert_eq!(closest("wbe", ["web", "api"]), Some("web"));
    }
}
