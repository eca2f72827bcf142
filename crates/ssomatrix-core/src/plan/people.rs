//! The people a plan gives access to or takes it from: every change of a
//! group expanded to its members, a user's own assignment counted as that
//! one person, and "gain" and "lose" net per (account, permission set): a
//! person moved from one group to another on the same pair loses nothing.
//!
//! The counts are for review only. They are not part of what a saved plan
//! is checked against (`policy::check_saved_plan` ignores them), since a
//! membership change between plan and apply changes no assignment.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, PermissionSetArn, PrincipalId, PrincipalType};
use crate::live::LiveState;
use crate::members::Memberships;
use crate::plan::{Action, Plan};

/// Who gains and who loses access through the plan's changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct People {
    /// Distinct people who gain access somewhere.
    pub gain: usize,
    /// Distinct people who lose access somewhere.
    pub lose: usize,
    /// Per permission set, by name.
    pub permission_sets: Vec<PeopleOfSet>,
    /// Groups on the changed (account, permission set) pairs whose members
    /// are unknown: their people are not counted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_groups: Vec<UnknownGroup>,
}

/// The people who gain or lose one permission set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeopleOfSet {
    pub permission_set: String,
    pub permission_set_arn: PermissionSetArn,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gain: Option<Reach>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lose: Option<Reach>,
}

/// How many people gain (or lose) a permission set, where, and who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reach {
    /// Distinct people.
    pub people: usize,
    /// The accounts, by id, with how many people there.
    pub accounts: Vec<AccountPeople>,
    /// The people's user names, sorted; a user id where the name could not
    /// be read.
    pub users: Vec<String>,
}

/// How many people gain (or lose) a permission set in one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPeople {
    pub id: AccountId,
    pub name: String,
    /// Where the account sits: `Workloads/Prod`, or `Root`.
    pub ou_path: String,
    pub people: usize,
}

/// A group whose members are unknown, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownGroup {
    pub id: PrincipalId,
    /// `None` when the reader found no name for it.
    pub name: Option<String>,
    pub reason: String,
}

impl UnknownGroup {
    /// The group's name, or its id.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(self.id.as_str())
    }
}

type Pair<'a> = (&'a AccountId, &'a PermissionSetArn);
type Holder<'a> = (PrincipalType, &'a PrincipalId);

/// Who holds each changed pair before and after the plan.
#[derive(Default)]
struct Holders<'a> {
    before: BTreeSet<Holder<'a>>,
    after: BTreeSet<Holder<'a>>,
}

/// Each (account, permission set) pair the plan changes, with its holders
/// before (the live state) and after (minus the deletes, plus the creates).
fn holders<'a>(plan: &'a Plan, live: &'a LiveState) -> BTreeMap<Pair<'a>, Holders<'a>> {
    let mut pairs: BTreeMap<Pair<'a>, Holders<'a>> = plan
        .changes
        .iter()
        .map(|c| ((&c.account_id, &c.permission_set_arn), Holders::default()))
        .collect();
    for a in &live.assignments {
        if let Some(h) = pairs.get_mut(&(&a.account_id, &a.permission_set_arn)) {
            h.before.insert((a.principal_type, &a.principal_id));
        }
    }
    for h in pairs.values_mut() {
        h.after = h.before.clone();
    }
    for c in &plan.changes {
        if let Some(h) = pairs.get_mut(&(&c.account_id, &c.permission_set_arn)) {
            let holder = (c.principal_type, &c.principal_id);
            match c.action {
                Action::Create => h.after.insert(holder),
                Action::Delete => h.after.remove(&holder),
            };
        }
    }
    pairs
}

/// The groups whose members the people of `plan` need: those whose
/// assignments change, and the others holding the pairs that change (so
/// that "gain" and "lose" are net). None for a plan without changes.
pub fn groups_to_read(plan: &Plan, live: &LiveState) -> BTreeSet<PrincipalId> {
    holders(plan, live)
        .values()
        .flat_map(|h| h.before.iter().chain(&h.after))
        .filter(|(kind, id)| {
            *kind == PrincipalType::Group && !live.principals.is_deleted(*kind, id)
        })
        .map(|(_, id)| (*id).clone())
        .collect()
}

