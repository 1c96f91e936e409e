//! Attribute validators. They run at validation time on known, non-null
//! values only, and report diagnostics on the exact attribute path.

use std::time::Duration;

use crate::diag::Diagnostics;
use crate::value::{AttributePath, Value};

/// Checks one attribute value.
pub trait Validator: Send + Sync {
    /// One line for docs, e.g. "one of `a`, `b`".
    fn description(&self) -> String;
    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics);
}

/// The string must be one of `choices` (for a list or set of strings:
/// every element).
pub fn one_of(choices: &[&str]) -> impl Validator {
    OneOf(choices.iter().map(|s| (*s).to_owned()).collect())
}

struct OneOf(Vec<String>);

impl Validator for OneOf {
    fn description(&self) -> String {
        let list: Vec<String> = self.0.iter().map(|c| format!("`{c}`")).collect();
        format!("one of {}", list.join(", "))
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        if let Some(items) = value.elements() {
            for (i, item) in items.iter().enumerate() {
                let at = match value {
                    Value::Set(_) => path.clone(),
                    _ => path.push_index(i),
                };
                self.validate(&at, item, diags);
            }
        } else if let Some(s) = value.as_str() {
            if !self.0.iter().any(|c| c == s) {
                diags.error_at(
                    path.clone(),
                    "Invalid value",
                    format!("{s:?} is not {}.", self.description()),
                );
            }
        }
    }
}

/// The string's length (in characters) must lie in `min..=max`.
pub fn length_between(min: usize, max: usize) -> impl Validator {
    LengthBetween(min, max)
}

struct LengthBetween(usize, usize);

impl Validator for LengthBetween {
    fn description(&self) -> String {
        format!("between {} and {} characters", self.0, self.1)
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            let n = s.chars().count();
            if n < self.0 || n > self.1 {
                diags.error_at(
                    path.clone(),
                    "Invalid length",
                    format!(
                        "The value has {n} characters; it must have {}.",
                        self.description()
                    ),
                );
            }
        }
    }
}

/// The number must be an integer in `min..=max`.
pub fn int_between(min: i64, max: i64) -> impl Validator {
    IntBetween(min, max)
}

struct IntBetween(i64, i64);

impl Validator for IntBetween {
    fn description(&self) -> String {
        format!("a whole number from {} to {}", self.0, self.1)
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        if let Some(n) = value.as_number() {
            match n.to_i64() {
                Some(i) if (self.0..=self.1).contains(&i) => {}
                _ => diags.error_at(
                    path.clone(),
                    "Invalid number",
                    format!("{n} is not {}.", self.description()),
                ),
            }
        }
    }
}

/// The string must be a duration such as `"90s"`, `"30m"` or `"1h30m"`.
pub fn duration() -> impl Validator {
    DurationValidator
}

struct DurationValidator;

impl Validator for DurationValidator {
    fn description(&self) -> String {
        "a duration such as `\"30s\"`, `\"10m\"` or `\"1h30m\"`".into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            if let Err(e) = parse_duration(s) {
                diags.error_at(path.clone(), "Invalid duration", e);
            }
        }
    }
}

/// Parses Go-style durations: a sequence of `<number><unit>` with units
/// `ns`, `us` (`µs`), `ms`, `s`, `m`, `h`; numbers may have a fraction.
/// Whole numbers are exact (no floating-point rounding), and as in Go a
/// duration is at most `i64::MAX` nanoseconds (about 292 years).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not a duration; use forms like \"30s\", \"10m\" or \"1h30m\"");
    if s.is_empty() {
        return Err(bad());
    }
    if s == "0" {
        // The one number Go takes without a unit.
        return Ok(Duration::ZERO);
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .ok_or_else(bad)?;
        let (whole, fraction) = rest[..digits]
            .split_once('.')
            .unwrap_or((&rest[..digits], ""));
        if whole.is_empty() && fraction.is_empty() {
            return Err(bad());
        }
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit: u64 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(bad()),
        };
        let whole: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let fraction: f64 = if fraction.is_empty() {
            0.0
        } else {
            format!("0.{fraction}").parse().map_err(|_| bad())?
        };
        // The fraction's part is below one unit, so it fits; rounding it
        // to whole nanoseconds is what Go does too.
        let part = whole
            .checked_mul(unit)
            .and_then(|n| n.checked_add((fraction * unit as f64) as u64))
            .ok_or_else(bad)?;
        total = total
            .checked_add(part)
            .filter(|&t| t <= i64::MAX as u64)
            .ok_or_else(bad)?;
        rest = &rest[unit_len..];
    }
    Ok(Duration::from_nanos(total))
}

/// Runs every attribute validator in `block` over a configuration value,
/// recursing through nested blocks and nested attributes. Also refuses
/// write-only values when the client cannot handle them.
pub(crate) fn check_config(
    block: &crate::schema::Block,
    value: &Value,
    path: &AttributePath,
    write_only_allowed: bool,
    diags: &mut Diagnostics,
) {
    use crate::schema::{AttributeType, Block};
    if !matches!(value, Value::Object(_)) {
        return;
    }
    for attr in &block.attributes {
        let p = path.push_attr(&attr.name);
        let v = value.get(&attr.name);
        if v.is_null() {
            continue;
        }
        if attr.write_only && !write_only_allowed {
            diags.error_at(
                p.clone(),
                "Write-only attribute not supported",
                format!("{p} is write-only and needs Terraform 1.11 or later."),
            );
        }
        if !v.is_unknown() {
            for validator in &attr.validators {
                validator.validate(&p, v, diags);
            }
        }
        if let AttributeType::Nested(_, attrs) = &attr.kind {
            let nested = Block {
                attributes: attrs.clone(),
                ..Block::default()
            };
            each_element(v, &p, &mut |ep, ev| {
                check_config(&nested, ev, ep, write_only_allowed, diags)
            });
        }
    }
    for nb in &block.blocks {
        let p = path.push_attr(&nb.name);
        let v = value.get(&nb.name);
        each_element(v, &p, &mut |ep, ev| {
            check_config(&nb.block, ev, ep, write_only_allowed, diags)
        });
    }
}

fn each_element(v: &Value, path: &AttributePath, f: &mut dyn FnMut(&AttributePath, &Value)) {
    match v {
        Value::Object(_) => f(path, v),
        Value::List(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, e)| f(&path.push_index(i), e)),
        Value::Set(items) => items.iter().for_each(|e| f(path, e)),
        Value::Map(items) => items.iter().for_each(|(k, e)| f(&path.push_key(k), e)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration(".5h").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_duration("90us").unwrap(), Duration::from_micros(90));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        // Found by fuzzing: long whole numbers were rounded through f64.
        assert_eq!(
            parse_duration("2562047h").unwrap(),
            Duration::from_secs(2_562_047 * 3600)
        );
        for bad in [
            "",
            "10",
            "m",
            "5d",
            "-1s",
            "1h-",
            "10000000000000000000s10000000000000000000s",
            "300000y",
            ".s",
            "1.2.3s",
            "2562048h", // past Go's limit of i64::MAX nanoseconds
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn validators_point_at_the_attribute() {
        let mut d = Diagnostics::new();
        let path = AttributePath::attr("mode");
        one_of(&["a", "b"]).validate(&path, &Value::from("c"), &mut d);
        int_between(1, 3).validate(&path, &Value::from(4), &mut d);
        one_of(&["a"]).validate(&path, &Value::UNKNOWN, &mut d);
        assert_eq!(d.iter().count(), 2);
        assert!(d.iter().all(|x| x.path.as_ref() == Some(&path)));
    }
}
