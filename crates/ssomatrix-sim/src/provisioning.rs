//! ProvisionPermissionSet as the service runs it: asynchronous under the
//! service model, failing for accounts that are not ACTIVE, and the status
//! call that reports on it.

use std::collections::BTreeSet;

use tokio::time::Instant;

use ssomatrix_core::ids::{AccountId, AccountState, PermissionSetArn};
use ssomatrix_core::ports::{
    Operation, OperationState, PortResult, ProvisionOperation, ProvisionTarget,
};

use crate::state::{State, final_state};

/// One ProvisionPermissionSet request the service accepted.
#[derive(Debug)]
pub(crate) struct Provision {
    pub(crate) permission_set: PermissionSetArn,
    pub(crate) target: ProvisionTarget,
    pub(crate) status: ProvisionOperation,
    pub(crate) completes_at: Option<Instant>,
    pub(crate) visible_at: Instant,
}

impl State {
    pub(crate) fn complete_provision(&mut self, id: &str) {
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
                m.record_failure();
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
    pub(crate) fn provision_failure(
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
    pub(crate) fn provision_now(
        &mut self,
        permission_set: &PermissionSetArn,
        target: &ProvisionTarget,
    ) {
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

    pub(crate) fn provision(
        &mut self,
        op: Operation,
        permission_set: &PermissionSetArn,
        target: &ProvisionTarget,
    ) -> PortResult<ProvisionOperation> {
        let failure = self.provision_failure(permission_set, target);
        let now = Instant::now();
        let Some(model) = self.model.as_mut() else {
            if failure.is_none() {
                self.provision_now(permission_set, target);
            }
            let (state, failure_reason) = final_state(failure);
            let timing = (None, now);
            return Ok(self.record(permission_set, target, state, failure_reason, timing));
        };
        let running: Vec<&Provision> = self
            .provisions
            .values()
            .filter(|p| p.completes_at.is_some())
            .collect();
        let same_set = running.iter().any(|p| p.permission_set == *permission_set);
        model.admit_provision(op, permission_set, running.len(), same_set)?;
        let (completes_at, visible_at) = model.start_provision(permission_set, now);
        let timing = (Some(completes_at), visible_at);
        let state = OperationState::InProgress;
        Ok(self.record(permission_set, target, state, None, timing))
    }

    /// Records an accepted provisioning under a new request id; `timing` is
    /// when it completes (`None`: it already has) and when its status
    /// becomes visible.
    fn record(
        &mut self,
        permission_set: &PermissionSetArn,
        target: &ProvisionTarget,
        state: OperationState,
        failure_reason: Option<String>,
        (completes_at, visible_at): (Option<Instant>, Instant),
    ) -> ProvisionOperation {
        let request_id = self.request_id();
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
                completes_at,
                visible_at,
            },
        );
        status
    }
}
