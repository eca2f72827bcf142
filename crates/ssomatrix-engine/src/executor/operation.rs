//! One change from submission to its final status: the write, waiting for
//! room when the service is full, the status, and what a failed delete
//! really left behind.

use std::time::Duration;

use ssomatrix_core::ids::InstanceArn;
use ssomatrix_core::live::Assignment;
use ssomatrix_core::plan::{Action, Change};
use ssomatrix_core::ports::{
    AssignmentOperation, ErrorKind, IdentityStore, Operation, OperationState, Organizations,
    PortError, SsoAdmin,
};
use tokio::time::Instant;

use super::place::Place;
use super::status::Watch;
use super::{ApplyOptions, OperationReport, Outcome, STATUS_GRACE};
use crate::client::Client;

/// Quota refusals one create waits out before it is reported as an error
/// (the operation timeout bounds it too).
const MAX_QUOTA_REFUSALS: u32 = 100;

/// How often an operation whose status is not known yet is described.
const UNKNOWN_STATUS_POLL: Duration = Duration::from_secs(1);

/// An operation not told by the status listing within this long describes
/// itself (the listing failing, say for a missing IAM permission).
const DESCRIBE_UNTOLD_AFTER: Duration = Duration::from_secs(15);

/// Submits one change and polls it to a final status, within the timeout.
pub(super) async fn run_one<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    change: &Change,
    options: &ApplyOptions,
    watch: &Watch,
    place: &mut Place<'_>,
) -> OperationReport {
    let started = Instant::now();
    let assignment = change.assignment();
    let mut request_id = None;
    let outcome = match tokio::time::timeout(
        options.operation_timeout,
        submit_and_wait(
            client,
            instance,
            change.action,
            &assignment,
            watch,
            place,
            &mut request_id,
        ),
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(_) => Outcome::TimedOut,
    };
    if outcome != Outcome::Succeeded {
        tracing::warn!(
            account = %change.account_id, permission_set = %change.permission_set_name,
            principal = %change.principal_label(), "{} {:?}", change.action, outcome
        );
    }
    OperationReport {
        change: change.clone(),
        outcome,
        request_id,
        duration_seconds: started.elapsed().as_secs_f64(),
    }
}

async fn submit_and_wait<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    action: Action,
    assignment: &Assignment,
    watch: &Watch,
    place: &mut Place<'_>,
    request_id: &mut Option<String>,
) -> Outcome {
    let mut refusals = 0;
    let submitted = loop {
        match submit(client, instance, action, assignment).await {
            // Throttling that outlasted the client's retries is a full
            // service too (AWS documents no answer for a delete past the
            // cap): wait for room as well.
            Err(e)
                if matches!(e.kind, ErrorKind::QuotaExceeded | ErrorKind::Throttled)
                    && refusals < MAX_QUOTA_REFUSALS =>
            {
                client.stats.retry(e.kind);
                tracing::debug!("{e}; waiting for room");
                place.wait_for_room(refusals).await;
                refusals += 1;
            }
            other => break other,
        }
    };
    let mut status = match submitted {
        Ok(s) => s,
        // What is already gone needs no deleting; a not-found that blames
        // the KMS key says nothing about the assignment.
        Err(e) if action == Action::Delete && e.is_absent() => {
            return Outcome::Succeeded;
        }
        Err(e) => return Outcome::error(e),
    };
    *request_id = Some(status.request_id.clone());
    let submitted_at = Instant::now();
    // The service does not know the status yet (described not found within
    // the grace): ask again shortly, keeping the place.
    let mut unknown = false;
    // Bounded by the caller's timeout; each round also waits.
    loop {
        if let Some(outcome) = final_outcome(&status) {
            return match outcome {
                Outcome::Failed { reason } if action == Action::Delete => {
                    failed_delete(client, instance, assignment, reason).await
                }
                outcome => outcome,
            };
        }
        let id = status.request_id.clone();
        // Told it had finished, yet still described in progress: it needs
        // its place back (the service should not say that).
        place.hold().await;
        if unknown {
            tokio::time::sleep(UNKNOWN_STATUS_POLL).await;
        } else {
            let told = watch.register(&id);
            match tokio::time::timeout(DESCRIBE_UNTOLD_AFTER, told).await {
                Ok(Ok(true)) => place.release().await,
                // Still in progress, as far as anyone knows: keep the place.
                Ok(_) => {}
                Err(_) => watch.forget(&id),
            }
        }
        status = match describe(client, instance, action, &id).await {
            Ok(s) => {
                unknown = false;
                s
            }
            Err(e) if e.is_absent() && submitted_at.elapsed() < STATUS_GRACE => {
                tracing::debug!("status of {id} not known yet ({e}); pending");
                unknown = true;
                status
            }
            Err(e) => return Outcome::error(e),
        };
    }
}

