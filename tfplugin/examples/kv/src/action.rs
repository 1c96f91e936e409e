//! `kv_touch`: an action that marks an item as touched, reporting progress.

use async_trait::async_trait;
use tfplugin::action::{Action, Progress};
use tfplugin::diag::{Diagnostic, Result};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::value::Value;
use tfplugin::Stop;

use crate::Shared;

pub struct Touch(pub Shared);

#[async_trait]
impl Action for Touch {
    fn type_name(&self) -> &str {
        "kv_touch"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .describe("Increments an item's touch counter.")
                .attribute(
                    Attribute::string("name")
                        .required()
                        .describe("The item to touch."),
                ),
        )
    }

    async fn invoke(&self, config: &Value, progress: &Progress, _stop: &Stop) -> Result<()> {
        let store = self.0.store()?;
        let name = config.get("name").as_str().unwrap_or_default().to_owned();
        progress.report(format!("touching {name}")).await;
        let mut r = store
            .get(&name)
            .map_err(|e| Diagnostic::error("Store read failed", e.to_string()))?
            .ok_or_else(|| {
                Diagnostic::error("No such item", format!("There is no item named {name:?}."))
            })?;
        r.touches += 1;
        store
            .put(&r)
            .map_err(|e| Diagnostic::error("Store write failed", e.to_string()))?;
        progress
            .report(format!("{name} touched {} times", r.touches))
            .await;
        Ok(())
    }
}
