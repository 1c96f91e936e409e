//! onto_registry against the real Terraform CLI and the moto emulator.

mod common;

use aws_sdk_ecr::types::ImageTagMutability;
use common::{workdir, Emulator};

const CONFIG: &str = r#"
resource "onto_registry" "api" {
  name             = "onto/editor-api"
  pull_account_ids = ["111111111111"]
  tags             = { team = "editor" }

  lifecycle_rule {
    description  = "keep releases"
    tag_status   = "tagged"
    tag_prefixes = ["v"]
    keep_last    = 10
  }
  lifecycle_rule {
    tag_status        = "untagged"
    expire_after_days = 7
  }
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_import_drift_update_replace_destroy() {
    let moto = Emulator::start();
    let ecr = moto.ecr().await;
    let mut w = workdir();
    let base = moto.provider("dev");
    w.config(&(base.clone() + CONFIG));
    assert_eq!(w.plan_actions()["onto_registry.api"], ["create"]);
    w.apply();

    // What AWS holds.
    let repo = ecr
        .describe_repositories()
        .repository_names("onto/editor-api")
        .send()
        .await
        .unwrap();
    let repo = &repo.repositories()[0];
    assert_eq!(
        repo.image_tag_mutability(),
        Some(&ImageTagMutability::Immutable)
    );
    assert!(repo.image_scanning_configuration().unwrap().scan_on_push());
    let arn = repo.repository_arn().unwrap().to_owned();
    let tags = ecr
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    let tag = |k: &str| {
        tags.tags()
            .iter()
            .find(|t| t.key() == k)
            .map(|t| t.value().to_owned())
    };
    assert_eq!(
        tag("onto:owner").as_deref(),
        Some("onto_registry/onto/editor-api")
    );
    assert_eq!(tag("onto:environment").as_deref(), Some("dev"));
    assert_eq!(tag("project").as_deref(), Some("onto"));
    assert_eq!(tag("team").as_deref(), Some("editor"));
    let policy = ecr
        .get_lifecycle_policy()
        .repository_name("onto/editor-api")
        .send()
        .await
        .unwrap();
    assert!(policy
        .lifecycle_policy_text()
        .unwrap()
        .contains("imageCountMoreThan"));

    let state = w.state();
    assert_eq!(state.attr("onto_registry.api", "region"), common::REGION);
    assert!(state
        .attr("onto_registry.api", "repository_url")
        .ends_with("/onto/editor-api"));

    // Drift: settings changed and a policy removed out of band.
    ecr.put_image_tag_mutability()
        .repository_name("onto/editor-api")
        .image_tag_mutability(ImageTagMutability::Mutable)
        .send()
        .await
        .unwrap();
    ecr.delete_lifecycle_policy()
        .repository_name("onto/editor-api")
        .send()
        .await
        .unwrap();
    assert_eq!(w.plan_actions()["onto_registry.api"], ["update"]);
    w.apply();
    let repo = ecr
        .describe_repositories()
        .repository_names("onto/editor-api")
        .send()
        .await
        .unwrap();
    assert_eq!(
        repo.repositories()[0].image_tag_mutability(),
        Some(&ImageTagMutability::Immutable)
    );

    // Import by name. An imported object keeps its own value where the
    // configuration leaves a default, so this comes after the drift check.
    w.import_verify("onto_registry.api", "onto/editor-api", &[]);
    w.assert_no_changes();

    // In place vs replacement, as the schema documents. (The emulator drops
    // `scanOnPush: false` — the SDK omits false booleans — so the in-place
    // change exercised here is tag mutability.)
    let updated = CONFIG.replace(
        "  tags             = { team = \"editor\" }",
        "  tags             = { team = \"platform\" }\n  image_tag_mutability = \"MUTABLE\"",
    );
    w.config(&(base.clone() + &updated));
    assert_eq!(w.plan_actions()["onto_registry.api"], ["update"]);
    w.apply();
    let replaced = updated.replace(
        "  image_tag_mutability = \"MUTABLE\"",
        "  image_tag_mutability = \"MUTABLE\"\n  encryption_type  = \"KMS\"",
    );
    w.config(&(base.clone() + &replaced));
    assert_eq!(w.plan_actions()["onto_registry.api"], ["delete", "create"]);
    w.apply();

    // Deleted out of band: the plan recreates it.
    ecr.delete_repository()
        .repository_name("onto/editor-api")
        .force(true)
        .send()
        .await
        .unwrap();
    assert_eq!(w.plan_actions()["onto_registry.api"], ["create"]);
    w.apply();

    w.destroy();
    let gone = ecr
        .describe_repositories()
        .repository_names("onto/editor-api")
        .send()
        .await;
    assert!(gone
        .unwrap_err()
        .as_service_error()
        .is_some_and(|e| e.is_repository_not_found_exception()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_block_with_identity_and_adoption_after_a_lost_create() {
    let moto = Emulator::start();
    let ecr = moto.ecr().await;
    let mut w = workdir();
    let base = moto.provider_in_stack("dev", "test/registry");

    // A repository created outside Terraform is imported with an identity.
    ecr.create_repository()
        .repository_name("legacy")
        .send()
        .await
        .unwrap();
    w.config(&(base.clone() + "import {\n  to       = onto_registry.legacy\n  identity = { name = \"legacy\" }\n}\n\nresource \"onto_registry\" \"legacy\" {\n  name = \"legacy\"\n}\n"));
    let out = w.run(&["apply", "-auto-approve", "-no-color"]).success();
    assert!(out.stdout().contains("1 imported"), "{}", out.stdout());
    w.assert_no_changes();

    // A create whose response was lost left a tagged repository behind: the
    // next apply adopts it instead of failing or creating a twin.
    ecr.create_repository()
        .repository_name("orphan")
        .tags(
            aws_sdk_ecr::types::Tag::builder()
                .key("onto:owner")
                .value("onto_registry/orphan")
                .build()
                .unwrap(),
        )
        .tags(
            aws_sdk_ecr::types::Tag::builder()
                .key("onto:environment")
                .value("dev")
                .build()
                .unwrap(),
        )
        .tags(
            aws_sdk_ecr::types::Tag::builder()
                .key("onto:stack")
                .value("test/registry")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    w.config(&(base.clone() + "resource \"onto_registry\" \"orphan\" {\n  name = \"orphan\"\n}\n"));
    w.run(&["state", "rm", "onto_registry.legacy"]).success();
    w.apply();
    let all = ecr.describe_repositories().send().await.unwrap();
    assert_eq!(
        all.repositories()
            .iter()
            .filter(|r| r.repository_name() == Some("orphan"))
            .count(),
        1
    );

    // Someone else's repository of the same name is not adopted.
    ecr.create_repository()
        .repository_name("foreign")
        .send()
        .await
        .unwrap();
    w.config(&(base + "resource \"onto_registry\" \"orphan\" {\n  name = \"orphan\"\n}\nresource \"onto_registry\" \"foreign\" {\n  name = \"foreign\"\n}\n"));
    w.apply_fails("It was not created by onto");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_fails_at_plan_on_the_attribute() {
    let moto = Emulator::start();
    let mut w = workdir();
    let base = moto.provider("prod");
    // Each refusal names its attribute (Terraform quotes its line).
    let cases = [
        ("name = \"Bad_Name\"", "is not a valid ECR repository name", "name"),
        ("name = \"ok\"\n  region = \"mars-north\"", "is not an AWS region name", "region"),
        ("name = \"ok\"\n  encryption_type = \"KMS\"\n  kms_key = \"not-an-arn\"", "is not a KMS key ARN", "kms_key"),
        (
            "name = \"ok\"\n  encryption_type = \"KMS\"\n  kms_key = \"arn:aws:kms:eu-west-1:123456789012:alias/ecr\"",
            "is a KMS alias",
            "kms_key",
        ),
        (
            "name = \"ok\"\n  encryption_type = \"KMS\"\n  kms_key = \"arn:aws:kms:us-east-1:123456789012:key/abc\"",
            "kms_key is in us-east-1, but this object lives in eu-west-1",
            "kms_key",
        ),
        ("name = \"ok\"\n  kms_key = \"arn:aws:kms:eu-west-1:123456789012:key/abc\"", "Set encryption_type = \"KMS\" to use kms_key", "kms_key"),
        ("name = \"ok\"\n  pull_account_ids = [\"12\"]", "is not a 12-digit AWS account id", "pull_account_ids"),
        ("name = \"ok\"\n  tags = { \"onto:owner\" = \"x\" }", "keys starting with `onto:` or `aws:` are reserved", "tags"),
        (
            "name = \"ok\"\n  lifecycle_rule {\n    tag_status = \"untagged\"\n    keep_last = 1\n    expire_after_days = 2\n  }",
            "Set exactly one of keep_last or expire_after_days",
            "lifecycle_rule",
        ),
        (
            "name = \"ok\"\n  lifecycle_rule {\n    tag_status = \"any\"\n    keep_last = 1\n  }\n  lifecycle_rule {\n    tag_status = \"untagged\"\n    keep_last = 1\n  }",
            "must be the last rule",
            "tag_status",
        ),
        ("name = \"ok\"\n  lifecycle_rule {\n    tag_status = \"tagged\"\n    keep_last = 1\n  }", "needs tag_prefixes", "lifecycle_rule"),
        ("name = \"ok\"\n  force_delete = true", "force_delete would delete every image in this prod repository", "force_delete"),
    ];
    for (body, message, attribute) in cases {
        w.config(&format!(
            "{base}\nresource \"onto_registry\" \"r\" {{\n  {body}\n}}\n"
        ));
        w.run(&["plan", "-no-color"]).failure_at(message, attribute);
    }
    let ecr = moto.ecr().await;
    assert!(
        ecr.describe_repositories()
            .send()
            .await
            .unwrap()
            .repositories()
            .is_empty(),
        "nothing may be created"
    );
}
