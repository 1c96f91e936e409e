//! The stable subnet layout: tier `t` in the AZ whose name ends in letter
//! `l` gets subnet number `t * 8 + (l - 'a')` of the VPC block, so adding
//! an AZ or a tier never renumbers an existing subnet. Also the computed
//! attributes a plan can know before apply.

use std::collections::BTreeMap;

use tfplugin::value::Value;

use super::model::Model;
use crate::cidr::Cidr;

pub const TIERS: [&str; 4] = ["public", "private", "database", "cache"];

/// 0 for an AZ ending in `a`, 1 for `b`, ... 7 for `h`.
pub fn az_index(az: &str) -> Option<u32> {
    let last = az.chars().last()?;
    let digits_before = az.chars().rev().nth(1).is_some_and(|c| c.is_ascii_digit());
    ('a'..='h')
        .contains(&last)
        .then(|| u32::from(last) - u32::from('a'))
        .filter(|_| digits_before)
}

fn tier_index(tier: &str) -> u32 {
    TIERS.iter().position(|t| *t == tier).unwrap_or(0) as u32
}

/// The stable CIDR of `tier` in `az`.
pub fn subnet_cidr(vpc: &Cidr, newbits: u8, tier: &str, az: &str) -> Option<Cidr> {
    vpc.subnet(newbits, tier_index(tier) * 8 + az_index(az)?)
}

/// The computed attributes a complete network of `m` has, with the ids
/// known from `prior` where the object already exists and unknown where
/// apply will create it.
pub fn planned_layout(m: &Model, prior: &Value, plan: &mut Value) {
    let vpc: Option<Cidr> = m.cidr_block.parse().ok();
    let newbits = m.subnet_newbits.unwrap_or(5);
    let mut cidrs = BTreeMap::new();
    for tier in TIERS {
        let key_by_az = format!("{tier}_subnets_by_az");
        let prior_by_az = prior.get(&key_by_az);
        let wanted = tier != "cache" || m.cache_subnets == Some(true);
        let mut by_az = BTreeMap::new();
        let mut ids = Vec::new();
        for az in m.availability_zones.iter().filter(|_| wanted) {
            let id = match prior_by_az.get(az) {
                Value::String(s) => Value::String(s.clone()),
                _ => Value::UNKNOWN,
            };
            ids.push(id.clone());
            by_az.insert(az.clone(), id);
            if let Some(c) = vpc.and_then(|v| subnet_cidr(&v, newbits, tier, az)) {
                cidrs.insert(format!("{tier}-{az}"), Value::String(c.to_string()));
            }
        }
        plan.set(&format!("{tier}_subnet_ids"), Value::List(ids));
        plan.set(&key_by_az, Value::Map(by_az));
    }
    plan.set("subnet_cidrs", Value::Map(cidrs));
    let mut rts = BTreeMap::new();
    let mut rt_keys = vec!["public".to_owned(), "database".to_owned()];
    if m.cache_subnets == Some(true) {
        rt_keys.push("cache".into());
    }
    rt_keys.extend(
        m.availability_zones
            .iter()
            .map(|az| format!("private-{az}")),
    );
    for k in rt_keys {
        let id = match prior.get("route_table_ids").get(&k) {
            Value::String(s) => Value::String(s.clone()),
            _ => Value::UNKNOWN,
        };
        rts.insert(k, id);
    }
    plan.set("route_table_ids", Value::Map(rts));
    let mut nats = BTreeMap::new();
    for az in m.nat_azs() {
        let id = match prior.get("nat_gateway_ids").get(&az) {
            Value::String(s) => Value::String(s.clone()),
            _ => Value::UNKNOWN,
        };
        nats.insert(az, id);
    }
    let all_known = nats.values().all(|v| !v.is_unknown())
        && nats.len()
            == prior
                .get("nat_gateway_ids")
                .entries()
                .map_or(0, |e| e.len());
    plan.set(
        "nat_public_ips",
        if nats.is_empty() {
            Value::List(Vec::new())
        } else if all_known {
            prior.get("nat_public_ips").clone()
        } else {
            Value::UNKNOWN
        },
    );
    plan.set("nat_gateway_ids", Value::Map(nats));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_stable_per_tier_and_az() {
        let vpc: Cidr = "10.0.0.0/16".parse().unwrap();
        let c = |t: &str, az: &str| subnet_cidr(&vpc, 5, t, az).unwrap().to_string();
        assert_eq!(c("public", "eu-west-1a"), "10.0.0.0/21");
        assert_eq!(c("public", "eu-west-1b"), "10.0.8.0/21");
        assert_eq!(c("private", "eu-west-1a"), "10.0.64.0/21");
        assert_eq!(c("database", "eu-west-1c"), "10.0.144.0/21");
        assert_eq!(c("cache", "eu-west-1h"), "10.0.248.0/21");
        // Every tier/AZ pair gets its own block.
        let mut all = std::collections::BTreeSet::new();
        for t in TIERS {
            for az in [
                "x-1a", "x-1b", "x-1c", "x-1d", "x-1e", "x-1f", "x-1g", "x-1h",
            ] {
                assert!(all.insert(c(t, az)));
            }
        }
        assert_eq!(az_index("eu-west-1i"), None);
        assert_eq!(az_index("use1-az1"), None);
    }
}
