//! Create and update are one operation: every part the model wants is
//! created when missing and repaired when drifted, and every part it no
//! longer wants is removed. Each part is born tagged with `onto:part`, so
//! a create that was interrupted (or lost its response) is finished by the
//! next run instead of making twins.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::Stop;

use super::layout::subnet_cidr;
use super::model::Model;
use crate::aws::ec2::converge_tags;
use crate::aws::ec2::network::{self as net, Inventory, RouteTable, VPC_TAG};
use crate::cidr::Cidr;
use crate::ownership::Owner;
use crate::tags::PART;

/// What one converge works with.
pub struct Ctx<'a> {
    pub ec2: aws_sdk_ec2::Client,
    pub region: &'a str,
    pub m: &'a Model,
    pub owner: Owner,
    /// Every object's tags (default tags, `tags`, the ownership tags).
    pub tags: BTreeMap<String, String>,
    /// The VPC came with an import and was not made by this stack: what it
    /// had before (its default security group's rules) is left as it is.
    pub imported: bool,
}

impl Ctx<'_> {
    /// The tags of one part: the common ones, its `onto:part`, a `Name`,
    /// and (for parts not inside the VPC) the VPC they belong to.
    fn part(&self, part: &str, vpc_id: Option<&str>) -> BTreeMap<String, String> {
        let mut all = self.tags.clone();
        all.insert(PART.to_owned(), part.to_owned());
        all.insert(
            "Name".to_owned(),
            format!("{}-{}", self.m.name, part.replace('/', "-")),
        );
        if let Some(v) = vpc_id {
            all.insert(VPC_TAG.to_owned(), v.to_owned());
        }
        all
    }

    pub fn vpc_tags(&self) -> BTreeMap<String, String> {
        self.part("vpc", None)
    }
}

/// The network's VPC: found by its ownership tags (an earlier create of
/// this resource), or created.
pub async fn ensure_vpc(cx: &Ctx<'_>) -> Result<String> {
    if let Some(id) = net::find_vpc(&cx.ec2, &cx.owner).await? {
        // A VPC's block cannot change: one left by an interrupted create
        // for another block is not this configuration's network.
        let cidr = net::vpc_cidr(&cx.ec2, &id).await?;
        if cidr.as_deref() != Some(cx.m.cidr_block.as_str()) {
            return Err(Diagnostic::error(
                "An earlier network is in the way",
                format!(
                    "{id}, left by an interrupted create of this network, has the block {} but cidr_block is {}. Delete {id} (or set cidr_block back), then apply again.",
                    cidr.unwrap_or_default(),
                    cx.m.cidr_block
                ),
            )
            .at(tfplugin::value::AttributePath::attr("cidr_block"))
            .into());
        }
        tracing::info!(vpc = %id, "found this network's VPC; converging it");
        return Ok(id);
    }
    net::create_vpc(&cx.ec2, &cx.m.cidr_block, &cx.vpc_tags(), &cx.owner).await
}

fn vanished(vpc_id: &str) -> Diagnostics {
    Diagnostic::error(
        "VPC vanished",
        format!("{vpc_id} disappeared during apply."),
    )
    .into()
}

