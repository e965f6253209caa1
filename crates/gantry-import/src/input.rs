//! Reading the source files: YAML (with serde-saphyr) into ordered JSON
//! values, and the small conversions both importers need (numbers written
//! as strings, durations like `1m30s`, sizes like `512M`, shell words).

use crate::ImportError;
use serde_json::{Map, Value};

/// Parses YAML text into a value whose maps keep the file's key order.
/// Anchors and merge keys are expanded; unknown tags (CloudFormation's
/// `!Ref`, `!Sub`, ...) are dropped, leaving their scalar or collection.
pub fn parse(file: &str, text: &str) -> Result<Value, ImportError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_saphyr::from_str::<Value>(text).map_err(|e| ImportError::Yaml {
        file: file.to_string(),
        message: e.to_string(),
    })
}

/// Parses a CloudFormation template: like [`parse`], but a node with a
/// short-form intrinsic tag becomes its JSON form (`!Ref X` →
/// `{"Ref": "X"}`, `!Sub s` → `{"Fn::Sub": "s"}`), so a reference is never
/// mistaken for a literal value.
pub fn parse_cfn(file: &str, text: &str) -> Result<Value, ImportError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_saphyr::from_str::<Cfn>(text)
        .map(|c| c.0)
        .map_err(|e| ImportError::Yaml {
            file: file.to_string(),
            message: e.to_string(),
        })
}

/// A template node with its tag applied.
struct Cfn(Value);

/// A template node before its tag is applied.
struct Untagged(Value);

impl<'de> serde::Deserialize<'de> for Cfn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let serde_saphyr::Tagged(Untagged(v), tag) = serde::Deserialize::deserialize(d)?;
        Ok(Cfn(
            match tag.as_deref().and_then(|t| t.strip_prefix('!')) {
                Some("Ref") => serde_json::json!({ "Ref": v }),
                Some("Condition") => serde_json::json!({ "Condition": v }),
                Some(f) if f.starts_with(|c: char| c.is_ascii_uppercase()) => {
                    let mut m = Map::new();
                    m.insert(format!("Fn::{f}"), v);
                    Value::Object(m)
                }
                _ => v,
            },
        ))
    }
}

