//! `onto_db`: an RDS PostgreSQL instance with everything around it — a
//! subnet group, a security group open on 5432 only to named sources, an
//! optional managed parameter group — encrypted always, sized and protected
//! by the environment profile.
//!
//! - AWS's automatic minor upgrades never show as a downgrade, and storage
//!   grown by autoscaling is kept (`model.rs`).
//! - With `apply_immediately = false`, changes AWS holds for the
//!   maintenance window appear in `pending_changes`, and the plan does not
//!   propose them again.
//! - Destroy takes a final snapshot under a name never taken already.
//! - An imported instance keeps what it came with: its own security,
//!   subnet and parameter groups are used, never changed or deleted; onto
//!   adds a group of its own only when sources are configured.

mod model;
mod plan;
mod schema;
mod update;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::plan::timeout;
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::Schema;
use tfplugin::value::{AttributePath, Value};

use crate::aws::ec2::{self, security_group as sg};
use crate::aws::rds::{self, Create, Until, ENGINE};
use crate::aws::Aws;
use crate::ownership::{key, Owner, SideObjects};
use crate::shared::Shared;
use crate::{profile, tags};
use model::{major, Model, Remote, PORT};

pub(crate) const TYPE: &str = "onto_db";

pub struct Db(pub Shared);

/// Reads the instance and what this resource manages around it.
async fn describe(
    aws: &Aws,
    region: &str,
    name: &str,
    side: &SideObjects,
) -> Result<Option<Remote>> {
    match rds::find_instance(&aws.rds(region), name).await? {
        Some(db) => around(aws, region, db, side).await.map(Some),
        None => Ok(None),
    }
}

/// The security group and parameters this resource manages for `db`.
async fn around(
    aws: &Aws,
    region: &str,
    db: aws_sdk_rds::types::DbInstance,
    side: &SideObjects,
) -> Result<Remote> {
    let name = db.db_instance_identifier().unwrap_or_default().to_owned();
    let name = name.as_str();
    let ids: Vec<String> = db
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id().map(str::to_owned))
        .collect();
    let mut managed_sg = None;
    let mut security_groups = Vec::new();
    let ec2 = aws.ec2(region);
    for id in &ids {
        if let Some(group) = sg::find(&ec2, id).await? {
            if managed_sg.is_none()
                && side.is_ours(&key::security_group(id), Some(&sg::tags(&group)))
            {
                managed_sg = Some((id.clone(), sg::sources(&group, PORT)));
            }
            security_groups.push(id.clone());
        }
    }
    let group = db
        .db_parameter_groups()
        .iter()
        .filter_map(|g| g.db_parameter_group_name())
        .find(|g| !g.starts_with("default."));
    let parameters = match group {
        Some(g) if group_is_ours(&aws.rds(region), side, region, name, g).await? => {
            rds::user_parameters(&aws.rds(region), g).await?
        }
        _ => None,
    };
    Ok(Remote {
        db,
        managed_sg,
        security_groups,
        parameters,
    })
}

/// Whether the parameter group `group` is the one this resource manages.
async fn group_is_ours(
    rds_client: &aws_sdk_rds::Client,
    side: &SideObjects,
    region: &str,
    name: &str,
    group: &str,
) -> Result<bool> {
    let k = key::db_parameter_group(region, group);
    if side.is_ours(&k, None)
        || (side.is_legacy() && group.starts_with(&format!("{name}-postgres")))
    {
        return Ok(true);
    }
    let tags = rds::parameter_group_tags(rds_client, group).await?;
    Ok(side.is_ours(&k, tags.as_ref()))
}

fn state(aws: &Aws, region: &str, r: &Remote, known: &Value) -> Result<Value> {
    let k: Model = super::model(known, TYPE)?;
    super::to_state(
        &r.observed(aws, region, &k, known),
        &schema::schema(),
        known,
    )
}

fn gone(name: &str, during: &str) -> Diagnostics {
    Diagnostic::error(
        "Database not found",
        format!("{name} disappeared during {during}; plan again to recreate it."),
    )
    .into()
}

fn owner_of(aws: &Aws, m: &Model) -> Owner {
    aws.owner(TYPE, &m.name, m.environment(aws))
}

