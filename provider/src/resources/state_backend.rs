//! `onto_state_backend`: the S3 bucket and DynamoDB lock table behind
//! Terraform's `s3` backend, with the settings a state store needs enforced
//! (and shown as drift when someone weakens them).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, PointInTimeRecoverySpecification,
    ScalarAttributeType, TableStatus,
};
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus,
    CreateBucketConfiguration, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tagging, VersioningConfiguration,
};
use serde::Deserialize;
use serde_json::json;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::plan::timeout;
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::validate::{int_between, Validator};
use tfplugin::value::{typed, AttributePath, Type, Value};
use tfplugin::Stop;

use crate::aws::{self, wait_until, Aws, Poll};
use crate::shared::Shared;
use crate::{tags, validators};

const TYPE: &str = "onto_state_backend";
const LIFECYCLE_RULE_ID: &str = "onto-expire-noncurrent-state";
const TLS_SID: &str = "onto-deny-insecure-transport";

pub struct StateBackend(pub Shared);

/// Enforced settings are booleans that must stay true; the attribute exists
/// so that weakening them out of band shows up as drift, and is repaired.
struct MustBeTrue(&'static str);

impl Validator for MustBeTrue {
    fn description(&self) -> String {
        "true".into()
    }

    fn validate(
        &self,
        path: &AttributePath,
        value: &Value,
        diags: &mut tfplugin::diag::Diagnostics,
    ) {
        if value.as_bool() == Some(false) {
            diags.error_at(path.clone(), "Setting cannot be turned off", self.0);
        }
    }
}

// ---- schema ----------------------------------------------------------------

fn schema() -> Schema {
    Schema::new(
        Block::new()
            .describe("Storage for Terraform state: a versioned, encrypted, private, TLS-only S3 bucket with expiry of old state versions, and a DynamoDB lock table (on-demand, point-in-time recovery, deletion protection in prod). `backend_config` is ready for `terraform init -backend-config=...`.")
            .attribute(Attribute::string("bucket").required().requires_replace().validate(validators::s3_bucket_name()).describe("Bucket name (globally unique)."))
            .attribute(Attribute::string("region").optional().computed().requires_replace().use_state_for_unknown().validate(validators::region()).describe("Region; defaults to the provider's."))
            .attribute(Attribute::string("lock_table").optional().computed().requires_replace().use_state_for_unknown().describe("DynamoDB lock table name; default `<bucket>-lock`."))
            .attribute(Attribute::string("kms_key_arn").optional().validate(validators::kms_key()).describe("Encrypt with this KMS key (SSE-KMS); SSE-S3 (AES256) when omitted."))
            .attribute(Attribute::number("noncurrent_version_expiration_days").default(90).validate(int_between(1, 3650)).describe("Delete old state versions after this many days. Default 90."))
            .attribute(Attribute::bool("versioning").default(true).validate(MustBeTrue("State buckets are always versioned.")).describe("Always true: state buckets are versioned. Shows drift if versioning is suspended outside Terraform."))
            .attribute(Attribute::bool("public_access_blocked").default(true).validate(MustBeTrue("State buckets always block public access.")).describe("Always true: every public access block setting is on."))
            .attribute(Attribute::bool("tls_only").default(true).describe("The bucket policy denies requests without TLS. Can be false only when the provider talks to a plain-HTTP endpoint (a local emulator), where TLS cannot exist."))
            .attribute(Attribute::bool("point_in_time_recovery").default(true).describe("Point-in-time recovery for the lock table. Default true."))
            .attribute(Attribute::bool("deletion_protection").optional().computed().describe("Deletion protection of the lock table; defaults to true in prod, false elsewhere."))
            .attribute(Attribute::bool("force_destroy").default(false).describe("Destroy even when the bucket holds state. Refused in prod unless `allow_prod_force_destroy` is set."))
            .attribute(Attribute::bool("allow_prod_force_destroy").default(false).describe("Explicit override that permits destroying a prod state backend."))
            .attribute(Attribute::new("tags", Type::map(Type::String)).optional().validate(validators::TagKeys).describe("Tags for the bucket and the table."))
            .attribute(Attribute::new("tags_all", Type::map(Type::String)).computed().describe("All tags, including `default_tags` and the onto tags."))
            .attribute(Attribute::string("bucket_arn").computed().use_state_for_unknown().describe("Bucket ARN."))
            .attribute(Attribute::string("lock_table_arn").computed().use_state_for_unknown().describe("Lock table ARN."))
            .attribute(Attribute::new("backend_config", Type::map(Type::String)).computed().describe("Settings for the `s3` backend: `bucket`, `region`, `dynamodb_table`, `use_lockfile`, `encrypt` and `kms_key_id` when set. Write them to a file for `terraform init -backend-config=FILE`."))
            .timeouts(&["create", "delete"]),
    )
}

#[derive(Deserialize)]
struct Model {
    bucket: String,
    region: Option<String>,
    lock_table: Option<String>,
    kms_key_arn: Option<String>,
    noncurrent_version_expiration_days: Option<i32>,
    tls_only: Option<bool>,
    point_in_time_recovery: Option<bool>,
    deletion_protection: Option<bool>,
    tags: Option<BTreeMap<String, String>>,
}

fn model(v: &Value) -> Result<Model> {
    typed::from_value(v)
        .map_err(|e| Diagnostic::error("Invalid onto_state_backend value", e.to_string()).into())
}

/// What AWS holds.
#[derive(Default)]
struct Remote {
    versioning: bool,
    kms_key_arn: Option<String>,
    public_access_blocked: bool,
    tls_only: bool,
    expiration_days: Option<i32>,
    bucket_tags: BTreeMap<String, String>,
    table_arn: Option<String>,
    pitr: bool,
    deletion_protection: bool,
}

fn lock_table_name(bucket: &str, given: Option<&str>) -> String {
    given.map_or_else(|| format!("{bucket}-lock"), str::to_owned)
}

fn backend_config(
    bucket: &str,
    region: &str,
    table: &str,
    kms: Option<&str>,
) -> BTreeMap<String, String> {
    let mut m = BTreeMap::from([
        ("bucket".to_owned(), bucket.to_owned()),
        ("region".to_owned(), region.to_owned()),
        ("dynamodb_table".to_owned(), table.to_owned()),
        ("use_lockfile".to_owned(), "true".to_owned()),
        ("encrypt".to_owned(), "true".to_owned()),
    ]);
    if let Some(k) = kms {
        m.insert("kms_key_id".to_owned(), k.to_owned());
    }
    m
}

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

// ---- reading -----------------------------------------------------------------

/// Reads bucket and table. `None` when the bucket is gone.
async fn describe(aws: &Aws, region: &str, bucket: &str, table: &str) -> Result<Option<Remote>> {
    let s3 = aws.s3(region);
    match s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error().is_some_and(|s| s.is_not_found())
                || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(aws::error("s3:HeadBucket", &e).into()),
    }
    let mut r = Remote {
        versioning: versioning_enabled(&s3, bucket).await?,
        ..Remote::default()
    };
    match s3.get_bucket_encryption().bucket(bucket).send().await {
        Ok(out) => {
            let rule = out
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default());
            r.kms_key_arn = rule
                .filter(|d| d.sse_algorithm() == &ServerSideEncryption::AwsKms)
                .and_then(|d| d.kms_master_key_id())
                .map(str::to_owned);
        }
        Err(e) if aws::code(&e) == Some("ServerSideEncryptionConfigurationNotFoundError") => {}
        Err(e) => return Err(aws::error("s3:GetBucketEncryption", &e).into()),
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
        Err(e) if aws::code(&e) == Some("NoSuchPublicAccessBlockConfiguration") => {}
        Err(e) => return Err(aws::error("s3:GetPublicAccessBlock", &e).into()),
    }
    match s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => {
            r.tls_only = out
                .policy()
                .is_some_and(|p| p.contains(TLS_SID) && p.contains("aws:SecureTransport"))
        }
        Err(e) if aws::code(&e) == Some("NoSuchBucketPolicy") => {}
        Err(e) => return Err(aws::error("s3:GetBucketPolicy", &e).into()),
    }
    match s3
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => {
            r.expiration_days = out
                .rules()
                .iter()
                .find(|rule| {
                    rule.id() == Some(LIFECYCLE_RULE_ID)
                        && rule.status() == &ExpirationStatus::Enabled
                })
                .and_then(|rule| rule.noncurrent_version_expiration())
                .and_then(|n| n.noncurrent_days());
        }
        Err(e) if aws::code(&e) == Some("NoSuchLifecycleConfiguration") => {}
        Err(e) => return Err(aws::error("s3:GetBucketLifecycleConfiguration", &e).into()),
    }
    match s3.get_bucket_tagging().bucket(bucket).send().await {
        Ok(out) => {
            r.bucket_tags = out
                .tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect()
        }
        Err(e) if aws::code(&e) == Some("NoSuchTagSet") => {}
        Err(e) => return Err(aws::error("s3:GetBucketTagging", &e).into()),
    }
    let ddb = aws.dynamodb(region);
    match ddb.describe_table().table_name(table).send().await {
        Ok(out) => {
            let t = out.table();
            r.table_arn = t.and_then(|t| t.table_arn()).map(str::to_owned);
            r.deletion_protection = t
                .and_then(|t| t.deletion_protection_enabled())
                .unwrap_or(false);
            let backups = ddb
                .describe_continuous_backups()
                .table_name(table)
                .send()
                .await
                .map_err(|e| aws::error("dynamodb:DescribeContinuousBackups", &e))?;
            r.pitr = backups
                .continuous_backups_description()
                .and_then(|d| d.point_in_time_recovery_description())
                .and_then(|p| p.point_in_time_recovery_status())
                .is_some_and(|s| s.as_str() == "ENABLED");
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => return Err(aws::error("dynamodb:DescribeTable", &e).into()),
    }
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
                None => Err(aws::error("s3:GetBucketVersioning", &e).into()),
            }
        }
    }
}

