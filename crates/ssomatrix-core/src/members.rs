//! Who is in the groups that hold assignments: what the access report and
//! the plan's people counts expand a group's assignments with.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::{PrincipalId, PrincipalType};
use crate::live::{Assignment, LiveState};
use crate::snapshot::Snapshot;

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
        Memberships { groups, users }
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
