//! The msgpack and JSON decoders against the provider's real schemas:
//! whatever Terraform (or a damaged plan file) sends, decoding fails with an
//! error or yields a value that encodes and decodes back to itself.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tfplugin::value::{from_json, from_msgpack, to_json, to_msgpack, Type};

/// Every resource, data source and provider schema of onto, as value types.
fn types() -> &'static [Type] {
    static TYPES: OnceLock<Vec<Type>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let p = terraform_provider_onto::provider();
        let mut types = vec![p.schema().ty(), Type::Dynamic];
        types.extend(p.resources().iter().map(|r| r.schema().ty()));
        types.extend(p.data_sources().iter().map(|d| d.schema().ty()));
        types.extend(p.list_resources().iter().map(|l| l.schema().ty()));
        types
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let types = types();
    let ty = &types[usize::from(pick >> 1) % types.len()];
    if pick & 1 == 0 {
        if let Ok(v) = from_msgpack(bytes, ty) {
            let again = to_msgpack(&v, ty).expect("a decoded value encodes");
            assert_eq!(from_msgpack(&again, ty).expect("its encoding decodes"), v);
        }
    } else if let Ok(v) = from_json(bytes, ty) {
        let again = to_json(&v, ty).expect("a decoded value encodes");
        assert_eq!(from_json(&again, ty).expect("its encoding decodes"), v);
    }
});
