//! The sso-admin port: instances, permission sets, assignments and their
//! operations, provisioning.

use tokio::time::Instant;

use ssomatrix_core::ids::{AccountId, InstanceArn, PermissionSetArn};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::ports::{
    AssignmentOperation, ErrorKind, InstanceInfo, Operation, OperationState, Page,
    PermissionSetInfo, PortError, PortResult, PrincipalRef, ProvisionOperation, ProvisionTarget,
    ProvisioningFilter, SsoAdmin,
};

use crate::writes::OpKind;
use crate::{Simulator, page_size};

impl SsoAdmin for Simulator {
    async fn list_instances(&self, next_token: Option<String>) -> PortResult<Page<InstanceInfo>> {
        const OP: Operation = Operation::ListInstances;
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            let info = InstanceInfo {
                instance_arn: st.snapshot.instance_arn.clone(),
                identity_store_id: st.snapshot.identity_store_id.clone(),
                name: None,
                status: Some("ACTIVE".to_owned()),
            };
            Ok(std::iter::once(info)
                .chain(st.other_instances.iter().cloned())
                .collect())
        })
        .await
    }

    async fn list_permission_sets(
        &self,
        instance: &InstanceArn,
        next_token: Option<String>,
    ) -> PortResult<Page<PermissionSetArn>> {
        const OP: Operation = Operation::ListPermissionSets;
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            st.check_instance(OP, instance)?;
            let arns = st
                .snapshot
                .permission_sets
                .iter()
                .map(|p| p.arn.clone())
                .collect();
            Ok(arns)
        })
        .await
    }

    async fn describe_permission_set(
        &self,
        instance: &InstanceArn,
        permission_set: &PermissionSetArn,
    ) -> PortResult<PermissionSetInfo> {
        const OP: Operation = Operation::DescribePermissionSet;
        self.call(OP, |st| {
            st.check_instance(OP, instance)?;
            let p = st.permission_set(OP, permission_set)?;
            Ok(PermissionSetInfo {
                arn: p.arn.clone(),
                name: p.name.clone(),
            })
        })
        .await
    }

    async fn list_accounts_for_provisioned_permission_set(
        &self,
        instance: &InstanceArn,
        permission_set: &PermissionSetArn,
        filter: Option<ProvisioningFilter>,
        next_token: Option<String>,
    ) -> PortResult<Page<AccountId>> {
        const OP: Operation = Operation::ListAccountsForProvisionedPermissionSet;
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            st.check_instance(OP, instance)?;
            let stale = st
                .permission_set(OP, permission_set)?
                .not_provisioned_accounts
                .clone();
            let all = st
                .provisioned
                .get(permission_set)
                .cloned()
                .unwrap_or_default();
            let accounts = all
                .into_iter()
                .filter(|a| match filter {
                    None => true,
                    Some(ProvisioningFilter::LatestNotProvisioned) => stale.contains(a),
                    Some(ProvisioningFilter::LatestProvisioned) => !stale.contains(a),
                })
                .collect();
            Ok(accounts)
        })
        .await
    }

    async fn list_permission_sets_provisioned_to_account(
        &self,
        instance: &InstanceArn,
        account: &AccountId,
        filter: Option<ProvisioningFilter>,
        next_token: Option<String>,
    ) -> PortResult<Page<PermissionSetArn>> {
        const OP: Operation = Operation::ListPermissionSetsProvisionedToAccount;
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            st.check_instance(OP, instance)?;
            let sets = st
                .provisioned
                .iter()
                .filter(|(_, accounts)| accounts.contains(account))
                .filter(|(arn, _)| {
                    let stale = st
                        .permission_set(OP, arn)
                        .is_ok_and(|p| p.not_provisioned_accounts.contains(account));
                    match filter {
                        None => true,
                        Some(ProvisioningFilter::LatestNotProvisioned) => stale,
                        Some(ProvisioningFilter::LatestProvisioned) => !stale,
                    }
                })
                .map(|(arn, _)| arn.clone())
                .collect();
            Ok(sets)
        })
        .await
    }

    async fn list_account_assignments(
        &self,
        instance: &InstanceArn,
        account: &AccountId,
        permission_set: &PermissionSetArn,
        next_token: Option<String>,
    ) -> PortResult<Page<PrincipalRef>> {
        const OP: Operation = Operation::ListAccountAssignments;
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            st.check_instance(OP, instance)?;
            st.permission_set(OP, permission_set)?;
            // The index keeps them sorted.
            Ok(st
                .assignments
                .get(&(account.clone(), permission_set.clone()))
                .map(|p| p.iter().cloned().collect())
                .unwrap_or_default())
        })
        .await
    }

    async fn list_account_assignments_for_principal(
        &self,
        instance: &InstanceArn,
        principal: &PrincipalRef,
        account: Option<&AccountId>,
        next_token: Option<String>,
    ) -> PortResult<Page<Assignment>> {
        const OP: Operation = Operation::ListAccountAssignmentsForPrincipal;
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            st.check_instance(OP, instance)?;
            st.check_management_caller(OP)?;
            // Sorted by (account, permission set): the index's order. The
            // simulator keeps no group memberships, so a user's listing holds
            // its own assignments only.
            Ok(st
                .assignments
                .iter()
                .filter(|((a, _), principals)| {
                    account.is_none_or(|want| want == a) && principals.contains(principal)
                })
                .map(|((account, ps), _)| Assignment {
                    account_id: account.clone(),
                    permission_set_arn: ps.clone(),
                    principal_type: principal.principal_type,
                    principal_id: principal.principal_id.clone(),
                })
                .collect())
        })
        .await
    }

    async fn create_account_assignment(
        &self,
        instance: &InstanceArn,
        assignment: &Assignment,
    ) -> PortResult<AssignmentOperation> {
        const OP: Operation = Operation::CreateAccountAssignment;
        self.call(OP, |st| st.write(OP, OpKind::Create, instance, assignment))
            .await
    }

    async fn delete_account_assignment(
        &self,
        instance: &InstanceArn,
        assignment: &Assignment,
    ) -> PortResult<AssignmentOperation> {
        const OP: Operation = Operation::DeleteAccountAssignment;
        self.call(OP, |st| st.write(OP, OpKind::Delete, instance, assignment))
            .await
    }

    async fn describe_account_assignment_creation_status(
        &self,
        instance: &InstanceArn,
        request_id: &str,
    ) -> PortResult<AssignmentOperation> {
        const OP: Operation = Operation::DescribeAccountAssignmentCreationStatus;
        self.call(OP, |st| {
            st.check_instance(OP, instance)?;
            st.describe_op(OP, OpKind::Create, request_id)
        })
        .await
    }

    async fn describe_account_assignment_deletion_status(
        &self,
        instance: &InstanceArn,
        request_id: &str,
    ) -> PortResult<AssignmentOperation> {
        const OP: Operation = Operation::DescribeAccountAssignmentDeletionStatus;
        self.call(OP, |st| {
            st.check_instance(OP, instance)?;
            st.describe_op(OP, OpKind::Delete, request_id)
        })
        .await
    }

    async fn list_account_assignment_creation_status(
        &self,
        instance: &InstanceArn,
        filter: Option<OperationState>,
        next_token: Option<String>,
    ) -> PortResult<Page<AssignmentOperation>> {
        const OP: Operation = Operation::ListAccountAssignmentCreationStatus;
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            st.check_instance(OP, instance)?;
            Ok(st.list_ops(OpKind::Create, filter))
        })
        .await
    }

    async fn list_account_assignment_deletion_status(
        &self,
        instance: &InstanceArn,
        filter: Option<OperationState>,
        next_token: Option<String>,
    ) -> PortResult<Page<AssignmentOperation>> {
        const OP: Operation = Operation::ListAccountAssignmentDeletionStatus;
        self.list(OP, next_token, page_size::SSO_ADMIN, |st| {
            st.check_instance(OP, instance)?;
            Ok(st.list_ops(OpKind::Delete, filter))
        })
        .await
    }

    async fn provision_permission_set(
        &self,
        instance: &InstanceArn,
        permission_set: &PermissionSetArn,
        target: &ProvisionTarget,
    ) -> PortResult<ProvisionOperation> {
        const OP: Operation = Operation::ProvisionPermissionSet;
        self.call(OP, |st| {
            st.check_instance(OP, instance)?;
            st.permission_set(OP, permission_set)?;
            let account = match target {
                ProvisionTarget::Account(a) => Some(a),
                ProvisionTarget::AllProvisionedAccounts => None,
            };
            st.check_delegated(OP, permission_set, account)?;
            st.provision(OP, permission_set, target)
        })
        .await
    }

    async fn describe_permission_set_provisioning_status(
        &self,
        instance: &InstanceArn,
        request_id: &str,
    ) -> PortResult<ProvisionOperation> {
        const OP: Operation = Operation::DescribePermissionSetProvisioningStatus;
        self.call(OP, |st| {
            st.check_instance(OP, instance)?;
            st.provisions
                .get(request_id)
                .filter(|p| p.visible_at <= Instant::now())
                .map(|p| p.status.clone())
                .ok_or_else(|| {
                    PortError::new(
                        OP,
                        ErrorKind::NotFound,
                        format!("request {request_id} does not exist"),
                    )
                })
        })
        .await
    }
}
