//! The engine's way of calling a port: inside the service's client-side rate
//! budget, with bounded retries and jittered exponential backoff on
//! throttling, conflicts and transient errors, and counted.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use rand::Rng;
use ssomatrix_core::ports::{
    ErrorKind, IdentityStore, Operation, Organizations, Page, PortError, PortResult, SsoAdmin,
};

use crate::limiter::RateLimiter;

/// The three ports, as one value the engine is generic over.
#[derive(Debug, Clone)]
pub struct Ports<S, I, O> {
    pub sso: S,
    pub ids: I,
    pub org: O,
}

impl<P: Clone> Ports<P, P, P> {
    /// One implementation behind all three ports, as the simulator is.
    pub fn all(ports: P) -> Self {
        Ports {
            sso: ports.clone(),
            ids: ports.clone(),
            org: ports,
        }
    }
}

/// The services; each has its own rate budget but STS, which shares
/// Organizations' (the engine calls it once a run).
pub use ssomatrix_core::ports::Service;

/// Client-side limits. The defaults stay below AWS's limits so that the
/// console and other automation keep some of the shared quota.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    /// sso-admin: about 20 TPS shared by all its APIs and callers.
    pub sso_tps: f64,
    /// identitystore: 20 TPS per API.
    pub identity_store_tps: f64,
    /// Organizations: about 5 TPS for the listing APIs.
    pub organizations_tps: f64,
    /// Calls in flight at once (hides latency; the rate budget still holds).
    pub concurrency: usize,
    /// Attempts after the first for a retryable error.
    pub max_retries: u32,
    /// First backoff; doubles each retry, with full jitter, up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            sso_tps: 15.0,
            identity_store_tps: 15.0,
            organizations_tps: 4.0,
            concurrency: 16,
            max_retries: 8,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(20),
        }
    }
}

impl Budget {
    /// No rate limit and no retries: for the in-memory simulator of offline
    /// runs, where waiting would only slow the user down.
    pub fn unlimited() -> Self {
        Budget {
            sso_tps: f64::INFINITY,
            identity_store_tps: f64::INFINITY,
            organizations_tps: f64::INFINITY,
            concurrency: 64,
            max_retries: 0,
            ..Budget::default()
        }
    }

    /// Lowers every service's rate to at most `tps` (`--max-tps`).
    pub fn capped(mut self, tps: f64) -> Self {
        self.sso_tps = self.sso_tps.min(tps);
        self.identity_store_tps = self.identity_store_tps.min(tps);
        self.organizations_tps = self.organizations_tps.min(tps);
        self
    }
}

/// What the calls cost: attempts by operation, retries by error kind.
#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<StatsInner>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub calls: BTreeMap<Operation, u64>,
    pub retries: BTreeMap<ErrorKind, u64>,
}

#[derive(Debug, Default)]
struct StatsInner {
    calls: BTreeMap<Operation, u64>,
    retries: BTreeMap<ErrorKind, u64>,
    /// Calls in a row that ended `Unreachable` (any success resets it).
    unreachable_streak: u32,
}

/// Attempts after the first for an `Unreachable` error, whatever the
/// budget allows: a refused connection is known within milliseconds, and an
/// endpoint that is down stays down for longer than a backoff.
pub const UNREACHABLE_RETRIES: u32 = 2;

/// Calls in a row that could not reach the endpoint before a run stops
/// submitting new work ([`Stats::endpoint_down`]).
pub const UNREACHABLE_STOP_AFTER: u32 = 3;

impl Stats {
    fn lock(&self) -> std::sync::MutexGuard<'_, StatsInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn call(&self, op: Operation) {
        *self.lock().calls.entry(op).or_default() += 1;
    }

    pub(crate) fn retry(&self, kind: ErrorKind) {
        *self.lock().retries.entry(kind).or_default() += 1;
    }

    fn outcome(&self, unreachable: bool) {
        let mut s = self.lock();
        s.unreachable_streak = if unreachable {
            s.unreachable_streak.saturating_add(1)
        } else {
            0
        };
    }

    /// Whether the last [`UNREACHABLE_STOP_AFTER`] calls all failed to
    /// connect: the endpoint stopped answering, and submitting more only
    /// lengthens the list of failures.
    pub fn endpoint_down(&self) -> bool {
        self.lock().unreachable_streak >= UNREACHABLE_STOP_AFTER
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let s = self.lock();
        StatsSnapshot {
            calls: s.calls.clone(),
            retries: s.retries.clone(),
        }
    }

    pub fn total_calls(&self) -> u64 {
        self.lock().calls.values().sum()
    }
}

/// Pages followed before a listing is declared runaway.
pub const MAX_PAGES: usize = 100_000;

/// The ports with their budgets.
#[derive(Debug)]
pub struct Client<S, I, O> {
    pub ports: Ports<S, I, O>,
    pub budget: Budget,
    pub stats: Stats,
    sso_limiter: RateLimiter,
    ids_limiter: RateLimiter,
    /// identitystore limits each API on its own, and membership reads come
    /// in bulk (one listing per group): they get their own budget so that
    /// they do not slow the name lookups down.
    members_limiter: RateLimiter,
    org_limiter: RateLimiter,
}

