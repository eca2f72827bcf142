//! Reprovisioning: after the assignments, every owned permission set left
//! `LATEST_PERMISSION_SET_NOT_PROVISIONED` (OUT_OF_SYNC) in some accounts is
//! provisioned again, at most three at a time (the service's limit), and
//! polled to completion. One pass per run: a set that stays out of sync is
//! reported, not retried forever.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;
use ssomatrix_core::ids::{AccountId, InstanceArn, PermissionSetArn};
use ssomatrix_core::ports::{
    IdentityStore, OperationState, Organizations, ProvisionTarget, SsoAdmin,
};

use crate::EngineError;
use crate::client::{Client, Service};
use crate::executor::{ApplyOptions, Outcome};
use crate::inventory::read_not_provisioned;

/// The service runs at most this many `ProvisionPermissionSet` at once.
pub const PROVISION_CONCURRENCY: usize = 3;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvisionReport {
    pub permission_set_arn: PermissionSetArn,
    pub permission_set_name: String,
    /// The accounts that were out of sync.
    pub accounts: BTreeSet<AccountId>,
    /// `ALL_PROVISIONED_ACCOUNTS`, or the one account provisioned.
    pub target: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Reprovisions the `permission_sets` (ARN → name) that are out of sync
/// anywhere. With one stale account the target is that account; with more,
/// `ALL_PROVISIONED_ACCOUNTS` does it in one call.
pub async fn reprovision<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    permission_sets: &BTreeMap<PermissionSetArn, String>,
    options: &ApplyOptions,
) -> Result<Vec<ProvisionReport>, EngineError> {
    let wanted: BTreeSet<PermissionSetArn> = permission_sets.keys().cloned().collect();
    let stale: Vec<_> = read_not_provisioned(client, instance, &wanted)
        .await?
        .into_iter()
        .filter_map(|(arn, accounts)| {
            permission_sets
                .get_key_value(&arn)
                .map(|(arn, name)| (arn, name, accounts))
        })
        .collect();
    // buffer_unordered keeps at most PROVISION_CONCURRENCY in flight.
    let mut reports = futures::stream::iter(stale)
        .map(|(arn, name, accounts)| async move {
            let target = match accounts.iter().next() {
                Some(only) if accounts.len() == 1 => ProvisionTarget::Account(only.clone()),
                _ => ProvisionTarget::AllProvisionedAccounts,
            };
            let (outcome, request_id) = match tokio::time::timeout(
                options.operation_timeout,
                provision(client, instance, arn, &target, options),
            )
            .await
            {
                Ok(r) => r,
                Err(_) => (Outcome::TimedOut, None),
            };
            ProvisionReport {
                permission_set_arn: arn.clone(),
                permission_set_name: name.clone(),
                accounts,
                target: match &target {
                    ProvisionTarget::Account(a) => a.to_string(),
                    ProvisionTarget::AllProvisionedAccounts => {
                        "ALL_PROVISIONED_ACCOUNTS".to_owned()
                    }
                },
                outcome,
                request_id,
            }
        })
        .buffer_unordered(PROVISION_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    reports.sort_by(|a, b| a.permission_set_name.cmp(&b.permission_set_name));
    Ok(reports)
}

async fn provision<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    arn: &PermissionSetArn,
    target: &ProvisionTarget,
    options: &ApplyOptions,
) -> (Outcome, Option<String>) {
    let sso = &client.ports.sso;
    let mut status = match client
        .call(Service::SsoAdmin, "sso:ProvisionPermissionSet", || {
            sso.provision_permission_set(instance, arn, target)
        })
        .await
    {
        Ok(s) => s,
        Err(e) => {
            return (
                Outcome::Error {
                    message: e.to_string(),
                },
                None,
            );
        }
    };
    let id = status.request_id.clone();
    let mut wait: Duration = options.first_poll;
    // Bounded by the caller's timeout.
    loop {
        match status.state {
            OperationState::Succeeded => return (Outcome::Succeeded, Some(id)),
            OperationState::Failed => {
                let reason = status
                    .failure_reason
                    .unwrap_or_else(|| "no reason given".to_owned());
                return (Outcome::Failed { reason }, Some(id));
            }
            OperationState::InProgress => {
                tokio::time::sleep(wait).await;
                wait = options.poll_interval;
                status = match client
                    .call(
                        Service::SsoAdmin,
                        "sso:DescribePermissionSetProvisioningStatus",
                        || sso.describe_permission_set_provisioning_status(instance, &id),
                    )
                    .await
                {
                    Ok(s) => s,
                    Err(e) => {
                        return (
                            Outcome::Error {
                                message: e.to_string(),
                            },
                            Some(id),
                        );
                    }
                };
            }
        }
    }
}
