//! The planning engine and the lifecycle contract checks.
//!
//! Terraform proposes a new state (config merged with prior state); the
//! engine turns it into the planned state: defaults fill null config values,
//! write-only values are dropped, computed values left null by the config
//! become unknown when the resource changes, then attribute plan modifiers
//! run. The `check_*` functions verify the promises Terraform itself will
//! check, so a breach is reported by name instead of as Terraform's
//! "Provider produced inconsistent result".

pub mod modifiers;

use std::time::Duration;

use crate::diag::Diagnostics;
use crate::schema::{Attribute, AttributeType, Block, Nesting};

use crate::value::{AttributePath, Step, Value};
use modifiers::{ModifyRequest, ModifyResponse};

/// The engine's result for one resource.
#[derive(Debug, Default)]
pub struct PlanOutcome {
    pub plan: Value,
    pub requires_replace: Vec<AttributePath>,
    pub diagnostics: Diagnostics,
}

/// Plans a create or update. `prior` is `Null` when creating. For an
/// `imported` object, a default does not replace the value the object has
/// (a setting the configuration leaves unset keeps what AWS, or whatever
/// manages the object, chose).
pub fn plan_change(
    block: &Block,
    prior: &Value,
    proposed: &Value,
    config: &Value,
    imported: bool,
) -> PlanOutcome {
    let creating = prior.is_null();
    let mut plan = proposed.clone();
    fill_defaults(block, config, &mut plan);
    if imported && !creating {
        keep_imported_settings(block, config, prior, &mut plan);
    }
    let changed = creating || !plan.same(prior);
    let mut out = PlanOutcome::default();
    let mut walk = Walk {
        creating,
        changed,
        out: &mut out,
    };
    walk.block(block, &AttributePath::root(), config, prior, &mut plan);
    out.plan = plan;
    out
}

/// Pass one: defaults and write-only attributes, recursively.
fn fill_defaults(block: &Block, config: &Value, plan: &mut Value) {
    if !matches!(plan, Value::Object(_)) {
        return;
    }
    for attr in &block.attributes {
        let c = config.get(&attr.name);
        let Some(p) = plan.get_mut(&attr.name) else {
            continue;
        };
        if attr.write_only {
            *p = Value::Null;
        } else if c.is_null() {
            if let Some(d) = &attr.default {
                *p = d.clone();
            }
        }
        if let AttributeType::Nested(nesting, attrs) = &attr.kind {
            let nested = Block {
                attributes: attrs.clone(),
                ..Block::default()
            };
            for_each_element(*nesting, c, p, |c, p| fill_defaults(&nested, c, p));
        }
    }
    for nb in &block.blocks {
        let c = config.get(&nb.name);
        if let Some(p) = plan.get_mut(&nb.name) {
            for_each_element(nb.nesting, c, p, |c, p| fill_defaults(&nb.block, c, p));
        }
    }
}

/// Top-level attributes with a default that the configuration leaves null
/// keep the imported object's value.
fn keep_imported_settings(block: &Block, config: &Value, prior: &Value, plan: &mut Value) {
    for attr in block
        .attributes
        .iter()
        .filter(|a| a.default.is_some() && !a.enforced)
    {
        let had = prior.get(&attr.name);
        if config.get(&attr.name).is_null() && !had.is_null() {
            plan.set(&attr.name, had.clone());
        }
    }
}

/// Calls `f(config_element, plan_element)` for each element of a nested
/// value, pairing list elements by index and map elements by key. Set
/// elements have no stable pairing with config; each is paired with itself.
fn for_each_element(
    nesting: Nesting,
    config: &Value,
    plan: &mut Value,
    mut f: impl FnMut(&Value, &mut Value),
) {
    match (nesting, plan) {
        (Nesting::Single | Nesting::Group, p @ Value::Object(_)) => f(config, p),
        (Nesting::List, Value::List(items)) => {
            for (i, p) in items.iter_mut().enumerate() {
                let c = config
                    .elements()
                    .and_then(|e| e.get(i))
                    .unwrap_or(&Value::Null);
                f(c, p);
            }
        }
        (Nesting::Map, Value::Map(items)) => {
            for (k, p) in items.iter_mut() {
                f(config.get(k), p);
            }
        }
        (Nesting::Set, Value::Set(items)) => {
            for p in items.iter_mut() {
                let c = p.clone();
                f(&c, p);
            }
        }
        _ => {}
    }
}

