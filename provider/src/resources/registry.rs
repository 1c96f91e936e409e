//! `onto_registry`: an ECR repository with scanning, encryption, structured
//! lifecycle rules, pull access for other accounts, and tags.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability,
    Repository, Tag,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::{Attribute, Block, IdentityAttribute, IdentitySchema, NestedBlock, Schema};
use tfplugin::validate::{int_between, one_of};
use tfplugin::value::{typed, AttributePath, Type, Value};

use crate::aws::{self, Aws};
use crate::provider::Shared;
use crate::{tags, validators};

const TYPE: &str = "onto_registry";

pub struct Registry(pub Shared);

// ---- schema ----------------------------------------------------------------

fn schema() -> Schema {
    let rule = Block::new()
        .describe("One lifecycle rule. Rules apply in the order written; AWS's own ordering never shows as a diff.")
        .attribute(Attribute::string("description").optional())
        .attribute(Attribute::string("tag_status").required().validate(one_of(&["tagged", "untagged", "any"])).describe("Which images the rule selects: `tagged` (with `tag_prefixes`), `untagged` or `any`. An `any` rule must come last."))
        .attribute(Attribute::new("tag_prefixes", Type::list(Type::String)).optional().describe("Tag prefixes a `tagged` rule selects."))
        .attribute(Attribute::number("keep_last").optional().validate(int_between(1, 10_000)).describe("Keep only the newest N selected images."))
        .attribute(Attribute::number("expire_after_days").optional().validate(int_between(1, 36_500)).describe("Expire selected images this many days after push."));
    Schema::new(
        Block::new()
            .describe("An ECR repository for the platform's container images: immutable tags, scan on push and encryption by default, lifecycle rules written as structured rules, and pull access for other accounts.")
            .attribute(Attribute::string("name").required().requires_replace().validate(validators::ecr_repository_name()).describe("Repository name, e.g. `onto/editor-api`. Changing it replaces the repository."))
            .attribute(Attribute::string("region").optional().computed().requires_replace().use_state_for_unknown().validate(validators::region()).describe("Region of the repository; defaults to the provider's. Changing it replaces the repository."))
            .attribute(Attribute::string("image_tag_mutability").default("IMMUTABLE").validate(one_of(&["MUTABLE", "IMMUTABLE"])).describe("`IMMUTABLE` (default) or `MUTABLE`."))
            .attribute(Attribute::bool("scan_on_push").default(true).describe("Scan images for vulnerabilities when pushed. Default true."))
            .attribute(Attribute::string("encryption_type").default("AES256").requires_replace().validate(one_of(&["AES256", "KMS"])).describe("`AES256` (default) or `KMS`. Changing it replaces the repository."))
            .attribute(Attribute::string("kms_key").optional().computed().requires_replace().use_state_for_unknown().validate(validators::kms_key_arn()).describe("KMS key ARN when `encryption_type = \"KMS\"`; AWS's managed key when omitted."))
            .attribute(Attribute::new("pull_account_ids", Type::set(Type::String)).optional().validate(validators::account_id()).describe("Other AWS accounts allowed to pull images (the repository policy)."))
            .attribute(Attribute::bool("force_delete").default(false).describe("Delete the repository even if it holds images. Refused in prod unless `allow_prod_force_delete` is set."))
            .attribute(Attribute::bool("allow_prod_force_delete").default(false).describe("Explicit override that permits `force_delete` in the prod environment."))
            .attribute(Attribute::new("tags", Type::map(Type::String)).optional().validate(validators::TagKeys).describe("Tags for the repository."))
            .attribute(Attribute::new("tags_all", Type::map(Type::String)).computed().describe("All tags: provider `default_tags`, `tags`, `onto:environment` and the ownership tag `onto:owner`."))
            .attribute(Attribute::string("arn").computed().use_state_for_unknown().describe("Repository ARN."))
            .attribute(Attribute::string("registry_id").computed().use_state_for_unknown().describe("The registry (account) id."))
            .attribute(Attribute::string("repository_url").computed().use_state_for_unknown().describe("URL to push and pull images: `<account>.dkr.ecr.<region>.amazonaws.com/<name>`."))
            .block(NestedBlock::list("lifecycle_rule", rule).max_items(100)),
    )
}

