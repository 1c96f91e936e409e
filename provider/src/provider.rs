//! The provider: configuration, and the types it offers.

use std::sync::Arc;

use async_trait::async_trait;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::provider::{ConfigureRequest, Provider};
use tfplugin::schema::Schema;
use tfplugin::value::{typed, AttributePath};

use crate::aws::Aws;
use crate::config::{self, Config};
use crate::shared::Shared;

#[derive(Default)]
pub struct Onto {
    shared: Shared,
}

#[async_trait]
impl Provider for Onto {
    fn type_name(&self) -> &str {
        "onto"
    }

    fn schema(&self) -> Schema {
        config::schema()
    }

    async fn configure(&self, req: ConfigureRequest) -> Result<()> {
        if !req.is_known() {
            // Planned without AWS calls; Terraform configures again at apply.
            return Ok(());
        }
        let cfg: Config = typed::from_value(&req.config).map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "Invalid provider configuration",
                e.to_string(),
            ))
        })?;
        let aws = Aws::load(&cfg).await?;
        if !aws.skip_region_validation {
            crate::regions::check(&aws.region, "region")?;
        }
        if let Some(allowed) = cfg.allowed_account_ids.as_ref().filter(|a| !a.is_empty()) {
            let me = crate::aws::sts::caller_identity(&aws.sts(&aws.region)).await?;
            let account = me.account.as_str();
            if !allowed.iter().any(|a| a == account) {
                return Err(Diagnostic::error(
                    "AWS account not allowed",
                    format!("The credentials belong to account {account}, which is not in allowed_account_ids ({}).", allowed.join(", ")),
                )
                .at(AttributePath::attr("allowed_account_ids"))
                .into());
            }
        }
        self.shared.set(aws);
        Ok(())
    }

    fn resources(&self) -> Vec<Arc<dyn tfplugin::resource::Resource>> {
        vec![
            Arc::new(crate::resources::cache::Cache(self.shared.clone())),
            Arc::new(crate::resources::cluster::ClusterResource(
                self.shared.clone(),
            )),
            Arc::new(crate::resources::db::Db(self.shared.clone())),
            Arc::new(crate::resources::dr_region::DrRegion(self.shared.clone())),
            Arc::new(crate::resources::network::Network(self.shared.clone())),
            Arc::new(crate::resources::registry::Registry(self.shared.clone())),
            Arc::new(crate::resources::state_backend::StateBackend(
                self.shared.clone(),
            )),
            Arc::new(crate::resources::telemetry::Telemetry(self.shared.clone())),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn tfplugin::data_source::DataSource>> {
        vec![
            Arc::new(crate::data_sources::caller_identity::CallerIdentity(
                self.shared.clone(),
            )),
            Arc::new(crate::data_sources::cluster_auth::ClusterAuth(
                self.shared.clone(),
            )),
        ]
    }

    fn list_resources(&self) -> Vec<Arc<dyn tfplugin::list::ListResource>> {
        crate::lists::Kind::ALL
            .into_iter()
            .map(|kind| {
                Arc::new(crate::lists::OntoList {
                    kind,
                    shared: self.shared.clone(),
                }) as Arc<dyn tfplugin::list::ListResource>
            })
            .collect()
    }

    fn actions(&self) -> Vec<Arc<dyn tfplugin::action::Action>> {
        vec![Arc::new(crate::actions::dr_failover::DrFailover(
            self.shared.clone(),
        ))]
    }

    fn ephemeral_resources(&self) -> Vec<Arc<dyn tfplugin::ephemeral::EphemeralResource>> {
        vec![Arc::new(crate::ephemeral::cluster_auth::ClusterAuth(
            self.shared.clone(),
        ))]
    }
}
