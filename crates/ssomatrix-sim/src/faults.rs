//! Injected faults: a deterministic plan that makes chosen calls fail or
//! answer the way AWS does on a bad day, so the engine's retries, pagination
//! and rate budget can be tested. Off by default: an empty plan changes
//! nothing.

use std::time::Duration;

use ssomatrix_core::ports::{ErrorKind, Operation, PortError, Service};

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
    pub(crate) fn error(self, op: Operation) -> Option<PortError> {
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
fn kms_reason(op: Operation, identitystore: &'static str, sso_admin: &'static str) -> &'static str {
    if op.service() == Service::IdentityStore {
        identitystore
    } else {
        sso_admin
    }
}

/// The operations a fault rule, a latency or a call count applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operations {
    /// Every operation of every service.
    All,
    /// Every operation of one service.
    Service(Service),
    /// One operation.
    One(Operation),
}

impl Operations {
    /// Whether `op` is among these operations.
    pub fn contains(self, op: Operation) -> bool {
        match self {
            Operations::All => true,
            Operations::Service(service) => op.service() == service,
            Operations::One(one) => one == op,
        }
    }
}

impl From<Operation> for Operations {
    fn from(op: Operation) -> Self {
        Operations::One(op)
    }
}

impl From<Service> for Operations {
    fn from(service: Service) -> Self {
        Operations::Service(service)
    }
}

#[derive(Debug, Clone)]
struct Rule {
    operations: Operations,
    calls: Calls,
    fault: Fault,
}

/// The faults and latency a simulator injects. Rules name their
/// operations by [`Operation`], by [`Service`] or [`Operations::All`]. The
/// first rule that hits a call decides its fault.
///
/// ```
/// use std::time::Duration;
/// use ssomatrix_core::ports::{Operation, Service};
/// use ssomatrix_sim::{Calls, Fault, FaultPlan};
///
/// let plan = FaultPlan::new()
///     .inject(Operation::ListAccountAssignments, Calls::First(3), Fault::Throttle)
///     .inject(Service::Organizations, Calls::Every(2), Fault::EmptyPage)
///     .latency(Service::SsoAdmin, Duration::from_millis(80));
/// # let _ = plan;
/// ```
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    rules: Vec<Rule>,
    latency: Vec<(Operations, Duration)>,
}

impl FaultPlan {
    /// No faults, no latency.
    pub fn new() -> Self {
        FaultPlan::default()
    }

    /// Adds a rule: `fault` for the `calls` of `operations`.
    pub fn inject(mut self, operations: impl Into<Operations>, calls: Calls, fault: Fault) -> Self {
        self.rules.push(Rule {
            operations: operations.into(),
            calls,
            fault,
        });
        self
    }

    /// Every call of `operations` takes `latency` of tokio time before it is
    /// answered (the first matching latency applies). In paused-time tests
    /// this costs virtual time only.
    pub fn latency(mut self, operations: impl Into<Operations>, latency: Duration) -> Self {
        self.latency.push((operations.into(), latency));
        self
    }

    /// The fault for call number `n` of `op`, with `n`.
    pub(crate) fn fault(&self, op: Operation, n: u64, listing: bool) -> Option<(Fault, u64)> {
        self.rules
            .iter()
            .filter(|r| listing || r.fault != Fault::EmptyPage)
            .find(|r| r.operations.contains(op) && r.calls.hits(n))
            .map(|r| (r.fault, n))
    }

    pub(crate) fn latency_of(&self, op: Operation) -> Duration {
        self.latency
            .iter()
            .find(|(operations, _)| operations.contains(op))
            .map_or(Duration::ZERO, |(_, d)| *d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_name_one_operation_a_service_or_everything() {
        let one = Operations::from(Operation::ListInstances);
        assert!(one.contains(Operation::ListInstances));
        assert!(!one.contains(Operation::ListPermissionSets));
        let sso = Operations::from(Service::SsoAdmin);
        assert!(sso.contains(Operation::ListInstances));
        assert!(!sso.contains(Operation::ListUsers));
        assert!(Operations::All.contains(Operation::ListRoots));
        assert!(Operations::All.contains(Operation::GetCallerIdentity));
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
            .inject(Service::SsoAdmin, Calls::First(1), Fault::EmptyPage)
            .inject(Operations::All, Calls::Every(2), Fault::Transient)
            .inject(Service::SsoAdmin, Calls::All, Fault::Throttle);
        assert_eq!(
            plan.fault(Operation::ListInstances, 1, true),
            Some((Fault::EmptyPage, 1))
        );
        assert_eq!(
            plan.fault(Operation::DescribePermissionSet, 1, false),
            Some((Fault::Throttle, 1))
        );
        assert_eq!(
            plan.fault(Operation::ListInstances, 2, true),
            Some((Fault::Transient, 2))
        );
        assert_eq!(plan.fault(Operation::ListRoots, 1, true), None);
        assert!(
            FaultPlan::new()
                .fault(Operation::ListInstances, 1, true)
                .is_none()
        );
    }
}
