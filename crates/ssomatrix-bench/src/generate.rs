//! Synthetic organisations at the benchmark sizes: an OU tree in the shape
//! AWS recommends (Security, Infrastructure, Sandbox, Suspended and
//! Workloads/{Prod,NonProd}/team-NNN), an assignments file that targets it
//! through OUs the way platform teams write them, and live state with some
//! drift. Deterministic for a seed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use anyhow::{Context, anyhow};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::ids::{
    AccountId, AccountState, IdentityStoreId, InstanceArn, OuId, PermissionSetArn, PrincipalId,
    PrincipalType, RootId,
};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::org::NodeId;
use ssomatrix_core::plan::{Action, plan};
use ssomatrix_core::snapshot::{
    SNAPSHOT_FORMAT_VERSION, Snapshot, SnapshotAccount, SnapshotOrganization, SnapshotOu,
    SnapshotPermissionSet, SnapshotPrincipal,
};

pub const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-0123456789abcdef";
const STORE: &str = "d-1234567890";
const ROOT: &str = "r-ab12";

/// An organisation size of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub name: &'static str,
    pub accounts: usize,
    pub permission_sets: usize,
    pub groups: usize,
}

pub const SIZES: [Size; 4] = [
    Size {
        name: "s",
        accounts: 50,
        permission_sets: 10,
        groups: 30,
    },
    Size {
        name: "m",
        accounts: 500,
        permission_sets: 30,
        groups: 150,
    },
    Size {
        name: "l",
        accounts: 2_000,
        permission_sets: 60,
        groups: 500,
    },
    Size {
        name: "xl",
        accounts: 7_000,
        permission_sets: 200,
        groups: 2_000,
    },
];

impl Size {
    pub fn named(name: &str) -> Option<Size> {
        SIZES
            .into_iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }
}

/// The platform's permission sets; the rest are the teams' own.
const PLATFORM_SETS: [&str; 4] = [
    "ReadOnly",
    "SecurityAudit",
    "NetworkAdmin",
    "AdministratorAccess",
];

/// The platform's groups; every other group belongs to a team, three a team
/// (admins, developers, operators).
const PLATFORM_GROUPS: [&str; 6] = [
    "aws-readonly-all",
    "aws-auditors",
    "aws-security-admins",
    "aws-network-admins",
    "aws-sandbox-users",
    "aws-breakglass",
];

/// A generated organisation: the live instance, the file, and what the file
/// wants (the planner's own expansion of it).
#[derive(Debug, Clone)]
pub struct Generated {
    pub snapshot: Snapshot,
    pub config_text: String,
    pub config: Config,
    pub desired: BTreeSet<Assignment>,
}

/// The date plans are made on (nothing in the generated file expires).
pub fn today() -> anyhow::Result<Date> {
    Ok(Date::parse("2026-11-24")?)
}

fn account_id(i: usize) -> anyhow::Result<AccountId> {
    Ok(AccountId::new(format!("{:012}", 100_000_000_000 + i))?)
}

fn ps_arn(i: usize) -> anyhow::Result<PermissionSetArn> {
    Ok(PermissionSetArn::new(format!(
        "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-{:016x}",
        i + 1
    ))?)
}

fn principal_id(kind: u32, i: usize) -> anyhow::Result<PrincipalId> {
    Ok(PrincipalId::new(format!(
        "9067{kind:04x}-{:04x}-4000-8000-{i:012x}",
        i % 0xffff
    ))?)
}

