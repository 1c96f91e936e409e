//! The one AWS layer every resource uses: configuration loaded once, clients
//! built lazily per region and cached (one provider process serves every
//! region), error reporting that names the operation, code and request id,
//! and retries for eventual consistency. Throttling and 5xx retries with
//! jittered backoff are the SDK's standard retry mode, configured here.

pub mod eks_token;
mod waiter;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::request_id::RequestId;
use tfplugin::diag::{Diagnostic, Diagnostics};

use crate::config::Config;

pub use waiter::{wait_until, Poll};

/// Default retry count for throttling and server errors.
const DEFAULT_MAX_RETRIES: u32 = 5;

/// Clients of one service, one per region.
struct Clients<C>(Mutex<HashMap<String, C>>);

impl<C: Clone> Clients<C> {
    fn new() -> Self {
        Clients(Mutex::new(HashMap::new()))
    }

    fn get(&self, region: &str, make: impl FnOnce() -> C) -> C {
        let mut map = match self.0.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(region.to_owned()).or_insert_with(make).clone()
    }
}

/// The configured AWS access of one provider instance.
pub struct Aws {
    sdk: SdkConfig,
    /// The default region (a resource's `region` overrides it).
    pub region: String,
    endpoints: BTreeMap<String, String>,
    endpoint_url: Option<String>,
    path_style: bool,
    pub environment: String,
    pub default_tags: BTreeMap<String, String>,
    sts: Clients<aws_sdk_sts::Client>,
    ecr: Clients<aws_sdk_ecr::Client>,
    s3: Clients<aws_sdk_s3::Client>,
    dynamodb: Clients<aws_sdk_dynamodb::Client>,
    ec2: Clients<aws_sdk_ec2::Client>,
    rds: Clients<aws_sdk_rds::Client>,
    elasticache: Clients<aws_sdk_elasticache::Client>,
    eks: Clients<aws_sdk_eks::Client>,
    iam: Clients<aws_sdk_iam::Client>,
    amp: Clients<aws_sdk_amp::Client>,
    logs: Clients<aws_sdk_cloudwatchlogs::Client>,
    cloudwatch: Clients<aws_sdk_cloudwatch::Client>,
}

