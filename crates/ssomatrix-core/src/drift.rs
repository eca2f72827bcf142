//! Drift reports: how the live instance differs from the file, for people who
//! did not just edit it. A scheduled job runs `ssomatrix drift` and files the
//! Markdown as one GitHub issue.
//!
//! Unlike a plan, a drift report never fails on a reference the file can no
//! longer resolve (an OU renamed, a group deleted): that is drift too, so it
//! is reported next to the rest, and the rules concerned are expanded as far
//! as they resolve. The report composes the planner's stages (`resolve`,
//! `expand`, `classify`), so "declared" means exactly what it means to `plan`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::classify::{Class, Classification, DeleteReason, ReasonKind, classify};
use crate::config::Config;
use crate::date::Date;
use crate::expand::{Expansion, expand};
use crate::ids::{
    AccountId, AccountState, InstanceArn, PermissionSetArn, PrincipalId, PrincipalType,
};
use crate::live::{Assignment, LiveState};
use crate::plan::{self, ListingOrder};
use crate::resolve::{Resolution, RuleIndex, resolve};
use crate::scope::Scope;

/// The drift report format version written into JSON reports.
pub const DRIFT_FORMAT_VERSION: u32 = 1;

/// One live (or missing) assignment the report names, self-describing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub account_id: AccountId,
    pub account_name: String,
    /// Where the account sits: `Workloads/NonProd`, or `Root`.
    pub account_ou_path: String,
    pub account_state: AccountState,
    pub permission_set_arn: PermissionSetArn,
    pub permission_set_name: String,
    pub principal_type: PrincipalType,
    pub principal_id: PrincipalId,
    /// `None` when the principal no longer exists.
    pub principal_name: Option<String>,
    /// Why it is listed: the rule that wants it, "not declared", …
    pub detail: String,
    /// `detail` for machines.
    pub reason_kind: ReasonKind,
    /// The 1-based number of the rule concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
}

impl Finding {
    /// The order a section lists findings in, the plan's.
    pub fn order(&self) -> ListingOrder<'_> {
        let Finding {
            account_id: account,
            permission_set_name: set,
            principal_type: kind,
            principal_name: name,
            principal_id: id,
            ..
        } = self;
        (account, set, *kind, name, id)
    }

    /// `group aws-finops`, or `user <deleted 1234…>`.
    pub fn principal_label(&self) -> String {
        plan::principal_label(
            self.principal_type,
            &self.principal_id,
            self.principal_name.as_deref(),
        )
    }
}

/// A user exception that ends within the warning window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expiring {
    pub rule: usize,
    pub rule_label: String,
    /// `user carol.diaz@…`, as the file names them.
    pub principals: Vec<String>,
    pub owner: Option<String>,
    /// The last day the rule is in force.
    pub expires: Date,
    /// 0 when it expires today.
    pub days_left: i64,
    /// Live assignments the rule holds today (deleted from the day after).
    pub live_assignments: usize,
}

/// A permission set whose latest version is not provisioned to an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutOfSync {
    pub permission_set_arn: PermissionSetArn,
    pub permission_set_name: String,
    pub account_id: AccountId,
    pub account_name: String,
}

/// A reference in the file that no longer resolves against the instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    /// `None` for references outside the rules (`scope.permission_sets`).
    pub rule: Option<usize>,
    pub line: Option<usize>,
    pub message: String,
    /// Live assignments of the rule's principals and permission sets that
    /// are neither declared nor reported as undeclared: the lost target may
    /// have declared them.
    pub unjudged_live_assignments: usize,
}

/// Live assignments the file does not own, counted for information.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutsideScope {
    /// Whether the assignments of every permission set were read; when not,
    /// the counts cover only the permission sets the file names.
    pub complete: bool,
    pub assignments: usize,
    /// Permission set name → live assignments.
    pub by_permission_set: BTreeMap<String, usize>,
}

