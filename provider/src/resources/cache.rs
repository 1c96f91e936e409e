//! `onto_cache`: an ElastiCache replication group (Redis OSS or Valkey,
//! cluster mode off) with its subnet group, a security group open on 6379
//! only to named sources, and an optional managed parameter group.
//! Encrypted at rest and in transit by default; the auth token is
//! write-only. Sizing, replicas, multi-AZ, failover and snapshot retention
//! come from the environment profile.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticache::types::{
    AuthTokenUpdateStrategyType, ParameterNameValue, ReplicationGroup, Tag,
};
use serde::Deserialize;
use serde_json::json;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::plan::modifiers::RequiresReplaceIf;
use tfplugin::plan::timeout;
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::validate::{int_between, length_between, one_of, Validator};
use tfplugin::value::{typed, AttributePath, Type, Value};
use tfplugin::Stop;

use crate::aws::{self, wait_until, Aws, Poll};
use crate::firewall::{self, Sources};
use crate::shared::Shared;
use crate::{profile, tags, validators};

const TYPE: &str = "onto_cache";
const PORT: i32 = 6379;

pub struct Cache(pub Shared);

// ---- schema ----------------------------------------------------------------

/// Replication group ids: 1–40 lowercase letters, digits and single
/// hyphens, starting with a letter and not ending with a hyphen.
struct GroupId;

impl Validator for GroupId {
    fn description(&self) -> String {
        "a replication group id: up to 40 lowercase letters, digits and single hyphens, starting with a letter".into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        let ok = (1..=40).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.ends_with('-')
            && !s.contains("--");
        if !ok {
            diags.error_at(
                path.clone(),
                "Invalid name",
                format!("{s:?} is not {}.", self.description()),
            );
        }
    }
}

/// `cache.<family>.<size>`, e.g. `cache.t4g.micro`, `cache.r7g.large`.
struct NodeType;

impl Validator for NodeType {
    fn description(&self) -> String {
        "a node type like `cache.t4g.micro` or `cache.r7g.large`".into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        let parts: Vec<&str> = s.split('.').collect();
        let word = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        };
        if !(parts.len() == 3 && parts[0] == "cache" && word(parts[1]) && word(parts[2])) {
            diags.error_at(
                path.clone(),
                "Invalid node type",
                format!("{s:?} is not {}.", self.description()),
            );
        }
    }
}