impl Aws {
    /// Loads credentials and region from the provider block and the standard
    /// AWS chain. Makes no AWS call.
    pub async fn load(cfg: &Config) -> Result<Aws, Diagnostics> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry_config(cfg.max_retries.unwrap_or(DEFAULT_MAX_RETRIES)));
        if let Some(r) = &cfg.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(p) = &cfg.profile {
            loader = loader.profile_name(p);
        }
        match (&cfg.access_key, &cfg.secret_key) {
            (Some(a), Some(s)) => {
                loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                    a,
                    s,
                    cfg.token.clone(),
                    None,
                    "onto-provider-config",
                ));
            }
            (None, None) => {}
            _ => {
                return Err(Diagnostic::error(
                    "Incomplete static credentials",
                    "Set both access_key and secret_key, or neither (to use the environment or a profile).",
                )
                .into())
            }
        }
        if let Some(u) = &cfg.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        let mut sdk = loader.load().await;
        if let Some(role) = &cfg.assume_role {
            let mut b = aws_config::sts::AssumeRoleProvider::builder(&role.role_arn).session_name(
                role.session_name
                    .clone()
                    .unwrap_or_else(|| "onto-terraform".into()),
            );
            if let Some(id) = &role.external_id {
                b = b.external_id(id);
            }
            if let Some(d) = role
                .duration
                .as_deref()
                .and_then(|d| tfplugin::validate::parse_duration(d).ok())
            {
                b = b.session_length(d);
            }
            let provider = b.configure(&sdk).build().await;
            sdk = sdk
                .into_builder()
                .credentials_provider(
                    aws_credential_types::provider::SharedCredentialsProvider::new(provider),
                )
                .build();
        }
        let region = sdk
            .region()
            .map(ToString::to_string)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "No AWS region",
                    "Set `region` in the provider block, or AWS_REGION in the environment, or a region in your AWS profile.",
                ))
            })?;
        Ok(Aws {
            sdk,
            region,
            endpoints: cfg.endpoints.clone().unwrap_or_default(),
            endpoint_url: cfg.endpoint_url.clone(),
            path_style: cfg.endpoint_url.is_some()
                || cfg.endpoints.as_ref().is_some_and(|e| e.contains_key("s3")),
            environment: cfg.environment.clone().unwrap_or_else(|| "dev".into()),
            default_tags: cfg.default_tags.clone().unwrap_or_default(),
            sts: Clients::new(),
            ecr: Clients::new(),
            s3: Clients::new(),
            dynamodb: Clients::new(),
            ec2: Clients::new(),
            rds: Clients::new(),
            elasticache: Clients::new(),
            eks: Clients::new(),
            iam: Clients::new(),
            amp: Clients::new(),
            logs: Clients::new(),
            cloudwatch: Clients::new(),
        })
    }

    /// The region a resource uses: its own `region`, or the default.
    pub fn region_or_default<'a>(&'a self, region: Option<&'a str>) -> &'a str {
        region.filter(|r| !r.is_empty()).unwrap_or(&self.region)
    }

    fn endpoint(&self, service: &str) -> Option<&String> {
        self.endpoints.get(service)
    }

    /// Whether `service` is reached over plain HTTP (a local emulator).
    pub fn plain_http_endpoint(&self, service: &str) -> bool {
        self.endpoint(service)
            .or(self.endpoint_url.as_ref())
            .is_some_and(|u| u.starts_with("http://"))
    }

    pub fn is_prod(&self) -> bool {
        self.environment == "prod"
    }

    pub fn sts(&self, region: &str) -> aws_sdk_sts::Client {
        self.sts.get(region, || {
            let mut b = aws_sdk_sts::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_owned()));
            if let Some(u) = self.endpoint("sts") {
                b = b.endpoint_url(u);
            }
            aws_sdk_sts::Client::from_conf(b.build())
        })
    }

    pub fn ecr(&self, region: &str) -> aws_sdk_ecr::Client {
        self.ecr.get(region, || {
            let mut b = aws_sdk_ecr::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_owned()));
            if let Some(u) = self.endpoint("ecr") {
                b = b.endpoint_url(u);
            }
            aws_sdk_ecr::Client::from_conf(b.build())
        })
    }

    pub fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        self.s3.get(region, || {
            let mut b = aws_sdk_s3::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_owned()))
                .force_path_style(self.path_style);
            if let Some(u) = self.endpoint("s3") {
                b = b.endpoint_url(u);
            }
            aws_sdk_s3::Client::from_conf(b.build())
        })
    }

    pub fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        self.ec2.get(region, || {
            let mut b = aws_sdk_ec2::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_owned()));
            if let Some(u) = self.endpoint("ec2") {
                b = b.endpoint_url(u);
            }
            aws_sdk_ec2::Client::from_conf(b.build())
        })
    }

    pub fn rds(&self, region: &str) -> aws_sdk_rds::Client {
        self.rds.get(region, || {
            let mut b = aws_sdk_rds::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_owned()));
            if let Some(u) = self.endpoint("rds") {
                b = b.endpoint_url(u);
            }
            aws_sdk_rds::Client::from_conf(b.build())
        })
    }

    pub fn elasticache(&self, region: &str) -> aws_sdk_elasticache::Client {
        self.elasticache.get(region, || {
            let mut b = aws_sdk_elasticache::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_owned()));
            if let Some(u) = self.endpoint("elasticache") {
                b = b.endpoint_url(u);
            }
            aws_sdk_elasticache::Client::from_conf(b.build())
        })
    }

    pub fn eks(&self, region: &str) -> aws_sdk_eks::Client {
        self.eks.get(region, || {
            let mut b = aws_sdk_eks::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_owned()));
            if let Some(u) = self.endpoint("eks") {
                b = b.endpoint_url(u);
            }
            aws_sdk_eks::Client::from_conf(b.build())
        })
    }

    /// IAM is global: one client, signed for the partition's home region.
    pub fn iam(&self) -> aws_sdk_iam::Client {
        let home = match partition(&self.region) {
            "aws-cn" => "cn-north-1",
            "aws-us-gov" => "us-gov-west-1",
            _ => "us-east-1",
        };
        self.iam.get(home, || {
            let mut b =
                aws_sdk_iam::config::Builder::from(&self.sdk).region(Region::new(home.to_owned()));
            if let Some(u) = self.endpoint("iam") {
                b = b.endpoint_url(u);
            }
            aws_sdk_iam::Client::from_conf(b.build())
        })
    }

    pub fn amp(&self, region: &str) -> aws_sdk_amp::Client {
        self.amp.get(region, || {
            let mut b = aws_sdk_amp::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_owned()));
            if let Some(u) = self.endpoint("amp") {
                b = b.endpoint_url(u);
            }
            aws_sdk_amp::Client::from_conf(b.build())
        })
    }

    pub fn logs(&self, region: &str) -> aws_sdk_cloudwatchlogs::Client {
        self.logs.get(region, || {
            let mut b = aws_sdk_cloudwatchlogs::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_owned()));
            if let Some(u) = self.endpoint("logs") {
                b = b.endpoint_url(u);
            }
            aws_sdk_cloudwatchlogs::Client::from_conf(b.build())
        })
    }

    pub fn cloudwatch(&self, region: &str) -> aws_sdk_cloudwatch::Client {
        self.cloudwatch.get(region, || {
            let mut b = aws_sdk_cloudwatch::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_owned()));
            if let Some(u) = self.endpoint("cloudwatch") {
                b = b.endpoint_url(u);
            }
            aws_sdk_cloudwatch::Client::from_conf(b.build())
        })
    }

    /// The credentials and STS endpoint for signing a request by hand (the
    /// EKS token), or why there are none.
    pub async fn signing(
        &self,
    ) -> Result<(aws_credential_types::Credentials, Option<String>), Diagnostics> {
        use aws_credential_types::provider::ProvideCredentials;
        let provider = self.sdk.credentials_provider().ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "No AWS credentials",
                "The provider found no credentials to sign with.",
            ))
        })?;
        let creds = provider.provide_credentials().await.map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "No AWS credentials",
                format!("Loading credentials failed: {}", DisplayErrorContext(&e)),
            ))
        })?;
        Ok((
            creds,
            self.endpoint("sts").or(self.endpoint_url.as_ref()).cloned(),
        ))
    }

    pub fn dynamodb(&self, region: &str) -> aws_sdk_dynamodb::Client {
        self.dynamodb.get(region, || {
            let mut b = aws_sdk_dynamodb::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_owned()));
            if let Some(u) = self.endpoint("dynamodb") {
                b = b.endpoint_url(u);
            }
            aws_sdk_dynamodb::Client::from_conf(b.build())
        })
    }
}

