//! The service model: the sso-admin quotas and asynchronous behaviour that
//! shape the executor, for tests and benchmarks. Off by default, so offline
//! `--snapshot` runs stay instant: without it every write succeeds at once.
//!
//! With [`ServiceModel`] on (see `Simulator::with_service`):
//! - every `sso:` call takes a token from one bucket shared by all sso-admin
//!   operations and callers (`sso_tps` a second, holding at most one second
//!   of tokens); without one the call fails `ThrottlingException` ("Rate
//!   exceeded", `ErrorKind::Throttled`);
//! - Create/DeleteAccountAssignment answer `IN_PROGRESS` and complete after
//!   a latency drawn from a seeded log-normal distribution; the assignment
//!   changes at completion, and the status calls say `IN_PROGRESS` until then;
//! - at most `max_outstanding` (10) assignment operations, creates and
//!   deletes together, are in progress per instance; a create past that is
//!   answered `ServiceQuotaExceededException` (`ErrorKind::QuotaExceeded`),
//!   the error the API model lists for CreateAccountAssignment, and a delete
//!   (whose model lists no quota error) `ThrottlingException`;
//! - a write to an account that already has an operation in progress fails
//!   `ConflictException` (`ErrorKind::Conflict`);
//! - ProvisionPermissionSet is asynchronous too, at most
//!   `max_provisioning` (3) at once; provisioning to an account that is not
//!   ACTIVE ends `FAILED`, and so does `ALL_PROVISIONED_ACCOUNTS` when such
//!   an account holds the set;
//! - opt-in, `status_visible_after`: the status of a new operation does not
//!   exist for that long after submission (Describe answers
//!   `ResourceNotFoundException`, the listings leave it out), as AWS may
//!   answer right after a submission.

use std::time::Duration;

use ssomatrix_core::ids::{AccountId, PermissionSetArn};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::ports::{ErrorKind, Operation, PortError, PortResult, Service};
use tokio::time::Instant;

use crate::writes::OpKind;

/// How long an asynchronous operation takes: log-normal around `median`,
/// `exp(sigma·z)` with z standard normal, clamped to `[min, max]`.
/// `sigma = 0` gives exactly `median`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    pub median: Duration,
    pub sigma: f64,
    pub min: Duration,
    pub max: Duration,
}

impl Latency {
    /// Always `d`.
    pub fn fixed(d: Duration) -> Self {
        Latency {
            median: d,
            sigma: 0.0,
            min: d,
            max: d,
        }
    }

    /// Log-normal around `median` with shape `sigma`, clamped to
    /// `[median / 10, median · 10]`.
    pub fn log_normal(median: Duration, sigma: f64) -> Self {
        Latency {
            median,
            sigma,
            min: median / 10,
            max: median * 10,
        }
    }

    /// The mean of the (unclamped) distribution: `median · exp(sigma² / 2)`.
    pub fn mean(&self) -> Duration {
        self.median.mul_f64((self.sigma * self.sigma / 2.0).exp())
    }

    pub(crate) fn sample(&self, rng: &mut Rng) -> Duration {
        if self.sigma == 0.0 {
            return self.median;
        }
        let factor = (self.sigma * rng.standard_normal()).exp();
        self.median.mul_f64(factor).clamp(self.min, self.max)
    }
}

/// The sso-admin limits and timings the simulator enforces when the model
/// is on. [`ServiceModel::default`] is AWS as documented and observed.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceModel {
    /// Calls a second, shared by every sso-admin operation and caller.
    pub sso_tps: f64,
    /// Assignment operations (creates and deletes) in progress at once.
    pub max_outstanding: usize,
    /// ProvisionPermissionSet operations in progress at once.
    pub max_provisioning: usize,
    /// Create/DeleteAccountAssignment, submission to final status.
    pub assignment_latency: Latency,
    /// ProvisionPermissionSet, submission to final status.
    pub provision_latency: Latency,
    /// Seeds the latency draws, so a run is reproducible.
    pub seed: u64,
    /// How long after submission an operation's status stays unknown to the
    /// status calls (zero: visible at once).
    pub status_visible_after: Duration,
}

impl Default for ServiceModel {
    /// 20 TPS, 10 outstanding, 3 provisionings, assignment operations of
    /// median 3 s (mean ≈ 3.4 s, 90% under ≈ 5.7 s), provisioning of
    /// median 5 s.
    fn default() -> Self {
        ServiceModel {
            sso_tps: 20.0,
            max_outstanding: 10,
            max_provisioning: 3,
            assignment_latency: Latency::log_normal(Duration::from_secs(3), 0.5),
            provision_latency: Latency::log_normal(Duration::from_secs(5), 0.3),
            seed: 1,
            status_visible_after: Duration::ZERO,
        }
    }
}

