//! Acceptance tests: the real Terraform CLI drives the kv provider binary
//! over plugin protocol 6 with mutual TLS.

use std::time::{Duration, Instant};

use tfplugin::testing::Workdir;

const SOURCE: &str = "onto-platform/kv";

fn workdir() -> Workdir {
    Workdir::new(
        env!("CARGO_MANIFEST_DIR"),
        SOURCE,
        env!("CARGO_BIN_EXE_terraform-provider-kv"),
    )
}

fn provider_block(w: &Workdir) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    kv = {{ source = \"{SOURCE}\" }}\n  }}\n}}\n\nprovider \"kv\" {{\n  directory = \"{}/store\"\n}}\n",
        w.path().display()
    )
}

fn store_file(w: &Workdir, name: &str) -> std::path::PathBuf {
    w.path().join("store").join(format!("{name}.json"))
}

fn read_record(w: &Workdir, name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(store_file(w, name)).expect("item file"))
        .expect("item JSON")
}

#[test]
fn lifecycle_nested_sets_unknowns_secrets_function_ephemeral() {
    let mut w = workdir();
    let hcl = provider_block(&w)
        + r#"
ephemeral "kv_token" "t" {
  length = 24
}

resource "kv_item" "a" {
  name             = "a"
  value            = "hello"
  labels           = ["x", "y"]
  tags             = { env = "dev" }
  secret           = "hunter2"
  token_wo         = ephemeral.kv_token.t.token
  token_wo_version = 1
  settings         = { ttl = 60, mode = "safe" }

  rule {
    priority = 1
    action   = "allow"
  }
  rule {
    priority = 2
    action   = "deny"
  }
}

resource "kv_item" "b" {
  name  = "b"
  value = kv_item.a.id
}

data "kv_item" "a" {
  name = kv_item.a.name
}

output "checksum" {
  value = provider::kv::checksum("abc")
}

output "revision" {
  value = data.kv_item.a.revision
}
"#;
    w.config(&hcl);
    let actions = w.plan_actions();
    assert_eq!(actions["kv_item.a"], ["create"]);
    w.apply();

    let state = w.state();
    let id = state.attr("kv_item.a", "id");
    assert_eq!(id.len(), 16);
    assert_eq!(
        state.attr("kv_item.b", "value"),
        id,
        "b.value was unknown at plan time, known after apply"
    );
    assert_eq!(state.attr("kv_item.a", "revision"), "1");
    assert_eq!(state.attr("kv_item.a", "kind"), "plain", "default applied");
    assert_eq!(
        state.attr("kv_item.a", "token_applied"),
        "true",
        "write-only value reached the provider"
    );
    assert_eq!(
        state.resource("kv_item.a")["values"]["token_wo"],
        serde_json::Value::Null
    );
    assert_eq!(
        state.resource("kv_item.a")["values"]["rule"][1]["action"],
        "deny"
    );
    assert_eq!(
        state.resource("kv_item.a")["values"]["rule"][0]["uid"]
            .as_str()
            .map(str::len),
        Some(16)
    );
    assert_eq!(state.output("checksum"), "e71fa2190541574b");
    assert_eq!(state.output("revision"), 1);

    let raw = w.raw_state();
    let token = read_record(&w, "a")["token_version"].clone();
    assert_eq!(token, 1);
    assert!(
        !raw.contains("\"token_wo\": \""),
        "a write-only value reached state:\n{raw}"
    );

    // In-place update: the id stays known in the plan, revision is recomputed.
    w.config(&hcl.replace(
        "value            = \"hello\"",
        "value            = \"changed\"",
    ));
    assert_eq!(w.plan_actions()["kv_item.a"], ["update"]);
    w.apply();
    let state = w.state();
    assert_eq!(state.attr("kv_item.a", "id"), id);
    assert_eq!(state.attr("kv_item.a", "revision"), "2");

    // Changing the name replaces the item.
    w.config(&hcl.replace("name             = \"a\"", "name             = \"a2\""));
    assert_eq!(w.plan_actions()["kv_item.a"], ["delete", "create"]);
    w.apply();
    assert!(!store_file(&w, "a").exists());
    assert!(store_file(&w, "a2").exists());

    w.destroy();
    assert!(!store_file(&w, "a2").exists());
    assert!(!store_file(&w, "b").exists());
}

