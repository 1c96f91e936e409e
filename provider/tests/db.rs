//! onto_db against the real Terraform CLI and the emulator, whose
//! instances go through RDS's states over (scaled) time: creating,
//! backing-up, modifying, held modifications, deleting, promotion.

mod common;

use common::{apply_checking_secret, workdir, Emulator};

const PASSWORD: &str = "Wo-Pa55word-9c1e";

fn network(name: &str, region: &str, cidr: &str) -> String {
    format!(
        "resource \"onto_network\" \"{name}\" {{\n  name               = \"{name}\"\n  region             = \"{region}\"\n  cidr_block         = \"{cidr}\"\n  availability_zones = [\"{region}a\", \"{region}b\"]\n  nat_mode           = \"none\"\n}}\n"
    )
}

fn db(extra: &str) -> String {
    format!(
        "resource \"onto_db\" \"editor\" {{\n  name                       = \"editor\"\n  subnet_ids                 = onto_network.core.database_subnet_ids\n  allowed_security_group_ids = [onto_network.core.default_security_group_id]\n  engine_version             = \"16.3\"\n  parameters                 = {{ log_min_duration_statement = \"500\" }}\n  tags                       = {{ team = \"editor\" }}\n{extra}}}\n"
    )
}

fn with_password(version: u32) -> String {
    format!("  password_wo         = \"{PASSWORD}\"\n  password_wo_version = {version}\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_secrets_drift_upgrades_and_final_snapshots() {
    let moto = Emulator::start();
    let rds = moto.rds().await;
    let ec2 = moto.ec2().await;
    let mut w = workdir();
    let base = moto.provider("dev") + &network("core", "eu-west-1", "10.0.0.0/16");
    w.config(&(base.clone() + &db(&with_password(1))));

    // Create with a write-only password, with trace logging on.
    apply_checking_secret(&w, PASSWORD);
    w.assert_no_changes();

    let state = w.state();
    let r = state.resource("onto_db.editor")["values"].clone();
    assert_eq!(r["instance_class"], "db.t4g.micro", "dev profile");
    assert_eq!(r["multi_az"], false);
    assert_eq!(r["backup_retention_days"], 1);
    assert_eq!(r["final_snapshot"], false);
    assert_eq!(r["deletion_protection"], false);
    assert_eq!(
        r["master_secret_arn"],
        serde_json::Value::Null,
        "password_wo mode"
    );
    assert_eq!(r["port"], 5432);
    assert_eq!(r["parameter_group_name"], "editor-postgres16");
    assert_eq!(r["tags_all"]["onto:owner"], "onto_db/editor");
    assert!(r["endpoint"].as_str().unwrap().ends_with(":5432"));
    let live = rds
        .describe_db_instances()
        .db_instance_identifier("editor")
        .send()
        .await
        .unwrap();
    let live = &live.db_instances()[0];
    assert_eq!(live.storage_encrypted(), Some(true));
    assert_eq!(live.publicly_accessible(), Some(false));
    let sg = ec2
        .describe_security_groups()
        .group_ids(r["security_group_id"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let ingress = sg.security_groups()[0].ip_permissions();
    assert_eq!(ingress.len(), 1, "one rule: {ingress:?}");
    assert_eq!(
        (ingress[0].from_port(), ingress[0].to_port()),
        (Some(5432), Some(5432))
    );
    assert_eq!(
        ingress[0].user_id_group_pairs()[0].group_id(),
        r["allowed_security_group_ids"][0].as_str()
    );
    assert!(ingress[0].ip_ranges().is_empty(), "no CIDR was allowed");
    let params = rds
        .describe_db_parameters()
        .db_parameter_group_name("editor-postgres16")
        .send()
        .await
        .unwrap();
    assert!(params
        .parameters()
        .iter()
        .any(|p| p.parameter_name() == Some("log_min_duration_statement")
            && p.parameter_value() == Some("500")));

    // moto does not report Performance Insights, so an import cannot know it.
    w.import_verify(
        "onto_db.editor",
        "editor",
        &["password_wo_version", "performance_insights"],
    );
    // An import cannot know password_wo_version: the next apply records it.
    w.apply();

    // Drift: the plan proposes exactly the fix.
    rds.modify_db_instance()
        .db_instance_identifier("editor")
        .db_instance_class("db.t4g.medium")
        .backup_retention_period(3)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let fix: Vec<String> = w
        .planned_attribute_changes("onto_db.editor")
        .into_iter()
        .collect();
    assert_eq!(fix, ["backup_retention_days", "instance_class"]);
    w.apply();

    // The security group onto made is deleted out of band (moto allows it
    // while the instance uses it): the plan shows the repair, and the apply
    // makes a new group and puts the instance in it.
    let old_sg = r["security_group_id"].as_str().unwrap().to_owned();
    ec2.delete_security_group()
        .group_id(&old_sg)
        .send()
        .await
        .unwrap();
    assert_eq!(w.plan_actions()["onto_db.editor"], ["update"]);
    assert!(w
        .planned_attribute_changes("onto_db.editor")
        .contains("security_group_id"));
    w.apply();
    let new_sg = w.state().attr("onto_db.editor", "security_group_id");
    assert_ne!(new_sg, old_sg);
    let live = rds
        .describe_db_instances()
        .db_instance_identifier("editor")
        .send()
        .await
        .unwrap();
    let in_use: Vec<_> = live.db_instances()[0]
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .collect();
    assert_eq!(in_use, [new_sg.as_str()]);
    w.assert_no_changes();

    // AWS applies an automatic minor upgrade: no downgrade is planned.
    rds.modify_db_instance()
        .db_instance_identifier("editor")
        .engine_version("16.4")
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    w.assert_no_changes();
    w.run(&["apply", "-refresh-only", "-auto-approve", "-no-color"])
        .success();
    assert_eq!(
        w.state().attr("onto_db.editor", "engine_version_actual"),
        "16.4"
    );
    assert_eq!(w.state().attr("onto_db.editor", "engine_version"), "16.3");

    // In place: storage autoscaling, multi-AZ, a new password; replace: the user.
    w.config(
        &(base.clone()
            + &db(&(with_password(2) + "  multi_az = true\n  max_allocated_storage = 100\n"))),
    );
    assert_eq!(w.plan_actions()["onto_db.editor"], ["update"]);
    w.apply();
    let live = rds
        .describe_db_instances()
        .db_instance_identifier("editor")
        .send()
        .await
        .unwrap();
    assert_eq!(live.db_instances()[0].multi_az(), Some(true));
    assert_eq!(live.db_instances()[0].max_allocated_storage(), Some(100));
    w.config(&(base.clone() + &db(&(with_password(2) + "  username = \"admin\"\n"))));
    let actions = &w.plan_actions()["onto_db.editor"];
    assert!(
        actions.contains(&"delete".to_owned()) && actions.contains(&"create".to_owned()),
        "{actions:?}"
    );

    // A run without the password — an ephemeral variable left unset, its
    // default null — that changes only a tag plans only the tag: how the
    // password is managed never changes silently.
    let unset =
        "variable \"pw\" {\n  type      = string\n  ephemeral = true\n  default   = null\n}\n";
    w.config(
        &(base.clone()
            + unset
            + &db("  password_wo = var.pw\n  password_wo_version = 2\n  multi_az = true\n  max_allocated_storage = 100\n")
                .replace("team = \"editor\"", "team = \"data\"")),
    );
    let changes: Vec<String> = w
        .planned_attribute_changes("onto_db.editor")
        .into_iter()
        .collect();
    assert_eq!(changes, ["tags", "tags_all"]);
    w.apply();
    assert!(
        rds.describe_db_instances()
            .db_instance_identifier("editor")
            .send()
            .await
            .unwrap()
            .db_instances()[0]
            .master_user_secret()
            .is_none(),
        "the write-only password must stay"
    );
    // A new password version without the password is refused at plan.
    w.config(
        &(base.clone()
            + &db("  password_wo_version = 3\n  multi_az = true\n  max_allocated_storage = 100\n")),
    );
    w.run(&["plan", "-no-color"])
        .failure("password_wo_version changed, which sends a new password_wo");

    // Back to a managed password, asked for: the secret appears, no password in state.
    w.config(&(base.clone() + &db("  final_snapshot = true\n  manage_master_password = true\n  multi_az = true\n  max_allocated_storage = 100\n")));
    let changes = w.planned_attribute_changes("onto_db.editor");
    assert!(changes.contains("manage_master_password"), "{changes:?}");
    w.apply();
    let secret = w.state().attr("onto_db.editor", "master_secret_arn");
    assert!(secret.starts_with("arn:aws:secretsmanager:"), "{secret}");

    // Destroy twice on one day: the second final snapshot gets a new name.
    w.destroy();
    w.apply();
    w.destroy();
    let snaps = rds
        .describe_db_snapshots()
        .snapshot_type("manual")
        .send()
        .await
        .unwrap();
    let mut names: Vec<&str> = snaps
        .db_snapshots()
        .iter()
        .filter_map(|s| s.db_snapshot_identifier())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].starts_with("editor-final-"), "{names:?}");
    assert_eq!(names[1], format!("{}-2", names[0]));
    let gone = rds
        .describe_db_instances()
        .db_instance_identifier("editor")
        .send()
        .await;
    assert!(gone.is_err(), "instance still exists");
}

/// moto 5.2.5 looks a cross-region replica's subnet group up in the
/// source's region, so through the CLI the replica lives beside its source;
/// the cross-region request (source ARN, KMS key of the replica's region) is
/// checked with aws-smithy-mocks in `src/resources/db.rs`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_replica() {
    let moto = Emulator::start();
    let mut w = workdir();
    let replica = "resource \"onto_db\" \"replica\" {\n  name                = \"editor-replica\"\n  subnet_ids          = onto_network.core.database_subnet_ids\n  replicate_source_db = onto_db.editor.arn\n}\n";
    w.config(
        &(moto.provider("dev") + &network("core", "eu-west-1", "10.0.0.0/16") + &db("") + replica),
    );
    w.apply();
    let source_arn = w.state().attr("onto_db.editor", "arn");
    assert_eq!(
        w.state().attr("onto_db.replica", "replicate_source_db"),
        source_arn
    );
    let live = moto
        .rds()
        .await
        .describe_db_instances()
        .db_instance_identifier("editor-replica")
        .send()
        .await
        .unwrap();
    let live = &live.db_instances()[0];
    assert_eq!(
        live.read_replica_source_db_instance_identifier(),
        Some(source_arn.as_str())
    );
    // An import reads the full version AWS runs ("16.3"); the configuration
    // asks for major "16", which the next apply records without an AWS call.
    w.import_verify(
        "onto_db.replica",
        "editor-replica",
        &["performance_insights", "engine_version"],
    );
    w.apply();
    w.destroy();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_and_the_prod_profile() {
    let moto = Emulator::start();
    let mut w = workdir();
    let one = |extra: &str| {
        format!("resource \"onto_db\" \"x\" {{\n  name       = \"x\"\n  subnet_ids = [\"subnet-1\", \"subnet-2\"]\n{extra}}}\n")
    };
    let dev = moto.provider("dev");
    for (extra, message) in [
        (
            "  instance_class = \"t4g.micro\"\n",
            "is not an instance class like",
        ),
        (
            "  backup_retention_days = 40\n",
            "40 is not a whole number from 0 to 35",
        ),
        (
            "  max_allocated_storage = 20\n",
            "Autoscaling limit too low",
        ),
        (
            "  allowed_cidr_blocks = [\"10.0.0.0/16\", \"10.0.4.0/24\"]\n",
            "Overlapping CIDR blocks",
        ),
        (
            &format!("  password_wo = \"{PASSWORD}\"\n"),
            "Missing password version",
        ),
        (
            "  maintenance_window = \"Sun:03:00-Sun:04:00\"\n",
            "lowercase day",
        ),
    ] {
        w.config(&(dev.clone() + &one(extra)));
        w.run(&["plan", "-no-color"]).failure(message);
    }
    // Rules AWS would only enforce at apply, each reported on the attribute
    // (Terraform quotes its line).
    for (extra, message, attribute) in [
        (
            "  backup_window = \"03:00-04:00\"\n  maintenance_window = \"sun:03:30-sun:04:30\"\n",
            "backup_window \"03:00-04:00\" overlaps maintenance_window \"sun:03:30-sun:04:30\"",
            "backup_window",
        ),
        (
            "  backup_window = \"03:00-03:10\"\n",
            "lasts 10 minutes; AWS needs at least 30",
            "backup_window",
        ),
        (
            "  engine_version = \"9.6\"\n",
            "RDS no longer offers PostgreSQL 9.6",
            "engine_version",
        ),
        (
            "  kms_key = \"arn:aws:kms:eu-west-1:123456789012:alias/onto\"\n",
            "is an alias ARN",
            "kms_key",
        ),
        (
            "  storage_type = \"io1\"\n  allocated_storage = 100\n  iops = 9000\n",
            "at most 50 IOPS per GiB: 5000 for 100 GiB",
            "iops",
        ),
        (
            "  storage_type = \"gp2\"\n  iops = 3000\n",
            "gp2 storage has no provisioned IOPS",
            "iops",
        ),
        ("  iops = 3000\n", "gp3 takes iops from 400 GiB", "iops"),
        (
            "  allocated_storage = 100\n  max_allocated_storage = 105\n",
            "must be at least 10% above allocated_storage (100): 110 GiB or more",
            "max_allocated_storage",
        ),
        (
            "  kms_key = \"arn:aws:kms:us-east-1:123456789012:key/1234abcd\"\n",
            "kms_key is in us-east-1, but this object lives in eu-west-1",
            "kms_key",
        ),
        (
            "  region = \"us-east-9\"\n",
            "\"us-east-9\" is not an AWS region. Known regions like it: us-east-1, us-east-2",
            "region",
        ),
    ] {
        w.config(&(dev.clone() + &one(extra)));
        let text = w.run(&["plan", "-no-color"]).failure(message).combined();
        assert!(
            text.contains(&format!(":   {attribute} ")),
            "the error is not on {attribute}:\n{text}"
        );
    }
    // The provider's own region too; a region newer than this release is
    // accepted on request.
    let far = dev.replace(
        "region       = \"eu-west-1\"",
        "region       = \"us-east-9\"",
    );
    assert_ne!(far, dev);
    w.config(&(far.clone() + &one("")));
    w.run(&["plan", "-no-color"])
        .failure("\"us-east-9\" is not an AWS region");
    w.config(
        &(far.replace(
            "  environment  =",
            "  skip_region_validation = true\n  environment  =",
        ) + &one("")),
    );
    w.run(&["plan", "-no-color"]).success();
    // io1 without iops: the error names the missing attribute.
    w.config(&(dev.clone() + &one("  storage_type = \"io1\"\n")));
    w.run(&["plan", "-no-color"])
        .failure("storage_type = \"io1\" needs iops");
    w.config(&(dev.clone() + &one("").replace("[\"subnet-1\", \"subnet-2\"]", "[\"subnet-1\"]")));
    w.run(&["plan", "-no-color"]).failure("Too few subnets");

    let prod = moto.provider("prod");
    w.config(&(prod.clone() + &one("")));
    let out = w.run(&["plan", "-no-color"]).success().stdout();
    for line in [
        "multi_az                   = true",
        "deletion_protection        = true",
        "backup_retention_days      = 14",
        "instance_class             = \"db.r6g.large\"",
    ] {
        assert!(out.contains(line), "prod profile: {line}\n{out}");
    }
    w.config(&(prod.clone() + &one("  multi_az = false\n")));
    w.run(&["plan", "-no-color"])
        .failure("add \"multi_az\" to prod_overrides");
    w.config(&(prod.clone() + &one("  backup_retention_days = 3\n")));
    w.run(&["plan", "-no-color"])
        .failure("add \"backup_retention_days\" to prod_overrides");
    w.config(&(prod + &one("  multi_az = false\n  prod_overrides = [\"multi_az\"]\n")));
    let out = w.run(&["plan", "-no-color"]).success();
    assert!(
        out.combined()
            .contains("Prod protection overridden: multi_az"),
        "{}",
        out.combined()
    );
    // A resource-level environment wins over the provider's.
    w.config(&(moto.provider("prod") + &one("  environment = \"dev\"\n")));
    let out = w.run(&["plan", "-no-color"]).success().stdout();
    assert!(
        out.contains("instance_class             = \"db.t4g.micro\""),
        "{out}"
    );
}

/// An instance made outside Terraform — master user `u`, its own security
/// and subnet groups — imported into a configuration that leaves
/// `username` unset: the plan keeps the instance (no replacement), its own
/// groups are used and never changed, and destroy deletes the instance
/// but leaves the groups onto did not make.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_adopts_and_leaves_what_it_did_not_make() {
    let moto = Emulator::start();
    let (rds, ec2) = (moto.rds().await, moto.ec2().await);
    let mut w = workdir();
    let base = moto.provider("dev") + &network("core", "eu-west-1", "10.0.0.0/16");
    w.config(&base);
    w.apply();
    let state = w.state();
    let vpc = state.attr("onto_network.core", "vpc_id");
    let subnets: Vec<String> = state.resource("onto_network.core")["values"]["database_subnet_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    let theirs = ec2
        .create_security_group()
        .group_name("legacy-db")
        .description("made by hand")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_owned();
    ec2.authorize_security_group_ingress()
        .group_id(&theirs)
        .ip_protocol("tcp")
        .from_port(5432)
        .to_port(5432)
        .cidr_ip("10.9.0.0/16")
        .send()
        .await
        .unwrap();
    rds.create_db_subnet_group()
        .db_subnet_group_name("legacy-subnets")
        .db_subnet_group_description("made by hand")
        .set_subnet_ids(Some(subnets.clone()))
        .send()
        .await
        .unwrap();
    rds.create_db_instance()
        .db_instance_identifier("legacy")
        .engine("postgres")
        .engine_version("16.3")
        .db_instance_class("db.t4g.micro")
        .allocated_storage(20)
        .master_username("u")
        .master_user_password("a-long-password-1")
        .db_subnet_group_name("legacy-subnets")
        .vpc_security_group_ids(&theirs)
        .storage_encrypted(true)
        .send()
        .await
        .unwrap();

    let subnet_list = subnets
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    w.config(&(base.clone() + &format!(
        "import {{\n  to = onto_db.legacy\n  id = \"legacy\"\n}}\n\nresource \"onto_db\" \"legacy\" {{\n  name           = \"legacy\"\n  engine_version = \"16.3\"\n  subnet_ids     = [{subnet_list}]\n}}\n"
    )));
    let actions = w.plan_actions();
    assert!(
        !actions["onto_db.legacy"].contains(&"delete".to_owned()),
        "an import must not rebuild: {actions:?}"
    );
    let out = w.run(&["apply", "-auto-approve", "-no-color"]).success();
    assert!(out.stdout().contains("1 imported"), "{}", out.stdout());
    w.assert_no_changes();
    let live = rds
        .describe_db_instances()
        .db_instance_identifier("legacy")
        .send()
        .await
        .unwrap();
    assert_eq!(live.db_instances()[0].master_username(), Some("u"));
    let sg = ec2
        .describe_security_groups()
        .group_ids(&theirs)
        .send()
        .await
        .unwrap();
    assert_eq!(
        sg.security_groups()[0].ip_permissions().len(),
        1,
        "the instance's own security group is left as it was"
    );

    w.config(&base);
    w.apply();
    assert!(
        rds.describe_db_instances()
            .db_instance_identifier("legacy")
            .send()
            .await
            .is_err(),
        "the imported instance is destroyed"
    );
    ec2.describe_security_groups()
        .group_ids(&theirs)
        .send()
        .await
        .expect("its own security group is not onto's to delete");
    rds.describe_db_subnet_groups()
        .db_subnet_group_name("legacy-subnets")
        .send()
        .await
        .expect("its own subnet group is not onto's to delete");
}

/// Prod: a change held for the maintenance window shows once in
/// `pending_changes` (the next plan proposes nothing), and is in effect
/// once the window has passed; a major upgrade moves the managed parameter
/// group to the new family with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prod_holds_changes_for_the_window_and_upgrades_a_major() {
    let emulator = Emulator::start();
    let rds = emulator.rds().await;
    let mut w = workdir();
    let base = emulator.provider("prod")
        + &network("core", "eu-west-1", "10.0.0.0/16").replace(
            "nat_mode           = \"none\"",
            "nat_mode = \"none\"\n  prod_overrides = [\"nat_mode\"]",
        );
    let ledger = |extra: &str| {
        format!(
            "resource \"onto_db\" \"ledger\" {{\n  name                       = \"ledger\"\n  subnet_ids                 = onto_network.core.database_subnet_ids\n  allowed_security_group_ids = [onto_network.core.default_security_group_id]\n  engine_version             = \"16.4\"\n  parameters                 = {{ log_min_duration_statement = \"500\" }}\n{extra}}}\n"
        )
    };
    w.config(&(base.clone() + &ledger("")));
    w.apply();
    assert_eq!(
        w.state().attr("onto_db.ledger", "apply_immediately"),
        "false"
    );

    w.config(&(base.clone() + &ledger("  instance_class = \"db.r6g.xlarge\"\n")));
    assert_eq!(w.plan_actions()["onto_db.ledger"], ["update"]);
    w.apply();
    let values = w.state().resource("onto_db.ledger")["values"].clone();
    assert_eq!(
        values["pending_changes"],
        serde_json::json!({"instance_class": "db.r6g.xlarge"})
    );
    let live = rds
        .describe_db_instances()
        .db_instance_identifier("ledger")
        .send()
        .await
        .unwrap();
    assert_eq!(
        live.db_instances()[0].db_instance_class(),
        Some("db.r6g.large")
    );
    // Shown once: the held change is not proposed again.
    w.assert_no_changes();

    // The maintenance window passes: AWS applies it.
    emulator.control("maintenance-window", Some(serde_json::json!({})));
    emulator.control("advance", Some(serde_json::json!({"seconds": 3600})));
    w.assert_no_changes();
    w.run(&["apply", "-refresh-only", "-auto-approve", "-no-color"])
        .success();
    let values = w.state().resource("onto_db.ledger")["values"].clone();
    assert_eq!(values["pending_changes"], serde_json::json!({}));
    let live = rds
        .describe_db_instances()
        .db_instance_identifier("ledger")
        .send()
        .await
        .unwrap();
    assert_eq!(
        live.db_instances()[0].db_instance_class(),
        Some("db.r6g.xlarge")
    );

    // A major upgrade, now (prod holds changes unless told otherwise).
    w.config(
        &(base
            + &ledger("  instance_class = \"db.r6g.xlarge\"\n  apply_immediately = true\n")
                .replace("\"16.4\"", "\"17\"")),
    );
    assert_eq!(w.plan_actions()["onto_db.ledger"], ["update"]);
    w.apply();
    let live = rds
        .describe_db_instances()
        .db_instance_identifier("ledger")
        .send()
        .await
        .unwrap();
    let db = &live.db_instances()[0];
    assert!(db.engine_version().unwrap().starts_with("17"), "{db:?}");
    assert_eq!(
        db.db_parameter_groups()[0].db_parameter_group_name(),
        Some("ledger-postgres17")
    );
    assert_eq!(
        w.state().attr("onto_db.ledger", "parameter_group_name"),
        "ledger-postgres17"
    );
    w.assert_no_changes();
}

