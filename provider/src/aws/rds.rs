//! RDS: DB instances (find, create or adopt, wait through RDS's states,
//! modify, promote, delete with a unique final snapshot), their subnet and
//! parameter groups under the ownership rule, tags, and automated-backup
//! replication.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_rds::operation::create_db_instance::builders::CreateDBInstanceFluentBuilder;
use aws_sdk_rds::operation::create_db_instance_read_replica::builders::CreateDBInstanceReadReplicaFluentBuilder;
use aws_sdk_rds::types::{DbInstance, Parameter, Tag};
use aws_smithy_types::date_time::Format;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::Stop;

use super::{error, failed, is, retry_eventual, wait_until, Poll};
use crate::ownership::{key, Existing, Owner, SideObjects};
use crate::tags;

pub const ENGINE: &str = "postgres";

pub fn rds_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

// ---- instances --------------------------------------------------------------

pub async fn find_instance(rds: &aws_sdk_rds::Client, id: &str) -> Result<Option<DbInstance>> {
    match rds
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_instances().first().cloned()),
        Err(e) if is(&e, &["DBInstanceNotFound", "DBInstanceNotFoundFault"]) => Ok(None),
        Err(e) => Err(error("rds:DescribeDBInstances", &e).into()),
    }
}

/// Whether the instance `id` (of a create that failed part way) can still
/// be finished: not when RDS left it `failed` or `incompatible-*` — it is
/// replaced instead. An instance that is gone is created anew either way.
pub async fn can_finish(rds: &aws_sdk_rds::Client, id: &str) -> Result<bool> {
    let status = find_instance(rds, id)
        .await?
        .and_then(|db| db.db_instance_status().map(str::to_owned));
    Ok(status.is_none_or(|s| s != "failed" && !s.starts_with("incompatible-")))
}

/// The refusal (or adoption) of an instance that exists where a create
/// wants to make one. Checked before anything else is made or changed.
pub fn claim_instance(owner: &Owner, region: &str, id: &str, existing: &DbInstance) -> Result<()> {
    owner.adopt(&Existing {
        what: "An RDS instance",
        id,
        region,
        tags: Some(&tag_map(existing.tag_list())),
        import_id: Some(format!("{region}:{id}")),
        attribute: "name",
    })
}

/// Sends a create. "Already exists" is answered by the ownership rule: the
/// instance of an earlier create of this resource (whose response was
/// lost) is adopted, anyone else's refused.
pub enum Create {
    Instance(Box<CreateDBInstanceFluentBuilder>),
    Replica(Box<CreateDBInstanceReadReplicaFluentBuilder>),
}

pub async fn create_instance(
    rds: &aws_sdk_rds::Client,
    request: Create,
    id: &str,
    region: &str,
    owner: &Owner,
) -> Result<()> {
    /// Whether the failure says "already exists", and the diagnostic.
    fn failure<E>(
        op: &str,
        e: &aws_smithy_runtime_api::client::result::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    ) -> (bool, Diagnostic)
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    {
        (
            is(
                e,
                &["DBInstanceAlreadyExists", "DBInstanceAlreadyExistsFault"],
            ),
            error(op, e),
        )
    }
    let sent = match request {
        Create::Instance(b) => b
            .send()
            .await
            .map(drop)
            .map_err(|e| failure("rds:CreateDBInstance", &e)),
        Create::Replica(b) => b
            .send()
            .await
            .map(drop)
            .map_err(|e| failure("rds:CreateDBInstanceReadReplica", &e)),
    };
    match sent {
        Ok(()) => Ok(()),
        Err((true, d)) => {
            let existing = find_instance(rds, id)
                .await?
                .ok_or_else(|| Diagnostics::from(d))?;
            claim_instance(owner, region, id, &existing)
        }
        Err((false, d)) => Err(d.into()),
    }
}

/// The changes AWS holds for the maintenance window, by attribute.
pub fn pending(db: &DbInstance) -> BTreeMap<String, String> {
    let p = db.pending_modified_values();
    let mut out = BTreeMap::new();
    let mut note = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.insert(k.to_owned(), v);
        }
    };
    note(
        "instance_class",
        p.and_then(|p| p.db_instance_class()).map(str::to_owned),
    );
    note(
        "allocated_storage",
        p.and_then(|p| p.allocated_storage()).map(|n| n.to_string()),
    );
    note(
        "multi_az",
        p.and_then(|p| p.multi_az()).map(|b| b.to_string()),
    );
    note(
        "engine_version",
        p.and_then(|p| p.engine_version()).map(str::to_owned),
    );
    note(
        "backup_retention_days",
        p.and_then(|p| p.backup_retention_period())
            .map(|n| n.to_string()),
    );
    note(
        "storage_type",
        p.and_then(|p| p.storage_type()).map(str::to_owned),
    );
    if p.and_then(|p| p.master_user_password()).is_some() {
        note("password", Some("(new password)".into()));
    }
    out
}

