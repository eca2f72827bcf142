//! The executor: applies a plan's changes under the service's limits and
//! waits for each asynchronous operation to finish.
//!
//! - Creates first, then deletes, so that moving a principal between
//!   permission sets never leaves it without access.
//! - At most `max_in_flight` operations outstanding (the service allows 15
//!   asynchronous assignment operations per instance), and never two writes
//!   in flight for one account (one IAM role update per account at a time).
//! - Every call, polls included, goes through the client's TPS budget and its
//!   bounded retries (throttling, conflicts, 5xx).
//! - Deleting an assignment that is already gone is success; a `FAILED`
//!   status is recorded with its reason and the run goes on.
//! - A stop request (SIGINT/SIGTERM) stops new submissions; operations in
//!   flight are waited for, within their timeout. The next run converges
//!   because it plans again from the live state.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde::Serialize;
use ssomatrix_core::ids::{AccountId, InstanceArn};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::plan::{Action, Change, Plan};
use ssomatrix_core::ports::{
    AssignmentOperation, ErrorKind, IdentityStore, OperationState, Organizations, PortError,
    SsoAdmin,
};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::client::{Client, Service};

/// The service's cap on outstanding asynchronous assignment operations.
pub const SERVICE_MAX_IN_FLIGHT: usize = 15;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Operations outstanding at once (1..=15).
    pub max_in_flight: usize,
    /// How long one operation may take, submission to final status.
    pub operation_timeout: Duration,
    /// Wait before the first status poll (the median operation takes a few
    /// seconds; polling earlier mostly spends the TPS budget).
    pub first_poll: Duration,
    /// Wait between later polls.
    pub poll_interval: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            max_in_flight: SERVICE_MAX_IN_FLIGHT,
            operation_timeout: Duration::from_secs(600),
            first_poll: Duration::from_secs(2),
            poll_interval: Duration::from_secs(1),
        }
    }
}

/// How one change ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    Succeeded,
    /// The service reported `FAILED`, with its `FailureReason`.
    Failed {
        reason: String,
    },
    /// A call failed and retries did not help (or the error is not retryable).
    Error {
        message: String,
    },
    /// No final status within the operation timeout.
    TimedOut,
    /// Not submitted: the run was stopped first.
    NotStarted,
}

/// One change and how it went, for the summary and `--report`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperationReport {
    #[serde(flatten)]
    pub change: Change,
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Seconds from submission to the final status (virtual time under tests).
    pub duration_seconds: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ApplyReport {
    pub operations: Vec<OperationReport>,
    /// Whether a stop request ended the run early.
    pub interrupted: bool,
}

impl ApplyReport {
    pub fn count(&self, pred: impl Fn(&Outcome) -> bool) -> usize {
        self.operations.iter().filter(|o| pred(&o.outcome)).count()
    }

    pub fn all_succeeded(&self) -> bool {
        self.operations
            .iter()
            .all(|o| o.outcome == Outcome::Succeeded)
    }
}

/// Shared between the executor and whoever shows progress or asks it to stop.
#[derive(Debug, Default)]
pub struct ApplyControl {
    stop: AtomicBool,
    pub done: AtomicUsize,
    pub failed: AtomicUsize,
    pub in_flight: AtomicUsize,
    pub total: AtomicUsize,
}

impl ApplyControl {
    /// Asks the executor to submit nothing more.
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// Applies exactly the changes of `plan`: creates, then deletes.
pub async fn apply<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    plan: &Plan,
    options: &ApplyOptions,
    control: &ApplyControl,
) -> ApplyReport {
    control.total.store(plan.changes.len(), Ordering::Relaxed);
    let mut report = ApplyReport::default();
    for action in [Action::Create, Action::Delete] {
        let changes: Vec<&Change> = plan.changes.iter().filter(|c| c.action == action).collect();
        report
            .operations
            .extend(run_phase(client, instance, &changes, options, control).await);
    }
    report.interrupted = control.stop_requested();
    report
}

