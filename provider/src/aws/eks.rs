//! EKS: clusters, managed node groups, add-ons, access entries and
//! updates — find (typed not-found), create, wait through EKS's states
//! with its health issues, update, delete. A DEGRADED add-on or a node
//! group with health issues fails a wait at once, with AWS's issue list.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use aws_sdk_eks::types::{
    AccessScope, AccessScopeType, Addon, AddonStatus, CapacityTypes, Cluster, ClusterStatus,
    LogSetup, LogType, Logging, Nodegroup, NodegroupScalingConfig, NodegroupStatus,
    NodegroupUpdateConfig, ResolveConflicts, Taint, TaintEffect, UpdateLabelsPayload, UpdateStatus,
    UpdateTaintsPayload,
};
use serde::{Deserialize, Serialize};
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::Stop;

use super::{error, failed, is, wait_until, Poll};

/// Control-plane log types.
pub const LOG_TYPES: [&str; 5] = [
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

/// The cluster-admin access policy given to admin principals.
const ADMIN_POLICY: &str = "AmazonEKSClusterAdminPolicy";

/// `key=value:Effect` or `key:Effect` (kubectl's syntax) as key, value and
/// effect.
pub fn parse_taint(s: &str) -> Option<(String, Option<String>, TaintEffect)> {
    let (kv, effect) = s.rsplit_once(':')?;
    let effect = match effect {
        "NoSchedule" => TaintEffect::NoSchedule,
        "PreferNoSchedule" => TaintEffect::PreferNoSchedule,
        "NoExecute" => TaintEffect::NoExecute,
        _ => return None,
    };
    let (k, v) = match kv.split_once('=') {
        Some((k, v)) => (k, Some(v.to_owned())),
        None => (kv, None),
    };
    (!k.is_empty()).then(|| (k.to_owned(), v, effect))
}

pub fn taint_string(t: &Taint) -> String {
    let effect = match t.effect() {
        Some(TaintEffect::NoExecute) => "NoExecute",
        Some(TaintEffect::PreferNoSchedule) => "PreferNoSchedule",
        _ => "NoSchedule",
    };
    match t.value() {
        Some(v) => format!("{}={v}:{effect}", t.key().unwrap_or_default()),
        None => format!("{}:{effect}", t.key().unwrap_or_default()),
    }
}

/// A managed node group's settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct NodeGroup {
    pub instance_types: Vec<String>,
    pub capacity_type: String,
    pub min_size: i32,
    pub max_size: i32,
    pub desired_size: Option<i32>,
    pub disk_size: i32,
    pub ami_type: String,
    pub labels: Option<BTreeMap<String, String>>,
    pub taints: Option<Vec<String>>,
    pub max_unavailable: i32,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct AddonSettings {
    pub version: Option<String>,
    pub configuration: Option<String>,
    pub service_account_role_arn: Option<String>,
}

fn not_found<E: aws_smithy_types::error::metadata::ProvideErrorMetadata, R>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> bool {
    is(e, &["ResourceNotFoundException"])
}

pub async fn find_cluster(eks: &aws_sdk_eks::Client, name: &str) -> Result<Option<Cluster>> {
    match eks.describe_cluster().name(name).send().await {
        Ok(out) => Ok(out.cluster().cloned()),
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(error("eks:DescribeCluster", &e).into()),
    }
}

/// Whether the cluster `name` (of a create that failed part way) can still
/// be finished: not when EKS reports it `FAILED`.
pub async fn can_finish(eks: &aws_sdk_eks::Client, name: &str) -> Result<bool> {
    let cluster = find_cluster(eks, name).await?;
    Ok(cluster.is_none_or(|c| c.status() != Some(&ClusterStatus::Failed)))
}

pub async fn find_nodegroup(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
) -> Result<Option<Nodegroup>> {
    match eks
        .describe_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(out.nodegroup().cloned()),
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(error("eks:DescribeNodegroup", &e).into()),
    }
}

pub async fn find_addon(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
) -> Result<Option<Addon>> {
    match eks
        .describe_addon()
        .cluster_name(cluster)
        .addon_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(out.addon().cloned()),
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(error("eks:DescribeAddon", &e).into()),
    }
}

