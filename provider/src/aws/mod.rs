//! The AWS layer. This module holds what every service shares: the SDK
//! configuration loaded once, clients built lazily per service and region
//! and cached (one provider process serves every region), errors that
//! name the operation, code and request id, retries, and the one waiter.
//! Each service has a module of its own (`ec2`, `rds`, ...) with the
//! finds, creates, tags, waits and deletes resources use, and the
//! ownership rule applied where objects are found or created.

pub mod amp;
pub mod cloudwatch;
pub mod dynamodb;
pub mod ec2;
pub mod ecr;
pub mod eks;
pub mod eks_token;
pub mod elasticache;
mod error;
pub mod iam;
pub mod logs;
pub mod rds;
mod retry;
pub mod s3;
pub mod sts;
mod waiter;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_types::error::display::DisplayErrorContext;
use tfplugin::diag::{Diagnostic, Diagnostics};

use crate::config::Config;
use crate::ownership::Owner;

pub use error::{code, error, failed, is, outcome, Outcome};
pub use retry::{create_once, retry_config, retry_eventual, single_attempt};
pub use waiter::{wait_until, Poll};

/// Default retry count for throttling and server errors.
const DEFAULT_MAX_RETRIES: u32 = 5;

/// Clients of one service, one per region.
struct Clients<C>(Mutex<HashMap<String, C>>);

impl<C> Default for Clients<C> {
    fn default() -> Self {
        Clients(Mutex::new(HashMap::new()))
    }
}

impl<C: Clone> Clients<C> {
    fn get(&self, region: &str, make: impl FnOnce() -> C) -> C {
        let mut map = match self.0.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(region.to_owned()).or_insert_with(make).clone()
    }
}

/// Declares the client cache and one getter per service: a client for a
/// region, configured from the shared SDK config and the provider's
/// endpoint for that service.
macro_rules! services {
    (@tune $aws:ident, $b:ident) => { $b };
    (@tune $aws:ident, $b:ident, $tune:expr) => { ($tune)($aws, $b) };
    ($( $(#[$doc:meta])* $name:ident: $sdk:ident, $endpoint:literal $(, $tune:expr)?; )*) => {
        #[derive(Default)]
        struct ClientCache {
            $( $name: Clients<$sdk::Client>, )*
        }

        impl Aws {
            $(
                $(#[$doc])*
                pub fn $name(&self, region: &str) -> $sdk::Client {
                    self.clients.$name.get(region, || {
                        let b = $sdk::config::Builder::from(&self.sdk)
                            .region(Region::new(region.to_owned()));
                        let b = match self.endpoint($endpoint) {
                            Some(u) => b.endpoint_url(u),
                            None => b,
                        };
                        let b = services!(@tune self, b $(, $tune)?);
                        $sdk::Client::from_conf(b.build())
                    })
                }
            )*
        }
    };
}

services! {
    sts: aws_sdk_sts, "sts";
    ecr: aws_sdk_ecr, "ecr";
    s3: aws_sdk_s3, "s3", |aws: &Aws, b: aws_sdk_s3::config::Builder| b.force_path_style(aws.path_style);
    dynamodb: aws_sdk_dynamodb, "dynamodb";
    ec2: aws_sdk_ec2, "ec2";
    rds: aws_sdk_rds, "rds";
    elasticache: aws_sdk_elasticache, "elasticache";
    eks: aws_sdk_eks, "eks";
    /// IAM is global: call it with [`Aws::iam_region`].
    iam_in: aws_sdk_iam, "iam";
    amp: aws_sdk_amp, "amp";
    logs: aws_sdk_cloudwatchlogs, "logs";
    cloudwatch: aws_sdk_cloudwatch, "cloudwatch";
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
    /// The identity of the configuration this provider serves (`stack.rs`).
    pub stack: String,
    /// Accept regions this release does not know.
    pub skip_region_validation: bool,
    clients: ClientCache,
}

/// Time limits of every AWS call: connecting, one attempt, and the call
/// with its retries. A call that hangs (a black-holed endpoint, a stalled
/// response) fails with the operation's name instead of hanging the apply.
pub fn timeout_config() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .operation_attempt_timeout(std::time::Duration::from_secs(60))
        .operation_timeout(std::time::Duration::from_secs(300))
        .build()
}

impl Aws {
    /// Loads credentials and region from the provider block and the standard
    /// AWS chain. Makes no AWS call.
    pub async fn load(cfg: &Config) -> std::result::Result<Aws, Diagnostics> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry_config(cfg.max_retries.unwrap_or(DEFAULT_MAX_RETRIES)))
            .timeout_config(timeout_config());
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
            stack: cfg
                .stack
                .clone()
                .map(|s| crate::stack::sanitize(&s))
                .unwrap_or_else(crate::stack::detect),
            skip_region_validation: cfg.skip_region_validation == Some(true),
            clients: ClientCache::default(),
        })
    }

    /// The region a resource uses: its own `region`, or the default.
    pub fn region_or_default<'a>(&'a self, region: Option<&'a str>) -> &'a str {
        region.filter(|r| !r.is_empty()).unwrap_or(&self.region)
    }

    /// Who the objects of resource `kind` named `name` belong to.
    pub fn owner(&self, kind: &str, name: &str, environment: &str) -> Owner {
        Owner {
            stack: self.stack.clone(),
            environment: environment.to_owned(),
            kind: kind.to_owned(),
            name: name.to_owned(),
        }
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

    /// The IAM client: IAM is global, signed for the partition's home region.
    pub fn iam(&self) -> aws_sdk_iam::Client {
        self.iam_in(iam_region(&self.region))
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

/// The region global IAM calls are signed for.
fn iam_region(region: &str) -> &'static str {
    match partition(region) {
        "aws-cn" => "cn-north-1",
        "aws-us-gov" => "us-gov-west-1",
        _ => "us-east-1",
    }
}

/// An object a listing found (`terraform query`): its name or id, and its
/// tags, which say whether onto made it and for which stack.
#[derive(Clone, Debug)]
pub struct Listed {
    pub key: String,
    pub tags: BTreeMap<String, String>,
}
