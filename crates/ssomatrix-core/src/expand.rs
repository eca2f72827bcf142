//! The third stage of planning: the resolved rules expanded into the
//! assignments they want, each with the rule and target that want it, and
//! the exceptions that have expired or end soon, as data that the planner
//! and the drift report word each in their own way.

use std::collections::{BTreeMap, BTreeSet};

use crate::date::Date;
use crate::ids::{AccountId, AccountState};
use crate::live::{Assignment, LiveState};
use crate::resolve::{Resolution, RuleIndex, TargetIndex};

/// Where a desired assignment comes from: the first rule that wants it, and
/// that rule's first target that selects its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provenance {
    pub rule: RuleIndex,
    pub target: TargetIndex,
}

impl Provenance {
    /// Why the assignment is wanted: `rule #2 (line 5): ou Workloads/NonProd`.
    pub fn describe(self, resolution: &Resolution<'_>) -> String {
        let r = resolution.rule(self.rule);
        format!("{}: {}", r.rule.label(), r.target(self.target).label)
    }
}

/// A user exception that has not ended yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiringRule {
    pub rule: RuleIndex,
    /// The last day the rule is in force.
    pub expires: Date,
    /// 0 when it ends today.
    pub days_left: i64,
    pub owner: Option<String>,
}

/// What the resolved rules want.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    /// The assignments the rules in force want, in ACTIVE accounts.
    pub desired: BTreeMap<Assignment, Provenance>,
    /// The assignments of exceptions past `expires` (ACTIVE accounts), with
    /// the first such rule.
    pub expired: BTreeMap<Assignment, RuleIndex>,
    /// Accounts that are not ACTIVE, with the rules in force that target them.
    pub inactive_targets: BTreeMap<AccountId, BTreeSet<RuleIndex>>,
    /// Exceptions in force that have an end date, in file order.
    pub expiring: Vec<ExpiringRule>,
}

/// Expands the resolved rules as of `today`.
pub fn expand(resolution: &Resolution<'_>, live: &LiveState, today: Date) -> Expansion {
    let mut out = Expansion::default();
    for r in &resolution.rules {
        if live.org.is_partial() && r.accounts.is_empty() {
            // Outside the accounts read, and its principals were not looked up.
            continue;
        }
        let is_expired = r.rule.expiry.as_ref().is_some_and(|e| today > e.expires);
        if let Some(e) = r.rule.expiry.as_ref().filter(|_| !is_expired) {
            out.expiring.push(ExpiringRule {
                rule: r.index,
                expires: e.expires,
                days_left: today.days_until(e.expires),
                owner: e.owner.clone(),
            });
        }
        for (account, &target) in &r.accounts {
            let active = live
                .org
                .account(account)
                .is_some_and(|a| a.state == AccountState::Active);
            if !active {
                if !is_expired {
                    out.inactive_targets
                        .entry(account.clone())
                        .or_default()
                        .insert(r.index);
                }
                continue;
            }
            for p in &r.principals {
                for ps in &r.permission_sets {
                    let a = Assignment {
                        account_id: account.clone(),
                        permission_set_arn: ps.clone(),
                        principal_type: p.kind,
                        principal_id: p.id.clone(),
                    };
                    if is_expired {
                        out.expired.entry(a).or_insert(r.index);
                    } else {
                        out.desired.entry(a).or_insert(Provenance {
                            rule: r.index,
                            target,
                        });
                    }
                }
            }
        }
    }
    out
}

/// `today`, `tomorrow` or `in 5 days`.
pub fn days_in_words(days_left: i64) -> String {
    match days_left {
        0 => "today".to_owned(),
        1 => "tomorrow".to_owned(),
        d => format!("in {d} days"),
    }
}

/// `, owner payments@…`, or nothing.
pub fn owner_suffix(owner: Option<&str>) -> String {
    owner.map(|o| format!(", owner {o}")).unwrap_or_default()
}
