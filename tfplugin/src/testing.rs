//! Acceptance testing against the real `terraform` CLI, in the spirit of
//! terraform-plugin-testing.
//!
//! Each [`Workdir`] is a fresh directory with its own CLI configuration that
//! points Terraform at the provider binary under test through
//! `dev_overrides`, so tests run in parallel without sharing state.
//!
//! ```no_run
//! use tfplugin::testing::Workdir;
//! let mut w = Workdir::new(env!("CARGO_MANIFEST_DIR"), "onto-platform/kv", "/path/to/terraform-provider-kv");
//! w.config(r#"resource "kv_item" "a" { name = "a" }"#);
//! w.apply();                       // also checks that a second plan is empty
//! assert_eq!(w.state().attr("kv_item.a", "name"), "a");
//! w.destroy();
//! ```
//!
//! The CLI is `$TERRAFORM` when set, else `.tools/bin/terraform` in the
//! workspace (installed by `make tools`). A missing CLI fails the test
//! loudly: acceptance tests are never skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value as Json;

/// A Terraform working directory for one test.
pub struct Workdir {
    dir: tempfile::TempDir,
    terraform: PathBuf,
    cli_config: PathBuf,
    env: Vec<(String, String)>,
    source: String,
    binary: PathBuf,
}

/// Finds the Terraform CLI, or panics with instructions.
pub fn terraform_cli(start: &Path) -> PathBuf {
    if let Ok(t) = std::env::var("TERRAFORM") {
        let p = PathBuf::from(t);
        assert!(p.is_file(), "TERRAFORM={} does not exist", p.display());
        return p;
    }
    for dir in start.ancestors() {
        let p = dir.join(".tools/bin/terraform");
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "no Terraform CLI: run `make tools` (installs Terraform into .tools/) or set TERRAFORM to a terraform binary"
    );
}

impl Workdir {
    /// `source` is the provider's source address without host
    /// (`namespace/type`); `binary` is the provider executable.
    pub fn new(start: impl AsRef<Path>, source: &str, binary: impl AsRef<Path>) -> Workdir {
        let terraform = terraform_cli(start.as_ref());
        let dir = tempfile::Builder::new()
            .prefix("tfplugin-test-")
            .tempdir()
            .expect("create a temporary directory");
        let bin_dir = binary
            .as_ref()
            .parent()
            .expect("provider binary has a directory");
        let cli_config = dir.path().join("cli.tfrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"{source}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                bin_dir.display()
            ),
        )
        .expect("write CLI config");
        Workdir {
            dir,
            terraform,
            cli_config,
            env: Vec::new(),
            source: source.to_owned(),
            binary: binary.as_ref().to_path_buf(),
        }
    }

    /// Installs the provider through a `filesystem_mirror` (as version
    /// `version`) instead of `dev_overrides`, so `terraform init` installs
    /// it and writes the lock file — needed when a backend's state already
    /// names the provider, which `dev_overrides` does not cover.
    pub fn use_mirror(&mut self, version: &str) -> &mut Self {
        let mirror = self.dir.path().join("mirror");
        let (namespace, kind) = self
            .source
            .split_once('/')
            .expect("source is namespace/type");
        let platform = format!("{}_{}", std::env::consts::OS, go_arch());
        let dir = mirror.join(format!(
            "registry.terraform.io/{namespace}/{kind}/{version}/{platform}"
        ));
        std::fs::create_dir_all(&dir).expect("create mirror");
        let exe = dir.join(format!("terraform-provider-{kind}_v{version}"));
        std::os::unix::fs::symlink(&self.binary, &exe).expect("link provider into mirror");
        std::fs::write(
            &self.cli_config,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/{}\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/{}\"]\n  }}\n}}\n",
                mirror.display(),
                self.source,
                self.source
            ),
        )
        .expect("write CLI config");
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Sets an environment variable for every command.
    pub fn env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Replaces the configuration (`main.tf`).
    pub fn config(&mut self, hcl: &str) -> &mut Self {
        std::fs::write(self.dir.path().join("main.tf"), hcl).expect("write main.tf");
        self
    }

    /// A `terraform` command ready to run in this directory.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.terraform);
        c.args(args)
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs a command and returns its output, whatever the exit code.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().expect("run terraform");
        Run {
            args: args.join(" "),
            out,
        }
    }

    /// Applies and asserts success, then asserts that a second plan is empty.
    pub fn apply(&mut self) -> Run {
        let r = self.run(&["apply", "-auto-approve", "-no-color"]).success();
        self.assert_no_changes();
        r
    }

    /// Applies and asserts failure with `message` in the output.
    pub fn apply_fails(&mut self, message: &str) -> Run {
        self.run(&["apply", "-auto-approve", "-no-color"])
            .failure(message)
    }

    /// Asserts that a refresh-and-plan finds nothing to do.
    pub fn assert_no_changes(&self) {
        let r = self.run(&["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(
            r.out.status.code(),
            Some(0),
            "expected an empty plan after apply, got:\n{}",
            r.combined()
        );
    }

    /// Plans and returns the actions per resource address, e.g.
    /// `{"kv_item.a": ["update"]}`.
    pub fn plan_actions(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        self.run(&["plan", "-out=tfplan", "-no-color"]).success();
        let show = self.run(&["show", "-json", "tfplan"]).success();
        let json: Json = serde_json::from_slice(&show.out.stdout).expect("plan JSON");
        json["resource_changes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|rc| {
                let actions = rc["change"]["actions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(str::to_owned))
                    .collect();
                (
                    rc["address"].as_str().unwrap_or_default().to_owned(),
                    actions,
                )
            })
            .collect()
    }

    /// Plans and returns, for `address`, the top-level attributes whose
    /// planned value differs from the current one (or becomes unknown) —
    /// to assert that a plan proposes exactly the expected fix.
    pub fn planned_attribute_changes(&self, address: &str) -> std::collections::BTreeSet<String> {
        self.run(&["plan", "-out=tfplan", "-no-color"]).success();
        let show = self.run(&["show", "-json", "tfplan"]).success();
        let json: Json = serde_json::from_slice(&show.out.stdout).expect("plan JSON");
        let change = json["resource_changes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|rc| rc["address"] == address)
            .map(|rc| rc["change"].clone())
            .unwrap_or_else(|| panic!("{address} has no planned change"));
        let empty = serde_json::Map::new();
        let before = change["before"].as_object().unwrap_or(&empty);
        let after = change["after"].as_object().unwrap_or(&empty);
        let unknown = change["after_unknown"].as_object().unwrap_or(&empty);
        before
            .keys()
            .chain(after.keys())
            .filter(|k| before.get(*k) != after.get(*k) || unknown.get(*k).is_some_and(any_true))
            .cloned()
            .collect()
    }

    /// The current state as `terraform show -json` reports it.
    pub fn state(&self) -> State {
        let show = self.run(&["show", "-json"]).success();
        State(serde_json::from_slice(&show.out.stdout).expect("state JSON"))
    }

    /// The raw state file (for checking what is and is not stored).
    pub fn raw_state(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("terraform.tfstate")).unwrap_or_default()
    }

    /// Imports `id` into `address`, then checks that the imported state
    /// matches the current one except for `ignore`d attributes (those that
    /// only configuration knows).
    pub fn import_verify(&mut self, address: &str, id: &str, ignore: &[&str]) {
        let before = self.state().resource(address).clone();
        self.run(&["state", "rm", address]).success();
        self.run(&["import", "-no-color", address, id]).success();
        let after = self.state().resource(address).clone();
        for (k, v) in before["values"].as_object().into_iter().flatten() {
            if ignore.contains(&k.as_str()) {
                continue;
            }
            assert_eq!(
                &after["values"][k], v,
                "imported {address}.{k} differs from the applied state"
            );
        }
    }

    pub fn destroy(&mut self) -> Run {
        self.run(&["destroy", "-auto-approve", "-no-color"])
            .success()
    }
}

