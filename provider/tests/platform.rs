//! `examples/platform` as `make demo` runs it: the state backend
//! bootstrapped with local state, `terraform init` against the S3 backend
//! with the emulator's backend file, workspace `dev`, apply, outputs, and
//! a second plan with no changes — then `staging` and `prod` beside it in
//! the same account and region, each with an empty second plan and dev's
//! objects untouched; then dev destroyed, and prod destroyed once its
//! database's protection is lifted, each leaving the others in place.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{copy_tree, workdir, Emulator};
use tfplugin::testing::Workdir;

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
    let moto = Emulator::start();
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

    assert_plans_empty(&w, &platform, "second plan not empty");
    // The state lives in the bucket, under the workspace.
    let s3 = moto.s3().await;
    s3.head_object()
        .bucket("onto-demo-terraform-state")
        .key("env:/dev/platform.tfstate")
        .send()
        .await
        .expect("workspace state in S3");

    // Staging and prod in the same account and region, beside dev.
    let dev_vpc = summary_vpc(&tf(
        &[
            "state",
            "show",
            "-no-color",
            "module.network.onto_network.this",
        ],
        &platform,
    ));
    for env in ["staging", "prod"] {
        tf(
            &["workspace", "select", "-or-create", env, "-no-color"],
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
        assert_plans_empty(&w, &platform, &format!("{env}: second plan not empty"));
        let summary: serde_json::Value =
            serde_json::from_str(&tf(&["output", "-json", "summary"], &platform)).unwrap();
        assert_eq!(summary["environment"], env);
        assert!(summary["registry_urls"]["editor-api"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/onto/{env}/editor-api")));
    }
    // Each environment has its own objects; dev's are untouched.
    let ec2 = moto.ec2().await;
    let vpcs = ec2.describe_vpcs().send().await.unwrap();
    let ours: Vec<_> = vpcs
        .vpcs()
        .iter()
        .filter(|v| v.is_default() != Some(true))
        .collect();
    assert_eq!(ours.len(), 3, "one VPC per environment");
    assert!(ours.iter().any(|v| v.vpc_id() == Some(dev_vpc.as_str())));
    let rds = moto.rds().await;
    let dbs = rds.describe_db_instances().send().await.unwrap();
    let mut names: Vec<&str> = dbs
        .db_instances()
        .iter()
        .filter_map(|d| d.db_instance_identifier())
        .collect();
    names.sort();
    assert_eq!(names, ["editor-dev", "editor-prod", "editor-staging"]);
    let caches = moto
        .elasticache()
        .await
        .describe_replication_groups()
        .send()
        .await
        .unwrap();
    let replicas: std::collections::BTreeMap<String, usize> = caches
        .replication_groups()
        .iter()
        .map(|g| {
            (
                g.replication_group_id().unwrap_or_default().to_owned(),
                g.member_clusters().len() - 1,
            )
        })
        .collect();
    assert_eq!(replicas["sessions-dev"], 0);
    assert_eq!(replicas["sessions-staging"], 1);
    assert_eq!(replicas["sessions-prod"], 2);
    tf(&["workspace", "select", "dev", "-no-color"], &platform);
    assert_plans_empty(&w, &platform, "dev changed by the others");

    // Dev comes down completely; staging and prod stay.
    tf(
        &[
            "destroy",
            "-auto-approve",
            "-no-color",
            "-var-file=emulator.tfvars",
        ],
        &platform,
    );
    assert_eq!(db_names(&rds).await, ["editor-prod", "editor-staging"]);
    assert_eq!(vpc_count(&ec2).await, 2);
    let eks = aws_sdk_eks::Client::new(&moto.sdk().await);
    let clusters = eks.list_clusters().send().await.unwrap();
    let mut clusters: Vec<&str> = clusters.clusters().iter().map(String::as_str).collect();
    clusters.sort();
    assert_eq!(clusters, ["onto-prod", "onto-staging"]);

    // Prod refuses while its database is protected, then comes down.
    tf(&["workspace", "select", "prod", "-no-color"], &platform);
    let refused = w
        .command(&[
            "destroy",
            "-auto-approve",
            "-no-color",
            "-var-file=emulator.tfvars",
        ])
        .current_dir(&platform)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&refused.stderr)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(!refused.status.success());
    assert!(
        text.contains("deletion protection") || text.contains("deletion_protection"),
        "{text}"
    );
    assert!(
        text.contains("Destroying editor-prod deletes it"),
        "refused at plan, naming the instance: {text}"
    );
    assert!(
        db_names(&rds).await.contains(&"editor-prod".to_owned()),
        "prod's database survives a refused destroy"
    );
    // Refused at plan: nothing of prod was deleted, so it still plans empty.
    assert_plans_empty(&w, &platform, "a refused destroy left prod whole");
    let lift = [
        "-auto-approve",
        "-no-color",
        "-var-file=emulator.tfvars",
        "-var=deletion_protection=false",
    ];
    tf(&[&["apply"][..], &lift[..]].concat(), &platform);
    tf(&[&["destroy"][..], &lift[..]].concat(), &platform);
    assert_eq!(db_names(&rds).await, ["editor-staging"]);
    assert_eq!(vpc_count(&ec2).await, 1);
    tf(&["workspace", "select", "staging", "-no-color"], &platform);
    assert_plans_empty(&w, &platform, "staging changed by the others");
}

/// `terraform plan -detailed-exitcode` in `dir` finds nothing to change.
fn assert_plans_empty(w: &Workdir, dir: &Path, why: &str) {
    let plan = w
        .command(&[
            "plan",
            "-detailed-exitcode",
            "-no-color",
            "-var-file=emulator.tfvars",
        ])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{why}:\n{}",
        String::from_utf8_lossy(&plan.stdout)
    );
}

async fn db_names(rds: &aws_sdk_rds::Client) -> Vec<String> {
    let dbs = rds.describe_db_instances().send().await.unwrap();
    let mut names: Vec<String> = dbs
        .db_instances()
        .iter()
        .filter(|d| d.db_instance_status() != Some("deleting"))
        .filter_map(|d| d.db_instance_identifier().map(str::to_owned))
        .collect();
    names.sort();
    names
}

async fn vpc_count(ec2: &aws_sdk_ec2::Client) -> usize {
    let vpcs = ec2.describe_vpcs().send().await.unwrap();
    vpcs.vpcs()
        .iter()
        .filter(|v| v.is_default() != Some(true))
        .count()
}

/// The VPC id in `terraform state show` output of the network.
fn summary_vpc(shown: &str) -> String {
    shown
        .lines()
        .find_map(|l| l.trim().strip_prefix("vpc_id"))
        .and_then(|l| l.split('"').nth(1))
        .expect("vpc_id in state")
        .to_owned()
}
