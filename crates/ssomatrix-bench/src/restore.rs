//! The restore scenario: the organisation after every assignment was
//! removed (an identity source switched, a mass delete in the console), so
//! that every desired assignment is missing. Its plan is creates only, and
//! its apply is what a restore costs: docs/recovery.md quotes it.

use anyhow::{Context, anyhow, ensure};
use serde::Serialize;
use ssomatrix_core::plan::plan;
use ssomatrix_engine::inventory::{Progress, read_live_state};
use ssomatrix_engine::{Budget, ReadOptions};
use ssomatrix_testkit::org::{Generated, today};
use tokio::time::Instant;

use crate::measure::{ApplyRun, client, measure_apply, simulator};

#[derive(Debug, Clone, Serialize)]
pub struct RestoreRun {
    /// Assignments created: every desired one.
    pub creates: usize,
    /// Reading the emptied instance and planning, virtual seconds.
    pub plan_virtual_seconds: f64,
    pub apply: ApplyRun,
}

/// Plans and applies the restore of every desired assignment of `generated`.
pub async fn restore(generated: &Generated) -> anyhow::Result<RestoreRun> {
    let mut emptied = generated.clone();
    emptied.snapshot.assignments.clear();
    let sim = simulator(&emptied)?;
    let budget = Budget::default();
    let client = client(&sim, budget.clone());
    let start = Instant::now();
    let live = read_live_state(
        &client,
        &emptied.config,
        &ReadOptions::default(),
        &Progress::default(),
    )
    .await
    .context("reading the emptied live state")?;
    let the_plan = plan(&emptied.config, &live, today()?).map_err(|e| anyhow!("planning: {e}"))?;
    let plan_virtual_seconds = start.elapsed().as_secs_f64();
    ensure!(
        the_plan.deletes().next().is_none(),
        "the restore of an emptied instance planned deletes"
    );
    let apply = measure_apply(&sim, &client, &budget, &the_plan).await?;
    Ok(RestoreRun {
        creates: the_plan.summary.create,
        plan_virtual_seconds,
        apply,
    })
}
