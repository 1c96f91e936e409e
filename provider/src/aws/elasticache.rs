//! ElastiCache: replication groups (find, create or adopt, wait, replica
//! counts, delete), their subnet and parameter groups under the ownership
//! rule, and tags.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_elasticache::operation::create_replication_group::builders::CreateReplicationGroupFluentBuilder;
use aws_sdk_elasticache::types::{ParameterNameValue, ReplicationGroup, Tag};
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::Stop;

use super::{error, failed, is, retry_eventual, wait_until, Poll};
use crate::ownership::{key, Existing, Owner, SideObjects};
use crate::tags;

pub fn ec_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

pub async fn tags_of(
    ec: &aws_sdk_elasticache::Client,
    arn: &str,
) -> Result<BTreeMap<String, String>> {
    let out = ec
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(failed("elasticache:ListTagsForResource"))?;
    Ok(tag_map(out.tag_list()))
}

// ---- replication groups -----------------------------------------------------------

/// The group; `None` when it does not exist.
pub async fn find_group(
    ec: &aws_sdk_elasticache::Client,
    id: &str,
) -> Result<Option<ReplicationGroup>> {
    match ec
        .describe_replication_groups()
        .replication_group_id(id)
        .send()
        .await
    {
        Ok(out) => Ok(out.replication_groups().first().cloned()),
        Err(e) if is(&e, &["ReplicationGroupNotFoundFault"]) => Ok(None),
        Err(e) => Err(error("elasticache:DescribeReplicationGroups", &e).into()),
    }
}

/// Sends a `ModifyReplicationGroup` a resource put together from its model,
/// and waits until the group is available again.
pub async fn modify_group(
    ec: &aws_sdk_elasticache::Client,
    id: &str,
    modify: aws_sdk_elasticache::operation::modify_replication_group::builders::ModifyReplicationGroupFluentBuilder,
    limit: std::time::Duration,
    stop: &tfplugin::Stop,
) -> Result<()> {
    modify
        .send()
        .await
        .map_err(failed("elasticache:ModifyReplicationGroup"))?;
    wait_available(ec, id, limit, stop).await.map(drop)
}

/// Whether the group `id` (of a create that failed part way) can still be
/// finished: not when ElastiCache left it `create-failed`.
pub async fn can_finish(ec: &aws_sdk_elasticache::Client, id: &str) -> Result<bool> {
    let group = find_group(ec, id).await?;
    Ok(group.is_none_or(|g| !g.status().is_some_and(|s| FAILED.contains(&s))))
}

/// Refuses (or adopts) a group that exists where a create wants one.
pub async fn claim_group(
    ec: &aws_sdk_elasticache::Client,
    owner: &Owner,
    region: &str,
    id: &str,
    existing: &ReplicationGroup,
) -> Result<()> {
    let tags = match existing.arn() {
        Some(arn) => Some(tags_of(ec, arn).await?),
        None => None,
    };
    owner.adopt(&Existing {
        what: "An ElastiCache replication group",
        id,
        region,
        tags: tags.as_ref(),
        import_id: Some(format!("{region}:{id}")),
        attribute: "name",
    })
}

/// Sends the create; "already exists" is answered by the ownership rule.
pub async fn create_group(
    ec: &aws_sdk_elasticache::Client,
    request: CreateReplicationGroupFluentBuilder,
    id: &str,
    region: &str,
    owner: &Owner,
) -> Result<()> {
    match request.send().await {
        Ok(_) => Ok(()),
        Err(e)
            if is(
                &e,
                &[
                    "ReplicationGroupAlreadyExistsFault",
                    "ReplicationGroupAlreadyExists",
                ],
            ) =>
        {
            let existing = find_group(ec, id).await?.ok_or_else(|| {
                Diagnostics::from(error("elasticache:CreateReplicationGroup", &e))
            })?;
            claim_group(ec, owner, region, id, &existing).await
        }
        Err(e) => Err(error("elasticache:CreateReplicationGroup", &e).into()),
    }
}

