//! The inventory reader: the live state a plan needs, at the fewest calls,
//! inside the rate budget.
//!
//! Organizations, permission sets and principals are read concurrently (they
//! are different services with separate budgets). Live assignments are read
//! per (account, permission set) pair: by default only the pairs that can hold
//! assignments, found through `ListAccountsForProvisionedPermissionSet` (an
//! assignment provisions its permission set to its account); with
//! `InventoryStrategy::Exhaustive`, every account × permission set, which is
//! correct on any faithful implementation of the API, only slower. Accounts
//! that are not ACTIVE are read too: a suspended account keeps its
//! assignments, and the planner reports the ones it leaves alone there.
//!
//! By concern: `instance` (which instance), `org` (the organization),
//! `pairs` (permission sets and the assignments of their pairs), `names`
//! (principals), `export` (the whole instance as a snapshot).

mod export;
mod instance;
pub(crate) mod names;
pub(crate) mod org;
pub(crate) mod pairs;
pub(crate) mod weigh;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ssomatrix_core::config::Config;
use std::collections::BTreeSet;

use ssomatrix_core::ids::{PrincipalId, PrincipalType};
use ssomatrix_core::live::{Assignment, LiveState, Principals};
use ssomatrix_core::ports::{IdentityStore, Organizations, SsoAdmin, Sts};
use ssomatrix_core::scope::{Scope, principal_names};

use crate::EngineError;
use crate::caller::{provisioned_to_management, read_caller};
use crate::client::Client;
use crate::principals::resolve_principals;
use weigh::{Listed, Ways};

pub use export::export_snapshot;
pub use instance::discover_instance;
pub(crate) use names::{list_all_principals, name_principals};
pub(crate) use org::{management_account, read_org};
pub(crate) use pairs::{
    SetsAndAssignments, assignments_in_org, read_not_provisioned, read_sets_and_assignments,
};

/// How live assignments are found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InventoryStrategy {
    /// Only the (account, permission set) pairs the permission set is
    /// provisioned to.
    #[default]
    Provisioned,
    /// Every account × permission set pair (inactive accounts included, as
    /// the provisioned pairs include them).
    Exhaustive,
    /// `ListAccountAssignmentsForPrincipal` for every group and user of the
    /// identity store: management account only, and blind to assignments of
    /// deleted principals.
    ByPrincipal,
    /// `Provisioned` or `ByPrincipal`, whichever costs fewer calls, decided
    /// from counts read first (`ByPrincipal` only for the management account).
    Cheapest,
}

impl InventoryStrategy {
    /// Whether the reader must know who the caller is before it reads
    /// assignments.
    fn weighs(self) -> bool {
        matches!(
            self,
            InventoryStrategy::ByPrincipal | InventoryStrategy::Cheapest
        )
    }

