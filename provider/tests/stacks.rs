//! Two configurations in one account that use the same names. Each root
//! module is its own stack (its identity comes from where its state
//! lives), so the second never takes over the first one's objects: it is
//! refused where AWS names are unique, and gets objects of its own where
//! they are not (a VPC) or where it works in another region. Destroying
//! either leaves the other's objects in place — counted through the AWS
//! API, not through state — and the other's next plan is empty. Shared
//! configurations (the ECR registry's replication) carry each stack's own
//! rule, and a DR bucket name someone else uses is refused and left alone.

mod common;

use std::collections::BTreeMap;

use common::{workdir, Emulator};
use tfplugin::testing::Workdir;

const DR_REGION: &str = "eu-central-1";

/// Every kind, named `shared`. With `globals`, also the state backend and
/// the DR region (whose bucket and role names are global); `after_backend`
/// orders the DR region after the backend (the first stack's bucket must
/// exist before replication is put on it).
fn config(region: &str, globals: bool, after_backend: bool) -> String {
    let mut hcl = format!(
        r#"
resource "onto_network" "n" {{
  name               = "shared"
  cidr_block         = "10.0.0.0/16"
  availability_zones = ["{region}a", "{region}b"]
  nat_mode           = "none"
}}

resource "onto_db" "d" {{
  name                = "shared"
  subnet_ids          = onto_network.n.database_subnet_ids
  allowed_cidr_blocks = ["10.0.0.0/16"]
}}

resource "onto_cache" "c" {{
  name                = "shared"
  subnet_ids          = onto_network.n.private_subnet_ids
  allowed_cidr_blocks = ["10.0.0.0/16"]
}}

resource "onto_registry" "r" {{
  name = "shared"
}}

resource "onto_cluster" "k" {{
  name               = "shared"
  kubernetes_version = "1.33"
  subnet_ids         = onto_network.n.private_subnet_ids
  addons             = {{}}
  node_groups = {{
    core = {{ instance_types = ["m6i.large"], min_size = 1, max_size = 2 }}
  }}
}}
"#
    );
    if globals {
        hcl += &format!(
            r#"
resource "onto_state_backend" "s" {{
  bucket   = "shared-state"
  tls_only = false
}}

resource "onto_dr_region" "dr" {{
  name                = "shared"
  dr_region           = "{DR_REGION}"
  repository_prefixes = ["shared/"]
  state_bucket        = "shared-state"
  state_lock_table    = "shared-locks"
  force_destroy       = true
  {}
}}
"#,
            if after_backend {
                "depends_on = [onto_state_backend.s]"
            } else {
                ""
            }
        );
    }
    hcl
}

fn provider(moto: &Emulator, region: &str, environment: &str) -> String {
    moto.provider(environment)
        .replace(&format!("\"{}\"", common::REGION), &format!("\"{region}\""))
}

