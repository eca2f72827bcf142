//! The planner: resolves the file's names against the live state, expands the
//! rules into the desired assignments (with the rule and target that want
//! each), and diffs them against the live assignments inside the file's scope.
//!
//! A plan is data: apply does exactly what it says. It is deterministic (sorted)
//! and carries a fingerprint of the live state it was computed from, so that a
//! saved plan can be refused once the instance has moved on.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ambiguity;
use crate::config::{AccountRef, Config, Located, OuRef, Rule, ScopeSets};
use crate::date::Date;
use crate::ids::{
    AccountId, AccountState, InstanceArn, PermissionSetArn, PrincipalId, PrincipalType,
};
use crate::live::{Assignment, LiveState};
use crate::org::NodeId;
use crate::suggest::did_you_mean;
use crate::yaml::Diagnostic;

/// The plan format version written into saved plans.
pub const PLAN_FORMAT_VERSION: u32 = 1;
/// User exceptions expiring within this many days are warned about.
pub const EXPIRY_WARNING_DAYS: i64 = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Delete,
}

/// One assignment to create or delete, self-describing: ids, names and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub action: Action,
    pub principal_type: PrincipalType,
    pub principal_id: PrincipalId,
    /// `None` when the principal no longer exists.
    pub principal_name: Option<String>,
    pub permission_set_arn: PermissionSetArn,
    pub permission_set_name: String,
    pub account_id: AccountId,
    pub account_name: String,
    /// Where the account sits: `Workloads/NonProd`, or `Root`.
    pub account_ou_path: String,
    pub reason: String,
    /// The 1-based number of the rule that wants a created assignment, or of
    /// the expired rule behind a delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
    /// Only the management account's credentials can make this change: the
    /// caller is a delegated administrator, and the permission set is
    /// provisioned to the management account (or the change is there).
    /// Apply skips it and reports it not done.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub needs_management_account: bool,
}

impl Change {
    pub fn assignment(&self) -> Assignment {
        Assignment {
            account_id: self.account_id.clone(),
            permission_set_arn: self.permission_set_arn.clone(),
            principal_type: self.principal_type,
            principal_id: self.principal_id.clone(),
        }
    }

    /// `group aws-finops`, or `user <deleted 1234…>`.
    pub fn principal_label(&self) -> String {
        principal_label(
            self.principal_type,
            &self.principal_id,
            self.principal_name.as_deref(),
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// A user exception ends soon.
    ExpiresSoon,
    /// A rule targets accounts that are not ACTIVE.
    InactiveAccount,
    /// A rule or target selects no account.
    EmptyTarget,
    /// Two rules say the same thing.
    DuplicateRule,
    /// The plan removes the last assignment of a permission set in an
    /// account, so the service deletes the IAM role there.
    RoleDeleted,
    /// Assignments of principals that no longer exist, outside the scope.
    DeletedPrincipalOutsideScope,
    /// More deletes than `safety.max_deletes`.
    DeleteBudget,
    /// Changes in the management account need management-account credentials.
    ManagementAccount,
    /// A permission set the file owns is OUT_OF_SYNC in some accounts.
    OutOfSync,
    /// A rule names a permission set that a narrowed scope does not own.
    OutsideScope,
    /// A `scope.exclude` pattern matches no permission set of the instance.
    UnmatchedExclude,
    /// The caller is a delegated administrator and some changes or
    /// reprovisionings need the management account's credentials.
    DelegatedAdministrator,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub kind: WarningKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub delete: usize,
    pub unchanged: usize,
}

/// What apply will do, and the state it was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub instance_arn: InstanceArn,
    pub summary: Summary,
    /// Creates first, then deletes; each sorted by account, permission set and
    /// principal.
    pub changes: Vec<Change>,
    pub warnings: Vec<Warning>,
    pub max_deletes: u32,
    /// SHA-256 of the live state the plan was computed from.
    pub fingerprint: String,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn creates(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.action == Action::Create)
    }

    pub fn deletes(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.action == Action::Delete)
    }

    /// The changes only the management account's credentials can make.
    pub fn management_only(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.needs_management_account)
    }
}

