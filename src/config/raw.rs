//! The desired-state file as the user wrote it: a YAML tree in which every node and
//! every mapping key keeps its line and column. The validator walks this tree instead
//! of letting serde stop at the first wrong field, so that one run reports every error
//! in the file, each pointing at the place it is about.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A line and a column in the file, both 1-based (the column counts characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Pos {
    pub line: u64,
    pub column: u64,
}

impl Pos {
    pub(super) const START: Pos = Pos { line: 1, column: 1 };

    fn of<T>(spanned: &Spanned<T>) -> Pos {
        // `referenced` is where the node is used: for an alias, the `*name`, which is
        // where the user has to look first.
        Pos::at(spanned.referenced)
    }

    fn at(loc: serde_saphyr::Location) -> Pos {
        if loc.line() == 0 {
            Pos::START
        } else {
            Pos {
                line: loc.line(),
                column: loc.column().max(1),
            }
        }
    }
}

/// A YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    pub pos: Pos,
    /// Characters the node's text spans (quotes included), for underlining it.
    pub width: u64,
    pub value: Value,
    /// Where the value itself is written (for an alias, at its anchor) and how many
    /// characters: the spelling of a scalar (`True` and `true` are one value).
    pub defined: Pos,
    pub defined_width: u64,
    /// An explicit YAML tag (`!!binary`, `!custom`), as the parser resolved it.
    pub tag: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in file order, duplicates kept: the validator reports them with both places.
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// The node as text when it is a scalar: keys and names are compared and shown so.
    pub(super) fn scalar_text(&self) -> Option<String> {
        match self {
            Value::Null => Some("null".to_owned()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(n) => Some(n.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Str(s) => Some(s.clone()),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// What the node is, for "expected X, found Y" messages.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "a number",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<serde_saphyr::Tagged<Value>>::deserialize(deserializer)?;
        Ok(Node {
            pos: Pos::of(&spanned),
            width: spanned.referenced.span().len(),
            defined: Pos::at(spanned.defined),
            defined_width: spanned.defined.span().len(),
            value: spanned.value.0,
            tag: spanned.value.1,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        i128::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom("number too large"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        // Only a `!!binary` scalar gives bytes, and every tag is refused by the
        // validator at the node's place: what it decodes to does not matter.
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

/// Parses `text` into a tree. Duplicate keys are kept (the validator reports them with
/// both places); everything else serde-saphyr rejects is a syntax error. An empty
/// document (nothing, or only comments) is [`Value::Null`].
pub(super) fn parse(text: &str) -> Result<Node, serde_saphyr::Error> {
    let mut options = crate::yaml::options_for(text);
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
    // YAML 1.2 booleans only: `protect: yes` is a string (and an error saying to write
    // `true`), and an entry named `on:` stays named `on`.
    options.strict_booleans = true;
    serde_saphyr::from_str_with_options(text, options)
}
