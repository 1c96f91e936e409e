//! S3: buckets that hold Terraform state (create with ownership, harden,
//! read their settings, empty, delete) and a bucket's replication rules,
//! which several stacks may share.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus,
    CreateBucketConfiguration, Delete, DeleteMarkerReplication, DeleteMarkerReplicationStatus,
    Destination, ExpirationStatus, LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration,
    ObjectIdentifier, PublicAccessBlockConfiguration, ReplicationConfiguration, ReplicationRule,
    ReplicationRuleFilter, ReplicationRuleStatus, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tag, Tagging, VersioningConfiguration,
};
use aws_smithy_types::date_time::DateTime;
use serde_json::json;
use tfplugin::diag::{Diagnostic, Result};
use tfplugin::value::AttributePath;

use super::{error, failed, is, outcome, retry_eventual, single_attempt, Outcome};
use crate::ownership::{Existing, Owner};

fn internal(e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error("Internal error", e.to_string())
}

fn s3_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// Whether the bucket exists: `Some(true)` ours (this account),
/// `Some(false)` another account's, `None` absent.
pub async fn probe(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Option<bool>> {
    match s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(Some(true)),
        Err(e) => match e.raw_response().map(|r| r.status().as_u16()) {
            Some(404) => Ok(None),
            Some(403) => Ok(Some(false)),
            _ => Err(error("s3:HeadBucket", &e).into()),
        },
    }
}

pub async fn exists(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<bool> {
    Ok(probe(s3, bucket).await? == Some(true))
}

pub async fn tags(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<BTreeMap<String, String>> {
    match s3.get_bucket_tagging().bucket(bucket).send().await {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()),
        Err(e) if is(&e, &["NoSuchTagSet"]) => Ok(BTreeMap::new()),
        Err(e) => Err(error("s3:GetBucketTagging", &e).into()),
    }
}

/// When the bucket was created, from the bucket list.
async fn created_at(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Option<DateTime>> {
    let out = s3
        .list_buckets()
        .prefix(bucket)
        .send()
        .await
        .map_err(failed("s3:ListBuckets"))?;
    Ok(out
        .buckets()
        .iter()
        .find(|b| b.name() == Some(bucket))
        .and_then(|b| b.creation_date().cloned()))
}

/// A new bucket: where, and the tags it is born with.
pub struct NewBucket<'a> {
    pub name: &'a str,
    pub region: &'a str,
    pub tags: &'a BTreeMap<String, String>,
    /// What it is, for messages: "A state bucket".
    pub what: &'a str,
    /// The `terraform import` ID that would take an existing one over.
    pub import_id: Option<String>,
    pub attribute: &'a str,
}

/// Creates the bucket, tagged. An existing bucket of that name is adopted
/// only when it is this resource's own (its ownership tags, or — when a
/// create of ours lost its response before the bucket could be tagged —
/// a creation time after our first attempt); any other is refused. Bucket
/// names are global: another account's bucket is refused too.
pub async fn create_bucket(
    s3: &aws_sdk_s3::Client,
    new: &NewBucket<'_>,
    owner: &Owner,
) -> Result<()> {
    let refuse_taken = || -> tfplugin::diag::Diagnostics {
        Diagnostic::error(
            "Bucket name taken",
            format!(
                "The bucket name {:?} belongs to another AWS account; bucket names are global. Choose another.",
                new.name
            ),
        )
        .at(AttributePath::attr(new.attribute))
        .into()
    };
    match probe(s3, new.name).await? {
        Some(false) => return Err(refuse_taken()),
        Some(true) => return adopt(s3, new, owner, None).await,
        None => {}
    }
    // Allow for a clock that runs ahead of S3's.
    let first_attempt = DateTime::from(SystemTime::now() - Duration::from_secs(300));
    let mut sent = false;
    for attempt in 1..=5u32 {
        let mut config = CreateBucketConfiguration::builder().set_tags(Some(s3_tags(new.tags)));
        if new.region != "us-east-1" {
            config = config.location_constraint(BucketLocationConstraint::from(new.region));
        }
        let result = s3
            .create_bucket()
            .bucket(new.name)
            .create_bucket_configuration(config.build())
            .customize()
            .config_override(aws_sdk_s3::config::Builder::new().retry_config(single_attempt()))
            .send()
            .await;
        match result {
            Ok(_) => return Ok(()),
            Err(e) if is(&e, &["BucketAlreadyOwnedByYou"]) => {
                return adopt(s3, new, owner, sent.then_some(first_attempt)).await;
            }
            Err(e) if is(&e, &["BucketAlreadyExists"]) => return Err(refuse_taken()),
            Err(e) => match outcome(&e) {
                Outcome::Refused => return Err(error("s3:CreateBucket", &e).into()),
                Outcome::Unknown => {
                    sent = true;
                    tokio::time::sleep(Duration::from_millis(300 * u64::from(attempt))).await;
                    if exists(s3, new.name).await? {
                        return adopt(s3, new, owner, Some(first_attempt)).await;
                    }
                }
                Outcome::NotDone => {
                    tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await
                }
            },
        }
    }
    Err(Diagnostic::error(
        "AWS s3:CreateBucket failed",
        format!("{} could not be created after five attempts.", new.name),
    )
    .into())
}

/// An existing bucket of ours: tagged as this resource's, or created since
/// `since` (a create of ours whose response was lost) and not tagged by
/// anyone else.
async fn adopt(
    s3: &aws_sdk_s3::Client,
    new: &NewBucket<'_>,
    owner: &Owner,
    since: Option<DateTime>,
) -> Result<()> {
    let tags = tags(s3, new.name).await?;
    if let Some(since) = since.filter(|_| tags.is_empty()) {
        if created_at(s3, new.name)
            .await?
            .is_some_and(|c| c.secs() >= since.secs())
        {
            tracing::info!(bucket = %new.name, "adopting the bucket of a create whose response was lost");
            return Ok(());
        }
    }
    owner.adopt(&Existing {
        what: new.what,
        id: new.name,
        region: "global",
        tags: Some(&tags),
        import_id: new.import_id.clone(),
        attribute: new.attribute,
    })
}

/// What a state bucket must be: versioned, encrypted, private, TLS-only,
/// old versions expired, tagged.
pub struct Hardening<'a> {
    pub kms_key: Option<&'a str>,
    pub tls_only: bool,
    /// Days after which noncurrent versions expire (`None`: never).
    pub noncurrent_expiration_days: Option<i32>,
    pub tags: &'a BTreeMap<String, String>,
}

