//! ssomatrix-sim: an in-memory IAM Identity Center, Identity Store and
//! Organizations behind the ssomatrix ports, loaded from a snapshot file.
//!
//! It models the API, not a shortcut around it: the same operations, AWS page
//! sizes with opaque next tokens, request ids and statuses for the
//! asynchronous writes, not-found answers for deleted principals. Offline
//! mode (`--snapshot`) and the engine's tests run against it.
//!
//! Tests can also make it behave like AWS on a bad day ([`FaultPlan`]:
//! throttling, 500s, empty pages that still carry a `NextToken`, latency) and
//! read back when each call arrived ([`Simulator::max_calls_in_window`]).
//! Faults are off unless a test asks for them.

mod faults;

pub use faults::{Calls, Fault, FaultPlan};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use ssomatrix_core::ids::{
    AccountId, IdentityStoreId, InstanceArn, PermissionSetArn, PrincipalId, PrincipalType, RootId,
};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::org::NodeId;
use ssomatrix_core::ports::{
    AccountInfo, AccountPermissionSet, AssignmentOperation, ErrorKind, IdentityStore, InstanceInfo,
    OperationState, Organizations, OuInfo, Page, PermissionSetInfo, PortError, PortResult,
    PrincipalRef, ProvisionOperation, ProvisionTarget, ProvisioningFilter, SsoAdmin,
};
use ssomatrix_core::snapshot::{Snapshot, SnapshotError, SnapshotPermissionSet, SnapshotPrincipal};

