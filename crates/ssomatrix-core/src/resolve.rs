//! The second stage of planning: the file's names resolved to ids against the
//! live state, with an error (and a "did you mean") for each that does not
//! resolve. Every rule is resolved as far as it goes, so that the drift
//! report can tie each problem to its rule and still judge the rest; the
//! planner refuses to go on while any error remains.

use std::collections::{BTreeMap, BTreeSet};

use crate::ambiguity;
use crate::config::{AccountRef, Config, Located, OuRef, Rule, ScopeSets};
use crate::ids::{AccountId, PermissionSetArn, PrincipalId, PrincipalType};
use crate::live::LiveState;
use crate::org::NodeId;
use crate::plan::Warning;
use crate::suggest::did_you_mean;
use crate::yaml::Diagnostic;

/// Where a rule stands in the file: the 0-based index into `Config::rules`
/// and [`Resolution::rules`]. People read rules by number, 1-based, as the
/// file lists them (`rule #3`): [`RuleIndex::number`], the same as
/// `Rule::number`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleIndex(usize);

impl RuleIndex {
    /// The 1-based number that output shows.
    pub fn number(self) -> usize {
        self.0 + 1
    }
}

/// Where a target stands among one rule's targets ([`ResolvedRule::targets`]):
/// OUs first, then accounts, then the tag selector, in the order written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetIndex(usize);

/// A principal the file names, with its id in the identity store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPrincipal<'a> {
    pub kind: PrincipalType,
    pub id: PrincipalId,
    /// The name as the file writes it.
    pub name: &'a str,
}

/// One target of a rule (an OU, an account, a tag selector), as plans name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `ou Workloads/NonProd`, `account app-dev`, `_root_`, …
    pub label: String,
    /// Whether it selects no account at all (before exclusions).
    pub empty: bool,
}

/// A rule with its names resolved to ids and its targets to accounts, as far
/// as they resolve; `errors` says what did not.
#[derive(Debug, Clone)]
pub struct ResolvedRule<'a> {
    pub index: RuleIndex,
    pub rule: &'a Rule,
    pub principals: Vec<ResolvedPrincipal<'a>>,
    pub permission_sets: Vec<PermissionSetArn>,
    /// Each selected account (exclusions applied) with the first target
    /// that selected it.
    pub accounts: BTreeMap<AccountId, TargetIndex>,
    pub targets: Vec<Target>,
    /// What did not resolve, sorted, without repeats.
    pub errors: Vec<Diagnostic>,
}

impl ResolvedRule<'_> {
    /// The principal of this rule with `kind` and `id`, if it names it.
    pub fn principal(
        &self,
        kind: PrincipalType,
        id: &PrincipalId,
    ) -> Option<&ResolvedPrincipal<'_>> {
        self.principals
            .iter()
            .find(|p| p.kind == kind && p.id == *id)
    }

    pub fn target(&self, index: TargetIndex) -> &Target {
        &self.targets[index.0]
    }

    /// Whether its exclusions removed every account its targets selected.
    pub fn excluded_everything(&self) -> bool {
        self.accounts.is_empty() && !self.targets.is_empty()
    }
}

/// The file resolved against the live state.
#[derive(Debug, Clone)]
pub struct Resolution<'a> {
    /// One per rule, in file order ([`RuleIndex`]).
    pub rules: Vec<ResolvedRule<'a>>,
    /// Names in `scope.permission_sets` that the instance does not have.
    pub scope_errors: Vec<Diagnostic>,
    /// `scope.exclude` patterns that match no permission set.
    pub excludes: UnmatchedExcludes,
}

impl<'a> Resolution<'a> {
    pub fn rule(&self, index: RuleIndex) -> &ResolvedRule<'a> {
        &self.rules[index.0]
    }

    /// Every error of the file against this instance.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.rules
            .iter()
            .flat_map(|r| r.errors.iter())
            .chain(&self.scope_errors)
            .chain(&self.excludes.errors)
    }
}

/// `scope.exclude` patterns that match no permission set of the instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnmatchedExcludes {
    /// With `scope.permission_sets: all`, where a misspelt exclusion deletes
    /// what it was written to protect.
    pub errors: Vec<Diagnostic>,
    /// Otherwise, with a suggestion.
    pub warnings: Vec<Warning>,
}

