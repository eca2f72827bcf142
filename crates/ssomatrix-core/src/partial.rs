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

use crate::config::Config;
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
    #[error("`--account` needs an account id (12 digits) or an account name; it was given an empty value")]
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
pub fn match_names(names: &[&str], accounts: &[AccountInfo]) -> Result<Vec<AccountId>, SelectError> {
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