const FAILED: [&str; 8] = [
    "failed",
    "incompatible-parameters",
    "incompatible-network",
    "incompatible-option-group",
    "incompatible-restore",
    "inaccessible-encryption-credentials",
    "storage-full",
    "restore-error",
];

/// What to wait for besides an available instance.
#[derive(Clone, Copy, Debug, Default)]
pub struct Until {
    /// AWS has applied every change it holds (an `apply_immediately` update).
    pub settled: bool,
    /// It is no longer a replica (a promotion).
    pub promoted: bool,
}

/// Whether the instance takes changes now (not creating, modifying,
/// backing up, ...).
pub fn is_available(db: &DbInstance) -> bool {
    matches!(
        db.db_instance_status(),
        Some("available" | "storage-optimization")
    )
}

/// Waits until the instance is usable (and `until`).
pub async fn wait_available(
    rds: &aws_sdk_rds::Client,
    id: &str,
    limit: Duration,
    stop: &Stop,
    until: Until,
) -> Result<DbInstance> {
    wait_until(&format!("database {id}"), limit, stop, || async {
        let db = find_instance(rds, id).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Database vanished",
                format!("{id} disappeared while waiting for it to become available."),
            ))
        })?;
        let status = db.db_instance_status().unwrap_or("unknown").to_owned();
        if FAILED.contains(&status.as_str()) {
            return Err(Diagnostic::error(
                format!("Database {id} is {status}"),
                "AWS cannot bring the instance up; see its events in the RDS console (`aws rds describe-events --source-identifier NAME --source-type db-instance`).",
            )
            .into());
        }
        let ready = is_available(&db);
        let holding = until.settled && !pending(&db).is_empty();
        let still_replica =
            until.promoted && db.read_replica_source_db_instance_identifier().is_some();
        Ok(if ready && !holding && !still_replica {
            Poll::Ready(db)
        } else if ready && still_replica {
            Poll::Pending("still a replica (promotion in progress)".into())
        } else if ready {
            Poll::Pending("applying changes".into())
        } else {
            Poll::Pending(status)
        })
    })
    .await
}

pub async fn wait_deleted(
    rds: &aws_sdk_rds::Client,
    id: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    wait_until(
        &format!("database {id} to be deleted"),
        limit,
        stop,
        || async {
            Ok(match find_instance(rds, id).await? {
                None => Poll::Ready(()),
                Some(db) => Poll::Pending(db.db_instance_status().unwrap_or("deleting").to_owned()),
            })
        },
    )
    .await
}

/// Sends a `ModifyDBInstance` a resource put together from its model.
pub async fn modify_instance(
    modify: aws_sdk_rds::operation::modify_db_instance::builders::ModifyDBInstanceFluentBuilder,
) -> Result<()> {
    modify
        .send()
        .await
        .map_err(failed("rds:ModifyDBInstance"))?;
    Ok(())
}

/// Promotes a read replica to a standalone instance (the wait is the
/// caller's: [`wait_available`] with `promoted`).
pub async fn promote(
    rds: &aws_sdk_rds::Client,
    id: &str,
    retention_days: i32,
    backup_window: Option<String>,
) -> Result<()> {
    rds.promote_read_replica()
        .db_instance_identifier(id)
        .backup_retention_period(retention_days)
        .set_preferred_backup_window(backup_window)
        .send()
        .await
        .map_err(failed("rds:PromoteReadReplica"))?;
    Ok(())
}

/// The name of the final snapshot for a destroy on `date` (`yyyymmdd`),
/// the `n`th candidate.
pub fn final_snapshot_name(id: &str, date: &str, n: u32) -> String {
    if n <= 1 {
        format!("{id}-final-{date}")
    } else {
        format!("{id}-final-{date}-{n}")
    }
}

