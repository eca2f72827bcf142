//! The first stage of planning: what the file owns and what must be read.
//!
//! The engine asks this before anything else is known (it has only the
//! instance's permission sets), so it depends on the file and those names
//! alone; the planner and the drift report ask it again to judge live
//! assignments.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{Config, ScopeSets};
use crate::ids::{PermissionSetArn, PrincipalType};

/// The file's scope against one instance's permission sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// The permission sets whose live assignments the file owns: what apply
    /// may delete. Names the instance does not have are left out (resolution
    /// reports them).
    pub owned: BTreeSet<PermissionSetArn>,
    /// The permission sets whose live assignments must be read to plan: the
    /// owned ones (to find what to delete) and the declared ones (so that an
    /// assignment that exists is never created twice: the API does not reject
    /// duplicates).
    pub to_read: BTreeSet<PermissionSetArn>,
}

impl Scope {
    /// The scope of `config` given the instance's permission sets, ARN → name.
    pub fn of(config: &Config, permission_sets: &BTreeMap<PermissionSetArn, String>) -> Scope {
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
        let owned: BTreeSet<PermissionSetArn> = candidates
            .into_iter()
            .filter(|arn| {
                permission_sets
                    .get(arn)
                    .is_none_or(|name| !config.scope.is_excluded(name))
            })
            .collect();
        let mut to_read = owned.clone();
        for name in config.declared_permission_sets() {
            to_read.extend(
                permission_sets
                    .iter()
                    .filter(|(_, n)| n.as_str() == name)
                    .map(|(a, _)| a.clone()),
            );
        }
        Scope { owned, to_read }
    }

    /// Whether the file owns the live assignments of `permission_set`.
    pub fn owns(&self, permission_set: &PermissionSetArn) -> bool {
        self.owned.contains(permission_set)
    }
}

/// Every (kind, name) principal the file names: what must be looked up in
/// the identity store.
pub fn principal_names(config: &Config) -> BTreeSet<(PrincipalType, String)> {
    config
        .rules
        .iter()
        .flat_map(|r| r.principals.iter())
        .map(|p| (p.value.kind, p.value.name.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn(n: u8) -> PermissionSetArn {
        PermissionSetArn::new(format!(
            "arn:aws:sso:::permissionSet/ssoins-0000000000000001/ps-00000000000000{n:02x}"
        ))
        .unwrap()
    }

    fn sets() -> BTreeMap<PermissionSetArn, String> {
        [(1, "App"), (2, "Audit"), (3, "ControlTowerAdmin")]
            .into_iter()
            .map(|(n, name)| (arn(n), name.to_owned()))
            .collect()
    }

    fn scope(head: &str) -> Scope {
        let text = format!(
            "{head}assignments:\n  - group: g\n    permission_sets: [App, Audit]\n    accounts: ['111111111111']\n"
        );
        Scope::of(&Config::parse("a.yaml", &text).unwrap(), &sets())
    }

    #[test]
    fn a_narrowed_scope_owns_less_than_it_reads() {
        let s = scope("scope:\n  permission_sets: [App]\n");
        assert_eq!(s.owned, [arn(1)].into());
        // Audit is declared: its live assignments are read so that none is
        // created twice, although the file does not own them.
        assert_eq!(s.to_read, [arn(1), arn(2)].into());
        assert!(s.owns(&arn(1)) && !s.owns(&arn(2)));
    }

    #[test]
    fn every_set_but_the_excluded_ones_with_scope_all() {
        let s = scope("scope:\n  permission_sets: all\n  exclude: ['Control*']\n");
        assert_eq!(s.owned, [arn(1), arn(2)].into());
        assert_eq!(s.to_read, [arn(1), arn(2)].into());
    }

    #[test]
    fn the_declared_sets_by_default() {
        let s = scope("");
        assert_eq!(s.owned, [arn(1), arn(2)].into());
        assert_eq!(s.to_read, s.owned);
    }
}
