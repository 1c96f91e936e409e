//! `onto_dr_region`: a disaster-recovery region for one primary
//! environment, in one resource:
//! - ECR cross-region replication for given repository prefixes: this
//!   stack's own rule in the registry's shared replication configuration
//!   (`aws::ecr`); destroy removes only that rule;
//! - the database in the DR region: a cross-region read replica (default)
//!   or replicated automated backups (`db_mode = "backups"`);
//! - the Terraform state: a versioned DR bucket the state bucket
//!   replicates to (this stack's own rule), and a lock table in the DR
//!   region;
//! - recovery objectives estimated from live state (see `objectives.rs`)
//!   and checked against `rto_target` / `rpo_target` at plan time.
//!
//! Every DR object is created under the ownership rule: a bucket, table,
//! subnet group, security group or replica of that name that belongs to
//! anyone else is refused, and destroy deletes only what this resource
//! made. Each step is saved as partial state, so an interrupted create is
//! finished by the next apply.
//!
//! One provider process serves both regions, so no provider alias is needed.

mod model;
mod plan;
mod schema;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::plan::timeout;
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::Schema;
use tfplugin::value::{AttributePath, Value};
use tfplugin::Stop;

use crate::aws::cloudwatch;
use crate::aws::ec2::{self, security_group as sg};
use crate::aws::iam::{self, RoleSpec};
use crate::aws::rds::{self, Create, Until};
use crate::aws::{self, dynamodb, ecr, s3, Aws};
use crate::objectives::{self, Mode, Observed};
use crate::ownership::{key, Owner, SideObjects};
use crate::shared::Shared;
use crate::tags;
use model::{arn_part, Model, Remote, PORT};

pub(crate) const TYPE: &str = "onto_dr_region";

pub struct DrRegion(pub Shared);

fn owner_of(aws: &Aws, m: &Model) -> Owner {
    aws.owner(TYPE, &m.name, &aws.environment)
}

fn marker(aws: &Aws, m: &Model) -> String {
    ecr::replication_marker(&aws.stack, &m.name)
}

/// The state-replication role: the one in state, or
/// `<name>-<region>-state-replication`.
fn role_name(m: &Model, region: &str) -> String {
    m.replication_role_arn
        .as_deref()
        .and_then(iam::role_name_of)
        .map(str::to_owned)
        .unwrap_or_else(|| iam::role_name(&m.name, region, "state-replication"))
}

// ---- reading -----------------------------------------------------------------

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
            let replica = rds::find_instance(&aws.rds(&m.dr_region), &m.replica()).await?;
            let lag = cloudwatch::replica_lag(&aws.cloudwatch(&m.dr_region), &m.replica()).await;
            seen.replica_lag = lag.duration();
            Ok((seen, replica, lag.source()))
        }
        Mode::Backups => {
            let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now());
            seen.backup_age =
                rds::replicated_backup_age(&aws.rds(&m.dr_region), source_id, now).await?;
            let source = if seen.backup_age.is_some() {
                "latest restorable time of the replicated backups"
            } else {
                "nominal backup lag (no replicated backups yet)"
            };
            Ok((seen, None, source.into()))
        }
    }
}

