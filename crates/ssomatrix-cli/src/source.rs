//! Where the live state comes from: a snapshot file (through the simulator)
//! or AWS (through the SDK adapter). Both give the engine the same ports.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ssomatrix_aws::{AwsOptions, AwsPorts};
use ssomatrix_engine::Budget;
use ssomatrix_sim::Simulator;

use crate::cli::{Inventory, SourceArgs};

pub enum Source {
    /// The simulator and the file it was loaded from (apply writes it back).
    Snapshot(Simulator, PathBuf),
    Aws(AwsPorts),
}

impl Source {
    pub async fn open(args: &SourceArgs) -> anyhow::Result<Source> {
        match &args.snapshot {
            Some(path) => Ok(Source::Snapshot(load_snapshot(path)?, path.clone())),
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
        let budget = match self {
            Source::Snapshot(..) => Budget::unlimited(),
            Source::Aws(_) => Budget::default(),
        };
        match args.max_tps {
            Some(tps) => budget.capped(tps),
            None => budget,
        }
    }
}

impl Source {
    /// After an offline apply, writes the simulator's state back to the
    /// snapshot file (temporary file and rename: never half a file).
    pub fn save(&self) -> anyhow::Result<()> {
        if let Source::Snapshot(sim, path) = self {
            crate::output::write_atomic(path, &sim.snapshot().to_yaml())?;
        }
        Ok(())
    }
}

pub fn load_snapshot(path: &Path) -> anyhow::Result<Simulator> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read snapshot {}", path.display()))?;
    Simulator::from_snapshot_text(&path.display().to_string(), &text)
        .map_err(|e| anyhow::anyhow!("{e}"))
}

pub fn strategy(inventory: Inventory) -> ssomatrix_engine::InventoryStrategy {
    match inventory {
        Inventory::Provisioned => ssomatrix_engine::InventoryStrategy::Provisioned,
        Inventory::Exhaustive => ssomatrix_engine::InventoryStrategy::Exhaustive,
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
