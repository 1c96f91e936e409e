//! `onto_cache`'s state: one typed struct, read from plans and state and
//! written back from what AWS holds.

use std::collections::BTreeMap;

use aws_sdk_elasticache::types::ReplicationGroup;
use serde::{Deserialize, Serialize};

use crate::aws::ec2::security_group::Sources;
use crate::aws::Aws;

pub const PORT: i32 = 6379;

/// Every attribute of `onto_cache` (the write-only token is never state).
/// Reading a plan, unknown values are `None`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Model {
    pub name: String,
    pub region: Option<String>,
    pub environment: Option<String>,
    pub prod_overrides: Option<Vec<String>>,
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub node_type: Option<String>,
    pub replicas: Option<i32>,
    pub multi_az: Option<bool>,
    pub automatic_failover: Option<bool>,
    pub at_rest_encryption: Option<bool>,
    pub transit_encryption: Option<bool>,
    pub kms_key: Option<String>,
    pub auth_token_wo_version: Option<i64>,
    pub auth_token_enabled: Option<bool>,
    pub snapshot_retention_days: Option<i32>,
    pub snapshot_window: Option<String>,
    pub subnet_ids: Option<Vec<String>>,
    pub allowed_security_group_ids: Option<Vec<String>>,
    pub allowed_cidr_blocks: Option<Vec<String>>,
    pub parameters: Option<BTreeMap<String, String>>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Option<BTreeMap<String, String>>,
    pub arn: Option<String>,
    pub primary_endpoint: Option<String>,
    pub reader_endpoint: Option<String>,
    pub port: Option<i32>,
    pub security_group_id: Option<String>,
    pub parameter_group_name: Option<String>,
    pub member_clusters: Option<Vec<String>>,
}

impl Model {
    pub fn environment<'a>(&'a self, aws: &'a Aws) -> &'a str {
        self.environment.as_deref().unwrap_or(&aws.environment)
    }

    pub fn engine(&self) -> &str {
        self.engine.as_deref().unwrap_or("redis")
    }

    pub fn replicas(&self) -> i32 {
        self.replicas.unwrap_or(0)
    }

    pub fn subnets(&self) -> Vec<String> {
        let mut s = self.subnet_ids.clone().unwrap_or_default();
        s.sort();
        s
    }

    pub fn sources(&self) -> Sources {
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

    pub fn has_sources(&self) -> bool {
        self.allowed_security_group_ids.is_some() || self.allowed_cidr_blocks.is_some()
    }

    /// The parameter group family, e.g. `redis7`, `valkey8`.
    pub fn family(&self) -> Option<String> {
        let major = self.engine_version.as_deref()?.split('.').next()?;
        Some(format!("{}{major}", self.engine()))
    }

    /// The parameter group this resource manages, when `parameters` is set.
    pub fn parameter_group(&self) -> Option<String> {
        self.parameters
            .as_ref()
            .filter(|p| !p.is_empty())
            .and(self.family())
            .map(|f| format!("{}-{f}", self.name))
    }

    pub fn security_group_name(&self) -> String {
        format!("{}-cache", self.name)
    }
}

/// What AWS holds for one cache.
pub struct Remote {
    pub group: ReplicationGroup,
    pub tags: BTreeMap<String, String>,
    pub subnet_ids: Vec<String>,
    pub engine_version: Option<String>,
    /// Every security group of its nodes.
    pub security_groups: Vec<String>,
    /// The security group onto manages for it, with its sources on 6379.
    pub managed_sg: Option<(String, Sources)>,
    /// The parameter group this resource manages and its parameters.
    pub parameters: Option<(String, BTreeMap<String, String>)>,
}

impl Remote {
    /// The state; `known` (plan or prior state) supplies what AWS does not
    /// report.
    pub fn observed(
        &self,
        aws: &Aws,
        region: &str,
        known: &Model,
        known_value: &tfplugin::value::Value,
    ) -> Model {
        let g = &self.group;
        let node_group = g.node_groups().first();
        let primary = node_group.and_then(|n| n.primary_endpoint());
        let reader = node_group.and_then(|n| n.reader_endpoint());
        let sources = self
            .managed_sg
            .as_ref()
            .map(|(_, s)| s.clone())
            .unwrap_or_default();
        let opt_set = |configured: &Option<Vec<String>>, items: Vec<String>| {
            (!items.is_empty() || configured.is_some()).then_some(items)
        };
        Model {
            name: g.replication_group_id().unwrap_or_default().to_owned(),
            region: Some(region.to_owned()),
            environment: known.environment.clone(),
            prod_overrides: known.prod_overrides.clone(),
            engine: g
                .engine()
                .map(str::to_owned)
                .or_else(|| known.engine.clone()),
            engine_version: self
                .engine_version
                .clone()
                .or_else(|| known.engine_version.clone()),
            node_type: g.cache_node_type().map(str::to_owned),
            replicas: Some(g.member_clusters().len().saturating_sub(1) as i32),
            multi_az: Some(g.multi_az().is_some_and(|m| m.as_str() == "enabled")),
            automatic_failover: Some(
                g.automatic_failover()
                    .is_some_and(|f| matches!(f.as_str(), "enabled" | "enabling")),
            ),
            at_rest_encryption: Some(g.at_rest_encryption_enabled().unwrap_or(false)),
            transit_encryption: Some(g.transit_encryption_enabled().unwrap_or(false)),
            kms_key: g
                .kms_key_id()
                .map(str::to_owned)
                .or_else(|| known.kms_key.clone()),
            auth_token_wo_version: known.auth_token_wo_version,
            auth_token_enabled: Some(g.auth_token_enabled().unwrap_or(false)),
            snapshot_retention_days: Some(g.snapshot_retention_limit().unwrap_or(0)),
            snapshot_window: g.snapshot_window().map(str::to_owned),
            subnet_ids: Some(self.subnet_ids.clone()),
            allowed_security_group_ids: opt_set(
                &known.allowed_security_group_ids,
                sources.security_groups.iter().cloned().collect(),
            ),
            allowed_cidr_blocks: opt_set(
                &known.allowed_cidr_blocks,
                sources.cidr_blocks.iter().cloned().collect(),
            ),
            parameters: match &self.parameters {
                Some((_, p)) if !p.is_empty() || known.parameters.is_some() => Some(p.clone()),
                _ => None,
            },
            tags: crate::tags::state_view(aws, known_value, &self.tags),
            tags_all: Some(self.tags.clone()),
            arn: g.arn().map(str::to_owned),
            primary_endpoint: primary.and_then(|e| e.address()).map(str::to_owned),
            reader_endpoint: reader.and_then(|e| e.address()).map(str::to_owned),
            port: Some(primary.and_then(|e| e.port()).unwrap_or(PORT)),
            security_group_id: self.managed_sg.as_ref().map(|(id, _)| id.clone()),
            parameter_group_name: self.parameters.as_ref().map(|(name, _)| name.clone()),
            member_clusters: Some(g.member_clusters().to_vec()),
        }
    }
}
