//! The whole instance as a snapshot (`ssomatrix export`).

use ssomatrix_core::ids::{InstanceArn, PrincipalType};
use ssomatrix_core::ports::{
    ErrorKind, IdentityStore, Operation, Organizations, PortError, SsoAdmin, Sts,
};
use ssomatrix_core::snapshot::{
    SNAPSHOT_FORMAT_VERSION, Snapshot, SnapshotAccount, SnapshotOrganization, SnapshotOu,
    SnapshotPermissionSet, SnapshotPrincipal,
};

use super::{
    Progress, ReadOptions, SetsAndAssignments, assignments_in_org, discover_instance,
    list_all_principals, read_org, read_sets_and_assignments,
};
use crate::EngineError;
use crate::caller::read_caller;
use crate::client::Client;

/// Reads the whole instance as a snapshot (`ssomatrix export`).
pub async fn export_snapshot<S: SsoAdmin, I: IdentityStore, O: Organizations + Sts>(
    client: &Client<S, I, O>,
    instance: Option<&InstanceArn>,
    options: &ReadOptions,
    progress: &Progress,
) -> Result<Snapshot, EngineError> {
    let instance = discover_instance(client, instance).await?;
    let store = instance.identity_store_id;
    let arn = instance.instance_arn;
    // Export always records which accounts are out of sync, and reads per
    // pair: a snapshot must hold the assignments of deleted principals too.
    let options = ReadOptions {
        provisioning_status: true,
        strategy: options.strategy.per_pair("export")?,
    };
    let (caller, org, sets, groups, users) = futures::try_join!(
        read_caller(client),
        read_org(client, true, None, progress),
        read_sets_and_assignments(
            client,
            &arn,
            |all| all.keys().cloned().collect(),
            &options,
            None,
            progress
        ),
        async {
            list_all_principals(client, &store, PrincipalType::Group)
                .await
                .map_err(EngineError::from)
        },
        async {
            list_all_principals(client, &store, PrincipalType::User)
                .await
                .map_err(EngineError::from)
        },
    )?;
    let SetsAndAssignments {
        permission_sets,
        read,
        assignments,
        not_provisioned,
    } = sets;
    let (assignments, _, _) = assignments.split();
    let assignments = assignments_in_org(client, &arn, &org, &read, assignments, progress).await?;
    let principal = |(id, name)| SnapshotPrincipal::new(id, name);
    let mut snapshot = Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        instance_arn: arn,
        identity_store_id: store,
        // Absent means the management account.
        caller_account_id: Some(caller).filter(|c| Some(c) != org.management_account()),
        organization: SnapshotOrganization {
            root_id: org.root().clone(),
            management_account_id: org.management_account().cloned().ok_or_else(|| {
                EngineError::Port(PortError::new(
                    Operation::DescribeOrganization,
                    ErrorKind::Other,
                    "no management account",
                ))
            })?,
            organizational_units: org
                .ous()
                .map(|o| SnapshotOu {
                    id: o.id.clone(),
                    name: o.name.clone(),
                    parent: o.parent.clone(),
                })
                .collect(),
            accounts: org
                .accounts()
                .map(|a| SnapshotAccount {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    state: a.state,
                    parent: a.parent.clone(),
                    tags: a.tags.clone(),
                })
                .collect(),
        },
        groups: groups.into_iter().map(principal).collect(),
        users: users.into_iter().map(principal).collect(),
        permission_sets: permission_sets
            .into_iter()
            .map(|(arn, name)| SnapshotPermissionSet {
                not_provisioned_accounts: not_provisioned.get(&arn).cloned().unwrap_or_default(),
                arn,
                name,
            })
            .collect(),
        assignments: assignments.into_iter().collect(),
    };
    crate::members::add_members(client, &mut snapshot).await?;
    snapshot.sort();
    Ok(snapshot)
}
