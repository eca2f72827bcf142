//! The per-account read (`--account`): the live state of some accounts
//! only, at a cost that does not grow with the organization.
//!
//! Organizations: `DescribeAccount` per account named by id (a name costs
//! one `ListAccounts` of the whole organization instead, the only way to
//! find an account by name), the parents up to the root (`ListParents`, and
//! `DescribeOrganizationalUnit` for each OU, once each however many accounts
//! share it), and the accounts' tags when rules use tags. sso-admin: every
//! permission set, as the full read does (a name resolves only so), then
//! per account the permission sets provisioned to it
//! (`ListPermissionSetsProvisionedToAccount`) and the assignments of those
//! pairs the plan reads. identitystore: only the principals of the rules
//! that select one of the accounts.
//!
//! The tree it builds is partial ([`OrgTree::into_partial`]): the planner
//! lets a reference to an OU or account outside it select nothing, and the
//! plan says which accounts it covers.

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt, TryStreamExt};
use ssomatrix_core::config::Config;
use ssomatrix_core::ids::{AccountId, InstanceArn, OuId, PermissionSetArn, RootId};
use ssomatrix_core::live::{Assignment, LiveState, Principals};
use ssomatrix_core::org::{Account, NodeId, OrgTree, Ou};
use ssomatrix_core::partial::{self, AccountSelector, SelectError};
use ssomatrix_core::ports::{
    AccountInfo, IdentityStore, Operation, OrgChild, Organizations, OuInfo, PortError,
    ProvisioningFilter, SsoAdmin, Sts,
};
use ssomatrix_core::scope::Scope;

use crate::EngineError;
use crate::caller::{provisioned_to_management, read_caller};
use crate::client::Client;
use crate::inventory::pairs::{describe_permission_sets, list_permission_sets, read_assignments};
use crate::inventory::{
    InventoryStrategy, Progress, ReadOptions, discover_instance, name_principals,
};
use crate::principals::resolve_principals;

/// AWS nests OUs at most five deep under the root; a chain of parents
/// longer than this is not a tree.
const MAX_OU_DEPTH: usize = 5;

mod sets;

/// Reads what planning `config` for the `accounts` needs, and nothing of the
/// other accounts. With `all_sets`, the assignments of every permission set
/// in those accounts (drift counts those outside the scope).
pub async fn read_accounts_live_state<S: SsoAdmin, I: IdentityStore, O: Organizations + Sts>(
    client: &Client<S, I, O>,
    config: &Config,
    accounts: &[AccountSelector],
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
    let (caller, org, listed) = futures::try_join!(
        read_caller(client),
        read_partial_org(client, accounts, config.uses_account_tags()),
        list_permission_sets(client, &arn),
    )?;
    let mut live = LiveState {
        instance_arn: arn,
        identity_store_id: store,
        caller_account_id: Some(caller.clone()),
        provisioned_to_management: BTreeSet::new(),
        org,
        permission_sets: BTreeMap::new(),
        principals: Principals::default(),
        assignments: BTreeSet::new(),
        read_permission_sets: BTreeSet::new(),
        not_provisioned: BTreeMap::new(),
        assignment_read: None,
    };
    let ids: Vec<AccountId> = live.org.accounts().map(|a| a.id.clone()).collect();
    let exhaustive = options.strategy == InventoryStrategy::Exhaustive;
    let (provisioned, stale) = futures::try_join!(
        async {
            if exhaustive {
                // Every pair is read: what is provisioned does not matter.
                Ok(Vec::new())
            } else {
                provisioned_sets(client, &live.instance_arn, &ids, None).await
            }
        },
        async {
            if options.provisioning_status {
                let filter = Some(ProvisioningFilter::LatestNotProvisioned);
                provisioned_sets(client, &live.instance_arn, &ids, filter).await
            } else {
                Ok(Vec::new())
            }
        },
    )?;
    live.permission_sets = if exhaustive {
        // Every pair of every set in scope is read: every name is needed.
        describe_permission_sets(client, &live.instance_arn, listed).await?
    } else {
        let in_accounts = (provisioned.iter().chain(&stale))
            .flat_map(|(_, s)| s)
            .cloned()
            .collect();
        let needed = sets::Needed {
            names: partial::permission_sets_needed(config, &live),
            patterns: config
                .scope
                .exclude
                .iter()
                .map(|p| p.value.as_str())
                .collect(),
        };
        let (arn, org) = (&live.instance_arn, &live.org);
        sets::name_needed_sets(client, arn, org, &listed, &in_accounts, &needed).await?
    };
    live.read_permission_sets = if all_sets {
        live.permission_sets.keys().cloned().collect()
    } else {
        Scope::of(config, &live.permission_sets).to_read
    };
    let names = partial::principals_needed(config, &live);
    let (mut principals, assignments, management_sets) = futures::try_join!(
        resolve_principals(client, &live.identity_store_id, names),
        account_assignments(client, &live, provisioned, options.strategy, progress),
        provisioned_to_management(client, &live.instance_arn, &live.org, &caller),
    )?;
    name_principals(
        client,
        &live.identity_store_id,
        &assignments,
        &mut principals,
    )
    .await?;
    live.principals = principals;
    live.assignments = assignments;
    live.not_provisioned = out_of_sync(stale, &live.read_permission_sets);
    live.provisioned_to_management = management_sets;
    Ok(live)
}

