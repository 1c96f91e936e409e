//! `onto_cluster`: an EKS cluster with its IAM roles, OIDC provider (for
//! IAM roles of service accounts), access entries for admins, managed node
//! groups and add-ons — one resource, applied in the order EKS needs
//! (`converge.rs`).
//!
//! - A node group's `desired_size` is where it starts: afterwards the
//!   cluster autoscaler owns it and the plan never fights it, yet raising
//!   `min_size` above the current size (or lowering `max_size` below it)
//!   moves it.
//! - A node group's immutable settings are part of its EKS name
//!   (`<key>-<hash>`): changing them creates the new group, waits until it
//!   is active, then deletes the old one.
//! - Waiting is health-aware: a DEGRADED add-on or a node group with
//!   health issues fails at once with AWS's issue list.
//! - The IAM roles are named for the region (IAM is global) and adopted,
//!   changed or deleted only under the ownership rule; one deleted outside
//!   Terraform is recreated by the next apply.

mod converge;
mod model;
mod plan;
mod schema;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eks::types::{
    AuthenticationMode, CreateAccessConfigRequest, EncryptionConfig, Provider, VpcConfigRequest,
};
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::plan::timeout;
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::Schema;
use tfplugin::value::Value;

use crate::aws::ec2;
use crate::aws::eks;
use crate::aws::iam;
use crate::aws::{self, Aws};
use crate::ownership::{key, Owner, SideObjects};
use crate::shared::Shared;
use crate::tags;
use converge::RoleNames;
use model::{account_of, partition_of, Model, Remote};

pub(crate) const TYPE: &str = "onto_cluster";
const DEFAULT_LOGS: [&str; 3] = ["api", "audit", "authenticator"];
const DEFAULT_ADDONS: [&str; 4] = ["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"];

pub struct ClusterResource(pub Shared);

/// Private state: the principals whose access entries existed before
/// onto granted them admin (never deleted by onto).
const ENTRIES_NOT_OURS: &str = "access_entries_not_ours";

fn owner_of(aws: &Aws, name: &str) -> Owner {
    aws.owner(TYPE, name, &aws.environment)
}

/// Reads the cluster, the node groups and add-ons `known` tracks, and the
/// roles it manages.
async fn describe(
    aws: &Aws,
    region: &str,
    known: &Model,
    roles: &RoleNames,
) -> Result<Option<Remote>> {
    let client = aws.eks(region);
    let Some(cluster) = eks::find_cluster(&client, &known.name).await? else {
        return Ok(None);
    };
    let mut groups = BTreeMap::new();
    for (key, eks_name) in known.node_group_names.iter().flatten() {
        if let Some(g) = eks::find_nodegroup(&client, &known.name, eks_name).await? {
            groups.insert(key.clone(), g);
        }
    }
    let mut addons = BTreeMap::new();
    for key in known.addons.iter().flat_map(|m| m.keys()) {
        if let Some(a) = eks::find_addon(&client, &known.name, key).await? {
            addons.insert(key.clone(), a);
        }
    }
    let admins = if known
        .admin_principal_arns
        .as_ref()
        .is_some_and(|a| !a.is_empty())
    {
        Some(eks::access_principals(&client, &known.name).await?)
    } else {
        None
    };
    Ok(Some(Remote {
        cluster,
        groups,
        addons,
        admins,
        roles: converge::existing_roles(aws, roles).await?,
    }))
}

fn state(aws: &Aws, region: &str, r: &Remote, known: &Model, known_value: &Value) -> Result<Value> {
    super::to_state(
        &r.observed(aws, region, known, known_value),
        &schema::schema(),
        known_value,
    )
}

fn gone(name: &str, during: &str) -> Diagnostics {
    Diagnostic::error(
        "Cluster not found",
        format!("{name} disappeared during {during}; plan again to recreate it."),
    )
    .into()
}

/// Identity: the name and region.
const IDENTITY: &[crate::identity::Part] =
    &[("name", true, "EKS cluster name."), crate::identity::REGION];

#[async_trait]
impl Resource for ClusterResource {
    fn type_name(&self) -> &str {
        TYPE
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        plan::check_config(config, diags);
    }

    async fn modify_plan(&self, req: &mut PlanRequest) -> Result<()> {
        match self.0.get() {
            Some(aws) => {
                crate::regions::check_plan(aws.skip_region_validation, &req.config)?;
                plan::modify(aws, req)
            }
            None => Ok(()),
        }
    }

    fn resumes_creates(&self) -> bool {
        true
    }

