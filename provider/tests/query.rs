//! `terraform query`: list blocks find what exists in the account, onto's
//! and not, and `-generate-config-out` writes the resource and import
//! blocks that bring it under Terraform with an empty second plan.

mod common;

use common::{workdir, Emulator, REGION};

const LIST_ALL: &str = r#"
list "onto_registry" "all" {
  provider = onto
}

list "onto_network" "all" {
  provider = onto
}

list "onto_state_backend" "all" {
  provider = onto
}
"#;

const LIST_LEGACY: &str = r#"
list "onto_registry" "legacy" {
  provider = onto
  config {
    name_prefix = "legacy/"
    tags        = { team = "web" }
  }
}

list "onto_db" "legacy" {
  provider = onto
  config {
    tags = { team = "data" }
  }
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_lists_what_exists_and_generated_config_imports_it() {
    let moto = Emulator::start();
    let (ecr, ec2, rds) = (moto.ecr().await, moto.ec2().await, moto.rds().await);

    // One stack's own repository, made through Terraform.
    let mut theirs = workdir();
    theirs.config(
        &(moto.provider_in_stack("dev", "platform-a")
            + "resource \"onto_registry\" \"api\" {\n  name = \"onto/api\"\n}\n"),
    );
    theirs.apply();

    // Objects made by hand: a repository, and a database in its own VPC.
    ecr.create_repository()
        .repository_name("legacy/web")
        .tags(
            aws_sdk_ecr::types::Tag::builder()
                .key("team")
                .value("web")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.42.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_owned();
    let mut subnets = vec![];
    for (i, az) in ["a", "b"].iter().enumerate() {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.42.{i}.0/24"))
            .availability_zone(format!("{REGION}{az}"))
            .send()
            .await
            .unwrap();
        subnets.push(s.subnet().unwrap().subnet_id().unwrap().to_owned());
    }
    rds.create_db_subnet_group()
        .db_subnet_group_name("legacy-subnets")
        .db_subnet_group_description("made by hand")
        .set_subnet_ids(Some(subnets))
        .send()
        .await
        .unwrap();
    rds.create_db_instance()
        .db_instance_identifier("legacy-db")
        .engine("postgres")
        .engine_version("16.3")
        .db_instance_class("db.t4g.micro")
        .allocated_storage(20)
        .master_username("app")
        .master_user_password("a-long-password-1")
        .db_subnet_group_name("legacy-subnets")
        .storage_encrypted(true)
        .tags(
            aws_sdk_rds::types::Tag::builder()
                .key("team")
                .value("data")
                .build(),
        )
        .send()
        .await
        .unwrap();

    moto.s3()
        .await
        .create_bucket()
        .bucket("legacy-terraform-state")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(REGION))
                .build(),
        )
        .send()
        .await
        .unwrap();

    // A second configuration queries the account.
    let mut w = workdir();
    w.config(&moto.provider("dev"));
    std::fs::write(w.path().join("find.tfquery.hcl"), LIST_ALL).unwrap();
    let out = w.run(&["query", "-no-color"]).success().stdout();
    let line = |needle: &str| {
        out.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no result {needle:?} in:\n{out}"))
            .to_owned()
    };
    let api = line("onto/api");
    assert!(api.starts_with("list.onto_registry.all"), "{api}");
    assert!(
        api.contains("name=onto/api") && api.contains(&format!("region={REGION}")),
        "{api}"
    );
    assert!(api.contains("stack platform-a, environment dev"), "{api}");
    assert!(line("legacy/web").contains("not managed by onto"));
    let bucket = line("legacy-terraform-state");
    assert!(
        bucket.starts_with("list.onto_state_backend.all"),
        "{bucket}"
    );
    assert!(bucket.contains("not managed by onto"), "{bucket}");
    let network = line(&vpc);
    assert!(network.starts_with("list.onto_network.all"), "{network}");
    assert!(network.contains(&format!("vpc_id={vpc}")), "{network}");

    // The filters narrow it down; the generated configuration imports it.
    std::fs::write(w.path().join("find.tfquery.hcl"), LIST_LEGACY).unwrap();
    let out = w
        .run(&["query", "-no-color", "-generate-config-out=generated.tf"])
        .success()
        .stdout();
    assert!(!out.contains("onto/api"), "{out}");
    let generated = std::fs::read_to_string(w.path().join("generated.tf")).unwrap();
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "resource \"onto_registry\" \"legacy_0\"",
        "resource \"onto_db\" \"legacy_0\"",
        "name = \"legacy/web\"",
        "name = \"legacy-db\"",
        "identity = {",
    ] {
        assert!(
            squash(&generated).contains(&squash(expected)),
            "{expected:?} missing from:\n{generated}"
        );
    }
    let out = w.run(&["apply", "-auto-approve", "-no-color"]).success();
    assert!(out.stdout().contains("2 imported"), "{}", out.stdout());
    w.assert_no_changes();

    // Brought in, and the other stack's repository left alone.
    assert_eq!(w.state().attr("onto_db.legacy_0", "username"), "app");
    theirs.assert_no_changes();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_filter_is_refused_on_its_attribute() {
    let moto = Emulator::start();
    let w = {
        let mut w = workdir();
        w.config(&moto.provider("dev"));
        w
    };
    std::fs::write(
        w.path().join("find.tfquery.hcl"),
        "list \"onto_db\" \"x\" {\n  provider = onto\n  config {\n    region = \"us-east-9\"\n  }\n}\n",
    )
    .unwrap();
    let out = w.run(&["query", "-no-color"]).failure("us-east-9");
    let text = out.combined();
    assert!(text.contains("region"), "{text}");
}

