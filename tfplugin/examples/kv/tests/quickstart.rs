//! The crate documentation's quickstart (`tfplugin/examples/quickstart.rs`)
//! is a working provider: built, then applied, changed, drifted and
//! destroyed through the real CLI.

use std::path::PathBuf;
use std::process::Command;

use tfplugin::testing::Workdir;

/// Builds the example and returns its binary (in the target directory this
/// test runs from: `.../debug/examples/terraform-provider-hello`).
fn quickstart_binary() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "-p",
            "tfplugin",
            "--example",
            "terraform-provider-hello",
        ])
        .status()
        .expect("run cargo");
    assert!(status.success(), "the quickstart example does not build");
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    profile_dir.join("examples/terraform-provider-hello")
}

#[test]
fn the_quickstart_provider_manages_a_file() {
    let mut w = Workdir::new(
        env!("CARGO_MANIFEST_DIR"),
        "example/hello",
        quickstart_binary(),
    );
    let file = w.path().join("hello.txt");
    let config = |content: &str| {
        format!(
            "terraform {{\n  required_providers {{\n    hello = {{ source = \"example/hello\" }}\n  }}\n}}\n\nresource \"hello_file\" \"greeting\" {{\n  path    = \"${{path.module}}/hello.txt\"\n  content = \"{content}\"\n}}\n"
        )
    };
    w.config(&config("hi"));
    w.apply();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "hi");

    w.config(&config("hello again"));
    assert_eq!(w.plan_actions()["hello_file.greeting"], ["update"]);
    w.apply();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "hello again");

    // Deleted outside Terraform: the plan creates it again.
    std::fs::remove_file(&file).unwrap();
    assert_eq!(w.plan_actions()["hello_file.greeting"], ["create"]);
    w.apply();

    w.destroy();
    assert!(!file.exists());
}
