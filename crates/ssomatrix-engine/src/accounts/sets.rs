//! Naming the permission sets a partial plan needs, and no others.
//!
//! A name resolves to its ARN only by describing ARNs (`ListPermissionSets`
//! gives ARNs, `DescribePermissionSet` one name each), and an organization
//! may hold hundreds of sets while one account needs a handful. So the
//! per-account read describes, in order, until every needed name is found:
//!
//! 1. the sets provisioned to the named accounts: needed whatever the file
//!    says (their assignments are read, and the scope is decided by name);
//! 2. the sets provisioned to a few of their siblings (the first page of
//!    `ListAccountsForParent` of each parent): the rules that select an
//!    account mostly select the accounts beside it, so a new account's sets
//!    are there;
//! 3. the others in ARN order, [`DESCRIBE_WINDOW`] at a time, until every needed name is found and every `scope.exclude`
//!    pattern matches a set kept.
//!
//! The result is cut down to the sets provisioned to the named accounts, the
//! sets the needed names name (whichever step found them), and, for a
//! pattern none of those match, its matches in the first window that has
//! one, so that the live state (and the plan's fingerprint) depends on the
//! instance only: not on the order in which describes finished, nor on what
//! the siblings held. When a name or a pattern is not found at all, every
//! set was described and all are kept: the plan's error (or warning) is
//! then the full plan's, with its suggestion.
//!
//! A name means one set of the instance (the planner and snapshots rely on
//! it everywhere; a snapshot with two sets of one name is refused) and
//! cannot change (`UpdatePermissionSet` takes no name), so once a name is
//! found, describing further cannot change what it means.

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt, TryStreamExt};
use ssomatrix_core::config::glob_match;
use ssomatrix_core::ids::{AccountId, AccountState, InstanceArn, PermissionSetArn};
use ssomatrix_core::org::{NodeId, OrgTree};
use ssomatrix_core::ports::{IdentityStore, Operation, Organizations, PortError, SsoAdmin};

use crate::EngineError;
use crate::client::Client;
use crate::inventory::pairs::describe_permission_sets;

/// Siblings asked for their provisioned sets, per parent of a named
/// account: enough that one new or unusual sibling does not hide the
/// common sets, few enough to cost a handful of calls.
pub(crate) const SIBLINGS_ASKED: usize = 3;

/// Describes issued together when every set may have to be described: two
/// thirds of a second of the sso-admin budget, so a window costs little
/// time, and stopping after one wastes at most this many calls.
pub(crate) const DESCRIBE_WINDOW: usize = 10;

/// What a partial plan must be able to name: the permission sets the rules
/// of the named accounts (and `scope.permission_sets`) call by name, and one
/// set per `scope.exclude` pattern, whose check ("matches no permission set
/// of the instance") guards against a misspelt exclusion.
pub(crate) struct Needed<'a> {
    pub names: BTreeSet<String>,
    pub patterns: Vec<&'a str>,
}

