//! Which rows of an access report a person asked for (`--user`, `--group`,
//! `--account`, `--permission-set`), and the names among them that mean
//! nothing here.

use super::{AccessReport, AccessRow};
use crate::live::LiveState;
use crate::suggest::did_you_mean;

/// Rows to keep: each list that is not empty must match (a value matches a
/// name or an id); values within one list are alternatives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessFilter {
    /// User names or ids.
    pub users: Vec<String>,
    /// Group names or ids: access that comes through one of them.
    pub groups: Vec<String>,
    /// Account ids or names.
    pub accounts: Vec<String>,
    /// Permission set names or ARNs.
    pub permission_sets: Vec<String>,
}

fn any_of(wanted: &[String], values: &[&str]) -> bool {
    wanted.is_empty() || wanted.iter().any(|w| values.contains(&w.as_str()))
}

impl AccessFilter {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.groups.is_empty()
            && self.accounts.is_empty()
            && self.permission_sets.is_empty()
    }

    /// Whether `row` is one the filter asks for.
    pub fn keeps(&self, row: &AccessRow) -> bool {
        let user = row.user.as_deref().unwrap_or_default();
        let group = row.group_id.as_ref().map_or("", |g| g.as_str());
        let via = if row.group_id.is_some() {
            row.via.as_str()
        } else {
            ""
        };
        any_of(&self.users, &[user, row.user_id.as_str()])
            && (self.groups.is_empty()
                || (!group.is_empty() && any_of(&self.groups, &[via, group])))
            && any_of(
                &self.accounts,
                &[row.account_id.as_str(), &row.account_name],
            )
            && any_of(
                &self.permission_sets,
                &[&row.permission_set, row.permission_set_arn.as_str()],
            )
    }

    /// Accounts and permission sets the instance does not have: errors,
    /// each with the closest name. (Any account or permission set of the
    /// instance can be asked about, whether or not anyone has access.)
    pub fn unknown(&self, live: &LiveState) -> Vec<String> {
        let mut errors = Vec::new();
        let account_names: Vec<&str> = live.org.accounts().map(|a| a.name.as_str()).collect();
        for wanted in &self.accounts {
            let known = live
                .org
                .accounts()
                .any(|a| a.id.as_str() == wanted || a.name == *wanted);
            if !known {
                errors.push(format!(
                    "--account `{wanted}` is neither the id nor the name of an account of the organization{}",
                    did_you_mean(wanted, account_names.iter().copied())
                ));
            }
        }
        for wanted in &self.permission_sets {
            let known = live
                .permission_sets
                .iter()
                .any(|(arn, name)| arn.as_str() == wanted || name == wanted);
            if !known {
                errors.push(format!(
                    "--permission-set `{wanted}` is not a permission set of the instance{}",
                    did_you_mean(wanted, live.permission_sets.values().map(String::as_str))
                ));
            }
        }
        errors
    }

    /// Users and groups that match no row of `report` (before filtering):
    /// not errors, since a person with no access is an answer, but worth a
    /// word with the closest name that has access.
    pub fn without_access(&self, report: &AccessReport) -> Vec<String> {
        let mut notes = Vec::new();
        let users: Vec<&str> = report
            .rows
            .iter()
            .filter_map(|r| r.user.as_deref())
            .collect();
        for wanted in &self.users {
            let found = report
                .rows
                .iter()
                .any(|r| r.user.as_deref() == Some(wanted) || r.user_id.as_str() == wanted);
            if !found {
                notes.push(format!(
                    "no user `{wanted}` has access to any account{}",
                    did_you_mean(wanted, users.iter().copied())
                ));
            }
        }
        let groups: Vec<&str> = report
            .rows
            .iter()
            .filter(|r| r.group_id.is_some())
            .map(|r| r.via.as_str())
            .collect();
        for wanted in &self.groups {
            let found = report.rows.iter().any(|r| {
                r.group_id
                    .as_ref()
                    .is_some_and(|g| g.as_str() == wanted || r.via == *wanted)
            });
            if !found {
                notes.push(format!(
                    "no access comes through a group `{wanted}`{}",
                    did_you_mean(wanted, groups.iter().copied())
                ));
            }
        }
        notes
    }
}
