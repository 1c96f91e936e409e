//! `onto_network`: a VPC over N availability zones with public, private,
//! database and (optionally) cache subnet tiers, an internet gateway, NAT
//! (`none`, `single`, `per_az`), route tables per tier, the default
//! security group stripped of rules, and an S3 gateway endpoint.
//!
//! Subnet CIDRs follow a stable layout: tier `t` in the AZ whose name ends
//! in letter `l` gets subnet number `t * 8 + (l - 'a')` of the VPC block, so
//! adding an AZ or a tier never renumbers an existing subnet. Every object
//! carries an `onto:part` tag naming its role; apply converges the parts
//! (creating what is missing, fixing what drifted), which also makes a
//! create whose response was lost safe to run again.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, Filter, NatGatewayState, ResourceType, Tag,
    TagSpecification, VpcEndpointType,
};
use serde::Deserialize;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::plan::timeout;
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::validate::{int_between, one_of, Validator};
use tfplugin::value::{typed, AttributePath, Type, Value};
use tfplugin::Stop;

use crate::aws::{self, wait_until, Aws, Poll};
use crate::cidr::Cidr;
use crate::shared::Shared;
use crate::{profile, tags, validators};

const TYPE: &str = "onto_network";
const PART: &str = "onto:part";
const TIERS: [&str; 4] = ["public", "private", "database", "cache"];

pub struct Network(pub Shared);

// ---- schema ----------------------------------------------------------------

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