/// How many findings each section holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DriftSummary {
    /// Whether anything needs action (`--detailed-exitcode` exits 2).
    pub needs_action: bool,
    pub undeclared: usize,
    /// Of the undeclared, how many are held by users rather than groups.
    pub undeclared_users: usize,
    pub missing: usize,
    pub expired: usize,
    pub expiring: usize,
    pub deleted_principals: usize,
    pub out_of_sync: usize,
    pub inactive_accounts: usize,
    pub unresolved: usize,
    pub outside_scope: usize,
}

/// How the live assignments behind a report were found (`--inventory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadStrategy {
    /// Only the accounts `ListAccountsForProvisionedPermissionSet` gives for
    /// each permission set. AWS states that a successful create provisions
    /// the set to its account, nothing for creates in progress or failed
    /// provisioning: an assignment there is not seen.
    Provisioned,
    /// Every account × permission set.
    Exhaustive,
}

impl ReadStrategy {
    /// One sentence for a reader of the report.
    pub fn describe(self) -> &'static str {
        match self {
            ReadStrategy::Provisioned => {
                "read with --inventory provisioned: only the accounts each permission set is provisioned to \
                 were listed, which AWS guarantees for successful creates only; run with --inventory exhaustive \
                 to check every account"
            }
            ReadStrategy::Exhaustive => {
                "read with --inventory exhaustive: every account × permission set was listed"
            }
        }
    }
}

/// How the live instance differs from the file, section by section; each
/// section is empty when there is nothing to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftReport {
    pub format_version: u32,
    /// How the live assignments were read, when the caller says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_strategy: Option<ReadStrategy>,
    /// Set when the report covers only some accounts (`--account`): them,
    /// sorted by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<Vec<plan::PlannedAccount>>,
    pub instance_arn: InstanceArn,
    pub today: Date,
    pub warn_expiring_days: i64,
    pub summary: DriftSummary,
    /// Live assignments of owned permission sets in ACTIVE accounts that no
    /// rule declares: click-ops.
    pub undeclared: Vec<Finding>,
    /// Declared assignments (ACTIVE accounts) that are not live.
    pub missing: Vec<Finding>,
    /// Assignments of exceptions past `expires` that are still live.
    pub expired: Vec<Finding>,
    /// Exceptions ending within `warn_expiring_days` (information).
    pub expiring: Vec<Expiring>,
    /// Live assignments of owned permission sets held by principals that no
    /// longer exist.
    pub deleted_principals: Vec<Finding>,
    /// Owned permission sets OUT_OF_SYNC, per account.
    pub out_of_sync: Vec<OutOfSync>,
    /// Live assignments of owned permission sets in accounts that are not
    /// ACTIVE (never written by apply).
    pub inactive_accounts: Vec<Finding>,
    /// References in the file that no longer resolve.
    pub unresolved: Vec<Unresolved>,
    /// Live assignments outside the file's scope (information).
    pub outside_scope: OutsideScope,
}

impl DriftReport {
    /// Whether anything needs action: every section but the expiring
    /// exceptions and the counts outside the scope, which are information.
    pub fn needs_action(&self) -> bool {
        self.summary.needs_action
    }
}

fn finding(
    live: &LiveState,
    a: &Assignment,
    principal_name: Option<String>,
    (detail, reason_kind): (String, ReasonKind),
    rule: Option<usize>,
) -> Finding {
    let account = live.org.account(&a.account_id);
    Finding {
        account_id: a.account_id.clone(),
        account_name: account.map(|x| x.name.clone()).unwrap_or_default(),
        account_ou_path: live.org.account_location(&a.account_id),
        account_state: account.map_or(AccountState::Suspended, |x| x.state),
        permission_set_arn: a.permission_set_arn.clone(),
        permission_set_name: live.permission_set_name(&a.permission_set_arn).to_owned(),
        principal_type: a.principal_type,
        principal_id: a.principal_id.clone(),
        principal_name,
        detail,
        reason_kind,
        rule,
    }
}

fn sort_findings(v: &mut [Finding]) {
    v.sort_by(|x, y| x.order().cmp(&y.order()));
}

