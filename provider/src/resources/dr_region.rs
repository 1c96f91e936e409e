//! `onto_dr_region`: a disaster-recovery region for one primary
//! environment, in one resource:
//! - ECR cross-region replication for given repository prefixes, merged
//!   into the registry's single replication configuration: rules other
//!   stacks own are never touched, and destroy removes only this rule;
//! - the database in the DR region: a cross-region read replica (default)
//!   or replicated automated backups (`db_mode = "backups"`);
//! - the Terraform state: a versioned DR bucket the state bucket replicates
//!   to (merged into the bucket's replication rules the same way), and a
//!   lock table in the DR region;
//! - recovery objectives estimated from live state (see `objectives.rs`)
//!   and checked against `rto_target` / `rpo_target` at plan time.
//!
//! One provider process serves both regions, so no provider alias is needed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecr::types::{
    ReplicationConfiguration as EcrReplication, ReplicationDestination, ReplicationRule as EcrRule,
    RepositoryFilter, RepositoryFilterType,
};
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    DeleteMarkerReplication, DeleteMarkerReplicationStatus, Destination,
    PublicAccessBlockConfiguration, ReplicationConfiguration as S3Replication,
    ReplicationRule as S3Rule, ReplicationRuleFilter, ReplicationRuleStatus, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use serde::Deserialize;
use serde_json::json;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::plan::timeout;
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::validate::{duration, one_of, parse_duration};
use tfplugin::value::{typed, AttributePath, Type, Value};

use crate::aws::rds;
use crate::aws::{self, Aws};
use crate::firewall::{self, Sources};
use crate::iam::{self, RoleSpec};
use crate::objectives::{self, Mode, Observed};
use crate::shared::Shared;
use crate::{tags, validators};

const TYPE: &str = "onto_dr_region";
const PORT: i32 = 5432;

pub struct DrRegion(pub Shared);

// ---- schema ----------------------------------------------------------------

fn schema() -> Schema {
    Schema::new(
        Block::new()
            .describe("A disaster-recovery region for a primary environment: ECR replication of its repositories (merged with other stacks' rules), a cross-region read replica of its database (or replicated automated backups), replication of its Terraform state bucket to a versioned DR bucket with a DR lock table, and recovery objectives estimated from live state and checked against targets at plan time.")
            .attribute(Attribute::string("name").required().requires_replace().validate(tfplugin::validate::length_between(1, 40)).describe("Names the DR objects (`<name>-db`, `<name>-state-replication`, ...)."))
            .attribute(Attribute::string("region").optional().computed().requires_replace().use_state_for_unknown().validate(validators::region()).describe("The primary region; defaults to the provider's."))
            .attribute(Attribute::string("dr_region").required().requires_replace().validate(validators::region()).describe("The DR region."))
            .attribute(Attribute::new("repository_prefixes", Type::list(Type::String)).optional().describe("ECR repository name prefixes to replicate (e.g. `onto/`)."))
            .attribute(Attribute::string("db_arn").optional().requires_replace().describe("ARN of the primary database (`onto_db.arn`)."))
            .attribute(Attribute::string("db_mode").default("replica").requires_replace().validate(one_of(&["replica", "backups"])).describe("`replica` (a cross-region read replica: seconds of lag, failover by promotion) or `backups` (replicated automated backups: cheaper, failover by restore)."))
            .attribute(Attribute::string("db_instance_class").optional().computed().use_state_for_unknown().describe("Replica instance class; the primary's when unset."))
            .attribute(Attribute::string("dr_kms_key").optional().requires_replace().validate(validators::kms_key()).describe("KMS key in the DR region for the replica or the replicated backups (the primary is always encrypted)."))
            .attribute(Attribute::new("dr_subnet_ids", Type::set(Type::String)).optional().requires_replace().describe("Database subnets in the DR region (replica mode)."))
            .attribute(Attribute::new("dr_allowed_cidr_blocks", Type::set(Type::String)).optional().validate(validators::CidrBlocks).describe("Who may reach the replica on 5432 (the DR network's private tier)."))
            .attribute(Attribute::string("state_bucket").optional().requires_replace().describe("The primary state bucket (`onto_state_backend.bucket`) to replicate."))
            .attribute(Attribute::string("state_lock_table").optional().requires_replace().describe("Name of the lock table to create in the DR region (the primary's name, so the backend configuration only changes region)."))
            .attribute(Attribute::bool("force_destroy").default(false).describe("Let destroy delete a DR state bucket that holds replicated state."))
            .attribute(Attribute::string("rto_target").default("15m").validate(duration()).describe("Recovery time objective. A configuration whose estimate exceeds it fails the plan."))
            .attribute(Attribute::string("rpo_target").default("1h").validate(duration()).describe("Recovery point objective. A configuration whose estimate exceeds it fails the plan."))
            .attribute(Attribute::new("tags", Type::map(Type::String)).optional().validate(validators::TagKeys).describe("Tags for every DR object."))
            .attribute(Attribute::new("tags_all", Type::map(Type::String)).computed().describe("All tags, including `default_tags` and the onto tags."))
            .attribute(Attribute::string("replica_id").computed().use_state_for_unknown().describe("The DR database instance id (replica mode)."))
            .attribute(Attribute::string("replica_arn").computed().use_state_for_unknown().describe("The DR database ARN."))
            .attribute(Attribute::string("replica_endpoint").computed().use_state_for_unknown().describe("The DR database `address:port` — where clients go after a failover."))
            .attribute(Attribute::bool("promoted").computed().describe("True once the replica was promoted (after `onto_dr_failover`)."))
            .attribute(Attribute::string("dr_bucket").computed().use_state_for_unknown().describe("The DR state bucket (`<state_bucket>-<dr_region>`)."))
            .attribute(Attribute::string("replication_role_arn").computed().use_state_for_unknown().describe("The role S3 replicates the state bucket with."))
            .attribute(Attribute::string("rpo_estimate").computed().describe("Estimated data loss of a failover now (replica lag, or age of the latest restorable time)."))
            .attribute(Attribute::string("rpo_source").computed().describe("What the RPO estimate rests on: measured lag, the latest restorable time, or the model's nominal value (and why)."))
            .attribute(Attribute::string("rto_estimate").computed().describe("Estimated time to fail over (promotion, or restore, plus repointing)."))
            .attribute(Attribute::bool("objectives_met").computed().describe("Whether both estimates are within their targets."))
            .timeouts(&["create", "delete"]),
    )
}

// ---- model -----------------------------------------------------------------

