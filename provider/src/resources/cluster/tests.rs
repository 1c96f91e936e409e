//! What the emulator does not produce: a node group AWS failed to create
//! (CREATE_FAILED with its health issues), tested with aws-smithy-mocks;
//! and the pure rules (versions, group names, taints). Add-ons, upgrades
//! and the autoscaler's sizes run through the CLI in `tests/cluster.rs`.

use std::time::Duration;

use super::model::{group_name, upgrade_steps};
use crate::aws::eks::{
    parse_taint, taint_string, wait_nodegroup as wait_group, NodeGroup as Group,
};
use aws_sdk_eks::operation::describe_nodegroup::DescribeNodegroupOutput;
use aws_sdk_eks::types::{
    Issue, Nodegroup, NodegroupHealth, NodegroupIssueCode, NodegroupScalingConfig, NodegroupStatus,
    Taint, TaintEffect,
};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use tfplugin::Stop;

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