/// An instance RDS could not start (`incompatible-parameters`) fails the
/// apply and is tainted. The next apply does not try to finish it — it
/// cannot be — but replaces it, as Terraform does for tainted objects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_rds_could_not_finish_is_replaced() {
    let moto = Emulator::start();
    let rds = moto.rds().await;
    let outcome = |status: Option<&str>| {
        moto.control(
            "rds/create-outcome",
            Some(serde_json::json!({"identifier": "editor", "status": status})),
        )
    };
    outcome(Some("incompatible-parameters"));
    let mut w = workdir();
    w.config(&(moto.provider("dev") + &network("core", "eu-west-1", "10.0.0.0/16") + &db("")));
    w.run(&["apply", "-auto-approve", "-no-color"])
        .failure("incompatible-parameters");
    assert_eq!(w.state().resource("onto_db.editor")["tainted"], true);

    outcome(None);
    let out = w.run(&["apply", "-auto-approve", "-no-color"]).success();
    assert!(
        !out.combined().contains("Resuming an interrupted create"),
        "{}",
        out.combined()
    );
    let dbs = rds.describe_db_instances().send().await.unwrap();
    let statuses: Vec<_> = dbs
        .db_instances()
        .iter()
        .map(|d| d.db_instance_status().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(statuses, ["available"], "one instance, the new one");
    w.assert_no_changes();
}