#[test]
fn drift_is_detected_and_repaired() {
    let mut w = workdir();
    let hcl =
        provider_block(&w) + "resource \"kv_item\" \"a\" {\n  name  = \"a\"\n  value = \"v1\"\n}\n";
    w.config(&hcl);
    w.apply();

    let mut r = read_record(&w, "a");
    r["value"] = "edited by hand".into();
    std::fs::write(store_file(&w, "a"), r.to_string()).unwrap();
    assert_eq!(w.plan_actions()["kv_item.a"], ["update"]);
    w.apply();
    assert_eq!(read_record(&w, "a")["value"], "v1");

    std::fs::remove_file(store_file(&w, "a")).unwrap();
    assert_eq!(
        w.plan_actions()["kv_item.a"],
        ["create"],
        "a deleted item is planned for creation"
    );
    w.apply();
}

#[test]
fn import_by_id_and_by_identity() {
    let mut w = workdir();
    let base = provider_block(&w);
    let hcl = base.clone()
        + "resource \"kv_item\" \"a\" {\n  name  = \"a\"\n  value = \"v\"\n  tags  = { team = \"core\" }\n  rule {\n    priority = 5\n    action   = \"allow\"\n  }\n}\n";
    w.config(&hcl);
    w.apply();
    w.import_verify("kv_item.a", "a", &["token_applied"]);
    w.assert_no_changes();

    // An import block with an identity (Terraform 1.12+).
    let mut orphan = read_record(&w, "a");
    orphan["name"] = "c".into();
    std::fs::write(store_file(&w, "c"), orphan.to_string()).unwrap();
    let with_import = hcl
        + "import {\n  to       = kv_item.c\n  identity = { name = \"c\" }\n}\n\nresource \"kv_item\" \"c\" {\n  name  = \"c\"\n  value = \"v\"\n  tags  = { team = \"core\" }\n  rule {\n    priority = 5\n    action   = \"allow\"\n  }\n}\n";
    w.config(&with_import);
    let out = w.run(&["apply", "-auto-approve", "-no-color"]).success();
    assert!(out.stdout().contains("1 imported"), "{}", out.stdout());
    assert_eq!(w.state().attr("kv_item.c", "name"), "c");

    w.config(&(base + "resource \"kv_item\" \"x\" {\n  name = \"x\"\n}\n"));
    w.run(&["import", "-no-color", "kv_item.x", "missing"])
        .failure("Cannot import non-existent remote object");
}

#[test]
fn invalid_configuration_is_reported_on_the_attribute() {
    let mut w = workdir();
    let base = provider_block(&w);
    w.config(
        &(base.clone() + "resource \"kv_item\" \"a\" {\n  name = \"a\"\n  kind = \"bogus\"\n}\n"),
    );
    let r = w
        .run(&["validate", "-no-color"])
        .failure("\"bogus\" is not one of `plain`, `config`, `secret`");
    assert!(r.combined().contains("kind"), "{}", r.combined());

    w.config(
        &(base.clone()
            + "resource \"kv_item\" \"a\" {\n  name = \"a\"\n  settings = { ttl = 999999 }\n}\n"),
    );
    w.run(&["validate", "-no-color"])
        .failure("999999 is not a whole number from 0 to 86400");

    w.config(
        &(base.clone() + "resource \"kv_item\" \"a\" {\n  name = \"a\"\n  kind = \"secret\"\n}\n"),
    );
    w.run(&["validate", "-no-color"])
        .failure("An item of kind \"secret\" needs `secret`.");

    w.config(
        &(base + "resource \"kv_item\" \"a\" {\n  name = \"a\"\n  create_delay = \"soon\"\n}\n"),
    );
    w.run(&["validate", "-no-color"])
        .failure("\"soon\" is not a duration");
}