    async fn resumable(&self, req: &ApplyRequest) -> Result<bool> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.prior, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref());
        eks::can_finish(&aws.eks(region), &m.name).await
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.planned, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "create", Duration::from_secs(3600));
        let owner = owner_of(aws, &m.name);
        let all_tags = tags::all(aws, &owner, &m.tags.clone().unwrap_or_default());
        let partition = aws::partition(&region);
        let client = aws.eks(&region);
        // Who owns a cluster of this name decides before any role is made.
        let existing = eks::find_cluster(&client, &m.name).await?;
        if let Some(c) = &existing {
            eks::claim_cluster(&owner, &region, &m.name, Some(c))?;
        }
        let names = RoleNames::of(
            &m.name,
            &region,
            !req.config.get("role_arn").is_null(),
            &Model::default(),
        );
        let mut side = SideObjects::new(&owner);
        let (cluster_role, node_role) =
            converge::roles(aws, &m, &names, &all_tags, partition, &owner, &mut side).await?;
        side.save(&mut req.private);
        if existing.is_none() {
            let vpc_config = VpcConfigRequest::builder()
                .set_subnet_ids(Some(m.subnets()))
                .set_endpoint_public_access(m.endpoint_public_access)
                .set_endpoint_private_access(m.endpoint_private_access)
                .set_public_access_cidrs(m.public_access_cidrs.clone())
                .build();
            let encryption = m.secrets_kms_key.as_ref().map(|k| {
                vec![EncryptionConfig::builder()
                    .provider(Provider::builder().key_arn(k).build())
                    .build()]
            });
            let logging = eks::logging(&m.log_types.clone().unwrap_or_default());
            let access = CreateAccessConfigRequest::builder()
                .authentication_mode(AuthenticationMode::from(m.authentication_mode()))
                .bootstrap_cluster_creator_admin_permissions(true)
                .build();
            eks::create_cluster(
                &client,
                || {
                    client
                        .create_cluster()
                        .name(&m.name)
                        .set_version(m.kubernetes_version.clone())
                        .role_arn(&cluster_role)
                        .resources_vpc_config(vpc_config.clone())
                        .set_encryption_config(encryption.clone())
                        .logging(logging.clone())
                        .access_config(access.clone())
                        .set_tags(Some(all_tags.clone().into_iter().collect()))
                },
                &m.name,
                &region,
                &owner,
            )
            .await?;
        }
        let mut known = m.clone();
        known.node_role_arn = Some(node_role.clone());
        known.node_group_names = Some(BTreeMap::new());
        known.addons = Some(BTreeMap::new());
        let known_value = super::to_state(&known, &schema::schema(), &req.planned)?;
        if let Some(remote) = describe(aws, &region, &known, &names).await? {
            req.save_partial(state(aws, &region, &remote, &known, &known_value)?);
        }
        let cluster = eks::wait_cluster(&client, &m.name, limit, &req.stop).await?;
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
                &owner,
            )
            .await?;
            if provider.ours {
                side.record(key::oidc_provider(&provider.arn));
                side.save(&mut req.private);
            }
            known.oidc_provider_arn = Some(provider.arn);
        }
        // The subnets' VPC, when EKS does not name it.
        known.vpc_id = Some(
            match cluster.resources_vpc_config().and_then(|v| v.vpc_id()) {
                Some(v) => v.to_owned(),
                None => ec2::vpc_of(&aws.ec2(&region), &m.subnets()).await?,
            },
        );
        if let Some(admins) = m.admin_principal_arns.as_ref().filter(|a| !a.is_empty()) {
            let outcome = eks::converge_access(
                &client,
                &m.name,
                partition,
                &admins.iter().cloned().collect(),
                &BTreeSet::new(),
                &all_tags,
                &BTreeSet::new(),
            )
            .await?;
            req.private.set(ENTRIES_NOT_OURS, &outcome.found);
        }
        let known_value = super::to_state(&known, &schema::schema(), &req.planned)?;
        if let Some(remote) = describe(aws, &region, &known, &names).await? {
            req.save_partial(state(aws, &region, &remote, &known, &known_value)?);
        }
        converge::converge_groups(
            &client,
            &m,
            &BTreeMap::new(),
            &node_role,
            &all_tags,
            limit,
            &req.stop,
        )
        .await?;
        known.node_group_names = m.node_group_names.clone();
        let k8s = cluster.version().unwrap_or_default().to_owned();
        converge::converge_addons(
            &client,
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
        known.addons = m.addons.clone();
        let known_value = super::to_state(&known, &schema::schema(), &req.planned)?;
        let remote = describe(aws, &region, &known, &names)
            .await?
            .ok_or_else(|| gone(&m.name, "create"))?;
        state(aws, &region, &remote, &known, &known_value)
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let Some(aws) = self.0.get() else {
            return Ok(Some(req.state.clone()));
        };
        let known: Model = super::model(&req.state, TYPE)?;
        let region = aws.region_or_default(known.region.as_deref()).to_owned();
        let names = RoleNames::of(&known.name, &region, false, &known);
        match describe(aws, &region, &known, &names).await? {
            Some(remote) => {
                let tags: BTreeMap<String, String> = remote
                    .cluster
                    .tags()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                crate::ownership::settle_import(
                    &mut req.private,
                    &owner_of(aws, &known.name),
                    &tags,
                );
                state(aws, &region, &remote, &known, &req.state).map(Some)
            }
            None => Ok(None),
        }
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.planned, TYPE)?;
        let prior: Model = super::model(&req.prior, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "update", Duration::from_secs(7200));
        let owner = owner_of(aws, &m.name);
        let all_tags = tags::all(aws, &owner, &m.tags.clone().unwrap_or_default());
        let partition = aws::partition(&region);
        let client = aws.eks(&region);
        let names = RoleNames::of(
            &m.name,
            &region,
            !req.config.get("role_arn").is_null(),
            &prior,
        );
        let mut side = SideObjects::load(&req.private, &owner);
        let (_, node_role) =
            converge::roles(aws, &m, &names, &all_tags, partition, &owner, &mut side).await?;
        if let Some(arn) = &prior.oidc_provider_arn {
            let tags = iam::oidc_provider_tags(&aws.iam(), arn).await?;
            if side.is_ours(&key::oidc_provider(arn), tags.as_ref()) {
                side.record(key::oidc_provider(arn));
            }
        }
        side.save(&mut req.private);
        let remote = describe(aws, &region, &prior, &names)
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
        let (public, private) = (
            m.endpoint_public_access.unwrap_or(true),
            m.endpoint_private_access.unwrap_or(true),
        );
        let access_changed = vpc.is_some_and(|v| {
            v.endpoint_public_access() != public
                || v.endpoint_private_access() != private
                || (!cidrs_want.is_empty() && cidrs_want != cidrs_now)
        });
        if access_changed {
            let change = eks::ClusterChange::EndpointAccess {
                public,
                private,
                public_cidrs: m.public_access_cidrs.clone(),
            };
            eks::change_cluster(&client, &m.name, change, limit, &stop).await?;
        }
        if m.log_types != prior.log_types {
            let types = m.log_types.clone().unwrap_or_default();
            let change = eks::ClusterChange::Logging(&types);
            eks::change_cluster(&client, &m.name, change, limit, &stop).await?;
        }
        let mode_now = c
            .access_config()
            .and_then(|a| a.authentication_mode())
            .map_or(prior.authentication_mode().to_owned(), |m| {
                m.as_str().to_owned()
            });
        if !mode_now.is_empty() && m.authentication_mode() != mode_now {
            let change = eks::ClusterChange::AuthenticationMode(m.authentication_mode());
            eks::change_cluster(&client, &m.name, change, limit, &stop).await?;
        }
        if let (Some(key_arn), None) = (&m.secrets_kms_key, &prior.secrets_kms_key) {
            let change = eks::ClusterChange::SecretsKey(key_arn);
            eks::change_cluster(&client, &m.name, change, limit, &stop).await?;
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
            let mut not_ours: BTreeSet<String> =
                req.private.get(ENTRIES_NOT_OURS).unwrap_or_default();
            let outcome = eks::converge_access(
                &client,
                &m.name,
                partition,
                &want_admins,
                &have_admins,
                &all_tags,
                &not_ours,
            )
            .await?;
            not_ours.extend(outcome.found);
            not_ours.retain(|p| want_admins.contains(p));
            req.private.set(ENTRIES_NOT_OURS, &not_ours);
            if !outcome.kept.is_empty() {
                req.warn(
                    "Access entries kept",
                    format!("{} had access entries before onto made them admins: their cluster-admin policy was detached, the entries themselves are left in place.", outcome.kept.join(", ")),
                );
            }
        }
        let have_tags: BTreeMap<String, String> =
            c.tags().cloned().unwrap_or_default().into_iter().collect();
        eks::converge_tags(&client, c.arn().unwrap_or_default(), &have_tags, &all_tags).await?;

        // 2. Version upgrade, and add-ons following it.
        let running = c.version().unwrap_or_default().to_owned();
        converge::upgrade(&client, &m, &running, &remote, &all_tags, limit, &stop).await?;

        // 3. Node groups.
        converge::converge_groups(
            &client,
            &m,
            &remote.groups,
            &node_role,
            &all_tags,
            limit,
            &stop,
        )
        .await?;

        let mut known = m.clone();
        known.node_role_arn = Some(node_role);
        known.oidc_provider_arn = prior.oidc_provider_arn.clone();
        known.vpc_id = prior.vpc_id.clone();
        let known_value = super::to_state(&known, &schema::schema(), &req.planned)?;
        let remote = describe(aws, &region, &known, &names)
            .await?
            .ok_or_else(|| gone(&m.name, "update"))?;
        state(aws, &region, &remote, &known, &known_value)
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.prior, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.prior, "delete", Duration::from_secs(3600));
        let client = aws.eks(&region);
        let stop = req.stop.clone();
        let names = RoleNames::of(&m.name, &region, false, &m);
        if let Some(remote) = describe(aws, &region, &m, &names).await? {
            // Add-ons and node groups go side by side; the cluster after them.
            for name in remote.addons.keys() {
                eks::delete_addon(&client, &m.name, name).await?;
            }
            for g in remote.groups.values() {
                eks::delete_nodegroup(&client, &m.name, g.nodegroup_name().unwrap_or_default())
                    .await?;
            }
            for name in remote.addons.keys() {
                eks::wait_addon(&client, &m.name, name, true, limit, &stop).await?;
            }
            for g in remote.groups.values() {
                eks::wait_nodegroup(
                    &client,
                    &m.name,
                    g.nodegroup_name().unwrap_or_default(),
                    true,
                    limit,
                    &stop,
                )
                .await?;
            }
            eks::delete_cluster(&client, &m.name).await?;
            eks::wait_cluster_gone(&client, &m.name, limit, &stop).await?;
        }
        // What this resource made for the cluster, and nothing else.
        let side = SideObjects::load(&req.private, &owner_of(aws, &m.name));
        let iam_client = aws.iam();
        if let Some(arn) = &m.oidc_provider_arn {
            let tags = iam::oidc_provider_tags(&iam_client, arn).await?;
            if tags.is_some() && side.is_ours(&key::oidc_provider(arn), tags.as_ref()) {
                iam::delete_oidc_provider(&iam_client, arn).await?;
            }
        }
        iam::delete_role_if_ours(&iam_client, &names.node, &side).await?;
        if let Some(cluster_role) = &names.cluster {
            iam::delete_role_if_ours(&iam_client, cluster_role, &side).await?;
        }
        if let Some(vpc) = &m.vpc_id {
            let left = ec2::controller_leftovers(&aws.ec2(&region), &m.name, vpc).await;
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
        Ok(())
    }

    /// Import ID: the cluster name (`REGION:NAME` for another region).
    /// Node groups named `<key>-<hash>` are recognised by their key.
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let id = crate::identity::import_id(req, "name");
        let (region, name) = match id.split_once(':') {
            Some((r, n)) => (r.to_owned(), n.to_owned()),
            None => (aws.region.clone(), id.clone()),
        };
        let client = aws.eks(&region);
        let cluster = eks::find_cluster(&client, &name).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Cluster not found",
                format!("No EKS cluster {name:?} in {region}."),
            ))
        })?;
        let names: BTreeMap<String, String> = eks::nodegroup_names(&client, &name)
            .await?
            .into_iter()
            .map(|g| {
                let key = g.rsplit_once('-').map_or(g.as_str(), |(k, _)| k).to_owned();
                (key, g)
            })
            .collect();
        let arn = cluster.arn().unwrap_or_default();
        let (partition, account) = (partition_of(arn).to_owned(), account_of(arn).to_owned());
        let subnets: Vec<String> = cluster
            .resources_vpc_config()
            .map(|c| c.subnet_ids().to_vec())
            .unwrap_or_default();
        let vpc = match cluster.resources_vpc_config().and_then(|c| c.vpc_id()) {
            Some(v) => Some(v.to_owned()),
            None if !subnets.is_empty() => Some(ec2::vpc_of(&aws.ec2(&region), &subnets).await?),
            None => None,
        };
        // The node role: onto's name for it, or the role of a node group.
        let mut node_role = format!(
            "arn:{partition}:iam::{account}:role/{}",
            iam::role_name(&name, &region, "node")
        );
        if let Some(first) = names.values().next() {
            if let Some(g) = eks::find_nodegroup(&client, &name, first).await? {
                if let Some(r) = g.node_role() {
                    node_role = r.to_owned();
                }
            }
        }
        let oidc = cluster
            .identity()
            .and_then(|i| i.oidc())
            .and_then(|o| o.issuer())
            .map(|issuer| {
                let host = issuer.trim_start_matches("https://");
                format!("arn:{partition}:iam::{account}:oidc-provider/{host}")
            });
        let m = Model {
            name,
            region: Some(region),
            node_group_names: Some(names),
            vpc_id: vpc,
            node_role_arn: Some(node_role),
            oidc_provider_arn: oidc,
            ..Model::default()
        };
        super::to_state(&m, &schema::schema(), &Value::Null)
    }

    fn identity_schema(&self) -> Option<tfplugin::schema::IdentitySchema> {
        Some(crate::identity::schema(IDENTITY))
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        Some(crate::identity::of(state, IDENTITY))
    }
}

#[cfg(test)]
mod tests;
