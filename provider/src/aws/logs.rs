//! CloudWatch Logs: log groups with retention and tags, under the
//! ownership rule.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types::LogGroup;
use tfplugin::diag::Result;

use super::{error, failed, is};
use crate::ownership::{key, Existing, Owner, SideObjects};
use crate::tags;

/// The log group and its tags; `None` when it does not exist.
pub async fn find_log_group(
    logs: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
) -> Result<Option<(LogGroup, BTreeMap<String, String>)>> {
    let group = logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(failed("logs:DescribeLogGroups"))?
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .cloned();
    let Some(group) = group else { return Ok(None) };
    let tags = match group.log_group_arn() {
        Some(arn) => logs
            .list_tags_for_resource()
            .resource_arn(arn.trim_end_matches(":*"))
            .send()
            .await
            .map_err(failed("logs:ListTagsForResource"))?
            .tags()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        None => BTreeMap::new(),
    };
    Ok(Some((group, tags)))
}

/// Creates the log group (tagged) or takes this resource's own, and sets
/// its retention and tags. Anyone else's group of that name is refused.
pub async fn ensure_log_group(
    logs: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
    region: &str,
    retention_days: i32,
    want_tags: &BTreeMap<String, String>,
    owner: &Owner,
    side: &mut SideObjects,
) -> Result<()> {
    let k = key::log_group(region, name);
    let retention = match find_log_group(logs, name).await? {
        Some((group, have)) => {
            if !side.is_ours(&k, Some(&have)) && !owner.made(&have) {
                owner.adopt(&Existing {
                    what: "A CloudWatch log group",
                    id: name,
                    region,
                    tags: Some(&have),
                    import_id: None,
                    attribute: "name",
                })?;
            }
            if let Some(arn) = group.log_group_arn() {
                converge_tags(logs, arn.trim_end_matches(":*"), &have, want_tags).await?;
            }
            group.retention_in_days()
        }
        None => {
            match logs
                .create_log_group()
                .log_group_name(name)
                .set_tags(Some(want_tags.clone().into_iter().collect()))
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if is(&e, &["ResourceAlreadyExistsException"]) => {
                    return Box::pin(ensure_log_group(
                        logs,
                        name,
                        region,
                        retention_days,
                        want_tags,
                        owner,
                        side,
                    ))
                    .await;
                }
                Err(e) => return Err(error("logs:CreateLogGroup", &e).into()),
            }
            None
        }
    };
    side.record(k);
    if retention != Some(retention_days) {
        logs.put_retention_policy()
            .log_group_name(name)
            .retention_in_days(retention_days)
            .send()
            .await
            .map_err(failed("logs:PutRetentionPolicy"))?;
    }
    Ok(())
}

async fn converge_tags(
    logs: &aws_sdk_cloudwatchlogs::Client,
    arn: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<()> {
    let (remove, set) = tags::diff(have, want);
    if !remove.is_empty() {
        logs.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(failed("logs:UntagResource"))?;
    }
    if !set.is_empty() {
        logs.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(set.into_iter().collect()))
            .send()
            .await
            .map_err(failed("logs:TagResource"))?;
    }
    Ok(())
}

pub async fn delete_log_group(logs: &aws_sdk_cloudwatchlogs::Client, name: &str) -> Result<()> {
    match logs.delete_log_group().log_group_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["ResourceNotFoundException"]) => Ok(()),
        Err(e) => Err(error("logs:DeleteLogGroup", &e).into()),
    }
}