/// Builds the organisation of `size`.
///
/// Density: every account but the suspended ones has `ReadOnly` for two
/// groups; a workload account has its team's two permission sets (one for
/// the admins, one for developers and operators), a production one also
/// `AdministratorAccess` for break-glass: 3–4 (account, permission set)
/// pairs and 5–6 assignments an account, as in organisations that grant
/// through team groups. Drift: 3% of the wanted assignments are missing, 2%
/// of the accounts have a click-ops assignment the file does not declare,
/// and a few name a group that was deleted.
pub fn generate(size: Size, seed: u64) -> anyhow::Result<Generated> {
    let mut rng = StdRng::seed_from_u64(seed);
    let root = NodeId::Root(RootId::new(ROOT)?);

    let mut ous: Vec<SnapshotOu> = Vec::new();
    let mut add_ou = |name: String, parent: &NodeId| -> anyhow::Result<NodeId> {
        let id = OuId::new(format!("ou-ab12-{:08}", ous.len() + 1))?;
        ous.push(SnapshotOu {
            id: id.clone(),
            name,
            parent: parent.clone(),
        });
        Ok(NodeId::Ou(id))
    };
    let security = add_ou("Security".into(), &root)?;
    let infrastructure = add_ou("Infrastructure".into(), &root)?;
    let sandbox = add_ou("Sandbox".into(), &root)?;
    let suspended = add_ou("Suspended".into(), &root)?;
    let workloads = add_ou("Workloads".into(), &root)?;
    let team_groups = size.groups.saturating_sub(PLATFORM_GROUPS.len());
    // Three groups a team OU; half the teams' OUs in Prod, half in NonProd.
    let per_env = (team_groups / 3 / 2).max(1);
    let mut teams: Vec<(NodeId, String, bool)> = Vec::new();
    for (env, prod) in [("Prod", true), ("NonProd", false)] {
        let env_node = add_ou(env.into(), &workloads)?;
        for t in 0..per_env {
            let name = format!("team-{t:03}");
            let node = add_ou(name.clone(), &env_node)?;
            teams.push((node, format!("Workloads/{env}/{name}"), prod));
        }
    }

    // The management account at the root; 5% each in Security,
    // Infrastructure and Sandbox, 1% suspended, the rest in the teams' OUs.
    let mut accounts = Vec::with_capacity(size.accounts);
    for i in 0..size.accounts {
        let roll = rng.random_range(0..100);
        let (parent, state) = match (i, roll) {
            (0, _) => (root.clone(), AccountState::Active),
            (_, 0) => (suspended.clone(), AccountState::Suspended),
            (_, 1..=5) => (security.clone(), AccountState::Active),
            (_, 6..=10) => (infrastructure.clone(), AccountState::Active),
            (_, 11..=15) => (sandbox.clone(), AccountState::Active),
            _ => (
                teams[rng.random_range(0..teams.len())].0.clone(),
                AccountState::Active,
            ),
        };
        accounts.push(SnapshotAccount {
            id: account_id(i)?,
            name: format!("acct-{i:05}"),
            state,
            parent,
            tags: BTreeMap::new(),
        });
    }

    let set_names: Vec<String> = (0..size.permission_sets)
        .map(|i| match PLATFORM_SETS.get(i) {
            Some(n) => (*n).to_owned(),
            None => format!("Team{i:03}"),
        })
        .collect();
    let permission_sets = set_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            Ok(SnapshotPermissionSet {
                arn: ps_arn(i)?,
                name: name.clone(),
                not_provisioned_accounts: BTreeSet::new(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let group_names: Vec<String> = (0..size.groups)
        .map(|i| match PLATFORM_GROUPS.get(i) {
            Some(n) => (*n).to_owned(),
            None => {
                let t = (i - PLATFORM_GROUPS.len()) / 3;
                let role = ["admins", "developers", "operators"][(i - PLATFORM_GROUPS.len()) % 3];
                format!("team-{t:03}-{role}")
            }
        })
        .collect();
    let groups = group_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            Ok(SnapshotPrincipal {
                id: principal_id(1, i)?,
                name: name.clone(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;

    // The file: platform rules on the top-level OUs, two rules a team OU.
    let team_sets = size
        .permission_sets
        .saturating_sub(PLATFORM_SETS.len())
        .max(1);
    let team_set =
        |k: usize| &set_names[(PLATFORM_SETS.len() + k % team_sets).min(set_names.len() - 1)];
    let mut text = String::from("# Generated by ssomatrix-bench.\nassignments:\n");
    let _ = write!(
        text,
        "- groups: [aws-readonly-all, aws-auditors]\n  permission_set: ReadOnly\n  ous: [_root_]\n  exclude_ous: [Suspended]\n\
         - group: aws-security-admins\n  permission_set: SecurityAudit\n  ous: [Security]\n\
         - group: aws-network-admins\n  permission_set: NetworkAdmin\n  ous: [Infrastructure]\n\
         - group: aws-sandbox-users\n  permission_set: AdministratorAccess\n  ous: [Sandbox]\n\
         - group: aws-breakglass\n  permission_set: AdministratorAccess\n  ous: [Workloads/Prod]\n"
    );
    for (t, (_, path, _)) in teams.iter().enumerate() {
        let g = |r: usize| {
            &group_names[(PLATFORM_GROUPS.len() + (3 * t + r) % team_groups.max(1))
                .min(group_names.len() - 1)]
        };
        let _ = write!(
            text,
            "- group: {}\n  permission_set: {}\n  ous: [{path}]\n\
             - groups: [{}, {}]\n  permission_set: {}\n  ous: [{path}]\n",
            g(0),
            team_set(2 * t),
            g(1),
            g(2),
            team_set(2 * t + 1),
        );
    }
    let config =
        Config::parse("generated.yaml", &text).map_err(|e| anyhow!("generated file: {e}"))?;

    let mut snapshot = Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        instance_arn: InstanceArn::new(INSTANCE)?,
        identity_store_id: IdentityStoreId::new(STORE)?,
        caller_account_id: None,
        organization: SnapshotOrganization {
            root_id: RootId::new(ROOT)?,
            management_account_id: account_id(0)?,
            organizational_units: ous,
            accounts,
        },
        groups,
        users: vec![],
        permission_sets,
        assignments: vec![],
    };

    // What the file wants: the planner's expansion against an empty instance.
    let empty = snapshot.to_live_state().context("generated organisation")?;
    let wanted = plan(&config, &empty, today()?).map_err(|e| anyhow!("generated file: {e}"))?;
    let desired: BTreeSet<Assignment> = wanted
        .changes
        .iter()
        .filter(|c| c.action == Action::Create)
        .map(|c| Assignment {
            account_id: c.account_id.clone(),
            permission_set_arn: c.permission_set_arn.clone(),
            principal_type: c.principal_type,
            principal_id: c.principal_id.clone(),
        })
        .collect();

    // Live: what the file wants, less 3%, plus click-ops.
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
    let drifted = (size.accounts / 50).max(1);
    for a in active.choose_multiple(&mut rng, drifted) {
        let ps = snapshot
            .permission_sets
            .choose(&mut rng)
            .ok_or_else(|| anyhow!("no permission sets"))?;
        let g = snapshot
            .groups
            .choose(&mut rng)
            .ok_or_else(|| anyhow!("no groups"))?;
        live.insert(Assignment {
            account_id: a.id.clone(),
            permission_set_arn: ps.arn.clone(),
            principal_type: PrincipalType::Group,
            principal_id: g.id.clone(),
        });
    }
    let readonly = &snapshot.permission_sets[0].arn;
    for (k, a) in active.iter().take(3).enumerate() {
        live.insert(Assignment {
            account_id: a.id.clone(),
            permission_set_arn: readonly.clone(),
            principal_type: PrincipalType::Group,
            principal_id: principal_id(0xdead, k)?,
        });
    }
    snapshot.assignments = live.into_iter().collect();
    snapshot.sort();
    Ok(Generated {
        snapshot,
        config_text: text,
        config,
        desired,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_has_the_stated_size() {
        let s = Size::named("s").unwrap();
        let a = generate(s, 1).unwrap();
        let b = generate(s, 1).unwrap();
        assert_eq!(a.snapshot, b.snapshot);
        assert_eq!(a.config_text, b.config_text);
        assert_ne!(generate(s, 2).unwrap().snapshot, a.snapshot);
        assert_eq!(a.snapshot.organization.accounts.len(), 50);
        assert_eq!(a.snapshot.permission_sets.len(), 10);
        assert_eq!(a.snapshot.groups.len(), 30);
        // Drift both ways: some of what the file wants is missing, and
        // something it does not want is there.
        let live: BTreeSet<_> = a.snapshot.assignments.iter().cloned().collect();
        assert!(a.desired.difference(&live).count() > 0);
        assert!(live.difference(&a.desired).count() > 0);
        // Every workload account holds 3–4 pairs: the density is realistic.
        assert!(a.desired.len() > 4 * 40, "{}", a.desired.len());
    }

    #[test]
    fn every_size_has_its_stated_shape() {
        for (name, accounts, sets, groups) in [
            ("m", 500, 30, 150),
            ("l", 2_000, 60, 500),
            ("xl", 7_000, 200, 2_000),
        ] {
            let s = Size::named(name).unwrap();
            assert_eq!(
                (s.accounts, s.permission_sets, s.groups),
                (accounts, sets, groups)
            );
        }
    }
}