struct Walk<'a> {
    creating: bool,
    changed: bool,
    out: &'a mut PlanOutcome,
}

impl Walk<'_> {
    fn block(
        &mut self,
        block: &Block,
        path: &AttributePath,
        config: &Value,
        prior: &Value,
        plan: &mut Value,
    ) {
        if !matches!(plan, Value::Object(_)) {
            return;
        }
        let prior_exists = !self.creating && matches!(prior, Value::Object(_));
        for attr in &block.attributes {
            let p = path.push_attr(&attr.name);
            let c = config.get(&attr.name);
            let s = prior.get(&attr.name);
            if let Some(v) = plan.get_mut(&attr.name) {
                self.attribute(attr, &p, c, s, v, prior_exists);
            }
        }
        for nb in &block.blocks {
            let bp = path.push_attr(&nb.name);
            let c = config.get(&nb.name);
            let s = prior.get(&nb.name);
            let Some(v) = plan.get_mut(&nb.name) else {
                continue;
            };
            self.elements(nb.nesting, &bp, c, s, v, &mut |w, p, c, s, v| {
                w.block(&nb.block, p, c, s, v)
            });
        }
    }

    fn attribute(
        &mut self,
        attr: &Attribute,
        path: &AttributePath,
        config: &Value,
        prior: &Value,
        plan: &mut Value,
        prior_exists: bool,
    ) {
        if attr.write_only {
            return;
        }
        if self.changed && attr.computed && config.is_null() && attr.default.is_none() {
            *plan = Value::UNKNOWN;
        }
        if let AttributeType::Nested(nesting, attrs) = &attr.kind {
            let nested = Block {
                attributes: attrs.clone(),
                ..Block::default()
            };
            self.elements(*nesting, path, config, prior, plan, &mut |w, p, c, s, v| {
                w.block(&nested, p, c, s, v)
            });
        }
        if attr.modifiers.is_empty() {
            return;
        }
        let req = ModifyRequest {
            path,
            config,
            state: prior,
            creating: self.creating,
            prior_exists,
        };
        let mut resp = ModifyResponse {
            plan: std::mem::take(plan),
            requires_replace: false,
            diagnostics: Diagnostics::new(),
        };
        for m in &attr.modifiers {
            m.modify(&req, &mut resp);
        }
        *plan = resp.plan;
        if resp.requires_replace {
            self.out.requires_replace.push(path.clone());
        }
        self.out.diagnostics.extend(resp.diagnostics);
    }

    #[allow(clippy::type_complexity)]
    fn elements(
        &mut self,
        nesting: Nesting,
        path: &AttributePath,
        config: &Value,
        prior: &Value,
        plan: &mut Value,
        f: &mut dyn FnMut(&mut Self, &AttributePath, &Value, &Value, &mut Value),
    ) {
        match (nesting, plan) {
            (Nesting::Single | Nesting::Group, p @ Value::Object(_)) => {
                f(self, path, config, prior, p)
            }
            (Nesting::List, Value::List(items)) => {
                for (i, p) in items.iter_mut().enumerate() {
                    let c = config
                        .elements()
                        .and_then(|e| e.get(i))
                        .unwrap_or(&Value::Null);
                    let s = prior
                        .elements()
                        .and_then(|e| e.get(i))
                        .unwrap_or(&Value::Null);
                    f(self, &path.push_index(i), c, s, p);
                }
            }
            (Nesting::Map, Value::Map(items)) => {
                for (k, p) in items.iter_mut() {
                    f(self, &path.push_key(k), config.get(k), prior.get(k), p);
                }
            }
            (Nesting::Set, Value::Set(items)) => {
                for p in items.iter_mut() {
                    let c = p.clone();
                    f(self, path, &c, &Value::Null, p);
                }
            }
            _ => {}
        }
    }
}

