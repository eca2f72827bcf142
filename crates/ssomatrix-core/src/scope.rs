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
