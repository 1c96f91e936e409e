//! `onto_cluster`'s schema and its attribute checks.

use tfplugin::diag::Diagnostics;
use tfplugin::plan::modifiers::RequiresReplaceIf;
use tfplugin::schema::{Attribute, Block, Nesting, Schema};
use tfplugin::validate::{int_between, one_of, Validator};
use tfplugin::value::{AttributePath, Type, Value};

use super::model::minor;
use crate::aws::eks::{self, parse_taint};
use crate::validators;

/// `key=value:Effect` or `key:Effect` (kubectl's syntax).
pub struct Taints;

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

/// `1.31`-style Kubernetes versions.
pub struct KubernetesVersion;

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

fn node_group_attributes() -> Vec<Attribute> {
    vec![
        Attribute::new("instance_types", Type::list(Type::String)).required().describe("Instance types; several give spot capacity more pools to draw from."),
        Attribute::string("capacity_type").default("ON_DEMAND").validate(one_of(&["ON_DEMAND", "SPOT"])).describe("`ON_DEMAND` (default) or `SPOT`."),
        Attribute::number("min_size").required().validate(int_between(0, 1000)).describe("Fewest nodes."),
        Attribute::number("max_size").required().validate(int_between(1, 1000)).describe("Most nodes."),
        Attribute::number("desired_size").optional().validate(int_between(0, 1000)).describe("Nodes at creation; afterwards the cluster autoscaler decides (never reset by a plan)."),
        Attribute::number("disk_size").default(50).validate(int_between(20, 16_384)).describe("Root volume GiB. Default 50."),
        Attribute::string("ami_type").default("AL2023_x86_64_STANDARD").validate(one_of(super::plan::AMI_TYPES)).describe("EKS AMI type. Default `AL2023_x86_64_STANDARD`; an `ARM_64` type takes Graviton instance types."),
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

pub fn schema() -> Schema {
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
            .attribute(Attribute::new("log_types", Type::set(Type::String)).optional().computed().validate(one_of(&eks::LOG_TYPES)).describe("Control-plane logs sent to CloudWatch: `api`, `audit`, `authenticator`, `controllerManager`, `scheduler`. Default the first three."))
            .attribute(Attribute::string("authentication_mode").default("API").validate(one_of(&["API", "API_AND_CONFIG_MAP", "CONFIG_MAP"])).describe("`API` (access entries, default), `API_AND_CONFIG_MAP` or `CONFIG_MAP`."))
            .attribute(Attribute::new("admin_principal_arns", Type::set(Type::String)).optional().describe("IAM principals given cluster-admin through access entries."))
            .attribute(Attribute::string("role_arn").optional().computed().requires_replace().use_state_for_unknown().describe("Cluster IAM role; one named `<name>-<region>-cluster` is created when unset."))
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
            .attribute(Attribute::string("node_role_arn").computed().use_state_for_unknown().describe("IAM role of the nodes (`<name>-<region>-node`)."))
            .attribute(Attribute::new("role_names", Type::map(Type::String)).computed().describe("The IAM roles this resource manages that exist, by purpose (`cluster`, `node`). A role deleted outside Terraform is missing here after a refresh, and the plan recreates it."))
            .attribute(Attribute::new("node_group_names", Type::map(Type::String)).computed().describe("EKS name of each node group (`<key>-<hash of its immutable settings>`)."))
            .timeouts(&["create", "update", "delete"]),
    )
}
