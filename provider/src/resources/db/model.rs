//! `onto_db`'s state — one typed struct, read from plans and state and
//! written back from what AWS holds — and the rules for what AWS may move
//! past (automatic minor upgrades, autoscaled storage, held changes).

use std::collections::BTreeMap;

use aws_sdk_rds::types::DbInstance;
use serde::{Deserialize, Serialize};

use crate::aws::ec2::security_group::Sources;
use crate::aws::rds;
use crate::aws::Aws;

pub const PORT: i32 = 5432;
pub const LOG_TYPES: [&str; 2] = ["postgresql", "upgrade"];

/// Every attribute of `onto_db` (the write-only password is never state).
/// Reading a plan, unknown values are `None`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Model {
    pub name: String,
    pub region: Option<String>,
    pub environment: Option<String>,
    pub prod_overrides: Option<Vec<String>>,
    pub engine_version: Option<String>,
    pub engine_version_actual: Option<String>,
    pub auto_minor_version_upgrade: Option<bool>,
    pub instance_class: Option<String>,
    pub allocated_storage: Option<i32>,
    pub max_allocated_storage: Option<i32>,
    pub storage_type: Option<String>,
    pub iops: Option<i32>,
    pub kms_key: Option<String>,
    pub subnet_ids: Option<Vec<String>>,
    pub allowed_security_group_ids: Option<Vec<String>>,
    pub allowed_cidr_blocks: Option<Vec<String>>,
    pub parameters: Option<BTreeMap<String, String>>,
    pub multi_az: Option<bool>,
    pub backup_retention_days: Option<i32>,
    pub backup_window: Option<String>,
    pub maintenance_window: Option<String>,
    pub deletion_protection: Option<bool>,
    pub final_snapshot: Option<bool>,
    pub performance_insights: Option<bool>,
    pub apply_immediately: Option<bool>,
    pub log_exports: Option<Vec<String>>,
    pub username: Option<String>,
    pub database_name: Option<String>,
    pub password_wo_version: Option<i64>,
    pub manage_master_password: Option<bool>,
    pub replicate_source_db: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Option<BTreeMap<String, String>>,
    pub arn: Option<String>,
    pub resource_id: Option<String>,
    pub endpoint: Option<String>,
    pub address: Option<String>,
    pub port: Option<i32>,
    pub security_group_id: Option<String>,
    pub security_group_ids: Option<Vec<String>>,
    pub subnet_group_name: Option<String>,
    pub parameter_group_name: Option<String>,
    pub master_secret_arn: Option<String>,
    pub pending_changes: Option<BTreeMap<String, String>>,
}

impl Model {
    pub fn environment<'a>(&'a self, aws: &'a Aws) -> &'a str {
        self.environment.as_deref().unwrap_or(&aws.environment)
    }

    pub fn engine_version(&self) -> &str {
        self.engine_version.as_deref().unwrap_or("16")
    }

    pub fn storage_type(&self) -> &str {
        self.storage_type.as_deref().unwrap_or("gp3")
    }

    pub fn subnets(&self) -> Vec<String> {
        let mut s = self.subnet_ids.clone().unwrap_or_default();
        s.sort();
        s
    }

