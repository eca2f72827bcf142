//! The executor: applies a plan's changes under the service's limits and
//! waits for each asynchronous operation to finish.
//!
//! - Creates first, then deletes, so that moving a principal between
//!   permission sets never leaves it without access.
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
//!   each operation with its own Describe (2 s, then every second) cost 3.8
//!   calls an operation and made the TPS budget the bottleneck: 2,000
//!   creates over 400 accounts took 563 s of virtual time against a 462 s
//!   bound (then 15 outstanding / 3.47 s mean latency); listing took 2.8
//!   calls an operation and 503 s (`tests/apply.rs`, the ignored benchmark;
//!   docs/BENCHMARKS.md has the figures for 10 outstanding).
//! - Deleting an assignment that is already gone is success; a `FAILED`
//!   status is recorded with its reason and the run goes on.
//! - A stop request (SIGINT/SIGTERM), or a few calls in a row that could not
//!   connect to the endpoint, stops new submissions; operations in
//!   flight are waited for, within their timeout. The next run converges
//!   because it plans again from the live state.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use rand::Rng;
use serde::Serialize;
use ssomatrix_core::ids::{AccountId, InstanceArn};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::plan::{Action, Change, Plan};
use ssomatrix_core::ports::{
    AssignmentOperation, ErrorKind, IdentityStore, OperationState, Organizations, PortError,
    SsoAdmin,
};
use tokio::sync::{Notify, Semaphore, oneshot};
use tokio::time::Instant;

use crate::client::{Client, Service};

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
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            max_in_flight: SERVICE_MAX_IN_FLIGHT,
            operation_timeout: Duration::from_secs(600),
            first_poll: Duration::from_secs(2),
            poll_interval: Duration::from_secs(1),
            status_list_interval: Duration::from_millis(250),
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
    /// Not submitted: only the management account's credentials can do it
    /// (the caller is a delegated administrator; the CLI withholds these).
    NeedsManagementAccount,
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

/// One of the `max_in_flight` places, held while an operation is in
/// progress at the service. It is given back once the status listing no
/// longer shows the operation, before the final status is described: the
/// service's slot is free then, and the next operation's create should not
/// queue behind this describe in the TPS budget (2,000 creates: 521 s
/// → 503 s). So the executor may be describing a few operations besides
/// the `max_in_flight` ones at the service.
struct Place<'a> {
    permits: &'a Semaphore,
    permit: Option<tokio::sync::SemaphorePermit<'a>>,
    /// Told each time one of the phase's operations leaves the service, so
    /// that a create refused for the quota can try again then.
    room: &'a Notify,
}

impl Place<'_> {
    async fn hold(&mut self) {
        if self.permit.is_none() {
            // The semaphore is never closed, so acquiring cannot fail.
            self.permit = self.permits.acquire().await.ok();
        }
    }

    /// Gives the place back and lets the workers it wakes reserve their
    /// create in the rate limiter before this worker's describe does.
    async fn release(&mut self) {
        self.permit = None;
        self.room.notify_one();
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
    }

    /// Waits after a quota refusal until one of the phase's operations leaves
    /// the service, or a jittered pause that grows with `refusals` (at most
    /// 1 s after the first, 8 s from the fourth) passes: the operations
    /// holding the quota may be another caller's.
    async fn wait_for_room(&self, refusals: u32) {
        let most_ms: u64 = 1000 << refusals.min(3);
        let pause = Duration::from_millis(rand::rng().random_range(most_ms / 4..=most_ms));
        // Either way the create is tried again; the timeout is no error.
        let _ = tokio::time::timeout(pause, self.room.notified()).await;
    }
}

/// Quota refusals one create waits out before it is reported as an error
/// (the operation timeout bounds it too).
const MAX_QUOTA_REFUSALS: u32 = 100;

/// Consecutive failed status listings (throttling aside) after which a phase
/// stops listing and polls each operation.
const LISTING_FAILURES_TOLERATED: u32 = 3;