/// A file that cannot be planned against this instance, with every reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct PlanError(pub Vec<Diagnostic>);

/// The permission sets whose live assignments the file owns: what apply may
/// delete. Names the instance does not have are left out here (the planner
/// reports them).
pub fn owned_permission_sets(
    config: &Config,
    permission_sets: &BTreeMap<PermissionSetArn, String>,
) -> BTreeSet<PermissionSetArn> {
    let by_name = |name: &str| {
        permission_sets
            .iter()
            .find(|(_, n)| n.as_str() == name)
            .map(|(a, _)| a.clone())
    };
    let candidates: BTreeSet<PermissionSetArn> = match &config.scope.permission_sets {
        ScopeSets::Declared => config
            .declared_permission_sets()
            .into_iter()
            .filter_map(by_name)
            .collect(),
        ScopeSets::All => permission_sets.keys().cloned().collect(),
        ScopeSets::Named(names) => names.iter().filter_map(|n| by_name(&n.value)).collect(),
    };
    candidates
        .into_iter()
        .filter(|arn| {
            permission_sets
                .get(arn)
                .is_none_or(|name| !config.scope.is_excluded(name))
        })
        .collect()
}

/// The permission sets whose live assignments must be read to plan: the owned
/// ones (to find what to delete) and the declared ones (so that an assignment
/// that exists is never created twice: the API does not reject duplicates).
pub fn permission_sets_to_read(
    config: &Config,
    permission_sets: &BTreeMap<PermissionSetArn, String>,
) -> BTreeSet<PermissionSetArn> {
    let mut read = owned_permission_sets(config, permission_sets);
    for name in config.declared_permission_sets() {
        read.extend(
            permission_sets
                .iter()
                .filter(|(_, n)| n.as_str() == name)
                .map(|(a, _)| a.clone()),
        );
    }
    read
}

/// Every (kind, name) principal the file names.
pub fn principal_names(config: &Config) -> BTreeSet<(PrincipalType, String)> {
    config
        .rules
        .iter()
        .flat_map(|r| r.principals.iter())
        .map(|p| (p.value.kind, p.value.name.clone()))
        .collect()
}

/// A rule with its names resolved to ids and its targets to accounts.
pub(crate) struct Resolved<'a> {
    pub rule: &'a Rule,
    pub principals: Vec<(PrincipalType, PrincipalId, &'a str)>,
    pub permission_sets: Vec<PermissionSetArn>,
    /// Each selected account with the index of the first target that selected it.
    pub accounts: BTreeMap<AccountId, usize>,
    pub target_labels: Vec<String>,
}

/// Where a desired assignment comes from: (index into resolved rules, target index).
pub(crate) type Provenance = (usize, usize);

