//! Synthetic organisations for the engine × simulator tests: nested OUs, some
//! suspended accounts, permission sets, groups, a few users, assignments at
//! a realistic density, principals deleted after they were assigned, and
//! permission sets left OUT_OF_SYNC in some accounts. Deterministic per seed.

use std::collections::{BTreeMap, BTreeSet};

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use ssomatrix_core::config::Config;
use ssomatrix_core::ids::{
    AccountId, AccountState, IdentityStoreId, InstanceArn, OuId, PermissionSetArn, PrincipalId,
    PrincipalType, RootId,
};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::org::NodeId;
use ssomatrix_core::snapshot::{
    SNAPSHOT_FORMAT_VERSION, Snapshot, SnapshotAccount, SnapshotOrganization, SnapshotOu,
    SnapshotPermissionSet, SnapshotPrincipal,
};

pub const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-0123456789abcdef";
pub const STORE: &str = "d-1234567890";
pub const ROOT: &str = "r-ab12";

/// The shape of an organisation to generate.
#[derive(Debug, Clone, Copy)]
pub struct OrgSpec {
    pub accounts: usize,
    pub permission_sets: usize,
    pub groups: usize,
    pub users: usize,
    pub seed: u64,
}

impl OrgSpec {
    pub fn small() -> Self {
        OrgSpec {
            accounts: 90,
            permission_sets: 9,
            groups: 24,
            users: 4,
            seed: 7,
        }
    }
}

/// A generated organisation and the names a config can use.
#[derive(Debug, Clone)]
pub struct Org {
    pub snapshot: Snapshot,
    /// OU paths from the root (`Workloads/Prod/team-01`).
    pub ou_paths: Vec<String>,
    pub groups: Vec<String>,
    pub users: Vec<String>,
    pub permission_sets: Vec<String>,
    /// Ids of principals that assignments name but the store no longer has.
    pub deleted: Vec<(PrincipalType, PrincipalId)>,
}

const BASE_SETS: [&str; 10] = [
    "ReadOnly",
    "BillingViewer",
    "AdministratorAccess",
    "PowerUser",
    "AppDeveloper",
    "SecurityAudit",
    "NetworkAdmin",
    "DataEngineer",
    "SupportUser",
    "BreakGlass",
];

fn id<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.unwrap()
}

pub fn account_id(i: usize) -> AccountId {
    id(AccountId::new(format!("{:012}", 100_000_000_000 + i)))
}

pub fn ps_arn(i: usize) -> PermissionSetArn {
    id(PermissionSetArn::new(format!(
        "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-{:016x}",
        i + 1
    )))
}

