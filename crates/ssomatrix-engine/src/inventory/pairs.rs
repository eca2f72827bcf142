//! Permission sets and the live assignments of their (account, permission
//! set) pairs: the provisioned pairs, or every pair.

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt, TryStreamExt};
use ssomatrix_core::ids::{AccountId, InstanceArn, PermissionSetArn};
use ssomatrix_core::live::{Assignment, AssignmentRead};
use ssomatrix_core::org::OrgTree;
use ssomatrix_core::ports::{
    IdentityStore, Operation, Organizations, PortError, ProvisioningFilter, SsoAdmin,
};

use super::weigh::{Listed, Ways, Weighed, read_weighed};
use super::{InventoryStrategy, Progress, ReadOptions};
use crate::EngineError;
use crate::client::Client;

pub(crate) async fn read_permission_sets<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
) -> Result<BTreeMap<PermissionSetArn, String>, EngineError> {
    let arns = list_permission_sets(client, instance).await?;
    describe_permission_sets(client, instance, arns).await
}

/// The instance's permission sets, as `ListPermissionSets` gives them:
/// ARNs only.
pub(crate) async fn list_permission_sets<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
) -> Result<Vec<PermissionSetArn>, EngineError> {
    let sso = &client.ports.sso;
    Ok(client
        .all_pages(Operation::ListPermissionSets, |t| {
            sso.list_permission_sets(instance, t)
        })
        .await?)
}

/// The names of `arns`, one `DescribePermissionSet` each, concurrently:
/// the only way from an ARN to its name.
pub(crate) async fn describe_permission_sets<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    arns: impl IntoIterator<Item = PermissionSetArn>,
) -> Result<BTreeMap<PermissionSetArn, String>, EngineError> {
    let described: Vec<_> = futures::stream::iter(arns)
        .map(|arn| describe_permission_set(client, instance, arn))
        .buffer_unordered(client.budget.concurrency)
        .try_collect()
        .await?;
    Ok(described.into_iter().collect())
}

/// One `DescribePermissionSet`: the set's (ARN, name).
async fn describe_permission_set<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    arn: PermissionSetArn,
) -> Result<(PermissionSetArn, String), PortError> {
    let sso = &client.ports.sso;
    let p = client
        .call(Operation::DescribePermissionSet, || {
            sso.describe_permission_set(instance, &arn)
        })
        .await?;
    Ok((p.arn, p.name))
}

/// An (account, permission set) pair.
pub(crate) type Pair = (AccountId, PermissionSetArn);

/// The (account, permission set) pairs where each of `permission_sets` is
/// provisioned: the only pairs that can hold assignments.
pub(crate) async fn provisioned_pairs<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    permission_sets: &BTreeSet<PermissionSetArn>,
    progress: &Progress,
) -> Result<Vec<(AccountId, PermissionSetArn)>, EngineError> {
    let sso = &client.ports.sso;
    progress.start("provisioned accounts", permission_sets.len());
    let per_set: Vec<Vec<(AccountId, PermissionSetArn)>> =
        futures::stream::iter(permission_sets.iter())
            .map(|ps| async move {
                let accounts = client
                    .all_pages(Operation::ListAccountsForProvisionedPermissionSet, |t| {
                        sso.list_accounts_for_provisioned_permission_set(instance, ps, None, t)
                    })
                    .await?;
                progress.tick();
                Ok::<_, PortError>(accounts.into_iter().map(|a| (a, ps.clone())).collect())
            })
            .buffer_unordered(client.budget.concurrency)
            .try_collect()
            .await?;
    Ok(per_set.into_iter().flatten().collect())
}

/// Every account × permission set (accounts that are not ACTIVE included:
/// they keep their assignments), for the exhaustive strategy.
fn all_pairs(
    org: &OrgTree,
    permission_sets: &BTreeSet<PermissionSetArn>,
) -> Vec<(AccountId, PermissionSetArn)> {
    org.accounts()
        .flat_map(|a| {
            permission_sets
                .iter()
                .map(move |ps| (a.id.clone(), ps.clone()))
        })
        .collect()
}

/// Reads the live assignments of the given pairs.
pub(crate) async fn read_assignments<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    pairs: Vec<(AccountId, PermissionSetArn)>,
    progress: &Progress,
) -> Result<BTreeSet<Assignment>, EngineError> {
    let sso = &client.ports.sso;
    progress.start("assignments", pairs.len());
    let lists: Vec<Vec<Assignment>> = futures::stream::iter(pairs)
        .map(|(account, ps)| async move {
            let principals = client
                .all_pages(Operation::ListAccountAssignments, |t| {
                    sso.list_account_assignments(instance, &account, &ps, t)
                })
                .await?;
            progress.tick();
            Ok::<_, PortError>(
                principals
                    .into_iter()
                    .map(|p| Assignment {
                        account_id: account.clone(),
                        permission_set_arn: ps.clone(),
                        principal_type: p.principal_type,
                        principal_id: p.principal_id,
                    })
                    .collect(),
            )
        })
        .buffer_unordered(client.budget.concurrency)
        .try_collect()
        .await?;
    Ok(lists.into_iter().flatten().collect())
}

