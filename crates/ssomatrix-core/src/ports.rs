//! The ports: one async trait per AWS service, one method per AWS operation
//! ssomatrix uses, in the shape of the AWS API.
//!
//! `ssomatrix-aws` implements them with the AWS SDK and `ssomatrix-sim` in
//! memory. All policy (pagination, concurrency, rate limiting, retries,
//! polling) lives in the engine, which is generic over these traits, so that it
//! is written once and tested against the simulator.

use std::fmt;
use std::future::Future;

use crate::ids::{
    AccountId, AccountState, IdentityStoreId, InstanceArn, OuId, PermissionSetArn, PrincipalId,
    PrincipalType, RootId,
};
use crate::live::Assignment;
use crate::org::NodeId;

mod operation;

pub use operation::{Operation, Service, UnknownOperation};

/// One page of a paginated listing. A page may be empty and still carry a
/// `next_token`: callers follow tokens, not item counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

impl<T> Page<T> {
    pub fn last(items: Vec<T>) -> Self {
        Page {
            items,
            next_token: None,
        }
    }
}

/// What went wrong with a call, in categories the engine acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// Rate exceeded: retry after a backoff.
    Throttled,
    /// `ServiceQuotaExceededException`: too many operations in progress
    /// (CreateAccountAssignment past its 10 outstanding calls). Not a
    /// failure: wait for some to finish and retry.
    QuotaExceeded,
    /// `ConflictException`: another write to the same account is in progress.
    Conflict,
    /// The named object does not exist.
    NotFound,
    /// The credentials may not call the operation.
    AccessDenied,
    /// The request was malformed or named something invalid.
    Validation,
    /// A 5xx, a timeout or a dropped connection: retry after a backoff.
    Transient,
    /// The request could not be sent: no credentials, no region, an endpoint
    /// that cannot be resolved. Only the user can fix it.
    Configuration,
    /// The service does not offer the operation here: identitystore's
    /// `UnknownOperationException`, reported for `GetGroupId` with an AD
    /// Connector identity source. Callers fall back to another operation.
    UnknownOperation,
    /// No connection to the endpoint: refused, no route, or its name does
    /// not resolve. Retried briefly only: an endpoint that is down does not
    /// come back within a backoff, and the user should hear of it at once.
    Unreachable,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// The kind's name (`Throttled`), as statistics and logs show it.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Throttled => "Throttled",
            ErrorKind::QuotaExceeded => "QuotaExceeded",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::AccessDenied => "AccessDenied",
            ErrorKind::Validation => "Validation",
            ErrorKind::Transient => "Transient",
            ErrorKind::Configuration => "Configuration",
            ErrorKind::UnknownOperation => "UnknownOperation",
            ErrorKind::Unreachable => "Unreachable",
            ErrorKind::Other => "Other",
        }
    }

    /// Whether a bounded retry with backoff may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled
                | ErrorKind::QuotaExceeded
                | ErrorKind::Conflict
                | ErrorKind::Transient
                | ErrorKind::Unreachable
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error from a port call. `operation` is the call's operation, shown as
/// its IAM action (`sso:ListAccountAssignments`), which is also what an
/// access-denied user has to grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortError {
    pub operation: Operation,
    pub kind: ErrorKind,
    pub message: String,
    /// The exception's `Reason`, where the service gave one. sso-admin and
    /// identitystore set it when the instance's customer managed KMS key is
    /// the cause (`KMS_NotFoundException`, `KMS_KEY_NOT_FOUND`,
    /// `KMS_AccessDeniedException`…).
    pub reason: Option<String>,
    /// identitystore's `ResourceType` of a `ResourceNotFoundException`: which
    /// kind of object is missing (`USER`, `GROUP`, `IDENTITY_STORE`…).
    pub resource_type: Option<String>,
}

impl PortError {
    pub fn new(operation: Operation, kind: ErrorKind, message: impl Into<String>) -> Self {
        PortError {
            operation,
            kind,
            message: message.into(),
            reason: None,
            resource_type: None,
        }
    }

    /// The same error with the exception's `Reason`.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// The same error with the not-found exception's `ResourceType`.
    pub fn with_resource_type(mut self, resource_type: impl Into<String>) -> Self {
        self.resource_type = Some(resource_type.into());
        self
    }