/// The group's first node (versions, security groups and the parameter
/// group live on the nodes); `None` while it is absent (being replaced, or
/// an endpoint that does not model nodes).
pub async fn first_node(
    ec: &aws_sdk_elasticache::Client,
    group: &ReplicationGroup,
) -> Result<Option<aws_sdk_elasticache::types::CacheCluster>> {
    let Some(node) = group.member_clusters().first() else {
        return Ok(None);
    };
    match ec
        .describe_cache_clusters()
        .cache_cluster_id(node)
        .send()
        .await
    {
        Ok(out) => Ok(out.cache_clusters().first().cloned()),
        Err(e) if is(&e, &["CacheClusterNotFound", "CacheClusterNotFoundFault"]) => Ok(None),
        Err(e) => Err(error("elasticache:DescribeCacheClusters", &e).into()),
    }
}

const FAILED: [&str; 1] = ["create-failed"];

/// Waits until the group is `available`.
pub async fn wait_available(
    ec: &aws_sdk_elasticache::Client,
    id: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<ReplicationGroup> {
    wait_until(&format!("cache {id}"), limit, stop, || async {
        let group = find_group(ec, id).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Cache vanished",
                format!("{id} disappeared while waiting for it to become available."),
            ))
        })?;
        let status = group.status().unwrap_or("unknown").to_owned();
        if FAILED.contains(&status.as_str()) {
            return Err(Diagnostic::error(
                format!("Cache {id} is {status}"),
                "AWS could not create the replication group; see its events (`aws elasticache describe-events --source-identifier NAME --source-type replication-group`).",
            )
            .into());
        }
        Ok(if status == "available" {
            Poll::Ready(group)
        } else {
            Poll::Pending(status)
        })
    })
    .await
}

/// Waits until the group is gone.
pub async fn wait_deleted(
    ec: &aws_sdk_elasticache::Client,
    id: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    wait_until(
        &format!("cache {id} to be deleted"),
        limit,
        stop,
        || async {
            Ok(match find_group(ec, id).await? {
                None => Poll::Ready(()),
                Some(g) => Poll::Pending(g.status().unwrap_or("deleting").to_owned()),
            })
        },
    )
    .await
}

/// Adds or removes replicas (cluster mode off: one node group) and waits.
pub async fn set_replicas(
    ec: &aws_sdk_elasticache::Client,
    id: &str,
    have: i32,
    want: i32,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    if want > have {
        ec.increase_replica_count()
            .replication_group_id(id)
            .new_replica_count(want)
            .apply_immediately(true)
            .send()
            .await
            .map_err(failed("elasticache:IncreaseReplicaCount"))?;
    } else if want < have {
        ec.decrease_replica_count()
            .replication_group_id(id)
            .new_replica_count(want)
            .apply_immediately(true)
            .send()
            .await
            .map_err(failed("elasticache:DecreaseReplicaCount"))?;
    } else {
        return Ok(());
    }
    wait_available(ec, id, limit, stop).await.map(|_| ())
}

pub async fn converge_tags(
    ec: &aws_sdk_elasticache::Client,
    arn: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<()> {
    let (remove, set) = tags::diff(have, want);
    if !remove.is_empty() {
        ec.remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(failed("elasticache:RemoveTagsFromResource"))?;
    }
    if !set.is_empty() {
        ec.add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(ec_tags(&set)))
            .send()
            .await
            .map_err(failed("elasticache:AddTagsToResource"))?;
    }
    Ok(())
}

