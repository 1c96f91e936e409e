//! Terraform's type system and its JSON type representation.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value as Json;

/// A Terraform type.
///
/// The JSON form (`"string"`, `["list","number"]`, `["object",{...}]`) is the one
/// the plugin protocol uses for schema attribute types and for `dynamic` values.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    Bool,
    Number,
    String,
    /// Any type, decided by the value (`DynamicPseudoType`).
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    /// Attribute types, plus the names of attributes that are optional in a
    /// type constraint (only meaningful in function parameters).
    Object(BTreeMap<String, Type>, BTreeSet<String>),
    Tuple(Vec<Type>),
}

impl Type {
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    pub fn object<I, K>(attributes: I) -> Type
    where
        I: IntoIterator<Item = (K, Type)>,
        K: Into<String>,
    {
        Type::Object(
            attributes.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            BTreeSet::new(),
        )
    }

    /// The element type of a list, set or map.
    pub fn element(&self) -> Option<&Type> {
        match self {
            Type::List(t) | Type::Set(t) | Type::Map(t) => Some(t),
            _ => None,
        }
    }

    /// The protocol's JSON type representation.
    pub fn to_json(&self) -> Json {
        match self {
            Type::Bool => Json::from("bool"),
            Type::Number => Json::from("number"),
            Type::String => Json::from("string"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(t) => Json::Array(vec!["list".into(), t.to_json()]),
            Type::Set(t) => Json::Array(vec!["set".into(), t.to_json()]),
            Type::Map(t) => Json::Array(vec!["map".into(), t.to_json()]),
            Type::Object(attrs, optional) => {
                let attrs = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                let mut parts = vec!["object".into(), Json::Object(attrs)];
                if !optional.is_empty() {
                    parts.push(optional.iter().map(|s| Json::from(s.as_str())).collect());
                }
                Json::Array(parts)
            }
            Type::Tuple(ts) => {
                Json::Array(vec!["tuple".into(), ts.iter().map(Type::to_json).collect()])
            }
        }
    }

    /// The JSON type representation as bytes, as carried in schema messages.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, TypeError> {
        let json: Json = serde_json::from_slice(bytes).map_err(|e| TypeError(e.to_string()))?;
        Type::from_json(&json)
    }

    pub fn from_json(json: &Json) -> Result<Type, TypeError> {
        let bad = || TypeError(format!("not a type: {json}"));
        match json {
            Json::String(s) => match s.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            Json::Array(parts) => {
                let kind = parts.first().and_then(Json::as_str).ok_or_else(bad)?;
                let arg = parts.get(1).ok_or_else(bad)?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json(arg)?)),
                    "set" => Ok(Type::set(Type::from_json(arg)?)),
                    "map" => Ok(Type::map(Type::from_json(arg)?)),
                    "tuple" => {
                        let items = arg.as_array().ok_or_else(bad)?;
                        Ok(Type::Tuple(
                            items
                                .iter()
                                .map(Type::from_json)
                                .collect::<Result<_, _>>()?,
                        ))
                    }
                    "object" => {
                        let attrs = arg.as_object().ok_or_else(bad)?;
                        let attrs = attrs
                            .iter()
                            .map(|(k, v)| Ok((k.clone(), Type::from_json(v)?)))
                            .collect::<Result<_, TypeError>>()?;
                        let optional = match parts.get(2) {
                            Some(Json::Array(names)) => names
                                .iter()
                                .map(|n| n.as_str().map(str::to_owned).ok_or_else(bad))
                                .collect::<Result<_, _>>()?,
                            Some(_) => return Err(bad()),
                            None => BTreeSet::new(),
                        };
                        Ok(Type::Object(attrs, optional))
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => f.write_str("bool"),
            Type::Number => f.write_str("number"),
            Type::String => f.write_str("string"),
            Type::Dynamic => f.write_str("dynamic"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Object(attrs, _) => {
                f.write_str("object({")?;
                for (i, (k, t)) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}={t}")?;
                }
                f.write_str("})")
            }
            Type::Tuple(ts) => {
                f.write_str("tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
        }
    }
}

/// A malformed JSON type representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeError(pub String);

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TypeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let ty = Type::object([
            ("a", Type::list(Type::String)),
            ("b", Type::Tuple(vec![Type::Number, Type::Dynamic])),
            ("c", Type::map(Type::set(Type::Bool))),
        ]);
        let bytes = ty.to_json_bytes();
        assert_eq!(Type::from_json_bytes(&bytes).unwrap(), ty);
        assert_eq!(
            String::from_utf8(Type::list(Type::String).to_json_bytes()).unwrap(),
            r#"["list","string"]"#
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(Type::from_json_bytes(b"[\"list\"]").is_err());
        assert!(Type::from_json_bytes(b"\"float\"").is_err());
        assert!(Type::from_json_bytes(b"{").is_err());
    }
}
