//! The rows of an access report: every judged assignment expanded to the
//! people it reaches, the text of each account, permission set, user and
//! group made once and shared by its rows, and the rows put in the report's
//! order by ranks of that text rather than by comparing it row to row
//! (a million rows sort in a fraction of the time).

use std::collections::{BTreeMap, BTreeSet};

use super::shared::ByAddr;
use super::{AccessRow, AccessStatus, Judgement, Shared};
use crate::config::Rule;
use crate::ids::{AccountId, PermissionSetArn, PrincipalId, PrincipalType};
use crate::live::LiveState;
use crate::members::Memberships;

/// An account's text, made once for all its rows.
struct AccountText {
    id: Shared,
    name: Shared,
    ou_path: Shared,
}

/// A permission set's name and ARN.
type SetText = (Shared, Shared);
/// A user's id and name (`None`: the user no longer exists).
type UserText = (Shared, Option<Shared>);

/// A group's name (its id when it has none), id and members' text.
struct GroupText {
    name: Shared,
    id: Shared,
    people: Vec<UserText>,
}

/// The rows being built, with the text they share.
pub(super) struct Rows<'l> {
    live: &'l LiveState,
    memberships: &'l Memberships,
    accounts: BTreeMap<&'l AccountId, AccountText>,
    sets: BTreeMap<&'l PermissionSetArn, SetText>,
    users: BTreeMap<&'l PrincipalId, UserText>,
    groups: BTreeMap<&'l PrincipalId, GroupText>,
    direct: Shared,
    pub(super) rows: Vec<AccessRow>,
    /// Names of the groups that hold assignments but whose members were
    /// not read, and of those that have none.
    pub(super) unread: BTreeSet<String>,
    pub(super) empty: BTreeSet<String>,
}

impl<'l> Rows<'l> {
    pub(super) fn new(live: &'l LiveState, memberships: &'l Memberships) -> Self {
        let count = (live.assignments.iter())
            .map(|a| match a.principal_type {
                PrincipalType::User => 1,
                PrincipalType::Group => memberships
                    .members(&a.principal_id)
                    .map_or(0, BTreeSet::len),
            })
            .sum();
        Rows {
            live,
            memberships,
            accounts: BTreeMap::new(),
            sets: BTreeMap::new(),
            users: BTreeMap::new(),
            groups: BTreeMap::new(),
            direct: Shared::from("direct"),
            rows: Vec::with_capacity(count),
            unread: BTreeSet::new(),
            empty: BTreeSet::new(),
        }
    }

    /// Adds the rows of one judged assignment: one for a user, one per
    /// member for a group that still exists.
    pub(super) fn add(&mut self, judged: &Judgement<'_, 'l>) {
        let (live, memberships) = (self.live, self.memberships);
        let a = judged.assignment;
        self.accounts
            .entry(&a.account_id)
            .or_insert_with(|| AccountText {
                id: a.account_id.as_str().into(),
                name: (live.org.account(&a.account_id))
                    .map_or_else(Shared::default, |x| x.name.as_str().into()),
                ou_path: live.org.account_location(&a.account_id).into(),
            });
        self.sets.entry(&a.permission_set_arn).or_insert_with(|| {
            (
                live.permission_set_name(&a.permission_set_arn).into(),
                a.permission_set_arn.as_str().into(),
            )
        });
        let base = Base {
            account: &self.accounts[&a.account_id],
            set: &self.sets[&a.permission_set_arn],
            rule: judged.rule,
            owner: (judged.rule)
                .and_then(|r| r.expiry.as_ref())
                .and_then(|e| e.owner.as_deref())
                .map(Shared::from),
        };
        let id = &a.principal_id;
        match a.principal_type {
            PrincipalType::User => {
                let name = (memberships.user_name(id))
                    .or_else(|| live.principals.name_of(PrincipalType::User, id));
                let user = user_text(&mut self.users, id, name);
                let row = base.row(
                    (&user.0, user.1.as_ref()),
                    (&self.direct, None),
                    judged.status,
                );
                self.rows.push(row);
            }
            PrincipalType::Group => {
                if live.principals.is_deleted(PrincipalType::Group, id) {
                    return;
                }
                let Some(members) = memberships.members(id) else {
                    self.unread.insert(group_name(live, id).to_string());
                    return;
                };
                let users = &mut self.users;
                let g = self.groups.entry(id).or_insert_with(|| GroupText {
                    name: group_name(live, id),
                    id: id.as_str().into(),
                    people: (members.iter())
                        .map(|u| user_text(users, u, memberships.user_name(u)))
                        .collect(),
                });
                if g.people.is_empty() {
                    self.empty.insert(g.name.to_string());
                }
                for (user, name) in &g.people {
                    let status = match name {
                        None => AccessStatus::UserDeleted,
                        Some(_) => judged.status,
                    };
                    let via = (&g.name, Some(&g.id));
                    self.rows.push(base.row((user, name.as_ref()), via, status));
                }
            }
        }
    }

