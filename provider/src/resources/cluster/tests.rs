//! The emulator has no EKS add-ons, access entries, version updates or
//! DescribeUpdate, and no transitional or failed states: those paths are
//! tested here with aws-smithy-mocks (and were not run against a live
//! emulator).

use std::collections::BTreeMap;
use std::time::Duration;

use super::converge::upgrade;
use super::model::{group_name, upgrade_steps, Model, Remote};
use crate::aws::eks::{
    parse_taint, taint_string, update_nodegroup as update_group, wait_addon,
    wait_nodegroup as wait_group, AddonSettings as AddonSpec, NodeGroup as Group,
};
use aws_sdk_eks::operation::describe_addon::DescribeAddonOutput;
use aws_sdk_eks::operation::describe_addon_versions::DescribeAddonVersionsOutput;
use aws_sdk_eks::operation::describe_nodegroup::DescribeNodegroupOutput;
use aws_sdk_eks::operation::describe_update::DescribeUpdateOutput;
use aws_sdk_eks::operation::update_addon::UpdateAddonOutput;
use aws_sdk_eks::operation::update_cluster_version::UpdateClusterVersionOutput;
use aws_sdk_eks::operation::update_nodegroup_config::UpdateNodegroupConfigOutput;
use aws_sdk_eks::operation::update_nodegroup_version::UpdateNodegroupVersionOutput;
use aws_sdk_eks::types::{
    Addon, AddonHealth, AddonInfo, AddonIssue, AddonIssueCode, AddonStatus, AddonVersionInfo,
    Cluster, Compatibility, Issue, Nodegroup, NodegroupHealth, NodegroupIssueCode,
    NodegroupScalingConfig, NodegroupStatus, Taint, TaintEffect, Update, UpdateStatus,
};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use tfplugin::Stop;

fn addon(status: AddonStatus, version: &str) -> DescribeAddonOutput {
    DescribeAddonOutput::builder()
        .addon(
            Addon::builder()
                .addon_name("coredns")
                .status(status)
                .addon_version(version)
                .build(),
        )
        .build()
}

fn update(id: &str, status: UpdateStatus) -> Update {
    Update::builder().id(id).status(status).build()
}

fn group(name: &str, min: i32, max: i32, desired: i32) -> Nodegroup {
    Nodegroup::builder()
        .nodegroup_name(name)
        .status(NodegroupStatus::Active)
        .scaling_config(
            NodegroupScalingConfig::builder()
                .min_size(min)
                .max_size(max)
                .desired_size(desired)
                .build(),
        )
        .build()
}

fn spec(min: i32, max: i32) -> Group {
    Group {
        instance_types: vec!["m6i.large".into()],
        capacity_type: "ON_DEMAND".into(),
        min_size: min,
        max_size: max,
        desired_size: Some(2),
        disk_size: 50,
        ami_type: "AL2023_x86_64_STANDARD".into(),
        labels: None,
        taints: None,
        max_unavailable: 1,
    }
}

