//! The one phase of a run: every change, creates and deletes alike, one
//! sequential worker an account (never two writes in flight for one
//! account), all sharing the outstanding places and one status poller.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::Ordering;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use ssomatrix_core::ids::{AccountId, InstanceArn};
use ssomatrix_core::plan::{Action, Change};
use ssomatrix_core::ports::{IdentityStore, Organizations, SsoAdmin};
use tokio::sync::{Notify, Semaphore};

use super::operation::run_one;
use super::place::Place;
use super::status::{Watches, poll_statuses};
use super::{ApplyControl, ApplyOptions, OperationReport, Outcome, SERVICE_MAX_IN_FLIGHT};
use crate::client::Client;

/// Runs `changes`: one sequential worker per account, which takes the
/// account's changes in the order given, all sharing the in-flight
/// semaphore, and the status poller. Accounts with the most changes get
/// their first place first: theirs are the longest chains.
pub(super) async fn run_phase<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    changes: &[&Change],
    options: &ApplyOptions,
    control: &ApplyControl,
) -> Vec<OperationReport> {
    if changes.is_empty() {
        return Vec::new();
    }
    let phase = Phase {
        client,
        instance,
        options,
        control,
        watches: Watches::default(),
        room: Notify::new(),
        permits: Semaphore::new(options.max_in_flight.clamp(1, SERVICE_MAX_IN_FLIGHT)),
    };
    let mut per_account: BTreeMap<&AccountId, VecDeque<&Change>> = BTreeMap::new();
    for c in changes {
        per_account.entry(&c.account_id).or_default().push_back(c);
    }
    let mut queues: Vec<VecDeque<&Change>> = per_account.into_values().collect();
    // Accounts that start with a create first, so that most creates run
    // before most deletes and the status poller mostly lists one kind;
    // among those, the longest chains first. Stable: then the account ids.
    queues.sort_by_key(|q| {
        let starts_with_delete = q.front().is_some_and(|c| c.action == Action::Delete);
        (starts_with_delete, std::cmp::Reverse(q.len()))
    });
    // The semaphore hands out places in the order they were asked for, and
    // the workers ask in the order they are first polled, which is this one.
    let workers: FuturesUnordered<_> = queues
        .into_iter()
        .map(|queue| phase.run_account(queue))
        .collect();
    let all = workers.flat_map(futures::stream::iter).collect::<Vec<_>>();
    let full = || phase.permits.available_permits() == 0;
    let mut reports: Vec<OperationReport> = tokio::select! {
        reports = all => reports,
        () = poll_statuses(client, instance, &phase.watches, full, options) => Vec::new(),
    };
    in_plan_order(&mut reports, changes);
    reports
}

/// What the workers of the phase share.
struct Phase<'a, S, I, O> {
    client: &'a Client<S, I, O>,
    instance: &'a InstanceArn,
    options: &'a ApplyOptions,
    control: &'a ApplyControl,
    watches: Watches,
    /// Told each time one of the run's operations leaves the service.
    room: Notify,
    /// The `max_in_flight` places.
    permits: Semaphore,
}

impl<S: SsoAdmin, I: IdentityStore, O: Organizations> Phase<'_, S, I, O> {
    /// One account's worker: its changes one after another, each holding a
    /// place while it is outstanding.
    async fn run_account(&self, queue: VecDeque<&Change>) -> Vec<OperationReport> {
        let control = self.control;
        let mut out = Vec::with_capacity(queue.len());
        for change in queue {
            let Some(mut place) = self.take_place().await else {
                out.push(not_started(change));
                continue;
            };
            control.in_flight.fetch_add(1, Ordering::Relaxed);
            let report = run_one(
                self.client,
                self.instance,
                change,
                self.options,
                self.watches.of(change.action),
                &mut place,
            )
            .await;
            drop(place);
            self.room.notify_one();
            control.in_flight.fetch_sub(1, Ordering::Relaxed);
            control.done.fetch_add(1, Ordering::Relaxed);
            if report.outcome != Outcome::Succeeded {
                control.failed.fetch_add(1, Ordering::Relaxed);
            }
            out.push(report);
            // Calls in a row failed to connect: submit nothing more.
            if self.client.stats.endpoint_down() {
                control.request_stop();
            }
        }
        out
    }

    /// A place for the next change, or `None` once a stop was requested
    /// (before or while waiting for the place).
    async fn take_place(&self) -> Option<Place<'_>> {
        if self.control.stop_requested() {
            return None;
        }
        // The semaphore is never closed, so acquiring cannot fail.
        let permit = self.permits.acquire().await.ok()?;
        if self.control.stop_requested() {
            return None;
        }
        Some(Place {
            permits: &self.permits,
            permit: Some(permit),
            room: &self.room,
        })
    }
}

/// Workers finish in any order; the report follows the plan's order.
fn in_plan_order(reports: &mut [OperationReport], changes: &[&Change]) {
    let order: BTreeMap<_, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (change_key(c), i))
        .collect();
    reports.sort_by_key(|r| {
        order
            .get(&change_key(&r.change))
            .copied()
            .unwrap_or(usize::MAX)
    });
}

/// What tells one change of a run from another.
fn change_key(c: &Change) -> (Action, &AccountId, &str, &str) {
    (
        c.action,
        &c.account_id,
        c.permission_set_arn.as_str(),
        c.principal_id.as_str(),
    )
}

fn not_started(change: &Change) -> OperationReport {
    OperationReport {
        change: change.clone(),
        outcome: Outcome::NotStarted,
        request_id: None,
        duration_seconds: 0.0,
    }
}
