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
    declaring_rule_in_inactive(a, resolution, expansion).is_some()
}

/// The first rule in force that targets the (inactive) account of `a` with
/// its principal and permission set.
pub fn declaring_rule_in_inactive(
    a: &Assignment,
    resolution: &Resolution<'_>,
    expansion: &Expansion,
) -> Option<RuleIndex> {
    expansion
        .inactive_targets
        .get(&a.account_id)?
        .iter()
        .copied()
        .find(|&index| {
            let r = resolution.rule(index);
            r.permission_sets.contains(&a.permission_set_arn)
                && r.principal(a.principal_type, &a.principal_id).is_some()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::date::Date;
    use crate::expand::expand;
    use crate::resolve::resolve;
    use crate::snapshot::Snapshot;

    const PS: &str = "arn:aws:sso:::permissionSet/ssoins-0000000000000001/ps-00000000000000";

    fn live() -> LiveState {
        let assignment = |account: &str, ps: &str, kind: &str, id: &str| {
            format!(
                "  - {{account_id: '{account}', permission_set_arn: '{PS}{ps}', principal_type: {kind}, principal_id: {id}}}\n"
            )
        };
        let text = [
            "format_version: 1\n\
             instance_arn: arn:aws:sso:::instance/ssoins-0000000000000001\n\
             identity_store_id: d-1234567890\n\
             organization:\n  root_id: r-ab12\n  management_account_id: '100000000001'\n  accounts:\n\
             \x20 - {id: '100000000001', name: mgmt, state: ACTIVE, parent: r-ab12}\n\
             \x20 - {id: '100000000002', name: act, state: ACTIVE, parent: r-ab12}\n\
             \x20 - {id: '100000000003', name: new, state: ACTIVE, parent: r-ab12}\n\
             \x20 - {id: '100000000004', name: sus, state: SUSPENDED, parent: r-ab12}\n\
             groups:\n  - {id: g-1, name: ops}\n\
             users:\n  - {id: u-1, name: carol}\n\
             permission_sets:\n  - {arn: 'arn:aws:sso:::permissionSet/ssoins-0000000000000001/ps-000000000000000a', name: A}\n\
             \x20 - {arn: 'arn:aws:sso:::permissionSet/ssoins-0000000000000001/ps-000000000000000b', name: B}\n\
             assignments:\n"
                .to_owned(),
            assignment("100000000002", "0a", "GROUP", "g-1"),
            assignment("100000000002", "0a", "USER", "u-1"),
            assignment("100000000002", "0a", "GROUP", "g-gone"),
            assignment("100000000001", "0a", "USER", "u-1"),
            assignment("100000000001", "0b", "USER", "u-1"),
            assignment("100000000004", "0a", "GROUP", "g-1"),
            assignment("100000000004", "0a", "GROUP", "g-gone"),
            "...\n".to_owned(),
        ]
        .concat();
        Snapshot::parse("s.yaml", &text)
            .unwrap()
            .to_live_state()
            .unwrap()
    }

    /// Each branch of the decision tree, and the first match winning where
    /// two apply: an expired exception of a set the file does not own is
    /// outside the scope, and a deleted principal in an account that is not
    /// ACTIVE is left alone with the account.
    #[test]
    fn every_live_assignment_gets_the_first_class_that_applies() {
        let config = Config::parse(
            "a.yaml",
            "scope:\n  permission_sets: [A]\n\
             assignments:\n\
             \x20 - {group: ops, permission_set: A, accounts: [act, new, sus]}\n\
             \x20 - {user: carol, permission_sets: [A, B], accounts: [mgmt], owner: x, expires: 2026-01-01}\n",
        )
        .unwrap();
        let live = live();
        let resolution = resolve(&config, &live);
        assert_eq!(resolution.errors().count(), 0);
        let expansion = expand(&resolution, &live, Date::parse("2026-06-15").unwrap());
        let scope = Scope::of(&config, &live.permission_sets);
        let classes = classify(&resolution, &expansion, &scope, &live);
        let got: Vec<(String, &str, &str, Class)> = classes
            .live
            .iter()
            .map(|j| {
                let a = j.assignment;
                let account = live.org.account(&a.account_id).unwrap().name.clone();
                (
                    account,
                    &a.permission_set_arn.as_str()[PS.len()..],
                    a.principal_id.as_str(),
                    j.class,
                )
            })
            .collect();
        let expired = Class::Delete(DeleteReason::Expired(resolution.rules[1].index));
        let want = [
            ("mgmt", "0a", "u-1", expired),
            ("mgmt", "0b", "u-1", Class::OutsideScope),
            ("act", "0a", "g-1", Class::Unchanged),
            (
                "act",
                "0a",
                "g-gone",
                Class::Delete(DeleteReason::PrincipalDeleted),
            ),
            ("act", "0a", "u-1", Class::Delete(DeleteReason::Undeclared)),
            (
                "sus",
                "0a",
                "g-1",
                Class::InactiveAccount { declared: true },
            ),
            (
                "sus",
                "0a",
                "g-gone",
                Class::InactiveAccount { declared: false },
            ),
        ];
        let want: Vec<(String, &str, &str, Class)> = want
            .into_iter()
            .map(|(a, p, id, c)| (a.to_owned(), p, id, c))
            .collect();
        assert_eq!(got, want);
        let missing: Vec<&str> = classes
            .missing
            .iter()
            .map(|m| m.assignment.account_id.as_str())
            .collect();
        assert_eq!(missing, ["100000000003"]);
        assert_eq!(classes.unchanged(), 1);
    }
}
