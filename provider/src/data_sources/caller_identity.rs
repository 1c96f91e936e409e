//! `onto_caller_identity`: who the provider is, in which account and region.

use async_trait::async_trait;
use tfplugin::data_source::DataSource;
use tfplugin::diag::Result;
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::value::Value;
use tfplugin::Stop;

use crate::shared::Shared;

pub struct CallerIdentity(pub Shared);

#[async_trait]
impl DataSource for CallerIdentity {
    fn type_name(&self) -> &str {
        "onto_caller_identity"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .describe("The AWS identity the provider runs as (STS GetCallerIdentity).")
                .attribute(
                    Attribute::string("region")
                        .optional()
                        .computed()
                        .describe("Region asked; defaults to the provider's."),
                )
                .attribute(
                    Attribute::string("account_id")
                        .computed()
                        .describe("AWS account id."),
                )
                .attribute(
                    Attribute::string("arn")
                        .computed()
                        .describe("ARN of the caller."),
                )
                .attribute(
                    Attribute::string("user_id")
                        .computed()
                        .describe("Unique id of the caller."),
                )
                .attribute(
                    Attribute::string("partition")
                        .computed()
                        .describe("AWS partition (`aws`, `aws-cn`, `aws-us-gov`)."),
                )
                .attribute(
                    Attribute::string("environment")
                        .computed()
                        .describe("The provider's environment."),
                ),
        )
    }

    async fn read(&self, config: &Value, _stop: &Stop) -> Result<Value> {
        let aws = self.0.require()?;
        let region = aws
            .region_or_default(config.get("region").as_str())
            .to_owned();
        let me = crate::aws::sts::caller_identity(&aws.sts(&region)).await?;
        let partition = me.arn.split(':').nth(1).unwrap_or("aws").to_owned();
        let mut v = config.clone();
        v.set("region", region);
        v.set("account_id", me.account);
        v.set("arn", me.arn);
        v.set("user_id", me.user_id);
        v.set("partition", partition);
        v.set("environment", aws.environment.clone());
        Ok(v)
    }
}