/// Expands holders to the people they give access to, noting the groups
/// whose members are unknown. Deleted principals reach nobody.
fn reach<'a>(
    holders: &BTreeSet<Holder<'a>>,
    live: &LiveState,
    members: &'a Memberships,
    unknown: &mut BTreeSet<&'a PrincipalId>,
) -> BTreeSet<&'a PrincipalId> {
    let exists = |user: &PrincipalId| {
        !live.principals.is_deleted(PrincipalType::User, user)
            && !matches!(members.users.get(user), Some(None))
    };
    let mut people = BTreeSet::new();
    for &(kind, id) in holders {
        if live.principals.is_deleted(kind, id) {
            continue;
        }
        match kind {
            PrincipalType::User => {
                if exists(id) {
                    people.insert(id);
                }
            }
            PrincipalType::Group => match members.members(id) {
                Some(m) => people.extend(m.iter().filter(|u| exists(u))),
                None => {
                    unknown.insert(id);
                }
            },
        }
    }
    people
}

/// Who gains and who loses a permission set: the people, and how many in
/// each account.
#[derive(Default)]
struct Tally<'a> {
    people: BTreeSet<&'a PrincipalId>,
    accounts: BTreeMap<&'a AccountId, usize>,
}

/// The people `plan` gives access to and takes it from, with the members
/// `members` read (those of [`groups_to_read`]).
pub fn people(plan: &Plan, live: &LiveState, members: &Memberships) -> People {
    let mut unknown = BTreeSet::new();
    let mut tallies: BTreeMap<(&PermissionSetArn, Action), Tally<'_>> = BTreeMap::new();
    for ((account, set), h) in holders(plan, live) {
        let before = reach(&h.before, live, members, &mut unknown);
        let after = reach(&h.after, live, members, &mut unknown);
        for (action, moved) in [
            (Action::Create, after.difference(&before)),
            (Action::Delete, before.difference(&after)),
        ] {
            let moved: Vec<_> = moved.copied().collect();
            if moved.is_empty() {
                continue;
            }
            let t = tallies.entry((set, action)).or_default();
            *t.accounts.entry(account).or_default() += moved.len();
            t.people.extend(moved);
        }
    }
    let label = |user: &PrincipalId| {
        members
            .user_name(user)
            .or_else(|| live.principals.name_of(PrincipalType::User, user))
            .map_or_else(|| user.to_string(), str::to_owned)
    };
    let reach_of = |t: &Tally<'_>| {
        let mut users: Vec<String> = t.people.iter().map(|u| label(u)).collect();
        users.sort();
        Reach {
            people: t.people.len(),
            accounts: t
                .accounts
                .iter()
                .map(|(id, n)| AccountPeople {
                    id: (*id).clone(),
                    name: live
                        .org
                        .account(id)
                        .map(|a| a.name.clone())
                        .unwrap_or_default(),
                    ou_path: live.org.account_location(id),
                    people: *n,
                })
                .collect(),
            users,
        }
    };
    let everyone = |action: Action| {
        tallies
            .iter()
            .filter(|((_, a), _)| *a == action)
            .flat_map(|(_, t)| &t.people)
            .collect::<BTreeSet<_>>()
            .len()
    };
    let sets: BTreeSet<&PermissionSetArn> = tallies.keys().map(|(s, _)| *s).collect();
    let mut permission_sets: Vec<PeopleOfSet> = sets
        .into_iter()
        .map(|set| PeopleOfSet {
            permission_set: live.permission_set_name(set).to_owned(),
            permission_set_arn: set.clone(),
            gain: tallies.get(&(set, Action::Create)).map(reach_of),
            lose: tallies.get(&(set, Action::Delete)).map(reach_of),
        })
        .collect();
    permission_sets.sort_by(|x, y| {
        (&x.permission_set, &x.permission_set_arn).cmp(&(&y.permission_set, &y.permission_set_arn))
    });
    People {
        gain: everyone(Action::Create),
        lose: everyone(Action::Delete),
        permission_sets,
        unknown_groups: unknown
            .into_iter()
            .map(|id| UnknownGroup {
                id: id.clone(),
                name: live
                    .principals
                    .name_of(PrincipalType::Group, id)
                    .map(str::to_owned),
                reason: members
                    .unread
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| "its members were not read".to_owned()),
            })
            .collect(),
    }
}

/// A saved plan's JSON without its `people`: what apply checks a saved
/// plan by. The people are for review and change no assignment, and the
/// members may change between plan and apply.
pub fn without_people(mut saved: serde_json::Value) -> serde_json::Value {
    if let Some(doc) = saved.as_object_mut() {
        doc.remove("people");
    }
    saved
}
