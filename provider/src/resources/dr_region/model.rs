//! `onto_dr_region`'s state — one typed struct, read from plans and state
//! and written back from what AWS holds — and the names of its DR objects.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplugin::validate::parse_duration;

use crate::aws::ecr::Replication;
use crate::objectives::{Mode, Observed};

pub const PORT: i32 = 5432;

/// Every attribute of `onto_dr_region`. Reading a plan, unknown values are
/// `None`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Model {
    pub name: String,
    pub region: Option<String>,
    pub dr_region: String,
    pub repository_prefixes: Option<Vec<String>>,
    pub db_arn: Option<String>,
    pub db_mode: Option<String>,
    pub db_instance_class: Option<String>,
    pub dr_kms_key: Option<String>,
    pub dr_subnet_ids: Option<Vec<String>>,
    pub dr_allowed_cidr_blocks: Option<Vec<String>>,
    pub state_bucket: Option<String>,
    pub state_lock_table: Option<String>,
    pub force_destroy: Option<bool>,
    pub rto_target: Option<String>,
    pub rpo_target: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Option<BTreeMap<String, String>>,
    pub replica_id: Option<String>,
    pub replica_arn: Option<String>,
    pub replica_endpoint: Option<String>,
    pub promoted: Option<bool>,
    pub dr_bucket: Option<String>,
    pub replication_role_arn: Option<String>,
    pub rpo_estimate: Option<String>,
    pub rpo_source: Option<String>,
    pub rto_estimate: Option<String>,
    pub objectives_met: Option<bool>,
}

impl Model {
    pub fn mode(&self) -> Mode {
        if self.db_mode.as_deref() == Some("backups") {
            Mode::Backups
        } else {
            Mode::Replica
        }
    }

    /// The DR database (replica mode).
    pub fn replica(&self) -> String {
        format!("{}-db", self.name)
    }

    /// This stack's rule id on the state bucket's replication.
    pub fn rule_id(&self, stack: &str) -> String {
        format!("onto-dr-{}-{}", self.name, crate::stack::short_hash(stack))
    }

    /// The DR copy of the state bucket.
    pub fn dr_bucket(&self) -> Option<String> {
        self.state_bucket
            .as_ref()
            .map(|b| format!("{b}-{}", self.dr_region))
    }

    /// The ECR rule this resource wants, if any.
    pub fn replication(&self) -> Option<Replication> {
        let prefixes: BTreeSet<String> =
            self.repository_prefixes.iter().flatten().cloned().collect();
        (!prefixes.is_empty()).then(|| Replication {
            region: self.dr_region.clone(),
            prefixes,
        })
    }

    pub fn targets(&self) -> (Duration, Duration) {
        let parse = |s: Option<&str>, d: u64| {
            s.and_then(|s| parse_duration(s).ok())
                .unwrap_or(Duration::from_secs(d))
        };
        (
            parse(self.rto_target.as_deref(), 900),
            parse(self.rpo_target.as_deref(), 3600),
        )
    }
}

pub fn arn_part(arn: &str, n: usize) -> &str {
    arn.split(':').nth(n).unwrap_or_default()
}

/// What AWS holds for one DR region.
pub struct Remote {
    pub prefixes: Vec<String>,
    pub rpo_source: String,
    pub replica: Option<aws_sdk_rds::types::DbInstance>,
    pub seen: Observed,
    pub dr_bucket: Option<String>,
    pub role_arn: Option<String>,
    pub tags: BTreeMap<String, String>,
}
