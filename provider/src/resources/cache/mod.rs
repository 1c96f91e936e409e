//! `onto_cache`: an ElastiCache replication group (Redis OSS or Valkey,
//! cluster mode off) with its subnet group, a security group open on 6379
//! only to named sources, and an optional managed parameter group.
//! Encrypted at rest and in transit by default; the auth token is
//! write-only. Sizing, replicas, multi-AZ, failover and snapshot retention
//! come from the environment profile. An imported cache keeps its own
//! groups: onto never changes or deletes what it did not create.

mod model;
mod plan;
mod schema;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticache::types::{AuthTokenUpdateStrategyType, ReplicationGroup};
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::plan::timeout;
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::Schema;
use tfplugin::value::{AttributePath, Value};
use tfplugin::Stop;

use crate::aws::ec2::{self, security_group as sg};
use crate::aws::elasticache as ec;
use crate::aws::Aws;
use crate::ownership::{key, Owner, SideObjects};
use crate::shared::Shared;
use crate::tags;
use model::{Model, Remote, PORT};

pub(crate) const TYPE: &str = "onto_cache";

pub struct Cache(pub Shared);

fn owner_of(aws: &Aws, m: &Model) -> Owner {
    aws.owner(TYPE, &m.name, m.environment(aws))
}

/// What AWS holds around `group`, as far as this resource manages it.
async fn around(
    aws: &Aws,
    region: &str,
    group: ReplicationGroup,
    side: &SideObjects,
    known: &Model,
) -> Result<Remote> {
    let client = aws.elasticache(region);
    let tags = match group.arn() {
        Some(arn) => ec::tags_of(&client, arn).await?,
        None => BTreeMap::new(),
    };
    let name = group.replication_group_id().unwrap_or_default().to_owned();
    let subnet_ids = ec::find_subnet_group(&client, &name)
        .await?
        .map(|(s, _)| s)
        .unwrap_or_default();
    let node = ec::first_node(&client, &group).await?;
    let engine_version = node
        .as_ref()
        .and_then(|c| c.engine_version())
        .map(str::to_owned);
    // The security group onto made for the cache, among its nodes' groups.
    let mut managed_sg = None;
    let ec2c = aws.ec2(region);
    let node_groups: Vec<String> = node
        .iter()
        .flat_map(|c| c.security_groups())
        .filter_map(|g| g.security_group_id().map(str::to_owned))
        .collect();
    let candidates: Vec<String> = node_groups
        .iter()
        .cloned()
        .chain(known.security_group_id.clone())
        .collect();
    for id in candidates {
        if let Some(g) = sg::find(&ec2c, &id).await? {
            if side.is_ours(&key::security_group(&id), Some(&sg::tags(&g))) {
                managed_sg = Some((id, sg::sources(&g, PORT)));
                break;
            }
        }
    }
    let parameters = match known.parameter_group_name.as_deref() {
        Some(g) if ec::parameter_group_is_ours(&client, region, g, side).await? => {
            ec::user_parameters(&client, g)
                .await?
                .map(|p| (g.to_owned(), p))
        }
        _ => None,
    };
    Ok(Remote {
        group,
        tags,
        subnet_ids,
        engine_version,
        security_groups: node_groups,
        managed_sg,
        parameters,
    })
}

async fn describe(
    aws: &Aws,
    region: &str,
    side: &SideObjects,
    known: &Model,
) -> Result<Option<Remote>> {
    match ec::find_group(&aws.elasticache(region), &known.name).await? {
        Some(g) if g.status() != Some("deleting") => {
            around(aws, region, g, side, known).await.map(Some)
        }
        _ => Ok(None),
    }
}

fn state(aws: &Aws, region: &str, r: &Remote, known: &Value) -> Result<Value> {
    let k: Model = super::model(known, TYPE)?;
    super::to_state(
        &r.observed(aws, region, &k, known),
        &schema::schema(),
        known,
    )
}

fn gone(name: &str, during: &str) -> Diagnostics {
    Diagnostic::error(
        "Cache not found",
        format!("{name} disappeared during {during}; plan again to recreate it."),
    )
    .into()
}