fn state(aws: &Aws, region: &str, m: &Model, r: &Remote, known: &Value) -> Result<Value> {
    let table = lock_table_name(&m.bucket, m.lock_table.as_deref());
    let user_tags: BTreeMap<String, String> = m.tags.clone().unwrap_or_default();
    let view = tags::user_view(aws, &user_tags, &r.bucket_tags);
    let user_tags_view = if view.is_empty() && known.get("tags").is_null() {
        None
    } else {
        Some(view)
    };
    let value = json!({
        "bucket": m.bucket,
        "region": region,
        "lock_table": table,
        "kms_key_arn": r.kms_key_arn,
        "noncurrent_version_expiration_days": r.expiration_days,
        "versioning": r.versioning,
        "public_access_blocked": r.public_access_blocked,
        "tls_only": r.tls_only,
        "point_in_time_recovery": r.pitr,
        "deletion_protection": r.deletion_protection,
        "force_destroy": known.get("force_destroy").as_bool().unwrap_or(false),
        "allow_prod_force_destroy": known.get("allow_prod_force_destroy").as_bool().unwrap_or(false),
        "tags": user_tags_view,
        "tags_all": r.bucket_tags,
        "bucket_arn": format!("arn:{}:s3:::{}", aws::partition(region), m.bucket),
        "lock_table_arn": r.table_arn,
        "backend_config": backend_config(&m.bucket, region, &table, r.kms_key_arn.as_deref()),
    });
    let mut v = typed::to_value(&value, &schema().ty())
        .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
    v.set("timeouts", known.get("timeouts").clone());
    Ok(v)
}

