//! `onto_network`'s plan rules: subnet sizes, AZs inside the region, the
//! environment profile, and the layout the plan can already tell.

use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::resource::PlanRequest;
use tfplugin::value::{typed, AttributePath, Value};

use super::layout::planned_layout;
use super::model::Model;
use super::TYPE;
use crate::aws::Aws;
use crate::cidr::Cidr;
use crate::{profile, tags};

pub fn check_config(config: &Value, diags: &mut Diagnostics) {
    let (Some(cidr), Some(azs)) = (
        config.get("cidr_block").as_str(),
        config.get("availability_zones").elements(),
    ) else {
        return;
    };
    let Ok(vpc) = cidr.parse::<Cidr>() else {
        return;
    };
    let newbits = config.get("subnet_newbits").as_i64().unwrap_or(5);
    if vpc.prefix() as i64 + newbits > 28 {
        // On what the configuration set: the default newbits leave the block.
        let at = if config.get("subnet_newbits").is_null() {
            "cidr_block"
        } else {
            "subnet_newbits"
        };
        diags.error_at(
            AttributePath::attr(at),
            "Subnets too small",
            format!(
                "A /{} VPC with subnet_newbits = {newbits} gives subnets smaller than /28.",
                vpc.prefix()
            ),
        );
    }
    if azs.len() < 2 && config.get("nat_mode").as_str() == Some("per_az") {
        diags.warning(
            "One availability zone",
            "per_az NAT over a single AZ gives no redundancy.",
        );
    }
}

pub fn modify(aws: &Aws, req: &mut PlanRequest) -> Result<()> {
    if req.plan.is_null() {
        return Ok(());
    }
    if req.plan.get("region").is_unknown() && req.config.get("region").is_null() {
        req.plan.set("region", aws.region.clone());
    }
    let environment = profile::environment(aws, &req.config).to_owned();
    let refused = profile::apply(TYPE, &environment, req);
    if refused.has_errors() {
        return Err(refused);
    }
    if let Some(region) = req.plan.get("region").as_str().map(str::to_owned) {
        if let Some(azs) = req.plan.get("availability_zones").elements() {
            for (i, az) in azs.iter().enumerate() {
                if let Some(az) = az.as_str().filter(|az| !az.starts_with(&region)) {
                    return Err(Diagnostic::error(
                        "Availability zone outside the region",
                        format!("{az} is not in {region}."),
                    )
                    .at(AttributePath::attr("availability_zones").push_index(i))
                    .into());
                }
            }
        }
    }
    if req.private.imported() {
        // A VPC made outside onto has no onto name yet: the configured one
        // names it in place (tags), it does not rebuild it.
        req.requires_replace
            .retain(|p| *p != AttributePath::attr("name"));
    }
    let Ok(m) = typed::from_value::<Model>(&req.plan) else {
        return Ok(());
    };
    tags::plan_all(aws, &aws.owner(TYPE, &m.name, &environment), &mut req.plan);
    if req.plan.get("availability_zones").is_wholly_known() {
        let prior = req.prior.clone();
        planned_layout(&m, &prior, &mut req.plan);
    }
    Ok(())
}