#[test]
fn state_from_schema_version_zero_is_upgraded() {
    let mut w = workdir();
    let hcl = provider_block(&w)
        + "resource \"kv_item\" \"a\" {\n  name  = \"a\"\n  value = \"old\"\n}\n";
    w.config(&hcl);
    w.apply();
    // Rewrite the stored state as schema version 0, where `value` was `data`.
    let raw = w.raw_state();
    let mut state: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let inst = &mut state["resources"][0]["instances"][0];
    inst["schema_version"] = 0.into();
    let attrs = inst["attributes"].as_object_mut().unwrap();
    let v = attrs.remove("value").unwrap();
    attrs.insert("data".into(), v);
    state["serial"] = (state["serial"].as_i64().unwrap() + 1).into();
    std::fs::write(w.path().join("terraform.tfstate"), state.to_string()).unwrap();

    w.assert_no_changes();
    w.run(&["apply", "-refresh-only", "-auto-approve", "-no-color"])
        .success();
    assert_eq!(w.state().attr("kv_item.a", "value"), "old");
    assert!(w.raw_state().contains("\"schema_version\": 1"));
}

#[test]
fn action_is_invoked_with_progress() {
    let mut w = workdir();
    let hcl = provider_block(&w)
        + "resource \"kv_item\" \"a\" {\n  name = \"a\"\n}\n\naction \"kv_touch\" \"t\" {\n  config {\n    name = kv_item.a.name\n  }\n}\n";
    w.config(&hcl);
    w.apply();
    let out = w
        .run(&[
            "apply",
            "-auto-approve",
            "-no-color",
            "-invoke=action.kv_touch.t",
        ])
        .success();
    assert!(
        out.stdout().contains("touching a"),
        "progress not shown:\n{}",
        out.stdout()
    );
    assert_eq!(read_record(&w, "a")["touches"], 1);
}

