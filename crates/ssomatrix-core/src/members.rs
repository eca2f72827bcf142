//! Who is in the groups that hold assignments: what the access report and
//! the plan's people counts expand a group's assignments with.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::{PrincipalId, PrincipalType};
use crate::live::{Assignment, LiveState};
use crate::snapshot::Snapshot;

/// Why the members of a group a snapshot holds are unknown.
pub const NOT_IN_SNAPSHOT: &str =
    "the snapshot does not record its members (export it again with this version)";

/// Group memberships as read, and the names of the users they name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memberships {
    /// Group id → the user ids of its members. A group that is not here was
    /// not read (or no longer exists).
    pub groups: BTreeMap<PrincipalId, BTreeSet<PrincipalId>>,
    /// User id → user name, for every member and every user that holds an
    /// assignment; `None` for a user that no longer exists (a listing may
    /// still name a user deleted a moment ago).
    pub users: BTreeMap<PrincipalId, Option<String>>,
    /// Groups whose members could not be read, with why (the snapshot does
    /// not record them, or the identity store refused the listing): their
    /// people are unknown, which reports say instead of failing.
    pub unread: BTreeMap<PrincipalId, String>,
}

impl Memberships {
    /// The members of `group`; `None` when they were not read.
    pub fn members(&self, group: &PrincipalId) -> Option<&BTreeSet<PrincipalId>> {
        self.groups.get(group)
    }

    /// The user's name; `None` when it no longer exists or is unknown.
    pub fn user_name(&self, user: &PrincipalId) -> Option<&str> {
        self.users.get(user).and_then(Option::as_deref)
    }

    /// The members a snapshot records (`members` on its groups), named from
    /// its users: what reading them from the snapshot's simulator gives.
    pub fn of_snapshot(snapshot: &Snapshot) -> Memberships {
        let names: BTreeMap<&PrincipalId, &str> = snapshot
            .users
            .iter()
            .map(|u| (&u.id, u.name.as_str()))
            .collect();
        let groups: BTreeMap<PrincipalId, BTreeSet<PrincipalId>> = snapshot
            .groups
            .iter()
            .filter_map(|g| Some((g.id.clone(), g.members.clone()?)))
            .collect();
        let users = groups
            .values()
            .flatten()
            .chain(
                snapshot
                    .assignments
                    .iter()
                    .filter(|a| a.principal_type == PrincipalType::User)
                    .map(|a| &a.principal_id),
            )
            .map(|u| (u.clone(), names.get(u).map(|n| (*n).to_owned())))
            .collect();
        let unread = snapshot
            .groups
            .iter()
            .filter(|g| g.members.is_none())
            .map(|g| (g.id.clone(), NOT_IN_SNAPSHOT.to_owned()))
            .collect();
        Memberships {
            groups,
            users,
            unread,
        }
    }

    /// Forgets what was read of the groups a snapshot does not record
    /// `members` for: its simulator answers for them as for empty groups,
    /// and nobody must be counted out of a group whose people are unknown.
    pub fn forget_unrecorded(&mut self, snapshot: &Snapshot) {
        for g in snapshot.groups.iter().filter(|g| g.members.is_none()) {
            if self.groups.remove(&g.id).is_some() {
                self.unread.insert(g.id.clone(), NOT_IN_SNAPSHOT.to_owned());
            }
        }
    }
}

/// The groups that hold live assignments and still exist: the only groups
/// whose members give someone access.
pub fn groups_holding<'a>(
    live: &LiveState,
    assignments: impl IntoIterator<Item = &'a Assignment>,
) -> BTreeSet<PrincipalId> {
    assignments
        .into_iter()
        .filter(|a| a.principal_type == PrincipalType::Group)
        .filter(|a| {
            !live
                .principals
                .is_deleted(PrincipalType::Group, &a.principal_id)
        })
        .map(|a| a.principal_id.clone())
        .collect()
}
