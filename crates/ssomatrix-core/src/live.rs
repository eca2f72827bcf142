//! The live state of an instance as the inventory reader found it: what the
//! planner diffs the file against.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::{
    AccountId, IdentityStoreId, InstanceArn, PermissionSetArn, PrincipalId, PrincipalType,
};
use crate::org::OrgTree;

/// One account assignment: a principal holds a permission set in an account.
/// Ordered by account first, which is how plans are grouped.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    pub account_id: AccountId,
    pub permission_set_arn: PermissionSetArn,
    pub principal_type: PrincipalType,
    pub principal_id: PrincipalId,
}

/// What the reader knows of the Identity Store principals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principals {
    /// Names resolved to ids (at least every name the file uses that exists).
    pub by_name: BTreeMap<(PrincipalType, String), PrincipalId>,
    /// Names of the principals that live assignments reference; `None` for a
    /// principal that no longer exists.
    pub by_id: BTreeMap<(PrincipalType, PrincipalId), Option<String>>,
    /// Every name in the store, when it was listed (to suggest a close
    /// name for a misspelt one); empty when not listed.
    pub all_names: BTreeMap<PrincipalType, Vec<String>>,
}

impl Principals {
    pub fn id_of(&self, kind: PrincipalType, name: &str) -> Option<&PrincipalId> {
        self.by_name.get(&(kind, name.to_owned()))
    }

    /// The name of a principal; `None` when it no longer exists or was not read.
    pub fn name_of(&self, kind: PrincipalType, id: &PrincipalId) -> Option<&str> {
        if let Some(name) = self.by_id.get(&(kind, id.clone())) {
            return name.as_deref();
        }
        self.by_name
            .iter()
            .find(|((k, _), v)| *k == kind && *v == id)
            .map(|((_, n), _)| n.as_str())
    }

    /// Whether the reader found that this principal was deleted.
    pub fn is_deleted(&self, kind: PrincipalType, id: &PrincipalId) -> bool {
        matches!(self.by_id.get(&(kind, id.clone())), Some(None))
    }

    pub fn insert(&mut self, kind: PrincipalType, id: PrincipalId, name: String) {
        self.by_name.insert((kind, name.clone()), id.clone());
        self.by_id.insert((kind, id), Some(name));
    }
}

/// The two ways of finding live assignments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadWay {
    /// `ListAccountAssignments` for each (account, permission set) pair that
    /// can hold assignments.
    PerPair,
    /// `ListAccountAssignmentsForPrincipal` for each group and user of the
    /// identity store: it cannot see assignments of deleted principals.
    ByPrincipal,
}

impl ReadWay {
    pub fn as_str(self) -> &'static str {
        match self {
            ReadWay::PerPair => "per (account, permission set) pair",
            ReadWay::ByPrincipal => "by principal",
        }
    }
}

/// Which way the reader found the live assignments and what each way would
/// have cost, when it weighed them (or was told to read by principal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentRead {
    pub used: ReadWay,
    /// Estimated sso-admin calls of reading per pair.
    pub per_pair_calls: u64,
    /// Estimated sso-admin calls of reading by principal; absent when the
    /// caller may not (only the management account may).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_principal_calls: Option<u64>,
}

impl AssignmentRead {
    /// One sentence for a person, starting lower case.
    pub fn describe(&self) -> String {
        let by_principal = match self.by_principal_calls {
            Some(n) => format!("about {n} by principal"),
            None => "by principal not allowed: only the management account may".to_owned(),
        };
        format!(
            "assignments read {} (estimated sso-admin calls: about {} per pair, {by_principal})",
            self.used.as_str(),
            self.per_pair_calls
        )
    }
}

/// Everything the planner needs from the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveState {
    pub instance_arn: InstanceArn,
    pub identity_store_id: IdentityStoreId,
    /// The account the credentials belong to (STS `GetCallerIdentity`);
    /// `None` when unknown, which is taken as the management account.
    pub caller_account_id: Option<AccountId>,
    /// The permission sets provisioned to the management account, as far as
    /// the reader knows (complete when the caller is a delegated
    /// administrator; planning needs it only then).
    pub provisioned_to_management: BTreeSet<PermissionSetArn>,
    pub org: OrgTree,
    /// Every permission set of the instance: ARN → name.
    pub permission_sets: BTreeMap<PermissionSetArn, String>,
    pub principals: Principals,
    /// Live assignments of the permission sets in `read_permission_sets`.
    pub assignments: BTreeSet<Assignment>,
    /// The permission sets whose assignments were read in every account that
    /// can hold them: the planner may only delete inside this set.
    pub read_permission_sets: BTreeSet<PermissionSetArn>,
    /// Accounts where a permission set is `LATEST_PERMISSION_SET_NOT_PROVISIONED`.
    pub not_provisioned: BTreeMap<PermissionSetArn, BTreeSet<AccountId>>,
    /// How the assignments were found, when the reader weighed the ways;
    /// `None` for a read told to go per pair, and for a snapshot.
    pub assignment_read: Option<AssignmentRead>,
}

impl LiveState {
    /// The name of a permission set, or its ARN when the instance does not
    /// have it (any more).
    pub fn permission_set_name<'a>(&'a self, arn: &'a PermissionSetArn) -> &'a str {
        self.permission_sets
            .get(arn)
            .map_or(arn.as_str(), String::as_str)
    }

    /// The caller's account when it is not the management account: a
    /// delegated administrator, which AWS does not let create, delete or
    /// provision anything of a permission set provisioned to the management
    /// account, in any account ("Register a member account", IAM Identity
    /// Center user guide).
    pub fn delegated_administrator(&self) -> Option<&AccountId> {
        let caller = self.caller_account_id.as_ref()?;
        (Some(caller) != self.org.management_account()).then_some(caller)
    }

    /// The permission sets a delegated administrator may not touch: those
    /// provisioned to the management account (listed as provisioned there,
    /// assigned there, or out of sync there). Empty when the caller is the
    /// management account.
    pub fn management_only_sets(&self) -> BTreeSet<PermissionSetArn> {
        let (Some(_), Some(mgmt)) = (
            self.delegated_administrator(),
            self.org.management_account(),
        ) else {
            return BTreeSet::new();
        };
        let assigned = self
            .assignments
            .iter()
            .filter(|a| a.account_id == *mgmt)
            .map(|a| a.permission_set_arn.clone());
        let stale = self
            .not_provisioned
            .iter()
            .filter(|(_, accounts)| accounts.contains(mgmt))
            .map(|(ps, _)| ps.clone());
        self.provisioned_to_management
            .iter()
            .cloned()
            .chain(assigned)
            .chain(stale)
            .collect()
    }

    pub fn permission_set_named(&self, name: &str) -> Option<&PermissionSetArn> {
        self.permission_sets
            .iter()
            .find(|(_, n)| n.as_str() == name)
            .map(|(arn, _)| arn)
    }
}
