//! ECR: repositories (find, create with tags at birth, settings, policies,
//! tags, delete) and the registry's replication configuration, which every
//! stack of an account shares.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecr::types::{
    EncryptionConfiguration, ImageScanningConfiguration, ImageTagMutability,
    ReplicationConfiguration, ReplicationDestination, ReplicationRule, Repository,
    RepositoryFilter, RepositoryFilterType, Tag,
};
use tfplugin::diag::{Diagnostic, Result};

use super::{error, failed, is};
use crate::ownership::{Existing, Owner};
use crate::tags;

/// What AWS holds for one repository.
pub struct Found {
    pub repo: Repository,
    /// The lifecycle policy document, when there is one.
    pub lifecycle_policy: Option<String>,
    /// The repository policy document, when there is one.
    pub policy: Option<String>,
    pub tags: BTreeMap<String, String>,
}

fn ecr_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// The repository and its policies and tags; `None` when it does not exist.
pub async fn find_repository(ecr: &aws_sdk_ecr::Client, name: &str) -> Result<Option<Found>> {
    let repo = match ecr
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
    {
        Ok(out) => out.repositories().first().cloned(),
        Err(e) if is(&e, &["RepositoryNotFoundException"]) => None,
        Err(e) => return Err(error("ecr:DescribeRepositories", &e).into()),
    };
    let Some(repo) = repo else { return Ok(None) };
    let lifecycle_policy = match ecr
        .get_lifecycle_policy()
        .repository_name(name)
        .send()
        .await
    {
        Ok(out) => out.lifecycle_policy_text().map(str::to_owned),
        Err(e) if is(&e, &["LifecyclePolicyNotFoundException"]) => None,
        Err(e) => return Err(error("ecr:GetLifecyclePolicy", &e).into()),
    };
    let policy = match ecr
        .get_repository_policy()
        .repository_name(name)
        .send()
        .await
    {
        Ok(out) => out.policy_text().map(str::to_owned),
        Err(e) if is(&e, &["RepositoryPolicyNotFoundException"]) => None,
        Err(e) => return Err(error("ecr:GetRepositoryPolicy", &e).into()),
    };
    let tags = ecr
        .list_tags_for_resource()
        .resource_arn(repo.repository_arn().unwrap_or_default())
        .send()
        .await
        .map_err(failed("ecr:ListTagsForResource"))?
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    Ok(Some(Found {
        repo,
        lifecycle_policy,
        policy,
        tags,
    }))
}

/// What a new repository is born with.
pub struct NewRepository<'a> {
    pub name: &'a str,
    pub region: &'a str,
    pub mutability: &'a str,
    pub scan_on_push: bool,
    pub encryption: EncryptionConfiguration,
    pub tags: &'a BTreeMap<String, String>,
}

/// Creates the repository, tagged at birth. A repository of that name
/// that is this resource's own (an earlier create whose response was
/// lost) is adopted; any other is refused.
pub async fn create_repository(
    ecr: &aws_sdk_ecr::Client,
    new: &NewRepository<'_>,
    owner: &Owner,
) -> Result<()> {
    let created = ecr
        .create_repository()
        .repository_name(new.name)
        .image_tag_mutability(ImageTagMutability::from(new.mutability))
        .image_scanning_configuration(
            ImageScanningConfiguration::builder()
                .scan_on_push(new.scan_on_push)
                .build(),
        )
        .encryption_configuration(new.encryption.clone())
        .set_tags(Some(ecr_tags(new.tags)))
        .send()
        .await;
    match created {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["RepositoryAlreadyExistsException"]) => {
            let existing = find_repository(ecr, new.name).await?;
            owner.adopt(&Existing {
                what: "An ECR repository",
                id: new.name,
                region: new.region,
                tags: existing.as_ref().map(|r| &r.tags),
                import_id: Some(format!("{}:{}", new.region, new.name)),
                attribute: "name",
            })
        }
        Err(e) => Err(error("ecr:CreateRepository", &e).into()),
    }
}

