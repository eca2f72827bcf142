//! Injected faults: a deterministic plan that makes chosen calls fail or
//! answer the way AWS does on a bad day, so the engine's retries, pagination
//! and rate budget can be tested. Off by default: an empty plan changes
//! nothing.

use std::time::Duration;

use ssomatrix_core::ports::{ErrorKind, PortError};

/// Which calls of an operation a rule hits, by the call's number within its
/// operation (1-based, counting every call the simulator received, failed
/// ones included, as AWS counts them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calls {
    /// Calls 1 to n.
    First(u64),
    /// Calls k, 2k, 3k… (k ≥ 1; 0 hits nothing).
    Every(u64),
    /// Every call.
    All,
}

impl Calls {
    fn hits(self, n: u64) -> bool {
        match self {
            Calls::First(first) => n <= first,
            Calls::Every(k) => k > 0 && n.is_multiple_of(k),
            Calls::All => true,
        }
    }
}

/// What happens to a call a rule hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `ThrottlingException` ("Rate exceeded"): `ErrorKind::Throttled`.
    Throttle,
    /// A 500 `InternalServerException`: `ErrorKind::Transient`.
    Transient,
    /// `ConflictException`, as when another client writes to the same
    /// account: `ErrorKind::Conflict`.
    Conflict,
    /// No connection: the endpoint stopped answering (refused, no route):
    /// `ErrorKind::Unreachable`.
    Unreachable,
    /// A listing answers an empty page that still carries a `NextToken`
    /// leading to the page that was asked for (Organizations and sso-admin
    /// do this). Only listings are hit; other operations ignore the rule.
    /// With `Calls::All` a listing never ends.
    EmptyPage,
    /// `ResourceNotFoundException` with the `Reason` the service gives when
    /// the instance's customer managed KMS key is gone or disabled
    /// (identitystore `KMS_KEY_NOT_FOUND`, sso-admin `KMS_NotFoundException`):
    /// `ErrorKind::NotFound` that says nothing about the object asked for.
    KmsKeyNotFound,
    /// `AccessDeniedException` with the KMS `Reason` (identitystore
    /// `KMS_ACCESS_DENIED`, sso-admin `KMS_AccessDeniedException`): the caller
    /// lacks `kms:Decrypt` on the instance's key.
    KmsAccessDenied,
    /// `UnknownOperationException`, as identitystore has been reported to
    /// answer `GetGroupId` with an AD Connector identity source:
    /// `ErrorKind::UnknownOperation`.
    UnknownOperation,
}

impl Fault {
    /// The error this fault answers with; `None` for one that answers a page.
    pub(crate) fn error(self, op: &'static str) -> Option<PortError> {
        match self {
            Fault::Throttle => Some(PortError::new(op, ErrorKind::Throttled, "Rate exceeded")),
            Fault::Transient => Some(PortError::new(
                op,
                ErrorKind::Transient,
                "We encountered an internal error. Please try again. (HTTP 500)",
            )),
            Fault::Conflict => Some(PortError::new(
                op,
                ErrorKind::Conflict,
                "An account assignment operation is already in progress for this account",
            )),
            Fault::Unreachable => Some(PortError::new(
                op,
                ErrorKind::Unreachable,
                "tcp connect error: Connection refused (os error 111)",
            )),
            Fault::EmptyPage => None,
            Fault::KmsKeyNotFound => Some(
                PortError::new(
                    op,
                    ErrorKind::NotFound,
                    "The customer managed KMS key of the instance was not found",
                )
                .with_reason(kms_reason(
                    op,
                    "KMS_KEY_NOT_FOUND",
                    "KMS_NotFoundException",
                )),
            ),
            Fault::KmsAccessDenied => Some(
                PortError::new(
                    op,
                    ErrorKind::AccessDenied,
                    "Access to the customer managed KMS key of the instance was denied",
                )
                .with_reason(kms_reason(
                    op,
                    "KMS_ACCESS_DENIED",
                    "KMS_AccessDeniedException",
                )),
            ),
            Fault::UnknownOperation => Some(PortError::new(
                op,
                ErrorKind::UnknownOperation,
                "UnknownOperationException",
            )),
        }
    }
}

/// The KMS `Reason` as each service spells it: identitystore in capitals,
/// sso-admin after the KMS exception's name.
fn kms_reason(op: &str, identitystore: &'static str, sso_admin: &'static str) -> &'static str {
    if op.starts_with("identitystore:") {
        identitystore
    } else {
        sso_admin
    }
}

