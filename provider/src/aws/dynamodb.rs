//! DynamoDB: the lock table of Terraform's `s3` backend (`LockID` key,
//! on-demand): find, create with ownership, converge its protection, point-
//! in-time recovery and tags, wait, delete.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, PointInTimeRecoverySpecification,
    ScalarAttributeType, TableStatus, Tag,
};
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::Stop;

use super::{error, failed, is, wait_until, Poll};
use crate::ownership::{Existing, Owner};
use crate::tags;

fn internal(e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error("Internal error", e.to_string())
}

fn ddb_tags(t: &BTreeMap<String, String>) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// A lock table as AWS holds it.
pub struct Table {
    pub arn: String,
    pub deletion_protection: bool,
    pub point_in_time_recovery: bool,
    pub tags: BTreeMap<String, String>,
}

/// The table with its backups setting and tags; `None` when it does not
/// exist.
pub async fn find_table(ddb: &aws_sdk_dynamodb::Client, name: &str) -> Result<Option<Table>> {
    let t = match ddb.describe_table().table_name(name).send().await {
        Ok(out) => out.table().cloned(),
        Err(e) if is(&e, &["ResourceNotFoundException"]) => None,
        Err(e) => return Err(error("dynamodb:DescribeTable", &e).into()),
    };
    let Some(t) = t else { return Ok(None) };
    let arn = t.table_arn().unwrap_or_default().to_owned();
    let backups = ddb
        .describe_continuous_backups()
        .table_name(name)
        .send()
        .await
        .map_err(failed("dynamodb:DescribeContinuousBackups"))?;
    let tags = ddb
        .list_tags_of_resource()
        .resource_arn(&arn)
        .send()
        .await
        .map_err(failed("dynamodb:ListTagsOfResource"))?
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    Ok(Some(Table {
        arn,
        deletion_protection: t.deletion_protection_enabled().unwrap_or(false),
        point_in_time_recovery: backups
            .continuous_backups_description()
            .and_then(|d| d.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status())
            .is_some_and(|s| s.as_str() == "ENABLED"),
        tags,
    }))
}

/// What a lock table should be.
pub struct LockTable<'a> {
    pub name: &'a str,
    pub region: &'a str,
    pub deletion_protection: bool,
    pub point_in_time_recovery: bool,
    pub tags: &'a BTreeMap<String, String>,
}

/// Creates the lock table, tagged at birth, or — when one of that name is
/// this resource's (`ours`, or tagged as its own) — brings it to `want`.
/// Any other table of that name is refused before anything is changed.
/// Returns its ARN.
pub async fn ensure_lock_table(
    ddb: &aws_sdk_dynamodb::Client,
    want: &LockTable<'_>,
    owner: &Owner,
    ours: bool,
    limit: Duration,
    stop: &Stop,
) -> Result<String> {
    let existing = match find_table(ddb, want.name).await? {
        Some(t) => Some(t),
        None => {
            let created = ddb
                .create_table()
                .table_name(want.name)
                .billing_mode(BillingMode::PayPerRequest)
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name("LockID")
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                        .map_err(internal)?,
                )
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name("LockID")
                        .key_type(KeyType::Hash)
                        .build()
                        .map_err(internal)?,
                )
                .deletion_protection_enabled(want.deletion_protection)
                .set_tags(Some(ddb_tags(want.tags)))
                .send()
                .await;
            match created {
                Ok(_) => None,
                // A create of ours whose response was lost, or a race.
                Err(e) if is(&e, &["ResourceInUseException"]) => find_table(ddb, want.name).await?,
                Err(e) => return Err(error("dynamodb:CreateTable", &e).into()),
            }
        }
    };
    if let (Some(t), false) = (&existing, ours) {
        owner.adopt(&Existing {
            what: "A DynamoDB table",
            id: want.name,
            region: want.region,
            tags: Some(&t.tags),
            import_id: None,
            attribute: "lock_table",
        })?;
    }
    let arn = wait_active(ddb, want.name, limit, stop).await?;
    if let Some(t) = existing {
        if t.deletion_protection != want.deletion_protection {
            set_deletion_protection(ddb, want.name, want.deletion_protection).await?;
        }
        converge_tags(ddb, &arn, &t.tags, want.tags).await?;
        if t.point_in_time_recovery == want.point_in_time_recovery {
            return Ok(arn);
        }
    }
    ddb.update_continuous_backups()
        .table_name(want.name)
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(want.point_in_time_recovery)
                .build()
                .map_err(internal)?,
        )
        .send()
        .await
        .map_err(failed("dynamodb:UpdateContinuousBackups"))?;
    Ok(arn)
}