/// What the service saw, for tests to assert on. High-water marks count
/// what arrived, accepted or not, so a client that overshoots a limit shows
/// up even though the service refused it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceStats {
    /// Most assignment operations in progress at once, counting the one
    /// arriving.
    pub max_outstanding: usize,
    /// Most assignment operations the service held in progress at once
    /// (accepted ones only: never above `ServiceModel::max_outstanding`).
    pub max_in_progress: usize,
    /// Most writes to one account in progress at once, counting the one
    /// arriving (1 unless a client sent a write while another was running).
    pub max_writes_per_account: usize,
    /// Most provisionings in progress at once, counting the one arriving.
    pub max_provisioning: usize,
    /// Calls refused by the TPS bucket.
    pub rate_throttles: u64,
    /// Writes refused because `max_outstanding` operations (or
    /// `max_provisioning` provisionings) were in progress
    /// (`ServiceQuotaExceededException` for creates, throttling otherwise).
    pub quota_throttles: u64,
    /// Writes refused because their account (or permission set, for
    /// provisioning) had an operation in progress.
    pub conflicts: u64,
    /// Operations that completed `FAILED`.
    pub failed: u64,
    /// The latencies drawn for accepted assignment operations, summed (the
    /// mean is this over the accepted creates and deletes).
    pub assignment_latency: Duration,
    /// The latency drawn for each accepted assignment operation, in the
    /// order the service accepted them (the draws are seeded, so the n-th
    /// operation accepted takes the same time whichever it is).
    pub assignment_latencies: Vec<Duration>,
    /// Accepted creates, by assignment.
    pub creates: std::collections::BTreeMap<Assignment, u32>,
    /// Accepted deletes, by assignment.
    pub deletes: std::collections::BTreeMap<Assignment, u32>,
    /// Accepted provisionings, by permission set.
    pub provisionings: std::collections::BTreeMap<PermissionSetArn, u32>,
}

impl ServiceStats {
    /// The mean latency of the accepted assignment operations.
    pub fn mean_assignment_latency(&self) -> Duration {
        let n: u32 = self.creates.values().chain(self.deletes.values()).sum();
        self.assignment_latency.checked_div(n).unwrap_or_default()
    }

    /// Every throttle the service answered.
    pub fn throttles(&self) -> u64 {
        self.rate_throttles + self.quota_throttles
    }
}

/// A create or delete that completes `FAILED`.
#[derive(Debug, Clone)]
pub(crate) struct InjectedFailure {
    /// A delete when true, else a create.
    pub delete: bool,
    pub account: AccountId,
    pub permission_set: Option<PermissionSetArn>,
    pub reason: String,
    /// The write takes effect all the same (a delete that reports FAILED
    /// although the assignment is gone).
    pub takes_effect: bool,
}

/// What a delete that ends `FAILED` leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedDelete {
    /// The assignment is gone all the same: the status misleads.
    AssignmentGone,
    /// The assignment is still there: the delete really failed.
    AssignmentKept,
}

/// The model's running state.
#[derive(Debug)]
pub(crate) struct Model {
    pub config: ServiceModel,
    tokens: f64,
    refilled: Option<Instant>,
    pub rng: Rng,
    pub stats: ServiceStats,
}

impl Model {
    pub fn new(config: ServiceModel) -> Self {
        Model {
            tokens: config.sso_tps,
            refilled: None,
            rng: Rng(config.seed),
            stats: ServiceStats::default(),
            config,
        }
    }

    /// Whether the service lets a call of `op` arriving now through the
    /// TPS bucket: every sso-admin call takes a token; the other services'
    /// limits are not modelled.
    pub fn admit_call(&mut self, op: Operation, now: Instant) -> bool {
        op.service() != Service::SsoAdmin || self.take_token(now)
    }