fn schema() -> Schema {
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

// ---- layout ------------------------------------------------------------------

/// 0 for an AZ ending in `a`, 1 for `b`, ... 7 for `h`.
fn az_index(az: &str) -> Option<u32> {
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
fn subnet_cidr(vpc: &Cidr, newbits: u8, tier: &str, az: &str) -> Option<Cidr> {
    vpc.subnet(newbits, tier_index(tier) * 8 + az_index(az)?)
}

#[derive(Deserialize)]
struct Model {
    name: String,
    region: Option<String>,
    cidr_block: String,
    availability_zones: Vec<String>,
    subnet_newbits: Option<u8>,
    cache_subnets: Option<bool>,
    nat_mode: Option<String>,
    s3_endpoint: Option<bool>,
    environment: Option<String>,
    tags: Option<BTreeMap<String, String>>,
}

impl Model {
    /// The environment this network belongs to: its own, else the provider's.
    fn environment<'a>(&'a self, aws: &'a Aws) -> &'a str {
        self.environment.as_deref().unwrap_or(&aws.environment)
    }

    fn tiers(&self) -> Vec<&'static str> {
        TIERS
            .iter()
            .copied()
            .filter(|t| *t != "cache" || self.cache_subnets == Some(true))
            .collect()
    }

    fn nat_azs(&self) -> Vec<String> {
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

fn model(v: &Value) -> Result<Model> {
    typed::from_value(v)
        .map_err(|e| Diagnostic::error("Invalid onto_network value", e.to_string()).into())
}

// ---- inventory: what exists, by part ---------------------------------------------

#[derive(Default)]
struct Inventory {
    vpc_id: String,
    vpc_tags: BTreeMap<String, String>,
    igw: Option<String>,
    subnets: BTreeMap<String, (String, String)>,
    /// part -> (id, association ids by subnet, default route target)
    route_tables: BTreeMap<String, RouteTable>,
    nats: BTreeMap<String, (String, String, String)>,
    eips: BTreeMap<String, (String, String)>,
    endpoint: Option<(String, BTreeSet<String>)>,
    default_sg: Option<String>,
}

#[derive(Clone, Default)]
struct RouteTable {
    id: String,
    associations: BTreeMap<String, String>,
    default_target: Option<String>,
}

fn part_of(tags: &[Tag]) -> Option<String> {
    tags.iter()
        .find(|t| t.key() == Some(PART))
        .and_then(|t| t.value())
        .map(str::to_owned)
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
        .collect()
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// Finds our VPC by its ownership tag.
async fn find_vpc(
    environment: &str,
    ec2: &aws_sdk_ec2::Client,
    name: &str,
) -> Result<Option<String>> {
    let out = ec2
        .describe_vpcs()
        .filters(filter(
            &format!("tag:{}", tags::OWNER),
            &tags::owner(TYPE, name),
        ))
        .filters(filter(&format!("tag:{}", tags::ENVIRONMENT), environment))
        .send()
        .await
        .map_err(aws::failed("ec2:DescribeVpcs"))?;
    Ok(out
        .vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .map(str::to_owned))
}

/// Everything in the VPC, indexed by `onto:part`. `None` if the VPC is gone.
async fn inventory(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> Result<Option<Inventory>> {
    let vpcs = match ec2.describe_vpcs().vpc_ids(vpc_id).send().await {
        Ok(out) => out,
        Err(e) if aws::code(&e) == Some("InvalidVpcID.NotFound") => return Ok(None),
        Err(e) => return Err(aws::error("ec2:DescribeVpcs", &e).into()),
    };
    let Some(vpc) = vpcs.vpcs().first() else {
        return Ok(None);
    };
    let mut inv = Inventory {
        vpc_id: vpc_id.to_owned(),
        vpc_tags: tag_map(vpc.tags()),
        ..Inventory::default()
    };
    let in_vpc = || filter("vpc-id", vpc_id);
    let igws = ec2
        .describe_internet_gateways()
        .filters(filter("attachment.vpc-id", vpc_id))
        .send()
        .await
        .map_err(aws::failed("ec2:DescribeInternetGateways"))?;
    inv.igw = igws
        .internet_gateways()
        .first()
        .and_then(|g| g.internet_gateway_id())
        .map(str::to_owned);
    let subnets = ec2
        .describe_subnets()
        .filters(in_vpc())
        .send()
        .await
        .map_err(aws::failed("ec2:DescribeSubnets"))?;
    for s in subnets.subnets() {
        if let (Some(part), Some(id)) = (part_of(s.tags()), s.subnet_id()) {
            inv.subnets.insert(
                part,
                (id.to_owned(), s.cidr_block().unwrap_or_default().to_owned()),
            );
        }
    }
    let rts = ec2
        .describe_route_tables()
        .filters(in_vpc())
        .send()
        .await
        .map_err(aws::failed("ec2:DescribeRouteTables"))?;
    for rt in rts.route_tables() {
        let Some(part) = part_of(rt.tags()) else {
            continue;
        };
        let default_target = rt
            .routes()
            .iter()
            .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
            .and_then(|r| r.nat_gateway_id().or(r.gateway_id()))
            .map(str::to_owned);
        let associations = rt
            .associations()
            .iter()
            .filter_map(|a| {
                Some((
                    a.subnet_id()?.to_owned(),
                    a.route_table_association_id()?.to_owned(),
                ))
            })
            .collect();
        inv.route_tables.insert(
            part,
            RouteTable {
                id: rt.route_table_id().unwrap_or_default().to_owned(),
                associations,
                default_target,
            },
        );
    }
    let nats = ec2
        .describe_nat_gateways()
        .filter(in_vpc())
        .send()
        .await
        .map_err(aws::failed("ec2:DescribeNatGateways"))?;
    for n in nats.nat_gateways() {
        let live = !matches!(
            n.state(),
            Some(NatGatewayState::Deleted | NatGatewayState::Deleting | NatGatewayState::Failed)
        );
        if let (Some(part), Some(id), true) = (part_of(n.tags()), n.nat_gateway_id(), live) {
            let ip = n
                .nat_gateway_addresses()
                .first()
                .and_then(|a| a.public_ip())
                .unwrap_or_default();
            let state = n.state().map(|s| s.as_str().to_owned()).unwrap_or_default();
            inv.nats.insert(part, (id.to_owned(), ip.to_owned(), state));
        }
    }
    let addrs = ec2
        .describe_addresses()
        .filters(filter("tag:onto:vpc", vpc_id))
        .send()
        .await
        .map_err(aws::failed("ec2:DescribeAddresses"))?;
    for a in addrs.addresses() {
        if let (Some(part), Some(id)) = (part_of(a.tags()), a.allocation_id()) {
            inv.eips.insert(
                part,
                (id.to_owned(), a.public_ip().unwrap_or_default().to_owned()),
            );
        }
    }
    let eps = ec2
        .describe_vpc_endpoints()
        .filters(in_vpc())
        .send()
        .await
        .map_err(aws::failed("ec2:DescribeVpcEndpoints"))?;
    inv.endpoint = eps
        .vpc_endpoints()
        .iter()
        .find(|e| {
            part_of(e.tags()).as_deref() == Some("endpoint/s3")
                && e.state().is_none_or(|s| s.as_str() != "deleted")
        })
        .map(|e| {
            (
                e.vpc_endpoint_id().unwrap_or_default().to_owned(),
                e.route_table_ids().iter().cloned().collect(),
            )
        });
    let sgs = ec2
        .describe_security_groups()
        .filters(in_vpc())
        .filters(filter("group-name", "default"))
        .send()
        .await
        .map_err(aws::failed("ec2:DescribeSecurityGroups"))?;
    inv.default_sg = sgs
        .security_groups()
        .first()
        .and_then(|g| g.group_id())
        .map(str::to_owned);
    Ok(Some(inv))
}

// ---- converge ------------------------------------------------------------------

struct Ctx<'a> {
    aws: &'a Aws,
    ec2: aws_sdk_ec2::Client,
    m: &'a Model,
    tags: BTreeMap<String, String>,
}

impl Ctx<'_> {
    fn spec(&self, kind: ResourceType, part: &str, vpc_id: Option<&str>) -> TagSpecification {
        let mut all = self.tags.clone();
        all.insert(PART.to_owned(), part.to_owned());
        all.insert(
            "Name".to_owned(),
            format!("{}-{}", self.m.name, part.replace('/', "-")),
        );
        if let Some(v) = vpc_id {
            all.insert("onto:vpc".to_owned(), v.to_owned());
        }
        let tags: Vec<Tag> = all
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        TagSpecification::builder()
            .resource_type(kind)
            .set_tags(Some(tags))
            .build()
    }
}

async fn ensure_vpc(cx: &Ctx<'_>) -> Result<String> {
    if let Some(id) = find_vpc(cx.m.environment(cx.aws), &cx.ec2, &cx.m.name).await? {
        tracing::info!(vpc = %id, "found this network's VPC; converging it");
        return Ok(id);
    }
    let out = cx
        .ec2
        .create_vpc()
        .cidr_block(&cx.m.cidr_block)
        .tag_specifications(cx.spec(ResourceType::Vpc, "vpc", None))
        .send()
        .await
        .map_err(aws::failed("ec2:CreateVpc"))?;
    let id = out
        .vpc()
        .and_then(|v| v.vpc_id())
        .unwrap_or_default()
        .to_owned();
    for (support, hostnames) in [(true, false), (false, true)] {
        let mut call = cx.ec2.modify_vpc_attribute().vpc_id(&id);
        let on = AttributeBooleanValue::builder().value(true).build();
        if support {
            call = call.enable_dns_support(on.clone());
        }
        if hostnames {
            call = call.enable_dns_hostnames(on);
        }
        aws::retry_eventual(&["InvalidVpcID.NotFound"], Duration::from_secs(60), || {
            call.clone().send()
        })
        .await
        .map_err(aws::failed("ec2:ModifyVpcAttribute"))?;
    }
    Ok(id)
}

async fn converge(cx: &Ctx<'_>, vpc_id: &str, limit: Duration, stop: &Stop) -> Result<()> {
    let ec2 = &cx.ec2;
    let m = cx.m;
    let vpc: Cidr = m
        .cidr_block
        .parse()
        .map_err(|e: String| Diagnostic::error("Invalid CIDR block", e))?;
    let newbits = m.subnet_newbits.unwrap_or(5);
    let mut inv = inventory(ec2, vpc_id).await?.ok_or_else(|| {
        Diagnostics::from(Diagnostic::error(
            "VPC vanished",
            format!("{vpc_id} disappeared during apply."),
        ))
    })?;

    // Internet gateway.
    let igw = match &inv.igw {
        Some(id) => id.clone(),
        None => {
            let out = ec2
                .create_internet_gateway()
                .tag_specifications(cx.spec(ResourceType::InternetGateway, "igw", Some(vpc_id)))
                .send()
                .await
                .map_err(aws::failed("ec2:CreateInternetGateway"))?;
            let id = out
                .internet_gateway()
                .and_then(|g| g.internet_gateway_id())
                .unwrap_or_default()
                .to_owned();
            ec2.attach_internet_gateway()
                .internet_gateway_id(&id)
                .vpc_id(vpc_id)
                .send()
                .await
                .map_err(aws::failed("ec2:AttachInternetGateway"))?;
            id
        }
    };

    // Subnets: create the missing ones, delete those no longer wanted.
    let mut wanted = BTreeSet::new();
    for tier in m.tiers() {
        for az in &m.availability_zones {
            let part = format!("subnet/{tier}/{az}");
            wanted.insert(part.clone());
            if inv.subnets.contains_key(&part) {
                continue;
            }
            let cidr = subnet_cidr(&vpc, newbits, tier, az).ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "No room for subnet",
                    format!("{tier} in {az} does not fit in {vpc}."),
                ))
            })?;
            let out = ec2
                .create_subnet()
                .vpc_id(vpc_id)
                .cidr_block(cidr.to_string())
                .availability_zone(az)
                .tag_specifications(cx.spec(ResourceType::Subnet, &part, Some(vpc_id)))
                .send()
                .await
                .map_err(aws::failed("ec2:CreateSubnet"))?;
            let id = out
                .subnet()
                .and_then(|s| s.subnet_id())
                .unwrap_or_default()
                .to_owned();
            inv.subnets.insert(part, (id, cidr.to_string()));
        }
    }

    // Route tables and their default routes.
    let nat_azs = m.nat_azs();
    let mut desired_rts: Vec<(String, Vec<String>, Option<String>)> = Vec::new();
    let subnet = |tier: &str, az: &str| {
        inv.subnets
            .get(&format!("subnet/{tier}/{az}"))
            .map(|(id, _)| id.clone())
    };
    desired_rts.push((
        "rt/public".into(),
        m.availability_zones
            .iter()
            .filter_map(|az| subnet("public", az))
            .collect(),
        Some(igw.clone()),
    ));
    for az in &m.availability_zones {
        desired_rts.push((
            format!("rt/private/{az}"),
            subnet("private", az).into_iter().collect(),
            None,
        ));
    }
    desired_rts.push((
        "rt/database".into(),
        m.availability_zones
            .iter()
            .filter_map(|az| subnet("database", az))
            .collect(),
        None,
    ));
    if m.cache_subnets == Some(true) {
        desired_rts.push((
            "rt/cache".into(),
            m.availability_zones
                .iter()
                .filter_map(|az| subnet("cache", az))
                .collect(),
            None,
        ));
    }

    // NAT gateways (in the public subnet of their AZ), each with an EIP.
    for az in &nat_azs {
        let part = format!("nat/{az}");
        if inv.nats.contains_key(&part) {
            continue;
        }
        let eip_part = format!("eip/{az}");
        let allocation = match inv.eips.get(&eip_part) {
            Some((id, _)) => id.clone(),
            None => {
                let out = ec2
                    .allocate_address()
                    .domain(DomainType::Vpc)
                    .tag_specifications(cx.spec(ResourceType::ElasticIp, &eip_part, Some(vpc_id)))
                    .send()
                    .await
                    .map_err(aws::failed("ec2:AllocateAddress"))?;
                let id = out.allocation_id().unwrap_or_default().to_owned();
                inv.eips.insert(
                    eip_part,
                    (id.clone(), out.public_ip().unwrap_or_default().to_owned()),
                );
                id
            }
        };
        let public = subnet("public", az).unwrap_or_default();
        let out = ec2
            .create_nat_gateway()
            .subnet_id(public)
            .allocation_id(allocation)
            .tag_specifications(cx.spec(ResourceType::Natgateway, &part, Some(vpc_id)))
            .send()
            .await
            .map_err(aws::failed("ec2:CreateNatGateway"))?;
        let id = out
            .nat_gateway()
            .and_then(|n| n.nat_gateway_id())
            .unwrap_or_default()
            .to_owned();
        wait_nat(ec2, &id, limit, stop).await?;
        inv.nats
            .insert(part, (id, String::new(), "available".into()));
    }
    let nat_for = |az: &str| -> Option<String> {
        let target = if m.nat_mode.as_deref() == Some("per_az") {
            az.to_owned()
        } else {
            nat_azs.first()?.clone()
        };
        inv.nats
            .get(&format!("nat/{target}"))
            .map(|(id, _, _)| id.clone())
    };
    for (part, subnets, target) in &mut desired_rts {
        if let Some(az) = part.strip_prefix("rt/private/") {
            *target = nat_for(az);
        }
        let rt = match inv.route_tables.get(part.as_str()) {
            Some(rt) => rt.clone(),
            None => {
                let out = ec2
                    .create_route_table()
                    .vpc_id(vpc_id)
                    .tag_specifications(cx.spec(ResourceType::RouteTable, part, Some(vpc_id)))
                    .send()
                    .await
                    .map_err(aws::failed("ec2:CreateRouteTable"))?;
                let id = out
                    .route_table()
                    .and_then(|r| r.route_table_id())
                    .unwrap_or_default()
                    .to_owned();
                RouteTable {
                    id,
                    ..RouteTable::default()
                }
            }
        };
        if rt.default_target != *target {
            if rt.default_target.is_some() {
                ec2.delete_route()
                    .route_table_id(&rt.id)
                    .destination_cidr_block("0.0.0.0/0")
                    .send()
                    .await
                    .map_err(aws::failed("ec2:DeleteRoute"))?;
            }
            if let Some(t) = target {
                let call = ec2
                    .create_route()
                    .route_table_id(&rt.id)
                    .destination_cidr_block("0.0.0.0/0");
                let call = if t.starts_with("nat-") {
                    call.nat_gateway_id(t.as_str())
                } else {
                    call.gateway_id(t.as_str())
                };
                call.send().await.map_err(aws::failed("ec2:CreateRoute"))?;
            }
        }
        for s in subnets.iter() {
            if !rt.associations.contains_key(s) {
                ec2.associate_route_table()
                    .route_table_id(&rt.id)
                    .subnet_id(s)
                    .send()
                    .await
                    .map_err(aws::failed("ec2:AssociateRouteTable"))?;
            }
        }
        inv.route_tables.insert(
            part.clone(),
            RouteTable {
                default_target: target.clone(),
                ..rt
            },
        );
    }

    // S3 gateway endpoint on every non-public route table.
    let private_rts: BTreeSet<String> = inv
        .route_tables
        .iter()
        .filter(|(p, _)| p.as_str() != "rt/public")
        .map(|(_, rt)| rt.id.clone())
        .collect();
    match (&inv.endpoint, m.s3_endpoint != Some(false)) {
        (None, true) => {
            let region = cx.aws.region_or_default(m.region.as_deref());
            ec2.create_vpc_endpoint()
                .vpc_id(vpc_id)
                .service_name(format!("com.amazonaws.{region}.s3"))
                .vpc_endpoint_type(VpcEndpointType::Gateway)
                .set_route_table_ids(Some(private_rts.iter().cloned().collect()))
                .tag_specifications(cx.spec(ResourceType::VpcEndpoint, "endpoint/s3", Some(vpc_id)))
                .send()
                .await
                .map_err(aws::failed("ec2:CreateVpcEndpoint"))?;
        }
        (Some((id, rts)), true) if *rts != private_rts => {
            ec2.modify_vpc_endpoint()
                .vpc_endpoint_id(id)
                .set_add_route_table_ids(Some(private_rts.difference(rts).cloned().collect()))
                .set_remove_route_table_ids(Some(rts.difference(&private_rts).cloned().collect()))
                .send()
                .await
                .map_err(aws::failed("ec2:ModifyVpcEndpoint"))?;
        }
        (Some((id, _)), false) => {
            delete_endpoint(ec2, id).await?;
        }
        _ => {}
    }

    // The default security group allows nothing.
    strip_default_sg(ec2, inv.default_sg.as_deref()).await?;

    // Remove what is no longer wanted: NATs, then route tables, then subnets.
    for (part, (id, _, _)) in &inv.nats {
        let az = part.trim_start_matches("nat/");
        if !nat_azs.iter().any(|a| a == az) {
            ec2.delete_nat_gateway()
                .nat_gateway_id(id)
                .send()
                .await
                .map_err(aws::failed("ec2:DeleteNatGateway"))?;
            wait_nat_gone(ec2, id, limit, stop).await?;
            if let Some((alloc, _)) = inv.eips.get(&format!("eip/{az}")) {
                ec2.release_address()
                    .allocation_id(alloc)
                    .send()
                    .await
                    .map_err(aws::failed("ec2:ReleaseAddress"))?;
            }
        }
    }
    let wanted_rts: BTreeSet<&str> = desired_rts.iter().map(|(p, _, _)| p.as_str()).collect();
    for (part, rt) in &inv.route_tables {
        if !wanted_rts.contains(part.as_str()) {
            delete_route_table(ec2, rt).await?;
        }
    }
    for (part, (id, _)) in &inv.subnets {
        if part.starts_with("subnet/") && !wanted.contains(part) {
            delete_subnet(ec2, vpc_id, id).await?;
        }
    }

    // Tags on the VPC (the other objects get theirs at creation).
    let mut vpc_tags = cx.tags.clone();
    vpc_tags.insert(PART.to_owned(), "vpc".to_owned());
    vpc_tags.insert("Name".to_owned(), format!("{}-vpc", m.name));
    let (remove, set) = tags::diff(&inv.vpc_tags, &vpc_tags);
    if !remove.is_empty() {
        let keys: Vec<Tag> = remove
            .into_iter()
            .map(|k| Tag::builder().key(k).build())
            .collect();
        ec2.delete_tags()
            .resources(vpc_id)
            .set_tags(Some(keys))
            .send()
            .await
            .map_err(aws::failed("ec2:DeleteTags"))?;
    }
    if !set.is_empty() {
        let t: Vec<Tag> = set
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        ec2.create_tags()
            .resources(vpc_id)
            .set_tags(Some(t))
            .send()
            .await
            .map_err(aws::failed("ec2:CreateTags"))?;
    }
    Ok(())
}