/// The lifecycle rule onto manages on a state bucket.
pub const LIFECYCLE_RULE_ID: &str = "onto-expire-noncurrent-state";
/// The bucket policy statement that denies requests without TLS.
pub const TLS_SID: &str = "onto-deny-insecure-transport";

fn tls_policy(bucket: &str, partition: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": TLS_SID,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [format!("arn:{partition}:s3:::{bucket}"), format!("arn:{partition}:s3:::{bucket}/*")],
            "Condition": { "Bool": { "aws:SecureTransport": "false" } },
        }],
    })
    .to_string()
}

/// Applies every setting of `h` (each call is idempotent).
pub async fn harden(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    partition: &str,
    h: &Hardening<'_>,
) -> Result<()> {
    // A bucket just created may not be visible to every S3 front end yet.
    retry_eventual(&["NoSuchBucket"], Duration::from_secs(60), || {
        s3.put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
    })
    .await
    .map_err(failed("s3:PutBucketVersioning"))?;
    let default = match h.kms_key {
        Some(k) => ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .kms_master_key_id(k),
        None => {
            ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256)
        }
    }
    .build()
    .map_err(internal)?;
    let sse = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(default)
                .bucket_key_enabled(h.kms_key.is_some())
                .build(),
        )
        .build()
        .map_err(internal)?;
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(sse)
        .send()
        .await
        .map_err(failed("s3:PutBucketEncryption"))?;
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .map_err(failed("s3:PutPublicAccessBlock"))?;
    if h.tls_only {
        s3.put_bucket_policy()
            .bucket(bucket)
            .policy(tls_policy(bucket, partition))
            .send()
            .await
            .map_err(failed("s3:PutBucketPolicy"))?;
    } else {
        match s3.delete_bucket_policy().bucket(bucket).send().await {
            Ok(_) => {}
            Err(e) if is(&e, &["NoSuchBucketPolicy"]) => {}
            Err(e) => return Err(error("s3:DeleteBucketPolicy", &e).into()),
        }
    }
    if let Some(days) = h.noncurrent_expiration_days {
        let rule = LifecycleRule::builder()
            .id(LIFECYCLE_RULE_ID)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(days)
                    .build(),
            )
            .build()
            .map_err(internal)?;
        s3.put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .rules(rule)
                    .build()
                    .map_err(internal)?,
            )
            .send()
            .await
            .map_err(failed("s3:PutBucketLifecycleConfiguration"))?;
    }
    s3.put_bucket_tagging()
        .bucket(bucket)
        .tagging(
            Tagging::builder()
                .set_tag_set(Some(s3_tags(h.tags)))
                .build()
                .map_err(internal)?,
        )
        .send()
        .await
        .map_err(failed("s3:PutBucketTagging"))?;
    Ok(())
}

/// A state bucket's settings as AWS holds them.
#[derive(Default)]
pub struct Settings {
    pub versioning: bool,
    pub kms_key: Option<String>,
    pub public_access_blocked: bool,
    pub tls_only: bool,
    pub noncurrent_expiration_days: Option<i32>,
    pub tags: BTreeMap<String, String>,
}

/// Reads the settings [`harden`] applies. `None` when the bucket is gone.
pub async fn settings(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Option<Settings>> {
    if probe(s3, bucket).await?.is_none() {
        return Ok(None);
    }
    let mut r = Settings {
        versioning: versioning_enabled(s3, bucket).await?,
        ..Settings::default()
    };
    match s3.get_bucket_encryption().bucket(bucket).send().await {
        Ok(out) => {
            let rule = out
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default());
            r.kms_key = rule
                .filter(|d| d.sse_algorithm() == &ServerSideEncryption::AwsKms)
                .and_then(|d| d.kms_master_key_id())
                .map(str::to_owned);
        }
        Err(e) if is(&e, &["ServerSideEncryptionConfigurationNotFoundError"]) => {}
        Err(e) => return Err(error("s3:GetBucketEncryption", &e).into()),
    }
    match s3.get_public_access_block().bucket(bucket).send().await {
        Ok(out) => {
            r.public_access_blocked = out.public_access_block_configuration().is_some_and(|c| {
                c.block_public_acls() == Some(true)
                    && c.ignore_public_acls() == Some(true)
                    && c.block_public_policy() == Some(true)
                    && c.restrict_public_buckets() == Some(true)
            });
        }
        Err(e) if is(&e, &["NoSuchPublicAccessBlockConfiguration"]) => {}
        Err(e) => return Err(error("s3:GetPublicAccessBlock", &e).into()),
    }
    match s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => {
            r.tls_only = out
                .policy()
                .is_some_and(|p| p.contains(TLS_SID) && p.contains("aws:SecureTransport"))
        }
        Err(e) if is(&e, &["NoSuchBucketPolicy"]) => {}
        Err(e) => return Err(error("s3:GetBucketPolicy", &e).into()),
    }
    match s3
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => {
            r.noncurrent_expiration_days = out
                .rules()
                .iter()
                .find(|rule| {
                    rule.id() == Some(LIFECYCLE_RULE_ID)
                        && rule.status() == &ExpirationStatus::Enabled
                })
                .and_then(|rule| rule.noncurrent_version_expiration())
                .and_then(|n| n.noncurrent_days());
        }
        Err(e) if is(&e, &["NoSuchLifecycleConfiguration"]) => {}
        Err(e) => return Err(error("s3:GetBucketLifecycleConfiguration", &e).into()),
    }
    r.tags = tags(s3, bucket).await?;
    Ok(Some(r))
}

/// Whether versioning is enabled. Some S3-compatible endpoints answer with a
/// nonstandard root element that the SDK refuses; then the status is read
/// from the raw body of the successful response.
async fn versioning_enabled(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<bool> {
    match s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(v) => Ok(v.status() == Some(&BucketVersioningStatus::Enabled)),
        Err(e) => {
            let body = e
                .raw_response()
                .filter(|r| r.status().is_success())
                .and_then(|r| r.body().bytes());
            match body {
                Some(b) => Ok(String::from_utf8_lossy(b).contains("<Status>Enabled</Status>")),
                None => Err(error("s3:GetBucketVersioning", &e).into()),
            }
        }
    }
}

/// Object versions and delete markers held (up to 1,000 counted).
pub async fn object_count(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<usize> {
    match s3
        .list_object_versions()
        .bucket(bucket)
        .max_keys(1000)
        .send()
        .await
    {
        Ok(out) => Ok(out.versions().len() + out.delete_markers().len()),
        Err(e) if is(&e, &["NoSuchBucket"]) => Ok(0),
        Err(e) => Err(error("s3:ListObjectVersions", &e).into()),
    }
}

/// Deletes every object version and delete marker, in pages.
pub async fn empty(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<()> {
    loop {
        let page = match s3.list_object_versions().bucket(bucket).send().await {
            Ok(p) => p,
            Err(e) if is(&e, &["NoSuchBucket"]) => return Ok(()),
            Err(e) => return Err(error("s3:ListObjectVersions", &e).into()),
        };
        let ids: Vec<ObjectIdentifier> = page
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                page.delete_markers()
                    .iter()
                    .map(|d| (d.key(), d.version_id())),
            )
            .filter_map(|(k, v)| {
                ObjectIdentifier::builder()
                    .set_key(k.map(str::to_owned))
                    .set_version_id(v.map(str::to_owned))
                    .build()
                    .ok()
            })
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let delete = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(internal)?;
        let out = s3
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(failed("s3:DeleteObjects"))?;
        // A refused key would be listed again forever: stop and say which.
        if let Some(err) = out.errors().first() {
            return Err(Diagnostic::error(
                format!("Cannot empty {bucket}"),
                format!(
                    "S3 refused to delete {} ({}): {}",
                    err.key().unwrap_or("?"),
                    err.code().unwrap_or("?"),
                    err.message().unwrap_or("no message")
                ),
            )
            .into());
        }
    }
}

pub async fn delete_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<()> {
    match s3.delete_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["NoSuchBucket"]) => Ok(()),
        Err(e) => Err(error("s3:DeleteBucket", &e).into()),
    }
}

// ---- replication ------------------------------------------------------------
//
// A bucket has one replication configuration, with one IAM role, for all
// its rules. Each stack's rule has an id of its own (`onto-dr-<name>-<hash
// of the stack>`); a stack changes and removes only that rule.

/// The bucket's replication configuration, if any.
pub async fn replication(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Option<ReplicationConfiguration>> {
    match s3.get_bucket_replication().bucket(bucket).send().await {
        Ok(out) => Ok(out.replication_configuration().cloned()),
        Err(e)
            if is(
                &e,
                &["ReplicationConfigurationNotFoundError", "NoSuchBucket"],
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(error("s3:GetBucketReplication", &e).into()),
    }
}

/// Whether the bucket replicates with the rule `rule_id`.
pub async fn has_replication_rule(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    rule_id: &str,
) -> Result<bool> {
    Ok(replication(s3, bucket)
        .await?
        .is_some_and(|c| c.rules().iter().any(|r| r.id() == Some(rule_id))))
}

/// Puts this stack's rule (`dest` set: replicate everything to that bucket
/// ARN with `role`) or removes it (`None`), keeping every other rule. S3
/// allows one role per bucket: a bucket that replicates with another
/// role for other rules is refused rather than changed.
pub async fn put_replication_rule(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    rule_id: &str,
    role: &str,
    dest: Option<&str>,
) -> Result<()> {
    let current = replication(s3, bucket).await?;
    let mut rules: Vec<ReplicationRule> = current
        .as_ref()
        .map(|c| {
            c.rules()
                .iter()
                .filter(|r| r.id() != Some(rule_id))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if let (Some(c), true) = (&current, !rules.is_empty()) {
        if dest.is_some() && !c.role().is_empty() && c.role() != role {
            return Err(Diagnostic::error(
                "State bucket replicates with another role",
                format!("{bucket} already replicates with role {} for other rules; S3 allows one role per bucket. Give that role this resource's permissions, or remove the other rules.", c.role()),
            )
            .into());
        }
    }
    if let Some(dest) = dest {
        let priority = rules.iter().filter_map(|r| r.priority()).max().unwrap_or(0) + 1;
        rules.push(
            ReplicationRule::builder()
                .id(rule_id)
                .priority(priority)
                .status(ReplicationRuleStatus::Enabled)
                .filter(ReplicationRuleFilter::builder().prefix("").build())
                .delete_marker_replication(
                    DeleteMarkerReplication::builder()
                        .status(DeleteMarkerReplicationStatus::Enabled)
                        .build(),
                )
                .destination(
                    Destination::builder()
                        .bucket(dest)
                        .build()
                        .map_err(internal)?,
                )
                .build()
                .map_err(internal)?,
        );
    }
    if current.as_ref().map(|c| c.rules()) == Some(&rules[..]) {
        return Ok(());
    }
    if rules.is_empty() {
        if current.is_none() {
            return Ok(());
        }
        return match s3.delete_bucket_replication().bucket(bucket).send().await {
            Ok(_) => Ok(()),
            Err(e) if is(&e, &["NoSuchBucket"]) => Ok(()),
            Err(e) => Err(error("s3:DeleteBucketReplication", &e).into()),
        };
    }
    let role = if dest.is_some() {
        role.to_owned()
    } else {
        current.map(|c| c.role().to_owned()).unwrap_or_default()
    };
    let config = ReplicationConfiguration::builder()
        .role(role)
        .set_rules(Some(rules))
        .build()
        .map_err(internal)?;
    // A new role takes a moment before S3 accepts it.
    retry_eventual(
        &["InvalidArgument", "InvalidRequest"],
        Duration::from_secs(60),
        || {
            s3.put_bucket_replication()
                .bucket(bucket)
                .replication_configuration(config.clone())
                .send()
        },
    )
    .await
    .map_err(failed("s3:PutBucketReplication"))?;
    Ok(())
}

// ---- listing ----------------------------------------------------------------------

/// Every bucket in `region`, with its tags.
pub async fn list_buckets(s3: &aws_sdk_s3::Client, region: &str) -> Result<Vec<super::Listed>> {
    let mut pages = s3.list_buckets().into_paginator().send();
    let mut found = Vec::new();
    // A bucket deleted while the list is read, or one this caller may not
    // look at, is left out rather than ending the listing.
    let skip = ["NoSuchBucket", "AccessDenied"];
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("s3:ListBuckets"))?;
        for b in page.buckets() {
            let Some(name) = b.name() else { continue };
            let location = match s3.get_bucket_location().bucket(name).send().await {
                Ok(l) => l,
                Err(e) if is(&e, &skip) => continue,
                Err(e) => return Err(error("s3:GetBucketLocation", &e).into()),
            };
            // us-east-1 answers with no location constraint; the oldest
            // buckets in eu-west-1 with `EU`.
            let at = match location.location_constraint().map(|c| c.as_str()) {
                None | Some("") => "us-east-1",
                Some("EU") => "eu-west-1",
                Some(other) => other,
            };
            if at != region {
                continue;
            }
            let tags = match s3.get_bucket_tagging().bucket(name).send().await {
                Ok(out) => out
                    .tag_set()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect(),
                Err(e) if is(&e, &["NoSuchTagSet"]) => BTreeMap::new(),
                Err(e) if is(&e, &skip) => continue,
                Err(e) => return Err(error("s3:GetBucketTagging", &e).into()),
            };
            found.push(super::Listed {
                key: name.to_owned(),
                tags,
            });
        }
    }
    Ok(found)
}