fn version_parts(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

fn schema() -> Schema {
    // AWS upgrades in place but never downgrades; Valkey never goes back to Redis.
    let downgrade = RequiresReplaceIf(
        |state: &Value, plan: &Value| match (state.as_str(), plan.as_str()) {
            (Some(s), Some(p)) => version_parts(p) < version_parts(s),
            _ => false,
        },
        "A lower version replaces the cache (AWS upgrades in place only).",
    );
    let engine_change = RequiresReplaceIf(
        |state: &Value, plan: &Value| {
            let upgrade = state.as_str() == Some("redis") && plan.as_str() == Some("valkey");
            !upgrade && !plan.same(state)
        },
        "Moving from Redis to Valkey is in place; any other engine change replaces the cache.",
    );
    Schema::new(
        Block::new()
            .describe("An ElastiCache replication group (Redis OSS or Valkey, cluster mode off) with its subnet group, a security group open on 6379 only to the sources you name, and an optional parameter group. Encrypted at rest and in transit by default; the auth token is write-only. Node type, replicas, multi-AZ, failover and snapshots come from the environment profile.")
            .attribute(Attribute::string("name").required().requires_replace().validate(GroupId).describe("Replication group id; also names the subnet group, security group (`<name>-cache`) and parameter group."))
            .attribute(Attribute::string("region").optional().computed().requires_replace().use_state_for_unknown().validate(validators::region()).describe("Region; defaults to the provider's."))
            .attribute(profile::environment_attribute())
            .attribute(profile::overrides_attribute(TYPE))
            .attribute(Attribute::string("engine").default("redis").validate(one_of(&["redis", "valkey"])).modifier(engine_change).describe("`redis` (default) or `valkey`. Redis → Valkey upgrades in place."))
            .attribute(Attribute::string("engine_version").optional().computed().use_state_for_unknown().modifier(downgrade).describe("Engine version, e.g. `7.1` (Redis) or `8.0` (Valkey); AWS's default when unset. Raising it upgrades in place."))
            .attribute(Attribute::string("node_type").optional().computed().validate(NodeType).describe("Node type. Default from the environment profile."))
            .attribute(Attribute::number("replicas").optional().computed().validate(int_between(0, 5)).describe("Read replicas besides the primary (0–5). Default from the environment profile."))
            .attribute(Attribute::bool("multi_az").optional().computed().describe("Place replicas in other AZs than the primary. Needs a replica and automatic failover. Default from the environment profile."))
            .attribute(Attribute::bool("automatic_failover").optional().computed().describe("Promote a replica when the primary fails. Needs a replica. Default from the environment profile."))
            .attribute(Attribute::bool("at_rest_encryption").default(true).requires_replace().describe("Encrypt data at rest. Default true."))
            .attribute(Attribute::bool("transit_encryption").default(true).requires_replace().describe("TLS between clients and the cache. Default true."))
            .attribute(Attribute::string("kms_key").optional().requires_replace().validate(validators::kms_key()).describe("KMS key for encryption at rest; AWS's managed key when omitted."))
            .attribute(Attribute::string("auth_token_wo").optional().write_only().sensitive().validate(length_between(16, 128)).describe("AUTH token, write-only (Terraform 1.11+): sent to AWS, never stored in state or plan. Needs transit_encryption. Changing it (with `auth_token_wo_version`) rotates: the old token stays valid until the next rotation, so clients can move over."))
            .attribute(Attribute::number("auth_token_wo_version").optional().describe("Change this to send a new `auth_token_wo`."))
            .attribute(Attribute::number("snapshot_retention_days").optional().computed().validate(int_between(0, 35)).describe("Days of daily snapshots kept (0 turns them off). Default from the environment profile."))
            .attribute(Attribute::string("snapshot_window").optional().computed().use_state_for_unknown().describe("Daily snapshot window, UTC (`03:00-04:00`); AWS picks one when unset."))
            .attribute(Attribute::new("subnet_ids", Type::set(Type::String)).required().describe("Subnets for the cache subnet group (the cache or private tier)."))
            .attribute(Attribute::new("allowed_security_group_ids", Type::set(Type::String)).optional().describe("Security groups allowed to connect on 6379."))
            .attribute(Attribute::new("allowed_cidr_blocks", Type::set(Type::String)).optional().validate(validators::CidrBlocks).describe("CIDR blocks allowed to connect on 6379."))
            .attribute(Attribute::new("parameters", Type::map(Type::String)).optional().describe("Engine parameters, e.g. `maxmemory-policy`. When set, a parameter group `<name>-<engine><major>` is managed for you; needs `engine_version`."))
            .attribute(Attribute::new("tags", Type::map(Type::String)).optional().validate(validators::TagKeys).describe("Tags for the replication group and its groups."))
            .attribute(Attribute::new("tags_all", Type::map(Type::String)).computed().describe("All tags, including `default_tags` and the onto tags."))
            .attribute(Attribute::string("arn").computed().use_state_for_unknown().describe("Replication group ARN."))
            .attribute(Attribute::string("primary_endpoint").computed().use_state_for_unknown().describe("Address of the primary (reads and writes)."))
            .attribute(Attribute::string("reader_endpoint").computed().use_state_for_unknown().describe("Address spreading reads over the replicas."))
            .attribute(Attribute::number("port").computed().use_state_for_unknown().describe("Port (6379)."))
            .attribute(Attribute::string("security_group_id").computed().use_state_for_unknown().describe("The cache's security group."))
            .attribute(Attribute::string("parameter_group_name").computed().describe("The managed parameter group, when `parameters` is set."))
            .attribute(Attribute::new("member_clusters", Type::list(Type::String)).computed().describe("The node ids, primary first."))
            .timeouts(&["create", "update", "delete"]),
    )
}

// ---- model -----------------------------------------------------------------

#[derive(Deserialize)]
struct Model {
    name: String,
    region: Option<String>,
    environment: Option<String>,
    engine: String,
    engine_version: Option<String>,
    node_type: String,
    replicas: i32,
    multi_az: bool,
    automatic_failover: bool,
    at_rest_encryption: bool,
    transit_encryption: bool,
    kms_key: Option<String>,
    auth_token_wo_version: Option<i64>,
    snapshot_retention_days: i32,
    snapshot_window: Option<String>,
    subnet_ids: Vec<String>,
    allowed_security_group_ids: Option<Vec<String>>,
    allowed_cidr_blocks: Option<Vec<String>>,
    parameters: Option<BTreeMap<String, String>>,
    tags: Option<BTreeMap<String, String>>,
}

fn model(v: &Value) -> Result<Model> {
    typed::from_value(v)
        .map_err(|e| Diagnostic::error("Invalid onto_cache value", e.to_string()).into())
}

impl Model {
    fn environment<'a>(&'a self, aws: &'a Aws) -> &'a str {
        self.environment.as_deref().unwrap_or(&aws.environment)
    }

    fn sources(&self) -> Sources {
        Sources {
            security_groups: self
                .allowed_security_group_ids
                .iter()
                .flatten()
                .cloned()
                .collect(),
            cidr_blocks: self.allowed_cidr_blocks.iter().flatten().cloned().collect(),
        }
    }

    /// The parameter group family, e.g. `redis7`, `valkey8`.
    fn family(&self) -> Option<String> {
        let major = self.engine_version.as_deref()?.split('.').next()?;
        Some(format!("{}{major}", self.engine))
    }

    fn parameter_group(&self) -> Option<String> {
        self.parameters
            .as_ref()
            .filter(|p| !p.is_empty())
            .and(self.family())
            .map(|f| format!("{}-{f}", self.name))
    }
}

// ---- AWS calls ---------------------------------------------------------------

/// What AWS holds for one cache.
struct Remote {
    group: ReplicationGroup,
    tags: BTreeMap<String, String>,
    subnet_ids: Vec<String>,
    engine_version: Option<String>,
    sources: Sources,
    parameters: Option<BTreeMap<String, String>>,
}

async fn describe_group(
    ec: &aws_sdk_elasticache::Client,
    name: &str,
) -> Result<Option<ReplicationGroup>> {
    match ec
        .describe_replication_groups()
        .replication_group_id(name)
        .send()
        .await
    {
        Ok(out) => Ok(out.replication_groups().first().cloned()),
        Err(e) if aws::code(&e) == Some("ReplicationGroupNotFoundFault") => Ok(None),
        Err(e) => Err(aws::error("elasticache:DescribeReplicationGroups", &e).into()),
    }
}

async fn user_parameters(
    ec: &aws_sdk_elasticache::Client,
    group: &str,
) -> Result<Option<BTreeMap<String, String>>> {
    let mut out = BTreeMap::new();
    let mut pages = ec
        .describe_cache_parameters()
        .cache_parameter_group_name(group)
        .source("user")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) if aws::code(&e) == Some("CacheParameterGroupNotFound") => return Ok(None),
            Err(e) => return Err(aws::error("elasticache:DescribeCacheParameters", &e).into()),
        };
        for p in page.parameters() {
            if let (Some(n), Some(v)) = (p.parameter_name(), p.parameter_value()) {
                out.insert(n.to_owned(), v.to_owned());
            }
        }
    }
    Ok(Some(out))
}

