//! AWS errors as diagnostics, and the questions resource code asks of an
//! error: its code, whether it means "not found", whether the request may
//! have been carried out.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::request_id::RequestId;
use tfplugin::diag::{Diagnostic, Diagnostics};

/// An AWS refusal as a diagnostic: operation, error code, message and
/// request id, so it can be looked up in CloudTrail or with AWS support.
pub fn error<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> Diagnostic
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let service = operation.split(':').next().unwrap_or(operation);
    let detail = match err {
        SdkError::ServiceError(_) if err.code().is_none() => {
            // Not an AWS-shaped answer: say what came back instead.
            let raw = err.raw_response();
            let status = raw.map_or(0, |r| r.status().as_u16());
            let body = raw
                .and_then(|r| r.body().bytes())
                .map(|b| String::from_utf8_lossy(b).chars().take(200).collect::<String>())
                .unwrap_or_default();
            format!("the {service} endpoint answered HTTP {status} without an AWS error code (is `endpoint_url` an AWS endpoint?): {body}")
        }
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or("UnknownError");
            let message = err.message().unwrap_or("no message");
            let request = err
                .request_id()
                .map(|id| format!(" (request id {id})"))
                .unwrap_or_default();
            format!("{code}: {message}{request}")
        }
        SdkError::TimeoutError(_) => format!(
            "the {service} endpoint did not answer in time ({})",
            DisplayErrorContext(err)
        ),
        SdkError::DispatchFailure(_) => format!(
            "could not reach the {service} endpoint (check the region and `endpoint_url`, and the network): {}",
            DisplayErrorContext(err)
        ),
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

/// Whether AWS answered with one of `codes` (e.g. the service's "not
/// found" codes).
pub fn is<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>, codes: &[&str]) -> bool {
    code(err).is_some_and(|c| codes.contains(&c))
}

/// What a failed request says about whether AWS carried it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Refused before doing anything, and worth trying again (throttling).
    NotDone,
    /// It may or may not have been done: the connection broke, the
    /// request timed out, the response was lost or unreadable, or AWS
    /// failed on its side.
    Unknown,
    /// Refused for good.
    Refused,
}

const THROTTLING: [&str; 8] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "TooManyRequestsException",
    "SlowDown",
    "PriorRequestNotComplete",
];

pub fn outcome<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Outcome {
    match err {
        SdkError::ServiceError(s) => {
            if s.err().code().is_some_and(|c| THROTTLING.contains(&c)) {
                Outcome::NotDone
            } else if s.raw().status().is_server_error() {
                Outcome::Unknown
            } else {
                Outcome::Refused
            }
        }
        SdkError::ConstructionFailure(_) => Outcome::Refused,
        _ => Outcome::Unknown,
    }
}

#[cfg(test)]
mod tests {
    //! What a call that hangs turns into: the SDK's own timeout error, which
    //! no emulator run produces within a test's time (the attempt limit is
    //! a minute).
    use super::*;

    #[test]
    fn a_call_that_does_not_answer_names_the_operation() {
        let err: SdkError<
            aws_sdk_rds::operation::describe_db_instances::DescribeDBInstancesError,
            HttpResponse,
        > = SdkError::timeout_error(
            "operation timeout (all attempts including retries) occurred after 300s",
        );
        let d = error("rds:DescribeDBInstances", &err);
        assert_eq!(d.summary, "AWS rds:DescribeDBInstances failed");
        assert!(
            d.detail.contains("the rds endpoint did not answer in time"),
            "{}",
            d.detail
        );
        assert!(d.detail.contains("after 300s"), "{}", d.detail);
    }

    #[test]
    fn every_call_has_time_limits() {
        let t = crate::aws::timeout_config();
        assert!(t.connect_timeout().is_some());
        assert!(t.operation_attempt_timeout().is_some());
        assert!(t.operation_timeout().is_some());
    }
}