/// Reads the named accounts, the OUs above them and the management account's
/// id, as a partial tree.
async fn read_partial_org<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    selectors: &[AccountSelector],
    with_tags: bool,
) -> Result<OrgTree, EngineError> {
    let org = &client.ports.org;
    let (management, infos) = futures::try_join!(
        async {
            client
                .call(Operation::DescribeOrganization, || {
                    org.describe_organization()
                })
                .await
                .map_err(EngineError::from)
        },
        named_accounts(client, selectors),
    )?;
    let ids: Vec<AccountId> = infos.keys().cloned().collect();
    let (place, tags) = futures::try_join!(read_places(client, &ids), async {
        if with_tags {
            account_tags(client, &ids).await
        } else {
            Ok(BTreeMap::new())
        }
    })?;
    let mut accounts = Vec::with_capacity(infos.len());
    for (id, info) in infos {
        let parent = place
            .parents
            .get(&OrgChild::Account(id.clone()))
            .cloned()
            .ok_or_else(|| no_parent(&OrgChild::Account(id.clone())))?;
        accounts.push(Account {
            tags: tags.get(&id).cloned().unwrap_or_default(),
            id,
            name: info.name,
            state: info.state,
            parent,
        });
    }
    Ok(OrgTree::new(place.root, Some(management), place.ous, accounts)?.into_partial())
}

/// Each selected account with its name and state: `DescribeAccount` for an
/// id, one `ListAccounts` for all the names.
async fn named_accounts<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    selectors: &[AccountSelector],
) -> Result<BTreeMap<AccountId, AccountInfo>, EngineError> {
    let org = &client.ports.org;
    let mut out = BTreeMap::new();
    let names: Vec<&str> = selectors
        .iter()
        .filter_map(|s| match s {
            AccountSelector::Name(n) => Some(n.as_str()),
            AccountSelector::Id(_) => None,
        })
        .collect();
    if !names.is_empty() {
        let all = client
            .all_pages(Operation::ListAccounts, |t| org.list_accounts(t))
            .await?;
        for id in partial::match_names(&names, &all)? {
            if let Some(info) = all.iter().find(|a| a.id == id) {
                out.insert(id, info.clone());
            }
        }
    }
    let ids: BTreeSet<&AccountId> = selectors
        .iter()
        .filter_map(|s| match s {
            AccountSelector::Id(id) => Some(id),
            AccountSelector::Name(_) => None,
        })
        .filter(|id| !out.contains_key(*id))
        .collect();
    let described: Vec<AccountInfo> = futures::stream::iter(ids)
        .map(|id| async move {
            match client
                .call(Operation::DescribeAccount, || org.describe_account(id))
                .await
            {
                Ok(info) => Ok(info),
                Err(e) if e.is_absent() => {
                    Err(EngineError::from(SelectError::NoSuchId(id.clone())))
                }
                Err(e) => Err(EngineError::from(e)),
            }
        })
        .buffer_unordered(client.budget.concurrency)
        .try_collect()
        .await?;
    out.extend(described.into_iter().map(|a| (a.id.clone(), a)));
    Ok(out)
}

/// Where the accounts sit: the parent of each account and OU on the way up,
/// the OUs with their names, and the root.
struct Places {
    root: RootId,
    parents: BTreeMap<OrgChild, NodeId>,
    ous: Vec<Ou>,
}

