//! `kv_item`: a stored item, and the `kv_item` data source.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tfplugin::data_source::DataSource;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::plan::timeout;
use tfplugin::resource::{ApplyRequest, ImportRequest, ReadRequest, Resource};
use tfplugin::schema::{
    Attribute, Block, IdentityAttribute, IdentitySchema, NestedBlock, Nesting, Schema,
};
use tfplugin::validate::{duration, int_between, length_between, one_of, parse_duration};
use tfplugin::value::{typed, AttributePath, Type, Value};
use tfplugin::Stop;

use crate::store::{new_id, Record, Rule, Settings, Store};
use crate::Shared;

pub struct Item(pub Shared);

// ---- schema ---------------------------------------------------------------

fn item_schema() -> Schema {
    Schema::new(
        Block::new()
            .describe("An item in the store.")
            .attribute(
                Attribute::string("name")
                    .required()
                    .requires_replace()
                    .validate(length_between(1, 64))
                    .describe("Item name; changing it replaces the item."),
            )
            .attribute(
                Attribute::string("value")
                    .optional()
                    .describe("The stored value."),
            )
            .attribute(
                Attribute::new("labels", Type::set(Type::String))
                    .optional()
                    .describe("Unordered labels."),
            )
            .attribute(
                Attribute::new("tags", Type::map(Type::String))
                    .optional()
                    .describe("Tags."),
            )
            .attribute(
                Attribute::string("secret")
                    .optional()
                    .sensitive()
                    .describe("A sensitive value, kept in state but hidden in output."),
            )
            .attribute(
                Attribute::string("token_wo")
                    .optional()
                    .write_only()
                    .describe("A write-only token: used at apply, never stored."),
            )
            .attribute(
                Attribute::number("token_wo_version")
                    .optional()
                    .describe("Change to send `token_wo` again."),
            )
            .attribute(
                Attribute::string("kind")
                    .default("plain")
                    .validate(one_of(&["plain", "config", "secret"]))
                    .describe("What the item holds."),
            )
            .attribute(
                Attribute::string("create_delay")
                    .optional()
                    .validate(duration())
                    .describe("Wait this long while creating (to exercise cancellation)."),
            )
            .attribute(
                Attribute::string("id")
                    .computed()
                    .use_state_for_unknown()
                    .describe("Store-assigned id."),
            )
            .attribute(
                Attribute::number("revision")
                    .computed()
                    .describe("Bumped on every change."),
            )
            .attribute(
                Attribute::bool("token_applied")
                    .computed()
                    .describe("Whether a write-only token was received at the last apply."),
            )
            .attribute(
                Attribute::nested(
                    "settings",
                    Nesting::Single,
                    vec![
                        Attribute::number("ttl")
                            .optional()
                            .validate(int_between(0, 86_400)),
                        Attribute::string("mode")
                            .optional()
                            .validate(one_of(&["fast", "safe"])),
                    ],
                )
                .optional()
                .describe("Nested attributes."),
            )
            .block(
                NestedBlock::list(
                    "rule",
                    Block::new()
                        .attribute(Attribute::number("priority").required())
                        .attribute(
                            Attribute::string("action")
                                .required()
                                .validate(one_of(&["allow", "deny"])),
                        )
                        .attribute(Attribute::string("uid").computed()),
                )
                .max_items(10),
            )
            .timeouts(&["create", "delete"]),
    )
    .version(1)
}

// ---- model ----------------------------------------------------------------

#[derive(Deserialize)]
struct Config {
    name: String,
    value: Option<String>,
    labels: Option<Vec<String>>,
    tags: Option<BTreeMap<String, String>>,
    secret: Option<String>,
    token_wo: Option<String>,
    token_wo_version: Option<i64>,
    kind: Option<String>,
    create_delay: Option<String>,
    #[serde(default)]
    rule: Vec<RuleConfig>,
    settings: Option<Settings>,
}

#[derive(Deserialize)]
struct RuleConfig {
    priority: i64,
    action: String,
}

fn read_config(v: &Value) -> Result<Config> {
    typed::from_value(v)
        .map_err(|e| Diagnostic::error("Invalid configuration", e.to_string()).into())
}