fn issues_text<'a>(issues: impl Iterator<Item = (String, &'a str, &'a [String])>) -> String {
    issues
        .map(|(code, message, ids)| {
            if ids.is_empty() {
                format!("- {code}: {message}")
            } else {
                format!("- {code}: {message} ({})", ids.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub async fn wait_cluster(
    eks: &aws_sdk_eks::Client,
    name: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<Cluster> {
    wait_until(&format!("cluster {name}"), limit, stop, || async {
        let c = find_cluster(eks, name).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Cluster vanished",
                format!("{name} disappeared while waiting for it."),
            ))
        })?;
        match c.status() {
            Some(ClusterStatus::Active) => Ok(Poll::Ready(c)),
            Some(ClusterStatus::Failed) => {
                let issues = c.health().map(|h| {
                    issues_text(h.issues().iter().map(|i| {
                        (
                            i.code().map_or("Unknown".into(), |c| c.as_str().to_owned()),
                            i.message().unwrap_or_default(),
                            i.resource_ids(),
                        )
                    }))
                });
                Err(Diagnostic::error(
                    format!("Cluster {name} failed"),
                    issues.unwrap_or_else(|| "EKS reports FAILED without details.".into()),
                )
                .into())
            }
            other => Ok(Poll::Pending(
                other.map_or("unknown".into(), |s| s.as_str().to_owned()),
            )),
        }
    })
    .await
}

pub async fn wait_cluster_gone(
    eks: &aws_sdk_eks::Client,
    name: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    wait_until(
        &format!("cluster {name} to be deleted"),
        limit,
        stop,
        || async {
            Ok(match find_cluster(eks, name).await? {
                None => Poll::Ready(()),
                Some(c) => Poll::Pending(
                    c.status()
                        .map_or("DELETING".into(), |s| s.as_str().to_owned()),
                ),
            })
        },
    )
    .await
}

/// Waits for a node group to be ACTIVE (or gone, with `gone`); health
/// issues of a failed group are reported at once.
pub async fn wait_nodegroup(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
    gone: bool,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    let what = if gone {
        format!("node group {name} to be deleted")
    } else {
        format!("node group {name}")
    };
    wait_until(&what, limit, stop, || async {
        let Some(g) = find_nodegroup(eks, cluster, name).await? else {
            return if gone {
                Ok(Poll::Ready(()))
            } else {
                Err(Diagnostic::error(
                    "Node group vanished",
                    format!("{name} disappeared while waiting for it."),
                )
                .into())
            };
        };
        let status = g.status().cloned();
        let issues = g.health().map(|h| {
            issues_text(h.issues().iter().map(|i| {
                (
                    i.code().map_or("Unknown".into(), |c| c.as_str().to_owned()),
                    i.message().unwrap_or_default(),
                    i.resource_ids(),
                )
            }))
        });
        match status {
            Some(NodegroupStatus::Active) if !gone => Ok(Poll::Ready(())),
            Some(
                s @ (NodegroupStatus::CreateFailed
                | NodegroupStatus::DeleteFailed
                | NodegroupStatus::Degraded),
            ) => Err(Diagnostic::error(
                format!("Node group {name} is {}", s.as_str()),
                issues
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| "EKS reports no details.".into()),
            )
            .into()),
            other => Ok(Poll::Pending(
                other.map_or("unknown".into(), |s| s.as_str().to_owned()),
            )),
        }
    })
    .await
}

