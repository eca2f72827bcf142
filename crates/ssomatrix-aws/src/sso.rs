//! [`SsoAdmin`] over `aws-sdk-ssoadmin`: one SDK call per port method.

use aws_sdk_ssoadmin::types::{
    self as sdk, OperationStatusFilter, ProvisionTargetType, ProvisioningStatus, StatusValues,
    TargetType,
};
use ssomatrix_core::ids::{
    AccountId, IdError, IdentityStoreId, InstanceArn, PermissionSetArn, PrincipalId, PrincipalType,
};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::ports::{
    AssignmentOperation, InstanceInfo, Operation, OperationState, Page, PermissionSetInfo,
    PortResult, PrincipalRef, ProvisionOperation, ProvisionTarget, ProvisioningFilter, SsoAdmin,
};

use crate::AwsPorts;
use crate::error::{AdapterError, port_error};

/// The largest `MaxResults` every sso-admin listing accepts.
const MAX_RESULTS: i32 = 100;

/// A page with the response's token. An empty token would make a caller
/// that follows tokens loop forever, so it counts as none.
pub(crate) fn page<T>(items: Vec<T>, next_token: Option<&str>) -> Page<T> {
    Page {
        items,
        next_token: next_token.filter(|t| !t.is_empty()).map(str::to_owned),
    }
}

/// One page of a listing: each SDK item mapped to the port's, a failure
/// named as `operation`'s.
pub(crate) fn map_page<T, U>(
    operation: Operation,
    items: &[T],
    next_token: Option<&str>,
    map: impl FnMut(&T) -> Result<U, AdapterError>,
) -> PortResult<Page<U>> {
    let items = items
        .iter()
        .map(map)
        .collect::<Result<_, _>>()
        .map_err(|e| e.into_port(operation))?;
    Ok(page(items, next_token))
}

/// Validates a list of plain id strings (ARNs, account ids) from a response.
fn parse_all<T>(
    operation: Operation,
    raw: &[String],
    parse: fn(String) -> Result<T, IdError>,
) -> PortResult<Vec<T>> {
    raw.iter()
        .cloned()
        .map(parse)
        .collect::<Result<_, _>>()
        .map_err(|e| AdapterError::from(e).into_port(operation))
}

pub(crate) fn required<'a>(
    field: &'static str,
    value: Option<&'a str>,
) -> Result<&'a str, AdapterError> {
    value.ok_or(AdapterError::MissingField(field))
}

fn principal_type_to_sdk(kind: PrincipalType) -> sdk::PrincipalType {
    match kind {
        PrincipalType::Group => sdk::PrincipalType::Group,
        PrincipalType::User => sdk::PrincipalType::User,
    }
}

fn principal_type_from_sdk(
    field: &'static str,
    kind: Option<&sdk::PrincipalType>,
) -> Result<PrincipalType, AdapterError> {
    match kind {
        Some(sdk::PrincipalType::Group) => Ok(PrincipalType::Group),
        Some(sdk::PrincipalType::User) => Ok(PrincipalType::User),
        Some(other) => Err(AdapterError::UnknownValue {
            field,
            value: other.as_str().to_owned(),
        }),
        None => Err(AdapterError::MissingField(field)),
    }
}

fn state_from_sdk(
    field: &'static str,
    status: Option<&StatusValues>,
) -> Result<OperationState, AdapterError> {
    match status {
        Some(StatusValues::InProgress) => Ok(OperationState::InProgress),
        Some(StatusValues::Failed) => Ok(OperationState::Failed),
        Some(StatusValues::Succeeded) => Ok(OperationState::Succeeded),
        Some(other) => Err(AdapterError::UnknownValue {
            field,
            value: other.as_str().to_owned(),
        }),
        None => Err(AdapterError::MissingField(field)),
    }
}

fn state_to_sdk(state: OperationState) -> StatusValues {
    match state {
        OperationState::InProgress => StatusValues::InProgress,
        OperationState::Failed => StatusValues::Failed,
        OperationState::Succeeded => StatusValues::Succeeded,
    }
}

