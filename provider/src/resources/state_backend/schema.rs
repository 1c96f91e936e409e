//! `onto_state_backend`'s schema.

use tfplugin::diag::Diagnostics;
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::validate::{int_between, Validator};
use tfplugin::value::{AttributePath, Type, Value};

use crate::validators;

/// Enforced settings are booleans that must stay true; the attribute exists
/// so that weakening them out of band shows up as drift, and is repaired.
struct MustBeTrue(&'static str);

impl Validator for MustBeTrue {
    fn description(&self) -> String {
        "true".into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        if value.as_bool() == Some(false) {
            diags.error_at(path.clone(), "Setting cannot be turned off", self.0);
        }
    }
}

pub fn schema() -> Schema {
    Schema::new(
        Block::new()
            .describe("Storage for Terraform state: a versioned, encrypted, private, TLS-only S3 bucket with expiry of old state versions, and a DynamoDB lock table (on-demand, point-in-time recovery, deletion protection in prod). `backend_config` is ready for `terraform init -backend-config=...`.")
            .attribute(Attribute::string("bucket").required().requires_replace().validate(validators::s3_bucket_name()).describe("Bucket name (globally unique)."))
            .attribute(Attribute::string("region").optional().computed().requires_replace().use_state_for_unknown().validate(validators::region()).describe("Region; defaults to the provider's."))
            .attribute(Attribute::string("lock_table").optional().computed().requires_replace().use_state_for_unknown().describe("DynamoDB lock table name; default `<bucket>-lock`."))
            .attribute(Attribute::string("kms_key_arn").optional().validate(validators::kms_key()).describe("Encrypt with this KMS key (SSE-KMS); SSE-S3 (AES256) when omitted."))
            .attribute(Attribute::number("noncurrent_version_expiration_days").default(90).validate(int_between(1, 3650)).describe("Delete old state versions after this many days. Default 90."))
            .attribute(Attribute::bool("versioning").default(true).enforced().validate(MustBeTrue("State buckets are always versioned.")).describe("Always true: state buckets are versioned. Shows drift if versioning is suspended outside Terraform."))
            .attribute(Attribute::bool("public_access_blocked").default(true).enforced().validate(MustBeTrue("State buckets always block public access.")).describe("Always true: every public access block setting is on."))
            .attribute(Attribute::bool("tls_only").default(true).enforced().describe("The bucket policy denies requests without TLS. Can be false only when the provider talks to a plain-HTTP endpoint (a local emulator), where TLS cannot exist."))
            .attribute(Attribute::bool("point_in_time_recovery").default(true).describe("Point-in-time recovery for the lock table. Default true."))
            .attribute(Attribute::bool("deletion_protection").optional().computed().describe("Deletion protection of the lock table; defaults to true in prod, false elsewhere."))
            .attribute(Attribute::bool("force_destroy").default(false).describe("Destroy even when the bucket holds state. Refused in prod unless `allow_prod_force_destroy` is set."))
            .attribute(Attribute::bool("allow_prod_force_destroy").default(false).describe("Explicit override that permits destroying a prod state backend."))
            .attribute(Attribute::new("tags", Type::map(Type::String)).optional().validate(validators::TagKeys).describe("Tags for the bucket and the table."))
            .attribute(Attribute::new("tags_all", Type::map(Type::String)).computed().describe("All tags, including `default_tags` and the onto tags."))
            .attribute(Attribute::string("bucket_arn").computed().use_state_for_unknown().describe("Bucket ARN."))
            .attribute(Attribute::string("lock_table_arn").computed().use_state_for_unknown().describe("Lock table ARN."))
            .attribute(Attribute::new("backend_config", Type::map(Type::String)).computed().describe("Settings for the `s3` backend: `bucket`, `region`, `dynamodb_table`, `use_lockfile`, `encrypt` and `kms_key_id` when set. Write them to a file for `terraform init -backend-config=FILE`."))
            .timeouts(&["create", "delete"]),
    )
}
