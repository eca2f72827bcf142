//! Which operations have finished: one listing of those `IN_PROGRESS` per
//! tick tells every waiting operation at once, instead of a describe each.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use ssomatrix_core::ids::InstanceArn;
use ssomatrix_core::plan::Action;
use ssomatrix_core::ports::{
    ErrorKind, IdentityStore, Operation, OperationState, Organizations, SsoAdmin,
};
use tokio::sync::oneshot;

use super::ApplyOptions;
use crate::client::Client;

/// Consecutive failed status listings (throttling aside) after which a phase
/// stops listing and polls each operation.
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
    /// listing failed and it must describe itself.
    waiting: HashMap<String, (u64, oneshot::Sender<bool>)>,
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

/// Lists the operations of `action` in progress every
/// `status_list_interval` while any are watched, and wakes those that
/// finished. Runs until the phase's workers are done (the caller drops it).
pub(super) async fn poll_statuses<S: SsoAdmin, I: IdentityStore, O: Organizations>(
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
