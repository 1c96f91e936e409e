//! `examples/dr` applied end to end on the emulator: a primary region and
//! its DR region, the drill action, drift of a replication rule, import,
//! and destroy; a failover through the CLI (the replica promoted, with its
//! progress) and the fail-back of the runbook; the backups mode with
//! replicated automated backups.

mod common;

use std::path::Path;

use aws_sdk_ecr::types::{ReplicationConfiguration, ReplicationRule};
use common::{workdir, Emulator};
use tfplugin::testing::Workdir;

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
    let mut w = dr_example(&moto);

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

/// A working directory with `examples/dr`, pointed at the emulator.
fn dr_example(moto: &Emulator) -> Workdir {
    let mut w = workdir();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/dr");
    for file in ["main.tf", "variables.tf", "outputs.tf"] {
        std::fs::copy(example.join(file), w.path().join(file)).unwrap();
    }
    w.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("TF_VAR_aws_endpoint_url", &moto.url)
        .env("TF_VAR_dr_kms_key", DR_KEY);
    w
}

/// `examples/dr` as a user runs its failover: the action promotes the DR
/// database, reporting its progress, and finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dr_example_fails_over() {
    let moto = Emulator::start();
    let mut w = dr_example(&moto);
    w.apply();
    let failover = w
        .run(&[
            "apply",
            "-invoke=action.onto_dr_failover.failover",
            "-auto-approve",
            "-no-color",
        ])
        .success();
    let text = failover.combined();
    assert!(text.contains("Promotion of onto-db accepted"), "{text}");
    let promoted = moto
        .rds_in("eu-central-1")
        .await
        .describe_db_instances()
        .db_instance_identifier("onto-db")
        .send()
        .await
        .unwrap();
    let promoted = &promoted.db_instances()[0];
    assert_eq!(promoted.db_instance_status(), Some("available"));
    assert_eq!(promoted.read_replica_source_db_instance_identifier(), None);
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
        .failure_at("KMS key in the wrong region", "dr_kms_key");
    w.config(
        &(dev.clone() + &dr("  dr_subnet_ids = [\"subnet-1\"]\n").replace(":key/", ":alias/")),
    );
    w.run(&["plan", "-no-color"])
        .failure_at("KMS alias instead of key", "dr_kms_key");
    w.config(
        &(dev.clone()
            + &dr("  dr_subnet_ids = [\"subnet-1\"]\n").replace("eu-central-1", "eu-west-1")),
    );
    w.run(&["plan", "-no-color"])
        .failure_at("DR in the primary region", "dr_region");
    // Backups mode makes no replica: replica settings are refused; the DR
    // copy of the state bucket must fit S3's 63 characters.
    w.config(&(dev.clone() + &dr("  db_mode = \"backups\"\n  rto_target = \"30m\"\n  dr_subnet_ids = [\"subnet-1\"]\n")));
    w.run(&["plan", "-no-color"])
        .failure_at("Only for a replica", "dr_subnet_ids");
    let long = "b".repeat(52);
    w.config(
        &(dev
            + &dr(&format!(
                "  dr_subnet_ids = [\"subnet-1\"]\n  state_bucket = \"{long}\"\n"
            ))),
    );
    w.run(&["plan", "-no-color"])
        .failure_at("DR bucket name too long", "state_bucket");
}

const PRIMARY_NET: &str = "resource \"onto_network\" \"primary\" {\n  name               = \"primary\"\n  cidr_block         = \"10.30.0.0/16\"\n  availability_zones = [\"eu-west-1a\", \"eu-west-1b\"]\n  nat_mode           = \"none\"\n}\n\nresource \"onto_network\" \"dr\" {\n  name               = \"dr\"\n  region             = \"eu-central-1\"\n  cidr_block         = \"10.31.0.0/16\"\n  availability_zones = [\"eu-central-1a\", \"eu-central-1b\"]\n  nat_mode           = \"none\"\n}\n\nresource \"onto_db\" \"editor\" {\n  name                = \"editor\"\n  subnet_ids          = onto_network.primary.database_subnet_ids\n  allowed_cidr_blocks = [\"10.30.0.0/16\"]\n}\n";

