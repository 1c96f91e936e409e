//! `onto_db`: an RDS PostgreSQL instance with everything around it — a
//! subnet group, a security group open on 5432 only to named sources, an
//! optional managed parameter group — encrypted always, sized and protected
//! by the environment profile.
//!
//! Three things differ from the usual RDS resource:
//! - AWS's automatic minor upgrades never show as a downgrade: a configured
//!   `engine_version` that AWS has since moved past (same major) is kept.
//!   Storage grown by autoscaling is treated the same way.
//! - With `apply_immediately = false`, changes AWS holds for the maintenance
//!   window appear in `pending_changes`, and the plan does not propose them
//!   again on every run.
//! - Destroy takes a final snapshot under a generated name that is never
//!   taken already (`<name>-final-<yyyymmdd>`, then `-2`, `-3`, ...).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_rds::types::{CloudwatchLogsExportConfiguration, DbInstance, Parameter, Tag};
use aws_smithy_types::date_time::Format;
use serde::Deserialize;
use serde_json::json;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::plan::modifiers::RequiresReplaceIf;
use tfplugin::plan::timeout;
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::validate::{int_between, length_between, one_of, Validator};
use tfplugin::value::{typed, AttributePath, Type, Value};
use tfplugin::Stop;

use crate::aws::{self, wait_until, Aws, Poll};
use crate::firewall::{self, Sources};
use crate::shared::Shared;
use crate::{profile, tags, validators};

const TYPE: &str = "onto_db";
const PORT: i32 = 5432;
const ENGINE: &str = "postgres";
const LOG_TYPES: [&str; 2] = ["postgresql", "upgrade"];

pub struct Db(pub Shared);

// ---- schema ----------------------------------------------------------------

/// RDS identifiers: 1–63 lowercase letters, digits and single hyphens,
/// starting with a letter and not ending with a hyphen.
struct Identifier;

impl Validator for Identifier {
    fn description(&self) -> String {
        "an RDS identifier: lowercase letters, digits and single hyphens, starting with a letter"
            .into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        let ok = (1..=63).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.ends_with('-')
            && !s.contains("--");
        if !ok {
            diags.error_at(
                path.clone(),
                "Invalid identifier",
                format!(
                    "{s:?} is not {}, at most 63 characters.",
                    self.description()
                ),
            );
        }
    }
}

/// `db.<family>.<size>`, e.g. `db.t4g.micro`, `db.r6g.2xlarge`.
struct InstanceClass;

impl Validator for InstanceClass {
    fn description(&self) -> String {
        "an instance class like `db.t4g.micro` or `db.r6g.2xlarge`".into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        let parts: Vec<&str> = s.split('.').collect();
        let word = |p: &str| {
            !p.is_empty()
                && p.starts_with(|c: char| c.is_ascii_alphanumeric())
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if !(parts.len() == 3 && parts[0] == "db" && word(parts[1]) && word(parts[2])) {
            diags.error_at(
                path.clone(),
                "Invalid instance class",
                format!("{s:?} is not {}.", self.description()),
            );
        }
    }
}

/// `hh:mm-hh:mm` (backup) or `ddd:hh:mm-ddd:hh:mm` (maintenance), UTC.
struct Window {
    with_day: bool,
}

impl Validator for Window {
    fn description(&self) -> String {
        if self.with_day {
            "a weekly UTC window like `sun:03:00-sun:04:00` (lowercase day)".into()
        } else {
            "a daily UTC window like `01:00-02:00`".into()
        }
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        let point = |p: &str| {
            let (day, time) = if self.with_day {
                match p.split_once(':') {
                    Some((d, t)) => (Some(d), t),
                    None => return false,
                }
            } else {
                (None, p)
            };
            let day_ok =
                day.is_none_or(|d| ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].contains(&d));
            let time_ok = time.split_once(':').is_some_and(|(h, m)| {
                h.len() == 2
                    && m.len() == 2
                    && h.parse::<u8>().is_ok_and(|h| h < 24)
                    && m.parse::<u8>().is_ok_and(|m| m < 60)
            });
            day_ok && time_ok
        };
        let ok = s.split_once('-').is_some_and(|(a, b)| point(a) && point(b));
        if !ok {
            diags.error_at(
                path.clone(),
                "Invalid window",
                format!("{s:?} is not {}.", self.description()),
            );
        }
    }
}

