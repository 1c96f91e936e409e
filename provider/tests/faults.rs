//! Fault tolerance against the emulator:
//! - a loopback proxy in front of moto answers about one request in five
//!   with a fault (503, throttling, a dropped connection) or delays it,
//!   before the request reaches moto; the whole platform still converges,
//!   a second plan is empty, and nothing is duplicated or orphaned;
//! - the provider is killed (SIGKILL) in the middle of an apply; the next
//!   apply adopts what was created and duplicates nothing.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

use common::{copy_tree, workdir, Moto};

type Body = Full<Bytes>;

/// What the proxy did, for the test's report.
#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    faults: AtomicU64,
}

/// A fault for request `n` (about one in five), chosen deterministically.
fn fault(n: u64) -> Option<u64> {
    let h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
    h.is_multiple_of(5).then_some((h / 5) % 4)
}

/// A throttling or unavailability answer in the protocol of `service`
/// (from the request's SigV4 scope), so the SDK recognises it: EC2's own
/// XML, the query services' XML, S3's XML, and JSON (with the error type
/// header, which REST-JSON services such as EKS use) for the rest.
fn error_response(kind: u64, service: &str, json: bool) -> Response<Body> {
    let (status, body, error_type) = if kind == 0 || service == "s3" {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>".to_owned(),
            None,
        )
    } else if json || !matches!(service, "ec2" | "rds" | "elasticache" | "iam" | "sts") {
        (
            StatusCode::BAD_REQUEST,
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_owned(),
            Some("ThrottlingException"),
        )
    } else if service == "ec2" {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>fault</RequestID></Response>".to_owned(),
            None,
        )
    } else {
        (
            StatusCode::BAD_REQUEST,
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault</RequestId></ErrorResponse>".to_owned(),
            None,
        )
    };
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    if let Some(t) = error_type {
        r.headers_mut()
            .insert("x-amzn-ErrorType", t.parse().unwrap());
    }
    r
}

