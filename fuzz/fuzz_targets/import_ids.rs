//! Import IDs and identities, as users type them into `terraform import`
//! and `import` blocks, for every onto resource type. The provider is not
//! configured, so nothing reaches AWS: an ID is parsed, refused with a
//! diagnostic, or found to need AWS — never a panic. (Most imports look up
//! the object first, so for them this covers the identity-to-ID step; the
//! registry and state backend parse their IDs whole.)
#![no_main]

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use tfplugin::resource::{ImportRequest, Resource};
use tfplugin::value::Value;

fn resources() -> &'static [Arc<dyn Resource>] {
    static RESOURCES: OnceLock<Vec<Arc<dyn Resource>>> = OnceLock::new();
    RESOURCES.get_or_init(|| terraform_provider_onto::provider().resources())
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest).into_owned();
    let resources = resources();
    let r = &resources[usize::from(pick) % resources.len()];
    // Half the inputs as an ID, half as an identity of the resource's own
    // identity schema, its parts taken from the text.
    let identity = (pick & 0x80 != 0).then(|| {
        let names: Vec<String> = r
            .identity_schema()
            .map(|s| s.attributes.into_iter().map(|a| a.name).collect())
            .unwrap_or_default();
        let mut parts = text.split(',');
        let id: BTreeMap<String, Value> = names
            .into_iter()
            .map(|n| (n, parts.next().map_or(Value::Null, Value::from)))
            .collect();
        Value::Object(id)
    });
    if let Some(id) = &identity {
        for key in ["name", "vpc_id", "bucket", "workspace_id"] {
            let _ = terraform_provider_onto::fuzzing::import_id(id.clone(), key);
        }
    }
    let req = ImportRequest {
        id: text,
        identity,
        stop: tfplugin::Stop::new(),
    };
    let _ = runtime().block_on(r.import(&req));
});
