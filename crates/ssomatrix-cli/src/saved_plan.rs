//! Saved plans (`plan --out`, `apply --plan`) on disk: the check itself,
//! what a saved plan is bound to and why it is stale, is policy in
//! `ssomatrix_core::policy`; this reads the file and words the refusal.

use std::path::Path;

use anyhow::Context;
use ssomatrix_core::policy::{self, Now, Refusal};

use crate::steps::problems;

/// Accepts the saved plan at `path` only when it is exactly what `now`
/// gives; otherwise says which of the file, the live state, the day or the
/// plan itself differs, and how to fix it.
pub fn verify(path: &Path, now: &Now<'_>) -> anyhow::Result<()> {
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read saved plan {shown}"))?;
    policy::check_saved_plan(&shown, &text, now).map_err(|refusal| match refusal {
        Refusal::Stale(stale) => anyhow::anyhow!("{stale}"),
        Refusal::Plan(e) => problems(&now.config.file, &e.0),
    })
}