    /// The rows in the report's order: by user (deleted users last),
    /// account, permission set, then path (`direct` before groups, groups
    /// by name).
    pub(super) fn sorted(mut self) -> Self {
        let ranks = Ranks::of(&self);
        let keys: Option<Vec<(u128, usize)>> = (self.rows.iter().enumerate())
            .map(|(i, r)| ranks.key(r).map(|k| (k, i)))
            .collect();
        match keys {
            Some(mut keys) => {
                keys.sort_unstable();
                permute(&mut self.rows, keys.into_iter().map(|(_, i)| i).collect());
            }
            // Every row's text is the builder's, so this does not happen;
            // comparing the text gives the same order, only slower.
            None => self.rows.sort_unstable_by(|x, y| order(x).cmp(&order(y))),
        }
        self
    }
}

/// A group's name, or its id when the reader found none.
fn group_name(live: &LiveState, id: &PrincipalId) -> Shared {
    (live.principals.name_of(PrincipalType::Group, id))
        .map_or_else(|| id.as_str().into(), Shared::from)
}

/// The user's text, made once for all its rows.
fn user_text<'l>(
    users: &mut BTreeMap<&'l PrincipalId, UserText>,
    id: &'l PrincipalId,
    name: Option<&str>,
) -> UserText {
    users
        .entry(id)
        .or_insert_with(|| (id.as_str().into(), name.map(Shared::from)))
        .clone()
}

/// The parts of a row that come from the assignment, shared by every
/// person it reaches.
struct Base<'a> {
    account: &'a AccountText,
    set: &'a SetText,
    rule: Option<&'a Rule>,
    owner: Option<Shared>,
}

impl Base<'_> {
    fn row(
        &self,
        user: (&Shared, Option<&Shared>),
        via: (&Shared, Option<&Shared>),
        status: AccessStatus,
    ) -> AccessRow {
        let rule = self.rule;
        AccessRow {
            user: user.1.cloned(),
            user_id: user.0.clone(),
            via: via.0.clone(),
            group_id: via.1.cloned(),
            account_id: self.account.id.clone(),
            account_name: self.account.name.clone(),
            ou_path: self.account.ou_path.clone(),
            permission_set: self.set.0.clone(),
            permission_set_arn: self.set.1.clone(),
            rule: rule.map(|r| r.number),
            rule_line: rule.and_then(|r| r.line),
            owner: self.owner.clone(),
            expires: rule.and_then(|r| r.expiry.as_ref()).map(|e| e.expires),
            status,
        }
    }
}

/// The rank of each user, account, permission set and path in the report's
/// order, by the address of the text the builder made for it.
struct Ranks {
    users: ByAddr<u32>,
    accounts: ByAddr<u32>,
    sets: ByAddr<u32>,
    via: ByAddr<u32>,
}

/// Ranks `items` in the order of `key`, by the address of `text`.
fn rank<'a, T: 'a, K: Ord>(
    items: impl Iterator<Item = &'a T>,
    key: impl Fn(&T) -> K,
    text: impl Fn(&T) -> &Shared,
) -> ByAddr<u32> {
    let mut items: Vec<&T> = items.collect();
    items.sort_by_key(|t| key(t));
    (items.into_iter().zip(0u32..))
        .map(|(t, i)| (text(t).addr(), i))
        .collect()
}