/// Whether an `after_unknown` entry marks anything unknown.
fn any_true(v: &Json) -> bool {
    match v {
        Json::Bool(b) => *b,
        Json::Array(a) => a.iter().any(any_true),
        Json::Object(o) => o.values().any(any_true),
        _ => false,
    }
}

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// The output of one Terraform command.
pub struct Run {
    pub args: String,
    pub out: Output,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }

    pub fn combined(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.out.stdout),
            String::from_utf8_lossy(&self.out.stderr)
        )
    }

    /// Asserts exit code 0.
    pub fn success(self) -> Run {
        assert!(
            self.out.status.success(),
            "terraform {} failed:\n{}",
            self.args,
            self.combined()
        );
        self
    }

    /// Asserts failure with `message` somewhere in the output.
    pub fn failure(self, message: &str) -> Run {
        assert!(
            !self.out.status.success(),
            "terraform {} succeeded, expected an error",
            self.args
        );
        let all = self.combined();
        let flat = all.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(message),
            "expected {message:?} in the output of terraform {}:\n{all}",
            self.args
        );
        self
    }

    /// Like [`failure`](Run::failure), and the error is on `attribute`:
    /// Terraform quotes the configuration line the diagnostic's path points
    /// to (`  12:   attribute = ...`).
    #[track_caller]
    pub fn failure_at(self, message: &str, attribute: &str) -> Run {
        let run = self.failure(message);
        let all = run.combined();
        assert!(
            all.lines()
                .any(|l| l.split_once(": ").is_some_and(|(n, rest)| n
                    .trim_start_matches(['│', ' '])
                    .chars()
                    .all(|c| c.is_ascii_digit())
                    && rest.trim_start().starts_with(attribute)
                    && rest.trim_start()[attribute.len()..]
                        .trim_start()
                        .starts_with(['=', '{']))),
            "the error {message:?} is not on {attribute}:\n{all}"
        );
        run
    }
}

/// State JSON from `terraform show -json`.
pub struct State(pub Json);

impl State {
    /// The resource object at `address` (panics if absent).
    pub fn resource(&self, address: &str) -> &Json {
        self.find(address)
            .unwrap_or_else(|| panic!("{address} is not in state:\n{:#}", self.0))
    }

    pub fn find(&self, address: &str) -> Option<&Json> {
        self.0["values"]["root_module"]["resources"]
            .as_array()?
            .iter()
            .find(|r| r["address"] == address)
    }

    /// An attribute value rendered as a string (strings unquoted).
    pub fn attr(&self, address: &str, name: &str) -> String {
        match &self.resource(address)["values"][name] {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    pub fn output(&self, name: &str) -> &Json {
        &self.0["values"]["outputs"][name]["value"]
    }
}
