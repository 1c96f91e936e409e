//! `onto_cache`'s schema and its attribute checks.

use tfplugin::diag::Diagnostics;
use tfplugin::plan::modifiers::RequiresReplaceIf;
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::validate::{int_between, length_between, one_of, Validator};
use tfplugin::value::{AttributePath, Type, Value};

use super::TYPE;
use crate::{profile, validators};

/// Replication group ids: 1–40 lowercase letters, digits and single
/// hyphens, starting with a letter and not ending with a hyphen.
pub struct GroupId;

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
pub struct NodeType;

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

pub fn schema() -> Schema {
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
            .attribute(Attribute::string("kms_key").optional().requires_replace().validate(validators::kms_key_arn()).describe("KMS key ARN (not an alias) for encryption at rest, in the cache's region; AWS's managed key when omitted."))
            .attribute(Attribute::string("auth_token_wo").optional().write_only().sensitive().validate(length_between(16, 128)).describe("AUTH token, write-only (Terraform 1.11+): sent to AWS, never stored in state or plan. Needs transit_encryption. Changing it (with `auth_token_wo_version`) rotates: the old token stays valid until the next rotation, so clients can move over."))
            .attribute(Attribute::number("auth_token_wo_version").optional().describe("Change this to send a new `auth_token_wo`."))
            .attribute(Attribute::bool("auth_token_enabled").optional().computed().describe("Whether clients must present an AUTH token. Default when created: whether `auth_token_wo` is set. Left unset later it keeps what the cache has: an apply without `auth_token_wo` never removes the token. Set it to false to remove the token, and the plan shows it."))
            .attribute(Attribute::number("snapshot_retention_days").optional().computed().validate(int_between(0, 35)).describe("Days of daily snapshots kept (0 turns them off). Default from the environment profile."))
            .attribute(Attribute::string("snapshot_window").optional().computed().use_state_for_unknown().validate(crate::windows::Window { with_day: false, min_minutes: 60 }).describe("Daily snapshot window, UTC (`03:00-04:00`); AWS picks one when unset."))
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
            .attribute(Attribute::string("security_group_id").computed().use_state_for_unknown().describe("The security group onto manages for the cache (`<name>-cache`); null for an imported cache whose own groups are left as they are, until `allowed_*` is configured."))
            .attribute(Attribute::string("parameter_group_name").computed().describe("The managed parameter group, when `parameters` is set."))
            .attribute(Attribute::new("member_clusters", Type::list(Type::String)).computed().describe("The node ids, primary first."))
            .timeouts(&["create", "update", "delete"]),
    )
}
