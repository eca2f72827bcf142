//! The `import` entry: the imported file of the benchmark's organisation,
//! its size against the live assignments and the generator's own file, and
//! the CPU and memory import takes beyond its read (the live state is built
//! before the clock starts; import's own verifying plan is inside it).

use anyhow::{Context, anyhow, ensure};
use serde::Serialize;
use ssomatrix_core::classify::ReasonKind;
use ssomatrix_core::config::Config;
use ssomatrix_core::date::Date;
use ssomatrix_core::import::import;
use ssomatrix_core::live::LiveState;
use ssomatrix_core::plan::{Action, plan};
use ssomatrix_testkit::org::{Generated, import_options, today};

use crate::measure::{cpu_seconds, peak_rss_mb, reset_peak_rss};

#[derive(Debug, Clone, Serialize)]
pub struct ImportRun {
    /// Rules of the file imported from the benchmark's live state.
    pub rules: usize,
    pub live_assignments: usize,
    /// `rules / live_assignments`: the target is at most 0.10.
    pub rules_per_assignment: f64,
    /// Changes the imported file plans other than deleting the assignments
    /// of deleted principals: 0, or import has a bug.
    pub changes_beyond_orphans: usize,
    /// Rules of the file the generator wrote (the "hand-written" file).
    pub file_rules: usize,
    /// Rules imported from the state that file wants exactly (no missing
    /// assignment, no click-ops, no orphans): how close import comes to
    /// the hand-written file when both describe the same state.
    pub converged_rules: usize,
    /// CPU seconds of `import` on the live state, its verifying plan included.
    pub cpu_seconds: f64,
    /// Peak RSS during that import, MB (the process's, from the read on).
    pub peak_rss_mb: f64,
}

/// Imports the live state of `generated`, then the state its file wants.
pub fn measure_import(generated: &Generated) -> anyhow::Result<ImportRun> {
    let today = today()?;
    let options = import_options("the benchmark's organisation")?;
    let live = generated
        .snapshot
        .to_live_state()
        .context("building the live state")?;
    reset_peak_rss();
    let cpu0 = cpu_seconds();
    let imported = import(&live, &options).map_err(|e| anyhow!("import: {e}"))?;
    let cpu = cpu_seconds() - cpu0;
    let rss = peak_rss_mb();
    let beyond = changes_beyond_orphans(&imported.text, &live, today)?;

    let mut converged = generated.clone();
    converged.snapshot.assignments = generated.desired.iter().cloned().collect();
    let converged_live = converged
        .snapshot
        .to_live_state()
        .context("building the converged live state")?;
    let converged_import = import(&converged_live, &options).map_err(|e| anyhow!("import: {e}"))?;
    ensure!(
        changes_beyond_orphans(&converged_import.text, &converged_live, today)? == 0,
        "the file imported from the converged state plans changes"
    );
    Ok(ImportRun {
        rules: imported.report.rules,
        live_assignments: live.assignments.len(),
        rules_per_assignment: imported.report.rules as f64 / live.assignments.len().max(1) as f64,
        changes_beyond_orphans: beyond,
        file_rules: generated.config.rules.len(),
        converged_rules: converged_import.report.rules,
        cpu_seconds: cpu,
        peak_rss_mb: rss,
    })
}

/// Plans `text` against `live` independently of import's own check.
fn changes_beyond_orphans(text: &str, live: &LiveState, today: Date) -> anyhow::Result<usize> {
    let config = Config::parse("imported", text).map_err(|e| anyhow!("imported file: {e}"))?;
    let planned = plan(&config, live, today).map_err(|e| anyhow!("planning the import: {e}"))?;
    Ok(planned
        .changes
        .iter()
        .filter(|c| {
            !(c.action == Action::Delete && c.reason_kind == Some(ReasonKind::PrincipalDeleted))
        })
        .count())
}
