//! Typed access: read values into Rust structs with serde, write structs back.
//!
//! ```
//! use serde::Deserialize;
//! use tfplugin::value::{typed::{self, Attr}, Value};
//!
//! #[derive(Deserialize)]
//! struct Config {
//!     name: String,
//!     size: Option<i64>,   // null or unknown -> None
//!     value: Attr<String>, // tells null, unknown and known apart
//! }
//!
//! let v = Value::Object([
//!     ("name".to_owned(), Value::from("a")),
//!     ("size".to_owned(), Value::UNKNOWN),
//!     ("value".to_owned(), Value::UNKNOWN),
//! ].into());
//! let c: Config = typed::from_value(&v).unwrap();
//! assert_eq!(c.size, None);
//! assert!(c.value.is_unknown());
//! ```
//!
//! A field declared as a plain `T` must be known and not null; `Option<T>`
//! accepts null and unknown (as `None`), and [`Attr<T>`] keeps the three
//! states apart, so planning code never fails just because a value is not
//! known yet.

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::{from_json_value, Type, Value};

/// Reads a value into a Rust type.
pub fn from_value<'de, T: Deserialize<'de>>(value: &'de Value) -> Result<T, Error> {
    T::deserialize(ValueDeserializer(value))
}

/// Writes a Rust value as a Terraform value of type `ty` (lists become sets,
/// objects become maps, missing attributes become null, as `ty` says).
pub fn to_value<T: Serialize>(data: &T, ty: &Type) -> Result<Value, Error> {
    let json = serde_json::to_value(data).map_err(|e| Error(e.to_string()))?;
    from_json_value(&json, ty).map_err(|e| Error(e.to_string()))
}

/// A value that may be null, unknown, or known.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Attr<T> {
    #[default]
    Null,
    Unknown,
    Known(T),
}

impl<T> Attr<T> {
    pub fn is_null(&self) -> bool {
        matches!(self, Attr::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Attr::Unknown)
    }

    pub fn known(&self) -> Option<&T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }

    pub fn into_known(self) -> Option<T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }
}

const ATTR_TOKEN: &str = "$tfplugin::Attr";

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Attr<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AttrVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for AttrVisitor<T> {
            type Value = Attr<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a Terraform value")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Attr::Null)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Attr::Null)
            }
            fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                T::deserialize(d).map(Attr::Known)
            }
            fn visit_newtype_struct<D: de::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Self::Value, D::Error> {
                T::deserialize(d).map(Attr::Known)
            }
            fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
                // Only our own deserializer takes this path, for unknown values.
                let (name, variant): (String, _) = data.variant()?;
                de::VariantAccess::unit_variant(variant)?;
                debug_assert_eq!(name, "unknown");
                Ok(Attr::Unknown)
            }
        }
        d.deserialize_newtype_struct(ATTR_TOKEN, AttrVisitor(std::marker::PhantomData))
    }
}

impl<T: Serialize> Serialize for Attr<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Attr::Known(v) => v.serialize(s),
            // JSON cannot carry unknowns; set unknowns on a `Value` directly.
            Attr::Null | Attr::Unknown => s.serialize_none(),
        }
    }
}

/// A value did not fit the Rust type it was read into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// Deserializes a Rust type from a borrowed [`Value`].
#[derive(Clone, Copy)]
pub struct ValueDeserializer<'de>(pub &'de Value);

impl<'de> IntoDeserializer<'de, Error> for ValueDeserializer<'de> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

struct Seq<'de>(std::slice::Iter<'de, Value>);

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(ValueDeserializer(v)))
            .transpose()
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Map<'de> {
    iter: std::collections::btree_map::Iter<'de, String, Value>,
    pending: Option<&'de Value>,
}

impl<'de> MapAccess<'de> for Map<'de> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            Some((k, v)) => {
                self.pending = Some(v);
                seed.deserialize(k.as_str().into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let v = self
            .pending
            .take()
            .ok_or_else(|| Error("value requested before key".into()))?;
        seed.deserialize(ValueDeserializer(v))
    }
}

fn not_known() -> Error {
    Error("a value is not known yet".into())
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Unknown(_) => Err(not_known()),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.to_i64() {
                    visitor.visit_i64(i)
                } else if let Some(u) = n.to_u64() {
                    visitor.visit_u64(u)
                } else {
                    visitor.visit_f64(n.to_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => visitor.visit_seq(Seq(v.iter())),
            Value::Map(m) | Value::Object(m) => visitor.visit_map(Map {
                iter: m.iter(),
                pending: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null | Value::Unknown(_) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == ATTR_TOKEN {
            return match self.0 {
                Value::Null => visitor.visit_none(),
                Value::Unknown(_) => visitor.visit_enum("unknown".into_deserializer()),
                _ => visitor.visit_some(self),
            };
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            // Numbers and bools read as strings the way Terraform converts them.
            Value::Number(n) => visitor.visit_string(n.to_string()),
            Value::Bool(b) => visitor.visit_string(b.to_string()),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Number(n) => visitor.visit_f64(n.to_f64().unwrap_or(f64::NAN)),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            Value::Unknown(_) => Err(not_known()),
            _ => Err(Error("expected a string naming one of the choices".into())),
        }
    }

    /// Fields the Rust type does not declare are skipped, known or not.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 char bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Deserialize, Serialize, Debug, PartialEq)]
    struct Rule {
        priority: i64,
        action: String,
    }

    #[derive(Deserialize, Serialize, Debug, PartialEq)]
    struct Item {
        name: String,
        labels: Option<Vec<String>>,
        rule: Vec<Rule>,
        tags: Option<BTreeMap<String, String>>,
    }

    #[test]
    fn struct_round_trip_through_a_set_type() {
        let ty = Type::object([
            ("name", Type::String),
            ("labels", Type::set(Type::String)),
            (
                "rule",
                Type::list(Type::object([
                    ("priority", Type::Number),
                    ("action", Type::String),
                ])),
            ),
            ("tags", Type::map(Type::String)),
        ]);
        let item = Item {
            name: "a".into(),
            labels: Some(vec!["x".into()]),
            rule: vec![Rule {
                priority: 1,
                action: "allow".into(),
            }],
            tags: None,
        };
        let v = to_value(&item, &ty).unwrap();
        assert!(matches!(v.get("labels"), Value::Set(_)));
        assert_eq!(v.get("tags"), &Value::Null);
        assert_eq!(from_value::<Item>(&v).unwrap(), item);
    }

    #[test]
    fn unknown_is_an_error_only_where_a_value_is_required() {
        let v = Value::Object(BTreeMap::from([("name".to_owned(), Value::UNKNOWN)]));
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Strict {
            name: String,
        }
        #[derive(Deserialize)]
        struct Lenient {
            name: Option<String>,
        }
        assert!(from_value::<Strict>(&v)
            .unwrap_err()
            .0
            .contains("not known"));
        assert_eq!(from_value::<Lenient>(&v).unwrap().name, None);
        let a: Attr<String> = from_value(&Value::UNKNOWN).unwrap();
        assert!(a.is_unknown());
        let a: Attr<String> = from_value(&Value::Null).unwrap();
        assert!(a.is_null());
        let a: Attr<i64> = from_value(&Value::from(3)).unwrap();
        assert_eq!(a, Attr::Known(3));
    }
}
