//! `import`: the assignments file a person would write for a live state.
//!
//! Every (principal, permission set) pair's ACTIVE accounts become one list
//! of targets chosen by the `cover` module at the lowest cost, the number of list
//! entries (`ous` + `accounts` + `exclude_accounts`). Principals of one kind
//! with the same targets and the same permission sets share a rule, and a
//! principal with the same targets for several sets gets `permission_sets`.
//! Users become exceptions with an owner and an expiry date.
//!
//! The result proves itself: it is parsed and planned against the same live
//! state, and anything the plan would change other than deleting the
//! assignments of deleted principals is returned as an error, never a file.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::classify::ReasonKind;
use crate::config::{Config, glob_match};
use crate::date::Date;
use crate::ids::{AccountId, AccountState, PrincipalType};
use crate::live::LiveState;
use crate::plan::{Action, plan};

mod cover;

use cover::{Cover, Tree};

/// What the caller decides: excluded permission sets, the owner and expiry
/// of user exceptions, and what the header says.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Globs of permission set names written to `scope.exclude`.
    pub exclude: Vec<String>,
    pub owner: String,
    pub expires: Date,
    pub today: Date,
    /// Where the live state came from, for the header (`snapshot x.yaml`).
    pub source: String,
}

/// What the file covers and what it cannot express.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub rules: usize,
    pub live_assignments: usize,
    pub assignments_covered: usize,
    /// Assignments covered per rule written.
    pub compression_ratio: f64,
    /// `principal permission-set account` of user exceptions, to review.
    pub user_exceptions: Vec<String>,
    /// Assignments of principals that no longer exist: the first plan of
    /// the file deletes them.
    pub deleted_principal_assignments: usize,
    /// Assignments in accounts that are not ACTIVE: left alone.
    pub inactive_account_assignments: usize,
    /// Permission sets matched by `--exclude`, and their assignments.
    pub excluded_sets: Vec<String>,
    pub excluded_assignments: usize,
}

/// The file and its report.
#[derive(Debug, Clone)]
pub struct Imported {
    pub text: String,
    pub report: ImportReport,
}

/// Why no file was produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error(
        "the imported file does not reproduce the live state (a bug in import; please report it); \
         planning it would:\n  {}",
        .0.join("\n  ")
    )]
    NotReproduced(Vec<String>),
    #[error("the imported file does not parse or plan (a bug in import; please report it):\n  {}", .0.join("\n  "))]
    Invalid(Vec<String>),
    #[error(
        "user exceptions would expire on {expires}, before today ({today}); pass a later --expires"
    )]
    ExpiresInPast { expires: Date, today: Date },
}

/// One rule to write: principals of one kind × permission sets × targets.
struct ImportRule {
    kind: PrincipalType,
    principals: Vec<String>,
    permission_sets: Vec<String>,
    wanted: usize,
    cover: Cover,
}

type Pairs = BTreeMap<(PrincipalType, String), BTreeMap<String, BTreeSet<AccountId>>>;

/// The file for `live`, verified by planning it. See the module doc.
pub fn import(live: &LiveState, options: &ImportOptions) -> Result<Imported, ImportError> {
    if options.expires < options.today {
        return Err(ImportError::ExpiresInPast {
            expires: options.expires,
            today: options.today,
        });
    }
    let (pairs, mut report) = collect(live, options);
    let rules = group(&Tree::new(&live.org), pairs);
    report.rules = rules.len();
    report.compression_ratio = if rules.is_empty() {
        0.0
    } else {
        ratio(report.assignments_covered, rules.len())
    };
    let text = render(live, options, &rules, &report);
    verify(&text, live, options.today)?;
    Ok(Imported { text, report })
}

fn ratio(covered: usize, rules: usize) -> f64 {
    let r = covered as f64 / rules as f64;
    (r * 100.0).round() / 100.0
}