/// Waits for an add-on to be ACTIVE (or gone); a DEGRADED or failed
/// add-on reports its health issues at once instead of timing out.
pub async fn wait_addon(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
    gone: bool,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    wait_until(&format!("add-on {name}"), limit, stop, || async {
        let Some(a) = find_addon(eks, cluster, name).await? else {
            return if gone {
                Ok(Poll::Ready(()))
            } else {
                Err(Diagnostic::error(
                    "Add-on vanished",
                    format!("{name} disappeared while waiting for it."),
                )
                .into())
            };
        };
        let issues = a.health().map(|h| {
            issues_text(h.issues().iter().map(|i| {
                (
                    i.code().map_or("Unknown".into(), |c| c.as_str().to_owned()),
                    i.message().unwrap_or_default(),
                    i.resource_ids(),
                )
            }))
        });
        match a.status() {
            Some(AddonStatus::Active) if !gone => Ok(Poll::Ready(())),
            Some(
                s @ (AddonStatus::Degraded
                | AddonStatus::CreateFailed
                | AddonStatus::UpdateFailed
                | AddonStatus::DeleteFailed),
            ) => Err(Diagnostic::error(
                format!("Add-on {name} is {}", s.as_str()),
                issues
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| "EKS reports no details.".into()),
            )
            .into()),
            other => Ok(Poll::Pending(
                other.map_or("unknown".into(), |s| s.as_str().to_owned()),
            )),
        }
    })
    .await
}