/// Checks that every value set in configuration is kept in the plan, that
/// the provider sets only computed attributes, and that write-only values
/// are absent.
pub fn check_plan_keeps_config(
    block: &Block,
    config: &Value,
    plan: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    if plan.is_unknown() || config.is_unknown() {
        return;
    }
    for attr in &block.attributes {
        let p = path.push_attr(&attr.name);
        let c = config.get(&attr.name);
        let v = plan.get(&attr.name);
        if attr.write_only {
            if !v.is_null() {
                diags.error_at(
                    p.clone(),
                    "Write-only value in plan",
                    format!("{p} is write-only and must be null in the plan."),
                );
            }
            continue;
        }
        if c.is_null() {
            if !attr.computed && !v.is_null() {
                diags.error_at(
                    p.clone(),
                    "Provider planned a value for a non-computed attribute",
                    format!("{p} is not set in configuration and is not computed, but the plan gives it a value."),
                );
            }
            continue;
        }
        if c.is_unknown() && !v.is_unknown() {
            diags.error_at(
                p.clone(),
                "Provider planned a value the configuration leaves unknown",
                format!("{p} is unknown in configuration until apply, so the plan must keep it unknown."),
            );
            continue;
        }
        if let AttributeType::Nested(nesting, attrs) = &attr.kind {
            let nested = Block {
                attributes: attrs.clone(),
                ..Block::default()
            };
            check_nested(&nested, *nesting, c, v, &p, diags);
            continue;
        }
        if let Some(why) = differs(c, v, attr.sensitive || attr.write_only) {
            diags.error_at(
                p.clone(),
                "Provider changed a configured value in the plan",
                format!("{p} is set in configuration, but the plan changes it ({why})."),
            );
        }
    }
    for nb in &block.blocks {
        check_nested(
            &nb.block,
            nb.nesting,
            config.get(&nb.name),
            plan.get(&nb.name),
            &path.push_attr(&nb.name),
            diags,
        );
    }
}

/// [`check_plan_keeps_config`] for the elements of a nested block or nested
/// attribute, paired by index (lists) or key (maps); sets compare by size.
fn check_nested(
    block: &Block,
    nesting: Nesting,
    c: &Value,
    v: &Value,
    p: &AttributePath,
    diags: &mut Diagnostics,
) {
    {
        match (nesting, c, v) {
            (Nesting::Single | Nesting::Group, c, v) if !c.is_null() => {
                check_plan_keeps_config(block, c, v, p, diags)
            }
            (Nesting::List, Value::List(cs), Value::List(vs)) if cs.len() == vs.len() => {
                for (i, (c, v)) in cs.iter().zip(vs).enumerate() {
                    check_plan_keeps_config(block, c, v, &p.push_index(i), diags);
                }
            }
            (Nesting::Map, Value::Map(cs), Value::Map(_)) => {
                for (k, c) in cs {
                    check_plan_keeps_config(block, c, v.get(k), &p.push_key(k), diags);
                }
            }
            (_, c, v)
                if c.is_wholly_known()
                    && v.is_wholly_known()
                    && !c.is_null()
                    && !same_ignoring_computed(c, v) =>
            {
                diags.error_at(
                    p.clone(),
                    "Provider changed configured blocks in the plan",
                    format!("{p} differs from configuration."),
                );
            }
            _ => {}
        }
    }
}

/// Lists and sets of blocks may carry computed attributes the config lacks;
/// compare only their lengths.
fn same_ignoring_computed(c: &Value, v: &Value) -> bool {
    match (c, v) {
        (Value::List(a) | Value::Set(a), Value::List(b) | Value::Set(b)) => a.len() == b.len(),
        (Value::Map(a), Value::Map(b)) => a.keys().eq(b.keys()),
        _ => true,
    }
}

