//! The parts of a VPC-based network: find the VPC of an owner, read every
//! part (indexed by its `onto:part` tag), create each part born tagged and
//! safe to retry, delete them, and explain what blocks a delete.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, NatGatewayState, ResourceType, Tag, Vpc, VpcEndpointType,
};
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::Stop;

use super::{filter, single_attempt, tag_filter, tag_map, tag_spec};
use crate::aws::retry::client_token;
use crate::aws::{create_once, error, failed, is, retry_eventual, wait_until, Poll};
use crate::ownership::{Owner, ENVIRONMENT, OWNER, STACK};
use crate::tags::PART;

/// The tag that ties a part not (yet) inside the VPC to it: internet
/// gateways before they are attached, elastic IPs.
pub const VPC_TAG: &str = "onto:vpc";

/// Everything in one VPC, indexed by `onto:part`.
#[derive(Default)]
pub struct Inventory {
    pub vpc_id: String,
    pub vpc_tags: BTreeMap<String, String>,
    /// The internet gateway.
    pub igw: Option<Gateway>,
    /// part -> (id, CIDR)
    pub subnets: BTreeMap<String, (String, String)>,
    pub route_tables: BTreeMap<String, RouteTable>,
    /// part -> (id, public IP, state)
    pub nats: BTreeMap<String, (String, String, String)>,
    /// part -> (allocation id, public IP)
    pub eips: BTreeMap<String, (String, String)>,
    /// The S3 gateway endpoint and its route tables.
    pub endpoint: Option<(String, BTreeSet<String>)>,
    pub default_sg: Option<String>,
}

/// The VPC's internet gateway.
#[derive(Clone, Debug)]
pub struct Gateway {
    pub id: String,
    pub attached: bool,
    /// Born with this network's `onto:part` tag. A gateway that came with an
    /// imported VPC is used (its routes point to it) but never deleted.
    pub ours: bool,
}

#[derive(Clone, Debug, Default)]
pub struct RouteTable {
    pub id: String,
    /// subnet -> association id
    pub associations: BTreeMap<String, String>,
    /// Target of the default route (`0.0.0.0/0`).
    pub default_target: Option<String>,
}

fn part_of(tags: &[Tag]) -> Option<String> {
    tags.iter()
        .find(|t| t.key() == Some(PART))
        .and_then(|t| t.value())
        .map(str::to_owned)
}

/// The VPC `id`, as DescribeVpcs reports it; `None` when there is none.
pub async fn describe_vpc(ec2: &aws_sdk_ec2::Client, id: &str) -> Result<Option<Vpc>> {
    match ec2.describe_vpcs().vpc_ids(id).send().await {
        Ok(out) => Ok(out.vpcs().first().cloned()),
        Err(e) if is(&e, &["InvalidVpcID.NotFound"]) => Ok(None),
        Err(e) => Err(error("ec2:DescribeVpcs", &e).into()),
    }
}

/// The VPCs tagged as `owner` (an `onto:owner` value) in `environment`,
/// whichever stack made them: what an import by name may choose from.
pub async fn vpcs_tagged(
    ec2: &aws_sdk_ec2::Client,
    owner: &str,
    environment: &str,
) -> Result<Vec<Vpc>> {
    let out = ec2
        .describe_vpcs()
        .filters(tag_filter(OWNER, owner))
        .filters(tag_filter(ENVIRONMENT, environment))
        .send()
        .await
        .map_err(failed("ec2:DescribeVpcs"))?;
    Ok(out.vpcs().to_vec())
}

/// The VPC of `owner`: tagged with its stack, owner and environment.
pub async fn find_vpc(ec2: &aws_sdk_ec2::Client, owner: &Owner) -> Result<Option<String>> {
    let out = ec2
        .describe_vpcs()
        .filters(tag_filter(OWNER, &owner.owner_tag()))
        .filters(tag_filter(STACK, &owner.stack))
        .filters(tag_filter(ENVIRONMENT, &owner.environment))
        .send()
        .await
        .map_err(failed("ec2:DescribeVpcs"))?;
    Ok(out
        .vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .map(str::to_owned))
}