/// One in-place change of a cluster: EKS runs one update at a time.
pub enum ClusterChange<'a> {
    EndpointAccess {
        public: bool,
        private: bool,
        /// `None`: open to everyone.
        public_cidrs: Option<Vec<String>>,
    },
    Logging(&'a [String]),
    AuthenticationMode(&'a str),
    /// Envelope encryption of secrets with this key (once on, it stays on).
    SecretsKey(&'a str),
    /// The next Kubernetes minor.
    Version(&'a str),
}

/// Sends `change` to the cluster `name` and waits for its update.
pub async fn change_cluster(
    eks: &aws_sdk_eks::Client,
    name: &str,
    change: ClusterChange<'_>,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    use aws_sdk_eks::types::{
        AuthenticationMode, EncryptionConfig, Provider, UpdateAccessConfigRequest, VpcConfigRequest,
    };
    let config = || eks.update_cluster_config().name(name);
    let update = match change {
        ClusterChange::EndpointAccess {
            public,
            private,
            public_cidrs,
        } => {
            config()
                .resources_vpc_config(
                    VpcConfigRequest::builder()
                        .endpoint_public_access(public)
                        .endpoint_private_access(private)
                        .set_public_access_cidrs(public_cidrs)
                        .build(),
                )
                .send()
                .await
                .map_err(failed("eks:UpdateClusterConfig"))?
                .update
        }
        ClusterChange::Logging(types) => {
            config()
                .logging(logging(types))
                .send()
                .await
                .map_err(failed("eks:UpdateClusterConfig"))?
                .update
        }
        ClusterChange::AuthenticationMode(mode) => {
            config()
                .access_config(
                    UpdateAccessConfigRequest::builder()
                        .authentication_mode(AuthenticationMode::from(mode))
                        .build(),
                )
                .send()
                .await
                .map_err(failed("eks:UpdateClusterConfig"))?
                .update
        }
        ClusterChange::SecretsKey(key_arn) => {
            eks.associate_encryption_config()
                .cluster_name(name)
                .encryption_config(
                    EncryptionConfig::builder()
                        .provider(Provider::builder().key_arn(key_arn).build())
                        .build(),
                )
                .send()
                .await
                .map_err(failed("eks:AssociateEncryptionConfig"))?
                .update
        }
        ClusterChange::Version(version) => {
            eks.update_cluster_version()
                .name(name)
                .version(version)
                .send()
                .await
                .map_err(failed("eks:UpdateClusterVersion"))?
                .update
        }
    };
    wait_update(eks, name, None, update.as_ref(), limit, stop).await
}

/// Moves the node group `group` to Kubernetes `version` and waits.
pub async fn upgrade_nodegroup(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    group: &str,
    version: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    let out = eks
        .update_nodegroup_version()
        .cluster_name(cluster)
        .nodegroup_name(group)
        .version(version)
        .send()
        .await
        .map_err(failed("eks:UpdateNodegroupVersion"))?;
    wait_update(eks, cluster, Some(group), out.update(), limit, stop).await
}

/// Waits for an update (version or config) that AWS accepted to finish;
/// one reported finished already needs no polling.
pub async fn wait_update(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    group: Option<&str>,
    update: Option<&aws_sdk_eks::types::Update>,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    let Some(update) = update else { return Ok(()) };
    if update.status() == Some(&UpdateStatus::Successful) {
        return Ok(());
    }
    let Some(id) = update.id() else { return Ok(()) };
    wait_until(
        &format!("update {id} of {cluster}"),
        limit,
        stop,
        || async {
            let out = eks
                .describe_update()
                .name(cluster)
                .set_nodegroup_name(group.map(str::to_owned))
                .update_id(id)
                .send()
                .await
                .map_err(failed("eks:DescribeUpdate"))?;
            let Some(u) = out.update() else {
                return Ok(Poll::Ready(()));
            };
            match u.status() {
                Some(UpdateStatus::Successful) => Ok(Poll::Ready(())),
                Some(s @ (UpdateStatus::Failed | UpdateStatus::Cancelled)) => {
                    Err(Diagnostic::error(
                        format!("Update of {cluster} {}", s.as_str().to_lowercase()),
                        u.errors()
                            .iter()
                            .map(|e| {
                                format!(
                                    "- {}: {}",
                                    e.error_code().map_or("Error", |c| c.as_str()),
                                    e.error_message().unwrap_or_default()
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("\n"),
                    )
                    .into())
                }
                other => Ok(Poll::Pending(
                    other.map_or("in progress".into(), |s| s.as_str().to_owned()),
                )),
            }
        },
    )
    .await
}

/// AWS's default version of an add-on for a Kubernetes version.
pub async fn default_addon_version(
    eks: &aws_sdk_eks::Client,
    addon: &str,
    k8s: &str,
) -> Result<Option<String>> {
    let out = eks
        .describe_addon_versions()
        .addon_name(addon)
        .kubernetes_version(k8s)
        .send()
        .await
        .map_err(failed("eks:DescribeAddonVersions"))?;
    let versions = out.addons().iter().flat_map(|a| a.addon_versions());
    let mut first = None;
    for v in versions {
        first = first.or(v.addon_version().map(str::to_owned));
        if v.compatibilities().iter().any(|c| c.default_version()) {
            return Ok(v.addon_version().map(str::to_owned));
        }
    }
    Ok(first)
}

fn scaling(g: &NodeGroup, desired: i32) -> NodegroupScalingConfig {
    NodegroupScalingConfig::builder()
        .min_size(g.min_size)
        .max_size(g.max_size)
        .desired_size(desired.clamp(g.min_size, g.max_size))
        .build()
}

fn taints(g: &NodeGroup) -> Vec<Taint> {
    g.taints
        .iter()
        .flatten()
        .filter_map(|t| parse_taint(t))
        .map(|(k, v, e)| Taint::builder().key(k).set_value(v).effect(e).build())
        .collect()
}

pub async fn create_nodegroup(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
    g: &NodeGroup,
    node_role: &str,
    subnets: &[String],
    all_tags: &BTreeMap<String, String>,
) -> Result<()> {
    let created = eks
        .create_nodegroup()
        .client_request_token(super::retry::client_token())
        .cluster_name(cluster)
        .nodegroup_name(name)
        .node_role(node_role)
        .set_subnets(Some(subnets.to_vec()))
        .set_instance_types(Some(g.instance_types.clone()))
        .capacity_type(CapacityTypes::from(g.capacity_type.as_str()))
        .scaling_config(scaling(g, g.desired_size.unwrap_or(g.min_size)))
        .disk_size(g.disk_size)
        .ami_type(g.ami_type.as_str().into())
        .set_labels(
            g.labels
                .clone()
                .map(|l| l.into_iter().collect::<HashMap<_, _>>()),
        )
        .set_taints(Some(taints(g)).filter(|t| !t.is_empty()))
        .update_config(
            NodegroupUpdateConfig::builder()
                .max_unavailable(g.max_unavailable)
                .build(),
        )
        .set_tags(Some(all_tags.clone().into_iter().collect()))
        .send()
        .await;
    match created {
        Ok(_) => Ok(()),
        // Ours from an interrupted apply: the name carries this config's hash.
        Err(e) if is(&e, &["ResourceInUseException"]) => Ok(()),
        Err(e) => Err(error("eks:CreateNodegroup", &e).into()),
    }
}

/// Brings a node group's mutable settings to `g`. The autoscaler's
/// desired size stands unless the new limits exclude it.
pub async fn update_nodegroup(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
    g: &NodeGroup,
    live: &Nodegroup,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    let sc = live.scaling_config();
    let (min, max, desired) = (
        sc.and_then(|s| s.min_size()),
        sc.and_then(|s| s.max_size()),
        sc.and_then(|s| s.desired_size()).unwrap_or(g.min_size),
    );
    let mut call = eks
        .update_nodegroup_config()
        .cluster_name(cluster)
        .nodegroup_name(name);
    let mut changed = false;
    if min != Some(g.min_size)
        || max != Some(g.max_size)
        || !(g.min_size..=g.max_size).contains(&desired)
    {
        call = call.scaling_config(scaling(g, desired));
        changed = true;
    }
    let have_labels: BTreeMap<String, String> = live
        .labels()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let want_labels = g.labels.clone().unwrap_or_default();
    if have_labels != want_labels {
        let add: HashMap<String, String> = want_labels
            .iter()
            .filter(|(k, v)| have_labels.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let remove: Vec<String> = have_labels
            .keys()
            .filter(|k| !want_labels.contains_key(*k))
            .cloned()
            .collect();
        call = call.labels(
            UpdateLabelsPayload::builder()
                .set_add_or_update_labels(Some(add).filter(|a| !a.is_empty()))
                .set_remove_labels(Some(remove).filter(|r| !r.is_empty()))
                .build(),
        );
        changed = true;
    }
    let have_taints: BTreeSet<String> = live.taints().iter().map(taint_string).collect();
    let want_taints: BTreeSet<String> = g.taints.iter().flatten().cloned().collect();
    if have_taints != want_taints {
        let to_taints = |set: Vec<&String>| -> Vec<Taint> {
            set.into_iter()
                .filter_map(|t| parse_taint(t))
                .map(|(k, v, e)| Taint::builder().key(k).set_value(v).effect(e).build())
                .collect()
        };
        let add = to_taints(want_taints.difference(&have_taints).collect());
        let remove = to_taints(have_taints.difference(&want_taints).collect());
        call = call.taints(
            UpdateTaintsPayload::builder()
                .set_add_or_update_taints(Some(add).filter(|a| !a.is_empty()))
                .set_remove_taints(Some(remove).filter(|r| !r.is_empty()))
                .build(),
        );
        changed = true;
    }
    if live
        .update_config()
        .and_then(|u| u.max_unavailable())
        .is_some_and(|m| m != g.max_unavailable)
    {
        call = call.update_config(
            NodegroupUpdateConfig::builder()
                .max_unavailable(g.max_unavailable)
                .build(),
        );
        changed = true;
    }
    if changed {
        let out = call
            .send()
            .await
            .map_err(failed("eks:UpdateNodegroupConfig"))?;
        wait_update(eks, cluster, Some(name), out.update(), limit, stop).await?;
    }
    Ok(())
}

pub async fn delete_nodegroup(eks: &aws_sdk_eks::Client, cluster: &str, name: &str) -> Result<()> {
    match eks
        .delete_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if not_found(&e) => Ok(()),
        Err(e) => Err(error("eks:DeleteNodegroup", &e).into()),
    }
}

/// Creates or updates an add-on to `spec` at `version`, then waits.
#[allow(clippy::too_many_arguments)]
pub async fn put_addon(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
    spec: &AddonSettings,
    version: Option<String>,
    live: Option<&Addon>,
    all_tags: &BTreeMap<String, String>,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    match live {
        None => {
            let created = eks
                .create_addon()
                .client_request_token(super::retry::client_token())
                .cluster_name(cluster)
                .addon_name(name)
                .set_addon_version(version)
                .set_configuration_values(spec.configuration.clone())
                .set_service_account_role_arn(spec.service_account_role_arn.clone())
                .resolve_conflicts(ResolveConflicts::Overwrite)
                .set_tags(Some(all_tags.clone().into_iter().collect()))
                .send()
                .await;
            match created {
                Ok(_) => {}
                Err(e) if is(&e, &["ResourceInUseException"]) => {}
                Err(e) => return Err(error("eks:CreateAddon", &e).into()),
            }
        }
        Some(a) => {
            let same = a.addon_version() == version.as_deref()
                && a.configuration_values().filter(|c| !c.is_empty())
                    == spec.configuration.as_deref()
                && a.service_account_role_arn() == spec.service_account_role_arn.as_deref();
            if same {
                return Ok(());
            }
            let out = eks
                .update_addon()
                .cluster_name(cluster)
                .addon_name(name)
                .set_addon_version(version)
                .configuration_values(spec.configuration.clone().unwrap_or_default())
                .set_service_account_role_arn(spec.service_account_role_arn.clone())
                .resolve_conflicts(ResolveConflicts::Overwrite)
                .send()
                .await
                .map_err(failed("eks:UpdateAddon"))?;
            let _ = out;
        }
    }
    wait_addon(eks, cluster, name, false, limit, stop).await
}

pub async fn delete_addon(eks: &aws_sdk_eks::Client, cluster: &str, name: &str) -> Result<()> {
    match eks
        .delete_addon()
        .cluster_name(cluster)
        .addon_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if not_found(&e) => Ok(()),
        Err(e) => Err(error("eks:DeleteAddon", &e).into()),
    }
}

/// What a change of the admins found and left.
#[derive(Default)]
pub struct AccessOutcome {
    /// Principals that had an entry before onto granted them admin (made by
    /// hand or another tool): theirs, not onto's.
    pub found: BTreeSet<String>,
    /// Principals no longer admins whose entries were not onto's: only the
    /// admin policy onto attached was taken away.
    pub kept: Vec<String>,
}

/// Grants cluster admin to the principals in `want` and not in `have`, and
/// takes it from those in `have` and no longer wanted. Entries onto makes
/// are born with `tags` and deleted when no longer wanted; an entry that
/// existed before (`not_ours`, and what `found` reports) only gets the admin
/// policy attached, and later detached, and is never deleted.
pub async fn converge_access(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    partition: &str,
    want: &BTreeSet<String>,
    have: &BTreeSet<String>,
    tags: &BTreeMap<String, String>,
    not_ours: &BTreeSet<String>,
) -> Result<AccessOutcome> {
    let policy = format!("arn:{partition}:eks::aws:cluster-access-policy/{ADMIN_POLICY}");
    let mut outcome = AccessOutcome::default();
    for principal in want.difference(have) {
        match eks
            .create_access_entry()
            .cluster_name(cluster)
            .principal_arn(principal)
            .set_tags(Some(tags.clone().into_iter().collect()))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if is(&e, &["ResourceInUseException"]) => {
                outcome.found.insert(principal.clone());
            }
            Err(e) => return Err(error("eks:CreateAccessEntry", &e).into()),
        }
        eks.associate_access_policy()
            .cluster_name(cluster)
            .principal_arn(principal)
            .policy_arn(&policy)
            .access_scope(
                AccessScope::builder()
                    .r#type(AccessScopeType::Cluster)
                    .build(),
            )
            .send()
            .await
            .map_err(failed("eks:AssociateAccessPolicy"))?;
    }
    for principal in have.difference(want) {
        if not_ours.contains(principal) {
            match eks
                .disassociate_access_policy()
                .cluster_name(cluster)
                .principal_arn(principal)
                .policy_arn(&policy)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if not_found(&e) => {}
                Err(e) => return Err(error("eks:DisassociateAccessPolicy", &e).into()),
            }
            outcome.kept.push(principal.clone());
            continue;
        }
        match eks
            .delete_access_entry()
            .cluster_name(cluster)
            .principal_arn(principal)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if not_found(&e) => {}
            Err(e) => return Err(error("eks:DeleteAccessEntry", &e).into()),
        }
    }
    Ok(outcome)
}

pub fn logging(types: &[String]) -> Logging {
    let on: Vec<LogType> = types.iter().map(|t| LogType::from(t.as_str())).collect();
    let off: Vec<LogType> = LOG_TYPES
        .iter()
        .filter(|t| !types.iter().any(|x| x == *t))
        .map(|t| LogType::from(*t))
        .collect();
    let mut setups = vec![LogSetup::builder()
        .set_types(Some(on))
        .enabled(true)
        .build()];
    if !off.is_empty() {
        setups.push(
            LogSetup::builder()
                .set_types(Some(off))
                .enabled(false)
                .build(),
        );
    }
    Logging::builder().set_cluster_logging(Some(setups)).build()
}

/// Creates the cluster. The request carries an idempotency token, so the
/// SDK's retries of a lost response make no second cluster; the role it is
/// given is retried while IAM still propagates it. A cluster of that name
/// is adopted only when it is this resource's own.
pub async fn create_cluster<F>(
    eks: &aws_sdk_eks::Client,
    make: F,
    name: &str,
    region: &str,
    owner: &crate::ownership::Owner,
) -> Result<()>
where
    F: Fn() -> aws_sdk_eks::operation::create_cluster::builders::CreateClusterFluentBuilder,
{
    let token = super::retry::client_token();
    let created = super::iam::settle(|| make().client_request_token(&token).send()).await;
    match created {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["ResourceInUseException"]) => {
            let existing = find_cluster(eks, name).await?;
            claim_cluster(owner, region, name, existing.as_ref())
        }
        Err(e) => Err(error("eks:CreateCluster", &e).into()),
    }
}