/// Why `actual` is not a valid refinement of the configured or planned
/// `expected` value: `None` when every known part of `expected` is kept.
/// Values are shown unless `sensitive`.
fn differs(expected: &Value, actual: &Value, sensitive: bool) -> Option<String> {
    match (expected, actual) {
        (Value::Unknown(r), a) => r
            .as_ref()
            .and_then(|r| r.violation(a))
            .map(|why| format!("{why}; got {}", shown(a, sensitive))),
        (Value::List(e) | Value::Tuple(e), Value::List(a) | Value::Tuple(a)) => {
            if e.len() != a.len() {
                return Some(format!(
                    "planned {} ({} elements), got {} ({} elements)",
                    shown(expected, sensitive),
                    e.len(),
                    shown(actual, sensitive),
                    a.len()
                ));
            }
            e.iter()
                .zip(a)
                .enumerate()
                .find_map(|(i, (e, a))| differs(e, a, sensitive).map(|why| format!("[{i}]: {why}")))
        }
        (Value::Map(e) | Value::Object(e), Value::Map(a) | Value::Object(a)) => {
            if !e.keys().eq(a.keys()) {
                let keys = |m: &std::collections::BTreeMap<String, Value>| {
                    m.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
                };
                return Some(format!("keys [{}] instead of [{}]", keys(a), keys(e)));
            }
            e.iter().find_map(|(k, e)| {
                differs(e, a.get(k).unwrap_or(&Value::Null), sensitive)
                    .map(|why| format!("{k:?}: {why}"))
            })
        }
        (Value::Set(e), Value::Set(a)) => {
            let broken = if e.iter().all(Value::is_wholly_known) {
                !expected.same(actual)
            } else {
                e.len() != a.len()
            };
            broken.then(|| {
                format!(
                    "planned {}, got {}",
                    shown(expected, sensitive),
                    shown(actual, sensitive)
                )
            })
        }
        (e, a) if e.same(a) => None,
        (e, a) => Some(format!(
            "planned {}, got {}",
            shown(e, sensitive),
            shown(a, sensitive)
        )),
    }
}

/// A value as an error message shows it: in full (as JSON, cut at 200
/// characters), or only its kind when the attribute is sensitive.
fn shown(v: &Value, sensitive: bool) -> String {
    if sensitive {
        return match v {
            Value::Null => "null".into(),
            Value::Unknown(_) => "an unknown value".into(),
            _ => "(sensitive value)".into(),
        };
    }
    let text = render(v);
    if text.chars().count() > 200 {
        format!("{}…", text.chars().take(200).collect::<String>())
    } else {
        text
    }
}

