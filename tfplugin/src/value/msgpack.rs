//! The msgpack encoding of values, per Terraform's object wire format.
//!
//! Decoding is guided by a [`Type`]. Any msgpack extension decodes as an
//! unknown value (extension 12 keeps its refinements); numbers may arrive as
//! integers, floats or decimal strings; `dynamic` values are a two-element
//! array of the JSON type and the value. Malformed input is an error, never a
//! panic, and nesting depth is bounded.

use std::collections::BTreeMap;

use rmp::Marker;

use super::{AttributePath, DecodeError, Number, Refinements, Type, Value};

/// Deepest nesting accepted from the wire.
const MAX_DEPTH: usize = 128;

/// The extension code Terraform uses for a refined unknown.
const REFINED_UNKNOWN: i8 = 12;

/// Decodes a msgpack value of type `ty`.
pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let mut rd = bytes;
    let v = decode(&mut rd, ty, &AttributePath::root(), 0)?;
    if !rd.is_empty() {
        return Err(DecodeError::new(
            &AttributePath::root(),
            "trailing bytes after value",
        ));
    }
    Ok(v)
}

/// Encodes a value of type `ty` as msgpack.
pub fn to_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(64);
    encode(&mut out, value, ty, &AttributePath::root())?;
    Ok(out)
}

fn peek(rd: &[u8], path: &AttributePath) -> Result<Marker, DecodeError> {
    rd.first()
        .map(|b| Marker::from_u8(*b))
        .ok_or_else(|| DecodeError::new(path, "unexpected end of msgpack data"))
}

fn eof(path: &AttributePath) -> DecodeError {
    DecodeError::new(path, "malformed msgpack data")
}

fn is_ext(m: Marker) -> bool {
    matches!(
        m,
        Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32
    )
}

fn take<'a>(rd: &mut &'a [u8], n: usize, path: &AttributePath) -> Result<&'a [u8], DecodeError> {
    if rd.len() < n {
        return Err(eof(path));
    }
    let (head, tail) = rd.split_at(n);
    *rd = tail;
    Ok(head)
}

fn read_unknown(rd: &mut &[u8], path: &AttributePath) -> Result<Value, DecodeError> {
    let meta = rmp::decode::read_ext_meta(rd).map_err(|_| eof(path))?;
    let body = take(rd, meta.size as usize, path)?;
    let refinements = if meta.typeid == REFINED_UNKNOWN && !body.is_empty() {
        Refinements::decode(body).map(Box::new)
    } else {
        None
    };
    Ok(Value::Unknown(refinements))
}

fn read_str<'a>(rd: &mut &'a [u8], path: &AttributePath) -> Result<&'a str, DecodeError> {
    let len =
        rmp::decode::read_str_len(rd).map_err(|_| DecodeError::new(path, "expected a string"))?;
    let bytes = take(rd, len as usize, path)?;
    std::str::from_utf8(bytes).map_err(|_| DecodeError::new(path, "string is not valid UTF-8"))
}

fn read_number(rd: &mut &[u8], path: &AttributePath) -> Result<Number, DecodeError> {
    let m = peek(rd, path)?;
    match m {
        Marker::F32 => {
            let f = rmp::decode::read_f32(rd).map_err(|_| eof(path))?;
            Number::from_f64(f64::from(f))
                .ok_or_else(|| DecodeError::new(path, "number is not finite"))
        }
        Marker::F64 => {
            let f = rmp::decode::read_f64(rd).map_err(|_| eof(path))?;
            Number::from_f64(f).ok_or_else(|| DecodeError::new(path, "number is not finite"))
        }
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
            let s = read_str(rd, path)?;
            s.parse().map_err(|e: String| DecodeError::new(path, e))
        }
        Marker::U64 => {
            let v: u64 = rmp::decode::read_int(rd).map_err(|_| eof(path))?;
            Ok(Number::from(v))
        }
        _ => {
            let v: i64 = rmp::decode::read_int(rd)
                .map_err(|_| DecodeError::new(path, "expected a number"))?;
            Ok(Number::from(v))
        }
    }
}

