//! `onto_cluster`'s state — one typed struct, read from plans and state
//! and written back from what AWS holds — and the naming rules: node
//! groups carry a hash of their immutable settings, upgrades go one minor
//! at a time.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_eks::types::{Addon, Cluster, Nodegroup};
use serde::{Deserialize, Serialize};

use crate::aws::eks::{taint_string, AddonSettings, NodeGroup};
use crate::aws::Aws;

/// Every attribute of `onto_cluster`. Reading a plan, unknown values are
/// `None`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Model {
    pub name: String,
    pub region: Option<String>,
    pub kubernetes_version: Option<String>,
    pub subnet_ids: Option<Vec<String>>,
    pub endpoint_public_access: Option<bool>,
    pub endpoint_private_access: Option<bool>,
    pub public_access_cidrs: Option<Vec<String>>,
    pub secrets_kms_key: Option<String>,
    pub log_types: Option<Vec<String>>,
    pub authentication_mode: Option<String>,
    pub admin_principal_arns: Option<Vec<String>>,
    pub role_arn: Option<String>,
    pub node_groups: Option<BTreeMap<String, NodeGroup>>,
    pub addons: Option<BTreeMap<String, AddonSettings>>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Option<BTreeMap<String, String>>,
    pub arn: Option<String>,
    pub endpoint: Option<String>,
    pub certificate_authority_data: Option<String>,
    pub oidc_issuer: Option<String>,
    pub oidc_provider_arn: Option<String>,
    pub cluster_security_group_id: Option<String>,
    pub vpc_id: Option<String>,
    pub node_role_arn: Option<String>,
    pub role_names: Option<BTreeMap<String, String>>,
    pub node_group_names: Option<BTreeMap<String, String>>,
}

impl Model {
    pub fn subnets(&self) -> Vec<String> {
        self.subnet_ids.clone().unwrap_or_default()
    }

    pub fn authentication_mode(&self) -> &str {
        self.authentication_mode.as_deref().unwrap_or("API")
    }
}

pub fn minor(v: &str) -> Option<u32> {
    let (major, minor) = v.split_once('.')?;
    (major == "1").then_some(())?;
    minor.parse().ok()
}

pub fn default_node_groups() -> BTreeMap<String, NodeGroup> {
    let large = |types: &[&str]| types.iter().map(|t| (*t).to_owned()).collect();
    BTreeMap::from([
        (
            "core".to_owned(),
            NodeGroup {
                instance_types: large(&["m6i.large"]),
                capacity_type: "ON_DEMAND".into(),
                min_size: 2,
                max_size: 4,
                desired_size: Some(2),
                disk_size: 50,
                ami_type: "AL2023_x86_64_STANDARD".into(),
                labels: Some(BTreeMap::from([("onto.io/pool".into(), "core".into())])),
                taints: None,
                max_unavailable: 1,
            },
        ),
        (
            "workers".to_owned(),
            NodeGroup {
                instance_types: large(&["m6i.large", "m5.large", "m6a.large"]),
                capacity_type: "SPOT".into(),
                min_size: 0,
                max_size: 10,
                desired_size: Some(1),
                disk_size: 50,
                ami_type: "AL2023_x86_64_STANDARD".into(),
                labels: Some(BTreeMap::from([("onto.io/pool".into(), "workers".into())])),
                taints: Some(vec!["onto.io/spot=true:PreferNoSchedule".into()]),
                max_unavailable: 1,
            },
        ),
    ])
}