#[derive(Debug, Clone)]
struct Rule {
    operations: String,
    calls: Calls,
    fault: Fault,
}

/// The faults and latency a simulator injects. Operations are named by IAM
/// action (`sso:ListAccountAssignments`), by service prefix (`sso:`,
/// `identitystore:`, `organizations:`) or `*` for all. The first rule that
/// hits a call decides its fault.
///
/// ```
/// use std::time::Duration;
/// use ssomatrix_sim::{Calls, Fault, FaultPlan};
///
/// let plan = FaultPlan::new()
///     .inject("sso:ListAccountAssignments", Calls::First(3), Fault::Throttle)
///     .inject("organizations:", Calls::Every(2), Fault::EmptyPage)
///     .latency("sso:", Duration::from_millis(80));
/// # let _ = plan;
/// ```
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    rules: Vec<Rule>,
    latency: Vec<(String, Duration)>,
}

impl FaultPlan {
    /// No faults, no latency.
    pub fn new() -> Self {
        FaultPlan::default()
    }

    /// Adds a rule: `fault` for the `calls` of `operations`.
    pub fn inject(mut self, operations: &str, calls: Calls, fault: Fault) -> Self {
        self.rules.push(Rule {
            operations: operations.to_owned(),
            calls,
            fault,
        });
        self
    }

    /// Every call of `operations` takes `latency` of tokio time before it is
    /// answered (the first matching latency applies). In paused-time tests
    /// this costs virtual time only.
    pub fn latency(mut self, operations: &str, latency: Duration) -> Self {
        self.latency.push((operations.to_owned(), latency));
        self
    }

    /// The fault for call number `n` of `op`, with `n`.
    pub(crate) fn fault(&self, op: &str, n: u64, listing: bool) -> Option<(Fault, u64)> {
        self.rules
            .iter()
            .filter(|r| listing || r.fault != Fault::EmptyPage)
            .find(|r| matches(&r.operations, op) && r.calls.hits(n))
            .map(|r| (r.fault, n))
    }

    pub(crate) fn latency_of(&self, op: &str) -> Duration {
        self.latency
            .iter()
            .find(|(pattern, _)| matches(pattern, op))
            .map_or(Duration::ZERO, |(_, d)| *d)
    }
}

/// Whether `pattern` (an operation, a `service:` prefix or `*`) names `op`.
pub(crate) fn matches(pattern: &str, op: &str) -> bool {
    pattern == "*" || pattern == op || (pattern.ends_with(':') && op.starts_with(pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_name_an_operation_a_service_or_everything() {
        assert!(matches("sso:ListInstances", "sso:ListInstances"));
        assert!(!matches("sso:ListInstances", "sso:ListInstancesX"));
        assert!(matches("sso:", "sso:ListInstances"));
        assert!(!matches("sso", "sso:ListInstances"));
        assert!(!matches("sso:", "identitystore:ListUsers"));
        assert!(matches("*", "organizations:ListRoots"));
    }

    #[test]
    fn calls_select_by_number() {
        let hit = |c: Calls| (1..=6).filter(|n| c.hits(*n)).collect::<Vec<_>>();
        assert_eq!(hit(Calls::First(2)), [1, 2]);
        assert_eq!(hit(Calls::Every(3)), [3, 6]);
        assert_eq!(hit(Calls::Every(0)), Vec::<u64>::new());
        assert_eq!(hit(Calls::All), [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn the_first_rule_that_hits_wins_and_empty_pages_skip_other_operations() {
        let plan = FaultPlan::new()
            .inject("sso:", Calls::First(1), Fault::EmptyPage)
            .inject("*", Calls::Every(2), Fault::Transient)
            .inject("sso:", Calls::All, Fault::Throttle);
        assert_eq!(
            plan.fault("sso:ListInstances", 1, true),
            Some((Fault::EmptyPage, 1))
        );
        assert_eq!(
            plan.fault("sso:DescribePermissionSet", 1, false),
            Some((Fault::Throttle, 1))
        );
        assert_eq!(
            plan.fault("sso:ListInstances", 2, true),
            Some((Fault::Transient, 2))
        );
        assert_eq!(plan.fault("organizations:ListRoots", 1, true), None);
        assert!(
            FaultPlan::new()
                .fault("sso:ListInstances", 1, true)
                .is_none()
        );
    }
}