    /// Takes a token for an sso-admin call arriving now; false (and
    /// counted) when the bucket is empty.
    fn take_token(&mut self, now: Instant) -> bool {
        let cap = self.config.sso_tps;
        if let Some(last) = self.refilled {
            self.tokens = (self.tokens + (now - last).as_secs_f64() * cap).min(cap);
        }
        self.refilled = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            self.stats.rate_throttles += 1;
            false
        }
    }

    /// Decides whether the service accepts an assignment write of `kind` to
    /// `account` while `outstanding` operations are in progress,
    /// `on_account` of them in that account, and counts what it saw.
    pub fn admit_write(
        &mut self,
        op: Operation,
        kind: OpKind,
        account: &AccountId,
        outstanding: usize,
        on_account: usize,
    ) -> PortResult<()> {
        let stats = &mut self.stats;
        stats.max_outstanding = stats.max_outstanding.max(outstanding + 1);
        stats.max_writes_per_account = stats.max_writes_per_account.max(on_account + 1);
        if on_account > 0 {
            stats.conflicts += 1;
            return Err(PortError::new(
                op,
                ErrorKind::Conflict,
                format!(
                    "An account assignment operation is already in progress for account {account}"
                ),
            ));
        }
        // Past the cap the service refuses the write: CreateAccountAssignment
        // with ServiceQuotaExceededException (its API model lists it), and
        // DeleteAccountAssignment, whose model does not, with throttling.
        // Either way the client should wait for operations to finish.
        if outstanding >= self.config.max_outstanding {
            stats.quota_throttles += 1;
            let (kind, code) = match kind {
                OpKind::Create => (ErrorKind::QuotaExceeded, "ServiceQuotaExceededException"),
                OpKind::Delete => (ErrorKind::Throttled, "ThrottlingException"),
            };
            return Err(PortError::new(
                op,
                kind,
                format!(
                    "{code}: {outstanding} account assignment operations are already in progress"
                ),
            ));
        }
        stats.max_in_progress = stats.max_in_progress.max(outstanding + 1);
        Ok(())
    }

    /// Starts an accepted write of `kind` to `a` arriving at `now`: counts
    /// it and draws its latency. Returns when it completes and when its
    /// status becomes visible.
    pub fn start_write(
        &mut self,
        kind: OpKind,
        a: &Assignment,
        now: Instant,
    ) -> (Instant, Instant) {
        let stats = &mut self.stats;
        let counts = match kind {
            OpKind::Create => &mut stats.creates,
            OpKind::Delete => &mut stats.deletes,
        };
        *counts.entry(a.clone()).or_default() += 1;
        let latency = self.config.assignment_latency.sample(&mut self.rng);
        stats.assignment_latency += latency;
        stats.assignment_latencies.push(latency);
        (now + latency, now + self.config.status_visible_after)
    }

    /// Decides whether the service accepts a provisioning of
    /// `permission_set` while `running` provisionings are in progress
    /// (`same_set`: one of them of the same set), and counts what it saw.
    pub fn admit_provision(
        &mut self,
        op: Operation,
        permission_set: &PermissionSetArn,
        running: usize,
        same_set: bool,
    ) -> PortResult<()> {
        let stats = &mut self.stats;
        stats.max_provisioning = stats.max_provisioning.max(running + 1);
        // One provisioning of a set at a time is a ConflictException, like a
        // second write to one account; one past the cap is throttled, like
        // an assignment operation past its cap: both tell the client to wait.
        if same_set {
            stats.conflicts += 1;
            return Err(PortError::new(
                op,
                ErrorKind::Conflict,
                format!("permission set {permission_set} is already being provisioned"),
            ));
        }
        if running >= self.config.max_provisioning {
            stats.quota_throttles += 1;
            return Err(PortError::new(
                op,
                ErrorKind::Throttled,
                format!(
                    "Rate exceeded: {running} permission set provisionings are already in progress"
                ),
            ));
        }
        Ok(())
    }

    /// Starts an accepted provisioning of `permission_set` arriving at
    /// `now`: counts it and draws its latency. Returns when it completes and
    /// when its status becomes visible.
    pub fn start_provision(
        &mut self,
        permission_set: &PermissionSetArn,
        now: Instant,
    ) -> (Instant, Instant) {
        *self
            .stats
            .provisionings
            .entry(permission_set.clone())
            .or_default() += 1;
        let completes_at = now + self.config.provision_latency.sample(&mut self.rng);
        (completes_at, now + self.config.status_visible_after)
    }

    /// Counts an operation that completed `FAILED`.
    pub fn record_failure(&mut self) {
        self.stats.failed += 1;
    }
}

/// splitmix64: small, seeded and good enough for latency draws (the
/// simulator has no `rand` dependency).
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    /// Box–Muller.
    fn standard_normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_normal_latency_has_the_median_asked_for_and_is_reproducible() {
        let l = Latency::log_normal(Duration::from_secs(3), 0.5);
        let draw = |seed| {
            let mut rng = Rng(seed);
            let mut v: Vec<Duration> = (0..2001).map(|_| l.sample(&mut rng)).collect();
            v.sort();
            v
        };
        let a = draw(9);
        assert_eq!(a, draw(9));
        let median = a[1000].as_secs_f64();
        assert!((2.8..3.2).contains(&median), "{median}");
        assert!(a[0] >= l.min && a[2000] <= l.max);
        let mean = a.iter().map(Duration::as_secs_f64).sum::<f64>() / 2001.0;
        assert!((mean - l.mean().as_secs_f64()).abs() < 0.15, "{mean}");
    }
}