/// What the emulator holds, by kind, for objects named `shared`.
async fn census(moto: &Emulator) -> BTreeMap<&'static str, usize> {
    let sdk = moto.sdk().await;
    let mut out = BTreeMap::new();
    for region in [common::REGION, "us-east-1"] {
        let r = aws_config::Region::new(region);
        let ec2 = aws_sdk_ec2::Client::from_conf(
            aws_sdk_ec2::config::Builder::from(&sdk)
                .region(r.clone())
                .build(),
        );
        let vpcs = ec2
            .describe_vpcs()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("tag:onto:owner")
                    .values("onto_network/shared")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        *out.entry("vpc").or_default() += vpcs.vpcs().len();
        let rds = aws_sdk_rds::Client::from_conf(
            aws_sdk_rds::config::Builder::from(&sdk)
                .region(r.clone())
                .build(),
        );
        *out.entry("db").or_default() += rds
            .describe_db_instances()
            .send()
            .await
            .unwrap()
            .db_instances()
            .iter()
            .filter(|d| d.db_instance_identifier() == Some("shared"))
            .count();
        let ec = aws_sdk_elasticache::Client::from_conf(
            aws_sdk_elasticache::config::Builder::from(&sdk)
                .region(r.clone())
                .build(),
        );
        *out.entry("cache").or_default() += ec
            .describe_replication_groups()
            .send()
            .await
            .unwrap()
            .replication_groups()
            .len();
        let ecr = aws_sdk_ecr::Client::from_conf(
            aws_sdk_ecr::config::Builder::from(&sdk)
                .region(r.clone())
                .build(),
        );
        *out.entry("repository").or_default() += ecr
            .describe_repositories()
            .send()
            .await
            .unwrap()
            .repositories()
            .len();
        let eks = aws_sdk_eks::Client::from_conf(
            aws_sdk_eks::config::Builder::from(&sdk)
                .region(r.clone())
                .build(),
        );
        *out.entry("cluster").or_default() +=
            eks.list_clusters().send().await.unwrap().clusters().len();
        *out.entry("security group").or_default() += ec2
            .describe_security_groups()
            .send()
            .await
            .unwrap()
            .security_groups()
            .iter()
            .filter(|g| g.group_name().is_some_and(|n| n.starts_with("shared")))
            .count();
        *out.entry("db subnet group").or_default() += rds
            .describe_db_subnet_groups()
            .send()
            .await
            .unwrap()
            .db_subnet_groups()
            .iter()
            .filter(|g| g.db_subnet_group_name() == Some("shared"))
            .count();
        *out.entry("cache subnet group").or_default() += ec
            .describe_cache_subnet_groups()
            .send()
            .await
            .unwrap()
            .cache_subnet_groups()
            .iter()
            .filter(|g| g.cache_subnet_group_name() == Some("shared"))
            .count();
    }
    for region in [common::REGION, "us-east-1", DR_REGION] {
        let ddb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .region(aws_config::Region::new(region))
                .build(),
        );
        *out.entry("lock table").or_default() += ddb
            .list_tables()
            .send()
            .await
            .unwrap()
            .table_names()
            .iter()
            .filter(|t| t.starts_with("shared"))
            .count();
    }
    *out.entry("registry rule").or_default() += moto
        .ecr()
        .await
        .describe_registry()
        .send()
        .await
        .unwrap()
        .replication_configuration()
        .map_or(0, |c| c.rules().len());
    let iam = aws_sdk_iam::Client::new(&sdk);
    *out.entry("role").or_default() += iam
        .list_roles()
        .send()
        .await
        .unwrap()
        .roles()
        .iter()
        .filter(|r| r.role_name().starts_with("shared-"))
        .count();
    let s3 = moto.s3().await;
    *out.entry("bucket").or_default() += s3
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .filter(|b| b.name().is_some_and(|n| n.starts_with("shared-state")))
        .count();
    out
}

fn expect(pairs: &[(&'static str, usize)]) -> BTreeMap<&'static str, usize> {
    pairs.iter().copied().collect()
}

fn root(moto: &Emulator, hcl: &str) -> Workdir {
    let mut w = workdir();
    w.config(hcl);
    let _ = moto;
    w
}

/// The same names in one environment and region: every uniquely named
/// object is refused, the network gets its own VPC; destroying the second
/// stack leaves the first intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_names_same_environment() {
    two_stacks_in_one_region("dev").await;
}

/// The same names in another environment: the same refusals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_names_other_environment() {
    two_stacks_in_one_region("staging").await;
}

async fn two_stacks_in_one_region(second_env: &str) {
    let moto = Emulator::start();
    let mut a = root(
        &moto,
        &(provider(&moto, common::REGION, "dev") + &config(common::REGION, true, true)),
    );
    a.apply();
    let first = census(&moto).await;
    assert_eq!(
        first,
        expect(&[
            ("vpc", 1),
            ("db", 1),
            ("cache", 1),
            ("repository", 1),
            ("cluster", 1),
            ("role", 3),
            ("bucket", 2),
            ("security group", 2),
            ("db subnet group", 1),
            ("cache subnet group", 1),
            ("lock table", 2),
            ("registry rule", 1),
        ]),
        "the first stack"
    );

    let mut b = root(
        &moto,
        &(provider(&moto, common::REGION, second_env) + &config(common::REGION, true, false)),
    );
    let refused = b
        .run(&["apply", "-auto-approve", "-no-color"])
        .failure("Already exists");
    let text = refused.combined();
    for what in [
        "An RDS instance named \"shared\"",
        "An ElastiCache replication group named \"shared\"",
        "An ECR repository named \"shared\"",
        "An EKS cluster named \"shared\"",
        "A DynamoDB table named \"shared-state-lock\"",
        "A bucket named \"shared-state-eu-central-1\"",
    ] {
        assert!(text.contains(what), "{what} not refused:\n{text}");
    }
    assert!(text.contains("another onto configuration"), "{text}");
    assert!(
        text.contains("terraform import ADDRESS eu-west-1:shared"),
        "{text}"
    );
    let mut both = first.clone();
    both.insert("vpc", 2);
    assert_eq!(
        census(&moto).await,
        both,
        "only a VPC of its own for the second stack"
    );

    b.destroy();
    assert_eq!(
        census(&moto).await,
        first,
        "the first stack's objects are intact"
    );
    a.assert_no_changes();
    a.destroy();
    let gone = census(&moto).await;
    assert!(gone.values().all(|n| *n == 0), "{gone:?}");
}

/// The same names in another region: regional objects are each stack's
/// own (IAM roles too, named for their region); destroying the first stack
/// leaves the second intact, and the second's next plan is empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_names_other_region() {
    let moto = Emulator::start();
    let mut a = root(
        &moto,
        &(provider(&moto, common::REGION, "dev") + &config(common::REGION, false, false)),
    );
    a.apply();
    let mut b = root(
        &moto,
        &(provider(&moto, "us-east-1", "dev") + &config("us-east-1", false, false)),
    );
    b.apply();
    let both = expect(&[
        ("vpc", 2),
        ("db", 2),
        ("cache", 2),
        ("repository", 2),
        ("cluster", 2),
        ("role", 4),
        ("bucket", 0),
        ("security group", 4),
        ("db subnet group", 2),
        ("cache subnet group", 2),
        ("lock table", 0),
        ("registry rule", 0),
    ]);
    assert_eq!(census(&moto).await, both);
    a.destroy();
    assert_eq!(
        census(&moto).await,
        expect(&[
            ("vpc", 1),
            ("db", 1),
            ("cache", 1),
            ("repository", 1),
            ("cluster", 1),
            ("role", 2),
            ("bucket", 0),
            ("security group", 2),
            ("db subnet group", 1),
            ("cache subnet group", 1),
            ("lock table", 0),
            ("registry rule", 0),
        ]),
        "the second stack's objects are intact"
    );
    b.assert_no_changes();
    b.destroy();
}