/// Deletes the instance, with a final snapshot under a name not taken yet
/// (`<id>-final-<yyyymmdd>`, then `-2`, `-3`, ...) when `snapshot`. An
/// instance that is gone, or already being deleted, is fine.
pub async fn delete_instance(
    rds: &aws_sdk_rds::Client,
    db: &DbInstance,
    snapshot: bool,
) -> Result<()> {
    let id = db.db_instance_identifier().unwrap_or_default();
    let date = aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(Format::DateTime)
        .map(|d| d.get(..10).unwrap_or_default().replace('-', ""))
        .unwrap_or_else(|_| "final".into());
    let mut n = 1;
    loop {
        let name = final_snapshot_name(id, &date, n);
        let mut call = rds.delete_db_instance().db_instance_identifier(id);
        call = if snapshot {
            call.final_db_snapshot_identifier(&name)
        } else {
            call.skip_final_snapshot(true)
        };
        match call.send().await {
            Ok(_) => {
                if snapshot {
                    tracing::info!(snapshot = %name, "final snapshot requested");
                }
                return Ok(());
            }
            Err(e) if snapshot && is(&e, &["DBSnapshotAlreadyExists"]) && n < 100 => n += 1,
            Err(e) if is(&e, &["DBInstanceNotFound", "DBInstanceNotFoundFault"]) => return Ok(()),
            Err(e)
                if is(&e, &["InvalidDBInstanceState"])
                    && db.db_instance_status() == Some("deleting") =>
            {
                return Ok(())
            }
            Err(e) => return Err(error("rds:DeleteDBInstance", &e).into()),
        }
    }
}

pub async fn converge_tags(
    rds: &aws_sdk_rds::Client,
    arn: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<()> {
    let (remove, set) = tags::diff(have, want);
    if !remove.is_empty() {
        rds.remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(failed("rds:RemoveTagsFromResource"))?;
    }
    if !set.is_empty() {
        rds.add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(rds_tags(&set)))
            .send()
            .await
            .map_err(failed("rds:AddTagsToResource"))?;
    }
    Ok(())
}

async fn tags_of(rds: &aws_sdk_rds::Client, arn: &str) -> Result<BTreeMap<String, String>> {
    let out = rds
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(failed("rds:ListTagsForResource"))?;
    Ok(tag_map(out.tag_list()))
}

// ---- subnet groups ------------------------------------------------------------

/// A subnet group's subnets and tags; `None` when it does not exist.
pub async fn find_subnet_group(
    rds: &aws_sdk_rds::Client,
    name: &str,
) -> Result<Option<(Vec<String>, BTreeMap<String, String>)>> {
    let out = match rds
        .describe_db_subnet_groups()
        .db_subnet_group_name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if is(&e, &["DBSubnetGroupNotFoundFault"]) => return Ok(None),
        Err(e) => return Err(error("rds:DescribeDBSubnetGroups", &e).into()),
    };
    let Some(g) = out.db_subnet_groups().first() else {
        return Ok(None);
    };
    let subnets = g
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_identifier().map(str::to_owned))
        .collect();
    let tags = match g.db_subnet_group_arn() {
        Some(arn) => tags_of(rds, arn).await?,
        None => BTreeMap::new(),
    };
    Ok(Some((subnets, tags)))
}

/// A subnet group to create or converge.
pub struct SubnetGroup<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub region: &'a str,
    pub subnets: &'a [String],
    pub tags: &'a BTreeMap<String, String>,
}

/// Creates the subnet group, or — when one of that name is this
/// resource's — brings its subnets to `g`. Anyone else's is refused before
/// it is touched.
pub async fn ensure_subnet_group(
    rds: &aws_sdk_rds::Client,
    g: &SubnetGroup<'_>,
    owner: &Owner,
    side: &mut SideObjects,
) -> Result<()> {
    let k = key::db_subnet_group(g.region, g.name);
    match find_subnet_group(rds, g.name).await? {
        Some((subnets, tags)) => {
            if !side.is_ours(&k, Some(&tags)) && !owner.made(&tags) {
                owner.adopt(&Existing {
                    what: "A DB subnet group",
                    id: g.name,
                    region: g.region,
                    tags: Some(&tags),
                    import_id: None,
                    attribute: "name",
                })?;
            }
            side.record(k);
            let mut have = subnets;
            have.sort();
            let mut want = g.subnets.to_vec();
            want.sort();
            if have != want {
                rds.modify_db_subnet_group()
                    .db_subnet_group_name(g.name)
                    .set_subnet_ids(Some(want))
                    .send()
                    .await
                    .map_err(failed("rds:ModifyDBSubnetGroup"))?;
            }
            Ok(())
        }
        None => {
            match rds
                .create_db_subnet_group()
                .db_subnet_group_name(g.name)
                .db_subnet_group_description(g.description)
                .set_subnet_ids(Some(g.subnets.to_vec()))
                .set_tags(Some(rds_tags(g.tags)))
                .send()
                .await
            {
                Ok(_) => {}
                // A retry of a create whose response was lost.
                Err(e)
                    if is(
                        &e,
                        &[
                            "DBSubnetGroupAlreadyExists",
                            "DBSubnetGroupAlreadyExistsFault",
                        ],
                    ) =>
                {
                    return Box::pin(ensure_subnet_group(rds, g, owner, side)).await;
                }
                Err(e) => return Err(error("rds:CreateDBSubnetGroup", &e).into()),
            }
            side.record(k);
            Ok(())
        }
    }
}