// ---- model -----------------------------------------------------------------

#[derive(Deserialize)]
struct Model {
    name: String,
    region: Option<String>,
    image_tag_mutability: Option<String>,
    scan_on_push: Option<bool>,
    encryption_type: Option<String>,
    kms_key: Option<String>,
    pull_account_ids: Option<Vec<String>>,
    tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    lifecycle_rule: Vec<Rule>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
struct Rule {
    description: Option<String>,
    tag_status: String,
    tag_prefixes: Option<Vec<String>>,
    keep_last: Option<i64>,
    expire_after_days: Option<i64>,
}

fn model(v: &Value) -> Result<Model> {
    typed::from_value(v)
        .map_err(|e| Diagnostic::error("Invalid onto_registry value", e.to_string()).into())
}

/// What AWS holds for one repository.
struct Remote {
    repo: Repository,
    rules: Vec<Rule>,
    pull_accounts: Vec<String>,
    tags: BTreeMap<String, String>,
}

// ---- lifecycle policy and repository policy documents ------------------------

fn lifecycle_policy(rules: &[Rule]) -> String {
    let rules: Vec<_> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut selection = json!({ "tagStatus": r.tag_status });
            if let Some(p) = &r.tag_prefixes {
                selection["tagPrefixList"] = json!(p);
            }
            if let Some(n) = r.keep_last {
                selection["countType"] = json!("imageCountMoreThan");
                selection["countNumber"] = json!(n);
            } else if let Some(d) = r.expire_after_days {
                selection["countType"] = json!("sinceImagePushed");
                selection["countUnit"] = json!("days");
                selection["countNumber"] = json!(d);
            }
            let mut rule = json!({ "rulePriority": i + 1, "selection": selection, "action": { "type": "expire" } });
            if let Some(d) = &r.description {
                rule["description"] = json!(d);
            }
            rule
        })
        .collect();
    json!({ "rules": rules }).to_string()
}

/// Rules from a policy document, in priority order (however AWS orders them).
fn parse_lifecycle_policy(text: &str) -> Vec<Rule> {
    let doc: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let mut rules: Vec<(i64, Rule)> = doc["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let sel = &r["selection"];
            let count = sel["countNumber"].as_i64();
            let by_count = sel["countType"] == "imageCountMoreThan";
            (
                r["rulePriority"].as_i64().unwrap_or(i64::MAX),
                Rule {
                    description: r["description"].as_str().map(str::to_owned),
                    tag_status: sel["tagStatus"].as_str().unwrap_or("any").to_owned(),
                    tag_prefixes: sel["tagPrefixList"].as_array().map(|a| {
                        a.iter()
                            .filter_map(|p| p.as_str().map(str::to_owned))
                            .collect()
                    }),
                    keep_last: if by_count { count } else { None },
                    expire_after_days: if by_count { None } else { count },
                },
            )
        })
        .collect();
    rules.sort_by_key(|(p, _)| *p);
    rules.into_iter().map(|(_, r)| r).collect()
}

const PULL_SID: &str = "onto-pull";

fn repository_policy(accounts: &[String], partition: &str) -> String {
    let principals: Vec<String> = accounts
        .iter()
        .map(|a| format!("arn:{partition}:iam::{a}:root"))
        .collect();
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": PULL_SID,
            "Effect": "Allow",
            "Principal": { "AWS": principals },
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
        }],
    })
    .to_string()
}

/// Account ids allowed by our statement (AWS may rewrite ARNs as ids).
fn parse_pull_accounts(text: &str) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let mut out: Vec<String> = doc["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["Sid"] == PULL_SID)
        .flat_map(|s| match &s["Principal"]["AWS"] {
            serde_json::Value::String(p) => vec![p.clone()],
            serde_json::Value::Array(ps) => ps
                .iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect(),
            _ => vec![],
        })
        .map(|p| p.split(':').nth(4).map_or(p.clone(), str::to_owned))
        .collect();
    out.sort();
    out.dedup();
    out
}

