//! The live assignments, made one of the two ways of `Live`, and stale
//! provisioning.

use std::collections::BTreeSet;

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use ssomatrix_core::ids::{AccountId, AccountState, PrincipalType};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::plan::{Action, plan};
use ssomatrix_core::snapshot::{Snapshot, SnapshotAccount};

use super::tree::Tree;
use super::{
    DELETED_GROUP, DELETED_USER, Filed, GenerateError, Org, Result, account_id, file, principal_id,
    today,
};

/// What the teams' file wants, less 3%, plus a click-ops assignment in 2% of
/// the accounts and three assignments of a deleted group.
pub(super) fn as_filed(org: &mut Org, tree: &Tree, rng: &mut StdRng) -> Result<()> {
    let (text, config) = file::teams_file(org, tree)?;
    // What the file wants: the planner's expansion against an empty instance.
    let empty = org
        .snapshot
        .to_live_state()
        .map_err(|e| GenerateError(format!("generated organisation: {e}")))?;
    let wanted = plan(&config, &empty, today()?)
        .map_err(|e| GenerateError(format!("generated file: {e}")))?;
    let desired: BTreeSet<Assignment> = wanted
        .changes
        .iter()
        .filter(|c| c.action == Action::Create)
        .map(|c| c.assignment())
        .collect();

    let snapshot = &org.snapshot;
    let mut live: BTreeSet<Assignment> = desired
        .iter()
        .filter(|_| !rng.random_bool(0.03))
        .cloned()
        .collect();
    let active: Vec<&SnapshotAccount> = snapshot
        .organization
        .accounts
        .iter()
        .filter(|a| a.state == AccountState::Active)
        .collect();
    let drifted = (snapshot.organization.accounts.len() / 50).max(1);
    for a in active.choose_multiple(rng, drifted) {
        let ps = snapshot
            .permission_sets
            .choose(rng)
            .ok_or_else(|| GenerateError("no permission sets".into()))?;
        let g = snapshot
            .groups
            .choose(rng)
            .ok_or_else(|| GenerateError("no groups".into()))?;
        live.insert(Assignment {
            account_id: a.id.clone(),
            permission_set_arn: ps.arn.clone(),
            principal_type: PrincipalType::Group,
            principal_id: g.id.clone(),
        });
    }
    let readonly = &snapshot.permission_sets[0].arn;
    for (k, a) in active.iter().take(3).enumerate() {
        let deleted = principal_id(DELETED_GROUP, k);
        live.insert(Assignment {
            account_id: a.id.clone(),
            permission_set_arn: readonly.clone(),
            principal_type: PrincipalType::Group,
            principal_id: deleted.clone(),
        });
        org.deleted.push((PrincipalType::Group, deleted));
    }
    org.snapshot.assignments = live.into_iter().collect();
    org.file = Some(Filed {
        text,
        config,
        desired,
    });
    Ok(())
}

/// Scattered assignments: the first permission set in 90% of the accounts,
/// the second in half, each other at four sets an account in all; 1–3
/// principals a pair, mostly groups, 2% deleted. The first user also holds
/// the first set in account 2, an exception `Org::config` lets expire.
pub(super) fn scattered(org: &mut Org, rng: &mut StdRng) {
    let snapshot = &mut org.snapshot;
    org.deleted = vec![
        (PrincipalType::Group, principal_id(DELETED_GROUP, 1)),
        (PrincipalType::Group, principal_id(DELETED_GROUP, 2)),
        (PrincipalType::User, principal_id(DELETED_USER, 1)),
    ];
    let sets = snapshot.permission_sets.len();
    let density = 4.0 / sets.max(1) as f64;
    let mut assignments = BTreeSet::new();
    for acc in &snapshot.organization.accounts {
        for (pi, ps) in snapshot.permission_sets.iter().enumerate() {
            let p = match pi {
                0 => 0.9,
                1 => 0.5,
                _ => density.min(1.0),
            };
            if !rng.random_bool(p) {
                continue;
            }
            for _ in 0..rng.random_range(1..=3) {
                let roll = rng.random_range(0..100);
                let users = &snapshot.users;
                let principal = if roll < 2 {
                    org.deleted.choose(rng).cloned()
                } else if roll < 6 && !users.is_empty() {
                    let user = users.choose(rng).map(|u| u.id.clone());
                    user.map(|id| (PrincipalType::User, id))
                } else {
                    let group = snapshot.groups.choose(rng).map(|g| g.id.clone());
                    group.map(|id| (PrincipalType::Group, id))
                };
                let Some((principal_type, principal_id)) = principal else {
                    continue;
                };
                assignments.insert(Assignment {
                    account_id: acc.id.clone(),
                    permission_set_arn: ps.arn.clone(),
                    principal_type,
                    principal_id,
                });
            }
        }
    }
    if let (Some(user), Some(set)) = (snapshot.users.first(), snapshot.permission_sets.first()) {
        assignments.insert(Assignment {
            account_id: account_id(2),
            permission_set_arn: set.arn.clone(),
            principal_type: PrincipalType::User,
            principal_id: user.id.clone(),
        });
    }
    snapshot.assignments = assignments.into_iter().collect();
}

/// Every third permission set (the second, fifth…) stale in three accounts
/// where it has assignments and in the first one where it has none but the
/// management account (provisioned, then its last assignment went).
pub(super) fn out_of_sync(snapshot: &mut Snapshot, rng: &mut StdRng) {
    let management = account_id(0);
    for (pi, ps) in snapshot.permission_sets.iter_mut().enumerate() {
        if pi % 3 != 1 {
            continue;
        }
        let with: Vec<&AccountId> = snapshot
            .assignments
            .iter()
            .filter(|a| a.permission_set_arn == ps.arn)
            .map(|a| &a.account_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for a in with.choose_multiple(rng, 3) {
            ps.not_provisioned_accounts.insert((*a).clone());
        }
        if let Some(empty) = snapshot
            .organization
            .accounts
            .iter()
            .map(|a| &a.id)
            .find(|a| !with.contains(a) && **a != management)
        {
            ps.not_provisioned_accounts.insert(empty.clone());
        }
    }
}