async fn strip_default_sg(ec2: &aws_sdk_ec2::Client, sg: Option<&str>) -> Result<()> {
    let Some(sg) = sg else { return Ok(()) };
    let out = ec2
        .describe_security_groups()
        .group_ids(sg)
        .send()
        .await
        .map_err(aws::failed("ec2:DescribeSecurityGroups"))?;
    let Some(g) = out.security_groups().first() else {
        return Ok(());
    };
    if !g.ip_permissions().is_empty() {
        ec2.revoke_security_group_ingress()
            .group_id(sg)
            .set_ip_permissions(Some(g.ip_permissions().to_vec()))
            .send()
            .await
            .map_err(aws::failed("ec2:RevokeSecurityGroupIngress"))?;
    }
    if !g.ip_permissions_egress().is_empty() {
        ec2.revoke_security_group_egress()
            .group_id(sg)
            .set_ip_permissions(Some(g.ip_permissions_egress().to_vec()))
            .send()
            .await
            .map_err(aws::failed("ec2:RevokeSecurityGroupEgress"))?;
    }
    Ok(())
}

async fn wait_nat(ec2: &aws_sdk_ec2::Client, id: &str, limit: Duration, stop: &Stop) -> Result<()> {
    wait_until(&format!("NAT gateway {id}"), limit, stop, || async {
        let out = ec2
            .describe_nat_gateways()
            .nat_gateway_ids(id)
            .send()
            .await
            .map_err(aws::failed("ec2:DescribeNatGateways"))?;
        let n = out.nat_gateways().first();
        Ok(match n.and_then(|n| n.state()) {
            Some(NatGatewayState::Available) => Poll::Ready(()),
            Some(NatGatewayState::Failed) => {
                let why = n
                    .and_then(|n| n.failure_message())
                    .unwrap_or("no reason given");
                return Err(
                    Diagnostic::error(format!("NAT gateway {id} failed"), why.to_owned()).into(),
                );
            }
            Some(s) => Poll::Pending(s.as_str().to_owned()),
            None => Poll::Pending("not yet visible".into()),
        })
    })
    .await
}