fn schema() -> Schema {
    // A replica promoted (source removed) stays; any other change of source replaces.
    let source_replaces = RequiresReplaceIf(
        |state: &Value, plan: &Value| !plan.is_null() && !plan.same(state),
        "Changing the source replaces the replica; removing it promotes the replica in place.",
    );
    Schema::new(
        Block::new()
            .describe("An RDS PostgreSQL instance with its subnet group, a security group open on 5432 only to the sources you name, and an optional managed parameter group. Storage is always encrypted. Sizing and protection come from the environment profile. The master password is managed in Secrets Manager, or set write-only, and never stored in state.")
            .attribute(Attribute::string("name").required().requires_replace().validate(Identifier).describe("Instance identifier; also names the subnet group, security group (`<name>-db`) and parameter group."))
            .attribute(Attribute::string("region").optional().computed().requires_replace().use_state_for_unknown().validate(validators::region()).describe("Region; defaults to the provider's."))
            .attribute(profile::environment_attribute())
            .attribute(profile::overrides_attribute(TYPE))
            .attribute(Attribute::string("engine_version").default("16").describe("PostgreSQL version: a major (`16`, AWS picks the minor) or a full version (`16.4`). After AWS applies an automatic minor upgrade the configured version is kept, so the plan never proposes a downgrade. Raising it upgrades in place (a major upgrade too)."))
            .attribute(Attribute::string("engine_version_actual").computed().describe("The version AWS runs now."))
            .attribute(Attribute::bool("auto_minor_version_upgrade").default(true).describe("Let AWS apply minor upgrades in the maintenance window. Default true."))
            .attribute(Attribute::string("instance_class").optional().computed().validate(InstanceClass).describe("Instance class. Default from the environment profile."))
            .attribute(Attribute::number("allocated_storage").default(20).validate(int_between(20, 65_536)).describe("Storage in GiB. When storage autoscaling grows it, the configured value is kept (no shrink is ever planned)."))
            .attribute(Attribute::number("max_allocated_storage").optional().validate(int_between(21, 65_536)).describe("Upper limit for storage autoscaling, in GiB; unset turns autoscaling off."))
            .attribute(Attribute::string("storage_type").default("gp3").validate(one_of(&["gp2", "gp3", "io1", "io2"])).describe("`gp3` (default), `gp2`, `io1` or `io2`."))
            .attribute(Attribute::string("kms_key").optional().computed().requires_replace().use_state_for_unknown().validate(validators::kms_key()).describe("KMS key for storage encryption (always on); AWS's managed key when omitted. For a cross-region replica: a key in the replica's region."))
            .attribute(Attribute::new("subnet_ids", Type::set(Type::String)).required().describe("Subnets for the subnet group (the database tier), in at least two AZs."))
            .attribute(Attribute::new("allowed_security_group_ids", Type::set(Type::String)).optional().describe("Security groups allowed to connect on 5432."))
            .attribute(Attribute::new("allowed_cidr_blocks", Type::set(Type::String)).optional().validate(validators::CidrBlocks).describe("CIDR blocks allowed to connect on 5432."))
            .attribute(Attribute::new("parameters", Type::map(Type::String)).optional().describe("PostgreSQL parameters. When set, a parameter group `<name>-postgres<major>` is managed for you."))
            .attribute(Attribute::bool("multi_az").optional().computed().describe("A synchronous standby in another AZ. Default from the environment profile (on in prod)."))
            .attribute(Attribute::number("backup_retention_days").optional().computed().validate(int_between(0, 35)).describe("Days of automated backups (point-in-time restore). Default from the environment profile (14 in prod, at least 7 without an override)."))
            .attribute(Attribute::string("backup_window").optional().computed().use_state_for_unknown().validate(Window { with_day: false }).describe("Daily backup window, UTC (`01:00-02:00`); AWS picks one when unset."))
            .attribute(Attribute::string("maintenance_window").optional().computed().use_state_for_unknown().validate(Window { with_day: true }).describe("Weekly maintenance window, UTC (`sun:03:00-sun:04:00`); AWS picks one when unset."))
            .attribute(Attribute::bool("deletion_protection").optional().computed().describe("Refuse deletion while on. Default from the environment profile."))
            .attribute(Attribute::bool("final_snapshot").optional().computed().describe("Take a final snapshot on destroy, named `<name>-final-<yyyymmdd>` (with `-2`, `-3` ... when taken already). Default from the environment profile."))
            .attribute(Attribute::bool("performance_insights").optional().computed().describe("Performance Insights (7 days retention). Default from the environment profile."))
            .attribute(Attribute::bool("apply_immediately").optional().computed().describe("Apply changes now rather than in the maintenance window. When false, held changes show in `pending_changes`. Default from the environment profile (false in prod)."))
            .attribute(Attribute::new("log_exports", Type::set(Type::String)).optional().computed().validate(one_of(&LOG_TYPES)).describe("Logs exported to CloudWatch Logs: `postgresql`, `upgrade`. Default both."))
            .attribute(Attribute::string("username").default("onto").requires_replace().validate(length_between(1, 63)).describe("Master user name."))
            .attribute(Attribute::string("database_name").optional().requires_replace().validate(length_between(1, 63)).describe("A database created with the instance."))
            .attribute(Attribute::string("password_wo").optional().write_only().sensitive().validate(length_between(8, 128)).describe("Master password, write-only (Terraform 1.11+): sent to AWS, never stored in state or plan. Without it, the password is generated and kept in Secrets Manager (`master_secret_arn`)."))
            .attribute(Attribute::number("password_wo_version").optional().describe("Change this to send a new `password_wo`."))
            .attribute(Attribute::string("replicate_source_db").optional().modifier(source_replaces).describe("ARN of the instance to replicate (any region). Makes this a read replica; removing it promotes the replica to a standalone instance."))
            .attribute(Attribute::new("tags", Type::map(Type::String)).optional().validate(validators::TagKeys).describe("Tags for the instance and its groups."))
            .attribute(Attribute::new("tags_all", Type::map(Type::String)).computed().describe("All tags, including `default_tags` and the onto tags."))
            .attribute(Attribute::string("arn").computed().use_state_for_unknown().describe("Instance ARN."))
            .attribute(Attribute::string("resource_id").computed().use_state_for_unknown().describe("The instance's stable resource id (`db-...`), for IAM policies."))
            .attribute(Attribute::string("endpoint").computed().use_state_for_unknown().describe("`address:port`."))
            .attribute(Attribute::string("address").computed().use_state_for_unknown().describe("DNS name to connect to."))
            .attribute(Attribute::number("port").computed().use_state_for_unknown().describe("Port (5432)."))
            .attribute(Attribute::string("security_group_id").computed().use_state_for_unknown().describe("The instance's security group."))
            .attribute(Attribute::string("subnet_group_name").computed().use_state_for_unknown().describe("The DB subnet group."))
            .attribute(Attribute::string("parameter_group_name").computed().describe("The managed parameter group, when `parameters` is set."))
            .attribute(Attribute::string("master_secret_arn").computed().describe("Secrets Manager secret holding the master credentials (null with `password_wo`)."))
            .attribute(Attribute::new("pending_changes", Type::map(Type::String)).computed().describe("Changes AWS holds for the next maintenance window, by attribute."))
            .timeouts(&["create", "update", "delete"]),
    )
}

// ---- model -----------------------------------------------------------------

#[derive(Deserialize)]
struct Model {
    #[serde(default, deserialize_with = "super::null_as_default")]
    name: String,
    region: Option<String>,
    environment: Option<String>,
    #[serde(default, deserialize_with = "super::null_as_default")]
    engine_version: String,
    #[serde(default, deserialize_with = "super::null_as_default")]
    auto_minor_version_upgrade: bool,
    #[serde(default, deserialize_with = "super::null_as_default")]
    instance_class: String,
    #[serde(default, deserialize_with = "super::null_as_default")]
    allocated_storage: i32,
    max_allocated_storage: Option<i32>,
    #[serde(default, deserialize_with = "super::null_as_default")]
    storage_type: String,
    kms_key: Option<String>,
    subnet_ids: Vec<String>,
    allowed_security_group_ids: Option<Vec<String>>,
    allowed_cidr_blocks: Option<Vec<String>>,
    parameters: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "super::null_as_default")]
    multi_az: bool,
    #[serde(default, deserialize_with = "super::null_as_default")]
    backup_retention_days: i32,
    backup_window: Option<String>,
    maintenance_window: Option<String>,
    #[serde(default, deserialize_with = "super::null_as_default")]
    deletion_protection: bool,
    #[serde(default, deserialize_with = "super::null_as_default")]
    performance_insights: bool,
    #[serde(default, deserialize_with = "super::null_as_default")]
    apply_immediately: bool,
    log_exports: Option<Vec<String>>,
    #[serde(default, deserialize_with = "super::null_as_default")]
    username: String,
    database_name: Option<String>,
    password_wo_version: Option<i64>,
    replicate_source_db: Option<String>,
    tags: Option<BTreeMap<String, String>>,
}

fn model(v: &Value) -> Result<Model> {
    typed::from_value(v)
        .map_err(|e| Diagnostic::error("Invalid onto_db value", e.to_string()).into())
}

impl Model {
    fn environment<'a>(&'a self, aws: &'a Aws) -> &'a str {
        self.environment.as_deref().unwrap_or(&aws.environment)
    }

    fn sources(&self) -> Sources {
        Sources {
            security_groups: self
                .allowed_security_group_ids
                .iter()
                .flatten()
                .cloned()
                .collect(),
            cidr_blocks: self.allowed_cidr_blocks.iter().flatten().cloned().collect(),
        }
    }

    fn logs(&self) -> Vec<String> {
        self.log_exports
            .clone()
            .unwrap_or_else(|| LOG_TYPES.map(str::to_owned).to_vec())
    }

    fn parameter_group(&self) -> Option<String> {
        self.parameters
            .as_ref()
            .filter(|p| !p.is_empty())
            .map(|_| format!("{}-postgres{}", self.name, major(&self.engine_version)))
    }
}

// ---- versions, storage and pending changes -----------------------------------

fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

