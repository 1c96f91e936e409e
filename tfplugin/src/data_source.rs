//! Data sources: read-only lookups.

use async_trait::async_trait;

use crate::diag::{Diagnostics, Result};
use crate::schema::Schema;
use crate::value::Value;
use crate::Stop;

#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    /// The data source type name, e.g. `example_item`.
    fn type_name(&self) -> &str;

    fn schema(&self) -> Schema;

    /// Returns the whole state: configuration plus computed values.
    async fn read(&self, config: &Value, stop: &Stop) -> Result<Value>;

    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
}
