//! IPv4 CIDR arithmetic for the network layout.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An IPv4 network such as `10.0.0.0/16`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    base: u32,
    prefix: u8,
}

impl Cidr {
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether the two blocks share any address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        let shorter = self.prefix.min(other.prefix);
        let mask = if shorter == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(shorter))
        };
        self.base & mask == other.base & mask
    }

    /// The `netnum`-th subnet with `newbits` more prefix bits.
    pub fn subnet(&self, newbits: u8, netnum: u32) -> Option<Cidr> {
        let prefix = self.prefix.checked_add(newbits).filter(|p| *p <= 32)?;
        if newbits < 32 && netnum >= (1u32 << newbits) {
            return None;
        }
        let shift = 32 - u32::from(prefix);
        let base = self.base | netnum.checked_shl(shift).unwrap_or(0);
        Some(Cidr { base, prefix })
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not an IPv4 CIDR block like \"10.0.0.0/16\"");
        let (addr, prefix) = s.split_once('/').ok_or_else(bad)?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| bad())?;
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        if prefix > 32 {
            return Err(bad());
        }
        let base = u32::from(addr);
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(prefix))
        };
        if base & !mask != 0 {
            return Err(format!(
                "{s:?} has host bits set; did you mean \"{}/{prefix}\"?",
                Ipv4Addr::from(base & mask)
            ));
        }
        Ok(Cidr { base, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.base), self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_is_containment_either_way() {
        let a: Cidr = "10.0.0.0/16".parse().unwrap();
        let b: Cidr = "10.0.4.0/24".parse().unwrap();
        let c: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c));
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().overlaps(&c));
    }

    #[test]
    fn subnets_and_parsing() {
        let vpc: Cidr = "10.0.0.0/16".parse().unwrap();
        assert_eq!(vpc.subnet(5, 0).unwrap().to_string(), "10.0.0.0/21");
        assert_eq!(vpc.subnet(5, 9).unwrap().to_string(), "10.0.72.0/21");
        assert_eq!(vpc.subnet(5, 31).unwrap().to_string(), "10.0.248.0/21");
        assert!(vpc.subnet(5, 32).is_none());
        assert!(vpc.subnet(17, 0).is_none());
        assert!("10.0.0.1/16"
            .parse::<Cidr>()
            .unwrap_err()
            .contains("host bits"));
        assert!("10.0.0.0".parse::<Cidr>().is_err());
        assert!("300.0.0.0/8".parse::<Cidr>().is_err());
    }
}
