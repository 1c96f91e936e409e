//! The stack identity: which configuration an object belongs to.
//!
//! Terraform never tells a provider which root module, workspace or backend
//! it serves, but it starts the provider in the root module's directory,
//! next to the working directory Terraform keeps (`.terraform`, or
//! `TF_DATA_DIR`). From there the default identity is:
//!
//! - with a remote backend, where its state lives: `s3://BUCKET/KEY` for
//!   the S3 backend, `TYPE:HASH` (of the backend settings) for others. The
//!   same on every machine and CI runner that works on the configuration;
//! - with local state, the root module's directory name and a hash of its
//!   absolute path (`local:platform-1a2b3c4d`);
//!
//! followed by `@WORKSPACE` (`TF_WORKSPACE`, or the selected workspace).
//! Two root modules, or two workspaces of one root, never share an
//! identity; re-running one root always gives the same one, so a create
//! whose response was lost is still found and resumed. The provider's
//! `stack` attribute replaces the default.

use std::path::{Path, PathBuf};

/// The longest identity kept whole; longer ones are shortened with a hash
/// (tag values are limited to 256 characters).
const MAX_LEN: usize = 200;

/// The default identity of the configuration this process serves.
pub fn detect() -> String {
    let root = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let data_dir = match std::env::var_os("TF_DATA_DIR").filter(|d| !d.is_empty()) {
        Some(d) => root.join(d),
        None => root.join(".terraform"),
    };
    let location = backend_location(&data_dir).unwrap_or_else(|| local_location(&root));
    let workspace = workspace(&data_dir);
    sanitize(&format!("{location}@{workspace}"))
}

/// The selected workspace: `TF_WORKSPACE`, else the one `terraform
/// workspace select` recorded, else `default`.
fn workspace(data_dir: &Path) -> String {
    std::env::var("TF_WORKSPACE")
        .ok()
        .filter(|w| !w.is_empty())
        .or_else(|| {
            std::fs::read_to_string(data_dir.join("environment"))
                .ok()
                .map(|w| w.trim().to_owned())
                .filter(|w| !w.is_empty())
        })
        .unwrap_or_else(|| "default".into())
}

/// Where a remote backend keeps the state, from the backend settings
/// `terraform init` saved. `None` for local state.
fn backend_location(data_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(data_dir.join("terraform.tfstate")).ok()?;
    let saved: serde_json::Value = serde_json::from_str(&text).ok()?;
    let backend = saved.get("backend")?;
    let kind = backend.get("type")?.as_str()?;
    let config = backend.get("config").cloned().unwrap_or_default();
    let field = |k: &str| {
        config
            .get(k)
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
    };
    match kind {
        "local" => field("path").map(|p| format!("local:{p}")),
        "s3" => Some(format!("s3://{}/{}", field("bucket")?, field("key")?)),
        other => Some(format!("{other}:{:08x}", fnv(&config.to_string()))),
    }
}

fn local_location(root: &Path) -> String {
    let name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".into());
    format!("local:{name}-{:08x}", fnv(&root.to_string_lossy()))
}

/// Keeps the characters every AWS service accepts in tag values, and
/// shortens very long identities.
pub fn sanitize(raw: &str) -> String {
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " _.:/=+-@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.len() <= MAX_LEN {
        return clean;
    }
    let mut cut = MAX_LEN - 9;
    while !clean.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}~{:08x}", &clean[..cut], fnv(raw)).replace('~', "-")
}

/// A short hash of a stack identity, for names that must stay short
/// (replication rule ids, markers).
pub fn short_hash(id: &str) -> String {
    format!("{:08x}", fnv(id))
}

/// FNV-1a: stable across builds and platforms, no dependency.
fn fnv(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s3_backend_names_bucket_and_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("terraform.tfstate"),
            r#"{"version":3,"backend":{"type":"s3","config":{"bucket":"state","key":"platform.tfstate","region":"eu-west-1"}}}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("environment"), "staging\n").unwrap();
        assert_eq!(
            backend_location(dir.path()).as_deref(),
            Some("s3://state/platform.tfstate")
        );
        assert_eq!(workspace(dir.path()), "staging");
    }

    #[test]
    fn local_state_differs_by_directory() {
        let a = local_location(Path::new("/work/a/platform"));
        let b = local_location(Path::new("/work/b/platform"));
        assert!(a.starts_with("local:platform-"));
        assert_ne!(a, b);
    }

    #[test]
    fn identities_fit_in_a_tag_value() {
        assert_eq!(sanitize("s3://b/k#x@dev"), "s3://b/k_x@dev");
        let long = sanitize(&"x".repeat(300));
        assert!(long.len() <= MAX_LEN, "{}", long.len());
        assert_ne!(long, sanitize(&"x".repeat(301)));
    }
}