async fn wait_nat_gone(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    wait_until(
        &format!("NAT gateway {id} to be deleted"),
        limit,
        stop,
        || async {
            let out = ec2
                .describe_nat_gateways()
                .nat_gateway_ids(id)
                .send()
                .await
                .map_err(aws::failed("ec2:DescribeNatGateways"))?;
            Ok(match out.nat_gateways().first().and_then(|n| n.state()) {
                None | Some(NatGatewayState::Deleted) => Poll::Ready(()),
                Some(s) => Poll::Pending(s.as_str().to_owned()),
            })
        },
    )
    .await
}

/// Deletes the S3 gateway endpoint. A route of the endpoint that is already
/// gone from a route table is not a reason to fail.
async fn delete_endpoint(ec2: &aws_sdk_ec2::Client, id: &str) -> Result<()> {
    match ec2.delete_vpc_endpoints().vpc_endpoint_ids(id).send().await {
        Ok(_) => Ok(()),
        Err(e) if aws::code(&e) == Some("InvalidRoute.NotFound") => {
            tracing::warn!(endpoint = id, "endpoint route already gone");
            Ok(())
        }
        Err(e) => Err(aws::error("ec2:DeleteVpcEndpoints", &e).into()),
    }
}

async fn delete_route_table(ec2: &aws_sdk_ec2::Client, rt: &RouteTable) -> Result<()> {
    for assoc in rt.associations.values() {
        ec2.disassociate_route_table()
            .association_id(assoc)
            .send()
            .await
            .map_err(aws::failed("ec2:DisassociateRouteTable"))?;
    }
    ec2.delete_route_table()
        .route_table_id(&rt.id)
        .send()
        .await
        .map_err(aws::failed("ec2:DeleteRouteTable"))?;
    Ok(())
}