/// Every kind lists what one stack made, with its stack and environment;
/// the environment filter keeps another environment's results out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_lists_its_objects_with_their_owner() {
    let moto = Emulator::start();
    let mut stack = workdir();
    stack.config(
        &(moto.provider_in_stack("staging", "platform-b")
            + r#"
resource "onto_network" "core" {
  name               = "core"
  cidr_block         = "10.0.0.0/16"
  availability_zones = ["eu-west-1a", "eu-west-1b"]
  nat_mode           = "none"
}

resource "onto_cache" "sessions" {
  name                = "sessions"
  subnet_ids          = onto_network.core.private_subnet_ids
  allowed_cidr_blocks = ["10.0.0.0/16"]
}

resource "onto_cluster" "edge" {
  name        = "edge"
  subnet_ids  = onto_network.core.private_subnet_ids
  addons      = {}
  node_groups = {}
}

resource "onto_telemetry" "t" {
  name              = "editor"
  oidc_provider_arn = onto_cluster.edge.oidc_provider_arn
}

resource "onto_state_backend" "s" {
  bucket   = "b-state"
  tls_only = false
}

resource "onto_dr_region" "dr" {
  name             = "b"
  dr_region        = "eu-central-1"
  state_bucket     = "b-state"
  state_lock_table = "b-locks"
  force_destroy    = true
  depends_on       = [onto_state_backend.s]
}
"#),
    );
    stack.apply();

    let mut w = workdir();
    w.config(&moto.provider("dev"));
    let lists = ["onto_cache", "onto_cluster", "onto_telemetry"]
        .iter()
        .flat_map(|t| {
            ["staging", "prod"].map(|env| {
                format!("list \"{t}\" \"{env}\" {{\n  provider = onto\n  config {{\n    environment = \"{env}\"\n  }}\n}}\n")
            })
        })
        .collect::<String>()
        + "list \"onto_dr_region\" \"dr\" {\n  provider = onto\n  config {\n    region = \"eu-central-1\"\n  }\n}\n";
    std::fs::write(w.path().join("find.tfquery.hcl"), lists).unwrap();
    let out = w.run(&["query", "-no-color"]).success().stdout();
    for (list, name) in [
        ("list.onto_cache.staging", "sessions"),
        ("list.onto_cluster.staging", "edge"),
        ("list.onto_telemetry.staging", "editor"),
        ("list.onto_dr_region.dr", "b"),
    ] {
        let found = out
            .lines()
            // `ADDRESS   IDENTITY   DISPLAY`: the display starts with the name.
            .find(|l| {
                l.starts_with(list) && l.split("   ").nth(2).is_some_and(|d| d.starts_with(name))
            })
            .unwrap_or_else(|| panic!("no {name} in {list}:\n{out}"));
        assert!(
            found.contains("stack platform-b, environment staging"),
            "{found}"
        );
    }
    assert!(
        !out.lines()
            .any(|l| l.starts_with("list.") && l.contains(".prod ")),
        "nothing in prod:\n{out}"
    );
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("returned 0 results"),
        "the prod lists are empty:\n{out}"
    );
}
