//! The plan's warnings, each read off the stages' results: nothing here
//! decides what changes, only what a reader should know about it.

use std::collections::{BTreeMap, BTreeSet};

use super::{Action, Change, EXPIRY_WARNING_DAYS, Summary, Warning, WarningKind};
use crate::classify::{Class, Classification};
use crate::config::{Config, ScopeSets};
use crate::expand::{Expansion, days_in_words, owner_suffix};
use crate::ids::{AccountId, PermissionSetArn, PrincipalId, PrincipalType};
use crate::live::{LiveState, ReadWay};
use crate::policy::DeleteBudget;
use crate::resolve::Resolution;
use crate::scope::Scope;

/// What the warnings are read from.
pub(super) struct Facts<'a> {
    pub config: &'a Config,
    pub live: &'a LiveState,
    pub scope: &'a Scope,
    pub resolution: &'a Resolution<'a>,
    pub expansion: &'a Expansion,
    pub classes: &'a Classification<'a, 'a>,
    pub changes: &'a [Change],
    pub summary: Summary,
}

/// Every warning of the plan, sorted by kind and message.
pub(super) fn warnings(f: &Facts<'_>) -> Vec<Warning> {
    let mut out: Vec<Warning> = f.resolution.excludes.warnings.clone();
    // A partial read sees too few accounts to call a target empty or two
    // rules the same.
    if !f.live.org.is_partial() {
        out.extend(empty_targets(f.resolution));
        out.extend(duplicate_rules(f.resolution));
    }
    out.extend(expiring(f.resolution, f.expansion));
    out.extend(inactive_targets(f.live, f.expansion));
    out.extend(left_alone(f.live, f.classes));
    out.extend(role_deletions(f.live, f.changes));
    out.extend(delegated_administrator(f.live, f.scope, f.changes));
    out.extend(delete_budget(f.config, f.summary));
    out.extend(management_account(f.live, f.changes));
    out.extend(outside_scope(f.config, f.resolution, f.scope));
    out.extend(out_of_sync(f.live, f.scope));
    out.extend(read_by_principal(f.live));
    out.sort_by(|a, b| (a.kind, &a.message).cmp(&(b.kind, &b.message)));
    out
}

fn warning(kind: WarningKind, message: String) -> Warning {
    Warning { kind, message }
}

/// A read by principal asks for the principals the identity store lists, so
/// it cannot find the assignments of deleted ones: the plan says who can.
fn read_by_principal(live: &LiveState) -> Option<Warning> {
    let read = live.assignment_read.as_ref()?;
    (read.used == ReadWay::ByPrincipal).then(|| {
        warning(
            WarningKind::ReadByPrincipal,
            "live assignments were read by principal (ListAccountAssignmentsForPrincipal, the fewer calls here), \
             which cannot see assignments of principals deleted from the identity store: this plan deletes none of them; \
             `ssomatrix drift` reads per pair and lists them, and `--inventory provisioned` plans their deletion"
                .to_owned(),
        )
    })
}

fn empty_targets(resolution: &Resolution<'_>) -> Vec<Warning> {
    let mut out = Vec::new();
    for r in &resolution.rules {
        for t in r.targets.iter().filter(|t| t.empty) {
            out.push(warning(
                WarningKind::EmptyTarget,
                format!("{}: {} selects no account", r.rule.label(), t.label),
            ));
        }
        if r.excluded_everything() {
            out.push(warning(
                WarningKind::EmptyTarget,
                format!(
                    "{} selects no account once its exclusions are applied",
                    r.rule.label()
                ),
            ));
        }
    }
    out
}

fn duplicate_rules(resolution: &Resolution<'_>) -> Vec<Warning> {
    type Key<'k> = (
        BTreeSet<(PrincipalType, &'k PrincipalId)>,
        BTreeSet<&'k PermissionSetArn>,
        BTreeSet<&'k AccountId>,
        bool,
    );
    let mut out = Vec::new();
    let mut seen: BTreeMap<Key<'_>, usize> = BTreeMap::new();
    for r in &resolution.rules {
        if r.accounts.is_empty() {
            continue;
        }
        let key: Key<'_> = (
            r.principals.iter().map(|p| (p.kind, &p.id)).collect(),
            r.permission_sets.iter().collect(),
            r.accounts.keys().collect(),
            r.rule.expiry.is_some(),
        );
        if let Some(first) = seen.get(&key) {
            out.push(warning(
                WarningKind::DuplicateRule,
                format!(
                    "{} grants exactly what rule #{first} grants; remove one of them",
                    r.rule.label()
                ),
            ));
        } else {
            seen.insert(key, r.index.number());
        }
    }
    out
}

