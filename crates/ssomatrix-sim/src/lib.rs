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
//!
//! The [`ServiceModel`] (also off unless asked for) adds the service's
//! quotas and asynchronous behaviour: the shared sso-admin TPS bucket,
//! assignment operations that stay `IN_PROGRESS` for a while, at most 10 of
//! them at once, one per account, provisioning at most 3 at once, and
//! operations that end `FAILED`. [`Simulator::service_stats`] tells what the
//! service saw.

mod faults;
mod service;

pub use faults::{Calls, Fault, FaultPlan};
pub use service::{FailedDelete, Latency, ServiceModel, ServiceStats};

use service::{InjectedFailure, Model};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use ssomatrix_core::ids::{
    AccountId, AccountState, IdentityStoreId, InstanceArn, PermissionSetArn, PrincipalId,
    PrincipalType, RootId,
};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::org::NodeId;
use ssomatrix_core::ports::{
    AccountInfo, AccountPermissionSet, AssignmentOperation, ErrorKind, IdentityStore, InstanceInfo,
    OperationState, Organizations, OuInfo, Page, PermissionSetInfo, PortError, PortResult,
    PrincipalRef, ProvisionOperation, ProvisionTarget, ProvisioningFilter, SsoAdmin, Sts,
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
    assignment: Assignment,
    status: AssignmentOperation,
    /// When an operation still in progress completes (service model only).
    completes_at: Option<Instant>,
    /// Before this the status calls do not know the operation.
    visible_at: Instant,
    /// A `FAILED` write that changed the assignments all the same.
    takes_effect: bool,
}

impl Operation {
    /// The status as the service shows it: an in-progress operation's
    /// failure reason is not known yet.
    fn public_status(&self) -> AssignmentOperation {
        let mut s = self.status.clone();
        if s.state == OperationState::InProgress {
            s.failure_reason = None;
        }
        s
    }
}

#[derive(Debug)]
struct Provision {
    permission_set: PermissionSetArn,
    target: ProvisionTarget,
    status: ProvisionOperation,
    completes_at: Option<Instant>,
    visible_at: Instant,
}

#[derive(Debug)]
struct State {
    /// Everything but the assignments, which live in `assignments`.
    snapshot: Snapshot,
    /// The live assignments by (account, permission set).
    assignments: BTreeMap<(AccountId, PermissionSetArn), BTreeSet<PrincipalRef>>,
    /// Accounts where each permission set is provisioned (in sync or not).
    provisioned: BTreeMap<PermissionSetArn, BTreeSet<AccountId>>,
    operations: BTreeMap<String, Operation>,
    provisions: BTreeMap<String, Provision>,
    next_request: u64,
    calls: BTreeMap<&'static str, u64>,
    /// When each call arrived, in order (tokio time, so virtual in tests).
    log: Vec<(Instant, &'static str)>,
    faults: FaultPlan,
    model: Option<Model>,
    failures: Vec<InjectedFailure>,
    /// Permission sets whose provisioning always fails, with the reason.
    never_in_sync: BTreeMap<PermissionSetArn, String>,
    /// Instances ListInstances shows besides the snapshot's (which is
    /// ACTIVE): being created, failed, being deleted.
    other_instances: Vec<InstanceInfo>,
}

/// A simulated instance. Cloning shares the state (like two clients of one
/// AWS account).
#[derive(Debug, Clone)]
pub struct Simulator {
    state: Arc<Mutex<State>>,
}

impl Simulator {
    /// Builds a simulator from a checked snapshot.
    pub fn from_snapshot(mut snapshot: Snapshot) -> Result<Self, SimError> {
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
        // The assignments live in the index from here on (listing one
        // account's permission set must not scan the whole instance).
        let mut assignments: BTreeMap<(AccountId, PermissionSetArn), BTreeSet<PrincipalRef>> =
            BTreeMap::new();
        for a in std::mem::take(&mut snapshot.assignments) {
            assignments
                .entry((a.account_id, a.permission_set_arn))
                .or_default()
                .insert(PrincipalRef {
                    principal_type: a.principal_type,
                    principal_id: a.principal_id,
                });
        }
        let state = State {
            snapshot,
            assignments,
            provisioned,
            operations: BTreeMap::new(),
            provisions: BTreeMap::new(),
            next_request: 1,
            calls: BTreeMap::new(),
            log: Vec::new(),
            faults: FaultPlan::default(),
            model: None,
            failures: Vec::new(),
            never_in_sync: BTreeMap::new(),
            other_instances: Vec::new(),
        };
        Ok(Simulator {
            state: Arc::new(Mutex::new(state)),
        })
    }