    /// Whether the service blames the instance's customer managed KMS key
    /// (every `Reason` both services define for it starts with `KMS`).
    pub fn is_kms(&self) -> bool {
        self.reason
            .as_deref()
            .is_some_and(|r| r.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("kms")))
    }

    /// Whether the error says the object asked about does not exist. A
    /// not-found that blames the KMS key says nothing about the object: the
    /// service could not read it, so it is not "already gone".
    pub fn is_absent(&self) -> bool {
        self.kind == ErrorKind::NotFound && !self.is_kms()
    }

    /// Whether an identitystore not-found means that the user or group asked
    /// about does not exist: its `ResourceType` is `USER` or `GROUP` (or
    /// absent, as some emulators answer). A missing identity store or a KMS
    /// reason is an error, never a deleted principal.
    pub fn is_missing_principal(&self) -> bool {
        self.is_absent()
            && self
                .resource_type
                .as_deref()
                .is_none_or(|t| t == "USER" || t == "GROUP")
    }
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = self.operation;
        // The exception's `Reason` says what its message often does not.
        let msg = match &self.reason {
            Some(reason) if !self.message.contains(reason.as_str()) => {
                format!("{} (reason: {reason})", self.message)
            }
            _ => self.message.clone(),
        };
        // KMS throttling is retried like any other; the rest of the KMS
        // reasons need the key or the caller's access to it fixed.
        if self.is_kms() && self.kind != ErrorKind::Throttled {
            return write!(
                f,
                "{op} failed because of the instance's customer managed KMS key: {msg}; the key must exist and be enabled, \
                 and the role or user running ssomatrix needs `kms:Decrypt` on it through IAM Identity Center \
                 (docs/iam/kms-key-access.json has the statement)"
            );
        }
        match self.kind {
            ErrorKind::AccessDenied => write!(
                f,
                "access denied calling {op}: {msg}; allow the IAM action `{op}` for the role or user running ssomatrix (docs/iam/ has the policies)"
            ),
            ErrorKind::Throttled => write!(
                f,
                "{op} was throttled: {msg}; lower --max-tps if other automation shares the quota"
            ),
            ErrorKind::QuotaExceeded => write!(
                f,
                "{op} was refused because too many operations are in progress: {msg}; lower --max-in-flight if other automation runs at the same time"
            ),
            ErrorKind::Conflict => write!(
                f,
                "{op} conflicted with another operation in progress: {msg}"
            ),
            ErrorKind::NotFound => write!(f, "{op}: not found: {msg}"),
            ErrorKind::Validation => write!(f, "{op} rejected the request: {msg}"),
            ErrorKind::Transient => write!(f, "{op} failed with a transient error: {msg}"),
            ErrorKind::Configuration => write!(
                f,
                "{op} could not be sent: {msg}; check the AWS credentials and region (`aws sso login`, --profile, --region \
                 or the AWS_* environment variables), or work offline with --snapshot FILE"
            ),
            ErrorKind::UnknownOperation => {
                write!(f, "{op} is not available for this instance: {msg}")
            }
            ErrorKind::Unreachable => write!(
                f,
                "{op} could not connect to the endpoint: {msg}; check the endpoint (AWS_ENDPOINT_URL… variables, \
                 `endpoint_url` in the profile, or --region for AWS's own), the network and any proxy, or work offline with --snapshot FILE"
            ),
            ErrorKind::Other => write!(f, "{op} failed: {msg}"),
        }
    }
}

impl std::error::Error for PortError {}

/// The result type of every port method.
pub type PortResult<T> = Result<T, PortError>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceInfo {
    pub instance_arn: InstanceArn,
    pub identity_store_id: IdentityStoreId,
    pub name: Option<String>,
    /// `Status` as ListInstances gives it (`ACTIVE`, `CREATE_IN_PROGRESS`,
    /// `CREATE_FAILED`, `DELETE_IN_PROGRESS`…); `None` where the service
    /// did not say.
    pub status: Option<String>,
}

impl InstanceInfo {
    /// Whether the instance can be used: `ACTIVE`, or no status given.
    pub fn is_active(&self) -> bool {
        self.status.as_deref().is_none_or(|s| s == "ACTIVE")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionSetInfo {
    pub arn: PermissionSetArn,
    pub name: String,
}

/// A principal of a live assignment, as `ListAccountAssignments` returns it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PrincipalRef {
    pub principal_type: PrincipalType,
    pub principal_id: PrincipalId,
}

/// `ProvisioningStatus` filter of the provisioned-account listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvisioningFilter {
    LatestProvisioned,
    LatestNotProvisioned,
}

/// Status of an asynchronous operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OperationState {
    InProgress,
    Failed,
    Succeeded,
}

/// What Create/DeleteAccountAssignment and their Describe/List status calls
/// return about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentOperation {
    pub request_id: String,
    pub state: OperationState,
    pub failure_reason: Option<String>,
}

/// Where `ProvisionPermissionSet` provisions a permission set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProvisionTarget {
    Account(AccountId),
    AllProvisionedAccounts,
}

/// What ProvisionPermissionSet and its status calls return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionOperation {
    pub request_id: String,
    pub state: OperationState,
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OuInfo {
    pub id: OuId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    pub id: AccountId,
    pub name: String,
    /// `State`, or the retired `Status` mapped onto it where `State` is absent.
    pub state: AccountState,
}