pub async fn set_tag_mutability(ecr: &aws_sdk_ecr::Client, name: &str, value: &str) -> Result<()> {
    ecr.put_image_tag_mutability()
        .repository_name(name)
        .image_tag_mutability(ImageTagMutability::from(value))
        .send()
        .await
        .map_err(failed("ecr:PutImageTagMutability"))?;
    Ok(())
}

pub async fn set_scan_on_push(ecr: &aws_sdk_ecr::Client, name: &str, on: bool) -> Result<()> {
    ecr.put_image_scanning_configuration()
        .repository_name(name)
        .image_scanning_configuration(
            ImageScanningConfiguration::builder()
                .scan_on_push(on)
                .build(),
        )
        .send()
        .await
        .map_err(failed("ecr:PutImageScanningConfiguration"))?;
    Ok(())
}

/// Puts the lifecycle policy, or removes it (`None`).
pub async fn set_lifecycle_policy(
    ecr: &aws_sdk_ecr::Client,
    name: &str,
    document: Option<String>,
) -> Result<()> {
    match document {
        Some(text) => {
            ecr.put_lifecycle_policy()
                .repository_name(name)
                .lifecycle_policy_text(text)
                .send()
                .await
                .map_err(failed("ecr:PutLifecyclePolicy"))?;
        }
        None => match ecr
            .delete_lifecycle_policy()
            .repository_name(name)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if is(&e, &["LifecyclePolicyNotFoundException"]) => {}
            Err(e) => return Err(error("ecr:DeleteLifecyclePolicy", &e).into()),
        },
    }
    Ok(())
}

/// Puts the repository policy, or removes it (`None`). A principal of a
/// brand-new account can take a moment to be accepted.
pub async fn set_repository_policy(
    ecr: &aws_sdk_ecr::Client,
    name: &str,
    document: Option<String>,
) -> Result<()> {
    match document {
        Some(text) => {
            super::retry_eventual(
                &["InvalidParameterException"],
                std::time::Duration::from_secs(30),
                || {
                    ecr.set_repository_policy()
                        .repository_name(name)
                        .policy_text(text.clone())
                        .send()
                },
            )
            .await
            .map_err(failed("ecr:SetRepositoryPolicy"))?;
        }
        None => match ecr
            .delete_repository_policy()
            .repository_name(name)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if is(&e, &["RepositoryPolicyNotFoundException"]) => {}
            Err(e) => return Err(error("ecr:DeleteRepositoryPolicy", &e).into()),
        },
    }
    Ok(())
}

/// Brings the repository's tags from `have` to `want`.
pub async fn converge_tags(
    ecr: &aws_sdk_ecr::Client,
    arn: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<()> {
    let (remove, set) = tags::diff(have, want);
    if !remove.is_empty() {
        ecr.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(failed("ecr:UntagResource"))?;
    }
    if !set.is_empty() {
        ecr.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(ecr_tags(&set)))
            .send()
            .await
            .map_err(failed("ecr:TagResource"))?;
    }
    Ok(())
}

/// Deletes the repository (`force`: with its images). A repository that
/// is gone already is fine.
pub async fn delete_repository(ecr: &aws_sdk_ecr::Client, name: &str, force: bool) -> Result<()> {
    match ecr.delete_repository().repository_name(name).force(force).send().await {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["RepositoryNotFoundException"]) => Ok(()),
        Err(e) if is(&e, &["RepositoryNotEmptyException"]) => Err(Diagnostic::error(
            "Repository not empty",
            format!("{name} still holds images. Delete them, or set force_delete = true and apply before destroying."),
        )
        .into()),
        Err(e) => Err(error("ecr:DeleteRepository", &e).into()),
    }
}

// ---- registry replication ---------------------------------------------------
//
// A registry has one replication configuration for every stack of the
// account. Rules carry no id or tags, so each stack's rule is marked by a
// repository filter no repository matches: `onto-stack-<hash>/`, the hash
// of the stack identity and the resource's name. A stack changes and
// removes only the rule with its marker; two stacks replicating the same
// prefixes to the same region each keep their own rule.

/// The marker filter of one stack's rule.
pub fn replication_marker(stack: &str, name: &str) -> String {
    format!(
        "onto-stack-{}/",
        crate::stack::short_hash(&format!("{stack}|{name}"))
    )
}

