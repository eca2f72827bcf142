//! ssomatrix-sim: an in-memory IAM Identity Center, Identity Store and
//! Organizations behind the ssomatrix ports, loaded from a snapshot file.
//!
//! It models the API, not a shortcut around it: the same operations, AWS page
//! sizes with opaque next tokens, request ids and statuses for the
//! asynchronous writes, not-found answers for deleted principals. Offline
//! mode (`--snapshot`) and the engine's tests run against it.
//!
//! Tests can also make it behave like AWS on a bad day ([`FaultPlan`]:
//! throttling, 500s, empty pages that still carry a `NextToken`, latency) and
//! read back when each call arrived ([`Simulator::max_calls_in_window`]).
//! Faults are off unless a test asks for them.
//!
//! The [`ServiceModel`] (also off unless asked for) adds the service's
//! quotas and asynchronous behaviour: the shared sso-admin TPS bucket,
//! assignment operations that stay `IN_PROGRESS` for a while, at most 10 of
//! them at once, one per account, provisioning at most 3 at once, and
//! operations that end `FAILED`. [`Simulator::service_stats`] tells what the
//! service saw.
//!
//! The crate is laid out by concern: `state` (what the instance holds),
//! `calls` (counting, faults, pagination), `writes` (the assignment
//! operations), `provisioning`, one module per port (`sso`, `identity`,
//! `org`, `sts`), `faults` and `service` (every quota and timing of the
//! service model).

mod calls;
mod faults;
mod identity;
mod org;
mod provisioning;
mod service;
mod sso;
mod state;
mod sts;
mod writes;

pub use faults::{Calls, Fault, FaultPlan, Operations};
pub use service::{FailedDelete, Latency, ServiceModel, ServiceStats};
pub use writes::AppliedWrite;

use service::{InjectedFailure, Model};
use state::State;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use ssomatrix_core::ids::{AccountId, InstanceArn, PermissionSetArn};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::ports::{InstanceInfo, Operation};
use ssomatrix_core::snapshot::{Snapshot, SnapshotError};