/// Deletes the subnet group once no instance uses it any more.
pub async fn delete_subnet_group(rds: &aws_sdk_rds::Client, name: &str) -> Result<()> {
    let out = retry_eventual(
        &["InvalidDBSubnetGroupStateFault"],
        Duration::from_secs(300),
        || {
            rds.delete_db_subnet_group()
                .db_subnet_group_name(name)
                .send()
        },
    )
    .await;
    match out {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["DBSubnetGroupNotFoundFault"]) => Ok(()),
        Err(e) => Err(error("rds:DeleteDBSubnetGroup", &e).into()),
    }
}

// ---- parameter groups -----------------------------------------------------------

/// The parameters set by the user (not the engine's defaults); `None` when
/// the group does not exist.
pub async fn user_parameters(
    rds: &aws_sdk_rds::Client,
    group: &str,
) -> Result<Option<BTreeMap<String, String>>> {
    let mut out = BTreeMap::new();
    let mut pages = rds
        .describe_db_parameters()
        .db_parameter_group_name(group)
        .source("user")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) if is(&e, &["DBParameterGroupNotFound"]) => return Ok(None),
            Err(e) => return Err(error("rds:DescribeDBParameters", &e).into()),
        };
        for p in page.parameters() {
            if let (Some(n), Some(v)) = (p.parameter_name(), p.parameter_value()) {
                out.insert(n.to_owned(), v.to_owned());
            }
        }
    }
    Ok(Some(out))
}

