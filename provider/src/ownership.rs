//! The ownership rule: onto changes or deletes only what its own stack
//! created, or what the user imported.
//!
//! Every object onto creates is born with three tags: `onto:stack` (the
//! configuration's identity, see `stack.rs`), `onto:owner` (resource type
//! and name) and `onto:environment`.
//!
//! - **A name that is taken** (a create answered "already exists", or an
//!   object found by its tags) is adopted only when all three tags say it
//!   is this resource's: then it is the object of an earlier create whose
//!   response was lost, or that was interrupted, and the create finishes
//!   it. Anything else is refused, naming the object, who owns it and the
//!   import command ([`Owner::adopt`]).
//! - **The object in state** is this resource's: created by it, or imported
//!   by the user. Its tags converge to this stack on the next apply, which
//!   is how an import marks an object as this stack's.
//! - **Side objects** (security, subnet and parameter groups, IAM roles,
//!   lock tables, buckets, DR replicas) are this resource's when it created
//!   them: the resource records them in its private state ([`SideObjects`]), which
//!   travels with the state (a backend migration that changes the stack
//!   identity keeps them). An import records only the side objects that
//!   carry this stack's tags; the others are used as they are, and never
//!   modified or deleted.

use std::collections::{BTreeMap, BTreeSet};

use tfplugin::diag::{Diagnostic, Result};
use tfplugin::private::Private;
use tfplugin::value::AttributePath;

pub const STACK: &str = "onto:stack";
pub const OWNER: &str = "onto:owner";
pub const ENVIRONMENT: &str = "onto:environment";

/// Who an object onto creates belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub stack: String,
    pub environment: String,
    /// The resource type, e.g. `onto_db`.
    pub kind: String,
    /// The resource's `name`.
    pub name: String,
}

/// What the tags of an existing object say about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// This resource of this stack, in this environment.
    Ours,
    /// Another onto stack or resource (`stack` is `None` for objects an
    /// earlier onto version made, before stacks had an identity).
    Onto {
        stack: Option<String>,
        owner: String,
        environment: Option<String>,
    },
    /// Not made by onto.
    Foreign,
}

/// An object that exists where a create wanted to put one.
pub struct Existing<'a> {
    /// What it is, for messages: "An RDS instance".
    pub what: &'a str,
    pub id: &'a str,
    /// Region, or `global` for IAM and S3 names.
    pub region: &'a str,
    /// Its tags, when it could be read.
    pub tags: Option<&'a BTreeMap<String, String>>,
    /// The `terraform import` ID that takes it over; `None` for side
    /// objects that cannot be imported on their own.
    pub import_id: Option<String>,
    /// The attribute that names it, for the diagnostic's path.
    pub attribute: &'a str,
}

impl Owner {
    /// `onto:owner`'s value.
    pub fn owner_tag(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// The three ownership tags.
    pub fn tags(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (STACK.to_owned(), self.stack.clone()),
            (OWNER.to_owned(), self.owner_tag()),
            (ENVIRONMENT.to_owned(), self.environment.clone()),
        ])
    }

    /// The owner of a side object named after this one (a DR replica of a
    /// database, say): same stack and environment, another owner.
    pub fn part(&self, kind: &str, name: &str) -> Owner {
        Owner {
            kind: kind.to_owned(),
            name: name.to_owned(),
            ..self.clone()
        }
    }

    pub fn judge(&self, tags: &BTreeMap<String, String>) -> Claim {
        let get = |k: &str| tags.get(k).cloned();
        match get(OWNER) {
            None => Claim::Foreign,
            Some(owner)
                if owner == self.owner_tag()
                    && get(STACK).as_deref() == Some(self.stack.as_str())
                    && get(ENVIRONMENT).as_deref() == Some(self.environment.as_str()) =>
            {
                Claim::Ours
            }
            Some(owner) => Claim::Onto {
                stack: get(STACK),
                owner,
                environment: get(ENVIRONMENT),
            },
        }
    }

    /// Whether `tags` mark an object as made by this resource of this stack
    /// (whatever the environment).
    pub fn made(&self, tags: &BTreeMap<String, String>) -> bool {
        tags.get(OWNER) == Some(&self.owner_tag()) && tags.get(STACK) == Some(&self.stack)
    }

    /// `Ok` when `existing` is this resource's own object (a lost or
    /// interrupted create) and may be adopted; otherwise the refusal.
    pub fn adopt(&self, existing: &Existing<'_>) -> Result<()> {
        let claim = existing.tags.map_or(Claim::Foreign, |t| self.judge(t));
        if claim == Claim::Ours {
            tracing::info!(object = %existing.id, owner = %self.owner_tag(), "adopting the object of an interrupted create");
            return Ok(());
        }
        Err(refusal(self, existing, &claim).into())
    }
}

