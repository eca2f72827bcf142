//! Reading group memberships (`ListGroupMemberships`) for the groups that
//! hold assignments, and naming the users they list, only for the commands
//! that need people (`access`, `explain`, `export`), and for `plan` only
//! those of the groups on the pairs it changes: apply does not pay for
//! them.

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt, TryStreamExt};
use ssomatrix_core::ids::{IdentityStoreId, PrincipalId, PrincipalType};
use ssomatrix_core::live::{LiveState, Principals};
use ssomatrix_core::members::{Memberships, groups_holding};
use ssomatrix_core::ports::{
    ErrorKind, IdentityStore, Operation, Organizations, PortError, SsoAdmin,
};
use ssomatrix_core::snapshot::Snapshot;

use crate::EngineError;
use crate::client::Client;
use crate::inventory::list_all_principals;

/// Users named one `DescribeUser` each up to this many; past it, one
/// `ListUsers` (100 a page) costs fewer calls in any store where the
/// members are a fair share of the users, and never more than a hundredth
/// of the store's size.
pub const DESCRIBE_USERS_AT_MOST: usize = 100;

/// The members of each group, one paginated `ListGroupMemberships` per
/// group, concurrently. A group deleted since it was seen is left out.
pub async fn list_members<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    store: &IdentityStoreId,
    groups: &BTreeSet<PrincipalId>,
) -> Result<BTreeMap<PrincipalId, BTreeSet<PrincipalId>>, EngineError> {
    let (read, _) = list_members_with(client, store, groups, Denied::Fail).await?;
    Ok(read)
}

/// What a listing the identity store refuses (AccessDenied) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Denied {
    /// Fails the read: the command is about people and cannot go on.
    Fail,
    /// Leaves the group unread, with why: the people are an addition to a
    /// plan, which must not fail for them.
    Note,
}

/// A group's listing: its members, gone, or refused with the error.
enum Listed {
    Members(BTreeSet<PrincipalId>),
    Gone,
    Refused(String),
}

type Read = BTreeMap<PrincipalId, BTreeSet<PrincipalId>>;

/// [`list_members`], and with [`Denied::Note`] the groups whose listing
/// was refused, with the refusal.
async fn list_members_with<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    store: &IdentityStoreId,
    groups: &BTreeSet<PrincipalId>,
    denied: Denied,
) -> Result<(Read, BTreeMap<PrincipalId, String>), EngineError> {
    let ids = &client.ports.ids;
    let listed: Vec<_> = futures::stream::iter(groups)
        .map(|group| async move {
            let members = client
                .all_pages(Operation::ListGroupMemberships, |t| {
                    ids.list_group_memberships(store, group, t)
                })
                .await;
            let listed = match members {
                Ok(m) => Listed::Members(m.into_iter().collect()),
                Err(e) if e.is_missing_principal() => Listed::Gone,
                Err(e) if denied == Denied::Note && e.kind == ErrorKind::AccessDenied => {
                    Listed::Refused(e.to_string())
                }
                Err(e) => return Err::<_, PortError>(e),
            };
            Ok((group.clone(), listed))
        })
        .buffer_unordered(client.budget.concurrency)
        .try_collect()
        .await?;
    let (mut read, mut refused) = (BTreeMap::new(), BTreeMap::new());
    for (group, listed) in listed {
        match listed {
            Listed::Members(m) => {
                read.insert(group, m);
            }
            Listed::Gone => {}
            Listed::Refused(why) => {
                refused.insert(group, why);
            }
        }
    }
    Ok((read, refused))
}