async fn describe(aws: &Aws, region: &str, name: &str, known: &Value) -> Result<Option<Remote>> {
    let ec = aws.elasticache(region);
    let Some(group) = describe_group(&ec, name).await? else {
        return Ok(None);
    };
    if group.status() == Some("deleting") {
        return Ok(None);
    }
    let tags = ec
        .list_tags_for_resource()
        .resource_name(group.arn().unwrap_or_default())
        .send()
        .await
        .map_err(aws::failed("elasticache:ListTagsForResource"))?
        .tag_list()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect();
    let subnet_ids = match ec
        .describe_cache_subnet_groups()
        .cache_subnet_group_name(name)
        .send()
        .await
    {
        Ok(out) => out
            .cache_subnet_groups()
            .iter()
            .flat_map(|g| g.subnets())
            .filter_map(|s| s.subnet_identifier().map(str::to_owned))
            .collect(),
        Err(e) if aws::code(&e) == Some("CacheSubnetGroupNotFoundFault") => Vec::new(),
        Err(e) => return Err(aws::error("elasticache:DescribeCacheSubnetGroups", &e).into()),
    };
    // The version lives on the nodes; a node being replaced may be
    // briefly absent, and then the last known version stands.
    let engine_version = match group.member_clusters().first() {
        Some(node) => match ec
            .describe_cache_clusters()
            .cache_cluster_id(node)
            .send()
            .await
        {
            Ok(out) => out
                .cache_clusters()
                .first()
                .and_then(|c| c.engine_version())
                .map(str::to_owned),
            Err(e) if aws::code(&e) == Some("CacheClusterNotFound") => None,
            Err(e) => return Err(aws::error("elasticache:DescribeCacheClusters", &e).into()),
        },
        None => None,
    }
    .or_else(|| known.get("engine_version").as_str().map(str::to_owned));
    let sources = match known.get("security_group_id").as_str() {
        Some(id) => firewall::find(&aws.ec2(region), Some(id), "")
            .await?
            .map(|sg| firewall::sources(&sg, PORT))
            .unwrap_or_default(),
        None => Sources::default(),
    };
    let parameters = match known.get("parameter_group_name").as_str() {
        Some(g) => user_parameters(&ec, g).await?,
        None => None,
    };
    Ok(Some(Remote {
        group,
        tags,
        subnet_ids,
        engine_version,
        sources,
        parameters,
    }))
}

const FAILED: [&str; 1] = ["create-failed"];

/// Waits until the group is `available`.
async fn wait_available(
    ec: &aws_sdk_elasticache::Client,
    name: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<ReplicationGroup> {
    wait_until(&format!("cache {name}"), limit, stop, || async {
        let group = describe_group(ec, name).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Cache vanished",
                format!("{name} disappeared while waiting for it to become available."),
            ))
        })?;
        let status = group.status().unwrap_or("unknown").to_owned();
        if FAILED.contains(&status.as_str()) {
            return Err(Diagnostic::error(
                format!("Cache {name} is {status}"),
                "AWS could not create the replication group; see its events (`aws elasticache describe-events --source-identifier NAME --source-type replication-group`).",
            )
            .into());
        }
        Ok(if status == "available" {
            Poll::Ready(group)
        } else {
            Poll::Pending(status)
        })
    })
    .await
}

/// Waits until the group is gone.
async fn wait_deleted(
    ec: &aws_sdk_elasticache::Client,
    name: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    wait_until(
        &format!("cache {name} to be deleted"),
        limit,
        stop,
        || async {
            Ok(match describe_group(ec, name).await? {
                None => Poll::Ready(()),
                Some(g) => Poll::Pending(g.status().unwrap_or("deleting").to_owned()),
            })
        },
    )
    .await
}

/// Adds or removes replicas (cluster mode off: one node group) and waits.
async fn set_replicas(
    ec: &aws_sdk_elasticache::Client,
    name: &str,
    have: i32,
    want: i32,
    limit: Duration,
    stop: &Stop,
) -> Result<()> {
    if want > have {
        ec.increase_replica_count()
            .replication_group_id(name)
            .new_replica_count(want)
            .apply_immediately(true)
            .send()
            .await
            .map_err(aws::failed("elasticache:IncreaseReplicaCount"))?;
    } else if want < have {
        ec.decrease_replica_count()
            .replication_group_id(name)
            .new_replica_count(want)
            .apply_immediately(true)
            .send()
            .await
            .map_err(aws::failed("elasticache:DecreaseReplicaCount"))?;
    } else {
        return Ok(());
    }
    wait_available(ec, name, limit, stop).await.map(|_| ())
}

fn ec_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

async fn ensure_subnet_group(
    ec: &aws_sdk_elasticache::Client,
    name: &str,
    subnet_ids: &[String],
    all_tags: &BTreeMap<String, String>,
) -> Result<()> {
    let created = ec
        .create_cache_subnet_group()
        .cache_subnet_group_name(name)
        .cache_subnet_group_description(format!("onto_cache {name}"))
        .set_subnet_ids(Some(subnet_ids.to_vec()))
        .set_tags(Some(ec_tags(all_tags)))
        .send()
        .await;
    match created {
        Ok(_) => Ok(()),
        Err(e) if aws::code(&e) == Some("CacheSubnetGroupAlreadyExists") => {
            ec.modify_cache_subnet_group()
                .cache_subnet_group_name(name)
                .set_subnet_ids(Some(subnet_ids.to_vec()))
                .send()
                .await
                .map_err(aws::failed("elasticache:ModifyCacheSubnetGroup"))?;
            Ok(())
        }
        Err(e) => Err(aws::error("elasticache:CreateCacheSubnetGroup", &e).into()),
    }
}