fn expiring(resolution: &Resolution<'_>, expansion: &Expansion) -> Vec<Warning> {
    let soon = expansion
        .expiring
        .iter()
        .filter(|e| e.days_left <= EXPIRY_WARNING_DAYS);
    soon.map(|e| {
        let r = resolution.rule(e.rule);
        let who = r
            .principals
            .iter()
            .map(|p| format!("{} `{}`", p.kind.noun(), p.name))
            .collect::<Vec<_>>()
            .join(", ");
        warning(
            WarningKind::ExpiresSoon,
            format!(
                "{} for {who} expires {} ({}{}); its assignments are deleted from the day after",
                r.rule.label(),
                days_in_words(e.days_left),
                e.expires,
                owner_suffix(e.owner.as_deref())
            ),
        )
    })
    .collect()
}

fn inactive_targets(live: &LiveState, expansion: &Expansion) -> Vec<Warning> {
    let mut out = Vec::new();
    for (account, rules) in &expansion.inactive_targets {
        let state = match live.org.account(account).map(|a| a.state) {
            Some(s) if s.is_known() => s.as_str().to_owned(),
            // AWS added a state after this build: say so, not just its name.
            Some(s) => format!(
                "{s}, a state this version of ssomatrix does not know (treated as not ACTIVE)"
            ),
            None => "UNKNOWN".to_owned(),
        };
        let name = live
            .org
            .account(account)
            .map(|a| a.name.as_str())
            .unwrap_or("");
        let (which, verb) = if rules.len() == 1 {
            ("rule", "targets")
        } else {
            ("rules", "target")
        };
        let rules = rules
            .iter()
            .map(|r| format!("#{}", r.number()))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(warning(
            WarningKind::InactiveAccount,
            format!(
                "account {account} ({name}) is {state}: {which} {rules} {verb} it, but no assignment is made or removed there until it is ACTIVE"
            ),
        ));
    }
    out
}

/// Live assignments the plan leaves alone that a reader may expect it to
/// remove: undeclared ones in accounts that are not ACTIVE, and those of
/// deleted principals outside the scope.
fn left_alone(live: &LiveState, classes: &Classification<'_, '_>) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut undeclared_inactive = 0usize;
    let mut deleted_outside: BTreeMap<&PermissionSetArn, usize> = BTreeMap::new();
    for j in &classes.live {
        let a = j.assignment;
        match j.class {
            Class::InactiveAccount { declared: false } => undeclared_inactive += 1,
            Class::OutsideScope
                if live
                    .principals
                    .is_deleted(a.principal_type, &a.principal_id) =>
            {
                *deleted_outside.entry(&a.permission_set_arn).or_default() += 1;
            }
            _ => {}
        }
    }
    if undeclared_inactive > 0 {
        out.push(warning(
            WarningKind::InactiveAccount,
            format!(
                "{undeclared_inactive} undeclared assignment(s) in accounts that are not ACTIVE are left alone until the accounts are ACTIVE again"
            ),
        ));
    }
    for (ps, n) in deleted_outside {
        out.push(warning(
            WarningKind::DeletedPrincipalOutsideScope,
            format!(
                "{n} assignment(s) of permission set {} belong to principals that no longer exist; the file does not own that permission set, so they are left alone",
                live.permission_set_name(ps)
            ),
        ));
    }
    out
}

/// What the plan does to one permission set in one account.
#[derive(Default)]
struct Touched {
    creates: usize,
    deletes: usize,
    live: usize,
}

fn role_deletions(live: &LiveState, changes: &[Change]) -> Vec<Warning> {
    let mut pairs: BTreeMap<(&AccountId, &PermissionSetArn), Touched> = BTreeMap::new();
    for c in changes {
        let t = pairs
            .entry((&c.account_id, &c.permission_set_arn))
            .or_default();
        match c.action {
            Action::Create => t.creates += 1,
            Action::Delete => t.deletes += 1,
        }
    }
    for a in &live.assignments {
        if let Some(t) = pairs.get_mut(&(&a.account_id, &a.permission_set_arn)) {
            t.live += 1;
        }
    }
    let last = pairs
        .into_iter()
        .filter(|(_, t)| t.deletes > 0 && t.creates == 0 && t.live == t.deletes);
    last.map(|((account, ps), _)| {
        let name = live.permission_set_name(ps);
        let account_name = live
            .org
            .account(account)
            .map(|a| a.name.as_str())
            .unwrap_or("");
        warning(
            WarningKind::RoleDeleted,
            format!(
                "the plan removes the last assignment of {name} in account {account} ({account_name}): the service deletes the role \
                 AWSReservedSSO_{name}_… there, and a later re-assignment creates one with a new suffix, which breaks trust policies \
                 and EKS access entries that name it"
            ),
        )
    })
    .collect()
}