async fn describe(aws: &Aws, m: &Model) -> Result<Remote> {
    let region = aws.region_or_default(m.region.as_deref()).to_owned();
    let prefixes = ecr::find_replication(&aws.ecr(&region), &marker(aws, m))
        .await?
        .filter(|r| r.region == m.dr_region)
        .map(|r| r.prefixes.into_iter().collect())
        .unwrap_or_default();
    let (seen, replica, rpo_source) = observe(aws, m).await?;
    let dr_bucket = match (&m.state_bucket, m.dr_bucket()) {
        (Some(bucket), Some(dest)) => {
            s3::has_replication_rule(&aws.s3(&region), bucket, &m.rule_id(&aws.stack))
                .await?
                .then_some(dest)
        }
        _ => None,
    };
    let role_arn = match &m.state_bucket {
        Some(_) => iam::find_role(&aws.iam(), &role_name(m, &region))
            .await?
            .map(|r| r.arn),
        None => None,
    };
    let tags = replica
        .as_ref()
        .map(|r| rds::tag_map(r.tag_list()))
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
        tags::all(aws, &owner_of(aws, m), &m.tags.clone().unwrap_or_default())
    } else {
        r.tags.clone()
    };
    // Keep the configured order when the set is the same.
    let configured: Vec<String> = m.repository_prefixes.clone().unwrap_or_default();
    let same = configured.iter().collect::<std::collections::BTreeSet<_>>()
        == r.prefixes.iter().collect::<std::collections::BTreeSet<_>>();
    let s = Model {
        name: m.name.clone(),
        region: Some(region),
        dr_region: m.dr_region.clone(),
        repository_prefixes: if r.prefixes.is_empty() && m.repository_prefixes.is_none() {
            None
        } else if same {
            Some(configured)
        } else {
            Some(r.prefixes.clone())
        },
        db_arn: m.db_arn.clone(),
        db_mode: Some(m.db_mode.clone().unwrap_or_else(|| "replica".into())),
        db_instance_class: replica
            .and_then(|d| d.db_instance_class())
            .map(str::to_owned)
            .or(m.db_instance_class.clone()),
        dr_kms_key: m.dr_kms_key.clone(),
        dr_subnet_ids: m.dr_subnet_ids.clone(),
        dr_allowed_cidr_blocks: m.dr_allowed_cidr_blocks.clone(),
        state_bucket: m.state_bucket.clone(),
        state_lock_table: m.state_lock_table.clone(),
        force_destroy: Some(m.force_destroy.unwrap_or(false)),
        rto_target: Some(m.rto_target.clone().unwrap_or_else(|| "15m".into())),
        rpo_target: Some(m.rpo_target.clone().unwrap_or_else(|| "1h".into())),
        tags: tags::state_view(aws, known, &all_tags),
        tags_all: Some(all_tags),
        replica_id: replica
            .and_then(|d| d.db_instance_identifier())
            .map(str::to_owned),
        replica_arn: replica.and_then(|d| d.db_instance_arn()).map(str::to_owned),
        replica_endpoint: address.map(|a| {
            format!(
                "{a}:{}",
                replica
                    .and_then(|d| d.endpoint())
                    .and_then(|e| e.port())
                    .unwrap_or(PORT)
            )
        }),
        promoted: Some(
            replica.is_some_and(|d| d.read_replica_source_db_instance_identifier().is_none()),
        ),
        dr_bucket: r.dr_bucket.clone(),
        replication_role_arn: r.role_arn.clone(),
        rpo_estimate: Some(objectives::human(estimate.rpo)),
        rpo_source: Some(r.rpo_source.clone()),
        rto_estimate: Some(objectives::human(estimate.rto)),
        objectives_met: Some(
            objectives::shortfall(m.mode(), &estimate, rto_target, rpo_target).is_none(),
        ),
    };
    super::to_state(&s, &schema::schema(), known)
}

// ---- writing -----------------------------------------------------------------

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

/// What one create or update works with.
struct Ctx<'a> {
    aws: &'a Aws,
    m: &'a Model,
    /// The primary region.
    region: &'a str,
    tags: &'a BTreeMap<String, String>,
    owner: &'a Owner,
    limit: Duration,
    stop: &'a Stop,
}