/// Creates the parameter group when missing and converges its parameters.
async fn ensure_parameters(
    ec: &aws_sdk_elasticache::Client,
    group: &str,
    family: &str,
    want: &BTreeMap<String, String>,
    have: Option<&BTreeMap<String, String>>,
) -> Result<()> {
    if have.is_none() {
        match ec
            .create_cache_parameter_group()
            .cache_parameter_group_name(group)
            .cache_parameter_group_family(family)
            .description(format!("onto_cache parameters ({group})"))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if aws::code(&e) == Some("CacheParameterGroupAlreadyExists") => {}
            Err(e) => return Err(aws::error("elasticache:CreateCacheParameterGroup", &e).into()),
        }
    }
    let empty = BTreeMap::new();
    let have = have.unwrap_or(&empty);
    let changed: Vec<ParameterNameValue> = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| {
            ParameterNameValue::builder()
                .parameter_name(k)
                .parameter_value(v)
                .build()
        })
        .collect();
    for chunk in changed.chunks(20) {
        ec.modify_cache_parameter_group()
            .cache_parameter_group_name(group)
            .set_parameter_name_values(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(aws::failed("elasticache:ModifyCacheParameterGroup"))?;
    }
    let removed: Vec<ParameterNameValue> = have
        .keys()
        .filter(|k| !want.contains_key(*k))
        .map(|k| ParameterNameValue::builder().parameter_name(k).build())
        .collect();
    for chunk in removed.chunks(20) {
        ec.reset_cache_parameter_group()
            .cache_parameter_group_name(group)
            .set_parameter_name_values(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(aws::failed("elasticache:ResetCacheParameterGroup"))?;
    }
    Ok(())
}

/// The cache as Terraform state; `known` (plan or prior state) supplies
/// what AWS does not report.
fn state(aws: &Aws, region: &str, r: &Remote, known: &Value) -> Result<Value> {
    let g = &r.group;
    let user_tags: BTreeMap<String, String> = typed::from_value(known.get("tags"))
        .ok()
        .flatten()
        .unwrap_or_default();
    let view = tags::user_view(aws, &user_tags, &r.tags);
    let node_group = g.node_groups().first();
    let primary = node_group.and_then(|n| n.primary_endpoint());
    let reader = node_group.and_then(|n| n.reader_endpoint());
    let opt_set = |attr: &str, items: Vec<String>| {
        if items.is_empty() && known.get(attr).is_null() {
            None
        } else {
            Some(items)
        }
    };
    let value = json!({
        "name": g.replication_group_id(),
        "region": region,
        "environment": known.get("environment").as_str(),
        "prod_overrides": typed::from_value::<Option<Vec<String>>>(known.get("prod_overrides")).ok().flatten(),
        "engine": g.engine().map(str::to_owned).or_else(|| known.get("engine").as_str().map(str::to_owned)),
        "engine_version": r.engine_version,
        "node_type": g.cache_node_type(),
        "replicas": g.member_clusters().len().saturating_sub(1),
        "multi_az": g.multi_az().is_some_and(|m| m.as_str() == "enabled"),
        "automatic_failover": g.automatic_failover().is_some_and(|f| matches!(f.as_str(), "enabled" | "enabling")),
        "at_rest_encryption": g.at_rest_encryption_enabled().unwrap_or(false),
        "transit_encryption": g.transit_encryption_enabled().unwrap_or(false),
        "kms_key": g.kms_key_id().map(str::to_owned).or_else(|| known.get("kms_key").as_str().map(str::to_owned)),
        "auth_token_wo_version": known.get("auth_token_wo_version").as_i64(),
        "snapshot_retention_days": g.snapshot_retention_limit().unwrap_or(0),
        "snapshot_window": g.snapshot_window(),
        "subnet_ids": r.subnet_ids,
        "allowed_security_group_ids": opt_set("allowed_security_group_ids", r.sources.security_groups.iter().cloned().collect()),
        "allowed_cidr_blocks": opt_set("allowed_cidr_blocks", r.sources.cidr_blocks.iter().cloned().collect()),
        "parameters": match &r.parameters {
            Some(p) if !p.is_empty() || !known.get("parameters").is_null() => Some(p.clone()),
            _ => None,
        },
        "tags": if view.is_empty() && known.get("tags").is_null() { None } else { Some(view) },
        "tags_all": r.tags,
        "arn": g.arn(),
        "primary_endpoint": primary.and_then(|e| e.address()),
        "reader_endpoint": reader.and_then(|e| e.address()),
        "port": primary.and_then(|e| e.port()).unwrap_or(PORT),
        "security_group_id": known.get("security_group_id").as_str(),
        "parameter_group_name": r.parameters.as_ref().and(known.get("parameter_group_name").as_str()),
        "member_clusters": g.member_clusters(),
    });
    let mut v = typed::to_value(&value, &schema().ty())
        .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
    v.set("timeouts", known.get("timeouts").clone());
    Ok(v)
}

fn gone(name: &str, during: &str) -> Diagnostics {
    Diagnostic::error(
        "Cache not found",
        format!("{name} disappeared during {during}; plan again to recreate it."),
    )
    .into()
}

// ---- plan rules --------------------------------------------------------------

fn check_config(config: &Value, diags: &mut Diagnostics) {
    let replicas = config.get("replicas").as_i64();
    if config.get("multi_az").as_bool() == Some(true) {
        if replicas == Some(0) {
            diags.error_at(
                AttributePath::attr("multi_az"),
                "Multi-AZ needs a replica",
                "multi_az places a replica in another AZ: set replicas to 1 or more.",
            );
        }
        if config.get("automatic_failover").as_bool() == Some(false) {
            diags.error_at(
                AttributePath::attr("multi_az"),
                "Multi-AZ needs automatic failover",
                "Set automatic_failover = true (or leave it to the profile) with multi_az.",
            );
        }
    }
    if config.get("automatic_failover").as_bool() == Some(true) && replicas == Some(0) {
        diags.error_at(
            AttributePath::attr("automatic_failover"),
            "Failover needs a replica",
            "automatic_failover promotes a replica: set replicas to 1 or more.",
        );
    }
    if !config.get("auth_token_wo").is_null() {
        if config.get("transit_encryption").as_bool() == Some(false) {
            diags.error_at(
                AttributePath::attr("auth_token_wo"),
                "Auth token needs TLS",
                "An AUTH token is only accepted with transit_encryption = true.",
            );
        }
        if config.get("auth_token_wo_version").is_null() {
            diags.error_at(
                AttributePath::attr("auth_token_wo_version"),
                "Missing token version",
                "Set auth_token_wo_version with auth_token_wo (and change it to send a new token).",
            );
        }
    }
    if let Some(token) = config.get("auth_token_wo").as_str() {
        if let Some(c) = token
            .chars()
            .find(|c| !c.is_ascii() || c.is_ascii_control() || matches!(c, ' ' | '"' | '/' | '@'))
        {
            diags.error_at(
                AttributePath::attr("auth_token_wo"),
                "Invalid auth token",
                format!("AUTH tokens are printable ASCII without spaces, `\"`, `/` or `@`; found {c:?}."),
            );
        }
    }
    if !config.get("parameters").is_null() && config.get("engine_version").is_null() {
        diags.error_at(
            AttributePath::attr("engine_version"),
            "Version needed for parameters",
            "A parameter group belongs to an engine version family: set engine_version with parameters.",
        );
    }
}

// ---- create / read / update / delete ------------------------------------------

#[async_trait]
impl Resource for Cache {
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
        let environment = profile::environment(aws, &req.config).to_owned();
        let refused = profile::apply(TYPE, &environment, req);
        if refused.has_errors() {
            return Err(refused);
        }
        // Profile defaults must agree with each other and with the config.
        if req.plan.get("replicas").as_i64() == Some(0) {
            for attr in ["multi_az", "automatic_failover"] {
                if req.config.get(attr).is_null() {
                    req.plan.set(attr, false);
                }
            }
        }
        if req.plan.get("region").is_unknown() && req.config.get("region").is_null() {
            req.plan.set("region", aws.region.clone());
        }
        if !req.prior.is_null() {
            if req.plan.get("parameters").is_null() == req.prior.get("parameters").is_null()
                && req
                    .plan
                    .get("engine_version")
                    .same(req.prior.get("engine_version"))
            {
                let prior = req.prior.get("parameter_group_name").clone();
                req.plan.set("parameter_group_name", prior);
            }
            if req.plan.get("replicas").same(req.prior.get("replicas")) {
                let prior = req.prior.get("member_clusters").clone();
                req.plan.set("member_clusters", prior);
            }
        } else if req.config.get("parameters").is_null() {
            req.plan.set("parameter_group_name", Value::Null);
        }
        if let Some(name) = req.plan.get("name").as_str().map(str::to_owned) {
            tags::plan_tags_all(aws, &environment, TYPE, &name, &mut req.plan);
        }
        Ok(())
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m = model(&req.planned)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let all_tags = tags::desired(
            aws,
            m.environment(aws),
            TYPE,
            &m.name,
            &m.tags.clone().unwrap_or_default(),
        );
        let limit = timeout(&req.planned, "create", Duration::from_secs(3600));
        let ec = aws.elasticache(&region);
        let ec2 = aws.ec2(&region);
        let vpc = firewall::vpc_of(&ec2, &m.subnet_ids).await?;
        let sg = firewall::ensure(
            &ec2,
            &vpc,
            &format!("{}-cache", m.name),
            &format!(
                "onto_cache {}: Redis protocol from allowed sources only",
                m.name
            ),
            &all_tags,
            PORT,
            &m.sources(),
        )
        .await?;
        ensure_subnet_group(&ec, &m.name, &m.subnet_ids, &all_tags).await?;
        let group = m.parameter_group();
        if let (Some(g), Some(family), Some(params)) = (&group, m.family(), &m.parameters) {
            ensure_parameters(&ec, g, &family, params, None).await?;
        }
        let token = req.config.get("auth_token_wo").as_str().map(str::to_owned);
        let created = ec
            .create_replication_group()
            .replication_group_id(&m.name)
            .replication_group_description(format!("onto_cache {}", m.name))
            .engine(&m.engine)
            .set_engine_version(m.engine_version.clone())
            .cache_node_type(&m.node_type)
            .num_cache_clusters(m.replicas + 1)
            .multi_az_enabled(m.multi_az)
            .automatic_failover_enabled(m.automatic_failover)
            .at_rest_encryption_enabled(m.at_rest_encryption)
            .transit_encryption_enabled(m.transit_encryption)
            .set_kms_key_id(m.kms_key.clone())
            .set_auth_token(token)
            .snapshot_retention_limit(m.snapshot_retention_days)
            .set_snapshot_window(m.snapshot_window.clone())
            .cache_subnet_group_name(&m.name)
            .security_group_ids(&sg)
            .set_cache_parameter_group_name(group.clone())
            .port(PORT)
            .set_tags(Some(ec_tags(&all_tags)))
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(e) if aws::code(&e) == Some("ReplicationGroupAlreadyExistsFault") => {
                let existing = describe_group(&ec, &m.name).await?;
                let tags = match &existing {
                    Some(g) => ec
                        .list_tags_for_resource()
                        .resource_name(g.arn().unwrap_or_default())
                        .send()
                        .await
                        .map_err(aws::failed("elasticache:ListTagsForResource"))?
                        .tag_list()
                        .iter()
                        .filter_map(|t| {
                            Some((
                                t.key()?.to_owned(),
                                t.value().unwrap_or_default().to_owned(),
                            ))
                        })
                        .collect(),
                    None => BTreeMap::new(),
                };
                tags::Existing {
                    what: "A replication group",
                    resource_type: TYPE,
                    name: &m.name,
                    region: &region,
                    environment: m.environment(aws),
                }
                .adopt(aws, Some(&tags))?;
            }
            Err(e) => return Err(aws::error("elasticache:CreateReplicationGroup", &e).into()),
        }
        let mut known = req.planned.clone();
        known.set("security_group_id", sg.clone());
        known.set("parameter_group_name", group.clone());
        if let Some(remote) = describe(aws, &region, &m.name, &known).await? {
            req.save_partial(state(aws, &region, &remote, &known)?);
        }
        wait_available(&ec, &m.name, limit, &req.stop).await?;
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
        let limit = timeout(&req.planned, "update", Duration::from_secs(3600));
        let all_tags = tags::desired(
            aws,
            m.environment(aws),
            TYPE,
            &m.name,
            &m.tags.clone().unwrap_or_default(),
        );
        let ec = aws.elasticache(&region);
        let remote = describe(aws, &region, &m.name, &req.prior)
            .await?
            .ok_or_else(|| gone(&m.name, "update"))?;
        let g = &remote.group;
        if let Some(sg) = req.prior.get("security_group_id").as_str() {
            firewall::converge(&aws.ec2(&region), sg, &remote.sources, PORT, &m.sources()).await?;
        }
        if m.subnet_ids != prior.subnet_ids {
            ensure_subnet_group(&ec, &m.name, &m.subnet_ids, &all_tags).await?;
        }
        let group = m.parameter_group();
        if let (Some(pg), Some(family), Some(params)) = (&group, m.family(), &m.parameters) {
            let have = (prior.parameter_group().as_deref() == Some(pg.as_str()))
                .then_some(remote.parameters.as_ref())
                .flatten();
            ensure_parameters(&ec, pg, &family, params, have).await?;
        }
        let arn = g.arn().unwrap_or_default();
        let (remove, set) = tags::diff(&remote.tags, &all_tags);
        if !remove.is_empty() {
            ec.remove_tags_from_resource()
                .resource_name(arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(aws::failed("elasticache:RemoveTagsFromResource"))?;
        }
        if !set.is_empty() {
            ec.add_tags_to_resource()
                .resource_name(arn)
                .set_tags(Some(ec_tags(&set)))
                .send()
                .await
                .map_err(aws::failed("elasticache:AddTagsToResource"))?;
        }

        // Replicas first when growing (failover needs them), last when shrinking.
        let have_replicas = g.member_clusters().len().saturating_sub(1) as i32;
        if m.replicas > have_replicas {
            set_replicas(&ec, &m.name, have_replicas, m.replicas, limit, &req.stop).await?;
        }

        let mut modify = ec
            .modify_replication_group()
            .replication_group_id(&m.name)
            .apply_immediately(true);
        let mut changed = false;
        let mut set = |cond: bool| {
            changed |= cond;
            cond
        };
        if set(g.engine().is_some_and(|e| e != m.engine)) {
            modify = modify.engine(&m.engine);
        }
        if set(m.engine_version.is_some() && m.engine_version != remote.engine_version) {
            modify = modify.set_engine_version(m.engine_version.clone());
        }
        if set(g.cache_node_type() != Some(m.node_type.as_str())) {
            modify = modify.cache_node_type(&m.node_type);
        }
        let failover = g
            .automatic_failover()
            .is_some_and(|f| matches!(f.as_str(), "enabled" | "enabling"));
        if set(failover != m.automatic_failover) {
            modify = modify.automatic_failover_enabled(m.automatic_failover);
        }
        let multi_az = g.multi_az().is_some_and(|x| x.as_str() == "enabled");
        if set(multi_az != m.multi_az) {
            modify = modify.multi_az_enabled(m.multi_az);
        }
        if set(g.snapshot_retention_limit() != Some(m.snapshot_retention_days)) {
            modify = modify.snapshot_retention_limit(m.snapshot_retention_days);
        }
        if set(m.snapshot_window.is_some() && m.snapshot_window.as_deref() != g.snapshot_window()) {
            modify = modify.set_snapshot_window(m.snapshot_window.clone());
        }
        if set(group.is_some() && group != prior.parameter_group()) {
            modify = modify.set_cache_parameter_group_name(group.clone());
        }
        let token = req.config.get("auth_token_wo").as_str().map(str::to_owned);
        match token {
            Some(t) if m.auth_token_wo_version != prior.auth_token_wo_version => {
                changed = true;
                modify = modify
                    .auth_token(t)
                    .auth_token_update_strategy(AuthTokenUpdateStrategyType::Rotate);
            }
            None if g.auth_token_enabled() == Some(true) => {
                changed = true;
                modify = modify.auth_token_update_strategy(AuthTokenUpdateStrategyType::Delete);
            }
            _ => {}
        }
        if changed {
            modify
                .send()
                .await
                .map_err(aws::failed("elasticache:ModifyReplicationGroup"))?;
            wait_available(&ec, &m.name, limit, &req.stop).await?;
        }

        if m.replicas < have_replicas {
            set_replicas(&ec, &m.name, have_replicas, m.replicas, limit, &req.stop).await?;
        }
        let mut known = req.planned.clone();
        known.set(
            "security_group_id",
            req.prior.get("security_group_id").clone(),
        );
        known.set("parameter_group_name", group);
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
        let ec = aws.elasticache(&region);
        match ec
            .delete_replication_group()
            .replication_group_id(&m.name)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if aws::code(&e) == Some("ReplicationGroupNotFoundFault") => {}
            // Already being deleted (an interrupted destroy): wait for it.
            Err(e) if aws::code(&e) == Some("InvalidReplicationGroupState") => {}
            Err(e) => return Err(aws::error("elasticache:DeleteReplicationGroup", &e).into()),
        }
        wait_deleted(&ec, &m.name, limit, &req.stop).await?;
        if let Some(group) = req.prior.get("parameter_group_name").as_str() {
            match ec
                .delete_cache_parameter_group()
                .cache_parameter_group_name(group)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if aws::code(&e) == Some("CacheParameterGroupNotFound") => {}
                Err(e) => {
                    return Err(aws::error("elasticache:DeleteCacheParameterGroup", &e).into())
                }
            }
        }
        let out = aws::retry_eventual(&["CacheSubnetGroupInUse"], Duration::from_secs(300), || {
            ec.delete_cache_subnet_group()
                .cache_subnet_group_name(&m.name)
                .send()
        })
        .await;
        match out {
            Ok(_) => {}
            Err(e) if aws::code(&e) == Some("CacheSubnetGroupNotFoundFault") => {}
            Err(e) => return Err(aws::error("elasticache:DeleteCacheSubnetGroup", &e).into()),
        }
        if let Some(sg) = req.prior.get("security_group_id").as_str() {
            firewall::delete(&aws.ec2(&region), sg).await?;
        }
        Ok(())
    }

    /// Import ID: `NAME`, or `REGION:NAME` for another region.
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let (region, name) = match req.id.split_once(':') {
            Some((r, n)) => (r.to_owned(), n.to_owned()),
            None => (aws.region.clone(), req.id.clone()),
        };
        let ec2 = aws.ec2(&region);
        let sg = firewall::find(&ec2, None, &tags::owner(TYPE, &name)).await?;
        let mut v = Value::null_object(&schema().ty());
        v.set("name", name);
        v.set("region", region);
        v.set(
            "security_group_id",
            sg.and_then(|g| g.group_id().map(str::to_owned)),
        );
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    //! The emulator keeps a deleted replication group `deleting` forever,
    //! lacks parameter groups, replica count changes and subnet group
    //! deletion, and has no transitional states: those paths are tested
    //! here with aws-smithy-mocks.

    use super::*;
    use aws_sdk_elasticache::operation::describe_replication_groups::DescribeReplicationGroupsOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    fn group(status: &str) -> DescribeReplicationGroupsOutput {
        DescribeReplicationGroupsOutput::builder()
            .replication_groups(
                ReplicationGroup::builder()
                    .replication_group_id("sessions")
                    .status(status)
                    .build(),
            )
            .build()
    }

    fn not_found() -> HttpResponse {
        HttpResponse::new(
            StatusCode::try_from(404).unwrap(),
            SdkBody::from("<ErrorResponse><Error><Type>Sender</Type><Code>ReplicationGroupNotFoundFault</Code><Message>not found</Message></Error><RequestId>req-7</RequestId></ErrorResponse>"),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn create_and_modify_wait_for_available() {
        let rule = mock!(aws_sdk_elasticache::Client::describe_replication_groups)
            .sequence()
            .output(|| group("creating"))
            .times(3)
            .output(|| group("modifying"))
            .output(|| group("snapshotting"))
            .output(|| group("available"))
            .build();
        let ec = mock_client!(aws_sdk_elasticache, RuleMode::Sequential, [&rule]);
        wait_available(&ec, "sessions", Duration::from_secs(600), &Stop::new())
            .await
            .expect("available");
        assert_eq!(rule.num_calls(), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn create_failed_fails_at_once_and_slow_creates_time_out() {
        let rule = mock!(aws_sdk_elasticache::Client::describe_replication_groups)
            .sequence()
            .output(|| group("create-failed"))
            .build();
        let ec = mock_client!(aws_sdk_elasticache, RuleMode::Sequential, [&rule]);
        let err = wait_available(&ec, "sessions", Duration::from_secs(600), &Stop::new())
            .await
            .unwrap_err();
        assert!(format!("{err:?}").contains("Cache sessions is create-failed"));

        let rule = mock!(aws_sdk_elasticache::Client::describe_replication_groups)
            .sequence()
            .output(|| group("creating"))
            .repeatedly()
            .build();
        let ec = mock_client!(aws_sdk_elasticache, RuleMode::Sequential, [&rule]);
        let err = wait_available(&ec, "sessions", Duration::from_secs(30), &Stop::new())
            .await
            .unwrap_err();
        let text = format!("{err:?}");
        assert!(
            text.contains("Timed out waiting for cache sessions")
                && text.contains("Still creating"),
            "{text}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn delete_waits_through_deleting_until_not_found() {
        let rule = mock!(aws_sdk_elasticache::Client::describe_replication_groups)
            .sequence()
            .output(|| group("deleting"))
            .times(4)
            .http_response(not_found)
            .build();
        let ec = mock_client!(aws_sdk_elasticache, RuleMode::Sequential, [&rule]);
        wait_deleted(&ec, "sessions", Duration::from_secs(600), &Stop::new())
            .await
            .expect("deleted");
        assert_eq!(rule.num_calls(), 5);
    }

    #[tokio::test]
    async fn parameters_converge_to_the_configuration() {
        use aws_sdk_elasticache::operation::create_cache_parameter_group::CreateCacheParameterGroupOutput;
        use aws_sdk_elasticache::operation::modify_cache_parameter_group::ModifyCacheParameterGroupOutput;
        use aws_sdk_elasticache::operation::reset_cache_parameter_group::ResetCacheParameterGroupOutput;
        let want = BTreeMap::from([
            ("maxmemory-policy".to_owned(), "allkeys-lru".to_owned()),
            ("notify-keyspace-events".to_owned(), "Ex".to_owned()),
        ]);
        // A new group: created in the family, every parameter sent.
        let create = mock!(aws_sdk_elasticache::Client::create_cache_parameter_group)
            .match_requests(|r| r.cache_parameter_group_family() == Some("valkey8"))
            .then_output(|| CreateCacheParameterGroupOutput::builder().build());
        let modify_all = mock!(aws_sdk_elasticache::Client::modify_cache_parameter_group)
            .match_requests(|r| r.parameter_name_values().len() == 2)
            .then_output(|| ModifyCacheParameterGroupOutput::builder().build());
        let ec = mock_client!(
            aws_sdk_elasticache,
            RuleMode::MatchAny,
            [&create, &modify_all]
        );
        ensure_parameters(&ec, "sessions-valkey8", "valkey8", &want, None)
            .await
            .expect("created and set");
        assert_eq!((create.num_calls(), modify_all.num_calls()), (1, 1));

        // An existing group: only the change is sent, the removed one reset.
        let modify_one = mock!(aws_sdk_elasticache::Client::modify_cache_parameter_group)
            .match_requests(|r| {
                r.parameter_name_values().len() == 1
                    && r.parameter_name_values()[0].parameter_name() == Some("maxmemory-policy")
                    && r.parameter_name_values()[0].parameter_value() == Some("allkeys-lru")
            })
            .then_output(|| ModifyCacheParameterGroupOutput::builder().build());
        let reset = mock!(aws_sdk_elasticache::Client::reset_cache_parameter_group)
            .match_requests(|r| r.parameter_name_values()[0].parameter_name() == Some("timeout"))
            .then_output(|| ResetCacheParameterGroupOutput::builder().build());
        let ec = mock_client!(
            aws_sdk_elasticache,
            RuleMode::MatchAny,
            [&modify_one, &reset]
        );
        let have = BTreeMap::from([
            ("notify-keyspace-events".to_owned(), "Ex".to_owned()),
            ("timeout".to_owned(), "300".to_owned()),
        ]);
        ensure_parameters(&ec, "sessions-valkey8", "valkey8", &want, Some(&have))
            .await
            .expect("converged");
        assert_eq!((modify_one.num_calls(), reset.num_calls()), (1, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn replicas_are_added_then_waited_for() {
        use aws_sdk_elasticache::operation::increase_replica_count::IncreaseReplicaCountOutput;
        let increase = mock!(aws_sdk_elasticache::Client::increase_replica_count)
            .match_requests(|r| {
                r.new_replica_count() == Some(2) && r.apply_immediately() == Some(true)
            })
            .then_output(|| IncreaseReplicaCountOutput::builder().build());
        let describe = mock!(aws_sdk_elasticache::Client::describe_replication_groups)
            .sequence()
            .output(|| group("modifying"))
            .times(2)
            .output(|| group("available"))
            .build();
        let ec = mock_client!(
            aws_sdk_elasticache,
            RuleMode::MatchAny,
            [&increase, &describe]
        );
        set_replicas(
            &ec,
            "sessions",
            1,
            2,
            Duration::from_secs(600),
            &Stop::new(),
        )
        .await
        .expect("grown");
        assert_eq!((increase.num_calls(), describe.num_calls()), (1, 3));
        // Nothing to do: no call at all.
        set_replicas(
            &ec,
            "sessions",
            2,
            2,
            Duration::from_secs(600),
            &Stop::new(),
        )
        .await
        .expect("unchanged");
        assert_eq!(increase.num_calls(), 1);
    }

    #[test]
    fn profile_rules_and_names() {
        let mut d = Diagnostics::default();
        let mut config = Value::null_object(&schema().ty());
        config.set("multi_az", true);
        config.set("replicas", 0);
        config.set("auth_token_wo", "short token with spaces");
        config.set("transit_encryption", false);
        check_config(&config, &mut d);
        let text = format!("{d:?}");
        for want in [
            "Multi-AZ needs a replica",
            "Auth token needs TLS",
            "Missing token version",
            "Invalid auth token",
        ] {
            assert!(text.contains(want), "{want}: {text}");
        }
        let mut d = Diagnostics::default();
        GroupId.validate(&AttributePath::attr("name"), &"Sessions".into(), &mut d);
        NodeType.validate(
            &AttributePath::attr("node_type"),
            &"t4g.micro".into(),
            &mut d,
        );
        assert_eq!(d.iter().count(), 2, "{d:?}");
    }
}