pub async fn read(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> Result<Inventory> {
    net::inventory(ec2, vpc_id)
        .await?
        .ok_or_else(|| vanished(vpc_id))
}

/// A route table the model wants: its part, subnets, default target.
struct WantedTable {
    part: String,
    subnets: Vec<String>,
    target: Option<String>,
}

pub async fn converge(cx: &Ctx<'_>, vpc_id: &str, limit: Duration, stop: &Stop) -> Result<()> {
    let ec2 = &cx.ec2;
    let m = cx.m;
    let vpc: Cidr = m
        .cidr_block
        .parse()
        .map_err(|e: String| Diagnostic::error("Invalid CIDR block", e))?;
    let newbits = m.subnet_newbits.unwrap_or(5);
    let mut inv = read(ec2, vpc_id).await?;

    // Internet gateway (an imported VPC's own one is used as it is).
    let igw = match &inv.igw {
        Some(g) if g.attached => g.id.clone(),
        Some(g) => {
            net::attach_internet_gateway(ec2, vpc_id, &g.id).await?;
            g.id.clone()
        }
        None => net::create_internet_gateway(ec2, vpc_id, &cx.part("igw", Some(vpc_id))).await?,
    };

    // Subnets: create the missing ones.
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
            let id = net::create_subnet(
                ec2,
                vpc_id,
                &part,
                &cidr.to_string(),
                az,
                &cx.part(&part, Some(vpc_id)),
            )
            .await?;
            inv.subnets.insert(part, (id, cidr.to_string()));
        }
    }
    let subnet = |tier: &str, az: &str| {
        inv.subnets
            .get(&format!("subnet/{tier}/{az}"))
            .map(|(id, _)| id.clone())
    };
    let tier_subnets = |tier: &str| -> Vec<String> {
        m.availability_zones
            .iter()
            .filter_map(|az| subnet(tier, az))
            .collect()
    };

    // NAT gateways (in the public subnet of their AZ), each with an EIP.
    let nat_azs = m.nat_azs();
    for az in &nat_azs {
        let part = format!("nat/{az}");
        if inv.nats.contains_key(&part) {
            continue;
        }
        let eip_part = format!("eip/{az}");
        let allocation = match inv.eips.get(&eip_part) {
            Some((id, _)) => id.clone(),
            None => {
                let (id, ip) = net::allocate_address(
                    ec2,
                    vpc_id,
                    &eip_part,
                    &cx.part(&eip_part, Some(vpc_id)),
                )
                .await?;
                inv.eips.insert(eip_part, (id.clone(), ip));
                id
            }
        };
        let public = subnet("public", az).unwrap_or_default();
        let id = net::create_nat_gateway(
            ec2,
            vpc_id,
            &part,
            &public,
            &allocation,
            &cx.part(&part, Some(vpc_id)),
        )
        .await?;
        net::wait_nat(ec2, &id, limit, stop).await?;
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

    // Route tables, their default routes and associations.
    let mut tables = vec![WantedTable {
        part: "rt/public".into(),
        subnets: tier_subnets("public"),
        target: Some(igw.clone()),
    }];
    for az in &m.availability_zones {
        tables.push(WantedTable {
            part: format!("rt/private/{az}"),
            subnets: subnet("private", az).into_iter().collect(),
            target: nat_for(az),
        });
    }
    tables.push(WantedTable {
        part: "rt/database".into(),
        subnets: tier_subnets("database"),
        target: None,
    });
    if m.cache_subnets == Some(true) {
        tables.push(WantedTable {
            part: "rt/cache".into(),
            subnets: tier_subnets("cache"),
            target: None,
        });
    }
    for t in &tables {
        let rt = match inv.route_tables.get(&t.part) {
            Some(rt) => rt.clone(),
            None => RouteTable {
                id: net::create_route_table(ec2, vpc_id, &t.part, &cx.part(&t.part, Some(vpc_id)))
                    .await?,
                ..RouteTable::default()
            },
        };
        net::set_default_route(ec2, &rt, t.target.as_deref()).await?;
        for s in &t.subnets {
            if !rt.associations.contains_key(s) {
                net::associate(ec2, &rt.id, s).await?;
            }
        }
        inv.route_tables.insert(
            t.part.clone(),
            RouteTable {
                default_target: t.target.clone(),
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
            net::create_s3_endpoint(
                ec2,
                vpc_id,
                cx.region,
                &private_rts,
                &cx.part("endpoint/s3", Some(vpc_id)),
            )
            .await?;
        }
        (Some((id, rts)), true) if *rts != private_rts => {
            net::set_endpoint_route_tables(ec2, id, rts, &private_rts).await?;
        }
        (Some((id, _)), false) => net::delete_endpoint(ec2, id).await?,
        _ => {}
    }

    // The default security group of a VPC onto made allows nothing; an
    // imported VPC's keeps its rules (instances may rely on them).
    if let (Some(sg), false) = (&inv.default_sg, cx.imported) {
        net::strip_default_security_group(ec2, sg).await?;
    }

    // Remove what is no longer wanted: NATs, then route tables, then subnets.
    let (mut nats, mut eips) = (Vec::new(), Vec::new());
    for (part, (id, _, _)) in &inv.nats {
        let az = part.trim_start_matches("nat/");
        if !nat_azs.iter().any(|a| a == az) {
            nats.push(id.clone());
            if let Some((alloc, _)) = inv.eips.get(&format!("eip/{az}")) {
                eips.push(alloc.clone());
            }
        }
    }
    net::delete_nat_gateways(ec2, &nats, &eips, limit, stop).await?;
    let wanted_rts: BTreeSet<&str> = tables.iter().map(|t| t.part.as_str()).collect();
    for (part, rt) in &inv.route_tables {
        if !wanted_rts.contains(part.as_str()) {
            net::delete_route_table(ec2, rt).await?;
        }
    }
    for (part, (id, _)) in &inv.subnets {
        if part.starts_with("subnet/") && !wanted.contains(part) {
            net::delete_subnet(ec2, vpc_id, id).await?;
        }
    }

    // Tags on the VPC (the other parts get theirs at creation).
    converge_tags(ec2, vpc_id, &inv.vpc_tags, &cx.vpc_tags()).await
}

/// Deletes every part, then the VPC. Returns the internet gateway that came
/// with an imported VPC: detached (the VPC cannot go otherwise), not deleted.
pub async fn delete(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<Option<String>> {
    let Some(inv) = net::inventory(ec2, vpc_id).await? else {
        return Ok(None);
    };
    if let Some((id, _)) = &inv.endpoint {
        net::delete_endpoint(ec2, id).await?;
    }
    let nats: Vec<String> = inv.nats.values().map(|(id, _, _)| id.clone()).collect();
    let eips: Vec<String> = inv.eips.values().map(|(id, _)| id.clone()).collect();
    net::delete_nat_gateways(ec2, &nats, &eips, limit, stop).await?;
    for rt in inv.route_tables.values() {
        net::delete_route_table(ec2, rt).await?;
    }
    if let Some(g) = inv.igw.as_ref().filter(|g| g.ours) {
        net::delete_internet_gateway(ec2, vpc_id, g).await?;
    }
    for (id, _) in inv.subnets.values() {
        net::delete_subnet(ec2, vpc_id, id).await?;
    }
    // The imported VPC's own gateway is detached last, and attached again
    // when the VPC cannot go (something onto did not make is still in it),
    // so what uses it keeps its way out.
    let Some(g) = inv.igw.as_ref().filter(|g| !g.ours && g.attached) else {
        net::delete_vpc(ec2, vpc_id).await?;
        return Ok(None);
    };
    net::detach_internet_gateway(ec2, vpc_id, &g.id).await?;
    if let Err(e) = net::delete_vpc(ec2, vpc_id).await {
        net::attach_internet_gateway(ec2, vpc_id, &g.id).await?;
        return Err(e);
    }
    Ok(Some(g.id.clone()))
}