// ---- writing -----------------------------------------------------------------

/// Applies every bucket setting (each call is idempotent).
async fn converge_bucket(aws: &Aws, region: &str, m: &Model) -> Result<()> {
    let s3 = aws.s3(region);
    let b = m.bucket.as_str();
    // A bucket just created may not be visible to every S3 front end yet.
    let settle = ["NoSuchBucket"];
    let limit = Duration::from_secs(60);
    aws::retry_eventual(&settle, limit, || {
        s3.put_bucket_versioning()
            .bucket(b)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
    })
    .await
    .map_err(|e| aws::error("s3:PutBucketVersioning", &e))?;
    let mut default = ServerSideEncryptionByDefault::builder();
    default = match &m.kms_key_arn {
        Some(k) => default
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .kms_master_key_id(k),
        None => default.sse_algorithm(ServerSideEncryption::Aes256),
    };
    let default = default
        .build()
        .map_err(|e| Diagnostic::error("Invalid encryption settings", e.to_string()))?;
    let sse = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(default)
                .bucket_key_enabled(m.kms_key_arn.is_some())
                .build(),
        )
        .build()
        .map_err(|e| Diagnostic::error("Invalid encryption settings", e.to_string()))?;
    s3.put_bucket_encryption()
        .bucket(b)
        .server_side_encryption_configuration(sse)
        .send()
        .await
        .map_err(|e| aws::error("s3:PutBucketEncryption", &e))?;
    s3.put_public_access_block()
        .bucket(b)
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
        .map_err(|e| aws::error("s3:PutPublicAccessBlock", &e))?;
    if m.tls_only.unwrap_or(true) {
        s3.put_bucket_policy()
            .bucket(b)
            .policy(tls_policy(b, aws::partition(region)))
            .send()
            .await
            .map_err(|e| aws::error("s3:PutBucketPolicy", &e))?;
    } else {
        match s3.delete_bucket_policy().bucket(b).send().await {
            Ok(_) => {}
            Err(e) if aws::code(&e) == Some("NoSuchBucketPolicy") => {}
            Err(e) => return Err(aws::error("s3:DeleteBucketPolicy", &e).into()),
        }
    }
    let days = m.noncurrent_version_expiration_days.unwrap_or(90);
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
        .map_err(|e| Diagnostic::error("Invalid lifecycle settings", e.to_string()))?;
    s3.put_bucket_lifecycle_configuration()
        .bucket(b)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(rule)
                .build()
                .map_err(|e| Diagnostic::error("Invalid lifecycle settings", e.to_string()))?,
        )
        .send()
        .await
        .map_err(|e| aws::error("s3:PutBucketLifecycleConfiguration", &e))?;
    let all = tags::desired(
        aws,
        &aws.environment,
        TYPE,
        b,
        &m.tags.clone().unwrap_or_default(),
    );
    let tag_set: Vec<_> = all
        .iter()
        .filter_map(|(k, v)| {
            aws_sdk_s3::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .ok()
        })
        .collect();
    s3.put_bucket_tagging()
        .bucket(b)
        .tagging(
            Tagging::builder()
                .set_tag_set(Some(tag_set))
                .build()
                .map_err(|e| Diagnostic::error("Invalid tags", e.to_string()))?,
        )
        .send()
        .await
        .map_err(|e| aws::error("s3:PutBucketTagging", &e))?;
    Ok(())
}

