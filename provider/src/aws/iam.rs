//! IAM: the roles onto creates for the services it runs (the EKS control
//! plane, nodes, the telemetry collector, S3 replication) and the
//! cluster's OIDC provider. IAM names are global to the account, so a
//! role's name carries the region (`<name>-<region>-<purpose>`), and a
//! role is adopted, changed or deleted only under the ownership rule.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_iam::types::Tag;
use serde_json::{json, Value as Json};
use tfplugin::diag::Result;

use super::{error, failed, is};
use crate::ownership::{key, Existing, Owner, SideObjects};

/// The longest IAM role name.
const ROLE_NAME_MAX: usize = 64;

/// The name of a role onto makes: `<base>-<region>-<purpose>`, shortened
/// with a hash of the whole when IAM's 64 characters would not hold it.
pub fn role_name(base: &str, region: &str, purpose: &str) -> String {
    let full = format!("{base}-{region}-{purpose}");
    if full.len() <= ROLE_NAME_MAX {
        return full;
    }
    let hash = crate::stack::short_hash(&full);
    let room = ROLE_NAME_MAX - purpose.len() - hash.len() - 2;
    let mut prefix: String = format!("{base}-{region}").chars().take(room).collect();
    while prefix.ends_with('-') {
        prefix.pop();
    }
    format!("{prefix}-{hash}-{purpose}")
}

/// The role name of an ARN (`arn:aws:iam::123:role/path/NAME`).
pub fn role_name_of(arn: &str) -> Option<&str> {
    arn.rsplit_once('/')
        .map(|(_, n)| n)
        .filter(|n| !n.is_empty())
}

/// A role to create or converge.
pub struct RoleSpec<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub trust: Json,
    /// AWS managed policy names (`AmazonEKSClusterPolicy`, ...).
    pub managed: &'a [&'a str],
    pub tags: &'a BTreeMap<String, String>,
}

/// Trust for an AWS service principal, e.g. `eks.amazonaws.com`.
pub fn service_trust(service: &str) -> Json {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole",
        }],
    })
}

/// The issuer host and path of an OIDC provider ARN
/// (`arn:aws:iam::123:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC`).
pub fn issuer_of(provider_arn: &str) -> Option<&str> {
    provider_arn.split_once(":oidc-provider/").map(|(_, i)| i)
}

/// Trust for one Kubernetes service account through the cluster's OIDC
/// provider (IAM roles for service accounts).
pub fn service_account_trust(provider_arn: &str, namespace: &str, account: &str) -> Json {
    let issuer = issuer_of(provider_arn).unwrap_or_default();
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Federated": provider_arn },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": { "StringEquals": {
                format!("{issuer}:sub"): format!("system:serviceaccount:{namespace}:{account}"),
                format!("{issuer}:aud"): "sts.amazonaws.com",
            }},
        }],
    })
}

fn managed_arn(partition: &str, name: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/{name}")
}

fn iam_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// A role as IAM holds it.
pub struct Role {
    pub arn: String,
    pub trust: Json,
    pub tags: BTreeMap<String, String>,
}

/// The role; `None` when it does not exist.
pub async fn find_role(iam: &aws_sdk_iam::Client, name: &str) -> Result<Option<Role>> {
    match iam.get_role().role_name(name).send().await {
        Ok(out) => Ok(out.role().map(|r| Role {
            arn: r.arn().to_owned(),
            trust: r
                .assume_role_policy_document()
                .and_then(decode_policy)
                .unwrap_or_default(),
            tags: r
                .tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect(),
        })),
        Err(e) if is(&e, &["NoSuchEntity"]) => Ok(None),
        Err(e) => Err(error("iam:GetRole", &e).into()),
    }
}

