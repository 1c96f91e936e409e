//! `onto_network`'s schema and its attribute checks.

use std::collections::BTreeSet;

use tfplugin::diag::Diagnostics;
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::validate::{int_between, one_of, Validator};
use tfplugin::value::{AttributePath, Type, Value};

use super::layout::az_index;
use super::TYPE;
use crate::cidr::Cidr;
use crate::{profile, validators};

struct CidrBlock;

impl Validator for CidrBlock {
    fn description(&self) -> String {
        "an IPv4 CIDR block with a prefix from /16 to /24".into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        match s.parse::<Cidr>() {
            Err(e) => diags.error_at(path.clone(), "Invalid CIDR block", e),
            Ok(c) if !(16..=24).contains(&c.prefix()) => diags.error_at(
                path.clone(),
                "Unsupported VPC size",
                format!("{s} has prefix /{}; use /16 to /24.", c.prefix()),
            ),
            Ok(_) => {}
        }
    }
}

struct AzName;

impl Validator for AzName {
    fn description(&self) -> String {
        "availability zone names ending in a letter from a to h".into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let Some(items) = value.elements() else {
            return;
        };
        let mut seen = BTreeSet::new();
        for (i, v) in items.iter().enumerate() {
            let Some(az) = v.as_str() else { continue };
            if az_index(az).is_none() {
                diags.error_at(
                    path.push_index(i),
                    "Invalid availability zone",
                    format!("{az:?} is not an availability zone name like \"eu-west-1a\"."),
                );
            } else if !seen.insert(az) {
                diags.error_at(
                    path.push_index(i),
                    "Duplicate availability zone",
                    format!("{az} is listed twice."),
                );
            }
        }
    }
}

pub fn schema() -> Schema {
    let ids = |d: &str| {
        Attribute::new("", Type::list(Type::String))
            .computed()
            .describe(d)
    };
    let by_az = |d: &str| {
        Attribute::new("", Type::map(Type::String))
            .computed()
            .describe(d)
    };
    let named = |mut a: Attribute, n: &str| {
        a.name = n.to_owned();
        a
    };
    Schema::new(
        Block::new()
            .describe("A VPC spread over availability zones with public, private, database and optional cache subnet tiers, NAT, per-tier route tables, a rule-less default security group and an S3 gateway endpoint. Subnet CIDRs follow a stable per-AZ layout: adding an AZ or a tier never renumbers existing subnets.")
            .attribute(Attribute::string("name").required().requires_replace().validate(tfplugin::validate::length_between(1, 48)).describe("Name prefix for every object (`<name>-private-a`, ...)."))
            .attribute(Attribute::string("region").optional().computed().requires_replace().use_state_for_unknown().validate(validators::region()).describe("Region; defaults to the provider's."))
            .attribute(Attribute::string("cidr_block").required().requires_replace().validate(CidrBlock).describe("The VPC's IPv4 block, /16 to /24."))
            .attribute(Attribute::new("availability_zones", Type::list(Type::String)).required().validate(AzName).describe("Availability zones, e.g. `[\"eu-west-1a\", \"eu-west-1b\"]`. Adding one adds subnets there; existing subnets are untouched."))
            .attribute(Attribute::number("subnet_newbits").default(5).requires_replace().validate(int_between(5, 8)).describe("Bits added to the VPC prefix for each subnet (5 gives a /21 per subnet in a /16)."))
            .attribute(Attribute::bool("cache_subnets").default(false).describe("Add a cache tier (for ElastiCache)."))
            .attribute(Attribute::string("nat_mode").optional().computed().validate(one_of(&["none", "single", "per_az"])).describe("`none`, `single` (one NAT gateway) or `per_az` (one per AZ, survives an AZ outage). Default from the environment profile: `per_az` in prod, `single` elsewhere."))
            .attribute(profile::environment_attribute())
            .attribute(profile::overrides_attribute(TYPE))
            .attribute(Attribute::bool("s3_endpoint").default(true).describe("Add an S3 gateway endpoint to the private, database and cache route tables."))
            .attribute(Attribute::new("tags", Type::map(Type::String)).optional().validate(validators::TagKeys).describe("Tags for every object."))
            .attribute(Attribute::new("tags_all", Type::map(Type::String)).computed().describe("All tags, including `default_tags` and the onto tags."))
            .attribute(Attribute::string("vpc_id").computed().use_state_for_unknown().describe("VPC id."))
            .attribute(Attribute::string("internet_gateway_id").computed().use_state_for_unknown().describe("Internet gateway id."))
            .attribute(Attribute::string("default_security_group_id").computed().use_state_for_unknown().describe("The VPC's default security group, with every rule removed."))
            .attribute(named(ids("Public subnet ids, in `availability_zones` order."), "public_subnet_ids"))
            .attribute(named(ids("Private subnet ids, in `availability_zones` order."), "private_subnet_ids"))
            .attribute(named(ids("Database subnet ids, in `availability_zones` order."), "database_subnet_ids"))
            .attribute(named(ids("Cache subnet ids (empty without `cache_subnets`)."), "cache_subnet_ids"))
            .attribute(named(by_az("Public subnet id per AZ."), "public_subnets_by_az"))
            .attribute(named(by_az("Private subnet id per AZ."), "private_subnets_by_az"))
            .attribute(named(by_az("Database subnet id per AZ."), "database_subnets_by_az"))
            .attribute(named(by_az("Cache subnet id per AZ."), "cache_subnets_by_az"))
            .attribute(named(by_az("Subnet CIDR per `<tier>-<az>`."), "subnet_cidrs"))
            .attribute(named(by_az("Route table id per tier (`public`, `database`, `cache`) and per private AZ (`private-<az>`)."), "route_table_ids"))
            .attribute(named(by_az("NAT gateway id per AZ that has one."), "nat_gateway_ids"))
            .attribute(named(ids("Public IPs of the NAT gateways."), "nat_public_ips"))
            .timeouts(&["create", "delete"]),
    )
}
