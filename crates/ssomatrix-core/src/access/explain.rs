//! `explain`: every path by which one user (or one group) reaches an
//! account with a permission set, the rule and line that grants it, its
//! owner and expiry, or that nothing grants it and the next apply removes it.
//! Written from the access report's rows (a user) or the judged live
//! assignments (a group), so it cannot disagree with `access` or `plan`;
//! and what the file declares that is not live yet (the plan's creates),
//! which the next apply creates.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{AccessReport, AccessRow, Judgement, Pending};
use crate::config::{Config, Rule};
use crate::escape::visible as terminal;
use crate::ids::{PrincipalId, PrincipalType};
use crate::live::{Assignment, LiveState};
use crate::members::Memberships;

/// What to explain: the account and permission set narrow it when given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExplainQuery {
    /// A user name or id (`--user`), or a group name or id (`--group`).
    pub principal: String,
    /// An account id or name.
    pub account: Option<String>,
    /// A permission set name or ARN.
    pub permission_set: Option<String>,
}

impl ExplainQuery {
    fn account_matches(&self, id: &str, name: &str) -> bool {
        self.account.as_deref().is_none_or(|a| a == id || a == name)
    }

    fn set_matches(&self, name: &str, arn: &str) -> bool {
        self.permission_set
            .as_deref()
            .is_none_or(|p| p == name || p == arn)
    }

    /// ` in web-prod with Admin`, as far as the query narrows it.
    fn narrowing(&self) -> String {
        let mut out = String::new();
        if let Some(a) = &self.account {
            let _ = write!(out, " in {}", terminal(a));
        }
        if let Some(p) = &self.permission_set {
            let _ = write!(out, " with {}", terminal(p));
        }
        out
    }
}

/// `rule #3 (line 50), owner …, expires …: description`, or `no rule`.
fn rule_text(rule: Option<&Rule>) -> String {
    let Some(rule) = rule else {
        return "no rule".to_owned();
    };
    let mut out = rule.label();
    if let Some(e) = &rule.expiry {
        if let Some(owner) = &e.owner {
            let _ = write!(out, ", owner {}", terminal(owner));
        }
        let _ = write!(out, ", expires {}", e.expires);
    }
    if let Some(d) = &rule.description {
        let _ = write!(out, " ({})", terminal(d));
    }
    out
}

/// What the file declares that is not live yet, and what tells whom it
/// will reach.
#[derive(Debug, Clone, Copy)]
pub struct NotLive<'a, 'c> {
    pub pending: &'a [Pending<'c>],
    pub live: &'a LiveState,
    pub memberships: &'a Memberships,
}

impl NotLive<'_, '_> {
    /// The pending assignments the query narrows to whose principal `who`
    /// accepts, each with the path it will come by.
    fn matching(
        &self,
        query: &ExplainQuery,
        who: impl Fn(PrincipalType, &PrincipalId) -> Option<String>,
    ) -> Vec<(&Pending<'_>, String)> {
        let live = self.live;
        (self.pending.iter())
            .filter(|p| {
                let a = &p.assignment;
                let account = (live.org.account(&a.account_id)).map_or("", |x| x.name.as_str());
                query.account_matches(a.account_id.as_str(), account)
                    && query.set_matches(
                        live.permission_set_name(&a.permission_set_arn),
                        a.permission_set_arn.as_str(),
                    )
            })
            .filter_map(|p| {
                let a = &p.assignment;
                who(a.principal_type, &a.principal_id).map(|via| (p, via))
            })
            .collect()
    }

    /// The section on the declared access that is not live yet, if any.
    fn section(&self, items: &[(&Pending<'_>, String)]) -> String {
        if items.is_empty() {
            return String::new();
        }
        let live = self.live;
        let mut out = format!(
            "\nnot live yet: {} assignment(s) the file declares, which the next apply creates:\n",
            items.len()
        );
        for (p, via) in items {
            let _ = writeln!(
                out,
                "\n{}\n  {via}: {}; declared, not live yet: the next apply creates it",
                target(live, &p.assignment),
                rule_text(Some(p.rule))
            );
        }
        out
    }

    /// The id of the user a query names: from its rows, the members read,
    /// the names the live state knows, or the query itself (an id).
    fn user_id<'q>(&'q self, wanted: &'q str, rows: &[&'q AccessRow]) -> &'q str {
        if let Some(r) = rows.first() {
            return r.user_id.as_str();
        }
        (self.memberships.users.iter())
            .find(|(_, name)| name.as_deref() == Some(wanted))
            .map(|(id, _)| id.as_str())
            .or_else(|| {
                (self.live.principals)
                    .id_of(PrincipalType::User, wanted)
                    .map(PrincipalId::as_str)
            })
            .unwrap_or(wanted)
    }
}

/// `web-prod (263665753971, Workloads/Prod) with Admin`, escaped.
fn target(live: &LiveState, a: &Assignment) -> String {
    let account = (live.org.account(&a.account_id)).map_or("", |x| x.name.as_str());
    format!(
        "{} ({}, {}) with {}",
        terminal(account),
        a.account_id,
        terminal(&live.org.account_location(&a.account_id)),
        terminal(live.permission_set_name(&a.permission_set_arn))
    )
}

