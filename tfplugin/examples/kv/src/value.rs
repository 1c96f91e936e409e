//! `kv_value`: the smallest useful resource — a named string. It is the
//! template to copy for a new resource, and the benchmark subject (its
//! schema is the size of Terraform's built-in `terraform_data`).

use std::collections::BTreeMap;

use async_trait::async_trait;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::resource::{ApplyRequest, ImportRequest, MoveRequest, ReadRequest, Resource};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::value::Value;

use crate::store::{new_id, Record};
use crate::Shared;

pub struct KvValue(pub Shared);

fn state(r: &Record) -> Value {
    Value::Object(BTreeMap::from([
        ("id".to_owned(), r.id.clone().into()),
        ("name".to_owned(), r.name.clone().into()),
        ("value".to_owned(), r.value.clone().into()),
    ]))
}

fn io(e: std::io::Error) -> Diagnostics {
    Diagnostic::error("Store access failed", e.to_string()).into()
}

#[async_trait]
impl Resource for KvValue {
    fn type_name(&self) -> &str {
        "kv_value"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .describe("A named string in the store.")
                .attribute(Attribute::string("name").required().requires_replace())
                .attribute(Attribute::string("value").optional())
                .attribute(Attribute::string("id").computed().use_state_for_unknown()),
        )
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        let name = req
            .config
            .get("name")
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let value = req.config.get("value").as_str().map(str::to_owned);
        let r = Record {
            id: new_id(),
            name,
            value,
            kind: "value".into(),
            ..Record::default()
        };
        self.0.store()?.put(&r).map_err(io)?;
        Ok(state(&r))
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let name = req.state.get("name").as_str().unwrap_or_default();
        Ok(self.0.store()?.get(name).map_err(io)?.as_ref().map(state))
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        let store = self.0.store()?;
        let name = req.prior.get("name").as_str().unwrap_or_default();
        let mut r = store.get(name).map_err(io)?.unwrap_or_default();
        r.name = name.to_owned();
        r.value = req.config.get("value").as_str().map(str::to_owned);
        store.put(&r).map_err(io)?;
        Ok(state(&r))
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let name = req.prior.get("name").as_str().unwrap_or_default();
        self.0.store()?.delete(name).map_err(io)
    }

    fn accepts_moves(&self) -> bool {
        true
    }

    /// A `kv_item` can become a `kv_value` with a `moved` block: both name
    /// the same stored record.
    fn move_state(&self, req: &MoveRequest) -> Result<Value> {
        if req.source_type != "kv_item" || !req.source_provider.ends_with("onto-platform/kv") {
            return Err(Diagnostic::error(
                "Unsupported move",
                format!(
                    "kv_value can take state only from kv_item, not {}.",
                    req.source_type
                ),
            )
            .into());
        }
        let field = |k: &str| {
            req.source_state
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        Ok(Value::Object(BTreeMap::from([
            ("id".to_owned(), field("id").into()),
            ("name".to_owned(), field("name").into()),
            ("value".to_owned(), field("value").into()),
        ])))
    }

    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        Ok(Value::Object(BTreeMap::from([
            ("id".to_owned(), Value::Null),
            ("name".to_owned(), req.id.clone().into()),
            ("value".to_owned(), Value::Null),
        ])))
    }
}