fn refusal(owner: &Owner, existing: &Existing<'_>, claim: &Claim) -> Diagnostic {
    let whose = match claim {
        // `adopt` never refuses its own objects.
        Claim::Ours => String::new(),
        Claim::Onto {
            stack: Some(stack),
            owner: o,
            environment,
        } if *stack == owner.stack => format!(
            "It belongs to this configuration's {o} (environment {}), not to {}.",
            environment.as_deref().unwrap_or("unknown"),
            owner.owner_tag()
        ),
        Claim::Onto {
            stack: Some(stack),
            owner: o,
            environment,
        } => format!(
            "It belongs to another onto configuration: stack {stack:?}, {o}, environment {}.",
            environment.as_deref().unwrap_or("unknown")
        ),
        Claim::Onto {
            stack: None,
            owner: o,
            ..
        } => format!("It was made by an earlier onto version for {o}, with no stack identity."),
        Claim::Foreign => "It was not created by onto.".to_owned(),
    };
    let where_ = if existing.region == "global" {
        "in this account".to_owned()
    } else {
        format!("in {}", existing.region)
    };
    let next = match &existing.import_id {
        Some(id) => format!(
            "Give this resource another name, or, if this configuration should manage that object, import it:\n  terraform import ADDRESS {id}\n(ADDRESS is this resource's address, on the 'with' line of this error.)"
        ),
        None => "Give this resource another name.".to_owned(),
    };
    Diagnostic::error(
        "Already exists",
        format!(
            "{} named {:?} already exists {where_}. {whose} onto never takes over an object this configuration did not create.\n{next}",
            existing.what, existing.id
        ),
    )
    .at(AttributePath::attr(existing.attribute))
}

/// The side objects a resource created, recorded in its private state.
///
/// State from before records were kept has none: then an object carrying
/// this resource's owner tag counts as its own (that was the rule). An
/// imported object without a record counts only what carries this
/// stack's own tags.
pub struct SideObjects {
    made: BTreeSet<String>,
    imported: bool,
    /// No record was kept when this state was written (and it was not
    /// imported): the owner tag decides.
    legacy: bool,
    owner: Owner,
}

const MADE: &str = "made";

impl SideObjects {
    pub fn load(private: &Private, owner: &Owner) -> SideObjects {
        let made: Option<BTreeSet<String>> = private.get(MADE);
        let imported = private.imported();
        SideObjects {
            legacy: made.is_none() && !imported,
            made: made.unwrap_or_default(),
            imported,
            owner: owner.clone(),
        }
    }

    /// A record for a resource being created: nothing is its own yet.
    pub fn new(owner: &Owner) -> SideObjects {
        SideObjects {
            made: BTreeSet::new(),
            imported: false,
            legacy: false,
            owner: owner.clone(),
        }
    }

    pub fn save(&self, private: &mut Private) {
        private.set(MADE, &self.made);
    }

    /// Notes that this resource made (or has confirmed as its own) `key`.
    pub fn record(&mut self, key: impl Into<String>) {
        self.made.insert(key.into());
    }

    pub fn forget(&mut self, key: &str) {
        self.made.remove(key);
    }

    /// State written before records were kept (and not imported): the owner
    /// tag, or for untaggable objects their name, decides.
    pub fn is_legacy(&self) -> bool {
        self.legacy
    }

    /// Whether the side object `key` (with `tags`, when they were read) is
    /// this resource's to change and delete.
    pub fn is_ours(&self, key: &str, tags: Option<&BTreeMap<String, String>>) -> bool {
        if self.made.contains(key) {
            return true;
        }
        let Some(tags) = tags else { return false };
        if self.imported {
            self.owner.made(tags)
        } else {
            self.legacy && tags.get(OWNER) == Some(&self.owner.owner_tag())
        }
    }
}

