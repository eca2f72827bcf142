//! The snapshot file: a whole instance (organization, principals, permission
//! sets, assignments) as YAML or JSON. `export` writes one from AWS; the
//! simulator loads one for offline runs. Documented in `docs/snapshot.md`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::{
    AccountId, AccountState, IdentityStoreId, InstanceArn, OuId, PermissionSetArn, PrincipalId,
    PrincipalType, RootId,
};
use crate::live::{Assignment, LiveState, Principals};
use crate::org::{Account, NodeId, OrgError, OrgTree, Ou};
use crate::yaml::{self, Diagnostic};

/// The snapshot format version this build reads and writes.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

/// A whole instance at one point in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ssomatrix snapshot")]
pub struct Snapshot {
    /// Always 1 for this format.
    pub format_version: u32,
    pub instance_arn: InstanceArn,
    pub identity_store_id: IdentityStoreId,
    pub organization: SnapshotOrganization,
    #[serde(default)]
    pub groups: Vec<SnapshotPrincipal>,
    #[serde(default)]
    pub users: Vec<SnapshotPrincipal>,
    #[serde(default)]
    pub permission_sets: Vec<SnapshotPermissionSet>,
    /// Live account assignments. A `principal_id` that is in neither `groups`
    /// nor `users` is a principal that was deleted after it was assigned.
    #[serde(default)]
    pub assignments: Vec<Assignment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotOrganization {
    pub root_id: RootId,
    pub management_account_id: AccountId,
    #[serde(default)]
    pub organizational_units: Vec<SnapshotOu>,
    pub accounts: Vec<SnapshotAccount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotOu {
    pub id: OuId,
    pub name: String,
    /// The root id or the id of the parent OU.
    pub parent: NodeId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotAccount {
    pub id: AccountId,
    pub name: String,
    /// Organizations' `State`.
    pub state: AccountState,
    /// The root id or the id of the OU the account is in.
    pub parent: NodeId,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotPrincipal {
    pub id: PrincipalId,
    /// The group's `DisplayName` or the user's `UserName`.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotPermissionSet {
    pub arn: PermissionSetArn,
    pub name: String,
    /// Accounts where the permission set was changed and not reprovisioned
    /// (`LATEST_PERMISSION_SET_NOT_PROVISIONED`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub not_provisioned_accounts: BTreeSet<AccountId>,
}

/// A snapshot that cannot be used, with every reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct SnapshotError(pub Vec<Diagnostic>);

impl Snapshot {
    /// Parses and checks a snapshot: the YAML (JSON is YAML too), its format
    /// version, that the OUs and accounts form a tree, and that assignments
    /// name known accounts and permission sets.
    pub fn parse(file: &str, text: &str) -> Result<Self, SnapshotError> {
        let doc = yaml::parse::<Snapshot>(file, text).map_err(SnapshotError)?;
        let snapshot = doc.value;
        let at = |path: &str, message: String| Diagnostic::new(file, doc.lines.line(path), message);
        let mut errors = Vec::new();
        if snapshot.format_version != SNAPSHOT_FORMAT_VERSION {
            errors.push(at(
                "format_version",
                format!(
                    "snapshot format_version {} is not supported; this build reads version {SNAPSHOT_FORMAT_VERSION}",
                    snapshot.format_version
                ),
            ));
        }
        if let Err(e) = snapshot.org_tree() {
            errors.push(at(
                "organization",
                format!("organization is not a tree: {e}"),
            ));
        }
        let accounts: BTreeSet<_> = snapshot
            .organization
            .accounts
            .iter()
            .map(|a| &a.id)
            .collect();
        let sets: BTreeSet<_> = snapshot.permission_sets.iter().map(|p| &p.arn).collect();
        for (i, a) in snapshot.assignments.iter().enumerate() {
            if !accounts.contains(&a.account_id) {
                errors.push(at(
                    &format!("assignments[{i}].account_id"),
                    format!(
                        "assignment names account `{}`, which is not in `organization.accounts`",
                        a.account_id
                    ),
                ));
            }
            if !sets.contains(&a.permission_set_arn) {
                errors.push(at(
                    &format!("assignments[{i}].permission_set_arn"),
                    format!(
                        "assignment names permission set `{}`, which is not in `permission_sets`",
                        a.permission_set_arn
                    ),
                ));
            }
        }
        if errors.is_empty() {
            Ok(snapshot)
        } else {
            Err(SnapshotError(errors))
        }
    }

    pub fn org_tree(&self) -> Result<OrgTree, OrgError> {
        let org = &self.organization;
        OrgTree::new(
            org.root_id.clone(),
            Some(org.management_account_id.clone()),
            org.organizational_units
                .iter()
                .map(|o| Ou {
                    id: o.id.clone(),
                    name: o.name.clone(),
                    parent: o.parent.clone(),
                })
                .collect(),
            org.accounts
                .iter()
                .map(|a| Account {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    state: a.state,
                    parent: a.parent.clone(),
                    tags: a.tags.clone(),
                })
                .collect(),
        )
    }

    /// Serialises as YAML with a stable order (the snapshot's vectors are
    /// sorted first so that exports diff cleanly).
    pub fn to_yaml(&self) -> String {
        let mut s = self.clone();
        s.sort();
        // Serialising plain data to YAML cannot fail.
        serde_norway::to_string(&s).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        let mut s = self.clone();
        s.sort();
        serde_json::to_string_pretty(&s).unwrap_or_default() + "\n"
    }

    pub fn sort(&mut self) {
        self.organization
            .organizational_units
            .sort_by(|a, b| a.id.cmp(&b.id));
        self.organization.accounts.sort_by(|a, b| a.id.cmp(&b.id));
        self.groups
            .sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        self.users
            .sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        self.permission_sets
            .sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.arn.cmp(&b.arn)));
        self.assignments.sort();
        self.assignments.dedup();
    }

    pub fn principals(&self, kind: PrincipalType) -> &[SnapshotPrincipal] {
        match kind {
            PrincipalType::Group => &self.groups,
            PrincipalType::User => &self.users,
        }
    }
}

impl Snapshot {
    /// The live state that a reader which read everything would return.
    pub fn to_live_state(&self) -> Result<LiveState, OrgError> {
        let mut principals = Principals::default();
        for kind in [PrincipalType::Group, PrincipalType::User] {
            for p in self.principals(kind) {
                principals.insert(kind, p.id.clone(), p.name.clone());
            }
            principals.all_names.insert(
                kind,
                self.principals(kind)
                    .iter()
                    .map(|p| p.name.clone())
                    .collect(),
            );
        }
        for a in &self.assignments {
            principals
                .by_id
                .entry((a.principal_type, a.principal_id.clone()))
                .or_insert(None);
        }
        Ok(LiveState {
            instance_arn: self.instance_arn.clone(),
            identity_store_id: self.identity_store_id.clone(),
            org: self.org_tree()?,
            permission_sets: self
                .permission_sets
                .iter()
                .map(|p| (p.arn.clone(), p.name.clone()))
                .collect(),
            principals,
            assignments: self.assignments.iter().cloned().collect(),
            read_permission_sets: self.permission_sets.iter().map(|p| p.arn.clone()).collect(),
            not_provisioned: self
                .permission_sets
                .iter()
                .filter(|p| !p.not_provisioned_accounts.is_empty())
                .map(|p| (p.arn.clone(), p.not_provisioned_accounts.clone()))
                .collect(),
        })
    }
}
