//! `terraform-provider-kv`: the tfplugin example provider.
//!
//! A key/value store kept as JSON files in a local directory. Small, but it
//! exercises what real providers need: nested blocks and attributes, sets,
//! sensitive and write-only values, replacement, import, a state upgrade,
//! cancellation, a data source, a provider function, an ephemeral resource
//! and an action.

mod action;
mod ephemeral;
mod function;
mod item;
mod store;
mod value;

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use tfplugin::diag::{Diagnostic, Result};
use tfplugin::provider::{ConfigureRequest, Provider};
use tfplugin::schema::{Attribute, Block, Schema};

use store::Store;

/// The store, set once the provider is configured.
#[derive(Clone, Default)]
pub struct Shared(Arc<OnceLock<Store>>);

impl Shared {
    pub fn store(&self) -> Result<&Store> {
        self.0.get().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "The kv provider needs `directory` before it can work.",
            )
            .into()
        })
    }
}

struct KvProvider {
    shared: Shared,
}

#[async_trait]
impl Provider for KvProvider {
    fn type_name(&self) -> &str {
        "kv"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .describe("Stores items as JSON files in a local directory.")
                .attribute(
                    Attribute::string("directory")
                        .required()
                        .describe("Directory that holds the items."),
                ),
        )
    }

    async fn configure(&self, req: ConfigureRequest) -> Result<()> {
        let Some(dir) = req.config.get("directory").as_str() else {
            // Unknown until apply: plan without touching the store.
            return Ok(());
        };
        let store = Store::open(dir.into()).map_err(|e| {
            Diagnostic::error("Cannot open the store", format!("{dir}: {e}"))
                .at(tfplugin::value::AttributePath::attr("directory"))
        })?;
        let _ = self.shared.0.set(store);
        Ok(())
    }

    fn resources(&self) -> Vec<Arc<dyn tfplugin::resource::Resource>> {
        vec![
            Arc::new(item::Item(self.shared.clone())),
            Arc::new(value::KvValue(self.shared.clone())),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn tfplugin::data_source::DataSource>> {
        vec![Arc::new(item::ItemData(self.shared.clone()))]
    }

    fn ephemeral_resources(&self) -> Vec<Arc<dyn tfplugin::ephemeral::EphemeralResource>> {
        vec![Arc::new(ephemeral::Token)]
    }

    fn functions(&self) -> Vec<Arc<dyn tfplugin::function::Function>> {
        vec![Arc::new(function::Checksum)]
    }

    fn actions(&self) -> Vec<Arc<dyn tfplugin::action::Action>> {
        vec![Arc::new(action::Touch(self.shared.clone()))]
    }
}

fn main() -> std::process::ExitCode {
    tfplugin::serve::serve(
        Arc::new(KvProvider {
            shared: Shared::default(),
        }),
        tfplugin::serve::Options::new("registry.terraform.io/onto-platform/kv"),
    )
}
