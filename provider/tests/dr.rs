//! `examples/dr` applied end to end on the emulator: a primary region and
//! its DR region, the drill action, drift of a replication rule, import,
//! and destroy.
//!
//! moto keeps a single ECR replication rule, so keeping other stacks' rules
//! is tested with aws-smithy-mocks in `src/aws/ecr.rs`.
//! moto 5.2.5 lacks automated-backup replication, and its
//! PromoteReadReplica leaves the source recorded (so a promotion never
//! completes there): backups mode and the promotion with its progress
//! events are tested with aws-smithy-mocks (`src/actions`, `src/resources`).

mod common;

use std::path::Path;

use aws_sdk_ecr::types::{ReplicationConfiguration, ReplicationRule};
use common::{workdir, Emulator};

const DR_KEY: &str =
    "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn rules_to(rules: &[ReplicationRule], region: &str) -> Vec<String> {
    rules
        .iter()
        .filter(|r| r.destinations().iter().any(|d| d.region() == region))
        .flat_map(|r| r.repository_filters().iter().map(|f| f.filter().to_owned()))
        // Each stack's rule carries a marker filter that matches nothing.
        .filter(|f| !f.starts_with("onto-stack-"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primary_and_dr_region_end_to_end() {
    let moto = Emulator::start();
    let sdk = moto.sdk().await;
    let ecr = aws_sdk_ecr::Client::new(&sdk);
    let mut w = workdir();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/dr");
    for file in ["main.tf", "variables.tf", "outputs.tf"] {
        std::fs::copy(example.join(file), w.path().join(file)).unwrap();
    }
    w.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("TF_VAR_aws_endpoint_url", &moto.url)
        .env("TF_VAR_dr_kms_key", DR_KEY);

    w.apply();
    let out = w.state();
    assert_eq!(out.output("objectives_met"), true);
    assert_eq!(out.output("rto_estimate"), "6m");
    let dr_endpoint = out.output("dr_endpoint").as_str().unwrap().to_owned();
    assert!(
        dr_endpoint.contains(".eu-central-1.rds.amazonaws.com:5432"),
        "{dr_endpoint}"
    );
    let registry = ecr.describe_registry().send().await.unwrap();
    let rules = registry.replication_configuration().unwrap().rules();
    assert_eq!(rules_to(rules, "eu-central-1"), ["onto/"]);

    let replica = moto
        .rds_in("eu-central-1")
        .await
        .describe_db_instances()
        .db_instance_identifier("onto-db")
        .send()
        .await
        .unwrap();
    let replica = &replica.db_instances()[0];
    assert!(replica
        .read_replica_source_db_instance_identifier()
        .unwrap()
        .ends_with(":eu-west-1:123456789012:db:onto-editor"));
    assert_eq!(replica.kms_key_id(), Some(DR_KEY));
    let s3 = moto.s3().await;
    let replication = s3
        .get_bucket_replication()
        .bucket("onto-terraform-state")
        .send()
        .await
        .unwrap();
    let rule = &replication.replication_configuration().unwrap().rules()[0];
    assert!(
        rule.id().is_some_and(|id| id.starts_with("onto-dr-onto-")),
        "{rule:?}"
    );
    assert_eq!(
        rule.destination().unwrap().bucket(),
        "arn:aws:s3:::onto-terraform-state-eu-central-1"
    );
    let dr_ddb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .region(aws_config::Region::new("eu-central-1"))
            .build(),
    );
    dr_ddb
        .describe_table()
        .table_name("onto-terraform-locks")
        .send()
        .await
        .expect("lock table in the DR region");

    // The drill: readiness through the real CLI, nothing changed.
    let drill = w
        .run(&[
            "apply",
            "-invoke=action.onto_dr_failover.drill",
            "-auto-approve",
            "-no-color",
        ])
        .success();
    assert!(
        drill.combined().contains("Drill passed"),
        "{}",
        drill.combined()
    );
    w.assert_no_changes();

    // Drift: the replication rule removed out of band; the plan puts back
    // exactly it.
    ecr.put_replication_configuration()
        .replication_configuration(
            ReplicationConfiguration::builder()
                .set_rules(Some(vec![]))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        w.planned_attribute_changes("onto_dr_region.dr")
            .into_iter()
            .collect::<Vec<_>>(),
        ["repository_prefixes"]
    );
    w.apply();
    let registry = ecr.describe_registry().send().await.unwrap();
    let rules = registry.replication_configuration().unwrap().rules();
    assert_eq!(rules_to(rules, "eu-central-1"), ["onto/"]);

    // Import recovers what AWS knows; the rest only the configuration knows.
    w.import_verify(
        "onto_dr_region.dr",
        "onto,eu-central-1,onto-terraform-state",
        &[
            "state_lock_table",
            "dr_allowed_cidr_blocks",
            "dr_subnet_ids",
            "force_destroy",
            "db_instance_class",
            "tags",
        ],
    );
    w.apply();

    // Destroy removes the rule, the replica and the DR copies.
    w.destroy();
    let registry = ecr.describe_registry().send().await.unwrap();
    let rules = registry.replication_configuration().unwrap().rules();
    assert!(rules_to(rules, "eu-central-1").is_empty());
    let gone = moto
        .rds_in("eu-central-1")
        .await
        .describe_db_instances()
        .db_instance_identifier("onto-db")
        .send()
        .await;
    assert!(gone.is_err(), "replica still exists");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objectives_that_cannot_be_met_fail_the_plan() {
    let moto = Emulator::start();
    let mut w = workdir();
    let dr = |extra: &str| {
        format!("resource \"onto_dr_region\" \"dr\" {{\n  name       = \"x\"\n  dr_region  = \"eu-central-1\"\n  db_arn     = \"arn:aws:rds:eu-west-1:123456789012:db:editor\"\n  dr_kms_key = \"{DR_KEY}\"\n{extra}}}\n")
    };
    let dev = moto.provider("dev");
    // Backups restore in ~23m for 20 GiB: misses the default 15m RTO.
    w.config(&(dev.clone() + &dr("  db_mode = \"backups\"\n")));
    w.run(&["plan", "-no-color"])
        .failure("estimated RTO 23m exceeds rto_target 15m");
    w.config(&(dev.clone() + &dr("  db_mode = \"backups\"\n  rto_target = \"30m\"\n")));
    w.run(&["plan", "-no-color"]).success();
    // A replica needs DR subnets; a key from another region is refused.
    w.config(&(dev.clone() + &dr("")));
    w.run(&["plan", "-no-color"]).failure("DR subnets needed");
    w.config(
        &(dev.clone()
            + &dr("  dr_subnet_ids = [\"subnet-1\"]\n").replace(":eu-central-1:", ":us-east-1:")),
    );
    w.run(&["plan", "-no-color"])
        .failure("KMS key in the wrong region");
    w.config(
        &(dev + &dr("  dr_subnet_ids = [\"subnet-1\"]\n").replace("eu-central-1", "eu-west-1")),
    );
    w.run(&["plan", "-no-color"])
        .failure("DR in the primary region");
}