/// The VPC's IPv4 block.
pub async fn vpc_cidr(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> Result<Option<String>> {
    let out = ec2
        .describe_vpcs()
        .vpc_ids(vpc_id)
        .send()
        .await
        .map_err(failed("ec2:DescribeVpcs"))?;
    Ok(out
        .vpcs()
        .first()
        .and_then(|v| v.cidr_block())
        .map(str::to_owned))
}

/// Everything in the VPC. `None` if the VPC is gone.
pub async fn inventory(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> Result<Option<Inventory>> {
    let vpcs = match ec2.describe_vpcs().vpc_ids(vpc_id).send().await {
        Ok(out) => out,
        Err(e) if is(&e, &["InvalidVpcID.NotFound"]) => return Ok(None),
        Err(e) => return Err(error("ec2:DescribeVpcs", &e).into()),
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
    let attached = ec2
        .describe_internet_gateways()
        .filters(filter("attachment.vpc-id", vpc_id))
        .send()
        .await
        .map_err(failed("ec2:DescribeInternetGateways"))?;
    inv.igw = match attached
        .internet_gateways()
        .first()
        .and_then(|g| Some((g.internet_gateway_id()?, g.tags())))
    {
        Some((id, tags)) => Some(Gateway {
            id: id.to_owned(),
            attached: true,
            ours: part_of(tags).as_deref() == Some("igw"),
        }),
        // Created for this VPC, not attached yet (an interrupted apply).
        None => find_tagged_igw(ec2, vpc_id).await?.map(|id| Gateway {
            id,
            attached: false,
            ours: true,
        }),
    };
    let subnets = ec2
        .describe_subnets()
        .filters(in_vpc())
        .send()
        .await
        .map_err(failed("ec2:DescribeSubnets"))?;
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
        .map_err(failed("ec2:DescribeRouteTables"))?;
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
        .map_err(failed("ec2:DescribeNatGateways"))?;
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
        .filters(tag_filter(VPC_TAG, vpc_id))
        .send()
        .await
        .map_err(failed("ec2:DescribeAddresses"))?;
    for a in addrs.addresses() {
        if let (Some(part), Some(id)) = (part_of(a.tags()), a.allocation_id()) {
            inv.eips.insert(
                part,
                (id.to_owned(), a.public_ip().unwrap_or_default().to_owned()),
            );
        }
    }
    inv.endpoint = find_endpoint(ec2, vpc_id, "endpoint/s3").await?;
    let sgs = ec2
        .describe_security_groups()
        .filters(in_vpc())
        .filters(filter("group-name", "default"))
        .send()
        .await
        .map_err(failed("ec2:DescribeSecurityGroups"))?;
    inv.default_sg = sgs
        .security_groups()
        .first()
        .and_then(|g| g.group_id())
        .map(str::to_owned);
    Ok(Some(inv))
}

async fn find_tagged_igw(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> Result<Option<String>> {
    let out = ec2
        .describe_internet_gateways()
        .filters(tag_filter(VPC_TAG, vpc_id))
        .filters(tag_filter(PART, "igw"))
        .send()
        .await
        .map_err(failed("ec2:DescribeInternetGateways"))?;
    Ok(out
        .internet_gateways()
        .first()
        .and_then(|g| g.internet_gateway_id())
        .map(str::to_owned))
}

async fn find_endpoint(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    part: &str,
) -> Result<Option<(String, BTreeSet<String>)>> {
    let eps = ec2
        .describe_vpc_endpoints()
        .filters(filter("vpc-id", vpc_id))
        .send()
        .await
        .map_err(failed("ec2:DescribeVpcEndpoints"))?;
    Ok(eps
        .vpc_endpoints()
        .iter()
        .find(|e| {
            part_of(e.tags()).as_deref() == Some(part)
                && e.state().is_none_or(|s| s.as_str() != "deleted")
        })
        .map(|e| {
            (
                e.vpc_endpoint_id().unwrap_or_default().to_owned(),
                e.route_table_ids().iter().cloned().collect(),
            )
        }))
}

/// A part of the VPC, looked up (by its `onto:part` tag) after a create
/// that may have succeeded.
async fn find_part<F>(ec2: &aws_sdk_ec2::Client, vpc_id: &str, pick: F) -> Result<Option<String>>
where
    F: Fn(&Inventory) -> Option<String>,
{
    Ok(inventory(ec2, vpc_id).await?.and_then(|inv| pick(&inv)))
}

// ---- creates ----------------------------------------------------------------

/// Creates the VPC, tagged (`tags` carry the ownership tags), with DNS
/// support and hostnames on; returns its id.
pub async fn create_vpc(
    ec2: &aws_sdk_ec2::Client,
    cidr: &str,
    tags: &BTreeMap<String, String>,
    owner: &Owner,
) -> Result<String> {
    let id = create_once(
        "ec2:CreateVpc",
        || async {
            ec2.create_vpc()
                .cidr_block(cidr)
                .tag_specifications(tag_spec(ResourceType::Vpc, tags))
                .customize()
                .config_override(single_attempt())
                .send()
                .await
                .map(|out| {
                    out.vpc()
                        .and_then(|v| v.vpc_id())
                        .unwrap_or_default()
                        .to_owned()
                })
        },
        || find_vpc(ec2, owner),
    )
    .await?;
    for (support, hostnames) in [(true, false), (false, true)] {
        let mut call = ec2.modify_vpc_attribute().vpc_id(&id);
        let on = AttributeBooleanValue::builder().value(true).build();
        if support {
            call = call.enable_dns_support(on.clone());
        }
        if hostnames {
            call = call.enable_dns_hostnames(on);
        }
        retry_eventual(&["InvalidVpcID.NotFound"], Duration::from_secs(60), || {
            call.clone().send()
        })
        .await
        .map_err(failed("ec2:ModifyVpcAttribute"))?;
    }
    Ok(id)
}

/// Creates the internet gateway for `vpc_id` and attaches it.
pub async fn create_internet_gateway(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    tags: &BTreeMap<String, String>,
) -> Result<String> {
    let id = create_once(
        "ec2:CreateInternetGateway",
        || async {
            ec2.create_internet_gateway()
                .tag_specifications(tag_spec(ResourceType::InternetGateway, tags))
                .customize()
                .config_override(single_attempt())
                .send()
                .await
                .map(|out| {
                    out.internet_gateway()
                        .and_then(|g| g.internet_gateway_id())
                        .unwrap_or_default()
                        .to_owned()
                })
        },
        || find_tagged_igw(ec2, vpc_id),
    )
    .await?;
    attach_internet_gateway(ec2, vpc_id, &id).await?;
    Ok(id)
}

pub async fn attach_internet_gateway(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    id: &str,
) -> Result<()> {
    match ec2
        .attach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc_id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        // Attached already by an attempt whose response was lost.
        Err(e) if is(&e, &["Resource.AlreadyAssociated"]) => Ok(()),
        Err(e) => Err(error("ec2:AttachInternetGateway", &e).into()),
    }
}

pub async fn create_subnet(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    part: &str,
    cidr: &str,
    az: &str,
    tags: &BTreeMap<String, String>,
) -> Result<String> {
    create_once(
        "ec2:CreateSubnet",
        || async {
            ec2.create_subnet()
                .vpc_id(vpc_id)
                .cidr_block(cidr)
                .availability_zone(az)
                .tag_specifications(tag_spec(ResourceType::Subnet, tags))
                .customize()
                .config_override(single_attempt())
                .send()
                .await
                .map(|out| {
                    out.subnet()
                        .and_then(|s| s.subnet_id())
                        .unwrap_or_default()
                        .to_owned()
                })
        },
        || {
            find_part(ec2, vpc_id, |inv| {
                inv.subnets.get(part).map(|(id, _)| id.clone())
            })
        },
    )
    .await
}

/// Allocates an elastic IP for `vpc_id`; returns (allocation id, IP).
pub async fn allocate_address(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    part: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(String, String)> {
    create_once(
        "ec2:AllocateAddress",
        || async {
            ec2.allocate_address()
                .domain(DomainType::Vpc)
                .tag_specifications(tag_spec(ResourceType::ElasticIp, tags))
                .customize()
                .config_override(single_attempt())
                .send()
                .await
                .map(|out| {
                    (
                        out.allocation_id().unwrap_or_default().to_owned(),
                        out.public_ip().unwrap_or_default().to_owned(),
                    )
                })
        },
        || async {
            let out = ec2
                .describe_addresses()
                .filters(tag_filter(VPC_TAG, vpc_id))
                .filters(tag_filter(PART, part))
                .send()
                .await
                .map_err(failed("ec2:DescribeAddresses"))?;
            Ok(out.addresses().first().map(|a| {
                (
                    a.allocation_id().unwrap_or_default().to_owned(),
                    a.public_ip().unwrap_or_default().to_owned(),
                )
            }))
        },
    )
    .await
}

pub async fn create_nat_gateway(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    part: &str,
    subnet: &str,
    allocation: &str,
    tags: &BTreeMap<String, String>,
) -> Result<String> {
    let token = client_token();
    create_once(
        "ec2:CreateNatGateway",
        || async {
            ec2.create_nat_gateway()
                .subnet_id(subnet)
                .allocation_id(allocation)
                .client_token(&token)
                .tag_specifications(tag_spec(ResourceType::Natgateway, tags))
                .customize()
                .config_override(single_attempt())
                .send()
                .await
                .map(|out| {
                    out.nat_gateway()
                        .and_then(|n| n.nat_gateway_id())
                        .unwrap_or_default()
                        .to_owned()
                })
        },
        || {
            find_part(ec2, vpc_id, |inv| {
                inv.nats.get(part).map(|(id, _, _)| id.clone())
            })
        },
    )
    .await
}

pub async fn create_route_table(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    part: &str,
    tags: &BTreeMap<String, String>,
) -> Result<String> {
    let token = client_token();
    create_once(
        "ec2:CreateRouteTable",
        || async {
            ec2.create_route_table()
                .vpc_id(vpc_id)
                .client_token(&token)
                .tag_specifications(tag_spec(ResourceType::RouteTable, tags))
                .customize()
                .config_override(single_attempt())
                .send()
                .await
                .map(|out| {
                    out.route_table()
                        .and_then(|r| r.route_table_id())
                        .unwrap_or_default()
                        .to_owned()
                })
        },
        || {
            find_part(ec2, vpc_id, |inv| {
                inv.route_tables.get(part).map(|rt| rt.id.clone())
            })
        },
    )
    .await
}

/// Points the table's default route at `target` (an internet or NAT
/// gateway), or removes it (`None`).
pub async fn set_default_route(
    ec2: &aws_sdk_ec2::Client,
    rt: &RouteTable,
    target: Option<&str>,
) -> Result<()> {
    if rt.default_target.as_deref() == target {
        return Ok(());
    }
    if rt.default_target.is_some() {
        match ec2
            .delete_route()
            .route_table_id(&rt.id)
            .destination_cidr_block("0.0.0.0/0")
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if is(&e, &["InvalidRoute.NotFound"]) => {}
            Err(e) => return Err(error("ec2:DeleteRoute", &e).into()),
        }
    }
    if let Some(t) = target {
        let call = ec2
            .create_route()
            .route_table_id(&rt.id)
            .destination_cidr_block("0.0.0.0/0");
        let call = if t.starts_with("nat-") {
            call.nat_gateway_id(t)
        } else {
            call.gateway_id(t)
        };
        match call.send().await {
            Ok(_) => {}
            Err(e) if is(&e, &["RouteAlreadyExists"]) => {}
            Err(e) => return Err(error("ec2:CreateRoute", &e).into()),
        }
    }
    Ok(())
}

pub async fn associate(ec2: &aws_sdk_ec2::Client, route_table: &str, subnet: &str) -> Result<()> {
    match ec2
        .associate_route_table()
        .route_table_id(route_table)
        .subnet_id(subnet)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["Resource.AlreadyAssociated"]) => Ok(()),
        Err(e) => Err(error("ec2:AssociateRouteTable", &e).into()),
    }
}

/// Creates the S3 gateway endpoint on `route_tables`.
pub async fn create_s3_endpoint(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    region: &str,
    route_tables: &BTreeSet<String>,
    tags: &BTreeMap<String, String>,
) -> Result<String> {
    let token = client_token();
    create_once(
        "ec2:CreateVpcEndpoint",
        || async {
            ec2.create_vpc_endpoint()
                .vpc_id(vpc_id)
                .service_name(format!("com.amazonaws.{region}.s3"))
                .vpc_endpoint_type(VpcEndpointType::Gateway)
                .set_route_table_ids(Some(route_tables.iter().cloned().collect()))
                .client_token(&token)
                .tag_specifications(tag_spec(ResourceType::VpcEndpoint, tags))
                .customize()
                .config_override(single_attempt())
                .send()
                .await
                .map(|out| {
                    out.vpc_endpoint()
                        .and_then(|e| e.vpc_endpoint_id())
                        .unwrap_or_default()
                        .to_owned()
                })
        },
        || async {
            Ok(find_endpoint(ec2, vpc_id, "endpoint/s3")
                .await?
                .map(|(id, _)| id))
        },
    )
    .await
}

pub async fn set_endpoint_route_tables(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    have: &BTreeSet<String>,
    want: &BTreeSet<String>,
) -> Result<()> {
    ec2.modify_vpc_endpoint()
        .vpc_endpoint_id(id)
        .set_add_route_table_ids(Some(want.difference(have).cloned().collect()))
        .set_remove_route_table_ids(Some(have.difference(want).cloned().collect()))
        .send()
        .await
        .map_err(failed("ec2:ModifyVpcEndpoint"))?;
    Ok(())
}

/// Removes every rule of the VPC's default security group.
pub async fn strip_default_security_group(ec2: &aws_sdk_ec2::Client, sg: &str) -> Result<()> {
    let out = ec2
        .describe_security_groups()
        .group_ids(sg)
        .send()
        .await
        .map_err(failed("ec2:DescribeSecurityGroups"))?;
    let Some(g) = out.security_groups().first() else {
        return Ok(());
    };
    if !g.ip_permissions().is_empty() {
        match ec2
            .revoke_security_group_ingress()
            .group_id(sg)
            .set_ip_permissions(Some(g.ip_permissions().to_vec()))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if is(&e, &["InvalidPermission.NotFound"]) => {}
            Err(e) => return Err(error("ec2:RevokeSecurityGroupIngress", &e).into()),
        }
    }
    if !g.ip_permissions_egress().is_empty() {
        match ec2
            .revoke_security_group_egress()
            .group_id(sg)
            .set_ip_permissions(Some(g.ip_permissions_egress().to_vec()))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if is(&e, &["InvalidPermission.NotFound"]) => {}
            Err(e) => return Err(error("ec2:RevokeSecurityGroupEgress", &e).into()),
        }
    }
    Ok(())
}

