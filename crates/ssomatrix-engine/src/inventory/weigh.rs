//! The cost-based read: live assignments found per (account, permission set)
//! pair or by principal, whichever costs fewer sso-admin calls, decided from
//! counts read first, the way a query planner picks a plan.
//!
//! Reading by principal (`ListAccountAssignmentsForPrincipal` for every group
//! and user of the identity store) costs at least one call a principal;
//! reading per pair costs at least one call a pair, plus a page of
//! `ListAccountsForProvisionedPermissionSet` for each permission set to find
//! the pairs. The principals are counted with the identity store's listings,
//! which run on their own budget. The pairs are counted by listing where each
//! permission set is provisioned, which the per-pair read needs anyway, and
//! that listing stops as soon as the pairs found and the permission sets not
//! yet listed outnumber the principals: from then on reading per pair is
//! certain to cost more. Only the management account may read by principal
//! (AWS says so), and a read by principal cannot see assignments of deleted
//! principals: there is no id to ask with.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use futures::{StreamExt, TryStreamExt};
use ssomatrix_core::ids::PrincipalType;
use ssomatrix_core::ids::{AccountId, IdentityStoreId, InstanceArn, PermissionSetArn, PrincipalId};
use ssomatrix_core::live::{Assignment, AssignmentRead, ReadWay};
use ssomatrix_core::ports::{
    IdentityStore, Operation, Organizations, PortError, PrincipalRef, SsoAdmin,
};

use super::Progress;
use super::names::list_all_principals;
use super::pairs::{Pair, provisioned_pairs, read_assignments};
use crate::EngineError;
use crate::client::Client;

/// The most items an sso-admin listing returns in a page (`MaxResults` is
/// 1 to 100 in the API model), which the estimates count with.
const PAGE: u64 = 100;

/// Provisioned-account listings in flight while the pairs are counted.
const COUNTING_IN_FLIGHT: usize = 4;

/// What the reader may do besides reading per pair.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ways<'a> {
    pub(crate) store: &'a IdentityStoreId,
    /// The caller is the management account, the only one AWS answers
    /// `ListAccountAssignmentsForPrincipal`.
    pub(crate) by_principal_allowed: bool,
    /// Read by principal without weighing (`InventoryStrategy::ByPrincipal`).
    pub(crate) by_principal_only: bool,
}

/// A principal of the identity store, as its listing names it.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub(crate) principal: PrincipalRef,
    pub(crate) name: String,
}

/// The assignments found, which way, and the principals listed on the way.
pub(crate) struct Weighed {
    pub(crate) assignments: BTreeSet<Assignment>,
    pub(crate) read: AssignmentRead,
    /// Every group and user of the store; empty when they were not listed.
    pub(crate) listed: Vec<Listed>,
}

/// Reads the live assignments of `sets` the cheaper way `ways` allows.
pub(crate) async fn read_weighed<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    sets: &BTreeSet<PermissionSetArn>,
    ways: Ways<'_>,
    progress: &Progress,
) -> Result<Weighed, EngineError> {
    if !ways.by_principal_allowed {
        let pairs = provisioned_pairs(client, instance, sets, progress).await?;
        let assignments = read_assignments(client, instance, pairs.clone(), progress).await?;
        let per_pair_calls = per_pair_cost(sets, &pairs, &assignments);
        return Ok(Weighed {
            assignments,
            read: AssignmentRead {
                used: ReadWay::PerPair,
                per_pair_calls,
                by_principal_calls: None,
            },
            listed: Vec::new(),
        });
    }
    let listed = list_store(client, ways.store).await?;
    let pairs = if ways.by_principal_only {
        None
    } else {
        let limit = listed.len() as u64;
        provisioned_pairs_within(client, instance, sets, limit, progress).await?
    };
    let (used, assignments, per_pair_calls) = match pairs {
        Some(pairs) => {
            let found = read_assignments(client, instance, pairs.clone(), progress).await?;
            let calls = per_pair_cost(sets, &pairs, &found);
            (ReadWay::PerPair, found, calls)
        }
        None => {
            let found = read_by_principal(client, instance, sets, &listed, progress).await?;
            let pairs: BTreeSet<Pair> = found
                .iter()
                .map(|a| (a.account_id.clone(), a.permission_set_arn.clone()))
                .collect();
            let pairs: Vec<Pair> = pairs.into_iter().collect();
            let calls = per_pair_cost(sets, &pairs, &found);
            (ReadWay::ByPrincipal, found, calls)
        }
    };
    let by_principal_calls = by_principal_cost(&listed, &assignments);
    Ok(Weighed {
        assignments,
        read: AssignmentRead {
            used,
            per_pair_calls,
            by_principal_calls: Some(by_principal_calls),
        },
        listed,
    })
}

/// Every group and user of the store (identitystore budget).
async fn list_store<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    store: &IdentityStoreId,
) -> Result<Vec<Listed>, EngineError> {
    let (groups, users) = futures::try_join!(
        list_all_principals(client, store, PrincipalType::Group),
        list_all_principals(client, store, PrincipalType::User),
    )?;
    let listed = |kind, all: Vec<(PrincipalId, String)>| {
        all.into_iter().map(move |(id, name)| Listed {
            principal: PrincipalRef {
                principal_type: kind,
                principal_id: id,
            },
            name,
        })
    };
    Ok(listed(PrincipalType::Group, groups)
        .chain(listed(PrincipalType::User, users))
        .collect())
}

