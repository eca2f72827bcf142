//! `drift`: what the live instance has that the file does not say, and the
//! reverse, as a report for a person or an issue.

use std::process::ExitCode;

use ssomatrix_core::drift::{self, ReadStrategy};
use ssomatrix_core::render::{self, TextStyle};

use super::EXIT_CHANGES;
use crate::cli::{DriftArgs, Inventory, PlanFormat};
use crate::output;
use crate::source::{Source, inventory};
use crate::steps::{load_config, read_live_of, today};

pub async fn drift(args: DriftArgs, no_color: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(&args.config)?;
    let source = Source::open(&args.source).await?;
    let live = read_live_of(
        &source,
        &args.source,
        &config,
        &args.accounts.accounts,
        true,
    )
    .await?;
    let mut report = drift::drift(&config, &live, today()?, args.warn_expiring);
    // The reader refused `principal` and read `auto` as `provisioned`.
    report.read_strategy = Some(match inventory(&args.source) {
        Inventory::Exhaustive => ReadStrategy::Exhaustive,
        Inventory::Auto | Inventory::Provisioned | Inventory::Principal => {
            ReadStrategy::Provisioned
        }
    });
    let out = match args.format {
        PlanFormat::Text => render::drift::text(
            &report,
            TextStyle {
                color: output::stdout_colour(no_color),
            },
        ),
        PlanFormat::Markdown => render::drift::markdown(&report),
        PlanFormat::Json => render::drift::json(&report),
    };
    output::stdout(&out)?;
    if args.detailed_exitcode && report.needs_action() {
        return Ok(ExitCode::from(EXIT_CHANGES));
    }
    Ok(ExitCode::SUCCESS)
}