/// Computes the plan that makes `live` match `config`, as of `today`.
pub fn plan(config: &Config, live: &LiveState, today: Date) -> Result<Plan, PlanError> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let resolved: Vec<Resolved<'_>> = config
        .rules
        .iter()
        .map(|r| resolve_rule(config, live, r, &mut errors, &mut warnings))
        .collect();
    check_scope_names(config, live, &mut errors);
    ambiguity::unmatched_excludes(config, live, &mut errors, &mut warnings);
    let read = &live.read_permission_sets;
    for r in &resolved {
        for ps in &r.permission_sets {
            if !read.contains(ps) {
                errors.push(Diagnostic::new(
                    &config.file,
                    r.rule.line,
                    format!("internal: the live assignments of permission set `{ps}` were not read; nothing can be planned"),
                ));
            }
        }
    }
    if !errors.is_empty() {
        errors.sort();
        errors.dedup();
        return Err(PlanError(errors));
    }
    duplicate_rule_warnings(&resolved, &mut warnings);

    let Expansion {
        desired,
        expired,
        inactive_targets,
    } = expand(&resolved, live, today, &mut warnings);
    for (account, rules) in &inactive_targets {
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
            .map(|n| format!("#{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        warnings.push(Warning {
            kind: WarningKind::InactiveAccount,
            message: format!(
                "account {account} ({name}) is {state}: {which} {rules} {verb} it, but no assignment is made or removed there until it is ACTIVE"
            ),
        });
    }

    // Diff.
    let owned = owned_permission_sets(config, &live.permission_sets);
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for (a, &(ri, ti)) in &desired {
        if live.assignments.contains(a) {
            unchanged += 1;
            continue;
        }
        let r = &resolved[ri];
        let name = r
            .principals
            .iter()
            .find(|(k, id, _)| *k == a.principal_type && *id == a.principal_id)
            .map(|p| p.2);
        let reason = format!("{}: {}", r.rule.label(), r.target_labels[ti]);
        changes.push(change(
            live,
            Action::Create,
            a,
            name.map(str::to_owned),
            reason,
            Some(r.rule.number),
        ));
    }
    let mut skipped_inactive = 0usize;
    let mut deleted_outside: BTreeMap<&PermissionSetArn, usize> = BTreeMap::new();
    for a in &live.assignments {
        let deleted = live
            .principals
            .is_deleted(a.principal_type, &a.principal_id);
        if !owned.contains(&a.permission_set_arn) {
            if deleted {
                *deleted_outside.entry(&a.permission_set_arn).or_default() += 1;
            }
            continue;
        }
        if desired.contains_key(a) {
            continue;
        }
        if live
            .org
            .account(&a.account_id)
            .is_none_or(|acc| acc.state != AccountState::Active)
        {
            // Left alone either way; only the undeclared ones are worth a warning.
            let declared = inactive_targets.get(&a.account_id).is_some_and(|rules| {
                resolved.iter().any(|r| {
                    rules.contains(&r.rule.number)
                        && r.permission_sets.contains(&a.permission_set_arn)
                        && r.principals
                            .iter()
                            .any(|(k, id, _)| *k == a.principal_type && *id == a.principal_id)
                })
            });
            if !declared {
                skipped_inactive += 1;
            }
            continue;
        }
        let name = live
            .principals
            .name_of(a.principal_type, &a.principal_id)
            .map(str::to_owned);
        let (reason, rule) = if let Some(&ri) = expired.get(a) {
            let r = resolved[ri].rule;
            (expired_reason(r), Some(r.number))
        } else if deleted {
            ("principal no longer exists".to_owned(), None)
        } else {
            ("not declared".to_owned(), None)
        };
        changes.push(change(live, Action::Delete, a, name, reason, rule));
    }
    if skipped_inactive > 0 {
        warnings.push(Warning {
            kind: WarningKind::InactiveAccount,
            message: format!(
                "{skipped_inactive} undeclared assignment(s) in accounts that are not ACTIVE are left alone until the accounts are ACTIVE again"
            ),
        });
    }
    for (ps, n) in deleted_outside {
        warnings.push(Warning {
            kind: WarningKind::DeletedPrincipalOutsideScope,
            message: format!(
                "{n} assignment(s) of permission set {} belong to principals that no longer exist; the file does not own that permission set, so they are left alone",
                live.permission_set_name(ps)
            ),
        });
    }
    changes.sort_by(|x, y| {
        (
            x.action,
            &x.account_id,
            &x.permission_set_name,
            x.principal_type,
            &x.principal_name,
            &x.principal_id,
        )
            .cmp(&(
                y.action,
                &y.account_id,
                &y.permission_set_name,
                y.principal_type,
                &y.principal_name,
                &y.principal_id,
            ))
    });
    role_deletion_warnings(live, &changes, &mut warnings);
    delegated_administrator_marks(live, &owned, &mut changes, &mut warnings);
    let summary = Summary {
        create: changes
            .iter()
            .filter(|c| c.action == Action::Create)
            .count(),
        delete: changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .count(),
        unchanged,
    };
    if summary.delete > config.max_deletes as usize {
        warnings.push(Warning {
            kind: WarningKind::DeleteBudget,
            message: format!(
                "the plan deletes {} assignments, more than `safety.max_deletes` ({}); apply will refuse it unless run with `--allow-deletes {}`",
                summary.delete, config.max_deletes, summary.delete
            ),
        });
    }
    if let Some(mgmt) = live.org.management_account() {
        let n = changes.iter().filter(|c| &c.account_id == mgmt).count();
        if n > 0 {
            warnings.push(Warning {
                kind: WarningKind::ManagementAccount,
                message: format!(
                    "{n} change(s) are in the management account {mgmt}; only the management account's own credentials can apply them (a delegated administrator cannot)"
                ),
            });
        }
    }
    if let ScopeSets::Named(_) = &config.scope.permission_sets {
        for r in &resolved {
            for (ps, name) in r.permission_sets.iter().zip(&r.rule.permission_sets) {
                if !owned.contains(ps) {
                    warnings.push(Warning {
                        kind: WarningKind::OutsideScope,
                        message: format!(
                            "{} names permission set {}, which `scope.permission_sets` does not list: its assignments are created, \
                             but undeclared ones are never removed",
                            r.rule.label(),
                            name.value
                        ),
                    });
                }
            }
        }
    }
    let management_only = live.management_only_sets();
    for (ps, accounts) in &live.not_provisioned {
        if !owned.contains(ps) || accounts.is_empty() {
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
        warnings.push(Warning {
            kind: WarningKind::OutOfSync,
            message: format!(
                "permission set {name} was changed and is OUT_OF_SYNC in {} account(s): {list}; {who} reprovisions it there",
                accounts.len()
            ),
        });
    }
    warnings.sort_by(|a, b| (a.kind, &a.message).cmp(&(b.kind, &b.message)));
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        instance_arn: live.instance_arn.clone(),
        summary,
        changes,
        warnings,
        max_deletes: config.max_deletes,
        fingerprint: fingerprint(config, live),
    })
}