/// What `ListParents` is asked about: an account or an OU.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrgChild {
    Account(AccountId),
    Ou(OuId),
}

impl OrgChild {
    /// The id as the API takes it (`ChildId`).
    pub fn as_str(&self) -> &str {
        match self {
            OrgChild::Account(a) => a.as_str(),
            OrgChild::Ou(o) => o.as_str(),
        }
    }
}

impl fmt::Display for OrgChild {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// IAM Identity Center administration (`sso-admin`).
pub trait SsoAdmin: Send + Sync {
    fn list_instances(
        &self,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<InstanceInfo>>> + Send;

    fn list_permission_sets(
        &self,
        instance: &InstanceArn,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<PermissionSetArn>>> + Send;

    fn describe_permission_set(
        &self,
        instance: &InstanceArn,
        permission_set: &PermissionSetArn,
    ) -> impl Future<Output = PortResult<PermissionSetInfo>> + Send;

    fn list_accounts_for_provisioned_permission_set(
        &self,
        instance: &InstanceArn,
        permission_set: &PermissionSetArn,
        filter: Option<ProvisioningFilter>,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<AccountId>>> + Send;

    fn list_permission_sets_provisioned_to_account(
        &self,
        instance: &InstanceArn,
        account: &AccountId,
        filter: Option<ProvisioningFilter>,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<PermissionSetArn>>> + Send;

    fn list_account_assignments(
        &self,
        instance: &InstanceArn,
        account: &AccountId,
        permission_set: &PermissionSetArn,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<PrincipalRef>>> + Send;

    /// Every assignment `principal` holds (`AccountAssignmentForPrincipal`:
    /// account, permission set, and the principal the service names, kept
    /// because the API reference does not say that it is always the one
    /// asked for), only in `account` when given (the API's `Filter`). AWS
    /// answers it only from the management account.
    fn list_account_assignments_for_principal(
        &self,
        instance: &InstanceArn,
        principal: &PrincipalRef,
        account: Option<&AccountId>,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<Assignment>>> + Send;

    fn create_account_assignment(
        &self,
        instance: &InstanceArn,
        assignment: &Assignment,
    ) -> impl Future<Output = PortResult<AssignmentOperation>> + Send;

    fn delete_account_assignment(
        &self,
        instance: &InstanceArn,
        assignment: &Assignment,
    ) -> impl Future<Output = PortResult<AssignmentOperation>> + Send;

    fn describe_account_assignment_creation_status(
        &self,
        instance: &InstanceArn,
        request_id: &str,
    ) -> impl Future<Output = PortResult<AssignmentOperation>> + Send;

    fn describe_account_assignment_deletion_status(
        &self,
        instance: &InstanceArn,
        request_id: &str,
    ) -> impl Future<Output = PortResult<AssignmentOperation>> + Send;

    fn list_account_assignment_creation_status(
        &self,
        instance: &InstanceArn,
        filter: Option<OperationState>,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<AssignmentOperation>>> + Send;

    fn list_account_assignment_deletion_status(
        &self,
        instance: &InstanceArn,
        filter: Option<OperationState>,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<AssignmentOperation>>> + Send;

    fn provision_permission_set(
        &self,
        instance: &InstanceArn,
        permission_set: &PermissionSetArn,
        target: &ProvisionTarget,
    ) -> impl Future<Output = PortResult<ProvisionOperation>> + Send;

    fn describe_permission_set_provisioning_status(
        &self,
        instance: &InstanceArn,
        request_id: &str,
    ) -> impl Future<Output = PortResult<ProvisionOperation>> + Send;
}

/// The Identity Store (`identitystore`).
pub trait IdentityStore: Send + Sync {
    /// `GetGroupId` by `DisplayName`; `None` when no group has that name.
    fn get_group_id(
        &self,
        store: &IdentityStoreId,
        display_name: &str,
    ) -> impl Future<Output = PortResult<Option<PrincipalId>>> + Send;

    /// `GetUserId` by `UserName`; `None` when no user has that name.
    fn get_user_id(
        &self,
        store: &IdentityStoreId,
        user_name: &str,
    ) -> impl Future<Output = PortResult<Option<PrincipalId>>> + Send;

    /// `DescribeGroup`: the display name; `None` when the group was deleted.
    fn describe_group(
        &self,
        store: &IdentityStoreId,
        id: &PrincipalId,
    ) -> impl Future<Output = PortResult<Option<String>>> + Send;

    /// `DescribeUser`: the user name; `None` when the user was deleted.
    fn describe_user(
        &self,
        store: &IdentityStoreId,
        id: &PrincipalId,
    ) -> impl Future<Output = PortResult<Option<String>>> + Send;

    /// `ListGroups`: (id, display name) pairs.
    fn list_groups(
        &self,
        store: &IdentityStoreId,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<(PrincipalId, String)>>> + Send;

    /// `ListUsers`: (id, user name) pairs.
    fn list_users(
        &self,
        store: &IdentityStoreId,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<(PrincipalId, String)>>> + Send;

    /// `ListGroupMemberships`: the user ids of one group's members (each
    /// `GroupMembership`'s `MemberId.UserId`; the model's `MemberId` is a
    /// union that holds nothing else today). A group that does not exist is
    /// a `NotFound` with `ResourceType` `GROUP`.
    fn list_group_memberships(
        &self,
        store: &IdentityStoreId,
        group: &PrincipalId,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<PrincipalId>>> + Send;
}

/// AWS Organizations (`organizations`).
pub trait Organizations: Send + Sync {
    /// `DescribeOrganization`: the management account's id.
    fn describe_organization(&self) -> impl Future<Output = PortResult<AccountId>> + Send;

    fn list_roots(
        &self,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<RootId>>> + Send;

    fn list_organizational_units_for_parent(
        &self,
        parent: &NodeId,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<OuInfo>>> + Send;

    fn list_accounts_for_parent(
        &self,
        parent: &NodeId,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<AccountInfo>>> + Send;

    /// `ListTagsForResource` on an account: (key, value) pairs.
    fn list_tags_for_resource(
        &self,
        account: &AccountId,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<(String, String)>>> + Send;

    /// `ListParents`: the root or OU that holds `child` (the API answers a
    /// list, of one parent today). `NotFound` when there is no such child.
    fn list_parents(
        &self,
        child: &OrgChild,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<NodeId>>> + Send;

    /// `DescribeOrganizationalUnit`: the OU's name. `NotFound` when there is
    /// no such OU.
    fn describe_organizational_unit(
        &self,
        ou: &OuId,
    ) -> impl Future<Output = PortResult<OuInfo>> + Send;

    /// `DescribeAccount`: the account's name and state. `NotFound` when the
    /// organization has no such account.
    fn describe_account(
        &self,
        account: &AccountId,
    ) -> impl Future<Output = PortResult<AccountInfo>> + Send;

    /// `ListAccounts`: every account of the organization, wherever it sits.
    fn list_accounts(
        &self,
        next_token: Option<String>,
    ) -> impl Future<Output = PortResult<Page<AccountInfo>>> + Send;
}

/// AWS Security Token Service (`sts`): who the credentials are.
pub trait Sts: Send + Sync {
    /// `GetCallerIdentity`: the account the credentials belong to. A
    /// delegated administrator's credentials belong to a member account, and
    /// AWS refuses it the permission sets provisioned to the management
    /// account (`LiveState::delegated_administrator`).
    fn get_caller_identity(&self) -> impl Future<Output = PortResult<AccountId>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kms_reasons_are_printed_and_point_at_the_key_policy() {
        let denied = PortError::new(Operation::ListInstances, ErrorKind::AccessDenied, "denied")
            .with_reason("KMS_AccessDeniedException");
        let shown = denied.to_string();
        assert!(shown.contains("KMS_AccessDeniedException"), "{shown}");
        assert!(shown.contains("kms:Decrypt"), "{shown}");
        assert!(
            !shown.contains("allow the IAM action `sso:ListInstances`"),
            "{shown}"
        );

        let throttled = PortError::new(Operation::ListUsers, ErrorKind::Throttled, "slow")
            .with_reason("KMS_THROTTLING");
        let shown = throttled.to_string();
        assert!(
            shown.contains("was throttled") && shown.contains("KMS_THROTTLING"),
            "{shown}"
        );

        // A reason the message already holds is not repeated.
        let other = PortError::new(
            Operation::ListInstances,
            ErrorKind::Validation,
            "bad: SOME_REASON",
        )
        .with_reason("SOME_REASON");
        assert_eq!(other.to_string().matches("SOME_REASON").count(), 1);
    }

    #[test]
    fn only_a_user_or_group_not_found_is_a_missing_principal() {
        let nf = |t: Option<&str>, r: Option<&str>| {
            let mut e = PortError::new(Operation::DescribeGroup, ErrorKind::NotFound, "x");
            e.resource_type = t.map(str::to_owned);
            e.reason = r.map(str::to_owned);
            e
        };
        assert!(nf(Some("GROUP"), None).is_missing_principal());
        assert!(nf(Some("USER"), None).is_missing_principal());
        assert!(nf(None, None).is_missing_principal());
        assert!(!nf(Some("IDENTITY_STORE"), None).is_missing_principal());
        assert!(!nf(Some("GROUP_MEMBERSHIP"), None).is_missing_principal());
        assert!(!nf(None, Some("KMS_KEY_NOT_FOUND")).is_missing_principal());
        assert!(!nf(None, Some("KMS_NotFoundException")).is_absent());
        assert!(nf(None, None).is_absent());
    }
}
