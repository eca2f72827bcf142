//! Translation of SDK errors and malformed responses into the core's
//! [`PortError`], written once for every operation of the three services.
//!
//! The engine decides what to retry from [`ErrorKind`] alone, so the mapping
//! errs towards `Other` (not retried) for anything it does not recognise:
//! retrying an error we do not understand only delays the report of it.

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use ssomatrix_core::ids::IdError;
use ssomatrix_core::ports::{ErrorKind, Operation, PortError};

/// A response the adapter cannot translate into the core's types. These are
/// bugs or API changes on the far side, never something a retry fixes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdapterError {
    #[error("the response lacks `{0}`; the AWS API may have changed, please report it")]
    MissingField(&'static str),
    #[error("the response holds an unusable value: {0}")]
    InvalidId(#[from] IdError),
    #[error(
        "the response holds `{value}` in `{field}`, which this build does not know; upgrade ssomatrix"
    )]
    UnknownValue { field: &'static str, value: String },
}

impl AdapterError {
    pub(crate) fn into_port(self, operation: Operation) -> PortError {
        PortError::new(operation, ErrorKind::Other, self.to_string())
    }
}

/// Classifies an error code from the service. Codes come from the
/// `x-amzn-errortype` header or the `__type` of the body; the SDK has already
/// stripped any namespace prefix.
fn kind_of_code(code: &str) -> Option<ErrorKind> {
    Some(match code {
        // sso-admin and identitystore say ThrottlingException, Organizations
        // TooManyRequestsException; the others are the generic AWS spellings.
        "ThrottlingException"
        | "TooManyRequestsException"
        | "Throttling"
        | "ThrottledException"
        | "RequestLimitExceeded"
        | "SlowDown" => ErrorKind::Throttled,
        // Organizations reports a concurrent change to the same object this way.
        "ConflictException" | "ConcurrentModificationException" => ErrorKind::Conflict,
        "ServiceQuotaExceededException" => ErrorKind::QuotaExceeded,
        "AccessDeniedException" | "AccessDenied" => ErrorKind::AccessDenied,
        "ValidationException" | "InvalidInputException" => ErrorKind::Validation,
        // identitystore, for GetGroupId with some identity sources.
        "UnknownOperationException" => ErrorKind::UnknownOperation,
        "InternalServerException"
        | "InternalFailure"
        | "ServiceException"
        | "ServiceUnavailable"
        | "ServiceUnavailableException" => ErrorKind::Transient,
        // Organizations has one NotFound code per kind of object
        // (AccountNotFoundException, ParentNotFoundException, …).
        c if c == "ResourceNotFoundException" || c.ends_with("NotFoundException") => {
            ErrorKind::NotFound
        }
        _ => return None,
    })
}

/// Classifies by HTTP status when the code is absent or unknown.
fn kind_of_status(status: u16) -> ErrorKind {
    match status {
        429 => ErrorKind::Throttled,
        403 => ErrorKind::AccessDenied,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        500..=599 => ErrorKind::Transient,
        _ => ErrorKind::Other,
    }
}

/// Maps any SDK error of any operation onto a [`PortError`] naming the IAM
/// action `operation`.
pub(crate) fn port_error<E>(operation: Operation, err: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let kind = match &err {
        SdkError::ServiceError(_) => err
            .code()
            .and_then(kind_of_code)
            .unwrap_or_else(|| status.map_or(ErrorKind::Other, kind_of_status)),
        SdkError::TimeoutError(_) => ErrorKind::Transient,
        SdkError::DispatchFailure(failure) => {
            if failure
                .as_connector_error()
                .is_some_and(|c| could_not_connect(c))
            {
                ErrorKind::Unreachable
            } else if failure.is_io() || failure.is_timeout() {
                ErrorKind::Transient
            } else {
                // Credentials that cannot be loaded, a missing region and
                // endpoints that cannot be resolved land here: retrying does
                // not help, the user's configuration does.
                ErrorKind::Configuration
            }
        }
        // The service answered but the answer could not be read; a 5xx body
        // from a proxy or load balancer is the usual cause.
        SdkError::ResponseError(_) => match status {
            Some(s) if (500..=599).contains(&s) => ErrorKind::Transient,
            Some(429) => ErrorKind::Throttled,
            _ => ErrorKind::Other,
        },
        SdkError::ConstructionFailure(_) => ErrorKind::Validation,
        _ => ErrorKind::Other,
    };
    let mut error = PortError::new(operation, kind, describe(&err, status));
    if let SdkError::ServiceError(_) = &err {
        let body = err.raw_response().and_then(|r| r.body().bytes());
        error.reason = body.and_then(|b| body_field(b, "Reason"));
        error.resource_type = body.and_then(|b| body_field(b, "ResourceType"));
    }
    error
}