fn version_parts(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// The `engine_version` state keeps: the configured one while AWS runs it
/// or a newer minor of it (an automatic upgrade is not drift), else what
/// AWS runs (a change made outside Terraform).
fn version_in_state(configured: Option<&str>, actual: &str) -> String {
    match configured {
        Some(c) if major(c) == major(actual) && version_parts(actual) >= version_parts(c) => {
            c.to_owned()
        }
        _ => actual.to_owned(),
    }
}

/// Whether moving from `actual` to `wanted` is an upgrade AWS must do.
fn upgrade_needed(wanted: &str, actual: &str) -> bool {
    major(wanted) != major(actual) || version_parts(wanted) > version_parts(actual)
}

/// The name of the final snapshot for a destroy on `date` (`yyyymmdd`),
/// the `n`th candidate.
fn final_snapshot_name(name: &str, date: &str, n: u32) -> String {
    if n <= 1 {
        format!("{name}-final-{date}")
    } else {
        format!("{name}-final-{date}-{n}")
    }
}

/// The effective settings of an instance: what it runs, overlaid with the
/// changes AWS holds for the maintenance window (so the plan does not
/// propose them again), plus those held changes by attribute.
struct Effective {
    instance_class: Option<String>,
    allocated_storage: Option<i32>,
    multi_az: Option<bool>,
    engine_version: Option<String>,
    backup_retention: Option<i32>,
    storage_type: Option<String>,
    pending: BTreeMap<String, String>,
}

fn effective(db: &DbInstance) -> Effective {
    let p = db.pending_modified_values();
    let mut pending = BTreeMap::new();
    let mut note = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            pending.insert(k.to_owned(), v);
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
    Effective {
        instance_class: p
            .and_then(|p| p.db_instance_class())
            .or(db.db_instance_class())
            .map(str::to_owned),
        allocated_storage: p
            .and_then(|p| p.allocated_storage())
            .or(db.allocated_storage()),
        multi_az: p.and_then(|p| p.multi_az()).or(db.multi_az()),
        engine_version: p
            .and_then(|p| p.engine_version())
            .or(db.engine_version())
            .map(str::to_owned),
        backup_retention: p
            .and_then(|p| p.backup_retention_period())
            .or(db.backup_retention_period()),
        storage_type: p
            .and_then(|p| p.storage_type())
            .or(db.storage_type())
            .map(str::to_owned),
        pending,
    }
}

// ---- AWS calls ---------------------------------------------------------------

/// What AWS holds for one instance.
struct Remote {
    db: DbInstance,
    sources: Sources,
    parameters: Option<BTreeMap<String, String>>,
}

pub(crate) async fn describe_instance(
    rds: &aws_sdk_rds::Client,
    name: &str,
) -> Result<Option<DbInstance>> {
    match rds
        .describe_db_instances()
        .db_instance_identifier(name)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_instances().first().cloned()),
        Err(e) if aws::code(&e) == Some("DBInstanceNotFound") => Ok(None),
        Err(e) => Err(aws::error("rds:DescribeDBInstances", &e).into()),
    }
}

async fn user_parameters(
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
            Err(e) if aws::code(&e) == Some("DBParameterGroupNotFound") => return Ok(None),
            Err(e) => return Err(aws::error("rds:DescribeDBParameters", &e).into()),
        };
        for p in page.parameters() {
            if let (Some(n), Some(v)) = (p.parameter_name(), p.parameter_value()) {
                out.insert(n.to_owned(), v.to_owned());
            }
        }
    }
    Ok(Some(out))
}

async fn describe(
    aws: &Aws,
    region: &str,
    name: &str,
    sg_id: Option<&str>,
) -> Result<Option<Remote>> {
    let Some(db) = describe_instance(&aws.rds(region), name).await? else {
        return Ok(None);
    };
    let sg_id = sg_id.map(str::to_owned).or_else(|| {
        db.vpc_security_groups()
            .first()
            .and_then(|g| g.vpc_security_group_id())
            .map(str::to_owned)
    });
    let sources = match &sg_id {
        Some(id) => firewall::find(&aws.ec2(region), Some(id), "")
            .await?
            .map(|sg| firewall::sources(&sg, PORT))
            .unwrap_or_default(),
        None => Sources::default(),
    };
    let group = db
        .db_parameter_groups()
        .iter()
        .filter_map(|g| g.db_parameter_group_name())
        .find(|g| !g.starts_with("default."));
    let parameters = match group {
        Some(g) => user_parameters(&aws.rds(region), g).await?,
        None => None,
    };
    Ok(Some(Remote {
        db,
        sources,
        parameters,
    }))
}

fn rds_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
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

/// Waits until the instance is usable. With `settled`, also until AWS has
/// applied every change it holds (an `apply_immediately` update) and, for a
/// promotion, until it is no longer a replica.
pub(crate) async fn wait_available(
    rds: &aws_sdk_rds::Client,
    name: &str,
    limit: Duration,
    stop: &Stop,
    settled: bool,
    promoted: bool,
) -> Result<DbInstance> {
    wait_until(&format!("database {name}"), limit, stop, || async {
        let db = describe_instance(rds, name).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Database vanished",
                format!("{name} disappeared while waiting for it to become available."),
            ))
        })?;
        let status = db.db_instance_status().unwrap_or("unknown").to_owned();
        if FAILED.contains(&status.as_str()) {
            return Err(Diagnostic::error(
                format!("Database {name} is {status}"),
                "AWS cannot bring the instance up; see its events in the RDS console (`aws rds describe-events --source-identifier NAME --source-type db-instance`).",
            )
            .into());
        }
        let ready = matches!(status.as_str(), "available" | "storage-optimization");
        let holding = settled && !effective(&db).pending.is_empty();
        let still_replica = promoted && db.read_replica_source_db_instance_identifier().is_some();
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

pub(crate) async fn wait_deleted(
    rds: &aws_sdk_rds::Client,
    name: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    wait_until(
        &format!("database {name} to be deleted"),
        limit,
        stop,
        || async {
            Ok(match describe_instance(rds, name).await? {
                None => Poll::Ready(()),
                Some(db) => Poll::Pending(db.db_instance_status().unwrap_or("deleting").to_owned()),
            })
        },
    )
    .await
}

async fn ensure_subnet_group(
    rds: &aws_sdk_rds::Client,
    m: &Model,
    all_tags: &BTreeMap<String, String>,
) -> Result<()> {
    let created = rds
        .create_db_subnet_group()
        .db_subnet_group_name(&m.name)
        .db_subnet_group_description(format!("onto_db {}", m.name))
        .set_subnet_ids(Some(m.subnet_ids.clone()))
        .set_tags(Some(rds_tags(all_tags)))
        .send()
        .await;
    match created {
        Ok(_) => Ok(()),
        // Ours from an interrupted create, or drifted: bring it to the config.
        Err(e) if aws::code(&e) == Some("DBSubnetGroupAlreadyExists") => {
            rds.modify_db_subnet_group()
                .db_subnet_group_name(&m.name)
                .set_subnet_ids(Some(m.subnet_ids.clone()))
                .send()
                .await
                .map_err(aws::failed("rds:ModifyDBSubnetGroup"))?;
            Ok(())
        }
        Err(e) => Err(aws::error("rds:CreateDBSubnetGroup", &e).into()),
    }
}

/// Creates the parameter group when missing and converges its parameters.
async fn ensure_parameters(
    rds: &aws_sdk_rds::Client,
    group: &str,
    major_version: &str,
    want: &BTreeMap<String, String>,
    have: Option<&BTreeMap<String, String>>,
    all_tags: &BTreeMap<String, String>,
) -> Result<()> {
    if have.is_none() {
        match rds
            .create_db_parameter_group()
            .db_parameter_group_name(group)
            .db_parameter_group_family(format!("{ENGINE}{major_version}"))
            .description(format!("onto_db parameters ({group})"))
            .set_tags(Some(rds_tags(all_tags)))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if aws::code(&e) == Some("DBParameterGroupAlreadyExists") => {}
            Err(e) => return Err(aws::error("rds:CreateDBParameterGroup", &e).into()),
        }
    }
    let empty = BTreeMap::new();
    let have = have.unwrap_or(&empty);
    let changed: Vec<(&String, &String)> = want
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
            .db_parameter_group_name(group)
            .set_parameters(Some(params("immediate")))
            .send()
            .await;
        match immediate {
            Ok(_) => {}
            // Static parameters take effect at the next reboot only.
            Err(e) if aws::code(&e) == Some("InvalidParameterCombination") => {
                rds.modify_db_parameter_group()
                    .db_parameter_group_name(group)
                    .set_parameters(Some(params("pending-reboot")))
                    .send()
                    .await
                    .map_err(aws::failed("rds:ModifyDBParameterGroup"))?;
            }
            Err(e) => return Err(aws::error("rds:ModifyDBParameterGroup", &e).into()),
        }
    }
    let removed: Vec<&String> = have.keys().filter(|k| !want.contains_key(*k)).collect();
    for chunk in removed.chunks(20) {
        rds.reset_db_parameter_group()
            .db_parameter_group_name(group)
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
            .map_err(aws::failed("rds:ResetDBParameterGroup"))?;
    }
    Ok(())
}

