//! The planner: the stages (`scope` → `resolve` → `expand` → `classify`)
//! composed into a plan, the changes that make the live assignments match
//! the file inside its scope, with the warnings a reviewer needs.
//!
//! A plan is data: apply does exactly what it says. It is deterministic (sorted)
//! and carries a fingerprint of the live state it was computed from, so that a
//! saved plan can be refused once the instance has moved on.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::classify::{Class, Classification, DeleteReason, ReasonKind, classify};
use crate::config::Config;
use crate::date::Date;
use crate::expand::expand;
use crate::ids::{AccountId, InstanceArn, PermissionSetArn, PrincipalId, PrincipalType};
use crate::live::{Assignment, AssignmentRead, LiveState};
use crate::resolve::{Resolution, resolve};
use crate::scope::Scope;
use crate::yaml::Diagnostic;

mod fingerprint;
pub mod people;
mod recovery;
mod warnings;

pub use fingerprint::fingerprint;
pub use people::People;
pub use recovery::{Recreated, recreated};
pub(crate) use warnings::orphans_not_counted;

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
    /// `reason` for machines. Always written by the planner; a plan saved
    /// before it existed reads as `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_kind: Option<ReasonKind>,
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

    /// The order plans list changes in (after creates before deletes): by
    /// account, permission set and principal.
    pub fn order(&self) -> ListingOrder<'_> {
        (
            &self.account_id,
            &self.permission_set_name,
            self.principal_type,
            &self.principal_name,
            &self.principal_id,
        )
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
    /// Live assignments were read by principal, which cannot see those of
    /// deleted principals.
    ReadByPrincipal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub kind: WarningKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    /// Every delete, orphans included.
    pub delete: usize,
    pub unchanged: usize,
    /// How many of the deletes remove assignments of principals that no
    /// longer exist: they remove nobody's access and are not counted
    /// against the delete budget. Written only when there are some.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delete_orphans: usize,
}

impl Summary {
    /// The deletes that remove someone's access: what the budget counts.
    pub fn delete_access(&self) -> usize {
        self.delete.saturating_sub(self.delete_orphans)
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// An account a partial plan covers (`--account`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PlannedAccount {
    pub id: AccountId,
    pub name: String,
    /// Where the account sits: `Workloads/NonProd`, or `Root`.
    pub ou_path: String,
}

/// What apply will do, and the state it was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub instance_arn: InstanceArn,
    /// Set when the plan covers only some accounts (`--account`): them,
    /// sorted by id. Nothing else was read, and nothing else changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<Vec<PlannedAccount>>,
    pub summary: Summary,
    /// Creates first, then deletes; each sorted by account, permission set and
    /// principal.
    pub changes: Vec<Change>,
    pub warnings: Vec<Warning>,
    /// Deleted principals that appear recreated under a new id; their
    /// creates and orphan deletes are still in `changes`. Written only when
    /// there are some.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recreated: Vec<Recreated>,
    pub max_deletes: u32,
    /// SHA-256 of the live state the plan was computed from.
    pub fingerprint: String,
    /// How the live assignments were read and what each way would have
    /// cost, when the reader weighed them (`--inventory auto`, the default
    /// against AWS); absent otherwise, as for a snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<AssignmentRead>,
    /// The people whose access the changes give or take, when the members
    /// of the groups were read (`plan` reads them; apply does not). Not
    /// part of what a saved plan is checked against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<People>,
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

    /// The deletes of assignments of principals that no longer exist.
    pub fn orphan_deletes(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.is_orphan_delete())
    }

    /// The deletes that remove someone's access: what the budget counts.
    pub fn access_deletes(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.removes_access())
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

