//! onto_cluster against the real Terraform CLI and the emulator, which
//! keeps EKS's time (clusters are CREATING for minutes, updates are
//! InProgress) and serves add-ons, access entries, version updates and
//! DescribeUpdate.

mod common;

use common::{workdir, Emulator};

fn network() -> String {
    "resource \"onto_network\" \"core\" {\n  name               = \"core\"\n  cidr_block         = \"10.0.0.0/16\"\n  availability_zones = [\"eu-west-1a\", \"eu-west-1b\"]\n  nat_mode           = \"none\"\n}\n".into()
}

fn cluster(extra: &str) -> String {
    format!(
        "resource \"onto_cluster\" \"main\" {{\n  name               = \"editor\"\n  kubernetes_version = \"1.33\"\n  subnet_ids         = onto_network.core.private_subnet_ids\n  addons             = {{}}\n{extra}}}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_node_groups_autoscaling_drift_and_destroy_order() {
    let moto = Emulator::start();
    let sdk = moto.sdk().await;
    let eks = aws_sdk_eks::Client::new(&sdk);
    let iam = aws_sdk_iam::Client::new(&sdk);
    let mut w = workdir();
    let base = moto.provider("dev") + &network();
    w.config(&(base.clone() + &cluster("")));
    w.apply();

    let r = w.state().resource("onto_cluster.main")["values"].clone();
    let names = r["node_group_names"].as_object().unwrap().clone();
    assert_eq!(names.len(), 2, "default groups: {names:?}");
    let core = names["core"].as_str().unwrap().to_owned();
    let workers = names["workers"].as_str().unwrap().to_owned();
    assert!(core.starts_with("core-") && workers.starts_with("workers-"));
    assert!(r["oidc_provider_arn"]
        .as_str()
        .unwrap()
        .contains(":oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/"));
    assert!(r["endpoint"].as_str().unwrap().starts_with("https://"));
    assert!(r["node_role_arn"]
        .as_str()
        .unwrap()
        .ends_with(":role/editor-eu-west-1-node"));
    assert!(r["role_arn"]
        .as_str()
        .unwrap()
        .ends_with(":role/editor-eu-west-1-cluster"));
    let live = eks
        .describe_nodegroup()
        .cluster_name("editor")
        .nodegroup_name(&workers)
        .send()
        .await
        .unwrap();
    let g = live.nodegroup().unwrap();
    assert_eq!(g.capacity_type().map(|c| c.as_str()), Some("SPOT"));
    assert_eq!(g.instance_types().len(), 3);
    assert_eq!(g.taints()[0].key(), Some("onto.io/spot"));
    let attached = iam
        .list_attached_role_policies()
        .role_name("editor-eu-west-1-node")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 3);

    // moto does not report the authentication mode.
    w.import_verify(
        "onto_cluster.main",
        "editor",
        &["node_groups", "addons", "authentication_mode"],
    );
    // desired_size is not AWS's to report back: the next apply records it.
    w.apply();

    // The autoscaler scales out: no diff.
    eks.update_nodegroup_config()
        .cluster_name("editor")
        .nodegroup_name(&core)
        .scaling_config(
            aws_sdk_eks::types::NodegroupScalingConfig::builder()
                .min_size(2)
                .max_size(4)
                .desired_size(4)
                .build(),
        )
        .send()
        .await
        .unwrap();
    w.assert_no_changes();
    // Someone lowers min_size out of band: the plan restores it.
    eks.update_nodegroup_config()
        .cluster_name("editor")
        .nodegroup_name(&core)
        .scaling_config(
            aws_sdk_eks::types::NodegroupScalingConfig::builder()
                .min_size(1)
                .max_size(4)
                .desired_size(4)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        w.planned_attribute_changes("onto_cluster.main")
            .into_iter()
            .collect::<Vec<_>>(),
        ["node_groups"]
    );
    w.apply();
    let live = eks
        .describe_nodegroup()
        .cluster_name("editor")
        .nodegroup_name(&core)
        .send()
        .await
        .unwrap();
    let sc = live.nodegroup().unwrap().scaling_config().unwrap();
    assert_eq!(
        (sc.min_size(), sc.desired_size()),
        (Some(2), Some(4)),
        "min restored, autoscaler's size kept"
    );

    // The node role deleted out of band: the plan shows the repair instead
    // of "No changes", and the apply makes the role again.
    for p in attached.attached_policies() {
        iam.detach_role_policy()
            .role_name("editor-eu-west-1-node")
            .policy_arn(p.policy_arn().unwrap())
            .send()
            .await
            .unwrap();
    }
    iam.delete_role()
        .role_name("editor-eu-west-1-node")
        .send()
        .await
        .unwrap();
    assert_eq!(w.plan_actions()["onto_cluster.main"], ["update"]);
    assert_eq!(
        w.planned_attribute_changes("onto_cluster.main")
            .into_iter()
            .collect::<Vec<_>>(),
        ["role_names"]
    );
    w.apply();
    let attached = iam
        .list_attached_role_policies()
        .role_name("editor-eu-west-1-node")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 3, "role repaired");
    w.assert_no_changes();

    // Config updates in place: logs; a node group's instance type replaces
    // just that group (new one first).
    let groups = "  log_types = [\"api\", \"audit\"]\n  node_groups = {\n    core = { instance_types = [\"m7i.large\"], min_size = 2, max_size = 4 }\n  }\n";
    w.config(&(base + &cluster(groups)));
    assert_eq!(w.plan_actions()["onto_cluster.main"], ["update"]);
    w.apply();
    let listed = eks
        .list_nodegroups()
        .cluster_name("editor")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.nodegroups().len(), 1, "{:?}", listed.nodegroups());
    assert_ne!(listed.nodegroups()[0], core, "core was replaced");
    assert!(listed.nodegroups()[0].starts_with("core-"));

    // A load balancer controller left its security group in the VPC.
    let ec2 = moto.ec2().await;
    ec2.create_security_group()
        .group_name("k8s-elb-leftover")
        .description("left by the AWS load balancer controller")
        .vpc_id(r["vpc_id"].as_str().unwrap())
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key("elbv2.k8s.aws/cluster")
                        .value("editor")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    // Destroy: node groups before the cluster (moto refuses the reverse),
    // then the OIDC provider and roles; what the controllers left is named.
    let destroyed = w
        .run(&[
            "destroy",
            "-auto-approve",
            "-no-color",
            "-target=onto_cluster.main",
        ])
        .success();
    assert!(
        destroyed
            .combined()
            .contains("Objects left in the VPC by in-cluster controllers")
            && destroyed.combined().contains("k8s-elb-leftover"),
        "{}",
        destroyed.combined()
    );
    assert!(eks.describe_cluster().name("editor").send().await.is_err());
    assert!(iam
        .get_role()
        .role_name("editor-eu-west-1-node")
        .send()
        .await
        .is_err());
    assert!(iam
        .get_role()
        .role_name("editor-eu-west-1-cluster")
        .send()
        .await
        .is_err());
    let providers = iam.list_open_id_connect_providers().send().await.unwrap();
    assert!(providers.open_id_connect_provider_list().is_empty());
}

