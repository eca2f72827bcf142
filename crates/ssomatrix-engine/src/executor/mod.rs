//! The executor: applies a plan's changes under the service's limits and
//! waits for each asynchronous operation to finish.
//!
//! - One phase: creates and deletes share the outstanding places, so the
//!   run pays one drain of its last operations, not one per action. In
//!   each account the creates go first, then the deletes, the deletes of
//!   orphaned assignments last: a principal moved between permission sets
//!   (or re-targeted within an account) never goes without access, and
//!   deleting the orphans of a recreated group never removes the last
//!   assignment of a permission set in an account (and its IAM role)
//!   before the new group's create. Accounts are independent, so no
//!   account waits for another's creates.
//! - At most `max_in_flight` operations outstanding (the service allows 10
//!   outstanding asynchronous assignment operations per instance, see
//!   docs/aws-behaviour.md), and never two writes in flight for one account
//!   (one IAM role update per account at a time).
//! - A create refused with `ServiceQuotaExceededException` (other callers
//!   hold some of the 10) means "slow down": the worker keeps its place,
//!   waits until one of this run's operations leaves the service or a
//!   jittered pause passes, and submits again (bounded), never a failure.
//!   A write still throttled after the client's retries is treated alike.
//! - Every call, polls included, goes through the client's TPS budget and its
//!   bounded retries (throttling, conflicts, 5xx).
//! - Completion is found by listing the operations `IN_PROGRESS` (one call
//!   for all of them, every `status_list_interval`); an operation that left
//!   the list is described once for its final status and reason. Polling
//!   each operation with its own Describe spent the TPS budget on polls and
//!   made it the bottleneck (docs/BENCHMARKS.md, "Why the executor lists").
//! - Deleting an assignment that is already gone is success; a `FAILED`
//!   status is recorded with its reason and the run goes on.
//! - A stop request (SIGINT/SIGTERM), or a few calls in a row that could not
//!   connect to the endpoint, stops new submissions; operations in
//!   flight are waited for, within their timeout. The next run converges
//!   because it plans again from the live state.
//!
//! The concerns live in submodules: `phase` runs the changes, one worker
//! an account; `place` is a worker's share of the outstanding
//! operations; `status` lists what is still in progress and wakes the rest;
//! `operation` submits one change and follows it to its final status.

mod operation;
mod phase;
mod place;
mod status;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde::Serialize;
use ssomatrix_core::ids::InstanceArn;
use ssomatrix_core::plan::{Action, Change, Plan};
use ssomatrix_core::ports::{IdentityStore, Organizations, PortError, SsoAdmin};

use crate::client::Client;
use phase::run_phase;

/// The service's cap on outstanding asynchronous assignment operations:
/// the IAM Identity Center quotas page gives CreateAccountAssignment "a
/// maximum rate of 10 outstanding async calls" (docs/aws-behaviour.md).
pub const SERVICE_MAX_IN_FLIGHT: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Operations outstanding at once (1..=10).
    pub max_in_flight: usize,
    /// How long one operation may take, submission to final status.
    pub operation_timeout: Duration,
    /// Wait before the first provisioning status poll (the median
    /// operation takes a few seconds; polling earlier mostly spends the TPS
    /// budget).
    pub first_poll: Duration,
    /// Wait between later provisioning status polls.
    pub poll_interval: Duration,
    /// How often the assignment operations in progress are listed to find
    /// those that finished (one call covers all of them).
    pub status_list_interval: Duration,
    /// The same while every place is taken, for each action listed: a
    /// place found free sooner is an operation started sooner.
    pub status_list_interval_full: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            max_in_flight: SERVICE_MAX_IN_FLIGHT,
            operation_timeout: Duration::from_secs(600),
            first_poll: Duration::from_secs(2),
            poll_interval: Duration::from_secs(1),
            status_list_interval: Duration::from_millis(250),
            status_list_interval_full: Duration::from_millis(150),
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
        /// The error the call ended with: its kind, operation and reason
        /// for whoever explains it (the report shows `message`).
        #[serde(skip)]
        error: PortError,
        /// What to tell the user: the error, with any explanation added.
        message: String,
    },
    /// No final status within the operation timeout.
    TimedOut,
    /// Not submitted: the run was stopped first.
    NotStarted,
    /// Not submitted: only the management account's credentials can do it
    /// (the caller is a delegated administrator; the CLI withholds these).
    NeedsManagementAccount,
}

impl Outcome {
    /// The outcome of a call that ended with `error`.
    pub fn error(error: PortError) -> Self {
        Outcome::Error {
            message: error.to_string(),
            error,
        }
    }
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

/// Applies exactly the changes of `plan`, in one phase: in each account its
/// creates, then its deletes, the deletes of orphaned assignments last.
pub async fn apply<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    plan: &Plan,
    options: &ApplyOptions,
    control: &ApplyControl,
) -> ApplyReport {
    control.total.store(plan.changes.len(), Ordering::Relaxed);
    let mut changes: Vec<&Change> = plan.changes.iter().collect();
    // Stable: the plan's order within each rank, which the report keeps.
    changes.sort_by_key(|c| (c.action == Action::Delete, c.is_orphan_delete()));
    let operations = run_phase(client, instance, &changes, options, control).await;
    ApplyReport {
        operations,
        interrupted: control.stop_requested(),
    }
}

/// How long after its submission an operation's status may be unknown to
/// the service (`ResourceNotFoundException` from `Describe…Status`): AWS's
/// status records can lag the request that created them, so within this
/// grace a not-found status means "pending", after it an error.
pub const STATUS_GRACE: Duration = Duration::from_secs(30);