/// The members of `groups` and the names of the users they list: what the
/// people of a plan need (the users holding assignments themselves are
/// named in the live state already). A listing or a naming the
/// identity store refuses (AccessDenied) is not an error: the group stays
/// unread with the refusal, the users are shown by id.
pub async fn read_members_of<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    live: &LiveState,
    groups: &BTreeSet<PrincipalId>,
) -> Result<Memberships, EngineError> {
    let store = &live.identity_store_id;
    if groups.is_empty() {
        return Ok(Memberships::default());
    }
    let (read, unread) = list_members_with(client, store, groups, Denied::Note).await?;
    let users: BTreeSet<PrincipalId> = read.values().flatten().cloned().collect();
    let users = match name_users(client, store, users, &live.principals).await {
        Ok(named) => named,
        Err(EngineError::Port(e)) if e.kind == ErrorKind::AccessDenied => {
            tracing::warn!("the users the members name are shown by id: {e}");
            BTreeMap::new()
        }
        Err(e) => return Err(e),
    };
    Ok(Memberships {
        groups: read,
        users,
        unread,
    })
}

/// The members of the groups that hold `live`'s assignments, and the name
/// of every user they list or that holds an assignment itself. Names the
/// live state already has cost nothing; the others cost one `DescribeUser`
/// each, or one `ListUsers` listing when there are more than
/// [`DESCRIBE_USERS_AT_MOST`].
pub async fn read_memberships<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    live: &LiveState,
) -> Result<Memberships, EngineError> {
    let store = &live.identity_store_id;
    let groups = list_members(client, store, &groups_holding(live, &live.assignments)).await?;
    let users: BTreeSet<PrincipalId> = groups
        .values()
        .flatten()
        .cloned()
        .chain(
            live.assignments
                .iter()
                .filter(|a| a.principal_type == PrincipalType::User)
                .map(|a| a.principal_id.clone()),
        )
        .collect();
    let users = name_users(client, store, users, &live.principals).await?;
    Ok(Memberships {
        groups,
        users,
        unread: BTreeMap::new(),
    })
}

/// Names `users`, from what `known` has, then by the cheaper of describing
/// the rest one by one or listing every user once.
async fn name_users<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    store: &IdentityStoreId,
    users: BTreeSet<PrincipalId>,
    known: &Principals,
) -> Result<BTreeMap<PrincipalId, Option<String>>, EngineError> {
    let mut named = BTreeMap::new();
    let mut unknown = Vec::new();
    for user in users {
        match known.by_id.get(&(PrincipalType::User, user.clone())) {
            Some(name) => {
                named.insert(user, name.clone());
            }
            None => unknown.push(user),
        }
    }
    if unknown.len() > DESCRIBE_USERS_AT_MOST {
        let all: BTreeMap<PrincipalId, String> =
            list_all_principals(client, store, PrincipalType::User)
                .await?
                .into_iter()
                .collect();
        for user in unknown {
            let name = all.get(&user).cloned();
            named.insert(user, name);
        }
        return Ok(named);
    }
    let ids = &client.ports.ids;
    let described: Vec<_> = futures::stream::iter(unknown)
        .map(|user| async move {
            let name = client
                .call(Operation::DescribeUser, || ids.describe_user(store, &user))
                .await?;
            Ok::<_, PortError>((user, name))
        })
        .buffer_unordered(client.budget.concurrency)
        .try_collect()
        .await?;
    named.extend(described);
    Ok(named)
}

/// Records in `snapshot` the members of every group that holds one of its
/// assignments (`export`); other groups keep `members` absent.
pub async fn add_members<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    snapshot: &mut Snapshot,
) -> Result<(), EngineError> {
    let existing: BTreeSet<&PrincipalId> = snapshot.groups.iter().map(|g| &g.id).collect();
    let holding: BTreeSet<PrincipalId> = snapshot
        .assignments
        .iter()
        .filter(|a| a.principal_type == PrincipalType::Group)
        .map(|a| &a.principal_id)
        .filter(|id| existing.contains(id))
        .cloned()
        .collect();
    let mut members = list_members(client, &snapshot.identity_store_id, &holding).await?;
    for g in &mut snapshot.groups {
        if let Some(m) = members.remove(&g.id) {
            g.members = Some(m);
        }
    }
    Ok(())
}