/// Reads the permission sets, then, without waiting for the organization
/// (Organizations' low rate makes it the slowest read), where they are out of
/// sync and, for the provisioned strategy, their live assignments.
pub(crate) async fn read_sets_and_assignments<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    which: impl FnOnce(&BTreeMap<PermissionSetArn, String>) -> BTreeSet<PermissionSetArn>,
    options: &ReadOptions,
    ways: Option<Ways<'_>>,
    progress: &Progress,
) -> Result<SetsAndAssignments, EngineError> {
    let permission_sets = read_permission_sets(client, instance).await?;
    let read = which(&permission_sets);
    let (assignments, not_provisioned) = futures::try_join!(
        async {
            match (options.strategy, ways) {
                (InventoryStrategy::Exhaustive, _) => Ok(Found::Later),
                (InventoryStrategy::Cheapest | InventoryStrategy::ByPrincipal, Some(ways)) => {
                    read_weighed(client, instance, &read, ways, progress)
                        .await
                        .map(Found::Weighed)
                }
                _ => {
                    let pairs = provisioned_pairs(client, instance, &read, progress).await?;
                    read_assignments(client, instance, pairs, progress)
                        .await
                        .map(Found::PerPair)
                }
            }
        },
        async {
            if options.provisioning_status {
                read_not_provisioned(client, instance, &read).await
            } else {
                Ok(BTreeMap::new())
            }
        },
    )?;
    Ok(SetsAndAssignments {
        permission_sets,
        read,
        assignments,
        not_provisioned,
    })
}

pub(crate) struct SetsAndAssignments {
    pub(crate) permission_sets: BTreeMap<PermissionSetArn, String>,
    pub(crate) read: BTreeSet<PermissionSetArn>,
    pub(crate) assignments: Found,
    pub(crate) not_provisioned: BTreeMap<PermissionSetArn, BTreeSet<AccountId>>,
}

/// The live assignments as far as they could be read before the
/// organization was.
pub(crate) enum Found {
    PerPair(BTreeSet<Assignment>),
    /// Read the cheaper way, with what each way would have cost.
    Weighed(Weighed),
    /// Not yet: the exhaustive strategy needs the organization's accounts.
    Later,
}

impl Found {
    /// The assignments read so far (`None`: later), how they were read when
    /// the ways were weighed, and the principals listed on the way.
    pub(crate) fn split(
        self,
    ) -> (
        Option<BTreeSet<Assignment>>,
        Option<AssignmentRead>,
        Vec<Listed>,
    ) {
        match self {
            Found::PerPair(found) => (Some(found), None, Vec::new()),
            Found::Weighed(w) => (Some(w.assignments), Some(w.read), w.listed),
            Found::Later => (None, None, Vec::new()),
        }
    }
}

/// The live assignments of accounts in the organization: those already read,
/// or, exhaustively, every account × permission set.
pub(crate) async fn assignments_in_org<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    org: &OrgTree,
    read: &BTreeSet<PermissionSetArn>,
    already: Option<BTreeSet<Assignment>>,
    progress: &Progress,
) -> Result<BTreeSet<Assignment>, EngineError> {
    match already {
        Some(found) => Ok(found
            .into_iter()
            .filter(|a| org.account(&a.account_id).is_some())
            .collect()),
        None => read_assignments(client, instance, all_pairs(org, read), progress).await,
    }
}

pub(crate) async fn read_not_provisioned<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    permission_sets: &BTreeSet<PermissionSetArn>,
) -> Result<BTreeMap<PermissionSetArn, BTreeSet<AccountId>>, EngineError> {
    let sso = &client.ports.sso;
    let per_set: Vec<_> = futures::stream::iter(permission_sets.iter())
        .map(|ps| async move {
            let accounts = client
                .all_pages(Operation::ListAccountsForProvisionedPermissionSet, |t| {
                    sso.list_accounts_for_provisioned_permission_set(
                        instance,
                        ps,
                        Some(ProvisioningFilter::LatestNotProvisioned),
                        t,
                    )
                })
                .await?;
            Ok::<_, PortError>((ps.clone(), accounts.into_iter().collect::<BTreeSet<_>>()))
        })
        .buffer_unordered(client.budget.concurrency)
        .try_collect()
        .await?;
    Ok(per_set.into_iter().filter(|(_, a)| !a.is_empty()).collect())
}