/// An `onto_dr_region` for `db`, replicating into `region`'s subnets, with
/// its drill and failover actions.
fn dr_block(label: &str, db: &str, region: &str, subnets: &str) -> String {
    let key = DR_KEY.replace("eu-central-1", region);
    format!(
        "resource \"onto_dr_region\" \"{label}\" {{\n  name                   = \"{label}\"\n  dr_region              = \"{region}\"\n  db_arn                 = {db}.arn\n  dr_kms_key             = \"{key}\"\n  dr_subnet_ids          = {subnets}\n  dr_allowed_cidr_blocks = [\"10.0.0.0/8\"]\n}}\n\naction \"onto_dr_failover\" \"{label}\" {{\n  config {{\n    replica_id = onto_dr_region.{label}.replica_id\n    dr_region  = onto_dr_region.{label}.dr_region\n  }}\n}}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_and_fail_back_through_the_cli() {
    let emulator = Emulator::start();
    let dr_rds = emulator.rds_in("eu-central-1").await;
    let rds = emulator.rds().await;
    let mut w = workdir();
    let base = emulator.provider("dev") + PRIMARY_NET;
    let to_dr = dr_block(
        "dr",
        "onto_db.editor",
        "eu-central-1",
        "onto_network.dr.database_subnet_ids",
    );
    w.config(&(base.clone() + &to_dr));
    // The replica reports 30 s of lag: the RPO comes from CloudWatch.
    emulator.control("rds/replica-lag", Some(serde_json::json!({"seconds": 30})));
    w.apply();
    w.run(&["apply", "-refresh-only", "-auto-approve", "-no-color"])
        .success();
    let dr = w.state().resource("onto_dr_region.dr")["values"].clone();
    assert_eq!(dr["rpo_estimate"], "30s", "{dr}");
    assert!(
        dr["rpo_source"]
            .as_str()
            .unwrap()
            .contains("CloudWatch ReplicaLag"),
        "{dr}"
    );
    assert_eq!(dr["objectives_met"], true);
    assert_eq!(dr["replica_id"], "dr-db");

    // Failover: the replica is promoted; the CLI shows its progress.
    let failover = w
        .run(&[
            "apply",
            "-invoke=action.onto_dr_failover.dr",
            "-auto-approve",
            "-no-color",
        ])
        .success();
    let text = failover.combined();
    assert!(text.contains("modifying"), "progress events: {text}");
    assert!(text.contains("eu-central-1"), "{text}");
    let promoted = dr_rds
        .describe_db_instances()
        .db_instance_identifier("dr-db")
        .send()
        .await
        .unwrap();
    let promoted = &promoted.db_instances()[0];
    assert_eq!(promoted.db_instance_status(), Some("available"));
    assert_eq!(promoted.read_replica_source_db_instance_identifier(), None);
    // The plan after the failover records it and changes nothing in AWS.
    w.run(&["apply", "-refresh-only", "-auto-approve", "-no-color"])
        .success();
    assert_eq!(w.state().attr("onto_dr_region.dr", "promoted"), "true");
    let actions = w.plan_actions();
    assert!(
        actions.values().flatten().all(|a| a != "delete"),
        "nothing is destroyed after a failover: {actions:?}"
    );

    // Fail-back, as the runbook says: the promoted database becomes an
    // onto_db of this configuration, the DR resource leaves state without
    // touching AWS, and a DR region from the new primary back to the old
    // region is declared, then failed over.
    let adopt = "\nresource \"onto_db\" \"dr_primary\" {\n  name       = \"dr-db\"\n  region     = \"eu-central-1\"\n  subnet_ids = onto_network.dr.database_subnet_ids\n}\n\nimport {\n  to = onto_db.dr_primary\n  id = \"eu-central-1:dr-db\"\n}\n\nremoved {\n  from = onto_dr_region.dr\n  lifecycle {\n    destroy = false\n  }\n}\n";
    w.config(&(base.clone() + adopt));
    let out = w.run(&["apply", "-auto-approve", "-no-color"]).success();
    assert!(out.stdout().contains("1 imported"), "{}", out.stdout());
    assert!(dr_rds
        .describe_db_instances()
        .db_instance_identifier("dr-db")
        .send()
        .await
        .is_ok());
    let back = dr_block(
        "back",
        "onto_db.dr_primary",
        "eu-west-1",
        "onto_network.primary.database_subnet_ids",
    );
    let adopted = adopt.split("\nimport {").next().unwrap();
    w.config(&(base.clone() + adopted + &back));
    w.apply();
    assert_eq!(
        w.state().attr("onto_dr_region.back", "objectives_met"),
        "true"
    );
    let replica = rds
        .describe_db_instances()
        .db_instance_identifier("back-db")
        .send()
        .await
        .unwrap();
    assert!(replica.db_instances()[0]
        .read_replica_source_db_instance_identifier()
        .unwrap()
        .ends_with(":eu-central-1:123456789012:db:dr-db"));
    w.run(&[
        "apply",
        "-invoke=action.onto_dr_failover.back",
        "-auto-approve",
        "-no-color",
    ])
    .success();
    let replica = rds
        .describe_db_instances()
        .db_instance_identifier("back-db")
        .send()
        .await
        .unwrap();
    assert_eq!(
        replica.db_instances()[0].read_replica_source_db_instance_identifier(),
        None,
        "failed back: the primary region serves again"
    );
}

/// Backups mode: automated backups replicated to the DR region, the RPO
/// measured from their latest restorable time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicated_backups_mode() {
    let emulator = Emulator::start();
    let dr_rds = emulator.rds_in("eu-central-1").await;
    let mut w = workdir();
    let dr = format!(
        "resource \"onto_dr_region\" \"dr\" {{\n  name       = \"dr\"\n  dr_region  = \"eu-central-1\"\n  db_arn     = onto_db.editor.arn\n  dr_kms_key = \"{DR_KEY}\"\n  db_mode    = \"backups\"\n  rto_target = \"30m\"\n}}\n"
    );
    w.config(&(emulator.provider("dev") + PRIMARY_NET + &dr));
    w.apply();
    let backups = dr_rds
        .describe_db_instance_automated_backups()
        .db_instance_identifier("editor")
        .send()
        .await
        .unwrap();
    let backups = backups.db_instance_automated_backups();
    assert_eq!(backups.len(), 1);
    assert_eq!(backups[0].region(), Some("eu-west-1"));
    let values = w.state().resource("onto_dr_region.dr")["values"].clone();
    assert_eq!(values["objectives_met"], true, "{values}");
    assert!(
        values["rpo_source"].as_str().unwrap().contains("backup"),
        "{values}"
    );
    w.destroy();
    let after = dr_rds
        .describe_db_instance_automated_backups()
        .db_instance_identifier("editor")
        .send()
        .await;
    assert!(
        after
            .map(|b| b.db_instance_automated_backups().is_empty())
            .unwrap_or(true),
        "replication stopped on destroy"
    );

    // Replication someone started by hand: used, said so, and left running
    // when the DR resource goes.
    w.config(&(emulator.provider("dev") + PRIMARY_NET));
    w.apply();
    let arn = w.state().resource("onto_db.editor")["values"]["arn"]
        .as_str()
        .unwrap()
        .to_owned();
    dr_rds
        .start_db_instance_automated_backups_replication()
        .source_db_instance_arn(&arn)
        .kms_key_id(DR_KEY)
        .send()
        .await
        .unwrap();
    w.config(&(emulator.provider("dev") + PRIMARY_NET + &dr));
    let out = w.run(&["apply", "-auto-approve", "-no-color"]).success();
    assert!(
        out.combined()
            .contains("DR backups were already replicated"),
        "{}",
        out.combined()
    );
    w.config(&(emulator.provider("dev") + PRIMARY_NET));
    w.apply();
    let kept = dr_rds
        .describe_db_instance_automated_backups()
        .db_instance_identifier("editor")
        .send()
        .await
        .unwrap();
    assert_eq!(
        kept.db_instance_automated_backups().len(),
        1,
        "replication this stack did not start keeps running"
    );
}
