//! Refinements of unknown values (msgpack extension 12).
//!
//! Terraform may say more about an unknown value than "unknown": that it will
//! not be null, a string prefix, number bounds or collection length bounds.
//! We keep the encoded form so an echoed unknown carries exactly what
//! Terraform sent, and decode it so apply results can be checked against it.

use super::Number;

/// What is known about an unknown value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Refinements {
    /// The encoded refinement map, echoed verbatim.
    pub(crate) raw: Vec<u8>,
    pub not_null: bool,
    pub string_prefix: Option<String>,
    /// Lower bound and whether it is inclusive.
    pub number_min: Option<(Number, bool)>,
    pub number_max: Option<(Number, bool)>,
    pub length_min: Option<u64>,
    pub length_max: Option<u64>,
}

const NULLNESS: i64 = 1;
const STRING_PREFIX: i64 = 2;
const NUMBER_MIN: i64 = 3;
const NUMBER_MAX: i64 = 4;
const LENGTH_MIN: i64 = 5;
const LENGTH_MAX: i64 = 6;

impl Refinements {
    /// Decodes an extension-12 payload. Refinements we do not understand are
    /// ignored (they only narrow the value) but still echoed.
    pub(crate) fn decode(raw: &[u8]) -> Option<Refinements> {
        let mut r = Refinements {
            raw: raw.to_vec(),
            ..Refinements::default()
        };
        let mut rd = raw;
        let len = rmp::decode::read_map_len(&mut rd).ok()?;
        for _ in 0..len {
            let key: i64 = rmp::decode::read_int(&mut rd).ok()?;
            match key {
                NULLNESS => r.not_null = !rmp::decode::read_bool(&mut rd).ok()?,
                STRING_PREFIX => {
                    let v = super::msgpack::read_any(&mut rd, 0).ok()?;
                    r.string_prefix = v.as_str().map(str::to_owned);
                }
                NUMBER_MIN | NUMBER_MAX => {
                    let v = super::msgpack::read_any(&mut rd, 0).ok()?;
                    let bound = match v.elements() {
                        Some([super::Value::Number(n), super::Value::Bool(inc)]) => {
                            Some((n.clone(), *inc))
                        }
                        _ => None,
                    };
                    if key == NUMBER_MIN {
                        r.number_min = bound;
                    } else {
                        r.number_max = bound;
                    }
                }
                LENGTH_MIN => r.length_min = rmp::decode::read_int(&mut rd).ok(),
                LENGTH_MAX => r.length_max = rmp::decode::read_int(&mut rd).ok(),
                _ => {
                    super::msgpack::read_any(&mut rd, 0).ok()?;
                }
            }
        }
        Some(r)
    }

    pub(crate) fn raw(&self) -> &[u8] {
        &self.raw
    }

    fn length_violation(&self, len: usize) -> Option<String> {
        let len = len as u64;
        if !(self.length_min.is_some_and(|m| len < m) || self.length_max.is_some_and(|m| len > m)) {
            return None;
        }
        let promised = match (self.length_min, self.length_max) {
            (Some(min), Some(max)) if min == max => format!("{min}"),
            (Some(min), Some(max)) => format!("{min} to {max}"),
            (Some(min), None) => format!("at least {min}"),
            (None, Some(max)) => format!("at most {max}"),
            (None, None) => return None,
        };
        Some(format!("the plan promised {promised} elements, not {len}"))
    }

    /// Why `value` breaks these refinements, if it does.
    pub fn violation(&self, value: &super::Value) -> Option<String> {
        use super::Value;
        if value.is_unknown() {
            return None;
        }
        if self.not_null && value.is_null() {
            return Some("the plan promised a non-null value, but it is null".into());
        }
        match value {
            Value::String(s) => {
                if let Some(p) = &self.string_prefix {
                    if !s.starts_with(p.as_str()) {
                        return Some(format!("the plan promised a value starting with {p:?}"));
                    }
                }
            }
            Value::Number(n) => {
                if let Some((min, inclusive)) = &self.number_min {
                    if n < min || (!inclusive && n == min) {
                        return Some(format!("the plan promised a value of at least {min}"));
                    }
                }
                if let Some((max, inclusive)) = &self.number_max {
                    if n > max || (!inclusive && n == max) {
                        return Some(format!("the plan promised a value of at most {max}"));
                    }
                }
            }
            Value::List(v) | Value::Set(v) => return self.length_violation(v.len()),
            Value::Map(m) => return self.length_violation(m.len()),
            _ => {}
        }
        None
    }
}
