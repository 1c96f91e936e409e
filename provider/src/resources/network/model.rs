//! `onto_network`'s state: one typed struct, read from plans and state and
//! written back from what AWS holds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::layout::TIERS;
use crate::aws::ec2::network::Inventory;
use crate::aws::Aws;
use crate::tags::PART;

/// Every attribute of `onto_network`. Reading a plan, unknown values are
/// `None`; the part ids (lists and maps a plan knows only in part) are
/// written, never read.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Model {
    pub name: String,
    pub region: Option<String>,
    pub cidr_block: String,
    pub availability_zones: Vec<String>,
    pub subnet_newbits: Option<u8>,
    pub cache_subnets: Option<bool>,
    pub nat_mode: Option<String>,
    pub environment: Option<String>,
    pub prod_overrides: Option<Vec<String>>,
    pub s3_endpoint: Option<bool>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Option<BTreeMap<String, String>>,
    pub vpc_id: Option<String>,
    pub internet_gateway_id: Option<String>,
    pub default_security_group_id: Option<String>,
    #[serde(skip_deserializing)]
    pub public_subnet_ids: Option<Vec<String>>,
    #[serde(skip_deserializing)]
    pub private_subnet_ids: Option<Vec<String>>,
    #[serde(skip_deserializing)]
    pub database_subnet_ids: Option<Vec<String>>,
    #[serde(skip_deserializing)]
    pub cache_subnet_ids: Option<Vec<String>>,
    #[serde(skip_deserializing)]
    pub public_subnets_by_az: Option<BTreeMap<String, String>>,
    #[serde(skip_deserializing)]
    pub private_subnets_by_az: Option<BTreeMap<String, String>>,
    #[serde(skip_deserializing)]
    pub database_subnets_by_az: Option<BTreeMap<String, String>>,
    #[serde(skip_deserializing)]
    pub cache_subnets_by_az: Option<BTreeMap<String, String>>,
    #[serde(skip_deserializing)]
    pub subnet_cidrs: Option<BTreeMap<String, String>>,
    #[serde(skip_deserializing)]
    pub route_table_ids: Option<BTreeMap<String, String>>,
    #[serde(skip_deserializing)]
    pub nat_gateway_ids: Option<BTreeMap<String, String>>,
    #[serde(skip_deserializing)]
    pub nat_public_ips: Option<Vec<String>>,
}

impl Model {
    /// The environment this network belongs to: its own, else the provider's.
    pub fn environment<'a>(&'a self, aws: &'a Aws) -> &'a str {
        self.environment.as_deref().unwrap_or(&aws.environment)
    }

    pub fn tiers(&self) -> Vec<&'static str> {
        TIERS
            .iter()
            .copied()
            .filter(|t| *t != "cache" || self.cache_subnets == Some(true))
            .collect()
    }

    pub fn nat_azs(&self) -> Vec<String> {
        match self.nat_mode.as_deref() {
            Some("none") => vec![],
            Some("per_az") => self.availability_zones.clone(),
            _ => self
                .availability_zones
                .first()
                .cloned()
                .into_iter()
                .collect(),
        }
    }
}

impl Model {
    /// The state for `inv`: this model's settings, and every part's id as
    /// AWS holds it.
    pub fn observed(&self, aws: &Aws, region: &str, inv: &Inventory) -> Model {
        let mut lists: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut maps: BTreeMap<&str, BTreeMap<String, String>> = BTreeMap::new();
        let mut cidrs = BTreeMap::new();
        for tier in TIERS {
            let mut ids = Vec::new();
            let mut by_az = BTreeMap::new();
            for az in &self.availability_zones {
                if let Some((id, cidr)) = inv.subnets.get(&format!("subnet/{tier}/{az}")) {
                    ids.push(id.clone());
                    by_az.insert(az.clone(), id.clone());
                    cidrs.insert(format!("{tier}-{az}"), cidr.clone());
                }
            }
            lists.insert(tier, ids);
            maps.insert(tier, by_az);
        }
        let route_tables = inv
            .route_tables
            .iter()
            .map(|(p, rt)| (p.trim_start_matches("rt/").replace('/', "-"), rt.id.clone()))
            .collect();
        let nat_ids = inv
            .nats
            .iter()
            .map(|(p, (id, _, _))| (p.trim_start_matches("nat/").to_owned(), id.clone()))
            .collect();
        let mut nat_ips: Vec<String> = inv
            .nats
            .values()
            .map(|(_, ip, _)| ip.clone())
            .filter(|ip| !ip.is_empty())
            .collect();
        if nat_ips.len() < inv.nats.len() {
            nat_ips = inv.eips.values().map(|(_, ip)| ip.clone()).collect();
        }
        let mut vpc_tags = inv.vpc_tags.clone();
        vpc_tags.retain(|k, _| k != PART && k != "Name");
        let view = crate::tags::user_view(aws, &self.tags.clone().unwrap_or_default(), &vpc_tags);
        let mut take = |tier: &str| (lists.remove(tier), maps.remove(tier));
        let (public, public_by_az) = take("public");
        let (private, private_by_az) = take("private");
        let (database, database_by_az) = take("database");
        let (cache, cache_by_az) = take("cache");
        Model {
            name: self.name.clone(),
            region: Some(region.to_owned()),
            cidr_block: self.cidr_block.clone(),
            availability_zones: self.availability_zones.clone(),
            subnet_newbits: Some(self.subnet_newbits.unwrap_or(5)),
            cache_subnets: Some(self.cache_subnets.unwrap_or(false)),
            nat_mode: Some(
                self.nat_mode
                    .clone()
                    .unwrap_or_else(|| match inv.nats.len() {
                        0 => "none".into(),
                        1 if self.availability_zones.len() > 1 => "single".into(),
                        _ => "per_az".into(),
                    }),
            ),
            environment: self.environment.clone(),
            prod_overrides: self.prod_overrides.clone(),
            s3_endpoint: Some(inv.endpoint.is_some()),
            tags: (!view.is_empty() || self.tags.is_some()).then_some(view),
            tags_all: Some(vpc_tags),
            vpc_id: Some(inv.vpc_id.clone()),
            internet_gateway_id: inv.igw.as_ref().map(|g| g.id.clone()),
            default_security_group_id: inv.default_sg.clone(),
            public_subnet_ids: public,
            private_subnet_ids: private,
            database_subnet_ids: database,
            cache_subnet_ids: cache,
            public_subnets_by_az: public_by_az,
            private_subnets_by_az: private_by_az,
            database_subnets_by_az: database_by_az,
            cache_subnets_by_az: cache_by_az,
            subnet_cidrs: Some(cidrs),
            route_table_ids: Some(route_tables),
            nat_gateway_ids: Some(nat_ids),
            nat_public_ips: Some(nat_ips),
        }
    }
}
