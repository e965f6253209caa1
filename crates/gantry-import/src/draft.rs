//! The spec being built: one map per top-level section, the notes, and
//! the assembly into the final text in the order the examples use.

use crate::names::Stores;
use crate::yaml::{self, Map, Value};
use crate::{Import, Note};

/// Every comment that needs the user's attention starts with this, so
/// they are easy to find in the file.
pub const MARK: &str = "import:";

#[derive(Debug, Default)]
pub struct Draft {
    pub header: Vec<String>,
    pub name: String,
    pub name_comment: Vec<String>,
    pub region: String,
    pub region_comment: Vec<String>,
    pub network: Map,
    pub domain: Map,
    pub load_balancers: Map,
    pub postgres: Map,
    pub redis: Map,
    pub tables: Map,
    pub buckets: Map,
    pub volumes: Map,
    pub secrets: Map,
    pub services: Map,
    pub environments: Map,
    pub stores: Stores,
    pub converted: Vec<String>,
    notes: Vec<(String, Note)>,
}

impl Draft {
    /// Records a note and returns the comment text to put in the spec.
    pub fn note(&mut self, file: &str, key: &str, message: impl Into<String>) -> String {
        let message = message.into();
        let text = if key.is_empty() {
            format!("{MARK} {message}")
        } else {
            format!("{MARK} {key}: {message}")
        };
        self.notes.push((
            text.clone(),
            Note {
                file: file.to_string(),
                key: key.to_string(),
                message,
            },
        ));
        text
    }

    /// The spec text and the notes in the order their comments appear.
    pub fn finish(self) -> Import {
        let mut top = Map::new();
        top.set("name", self.name.as_str()).comments = self.name_comment;
        top.set("region", self.region.as_str()).comments = self.region_comment;
        for (key, section) in [
            ("network", self.network),
            ("domain", self.domain),
            ("load_balancers", self.load_balancers),
            ("postgres", self.postgres),
            ("redis", self.redis),
            ("tables", self.tables),
            ("buckets", self.buckets),
            ("volumes", self.volumes),
            ("secrets", self.secrets),
            ("services", self.services),
            ("environments", self.environments),
        ] {
            if !section.entries.is_empty() {
                top.entries.push(yaml::Entry {
                    key: key.to_string(),
                    value: Some(Value::Map(section)),
                    comments: Vec::new(),
                });
            }
        }
        let mut text = String::new();
        for h in &self.header {
            for line in yaml::wrap(h, 98) {
                text.push_str(&format!("# {line}\n").replace("# \n", "#\n"));
            }
        }
        text.push_str(&yaml::write(&top));
        // Notes in the order the file shows them (the comment text is
        // unique enough; unmatched ones go last).
        let mut notes: Vec<(usize, Note)> = self
            .notes
            .into_iter()
            .map(|(t, n)| {
                let first = yaml::wrap(&t, 60).into_iter().next().unwrap_or_default();
                (text.find(&first).unwrap_or(usize::MAX), n)
            })
            .collect();
        notes.sort_by_key(|(at, _)| *at);
        Import {
            spec: text,
            converted: self.converted,
            notes: notes.into_iter().map(|(_, n)| n).collect(),
        }
    }
}
