//! List resources for `terraform query`: every onto resource type can list
//! what exists in a region, onto's or not, to bring it under Terraform.
//!
//! Each listing takes the same filters (`region`, `name_prefix`, `tags`,
//! `environment`) and shows, for every object, which stack and environment
//! own it (the `onto:*` tags), or that nothing of onto's does. Objects that
//! are parts of another onto resource (a DR replica listed as a database,
//! a lock table's bucket) are left out: they are imported with the resource
//! they belong to. The AWS calls are the service layers' `list_*`; a full
//! object, when Terraform asks for one, is the managed resource's import.

use std::collections::BTreeMap;

use async_trait::async_trait;
use tfplugin::diag::Result;
use tfplugin::list::{Found, ListRequest, ListResource, Results};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::value::{Type, Value};

use crate::aws::{self, Aws, Listed};
use crate::identity;
use crate::ownership::{ENVIRONMENT, OWNER, STACK};
use crate::shared::Shared;
use crate::validators;

/// The onto resource types, as listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Cache,
    Cluster,
    Db,
    DrRegion,
    Network,
    Registry,
    StateBackend,
    Telemetry,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Cache,
        Kind::Cluster,
        Kind::Db,
        Kind::DrRegion,
        Kind::Network,
        Kind::Registry,
        Kind::StateBackend,
        Kind::Telemetry,
    ];

    fn type_name(self) -> &'static str {
        match self {
            Kind::Cache => "onto_cache",
            Kind::Cluster => "onto_cluster",
            Kind::Db => "onto_db",
            Kind::DrRegion => "onto_dr_region",
            Kind::Network => "onto_network",
            Kind::Registry => "onto_registry",
            Kind::StateBackend => "onto_state_backend",
            Kind::Telemetry => "onto_telemetry",
        }
    }

    /// What it lists, for the docs.
    fn what(self) -> &'static str {
        match self {
            Kind::Cache => "ElastiCache replication groups",
            Kind::Cluster => "EKS clusters",
            Kind::Db => "RDS instances",
            Kind::DrRegion => {
                "DR setups onto made (by the replica and lock table in the DR region)"
            }
            Kind::Network => "VPCs",
            Kind::Registry => "ECR repositories",
            Kind::StateBackend => "S3 buckets",
            Kind::Telemetry => "Amazon Managed Prometheus workspaces",
        }
    }
}

/// One listing of one resource type.
pub struct OntoList {
    pub kind: Kind,
    pub shared: Shared,
}

/// The filters of a `list` block's `config`.
struct Filters {
    region: String,
    name_prefix: Option<String>,
    tags: BTreeMap<String, String>,
    environment: Option<String>,
}

impl Filters {
    fn read(config: &Value, aws: &Aws) -> Filters {
        let text = |k: &str| config.get(k).as_str().map(str::to_owned);
        Filters {
            region: text("region").unwrap_or_else(|| aws.region.clone()),
            name_prefix: text("name_prefix"),
            tags: match config.get("tags") {
                Value::Map(m) => m
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect(),
                _ => BTreeMap::new(),
            },
            environment: text("environment"),
        }
    }

    fn admit(&self, name: &str, tags: &BTreeMap<String, String>) -> bool {
        self.name_prefix
            .as_deref()
            .is_none_or(|p| name.starts_with(p))
            && self.tags.iter().all(|(k, v)| tags.get(k) == Some(v))
            && self
                .environment
                .as_deref()
                .is_none_or(|e| tags.get(ENVIRONMENT).map(String::as_str) == Some(e))
    }
}

/// Who owns an object, as its tags say.
pub fn owned_by(tags: &BTreeMap<String, String>) -> String {
    match (tags.get(OWNER), tags.get(STACK), tags.get(ENVIRONMENT)) {
        (None, ..) => "not managed by onto".into(),
        (Some(_), Some(stack), env) => format!(
            "stack {stack}, environment {}",
            env.map_or("(none)", String::as_str)
        ),
        (Some(_), None, env) => format!(
            "onto, no stack, environment {}",
            env.map_or("(none)", String::as_str)
        ),
    }
}

/// An object ready to send: its name for filters and people, identity, tags.
struct Candidate {
    name: String,
    /// Shown beside the name when it is not the name (a VPC id).
    id: Option<String>,
    identity: Value,
    tags: BTreeMap<String, String>,
}