/// The permission sets of the instance (`listed`) a partial plan of the
/// accounts of `org` needs: every set `provisioned` to them, the sets the
/// needed names call, and for each exclude pattern none of those match, the
/// matching sets among the first of the others in ARN order.
pub(crate) async fn name_needed_sets<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    org: &OrgTree,
    listed: &[PermissionSetArn],
    provisioned: &BTreeSet<PermissionSetArn>,
    needed: &Needed<'_>,
) -> Result<BTreeMap<PermissionSetArn, String>, EngineError> {
    let exists: BTreeSet<&PermissionSetArn> = listed.iter().collect();
    let first = provisioned.iter().filter(|a| exists.contains(a)).cloned();
    let mut named = describe_permission_sets(client, instance, first).await?;
    if !all_named(&named, &needed.names) {
        let hinted = sibling_sets(client, instance, org).await?;
        let next: Vec<PermissionSetArn> = hinted
            .into_iter()
            .filter(|a| exists.contains(a) && !named.contains_key(a))
            .collect();
        named.extend(describe_permission_sets(client, instance, next).await?);
    }
    let core = |named: &BTreeMap<PermissionSetArn, String>| -> BTreeSet<PermissionSetArn> {
        named
            .iter()
            .filter(|(arn, name)| provisioned.contains(*arn) || needed.names.contains(*name))
            .map(|(arn, _)| arn.clone())
            .collect()
    };
    // In ARN order and fixed windows, so that which sets answer for a
    // pattern depends on the instance only: not on which describes finished
    // first, nor on what the siblings held.
    let mut rest: Vec<&PermissionSetArn> = listed.iter().collect();
    rest.sort();
    let windows: Vec<&[&PermissionSetArn]> = rest.chunks(DESCRIBE_WINDOW).collect();
    let mut visited = 0;
    let found = |named: &BTreeMap<PermissionSetArn, String>, visited: usize| {
        let core = core(named);
        let seen = || windows[..visited].iter().flat_map(|w| w.iter().copied());
        all_named(named, &needed.names)
            && needed
                .patterns
                .iter()
                .all(|p| matches_any(p, named, core.iter()) || matches_any(p, named, seen()))
    };
    while !found(&named, visited) {
        let Some(window) = windows.get(visited) else {
            // Every set was described: keep them all, so that the plan's
            // error for an unknown name or an unmatched pattern is the full
            // plan's, suggestion included.
            return Ok(named);
        };
        let new = window.iter().filter(|a| !named.contains_key(**a));
        named.extend(describe_permission_sets(client, instance, new.cloned().cloned()).await?);
        visited += 1;
    }
    let core = core(&named);
    let mut kept = core.clone();
    // A pattern no needed set matches is answered by the matching sets of the
    // first window that has one.
    for p in &needed.patterns {
        if matches_any(p, &named, core.iter()) {
            continue;
        }
        let first = windows[..visited]
            .iter()
            .find(|w| matches_any(p, &named, w.iter().copied()));
        if let Some(w) = first {
            kept.extend(
                w.iter()
                    .filter(|a| named.get(**a).is_some_and(|n| glob_match(p, n)))
                    .map(|a| (*a).clone()),
            );
        }
    }
    named.retain(|arn, _| kept.contains(arn));
    Ok(named)
}

/// Whether a set of `arns` (named in `named`) matches `pattern`.
fn matches_any<'a>(
    pattern: &str,
    named: &BTreeMap<PermissionSetArn, String>,
    mut arns: impl Iterator<Item = &'a PermissionSetArn>,
) -> bool {
    arns.any(|a| named.get(a).is_some_and(|n| glob_match(pattern, n)))
}

fn all_named(named: &BTreeMap<PermissionSetArn, String>, needed: &BTreeSet<String>) -> bool {
    let found: BTreeSet<&String> = named.values().collect();
    needed.iter().all(|n| found.contains(n))
}

/// The sets provisioned to up to [`SIBLINGS_ASKED`] active accounts beside
/// each named account (same parent), from the first page of each parent's
/// accounts.
async fn sibling_sets<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    org: &OrgTree,
) -> Result<BTreeSet<PermissionSetArn>, EngineError> {
    let named: BTreeSet<&AccountId> = org.accounts().map(|a| &a.id).collect();
    let parents: BTreeSet<&NodeId> = org.accounts().map(|a| &a.parent).collect();
    let orgs = &client.ports.org;
    let named = &named;
    let pages: Vec<Vec<AccountId>> = futures::stream::iter(parents)
        .map(|parent| async move {
            let page = client
                .call(Operation::ListAccountsForParent, || {
                    orgs.list_accounts_for_parent(parent, None)
                })
                .await?;
            Ok::<_, PortError>(
                page.items
                    .into_iter()
                    .filter(|a| a.state == AccountState::Active && !named.contains(&a.id))
                    .map(|a| a.id)
                    .take(SIBLINGS_ASKED)
                    .collect(),
            )
        })
        .buffer_unordered(client.budget.concurrency)
        .try_collect()
        .await?;
    let sso = &client.ports.sso;
    let sets: Vec<Vec<PermissionSetArn>> = futures::stream::iter(pages.into_iter().flatten())
        .map(|account| async move {
            client
                .all_pages(Operation::ListPermissionSetsProvisionedToAccount, |t| {
                    sso.list_permission_sets_provisioned_to_account(instance, &account, None, t)
                })
                .await
        })
        .buffer_unordered(client.budget.concurrency)
        .try_collect()
        .await?;
    Ok(sets.into_iter().flatten().collect())
}
