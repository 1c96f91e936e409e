//! `onto_cluster`'s plan rules: node group sizes and names, endpoint
//! access, defaults for node groups, add-ons and logs, versions that only
//! move forward, node group names known at plan time, and IAM roles to
//! repair.

use std::collections::BTreeMap;

use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::resource::PlanRequest;
use tfplugin::schema::Attribute;
use tfplugin::value::{typed, AttributePath, Type, Value};

use super::model::{default_node_groups, group_name, minor};
use super::{DEFAULT_ADDONS, DEFAULT_LOGS, TYPE};
use crate::aws::eks::NodeGroup;
use crate::aws::Aws;
use crate::tags;

/// The AMI types EKS managed node groups take.
pub const AMI_TYPES: &[&str] = &[
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "AL2023_x86_64_NVIDIA",
    "AL2023_ARM_64_NVIDIA",
    "AL2023_x86_64_NEURON",
    "AL2_x86_64",
    "AL2_x86_64_GPU",
    "AL2_ARM_64",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_ARM_64",
    "BOTTLEROCKET_x86_64_FIPS",
    "BOTTLEROCKET_ARM_64_FIPS",
    "BOTTLEROCKET_x86_64_NVIDIA",
    "BOTTLEROCKET_ARM_64_NVIDIA",
    "WINDOWS_CORE_2019_x86_64",
    "WINDOWS_FULL_2019_x86_64",
    "WINDOWS_CORE_2022_x86_64",
    "WINDOWS_FULL_2022_x86_64",
    "CUSTOM",
];

/// Whether an instance type runs on Graviton (arm64): a `g` right after the
/// generation digit (`m7g`, `c6gn`, `t4g`, `g5g`), or the first `a1`.
fn graviton(instance_type: &str) -> bool {
    let family = instance_type.split('.').next().unwrap_or_default();
    if family == "a1" {
        return true;
    }
    let rest = family.trim_start_matches(|c: char| c.is_ascii_lowercase());
    let after = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    after.len() < rest.len() && after.starts_with('g')
}

/// The oldest Kubernetes minor EKS still runs (extended support included).
const OLDEST_MINOR: u32 = 29;