/// Computes the drift report of `live` against `config`, as of `today`;
/// exceptions ending within `warn_expiring_days` are listed.
pub fn drift(
    config: &Config,
    live: &LiveState,
    today: Date,
    warn_expiring_days: i64,
) -> DriftReport {
    let resolution = resolve(config, live);
    let scope = Scope::of(config, &live.permission_sets);
    let expansion = expand(&resolution, live, today);
    let classes = classify(&resolution, &expansion, &scope, live);
    let mut judged = judge(&resolution, &classes, live);
    let mut missing: Vec<Finding> = classes
        .missing
        .iter()
        .map(|m| {
            let r = resolution.rule(m.provenance.rule);
            let a = m.assignment;
            let name = r
                .principal(a.principal_type, &a.principal_id)
                .map(|p| p.name.to_owned());
            let detail = m.provenance.describe(&resolution);
            finding(
                live,
                a,
                name,
                (detail, ReasonKind::Missing),
                Some(r.index.number()),
            )
        })
        .collect();
    for v in [
        &mut judged.undeclared,
        &mut missing,
        &mut judged.expired,
        &mut judged.deleted_principals,
        &mut judged.inactive_accounts,
    ] {
        sort_findings(v);
    }
    let expiring = expiring(&resolution, &expansion, live, warn_expiring_days);
    let out_of_sync = out_of_sync(live, &scope);
    let unresolved = unresolved(&resolution, &judged.unjudged);
    let mut summary = DriftSummary {
        needs_action: false,
        undeclared: judged.undeclared.len(),
        undeclared_users: judged
            .undeclared
            .iter()
            .filter(|f| f.principal_type == PrincipalType::User)
            .count(),
        missing: missing.len(),
        expired: judged.expired.len(),
        expiring: expiring.len(),
        deleted_principals: judged.deleted_principals.len(),
        out_of_sync: out_of_sync.len(),
        inactive_accounts: judged.inactive_accounts.len(),
        unresolved: unresolved.len(),
        outside_scope: judged.outside.assignments,
    };
    summary.needs_action = summary.undeclared
        + summary.missing
        + summary.expired
        + summary.deleted_principals
        + summary.out_of_sync
        + summary.inactive_accounts
        + summary.unresolved
        > 0;
    DriftReport {
        format_version: DRIFT_FORMAT_VERSION,
        read_strategy: None,
        partial: plan::planned_accounts(live),
        instance_arn: live.instance_arn.clone(),
        today,
        warn_expiring_days,
        summary,
        undeclared: judged.undeclared,
        missing,
        expired: judged.expired,
        expiring,
        deleted_principals: judged.deleted_principals,
        out_of_sync,
        inactive_accounts: judged.inactive_accounts,
        unresolved,
        outside_scope: judged.outside,
    }
}

/// The live assignments sorted into the report's sections.
struct Judgements {
    undeclared: Vec<Finding>,
    expired: Vec<Finding>,
    deleted_principals: Vec<Finding>,
    inactive_accounts: Vec<Finding>,
    outside: OutsideScope,
    /// Per rule that did not fully resolve, the live assignments not judged.
    unjudged: BTreeMap<RuleIndex, usize>,
}

