//! `export`: the live state as a snapshot file, for offline runs.

use std::process::ExitCode;

use ssomatrix_core::ids::InstanceArn;
use ssomatrix_core::snapshot::Snapshot;
use ssomatrix_engine::ReadOptions;
use ssomatrix_engine::inventory::{self, Progress};

use crate::cli::{ExportArgs, SnapshotFormat};
use crate::files::{Named, check_outputs, write_atomic};
use crate::output;
use crate::source::{Source, strategy, with_client};
use crate::steps::report_calls;

pub async fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let inputs: Vec<Named<'_>> = args
        .source
        .snapshot
        .iter()
        .map(|p| Named::new("the snapshot (--snapshot)", p))
        .collect();
    let outputs: Vec<Named<'_>> = args.out.iter().map(|p| Named::new("--out", p)).collect();
    check_outputs(&inputs, &outputs)?;
    let source = Source::open(&args.source).await?;
    let instance = match &args.instance_arn {
        Some(s) => Some(InstanceArn::typed(s.as_str())?),
        None => None,
    };
    let options = ReadOptions {
        strategy: strategy(&args.source),
        provisioning_status: true,
    };
    let progress = Progress::default();
    let budget = source.budget(&args.source);
    let snapshot: Snapshot = with_client!(&source, budget, |client| {
        let s = output::with_progress(
            &progress,
            inventory::export_snapshot(&client, instance.as_ref(), &options, &progress),
        )
        .await;
        report_calls(&client);
        s.map_err(|e| source.explain(e.into()))?
    });
    let text = match args.format {
        SnapshotFormat::Yaml => snapshot.to_yaml(),
        SnapshotFormat::Json => snapshot.to_json(),
    };
    match &args.out {
        Some(path) => {
            write_atomic(path, &text)?;
            errln!(
                "exported {} accounts, {} permission sets, {} assignments to {}",
                snapshot.organization.accounts.len(),
                snapshot.permission_sets.len(),
                snapshot.assignments.len(),
                path.display()
            );
        }
        None => output::stdout(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}
