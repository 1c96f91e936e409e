//! Configuration from state: what `terraform query -generate-config-out`
//! and `terraform plan -generate-config-out` write for an object.
//!
//! The generated configuration is the state with everything a user does not
//! write taken out: computed-only and write-only attributes, values equal to
//! the attribute's default, nulls, and `timeouts` blocks. What remains is
//! what the user would have written to get this object, so applying it with
//! the object's `import` block leaves a plan with no changes.

use std::collections::BTreeMap;

use crate::schema::{Attribute, AttributeType, Block, Nesting};
use crate::value::Value;

/// The configuration a user would write for `state` under `block`.
pub fn from_state(block: &Block, state: &Value) -> Value {
    let Value::Object(fields) = state else {
        return Value::Null;
    };
    let mut out = BTreeMap::new();
    for attr in &block.attributes {
        let v = fields.get(&attr.name).unwrap_or(&Value::Null);
        out.insert(attr.name.clone(), attribute(attr, v));
    }
    for nb in &block.blocks {
        let v = fields.get(&nb.name).unwrap_or(&Value::Null);
        let kept = if nb.name == "timeouts" {
            empty(nb.nesting)
        } else {
            elements(nb.nesting, v, &|e| from_state(&nb.block, e))
        };
        out.insert(nb.name.clone(), kept);
    }
    Value::Object(out)
}

fn attribute(attr: &Attribute, v: &Value) -> Value {
    let written = attr.required || attr.optional;
    if !written || attr.write_only || v.is_null() || v.is_unknown() {
        return Value::Null;
    }
    if !attr.required && attr.default.as_ref().is_some_and(|d| d.same(v)) {
        return Value::Null;
    }
    match &attr.kind {
        AttributeType::Plain(_) => v.clone(),
        AttributeType::Nested(nesting, attrs) => {
            let inner = Block {
                attributes: attrs.clone(),
                ..Block::default()
            };
            elements(*nesting, v, &|e| from_state(&inner, e))
        }
    }
}

fn elements(nesting: Nesting, v: &Value, each: &dyn Fn(&Value) -> Value) -> Value {
    match v {
        Value::List(items) => Value::List(items.iter().map(each).collect()),
        Value::Set(items) => Value::Set(items.iter().map(each).collect()),
        Value::Map(items) => Value::Map(items.iter().map(|(k, e)| (k.clone(), each(e))).collect()),
        Value::Object(_) => each(v),
        _ => empty(nesting),
    }
}

fn empty(nesting: Nesting) -> Value {
    match nesting {
        Nesting::List => Value::List(vec![]),
        Nesting::Set => Value::Set(vec![]),
        Nesting::Map => Value::Map(BTreeMap::new()),
        Nesting::Single | Nesting::Group => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, NestedBlock};

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn keeps_what_a_user_writes_and_nothing_else() {
        let block = Block::new()
            .attribute(Attribute::string("name").required())
            .attribute(Attribute::string("kind").default("plain"))
            .attribute(Attribute::string("size").optional().computed())
            .attribute(Attribute::string("arn").computed())
            .attribute(Attribute::string("token").optional().write_only())
            .block(NestedBlock::list(
                "rule",
                Block::new()
                    .attribute(Attribute::string("match").required())
                    .attribute(Attribute::string("uid").computed()),
            ))
            .block(NestedBlock::single(
                "timeouts",
                Block::new().attribute(Attribute::string("create").optional()),
            ));
        let state = obj(&[
            ("name", "a".into()),
            ("kind", "plain".into()),
            ("size", "large".into()),
            ("arn", "arn:x".into()),
            ("token", Value::Null),
            (
                "rule",
                Value::List(vec![obj(&[("match", "m".into()), ("uid", "u".into())])]),
            ),
            ("timeouts", obj(&[("create", "5m".into())])),
        ]);
        let config = from_state(&block, &state);
        assert_eq!(
            config,
            obj(&[
                ("name", "a".into()),
                ("kind", Value::Null),
                ("size", "large".into()),
                ("arn", Value::Null),
                ("token", Value::Null),
                (
                    "rule",
                    Value::List(vec![obj(&[("match", "m".into()), ("uid", Value::Null)])])
                ),
                ("timeouts", Value::Null),
            ])
        );
    }
}
