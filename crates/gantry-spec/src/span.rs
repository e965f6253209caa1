//! `Sp<T>`: a spec value together with where it was written.
//!
//! serde-saphyr's own `Spanned<T>` cannot be a map key (no `Ord`) and has no
//! JSON Schema; this wrapper compares by value only, so two services named the
//! same collide in a map no matter where they were written, and its schema is
//! the inner type's, so editors see plain values.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_saphyr::{Location, Spanned};
use std::cmp::Ordering;

/// A position in the spec file (1-based line and column, byte offset and length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
    /// Byte offset into the source, when known.
    pub offset: Option<usize>,
    /// Length in bytes of the value's text, when known.
    pub len: usize,
}

impl Pos {
    /// A position for values that were not written in the file (defaults).
    pub const UNKNOWN: Pos = Pos {
        line: 0,
        column: 0,
        offset: None,
        len: 0,
    };

    pub fn is_known(&self) -> bool {
        self.line > 0
    }

    pub(crate) fn from_location(l: &Location) -> Pos {
        let span = l.span();
        Pos {
            line: l.line() as u32,
            column: l.column() as u32,
            offset: span.byte_offset().map(|o| o as usize),
            len: span.byte_len().unwrap_or(1) as usize,
        }
    }
}

/// A value and its position in the spec file.
#[derive(Debug, Clone)]
pub struct Sp<T> {
    pub value: T,
    pub pos: Pos,
}

impl<T> Sp<T> {
    /// A value with no source position (defaults and programmatic specs).
    pub fn new(value: T) -> Self {
        Sp {
            value,
            pos: Pos::UNKNOWN,
        }
    }

    pub fn at(value: T, pos: Pos) -> Self {
        Sp { value, pos }
    }
}

impl<T> std::ops::Deref for Sp<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Spanned::<T>::deserialize(d)?;
        Ok(Sp {
            value: s.value,
            pos: Pos::from_location(&s.referenced),
        })
    }
}

impl<T: Serialize> Serialize for Sp<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<T: PartialEq> PartialEq for Sp<T> {
    fn eq(&self, o: &Self) -> bool {
        self.value == o.value
    }
}
impl<T: Eq> Eq for Sp<T> {}
impl<T: Ord> PartialOrd for Sp<T> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<T: Ord> Ord for Sp<T> {
    fn cmp(&self, o: &Self) -> Ordering {
        self.value.cmp(&o.value)
    }
}
impl<T: Ord> std::borrow::Borrow<T> for Sp<T> {
    fn borrow(&self) -> &T {
        &self.value
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        g.subschema_for::<T>()
    }
}
impl std::borrow::Borrow<str> for Sp<String> {
    fn borrow(&self) -> &str {
        &self.value
    }
}
