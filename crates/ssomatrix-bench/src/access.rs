//! The `access` entry: the access report (`ssomatrix access`) of the
//! benchmark's organisation with users in groups (20,000 at XL, as many
//! per account at the other sizes; `testkit::org::with_members` spreads
//! them), read through the simulator with AWS's quotas and latencies: the
//! calls (the membership reads apart), the virtual time, and the CPU and
//! memory of building the report and its CSV beyond the read.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, anyhow, ensure};
use serde::Serialize;
use ssomatrix_core::access::{self, render};
use ssomatrix_core::ids::{PrincipalId, PrincipalType};
use ssomatrix_core::plan::plan;
use ssomatrix_core::ports::Operation;
use ssomatrix_engine::inventory::{Progress, read_live_state_all_sets};
use ssomatrix_engine::members::read_memberships;
use ssomatrix_engine::{Budget, ReadOptions};
use ssomatrix_testkit::org::{Generated, Size, sized_with_users, today, with_members};
use tokio::time::Instant;

use crate::measure::{
    PeopleRun, by_action, calls_since, client, cpu_seconds, current_rss_mb, measure_people,
    peak_rss_mb, reset_peak_rss, simulator,
};

/// Users at XL; the other sizes get as many per account.
pub const XL_USERS: usize = 20_000;
const XL_ACCOUNTS: usize = 7_000;

#[derive(Debug, Clone, Serialize)]
pub struct AccessRun {
    pub users: usize,
    /// (group, user) memberships of the groups that hold assignments.
    pub memberships: usize,
    /// Rows of the report: one per (user, account, permission set, path).
    pub rows: usize,
    /// What the generator's state gives: a member per group assignment of a
    /// group that exists, one per user assignment. Equal to `rows`, or the
    /// report lost or invented access.
    pub expected_rows: usize,
    pub people: usize,
    /// Every call of the read, the live state's and the members'.
    pub calls: u64,
    pub calls_by_operation: BTreeMap<String, u64>,
    /// Of `calls`: `ListGroupMemberships`.
    pub membership_calls: u64,
    /// Of `calls`: naming the members (`DescribeUser`, `ListUsers`).
    pub naming_calls: u64,
    pub virtual_seconds: f64,
    /// Of `virtual_seconds`: reading and naming the members.
    pub members_virtual_seconds: f64,
    /// CPU seconds of building the report from the read.
    pub build_cpu_seconds: f64,
    /// CPU seconds of its CSV.
    pub csv_cpu_seconds: f64,
    pub csv_mb: f64,
    /// RSS when the build starts (the read's state in memory), MB.
    pub rss_before_mb: f64,
    /// Peak RSS during the build and the CSV, beyond `rss_before_mb`, MB.
    pub peak_rss_beyond_read_mb: f64,
    /// The people of this organisation's plan (its drift from the file:
    /// missing assignments, click-ops, a deleted group's orphans), read as
    /// `ssomatrix plan` reads them after planning, with its calls.
    pub plan_people: PeopleRun,
}

/// The number of users of `size`: [`XL_USERS`] scaled by its accounts.
pub fn users_of(size: Size) -> usize {
    (XL_USERS * size.accounts).div_ceil(XL_ACCOUNTS)
}

/// The organisation of `size` with users in groups.
pub fn organisation(size: Size, seed: u64) -> anyhow::Result<Generated> {
    let mut generated = sized_with_users(size, seed)?;
    with_members(&mut generated, users_of(size), seed);
    Ok(generated)
}

