//! onto_telemetry against the real Terraform CLI and the emulator: the
//! workspace, role and log group, and the ADOT add-on on a cluster (made
//! with the SDK), healthy and DEGRADED.

mod common;

use common::{workdir, Emulator};

const OIDC: &str =
    "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC123";

fn telemetry(extra: &str) -> String {
    format!("resource \"onto_telemetry\" \"t\" {{\n  name              = \"editor\"\n  oidc_provider_arn = \"{OIDC}\"\n{extra}}}\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_role_and_logs() {
    let moto = Emulator::start();
    let sdk = moto.sdk().await;
    let amp = aws_sdk_amp::Client::new(&sdk);
    let iam = aws_sdk_iam::Client::new(&sdk);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let mut w = workdir();
    let base = moto.provider("dev");
    w.config(&(base.clone() + &telemetry("")));
    w.apply();

    let r = w.state().resource("onto_telemetry.t")["values"].clone();
    let id = r["workspace_id"].as_str().unwrap().to_owned();
    assert!(r["remote_write_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/workspaces/{id}/api/v1/remote_write")));
    assert_eq!(
        r["otlp_grpc_endpoint"],
        "http://adot-collector.opentelemetry.svc.cluster.local:4317"
    );
    assert_eq!(r["log_group_name"], "/onto/editor");
    assert!(r["collector_config"]
        .as_str()
        .unwrap()
        .contains("prometheusremotewrite"));
    amp.describe_workspace()
        .workspace_id(&id)
        .send()
        .await
        .unwrap();
    let role = iam
        .get_role()
        .role_name("editor-eu-west-1-collector")
        .send()
        .await
        .unwrap();
    let trust = role
        .role()
        .unwrap()
        .assume_role_policy_document()
        .unwrap()
        .replace("%3A", ":"); // IAM hands policy documents back URL-encoded.
    assert!(
        trust.contains("system:serviceaccount:opentelemetry:adot-collector"),
        "{trust}"
    );
    let attached = iam
        .list_attached_role_policies()
        .role_name("editor-eu-west-1-collector")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 3);
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/onto/editor")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups()[0].retention_in_days(), Some(30));

    w.import_verify("onto_telemetry.t", "editor", &[]);
    w.assert_no_changes();

    // Drift: retention shortened out of band; the plan restores exactly it.
    logs.put_retention_policy()
        .log_group_name("/onto/editor")
        .retention_in_days(7)
        .send()
        .await
        .unwrap();
    assert_eq!(
        w.planned_attribute_changes("onto_telemetry.t")
            .into_iter()
            .collect::<Vec<_>>(),
        ["log_retention_days"]
    );
    w.apply();

    // In place: retention and the service account the role trusts.
    w.config(
        &(base.clone()
            + &telemetry("  log_retention_days = 90\n  service_account = \"collector\"\n")),
    );
    assert_eq!(w.plan_actions()["onto_telemetry.t"], ["update"]);
    w.apply();
    let role = iam
        .get_role()
        .role_name("editor-eu-west-1-collector")
        .send()
        .await
        .unwrap();
    assert!(
        role.role()
            .unwrap()
            .assume_role_policy_document()
            .unwrap()
            .contains("opentelemetry%3Acollector")
            || role
                .role()
                .unwrap()
                .assume_role_policy_document()
                .unwrap()
                .contains("opentelemetry:collector")
    );

    w.destroy();
    assert!(iam
        .get_role()
        .role_name("editor-eu-west-1-collector")
        .send()
        .await
        .is_err());
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/onto/editor")
        .send()
        .await
        .unwrap();
    assert!(groups.log_groups().is_empty());
    let spaces = amp.list_workspaces().alias("editor").send().await.unwrap();
    assert!(spaces.workspaces().is_empty(), "{:?}", spaces.workspaces());
}

/// The ADOT add-on: installed with the collector pipeline, and when it
/// cannot run (cert-manager missing) the apply fails at once with AWS's
/// health issue instead of waiting out its timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_adot_addon_installs_or_fails_at_once() {
    let emulator = Emulator::start();
    let eks = aws_sdk_eks::Client::new(&emulator.sdk().await);
    eks.create_cluster()
        .name("editor")
        .version("1.33")
        .role_arn("arn:aws:iam::123456789012:role/editor-cluster")
        .resources_vpc_config(
            aws_sdk_eks::types::VpcConfigRequest::builder()
                .subnet_ids("subnet-1")
                .build(),
        )
        .send()
        .await
        .unwrap();
    emulator.control("advance", Some(serde_json::json!({"seconds": 900})));
    // The collector runs on nodes.
    eks.create_nodegroup()
        .cluster_name("editor")
        .nodegroup_name("core")
        .node_role("arn:aws:iam::123456789012:role/editor-node")
        .subnets("subnet-1")
        .send()
        .await
        .unwrap();
    emulator.control("advance", Some(serde_json::json!({"seconds": 900})));
    emulator.control(
        "eks/addon-health",
        Some(serde_json::json!({"addon": "adot", "issues": [{
            "code": "AdmissionRequestDenied",
            "message": "cert-manager is not installed in the cluster",
        }]})),
    );
    let mut w = workdir();
    let adot = "  cluster_name = \"editor\"\n  install_adot = true\n";
    w.config(&(emulator.provider("dev") + &telemetry(adot)));
    let started = std::time::Instant::now();
    let failed = w.run(&["apply", "-auto-approve", "-no-color"]);
    let text = failed.failure("cert-manager is not installed").combined();
    assert!(text.contains("DEGRADED"), "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));

    emulator.control(
        "eks/addon-health",
        Some(serde_json::json!({"addon": "adot", "issues": []})),
    );
    w.apply();
    let addon = eks
        .describe_addon()
        .cluster_name("editor")
        .addon_name("adot")
        .send()
        .await
        .unwrap();
    let addon = addon.addon().unwrap();
    assert_eq!(addon.status().map(|s| s.as_str()), Some("ACTIVE"));
    let configuration = addon.configuration_values().unwrap();
    assert!(
        configuration.contains("remoteWriteEndpoint"),
        "{configuration}"
    );
    assert!(
        configuration.contains(":role/editor-eu-west-1-collector"),
        "the collector's role: {configuration}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input() {
    let moto = Emulator::start();
    let mut w = workdir();
    let dev = moto.provider("dev");
    for (extra, message, attribute) in [
        (
            "  install_adot = true\n",
            "Cluster needed for ADOT",
            "install_adot",
        ),
        (
            "  log_retention_days = 45\n",
            "nearest allowed period is 30",
            "log_retention_days",
        ),
    ] {
        w.config(&(dev.clone() + &telemetry(extra)));
        w.run(&["plan", "-no-color"]).failure_at(message, attribute);
    }
    w.config(&(dev + &telemetry("").replace(OIDC, "arn:aws:iam::123456789012:role/x")));
    w.run(&["plan", "-no-color"])
        .failure_at("is not an IAM OIDC provider ARN", "oidc_provider_arn");
}