impl OntoList {
    /// The onto name an object carries for `kind` (`onto:owner` is
    /// `TYPE/NAME`), if onto made it as one.
    fn onto_name<'t>(&self, tags: &'t BTreeMap<String, String>) -> Option<&'t str> {
        tags.get(OWNER)?
            .strip_prefix(self.kind.type_name())?
            .strip_prefix('/')
    }

    /// Whether an object belongs to another onto resource type.
    fn part_of_another(&self, tags: &BTreeMap<String, String>) -> bool {
        tags.get(OWNER).is_some() && self.onto_name(tags).is_none()
    }

    async fn candidates(&self, aws: &Aws, region: &str) -> Result<Vec<Candidate>> {
        let named = |listed: Vec<Listed>, key: &'static str| -> Vec<Candidate> {
            listed
                .into_iter()
                .map(|l| Candidate {
                    name: l.key.clone(),
                    id: None,
                    identity: identity::from_parts(&[(key, &l.key), ("region", region)]),
                    tags: l.tags,
                })
                .collect()
        };
        Ok(match self.kind {
            Kind::Cache => named(
                aws::elasticache::list_groups(&aws.elasticache(region)).await?,
                "name",
            ),
            Kind::Cluster => named(aws::eks::list_clusters(&aws.eks(region)).await?, "name"),
            Kind::Db => named(aws::rds::list_instances(&aws.rds(region)).await?, "name"),
            Kind::Registry => named(aws::ecr::list_repositories(&aws.ecr(region)).await?, "name"),
            Kind::StateBackend => {
                let mut found = named(
                    aws::s3::list_buckets(&aws.s3(region), region).await?,
                    "bucket",
                );
                // The lock table is the default `<bucket>-lock` unless an
                // import names another.
                for c in &mut found {
                    c.identity.set("lock_table", Value::Null);
                }
                found
            }
            Kind::Network | Kind::Telemetry => {
                let (listed, key) = if self.kind == Kind::Network {
                    (aws::ec2::list_vpcs(&aws.ec2(region)).await?, "vpc_id")
                } else {
                    (
                        aws::amp::list_workspaces(&aws.amp(region)).await?,
                        "workspace_id",
                    )
                };
                listed
                    .into_iter()
                    .map(|l| Candidate {
                        name: self
                            .onto_name(&l.tags)
                            .or(l.tags.get("Name").map(String::as_str))
                            .unwrap_or(&l.key)
                            .to_owned(),
                        id: Some(l.key.clone()),
                        identity: identity::from_parts(&[(key, &l.key), ("region", region)]),
                        tags: l.tags,
                    })
                    .collect()
            }
            Kind::DrRegion => {
                // A DR setup is found by what it keeps in the DR region.
                let mut listed = aws::rds::list_instances(&aws.rds(region)).await?;
                listed.extend(aws::dynamodb::list_tables(&aws.dynamodb(region)).await?);
                let mut by_name = BTreeMap::new();
                for l in listed {
                    if let Some(name) = self.onto_name(&l.tags) {
                        by_name.entry(name.to_owned()).or_insert(l.tags);
                    }
                }
                by_name
                    .into_iter()
                    .map(|(name, tags)| Candidate {
                        identity: identity::from_parts(&[("name", &name), ("dr_region", region)]),
                        name,
                        id: None,
                        tags,
                    })
                    .collect()
            }
        })
    }
}

#[async_trait]
impl ListResource for OntoList {
    fn type_name(&self) -> &str {
        self.kind.type_name()
    }

    fn schema(&self) -> Schema {
        // A DR setup keeps its objects in the DR region, which is never
        // the provider's own (the primary): it must be named.
        let region = if self.kind == Kind::DrRegion {
            Attribute::string("region")
                .required()
                .describe("The DR region to search.")
        } else {
            Attribute::string("region")
                .optional()
                .describe("Region to search; the provider's by default.")
        };
        Schema::new(
            Block::new()
                .describe(format!(
                    "Lists {} for `terraform query`; each result shows the stack and environment that own it, or that onto does not manage it.",
                    self.kind.what()
                ))
                .attribute(region.validate(validators::region()))
                .attribute(Attribute::string("name_prefix").optional().describe("Only objects whose name starts with this."))
                .attribute(Attribute::new("tags", Type::map(Type::String)).optional().describe("Only objects that carry all of these tags."))
                .attribute(Attribute::string("environment").optional().describe("Only objects of this onto environment (their `onto:environment` tag).")),
        )
    }

    async fn list(&self, req: &ListRequest, results: &mut Results) -> Result<()> {
        let aws = self.shared.require()?;
        crate::regions::check_plan(aws.skip_region_validation, &req.config)?;
        let filters = Filters::read(&req.config, aws);
        for c in self.candidates(aws, &filters.region).await? {
            if self.part_of_another(&c.tags) || !filters.admit(&c.name, &c.tags) {
                continue;
            }
            let shown = match &c.id {
                Some(id) if *id != c.name => format!("{} ({id})", c.name),
                _ => c.name.clone(),
            };
            let found = Found {
                display_name: format!("{shown} — {}", owned_by(&c.tags)),
                identity: c.identity,
                state: None,
            };
            if !results.send(found).await {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn each_result_says_who_owns_it() {
        assert_eq!(owned_by(&tags(&[("team", "x")])), "not managed by onto");
        assert_eq!(
            owned_by(&tags(&[
                (OWNER, "onto_db/editor"),
                (STACK, "s1"),
                (ENVIRONMENT, "dev")
            ])),
            "stack s1, environment dev"
        );
        assert_eq!(
            owned_by(&tags(&[(OWNER, "onto_db/editor")])),
            "onto, no stack, environment (none)"
        );
    }

    #[test]
    fn filters_match_name_tags_and_environment() {
        let f = Filters {
            region: "us-east-1".into(),
            name_prefix: Some("edi".into()),
            tags: tags(&[("team", "data")]),
            environment: Some("dev".into()),
        };
        let t = tags(&[("team", "data"), (ENVIRONMENT, "dev")]);
        assert!(f.admit("editor", &t));
        assert!(!f.admit("web", &t));
        assert!(!f.admit("editor", &tags(&[("team", "data")])));
        assert!(!f.admit("editor", &tags(&[(ENVIRONMENT, "dev")])));
    }

    #[test]
    fn parts_of_other_resources_are_left_out() {
        let l = OntoList {
            kind: Kind::Db,
            shared: Shared::default(),
        };
        assert!(l.part_of_another(&tags(&[(OWNER, "onto_dr_region/dr")])));
        assert!(!l.part_of_another(&tags(&[(OWNER, "onto_db/editor")])));
        assert!(!l.part_of_another(&tags(&[])));
        // A name that merely starts like the type is not the type.
        let n = OntoList {
            kind: Kind::Network,
            shared: Shared::default(),
        };
        assert!(n.part_of_another(&tags(&[(OWNER, "onto_networkx/a")])));
    }
}
