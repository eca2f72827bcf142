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

mod checks;

/// The snapshot format version this build reads and writes.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

/// The last line of a YAML snapshot: YAML's document end marker, written by
/// `export` after everything else. A block-style YAML file cut short at any
/// point loses it, so the reader refuses such a file instead of reading a
/// smaller instance than was exported (a list that ends early would
/// otherwise still be valid YAML). JSON needs no marker: a JSON document cut
/// short never parses.
pub const SNAPSHOT_END: &str = "...";

/// A whole instance at one point in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ssomatrix snapshot")]
pub struct Snapshot {
    /// Always 1 for this format.
    pub format_version: u32,
    pub instance_arn: InstanceArn,
    pub identity_store_id: IdentityStoreId,
    /// The account of the credentials that exported the snapshot, when it
    /// is not the management account: a delegated administrator, which AWS
    /// does not let manage the permission sets provisioned to the management
    /// account. Absent means the management account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_account_id: Option<AccountId>,
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
    /// A group's members (user ids, `ListGroupMemberships`), written by
    /// `export` for the groups that hold assignments. Absent means "not
    /// read" (a snapshot from before members were exported, or a group that
    /// holds nothing), `[]` a group read empty. Users have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<BTreeSet<PrincipalId>>,
}

impl SnapshotPrincipal {
    /// A principal with no members read.
    pub fn new(id: PrincipalId, name: impl Into<String>) -> Self {
        SnapshotPrincipal {
            id,
            name: name.into(),
            members: None,
        }
    }
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
    /// Parses and checks a snapshot: the YAML (JSON is YAML too), that it was
    /// not cut short (see [`SNAPSHOT_END`]), its format version, and that its
    /// parts agree with each other (see `snapshot/checks.rs`). Every problem
    /// is reported, each with its line.
    pub fn parse(file: &str, text: &str) -> Result<Self, SnapshotError> {
        let mut errors: Vec<Diagnostic> = check_end(file, text).into_iter().collect();
        let doc = match yaml::parse::<Snapshot>(file, text) {
            Ok(doc) => doc,
            Err(e) => {
                errors.extend(e);
                return Err(SnapshotError(errors));
            }
        };
        errors.extend(checks::check(file, &doc.value, &doc.lines));
        if errors.is_empty() {
            Ok(doc.value)
        } else {
            errors.sort_by_key(|d| d.line.unwrap_or(0));
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
        let mut text = serde_norway::to_string(&s).unwrap_or_default();
        text.push_str(SNAPSHOT_END);
        text.push('\n');
        text
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
    /// The permission sets provisioned to the management account: those
    /// assigned there and those out of sync there.
    pub fn provisioned_to_management(&self) -> BTreeSet<PermissionSetArn> {
        let mgmt = &self.organization.management_account_id;
        let assigned = self
            .assignments
            .iter()
            .filter(|a| a.account_id == *mgmt)
            .map(|a| a.permission_set_arn.clone());
        let stale = self
            .permission_sets
            .iter()
            .filter(|p| p.not_provisioned_accounts.contains(mgmt))
            .map(|p| p.arn.clone());
        assigned.chain(stale).collect()
    }

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
            // As the reader has it: the caller is always known, and what is
            // provisioned to the management account only matters (and is
            // only read) for a delegated administrator.
            caller_account_id: Some(
                self.caller_account_id
                    .clone()
                    .unwrap_or_else(|| self.organization.management_account_id.clone()),
            ),
            provisioned_to_management: if self.caller_account_id.is_some() {
                self.provisioned_to_management()
            } else {
                BTreeSet::new()
            },
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
            assignment_read: None,
        })
    }
}

/// The problem with a snapshot whose block-style YAML does not end with
/// [`SNAPSHOT_END`], if it does not.
fn check_end(file: &str, text: &str) -> Option<Diagnostic> {
    let significant = |l: &&str| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    };
    let first = text.lines().find(|l| significant(l) && l.trim() != "---")?;
    if first.trim_start().starts_with(['{', '[']) {
        // A flow (JSON) document is closed by its last bracket.
        return None;
    }
    let last = text.lines().rev().find(significant);
    let ends = last.is_some_and(|l| {
        let l = l.trim_end();
        l == SNAPSHOT_END
            || l.strip_prefix(SNAPSHOT_END)
                .is_some_and(|c| c.trim_start().starts_with('#'))
    });
    if ends {
        return None;
    }
    Some(Diagnostic::new(
        file,
        Some(text.lines().count().max(1)),
        format!(
            "the snapshot does not end with the line `{SNAPSHOT_END}` that `ssomatrix export` writes last, so it may have been cut short; \
             export it again (a snapshot written by hand must end with a line `{SNAPSHOT_END}`)"
        ),
    ))
}