pub async fn parameter_group_tags(
    rds: &aws_sdk_rds::Client,
    group: &str,
) -> Result<Option<BTreeMap<String, String>>> {
    match rds
        .describe_db_parameter_groups()
        .db_parameter_group_name(group)
        .send()
        .await
    {
        Ok(out) => match out.db_parameter_groups().first() {
            Some(g) => match g.db_parameter_group_arn() {
                Some(arn) => Ok(Some(tags_of(rds, arn).await?)),
                None => Ok(Some(BTreeMap::new())),
            },
            None => Ok(None),
        },
        Err(e) if is(&e, &["DBParameterGroupNotFound"]) => Ok(None),
        Err(e) => Err(error("rds:DescribeDBParameterGroups", &e).into()),
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
/// converges its parameters; dynamic ones apply at once, static ones at
/// the next reboot. Anyone else's group of that name is refused.
pub async fn ensure_parameter_group(
    rds: &aws_sdk_rds::Client,
    g: &ParameterGroup<'_>,
    owner: &Owner,
    side: &mut SideObjects,
) -> Result<()> {
    let k = key::db_parameter_group(g.region, g.name);
    let have = match parameter_group_tags(rds, g.name).await? {
        Some(tags) => {
            if !side.is_ours(&k, Some(&tags)) && !owner.made(&tags) {
                owner.adopt(&Existing {
                    what: "A DB parameter group",
                    id: g.name,
                    region: g.region,
                    tags: Some(&tags),
                    import_id: None,
                    attribute: "parameters",
                })?;
            }
            user_parameters(rds, g.name).await?.unwrap_or_default()
        }
        None => {
            match rds
                .create_db_parameter_group()
                .db_parameter_group_name(g.name)
                .db_parameter_group_family(g.family)
                .description(format!("onto parameters ({})", g.name))
                .set_tags(Some(rds_tags(g.tags)))
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if is(&e, &["DBParameterGroupAlreadyExists"]) => {
                    return Box::pin(ensure_parameter_group(rds, g, owner, side)).await;
                }
                Err(e) => return Err(error("rds:CreateDBParameterGroup", &e).into()),
            }
            BTreeMap::new()
        }
    };
    side.record(k);
    let changed: Vec<(&String, &String)> = g
        .parameters
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .collect();
    for chunk in changed.chunks(20) {
        let params = |method: &str| -> Vec<Parameter> {
            chunk
                .iter()
                .map(|(k, v)| {
                    Parameter::builder()
                        .parameter_name(*k)
                        .parameter_value(*v)
                        .apply_method(method.into())
                        .build()
                })
                .collect()
        };
        let immediate = rds
            .modify_db_parameter_group()
            .db_parameter_group_name(g.name)
            .set_parameters(Some(params("immediate")))
            .send()
            .await;
        match immediate {
            Ok(_) => {}
            // Static parameters take effect at the next reboot only.
            Err(e) if is(&e, &["InvalidParameterCombination"]) => {
                rds.modify_db_parameter_group()
                    .db_parameter_group_name(g.name)
                    .set_parameters(Some(params("pending-reboot")))
                    .send()
                    .await
                    .map_err(failed("rds:ModifyDBParameterGroup"))?;
            }
            Err(e) => return Err(error("rds:ModifyDBParameterGroup", &e).into()),
        }
    }
    let removed: Vec<&String> = have
        .keys()
        .filter(|k| !g.parameters.contains_key(*k))
        .collect();
    for chunk in removed.chunks(20) {
        rds.reset_db_parameter_group()
            .db_parameter_group_name(g.name)
            .set_parameters(Some(
                chunk
                    .iter()
                    .map(|k| {
                        Parameter::builder()
                            .parameter_name(*k)
                            .apply_method("pending-reboot".into())
                            .build()
                    })
                    .collect(),
            ))
            .send()
            .await
            .map_err(failed("rds:ResetDBParameterGroup"))?;
    }
    Ok(())
}

/// Deletes the parameter group once no instance uses it any more.
pub async fn delete_parameter_group(rds: &aws_sdk_rds::Client, group: &str) -> Result<()> {
    let out = retry_eventual(
        &["InvalidDBParameterGroupState"],
        Duration::from_secs(300),
        || {
            rds.delete_db_parameter_group()
                .db_parameter_group_name(group)
                .send()
        },
    )
    .await;
    match out {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["DBParameterGroupNotFound"]) => Ok(()),
        Err(e) => Err(error("rds:DeleteDBParameterGroup", &e).into()),
    }
}

// ---- automated-backup replication ------------------------------------------------

/// How far the backups replicated to this region trail `now`: the age of
/// their latest restorable time.
pub async fn replicated_backup_age(
    rds: &aws_sdk_rds::Client,
    source_id: &str,
    now: aws_smithy_types::DateTime,
) -> Result<Option<Duration>> {
    let out = rds
        .describe_db_instance_automated_backups()
        .db_instance_identifier(source_id)
        .send()
        .await
        .map_err(failed("rds:DescribeDBInstanceAutomatedBackups"))?;
    let latest = out
        .db_instance_automated_backups()
        .iter()
        .filter_map(|b| b.restore_window().and_then(|w| w.latest_time()))
        .map(|t| t.secs())
        .max();
    Ok(latest.map(|t| Duration::from_secs(u64::try_from(now.secs() - t).unwrap_or(0))))
}

/// Starts replicating `source_arn`'s automated backups to this client's
/// region. `Ok(false)`: they already were (replication carries no tags,
/// so who started it cannot be told).
pub async fn start_backup_replication(
    rds: &aws_sdk_rds::Client,
    source_arn: &str,
    kms_key: Option<String>,
    retention_days: i32,
) -> Result<bool> {
    match rds
        .start_db_instance_automated_backups_replication()
        .source_db_instance_arn(source_arn)
        .set_kms_key_id(kms_key)
        .backup_retention_period(retention_days)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        // Also AWS's answer while a replication is still stopping: only one
        // that is running here counts as already replicated.
        Err(e) if is(&e, &["InvalidDBInstanceAutomatedBackupState"]) => {
            let backups = rds
                .describe_db_instance_automated_backups()
                .filters(
                    aws_sdk_rds::types::Filter::builder()
                        .name("db-instance-id")
                        .values(source_arn)
                        .build(),
                )
                .send()
                .await
                .map_err(failed("rds:DescribeDBInstanceAutomatedBackups"))?;
            let running = backups
                .db_instance_automated_backups()
                .iter()
                .any(|b| matches!(b.status(), Some("pending" | "replicating")));
            if running {
                Ok(false)
            } else {
                Err(error("rds:StartDBInstanceAutomatedBackupsReplication", &e).into())
            }
        }
        Err(e) => Err(error("rds:StartDBInstanceAutomatedBackupsReplication", &e).into()),
    }
}