/// Builds an organisation from `spec`.
pub fn generate(spec: OrgSpec) -> Org {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let root = NodeId::Root(id(RootId::new(ROOT)));

    // OUs: a fixed top level, Workloads/{Prod,NonProd}/team-NN, and a
    // Critical OU under every other Prod team: four levels deep.
    let mut ous: Vec<SnapshotOu> = Vec::new();
    let mut paths: BTreeMap<NodeId, String> = BTreeMap::new();
    let mut add_ou = |name: &str, parent: &NodeId, ous: &mut Vec<SnapshotOu>| {
        let ou = id(OuId::new(format!("ou-ab12-{:08}", ous.len() + 1)));
        let node = NodeId::Ou(ou.clone());
        let path = match paths.get(parent) {
            Some(p) => format!("{p}/{name}"),
            None => name.to_owned(),
        };
        paths.insert(node.clone(), path);
        ous.push(SnapshotOu {
            id: ou,
            name: name.to_owned(),
            parent: parent.clone(),
        });
        node
    };
    let mut homes: Vec<NodeId> = vec![root.clone()];
    for top in ["Security", "Infrastructure", "Sandbox"] {
        homes.push(add_ou(top, &root, &mut ous));
    }
    let suspended_ou = add_ou("Suspended", &root, &mut ous);
    let workloads = add_ou("Workloads", &root, &mut ous);
    let teams = (spec.accounts / 60).max(1);
    for env in ["Prod", "NonProd"] {
        let env_node = add_ou(env, &workloads, &mut ous);
        homes.push(env_node.clone());
        for t in 0..teams {
            let team = add_ou(&format!("team-{t:02}"), &env_node, &mut ous);
            homes.push(team.clone());
            if env == "Prod" && t % 2 == 0 {
                homes.push(add_ou("Critical", &team, &mut ous));
            }
        }
    }

    // Accounts: the management account at the root, a few in the Suspended
    // OU, the rest spread over the OUs; about 2% of those suspended too.
    let mut accounts = Vec::new();
    for i in 0..spec.accounts {
        let (parent, mut state) = if i == 0 {
            (root.clone(), AccountState::Active)
        } else if i % 37 == 5 {
            (suspended_ou.clone(), AccountState::Suspended)
        } else {
            (
                homes[rng.random_range(1..homes.len())].clone(),
                AccountState::Active,
            )
        };
        if i > 0 && rng.random_bool(0.02) {
            state = AccountState::Suspended;
        }
        let path = paths.get(&parent).cloned().unwrap_or_default();
        let env = if path.contains("NonProd") {
            "nonprod"
        } else if path.contains("Prod") {
            "prod"
        } else {
            "shared"
        };
        accounts.push(SnapshotAccount {
            id: account_id(i),
            name: format!("acct-{i:04}"),
            state,
            parent,
            tags: [
                ("env".to_owned(), env.to_owned()),
                ("cost-center".to_owned(), format!("cc-{}", i % 7)),
            ]
            .into(),
        });
    }

    let set_names: Vec<String> = (0..spec.permission_sets)
        .map(|i| match BASE_SETS.get(i) {
            Some(n) => (*n).to_owned(),
            None => format!("Custom{i:02}"),
        })
        .collect();
    let permission_sets: Vec<SnapshotPermissionSet> = set_names
        .iter()
        .enumerate()
        .map(|(i, n)| SnapshotPermissionSet {
            arn: ps_arn(i),
            name: n.clone(),
            not_provisioned_accounts: BTreeSet::new(),
        })
        .collect();
    let principal = |kind: &str, i: usize, name: String| SnapshotPrincipal {
        id: id(PrincipalId::new(format!(
            "90676{kind}{:03x}-{i:04}-4000-8000-{:012x}",
            spec.seed % 4096,
            i
        ))),
        name,
    };
    let groups: Vec<SnapshotPrincipal> = (0..spec.groups)
        .map(|i| principal("a", i, format!("aws-team-{i:03}")))
        .collect();
    let users: Vec<SnapshotPrincipal> = (0..spec.users)
        .map(|i| principal("b", i, format!("user{i}@example.com")))
        .collect();
    let deleted: Vec<(PrincipalType, PrincipalId)> = vec![
        (PrincipalType::Group, principal("c", 1, String::new()).id),
        (PrincipalType::Group, principal("c", 2, String::new()).id),
        (PrincipalType::User, principal("d", 1, String::new()).id),
    ];

    // Assignments: ReadOnly nearly everywhere, BillingViewer in half the
    // accounts, each other set in about four of them on average per account
    // in all; 1-3 principals a pair, mostly groups.
    let mut assignments = BTreeSet::new();
    let density = 4.0 / spec.permission_sets.max(1) as f64;
    for acc in &accounts {
        for (pi, ps) in permission_sets.iter().enumerate() {
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
                let (kind, pid) = if roll < 2 {
                    deleted.choose(&mut rng).unwrap().clone()
                } else if roll < 6 && !users.is_empty() {
                    (
                        PrincipalType::User,
                        users.choose(&mut rng).unwrap().id.clone(),
                    )
                } else {
                    (
                        PrincipalType::Group,
                        groups.choose(&mut rng).unwrap().id.clone(),
                    )
                };
                assignments.insert(Assignment {
                    account_id: acc.id.clone(),
                    permission_set_arn: ps.arn.clone(),
                    principal_type: kind,
                    principal_id: pid,
                });
            }
        }
    }

    // The first user's exception that the generated file lets expire.
    if let Some(u) = users.first() {
        assignments.insert(Assignment {
            account_id: account_id(2),
            permission_set_arn: permission_sets[0].arn.clone(),
            principal_type: PrincipalType::User,
            principal_id: u.id.clone(),
        });
    }

    // OUT_OF_SYNC: every third permission set is stale in a few accounts
    // where it has assignments and in one where it has none (provisioned,
    // then its last assignment went).
    let mut permission_sets = permission_sets;
    for (pi, ps) in permission_sets.iter_mut().enumerate() {
        if pi % 3 != 1 {
            continue;
        }
        let with: Vec<&AccountId> = assignments
            .iter()
            .filter(|a| a.permission_set_arn == ps.arn)
            .map(|a| &a.account_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for a in with.choose_multiple(&mut rng, 3) {
            ps.not_provisioned_accounts.insert((*a).clone());
        }
        if let Some(empty) = accounts
            .iter()
            .map(|a| &a.id)
            .find(|a| !with.contains(a) && a.as_str() != account_id(0).as_str())
        {
            ps.not_provisioned_accounts.insert(empty.clone());
        }
    }

    let mut snapshot = Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        instance_arn: id(InstanceArn::new(INSTANCE)),
        identity_store_id: id(IdentityStoreId::new(STORE)),
        caller_account_id: None,
        organization: SnapshotOrganization {
            root_id: id(RootId::new(ROOT)),
            management_account_id: account_id(0),
            organizational_units: ous,
            accounts,
        },
        groups: groups.clone(),
        users: users.clone(),
        permission_sets,
        assignments: assignments.into_iter().collect(),
    };
    snapshot.sort();
    snapshot.org_tree().unwrap();
    Org {
        ou_paths: paths.into_values().collect(),
        groups: groups.into_iter().map(|g| g.name).collect(),
        users: users.into_iter().map(|u| u.name).collect(),
        permission_sets: set_names,
        deleted,
        snapshot,
    }
}

