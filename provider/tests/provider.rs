//! Provider configuration and onto_caller_identity, through the real CLI.

mod common;

use common::{workdir, Moto};

#[test]
fn caller_identity_and_allowed_accounts() {
    let moto = Moto::start();
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
    let moto = Moto::start();
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
