//! Create/DeleteAccountAssignment as the service runs them: a request id
//! and a status at once, the assignment changed when the operation
//! completes (at once without the service model), and the status calls
//! that report on it.

use tokio::time::Instant;

use ssomatrix_core::ids::InstanceArn;
use ssomatrix_core::live::Assignment;
use ssomatrix_core::plan::Action;
use ssomatrix_core::ports::{
    AssignmentOperation, ErrorKind, Operation, OperationState, PortError, PortResult, PrincipalRef,
};

use crate::state::{State, final_state};

/// Which assignment write an operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpKind {
    Create,
    Delete,
}

/// A write that changed the assignments (or found nothing to delete): what
/// the instance held changed at `at`, in this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedWrite {
    /// When the write took effect (its completion, with the service model).
    pub at: Instant,
    pub action: Action,
    pub assignment: Assignment,
}

/// One assignment operation the service accepted.
#[derive(Debug)]
pub(crate) struct WriteOp {
    pub(crate) kind: OpKind,
    pub(crate) assignment: Assignment,
    pub(crate) status: AssignmentOperation,
    /// When an operation still in progress completes (service model only).
    pub(crate) completes_at: Option<Instant>,
    /// Before this the status calls do not know the operation.
    pub(crate) visible_at: Instant,
    /// A `FAILED` write that changed the assignments all the same.
    pub(crate) takes_effect: bool,
}

impl WriteOp {
    /// The status as the service shows it: an in-progress operation's
    /// failure reason is not known yet.
    pub(crate) fn public_status(&self) -> AssignmentOperation {
        let mut s = self.status.clone();
        if s.state == OperationState::InProgress {
            s.failure_reason = None;
        }
        s
    }
}

impl State {
    pub(crate) fn write(
        &mut self,
        op: Operation,
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
        let (takes_effect, failure) = self.injected_failure(kind, a);
        let now = Instant::now();
        let Some(model) = self.model.as_mut() else {
            return Ok(self.write_at_once(kind, a, takes_effect, failure, now));
        };
        let (mut outstanding, mut on_account) = (0, 0);
        for o in self
            .operations
            .values()
            .filter(|o| o.completes_at.is_some())
        {
            outstanding += 1;
            if o.assignment.account_id == a.account_id {
                on_account += 1;
            }
        }
        model.admit_write(op, kind, &a.account_id, outstanding, on_account)?;
        let (completes_at, visible_at) = model.start_write(kind, a, now);
        let request_id = self.request_id();
        // The failure reason waits in the status until completion;
        // `public_status` hides it while the operation is in progress.
        let operation = WriteOp {
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

    /// Whether a write of `kind` to `a` takes effect, and the reason it
    /// ends `FAILED` if a test injected one.
    fn injected_failure(&self, kind: OpKind, a: &Assignment) -> (bool, Option<String>) {
        let injected = self.failures.iter().find(|f| {
            f.delete == (kind == OpKind::Delete)
                && f.account == a.account_id
                && f.permission_set
                    .as_ref()
                    .is_none_or(|p| *p == a.permission_set_arn)
        });
        let takes_effect = injected.is_none_or(|f| f.takes_effect);
        (takes_effect, injected.map(|f| f.reason.clone()))
    }

    /// Without the service model a write completes at once.
    fn write_at_once(
        &mut self,
        kind: OpKind,
        a: &Assignment,
        takes_effect: bool,
        failure: Option<String>,
        now: Instant,
    ) -> AssignmentOperation {
        let request_id = self.request_id();
        if takes_effect {
            self.apply_write(kind, a, now);
        }
        let (state, failure_reason) = final_state(failure);
        let status = AssignmentOperation {
            request_id: request_id.clone(),
            state,
            failure_reason,
        };
        self.operations.insert(
            request_id,
            WriteOp {
                kind,
                assignment: a.clone(),
                status: status.clone(),
                completes_at: None,
                visible_at: now,
                takes_effect,
            },
        );
        status
    }

    /// The effect of a successful write on the assignments, at `at`.
    fn apply_write(&mut self, kind: OpKind, a: &Assignment, at: Instant) {
        self.history.push(AppliedWrite {
            at,
            action: match kind {
                OpKind::Create => Action::Create,
                OpKind::Delete => Action::Delete,
            },
            assignment: a.clone(),
        });
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

    pub(crate) fn complete_write(&mut self, id: &str) {
        let Some(o) = self.operations.get_mut(id) else {
            return;
        };
        let Some(at) = o.completes_at.take() else {
            return;
        };
        let (kind, a, takes_effect) = (o.kind, o.assignment.clone(), o.takes_effect);
        if o.status.failure_reason.is_some() {
            o.status.state = OperationState::Failed;
            if let Some(m) = self.model.as_mut() {
                m.record_failure();
            }
        } else {
            o.status.state = OperationState::Succeeded;
        }
        if takes_effect {
            self.apply_write(kind, &a, at);
        }
    }

    pub(crate) fn describe_op(
        &self,
        op: Operation,
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

    pub(crate) fn list_ops(
        &self,
        kind: OpKind,
        filter: Option<OperationState>,
    ) -> Vec<AssignmentOperation> {
        self.operations
            .values()
            .filter(|o| o.kind == kind && filter.is_none_or(|f| o.status.state == f))
            .filter(|o| o.visible_at <= Instant::now())
            .map(WriteOp::public_status)
            .collect()
    }
}