fn filter_to_sdk(filter: ProvisioningFilter) -> ProvisioningStatus {
    match filter {
        ProvisioningFilter::LatestProvisioned => ProvisioningStatus::LatestPermissionSetProvisioned,
        ProvisioningFilter::LatestNotProvisioned => {
            ProvisioningStatus::LatestPermissionSetNotProvisioned
        }
    }
}

fn assignment_operation(
    status: Option<&sdk::AccountAssignmentOperationStatus>,
) -> Result<AssignmentOperation, AdapterError> {
    let status = status.ok_or(AdapterError::MissingField(
        "AccountAssignmentOperationStatus",
    ))?;
    Ok(AssignmentOperation {
        request_id: required("RequestId", status.request_id())?.to_owned(),
        state: state_from_sdk("Status", status.status())?,
        failure_reason: status.failure_reason().map(str::to_owned),
    })
}

fn provision_operation(
    status: Option<&sdk::PermissionSetProvisioningStatus>,
) -> Result<ProvisionOperation, AdapterError> {
    let status = status.ok_or(AdapterError::MissingField(
        "PermissionSetProvisioningStatus",
    ))?;
    Ok(ProvisionOperation {
        request_id: required("RequestId", status.request_id())?.to_owned(),
        state: state_from_sdk("Status", status.status())?,
        failure_reason: status.failure_reason().map(str::to_owned),
    })
}

fn status_page(
    statuses: &[sdk::AccountAssignmentOperationStatusMetadata],
    next_token: Option<&str>,
) -> Result<Page<AssignmentOperation>, AdapterError> {
    let items = statuses
        .iter()
        .map(|s| {
            Ok(AssignmentOperation {
                request_id: required("RequestId", s.request_id())?.to_owned(),
                state: state_from_sdk("Status", s.status())?,
                // The listing carries no reason; Describe…Status has it.
                failure_reason: None,
            })
        })
        .collect::<Result<_, AdapterError>>()?;
    Ok(page(items, next_token))
}

impl SsoAdmin for AwsPorts {
    async fn list_instances(&self, next_token: Option<String>) -> PortResult<Page<InstanceInfo>> {
        const OP: Operation = Operation::ListInstances;
        let out = self
            .sso
            .list_instances()
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        map_page(OP, out.instances(), out.next_token(), |i| {
            Ok(InstanceInfo {
                instance_arn: InstanceArn::new(required("InstanceArn", i.instance_arn())?)?,
                identity_store_id: IdentityStoreId::new(required(
                    "IdentityStoreId",
                    i.identity_store_id(),
                )?)?,
                name: i.name().filter(|n| !n.is_empty()).map(str::to_owned),
                status: i.status().map(|s| s.as_str().to_owned()),
            })
        })
    }

    async fn list_permission_sets(
        &self,
        instance: &InstanceArn,
        next_token: Option<String>,
    ) -> PortResult<Page<PermissionSetArn>> {
        const OP: Operation = Operation::ListPermissionSets;
        let out = self
            .sso
            .list_permission_sets()
            .instance_arn(instance.as_str())
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        let items = parse_all(OP, out.permission_sets(), PermissionSetArn::new)?;
        Ok(page(items, out.next_token()))
    }

    async fn describe_permission_set(
        &self,
        instance: &InstanceArn,
        permission_set: &PermissionSetArn,
    ) -> PortResult<PermissionSetInfo> {
        const OP: Operation = Operation::DescribePermissionSet;
        let out = self
            .sso
            .describe_permission_set()
            .instance_arn(instance.as_str())
            .permission_set_arn(permission_set.as_str())
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        let name = out
            .permission_set()
            .and_then(|p| p.name())
            .ok_or(AdapterError::MissingField("PermissionSet.Name"))
            .map_err(|e| e.into_port(OP))?;
        Ok(PermissionSetInfo {
            arn: permission_set.clone(),
            name: name.to_owned(),
        })
    }

    async fn list_accounts_for_provisioned_permission_set(
        &self,
        instance: &InstanceArn,
        permission_set: &PermissionSetArn,
        filter: Option<ProvisioningFilter>,
        next_token: Option<String>,
    ) -> PortResult<Page<AccountId>> {
        const OP: Operation = Operation::ListAccountsForProvisionedPermissionSet;
        let out = self
            .sso
            .list_accounts_for_provisioned_permission_set()
            .instance_arn(instance.as_str())
            .permission_set_arn(permission_set.as_str())
            .set_provisioning_status(filter.map(filter_to_sdk))
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        let items = parse_all(OP, out.account_ids(), AccountId::new)?;
        Ok(page(items, out.next_token()))
    }