/// A replication rule: destination region and repository prefixes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replication {
    pub region: String,
    pub prefixes: BTreeSet<String>,
}

fn marker_of(rule: &ReplicationRule) -> Option<&str> {
    rule.repository_filters()
        .iter()
        .map(|f| f.filter())
        .find(|f| f.starts_with("onto-stack-") && f.ends_with('/'))
}

/// This stack's rule as AWS holds it, if any.
pub async fn find_replication(
    ecr: &aws_sdk_ecr::Client,
    marker: &str,
) -> Result<Option<Replication>> {
    let out = ecr
        .describe_registry()
        .send()
        .await
        .map_err(failed("ecr:DescribeRegistry"))?;
    Ok(out
        .replication_configuration()
        .into_iter()
        .flat_map(|c| c.rules())
        .find(|r| marker_of(r) == Some(marker))
        .map(|r| Replication {
            region: r
                .destinations()
                .first()
                .map(|d| d.region().to_owned())
                .unwrap_or_default(),
            prefixes: r
                .repository_filters()
                .iter()
                .map(|f| f.filter().to_owned())
                .filter(|f| f != marker)
                .collect(),
        }))
}

/// The most rules a registry's replication configuration takes.
const MAX_RULES: usize = 10;

/// Puts (`Some`) or removes (`None`) this stack's rule, keeping every other
/// rule as it is. The configuration is read again just before it is
/// written: if another stack changed it in between, the merge is redone
/// (a conflict check; ECR has no conditional write).
pub async fn put_replication(
    ecr: &aws_sdk_ecr::Client,
    marker: &str,
    want: Option<&Replication>,
) -> Result<()> {
    for _ in 0..5 {
        let out = ecr
            .describe_registry()
            .send()
            .await
            .map_err(failed("ecr:DescribeRegistry"))?;
        let registry = out.registry_id().unwrap_or_default().to_owned();
        let current: Vec<ReplicationRule> = out
            .replication_configuration()
            .map(|c| c.rules().to_vec())
            .unwrap_or_default();
        let mut rules: Vec<ReplicationRule> = current
            .iter()
            .filter(|r| marker_of(r) != Some(marker))
            .cloned()
            .collect();
        if let Some(w) = want {
            rules.push(rule(&registry, marker, w)?);
        }
        if rules == current {
            return Ok(());
        }
        if rules.len() > MAX_RULES {
            return Err(Diagnostic::error(
                "Registry replication is full",
                format!("The registry already holds {} replication rules of other stacks or tools; ECR allows {MAX_RULES}. Remove one, or replicate these prefixes with an existing rule.", current.len()),
            )
            .into());
        }
        let again = ecr
            .describe_registry()
            .send()
            .await
            .map_err(failed("ecr:DescribeRegistry"))?;
        let now: Vec<ReplicationRule> = again
            .replication_configuration()
            .map(|c| c.rules().to_vec())
            .unwrap_or_default();
        if now != current {
            tracing::info!("the registry's replication changed meanwhile; merging again");
            continue;
        }
        let config = ReplicationConfiguration::builder()
            .set_rules(Some(rules))
            .build()
            .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
        ecr.put_replication_configuration()
            .replication_configuration(config)
            .send()
            .await
            .map_err(failed("ecr:PutReplicationConfiguration"))?;
        return Ok(());
    }
    Err(Diagnostic::error(
        "Registry replication keeps changing",
        "Another stack or tool changed the registry's replication configuration during each of five attempts to merge this stack's rule. Apply again.",
    )
    .into())
}

fn rule(registry: &str, marker: &str, want: &Replication) -> Result<ReplicationRule> {
    let filters = want
        .prefixes
        .iter()
        .map(String::as_str)
        .chain([marker])
        .filter_map(|p| {
            RepositoryFilter::builder()
                .filter(p)
                .filter_type(RepositoryFilterType::PrefixMatch)
                .build()
                .ok()
        })
        .collect();
    let dest = ReplicationDestination::builder()
        .region(&want.region)
        .registry_id(registry)
        .build()
        .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
    ReplicationRule::builder()
        .destinations(dest)
        .set_repository_filters(Some(filters))
        .build()
        .map_err(|e| Diagnostic::error("Internal error", e.to_string()).into())
}