/// The create request for a new instance (or read replica) of `m`.
fn create_request(
    rds: &aws_sdk_rds::Client,
    m: &Model,
    sg: &str,
    password: Option<String>,
    tags: &BTreeMap<String, String>,
) -> Create {
    let all = rds::rds_tags(tags);
    match &m.replicate_source_db {
        Some(source) => Create::Replica(Box::new(replica_request(rds, m, source, sg, tags))),
        None => Create::Instance(Box::new(
            rds.create_db_instance()
                .db_instance_identifier(&m.name)
                .engine(ENGINE)
                .engine_version(m.engine_version())
                .set_db_instance_class(m.instance_class.clone())
                .allocated_storage(m.allocated_storage.unwrap_or(20))
                .set_max_allocated_storage(m.max_allocated_storage)
                .storage_type(m.storage_type())
                .set_iops(m.iops)
                .storage_encrypted(true)
                .set_kms_key_id(m.kms_key.clone())
                .db_subnet_group_name(&m.name)
                .vpc_security_group_ids(sg)
                .publicly_accessible(false)
                .set_multi_az(m.multi_az)
                .set_backup_retention_period(m.backup_retention_days)
                .set_preferred_backup_window(m.backup_window.clone())
                .set_preferred_maintenance_window(m.maintenance_window.clone())
                .set_deletion_protection(m.deletion_protection)
                .set_enable_performance_insights(m.performance_insights)
                .set_enable_cloudwatch_logs_exports(Some(m.logs()))
                .auto_minor_version_upgrade(m.auto_minor_version_upgrade.unwrap_or(true))
                .set_db_parameter_group_name(m.parameter_group())
                .master_username(m.username.as_deref().unwrap_or("onto"))
                .set_db_name(m.database_name.clone())
                .set_master_user_password(password.clone())
                .set_manage_master_user_password(password.is_none().then_some(true))
                .copy_tags_to_snapshot(true)
                .set_tags(Some(all)),
        )),
    }
}

/// A read replica of `source` (an ARN; in another region, AWS copies the
/// data across and `kms_key` must be a key of this region).
fn replica_request(
    rds: &aws_sdk_rds::Client,
    m: &Model,
    source: &str,
    sg: &str,
    tags: &BTreeMap<String, String>,
) -> aws_sdk_rds::operation::create_db_instance_read_replica::builders::CreateDBInstanceReadReplicaFluentBuilder
{
    rds.create_db_instance_read_replica()
        .db_instance_identifier(&m.name)
        .source_db_instance_identifier(source)
        .set_db_instance_class(m.instance_class.clone())
        .db_subnet_group_name(&m.name)
        .vpc_security_group_ids(sg)
        .set_kms_key_id(m.kms_key.clone())
        .storage_type(m.storage_type())
        .set_iops(m.iops)
        .set_multi_az(m.multi_az)
        .auto_minor_version_upgrade(m.auto_minor_version_upgrade.unwrap_or(true))
        .set_deletion_protection(m.deletion_protection)
        .set_enable_performance_insights(m.performance_insights)
        .set_enable_cloudwatch_logs_exports(Some(m.logs()))
        .set_db_parameter_group_name(m.parameter_group())
        .copy_tags_to_snapshot(true)
        .set_tags(Some(rds::rds_tags(tags)))
}

/// Identity: the name and region.
const IDENTITY: &[crate::identity::Part] = &[
    ("name", true, "RDS instance identifier."),
    crate::identity::REGION,
];

