//! `kv_token`: an ephemeral random token that never reaches state.

use async_trait::async_trait;
use tfplugin::diag::Result;
use tfplugin::ephemeral::{EphemeralResource, Opened};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::validate::int_between;
use tfplugin::value::Value;
use tfplugin::Stop;

pub struct Token;

#[async_trait]
impl EphemeralResource for Token {
    fn type_name(&self) -> &str {
        "kv_token"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .describe("A short-lived random token.")
                .attribute(
                    Attribute::number("length")
                        .optional()
                        .validate(int_between(8, 64)),
                )
                .attribute(Attribute::string("token").computed().sensitive()),
        )
    }

    async fn open(&self, config: &Value, _stop: &Stop) -> Result<Opened> {
        let len = config.get("length").as_i64().unwrap_or(16) as usize;
        let mut token = String::new();
        while token.len() < len {
            token.push_str(&crate::store::new_id());
        }
        token.truncate(len);
        let mut result = config.clone();
        result.set("token", token);
        Ok(Opened {
            result,
            private: None,
            renew_at: None,
        })
    }
}
