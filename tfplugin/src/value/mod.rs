//! The dynamic value model: what Terraform sends and receives.
//!
//! A [`Value`] is untyped: its [`Type`] comes from the schema that describes
//! it. Every level may be null or unknown. Numbers have arbitrary precision.
//! [`msgpack`] and [`json`] implement the protocol's two encodings, and
//! [`typed`] maps values to and from Rust structs.

mod json;
mod msgpack;
mod number;
mod path;
mod refinements;
mod ty;
pub mod typed;

use std::collections::BTreeMap;

pub use json::{from_json, from_json_value, to_json, to_json_value};
pub use msgpack::{from_msgpack, to_msgpack};
pub use number::Number;
pub use path::{AttributePath, Step};
pub use refinements::Refinements;
pub use ty::{Type, TypeError};

/// A Terraform value.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value {
    #[default]
    Null,
    /// Not known until apply; may carry refinements that constrain it.
    Unknown(Option<Box<Refinements>>),
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    /// Set elements in no meaningful order; compare with [`Value::same`].
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
}

impl Value {
    /// A plain unknown value without refinements.
    pub const UNKNOWN: Value = Value::Unknown(None);

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// True when neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// An object attribute, or `Null` when this is not an object or the
    /// attribute is missing.
    pub fn get(&self, name: &str) -> &Value {
        match self {
            Value::Object(m) | Value::Map(m) => m.get(name).unwrap_or(&Value::Null),
            _ => &Value::Null,
        }
    }

    /// Mutable access to an object attribute. `None` when this value is not
    /// an object or has no such attribute.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) => m.get_mut(name),
            _ => None,
        }
    }

    /// Sets an object attribute; does nothing when this is not an object.
    pub fn set(&mut self, name: &str, value: impl Into<Value>) {
        if let Value::Object(m) = self {
            m.insert(name.to_owned(), value.into());
        }
    }

    /// Follows a path. Missing steps give `Null`.
    pub fn at(&self, path: &AttributePath) -> &Value {
        let mut cur = self;
        for step in path.steps() {
            cur = match (step, cur) {
                (Step::Attr(n), _) => cur.get(n),
                (Step::Key(k), Value::Map(m)) => m.get(k).unwrap_or(&Value::Null),
                (Step::Index(i), Value::List(v) | Value::Tuple(v)) => usize::try_from(*i)
                    .ok()
                    .and_then(|i| v.get(i))
                    .unwrap_or(&Value::Null),
                _ => &Value::Null,
            };
        }
        cur
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::to_i64)
    }

    /// The elements of a list, set or tuple.
    pub fn elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// The entries of a map or object.
    pub fn entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Semantic equality: like `==`, but sets compare without regard to
    /// element order.
    pub fn same(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Set(a), Value::Set(b)) => {
                a.len() == b.len()
                    && a.iter().all(|x| b.iter().any(|y| x.same(y)))
                    && b.iter().all(|y| a.iter().any(|x| x.same(y)))
            }
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, x), (kb, y))| ka == kb && x.same(y))
            }
            // Refinements describe an unknown; they do not make it a different value.
            (Value::Unknown(_), Value::Unknown(_)) => true,
            _ => self == other,
        }
    }

    /// An object whose attributes are all null, shaped by `ty`.
    pub fn null_object(ty: &Type) -> Value {
        match ty {
            Type::Object(attrs, _) => {
                Value::Object(attrs.keys().map(|k| (k.clone(), Value::Null)).collect())
            }
            _ => Value::Null,
        }
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Number(Number::from(v))
    }
}

impl From<Number> for Value {
    fn from(v: Number) -> Self {
        Value::Number(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A value that could not be decoded or does not fit its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub path: AttributePath,
    pub message: String,
}

impl DecodeError {
    pub(crate) fn new(path: &AttributePath, message: impl Into<String>) -> Self {
        DecodeError {
            path: path.clone(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for DecodeError {}
