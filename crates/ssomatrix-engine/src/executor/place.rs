//! A worker's place among the operations outstanding at the service, and
//! how it waits for room when the service says it is full.

use std::time::Duration;

use rand::Rng;
use tokio::sync::{Notify, Semaphore};

/// One of the `max_in_flight` places, held while an operation is in
/// progress at the service. It is given back once the status listing no
/// longer shows the operation, before the final status is described: the
/// service's slot is free then, and the next operation's create should not
/// queue behind this describe in the TPS budget. So the executor may be describing a few operations besides
/// the `max_in_flight` ones at the service.
pub(super) struct Place<'a> {
    pub(super) permits: &'a Semaphore,
    pub(super) permit: Option<tokio::sync::SemaphorePermit<'a>>,
    /// Told each time one of the run's operations leaves the service, so
    /// that a create refused for the quota can try again then.
    pub(super) room: &'a Notify,
}

impl Place<'_> {
    pub(super) async fn hold(&mut self) {
        if self.permit.is_none() {
            // The semaphore is never closed, so acquiring cannot fail.
            self.permit = self.permits.acquire().await.ok();
        }
    }

    /// Gives the place back and lets the workers it wakes reserve their
    /// create in the rate limiter before this worker's describe does.
    pub(super) async fn release(&mut self) {
        self.permit = None;
        self.room.notify_one();
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
    }

    /// Waits after a quota refusal until one of the run's operations leaves
    /// the service, or a jittered pause that grows with `refusals` (at most
    /// 1 s after the first, 8 s from the fourth) passes: the operations
    /// holding the quota may be another caller's.
    pub(super) async fn wait_for_room(&self, refusals: u32) {
        let most_ms: u64 = 1000 << refusals.min(3);
        let pause = Duration::from_millis(rand::rng().random_range(most_ms / 4..=most_ms));
        // Either way the create is tried again; the timeout is no error.
        let _ = tokio::time::timeout(pause, self.room.notified()).await;
    }
}
