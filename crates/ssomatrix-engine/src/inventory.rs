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

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::{StreamExt, TryStreamExt};
use ssomatrix_core::config::Config;
use ssomatrix_core::ids::{
    AccountId, IdentityStoreId, InstanceArn, PermissionSetArn, PrincipalType,
};
use ssomatrix_core::live::{Assignment, LiveState, Principals};
use ssomatrix_core::org::{Account, NodeId, OrgTree, Ou};
use ssomatrix_core::ports::{
    ErrorKind, IdentityStore, InstanceInfo, Operation, Organizations, PortError,
    ProvisioningFilter, SsoAdmin, Sts,
};
use ssomatrix_core::scope::{Scope, principal_names};
use ssomatrix_core::snapshot::{
    SNAPSHOT_FORMAT_VERSION, Snapshot, SnapshotAccount, SnapshotOrganization, SnapshotOu,
    SnapshotPermissionSet, SnapshotPrincipal,
};

use crate::EngineError;
use crate::caller::{provisioned_to_management, read_caller};
use crate::client::Client;
use crate::principals::resolve_principals;

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

/// Finds the instance: the one the file names, or the only ACTIVE one
/// visible. Instances being created, that failed to be created or that are
/// being deleted (ListInstances' `Status`) are never picked.
pub async fn discover_instance<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    wanted: Option<&InstanceArn>,
) -> Result<InstanceInfo, EngineError> {
    let sso = &client.ports.sso;
    let all = client
        .all_pages(Operation::ListInstances, |t| sso.list_instances(t))
        .await?;
    match wanted {
        Some(w) => {
            let found = all.iter().find(|i| i.instance_arn == *w).ok_or_else(|| {
                EngineError::InstanceNotFound {
                    wanted: w.clone(),
                    found: all.iter().map(|i| i.instance_arn.clone()).collect(),
                }
            })?;
            match &found.status {
                Some(status) if !found.is_active() => Err(EngineError::InstanceNotActive {
                    instance: w.clone(),
                    status: status.clone(),
                }),
                _ => Ok(found.clone()),
            }
        }
        None => {
            let active: Vec<_> = all.iter().filter(|i| i.is_active()).collect();
            match active.as_slice() {
                [] => match all.as_slice() {
                    [only] => Err(EngineError::InstanceNotActive {
                        instance: only.instance_arn.clone(),
                        status: only.status.clone().unwrap_or_default(),
                    }),
                    _ => Err(EngineError::NoInstance),
                },
                [one] => Ok((*one).clone()),
                many => Err(EngineError::SeveralInstances(
                    many.iter().map(|i| i.instance_arn.clone()).collect(),
                )),
            }
        }
    }
}

async fn read_org<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    with_tags: bool,
    progress: &Progress,
) -> Result<OrgTree, EngineError> {
    let org = &client.ports.org;
    let management = client
        .call(Operation::DescribeOrganization, || {
            org.describe_organization()
        })
        .await?;
    let roots = client
        .all_pages(Operation::ListRoots, |t| org.list_roots(t))
        .await?;
    let root = roots
        .into_iter()
        .next()
        .ok_or_else(|| EngineError::Unexpected("the organization has no root".into()))?;
    let mut ous = Vec::new();
    let mut accounts = Vec::new();
    let mut frontier = vec![NodeId::Root(root.clone())];
    let mut seen = BTreeSet::new();
    progress.start("organization", 1);
    // Each OU is visited once; AWS nests OUs at most five deep.
    while !frontier.is_empty() {
        let level: Vec<_> =
            futures::stream::iter(frontier.drain(..).filter(|n| seen.insert(n.clone())))
                .map(|node| async move {
                    let children = client
                        .all_pages(Operation::ListOrganizationalUnitsForParent, |t| {
                            org.list_organizational_units_for_parent(&node, t)
                        })
                        .await?;
                    let members = client
                        .all_pages(Operation::ListAccountsForParent, |t| {
                            org.list_accounts_for_parent(&node, t)
                        })
                        .await?;
                    progress.tick();
                    Ok::<_, PortError>((node, children, members))
                })
                .buffer_unordered(client.budget.concurrency)
                .try_collect()
                .await?;
        for (parent, children, members) in level {
            for ou in children {
                frontier.push(NodeId::Ou(ou.id.clone()));
                ous.push(Ou {
                    id: ou.id,
                    name: ou.name,
                    parent: parent.clone(),
                });
            }
            for a in members {
                accounts.push(Account {
                    id: a.id,
                    name: a.name,
                    state: a.state,
                    parent: parent.clone(),
                    tags: BTreeMap::new(),
                });
            }
        }
        progress
            .total
            .store(seen.len() + frontier.len(), Ordering::Relaxed);
    }
    for a in accounts.iter().filter(|a| !a.state.is_known()) {
        tracing::warn!(
            "account {} ({}) is in the state `{}`, which this version of ssomatrix does not know; \
             it is treated as not ACTIVE (no assignment is made or removed there); upgrade ssomatrix",
            a.id,
            a.name,
            a.state
        );
    }
    if with_tags {
        progress.start("account tags", accounts.len());
        let tags: Vec<(AccountId, Vec<(String, String)>)> =
            futures::stream::iter(accounts.iter().map(|a| a.id.clone()))
                .map(|id| async move {
                    let tags = client
                        .all_pages(Operation::ListTagsForResource, |t| {
                            org.list_tags_for_resource(&id, t)
                        })
                        .await?;
                    progress.tick();
                    Ok::<_, PortError>((id, tags))
                })
                .buffer_unordered(client.budget.concurrency)
                .try_collect()
                .await?;
        let tags: BTreeMap<_, _> = tags.into_iter().collect();
        for a in &mut accounts {
            if let Some(t) = tags.get(&a.id) {
                a.tags = t.iter().cloned().collect();
            }
        }
    }
    Ok(OrgTree::new(root, Some(management), ous, accounts)?)
}