/// Deletes the group; gone already, or being deleted, is fine.
pub async fn delete_group(ec: &aws_sdk_elasticache::Client, id: &str) -> Result<()> {
    match ec
        .delete_replication_group()
        .replication_group_id(id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if is(
                &e,
                &[
                    "ReplicationGroupNotFoundFault",
                    "InvalidReplicationGroupState",
                ],
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(error("elasticache:DeleteReplicationGroup", &e).into()),
    }
}

// ---- subnet groups -------------------------------------------------------------

/// A subnet group's subnets and tags; `None` when it does not exist.
pub async fn find_subnet_group(
    ec: &aws_sdk_elasticache::Client,
    name: &str,
) -> Result<Option<(Vec<String>, BTreeMap<String, String>)>> {
    let out = match ec
        .describe_cache_subnet_groups()
        .cache_subnet_group_name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if is(&e, &["CacheSubnetGroupNotFoundFault"]) => return Ok(None),
        Err(e) => return Err(error("elasticache:DescribeCacheSubnetGroups", &e).into()),
    };
    let Some(g) = out.cache_subnet_groups().first() else {
        return Ok(None);
    };
    let subnets = g
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_identifier().map(str::to_owned))
        .collect();
    let tags = match g.arn() {
        Some(arn) => tags_of(ec, arn).await?,
        None => BTreeMap::new(),
    };
    Ok(Some((subnets, tags)))
}

/// Creates the subnet group, or — when one of that name is this
/// resource's — brings its subnets to `subnets`. Anyone else's is refused
/// before it is touched.
pub async fn ensure_subnet_group(
    ec: &aws_sdk_elasticache::Client,
    name: &str,
    region: &str,
    subnets: &[String],
    tags: &BTreeMap<String, String>,
    owner: &Owner,
    side: &mut SideObjects,
) -> Result<()> {
    let k = key::cache_subnet_group(region, name);
    match find_subnet_group(ec, name).await? {
        Some((have, have_tags)) => {
            if !side.is_ours(&k, Some(&have_tags)) && !owner.made(&have_tags) {
                owner.adopt(&Existing {
                    what: "A cache subnet group",
                    id: name,
                    region,
                    tags: Some(&have_tags),
                    import_id: None,
                    attribute: "name",
                })?;
            }
            side.record(k);
            let (mut have, mut want) = (have, subnets.to_vec());
            have.sort();
            want.sort();
            if have != want {
                ec.modify_cache_subnet_group()
                    .cache_subnet_group_name(name)
                    .set_subnet_ids(Some(want))
                    .send()
                    .await
                    .map_err(failed("elasticache:ModifyCacheSubnetGroup"))?;
            }
            Ok(())
        }
        None => {
            match ec
                .create_cache_subnet_group()
                .cache_subnet_group_name(name)
                .cache_subnet_group_description(format!("onto_cache {name}"))
                .set_subnet_ids(Some(subnets.to_vec()))
                .set_tags(Some(ec_tags(tags)))
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if is(&e, &["CacheSubnetGroupAlreadyExists"]) => {
                    return Box::pin(ensure_subnet_group(
                        ec, name, region, subnets, tags, owner, side,
                    ))
                    .await;
                }
                Err(e) => return Err(error("elasticache:CreateCacheSubnetGroup", &e).into()),
            }
            side.record(k);
            Ok(())
        }
    }
}

pub async fn delete_subnet_group(ec: &aws_sdk_elasticache::Client, name: &str) -> Result<()> {
    let out = retry_eventual(&["CacheSubnetGroupInUse"], Duration::from_secs(300), || {
        ec.delete_cache_subnet_group()
            .cache_subnet_group_name(name)
            .send()
    })
    .await;
    match out {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["CacheSubnetGroupNotFoundFault"]) => Ok(()),
        Err(e) => Err(error("elasticache:DeleteCacheSubnetGroup", &e).into()),
    }
}

// ---- parameter groups -----------------------------------------------------------

