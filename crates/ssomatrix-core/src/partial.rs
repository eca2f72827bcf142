//! Plans of some accounts only (`--account`): which accounts the user
//! means, and which of the file's principals those accounts need.
//!
//! A partial live state holds the named accounts, the OUs above them and
//! nothing else of the organization ([`crate::org::OrgTree::is_partial`]). Resolution
//! then lets a reference to an OU or account outside it select nothing,
//! and resolves the principals of the rules that select a named account
//! only: the rest of the file cannot be checked without reading the whole
//! organization, which a full plan does.

use std::collections::BTreeSet;
use std::fmt;

use crate::config::{Config, ScopeSets};
use crate::ids::{AccountId, PrincipalType};
use crate::live::LiveState;
use crate::ports::AccountInfo;
use crate::resolve::resolve;

/// An account as `--account` names it: a 12-digit id, or an exact name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountSelector {
    Id(AccountId),
    Name(String),
}

impl AccountSelector {
    /// Twelve digits are an id; anything else is a name.
    pub fn parse(s: &str) -> Result<AccountSelector, SelectError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(SelectError::Empty);
        }
        Ok(match AccountId::new(s) {
            Ok(id) => AccountSelector::Id(id),
            Err(_) => AccountSelector::Name(s.to_owned()),
        })
    }
}

impl fmt::Display for AccountSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountSelector::Id(id) => write!(f, "{id}"),
            AccountSelector::Name(n) => f.write_str(n),
        }
    }
}

/// An `--account` that does not name exactly one account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error(
        "`--account` needs an account id (12 digits) or an account name; it was given an empty value"
    )]
    Empty,
    #[error(
        "--account {0}: no account of the organization has this id; check the id (`ssomatrix export` lists the accounts), or give the account's name"
    )]
    NoSuchId(AccountId),
    #[error(
        "--account `{name}`: no account of the organization has this name (names are matched exactly); give the account's exact name or its id (12 digits){hint}"
    )]
    NoSuchName { name: String, hint: String },
    #[error(
        "--account `{name}`: {} accounts have this name ({}); give the id of the one you mean",
        .ids.len(),
        .ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
    )]
    SharedName { name: String, ids: Vec<AccountId> },
}

/// The ids the `names` mean among `accounts` (the organization's every
/// account, as `ListAccounts` gives them): each must match exactly one.
pub fn match_names(
    names: &[&str],
    accounts: &[AccountInfo],
) -> Result<Vec<AccountId>, SelectError> {
    names
        .iter()
        .map(|name| {
            let found: Vec<AccountId> = accounts
                .iter()
                .filter(|a| a.name == *name)
                .map(|a| a.id.clone())
                .collect();
            match found.as_slice() {
                [one] => Ok(one.clone()),
                [] => Err(SelectError::NoSuchName {
                    name: (*name).to_owned(),
                    hint: crate::suggest::did_you_mean(
                        name,
                        accounts.iter().map(|a| a.name.as_str()),
                    ),
                }),
                _ => Err(SelectError::SharedName {
                    name: (*name).to_owned(),
                    ids: found,
                }),
            }
        })
        .collect()
}

/// The principals (kind, name) of the rules that select an account of
/// `live`'s partial tree, expired rules included (their assignments are
/// deleted): the only names a partial read must look up. `live` needs its
/// organization and permission sets; its principals are not read yet.
pub fn principals_needed(config: &Config, live: &LiveState) -> BTreeSet<(PrincipalType, String)> {
    let resolution = resolve(config, live);
    resolution
        .rules
        .iter()
        .filter(|r| !r.accounts.is_empty())
        .flat_map(|r| r.rule.principals.iter())
        .map(|p| (p.value.kind, p.value.name.clone()))
        .collect()
}

