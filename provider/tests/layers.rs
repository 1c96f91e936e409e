//! The layering rule ARCHITECTURE.md states: resources, actions, data
//! sources and ephemeral resources never send an AWS request themselves;
//! the AWS layer (`src/aws/`) does, with the token, retry and ownership
//! rule that go with it.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_aws_layer_sends_requests() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in ["resources", "actions", "data_sources", "ephemeral"] {
        rust_files(&src.join(dir), &mut files);
    }
    assert!(files.len() > 10, "found only {files:?}");
    let mut offenders = Vec::new();
    for file in files {
        // Unit tests drive the AWS layer through mocked clients.
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read a source file");
        // The unit tests at the end of a file (`#[cfg(test)] mod tests`).
        let code = text
            .split("#[cfg(test)]\nmod tests")
            .next()
            .unwrap_or_default();
        for (i, line) in code.lines().enumerate() {
            if line.contains(".send()") {
                offenders.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "AWS requests sent outside src/aws/:\n{}",
        offenders.join("\n")
    );
}
