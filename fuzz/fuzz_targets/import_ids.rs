//! Import IDs and identities, as users type them into `terraform import`
//! and `import` blocks, for every onto resource type. The provider is not
//! configured, so nothing reaches AWS: an ID is parsed, refused with a
//! diagnostic, or found to need AWS — never a panic.
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
    // Half the inputs as an ID, half as an identity made of the text's parts.
    let identity = (pick & 0x80 != 0).then(|| {
        let mut parts = text.splitn(3, ',');
        let mut id = BTreeMap::new();
        for key in ["name", "region", "dr_region"] {
            id.insert(
                key.to_owned(),
                parts.next().map_or(Value::Null, Value::from),
            );
        }
        Value::Object(id)
    });
    if let Some(id) = &identity {
        let _ = terraform_provider_onto::fuzzing::import_id(id.clone(), "name");
    }
    let req = ImportRequest {
        id: text,
        identity,
        stop: tfplugin::Stop::new(),
    };
    let _ = runtime().block_on(r.import(&req));
});