// ---- waits ------------------------------------------------------------------

pub async fn wait_nat(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    wait_until(&format!("NAT gateway {id}"), limit, stop, || async {
        let out = ec2
            .describe_nat_gateways()
            .nat_gateway_ids(id)
            .send()
            .await
            .map_err(failed("ec2:DescribeNatGateways"))?;
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
                .map_err(failed("ec2:DescribeNatGateways"))?;
            Ok(match out.nat_gateways().first().and_then(|n| n.state()) {
                None | Some(NatGatewayState::Deleted) => Poll::Ready(()),
                Some(s) => Poll::Pending(s.as_str().to_owned()),
            })
        },
    )
    .await
}

// ---- deletes ----------------------------------------------------------------

/// Deletes NAT gateways, waits until they are gone, and releases their IPs.
pub async fn delete_nat_gateways(
    ec2: &aws_sdk_ec2::Client,
    nats: &[String],
    eips: &[String],
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    for id in nats {
        match ec2.delete_nat_gateway().nat_gateway_id(id).send().await {
            Ok(_) => {}
            Err(e) if is(&e, &["NatGatewayNotFound"]) => {}
            Err(e) => return Err(error("ec2:DeleteNatGateway", &e).into()),
        }
    }
    for id in nats {
        wait_nat_gone(ec2, id, limit, stop).await?;
    }
    for alloc in eips {
        match ec2.release_address().allocation_id(alloc).send().await {
            Ok(_) => {}
            Err(e) if is(&e, &["InvalidAllocationID.NotFound"]) => {}
            Err(e) => return Err(error("ec2:ReleaseAddress", &e).into()),
        }
    }
    Ok(())
}

