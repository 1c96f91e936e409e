//! `onto_dr_region`'s plan rules: what a DR copy needs (subnets, a key in
//! the DR region), and recovery objectives that the configuration cannot
//! meet fail the plan.

use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::resource::PlanRequest;
use tfplugin::validate::parse_duration;
use tfplugin::value::{AttributePath, Value};

use super::model::{arn_part, Model};
use super::TYPE;
use crate::aws::rds;
use crate::aws::Aws;
use crate::objectives::{self, Mode, Observed};
use crate::tags;

pub fn check_config(config: &Value, diags: &mut Diagnostics) {
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
        if k.contains(":alias/") {
            diags.error_at(
                AttributePath::attr("dr_kms_key"),
                "KMS alias instead of key",
                format!("{k:?} is an alias ARN. RDS records the key it points to, so an alias would show as a change on every plan and replace the DR copy; use the key's ARN."),
            );
        }
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
    if let (Some(bucket), Some(dr)) = (
        config.get("state_bucket").as_str(),
        config.get("dr_region").as_str(),
    ) {
        let copy = bucket.len() + 1 + dr.len();
        if copy > 63 {
            diags.error_at(
                AttributePath::attr("state_bucket"),
                "DR bucket name too long",
                format!("The DR copy is named {bucket}-{dr} ({copy} characters); S3 bucket names end at 63. Use a state bucket name of at most {} characters.", 62 - dr.len()),
            );
        }
    }
    if !replica {
        for attr in ["dr_subnet_ids", "db_instance_class"] {
            if !config.get(attr).is_null() {
                diags.error_at(
                    AttributePath::attr(attr),
                    "Only for a replica",
                    format!("{attr} configures the DR replica; db_mode = \"backups\" makes none. Remove it, or use db_mode = \"replica\"."),
                );
            }
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

pub async fn modify(aws: &Aws, req: &mut PlanRequest) -> Result<()> {
    if req.plan.is_null() {
        return Ok(());
    }
    if req.plan.get("region").is_unknown() && req.config.get("region").is_null() {
        // The primary's region: the database's, or the provider's.
        match req.plan.get("db_arn") {
            Value::Unknown(_) => {}
            arn => {
                let region = arn
                    .as_str()
                    .map(|a| arn_part(a, 3).to_owned())
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| aws.region.clone());
                req.plan.set("region", region);
            }
        }
    }
    if req.plan.get("region").as_str() == req.plan.get("dr_region").as_str() {
        return Err(Diagnostic::error(
            "DR in the primary region",
            "dr_region must differ from the primary region (the database's, or the provider's when there is none).",
        )
        .at(AttributePath::attr("dr_region"))
        .into());
    }
    // Objectives: a configuration that cannot meet its targets fails here.
    let Ok(m) = super::super::model::<Model>(&req.plan, TYPE) else {
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
        // No database, or its backups only: no replica (an unknown db_arn is
        // a database still to be made).
        let no_db = req.plan.get("db_arn").is_null();
        if no_db || m.mode() == Mode::Backups {
            req.plan.set("replica_id", Value::Null);
            req.plan.set("replica_arn", Value::Null);
            req.plan.set("replica_endpoint", Value::Null);
        }
        if no_db {
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
        tags::plan_all(
            aws,
            &aws.owner(TYPE, &name, &aws.environment),
            &mut req.plan,
        );
    }
    Ok(())
}