impl Ranks {
    fn of(rows: &Rows<'_>) -> Ranks {
        let mut via = rank(rows.groups.values(), |g| g.name.clone(), |g| &g.name);
        for r in via.values_mut() {
            *r += 1;
        }
        via.insert(rows.direct.addr(), 0);
        Ranks {
            users: rank(
                rows.users.values(),
                |(id, name)| (name.is_none(), name.clone(), id.clone()),
                |(id, _)| id,
            ),
            accounts: rank(
                rows.accounts.values(),
                |a| (a.name.clone(), a.id.clone()),
                |a| &a.id,
            ),
            sets: rank(rows.sets.values(), |s| s.0.clone(), |s| &s.0),
            via,
        }
    }

    /// The row's place: its user, account, permission set and path ranks.
    fn key(&self, r: &AccessRow) -> Option<u128> {
        let user = *self.users.get(&r.user_id.addr())?;
        let account = *self.accounts.get(&r.account_id.addr())?;
        let set = *self.sets.get(&r.permission_set.addr())?;
        let via = *self.via.get(&r.via.addr())?;
        Some(
            (u128::from(user) << 96)
                | (u128::from(account) << 64)
                | (u128::from(set) << 32)
                | u128::from(via),
        )
    }
}

/// Reorders `rows` in place so that row `i` is the one that was at
/// `from[i]`, following each cycle of the permutation once.
fn permute(rows: &mut [AccessRow], mut from: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..from.len() {
        let mut i = start;
        while from[i] != DONE {
            let j = from[i];
            from[i] = DONE;
            if j == start {
                break;
            }
            rows.swap(i, j);
            i = j;
        }
    }
}

type RowOrder<'a> = (
    bool,
    Option<&'a Shared>,
    &'a Shared,
    &'a Shared,
    &'a Shared,
    &'a Shared,
    bool,
    &'a Shared,
);

/// The report's order compared text by text (what the ranks give).
pub(super) fn order(r: &AccessRow) -> RowOrder<'_> {
    (
        r.user.is_none(),
        r.user.as_ref(),
        &r.user_id,
        &r.account_name,
        &r.account_id,
        &r.permission_set,
        r.group_id.is_some(),
        &r.via,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::config::Config;
    use crate::date::Date;
    use crate::snapshot::Snapshot;

    const CONFIG: &str = include_str!("../../../../assignments.example.yaml");
    const SNAPSHOT: &str = include_str!("../../../../examples/org.snapshot.yaml");

    /// The ranks give the order the text gives: every row of the example's
    /// report comes strictly after the one before it, compared text by text.
    #[test]
    fn the_ranked_order_is_the_order_of_the_text() {
        let snapshot = Snapshot::parse("org.snapshot.yaml", SNAPSHOT).unwrap();
        let live = snapshot.to_live_state().unwrap();
        let members = Memberships::of_snapshot(&snapshot);
        let config = Config::parse("assignments.example.yaml", CONFIG).unwrap();
        let today = Date::parse("2026-11-24").unwrap();
        let report = super::super::access(&config, &live, &members, today);
        assert!(report.rows.len() > 100, "{}", report.rows.len());
        for w in report.rows.windows(2) {
            assert!(order(&w[0]) < order(&w[1]), "{:?}\n{:?}", w[0], w[1]);
        }
        assert!(report.rows.iter().any(|r| r.group_id.is_none()));
        assert!(report.rows.iter().any(|r| r.user.is_none()));
    }

    /// Each row goes where the permutation says, cycles of every length.
    #[test]
    fn permute_moves_each_row_to_its_place() {
        let snapshot = Snapshot::parse("org.snapshot.yaml", SNAPSHOT).unwrap();
        let live = snapshot.to_live_state().unwrap();
        let members = Memberships::of_snapshot(&snapshot);
        let config = Config::parse("assignments.example.yaml", CONFIG).unwrap();
        let today = Date::parse("2026-11-24").unwrap();
        let rows = super::super::access(&config, &live, &members, today).rows;
        let rows: Vec<AccessRow> = rows.into_iter().take(7).collect();
        let from = vec![3, 0, 1, 2, 4, 6, 5];
        let mut moved = rows.clone();
        permute(&mut moved, from.clone());
        for (i, j) in from.into_iter().enumerate() {
            assert_eq!(moved[i], rows[j], "row {i}");
        }
    }
}
