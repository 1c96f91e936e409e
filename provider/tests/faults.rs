//! Fault tolerance against the emulator, through a loopback proxy:
//! - about one request in five answered with a fault (503, throttling, a
//!   dropped connection) or delayed, before it reaches the emulator;
//! - every create's first response lost after the emulator carried it out;
//! - the provider killed (SIGKILL) in the middle of an apply;
//! - a create refused part way (the object tainted), then resumed.
//!
//! Each time the platform converges, a second plan is empty, and the
//! emulator holds exactly what a fault-free apply makes.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

use common::{copy_tree, workdir, Emulator};

type Body = Full<Bytes>;

/// What the proxy does to requests.
#[derive(Clone, Debug)]
enum Mode {
    /// Forward everything.
    Pass,
    /// About one request in five answered with a fault (503, throttling,
    /// a dropped connection) or delayed, before it reaches the emulator.
    Faults,
    /// The first request of each create operation reaches the emulator,
    /// which carries it out; then its response is lost (the connection is
    /// reset), as when a network drops an answer.
    LoseCreates,
    /// Requests of this operation are refused (an access denial).
    Refuse(&'static str),
}

/// What the proxy did, for the test's report.
#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    faults: AtomicU64,
    lost: Mutex<Vec<String>>,
}

struct Proxy {
    url: String,
    mode: Arc<Mutex<Mode>>,
    counts: Arc<Counts>,
}

impl Proxy {
    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }
}

/// A fault for request `n` (about one in five), chosen deterministically.
fn fault(n: u64) -> Option<u64> {
    let h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
    h.is_multiple_of(5).then_some((h / 5) % 4)
}

/// The AWS operation of a request: the query protocol's `Action`, the JSON
/// protocols' `X-Amz-Target`, or the REST routes onto creates with.
fn operation(method: &hyper::Method, path: &str, target: Option<&str>, body: &[u8]) -> String {
    if let Some(t) = target {
        return t.rsplit('.').next().unwrap_or(t).to_owned();
    }
    let text = String::from_utf8_lossy(body);
    if let Some(action) = text.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        return action.to_owned();
    }
    let segments: Vec<&str> = path
        .split('?')
        .next()
        .unwrap_or("")
        .trim_matches('/')
        .split('/')
        .collect();
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["clusters"]) => "CreateCluster".into(),
        ("POST", ["clusters", _, "node-groups"]) => "CreateNodegroup".into(),
        ("POST", ["clusters", _, "addons"]) => "CreateAddon".into(),
        ("POST", ["clusters", _, "access-entries"]) => "CreateAccessEntry".into(),
        ("POST", ["workspaces"]) => "CreateWorkspace".into(),
        ("PUT", [bucket]) if !bucket.is_empty() && !path.contains('?') => "CreateBucket".into(),
        _ => format!("{method} {path}"),
    }
}

fn is_create(op: &str) -> bool {
    op.starts_with("Create") || op == "AllocateAddress"
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

/// An EC2 access denial (the refusals onto must report, not retry).
fn denied() -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(
        "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>denied</RequestID></Response>",
    )));
    *r.status_mut() = StatusCode::FORBIDDEN;
    r
}