/// Climbs from the accounts to the root, one level at a time, asking each
/// child's parent once (`ListParents`) and naming each OU once
/// (`DescribeOrganizationalUnit`, alongside its own `ListParents`).
async fn read_places<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    accounts: &[AccountId],
) -> Result<Places, EngineError> {
    let org = &client.ports.org;
    let mut parents = BTreeMap::new();
    let mut names: BTreeMap<OuId, String> = BTreeMap::new();
    let mut root = None;
    let mut frontier: Vec<OrgChild> = accounts.iter().cloned().map(OrgChild::Account).collect();
    // One level for the accounts, one per OU level above them.
    for _ in 0..=MAX_OU_DEPTH {
        if frontier.is_empty() {
            break;
        }
        let level: Vec<(OrgChild, NodeId, Option<OuInfo>)> =
            futures::stream::iter(std::mem::take(&mut frontier))
                .map(|child| async move {
                    let (found, info) = futures::try_join!(
                        client.all_pages(Operation::ListParents, |t| org.list_parents(&child, t)),
                        async {
                            match &child {
                                OrgChild::Ou(id) => client
                                    .call(Operation::DescribeOrganizationalUnit, || {
                                        org.describe_organizational_unit(id)
                                    })
                                    .await
                                    .map(Some),
                                OrgChild::Account(_) => Ok(None),
                            }
                        }
                    )?;
                    let parent = found.into_iter().next().ok_or_else(|| no_parent(&child))?;
                    Ok::<_, EngineError>((child, parent, info))
                })
                .buffer_unordered(client.budget.concurrency)
                .try_collect()
                .await?;
        for (child, parent, info) in level {
            if let Some(info) = info {
                names.insert(info.id, info.name);
            }
            match &parent {
                NodeId::Root(r) => root = Some(r.clone()),
                NodeId::Ou(id) => {
                    let next = OrgChild::Ou(id.clone());
                    if !parents.contains_key(&next) && !frontier.contains(&next) {
                        frontier.push(next);
                    }
                }
            }
            parents.insert(child, parent);
        }
    }
    if !frontier.is_empty() {
        return Err(EngineError::Unexpected(format!(
            "the OUs above the accounts nest more than {MAX_OU_DEPTH} deep, which AWS does not allow; the organization read is not a tree"
        )));
    }
    let root =
        root.ok_or_else(|| EngineError::Unexpected("ListParents never reached the root".into()))?;
    let ous = parents
        .iter()
        .filter_map(|(child, parent)| match child {
            OrgChild::Ou(id) => Some(Ou {
                id: id.clone(),
                name: names.get(id).cloned().unwrap_or_default(),
                parent: parent.clone(),
            }),
            OrgChild::Account(_) => None,
        })
        .collect();
    Ok(Places { root, parents, ous })
}

fn no_parent(child: &OrgChild) -> EngineError {
    EngineError::Unexpected(format!(
        "ListParents gave no parent for {child}; the AWS API may have changed, please report it"
    ))
}

async fn account_tags<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    accounts: &[AccountId],
) -> Result<BTreeMap<AccountId, BTreeMap<String, String>>, EngineError> {
    let org = &client.ports.org;
    let tags: Vec<_> = futures::stream::iter(accounts)
        .map(|id| async move {
            let tags = client
                .all_pages(Operation::ListTagsForResource, |t| {
                    org.list_tags_for_resource(id, t)
                })
                .await?;
            Ok::<_, PortError>((id.clone(), tags.into_iter().collect()))
        })
        .buffer_unordered(client.budget.concurrency)
        .try_collect()
        .await?;
    Ok(tags.into_iter().collect())
}

type NotProvisioned = BTreeMap<PermissionSetArn, BTreeSet<AccountId>>;

/// The sets provisioned to each of `accounts` (with `filter`, those whose
/// latest version is not), one paginated
/// `ListPermissionSetsProvisionedToAccount` per account.
async fn provisioned_sets<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    accounts: &[AccountId],
    filter: Option<ProvisioningFilter>,
) -> Result<Vec<(AccountId, Vec<PermissionSetArn>)>, EngineError> {
    let sso = &client.ports.sso;
    Ok(futures::stream::iter(accounts)
        .map(|account| async move {
            let sets = client
                .all_pages(Operation::ListPermissionSetsProvisionedToAccount, |t| {
                    sso.list_permission_sets_provisioned_to_account(instance, account, filter, t)
                })
                .await?;
            Ok::<_, PortError>((account.clone(), sets))
        })
        .buffer_unordered(client.budget.concurrency)
        .try_collect()
        .await?)
}

/// Where the sets read are out of sync, from the per-account listings.
fn out_of_sync(
    stale: Vec<(AccountId, Vec<PermissionSetArn>)>,
    read: &BTreeSet<PermissionSetArn>,
) -> NotProvisioned {
    let mut not_provisioned = NotProvisioned::new();
    for (account, sets) in stale {
        for ps in sets.into_iter().filter(|ps| read.contains(ps)) {
            not_provisioned
                .entry(ps)
                .or_default()
                .insert(account.clone());
        }
    }
    not_provisioned
}

/// The live assignments of the accounts of `live`'s tree, of the permission
/// sets it reads: one `ListAccountAssignments` per pair, the pairs being
/// the sets `provisioned` to each account (every set read, exhaustively).
async fn account_assignments<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    live: &LiveState,
    provisioned: Vec<(AccountId, Vec<PermissionSetArn>)>,
    strategy: InventoryStrategy,
    progress: &Progress,
) -> Result<BTreeSet<Assignment>, EngineError> {
    let read = &live.read_permission_sets;
    let pairs: Vec<(AccountId, PermissionSetArn)> = match strategy {
        // A few named accounts: their own provisioned sets are the fewest
        // listings whichever way the whole organisation would be read.
        InventoryStrategy::Provisioned
        | InventoryStrategy::ByPrincipal
        | InventoryStrategy::Cheapest => provisioned
            .into_iter()
            .flat_map(|(a, sets)| sets.into_iter().map(move |ps| (a.clone(), ps)))
            .filter(|(_, ps)| read.contains(ps))
            .collect(),
        InventoryStrategy::Exhaustive => live
            .org
            .accounts()
            .flat_map(|a| read.iter().map(|ps| (a.id.clone(), ps.clone())))
            .collect(),
    };
    read_assignments(client, &live.instance_arn, pairs, progress).await
}
