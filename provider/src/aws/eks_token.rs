//! The EKS bearer token: a presigned STS `GetCallerIdentity` URL that also
//! signs the `x-k8s-aws-id` header (the cluster name), base64url-encoded
//! behind `k8s-aws-v1.`. The API server forwards it to STS to learn who is
//! calling; no AWS call is made to create it.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_types::base64;

/// How long EKS accepts a token after it is signed.
pub const LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The presigned URL's own expiry, as the AWS CLI and aws-iam-authenticator
/// set it (EKS applies `LIFETIME` regardless).
const URL_EXPIRY: Duration = Duration::from_secs(60);
const PREFIX: &str = "k8s-aws-v1.";

/// A token for `cluster`, signed with `creds` for STS in `region`
/// (`sts_endpoint` overrides the regional endpoint, e.g. an emulator).
pub fn token(
    creds: Credentials,
    region: &str,
    cluster: &str,
    sts_endpoint: Option<&str>,
    now: SystemTime,
) -> Result<String, String> {
    let base = match sts_endpoint {
        Some(e) => e.trim_end_matches('/').to_owned(),
        None => format!("https://sts.{region}.amazonaws.com"),
    };
    let url = format!("{base}/?Action=GetCallerIdentity&Version=2011-06-15");
    let identity: Identity = creds.into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(URL_EXPIRY);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(now)
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let signable = SignableRequest::new(
        "GET",
        url.as_str(),
        [("x-k8s-aws-id", cluster)].into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    let mut signed = url;
    for (k, v) in instructions.params() {
        signed.push('&');
        signed.push_str(k);
        signed.push('=');
        signed.push_str(&encode(v));
    }
    let b64 = base64::encode(signed.as_bytes());
    Ok(format!(
        "{PREFIX}{}",
        b64.trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_")
    ))
}

/// Percent-encoding of a query value (RFC 3986 unreserved kept).
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The presigned URL inside a token.
#[cfg(test)]
fn decode(token: &str) -> Option<String> {
    let b64 = token
        .strip_prefix(PREFIX)?
        .replace('-', "+")
        .replace('_', "/");
    let padded = format!("{b64}{}", "=".repeat((4 - b64.len() % 4) % 4));
    String::from_utf8(base64::decode(padded).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_a_presigned_get_caller_identity_bound_to_the_cluster() {
        let creds = Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            Some("session".into()),
            None,
            "test",
        );
        let t = token(
            creds,
            "eu-west-1",
            "editor",
            None,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        )
        .unwrap();
        assert!(t.starts_with("k8s-aws-v1."));
        assert!(
            !t.contains('=') && !t.contains('+') && !t.contains('/'),
            "base64url without padding"
        );
        let url = decode(&t).unwrap();
        assert!(
            url.starts_with(
                "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"
            ),
            "{url}"
        );
        for want in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Credential=AKIDEXAMPLE%2F20270115%2Feu-west-1%2Fsts%2Faws4_request",
            "X-Amz-Date=20270115T080000Z",
            "X-Amz-Expires=60",
            "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id",
            "X-Amz-Security-Token=session",
            "X-Amz-Signature=",
        ] {
            assert!(url.contains(want), "{want} missing from {url}");
        }
    }
}
