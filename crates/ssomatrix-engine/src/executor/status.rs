//! Which operations have finished: one listing of those `IN_PROGRESS` per
//! tick tells every waiting operation at once, instead of a describe each.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use ssomatrix_core::ids::InstanceArn;
use ssomatrix_core::plan::Action;
use ssomatrix_core::ports::{
    ErrorKind, IdentityStore, Operation, OperationState, Organizations, SsoAdmin,
};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::ApplyOptions;
use crate::client::Client;

/// Consecutive failed status listings (throttling aside) after which the
/// operations of that action stop being listed and describe themselves.
const LISTING_FAILURES_TOLERATED: u32 = 3;

/// The operations waiting for their final status, each woken by the status
/// poller once it has left the `IN_PROGRESS` list.
#[derive(Debug, Default)]
pub(super) struct Watch {
    inner: Mutex<WatchInner>,
}

#[derive(Debug, Default)]
struct WatchInner {
    /// Registrations so far: an operation registered before a listing was
    /// sent is in it if it is still in progress.
    registered: u64,
    /// Each waiting operation with its registration number and how to tell
    /// it: `true` when it left the `IN_PROGRESS` list, `false` when the
    /// listing failed and it must describe itself. Ordered, so that the
    /// operations one listing tells are woken in the same order on every
    /// run, and a benchmark's virtual times repeat.
    waiting: BTreeMap<String, (u64, oneshot::Sender<bool>)>,
}

impl Watch {
    fn lock(&self) -> std::sync::MutexGuard<'_, WatchInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn register(&self, request_id: &str) -> oneshot::Receiver<bool> {
        let (tx, rx) = oneshot::channel();
        let mut w = self.lock();
        let n = w.registered;
        w.registered += 1;
        w.waiting.insert(request_id.to_owned(), (n, tx));
        rx
    }

    pub(super) fn forget(&self, request_id: &str) {
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

/// The operations waiting for their final status, one [`Watch`] for each
/// action: the service lists creations and deletions apart.
#[derive(Debug, Default)]
pub(super) struct Watches {
    creates: Watch,
    deletes: Watch,
}

impl Watches {
    pub(super) fn of(&self, action: Action) -> &Watch {
        match action {
            Action::Create => &self.creates,
            Action::Delete => &self.deletes,
        }
    }
}

/// How the poller follows one action's operations.
struct Lister {
    action: Action,
    /// False once the listing failed too often: each operation describes
    /// itself, woken every `poll_interval`.
    listing: bool,
    failures_in_a_row: u32,
    /// When the operations were last woken to describe themselves.
    last_woken: Instant,
}

/// Lists the operations in progress while any are watched, and wakes those
/// that finished: every `status_list_interval`, or every
/// `status_list_interval_full` for each action listed while `full()` says
/// every place is taken (a place given back sooner is an operation started
/// sooner; the faster pace is kept to when that is so, as it spends the
/// TPS budget the writes need). Runs until the run's workers are done (the
/// caller drops it).
pub(super) async fn poll_statuses<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    watches: &Watches,
    full: impl Fn() -> bool,
    options: &ApplyOptions,
) {
    let now = Instant::now();
    let mut listers = [Action::Create, Action::Delete].map(|action| Lister {
        action,
        listing: true,
        failures_in_a_row: 0,
        last_woken: now,
    });
    let mut listed_last_tick = 1;
    let mut tick = now;
    loop {
        let interval = if full() {
            (options.status_list_interval_full * listed_last_tick).min(options.status_list_interval)
        } else {
            options.status_list_interval
        };
        // The pace counts from the start of the last tick, not from its
        // answers: the round trips of the listings are part of the interval.
        tick = (tick + interval).max(Instant::now());
        tokio::time::sleep_until(tick).await;
        listed_last_tick = 0;
        for lister in &mut listers {
            let watch = watches.of(lister.action);
            let Some(mark) = watch.mark() else { continue };
            if !lister.listing {
                if lister.last_woken.elapsed() >= options.poll_interval {
                    lister.last_woken = Instant::now();
                    watch.wake(mark, None);
                }
                continue;
            }
            listed_last_tick += 1;
            lister.list(client, instance, watch, mark).await;
        }
        listed_last_tick = listed_last_tick.max(1);
    }
}

impl Lister {
    /// One listing of the operations in progress, waking those of `watch`
    /// registered before `mark` that it no longer holds.
    async fn list<S: SsoAdmin, I: IdentityStore, O: Organizations>(
        &mut self,
        client: &Client<S, I, O>,
        instance: &InstanceArn,
        watch: &Watch,
        mark: u64,
    ) {
        let sso = &client.ports.sso;
        let filter = Some(OperationState::InProgress);
        // No retries here: the next tick is the retry.
        let listed = match self.action {
            Action::Create => {
                client
                    .all_pages_retrying(Operation::ListAccountAssignmentCreationStatus, 0, |t| {
                        sso.list_account_assignment_creation_status(instance, filter, t)
                    })
                    .await
            }
            Action::Delete => {
                client
                    .all_pages_retrying(Operation::ListAccountAssignmentDeletionStatus, 0, |t| {
                        sso.list_account_assignment_deletion_status(instance, filter, t)
                    })
                    .await
            }
        };
        // A listing that fails for any reason but throttling is tried again
        // on the next ticks (AWS has bad seconds); after
        // LISTING_FAILURES_TOLERATED failures in a row each operation
        // describes itself instead: an implementation without the listing
        // (moto) must cost a few failed calls, not a backoff on every tick.
        match listed {
            Ok(ops) => {
                self.failures_in_a_row = 0;
                let in_progress: BTreeSet<String> = ops.into_iter().map(|o| o.request_id).collect();
                watch.wake(mark, Some(&in_progress));
            }
            Err(e) if e.kind == ErrorKind::Throttled => {
                tracing::debug!(
                    "listing operations in progress was throttled; trying again next tick"
                );
            }
            Err(e) if self.failures_in_a_row + 1 < LISTING_FAILURES_TOLERATED => {
                self.failures_in_a_row += 1;
                tracing::debug!(
                    "listing operations in progress failed ({e}); trying again next tick"
                );
            }
            Err(e) => {
                tracing::warn!(
                    "listing {} operations in progress failed {LISTING_FAILURES_TOLERATED} times in a row ({e}); polling each operation instead",
                    self.action
                );
                self.listing = false;
                self.last_woken = Instant::now();
                watch.wake(mark, None);
            }
        }
    }
}
