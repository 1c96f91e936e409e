//! EC2: the parts of a network (`network`) and the security groups in
//! front of databases and caches (`security_group`).
//!
//! EC2's creates are the ones AWS cannot always recognise as a repetition:
//! `CreateVpc`, `CreateSubnet`, `CreateInternetGateway` and
//! `AllocateAddress` take no idempotency token. Every object is therefore
//! born tagged (`TagSpecifications`) with what identifies it, each create
//! is one attempt ([`crate::aws::create_once`]), and after an attempt that
//! may have succeeded the object is looked up by those tags before any new
//! attempt. Creates that take a `ClientToken` get one as well.

pub mod network;
pub mod security_group;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use tfplugin::diag::{Diagnostic, Result};

use super::failed;

/// A `Name = value` filter.
pub fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// A `tag:KEY = value` filter.
pub fn tag_filter(key: &str, value: &str) -> Filter {
    filter(&format!("tag:{key}"), value)
}

pub fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
        .collect()
}

/// Tags for an object of `kind`, given at creation.
pub fn tag_spec(kind: ResourceType, tags: &BTreeMap<String, String>) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect(),
        ))
        .build()
}

/// The EC2 client for creates: one attempt per call (see the module docs).
pub fn single_attempt() -> aws_sdk_ec2::config::Builder {
    aws_sdk_ec2::config::Builder::new().retry_config(super::single_attempt())
}

/// Brings an object's tags from `have` to `want`.
pub async fn converge_tags(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<()> {
    let (remove, set) = crate::tags::diff(have, want);
    if !remove.is_empty() {
        ec2.delete_tags()
            .resources(id)
            .set_tags(Some(
                remove
                    .into_iter()
                    .map(|k| Tag::builder().key(k).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(failed("ec2:DeleteTags"))?;
    }
    if !set.is_empty() {
        ec2.create_tags()
            .resources(id)
            .set_tags(Some(
                set.into_iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(failed("ec2:CreateTags"))?;
    }
    Ok(())
}

/// The VPC the given subnets belong to (they must share one).
pub async fn vpc_of(ec2: &aws_sdk_ec2::Client, subnet_ids: &[String]) -> Result<String> {
    let out = ec2
        .describe_subnets()
        .set_subnet_ids(Some(subnet_ids.to_vec()))
        .send()
        .await
        .map_err(failed("ec2:DescribeSubnets"))?;
    let vpcs: BTreeSet<&str> = out.subnets().iter().filter_map(|s| s.vpc_id()).collect();
    let mut it = vpcs.iter();
    match (it.next(), it.next()) {
        (Some(v), None) => Ok((*v).to_owned()),
        (None, _) => {
            Err(Diagnostic::error("Subnets not found", "None of subnet_ids exists.").into())
        }
        _ => Err(Diagnostic::error(
            "Subnets in several VPCs",
            format!(
                "subnet_ids span VPCs {}; they must all be in one VPC.",
                vpcs.into_iter().collect::<Vec<_>>().join(", ")
            ),
        )
        .into()),
    }
}
/// Objects that in-cluster controllers created in the VPC (load-balancer
/// security groups, their interfaces) and that would block deleting it.
pub async fn controller_leftovers(
    ec2: &aws_sdk_ec2::Client,
    cluster: &str,
    vpc: &str,
) -> Vec<String> {
    let mut found = Vec::new();
    let filter = |n: &str, v: &str| {
        aws_sdk_ec2::types::Filter::builder()
            .name(n)
            .values(v)
            .build()
    };
    for (key, value) in [
        (
            format!("tag:kubernetes.io/cluster/{cluster}"),
            "owned".to_owned(),
        ),
        ("tag:elbv2.k8s.aws/cluster".to_owned(), cluster.to_owned()),
    ] {
        if let Ok(out) = ec2
            .describe_security_groups()
            .filters(filter("vpc-id", vpc))
            .filters(filter(&key, &value))
            .send()
            .await
        {
            for sg in out.security_groups() {
                found.push(format!(
                    "security group {} ({})",
                    sg.group_id().unwrap_or_default(),
                    sg.group_name().unwrap_or_default()
                ));
                if let Ok(enis) = ec2
                    .describe_network_interfaces()
                    .filters(filter("group-id", sg.group_id().unwrap_or_default()))
                    .send()
                    .await
                {
                    for eni in enis.network_interfaces() {
                        found.push(format!(
                            "network interface {} ({})",
                            eni.network_interface_id().unwrap_or_default(),
                            eni.description().unwrap_or_default()
                        ));
                    }
                }
            }
        }
    }
    found
}

// ---- listing ----------------------------------------------------------------------

/// Every VPC in the region (by id), with its tags; the default VPC too.
pub async fn list_vpcs(ec2: &aws_sdk_ec2::Client) -> Result<Vec<super::Listed>> {
    let mut pages = ec2.describe_vpcs().into_paginator().send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("ec2:DescribeVpcs"))?;
        found.extend(page.vpcs().iter().map(|v| super::Listed {
            key: v.vpc_id().unwrap_or_default().to_owned(),
            tags: tag_map(v.tags()),
        }));
    }
    Ok(found)
}