/// AWS's maximum page sizes, which the adapter requests and the simulator
/// returns.
pub mod page_size {
    pub const SSO_ADMIN: usize = 100;
    pub const IDENTITY_STORE: usize = 100;
    pub const ORGANIZATIONS: usize = 20;
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("invalid snapshot:\n{0}")]
    Snapshot(#[from] SnapshotError),
    #[error("invalid organization in snapshot: {0}")]
    Org(#[from] ssomatrix_core::org::OrgError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpKind {
    Create,
    Delete,
}

#[derive(Debug)]
struct Operation {
    kind: OpKind,
    status: AssignmentOperation,
}

#[derive(Debug)]
struct State {
    snapshot: Snapshot,
    /// Accounts where each permission set is provisioned (in sync or not).
    provisioned: BTreeMap<PermissionSetArn, BTreeSet<AccountId>>,
    operations: BTreeMap<String, Operation>,
    provisions: BTreeMap<String, ProvisionOperation>,
    next_request: u64,
    calls: BTreeMap<&'static str, u64>,
    /// When each call arrived, in order (tokio time, so virtual in tests).
    log: Vec<(Instant, &'static str)>,
    faults: FaultPlan,
}

/// A simulated instance. Cloning shares the state (like two clients of one
/// AWS account).
#[derive(Debug, Clone)]
pub struct Simulator {
    state: Arc<Mutex<State>>,
}

impl Simulator {
    /// Builds a simulator from a checked snapshot.
    pub fn from_snapshot(snapshot: Snapshot) -> Result<Self, SimError> {
        snapshot.org_tree()?;
        let mut provisioned: BTreeMap<PermissionSetArn, BTreeSet<AccountId>> = BTreeMap::new();
        for a in &snapshot.assignments {
            provisioned
                .entry(a.permission_set_arn.clone())
                .or_default()
                .insert(a.account_id.clone());
        }
        for ps in &snapshot.permission_sets {
            provisioned
                .entry(ps.arn.clone())
                .or_default()
                .extend(ps.not_provisioned_accounts.iter().cloned());
        }
        let state = State {
            snapshot,
            provisioned,
            operations: BTreeMap::new(),
            provisions: BTreeMap::new(),
            next_request: 1,
            calls: BTreeMap::new(),
            log: Vec::new(),
            faults: FaultPlan::default(),
        };
        Ok(Simulator {
            state: Arc::new(Mutex::new(state)),
        })
    }

    /// Parses a snapshot file's text and builds a simulator from it.
    pub fn from_snapshot_text(file: &str, text: &str) -> Result<Self, SimError> {
        Self::from_snapshot(Snapshot::parse(file, text)?)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock can only come from a bug in this
        // file; the state is still the best there is, so keep using it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current state as a snapshot (what `apply --snapshot` writes back).
    pub fn snapshot(&self) -> Snapshot {
        let st = self.lock();
        let mut s = st.snapshot.clone();
        s.sort();
        s
    }

    /// Calls made so far, by IAM action (`sso:ListAccountAssignments`).
    pub fn calls(&self) -> BTreeMap<&'static str, u64> {
        self.lock().calls.clone()
    }

    pub fn total_calls(&self) -> u64 {
        self.lock().calls.values().sum()
    }

    /// Replaces the fault plan (shared by every clone of this simulator).
    /// Call numbers keep counting from the calls already made.
    pub fn set_faults(&self, plan: FaultPlan) {
        self.lock().faults = plan;
    }

    /// This simulator with `plan`'s faults.
    pub fn with_faults(self, plan: FaultPlan) -> Self {
        self.set_faults(plan);
        self
    }

    /// When each call of `operations` arrived (an operation such as
    /// `sso:ListAccountAssignments`, a service prefix such as `sso:`, or
    /// `*`), in arrival order.
    pub fn call_times(&self, operations: &str) -> Vec<Instant> {
        self.lock()
            .log
            .iter()
            .filter(|(_, op)| faults::matches(operations, op))
            .map(|(t, _)| *t)
            .collect()
    }

    /// The most calls of `operations` that arrived within any one `window`
    /// (half-open, so calls exactly `window` apart are in different windows):
    /// what a service enforcing a TPS limit over that window would count.
    pub fn max_calls_in_window(&self, operations: &str, window: Duration) -> usize {
        let times = self.call_times(operations);
        let mut most = 0;
        let mut start = 0;
        for (end, t) in times.iter().enumerate() {
            while *t - times[start] >= window {
                start += 1;
            }
            most = most.max(end + 1 - start);
        }
        most
    }

    /// Counts and logs a call, and decides what the fault plan does to it.
    fn arrive(&self, op: &'static str, listing: bool) -> (Option<(Fault, u64)>, Duration) {
        let mut st = self.lock();
        let n = {
            let count = st.calls.entry(op).or_default();
            *count += 1;
            *count
        };
        st.log.push((Instant::now(), op));
        (st.faults.fault(op, n, listing), st.faults.latency_of(op))
    }

    /// Counts a call and runs `f` on the state, unless the fault plan fails it.
    async fn call<T>(
        &self,
        op: &'static str,
        f: impl FnOnce(&mut State) -> PortResult<T>,
    ) -> PortResult<T> {
        let (fault, latency) = self.arrive(op, false);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if let Some(e) = fault.and_then(|(f, _)| f.error(op)) {
            return Err(e);
        }
        f(&mut self.lock())
    }

    /// Like `call` for a paginated listing: `f` returns every item and this
    /// slices out the page `next_token` asks for, or an empty page that
    /// still carries a token when the fault plan says so.
    async fn list<T>(
        &self,
        op: &'static str,
        next_token: Option<String>,
        size: usize,
        f: impl FnOnce(&State) -> PortResult<Vec<T>>,
    ) -> PortResult<Page<T>> {
        let (fault, latency) = self.arrive(op, true);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if let Some(e) = fault.and_then(|(f, _)| f.error(op)) {
            return Err(e);
        }
        let items = f(&self.lock())?;
        match fault {
            Some((Fault::EmptyPage, n)) => {
                let start = page_start(op, next_token.as_deref(), items.len())?;
                Ok(Page {
                    items: Vec::new(),
                    next_token: Some(format!("sim-{start}-e{n}")),
                })
            }
            _ => paginate(op, items, next_token, size),
        }
    }
}

/// Where the page a token asks for starts. Tokens are `sim-{offset}`, or
/// `sim-{offset}-e{n}` after an injected empty page (unique, as a token
/// repeated twice means a runaway listing).
fn page_start(op: &'static str, token: Option<&str>, len: usize) -> PortResult<usize> {
    let Some(t) = token else { return Ok(0) };
    t.strip_prefix("sim-")
        .map(|rest| rest.split_once('-').map_or(rest, |(offset, _)| offset))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n <= len)
        .ok_or_else(|| {
            PortError::new(
                op,
                ErrorKind::Validation,
                format!("invalid NextToken `{t}`"),
            )
        })
}

/// Slices `items` into AWS-style pages; the token is an opaque offset.
fn paginate<T>(
    op: &'static str,
    items: Vec<T>,
    token: Option<String>,
    size: usize,
) -> PortResult<Page<T>> {
    let start = page_start(op, token.as_deref(), items.len())?;
    let end = (start + size).min(items.len());
    let next_token = (end < items.len()).then(|| format!("sim-{end}"));
    let items = items.into_iter().skip(start).take(end - start).collect();
    Ok(Page { items, next_token })
}

impl State {
    fn check_instance(&self, op: &'static str, instance: &InstanceArn) -> PortResult<()> {
        if *instance == self.snapshot.instance_arn {
            Ok(())
        } else {
            Err(PortError::new(
                op,
                ErrorKind::NotFound,
                format!("instance {instance} does not exist"),
            ))
        }
    }

    fn check_store(&self, op: &'static str, store: &IdentityStoreId) -> PortResult<()> {
        if *store == self.snapshot.identity_store_id {
            Ok(())
        } else {
            Err(PortError::new(
                op,
                ErrorKind::NotFound,
                format!("identity store {store} does not exist"),
            ))
        }
    }

    fn permission_set(
        &self,
        op: &'static str,
        arn: &PermissionSetArn,
    ) -> PortResult<&SnapshotPermissionSet> {
        self.snapshot
            .permission_sets
            .iter()
            .find(|p| p.arn == *arn)
            .ok_or_else(|| {
                PortError::new(
                    op,
                    ErrorKind::NotFound,
                    format!("permission set {arn} does not exist"),
                )
            })
    }

    fn principals(&self, kind: PrincipalType) -> &[SnapshotPrincipal] {
        self.snapshot.principals(kind)
    }

    fn has_account(&self, id: &AccountId) -> bool {
        self.snapshot
            .organization
            .accounts
            .iter()
            .any(|a| a.id == *id)
    }

    fn request_id(&mut self) -> String {
        let n = self.next_request;
        self.next_request += 1;
        format!("{n:08x}-0000-4000-8000-{n:012x}")
    }

    fn write(
        &mut self,
        op: &'static str,
        kind: OpKind,
        instance: &InstanceArn,
        a: &Assignment,
    ) -> PortResult<AssignmentOperation> {
        self.check_instance(op, instance)?;
        self.permission_set(op, &a.permission_set_arn)?;
        if !self.has_account(&a.account_id) {
            return Err(PortError::new(
                op,
                ErrorKind::Validation,
                format!("account {} is not in the organization", a.account_id),
            ));
        }
        let request_id = self.request_id();
        match kind {
            OpKind::Create => {
                self.provisioned
                    .entry(a.permission_set_arn.clone())
                    .or_default()
                    .insert(a.account_id.clone());
                // Like the service, a duplicate create is not rejected.
                if !self.snapshot.assignments.contains(a) {
                    self.snapshot.assignments.push(a.clone());
                }
            }
            OpKind::Delete => {
                // Deleting what is already gone succeeds.
                self.snapshot.assignments.retain(|x| x != a);
                let still_used = self.snapshot.assignments.iter().any(|x| {
                    x.account_id == a.account_id && x.permission_set_arn == a.permission_set_arn
                });
                if !still_used
                    && let Some(accounts) = self.provisioned.get_mut(&a.permission_set_arn)
                {
                    accounts.remove(&a.account_id);
                }
            }
        }
        let status = AssignmentOperation {
            request_id: request_id.clone(),
            state: OperationState::Succeeded,
            failure_reason: None,
        };
        self.operations.insert(
            request_id,
            Operation {
                kind,
                status: status.clone(),
            },
        );
        Ok(status)
    }

    fn describe_op(
        &self,
        op: &'static str,
        kind: OpKind,
        request_id: &str,
    ) -> PortResult<AssignmentOperation> {
        match self.operations.get(request_id) {
            Some(o) if o.kind == kind => Ok(o.status.clone()),
            _ => Err(PortError::new(
                op,
                ErrorKind::NotFound,
                format!("request {request_id} does not exist"),
            )),
        }
    }

    fn list_ops(&self, kind: OpKind, filter: Option<OperationState>) -> Vec<AssignmentOperation> {
        self.operations
            .values()
            .filter(|o| o.kind == kind && filter.is_none_or(|f| o.status.state == f))
            .map(|o| o.status.clone())
            .collect()
    }
}

impl SsoAdmin for Simulator {
    async fn list_instances(&self, next_token: Option<String>) -> PortResult<Page<InstanceInfo>> {
        const OP: &str = "sso:ListInstances";
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            let info = InstanceInfo {
                instance_arn: st.snapshot.instance_arn.clone(),
                identity_store_id: st.snapshot.identity_store_id.clone(),
                name: None,
            };
            Ok(vec![info])
        })
        .await
    }

    async fn list_permission_sets(
        &self,
        instance: &InstanceArn,
        next_token: Option<String>,
    ) -> PortResult<Page<PermissionSetArn>> {
        const OP: &str = "sso:ListPermissionSets";
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            st.check_instance(OP, instance)?;
            let arns = st
                .snapshot
                .permission_sets
                .iter()
                .map(|p| p.arn.clone())
                .collect();
            Ok(arns)
        })
        .await
    }

    async fn describe_permission_set(
        &self,
        instance: &InstanceArn,
        permission_set: &PermissionSetArn,
    ) -> PortResult<PermissionSetInfo> {
        const OP: &str = "sso:DescribePermissionSet";
        self.call(OP, |st| {
            st.check_instance(OP, instance)?;
            let p = st.permission_set(OP, permission_set)?;
            Ok(PermissionSetInfo {
                arn: p.arn.clone(),
                name: p.name.clone(),
            })
        })
        .await
    }

    async fn list_accounts_for_provisioned_permission_set(
        &self,
        instance: &InstanceArn,
        permission_set: &PermissionSetArn,
        filter: Option<ProvisioningFilter>,
        next_token: Option<String>,
    ) -> PortResult<Page<AccountId>> {
        const OP: &str = "sso:ListAccountsForProvisionedPermissionSet";
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            st.check_instance(OP, instance)?;
            let stale = st
                .permission_set(OP, permission_set)?
                .not_provisioned_accounts
                .clone();
            let all = st
                .provisioned
                .get(permission_set)
                .cloned()
                .unwrap_or_default();
            let accounts = all
                .into_iter()
                .filter(|a| match filter {
                    None => true,
                    Some(ProvisioningFilter::LatestNotProvisioned) => stale.contains(a),
                    Some(ProvisioningFilter::LatestProvisioned) => !stale.contains(a),
                })
                .collect();
            Ok(accounts)
        })
        .await
    }

    async fn list_permission_sets_provisioned_to_account(
        &self,
        instance: &InstanceArn,
        account: &AccountId,
        filter: Option<ProvisioningFilter>,
        next_token: Option<String>,
    ) -> PortResult<Page<PermissionSetArn>> {
        const OP: &str = "sso:ListPermissionSetsProvisionedToAccount";
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            st.check_instance(OP, instance)?;
            let sets = st
                .provisioned
                .iter()
                .filter(|(_, accounts)| accounts.contains(account))
                .filter(|(arn, _)| {
                    let stale = st
                        .permission_set(OP, arn)
                        .is_ok_and(|p| p.not_provisioned_accounts.contains(account));
                    match filter {
                        None => true,
                        Some(ProvisioningFilter::LatestNotProvisioned) => stale,
                        Some(ProvisioningFilter::LatestProvisioned) => !stale,
                    }
                })
                .map(|(arn, _)| arn.clone())
                .collect();
            Ok(sets)
        })
        .await
    }

    async fn list_account_assignments(
        &self,
        instance: &InstanceArn,
        account: &AccountId,
        permission_set: &PermissionSetArn,
        next_token: Option<String>,
    ) -> PortResult<Page<PrincipalRef>> {
        const OP: &str = "sso:ListAccountAssignments";
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            st.check_instance(OP, instance)?;
            st.permission_set(OP, permission_set)?;
            let mut refs: Vec<PrincipalRef> = st
                .snapshot
                .assignments
                .iter()
                .filter(|a| a.account_id == *account && a.permission_set_arn == *permission_set)
                .map(|a| PrincipalRef {
                    principal_type: a.principal_type,
                    principal_id: a.principal_id.clone(),
                })
                .collect();
            refs.sort();
            Ok(refs)
        })
        .await
    }

    async fn list_account_assignments_for_principal(
        &self,
        instance: &InstanceArn,
        principal: &PrincipalRef,
        next_token: Option<String>,
    ) -> PortResult<Page<AccountPermissionSet>> {
        const OP: &str = "sso:ListAccountAssignmentsForPrincipal";
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            st.check_instance(OP, instance)?;
            let mut pairs: Vec<AccountPermissionSet> = st
                .snapshot
                .assignments
                .iter()
                .filter(|a| {
                    a.principal_type == principal.principal_type
                        && a.principal_id == principal.principal_id
                })
                .map(|a| AccountPermissionSet {
                    account_id: a.account_id.clone(),
                    permission_set_arn: a.permission_set_arn.clone(),
                })
                .collect();
            pairs.sort();
            Ok(pairs)
        })
        .await
    }

    async fn create_account_assignment(
        &self,
        instance: &InstanceArn,
        assignment: &Assignment,
    ) -> PortResult<AssignmentOperation> {
        const OP: &str = "sso:CreateAccountAssignment";
        self.call(OP, |st| st.write(OP, OpKind::Create, instance, assignment))
            .await
    }

    async fn delete_account_assignment(
        &self,
        instance: &InstanceArn,
        assignment: &Assignment,
    ) -> PortResult<AssignmentOperation> {
        const OP: &str = "sso:DeleteAccountAssignment";
        self.call(OP, |st| st.write(OP, OpKind::Delete, instance, assignment))
            .await
    }

    async fn describe_account_assignment_creation_status(
        &self,
        instance: &InstanceArn,
        request_id: &str,
    ) -> PortResult<AssignmentOperation> {
        const OP: &str = "sso:DescribeAccountAssignmentCreationStatus";
        self.call(OP, |st| {
            st.check_instance(OP, instance)?;
            st.describe_op(OP, OpKind::Create, request_id)
        })
        .await
    }

    async fn describe_account_assignment_deletion_status(
        &self,
        instance: &InstanceArn,
        request_id: &str,
    ) -> PortResult<AssignmentOperation> {
        const OP: &str = "sso:DescribeAccountAssignmentDeletionStatus";
        self.call(OP, |st| {
            st.check_instance(OP, instance)?;
            st.describe_op(OP, OpKind::Delete, request_id)
        })
        .await
    }

    async fn list_account_assignment_creation_status(
        &self,
        instance: &InstanceArn,
        filter: Option<OperationState>,
        next_token: Option<String>,
    ) -> PortResult<Page<AssignmentOperation>> {
        const OP: &str = "sso:ListAccountAssignmentCreationStatus";
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            st.check_instance(OP, instance)?;
            Ok(st.list_ops(OpKind::Create, filter))
        })
        .await
    }

    async fn list_account_assignment_deletion_status(
        &self,
        instance: &InstanceArn,
        filter: Option<OperationState>,
        next_token: Option<String>,
    ) -> PortResult<Page<AssignmentOperation>> {
        const OP: &str = "sso:ListAccountAssignmentDeletionStatus";
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            st.check_instance(OP, instance)?;
            Ok(st.list_ops(OpKind::Delete, filter))
        })
        .await
    }

    async fn provision_permission_set(
        &self,
        instance: &InstanceArn,
        permission_set: &PermissionSetArn,
        target: &ProvisionTarget,
    ) -> PortResult<ProvisionOperation> {
        const OP: &str = "sso:ProvisionPermissionSet";
        self.call(OP, |st| {
            st.check_instance(OP, instance)?;
            st.permission_set(OP, permission_set)?;
            let request_id = st.request_id();
            let provisioned = st.provisioned.entry(permission_set.clone()).or_default();
            if let ProvisionTarget::Account(a) = target {
                provisioned.insert(a.clone());
            }
            let targets: BTreeSet<AccountId> = match target {
                ProvisionTarget::Account(a) => [a.clone()].into(),
                ProvisionTarget::AllProvisionedAccounts => provisioned.clone(),
            };
            if let Some(p) = st
                .snapshot
                .permission_sets
                .iter_mut()
                .find(|p| p.arn == *permission_set)
            {
                p.not_provisioned_accounts.retain(|a| !targets.contains(a));
            }
            let status = ProvisionOperation {
                request_id: request_id.clone(),
                state: OperationState::Succeeded,
                failure_reason: None,
            };
            st.provisions.insert(request_id, status.clone());
            Ok(status)
        })
        .await
    }

    async fn describe_permission_set_provisioning_status(
        &self,
        instance: &InstanceArn,
        request_id: &str,
    ) -> PortResult<ProvisionOperation> {
        const OP: &str = "sso:DescribePermissionSetProvisioningStatus";
        self.call(OP, |st| {
            st.check_instance(OP, instance)?;
            st.provisions.get(request_id).cloned().ok_or_else(|| {
                PortError::new(
                    OP,
                    ErrorKind::NotFound,
                    format!("request {request_id} does not exist"),
                )
            })
        })
        .await
    }
}