/// FNV-1a: a stable, dependency-free hash for node group names.
fn fnv(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// The EKS name of a node group: its key and a hash of what EKS cannot
/// change in place, so a change of those makes a new group.
pub fn group_name(key: &str, g: &NodeGroup) -> String {
    let mut types = g.instance_types.clone();
    types.sort();
    let fixed = format!(
        "{}|{}|{}|{}",
        types.join(","),
        g.capacity_type,
        g.disk_size,
        g.ami_type
    );
    format!("{key}-{:08x}", fnv(&fixed))
}

/// The minor versions to pass through from `from` to `to`, in order.
pub fn upgrade_steps(from: &str, to: &str) -> Vec<String> {
    match (minor(from), minor(to)) {
        (Some(a), Some(b)) if b > a => (a + 1..=b).map(|m| format!("1.{m}")).collect(),
        _ => Vec::new(),
    }
}

pub fn partition_of(arn: &str) -> &str {
    arn.split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

pub fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

/// What AWS holds for one cluster.
pub struct Remote {
    pub cluster: Cluster,
    pub groups: BTreeMap<String, Nodegroup>,
    pub addons: BTreeMap<String, Addon>,
    pub admins: Option<BTreeSet<String>>,
    /// The IAM roles this resource manages that exist, by purpose.
    pub roles: BTreeMap<String, String>,
}

impl Remote {
    /// The state; `known` supplies what AWS does not report (desired
    /// sizes, the roles it was given).
    pub fn observed(
        &self,
        aws: &Aws,
        region: &str,
        known: &Model,
        known_value: &tfplugin::value::Value,
    ) -> Model {
        let c = &self.cluster;
        let vpc = c.resources_vpc_config();
        let all_tags: BTreeMap<String, String> =
            c.tags().cloned().unwrap_or_default().into_iter().collect();
        let known_groups = known.node_groups.clone().unwrap_or_default();
        let groups: BTreeMap<String, NodeGroup> = self
            .groups
            .iter()
            .map(|(key, g)| {
                let sc = g.scaling_config();
                let mut labels: BTreeMap<String, String> = g
                    .labels()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                labels.retain(|k, _| !k.starts_with("eks.amazonaws.com/"));
                let mut taint_list: Vec<String> = g.taints().iter().map(taint_string).collect();
                taint_list.sort();
                let prior = known_groups.get(key);
                let mut prior_taints = prior.and_then(|p| p.taints.clone()).unwrap_or_default();
                prior_taints.sort();
                (
                    key.clone(),
                    NodeGroup {
                        instance_types: g.instance_types().to_vec(),
                        capacity_type: g
                            .capacity_type()
                            .map_or("ON_DEMAND".into(), |c| c.as_str().to_owned()),
                        min_size: sc.and_then(|s| s.min_size()).unwrap_or_default(),
                        max_size: sc.and_then(|s| s.max_size()).unwrap_or_default(),
                        // The autoscaler's business after creation.
                        desired_size: prior.and_then(|p| p.desired_size),
                        disk_size: g.disk_size().unwrap_or(50),
                        ami_type: g
                            .ami_type()
                            .map_or("AL2023_x86_64_STANDARD".into(), |a| a.as_str().to_owned()),
                        labels: if labels.is_empty() && prior.is_none_or(|p| p.labels.is_none()) {
                            None
                        } else {
                            Some(labels)
                        },
                        // Keep the configured order when the set is the same.
                        taints: if taint_list.is_empty() && prior.is_none_or(|p| p.taints.is_none())
                        {
                            None
                        } else if taint_list == prior_taints {
                            prior.and_then(|p| p.taints.clone())
                        } else {
                            Some(taint_list)
                        },
                        max_unavailable: g
                            .update_config()
                            .and_then(|u| u.max_unavailable())
                            .or(prior.map(|p| p.max_unavailable))
                            .unwrap_or(1),
                    },
                )
            })
            .collect();
        let names: BTreeMap<String, String> = self
            .groups
            .iter()
            .map(|(k, g)| (k.clone(), g.nodegroup_name().unwrap_or_default().to_owned()))
            .collect();
        let known_addons = known.addons.clone().unwrap_or_default();
        let addons: BTreeMap<String, AddonSettings> = self
            .addons
            .iter()
            .map(|(k, a)| {
                let prior = known_addons.get(k);
                (
                    k.clone(),
                    AddonSettings {
                        version: a.addon_version().map(str::to_owned),
                        configuration: a
                            .configuration_values()
                            .filter(|c| !c.is_empty())
                            .map(str::to_owned)
                            .or_else(|| {
                                prior
                                    .and_then(|p| p.configuration.clone())
                                    .filter(|_| a.configuration_values().is_none())
                            }),
                        service_account_role_arn: a.service_account_role_arn().map(str::to_owned),
                    },
                )
            })
            .collect();
        let mut logs: Vec<String> = c
            .logging()
            .map(|l| {
                l.cluster_logging()
                    .iter()
                    .filter(|s| s.enabled() == Some(true))
                    .flat_map(|s| s.types())
                    .map(|t| t.as_str().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        logs.sort();
        Model {
            name: c.name().unwrap_or_default().to_owned(),
            region: Some(region.to_owned()),
            kubernetes_version: c.version().map(str::to_owned),
            subnet_ids: vpc.map(|v| v.subnet_ids().to_vec()),
            endpoint_public_access: vpc.map(|v| v.endpoint_public_access()),
            endpoint_private_access: vpc.map(|v| v.endpoint_private_access()),
            public_access_cidrs: vpc
                .map(|v| v.public_access_cidrs().to_vec())
                .filter(|c| !c.is_empty())
                .or_else(|| Some(vec!["0.0.0.0/0".into()])),
            secrets_kms_key: c
                .encryption_config()
                .first()
                .and_then(|e| e.provider())
                .and_then(|p| p.key_arn())
                .map(str::to_owned),
            log_types: Some(logs),
            authentication_mode: c
                .access_config()
                .and_then(|a| a.authentication_mode())
                .map(|m| m.as_str().to_owned())
                .or_else(|| known.authentication_mode.clone()),
            admin_principal_arns: match &self.admins {
                // Only the principals this resource manages (EKS adds its own).
                Some(have) => {
                    let want: BTreeSet<String> = known
                        .admin_principal_arns
                        .iter()
                        .flatten()
                        .cloned()
                        .collect();
                    Some(have.intersection(&want).cloned().collect())
                }
                None => known.admin_principal_arns.clone(),
            },
            role_arn: c.role_arn().map(str::to_owned),
            node_groups: Some(groups),
            addons: Some(addons),
            tags: crate::tags::state_view(aws, known_value, &all_tags),
            tags_all: Some(all_tags),
            arn: c.arn().map(str::to_owned),
            endpoint: c.endpoint().map(|e| e.trim_end_matches('/').to_owned()),
            certificate_authority_data: c
                .certificate_authority()
                .and_then(|ca| ca.data())
                .map(str::to_owned),
            oidc_issuer: c
                .identity()
                .and_then(|i| i.oidc())
                .and_then(|o| o.issuer())
                .map(str::to_owned),
            oidc_provider_arn: known.oidc_provider_arn.clone(),
            cluster_security_group_id: vpc
                .and_then(|v| v.cluster_security_group_id())
                .map(str::to_owned),
            vpc_id: vpc
                .and_then(|v| v.vpc_id())
                .map(str::to_owned)
                .or_else(|| known.vpc_id.clone()),
            node_role_arn: known.node_role_arn.clone(),
            role_names: Some(self.roles.clone()),
            node_group_names: Some(names),
        }
    }
}