/// Refuses (or adopts) a cluster that exists where a create wants one.
pub fn claim_cluster(
    owner: &crate::ownership::Owner,
    region: &str,
    name: &str,
    existing: Option<&Cluster>,
) -> Result<()> {
    let tags: Option<BTreeMap<String, String>> =
        existing.map(|c| c.tags().cloned().unwrap_or_default().into_iter().collect());
    owner.adopt(&crate::ownership::Existing {
        what: "An EKS cluster",
        id: name,
        region,
        tags: tags.as_ref(),
        import_id: Some(format!("{region}:{name}")),
        attribute: "name",
    })
}

pub async fn delete_cluster(eks: &aws_sdk_eks::Client, name: &str) -> Result<()> {
    match eks.delete_cluster().name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if not_found(&e) => Ok(()),
        Err(e) => Err(error("eks:DeleteCluster", &e).into()),
    }
}

/// The principals with an access entry.
pub async fn access_principals(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
) -> Result<BTreeSet<String>> {
    let out = eks
        .list_access_entries()
        .cluster_name(cluster)
        .send()
        .await
        .map_err(failed("eks:ListAccessEntries"))?;
    Ok(out.access_entries().iter().cloned().collect())
}

/// The names of the cluster's node groups.
pub async fn nodegroup_names(eks: &aws_sdk_eks::Client, cluster: &str) -> Result<Vec<String>> {
    let out = eks
        .list_nodegroups()
        .cluster_name(cluster)
        .send()
        .await
        .map_err(failed("eks:ListNodegroups"))?;
    Ok(out.nodegroups().to_vec())
}

/// Brings the cluster's tags from `have` to `want`.
pub async fn converge_tags(
    eks: &aws_sdk_eks::Client,
    arn: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<()> {
    let (remove, set) = crate::tags::diff(have, want);
    if !remove.is_empty() {
        eks.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(failed("eks:UntagResource"))?;
    }
    if !set.is_empty() {
        eks.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(set.into_iter().collect()))
            .send()
            .await
            .map_err(failed("eks:TagResource"))?;
    }
    Ok(())
}

// ---- listing ----------------------------------------------------------------------

/// Every cluster in the region, with its tags.
pub async fn list_clusters(eks: &aws_sdk_eks::Client) -> Result<Vec<super::Listed>> {
    let mut pages = eks.list_clusters().into_paginator().send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed("eks:ListClusters"))?;
        for name in page.clusters() {
            if let Some(c) = find_cluster(eks, name).await? {
                found.push(super::Listed {
                    key: name.clone(),
                    tags: c.tags().cloned().unwrap_or_default().into_iter().collect(),
                });
            }
        }
    }
    Ok(found)
}