/// Brings the replica count to `want`. AWS is asked once more when a
/// create left fewer nodes than asked for; a count it does not reach is an
/// error that names both numbers, never a value that contradicts the plan.
async fn converge_replicas(
    client: &aws_sdk_elasticache::Client,
    name: &str,
    group: &ReplicationGroup,
    want: i32,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    let have = group.member_clusters().len().saturating_sub(1) as i32;
    if have == want {
        return Ok(());
    }
    ec::set_replicas(client, name, have, want, limit, stop)
        .await
        .map_err(|d| {
            d.into_iter()
                .map(|mut x| {
                    x.detail = format!(
                        "{name} has {have} replica(s); replicas = {want} was asked for, and changing the count failed: {}",
                        x.detail
                    );
                    x
                })
                .collect::<Diagnostics>()
        })?;
    let after = ec::find_group(client, name)
        .await?
        .ok_or_else(|| gone(name, "apply"))?;
    let now = after.member_clusters().len().saturating_sub(1) as i32;
    if now != want {
        return Err(Diagnostic::error(
            "Replica count not reached",
            format!("{name} has {now} replica(s) after the change; replicas = {want} was asked for. Apply again once AWS has finished, or set replicas = {now}."),
        )
        .at(AttributePath::attr("replicas"))
        .into());
    }
    Ok(())
}

/// Identity: the name and region.
const IDENTITY: &[crate::identity::Part] = &[
    ("name", true, "Replication group id."),
    crate::identity::REGION,
];

