//! Schemas: what a provider, resource, data source, ephemeral resource or
//! action accepts, built with a small builder API.
//!
//! ```
//! use tfplugin::schema::{Attribute, Block, NestedBlock, Schema};
//!
//! let schema = Schema::new(
//!     Block::new()
//!         .describe("A stored item.")
//!         .attribute(Attribute::string("name").required().requires_replace())
//!         .attribute(Attribute::string("id").computed().use_state_for_unknown())
//!         .block(NestedBlock::list("rule", Block::new().attribute(Attribute::number("priority").required())).max_items(10)),
//! )
//! .version(1);
//! assert_eq!(schema.block.attributes.len(), 2);
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::plan::modifiers::{self, PlanModifier};
use crate::validate::Validator;
use crate::value::{Type, Value};

/// A versioned schema for one kind of object.
#[derive(Clone, Default)]
pub struct Schema {
    /// Bumped when stored state needs an upgrade (see `Resource::upgrade_state`).
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(block: Block) -> Self {
        Schema { version: 0, block }
    }

    #[must_use]
    pub fn version(mut self, version: i64) -> Self {
        self.version = version;
        self
    }

    /// The object type of values of this schema.
    pub fn ty(&self) -> Type {
        self.block.ty()
    }
}

/// How a nested block or nested attribute repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
    /// A single block that is never null (blocks only).
    Group,
}

/// A configuration block: attributes and nested blocks.
#[derive(Clone, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecated: Option<String>,
}

impl Block {
    pub fn new() -> Self {
        Block::default()
    }

    /// Adds an attribute, keeping attributes sorted by name.
    #[must_use]
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        let at = self.attributes.partition_point(|a| a.name < attribute.name);
        self.attributes.insert(at, attribute);
        self
    }

    /// Adds a nested block, keeping blocks sorted by name.
    #[must_use]
    pub fn block(mut self, block: NestedBlock) -> Self {
        let at = self.blocks.partition_point(|b| b.name < block.name);
        self.blocks.insert(at, block);
        self
    }

    /// Markdown description; it also feeds the generated docs.
    #[must_use]
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    #[must_use]
    pub fn deprecated(mut self, message: impl Into<String>) -> Self {
        self.deprecated = Some(message.into());
        self
    }

    /// Adds the conventional `timeouts` block with the given operations
    /// (`create`, `read`, `update`, `delete`), each a duration like `"30m"`.
    #[must_use]
    pub fn timeouts(self, operations: &[&str]) -> Self {
        let mut block = Block::new().describe("How long each operation may take before it fails.");
        for op in operations {
            block = block.attribute(
                Attribute::string(*op)
                    .optional()
                    .describe(format!(
                        "Time limit for {op}, e.g. `\"30m\"` or `\"1h30m\"`."
                    ))
                    .validate(crate::validate::duration()),
            );
        }
        self.block(NestedBlock::new("timeouts", Nesting::Single, block))
    }

    pub fn get_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn get_block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.name == name)
    }

    pub fn ty(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty()))
            .collect();
        for b in &self.blocks {
            attrs.insert(b.name.clone(), b.ty());
        }
        Type::Object(attrs, Default::default())
    }
}

/// A nested block such as `rule { ... }`.
#[derive(Clone)]
pub struct NestedBlock {
    pub name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

impl NestedBlock {
    pub fn new(name: impl Into<String>, nesting: Nesting, block: Block) -> Self {
        NestedBlock {
            name: name.into(),
            nesting,
            block,
            min_items: 0,
            max_items: 0,
        }
    }

    pub fn single(name: impl Into<String>, block: Block) -> Self {
        Self::new(name, Nesting::Single, block)
    }

    pub fn list(name: impl Into<String>, block: Block) -> Self {
        Self::new(name, Nesting::List, block)
    }

    pub fn set(name: impl Into<String>, block: Block) -> Self {
        Self::new(name, Nesting::Set, block)
    }

    pub fn map(name: impl Into<String>, block: Block) -> Self {
        Self::new(name, Nesting::Map, block)
    }

    #[must_use]
    pub fn min_items(mut self, n: i64) -> Self {
        self.min_items = n;
        self
    }

    #[must_use]
    pub fn max_items(mut self, n: i64) -> Self {
        self.max_items = n;
        self
    }