/// Before a create changes anything (its rule in the registry's shared
/// replication configuration comes first): every name it is about to take
/// in the DR region — the DR bucket, the lock table, the replica — and the
/// replication role is free or this stack's own; otherwise the refusal.
async fn claim_names(cx: &Ctx<'_>) -> Result<()> {
    let Ctx {
        aws,
        m,
        region,
        owner,
        ..
    } = *cx;
    let refuse = |what: &'static str,
                  id: &str,
                  in_region: &str,
                  tags: &BTreeMap<String, String>,
                  attribute: &'static str| {
        owner.adopt(&crate::ownership::Existing {
            what,
            id,
            region: in_region,
            tags: Some(tags),
            import_id: None,
            attribute,
        })
    };
    if let (Some(_), Some(dest)) = (&m.state_bucket, m.dr_bucket()) {
        let dr_s3 = aws.s3(&m.dr_region);
        match s3::probe(&dr_s3, &dest).await? {
            Some(true) => refuse(
                "A bucket",
                &dest,
                "global",
                &s3::tags(&dr_s3, &dest).await?,
                "state_bucket",
            )?,
            // Bucket names are global: another AWS account has this one.
            Some(false) => refuse(
                "A bucket of another AWS account",
                &dest,
                "global",
                &BTreeMap::new(),
                "state_bucket",
            )?,
            None => {}
        }
        let name = role_name(m, region);
        if let Some(role) = iam::find_role(&aws.iam(), &name).await? {
            refuse("An IAM role", &name, "global", &role.tags, "name")?;
        }
    }
    if let Some(table) = &m.state_lock_table {
        if let Some(t) = dynamodb::find_table(&aws.dynamodb(&m.dr_region), table).await? {
            refuse(
                "A DynamoDB table",
                table,
                &m.dr_region,
                &t.tags,
                "state_lock_table",
            )?;
        }
    }
    if m.db_arn.is_some() && m.mode() != Mode::Backups {
        let id = m.replica();
        if let Some(db) = rds::find_instance(&aws.rds(&m.dr_region), &id).await? {
            rds::claim_instance(owner, &m.dr_region, &id, &db)?;
        }
    }
    Ok(())
}

/// The DR copy of the state: the DR bucket, the replication role and this
/// stack's rule on the state bucket, and the DR lock table.
async fn ensure_state_copy(cx: &Ctx<'_>, side: &mut SideObjects) -> Result<()> {
    let Ctx {
        aws,
        m,
        region,
        tags: all_tags,
        owner,
        limit,
        stop,
    } = *cx;
    let (Some(bucket), Some(dest)) = (&m.state_bucket, m.dr_bucket()) else {
        return Ok(());
    };
    let dr_s3 = aws.s3(&m.dr_region);
    let bucket_key = key::bucket(&dest);
    let existing = s3::exists(&dr_s3, &dest).await?;
    let ours = existing && side.is_ours(&bucket_key, Some(&s3::tags(&dr_s3, &dest).await?));
    if !ours {
        // Created, or — a bucket of that name that is not this resource's —
        // refused (naming who owns it) before anything is changed.
        s3::create_bucket(
            &dr_s3,
            &s3::NewBucket {
                name: &dest,
                region: &m.dr_region,
                tags: all_tags,
                what: "A bucket",
                import_id: None,
                attribute: "state_bucket",
            },
            owner,
        )
        .await?;
    }
    side.record(bucket_key);
    s3::harden(
        &dr_s3,
        &dest,
        aws::partition(&m.dr_region),
        &s3::Hardening {
            kms_key: None,
            tls_only: !aws.plain_http_endpoint("s3"),
            noncurrent_expiration_days: None,
            tags: all_tags,
        },
    )
    .await?;
    let partition = aws::partition(region);
    let name = role_name(m, region);
    let role = iam::ensure_role(
        &aws.iam(),
        partition,
        &RoleSpec {
            name: &name,
            description: "S3 replication of the Terraform state (onto_dr_region)",
            trust: iam::service_trust("s3.amazonaws.com"),
            managed: &[],
            tags: all_tags,
        },
        owner,
        side,
    )
    .await?;
    iam::put_inline_policy(
        &aws.iam(),
        &name,
        "replicate-state",
        &replication_policy(partition, bucket, &dest),
    )
    .await?;
    s3::put_replication_rule(
        &aws.s3(region),
        bucket,
        &m.rule_id(&aws.stack),
        &role,
        Some(&format!("arn:{partition}:s3:::{dest}")),
    )
    .await?;
    if let Some(table) = &m.state_lock_table {
        let table_key = key::table(&m.dr_region, table);
        let ddb = aws.dynamodb(&m.dr_region);
        let have = dynamodb::find_table(&ddb, table).await?;
        let ours = side.is_ours(&table_key, have.as_ref().map(|t| &t.tags));
        dynamodb::ensure_lock_table(
            &ddb,
            &dynamodb::LockTable {
                name: table,
                region: &m.dr_region,
                deletion_protection: false,
                point_in_time_recovery: true,
                tags: all_tags,
            },
            owner,
            ours,
            limit,
            stop,
        )
        .await?;
        side.record(table_key);
    }
    Ok(())
}

