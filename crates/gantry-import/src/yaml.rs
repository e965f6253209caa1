//! A small YAML writer for the generated spec: maps keep the order they
//! were built in, any entry can carry comment lines above it, and an entry
//! can be a comment alone (a setting that was not converted, at the place
//! it would have gone).
//!
//! Strings are written plain when YAML would read them back as the same
//! string, and double-quoted (JSON escapes, which YAML accepts) otherwise.
//! Short lists and lists of small maps are written in flow style
//! (`[a, b]`, `{path: "/*", lb: internal}`), like the examples.

/// Comment lines are wrapped to fit this many columns.
const WIDTH: usize = 100;

/// A value of the generated document.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<Value>),
    Map(Map),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::Int(n.into())
    }
}
impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Map(m)
    }
}
impl From<Vec<String>> for Value {
    fn from(v: Vec<String>) -> Self {
        Value::List(v.into_iter().map(Value::Str).collect())
    }
}

/// One key of a map (or, without a value, a comment standing alone).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub value: Option<Value>,
    pub comments: Vec<String>,
}

impl Entry {
    /// Adds a comment line (wrapped when written) above the entry.
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.comments.push(text.into());
        self
    }
}

/// An ordered map.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Map {
    pub entries: Vec<Entry>,
}

impl Map {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` (in place when it exists, keeping its comments; at the end
    /// otherwise) and returns its entry.
    pub fn set(&mut self, key: &str, value: impl Into<Value>) -> &mut Entry {
        let value = Some(value.into());
        match self.position(key) {
            Some(i) => {
                self.entries[i].value = value;
                &mut self.entries[i]
            }
            None => {
                self.entries.push(Entry {
                    key: key.to_string(),
                    value,
                    comments: Vec::new(),
                });
                self.entries.last_mut().expect("just pushed")
            }
        }
    }

    /// The map at `key`, created (empty, at the end) when missing.
    pub fn map(&mut self, key: &str) -> &mut Map {
        let i = match self.position(key) {
            Some(i) if matches!(self.entries[i].value, Some(Value::Map(_))) => i,
            Some(i) => {
                self.entries[i].value = Some(Value::Map(Map::new()));
                i
            }
            None => {
                self.set(key, Map::new());
                self.entries.len() - 1
            }
        };
        match &mut self.entries[i].value {
            Some(Value::Map(m)) => m,
            _ => unreachable!("set to a map above"),
        }
    }

    /// The entry at `key`, if it has a value.
    pub fn entry(&mut self, key: &str) -> Option<&mut Entry> {
        let i = self.position(key)?;
        Some(&mut self.entries[i])
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|e| e.key == key && e.value.is_some())
            .and_then(|e| e.value.as_ref())
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Appends a comment that stands alone at this point of the map.
    pub fn comment(&mut self, text: impl Into<String>) {
        self.entries.push(Entry {
            key: String::new(),
            value: None,
            comments: vec![text.into()],
        });
    }

    /// True when no entry has a value (comments alone do not count).
    pub fn is_empty(&self) -> bool {
        self.entries.iter().all(|e| e.value.is_none())
    }

    /// Keys with a value, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|e| e.value.is_some())
            .map(|e| e.key.as_str())
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.key == key && e.value.is_some())
    }
}

/// Writes a document whose top level is `map`.
pub fn write(map: &Map) -> String {
    let mut out = String::new();
    write_map(&mut out, map, 0);
    out
}

fn write_map(out: &mut String, map: &Map, indent: usize) {
    for e in &map.entries {
        write_comments(out, &e.comments, indent);
        let Some(v) = &e.value else { continue };
        let pad = " ".repeat(indent);
        let key = scalar(&e.key);
        match v {
            Value::Map(m) if m.is_empty() => {
                // Comments inside an empty map go above its key.
                for c in &m.entries {
                    write_comments(out, &c.comments, indent + 2);
                }
                out.push_str(&format!("{pad}{key}: {{}}\n"));
            }
            Value::Map(m) => {
                out.push_str(&format!("{pad}{key}:\n"));
                write_map(out, m, indent + 2);
            }
            Value::List(items) => match flow(v) {
                Some(f) if indent + key.len() + 2 + f.len() <= WIDTH => {
                    out.push_str(&format!("{pad}{key}: {f}\n"));
                }
                _ => {
                    out.push_str(&format!("{pad}{key}:\n"));
                    for item in items {
                        match flow(item) {
                            Some(f) => out.push_str(&format!("{pad}  - {f}\n")),
                            None => {
                                // A map with nested collections: block style.
                                if let Value::Map(m) = item {
                                    let mut inner = String::new();
                                    write_map(&mut inner, m, indent + 4);
                                    let inner = inner.trim_start().to_string();
                                    out.push_str(&format!("{pad}  - {inner}"));
                                }
                            }
                        }
                    }
                }
            },
            other => {
                let f = flow(other).expect("scalars have a flow form");
                out.push_str(&format!("{pad}{key}: {f}\n"));
            }
        }
    }
}

fn write_comments(out: &mut String, comments: &[String], indent: usize) {
    let pad = " ".repeat(indent);
    let width = WIDTH.saturating_sub(indent + 2).max(40);
    for c in comments {
        for line in wrap(c, width) {
            if line.is_empty() {
                out.push_str(&format!("{pad}#\n"));
            } else {
                out.push_str(&format!("{pad}# {line}\n"));
            }
        }
    }
}

/// Splits `text` into lines of at most `width` characters at spaces (a
/// longer word stays whole); explicit newlines are kept.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

/// The flow form of a scalar, of a list of flow values, or of a map whose
/// values are scalars or flat lists; `None` for deeper maps.
fn flow(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(scalar(s)),
        Value::Int(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::List(items) => {
            let parts: Option<Vec<String>> = items.iter().map(flow).collect();
            Some(format!("[{}]", parts?.join(", ")))
        }
        Value::Map(m) => {
            let mut parts = Vec::new();
            for e in &m.entries {
                let Some(v) = &e.value else { continue };
                if let Value::Map(_) = v {
                    return None;
                }
                parts.push(format!("{}: {}", scalar(&e.key), flow(v)?));
            }
            Some(format!("{{{}}}", parts.join(", ")))
        }
    }
}

/// A string as a YAML scalar that reads back as the same string.
pub fn scalar(s: &str) -> String {
    if plain_ok(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("strings serialize")
    }
}

fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.trim() != s || s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if s.chars()
        .any(|c| c.is_control() || ",[]{}#&*!|>'\"%@`\\".contains(c))
    {
        return false;
    }
    if "-?:".contains(first) {
        return false;
    }
    // Anything YAML 1.1 or 1.2 could read as a number, a boolean or null.
    let lower = s.to_ascii_lowercase();
    if [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    ]
    .contains(&lower.as_str())
    {
        return false;
    }
    let numeric_start = first.is_ascii_digit()
        || (first == '.' && s[1..].starts_with(|c: char| c.is_ascii_digit()))
        || (first == '+');
    !(numeric_start || lower == ".inf" || lower == ".nan")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_quoted_only_when_needed() {
        assert_eq!(scalar("web"), "web");
        assert_eq!(
            scalar("public.ecr.aws/nginx/nginx:1.27"),
            "public.ecr.aws/nginx/nginx:1.27"
        );
        assert_eq!(scalar("/*"), "\"/*\"");
        assert_eq!(scalar("16"), "\"16\"");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar(""), "\"\"");
        assert_eq!(scalar("-x"), "\"-x\"");
        assert_eq!(scalar("say \"hi\""), "\"say \\\"hi\\\"\"");
    }

    #[test]
    fn maps_keep_order_and_comments() {
        let mut m = Map::new();
        m.set("name", "shop").comment("the stack");
        m.map("services").map("web").set("cpu", 256u32);
        m.comment("a lone note");
        let mut route = Map::new();
        route.set("path", "/api/*");
        route.set("lb", "internal");
        m.set("routes", Value::List(vec![Value::Map(route), "/*".into()]));
        m.set("empty", Map::new());
        assert_eq!(
            write(&m),
            "# the stack\nname: shop\nservices:\n  web:\n    cpu: 256\n# a lone note\nroutes: [{path: \"/api/*\", lb: internal}, \"/*\"]\nempty: {}\n"
        );
    }

    #[test]
    fn long_comments_wrap() {
        let lines = wrap("aaa bbb ccc ddd", 7);
        assert_eq!(lines, vec!["aaa bbb", "ccc ddd"]);
    }
}