/// Deletes a subnet; when something created outside onto still uses it,
/// says exactly what.
async fn delete_subnet(ec2: &aws_sdk_ec2::Client, vpc_id: &str, id: &str) -> Result<()> {
    match ec2.delete_subnet().subnet_id(id).send().await {
        Ok(_) => Ok(()),
        Err(e) if aws::code(&e) == Some("InvalidSubnetID.NotFound") => Ok(()),
        Err(e) if aws::code(&e) == Some("DependencyViolation") => {
            Err(blocked(ec2, vpc_id, Some(id), "subnet", id).await)
        }
        Err(e) => Err(aws::error("ec2:DeleteSubnet", &e).into()),
    }
}

/// A DependencyViolation explained: the network interfaces and security
/// groups in the VPC (or subnet) that onto did not create.
async fn blocked(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    subnet: Option<&str>,
    what: &str,
    id: &str,
) -> Diagnostics {
    let mut blockers = Vec::new();
    let mut q = ec2
        .describe_network_interfaces()
        .filters(filter("vpc-id", vpc_id));
    if let Some(s) = subnet {
        q = q.filters(filter("subnet-id", s));
    }
    if let Ok(out) = q.send().await {
        for eni in out.network_interfaces() {
            blockers.push(format!(
                "network interface {} ({}{})",
                eni.network_interface_id().unwrap_or("?"),
                eni.description()
                    .filter(|d| !d.is_empty())
                    .unwrap_or("no description"),
                eni.requester_id()
                    .map(|r| format!(", created by {r}"))
                    .unwrap_or_default()
            ));
        }
    }
    if subnet.is_none() {
        if let Ok(out) = ec2
            .describe_security_groups()
            .filters(filter("vpc-id", vpc_id))
            .send()
            .await
        {
            for g in out
                .security_groups()
                .iter()
                .filter(|g| g.group_name() != Some("default"))
            {
                blockers.push(format!(
                    "security group {} ({})",
                    g.group_id().unwrap_or("?"),
                    g.group_name().unwrap_or("?")
                ));
            }
        }
    }
    let detail = if blockers.is_empty() {
        format!("AWS refused to delete {what} {id} because something still depends on it.")
    } else {
        format!(
            "{what} {id} is still used by objects created outside this configuration (often by Kubernetes controllers):\n  - {}\nDelete them (or the load balancers that own them), then destroy again.",
            blockers.join("\n  - ")
        )
    };
    Diagnostic::error(format!("Cannot delete {what} {id}"), detail).into()
}

