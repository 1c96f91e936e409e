//! Provider-defined functions (Terraform 1.8+): `provider::NAME::FUNCTION(...)`.

use crate::value::{Type, Value};

/// A function parameter.
#[derive(Clone, Debug)]
pub struct Parameter {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub allow_null: bool,
    pub allow_unknown: bool,
}

impl Parameter {
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Parameter {
            name: name.into(),
            ty,
            description: String::new(),
            allow_null: false,
            allow_unknown: false,
        }
    }

    #[must_use]
    pub fn describe(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }
}

/// A function's signature and documentation.
#[derive(Clone, Debug)]
pub struct Signature {
    pub parameters: Vec<Parameter>,
    pub variadic: Option<Parameter>,
    pub returns: Type,
    pub summary: String,
    pub description: String,
}

/// An error from a function call, optionally blaming one argument.
#[derive(Clone, Debug)]
pub struct FunctionError {
    pub text: String,
    pub argument: Option<usize>,
}

impl FunctionError {
    pub fn new(text: impl Into<String>) -> Self {
        FunctionError {
            text: text.into(),
            argument: None,
        }
    }

    pub fn argument(index: usize, text: impl Into<String>) -> Self {
        FunctionError {
            text: text.into(),
            argument: Some(index),
        }
    }
}

pub trait Function: Send + Sync + 'static {
    /// The function name, without the `provider::NAME::` prefix.
    fn name(&self) -> &str;

    fn signature(&self) -> Signature;

    /// Runs the function. Arguments arrive decoded with their parameter
    /// types; variadic arguments follow the fixed ones.
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError>;
}