impl<S: SsoAdmin, I: IdentityStore, O: Organizations> Client<S, I, O> {
    pub fn new(ports: Ports<S, I, O>, budget: Budget) -> Self {
        Client {
            sso_limiter: RateLimiter::new(budget.sso_tps, 1),
            ids_limiter: RateLimiter::new(budget.identity_store_tps, 1),
            members_limiter: RateLimiter::new(budget.identity_store_tps, 1),
            org_limiter: RateLimiter::new(budget.organizations_tps, 1),
            ports,
            budget,
            stats: Stats::default(),
        }
    }

    fn limiter(&self, op: Operation) -> &RateLimiter {
        if op == Operation::ListGroupMemberships {
            return &self.members_limiter;
        }
        match op.service() {
            Service::SsoAdmin => &self.sso_limiter,
            Service::IdentityStore => &self.ids_limiter,
            Service::Organizations | Service::Sts => &self.org_limiter,
        }
    }

    /// Calls `f` inside the budget of `op`'s service, retrying retryable errors
    /// with jittered exponential backoff, at most `max_retries` times.
    pub async fn call<T, F, Fut>(&self, op: Operation, f: F) -> PortResult<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = PortResult<T>>,
    {
        self.call_retrying(op, self.budget.max_retries, f).await
    }

    /// [`Client::call`] with its own retry bound (0: one attempt), for calls
    /// whose caller has a cheaper fallback than waiting out a backoff.
    pub async fn call_retrying<T, F, Fut>(
        &self,
        op: Operation,
        max_retries: u32,
        f: F,
    ) -> PortResult<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = PortResult<T>>,
    {
        self.call_retrying_if(op, max_retries, ErrorKind::is_retryable, f)
            .await
    }

    /// [`Client::call_retrying`] retrying only the error kinds `retry`
    /// accepts, for callers that handle some retryable kinds better
    /// themselves (the executor waits for room after a quota answer).
    pub async fn call_retrying_if<T, F, Fut>(
        &self,
        op: Operation,
        max_retries: u32,
        retry: impl Fn(ErrorKind) -> bool,
        mut f: F,
    ) -> PortResult<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = PortResult<T>>,
    {
        let mut attempt = 0;
        loop {
            self.limiter(op).acquire().await;
            self.stats.call(op);
            let result = f().await;
            let unreachable = matches!(&result, Err(e) if e.kind == ErrorKind::Unreachable);
            let bound = if unreachable {
                max_retries.min(UNREACHABLE_RETRIES)
            } else {
                max_retries
            };
            match result {
                Ok(v) => {
                    self.stats.outcome(false);
                    return Ok(v);
                }
                Err(e) if retry(e.kind) && attempt < bound => {
                    self.stats.retry(e.kind);
                    tracing::debug!(operation = %op, kind = ?e.kind, attempt, "retrying: {}", e.message);
                    tokio::time::sleep(self.backoff(attempt)).await;
                    attempt += 1;
                }
                Err(e) => {
                    self.stats.outcome(unreachable);
                    return Err(e);
                }
            }
        }
    }

    /// Full jitter: a uniform wait in [0, min(max, base·2^attempt)].
    fn backoff(&self, attempt: u32) -> Duration {
        let cap = self
            .budget
            .base_backoff
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.budget.max_backoff);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }

    /// Follows `NextToken`s to the end (empty pages with a token included).
    pub async fn all_pages<T, F, Fut>(&self, op: Operation, f: F) -> PortResult<Vec<T>>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: Future<Output = PortResult<Page<T>>>,
    {
        self.all_pages_retrying(op, self.budget.max_retries, f)
            .await
    }

    /// [`Client::all_pages`] with its own retry bound for each page.
    pub async fn all_pages_retrying<T, F, Fut>(
        &self,
        op: Operation,
        max_retries: u32,
        f: F,
    ) -> PortResult<Vec<T>>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: Future<Output = PortResult<Page<T>>>,
    {
        let all = self.pages_while(op, max_retries, f, |_| true).await?;
        // `keep_going` never stops it.
        Ok(all.unwrap_or_default())
    }

    /// Follows `NextToken`s while `keep_going`, asked after each page with
    /// that page's items, says so: every item, or `None` once it said stop.
    pub async fn pages_while<T, F, Fut>(
        &self,
        op: Operation,
        max_retries: u32,
        mut f: F,
        mut keep_going: impl FnMut(&[T]) -> bool,
    ) -> PortResult<Option<Vec<T>>>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: Future<Output = PortResult<Page<T>>>,
    {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .call_retrying(op, max_retries, || f(token.clone()))
                .await?;
            let go_on = keep_going(&page.items);
            out.extend(page.items);
            if !go_on && page.next_token.is_some() {
                return Ok(None);
            }
            match page.next_token {
                Some(next) if Some(&next) == token.as_ref() => {
                    return Err(PortError::new(
                        op,
                        ErrorKind::Other,
                        "the service returned the same NextToken twice",
                    ));
                }
                Some(next) => token = Some(next),
                None => return Ok(Some(out)),
            }
        }
        Err(PortError::new(
            op,
            ErrorKind::Other,
            format!("more than {MAX_PAGES} pages; giving up"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_tps_lowers_every_service_but_never_raises_one() {
        let b = Budget::default().capped(5.0);
        assert_eq!(
            (b.sso_tps, b.identity_store_tps, b.organizations_tps),
            (5.0, 5.0, 4.0)
        );
        let b = Budget::default().capped(100.0);
        assert_eq!(
            (b.sso_tps, b.identity_store_tps, b.organizations_tps),
            (15.0, 15.0, 4.0)
        );
    }
}
