//! Who can reach what: every live assignment expanded to the people it gives
//! access to, one row per (user, account, permission set, path), where the
//! path is the group the access comes through or `direct`, each with the rule
//! of the file behind it and what the next apply does with it.
//!
//! The rows compose the planner's stages (`resolve`, `expand`, `classify`),
//! as the drift report does, so "declared" and the rule named here are
//! exactly the plan's. Like a drift report, an access report never fails on
//! a reference the file can no longer resolve.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::classify::{Class, DeleteReason, classify, declaring_rule_in_inactive};
use crate::config::{Config, Rule};
use crate::date::Date;
use crate::expand::{Expansion, expand};
use crate::ids::InstanceArn;
use crate::live::{Assignment, LiveState};
use crate::members::Memberships;
use crate::resolve::{Resolution, RuleIndex, resolve};
use crate::scope::Scope;

pub mod explain;
mod filter;
mod html;
pub mod render;
mod rows;
mod shared;

pub use filter::AccessFilter;
use rows::Rows;
pub use shared::Shared;

/// The access report format version written into JSON reports.
pub const ACCESS_FORMAT_VERSION: u32 = 1;

/// What the file and the next apply say about one access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessStatus {
    /// A rule in force declares the assignment: kept.
    Declared,
    /// No rule declares it: the next apply removes it.
    Undeclared,
    /// The exception that declared it has ended: the next apply removes it.
    Expired,
    /// Its account is not ACTIVE: left alone until it is.
    AccountNotActive,
    /// The file does not own its permission set: never touched.
    OutsideScope,
    /// The user (or group) the assignment names no longer exists: the next
    /// apply removes the assignment.
    PrincipalDeleted,
    /// The group's listing still names a user that no longer exists, so
    /// nobody can sign in with it; the group's assignment itself stays.
    UserDeleted,
    /// A rule that did not resolve may have declared it: not judged.
    Unresolved,
}

impl AccessStatus {
    /// The word the CSV and the HTML report show (`account_not_active`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccessStatus::Declared => "declared",
            AccessStatus::Undeclared => "undeclared",
            AccessStatus::Expired => "expired",
            AccessStatus::AccountNotActive => "account_not_active",
            AccessStatus::OutsideScope => "outside_scope",
            AccessStatus::PrincipalDeleted => "principal_deleted",
            AccessStatus::UserDeleted => "user_deleted",
            AccessStatus::Unresolved => "unresolved",
        }
    }

    /// One sentence for a person: what the status means for the access.
    pub fn describe(self) -> &'static str {
        match self {
            AccessStatus::Declared => "declared by the file; apply keeps it",
            AccessStatus::Undeclared => "nothing in the file grants it; the next apply removes it",
            AccessStatus::Expired => {
                "the exception that granted it has ended; the next apply removes it"
            }
            AccessStatus::AccountNotActive => {
                "the account is not ACTIVE; apply leaves it alone until it is"
            }
            AccessStatus::OutsideScope => {
                "the file does not own this permission set; apply never touches it"
            }
            AccessStatus::PrincipalDeleted => {
                "its principal no longer exists; the next apply removes the assignment"
            }
            AccessStatus::UserDeleted => {
                "the group still lists this user, who no longer exists and cannot sign in"
            }
            AccessStatus::Unresolved => {
                "a rule that no longer resolves may declare it; fix the file to have it judged"
            }
        }
    }

    /// Whether apply would take the access away (undeclared, expired,
    /// deleted principal): what the HTML report makes stand out.
    pub fn is_removed_by_apply(self) -> bool {
        matches!(
            self,
            AccessStatus::Undeclared | AccessStatus::Expired | AccessStatus::PrincipalDeleted
        )
    }
}

/// One person's access to one account with one permission set, by one path.
/// Its text is [`Shared`] with the other rows of the same account,
/// permission set, user or group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessRow {
    /// The user name; `None` when the user no longer exists.
    pub user: Option<Shared>,
    pub user_id: Shared,
    /// `direct`, or the name of the group the access comes through (its id
    /// when the group has no name the reader could find).
    pub via: Shared,
    /// The group's id when the access comes through a group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<Shared>,
    pub account_id: Shared,
    pub account_name: Shared,
    /// Where the account sits: `Workloads/NonProd`, or `Root`.
    pub ou_path: Shared,
    pub permission_set: Shared,
    pub permission_set_arn: Shared,
    /// The 1-based number of the rule that grants (or granted) it.
    pub rule: Option<usize>,
    /// The line of that rule in the file.
    pub rule_line: Option<usize>,
    pub owner: Option<Shared>,
    pub expires: Option<Date>,
    pub status: AccessStatus,
}

impl AccessRow {
    /// `#10 line 96`, `#10`, or empty for access no rule declares.
    pub fn rule_label(&self) -> String {
        match (self.rule, self.rule_line) {
            (Some(n), Some(line)) => format!("#{n} line {line}"),
            (Some(n), None) => format!("#{n}"),
            _ => String::new(),
        }
    }

    /// The user name, or `<deleted 1234…>`.
    pub fn user_label(&self) -> String {
        match &self.user {
            Some(name) => name.to_string(),
            None => format!("<deleted {}>", self.user_id),
        }
    }
}

/// How many rows, people, accounts and permission sets the report holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccessSummary {
    pub rows: usize,
    /// Distinct users (deleted ones included).
    pub people: usize,
    pub accounts: usize,
    pub permission_sets: usize,
    /// Rows by status (statuses without rows left out).
    pub by_status: BTreeMap<AccessStatus, usize>,
    /// Groups that hold assignments but whose members were not read (a
    /// snapshot from before `members` were exported): their people are
    /// missing from the rows.
    pub groups_without_members: Vec<String>,
    /// Groups that hold assignments and have no members.
    pub empty_groups: Vec<String>,
}