/// A state backend and a DR region of stack `name` (its own bucket).
fn dr_stack(name: &str) -> String {
    format!(
        r#"
resource "onto_state_backend" "s" {{
  bucket   = "{name}-state"
  tls_only = false
}}

resource "onto_dr_region" "dr" {{
  name                = "{name}"
  dr_region           = "{DR_REGION}"
  repository_prefixes = ["{name}/"]
  state_bucket        = "{name}-state"
  force_destroy       = true
  depends_on          = [onto_state_backend.s]
}}
"#
    )
}

/// The registry's replication rules, each as its repository prefixes (the
/// `onto-stack-*` prefix each stack adds to tell its rule apart left out).
async fn registry_rules(ecr: &aws_sdk_ecr::Client) -> Vec<String> {
    let registry = ecr.describe_registry().send().await.unwrap();
    let mut rules: Vec<String> = registry
        .replication_configuration()
        .map(|c| c.rules())
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let prefixes: Vec<&str> = r
                .repository_filters()
                .iter()
                .map(|f| f.filter())
                .filter(|f| !f.starts_with("onto-stack-"))
                .collect();
            prefixes.join(",")
        })
        .collect();
    rules.sort();
    rules
}

/// Two stacks with DR regions in one account share the ECR registry's
/// replication configuration: each keeps its own rule there, and
/// destroying one leaves the other's rule (and an empty plan). A DR bucket
/// name someone else already uses — holding their state — is refused, and
/// destroy leaves it and its objects alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dr_regions_of_two_stacks_and_a_foreign_bucket() {
    let moto = Emulator::start();
    let ecr = moto.ecr().await;
    let dev = provider(&moto, common::REGION, "dev");
    let mut a = root(&moto, &(dev.clone() + &dr_stack("alpha")));
    a.apply();
    let mut b = root(&moto, &(dev.clone() + &dr_stack("beta")));
    b.apply();
    assert_eq!(registry_rules(&ecr).await, ["alpha/", "beta/"]);
    a.assert_no_changes();
    a.destroy();
    assert_eq!(
        registry_rules(&ecr).await,
        ["beta/"],
        "only alpha's rule went"
    );
    b.assert_no_changes();

    // Someone else's bucket where gamma's DR copy would go.
    let sdk = moto.sdk().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .region(aws_config::Region::new(DR_REGION))
            .force_path_style(true)
            .build(),
    );
    let theirs = format!("gamma-state-{DR_REGION}");
    s3.create_bucket()
        .bucket(&theirs)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(DR_REGION))
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket(&theirs)
        .key("platform/terraform.tfstate")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"{}"))
        .send()
        .await
        .unwrap();
    let mut c = root(&moto, &(dev + &dr_stack("gamma")));
    let text = c
        .run(&["apply", "-auto-approve", "-no-color"])
        .failure(&format!("A bucket named \"{theirs}\""))
        .combined();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("It was not created by onto."), "{text}");
    c.destroy();
    let kept = s3
        .list_objects_v2()
        .bucket(&theirs)
        .send()
        .await
        .expect("the other team's bucket survives");
    assert_eq!(kept.key_count(), Some(1), "and its state file");
    assert_eq!(registry_rules(&ecr).await, ["beta/"]);
    b.destroy();
    assert!(registry_rules(&ecr).await.is_empty());
}