/// The permission set names a partial plan must resolve: those of the
/// rules that select an account of `live`'s partial tree (expired rules
/// included), and those `scope.permission_sets` names (the plan checks them
/// whatever it covers). `live` needs its organization only. A name no rule
/// of the named accounts uses is not needed: a partial read that stops
/// describing permission sets once these are found loses nothing.
pub fn permission_sets_needed(config: &Config, live: &LiveState) -> BTreeSet<String> {
    let resolution = resolve(config, live);
    let scope = match &config.scope.permission_sets {
        ScopeSets::Named(names) => names.iter().map(|n| n.value.clone()).collect(),
        ScopeSets::Declared | ScopeSets::All => Vec::new(),
    };
    resolution
        .rules
        .iter()
        .filter(|r| !r.accounts.is_empty())
        .flat_map(|r| r.rule.permission_sets.iter())
        .map(|p| p.value.clone())
        .chain(scope)
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::date::Date;
    use crate::org::{NodeId, OrgTree};
    use crate::plan::plan;
    use crate::snapshot::Snapshot;

    const SNAPSHOT: &str = include_str!("../../../examples/org.snapshot.yaml");

    fn example() -> LiveState {
        Snapshot::parse("org.snapshot.yaml", SNAPSHOT)
            .unwrap()
            .to_live_state()
            .unwrap()
    }

    /// `live` cut down to `account`, the OUs above it, and its assignments,
    /// as the per-account reader gives it.
    fn only(mut live: LiveState, account: &str) -> LiveState {
        let id = AccountId::new(account).unwrap();
        let a = live.org.account(&id).unwrap().clone();
        let mut ous = Vec::new();
        let mut node = a.parent.clone();
        while let NodeId::Ou(ou) = node {
            let o = live.org.ou(&ou).unwrap().clone();
            node = o.parent.clone();
            ous.push(o);
        }
        live.org = OrgTree::new(
            live.org.root().clone(),
            live.org.management_account().cloned(),
            ous,
            vec![a],
        )
        .unwrap()
        .into_partial();
        live.assignments.retain(|x| x.account_id == id);
        live
    }

    fn config(rules: &str) -> Config {
        Config::parse("a.yaml", &format!("assignments:\n{rules}")).unwrap()
    }

    #[test]
    fn twelve_digits_are_an_id_and_anything_else_a_name() {
        assert_eq!(
            AccountSelector::parse("263665753971"),
            Ok(AccountSelector::Id(AccountId::new("263665753971").unwrap()))
        );
        assert_eq!(
            AccountSelector::parse(" web-prod "),
            Ok(AccountSelector::Name("web-prod".to_owned()))
        );
        assert_eq!(
            AccountSelector::parse("12345"),
            Ok(AccountSelector::Name("12345".to_owned()))
        );
        assert_eq!(AccountSelector::parse("  "), Err(SelectError::Empty));
    }

    #[test]
    fn references_outside_the_accounts_read_select_nothing_and_are_not_errors() {
        // web-prod is in Workloads/Prod. Rule 1 selects it; rules 2 to 4 name an
        // OU path, an OU id, an account and a principal a partial read cannot
        // see (the group does not exist at all): they select nothing.
        let rules = "\
- group: aws-team-a-leads
  permission_set: ReadOnlyAuditor
  ous: [Workloads/Prod]
- group: no-such-group
  permission_set: ReadOnlyAuditor
  ous: [Workloads/Prd, ou-x7k2-9jvrbop9]
- group: aws-team-a-leads
  permission_set: ReadOnlyAuditor
  accounts: [network-hub, '088435764063']
- group: aws-team-a-leads
  permission_set: ReadOnlyAuditor
  ous: [_root_]
  exclude_ous: [Workloads/NonProd]
  exclude_accounts: [audit]
";
        let config = config(rules);
        let full = example();
        let errors: Vec<_> = plan(&config, &full, Date::new(2026, 11, 24).unwrap())
            .unwrap_err()
            .0;
        assert_eq!(
            errors.len(),
            2,
            "the full plan refuses the typo and the group: {errors:?}"
        );
        let live = only(example(), "263665753971");
        let names = principals_needed(&config, &live);
        assert_eq!(
            names,
            [(PrincipalType::Group, "aws-team-a-leads".to_owned())].into()
        );
        let p = plan(&config, &live, Date::new(2026, 11, 24).unwrap()).unwrap();
        assert!(
            p.changes
                .iter()
                .all(|c| c.account_id.as_str() == "263665753971")
        );
        let accounts: Vec<_> = p
            .partial
            .iter()
            .flatten()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(accounts, ["web-prod"]);
        // A partial read sees too little to call a target empty.
        assert!(
            p.warnings
                .iter()
                .all(|w| !w.message.contains("selects no account")),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn names_match_exactly_one_account() {
        let live = example();
        let infos: Vec<AccountInfo> = live
            .org
            .accounts()
            .map(|a| AccountInfo {
                id: a.id.clone(),
                name: a.name.clone(),
                state: a.state,
            })
            .collect();
        assert_eq!(
            match_names(&["web-prod", "audit"], &infos),
            Ok(vec![
                AccountId::new("263665753971").unwrap(),
                AccountId::new("042485183243").unwrap()
            ])
        );
        let err = match_names(&["web-prd"], &infos).unwrap_err();
        assert!(
            err.to_string().contains("did you mean `web-prod`?"),
            "{err}"
        );
        let mut twice = infos.clone();
        twice[0].name = "audit".to_owned();
        let err = match_names(&["audit"], &twice).unwrap_err();
        assert!(
            matches!(&err, SelectError::SharedName { ids, .. } if ids.len() == 2),
            "{err}"
        );
    }
}
