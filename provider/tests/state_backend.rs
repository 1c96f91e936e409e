//! onto_state_backend against the real Terraform CLI and the moto emulator,
//! and the user's workflow: bootstrap, then an `s3` backend with workspaces.

mod common;

use std::process::Stdio;
use std::time::Duration;

use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use common::{workdir, Emulator};

async fn moto_ddb_delete(moto: &Emulator, table: &str) {
    moto.dynamodb()
        .await
        .delete_table()
        .table_name(table)
        .send()
        .await
        .unwrap();
}

/// Waits until the staging workspace's state lock is held (a DynamoDB lock
/// item, or an S3 lockfile), so the contending apply really contends.
async fn wait_for_lock(moto: &Emulator, label: &str) {
    let (s3, ddb) = (moto.s3().await, moto.dynamodb().await);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let held = if label == "dynamodb" {
            let items = ddb
                .scan()
                .table_name("onto-state-dev-lock")
                .send()
                .await
                .unwrap();
            items.items().iter().any(|i| {
                i.get("LockID")
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|id| id.contains("env:/staging/") && !id.ends_with("-md5"))
            })
        } else {
            s3.head_object()
                .bucket("onto-state-dev")
                .key("env:/staging/platform.tfstate.tflock")
                .send()
                .await
                .is_ok()
        };
        if held {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{label}: the first apply never took the lock"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The bucket's versioning status, read from the raw response (the emulator
/// answers with a root element the SDK refuses).
async fn versioning(s3: &aws_sdk_s3::Client, bucket: &str) -> String {
    match s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(v) => v
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        Err(e) => {
            let body = e
                .raw_response()
                .and_then(|r| r.body().bytes())
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            body.split("<Status>")
                .nth(1)
                .and_then(|s| s.split("</Status>").next())
                .unwrap_or_default()
                .to_owned()
        }
    }
}

// The emulator speaks plain HTTP and enforces bucket policies, so the
// TLS-only policy would lock these tests out: turned off explicitly here,
// and checked on its own in `prod_backends_are_guarded`.
const BACKEND: &str = r#"
resource "onto_state_backend" "tf" {
  bucket   = "onto-state-dev"
  tls_only = false
  tags     = { team = "platform" }
}