pub fn check_config(config: &Value, diags: &mut Diagnostics) {
    for (key, g) in config.get("node_groups").entries().into_iter().flatten() {
        let p = AttributePath::attr("node_groups").push_key(key);
        let (min, max) = (g.get("min_size").as_i64(), g.get("max_size").as_i64());
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                diags.error_at(
                    p.push_attr("min_size"),
                    "Invalid sizes",
                    format!("min_size ({min}) exceeds max_size ({max})."),
                );
            }
            if let Some(d) = g
                .get("desired_size")
                .as_i64()
                .filter(|d| !(min..=max).contains(d))
            {
                diags.error_at(
                    p.push_attr("desired_size"),
                    "Invalid sizes",
                    format!("desired_size ({d}) is outside {min}..{max}."),
                );
            }
        }
        // The default AMI type is x86_64; a custom AMI can be either.
        let ami = g.get("ami_type");
        let arm = match ami.as_str() {
            _ if ami.is_null() => Some(false),
            Some("CUSTOM") | None => None,
            Some(a) => Some(a.contains("ARM_64")),
        };
        if let (Some(arm), Some(types)) = (arm, g.get("instance_types").elements()) {
            if let Some(t) = types
                .iter()
                .filter_map(Value::as_str)
                .find(|t| graviton(t) != arm)
            {
                diags.error_at(
                    p.push_attr("instance_types"),
                    "Instance type and AMI of different architectures",
                    if arm {
                        format!("{t} is an x86_64 type, but the AMI type is arm64: use Graviton types (m7g, c7g, ...) or an x86_64 AMI type.")
                    } else {
                        format!("{t} is a Graviton (arm64) type, but the AMI type is x86_64: set ami_type to an ARM_64 type, e.g. AL2023_ARM_64_STANDARD.")
                    },
                );
            }
        }
        if g.get("instance_types")
            .elements()
            .is_some_and(<[Value]>::is_empty)
        {
            diags.error_at(
                p.push_attr("instance_types"),
                "No instance types",
                "Give at least one instance type.",
            );
        }
        if key.len() > 54
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            diags.error_at(
                p,
                "Invalid node group name",
                format!("{key:?}: use up to 54 letters, digits, `-` and `_`."),
            );
        }
    }
    if config.get("authentication_mode").as_str() == Some("CONFIG_MAP")
        && config
            .get("admin_principal_arns")
            .elements()
            .is_some_and(|a| !a.is_empty())
    {
        diags.error_at(
            AttributePath::attr("admin_principal_arns"),
            "Access entries need the API",
            "admin_principal_arns are granted through access entries, which authentication_mode = \"CONFIG_MAP\" does not have: use \"API\" or \"API_AND_CONFIG_MAP\".",
        );
    }
    if let Some(subnets) = config.get("subnet_ids").elements() {
        if subnets.iter().all(|s| !s.is_unknown()) && subnets.len() < 2 {
            diags.error_at(
                AttributePath::attr("subnet_ids"),
                "Too few subnets",
                "EKS needs subnets in at least two availability zones for the control plane's interfaces.",
            );
        }
    }
    if let Some(v) = config.get("kubernetes_version").as_str() {
        if super::model::minor(v).is_some_and(|m| m < OLDEST_MINOR) {
            diags.error_at(
                AttributePath::attr("kubernetes_version"),
                "Kubernetes version no longer offered",
                format!("EKS no longer offers Kubernetes {v}, even in extended support (its oldest is 1.{OLDEST_MINOR}). Choose 1.{OLDEST_MINOR} or later."),
            );
        }
    }
    if config.get("endpoint_public_access").as_bool() == Some(false)
        && config.get("endpoint_private_access").as_bool() == Some(false)
    {
        diags.error_at(
            AttributePath::attr("endpoint_private_access"),
            "No API endpoint",
            "Enable the public or the private endpoint (or both).",
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
    crate::validators::kms_key_in_region(&req.plan, "secrets_kms_key")?;
    if req.config.get("log_types").is_null() {
        req.plan.set(
            "log_types",
            Value::Set(
                DEFAULT_LOGS
                    .iter()
                    .map(|l| Value::String((*l).into()))
                    .collect(),
            ),
        );
    }
    if req.config.get("node_groups").is_null() {
        let ty = super::schema::schema()
            .block
            .get_attribute("node_groups")
            .map(Attribute::ty)
            .unwrap_or(Type::Dynamic);
        let defaults = typed::to_value(&default_node_groups(), &ty)
            .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
        req.plan.set("node_groups", defaults);
    }
    let prior_version = req
        .prior
        .get("kubernetes_version")
        .as_str()
        .map(str::to_owned);
    let version_changes = !req.prior.is_null()
        && !req
            .plan
            .get("kubernetes_version")
            .same(req.prior.get("kubernetes_version"));
    if let (Some(from), Some(to)) = (
        prior_version.as_deref(),
        req.plan.get("kubernetes_version").as_str(),
    ) {
        if minor(to) < minor(from) {
            return Err(Diagnostic::error(
                "Kubernetes cannot be downgraded",
                format!(
                    "The cluster runs {from}; EKS cannot go back to {to}. Keep {from} or newer."
                ),
            )
            .at(AttributePath::attr("kubernetes_version"))
            .into());
        }
    }
    // Add-ons: defaults, and versions that follow the cluster's.
    let config_addons = req.config.get("addons").clone();
    let mut addons: BTreeMap<String, Value> = match &config_addons {
        Value::Null => DEFAULT_ADDONS
            .iter()
            .map(|a| ((*a).to_owned(), Value::Null))
            .collect(),
        other => other.entries().cloned().unwrap_or_default(),
    };
    if !config_addons.is_unknown() {
        for (name, spec) in addons.iter_mut() {
            let configured_version = spec.get("version").clone();
            let prior = req.prior.get("addons").get(name).clone();
            let version = if !configured_version.is_null() {
                configured_version
            } else if !version_changes && !prior.get("version").is_null() {
                prior.get("version").clone()
            } else {
                Value::UNKNOWN
            };
            let mut obj = BTreeMap::new();
            obj.insert("version".to_owned(), version);
            obj.insert(
                "configuration".to_owned(),
                spec.get("configuration").clone(),
            );
            obj.insert(
                "service_account_role_arn".to_owned(),
                spec.get("service_account_role_arn").clone(),
            );
            *spec = Value::Object(obj);
        }
        req.plan.set("addons", Value::Map(addons));
    }
    // Node group names are known at plan time: key and settings hash.
    if let Ok(Some(groups)) =
        typed::from_value::<Option<BTreeMap<String, NodeGroup>>>(req.plan.get("node_groups"))
    {
        let names: BTreeMap<String, Value> = groups
            .iter()
            .map(|(k, g)| (k.clone(), Value::String(group_name(k, g))))
            .collect();
        req.plan.set("node_group_names", Value::Map(names));
        // desired_size only seeds a new group; later it is not compared.
        if !req.prior.is_null() {
            let prior_groups = req.prior.get("node_groups").clone();
            if let Some(Value::Map(items)) = req.plan.get_mut("node_groups") {
                for (k, g) in items.iter_mut() {
                    if req.config.get("node_groups").is_null() || !prior_groups.get(k).is_null() {
                        let prior_desired = prior_groups.get(k).get("desired_size").clone();
                        if !prior_groups.get(k).is_null()
                            && req
                                .config
                                .get("node_groups")
                                .get(k)
                                .get("desired_size")
                                .is_null()
                        {
                            g.set("desired_size", prior_desired);
                        }
                    }
                }
            }
        }
    }
    if !req.prior.is_null() {
        // Fixed for the cluster's life (null included, where AWS omits one).
        for attr in [
            "node_role_arn",
            "oidc_provider_arn",
            "vpc_id",
            "cluster_security_group_id",
            "oidc_issuer",
            "certificate_authority_data",
            "endpoint",
            "arn",
        ] {
            let prior = req.prior.get(attr).clone();
            req.plan.set(attr, prior);
        }
    }
    if !req.prior.is_null() {
        // A role this resource manages deleted outside Terraform: the
        // refresh dropped it from role_names, and the apply recreates it.
        let expected = if req.config.get("role_arn").is_null() {
            2
        } else {
            1
        };
        let have = req.prior.get("role_names").entries().map_or(0, |e| e.len());
        if have < expected {
            req.plan.set("role_names", Value::UNKNOWN);
        } else {
            let prior = req.prior.get("role_names").clone();
            req.plan.set("role_names", prior);
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

#[cfg(test)]
mod tests {
    use super::graviton;

    #[test]
    fn graviton_types_are_told_from_x86_ones() {
        for t in [
            "m7g.large",
            "c6gn.xlarge",
            "t4g.medium",
            "g5g.2xlarge",
            "a1.large",
            "r8gd.large",
        ] {
            assert!(graviton(t), "{t}");
        }
        for t in [
            "m6i.large",
            "c5.xlarge",
            "g5.2xlarge",
            "p4d.24xlarge",
            "inf2.xlarge",
            "m7a.large",
        ] {
            assert!(!graviton(t), "{t}");
        }
    }
}