/// The provisioned pairs of `sets`, or `None` as soon as the pairs found and
/// the sets not yet listed outnumber `limit` (the calls of reading by
/// principal): past that, reading the pairs costs more whatever is left.
async fn provisioned_pairs_within<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    sets: &BTreeSet<PermissionSetArn>,
    limit: u64,
    progress: &Progress,
) -> Result<Option<Vec<Pair>>, EngineError> {
    let sso = &client.ports.sso;
    let found = AtomicU64::new(0);
    let unstarted = AtomicU64::new(sets.len() as u64);
    let over = AtomicBool::new(sets.len() as u64 > limit);
    progress.start("provisioned accounts", sets.len());
    let per_set: Vec<Vec<Pair>> = futures::stream::iter(sets.iter())
        .map(|ps| {
            let (found, unstarted, over) = (&found, &unstarted, &over);
            async move {
                if over.load(Ordering::Relaxed) {
                    return Ok::<_, PortError>(Vec::new());
                }
                unstarted.fetch_sub(1, Ordering::Relaxed);
                let accounts = client
                    .pages_while(
                        Operation::ListAccountsForProvisionedPermissionSet,
                        client.budget.max_retries,
                        |t| sso.list_accounts_for_provisioned_permission_set(instance, ps, None, t),
                        |page: &[AccountId]| {
                            let pairs = found.fetch_add(page.len() as u64, Ordering::Relaxed)
                                + page.len() as u64;
                            if pairs + unstarted.load(Ordering::Relaxed) > limit {
                                over.store(true, Ordering::Relaxed);
                            }
                            !over.load(Ordering::Relaxed)
                        },
                    )
                    .await?;
                progress.tick();
                Ok(accounts
                    .unwrap_or_default()
                    .into_iter()
                    .map(|a| (a, ps.clone()))
                    .collect())
            }
        })
        // The rate budget, not the calls in flight, bounds how fast this
        // goes: a few in flight keep the budget busy, and each one in flight
        // when the count tips is a call wasted.
        .buffer_unordered(client.budget.concurrency.min(COUNTING_IN_FLIGHT))
        .try_collect()
        .await?;
    if over.load(Ordering::Relaxed) {
        return Ok(None);
    }
    Ok(Some(per_set.into_iter().flatten().collect()))
}

/// One paginated `ListAccountAssignmentsForPrincipal` per listed principal,
/// keeping the assignments of `sets` that name the principal asked for (the
/// API reference does not promise that a user's listing leaves out what its
/// groups hold).
async fn read_by_principal<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    sets: &BTreeSet<PermissionSetArn>,
    listed: &[Listed],
    progress: &Progress,
) -> Result<BTreeSet<Assignment>, EngineError> {
    let sso = &client.ports.sso;
    progress.start("assignments by principal", listed.len());
    let lists: Vec<Vec<Assignment>> = futures::stream::iter(listed)
        .map(|p| async move {
            let found = client
                .all_pages(Operation::ListAccountAssignmentsForPrincipal, |t| {
                    sso.list_account_assignments_for_principal(instance, &p.principal, None, t)
                })
                .await?;
            progress.tick();
            Ok::<_, PortError>(
                found
                    .into_iter()
                    .filter(|a| {
                        a.principal_type == p.principal.principal_type
                            && a.principal_id == p.principal.principal_id
                            && sets.contains(&a.permission_set_arn)
                    })
                    .collect(),
            )
        })
        .buffer_unordered(client.budget.concurrency)
        .try_collect()
        .await?;
    Ok(lists.into_iter().flatten().collect())
}

fn pages(items: u64) -> u64 {
    items.div_ceil(PAGE).max(1)
}

/// Calls of reading per pair: a page of provisioned accounts for every 100
/// accounts of each set, then the pages of each pair's principals.
fn per_pair_cost(
    sets: &BTreeSet<PermissionSetArn>,
    pairs: &[Pair],
    found: &BTreeSet<Assignment>,
) -> u64 {
    let mut accounts: BTreeMap<&PermissionSetArn, u64> = BTreeMap::new();
    for (_, ps) in pairs {
        *accounts.entry(ps).or_default() += 1;
    }
    let mut principals: BTreeMap<(&AccountId, &PermissionSetArn), u64> = BTreeMap::new();
    for a in found {
        *principals
            .entry((&a.account_id, &a.permission_set_arn))
            .or_default() += 1;
    }
    let listings: u64 = sets
        .iter()
        .map(|ps| pages(accounts.get(ps).copied().unwrap_or(0)))
        .sum();
    let reads: u64 = pairs
        .iter()
        .map(|(a, ps)| pages(principals.get(&(a, ps)).copied().unwrap_or(0)))
        .sum();
    listings + reads
}

/// Calls of reading by principal: the pages of each listed principal's
/// assignments (counted in the permission sets read; those of other sets
/// would add pages).
fn by_principal_cost(listed: &[Listed], found: &BTreeSet<Assignment>) -> u64 {
    let mut held: BTreeMap<(PrincipalType, &PrincipalId), u64> = BTreeMap::new();
    for a in found {
        *held.entry((a.principal_type, &a.principal_id)).or_default() += 1;
    }
    listed
        .iter()
        .map(|p| {
            let key = (p.principal.principal_type, &p.principal.principal_id);
            pages(held.get(&key).copied().unwrap_or(0))
        })
        .sum()
}