async fn read_permission_sets<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
) -> Result<BTreeMap<PermissionSetArn, String>, EngineError> {
    let sso = &client.ports.sso;
    let arns = client
        .all_pages(Operation::ListPermissionSets, |t| {
            sso.list_permission_sets(instance, t)
        })
        .await?;
    let described: Vec<_> = futures::stream::iter(arns)
        .map(|arn| async move {
            client
                .call(Operation::DescribePermissionSet, || {
                    sso.describe_permission_set(instance, &arn)
                })
                .await
        })
        .buffer_unordered(client.budget.concurrency)
        .try_collect()
        .await?;
    Ok(described.into_iter().map(|p| (p.arn, p.name)).collect())
}

pub(crate) async fn list_all_principals<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    store: &IdentityStoreId,
    kind: PrincipalType,
) -> Result<Vec<(ssomatrix_core::ids::PrincipalId, String)>, PortError> {
    let ids = &client.ports.ids;
    match kind {
        PrincipalType::Group => {
            client
                .all_pages(Operation::ListGroups, |t| ids.list_groups(store, t))
                .await
        }
        PrincipalType::User => {
            client
                .all_pages(Operation::ListUsers, |t| ids.list_users(store, t))
                .await
        }
    }
}

/// The (account, permission set) pairs where each of `permission_sets` is
/// provisioned: the only pairs that can hold assignments.
async fn provisioned_pairs<S: SsoAdmin, I: IdentityStore, O: Organizations>(
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
async fn read_assignments<S: SsoAdmin, I: IdentityStore, O: Organizations>(
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
async fn read_sets_and_assignments<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    which: impl FnOnce(&BTreeMap<PermissionSetArn, String>) -> BTreeSet<PermissionSetArn>,
    options: &ReadOptions,
    progress: &Progress,
) -> Result<SetsAndAssignments, EngineError> {
    let permission_sets = read_permission_sets(client, instance).await?;
    let read = which(&permission_sets);
    let (assignments, not_provisioned) = futures::try_join!(
        async {
            match options.strategy {
                InventoryStrategy::Provisioned => {
                    let pairs = provisioned_pairs(client, instance, &read, progress).await?;
                    read_assignments(client, instance, pairs, progress)
                        .await
                        .map(Some)
                }
                InventoryStrategy::Exhaustive => Ok(None),
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

struct SetsAndAssignments {
    permission_sets: BTreeMap<PermissionSetArn, String>,
    read: BTreeSet<PermissionSetArn>,
    /// `None` for the exhaustive strategy, which needs the organization first.
    assignments: Option<BTreeSet<Assignment>>,
    not_provisioned: BTreeMap<PermissionSetArn, BTreeSet<AccountId>>,
}

/// The live assignments of accounts in the organization: those already read,
/// or, exhaustively, every account × permission set.
async fn assignments_in_org<S: SsoAdmin, I: IdentityStore, O: Organizations>(
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

/// Names the principals that live assignments reference and the file did not
/// name; those that no longer exist are recorded as deleted.
async fn name_principals<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    store: &IdentityStoreId,
    assignments: &BTreeSet<Assignment>,
    principals: &mut Principals,
) -> Result<(), EngineError> {
    let ids = &client.ports.ids;
    let unknown: BTreeSet<_> = assignments
        .iter()
        .map(|a| (a.principal_type, a.principal_id.clone()))
        .filter(|k| !principals.by_id.contains_key(k))
        .collect();
    let named: Vec<_> = futures::stream::iter(unknown)
        .map(|(kind, id)| async move {
            let name = match kind {
                PrincipalType::Group => {
                    client
                        .call(Operation::DescribeGroup, || ids.describe_group(store, &id))
                        .await?
                }
                PrincipalType::User => {
                    client
                        .call(Operation::DescribeUser, || ids.describe_user(store, &id))
                        .await?
                }
            };
            Ok::<_, PortError>((kind, id, name))
        })
        .buffer_unordered(client.budget.concurrency)
        .try_collect()
        .await?;
    for (kind, id, name) in named {
        match name {
            Some(n) => principals.insert(kind, id, n),
            None => {
                principals.by_id.insert((kind, id), None);
            }
        }
    }
    Ok(())
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
    let instance = discover_instance(client, config.instance_arn.as_ref()).await?;
    let store = config
        .identity_store_id
        .clone()
        .unwrap_or(instance.identity_store_id);
    let arn = instance.instance_arn;
    let (caller, org, sets, mut principals) = futures::try_join!(
        read_caller(client),
        read_org(client, config.uses_account_tags(), progress),
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
            options,
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
    let assignments = assignments_in_org(client, &arn, &org, &read, assignments, progress).await?;
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
    })
}

/// Reads the whole instance as a snapshot (`ssomatrix export`).
pub async fn export_snapshot<S: SsoAdmin, I: IdentityStore, O: Organizations + Sts>(
    client: &Client<S, I, O>,
    instance: Option<&InstanceArn>,
    options: &ReadOptions,
    progress: &Progress,
) -> Result<Snapshot, EngineError> {
    let instance = discover_instance(client, instance).await?;
    let store = instance.identity_store_id;
    let arn = instance.instance_arn;
    // Export always records which accounts are out of sync.
    let options = ReadOptions {
        provisioning_status: true,
        ..options.clone()
    };
    let (caller, org, sets, groups, users) = futures::try_join!(
        read_caller(client),
        read_org(client, true, progress),
        read_sets_and_assignments(
            client,
            &arn,
            |all| all.keys().cloned().collect(),
            &options,
            progress
        ),
        async {
            list_all_principals(client, &store, PrincipalType::Group)
                .await
                .map_err(EngineError::from)
        },
        async {
            list_all_principals(client, &store, PrincipalType::User)
                .await
                .map_err(EngineError::from)
        },
    )?;
    let SetsAndAssignments {
        permission_sets,
        read,
        assignments,
        not_provisioned,
    } = sets;
    let assignments = assignments_in_org(client, &arn, &org, &read, assignments, progress).await?;
    let principal = |(id, name)| SnapshotPrincipal { id, name };
    let mut snapshot = Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        instance_arn: arn,
        identity_store_id: store,
        // Absent means the management account.
        caller_account_id: Some(caller).filter(|c| Some(c) != org.management_account()),
        organization: SnapshotOrganization {
            root_id: org.root().clone(),
            management_account_id: org.management_account().cloned().ok_or_else(|| {
                EngineError::Port(PortError::new(
                    Operation::DescribeOrganization,
                    ErrorKind::Other,
                    "no management account",
                ))
            })?,
            organizational_units: org
                .ous()
                .map(|o| SnapshotOu {
                    id: o.id.clone(),
                    name: o.name.clone(),
                    parent: o.parent.clone(),
                })
                .collect(),
            accounts: org
                .accounts()
                .map(|a| SnapshotAccount {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    state: a.state,
                    parent: a.parent.clone(),
                    tags: a.tags.clone(),
                })
                .collect(),
        },
        groups: groups.into_iter().map(principal).collect(),
        users: users.into_iter().map(principal).collect(),
        permission_sets: permission_sets
            .into_iter()
            .map(|(arn, name)| SnapshotPermissionSet {
                not_provisioned_accounts: not_provisioned.get(&arn).cloned().unwrap_or_default(),
                arn,
                name,
            })
            .collect(),
        assignments: assignments.into_iter().collect(),
    };
    snapshot.sort();
    Ok(snapshot)
}