#[tokio::test(start_paused = true)]
async fn a_degraded_addon_reports_its_health_issues_at_once() {
    let degraded = || {
        DescribeAddonOutput::builder()
            .addon(
                Addon::builder()
                    .addon_name("aws-ebs-csi-driver")
                    .status(AddonStatus::Degraded)
                    .health(
                        AddonHealth::builder()
                            .issues(
                                AddonIssue::builder()
                                    .code(AddonIssueCode::InsufficientNumberOfReplicas)
                                    .message("The add-on is unhealthy because it doesn't have the desired number of replicas.")
                                    .resource_ids("ebs-csi-controller")
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build()
    };
    let rule = mock!(aws_sdk_eks::Client::describe_addon)
        .sequence()
        .output(|| addon(AddonStatus::Creating, "v1"))
        .output(degraded)
        .build();
    let eks = mock_client!(aws_sdk_eks, RuleMode::Sequential, [&rule]);
    let err = wait_addon(
        &eks,
        "c",
        "aws-ebs-csi-driver",
        false,
        Duration::from_secs(1200),
        &Stop::new(),
    )
    .await
    .unwrap_err();
    let text = format!("{err:?}");
    assert!(
        text.contains("Add-on aws-ebs-csi-driver is DEGRADED"),
        "{text}"
    );
    assert!(
        text.contains("InsufficientNumberOfReplicas") && text.contains("ebs-csi-controller"),
        "{text}"
    );
    assert_eq!(rule.num_calls(), 2, "no waiting out the timeout");
}

#[tokio::test(start_paused = true)]
async fn a_failed_node_group_reports_why() {
    let failed = || {
        let mut g = group("core-1", 1, 2, 1);
        g.status = Some(NodegroupStatus::CreateFailed);
        g.health = Some(
            NodegroupHealth::builder()
                .issues(
                    Issue::builder()
                        .code(NodegroupIssueCode::NodeCreationFailure)
                        .message("Instances failed to join the kubernetes cluster")
                        .resource_ids("i-0abc")
                        .build(),
                )
                .build(),
        );
        DescribeNodegroupOutput::builder().nodegroup(g).build()
    };
    let rule = mock!(aws_sdk_eks::Client::describe_nodegroup)
        .sequence()
        .output(failed)
        .build();
    let eks = mock_client!(aws_sdk_eks, RuleMode::Sequential, [&rule]);
    let err = wait_group(
        &eks,
        "c",
        "core-1",
        false,
        Duration::from_secs(1200),
        &Stop::new(),
    )
    .await
    .unwrap_err();
    let text = format!("{err:?}");
    assert!(
        text.contains("CREATE_FAILED")
            && text.contains("NodeCreationFailure")
            && text.contains("i-0abc"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn upgrades_go_control_plane_by_minor_then_addons_then_node_groups() {
    // Sequential: the rules must be consumed in exactly this order.
    let cp1 = mock!(aws_sdk_eks::Client::update_cluster_version)
        .match_requests(|r| r.version() == Some("1.32"))
        .then_output(|| {
            UpdateClusterVersionOutput::builder()
                .update(update("u1", UpdateStatus::InProgress))
                .build()
        });
    let wait1 = mock!(aws_sdk_eks::Client::describe_update)
        .match_requests(|r| r.update_id() == Some("u1"))
        .then_output(|| {
            DescribeUpdateOutput::builder()
                .update(update("u1", UpdateStatus::Successful))
                .build()
        });
    let cp2 = mock!(aws_sdk_eks::Client::update_cluster_version)
        .match_requests(|r| r.version() == Some("1.33"))
        .then_output(|| {
            UpdateClusterVersionOutput::builder()
                .update(update("u2", UpdateStatus::InProgress))
                .build()
        });
    let wait2 = mock!(aws_sdk_eks::Client::describe_update)
        .match_requests(|r| r.update_id() == Some("u2"))
        .then_output(|| {
            DescribeUpdateOutput::builder()
                .update(update("u2", UpdateStatus::Successful))
                .build()
        });
    let versions = mock!(aws_sdk_eks::Client::describe_addon_versions)
        .match_requests(|r| {
            r.kubernetes_version() == Some("1.33") && r.addon_name() == Some("coredns")
        })
        .then_output(|| {
            DescribeAddonVersionsOutput::builder()
                .addons(
                    AddonInfo::builder()
                        .addon_versions(
                            AddonVersionInfo::builder()
                                .addon_version("v1.12.0-eksbuild.1")
                                .build(),
                        )
                        .addon_versions(
                            AddonVersionInfo::builder()
                                .addon_version("v1.11.4-eksbuild.2")
                                .compatibilities(
                                    Compatibility::builder()
                                        .cluster_version("1.33")
                                        .default_version(true)
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
    let addon_update = mock!(aws_sdk_eks::Client::update_addon)
        .match_requests(|r| r.addon_version() == Some("v1.11.4-eksbuild.2"))
        .then_output(|| UpdateAddonOutput::builder().build());
    let addon_wait = mock!(aws_sdk_eks::Client::describe_addon)
        .then_output(|| addon(AddonStatus::Active, "v1.11.4-eksbuild.2"));
    let nodes = mock!(aws_sdk_eks::Client::update_nodegroup_version)
        .match_requests(|r| r.version() == Some("1.33") && r.nodegroup_name() == Some("core-1"))
        .then_output(|| {
            UpdateNodegroupVersionOutput::builder()
                .update(update("u3", UpdateStatus::InProgress))
                .build()
        });
    let wait3 = mock!(aws_sdk_eks::Client::describe_update)
        .match_requests(|r| r.update_id() == Some("u3") && r.nodegroup_name() == Some("core-1"))
        .then_output(|| {
            DescribeUpdateOutput::builder()
                .update(update("u3", UpdateStatus::Successful))
                .build()
        });
    let eks = mock_client!(
        aws_sdk_eks,
        RuleMode::Sequential,
        [
            &cp1,
            &wait1,
            &cp2,
            &wait2,
            &versions,
            &addon_update,
            &addon_wait,
            &nodes,
            &wait3
        ]
    );
    let m = Model {
        name: "c".into(),
        kubernetes_version: Some("1.33".into()),
        addons: Some(BTreeMap::from([(
            "coredns".to_owned(),
            AddonSpec {
                version: None,
                configuration: None,
                service_account_role_arn: None,
            },
        )])),
        ..Model::default()
    };
    let remote = Remote {
        cluster: Cluster::builder().name("c").version("1.31").build(),
        groups: BTreeMap::from([("core".to_owned(), group("core-1", 1, 3, 2))]),
        addons: BTreeMap::from([(
            "coredns".to_owned(),
            Addon::builder()
                .addon_name("coredns")
                .addon_version("v1.11.1-eksbuild.1")
                .build(),
        )]),
        admins: None,
        roles: BTreeMap::new(),
    };
    upgrade(
        &eks,
        &m,
        "1.31",
        &remote,
        &BTreeMap::new(),
        Duration::from_secs(3600),
        &Stop::new(),
    )
    .await
    .expect("upgraded in order");
    for (rule, what) in [
        (&cp1, "1.32"),
        (&cp2, "1.33"),
        (&addon_update, "coredns"),
        (&nodes, "nodes"),
    ] {
        assert_eq!(rule.num_calls(), 1, "{what}");
    }
}

#[tokio::test]
async fn the_autoscalers_size_stands_unless_the_limits_exclude_it() {
    // The autoscaler has 7 nodes; limits unchanged: no call at all.
    let eks = mock_client!(aws_sdk_eks, RuleMode::Sequential, []);
    update_group(
        &eks,
        "c",
        "core-1",
        &spec(2, 10),
        &group("core-1", 2, 10, 7),
        Duration::from_secs(60),
        &Stop::new(),
    )
    .await
    .expect("nothing to do");

    // min raised above the current size: desired follows it.
    let rule = mock!(aws_sdk_eks::Client::update_nodegroup_config)
        .match_requests(|r| {
            r.scaling_config().is_some_and(|s| {
                s.min_size() == Some(8) && s.max_size() == Some(10) && s.desired_size() == Some(8)
            })
        })
        .then_output(|| UpdateNodegroupConfigOutput::builder().build());
    let eks = mock_client!(aws_sdk_eks, RuleMode::Sequential, [&rule]);
    update_group(
        &eks,
        "c",
        "core-1",
        &spec(8, 10),
        &group("core-1", 2, 10, 7),
        Duration::from_secs(60),
        &Stop::new(),
    )
    .await
    .expect("resized");
    assert_eq!(rule.num_calls(), 1);

    // max raised, size within limits: the autoscaler's 7 is kept.
    let rule = mock!(aws_sdk_eks::Client::update_nodegroup_config)
        .match_requests(|r| {
            r.scaling_config()
                .is_some_and(|s| s.desired_size() == Some(7) && s.max_size() == Some(20))
        })
        .then_output(|| UpdateNodegroupConfigOutput::builder().build());
    let eks = mock_client!(aws_sdk_eks, RuleMode::Sequential, [&rule]);
    update_group(
        &eks,
        "c",
        "core-1",
        &spec(2, 20),
        &group("core-1", 2, 10, 7),
        Duration::from_secs(60),
        &Stop::new(),
    )
    .await
    .expect("limits moved");
    assert_eq!(rule.num_calls(), 1);
}

#[test]
fn versions_names_and_taints() {
    assert_eq!(upgrade_steps("1.30", "1.33"), ["1.31", "1.32", "1.33"]);
    assert!(upgrade_steps("1.33", "1.33").is_empty());
    assert!(upgrade_steps("1.33", "1.32").is_empty());
    let a = spec(1, 2);
    let mut b = a.clone();
    b.min_size = 5;
    assert_eq!(
        group_name("core", &a),
        group_name("core", &b),
        "sizes are mutable"
    );
    b.instance_types = vec!["m7i.large".into()];
    assert_ne!(
        group_name("core", &a),
        group_name("core", &b),
        "instance types are not"
    );
    assert!(group_name("core", &a).starts_with("core-"));
    assert_eq!(
        parse_taint("onto.io/spot=true:PreferNoSchedule"),
        Some((
            "onto.io/spot".into(),
            Some("true".into()),
            TaintEffect::PreferNoSchedule
        ))
    );
    assert_eq!(parse_taint("dedicated:NoExecute").map(|t| t.1), Some(None));
    assert!(parse_taint("x=y:Sometimes").is_none());
    let t = Taint::builder()
        .key("k")
        .value("v")
        .effect(TaintEffect::NoSchedule)
        .build();
    assert_eq!(taint_string(&t), "k=v:NoSchedule");
}