    /// Parses a snapshot file's text and builds a simulator from it.
    pub fn from_snapshot_text(file: &str, text: &str) -> Result<Self, SimError> {
        Self::from_snapshot(Snapshot::parse(file, text)?)
    }

    /// Shows another instance in ListInstances, after the snapshot's, with
    /// `status` (`CREATE_IN_PROGRESS`, `CREATE_FAILED`,
    /// `DELETE_IN_PROGRESS`, or `ACTIVE` for a second usable one). Only
    /// listed: every other call works on the snapshot's instance.
    pub fn add_instance(&self, instance_arn: InstanceArn, status: &str) {
        let mut st = self.lock();
        let identity_store_id = st.snapshot.identity_store_id.clone();
        st.other_instances.push(InstanceInfo {
            instance_arn,
            identity_store_id,
            name: None,
            status: Some(status.to_owned()),
        });
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock can only come from a bug in this
        // file; the state is still the best there is, so keep using it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current state as a snapshot (what `apply --snapshot` writes back).
    pub fn snapshot(&self) -> Snapshot {
        let mut st = self.lock();
        st.settle(Instant::now());
        let mut s = st.snapshot.clone();
        s.assignments = st
            .assignments
            .iter()
            .flat_map(|((account, ps), principals)| {
                principals.iter().map(move |p| Assignment {
                    account_id: account.clone(),
                    permission_set_arn: ps.clone(),
                    principal_type: p.principal_type,
                    principal_id: p.principal_id.clone(),
                })
            })
            .collect();
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

    /// This simulator with the service's quotas and asynchronous operations
    /// (see [`ServiceModel`]). Without it, writes succeed at once and
    /// nothing is throttled unless the fault plan says so.
    pub fn with_service(self, model: ServiceModel) -> Self {
        self.lock().model = Some(Model::new(model));
        self
    }

    /// What the service model saw so far (all zero without the model).
    pub fn service_stats(&self) -> ServiceStats {
        self.lock()
            .model
            .as_ref()
            .map(|m| m.stats.clone())
            .unwrap_or_default()
    }

    /// Makes every later create in `account` (of `permission_set`, or of any
    /// permission set) end `FAILED` with `reason`, without an assignment,
    /// as when a customer managed policy is missing in the account.
    pub fn fail_creates_in(
        &self,
        account: &AccountId,
        permission_set: Option<&PermissionSetArn>,
        reason: &str,
    ) {
        self.lock().failures.push(InjectedFailure {
            delete: false,
            account: account.clone(),
            permission_set: permission_set.cloned(),
            reason: reason.to_owned(),
            takes_effect: false,
        });
    }

    /// Makes every later delete in `account` end `FAILED` with `reason`;
    /// `what` says whether the assignment is gone all the same.
    pub fn fail_deletes_in(&self, account: &AccountId, reason: &str, what: FailedDelete) {
        self.lock().failures.push(InjectedFailure {
            delete: true,
            account: account.clone(),
            permission_set: None,
            reason: reason.to_owned(),
            takes_effect: what == FailedDelete::AssignmentGone,
        });
    }

    /// Marks `permission_set` as edited: it becomes OUT_OF_SYNC
    /// (`LATEST_PERMISSION_SET_NOT_PROVISIONED`) in every account it is
    /// provisioned to.
    pub fn mark_permission_set_changed(&self, permission_set: &PermissionSetArn) {
        let mut st = self.lock();
        st.settle(Instant::now());
        let accounts = st
            .provisioned
            .get(permission_set)
            .cloned()
            .unwrap_or_default();
        if let Some(p) = st
            .snapshot
            .permission_sets
            .iter_mut()
            .find(|p| p.arn == *permission_set)
        {
            p.not_provisioned_accounts.extend(accounts);
        }
    }

    /// Makes every provisioning of `permission_set` end `FAILED` with
    /// `reason`, so that it never gets in sync.
    pub fn never_in_sync(&self, permission_set: &PermissionSetArn, reason: &str) {
        self.lock()
            .never_in_sync
            .insert(permission_set.clone(), reason.to_owned());
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
        let now = Instant::now();
        st.log.push((now, op));
        let injected = st.faults.fault(op, n, listing);
        // The service's bucket counts every sso-admin call that arrives.
        let refused =
            op.starts_with("sso:") && st.model.as_mut().is_some_and(|m| !m.take_token(now));
        let fault = injected.or(refused.then_some((Fault::Throttle, n)));
        (fault, st.faults.latency_of(op))
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
        let mut st = self.lock();
        st.settle(Instant::now());
        f(&mut st)
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
        let items = {
            let mut st = self.lock();
            st.settle(Instant::now());
            f(&st)?
        };
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

/// The final state of an operation that completes at once: `FAILED` with
/// the injected reason, or `SUCCEEDED`.
fn final_state(failure: Option<String>) -> (OperationState, Option<String>) {
    match failure {
        Some(reason) => (OperationState::Failed, Some(reason)),
        None => (OperationState::Succeeded, None),
    }
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
            )
            .with_resource_type("IDENTITY_STORE"))
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

    /// A delegated administrator (a snapshot's `caller_account_id` that is
    /// not the management account) may not create, delete or provision
    /// anything of a permission set provisioned to the management account,
    /// in any account, nor anything in the management account itself: AWS
    /// answers AccessDenied.
    fn check_delegated(
        &self,
        op: &'static str,
        permission_set: &PermissionSetArn,
        account: Option<&AccountId>,
    ) -> PortResult<()> {
        let mgmt = &self.snapshot.organization.management_account_id;
        let Some(caller) = self
            .snapshot
            .caller_account_id
            .as_ref()
            .filter(|c| *c != mgmt)
        else {
            return Ok(());
        };
        let provisioned_there = self
            .provisioned
            .get(permission_set)
            .is_some_and(|accounts| accounts.contains(mgmt));
        if provisioned_there || account == Some(mgmt) {
            return Err(PortError::new(
                op,
                ErrorKind::AccessDenied,
                format!(
                    "account {caller} is a delegated administrator and may not manage permission set {permission_set} \
                     or anything in the management account {mgmt}"
                ),
            ));
        }
        Ok(())
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
        self.check_delegated(op, &a.permission_set_arn, Some(&a.account_id))?;
        if !self.has_account(&a.account_id) {
            return Err(PortError::new(
                op,
                ErrorKind::Validation,
                format!("account {} is not in the organization", a.account_id),
            ));
        }
        let injected = self.failures.iter().find(|f| {
            f.delete == (kind == OpKind::Delete)
                && f.account == a.account_id
                && f.permission_set
                    .as_ref()
                    .is_none_or(|p| *p == a.permission_set_arn)
        });
        let takes_effect = injected.is_none_or(|f| f.takes_effect);
        let failure = injected.map(|f| f.reason.clone());
        let now = Instant::now();
        let Some(model) = self.model.as_mut() else {
            // Without the service model a write completes at once.
            let request_id = self.request_id();
            if takes_effect {
                self.apply_write(kind, a);
            }
            let (state, failure_reason) = final_state(failure);
            let status = AssignmentOperation {
                request_id: request_id.clone(),
                state,
                failure_reason,
            };
            self.operations.insert(
                request_id,
                Operation {
                    kind,
                    assignment: a.clone(),
                    status: status.clone(),
                    completes_at: None,
                    visible_at: now,
                    takes_effect,
                },
            );
            return Ok(status);
        };
        let running = self
            .operations
            .values()
            .filter(|o| o.completes_at.is_some());
        let (mut outstanding, mut on_account) = (0, 0);
        for o in running {
            outstanding += 1;
            if o.assignment.account_id == a.account_id {
                on_account += 1;
            }
        }
        let stats = &mut model.stats;
        stats.max_outstanding = stats.max_outstanding.max(outstanding + 1);
        stats.max_writes_per_account = stats.max_writes_per_account.max(on_account + 1);
        if on_account > 0 {
            stats.conflicts += 1;
            return Err(PortError::new(
                op,
                ErrorKind::Conflict,
                format!(
                    "An account assignment operation is already in progress for account {}",
                    a.account_id
                ),
            ));
        }
        // Past the cap the service refuses the write: CreateAccountAssignment
        // with ServiceQuotaExceededException (its API model lists it), and
        // DeleteAccountAssignment, whose model does not, with throttling.
        // Either way the client should wait for operations to finish.
        if outstanding >= model.config.max_outstanding {
            stats.quota_throttles += 1;
            let (kind, code) = match kind {
                OpKind::Create => (ErrorKind::QuotaExceeded, "ServiceQuotaExceededException"),
                OpKind::Delete => (ErrorKind::Throttled, "ThrottlingException"),
            };
            return Err(PortError::new(
                op,
                kind,
                format!(
                    "{code}: {outstanding} account assignment operations are already in progress"
                ),
            ));
        }
        stats.max_in_progress = stats.max_in_progress.max(outstanding + 1);
        let counts = match kind {
            OpKind::Create => &mut stats.creates,
            OpKind::Delete => &mut stats.deletes,
        };
        *counts.entry(a.clone()).or_default() += 1;
        let latency = model.config.assignment_latency.sample(&mut model.rng);
        stats.assignment_latency += latency;
        let completes_at = now + latency;
        let visible_at = now + model.config.status_visible_after;
        let request_id = self.request_id();
        // The failure reason waits in the status until completion;
        // `public_status` hides it while the operation is in progress.
        let operation = Operation {
            kind,
            assignment: a.clone(),
            status: AssignmentOperation {
                request_id: request_id.clone(),
                state: OperationState::InProgress,
                failure_reason: failure,
            },
            completes_at: Some(completes_at),
            visible_at,
            takes_effect,
        };
        let status = operation.public_status();
        self.operations.insert(request_id, operation);
        Ok(status)
    }

    /// The effect of a successful write on the assignments.
    fn apply_write(&mut self, kind: OpKind, a: &Assignment) {
        match kind {
            OpKind::Create => {
                self.provisioned
                    .entry(a.permission_set_arn.clone())
                    .or_default()
                    .insert(a.account_id.clone());
                // Like the service, a duplicate create is not rejected.
                self.assignments
                    .entry((a.account_id.clone(), a.permission_set_arn.clone()))
                    .or_default()
                    .insert(PrincipalRef {
                        principal_type: a.principal_type,
                        principal_id: a.principal_id.clone(),
                    });
            }
            OpKind::Delete => {
                // Deleting what is already gone succeeds.
                let key = (a.account_id.clone(), a.permission_set_arn.clone());
                let still_used = match self.assignments.get_mut(&key) {
                    Some(principals) => {
                        principals.retain(|p| {
                            !(p.principal_type == a.principal_type
                                && p.principal_id == a.principal_id)
                        });
                        !principals.is_empty()
                    }
                    None => false,
                };
                if !still_used {
                    self.assignments.remove(&key);
                }
                if !still_used
                    && let Some(accounts) = self.provisioned.get_mut(&a.permission_set_arn)
                {
                    accounts.remove(&a.account_id);
                }
            }
        }
    }

    /// Completes, in completion order, every operation due by `now`. The
    /// state is settled lazily, before each call reads it, which nobody
    /// outside can tell from a background clock.
    fn settle(&mut self, now: Instant) {
        if self.model.is_none() {
            return;
        }
        let mut due: Vec<(Instant, bool, String)> = self
            .operations
            .iter()
            .filter_map(|(id, o)| {
                o.completes_at
                    .filter(|t| *t <= now)
                    .map(|t| (t, false, id.clone()))
            })
            .chain(self.provisions.iter().filter_map(|(id, p)| {
                p.completes_at
                    .filter(|t| *t <= now)
                    .map(|t| (t, true, id.clone()))
            }))
            .collect();
        due.sort();
        for (_, provision, id) in due {
            if provision {
                self.complete_provision(&id);
            } else {
                self.complete_write(&id);
            }
        }
    }

    fn complete_write(&mut self, id: &str) {
        let Some(o) = self.operations.get_mut(id) else {
            return;
        };
        o.completes_at = None;
        let (kind, a, takes_effect) = (o.kind, o.assignment.clone(), o.takes_effect);
        if o.status.failure_reason.is_some() {
            o.status.state = OperationState::Failed;
            if let Some(m) = self.model.as_mut() {
                m.stats.failed += 1;
            }
        } else {
            o.status.state = OperationState::Succeeded;
        }
        if takes_effect {
            self.apply_write(kind, &a);
        }
    }

    fn complete_provision(&mut self, id: &str) {
        let Some(p) = self.provisions.get_mut(id) else {
            return;
        };
        p.completes_at = None;
        let (arn, target) = (p.permission_set.clone(), p.target.clone());
        if let Some(reason) = self.provision_failure(&arn, &target) {
            if let Some(p) = self.provisions.get_mut(id) {
                p.status.state = OperationState::Failed;
                p.status.failure_reason = Some(reason);
            }
            if let Some(m) = self.model.as_mut() {
                m.stats.failed += 1;
            }
            return;
        }
        if let Some(p) = self.provisions.get_mut(id) {
            p.status.state = OperationState::Succeeded;
        }
        self.provision_now(&arn, &target);
    }

    /// Why provisioning `permission_set` to `target` fails, if it does: the
    /// set never gets in sync (injected), or an account it would provision
    /// to is not ACTIVE (AWS fails provisioning to SUSPENDED,
    /// PENDING_CLOSURE and CLOSED accounts, and `ALL_PROVISIONED_ACCOUNTS`
    /// covers every account holding the set).
    fn provision_failure(
        &self,
        permission_set: &PermissionSetArn,
        target: &ProvisionTarget,
    ) -> Option<String> {
        if let Some(reason) = self.never_in_sync.get(permission_set) {
            return Some(reason.clone());
        }
        let accounts: Vec<&AccountId> = match target {
            ProvisionTarget::Account(a) => vec![a],
            ProvisionTarget::AllProvisionedAccounts => self
                .provisioned
                .get(permission_set)
                .map(|s| s.iter().collect())
                .unwrap_or_default(),
        };
        accounts.into_iter().find_map(|id| {
            let state = self
                .snapshot
                .organization
                .accounts
                .iter()
                .find(|a| a.id == *id)
                .map(|a| a.state);
            match state {
                Some(AccountState::Active) => None,
                Some(s) => Some(format!(
                    "Provisioning failed: account {id} is {s}; a permission set can only be provisioned to an ACTIVE account"
                )),
                None => Some(format!(
                    "Provisioning failed: account {id} is not in the organization"
                )),
            }
        })
    }

    /// The effect of a successful provisioning.
    fn provision_now(&mut self, permission_set: &PermissionSetArn, target: &ProvisionTarget) {
        let provisioned = self.provisioned.entry(permission_set.clone()).or_default();
        if let ProvisionTarget::Account(a) = target {
            provisioned.insert(a.clone());
        }
        let targets: BTreeSet<AccountId> = match target {
            ProvisionTarget::Account(a) => [a.clone()].into(),
            ProvisionTarget::AllProvisionedAccounts => provisioned.clone(),
        };
        if let Some(p) = self
            .snapshot
            .permission_sets
            .iter_mut()
            .find(|p| p.arn == *permission_set)
        {
            p.not_provisioned_accounts.retain(|a| !targets.contains(a));
        }
    }

    fn provision(
        &mut self,
        op: &'static str,
        permission_set: &PermissionSetArn,
        target: &ProvisionTarget,
    ) -> PortResult<ProvisionOperation> {
        let failure = self.provision_failure(permission_set, target);
        let now = Instant::now();
        let Some(model) = self.model.as_mut() else {
            let request_id = self.request_id();
            if failure.is_none() {
                self.provision_now(permission_set, target);
            }
            let (state, failure_reason) = final_state(failure);
            let status = ProvisionOperation {
                request_id: request_id.clone(),
                state,
                failure_reason,
            };
            self.provisions.insert(
                request_id,
                Provision {
                    permission_set: permission_set.clone(),
                    target: target.clone(),
                    status: status.clone(),
                    completes_at: None,
                    visible_at: now,
                },
            );
            return Ok(status);
        };
        let running: Vec<&Provision> = self
            .provisions
            .values()
            .filter(|p| p.completes_at.is_some())
            .collect();
        let stats = &mut model.stats;
        stats.max_provisioning = stats.max_provisioning.max(running.len() + 1);
        // One provisioning of a set at a time is a ConflictException, like a
        // second write to one account; a fourth concurrent one is throttled,
        // like the 16th assignment operation: both tell the client to wait.
        if running.iter().any(|p| p.permission_set == *permission_set) {
            stats.conflicts += 1;
            return Err(PortError::new(
                op,
                ErrorKind::Conflict,
                format!("permission set {permission_set} is already being provisioned"),
            ));
        }
        if running.len() >= model.config.max_provisioning {
            stats.quota_throttles += 1;
            return Err(PortError::new(
                op,
                ErrorKind::Throttled,
                format!(
                    "Rate exceeded: {} permission set provisionings are already in progress",
                    running.len()
                ),
            ));
        }
        *stats
            .provisionings
            .entry(permission_set.clone())
            .or_default() += 1;
        let completes_at = now + model.config.provision_latency.sample(&mut model.rng);
        let visible_at = now + model.config.status_visible_after;
        let request_id = self.request_id();
        let status = ProvisionOperation {
            request_id: request_id.clone(),
            state: OperationState::InProgress,
            failure_reason: None,
        };
        self.provisions.insert(
            request_id,
            Provision {
                permission_set: permission_set.clone(),
                target: target.clone(),
                status: status.clone(),
                completes_at: Some(completes_at),
                visible_at,
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
            Some(o) if o.kind == kind && o.visible_at <= Instant::now() => Ok(o.public_status()),
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
            .filter(|o| o.visible_at <= Instant::now())
            .map(Operation::public_status)
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
                status: Some("ACTIVE".to_owned()),
            };
            Ok(std::iter::once(info)
                .chain(st.other_instances.iter().cloned())
                .collect())
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
            // The index keeps them sorted.
            Ok(st
                .assignments
                .get(&(account.clone(), permission_set.clone()))
                .map(|p| p.iter().cloned().collect())
                .unwrap_or_default())
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
            // Sorted by (account, permission set): the index's order.
            Ok(st
                .assignments
                .iter()
                .filter(|(_, principals)| principals.contains(principal))
                .map(|((account, ps), _)| AccountPermissionSet {
                    account_id: account.clone(),
                    permission_set_arn: ps.clone(),
                })
                .collect())
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
            let account = match target {
                ProvisionTarget::Account(a) => Some(a),
                ProvisionTarget::AllProvisionedAccounts => None,
            };
            st.check_delegated(OP, permission_set, account)?;
            st.provision(OP, permission_set, target)
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
            st.provisions
                .get(request_id)
                .filter(|p| p.visible_at <= Instant::now())
                .map(|p| p.status.clone())
                .ok_or_else(|| {
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

impl Sts for Simulator {
    /// The snapshot's `caller_account_id`, or the management account when
    /// it has none.
    async fn get_caller_identity(&self) -> PortResult<AccountId> {
        self.call("sts:GetCallerIdentity", |st| {
            Ok(st
                .snapshot
                .caller_account_id
                .clone()
                .unwrap_or_else(|| st.snapshot.organization.management_account_id.clone()))
        })
        .await
    }
}
