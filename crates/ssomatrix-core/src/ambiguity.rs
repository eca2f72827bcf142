//! References that could mean more than one thing, and exclusions that mean
//! nothing: the planner says so, with the candidates, instead of guessing.
//! An account value that is an id and another account's name, an OU path
//! that a name with `/` in it makes ambiguous, a principal name listed twice,
//! a `scope.exclude` pattern that matches no permission set.

use crate::config::{Config, Located, OuRef, ROOT_REF, ScopeSets, glob_match};
use crate::ids::{AccountId, OuId, PrincipalType};
use crate::live::LiveState;
use crate::org::{NodeId, OrgTree};
use crate::plan::{Warning, WarningKind};
use crate::resolve::UnmatchedExcludes;
use crate::suggest::did_you_mean_glob;
use crate::yaml::Diagnostic;

/// `"111111111111" (name, in Workloads/Prod)`.
fn account_label(org: &OrgTree, id: &AccountId) -> String {
    let name = org.account(id).map(|a| a.name.as_str()).unwrap_or("");
    format!("\"{id}\" (`{name}`, in {})", org.account_location(id))
}

/// The account a value written as a 12-digit id means, or the error that
/// lists what it could mean: the account with that id, and accounts whose
/// name is those digits.
pub(crate) fn account_by_id(
    file: &str,
    live: &LiveState,
    id: &Located<AccountId>,
) -> Result<AccountId, Diagnostic> {
    let org = &live.org;
    let exists = org.account(&id.value).is_some();
    let named: Vec<&AccountId> = org
        .accounts_named(id.value.as_str())
        .map(|a| &a.id)
        .filter(|a| **a != id.value)
        .collect();
    let at = |message: String| Diagnostic::new(file, id.line, message);
    if named.is_empty() {
        return if exists {
            Ok(id.value.clone())
        } else {
            Err(at(format!(
                "account `{}` is not in the organization; check the id (`ssomatrix export` lists the accounts)",
                id.value
            )))
        };
    }
    let others = named
        .iter()
        .map(|a| account_label(org, a))
        .collect::<Vec<_>>()
        .join(", ");
    if exists {
        Err(at(format!(
            "account `{0}` is ambiguous: it is the id of account {1} and the name of {others}; \
             rename the account whose name looks like an id, or select the account with `ous` or `account_tags`",
            id.value,
            account_label(org, &id.value)
        )))
    } else {
        Err(at(format!(
            "no account has the id `{0}`, but {others} {1} named `{0}`; write the id of the account you mean",
            id.value,
            if named.len() == 1 { "is" } else { "are" }
        )))
    }
}

/// The error for an account name that several accounts share.
pub(crate) fn shared_account_name(
    file: &str,
    live: &LiveState,
    name: &Located<String>,
    ids: &[&AccountId],
) -> Diagnostic {
    let list = ids
        .iter()
        .map(|a| account_label(&live.org, a))
        .collect::<Vec<_>>()
        .join(", ");
    Diagnostic::new(
        file,
        name.line,
        format!(
            "account name `{}` is used by {} accounts: {list}; write the id of the one you mean",
            name.value,
            ids.len()
        ),
    )
}

/// The names from the root down to `id`, each in backticks, and how many
/// accounts it holds (`` `Workloads` → `Prod`, 2 accounts ``); and whether
/// any of the names contains `/`.
fn ou_chain(org: &OrgTree, id: &OuId) -> (String, bool) {
    let mut names = Vec::new();
    let mut current = id.clone();
    // Bounded by the number of OUs: the tree has no cycles.
    for _ in 0..=org.ous().count() {
        let Some(ou) = org.ou(&current) else { break };
        names.push(ou.name.as_str());
        match &ou.parent {
            NodeId::Ou(parent) => current = parent.clone(),
            NodeId::Root(_) => break,
        }
    }
    names.reverse();
    let accounts = org.accounts_under(&NodeId::Ou(id.clone())).len();
    let has_slash = names.iter().any(|n| n.contains('/'));
    let chain = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(" → ");
    let plural = if accounts == 1 { "" } else { "s" };
    (format!("{chain}, {accounts} account{plural}"), has_slash)
}

/// The OU a path of names means, or the error that says why it cannot be
/// told: it matches several OUs (sibling OUs with one name, or names that
/// contain `/`), or it only matches by reading a `/` inside a name as a
/// separator.
pub(crate) fn ou_by_path(
    file: &str,
    live: &LiveState,
    path: &Located<String>,
) -> Option<Result<OuId, Diagnostic>> {
    let org = &live.org;
    let mut found: Vec<OuId> = org.ous_at_path(&path.value).into_iter().cloned().collect();
    // Splitting the path at `/` cannot find an OU whose name, or an
    // ancestor's, contains `/`: compare the joined paths of every OU too,
    // when the organization has such names.
    if path.value.contains('/') && org.ous().any(|o| o.name.contains('/')) {
        for ou in org.ous() {
            if org.path_of(&NodeId::Ou(ou.id.clone())) == path.value {
                found.push(ou.id.clone());
            }
        }
    }
    found.sort();
    found.dedup();
    let described: Vec<(String, bool)> = found.iter().map(|id| ou_chain(org, id)).collect();
    let at = |message: String| Diagnostic::new(file, path.line, message);
    match found.as_slice() {
        [] => None,
        [one] if !described[0].1 => Some(Ok(one.clone())),
        [one] => Some(Err(at(format!(
            "OU path `{}` can only mean OU `{one}` ({}) by reading a `/` inside an OU name as a separator; \
             a path cannot address a name that contains `/`: use its id `{one}`",
            path.value, described[0].0
        )))),
        many => {
            let list = many
                .iter()
                .zip(&described)
                .map(|(id, (chain, _))| format!("`{id}` ({chain})"))
                .collect::<Vec<_>>()
                .join(", ");
            let why = if described.iter().any(|d| d.1) {
                " (OU names that contain `/` make paths ambiguous)"
            } else {
                ""
            };
            Some(Err(at(format!(
                "OU path `{}` matches {} OUs{why}: {list}; name the one you mean by its id",
                path.value,
                many.len()
            ))))
        }
    }
}