/// The rule a row names, from the file.
fn rule_of<'c>(config: &'c Config, row: &AccessRow) -> Option<&'c Rule> {
    config.rules.get(row.rule?.checked_sub(1)?)
}

/// The paths by which one user reaches what the query asks about, and
/// those the next apply adds.
pub fn explain_user(
    report: &AccessReport,
    config: &Config,
    query: &ExplainQuery,
    not_live: &NotLive<'_, '_>,
) -> String {
    let wanted = query.principal.as_str();
    let rows: Vec<&AccessRow> = report
        .rows
        .iter()
        .filter(|r| r.user.as_deref() == Some(wanted) || r.user_id.as_str() == wanted)
        .filter(|r| query.account_matches(r.account_id.as_str(), &r.account_name))
        .filter(|r| query.set_matches(&r.permission_set, r.permission_set_arn.as_str()))
        .collect();
    let id = not_live.user_id(wanted, &rows);
    let (live, memberships) = (not_live.live, not_live.memberships);
    let pending = not_live.matching(query, |kind, principal| match kind {
        PrincipalType::User => (principal.as_str() == id).then(|| "directly".to_owned()),
        PrincipalType::Group => (memberships.members(principal))
            .is_some_and(|m| m.iter().any(|u| u.as_str() == id))
            .then(|| {
                let name = live.principals.name_of(PrincipalType::Group, principal);
                format!(
                    "through group {}",
                    terminal(name.unwrap_or(principal.as_str()))
                )
            }),
    });
    let later = not_live.section(&pending);
    let who = format!("user {}", terminal(wanted));
    if rows.is_empty() {
        return format!(
            "{who} has no access{}: no live assignment gives it, directly or through a group, so there is nothing \
             for apply to remove\n{later}",
            query.narrowing()
        );
    }
    let mut by_target: BTreeMap<(&str, &str, &str, &str), Vec<&AccessRow>> = BTreeMap::new();
    for r in &rows {
        by_target
            .entry((
                &r.account_name,
                r.account_id.as_str(),
                &r.ou_path,
                &r.permission_set,
            ))
            .or_default()
            .push(r);
    }
    let mut out = format!(
        "{who} reaches {} account and permission set pair(s){}:\n",
        by_target.len(),
        query.narrowing()
    );
    for ((name, id, path, set), paths) in by_target {
        let _ = writeln!(
            out,
            "\n{} ({id}, {}) with {}",
            terminal(name),
            terminal(path),
            terminal(set)
        );
        for r in paths {
            let via = if r.group_id.is_some() {
                format!("through group {}", terminal(&r.via))
            } else {
                "directly".to_owned()
            };
            let _ = writeln!(
                out,
                "  {via}: {}; {}",
                rule_text(rule_of(config, r)),
                r.status.describe()
            );
        }
    }
    out.push_str(&later);
    out
}

/// What one group holds that the query asks about, how many people each
/// assignment reaches, and what the next apply adds.
pub fn explain_group(
    judgements: &[Judgement<'_, '_>],
    query: &ExplainQuery,
    not_live: &NotLive<'_, '_>,
) -> String {
    let (live, memberships) = (not_live.live, not_live.memberships);
    let wanted = query.principal.as_str();
    let id = live
        .principals
        .id_of(PrincipalType::Group, wanted)
        .map(|id| id.as_str().to_owned())
        .unwrap_or_else(|| wanted.to_owned());
    let later = not_live.section(&not_live.matching(query, |kind, group| {
        (kind == PrincipalType::Group && group.as_str() == id).then(|| "the group".to_owned())
    }));
    let name = |arn| live.permission_set_name(arn);
    let held: Vec<&Judgement<'_, '_>> = judgements
        .iter()
        .filter(|j| {
            let a = j.assignment;
            a.principal_type == PrincipalType::Group
                && a.principal_id.as_str() == id
                && query.account_matches(
                    a.account_id.as_str(),
                    live.org
                        .account(&a.account_id)
                        .map_or("", |x| x.name.as_str()),
                )
                && query.set_matches(name(&a.permission_set_arn), a.permission_set_arn.as_str())
        })
        .collect();
    let who = format!("group {}", terminal(wanted));
    if held.is_empty() {
        return format!(
            "{who} holds no assignment{}: nothing gives its members access through it\n{later}",
            query.narrowing()
        );
    }
    let members = live
        .principals
        .id_of(PrincipalType::Group, wanted)
        .or_else(|| held.first().map(|j| &j.assignment.principal_id))
        .and_then(|g| memberships.members(g));
    let people = match members {
        Some(m) => format!("{} member(s)", m.len()),
        None => "members not read".to_owned(),
    };
    let mut out = format!(
        "{who} ({people}) holds {} assignment(s){}:\n",
        held.len(),
        query.narrowing()
    );
    for j in held {
        let _ = writeln!(
            out,
            "\n{}\n  {}; {}",
            target(live, j.assignment),
            rule_text(j.rule),
            j.status.describe()
        );
        if let Some(m) = members.filter(|m| !m.is_empty()) {
            let names: Vec<String> = m
                .iter()
                .map(|u| {
                    memberships
                        .user_name(u)
                        .map_or_else(|| format!("<deleted {u}>"), |n| terminal(n).into_owned())
                })
                .collect();
            let _ = writeln!(out, "  reaches {}", names.join(", "));
        }
    }
    out.push_str(&later);
    out
}
