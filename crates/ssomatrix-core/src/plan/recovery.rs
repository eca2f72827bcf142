//! Recovery: deletes that remove nobody's access, and principals that were
//! deleted and recreated under a new id (a SCIM sync that recreates a group,
//! an identity source switched).
//!
//! An assignment whose principal no longer exists grants nothing, so
//! deleting it is housekeeping, not a lockout: such "orphan" deletes are
//! listed apart and do not count against the delete budget, which exists to
//! stop mass lockouts and would otherwise block the very restore it is for.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::classify::ReasonKind;
use crate::ids::{AccountId, PermissionSetArn, PrincipalId, PrincipalType};

use super::{Action, Change};

/// A deleted principal whose orphaned assignments sit exactly where a live
/// principal of the same kind gets creates in the same plan: it appears to
/// have been recreated under a new id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recreated {
    pub principal_type: PrincipalType,
    /// The live principal's name.
    pub principal_name: String,
    /// The id of the principal that no longer exists.
    pub old_principal_id: PrincipalId,
    /// The id of the live principal that gets its assignments.
    pub new_principal_id: PrincipalId,
    /// How many assignments move: as many creates as orphan deletes.
    pub assignments: usize,
}

impl Change {
    /// Whether this change deletes an assignment of a principal that no
    /// longer exists, which removes nobody's access.
    pub fn is_orphan_delete(&self) -> bool {
        self.action == Action::Delete && self.reason_kind == Some(ReasonKind::PrincipalDeleted)
    }

    /// Whether this change deletes someone's access: what the delete budget
    /// counts.
    pub fn removes_access(&self) -> bool {
        self.action == Action::Delete && !self.is_orphan_delete()
    }
}

type Places<'c> = BTreeSet<(&'c AccountId, &'c PermissionSetArn)>;
type Key<'c> = (PrincipalType, &'c PrincipalId);

/// The (account, permission set) pairs of each principal's changes that
/// `pick` selects.
fn places_by_principal<'c>(
    changes: &'c [Change],
    pick: impl Fn(&Change) -> bool,
) -> BTreeMap<Key<'c>, (Places<'c>, Option<&'c str>)> {
    let mut out: BTreeMap<Key<'c>, (Places<'c>, Option<&'c str>)> = BTreeMap::new();
    for c in changes.iter().filter(|c| pick(c)) {
        let entry = out.entry((c.principal_type, &c.principal_id)).or_default();
        entry.0.insert((&c.account_id, &c.permission_set_arn));
        entry.1 = c.principal_name.as_deref();
    }
    out
}

/// The recreated principals of a plan's changes. A match is conservative:
/// the set of (account, permission set) pairs of a deleted principal's
/// orphan deletes equals the set of a live principal's creates of the same
/// kind, and no other principal on either side has that same set (a tie
/// means the plan cannot tell who became whom, so it claims nothing).
pub fn recreated(changes: &[Change]) -> Vec<Recreated> {
    let orphans = places_by_principal(changes, Change::is_orphan_delete);
    let creates = places_by_principal(changes, |c| c.action == Action::Create);
    let mut out = Vec::new();
    for (&(kind, old), (places, _)) in &orphans {
        let same =
            |(k, _): &&Key<'_>, (p, _): &&(Places<'_>, Option<&str>)| *k == kind && p == places;
        let mut new_ones = creates.iter().filter(|(k, v)| same(k, v));
        let (Some(((_, new), (_, name))), None) = (new_ones.next(), new_ones.next()) else {
            continue;
        };
        if orphans.iter().filter(|(k, v)| same(k, v)).count() != 1 {
            continue;
        }
        let Some(name) = name else { continue };
        out.push(Recreated {
            principal_type: kind,
            principal_name: (*name).to_owned(),
            old_principal_id: old.clone(),
            new_principal_id: (*new).clone(),
            assignments: places.len(),
        });
    }
    out.sort_by(|a, b| {
        (a.principal_type, &a.principal_name, &a.old_principal_id).cmp(&(
            b.principal_type,
            &b.principal_name,
            &b.old_principal_id,
        ))
    });
    out
}

impl Recreated {
    /// Whether `c` is one of the creates or orphan deletes this move stands for.
    pub fn covers(&self, c: &Change) -> bool {
        c.principal_type == self.principal_type
            && match c.action {
                Action::Create => c.principal_id == self.new_principal_id,
                Action::Delete => c.is_orphan_delete() && c.principal_id == self.old_principal_id,
            }
    }

    /// `group aws-platform-admins appears recreated: 30 assignments move to
    /// its new id 4f2c… (old id 07f3…)`.
    pub fn sentence(&self) -> String {
        let n = self.assignments;
        let what = if n == 1 {
            "assignment moves"
        } else {
            "assignments move"
        };
        format!(
            "{} {} appears recreated: {n} {what} to its new id {} (old id {})",
            self.principal_type.noun(),
            self.principal_name,
            self.new_principal_id,
            self.old_principal_id
        )
    }
}
