//! Where the live state comes from: a snapshot file (through the simulator)
//! or AWS (through the SDK adapter). Both give the engine the same ports.

use std::path::Path;

use anyhow::Context;
use ssomatrix_aws::{AwsOptions, AwsPorts};
use ssomatrix_core::ports::{ErrorKind, PortError, Service};
use ssomatrix_engine::{Budget, EngineError};
use ssomatrix_sim::Simulator;

use crate::cli::{Inventory, SourceArgs};
use crate::files::LockedSnapshot;

pub enum Source {
    /// The simulator, and the snapshot file locked for the run when the
    /// command writes its state back to it (apply, reprovision).
    Snapshot(Simulator, Option<LockedSnapshot>),
    Aws(AwsPorts),
}

impl Source {
    /// The source of a command that only reads.
    pub async fn open(args: &SourceArgs) -> anyhow::Result<Source> {
        Source::open_with(args, false).await
    }

    /// The source of a command that writes: a snapshot is checked to be
    /// writable and locked before it is read, until the run ends.
    pub async fn open_writable(args: &SourceArgs) -> anyhow::Result<Source> {
        Source::open_with(args, true).await
    }

    async fn open_with(args: &SourceArgs, writable: bool) -> anyhow::Result<Source> {
        match &args.snapshot {
            Some(path) if writable => {
                let locked = LockedSnapshot::open(path)?;
                let sim = Simulator::from_snapshot_text(&path.display().to_string(), &locked.text)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok(Source::Snapshot(sim, Some(locked)))
            }
            Some(path) => Ok(Source::Snapshot(load_snapshot(path)?, None)),
            None => {
                let opts = AwsOptions {
                    profile: args.profile.clone(),
                    region: args.region.clone(),
                };
                Ok(Source::Aws(AwsPorts::load(&opts).await))
            }
        }
    }

    /// The rate budget: AWS's, lowered by `--max-tps`; none for a snapshot.
    pub fn budget(&self, args: &SourceArgs) -> Budget {
        match (self, args.max_tps) {
            // An offline run calls no service: there is no quota to share,
            // and a low --max-tps would only make it wait.
            (Source::Snapshot(..), _) => Budget::unlimited(),
            (Source::Aws(_), Some(tps)) => Budget::default().capped(tps),
            (Source::Aws(_), None) => Budget::default(),
        }
    }
}

impl Source {
    /// After an offline apply, writes the simulator's state back to the
    /// snapshot file in the format it came in (temporary file and rename:
    /// never half a file).
    pub fn save(&self) -> anyhow::Result<()> {
        if let Source::Snapshot(sim, Some(file)) = self {
            let snapshot = sim.snapshot();
            file.save(&if file.json {
                snapshot.to_json()
            } else {
                snapshot.to_yaml()
            })?;
        }
        Ok(())
    }
}

impl Source {
    /// An error that could not connect, with where the failed call's
    /// requests go and why (the environment variable, the profile or the
    /// region); other errors as they are.
    pub fn explain(&self, err: anyhow::Error) -> anyhow::Error {
        let port = err.chain().find_map(|e| {
            e.downcast_ref::<PortError>()
                .or_else(|| match e.downcast_ref::<EngineError>() {
                    Some(EngineError::Port(p)) => Some(p),
                    _ => None,
                })
        });
        match port.and_then(|p| self.unreachable_note(p)) {
            Some(note) => err.context(note),
            None => err,
        }
    }

    /// `cannot connect to …` for an `Unreachable` error of the AWS source.
    pub fn unreachable_note(&self, err: &PortError) -> Option<String> {
        let Source::Aws(aws) = self else { return None };
        if err.kind != ErrorKind::Unreachable {
            return None;
        }
        let endpoint = aws.endpoint_of(err.operation)?;
        Some(format!(
            "cannot connect to the endpoint of {}: {endpoint}; check that address, the network and any proxy",
            err.operation
        ))
    }

    /// `cannot connect to …` for the endpoint of `service`.
    pub fn endpoint_note(&self, service: Service) -> Option<String> {
        let Source::Aws(aws) = self else { return None };
        aws.endpoint_of(service)
            .map(|e| format!("requests to {service} go to {e}"))
    }
}

pub fn load_snapshot(path: &Path) -> anyhow::Result<Simulator> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read snapshot {}", path.display()))?;
    Simulator::from_snapshot_text(&path.display().to_string(), &text)
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// The read `--inventory` asks for; without it, `auto` against AWS and
/// `provisioned` offline, where reading costs nothing and a read per pair
/// also finds the assignments of deleted principals.
pub fn inventory(args: &SourceArgs) -> Inventory {
    args.inventory.unwrap_or(if args.snapshot.is_some() {
        Inventory::Provisioned
    } else {
        Inventory::Auto
    })
}

pub fn strategy(args: &SourceArgs) -> ssomatrix_engine::InventoryStrategy {
    use ssomatrix_engine::InventoryStrategy as S;
    match inventory(args) {
        Inventory::Auto => S::Cheapest,
        Inventory::Provisioned => S::Provisioned,
        Inventory::Exhaustive => S::Exhaustive,
        Inventory::Principal => S::ByPrincipal,
    }
}

/// Runs `$body` with `$client` bound to an engine client over the source's
/// ports; the engine is generic, so each source gets its own instantiation.
macro_rules! with_client {
    ($source:expr, $budget:expr, |$client:ident| $body:expr) => {
        match $source {
            $crate::source::Source::Snapshot(sim, _) => {
                let ports = ssomatrix_engine::Ports {
                    sso: sim.clone(),
                    ids: sim.clone(),
                    org: sim.clone(),
                };
                let $client = ssomatrix_engine::Client::new(ports, $budget);
                $body
            }
            $crate::source::Source::Aws(aws) => {
                let ports = ssomatrix_engine::Ports {
                    sso: aws.clone(),
                    ids: aws.clone(),
                    org: aws.clone(),
                };
                let $client = ssomatrix_engine::Client::new(ports, $budget);
                $body
            }
        }
    };
}
pub(crate) use with_client;