/// The AWS partition of a region (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Standard retry mode: throttling, 5xx and transient network errors are
/// retried with jittered exponential backoff; everything else fails at once.
pub fn retry_config(max_retries: u32) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(max_retries + 1)
        .with_max_backoff(Duration::from_secs(20))
}

/// An AWS refusal as a diagnostic: operation, error code, message and
/// request id, so it can be looked up in CloudTrail or with AWS support.
pub fn error<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> Diagnostic
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let detail = match err {
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or("UnknownError");
            let message = err.message().unwrap_or("no message");
            let request = err
                .request_id()
                .map(|id| format!(" (request id {id})"))
                .unwrap_or_default();
            format!("{code}: {message}{request}")
        }
        SdkError::TimeoutError(_) => "the request timed out".to_owned(),
        SdkError::DispatchFailure(_) => {
            format!(
                "could not reach the AWS endpoint: {}",
                DisplayErrorContext(err)
            )
        }
        other => DisplayErrorContext(other).to_string(),
    };
    Diagnostic::error(format!("AWS {operation} failed"), detail)
}

/// `map_err` adapter: an AWS error from `operation` as diagnostics.
pub fn failed<E>(operation: &str) -> impl FnOnce(SdkError<E, HttpResponse>) -> Diagnostics
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let operation = operation.to_owned();
    move |e| error(&operation, &e).into()
}

