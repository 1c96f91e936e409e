//! The one `ModifyDBInstance` an update sends: each setting that differs
//! from what the instance runs (or already holds for the maintenance
//! window), and the master password only as the plan says.

use aws_sdk_rds::operation::modify_db_instance::builders::ModifyDBInstanceFluentBuilder;
use aws_sdk_rds::types::{CloudwatchLogsExportConfiguration, DbInstance};

use super::model::{effective, major, upgrade_needed, Model};
use crate::aws::rds::ENGINE;

/// The modification, or `None` when nothing differs.
pub fn modification(
    rds: &aws_sdk_rds::Client,
    m: &Model,
    prior: &Model,
    db: &DbInstance,
    password: Option<String>,
    group: Option<&str>,
    ours_group: bool,
) -> Option<ModifyDBInstanceFluentBuilder> {
    let eff = effective(db);
    let apply_now = m.apply_immediately.unwrap_or(false);
    let mut modify = rds
        .modify_db_instance()
        .db_instance_identifier(&m.name)
        .apply_immediately(apply_now);
    let mut changed = false;
    let mut set = |cond: bool| {
        changed |= cond;
        cond
    };
    if let Some(class) = m.instance_class.as_deref() {
        if set(eff.instance_class.as_deref() != Some(class)) {
            modify = modify.db_instance_class(class);
        }
    }
    let storage = m.allocated_storage.unwrap_or(20);
    if set(eff.allocated_storage.is_some_and(|a| storage > a)) {
        modify = modify.allocated_storage(storage);
    }
    if set(m.max_allocated_storage != prior.max_allocated_storage) {
        // Setting the limit to the current size turns autoscaling off.
        modify = modify.max_allocated_storage(
            m.max_allocated_storage
                .unwrap_or_else(|| eff.allocated_storage.unwrap_or(storage)),
        );
    }
    if set(eff.storage_type.as_deref() != Some(m.storage_type())) {
        modify = modify.storage_type(m.storage_type());
    }
    if let Some(iops) = m.iops {
        let have = db
            .pending_modified_values()
            .and_then(|p| p.iops())
            .or(db.iops());
        if set(have != Some(iops)) {
            modify = modify.iops(iops);
        }
    }
    let actual_version = eff.engine_version.clone().unwrap_or_default();
    if set(m.replicate_source_db.is_none() && upgrade_needed(m.engine_version(), &actual_version)) {
        modify = modify
            .engine_version(m.engine_version())
            .allow_major_version_upgrade(major(m.engine_version()) != major(&actual_version));
    }
    if let Some(multi_az) = m.multi_az {
        if set(eff.multi_az != Some(multi_az)) {
            modify = modify.multi_az(multi_az);
        }
    }
    if let Some(days) = m.backup_retention_days {
        if set(eff.backup_retention != Some(days)) {
            modify = modify.backup_retention_period(days);
        }
    }
    if set(m.backup_window.is_some() && m.backup_window.as_deref() != db.preferred_backup_window())
    {
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
    if let Some(protect) = m.deletion_protection {
        if set(db.deletion_protection() != Some(protect)) {
            modify = modify.deletion_protection(protect);
        }
    }
    if let Some(pi) = m.performance_insights {
        if set(db.performance_insights_enabled().is_some_and(|p| p != pi)
            || (db.performance_insights_enabled().is_none()
                && Some(pi) != prior.performance_insights))
        {
            modify = modify.enable_performance_insights(pi);
        }
    }
    let minor = m.auto_minor_version_upgrade.unwrap_or(true);
    if set(db.auto_minor_version_upgrade() != Some(minor)) {
        modify = modify.auto_minor_version_upgrade(minor);
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
        .next();
    if set(group.is_some() && group != current_group) {
        modify = modify.set_db_parameter_group_name(group.map(str::to_owned));
    } else if set(group.is_none() && ours_group) {
        // `parameters` removed: back to AWS's defaults.
        modify = modify
            .db_parameter_group_name(format!("default.{ENGINE}{}", major(m.engine_version())));
    }
    if m.replicate_source_db.is_none() {
        let managed_now = db.master_user_secret().is_some();
        match (m.manage_master_password, password) {
            (Some(true), _) if !managed_now => {
                changed = true;
                modify = modify.manage_master_user_password(true);
            }
            (Some(false), Some(pw))
                if managed_now || m.password_wo_version != prior.password_wo_version =>
            {
                changed = true;
                if managed_now {
                    modify = modify.manage_master_user_password(false);
                }
                modify = modify.master_user_password(pw);
            }
            _ => {}
        }
    }
    changed.then_some(modify)
}