/// Runs one phase: one sequential worker per account, all sharing the
/// in-flight semaphore.
async fn run_phase<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    changes: &[&Change],
    options: &ApplyOptions,
    control: &ApplyControl,
) -> Vec<OperationReport> {
    let permits = Arc::new(Semaphore::new(
        options.max_in_flight.clamp(1, SERVICE_MAX_IN_FLIGHT),
    ));
    let mut per_account: BTreeMap<&AccountId, VecDeque<&Change>> = BTreeMap::new();
    for c in changes {
        per_account.entry(&c.account_id).or_default().push_back(c);
    }
    let workers: FuturesUnordered<_> = per_account
        .into_values()
        .map(|queue| {
            let permits = permits.clone();
            async move {
                let mut out = Vec::with_capacity(queue.len());
                for change in queue {
                    if control.stop_requested() {
                        out.push(not_started(change));
                        continue;
                    }
                    // The semaphore is never closed, so acquiring cannot fail.
                    let Ok(_permit) = permits.acquire().await else {
                        out.push(not_started(change));
                        continue;
                    };
                    if control.stop_requested() {
                        out.push(not_started(change));
                        continue;
                    }
                    control.in_flight.fetch_add(1, Ordering::Relaxed);
                    let report = run_one(client, instance, change, options).await;
                    control.in_flight.fetch_sub(1, Ordering::Relaxed);
                    control.done.fetch_add(1, Ordering::Relaxed);
                    if report.outcome != Outcome::Succeeded {
                        control.failed.fetch_add(1, Ordering::Relaxed);
                    }
                    out.push(report);
                }
                out
            }
        })
        .collect();
    let mut reports: Vec<OperationReport> = workers.flat_map(futures::stream::iter).collect().await;
    // Workers finish in any order; the report follows the plan's order.
    let order: BTreeMap<(&AccountId, &str, &str), usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                (
                    &c.account_id,
                    c.permission_set_arn.as_str(),
                    c.principal_id.as_str(),
                ),
                i,
            )
        })
        .collect();
    reports.sort_by_key(|r| {
        order
            .get(&(
                &r.change.account_id,
                r.change.permission_set_arn.as_str(),
                r.change.principal_id.as_str(),
            ))
            .copied()
            .unwrap_or(usize::MAX)
    });
    reports
}

fn not_started(change: &Change) -> OperationReport {
    OperationReport {
        change: change.clone(),
        outcome: Outcome::NotStarted,
        request_id: None,
        duration_seconds: 0.0,
    }
}

/// Submits one change and polls it to a final status, within the timeout.
async fn run_one<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    change: &Change,
    options: &ApplyOptions,
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
            options,
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
    options: &ApplyOptions,
    request_id: &mut Option<String>,
) -> Outcome {
    let sso = &client.ports.sso;
    let submitted = match action {
        Action::Create => {
            client
                .call(Service::SsoAdmin, "sso:CreateAccountAssignment", || {
                    sso.create_account_assignment(instance, assignment)
                })
                .await
        }
        Action::Delete => {
            client
                .call(Service::SsoAdmin, "sso:DeleteAccountAssignment", || {
                    sso.delete_account_assignment(instance, assignment)
                })
                .await
        }
    };
    let mut status = match submitted {
        Ok(s) => s,
        // What is already gone needs no deleting.
        Err(e) if action == Action::Delete && e.kind == ErrorKind::NotFound => {
            return Outcome::Succeeded;
        }
        Err(e) => return error(&e),
    };
    *request_id = Some(status.request_id.clone());
    let mut wait = options.first_poll;
    // Bounded by the caller's timeout; each round also sleeps.
    loop {
        match final_outcome(&status) {
            Some(outcome) => return outcome,
            None => {
                tokio::time::sleep(wait).await;
                wait = options.poll_interval;
                let id = status.request_id.clone();
                let polled = match action {
                    Action::Create => {
                        client
                            .call(
                                Service::SsoAdmin,
                                "sso:DescribeAccountAssignmentCreationStatus",
                                || sso.describe_account_assignment_creation_status(instance, &id),
                            )
                            .await
                    }
                    Action::Delete => {
                        client
                            .call(
                                Service::SsoAdmin,
                                "sso:DescribeAccountAssignmentDeletionStatus",
                                || sso.describe_account_assignment_deletion_status(instance, &id),
                            )
                            .await
                    }
                };
                status = match polled {
                    Ok(s) => s,
                    Err(e) => return error(&e),
                };
            }
        }
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

fn error(e: &PortError) -> Outcome {
    Outcome::Error {
        message: e.to_string(),
    }
}