    async fn list_permission_sets_provisioned_to_account(
        &self,
        instance: &InstanceArn,
        account: &AccountId,
        filter: Option<ProvisioningFilter>,
        next_token: Option<String>,
    ) -> PortResult<Page<PermissionSetArn>> {
        const OP: Operation = Operation::ListPermissionSetsProvisionedToAccount;
        let out = self
            .sso
            .list_permission_sets_provisioned_to_account()
            .instance_arn(instance.as_str())
            .account_id(account.as_str())
            .set_provisioning_status(filter.map(filter_to_sdk))
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        let items = parse_all(OP, out.permission_sets(), PermissionSetArn::new)?;
        Ok(page(items, out.next_token()))
    }

    async fn list_account_assignments(
        &self,
        instance: &InstanceArn,
        account: &AccountId,
        permission_set: &PermissionSetArn,
        next_token: Option<String>,
    ) -> PortResult<Page<PrincipalRef>> {
        const OP: Operation = Operation::ListAccountAssignments;
        let out = self
            .sso
            .list_account_assignments()
            .instance_arn(instance.as_str())
            .account_id(account.as_str())
            .permission_set_arn(permission_set.as_str())
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        map_page(OP, out.account_assignments(), out.next_token(), |a| {
            Ok(PrincipalRef {
                principal_type: principal_type_from_sdk("PrincipalType", a.principal_type())?,
                principal_id: PrincipalId::new(required("PrincipalId", a.principal_id())?)?,
            })
        })
    }

    async fn list_account_assignments_for_principal(
        &self,
        instance: &InstanceArn,
        principal: &PrincipalRef,
        account: Option<&AccountId>,
        next_token: Option<String>,
    ) -> PortResult<Page<Assignment>> {
        const OP: Operation = Operation::ListAccountAssignmentsForPrincipal;
        let filter = account.map(|a| {
            aws_sdk_ssoadmin::types::ListAccountAssignmentsFilter::builder()
                .account_id(a.as_str())
                .build()
        });
        let out = self
            .sso
            .list_account_assignments_for_principal()
            .instance_arn(instance.as_str())
            .principal_type(principal_type_to_sdk(principal.principal_type))
            .principal_id(principal.principal_id.as_str())
            .set_filter(filter)
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        map_page(OP, out.account_assignments(), out.next_token(), |a| {
            Ok(Assignment {
                account_id: AccountId::new(required("AccountId", a.account_id())?)?,
                permission_set_arn: PermissionSetArn::new(required(
                    "PermissionSetArn",
                    a.permission_set_arn(),
                )?)?,
                principal_type: principal_type_from_sdk("PrincipalType", a.principal_type())?,
                principal_id: PrincipalId::new(required("PrincipalId", a.principal_id())?)?,
            })
        })
    }

    async fn create_account_assignment(
        &self,
        instance: &InstanceArn,
        assignment: &Assignment,
    ) -> PortResult<AssignmentOperation> {
        const OP: Operation = Operation::CreateAccountAssignment;
        let out = self
            .sso
            .create_account_assignment()
            .instance_arn(instance.as_str())
            .target_id(assignment.account_id.as_str())
            .target_type(TargetType::AwsAccount)
            .permission_set_arn(assignment.permission_set_arn.as_str())
            .principal_type(principal_type_to_sdk(assignment.principal_type))
            .principal_id(assignment.principal_id.as_str())
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        assignment_operation(out.account_assignment_creation_status()).map_err(|e| e.into_port(OP))
    }

    async fn delete_account_assignment(
        &self,
        instance: &InstanceArn,
        assignment: &Assignment,
    ) -> PortResult<AssignmentOperation> {
        const OP: Operation = Operation::DeleteAccountAssignment;
        let out = self
            .sso
            .delete_account_assignment()
            .instance_arn(instance.as_str())
            .target_id(assignment.account_id.as_str())
            .target_type(TargetType::AwsAccount)
            .permission_set_arn(assignment.permission_set_arn.as_str())
            .principal_type(principal_type_to_sdk(assignment.principal_type))
            .principal_id(assignment.principal_id.as_str())
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        assignment_operation(out.account_assignment_deletion_status()).map_err(|e| e.into_port(OP))
    }