/// The first refresh after an import: an object that carries this
/// resource's own tags (its state was lost and is imported back) is treated
/// as created by it; any other keeps the imported settings and gets an
/// empty record, so only what carries this stack's tags counts as its own.
pub fn settle_import(private: &mut Private, owner: &Owner, tags: &BTreeMap<String, String>) {
    if !private.imported() || private.get::<BTreeSet<String>>(MADE).is_some() {
        return;
    }
    if owner.judge(tags) == Claim::Ours {
        private.clear_imported();
    } else {
        private.set(MADE, &BTreeSet::<String>::new());
    }
}

/// Record keys, one namespace per kind of side object.
pub mod key {
    pub fn security_group(id: &str) -> String {
        format!("security-group:{id}")
    }
    pub fn db_subnet_group(region: &str, name: &str) -> String {
        format!("db-subnet-group:{region}:{name}")
    }
    pub fn db_parameter_group(region: &str, name: &str) -> String {
        format!("db-parameter-group:{region}:{name}")
    }
    pub fn cache_subnet_group(region: &str, name: &str) -> String {
        format!("cache-subnet-group:{region}:{name}")
    }
    pub fn cache_parameter_group(region: &str, name: &str) -> String {
        format!("cache-parameter-group:{region}:{name}")
    }
    pub fn role(name: &str) -> String {
        format!("iam-role:{name}")
    }
    pub fn oidc_provider(arn: &str) -> String {
        format!("oidc-provider:{arn}")
    }
    pub fn log_group(region: &str, name: &str) -> String {
        format!("log-group:{region}:{name}")
    }
    pub fn table(region: &str, name: &str) -> String {
        format!("dynamodb-table:{region}:{name}")
    }
    pub fn bucket(name: &str) -> String {
        format!("s3-bucket:{name}")
    }
    pub fn db_instance(region: &str, name: &str) -> String {
        format!("db-instance:{region}:{name}")
    }
    pub fn backup_replication(region: &str, source_arn: &str) -> String {
        format!("backup-replication:{region}:{source_arn}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Owner {
        Owner {
            stack: "s3://state/a.tfstate@dev".into(),
            environment: "dev".into(),
            kind: "onto_db".into(),
            name: "app".into(),
        }
    }

    #[test]
    fn only_this_stacks_own_object_is_adopted() {
        let me = owner();
        assert_eq!(me.judge(&me.tags()), Claim::Ours);
        let mut other = me.tags();
        other.insert(STACK.into(), "s3://state/b.tfstate@dev".into());
        assert!(
            matches!(me.judge(&other), Claim::Onto { stack: Some(s), .. } if s.ends_with("b.tfstate@dev"))
        );
        let mut staging = me.tags();
        staging.insert(ENVIRONMENT.into(), "staging".into());
        assert_ne!(me.judge(&staging), Claim::Ours);
        assert_eq!(me.judge(&BTreeMap::new()), Claim::Foreign);

        let err = me
            .adopt(&Existing {
                what: "An RDS instance",
                id: "app",
                region: "eu-west-1",
                tags: Some(&other),
                import_id: Some("eu-west-1:app".into()),
                attribute: "name",
            })
            .unwrap_err();
        let d = err.iter().next().unwrap();
        assert!(
            d.detail.contains("another onto configuration"),
            "{}",
            d.detail
        );
        assert!(
            d.detail.contains("terraform import ADDRESS eu-west-1:app"),
            "{}",
            d.detail
        );
    }

    #[test]
    fn side_objects_are_ours_when_recorded() {
        let me = owner();
        let mut made = SideObjects::new(&me);
        made.record(key::security_group("sg-1"));
        assert!(made.is_ours("security-group:sg-1", None));
        assert!(!made.is_ours("security-group:sg-2", Some(&me.tags())));
        let mut private = Private::default();
        made.save(&mut private);
        assert!(SideObjects::load(&private, &me).is_ours("security-group:sg-1", None));
        // State from before records: the owner tag decides.
        let legacy = SideObjects::load(&Private::default(), &me);
        let mut old_tags = me.tags();
        old_tags.remove(STACK);
        assert!(legacy.is_ours("security-group:sg-2", Some(&old_tags)));
        assert!(!legacy.is_ours("security-group:sg-2", None));
    }
}
