//! Peer algorithms over the same simulator, for comparison: how Terraform's
//! AWS provider and aws-sso-util read and write assignments. They are
//! written here, not in the engine, as the peers do it; each gets the same
//! client (rate budget, retries) as ssomatrix, which flatters them: the
//! real tools have no client-side rate limiter and learn the quota from
//! throttling.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::anyhow;
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use ssomatrix_core::ids::{AccountId, InstanceArn, PermissionSetArn};
use ssomatrix_core::live::Assignment;
use ssomatrix_core::org::NodeId;
use ssomatrix_core::plan::{Action, Change, Plan};
use ssomatrix_core::ports::{
    IdentityStore, Operation, OperationState, Organizations, PortResult, SsoAdmin,
};
use ssomatrix_engine::Budget;
use ssomatrix_testkit::org::Generated;
use tokio::time::Instant;

use crate::measure::{SimClient, by_action, calls_since, client, instance, simulator};

/// Terraform's default `-parallelism`.
pub const TERRAFORM_PARALLELISM: usize = 10;
/// The AWS provider polls an assignment operation's status at this interval.
pub const TERRAFORM_POLL: Duration = Duration::from_secs(5);
/// The provider's timeout for an assignment operation.
const TERRAFORM_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Serialize)]
pub struct PeerRun {
    pub calls: u64,
    pub calls_by_operation: BTreeMap<String, u64>,
    pub virtual_seconds: f64,
    /// Apply only: operations that did not end `SUCCEEDED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsuccessful: Option<usize>,
}

fn budget(concurrency: usize) -> Budget {
    Budget {
        concurrency,
        ..Budget::default()
    }
}

/// The organisation, walked from the root: per node, its OUs and its
/// accounts, `concurrency` nodes at a time. What both peers read to know the
/// accounts (Terraform through `aws_organizations_*` data sources).
async fn walk_org(client: &SimClient, concurrency: usize) -> anyhow::Result<Vec<AccountId>> {
    let org = &client.ports.org;
    let roots = client
        .all_pages(Operation::ListRoots, |t| org.list_roots(t))
        .await?;
    let mut frontier: Vec<NodeId> = roots.into_iter().map(NodeId::Root).collect();
    let mut accounts = Vec::new();
    while !frontier.is_empty() {
        let level: Vec<_> = futures::stream::iter(std::mem::take(&mut frontier))
            .map(|node| async move {
                let ous = client
                    .all_pages(Operation::ListOrganizationalUnitsForParent, |t| {
                        org.list_organizational_units_for_parent(&node, t)
                    })
                    .await?;
                let accounts = client
                    .all_pages(Operation::ListAccountsForParent, |t| {
                        org.list_accounts_for_parent(&node, t)
                    })
                    .await?;
                PortResult::Ok((ous, accounts))
            })
            .buffered(concurrency)
            .try_collect()
            .await?;
        for (ous, members) in level {
            frontier.extend(ous.into_iter().map(|o| NodeId::Ou(o.id)));
            accounts.extend(members.into_iter().map(|a| a.id));
        }
    }
    Ok(accounts)
}

