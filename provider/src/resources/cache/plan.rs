//! `onto_cache`'s plan rules: configuration checks, the environment
//! profile (whose defaults must agree with each other), how the AUTH token
//! is managed, and the computed values a plan can know.

use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::resource::PlanRequest;
use tfplugin::value::{AttributePath, Value};

use super::TYPE;
use crate::aws::Aws;
use crate::{profile, tags};

pub fn check_config(config: &Value, diags: &mut Diagnostics) {
    let replicas = config.get("replicas").as_i64();
    if config.get("multi_az").as_bool() == Some(true) {
        if replicas == Some(0) {
            diags.error_at(
                AttributePath::attr("multi_az"),
                "Multi-AZ needs a replica",
                "multi_az places a replica in another AZ: set replicas to 1 or more.",
            );
        }
        if config.get("automatic_failover").as_bool() == Some(false) {
            diags.error_at(
                AttributePath::attr("multi_az"),
                "Multi-AZ needs automatic failover",
                "Set automatic_failover = true (or leave it to the profile) with multi_az.",
            );
        }
    }
    if config.get("automatic_failover").as_bool() == Some(true) && replicas == Some(0) {
        diags.error_at(
            AttributePath::attr("automatic_failover"),
            "Failover needs a replica",
            "automatic_failover promotes a replica: set replicas to 1 or more.",
        );
    }
    if !config.get("auth_token_wo").is_null() {
        if config.get("auth_token_enabled").as_bool() == Some(false) {
            diags.error_at(
                AttributePath::attr("auth_token_enabled"),
                "Token given but disabled",
                "auth_token_enabled = false removes the AUTH token: remove auth_token_wo too.",
            );
        }
        if config.get("transit_encryption").as_bool() == Some(false) {
            diags.error_at(
                AttributePath::attr("auth_token_wo"),
                "Auth token needs TLS",
                "An AUTH token is only accepted with transit_encryption = true.",
            );
        }
        if config.get("auth_token_wo_version").is_null() {
            diags.error_at(
                AttributePath::attr("auth_token_wo_version"),
                "Missing token version",
                "Set auth_token_wo_version with auth_token_wo (and change it to send a new token).",
            );
        }
    }
    if let Some(token) = config.get("auth_token_wo").as_str() {
        if let Some(c) = token
            .chars()
            .find(|c| !c.is_ascii() || c.is_ascii_control() || matches!(c, ' ' | '"' | '/' | '@'))
        {
            diags.error_at(
                AttributePath::attr("auth_token_wo"),
                "Invalid auth token",
                format!("AUTH tokens are printable ASCII without spaces, `\"`, `/` or `@`; found {c:?}."),
            );
        }
    }
    if !config.get("kms_key").is_null() && config.get("at_rest_encryption").as_bool() == Some(false)
    {
        diags.error_at(
            AttributePath::attr("kms_key"),
            "KMS key without encryption at rest",
            "kms_key encrypts data at rest: remove it, or leave at_rest_encryption on.",
        );
    }
    // The engine defaults to Redis; an unknown one is checked at apply.
    let engine = match config.get("engine") {
        e if e.is_null() => Some("redis"),
        e => e.as_str(),
    };
    if let (Some(engine), Some(version)) = (engine, config.get("engine_version").as_str()) {
        // `7.1`, `6.2`, `6.x`: major and minor (`x` as 0).
        let mut parts = version.split('.');
        let major = parts.next().and_then(|m| m.parse::<u32>().ok());
        let minor = parts
            .next()
            .and_then(|m| m.parse::<u32>().ok())
            .unwrap_or(0);
        let offered = match (engine, major) {
            // Valkey starts at 7.2; Redis OSS ends at 7.1.
            ("valkey", Some(major)) => (major, minor) >= (7, 2),
            ("redis", Some(major)) => (major, minor) <= (7, 1),
            _ => true,
        };
        if !offered {
            diags.error_at(
                AttributePath::attr("engine_version"),
                "No such engine version",
                format!("ElastiCache offers no {engine} {version}: Redis OSS versions end at 7.1, Valkey's start at 7.2."),
            );
        }
    }
    if let Some(subnets) = config.get("subnet_ids").elements() {
        if subnets.is_empty() {
            diags.error_at(
                AttributePath::attr("subnet_ids"),
                "No subnets",
                "The cache subnet group needs at least one subnet (the cache tier of onto_network).",
            );
        } else if subnets.len() < 2 && config.get("multi_az").as_bool() == Some(true) {
            diags.error_at(
                AttributePath::attr("subnet_ids"),
                "Multi-AZ needs subnets in two AZs",
                "multi_az places a replica in another availability zone: give subnets in at least two.",
            );
        }
    }
    if !config.get("parameters").is_null() && config.get("engine_version").is_null() {
        diags.error_at(
            AttributePath::attr("engine_version"),
            "Version needed for parameters",
            "A parameter group belongs to an engine version family: set engine_version with parameters.",
        );
    }
}