/// The desired assignments of the resolved rules, each with the rule and
/// target that want it; the assignments of expired rules; and the accounts
/// that are not ACTIVE with the rules that target them. Warns about
/// exceptions expiring within [`EXPIRY_WARNING_DAYS`].
pub(crate) struct Expansion {
    pub desired: BTreeMap<Assignment, Provenance>,
    pub expired: BTreeMap<Assignment, usize>,
    pub inactive_targets: BTreeMap<AccountId, BTreeSet<usize>>,
}

pub(crate) fn expand(
    resolved: &[Resolved<'_>],
    live: &LiveState,
    today: Date,
    warnings: &mut Vec<Warning>,
) -> Expansion {
    let mut desired: BTreeMap<Assignment, Provenance> = BTreeMap::new();
    let mut expired: BTreeMap<Assignment, usize> = BTreeMap::new();
    let mut inactive_targets: BTreeMap<AccountId, BTreeSet<usize>> = BTreeMap::new();
    for (ri, r) in resolved.iter().enumerate() {
        let is_expired = r.rule.expiry.as_ref().is_some_and(|e| today > e.expires);
        if let Some(e) = &r.rule.expiry {
            let days = today.days_until(e.expires);
            if (0..=EXPIRY_WARNING_DAYS).contains(&days) {
                let who = r
                    .principals
                    .iter()
                    .map(|(k, _, n)| format!("{} `{n}`", k.noun()))
                    .collect::<Vec<_>>()
                    .join(", ");
                let owner = e
                    .owner
                    .as_deref()
                    .map(|o| format!(", owner {o}"))
                    .unwrap_or_default();
                let when = match days {
                    0 => "today".to_owned(),
                    1 => "tomorrow".to_owned(),
                    d => format!("in {d} days"),
                };
                warnings.push(Warning {
                    kind: WarningKind::ExpiresSoon,
                    message: format!(
                        "{} for {who} expires {when} ({}{owner}); its assignments are deleted from the day after",
                        r.rule.label(),
                        e.expires
                    ),
                });
            }
        }
        for (account, &ti) in &r.accounts {
            let active = live
                .org
                .account(account)
                .is_some_and(|a| a.state == AccountState::Active);
            if !active {
                if !is_expired {
                    inactive_targets
                        .entry(account.clone())
                        .or_default()
                        .insert(r.rule.number);
                }
                continue;
            }
            for (kind, id, _) in &r.principals {
                for ps in &r.permission_sets {
                    let a = Assignment {
                        account_id: account.clone(),
                        permission_set_arn: ps.clone(),
                        principal_type: *kind,
                        principal_id: id.clone(),
                    };
                    if is_expired {
                        expired.entry(a).or_insert(ri);
                    } else {
                        desired.entry(a).or_insert((ri, ti));
                    }
                }
            }
        }
    }
    Expansion {
        desired,
        expired,
        inactive_targets,
    }
}

/// Why an assignment of an expired exception goes:
/// `expired 2026-06-01: rule #2 (line 5), owner payments@…`.
pub(crate) fn expired_reason(rule: &Rule) -> String {
    let (date, owner) = match &rule.expiry {
        Some(e) => (
            e.expires.to_string(),
            e.owner
                .as_deref()
                .map(|o| format!(", owner {o}"))
                .unwrap_or_default(),
        ),
        None => (String::new(), String::new()),
    };
    format!("expired {date}: {}{owner}", rule.label())
}

/// `group aws-finops`, or `user <deleted 1234…>` when the principal is gone.
pub fn principal_label(kind: PrincipalType, id: &PrincipalId, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{} {n}", kind.noun()),
        None => format!("{} <deleted {id}>", kind.noun()),
    }
}

