//! `onto_registry`'s plan rules: lifecycle rules that contradict each
//! other, KMS settings, and the prod guard on `force_delete`.

use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::resource::PlanRequest;
use tfplugin::value::{AttributePath, Value};

use crate::aws::Aws;
use crate::tags;

use super::TYPE;

pub fn check_config(config: &Value, diags: &mut Diagnostics) {
    check_rules(config, diags);
    if config.get("encryption_type").as_str() != Some("KMS")
        && config.get("kms_key").as_str().is_some()
    {
        diags.error_at(
            AttributePath::attr("kms_key"),
            "KMS key without KMS encryption",
            "Set encryption_type = \"KMS\" to use kms_key.",
        );
    }
}

fn check_rules(config: &Value, diags: &mut Diagnostics) {
    let Some(rules) = config.get("lifecycle_rule").elements() else {
        return;
    };
    let last = rules.len().saturating_sub(1);
    for (i, r) in rules.iter().enumerate() {
        let p = AttributePath::attr("lifecycle_rule").push_index(i);
        let (keep, days) = (r.get("keep_last"), r.get("expire_after_days"));
        if !keep.is_unknown() && !days.is_unknown() && keep.is_null() == days.is_null() {
            diags.error_at(
                p.clone(),
                "Contradictory lifecycle rule",
                "Set exactly one of keep_last or expire_after_days.",
            );
        }
        let prefixes = r.get("tag_prefixes");
        match r.get("tag_status").as_str() {
            Some("tagged")
                if prefixes.is_null() || prefixes.elements().is_some_and(<[Value]>::is_empty) =>
            {
                diags.error_at(
                    p.push_attr("tag_prefixes"),
                    "Missing tag prefixes",
                    "A rule with tag_status = \"tagged\" needs tag_prefixes.",
                );
            }
            Some("untagged" | "any") if !prefixes.is_null() => {
                diags.error_at(
                    p.push_attr("tag_prefixes"),
                    "Unexpected tag prefixes",
                    "Only a rule with tag_status = \"tagged\" takes tag_prefixes.",
                );
            }
            Some("any") if i != last => {
                diags.error_at(
                    p.push_attr("tag_status"),
                    "Misplaced rule",
                    "A rule with tag_status = \"any\" must be the last rule.",
                );
            }
            _ => {}
        }
    }
}

pub fn modify(aws: &Aws, req: &mut PlanRequest) -> Result<()> {
    let subject = if req.plan.is_null() {
        &req.prior
    } else {
        &req.plan
    };
    let force = subject.get("force_delete").as_bool() == Some(true);
    let allowed = subject.get("allow_prod_force_delete").as_bool() == Some(true);
    if aws.is_prod() && force && !allowed {
        return Err(Diagnostic::error(
            "force_delete refused in prod",
            "force_delete would delete every image in this prod repository. Set allow_prod_force_delete = true to confirm.",
        )
        .at(AttributePath::attr("force_delete"))
        .into());
    }
    if req.plan.is_null() {
        return Ok(());
    }
    if !req.prior.is_null()
        && req.plan.get("kms_key").is_unknown()
        && req.config.get("kms_key").is_null()
    {
        let prior = req.prior.get("kms_key").clone();
        req.plan.set("kms_key", prior);
    }
    if req.plan.get("region").is_unknown() && req.config.get("region").is_null() {
        req.plan.set("region", aws.region.clone());
    }
    crate::validators::kms_key_in_region(&req.plan, "kms_key")?;
    if let Some(name) = req.plan.get("name").as_str().map(str::to_owned) {
        tags::plan_all(
            aws,
            &aws.owner(TYPE, &name, &aws.environment),
            &mut req.plan,
        );
    }
    Ok(())
}