/// Every access of the live instance, judged against the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessReport {
    pub format_version: u32,
    pub instance_arn: InstanceArn,
    pub today: Date,
    pub summary: AccessSummary,
    /// Sorted by user, account, permission set and path.
    pub rows: Vec<AccessRow>,
}

/// What a live assignment's class says about the access it gives, and the
/// rule behind it.
fn status_of(
    a: &Assignment,
    class: Class,
    resolution: &Resolution<'_>,
    expansion: &Expansion,
) -> (AccessStatus, Option<RuleIndex>) {
    match class {
        Class::Unchanged => (
            AccessStatus::Declared,
            expansion.desired.get(a).map(|p| p.rule),
        ),
        Class::OutsideScope => (AccessStatus::OutsideScope, None),
        Class::InactiveAccount { declared } => (
            AccessStatus::AccountNotActive,
            declared
                .then(|| declaring_rule_in_inactive(a, resolution, expansion))
                .flatten(),
        ),
        Class::Delete(DeleteReason::Undeclared) => (AccessStatus::Undeclared, None),
        Class::Delete(DeleteReason::Expired(rule)) => (AccessStatus::Expired, Some(rule)),
        Class::Delete(DeleteReason::PrincipalDeleted) => (AccessStatus::PrincipalDeleted, None),
        Class::Unjudged(rule) => (AccessStatus::Unresolved, Some(rule)),
    }
}

/// What the file says about one live assignment: its status and the rule
/// behind it, if any.
#[derive(Debug, Clone, Copy)]
pub struct Judgement<'c, 'l> {
    pub assignment: &'l Assignment,
    pub status: AccessStatus,
    pub rule: Option<&'c Rule>,
}

/// Every live assignment of `live` judged against `config` as of `today`,
/// in the live state's order: the planner's stages, composed as the drift
/// report composes them.
pub fn judge<'c, 'l>(
    config: &'c Config,
    live: &'l LiveState,
    today: Date,
) -> Vec<Judgement<'c, 'l>> {
    judge_all(config, live, today).0
}

/// A declared assignment that is not live yet: the next apply creates it
/// (one of the plan's creates), with the rule that declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending<'c> {
    pub assignment: Assignment,
    pub rule: &'c Rule,
}

/// [`judge`], and the assignments the file declares that are not live.
pub fn judge_all<'c, 'l>(
    config: &'c Config,
    live: &'l LiveState,
    today: Date,
) -> (Vec<Judgement<'c, 'l>>, Vec<Pending<'c>>) {
    let resolution = resolve(config, live);
    let scope = Scope::of(config, &live.permission_sets);
    let expansion = expand(&resolution, live, today);
    let classes = classify(&resolution, &expansion, &scope, live);
    let judged = (classes.live.iter())
        .map(|j| {
            let (status, rule) = status_of(j.assignment, j.class, &resolution, &expansion);
            Judgement {
                assignment: j.assignment,
                status,
                rule: rule.map(|r| resolution.rule(r).rule),
            }
        })
        .collect();
    let pending = (classes.missing.iter())
        .map(|m| Pending {
            assignment: m.assignment.clone(),
            rule: resolution.rule(m.provenance.rule).rule,
        })
        .collect();
    (judged, pending)
}

/// The access report of `live` against `config`, as of `today`, with the
/// groups' members from `memberships`.
pub fn access(
    config: &Config,
    live: &LiveState,
    memberships: &Memberships,
    today: Date,
) -> AccessReport {
    let mut rows = Rows::new(live, memberships);
    for judged in judge(config, live, today) {
        rows.add(&judged);
    }
    let rows = rows.sorted();
    AccessReport {
        format_version: ACCESS_FORMAT_VERSION,
        instance_arn: live.instance_arn.clone(),
        today,
        summary: summary(&rows.rows, rows.unread, rows.empty),
        rows: rows.rows,
    }
}

/// How many distinct texts `of` gives for `rows`: first the distinct
/// copies, by address (the builder makes each text once, so a million rows
/// hold a few thousand), then the distinct texts among those.
fn distinct(rows: &[AccessRow], of: impl Fn(&AccessRow) -> &Shared) -> usize {
    let mut copies: shared::ByAddr<&str> = shared::ByAddr::default();
    for r in rows {
        let text = of(r);
        copies.entry(text.addr()).or_insert_with(|| text.as_str());
    }
    copies
        .into_values()
        .collect::<std::collections::HashSet<_>>()
        .len()
}

fn summary(rows: &[AccessRow], unread: BTreeSet<String>, empty: BTreeSet<String>) -> AccessSummary {
    let mut by_status = BTreeMap::new();
    for r in rows {
        *by_status.entry(r.status).or_insert(0) += 1;
    }
    AccessSummary {
        rows: rows.len(),
        people: distinct(rows, |r| &r.user_id),
        accounts: distinct(rows, |r| &r.account_id),
        permission_sets: distinct(rows, |r| &r.permission_set_arn),
        by_status,
        groups_without_members: unread.into_iter().collect(),
        empty_groups: empty.into_iter().collect(),
    }
}

impl AccessReport {
    /// The report with only the rows `filter` keeps, its counts recomputed.
    pub fn filtered(mut self, filter: &AccessFilter) -> AccessReport {
        if filter.is_empty() {
            return self;
        }
        self.rows.retain(|r| filter.keeps(r));
        let AccessSummary {
            groups_without_members,
            empty_groups,
            ..
        } = std::mem::take(&mut self.summary);
        self.summary = summary(
            &self.rows,
            groups_without_members.into_iter().collect(),
            empty_groups.into_iter().collect(),
        );
        self
    }
}