/// Creates the role, or — when one of that name is this resource's
/// (recorded in `side`, or tagged by this stack) — converges its trust and
/// managed policies. A role of that name that belongs to anyone else is
/// refused before it is touched. Returns its ARN.
pub async fn ensure_role(
    iam: &aws_sdk_iam::Client,
    partition: &str,
    spec: &RoleSpec<'_>,
    owner: &Owner,
    side: &mut SideObjects,
) -> Result<String> {
    let trust = spec.trust.to_string();
    let k = key::role(spec.name);
    let arn = match find_role(iam, spec.name).await? {
        Some(role) => {
            if !side.is_ours(&k, Some(&role.tags)) && !owner.made(&role.tags) {
                owner.adopt(&Existing {
                    what: "An IAM role",
                    id: spec.name,
                    region: "global",
                    tags: Some(&role.tags),
                    import_id: None,
                    attribute: "name",
                })?;
            }
            if role.trust != spec.trust {
                iam.update_assume_role_policy()
                    .role_name(spec.name)
                    .policy_document(&trust)
                    .send()
                    .await
                    .map_err(failed("iam:UpdateAssumeRolePolicy"))?;
            }
            role.arn
        }
        None => match iam
            .create_role()
            .role_name(spec.name)
            .description(spec.description)
            .assume_role_policy_document(&trust)
            .set_tags(Some(iam_tags(spec.tags)))
            .send()
            .await
        {
            Ok(out) => out.role().map(|r| r.arn().to_owned()).unwrap_or_default(),
            // A retry of a create whose response was lost, or a race.
            Err(e) if is(&e, &["EntityAlreadyExists"]) => {
                return Box::pin(ensure_role(iam, partition, spec, owner, side)).await;
            }
            Err(e) => return Err(error("iam:CreateRole", &e).into()),
        },
    };
    side.record(k);
    let attached: BTreeSet<String> = iam
        .list_attached_role_policies()
        .role_name(spec.name)
        .send()
        .await
        .map_err(failed("iam:ListAttachedRolePolicies"))?
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect();
    let wanted: BTreeSet<String> = spec
        .managed
        .iter()
        .map(|n| managed_arn(partition, n))
        .collect();
    for arn in wanted.difference(&attached) {
        iam.attach_role_policy()
            .role_name(spec.name)
            .policy_arn(arn)
            .send()
            .await
            .map_err(failed("iam:AttachRolePolicy"))?;
    }
    for arn in attached.difference(&wanted) {
        iam.detach_role_policy()
            .role_name(spec.name)
            .policy_arn(arn)
            .send()
            .await
            .map_err(failed("iam:DetachRolePolicy"))?;
    }
    Ok(arn)
}

/// Deletes the role when it is this resource's; anyone else's is left.
pub async fn delete_role_if_ours(
    iam: &aws_sdk_iam::Client,
    name: &str,
    side: &SideObjects,
) -> Result<()> {
    let Some(role) = find_role(iam, name).await? else {
        return Ok(());
    };
    if !side.is_ours(&key::role(name), Some(&role.tags)) {
        tracing::info!(role = name, "leaving a role this resource did not create");
        return Ok(());
    }
    delete_role(iam, name).await
}

/// A policy document as IAM returns it (URL-encoded JSON).
pub fn decode_policy(doc: &str) -> Option<Json> {
    serde_json::from_str(&urlencoding_decode(doc)?).ok()
}

/// IAM returns policy documents URL-encoded.
fn urlencoding_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Sets an inline policy on a role (idempotent).
pub async fn put_inline_policy(
    iam: &aws_sdk_iam::Client,
    role: &str,
    name: &str,
    document: &Json,
) -> Result<()> {
    iam.put_role_policy()
        .role_name(role)
        .policy_name(name)
        .policy_document(document.to_string())
        .send()
        .await
        .map_err(failed("iam:PutRolePolicy"))?;
    Ok(())
}

/// Removes every policy and deletes the role; a missing role is fine.
async fn delete_role(iam: &aws_sdk_iam::Client, name: &str) -> Result<()> {
    if let Ok(out) = iam.list_role_policies().role_name(name).send().await {
        for policy in out.policy_names() {
            iam.delete_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await
                .map_err(failed("iam:DeleteRolePolicy"))?;
        }
    }
    let attached = match iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
    {
        Ok(out) => out.attached_policies().to_vec(),
        Err(e) if is(&e, &["NoSuchEntity"]) => return Ok(()),
        Err(e) => return Err(error("iam:ListAttachedRolePolicies", &e).into()),
    };
    for p in attached {
        if let Some(arn) = p.policy_arn() {
            iam.detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(failed("iam:DetachRolePolicy"))?;
        }
    }
    match iam.delete_role().role_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["NoSuchEntity"]) => Ok(()),
        Err(e) => Err(error("iam:DeleteRole", &e).into()),
    }
}

