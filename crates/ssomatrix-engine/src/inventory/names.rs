//! Principals: every one of a kind, and the names of those live assignments
//! reference.

use std::collections::BTreeSet;

use futures::{StreamExt, TryStreamExt};
use ssomatrix_core::ids::{IdentityStoreId, PrincipalId, PrincipalType};
use ssomatrix_core::live::{Assignment, Principals};
use ssomatrix_core::ports::{IdentityStore, Operation, Organizations, PortError, SsoAdmin};

use crate::EngineError;
use crate::client::Client;

pub(crate) async fn list_all_principals<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    store: &IdentityStoreId,
    kind: PrincipalType,
) -> Result<Vec<(PrincipalId, String)>, PortError> {
    let ids = &client.ports.ids;
    match kind {
        PrincipalType::Group => {
            client
                .all_pages(Operation::ListGroups, |t| ids.list_groups(store, t))
                .await
        }
        PrincipalType::User => {
            client
                .all_pages(Operation::ListUsers, |t| ids.list_users(store, t))
                .await
        }
    }
}

/// Names the principals that live assignments reference and the file did not
/// name; those that no longer exist are recorded as deleted.
pub(crate) async fn name_principals<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    store: &IdentityStoreId,
    assignments: &BTreeSet<Assignment>,
    principals: &mut Principals,
) -> Result<(), EngineError> {
    let ids = &client.ports.ids;
    let unknown: BTreeSet<_> = assignments
        .iter()
        .map(|a| (a.principal_type, a.principal_id.clone()))
        .filter(|k| !principals.by_id.contains_key(k))
        .collect();
    let named: Vec<_> = futures::stream::iter(unknown)
        .map(|(kind, id)| async move {
            let name = match kind {
                PrincipalType::Group => {
                    client
                        .call(Operation::DescribeGroup, || ids.describe_group(store, &id))
                        .await?
                }
                PrincipalType::User => {
                    client
                        .call(Operation::DescribeUser, || ids.describe_user(store, &id))
                        .await?
                }
            };
            Ok::<_, PortError>((kind, id, name))
        })
        .buffer_unordered(client.budget.concurrency)
        .try_collect()
        .await?;
    for (kind, id, name) in named {
        match name {
            Some(n) => principals.insert(kind, id, n),
            None => {
                principals.by_id.insert((kind, id), None);
            }
        }
    }
    Ok(())
}
