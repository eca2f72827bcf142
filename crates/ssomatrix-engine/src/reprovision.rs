//! Reprovisioning: after the assignments, every owned permission set left
//! `LATEST_PERMISSION_SET_NOT_PROVISIONED` (OUT_OF_SYNC) in some accounts is
//! provisioned again, at most three sets at a time (the service's limit),
//! and polled to completion. One pass per run: a set that stays out of sync
//! is reported, not retried forever.
//!
//! Provisioning to an account that is SUSPENDED, PENDING_CLOSURE or CLOSED
//! fails, so `ALL_PROVISIONED_ACCOUNTS` fails whenever such an account holds
//! the set (docs/aws-behaviour.md). Only ACTIVE accounts are provisioned:
//! `ALL_PROVISIONED_ACCOUNTS` only when every account holding the set is
//! ACTIVE, else one call per ACTIVE out-of-sync account. An account whose
//! last assignment of the set this run deleted no longer holds the set and
//! is skipped. The account states come from the live state the run already
//! read; Organizations is not read again.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;
use ssomatrix_core::ids::{AccountId, AccountState, InstanceArn, PermissionSetArn};
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::Action;
use ssomatrix_core::ports::{
    IdentityStore, Operation, OperationState, Organizations, PortError, ProvisionTarget, SsoAdmin,
};

use crate::EngineError;
use crate::client::Client;
use crate::executor::{ApplyOptions, ApplyReport, Outcome, STATUS_GRACE};
use crate::inventory::read_not_provisioned;

/// The service runs at most this many `ProvisionPermissionSet` at once.
pub const PROVISION_CONCURRENCY: usize = 3;

/// One `ProvisionPermissionSet` and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvisionReport {
    pub permission_set_arn: PermissionSetArn,
    pub permission_set_name: String,
    /// The accounts where the set was out of sync.
    pub accounts: BTreeSet<AccountId>,
    /// `ALL_PROVISIONED_ACCOUNTS`, or the one account provisioned.
    pub target: String,
    /// Out-of-sync accounts not provisioned, with the reason (not ACTIVE,
    /// or the set's last assignment there deleted by this run).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped: BTreeMap<AccountId, String>,
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// What reprovisioning needs to know about the accounts, taken from what
/// the run already read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFacts {
    /// Organizations' `State` of every account; an account missing here is
    /// treated as not ACTIVE.
    pub states: BTreeMap<AccountId, AccountState>,
    /// (permission set, account) pairs whose last assignment this run
    /// deleted: the set is no longer provisioned there.
    pub emptied: BTreeSet<(PermissionSetArn, AccountId)>,
}

impl AccountFacts {
    /// The account states of `live`, for a run that changed no assignment.
    pub fn from_live(live: &LiveState) -> Self {
        AccountFacts {
            states: live
                .org
                .accounts()
                .map(|a| (a.id.clone(), a.state))
                .collect(),
            emptied: BTreeSet::new(),
        }
    }

    /// The account states of `live` and the pairs whose last assignment
    /// `report`'s successful deletes removed (its successful creates
    /// counted as holding).
    pub fn after_apply(live: &LiveState, report: &ApplyReport) -> Self {
        let mut facts = Self::from_live(live);
        let done = report
            .operations
            .iter()
            .filter(|o| o.outcome == Outcome::Succeeded);
        let mut holders: BTreeMap<(PermissionSetArn, AccountId), BTreeSet<_>> = BTreeMap::new();
        let deleted: Vec<_> = done
            .clone()
            .filter(|o| o.change.action == Action::Delete)
            .map(|o| o.change.assignment())
            .collect();
        for d in &deleted {
            let key = (d.permission_set_arn.clone(), d.account_id.clone());
            holders.entry(key).or_insert_with(|| {
                live.assignments
                    .iter()
                    .filter(|a| {
                        a.permission_set_arn == d.permission_set_arn && a.account_id == d.account_id
                    })
                    .map(|a| (a.principal_type, a.principal_id.clone()))
                    .collect()
            });
        }
        for o in done {
            let a = o.change.assignment();
            let key = (a.permission_set_arn.clone(), a.account_id.clone());
            if let Some(principals) = holders.get_mut(&key) {
                let principal = (a.principal_type, a.principal_id.clone());
                match o.change.action {
                    Action::Create => principals.insert(principal),
                    Action::Delete => principals.remove(&principal),
                };
            }
        }
        facts.emptied = holders
            .into_iter()
            .filter(|(_, principals)| principals.is_empty())
            .map(|(key, _)| key)
            .collect();
        facts
    }

    fn is_active(&self, account: &AccountId) -> bool {
        self.states.get(account) == Some(&AccountState::Active)
    }

    /// Why `account` is not provisioned with `set`, if it is not.
    fn skip_reason(&self, set: &PermissionSetArn, account: &AccountId) -> Option<String> {
        if self.emptied.contains(&(set.clone(), account.clone())) {
            return Some("this run deleted the set's last assignment there".to_owned());
        }
        match self.states.get(account) {
            Some(AccountState::Active) => None,
            Some(state) => Some(format!(
                "the account is {state}; permission sets can only be provisioned to ACTIVE accounts"
            )),
            None => Some(
                "the account was not read: it is not in the organization, or not among this run's --account"
                    .to_owned(),
            ),
        }
    }
}

