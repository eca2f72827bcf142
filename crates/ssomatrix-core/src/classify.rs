//! The fourth stage of planning: one decision for every live assignment
//! (and every declared one that is not live), which the planner turns into
//! changes and warnings and the drift report into sections. There is one
//! decision tree, so "what apply would do" and "what drift reports" cannot
//! disagree.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::expand::{Expansion, Provenance, owner_suffix};
use crate::ids::{AccountState, PermissionSetArn, PrincipalId, PrincipalType};
use crate::live::{Assignment, LiveState};
use crate::resolve::{Resolution, RuleIndex};
use crate::scope::Scope;

/// Why apply deletes a live assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeleteReason {
    /// No rule declares it.
    Undeclared,
    /// The exception that declared it has ended.
    Expired(RuleIndex),
    /// Its principal no longer exists in the identity store.
    PrincipalDeleted,
}

impl DeleteReason {
    /// The sentence plans show: `not declared`, `principal no longer
    /// exists`, or `expired 2026-06-01: rule #2 (line 5), owner payments@…`.
    pub fn describe(self, resolution: &Resolution<'_>) -> String {
        match self {
            DeleteReason::Undeclared => "not declared".to_owned(),
            DeleteReason::PrincipalDeleted => "principal no longer exists".to_owned(),
            DeleteReason::Expired(index) => {
                let rule = resolution.rule(index).rule;
                let (date, owner) = match &rule.expiry {
                    Some(e) => (e.expires.to_string(), owner_suffix(e.owner.as_deref())),
                    None => (String::new(), String::new()),
                };
                format!("expired {date}: {}{owner}", rule.label())
            }
        }
    }
}

/// Why a change is planned or a finding reported, for machines: written as
/// `reason_kind` next to the sentence in the plan's and the drift report's
/// JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// A rule in force declares it and it is not live: created.
    Missing,
    /// No rule declares it: deleted.
    Undeclared,
    /// The exception that declared it has ended: deleted.
    Expired,
    /// Its principal no longer exists: deleted.
    PrincipalDeleted,
    /// Its account is not ACTIVE: left alone (drift reports only).
    InactiveAccount,
}

impl From<DeleteReason> for ReasonKind {
    fn from(reason: DeleteReason) -> ReasonKind {
        match reason {
            DeleteReason::Undeclared => ReasonKind::Undeclared,
            DeleteReason::Expired(_) => ReasonKind::Expired,
            DeleteReason::PrincipalDeleted => ReasonKind::PrincipalDeleted,
        }
    }
}

/// What becomes of one live assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A rule in force declares it: kept.
    Unchanged,
    /// The file does not own its permission set: never touched.
    OutsideScope,
    /// Its account is not ACTIVE: left alone until it is. `declared` when a
    /// rule in force targets the account with it.
    InactiveAccount { declared: bool },
    /// Apply deletes it.
    Delete(DeleteReason),
    /// A rule that did not fully resolve names its principal and permission
    /// set, so the lost target may have declared it: not judged (only the
    /// drift report sees such rules; the planner refuses them).
    Unjudged(RuleIndex),
}

/// A live assignment and what becomes of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judged<'l> {
    pub assignment: &'l Assignment,
    pub class: Class,
}

/// A declared assignment that is not live: apply creates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missing<'e> {
    pub assignment: &'e Assignment,
    pub provenance: Provenance,
}

/// Every live assignment judged, and what is declared but not live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification<'l, 'e> {
    /// In the live state's order.
    pub live: Vec<Judged<'l>>,
    /// In assignment order.
    pub missing: Vec<Missing<'e>>,
}

impl Classification<'_, '_> {
    /// How many live assignments stay as they are.
    pub fn unchanged(&self) -> usize {
        self.live
            .iter()
            .filter(|j| j.class == Class::Unchanged)
            .count()
    }
}

/// Judges every live assignment of `live` and finds the declared ones that
/// are missing.
pub fn classify<'l, 'e>(
    resolution: &Resolution<'_>,
    expansion: &'e Expansion,
    scope: &Scope,
    live: &'l LiveState,
) -> Classification<'l, 'e> {
    let unjudged = unjudged_by_rule(resolution);
    let judged = live
        .assignments
        .iter()
        .map(|a| Judged {
            assignment: a,
            class: class_of(a, resolution, expansion, scope, live, &unjudged),
        })
        .collect();
    let missing = expansion
        .desired
        .iter()
        .filter(|(a, _)| !live.assignments.contains(*a))
        .map(|(a, &provenance)| Missing {
            assignment: a,
            provenance,
        })
        .collect();
    Classification {
        live: judged,
        missing,
    }
}

type Unjudged<'r> = BTreeMap<(PrincipalType, &'r PrincipalId, &'r PermissionSetArn), RuleIndex>;

/// The principal × permission set pairs of rules that did not fully resolve,
/// with the first such rule.
fn unjudged_by_rule<'r>(resolution: &'r Resolution<'_>) -> Unjudged<'r> {
    let mut out = Unjudged::new();
    for r in resolution.rules.iter().filter(|r| !r.errors.is_empty()) {
        for p in &r.principals {
            for ps in &r.permission_sets {
                out.entry((p.kind, &p.id, ps)).or_insert(r.index);
            }
        }
    }
    out
}

/// The decision tree, first match wins: declared, not owned, in an account
/// that is not ACTIVE, of an expired exception, of a deleted principal, of a
/// rule that did not resolve, and otherwise undeclared.
fn class_of(
    a: &Assignment,
    resolution: &Resolution<'_>,
    expansion: &Expansion,
    scope: &Scope,
    live: &LiveState,
    unjudged: &Unjudged<'_>,
) -> Class {
    if expansion.desired.contains_key(a) {
        return Class::Unchanged;
    }
    if !scope.owns(&a.permission_set_arn) {
        return Class::OutsideScope;
    }
    if live
        .org
        .account(&a.account_id)
        .is_none_or(|acc| acc.state != AccountState::Active)
    {
        return Class::InactiveAccount {
            declared: declared_in_inactive(a, resolution, expansion),
        };
    }
    if let Some(&rule) = expansion.expired.get(a) {
        return Class::Delete(DeleteReason::Expired(rule));
    }
    if live
        .principals
        .is_deleted(a.principal_type, &a.principal_id)
    {
        return Class::Delete(DeleteReason::PrincipalDeleted);
    }
    if let Some(&rule) = unjudged.get(&(a.principal_type, &a.principal_id, &a.permission_set_arn)) {
        return Class::Unjudged(rule);
    }
    Class::Delete(DeleteReason::Undeclared)
}

/// Whether a rule in force targets the (inactive) account of `a` with its
/// principal and permission set.
fn declared_in_inactive(
    a: &Assignment,
    resolution: &Resolution<'_>,
    expansion: &Expansion,
) -> bool {
    expansion
        .inactive_targets
        .get(&a.account_id)
        .is_some_and(|rules| {
            rules.iter().any(|&index| {
                let r = resolution.rule(index);
                r.permission_sets.contains(&a.permission_set_arn)
                    && r.principal(a.principal_type, &a.principal_id).is_some()
            })
        })
}