#[derive(Deserialize)]
struct Model {
    name: String,
    region: Option<String>,
    dr_region: String,
    repository_prefixes: Option<Vec<String>>,
    db_arn: Option<String>,
    #[serde(default, deserialize_with = "super::null_as_default")]
    db_mode: String,
    db_instance_class: Option<String>,
    dr_kms_key: Option<String>,
    dr_subnet_ids: Option<Vec<String>>,
    dr_allowed_cidr_blocks: Option<Vec<String>>,
    state_bucket: Option<String>,
    state_lock_table: Option<String>,
    #[serde(default, deserialize_with = "super::null_as_default")]
    force_destroy: bool,
    #[serde(default, deserialize_with = "super::null_as_default")]
    rto_target: String,
    #[serde(default, deserialize_with = "super::null_as_default")]
    rpo_target: String,
    tags: Option<BTreeMap<String, String>>,
}

fn model(v: &Value) -> Result<Model> {
    typed::from_value(v)
        .map_err(|e| Diagnostic::error("Invalid onto_dr_region value", e.to_string()).into())
}

impl Model {
    fn mode(&self) -> Mode {
        if self.db_mode == "backups" {
            Mode::Backups
        } else {
            Mode::Replica
        }
    }

    fn replica_id(&self) -> String {
        format!("{}-db", self.name)
    }

    fn rule_id(&self) -> String {
        format!("onto-dr-{}", self.name)
    }

    fn dr_bucket(&self) -> Option<String> {
        self.state_bucket
            .as_ref()
            .map(|b| format!("{b}-{}", self.dr_region))
    }

    fn targets(&self) -> (Duration, Duration) {
        let parse = |s: &str, d: u64| parse_duration(s).unwrap_or(Duration::from_secs(d));
        (parse(&self.rto_target, 900), parse(&self.rpo_target, 3600))
    }
}

fn arn_part(arn: &str, n: usize) -> &str {
    arn.split(':').nth(n).unwrap_or_default()
}

// ---- ECR: this resource's rule in the shared replication configuration -------

fn ours(rule: &EcrRule, dr_region: &str, prefixes: &BTreeSet<String>) -> bool {
    let filters: BTreeSet<String> = rule
        .repository_filters()
        .iter()
        .map(|f| f.filter().to_owned())
        .collect();
    rule.destinations().len() == 1
        && rule.destinations()[0].region() == dr_region
        && &filters == prefixes
}

async fn ecr_prefixes(
    aws: &Aws,
    region: &str,
    dr_region: &str,
    known: &BTreeSet<String>,
) -> Result<Vec<String>> {
    let out = aws
        .ecr(region)
        .describe_registry()
        .send()
        .await
        .map_err(aws::failed("ecr:DescribeRegistry"))?;
    let found = out
        .replication_configuration()
        .map(|c| c.rules().iter().any(|r| ours(r, dr_region, known)))
        .unwrap_or(false);
    Ok(if found && !known.is_empty() {
        known.iter().cloned().collect()
    } else {
        Vec::new()
    })
}

/// Replaces this resource's rule (`before` prefixes) with one for `after`,
/// keeping every other rule as it is.
async fn put_ecr_rule(
    ecr: &aws_sdk_ecr::Client,
    dr_region: &str,
    before: &BTreeSet<String>,
    after: &BTreeSet<String>,
) -> Result<()> {
    let out = ecr
        .describe_registry()
        .send()
        .await
        .map_err(aws::failed("ecr:DescribeRegistry"))?;
    let registry = out.registry_id().unwrap_or_default().to_owned();
    let current: Vec<EcrRule> = out
        .replication_configuration()
        .map(|c| c.rules().to_vec())
        .unwrap_or_default();
    let mut rules: Vec<EcrRule> = current
        .iter()
        .filter(|r| before.is_empty() || !ours(r, dr_region, before))
        .cloned()
        .collect();
    if !after.is_empty() && !rules.iter().any(|r| ours(r, dr_region, after)) {
        let filters = after
            .iter()
            .filter_map(|p| {
                RepositoryFilter::builder()
                    .filter(p)
                    .filter_type(RepositoryFilterType::PrefixMatch)
                    .build()
                    .ok()
            })
            .collect();
        let dest = ReplicationDestination::builder()
            .region(dr_region)
            .registry_id(&registry)
            .build()
            .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
        rules.push(
            EcrRule::builder()
                .destinations(dest)
                .set_repository_filters(Some(filters))
                .build()
                .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?,
        );
    }
    if rules == current {
        return Ok(());
    }
    let config = EcrReplication::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
    ecr.put_replication_configuration()
        .replication_configuration(config)
        .send()
        .await
        .map_err(aws::failed("ecr:PutReplicationConfiguration"))?;
    Ok(())
}

// ---- S3: the DR bucket and this resource's replication rule ------------------

async fn ensure_dr_bucket(
    aws: &Aws,
    m: &Model,
    bucket: &str,
    all_tags: &BTreeMap<String, String>,
) -> Result<()> {
    let s3 = aws.s3(&m.dr_region);
    let mut create = s3.create_bucket().bucket(bucket);
    if m.dr_region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(m.dr_region.as_str()))
                .build(),
        );
    }
    match create.send().await {
        Ok(_) => {}
        Err(e) if aws::code(&e) == Some("BucketAlreadyOwnedByYou") => {}
        Err(e) => return Err(aws::error("s3:CreateBucket", &e).into()),
    }
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .map_err(aws::failed("s3:PutBucketVersioning"))?;
    let sse = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::Aes256)
        .build()
        .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(sse)
                        .build(),
                )
                .build()
                .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?,
        )
        .send()
        .await
        .map_err(aws::failed("s3:PutBucketEncryption"))?;
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .block_public_policy(true)
                .ignore_public_acls(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .map_err(aws::failed("s3:PutPublicAccessBlock"))?;
    let tagging = aws_sdk_s3::types::Tagging::builder()
        .set_tag_set(Some(
            all_tags
                .iter()
                .filter_map(|(k, v)| {
                    aws_sdk_s3::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .ok()
                })
                .collect(),
        ))
        .build()
        .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
    s3.put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map_err(aws::failed("s3:PutBucketTagging"))?;
    Ok(())
}

