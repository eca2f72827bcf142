//! Which IAM Identity Center instance to read.

use ssomatrix_core::ids::InstanceArn;
use ssomatrix_core::ports::{IdentityStore, InstanceInfo, Operation, Organizations, SsoAdmin};

use crate::EngineError;
use crate::client::Client;

/// Finds the instance: the one the file names, or the only ACTIVE one
/// visible. Instances being created, that failed to be created or that are
/// being deleted (ListInstances' `Status`) are never picked.
pub async fn discover_instance<S: SsoAdmin, I: IdentityStore, O: Organizations>(
    client: &Client<S, I, O>,
    wanted: Option<&InstanceArn>,
) -> Result<InstanceInfo, EngineError> {
    let sso = &client.ports.sso;
    let all = client
        .all_pages(Operation::ListInstances, |t| sso.list_instances(t))
        .await?;
    match wanted {
        Some(w) => {
            let found = all.iter().find(|i| i.instance_arn == *w).ok_or_else(|| {
                EngineError::InstanceNotFound {
                    wanted: w.clone(),
                    found: all.iter().map(|i| i.instance_arn.clone()).collect(),
                }
            })?;
            match &found.status {
                Some(status) if !found.is_active() => Err(EngineError::InstanceNotActive {
                    instance: w.clone(),
                    status: status.clone(),
                }),
                _ => Ok(found.clone()),
            }
        }
        None => {
            let active: Vec<_> = all.iter().filter(|i| i.is_active()).collect();
            match active.as_slice() {
                [] => match all.as_slice() {
                    [only] => Err(EngineError::InstanceNotActive {
                        instance: only.instance_arn.clone(),
                        status: only.status.clone().unwrap_or_default(),
                    }),
                    _ => Err(EngineError::NoInstance),
                },
                [one] => Ok((*one).clone()),
                many => Err(EngineError::SeveralInstances(
                    many.iter().map(|i| i.instance_arn.clone()).collect(),
                )),
            }
        }
    }
}