#[test]
fn interrupt_stops_a_long_create_and_keeps_what_exists() {
    let mut w = workdir();
    let hcl = provider_block(&w) + "resource \"kv_item\" \"slow\" {\n  name         = \"slow\"\n  create_delay = \"60s\"\n}\n";
    w.config(&hcl);
    let mut child = w
        .command(&["apply", "-auto-approve", "-no-color"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let file = store_file(&w, "slow");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !file.exists() {
        assert!(Instant::now() < deadline, "create never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = i32::try_from(child.id()).unwrap();
    let sent = Instant::now();
    // SAFETY: sending SIGINT to our own child process.
    unsafe { libc_kill(pid, 2) };
    let status = child.wait().unwrap();
    let took = sent.elapsed();
    assert!(!status.success(), "an interrupted apply must fail");
    assert!(
        took < Duration::from_secs(5),
        "interrupted apply took {took:?}"
    );
    // The item was created before the interruption: state must know it.
    let state = w.state();
    assert_eq!(state.attr("kv_item.slow", "name"), "slow");
    // The next apply picks up from there (the tainted item is replaced).
    w.config(&hcl.replace("  create_delay = \"60s\"\n", ""));
    w.apply();
    w.destroy();
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

#[test]
fn debug_mode_serves_terraform_through_reattach() {
    use std::io::{BufRead, BufReader};
    let mut provider = std::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-kv"))
        .arg("--debug")
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(provider.stdout.take().unwrap());
    let mut reattach = None;
    for _ in 0..10 {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if let Some(rest) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            reattach = Some(rest.trim_end_matches('\'').to_owned());
            break;
        }
    }
    let reattach = reattach.expect("--debug prints TF_REATTACH_PROVIDERS");
    let json: serde_json::Value = serde_json::from_str(&reattach).unwrap();
    assert_eq!(
        json["registry.terraform.io/onto-platform/kv"]["ProtocolVersion"],
        6
    );

    let mut w = workdir();
    w.env("TF_REATTACH_PROVIDERS", &reattach);
    let hcl = provider_block(&w) + "resource \"kv_item\" \"a\" {\n  name = \"a\"\n}\n";
    w.config(&hcl);
    w.apply();
    assert!(store_file(&w, "a").exists());
    w.destroy();

    // In debug mode Ctrl-C stops the provider.
    // SAFETY: signalling our own child.
    unsafe { libc_kill(i32::try_from(provider.id()).unwrap(), 2) };
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = provider.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        assert!(Instant::now() < deadline, "debug provider ignored Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn smallest_resource_round_trip() {
    let mut w = workdir();
    let hcl =
        provider_block(&w) + "resource \"kv_value\" \"v\" {\n  name  = \"v\"\n  value = \"1\"\n}\n";
    w.config(&hcl);
    w.apply();
    w.import_verify("kv_value.v", "v", &[]);
    w.config(&hcl.replace("\"1\"", "\"2\""));
    assert_eq!(w.plan_actions()["kv_value.v"], ["update"]);
    w.apply();
    assert_eq!(read_record(&w, "v")["value"], "2");
    w.destroy();
    assert!(!store_file(&w, "v").exists());
}

#[test]
fn provider_configuration_unknown_until_apply() {
    let mut w = workdir();
    let hcl = format!(
        "terraform {{\n  required_providers {{\n    kv = {{ source = \"{SOURCE}\" }}\n  }}\n}}\n\n\
         resource \"terraform_data\" \"dir\" {{\n  input = \"{}/late-store\"\n}}\n\n\
         provider \"kv\" {{\n  directory = terraform_data.dir.output\n}}\n\n\
         resource \"kv_item\" \"a\" {{\n  name = \"a\"\n}}\n",
        w.path().display()
    );
    w.config(&hcl);
    assert_eq!(
        w.plan_actions()["kv_item.a"],
        ["create"],
        "planned without touching the store"
    );
    w.apply();
    assert!(w.path().join("late-store/a.json").exists());
}

#[test]
fn moved_block_across_resource_types() {
    let mut w = workdir();
    let base = provider_block(&w);
    w.config(
        &(base.clone() + "resource \"kv_item\" \"a\" {\n  name  = \"a\"\n  value = \"keep\"\n}\n"),
    );
    w.apply();
    let id = w.state().attr("kv_item.a", "id");
    w.config(
        &(base + "moved {\n  from = kv_item.a\n  to   = kv_value.a\n}\n\nresource \"kv_value\" \"a\" {\n  name  = \"a\"\n  value = \"keep\"\n}\n"),
    );
    let out = w.run(&["apply", "-auto-approve", "-no-color"]).success();
    assert!(
        out.stdout().contains("0 added, 0 changed, 0 destroyed"),
        "{}",
        out.stdout()
    );
    w.assert_no_changes();
    assert_eq!(
        w.state().attr("kv_value.a", "id"),
        id,
        "the same record, not a new one"
    );
}

#[test]
fn provider_logs_reach_terraform_logs() {
    let mut w = workdir();
    w.config(&(provider_block(&w) + "resource \"kv_value\" \"a\" {\n  name = \"a\"\n}\n"));
    w.env("TF_LOG_PROVIDER", "DEBUG");
    let out = w.run(&["apply", "-auto-approve", "-no-color"]).success();
    let all = out.combined();
    let line = all
        .lines()
        .find(|l| l.contains("tf_rpc=ApplyResourceChange"))
        .unwrap_or_else(|| panic!("no provider log line for ApplyResourceChange:\n{all}"));
    assert!(
        line.contains("[DEBUG]") && line.contains("provider.terraform-provider-kv"),
        "{line}"
    );
    assert!(line.contains("tf_resource_type=kv_value"), "{line}");
}

#[test]
fn write_only_values_appear_nowhere() {
    let mut w = workdir();
    let secret = "wo-s3cret-7f3a";
    let hcl = provider_block(&w)
        + &format!("resource \"kv_item\" \"a\" {{\n  name             = \"a\"\n  token_wo         = \"{secret}\"\n  token_wo_version = 1\n}}\n");
    w.config(&hcl);
    w.env("TF_LOG", "trace");
    let plan = w.run(&["plan", "-out=tfplan", "-no-color"]).success();
    let plan_json = w.run(&["show", "-json", "tfplan"]).success();
    let apply = w
        .run(&["apply", "-auto-approve", "-no-color", "tfplan"])
        .success();
    assert_eq!(
        w.state().attr("kv_item.a", "token_applied"),
        "true",
        "the provider received the value"
    );
    // The plan JSON echoes literal configuration expressions under
    // "configuration" (the .tf source itself); every value section is checked.
    let mut plan_values: serde_json::Value = serde_json::from_str(&plan_json.stdout()).unwrap();
    plan_values.as_object_mut().unwrap().remove("configuration");
    for (what, text) in [
        ("plan output and trace log", plan.combined()),
        ("plan JSON", plan_values.to_string()),
        ("apply output and trace log", apply.combined()),
        ("state", w.raw_state()),
    ] {
        let provider_lines: Vec<&str> = text.lines().filter(|l| l.contains(secret)).collect();
        assert!(
            provider_lines.is_empty(),
            "the write-only value leaked into the {what}: {provider_lines:?}"
        );
    }
}
