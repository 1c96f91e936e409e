//! STS: who the configured credentials are.

use tfplugin::diag::Result;

use super::failed;

/// The caller's account, ARN and user id.
pub struct Identity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

pub async fn caller_identity(sts: &aws_sdk_sts::Client) -> Result<Identity> {
    let me = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(failed("sts:GetCallerIdentity"))?;
    Ok(Identity {
        account: me.account().unwrap_or_default().to_owned(),
        arn: me.arn().unwrap_or_default().to_owned(),
        user_id: me.user_id().unwrap_or_default().to_owned(),
    })
}
