//! The rows of an access report: every judged assignment expanded to the
//! people it reaches, the text of each account, permission set, user and
//! group made once and shared by its rows. Each row is first a few indexes
//! (which assignment, which user, which path); those are put in the
//! report's order by the ranks of their text, and the rows are then built
//! once, in that order: a million rows are never compared text by text,
//! nor moved after they are built.

use std::collections::{BTreeMap, BTreeSet};

use super::{AccessRow, AccessStatus, Judgement, Shared};
use crate::date::Date;
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

/// A group's name (its id when it has none), id and members (indexes of
/// their text).
struct GroupText {
    name: Shared,
    id: Shared,
    people: Vec<u32>,
}

/// What the rows of one judged assignment share.
struct Base {
    account: u32,
    set: u32,
    rule: Option<usize>,
    rule_line: Option<usize>,
    owner: Option<Shared>,
    expires: Option<Date>,
}

/// A row before it is built: its assignment's [`Base`], its user, its path
/// (0: direct, else a group's index + 1) and its status.
#[derive(Clone, Copy)]
struct Spec {
    base: u32,
    user: u32,
    via: u32,
    status: AccessStatus,
}

/// Texts by index, each made once, with the index of each key.
struct Texts<'l, K: ?Sized, T> {
    index: BTreeMap<&'l K, u32>,
    texts: Vec<T>,
}

impl<'l, K: Ord + ?Sized, T> Texts<'l, K, T> {
    fn new() -> Self {
        Texts {
            index: BTreeMap::new(),
            texts: Vec::new(),
        }
    }

    /// The index of `key`'s text, made by `make` the first time.
    fn of(&mut self, key: &'l K, make: impl FnOnce() -> T) -> u32 {
        if let Some(i) = self.index.get(key) {
            return *i;
        }
        let text = make();
        let i = u32::try_from(self.texts.len()).unwrap_or(u32::MAX);
        self.texts.push(text);
        self.index.insert(key, i);
        i
    }

    fn get(&self, i: u32) -> &T {
        &self.texts[i as usize]
    }
}

/// The rows being built, with the text they share.
pub(super) struct Rows<'l> {
    live: &'l LiveState,
    memberships: &'l Memberships,
    accounts: Texts<'l, AccountId, AccountText>,
    sets: Texts<'l, PermissionSetArn, SetText>,
    users: Texts<'l, PrincipalId, UserText>,
    groups: Texts<'l, PrincipalId, GroupText>,
    direct: Shared,
    bases: Vec<Base>,
    specs: Vec<Spec>,
    /// The rows, once [`Rows::sorted`] has built them.
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
            accounts: Texts::new(),
            sets: Texts::new(),
            users: Texts::new(),
            groups: Texts::new(),
            direct: Shared::from("direct"),
            bases: Vec::new(),
            specs: Vec::with_capacity(count),
            rows: Vec::new(),
            unread: BTreeSet::new(),
            empty: BTreeSet::new(),
        }
    }

    /// Adds the rows of one judged assignment: one for a user, one per
    /// member for a group that still exists.
    pub(super) fn add(&mut self, judged: &Judgement<'_, 'l>) {
        let (live, memberships) = (self.live, self.memberships);
        let a = judged.assignment;
        let id = &a.principal_id;
        let group = match a.principal_type {
            PrincipalType::User => None,
            PrincipalType::Group => {
                if live.principals.is_deleted(PrincipalType::Group, id) {
                    return;
                }
                let Some(members) = memberships.members(id) else {
                    self.unread.insert(group_name(live, id).to_string());
                    return;
                };
                let users = &mut self.users;
                let g = self.groups.of(id, || GroupText {
                    name: group_name(live, id),
                    id: id.as_str().into(),
                    people: (members.iter())
                        .map(|u| user_text(users, u, memberships.user_name(u)))
                        .collect(),
                });
                if self.groups.get(g).people.is_empty() {
                    self.empty.insert(self.groups.get(g).name.to_string());
                }
                Some(g)
            }
        };
        let base = self.base(judged);
        match group {
            None => {
                let name = (memberships.user_name(id))
                    .or_else(|| live.principals.name_of(PrincipalType::User, id));
                let user = user_text(&mut self.users, id, name);
                self.specs.push(Spec {
                    base,
                    user,
                    via: 0,
                    status: judged.status,
                });
            }
            Some(g) => {
                for &user in &self.groups.get(g).people {
                    let status = match self.users.get(user).1 {
                        None => AccessStatus::UserDeleted,
                        Some(_) => judged.status,
                    };
                    self.specs.push(Spec {
                        base,
                        user,
                        via: g + 1,
                        status,
                    });
                }
            }
        }
    }

    /// The index of the judged assignment's [`Base`], its account's and
    /// permission set's text made the first time.
    fn base(&mut self, judged: &Judgement<'_, 'l>) -> u32 {
        let live = self.live;
        let a = judged.assignment;
        let account = self.accounts.of(&a.account_id, || AccountText {
            id: a.account_id.as_str().into(),
            name: (live.org.account(&a.account_id))
                .map_or_else(Shared::default, |x| x.name.as_str().into()),
            ou_path: live.org.account_location(&a.account_id).into(),
        });
        let set = self.sets.of(&a.permission_set_arn, || {
            (
                live.permission_set_name(&a.permission_set_arn).into(),
                a.permission_set_arn.as_str().into(),
            )
        });
        let rule = judged.rule;
        let expiry = rule.and_then(|r| r.expiry.as_ref());
        self.bases.push(Base {
            account,
            set,
            rule: rule.map(|r| r.number),
            rule_line: rule.and_then(|r| r.line),
            owner: expiry.and_then(|e| e.owner.as_deref()).map(Shared::from),
            expires: expiry.map(|e| e.expires),
        });
        u32::try_from(self.bases.len() - 1).unwrap_or(u32::MAX)
    }

    /// The rows in the report's order: by user (deleted users last),
    /// account, permission set, then path (`direct` before groups, groups
    /// by name).
    pub(super) fn sorted(mut self) -> Self {
        let ranks = Ranks::of(&self);
        let mut keys: Vec<(u128, u32)> = (self.specs.iter().zip(0u32..))
            .map(|(spec, i)| (ranks.key(&self.bases, spec), i))
            .collect();
        keys.sort_unstable();
        let specs = std::mem::take(&mut self.specs);
        let mut rows = Vec::with_capacity(keys.len());
        rows.extend(keys.into_iter().map(|(_, i)| self.row(&specs[i as usize])));
        self.rows = rows;
        self
    }

    /// The row `spec` describes.
    fn row(&self, spec: &Spec) -> AccessRow {
        let base = &self.bases[spec.base as usize];
        let account = self.accounts.get(base.account);
        let set = self.sets.get(base.set);
        let user = self.users.get(spec.user);
        let (via, group_id) = match spec.via {
            0 => (self.direct.clone(), None),
            g => {
                let g = self.groups.get(g - 1);
                (g.name.clone(), Some(g.id.clone()))
            }
        };
        AccessRow {
            user: user.1.clone(),
            user_id: user.0.clone(),
            via,
            group_id,
            account_id: account.id.clone(),
            account_name: account.name.clone(),
            ou_path: account.ou_path.clone(),
            permission_set: set.0.clone(),
            permission_set_arn: set.1.clone(),
            rule: base.rule,
            rule_line: base.rule_line,
            owner: base.owner.clone(),
            expires: base.expires,
            status: spec.status,
        }
    }
}