/// AWS's maximum page sizes, which the adapter requests and the simulator
/// returns.
pub mod page_size {
    pub const SSO_ADMIN: usize = 100;
    pub const IDENTITY_STORE: usize = 100;
    pub const ORGANIZATIONS: usize = 20;
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("invalid snapshot:\n{0}")]
    Snapshot(#[from] SnapshotError),
    #[error("invalid organization in snapshot: {0}")]
    Org(#[from] ssomatrix_core::org::OrgError),
}

/// A simulated instance. Cloning shares the state (like two clients of one
/// AWS account).
#[derive(Debug, Clone)]
pub struct Simulator {
    state: Arc<Mutex<State>>,
}

impl Simulator {
    /// Builds a simulator from a checked snapshot.
    pub fn from_snapshot(snapshot: Snapshot) -> Result<Self, SimError> {
        snapshot.org_tree()?;
        Ok(Simulator {
            state: Arc::new(Mutex::new(State::new(snapshot))),
        })
    }

    /// Parses a snapshot file's text and builds a simulator from it.
    pub fn from_snapshot_text(file: &str, text: &str) -> Result<Self, SimError> {
        Self::from_snapshot(Snapshot::parse(file, text)?)
    }

    /// Shows another instance in ListInstances, after the snapshot's, with
    /// `status` (`CREATE_IN_PROGRESS`, `CREATE_FAILED`,
    /// `DELETE_IN_PROGRESS`, or `ACTIVE` for a second usable one). Only
    /// listed: every other call works on the snapshot's instance.
    pub fn add_instance(&self, instance_arn: InstanceArn, status: &str) {
        let mut st = self.lock();
        let identity_store_id = st.snapshot.identity_store_id.clone();
        st.other_instances.push(InstanceInfo {
            instance_arn,
            identity_store_id,
            name: None,
            status: Some(status.to_owned()),
        });
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock can only come from a bug in this
        // file; the state is still the best there is, so keep using it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current state as a snapshot (what `apply --snapshot` writes back).
    pub fn snapshot(&self) -> Snapshot {
        let mut st = self.lock();
        st.settle(Instant::now());
        let mut s = st.snapshot.clone();
        s.assignments = st
            .assignments
            .iter()
            .flat_map(|((account, ps), principals)| {
                principals.iter().map(move |p| Assignment {
                    account_id: account.clone(),
                    permission_set_arn: ps.clone(),
                    principal_type: p.principal_type,
                    principal_id: p.principal_id.clone(),
                })
            })
            .collect();
        s.sort();
        s
    }

    /// Every create and delete that took effect so far, in the order it did
    /// (each state the assignments went through, for tests that check an
    /// invariant at every moment rather than at the end).
    pub fn write_history(&self) -> Vec<AppliedWrite> {
        let mut st = self.lock();
        st.settle(Instant::now());
        st.history.clone()
    }

    /// Calls made so far, by operation.
    pub fn calls(&self) -> BTreeMap<Operation, u64> {
        self.lock().calls.clone()
    }

    /// Calls of `operations` made so far.
    pub fn calls_of(&self, operations: impl Into<Operations>) -> u64 {
        let operations = operations.into();
        self.lock()
            .calls
            .iter()
            .filter(|(op, _)| operations.contains(**op))
            .map(|(_, n)| n)
            .sum()
    }

    pub fn total_calls(&self) -> u64 {
        self.lock().calls.values().sum()
    }

    /// Replaces the fault plan (shared by every clone of this simulator).
    /// Call numbers keep counting from the calls already made.
    pub fn set_faults(&self, plan: FaultPlan) {
        self.lock().faults = plan;
    }

    /// This simulator with `plan`'s faults.
    pub fn with_faults(self, plan: FaultPlan) -> Self {
        self.set_faults(plan);
        self
    }

    /// This simulator with the service's quotas and asynchronous operations
    /// (see [`ServiceModel`]). Without it, writes succeed at once and
    /// nothing is throttled unless the fault plan says so.
    pub fn with_service(self, model: ServiceModel) -> Self {
        self.lock().model = Some(Model::new(model));
        self
    }

    /// What the service model saw so far (all zero without the model).
    pub fn service_stats(&self) -> ServiceStats {
        self.lock()
            .model
            .as_ref()
            .map(|m| m.stats.clone())
            .unwrap_or_default()
    }

    /// Makes every later create in `account` (of `permission_set`, or of any
    /// permission set) end `FAILED` with `reason`, without an assignment,
    /// as when a customer managed policy is missing in the account.
    pub fn fail_creates_in(
        &self,
        account: &AccountId,
        permission_set: Option<&PermissionSetArn>,
        reason: &str,
    ) {
        self.lock().failures.push(InjectedFailure {
            delete: false,
            account: account.clone(),
            permission_set: permission_set.cloned(),
            reason: reason.to_owned(),
            takes_effect: false,
        });
    }

    /// Makes every later delete in `account` end `FAILED` with `reason`;
    /// `what` says whether the assignment is gone all the same.
    pub fn fail_deletes_in(&self, account: &AccountId, reason: &str, what: FailedDelete) {
        self.lock().failures.push(InjectedFailure {
            delete: true,
            account: account.clone(),
            permission_set: None,
            reason: reason.to_owned(),
            takes_effect: what == FailedDelete::AssignmentGone,
        });
    }

    /// Marks `permission_set` as edited: it becomes OUT_OF_SYNC
    /// (`LATEST_PERMISSION_SET_NOT_PROVISIONED`) in every account it is
    /// provisioned to.
    pub fn mark_permission_set_changed(&self, permission_set: &PermissionSetArn) {
        let mut st = self.lock();
        st.settle(Instant::now());
        let accounts = st
            .provisioned
            .get(permission_set)
            .cloned()
            .unwrap_or_default();
        if let Some(p) = st
            .snapshot
            .permission_sets
            .iter_mut()
            .find(|p| p.arn == *permission_set)
        {
            p.not_provisioned_accounts.extend(accounts);
        }
    }

    /// Makes every provisioning of `permission_set` end `FAILED` with
    /// `reason`, so that it never gets in sync.
    pub fn never_in_sync(&self, permission_set: &PermissionSetArn, reason: &str) {
        self.lock()
            .never_in_sync
            .insert(permission_set.clone(), reason.to_owned());
    }

    /// When each call of `operations` arrived, in arrival order.
    pub fn call_times(&self, operations: impl Into<Operations>) -> Vec<Instant> {
        let operations = operations.into();
        self.lock()
            .log
            .iter()
            .filter(|(_, op)| operations.contains(*op))
            .map(|(t, _)| *t)
            .collect()
    }

    /// The most calls of `operations` that arrived within any one `window`
    /// (half-open, so calls exactly `window` apart are in different windows):
    /// what a service enforcing a TPS limit over that window would count.
    pub fn max_calls_in_window(
        &self,
        operations: impl Into<Operations>,
        window: Duration,
    ) -> usize {
        let times = self.call_times(operations);
        let mut most = 0;
        let mut start = 0;
        for (end, t) in times.iter().enumerate() {
            while *t - times[start] >= window {
                start += 1;
            }
            most = most.max(end + 1 - start);
        }
        most
    }
}
