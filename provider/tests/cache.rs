//! onto_cache against the real Terraform CLI and the moto emulator.
//!
//! moto 5.2.5 keeps a deleted replication group `deleting` forever and
//! lacks DeleteCacheSubnetGroup, parameter groups and replica count
//! changes, so these tests do not destroy; delete, parameters, replica
//! changes and transitional states are tested with aws-smithy-mocks in
//! `src/resources/cache.rs`.

mod common;

use common::{apply_checking_secret, workdir, Moto};

const TOKEN: &str = "Auth-T0ken-4f2b9e7d1c";

fn network() -> String {
    "resource \"onto_network\" \"core\" {\n  name               = \"core\"\n  cidr_block         = \"10.0.0.0/16\"\n  availability_zones = [\"eu-west-1a\", \"eu-west-1b\"]\n  cache_subnets      = true\n  nat_mode           = \"none\"\n}\n".into()
}

fn cache(extra: &str) -> String {
    format!(
        "resource \"onto_cache\" \"sessions\" {{\n  name                       = \"sessions\"\n  subnet_ids                 = onto_network.core.cache_subnet_ids\n  allowed_security_group_ids = [onto_network.core.default_security_group_id]\n  tags                       = {{ team = \"editor\" }}\n{extra}}}\n"
    )
}

fn with_token(version: u32) -> String {
    format!("  auth_token_wo         = \"{TOKEN}\"\n  auth_token_wo_version = {version}\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_secrets_drift_and_updates() {
    let moto = Moto::start();
    let ec = moto.elasticache().await;
    let ec2 = moto.ec2().await;
    let mut w = workdir();
    let base = moto.provider("dev") + &network();
    w.config(&(base.clone() + &cache(&with_token(1))));

    apply_checking_secret(&w, TOKEN);
    w.assert_no_changes();

    let r = w.state().resource("onto_cache.sessions")["values"].clone();
    assert_eq!(r["node_type"], "cache.t4g.micro", "dev profile");
    assert_eq!(r["replicas"], 0);
    assert_eq!(r["multi_az"], false);
    assert_eq!(r["automatic_failover"], false);
    assert_eq!(r["snapshot_retention_days"], 0);
    assert_eq!(r["at_rest_encryption"], true);
    assert_eq!(r["transit_encryption"], true);
    assert_eq!(r["port"], 6379);
    assert!(r["primary_endpoint"]
        .as_str()
        .is_some_and(|e| !e.is_empty()));
    let live = ec
        .describe_replication_groups()
        .replication_group_id("sessions")
        .send()
        .await
        .unwrap();
    let live = &live.replication_groups()[0];
    assert_eq!(live.auth_token_enabled(), Some(true));
    assert_eq!(live.at_rest_encryption_enabled(), Some(true));
    assert_eq!(live.transit_encryption_enabled(), Some(true));
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
        (Some(6379), Some(6379))
    );

    w.import_verify(
        "onto_cache.sessions",
        "sessions",
        &["auth_token_wo_version"],
    );
    // An import cannot know auth_token_wo_version: the next apply records it.
    w.apply();

    // Drift: the plan proposes exactly the fix.
    ec.modify_replication_group()
        .replication_group_id("sessions")
        .snapshot_retention_limit(5)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let fix: Vec<String> = w
        .planned_attribute_changes("onto_cache.sessions")
        .into_iter()
        .collect();
    assert_eq!(fix, ["snapshot_retention_days"]);
    w.apply();

    // In place: node type and a rotated token; replace: encryption at rest.
    w.config(&(base.clone() + &cache(&(with_token(2) + "  node_type = \"cache.t4g.small\"\n"))));
    assert_eq!(w.plan_actions()["onto_cache.sessions"], ["update"]);
    w.apply();
    let live = ec
        .describe_replication_groups()
        .replication_group_id("sessions")
        .send()
        .await
        .unwrap();
    assert_eq!(
        live.replication_groups()[0].cache_node_type(),
        Some("cache.t4g.small")
    );
    w.config(&(base + &cache(&(with_token(2) + "  at_rest_encryption = false\n"))));
    let actions = &w.plan_actions()["onto_cache.sessions"];
    assert!(
        actions.contains(&"delete".to_owned()) && actions.contains(&"create".to_owned()),
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_and_the_prod_profile() {
    let moto = Moto::start();
    let mut w = workdir();
    let one = |extra: &str| {
        format!("resource \"onto_cache\" \"x\" {{\n  name       = \"x\"\n  subnet_ids = [\"subnet-1\", \"subnet-2\"]\n{extra}}}\n")
    };
    let dev = moto.provider("dev");
    for (extra, message) in [
        ("  node_type = \"t4g.micro\"\n", "is not a node type like"),
        ("  multi_az = true\n  replicas = 0\n", "Multi-AZ needs a replica"),
        ("  replicas = 6\n", "6 is not a whole number from 0 to 5"),
        (
            &format!("  auth_token_wo = \"{TOKEN}\"\n  auth_token_wo_version = 1\n  transit_encryption = false\n"),
            "Auth token needs TLS",
        ),
        ("  parameters = { maxmemory-policy = \"allkeys-lru\" }\n", "Version needed for parameters"),
    ] {
        w.config(&(dev.clone() + &one(extra)));
        w.run(&["plan", "-no-color"]).failure(message);
    }
    let prod = moto.provider("prod");
    w.config(&(prod.clone() + &one("")));
    let out = w.run(&["plan", "-no-color"]).success().stdout();
    for line in [
        "replicas                = 2",
        "multi_az                = true",
        "automatic_failover      = true",
        "snapshot_retention_days = 7",
        "node_type               = \"cache.r7g.large\"",
    ] {
        assert!(out.contains(line), "prod profile: {line}\n{out}");
    }
    w.config(&(prod.clone() + &one("  snapshot_retention_days = 1\n")));
    w.run(&["plan", "-no-color"])
        .failure("add \"snapshot_retention_days\" to prod_overrides");
    w.config(&(prod + &one("  automatic_failover = false\n  multi_az = false\n  prod_overrides = [\"automatic_failover\", \"multi_az\"]\n")));
    let out = w.run(&["plan", "-no-color"]).success();
    assert!(
        out.combined()
            .contains("Prod protection overridden: automatic_failover"),
        "{}",
        out.combined()
    );
}
