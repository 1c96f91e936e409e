//! `examples/platform` as `make demo` runs it: the state backend
//! bootstrapped with local state, `terraform init` against the S3 backend
//! with the emulator's backend file, workspace `dev`, apply, outputs, and
//! a second plan with no changes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{copy_tree, workdir, Moto};

fn run(mut c: Command, dir: &Path, args: &[&str]) -> String {
    let out = c.args(args).current_dir(dir).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "terraform {args:?} in {}:\n{text}",
        dir.display()
    );
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_example_in_workspace_dev() {
    let moto = Moto::start();
    let mut w = workdir();
    w.use_mirror(env!("CARGO_PKG_VERSION"))
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("TF_VAR_aws_endpoint_url", &moto.url);
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    copy_tree(&repo.join("modules"), &w.path().join("modules"));
    copy_tree(
        &repo.join("examples/platform"),
        &w.path().join("examples/platform"),
    );
    let platform = w.path().join("examples/platform");
    let tf = |args: &[&str], dir: &Path| run(w.command(&[]), dir, args);

    let boot = platform.join("bootstrap");
    tf(&["init", "-no-color"], &boot);
    tf(
        &[
            "apply",
            "-auto-approve",
            "-no-color",
            "-var=bucket=onto-demo-terraform-state",
            "-var=lock_table=onto-demo-terraform-locks",
        ],
        &boot,
    );

    let endpoints = format!(
        "-backend-config=endpoints={{s3=\"{0}\",dynamodb=\"{0}\",sts=\"{0}\",iam=\"{0}\"}}",
        moto.url
    );
    tf(
        &[
            "init",
            "-no-color",
            "-backend-config=backend.emulator.hcl",
            &endpoints,
        ],
        &platform,
    );
    // The default workspace is no environment: the plan says which to pick.
    let refused = w
        .command(&["plan", "-no-color", "-var-file=emulator.tfvars"])
        .current_dir(&platform)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr)
        .contains("terraform workspace select -or-create dev"));

    tf(
        &["workspace", "select", "-or-create", "dev", "-no-color"],
        &platform,
    );
    tf(
        &[
            "apply",
            "-auto-approve",
            "-no-color",
            "-var-file=emulator.tfvars",
        ],
        &platform,
    );
    let summary: serde_json::Value =
        serde_json::from_str(&tf(&["output", "-json", "summary"], &platform)).unwrap();
    assert_eq!(summary["environment"], "dev");
    assert!(summary["cluster_endpoint"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    assert!(summary["db_endpoint"].as_str().unwrap().ends_with(":5432"));
    assert!(summary["registry_urls"]["editor-api"]
        .as_str()
        .unwrap()
        .ends_with("/onto/dev/editor-api"));
    assert!(summary["telemetry"]["remote_write_url"]
        .as_str()
        .unwrap()
        .ends_with("/api/v1/remote_write"));

    let second = w
        .command(&[
            "plan",
            "-detailed-exitcode",
            "-no-color",
            "-var-file=emulator.tfvars",
        ])
        .current_dir(&platform)
        .output()
        .unwrap();
    assert_eq!(
        second.status.code(),
        Some(0),
        "second plan not empty:\n{}",
        String::from_utf8_lossy(&second.stdout)
    );
    // The state lives in the bucket, under the workspace.
    let s3 = moto.s3().await;
    s3.head_object()
        .bucket("onto-demo-terraform-state")
        .key("env:/dev/platform.tfstate")
        .send()
        .await
        .expect("workspace state in S3");
}