    /// The strategy for a read that must see every assignment, those of
    /// deleted principals included (`what`: drift, export): `Cheapest`
    /// reads per pair, `ByPrincipal` is refused.
    pub fn per_pair(self, what: &str) -> Result<Self, EngineError> {
        match self {
            InventoryStrategy::Cheapest => Ok(InventoryStrategy::Provisioned),
            InventoryStrategy::ByPrincipal => Err(EngineError::ByPrincipalImpossible(format!(
                "{what} must see the assignments of deleted principals, which a read by principal cannot"
            ))),
            other => Ok(other),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    pub strategy: InventoryStrategy,
    /// Also read which accounts have a permission set OUT_OF_SYNC.
    pub provisioning_status: bool,
}

/// What the reader is doing, for a progress display.
#[derive(Debug, Default)]
pub struct Progress {
    phase: Mutex<&'static str>,
    done: AtomicUsize,
    total: AtomicUsize,
}

impl Progress {
    fn start(&self, phase: &'static str, total: usize) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = phase;
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    fn tick(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    /// (phase, done, total).
    pub fn get(&self) -> (&'static str, usize, usize) {
        let phase = *self.phase.lock().unwrap_or_else(|e| e.into_inner());
        (
            phase,
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}

/// Reads what planning `config` needs.
pub async fn read_live_state<S: SsoAdmin, I: IdentityStore, O: Organizations + Sts>(
    client: &Client<S, I, O>,
    config: &Config,
    options: &ReadOptions,
    progress: &Progress,
) -> Result<LiveState, EngineError> {
    read_state(client, config, options, false, progress).await
}

/// Reads what planning `config` needs and, in addition, the live assignments
/// of every other permission set of the instance, so that a drift report can
/// count the assignments outside the file's scope.
///
/// Cost on top of [`read_live_state`], per permission set the file does not
/// read: with the provisioned strategy, one paginated
/// `ListAccountsForProvisionedPermissionSet` (twice with the provisioning
/// status), then one `ListAccountAssignments` per account it is provisioned
/// to; with the exhaustive strategy, one `ListAccountAssignments` per account.
/// Principals those assignments name are described once each
/// (`DescribeGroup`/`DescribeUser`). All of it runs under the same budget.
/// Kept apart from [`ReadOptions`] so that plans never pay for it.
pub async fn read_live_state_all_sets<S: SsoAdmin, I: IdentityStore, O: Organizations + Sts>(
    client: &Client<S, I, O>,
    config: &Config,
    options: &ReadOptions,
    progress: &Progress,
) -> Result<LiveState, EngineError> {
    read_state(client, config, options, true, progress).await
}

async fn read_state<S: SsoAdmin, I: IdentityStore, O: Organizations + Sts>(
    client: &Client<S, I, O>,
    config: &Config,
    options: &ReadOptions,
    all_sets: bool,
    progress: &Progress,
) -> Result<LiveState, EngineError> {
    let options = if all_sets {
        ReadOptions {
            strategy: options.strategy.per_pair("drift")?,
            ..options.clone()
        }
    } else {
        options.clone()
    };
    let instance = discover_instance(client, config.instance_arn.as_ref()).await?;
    let store = config
        .identity_store_id
        .clone()
        .unwrap_or(instance.identity_store_id);
    let arn = instance.instance_arn;
    // Weighing the ways needs to know first whether the caller is the
    // management account, the only one AWS lets read by principal.
    let known = if options.strategy.weighs() {
        Some(futures::try_join!(
            read_caller(client),
            management_account(client)
        )?)
    } else {
        None
    };
    let ways = match &known {
        Some((caller, management)) => {
            let allowed = caller == management;
            if options.strategy == InventoryStrategy::ByPrincipal && !allowed {
                return Err(EngineError::ByPrincipalImpossible(format!(
                    "AWS answers ListAccountAssignmentsForPrincipal only to the management account \
                     {management}, and these credentials are of account {caller}"
                )));
            }
            Some(Ways {
                store: &store,
                by_principal_allowed: allowed,
                by_principal_only: options.strategy == InventoryStrategy::ByPrincipal,
            })
        }
        None => None,
    };
    let (caller, org, sets, mut principals) = futures::try_join!(
        async {
            match &known {
                Some((caller, _)) => Ok(caller.clone()),
                None => read_caller(client).await,
            }
        },
        read_org(
            client,
            config.uses_account_tags(),
            known.as_ref().map(|(_, m)| m.clone()),
            progress
        ),
        read_sets_and_assignments(
            client,
            &arn,
            |all| {
                if all_sets {
                    all.keys().cloned().collect()
                } else {
                    Scope::of(config, all).to_read
                }
            },
            &options,
            ways,
            progress
        ),
        resolve_principals(client, &store, principal_names(config)),
    )?;
    let SetsAndAssignments {
        permission_sets,
        read,
        assignments,
        not_provisioned,
    } = sets;
    let (assignments, assignment_read, listed) = assignments.split();
    let assignments = assignments_in_org(client, &arn, &org, &read, assignments, progress).await?;
    name_listed(&listed, &assignments, &mut principals);
    name_principals(client, &store, &assignments, &mut principals).await?;
    let provisioned_to_management = provisioned_to_management(client, &arn, &org, &caller).await?;
    Ok(LiveState {
        instance_arn: arn,
        identity_store_id: store,
        caller_account_id: Some(caller),
        provisioned_to_management,
        org,
        permission_sets,
        principals,
        assignments,
        read_permission_sets: read,
        not_provisioned,
        assignment_read,
    })
}

/// Names, from the store's listing, the principals that `assignments`
/// reference and `principals` does not know yet: the call per principal
/// that naming them otherwise costs is saved.
fn name_listed(listed: &[Listed], assignments: &BTreeSet<Assignment>, principals: &mut Principals) {
    let referenced: BTreeSet<(PrincipalType, &PrincipalId)> = assignments
        .iter()
        .map(|a| (a.principal_type, &a.principal_id))
        .collect();
    for p in listed {
        let (kind, id) = (p.principal.principal_type, &p.principal.principal_id);
        if referenced.contains(&(kind, id)) && !principals.by_id.contains_key(&(kind, id.clone())) {
            principals.insert(kind, id.clone(), p.name.clone());
        }
    }
}
