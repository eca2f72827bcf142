//! The organization tree: root, nested OUs and accounts, and the queries the
//! planner asks of it (OU paths, subtrees, account lookups).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::{AccountId, AccountState, IdError, OuId, RootId};

/// A node that can parent OUs and accounts: the root or an OU.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeId {
    Root(RootId),
    Ou(OuId),
}

impl NodeId {
    /// Parses `r-…` as a root and anything else as an OU id.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.starts_with("r-") {
            RootId::new(s).map(NodeId::Root)
        } else {
            OuId::new(s).map(NodeId::Ou)
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            NodeId::Root(r) => r.as_str(),
            NodeId::Ou(o) => o.as_str(),
        }
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for NodeId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for NodeId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        NodeId::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for NodeId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "NodeId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "a root id (`r-ab12`) or an OU id (`ou-ab12-cdefgh34`)"
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ou {
    pub id: OuId,
    pub name: String,
    pub parent: NodeId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub state: AccountState,
    pub parent: NodeId,
    pub tags: BTreeMap<String, String>,
}

/// Why a set of OUs and accounts does not form a tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgError {
    #[error("{child} names parent `{parent}`, which is neither the root nor a known OU")]
    UnknownParent { child: String, parent: String },
    #[error("OU `{0}` is its own ancestor")]
    Cycle(OuId),
    #[error("OU `{0}` appears twice")]
    DuplicateOu(OuId),
    #[error("account `{0}` appears twice")]
    DuplicateAccount(AccountId),
    #[error("the root is `{expected}` but `{found}` is used as a root")]
    WrongRoot { expected: RootId, found: RootId },
}

/// An organization: one root, OUs nested below it, accounts in the nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgTree {
    root: RootId,
    management_account: Option<AccountId>,
    ous: BTreeMap<OuId, Ou>,
    accounts: BTreeMap<AccountId, Account>,
    child_ous: BTreeMap<NodeId, Vec<OuId>>,
    child_accounts: BTreeMap<NodeId, Vec<AccountId>>,
    /// Whether the tree holds only some accounts and the OUs above them
    /// (`--account`), not the whole organization.
    partial: bool,
}

impl OrgTree {
    /// Builds and checks a tree: every parent exists, no cycles, no duplicates.
    pub fn new(
        root: RootId,
        management_account: Option<AccountId>,
        ous: Vec<Ou>,
        accounts: Vec<Account>,
    ) -> Result<Self, OrgError> {
        let mut tree = OrgTree {
            root,
            management_account,
            ous: BTreeMap::new(),
            accounts: BTreeMap::new(),
            child_ous: BTreeMap::new(),
            child_accounts: BTreeMap::new(),
            partial: false,
        };
        for ou in ous {
            if tree.ous.contains_key(&ou.id) {
                return Err(OrgError::DuplicateOu(ou.id));
            }
            tree.ous.insert(ou.id.clone(), ou);
        }
        for account in accounts {
            if tree.accounts.contains_key(&account.id) {
                return Err(OrgError::DuplicateAccount(account.id));
            }
            tree.accounts.insert(account.id.clone(), account);
        }
        for ou in tree.ous.values() {
            tree.check_parent(&ou.parent, || format!("OU `{}`", ou.id))?;
            tree.child_ous
                .entry(ou.parent.clone())
                .or_default()
                .push(ou.id.clone());
        }
        for account in tree.accounts.values() {
            tree.check_parent(&account.parent, || format!("account `{}`", account.id))?;
            tree.child_accounts
                .entry(account.parent.clone())
                .or_default()
                .push(account.id.clone());
        }
        for id in tree.ous.keys() {
            tree.ancestors(id)?;
        }
        Ok(tree)
    }

    fn check_parent(&self, parent: &NodeId, child: impl Fn() -> String) -> Result<(), OrgError> {
        match parent {
            NodeId::Root(r) if *r == self.root => Ok(()),
            NodeId::Root(r) => Err(OrgError::WrongRoot {
                expected: self.root.clone(),
                found: r.clone(),
            }),
            NodeId::Ou(o) if self.ous.contains_key(o) => Ok(()),
            NodeId::Ou(o) => Err(OrgError::UnknownParent {
                child: child(),
                parent: o.to_string(),
            }),
        }
    }

    /// The OUs from the root down to `id`, `id` included.
    fn ancestors(&self, id: &OuId) -> Result<Vec<&Ou>, OrgError> {
        let mut chain = Vec::new();
        let mut current = id;
        // A path longer than the number of OUs must contain a cycle.
        for _ in 0..=self.ous.len() {
            let Some(ou) = self.ous.get(current) else {
                break;
            };
            chain.push(ou);
            match &ou.parent {
                NodeId::Root(_) => {
                    chain.reverse();
                    return Ok(chain);
                }
                NodeId::Ou(parent) => current = parent,
            }
        }
        Err(OrgError::Cycle(id.clone()))
    }

    /// The same tree, marked as holding only some of the organization's
    /// accounts and the OUs above them: a reference to an OU or account it
    /// lacks selects nothing instead of being unknown.
    pub fn into_partial(mut self) -> Self {
        self.partial = true;
        self
    }

    /// Whether the tree holds only some accounts ([`OrgTree::into_partial`]).
    pub fn is_partial(&self) -> bool {
        self.partial
    }

    pub fn root(&self) -> &RootId {
        &self.root
    }

    pub fn management_account(&self) -> Option<&AccountId> {
        self.management_account.as_ref()
    }

    pub fn ous(&self) -> impl Iterator<Item = &Ou> {
        self.ous.values()
    }

