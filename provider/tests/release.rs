//! The release packaging (`scripts/package.py`, used by `make release`):
//! the zip installs through a filesystem mirror with `terraform init`, and
//! the lock file records the package's hash; the manifest declares
//! protocol 6.0 and SHA256SUMS covers the files.

use std::path::PathBuf;
use std::process::Command;

use aws_smithy_types::base64;

fn sha256_hex(bytes: &[u8]) -> String {
    sha256(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

#[test]
fn packaged_zip_installs_from_a_mirror_with_its_hash_locked() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let tmp = tempfile::tempdir().unwrap();
    let version = "9.8.7";
    let mirror = tmp
        .path()
        .join("mirror/registry.terraform.io/onto-platform/onto");
    std::fs::create_dir_all(&mirror).unwrap();
    let out = Command::new("python3")
        .arg(repo.join("scripts/package.py"))
        // A debug build: the 40 MiB limit applies to release builds (make release).
        .args(["--version", version, "--strip", "--max-mib", "200", "--out"])
        .arg(&mirror)
        .arg("--binary")
        .arg(format!(
            "linux_amd64={}",
            env!("CARGO_BIN_EXE_terraform-provider-onto")
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let zip_name = format!("terraform-provider-onto_{version}_linux_amd64.zip");
    let zip = std::fs::read(mirror.join(&zip_name)).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(mirror.join(format!("terraform-provider-onto_{version}_manifest.json")))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["metadata"]["protocol_versions"],
        serde_json::json!(["6.0"])
    );
    let sums = std::fs::read_to_string(
        mirror.join(format!("terraform-provider-onto_{version}_SHA256SUMS")),
    )
    .unwrap();
    assert!(
        sums.contains(&format!("{}  {zip_name}", sha256_hex(&zip))),
        "{sums}"
    );

    // Only the zip belongs in a packed mirror.
    for f in ["manifest.json", "SHA256SUMS"] {
        std::fs::remove_file(mirror.join(format!("terraform-provider-onto_{version}_{f}")))
            .unwrap();
    }
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(
        work.join("main.tf"),
        format!("terraform {{\n  required_providers {{\n    onto = {{\n      source  = \"onto-platform/onto\"\n      version = \"{version}\"\n    }}\n  }}\n}}\n"),
    )
    .unwrap();
    let cli = tmp.path().join("cli.tfrc");
    std::fs::write(
        &cli,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
            tmp.path().join("mirror").display()
        ),
    )
    .unwrap();
    let init = Command::new(tfplugin::testing::terraform_cli(&repo))
        .args(["init", "-no-color"])
        .current_dir(&work)
        .env("TF_CLI_CONFIG_FILE", &cli)
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}{}",
        String::from_utf8_lossy(&init.stdout),
        String::from_utf8_lossy(&init.stderr)
    );
    assert!(String::from_utf8_lossy(&init.stdout)
        .contains(&format!("Installed onto-platform/onto v{version}")));

    // h1: the hash of the package's contents (one file: the binary).
    let (entry_hash, entry_name) = zip_entry(&zip);
    assert_eq!(entry_name, format!("terraform-provider-onto_v{version}"));
    let lock = std::fs::read_to_string(work.join(".terraform.lock.hcl")).unwrap();
    let h1 = format!(
        "h1:{}",
        base64::encode(sha256(format!("{entry_hash}  {entry_name}\n").as_bytes()))
    );
    assert!(
        lock.contains(&format!("version     = \"{version}\"")),
        "{lock}"
    );
    assert!(lock.contains(&h1), "lock file lacks {h1}:\n{lock}");
}

/// The (sha256 hex, name) of the zip's single entry, read with Python's
/// zipfile (no zip crate needed for one check).
fn zip_entry(zip: &[u8]) -> (String, String) {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), zip).unwrap();
    let out = Command::new("python3")
        .args([
            "-c",
            "import hashlib,sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); n=z.namelist()[0]; print(hashlib.sha256(z.read(n)).hexdigest(), n)",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let (hash, name) = text.split_once(' ').unwrap();
    (hash.to_owned(), name.to_owned())
}

/// `make install`: the provider lands in Terraform's implicit local mirror
/// (`~/.terraform.d/plugins`), where `terraform init` finds it with no CLI
/// configuration at all.
#[test]
fn make_install_puts_the_provider_where_terraform_init_finds_it() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg(repo.join("scripts/install.sh"))
        .env("HOME", home.path())
        // The build is the script's first step; the test installs the
        // provider it was built with.
        .env("BINARY", env!("CARGO_BIN_EXE_terraform-provider-onto"))
        .env_remove("PLUGINS_DIR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let work = home.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(
        work.join("main.tf"),
        "terraform {\n  required_providers {\n    onto = { source = \"onto-platform/onto\" }\n  }\n}\n",
    )
    .unwrap();
    let init = Command::new(tfplugin::testing::terraform_cli(&repo))
        .args(["init", "-no-color"])
        .current_dir(&work)
        .env("HOME", home.path())
        .env_remove("TF_CLI_CONFIG_FILE")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&init.stdout),
        String::from_utf8_lossy(&init.stderr)
    );
    assert!(init.status.success(), "{text}");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        text.contains(&format!("Installed onto-platform/onto v{version}")),
        "{text}"
    );
}
