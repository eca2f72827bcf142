//! The organization: its OU tree, accounts and, when the file uses them,
//! the accounts' tags.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;

use futures::{StreamExt, TryStreamExt};
use ssomatrix_core::ids::AccountId;
use ssomatrix_core::org::{Account, NodeId, OrgTree, Ou};
use ssomatrix_core::ports::{IdentityStore, Operation, Organizations, PortError, SsoAdmin};

use super::Progress;
use crate::EngineError;
use crate::client::Client;

/// The management account (`DescribeOrganization`).
pub(crate) async fn management_account<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
) -> Result<AccountId, EngineError> {
    let org = &client.ports.org;
    Ok(client
        .call(Operation::DescribeOrganization, || {
            org.describe_organization()
        })
        .await?)
}

/// The organization; `management` when already known (else read here).
pub(crate) async fn read_org<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    with_tags: bool,
    management: Option<AccountId>,
    progress: &Progress,
) -> Result<OrgTree, EngineError> {
    let org = &client.ports.org;
    let management = match management {
        Some(known) => known,
        None => management_account(client).await?,
    };
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
