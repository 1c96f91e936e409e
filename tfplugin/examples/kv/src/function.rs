//! `provider::kv::checksum(string)`: a stable FNV-1a 64-bit checksum.

use tfplugin::function::{Function, FunctionError, Parameter, Signature};
use tfplugin::value::{Type, Value};

pub struct Checksum;

impl Function for Checksum {
    fn name(&self) -> &str {
        "checksum"
    }

    fn signature(&self) -> Signature {
        Signature {
            parameters: vec![Parameter::new("input", Type::String).describe("Text to checksum.")],
            variadic: None,
            returns: Type::String,
            summary: "FNV-1a checksum of a string".into(),
            description: "Returns the 64-bit FNV-1a hash of `input` as 16 hex digits.".into(),
        }
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let input = args
            .first()
            .and_then(Value::as_str)
            .ok_or_else(|| FunctionError::argument(0, "input must be a string"))?;
        let hash = input.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        Ok(Value::String(format!("{hash:016x}")))
    }
}