/// The error code of a service error, if the call reached AWS.
pub fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(s) => s.err().code(),
        _ => None,
    }
}

/// Retries `call` while it fails with one of `codes` — errors AWS returns
/// while a change it just accepted is still propagating — with jittered
/// backoff for up to `limit`. Any other error returns at once.
pub async fn retry_eventual<T, E, F, Fut>(
    codes: &[&str],
    limit: Duration,
    mut call: F,
) -> Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
{
    let start = tokio::time::Instant::now();
    let mut delay = Duration::from_millis(100);
    loop {
        match call().await {
            Err(e)
                if code(&e).is_some_and(|c| codes.contains(&c))
                    && start.elapsed() + delay < limit =>
            {
                tracing::debug!(code = code(&e), ?delay, "retrying while AWS catches up");
                tokio::time::sleep(waiter::jitter(delay)).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    //! The emulator cannot throttle or fail on demand: these paths are
    //! tested at the SDK layer with aws-smithy-mocks.

    use super::*;
    use aws_sdk_ecr::operation::describe_repositories::DescribeRepositoriesOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    fn json_error(status: u16, code: &str, message: &str) -> HttpResponse {
        let mut r = HttpResponse::new(
            StatusCode::try_from(status).unwrap(),
            SdkBody::from(format!(r#"{{"__type":"{code}","message":"{message}"}}"#)),
        );
        r.headers_mut().insert("x-amzn-RequestId", "req-1234");
        r.headers_mut()
            .insert("content-type", "application/x-amz-json-1.1");
        r
    }

    #[tokio::test]
    async fn throttling_is_retried_then_succeeds() {
        let rule = mock!(aws_sdk_ecr::Client::describe_repositories)
            .sequence()
            .http_response(|| json_error(400, "ThrottlingException", "Rate exceeded"))
            .times(2)
            .output(|| DescribeRepositoriesOutput::builder().build())
            .build();
        let ecr = mock_client!(aws_sdk_ecr, RuleMode::Sequential, [&rule], |c| c
            .retry_config(retry_config(3).with_initial_backoff(Duration::from_millis(1))));
        ecr.describe_repositories()
            .send()
            .await
            .expect("succeeds after retries");
        assert_eq!(rule.num_calls(), 3);
    }

    #[tokio::test]
    async fn other_errors_fail_fast_naming_operation_code_and_request_id() {
        let rule = mock!(aws_sdk_ecr::Client::describe_repositories)
            .sequence()
            .http_response(|| json_error(400, "AccessDeniedException", "not allowed"))
            .repeatedly()
            .build();
        let ecr = mock_client!(aws_sdk_ecr, RuleMode::Sequential, [&rule], |c| c
            .retry_config(retry_config(5).with_initial_backoff(Duration::from_millis(1))));
        let err = ecr.describe_repositories().send().await.unwrap_err();
        assert_eq!(rule.num_calls(), 1, "a refusal is not retried");
        let d = error("ecr:DescribeRepositories", &err);
        assert_eq!(d.summary, "AWS ecr:DescribeRepositories failed");
        assert!(
            d.detail.contains("AccessDeniedException: not allowed"),
            "{}",
            d.detail
        );
        assert!(d.detail.contains("request id req-1234"), "{}", d.detail);
    }

    #[tokio::test]
    async fn eventual_consistency_errors_are_retried_until_they_clear() {
        let rule = mock!(aws_sdk_ecr::Client::describe_repositories)
            .sequence()
            .http_response(|| json_error(400, "InvalidParameterException", "principal not found"))
            .times(2)
            .output(|| DescribeRepositoriesOutput::builder().build())
            .build();
        let ecr = mock_client!(aws_sdk_ecr, RuleMode::Sequential, [&rule]);
        let out = retry_eventual(
            &["InvalidParameterException"],
            Duration::from_secs(10),
            || ecr.describe_repositories().send(),
        )
        .await;
        assert!(out.is_ok());
        assert_eq!(rule.num_calls(), 3);
    }
}