/// One step of a Terraform refresh.
enum Refresh<'a> {
    PermissionSet(&'a PermissionSetArn),
    Group(&'a str),
    Assignment(&'a Assignment),
}

/// Terraform's refresh: the data sources (instance, organisation,
/// permission sets, groups), then one `ListAccountAssignments` per declared
/// assignment resource (the provider's read lists the pair and looks for its
/// principal), `-parallelism` at a time. It cannot see assignments nobody
/// declared.
pub async fn terraform_plan(generated: &Generated) -> anyhow::Result<PeerRun> {
    let sim = simulator(generated)?;
    let client = client(&sim, budget(TERRAFORM_PARALLELISM));
    let instance = instance()?;
    let store = generated.snapshot.identity_store_id.clone();
    let start = Instant::now();
    let sso = &client.ports.sso;
    let ids = &client.ports.ids;
    client
        .all_pages(Operation::ListInstances, |t| sso.list_instances(t))
        .await?;
    walk_org(&client, TERRAFORM_PARALLELISM).await?;
    let sets: BTreeSet<&PermissionSetArn> = generated
        .desired
        .iter()
        .map(|a| &a.permission_set_arn)
        .collect();
    let names: BTreeMap<_, _> = generated
        .snapshot
        .groups
        .iter()
        .map(|g| (&g.id, g.name.as_str()))
        .collect();
    let groups: BTreeSet<&str> = generated
        .desired
        .iter()
        .filter_map(|a| names.get(&a.principal_id).copied())
        .collect();
    let steps = sets
        .into_iter()
        .map(Refresh::PermissionSet)
        .chain(groups.into_iter().map(Refresh::Group))
        .chain(generated.desired.iter().map(Refresh::Assignment));
    let (instance, store, client) = (&instance, &store, &client);
    futures::stream::iter(steps)
        .map(|step| async move {
            match step {
                Refresh::PermissionSet(arn) => client
                    .call(Operation::DescribePermissionSet, || {
                        sso.describe_permission_set(instance, arn)
                    })
                    .await
                    .map(drop),
                Refresh::Group(name) => client
                    .call(Operation::GetGroupId, || ids.get_group_id(store, name))
                    .await
                    .map(drop),
                Refresh::Assignment(a) => client
                    .all_pages(Operation::ListAccountAssignments, |t| {
                        sso.list_account_assignments(
                            instance,
                            &a.account_id,
                            &a.permission_set_arn,
                            t,
                        )
                    })
                    .await
                    .map(drop),
            }
        })
        .buffer_unordered(TERRAFORM_PARALLELISM)
        .try_collect::<Vec<()>>()
        .await?;
    let by_op = calls_since(&sim, &BTreeMap::new());
    Ok(PeerRun {
        calls: by_op.values().sum(),
        calls_by_operation: by_action(&by_op),
        virtual_seconds: start.elapsed().as_secs_f64(),
        unsuccessful: None,
    })
}

/// Terraform's apply of the same changes: `-parallelism` resources at a
/// time, each one write (retried on conflicts and throttling, as the
/// provider does) and then a status poll every 5 s until it is done.
pub async fn terraform_apply(generated: &Generated, plan: &Plan) -> anyhow::Result<PeerRun> {
    let sim = simulator(generated)?;
    let client = client(&sim, budget(TERRAFORM_PARALLELISM));
    let instance = instance()?;
    let instance = &instance;
    let client = &client;
    let start = Instant::now();
    let outcomes: Vec<bool> = futures::stream::iter(&plan.changes)
        .map(|change| async move { terraform_one(client, instance, change).await })
        .buffer_unordered(TERRAFORM_PARALLELISM)
        .collect()
        .await;
    let by_op = calls_since(&sim, &BTreeMap::new());
    Ok(PeerRun {
        calls: by_op.values().sum(),
        calls_by_operation: by_action(&by_op),
        virtual_seconds: start.elapsed().as_secs_f64(),
        unsuccessful: Some(outcomes.iter().filter(|ok| !**ok).count()),
    })
}

/// One resource's create or destroy; whether it ended `SUCCEEDED`.
async fn terraform_one(client: &SimClient, instance: &InstanceArn, change: &Change) -> bool {
    let sso = &client.ports.sso;
    let assignment = Assignment {
        account_id: change.account_id.clone(),
        permission_set_arn: change.permission_set_arn.clone(),
        principal_type: change.principal_type,
        principal_id: change.principal_id.clone(),
    };
    let create = change.action == Action::Create;
    let submitted = if create {
        client
            .call(Operation::CreateAccountAssignment, || {
                sso.create_account_assignment(instance, &assignment)
            })
            .await
    } else {
        client
            .call(Operation::DeleteAccountAssignment, || {
                sso.delete_account_assignment(instance, &assignment)
            })
            .await
    };
    let Ok(mut status) = submitted else {
        return false;
    };
    let deadline = Instant::now() + TERRAFORM_TIMEOUT;
    while status.state == OperationState::InProgress && Instant::now() < deadline {
        tokio::time::sleep(TERRAFORM_POLL).await;
        let id = status.request_id.clone();
        let polled = if create {
            client
                .call(Operation::DescribeAccountAssignmentCreationStatus, || {
                    sso.describe_account_assignment_creation_status(instance, &id)
                })
                .await
        } else {
            client
                .call(Operation::DescribeAccountAssignmentDeletionStatus, || {
                    sso.describe_account_assignment_deletion_status(instance, &id)
                })
                .await
        };
        match polled {
            Ok(s) => status = s,
            Err(_) => return false,
        }
    }
    status.state == OperationState::Succeeded
}

/// aws-sso-util's lookup: sequentially, the organisation's accounts, then
/// per account the permission sets provisioned to it and each pair's
/// assignments.
pub async fn aws_sso_util_plan(generated: &Generated) -> anyhow::Result<PeerRun> {
    let sim = simulator(generated)?;
    let client = client(&sim, budget(1));
    let instance = instance()?;
    let sso = &client.ports.sso;
    let start = Instant::now();
    client
        .all_pages(Operation::ListInstances, |t| sso.list_instances(t))
        .await?;
    let accounts = walk_org(&client, 1).await?;
    for account in &accounts {
        let sets = client
            .all_pages(Operation::ListPermissionSetsProvisionedToAccount, |t| {
                sso.list_permission_sets_provisioned_to_account(&instance, account, None, t)
            })
            .await?;
        for ps in &sets {
            client
                .all_pages(Operation::ListAccountAssignments, |t| {
                    sso.list_account_assignments(&instance, account, ps, t)
                })
                .await?;
        }
    }
    let by_op = calls_since(&sim, &BTreeMap::new());
    if by_op.is_empty() {
        return Err(anyhow!("the aws-sso-util baseline made no calls"));
    }
    Ok(PeerRun {
        calls: by_op.values().sum(),
        calls_by_operation: by_action(&by_op),
        virtual_seconds: start.elapsed().as_secs_f64(),
        unsuccessful: None,
    })
}