/// One Create/DeleteAccountAssignment, retried by the client on
/// throttling, conflicts and transient errors; a quota answer comes back to
/// the caller, which waits for room better than a blind backoff does.
async fn submit<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    action: Action,
    assignment: &Assignment,
) -> Result<AssignmentOperation, PortError> {
    let sso = &client.ports.sso;
    let retry = |k: ErrorKind| k.is_retryable() && k != ErrorKind::QuotaExceeded;
    let retries = client.budget.max_retries;
    match action {
        Action::Create => {
            client
                .call_retrying_if(Operation::CreateAccountAssignment, retries, retry, || {
                    sso.create_account_assignment(instance, assignment)
                })
                .await
        }
        Action::Delete => {
            client
                .call_retrying_if(Operation::DeleteAccountAssignment, retries, retry, || {
                    sso.delete_account_assignment(instance, assignment)
                })
                .await
        }
    }
}

/// The final `Describe…Status` of one operation.
async fn describe<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    action: Action,
    id: &str,
) -> Result<AssignmentOperation, PortError> {
    let sso = &client.ports.sso;
    match action {
        Action::Create => {
            client
                .call(Operation::DescribeAccountAssignmentCreationStatus, || {
                    sso.describe_account_assignment_creation_status(instance, id)
                })
                .await
        }
        Action::Delete => {
            client
                .call(Operation::DescribeAccountAssignmentDeletionStatus, || {
                    sso.describe_account_assignment_deletion_status(instance, id)
                })
                .await
        }
    }
}

/// A delete that ended `FAILED` may still have removed the assignment (or
/// found it already gone): the listing of its (account, permission set)
/// decides. Without the principal there it is done; otherwise, or when the
/// listing fails, the failure stands.
async fn failed_delete<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    assignment: &Assignment,
    reason: String,
) -> Outcome {
    let sso = &client.ports.sso;
    let listed = client
        .all_pages(Operation::ListAccountAssignments, |t| {
            sso.list_account_assignments(
                instance,
                &assignment.account_id,
                &assignment.permission_set_arn,
                t,
            )
        })
        .await;
    match listed {
        Ok(principals) => {
            let still_there = principals.iter().any(|p| {
                p.principal_type == assignment.principal_type
                    && p.principal_id == assignment.principal_id
            });
            if still_there {
                Outcome::Failed { reason }
            } else {
                tracing::debug!("a delete ended FAILED ({reason}) but the assignment is gone");
                Outcome::Succeeded
            }
        }
        Err(e) => Outcome::Failed {
            reason: format!("{reason} (checking whether the assignment is gone failed too: {e})"),
        },
    }
}

fn final_outcome(status: &AssignmentOperation) -> Option<Outcome> {
    match status.state {
        OperationState::InProgress => None,
        OperationState::Succeeded => Some(Outcome::Succeeded),
        OperationState::Failed => Some(Outcome::Failed {
            reason: status
                .failure_reason
                .clone()
                .unwrap_or_else(|| "no reason given".to_owned()),
        }),
    }
}
