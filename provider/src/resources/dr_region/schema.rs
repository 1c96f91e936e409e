//! `onto_dr_region`'s schema.

use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::validate::{duration, one_of};
use tfplugin::value::Type;

use crate::validators;

pub fn schema() -> Schema {
    Schema::new(
        Block::new()
            .describe("A disaster-recovery region for a primary environment: ECR replication of its repositories (merged with other stacks' rules), a cross-region read replica of its database (or replicated automated backups), replication of its Terraform state bucket to a versioned DR bucket with a DR lock table, and recovery objectives estimated from live state and checked against targets at plan time.")
            .attribute(Attribute::string("name").required().requires_replace().validate(tfplugin::validate::length_between(1, 40)).describe("Names the DR objects (the replica `<name>-db`, the role `<name>-<region>-state-replication`, ...)."))
            .attribute(Attribute::string("region").optional().computed().requires_replace().use_state_for_unknown().validate(validators::region()).describe("The primary region: the database's (`db_arn`) by default, else the provider's."))
            .attribute(Attribute::string("dr_region").required().requires_replace().validate(validators::region()).describe("The DR region."))
            .attribute(Attribute::new("repository_prefixes", Type::list(Type::String)).optional().describe("ECR repository name prefixes to replicate (e.g. `onto/`)."))
            .attribute(Attribute::string("db_arn").optional().requires_replace().describe("ARN of the primary database (`onto_db.arn`)."))
            .attribute(Attribute::string("db_mode").default("replica").requires_replace().validate(one_of(&["replica", "backups"])).describe("`replica` (a cross-region read replica: seconds of lag, failover by promotion) or `backups` (replicated automated backups: cheaper, failover by restore)."))
            .attribute(Attribute::string("db_instance_class").optional().computed().use_state_for_unknown().describe("Replica instance class; the primary's when unset."))
            .attribute(Attribute::string("dr_kms_key").optional().requires_replace().validate(validators::kms_key()).describe("KMS key in the DR region for the replica or the replicated backups (the primary is always encrypted)."))
            .attribute(Attribute::new("dr_subnet_ids", Type::set(Type::String)).optional().requires_replace().describe("Database subnets in the DR region (replica mode)."))
            .attribute(Attribute::new("dr_allowed_cidr_blocks", Type::set(Type::String)).optional().validate(validators::CidrBlocks).describe("Who may reach the replica on 5432 (the DR network's private tier)."))
            .attribute(Attribute::string("state_bucket").optional().requires_replace().describe("The primary state bucket (`onto_state_backend.bucket`) to replicate."))
            .attribute(Attribute::string("state_lock_table").optional().requires_replace().describe("Name of the lock table to create in the DR region (the primary's name, so the backend configuration only changes region)."))
            .attribute(Attribute::bool("force_destroy").default(false).describe("Let destroy delete a DR state bucket that holds replicated state."))
            .attribute(Attribute::string("rto_target").default("15m").validate(duration()).describe("Recovery time objective. A configuration whose estimate exceeds it fails the plan."))
            .attribute(Attribute::string("rpo_target").default("1h").validate(duration()).describe("Recovery point objective. A configuration whose estimate exceeds it fails the plan."))
            .attribute(Attribute::new("tags", Type::map(Type::String)).optional().validate(validators::TagKeys).describe("Tags for every DR object."))
            .attribute(Attribute::new("tags_all", Type::map(Type::String)).computed().describe("All tags, including `default_tags` and the onto tags."))
            .attribute(Attribute::string("replica_id").computed().use_state_for_unknown().describe("The DR database instance id (replica mode)."))
            .attribute(Attribute::string("replica_arn").computed().use_state_for_unknown().describe("The DR database ARN."))
            .attribute(Attribute::string("replica_endpoint").computed().use_state_for_unknown().describe("The DR database `address:port` — where clients go after a failover."))
            .attribute(Attribute::bool("promoted").computed().describe("True once the replica was promoted (after `onto_dr_failover`)."))
            .attribute(Attribute::string("dr_bucket").computed().use_state_for_unknown().describe("The DR state bucket (`<state_bucket>-<dr_region>`)."))
            .attribute(Attribute::string("replication_role_arn").computed().use_state_for_unknown().describe("The role S3 replicates the state bucket with."))
            .attribute(Attribute::string("rpo_estimate").computed().describe("Estimated data loss of a failover now (replica lag, or age of the latest restorable time)."))
            .attribute(Attribute::string("rpo_source").computed().describe("What the RPO estimate rests on: measured lag, the latest restorable time, or the model's nominal value (and why)."))
            .attribute(Attribute::string("rto_estimate").computed().describe("Estimated time to fail over (promotion, or restore, plus repointing)."))
            .attribute(Attribute::bool("objectives_met").computed().describe("Whether both estimates are within their targets."))
            .timeouts(&["create", "delete"]),
    )
}