fn decode(
    rd: &mut &[u8],
    ty: &Type,
    path: &AttributePath,
    depth: usize,
) -> Result<Value, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::new(path, "value nested too deeply"));
    }
    let m = peek(rd, path)?;
    if m == Marker::Null {
        *rd = &rd[1..];
        return Ok(Value::Null);
    }
    if is_ext(m) {
        return read_unknown(rd, path);
    }
    match ty {
        Type::Bool => rmp::decode::read_bool(rd)
            .map(Value::Bool)
            .map_err(|_| DecodeError::new(path, "expected a bool")),
        Type::Number => read_number(rd, path).map(Value::Number),
        Type::String => read_str(rd, path).map(|s| Value::String(s.to_owned())),
        Type::List(et) | Type::Set(et) => {
            let n = rmp::decode::read_array_len(rd)
                .map_err(|_| DecodeError::new(path, "expected an array"))?;
            let mut items = Vec::with_capacity((n as usize).min(rd.len()));
            for i in 0..n as usize {
                items.push(decode(rd, et, &path.push_index(i), depth + 1)?);
            }
            Ok(if matches!(ty, Type::Set(_)) {
                Value::Set(items)
            } else {
                Value::List(items)
            })
        }
        Type::Tuple(ets) => {
            let n = rmp::decode::read_array_len(rd)
                .map_err(|_| DecodeError::new(path, "expected an array"))?;
            if n as usize != ets.len() {
                return Err(DecodeError::new(
                    path,
                    format!("expected a tuple of {} elements", ets.len()),
                ));
            }
            let items = ets
                .iter()
                .enumerate()
                .map(|(i, et)| decode(rd, et, &path.push_index(i), depth + 1))
                .collect::<Result<_, _>>()?;
            Ok(Value::Tuple(items))
        }
        Type::Map(et) => {
            let n = rmp::decode::read_map_len(rd)
                .map_err(|_| DecodeError::new(path, "expected a map"))?;
            let mut items = BTreeMap::new();
            for _ in 0..n {
                let k = read_str(rd, path)?.to_owned();
                let v = decode(rd, et, &path.push_key(&k), depth + 1)?;
                items.insert(k, v);
            }
            Ok(Value::Map(items))
        }
        Type::Object(attrs, _) => {
            let n = rmp::decode::read_map_len(rd)
                .map_err(|_| DecodeError::new(path, "expected an object"))?;
            let mut items = BTreeMap::new();
            for _ in 0..n {
                let k = read_str(rd, path)?;
                let at = attrs
                    .get(k)
                    .ok_or_else(|| DecodeError::new(path, format!("unexpected attribute {k:?}")))?;
                let v = decode(rd, at, &path.push_attr(k), depth + 1)?;
                items.insert(k.to_owned(), v);
            }
            for k in attrs.keys() {
                items.entry(k.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(items))
        }
        Type::Dynamic => {
            let n = rmp::decode::read_array_len(rd).map_err(|_| {
                DecodeError::new(path, "expected a [type, value] pair for a dynamic value")
            })?;
            if n != 2 {
                return Err(DecodeError::new(
                    path,
                    "expected a [type, value] pair for a dynamic value",
                ));
            }
            let type_json = match peek(rd, path)? {
                Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {
                    let len = rmp::decode::read_bin_len(rd).map_err(|_| eof(path))?;
                    take(rd, len as usize, path)?
                }
                _ => read_str(rd, path)?.as_bytes(),
            };
            let inner =
                Type::from_json_bytes(type_json).map_err(|e| DecodeError::new(path, e.0))?;
            if inner == Type::Dynamic {
                return Err(DecodeError::new(
                    path,
                    "a dynamic value cannot declare type dynamic",
                ));
            }
            decode(rd, &inner, path, depth + 1)
        }
    }
}

