//! The order EKS needs: node groups (a replacement is created and ready
//! before the group it replaces is deleted), add-ons (some need nodes),
//! and version upgrades (control plane one minor at a time, then add-ons,
//! then every node group). Also the IAM roles the cluster runs with.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_eks::types::{Addon, Nodegroup};
use futures_util::future::try_join_all;
use tfplugin::diag::Result;
use tfplugin::Stop;

use super::model::{group_name, upgrade_steps, Model, Remote};
use crate::aws::eks::{self, AddonSettings};
use crate::aws::iam::{self, RoleSpec};
use crate::aws::Aws;
use crate::ownership::{Owner, SideObjects};

const CLUSTER_POLICIES: [&str; 1] = ["AmazonEKSClusterPolicy"];
const NODE_POLICIES: [&str; 3] = [
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
];

/// The names of the roles this cluster runs with: those in its state, or
/// for a new cluster `<name>-<region>-cluster` and `<name>-<region>-node`.
pub struct RoleNames {
    /// `None` when the configuration gives `role_arn`.
    pub cluster: Option<String>,
    pub node: String,
}

impl RoleNames {
    /// `configured_role`: the configuration gives `role_arn`; `prior` is
    /// null (default) for a new cluster.
    pub fn of(name: &str, region: &str, configured_role: bool, prior: &Model) -> RoleNames {
        let name_of = |arn: &Option<String>| {
            arn.as_deref()
                .and_then(iam::role_name_of)
                .map(str::to_owned)
        };
        let ours = |n: &String| {
            *n == format!("{name}-cluster") || *n == iam::role_name(name, region, "cluster")
        };
        let cluster = if prior.arn.is_none() {
            (!configured_role).then(|| iam::role_name(name, region, "cluster"))
        } else if let Some(n) = prior.role_names.as_ref().and_then(|r| r.get("cluster")) {
            Some(n.clone())
        } else {
            name_of(&prior.role_arn).filter(ours)
        };
        let node =
            name_of(&prior.node_role_arn).unwrap_or_else(|| iam::role_name(name, region, "node"));
        RoleNames { cluster, node }
    }
}

/// Creates and converges the roles this cluster owns; returns the ARNs of
/// the cluster role (the configured one, if given) and the node role.
pub async fn roles(
    aws: &Aws,
    m: &Model,
    names: &RoleNames,
    all_tags: &BTreeMap<String, String>,
    partition: &str,
    owner: &Owner,
    side: &mut SideObjects,
) -> Result<(String, String)> {
    let client = aws.iam();
    let cluster_role = match (&m.role_arn, &names.cluster) {
        (Some(arn), None) => arn.clone(),
        (_, Some(name)) => {
            iam::ensure_role(
                &client,
                partition,
                &RoleSpec {
                    name,
                    description: "EKS control plane (onto_cluster)",
                    trust: iam::service_trust("eks.amazonaws.com"),
                    managed: &CLUSTER_POLICIES,
                    tags: all_tags,
                },
                owner,
                side,
            )
            .await?
        }
        (None, None) => String::new(),
    };
    let node_role = iam::ensure_role(
        &client,
        partition,
        &RoleSpec {
            name: &names.node,
            description: "EKS managed nodes (onto_cluster)",
            trust: iam::service_trust("ec2.amazonaws.com"),
            managed: &NODE_POLICIES,
            tags: all_tags,
        },
        owner,
        side,
    )
    .await?;
    Ok((cluster_role, node_role))
}

/// The roles of `names` that exist, by purpose.
pub async fn existing_roles(aws: &Aws, names: &RoleNames) -> Result<BTreeMap<String, String>> {
    let client = aws.iam();
    let mut out = BTreeMap::new();
    for (purpose, name) in [
        ("cluster", names.cluster.as_deref()),
        ("node", Some(names.node.as_str())),
    ] {
        if let Some(name) = name {
            if iam::find_role(&client, name).await?.is_some() {
                out.insert(purpose.to_owned(), name.to_owned());
            }
        }
    }
    Ok(out)
}

