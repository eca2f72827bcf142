//! ssomatrix-engine: everything that talks to the ports, written once and
//! generic over them: the rate-limited, retrying client, the inventory
//! reader, the executor and reprovisioning.
//!
//! Architecture invariant: no AWS SDK type appears here; the engine sees AWS
//! only through the core ports, so every behaviour is testable on the
//! simulator in paused tokio time.

pub mod accounts;
pub mod caller;
pub mod client;
pub mod executor;
pub mod inventory;
pub mod limiter;
pub mod members;
mod principals;
pub mod reprovision;

pub use client::{Budget, Client, Ports, Service, Stats};
pub use inventory::{InventoryStrategy, ReadOptions};

use ssomatrix_core::ids::InstanceArn;
use ssomatrix_core::ports::PortError;

/// Everything that can stop the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Port(#[from] PortError),
    #[error(
        "no IAM Identity Center instance is visible to these credentials; check the region (--region) and that Identity Center is enabled"
    )]
    NoInstance,
    #[error(
        "these credentials see {} IAM Identity Center instances ({}); set `instance_arn` in the file to pick one",
        .0.len(),
        .0.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
    )]
    SeveralInstances(Vec<InstanceArn>),
    #[error("instance `{wanted}` (the file's `instance_arn`, or --instance-arn) is not visible to these credentials or in this snapshot; visible: {}", if .found.is_empty() { "none".to_owned() } else { .found.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ") })]
    InstanceNotFound {
        wanted: InstanceArn,
        found: Vec<InstanceArn>,
    },
    #[error(
        "instance `{instance}` is {status}, not ACTIVE; wait until IAM Identity Center has finished with it, or name another instance in `instance_arn`"
    )]
    InstanceNotActive {
        instance: InstanceArn,
        status: String,
    },
    #[error(
        "{count} {kind}s in the identity store are named `{name}`; ssomatrix cannot tell which one the file means: rename one of them"
    )]
    AmbiguousPrincipal {
        kind: &'static str,
        name: String,
        count: usize,
    },
    /// An `--account` that does not name exactly one account.
    #[error(transparent)]
    Select(#[from] ssomatrix_core::partial::SelectError),
    #[error(
        "live assignments cannot be read by principal here: {0}; use --inventory provisioned (or exhaustive)"
    )]
    ByPrincipalImpossible(String),
    #[error("the organization read from AWS is not a tree: {0}")]
    Org(#[from] ssomatrix_core::org::OrgError),
    #[error("{0}")]
    Unexpected(String),
}
