//! Ephemeral resources (Terraform 1.10+): values that exist only while one
//! Terraform command runs and never reach state or plan files.

use std::time::SystemTime;

use async_trait::async_trait;

use crate::diag::{Diagnostics, Result};
use crate::schema::Schema;
use crate::value::Value;
use crate::Stop;

/// What opening an ephemeral resource produced.
pub struct Opened {
    /// The result object (configuration plus computed values).
    pub result: Value,
    /// Opaque data handed back to renew and close.
    pub private: Option<Vec<u8>>,
    /// When Terraform should call renew, if ever.
    pub renew_at: Option<SystemTime>,
}

#[async_trait]
pub trait EphemeralResource: Send + Sync + 'static {
    fn type_name(&self) -> &str;

    fn schema(&self) -> Schema;

    async fn open(&self, config: &Value, stop: &Stop) -> Result<Opened>;

    /// Extends the value's lifetime; returns the next renewal time.
    async fn renew(&self, _private: Option<&[u8]>) -> Result<Option<SystemTime>> {
        Ok(None)
    }

    async fn close(&self, _private: Option<&[u8]>) -> Result<()> {
        Ok(())
    }

    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
}
