//! onto_cache against the real Terraform CLI and the emulator, which keeps
//! ElastiCache's time (groups are `creating` and `modifying` for minutes)
//! and serves parameter groups, replica count changes and deletion.

mod common;

use common::{apply_checking_secret, workdir, Emulator};

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
    let moto = Emulator::start();
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

    // A run without the token (an ephemeral variable left unset) that
    // changes only a tag plans only the tag, and the token stays.
    let unset =
        "variable \"token\" {\n  type      = string\n  ephemeral = true\n  default   = null\n}\n";
    w.config(
        &(base.clone()
            + unset
            + &cache("  auth_token_wo = var.token\n  auth_token_wo_version = 1\n")
                .replace("team = \"editor\"", "team = \"data\"")),
    );
    let changes: Vec<String> = w
        .planned_attribute_changes("onto_cache.sessions")
        .into_iter()
        .collect();
    assert_eq!(changes, ["tags", "tags_all"]);
    w.apply();
    let token_on = |ec: aws_sdk_elasticache::Client| async move {
        ec.describe_replication_groups()
            .replication_group_id("sessions")
            .send()
            .await
            .unwrap()
            .replication_groups()[0]
            .auth_token_enabled()
    };
    assert_eq!(
        token_on(ec.clone()).await,
        Some(true),
        "the token must stay"
    );

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
    // Removing the token, asked for: the plan shows it, the apply does it.
    w.config(
        &(base.clone()
            + &cache("  node_type = \"cache.t4g.small\"\n  auth_token_enabled = false\n")),
    );
    let changes = w.planned_attribute_changes("onto_cache.sessions");
    assert!(changes.contains("auth_token_enabled"), "{changes:?}");
    w.apply();
    assert_eq!(
        token_on(ec.clone()).await,
        Some(false),
        "the token was removed"
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
    let moto = Emulator::start();
    let mut w = workdir();
    let one = |extra: &str| {
        format!("resource \"onto_cache\" \"x\" {{\n  name       = \"x\"\n  subnet_ids = [\"subnet-1\", \"subnet-2\"]\n{extra}}}\n")
    };
    let dev = moto.provider("dev");
    // Each refusal names its attribute (Terraform quotes its line).
    for (extra, message, attribute) in [
        ("  node_type = \"t4g.micro\"\n", "is not a node type like", "node_type"),
        ("  multi_az = true\n  replicas = 0\n", "Multi-AZ needs a replica", "multi_az"),
        (
            "  multi_az = true\n  replicas = 1\n  automatic_failover = false\n",
            "Multi-AZ needs automatic failover",
            "multi_az",
        ),
        (
            "  automatic_failover = true\n  replicas = 0\n",
            "Failover needs a replica",
            "automatic_failover",
        ),
        ("  replicas = 6\n", "6 is not a whole number from 0 to 5", "replicas"),
        (
            &format!("  auth_token_wo = \"{TOKEN}\"\n  auth_token_wo_version = 1\n  transit_encryption = false\n"),
            "Auth token needs TLS",
            "auth_token_wo",
        ),
        (
            &format!("  auth_token_wo = \"{TOKEN}\"\n  auth_token_wo_version = 1\n  auth_token_enabled = false\n"),
            "Token given but disabled",
            "auth_token_enabled",
        ),
        (
            "  parameters = { maxmemory-policy = \"allkeys-lru\" }\n  engine_version = \"7.1\"\n  engine = \"valkey\"\n",
            "ElastiCache offers no valkey 7.1",
            "engine_version",
        ),
        (
            "  engine_version = \"8.0\"\n",
            "ElastiCache offers no redis 8.0",
            "engine_version",
        ),
        (
            "  engine_version = \"7.2\"\n",
            "ElastiCache offers no redis 7.2",
            "engine_version",
        ),
        (
            "  kms_key = \"arn:aws:kms:eu-west-1:123456789012:alias/cache\"\n",
            "is a KMS alias",
            "kms_key",
        ),
        (
            "  kms_key = \"arn:aws:kms:us-east-1:123456789012:key/1234abcd\"\n",
            "kms_key is in us-east-1, but this object lives in eu-west-1",
            "kms_key",
        ),
        (
            "  kms_key = \"arn:aws:kms:eu-west-1:123456789012:key/1234abcd\"\n  at_rest_encryption = false\n",
            "KMS key without encryption at rest",
            "kms_key",
        ),
        ("  snapshot_window = \"03:00-03:30\"\n", "lasts 30 minutes; AWS needs at least 60", "snapshot_window"),
        ("  region = \"eu-west-7\"\n", "\"eu-west-7\" is not an AWS region", "region"),
    ] {
        w.config(&(dev.clone() + &one(extra)));
        w.run(&["plan", "-no-color"]).failure_at(message, attribute);
    }
    // Without an attribute line of their own: the version a token needs,
    // and the version parameters need.
    w.config(&(dev.clone() + &one(&format!("  auth_token_wo = \"{TOKEN}\"\n"))));
    w.run(&["plan", "-no-color"])
        .failure("Missing token version");
    w.config(&(dev.clone() + &one("  parameters = { maxmemory-policy = \"allkeys-lru\" }\n")));
    w.run(&["plan", "-no-color"])
        .failure("Version needed for parameters");
    // Subnets: none, or one for a multi-AZ cache.
    for (subnets, extra, message) in [
        ("[]", "", "No subnets"),
        (
            "[\"subnet-1\"]",
            "  replicas = 1\n  multi_az = true\n",
            "Multi-AZ needs subnets in two AZs",
        ),
    ] {
        let config = one(extra).replace("[\"subnet-1\", \"subnet-2\"]", subnets);
        w.config(&(dev.clone() + &config));
        w.run(&["plan", "-no-color"])
            .failure_at(message, "subnet_ids");
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

/// Parameters, replicas added and removed, Redis → Valkey in place, and
/// destroy removing the group with its subnet, security and parameter
/// groups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_replicas_valkey_and_destroy() {
    let emulator = Emulator::start();
    let ec = emulator.elasticache().await;
    let ec2 = emulator.ec2().await;
    let mut w = workdir();
    let base = emulator.provider("dev") + &network();
    let sessions = |extra: &str| {
        cache(&format!(
            "  engine_version = \"7.1\"\n  parameters     = {{ maxmemory-policy = \"allkeys-lru\" }}\n{extra}"
        ))
    };
    w.config(&(base.clone() + &sessions("")));
    w.apply();
    assert_eq!(
        w.state()
            .attr("onto_cache.sessions", "parameter_group_name"),
        "sessions-redis7"
    );
    let user = ec
        .describe_cache_parameters()
        .cache_parameter_group_name("sessions-redis7")
        .source("user")
        .send()
        .await
        .unwrap();
    let set: Vec<_> = user
        .parameters()
        .iter()
        .map(|p| (p.parameter_name().unwrap(), p.parameter_value().unwrap()))
        .collect();
    assert_eq!(set, [("maxmemory-policy", "allkeys-lru")]);
    let members = |ec: aws_sdk_elasticache::Client| async move {
        ec.describe_replication_groups()
            .replication_group_id("sessions")
            .send()
            .await
            .unwrap()
            .replication_groups()[0]
            .member_clusters()
            .len()
    };
    assert_eq!(members(ec.clone()).await, 1, "dev: no replicas");

    for replicas in [2, 1] {
        w.config(&(base.clone() + &sessions(&format!("  replicas = {replicas}\n"))));
        assert_eq!(w.plan_actions()["onto_cache.sessions"], ["update"]);
        w.apply();
        assert_eq!(members(ec.clone()).await, replicas + 1);
    }

    // Redis → Valkey in place; the parameters move to a valkey8 group.
    let valkey = sessions("  replicas = 1\n  engine = \"valkey\"\n").replace("\"7.1\"", "\"8.0\"");
    w.config(&(base.clone() + &valkey));
    assert_eq!(w.plan_actions()["onto_cache.sessions"], ["update"]);
    w.apply();
    let node = ec
        .describe_cache_clusters()
        .cache_cluster_id("sessions-001")
        .send()
        .await
        .unwrap();
    let node = &node.cache_clusters()[0];
    assert_eq!(
        (node.engine(), node.engine_version()),
        (Some("valkey"), Some("8.0"))
    );
    assert_eq!(
        node.cache_parameter_group()
            .unwrap()
            .cache_parameter_group_name(),
        Some("sessions-valkey8")
    );
    w.assert_no_changes();

    let sg = w.state().attr("onto_cache.sessions", "security_group_id");
    w.run(&[
        "destroy",
        "-auto-approve",
        "-no-color",
        "-target=onto_cache.sessions",
    ])
    .success();
    assert!(ec
        .describe_replication_groups()
        .replication_group_id("sessions")
        .send()
        .await
        .is_err());
    assert!(ec
        .describe_cache_subnet_groups()
        .cache_subnet_group_name("sessions")
        .send()
        .await
        .is_err());
    for group in ["sessions-redis7", "sessions-valkey8"] {
        assert!(
            ec.describe_cache_parameter_groups()
                .cache_parameter_group_name(group)
                .send()
                .await
                .is_err(),
            "{group} left behind"
        );
    }
    assert!(ec2
        .describe_security_groups()
        .group_ids(&sg)
        .send()
        .await
        .is_err());
}

/// A group ElastiCache could not bring up (`create-failed`) fails the
/// apply and is tainted; the next apply replaces it rather than trying to
/// finish it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_elasticache_could_not_finish_is_replaced() {
    let moto = Emulator::start();
    let ec = moto.elasticache().await;
    let outcome = |status: Option<&str>| {
        moto.control(
            "elasticache/create-outcome",
            Some(serde_json::json!({"id": "sessions", "status": status})),
        )
    };
    outcome(Some("create-failed"));
    let mut w = workdir();
    w.config(&(moto.provider("dev") + &network() + &cache("")));
    w.run(&["apply", "-auto-approve", "-no-color"])
        .failure("create-failed");
    assert_eq!(w.state().resource("onto_cache.sessions")["tainted"], true);

    outcome(None);
    let out = w.run(&["apply", "-auto-approve", "-no-color"]).success();
    assert!(
        !out.combined().contains("Resuming an interrupted create"),
        "{}",
        out.combined()
    );
    let groups = ec.describe_replication_groups().send().await.unwrap();
    let statuses: Vec<_> = groups
        .replication_groups()
        .iter()
        .map(|g| g.status().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(statuses, ["available"], "one group, the new one");
    w.assert_no_changes();
}