/// Starts the proxy in front of `upstream`.
async fn proxy(upstream: String, mode: Mode) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client: Client<_, Body> = Client::builder(TokioExecutor::new()).build_http();
    let counts = Arc::new(Counts::default());
    let mode = Arc::new(Mutex::new(mode));
    let (c, m) = (counts.clone(), mode.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let client = client.clone();
            let upstream = upstream.clone();
            let counts = c.clone();
            let mode = m.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let client = client.clone();
                    let upstream = upstream.clone();
                    let counts = counts.clone();
                    let mode = mode.lock().unwrap().clone();
                    async move {
                        let n = counts.requests.fetch_add(1, Ordering::Relaxed);
                        let header = |k: &str| {
                            req.headers()
                                .get(k)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_owned()
                        };
                        let ct = header("content-type");
                        let json = ct.contains("json") || ct.contains("cbor");
                        // Credential=KEY/DATE/REGION/SERVICE/aws4_request
                        let service = header("authorization")
                            .split('/')
                            .nth(3)
                            .unwrap_or("")
                            .to_owned();
                        let target = header("x-amz-target");
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
                        let op = operation(
                            &parts.method,
                            &path,
                            (!target.is_empty()).then_some(target.as_str()),
                            &body,
                        );
                        let mut lose = false;
                        match &mode {
                            Mode::Faults => match fault(n) {
                                // Faults come before the request reaches the emulator.
                                Some(k @ (0 | 1)) if !ct.contains("cbor") => {
                                    counts.faults.fetch_add(1, Ordering::Relaxed);
                                    return Ok::<_, std::io::Error>(error_response(
                                        k, &service, json,
                                    ));
                                }
                                Some(2) => {
                                    counts.faults.fetch_add(1, Ordering::Relaxed);
                                    return Err(std::io::Error::other(
                                        "connection reset by the fault proxy",
                                    ));
                                }
                                Some(3) => tokio::time::sleep(Duration::from_millis(300)).await,
                                _ => {}
                            },
                            Mode::LoseCreates if is_create(&op) => {
                                let mut lost = counts.lost.lock().unwrap();
                                if !lost.contains(&op) {
                                    lost.push(op.clone());
                                    lose = true;
                                }
                            }
                            Mode::Refuse(refused) if op == *refused => {
                                counts.faults.fetch_add(1, Ordering::Relaxed);
                                return Ok(denied());
                            }
                            _ => {}
                        }
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
                        if lose {
                            // Carried out by the emulator; the answer never arrives.
                            return Err(std::io::Error::other(format!(
                                "the response to {op} was lost"
                            )));
                        }
                        Ok(Response::from_parts(parts, Full::new(body)))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Proxy {
        url: format!("http://{addr}"),
        mode,
        counts,
    }
}

/// Objects of each kind in the emulator, to prove nothing is duplicated
/// or lost: compared with what a fault-free apply makes.
async fn inventory(moto: &Emulator) -> BTreeMap<&'static str, usize> {
    let sdk = moto.sdk().await;
    let ec2 = moto.ec2().await;
    let mut out = BTreeMap::new();
    let vpcs = ec2.describe_vpcs().send().await.unwrap();
    out.insert(
        "VPCs",
        vpcs.vpcs()
            .iter()
            .filter(|v| v.is_default() != Some(true))
            .count(),
    );
    let subnets = ec2.describe_subnets().send().await.unwrap();
    out.insert(
        "subnets",
        subnets
            .subnets()
            .iter()
            .filter(|s| s.default_for_az() != Some(true))
            .count(),
    );
    out.insert(
        "internet gateways",
        ec2.describe_internet_gateways()
            .send()
            .await
            .unwrap()
            .internet_gateways()
            .len(),
    );
    out.insert(
        "elastic IPs",
        ec2.describe_addresses()
            .send()
            .await
            .unwrap()
            .addresses()
            .len(),
    );
    out.insert(
        "NAT gateways",
        ec2.describe_nat_gateways()
            .send()
            .await
            .unwrap()
            .nat_gateways()
            .iter()
            .filter(|n| n.state().is_none_or(|s| s.as_str() != "deleted"))
            .count(),
    );
    out.insert(
        "route tables",
        ec2.describe_route_tables()
            .send()
            .await
            .unwrap()
            .route_tables()
            .len(),
    );
    out.insert(
        "VPC endpoints",
        ec2.describe_vpc_endpoints()
            .send()
            .await
            .unwrap()
            .vpc_endpoints()
            .len(),
    );
    out.insert(
        "security groups",
        ec2.describe_security_groups()
            .send()
            .await
            .unwrap()
            .security_groups()
            .len(),
    );
    out.insert(
        "RDS instances",
        moto.rds()
            .await
            .describe_db_instances()
            .send()
            .await
            .unwrap()
            .db_instances()
            .len(),
    );
    out.insert(
        "cache replication groups",
        moto.elasticache()
            .await
            .describe_replication_groups()
            .send()
            .await
            .unwrap()
            .replication_groups()
            .len(),
    );
    out.insert(
        "ECR repositories",
        moto.ecr()
            .await
            .describe_repositories()
            .send()
            .await
            .unwrap()
            .repositories()
            .len(),
    );
    out.insert(
        "EKS clusters",
        aws_sdk_eks::Client::new(&sdk)
            .list_clusters()
            .send()
            .await
            .unwrap()
            .clusters()
            .len(),
    );
    out.insert(
        "IAM roles",
        aws_sdk_iam::Client::new(&sdk)
            .list_roles()
            .send()
            .await
            .unwrap()
            .roles()
            .len(),
    );
    out.insert(
        "Prometheus workspaces",
        aws_sdk_amp::Client::new(&sdk)
            .list_workspaces()
            .send()
            .await
            .unwrap()
            .workspaces()
            .len(),
    );
    out
}

