//! The cheapest list of targets that selects exactly a set of accounts.
//!
//! Cost: the number of list entries a rule writes (`ous`, `accounts` and
//! `exclude_accounts` together), because that is what a reviewer reads. For
//! each node of the tree, bottom up, the cheapest of: the node itself (when
//! every ACTIVE account under it is wanted), the node minus the unwanted
//! ACTIVE accounts under it, or the covers of its child OUs plus its wanted
//! direct accounts. Accounts that are not ACTIVE are free either way: the
//! planner leaves their assignments alone, so a cover may include them.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::{AccountId, AccountState, OuId};
use crate::org::{NodeId, OrgTree};

/// The targets of one rule. Every entry is wanted; excluded accounts are
/// never wanted, so the union minus the exclusions is the wanted set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cover {
    pub nodes: Vec<NodeId>,
    pub accounts: Vec<AccountId>,
    pub exclude: Vec<AccountId>,
}

impl Cover {
    pub fn cost(&self) -> usize {
        self.nodes.len() + self.accounts.len() + self.exclude.len()
    }

    fn extend(&mut self, other: Cover) {
        self.nodes.extend(other.nodes);
        self.accounts.extend(other.accounts);
        self.exclude.extend(other.exclude);
    }
}

/// The tree as the cover needs it: children, ACTIVE accounts per node, and
/// each ACTIVE account's chain of nodes up to the root.
pub struct Tree {
    root: NodeId,
    child_ous: BTreeMap<NodeId, Vec<OuId>>,
    direct_active: BTreeMap<NodeId, Vec<AccountId>>,
    active_under: BTreeMap<NodeId, BTreeSet<AccountId>>,
    chains: BTreeMap<AccountId, Vec<NodeId>>,
}

impl Tree {
    pub fn new(org: &OrgTree) -> Self {
        let root = NodeId::Root(org.root().clone());
        let mut child_ous: BTreeMap<NodeId, Vec<OuId>> = BTreeMap::new();
        for ou in org.ous() {
            child_ous
                .entry(ou.parent.clone())
                .or_default()
                .push(ou.id.clone());
        }
        let mut tree = Tree {
            root,
            child_ous,
            direct_active: BTreeMap::new(),
            active_under: BTreeMap::new(),
            chains: BTreeMap::new(),
        };
        for account in org.accounts() {
            if account.state != AccountState::Active {
                continue;
            }
            tree.direct_active
                .entry(account.parent.clone())
                .or_default()
                .push(account.id.clone());
            let chain = chain(org, &account.parent);
            for node in &chain {
                tree.active_under
                    .entry(node.clone())
                    .or_default()
                    .insert(account.id.clone());
            }
            tree.chains.insert(account.id.clone(), chain);
        }
        tree
    }

    /// The cheapest cover of `wanted` (ACTIVE accounts of the tree).
    pub fn cover(&self, wanted: &BTreeSet<AccountId>) -> Cover {
        // How many wanted accounts each node holds: only nodes holding some
        // are visited, so a cover costs the size of `wanted`, not of the tree.
        let mut counts: BTreeMap<&NodeId, usize> = BTreeMap::new();
        for node in wanted.iter().filter_map(|id| self.chains.get(id)).flatten() {
            *counts.entry(node).or_default() += 1;
        }
        self.cover_node(&self.root, wanted, &counts)
    }

    fn cover_node(
        &self,
        node: &NodeId,
        wanted: &BTreeSet<AccountId>,
        counts: &BTreeMap<&NodeId, usize>,
    ) -> Cover {
        let held = counts.get(node).copied().unwrap_or(0);
        let Some(active) = self.active_under.get(node).filter(|_| held > 0) else {
            return Cover::default();
        };
        let whole_cost = 1 + active.len() - held;
        if whole_cost == 1 {
            return Cover {
                nodes: vec![node.clone()],
                ..Cover::default()
            };
        }
        let mut parts = Cover::default();
        for ou in self.child_ous.get(node).into_iter().flatten() {
            parts.extend(self.cover_node(&NodeId::Ou(ou.clone()), wanted, counts));
        }
        let direct = self.direct_active.get(node).into_iter().flatten();
        parts
            .accounts
            .extend(direct.filter(|id| wanted.contains(*id)).cloned());
        // On a tie the explicit list wins: it needs no exclusion to read.
        if whole_cost < parts.cost() {
            Cover {
                nodes: vec![node.clone()],
                accounts: Vec::new(),
                exclude: active.difference(wanted).cloned().collect(),
            }
        } else {
            parts
        }
    }
}

/// `node` and its ancestors up to the root.
fn chain(org: &OrgTree, node: &NodeId) -> Vec<NodeId> {
    let mut out = vec![node.clone()];
    let mut current = node.clone();
    // The tree was checked for cycles when it was built; the bound is a
    // second guard that costs nothing.
    for _ in 0..=org.ous().count() {
        let NodeId::Ou(id) = &current else { break };
        let Some(ou) = org.ou(id) else { break };
        out.push(ou.parent.clone());
        current = ou.parent.clone();
    }
    out
}