/// The DR database: a cross-region read replica with its subnet and
/// security groups, or replicated automated backups. Returns what the plan
/// should hear of a copy that was there before (not this resource's).
async fn ensure_db_copy(cx: &Ctx<'_>, side: &mut SideObjects) -> Result<Option<String>> {
    let Ctx {
        aws,
        m,
        tags: all_tags,
        owner,
        limit,
        stop,
        ..
    } = *cx;
    let Some(source_arn) = &m.db_arn else {
        return Ok(None);
    };
    if m.mode() == Mode::Backups {
        let k = key::backup_replication(&m.dr_region, source_arn);
        let started = rds::start_backup_replication(
            &aws.rds(&m.dr_region),
            source_arn,
            m.dr_kms_key.clone(),
            7,
        )
        .await?;
        if started {
            side.record(k);
        } else if !side.is_ours(&k, None) {
            return Ok(Some(format!(
                "Automated backups of {source_arn} were already replicated to {} before this resource: it relies on that replication, and destroy leaves it running.",
                m.dr_region
            )));
        }
        return Ok(None);
    }
    let rds_dr = aws.rds(&m.dr_region);
    let id = m.replica();
    // Who owns an instance of this name decides before anything is made.
    let existing = rds::find_instance(&rds_dr, &id).await?;
    if let Some(db) = &existing {
        if !side.is_ours(
            &key::db_instance(&m.dr_region, &id),
            Some(&rds::tag_map(db.tag_list())),
        ) {
            rds::claim_instance(owner, &m.dr_region, &id, db)?;
        }
        side.record(key::db_instance(&m.dr_region, &id));
        return Ok(None);
    }
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
    let subnets = m.dr_subnet_ids.clone().unwrap_or_default();
    // The DR subnet group is named like the replica: the primary's name may
    // be taken in the DR region (a fail-back to the old primary's region).
    let group = id.clone();
    rds::ensure_subnet_group(
        &rds_dr,
        &rds::SubnetGroup {
            name: &group,
            description: &format!("onto_dr_region {} ({source_id} in {})", m.name, m.dr_region),
            region: &m.dr_region,
            subnets: &subnets,
            tags: all_tags,
        },
        owner,
        side,
    )
    .await?;
    let ec2c = aws.ec2(&m.dr_region);
    let vpc = ec2::vpc_of(&ec2c, &subnets).await?;
    let sg_id = sg::ensure(
        &ec2c,
        &sg::Group {
            vpc: &vpc,
            name: &format!("{}-db-dr", m.name),
            description: &format!("onto_dr_region {}: PostgreSQL", m.name),
            region: &m.dr_region,
            tags: all_tags,
            port: PORT,
            sources: &sg::Sources {
                security_groups: Default::default(),
                cidr_blocks: m.dr_allowed_cidr_blocks.iter().flatten().cloned().collect(),
            },
        },
        owner,
        side,
    )
    .await?;
    let class = m
        .db_instance_class
        .clone()
        .or_else(|| primary.db_instance_class().map(str::to_owned))
        .unwrap_or_else(|| "db.t4g.micro".into());
    let request = rds_dr
        .create_db_instance_read_replica()
        .db_instance_identifier(&id)
        .source_db_instance_identifier(source_arn)
        .db_instance_class(class)
        .db_subnet_group_name(&group)
        .vpc_security_group_ids(&sg_id)
        .set_kms_key_id(m.dr_kms_key.clone())
        .copy_tags_to_snapshot(true)
        .set_tags(Some(rds::rds_tags(all_tags)));
    rds::create_instance(
        &rds_dr,
        Create::Replica(Box::new(request)),
        &id,
        &m.dr_region,
        owner,
    )
    .await?;
    side.record(key::db_instance(&m.dr_region, &id));
    rds::wait_available(&rds_dr, &id, limit, stop, Until::default()).await?;
    Ok(None)
}