/// Reprovisions the `permission_sets` (ARN → name) that are out of sync in
/// some ACTIVE account (see the module's documentation for the targets).
pub async fn reprovision<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    permission_sets: &BTreeMap<PermissionSetArn, String>,
    facts: &AccountFacts,
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
    // buffer_unordered keeps at most PROVISION_CONCURRENCY sets in flight;
    // the accounts of one set go one after another (the service runs one
    // provisioning of a set at a time). Boxed: the nested futures are deep
    // enough to overflow the compiler's layout query in callers.
    let per_set = Box::pin(
        futures::stream::iter(stale)
            .map(|(arn, name, accounts)| async move {
                let skipped: BTreeMap<AccountId, String> = accounts
                    .iter()
                    .filter_map(|a| facts.skip_reason(arn, a).map(|why| (a.clone(), why)))
                    .collect();
                let active: Vec<&AccountId> = accounts
                    .iter()
                    .filter(|a| !skipped.contains_key(*a))
                    .collect();
                if !skipped.is_empty() {
                    tracing::warn!(
                        "not reprovisioning {name} in {}: {}",
                        skipped.len(),
                        skipped
                            .iter()
                            .map(|(a, why)| format!("{a} ({why})"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                let targets = match targets(client, instance, arn, &active, facts).await {
                    Ok(t) => t,
                    Err(e) => {
                        return vec![ProvisionReport {
                            permission_set_arn: arn.clone(),
                            permission_set_name: name.clone(),
                            accounts: accounts.clone(),
                            target: "ALL_PROVISIONED_ACCOUNTS".to_owned(),
                            skipped,
                            outcome: Outcome::error(e),
                            request_id: None,
                        }];
                    }
                };
                let mut out = Vec::with_capacity(targets.len());
                for target in targets {
                    let (outcome, request_id) = match tokio::time::timeout(
                        options.operation_timeout,
                        provision(client, instance, arn, &target, options),
                    )
                    .await
                    {
                        Ok(r) => r,
                        Err(_) => (Outcome::TimedOut, None),
                    };
                    out.push(ProvisionReport {
                        permission_set_arn: arn.clone(),
                        permission_set_name: name.clone(),
                        accounts: accounts.clone(),
                        target: match &target {
                            ProvisionTarget::Account(a) => a.to_string(),
                            ProvisionTarget::AllProvisionedAccounts => {
                                "ALL_PROVISIONED_ACCOUNTS".to_owned()
                            }
                        },
                        skipped: skipped.clone(),
                        outcome,
                        request_id,
                    });
                }
                out
            })
            .buffer_unordered(PROVISION_CONCURRENCY)
            .collect::<Vec<_>>(),
    )
    .await;
    let mut reports: Vec<ProvisionReport> = per_set.into_iter().flatten().collect();
    reports.sort_by(|a, b| {
        (&a.permission_set_name, &a.target).cmp(&(&b.permission_set_name, &b.target))
    });
    Ok(reports)
}

/// Where to provision a set out of sync in the `active` accounts: nowhere
/// without any; that account alone with one; `ALL_PROVISIONED_ACCOUNTS`
/// when every account holding the set (one listing) is ACTIVE and keeps
/// it; else each of them.
async fn targets<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    instance: &InstanceArn,
    set: &PermissionSetArn,
    active: &[&AccountId],
    facts: &AccountFacts,
) -> Result<Vec<ProvisionTarget>, PortError> {
    let each = || {
        active
            .iter()
            .map(|a| ProvisionTarget::Account((*a).clone()))
            .collect()
    };
    if active.len() <= 1 {
        return Ok(each());
    }
    let sso = &client.ports.sso;
    let holders = client
        .all_pages(Operation::ListAccountsForProvisionedPermissionSet, |t| {
            sso.list_accounts_for_provisioned_permission_set(instance, set, None, t)
        })
        .await?;
    let all_fine = holders
        .iter()
        .all(|a| facts.is_active(a) && !facts.emptied.contains(&(set.clone(), a.clone())));
    Ok(if all_fine {
        vec![ProvisionTarget::AllProvisionedAccounts]
    } else {
        each()
    })
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
        .call(Operation::ProvisionPermissionSet, || {
            sso.provision_permission_set(instance, arn, target)
        })
        .await
    {
        Ok(s) => s,
        Err(e) => {
            return (Outcome::error(e), None);
        }
    };
    let id = status.request_id.clone();
    let submitted_at = tokio::time::Instant::now();
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
                    .call(Operation::DescribePermissionSetProvisioningStatus, || {
                        sso.describe_permission_set_provisioning_status(instance, &id)
                    })
                    .await
                {
                    Ok(s) => s,
                    // Not known yet, so soon after the request: pending.
                    Err(e) if e.is_absent() && submitted_at.elapsed() < STATUS_GRACE => status,
                    Err(e) => {
                        return (Outcome::error(e), Some(id));
                    }
                };
            }
        }
    }
}
