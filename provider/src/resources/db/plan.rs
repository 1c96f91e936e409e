//! `onto_db`'s plan rules: configuration checks, the environment profile,
//! how the master password is managed, versions and storage AWS may move
//! past, cross-region replicas, and the computed values a plan can know.

use std::collections::BTreeMap;

use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::resource::PlanRequest;
use tfplugin::value::{AttributePath, Value};

use super::model::{major, LOG_TYPES};
use super::TYPE;
use crate::aws::Aws;
use crate::{profile, tags};

/// The oldest PostgreSQL major RDS still creates.
const OLDEST_MAJOR: u32 = 13;

/// Provisioned IOPS against the storage type and size (AWS's limits for
/// RDS for PostgreSQL).
fn check_storage(config: &Value, storage: i64, diags: &mut Diagnostics) {
    let kind = config.get("storage_type").as_str().unwrap_or("gp3");
    let at = || AttributePath::attr("iops");
    match (kind, config.get("iops")) {
        (_, Value::Unknown(_)) => {}
        ("io1" | "io2", Value::Null) => diags.error_at(
            at(),
            "Provisioned IOPS needed",
            format!("storage_type = \"{kind}\" needs iops (for example iops = 3000)."),
        ),
        ("io1" | "io2", v) => {
            let iops = v.as_i64().unwrap_or_default();
            let per_gib = if kind == "io1" { 50 } else { 1000 };
            if storage < 100 {
                diags.error_at(
                    AttributePath::attr("allocated_storage"),
                    "Too little storage for provisioned IOPS",
                    format!("{kind} needs at least 100 GiB (allocated_storage is {storage})."),
                );
            } else if iops > storage * per_gib {
                diags.error_at(
                    at(),
                    "Too many IOPS for the storage",
                    format!("{kind} allows at most {per_gib} IOPS per GiB: {} for {storage} GiB, not {iops}.", storage * per_gib),
                );
            }
        }
        ("gp2", v) if !v.is_null() => diags.error_at(
            at(),
            "No provisioned IOPS on gp2",
            "gp2 storage has no provisioned IOPS; use storage_type = \"gp3\" or \"io1\"/\"io2\".",
        ),
        ("gp3", v) if !v.is_null() => {
            let iops = v.as_i64().unwrap_or_default();
            if storage < 400 {
                diags.error_at(
                    at(),
                    "gp3 IOPS need 400 GiB",
                    format!("gp3 takes iops from 400 GiB of storage (below it AWS gives a baseline of 3,000); allocated_storage is {storage}."),
                );
            } else if !(3000..=64000).contains(&iops) {
                diags.error_at(
                    at(),
                    "gp3 IOPS out of range",
                    format!("gp3 takes 3,000 to 64,000 IOPS, not {iops}."),
                );
            }
        }
        _ => {}
    }
}

