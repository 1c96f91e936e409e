//! Shared pieces of the provider's acceptance tests: an emulator (moto with
//! onto's extension, `tools/emulator`) on a free loopback port per test,
//! the provider block pointing at it, SDK clients for changes made "out of
//! band", and the emulator's control API (AWS time passing, maintenance
//! windows, add-on health).

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tfplugin::testing::Workdir;

pub const SOURCE: &str = "onto-platform/onto";
pub const REGION: &str = "eu-west-1";

/// AWS's durations in the tests: 1/600 (an EKS cluster's ten minutes take
/// one second), so waiters wait without slowing the suite down.
pub const TIME_SCALE: &str = "1/600";

/// An emulator, stopped when dropped.
pub struct Emulator {
    child: Child,
    pub url: String,
}

fn emulator_binary() -> PathBuf {
    let start = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    start
        .ancestors()
        .map(|d| d.join(".tools/bin/emulator"))
        .find(|p| p.is_file())
        .expect("no emulator: run `make tools` (installs it into .tools/)")
}

impl Emulator {
    pub fn start() -> Emulator {
        Emulator::start_scaled(TIME_SCALE)
    }

    /// An emulator whose AWS durations are scaled by `time_scale` (a
    /// fraction such as `1/60`), for tests that need time to act in.
    pub fn start_scaled(time_scale: &str) -> Emulator {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(emulator_binary())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("ONTO_EMULATOR_TIME_SCALE", time_scale)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the emulator did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Emulator {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Calls the emulator's control API (`/onto-emulator/PATH`): a POST
    /// with `body`, or a GET without; the JSON answer.
    pub fn control(&self, path: &str, body: Option<serde_json::Value>) -> serde_json::Value {
        use std::io::{Read, Write};
        let addr = self.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(addr).expect("connect to the emulator");
        let request = match &body {
            Some(b) => {
                let b = b.to_string();
                format!("POST /onto-emulator/{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}", b.len())
            }
            None => format!(
                "GET /onto-emulator/{path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
            ),
        };
        stream.write_all(request.as_bytes()).expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("receive");
        let (head, json) = response.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(
            head.starts_with("HTTP/1.1 200"),
            "control {path}: {response}"
        );
        serde_json::from_str(json).expect("a JSON answer")
    }

    /// The provider block for this emulator.
    pub fn provider(&self, environment: &str) -> String {
        format!(
            "terraform {{\n  required_providers {{\n    onto = {{ source = \"{SOURCE}\" }}\n  }}\n}}\n\n\
             provider \"onto\" {{\n  region       = \"{REGION}\"\n  endpoint_url = \"{}\"\n  access_key   = \"test\"\n  secret_key   = \"test\"\n  environment  = \"{environment}\"\n  default_tags = {{ project = \"onto\" }}\n}}\n",
            self.url
        )
    }

    /// The provider block with an explicit stack identity (tests that
    /// leave objects behind as a lost create of that stack would).
    pub fn provider_in_stack(&self, environment: &str, stack: &str) -> String {
        self.provider(environment).replace(
            "  environment  =",
            &format!("  stack        = \"{stack}\"\n  environment  ="),
        )
    }

    pub async fn sdk(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(REGION))
            .endpoint_url(&self.url)
            .credentials_provider(aws_credential_types::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .load()
            .await
    }

    pub async fn ecr(&self) -> aws_sdk_ecr::Client {
        aws_sdk_ecr::Client::new(&self.sdk().await)
    }

    pub async fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk().await)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    pub async fn ec2(&self) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.sdk().await)
    }

    pub async fn rds(&self) -> aws_sdk_rds::Client {
        aws_sdk_rds::Client::new(&self.sdk().await)
    }

    /// An RDS client for another region.
    pub async fn rds_in(&self, region: &str) -> aws_sdk_rds::Client {
        let conf = aws_sdk_rds::config::Builder::from(&self.sdk().await)
            .region(aws_config::Region::new(region.to_owned()))
            .build();
        aws_sdk_rds::Client::from_conf(conf)
    }

    pub async fn elasticache(&self) -> aws_sdk_elasticache::Client {
        aws_sdk_elasticache::Client::new(&self.sdk().await)
    }

    pub async fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk().await)
    }

    /// A backend configuration file for `terraform init -backend-config=`.
    pub fn backend_file(&self, bucket: &str, lock: &str) -> String {
        let url = &self.url;
        format!(
            "bucket = \"{bucket}\"\nkey = \"platform.tfstate\"\nregion = \"{REGION}\"\n{lock}\nencrypt = true\n\
             access_key = \"test\"\nsecret_key = \"test\"\n\
             endpoints = {{ s3 = \"{url}\", dynamodb = \"{url}\", sts = \"{url}\", iam = \"{url}\" }}\n\
             use_path_style = true\nskip_credentials_validation = true\nskip_requesting_account_id = true\n\
             skip_metadata_api_check = true\nskip_region_validation = true\n"
        )
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn workdir() -> Workdir {
    let mut w = Workdir::new(
        env!("CARGO_MANIFEST_DIR"),
        SOURCE,
        env!("CARGO_BIN_EXE_terraform-provider-onto"),
    );
    // Keep AWS settings of the machine out of the tests.
    for var in [
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        w.env(var, "");
    }
    w.env("AWS_EC2_METADATA_DISABLED", "true");
    w
}

/// Copies a directory tree (modules and examples into a test's workdir).
pub fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// Plans and applies the current configuration with `TF_LOG=trace`, then
/// asserts `secret` appears in none of: the plan and apply output with
/// their trace logs, the plan JSON's values, and the state file.
pub fn apply_checking_secret(w: &Workdir, secret: &str) {
    let traced = |args: &[&str]| {
        let out = w.command(args).env("TF_LOG", "trace").output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let plan = traced(&["plan", "-out=tfplan", "-no-color"]);
    let mut plan_json: serde_json::Value =
        serde_json::from_str(&w.run(&["show", "-json", "tfplan"]).success().stdout()).unwrap();
    // "configuration" echoes the .tf source itself; every value section is checked.
    plan_json.as_object_mut().unwrap().remove("configuration");
    let apply = traced(&["apply", "-auto-approve", "-no-color", "tfplan"]);
    for (what, text) in [
        ("plan and its trace log", plan),
        ("plan JSON", plan_json.to_string()),
        ("apply and its trace log", apply),
        ("state", w.raw_state()),
    ] {
        let leaks: Vec<&str> = text.lines().filter(|l| l.contains(secret)).collect();
        assert!(
            leaks.is_empty(),
            "the secret leaked into the {what}: {leaks:?}"
        );
    }
}
