//! Conversions between our types and the protocol's messages.

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::function::{Parameter, Signature};
use crate::proto::tfplugin6 as pb;
use crate::schema::{Attribute, AttributeType, Block, IdentitySchema, Nesting, Schema};
use crate::value::{self, AttributePath, Step, Type, Value};

/// Decodes a `DynamicValue` (msgpack preferred, JSON accepted). An absent
/// value is null.
pub fn decode(dv: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostic> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let decoded = if !dv.msgpack.is_empty() {
        value::from_msgpack(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        value::from_json(&dv.json, ty)
    } else {
        return Ok(Value::Null);
    };
    decoded.map_err(|e| {
        Diagnostic::error(
            format!("Unable to read {what}"),
            format!("Terraform sent a value that does not match the schema: {e}"),
        )
    })
}

/// Encodes a value as msgpack.
pub fn encode(v: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostic> {
    value::to_msgpack(v, ty)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| {
            Diagnostic::error(
                format!("Provider produced an invalid {what}"),
                format!("The value does not match the schema: {e}. This is a bug in the provider."),
            )
        })
}

pub fn diagnostics(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags.into_iter().map(diagnostic).collect()
}

pub fn diagnostic(d: Diagnostic) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: match d.severity {
            Severity::Error => pb::diagnostic::Severity::Error,
            Severity::Warning => pb::diagnostic::Severity::Warning,
        } as i32,
        summary: d.summary,
        detail: d.detail,
        attribute: d.path.as_ref().map(path),
    }
}

pub fn path(p: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: p
            .steps()
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    Step::Attr(n) => Selector::AttributeName(n.clone()),
                    Step::Key(k) => Selector::ElementKeyString(k.clone()),
                    Step::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

fn kind(description: &str) -> i32 {
    if description.is_empty() {
        pb::StringKind::Plain as i32
    } else {
        pb::StringKind::Markdown as i32
    }
}

pub fn schema(s: &Schema) -> pb::Schema {
    pb::Schema {
        version: s.version,
        block: Some(block(&s.block, s.version)),
    }
}

fn block(b: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b
            .blocks
            .iter()
            .map(|nb| pb::schema::NestedBlock {
                type_name: nb.name.clone(),
                block: Some(block(&nb.block, 0)),
                nesting: match nb.nesting {
                    Nesting::Single => pb::schema::nested_block::NestingMode::Single,
                    Nesting::List => pb::schema::nested_block::NestingMode::List,
                    Nesting::Set => pb::schema::nested_block::NestingMode::Set,
                    Nesting::Map => pb::schema::nested_block::NestingMode::Map,
                    Nesting::Group => pb::schema::nested_block::NestingMode::Group,
                } as i32,
                min_items: nb.min_items,
                max_items: nb.max_items,
            })
            .collect(),
        description: b.description.clone(),
        description_kind: kind(&b.description),
        deprecated: b.deprecated.is_some(),
        deprecation_message: b.deprecated.clone().unwrap_or_default(),
        computed: false,
    }
}

fn attribute(a: &Attribute) -> pb::schema::Attribute {
    let (ty, nested) = match &a.kind {
        AttributeType::Plain(t) => (t.to_json_bytes(), None),
        AttributeType::Nested(nesting, attrs) => (
            Vec::new(),
            Some(pb::schema::Object {
                attributes: attrs.iter().map(attribute).collect(),
                nesting: match nesting {
                    Nesting::Single | Nesting::Group => pb::schema::object::NestingMode::Single,
                    Nesting::List => pb::schema::object::NestingMode::List,
                    Nesting::Set => pb::schema::object::NestingMode::Set,
                    Nesting::Map => pb::schema::object::NestingMode::Map,
                } as i32,
                ..Default::default()
            }),
        ),
    };
    pb::schema::Attribute {
        name: a.name.clone(),
        r#type: ty,
        nested_type: nested,
        description: a.description.clone(),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        description_kind: kind(&a.description),
        deprecated: a.deprecated.is_some(),
        write_only: a.write_only,
        deprecation_message: a.deprecated.clone().unwrap_or_default(),
    }
}

pub fn identity_schema(s: &IdentitySchema) -> pb::ResourceIdentitySchema {
    pb::ResourceIdentitySchema {
        version: s.version,
        identity_attributes: s
            .attributes
            .iter()
            .map(|a| pb::resource_identity_schema::IdentityAttribute {
                name: a.name.clone(),
                r#type: a.ty.to_json_bytes(),
                required_for_import: a.required_for_import,
                optional_for_import: !a.required_for_import,
                description: a.description.clone(),
            })
            .collect(),
    }
}

fn parameter(p: &Parameter) -> pb::function::Parameter {
    pb::function::Parameter {
        name: p.name.clone(),
        r#type: p.ty.to_json_bytes(),
        allow_null_value: p.allow_null,
        allow_unknown_values: p.allow_unknown,
        description: p.description.clone(),
        description_kind: kind(&p.description),
    }
}

pub fn function(s: &Signature) -> pb::Function {
    pb::Function {
        parameters: s.parameters.iter().map(parameter).collect(),
        variadic_parameter: s.variadic.as_ref().map(parameter),
        r#return: Some(pb::function::Return {
            r#type: s.returns.to_json_bytes(),
        }),
        summary: s.summary.clone(),
        description: s.description.clone(),
        description_kind: kind(&s.description),
        deprecation_message: String::new(),
    }
}

pub fn timestamp(t: std::time::SystemTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(t)
}
