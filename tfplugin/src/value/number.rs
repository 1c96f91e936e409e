//! Arbitrary-precision numbers.

use std::fmt;
use std::str::FromStr;

use bigdecimal::{BigDecimal, FromPrimitive, ToPrimitive};

/// A Terraform number: arbitrary precision, compared by value (`1 == 1.0`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Number(BigDecimal);

impl Number {
    pub fn from_f64(v: f64) -> Option<Number> {
        if v.is_finite() {
            BigDecimal::from_f64(v).map(|d| Number(d.normalized()))
        } else {
            None
        }
    }

    pub fn to_i64(&self) -> Option<i64> {
        if self.0.is_integer() {
            self.0.to_i64()
        } else {
            None
        }
    }

    pub fn to_u64(&self) -> Option<u64> {
        if self.0.is_integer() {
            self.0.to_u64()
        } else {
            None
        }
    }

    pub fn to_f64(&self) -> Option<f64> {
        self.0.to_f64()
    }

    pub fn is_integer(&self) -> bool {
        self.0.is_integer()
    }

    /// The exact `f64` for this number, when one exists.
    pub(crate) fn exact_f64(&self) -> Option<f64> {
        let f = self.0.to_f64()?;
        let back = BigDecimal::from_f64(f)?;
        (f.is_finite() && back == self.0).then_some(f)
    }

    pub fn as_decimal(&self) -> &BigDecimal {
        &self.0
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        Number(BigDecimal::from(v))
    }
}

impl From<u64> for Number {
    fn from(v: u64) -> Self {
        Number(BigDecimal::from(v))
    }
}

impl From<BigDecimal> for Number {
    fn from(v: BigDecimal) -> Self {
        Number(v)
    }
}

impl FromStr for Number {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Refuse absurd exponents before they allocate gigabytes.
        if let Some(pos) = s.find(['e', 'E']) {
            let exp: i64 = s[pos + 1..]
                .parse()
                .map_err(|_| format!("not a number: {s:?}"))?;
            if exp.unsigned_abs() > 100_000 {
                return Err(format!("number exponent out of range: {s:?}"));
            }
        }
        BigDecimal::from_str(s)
            .map(|d| Number(d.normalized()))
            .map_err(|_| format!("not a number: {s:?}"))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.normalized();
        if n.is_integer() {
            write!(f, "{}", n.with_scale(0))
        } else {
            write!(f, "{}", n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_by_value_and_prints_plainly() {
        assert_eq!("1.0".parse::<Number>().unwrap(), Number::from(1i64));
        assert_eq!(Number::from(1_000_000i64).to_string(), "1000000");
        assert_eq!("0.25".parse::<Number>().unwrap().to_string(), "0.25");
        let big: Number = "123456789012345678901234567890".parse().unwrap();
        assert_eq!(big.to_string(), "123456789012345678901234567890");
        assert_eq!(big.to_i64(), None);
        assert!("1e99999999".parse::<Number>().is_err());
    }
}