#[async_trait]
impl Resource for Cache {
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
        ec::can_finish(&aws.elasticache(region), &m.name).await
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.planned, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let owner = owner_of(aws, &m);
        let all_tags = tags::all(aws, &owner, &m.tags.clone().unwrap_or_default());
        let limit = timeout(&req.planned, "create", Duration::from_secs(3600));
        let client = aws.elasticache(&region);
        // Who owns a group of this name decides before anything is made.
        let existing = ec::find_group(&client, &m.name).await?;
        if let Some(g) = &existing {
            ec::claim_group(&client, &owner, &region, &m.name, g).await?;
        }
        let mut side = SideObjects::new(&owner);
        let ec2c = aws.ec2(&region);
        let subnets = m.subnets();
        let vpc = ec2::vpc_of(&ec2c, &subnets).await?;
        let sg_id = sg::ensure(
            &ec2c,
            &sg::Group {
                vpc: &vpc,
                name: &m.security_group_name(),
                description: &format!(
                    "onto_cache {}: Redis protocol from allowed sources only",
                    m.name
                ),
                region: &region,
                tags: &all_tags,
                port: PORT,
                sources: &m.sources(),
            },
            &owner,
            &mut side,
        )
        .await?;
        ec::ensure_subnet_group(
            &client, &m.name, &region, &subnets, &all_tags, &owner, &mut side,
        )
        .await?;
        let group = m.parameter_group();
        if let (Some(g), Some(family), Some(params)) = (&group, m.family(), &m.parameters) {
            ec::ensure_parameter_group(
                &client,
                &ec::ParameterGroup {
                    name: g,
                    family: &family,
                    region: &region,
                    parameters: params,
                    tags: &all_tags,
                },
                &owner,
                &mut side,
            )
            .await?;
        }
        side.save(&mut req.private);
        if existing.is_none() {
            let token = req.config.get("auth_token_wo").as_str().map(str::to_owned);
            let request = client
                .create_replication_group()
                .replication_group_id(&m.name)
                .replication_group_description(format!("onto_cache {}", m.name))
                .engine(m.engine())
                .set_engine_version(m.engine_version.clone())
                .set_cache_node_type(m.node_type.clone())
                .num_cache_clusters(m.replicas() + 1)
                .set_multi_az_enabled(m.multi_az)
                .set_automatic_failover_enabled(m.automatic_failover)
                .at_rest_encryption_enabled(m.at_rest_encryption.unwrap_or(true))
                .transit_encryption_enabled(m.transit_encryption.unwrap_or(true))
                .set_kms_key_id(m.kms_key.clone())
                .set_auth_token(token)
                .set_snapshot_retention_limit(m.snapshot_retention_days)
                .set_snapshot_window(m.snapshot_window.clone())
                .cache_subnet_group_name(&m.name)
                .security_group_ids(&sg_id)
                .set_cache_parameter_group_name(group.clone())
                .port(PORT)
                .set_tags(Some(ec::ec_tags(&all_tags)));
            ec::create_group(&client, request, &m.name, &region, &owner).await?;
        }
        let mut known = m.clone();
        known.security_group_id = Some(sg_id);
        known.parameter_group_name = group;
        let known_value = super::to_state(&known, &schema::schema(), &req.planned)?;
        if let Some(remote) = describe(aws, &region, &side, &known).await? {
            req.save_partial(state(aws, &region, &remote, &known_value)?);
        }
        let live = ec::wait_available(&client, &m.name, limit, &req.stop).await?;
        converge_replicas(&client, &m.name, &live, m.replicas(), limit, &req.stop).await?;
        let remote = describe(aws, &region, &side, &known)
            .await?
            .ok_or_else(|| gone(&m.name, "create"))?;
        state(aws, &region, &remote, &known_value)
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let Some(aws) = self.0.get() else {
            return Ok(Some(req.state.clone()));
        };
        let known: Model = super::model(&req.state, TYPE)?;
        let region = aws.region_or_default(known.region.as_deref()).to_owned();
        let client = aws.elasticache(&region);
        let Some(group) = ec::find_group(&client, &known.name)
            .await?
            .filter(|g| g.status() != Some("deleting"))
        else {
            return Ok(None);
        };
        let owner = owner_of(aws, &known);
        if let Some(arn) = group.arn() {
            let tags = ec::tags_of(&client, arn).await?;
            crate::ownership::settle_import(&mut req.private, &owner, &tags);
        }
        let side = SideObjects::load(&req.private, &owner);
        let remote = around(aws, &region, group, &side, &known).await?;
        state(aws, &region, &remote, &req.state).map(Some)
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.planned, TYPE)?;
        let prior: Model = super::model(&req.prior, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "update", Duration::from_secs(3600));
        let owner = owner_of(aws, &m);
        let all_tags = tags::all(aws, &owner, &m.tags.clone().unwrap_or_default());
        let client = aws.elasticache(&region);
        let mut side = SideObjects::load(&req.private, &owner);
        let mut remote = describe(aws, &region, &side, &prior)
            .await?
            .ok_or_else(|| gone(&m.name, "update"))?;
        if remote.group.status() != Some("available") {
            // AWS refuses changes while the group is busy (a change made
            // outside Terraform, a snapshot, maintenance).
            ec::wait_available(&client, &m.name, limit, &req.stop).await?;
            remote = describe(aws, &region, &side, &prior)
                .await?
                .ok_or_else(|| gone(&m.name, "update"))?;
        }
        let g = &remote.group;
        let ec2c = aws.ec2(&region);
        let mut attach = None;
        match &remote.managed_sg {
            Some((id, have)) => {
                sg::converge(&ec2c, id, have, PORT, &m.sources()).await?;
                side.record(key::security_group(id));
            }
            None if m.has_sources() => {
                let vpc = ec2::vpc_of(&ec2c, &remote.subnet_ids).await?;
                let id = sg::ensure(
                    &ec2c,
                    &sg::Group {
                        vpc: &vpc,
                        name: &m.security_group_name(),
                        description: &format!(
                            "onto_cache {}: Redis protocol from allowed sources only",
                            m.name
                        ),
                        region: &region,
                        tags: &all_tags,
                        port: PORT,
                        sources: &m.sources(),
                    },
                    &owner,
                    &mut side,
                )
                .await?;
                attach = Some(id);
            }
            None => {}
        }
        let mut live_subnets = remote.subnet_ids.clone();
        live_subnets.sort();
        let group_tags = ec::find_subnet_group(&client, &m.name)
            .await?
            .map(|(_, t)| t);
        let subnet_key = key::cache_subnet_group(&region, &m.name);
        let subnet_group_ours = side.is_ours(&subnet_key, group_tags.as_ref());
        if subnet_group_ours {
            side.record(subnet_key);
        }
        if m.subnets() != live_subnets {
            if !subnet_group_ours {
                return Err(Diagnostic::error(
                    "Subnet group not onto's",
                    format!("{} uses a cache subnet group this resource did not create (it came with the import), so onto does not change its subnets. Keep subnet_ids = [{}], or change the group yourself.", m.name, live_subnets.join(", ")),
                )
                .at(AttributePath::attr("subnet_ids"))
                .into());
            }
            ec::ensure_subnet_group(
                &client,
                &m.name,
                &region,
                &m.subnets(),
                &all_tags,
                &owner,
                &mut side,
            )
            .await?;
        }
        let group = m.parameter_group();
        if let (Some(pg), Some(family), Some(params)) = (&group, m.family(), &m.parameters) {
            ec::ensure_parameter_group(
                &client,
                &ec::ParameterGroup {
                    name: pg,
                    family: &family,
                    region: &region,
                    parameters: params,
                    tags: &all_tags,
                },
                &owner,
                &mut side,
            )
            .await?;
        }
        side.save(&mut req.private);
        ec::converge_tags(
            &client,
            g.arn().unwrap_or_default(),
            &remote.tags,
            &all_tags,
        )
        .await?;

        // Replicas first when growing (failover needs them), last when shrinking.
        let have_replicas = g.member_clusters().len().saturating_sub(1) as i32;
        if m.replicas() > have_replicas {
            converge_replicas(&client, &m.name, g, m.replicas(), limit, &req.stop).await?;
        }

        let mut modify = client
            .modify_replication_group()
            .replication_group_id(&m.name)
            .apply_immediately(true);
        let mut changed = false;
        let mut set = |cond: bool| {
            changed |= cond;
            cond
        };
        if set(g.engine().is_some_and(|e| e != m.engine())) {
            modify = modify.engine(m.engine());
        }
        if set(m.engine_version.is_some() && m.engine_version != remote.engine_version) {
            modify = modify.set_engine_version(m.engine_version.clone());
        }
        if let Some(node_type) = m.node_type.as_deref() {
            if set(g.cache_node_type() != Some(node_type)) {
                modify = modify.cache_node_type(node_type);
            }
        }
        let failover = g
            .automatic_failover()
            .is_some_and(|f| matches!(f.as_str(), "enabled" | "enabling"));
        if let Some(want) = m.automatic_failover {
            if set(failover != want) {
                modify = modify.automatic_failover_enabled(want);
            }
        }
        let multi_az = g.multi_az().is_some_and(|x| x.as_str() == "enabled");
        if let Some(want) = m.multi_az {
            if set(multi_az != want) {
                modify = modify.multi_az_enabled(want);
            }
        }
        if let Some(days) = m.snapshot_retention_days {
            if set(g.snapshot_retention_limit() != Some(days)) {
                modify = modify.snapshot_retention_limit(days);
            }
        }
        if set(m.snapshot_window.is_some() && m.snapshot_window.as_deref() != g.snapshot_window()) {
            modify = modify.set_snapshot_window(m.snapshot_window.clone());
        }
        if set(group.is_some() && group != prior.parameter_group()) {
            modify = modify.set_cache_parameter_group_name(group.clone());
        }
        if let Some(id) = &attach {
            changed = true;
            let mut ids = remote.security_groups.clone();
            ids.push(id.clone());
            modify = modify.set_security_group_ids(Some(ids));
        }
        let token = req.config.get("auth_token_wo").as_str().map(str::to_owned);
        let enabled_now = g.auth_token_enabled() == Some(true);
        match (m.auth_token_enabled, token) {
            (Some(true), Some(t))
                if !enabled_now || m.auth_token_wo_version != prior.auth_token_wo_version =>
            {
                changed = true;
                modify = modify
                    .auth_token(t)
                    .auth_token_update_strategy(AuthTokenUpdateStrategyType::Rotate);
            }
            (Some(false), _) if enabled_now => {
                changed = true;
                modify = modify.auth_token_update_strategy(AuthTokenUpdateStrategyType::Delete);
            }
            _ => {}
        }
        if changed {
            ec::modify_group(&client, &m.name, modify, limit, &req.stop).await?;
        }
        if m.replicas() < have_replicas {
            converge_replicas(&client, &m.name, g, m.replicas(), limit, &req.stop).await?;
        }
        // A parameter group left behind by an engine or major change.
        if let Some(old) = prior.parameter_group_name.as_deref() {
            let old_key = key::cache_parameter_group(&region, old);
            if group.as_deref() != Some(old) && side.is_ours(&old_key, None) {
                ec::delete_parameter_group(&client, old).await?;
                side.forget(&old_key);
                side.save(&mut req.private);
            }
        }
        let mut known = m.clone();
        known.security_group_id = attach.or(prior.security_group_id.clone());
        known.parameter_group_name = group;
        let known_value = super::to_state(&known, &schema::schema(), &req.planned)?;
        let remote = describe(aws, &region, &side, &known)
            .await?
            .ok_or_else(|| gone(&m.name, "update"))?;
        state(aws, &region, &remote, &known_value)
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.prior, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.prior, "delete", Duration::from_secs(3600));
        let client = aws.elasticache(&region);
        let side = SideObjects::load(&req.private, &owner_of(aws, &m));
        ec::delete_group(&client, &m.name).await?;
        ec::wait_deleted(&client, &m.name, limit, &req.stop).await?;
        if let Some(group) = m.parameter_group_name.as_deref() {
            if ec::parameter_group_is_ours(&client, &region, group, &side).await? {
                ec::delete_parameter_group(&client, group).await?;
            }
        }
        let tags = ec::find_subnet_group(&client, &m.name)
            .await?
            .map(|(_, t)| t);
        if tags.is_some() && side.is_ours(&key::cache_subnet_group(&region, &m.name), tags.as_ref())
        {
            ec::delete_subnet_group(&client, &m.name).await?;
        }
        if let Some(id) = m.security_group_id.as_deref() {
            let ec2c = aws.ec2(&region);
            if let Some(group) = sg::find(&ec2c, id).await? {
                if side.is_ours(&key::security_group(id), Some(&sg::tags(&group))) {
                    sg::delete(&ec2c, id).await?;
                }
            }
        }
        Ok(())
    }

    /// Import ID: `NAME`, or `REGION:NAME` for another region.
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let id = crate::identity::import_id(req, "name");
        let (region, name) = match id.split_once(':') {
            Some((r, n)) => (r.to_owned(), n.to_owned()),
            None => (aws.region.clone(), id.clone()),
        };
        let client = aws.elasticache(&region);
        let Some(group) = ec::find_group(&client, &name).await? else {
            return Err(Diagnostic::error(
                "Cache not found",
                format!("No ElastiCache replication group {name:?} in {region}."),
            )
            .into());
        };
        // The parameter group the cache uses, if it is not a default one.
        let parameter_group = ec::first_node(&client, &group)
            .await?
            .and_then(|c| {
                c.cache_parameter_group()
                    .and_then(|p| p.cache_parameter_group_name())
                    .map(str::to_owned)
            })
            .filter(|n| !n.starts_with("default."));
        // A group named like onto's: recognised by its tags on the first
        // refresh (an import of this stack's own cache), used as it is
        // otherwise.
        let mut security_group_id = None;
        if let Some((subnets, _)) = ec::find_subnet_group(&client, &name).await? {
            if !subnets.is_empty() {
                let ec2c = aws.ec2(&region);
                let vpc = ec2::vpc_of(&ec2c, &subnets).await?;
                security_group_id = sg::find_named(&ec2c, &vpc, &format!("{name}-cache"))
                    .await?
                    .and_then(|g| g.group_id().map(str::to_owned));
            }
        }
        let m = Model {
            name,
            region: Some(region),
            parameter_group_name: parameter_group,
            security_group_id,
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