// ---- AWS calls ---------------------------------------------------------------

fn ecr_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

async fn describe(aws: &Aws, region: &str, name: &str) -> Result<Option<Remote>> {
    let ecr = aws.ecr(region);
    let found = match ecr
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
    {
        Ok(out) => out.repositories().first().cloned(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_repository_not_found_exception()) =>
        {
            None
        }
        Err(e) => return Err(aws::error("ecr:DescribeRepositories", &e).into()),
    };
    let Some(repo) = found else { return Ok(None) };
    let rules = match ecr
        .get_lifecycle_policy()
        .repository_name(name)
        .send()
        .await
    {
        Ok(out) => parse_lifecycle_policy(out.lifecycle_policy_text().unwrap_or("{}")),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_lifecycle_policy_not_found_exception()) =>
        {
            Vec::new()
        }
        Err(e) => return Err(aws::error("ecr:GetLifecyclePolicy", &e).into()),
    };
    let pull_accounts = match ecr
        .get_repository_policy()
        .repository_name(name)
        .send()
        .await
    {
        Ok(out) => parse_pull_accounts(out.policy_text().unwrap_or("{}")),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_repository_policy_not_found_exception()) =>
        {
            Vec::new()
        }
        Err(e) => return Err(aws::error("ecr:GetRepositoryPolicy", &e).into()),
    };
    let arn = repo.repository_arn().unwrap_or_default();
    let tags = ecr
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| aws::error("ecr:ListTagsForResource", &e))?
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    Ok(Some(Remote {
        repo,
        rules,
        pull_accounts,
        tags,
    }))
}

fn partition_of(arn: &str) -> &str {
    arn.split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

/// Brings mutable settings of an existing repository to `m`, touching only
/// what differs from `remote`.
async fn converge(aws: &Aws, region: &str, m: &Model, remote: &Remote) -> Result<()> {
    let ecr = aws.ecr(region);
    let name = m.name.as_str();
    let mutability = m.image_tag_mutability.as_deref().unwrap_or("IMMUTABLE");
    if remote.repo.image_tag_mutability().map(|x| x.as_str()) != Some(mutability) {
        ecr.put_image_tag_mutability()
            .repository_name(name)
            .image_tag_mutability(ImageTagMutability::from(mutability))
            .send()
            .await
            .map_err(|e| aws::error("ecr:PutImageTagMutability", &e))?;
    }
    let scan = m.scan_on_push.unwrap_or(true);
    if remote
        .repo
        .image_scanning_configuration()
        .map(|c| c.scan_on_push())
        != Some(scan)
    {
        ecr.put_image_scanning_configuration()
            .repository_name(name)
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(scan)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| aws::error("ecr:PutImageScanningConfiguration", &e))?;
    }
    if m.lifecycle_rule != remote.rules {
        if m.lifecycle_rule.is_empty() {
            ecr.delete_lifecycle_policy()
                .repository_name(name)
                .send()
                .await
                .map_err(|e| aws::error("ecr:DeleteLifecyclePolicy", &e))?;
        } else {
            ecr.put_lifecycle_policy()
                .repository_name(name)
                .lifecycle_policy_text(lifecycle_policy(&m.lifecycle_rule))
                .send()
                .await
                .map_err(|e| aws::error("ecr:PutLifecyclePolicy", &e))?;
        }
    }
    let mut want: Vec<String> = m.pull_account_ids.clone().unwrap_or_default();
    want.sort();
    if want != remote.pull_accounts {
        if want.is_empty() {
            ecr.delete_repository_policy()
                .repository_name(name)
                .send()
                .await
                .map_err(|e| aws::error("ecr:DeleteRepositoryPolicy", &e))?;
        } else {
            let policy = repository_policy(
                &want,
                partition_of(remote.repo.repository_arn().unwrap_or_default()),
            );
            // A brand-new account principal can take a moment to be accepted.
            aws::retry_eventual(
                &["InvalidParameterException"],
                std::time::Duration::from_secs(30),
                || {
                    ecr.set_repository_policy()
                        .repository_name(name)
                        .policy_text(policy.clone())
                        .send()
                },
            )
            .await
            .map_err(|e| aws::error("ecr:SetRepositoryPolicy", &e))?;
        }
    }
    let desired = tags::desired(
        aws,
        &aws.environment,
        TYPE,
        name,
        &m.tags.clone().unwrap_or_default(),
    );
    let (remove, set) = tags::diff(&remote.tags, &desired);
    let arn = remote.repo.repository_arn().unwrap_or_default();
    if !remove.is_empty() {
        ecr.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| aws::error("ecr:UntagResource", &e))?;
    }
    if !set.is_empty() {
        ecr.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(ecr_tags(&set)))
            .send()
            .await
            .map_err(|e| aws::error("ecr:TagResource", &e))?;
    }
    Ok(())
}

