//! The Organizations port: the organization's tree, accounts and tags.

use ssomatrix_core::ids::{AccountId, RootId};
use ssomatrix_core::org::NodeId;
use ssomatrix_core::ports::{
    AccountInfo, ErrorKind, Operation, Organizations, OuInfo, Page, PortError, PortResult,
};

use crate::{Simulator, page_size};

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
                .map(|a| AccountInfo {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    state: a.state,
                })
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
            let acc = st
                .snapshot
                .organization
                .accounts
                .iter()
                .find(|a| a.id == *account)
                .ok_or_else(|| {
                    PortError::new(
                        OP,
                        ErrorKind::NotFound,
                        format!("account {account} does not exist"),
                    )
                })?;
            let tags = acc
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Ok(tags)
        })
        .await
    }
}