async fn set_deletion_protection(
    ddb: &aws_sdk_dynamodb::Client,
    name: &str,
    on: bool,
) -> Result<()> {
    ddb.update_table()
        .table_name(name)
        .deletion_protection_enabled(on)
        .send()
        .await
        .map_err(failed("dynamodb:UpdateTable"))?;
    Ok(())
}

async fn converge_tags(
    ddb: &aws_sdk_dynamodb::Client,
    arn: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<()> {
    let (remove, set) = tags::diff(have, want);
    if !remove.is_empty() {
        ddb.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(failed("dynamodb:UntagResource"))?;
    }
    if !set.is_empty() {
        ddb.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(ddb_tags(&set)))
            .send()
            .await
            .map_err(failed("dynamodb:TagResource"))?;
    }
    Ok(())
}

/// Waits until the table is ACTIVE; returns its ARN.
pub async fn wait_active(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<String> {
    wait_until(&format!("lock table {table}"), limit, stop, || async {
        let out = ddb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| Diagnostics::from(error("dynamodb:DescribeTable", &e)))?;
        let t = out.table();
        Ok(match t.and_then(|t| t.table_status()) {
            Some(TableStatus::Active) => {
                Poll::Ready(t.and_then(|t| t.table_arn()).unwrap_or_default().to_owned())
            }
            Some(s) => Poll::Pending(s.as_str().to_lowercase()),
            None => Poll::Pending("not yet visible".into()),
        })
    })
    .await
}

/// Deletes the table; a protected one is unprotected first (the caller has
/// confirmed the destroy). A table that is gone already is fine.
pub async fn delete_table(
    ddb: &aws_sdk_dynamodb::Client,
    name: &str,
    protected: bool,
) -> Result<()> {
    if protected {
        match ddb
            .update_table()
            .table_name(name)
            .deletion_protection_enabled(false)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if is(&e, &["ResourceNotFoundException"]) => return Ok(()),
            Err(e) => return Err(error("dynamodb:UpdateTable", &e).into()),
        }
    }
    match ddb.delete_table().table_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["ResourceNotFoundException"]) => Ok(()),
        Err(e) => Err(error("dynamodb:DeleteTable", &e).into()),
    }
}

// ---- listing ----------------------------------------------------------------------

/// Every table in the region, with its tags.
pub async fn list_tables(ddb: &aws_sdk_dynamodb::Client) -> Result<Vec<super::Listed>> {
    let mut pages = ddb.list_tables().into_paginator().send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("dynamodb:ListTables"))?;
        for name in page.table_names() {
            if let Some(t) = find_table(ddb, name).await? {
                found.push(super::Listed {
                    key: name.clone(),
                    tags: t.tags,
                });
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    //! moto creates tables ACTIVE at once: a table that is `CREATING`, or
    //! stays so, is produced here with aws-smithy-mocks.

    use super::*;
    use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
    use aws_sdk_dynamodb::types::TableDescription;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn table(status: TableStatus) -> DescribeTableOutput {
        DescribeTableOutput::builder()
            .table(
                TableDescription::builder()
                    .table_status(status)
                    .table_arn("arn:aws:dynamodb:eu-west-1:123456789012:table/t")
                    .build(),
            )
            .build()
    }

    /// The emulator creates tables ACTIVE at once; real DynamoDB passes
    /// through CREATING. The waiter is tested on mocked transitions.
    #[tokio::test(start_paused = true)]
    async fn waits_through_creating_until_active() {
        let rule = mock!(aws_sdk_dynamodb::Client::describe_table)
            .sequence()
            .output(|| table(TableStatus::Creating))
            .times(3)
            .output(|| table(TableStatus::Active))
            .build();
        let ddb = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&rule]);
        let arn = wait_active(&ddb, "t", Duration::from_secs(60), &Stop::new())
            .await
            .unwrap();
        assert!(arn.ends_with("table/t"));
        assert_eq!(rule.num_calls(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_table_stuck_creating_times_out_with_its_status() {
        let rule = mock!(aws_sdk_dynamodb::Client::describe_table)
            .sequence()
            .output(|| table(TableStatus::Creating))
            .repeatedly()
            .build();
        let ddb = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&rule]);
        let err = wait_active(&ddb, "t", Duration::from_secs(30), &Stop::new())
            .await
            .unwrap_err();
        let d = err.iter().next().unwrap();
        assert!(
            d.summary.contains("lock table t") && d.detail.contains("creating"),
            "{d}"
        );
    }
}