fn render(v: &Value) -> String {
    let items = |x: &[Value]| x.iter().map(render).collect::<Vec<_>>().join(", ");
    match v {
        Value::Null => "null".into(),
        Value::Unknown(_) => "(known after apply)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::List(x) | Value::Tuple(x) => format!("[{}]", items(x)),
        Value::Set(x) => format!("set[{}]", items(x)),
        Value::Map(m) | Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k:?} = {}", render(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Whether the attribute at `path` (or one it is inside) is sensitive or
/// write-only in `block`.
pub fn is_sensitive(block: &Block, path: &AttributePath) -> bool {
    let mut attrs: &[Attribute] = &block.attributes;
    let mut blocks: &[crate::schema::NestedBlock] = &block.blocks;
    for step in path.steps() {
        let Step::Attr(name) = step else { continue };
        if let Some(a) = attrs.iter().find(|a| &a.name == name) {
            if a.sensitive || a.write_only {
                return true;
            }
            match &a.kind {
                AttributeType::Nested(_, inner) => {
                    attrs = inner;
                    blocks = &[];
                }
                AttributeType::Plain(_) => return false,
            }
        } else if let Some(b) = blocks.iter().find(|b| &b.name == name) {
            attrs = &b.block.attributes;
            blocks = &b.block.blocks;
        } else {
            return false;
        }
    }
    false
}

/// Checks an apply result against the plan: every known planned value is
/// kept, refinements of unknowns hold, and nothing is left unknown. A
/// breach shows both values, unless the attribute is sensitive.
pub fn check_apply_result(
    block: &Block,
    planned: &Value,
    new_state: &Value,
    diags: &mut Diagnostics,
) {
    check_conforms(block, planned, new_state, &AttributePath::root(), diags);
    if let Some(p) = first_unknown(new_state, &AttributePath::root()) {
        diags.error_at(
            p.clone(),
            "Provider left a value unknown after apply",
            format!("{p} is still unknown after apply; every value must be known."),
        );
    }
}

fn check_conforms(
    block: &Block,
    planned: &Value,
    actual: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    match (planned, actual) {
        (Value::Object(p), Value::Object(a)) => {
            for (k, pv) in p {
                check_conforms(
                    block,
                    pv,
                    a.get(k).unwrap_or(&Value::Null),
                    &path.push_attr(k),
                    diags,
                );
            }
        }
        (Value::List(p), Value::List(a)) if p.len() == a.len() => {
            for (i, (pv, av)) in p.iter().zip(a).enumerate() {
                check_conforms(block, pv, av, &path.push_index(i), diags);
            }
        }
        (Value::Map(p), Value::Map(a)) if p.keys().eq(a.keys()) => {
            for (k, pv) in p {
                check_conforms(block, pv, &a[k], &path.push_key(k), diags);
            }
        }
        _ => {
            if let Some(why) = differs(planned, actual, is_sensitive(block, path)) {
                let shown = if path.is_empty() {
                    "the resource".to_owned()
                } else {
                    path.to_string()
                };
                diags.error_at(
                    path.clone(),
                    "Provider produced a value that differs from the plan",
                    format!(
                        "{shown}: the plan promised one value, apply produced another ({why})."
                    ),
                );
            }
        }
    }
}

/// The path of the first unknown value inside `v`.
pub fn first_unknown(v: &Value, path: &AttributePath) -> Option<AttributePath> {
    match v {
        Value::Unknown(_) => Some(path.clone()),
        Value::List(x) | Value::Tuple(x) => x
            .iter()
            .enumerate()
            .find_map(|(i, e)| first_unknown(e, &path.push_index(i))),
        Value::Set(x) => x.iter().find_map(|e| first_unknown(e, path)),
        Value::Object(m) => m
            .iter()
            .find_map(|(k, e)| first_unknown(e, &path.push_attr(k))),
        Value::Map(m) => m
            .iter()
            .find_map(|(k, e)| first_unknown(e, &path.push_key(k))),
        _ => None,
    }
}

/// Replaces every unknown inside `v` with null (for saving state after a
/// provider left values unknown, which is reported separately).
pub fn null_unknowns(v: &mut Value) {
    match v {
        Value::Unknown(_) => *v = Value::Null,
        Value::List(x) | Value::Set(x) | Value::Tuple(x) => x.iter_mut().for_each(null_unknowns),
        Value::Map(m) | Value::Object(m) => m.values_mut().for_each(null_unknowns),
        _ => {}
    }
}

/// Nulls every write-only attribute, recursively, so they never reach state.
pub fn strip_write_only(block: &Block, v: &mut Value) {
    if !matches!(v, Value::Object(_)) {
        return;
    }
    for attr in &block.attributes {
        if let Some(x) = v.get_mut(&attr.name) {
            if attr.write_only {
                *x = Value::Null;
            } else if let AttributeType::Nested(nesting, attrs) = &attr.kind {
                let nested = Block {
                    attributes: attrs.clone(),
                    ..Block::default()
                };
                for_each_element(*nesting, &Value::Null, x, |_, e| {
                    strip_write_only(&nested, e)
                });
            }
        }
    }
    for nb in &block.blocks {
        if let Some(x) = v.get_mut(&nb.name) {
            for_each_element(nb.nesting, &Value::Null, x, |_, e| {
                strip_write_only(&nb.block, e)
            });
        }
    }
}

/// The time limit for `operation` from a resource's `timeouts` block (see
/// `Block::timeouts`), or `default` when unset or invalid.
pub fn timeout(value: &Value, operation: &str, default: Duration) -> Duration {
    value
        .get("timeouts")
        .get(operation)
        .as_str()
        .and_then(|s| crate::validate::parse_duration(s).ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, NestedBlock};
    use std::collections::BTreeMap;

    #[test]
    fn a_broken_promise_shows_both_values_unless_sensitive() {
        let block = Block::new()
            .attribute(Attribute::string("window").computed())
            .attribute(Attribute::string("token").computed().sensitive());
        let planned = obj(&[
            ("window", Value::from("sun:03:30-sun:04:30")),
            ("token", Value::from("secret-1")),
        ]);
        let got = obj(&[
            ("window", Value::from("sun:04:30-sun:05:00")),
            ("token", Value::from("secret-2")),
        ]);
        let mut diags = Diagnostics::new();
        check_apply_result(&block, &planned, &got, &mut diags);
        let text: Vec<String> = diags.iter().map(|d| d.detail.clone()).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        let window = text.iter().find(|t| t.starts_with("window")).unwrap();
        assert!(
            window.contains("planned \"sun:03:30-sun:04:30\", got \"sun:04:30-sun:05:00\""),
            "{window}"
        );
        let token = text.iter().find(|t| t.starts_with("token")).unwrap();
        assert!(token.contains("(sensitive value)"), "{token}");
        assert!(!token.contains("secret"), "{token}");
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    /// A resource object with every attribute present, as Terraform sends it.
    fn full(pairs: &[(&str, Value)]) -> Value {
        let mut v = Value::null_object(&schema().ty());
        for (k, x) in pairs {
            v.set(k, x.clone());
        }
        v
    }

    fn schema() -> Block {
        Block::new()
            .attribute(Attribute::string("name").required().requires_replace())
            .attribute(Attribute::string("value").optional())
            .attribute(Attribute::string("id").computed().use_state_for_unknown())
            .attribute(Attribute::string("iops").computed().keep_prior_value())
            .attribute(Attribute::number("revision").computed())
            .attribute(Attribute::string("kind").default("plain"))
            .attribute(Attribute::string("token").optional().write_only())
            .block(NestedBlock::list(
                "rule",
                Block::new().attribute(Attribute::string("uid").computed().keep_prior_value()),
            ))
    }

    #[test]
    fn create_marks_computed_unknown_and_fills_defaults() {
        let config = full(&[
            ("name", "a".into()),
            ("token", "s3cret".into()),
            ("rule", Value::List(vec![obj(&[("uid", Value::Null)])])),
        ]);
        let out = plan_change(&schema(), &Value::Null, &config, &config, false);
        assert!(out.plan.get("id").is_unknown());
        assert!(out.plan.get("revision").is_unknown());
        assert_eq!(out.plan.get("kind"), &Value::from("plain"));
        assert_eq!(out.plan.get("token"), &Value::Null);
        assert!(out.plan.get("rule").elements().unwrap()[0]
            .get("uid")
            .is_unknown());
        assert!(out.requires_replace.is_empty());
    }

    #[test]
    fn no_change_keeps_prior_values() {
        let prior = full(&[
            ("name", "a".into()),
            ("id", "x".into()),
            ("revision", 1.into()),
            ("kind", "plain".into()),
            ("rule", Value::List(vec![])),
        ]);
        let config = full(&[("name", "a".into()), ("rule", Value::List(vec![]))]);
        let out = plan_change(&schema(), &prior, &prior, &config, false);
        assert_eq!(out.plan, prior);
    }

    #[test]
    fn an_imported_object_keeps_its_value_where_the_config_leaves_a_default() {
        let prior = full(&[
            ("name", "a".into()),
            ("id", "x".into()),
            ("revision", 1.into()),
            ("kind", "config".into()),
        ]);
        let config = full(&[("name", "a".into())]);
        let out = plan_change(&schema(), &prior, &prior, &config, true);
        assert_eq!(out.plan.get("kind"), &Value::from("config"));
        // An object this provider created is brought back to the default.
        let out = plan_change(&schema(), &prior, &prior, &config, false);
        assert_eq!(out.plan.get("kind"), &Value::from("plain"));
    }

    #[test]
    fn update_keeps_stable_ids_and_replaces_on_name() {
        let prior = full(&[
            ("name", "a".into()),
            ("id", "x".into()),
            ("revision", 1.into()),
            ("kind", "plain".into()),
        ]);
        let mut proposed = prior.clone();
        proposed.set("value", "new");
        let config = full(&[("name", "a".into()), ("value", "new".into())]);
        let out = plan_change(&schema(), &prior, &proposed, &config, false);
        assert_eq!(out.plan.get("id"), &Value::from("x"));
        assert!(out.plan.get("revision").is_unknown());
        assert!(out.requires_replace.is_empty());

        proposed.set("name", "b");
        let config = full(&[("name", "b".into())]);
        let out = plan_change(&schema(), &prior, &proposed, &config, false);
        assert_eq!(out.requires_replace, vec![AttributePath::attr("name")]);
    }

    #[test]
    fn a_kept_null_stays_null_but_a_new_element_is_unknown() {
        let prior = full(&[
            ("name", "a".into()),
            ("revision", 1.into()),
            ("kind", "plain".into()),
            ("rule", Value::List(vec![obj(&[("uid", "u1".into())])])),
        ]);
        let mut proposed = prior.clone();
        proposed.set("value", "new");
        proposed.set(
            "rule",
            Value::List(vec![
                obj(&[("uid", "u1".into())]),
                obj(&[("uid", Value::Null)]),
            ]),
        );
        let config = full(&[
            ("name", "a".into()),
            ("value", "new".into()),
            (
                "rule",
                Value::List(vec![
                    obj(&[("uid", Value::Null)]),
                    obj(&[("uid", Value::Null)]),
                ]),
            ),
        ]);
        let out = plan_change(&schema(), &prior, &proposed, &config, false);
        // A null id may be filled in by the update; a value kept as the
        // prior one stays null.
        assert!(out.plan.get("id").is_unknown());
        assert_eq!(out.plan.get("iops"), &Value::Null);
        let rules = out.plan.get("rule").elements().unwrap();
        assert_eq!(rules[0].get("uid"), &Value::from("u1"));
        assert!(rules[1].get("uid").is_unknown(), "{:?}", rules[1]);
    }

    #[test]
    fn contract_checks_name_the_attribute() {
        let config = full(&[("name", "a".into())]);
        let mut plan = config.clone();
        plan.set("name", "changed");
        plan.set("value", "sneaky");
        let mut d = Diagnostics::new();
        check_plan_keeps_config(&schema(), &config, &plan, &AttributePath::root(), &mut d);
        let paths: Vec<String> = d
            .iter()
            .filter_map(|x| x.path.as_ref().map(|p| p.to_string()))
            .collect();
        assert_eq!(paths, vec!["name", "value"]);

        let planned = obj(&[
            ("name", "a".into()),
            ("id", Value::UNKNOWN),
            ("revision", 2.into()),
        ]);
        let applied = obj(&[
            ("name", "a".into()),
            ("id", Value::UNKNOWN),
            ("revision", 3.into()),
        ]);
        let mut d = Diagnostics::new();
        check_apply_result(&Block::default(), &planned, &applied, &mut d);
        let paths: Vec<String> = d
            .iter()
            .filter_map(|x| x.path.as_ref().map(|p| p.to_string()))
            .collect();
        assert_eq!(paths, vec!["revision", "id"]);
    }

    #[test]
    fn timeouts_read_from_the_block() {
        let v = obj(&[("timeouts", obj(&[("create", "2m".into())]))]);
        assert_eq!(
            timeout(&v, "create", Duration::from_secs(1)),
            Duration::from_secs(120)
        );
        assert_eq!(
            timeout(&v, "delete", Duration::from_secs(1)),
            Duration::from_secs(1)
        );
    }
}
