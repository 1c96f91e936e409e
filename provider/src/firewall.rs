//! The security group in front of a database or cache: one TCP port, open
//! only to the security groups and CIDR blocks the configuration names.
//! Found by its ownership tag, so a lost create is adopted; its ingress
//! rules converge to the configuration (drift is repaired, never added to).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, ResourceType, SecurityGroup, Tag, TagSpecification,
    UserIdGroupPair,
};
use tfplugin::diag::{Diagnostic, Result};

use crate::aws;
use crate::tags;

/// Who may connect.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    pub security_groups: BTreeSet<String>,
    pub cidr_blocks: BTreeSet<String>,
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// The VPC the given subnets belong to (they must share one).
pub async fn vpc_of(ec2: &aws_sdk_ec2::Client, subnet_ids: &[String]) -> Result<String> {
    let out = ec2
        .describe_subnets()
        .set_subnet_ids(Some(subnet_ids.to_vec()))
        .send()
        .await
        .map_err(aws::failed("ec2:DescribeSubnets"))?;
    let vpcs: BTreeSet<&str> = out.subnets().iter().filter_map(|s| s.vpc_id()).collect();
    match vpcs.len() {
        1 => Ok(vpcs.into_iter().next().unwrap_or_default().to_owned()),
        0 => Err(Diagnostic::error("Subnets not found", "None of subnet_ids exists.").into()),
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

/// Finds the group by id, or by its ownership tag when the id is unknown.
pub async fn find(
    ec2: &aws_sdk_ec2::Client,
    id: Option<&str>,
    owner: &str,
) -> Result<Option<SecurityGroup>> {
    let mut q = ec2.describe_security_groups();
    q = match id {
        Some(id) => q.group_ids(id),
        None => q.filters(filter(&format!("tag:{}", tags::OWNER), owner)),
    };
    match q.send().await {
        Ok(out) => Ok(out.security_groups().first().cloned()),
        Err(e) if aws::code(&e) == Some("InvalidGroup.NotFound") => Ok(None),
        Err(e) => Err(aws::error("ec2:DescribeSecurityGroups", &e).into()),
    }
}

/// The sources allowed on `port` by a group's ingress rules.
pub fn sources(sg: &SecurityGroup, port: i32) -> Sources {
    let mut out = Sources::default();
    for p in sg.ip_permissions() {
        if p.from_port() != Some(port) || p.to_port() != Some(port) {
            continue;
        }
        out.security_groups.extend(
            p.user_id_group_pairs()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_owned)),
        );
        out.cidr_blocks.extend(
            p.ip_ranges()
                .iter()
                .filter_map(|r| r.cidr_ip().map(str::to_owned)),
        );
    }
    out
}

fn permission(port: i32, s: &Sources) -> IpPermission {
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port)
        .set_user_id_group_pairs(Some(
            s.security_groups
                .iter()
                .map(|g| UserIdGroupPair::builder().group_id(g).build())
                .collect(),
        ))
        .set_ip_ranges(Some(
            s.cidr_blocks
                .iter()
                .map(|c| IpRange::builder().cidr_ip(c).build())
                .collect(),
        ))
        .build()
}

fn difference(a: &Sources, b: &Sources) -> Sources {
    Sources {
        security_groups: &a.security_groups - &b.security_groups,
        cidr_blocks: &a.cidr_blocks - &b.cidr_blocks,
    }
}

fn is_empty(s: &Sources) -> bool {
    s.security_groups.is_empty() && s.cidr_blocks.is_empty()
}

/// Creates the group (or adopts ours) and converges its rules; returns its id.
pub async fn ensure(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    name: &str,
    description: &str,
    all_tags: &BTreeMap<String, String>,
    port: i32,
    want: &Sources,
) -> Result<String> {
    let owner = all_tags
        .get(tags::OWNER)
        .map(String::as_str)
        .unwrap_or(name);
    let sg = match find(ec2, None, owner).await? {
        Some(sg) => sg,
        None => {
            let tag_list = all_tags
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .chain([Tag::builder().key("Name").value(name).build()])
                .collect();
            let id = ec2
                .create_security_group()
                .group_name(name)
                .description(description)
                .vpc_id(vpc_id)
                .tag_specifications(
                    TagSpecification::builder()
                        .resource_type(ResourceType::SecurityGroup)
                        .set_tags(Some(tag_list))
                        .build(),
                )
                .send()
                .await
                .map_err(aws::failed("ec2:CreateSecurityGroup"))?
                .group_id()
                .unwrap_or_default()
                .to_owned();
            find(ec2, Some(&id), owner).await?.ok_or_else(|| {
                Diagnostic::error(
                    "Security group vanished",
                    format!("{id} disappeared after it was created."),
                )
            })?
        }
    };
    let id = sg.group_id().unwrap_or_default().to_owned();
    converge(ec2, &id, &sources(&sg, port), port, want).await?;
    Ok(id)
}

/// Adds missing and revokes extra ingress rules on `port`.
pub async fn converge(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    have: &Sources,
    port: i32,
    want: &Sources,
) -> Result<()> {
    let extra = difference(have, want);
    if !is_empty(&extra) {
        ec2.revoke_security_group_ingress()
            .group_id(id)
            .ip_permissions(permission(port, &extra))
            .send()
            .await
            .map_err(aws::failed("ec2:RevokeSecurityGroupIngress"))?;
    }
    let missing = difference(want, have);
    if !is_empty(&missing) {
        ec2.authorize_security_group_ingress()
            .group_id(id)
            .ip_permissions(permission(port, &missing))
            .send()
            .await
            .map_err(aws::failed("ec2:AuthorizeSecurityGroupIngress"))?;
    }
    Ok(())
}

/// Deletes the group, waiting out the minutes AWS takes to release the
/// network interfaces of a just-deleted database or cache.
pub async fn delete(ec2: &aws_sdk_ec2::Client, id: &str) -> Result<()> {
    let out = aws::retry_eventual(&["DependencyViolation"], Duration::from_secs(600), || {
        ec2.delete_security_group().group_id(id).send()
    })
    .await;
    match out {
        Ok(_) => Ok(()),
        Err(e) if aws::code(&e) == Some("InvalidGroup.NotFound") => Ok(()),
        Err(e) => Err(aws::error("ec2:DeleteSecurityGroup", &e).into()),
    }
}
