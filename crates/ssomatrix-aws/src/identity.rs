//! [`IdentityStore`] over `aws-sdk-identitystore`: one SDK call per port
//! method; a principal that does not exist is `Ok(None)`, not an error, and
//! any other not-found (a missing identity store, a KMS key the service
//! cannot use) stays an error.

use aws_sdk_identitystore::types::{AlternateIdentifier, MemberId, UniqueAttribute};
use aws_smithy_types::Document;
use ssomatrix_core::ids::{IdentityStoreId, PrincipalId};
use ssomatrix_core::ports::{ErrorKind, IdentityStore, Operation, Page, PortError, PortResult};

use crate::AwsPorts;
use crate::error::{AdapterError, port_error};
use crate::sso::page;

/// The largest `MaxResults` of ListGroups, ListUsers and ListGroupMemberships.
const MAX_RESULTS: i32 = 100;

/// `Ok(None)` for a not-found of a user or group, which is how the Identity
/// Store says that no principal has this name or id. The same exception also
/// reports a missing identity store (`ResourceType` `IDENTITY_STORE`) or an
/// unusable KMS key (`Reason` `KMS_KEY_NOT_FOUND`): those are errors.
fn none_if_not_found<T>(result: Result<T, PortError>) -> PortResult<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_missing_principal() => Ok(None),
        Err(e) => Err(e),
    }
}

fn unique_attribute(
    operation: Operation,
    path: &str,
    value: &str,
) -> PortResult<AlternateIdentifier> {
    UniqueAttribute::builder()
        .attribute_path(path)
        .attribute_value(Document::String(value.to_owned()))
        .build()
        .map(AlternateIdentifier::UniqueAttribute)
        .map_err(|e| PortError::new(operation, ErrorKind::Validation, e.to_string()))
}

fn principal_id(operation: Operation, id: &str) -> PortResult<PrincipalId> {
    PrincipalId::new(id).map_err(|e| AdapterError::from(e).into_port(operation))
}

impl IdentityStore for AwsPorts {
    async fn get_group_id(
        &self,
        store: &IdentityStoreId,
        display_name: &str,
    ) -> PortResult<Option<PrincipalId>> {
        const OP: Operation = Operation::GetGroupId;
        let result = self
            .ids
            .get_group_id()
            .identity_store_id(store.as_str())
            .alternate_identifier(unique_attribute(OP, "displayName", display_name)?)
            .send()
            .await
            .map_err(|e| port_error(OP, e));
        match none_if_not_found(result)? {
            Some(out) => principal_id(OP, out.group_id()).map(Some),
            None => Ok(None),
        }
    }

    async fn get_user_id(
        &self,
        store: &IdentityStoreId,
        user_name: &str,
    ) -> PortResult<Option<PrincipalId>> {
        const OP: Operation = Operation::GetUserId;
        let result = self
            .ids
            .get_user_id()
            .identity_store_id(store.as_str())
            .alternate_identifier(unique_attribute(OP, "userName", user_name)?)
            .send()
            .await
            .map_err(|e| port_error(OP, e));
        match none_if_not_found(result)? {
            Some(out) => principal_id(OP, out.user_id()).map(Some),
            None => Ok(None),
        }
    }

    async fn describe_group(
        &self,
        store: &IdentityStoreId,
        id: &PrincipalId,
    ) -> PortResult<Option<String>> {
        const OP: Operation = Operation::DescribeGroup;
        let result = self
            .ids
            .describe_group()
            .identity_store_id(store.as_str())
            .group_id(id.as_str())
            .send()
            .await
            .map_err(|e| port_error(OP, e));
        // A group always has a display name in practice; an empty one cannot
        // be named in the file, which is all the caller needs to know.
        Ok(none_if_not_found(result)?.map(|g| g.display_name().unwrap_or_default().to_owned()))
    }

    async fn describe_user(
        &self,
        store: &IdentityStoreId,
        id: &PrincipalId,
    ) -> PortResult<Option<String>> {
        const OP: Operation = Operation::DescribeUser;
        let result = self
            .ids
            .describe_user()
            .identity_store_id(store.as_str())
            .user_id(id.as_str())
            .send()
            .await
            .map_err(|e| port_error(OP, e));
        Ok(none_if_not_found(result)?.map(|u| u.user_name().unwrap_or_default().to_owned()))
    }

    async fn list_groups(
        &self,
        store: &IdentityStoreId,
        next_token: Option<String>,
    ) -> PortResult<Page<(PrincipalId, String)>> {
        const OP: Operation = Operation::ListGroups;
        let out = self
            .ids
            .list_groups()
            .identity_store_id(store.as_str())
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        let items = out
            .groups()
            .iter()
            .map(|g| {
                Ok((
                    principal_id(OP, g.group_id())?,
                    g.display_name().unwrap_or_default().to_owned(),
                ))
            })
            .collect::<PortResult<_>>()?;
        Ok(page(items, out.next_token()))
    }

    async fn list_users(
        &self,
        store: &IdentityStoreId,
        next_token: Option<String>,
    ) -> PortResult<Page<(PrincipalId, String)>> {
        const OP: Operation = Operation::ListUsers;
        let out = self
            .ids
            .list_users()
            .identity_store_id(store.as_str())
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        let items = out
            .users()
            .iter()
            .map(|u| {
                Ok((
                    principal_id(OP, u.user_id())?,
                    u.user_name().unwrap_or_default().to_owned(),
                ))
            })
            .collect::<PortResult<_>>()?;
        Ok(page(items, out.next_token()))
    }

    async fn list_group_memberships(
        &self,
        store: &IdentityStoreId,
        group: &PrincipalId,
        next_token: Option<String>,
    ) -> PortResult<Page<PrincipalId>> {
        const OP: Operation = Operation::ListGroupMemberships;
        let out = self
            .ids
            .list_group_memberships()
            .identity_store_id(store.as_str())
            .group_id(group.as_str())
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        // `MemberId` is a union whose only member today is `UserId`; a kind
        // of member a later model adds is not a user and cannot sign in
        // through an account assignment we could name, so it is skipped.
        let items = out
            .group_memberships()
            .iter()
            .filter_map(|m| match m.member_id() {
                Some(MemberId::UserId(id)) => Some(principal_id(OP, id)),
                _ => None,
            })
            .collect::<PortResult<_>>()?;
        Ok(page(items, out.next_token()))
    }
}