fn change(
    live: &LiveState,
    action: Action,
    a: &Assignment,
    principal_name: Option<String>,
    reason: String,
    rule: Option<usize>,
) -> Change {
    let account = live.org.account(&a.account_id);
    Change {
        action,
        principal_type: a.principal_type,
        principal_id: a.principal_id.clone(),
        principal_name,
        permission_set_arn: a.permission_set_arn.clone(),
        permission_set_name: live
            .permission_sets
            .get(&a.permission_set_arn)
            .cloned()
            .unwrap_or_default(),
        account_id: a.account_id.clone(),
        account_name: account.map(|x| x.name.clone()).unwrap_or_default(),
        account_ou_path: live.org.account_location(&a.account_id),
        reason,
        rule,
        needs_management_account: false,
    }
}

/// Sets `needs_management_account` on exactly the changes that only the
/// management account can make, given who the caller of `live` is (apply
/// calls it again on a saved plan: the marks follow the credentials in use).
pub fn mark_management_only(live: &LiveState, changes: &mut [Change]) {
    let management_only = live.management_only_sets();
    let delegated = live.delegated_administrator().is_some();
    let mgmt = live.org.management_account();
    for c in changes {
        c.needs_management_account = delegated
            && (Some(&c.account_id) == mgmt || management_only.contains(&c.permission_set_arn));
    }
}

/// When the caller is a delegated administrator, marks the changes only the
/// management account can make (AWS refuses a delegated administrator every
/// create, delete and provisioning of a permission set provisioned to the
/// management account, in any account, and any change in the management
/// account) and warns once per permission set, reprovisioning included.
fn delegated_administrator_marks(
    live: &LiveState,
    owned: &BTreeSet<PermissionSetArn>,
    changes: &mut [Change],
    warnings: &mut Vec<Warning>,
) {
    let (Some(caller), Some(mgmt)) = (
        live.delegated_administrator(),
        live.org.management_account(),
    ) else {
        return;
    };
    let management_only = live.management_only_sets();
    mark_management_only(live, changes);
    let mut marked: BTreeMap<&PermissionSetArn, usize> = BTreeMap::new();
    for c in changes.iter().filter(|c| c.needs_management_account) {
        *marked.entry(&c.permission_set_arn).or_default() += 1;
    }
    let stale: BTreeSet<&PermissionSetArn> = live
        .not_provisioned
        .iter()
        .filter(|(ps, accounts)| {
            !accounts.is_empty() && owned.contains(*ps) && management_only.contains(*ps)
        })
        .map(|(ps, _)| ps)
        .collect();
    let sets: BTreeSet<&PermissionSetArn> = marked
        .keys()
        .copied()
        .chain(stale.iter().copied())
        .collect();
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
        warnings.push(Warning {
            kind: WarningKind::DelegatedAdministrator,
            message,
        });
    }
}