async fn wait_table_active(
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
            .map_err(|e| Diagnostics::from(aws::error("dynamodb:DescribeTable", &e)))?;
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

/// Creates the lock table, or brings an existing one to the settings:
/// deletion protection, tags and point-in-time recovery. When `creating`,
/// an existing table must carry this backend's ownership tags.
async fn converge_table(
    aws: &Aws,
    region: &str,
    m: &Model,
    limit: Duration,
    stop: &Stop,
    creating: bool,
) -> Result<()> {
    use aws_sdk_dynamodb::types::Tag;
    let ddb = aws.dynamodb(region);
    let table = lock_table_name(&m.bucket, m.lock_table.as_deref());
    let protect = m.deletion_protection.unwrap_or(aws.is_prod());
    let all = tags::desired(
        aws,
        &aws.environment,
        TYPE,
        &m.bucket,
        &m.tags.clone().unwrap_or_default(),
    );
    let to_tags = |t: &BTreeMap<String, String>| -> Vec<Tag> {
        t.iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect()
    };
    let existing = match ddb.describe_table().table_name(&table).send().await {
        Ok(out) => out
            .table()
            .map(|t| t.deletion_protection_enabled().unwrap_or(false)),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            None
        }
        Err(e) => return Err(aws::error("dynamodb:DescribeTable", &e).into()),
    };
    match existing {
        None => {
            let key = |e: aws_smithy_types::error::operation::BuildError| {
                Diagnostic::error("Invalid table", e.to_string())
            };
            ddb.create_table()
                .table_name(&table)
                .billing_mode(BillingMode::PayPerRequest)
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name("LockID")
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                        .map_err(key)?,
                )
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name("LockID")
                        .key_type(KeyType::Hash)
                        .build()
                        .map_err(key)?,
                )
                .deletion_protection_enabled(protect)
                .set_tags(Some(to_tags(&all)))
                .send()
                .await
                .map_err(|e| aws::error("dynamodb:CreateTable", &e))?;
            wait_table_active(&ddb, &table, limit, stop).await?;
        }
        Some(protected) => {
            let arn = wait_table_active(&ddb, &table, limit, stop).await?;
            let current: BTreeMap<String, String> = ddb
                .list_tags_of_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map_err(|e| aws::error("dynamodb:ListTagsOfResource", &e))?
                .tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect();
            if creating && !tags::owned(aws, &aws.environment, TYPE, &m.bucket, &current) {
                return Err(Diagnostic::error(
                    "Lock table already exists",
                    format!("A DynamoDB table named {table:?} exists and was not created by this configuration. Choose another lock_table or import the backend."),
                )
                .at(AttributePath::attr("lock_table"))
                .into());
            }
            if protected != protect {
                ddb.update_table()
                    .table_name(&table)
                    .deletion_protection_enabled(protect)
                    .send()
                    .await
                    .map_err(|e| aws::error("dynamodb:UpdateTable", &e))?;
            }
            let (remove, set) = tags::diff(&current, &all);
            if !remove.is_empty() {
                ddb.untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(remove))
                    .send()
                    .await
                    .map_err(|e| aws::error("dynamodb:UntagResource", &e))?;
            }
            if !set.is_empty() {
                ddb.tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(to_tags(&set)))
                    .send()
                    .await
                    .map_err(|e| aws::error("dynamodb:TagResource", &e))?;
            }
        }
    }
    ddb.update_continuous_backups()
        .table_name(&table)
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(m.point_in_time_recovery.unwrap_or(true))
                .build()
                .map_err(|e| Diagnostic::error("Invalid table", e.to_string()))?,
        )
        .send()
        .await
        .map_err(|e| aws::error("dynamodb:UpdateContinuousBackups", &e))?;
    Ok(())
}

