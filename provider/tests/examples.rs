//! Every documentation example under `examples/` is valid configuration
//! for the provider as built.

mod common;

use std::path::Path;

#[test]
fn documentation_examples_validate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let provider = std::fs::read_to_string(root.join("provider/provider.tf")).unwrap();
    let mut checked = 0;
    for kind in [
        "resources",
        "data-sources",
        "ephemeral-resources",
        "actions",
    ] {
        for entry in std::fs::read_dir(root.join(kind)).unwrap() {
            let dir = entry.unwrap().path();
            for file in std::fs::read_dir(&dir).unwrap() {
                let file = file.unwrap().path();
                if file.extension().is_some_and(|e| e == "tf") {
                    let mut w = common::workdir();
                    w.env("TF_WORKSPACE", "dev");
                    w.config(&format!(
                        "{provider}\n{}",
                        std::fs::read_to_string(&file).unwrap()
                    ));
                    let r = w.run(&["validate", "-no-color"]);
                    assert!(
                        r.out.status.success(),
                        "{} is invalid:\n{}",
                        file.display(),
                        r.combined()
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 3, "only {checked} examples found");
}

/// Every `list` example (docs/list-resources) is a valid query file.
#[test]
fn list_examples_validate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let provider = std::fs::read_to_string(root.join("provider/provider.tf")).unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(root.join("list-resources")).unwrap() {
        let file = entry.unwrap().path().join("query.tfquery.hcl");
        let mut w = common::workdir();
        w.env("TF_WORKSPACE", "dev");
        w.config(&provider);
        std::fs::copy(&file, w.path().join("query.tfquery.hcl")).unwrap();
        let r = w.run(&["validate", "-query", "-no-color"]);
        assert!(
            r.out.status.success(),
            "{} is invalid:\n{}",
            file.display(),
            r.combined()
        );
        checked += 1;
    }
    assert_eq!(checked, 8, "one list example per resource type");
}