/// What a fault-free apply of the platform makes.
async fn reference() -> BTreeMap<&'static str, usize> {
    let moto = Emulator::start();
    let (w, platform) = platform_workdir(&moto.url);
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
        "{}",
        String::from_utf8_lossy(&apply.stderr)
    );
    inventory(&moto).await
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

fn apply_and_plan(w: &tfplugin::testing::Workdir, platform: &Path, what: &str) {
    let apply = tf(
        w,
        platform,
        &[
            "apply",
            "-auto-approve",
            "-no-color",
            "-var-file=emulator.tfvars",
        ],
    );
    assert!(
        apply.status.success(),
        "apply {what} failed:\n{}{}",
        String::from_utf8_lossy(&apply.stdout),
        String::from_utf8_lossy(&apply.stderr)
    );
    let plan = tf(
        w,
        platform,
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
        "second plan {what} not empty:\n{}{}",
        String::from_utf8_lossy(&plan.stdout),
        String::from_utf8_lossy(&plan.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_converges_through_a_faulty_network() {
    let want = reference().await;
    let moto = Emulator::start();
    let proxy = proxy(moto.url.clone(), Mode::Faults).await;
    let (w, platform) = platform_workdir(&proxy.url);
    assert!(tf(&w, &platform, &["workspace", "new", "dev", "-no-color"])
        .status
        .success());
    apply_and_plan(&w, &platform, "through the faulty proxy");
    let requests = proxy.counts.requests.load(Ordering::Relaxed);
    let faults = proxy.counts.faults.load(Ordering::Relaxed);
    assert!(
        faults * 10 >= requests,
        "too few faults injected: {faults} of {requests}"
    );
    assert_eq!(inventory(&moto).await, want, "duplicated or lost objects");
}

/// Every create's first response is lost after the emulator carried it
/// out: creates AWS cannot recognise as repeats (CreateVpc, CreateSubnet,
/// AllocateAddress, ...) are looked up by their tags, the others are
/// recognised as this stack's own. One apply converges with exactly one of
/// every object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_create_responses_make_no_twins() {
    let want = reference().await;
    let moto = Emulator::start();
    let proxy = proxy(moto.url.clone(), Mode::LoseCreates).await;
    let (w, platform) = platform_workdir(&proxy.url);
    assert!(tf(&w, &platform, &["workspace", "new", "dev", "-no-color"])
        .status
        .success());
    apply_and_plan(&w, &platform, "with lost responses");
    let lost = proxy.counts.lost.lock().unwrap().clone();
    for op in [
        "CreateVpc",
        "CreateSubnet",
        "CreateInternetGateway",
        "AllocateAddress",
        "CreateNatGateway",
        "CreateRouteTable",
        "CreateVpcEndpoint",
        "CreateSecurityGroup",
        "CreateDBInstance",
        "CreateReplicationGroup",
        "CreateCluster",
        "CreateRole",
        "CreateRepository",
    ] {
        assert!(lost.iter().any(|l| l == op), "{op} never lost: {lost:?}");
    }
    assert_eq!(inventory(&moto).await, want, "duplicated or lost objects");
}

/// A create that fails part way leaves a tainted object; the next apply
/// finishes that same object (within Terraform's rules: the replacement's
/// delete hands it over to the create) instead of rebuilding the network.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_create_is_resumed_not_replaced() {
    let moto = Emulator::start();
    let proxy = proxy(moto.url.clone(), Mode::Refuse("CreateNatGateway")).await;
    let mut w = workdir();
    w.config(
        &(moto.provider("dev").replace(&moto.url, &proxy.url)
            + "resource \"onto_network\" \"n\" {\n  name               = \"resume\"\n  cidr_block         = \"10.0.0.0/16\"\n  availability_zones = [\"eu-west-1a\", \"eu-west-1b\"]\n}\n"),
    );
    w.run(&["apply", "-auto-approve", "-no-color"])
        .failure("UnauthorizedOperation");
    let tainted = w.state();
    let vpc = tainted.attr("onto_network.n", "vpc_id");
    assert_eq!(
        tainted.resource("onto_network.n")["tainted"],
        serde_json::Value::Bool(true),
        "Terraform marks a failed create tainted"
    );
    proxy.set(Mode::Pass);
    // Terraform plans the tainted object's replacement ...
    assert_eq!(w.plan_actions()["onto_network.n"], ["delete", "create"]);
    // ... and the apply keeps and finishes it.
    let resumed = w.apply();
    assert!(
        resumed
            .combined()
            .contains("Resuming an interrupted create"),
        "{}",
        resumed.combined()
    );
    assert_eq!(
        w.state().attr("onto_network.n", "vpc_id"),
        vpc,
        "the same VPC, finished"
    );
    let vpcs = moto.ec2().await.describe_vpcs().send().await.unwrap();
    assert_eq!(
        vpcs.vpcs()
            .iter()
            .filter(|v| v.is_default() != Some(true))
            .count(),
        1,
        "no second network"
    );
    let nats = moto
        .ec2()
        .await
        .describe_nat_gateways()
        .send()
        .await
        .unwrap();
    assert_eq!(nats.nat_gateways().len(), 1);
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
    let moto = Emulator::start();
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
    let vpc_at_kill = ec2
        .describe_vpcs()
        .filters(owner.clone())
        .send()
        .await
        .unwrap()
        .vpcs()[0]
        .vpc_id()
        .unwrap()
        .to_owned();
    let victim = provider_child(apply.id()).expect("the provider process");
    assert!(std::process::Command::new("kill")
        .args(["-KILL", &victim.to_string()])
        .status()
        .unwrap()
        .success());
    let status = apply.wait().unwrap();
    assert!(!status.success(), "the interrupted apply must fail");

    apply_and_plan(&w, &platform, "after the kill");
    let shown = tf(
        &w,
        &platform,
        &[
            "state",
            "show",
            "-no-color",
            "module.network.onto_network.this",
        ],
    );
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains(&format!("\"{vpc_at_kill}\"")),
        "the network was rebuilt instead of finished"
    );
    let want = reference().await;
    assert_eq!(inventory(&moto).await, want, "duplicated or lost objects");
}

