//! `onto_state_backend`: the S3 bucket and DynamoDB lock table behind
//! Terraform's `s3` backend, with the settings a state store needs enforced
//! (and shown as drift when someone weakens them).
//!
//! The bucket is the resource's object; the lock table is a side object:
//! deleted on destroy only when this resource created it (an imported
//! backend's own table, or one shared with another stack, is left alone).

mod schema;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::plan::timeout;
use tfplugin::private::Private;
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::Schema;
use tfplugin::value::{AttributePath, Value};

use crate::aws::{self, dynamodb, s3, Aws};
use crate::ownership::{key, Owner, SideObjects};
use crate::shared::Shared;
use crate::tags;

pub(crate) const TYPE: &str = "onto_state_backend";

pub struct StateBackend(pub Shared);

/// Every attribute of `onto_state_backend`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct State {
    bucket: String,
    region: Option<String>,
    lock_table: Option<String>,
    kms_key_arn: Option<String>,
    noncurrent_version_expiration_days: Option<i32>,
    versioning: Option<bool>,
    public_access_blocked: Option<bool>,
    tls_only: Option<bool>,
    point_in_time_recovery: Option<bool>,
    deletion_protection: Option<bool>,
    force_destroy: Option<bool>,
    allow_prod_force_destroy: Option<bool>,
    tags: Option<BTreeMap<String, String>>,
    tags_all: Option<BTreeMap<String, String>>,
    bucket_arn: Option<String>,
    lock_table_arn: Option<String>,
    backend_config: Option<BTreeMap<String, String>>,
}

impl State {
    fn lock_table(&self) -> String {
        self.lock_table
            .clone()
            .unwrap_or_else(|| format!("{}-lock", self.bucket))
    }

    fn owner(&self, aws: &Aws) -> Owner {
        aws.owner(TYPE, &self.bucket, &aws.environment)
    }
}

fn backend_config(
    bucket: &str,
    region: &str,
    table: &str,
    kms: Option<&str>,
) -> BTreeMap<String, String> {
    let mut m = BTreeMap::from([
        ("bucket".to_owned(), bucket.to_owned()),
        ("region".to_owned(), region.to_owned()),
        ("dynamodb_table".to_owned(), table.to_owned()),
        ("use_lockfile".to_owned(), "true".to_owned()),
        ("encrypt".to_owned(), "true".to_owned()),
    ]);
    if let Some(k) = kms {
        m.insert("kms_key_id".to_owned(), k.to_owned());
    }
    m
}

// ---- reading ---------------------------------------------------------------

/// What AWS holds: the bucket's settings and the lock table, if any.
struct Remote {
    bucket: s3::Settings,
    table: Option<dynamodb::Table>,
}

async fn describe(aws: &Aws, region: &str, want: &State) -> Result<Option<Remote>> {
    let Some(bucket) = s3::settings(&aws.s3(region), &want.bucket).await? else {
        return Ok(None);
    };
    let table = dynamodb::find_table(&aws.dynamodb(region), &want.lock_table()).await?;
    Ok(Some(Remote { bucket, table }))
}

fn state(aws: &Aws, region: &str, want: &State, r: &Remote, known: &Value) -> Result<Value> {
    let table = want.lock_table();
    let prior: State = super::model(known, TYPE)?;
    let b = &r.bucket;
    let s = State {
        bucket: want.bucket.clone(),
        region: Some(region.to_owned()),
        lock_table: Some(table.clone()),
        kms_key_arn: b.kms_key.clone(),
        noncurrent_version_expiration_days: b.noncurrent_expiration_days,
        versioning: Some(b.versioning),
        public_access_blocked: Some(b.public_access_blocked),
        tls_only: Some(b.tls_only),
        point_in_time_recovery: Some(r.table.as_ref().is_some_and(|t| t.point_in_time_recovery)),
        deletion_protection: Some(r.table.as_ref().is_some_and(|t| t.deletion_protection)),
        force_destroy: Some(prior.force_destroy.unwrap_or(false)),
        allow_prod_force_destroy: Some(prior.allow_prod_force_destroy.unwrap_or(false)),
        tags: tags::state_view(aws, known, &b.tags),
        tags_all: Some(b.tags.clone()),
        bucket_arn: Some(format!(
            "arn:{}:s3:::{}",
            aws::partition(region),
            want.bucket
        )),
        lock_table_arn: r.table.as_ref().map(|t| t.arn.clone()),
        backend_config: Some(backend_config(
            &want.bucket,
            region,
            &table,
            b.kms_key.as_deref(),
        )),
    };
    super::to_state(&s, &schema::schema(), known)
}

