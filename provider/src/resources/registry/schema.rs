//! `onto_registry`'s schema.

use tfplugin::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::validate::{int_between, one_of};
use tfplugin::value::Type;

use crate::validators;

pub fn schema() -> Schema {
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
            .attribute(Attribute::new("tags_all", Type::map(Type::String)).computed().describe("All tags: provider `default_tags`, `tags`, and the ownership tags `onto:stack`, `onto:owner`, `onto:environment`."))
            .attribute(Attribute::string("arn").computed().use_state_for_unknown().describe("Repository ARN."))
            .attribute(Attribute::string("registry_id").computed().use_state_for_unknown().describe("The registry (account) id."))
            .attribute(Attribute::string("repository_url").computed().use_state_for_unknown().describe("URL to push and pull images: `<account>.dkr.ecr.<region>.amazonaws.com/<name>`."))
            .block(NestedBlock::list("lifecycle_rule", rule).max_items(100)),
    )
}