/// Brings bucket and table to the plan and returns the resulting state.
async fn converge(
    aws: &Aws,
    region: &str,
    m: &Model,
    req: &ApplyRequest,
    limit: Duration,
    creating: bool,
) -> Result<Value> {
    converge_bucket(aws, region, m).await?;
    converge_table(aws, region, m, limit, &req.stop, creating).await?;
    let table = lock_table_name(&m.bucket, m.lock_table.as_deref());
    let remote = describe(aws, region, &m.bucket, &table)
        .await?
        .ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Bucket vanished",
                "The state bucket disappeared during apply.",
            ))
        })?;
    state(aws, region, m, &remote, &req.planned)
}

/// Deletes every object version and delete marker, in pages.
async fn empty_bucket(aws: &Aws, region: &str, bucket: &str) -> Result<()> {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let s3 = aws.s3(region);
    loop {
        let page = s3
            .list_object_versions()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| aws::error("s3:ListObjectVersions", &e))?;
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
            .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
        let out = s3
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| aws::error("s3:DeleteObjects", &e))?;
        // A refused key would be listed again forever: stop and say which.
        if let Some(err) = out.errors().first() {
            return Err(Diagnostic::error(
                "Cannot empty the state bucket",
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

async fn object_count(aws: &Aws, region: &str, bucket: &str) -> Result<usize> {
    let out = aws
        .s3(region)
        .list_object_versions()
        .bucket(bucket)
        .max_keys(1000)
        .send()
        .await
        .map_err(|e| aws::error("s3:ListObjectVersions", &e))?;
    Ok(out.versions().len() + out.delete_markers().len())
}

// ---- create / read / update / delete ------------------------------------------

#[async_trait]
impl Resource for StateBackend {
    fn type_name(&self) -> &str {
        TYPE
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn modify_plan(&self, req: &mut PlanRequest) -> Result<()> {
        let Some(aws) = self.0.get() else {
            return Ok(());
        };
        if req.plan.is_null() {
            // Destroying: a prod backend needs the explicit override.
            let allowed = req.prior.get("allow_prod_force_destroy").as_bool() == Some(true);
            if aws.is_prod() && !allowed {
                return Err(Diagnostic::error(
                    "Refusing to destroy a prod state backend",
                    "This backend holds the prod environment's Terraform state. Set allow_prod_force_destroy = true (and force_destroy = true if it holds state) and apply before destroying.",
                )
                .into());
            }
            return Ok(());
        }
        let force = req.plan.get("force_destroy").as_bool() == Some(true);
        let allowed = req.plan.get("allow_prod_force_destroy").as_bool() == Some(true);
        if aws.is_prod() && force && !allowed {
            return Err(Diagnostic::error(
                "force_destroy refused in prod",
                "force_destroy would delete the prod state with the bucket. Set allow_prod_force_destroy = true to confirm.",
            )
            .at(AttributePath::attr("force_destroy"))
            .into());
        }
        if req.plan.get("tls_only").as_bool() == Some(false) && !aws.plain_http_endpoint("s3") {
            return Err(Diagnostic::error(
                "tls_only cannot be turned off",
                "State buckets deny requests without TLS. tls_only = false is accepted only when the provider's S3 endpoint is a plain-HTTP emulator.",
            )
            .at(AttributePath::attr("tls_only"))
            .into());
        }
        if req.plan.get("region").is_unknown() && req.config.get("region").is_null() {
            req.plan.set("region", aws.region.clone());
        }
        if req.plan.get("deletion_protection").is_unknown()
            && req.config.get("deletion_protection").is_null()
        {
            req.plan.set("deletion_protection", aws.is_prod());
        }
        let Some(bucket) = req.plan.get("bucket").as_str().map(str::to_owned) else {
            return Ok(());
        };
        if req.plan.get("lock_table").is_unknown() && req.config.get("lock_table").is_null() {
            req.plan.set("lock_table", format!("{bucket}-lock"));
        }
        let (region, table, kms) = (
            req.plan.get("region").clone(),
            req.plan.get("lock_table").clone(),
            req.plan.get("kms_key_arn").clone(),
        );
        if let (Some(region), Some(table), false) =
            (region.as_str(), table.as_str(), kms.is_unknown())
        {
            let cfg = backend_config(&bucket, region, table, kms.as_str());
            req.plan.set(
                "backend_config",
                Value::Map(
                    cfg.into_iter()
                        .map(|(k, v)| (k, Value::String(v)))
                        .collect(),
                ),
            );
        }
        tags::plan_tags_all(aws, &aws.environment, TYPE, &bucket, &mut req.plan);
        Ok(())
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m = model(&req.planned)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let s3 = aws.s3(&region);
        // In us-east-1 S3 answers CreateBucket on a bucket you own with
        // success, so look first: an existing bucket must be ours to adopt.
        let exists = match s3.head_bucket().bucket(&m.bucket).send().await {
            Ok(_) => true,
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => false,
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => {
                return Err(Diagnostic::error("Bucket name taken", format!("The bucket name {:?} belongs to another AWS account; bucket names are global.", m.bucket))
                    .at(AttributePath::attr("bucket"))
                    .into());
            }
            Err(e) => return Err(aws::error("s3:HeadBucket", &e).into()),
        };
        if exists {
            let tags: BTreeMap<String, String> =
                match s3.get_bucket_tagging().bucket(&m.bucket).send().await {
                    Ok(out) => out
                        .tag_set()
                        .iter()
                        .map(|t| (t.key().to_owned(), t.value().to_owned()))
                        .collect(),
                    Err(_) => BTreeMap::new(),
                };
            if !tags::owned(aws, &aws.environment, TYPE, &m.bucket, &tags) {
                return Err(Diagnostic::error(
                    "Bucket already exists",
                    format!("Your account already has a bucket named {:?} that this configuration did not create. Import it: terraform import {TYPE}.<name> {}", m.bucket, m.bucket),
                )
                .at(AttributePath::attr("bucket"))
                .into());
            }
            tracing::info!(bucket = %m.bucket, "adopting a state bucket created by an interrupted apply");
        } else {
            let mut create = s3.create_bucket().bucket(&m.bucket);
            if region != "us-east-1" {
                create = create.create_bucket_configuration(
                    CreateBucketConfiguration::builder()
                        .location_constraint(BucketLocationConstraint::from(region.as_str()))
                        .build(),
                );
            }
            create
                .send()
                .await
                .map_err(|e| aws::error("s3:CreateBucket", &e))?;
        }
        let limit = timeout(&req.planned, "create", Duration::from_secs(600));
        let partial = |r: &Remote| state(aws, &region, &m, r, &req.planned);
        req.save_partial(partial(&Remote::default())?);
        converge(aws, &region, &m, req, limit, true).await
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let Some(aws) = self.0.get() else {
            return Ok(Some(req.state.clone()));
        };
        let m = model(&req.state)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let table = lock_table_name(&m.bucket, m.lock_table.as_deref());
        match describe(aws, &region, &m.bucket, &table).await? {
            Some(remote) => state(aws, &region, &m, &remote, &req.state).map(Some),
            None => Ok(None),
        }
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m = model(&req.planned)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "create", Duration::from_secs(600));
        converge(aws, &region, &m, req, limit, false).await
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let aws = self.0.require()?;
        let m = model(&req.prior)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let force = req.prior.get("force_destroy").as_bool() == Some(true);
        let table = lock_table_name(&m.bucket, m.lock_table.as_deref());
        let objects = match object_count(aws, &region, &m.bucket).await {
            Ok(n) => n,
            Err(_)
                if describe(aws, &region, &m.bucket, &table)
                    .await
                    .ok()
                    .flatten()
                    .is_none() =>
            {
                0
            }
            Err(e) => return Err(e),
        };
        if objects > 0 {
            if !force {
                return Err(Diagnostic::error(
                    "State bucket is not empty",
                    format!("{} holds {objects} object version(s) — Terraform state. Move the state elsewhere, or set force_destroy = true and apply before destroying.", m.bucket),
                )
                .into());
            }
            empty_bucket(aws, &region, &m.bucket).await?;
        }
        match aws
            .s3(&region)
            .delete_bucket()
            .bucket(&m.bucket)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if aws::code(&e) == Some("NoSuchBucket") => {}
            Err(e) => return Err(aws::error("s3:DeleteBucket", &e).into()),
        }
        let ddb = aws.dynamodb(&region);
        if req.prior.get("deletion_protection").as_bool() == Some(true) {
            // Destroying a protected (prod) table was confirmed at plan time.
            let _ = ddb
                .update_table()
                .table_name(&table)
                .deletion_protection_enabled(false)
                .send()
                .await;
        }
        match ddb.delete_table().table_name(&table).send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(aws::error("dynamodb:DeleteTable", &e).into()),
        }
    }

    /// Import ID: the bucket name, `REGION:BUCKET` for another region, and
    /// `,LOCK_TABLE` appended when the lock table is not `<bucket>-lock`.
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let (rest, lock_table) = match req.id.split_once(',') {
            Some((b, t)) => (b.to_owned(), Some(t.to_owned())),
            None => (req.id.clone(), None),
        };
        let (region, bucket) = match rest.split_once(':') {
            Some((r, b)) => (Some(r.to_owned()), b.to_owned()),
            None => (None, rest),
        };
        let mut v = Value::null_object(&schema().ty());
        v.set("bucket", bucket);
        v.set("region", region);
        v.set("lock_table", lock_table);
        v.set("force_destroy", false);
        v.set("allow_prod_force_destroy", false);
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
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
        let arn = wait_table_active(&ddb, "t", Duration::from_secs(60), &Stop::new())
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
        let err = wait_table_active(&ddb, "t", Duration::from_secs(30), &Stop::new())
            .await
            .unwrap_err();
        let d = err.iter().next().unwrap();
        assert!(
            d.summary.contains("lock table t") && d.detail.contains("creating"),
            "{d}"
        );
    }

    #[test]
    fn backend_config_covers_both_lock_methods() {
        let c = backend_config("b", "eu-west-1", "b-lock", None);
        assert_eq!(c["dynamodb_table"], "b-lock");
        assert_eq!(c["use_lockfile"], "true");
        assert!(!c.contains_key("kms_key_id"));
        assert!(backend_config("b", "r", "t", Some("arn:k")).contains_key("kms_key_id"));
    }
}
