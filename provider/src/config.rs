//! The provider block: schema and parsed settings.

use std::collections::BTreeMap;

use serde::Deserialize;
use tfplugin::diag::Diagnostics;
use tfplugin::schema::{Attribute, Block, NestedBlock, Schema};
use tfplugin::validate::{int_between, Validator};
use tfplugin::value::Type;
use tfplugin::value::{AttributePath, Value};

/// Environments a deployment can be.
pub const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];

pub fn schema() -> Schema {
    Schema::new(
        Block::new()
            .describe("The onto provider manages the onto platform on AWS. One provider serves every region: resources take an optional `region`.")
            .attribute(Attribute::string("region").optional().validate(crate::validators::region()).describe("Default AWS region. Defaults to the standard AWS environment and profile chain (`AWS_REGION`, `~/.aws/config`)."))
            .attribute(Attribute::string("profile").optional().describe("Named profile from the shared AWS config and credentials files."))
            .attribute(Attribute::string("access_key").optional().sensitive().describe("Static access key. Prefer the environment or a profile."))
            .attribute(Attribute::string("secret_key").optional().sensitive().describe("Static secret key."))
            .attribute(Attribute::string("token").optional().sensitive().describe("Session token for temporary static credentials."))
            .attribute(Attribute::new("endpoints", Type::map(Type::String)).optional().describe("Per-service endpoint URLs, keyed by service (`s3`, `dynamodb`, `ecr`, `sts`, ...)."))
            .attribute(Attribute::string("endpoint_url").optional().describe("One endpoint URL for every service, e.g. a local emulator. Also enables S3 path-style addressing."))
            .attribute(Attribute::new("default_tags", Type::map(Type::String)).optional().describe("Tags added to every taggable resource."))
            .attribute(Attribute::number("max_retries").optional().validate(int_between(0, 25)).describe("How many times a throttled or failed (5xx) AWS call is retried, with jittered backoff. Default 5."))
            .attribute(Attribute::string("environment").optional().validate(Environment).describe("The deployment environment: `dev`, `staging` or `prod` — typically `terraform.workspace`. Tags every resource and selects protections (prod refuses destructive settings without an explicit override). Default `dev`."))
            .attribute(Attribute::string("stack").optional().validate(tfplugin::validate::length_between(1, 200)).describe("The identity of this configuration, tagged `onto:stack` on every object onto creates. onto adopts an existing object only when it carries this identity (the object of a create whose response was lost), and refuses every other. Default: the backend's state location and the workspace (`s3://BUCKET/KEY@WORKSPACE`), or for local state the root module's directory (`local:NAME-HASH@WORKSPACE`). Set it when one configuration runs from several places with local state, or to keep the identity across a backend migration."))
            .attribute(Attribute::bool("skip_region_validation").optional().describe("Accept a region this release does not know (one AWS launched since). Without it, an unknown `region` fails at plan with the known regions like it."))
            .attribute(Attribute::new("allowed_account_ids", Type::set(Type::String)).optional().describe("Refuse to run against any other AWS account."))
            .block(NestedBlock::single(
                "assume_role",
                Block::new()
                    .describe("Assume this IAM role for every call.")
                    .attribute(Attribute::string("role_arn").required())
                    .attribute(Attribute::string("session_name").optional())
                    .attribute(Attribute::string("external_id").optional())
                    .attribute(Attribute::string("duration").optional().validate(tfplugin::validate::duration())),
            )),
    )
}

/// `dev`, `staging` or `prod`, with a hint for Terraform's `default`
/// workspace (the usual value is `terraform.workspace`).
pub struct Environment;

impl Validator for Environment {
    fn description(&self) -> String {
        "one of `dev`, `staging`, `prod`".into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        match value.as_str() {
            Some(e) if ENVIRONMENTS.contains(&e) => {}
            Some("default") => diags.error_at(
                path.clone(),
                "No environment selected",
                "environment is \"default\", Terraform's default workspace. Select one: terraform workspace select -or-create dev (or staging, prod).",
            ),
            Some(other) => diags.error_at(path.clone(), "Invalid value", format!("{other:?} is not one of `dev`, `staging`, `prod`.")),
            None => {}
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration: Option<String>,
}

/// The provider block, as typed settings.
#[derive(Debug, Default, Deserialize)]
pub struct Config {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub token: Option<String>,
    pub endpoints: Option<BTreeMap<String, String>>,
    pub endpoint_url: Option<String>,
    pub default_tags: Option<BTreeMap<String, String>>,
    pub max_retries: Option<u32>,
    pub environment: Option<String>,
    pub allowed_account_ids: Option<Vec<String>>,
    pub stack: Option<String>,
    pub skip_region_validation: Option<bool>,
    pub assume_role: Option<AssumeRole>,
}