fn replication_policy(partition: &str, source: &str, dest: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            { "Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"], "Resource": format!("arn:{partition}:s3:::{source}") },
            { "Effect": "Allow", "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"], "Resource": format!("arn:{partition}:s3:::{source}/*") },
            { "Effect": "Allow", "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], "Resource": format!("arn:{partition}:s3:::{dest}/*") },
        ],
    })
}

async fn bucket_rules(aws: &Aws, region: &str, bucket: &str) -> Result<Option<S3Replication>> {
    match aws
        .s3(region)
        .get_bucket_replication()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => Ok(out.replication_configuration().cloned()),
        Err(e) if aws::code(&e) == Some("ReplicationConfigurationNotFoundError") => Ok(None),
        Err(e) => Err(aws::error("s3:GetBucketReplication", &e).into()),
    }
}

/// Puts (`dest` set) or removes this resource's rule on the state bucket.
async fn put_bucket_rule(
    aws: &Aws,
    region: &str,
    bucket: &str,
    rule_id: &str,
    role: &str,
    dest: Option<&str>,
) -> Result<()> {
    let s3 = aws.s3(region);
    let current = bucket_rules(aws, region, bucket).await?;
    let mut rules: Vec<S3Rule> = current
        .as_ref()
        .map(|c| {
            c.rules()
                .iter()
                .filter(|r| r.id() != Some(rule_id))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let others = !rules.is_empty();
    if let (Some(c), true) = (&current, others) {
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
            S3Rule::builder()
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
                        .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?,
                )
                .build()
                .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?,
        );
    }
    if rules.is_empty() {
        match s3.delete_bucket_replication().bucket(bucket).send().await {
            Ok(_) => return Ok(()),
            Err(e) if aws::code(&e) == Some("NoSuchBucket") => return Ok(()),
            Err(e) => return Err(aws::error("s3:DeleteBucketReplication", &e).into()),
        }
    }
    let role = if dest.is_some() {
        role.to_owned()
    } else {
        current.map(|c| c.role().to_owned()).unwrap_or_default()
    };
    let config = S3Replication::builder()
        .role(role)
        .set_rules(Some(rules))
        .build()
        .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
    // A new role takes a moment before S3 accepts it.
    aws::retry_eventual(
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
    .map_err(aws::failed("s3:PutBucketReplication"))?;
    Ok(())
}

async fn ensure_lock_table(
    aws: &Aws,
    region: &str,
    table: &str,
    all_tags: &BTreeMap<String, String>,
) -> Result<()> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let ddb = aws.dynamodb(region);
    let created = ddb
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("LockID")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("LockID")
                .key_type(KeyType::Hash)
                .build()
                .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?,
        )
        .set_tags(Some(
            all_tags
                .iter()
                .filter_map(|(k, v)| {
                    aws_sdk_dynamodb::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .ok()
                })
                .collect(),
        ))
        .send()
        .await;
    match created {
        Ok(_) => Ok(()),
        Err(e) if aws::code(&e) == Some("ResourceInUseException") => Ok(()),
        Err(e) => Err(aws::error("dynamodb:CreateTable", &e).into()),
    }
}

// ---- the DR database ---------------------------------------------------------

async fn create_replica(
    aws: &Aws,
    m: &Model,
    source_arn: &str,
    all_tags: &BTreeMap<String, String>,
    limit: Duration,
    stop: &tfplugin::Stop,
) -> Result<()> {
    let primary_region = arn_part(source_arn, 3);
    let source_id = source_arn.rsplit(':').next().unwrap_or_default();
    let primary = rds::find_instance(&aws.rds(primary_region), source_id)
        .await?
        .ok_or_else(|| {
            Diagnostics::from(
                Diagnostic::error(
                    "Primary database not found",
                    format!("No RDS instance {source_id:?} in {primary_region}."),
                )
                .at(AttributePath::attr("db_arn")),
            )
        })?;
    let rds = aws.rds(&m.dr_region);
    let subnets = m.dr_subnet_ids.clone().unwrap_or_default();
    // The DR copy of the subnet group keeps the primary's name.
    let group = primary
        .db_subnet_group()
        .and_then(|g| g.db_subnet_group_name())
        .unwrap_or(source_id)
        .to_owned();
    match rds
        .create_db_subnet_group()
        .db_subnet_group_name(&group)
        .db_subnet_group_description(format!(
            "onto_dr_region {} ({source_id} in {})",
            m.name, m.dr_region
        ))
        .set_subnet_ids(Some(subnets.clone()))
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if aws::code(&e) == Some("DBSubnetGroupAlreadyExists") => {}
        Err(e) => return Err(aws::error("rds:CreateDBSubnetGroup", &e).into()),
    }
    let ec2 = aws.ec2(&m.dr_region);
    let vpc = firewall::vpc_of(&ec2, &subnets).await?;
    let sources = Sources {
        security_groups: BTreeSet::new(),
        cidr_blocks: m.dr_allowed_cidr_blocks.iter().flatten().cloned().collect(),
    };
    let sg = firewall::ensure(
        &ec2,
        &vpc,
        &format!("{}-db-dr", m.name),
        &format!("onto_dr_region {}: PostgreSQL", m.name),
        all_tags,
        PORT,
        &sources,
    )
    .await?;
    let class = m
        .db_instance_class
        .clone()
        .or_else(|| primary.db_instance_class().map(str::to_owned))
        .unwrap_or_else(|| "db.t4g.micro".into());
    match rds
        .create_db_instance_read_replica()
        .db_instance_identifier(m.replica_id())
        .source_db_instance_identifier(source_arn)
        .db_instance_class(class)
        .db_subnet_group_name(&group)
        .vpc_security_group_ids(&sg)
        .set_kms_key_id(m.dr_kms_key.clone())
        .copy_tags_to_snapshot(true)
        .set_tags(Some(
            all_tags
                .iter()
                .map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(k).value(v).build())
                .collect(),
        ))
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if aws::code(&e) == Some("DBInstanceAlreadyExists") => {}
        Err(e) => return Err(aws::error("rds:CreateDBInstanceReadReplica", &e).into()),
    }
    rds::wait_available(&rds, &m.replica_id(), limit, stop, rds::Until::default()).await?;
    Ok(())
}

/// Live measurements for the estimates.
async fn observe(
    aws: &Aws,
    m: &Model,
) -> Result<(Observed, Option<aws_sdk_rds::types::DbInstance>, String)> {
    let mut seen = Observed::default();
    let Some(source_arn) = &m.db_arn else {
        return Ok((seen, None, "no database".into()));
    };
    let primary_region = arn_part(source_arn, 3);
    let source_id = source_arn.rsplit(':').next().unwrap_or_default();
    if let Some(p) = rds::find_instance(&aws.rds(primary_region), source_id).await? {
        seen.storage_gib = p.allocated_storage().and_then(|s| u32::try_from(s).ok());
    }
    match m.mode() {
        Mode::Replica => {
            let replica = rds::find_instance(&aws.rds(&m.dr_region), &m.replica_id()).await?;
            let lag = replica_lag(aws, &m.dr_region, &m.replica_id()).await;
            seen.replica_lag = lag.duration();
            Ok((seen, replica, lag.source()))
        }
        Mode::Backups => {
            let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now());
            seen.backup_age = backup_age(&aws.rds(&m.dr_region), source_id, now).await?;
            let source = if seen.backup_age.is_some() {
                "latest restorable time of the replicated backups"
            } else {
                "nominal backup lag (no replicated backups yet)"
            };
            Ok((seen, None, source.into()))
        }
    }
}

/// How far the backups replicated to the DR region trail `now`: the age
/// of their latest restorable time.
async fn backup_age(
    rds: &aws_sdk_rds::Client,
    source_id: &str,
    now: aws_smithy_types::DateTime,
) -> Result<Option<Duration>> {
    let out = rds
        .describe_db_instance_automated_backups()
        .db_instance_identifier(source_id)
        .send()
        .await
        .map_err(aws::failed("rds:DescribeDBInstanceAutomatedBackups"))?;
    let latest = out
        .db_instance_automated_backups()
        .iter()
        .filter_map(|b| b.restore_window().and_then(|w| w.latest_time()))
        .map(|t| t.secs())
        .max();
    Ok(latest.map(|t| Duration::from_secs(u64::try_from(now.secs() - t).unwrap_or(0))))
}

/// What is known of a replica's lag.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Lag {
    /// The worst lag over the last five minutes.
    Measured(Duration),
    /// CloudWatch has no datapoints yet (a new replica).
    NoData,
    /// CloudWatch could not be read (permissions, endpoint); the reason.
    Unavailable(String),
}

impl Lag {
    pub(crate) fn duration(&self) -> Option<Duration> {
        match self {
            Lag::Measured(d) => Some(*d),
            _ => None,
        }
    }

    /// Where the RPO estimate comes from, for `rpo_source`.
    pub(crate) fn source(&self) -> String {
        match self {
            Lag::Measured(_) => "replica lag (CloudWatch ReplicaLag, worst of 5 minutes)".into(),
            Lag::NoData => "nominal replica lag (no ReplicaLag datapoints yet)".into(),
            Lag::Unavailable(why) => format!("nominal replica lag (CloudWatch unavailable: {why})"),
        }
    }
}

/// The replica's lag from CloudWatch. The lag only informs an estimate, so
/// a CloudWatch the caller cannot read degrades the estimate to the
/// nominal lag (and says so) instead of failing the whole DR region.
pub(crate) async fn replica_lag(aws: &Aws, region: &str, id: &str) -> Lag {
    use aws_sdk_cloudwatch::types::{Dimension, Statistic};
    let now = std::time::SystemTime::now();
    let out = aws
        .cloudwatch(region)
        .get_metric_statistics()
        .namespace("AWS/RDS")
        .metric_name("ReplicaLag")
        .dimensions(
            Dimension::builder()
                .name("DBInstanceIdentifier")
                .value(id)
                .build(),
        )
        .start_time(aws_smithy_types::DateTime::from(
            now - Duration::from_secs(300),
        ))
        .end_time(aws_smithy_types::DateTime::from(now))
        .period(60)
        .statistics(Statistic::Maximum)
        .send()
        .await;
    match out {
        Ok(out) => out
            .datapoints()
            .iter()
            .filter_map(|d| d.maximum())
            .fold(None, |acc: Option<f64>, x| {
                Some(acc.map_or(x, |a| a.max(x)))
            })
            .map_or(Lag::NoData, |s| {
                Lag::Measured(Duration::from_secs_f64(s.max(0.0)))
            }),
        Err(e) => {
            let why = aws::code(&e).unwrap_or("unexpected response").to_owned();
            tracing::warn!(replica = %id, %why, "CloudWatch ReplicaLag unavailable; using the nominal lag");
            Lag::Unavailable(why)
        }
    }
}

// ---- state -------------------------------------------------------------------

struct Remote {
    prefixes: Vec<String>,
    rpo_source: String,
    replica: Option<aws_sdk_rds::types::DbInstance>,
    seen: Observed,
    dr_bucket: Option<String>,
    role_arn: Option<String>,
    tags: BTreeMap<String, String>,
}

async fn describe(aws: &Aws, m: &Model, known: &Value) -> Result<Remote> {
    let region = aws.region_or_default(m.region.as_deref()).to_owned();
    let known_prefixes: BTreeSet<String> = typed::from_value(known.get("repository_prefixes"))
        .ok()
        .flatten()
        .unwrap_or_default();
    let prefixes = ecr_prefixes(aws, &region, &m.dr_region, &known_prefixes).await?;
    let (seen, replica, rpo_source) = observe(aws, m).await?;
    let dr_bucket = match (&m.state_bucket, m.dr_bucket()) {
        (Some(bucket), Some(dest)) => {
            let rules = bucket_rules(aws, &region, bucket).await?;
            let active = rules.as_ref().is_some_and(|c| {
                c.rules()
                    .iter()
                    .any(|r| r.id() == Some(m.rule_id().as_str()))
            });
            active.then_some(dest)
        }
        _ => None,
    };
    let role_arn = match &m.state_bucket {
        Some(_) => match aws
            .iam()
            .get_role()
            .role_name(format!("{}-state-replication", m.name))
            .send()
            .await
        {
            Ok(out) => out.role().map(|r| r.arn().to_owned()),
            Err(e) if aws::code(&e) == Some("NoSuchEntity") => None,
            Err(e) => return Err(aws::error("iam:GetRole", &e).into()),
        },
        None => None,
    };
    let tags = replica
        .as_ref()
        .map(|r| {
            r.tag_list()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_owned(),
                        t.value().unwrap_or_default().to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Remote {
        prefixes,
        rpo_source,
        replica,
        seen,
        dr_bucket,
        role_arn,
        tags,
    })
}

fn state(aws: &Aws, m: &Model, r: &Remote, known: &Value) -> Result<Value> {
    let region = aws.region_or_default(m.region.as_deref()).to_owned();
    let estimate = objectives::estimate(m.mode(), &r.seen);
    let (rto_target, rpo_target) = m.targets();
    let replica = r.replica.as_ref();
    let address = replica.and_then(|d| d.endpoint()).and_then(|e| e.address());
    let all_tags = if r.tags.is_empty() {
        tags::desired(
            aws,
            &aws.environment,
            TYPE,
            &m.name,
            &m.tags.clone().unwrap_or_default(),
        )
    } else {
        r.tags.clone()
    };
    let user_tags: BTreeMap<String, String> = m.tags.clone().unwrap_or_default();
    let view = tags::user_view(aws, &user_tags, &all_tags);
    let value = json!({
        "name": m.name,
        "region": region,
        "dr_region": m.dr_region,
        "repository_prefixes": if r.prefixes.is_empty() && known.get("repository_prefixes").is_null() { None } else {
            // Keep the configured order when the set is the same.
            let known_list: Vec<String> = typed::from_value(known.get("repository_prefixes")).ok().flatten().unwrap_or_default();
            let same = known_list.iter().cloned().collect::<BTreeSet<_>>() == r.prefixes.iter().cloned().collect::<BTreeSet<_>>();
            Some(if same { known_list } else { r.prefixes.clone() })
        },
        "db_arn": m.db_arn,
        "db_mode": m.db_mode,
        "db_instance_class": replica.and_then(|d| d.db_instance_class()).map(str::to_owned).or(m.db_instance_class.clone()),
        "dr_kms_key": m.dr_kms_key,
        "dr_subnet_ids": m.dr_subnet_ids,
        "dr_allowed_cidr_blocks": m.dr_allowed_cidr_blocks,
        "state_bucket": m.state_bucket,
        "state_lock_table": m.state_lock_table,
        "force_destroy": m.force_destroy,
        "rto_target": m.rto_target,
        "rpo_target": m.rpo_target,
        "tags": if view.is_empty() && known.get("tags").is_null() { None } else { Some(view) },
        "tags_all": all_tags,
        "replica_id": replica.and_then(|d| d.db_instance_identifier()),
        "replica_arn": replica.and_then(|d| d.db_instance_arn()),
        "replica_endpoint": address.map(|a| format!("{a}:{}", replica.and_then(|d| d.endpoint()).and_then(|e| e.port()).unwrap_or(PORT))),
        "promoted": replica.is_some_and(|d| d.read_replica_source_db_instance_identifier().is_none()),
        "dr_bucket": r.dr_bucket,
        "replication_role_arn": r.role_arn,
        "rpo_estimate": objectives::human(estimate.rpo),
        "rpo_source": r.rpo_source,
        "rto_estimate": objectives::human(estimate.rto),
        "objectives_met": objectives::shortfall(m.mode(), &estimate, rto_target, rpo_target).is_none(),
    });
    let mut v = typed::to_value(&value, &schema().ty())
        .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
    v.set("timeouts", known.get("timeouts").clone());
    Ok(v)
}

// ---- plan rules --------------------------------------------------------------

fn check_config(config: &Value, diags: &mut Diagnostics) {
    let replica = config.get("db_mode").as_str() != Some("backups");
    if !config.get("db_arn").is_null() {
        if replica && config.get("dr_subnet_ids").is_null() {
            diags.error_at(AttributePath::attr("dr_subnet_ids"), "DR subnets needed", "A replica needs database subnets in the DR region (the DR network's database tier).");
        }
        if config.get("dr_kms_key").is_null() {
            diags.error_at(AttributePath::attr("dr_kms_key"), "DR KMS key needed", "The primary is encrypted: its copy in the DR region needs a KMS key ARN of that region.");
        }
        if let Some(arn) = config.get("db_arn").as_str() {
            if !(arn.starts_with("arn:") && arn_part(arn, 2) == "rds" && arn_part(arn, 5) == "db") {
                diags.error_at(
                    AttributePath::attr("db_arn"),
                    "Invalid database ARN",
                    format!("{arn:?} is not an RDS instance ARN; use onto_db.arn."),
                );
            }
        }
    }
    if let Some(k) = config.get("dr_kms_key").as_str() {
        if let (Some(dr), region) = (config.get("dr_region").as_str(), arn_part(k, 3)) {
            if !region.is_empty() && region != dr {
                diags.error_at(
                    AttributePath::attr("dr_kms_key"),
                    "KMS key in the wrong region",
                    format!(
                        "The key is in {region}; the DR copy lives in {dr} and needs a key there."
                    ),
                );
            }
        }
    }
    if let (Some(a), Some(b)) = (
        config.get("region").as_str(),
        config.get("dr_region").as_str(),
    ) {
        if a == b {
            diags.error_at(
                AttributePath::attr("dr_region"),
                "DR in the primary region",
                "dr_region must differ from the primary region.",
            );
        }
    }
    if !config.get("state_lock_table").is_null() && config.get("state_bucket").is_null() {
        diags.error_at(
            AttributePath::attr("state_bucket"),
            "State bucket needed",
            "state_lock_table comes with state_bucket.",
        );
    }
}

// ---- create / read / update / delete ------------------------------------------

#[async_trait]
impl Resource for DrRegion {
    fn type_name(&self) -> &str {
        TYPE
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check_config(config, diags);
    }

    async fn modify_plan(&self, req: &mut PlanRequest) -> Result<()> {
        let Some(aws) = self.0.get() else {
            return Ok(());
        };
        if req.plan.is_null() {
            return Ok(());
        }
        if req.plan.get("region").is_unknown() && req.config.get("region").is_null() {
            req.plan.set("region", aws.region.clone());
        }
        if req.plan.get("region").as_str() == req.plan.get("dr_region").as_str() {
            return Err(Diagnostic::error(
                "DR in the primary region",
                "dr_region must differ from the primary region (the provider's region by default).",
            )
            .at(AttributePath::attr("dr_region"))
            .into());
        }
        // Objectives: a configuration that cannot meet its targets fails here.
        let Ok(m) = model(&req.plan) else {
            return Ok(());
        };
        if m.db_arn.is_some() && !req.plan.get("db_arn").is_unknown() {
            let mut seen = Observed::default();
            if let Some(arn) = &m.db_arn {
                let id = arn.rsplit(':').next().unwrap_or_default();
                if let Ok(Some(p)) = rds::find_instance(&aws.rds(arn_part(arn, 3)), id).await {
                    seen.storage_gib = p.allocated_storage().and_then(|s| u32::try_from(s).ok());
                }
            }
            // The last measured RPO stands in for the live one at plan time.
            let measured = req
                .prior
                .get("rpo_source")
                .as_str()
                .is_some_and(|s| !s.starts_with("nominal"));
            if let (true, Some(rpo)) = (measured, req.prior.get("rpo_estimate").as_str()) {
                let rpo = parse_duration(rpo).ok();
                match m.mode() {
                    Mode::Replica => seen.replica_lag = rpo,
                    Mode::Backups => seen.backup_age = rpo,
                }
            }
            let estimate = objectives::estimate(m.mode(), &seen);
            let (rto, rpo) = m.targets();
            if let Some(why) = objectives::shortfall(m.mode(), &estimate, rto, rpo) {
                return Err(Diagnostic::error("Recovery objectives not met", why)
                    .at(AttributePath::attr("db_mode"))
                    .into());
            }
            if req.prior.is_null() {
                // The model fixes the RTO; the RPO is measured after apply.
                req.plan
                    .set("rto_estimate", objectives::human(estimate.rto));
            }
        }
        if !req.prior.is_null() {
            for attr in [
                "rpo_estimate",
                "rpo_source",
                "rto_estimate",
                "objectives_met",
                "promoted",
                "dr_bucket",
                "replication_role_arn",
            ] {
                if req.plan.get(attr).is_unknown() {
                    let prior = req.prior.get(attr).clone();
                    req.plan.set(attr, prior);
                }
            }
            if !req.plan.get("rto_target").same(req.prior.get("rto_target"))
                || !req.plan.get("rpo_target").same(req.prior.get("rpo_target"))
            {
                req.plan.set("objectives_met", Value::UNKNOWN);
            }
        } else {
            req.plan.set("promoted", false);
            let dr_bucket = m.dr_bucket();
            req.plan.set("dr_bucket", dr_bucket);
            if m.db_arn.is_none() {
                req.plan.set("replica_id", Value::Null);
                req.plan.set("replica_arn", Value::Null);
                req.plan.set("replica_endpoint", Value::Null);
                let e = objectives::estimate(m.mode(), &Observed::default());
                req.plan.set("rpo_estimate", objectives::human(e.rpo));
                req.plan.set("rto_estimate", objectives::human(e.rto));
                req.plan.set("objectives_met", true);
            }
            if m.state_bucket.is_none() {
                req.plan.set("replication_role_arn", Value::Null);
            }
        }
        if let Some(name) = req.plan.get("name").as_str().map(str::to_owned) {
            tags::plan_tags_all(aws, &aws.environment, TYPE, &name, &mut req.plan);
        }
        Ok(())
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m = model(&req.planned)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "create", Duration::from_secs(3600));
        let all_tags = tags::desired(
            aws,
            &aws.environment,
            TYPE,
            &m.name,
            &m.tags.clone().unwrap_or_default(),
        );
        let prefixes: BTreeSet<String> = m.repository_prefixes.iter().flatten().cloned().collect();
        put_ecr_rule(&aws.ecr(&region), &m.dr_region, &BTreeSet::new(), &prefixes).await?;
        if let (Some(bucket), Some(dest)) = (&m.state_bucket, m.dr_bucket()) {
            ensure_dr_bucket(aws, &m, &dest, &all_tags).await?;
            let partition = aws::partition(&region);
            let role = iam::ensure_role(
                &aws.iam(),
                partition,
                &RoleSpec {
                    name: &format!("{}-state-replication", m.name),
                    description: "S3 replication of the Terraform state (onto_dr_region)",
                    trust: iam::service_trust("s3.amazonaws.com"),
                    managed: &[],
                    tags: &all_tags,
                },
            )
            .await?;
            iam::put_inline_policy(
                &aws.iam(),
                &format!("{}-state-replication", m.name),
                "replicate-state",
                &replication_policy(partition, bucket, &dest),
            )
            .await?;
            put_bucket_rule(
                aws,
                &region,
                bucket,
                &m.rule_id(),
                &role,
                Some(&format!("arn:{partition}:s3:::{dest}")),
            )
            .await?;
            if let Some(table) = &m.state_lock_table {
                ensure_lock_table(aws, &m.dr_region, table, &all_tags).await?;
            }
        }
        if let Some(arn) = &m.db_arn {
            match m.mode() {
                Mode::Replica => create_replica(aws, &m, arn, &all_tags, limit, &req.stop).await?,
                Mode::Backups => {
                    aws.rds(&m.dr_region)
                        .start_db_instance_automated_backups_replication()
                        .source_db_instance_arn(arn)
                        .set_kms_key_id(m.dr_kms_key.clone())
                        .backup_retention_period(7)
                        .send()
                        .await
                        .map_err(aws::failed(
                            "rds:StartDBInstanceAutomatedBackupsReplication",
                        ))?;
                }
            }
        }
        let remote = describe(aws, &m, &req.planned).await?;
        state(aws, &m, &remote, &req.planned)
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let Some(aws) = self.0.get() else {
            return Ok(Some(req.state.clone()));
        };
        let m = model(&req.state)?;
        let remote = describe(aws, &m, &req.state).await?;
        state(aws, &m, &remote, &req.state).map(Some)
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m = model(&req.planned)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let before: BTreeSet<String> = typed::from_value(req.prior.get("repository_prefixes"))
            .ok()
            .flatten()
            .unwrap_or_default();
        let after: BTreeSet<String> = m.repository_prefixes.iter().flatten().cloned().collect();
        put_ecr_rule(&aws.ecr(&region), &m.dr_region, &before, &after).await?;
        if let (Some(bucket), Some(dest)) = (&m.state_bucket, m.dr_bucket()) {
            let partition = aws::partition(&region);
            if req.prior.get("dr_bucket").is_null() {
                // The rule was removed out of band: put it back.
                let role = req
                    .prior
                    .get("replication_role_arn")
                    .as_str()
                    .map(str::to_owned);
                if let Some(role) = role {
                    put_bucket_rule(
                        aws,
                        &region,
                        bucket,
                        &m.rule_id(),
                        &role,
                        Some(&format!("arn:{partition}:s3:::{dest}")),
                    )
                    .await?;
                }
            }
        }
        if let Some(replica) = rds::find_instance(&aws.rds(&m.dr_region), &m.replica_id()).await? {
            let want = tags::desired(
                aws,
                &aws.environment,
                TYPE,
                &m.name,
                &m.tags.clone().unwrap_or_default(),
            );
            rds::converge_tags(
                &aws.rds(&m.dr_region),
                replica.db_instance_arn().unwrap_or_default(),
                &rds::tag_map(replica.tag_list()),
                &want,
            )
            .await?;
        }
        let remote = describe(aws, &m, &req.planned).await?;
        state(aws, &m, &remote, &req.planned)
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let aws = self.0.require()?;
        let m = model(&req.prior)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.prior, "delete", Duration::from_secs(3600));
        let prefixes: BTreeSet<String> = m.repository_prefixes.iter().flatten().cloned().collect();
        if !prefixes.is_empty() {
            put_ecr_rule(&aws.ecr(&region), &m.dr_region, &prefixes, &BTreeSet::new()).await?;
        }
        if let Some(arn) = &m.db_arn {
            match m.mode() {
                Mode::Replica => {
                    let rds = aws.rds(&m.dr_region);
                    if let Some(replica) = rds::find_instance(&rds, &m.replica_id()).await? {
                        if replica
                            .read_replica_source_db_instance_identifier()
                            .is_none()
                        {
                            return Err(Diagnostic::error(
                                "The DR database was promoted",
                                format!("{} is now a standalone database (after a failover) and may hold the only copy of recent data. Import it as an onto_db (terraform import onto_db.<name> {}:{}) and remove it from this resource's state, or delete it by hand.", m.replica_id(), m.dr_region, m.replica_id()),
                            )
                            .into());
                        }
                        match rds
                            .delete_db_instance()
                            .db_instance_identifier(m.replica_id())
                            .skip_final_snapshot(true)
                            .send()
                            .await
                        {
                            Ok(_) => {}
                            Err(e) if aws::code(&e) == Some("DBInstanceNotFound") => {}
                            Err(e) => return Err(aws::error("rds:DeleteDBInstance", &e).into()),
                        }
                        rds::wait_deleted(&rds, &m.replica_id(), limit, &req.stop).await?;
                    }
                    let source_id = arn.rsplit(':').next().unwrap_or_default();
                    let group = rds::find_instance(&aws.rds(arn_part(arn, 3)), source_id)
                        .await?
                        .and_then(|p| {
                            p.db_subnet_group()
                                .and_then(|g| g.db_subnet_group_name())
                                .map(str::to_owned)
                        })
                        .unwrap_or_else(|| source_id.to_owned());
                    match rds
                        .delete_db_subnet_group()
                        .db_subnet_group_name(&group)
                        .send()
                        .await
                    {
                        Ok(_) => {}
                        Err(e) if aws::code(&e) == Some("DBSubnetGroupNotFoundFault") => {}
                        Err(e) => return Err(aws::error("rds:DeleteDBSubnetGroup", &e).into()),
                    }
                    let ec2 = aws.ec2(&m.dr_region);
                    if let Some(sg) =
                        firewall::find(&ec2, None, &tags::owner(TYPE, &m.name)).await?
                    {
                        firewall::delete(&ec2, sg.group_id().unwrap_or_default()).await?;
                    }
                }
                Mode::Backups => {
                    match aws
                        .rds(&m.dr_region)
                        .stop_db_instance_automated_backups_replication()
                        .source_db_instance_arn(arn)
                        .send()
                        .await
                    {
                        Ok(_) => {}
                        Err(e) if aws::code(&e) == Some("DBInstanceNotFound") => {}
                        Err(e) => {
                            return Err(aws::error(
                                "rds:StopDBInstanceAutomatedBackupsReplication",
                                &e,
                            )
                            .into())
                        }
                    }
                }
            }
        }
        if let (Some(bucket), Some(dest)) = (&m.state_bucket, m.dr_bucket()) {
            put_bucket_rule(aws, &region, bucket, &m.rule_id(), "", None).await?;
            iam::delete_role(&aws.iam(), &format!("{}-state-replication", m.name)).await?;
            let s3 = aws.s3(&m.dr_region);
            let versions = s3.list_object_versions().bucket(&dest).send().await;
            if let Ok(out) = &versions {
                let held = out.versions().len() + out.delete_markers().len();
                if held > 0 && !m.force_destroy {
                    return Err(Diagnostic::error(
                        "DR state bucket not empty",
                        format!("{dest} holds {held} replicated state versions. Set force_destroy = true and apply, then destroy."),
                    )
                    .into());
                }
                for v in out.versions() {
                    s3.delete_object()
                        .bucket(&dest)
                        .key(v.key().unwrap_or_default())
                        .set_version_id(v.version_id().map(str::to_owned))
                        .send()
                        .await
                        .map_err(aws::failed("s3:DeleteObject"))?;
                }
                for d in out.delete_markers() {
                    s3.delete_object()
                        .bucket(&dest)
                        .key(d.key().unwrap_or_default())
                        .set_version_id(d.version_id().map(str::to_owned))
                        .send()
                        .await
                        .map_err(aws::failed("s3:DeleteObject"))?;
                }
            }
            match s3.delete_bucket().bucket(&dest).send().await {
                Ok(_) => {}
                Err(e) if aws::code(&e) == Some("NoSuchBucket") => {}
                Err(e) => return Err(aws::error("s3:DeleteBucket", &e).into()),
            }
            if let Some(table) = &m.state_lock_table {
                match aws
                    .dynamodb(&m.dr_region)
                    .delete_table()
                    .table_name(table)
                    .send()
                    .await
                {
                    Ok(_) => {}
                    Err(e) if aws::code(&e) == Some("ResourceNotFoundException") => {}
                    Err(e) => return Err(aws::error("dynamodb:DeleteTable", &e).into()),
                }
            }
        }
        Ok(())
    }

    /// Import ID: `NAME,DR_REGION[,STATE_BUCKET]`. The replica
    /// (`NAME-db`) names the primary database and the DR key; the ECR rule
    /// is the one replicating to the DR region.
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let parts: Vec<&str> = req.id.split(',').collect();
        let (name, dr_region) = match parts.as_slice() {
            [n, r] | [n, r, _] => ((*n).to_owned(), (*r).to_owned()),
            _ => {
                return Err(Diagnostic::error(
                    "Invalid import ID",
                    format!(
                        "{:?}: use NAME,DR_REGION or NAME,DR_REGION,STATE_BUCKET.",
                        req.id
                    ),
                )
                .into())
            }
        };
        let mut v = Value::null_object(&schema().ty());
        v.set("name", name.clone());
        v.set("region", aws.region.clone());
        v.set("dr_region", dr_region.clone());
        v.set("force_destroy", false);
        v.set("rto_target", "15m");
        v.set("rpo_target", "1h");
        v.set("db_mode", "replica");
        if let Some(bucket) = parts.get(2) {
            v.set("state_bucket", (*bucket).to_owned());
        }
        let out = aws
            .ecr(&aws.region)
            .describe_registry()
            .send()
            .await
            .map_err(aws::failed("ecr:DescribeRegistry"))?;
        let prefixes: Vec<Value> = out
            .replication_configuration()
            .into_iter()
            .flat_map(|c| c.rules())
            .filter(|r| r.destinations().len() == 1 && r.destinations()[0].region() == dr_region)
            .flat_map(|r| {
                r.repository_filters()
                    .iter()
                    .map(|f| Value::String(f.filter().to_owned()))
            })
            .collect();
        if !prefixes.is_empty() {
            v.set("repository_prefixes", Value::List(prefixes));
        }
        let rds = aws.rds(&dr_region);
        if let Some(replica) = rds::find_instance(&rds, &format!("{name}-db")).await? {
            v.set(
                "db_arn",
                replica
                    .read_replica_source_db_instance_identifier()
                    .map(str::to_owned),
            );
            v.set("dr_kms_key", replica.kms_key_id().map(str::to_owned));
            let subnets: Vec<Value> = replica
                .db_subnet_group()
                .map(|g| {
                    g.subnets()
                        .iter()
                        .filter_map(|s| s.subnet_identifier().map(|i| Value::String(i.to_owned())))
                        .collect()
                })
                .unwrap_or_default();
            v.set("dr_subnet_ids", Value::Set(subnets));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    //! moto lacks automated-backup replication: backups mode is tested
    //! here with aws-smithy-mocks.

    use super::*;
    use aws_sdk_rds::operation::describe_db_instance_automated_backups::DescribeDbInstanceAutomatedBackupsOutput;
    use aws_sdk_rds::types::{DbInstanceAutomatedBackup, RestoreWindow};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    #[tokio::test]
    async fn backups_mode_measures_the_latest_restorable_time() {
        let at = |secs: i64| aws_smithy_types::DateTime::from_secs(secs);
        let rule = mock!(aws_sdk_rds::Client::describe_db_instance_automated_backups)
            .match_requests(|r| r.db_instance_identifier() == Some("editor"))
            .then_output(move || {
                DescribeDbInstanceAutomatedBackupsOutput::builder()
                    .db_instance_automated_backups(
                        DbInstanceAutomatedBackup::builder()
                            .restore_window(
                                RestoreWindow::builder()
                                    .latest_time(at(1_000_000 - 420))
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let rds = mock_client!(aws_sdk_rds, RuleMode::Sequential, [&rule]);
        let age = backup_age(&rds, "editor", at(1_000_000)).await.unwrap();
        assert_eq!(age, Some(Duration::from_secs(420)));
        let e = objectives::estimate(
            Mode::Backups,
            &Observed {
                backup_age: age,
                storage_gib: Some(20),
                ..Default::default()
            },
        );
        assert_eq!(objectives::human(e.rpo), "7m");
        assert_eq!(objectives::human(e.rto), "23m");
    }

    /// moto keeps one replication rule only: the merge with other stacks'
    /// rules is tested here.
    #[tokio::test]
    async fn replication_rules_of_other_stacks_are_kept() {
        use aws_sdk_ecr::operation::describe_registry::DescribeRegistryOutput;
        use aws_sdk_ecr::operation::put_replication_configuration::PutReplicationConfigurationOutput;
        let rule = |region: &str, prefix: &str| {
            EcrRule::builder()
                .destinations(
                    ReplicationDestination::builder()
                        .region(region)
                        .registry_id("123456789012")
                        .build()
                        .unwrap(),
                )
                .repository_filters(
                    RepositoryFilter::builder()
                        .filter(prefix)
                        .filter_type(RepositoryFilterType::PrefixMatch)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        };
        let registry = move |rules: Vec<EcrRule>| {
            DescribeRegistryOutput::builder()
                .registry_id("123456789012")
                .replication_configuration(
                    EcrReplication::builder()
                        .set_rules(Some(rules))
                        .build()
                        .unwrap(),
                )
                .build()
        };
        let describe = mock!(aws_sdk_ecr::Client::describe_registry)
            .sequence()
            .output(move || registry(vec![rule("us-east-1", "other-team/")]))
            .output(move || {
                registry(vec![
                    rule("us-east-1", "other-team/"),
                    rule("eu-central-1", "onto/"),
                ])
            })
            .build();
        let add = mock!(aws_sdk_ecr::Client::put_replication_configuration)
            .match_requests(|r| {
                let rules = r
                    .replication_configuration()
                    .map(|c| c.rules().to_vec())
                    .unwrap_or_default();
                rules.len() == 2
                    && rules[0].destinations()[0].region() == "us-east-1"
                    && rules[1].destinations()[0].region() == "eu-central-1"
            })
            .then_output(|| PutReplicationConfigurationOutput::builder().build());
        let remove = mock!(aws_sdk_ecr::Client::put_replication_configuration)
            .match_requests(|r| {
                let rules = r
                    .replication_configuration()
                    .map(|c| c.rules().to_vec())
                    .unwrap_or_default();
                rules.len() == 1 && rules[0].repository_filters()[0].filter() == "other-team/"
            })
            .then_output(|| PutReplicationConfigurationOutput::builder().build());
        let ecr = mock_client!(aws_sdk_ecr, RuleMode::MatchAny, [&describe, &add, &remove]);
        let ours_set = BTreeSet::from(["onto/".to_owned()]);
        put_ecr_rule(&ecr, "eu-central-1", &BTreeSet::new(), &ours_set)
            .await
            .expect("added beside the other rule");
        put_ecr_rule(&ecr, "eu-central-1", &ours_set, &BTreeSet::new())
            .await
            .expect("removed, the other rule kept");
        assert_eq!((add.num_calls(), remove.num_calls()), (1, 1));
    }

    #[test]
    fn ecr_rules_are_recognised_by_destination_and_prefixes() {
        let rule = EcrRule::builder()
            .destinations(
                ReplicationDestination::builder()
                    .region("eu-central-1")
                    .registry_id("1")
                    .build()
                    .unwrap(),
            )
            .repository_filters(
                RepositoryFilter::builder()
                    .filter("onto/")
                    .filter_type(RepositoryFilterType::PrefixMatch)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let ours_set = BTreeSet::from(["onto/".to_owned()]);
        assert!(ours(&rule, "eu-central-1", &ours_set));
        assert!(!ours(&rule, "us-east-1", &ours_set));
        assert!(!ours(
            &rule,
            "eu-central-1",
            &BTreeSet::from(["other/".to_owned()])
        ));
    }
}
