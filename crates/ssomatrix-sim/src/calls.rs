//! How every call reaches the state: counted and logged, delayed and
//! failed as the fault plan says, let through the service model's TPS
//! bucket, and for listings sliced into AWS-sized pages with opaque tokens.

use std::time::Duration;

use tokio::time::Instant;

use ssomatrix_core::ports::{ErrorKind, Operation, Page, PortError, PortResult};

use crate::Simulator;
use crate::faults::Fault;
use crate::state::State;

impl Simulator {
    /// Counts and logs a call, and decides what the fault plan does to it.
    fn arrive(&self, op: Operation, listing: bool) -> (Option<(Fault, u64)>, Duration) {
        let mut st = self.lock();
        let n = {
            let count = st.calls.entry(op).or_default();
            *count += 1;
            *count
        };
        let now = Instant::now();
        st.log.push((now, op));
        let injected = st.faults.fault(op, n, listing);
        // The service's bucket counts every sso-admin call that arrives.
        let refused = st.model.as_mut().is_some_and(|m| !m.admit_call(op, now));
        let fault = injected.or(refused.then_some((Fault::Throttle, n)));
        (fault, st.faults.latency_of(op))
    }

    /// Counts a call and runs `f` on the state, unless the fault plan fails it.
    pub(crate) async fn call<T>(
        &self,
        op: Operation,
        f: impl FnOnce(&mut State) -> PortResult<T>,
    ) -> PortResult<T> {
        let (fault, latency) = self.arrive(op, false);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if let Some(e) = fault.and_then(|(f, _)| f.error(op)) {
            return Err(e);
        }
        let mut st = self.lock();
        st.settle(Instant::now());
        f(&mut st)
    }

    /// Like `call` for a paginated listing: `f` returns every item and this
    /// slices out the page `next_token` asks for, or an empty page that
    /// still carries a token when the fault plan says so.
    pub(crate) async fn list<T>(
        &self,
        op: Operation,
        next_token: Option<String>,
        size: usize,
        f: impl FnOnce(&State) -> PortResult<Vec<T>>,
    ) -> PortResult<Page<T>> {
        let (fault, latency) = self.arrive(op, true);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if let Some(e) = fault.and_then(|(f, _)| f.error(op)) {
            return Err(e);
        }
        let items = {
            let mut st = self.lock();
            st.settle(Instant::now());
            f(&st)?
        };
        match fault {
            Some((Fault::EmptyPage, n)) => {
                let start = page_start(op, next_token.as_deref(), items.len())?;
                Ok(Page {
                    items: Vec::new(),
                    next_token: Some(format!("sim-{start}-e{n}")),
                })
            }
            _ => paginate(op, items, next_token, size),
        }
    }
}

/// Where the page a token asks for starts. Tokens are `sim-{offset}`, or
/// `sim-{offset}-e{n}` after an injected empty page (unique, as a token
/// repeated twice means a runaway listing).
fn page_start(op: Operation, token: Option<&str>, len: usize) -> PortResult<usize> {
    let Some(t) = token else { return Ok(0) };
    t.strip_prefix("sim-")
        .map(|rest| rest.split_once('-').map_or(rest, |(offset, _)| offset))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n <= len)
        .ok_or_else(|| {
            PortError::new(
                op,
                ErrorKind::Validation,
                format!("invalid NextToken `{t}`"),
            )
        })
}

/// Slices `items` into AWS-style pages; the token is an opaque offset.
fn paginate<T>(
    op: Operation,
    items: Vec<T>,
    token: Option<String>,
    size: usize,
) -> PortResult<Page<T>> {
    let start = page_start(op, token.as_deref(), items.len())?;
    let end = (start + size).min(items.len());
    let next_token = (end < items.len()).then(|| format!("sim-{end}"));
    let items = items.into_iter().skip(start).take(end - start).collect();
    Ok(Page { items, next_token })
}