fn io_error(op: &str, e: std::io::Error) -> Diagnostics {
    Diagnostic::error(format!("Store {op} failed"), e.to_string()).into()
}

/// The state value for a stored record.
fn to_state(r: &Record, planned: &Value, token_applied: bool) -> Value {
    let rules: Vec<Value> = r
        .rules
        .iter()
        .map(|x| {
            Value::Object(BTreeMap::from([
                ("priority".into(), x.priority.into()),
                ("action".into(), x.action.clone().into()),
                ("uid".into(), x.uid.clone().into()),
            ]))
        })
        .collect();
    let settings = r.settings.as_ref().map_or(Value::Null, |s| {
        Value::Object(BTreeMap::from([
            ("ttl".into(), s.ttl.into()),
            ("mode".into(), s.mode.clone().into()),
        ]))
    });
    Value::Object(BTreeMap::from([
        ("id".into(), r.id.clone().into()),
        ("name".into(), r.name.clone().into()),
        ("value".into(), r.value.clone().into()),
        (
            "labels".into(),
            r.labels.as_ref().map_or(Value::Null, |l| {
                Value::Set(l.iter().map(|s| s.as_str().into()).collect())
            }),
        ),
        (
            "tags".into(),
            r.tags.as_ref().map_or(Value::Null, |t| {
                Value::Map(
                    t.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().into()))
                        .collect(),
                )
            }),
        ),
        ("secret".into(), r.secret.clone().into()),
        ("token_wo".into(), Value::Null),
        ("token_wo_version".into(), r.token_version.into()),
        ("kind".into(), r.kind.clone().into()),
        ("create_delay".into(), planned.get("create_delay").clone()),
        ("revision".into(), r.revision.into()),
        ("token_applied".into(), token_applied.into()),
        ("settings".into(), settings),
        ("rule".into(), Value::List(rules)),
        ("timeouts".into(), planned.get("timeouts").clone()),
    ]))
}

fn apply_config(r: &mut Record, c: Config) {
    r.value = c.value;
    r.labels = c.labels;
    r.tags = c.tags;
    r.secret = c.secret;
    r.kind = c.kind.unwrap_or_else(|| "plain".into());
    r.token_version = c.token_wo_version;
    r.settings = c.settings;
    r.rules = c
        .rule
        .into_iter()
        .enumerate()
        .map(|(i, x)| Rule {
            uid: r
                .rules
                .get(i)
                .filter(|old| old.priority == x.priority)
                .map_or_else(new_id, |old| old.uid.clone()),
            priority: x.priority,
            action: x.action,
        })
        .collect();
}

/// Sleeps for `d`, or returns an error as soon as Terraform asks to stop.
async fn wait(d: Duration, stop: &Stop) -> Result<()> {
    tokio::select! {
        () = tokio::time::sleep(d) => Ok(()),
        () = stop.cancelled() => Err(Diagnostic::error("Interrupted", "Terraform asked the provider to stop; the item exists and is saved in state.").into()),
    }
}

// ---- create / read / update / delete ----------------------------------------

#[async_trait]
impl Resource for Item {
    fn type_name(&self) -> &str {
        "kv_item"
    }