// ---- writing ---------------------------------------------------------------

/// Brings bucket and table to `want`, records the table as this resource's,
/// and returns the resulting state.
async fn converge(
    aws: &Aws,
    region: &str,
    want: &State,
    req: &mut ApplyRequest,
    limit: Duration,
) -> Result<Value> {
    let owner = want.owner(aws);
    let all = tags::all(aws, &owner, &want.tags.clone().unwrap_or_default());
    s3::harden(
        &aws.s3(region),
        &want.bucket,
        aws::partition(region),
        &s3::Hardening {
            kms_key: want.kms_key_arn.as_deref(),
            tls_only: want.tls_only.unwrap_or(true),
            noncurrent_expiration_days: Some(want.noncurrent_version_expiration_days.unwrap_or(90)),
            tags: &all,
        },
    )
    .await?;
    let table = want.lock_table();
    let table_key = key::table(region, &table);
    let mut side = SideObjects::load(&req.private, &owner);
    let ddb = aws.dynamodb(region);
    let existing = dynamodb::find_table(&ddb, &table).await?;
    // A create checked the table's ownership before making the bucket.
    let ours = req.prior.is_null()
        || existing.is_none()
        || side.is_ours(&table_key, existing.as_ref().map(|t| &t.tags));
    if ours {
        dynamodb::ensure_lock_table(
            &ddb,
            &dynamodb::LockTable {
                name: &table,
                region,
                deletion_protection: want.deletion_protection.unwrap_or(aws.is_prod()),
                point_in_time_recovery: want.point_in_time_recovery.unwrap_or(true),
                tags: &all,
            },
            &owner,
            true,
            limit,
            &req.stop,
        )
        .await?;
        side.record(table_key);
        side.save(&mut req.private);
    }
    let remote = describe(aws, region, want).await?.ok_or_else(|| {
        Diagnostics::from(Diagnostic::error(
            "Bucket vanished",
            "The state bucket disappeared during apply.",
        ))
    })?;
    if !ours {
        // An imported backend's own lock table: used, never changed.
        let mut planned = req.planned.clone();
        if let Some(t) = &remote.table {
            planned.set("deletion_protection", t.deletion_protection);
            planned.set("point_in_time_recovery", t.point_in_time_recovery);
        }
        return state(aws, region, want, &remote, &planned);
    }
    state(aws, region, want, &remote, &req.planned)
}

fn table_is_ours(
    private: &Private,
    owner: &Owner,
    region: &str,
    table: &str,
    tags: Option<&BTreeMap<String, String>>,
) -> bool {
    SideObjects::load(private, owner).is_ours(&key::table(region, table), tags)
}

// ---- plan rules --------------------------------------------------------------