pub(crate) fn resolve_rule<'a>(
    config: &Config,
    live: &LiveState,
    rule: &'a Rule,
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Warning>,
) -> Resolved<'a> {
    let file = config.file.as_str();
    let mut principals = Vec::new();
    for p in &rule.principals {
        let (kind, name) = (p.value.kind, p.value.name.as_str());
        let located = Located {
            value: p.value.name.clone(),
            line: p.line,
        };
        if let Some(e) = ambiguity::shared_principal_name(file, live, kind, &located) {
            errors.push(e);
            continue;
        }
        match live.principals.id_of(kind, name) {
            Some(id) => principals.push((kind, id.clone(), name)),
            None => {
                let listed = live.principals.all_names.get(&kind);
                let hint = match listed {
                    Some(all) if !all.is_empty() => {
                        did_you_mean(name, all.iter().map(String::as_str))
                    }
                    _ => did_you_mean(
                        name,
                        live.principals
                            .by_name
                            .keys()
                            .filter(|(k, _)| *k == kind)
                            .map(|(_, n)| n.as_str()),
                    ),
                };
                errors.push(Diagnostic::new(
                    file,
                    p.line,
                    format!(
                        "unknown {} `{name}` in the identity store{hint}",
                        kind.noun()
                    ),
                ));
            }
        }
    }
    let mut permission_sets = Vec::new();
    for ps in &rule.permission_sets {
        match live.permission_set_named(&ps.value) {
            Some(arn) => permission_sets.push(arn.clone()),
            None => errors.push(unknown_permission_set(file, live, ps)),
        }
    }
    let mut target_labels = Vec::new();
    let mut accounts: BTreeMap<AccountId, usize> = BTreeMap::new();
    let mut add =
        |labels: &mut Vec<String>, label: String, ids: Vec<AccountId>, empty_warning: bool| {
            let ti = labels.len();
            if ids.is_empty() && empty_warning {
                warnings.push(Warning {
                    kind: WarningKind::EmptyTarget,
                    message: format!("{}: {label} selects no account", rule.label()),
                });
            }
            labels.push(label);
            for id in ids {
                accounts.entry(id).or_insert(ti);
            }
        };
    for ou in &rule.ous {
        if let Some((label, ids)) = resolve_ou(file, live, ou, errors) {
            add(&mut target_labels, label, ids, true);
        }
    }
    for acc in &rule.accounts {
        if let Some(id) = resolve_account(file, live, acc, errors) {
            let label = match &acc.value {
                AccountRef::Id(_) => format!("account {id}"),
                AccountRef::Name(n) => format!("account {n}"),
            };
            add(&mut target_labels, label, vec![id], false);
        }
    }
    if !rule.account_tags.is_empty() {
        let ids: Vec<AccountId> = live
            .org
            .accounts()
            .filter(|a| {
                rule.account_tags
                    .iter()
                    .all(|(k, v)| a.tags.get(k) == Some(v))
            })
            .map(|a| a.id.clone())
            .collect();
        let label = format!(
            "account_tags {}",
            rule.account_tags
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        add(&mut target_labels, label, ids, true);
    }
    let mut excluded: BTreeSet<AccountId> = BTreeSet::new();
    for ou in &rule.exclude_ous {
        if let Some((_, ids)) = resolve_ou(file, live, ou, errors) {
            excluded.extend(ids);
        }
    }
    for acc in &rule.exclude_accounts {
        if let Some(id) = resolve_account(file, live, acc, errors) {
            excluded.insert(id);
        }
    }
    accounts.retain(|id, _| !excluded.contains(id));
    if accounts.is_empty() && !target_labels.is_empty() {
        warnings.push(Warning {
            kind: WarningKind::EmptyTarget,
            message: format!(
                "{} selects no account once its exclusions are applied",
                rule.label()
            ),
        });
    }
    Resolved {
        rule,
        principals,
        permission_sets,
        accounts,
        target_labels,
    }
}

