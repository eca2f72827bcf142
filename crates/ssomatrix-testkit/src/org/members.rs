//! Group members for the benchmark's organisations, spread as people are
//! in an organisation: everyone in one group of a team (developers most
//! often, then operators, then admins), a fifth also in another team's
//! developers, one in twenty in a third team group; the platform groups
//! small (the read-only-everywhere group, security, network, auditors,
//! three break-glass holders), the sandbox group large; a group of a team
//! nobody was drawn into stays empty.

use std::collections::{BTreeMap, BTreeSet};

use rand::Rng;
use rand::rngs::StdRng;
use ssomatrix_core::ids::PrincipalId;
use ssomatrix_core::snapshot::SnapshotPrincipal;

use super::file::PLATFORM_GROUPS;
use super::{Generated, USER, principal_id};

/// Members of each platform group, per 10,000 users (break-glass: a fixed
/// three).
const PLATFORM_PER_10K: [(&str, usize); 5] = [
    ("aws-readonly-all", 50),
    ("aws-auditors", 8),
    ("aws-security-admins", 15),
    ("aws-network-admins", 10),
    ("aws-sandbox-users", 200),
];
const BREAKGLASS: usize = 3;
/// Percent of people in their team's developers, operators and admins.
const ROLE_PERCENT: [u32; 3] = [70, 20, 10];

/// Adds users to `generated` up to `users` in all (`user{i}@example.com`,
/// after those it has) and gives every group its `members`, drawn with
/// `seed`. A group that has members already keeps them.
pub fn with_members(generated: &mut Generated, users: usize, seed: u64) {
    let mut rng = <StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let snapshot = &mut generated.snapshot;
    for i in snapshot.users.len()..users {
        snapshot.users.push(SnapshotPrincipal::new(
            principal_id(USER, i),
            format!("user{i}@example.com"),
        ));
    }
    let user_ids: Vec<PrincipalId> = snapshot.users.iter().map(|u| u.id.clone()).collect();
    let by_name: BTreeMap<String, usize> = snapshot
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.name.clone(), i))
        .collect();
    // Team groups, three a team in role order (admins, developers, operators).
    let team: Vec<usize> = (0..snapshot.groups.len())
        .filter(|i| !PLATFORM_GROUPS.contains(&snapshot.groups[*i].name.as_str()))
        .collect();
    let mut members: Vec<BTreeSet<PrincipalId>> = vec![BTreeSet::new(); snapshot.groups.len()];
    let teams = team.len() / 3;
    if teams > 0 {
        let role_of = |roll: u32| match roll {
            r if r < ROLE_PERCENT[0] => 1,
            r if r < ROLE_PERCENT[0] + ROLE_PERCENT[1] => 2,
            _ => 0,
        };
        for user in &user_ids {
            let home = rng.random_range(0..teams);
            let role = role_of(rng.random_range(0..100));
            members[team[3 * home + role]].insert(user.clone());
            if rng.random_bool(0.2) {
                let other = rng.random_range(0..teams);
                members[team[3 * other + 1]].insert(user.clone());
            }
            if rng.random_bool(0.05) {
                members[team[rng.random_range(0..team.len())]].insert(user.clone());
            }
        }
    }
    let platform = PLATFORM_PER_10K
        .iter()
        .map(|(name, per)| (*name, (users * per).div_ceil(10_000)))
        .chain([("aws-breakglass", BREAKGLASS)]);
    for (name, n) in platform {
        let Some(&g) = by_name.get(name) else {
            continue;
        };
        for _ in 0..n.min(user_ids.len()) {
            members[g].insert(user_ids[rng.random_range(0..user_ids.len())].clone());
        }
    }
    for (g, m) in snapshot.groups.iter_mut().zip(members) {
        g.members.get_or_insert(m);
    }
}
