//! Resource identities: the few attributes that name an AWS object. Terraform
//! stores them beside the state, `import` blocks may give one instead of an
//! ID, and `terraform query` lists objects by them.
//!
//! Every onto identity is a name (or AWS id) and the region; an identity
//! turns into the same string `terraform import` takes, so both paths run
//! the same import code.

use std::collections::BTreeMap;

use tfplugin::resource::ImportRequest;
use tfplugin::schema::{IdentityAttribute, IdentitySchema};
use tfplugin::value::{Type, Value};

/// One identity attribute: its name, whether an `import` block must give
/// it, and what it is.
pub type Part = (&'static str, bool, &'static str);

/// The region part every identity has.
pub const REGION: Part = ("region", false, "Region; the provider's by default.");

pub fn schema(parts: &[Part]) -> IdentitySchema {
    IdentitySchema {
        version: 0,
        attributes: parts
            .iter()
            .map(|&(name, required, description)| IdentityAttribute {
                name: name.into(),
                ty: Type::String,
                required_for_import: required,
                description: description.into(),
            })
            .collect(),
    }
}

/// The identity of the object a state describes.
pub fn of(state: &Value, parts: &[Part]) -> Value {
    Value::Object(
        parts
            .iter()
            .map(|&(name, _, _)| (name.to_owned(), state.get(name).clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// An identity from its parts (for listings).
pub fn from_parts(parts: &[(&str, &str)]) -> Value {
    Value::Object(
        parts
            .iter()
            .map(|&(k, v)| (k.to_owned(), Value::from(v)))
            .collect(),
    )
}

/// The import ID an import stands for: the ID given, or `REGION:KEY` made
/// from the identity (just `KEY` when it has no region).
pub fn import_id(req: &ImportRequest, key: &str) -> String {
    match &req.identity {
        None => req.id.clone(),
        Some(id) => {
            let k = id.get(key).as_str().unwrap_or_default();
            match id.get("region").as_str() {
                Some(r) if !r.is_empty() => format!("{r}:{k}"),
                _ => k.to_owned(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::Stop;

    #[test]
    fn an_identity_becomes_the_import_id() {
        let req = |identity| ImportRequest {
            id: String::new(),
            identity,
            stop: Stop::new(),
        };
        let with_region = from_parts(&[("name", "editor"), ("region", "eu-west-1")]);
        assert_eq!(
            import_id(&req(Some(with_region)), "name"),
            "eu-west-1:editor"
        );
        let bare = Value::Object(BTreeMap::from([
            ("name".to_owned(), Value::from("editor")),
            ("region".to_owned(), Value::Null),
        ]));
        assert_eq!(import_id(&req(Some(bare)), "name"), "editor");
        let by_id = ImportRequest {
            id: "us-east-1:x".into(),
            identity: None,
            stop: Stop::new(),
        };
        assert_eq!(import_id(&by_id, "name"), "us-east-1:x");
    }
}