/// Starts the proxy; returns its URL.
async fn fault_proxy(upstream: String, counts: Arc<Counts>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client: Client<_, Body> = Client::builder(TokioExecutor::new()).build_http();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let client = client.clone();
            let upstream = upstream.clone();
            let counts = counts.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let client = client.clone();
                    let upstream = upstream.clone();
                    let counts = counts.clone();
                    async move {
                        let n = counts.requests.fetch_add(1, Ordering::Relaxed);
                        let ct = req
                            .headers()
                            .get("content-type")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned();
                        let json = ct.contains("json") || ct.contains("cbor");
                        // Credential=KEY/DATE/REGION/SERVICE/aws4_request
                        let service = req
                            .headers()
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|a| a.split('/').nth(3))
                            .unwrap_or("")
                            .to_owned();
                        // Faults come before the request reaches the emulator.
                        match fault(n) {
                            Some(k @ (0 | 1)) if !ct.contains("cbor") => {
                                counts.faults.fetch_add(1, Ordering::Relaxed);
                                return Ok::<_, std::io::Error>(error_response(k, &service, json));
                            }
                            Some(2) => {
                                counts.faults.fetch_add(1, Ordering::Relaxed);
                                return Err(std::io::Error::other(
                                    "connection reset by the fault proxy",
                                ));
                            }
                            Some(3) => tokio::time::sleep(Duration::from_millis(300)).await,
                            _ => {}
                        }
                        let (mut parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let path = parts
                            .uri
                            .path_and_query()
                            .map(|p| p.as_str())
                            .unwrap_or("/")
                            .to_owned();
                        parts.uri = format!("{upstream}{path}").parse().unwrap();
                        let resp = client
                            .request(Request::from_parts(parts, Full::new(body)))
                            .await
                            .map_err(std::io::Error::other)?;
                        let (parts, body) = resp.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        Ok(Response::from_parts(parts, Full::new(body)))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

/// Objects of each kind in the emulator, to prove nothing is duplicated.
async fn inventory(moto: &Moto) -> Vec<(&'static str, usize)> {
    let sdk = moto.sdk().await;
    let vpcs = moto.ec2().await.describe_vpcs().send().await.unwrap();
    let clusters = aws_sdk_eks::Client::new(&sdk)
        .list_clusters()
        .send()
        .await
        .unwrap();
    let dbs = moto
        .rds()
        .await
        .describe_db_instances()
        .send()
        .await
        .unwrap();
    let caches = moto
        .elasticache()
        .await
        .describe_replication_groups()
        .send()
        .await
        .unwrap();
    let repos = moto
        .ecr()
        .await
        .describe_repositories()
        .send()
        .await
        .unwrap();
    let sgs = moto
        .ec2()
        .await
        .describe_security_groups()
        .send()
        .await
        .unwrap();
    vec![
        (
            "VPCs (besides the default)",
            vpcs.vpcs()
                .iter()
                .filter(|v| v.is_default() != Some(true))
                .count(),
        ),
        ("EKS clusters", clusters.clusters().len()),
        ("RDS instances", dbs.db_instances().len()),
        (
            "cache replication groups",
            caches.replication_groups().len(),
        ),
        ("ECR repositories", repos.repositories().len()),
        ("security groups", sgs.security_groups().len()),
    ]
}

fn platform_workdir(moto_url: &str) -> (tfplugin::testing::Workdir, PathBuf) {
    let mut w = workdir();
    w.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("TF_VAR_aws_endpoint_url", moto_url);
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    copy_tree(&repo.join("modules"), &w.path().join("modules"));
    copy_tree(
        &repo.join("examples/platform"),
        &w.path().join("examples/platform"),
    );
    let platform = w.path().join("examples/platform");
    // Local state: this test is about AWS faults, not the backend.
    let main = std::fs::read_to_string(platform.join("main.tf")).unwrap();
    std::fs::write(
        platform.join("main.tf"),
        main.replace("  backend \"s3\" {}\n", ""),
    )
    .unwrap();
    let init = tf(&w, &platform, &["init", "-no-color"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    (w, platform)
}

fn tf(w: &tfplugin::testing::Workdir, dir: &Path, args: &[&str]) -> std::process::Output {
    w.command(args).current_dir(dir).output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_converges_through_a_faulty_network() {
    let moto = Moto::start();
    let counts = Arc::new(Counts::default());
    let proxy = fault_proxy(moto.url.clone(), counts.clone()).await;
    let (w, platform) = platform_workdir(&proxy);
    assert!(tf(&w, &platform, &["workspace", "new", "dev", "-no-color"])
        .status
        .success());
    let apply = tf(
        &w,
        &platform,
        &[
            "apply",
            "-auto-approve",
            "-no-color",
            "-var-file=emulator.tfvars",
        ],
    );
    assert!(
        apply.status.success(),
        "apply through the faulty proxy failed:\n{}{}",
        String::from_utf8_lossy(&apply.stdout),
        String::from_utf8_lossy(&apply.stderr)
    );
    let plan = tf(
        &w,
        &platform,
        &[
            "plan",
            "-detailed-exitcode",
            "-no-color",
            "-var-file=emulator.tfvars",
        ],
    );
    assert_eq!(
        plan.status.code(),
        Some(0),
        "second plan not empty:\n{}{}",
        String::from_utf8_lossy(&plan.stdout),
        String::from_utf8_lossy(&plan.stderr)
    );
    let requests = counts.requests.load(Ordering::Relaxed);
    let faults = counts.faults.load(Ordering::Relaxed);
    assert!(
        faults * 10 >= requests,
        "too few faults injected: {faults} of {requests}"
    );
    let found = inventory(&moto).await;
    for (what, n) in &found[..5] {
        let want = if *what == "ECR repositories" { 3 } else { 1 };
        assert_eq!(*n, want, "{what}: {found:?}");
    }
}

/// The provider process serving `terraform` (a child of it).
fn provider_child(terraform: u32) -> Option<u32> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some((comm, rest)) = stat.split_once(") ") else {
            continue;
        };
        let ppid: u32 = rest
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        if ppid == terraform && comm.contains("terraform-provi") {
            return Some(pid);
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_provider_is_recovered_by_the_next_apply() {
    let moto = Moto::start();
    let ec2 = moto.ec2().await;
    let (w, platform) = platform_workdir(&moto.url);
    assert!(tf(&w, &platform, &["workspace", "new", "dev", "-no-color"])
        .status
        .success());
    let mut apply = w
        .command(&[
            "apply",
            "-auto-approve",
            "-no-color",
            "-var-file=emulator.tfvars",
        ])
        .current_dir(&platform)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill the provider once the network's VPC exists but before the
    // network is complete.
    let owner = aws_sdk_ec2::types::Filter::builder()
        .name("tag:onto:owner")
        .values("onto_network/onto-dev")
        .build();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let vpcs = ec2
            .describe_vpcs()
            .filters(owner.clone())
            .send()
            .await
            .unwrap();
        if !vpcs.vpcs().is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the VPC never appeared"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let victim = provider_child(apply.id()).expect("the provider process");
    assert!(std::process::Command::new("kill")
        .args(["-KILL", &victim.to_string()])
        .status()
        .unwrap()
        .success());
    let status = apply.wait().unwrap();
    assert!(!status.success(), "the interrupted apply must fail");

    let again = tf(
        &w,
        &platform,
        &[
            "apply",
            "-auto-approve",
            "-no-color",
            "-var-file=emulator.tfvars",
        ],
    );
    assert!(
        again.status.success(),
        "{}{}",
        String::from_utf8_lossy(&again.stdout),
        String::from_utf8_lossy(&again.stderr)
    );
    let plan = tf(
        &w,
        &platform,
        &[
            "plan",
            "-detailed-exitcode",
            "-no-color",
            "-var-file=emulator.tfvars",
        ],
    );
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&plan.stdout)
    );
    let found = inventory(&moto).await;
    for (what, n) in &found[..5] {
        let want = if *what == "ECR repositories" { 3 } else { 1 };
        assert_eq!(*n, want, "{what} duplicated or lost: {found:?}");
    }
}