/// `auth_token_enabled` in the plan: a token in the configuration means
/// on; unset, the cache keeps what it has (created: off). Turning it on
/// needs a token; a new `auth_token_wo_version` needs the token it
/// announces.
fn plan_token(req: &mut PlanRequest) -> Result<()> {
    let token = req.config.get("auth_token_wo").clone();
    let configured = req.config.get("auth_token_enabled").clone();
    let prior = req.prior.get("auth_token_enabled").clone();
    let enabled = if token.is_unknown() || configured.is_unknown() {
        Value::UNKNOWN
    } else if !token.is_null() {
        Value::Bool(true)
    } else if !configured.is_null() {
        configured
    } else if !prior.is_null() {
        prior.clone()
    } else {
        Value::Bool(false)
    };
    if token.is_null() && !token.is_unknown() && enabled.as_bool() == Some(true) {
        if prior.as_bool() != Some(true) {
            return Err(Diagnostic::error(
                "No token to enable",
                "auth_token_enabled = true needs the token: set auth_token_wo (with auth_token_wo_version).",
            )
            .at(AttributePath::attr("auth_token_wo"))
            .into());
        }
        let version = req.plan.get("auth_token_wo_version");
        if !req.prior.is_null()
            && !version.is_null()
            && !version.same(req.prior.get("auth_token_wo_version"))
        {
            return Err(Diagnostic::error(
                "Token version changed without a token",
                "auth_token_wo_version changed, which sends a new auth_token_wo, but auth_token_wo is not set in this run (an ephemeral variable left unset?). Set it, or keep auth_token_wo_version as it was.",
            )
            .at(AttributePath::attr("auth_token_wo"))
            .into());
        }
    }
    req.plan.set("auth_token_enabled", enabled);
    Ok(())
}

pub fn modify(aws: &Aws, req: &mut PlanRequest) -> Result<()> {
    if req.plan.is_null() {
        return Ok(());
    }
    let environment = profile::environment(aws, &req.config).to_owned();
    let refused = profile::apply(TYPE, &environment, req);
    if refused.has_errors() {
        return Err(refused);
    }
    // Profile defaults must agree with each other and with the config.
    if req.plan.get("replicas").as_i64() == Some(0) {
        for attr in ["multi_az", "automatic_failover"] {
            if req.config.get(attr).is_null() {
                req.plan.set(attr, false);
            }
        }
    }
    if req.plan.get("region").is_unknown() && req.config.get("region").is_null() {
        req.plan.set("region", aws.region.clone());
    }
    crate::validators::kms_key_in_region(&req.plan, "kms_key")?;
    plan_token(req)?;
    if !req.prior.is_null() {
        // The reader endpoint follows the replicas: while their number stays,
        // so does the endpoint, even none (without replicas).
        if req.plan.get("replicas").same(req.prior.get("replicas")) {
            let prior = req.prior.get("reader_endpoint").clone();
            req.plan.set("reader_endpoint", prior);
        }
        if req.plan.get("parameters").is_null() == req.prior.get("parameters").is_null()
            && req
                .plan
                .get("engine_version")
                .same(req.prior.get("engine_version"))
        {
            let prior = req.prior.get("parameter_group_name").clone();
            req.plan.set("parameter_group_name", prior);
        }
        if req.plan.get("replicas").same(req.prior.get("replicas")) {
            let prior = req.prior.get("member_clusters").clone();
            req.plan.set("member_clusters", prior);
        }
        let sources_configured = !req.config.get("allowed_security_group_ids").is_null()
            || !req.config.get("allowed_cidr_blocks").is_null();
        if req.prior.get("security_group_id").is_null() && sources_configured {
            req.plan.set("security_group_id", Value::UNKNOWN);
        }
    } else if req.config.get("parameters").is_null() {
        req.plan.set("parameter_group_name", Value::Null);
    }
    if let Some(name) = req.plan.get("name").as_str().map(str::to_owned) {
        tags::plan_all(aws, &aws.owner(TYPE, &name, &environment), &mut req.plan);
    }
    Ok(())
}