pub fn check_config(config: &Value, diags: &mut Diagnostics) {
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
    // RDS takes a threshold at least 10 % above the allocated storage.
    if let Some(max) = max.filter(|m| *m * 10 < storage * 11) {
        diags.error_at(
            AttributePath::attr("max_allocated_storage"),
            "Autoscaling limit too low",
            format!("max_allocated_storage ({max}) must be at least 10% above allocated_storage ({storage}): {} GiB or more.", (storage * 11 + 9) / 10),
        );
    }
    check_storage(config, storage, diags);
    crate::windows::check_apart(config, "backup_window", "maintenance_window", diags);
    if let Some(v) = config.get("engine_version").as_str() {
        if major(v).parse::<u32>().is_ok_and(|m| m < OLDEST_MAJOR) {
            diags.error_at(
                AttributePath::attr("engine_version"),
                "PostgreSQL version no longer offered",
                format!("RDS no longer offers PostgreSQL {v} (its oldest supported major is {OLDEST_MAJOR}). Choose {OLDEST_MAJOR} or later; an existing older instance is upgraded one major at a time."),
            );
        }
    }
    if let Some(k) = config.get("kms_key").as_str() {
        if k.contains(":alias/") {
            diags.error_at(
                AttributePath::attr("kms_key"),
                "KMS alias instead of key",
                format!("{k:?} is an alias ARN. RDS records the key it points to, so an alias would show as a change on every plan and replace the database; use the key's ARN (`aws kms describe-key --key-id {}`).", k.rsplit(':').next().unwrap_or(k)),
            );
        }
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
    if !wo.is_null() && config.get("manage_master_password").as_bool() == Some(true) {
        diags.error_at(
            AttributePath::attr("manage_master_password"),
            "Two password sources",
            "manage_master_password = true lets Secrets Manager manage the password; remove password_wo, or set manage_master_password = false.",
        );
    }
    if replica {
        for attr in ["password_wo", "database_name", "manage_master_password"] {
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

/// `manage_master_password` in the plan: what the configuration says; a
/// `password_wo` means write-only; unset, the instance keeps how it is
/// managed now (created: managed). Switching needs a password to switch
/// to, and a new `password_wo_version` needs the password it announces.
fn plan_password(req: &mut PlanRequest) -> Result<()> {
    if !req.plan.get("replicate_source_db").is_null() {
        req.plan.set("manage_master_password", false);
        return Ok(());
    }
    let wo = req.config.get("password_wo").clone();
    let configured = req.config.get("manage_master_password").clone();
    let prior = req.prior.get("manage_master_password").clone();
    let managed = if wo.is_unknown() || configured.is_unknown() {
        Value::UNKNOWN
    } else if !wo.is_null() {
        Value::Bool(false)
    } else if !configured.is_null() {
        configured
    } else if !prior.is_null() {
        prior.clone()
    } else {
        Value::Bool(req.prior.is_null())
    };
    if !req.prior.is_null() && wo.is_null() && !wo.is_unknown() {
        if managed.as_bool() == Some(false) && prior.as_bool() == Some(true) {
            return Err(Diagnostic::error(
                "No password to switch to",
                "manage_master_password = false turns off the managed password: give the new master password in password_wo (with password_wo_version).",
            )
            .at(AttributePath::attr("password_wo"))
            .into());
        }
        let version = req.plan.get("password_wo_version");
        if !version.same(req.prior.get("password_wo_version"))
            && !version.is_null()
            && managed.as_bool() == Some(false)
        {
            return Err(Diagnostic::error(
                "Password version changed without a password",
                "password_wo_version changed, which sends a new password_wo, but password_wo is not set in this run (an ephemeral variable left unset?). Set it, or keep password_wo_version as it was.",
            )
            .at(AttributePath::attr("password_wo"))
            .into());
        }
    }
    match managed.as_bool() {
        Some(false) => req.plan.set("master_secret_arn", Value::Null),
        Some(true) if prior.as_bool() == Some(true) => {
            let secret = req.prior.get("master_secret_arn").clone();
            req.plan.set("master_secret_arn", secret)
        }
        _ => req.plan.set("master_secret_arn", Value::UNKNOWN),
    }
    req.plan.set("manage_master_password", managed);
    Ok(())
}

pub fn modify(aws: &Aws, req: &mut PlanRequest) -> Result<()> {
    let environment = profile::environment(aws, &req.config).to_owned();
    if req.plan.is_null() {
        return refuse_deleting_protected(req, "Destroying");
    }
    let refused = profile::apply(TYPE, &environment, req);
    if refused.has_errors() {
        return Err(refused);
    }
    if req.plan.get("region").is_unknown() && req.config.get("region").is_null() {
        req.plan.set("region", aws.region.clone());
    }
    crate::validators::kms_key_in_region(&req.plan, "kms_key")?;
    let imported_keeps =
        |req: &PlanRequest, attr: &str| req.private.imported() && !req.prior.get(attr).is_null();
    if req.config.get("log_exports").is_null() {
        let value = if imported_keeps(req, "log_exports") {
            req.prior.get("log_exports").clone()
        } else {
            Value::Set(
                LOG_TYPES
                    .iter()
                    .map(|l| Value::String((*l).into()))
                    .collect(),
            )
        };
        req.plan.set("log_exports", value);
    }
    plan_password(req)?;
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
            if want > have && want * 10 < have * 11 {
                return Err(Diagnostic::error(
                    "Storage grows by too little",
                    format!("RDS grows storage by at least 10%: from {have} GiB, to {} GiB or more (not {want}).", (have * 11 + 9) / 10),
                )
                .at(AttributePath::attr("allocated_storage"))
                .into());
            }
        }
        // An imported instance gets a group of onto's once sources are
        // configured; until then its own groups are left alone.
        let sources_configured = !req.config.get("allowed_security_group_ids").is_null()
            || !req.config.get("allowed_cidr_blocks").is_null();
        if req.prior.get("security_group_id").is_null() && sources_configured {
            req.plan.set("security_group_id", Value::UNKNOWN);
            req.plan.set("security_group_ids", Value::UNKNOWN);
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
        tags::plan_all(aws, &aws.owner(TYPE, &name, &environment), &mut req.plan);
    }
    if !req.requires_replace.is_empty() {
        refuse_deleting_protected(req, "Replacing")?;
    }
    Ok(())
}

/// A destroy or a replacement of an instance whose deletion protection is
/// on is refused at plan, before Terraform deletes anything else in the
/// same run: RDS would refuse the delete at apply, after the resources that
/// do not depend on the database were already gone.
fn refuse_deleting_protected(req: &PlanRequest, doing: &str) -> Result<()> {
    if req.prior.get("deletion_protection").as_bool() != Some(true) {
        return Ok(());
    }
    let name = req.prior.get("name").as_str().unwrap_or("the instance");
    Err(Diagnostic::error(
        "Deletion protection is on",
        format!(
            "{doing} {name} deletes it, and its deletion protection is on. Set deletion_protection = false (in prod also add \"deletion_protection\" to prod_overrides), apply, then try again."
        ),
    )
    .at(AttributePath::attr("deletion_protection"))
    .into())
}
