//! Who the credentials are: the caller's account (STS `GetCallerIdentity`)
//! and, for a delegated administrator, the permission sets provisioned to
//! the management account, which AWS does not let it create, delete or
//! provision in any account.

use std::collections::BTreeSet;

use ssomatrix_core::ids::{AccountId, InstanceArn, PermissionSetArn};
use ssomatrix_core::org::OrgTree;
use ssomatrix_core::ports::{IdentityStore, Operation, Organizations, SsoAdmin, Sts};

use crate::EngineError;
use crate::client::Client;

/// The account the credentials belong to (STS `GetCallerIdentity`). One
/// call per run, charged to the Organizations budget: STS has no budget of
/// its own here, and it answers the same kind of question (which account).
pub(crate) async fn read_caller<S: SsoAdmin, I: IdentityStore, O: Organizations + Sts>(
    client: &Client<S, I, O>,
) -> Result<AccountId, EngineError> {
    let org = &client.ports.org;
    Ok(client
        .call(Operation::GetCallerIdentity, || org.get_caller_identity())
        .await?)
}

/// When the caller is a delegated administrator, every permission set
/// provisioned to the management account (AWS refuses a delegated
/// administrator any write of those); empty, and no call, otherwise.
pub(crate) async fn provisioned_to_management<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    org: &OrgTree,
    caller: &AccountId,
) -> Result<BTreeSet<PermissionSetArn>, EngineError> {
    let Some(mgmt) = org.management_account().filter(|m| *m != caller) else {
        return Ok(BTreeSet::new());
    };
    let sso = &client.ports.sso;
    let sets = client
        .all_pages(Operation::ListPermissionSetsProvisionedToAccount, |t| {
            sso.list_permission_sets_provisioned_to_account(instance, mgmt, None, t)
        })
        .await?;
    Ok(sets.into_iter().collect())
}
