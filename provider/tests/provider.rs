//! Provider configuration and onto_caller_identity, through the real CLI.

mod common;

use common::{workdir, Emulator};

#[test]
fn caller_identity_and_allowed_accounts() {
    let moto = Emulator::start();
    let mut w = workdir();
    let base = moto.provider("staging");
    w.config(&(base.clone() + "data \"onto_caller_identity\" \"me\" {}\n\noutput \"me\" {\n  value = data.onto_caller_identity.me\n}\n"));
    w.apply();
    let me = w.state().output("me").clone();
    assert_eq!(me["account_id"], "123456789012", "moto's account");
    assert_eq!(me["partition"], "aws");
    assert_eq!(me["region"], common::REGION);
    assert_eq!(me["environment"], "staging");

    let allowed = base.replace(
        "  environment  = \"staging\"",
        "  environment  = \"staging\"\n  allowed_account_ids = [\"999999999999\"]",
    );
    w.config(&(allowed + "data \"onto_caller_identity\" \"me\" {}\n"));
    w.run(&["plan", "-no-color"])
        .failure("which is not in allowed_account_ids (999999999999)");
}

#[test]
fn provider_configuration_errors_are_clear() {
    let moto = Emulator::start();
    let mut w = workdir();
    let base = moto.provider("dev");
    let data = "data \"onto_caller_identity\" \"me\" {}\n";
    w.config(&(base.replace("  region       = \"eu-west-1\"\n", "") + data));
    w.run(&["plan", "-no-color"])
        .failure("Set `region` in the provider block");
    w.config(&(base.replace("  secret_key   = \"test\"\n", "") + data));
    w.run(&["plan", "-no-color"])
        .failure("Set both access_key and secret_key");
    w.config(&(base.replace("environment  = \"dev\"", "environment  = \"qa\"") + data));
    w.run(&["plan", "-no-color"])
        .failure("\"qa\" is not one of `dev`, `staging`, `prod`");
}

#[test]
fn assume_role_and_configuration_known_only_at_apply() {
    let moto = Emulator::start();
    let mut w = workdir();
    // The endpoint comes from another resource: unknown while planning.
    let hcl = format!(
        "terraform {{\n  required_providers {{\n    onto = {{ source = \"{}\" }}\n  }}\n}}\n\n\
         resource \"terraform_data\" \"endpoint\" {{\n  input = \"{}\"\n}}\n\n\
         provider \"onto\" {{\n  region       = \"{}\"\n  endpoint_url = terraform_data.endpoint.output\n  access_key   = \"test\"\n  secret_key   = \"test\"\n\
           assume_role {{\n    role_arn     = \"arn:aws:iam::123456789012:role/deployer\"\n    session_name = \"ci\"\n  }}\n}}\n\n\
         resource \"onto_registry\" \"r\" {{\n  name = \"late\"\n}}\n",
        common::SOURCE,
        moto.url,
        common::REGION
    );
    w.config(&hcl);
    assert_eq!(
        w.plan_actions()["onto_registry.r"],
        ["create"],
        "planned without AWS calls"
    );
    w.apply();
    // Data sources need a known configuration (they read while planning).
    let known = hcl.replace(
        "terraform_data.endpoint.output",
        &format!("\"{}\"", moto.url),
    );
    w.config(&(known + "\ndata \"onto_caller_identity\" \"me\" {}\n\noutput \"arn\" {\n  value = data.onto_caller_identity.me.arn\n}\n"));
    w.apply();
    let arn = w
        .state()
        .output("arn")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        arn.contains(":assumed-role/deployer/ci"),
        "calls run as the assumed role: {arn}"
    );
}