/// Node groups to `m` (new ones first, then updates, then removals),
/// creating a replacement before deleting what it replaces.
#[allow(clippy::too_many_arguments)]
pub async fn converge_groups(
    client: &aws_sdk_eks::Client,
    m: &Model,
    remote: &BTreeMap<String, Nodegroup>,
    node_role: &str,
    all_tags: &BTreeMap<String, String>,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    let want = m.node_groups.clone().unwrap_or_default();
    let mut created = Vec::new();
    for (key, g) in &want {
        let name = group_name(key, g);
        let live = remote
            .get(key)
            .filter(|l| l.nodegroup_name() == Some(name.as_str()));
        if live.is_none() {
            eks::create_nodegroup(client, &m.name, &name, g, node_role, &m.subnets(), all_tags)
                .await?;
            created.push(name);
        }
    }
    for name in &created {
        eks::wait_nodegroup(client, &m.name, name, false, limit, stop).await?;
    }
    for (key, g) in &want {
        let name = group_name(key, g);
        if let Some(live) = remote
            .get(key)
            .filter(|l| l.nodegroup_name() == Some(name.as_str()))
        {
            eks::update_nodegroup(client, &m.name, &name, g, live, limit, stop).await?;
        }
    }
    let mut deleting = Vec::new();
    for (key, live) in remote {
        let old = live.nodegroup_name().unwrap_or_default();
        let keep = want.get(key).is_some_and(|g| group_name(key, g) == old);
        if !keep {
            eks::delete_nodegroup(client, &m.name, old).await?;
            deleting.push(old.to_owned());
        }
    }
    for name in &deleting {
        eks::wait_nodegroup(client, &m.name, name, true, limit, stop).await?;
    }
    Ok(())
}

/// Add-ons to `want`: an unset version keeps what runs while the
/// Kubernetes version stays (`same_version`), else takes AWS's default.
#[allow(clippy::too_many_arguments)]
pub async fn converge_addons(
    client: &aws_sdk_eks::Client,
    cluster: &str,
    want: Option<&BTreeMap<String, AddonSettings>>,
    same_version: bool,
    k8s: &str,
    remote: &BTreeMap<String, Addon>,
    all_tags: &BTreeMap<String, String>,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    let empty = BTreeMap::new();
    let want = want.unwrap_or(&empty);
    // Add-ons install side by side, as AWS allows; each is waited for.
    let puts = want.iter().map(|(name, spec)| async move {
        let live = remote.get(name);
        let version = match &spec.version {
            Some(v) => Some(v.clone()),
            None if same_version && live.is_some_and(|a| a.addon_version().is_some()) => {
                live.and_then(|a| a.addon_version().map(str::to_owned))
            }
            None => eks::default_addon_version(client, name, k8s).await?,
        };
        eks::put_addon(
            client, cluster, name, spec, version, live, all_tags, limit, stop,
        )
        .await
    });
    try_join_all(puts).await?;
    let removals = remote
        .keys()
        .filter(|n| !want.contains_key(*n))
        .map(|name| async move {
            eks::delete_addon(client, cluster, name).await?;
            eks::wait_addon(client, cluster, name, true, limit, stop).await
        });
    try_join_all(removals).await?;
    Ok(())
}

/// Moves the cluster to `m.kubernetes_version`: control plane one minor
/// at a time, then add-ons (to their defaults for the new version unless
/// pinned), then every node group — each step waited for.
pub async fn upgrade(
    client: &aws_sdk_eks::Client,
    m: &Model,
    running: &str,
    remote: &Remote,
    all_tags: &BTreeMap<String, String>,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    let target = m
        .kubernetes_version
        .clone()
        .unwrap_or_else(|| running.to_owned());
    let steps = upgrade_steps(running, &target);
    for step in &steps {
        let change = eks::ClusterChange::Version(step);
        eks::change_cluster(client, &m.name, change, limit, stop).await?;
    }
    let mut addons_model = m.addons.clone();
    if !steps.is_empty() {
        // Unpinned add-ons move to the new version's defaults.
        for spec in addons_model.iter_mut().flat_map(|a| a.values_mut()) {
            if spec
                .version
                .as_deref()
                .is_some_and(|v| remote.addons.values().any(|a| a.addon_version() == Some(v)))
            {
                spec.version = None;
            }
        }
    }
    converge_addons(
        client,
        &m.name,
        addons_model.as_ref(),
        m.kubernetes_version.as_deref() == Some(running),
        &target,
        &remote.addons,
        all_tags,
        limit,
        stop,
    )
    .await?;
    if !steps.is_empty() {
        for live in remote.groups.values() {
            let name = live.nodegroup_name().unwrap_or_default();
            eks::upgrade_nodegroup(client, &m.name, name, &target, limit, stop).await?;
        }
    }
    Ok(())
}
