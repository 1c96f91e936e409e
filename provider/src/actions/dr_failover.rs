//! `onto_dr_failover`: fail over to the DR region — promote the DR replica
//! to a standalone, writable database, report progress while AWS works,
//! and say what to repoint. `drill = true` checks readiness and changes
//! nothing. The runbook is in the action's docs.

use std::time::Duration;

use async_trait::async_trait;
use tfplugin::action::{Action, Progress};
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::validate::{duration, parse_duration};
use tfplugin::value::Value;
use tfplugin::Stop;

use crate::aws::cloudwatch::{self, Lag};
use crate::aws::rds;
use crate::aws::{wait_until, Poll};
use crate::shared::Shared;

pub const TYPE: &str = "onto_dr_failover";

pub struct DrFailover(pub Shared);

fn schema() -> Schema {
    Schema::new(
        Block::new()
            .describe("Fails over to the DR region: promotes the DR read replica (`onto_dr_region.replica_id`) to a standalone, writable database, reports progress while AWS works, and reports the endpoint to repoint clients to. With `drill = true` it only checks that a failover would work now (replica available, replicating, lag within the RPO target) and changes nothing.\n\n**Runbook.** 1. `terraform apply -invoke=action.onto_dr_failover.NAME` with `drill = true` regularly. 2. To fail over: set `drill = false` (or use a second action block) and invoke it; clients move to the reported endpoint (the platform module's `database_url` output follows `replica_endpoint`). 3. The promoted database is now the primary: import it into the DR region's configuration as an `onto_db`, and remove the old `onto_dr_region` from state. 4. To fail back: when the old region is healthy, declare an `onto_dr_region` from the new primary back to it, wait until its objectives are met, then invoke its failover.")
            .attribute(Attribute::string("replica_id").required().describe("The DR database (`onto_dr_region.replica_id`)."))
            .attribute(Attribute::string("dr_region").required().describe("Its region (`onto_dr_region.dr_region`)."))
            .attribute(Attribute::bool("drill").optional().describe("Check readiness only; change nothing. Default false."))
            .attribute(Attribute::string("max_lag").optional().validate(duration()).describe("A drill fails when the replica lags more than this. Default `1h`."))
            .attribute(Attribute::string("timeout").optional().validate(duration()).describe("How long to wait for the promotion. Default `30m`.")),
    )
}

fn endpoint(d: &aws_sdk_rds::types::DbInstance) -> String {
    d.endpoint()
        .map(|e| {
            format!(
                "{}:{}",
                e.address().unwrap_or_default(),
                e.port().unwrap_or(5432)
            )
        })
        .unwrap_or_default()
}

/// Promotes `id` and waits until it is a standalone, available database,
/// reporting each status change.
pub async fn promote(
    rds: &aws_sdk_rds::Client,
    id: &str,
    limit: Duration,
    progress: &Progress,
    stop: &Stop,
) -> Result<aws_sdk_rds::types::DbInstance> {
    rds::promote(rds, id, 7, None).await?;
    progress
        .report(format!(
            "Promotion of {id} accepted; waiting for it to become a standalone database"
        ))
        .await;
    let started = tokio::time::Instant::now();
    let last = std::sync::Mutex::new(String::new());
    wait_until(&format!("promotion of {id}"), limit, stop, || async {
        let d = rds::find_instance(rds, id).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "DR database vanished",
                format!("{id} disappeared during the promotion."),
            ))
        })?;
        let status = d.db_instance_status().unwrap_or("unknown").to_owned();
        let replica = d.read_replica_source_db_instance_identifier().is_some();
        let now = if replica {
            format!("{status}, still a replica")
        } else {
            status.clone()
        };
        let changed = {
            let mut l = last.lock().unwrap_or_else(|p| p.into_inner());
            let changed = *l != now;
            *l = now.clone();
            changed
        };
        if changed {
            progress
                .report(format!("{id}: {now} ({}s)", started.elapsed().as_secs()))
                .await;
        }
        Ok(if status == "available" && !replica {
            Poll::Ready(d)
        } else {
            Poll::Pending(now)
        })
    })
    .await
}

#[async_trait]
impl Action for DrFailover {
    fn type_name(&self) -> &str {
        TYPE
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn invoke(&self, config: &Value, progress: &Progress, stop: &Stop) -> Result<()> {
        let aws = self.0.require()?;
        let id = config
            .get("replica_id")
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let region = config
            .get("dr_region")
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let drill = config.get("drill").as_bool() == Some(true);
        let limit = parse_duration(config.get("timeout").as_str().unwrap_or("30m"))
            .unwrap_or(Duration::from_secs(1800));
        let max_lag = parse_duration(config.get("max_lag").as_str().unwrap_or("1h"))
            .unwrap_or(Duration::from_secs(3600));
        let rds = aws.rds(&region);
        let d = rds::find_instance(&rds, &id).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "DR database not found",
                format!("No RDS instance {id:?} in {region}."),
            ))
        })?;
        let status = d.db_instance_status().unwrap_or("unknown");
        let source = d.read_replica_source_db_instance_identifier();
        progress
            .report(format!(
                "{id} in {region}: {status}, replicating from {}",
                source.unwrap_or("nothing (already standalone)")
            ))
            .await;
        if source.is_none() {
            return Err(Diagnostic::error("Nothing to fail over", format!("{id} is not a replica any more: a failover already happened. Clients should use {}.", endpoint(&d))).into());
        }
        if status != "available" {
            return Err(Diagnostic::error(
                "DR database not ready",
                format!("{id} is {status}; a promotion needs it available."),
            )
            .into());
        }
        if drill {
            let lag = cloudwatch::replica_lag(&aws.cloudwatch(&region), &id).await;
            match &lag {
                Lag::Measured(l) if *l > max_lag => {
                    return Err(Diagnostic::error(
                        "Drill failed: replica lag",
                        format!(
                            "{id} lags {} behind, more than max_lag {}.",
                            crate::objectives::human(*l),
                            crate::objectives::human(max_lag)
                        ),
                    )
                    .into());
                }
                Lag::Measured(l) => {
                    progress
                        .report(format!(
                            "Replica lag {} (max_lag {})",
                            crate::objectives::human(*l),
                            crate::objectives::human(max_lag)
                        ))
                        .await
                }
                other => {
                    progress
                        .report(format!("Replica lag not measured: {}", other.source()))
                        .await
                }
            }
            progress
                .report(format!(
                    "Drill passed: a failover now would promote {id} and move clients to {}",
                    endpoint(&d)
                ))
                .await;
            return Ok(());
        }
        let promoted = promote(&rds, &id, limit, progress, stop).await?;
        progress.report(format!("{id} is now the primary database. Repoint clients to {} (DATABASE_URL / the platform module's database endpoint).", endpoint(&promoted))).await;
        Ok(())
    }
}
