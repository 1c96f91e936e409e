//! `onto_db`'s schema and its attribute checks.

use tfplugin::diag::Diagnostics;
use tfplugin::plan::modifiers::RequiresReplaceIf;
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::validate::{int_between, length_between, one_of, Validator};
use tfplugin::value::{AttributePath, Type, Value};

use super::model::LOG_TYPES;
use super::TYPE;
use crate::windows::Window;
use crate::{profile, validators};

/// RDS identifiers: 1–63 lowercase letters, digits and single hyphens,
/// starting with a letter and not ending with a hyphen.
pub struct Identifier;

impl Validator for Identifier {
    fn description(&self) -> String {
        "an RDS identifier: lowercase letters, digits and single hyphens, starting with a letter"
            .into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        let ok = (1..=63).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.ends_with('-')
            && !s.contains("--");
        if !ok {
            diags.error_at(
                path.clone(),
                "Invalid identifier",
                format!(
                    "{s:?} is not {}, at most 63 characters.",
                    self.description()
                ),
            );
        }
    }
}

/// `db.<family>.<size>`, e.g. `db.t4g.micro`, `db.r6g.2xlarge`.
pub struct InstanceClass;

impl Validator for InstanceClass {
    fn description(&self) -> String {
        "an instance class like `db.t4g.micro` or `db.r6g.2xlarge`".into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        let parts: Vec<&str> = s.split('.').collect();
        let word = |p: &str| {
            !p.is_empty()
                && p.starts_with(|c: char| c.is_ascii_alphanumeric())
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if !(parts.len() == 3 && parts[0] == "db" && word(parts[1]) && word(parts[2])) {
            diags.error_at(
                path.clone(),
                "Invalid instance class",
                format!("{s:?} is not {}.", self.description()),
            );
        }
    }
}

pub fn schema() -> Schema {
    // A replica promoted (source removed) stays; any other change of source replaces.
    let source_replaces = RequiresReplaceIf(
        |state: &Value, plan: &Value| !plan.is_null() && !plan.same(state),
        "Changing the source replaces the replica; removing it promotes the replica in place.",
    );
    Schema::new(
        Block::new()
            .describe("An RDS PostgreSQL instance with its subnet group, a security group open on 5432 only to the sources you name, and an optional managed parameter group. Storage is always encrypted. Sizing and protection come from the environment profile. The master password is managed in Secrets Manager, or set write-only, and never stored in state.")
            .attribute(Attribute::string("name").required().requires_replace().validate(Identifier).describe("Instance identifier; also names the subnet group, security group (`<name>-db`) and parameter group."))
            .attribute(Attribute::string("region").optional().computed().requires_replace().use_state_for_unknown().validate(validators::region()).describe("Region; defaults to the provider's."))
            .attribute(profile::environment_attribute())
            .attribute(profile::overrides_attribute(TYPE))
            .attribute(Attribute::string("engine_version").default("16").describe("PostgreSQL version: a major (`16`, AWS picks the minor) or a full version (`16.4`). After AWS applies an automatic minor upgrade the configured version is kept, so the plan never proposes a downgrade. Raising it upgrades in place (a major upgrade too)."))
            .attribute(Attribute::string("engine_version_actual").computed().describe("The version AWS runs now."))
            .attribute(Attribute::bool("auto_minor_version_upgrade").default(true).describe("Let AWS apply minor upgrades in the maintenance window. Default true."))
            .attribute(Attribute::string("instance_class").optional().computed().validate(InstanceClass).describe("Instance class. Default from the environment profile."))
            .attribute(Attribute::number("allocated_storage").default(20).validate(int_between(20, 65_536)).describe("Storage in GiB. When storage autoscaling grows it, the configured value is kept (no shrink is ever planned)."))
            .attribute(Attribute::number("max_allocated_storage").optional().validate(int_between(21, 65_536)).describe("Upper limit for storage autoscaling, in GiB; unset turns autoscaling off."))
            .attribute(Attribute::string("storage_type").default("gp3").validate(one_of(&["gp2", "gp3", "io1", "io2"])).describe("`gp3` (default), `gp2`, `io1` or `io2`."))
            .attribute(Attribute::number("iops").optional().computed().keep_prior_value().validate(int_between(1000, 256_000)).describe("Provisioned IOPS. Required with `io1`/`io2` (at least 100 GiB; at most 50 IOPS per GiB for io1, 1,000 for io2); with `gp3` from 400 GiB only (3,000–64,000); not with `gp2`."))
            .attribute(Attribute::string("kms_key").optional().computed().requires_replace().use_state_for_unknown().validate(validators::kms_key()).describe("KMS key for storage encryption (always on); AWS's managed key when omitted. For a cross-region replica: a key in the replica's region."))
            .attribute(Attribute::new("subnet_ids", Type::set(Type::String)).required().describe("Subnets for the subnet group (the database tier), in at least two AZs."))
            .attribute(Attribute::new("allowed_security_group_ids", Type::set(Type::String)).optional().describe("Security groups allowed to connect on 5432."))
            .attribute(Attribute::new("allowed_cidr_blocks", Type::set(Type::String)).optional().validate(validators::CidrBlocks).describe("CIDR blocks allowed to connect on 5432."))
            .attribute(Attribute::new("parameters", Type::map(Type::String)).optional().describe("PostgreSQL parameters. When set, a parameter group `<name>-postgres<major>` is managed for you."))
            .attribute(Attribute::bool("multi_az").optional().computed().describe("A synchronous standby in another AZ. Default from the environment profile (on in prod)."))
            .attribute(Attribute::number("backup_retention_days").optional().computed().validate(int_between(0, 35)).describe("Days of automated backups (point-in-time restore). Default from the environment profile (14 in prod, at least 7 without an override)."))
            .attribute(Attribute::string("backup_window").optional().computed().use_state_for_unknown().validate(Window { with_day: false, min_minutes: 30 }).describe("Daily backup window, UTC (`01:00-02:00`); AWS picks one when unset."))
            .attribute(Attribute::string("maintenance_window").optional().computed().use_state_for_unknown().validate(Window { with_day: true, min_minutes: 30 }).describe("Weekly maintenance window, UTC (`sun:03:00-sun:04:00`); AWS picks one when unset."))
            .attribute(Attribute::bool("deletion_protection").optional().computed().describe("Refuse deletion while on. Default from the environment profile."))
            .attribute(Attribute::bool("final_snapshot").optional().computed().describe("Take a final snapshot on destroy, named `<name>-final-<yyyymmdd>` (with `-2`, `-3` ... when taken already). Default from the environment profile."))
            .attribute(Attribute::bool("performance_insights").optional().computed().describe("Performance Insights (7 days retention). Default from the environment profile."))
            .attribute(Attribute::bool("apply_immediately").optional().computed().describe("Apply changes now rather than in the maintenance window. When false, held changes show in `pending_changes`. Default from the environment profile (false in prod)."))
            .attribute(Attribute::new("log_exports", Type::set(Type::String)).optional().computed().validate(one_of(&LOG_TYPES)).describe("Logs exported to CloudWatch Logs: `postgresql`, `upgrade`. Default both."))
            .attribute(Attribute::string("username").default("onto").requires_replace().validate(length_between(1, 63)).describe("Master user name."))
            .attribute(Attribute::string("database_name").optional().requires_replace().validate(length_between(1, 63)).describe("A database created with the instance."))
            .attribute(Attribute::string("password_wo").optional().write_only().sensitive().validate(length_between(8, 128)).describe("Master password, write-only (Terraform 1.11+): sent to AWS, never stored in state or plan. Without it, the password is generated and kept in Secrets Manager (`master_secret_arn`)."))
            .attribute(Attribute::number("password_wo_version").optional().describe("Change this to send a new `password_wo`."))
            .attribute(Attribute::bool("manage_master_password").optional().computed().describe("Whether Secrets Manager manages the master password (`master_secret_arn`). Default when created: true, or false with `password_wo`. Left unset later it keeps what the instance has: an apply without `password_wo` never switches a write-only password to a managed one. Setting it (or giving `password_wo` to a managed instance) switches, and the plan shows it."))
            .attribute(Attribute::string("replicate_source_db").optional().modifier(source_replaces).describe("ARN of the instance to replicate (any region). Makes this a read replica; removing it promotes the replica to a standalone instance."))
            .attribute(Attribute::new("tags", Type::map(Type::String)).optional().validate(validators::TagKeys).describe("Tags for the instance and its groups."))
            .attribute(Attribute::new("tags_all", Type::map(Type::String)).computed().describe("All tags, including `default_tags` and the onto tags."))
            .attribute(Attribute::string("arn").computed().use_state_for_unknown().describe("Instance ARN."))
            .attribute(Attribute::string("resource_id").computed().use_state_for_unknown().describe("The instance's stable resource id (`db-...`), for IAM policies."))
            .attribute(Attribute::string("endpoint").computed().use_state_for_unknown().describe("`address:port`."))
            .attribute(Attribute::string("address").computed().use_state_for_unknown().describe("DNS name to connect to."))
            .attribute(Attribute::number("port").computed().use_state_for_unknown().describe("Port (5432)."))
            .attribute(Attribute::string("security_group_id").computed().use_state_for_unknown().describe("The security group onto manages for the instance (`<name>-db`), open on 5432 to the allowed sources; null for an imported instance whose own groups are left as they are, until `allowed_*` is configured."))
            .attribute(Attribute::new("security_group_ids", Type::set(Type::String)).computed().use_state_for_unknown().describe("Every security group of the instance, onto's and any it came with."))
            .attribute(Attribute::string("subnet_group_name").computed().use_state_for_unknown().describe("The DB subnet group (onto's, named like the instance, or the one an imported instance uses)."))
            .attribute(Attribute::string("parameter_group_name").computed().describe("The managed parameter group, when `parameters` is set."))
            .attribute(Attribute::string("master_secret_arn").computed().describe("Secrets Manager secret holding the master credentials (null with `password_wo`)."))
            .attribute(Attribute::new("pending_changes", Type::map(Type::String)).computed().describe("Changes AWS holds for the next maintenance window, by attribute."))
            .timeouts(&["create", "update", "delete"]),
    )
}
