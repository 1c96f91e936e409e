//! `onto_cluster`: an EKS cluster with its IAM roles, OIDC provider (for
//! IAM roles of service accounts), access entries for admins, managed node
//! groups and add-ons — one resource, applied in the order EKS needs:
//! control plane, node groups, then add-ons (some need nodes); upgrades go
//! control plane (one minor at a time), add-ons, node groups.
//!
//! - A node group's `desired_size` is where it starts: afterwards the
//!   cluster autoscaler owns it and the plan never fights it, yet raising
//!   `min_size` above the current size (or lowering `max_size` below it)
//!   moves it.
//! - A node group's immutable settings (instance types, capacity type,
//!   disk, AMI type) are part of its EKS name (`<key>-<hash>`): changing
//!   them creates the new group, waits until it is active, then drains
//!   and deletes the old one.
//! - Waiting is health-aware: a DEGRADED add-on or a node group with
//!   health issues fails at once with AWS's issue list.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eks::types::{
    AccessScope, AccessScopeType, Addon, AddonStatus, AuthenticationMode, CapacityTypes, Cluster,
    ClusterStatus, CreateAccessConfigRequest, EncryptionConfig, LogSetup, LogType, Logging,
    Nodegroup, NodegroupScalingConfig, NodegroupStatus, NodegroupUpdateConfig, Provider,
    ResolveConflicts, Taint, TaintEffect, UpdateLabelsPayload, UpdateStatus, UpdateTaintsPayload,
    VpcConfigRequest,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::plan::modifiers::RequiresReplaceIf;
use tfplugin::plan::timeout;
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::Nesting;
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::validate::{int_between, one_of, Validator};
use tfplugin::value::{typed, AttributePath, Type, Value};
use tfplugin::Stop;

use crate::aws::{self, wait_until, Aws, Poll};
use crate::iam::{self, RoleSpec};
use crate::shared::Shared;
use crate::{tags, validators};

const TYPE: &str = "onto_cluster";
const LOG_TYPES: [&str; 5] = [
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];
const DEFAULT_LOGS: [&str; 3] = ["api", "audit", "authenticator"];
const DEFAULT_ADDONS: [&str; 4] = ["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"];
const CLUSTER_POLICIES: [&str; 1] = ["AmazonEKSClusterPolicy"];
const NODE_POLICIES: [&str; 3] = [
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
];
const ADMIN_POLICY: &str = "AmazonEKSClusterAdminPolicy";

pub struct ClusterResource(pub Shared);

// ---- schema ----------------------------------------------------------------

/// `key=value:Effect` or `key:Effect` (kubectl's syntax).
struct Taints;

impl Validator for Taints {
    fn description(&self) -> String {
        "taints written `key=value:Effect` with Effect NoSchedule, PreferNoSchedule or NoExecute"
            .into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        for (i, t) in value.elements().into_iter().flatten().enumerate() {
            if let Some(s) = t.as_str() {
                if parse_taint(s).is_none() {
                    diags.error_at(
                        path.push_index(i),
                        "Invalid taint",
                        format!("{s:?} is not {}.", self.description()),
                    );
                }
            }
        }
    }
}