/// The role's ARN once IAM can hand it to another service: a new role
/// takes a few seconds to be assumable, and services refuse it until then.
pub async fn settle<T, E, F, Fut>(
    call: F,
) -> std::result::Result<
    T,
    aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: std::future::Future<
        Output = std::result::Result<
            T,
            aws_smithy_runtime_api::client::result::SdkError<
                E,
                aws_smithy_runtime_api::client::orchestrator::HttpResponse,
            >,
        >,
    >,
{
    super::retry_eventual(
        &["InvalidParameterException"],
        Duration::from_secs(120),
        call,
    )
    .await
}

/// An OIDC provider for a cluster's issuer.
pub struct OidcProvider {
    pub arn: String,
    /// Made by `owner` (now, or by an earlier create whose response was
    /// lost). One made by anyone else for the same issuer — there can be
    /// only one per issuer — is used but never deleted.
    pub ours: bool,
}

/// Creates the OIDC provider for an issuer URL, or finds the one that
/// exists.
pub async fn ensure_oidc_provider(
    iam: &aws_sdk_iam::Client,
    partition: &str,
    account: &str,
    issuer: &str,
    tags: &BTreeMap<String, String>,
    owner: &Owner,
) -> Result<OidcProvider> {
    let host_path = issuer.trim_start_matches("https://").trim_end_matches('/');
    let arn = format!("arn:{partition}:iam::{account}:oidc-provider/{host_path}");
    match iam
        .create_open_id_connect_provider()
        .url(issuer)
        .client_id_list("sts.amazonaws.com")
        .set_tags(Some(iam_tags(tags)))
        .send()
        .await
    {
        Ok(out) => Ok(OidcProvider {
            arn: out
                .open_id_connect_provider_arn()
                .map(str::to_owned)
                .unwrap_or(arn),
            ours: true,
        }),
        Err(e) if is(&e, &["EntityAlreadyExists"]) => {
            let tags = oidc_provider_tags(iam, &arn).await?;
            let ours = tags.as_ref().is_some_and(|t| owner.made(t));
            if !ours {
                tracing::info!(%arn, "an OIDC provider for this issuer exists and is not this stack's; using it as it is");
            }
            Ok(OidcProvider { arn, ours })
        }
        Err(e) => Err(error("iam:CreateOpenIDConnectProvider", &e).into()),
    }
}

/// The provider's tags; `None` when it does not exist.
pub async fn oidc_provider_tags(
    iam: &aws_sdk_iam::Client,
    arn: &str,
) -> Result<Option<BTreeMap<String, String>>> {
    match iam
        .list_open_id_connect_provider_tags()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
    {
        Ok(out) => Ok(Some(
            out.tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect(),
        )),
        Err(e) if is(&e, &["NoSuchEntity"]) => Ok(None),
        Err(e) => Err(error("iam:ListOpenIDConnectProviderTags", &e).into()),
    }
}

pub async fn delete_oidc_provider(iam: &aws_sdk_iam::Client, arn: &str) -> Result<()> {
    match iam
        .delete_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is(&e, &["NoSuchEntity"]) => Ok(()),
        Err(e) => Err(error("iam:DeleteOpenIDConnectProvider", &e).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_account_trust_is_scoped_to_one_account() {
        let arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC";
        assert_eq!(
            issuer_of(arn),
            Some("oidc.eks.eu-west-1.amazonaws.com/id/ABC")
        );
        let t = service_account_trust(arn, "opentelemetry", "collector");
        let cond = &t["Statement"][0]["Condition"]["StringEquals"];
        assert_eq!(
            cond["oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub"],
            "system:serviceaccount:opentelemetry:collector"
        );
        assert_eq!(
            cond["oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud"],
            "sts.amazonaws.com"
        );
    }

    #[test]
    fn policy_documents_are_url_decoded() {
        assert_eq!(
            urlencoding_decode("%7B%22a%22%3A1%7D").as_deref(),
            Some("{\"a\":1}")
        );
        assert_eq!(urlencoding_decode("{}").as_deref(), Some("{}"));
        assert_eq!(urlencoding_decode("%zz"), None);
    }
}