    pub fn ty(&self) -> Type {
        let obj = self.block.ty();
        match self.nesting {
            Nesting::Single | Nesting::Group => obj,
            Nesting::List => Type::list(obj),
            Nesting::Set => Type::set(obj),
            Nesting::Map => Type::map(obj),
        }
    }
}

/// The value type of an attribute: a plain type, or nested attributes.
#[derive(Clone)]
pub enum AttributeType {
    Plain(Type),
    Nested(Nesting, Vec<Attribute>),
}

/// One attribute with its flags, default, plan modifiers and validators.
#[derive(Clone)]
pub struct Attribute {
    pub name: String,
    pub kind: AttributeType,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub write_only: bool,
    pub deprecated: Option<String>,
    /// The planned value when the configuration leaves it null (an
    /// imported object keeps its own value instead, unless the default is
    /// `enforced`).
    pub default: Option<Value>,
    /// The default is a rule, not a preference: imported objects are
    /// brought to it too.
    pub enforced: bool,
    pub modifiers: Vec<Arc<dyn PlanModifier>>,
    pub validators: Vec<Arc<dyn Validator>>,
}

impl Attribute {
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Attribute {
            name: name.into(),
            kind: AttributeType::Plain(ty),
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            write_only: false,
            deprecated: None,
            default: None,
            enforced: false,
            modifiers: Vec::new(),
            validators: Vec::new(),
        }
    }

    pub fn string(name: impl Into<String>) -> Self {
        Self::new(name, Type::String)
    }

    pub fn number(name: impl Into<String>) -> Self {
        Self::new(name, Type::Number)
    }

    pub fn bool(name: impl Into<String>) -> Self {
        Self::new(name, Type::Bool)
    }

    /// Nested attributes (`settings = { ... }`), with the given nesting.
    pub fn nested(name: impl Into<String>, nesting: Nesting, attributes: Vec<Attribute>) -> Self {
        let mut a = Self::new(name, Type::Dynamic);
        let mut attributes = attributes;
        attributes.sort_by(|x, y| x.name.cmp(&y.name));
        a.kind = AttributeType::Nested(nesting, attributes);
        a
    }

    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    #[must_use]
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    #[must_use]
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }

    #[must_use]
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Write-only (Terraform 1.11+): sent at plan and apply, never stored.
    #[must_use]
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }

    #[must_use]
    pub fn deprecated(mut self, message: impl Into<String>) -> Self {
        self.deprecated = Some(message.into());
        self
    }

    #[must_use]
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// A default makes the attribute optional and computed.
    #[must_use]
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self.optional = true;
        self.computed = true;
        self
    }

    /// Makes the default a rule that imported objects follow too (by
    /// default an imported object keeps its own value where the
    /// configuration leaves a default).
    #[must_use]
    pub fn enforced(mut self) -> Self {
        self.enforced = true;
        self
    }

    #[must_use]
    pub fn modifier(mut self, m: impl PlanModifier + 'static) -> Self {
        self.modifiers.push(Arc::new(m));
        self
    }

    #[must_use]
    pub fn validate(mut self, v: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(v));
        self
    }

    /// Shorthand for the [`modifiers::RequiresReplace`] modifier.
    #[must_use]
    pub fn requires_replace(self) -> Self {
        self.modifier(modifiers::RequiresReplace)
    }

    /// Shorthand for the [`modifiers::UseStateForUnknown`] modifier.
    #[must_use]
    pub fn use_state_for_unknown(self) -> Self {
        self.modifier(modifiers::UseStateForUnknown)
    }

    /// Shorthand for the [`modifiers::KeepPriorValue`] modifier.
    pub fn keep_prior_value(self) -> Self {
        self.modifier(modifiers::KeepPriorValue)
    }

    pub fn ty(&self) -> Type {
        match &self.kind {
            AttributeType::Plain(t) => t.clone(),
            AttributeType::Nested(nesting, attrs) => {
                let obj = Type::object(attrs.iter().map(|a| (a.name.clone(), a.ty())));
                match nesting {
                    Nesting::Single | Nesting::Group => obj,
                    Nesting::List => Type::list(obj),
                    Nesting::Set => Type::set(obj),
                    Nesting::Map => Type::map(obj),
                }
            }
        }
    }
}

/// The identity schema of a managed resource (Terraform 1.12+): the
/// attributes that identify one remote object, for import by identity.
#[derive(Clone, Debug, Default)]
pub struct IdentitySchema {
    pub version: i64,
    /// Name, type, whether import requires it, and a description.
    pub attributes: Vec<IdentityAttribute>,
}

#[derive(Clone, Debug)]
pub struct IdentityAttribute {
    pub name: String,
    pub ty: Type,
    pub required_for_import: bool,
    pub description: String,
}

impl IdentitySchema {
    pub fn ty(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone())),
        )
    }
}