// ---- state -----------------------------------------------------------------------

fn state(m: &Model, region: &str, inv: &Inventory, known: &Value, aws: &Aws) -> Result<Value> {
    let mut lists: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut maps: BTreeMap<&str, BTreeMap<String, String>> = BTreeMap::new();
    let mut cidrs = BTreeMap::new();
    for tier in TIERS {
        let mut ids = Vec::new();
        let mut by_az = BTreeMap::new();
        for az in &m.availability_zones {
            if let Some((id, cidr)) = inv.subnets.get(&format!("subnet/{tier}/{az}")) {
                ids.push(id.clone());
                by_az.insert(az.clone(), id.clone());
                cidrs.insert(format!("{tier}-{az}"), cidr.clone());
            }
        }
        lists.insert(tier, ids);
        maps.insert(tier, by_az);
    }
    let route_tables: BTreeMap<String, String> = inv
        .route_tables
        .iter()
        .map(|(p, rt)| (p.trim_start_matches("rt/").replace('/', "-"), rt.id.clone()))
        .collect();
    let nat_ids: BTreeMap<String, String> = inv
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
    let user_tags: BTreeMap<String, String> = m.tags.clone().unwrap_or_default();
    let mut vpc_tags = inv.vpc_tags.clone();
    vpc_tags.retain(|k, _| k != PART && k != "Name");
    let view = tags::user_view(aws, &user_tags, &vpc_tags);
    let v = serde_json::json!({
        "name": m.name,
        "region": region,
        "cidr_block": m.cidr_block,
        "availability_zones": m.availability_zones,
        "subnet_newbits": m.subnet_newbits.unwrap_or(5),
        "cache_subnets": m.cache_subnets.unwrap_or(false),
        "nat_mode": m.nat_mode.clone().unwrap_or_else(|| match inv.nats.len() {
            0 => "none".into(),
            1 if m.availability_zones.len() > 1 => "single".into(),
            _ => "per_az".into(),
        }),
        "environment": known.get("environment").as_str(),
        "prod_overrides": typed::from_value::<Option<Vec<String>>>(known.get("prod_overrides")).ok().flatten(),
        "s3_endpoint": inv.endpoint.is_some(),
        "tags": if view.is_empty() && known.get("tags").is_null() { None } else { Some(view) },
        "tags_all": vpc_tags,
        "vpc_id": inv.vpc_id,
        "internet_gateway_id": inv.igw,
        "default_security_group_id": inv.default_sg,
        "public_subnet_ids": lists["public"],
        "private_subnet_ids": lists["private"],
        "database_subnet_ids": lists["database"],
        "cache_subnet_ids": lists["cache"],
        "public_subnets_by_az": maps["public"],
        "private_subnets_by_az": maps["private"],
        "database_subnets_by_az": maps["database"],
        "cache_subnets_by_az": maps["cache"],
        "subnet_cidrs": cidrs,
        "route_table_ids": route_tables,
        "nat_gateway_ids": nat_ids,
        "nat_public_ips": nat_ips,
    });
    let mut value = typed::to_value(&v, &schema().ty())
        .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
    value.set("timeouts", known.get("timeouts").clone());
    Ok(value)
}