impl Org {
    /// A file in the seed's style over this organisation: a few group rules
    /// on OUs, one on the root, one by tag, one by account, an expired and a
    /// current user exception. `scope` is the `scope.permission_sets` value.
    pub fn config(&self, scope: &str, with_tags: bool) -> Config {
        let g = |i: usize| &self.groups[i % self.groups.len()];
        let ps = |i: usize| &self.permission_sets[i % self.permission_sets.len()];
        let prod = self
            .ou_paths
            .iter()
            .find(|p| p.ends_with("Prod") && !p.ends_with("NonProd"))
            .unwrap();
        let mut text = format!(
            "scope:\n  permission_sets: {scope}\nassignments:\n\
             - group: {}\n  permission_set: {}\n  ous: [_root_]\n\
             - groups: [{}, {}]\n  permission_sets: [{}, {}]\n  ous: [Workloads/NonProd]\n\
             - group: {}\n  permission_set: {}\n  ous: [{prod}, Security]\n  exclude_ous: [Sandbox]\n\
             - group: {}\n  permission_set: {}\n  accounts: [\"{}\", acct-0003]\n",
            g(0),
            ps(0),
            g(1),
            g(2),
            ps(3),
            ps(4),
            g(3),
            ps(2),
            g(4),
            ps(5),
            account_id(1),
        );
        if with_tags {
            text += &format!(
                "- group: {}\n  permission_set: {}\n  account_tags: {{env: nonprod}}\n",
                g(5),
                ps(1)
            );
        }
        if let Some(u) = self.users.first() {
            text += &format!(
                "- user: {u}\n  permission_set: {}\n  accounts: [acct-0002]\n  owner: alice\n  expires: 2025-01-31\n\
                 - user: {u}\n  permission_set: {}\n  ous: [Sandbox]\n  owner: bob\n  expires: 2030-01-31\n",
                ps(0),
                ps(2)
            );
        }
        Config::parse("generated.yaml", &text).unwrap()
    }
}
