//! The OU tree and the accounts in it.

use std::collections::BTreeMap;

use rand::Rng;
use rand::rngs::StdRng;
use ssomatrix_core::ids::{AccountState, IdentityStoreId, InstanceArn, OuId, RootId};
use ssomatrix_core::org::NodeId;
use ssomatrix_core::snapshot::{
    SNAPSHOT_FORMAT_VERSION, Snapshot, SnapshotAccount, SnapshotOrganization, SnapshotOu,
};

use super::{INSTANCE, OrgSpec, Placement, ROOT, Result, STORE, account_id, account_name};

/// A team's OU.
pub(super) struct Team {
    pub node: NodeId,
    /// `Workloads/Prod/team-001`.
    pub path: String,
}

/// The OUs, in the order they were made (their ids number them so).
pub(super) struct Tree {
    ous: Vec<SnapshotOu>,
    paths: BTreeMap<NodeId, String>,
    root: NodeId,
    security: NodeId,
    infrastructure: NodeId,
    sandbox: NodeId,
    suspended: NodeId,
    pub teams: Vec<Team>,
    /// Where `Placement::Even` puts accounts: the root first (for the
    /// management account only), then every OU but Suspended and Workloads.
    homes: Vec<NodeId>,
}

impl Tree {
    pub fn build(spec: &OrgSpec) -> Result<Tree> {
        let root = NodeId::Root(RootId::new(ROOT)?);
        let mut tree = Tree {
            ous: Vec::new(),
            paths: BTreeMap::new(),
            security: root.clone(),
            infrastructure: root.clone(),
            sandbox: root.clone(),
            suspended: root.clone(),
            teams: Vec::new(),
            homes: vec![root.clone()],
            root: root.clone(),
        };
        tree.security = tree.add("Security", &root)?;
        tree.infrastructure = tree.add("Infrastructure", &root)?;
        tree.sandbox = tree.add("Sandbox", &root)?;
        tree.homes.extend([
            tree.security.clone(),
            tree.infrastructure.clone(),
            tree.sandbox.clone(),
        ]);
        tree.suspended = tree.add("Suspended", &root)?;
        let workloads = tree.add("Workloads", &root)?;
        for env in ["Prod", "NonProd"] {
            let env_node = tree.add(env, &workloads)?;
            tree.homes.push(env_node.clone());
            for t in 0..spec.teams {
                let node = tree.add(&format!("team-{t:03}"), &env_node)?;
                tree.homes.push(node.clone());
                if spec.nested && env == "Prod" && t % 2 == 0 {
                    let critical = tree.add("Critical", &node)?;
                    tree.homes.push(critical);
                }
                let path = tree.paths.get(&node).cloned().unwrap_or_default();
                tree.teams.push(Team { node, path });
            }
        }
        Ok(tree)
    }

    fn add(&mut self, name: &str, parent: &NodeId) -> Result<NodeId> {
        let id = OuId::new(format!("ou-ab12-{:08}", self.ous.len() + 1))?;
        let node = NodeId::Ou(id.clone());
        let path = match self.paths.get(parent) {
            Some(p) => format!("{p}/{name}"),
            None => name.to_owned(),
        };
        self.paths.insert(node.clone(), path);
        self.ous.push(SnapshotOu {
            id,
            name: name.to_owned(),
            parent: parent.clone(),
        });
        Ok(node)
    }

    /// Every OU's path from the root, in the order the OUs were made.
    pub fn paths(&self) -> Vec<String> {
        self.paths.values().cloned().collect()
    }

    /// The accounts, placed as `spec` says; the management account first,
    /// at the root.
    pub fn accounts(&self, spec: &OrgSpec, rng: &mut StdRng) -> Vec<SnapshotAccount> {
        (0..spec.accounts)
            .map(|i| {
                let (parent, state) = match spec.placement {
                    Placement::Weighted => self.weighted(i, rng),
                    Placement::Even => self.even(i, rng),
                };
                let path = self.paths.get(&parent).map_or("", String::as_str);
                let tags = if spec.tags {
                    tags(i, path)
                } else {
                    BTreeMap::new()
                };
                SnapshotAccount {
                    id: account_id(i),
                    name: account_name(i),
                    state,
                    parent,
                    tags,
                }
            })
            .collect()
    }

    fn weighted(&self, i: usize, rng: &mut StdRng) -> (NodeId, AccountState) {
        let roll = rng.random_range(0..100);
        match (i, roll) {
            (0, _) => (self.root.clone(), AccountState::Active),
            (_, 0) => (self.suspended.clone(), AccountState::Suspended),
            (_, 1..=5) => (self.security.clone(), AccountState::Active),
            (_, 6..=10) => (self.infrastructure.clone(), AccountState::Active),
            (_, 11..=15) => (self.sandbox.clone(), AccountState::Active),
            _ => {
                let team = &self.teams[rng.random_range(0..self.teams.len())];
                (team.node.clone(), AccountState::Active)
            }
        }
    }

    fn even(&self, i: usize, rng: &mut StdRng) -> (NodeId, AccountState) {
        let (parent, mut state) = if i == 0 {
            (self.root.clone(), AccountState::Active)
        } else if i % 37 == 5 {
            (self.suspended.clone(), AccountState::Suspended)
        } else {
            let home = &self.homes[rng.random_range(1..self.homes.len())];
            (home.clone(), AccountState::Active)
        };
        if i > 0 && rng.random_bool(0.02) {
            state = AccountState::Suspended;
        }
        (parent, state)
    }

    /// The organisation's snapshot with `accounts` and nothing else yet.
    pub fn snapshot(&self, accounts: Vec<SnapshotAccount>) -> Result<Snapshot> {
        Ok(Snapshot {
            format_version: SNAPSHOT_FORMAT_VERSION,
            instance_arn: InstanceArn::new(INSTANCE)?,
            identity_store_id: IdentityStoreId::new(STORE)?,
            caller_account_id: None,
            organization: SnapshotOrganization {
                root_id: RootId::new(ROOT)?,
                management_account_id: account_id(0),
                organizational_units: self.ous.clone(),
                accounts,
            },
            groups: vec![],
            users: vec![],
            permission_sets: vec![],
            assignments: vec![],
        })
    }
}

/// `env` from where the account is, and one of seven cost centres.
fn tags(i: usize, path: &str) -> BTreeMap<String, String> {
    let env = if path.contains("NonProd") {
        "nonprod"
    } else if path.contains("Prod") {
        "prod"
    } else {
        "shared"
    };
    [
        ("env".to_owned(), env.to_owned()),
        ("cost-center".to_owned(), format!("cc-{}", i % 7)),
    ]
    .into()
}
