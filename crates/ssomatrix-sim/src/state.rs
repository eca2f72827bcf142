//! The simulated instance's state: the snapshot it was loaded from, the
//! live assignments and provisioning, the operations in flight, the call
//! counters and what tests asked to inject. Every port method reads and
//! changes it under one lock.

use std::collections::{BTreeMap, BTreeSet};

use tokio::time::Instant;

use ssomatrix_core::ids::{
    AccountId, IdentityStoreId, InstanceArn, PermissionSetArn, PrincipalType,
};
use ssomatrix_core::ports::{
    ErrorKind, InstanceInfo, Operation, OperationState, PortError, PortResult, PrincipalRef,
};
use ssomatrix_core::snapshot::{Snapshot, SnapshotPermissionSet, SnapshotPrincipal};

use crate::faults::FaultPlan;
use crate::provisioning::Provision;
use crate::service::{InjectedFailure, Model};
use crate::writes::{AppliedWrite, WriteOp};

#[derive(Debug)]
pub(crate) struct State {
    /// Everything but the assignments, which live in `assignments`.
    pub(crate) snapshot: Snapshot,
    /// The live assignments by (account, permission set).
    pub(crate) assignments: BTreeMap<(AccountId, PermissionSetArn), BTreeSet<PrincipalRef>>,
    /// Accounts where each permission set is provisioned (in sync or not).
    pub(crate) provisioned: BTreeMap<PermissionSetArn, BTreeSet<AccountId>>,
    pub(crate) operations: BTreeMap<String, WriteOp>,
    pub(crate) provisions: BTreeMap<String, Provision>,
    pub(crate) next_request: u64,
    pub(crate) calls: BTreeMap<Operation, u64>,
    /// When each call arrived, in order (tokio time, so virtual in tests).
    pub(crate) log: Vec<(Instant, Operation)>,
    pub(crate) faults: FaultPlan,
    pub(crate) model: Option<Model>,
    pub(crate) failures: Vec<InjectedFailure>,
    /// Permission sets whose provisioning always fails, with the reason.
    pub(crate) never_in_sync: BTreeMap<PermissionSetArn, String>,
    /// Instances ListInstances shows besides the snapshot's (which is
    /// ACTIVE): being created, failed, being deleted.
    pub(crate) other_instances: Vec<InstanceInfo>,
    /// Every write that took effect, in the order it did.
    pub(crate) history: Vec<AppliedWrite>,
}

/// The final state of an operation that completes at once: `FAILED` with
/// the injected reason, or `SUCCEEDED`.
pub(crate) fn final_state(failure: Option<String>) -> (OperationState, Option<String>) {
    match failure {
        Some(reason) => (OperationState::Failed, Some(reason)),
        None => (OperationState::Succeeded, None),
    }
}

impl State {
    /// The state of an instance loaded from `snapshot`, with its assignments
    /// moved into the index and nothing in flight.
    pub(crate) fn new(mut snapshot: Snapshot) -> Self {
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
        State {
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
            history: Vec::new(),
        }
    }

    pub(crate) fn check_instance(&self, op: Operation, instance: &InstanceArn) -> PortResult<()> {
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

    pub(crate) fn check_store(&self, op: Operation, store: &IdentityStoreId) -> PortResult<()> {
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

    pub(crate) fn permission_set(
        &self,
        op: Operation,
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

    pub(crate) fn principals(&self, kind: PrincipalType) -> &[SnapshotPrincipal] {
        self.snapshot.principals(kind)
    }

    pub(crate) fn has_account(&self, id: &AccountId) -> bool {
        self.snapshot
            .organization
            .accounts
            .iter()
            .any(|a| a.id == *id)
    }

    /// Calls AWS answers only from the management account
    /// (`ListAccountAssignmentsForPrincipal`: "must be called from the
    /// management account"). The API reference does not say what a
    /// delegated administrator gets; the simulator answers
    /// `AccessDeniedException`, one of the errors the operation lists.
    pub(crate) fn check_management_caller(&self, op: Operation) -> PortResult<()> {
        let mgmt = &self.snapshot.organization.management_account_id;
        match self.snapshot.caller_account_id.as_ref() {
            Some(caller) if caller != mgmt => Err(PortError::new(
                op,
                ErrorKind::AccessDenied,
                format!(
                    "{op} must be called from the management account {mgmt}; \
                     account {caller} is a delegated administrator"
                ),
            )),
            _ => Ok(()),
        }
    }

    /// A delegated administrator (a snapshot's `caller_account_id` that is
    /// not the management account) may not create, delete or provision
    /// anything of a permission set provisioned to the management account,
    /// in any account, nor anything in the management account itself: AWS
    /// answers AccessDenied.
    pub(crate) fn check_delegated(
        &self,
        op: Operation,
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

    pub(crate) fn request_id(&mut self) -> String {
        let n = self.next_request;
        self.next_request += 1;
        format!("{n:08x}-0000-4000-8000-{n:012x}")
    }

    /// Completes, in completion order, every operation due by `now`. The
    /// state is settled lazily, before each call reads it, which nobody
    /// outside can tell from a background clock.
    pub(crate) fn settle(&mut self, now: Instant) {
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
}