/// The state value for what AWS holds. Attributes AWS does not store
/// (`force_delete`, the override) come from `known`, the plan or prior state.
fn state(aws: &Aws, region: &str, r: &Remote, known: &Value) -> Result<Value> {
    let user_tags: BTreeMap<String, String> = typed::from_value(known.get("tags"))
        .ok()
        .flatten()
        .unwrap_or_default();
    let repo = &r.repo;
    let enc = repo.encryption_configuration();
    let mut pull = r.pull_accounts.clone();
    pull.sort();
    let view = tags::user_view(aws, &user_tags, &r.tags);
    let user_tags_view = if view.is_empty() && known.get("tags").is_null() {
        None
    } else {
        Some(view)
    };
    let value = json!({
        "name": repo.repository_name(),
        "region": region,
        "image_tag_mutability": repo.image_tag_mutability().map(|m| m.as_str().to_owned()).unwrap_or_else(|| "MUTABLE".into()),
        "scan_on_push": repo.image_scanning_configuration().is_some_and(|c| c.scan_on_push()),
        "encryption_type": enc.map_or("AES256", |e| e.encryption_type().as_str()),
        "kms_key": enc.and_then(|e| e.kms_key()),
        "pull_account_ids": if pull.is_empty() && known.get("pull_account_ids").is_null() { None } else { Some(pull) },
        "force_delete": known.get("force_delete").as_bool().unwrap_or(false),
        "allow_prod_force_delete": known.get("allow_prod_force_delete").as_bool().unwrap_or(false),
        "tags": user_tags_view,
        "tags_all": r.tags,
        "arn": repo.repository_arn(),
        "registry_id": repo.registry_id(),
        "repository_url": repo.repository_uri(),
        "lifecycle_rule": r.rules,
    });
    typed::to_value(&value, &schema().ty())
        .map_err(|e| Diagnostic::error("Internal error", e.to_string()).into())
}

// ---- plan rules --------------------------------------------------------------

fn check_rules(config: &Value, diags: &mut Diagnostics) {
    let Some(rules) = config.get("lifecycle_rule").elements() else {
        return;
    };
    let last = rules.len().saturating_sub(1);
    for (i, r) in rules.iter().enumerate() {
        let p = AttributePath::attr("lifecycle_rule").push_index(i);
        let (keep, days) = (r.get("keep_last"), r.get("expire_after_days"));
        if !keep.is_unknown() && !days.is_unknown() && keep.is_null() == days.is_null() {
            diags.error_at(
                p.clone(),
                "Contradictory lifecycle rule",
                "Set exactly one of keep_last or expire_after_days.",
            );
        }
        let prefixes = r.get("tag_prefixes");
        match r.get("tag_status").as_str() {
            Some("tagged")
                if prefixes.is_null() || prefixes.elements().is_some_and(<[Value]>::is_empty) =>
            {
                diags.error_at(
                    p.push_attr("tag_prefixes"),
                    "Missing tag prefixes",
                    "A rule with tag_status = \"tagged\" needs tag_prefixes.",
                );
            }
            Some("untagged" | "any") if !prefixes.is_null() => {
                diags.error_at(
                    p.push_attr("tag_prefixes"),
                    "Unexpected tag prefixes",
                    "Only a rule with tag_status = \"tagged\" takes tag_prefixes.",
                );
            }
            Some("any") if i != last => {
                diags.error_at(
                    p.push_attr("tag_status"),
                    "Misplaced rule",
                    "A rule with tag_status = \"any\" must be the last rule.",
                );
            }
            _ => {}
        }
    }
}