    fn schema(&self) -> Schema {
        item_schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        // Cross-attribute rule, checked only once both values are known.
        if config.get("kind").as_str() == Some("secret")
            && config.get("secret").is_null()
            && !config.get("secret").is_unknown()
        {
            diags.error_at(
                AttributePath::attr("secret"),
                "Missing secret",
                "An item of kind \"secret\" needs `secret`.",
            );
        }
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        let store = self.0.store()?;
        let c = read_config(&req.config)?;
        if store
            .get(&c.name)
            .map_err(|e| io_error("read", e))?
            .is_some()
        {
            return Err(Diagnostic::error(
                "Item already exists",
                format!(
                    "An item named {:?} already exists; import it instead.",
                    c.name
                ),
            )
            .at(AttributePath::attr("name"))
            .into());
        }
        let delay = c
            .create_delay
            .as_deref()
            .and_then(|d| parse_duration(d).ok());
        let token_applied = c.token_wo.is_some();
        let mut r = Record {
            id: new_id(),
            name: c.name.clone(),
            revision: 1,
            ..Record::default()
        };
        apply_config(&mut r, c);
        store.put(&r).map_err(|e| io_error("write", e))?;
        let state = to_state(&r, &req.planned, token_applied);
        if let Some(d) = delay {
            // The item exists now: if we are interrupted, state must say so.
            req.save_partial(state.clone());
            let limit = timeout(&req.planned, "create", Duration::from_secs(600));
            if d > limit {
                return Err(Diagnostic::error(
                    "Timed out",
                    format!("create_delay exceeds the create timeout of {limit:?}."),
                )
                .into());
            }
            wait(d, &req.stop).await?;
        }
        Ok(state)
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let store = self.0.store()?;
        let Some(name) = req.state.get("name").as_str() else {
            return Ok(None);
        };
        let token_applied = req.state.get("token_applied").as_bool().unwrap_or(false);
        Ok(store
            .get(name)
            .map_err(|e| io_error("read", e))?
            .map(|r| to_state(&r, &req.state, token_applied)))
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        let store = self.0.store()?;
        let c = read_config(&req.config)?;
        let mut r = store
            .get(&c.name)
            .map_err(|e| io_error("read", e))?
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "Item vanished",
                    format!(
                        "{:?} was deleted outside Terraform during the update.",
                        c.name
                    ),
                ))
            })?;
        let token_applied = c.token_wo.is_some();
        apply_config(&mut r, c);
        r.revision += 1;
        store.put(&r).map_err(|e| io_error("write", e))?;
        Ok(to_state(&r, &req.planned, token_applied))
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let store = self.0.store()?;
        if let Some(name) = req.prior.get("name").as_str() {
            store.delete(name).map_err(|e| io_error("delete", e))?;
        }
        Ok(())
    }

    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let name = req
            .identity
            .as_ref()
            .and_then(|i| i.get("name").as_str().map(str::to_owned))
            .unwrap_or_else(|| req.id.clone());
        let mut state = Value::null_object(&item_schema().ty());
        state.set("name", name);
        Ok(state)
    }

    /// Version 0 called `value` `data`.
    fn upgrade_state(&self, version: i64, mut state: serde_json::Value) -> Result<Value> {
        if version != 0 {
            return Err(Diagnostic::error(
                "Unknown state version",
                format!("kv_item has no schema version {version}."),
            )
            .into());
        }
        if let Some(obj) = state.as_object_mut() {
            if let Some(data) = obj.remove("data") {
                obj.insert("value".into(), data);
            }
        }
        tfplugin::value::from_json_value(&state, &item_schema().ty())
            .map_err(|e| Diagnostic::error("Cannot upgrade state", e.to_string()).into())
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema {
            version: 0,
            attributes: vec![IdentityAttribute {
                name: "name".into(),
                ty: Type::String,
                required_for_import: true,
                description: "Item name.".into(),
            }],
        })
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        Some(Value::Object(BTreeMap::from([(
            "name".to_owned(),
            state.get("name").clone(),
        )])))
    }
}

// ---- data source ------------------------------------------------------------

pub struct ItemData(pub Shared);

#[async_trait]
impl DataSource for ItemData {
    fn type_name(&self) -> &str {
        "kv_item"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .describe("Looks up an item by name.")
                .attribute(Attribute::string("name").required())
                .attribute(Attribute::string("id").computed())
                .attribute(Attribute::string("value").computed())
                .attribute(Attribute::number("revision").computed()),
        )
    }

    async fn read(&self, config: &Value, _stop: &Stop) -> Result<Value> {
        let store: &Store = self.0.store()?;
        let name = config.get("name").as_str().unwrap_or_default();
        let r = store
            .get(name)
            .map_err(|e| io_error("read", e))?
            .ok_or_else(|| {
                Diagnostics::from(
                    Diagnostic::error("No such item", format!("There is no item named {name:?}."))
                        .at(AttributePath::attr("name")),
                )
            })?;
        let mut v = config.clone();
        v.set("id", r.id);
        v.set("value", r.value);
        v.set("revision", r.revision);
        Ok(v)
    }
}