fn parse_taint(s: &str) -> Option<(String, Option<String>, TaintEffect)> {
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

fn taint_string(t: &Taint) -> String {
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

/// `1.31`-style Kubernetes versions.
struct KubernetesVersion;

impl Validator for KubernetesVersion {
    fn description(&self) -> String {
        "a Kubernetes minor version like `1.33`".into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            if minor(s).is_none() {
                diags.error_at(
                    path.clone(),
                    "Invalid Kubernetes version",
                    format!("{s:?} is not {}.", self.description()),
                );
            }
        }
    }
}

fn minor(v: &str) -> Option<u32> {
    let (major, minor) = v.split_once('.')?;
    (major == "1").then_some(())?;
    minor.parse().ok()
}

fn node_group_attributes() -> Vec<Attribute> {
    vec![
        Attribute::new("instance_types", Type::list(Type::String)).required().describe("Instance types; several give spot capacity more pools to draw from."),
        Attribute::string("capacity_type").default("ON_DEMAND").validate(one_of(&["ON_DEMAND", "SPOT"])).describe("`ON_DEMAND` (default) or `SPOT`."),
        Attribute::number("min_size").required().validate(int_between(0, 1000)).describe("Fewest nodes."),
        Attribute::number("max_size").required().validate(int_between(1, 1000)).describe("Most nodes."),
        Attribute::number("desired_size").optional().validate(int_between(0, 1000)).describe("Nodes at creation; afterwards the cluster autoscaler decides (never reset by a plan)."),
        Attribute::number("disk_size").default(50).validate(int_between(20, 16_384)).describe("Root volume GiB. Default 50."),
        Attribute::string("ami_type").default("AL2023_x86_64_STANDARD").describe("EKS AMI type. Default `AL2023_x86_64_STANDARD`."),
        Attribute::new("labels", Type::map(Type::String)).optional().describe("Kubernetes node labels."),
        Attribute::new("taints", Type::list(Type::String)).optional().validate(Taints).describe("Taints, `key=value:Effect`."),
        Attribute::number("max_unavailable").default(1).validate(int_between(1, 100)).describe("Nodes replaced at once during updates. Default 1."),
    ]
}

fn addon_attributes() -> Vec<Attribute> {
    vec![
        Attribute::string("version").optional().computed().describe("Add-on version; AWS's default for the cluster's Kubernetes version when unset (and moved with it on upgrade)."),
        Attribute::string("configuration").optional().describe("Configuration values (JSON) for the add-on's schema."),
        Attribute::string("service_account_role_arn").optional().describe("IAM role for the add-on's service account."),
    ]
}

fn schema() -> Schema {
    let key_removed_or_changed = RequiresReplaceIf(
        |state: &Value, plan: &Value| !state.is_null() && !plan.same(state),
        "Secrets encryption can be added in place, but not changed or removed.",
    );
    Schema::new(
        Block::new()
            .describe("An EKS cluster with its IAM roles, an IAM OIDC provider for service-account roles, access entries for admins, managed node groups and add-ons. Applied in the order EKS needs; version upgrades go control plane (one minor at a time), add-ons, node groups. The cluster autoscaler owns node counts after creation.")
            .attribute(Attribute::string("name").required().requires_replace().validate(tfplugin::validate::length_between(1, 40)).describe("Cluster name; also prefixes its IAM roles."))
            .attribute(Attribute::string("region").optional().computed().requires_replace().use_state_for_unknown().validate(validators::region()).describe("Region; defaults to the provider's."))
            .attribute(Attribute::string("kubernetes_version").optional().computed().use_state_for_unknown().validate(KubernetesVersion).describe("Kubernetes version, e.g. `1.33`; AWS's default when unset. Raising it upgrades in place, one minor at a time, then add-ons, then node groups. Downgrades are refused."))
            .attribute(Attribute::new("subnet_ids", Type::set(Type::String)).required().requires_replace().describe("Subnets (the private tier) for the control plane's interfaces and the nodes."))
            .attribute(Attribute::bool("endpoint_public_access").default(true).describe("Reach the API server from the internet (limited by `public_access_cidrs`)."))
            .attribute(Attribute::bool("endpoint_private_access").default(true).describe("Reach the API server from inside the VPC."))
            .attribute(Attribute::new("public_access_cidrs", Type::set(Type::String)).optional().computed().use_state_for_unknown().validate(validators::CidrBlocks).describe("Who may reach the public endpoint; everyone (`0.0.0.0/0`) when unset."))
            .attribute(Attribute::string("secrets_kms_key").optional().modifier(key_removed_or_changed).validate(validators::kms_key()).describe("KMS key ARN for envelope encryption of Kubernetes secrets."))
            .attribute(Attribute::new("log_types", Type::set(Type::String)).optional().computed().validate(one_of(&LOG_TYPES)).describe("Control-plane logs sent to CloudWatch: `api`, `audit`, `authenticator`, `controllerManager`, `scheduler`. Default the first three."))
            .attribute(Attribute::string("authentication_mode").default("API").validate(one_of(&["API", "API_AND_CONFIG_MAP", "CONFIG_MAP"])).describe("`API` (access entries, default), `API_AND_CONFIG_MAP` or `CONFIG_MAP`."))
            .attribute(Attribute::new("admin_principal_arns", Type::set(Type::String)).optional().describe("IAM principals given cluster-admin through access entries."))
            .attribute(Attribute::string("role_arn").optional().computed().requires_replace().use_state_for_unknown().describe("Cluster IAM role; one named `<name>-cluster` is created when unset."))
            .attribute(Attribute::nested("node_groups", Nesting::Map, node_group_attributes()).optional().computed().describe("Managed node groups by name. Default: `core` (on-demand, 2–4 × m6i.large) and `workers` (spot, 0–10 over m6i/m5/m6a large, tainted `onto.io/spot=true:PreferNoSchedule`)."))
            .attribute(Attribute::nested("addons", Nesting::Map, addon_attributes()).optional().computed().describe("EKS add-ons by name (`vpc-cni`, `kube-proxy`, `coredns`, `eks-pod-identity-agent`, `aws-ebs-csi-driver`, `adot`, ...). Default: the first four at AWS's default versions. Created after the node groups."))
            .attribute(Attribute::new("tags", Type::map(Type::String)).optional().validate(validators::TagKeys).describe("Tags for the cluster, node groups, add-ons and roles."))
            .attribute(Attribute::new("tags_all", Type::map(Type::String)).computed().describe("All tags, including `default_tags` and the onto tags."))
            .attribute(Attribute::string("arn").computed().use_state_for_unknown().describe("Cluster ARN."))
            .attribute(Attribute::string("endpoint").computed().use_state_for_unknown().describe("API server URL."))
            .attribute(Attribute::string("certificate_authority_data").computed().use_state_for_unknown().describe("Base64 PEM of the cluster CA."))
            .attribute(Attribute::string("oidc_issuer").computed().use_state_for_unknown().describe("OIDC issuer URL."))
            .attribute(Attribute::string("oidc_provider_arn").computed().use_state_for_unknown().describe("IAM OIDC provider ARN, for service-account roles (IRSA)."))
            .attribute(Attribute::string("cluster_security_group_id").computed().use_state_for_unknown().describe("The security group EKS created for the control plane and nodes."))
            .attribute(Attribute::string("vpc_id").computed().use_state_for_unknown().describe("The cluster's VPC."))
            .attribute(Attribute::string("node_role_arn").computed().use_state_for_unknown().describe("IAM role of the nodes (`<name>-node`)."))
            .attribute(Attribute::new("node_group_names", Type::map(Type::String)).computed().describe("EKS name of each node group (`<key>-<hash of its immutable settings>`)."))
            .timeouts(&["create", "update", "delete"]),
    )
}

// ---- model -----------------------------------------------------------------

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
struct Group {
    instance_types: Vec<String>,
    capacity_type: String,
    min_size: i32,
    max_size: i32,
    desired_size: Option<i32>,
    disk_size: i32,
    ami_type: String,
    labels: Option<BTreeMap<String, String>>,
    taints: Option<Vec<String>>,
    max_unavailable: i32,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
struct AddonSpec {
    version: Option<String>,
    configuration: Option<String>,
    service_account_role_arn: Option<String>,
}

#[derive(Deserialize)]
struct Model {
    #[serde(default, deserialize_with = "super::null_as_default")]
    name: String,
    region: Option<String>,
    kubernetes_version: Option<String>,
    subnet_ids: Vec<String>,
    #[serde(default, deserialize_with = "super::null_as_default")]
    endpoint_public_access: bool,
    #[serde(default, deserialize_with = "super::null_as_default")]
    endpoint_private_access: bool,
    public_access_cidrs: Option<Vec<String>>,
    secrets_kms_key: Option<String>,
    log_types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "super::null_as_default")]
    authentication_mode: String,
    admin_principal_arns: Option<Vec<String>>,
    role_arn: Option<String>,
    #[serde(default)]
    node_groups: Option<BTreeMap<String, Group>>,
    #[serde(default)]
    addons: Option<BTreeMap<String, AddonSpec>>,
    tags: Option<BTreeMap<String, String>>,
    oidc_provider_arn: Option<String>,
}