async fn delete_parameter_group(rds: &aws_sdk_rds::Client, group: &str) -> Result<()> {
    let out = aws::retry_eventual(
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
        Err(e) if aws::code(&e) == Some("DBParameterGroupNotFound") => Ok(()),
        Err(e) => Err(aws::error("rds:DeleteDBParameterGroup", &e).into()),
    }
}

pub(crate) async fn converge_tags(
    rds: &aws_sdk_rds::Client,
    db: &DbInstance,
    want: &BTreeMap<String, String>,
) -> Result<()> {
    let arn = db.db_instance_arn().unwrap_or_default();
    let (remove, set) = tags::diff(&tag_map(db.tag_list()), want);
    if !remove.is_empty() {
        rds.remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(aws::failed("rds:RemoveTagsFromResource"))?;
    }
    if !set.is_empty() {
        rds.add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(rds_tags(&set)))
            .send()
            .await
            .map_err(aws::failed("rds:AddTagsToResource"))?;
    }
    Ok(())
}

/// A read replica of `source` (an ARN; in another region, AWS copies the
/// data across and `kms_key` must be a key of this region).
fn replica_request(
    rds: &aws_sdk_rds::Client,
    m: &Model,
    source: &str,
    sg: &str,
    all_tags: &BTreeMap<String, String>,
) -> aws_sdk_rds::operation::create_db_instance_read_replica::builders::CreateDBInstanceReadReplicaFluentBuilder
{
    rds.create_db_instance_read_replica()
        .db_instance_identifier(&m.name)
        .source_db_instance_identifier(source)
        .db_instance_class(&m.instance_class)
        .db_subnet_group_name(&m.name)
        .vpc_security_group_ids(sg)
        .set_kms_key_id(m.kms_key.clone())
        .storage_type(&m.storage_type)
        .multi_az(m.multi_az)
        .auto_minor_version_upgrade(m.auto_minor_version_upgrade)
        .deletion_protection(m.deletion_protection)
        .enable_performance_insights(m.performance_insights)
        .set_enable_cloudwatch_logs_exports(Some(m.logs()))
        .set_db_parameter_group_name(m.parameter_group())
        .copy_tags_to_snapshot(true)
        .set_tags(Some(rds_tags(all_tags)))
}

/// The instance as Terraform state. `known` (plan or prior state) supplies
/// what AWS does not report: provider-side settings and the configured
/// versions that AWS has legitimately moved past.
fn state(aws: &Aws, region: &str, r: &Remote, known: &Value) -> Result<Value> {
    let db = &r.db;
    let eff = effective(db);
    let user_tags: BTreeMap<String, String> = typed::from_value(known.get("tags"))
        .ok()
        .flatten()
        .unwrap_or_default();
    let all_tags = tag_map(db.tag_list());
    let view = tags::user_view(aws, &user_tags, &all_tags);
    let actual_version = eff.engine_version.clone().unwrap_or_default();
    let known_storage = known.get("allocated_storage").as_i64().map(|n| n as i32);
    let allocated = match (eff.allocated_storage, known_storage) {
        // Autoscaling grew it: keep the configured floor.
        (Some(a), Some(k)) if db.max_allocated_storage().is_some() && a > k => k,
        (Some(a), _) => a,
        (None, k) => k.unwrap_or(20),
    };
    let source = db.read_replica_source_db_instance_identifier().map(|s| {
        if s.starts_with("arn:") {
            s.to_owned()
        } else {
            // A same-region source is reported by name.
            let arn = db.db_instance_arn().unwrap_or_default();
            let prefix = arn.rsplit_once(':').map_or("", |(p, _)| p);
            format!("{prefix}:{s}")
        }
    });
    let mut logs: Vec<String> = db.enabled_cloudwatch_logs_exports().to_vec();
    logs.sort();
    let endpoint = db.endpoint();
    let address = endpoint.and_then(|e| e.address());
    let port = endpoint.and_then(|e| e.port()).unwrap_or(PORT);
    let sg = db
        .vpc_security_groups()
        .first()
        .and_then(|g| g.vpc_security_group_id());
    let group = db
        .db_parameter_groups()
        .iter()
        .filter_map(|g| g.db_parameter_group_name())
        .find(|g| !g.starts_with("default."));
    // Only the group this resource manages holds its `parameters` (a
    // same-region replica may use its source's group).
    let ours = group.is_some_and(|g| {
        let name = db.db_instance_identifier().unwrap_or_default();
        g.strip_prefix(name)
            .is_some_and(|rest| rest.starts_with("-postgres"))
    });
    let sources = &r.sources;
    let opt_set = |attr: &str, items: Vec<String>| {
        if items.is_empty() && known.get(attr).is_null() {
            None
        } else {
            Some(items)
        }
    };
    let value = json!({
        "name": db.db_instance_identifier(),
        "region": region,
        "environment": known.get("environment").as_str(),
        "prod_overrides": typed::from_value::<Option<Vec<String>>>(known.get("prod_overrides")).ok().flatten(),
        "engine_version": version_in_state(known.get("engine_version").as_str(), &actual_version),
        "engine_version_actual": db.engine_version(),
        "auto_minor_version_upgrade": db.auto_minor_version_upgrade().unwrap_or(true),
        "instance_class": eff.instance_class,
        "allocated_storage": allocated,
        "max_allocated_storage": db.max_allocated_storage().filter(|m| Some(*m) > db.allocated_storage()),
        "storage_type": eff.storage_type,
        "kms_key": db.kms_key_id(),
        "subnet_ids": db.db_subnet_group().map(|g| g.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_owned)).collect::<Vec<_>>()),
        "allowed_security_group_ids": opt_set("allowed_security_group_ids", sources.security_groups.iter().cloned().collect()),
        "allowed_cidr_blocks": opt_set("allowed_cidr_blocks", sources.cidr_blocks.iter().cloned().collect()),
        "parameters": match &r.parameters {
            Some(p) if ours && (!p.is_empty() || !known.get("parameters").is_null()) => {
                Some(p.clone())
            }
            _ => None,
        },
        "multi_az": eff.multi_az,
        "backup_retention_days": eff.backup_retention,
        "backup_window": db.preferred_backup_window(),
        "maintenance_window": db.preferred_maintenance_window().map(str::to_ascii_lowercase),
        "deletion_protection": db.deletion_protection(),
        "final_snapshot": known.get("final_snapshot").as_bool(),
        // Absent from the response means unknown to AWS, not off.
        "performance_insights": db.performance_insights_enabled().or(known.get("performance_insights").as_bool()),
        "apply_immediately": known.get("apply_immediately").as_bool(),
        "log_exports": logs,
        "username": db.master_username().map(str::to_owned).or_else(|| known.get("username").as_str().map(str::to_owned)),
        "database_name": db.db_name().map(str::to_owned).or_else(|| known.get("database_name").as_str().map(str::to_owned)),
        "password_wo_version": known.get("password_wo_version").as_i64(),
        "replicate_source_db": source,
        "tags": if view.is_empty() && known.get("tags").is_null() { None } else { Some(view) },
        "tags_all": all_tags,
        "arn": db.db_instance_arn(),
        "resource_id": db.dbi_resource_id(),
        "endpoint": address.map(|a| format!("{a}:{port}")),
        "address": address,
        "port": port,
        "security_group_id": sg,
        "subnet_group_name": db.db_subnet_group().and_then(|g| g.db_subnet_group_name()),
        "parameter_group_name": group,
        "master_secret_arn": db.master_user_secret().and_then(|s| s.secret_arn()),
        "pending_changes": eff.pending,
    });
    let mut v = typed::to_value(&value, &schema().ty())
        .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
    v.set("timeouts", known.get("timeouts").clone());
    Ok(v)
}