/// A string member of a JSON error body. sso-admin and identitystore speak
/// awsJson 1.1, whose exceptions carry their members (`Reason`,
/// `ResourceType`) at the top level of the body. Read from the body rather
/// than the modelled exception so that one function serves every operation.
fn body_field(body: &[u8], name: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value
        .get(name)?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Whether no connection was made at all (refused, no route, a name that
/// does not resolve, a connect timeout), as opposed to one that broke: the
/// endpoint is down or wrong, and retrying at length does not help.
fn could_not_connect(err: &(dyn StdError + 'static)) -> bool {
    use std::io::ErrorKind as Io;
    let mut source = Some(err);
    // Source chains are short; the bound only guards against a cycle.
    for _ in 0..16 {
        let Some(e) = source else { break };
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                Io::ConnectionRefused
                    | Io::HostUnreachable
                    | Io::NetworkUnreachable
                    | Io::NetworkDown
                    | Io::AddrNotAvailable
            )
        {
            return true;
        }
        // hyper-util's connector says where connecting failed in words only.
        let text = e.to_string().to_ascii_lowercase();
        if text.starts_with("dns error")
            || text.starts_with("tcp connect error")
            || text.contains("connect timeout")
        {
            return true;
        }
        source = e.source();
    }
    false
}

/// How much of an unreadable response body a message quotes.
const BODY_SNIPPET: usize = 160;

/// A one-line description: the service's code and message where there is
/// one, else the start of an unreadable body (a proxy's HTML page), else the
/// SDK's error chain; and the HTTP status for context. The SDK's own
/// `Debug` output is avoided: it dumps whole responses into the message.
fn describe<E>(err: &SdkError<E, HttpResponse>, status: Option<u16>) -> String
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let body = err
        .raw_response()
        .and_then(|r| r.body().bytes())
        .map(|b| {
            String::from_utf8_lossy(b)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|b| !b.is_empty());
    let mut text = match (err.code(), err.message(), body) {
        (Some(code), Some(message), _) => format!("{code}: {message}"),
        (Some(code), None, _) => code.to_owned(),
        (None, _, Some(body)) => {
            let snippet: String = body.chars().take(BODY_SNIPPET).collect();
            format!("unrecognised response: {snippet}")
        }
        (None, _, None) => error_chain(err),
    };
    if let Some(status) = status {
        text.push_str(&format!(" (HTTP {status})"));
    }
    text
}

/// The error and its sources, joined like `a: b: c`.
fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    // Source chains are short; the bound only guards against a cycle.
    for _ in 0..16 {
        let Some(e) = source else { break };
        let part = e.to_string();
        if !parts.iter().any(|p| p.contains(&part)) {
            parts.push(part);
        }
        source = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_of_all_three_services_are_classified() {
        assert_eq!(
            kind_of_code("ThrottlingException"),
            Some(ErrorKind::Throttled)
        );
        assert_eq!(
            kind_of_code("TooManyRequestsException"),
            Some(ErrorKind::Throttled)
        );
        assert_eq!(
            kind_of_code("AccountNotFoundException"),
            Some(ErrorKind::NotFound)
        );
        assert_eq!(
            kind_of_code("ConcurrentModificationException"),
            Some(ErrorKind::Conflict)
        );
        assert_eq!(
            kind_of_code("ServiceQuotaExceededException"),
            Some(ErrorKind::QuotaExceeded)
        );
        assert_eq!(
            kind_of_code("UnknownOperationException"),
            Some(ErrorKind::UnknownOperation)
        );
        assert_eq!(kind_of_code("UnheardOfException"), None);
        assert_eq!(kind_of_status(503), ErrorKind::Transient);
        assert_eq!(kind_of_status(400), ErrorKind::Other);
    }

    #[test]
    fn body_fields_are_read_when_present_and_strings() {
        let body = br#"{"__type":"ResourceNotFoundException","Reason":"KMS_KEY_NOT_FOUND","ResourceType":null}"#;
        assert_eq!(
            body_field(body, "Reason").as_deref(),
            Some("KMS_KEY_NOT_FOUND")
        );
        assert_eq!(body_field(body, "ResourceType"), None);
        assert_eq!(body_field(b"<html>", "Reason"), None);
    }
}