/// Ctrl-C during a long wait (an RDS instance `creating` for minutes of
/// AWS time): Terraform asks the provider to stop, the wait ends at once
/// with what exists saved in state, and the next apply finishes the same
/// instance instead of replacing it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_wait_saves_state_and_the_next_apply_resumes() {
    // Six AWS minutes of `creating` take 18 s: time to interrupt.
    let emulator = Emulator::start_scaled("1/20");
    let rds = emulator.rds().await;
    let mut w = workdir();
    w.config(
        &(emulator.provider("dev")
            + "resource \"onto_network\" \"n\" {\n  name               = \"n\"\n  cidr_block         = \"10.0.0.0/16\"\n  availability_zones = [\"eu-west-1a\", \"eu-west-1b\"]\n  nat_mode           = \"none\"\n}\n\nresource \"onto_db\" \"slow\" {\n  name       = \"slow\"\n  subnet_ids = onto_network.n.database_subnet_ids\n}\n"),
    );
    let apply = w
        .command(&["apply", "-auto-approve", "-no-color"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let creating = rds
            .describe_db_instances()
            .db_instance_identifier("slow")
            .send()
            .await
            .ok()
            .and_then(|o| o.db_instances().first().cloned())
            .is_some_and(|d| d.db_instance_status() == Some("creating"));
        if creating {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the instance never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let interrupted = std::time::Instant::now();
    assert!(std::process::Command::new("kill")
        .args(["-INT", &apply.id().to_string()])
        .status()
        .unwrap()
        .success());
    let out = apply.wait_with_output().unwrap();
    let stopped_in = interrupted.elapsed();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "the interrupted apply fails: {text}");
    // Terraform asks the provider to stop (StopProvider) and exits once
    // the apply returns: all of it within 2 s of the signal (here it takes
    // tens of milliseconds).
    assert!(
        stopped_in < Duration::from_secs(2),
        "Terraform took {stopped_in:?} to stop:\n{text}"
    );
    assert!(
        text.contains("Interrupted while waiting for database slow"),
        "{text}"
    );
    let state = w.state();
    assert_eq!(
        state.attr("onto_db.slow", "name"),
        "slow",
        "the partial instance is saved in state"
    );
    let status = rds
        .describe_db_instances()
        .db_instance_identifier("slow")
        .send()
        .await
        .unwrap();
    assert_eq!(
        status.db_instances()[0].db_instance_status(),
        Some("creating"),
        "AWS goes on creating"
    );

    let resumed = w.apply();
    assert!(
        resumed
            .combined()
            .contains("Resuming an interrupted create"),
        "{}",
        resumed.combined()
    );
    let timeline = emulator.control("timeline", None);
    let db_changes: Vec<&str> = timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "rds:db")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        db_changes,
        ["create"],
        "one instance, never deleted or made again"
    );
}