fn gone(name: &str, during: &str) -> Diagnostics {
    Diagnostic::error(
        "Database not found",
        format!("{name} disappeared during {during}; plan again to recreate it."),
    )
    .into()
}

// ---- plan rules --------------------------------------------------------------

fn check_config(config: &Value, diags: &mut Diagnostics) {
    let replica = !config.get("replicate_source_db").is_null();
    if let Some(s) = config.get("replicate_source_db").as_str() {
        if !(s.starts_with("arn:") && s.contains(":rds:") && s.contains(":db:")) {
            diags.error_at(
                AttributePath::attr("replicate_source_db"),
                "Invalid source",
                format!("{s:?} is not a DB instance ARN (`arn:aws:rds:REGION:ACCOUNT:db:NAME`)."),
            );
        }
    }
    if let Some(subnets) = config.get("subnet_ids").elements() {
        if subnets.len() < 2 {
            diags.error_at(
                AttributePath::attr("subnet_ids"),
                "Too few subnets",
                "RDS needs subnets in at least two availability zones (a multi-AZ standby lives in the second).",
            );
        }
    }
    let (storage, max) = (
        config.get("allocated_storage").as_i64().unwrap_or(20),
        config.get("max_allocated_storage").as_i64(),
    );
    if let Some(max) = max.filter(|m| *m <= storage) {
        diags.error_at(
            AttributePath::attr("max_allocated_storage"),
            "Autoscaling limit too low",
            format!("max_allocated_storage ({max}) must exceed allocated_storage ({storage})."),
        );
    }
    let wo = config.get("password_wo");
    if !wo.is_null() && config.get("password_wo_version").is_null() {
        diags.error_at(
            AttributePath::attr("password_wo_version"),
            "Missing password version",
            "Set password_wo_version with password_wo (and change it to send a new password).",
        );
    }
    if let Some(pw) = wo.as_str() {
        if let Some(c) = pw.chars().find(|c| matches!(c, '/' | '"' | '@' | ' ')) {
            diags.error_at(
                AttributePath::attr("password_wo"),
                "Invalid password",
                format!(
                    "RDS master passwords cannot contain {c:?} (nor `/`, `\"`, `@` or spaces)."
                ),
            );
        }
    }
    if replica {
        for attr in ["password_wo", "database_name"] {
            if !config.get(attr).is_null() {
                diags.error_at(
                    AttributePath::attr(attr),
                    "Not for a replica",
                    format!("A read replica takes {attr} from its source; remove it."),
                );
            }
        }
    }
}

// ---- create / read / update / delete ------------------------------------------