    async fn describe_account_assignment_creation_status(
        &self,
        instance: &InstanceArn,
        request_id: &str,
    ) -> PortResult<AssignmentOperation> {
        const OP: Operation = Operation::DescribeAccountAssignmentCreationStatus;
        let out = self
            .sso
            .describe_account_assignment_creation_status()
            .instance_arn(instance.as_str())
            .account_assignment_creation_request_id(request_id)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        assignment_operation(out.account_assignment_creation_status()).map_err(|e| e.into_port(OP))
    }

    async fn describe_account_assignment_deletion_status(
        &self,
        instance: &InstanceArn,
        request_id: &str,
    ) -> PortResult<AssignmentOperation> {
        const OP: Operation = Operation::DescribeAccountAssignmentDeletionStatus;
        let out = self
            .sso
            .describe_account_assignment_deletion_status()
            .instance_arn(instance.as_str())
            .account_assignment_deletion_request_id(request_id)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        assignment_operation(out.account_assignment_deletion_status()).map_err(|e| e.into_port(OP))
    }

    async fn list_account_assignment_creation_status(
        &self,
        instance: &InstanceArn,
        filter: Option<OperationState>,
        next_token: Option<String>,
    ) -> PortResult<Page<AssignmentOperation>> {
        const OP: Operation = Operation::ListAccountAssignmentCreationStatus;
        let out = self
            .sso
            .list_account_assignment_creation_status()
            .instance_arn(instance.as_str())
            .set_filter(filter.map(|s| {
                OperationStatusFilter::builder()
                    .status(state_to_sdk(s))
                    .build()
            }))
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        status_page(out.account_assignments_creation_status(), out.next_token())
            .map_err(|e| e.into_port(OP))
    }

    async fn list_account_assignment_deletion_status(
        &self,
        instance: &InstanceArn,
        filter: Option<OperationState>,
        next_token: Option<String>,
    ) -> PortResult<Page<AssignmentOperation>> {
        const OP: Operation = Operation::ListAccountAssignmentDeletionStatus;
        let out = self
            .sso
            .list_account_assignment_deletion_status()
            .instance_arn(instance.as_str())
            .set_filter(filter.map(|s| {
                OperationStatusFilter::builder()
                    .status(state_to_sdk(s))
                    .build()
            }))
            .max_results(MAX_RESULTS)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        status_page(out.account_assignments_deletion_status(), out.next_token())
            .map_err(|e| e.into_port(OP))
    }

    async fn provision_permission_set(
        &self,
        instance: &InstanceArn,
        permission_set: &PermissionSetArn,
        target: &ProvisionTarget,
    ) -> PortResult<ProvisionOperation> {
        const OP: Operation = Operation::ProvisionPermissionSet;
        let request = self
            .sso
            .provision_permission_set()
            .instance_arn(instance.as_str())
            .permission_set_arn(permission_set.as_str());
        let request = match target {
            ProvisionTarget::Account(account) => request
                .target_type(ProvisionTargetType::AwsAccount)
                .target_id(account.as_str()),
            ProvisionTarget::AllProvisionedAccounts => {
                request.target_type(ProvisionTargetType::AllProvisionedAccounts)
            }
        };
        let out = request.send().await.map_err(|e| port_error(OP, e))?;
        provision_operation(out.permission_set_provisioning_status()).map_err(|e| e.into_port(OP))
    }

    async fn describe_permission_set_provisioning_status(
        &self,
        instance: &InstanceArn,
        request_id: &str,
    ) -> PortResult<ProvisionOperation> {
        const OP: Operation = Operation::DescribePermissionSetProvisioningStatus;
        let out = self
            .sso
            .describe_permission_set_provisioning_status()
            .instance_arn(instance.as_str())
            .provision_permission_set_request_id(request_id)
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        provision_operation(out.permission_set_provisioning_status()).map_err(|e| e.into_port(OP))
    }
}