fn judge(
    resolution: &Resolution<'_>,
    classes: &Classification<'_, '_>,
    live: &LiveState,
) -> Judgements {
    let mut out = Judgements {
        undeclared: Vec::new(),
        expired: Vec::new(),
        deleted_principals: Vec::new(),
        inactive_accounts: Vec::new(),
        outside: OutsideScope {
            complete: live
                .permission_sets
                .keys()
                .all(|ps| live.read_permission_sets.contains(ps)),
            ..OutsideScope::default()
        },
        unjudged: BTreeMap::new(),
    };
    for j in &classes.live {
        let a = j.assignment;
        let name = || {
            live.principals
                .name_of(a.principal_type, &a.principal_id)
                .map(str::to_owned)
        };
        match j.class {
            Class::Unchanged => {}
            Class::OutsideScope => {
                out.outside.assignments += 1;
                *out.outside
                    .by_permission_set
                    .entry(live.permission_set_name(&a.permission_set_arn).to_owned())
                    .or_default() += 1;
            }
            Class::InactiveAccount { .. } => {
                let state = live.org.account(&a.account_id).map(|x| x.state);
                let state = state.map_or("UNKNOWN", AccountState::as_str);
                let detail = format!("account is {state}: left alone until it is ACTIVE");
                out.inactive_accounts.push(finding(
                    live,
                    a,
                    name(),
                    (detail, ReasonKind::InactiveAccount),
                    None,
                ));
            }
            Class::Unjudged(rule) => *out.unjudged.entry(rule).or_default() += 1,
            Class::Delete(reason) => {
                let detail = reason.describe(resolution);
                let (list, name, rule) = match reason {
                    DeleteReason::Expired(rule) => (&mut out.expired, name(), Some(rule.number())),
                    DeleteReason::PrincipalDeleted => (&mut out.deleted_principals, None, None),
                    DeleteReason::Undeclared => (&mut out.undeclared, name(), None),
                };
                let detail = match (reason, a.principal_type) {
                    (DeleteReason::Undeclared, PrincipalType::User) => {
                        format!("{detail}; held by a user, not a group")
                    }
                    _ => detail,
                };
                list.push(finding(live, a, name, (detail, reason.into()), rule));
            }
        }
    }
    out
}

/// The references that no longer resolve, each with the live assignments
/// its rule leaves unjudged.
fn unresolved(
    resolution: &Resolution<'_>,
    unjudged: &BTreeMap<RuleIndex, usize>,
) -> Vec<Unresolved> {
    let by_rule = resolution.rules.iter().flat_map(|r| {
        r.errors.iter().map(|e| Unresolved {
            rule: Some(r.index.number()),
            line: e.line,
            message: e.message.clone(),
            unjudged_live_assignments: unjudged.get(&r.index).copied().unwrap_or(0),
        })
    });
    let scope = resolution.scope_errors.iter().map(|e| Unresolved {
        rule: None,
        line: e.line,
        message: e.message.clone(),
        unjudged_live_assignments: 0,
    });
    let mut out: Vec<Unresolved> = by_rule.chain(scope).collect();
    out.sort_by(|x, y| (x.line, x.rule, &x.message).cmp(&(y.line, y.rule, &y.message)));
    out.dedup();
    out
}

/// The exceptions ending within `warn_days`, with the live assignments each
/// holds today.
fn expiring(
    resolution: &Resolution<'_>,
    expansion: &Expansion,
    live: &LiveState,
    warn_days: i64,
) -> Vec<Expiring> {
    let soon = expansion
        .expiring
        .iter()
        .filter(|e| e.days_left <= warn_days);
    soon.map(|e| {
        let rule = resolution.rule(e.rule).rule;
        let live_assignments = expansion
            .desired
            .iter()
            .filter(|(a, p)| p.rule == e.rule && live.assignments.contains(*a))
            .count();
        Expiring {
            rule: e.rule.number(),
            rule_label: rule.label(),
            principals: rule
                .principals
                .iter()
                .map(|p| format!("{} {}", p.value.kind.noun(), p.value.name))
                .collect(),
            owner: e.owner.clone(),
            expires: e.expires,
            days_left: e.days_left,
            live_assignments,
        }
    })
    .collect()
}

/// The owned permission sets OUT_OF_SYNC, per account.
fn out_of_sync(live: &LiveState, scope: &Scope) -> Vec<OutOfSync> {
    let mut out = Vec::new();
    for (ps, accounts) in &live.not_provisioned {
        if !scope.owns(ps) {
            continue;
        }
        for account in accounts {
            out.push(OutOfSync {
                permission_set_arn: ps.clone(),
                permission_set_name: live.permission_set_name(ps).to_owned(),
                account_id: account.clone(),
                account_name: live
                    .org
                    .account(account)
                    .map(|x| x.name.clone())
                    .unwrap_or_default(),
            });
        }
    }
    out.sort_by(|x, y| {
        (&x.permission_set_name, &x.account_id).cmp(&(&y.permission_set_name, &y.account_id))
    });
    out
}