/// The computed attributes a complete network of `m` has, with the ids
/// known from `prior` where the object already exists and unknown where
/// apply will create it.
fn planned_layout(m: &Model, prior: &Value, plan: &mut Value) {
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

// ---- create / read / update / delete ---------------------------------------------

#[async_trait]
impl Resource for Network {
    fn type_name(&self) -> &str {
        TYPE
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let (Some(cidr), Some(azs)) = (
            config.get("cidr_block").as_str(),
            config.get("availability_zones").elements(),
        ) else {
            return;
        };
        let Ok(vpc) = cidr.parse::<Cidr>() else {
            return;
        };
        let newbits = config.get("subnet_newbits").as_i64().unwrap_or(5);
        if vpc.prefix() as i64 + newbits > 28 {
            diags.error_at(
                AttributePath::attr("subnet_newbits"),
                "Subnets too small",
                format!(
                    "A /{} VPC with subnet_newbits = {newbits} gives subnets smaller than /28.",
                    vpc.prefix()
                ),
            );
        }
        if azs.len() < 2 && config.get("nat_mode").as_str() == Some("per_az") {
            diags.warning(
                "One availability zone",
                "per_az NAT over a single AZ gives no redundancy.",
            );
        }
    }

    async fn modify_plan(&self, req: &mut PlanRequest) -> Result<()> {
        let Some(aws) = self.0.get() else {
            return Ok(());
        };
        if req.plan.is_null() {
            return Ok(());
        }
        if req.plan.get("region").is_unknown() && req.config.get("region").is_null() {
            req.plan.set("region", aws.region.clone());
        }
        let environment = profile::environment(aws, &req.config).to_owned();
        let refused = profile::apply(TYPE, &environment, req);
        if refused.has_errors() {
            return Err(refused);
        }
        if let Some(region) = req.plan.get("region").as_str().map(str::to_owned) {
            if let Some(azs) = req.plan.get("availability_zones").elements() {
                for (i, az) in azs.iter().enumerate() {
                    if let Some(az) = az.as_str().filter(|az| !az.starts_with(&region)) {
                        return Err(Diagnostic::error(
                            "Availability zone outside the region",
                            format!("{az} is not in {region}."),
                        )
                        .at(AttributePath::attr("availability_zones").push_index(i))
                        .into());
                    }
                }
            }
        }
        let Ok(m) = typed::from_value::<Model>(&req.plan) else {
            return Ok(());
        };
        tags::plan_tags_all(aws, &environment, TYPE, &m.name, &mut req.plan);
        if req.plan.get("availability_zones").is_wholly_known() {
            let prior = req.prior.clone();
            planned_layout(&m, &prior, &mut req.plan);
        }
        Ok(())
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        self.apply(req).await
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let Some(aws) = self.0.get() else {
            return Ok(Some(req.state.clone()));
        };
        let m = model(&req.state)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let ec2 = aws.ec2(&region);
        let vpc_id = match req.state.get("vpc_id").as_str() {
            Some(id) => id.to_owned(),
            None => match find_vpc(m.environment(aws), &ec2, &m.name).await? {
                Some(id) => id,
                None => return Ok(None),
            },
        };
        match inventory(&ec2, &vpc_id).await? {
            Some(inv) => state(&m, &region, &inv, &req.state, aws).map(Some),
            None => Ok(None),
        }
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        self.apply(req).await
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let aws = self.0.require()?;
        let m = model(&req.prior)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let ec2 = aws.ec2(&region);
        let limit = timeout(&req.prior, "delete", Duration::from_secs(1800));
        let Some(vpc_id) = req.prior.get("vpc_id").as_str().map(str::to_owned) else {
            return Ok(());
        };
        let Some(inv) = inventory(&ec2, &vpc_id).await? else {
            return Ok(());
        };
        if let Some((id, _)) = &inv.endpoint {
            delete_endpoint(&ec2, id).await?;
        }
        for (id, _, _) in inv.nats.values() {
            ec2.delete_nat_gateway()
                .nat_gateway_id(id)
                .send()
                .await
                .map_err(aws::failed("ec2:DeleteNatGateway"))?;
        }
        for (id, _, _) in inv.nats.values() {
            wait_nat_gone(&ec2, id, limit, &req.stop).await?;
        }
        for (alloc, _) in inv.eips.values() {
            ec2.release_address()
                .allocation_id(alloc)
                .send()
                .await
                .map_err(aws::failed("ec2:ReleaseAddress"))?;
        }
        for rt in inv.route_tables.values() {
            delete_route_table(&ec2, rt).await?;
        }
        if let Some(igw) = &inv.igw {
            ec2.detach_internet_gateway()
                .internet_gateway_id(igw)
                .vpc_id(&vpc_id)
                .send()
                .await
                .map_err(aws::failed("ec2:DetachInternetGateway"))?;
            ec2.delete_internet_gateway()
                .internet_gateway_id(igw)
                .send()
                .await
                .map_err(aws::failed("ec2:DeleteInternetGateway"))?;
        }
        for (id, _) in inv.subnets.values() {
            delete_subnet(&ec2, &vpc_id, id).await?;
        }
        match ec2.delete_vpc().vpc_id(&vpc_id).send().await {
            Ok(_) => Ok(()),
            Err(e) if aws::code(&e) == Some("InvalidVpcID.NotFound") => Ok(()),
            Err(e) if aws::code(&e) == Some("DependencyViolation") => {
                Err(blocked(&ec2, &vpc_id, None, "VPC", &vpc_id).await)
            }
            Err(e) => Err(aws::error("ec2:DeleteVpc", &e).into()),
        }
    }

    /// Import ID: the network's `name` (found by its ownership tag).
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let ec2 = aws.ec2(&aws.region);
        let Some(vpc_id) = find_vpc(&aws.environment, &ec2, &req.id).await? else {
            return Err(Diagnostic::error(
                "Network not found",
                format!(
                    "No VPC tagged as onto_network {:?} in {} ({}).",
                    req.id, aws.region, aws.environment
                ),
            )
            .into());
        };
        let out = ec2
            .describe_vpcs()
            .vpc_ids(&vpc_id)
            .send()
            .await
            .map_err(aws::failed("ec2:DescribeVpcs"))?;
        let cidr = out
            .vpcs()
            .first()
            .and_then(|v| v.cidr_block())
            .unwrap_or_default()
            .to_owned();
        let subnets = ec2
            .describe_subnets()
            .filters(filter("vpc-id", &vpc_id))
            .send()
            .await
            .map_err(aws::failed("ec2:DescribeSubnets"))?;
        let mut azs: Vec<String> = subnets
            .subnets()
            .iter()
            .filter_map(|s| s.availability_zone().map(str::to_owned))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        azs.sort();
        let cache = subnets
            .subnets()
            .iter()
            .any(|s| part_of(s.tags()).is_some_and(|p| p.starts_with("subnet/cache/")));
        let mut v = Value::null_object(&schema().ty());
        v.set("name", req.id.clone());
        v.set("region", aws.region.clone());
        v.set("cidr_block", cidr);
        v.set(
            "availability_zones",
            Value::List(azs.into_iter().map(Value::String).collect()),
        );
        v.set("vpc_id", vpc_id);
        v.set("cache_subnets", cache);
        Ok(v)
    }
}

