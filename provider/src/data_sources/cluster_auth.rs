//! `onto_cluster_auth` (data source): the ephemeral resource's values for
//! Terraform before 1.10. Its token is stored in state; the docs say so.

use async_trait::async_trait;
use tfplugin::data_source::DataSource;
use tfplugin::diag::Result;
use tfplugin::schema::Schema;
use tfplugin::value::Value;
use tfplugin::Stop;

use crate::ephemeral::cluster_auth::{open, schema, TYPE};
use crate::shared::Shared;

pub struct ClusterAuth(pub Shared);

#[async_trait]
impl DataSource for ClusterAuth {
    fn type_name(&self) -> &str {
        TYPE
    }

    fn schema(&self) -> Schema {
        schema(true)
    }

    async fn read(&self, config: &Value, _stop: &Stop) -> Result<Value> {
        open(&self.0, config, true).await
    }
}
