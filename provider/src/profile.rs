//! Environment profiles: the defaults each environment selects, in one
//! table. `dev` is cheap, `staging` mirrors prod's shape at a smaller size,
//! and `prod` is safe: multi-AZ, deletion protection, week-long backups,
//! automatic failover, a NAT gateway per AZ.
//!
//! A setting left unset in configuration takes its environment's default.
//! In prod, setting a protection to something weaker than the default is
//! refused unless the resource names it in `prod_overrides`; the plan then
//! carries a warning saying what was given up. The docs page
//! `guides/environment-profiles.md` is rendered from [`TABLE`].

use std::fmt::Write;

use tfplugin::diag::Diagnostics;
use tfplugin::resource::PlanRequest;
use tfplugin::schema::Attribute;
use tfplugin::value::{AttributePath, Type, Value};

use crate::aws::Aws;

/// One environment-dependent default.
pub struct Setting {
    pub resource: &'static str,
    pub attribute: &'static str,
    pub dev: Preset,
    pub staging: Preset,
    pub prod: Preset,
    /// How a configured value can be weaker than prod's.
    pub protection: Protection,
    pub why: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Preset {
    Bool(bool),
    Int(i64),
    Str(&'static str),
}

#[derive(Clone, Copy, PartialEq)]
pub enum Protection {
    /// Sizing, not safety: any value is fine in prod.
    None,
    /// `true` protects; `false` in prod needs an override.
    Flag,
    /// A number below prod's needs an override.
    AtLeast,
    /// Any other value than prod's needs an override.
    Exactly,
}

use Preset::{Bool, Int, Str};

/// Every environment default, by resource and attribute.
pub const TABLE: &[Setting] = &[
    Setting {
        resource: "onto_network",
        attribute: "nat_mode",
        dev: Str("single"),
        staging: Str("single"),
        prod: Str("per_az"),
        protection: Protection::Exactly,
        why: "Outbound traffic survives the loss of an AZ.",
    },
    Setting {
        resource: "onto_db",
        attribute: "instance_class",
        dev: Str("db.t4g.micro"),
        staging: Str("db.t4g.medium"),
        prod: Str("db.r6g.large"),
        protection: Protection::None,
        why: "Burstable and cheap below prod; memory-optimised in prod.",
    },
    Setting {
        resource: "onto_db",
        attribute: "multi_az",
        dev: Bool(false),
        staging: Bool(false),
        prod: Bool(true),
        protection: Protection::Flag,
        why: "A standby in another AZ takes over in about a minute.",
    },
    Setting {
        resource: "onto_db",
        attribute: "deletion_protection",
        dev: Bool(false),
        staging: Bool(true),
        prod: Bool(true),
        protection: Protection::Flag,
        why: "The database cannot be deleted until this is turned off.",
    },
    Setting {
        resource: "onto_db",
        attribute: "backup_retention_days",
        dev: Int(1),
        staging: Int(7),
        prod: Int(14),
        protection: Protection::AtLeast,
        why: "Point-in-time restore window; AWS allows 0 (off) to 35 days.",
    },
    Setting {
        resource: "onto_db",
        attribute: "final_snapshot",
        dev: Bool(false),
        staging: Bool(true),
        prod: Bool(true),
        protection: Protection::Flag,
        why: "Destroy takes a uniquely named final snapshot first.",
    },
    Setting {
        resource: "onto_db",
        attribute: "performance_insights",
        dev: Bool(false),
        staging: Bool(true),
        prod: Bool(true),
        protection: Protection::None,
        why: "Query-level load analysis (7 days are free).",
    },
    Setting {
        resource: "onto_db",
        attribute: "apply_immediately",
        dev: Bool(true),
        staging: Bool(true),
        prod: Bool(false),
        protection: Protection::None,
        why: "Prod changes wait for the maintenance window and show in `pending_changes`.",
    },
    Setting {
        resource: "onto_cache",
        attribute: "node_type",
        dev: Str("cache.t4g.micro"),
        staging: Str("cache.t4g.small"),
        prod: Str("cache.r7g.large"),
        protection: Protection::None,
        why: "Burstable and cheap below prod; memory-optimised in prod.",
    },
    Setting {
        resource: "onto_cache",
        attribute: "replicas",
        dev: Int(0),
        staging: Int(1),
        prod: Int(2),
        protection: Protection::AtLeast,
        why: "Read replicas, and candidates for failover.",
    },
    Setting {
        resource: "onto_cache",
        attribute: "multi_az",
        dev: Bool(false),
        staging: Bool(true),
        prod: Bool(true),
        protection: Protection::Flag,
        why: "Replicas are placed in other AZs than the primary.",
    },
    Setting {
        resource: "onto_cache",
        attribute: "automatic_failover",
        dev: Bool(false),
        staging: Bool(true),
        prod: Bool(true),
        protection: Protection::Flag,
        why: "A replica is promoted when the primary fails.",
    },
    Setting {
        resource: "onto_cache",
        attribute: "snapshot_retention_days",
        dev: Int(0),
        staging: Int(1),
        prod: Int(7),
        protection: Protection::AtLeast,
        why: "Daily snapshots kept this many days (0 turns them off).",
    },
];

impl Setting {
    pub fn default_for(&self, environment: &str) -> Preset {
        match environment {
            "prod" => self.prod,
            "staging" => self.staging,
            _ => self.dev,
        }
    }

    /// Whether `v` gives up protection prod's default provides.
    fn weaker_than_prod(&self, v: &Value) -> bool {
        match (self.protection, self.prod) {
            (Protection::Flag, Bool(p)) => p && v.as_bool() == Some(false),
            (Protection::AtLeast, Int(p)) => v.as_i64().is_some_and(|n| n < p),
            (Protection::Exactly, Str(p)) => v.as_str().is_some_and(|s| s != p),
            _ => false,
        }
    }
}

impl From<Preset> for Value {
    fn from(d: Preset) -> Value {
        match d {
            Bool(b) => Value::Bool(b),
            Int(n) => Value::from(n),
            Str(s) => Value::String(s.to_owned()),
        }
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bool(b) => write!(f, "{b}"),
            Int(n) => write!(f, "{n}"),
            Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// The settings of one resource type.
pub fn settings(resource: &str) -> impl Iterator<Item = &'static Setting> + '_ {
    TABLE.iter().filter(move |s| s.resource == resource)
}

/// The `environment` attribute a resource takes to differ from the provider's.
pub fn environment_attribute() -> Attribute {
    Attribute::string("environment")
        .optional()
        .validate(crate::config::Environment)
        .describe("This resource's environment, when it differs from the provider's `environment`. Selects the defaults in the environment profile table and the `onto:environment` tag.")
}

/// The `prod_overrides` attribute of a resource with profile settings.
pub fn overrides_attribute(resource: &str) -> Attribute {
    let names: Vec<String> = settings(resource)
        .filter(|s| s.protection != Protection::None)
        .map(|s| format!("`{}`", s.attribute))
        .collect();
    Attribute::new("prod_overrides", Type::set(Type::String))
        .optional()
        .validate(tfplugin::validate::one_of(
            &settings(resource)
                .filter(|s| s.protection != Protection::None)
                .map(|s| s.attribute)
                .collect::<Vec<_>>(),
        ))
        .describe(format!(
            "Protections deliberately weakened in prod, by attribute name ({}). Without its name here, a prod value weaker than the profile default is refused; with it, the plan warns.",
            names.join(", ")
        ))
}

/// The environment a resource belongs to: its own, else the provider's.
pub fn environment<'a>(aws: &'a Aws, config: &'a Value) -> &'a str {
    config
        .get("environment")
        .as_str()
        .unwrap_or(&aws.environment)
}

/// Fills the profile defaults of `resource` into the plan where the
/// configuration leaves them unset, and enforces prod's protections.
pub fn apply(resource: &str, environment: &str, req: &mut PlanRequest) -> Diagnostics {
    let mut errors = Diagnostics::default();
    if req.plan.is_null() {
        return errors;
    }
    let overrides: Vec<String> =
        tfplugin::value::typed::from_value(req.config.get("prod_overrides"))
            .ok()
            .flatten()
            .unwrap_or_default();
    for s in settings(resource) {
        let configured = req.config.get(s.attribute).clone();
        let had = req.prior.get(s.attribute).clone();
        if configured.is_null() && req.private.imported() && !had.is_null() {
            // An imported object keeps what it has where the configuration
            // says nothing; in prod, say so when that is weaker.
            if environment == "prod" && s.weaker_than_prod(&had) {
                req.warn(
                    AttributePath::attr(s.attribute),
                    format!("Imported setting kept: {}", s.attribute),
                    format!(
                        "The imported object has {} = {}, weaker than the prod default {} ({}). Set {} in the configuration to change it.",
                        s.attribute,
                        display(&had),
                        s.prod,
                        s.why,
                        s.attribute
                    ),
                );
            }
            req.plan.set(s.attribute, had);
            continue;
        }
        if configured.is_null() {
            req.plan
                .set(s.attribute, Value::from(s.default_for(environment)));
            continue;
        }
        if environment != "prod" || !s.weaker_than_prod(&configured) {
            continue;
        }
        let path = AttributePath::attr(s.attribute);
        if overrides.iter().any(|o| o == s.attribute) {
            req.warn(
                path,
                format!("Prod protection overridden: {}", s.attribute),
                format!(
                    "{} = {} is weaker than the prod default {} ({}). Allowed by prod_overrides.",
                    s.attribute,
                    display(&configured),
                    s.prod,
                    s.why
                ),
            );
        } else {
            errors.error_at(
                path,
                "Weaker than the prod profile",
                format!(
                    "{} = {} gives up a prod protection (default {}: {}). To do this deliberately, add {:?} to prod_overrides.",
                    s.attribute,
                    display(&configured),
                    s.prod,
                    s.why,
                    s.attribute
                ),
            );
        }
    }
    errors
}

fn display(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Bool(b) => b.to_string(),
        other => other
            .as_i64()
            .map_or_else(|| format!("{other:?}"), |n| n.to_string()),
    }
}

/// The profile table as a Markdown docs page.
pub fn markdown() -> String {
    let mut out = String::from(
        "---\npage_title: \"Environment profiles\"\nsubcategory: \"Guides\"\n---\n\n# Environment profiles\n\n\
The provider's `environment` (or a resource's own `environment`) selects the defaults below for every \
setting left unset in configuration. A value set in configuration always wins.\n\n\
In `prod`, a value weaker than the prod default (marked *protection*) is refused at plan time unless \
the resource lists the attribute in `prod_overrides`; the plan then shows a warning naming what was given up.\n\n\
| Resource | Attribute | dev | staging | prod | Protection | Why |\n|---|---|---|---|---|---|---|\n",
    );
    for s in TABLE {
        let protection = match s.protection {
            Protection::None => "",
            Protection::Flag => "*protection*: `false` needs an override",
            Protection::AtLeast => "*protection*: less needs an override",
            Protection::Exactly => "*protection*: any other value needs an override",
        };
        let _ = writeln!(
            out,
            "| `{}` | `{}` | `{}` | `{}` | `{}` | {} | {} |",
            s.resource, s.attribute, s.dev, s.staging, s.prod, protection, s.why
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protections_are_weaker_only_below_prod() {
        let multi_az = settings("onto_db")
            .find(|s| s.attribute == "multi_az")
            .unwrap();
        assert!(multi_az.weaker_than_prod(&Value::Bool(false)));
        assert!(!multi_az.weaker_than_prod(&Value::Bool(true)));
        let retention = settings("onto_db")
            .find(|s| s.attribute == "backup_retention_days")
            .unwrap();
        assert!(retention.weaker_than_prod(&Value::from(7)));
        assert!(!retention.weaker_than_prod(&Value::from(30)));
        let nat = settings("onto_network").next().unwrap();
        assert!(nat.weaker_than_prod(&Value::String("single".into())));
    }

    #[test]
    fn every_protection_is_on_in_prod_and_the_table_renders() {
        for s in TABLE.iter().filter(|s| s.protection == Protection::Flag) {
            assert_eq!(s.prod, Bool(true), "{}.{}", s.resource, s.attribute);
        }
        let md = markdown();
        assert!(md.contains("| `onto_db` | `backup_retention_days` | `1` | `7` | `14` |"));
    }
}
