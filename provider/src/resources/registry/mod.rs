//! `onto_registry`: an ECR repository with scanning, encryption, structured
//! lifecycle rules, pull access for other accounts, and tags.

mod model;
mod plan;
mod schema;

use async_trait::async_trait;
use aws_sdk_ecr::types::{EncryptionConfiguration, EncryptionType};
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::{IdentitySchema, Schema};
use tfplugin::value::Value;

use crate::aws::{ecr, Aws};
use crate::shared::Shared;
use crate::tags;
use model::State;

pub(crate) const TYPE: &str = "onto_registry";

pub struct Registry(pub Shared);

fn partition_of(arn: &str) -> &str {
    arn.split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

/// The state for what AWS holds. Attributes AWS does not store
/// (`force_delete`, the override) come from `known`, the plan or prior state.
fn state(aws: &Aws, region: &str, found: &ecr::Found, known: &Value) -> Result<Value> {
    let repo = &found.repo;
    let enc = repo.encryption_configuration();
    let pull = found
        .policy
        .as_deref()
        .map(model::parse_pull_accounts)
        .unwrap_or_default();
    let prior: State = super::model(known, TYPE)?;
    let s = State {
        name: repo.repository_name().unwrap_or_default().to_owned(),
        region: Some(region.to_owned()),
        image_tag_mutability: Some(
            repo.image_tag_mutability()
                .map_or("MUTABLE", |m| m.as_str())
                .to_owned(),
        ),
        scan_on_push: Some(
            repo.image_scanning_configuration()
                .is_some_and(|c| c.scan_on_push()),
        ),
        encryption_type: Some(
            enc.map_or("AES256", |e| e.encryption_type().as_str())
                .to_owned(),
        ),
        kms_key: enc.and_then(|e| e.kms_key()).map(str::to_owned),
        pull_account_ids: (!pull.is_empty() || prior.pull_account_ids.is_some()).then_some(pull),
        force_delete: Some(prior.force_delete.unwrap_or(false)),
        allow_prod_force_delete: Some(prior.allow_prod_force_delete.unwrap_or(false)),
        tags: tags::state_view(aws, known, &found.tags),
        tags_all: Some(found.tags.clone()),
        arn: repo.repository_arn().map(str::to_owned),
        registry_id: repo.registry_id().map(str::to_owned),
        repository_url: repo.repository_uri().map(str::to_owned),
        lifecycle_rule: found
            .lifecycle_policy
            .as_deref()
            .map(model::parse_lifecycle_policy)
            .unwrap_or_default(),
    };
    super::to_state(&s, &schema::schema(), known)
}

/// Brings the settings of an existing repository to `want`, touching only
/// what differs from `found`. Returns whether anything changed.
async fn converge(aws: &Aws, region: &str, want: &State, found: &ecr::Found) -> Result<bool> {
    let mut changed = false;
    let client = aws.ecr(region);
    let name = want.name.as_str();
    if found.repo.image_tag_mutability().map(|x| x.as_str()) != Some(want.mutability()) {
        ecr::set_tag_mutability(&client, name, want.mutability()).await?;
        changed = true;
    }
    let scan = want.scan_on_push.unwrap_or(true);
    if found
        .repo
        .image_scanning_configuration()
        .map(|c| c.scan_on_push())
        != Some(scan)
    {
        ecr::set_scan_on_push(&client, name, scan).await?;
        changed = true;
    }
    let have_rules = found
        .lifecycle_policy
        .as_deref()
        .map(model::parse_lifecycle_policy)
        .unwrap_or_default();
    if want.lifecycle_rule != have_rules {
        let doc = (!want.lifecycle_rule.is_empty())
            .then(|| model::lifecycle_policy(&want.lifecycle_rule));
        ecr::set_lifecycle_policy(&client, name, doc).await?;
        changed = true;
    }
    let want_pull = want.pull_accounts();
    let have_pull = found
        .policy
        .as_deref()
        .map(model::parse_pull_accounts)
        .unwrap_or_default();
    if want_pull != have_pull {
        let partition = partition_of(found.repo.repository_arn().unwrap_or_default());
        let doc = (!want_pull.is_empty()).then(|| model::repository_policy(&want_pull, partition));
        ecr::set_repository_policy(&client, name, doc).await?;
        changed = true;
    }
    let owner = aws.owner(TYPE, name, &aws.environment);
    let desired = tags::all(aws, &owner, &want.tags.clone().unwrap_or_default());
    if found.tags != desired {
        ecr::converge_tags(
            &client,
            found.repo.repository_arn().unwrap_or_default(),
            &found.tags,
            &desired,
        )
        .await?;
        changed = true;
    }
    Ok(changed)
}

fn vanished(during: &str) -> Diagnostics {
    Diagnostic::error(
        "Repository vanished",
        format!("The repository disappeared during {during}."),
    )
    .into()
}

/// Identity: the repository name and region.
const IDENTITY: &[crate::identity::Part] =
    &[("name", true, "Repository name."), crate::identity::REGION];

#[async_trait]
impl Resource for Registry {
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

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let want: State = super::model(&req.planned, TYPE)?;
        let region = aws.region_or_default(want.region.as_deref()).to_owned();
        let client = aws.ecr(&region);
        let mut enc = EncryptionConfiguration::builder()
            .encryption_type(EncryptionType::from(want.encryption()));
        if let Some(k) = &want.kms_key {
            enc = enc.kms_key(k);
        }
        let encryption = enc
            .build()
            .map_err(|e| Diagnostic::error("Invalid encryption settings", e.to_string()))?;
        let owner = aws.owner(TYPE, &want.name, &aws.environment);
        let all_tags = tags::all(aws, &owner, &want.tags.clone().unwrap_or_default());
        ecr::create_repository(
            &client,
            &ecr::NewRepository {
                name: &want.name,
                region: &region,
                mutability: want.mutability(),
                scan_on_push: want.scan_on_push.unwrap_or(true),
                encryption,
                tags: &all_tags,
            },
            &owner,
        )
        .await?;
        let found = ecr::find_repository(&client, &want.name)
            .await?
            .ok_or_else(|| vanished("create"))?;
        // The repository exists: whatever fails next, state must know it.
        req.save_partial(state(aws, &region, &found, &req.planned)?);
        // Read again only what converging changed.
        let found = if converge(aws, &region, &want, &found).await? {
            ecr::find_repository(&client, &want.name)
                .await?
                .ok_or_else(|| vanished("create"))?
        } else {
            found
        };
        state(aws, &region, &found, &req.planned)
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let Some(aws) = self.0.get() else {
            return Ok(Some(req.state.clone()));
        };
        let known: State = super::model(&req.state, TYPE)?;
        let region = aws.region_or_default(known.region.as_deref()).to_owned();
        match ecr::find_repository(&aws.ecr(&region), &known.name).await? {
            Some(found) => {
                let owner = aws.owner(TYPE, &known.name, &aws.environment);
                crate::ownership::settle_import(&mut req.private, &owner, &found.tags);
                state(aws, &region, &found, &req.state).map(Some)
            }
            None => Ok(None),
        }
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let want: State = super::model(&req.planned, TYPE)?;
        let region = aws.region_or_default(want.region.as_deref()).to_owned();
        let client = aws.ecr(&region);
        let found = ecr::find_repository(&client, &want.name)
            .await?
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "Repository not found",
                    format!(
                        "{} was deleted outside Terraform; plan again to recreate it.",
                        want.name
                    ),
                ))
            })?;
        let found = if converge(aws, &region, &want, &found).await? {
            ecr::find_repository(&client, &want.name)
                .await?
                .ok_or_else(|| vanished("update"))?
        } else {
            found
        };
        state(aws, &region, &found, &req.planned)
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let aws = self.0.require()?;
        let prior: State = super::model(&req.prior, TYPE)?;
        let region = aws.region_or_default(prior.region.as_deref());
        ecr::delete_repository(
            &aws.ecr(region),
            &prior.name,
            prior.force_delete == Some(true),
        )
        .await
    }

    /// Import ID: `NAME` (provider region) or `REGION:NAME` (names may
    /// contain slashes, so the region is separated by a colon).
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
        let s = State {
            name,
            region,
            force_delete: Some(false),
            allow_prod_force_delete: Some(false),
            ..State::default()
        };
        super::to_state(&s, &schema::schema(), &Value::Null)
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(crate::identity::schema(IDENTITY))
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        Some(crate::identity::of(state, IDENTITY))
    }
}
