//! The identity-store port: users and groups by name and by id.

use ssomatrix_core::ids::{IdentityStoreId, PrincipalId, PrincipalType};
use ssomatrix_core::ports::{ErrorKind, IdentityStore, Operation, Page, PortError, PortResult};
use ssomatrix_core::snapshot::SnapshotPrincipal;

use crate::{Simulator, page_size};

fn find_principal(
    list: &[SnapshotPrincipal],
    pred: impl Fn(&SnapshotPrincipal) -> bool,
) -> Option<&SnapshotPrincipal> {
    list.iter().find(|p| pred(p))
}

impl IdentityStore for Simulator {
    async fn get_group_id(
        &self,
        store: &IdentityStoreId,
        display_name: &str,
    ) -> PortResult<Option<PrincipalId>> {
        const OP: Operation = Operation::GetGroupId;
        self.call(OP, |st| {
            st.check_store(OP, store)?;
            Ok(find_principal(st.principals(PrincipalType::Group), |p| {
                p.name == display_name
            })
            .map(|p| p.id.clone()))
        })
        .await
    }

    async fn get_user_id(
        &self,
        store: &IdentityStoreId,
        user_name: &str,
    ) -> PortResult<Option<PrincipalId>> {
        const OP: Operation = Operation::GetUserId;
        self.call(OP, |st| {
            st.check_store(OP, store)?;
            Ok(
                find_principal(st.principals(PrincipalType::User), |p| p.name == user_name)
                    .map(|p| p.id.clone()),
            )
        })
        .await
    }

    async fn describe_group(
        &self,
        store: &IdentityStoreId,
        id: &PrincipalId,
    ) -> PortResult<Option<String>> {
        const OP: Operation = Operation::DescribeGroup;
        self.call(OP, |st| {
            st.check_store(OP, store)?;
            Ok(
                find_principal(st.principals(PrincipalType::Group), |p| p.id == *id)
                    .map(|p| p.name.clone()),
            )
        })
        .await
    }

    async fn describe_user(
        &self,
        store: &IdentityStoreId,
        id: &PrincipalId,
    ) -> PortResult<Option<String>> {
        const OP: Operation = Operation::DescribeUser;
        self.call(OP, |st| {
            st.check_store(OP, store)?;
            Ok(
                find_principal(st.principals(PrincipalType::User), |p| p.id == *id)
                    .map(|p| p.name.clone()),
            )
        })
        .await
    }

    async fn list_groups(
        &self,
        store: &IdentityStoreId,
        next_token: Option<String>,
    ) -> PortResult<Page<(PrincipalId, String)>> {
        const OP: Operation = Operation::ListGroups;
        self.list(OP, next_token, page_size::IDENTITY_STORE, |st| {
            st.check_store(OP, store)?;
            let all = st
                .principals(PrincipalType::Group)
                .iter()
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect();
            Ok(all)
        })
        .await
    }

    async fn list_users(
        &self,
        store: &IdentityStoreId,
        next_token: Option<String>,
    ) -> PortResult<Page<(PrincipalId, String)>> {
        const OP: Operation = Operation::ListUsers;
        self.list(OP, next_token, page_size::IDENTITY_STORE, |st| {
            st.check_store(OP, store)?;
            let all = st
                .principals(PrincipalType::User)
                .iter()
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect();
            Ok(all)
        })
        .await
    }

    async fn list_group_memberships(
        &self,
        store: &IdentityStoreId,
        group: &PrincipalId,
        next_token: Option<String>,
    ) -> PortResult<Page<PrincipalId>> {
        const OP: Operation = Operation::ListGroupMemberships;
        self.list(OP, next_token, page_size::IDENTITY_STORE, |st| {
            st.check_store(OP, store)?;
            let Some(g) = find_principal(st.principals(PrincipalType::Group), |p| p.id == *group)
            else {
                return Err(PortError::new(
                    OP,
                    ErrorKind::NotFound,
                    format!("group {group} does not exist"),
                )
                .with_resource_type("GROUP"));
            };
            // A snapshot from before members were exported does not know
            // them: the group answers as an empty one would.
            Ok(g.members.iter().flatten().cloned().collect())
        })
        .await
    }
}