/// A group's name, or its id when the reader found none.
fn group_name(live: &LiveState, id: &PrincipalId) -> Shared {
    (live.principals.name_of(PrincipalType::Group, id))
        .map_or_else(|| id.as_str().into(), Shared::from)
}

/// The index of the user's text, made once for all its rows.
fn user_text<'l>(
    users: &mut Texts<'l, PrincipalId, UserText>,
    id: &'l PrincipalId,
    name: Option<&str>,
) -> u32 {
    users.of(id, || (id.as_str().into(), name.map(Shared::from)))
}

/// The rank of each user, account, permission set and group (by index) in
/// the report's order.
struct Ranks {
    users: Vec<u32>,
    accounts: Vec<u32>,
    sets: Vec<u32>,
    groups: Vec<u32>,
}

/// The rank of each of `texts` in the order of `key`.
fn rank<T, K: Ord>(texts: &[T], key: impl Fn(&T) -> K) -> Vec<u32> {
    let mut order: Vec<u32> = (0u32..).take(texts.len()).collect();
    order.sort_by_key(|i| key(&texts[*i as usize]));
    let mut ranks = vec![0; texts.len()];
    for (rank, i) in (0u32..).zip(order) {
        ranks[i as usize] = rank;
    }
    ranks
}

impl Ranks {
    fn of(rows: &Rows<'_>) -> Ranks {
        Ranks {
            users: rank(&rows.users.texts, |(id, name)| {
                (name.is_none(), name.clone(), id.clone())
            }),
            accounts: rank(&rows.accounts.texts, |a| (a.name.clone(), a.id.clone())),
            sets: rank(&rows.sets.texts, |s| s.0.clone()),
            groups: rank(&rows.groups.texts, |g| g.name.clone()),
        }
    }

    /// The row's place: its user, account, permission set and path ranks
    /// (`direct` first, then the groups).
    fn key(&self, bases: &[Base], spec: &Spec) -> u128 {
        let base = &bases[spec.base as usize];
        let via = match spec.via {
            0 => 0,
            g => self.groups[(g - 1) as usize] + 1,
        };
        (u128::from(self.users[spec.user as usize]) << 96)
            | (u128::from(self.accounts[base.account as usize]) << 64)
            | (u128::from(self.sets[base.set as usize]) << 32)
            | u128::from(via)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::config::Config;
    use crate::date::Date;
    use crate::snapshot::Snapshot;

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
    fn order(r: &AccessRow) -> RowOrder<'_> {
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
}