impl<'de> serde::Deserialize<'de> for Untagged {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Untagged;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Untagged, E> {
                Ok(Untagged(Value::Bool(b)))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Untagged, E> {
                Ok(Untagged(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Untagged, E> {
                Ok(Untagged(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Untagged, E> {
                Ok(Untagged(
                    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
                ))
            }
            fn visit_str<E>(self, s: &str) -> Result<Untagged, E> {
                Ok(Untagged(Value::String(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Untagged, E> {
                Ok(Untagged(Value::String(s)))
            }
            fn visit_unit<E>(self) -> Result<Untagged, E> {
                Ok(Untagged(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Untagged, E> {
                Ok(Untagged(Value::Null))
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Untagged, D::Error> {
                serde::Deserialize::deserialize(d)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Untagged, A::Error> {
                let mut out = Vec::new();
                while let Some(Cfn(v)) = seq.next_element()? {
                    out.push(v);
                }
                Ok(Untagged(Value::Array(out)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Untagged, A::Error> {
                let mut out = Map::new();
                while let Some(k) = m.next_key::<String>()? {
                    let Cfn(v) = m.next_value()?;
                    out.insert(k, v);
                }
                Ok(Untagged(Value::Object(out)))
            }
        }
        d.deserialize_any(V)
    }
}

/// The map of `v`, or an empty one.
pub fn map(v: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    v.as_object().unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// A scalar as text (numbers and booleans too).
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A non-negative whole number, written as a number or a string.
pub fn uint(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A boolean, also from the strings `true`/`false`.
pub fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A duration in whole seconds: `30s`, `1m30s`, `2h`, `500ms` (rounded
/// up), or a bare number of seconds.
pub fn seconds(v: &Value) -> Option<u64> {
    if let Some(n) = uint(v) {
        return Some(n);
    }
    let s = v.as_str()?.trim();
    let mut total_ms: u64 = 0;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        let ms = match unit.as_str() {
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "us" | "µs" | "ns" => 0.0,
            _ => return None,
        };
        total_ms += (n * ms) as u64;
        any = true;
    }
    if !num.is_empty() || !any {
        return None;
    }
    Some(total_ms.div_ceil(1000))
}

/// A memory size in MiB: `512M`, `1g`, `1.5GB`, `512m`, or bytes.
pub fn mebibytes(v: &Value) -> Option<u64> {
    if let Some(n) = v.as_u64() {
        return Some(n.div_ceil(1024 * 1024));
    }
    let s = v.as_str()?.trim().to_ascii_lowercase();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: f64 = n.parse().ok()?;
    let bytes = match unit.trim_end_matches(['b', 'i']) {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(((n * bytes) / (1024.0 * 1024.0)).ceil() as u64)
}

/// Splits a command line into words the way a POSIX shell would (quotes
/// and backslashes), without expanding anything.
pub fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    in_word = true;
                }
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// A string or a list of strings as a list of words (a string is split
/// like a shell would).
pub fn words(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(shell_words(s)),
        Value::Array(items) => items.iter().map(text).collect(),
        _ => None,
    }
}

/// A short one-line rendering of a source value for a comment.
pub fn show(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Null => "(empty)".to_string(),
        other => other.to_string(),
    };
    let s = s.replace('\n', " ");
    if s.chars().count() > 80 {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}...")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(seconds(&json!("1m30s")), Some(90));
        assert_eq!(seconds(&json!("500ms")), Some(1));
        assert_eq!(seconds(&json!(15)), Some(15));
        assert_eq!(seconds(&json!("soon")), None);
        assert_eq!(mebibytes(&json!("512M")), Some(512));
        assert_eq!(mebibytes(&json!("1.5g")), Some(1536));
        assert_eq!(mebibytes(&json!("2GiB")), Some(2048));
        assert_eq!(mebibytes(&json!(1073741824u64)), Some(1024));
    }

    #[test]
    fn shell_words_keep_quoted_spaces() {
        assert_eq!(
            shell_words(r#"sh -c "echo 'a b'" x\ y"#),
            vec!["sh", "-c", "echo 'a b'", "x y"]
        );
    }

    #[test]
    fn cloudformation_tags_are_dropped() {
        let v = parse(
            "t.yml",
            "a: !Ref Foo\nb: !GetAtt [X, Arn]\nc: !Sub '${App}-x'\n",
        )
        .unwrap();
        assert_eq!(v, json!({"a": "Foo", "b": ["X", "Arn"], "c": "${App}-x"}));
    }

    #[test]
    fn cloudformation_intrinsics_keep_their_form() {
        let v = parse_cfn(
            "t.yml",
            "Resources:\n  T:\n    Properties:\n      Name: !Ref Foo\n      Arn: !GetAtt X.Arn\n      Plain: 5\n      L: [!Sub '${App}', x]\n",
        )
        .unwrap();
        let p = &v["Resources"]["T"]["Properties"];
        assert_eq!(p["Name"], json!({"Ref": "Foo"}));
        assert_eq!(p["Arn"], json!({"Fn::GetAtt": "X.Arn"}));
        assert_eq!(p["Plain"], json!(5));
        assert_eq!(p["L"], json!([{"Fn::Sub": "${App}"}, "x"]));
    }

    #[test]
    fn merge_keys_are_expanded_and_order_kept() {
        let v = parse("c.yml", "x: &d {b: 1, a: 2}\ny:\n  <<: *d\n  c: 3\n").unwrap();
        let keys: Vec<&String> = v["y"].as_object().unwrap().keys().collect();
        assert_eq!(v["y"]["c"], json!(3));
        assert_eq!(keys.len(), 3);
        let x: Vec<&String> = v["x"].as_object().unwrap().keys().collect();
        assert_eq!(x, vec!["b", "a"]);
    }
}