/// Resolves every name of `config` against `live`.
pub fn resolve<'a>(config: &'a Config, live: &LiveState) -> Resolution<'a> {
    let rules = config
        .rules
        .iter()
        .enumerate()
        .map(|(i, rule)| resolve_rule(&config.file, live, RuleIndex(i), rule))
        .collect();
    let mut scope_errors = Vec::new();
    if let ScopeSets::Named(names) = &config.scope.permission_sets {
        for n in names {
            if live.permission_set_named(&n.value).is_none() {
                scope_errors.push(unknown_permission_set(&config.file, live, n));
            }
        }
    }
    Resolution {
        rules,
        scope_errors,
        excludes: ambiguity::unmatched_excludes(config, live),
    }
}

fn resolve_rule<'a>(
    file: &str,
    live: &LiveState,
    index: RuleIndex,
    rule: &'a Rule,
) -> ResolvedRule<'a> {
    let Targets {
        targets,
        accounts,
        mut errors,
    } = resolve_targets(file, live, rule);
    // A partial read resolves only the principals and permission sets of the
    // rules that select one of its accounts: the others' are neither needed
    // nor read.
    let checked = !live.org.is_partial() || !accounts.is_empty();
    let mut principals = Vec::new();
    for p in &rule.principals {
        match resolve_principal(file, live, p) {
            Ok(id) => principals.push(ResolvedPrincipal {
                kind: p.value.kind,
                id,
                name: &p.value.name,
            }),
            Err(e) if checked => errors.push(e),
            Err(_) => {}
        }
    }
    let mut permission_sets = Vec::new();
    for ps in &rule.permission_sets {
        match live.permission_set_named(&ps.value) {
            Some(arn) => permission_sets.push(arn.clone()),
            None if checked => errors.push(unknown_permission_set(file, live, ps)),
            None => {}
        }
    }
    errors.sort();
    errors.dedup();
    ResolvedRule {
        index,
        rule,
        principals,
        permission_sets,
        accounts,
        targets,
        errors,
    }
}

/// A rule's targets and the accounts they select, exclusions applied.
struct Targets {
    targets: Vec<Target>,
    accounts: BTreeMap<AccountId, TargetIndex>,
    errors: Vec<Diagnostic>,
}

fn resolve_targets(file: &str, live: &LiveState, rule: &Rule) -> Targets {
    let mut errors = Vec::new();
    let mut targets = Vec::new();
    let mut accounts: BTreeMap<AccountId, TargetIndex> = BTreeMap::new();
    let mut add = |label: String, ids: Vec<AccountId>| {
        let ti = TargetIndex(targets.len());
        targets.push(Target {
            label,
            empty: ids.is_empty(),
        });
        for id in ids {
            accounts.entry(id).or_insert(ti);
        }
    };
    for ou in &rule.ous {
        match resolve_ou(file, live, ou) {
            Ok((label, ids)) => add(label, ids),
            Err(e) => errors.push(e),
        }
    }
    for acc in &rule.accounts {
        match resolve_account(file, live, acc) {
            Ok(id) => {
                let label = match &acc.value {
                    AccountRef::Id(id) => format!("account {id}"),
                    AccountRef::Name(n) => format!("account {n}"),
                };
                add(label, id.into_iter().collect());
            }
            Err(e) => errors.push(e),
        }
    }
    if !rule.account_tags.is_empty() {
        add(tags_label(rule), tagged_accounts(live, rule));
    }
    let mut excluded: BTreeSet<AccountId> = BTreeSet::new();
    for ou in &rule.exclude_ous {
        match resolve_ou(file, live, ou) {
            Ok((_, ids)) => excluded.extend(ids),
            Err(e) => errors.push(e),
        }
    }
    for acc in &rule.exclude_accounts {
        match resolve_account(file, live, acc) {
            Ok(id) => excluded.extend(id),
            Err(e) => errors.push(e),
        }
    }
    accounts.retain(|id, _| !excluded.contains(id));
    Targets {
        targets,
        accounts,
        errors,
    }
}

fn tagged_accounts(live: &LiveState, rule: &Rule) -> Vec<AccountId> {
    live.org
        .accounts()
        .filter(|a| {
            rule.account_tags
                .iter()
                .all(|(k, v)| a.tags.get(k) == Some(v))
        })
        .map(|a| a.id.clone())
        .collect()
}

fn tags_label(rule: &Rule) -> String {
    format!(
        "account_tags {}",
        rule.account_tags
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    )
}