/// Deletes the S3 gateway endpoint. A route of the endpoint that is already
/// gone from a route table is not a reason to fail.
pub async fn delete_endpoint(ec2: &aws_sdk_ec2::Client, id: &str) -> Result<()> {
    match ec2.delete_vpc_endpoints().vpc_endpoint_ids(id).send().await {
        Ok(_) => Ok(()),
        Err(e)
            if is(
                &e,
                &["InvalidRoute.NotFound", "InvalidVpcEndpointId.NotFound"],
            ) =>
        {
            tracing::warn!(endpoint = id, "endpoint route already gone");
            Ok(())
        }
        Err(e) => Err(error("ec2:DeleteVpcEndpoints", &e).into()),
    }
}

pub async fn delete_route_table(ec2: &aws_sdk_ec2::Client, rt: &RouteTable) -> Result<()> {
    for assoc in rt.associations.values() {
        match ec2
            .disassociate_route_table()
            .association_id(assoc)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if is(&e, &["InvalidAssociationID.NotFound"]) => {}
            Err(e) => return Err(error("ec2:DisassociateRouteTable", &e).into()),
        }
    }
    match ec2.delete_route_table().route_table_id(&rt.id).send().await {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["InvalidRouteTableID.NotFound"]) => Ok(()),
        Err(e) => Err(error("ec2:DeleteRouteTable", &e).into()),
    }
}