// ---- listing ----------------------------------------------------------------------

/// Every repository in the region, with its tags.
pub async fn list_repositories(ecr: &aws_sdk_ecr::Client) -> Result<Vec<super::Listed>> {
    let mut pages = ecr.describe_repositories().into_paginator().send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("ecr:DescribeRepositories"))?;
        for repo in page.repositories() {
            let tags = match ecr
                .list_tags_for_resource()
                .resource_arn(repo.repository_arn().unwrap_or_default())
                .send()
                .await
            {
                Ok(out) => out
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect(),
                // Deleted while the list was read.
                Err(e) if is(&e, &["RepositoryNotFoundException"]) => continue,
                Err(e) => return Err(error("ecr:ListTagsForResource", &e).into()),
            };
            found.push(super::Listed {
                key: repo.repository_name().unwrap_or_default().to_owned(),
                tags,
            });
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    //! Another stack writing the registry's rules between this stack's read
    //! and write is a timing no emulator run can pin: mocked here. Rules
    //! beside other stacks' run through the CLI in `tests/stacks.rs`.

    use super::*;
    use aws_sdk_ecr::operation::describe_registry::DescribeRegistryOutput;
    use aws_sdk_ecr::operation::put_replication_configuration::PutReplicationConfigurationOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn registry(rules: Vec<ReplicationRule>) -> DescribeRegistryOutput {
        DescribeRegistryOutput::builder()
            .registry_id("123456789012")
            .replication_configuration(
                ReplicationConfiguration::builder()
                    .set_rules(Some(rules))
                    .build()
                    .unwrap(),
            )
            .build()
    }

    fn want(region: &str, prefix: &str) -> Replication {
        Replication {
            region: region.into(),
            prefixes: BTreeSet::from([prefix.to_owned()]),
        }
    }

    /// moto keeps a single replication rule, so the merge of several
    /// stacks' rules, identical ones included, is tested here.
    #[tokio::test]
    async fn each_stack_changes_only_its_own_rule() {
        let ours = replication_marker("s3://b/a.tfstate@dev", "dr");
        let theirs = replication_marker("s3://b/b.tfstate@dev", "dr");
        assert_ne!(ours, theirs);
        // Another stack replicates exactly the same prefix to the same region.
        let other = rule("123456789012", &theirs, &want("eu-central-1", "onto/")).unwrap();
        let both = vec![
            other.clone(),
            rule("123456789012", &ours, &want("eu-central-1", "onto/")).unwrap(),
        ];
        let (o1, o2, b1, b2) = (other.clone(), other.clone(), both.clone(), both.clone());
        let describe = mock!(aws_sdk_ecr::Client::describe_registry)
            .sequence()
            .output(move || registry(vec![o1.clone()]))
            .times(2)
            .output(move || registry(b1.clone()))
            .times(2)
            .build();
        let add = mock!(aws_sdk_ecr::Client::put_replication_configuration)
            .match_requests(move |r| {
                r.replication_configuration().map(|c| c.rules()) == Some(&b2[..])
            })
            .then_output(|| PutReplicationConfigurationOutput::builder().build());
        let remove = mock!(aws_sdk_ecr::Client::put_replication_configuration)
            .match_requests(move |r| {
                r.replication_configuration().map(|c| c.rules().to_vec()) == Some(vec![o2.clone()])
            })
            .then_output(|| PutReplicationConfigurationOutput::builder().build());
        let ecr = mock_client!(aws_sdk_ecr, RuleMode::MatchAny, [&describe, &add, &remove]);
        put_replication(&ecr, &ours, Some(&want("eu-central-1", "onto/")))
            .await
            .expect("added beside the identical rule of the other stack");
        put_replication(&ecr, &ours, None)
            .await
            .expect("removed; the other stack's identical rule kept");
        assert_eq!((add.num_calls(), remove.num_calls()), (1, 1));
        assert_eq!(marker_of(&other), Some(theirs.as_str()));
    }
}