pub async fn stop_backup_replication(rds: &aws_sdk_rds::Client, source_arn: &str) -> Result<()> {
    match rds
        .stop_db_instance_automated_backups_replication()
        .source_db_instance_arn(source_arn)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["DBInstanceNotFound", "DBInstanceNotFoundFault"]) => Ok(()),
        Err(e) => Err(error("rds:StopDBInstanceAutomatedBackupsReplication", &e).into()),
    }
}

// ---- listing ----------------------------------------------------------------------

/// Every DB instance in the region, with its tags.
pub async fn list_instances(rds: &aws_sdk_rds::Client) -> Result<Vec<super::Listed>> {
    let mut pages = rds.describe_db_instances().into_paginator().send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("rds:DescribeDBInstances"))?;
        found.extend(page.db_instances().iter().map(|db| super::Listed {
            key: db.db_instance_identifier().unwrap_or_default().to_owned(),
            tags: tag_map(db.tag_list()),
        }));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    //! The waiter's rules in paused time — a failed state ends a wait at
    //! once, a state that never settles times out naming it — which the
    //! emulator's scaled clock cannot hold still for; and the pure rules
    //! (held changes by attribute, snapshot names). Waits through
    //! `creating`, `modifying`, promotion, deletion, and a create RDS could
    //! not finish, run through the CLI (`tests/db.rs`).
    use super::*;
    use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
    use aws_sdk_rds::types::PendingModifiedValues;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn instance(status: &str) -> DbInstance {
        DbInstance::builder()
            .db_instance_identifier("app")
            .db_instance_status(status)
            .db_instance_class("db.t4g.micro")
            .engine_version("16.4")
            .build()
    }

    fn described(db: DbInstance) -> DescribeDbInstancesOutput {
        DescribeDbInstancesOutput::builder()
            .db_instances(db)
            .build()
    }

    const PLAIN: Until = Until {
        settled: false,
        promoted: false,
    };

    #[tokio::test(start_paused = true)]
    async fn a_failed_state_fails_at_once_and_a_slow_one_times_out_naming_it() {
        let rule = mock!(aws_sdk_rds::Client::describe_db_instances)
            .sequence()
            .output(|| described(instance("creating")))
            .output(|| described(instance("incompatible-parameters")))
            .build();
        let rds = mock_client!(aws_sdk_rds, RuleMode::Sequential, [&rule]);
        let err = wait_available(&rds, "app", Duration::from_secs(600), &Stop::new(), PLAIN)
            .await
            .unwrap_err();
        assert!(
            format!("{err:?}").contains("Database app is incompatible-parameters"),
            "{err:?}"
        );

        let rule = mock!(aws_sdk_rds::Client::describe_db_instances)
            .sequence()
            .output(|| described(instance("modifying")))
            .repeatedly()
            .build();
        let rds = mock_client!(aws_sdk_rds, RuleMode::Sequential, [&rule]);
        let err = wait_available(&rds, "app", Duration::from_secs(60), &Stop::new(), PLAIN)
            .await
            .unwrap_err();
        let text = format!("{err:?}");
        assert!(
            text.contains("Timed out waiting for database app") && text.contains("Still modifying"),
            "{text}"
        );
    }

    #[test]
    fn held_changes_are_reported_by_attribute() {
        let mut db = instance("available");
        db.pending_modified_values = Some(
            PendingModifiedValues::builder()
                .db_instance_class("db.r6g.large")
                .multi_az(true)
                .build(),
        );
        assert_eq!(
            pending(&db),
            BTreeMap::from([
                ("instance_class".to_owned(), "db.r6g.large".to_owned()),
                ("multi_az".to_owned(), "true".to_owned()),
            ])
        );
    }

    #[test]
    fn final_snapshot_names_are_unique_per_attempt() {
        assert_eq!(
            final_snapshot_name("app", "20261129", 1),
            "app-final-20261129"
        );
        assert_eq!(
            final_snapshot_name("app", "20261129", 2),
            "app-final-20261129-2"
        );
    }
}
