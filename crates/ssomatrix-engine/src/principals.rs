//! Resolving the names the file uses to Identity Store ids, at one call per
//! name, or by one listing per kind of principal where the identity source
//! does not offer the lookup.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};

use futures::{StreamExt, TryStreamExt};
use ssomatrix_core::ids::{IdentityStoreId, PrincipalId, PrincipalType};
use ssomatrix_core::live::Principals;
use ssomatrix_core::ports::{
    ErrorKind, IdentityStore, Operation, Organizations, PortError, SsoAdmin,
};

use crate::EngineError;
use crate::client::Client;
use crate::inventory::list_all_principals;

/// What one `GetGroupId` / `GetUserId` call said about a name.
enum Lookup {
    Found(PrincipalId),
    Missing,
    /// `UnknownOperationException`: this identity source does not offer the
    /// call, so the name is looked up in the listing instead.
    Unsupported,
}

/// Resolves the names the file uses; when one is missing, lists that kind of
/// principal so the planner can suggest the closest name.
///
/// With an AD Connector identity source `GetGroupId` has been reported to
/// answer `UnknownOperationException`. Then that kind of principal is listed
/// once and every name of that kind is matched in the listing; calls not yet
/// made are skipped.
pub(crate) async fn resolve_principals<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    store: &IdentityStoreId,
    names: BTreeSet<(PrincipalType, String)>,
) -> Result<Principals, EngineError> {
    let ids = &client.ports.ids;
    let unsupported = [AtomicBool::new(false), AtomicBool::new(false)];
    let flag = |kind: PrincipalType| &unsupported[usize::from(kind == PrincipalType::User)];
    let found: Vec<_> = futures::stream::iter(names)
        .map(|(kind, name)| async move {
            if flag(kind).load(Ordering::Relaxed) {
                return Ok::<_, PortError>((kind, name, Lookup::Unsupported));
            }
            let result = match kind {
                PrincipalType::Group => {
                    client
                        .call(Operation::GetGroupId, || ids.get_group_id(store, &name))
                        .await
                }
                PrincipalType::User => {
                    client
                        .call(Operation::GetUserId, || ids.get_user_id(store, &name))
                        .await
                }
            };
            let lookup = match result {
                Ok(Some(id)) => Lookup::Found(id),
                Ok(None) => Lookup::Missing,
                Err(e) if e.kind == ErrorKind::UnknownOperation => {
                    flag(kind).store(true, Ordering::Relaxed);
                    Lookup::Unsupported
                }
                Err(e) => return Err(e),
            };
            Ok((kind, name, lookup))
        })
        .buffer_unordered(client.budget.concurrency)
        .try_collect()
        .await?;
    let mut principals = Principals::default();
    let mut missing = BTreeSet::new();
    let mut by_listing: BTreeMap<PrincipalType, Vec<String>> = BTreeMap::new();
    for (kind, name, lookup) in found {
        match lookup {
            Lookup::Found(id) => principals.insert(kind, id, name),
            Lookup::Missing => {
                missing.insert(kind);
            }
            Lookup::Unsupported => by_listing.entry(kind).or_default().push(name),
        }
    }
    for (kind, wanted) in by_listing {
        tracing::info!(
            "the identity store does not offer {}; matching {} {} name(s) in its listing instead",
            if kind == PrincipalType::Group {
                "GetGroupId"
            } else {
                "GetUserId"
            },
            wanted.len(),
            kind.noun()
        );
        let all = list_all_principals(client, store, kind).await?;
        for name in wanted {
            let mut matches = all.iter().filter(|(_, n)| *n == name);
            match (matches.next(), matches.count()) {
                (Some((id, _)), 0) => principals.insert(kind, id.clone(), name),
                (Some(_), more) => {
                    return Err(EngineError::AmbiguousPrincipal {
                        kind: kind.noun(),
                        name,
                        count: more + 1,
                    });
                }
                (None, _) => {
                    missing.insert(kind);
                }
            }
        }
        if missing.remove(&kind) {
            principals
                .all_names
                .insert(kind, all.into_iter().map(|(_, n)| n).collect());
        }
    }
    for kind in missing {
        let all = list_all_principals(client, store, kind).await?;
        principals
            .all_names
            .insert(kind, all.into_iter().map(|(_, n)| n).collect());
    }
    Ok(principals)
}