fn modify(aws: &Aws, req: &mut PlanRequest) -> Result<()> {
    if req.plan.is_null() {
        // Destroying: a prod backend needs the explicit override.
        let allowed = req.prior.get("allow_prod_force_destroy").as_bool() == Some(true);
        if aws.is_prod() && !allowed {
            return Err(Diagnostic::error(
                "Refusing to destroy a prod state backend",
                "This backend holds the prod environment's Terraform state. Set allow_prod_force_destroy = true (and force_destroy = true if it holds state) and apply before destroying.",
            )
            .into());
        }
        return Ok(());
    }
    let force = req.plan.get("force_destroy").as_bool() == Some(true);
    let allowed = req.plan.get("allow_prod_force_destroy").as_bool() == Some(true);
    if aws.is_prod() && force && !allowed {
        return Err(Diagnostic::error(
            "force_destroy refused in prod",
            "force_destroy would delete the prod state with the bucket. Set allow_prod_force_destroy = true to confirm.",
        )
        .at(AttributePath::attr("force_destroy"))
        .into());
    }
    if req.plan.get("tls_only").as_bool() == Some(false) && !aws.plain_http_endpoint("s3") {
        return Err(Diagnostic::error(
            "tls_only cannot be turned off",
            "State buckets deny requests without TLS. tls_only = false is accepted only when the provider's S3 endpoint is a plain-HTTP emulator.",
        )
        .at(AttributePath::attr("tls_only"))
        .into());
    }
    if req.plan.get("region").is_unknown() && req.config.get("region").is_null() {
        req.plan.set("region", aws.region.clone());
    }
    crate::validators::kms_key_in_region(&req.plan, "kms_key_arn")?;
    if req.plan.get("deletion_protection").is_unknown()
        && req.config.get("deletion_protection").is_null()
    {
        req.plan.set("deletion_protection", aws.is_prod());
    }
    let Some(bucket) = req.plan.get("bucket").as_str().map(str::to_owned) else {
        return Ok(());
    };
    if req.plan.get("lock_table").is_unknown() && req.config.get("lock_table").is_null() {
        req.plan.set("lock_table", format!("{bucket}-lock"));
    }
    let (region, table, kms) = (
        req.plan.get("region").clone(),
        req.plan.get("lock_table").clone(),
        req.plan.get("kms_key_arn").clone(),
    );
    if let (Some(region), Some(table), false) = (region.as_str(), table.as_str(), kms.is_unknown())
    {
        let cfg = backend_config(&bucket, region, table, kms.as_str());
        req.plan.set(
            "backend_config",
            Value::Map(
                cfg.into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            ),
        );
    }
    tags::plan_all(
        aws,
        &aws.owner(TYPE, &bucket, &aws.environment),
        &mut req.plan,
    );
    Ok(())
}

// ---- create / read / update / delete ------------------------------------------

/// Identity: the bucket and its region.
const IDENTITY: &[crate::identity::Part] = &[
    ("bucket", true, "State bucket name."),
    crate::identity::REGION,
    (
        "lock_table",
        false,
        "DynamoDB lock table; `<bucket>-lock` by default.",
    ),
];