/// Removes the DR database copy (what this resource made of it).
async fn remove_db_copy(
    aws: &Aws,
    m: &Model,
    side: &SideObjects,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    let Some(arn) = &m.db_arn else { return Ok(()) };
    if m.mode() == Mode::Backups {
        let k = key::backup_replication(&m.dr_region, arn);
        // Replication carries no tags: state from before records were kept
        // started it if this resource did.
        if side.is_ours(&k, None) || side.is_legacy() {
            return rds::stop_backup_replication(&aws.rds(&m.dr_region), arn).await;
        }
        tracing::warn!(source = %arn, "leaving a backup replication this resource did not start");
        return Ok(());
    }
    let rds_dr = aws.rds(&m.dr_region);
    let id = m.replica();
    let mut subnet_group = Some(id.clone());
    let mut groups = Vec::new();
    if let Some(replica) = rds::find_instance(&rds_dr, &id).await? {
        if !side.is_ours(
            &key::db_instance(&m.dr_region, &id),
            Some(&rds::tag_map(replica.tag_list())),
        ) {
            tracing::warn!(replica = %id, "leaving a DR database this resource did not create");
            return Ok(());
        }
        if replica
            .read_replica_source_db_instance_identifier()
            .is_none()
        {
            return Err(Diagnostic::error(
                "The DR database was promoted",
                format!("{id} is now a standalone database (after a failover) and may hold the only copy of recent data. Import it as an onto_db (terraform import onto_db.<name> {}:{id}) and remove it from this resource's state, or delete it by hand.", m.dr_region),
            )
            .into());
        }
        subnet_group = replica
            .db_subnet_group()
            .and_then(|g| g.db_subnet_group_name())
            .map(str::to_owned);
        groups = replica
            .vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id().map(str::to_owned))
            .collect();
        rds::delete_instance(&rds_dr, &replica, false).await?;
        rds::wait_deleted(&rds_dr, &id, limit, stop).await?;
    }
    if let Some(name) = subnet_group {
        let tags = rds::find_subnet_group(&rds_dr, &name)
            .await?
            .map(|(_, t)| t);
        if tags.is_some() && side.is_ours(&key::db_subnet_group(&m.dr_region, &name), tags.as_ref())
        {
            rds::delete_subnet_group(&rds_dr, &name).await?;
        }
    }
    let ec2c = aws.ec2(&m.dr_region);
    for g in groups {
        if let Some(found) = sg::find(&ec2c, &g).await? {
            if side.is_ours(&key::security_group(&g), Some(&sg::tags(&found))) {
                sg::delete(&ec2c, &g).await?;
            }
        }
    }
    Ok(())
}

/// Removes the DR copy of the state (what this resource made of it).
async fn remove_state_copy(aws: &Aws, m: &Model, region: &str, side: &SideObjects) -> Result<()> {
    let (Some(bucket), Some(dest)) = (&m.state_bucket, m.dr_bucket()) else {
        return Ok(());
    };
    s3::put_replication_rule(&aws.s3(region), bucket, &m.rule_id(&aws.stack), "", None).await?;
    if side.is_legacy() {
        s3::put_replication_rule(
            &aws.s3(region),
            bucket,
            &format!("onto-dr-{}", m.name),
            "",
            None,
        )
        .await?;
    }
    iam::delete_role_if_ours(&aws.iam(), &role_name(m, region), side).await?;
    let dr_s3 = aws.s3(&m.dr_region);
    if s3::exists(&dr_s3, &dest).await? {
        let tags = s3::tags(&dr_s3, &dest).await?;
        if side.is_ours(&key::bucket(&dest), Some(&tags)) {
            let held = s3::object_count(&dr_s3, &dest).await?;
            if held > 0 && m.force_destroy != Some(true) {
                return Err(Diagnostic::error(
                    "DR state bucket not empty",
                    format!("{dest} holds {held} replicated state versions. Set force_destroy = true and apply, then destroy."),
                )
                .into());
            }
            s3::empty(&dr_s3, &dest).await?;
            s3::delete_bucket(&dr_s3, &dest).await?;
        }
    }
    if let Some(table) = &m.state_lock_table {
        let ddb = aws.dynamodb(&m.dr_region);
        if let Some(t) = dynamodb::find_table(&ddb, table).await? {
            if side.is_ours(&key::table(&m.dr_region, table), Some(&t.tags)) {
                dynamodb::delete_table(&ddb, table, t.deletion_protection).await?;
            }
        }
    }
    Ok(())
}