fn resolve_principal(
    file: &str,
    live: &LiveState,
    p: &Located<crate::config::NamedPrincipal>,
) -> Result<PrincipalId, Diagnostic> {
    let (kind, name) = (p.value.kind, p.value.name.as_str());
    let located = Located {
        value: p.value.name.clone(),
        line: p.line,
    };
    if let Some(e) = ambiguity::shared_principal_name(file, live, kind, &located) {
        return Err(e);
    }
    if let Some(id) = live.principals.id_of(kind, name) {
        return Ok(id.clone());
    }
    let hint = match live.principals.all_names.get(&kind) {
        Some(all) if !all.is_empty() => did_you_mean(name, all.iter().map(String::as_str)),
        _ => did_you_mean(
            name,
            live.principals
                .by_name
                .keys()
                .filter(|(k, _)| *k == kind)
                .map(|(_, n)| n.as_str()),
        ),
    };
    Err(Diagnostic::new(
        file,
        p.line,
        format!(
            "unknown {} `{name}` in the identity store{hint}",
            kind.noun()
        ),
    ))
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

/// The label of an OU target and the accounts under it (nested OUs too).
fn resolve_ou(
    file: &str,
    live: &LiveState,
    ou: &Located<OuRef>,
) -> Result<(String, Vec<AccountId>), Diagnostic> {
    let org = &live.org;
    let node = match &ou.value {
        OuRef::Root | OuRef::RootId(_) => ambiguity::root(file, live, ou)?,
        OuRef::Id(id) => {
            if org.ou(id).is_none() && org.is_partial() {
                // Not above any account read: it selects none of them.
                return Ok((format!("ou {id}"), Vec::new()));
            }
            if org.ou(id).is_none() {
                return Err(Diagnostic::new(
                    file,
                    ou.line,
                    format!("unknown OU id `{id}` in the organization"),
                ));
            }
            NodeId::Ou(id.clone())
        }
        OuRef::Path(path) => {
            let located = Located {
                value: path.clone(),
                line: ou.line,
            };
            match ambiguity::ou_by_path(file, live, &located) {
                Some(found) => NodeId::Ou(found?),
                None if org.is_partial() => return Ok((format!("ou {path}"), Vec::new())),
                None => {
                    let paths = org.all_ou_paths();
                    let hint = did_you_mean(path, paths.iter().map(String::as_str));
                    return Err(Diagnostic::new(
                        file,
                        ou.line,
                        format!("unknown OU path `{path}`{hint}"),
                    ));
                }
            }
        }
    };
    let label = match &ou.value {
        OuRef::Root | OuRef::RootId(_) => "_root_".to_owned(),
        OuRef::Id(id) => format!("ou {id} ({})", org.path_of(&node)),
        OuRef::Path(p) => format!("ou {p}"),
    };
    Ok((
        label,
        org.accounts_under(&node).into_iter().cloned().collect(),
    ))
}

/// The account a reference means; `None` when a partial tree
/// ([`crate::org::OrgTree::is_partial`]) does not hold it: it selects none of
/// the accounts read.
fn resolve_account(
    file: &str,
    live: &LiveState,
    acc: &Located<AccountRef>,
) -> Result<Option<AccountId>, Diagnostic> {
    let org = &live.org;
    match &acc.value {
        AccountRef::Id(id)
            if org.is_partial()
                && org.account(id).is_none()
                && org.accounts_named(id.as_str()).next().is_none() =>
        {
            Ok(None)
        }
        AccountRef::Id(id) => ambiguity::account_by_id(
            file,
            live,
            &Located {
                value: id.clone(),
                line: acc.line,
            },
        )
        .map(Some),
        AccountRef::Name(name) => {
            let found: Vec<&AccountId> = org.accounts_named(name).map(|a| &a.id).collect();
            let located = Located {
                value: name.clone(),
                line: acc.line,
            };
            match found.as_slice() {
                [one] => Ok(Some((*one).clone())),
                [] if org.is_partial() => Ok(None),
                [] => {
                    let hint = did_you_mean(name, org.accounts().map(|a| a.name.as_str()));
                    Err(Diagnostic::new(
                        file,
                        acc.line,
                        format!("unknown account name `{name}`{hint}"),
                    ))
                }
                many => Err(ambiguity::shared_account_name(file, live, &located, many)),
            }
        }
    }
}
