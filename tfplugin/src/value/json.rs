//! The JSON encoding of values: stored state and the `json` field of
//! `DynamicValue`. JSON has no unknowns; `dynamic` values are
//! `{"value": ..., "type": ...}`.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{AttributePath, DecodeError, Number, Type, Value};

const MAX_DEPTH: usize = 128;

/// Decodes JSON bytes as a value of type `ty`.
pub fn from_json(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let json: Json = serde_json::from_slice(bytes)
        .map_err(|e| DecodeError::new(&AttributePath::root(), format!("invalid JSON: {e}")))?;
    from_json_value(&json, ty)
}

/// Decodes a parsed JSON document as a value of type `ty`. Object attributes
/// missing from the document are null; attributes the type does not know are
/// dropped (they belong to an older schema).
pub fn from_json_value(json: &Json, ty: &Type) -> Result<Value, DecodeError> {
    decode(json, ty, &AttributePath::root(), 0)
}

/// Encodes a wholly known value of type `ty` as JSON bytes.
pub fn to_json(value: &Value, ty: &Type) -> Result<Vec<u8>, DecodeError> {
    let json = to_json_value(value, ty)?;
    Ok(json.to_string().into_bytes())
}

/// Encodes a wholly known value of type `ty` as a JSON document.
pub fn to_json_value(value: &Value, ty: &Type) -> Result<Json, DecodeError> {
    encode(value, ty, &AttributePath::root())
}

fn decode(
    json: &Json,
    ty: &Type,
    path: &AttributePath,
    depth: usize,
) -> Result<Value, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::new(path, "value nested too deeply"));
    }
    let expected = |what: &str| DecodeError::new(path, format!("expected {what}"));
    if json.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        Type::Bool => json
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| expected("a bool")),
        Type::Number => match json {
            Json::Number(n) => n
                .to_string()
                .parse::<Number>()
                .map(Value::Number)
                .map_err(|e| DecodeError::new(path, e)),
            // Terraform accepts numbers written as strings in state.
            Json::String(s) => s
                .parse::<Number>()
                .map(Value::Number)
                .map_err(|e| DecodeError::new(path, e)),
            _ => Err(expected("a number")),
        },
        Type::String => match json {
            Json::String(s) => Ok(Value::String(s.clone())),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            Json::Number(n) => Ok(Value::String(n.to_string())),
            _ => Err(expected("a string")),
        },
        Type::List(et) | Type::Set(et) => {
            let items = json.as_array().ok_or_else(|| expected("an array"))?;
            let items = items
                .iter()
                .enumerate()
                .map(|(i, j)| decode(j, et, &path.push_index(i), depth + 1))
                .collect::<Result<_, _>>()?;
            Ok(if matches!(ty, Type::Set(_)) {
                Value::Set(items)
            } else {
                Value::List(items)
            })
        }
        Type::Tuple(ets) => {
            let items = json.as_array().ok_or_else(|| expected("an array"))?;
            if items.len() != ets.len() {
                return Err(expected(&format!("a tuple of {} elements", ets.len())));
            }
            let items = items
                .iter()
                .zip(ets)
                .enumerate()
                .map(|(i, (j, et))| decode(j, et, &path.push_index(i), depth + 1))
                .collect::<Result<_, _>>()?;
            Ok(Value::Tuple(items))
        }
        Type::Map(et) => {
            let items = json.as_object().ok_or_else(|| expected("an object"))?;
            let items = items
                .iter()
                .map(|(k, j)| Ok((k.clone(), decode(j, et, &path.push_key(k), depth + 1)?)))
                .collect::<Result<_, DecodeError>>()?;
            Ok(Value::Map(items))
        }
        Type::Object(attrs, _) => {
            let items = json.as_object().ok_or_else(|| expected("an object"))?;
            let mut out = BTreeMap::new();
            for (k, at) in attrs {
                let v = match items.get(k) {
                    Some(j) => decode(j, at, &path.push_attr(k), depth + 1)?,
                    None => Value::Null,
                };
                out.insert(k.clone(), v);
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => {
            let obj = json
                .as_object()
                .ok_or_else(|| expected("a {\"value\", \"type\"} object"))?;
            let (Some(tj), Some(vj)) = (obj.get("type"), obj.get("value")) else {
                return Err(expected("a {\"value\", \"type\"} object"));
            };
            let inner = Type::from_json(tj).map_err(|e| DecodeError::new(path, e.0))?;
            if inner == Type::Dynamic {
                return Err(DecodeError::new(
                    path,
                    "a dynamic value cannot declare type dynamic",
                ));
            }
            decode(vj, &inner, path, depth + 1)
        }
    }
}