/// The wanted accounts of each (principal, permission set), and the report
/// of what is left out.
fn collect(live: &LiveState, options: &ImportOptions) -> (Pairs, ImportReport) {
    let mut report = ImportReport {
        live_assignments: live.assignments.len(),
        ..ImportReport::default()
    };
    let mut excluded = BTreeSet::new();
    let mut pairs: Pairs = BTreeMap::new();
    for a in &live.assignments {
        let ps = live.permission_set_name(&a.permission_set_arn);
        if options.exclude.iter().any(|g| glob_match(g, ps)) {
            excluded.insert(ps.to_owned());
            report.excluded_assignments += 1;
            continue;
        }
        let active = live
            .org
            .account(&a.account_id)
            .is_some_and(|acc| acc.state == AccountState::Active);
        if !active {
            report.inactive_account_assignments += 1;
            continue;
        }
        let Some(name) = live.principals.name_of(a.principal_type, &a.principal_id) else {
            report.deleted_principal_assignments += 1;
            continue;
        };
        report.assignments_covered += 1;
        if a.principal_type == PrincipalType::User {
            report.user_exceptions.push(format!(
                "{name} {ps} {}",
                account_label(live, &a.account_id)
            ));
        }
        pairs
            .entry((a.principal_type, name.to_owned()))
            .or_default()
            .entry(ps.to_owned())
            .or_default()
            .insert(a.account_id.clone());
    }
    report.user_exceptions.sort();
    report.excluded_sets = excluded.into_iter().collect();
    (pairs, report)
}

fn account_label(live: &LiveState, id: &AccountId) -> String {
    live.org
        .account(id)
        .map_or_else(|| id.to_string(), |a| a.name.clone())
}

/// Rules sharing principals and permission sets; see the module doc.
fn group(tree: &Tree, pairs: Pairs) -> Vec<ImportRule> {
    type Key = (PrincipalType, BTreeSet<AccountId>, BTreeSet<String>);
    let mut shared: BTreeMap<Key, Vec<String>> = BTreeMap::new();
    for ((kind, name), sets) in pairs {
        let mut by_targets: BTreeMap<BTreeSet<AccountId>, BTreeSet<String>> = BTreeMap::new();
        for (ps, accounts) in sets {
            by_targets.entry(accounts).or_default().insert(ps);
        }
        for (accounts, sets) in by_targets {
            shared
                .entry((kind, accounts, sets))
                .or_default()
                .push(name.clone());
        }
    }
    let mut covers: BTreeMap<BTreeSet<AccountId>, Cover> = BTreeMap::new();
    shared
        .into_iter()
        .map(|((kind, accounts, sets), principals)| {
            let cover = covers
                .entry(accounts.clone())
                .or_insert_with(|| tree.cover(&accounts))
                .clone();
            ImportRule {
                kind,
                principals,
                permission_sets: sets.into_iter().collect(),
                wanted: accounts.len(),
                cover,
            }
        })
        .collect()
}

/// Plans `text` against `live`: only deletes of deleted principals may remain.
fn verify(text: &str, live: &LiveState, today: Date) -> Result<(), ImportError> {
    let config = Config::parse("imported file", text)
        .map_err(|e| ImportError::Invalid(e.0.iter().map(ToString::to_string).collect()))?;
    let plan = plan(&config, live, today)
        .map_err(|e| ImportError::Invalid(e.0.iter().map(ToString::to_string).collect()))?;
    let differs: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| {
            !(c.action == Action::Delete && c.reason_kind == Some(ReasonKind::PrincipalDeleted))
        })
        .map(|c| {
            format!(
                "{:?} {} {} in {} ({})",
                c.action,
                c.principal_label(),
                c.permission_set_name,
                c.account_name,
                c.reason
            )
        })
        .collect();
    if differs.is_empty() {
        Ok(())
    } else {
        Err(ImportError::NotReproduced(differs))
    }
}

mod render;
use render::render;