/// The parameters set by the user; `None` when the group does not exist.
pub async fn user_parameters(
    ec: &aws_sdk_elasticache::Client,
    group: &str,
) -> Result<Option<BTreeMap<String, String>>> {
    let mut out = BTreeMap::new();
    let mut pages = ec
        .describe_cache_parameters()
        .cache_parameter_group_name(group)
        .source("user")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) if is(&e, &["CacheParameterGroupNotFound"]) => return Ok(None),
            Err(e) => return Err(error("elasticache:DescribeCacheParameters", &e).into()),
        };
        for p in page.parameters() {
            if let (Some(n), Some(v)) = (p.parameter_name(), p.parameter_value()) {
                out.insert(n.to_owned(), v.to_owned());
            }
        }
    }
    Ok(Some(out))
}

/// Whether the parameter group `group` is this resource's: recorded as
/// made by it, or (on state from before records were kept) carrying its
/// owner tag.
pub async fn parameter_group_is_ours(
    ec: &aws_sdk_elasticache::Client,
    region: &str,
    group: &str,
    side: &SideObjects,
) -> Result<bool> {
    let k = key::cache_parameter_group(region, group);
    if side.is_ours(&k, None) {
        return Ok(true);
    }
    if !side.is_legacy() {
        return Ok(false);
    }
    let tags = parameter_group_tags(ec, group).await?;
    Ok(side.is_ours(&k, tags.as_ref()))
}

async fn parameter_group_tags(
    ec: &aws_sdk_elasticache::Client,
    group: &str,
) -> Result<Option<BTreeMap<String, String>>> {
    match ec
        .describe_cache_parameter_groups()
        .cache_parameter_group_name(group)
        .send()
        .await
    {
        Ok(out) => match out.cache_parameter_groups().first() {
            Some(g) => match g.arn() {
                Some(arn) => Ok(Some(tags_of(ec, arn).await?)),
                None => Ok(Some(BTreeMap::new())),
            },
            None => Ok(None),
        },
        Err(e) if is(&e, &["CacheParameterGroupNotFound"]) => Ok(None),
        Err(e) => Err(error("elasticache:DescribeCacheParameterGroups", &e).into()),
    }
}

/// A parameter group to create or converge.
pub struct ParameterGroup<'a> {
    pub name: &'a str,
    pub family: &'a str,
    pub region: &'a str,
    pub parameters: &'a BTreeMap<String, String>,
    pub tags: &'a BTreeMap<String, String>,
}

/// Creates the parameter group (or takes this resource's own) and
/// converges its parameters. Anyone else's group of that name is refused.
pub async fn ensure_parameter_group(
    ec: &aws_sdk_elasticache::Client,
    g: &ParameterGroup<'_>,
    owner: &Owner,
    side: &mut SideObjects,
) -> Result<()> {
    let k = key::cache_parameter_group(g.region, g.name);
    let have = match parameter_group_tags(ec, g.name).await? {
        Some(tags) => {
            if !side.is_ours(&k, Some(&tags)) && !owner.made(&tags) {
                owner.adopt(&Existing {
                    what: "A cache parameter group",
                    id: g.name,
                    region: g.region,
                    tags: Some(&tags),
                    import_id: None,
                    attribute: "parameters",
                })?;
            }
            user_parameters(ec, g.name).await?.unwrap_or_default()
        }
        None => {
            match ec
                .create_cache_parameter_group()
                .cache_parameter_group_name(g.name)
                .cache_parameter_group_family(g.family)
                .description(format!("onto_cache parameters ({})", g.name))
                .set_tags(Some(ec_tags(g.tags)))
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if is(&e, &["CacheParameterGroupAlreadyExists"]) => {
                    return Box::pin(ensure_parameter_group(ec, g, owner, side)).await;
                }
                Err(e) => return Err(error("elasticache:CreateCacheParameterGroup", &e).into()),
            }
            BTreeMap::new()
        }
    };
    side.record(k);
    let changed: Vec<ParameterNameValue> = g
        .parameters
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| {
            ParameterNameValue::builder()
                .parameter_name(k)
                .parameter_value(v)
                .build()
        })
        .collect();
    for chunk in changed.chunks(20) {
        ec.modify_cache_parameter_group()
            .cache_parameter_group_name(g.name)
            .set_parameter_name_values(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(failed("elasticache:ModifyCacheParameterGroup"))?;
    }
    let removed: Vec<ParameterNameValue> = have
        .keys()
        .filter(|k| !g.parameters.contains_key(*k))
        .map(|k| ParameterNameValue::builder().parameter_name(k).build())
        .collect();
    for chunk in removed.chunks(20) {
        ec.reset_cache_parameter_group()
            .cache_parameter_group_name(g.name)
            .set_parameter_name_values(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(failed("elasticache:ResetCacheParameterGroup"))?;
    }
    Ok(())
}

pub async fn delete_parameter_group(ec: &aws_sdk_elasticache::Client, group: &str) -> Result<()> {
    match ec
        .delete_cache_parameter_group()
        .cache_parameter_group_name(group)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["CacheParameterGroupNotFound"]) => Ok(()),
        Err(e) => Err(error("elasticache:DeleteCacheParameterGroup", &e).into()),
    }
}