    pub fn sources(&self) -> Sources {
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

    /// Whether the configuration names any source (so a security group is
    /// needed even on an imported instance).
    pub fn has_sources(&self) -> bool {
        self.allowed_security_group_ids.is_some() || self.allowed_cidr_blocks.is_some()
    }

    pub fn logs(&self) -> Vec<String> {
        self.log_exports
            .clone()
            .unwrap_or_else(|| LOG_TYPES.map(str::to_owned).to_vec())
    }

    /// The parameter group this resource manages, when `parameters` is set.
    pub fn parameter_group(&self) -> Option<String> {
        self.parameters
            .as_ref()
            .filter(|p| !p.is_empty())
            .map(|_| format!("{}-postgres{}", self.name, major(self.engine_version())))
    }

    /// The security group this resource makes.
    pub fn security_group_name(&self) -> String {
        format!("{}-db", self.name)
    }
}

pub fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

fn version_parts(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// The `engine_version` state keeps: the configured one while AWS runs it
/// or a newer minor of it (an automatic upgrade is not drift), else what
/// AWS runs (a change made outside Terraform).
pub fn version_in_state(configured: Option<&str>, actual: &str) -> String {
    match configured {
        Some(c) if major(c) == major(actual) && version_parts(actual) >= version_parts(c) => {
            c.to_owned()
        }
        _ => actual.to_owned(),
    }
}

/// Whether moving from `actual` to `wanted` is an upgrade AWS must do.
pub fn upgrade_needed(wanted: &str, actual: &str) -> bool {
    major(wanted) != major(actual) || version_parts(wanted) > version_parts(actual)
}

/// The effective settings of an instance: what it runs, overlaid with the
/// changes AWS holds for the maintenance window (so the plan does not
/// propose them again), plus those held changes by attribute.
pub struct Effective {
    pub instance_class: Option<String>,
    pub allocated_storage: Option<i32>,
    pub multi_az: Option<bool>,
    pub engine_version: Option<String>,
    pub backup_retention: Option<i32>,
    pub storage_type: Option<String>,
    pub pending: BTreeMap<String, String>,
}

pub fn effective(db: &DbInstance) -> Effective {
    let p = db.pending_modified_values();
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
        pending: rds::pending(db),
    }
}

/// What AWS holds for one instance, beside the instance itself.
pub struct Remote {
    pub db: DbInstance,
    /// The security group onto manages for it (none for an imported
    /// instance with its own groups), with its sources on 5432.
    pub managed_sg: Option<(String, Sources)>,
    /// The instance's security groups that still exist (a group deleted
    /// out of band is left out, so a repair does not name it again).
    pub security_groups: Vec<String>,
    /// Parameters of the group this resource manages (none when the
    /// instance uses another group).
    pub parameters: Option<BTreeMap<String, String>>,
}

impl Remote {
    /// The state: what AWS reports, with what it does not report (provider
    /// settings, the configured versions AWS legitimately moved past) taken
    /// from `known`, the plan or prior state.
    pub fn observed(
        &self,
        aws: &Aws,
        region: &str,
        known: &Model,
        known_value: &tfplugin::value::Value,
    ) -> Model {
        let db = &self.db;
        let eff = effective(db);
        let all_tags = rds::tag_map(db.tag_list());
        let actual_version = eff.engine_version.clone().unwrap_or_default();
        let allocated = match (eff.allocated_storage, known.allocated_storage) {
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
        let address = endpoint.and_then(|e| e.address()).map(str::to_owned);
        let port = endpoint.and_then(|e| e.port()).unwrap_or(PORT);
        let group = db
            .db_parameter_groups()
            .iter()
            .filter_map(|g| g.db_parameter_group_name())
            .find(|g| !g.starts_with("default."))
            .map(str::to_owned);
        let sources = self
            .managed_sg
            .as_ref()
            .map(|(_, s)| s.clone())
            .unwrap_or_default();
        let opt_set = |configured: &Option<Vec<String>>, items: Vec<String>| {
            (!items.is_empty() || configured.is_some()).then_some(items)
        };
        let mut sg_ids: Vec<String> = db
            .vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id().map(str::to_owned))
            .collect();
        sg_ids.sort();
        Model {
            name: db.db_instance_identifier().unwrap_or_default().to_owned(),
            region: Some(region.to_owned()),
            environment: known.environment.clone(),
            prod_overrides: known.prod_overrides.clone(),
            engine_version: Some(version_in_state(
                known.engine_version.as_deref(),
                &actual_version,
            )),
            engine_version_actual: db.engine_version().map(str::to_owned),
            auto_minor_version_upgrade: Some(db.auto_minor_version_upgrade().unwrap_or(true)),
            instance_class: eff.instance_class,
            allocated_storage: Some(allocated),
            max_allocated_storage: db
                .max_allocated_storage()
                .filter(|m| Some(*m) > db.allocated_storage()),
            storage_type: eff.storage_type,
            iops: db
                .pending_modified_values()
                .and_then(|p| p.iops())
                .or(db.iops())
                .or(known.iops),
            kms_key: db.kms_key_id().map(str::to_owned),
            subnet_ids: db.db_subnet_group().map(|g| {
                g.subnets()
                    .iter()
                    .filter_map(|s| s.subnet_identifier().map(str::to_owned))
                    .collect()
            }),
            allowed_security_group_ids: opt_set(
                &known.allowed_security_group_ids,
                sources.security_groups.iter().cloned().collect(),
            ),
            allowed_cidr_blocks: opt_set(
                &known.allowed_cidr_blocks,
                sources.cidr_blocks.iter().cloned().collect(),
            ),
            // Only the group this resource manages holds its `parameters`
            // (a same-region replica may use its source's group).
            parameters: match &self.parameters {
                Some(p) if !p.is_empty() || known.parameters.is_some() => Some(p.clone()),
                _ => None,
            },
            multi_az: eff.multi_az,
            backup_retention_days: eff.backup_retention,
            backup_window: db.preferred_backup_window().map(str::to_owned),
            maintenance_window: db
                .preferred_maintenance_window()
                .map(str::to_ascii_lowercase),
            deletion_protection: db.deletion_protection(),
            final_snapshot: known.final_snapshot,
            // Absent from the response means unknown to AWS, not off.
            performance_insights: db
                .performance_insights_enabled()
                .or(known.performance_insights),
            apply_immediately: known.apply_immediately,
            log_exports: Some(logs),
            username: db
                .master_username()
                .map(str::to_owned)
                .or_else(|| known.username.clone()),
            database_name: db
                .db_name()
                .map(str::to_owned)
                .or_else(|| known.database_name.clone()),
            password_wo_version: known.password_wo_version,
            // A replica's credentials are its source's.
            manage_master_password: if db.read_replica_source_db_instance_identifier().is_some() {
                Some(false)
            } else {
                Some(db.master_user_secret().is_some())
            },
            replicate_source_db: source,
            tags: crate::tags::state_view(aws, known_value, &all_tags),
            tags_all: Some(all_tags),
            arn: db.db_instance_arn().map(str::to_owned),
            resource_id: db.dbi_resource_id().map(str::to_owned),
            endpoint: address.as_ref().map(|a| format!("{a}:{port}")),
            address,
            port: Some(port),
            security_group_id: self.managed_sg.as_ref().map(|(id, _)| id.clone()),
            security_group_ids: Some(sg_ids),
            subnet_group_name: db
                .db_subnet_group()
                .and_then(|g| g.db_subnet_group_name())
                .map(str::to_owned),
            parameter_group_name: group,
            master_secret_arn: db
                .master_user_secret()
                .and_then(|s| s.secret_arn())
                .map(str::to_owned),
            pending_changes: Some(eff.pending),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::types::PendingModifiedValues;

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

    #[test]
    fn held_changes_are_reported_and_not_planned_again() {
        let mut db = DbInstance::builder()
            .db_instance_identifier("app")
            .db_instance_status("available")
            .db_instance_class("db.t4g.micro")
            .build();
        db.pending_modified_values = Some(
            PendingModifiedValues::builder()
                .db_instance_class("db.r6g.large")
                .multi_az(true)
                .build(),
        );
        let eff = effective(&db);
        assert_eq!(eff.instance_class.as_deref(), Some("db.r6g.large"));
        assert_eq!(eff.multi_az, Some(true));
        assert_eq!(eff.pending.len(), 2);
    }
}