/// When the caller is a delegated administrator, one warning per permission
/// set whose changes or reprovisioning only the management account can make
/// (the changes are marked by `mark_management_only`).
fn delegated_administrator(live: &LiveState, scope: &Scope, changes: &[Change]) -> Vec<Warning> {
    let (Some(caller), Some(mgmt)) = (
        live.delegated_administrator(),
        live.org.management_account(),
    ) else {
        return Vec::new();
    };
    let management_only = live.management_only_sets();
    let mut marked: BTreeMap<&PermissionSetArn, usize> = BTreeMap::new();
    for c in changes.iter().filter(|c| c.needs_management_account) {
        *marked.entry(&c.permission_set_arn).or_default() += 1;
    }
    let stale: BTreeSet<&PermissionSetArn> = live
        .not_provisioned
        .iter()
        .filter(|(ps, accounts)| {
            !accounts.is_empty() && scope.owns(ps) && management_only.contains(*ps)
        })
        .map(|(ps, _)| ps)
        .collect();
    let sets: BTreeSet<&PermissionSetArn> = marked
        .keys()
        .copied()
        .chain(stale.iter().copied())
        .collect();
    let mut out = Vec::new();
    for ps in sets {
        let name = live.permission_set_name(ps);
        let n = marked.get(ps).copied().unwrap_or(0);
        let message = if management_only.contains(ps) {
            let what = match (n, stale.contains(ps)) {
                (0, _) => "its reprovisioning".to_owned(),
                (n, false) => format!("its {n} change(s) marked [management account only]"),
                (n, true) => format!(
                    "its {n} change(s) marked [management account only] and its reprovisioning,"
                ),
            };
            format!(
                "these credentials belong to {caller}, a delegated administrator, and AWS lets only the management account manage \
                 permission set {name}, which is provisioned to the management account {mgmt} (its creates, deletes and provisioning \
                 fail with AccessDenied in every account): apply skips {what} and reports them not done; run apply again with the \
                 management account's credentials to finish"
            )
        } else {
            format!(
                "these credentials belong to {caller}, a delegated administrator, and AWS lets only the management account change \
                 access to the management account {mgmt}: apply skips the {n} change(s) of permission set {name} there, marked \
                 [management account only], and reports them not done; run apply again with the management account's credentials \
                 to finish"
            )
        };
        out.push(warning(WarningKind::DelegatedAdministrator, message));
    }
    out
}

/// Warns when apply would refuse the plan without `--allow-deletes`: the
/// same arithmetic as apply's gate.
fn delete_budget(config: &Config, summary: Summary) -> Option<Warning> {
    let budget = DeleteBudget::new(config.max_deletes, None);
    let deletes = summary.delete_access();
    (!budget.allows(deletes)).then(|| {
        warning(
            WarningKind::DeleteBudget,
            format!(
                "the plan deletes {deletes} assignments{}, more than `safety.max_deletes` ({}); apply will refuse it unless run with `--allow-deletes {deletes}`",
                orphans_not_counted(summary.delete_orphans),
                config.max_deletes
            ),
        )
    })
}

/// ` (not counting 32 orphaned assignments of deleted principals)`, or
/// nothing when there are none.
pub(crate) fn orphans_not_counted(orphans: usize) -> String {
    if orphans == 0 {
        String::new()
    } else {
        format!(" (not counting {orphans} orphaned assignment(s) of deleted principals)")
    }
}

fn management_account(live: &LiveState, changes: &[Change]) -> Option<Warning> {
    let mgmt = live.org.management_account()?;
    let n = changes.iter().filter(|c| &c.account_id == mgmt).count();
    (n > 0).then(|| {
        warning(
            WarningKind::ManagementAccount,
            format!(
                "{n} change(s) are in the management account {mgmt}; only the management account's own credentials can apply them (a delegated administrator cannot)"
            ),
        )
    })
}

fn outside_scope(config: &Config, resolution: &Resolution<'_>, scope: &Scope) -> Vec<Warning> {
    let mut out = Vec::new();
    if let ScopeSets::Named(_) = &config.scope.permission_sets {
        for r in &resolution.rules {
            for (ps, name) in r.permission_sets.iter().zip(&r.rule.permission_sets) {
                if !scope.owns(ps) {
                    out.push(warning(
                        WarningKind::OutsideScope,
                        format!(
                            "{} names permission set {}, which `scope.permission_sets` does not list: its assignments are created, \
                             but undeclared ones are never removed",
                            r.rule.label(),
                            name.value
                        ),
                    ));
                }
            }
        }
    }
    out
}

fn out_of_sync(live: &LiveState, scope: &Scope) -> Vec<Warning> {
    let management_only = live.management_only_sets();
    let mut out = Vec::new();
    for (ps, accounts) in &live.not_provisioned {
        if !scope.owns(ps) || accounts.is_empty() {
            continue;
        }
        let name = live.permission_set_name(ps);
        let list = accounts
            .iter()
            .map(|a| match live.org.account(a) {
                Some(acc) => format!("{a} ({})", acc.name),
                None => a.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let who = if management_only.contains(ps) {
            "apply with the management account's credentials"
        } else {
            "apply"
        };
        out.push(warning(
            WarningKind::OutOfSync,
            format!(
                "permission set {name} was changed and is OUT_OF_SYNC in {} account(s): {list}; {who} reprovisions it there",
                accounts.len()
            ),
        ));
    }
    out
}