/// How long after its submission an operation's status may be unknown to
/// the service (`ResourceNotFoundException` from `Describe…Status`): AWS's
/// status records can lag the request that created them, so within this
/// grace a not-found status means "pending", after it an error.
pub const STATUS_GRACE: Duration = Duration::from_secs(30);

/// How often an operation whose status is not known yet is described.
const UNKNOWN_STATUS_POLL: Duration = Duration::from_secs(1);

/// An operation not told by the status listing within this long describes
/// itself (the listing failing, say for a missing IAM permission).
const DESCRIBE_UNTOLD_AFTER: Duration = Duration::from_secs(15);

/// The operations waiting for their final status, each woken by the status
/// poller once it has left the `IN_PROGRESS` list.
#[derive(Debug, Default)]
struct Watch {
    inner: Mutex<WatchInner>,
}

#[derive(Debug, Default)]
struct WatchInner {
    /// Registrations so far: an operation registered before a listing was
    /// sent is in it if it is still in progress.
    registered: u64,
    /// Each waiting operation with its registration number and how to tell
    /// it: `true` when it left the `IN_PROGRESS` list, `false` when the
    /// listing failed and it must describe itself.
    waiting: HashMap<String, (u64, oneshot::Sender<bool>)>,
}

impl Watch {
    fn lock(&self) -> std::sync::MutexGuard<'_, WatchInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn register(&self, request_id: &str) -> oneshot::Receiver<bool> {
        let (tx, rx) = oneshot::channel();
        let mut w = self.lock();
        let n = w.registered;
        w.registered += 1;
        w.waiting.insert(request_id.to_owned(), (n, tx));
        rx
    }

    fn forget(&self, request_id: &str) {
        self.lock().waiting.remove(request_id);
    }

    /// `None` when nothing waits; else the mark to pass to `wake`.
    fn mark(&self) -> Option<u64> {
        let w = self.lock();
        (!w.waiting.is_empty()).then_some(w.registered)
    }

    /// Wakes the operations registered before `mark` that `in_progress`
    /// does not hold (all of them with `None`).
    fn wake(&self, mark: u64, in_progress: Option<&BTreeSet<String>>) {
        let mut w = self.lock();
        let done: Vec<String> = w
            .waiting
            .iter()
            .filter(|(id, (n, _))| *n < mark && in_progress.is_none_or(|l| !l.contains(*id)))
            .map(|(id, _)| id.clone())
            .collect();
        for id in done {
            if let Some((_, tx)) = w.waiting.remove(&id) {
                // The worker may have stopped waiting; nothing to tell then.
                let _ = tx.send(in_progress.is_some());
            }
        }
    }
}

/// Lists the operations of `action` in progress every
/// `status_list_interval` while any are watched, and wakes those that
/// finished. Runs until the phase's workers are done (the caller drops it).
async fn poll_statuses<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    action: Action,
    watch: &Watch,
    options: &ApplyOptions,
) {
    let sso = &client.ports.sso;
    let filter = Some(OperationState::InProgress);
    // A listing that fails for any reason but throttling is tried again on
    // the next ticks (AWS has bad seconds); after LISTING_FAILURES_TOLERATED
    // failures in a row the phase polls each operation instead: an
    // implementation without the listing (moto) must cost a few failed
    // calls, not a backoff on every tick.
    let mut listing = true;
    let mut failures_in_a_row = 0;
    loop {
        let interval = if listing {
            options.status_list_interval
        } else {
            options.poll_interval
        };
        tokio::time::sleep(interval).await;
        let Some(mark) = watch.mark() else { continue };
        if !listing {
            watch.wake(mark, None);
            continue;
        }
        // No retries here: the next tick is the retry.
        let listed = match action {
            Action::Create => {
                client
                    .all_pages_retrying(
                        Service::SsoAdmin,
                        "sso:ListAccountAssignmentCreationStatus",
                        0,
                        |t| sso.list_account_assignment_creation_status(instance, filter, t),
                    )
                    .await
            }
            Action::Delete => {
                client
                    .all_pages_retrying(
                        Service::SsoAdmin,
                        "sso:ListAccountAssignmentDeletionStatus",
                        0,
                        |t| sso.list_account_assignment_deletion_status(instance, filter, t),
                    )
                    .await
            }
        };
        match listed {
            Ok(ops) => {
                failures_in_a_row = 0;
                let in_progress: BTreeSet<String> = ops.into_iter().map(|o| o.request_id).collect();
                watch.wake(mark, Some(&in_progress));
            }
            Err(e) if e.kind == ErrorKind::Throttled => {
                tracing::debug!(
                    "listing operations in progress was throttled; trying again next tick"
                );
            }
            Err(e) if failures_in_a_row + 1 < LISTING_FAILURES_TOLERATED => {
                failures_in_a_row += 1;
                tracing::debug!(
                    "listing operations in progress failed ({e}); trying again next tick"
                );
            }
            Err(e) => {
                tracing::warn!(
                    "listing operations in progress failed {LISTING_FAILURES_TOLERATED} times in a row ({e}); polling each operation instead"
                );
                listing = false;
                watch.wake(mark, None);
            }
        }
    }
}