const ADMIN: &str = "arn:aws:iam::123456789012:role/platform-admins";

/// What the emulator's timeline says happened to EKS objects, in order:
/// `(action, object)`, e.g. `("update-version", "eks:cluster/eu-west-1/editor")`.
fn eks_changes(emulator: &Emulator) -> Vec<(String, String)> {
    let timeline = emulator.control("timeline", None);
    let mut entries: Vec<_> = timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"].as_str().unwrap().starts_with("eks:"))
        .cloned()
        .collect();
    entries.sort_by(|a, b| {
        a["started"]
            .as_f64()
            .partial_cmp(&b["started"].as_f64())
            .unwrap()
    });
    entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                format!(
                    "{}/{}",
                    e["kind"].as_str().unwrap(),
                    e["id"].as_str().unwrap()
                ),
            )
        })
        .collect()
}

/// Default add-ons and an admin's access entry; an upgrade across two
/// minors goes control plane 1.31 → 1.32 → 1.33, then add-ons, then node
/// groups; a DEGRADED add-on fails the apply at once with AWS's issues.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addons_access_entries_and_an_upgrade_across_two_minors() {
    let emulator = Emulator::start();
    let sdk = emulator.sdk().await;
    let eks = aws_sdk_eks::Client::new(&sdk);
    let mut w = workdir();
    let base = emulator.provider("dev") + &network();
    let cluster = |version: &str, extra: &str| {
        format!(
            "resource \"onto_cluster\" \"main\" {{\n  name                 = \"editor\"\n  kubernetes_version   = \"{version}\"\n  subnet_ids           = onto_network.core.private_subnet_ids\n  admin_principal_arns = [\"{ADMIN}\"]\n  node_groups = {{\n    core = {{ instance_types = [\"m6i.large\"], min_size = 1, max_size = 3 }}\n  }}\n{extra}}}\n"
        )
    };
    w.config(&(base.clone() + &cluster("1.31", "")));
    w.apply();

    let addons = eks
        .list_addons()
        .cluster_name("editor")
        .send()
        .await
        .unwrap();
    assert_eq!(
        addons.addons(),
        ["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]
    );
    let coredns = eks
        .describe_addon()
        .cluster_name("editor")
        .addon_name("coredns")
        .send()
        .await
        .unwrap();
    let coredns = coredns.addon().unwrap();
    assert_eq!(coredns.status().map(|s| s.as_str()), Some("ACTIVE"));
    assert_eq!(
        coredns.addon_version(),
        Some("v1.11.1-eksbuild.2"),
        "the default for 1.31"
    );
    let entries = eks
        .list_access_entries()
        .cluster_name("editor")
        .send()
        .await
        .unwrap();
    assert_eq!(entries.access_entries(), [ADMIN]);
    let policies = eks
        .list_associated_access_policies()
        .cluster_name("editor")
        .principal_arn(ADMIN)
        .send()
        .await
        .unwrap();
    assert!(policies.associated_access_policies()[0]
        .policy_arn()
        .unwrap()
        .ends_with("/AmazonEKSClusterAdminPolicy"));
    // Node groups and add-ons were created after the cluster was ACTIVE.
    let created = eks_changes(&emulator);
    assert_eq!(
        created[0],
        ("create".into(), "eks:cluster/eu-west-1/editor".into())
    );

    // Upgrade two minors in one apply.
    emulator.control("timeline/clear", Some(serde_json::json!({})));
    w.config(&(base.clone() + &cluster("1.33", "")));
    assert_eq!(w.plan_actions()["onto_cluster.main"], ["update"]);
    w.apply();
    let live = eks.describe_cluster().name("editor").send().await.unwrap();
    assert_eq!(live.cluster().unwrap().version(), Some("1.33"));
    let core = w.state().resource("onto_cluster.main")["values"]["node_group_names"]["core"]
        .as_str()
        .unwrap()
        .to_owned();
    let group = eks
        .describe_nodegroup()
        .cluster_name("editor")
        .nodegroup_name(&core)
        .send()
        .await
        .unwrap();
    assert_eq!(group.nodegroup().unwrap().version(), Some("1.33"));
    let coredns = eks
        .describe_addon()
        .cluster_name("editor")
        .addon_name("coredns")
        .send()
        .await
        .unwrap();
    assert_eq!(
        coredns.addon().unwrap().addon_version(),
        Some("v1.11.3-eksbuild.2")
    );
    let order: Vec<(String, String)> = eks_changes(&emulator);
    let steps: Vec<&str> = order
        .iter()
        .map(
            |(action, object)| match (action.as_str(), object.split('/').next().unwrap()) {
                ("update-version", "eks:cluster") => "control plane",
                ("update", "eks:addon") => "add-on",
                ("update-version", "eks:nodegroup") => "node group",
                _ => "other",
            },
        )
        .collect();
    let first_addon = steps
        .iter()
        .position(|s| *s == "add-on")
        .expect("add-ons updated");
    let first_group = steps
        .iter()
        .position(|s| *s == "node group")
        .expect("nodes updated");
    assert_eq!(&steps[..2], ["control plane", "control plane"], "{order:?}");
    assert!(first_addon > 1 && first_group > first_addon, "{order:?}");
    w.assert_no_changes();

    // An add-on that cannot run: the apply fails at once with AWS's words.
    emulator.control(
        "eks/addon-health",
        Some(serde_json::json!({"addon": "aws-ebs-csi-driver", "issues": [{
            "code": "InsufficientNumberOfReplicas",
            "message": "The add-on is unhealthy because it doesn't have the desired number of replicas.",
        }]})),
    );
    let addons = "  addons = {\n    vpc-cni = {}\n    kube-proxy = {}\n    coredns = {}\n    eks-pod-identity-agent = {}\n    aws-ebs-csi-driver = {}\n  }\n";
    w.config(&(base.clone() + &cluster("1.33", addons)));
    let started = std::time::Instant::now();
    let failed = w.run(&["apply", "-auto-approve", "-no-color"]);
    let text = failed.failure("InsufficientNumberOfReplicas").combined();
    assert!(text.contains("DEGRADED"), "{text}");
    assert!(!text.contains("Timed out"), "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    // Healed: the next apply converges.
    emulator.control(
        "eks/addon-health",
        Some(serde_json::json!({"addon": "aws-ebs-csi-driver", "issues": []})),
    );
    w.apply();

    // An entry someone made by hand, then also named as an admin: it gets
    // the policy, and is not deleted when it is no longer named.
    const OTHER: &str = "arn:aws:iam::123456789012:role/break-glass";
    eks.create_access_entry()
        .cluster_name("editor")
        .principal_arn(OTHER)
        .send()
        .await
        .unwrap();
    let admins = |list: &str| {
        cluster("1.33", addons).replace(&format!("  admin_principal_arns = [\"{ADMIN}\"]\n"), list)
    };
    w.config(
        &(base.clone()
            + &admins(&format!(
                "  admin_principal_arns = [\"{ADMIN}\", \"{OTHER}\"]\n"
            ))),
    );
    w.apply();
    let policies = eks
        .list_associated_access_policies()
        .cluster_name("editor")
        .principal_arn(OTHER)
        .send()
        .await
        .unwrap();
    assert_eq!(policies.associated_access_policies().len(), 1);

    // The admins removed: the entry onto made goes; the other one stays,
    // without the admin policy onto gave it.
    w.config(&(base + &admins("")));
    let out = w.run(&["apply", "-auto-approve", "-no-color"]).success();
    assert!(
        out.combined().contains("Access entries kept"),
        "{}",
        out.combined()
    );
    let entries = eks
        .list_access_entries()
        .cluster_name("editor")
        .send()
        .await
        .unwrap();
    assert_eq!(entries.access_entries(), [OTHER]);
    let policies = eks
        .list_associated_access_policies()
        .cluster_name("editor")
        .principal_arn(OTHER)
        .send()
        .await
        .unwrap();
    assert!(policies.associated_access_policies().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input() {
    let moto = Emulator::start();
    let mut w = workdir();
    let one = |extra: &str| {
        format!("resource \"onto_cluster\" \"x\" {{\n  name       = \"x\"\n  subnet_ids = [\"subnet-1\", \"subnet-2\"]\n{extra}}}\n")
    };
    let dev = moto.provider("dev");
    let group = |settings: &str| {
        format!("  node_groups = {{\n    core = {{ instance_types = [\"m6i.large\"], min_size = 1, max_size = 2{settings} }}\n  }}\n")
    };
    // Each refusal names its attribute (Terraform quotes its line; inside
    // node_groups, the group's).
    for (extra, message, attribute) in [
        ("  kubernetes_version = \"1.x\"\n".to_owned(), "is not a Kubernetes minor version", "kubernetes_version"),
        ("  kubernetes_version = \"1.27\"\n".to_owned(), "EKS no longer offers Kubernetes 1.27", "kubernetes_version"),
        (
            "  node_groups = {\n    core = { instance_types = [\"m6i.large\"], min_size = 5, max_size = 2 }\n  }\n".to_owned(),
            "min_size (5) exceeds max_size (2)",
            "core",
        ),
        (group(", desired_size = 7"), "desired_size (7) is outside 1..2", "core"),
        (group(", taints = [\"a=b:Sometimes\"]"), "Invalid taint", "core"),
        (group(", ami_type = \"AL2023_ARM_64_STANDARD\""), "m6i.large is an x86_64 type, but the AMI type is arm64", "core"),
        (group(", ami_type = \"AL2023_ARM64\""), "is not one of", "core"),
        (
            "  node_groups = {\n    core = { instance_types = [\"m7g.large\"], min_size = 1, max_size = 2 }\n  }\n".to_owned(),
            "m7g.large is a Graviton (arm64) type, but the AMI type is x86_64",
            "core",
        ),
        (
            "  node_groups = {\n    core = { instance_types = [], min_size = 1, max_size = 2 }\n  }\n".to_owned(),
            "No instance types",
            "core",
        ),
        (
            "  node_groups = {\n    \"core group\" = { instance_types = [\"m6i.large\"], min_size = 1, max_size = 2 }\n  }\n".to_owned(),
            "Invalid node group name",
            "\"core group\"",
        ),
        (
            "  endpoint_public_access = false\n  endpoint_private_access = false\n".to_owned(),
            "No API endpoint",
            "endpoint_private_access",
        ),
        (
            "  authentication_mode = \"CONFIG_MAP\"\n  admin_principal_arns = [\"arn:aws:iam::123456789012:role/admin\"]\n".to_owned(),
            "Access entries need the API",
            "admin_principal_arns",
        ),
        (
            "  secrets_kms_key = \"arn:aws:kms:us-east-1:123456789012:key/1234abcd\"\n".to_owned(),
            "secrets_kms_key is in us-east-1, but this object lives in eu-west-1",
            "secrets_kms_key",
        ),
        ("  log_types = [\"everything\"]\n".to_owned(), "is not one of", "log_types"),
    ] {
        w.config(&(dev.clone() + &one(&extra)));
        w.run(&["plan", "-no-color"]).failure_at(message, attribute);
    }
    w.config(&(dev.clone() + &one("").replace("[\"subnet-1\", \"subnet-2\"]", "[\"subnet-1\"]")));
    w.run(&["plan", "-no-color"])
        .failure_at("Too few subnets", "subnet_ids");
}

/// The ephemeral token is used (a precondition reads it) but appears in
/// neither state nor plan; the data source variant stores one, whose
/// format and lifetime are checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_auth_token() {
    let moto = Emulator::start();
    let mut w = workdir();
    let base = moto.provider("dev")
        + &network()
        + &cluster("  node_groups = {}\n")
        + "ephemeral \"onto_cluster_auth\" \"e\" {\n  cluster_name = onto_cluster.main.name\n}\n";
    let used = "resource \"terraform_data\" \"uses_token\" {\n  input = onto_cluster.main.endpoint\n  lifecycle {\n    precondition {\n      condition     = startswith(ephemeral.onto_cluster_auth.e.token, \"k8s-aws-v1.\") && ephemeral.onto_cluster_auth.e.endpoint == onto_cluster.main.endpoint\n      error_message = \"no token\"\n    }\n  }\n}\n";
    w.config(&(base.clone() + used));
    let plan = w.run(&["plan", "-out=tfplan", "-no-color"]).success();
    let plan_json = w.run(&["show", "-json", "tfplan"]).success().stdout();
    let apply = w
        .run(&["apply", "-auto-approve", "-no-color", "tfplan"])
        .success();
    for (what, text) in [
        ("plan", plan.combined()),
        ("plan JSON", plan_json),
        ("apply", apply.combined()),
        ("state", w.raw_state()),
    ] {
        assert!(
            !text.contains("k8s-aws-v1."),
            "the ephemeral token reached the {what}"
        );
    }

    w.config(
        &(base
            + used
            + "data \"onto_cluster_auth\" \"d\" {\n  cluster_name = onto_cluster.main.name\n}\n"),
    );
    w.apply();
    let token = w.state().attr("data.onto_cluster_auth.d", "token");
    let b64 = token
        .strip_prefix("k8s-aws-v1.")
        .expect("token prefix")
        .replace('-', "+")
        .replace('_', "/");
    let padded = format!("{b64}{}", "=".repeat((4 - b64.len() % 4) % 4));
    let url = String::from_utf8(aws_smithy_types::base64::decode(padded).unwrap()).unwrap();
    assert!(url.contains("Action=GetCallerIdentity"), "{url}");
    assert!(url.contains("X-Amz-Expires=60"), "{url}");
    assert!(
        url.contains("X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"),
        "{url}"
    );
    let expiration = w.state().attr("data.onto_cluster_auth.d", "expiration");
    let expires = aws_smithy_types::DateTime::from_str(
        &expiration,
        aws_smithy_types::date_time::Format::DateTime,
    )
    .unwrap()
    .secs();
    let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now()).secs();
    assert!(
        (13 * 60..=15 * 60).contains(&(expires - now)),
        "token valid for {}s",
        expires - now
    );
}