fn unknown_permission_set(file: &str, live: &LiveState, ps: &Located<String>) -> Diagnostic {
    let hint = did_you_mean(&ps.value, live.permission_sets.values().map(String::as_str));
    Diagnostic::new(
        file,
        ps.line,
        format!(
            "unknown permission set `{}` in the instance{hint}",
            ps.value
        ),
    )
}

pub(crate) fn check_scope_names(config: &Config, live: &LiveState, errors: &mut Vec<Diagnostic>) {
    if let ScopeSets::Named(names) = &config.scope.permission_sets {
        for n in names {
            if live.permission_set_named(&n.value).is_none() {
                errors.push(unknown_permission_set(&config.file, live, n));
            }
        }
    }
}

fn resolve_ou(
    file: &str,
    live: &LiveState,
    ou: &Located<OuRef>,
    errors: &mut Vec<Diagnostic>,
) -> Option<(String, Vec<AccountId>)> {
    let org = &live.org;
    let node = match &ou.value {
        OuRef::Root | OuRef::RootId(_) => match ambiguity::root(file, live, ou) {
            Ok(node) => node,
            Err(e) => {
                errors.push(e);
                return None;
            }
        },
        OuRef::Id(id) => {
            if org.ou(id).is_none() {
                errors.push(Diagnostic::new(
                    file,
                    ou.line,
                    format!("unknown OU id `{id}` in the organization"),
                ));
                return None;
            }
            NodeId::Ou(id.clone())
        }
        OuRef::Path(path) => {
            let located = Located {
                value: path.clone(),
                line: ou.line,
            };
            match ambiguity::ou_by_path(file, live, &located) {
                Some(Ok(id)) => NodeId::Ou(id),
                Some(Err(e)) => {
                    errors.push(e);
                    return None;
                }
                None => {
                    let paths = org.all_ou_paths();
                    let hint = did_you_mean(path, paths.iter().map(String::as_str));
                    errors.push(Diagnostic::new(
                        file,
                        ou.line,
                        format!("unknown OU path `{path}`{hint}"),
                    ));
                    return None;
                }
            }
        }
    };
    let label = match &ou.value {
        OuRef::Root | OuRef::RootId(_) => "_root_".to_owned(),
        OuRef::Id(id) => format!("ou {id} ({})", org.path_of(&node)),
        OuRef::Path(p) => format!("ou {p}"),
    };
    Some((
        label,
        org.accounts_under(&node).into_iter().cloned().collect(),
    ))
}

fn resolve_account(
    file: &str,
    live: &LiveState,
    acc: &Located<AccountRef>,
    errors: &mut Vec<Diagnostic>,
) -> Option<AccountId> {
    let result = match &acc.value {
        AccountRef::Id(id) => ambiguity::account_by_id(
            file,
            live,
            &Located {
                value: id.clone(),
                line: acc.line,
            },
        ),
        AccountRef::Name(name) => {
            let found: Vec<&AccountId> = live.org.accounts_named(name).map(|a| &a.id).collect();
            let located = Located {
                value: name.clone(),
                line: acc.line,
            };
            match found.as_slice() {
                [one] => Ok((*one).clone()),
                [] => {
                    let hint = did_you_mean(name, live.org.accounts().map(|a| a.name.as_str()));
                    Err(Diagnostic::new(
                        file,
                        acc.line,
                        format!("unknown account name `{name}`{hint}"),
                    ))
                }
                many => Err(ambiguity::shared_account_name(file, live, &located, many)),
            }
        }
    };
    result.map_err(|e| errors.push(e)).ok()
}