/// Reads any msgpack value without a type (used for refinement payloads).
pub(crate) fn read_any(rd: &mut &[u8], depth: usize) -> Result<Value, DecodeError> {
    let path = AttributePath::root();
    if depth > MAX_DEPTH {
        return Err(DecodeError::new(&path, "value nested too deeply"));
    }
    match peek(rd, &path)? {
        Marker::Null => {
            *rd = &rd[1..];
            Ok(Value::Null)
        }
        Marker::True | Marker::False => decode(rd, &Type::Bool, &path, depth),
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
            decode(rd, &Type::String, &path, depth)
        }
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => {
            let n = rmp::decode::read_array_len(rd).map_err(|_| eof(&path))?;
            let mut items = Vec::with_capacity((n as usize).min(rd.len()));
            for _ in 0..n {
                items.push(read_any(rd, depth + 1)?);
            }
            Ok(Value::Tuple(items))
        }
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => {
            let n = rmp::decode::read_map_len(rd).map_err(|_| eof(&path))?;
            let mut items = BTreeMap::new();
            for _ in 0..n {
                let k = match read_any(rd, depth + 1)? {
                    Value::String(s) => s,
                    Value::Number(n) => n.to_string(),
                    _ => return Err(DecodeError::new(&path, "unsupported map key")),
                };
                items.insert(k, read_any(rd, depth + 1)?);
            }
            Ok(Value::Object(items))
        }
        m if is_ext(m) => read_unknown(rd, &path),
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {
            let len = rmp::decode::read_bin_len(rd).map_err(|_| eof(&path))?;
            let b = take(rd, len as usize, &path)?;
            Ok(Value::String(String::from_utf8_lossy(b).into_owned()))
        }
        _ => read_number(rd, &path).map(Value::Number),
    }
}

fn mismatch(path: &AttributePath, ty: &Type, v: &Value) -> DecodeError {
    let kind = match v {
        Value::Null => "null",
        Value::Unknown(_) => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Tuple(_) => "tuple",
    };
    DecodeError::new(path, format!("a {kind} value does not fit type {ty}"))
}

fn encode(
    out: &mut Vec<u8>,
    v: &Value,
    ty: &Type,
    path: &AttributePath,
) -> Result<(), DecodeError> {
    // Writing to a Vec cannot fail; the results of rmp's writers are ignored
    // for that reason only.
    match v {
        Value::Null => {
            rmp::encode::write_nil(out).ok();
            return Ok(());
        }
        Value::Unknown(r) => {
            match r {
                Some(r) if *ty != Type::Dynamic && !r.raw().is_empty() => {
                    let len = u32::try_from(r.raw().len()).map_err(|_| mismatch(path, ty, v))?;
                    rmp::encode::write_ext_meta(out, len, REFINED_UNKNOWN).ok();
                    out.extend_from_slice(r.raw());
                }
                _ => out.extend_from_slice(&[0xd4, 0, 0]),
            }
            return Ok(());
        }
        _ => {}
    }
    match (ty, v) {
        (Type::Dynamic, _) => {
            let inner = infer_type(v);
            rmp::encode::write_array_len(out, 2).ok();
            let json = inner.to_json_bytes();
            rmp::encode::write_bin(out, &json).ok();
            encode(out, v, &inner, path)
        }
        (Type::Bool, Value::Bool(b)) => {
            rmp::encode::write_bool(out, *b).ok();
            Ok(())
        }
        (Type::Number, Value::Number(n)) => {
            if let Some(i) = n.to_i64() {
                rmp::encode::write_sint(out, i).ok();
            } else if let Some(f) = n.exact_f64() {
                rmp::encode::write_f64(out, f).ok();
            } else {
                rmp::encode::write_str(out, &n.to_string()).ok();
            }
            Ok(())
        }
        (Type::String, Value::String(s)) => {
            rmp::encode::write_str(out, s).ok();
            Ok(())
        }
        (
            Type::List(et) | Type::Set(et),
            Value::List(items) | Value::Set(items) | Value::Tuple(items),
        ) => {
            rmp::encode::write_array_len(out, len32(items.len(), path)?).ok();
            for (i, item) in items.iter().enumerate() {
                encode(out, item, et, &path.push_index(i))?;
            }
            Ok(())
        }
        (Type::Tuple(ets), Value::List(items) | Value::Tuple(items))
            if ets.len() == items.len() =>
        {
            rmp::encode::write_array_len(out, len32(items.len(), path)?).ok();
            for (i, (item, et)) in items.iter().zip(ets).enumerate() {
                encode(out, item, et, &path.push_index(i))?;
            }
            Ok(())
        }
        (Type::Map(et), Value::Map(items) | Value::Object(items)) => {
            rmp::encode::write_map_len(out, len32(items.len(), path)?).ok();
            for (k, item) in items {
                rmp::encode::write_str(out, k).ok();
                encode(out, item, et, &path.push_key(k))?;
            }
            Ok(())
        }
        (Type::Object(attrs, _), Value::Object(items)) => {
            if let Some(extra) = items.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(DecodeError::new(
                    path,
                    format!("unexpected attribute {extra:?}"),
                ));
            }
            rmp::encode::write_map_len(out, len32(attrs.len(), path)?).ok();
            for (k, at) in attrs {
                rmp::encode::write_str(out, k).ok();
                encode(
                    out,
                    items.get(k).unwrap_or(&Value::Null),
                    at,
                    &path.push_attr(k),
                )?;
            }
            Ok(())
        }
        _ => Err(mismatch(path, ty, v)),
    }
}