/// Reads the live state and the members of `generated` through the
/// simulator, then builds the access report and its CSV.
pub async fn measure_access(generated: &Generated) -> anyhow::Result<AccessRun> {
    let sim = simulator(generated)?;
    let client = client(&sim, Budget::default());
    let start = Instant::now();
    let live = read_live_state_all_sets(
        &client,
        &generated.config,
        &ReadOptions::default(),
        &Progress::default(),
    )
    .await
    .context("reading the live state")?;
    let members_start = Instant::now();
    let members = read_memberships(&client, &live)
        .await
        .context("reading the members")?;
    let members_virtual = members_start.elapsed().as_secs_f64();
    let virtual_seconds = start.elapsed().as_secs_f64();
    let by_op = calls_since(&sim, &BTreeMap::new());
    let of = |ops: &[Operation]| ops.iter().filter_map(|op| by_op.get(op)).sum::<u64>();

    let rss_before = current_rss_mb();
    reset_peak_rss();
    let cpu0 = cpu_seconds();
    let report = access::access(&generated.config, &live, &members, today()?);
    let cpu1 = cpu_seconds();
    let csv = render::csv(&report);
    let cpu2 = cpu_seconds();
    let peak = peak_rss_mb();
    ensure!(
        report.summary.groups_without_members.is_empty(),
        "groups without members: {:?}",
        report.summary.groups_without_members
    );
    let (rows, people, csv_mb) = (
        report.rows.len(),
        report.summary.people,
        csv.len() as f64 / 1e6,
    );
    // Freed before the plan: the report's memory is measured above.
    drop(csv);
    drop(report);
    let the_plan =
        plan(&generated.config, &live, today()?).map_err(|e| anyhow!("planning: {e}"))?;
    let plan_people = measure_people(&sim, &client, &live, &the_plan).await?;
    Ok(AccessRun {
        users: generated.snapshot.users.len(),
        memberships: members.groups.values().map(BTreeSet::len).sum(),
        rows,
        expected_rows: expected_rows(generated),
        people,
        calls: by_op.values().sum(),
        calls_by_operation: by_action(&by_op),
        membership_calls: of(&[Operation::ListGroupMemberships]),
        naming_calls: of(&[Operation::DescribeUser, Operation::ListUsers]),
        virtual_seconds,
        members_virtual_seconds: members_virtual,
        build_cpu_seconds: cpu1 - cpu0,
        csv_cpu_seconds: cpu2 - cpu1,
        csv_mb,
        rss_before_mb: rss_before,
        peak_rss_beyond_read_mb: (peak - rss_before).max(0.0),
        plan_people,
    })
}

/// The rows the generator's state gives, counted from the snapshot alone.
fn expected_rows(generated: &Generated) -> usize {
    let members: BTreeMap<&PrincipalId, usize> = generated
        .snapshot
        .groups
        .iter()
        .map(|g| (&g.id, g.members.as_ref().map_or(0, BTreeSet::len)))
        .collect();
    generated
        .snapshot
        .assignments
        .iter()
        .map(|a| match a.principal_type {
            PrincipalType::User => 1,
            PrincipalType::Group => members.get(&a.principal_id).copied().unwrap_or(0),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At S, every access of the generator's state is a row, each user is
    /// in at least one group, and the members were read one listing a
    /// group (more only past a page) and named in one listing of users.
    #[test]
    fn the_small_report_has_every_access_of_the_generated_state() {
        let size = Size::named("s").unwrap();
        let generated = organisation(size, 2026).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let run = runtime.block_on(measure_access(&generated)).unwrap();
        assert_eq!(run.users, users_of(size));
        assert_eq!(run.rows, run.expected_rows, "{run:?}");
        assert!(run.rows > run.users, "{run:?}");
        let in_groups: BTreeSet<&PrincipalId> = generated
            .snapshot
            .groups
            .iter()
            .flat_map(|g| g.members.iter().flatten())
            .collect();
        assert_eq!(in_groups.len(), run.users, "everyone is in a group");
        let holding: BTreeSet<&PrincipalId> = generated
            .snapshot
            .assignments
            .iter()
            .filter(|a| a.principal_type == PrincipalType::Group)
            .map(|a| &a.principal_id)
            .filter(|id| generated.snapshot.groups.iter().any(|g| &g.id == *id))
            .collect();
        assert!(run.membership_calls >= holding.len() as u64, "{run:?}");
        assert!(run.membership_calls <= 2 * holding.len() as u64, "{run:?}");
        assert!(run.naming_calls > 0, "{run:?}");
        assert!(run.virtual_seconds > run.members_virtual_seconds);
        // The plan's people: a listing per group on a changed pair, and
        // somebody gains (the file's missing assignments) or loses.
        let p = &run.plan_people;
        assert!(
            p.groups_read > 0 && p.calls >= p.groups_read as u64,
            "{p:?}"
        );
        assert!(p.gain + p.lose > 0, "{p:?}");
    }
}