// ---- create / read / update / delete ------------------------------------------

/// Identity: the name and the DR region.
const IDENTITY: &[crate::identity::Part] = &[
    ("name", true, "The DR setup's name."),
    ("dr_region", true, "The DR region."),
];

#[async_trait]
impl Resource for DrRegion {
    fn type_name(&self) -> &str {
        TYPE
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        plan::check_config(config, diags);
    }

    async fn modify_plan(&self, req: &mut PlanRequest) -> Result<()> {
        match self.0.get() {
            Some(aws) => {
                crate::regions::check_plan(aws.skip_region_validation, &req.config)?;
                plan::modify(aws, req).await
            }
            None => Ok(()),
        }
    }

    fn resumes_creates(&self) -> bool {
        true
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.planned, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "create", Duration::from_secs(3600));
        let owner = owner_of(aws, &m);
        let all_tags = tags::all(aws, &owner, &m.tags.clone().unwrap_or_default());
        let mut side = SideObjects::new(&owner);
        // Each step is saved: an interrupted create is finished next time.
        let checkpoint = |req: &mut ApplyRequest, side: &SideObjects| {
            side.save(&mut req.private);
            req.save_partial(req.planned.clone());
        };
        let stop = req.stop.clone();
        let cx = Ctx {
            aws,
            m: &m,
            region: &region,
            tags: &all_tags,
            owner: &owner,
            limit,
            stop: &stop,
        };
        claim_names(&cx).await?;
        ecr::put_replication(
            &aws.ecr(&region),
            &marker(aws, &m),
            m.replication().as_ref(),
        )
        .await?;
        checkpoint(req, &side);
        ensure_state_copy(&cx, &mut side).await?;
        checkpoint(req, &side);
        if let Some(note) = ensure_db_copy(&cx, &mut side).await? {
            req.warn("DR backups were already replicated", note);
        }
        side.save(&mut req.private);
        let remote = describe(aws, &m).await?;
        state(aws, &m, &remote, &req.planned)
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let Some(aws) = self.0.get() else {
            return Ok(Some(req.state.clone()));
        };
        let m: Model = super::model(&req.state, TYPE)?;
        let remote = describe(aws, &m).await?;
        crate::ownership::settle_import(&mut req.private, &owner_of(aws, &m), &remote.tags);
        state(aws, &m, &remote, &req.state).map(Some)
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.planned, TYPE)?;
        let prior: Model = super::model(&req.prior, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "create", Duration::from_secs(3600));
        let owner = owner_of(aws, &m);
        let all_tags = tags::all(aws, &owner, &m.tags.clone().unwrap_or_default());
        let mut side = SideObjects::load(&req.private, &owner);
        let mut m = m;
        m.replication_role_arn = prior.replication_role_arn.clone();
        ecr::put_replication(
            &aws.ecr(&region),
            &marker(aws, &m),
            m.replication().as_ref(),
        )
        .await?;
        let stop = req.stop.clone();
        let cx = Ctx {
            aws,
            m: &m,
            region: &region,
            tags: &all_tags,
            owner: &owner,
            limit,
            stop: &stop,
        };
        ensure_state_copy(&cx, &mut side).await?;
        side.save(&mut req.private);
        if let Some(replica) = rds::find_instance(&aws.rds(&m.dr_region), &m.replica()).await? {
            let k = key::db_instance(&m.dr_region, &m.replica());
            if side.is_ours(&k, Some(&rds::tag_map(replica.tag_list()))) {
                rds::converge_tags(
                    &aws.rds(&m.dr_region),
                    replica.db_instance_arn().unwrap_or_default(),
                    &rds::tag_map(replica.tag_list()),
                    &all_tags,
                )
                .await?;
                side.record(k);
                side.save(&mut req.private);
            }
        }
        let remote = describe(aws, &m).await?;
        state(aws, &m, &remote, &req.planned)
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.prior, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.prior, "delete", Duration::from_secs(3600));
        let side = SideObjects::load(&req.private, &owner_of(aws, &m));
        ecr::put_replication(&aws.ecr(&region), &marker(aws, &m), None).await?;
        remove_db_copy(aws, &m, &side, limit, &req.stop).await?;
        remove_state_copy(aws, &m, &region, &side).await
    }

    /// Import ID: `NAME,DR_REGION[,STATE_BUCKET]`. The replica
    /// (`NAME-db`) names the primary database and the DR key; the ECR rule
    /// is this stack's.
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let id = match &req.identity {
            Some(i) => format!(
                "{},{}",
                i.get("name").as_str().unwrap_or_default(),
                i.get("dr_region").as_str().unwrap_or_default()
            ),
            None => req.id.clone(),
        };
        let parts: Vec<&str> = id.split(',').collect();
        let (name, dr_region) = match parts.as_slice() {
            [n, r] | [n, r, _] => ((*n).to_owned(), (*r).to_owned()),
            _ => {
                return Err(Diagnostic::error(
                    "Invalid import ID",
                    format!(
                        "{:?}: use NAME,DR_REGION or NAME,DR_REGION,STATE_BUCKET.",
                        id
                    ),
                )
                .into())
            }
        };
        let mut m = Model {
            name: name.clone(),
            region: Some(aws.region.clone()),
            dr_region: dr_region.clone(),
            force_destroy: Some(false),
            rto_target: Some("15m".into()),
            rpo_target: Some("1h".into()),
            db_mode: Some("replica".into()),
            state_bucket: parts.get(2).map(|b| (*b).to_owned()),
            ..Model::default()
        };
        if let Some(rule) = ecr::find_replication(&aws.ecr(&aws.region), &marker(aws, &m)).await? {
            m.repository_prefixes = Some(rule.prefixes.into_iter().collect());
        }
        if let Some(replica) =
            rds::find_instance(&aws.rds(&dr_region), &format!("{name}-db")).await?
        {
            m.db_arn = replica
                .read_replica_source_db_instance_identifier()
                .map(str::to_owned);
            m.dr_kms_key = replica.kms_key_id().map(str::to_owned);
            m.dr_subnet_ids = replica.db_subnet_group().map(|g| {
                g.subnets()
                    .iter()
                    .filter_map(|s| s.subnet_identifier().map(str::to_owned))
                    .collect()
            });
        }
        super::to_state(&m, &schema::schema(), &Value::Null)
    }

    fn identity_schema(&self) -> Option<tfplugin::schema::IdentitySchema> {
        Some(crate::identity::schema(IDENTITY))
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        Some(crate::identity::of(state, IDENTITY))
    }
}

#[cfg(test)]
mod tests {
    //! Pure rules: rule ids and markers per stack.

    use super::*;

    #[test]
    fn rule_ids_and_markers_differ_per_stack() {
        let m = Model {
            name: "dr".into(),
            ..Model::default()
        };
        assert_ne!(m.rule_id("s3://b/a@dev"), m.rule_id("s3://b/b@dev"));
        assert_ne!(
            ecr::replication_marker("s3://b/a@dev", "dr"),
            ecr::replication_marker("s3://b/b@dev", "dr")
        );
    }
}