    pub fn ou(&self, id: &OuId) -> Option<&Ou> {
        self.ous.get(id)
    }

    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    pub fn account(&self, id: &AccountId) -> Option<&Account> {
        self.accounts.get(id)
    }

    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// Accounts whose name is exactly `name`.
    pub fn accounts_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Account> + 'a {
        self.accounts.values().filter(move |a| a.name == name)
    }

    /// The slash-separated path of OU names from the root (`Workloads/NonProd`);
    /// the empty string for the root.
    pub fn path_of(&self, node: &NodeId) -> String {
        match node {
            NodeId::Root(_) => String::new(),
            NodeId::Ou(id) => match self.ancestors(id) {
                Ok(chain) => chain
                    .iter()
                    .map(|o| o.name.as_str())
                    .collect::<Vec<_>>()
                    .join("/"),
                Err(_) => id.to_string(),
            },
        }
    }

    /// Where an account sits, as a path (`Root` for accounts in the root).
    pub fn account_location(&self, id: &AccountId) -> String {
        match self.accounts.get(id) {
            Some(a) if matches!(a.parent, NodeId::Root(_)) => "Root".to_owned(),
            Some(a) => self.path_of(&a.parent),
            None => String::new(),
        }
    }

    /// Every OU whose path of names equals `path`. Several means the path is
    /// ambiguous (two sibling OUs with one name).
    pub fn ous_at_path(&self, path: &str) -> Vec<&OuId> {
        let mut frontier = vec![NodeId::Root(self.root.clone())];
        for segment in path.split('/') {
            let mut next = Vec::new();
            for node in &frontier {
                for child in self.child_ous.get(node).into_iter().flatten() {
                    if self.ous.get(child).is_some_and(|o| o.name == segment) {
                        next.push(NodeId::Ou(child.clone()));
                    }
                }
            }
            frontier = next;
            if frontier.is_empty() {
                break;
            }
        }
        frontier
            .iter()
            .filter_map(|n| match n {
                NodeId::Ou(id) => self.ous.get_key_value(id).map(|(k, _)| k),
                NodeId::Root(_) => None,
            })
            .collect()
    }

    /// Every OU path in the tree, for "did you mean" suggestions.
    pub fn all_ou_paths(&self) -> Vec<String> {
        self.ous
            .keys()
            .map(|id| self.path_of(&NodeId::Ou(id.clone())))
            .collect()
    }

    /// Every account in `node` and in the OUs nested below it.
    pub fn accounts_under(&self, node: &NodeId) -> Vec<&AccountId> {
        let mut out = Vec::new();
        let mut stack = vec![node.clone()];
        // Each OU is visited once: the tree was checked for cycles in `new`.
        while let Some(n) = stack.pop() {
            out.extend(self.child_accounts.get(&n).into_iter().flatten());
            stack.extend(
                self.child_ous
                    .get(&n)
                    .into_iter()
                    .flatten()
                    .cloned()
                    .map(NodeId::Ou),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ou(id: &str, name: &str, parent: &str) -> Ou {
        Ou {
            id: OuId::new(id).unwrap(),
            name: name.into(),
            parent: NodeId::parse(parent).unwrap(),
        }
    }

    fn account(id: &str, parent: &str) -> Account {
        Account {
            id: AccountId::new(id).unwrap(),
            name: format!("acct-{id}"),
            state: AccountState::Active,
            parent: NodeId::parse(parent).unwrap(),
            tags: BTreeMap::new(),
        }
    }

    fn tree() -> OrgTree {
        OrgTree::new(
            RootId::new("r-ab12").unwrap(),
            None,
            vec![
                ou("ou-ab12-00000001", "Workloads", "r-ab12"),
                ou("ou-ab12-00000002", "NonProd", "ou-ab12-00000001"),
                ou("ou-ab12-00000003", "Prod", "ou-ab12-00000001"),
            ],
            vec![
                account("000000000001", "r-ab12"),
                account("000000000002", "ou-ab12-00000002"),
                account("000000000003", "ou-ab12-00000003"),
            ],
        )
        .unwrap()
    }

    #[test]
    fn paths_resolve_to_ous_and_include_nested_accounts() {
        let t = tree();
        let ids = t.ous_at_path("Workloads");
        assert_eq!(ids.len(), 1);
        let mut under: Vec<_> = t
            .accounts_under(&NodeId::Ou(ids[0].clone()))
            .into_iter()
            .cloned()
            .collect();
        under.sort();
        assert_eq!(
            under,
            vec![
                AccountId::new("000000000002").unwrap(),
                AccountId::new("000000000003").unwrap()
            ]
        );
        assert_eq!(t.ous_at_path("Workloads/NonProd").len(), 1);
        assert!(t.ous_at_path("Workloads/Nonprod").is_empty());
        assert_eq!(t.accounts_under(&NodeId::Root(t.root().clone())).len(), 3);
        assert_eq!(
            t.account_location(&AccountId::new("000000000002").unwrap()),
            "Workloads/NonProd"
        );
    }

    #[test]
    fn unknown_parents_and_cycles_are_rejected() {
        let err = OrgTree::new(
            RootId::new("r-ab12").unwrap(),
            None,
            vec![ou("ou-ab12-00000001", "A", "ou-ab12-00000009")],
            vec![],
        )
        .unwrap_err();
        assert!(matches!(err, OrgError::UnknownParent { .. }));
        let err = OrgTree::new(
            RootId::new("r-ab12").unwrap(),
            None,
            vec![
                ou("ou-ab12-00000001", "A", "ou-ab12-00000002"),
                ou("ou-ab12-00000002", "B", "ou-ab12-00000001"),
            ],
            vec![],
        )
        .unwrap_err();
        assert!(matches!(err, OrgError::Cycle(_)));
    }
}