fn model(v: &Value) -> Result<Model> {
    typed::from_value(v)
        .map_err(|e| Diagnostic::error("Invalid onto_cluster value", e.to_string()).into())
}

fn default_node_groups() -> BTreeMap<String, Group> {
    let large = |types: &[&str]| types.iter().map(|t| (*t).to_owned()).collect();
    BTreeMap::from([
        (
            "core".to_owned(),
            Group {
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
            Group {
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
fn group_name(key: &str, g: &Group) -> String {
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
fn upgrade_steps(from: &str, to: &str) -> Vec<String> {
    match (minor(from), minor(to)) {
        (Some(a), Some(b)) if b > a => (a + 1..=b).map(|m| format!("1.{m}")).collect(),
        _ => Vec::new(),
    }
}

// ---- AWS calls ---------------------------------------------------------------

/// What AWS holds for one cluster.
struct Remote {
    cluster: Cluster,
    groups: BTreeMap<String, Nodegroup>,
    addons: BTreeMap<String, Addon>,
    admins: Option<BTreeSet<String>>,
}

fn not_found<E: aws_smithy_types::error::metadata::ProvideErrorMetadata, R>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> bool {
    aws::code(e) == Some("ResourceNotFoundException")
}

async fn describe_cluster(eks: &aws_sdk_eks::Client, name: &str) -> Result<Option<Cluster>> {
    match eks.describe_cluster().name(name).send().await {
        Ok(out) => Ok(out.cluster().cloned()),
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(aws::error("eks:DescribeCluster", &e).into()),
    }
}

async fn describe_group(
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
        Err(e) => Err(aws::error("eks:DescribeNodegroup", &e).into()),
    }
}

async fn describe_addon(
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
        Err(e) => Err(aws::error("eks:DescribeAddon", &e).into()),
    }
}

/// Reads the cluster and the node groups and add-ons `known` tracks.
async fn describe(aws: &Aws, region: &str, name: &str, known: &Value) -> Result<Option<Remote>> {
    let eks = aws.eks(region);
    let Some(cluster) = describe_cluster(&eks, name).await? else {
        return Ok(None);
    };
    let names: BTreeMap<String, String> = typed::from_value(known.get("node_group_names"))
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut groups = BTreeMap::new();
    for (key, eks_name) in names {
        if let Some(g) = describe_group(&eks, name, &eks_name).await? {
            groups.insert(key, g);
        }
    }
    let mut addons = BTreeMap::new();
    for key in known
        .get("addons")
        .entries()
        .into_iter()
        .flat_map(|m| m.keys())
    {
        if let Some(a) = describe_addon(&eks, name, key).await? {
            addons.insert(key.clone(), a);
        }
    }
    let admins = if known
        .get("admin_principal_arns")
        .elements()
        .is_some_and(|a| !a.is_empty())
    {
        let out = eks
            .list_access_entries()
            .cluster_name(name)
            .send()
            .await
            .map_err(aws::failed("eks:ListAccessEntries"))?;
        Some(out.access_entries().iter().cloned().collect())
    } else {
        None
    };
    Ok(Some(Remote {
        cluster,
        groups,
        addons,
        admins,
    }))
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

async fn wait_cluster(
    eks: &aws_sdk_eks::Client,
    name: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<Cluster> {
    wait_until(&format!("cluster {name}"), limit, stop, || async {
        let c = describe_cluster(eks, name).await?.ok_or_else(|| {
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

async fn wait_cluster_gone(
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
            Ok(match describe_cluster(eks, name).await? {
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
async fn wait_group(
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
        let Some(g) = describe_group(eks, cluster, name).await? else {
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
pub(crate) async fn wait_addon(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
    gone: bool,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    wait_until(&format!("add-on {name}"), limit, stop, || async {
        let Some(a) = describe_addon(eks, cluster, name).await? else {
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

/// Waits for an update (version or config) that AWS accepted to finish;
/// one reported finished already needs no polling.
async fn wait_update(
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
                .map_err(aws::failed("eks:DescribeUpdate"))?;
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
async fn default_addon_version(
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
        .map_err(aws::failed("eks:DescribeAddonVersions"))?;
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

fn scaling(g: &Group, desired: i32) -> NodegroupScalingConfig {
    NodegroupScalingConfig::builder()
        .min_size(g.min_size)
        .max_size(g.max_size)
        .desired_size(desired.clamp(g.min_size, g.max_size))
        .build()
}

fn taints(g: &Group) -> Vec<Taint> {
    g.taints
        .iter()
        .flatten()
        .filter_map(|t| parse_taint(t))
        .map(|(k, v, e)| Taint::builder().key(k).set_value(v).effect(e).build())
        .collect()
}

async fn create_group(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
    g: &Group,
    node_role: &str,
    subnets: &[String],
    all_tags: &BTreeMap<String, String>,
) -> Result<()> {
    let created = eks
        .create_nodegroup()
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
        Err(e) if aws::code(&e) == Some("ResourceInUseException") => Ok(()),
        Err(e) => Err(aws::error("eks:CreateNodegroup", &e).into()),
    }
}

/// Brings a node group's mutable settings to `g`. The autoscaler's
/// desired size stands unless the new limits exclude it.
async fn update_group(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
    g: &Group,
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
            .map_err(aws::failed("eks:UpdateNodegroupConfig"))?;
        wait_update(eks, cluster, Some(name), out.update(), limit, stop).await?;
    }
    Ok(())
}

async fn delete_group(eks: &aws_sdk_eks::Client, cluster: &str, name: &str) -> Result<()> {
    match eks
        .delete_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if not_found(&e) => Ok(()),
        Err(e) => Err(aws::error("eks:DeleteNodegroup", &e).into()),
    }
}

/// Creates or updates an add-on to `spec` at `version`, then waits.
#[allow(clippy::too_many_arguments)]
async fn put_addon(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
    spec: &AddonSpec,
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
                Err(e) if aws::code(&e) == Some("ResourceInUseException") => {}
                Err(e) => return Err(aws::error("eks:CreateAddon", &e).into()),
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
                .map_err(aws::failed("eks:UpdateAddon"))?;
            let _ = out;
        }
    }
    wait_addon(eks, cluster, name, false, limit, stop).await
}

async fn delete_addon(eks: &aws_sdk_eks::Client, cluster: &str, name: &str) -> Result<()> {
    match eks
        .delete_addon()
        .cluster_name(cluster)
        .addon_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if not_found(&e) => Ok(()),
        Err(e) => Err(aws::error("eks:DeleteAddon", &e).into()),
    }
}

async fn converge_admins(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    partition: &str,
    want: &BTreeSet<String>,
    have: &BTreeSet<String>,
) -> Result<()> {
    for principal in want.difference(have) {
        match eks
            .create_access_entry()
            .cluster_name(cluster)
            .principal_arn(principal)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if aws::code(&e) == Some("ResourceInUseException") => {}
            Err(e) => return Err(aws::error("eks:CreateAccessEntry", &e).into()),
        }
        eks.associate_access_policy()
            .cluster_name(cluster)
            .principal_arn(principal)
            .policy_arn(format!(
                "arn:{partition}:eks::aws:cluster-access-policy/{ADMIN_POLICY}"
            ))
            .access_scope(
                AccessScope::builder()
                    .r#type(AccessScopeType::Cluster)
                    .build(),
            )
            .send()
            .await
            .map_err(aws::failed("eks:AssociateAccessPolicy"))?;
    }
    for principal in have.difference(want) {
        match eks
            .delete_access_entry()
            .cluster_name(cluster)
            .principal_arn(principal)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if not_found(&e) => {}
            Err(e) => return Err(aws::error("eks:DeleteAccessEntry", &e).into()),
        }
    }
    Ok(())
}

fn logging(types: &[String]) -> Logging {
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

/// Objects that in-cluster controllers created in the VPC (load-balancer
/// security groups, their interfaces) and that would block deleting it.
async fn leftovers(aws: &Aws, region: &str, cluster: &str, vpc: &str) -> Vec<String> {
    let ec2 = aws.ec2(region);
    let mut found = Vec::new();
    let filter = |n: &str, v: &str| {
        aws_sdk_ec2::types::Filter::builder()
            .name(n)
            .values(v)
            .build()
    };
    for (key, value) in [
        (
            format!("tag:kubernetes.io/cluster/{cluster}"),
            "owned".to_owned(),
        ),
        ("tag:elbv2.k8s.aws/cluster".to_owned(), cluster.to_owned()),
    ] {
        if let Ok(out) = ec2
            .describe_security_groups()
            .filters(filter("vpc-id", vpc))
            .filters(filter(&key, &value))
            .send()
            .await
        {
            for sg in out.security_groups() {
                found.push(format!(
                    "security group {} ({})",
                    sg.group_id().unwrap_or_default(),
                    sg.group_name().unwrap_or_default()
                ));
                if let Ok(enis) = ec2
                    .describe_network_interfaces()
                    .filters(filter("group-id", sg.group_id().unwrap_or_default()))
                    .send()
                    .await
                {
                    for eni in enis.network_interfaces() {
                        found.push(format!(
                            "network interface {} ({})",
                            eni.network_interface_id().unwrap_or_default(),
                            eni.description().unwrap_or_default()
                        ));
                    }
                }
            }
        }
    }
    found
}

/// The cluster as Terraform state; `known` supplies what AWS does not
/// report (desired sizes, the roles it was given).
fn state(aws: &Aws, region: &str, r: &Remote, known: &Value) -> Result<Value> {
    let c = &r.cluster;
    let vpc = c.resources_vpc_config();
    let all_tags: BTreeMap<String, String> =
        c.tags().cloned().unwrap_or_default().into_iter().collect();
    let user_tags: BTreeMap<String, String> = typed::from_value(known.get("tags"))
        .ok()
        .flatten()
        .unwrap_or_default();
    let view = tags::user_view(aws, &user_tags, &all_tags);
    let known_groups: BTreeMap<String, Group> = typed::from_value(known.get("node_groups"))
        .ok()
        .flatten()
        .unwrap_or_default();
    let groups: BTreeMap<String, Group> = r
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
                Group {
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
                    taints: if taint_list.is_empty() && prior.is_none_or(|p| p.taints.is_none()) {
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
    let names: BTreeMap<String, String> = r
        .groups
        .iter()
        .map(|(k, g)| (k.clone(), g.nodegroup_name().unwrap_or_default().to_owned()))
        .collect();
    let known_addons: BTreeMap<String, AddonSpec> = typed::from_value(known.get("addons"))
        .ok()
        .flatten()
        .unwrap_or_default();
    let addons: BTreeMap<String, AddonSpec> = r
        .addons
        .iter()
        .map(|(k, a)| {
            let prior = known_addons.get(k);
            (
                k.clone(),
                AddonSpec {
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
    let value = json!({
        "name": c.name(),
        "region": region,
        "kubernetes_version": c.version(),
        "subnet_ids": vpc.map(|v| v.subnet_ids().to_vec()),
        "endpoint_public_access": vpc.map(|v| v.endpoint_public_access()),
        "endpoint_private_access": vpc.map(|v| v.endpoint_private_access()),
        "public_access_cidrs": vpc.map(|v| v.public_access_cidrs().to_vec()).filter(|c| !c.is_empty()).or_else(|| Some(vec!["0.0.0.0/0".into()])),
        "secrets_kms_key": c.encryption_config().first().and_then(|e| e.provider()).and_then(|p| p.key_arn()),
        "log_types": logs,
        "authentication_mode": c.access_config().and_then(|a| a.authentication_mode()).map(|m| m.as_str().to_owned()).or_else(|| known.get("authentication_mode").as_str().map(str::to_owned)),
        "admin_principal_arns": match &r.admins {
            Some(have) => {
                // Only the principals this resource manages (EKS adds its own).
                let want: BTreeSet<String> = typed::from_value(known.get("admin_principal_arns")).ok().flatten().unwrap_or_default();
                Some(have.intersection(&want).cloned().collect::<Vec<_>>())
            }
            None => typed::from_value::<Option<Vec<String>>>(known.get("admin_principal_arns")).ok().flatten(),
        },
        "role_arn": c.role_arn(),
        "node_groups": groups,
        "addons": addons,
        "tags": if view.is_empty() && known.get("tags").is_null() { None } else { Some(view) },
        "tags_all": all_tags,
        "arn": c.arn(),
        "endpoint": c.endpoint().map(|e| e.trim_end_matches('/')),
        "certificate_authority_data": c.certificate_authority().and_then(|ca| ca.data()),
        "oidc_issuer": c.identity().and_then(|i| i.oidc()).and_then(|o| o.issuer()),
        "oidc_provider_arn": known.get("oidc_provider_arn").as_str(),
        "cluster_security_group_id": vpc.and_then(|v| v.cluster_security_group_id()),
        "vpc_id": vpc.and_then(|v| v.vpc_id()).or(known.get("vpc_id").as_str()),
        "node_role_arn": known.get("node_role_arn").as_str(),
        "node_group_names": names,
    });
    let mut v = typed::to_value(&value, &schema().ty())
        .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
    v.set("timeouts", known.get("timeouts").clone());
    Ok(v)
}

fn gone(name: &str, during: &str) -> Diagnostics {
    Diagnostic::error(
        "Cluster not found",
        format!("{name} disappeared during {during}; plan again to recreate it."),
    )
    .into()
}

fn partition_of(arn: &str) -> &str {
    arn.split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

// ---- plan rules --------------------------------------------------------------

fn check_config(config: &Value, diags: &mut Diagnostics) {
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

// ---- create / read / update / delete ------------------------------------------

/// Creates and converges the roles this cluster owns.
async fn roles(
    aws: &Aws,
    m: &Model,
    all_tags: &BTreeMap<String, String>,
    partition: &str,
) -> Result<(String, String)> {
    let iam_client = aws.iam();
    let cluster_role = match &m.role_arn {
        Some(arn) => arn.clone(),
        None => {
            iam::ensure_role(
                &iam_client,
                partition,
                &RoleSpec {
                    name: &format!("{}-cluster", m.name),
                    description: "EKS control plane (onto_cluster)",
                    trust: iam::service_trust("eks.amazonaws.com"),
                    managed: &CLUSTER_POLICIES,
                    tags: all_tags,
                },
            )
            .await?
        }
    };
    let node_role = iam::ensure_role(
        &iam_client,
        partition,
        &RoleSpec {
            name: &format!("{}-node", m.name),
            description: "EKS managed nodes (onto_cluster)",
            trust: iam::service_trust("ec2.amazonaws.com"),
            managed: &NODE_POLICIES,
            tags: all_tags,
        },
    )
    .await?;
    Ok((cluster_role, node_role))
}

/// Node groups to `m` (new ones first, then updates, then removals),
/// creating a replacement before deleting what it replaces.
#[allow(clippy::too_many_arguments)]
async fn converge_groups(
    eks: &aws_sdk_eks::Client,
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
            create_group(eks, &m.name, &name, g, node_role, &m.subnet_ids, all_tags).await?;
            created.push(name);
        }
    }
    for name in &created {
        wait_group(eks, &m.name, name, false, limit, stop).await?;
    }
    for (key, g) in &want {
        let name = group_name(key, g);
        if let Some(live) = remote
            .get(key)
            .filter(|l| l.nodegroup_name() == Some(name.as_str()))
        {
            update_group(eks, &m.name, &name, g, live, limit, stop).await?;
        }
    }
    let mut deleting = Vec::new();
    for (key, live) in remote {
        let old = live.nodegroup_name().unwrap_or_default();
        let keep = want.get(key).is_some_and(|g| group_name(key, g) == old);
        if !keep {
            delete_group(eks, &m.name, old).await?;
            deleting.push(old.to_owned());
        }
    }
    for name in &deleting {
        wait_group(eks, &m.name, name, true, limit, stop).await?;
    }
    Ok(())
}

/// Add-ons to `want`: an unset version keeps what runs while the
/// Kubernetes version stays (`same_version`), else takes AWS's default.
#[allow(clippy::too_many_arguments)]
async fn converge_addons(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    want: Option<&BTreeMap<String, AddonSpec>>,
    same_version: bool,
    k8s: &str,
    remote: &BTreeMap<String, Addon>,
    all_tags: &BTreeMap<String, String>,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    let empty = BTreeMap::new();
    let want = want.unwrap_or(&empty);
    for (name, spec) in want {
        let live = remote.get(name);
        let version = match &spec.version {
            Some(v) => Some(v.clone()),
            None if same_version && live.is_some_and(|a| a.addon_version().is_some()) => {
                live.and_then(|a| a.addon_version().map(str::to_owned))
            }
            None => default_addon_version(eks, name, k8s).await?,
        };
        put_addon(
            eks, cluster, name, spec, version, live, all_tags, limit, stop,
        )
        .await?;
    }
    for name in remote.keys().filter(|n| !want.contains_key(*n)) {
        delete_addon(eks, cluster, name).await?;
        wait_addon(eks, cluster, name, true, limit, stop).await?;
    }
    Ok(())
}

/// Moves the cluster to `m.kubernetes_version`: control plane one minor
/// at a time, then add-ons (to their defaults for the new version unless
/// pinned), then every node group — each step waited for.
async fn upgrade(
    eks: &aws_sdk_eks::Client,
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
        let out = eks
            .update_cluster_version()
            .name(&m.name)
            .version(step)
            .send()
            .await
            .map_err(aws::failed("eks:UpdateClusterVersion"))?;
        wait_update(eks, &m.name, None, out.update(), limit, stop).await?;
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
        eks,
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
            let out = eks
                .update_nodegroup_version()
                .cluster_name(&m.name)
                .nodegroup_name(name)
                .version(&target)
                .send()
                .await
                .map_err(aws::failed("eks:UpdateNodegroupVersion"))?;
            wait_update(eks, &m.name, Some(name), out.update(), limit, stop).await?;
        }
    }
    Ok(())
}

#[async_trait]
impl Resource for ClusterResource {
    fn type_name(&self) -> &str {
        TYPE
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check_config(config, diags);
    }

    async fn modify_plan(&self, req: &mut PlanRequest) -> Result<()> {
        let Some(aws) = self.0.get() else {
            return Ok(());
        };
        if req.plan.is_null() {
            return Ok(());
        }
        if req.plan.get("region").is_unknown() && req.config.get("region").is_null() {
            req.plan.set("region", aws.region.clone());
        }
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
            let ty = schema()
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
                    format!("The cluster runs {from}; EKS cannot go back to {to}. Keep {from} or newer."),
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
            typed::from_value::<Option<BTreeMap<String, Group>>>(req.plan.get("node_groups"))
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
                        if req.config.get("node_groups").is_null() || !prior_groups.get(k).is_null()
                        {
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
        if let Some(name) = req.plan.get("name").as_str().map(str::to_owned) {
            tags::plan_tags_all(aws, &aws.environment, TYPE, &name, &mut req.plan);
        }
        Ok(())
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m = model(&req.planned)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "create", Duration::from_secs(3600));
        let all_tags = tags::desired(
            aws,
            &aws.environment,
            TYPE,
            &m.name,
            &m.tags.clone().unwrap_or_default(),
        );
        let partition = aws::partition(&region);
        let (cluster_role, node_role) = roles(aws, &m, &all_tags, partition).await?;
        let eks = aws.eks(&region);
        let vpc_config = VpcConfigRequest::builder()
            .set_subnet_ids(Some(m.subnet_ids.clone()))
            .endpoint_public_access(m.endpoint_public_access)
            .endpoint_private_access(m.endpoint_private_access)
            .set_public_access_cidrs(m.public_access_cidrs.clone())
            .build();
        let encryption = m.secrets_kms_key.as_ref().map(|k| {
            vec![EncryptionConfig::builder()
                .provider(Provider::builder().key_arn(k).build())
                .build()]
        });
        let created = iam::settle(|| {
            eks.create_cluster()
                .name(&m.name)
                .set_version(m.kubernetes_version.clone())
                .role_arn(&cluster_role)
                .resources_vpc_config(vpc_config.clone())
                .set_encryption_config(encryption.clone())
                .logging(logging(&m.log_types.clone().unwrap_or_default()))
                .access_config(
                    CreateAccessConfigRequest::builder()
                        .authentication_mode(AuthenticationMode::from(
                            m.authentication_mode.as_str(),
                        ))
                        .bootstrap_cluster_creator_admin_permissions(true)
                        .build(),
                )
                .set_tags(Some(all_tags.clone().into_iter().collect()))
                .send()
        })
        .await;
        match created {
            Ok(_) => {}
            Err(e) if aws::code(&e) == Some("ResourceInUseException") => {
                let existing = describe_cluster(&eks, &m.name).await?;
                let theirs: BTreeMap<String, String> = existing
                    .and_then(|c| c.tags().cloned())
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                tags::Existing {
                    what: "An EKS cluster",
                    resource_type: TYPE,
                    name: &m.name,
                    region: &region,
                    environment: &aws.environment,
                }
                .adopt(aws, Some(&theirs))?;
            }
            Err(e) => return Err(aws::error("eks:CreateCluster", &e).into()),
        }
        let mut known = req.planned.clone();
        known.set("node_role_arn", node_role.clone());
        known.set("node_group_names", Value::Map(BTreeMap::new()));
        known.set("addons", Value::Map(BTreeMap::new()));
        if let Some(remote) = describe(aws, &region, &m.name, &known).await? {
            req.save_partial(state(aws, &region, &remote, &known)?);
        }
        let cluster = wait_cluster(&eks, &m.name, limit, &req.stop).await?;
        if let Some(issuer) = cluster
            .identity()
            .and_then(|i| i.oidc())
            .and_then(|o| o.issuer())
        {
            let arn = cluster.arn().unwrap_or_default();
            let provider = iam::ensure_oidc_provider(
                &aws.iam(),
                partition,
                account_of(arn),
                issuer,
                &all_tags,
            )
            .await?;
            known.set("oidc_provider_arn", provider);
        }
        // The subnets' VPC, when EKS does not name it.
        let vpc = match cluster.resources_vpc_config().and_then(|v| v.vpc_id()) {
            Some(v) => v.to_owned(),
            None => crate::firewall::vpc_of(&aws.ec2(&region), &m.subnet_ids).await?,
        };
        known.set("vpc_id", vpc);
        if let Some(admins) = m.admin_principal_arns.as_ref().filter(|a| !a.is_empty()) {
            converge_admins(
                &eks,
                &m.name,
                partition,
                &admins.iter().cloned().collect(),
                &BTreeSet::new(),
            )
            .await?;
        }
        if let Some(remote) = describe(aws, &region, &m.name, &known).await? {
            req.save_partial(state(aws, &region, &remote, &known)?);
        }
        converge_groups(
            &eks,
            &m,
            &BTreeMap::new(),
            &node_role,
            &all_tags,
            limit,
            &req.stop,
        )
        .await?;
        known.set(
            "node_group_names",
            req.planned.get("node_group_names").clone(),
        );
        let k8s = cluster.version().unwrap_or_default().to_owned();
        converge_addons(
            &eks,
            &m.name,
            m.addons.as_ref(),
            false,
            &k8s,
            &BTreeMap::new(),
            &all_tags,
            limit,
            &req.stop,
        )
        .await?;
        known.set("addons", req.planned.get("addons").clone());
        let remote = describe(aws, &region, &m.name, &known)
            .await?
            .ok_or_else(|| gone(&m.name, "create"))?;
        state(aws, &region, &remote, &known)
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let Some(aws) = self.0.get() else {
            return Ok(Some(req.state.clone()));
        };
        let name = req
            .state
            .get("name")
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let region = aws
            .region_or_default(req.state.get("region").as_str())
            .to_owned();
        match describe(aws, &region, &name, &req.state).await? {
            Some(remote) => state(aws, &region, &remote, &req.state).map(Some),
            None => Ok(None),
        }
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m = model(&req.planned)?;
        let prior = model(&req.prior)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "update", Duration::from_secs(7200));
        let all_tags = tags::desired(
            aws,
            &aws.environment,
            TYPE,
            &m.name,
            &m.tags.clone().unwrap_or_default(),
        );
        let partition = aws::partition(&region);
        let eks = aws.eks(&region);
        let (_, node_role) = roles(aws, &m, &all_tags, partition).await?;
        let remote = describe(aws, &region, &m.name, &req.prior)
            .await?
            .ok_or_else(|| gone(&m.name, "update"))?;
        let c = &remote.cluster;
        let stop = req.stop.clone();

        // 1. Control-plane settings.
        let vpc = c.resources_vpc_config();
        // AWS reports no list when the endpoint is open to everyone.
        let mut cidrs_now: BTreeSet<String> = vpc
            .map(|v| v.public_access_cidrs().iter().cloned().collect())
            .unwrap_or_default();
        if cidrs_now.is_empty() {
            cidrs_now.insert("0.0.0.0/0".into());
        }
        let cidrs_want: BTreeSet<String> =
            m.public_access_cidrs.iter().flatten().cloned().collect();
        let access_changed = vpc.is_some_and(|v| {
            v.endpoint_public_access() != m.endpoint_public_access
                || v.endpoint_private_access() != m.endpoint_private_access
                || (!cidrs_want.is_empty() && cidrs_want != cidrs_now)
        });
        if access_changed {
            let out = eks
                .update_cluster_config()
                .name(&m.name)
                .resources_vpc_config(
                    VpcConfigRequest::builder()
                        .endpoint_public_access(m.endpoint_public_access)
                        .endpoint_private_access(m.endpoint_private_access)
                        .set_public_access_cidrs(m.public_access_cidrs.clone())
                        .build(),
                )
                .send()
                .await
                .map_err(aws::failed("eks:UpdateClusterConfig"))?;
            wait_update(&eks, &m.name, None, out.update(), limit, &stop).await?;
        }
        if m.log_types != prior.log_types {
            let out = eks
                .update_cluster_config()
                .name(&m.name)
                .logging(logging(&m.log_types.clone().unwrap_or_default()))
                .send()
                .await
                .map_err(aws::failed("eks:UpdateClusterConfig"))?;
            wait_update(&eks, &m.name, None, out.update(), limit, &stop).await?;
        }
        let mode_now = c
            .access_config()
            .and_then(|a| a.authentication_mode())
            .map_or(prior.authentication_mode.clone(), |m| m.as_str().to_owned());
        if !mode_now.is_empty() && m.authentication_mode != mode_now {
            let out = eks
                .update_cluster_config()
                .name(&m.name)
                .access_config(
                    aws_sdk_eks::types::UpdateAccessConfigRequest::builder()
                        .authentication_mode(AuthenticationMode::from(
                            m.authentication_mode.as_str(),
                        ))
                        .build(),
                )
                .send()
                .await
                .map_err(aws::failed("eks:UpdateClusterConfig"))?;
            wait_update(&eks, &m.name, None, out.update(), limit, &stop).await?;
        }
        if let (Some(key), None) = (&m.secrets_kms_key, &prior.secrets_kms_key) {
            let out = eks
                .associate_encryption_config()
                .cluster_name(&m.name)
                .encryption_config(
                    EncryptionConfig::builder()
                        .provider(Provider::builder().key_arn(key).build())
                        .build(),
                )
                .send()
                .await
                .map_err(aws::failed("eks:AssociateEncryptionConfig"))?;
            wait_update(&eks, &m.name, None, out.update(), limit, &stop).await?;
        }
        let want_admins: BTreeSet<String> =
            m.admin_principal_arns.iter().flatten().cloned().collect();
        let have_admins: BTreeSet<String> = prior
            .admin_principal_arns
            .iter()
            .flatten()
            .cloned()
            .collect();
        if want_admins != have_admins {
            converge_admins(&eks, &m.name, partition, &want_admins, &have_admins).await?;
        }
        let arn = c.arn().unwrap_or_default();
        let have_tags: BTreeMap<String, String> =
            c.tags().cloned().unwrap_or_default().into_iter().collect();
        let (remove, set) = tags::diff(&have_tags, &all_tags);
        if !remove.is_empty() {
            eks.untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(aws::failed("eks:UntagResource"))?;
        }
        if !set.is_empty() {
            eks.tag_resource()
                .resource_arn(arn)
                .set_tags(Some(set.into_iter().collect()))
                .send()
                .await
                .map_err(aws::failed("eks:TagResource"))?;
        }

        // 2. Version upgrade, and add-ons following it.
        let running = c.version().unwrap_or_default().to_owned();
        upgrade(&eks, &m, &running, &remote, &all_tags, limit, &stop).await?;

        // 3. Node groups.
        converge_groups(
            &eks,
            &m,
            &remote.groups,
            &node_role,
            &all_tags,
            limit,
            &stop,
        )
        .await?;

        let mut known = req.planned.clone();
        known.set("node_role_arn", node_role);
        known.set(
            "oidc_provider_arn",
            req.prior.get("oidc_provider_arn").clone(),
        );
        known.set("vpc_id", req.prior.get("vpc_id").clone());
        let remote = describe(aws, &region, &m.name, &known)
            .await?
            .ok_or_else(|| gone(&m.name, "update"))?;
        state(aws, &region, &remote, &known)
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let aws = self.0.require()?;
        let m = model(&req.prior)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.prior, "delete", Duration::from_secs(3600));
        let eks = aws.eks(&region);
        let stop = req.stop.clone();
        let remote = describe(aws, &region, &m.name, &req.prior).await?;
        if let Some(remote) = &remote {
            for name in remote.addons.keys() {
                delete_addon(&eks, &m.name, name).await?;
            }
            for name in remote.addons.keys() {
                wait_addon(&eks, &m.name, name, true, limit, &stop).await?;
            }
            for g in remote.groups.values() {
                delete_group(&eks, &m.name, g.nodegroup_name().unwrap_or_default()).await?;
            }
            for g in remote.groups.values() {
                wait_group(
                    &eks,
                    &m.name,
                    g.nodegroup_name().unwrap_or_default(),
                    true,
                    limit,
                    &stop,
                )
                .await?;
            }
            match eks.delete_cluster().name(&m.name).send().await {
                Ok(_) => {}
                Err(e) if not_found(&e) => {}
                Err(e) => return Err(aws::error("eks:DeleteCluster", &e).into()),
            }
            wait_cluster_gone(&eks, &m.name, limit, &stop).await?;
        }
        let iam_client = aws.iam();
        if let Some(arn) = &m.oidc_provider_arn {
            iam::delete_oidc_provider(&iam_client, arn).await?;
        }
        iam::delete_role(&iam_client, &format!("{}-node", m.name)).await?;
        if req
            .prior
            .get("role_arn")
            .as_str()
            .is_some_and(|r| r.ends_with(&format!(":role/{}-cluster", m.name)))
        {
            iam::delete_role(&iam_client, &format!("{}-cluster", m.name)).await?;
        }
        if let Some(vpc) = req.prior.get("vpc_id").as_str() {
            let left = leftovers(aws, &region, &m.name, vpc).await;
            if !left.is_empty() {
                req.warn(
                    "Objects left in the VPC by in-cluster controllers",
                    format!(
                        "The cluster is deleted, but these objects its controllers created remain in {vpc} and will block deleting the network:\n- {}\nDelete the Kubernetes Services/Ingresses of type LoadBalancer before destroying, or delete these objects.",
                        left.join("\n- ")
                    ),
                );
            }
        }
        let _ = partition_of;
        Ok(())
    }

    /// Import ID: the cluster name (`REGION:NAME` for another region).
    /// Node groups named `<key>-<hash>` are recognised by their key.
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let (region, name) = match req.id.split_once(':') {
            Some((r, n)) => (r.to_owned(), n.to_owned()),
            None => (aws.region.clone(), req.id.clone()),
        };
        let eks = aws.eks(&region);
        let cluster = describe_cluster(&eks, &name).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Cluster not found",
                format!("No EKS cluster {name:?} in {region}."),
            ))
        })?;
        let groups = eks
            .list_nodegroups()
            .cluster_name(&name)
            .send()
            .await
            .map_err(aws::failed("eks:ListNodegroups"))?;
        let names: BTreeMap<String, Value> = groups
            .nodegroups()
            .iter()
            .map(|g| {
                let key = g.rsplit_once('-').map_or(g.as_str(), |(k, _)| k);
                (key.to_owned(), Value::String(g.clone()))
            })
            .collect();
        let partition = partition_of(cluster.arn().unwrap_or_default()).to_owned();
        let account = account_of(cluster.arn().unwrap_or_default()).to_owned();
        let mut v = Value::null_object(&schema().ty());
        v.set("name", name.clone());
        v.set("region", region.clone());
        v.set("node_group_names", Value::Map(names));
        let subnets: Vec<String> = cluster
            .resources_vpc_config()
            .map(|c| c.subnet_ids().to_vec())
            .unwrap_or_default();
        let vpc = match cluster.resources_vpc_config().and_then(|c| c.vpc_id()) {
            Some(v) => Some(v.to_owned()),
            None if !subnets.is_empty() => {
                Some(crate::firewall::vpc_of(&aws.ec2(&region), &subnets).await?)
            }
            None => None,
        };
        v.set("vpc_id", vpc);
        v.set(
            "node_role_arn",
            format!("arn:{partition}:iam::{account}:role/{name}-node"),
        );
        if let Some(issuer) = cluster
            .identity()
            .and_then(|i| i.oidc())
            .and_then(|o| o.issuer())
        {
            let host = issuer.trim_start_matches("https://");
            v.set(
                "oidc_provider_arn",
                format!("arn:{partition}:iam::{account}:oidc-provider/{host}"),
            );
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests;
