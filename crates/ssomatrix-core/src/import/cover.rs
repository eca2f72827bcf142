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

/// The tree as the cover needs it: children and ACTIVE accounts per node.
pub struct Tree {
    root: NodeId,
    child_ous: BTreeMap<NodeId, Vec<OuId>>,
    direct_active: BTreeMap<NodeId, Vec<AccountId>>,
    active_under: BTreeMap<NodeId, BTreeSet<AccountId>>,
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
        let mut direct_active: BTreeMap<NodeId, Vec<AccountId>> = BTreeMap::new();
        for account in org.accounts() {
            if account.state == AccountState::Active {
                direct_active
                    .entry(account.parent.clone())
                    .or_default()
                    .push(account.id.clone());
            }
        }
        let mut active_under = BTreeMap::new();
        let nodes =
            std::iter::once(root.clone()).chain(org.ous().map(|o| NodeId::Ou(o.id.clone())));
        for node in nodes {
            let active: BTreeSet<AccountId> = org
                .accounts_under(&node)
                .into_iter()
                .filter(|id| {
                    org.account(id)
                        .is_some_and(|a| a.state == AccountState::Active)
                })
                .cloned()
                .collect();
            active_under.insert(node, active);
        }
        Tree {
            root,
            child_ous,
            direct_active,
            active_under,
        }
    }

    /// The cheapest cover of `wanted` (ACTIVE accounts of the tree).
    pub fn cover(&self, wanted: &BTreeSet<AccountId>) -> Cover {
        self.cover_node(&self.root, wanted)
    }

    fn cover_node(&self, node: &NodeId, wanted: &BTreeSet<AccountId>) -> Cover {
        let Some(active) = self.active_under.get(node) else {
            return Cover::default();
        };
        let missing: Vec<AccountId> = active.difference(wanted).cloned().collect();
        if missing.len() == active.len() {
            return Cover::default();
        }
        let whole = Cover {
            nodes: vec![node.clone()],
            accounts: Vec::new(),
            exclude: missing,
        };
        if whole.exclude.is_empty() {
            return whole;
        }
        let mut parts = Cover::default();
        for ou in self.child_ous.get(node).into_iter().flatten() {
            parts.extend(self.cover_node(&NodeId::Ou(ou.clone()), wanted));
        }
        let direct = self.direct_active.get(node).into_iter().flatten();
        parts
            .accounts
            .extend(direct.filter(|id| wanted.contains(*id)).cloned());
        // On a tie the explicit list wins: it needs no exclusion to read.
        if whole.cost() < parts.cost() {
            whole
        } else {
            parts
        }
    }
}