/// Runs one phase: one sequential worker per account, all sharing the
/// in-flight semaphore, and the status poller.
async fn run_phase<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    changes: &[&Change],
    options: &ApplyOptions,
    control: &ApplyControl,
) -> Vec<OperationReport> {
    let Some(action) = changes.first().map(|c| c.action) else {
        return Vec::new();
    };
    let watch = Watch::default();
    let watch = &watch;
    let room = Notify::new();
    let room = &room;
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
                    let Ok(permit) = permits.acquire().await else {
                        out.push(not_started(change));
                        continue;
                    };
                    if control.stop_requested() {
                        out.push(not_started(change));
                        continue;
                    }
                    control.in_flight.fetch_add(1, Ordering::Relaxed);
                    let mut place = Place {
                        permits: &permits,
                        permit: Some(permit),
                        room,
                    };
                    let report =
                        run_one(client, instance, change, options, watch, &mut place).await;
                    drop(place);
                    room.notify_one();
                    control.in_flight.fetch_sub(1, Ordering::Relaxed);
                    control.done.fetch_add(1, Ordering::Relaxed);
                    if report.outcome != Outcome::Succeeded {
                        control.failed.fetch_add(1, Ordering::Relaxed);
                    }
                    out.push(report);
                    // Calls in a row failed to connect: submit nothing more.
                    if client.stats.endpoint_down() {
                        control.request_stop();
                    }
                }
                out
            }
        })
        .collect();
    let all = workers.flat_map(futures::stream::iter).collect::<Vec<_>>();
    let mut reports: Vec<OperationReport> = tokio::select! {
        reports = all => reports,
        () = poll_statuses(client, instance, action, watch, options) => Vec::new(),
    };
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
        Err(e) => return error(&e),
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
            Err(e) => return error(&e),
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
                .call_retrying_if(
                    Service::SsoAdmin,
                    "sso:CreateAccountAssignment",
                    retries,
                    retry,
                    || sso.create_account_assignment(instance, assignment),
                )
                .await
        }
        Action::Delete => {
            client
                .call_retrying_if(
                    Service::SsoAdmin,
                    "sso:DeleteAccountAssignment",
                    retries,
                    retry,
                    || sso.delete_account_assignment(instance, assignment),
                )
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
                .call(
                    Service::SsoAdmin,
                    "sso:DescribeAccountAssignmentCreationStatus",
                    || sso.describe_account_assignment_creation_status(instance, id),
                )
                .await
        }
        Action::Delete => {
            client
                .call(
                    Service::SsoAdmin,
                    "sso:DescribeAccountAssignmentDeletionStatus",
                    || sso.describe_account_assignment_deletion_status(instance, id),
                )
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
        .all_pages(Service::SsoAdmin, "sso:ListAccountAssignments", |t| {
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

fn error(e: &PortError) -> Outcome {
    Outcome::Error {
        message: e.to_string(),
    }
}