#[async_trait]
impl Resource for Db {
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
        let environment = profile::environment(aws, &req.config).to_owned();
        if req.plan.is_null() {
            return Ok(());
        }
        let refused = profile::apply(TYPE, &environment, req);
        if refused.has_errors() {
            return Err(refused);
        }
        if req.plan.get("region").is_unknown() && req.config.get("region").is_null() {
            req.plan.set("region", aws.region.clone());
        }
        if req.config.get("log_exports").is_null() {
            req.plan.set(
                "log_exports",
                Value::Set(
                    LOG_TYPES
                        .iter()
                        .map(|l| Value::String((*l).into()))
                        .collect(),
                ),
            );
        }
        if !req.config.get("password_wo").is_null() {
            req.plan.set("master_secret_arn", Value::Null);
        } else if !req.prior.get("master_secret_arn").is_null() {
            // A managed password keeps its secret.
            let prior = req.prior.get("master_secret_arn").clone();
            req.plan.set("master_secret_arn", prior);
        }
        if !req.prior.is_null() {
            if req
                .plan
                .get("engine_version")
                .same(req.prior.get("engine_version"))
            {
                let prior = req.prior.get("engine_version_actual").clone();
                req.plan.set("engine_version_actual", prior);
            }
            let group_unchanged = req.plan.get("parameters").is_null()
                == req.prior.get("parameters").is_null()
                && major(req.plan.get("engine_version").as_str().unwrap_or(""))
                    == major(req.prior.get("engine_version").as_str().unwrap_or(""));
            if group_unchanged {
                let prior = req.prior.get("parameter_group_name").clone();
                req.plan.set("parameter_group_name", prior);
            }
            if let (Some(want), Some(have)) = (
                req.plan.get("allocated_storage").as_i64(),
                req.prior.get("allocated_storage").as_i64(),
            ) {
                if want < have {
                    return Err(Diagnostic::error(
                        "Storage cannot shrink",
                        format!("RDS cannot reduce allocated storage from {have} to {want} GiB. Keep {have} or more."),
                    )
                    .at(AttributePath::attr("allocated_storage"))
                    .into());
                }
            }
        } else if req.config.get("parameters").is_null()
            && req.plan.get("replicate_source_db").is_null()
        {
            req.plan.set("parameter_group_name", Value::Null);
        }
        if let (Some(source), Some(region)) = (
            req.plan.get("replicate_source_db").as_str(),
            req.plan.get("region").as_str(),
        ) {
            let source_region = source.split(':').nth(3).unwrap_or_default();
            if source_region != region && req.config.get("kms_key").is_null() {
                return Err(Diagnostic::error(
                    "KMS key needed for a cross-region replica",
                    format!("The source in {source_region} is encrypted (onto_db always is); a replica in {region} needs kms_key: a key ARN in {region}."),
                )
                .at(AttributePath::attr("kms_key"))
                .into());
            }
        }
        if req.plan.get("apply_immediately").as_bool() == Some(true) {
            // Applied now: nothing is left pending.
            req.plan.set("pending_changes", Value::Map(BTreeMap::new()));
        }
        if let Some(name) = req.plan.get("name").as_str().map(str::to_owned) {
            tags::plan_tags_all(aws, &environment, TYPE, &name, &mut req.plan);
        }
        Ok(())
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m = model(&req.planned)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let all_tags = tags::desired(
            aws,
            m.environment(aws),
            TYPE,
            &m.name,
            &m.tags.clone().unwrap_or_default(),
        );
        let limit = timeout(&req.planned, "create", Duration::from_secs(3600));
        let ec2 = aws.ec2(&region);
        let vpc = firewall::vpc_of(&ec2, &m.subnet_ids).await?;
        let sg = firewall::ensure(
            &ec2,
            &vpc,
            &format!("{}-db", m.name),
            &format!("onto_db {}: PostgreSQL from allowed sources only", m.name),
            &all_tags,
            PORT,
            &m.sources(),
        )
        .await?;
        ensure_subnet_group(&aws.rds(&region), &m, &all_tags).await?;
        if let (Some(group), Some(params)) = (m.parameter_group(), &m.parameters) {
            ensure_parameters(
                &aws.rds(&region),
                &group,
                major(&m.engine_version),
                params,
                None,
                &all_tags,
            )
            .await?;
        }
        let rds = aws.rds(&region);
        let logs = m.logs();
        let created = match &m.replicate_source_db {
            Some(source) => replica_request(&rds, &m, source, &sg, &all_tags)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    (
                        aws::code(&e).map(str::to_owned),
                        aws::error("rds:CreateDBInstanceReadReplica", &e),
                    )
                }),
            None => {
                let password = req.config.get("password_wo").as_str().map(str::to_owned);
                rds.create_db_instance()
                    .db_instance_identifier(&m.name)
                    .engine(ENGINE)
                    .engine_version(&m.engine_version)
                    .db_instance_class(&m.instance_class)
                    .allocated_storage(m.allocated_storage)
                    .set_max_allocated_storage(m.max_allocated_storage)
                    .storage_type(&m.storage_type)
                    .storage_encrypted(true)
                    .set_kms_key_id(m.kms_key.clone())
                    .db_subnet_group_name(&m.name)
                    .vpc_security_group_ids(&sg)
                    .publicly_accessible(false)
                    .multi_az(m.multi_az)
                    .backup_retention_period(m.backup_retention_days)
                    .set_preferred_backup_window(m.backup_window.clone())
                    .set_preferred_maintenance_window(m.maintenance_window.clone())
                    .deletion_protection(m.deletion_protection)
                    .enable_performance_insights(m.performance_insights)
                    .set_enable_cloudwatch_logs_exports(Some(logs))
                    .auto_minor_version_upgrade(m.auto_minor_version_upgrade)
                    .set_db_parameter_group_name(m.parameter_group())
                    .master_username(&m.username)
                    .set_db_name(m.database_name.clone())
                    .set_master_user_password(password.clone())
                    .set_manage_master_user_password(password.is_none().then_some(true))
                    .copy_tags_to_snapshot(true)
                    .set_tags(Some(rds_tags(&all_tags)))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| {
                        (
                            aws::code(&e).map(str::to_owned),
                            aws::error("rds:CreateDBInstance", &e),
                        )
                    })
            }
        };
        match created {
            Ok(()) => {}
            Err((Some(code), _)) if code == "DBInstanceAlreadyExists" => {
                let existing = describe_instance(&aws.rds(&region), &m.name).await?;
                tags::Existing {
                    what: "An RDS instance",
                    resource_type: TYPE,
                    name: &m.name,
                    region: &region,
                    environment: m.environment(aws),
                }
                .adopt(aws, existing.map(|db| tag_map(db.tag_list())).as_ref())?;
            }
            Err((_, d)) => return Err(d.into()),
        }
        // It exists: whatever happens while waiting, state must know it.
        if let Some(remote) = describe(aws, &region, &m.name, Some(&sg)).await? {
            req.save_partial(state(aws, &region, &remote, &req.planned)?);
        }
        wait_available(&aws.rds(&region), &m.name, limit, &req.stop, false, false).await?;
        let remote = describe(aws, &region, &m.name, Some(&sg))
            .await?
            .ok_or_else(|| gone(&m.name, "create"))?;
        state(aws, &region, &remote, &req.planned)
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let Some(aws) = self.0.get() else {
            return Ok(Some(req.state.clone()));
        };
        let name = req
            .state
            .get("name")
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let region = aws
            .region_or_default(req.state.get("region").as_str())
            .to_owned();
        let sg = req
            .state
            .get("security_group_id")
            .as_str()
            .map(str::to_owned);
        match describe(aws, &region, &name, sg.as_deref()).await? {
            Some(remote) => state(aws, &region, &remote, &req.state).map(Some),
            None => Ok(None),
        }
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m = model(&req.planned)?;
        let prior = model(&req.prior)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "update", Duration::from_secs(3600));
        let all_tags = tags::desired(
            aws,
            m.environment(aws),
            TYPE,
            &m.name,
            &m.tags.clone().unwrap_or_default(),
        );
        let sg = req
            .prior
            .get("security_group_id")
            .as_str()
            .map(str::to_owned);
        let remote = describe(aws, &region, &m.name, sg.as_deref())
            .await?
            .ok_or_else(|| gone(&m.name, "update"))?;
        let db = &remote.db;
        let ec2 = aws.ec2(&region);
        if let Some(sg) = &sg {
            firewall::converge(&ec2, sg, &remote.sources, PORT, &m.sources()).await?;
        }
        if m.subnet_ids != prior.subnet_ids {
            ensure_subnet_group(&aws.rds(&region), &m, &all_tags).await?;
        }
        let group = m.parameter_group();
        if let (Some(g), Some(params)) = (&group, &m.parameters) {
            let have = (prior.parameter_group().as_deref() == Some(g.as_str()))
                .then_some(remote.parameters.as_ref())
                .flatten();
            ensure_parameters(
                &aws.rds(&region),
                g,
                major(&m.engine_version),
                params,
                have,
                &all_tags,
            )
            .await?;
        }
        converge_tags(&aws.rds(&region), db, &all_tags).await?;

        let rds = aws.rds(&region);
        let eff = effective(db);
        if prior.replicate_source_db.is_some() && m.replicate_source_db.is_none() {
            rds.promote_read_replica()
                .db_instance_identifier(&m.name)
                .backup_retention_period(m.backup_retention_days)
                .set_preferred_backup_window(m.backup_window.clone())
                .send()
                .await
                .map_err(aws::failed("rds:PromoteReadReplica"))?;
            wait_available(&aws.rds(&region), &m.name, limit, &req.stop, false, true).await?;
        }
        let mut modify = rds
            .modify_db_instance()
            .db_instance_identifier(&m.name)
            .apply_immediately(m.apply_immediately);
        let mut changed = false;
        let mut set = |cond: bool| {
            changed |= cond;
            cond
        };
        if set(eff.instance_class.as_deref() != Some(m.instance_class.as_str())) {
            modify = modify.db_instance_class(&m.instance_class);
        }
        if set(eff
            .allocated_storage
            .is_some_and(|a| m.allocated_storage > a))
        {
            modify = modify.allocated_storage(m.allocated_storage);
        }
        if set(m.max_allocated_storage != prior.max_allocated_storage) {
            // Setting the limit to the current size turns autoscaling off.
            modify = modify.max_allocated_storage(
                m.max_allocated_storage
                    .unwrap_or_else(|| eff.allocated_storage.unwrap_or(m.allocated_storage)),
            );
        }
        if set(eff.storage_type.as_deref() != Some(m.storage_type.as_str())) {
            modify = modify.storage_type(&m.storage_type);
        }
        let actual_version = eff.engine_version.clone().unwrap_or_default();
        if set(m.replicate_source_db.is_none() && upgrade_needed(&m.engine_version, &actual_version))
        {
            modify = modify
                .engine_version(&m.engine_version)
                .allow_major_version_upgrade(major(&m.engine_version) != major(&actual_version));
        }
        if set(eff.multi_az != Some(m.multi_az)) {
            modify = modify.multi_az(m.multi_az);
        }
        if set(eff.backup_retention != Some(m.backup_retention_days)) {
            modify = modify.backup_retention_period(m.backup_retention_days);
        }
        if set(
            m.backup_window.is_some() && m.backup_window.as_deref() != db.preferred_backup_window()
        ) {
            modify = modify.set_preferred_backup_window(m.backup_window.clone());
        }
        if set(m.maintenance_window.is_some()
            && m.maintenance_window.as_deref().map(str::to_ascii_lowercase)
                != db
                    .preferred_maintenance_window()
                    .map(str::to_ascii_lowercase))
        {
            modify = modify.set_preferred_maintenance_window(m.maintenance_window.clone());
        }
        if set(db.deletion_protection() != Some(m.deletion_protection)) {
            modify = modify.deletion_protection(m.deletion_protection);
        }
        if set(db
            .performance_insights_enabled()
            .is_some_and(|p| p != m.performance_insights)
            || (db.performance_insights_enabled().is_none()
                && m.performance_insights != prior.performance_insights))
        {
            modify = modify.enable_performance_insights(m.performance_insights);
        }
        if set(db.auto_minor_version_upgrade() != Some(m.auto_minor_version_upgrade)) {
            modify = modify.auto_minor_version_upgrade(m.auto_minor_version_upgrade);
        }
        let have_logs: Vec<String> = db.enabled_cloudwatch_logs_exports().to_vec();
        let want_logs = m.logs();
        let enable: Vec<String> = want_logs
            .iter()
            .filter(|l| !have_logs.contains(l))
            .cloned()
            .collect();
        let disable: Vec<String> = have_logs
            .iter()
            .filter(|l| !want_logs.contains(l))
            .cloned()
            .collect();
        if set(!enable.is_empty() || !disable.is_empty()) {
            modify = modify.cloudwatch_logs_export_configuration(
                CloudwatchLogsExportConfiguration::builder()
                    .set_enable_log_types((!enable.is_empty()).then_some(enable))
                    .set_disable_log_types((!disable.is_empty()).then_some(disable))
                    .build(),
            );
        }
        let current_group = db
            .db_parameter_groups()
            .iter()
            .filter_map(|g| g.db_parameter_group_name())
            .next()
            .map(str::to_owned);
        if set(group.is_some() && group != current_group) {
            modify = modify.set_db_parameter_group_name(group.clone());
        } else if set(group.is_none()
            && current_group
                .as_deref()
                .is_some_and(|g| g.starts_with(&format!("{}-postgres", m.name))))
        {
            // `parameters` removed: back to AWS's defaults.
            modify = modify
                .db_parameter_group_name(format!("default.{ENGINE}{}", major(&m.engine_version)));
        }
        if m.replicate_source_db.is_none() {
            let password = req.config.get("password_wo").as_str().map(str::to_owned);
            let managed = db.master_user_secret().is_some();
            match password {
                Some(pw) if managed || m.password_wo_version != prior.password_wo_version => {
                    changed = true;
                    if managed {
                        modify = modify.manage_master_user_password(false);
                    }
                    modify = modify.master_user_password(pw);
                }
                None if !managed => {
                    changed = true;
                    modify = modify.manage_master_user_password(true);
                }
                _ => {}
            }
        }
        if changed {
            modify
                .send()
                .await
                .map_err(aws::failed("rds:ModifyDBInstance"))?;
            if m.apply_immediately {
                wait_available(&aws.rds(&region), &m.name, limit, &req.stop, true, false).await?;
            }
        }
        if let Some(old) = prior
            .parameter_group()
            .filter(|g| Some(g) != group.as_ref())
        {
            if current_group.as_deref() != Some(old.as_str()) || changed {
                delete_parameter_group(&aws.rds(&region), &old).await.ok();
            }
        }
        let remote = describe(aws, &region, &m.name, sg.as_deref())
            .await?
            .ok_or_else(|| gone(&m.name, "update"))?;
        state(aws, &region, &remote, &req.planned)
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let aws = self.0.require()?;
        let m = model(&req.prior)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.prior, "delete", Duration::from_secs(3600));
        let rds = aws.rds(&region);
        if let Some(db) = describe_instance(&aws.rds(&region), &m.name).await? {
            if db.deletion_protection() == Some(true) {
                return Err(Diagnostic::error(
                    "Deletion protection is on",
                    format!("{} has deletion protection. Set deletion_protection = false (in prod also add \"deletion_protection\" to prod_overrides), apply, then destroy.", m.name),
                )
                .into());
            }
            // A replica has no snapshot of its own to take.
            let snapshot = req.prior.get("final_snapshot").as_bool() == Some(true)
                && db.read_replica_source_db_instance_identifier().is_none();
            let date = aws_smithy_types::DateTime::from(std::time::SystemTime::now())
                .fmt(Format::DateTime)
                .map(|d| d.get(..10).unwrap_or_default().replace('-', ""))
                .unwrap_or_else(|_| "final".into());
            let mut n = 1;
            loop {
                let name = final_snapshot_name(&m.name, &date, n);
                let mut call = rds.delete_db_instance().db_instance_identifier(&m.name);
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
                        break;
                    }
                    Err(e)
                        if snapshot
                            && aws::code(&e) == Some("DBSnapshotAlreadyExists")
                            && n < 100 =>
                    {
                        n += 1
                    }
                    Err(e) if aws::code(&e) == Some("DBInstanceNotFound") => break,
                    Err(e)
                        if aws::code(&e) == Some("InvalidDBInstanceState")
                            && db.db_instance_status() == Some("deleting") =>
                    {
                        break
                    }
                    Err(e) => return Err(aws::error("rds:DeleteDBInstance", &e).into()),
                }
            }
            wait_deleted(&rds, &m.name, limit, &req.stop).await?;
        }
        if let Some(group) = m.parameter_group() {
            delete_parameter_group(&aws.rds(&region), &group).await?;
        }
        let out = aws::retry_eventual(
            &["InvalidDBSubnetGroupStateFault"],
            Duration::from_secs(300),
            || {
                rds.delete_db_subnet_group()
                    .db_subnet_group_name(&m.name)
                    .send()
            },
        )
        .await;
        match out {
            Ok(_) => {}
            Err(e) if aws::code(&e) == Some("DBSubnetGroupNotFoundFault") => {}
            Err(e) => return Err(aws::error("rds:DeleteDBSubnetGroup", &e).into()),
        }
        if let Some(sg) = req.prior.get("security_group_id").as_str() {
            firewall::delete(&aws.ec2(&region), sg).await?;
        }
        Ok(())
    }

    /// Import ID: `NAME`, or `REGION:NAME` for another region.
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let (region, name) = match req.id.split_once(':') {
            Some((r, n)) => (r.to_owned(), n.to_owned()),
            None => (aws.region.clone(), req.id.clone()),
        };
        let db = describe_instance(&aws.rds(&region), &name)
            .await?
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "Database not found",
                    format!("No RDS instance {name:?} in {region}."),
                ))
            })?;
        let mut v = Value::null_object(&schema().ty());
        v.set("name", name);
        v.set("region", region);
        v.set(
            "security_group_id",
            db.vpc_security_groups()
                .first()
                .and_then(|g| g.vpc_security_group_id())
                .map(str::to_owned),
        );
        // What AWS does not store comes from the environment's profile.
        for s in profile::settings(TYPE) {
            if matches!(s.attribute, "final_snapshot" | "apply_immediately") {
                v.set(s.attribute, Value::from(s.default_for(&aws.environment)));
            }
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_minor_upgrades_are_not_drift() {
        assert_eq!(version_in_state(Some("16.3"), "16.4"), "16.3");
        assert_eq!(version_in_state(Some("16"), "16.4"), "16");
        assert_eq!(version_in_state(Some("16.4"), "16.4"), "16.4");
        // Moved to another major, or below the configured one: real drift.
        assert_eq!(version_in_state(Some("15.6"), "16.2"), "16.2");
        assert_eq!(version_in_state(Some("16.4"), "16.3"), "16.3");
        assert_eq!(version_in_state(None, "16.3"), "16.3");
        assert!(upgrade_needed("16.5", "16.4"));
        assert!(!upgrade_needed("16.3", "16.4"), "never a downgrade");
        assert!(!upgrade_needed("16", "16.4"));
        assert!(upgrade_needed("17", "16.4"));
    }

    // The emulator has no transitional states (instances are `available`
    // at once and vanish at once) and no pending modifications: these
    // paths are tested at the SDK layer with aws-smithy-mocks.
    use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
    use aws_sdk_rds::types::PendingModifiedValues;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

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

    fn not_found() -> HttpResponse {
        HttpResponse::new(
            StatusCode::try_from(404).unwrap(),
            SdkBody::from("<ErrorResponse><Error><Type>Sender</Type><Code>DBInstanceNotFound</Code><Message>DBInstance app not found.</Message></Error><RequestId>req-9</RequestId></ErrorResponse>"),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn create_waits_through_creating_and_backing_up() {
        let rule = mock!(aws_sdk_rds::Client::describe_db_instances)
            .sequence()
            .output(|| described(instance("creating")))
            .times(3)
            .output(|| described(instance("backing-up")))
            .output(|| described(instance("available")))
            .build();
        let rds = mock_client!(aws_sdk_rds, RuleMode::Sequential, [&rule]);
        let db = wait_available(
            &rds,
            "app",
            Duration::from_secs(600),
            &Stop::new(),
            false,
            false,
        )
        .await
        .expect("available");
        assert_eq!(db.db_instance_status(), Some("available"));
        assert_eq!(rule.num_calls(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_state_fails_at_once_and_a_slow_one_times_out_naming_it() {
        let rule = mock!(aws_sdk_rds::Client::describe_db_instances)
            .sequence()
            .output(|| described(instance("creating")))
            .output(|| described(instance("incompatible-parameters")))
            .build();
        let rds = mock_client!(aws_sdk_rds, RuleMode::Sequential, [&rule]);
        let err = wait_available(
            &rds,
            "app",
            Duration::from_secs(600),
            &Stop::new(),
            false,
            false,
        )
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
        let err = wait_available(
            &rds,
            "app",
            Duration::from_secs(60),
            &Stop::new(),
            false,
            false,
        )
        .await
        .unwrap_err();
        let text = format!("{err:?}");
        assert!(
            text.contains("Timed out waiting for database app") && text.contains("Still modifying"),
            "{text}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_immediate_update_waits_until_nothing_is_pending() {
        let pending = || {
            let mut db = instance("available");
            db.pending_modified_values = Some(
                PendingModifiedValues::builder()
                    .db_instance_class("db.r6g.large")
                    .build(),
            );
            described(db)
        };
        let rule = mock!(aws_sdk_rds::Client::describe_db_instances)
            .sequence()
            .output(pending)
            .times(2)
            .output(|| described(instance("modifying")))
            .output(|| described(instance("available")))
            .build();
        let rds = mock_client!(aws_sdk_rds, RuleMode::Sequential, [&rule]);
        wait_available(
            &rds,
            "app",
            Duration::from_secs(600),
            &Stop::new(),
            true,
            false,
        )
        .await
        .expect("settled");
        assert_eq!(rule.num_calls(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn promotion_waits_until_the_instance_is_no_longer_a_replica() {
        let replica = || {
            let mut db = instance("available");
            db.read_replica_source_db_instance_identifier =
                Some("arn:aws:rds:eu-west-1:123456789012:db:app".into());
            described(db)
        };
        let rule = mock!(aws_sdk_rds::Client::describe_db_instances)
            .sequence()
            .output(replica)
            .output(|| described(instance("modifying")))
            .output(|| described(instance("rebooting")))
            .output(|| described(instance("available")))
            .build();
        let rds = mock_client!(aws_sdk_rds, RuleMode::Sequential, [&rule]);
        let db = wait_available(
            &rds,
            "app",
            Duration::from_secs(600),
            &Stop::new(),
            false,
            true,
        )
        .await
        .expect("promoted");
        assert!(db.read_replica_source_db_instance_identifier().is_none());
        assert_eq!(rule.num_calls(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn delete_waits_through_deleting_until_not_found() {
        let rule = mock!(aws_sdk_rds::Client::describe_db_instances)
            .sequence()
            .output(|| described(instance("deleting")))
            .times(3)
            .http_response(not_found)
            .build();
        let rds = mock_client!(aws_sdk_rds, RuleMode::Sequential, [&rule]);
        wait_deleted(&rds, "app", Duration::from_secs(600), &Stop::new())
            .await
            .expect("deleted");
        assert_eq!(rule.num_calls(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn stop_interrupts_a_wait() {
        let rule = mock!(aws_sdk_rds::Client::describe_db_instances)
            .sequence()
            .output(|| described(instance("creating")))
            .repeatedly()
            .build();
        let rds = mock_client!(aws_sdk_rds, RuleMode::Sequential, [&rule]);
        let stop = Stop::new();
        let cancel = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            cancel.cancel();
        });
        let err = wait_available(&rds, "app", Duration::from_secs(3600), &stop, false, false)
            .await
            .unwrap_err();
        assert!(format!("{err:?}").contains("Interrupted while waiting for database app"));
    }

    #[tokio::test]
    async fn a_cross_region_replica_names_its_source_by_arn_and_a_local_key() {
        use aws_sdk_rds::operation::create_db_instance_read_replica::CreateDbInstanceReadReplicaOutput;
        let source = "arn:aws:rds:eu-west-1:123456789012:db:editor";
        let key = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let rule = mock!(aws_sdk_rds::Client::create_db_instance_read_replica)
            .match_requests(move |r| {
                r.source_db_instance_identifier() == Some(source)
                    && r.kms_key_id() == Some(key)
                    && r.db_subnet_group_name() == Some("editor-dr")
                    && r.vpc_security_group_ids() == ["sg-1"]
                    && r.tags().iter().any(|t| t.key() == Some("onto:owner"))
            })
            .then_output(|| CreateDbInstanceReadReplicaOutput::builder().build());
        let rds = mock_client!(aws_sdk_rds, RuleMode::Sequential, [&rule], |c| c
            .region(aws_sdk_rds::config::Region::new("eu-central-1")));
        let mut plan = Value::null_object(&schema().ty());
        for (k, v) in [
            ("name", "editor-dr"),
            ("engine_version", "16"),
            ("instance_class", "db.t4g.micro"),
            ("storage_type", "gp3"),
            ("username", "onto"),
            ("kms_key", key),
            ("replicate_source_db", source),
        ] {
            plan.set(k, v);
        }
        for (k, v) in [
            ("auto_minor_version_upgrade", true),
            ("multi_az", false),
            ("deletion_protection", false),
            ("performance_insights", false),
            ("apply_immediately", true),
        ] {
            plan.set(k, v);
        }
        plan.set("allocated_storage", 20);
        plan.set("backup_retention_days", 1);
        plan.set(
            "subnet_ids",
            Value::Set(vec!["subnet-1".into(), "subnet-2".into()]),
        );
        let m = model(&plan).expect("model");
        let tags = BTreeMap::from([("onto:owner".to_owned(), "onto_db/editor-dr".to_owned())]);
        replica_request(&rds, &m, source, "sg-1", &tags)
            .send()
            .await
            .expect("the request carries source ARN, local key, subnet group and tags");
        assert_eq!(rule.num_calls(), 1);
    }

    #[test]
    fn held_changes_are_reported_and_not_planned_again() {
        let mut db = instance("available");
        db.pending_modified_values = Some(
            PendingModifiedValues::builder()
                .db_instance_class("db.r6g.large")
                .multi_az(true)
                .build(),
        );
        let eff = effective(&db);
        assert_eq!(eff.instance_class.as_deref(), Some("db.r6g.large"));
        assert_eq!(eff.multi_az, Some(true));
        assert_eq!(
            eff.pending,
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

    fn check(attr: &str, v: Value, validator: &dyn Validator) -> Diagnostics {
        let mut d = Diagnostics::default();
        validator.validate(&AttributePath::attr(attr), &v, &mut d);
        d
    }

    #[test]
    fn names_classes_and_windows_are_checked() {
        assert!(!check("name", "app-db".into(), &Identifier).has_errors());
        for bad in ["App", "1db", "a--b", "db-", ""] {
            assert!(check("name", bad.into(), &Identifier).has_errors(), "{bad}");
        }
        for good in ["db.t4g.micro", "db.r6g.2xlarge", "db.m5d.large"] {
            assert!(
                !check("c", good.into(), &InstanceClass).has_errors(),
                "{good}"
            );
        }
        for bad in ["t4g.micro", "db.t4g", "db.T4G.micro", "cache.t4g.micro"] {
            assert!(check("c", bad.into(), &InstanceClass).has_errors(), "{bad}");
        }
        let daily = Window { with_day: false };
        let weekly = Window { with_day: true };
        assert!(!check("w", "01:00-02:00".into(), &daily).has_errors());
        assert!(check("w", "25:00-02:00".into(), &daily).has_errors());
        assert!(!check("w", "sun:03:00-sun:04:00".into(), &weekly).has_errors());
        assert!(check("w", "Sun:03:00-sun:04:00".into(), &weekly).has_errors());
    }
}
