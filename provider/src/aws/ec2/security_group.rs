//! The security group in front of a database or cache: one TCP port, open
//! only to the security groups and CIDR blocks the configuration names.
//! Found by name in its VPC and adopted only under the ownership rule; its
//! ingress rules converge to the configuration.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType, SecurityGroup, UserIdGroupPair};
use tfplugin::diag::{Diagnostic, Result};

use super::{filter, tag_map, tag_spec};
use crate::aws::{error, is, retry_eventual};
use crate::ownership::{key, Existing, Owner, SideObjects};

/// Who may connect.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    pub security_groups: BTreeSet<String>,
    pub cidr_blocks: BTreeSet<String>,
}

impl Sources {
    fn minus(&self, other: &Sources) -> Sources {
        Sources {
            security_groups: &self.security_groups - &other.security_groups,
            cidr_blocks: &self.cidr_blocks - &other.cidr_blocks,
        }
    }

    fn is_empty(&self) -> bool {
        self.security_groups.is_empty() && self.cidr_blocks.is_empty()
    }
}

/// The group by id; `None` when it is gone.
pub async fn find(ec2: &aws_sdk_ec2::Client, id: &str) -> Result<Option<SecurityGroup>> {
    match ec2.describe_security_groups().group_ids(id).send().await {
        Ok(out) => Ok(out.security_groups().first().cloned()),
        Err(e) if is(&e, &["InvalidGroup.NotFound", "InvalidGroupId.Malformed"]) => Ok(None),
        Err(e) => Err(error("ec2:DescribeSecurityGroups", &e).into()),
    }
}

pub async fn find_named(
    ec2: &aws_sdk_ec2::Client,
    vpc: &str,
    name: &str,
) -> Result<Option<SecurityGroup>> {
    let out = ec2
        .describe_security_groups()
        .filters(filter("vpc-id", vpc))
        .filters(filter("group-name", name))
        .send()
        .await
        .map_err(|e| error("ec2:DescribeSecurityGroups", &e))?;
    Ok(out.security_groups().first().cloned())
}

pub fn tags(sg: &SecurityGroup) -> BTreeMap<String, String> {
    tag_map(sg.tags())
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

/// A group to create or converge.
pub struct Group<'a> {
    pub vpc: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub region: &'a str,
    pub tags: &'a BTreeMap<String, String>,
    pub port: i32,
    pub sources: &'a Sources,
}

/// Creates the group (or adopts this resource's own: recorded in `side`,
/// or tagged by this stack) and converges its rules; returns its id. A
/// group of that name that belongs to anyone else is refused before
/// anything is changed.
pub async fn ensure(
    ec2: &aws_sdk_ec2::Client,
    g: &Group<'_>,
    owner: &Owner,
    side: &mut SideObjects,
) -> Result<String> {
    let found = match find_named(ec2, g.vpc, g.name).await? {
        Some(sg) => Some(sg),
        None => {
            let mut all = g.tags.clone();
            all.insert("Name".to_owned(), g.name.to_owned());
            let created = ec2
                .create_security_group()
                .group_name(g.name)
                .description(g.description)
                .vpc_id(g.vpc)
                .tag_specifications(tag_spec(ResourceType::SecurityGroup, &all))
                .send()
                .await;
            match created {
                Ok(out) => {
                    let id = out.group_id().unwrap_or_default().to_owned();
                    side.record(key::security_group(&id));
                    find(ec2, &id).await?
                }
                // A retry of a create whose response was lost, or a race.
                Err(e) if is(&e, &["InvalidGroup.Duplicate"]) => {
                    find_named(ec2, g.vpc, g.name).await?
                }
                Err(e) => return Err(error("ec2:CreateSecurityGroup", &e).into()),
            }
        }
    };
    let sg = found.ok_or_else(|| {
        Diagnostic::error(
            "Security group vanished",
            format!("{} disappeared right after it was created.", g.name),
        )
    })?;
    let id = sg.group_id().unwrap_or_default().to_owned();
    let sg_key = key::security_group(&id);
    let tags = tags(&sg);
    if !side.is_ours(&sg_key, Some(&tags)) && !owner.made(&tags) {
        owner.adopt(&Existing {
            what: "A security group",
            id: g.name,
            region: g.region,
            tags: Some(&tags),
            import_id: None,
            attribute: "name",
        })?;
    }
    side.record(sg_key);
    converge(ec2, &id, &sources(&sg, g.port), g.port, g.sources).await?;
    Ok(id)
}

/// Adds missing and revokes extra ingress rules on `port`. A rule that is
/// already there (or already gone) is not an error: a retried request may
/// have been carried out the first time.
pub async fn converge(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    have: &Sources,
    port: i32,
    want: &Sources,
) -> Result<()> {
    let extra = have.minus(want);
    if !extra.is_empty() {
        match ec2
            .revoke_security_group_ingress()
            .group_id(id)
            .ip_permissions(permission(port, &extra))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if is(&e, &["InvalidPermission.NotFound"]) => {}
            Err(e) => return Err(error("ec2:RevokeSecurityGroupIngress", &e).into()),
        }
    }
    let missing = want.minus(have);
    if !missing.is_empty() {
        match ec2
            .authorize_security_group_ingress()
            .group_id(id)
            .ip_permissions(permission(port, &missing))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if is(&e, &["InvalidPermission.Duplicate"]) => {}
            Err(e) => return Err(error("ec2:AuthorizeSecurityGroupIngress", &e).into()),
        }
    }
    Ok(())
}

/// Deletes the group, waiting out the minutes AWS takes to release the
/// network interfaces of a just-deleted database or cache.
pub async fn delete(ec2: &aws_sdk_ec2::Client, id: &str) -> Result<()> {
    let out = retry_eventual(&["DependencyViolation"], Duration::from_secs(600), || {
        ec2.delete_security_group().group_id(id).send()
    })
    .await;
    match out {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["InvalidGroup.NotFound"]) => Ok(()),
        Err(e) => Err(error("ec2:DeleteSecurityGroup", &e).into()),
    }
}