fn find_principal(
    list: &[SnapshotPrincipal],
    pred: impl Fn(&SnapshotPrincipal) -> bool,
) -> Option<&SnapshotPrincipal> {
    list.iter().find(|p| pred(p))
}

impl IdentityStore for Simulator {
    async fn get_group_id(
        &self,
        store: &IdentityStoreId,
        display_name: &str,
    ) -> PortResult<Option<PrincipalId>> {
        const OP: &str = "identitystore:GetGroupId";
        self.call(OP, |st| {
            st.check_store(OP, store)?;
            Ok(find_principal(st.principals(PrincipalType::Group), |p| {
                p.name == display_name
            })
            .map(|p| p.id.clone()))
        })
        .await
    }

    async fn get_user_id(
        &self,
        store: &IdentityStoreId,
        user_name: &str,
    ) -> PortResult<Option<PrincipalId>> {
        const OP: &str = "identitystore:GetUserId";
        self.call(OP, |st| {
            st.check_store(OP, store)?;
            Ok(
                find_principal(st.principals(PrincipalType::User), |p| p.name == user_name)
                    .map(|p| p.id.clone()),
            )
        })
        .await
    }

    async fn describe_group(
        &self,
        store: &IdentityStoreId,
        id: &PrincipalId,
    ) -> PortResult<Option<String>> {
        const OP: &str = "identitystore:DescribeGroup";
        self.call(OP, |st| {
            st.check_store(OP, store)?;
            Ok(
                find_principal(st.principals(PrincipalType::Group), |p| p.id == *id)
                    .map(|p| p.name.clone()),
            )
        })
        .await
    }