impl Network {
    /// Create and update are one operation: converge every part.
    async fn apply(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m = model(&req.planned)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let cx = Ctx {
            aws,
            ec2: aws.ec2(&region),
            m: &m,
            tags: tags::desired(
                aws,
                m.environment(aws),
                TYPE,
                &m.name,
                &m.tags.clone().unwrap_or_default(),
            ),
        };
        let limit = timeout(&req.planned, "create", Duration::from_secs(1800));
        let vpc_id = match req.prior.get("vpc_id").as_str() {
            Some(id) => id.to_owned(),
            None => ensure_vpc(&cx).await?,
        };
        let partial = inventory(&cx.ec2, &vpc_id).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "VPC vanished",
                format!("{vpc_id} disappeared during apply."),
            ))
        })?;
        req.save_partial(state(&m, &region, &partial, &req.planned, aws)?);
        converge(&cx, &vpc_id, limit, &req.stop).await?;
        let inv = inventory(&cx.ec2, &vpc_id).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "VPC vanished",
                format!("{vpc_id} disappeared during apply."),
            ))
        })?;
        state(&m, &region, &inv, &req.planned, aws)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::operation::delete_subnet::DeleteSubnetError;
    use aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput;
    use aws_sdk_ec2::types::NetworkInterface;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    /// The emulator deletes subnets that still hold network interfaces, so
    /// the DependencyViolation path is tested on a mocked EC2.
    #[tokio::test]
    async fn a_blocked_subnet_names_what_blocks_it() {
        let delete = mock!(aws_sdk_ec2::Client::delete_subnet).then_error(|| {
            DeleteSubnetError::generic(
                aws_smithy_types::error::ErrorMetadata::builder()
                    .code("DependencyViolation")
                    .message("has dependencies")
                    .build(),
            )
        });
        let enis = mock!(aws_sdk_ec2::Client::describe_network_interfaces).then_output(|| {
            DescribeNetworkInterfacesOutput::builder()
                .network_interfaces(
                    NetworkInterface::builder()
                        .network_interface_id("eni-0abc")
                        .description("ELB app/k8s-ingress/123")
                        .requester_id("amazon-elb")
                        .build(),
                )
                .build()
        });
        let ec2 = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&delete, &enis]);
        let err = delete_subnet(&ec2, "vpc-1", "subnet-1").await.unwrap_err();
        let d = err.iter().next().unwrap();
        assert_eq!(d.summary, "Cannot delete subnet subnet-1");
        assert!(
            d.detail.contains(
                "network interface eni-0abc (ELB app/k8s-ingress/123, created by amazon-elb)"
            ),
            "{}",
            d.detail
        );
    }

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