fn len32(n: usize, path: &AttributePath) -> Result<u32, DecodeError> {
    u32::try_from(n).map_err(|_| DecodeError::new(path, "collection too large"))
}

/// The type a value in a `dynamic` position is sent as. Empty and null
/// collections carry element type `dynamic`.
pub(crate) fn infer_type(v: &Value) -> Type {
    fn element_type(items: &[Value]) -> Type {
        items
            .iter()
            .find(|v| !v.is_null() && !v.is_unknown())
            .map_or(Type::Dynamic, infer_type)
    }
    match v {
        Value::Null | Value::Unknown(_) => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::list(element_type(items)),
        Value::Set(items) => Type::set(element_type(items)),
        Value::Tuple(items) => Type::Tuple(items.iter().map(infer_type).collect()),
        Value::Map(m) => Type::map(element_type(&m.values().cloned().collect::<Vec<_>>())),
        Value::Object(m) => Type::object(m.iter().map(|(k, v)| (k.clone(), infer_type(v)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn obj(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    #[test]
    fn plain_unknown_is_ext_zero() {
        assert_eq!(
            to_msgpack(&Value::UNKNOWN, &Type::String).unwrap(),
            vec![0xd4, 0, 0]
        );
    }

    #[test]
    fn any_extension_is_unknown() {
        for code in [0u8, 1, 5, 12, 0x7f] {
            let v = from_msgpack(&[0xd4, code, 0], &Type::String).unwrap();
            assert!(v.is_unknown(), "ext {code}");
        }
    }

    #[test]
    fn refinements_survive_an_echo() {
        // ext 12 carrying {1: false, 2: "ab"}: not null, prefix "ab".
        let payload = [0x82, 0x01, 0xc2, 0x02, 0xa2, b'a', b'b'];
        let mut bytes = vec![0xc7, payload.len() as u8, 12];
        bytes.extend_from_slice(&payload);
        let v = from_msgpack(&bytes, &Type::String).unwrap();
        let Value::Unknown(Some(r)) = &v else {
            panic!("expected a refined unknown")
        };
        assert!(r.not_null);
        assert_eq!(r.string_prefix.as_deref(), Some("ab"));
        assert_eq!(to_msgpack(&v, &Type::String).unwrap(), bytes);
        assert!(r.violation(&Value::from("xy")).is_some());
        assert!(r.violation(&Value::from("abc")).is_none());
        assert!(r.violation(&Value::Null).is_some());
    }

    #[test]
    fn numbers_in_every_form() {
        let ty = Type::Number;
        assert_eq!(from_msgpack(&[0x05], &ty).unwrap(), Value::from(5));
        let mut f = Vec::new();
        rmp::encode::write_f64(&mut f, 0.5).unwrap();
        assert_eq!(
            from_msgpack(&f, &ty).unwrap(),
            Value::Number("0.5".parse().unwrap())
        );
        let mut s = Vec::new();
        rmp::encode::write_str(&mut s, "123456789012345678901234567890.5").unwrap();
        let v = from_msgpack(&s, &ty).unwrap();
        assert_eq!(
            to_msgpack(&v, &ty).unwrap(),
            s,
            "big numbers travel as strings"
        );
        let mut u = Vec::new();
        rmp::encode::write_u64(&mut u, u64::MAX).unwrap();
        assert_eq!(
            from_msgpack(&u, &ty).unwrap(),
            Value::Number(Number::from(u64::MAX))
        );
    }

    #[test]
    fn dynamic_is_type_and_value() {
        let v = Value::List(vec![Value::from("a")]);
        let bytes = to_msgpack(&v, &Type::Dynamic).unwrap();
        assert_eq!(bytes[0], 0x92);
        assert_eq!(from_msgpack(&bytes, &Type::Dynamic).unwrap(), v);
        assert_eq!(from_msgpack(&[0xc0], &Type::Dynamic).unwrap(), Value::Null);
    }

    #[test]
    fn objects_fill_missing_attributes_with_null() {
        let ty = Type::object([("a", Type::String), ("b", Type::Number)]);
        let bytes = to_msgpack(&obj(vec![("a", Value::from("x"))]), &ty).unwrap();
        assert_eq!(
            from_msgpack(&bytes, &ty).unwrap(),
            obj(vec![("a", "x".into()), ("b", Value::Null)])
        );
        let bad = to_msgpack(&obj(vec![("zzz", Value::from("x"))]), &ty);
        assert!(bad.is_err());
    }

    #[test]
    fn malformed_input_is_an_error() {
        let ty = Type::object([("a", Type::list(Type::String))]);
        for bytes in [
            &[][..],
            &[0x81],
            &[0x81, 0xa1, b'a', 0xdd, 0xff, 0xff, 0xff, 0xff],
            &[0xa1],
            &[0xc1],
        ] {
            assert!(from_msgpack(bytes, &ty).is_err(), "{bytes:?}");
        }
        let deep = vec![0x91; 10_000];
        assert!(from_msgpack(&deep, &Type::Dynamic).is_err());
    }

    /// An unknown string refined as not null and with a prefix, encoded as
    /// Terraform encodes refinements.
    fn refined_unknown(prefix: &str) -> Value {
        let mut raw = Vec::new();
        rmp::encode::write_map_len(&mut raw, 2).unwrap();
        rmp::encode::write_sint(&mut raw, 1).unwrap();
        rmp::encode::write_bool(&mut raw, false).unwrap();
        rmp::encode::write_sint(&mut raw, 2).unwrap();
        rmp::encode::write_str(&mut raw, prefix).unwrap();
        Value::Unknown(Some(Box::new(
            super::super::refinements::Refinements::decode(&raw).unwrap(),
        )))
    }

    fn arb_value_and_type() -> impl Strategy<Value = (Value, Type)> {
        let leaf = prop_oneof![
            any::<bool>().prop_map(|b| (Value::Bool(b), Type::Bool)),
            any::<i64>().prop_map(|n| (Value::from(n), Type::Number)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| (
                    Value::Number(super::super::Number::from_f64(f).unwrap()),
                    Type::Number
                )),
            "[a-z0-9 ]{0,8}".prop_map(|s| (Value::String(s), Type::String)),
            Just((Value::Null, Type::String)),
            Just((Value::UNKNOWN, Type::Number)),
            "[a-z]{0,4}".prop_map(|p| (refined_unknown(&p), Type::String)),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(|items| {
                    let attrs: BTreeMap<String, (Value, Type)> = items
                        .into_iter()
                        .enumerate()
                        .map(|(i, vt)| (format!("a{i}"), vt))
                        .collect();
                    let ty = Type::object(attrs.iter().map(|(k, (_, t))| (k.clone(), t.clone())));
                    (
                        Value::Object(attrs.into_iter().map(|(k, (v, _))| (k, v)).collect()),
                        ty,
                    )
                }),
                inner.clone().prop_map(|(v, t)| {
                    let v = if v.is_null() {
                        Value::List(vec![])
                    } else {
                        Value::List(vec![v.clone(), v])
                    };
                    (v, Type::list(t))
                }),
                inner.clone().prop_map(|(v, t)| {
                    (
                        Value::Map(BTreeMap::from([("k".to_owned(), v)])),
                        Type::map(t),
                    )
                }),
                inner
                    .clone()
                    .prop_map(|(v, t)| (Value::Set(vec![v]), Type::set(t))),
                proptest::collection::vec(inner.clone(), 0..3).prop_map(|items| {
                    let (values, types): (Vec<Value>, Vec<Type>) = items.into_iter().unzip();
                    (Value::Tuple(values), Type::Tuple(types))
                }),
                // A `dynamic` attribute: the value carries its own type.
                inner
                    .prop_filter("known", |(v, _)| v.is_wholly_known())
                    .prop_map(|(v, _)| {
                        (
                            Value::Object(BTreeMap::from([("d".to_owned(), v)])),
                            Type::object([("d", Type::Dynamic)]),
                        )
                    }),
            ]
        })
    }

    /// Writes one refinement's value.
    type WriteRefinement = Box<dyn Fn(&mut Vec<u8>)>;

    /// An unknown refined as Terraform refines values of `ty`: not null,
    /// and a string prefix, number bounds or collection length bounds.
    fn refined(ty: &Type) -> BoxedStrategy<Value> {
        let encode = |entries: Vec<(i64, WriteRefinement)>| {
            let mut raw = Vec::new();
            rmp::encode::write_map_len(&mut raw, entries.len() as u32).unwrap();
            for (key, write) in entries {
                rmp::encode::write_sint(&mut raw, key).unwrap();
                write(&mut raw);
            }
            Value::Unknown(Some(Box::new(
                super::super::refinements::Refinements::decode(&raw).unwrap(),
            )))
        };
        let not_null = |raw: &mut Vec<u8>| rmp::encode::write_bool(raw, false).map(drop).unwrap();
        match ty {
            Type::String => "[a-z]{0,4}"
                .prop_map(move |p| {
                    encode(vec![
                        (1, Box::new(not_null)),
                        (
                            2,
                            Box::new(move |raw: &mut Vec<u8>| {
                                rmp::encode::write_str(raw, &p).unwrap()
                            }),
                        ),
                    ])
                })
                .boxed(),
            Type::Number => (any::<i32>(), 0..1000i64, any::<bool>())
                .prop_map(move |(low, span, inclusive)| {
                    let bound = move |n: i64| {
                        move |raw: &mut Vec<u8>| {
                            rmp::encode::write_array_len(raw, 2).unwrap();
                            rmp::encode::write_sint(raw, n).unwrap();
                            rmp::encode::write_bool(raw, inclusive).unwrap();
                        }
                    };
                    let low = i64::from(low);
                    encode(vec![
                        (1, Box::new(not_null)),
                        (3, Box::new(bound(low))),
                        (4, Box::new(bound(low + span))),
                    ])
                })
                .boxed(),
            Type::List(_) | Type::Set(_) | Type::Map(_) => (0..4u64, 0..4u64)
                .prop_map(move |(min, extra)| {
                    encode(vec![
                        (1, Box::new(not_null)),
                        (
                            5,
                            Box::new(move |raw: &mut Vec<u8>| {
                                rmp::encode::write_uint(raw, min).map(drop).unwrap()
                            }),
                        ),
                        (
                            6,
                            Box::new(move |raw: &mut Vec<u8>| {
                                rmp::encode::write_uint(raw, min + extra).map(drop).unwrap()
                            }),
                        ),
                    ])
                })
                .boxed(),
            _ => Just(encode(vec![(1, Box::new(not_null))])).boxed(),
        }
    }

    /// Types without `dynamic`: primitives, and collections and structures
    /// of them, nested.
    fn arb_type() -> impl Strategy<Value = Type> {
        prop_oneof![Just(Type::Bool), Just(Type::Number), Just(Type::String)].prop_recursive(
            3,
            24,
            3,
            |inner| {
                prop_oneof![
                    inner.clone().prop_map(Type::list),
                    inner.clone().prop_map(Type::set),
                    inner.clone().prop_map(Type::map),
                    proptest::collection::vec(inner.clone(), 0..3).prop_map(Type::Tuple),
                    proptest::collection::vec(inner, 0..3).prop_map(|types| {
                        Type::object(
                            types
                                .into_iter()
                                .enumerate()
                                .map(|(i, t)| (format!("a{i}"), t)),
                        )
                    }),
                ]
            },
        )
    }

    /// Any value of `ty`: null, unknown (refined or not), or known, with
    /// collections of several different elements (set elements distinct).
    fn arb_value(ty: &Type) -> BoxedStrategy<Value> {
        let known: BoxedStrategy<Value> = match ty {
            Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
            Type::Number => prop_oneof![
                any::<i64>().prop_map(Value::from),
                any::<f64>()
                    .prop_filter("finite", |f| f.is_finite())
                    .prop_map(|f| Value::Number(super::super::Number::from_f64(f).unwrap())),
            ]
            .boxed(),
            Type::String => "[a-z0-9 ]{0,8}".prop_map(Value::String).boxed(),
            Type::Dynamic => Just(Value::Null).boxed(),
            Type::List(e) => proptest::collection::vec(arb_value(e), 0..4)
                .prop_map(Value::List)
                .boxed(),
            Type::Set(e) => proptest::collection::vec(arb_value(e), 0..4)
                .prop_map(|items| {
                    let mut distinct: Vec<Value> = Vec::new();
                    for v in items.into_iter().filter(Value::is_wholly_known) {
                        if !distinct.iter().any(|d| d.same(&v)) {
                            distinct.push(v);
                        }
                    }
                    Value::Set(distinct)
                })
                .boxed(),
            Type::Map(e) => proptest::collection::btree_map("[a-z]{1,3}", arb_value(e), 0..4)
                .prop_map(Value::Map)
                .boxed(),
            Type::Tuple(types) => types
                .iter()
                .map(arb_value)
                .collect::<Vec<_>>()
                .prop_map(Value::Tuple)
                .boxed(),
            Type::Object(attrs, _) => attrs
                .iter()
                .map(|(k, t)| (Just(k.clone()), arb_value(t)))
                .collect::<Vec<_>>()
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
                .boxed(),
        };
        prop_oneof![
            8 => known,
            1 => Just(Value::Null),
            1 => Just(Value::UNKNOWN),
            1 => refined(ty),
        ]
        .boxed()
    }

    fn arb_typed() -> impl Strategy<Value = (Value, Type)> {
        arb_type().prop_flat_map(|ty| (arb_value(&ty), Just(ty)))
    }

    proptest! {
        #[test]
        fn typed_values_round_trip((value, ty) in arb_typed()) {
            let bytes = to_msgpack(&value, &ty).unwrap();
            prop_assert_eq!(from_msgpack(&bytes, &ty).unwrap(), value.clone());
            if let Ok(json) = super::super::to_json(&value, &ty) {
                prop_assert_eq!(super::super::from_json(&json, &ty).unwrap(), value);
            }
        }

        #[test]
        fn round_trips((value, ty) in arb_value_and_type()) {
            let bytes = to_msgpack(&value, &ty).unwrap();
            prop_assert_eq!(from_msgpack(&bytes, &ty).unwrap(), value.clone());
            let json = super::super::to_json(&value, &ty);
            if let Ok(json) = json {
                prop_assert_eq!(super::super::from_json(&json, &ty).unwrap(), value);
            }
        }

        #[test]
        fn mutated_encodings_never_panic(
            (value, ty) in arb_value_and_type(),
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
            cut in any::<usize>(),
        ) {
            // Start from a valid encoding, damage it, and decode again.
            let mut bytes = to_msgpack(&value, &ty).unwrap();
            for (at, byte) in flips {
                let n = bytes.len();
                bytes[at % n] = byte;
            }
            let _ = from_msgpack(&bytes, &ty);
            let n = bytes.len();
            bytes.truncate(cut % (n + 1));
            let _ = from_msgpack(&bytes, &ty);
            let _ = from_msgpack(&bytes, &Type::Dynamic);
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let ty = Type::object([("a", Type::list(Type::Dynamic)), ("b", Type::map(Type::Number))]);
            let _ = from_msgpack(&bytes, &ty);
            let _ = from_msgpack(&bytes, &Type::Dynamic);
        }
    }
}