// ---- create / read / update / delete ------------------------------------------

#[async_trait]
impl Resource for Registry {
    fn type_name(&self) -> &str {
        TYPE
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check_rules(config, diags);
        if config.get("encryption_type").as_str() != Some("KMS")
            && config.get("kms_key").as_str().is_some()
        {
            diags.error_at(
                AttributePath::attr("kms_key"),
                "KMS key without KMS encryption",
                "Set encryption_type = \"KMS\" to use kms_key.",
            );
        }
    }

    async fn modify_plan(&self, req: &mut PlanRequest) -> Result<()> {
        let Some(aws) = self.0.get() else {
            return Ok(());
        };
        let subject = if req.plan.is_null() {
            &req.prior
        } else {
            &req.plan
        };
        let force = subject.get("force_delete").as_bool() == Some(true);
        let allowed = subject.get("allow_prod_force_delete").as_bool() == Some(true);
        if aws.is_prod() && force && !allowed {
            return Err(Diagnostic::error(
                "force_delete refused in prod",
                "force_delete would delete every image in this prod repository. Set allow_prod_force_delete = true to confirm.",
            )
            .at(AttributePath::attr("force_delete"))
            .into());
        }
        if req.plan.is_null() {
            return Ok(());
        }
        if !req.prior.is_null()
            && req.plan.get("kms_key").is_unknown()
            && req.config.get("kms_key").is_null()
        {
            let prior = req.prior.get("kms_key").clone();
            req.plan.set("kms_key", prior);
        }
        if req.plan.get("region").is_unknown() && req.config.get("region").is_null() {
            req.plan.set("region", aws.region.clone());
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
        let ecr = aws.ecr(&region);
        let mut enc = EncryptionConfiguration::builder().encryption_type(EncryptionType::from(
            m.encryption_type.as_deref().unwrap_or("AES256"),
        ));
        if let Some(k) = &m.kms_key {
            enc = enc.kms_key(k);
        }
        let enc = enc
            .build()
            .map_err(|e| Diagnostic::error("Invalid encryption settings", e.to_string()))?;
        let desired_tags = tags::desired(
            aws,
            &aws.environment,
            TYPE,
            &m.name,
            &m.tags.clone().unwrap_or_default(),
        );
        let created = ecr
            .create_repository()
            .repository_name(&m.name)
            .image_tag_mutability(ImageTagMutability::from(
                m.image_tag_mutability.as_deref().unwrap_or("IMMUTABLE"),
            ))
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(m.scan_on_push.unwrap_or(true))
                    .build(),
            )
            .encryption_configuration(enc)
            .set_tags(Some(ecr_tags(&desired_tags)))
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_repository_already_exists_exception()) =>
            {
                // Ours from an earlier apply whose response was lost? Adopt it.
                let existing = describe(aws, &region, &m.name).await?;
                tags::Existing {
                    what: "An ECR repository",
                    resource_type: TYPE,
                    name: &m.name,
                    region: &region,
                    environment: &aws.environment,
                }
                .adopt(existing.as_ref().map(|r| &r.tags))?;
            }
            Err(e) => return Err(aws::error("ecr:CreateRepository", &e).into()),
        }
        let remote = describe(aws, &region, &m.name).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Repository vanished",
                "The repository disappeared right after it was created.",
            ))
        })?;
        // The repository exists: whatever fails next, state must know it.
        req.save_partial(state(aws, &region, &remote, &req.planned)?);
        converge(aws, &region, &m, &remote).await?;
        let remote = describe(aws, &region, &m.name).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Repository vanished",
                "The repository disappeared during create.",
            ))
        })?;
        state(aws, &region, &remote, &req.planned)
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
        match describe(aws, &region, &name).await? {
            Some(remote) => state(aws, &region, &remote, &req.state).map(Some),
            None => Ok(None),
        }
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m = model(&req.planned)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let remote = describe(aws, &region, &m.name).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Repository not found",
                format!(
                    "{} was deleted outside Terraform; plan again to recreate it.",
                    m.name
                ),
            ))
        })?;
        converge(aws, &region, &m, &remote).await?;
        let remote = describe(aws, &region, &m.name).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Repository vanished",
                "The repository disappeared during update.",
            ))
        })?;
        state(aws, &region, &remote, &req.planned)
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let aws = self.0.require()?;
        let name = req.prior.get("name").as_str().unwrap_or_default();
        let region = aws
            .region_or_default(req.prior.get("region").as_str())
            .to_owned();
        let force = req.prior.get("force_delete").as_bool() == Some(true);
        match aws.ecr(&region).delete_repository().repository_name(name).force(force).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_repository_not_found_exception()) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_repository_not_empty_exception()) => Err(Diagnostic::error(
                "Repository not empty",
                format!("{name} still holds images. Delete them, or set force_delete = true and apply before destroying."),
            )
            .into()),
            Err(e) => Err(aws::error("ecr:DeleteRepository", &e).into()),
        }
    }

    /// Import ID: `NAME` (provider region) or `REGION/NAME`... names may
    /// contain slashes, so a region prefix is written `REGION:NAME`.
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let (region, name) = match &req.identity {
            Some(id) => (
                id.get("region").as_str().map(str::to_owned),
                id.get("name").as_str().unwrap_or_default().to_owned(),
            ),
            None => match req.id.split_once(':') {
                Some((r, n)) => (Some(r.to_owned()), n.to_owned()),
                None => (None, req.id.clone()),
            },
        };
        let mut v = Value::null_object(&schema().ty());
        v.set("name", name);
        v.set("region", region);
        v.set("force_delete", false);
        v.set("allow_prod_force_delete", false);
        Ok(v)
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema {
            version: 0,
            attributes: vec![
                IdentityAttribute {
                    name: "name".into(),
                    ty: Type::String,
                    required_for_import: true,
                    description: "Repository name.".into(),
                },
                IdentityAttribute {
                    name: "region".into(),
                    ty: Type::String,
                    required_for_import: false,
                    description: "Region; the provider's by default.".into(),
                },
            ],
        })
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        Some(Value::Object(BTreeMap::from([
            ("name".to_owned(), state.get("name").clone()),
            ("region".to_owned(), state.get("region").clone()),
        ])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(status: &str, prefixes: Option<&[&str]>, keep: Option<i64>, days: Option<i64>) -> Rule {
        Rule {
            description: None,
            tag_status: status.into(),
            tag_prefixes: prefixes.map(|p| p.iter().map(|s| (*s).to_owned()).collect()),
            keep_last: keep,
            expire_after_days: days,
        }
    }

    #[test]
    fn lifecycle_policy_round_trips_whatever_order_aws_returns() {
        let rules = vec![
            rule("tagged", Some(&["v"]), Some(10), None),
            rule("untagged", None, None, Some(7)),
            rule("any", None, Some(100), None),
        ];
        let text = lifecycle_policy(&rules);
        assert_eq!(parse_lifecycle_policy(&text), rules);
        // AWS may hand the rules back in another order.
        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        doc["rules"].as_array_mut().unwrap().reverse();
        assert_eq!(parse_lifecycle_policy(&doc.to_string()), rules);
    }

    #[test]
    fn pull_accounts_from_arns_or_ids() {
        let text = repository_policy(&["111111111111".into(), "222222222222".into()], "aws");
        assert_eq!(
            parse_pull_accounts(&text),
            vec!["111111111111", "222222222222"]
        );
        let rewritten = r#"{"Statement":[{"Sid":"onto-pull","Principal":{"AWS":"333333333333"}},{"Sid":"other","Principal":{"AWS":"arn:aws:iam::444444444444:root"}}]}"#;
        assert_eq!(parse_pull_accounts(rewritten), vec!["333333333333"]);
    }
}