// ---- listing ----------------------------------------------------------------------

/// Every replication group in the region, with its tags.
pub async fn list_groups(ec: &aws_sdk_elasticache::Client) -> Result<Vec<super::Listed>> {
    let mut pages = ec.describe_replication_groups().into_paginator().send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("elasticache:DescribeReplicationGroups"))?;
        for g in page.replication_groups() {
            let tags = match g.arn() {
                Some(arn) => match ec.list_tags_for_resource().resource_name(arn).send().await {
                    Ok(out) => tag_map(out.tag_list()),
                    // Deleted while the list was read.
                    Err(e) if is(&e, &["ReplicationGroupNotFoundFault", "InvalidARN"]) => continue,
                    Err(e) => return Err(error("elasticache:ListTagsForResource", &e).into()),
                },
                None => BTreeMap::new(),
            };
            found.push(super::Listed {
                key: g.replication_group_id().unwrap_or_default().to_owned(),
                tags,
            });
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    //! The waiter's rule in isolation: `create-failed` ends a wait at once
    //! (mocked to pin the exact sequence of states). Creates, a create
    //! ElastiCache could not finish, modifications, replica changes and
    //! deletes run through the CLI in `tests/cache.rs`.

    use super::*;
    use aws_sdk_elasticache::operation::describe_replication_groups::DescribeReplicationGroupsOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn group(status: &str) -> DescribeReplicationGroupsOutput {
        DescribeReplicationGroupsOutput::builder()
            .replication_groups(
                ReplicationGroup::builder()
                    .replication_group_id("sessions")
                    .status(status)
                    .build(),
            )
            .build()
    }

    #[tokio::test(start_paused = true)]
    async fn create_failed_fails_at_once_and_slow_creates_time_out() {
        let rule = mock!(aws_sdk_elasticache::Client::describe_replication_groups)
            .sequence()
            .output(|| group("create-failed"))
            .build();
        let ec = mock_client!(aws_sdk_elasticache, RuleMode::Sequential, [&rule]);
        let err = wait_available(&ec, "sessions", Duration::from_secs(600), &Stop::new())
            .await
            .unwrap_err();
        assert!(format!("{err:?}").contains("Cache sessions is create-failed"));

        let rule = mock!(aws_sdk_elasticache::Client::describe_replication_groups)
            .sequence()
            .output(|| group("creating"))
            .repeatedly()
            .build();
        let ec = mock_client!(aws_sdk_elasticache, RuleMode::Sequential, [&rule]);
        let err = wait_available(&ec, "sessions", Duration::from_secs(30), &Stop::new())
            .await
            .unwrap_err();
        let text = format!("{err:?}");
        assert!(
            text.contains("Timed out waiting for cache sessions")
                && text.contains("Still creating"),
            "{text}"
        );
    }
}