#[async_trait]
impl Resource for StateBackend {
    fn type_name(&self) -> &str {
        TYPE
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    async fn modify_plan(&self, req: &mut PlanRequest) -> Result<()> {
        match self.0.get() {
            Some(aws) => {
                crate::regions::check_plan(aws.skip_region_validation, &req.config)?;
                modify(aws, req)
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
        let owner = want.owner(aws);
        let all = tags::all(aws, &owner, &want.tags.clone().unwrap_or_default());
        // The lock table first: a name taken by someone else is refused
        // before any bucket is made.
        let ddb = aws.dynamodb(&region);
        if let Some(t) = dynamodb::find_table(&ddb, &want.lock_table()).await? {
            owner.adopt(&crate::ownership::Existing {
                what: "A DynamoDB table",
                id: &want.lock_table(),
                region: &region,
                tags: Some(&t.tags),
                import_id: None,
                attribute: "lock_table",
            })?;
        }
        s3::create_bucket(
            &aws.s3(&region),
            &s3::NewBucket {
                name: &want.bucket,
                region: &region,
                tags: &all,
                what: "A bucket",
                import_id: Some(format!("{region}:{}", want.bucket)),
                attribute: "bucket",
            },
            &owner,
        )
        .await?;
        let mut partial = req.planned.clone();
        partial.set(
            "bucket_arn",
            format!("arn:{}:s3:::{}", aws::partition(&region), want.bucket),
        );
        req.save_partial(super::to_state(
            &State {
                tags_all: Some(all),
                ..super::model::<State>(&partial, TYPE)?
            },
            &schema::schema(),
            &req.planned,
        )?);
        SideObjects::new(&owner).save(&mut req.private);
        let limit = timeout(&req.planned, "create", Duration::from_secs(600));
        converge(aws, &region, &want, req, limit).await
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let Some(aws) = self.0.get() else {
            return Ok(Some(req.state.clone()));
        };
        let known: State = super::model(&req.state, TYPE)?;
        let region = aws.region_or_default(known.region.as_deref()).to_owned();
        match describe(aws, &region, &known).await? {
            Some(remote) => {
                crate::ownership::settle_import(
                    &mut req.private,
                    &known.owner(aws),
                    &remote.bucket.tags,
                );
                state(aws, &region, &known, &remote, &req.state).map(Some)
            }
            None => Ok(None),
        }
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let want: State = super::model(&req.planned, TYPE)?;
        let region = aws.region_or_default(want.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "create", Duration::from_secs(600));
        converge(aws, &region, &want, req, limit).await
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let aws = self.0.require()?;
        let prior: State = super::model(&req.prior, TYPE)?;
        let region = aws.region_or_default(prior.region.as_deref()).to_owned();
        let client = aws.s3(&region);
        let objects = s3::object_count(&client, &prior.bucket).await?;
        if objects > 0 {
            if prior.force_destroy != Some(true) {
                return Err(Diagnostic::error(
                    "State bucket is not empty",
                    format!("{} holds {objects} object version(s) — Terraform state. Move the state elsewhere, or set force_destroy = true and apply before destroying.", prior.bucket),
                )
                .into());
            }
            s3::empty(&client, &prior.bucket).await?;
        }
        s3::delete_bucket(&client, &prior.bucket).await?;
        let table = prior.lock_table();
        let ddb = aws.dynamodb(&region);
        let Some(t) = dynamodb::find_table(&ddb, &table).await? else {
            return Ok(());
        };
        if table_is_ours(
            &req.private,
            &prior.owner(aws),
            &region,
            &table,
            Some(&t.tags),
        ) {
            // Destroying a protected (prod) table was confirmed at plan time.
            dynamodb::delete_table(&ddb, &table, t.deletion_protection).await
        } else {
            req.warn(
                "Lock table kept",
                format!("{table} was not created by this resource (it came with an import, or belongs to another stack), so destroy leaves it in place."),
            );
            Ok(())
        }
    }

    /// Import ID: the bucket name, `REGION:BUCKET` for another region, and
    /// `,LOCK_TABLE` appended when the lock table is not `<bucket>-lock`.
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let mut id = crate::identity::import_id(req, "bucket");
        if let Some(table) = req
            .identity
            .as_ref()
            .and_then(|i| i.get("lock_table").as_str())
        {
            id = format!("{id},{table}");
        }
        let (rest, lock_table) = match id.split_once(',') {
            Some((b, t)) => (b.to_owned(), Some(t.to_owned())),
            None => (id.clone(), None),
        };
        // The region is always recorded (the identity holds it): the
        // provider's when the ID names none.
        let (region, bucket) = match rest.split_once(':') {
            Some((r, b)) => (Some(r.to_owned()), b.to_owned()),
            None => (self.0.get().map(|aws| aws.region.clone()), rest),
        };
        let s = State {
            bucket,
            region,
            lock_table,
            force_destroy: Some(false),
            allow_prod_force_destroy: Some(false),
            ..State::default()
        };
        super::to_state(&s, &schema::schema(), &Value::Null)
    }

    fn identity_schema(&self) -> Option<tfplugin::schema::IdentitySchema> {
        Some(crate::identity::schema(IDENTITY))
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        Some(crate::identity::of(state, IDENTITY))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_config_covers_both_lock_methods() {
        let c = backend_config("b", "eu-west-1", "b-lock", None);
        assert_eq!(c["dynamodb_table"], "b-lock");
        assert_eq!(c["use_lockfile"], "true");
        assert!(!c.contains_key("kms_key_id"));
        assert!(backend_config("b", "r", "t", Some("arn:k")).contains_key("kms_key_id"));
    }
}
