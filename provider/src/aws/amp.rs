//! Amazon Managed Service for Prometheus: workspaces. An alias is not
//! unique, so a workspace is found by its alias and its ownership tags, and
//! a create whose response was lost is looked up that way before any new
//! attempt.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_amp::types::{WorkspaceDescription, WorkspaceStatusCode};
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::Stop;

use super::{create_once, error, failed, is, single_attempt, wait_until, Poll};
use crate::ownership::{Claim, Owner};
use crate::tags;

pub fn tags_of(w: &WorkspaceDescription) -> BTreeMap<String, String> {
    w.tags().cloned().unwrap_or_default().into_iter().collect()
}

/// The workspace by id; `None` when it is gone or being deleted.
pub async fn find_workspace(
    amp: &aws_sdk_amp::Client,
    id: &str,
) -> Result<Option<WorkspaceDescription>> {
    match amp.describe_workspace().workspace_id(id).send().await {
        Ok(out) => Ok(out
            .workspace()
            .filter(|w| w.status().map(|s| s.status_code()) != Some(&WorkspaceStatusCode::Deleting))
            .cloned()),
        Err(e) if is(&e, &["ResourceNotFoundException"]) => Ok(None),
        Err(e) => Err(error("aps:DescribeWorkspace", &e).into()),
    }
}

/// Workspaces with this alias, and their tags.
pub async fn workspaces_named(
    amp: &aws_sdk_amp::Client,
    alias: &str,
) -> Result<Vec<WorkspaceDescription>> {
    let out = amp
        .list_workspaces()
        .alias(alias)
        .send()
        .await
        .map_err(failed("aps:ListWorkspaces"))?;
    let mut found = Vec::new();
    for w in out.workspaces().iter().filter(|w| w.alias() == Some(alias)) {
        if let Some(d) = find_workspace(amp, w.workspace_id()).await? {
            found.push(d);
        }
    }
    Ok(found)
}

/// The workspace of `owner` with this alias (an earlier create of this
/// resource), if any.
pub async fn find_owned(
    amp: &aws_sdk_amp::Client,
    alias: &str,
    owner: &Owner,
) -> Result<Option<String>> {
    Ok(workspaces_named(amp, alias)
        .await?
        .into_iter()
        .find(|w| owner.judge(&tags_of(w)) == Claim::Ours)
        .map(|w| w.workspace_id().to_owned()))
}

/// Creates the workspace (tagged), or finds the one an earlier create of
/// this resource made; returns its id.
pub async fn create_workspace(
    amp: &aws_sdk_amp::Client,
    alias: &str,
    tags: &BTreeMap<String, String>,
    owner: &Owner,
) -> Result<String> {
    if let Some(id) = find_owned(amp, alias, owner).await? {
        return Ok(id);
    }
    let token = super::retry::client_token();
    create_once(
        "aps:CreateWorkspace",
        || async {
            amp.create_workspace()
                .alias(alias)
                .client_token(&token)
                .set_tags(Some(tags.clone().into_iter().collect()))
                .customize()
                .config_override(aws_sdk_amp::config::Builder::new().retry_config(single_attempt()))
                .send()
                .await
                .map(|out| out.workspace_id().to_owned())
        },
        || find_owned(amp, alias, owner),
    )
    .await
}

pub async fn wait_active(
    amp: &aws_sdk_amp::Client,
    id: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<WorkspaceDescription> {
    wait_until(
        &format!("Prometheus workspace {id}"),
        limit,
        stop,
        || async {
            let w = find_workspace(amp, id).await?.ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "Workspace vanished",
                    format!("{id} disappeared while waiting for it."),
                ))
            })?;
            match w.status().map(|s| s.status_code().clone()) {
                Some(WorkspaceStatusCode::Active) => Ok(Poll::Ready(w)),
                Some(WorkspaceStatusCode::CreationFailed) => Err(Diagnostic::error(
                    format!("Workspace {id} failed to create"),
                    "See the Amazon Managed Prometheus console.",
                )
                .into()),
                other => Ok(Poll::Pending(
                    other.map_or("CREATING".into(), |s| s.as_str().to_owned()),
                )),
            }
        },
    )
    .await
}

pub async fn converge_tags(
    amp: &aws_sdk_amp::Client,
    arn: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<()> {
    let (remove, set) = tags::diff(have, want);
    if !remove.is_empty() {
        amp.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(failed("aps:UntagResource"))?;
    }
    if !set.is_empty() {
        amp.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(set.into_iter().collect()))
            .send()
            .await
            .map_err(failed("aps:TagResource"))?;
    }
    Ok(())
}

pub async fn delete_workspace(amp: &aws_sdk_amp::Client, id: &str) -> Result<()> {
    match amp.delete_workspace().workspace_id(id).send().await {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["ResourceNotFoundException"]) => Ok(()),
        Err(e) => Err(error("aps:DeleteWorkspace", &e).into()),
    }
}

// ---- listing ----------------------------------------------------------------------

/// Every Prometheus workspace in the region (by id), with its tags.
pub async fn list_workspaces(amp: &aws_sdk_amp::Client) -> Result<Vec<super::Listed>> {
    let mut pages = amp.list_workspaces().into_paginator().send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("aps:ListWorkspaces"))?;
        for w in page.workspaces() {
            if w.status().map(|s| s.status_code()) == Some(&WorkspaceStatusCode::Deleting) {
                continue;
            }
            found.push(super::Listed {
                key: w.workspace_id().to_owned(),
                tags: w.tags().cloned().unwrap_or_default().into_iter().collect(),
            });
        }
    }
    Ok(found)
}