    async fn describe_user(
        &self,
        store: &IdentityStoreId,
        id: &PrincipalId,
    ) -> PortResult<Option<String>> {
        const OP: &str = "identitystore:DescribeUser";
        self.call(OP, |st| {
            st.check_store(OP, store)?;
            Ok(
                find_principal(st.principals(PrincipalType::User), |p| p.id == *id)
                    .map(|p| p.name.clone()),
            )
        })
        .await
    }

    async fn list_groups(
        &self,
        store: &IdentityStoreId,
        next_token: Option<String>,
    ) -> PortResult<Page<(PrincipalId, String)>> {
        const OP: &str = "identitystore:ListGroups";
        self.list(OP, next_token, page_size::IDENTITY_STORE, |st| {
            st.check_store(OP, store)?;
            let all = st
                .principals(PrincipalType::Group)
                .iter()
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect();
            Ok(all)
        })
        .await
    }

    async fn list_users(
        &self,
        store: &IdentityStoreId,
        next_token: Option<String>,
    ) -> PortResult<Page<(PrincipalId, String)>> {
        const OP: &str = "identitystore:ListUsers";
        self.list(OP, next_token, page_size::IDENTITY_STORE, |st| {
            st.check_store(OP, store)?;
            let all = st
                .principals(PrincipalType::User)
                .iter()
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect();
            Ok(all)
        })
        .await
    }
}