/// The root that `_root_` or a root id means, or why it cannot be told: a
/// root id that is not this organization's root, or `_root_` while an OU at
/// the root is also named `_root_`.
pub(crate) fn root(
    file: &str,
    live: &LiveState,
    written: &Located<OuRef>,
) -> Result<NodeId, Diagnostic> {
    let org = &live.org;
    let at = |message: String| Diagnostic::new(file, written.line, message);
    match &written.value {
        OuRef::RootId(id) if id != org.root() => Err(at(format!(
            "`{id}` is not the root of this organization, whose root is `{}`; write `{ROOT_REF}` (every account) \
             or the id of the OU you mean",
            org.root()
        ))),
        OuRef::Root => {
            let named: Vec<&OuId> = org.ous_at_path(ROOT_REF);
            if named.is_empty() {
                return Ok(NodeId::Root(org.root().clone()));
            }
            let list = named
                .iter()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", ");
            Err(at(format!(
                "`{ROOT_REF}` means every account of the organization, but an OU at the root is also named \
                 `{ROOT_REF}` ({list}); write the root id `{}` for every account, or the OU id for the OU",
                org.root()
            )))
        }
        _ => Ok(NodeId::Root(org.root().clone())),
    }
}

/// The error for a principal name that the identity store's listing holds
/// more than once, if it does.
pub(crate) fn shared_principal_name(
    file: &str,
    live: &LiveState,
    kind: PrincipalType,
    name: &Located<String>,
) -> Option<Diagnostic> {
    let count = live
        .principals
        .all_names
        .get(&kind)
        .map_or(0, |all| all.iter().filter(|n| **n == name.value).count());
    (count > 1).then(|| {
        Diagnostic::new(
            file,
            name.line,
            format!(
                "{} name `{}` is used by {count} {}s in the identity store, so it does not say which one is meant; \
                 rename all but one of them",
                kind.noun(),
                name.value,
                kind.noun()
            ),
        )
    })
}

/// `scope.exclude` patterns that match no permission set of the instance: a
/// warning with a suggestion, and an error with `scope.permission_sets: all`,
/// where a misspelt exclusion deletes what it was written to protect.
pub(crate) fn unmatched_excludes(config: &Config, live: &LiveState) -> UnmatchedExcludes {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for pattern in &config.scope.exclude {
        if live
            .permission_sets
            .values()
            .any(|n| glob_match(&pattern.value, n))
        {
            continue;
        }
        let hint = did_you_mean_glob(
            &pattern.value,
            live.permission_sets.values().map(String::as_str),
        );
        if config.scope.permission_sets == ScopeSets::All {
            errors.push(Diagnostic::new(
                &config.file,
                pattern.line,
                format!(
                    "`scope.exclude` pattern `{}` matches no permission set of the instance; with \
                     `scope.permission_sets: all` a misspelt exclusion lets apply delete the assignments it was \
                     written to protect: correct the pattern or remove it{hint}",
                    pattern.value
                ),
            ));
        } else {
            let at = pattern
                .line
                .map(|l| format!(" (line {l})"))
                .unwrap_or_default();
            warnings.push(Warning {
                kind: WarningKind::UnmatchedExclude,
                message: format!(
                    "`scope.exclude` pattern `{}`{at} matches no permission set of the instance: \
                     correct it or remove it{hint}",
                    pattern.value
                ),
            });
        }
    }
    UnmatchedExcludes { errors, warnings }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::date::Date;
    use crate::snapshot::Snapshot;

    fn live() -> LiveState {
        let text = "format_version: 1\n\
            instance_arn: arn:aws:sso:::instance/ssoins-0000000000000001\n\
            identity_store_id: d-1234567890\n\
            organization:\n  root_id: r-ab12\n  management_account_id: '100000000001'\n  accounts:\n\
            \x20 - {id: '100000000001', name: mgmt, state: ACTIVE, parent: r-ab12}\n\
            groups:\n  - {id: g-1, name: ops}\n\
            permission_sets:\n  - {arn: 'arn:aws:sso:::permissionSet/ssoins-0000000000000001/ps-000000000000000a', name: A}\n\
            assignments: []\n...\n";
        Snapshot::parse("s.yaml", text)
            .unwrap()
            .to_live_state()
            .unwrap()
    }

    #[test]
    fn a_principal_name_the_store_lists_twice_is_not_resolved() {
        let config = Config::parse(
            "a.yaml",
            "assignments:\n  - group: ops\n    permission_set: A\n    accounts: [mgmt]\n",
        )
        .unwrap();
        let mut live = live();
        assert!(crate::plan::plan(&config, &live, Date::parse("2026-01-01").unwrap()).is_ok());
        // A reader that lists the store found a second group with the name.
        live.principals
            .all_names
            .entry(PrincipalType::Group)
            .or_default()
            .push("ops".to_owned());
        let errs = crate::plan::plan(&config, &live, Date::parse("2026-01-01").unwrap())
            .unwrap_err()
            .to_string();
        assert_eq!(
            errs,
            "a.yaml:2: group name `ops` is used by 2 groups in the identity store, so it does not say \
             which one is meant; rename all but one of them"
        );
    }
}