/// Detaches the internet gateway `id` from the VPC.
pub async fn detach_internet_gateway(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    id: &str,
) -> Result<()> {
    match ec2
        .detach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc_id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if is(
                &e,
                &["Gateway.NotAttached", "InvalidInternetGatewayID.NotFound"],
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(error("ec2:DetachInternetGateway", &e).into()),
    }
}

/// Detaches (when attached) and deletes one of this network's gateways.
pub async fn delete_internet_gateway(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    gateway: &Gateway,
) -> Result<()> {
    if gateway.attached {
        detach_internet_gateway(ec2, vpc_id, &gateway.id).await?;
    }
    match ec2
        .delete_internet_gateway()
        .internet_gateway_id(&gateway.id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["InvalidInternetGatewayID.NotFound"]) => Ok(()),
        Err(e) => Err(error("ec2:DeleteInternetGateway", &e).into()),
    }
}

/// Deletes a subnet; when something created outside onto still uses it,
/// says exactly what.
pub async fn delete_subnet(ec2: &aws_sdk_ec2::Client, vpc_id: &str, id: &str) -> Result<()> {
    match ec2.delete_subnet().subnet_id(id).send().await {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["InvalidSubnetID.NotFound"]) => Ok(()),
        Err(e) if is(&e, &["DependencyViolation"]) => {
            Err(blocked(ec2, vpc_id, Some(id), "subnet", id).await)
        }
        Err(e) => Err(error("ec2:DeleteSubnet", &e).into()),
    }
}

pub async fn delete_vpc(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> Result<()> {
    match ec2.delete_vpc().vpc_id(vpc_id).send().await {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["InvalidVpcID.NotFound"]) => Ok(()),
        Err(e) if is(&e, &["DependencyViolation"]) => {
            Err(blocked(ec2, vpc_id, None, "VPC", vpc_id).await)
        }
        Err(e) => Err(error("ec2:DeleteVpc", &e).into()),
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

#[cfg(test)]
mod tests {
    //! moto deletes a subnet that still has network interfaces: AWS's
    //! DependencyViolation is produced here with aws-smithy-mocks.

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
}
