//! Retrying: the SDK's standard mode for throttling and server errors,
//! eventual consistency, and creates that AWS cannot deduplicate.

use std::future::Future;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use tfplugin::diag::Result;

use super::error::{code, error, outcome, Outcome};
use super::waiter;

/// Standard retry mode: throttling, 5xx and transient network errors are
/// retried with jittered exponential backoff; everything else fails at once.
/// A fresh idempotency token for one create: ClientToken, clientRequestToken (the SDK's retries of that create resend it).
pub fn client_token() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("onto-{nanos:x}-{:x}", std::process::id())
}

pub fn retry_config(max_retries: u32) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(max_retries + 1)
        .with_max_backoff(Duration::from_secs(20))
}

/// One attempt per call: for creates whose repetition would make a second
/// object ([`create_once`] decides what to do after a failure).
pub fn single_attempt() -> RetryConfig {
    RetryConfig::disabled()
}

/// Retries `call` while it fails with one of `codes` — errors AWS returns
/// while a change it just accepted is still propagating — with jittered
/// backoff for up to `limit`. Any other error returns at once, and so does
/// the last one when Terraform asks the provider to stop.
pub async fn retry_eventual<T, E, F, Fut>(
    codes: &[&str],
    limit: Duration,
    mut call: F,
) -> std::result::Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
{
    let start = tokio::time::Instant::now();
    let stop = tfplugin::current_stop();
    let mut delay = Duration::from_millis(100);
    loop {
        match call().await {
            Err(e)
                if code(&e).is_some_and(|c| codes.contains(&c))
                    && start.elapsed() + delay < limit
                    && !stop.is_cancelled() =>
            {
                tracing::debug!(code = code(&e), ?delay, "retrying while AWS catches up");
                tokio::select! {
                    () = tokio::time::sleep(waiter::jitter(delay)) => {}
                    () = stop.cancelled() => return Err(e),
                }
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            other => return other,
        }
    }
}

/// Attempts of a create before giving up.
const CREATE_ATTEMPTS: u32 = 6;
/// After an attempt that may have created the object, how long to wait
/// for it to show up in a lookup before trying again (AWS reads are
/// eventually consistent).
const SETTLE: [Duration; 2] = [Duration::from_millis(300), Duration::from_secs(2)];

/// A create that AWS cannot recognise as a repetition (EC2's `CreateVpc`,
/// `CreateSubnet`, `AllocateAddress`, ...; or one whose idempotency token
/// an endpoint may ignore). `send` makes one attempt, with the SDK's own
/// retry off ([`single_attempt`]). When an attempt may have succeeded —
/// the connection broke, the response was lost, AWS failed on its side —
/// `find` looks the object up by the tags it was born with before any new
/// attempt, so a lost response never makes a twin. Throttling is retried
/// with backoff; a refusal returns at once.
pub async fn create_once<T, E, S, SFut, F, FFut>(
    operation: &str,
    mut send: S,
    mut find: F,
) -> Result<T>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    S: FnMut() -> SFut,
    SFut: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
    F: FnMut() -> FFut,
    FFut: Future<Output = Result<Option<T>>>,
{
    let mut delay = Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        let err = match send().await {
            Ok(made) => return Ok(made),
            Err(e) => e,
        };
        let kind = outcome(&err);
        if kind == Outcome::Refused || attempt >= CREATE_ATTEMPTS {
            return Err(error(operation, &err).into());
        }
        if kind == Outcome::Unknown {
            tracing::warn!(%operation, attempt, "the create may have succeeded; looking for the object before trying again");
            for wait in SETTLE {
                tokio::time::sleep(wait).await;
                if let Some(found) = find().await? {
                    return Ok(found);
                }
            }
        } else {
            tokio::time::sleep(waiter::jitter(delay)).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    //! The emulator cannot throttle or fail on demand: these paths are
    //! tested at the SDK layer with aws-smithy-mocks.

    use super::*;
    use crate::aws::error::error;
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

    /// AWS's propagation errors (a role or principal not yet visible to
    /// another service) exist only across AWS's own replicas; the emulator
    /// is consistent at once, so they are produced here.
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

    /// Terraform's stop request ends the loop with the last error. (Mocked:
    /// an error that persists while Terraform is interrupted is a timing
    /// no emulator run can pin.)
    #[tokio::test(start_paused = true)]
    async fn a_stop_request_ends_eventual_consistency_retries() {
        let rule = mock!(aws_sdk_ecr::Client::describe_repositories)
            .sequence()
            .http_response(|| json_error(400, "InvalidParameterException", "principal not found"))
            .times(1000)
            .build();
        let ecr = mock_client!(aws_sdk_ecr, RuleMode::Sequential, [&rule]);
        let stop = tfplugin::Stop::new();
        let cancel = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            cancel.cancel();
        });
        let start = tokio::time::Instant::now();
        let out = tfplugin::with_stop(
            stop,
            retry_eventual(
                &["InvalidParameterException"],
                Duration::from_secs(600),
                || ecr.describe_repositories().send(),
            ),
        )
        .await;
        assert_eq!(code(&out.unwrap_err()), Some("InvalidParameterException"));
        assert!(start.elapsed() < Duration::from_secs(3), "stopped at once");
    }

    /// A 5xx after the request reached AWS may hide a success: the object
    /// is looked up before any new attempt, so no twin is made. (The
    /// emulator test with a proxy that drops responses shows the same
    /// through the CLI; this one pins the decision rule.)
    #[tokio::test(start_paused = true)]
    async fn an_ambiguous_failure_finds_the_object_instead_of_creating_again() {
        let rule = mock!(aws_sdk_ecr::Client::describe_repositories)
            .sequence()
            .http_response(|| json_error(503, "ServiceUnavailable", "try again"))
            .output(|| DescribeRepositoriesOutput::builder().build())
            .build();
        let ecr = mock_client!(aws_sdk_ecr, RuleMode::Sequential, [&rule], |c| c
            .retry_config(single_attempt()));
        let lookups = std::sync::atomic::AtomicU32::new(0);
        let got = create_once(
            "ecr:Create",
            || async { ecr.describe_repositories().send().await.map(|_| "sent") },
            || async {
                lookups.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(Some("found"))
            },
        )
        .await
        .unwrap();
        assert_eq!(got, "found");
        assert_eq!(rule.num_calls(), 1, "not sent again");
        assert_eq!(lookups.into_inner(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_is_retried_without_a_lookup_and_refusals_are_not() {
        let rule = mock!(aws_sdk_ecr::Client::describe_repositories)
            .sequence()
            .http_response(|| json_error(400, "ThrottlingException", "slow down"))
            .output(|| DescribeRepositoriesOutput::builder().build())
            .build();
        let ecr = mock_client!(aws_sdk_ecr, RuleMode::Sequential, [&rule], |c| c
            .retry_config(single_attempt()));
        let got = create_once(
            "ecr:Create",
            || async { ecr.describe_repositories().send().await.map(|_| "sent") },
            || async { panic!("no lookup after throttling") },
        )
        .await
        .unwrap();
        assert_eq!((got, rule.num_calls()), ("sent", 2));

        let rule = mock!(aws_sdk_ecr::Client::describe_repositories)
            .sequence()
            .http_response(|| json_error(400, "InvalidParameterException", "bad"))
            .build();
        let ecr = mock_client!(aws_sdk_ecr, RuleMode::Sequential, [&rule], |c| c
            .retry_config(single_attempt()));
        let err = create_once(
            "ecr:Create",
            || async { ecr.describe_repositories().send().await.map(|_| "sent") },
            || async { Ok(None) },
        )
        .await
        .unwrap_err();
        assert!(format!("{err:?}").contains("InvalidParameterException"));
    }
}