fn encode(v: &Value, ty: &Type, path: &AttributePath) -> Result<Json, DecodeError> {
    let mismatch = || DecodeError::new(path, format!("value does not fit type {ty}"));
    match (ty, v) {
        (_, Value::Unknown(_)) => Err(DecodeError::new(
            path,
            "an unknown value cannot be written as JSON",
        )),
        (_, Value::Null) => Ok(Json::Null),
        (Type::Dynamic, _) => {
            let inner = super::msgpack::infer_type(v);
            Ok(serde_json::json!({ "value": encode(v, &inner, path)?, "type": inner.to_json() }))
        }
        (Type::Bool, Value::Bool(b)) => Ok(Json::Bool(*b)),
        (Type::Number, Value::Number(n)) => {
            // With serde_json's arbitrary precision a number keeps every digit.
            serde_json::from_str(&n.to_string()).map_err(|_| mismatch())
        }
        (Type::String, Value::String(s)) => Ok(Json::String(s.clone())),
        (
            Type::List(et) | Type::Set(et),
            Value::List(items) | Value::Set(items) | Value::Tuple(items),
        ) => items
            .iter()
            .enumerate()
            .map(|(i, item)| encode(item, et, &path.push_index(i)))
            .collect::<Result<_, _>>()
            .map(Json::Array),
        (Type::Tuple(ets), Value::List(items) | Value::Tuple(items))
            if ets.len() == items.len() =>
        {
            items
                .iter()
                .zip(ets)
                .enumerate()
                .map(|(i, (item, et))| encode(item, et, &path.push_index(i)))
                .collect::<Result<_, _>>()
                .map(Json::Array)
        }
        (Type::Map(et), Value::Map(items) | Value::Object(items)) => items
            .iter()
            .map(|(k, item)| Ok((k.clone(), encode(item, et, &path.push_key(k))?)))
            .collect::<Result<_, DecodeError>>()
            .map(Json::Object),
        (Type::Object(attrs, _), Value::Object(items)) => attrs
            .iter()
            .map(|(k, at)| {
                Ok((
                    k.clone(),
                    encode(items.get(k).unwrap_or(&Value::Null), at, &path.push_attr(k))?,
                ))
            })
            .collect::<Result<_, DecodeError>>()
            .map(Json::Object),
        _ => Err(mismatch()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_json_round_trip() {
        let ty = Type::object([
            ("id", Type::String),
            ("n", Type::Number),
            ("d", Type::Dynamic),
            ("tags", Type::map(Type::String)),
        ]);
        let json = br#"{"id":"x","n":12345678901234567890123.25,"d":{"value":["a"],"type":["list","string"]},"tags":null,"old":1}"#;
        let v = from_json(json, &ty).unwrap();
        assert_eq!(v.get("n").to_string_lossy(), "12345678901234567890123.25");
        assert_eq!(v.get("d"), &Value::List(vec![Value::from("a")]));
        let back = to_json(&v, &ty).unwrap();
        assert_eq!(from_json(&back, &ty).unwrap(), v);
        assert!(to_json(&Value::UNKNOWN, &Type::String).is_err());
    }

    impl Value {
        fn to_string_lossy(&self) -> String {
            match self {
                Value::Number(n) => n.to_string(),
                other => format!("{other:?}"),
            }
        }
    }
}