output "backend_config" {
  value = onto_state_backend.tf.backend_config
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_import_drift_update_and_guarded_destroy() {
    let moto = Emulator::start();
    let (s3, ddb) = (moto.s3().await, moto.dynamodb().await);
    let mut w = workdir();
    let base = moto.provider("dev");
    w.config(&(base.clone() + BACKEND));
    w.apply();

    let b = "onto-state-dev";
    assert_eq!(versioning(&s3, b).await, "Enabled");
    let pab = s3.get_public_access_block().bucket(b).send().await.unwrap();
    assert_eq!(
        pab.public_access_block_configuration()
            .unwrap()
            .restrict_public_buckets(),
        Some(true)
    );
    let enc = s3.get_bucket_encryption().bucket(b).send().await.unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .unwrap()
            .sse_algorithm()
            .as_str(),
        "AES256"
    );
    let table = ddb
        .describe_table()
        .table_name("onto-state-dev-lock")
        .send()
        .await
        .unwrap();
    let key = &table.table().unwrap().key_schema()[0];
    assert_eq!(key.attribute_name(), "LockID");
    let pitr = ddb
        .describe_continuous_backups()
        .table_name("onto-state-dev-lock")
        .send()
        .await
        .unwrap();
    assert_eq!(
        pitr.continuous_backups_description()
            .unwrap()
            .point_in_time_recovery_description()
            .unwrap()
            .point_in_time_recovery_status()
            .unwrap()
            .as_str(),
        "ENABLED"
    );
    let state = w.state();
    let cfg = state.output("backend_config");
    assert_eq!(cfg["dynamodb_table"], "onto-state-dev-lock");
    assert_eq!(cfg["use_lockfile"], "true");
    assert_eq!(cfg["region"], common::REGION);

    w.import_verify("onto_state_backend.tf", "onto-state-dev", &[]);
    w.assert_no_changes();
    // And through an import block.
    w.run(&["state", "rm", "onto_state_backend.tf"]).success();
    w.config(
        &(base.clone()
            + BACKEND
            + "\nimport {\n  to = onto_state_backend.tf\n  id = \"onto-state-dev\"\n}\n"),
    );
    let out = w.run(&["apply", "-auto-approve", "-no-color"]).success();
    assert!(
        out.stdout().contains("1 imported, 0 added, 0 changed"),
        "{}",
        out.stdout()
    );
    w.config(&(base.clone() + BACKEND));
    w.assert_no_changes();

    // Drift: versioning suspended and public access unblocked out of band.
    s3.put_bucket_versioning()
        .bucket(b)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.delete_public_access_block()
        .bucket(b)
        .send()
        .await
        .unwrap();
    assert_eq!(w.plan_actions()["onto_state_backend.tf"], ["update"]);
    let fix: Vec<String> = w
        .planned_attribute_changes("onto_state_backend.tf")
        .into_iter()
        .collect();
    assert_eq!(
        fix,
        ["public_access_blocked", "versioning"],
        "the plan proposes exactly the fix"
    );
    w.apply();
    assert_eq!(versioning(&s3, b).await, "Enabled");
    // Deleted out of band (the table too): the plan recreates the backend.
    s3.delete_bucket().bucket(b).send().await.unwrap();
    moto_ddb_delete(&moto, "onto-state-dev-lock").await;
    assert_eq!(w.plan_actions()["onto_state_backend.tf"], ["create"]);
    w.apply();

    // In place vs replacement.
    let updated = BACKEND.replace(
        "  tags     = { team = \"platform\" }",
        "  tags     = { team = \"platform\" }\n  noncurrent_version_expiration_days = 30",
    );
    w.config(&(base.clone() + &updated));
    assert_eq!(w.plan_actions()["onto_state_backend.tf"], ["update"]);
    w.apply();
    let replaced = updated.replace(
        "  noncurrent_version_expiration_days = 30",
        "  noncurrent_version_expiration_days = 30\n  lock_table = \"onto-locks\"",
    );
    w.config(&(base.clone() + &replaced));
    assert_eq!(
        w.plan_actions()["onto_state_backend.tf"],
        ["delete", "create"]
    );
    w.apply();

    // A bucket holding state is not destroyed without force_destroy.
    s3.put_object()
        .bucket(b)
        .key("env:/dev/platform.tfstate")
        .body(b"{}".to_vec().into())
        .send()
        .await
        .unwrap();
    w.run(&["destroy", "-auto-approve", "-no-color"])
        .failure("State bucket is not empty");
    assert!(
        s3.head_bucket().bucket(b).send().await.is_ok(),
        "the bucket must survive a refused destroy"
    );
    let forced = replaced.replace(
        "  lock_table = \"onto-locks\"",
        "  lock_table = \"onto-locks\"\n  force_destroy = true",
    );
    w.config(&(base + &forced));
    w.apply();
    w.destroy();
    assert!(s3.head_bucket().bucket(b).send().await.is_err());
    assert!(ddb
        .describe_table()
        .table_name("onto-locks")
        .send()
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prod_backends_are_guarded() {
    let moto = Emulator::start();
    let mut w = workdir();
    let base = moto.provider("prod");
    w.config(&(base.clone() + "resource \"onto_state_backend\" \"tf\" {\n  bucket = \"onto-state-prod\"\n  force_destroy = true\n}\n"));
    w.run(&["plan", "-no-color"])
        .failure("force_destroy would delete the prod state");
    w.config(
        &(base.clone()
            + "resource \"onto_state_backend\" \"tf\" {\n  bucket = \"onto-state-prod\"\n}\n"),
    );
    w.apply();
    let s3 = moto.s3().await;
    let policy = s3
        .get_bucket_policy()
        .bucket("onto-state-prod")
        .send()
        .await
        .unwrap();
    assert!(
        policy
            .policy()
            .unwrap()
            .contains("\"aws:SecureTransport\":\"false\""),
        "TLS-only policy by default"
    );
    let ddb = moto.dynamodb().await;
    let t = ddb
        .describe_table()
        .table_name("onto-state-prod-lock")
        .send()
        .await
        .unwrap();
    assert_eq!(t.table().unwrap().deletion_protection_enabled(), Some(true));
    w.run(&["destroy", "-auto-approve", "-no-color"])
        .failure("Refusing to destroy a prod state backend");
    w.config(&(base + "resource \"onto_state_backend\" \"tf\" {\n  bucket = \"onto-state-prod\"\n  allow_prod_force_destroy = true\n}\n"));
    w.apply();
    w.destroy();
    assert!(ddb
        .describe_table()
        .table_name("onto-state-prod-lock")
        .send()
        .await
        .is_err());
}

/// A backend made by another team, imported: onto hardens the bucket it was
/// given, uses the lock table it found without changing it, and destroy
/// leaves that table (and its locks) in place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_backend_keeps_the_lock_table_it_came_with() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let moto = Emulator::start();
    let (s3, ddb) = (moto.s3().await, moto.dynamodb().await);
    let bucket = "team-state";
    s3.create_bucket()
        .bucket(bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                    common::REGION,
                ))
                .build(),
        )
        .send()
        .await
        .unwrap();
    ddb.create_table()
        .table_name("team-locks")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("LockID")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("LockID")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let mut w = workdir();
    let config = moto.provider("dev")
        + "resource \"onto_state_backend\" \"tf\" {\n  bucket        = \"team-state\"\n  lock_table    = \"team-locks\"\n  tls_only      = false\n  force_destroy = true\n}\n";
    w.config(
        &(config.clone()
            + "\nimport {\n  to = onto_state_backend.tf\n  id = \"team-state,team-locks\"\n}\n"),
    );
    let out = w.run(&["apply", "-auto-approve", "-no-color"]).success();
    assert!(
        out.stdout().contains("1 imported, 0 added"),
        "{}",
        out.stdout()
    );
    w.config(&config);
    w.assert_no_changes();
    assert_eq!(
        versioning(&s3, bucket).await,
        "Enabled",
        "the bucket is hardened"
    );
    let pitr = ddb
        .describe_continuous_backups()
        .table_name("team-locks")
        .send()
        .await
        .unwrap();
    assert_ne!(
        pitr.continuous_backups_description()
            .and_then(|d| d.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status())
            .map(|s| s.as_str().to_owned()),
        Some("ENABLED".to_owned()),
        "the table onto did not make is not modified"
    );

    let destroyed = w.run(&["destroy", "-auto-approve", "-no-color"]).success();
    assert!(
        destroyed.combined().contains("Lock table kept"),
        "{}",
        destroyed.combined()
    );
    assert!(s3.head_bucket().bucket(bucket).send().await.is_err());
    assert!(
        ddb.describe_table()
            .table_name("team-locks")
            .send()
            .await
            .is_ok(),
        "the lock table onto did not make survives destroy"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bucket_names_fail_at_plan() {
    let moto = Emulator::start();
    let mut w = workdir();
    let base = moto.provider("dev");
    for (bucket, message) in [
        ("Bad_Bucket", "is not a valid S3 bucket name"),
        ("ab", "3 to 63 characters"),
        ("10.0.0.1", "IP address"),
    ] {
        w.config(&format!(
            "{base}\nresource \"onto_state_backend\" \"tf\" {{\n  bucket = \"{bucket}\"\n}}\n"
        ));
        w.run(&["plan", "-no-color"]).failure_at(message, "bucket");
    }
    w.config(&format!("{base}\nresource \"onto_state_backend\" \"tf\" {{\n  bucket = \"ok-bucket\"\n  versioning = false\n}}\n"));
    w.run(&["plan", "-no-color"])
        .failure_at("State buckets are always versioned", "versioning");
    w.config(&format!("{base}\nresource \"onto_state_backend\" \"tf\" {{\n  bucket = \"ok-bucket\"\n  kms_key_arn = \"arn:aws:kms:us-east-1:123456789012:key/abc\"\n}}\n"));
    w.run(&["plan", "-no-color"]).failure_at(
        "kms_key_arn is in us-east-1, but this object lives in eu-west-1",
        "kms_key_arn",
    );
    // Against a real (HTTPS) endpoint the TLS-only policy cannot be dropped.
    let https = base.replace("endpoint_url = \"http://", "endpoint_url = \"https://");
    w.config(&format!("{https}\nresource \"onto_state_backend\" \"tf\" {{\n  bucket = \"ok-bucket\"\n  tls_only = false\n}}\n"));
    w.run(&["plan", "-no-color"])
        .failure_at("tls_only = false is accepted only when", "tls_only");
}

/// Workspaces on an `s3` backend bootstrapped by onto_state_backend, with
/// DynamoDB locking and again with S3 lockfiles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspaces_on_the_bootstrapped_backend() {
    let moto = Emulator::start();
    let s3 = moto.s3().await;

    // 1. Bootstrap with local state.
    let mut boot = workdir();
    boot.config(&(moto.provider("dev") + BACKEND));
    boot.apply();

    // 2. A platform root module using the backend, one workspace per environment.
    let mut w = workdir();
    w.use_mirror("0.1.0");
    let platform = format!(
        "terraform {{\n  backend \"s3\" {{}}\n  required_providers {{\n    onto = {{ source = \"{}\" }}\n  }}\n}}\n\n\
         provider \"onto\" {{\n  region       = \"{}\"\n  endpoint_url = \"{}\"\n  access_key   = \"test\"\n  secret_key   = \"test\"\n  environment  = terraform.workspace\n}}\n\n\
         resource \"onto_registry\" \"app\" {{\n  name                 = \"app-${{terraform.workspace}}\"\n  image_tag_mutability = terraform.workspace == \"prod\" ? \"IMMUTABLE\" : \"MUTABLE\"\n}}\n\n\
         resource \"terraform_data\" \"slow\" {{\n  triggers_replace = var.run\n  provisioner \"local-exec\" {{\n    command = \"sleep $SLEEP\"\n    environment = {{ SLEEP = var.sleep }}\n  }}\n}}\n\n\
         variable \"run\" {{\n  default = \"0\"\n}}\n\nvariable \"sleep\" {{\n  default = \"0\"\n}}\n",
        common::SOURCE,
        common::REGION,
        moto.url
    );
    w.config(&platform);

    for (label, lock) in [
        ("dynamodb", "dynamodb_table = \"onto-state-dev-lock\""),
        ("lockfile", "use_lockfile = true"),
    ] {
        std::fs::write(
            w.path().join("backend.hcl"),
            moto.backend_file("onto-state-dev", lock),
        )
        .unwrap();
        w.run(&[
            "init",
            "-reconfigure",
            "-no-color",
            "-input=false",
            "-backend-config=backend.hcl",
        ])
        .success();
        for ws in ["dev", "staging", "prod"] {
            w.run(&["workspace", "select", "-or-create", "-no-color", ws])
                .success();
            w.apply();
            let key = format!("env:/{ws}/platform.tfstate");
            assert!(
                s3.head_object()
                    .bucket("onto-state-dev")
                    .key(&key)
                    .send()
                    .await
                    .is_ok(),
                "{label}: no state at {key}"
            );
            let state = w.state();
            assert_eq!(state.attr("onto_registry.app", "name"), format!("app-{ws}"));
            let expected = if ws == "prod" { "IMMUTABLE" } else { "MUTABLE" };
            assert_eq!(
                state.attr("onto_registry.app", "image_tag_mutability"),
                expected
            );
        }

        // A second apply on a locked workspace fails and leaves the state intact.
        w.run(&["workspace", "select", "-no-color", "staging"])
            .success();
        let run = format!("-var=run={label}");
        let mut holder = w
            .command(&["apply", "-auto-approve", "-no-color", &run, "-var=sleep=12"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_lock(&moto, label).await;
        w.run(&[
            "apply",
            "-auto-approve",
            "-no-color",
            "-lock-timeout=1s",
            "-var=run=other",
        ])
        .failure("Error acquiring the state lock");
        // Other workspaces are not blocked.
        w.run(&["workspace", "select", "-no-color", "dev"])
            .success();
        w.run(&["plan", "-no-color", "-lock-timeout=1s"]).success();
        w.run(&["workspace", "select", "-no-color", "staging"])
            .success();
        let status = holder.wait().unwrap();
        assert!(
            status.success(),
            "{label}: the apply holding the lock failed"
        );
        assert_eq!(w.state().attr("onto_registry.app", "name"), "app-staging");
    }
}