impl Organizations for Simulator {
    async fn describe_organization(&self) -> PortResult<AccountId> {
        self.call("organizations:DescribeOrganization", |st| {
            Ok(st.snapshot.organization.management_account_id.clone())
        })
        .await
    }

    async fn list_roots(&self, next_token: Option<String>) -> PortResult<Page<RootId>> {
        const OP: &str = "organizations:ListRoots";
        self.list(OP, next_token, page_size::ORGANIZATIONS, |st| {
            Ok(vec![st.snapshot.organization.root_id.clone()])
        })
        .await
    }

    async fn list_organizational_units_for_parent(
        &self,
        parent: &NodeId,
        next_token: Option<String>,
    ) -> PortResult<Page<OuInfo>> {
        const OP: &str = "organizations:ListOrganizationalUnitsForParent";
        self.list(OP, next_token, page_size::ORGANIZATIONS, |st| {
            let ous = st
                .snapshot
                .organization
                .organizational_units
                .iter()
                .filter(|o| o.parent == *parent)
                .map(|o| OuInfo {
                    id: o.id.clone(),
                    name: o.name.clone(),
                })
                .collect();
            Ok(ous)
        })
        .await
    }

    async fn list_accounts_for_parent(
        &self,
        parent: &NodeId,
        next_token: Option<String>,
    ) -> PortResult<Page<AccountInfo>> {
        const OP: &str = "organizations:ListAccountsForParent";
        self.list(OP, next_token, page_size::ORGANIZATIONS, |st| {
            let accounts = st
                .snapshot
                .organization
                .accounts
                .iter()
                .filter(|a| a.parent == *parent)
                .map(|a| AccountInfo {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    state: a.state,
                })
                .collect();
            Ok(accounts)
        })
        .await
    }

    async fn list_tags_for_resource(
        &self,
        account: &AccountId,
        next_token: Option<String>,
    ) -> PortResult<Page<(String, String)>> {
        const OP: &str = "organizations:ListTagsForResource";
        self.list(OP, next_token, page_size::ORGANIZATIONS, |st| {
            let acc = st
                .snapshot
                .organization
                .accounts
                .iter()
                .find(|a| a.id == *account)
                .ok_or_else(|| {
                    PortError::new(
                        OP,
                        ErrorKind::NotFound,
                        format!("account {account} does not exist"),
                    )
                })?;
            let tags = acc
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Ok(tags)
        })
        .await
    }
}