fn duplicate_rule_warnings(resolved: &[Resolved<'_>], warnings: &mut Vec<Warning>) {
    type Key<'k> = (
        BTreeSet<(PrincipalType, &'k PrincipalId)>,
        BTreeSet<&'k PermissionSetArn>,
        BTreeSet<&'k AccountId>,
        bool,
    );
    let mut seen: BTreeMap<Key<'_>, usize> = BTreeMap::new();
    for r in resolved {
        let key: Key<'_> = (
            r.principals.iter().map(|(k, id, _)| (*k, id)).collect(),
            r.permission_sets.iter().collect(),
            r.accounts.keys().collect(),
            r.rule.expiry.is_some(),
        );
        if key.2.is_empty() {
            continue;
        }
        if let Some(first) = seen.get(&key) {
            warnings.push(Warning {
                kind: WarningKind::DuplicateRule,
                message: format!(
                    "{} grants exactly what rule #{first} grants; remove one of them",
                    r.rule.label()
                ),
            });
        } else {
            seen.insert(key, r.rule.number);
        }
    }
}

fn role_deletion_warnings(live: &LiveState, changes: &[Change], warnings: &mut Vec<Warning>) {
    // (creates, deletes, live assignments) per (account, permission set) the plan touches.
    let mut pairs: BTreeMap<(&AccountId, &PermissionSetArn), (usize, usize, usize)> =
        BTreeMap::new();
    for c in changes {
        let e = pairs
            .entry((&c.account_id, &c.permission_set_arn))
            .or_default();
        match c.action {
            Action::Create => e.0 += 1,
            Action::Delete => e.1 += 1,
        }
    }
    for a in &live.assignments {
        if let Some(e) = pairs.get_mut(&(&a.account_id, &a.permission_set_arn)) {
            e.2 += 1;
        }
    }
    for ((account, ps), (creates, deletes, live_count)) in pairs {
        if deletes == 0 || creates > 0 || live_count != deletes {
            continue;
        }
        let name = live.permission_set_name(ps);
        let account_name = live
            .org
            .account(account)
            .map(|a| a.name.as_str())
            .unwrap_or("");
        warnings.push(Warning {
            kind: WarningKind::RoleDeleted,
            message: format!(
                "the plan removes the last assignment of {name} in account {account} ({account_name}): the service deletes the role \
                 AWSReservedSSO_{name}_… there, and a later re-assignment creates one with a new suffix, which breaks trust policies \
                 and EKS access entries that name it"
            ),
        });
    }
}

/// SHA-256 over what the plan depends on in the live state: the accounts
/// (state and place), the principals the file names, the permission sets, and
/// the live assignments that were read.
pub fn fingerprint(config: &Config, live: &LiveState) -> String {
    let mut h = Sha256::new();
    let mut line = |parts: &[&str]| {
        h.update(parts.join("\t").as_bytes());
        h.update(b"\n");
    };
    line(&["instance", live.instance_arn.as_str()]);
    for a in live.org.accounts() {
        line(&[
            "account",
            a.id.as_str(),
            a.state.as_str(),
            a.parent.as_str(),
            &a.name,
        ]);
        if config.uses_account_tags() {
            for (k, v) in &a.tags {
                line(&["tag", a.id.as_str(), k, v]);
            }
        }
    }
    for ou in live.org.ous() {
        line(&["ou", ou.id.as_str(), ou.parent.as_str(), &ou.name]);
    }
    for (arn, name) in &live.permission_sets {
        line(&["permission_set", arn.as_str(), name]);
    }
    for (kind, name) in principal_names(config) {
        let id = live
            .principals
            .id_of(kind, &name)
            .map(PrincipalId::as_str)
            .unwrap_or("");
        line(&["principal", kind.as_str(), &name, id]);
    }
    for ps in &live.read_permission_sets {
        line(&["read", ps.as_str()]);
    }
    for a in &live.assignments {
        let deleted = if live
            .principals
            .is_deleted(a.principal_type, &a.principal_id)
        {
            "deleted"
        } else {
            ""
        };
        line(&[
            "assignment",
            a.account_id.as_str(),
            a.permission_set_arn.as_str(),
            a.principal_type.as_str(),
            a.principal_id.as_str(),
            deleted,
        ]);
    }
    let digest = h.finalize();
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        use std::fmt::Write;
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Create => "create",
            Action::Delete => "delete",
        })
    }
}
