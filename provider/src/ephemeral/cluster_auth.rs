//! `onto_cluster_auth`: credentials for the kubernetes and helm providers —
//! the cluster's endpoint and CA, and a short-lived EKS bearer token signed
//! locally from the provider's AWS credentials. As an ephemeral resource
//! (Terraform 1.10+) the token never reaches state or plan files; the data
//! source of the same name serves older Terraform and stores it.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_smithy_types::date_time::Format;
use tfplugin::diag::{Diagnostic, Result};
use tfplugin::ephemeral::{EphemeralResource, Opened};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::value::Value;
use tfplugin::Stop;

use crate::aws::eks_token;
use crate::shared::Shared;

pub const TYPE: &str = "onto_cluster_auth";

pub struct ClusterAuth(pub Shared);

/// The schema both the ephemeral resource and the data source use.
pub fn schema(stored: bool) -> Schema {
    let note = if stored {
        " This data source stores the token in state (valid 15 minutes, but readable by anyone with the state): prefer the ephemeral resource `onto_cluster_auth` on Terraform 1.10+."
    } else {
        " The token is never stored in state or plan files."
    };
    Schema::new(
        Block::new()
            .describe(format!("Credentials to configure the kubernetes and helm providers for an EKS cluster: endpoint, CA, and a bearer token valid 15 minutes, signed locally from the provider's AWS credentials (no AWS call for the token).{note}"))
            .attribute(Attribute::string("cluster_name").required().describe("The EKS cluster."))
            .attribute(Attribute::string("region").optional().computed().describe("Region of the cluster; defaults to the provider's."))
            .attribute(Attribute::string("endpoint").computed().describe("API server URL."))
            .attribute(Attribute::string("certificate_authority_data").computed().describe("Base64 PEM of the cluster CA (`base64decode()` it for `cluster_ca_certificate`)."))
            .attribute(Attribute::string("token").computed().sensitive().describe("Bearer token (`k8s-aws-v1.` + presigned STS GetCallerIdentity)."))
            .attribute(Attribute::string("expiration").computed().describe("When the token stops being accepted (RFC 3339).")),
    )
}

/// Reads the cluster and signs a token.
pub async fn open(shared: &Shared, config: &Value, stored: bool) -> Result<Value> {
    let aws = shared.require()?;
    let cluster = config
        .get("cluster_name")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let region = aws
        .region_or_default(config.get("region").as_str())
        .to_owned();
    let described = crate::aws::eks::find_cluster(&aws.eks(&region), &cluster).await?;
    // Terraform opens the ephemeral resource while planning even when the
    // cluster is created in the same run: then only the token is known.
    let c = match described {
        Some(c) => c,
        None if !stored => aws_sdk_eks::types::Cluster::builder().build(),
        None => {
            return Err(Diagnostic::error(
                "Cluster not found",
                format!("No EKS cluster {cluster:?} in {region}."),
            )
            .into())
        }
    };
    let (creds, sts) = aws.signing().await?;
    let now = SystemTime::now();
    let token = eks_token::token(creds, &region, &cluster, sts.as_deref(), now)
        .map_err(|e| Diagnostic::error("Could not sign the EKS token", e))?;
    // A minute of margin below what EKS accepts.
    let expires = now + eks_token::LIFETIME - Duration::from_secs(60);
    let expiration = aws_smithy_types::DateTime::from(expires)
        .fmt(Format::DateTime)
        .unwrap_or_default();
    let mut v = config.clone();
    v.set("region", region);
    let or_unknown = |s: Option<&str>| s.map_or(Value::UNKNOWN, |s| Value::String(s.to_owned()));
    v.set(
        "endpoint",
        or_unknown(c.endpoint().map(|e| e.trim_end_matches('/'))),
    );
    v.set(
        "certificate_authority_data",
        or_unknown(c.certificate_authority().and_then(|ca| ca.data())),
    );
    v.set("token", token);
    v.set("expiration", expiration);
    Ok(v)
}

#[async_trait]
impl EphemeralResource for ClusterAuth {
    fn type_name(&self) -> &str {
        TYPE
    }

    fn schema(&self) -> Schema {
        schema(false)
    }

    async fn open(&self, config: &Value, _stop: &Stop) -> Result<Opened> {
        let result = open(&self.0, config, false).await?;
        Ok(Opened {
            result,
            private: None,
            renew_at: None,
        })
    }
}
