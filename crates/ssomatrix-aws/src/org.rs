//! [`Organizations`] over `aws-sdk-organizations`: one SDK call per port
//! method, pages of 20 (the API's maximum).

use aws_sdk_organizations::types::{Account, Parent, ParentType};
use ssomatrix_core::ids::{AccountId, AccountState, OuId, RootId};
use ssomatrix_core::org::NodeId;
use ssomatrix_core::ports::{
    AccountInfo, Operation, OrgChild, Organizations, OuInfo, Page, PortResult,
};

use crate::AwsPorts;
use crate::error::{AdapterError, port_error};
use crate::sso::{map_page, page, required};

/// The largest `MaxResults` of ListRoots, ListOrganizationalUnitsForParent,
/// ListAccountsForParent, ListAccounts and ListParents.
const MAX_RESULTS: i32 = 20;

/// The account's `State`, or the retired `Status` where `State` is absent
/// (older partitions and some emulators still only send `Status`). A value
/// this build does not know is kept as [`AccountState::Unknown`] (not
/// ACTIVE), never an error: AWS adds states.
fn account_state(account: &Account) -> Result<AccountState, AdapterError> {
    if let Some(state) = account.state() {
        return Ok(AccountState::from_aws(state.as_str()));
    }
    #[allow(deprecated)]
    let status = account.status();
    match status {
        Some(status) => Ok(AccountState::from_aws(status.as_str())),
        None => Err(AdapterError::MissingField("State")),
    }
}

fn account_info(account: &Account) -> Result<AccountInfo, AdapterError> {
    Ok(AccountInfo {
        id: AccountId::new(required("Id", account.id())?)?,
        name: account.name().unwrap_or_default().to_owned(),
        state: account_state(account)?,
    })
}

/// A parent as ListParents gives it: a root or an OU, by its `Type`.
fn parent_node(parent: &Parent) -> Result<NodeId, AdapterError> {
    let id = required("Id", parent.id())?;
    match parent.r#type() {
        Some(ParentType::Root) => Ok(NodeId::Root(RootId::new(id)?)),
        Some(ParentType::OrganizationalUnit) => Ok(NodeId::Ou(OuId::new(id)?)),
        Some(other) => Err(AdapterError::UnknownValue {
            field: "Parent.Type",
            value: other.as_str().to_owned(),
        }),
        None => Err(AdapterError::MissingField("Parent.Type")),
    }
}

impl Organizations for AwsPorts {
    async fn describe_organization(&self) -> PortResult<AccountId> {
        const OP: Operation = Operation::DescribeOrganization;
        let out = self
            .org
            .describe_organization()
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        let id = required(
            "Organization.MasterAccountId",
            out.organization().and_then(|o| o.master_account_id()),
        )
        .map_err(|e| e.into_port(OP))?;
        AccountId::new(id).map_err(|e| AdapterError::from(e).into_port(OP))
    }

    async fn list_roots(&self, next_token: Option<String>) -> PortResult<Page<RootId>> {
        const OP: Operation = Operation::ListRoots;
        let out = self
            .org
            .list_roots()
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        map_page(OP, out.roots(), out.next_token(), |r| {
            Ok(RootId::new(required("Id", r.id())?)?)
        })
    }

    async fn list_organizational_units_for_parent(
        &self,
        parent: &NodeId,
        next_token: Option<String>,
    ) -> PortResult<Page<OuInfo>> {
        const OP: Operation = Operation::ListOrganizationalUnitsForParent;
        let out = self
            .org
            .list_organizational_units_for_parent()
            .parent_id(parent.as_str())
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        map_page(OP, out.organizational_units(), out.next_token(), |o| {
            Ok(OuInfo {
                id: OuId::new(required("Id", o.id())?)?,
                name: o.name().unwrap_or_default().to_owned(),
            })
        })
    }

    async fn list_accounts_for_parent(
        &self,
        parent: &NodeId,
        next_token: Option<String>,
    ) -> PortResult<Page<AccountInfo>> {
        const OP: Operation = Operation::ListAccountsForParent;
        let out = self
            .org
            .list_accounts_for_parent()
            .parent_id(parent.as_str())
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        map_page(OP, out.accounts(), out.next_token(), account_info)
    }

    async fn list_tags_for_resource(
        &self,
        account: &AccountId,
        next_token: Option<String>,
    ) -> PortResult<Page<(String, String)>> {
        const OP: Operation = Operation::ListTagsForResource;
        // ListTagsForResource has no MaxResults: the service picks the page.
        let out = self
            .org
            .list_tags_for_resource()
            .resource_id(account.as_str())
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        let items = out
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect();
        Ok(page(items, out.next_token()))
    }

    async fn list_parents(
        &self,
        child: &OrgChild,
        next_token: Option<String>,
    ) -> PortResult<Page<NodeId>> {
        const OP: Operation = Operation::ListParents;
        let out = self
            .org
            .list_parents()
            .child_id(child.as_str())
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        map_page(OP, out.parents(), out.next_token(), parent_node)
    }

    async fn describe_organizational_unit(&self, ou: &OuId) -> PortResult<OuInfo> {
        const OP: Operation = Operation::DescribeOrganizationalUnit;
        let out = self
            .org
            .describe_organizational_unit()
            .organizational_unit_id(ou.as_str())
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        let info = |unit: &aws_sdk_organizations::types::OrganizationalUnit| {
            Ok::<_, AdapterError>(OuInfo {
                id: OuId::new(required("Id", unit.id())?)?,
                name: unit.name().unwrap_or_default().to_owned(),
            })
        };
        out.organizational_unit()
            .ok_or(AdapterError::MissingField("OrganizationalUnit"))
            .and_then(info)
            .map_err(|e| e.into_port(OP))
    }

    async fn describe_account(&self, account: &AccountId) -> PortResult<AccountInfo> {
        const OP: Operation = Operation::DescribeAccount;
        let out = self
            .org
            .describe_account()
            .account_id(account.as_str())
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        out.account()
            .ok_or(AdapterError::MissingField("Account"))
            .and_then(account_info)
            .map_err(|e| e.into_port(OP))
    }

    async fn list_accounts(&self, next_token: Option<String>) -> PortResult<Page<AccountInfo>> {
        const OP: Operation = Operation::ListAccounts;
        let out = self
            .org
            .list_accounts()
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        map_page(OP, out.accounts(), out.next_token(), account_info)
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_organizations::types::{AccountState as SdkState, AccountStatus};

    use super::*;

    #[test]
    fn state_wins_and_the_retired_status_is_the_fallback() {
        #[allow(deprecated)]
        let both = Account::builder()
            .id("111111111111")
            .state(SdkState::Closed)
            .status(AccountStatus::Active)
            .build();
        assert_eq!(account_state(&both), Ok(AccountState::Closed));
        #[allow(deprecated)]
        let only_status = Account::builder()
            .id("111111111111")
            .status(AccountStatus::Suspended)
            .build();
        assert_eq!(account_state(&only_status), Ok(AccountState::Suspended));
        let neither = Account::builder().id("111111111111").build();
        assert_eq!(
            account_state(&neither),
            Err(AdapterError::MissingField("State"))
        );
    }
}