/// Computes the plan that makes `live` match `config`, as of `today`.
pub fn plan(config: &Config, live: &LiveState, today: Date) -> Result<Plan, PlanError> {
    let resolution = resolve(config, live);
    let mut errors: Vec<Diagnostic> = resolution.errors().cloned().collect();
    errors.extend(unread_permission_sets(config, &resolution, live));
    if !errors.is_empty() {
        errors.sort();
        errors.dedup();
        return Err(PlanError(errors));
    }
    let scope = Scope::of(config, &live.permission_sets);
    let expansion = expand(&resolution, live, today);
    let classes = classify(&resolution, &expansion, &scope, live);
    let mut changes = changes(&resolution, &classes, live);
    mark_management_only(live, &mut changes);
    let summary = Summary {
        create: changes
            .iter()
            .filter(|c| c.action == Action::Create)
            .count(),
        delete: changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .count(),
        unchanged: classes.unchanged(),
        delete_orphans: changes.iter().filter(|c| c.is_orphan_delete()).count(),
    };
    let recreated = recreated(&changes);
    let warnings = warnings::warnings(&warnings::Facts {
        config,
        live,
        scope: &scope,
        resolution: &resolution,
        expansion: &expansion,
        classes: &classes,
        changes: &changes,
        summary,
    });
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        instance_arn: live.instance_arn.clone(),
        partial: planned_accounts(live),
        summary,
        changes,
        warnings,
        recreated,
        max_deletes: config.max_deletes,
        fingerprint: fingerprint(config, live),
        read: live.assignment_read.clone(),
        people: None,
    })
}

/// The accounts of a partial live state ([`crate::org::OrgTree::is_partial`]),
/// or `None` for the whole organization.
pub fn planned_accounts(live: &LiveState) -> Option<Vec<PlannedAccount>> {
    live.org.is_partial().then(|| {
        live.org
            .accounts()
            .map(|a| PlannedAccount {
                id: a.id.clone(),
                name: a.name.clone(),
                ou_path: live.org.account_location(&a.id),
            })
            .collect()
    })
}

/// A permission set a rule names whose live assignments were not read: the
/// reader and the planner disagree, and nothing can be planned safely.
fn unread_permission_sets(
    config: &Config,
    resolution: &Resolution<'_>,
    live: &LiveState,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in &resolution.rules {
        for ps in &r.permission_sets {
            if !live.read_permission_sets.contains(ps) {
                out.push(Diagnostic::new(
                    &config.file,
                    r.rule.line,
                    format!("internal: the live assignments of permission set `{ps}` were not read; nothing can be planned"),
                ));
            }
        }
    }
    out
}

/// The creates (declared, missing) and deletes of a classification, creates
/// first, each sorted by account, permission set and principal.
fn changes(
    resolution: &Resolution<'_>,
    classes: &Classification<'_, '_>,
    live: &LiveState,
) -> Vec<Change> {
    let creates = classes.missing.iter().map(|m| {
        let r = resolution.rule(m.provenance.rule);
        let a = m.assignment;
        let name = r
            .principal(a.principal_type, &a.principal_id)
            .map(|p| p.name.to_owned());
        let reason = (m.provenance.describe(resolution), ReasonKind::Missing);
        change(
            live,
            Action::Create,
            a,
            name,
            reason,
            Some(r.index.number()),
        )
    });
    let deletes = classes.live.iter().filter_map(|j| {
        let Class::Delete(reason) = j.class else {
            return None;
        };
        let a = j.assignment;
        let name = live
            .principals
            .name_of(a.principal_type, &a.principal_id)
            .map(str::to_owned);
        let rule = match reason {
            DeleteReason::Expired(index) => Some(index.number()),
            DeleteReason::Undeclared | DeleteReason::PrincipalDeleted => None,
        };
        let why = (reason.describe(resolution), ReasonKind::from(reason));
        Some(change(live, Action::Delete, a, name, why, rule))
    });
    let mut changes: Vec<Change> = creates.chain(deletes).collect();
    changes.sort_by(|x, y| (x.action, x.order()).cmp(&(y.action, y.order())));
    changes
}

fn change(
    live: &LiveState,
    action: Action,
    a: &Assignment,
    principal_name: Option<String>,
    (reason, kind): (String, ReasonKind),
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
        reason_kind: Some(kind),
        rule,
        needs_management_account: false,
    }
}

/// How plans and drift reports order assignments: account, permission set
/// name, principal kind, name and id.
pub type ListingOrder<'a> = (
    &'a AccountId,
    &'a String,
    PrincipalType,
    &'a Option<String>,
    &'a PrincipalId,
);

/// `group aws-finops`, or `user <deleted 1234…>` when the principal is gone.
pub fn principal_label(kind: PrincipalType, id: &PrincipalId, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{} {n}", kind.noun()),
        None => format!("{} <deleted {id}>", kind.noun()),
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

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Create => "create",
            Action::Delete => "delete",
        })
    }
}
