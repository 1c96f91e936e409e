//! `docs/` is generated from the provider's schemas and `examples/`; this
//! test fails when it is stale. `make docs` regenerates it.

use std::path::Path;

#[test]
fn generated_docs_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut pages = tfplugin::docs::render(
        terraform_provider_onto::provider().as_ref(),
        &root.join("examples"),
    );
    pages.insert(
        "guides/environment-profiles.md".into(),
        terraform_provider_onto::profile::markdown(),
    );
    assert!(pages.contains_key(Path::new("index.md")));
    assert!(pages.contains_key(Path::new("resources/registry.md")));
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let stale =
        tfplugin::docs::sync(&pages, &root.join("docs"), !update).expect("read or write docs/");
    assert!(
        update || stale.is_empty(),
        "docs/ is stale ({stale:?}): run `make docs` and commit the result"
    );
}
