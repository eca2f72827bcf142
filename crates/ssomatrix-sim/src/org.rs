//! The Organizations port: the organization's tree, accounts and tags.

use ssomatrix_core::ids::{AccountId, OuId, RootId};
use ssomatrix_core::org::NodeId;
use ssomatrix_core::ports::{
    AccountInfo, ErrorKind, Operation, OrgChild, Organizations, OuInfo, Page, PortError, PortResult,
};
use ssomatrix_core::snapshot::{SnapshotAccount, SnapshotOu};

use crate::state::State;
use crate::{Simulator, page_size};

fn account_info(a: &SnapshotAccount) -> AccountInfo {
    AccountInfo {
        id: a.id.clone(),
        name: a.name.clone(),
        state: a.state,
    }
}

fn find_account<'a>(
    st: &'a State,
    op: Operation,
    id: &AccountId,
) -> Result<&'a SnapshotAccount, PortError> {
    st.snapshot
        .organization
        .accounts
        .iter()
        .find(|a| a.id == *id)
        .ok_or_else(|| {
            // Organizations answers AccountNotFoundException (ChildNotFound
            // for ListParents): both are not-found.
            PortError::new(
                op,
                ErrorKind::NotFound,
                format!("account {id} does not exist"),
            )
        })
}

fn find_ou<'a>(st: &'a State, op: Operation, id: &OuId) -> Result<&'a SnapshotOu, PortError> {
    st.snapshot
        .organization
        .organizational_units
        .iter()
        .find(|o| o.id == *id)
        .ok_or_else(|| {
            PortError::new(
                op,
                ErrorKind::NotFound,
                format!("organizational unit {id} does not exist"),
            )
        })
}

impl Organizations for Simulator {
    async fn describe_organization(&self) -> PortResult<AccountId> {
        self.call(Operation::DescribeOrganization, |st| {
            Ok(st.snapshot.organization.management_account_id.clone())
        })
        .await
    }

    async fn list_roots(&self, next_token: Option<String>) -> PortResult<Page<RootId>> {
        const OP: Operation = Operation::ListRoots;
        self.list(OP, next_token, page_size::ORGANIZATIONS, |st| {
            Ok(vec![st.snapshot.organization.root_id.clone()])
        })
        .await
    }

    async fn list_organizational_units_for_parent(
        &self,
        parent: &NodeId,
        next_token: Option<String>,
    ) -> PortResult<Page<OuInfo>> {
        const OP: Operation = Operation::ListOrganizationalUnitsForParent;
        self.list(OP, next_token, page_size::ORGANIZATIONS, |st| {
            let ous = st
                .snapshot
                .organization
                .organizational_units
                .iter()
                .filter(|o| o.parent == *parent)
                .map(|o| OuInfo {
                    id: o.id.clone(),
                    name: o.name.clone(),
                })
                .collect();
            Ok(ous)
        })
        .await
    }

    async fn list_accounts_for_parent(
        &self,
        parent: &NodeId,
        next_token: Option<String>,
    ) -> PortResult<Page<AccountInfo>> {
        const OP: Operation = Operation::ListAccountsForParent;
        self.list(OP, next_token, page_size::ORGANIZATIONS, |st| {
            let accounts = st
                .snapshot
                .organization
                .accounts
                .iter()
                .filter(|a| a.parent == *parent)
                .map(account_info)
                .collect();
            Ok(accounts)
        })
        .await
    }

    async fn list_tags_for_resource(
        &self,
        account: &AccountId,
        next_token: Option<String>,
    ) -> PortResult<Page<(String, String)>> {
        const OP: Operation = Operation::ListTagsForResource;
        self.list(OP, next_token, page_size::ORGANIZATIONS, |st| {
            let acc = find_account(st, OP, account)?;
            let tags = acc
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Ok(tags)
        })
        .await
    }

    async fn list_parents(
        &self,
        child: &OrgChild,
        next_token: Option<String>,
    ) -> PortResult<Page<NodeId>> {
        const OP: Operation = Operation::ListParents;
        self.list(OP, next_token, page_size::ORGANIZATIONS, |st| {
            let parent = match child {
                OrgChild::Account(id) => &find_account(st, OP, id)?.parent,
                OrgChild::Ou(id) => &find_ou(st, OP, id)?.parent,
            };
            Ok(vec![parent.clone()])
        })
        .await
    }

    async fn describe_organizational_unit(&self, ou: &OuId) -> PortResult<OuInfo> {
        const OP: Operation = Operation::DescribeOrganizationalUnit;
        self.call(OP, |st| {
            let found = find_ou(st, OP, ou)?;
            Ok(OuInfo {
                id: found.id.clone(),
                name: found.name.clone(),
            })
        })
        .await
    }

    async fn describe_account(&self, account: &AccountId) -> PortResult<AccountInfo> {
        const OP: Operation = Operation::DescribeAccount;
        self.call(OP, |st| Ok(account_info(find_account(st, OP, account)?)))
            .await
    }

    async fn list_accounts(&self, next_token: Option<String>) -> PortResult<Page<AccountInfo>> {
        const OP: Operation = Operation::ListAccounts;
        self.list(OP, next_token, page_size::ORGANIZATIONS, |st| {
            Ok(st
                .snapshot
                .organization
                .accounts
                .iter()
                .map(account_info)
                .collect())
        })
        .await
    }
}