#[async_trait]
impl Resource for Db {
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
                plan::modify(aws, req)
            }
            None => Ok(()),
        }
    }

    fn resumes_creates(&self) -> bool {
        true
    }

    async fn resumable(&self, req: &ApplyRequest) -> Result<bool> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.prior, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref());
        let client = aws.rds(region);
        if rds::can_finish(&client, &m.name).await? {
            return Ok(true);
        }
        // Replaced, then: but RDS deletes no protected instance, and a
        // tainted object cannot be updated to lift the protection first.
        let protected = rds::find_instance(&client, &m.name)
            .await?
            .is_some_and(|db| db.deletion_protection() == Some(true));
        if protected {
            return Err(Diagnostic::error(
                "A failed instance with deletion protection",
                format!(
                    "RDS could not bring {name} up, so it is replaced, but its deletion protection is on and RDS will not delete it. Turn the protection off (aws rds modify-db-instance --region {region} --db-instance-identifier {name} --no-deletion-protection --apply-immediately), then apply again.",
                    name = m.name
                ),
            )
            .into());
        }
        Ok(false)
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.planned, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let owner = owner_of(aws, &m);
        let all_tags = tags::all(aws, &owner, &m.tags.clone().unwrap_or_default());
        let limit = timeout(&req.planned, "create", Duration::from_secs(3600));
        let client = aws.rds(&region);
        // Who owns an instance of this name decides before anything is made.
        let existing = rds::find_instance(&client, &m.name).await?;
        if let Some(db) = &existing {
            rds::claim_instance(&owner, &region, &m.name, db)?;
        }
        let mut side = SideObjects::new(&owner);
        let ec2 = aws.ec2(&region);
        let subnets = m.subnets();
        let vpc = ec2::vpc_of(&ec2, &subnets).await?;
        let sg_id = sg::ensure(
            &ec2,
            &sg::Group {
                vpc: &vpc,
                name: &m.security_group_name(),
                description: &format!("onto_db {}: PostgreSQL from allowed sources only", m.name),
                region: &region,
                tags: &all_tags,
                port: PORT,
                sources: &m.sources(),
            },
            &owner,
            &mut side,
        )
        .await?;
        rds::ensure_subnet_group(
            &client,
            &rds::SubnetGroup {
                name: &m.name,
                description: &format!("onto_db {}", m.name),
                region: &region,
                subnets: &subnets,
                tags: &all_tags,
            },
            &owner,
            &mut side,
        )
        .await?;
        if let (Some(group), Some(params)) = (m.parameter_group(), &m.parameters) {
            rds::ensure_parameter_group(
                &client,
                &rds::ParameterGroup {
                    name: &group,
                    family: &format!("{ENGINE}{}", major(m.engine_version())),
                    region: &region,
                    parameters: params,
                    tags: &all_tags,
                },
                &owner,
                &mut side,
            )
            .await?;
        }
        side.save(&mut req.private);
        if existing.is_none() {
            let password = req.config.get("password_wo").as_str().map(str::to_owned);
            let request = create_request(&client, &m, &sg_id, password, &all_tags);
            rds::create_instance(&client, request, &m.name, &region, &owner).await?;
        }
        // It exists: whatever happens while waiting, state must know it.
        if let Some(remote) = describe(aws, &region, &m.name, &side).await? {
            req.save_partial(state(aws, &region, &remote, &req.planned)?);
        }
        rds::wait_available(&client, &m.name, limit, &req.stop, Until::default()).await?;
        let remote = describe(aws, &region, &m.name, &side)
            .await?
            .ok_or_else(|| gone(&m.name, "create"))?;
        state(aws, &region, &remote, &req.planned)
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let Some(aws) = self.0.get() else {
            return Ok(Some(req.state.clone()));
        };
        let known: Model = super::model(&req.state, TYPE)?;
        let region = aws.region_or_default(known.region.as_deref()).to_owned();
        let owner = owner_of(aws, &known);
        let Some(db) = rds::find_instance(&aws.rds(&region), &known.name).await? else {
            return Ok(None);
        };
        crate::ownership::settle_import(&mut req.private, &owner, &rds::tag_map(db.tag_list()));
        let side = SideObjects::load(&req.private, &owner);
        let remote = around(aws, &region, db, &side).await?;
        state(aws, &region, &remote, &req.state).map(Some)
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.planned, TYPE)?;
        let prior: Model = super::model(&req.prior, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "update", Duration::from_secs(3600));
        let owner = owner_of(aws, &m);
        let all_tags = tags::all(aws, &owner, &m.tags.clone().unwrap_or_default());
        let mut side = SideObjects::load(&req.private, &owner);
        let client = aws.rds(&region);
        let mut remote = describe(aws, &region, &m.name, &side)
            .await?
            .ok_or_else(|| gone(&m.name, "update"))?;
        if !rds::is_available(&remote.db) {
            // AWS refuses changes while the instance is busy (a change made
            // outside Terraform, a backup, a maintenance action).
            rds::wait_available(&client, &m.name, limit, &req.stop, Until::default()).await?;
            remote = describe(aws, &region, &m.name, &side)
                .await?
                .ok_or_else(|| gone(&m.name, "update"))?;
        }
        let db = &remote.db;
        let ec2 = aws.ec2(&region);

        // The security group: onto's own converges; an imported instance
        // gets one of onto's beside its own groups once sources are set.
        let mut attach = None;
        for gone in db
            .vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id())
            .filter(|id| !remote.security_groups.iter().any(|g| g == id))
        {
            side.forget(&key::security_group(gone));
        }
        match &remote.managed_sg {
            Some((id, have)) => {
                sg::converge(&ec2, id, have, PORT, &m.sources()).await?;
                side.record(key::security_group(id));
            }
            None if m.has_sources() => {
                let subnets: Vec<String> = db
                    .db_subnet_group()
                    .map(|g| {
                        g.subnets()
                            .iter()
                            .filter_map(|s| s.subnet_identifier().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                let vpc = ec2::vpc_of(&ec2, &subnets).await?;
                let id = sg::ensure(
                    &ec2,
                    &sg::Group {
                        vpc: &vpc,
                        name: &m.security_group_name(),
                        description: &format!(
                            "onto_db {}: PostgreSQL from allowed sources only",
                            m.name
                        ),
                        region: &region,
                        tags: &all_tags,
                        port: PORT,
                        sources: &m.sources(),
                    },
                    &owner,
                    &mut side,
                )
                .await?;
                attach = Some(id);
            }
            None => {}
        }

        // The subnet group: onto's own follows subnet_ids; an imported
        // instance's own group is not changed.
        let group_name = db
            .db_subnet_group()
            .and_then(|g| g.db_subnet_group_name())
            .unwrap_or(&m.name)
            .to_owned();
        let mut live_subnets: Vec<String> = db
            .db_subnet_group()
            .map(|g| {
                g.subnets()
                    .iter()
                    .filter_map(|s| s.subnet_identifier().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        live_subnets.sort();
        let group_tags = rds::find_subnet_group(&client, &group_name)
            .await?
            .map(|(_, t)| t);
        let group_key = key::db_subnet_group(&region, &group_name);
        let group_ours = side.is_ours(&group_key, group_tags.as_ref());
        if group_ours {
            side.record(group_key);
        }
        if m.subnets() != live_subnets {
            if !group_ours {
                return Err(Diagnostic::error(
                    "Subnet group not onto's",
                    format!("{} uses the DB subnet group {group_name:?}, which this resource did not create (it came with the import), so onto does not change its subnets. Keep subnet_ids = [{}], or change the group yourself.", m.name, live_subnets.join(", ")),
                )
                .at(AttributePath::attr("subnet_ids"))
                .into());
            }
            rds::ensure_subnet_group(
                &client,
                &rds::SubnetGroup {
                    name: &group_name,
                    description: &format!("onto_db {}", m.name),
                    region: &region,
                    subnets: &m.subnets(),
                    tags: &all_tags,
                },
                &owner,
                &mut side,
            )
            .await?;
        }

        // The parameter group: onto's own, named for the engine major.
        let group = m.parameter_group();
        if let (Some(g), Some(params)) = (&group, &m.parameters) {
            rds::ensure_parameter_group(
                &client,
                &rds::ParameterGroup {
                    name: g,
                    family: &format!("{ENGINE}{}", major(m.engine_version())),
                    region: &region,
                    parameters: params,
                    tags: &all_tags,
                },
                &owner,
                &mut side,
            )
            .await?;
        }
        side.save(&mut req.private);
        rds::converge_tags(
            &client,
            db.db_instance_arn().unwrap_or_default(),
            &rds::tag_map(db.tag_list()),
            &all_tags,
        )
        .await?;

        if prior.replicate_source_db.is_some() && m.replicate_source_db.is_none() {
            rds::promote(
                &client,
                &m.name,
                m.backup_retention_days.unwrap_or(7),
                m.backup_window.clone(),
            )
            .await?;
            let until = Until {
                promoted: true,
                ..Until::default()
            };
            rds::wait_available(&client, &m.name, limit, &req.stop, until).await?;
        }
        let current_group = db
            .db_parameter_groups()
            .iter()
            .filter_map(|g| g.db_parameter_group_name())
            .next()
            .map(str::to_owned);
        let ours_group = match current_group.as_deref() {
            Some(g) => group_is_ours(&client, &side, &region, &m.name, g).await?,
            None => false,
        };
        let password = req.config.get("password_wo").as_str().map(str::to_owned);
        let mut modification = update::modification(
            &client,
            &m,
            &prior,
            db,
            password,
            group.as_deref(),
            ours_group,
        );
        if let Some(id) = &attach {
            let mut ids = remote.security_groups.clone();
            ids.push(id.clone());
            modification = Some(
                modification
                    .unwrap_or_else(|| {
                        client
                            .modify_db_instance()
                            .db_instance_identifier(&m.name)
                            .apply_immediately(true)
                    })
                    .set_vpc_security_group_ids(Some(ids)),
            );
        }
        if let Some(modify) = modification {
            rds::modify_instance(modify).await?;
            if m.apply_immediately == Some(true) || attach.is_some() {
                let until = Until {
                    settled: m.apply_immediately == Some(true),
                    ..Until::default()
                };
                rds::wait_available(&client, &m.name, limit, &req.stop, until).await?;
            }
        }
        if let Some(old) = prior
            .parameter_group()
            .filter(|g| Some(g) != group.as_ref())
        {
            if group_is_ours(&client, &side, &region, &m.name, &old).await? {
                rds::delete_parameter_group(&client, &old).await.ok();
                side.forget(&key::db_parameter_group(&region, &old));
                side.save(&mut req.private);
            }
        }
        let remote = describe(aws, &region, &m.name, &side)
            .await?
            .ok_or_else(|| gone(&m.name, "update"))?;
        state(aws, &region, &remote, &req.planned)
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.prior, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.prior, "delete", Duration::from_secs(3600));
        let client = aws.rds(&region);
        let side = SideObjects::load(&req.private, &owner_of(aws, &m));
        let mut subnet_group = Some(m.name.clone());
        let mut groups: Vec<String> = m.security_group_id.iter().cloned().collect();
        if let Some(db) = rds::find_instance(&client, &m.name).await? {
            if db.deletion_protection() == Some(true) {
                return Err(Diagnostic::error(
                    "Deletion protection is on",
                    format!("{} has deletion protection. Set deletion_protection = false (in prod also add \"deletion_protection\" to prod_overrides), apply, then destroy.", m.name),
                )
                .into());
            }
            subnet_group = db
                .db_subnet_group()
                .and_then(|g| g.db_subnet_group_name())
                .map(str::to_owned);
            groups = db
                .vpc_security_groups()
                .iter()
                .filter_map(|g| g.vpc_security_group_id().map(str::to_owned))
                .collect();
            // A replica has no snapshot of its own to take.
            let snapshot = m.final_snapshot == Some(true)
                && db.read_replica_source_db_instance_identifier().is_none();
            rds::delete_instance(&client, &db, snapshot).await?;
            rds::wait_deleted(&client, &m.name, limit, &req.stop).await?;
        }
        // Then what this resource made around it, and nothing else.
        if let Some(group) = m.parameter_group_name.as_deref() {
            if group_is_ours(&client, &side, &region, &m.name, group).await? {
                rds::delete_parameter_group(&client, group).await?;
            }
        }
        if let Some(name) = subnet_group {
            let tags = rds::find_subnet_group(&client, &name)
                .await?
                .map(|(_, t)| t);
            if tags.is_some() && side.is_ours(&key::db_subnet_group(&region, &name), tags.as_ref())
            {
                rds::delete_subnet_group(&client, &name).await?;
            }
        }
        let ec2 = aws.ec2(&region);
        for id in groups {
            if let Some(group) = sg::find(&ec2, &id).await? {
                if side.is_ours(&key::security_group(&id), Some(&sg::tags(&group))) {
                    sg::delete(&ec2, &id).await?;
                }
            }
        }
        Ok(())
    }

    /// Import ID: `NAME`, or `REGION:NAME` for another region.
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let id = crate::identity::import_id(req, "name");
        let (region, name) = match id.split_once(':') {
            Some((r, n)) => (r.to_owned(), n.to_owned()),
            None => (aws.region.clone(), id.clone()),
        };
        if rds::find_instance(&aws.rds(&region), &name)
            .await?
            .is_none()
        {
            return Err(Diagnostic::error(
                "Database not found",
                format!("No RDS instance {name:?} in {region}."),
            )
            .into());
        }
        // What AWS does not store comes from the environment's profile.
        let setting = |attr: &str| {
            profile::settings(TYPE)
                .find(|s| s.attribute == attr)
                .and_then(|s| Value::from(s.default_for(&aws.environment)).as_bool())
        };
        let m = Model {
            name,
            region: Some(region),
            final_snapshot: setting("final_snapshot"),
            apply_immediately: setting("apply_immediately"),
            ..Model::default()
        };
        super::to_state(&m, &schema::schema(), &Value::Null)
    }

    fn identity_schema(&self) -> Option<tfplugin::schema::IdentitySchema> {
        Some(crate::identity::schema(IDENTITY))
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        Some(crate::identity::of(state, IDENTITY))
    }
}
