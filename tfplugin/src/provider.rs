//! The provider: its own configuration and the types it offers.

use std::sync::Arc;

use async_trait::async_trait;

use crate::action::Action;
use crate::data_source::DataSource;
use crate::diag::{Diagnostics, Result};
use crate::ephemeral::EphemeralResource;
use crate::function::Function;
use crate::list::ListResource;
use crate::resource::Resource;
use crate::schema::Schema;
use crate::value::Value;

/// Input to [`Provider::configure`].
pub struct ConfigureRequest {
    pub config: Value,
    pub terraform_version: String,
}

impl ConfigureRequest {
    /// False when some configuration is unknown until apply (e.g. it comes
    /// from a resource not yet created). Operations are then planned
    /// without remote calls, or deferred where Terraform allows it.
    pub fn is_known(&self) -> bool {
        self.config.is_wholly_known()
    }
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider's type name, the prefix of its resource types (`example`).
    fn type_name(&self) -> &str;

    fn schema(&self) -> Schema;

    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Receives the provider configuration before any resource operation.
    /// Default: nothing to configure.
    async fn configure(&self, req: ConfigureRequest) -> Result<()> {
        let _ = req;
        Ok(())
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }

    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource>> {
        Vec::new()
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }

    fn actions(&self) -> Vec<Arc<dyn Action>> {
        Vec::new()
    }

    /// What `terraform query` can list; each names a managed resource type
    /// that has an identity schema.
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        Vec::new()
    }
}
